//! Mocked AWS clients shared by the scenario tests: one rule list per service, every client
//! matching any rule and without SDK retries, so the engine's own retries are what is tested.

#![allow(dead_code)]

use aws_smithy_mocks::{mock_client, Rule, RuleMode};

use terraform_provider_platform::aws::AwsClients;

/// Rules per service; a service left empty answers nothing.
#[derive(Default)]
pub struct Mocks<'a> {
    pub ec2: Vec<&'a Rule>,
    pub sts: Vec<&'a Rule>,
    pub ecs: Vec<&'a Rule>,
    pub iam: Vec<&'a Rule>,
    pub logs: Vec<&'a Rule>,
    pub rds: Vec<&'a Rule>,
    pub elasticache: Vec<&'a Rule>,
    pub elbv2: Vec<&'a Rule>,
    pub acm: Vec<&'a Rule>,
    /// ACM in us-east-1 (CloudFront's certificates).
    pub acm_us_east_1: Vec<&'a Rule>,
    pub cloudfront: Vec<&'a Rule>,
    pub scheduler: Vec<&'a Rule>,
    pub secretsmanager: Vec<&'a Rule>,
    pub autoscaling: Vec<&'a Rule>,
    pub servicediscovery: Vec<&'a Rule>,
    pub s3: Vec<&'a Rule>,
    pub sns: Vec<&'a Rule>,
    pub sqs: Vec<&'a Rule>,
}

macro_rules! client {
    ($sdk:ident, $rules:expr) => {
        mock_client!($sdk, RuleMode::MatchAny, $rules, |c| c
            .retry_config($sdk::config::retry::RetryConfig::disabled()))
        .into()
    };
}

pub fn clients(m: &Mocks) -> AwsClients {
    AwsClients {
        ec2: client!(aws_sdk_ec2, &m.ec2),
        sts: client!(aws_sdk_sts, &m.sts),
        ecs: client!(aws_sdk_ecs, &m.ecs),
        iam: client!(aws_sdk_iam, &m.iam),
        logs: client!(aws_sdk_cloudwatchlogs, &m.logs),
        rds: client!(aws_sdk_rds, &m.rds),
        elasticache: client!(aws_sdk_elasticache, &m.elasticache),
        elbv2: client!(aws_sdk_elasticloadbalancingv2, &m.elbv2),
        acm: client!(aws_sdk_acm, &m.acm),
        acm_us_east_1: client!(aws_sdk_acm, &m.acm_us_east_1),
        cloudfront: client!(aws_sdk_cloudfront, &m.cloudfront),
        scheduler: client!(aws_sdk_scheduler, &m.scheduler),
        secretsmanager: client!(aws_sdk_secretsmanager, &m.secretsmanager),
        autoscaling: client!(aws_sdk_applicationautoscaling, &m.autoscaling),
        servicediscovery: client!(aws_sdk_servicediscovery, &m.servicediscovery),
        s3: client!(aws_sdk_s3, &m.s3),
        sns: client!(aws_sdk_sns, &m.sns),
        sqs: client!(aws_sdk_sqs, &m.sqs),
    }
}

/// Clients where only EC2 answers.
pub fn ec2_clients(rules: &[&Rule]) -> AwsClients {
    clients(&Mocks {
        ec2: rules.to_vec(),
        ..Mocks::default()
    })
}
