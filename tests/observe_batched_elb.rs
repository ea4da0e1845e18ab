//! Batched observation of the ELBv2, ACM and Application Auto Scaling kinds: a refresh lists
//! each kind once per scope (the region, a load balancer, a listener), so observing N children
//! costs the calls of one. Each test observes one child, then twenty, through executors whose
//! reads are shared as they are in a provider process, and counts the calls.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_smithy_mocks::{mock, Rule};
use futures::future::join_all;

use common::Mocks;
use terraform_provider_platform::apply::{Executor as _, IdMap};
use terraform_provider_platform::aws::acm::certificate::CertificateSpec;
use terraform_provider_platform::aws::autoscaling::scalable_target::ScalableTargetSpec;
use terraform_provider_platform::aws::autoscaling::scaling_policy::ScalingPolicySpec;
use terraform_provider_platform::aws::common::reads::Reads;
use terraform_provider_platform::aws::elbv2::listener::{ListenerDefault, ListenerSpec};
use terraform_provider_platform::aws::elbv2::listener_rule::ListenerRuleSpec;
use terraform_provider_platform::aws::elbv2::load_balancer::LoadBalancerSpec;
use terraform_provider_platform::aws::elbv2::target_group::{HealthCheckSpec, TargetGroupSpec};
use terraform_provider_platform::aws::kind::{AwsKind as _, Cx};
use terraform_provider_platform::aws::{AwsClients, Executor};
use terraform_provider_platform::plan::ledger::{Ledger, Recorded};
use terraform_provider_platform::plan::node::{ChildSpec, Kind, NodeKey, Tags};

/// Observes `children` concurrently through one executor, as `apply::observe_all` does.
async fn observe(
    clients: AwsClients,
    external: &BTreeMap<NodeKey, String>,
    children: &[(NodeKey, Recorded)],
) -> Vec<Option<Recorded>> {
    let executor = Executor::with_reads(clients, Arc::new(Reads::new()));
    let ledger = Ledger {
        children: children.iter().cloned().collect(),
        external: external.clone(),
        ..Ledger::new()
    };
    let ids = IdMap::from_ledger(&ledger);
    join_all(children.iter().map(|(key, recorded)| {
        let executor = &executor;
        let ids = &ids;
        async move { executor.observe(key, recorded, ids).await.unwrap() }
    }))
    .await
}

/// Observes 1 and then 20 children, each round with fresh reads; returns the calls each of
/// `rules` saw in each round.
async fn calls_for_1_and_20(
    rules: &[&Rule],
    clients: impl Fn() -> AwsClients,
    external: &BTreeMap<NodeKey, String>,
    child: impl Fn(usize) -> (NodeKey, Recorded),
) -> (Vec<usize>, Vec<usize>) {
    let counts = || rules.iter().map(|r| r.num_calls()).collect::<Vec<_>>();
    let one: Vec<_> = (0..1).map(&child).collect();
    let seen = observe(clients(), external, &one).await;
    assert!(seen.iter().all(Option::is_some), "every child found");
    let after_one = counts();
    let twenty: Vec<_> = (0..20).map(&child).collect();
    let seen = observe(clients(), external, &twenty).await;
    assert!(seen.iter().all(Option::is_some), "every child found");
    let after_twenty = counts()
        .iter()
        .zip(&after_one)
        .map(|(total, first)| total - first)
        .collect();
    (after_one, after_twenty)
}

fn elbv2_clients(rules: &[&Rule]) -> AwsClients {
    common::clients(&Mocks {
        elbv2: rules.to_vec(),
        ..Mocks::default()
    })
}

const LB_ARN: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/test/50dc6c495c0c9188";
const LISTENER_ARN: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/test/50dc6c495c0c9188/f2f7dc8efc522ab2";

fn lb_arn(i: usize) -> String {
    format!(
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/test-{i}/{i:016x}"
    )
}

fn listener_arn(i: usize) -> String {
    format!("arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/test/50dc6c495c0c9188/{i:016x}")
}

fn target_group_arn(i: usize) -> String {
    format!("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/test-{i}/{i:016x}")
}

fn rule_arn(i: usize) -> String {
    format!("arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/test/50dc6c495c0c9188/f2f7dc8efc522ab2/{i:016x}")
}

fn certificate_arn(i: usize) -> String {
    format!("arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-{i:012}")
}

fn policy_arn(i: usize) -> String {
    format!("arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:6d8972f3-efc8-437c-92d1-6270f29a66e7:resource/ecs/service/test/web-{i}:policyName/cpu")
}

mod elb {
    pub use aws_sdk_elasticloadbalancingv2::operation::{
        describe_listeners::DescribeListenersOutput,
        describe_load_balancer_attributes::DescribeLoadBalancerAttributesOutput,
        describe_load_balancers::DescribeLoadBalancersOutput, describe_rules::DescribeRulesOutput,
        describe_tags::DescribeTagsOutput,
        describe_target_group_attributes::DescribeTargetGroupAttributesOutput,
        describe_target_groups::DescribeTargetGroupsOutput,
    };
    pub use aws_sdk_elasticloadbalancingv2::types::{
        Listener, LoadBalancer, Rule, TagDescription, TargetGroup,
    };
    pub use aws_sdk_elasticloadbalancingv2::Client;
}

/// DescribeTags answering for every ARN it is asked about, at most 20 at a time as AWS allows.
fn elb_tags() -> Rule {
    mock!(elb::Client::describe_tags)
        .match_requests(|r| (1..=20).contains(&r.resource_arns().len()))
        .then_compute_output(|r| {
            elb::DescribeTagsOutput::builder()
                .set_tag_descriptions(Some(
                    r.resource_arns()
                        .iter()
                        .map(|arn| elb::TagDescription::builder().resource_arn(arn).build())
                        .collect(),
                ))
                .build()
        })
}

#[tokio::test]
async fn load_balancers_are_read_once_per_arn_and_shared() {
    let describe = mock!(elb::Client::describe_load_balancers)
        .match_requests(|r| r.load_balancer_arns().len() == 1)
        .then_compute_output(|r| {
            elb::DescribeLoadBalancersOutput::builder()
                .load_balancers(
                    elb::LoadBalancer::builder()
                        .load_balancer_arn(&r.load_balancer_arns()[0])
                        .load_balancer_name("test")
                        .build(),
                )
                .build()
        });
    let attributes = mock!(elb::Client::describe_load_balancer_attributes)
        .then_output(|| elb::DescribeLoadBalancerAttributesOutput::builder().build());
    let tags = elb_tags();
    let rules = [&describe, &attributes, &tags];
    let child = |i: usize| {
        let spec = LoadBalancerSpec {
            name: "test".into(),
            internal: false,
            subnets: vec![],
            security_groups: vec![],
            idle_timeout_seconds: 60,
            drop_invalid_headers: false,
            deletion_protection: false,
            tags: Tags::new(),
        };
        (
            NodeKey::new(Kind::LoadBalancer, &[&i.to_string()]),
            Recorded::new(lb_arn(i), ChildSpec::LoadBalancer(spec)),
        )
    };
    let calls = calls_for_1_and_20(&rules, || elbv2_clients(&rules), &BTreeMap::new(), child).await;
    // An environment has one load balancer: it is read by ARN (a region-wide listing would
    // read every load balancer of the account), so twenty cost one read each.
    assert_eq!(calls, (vec![1, 1, 1], vec![20, 20, 20]));

    // Everything observing the same load balancer shares its reads.
    let (_, recorded) = child(0);
    let ChildSpec::LoadBalancer(spec) = &recorded.observed else {
        unreachable!()
    };
    let (clients, reads, ids) = (elbv2_clients(&rules), Reads::new(), IdMap::default());
    let cx = Cx {
        clients: &clients,
        ids: &ids,
        reads: &reads,
    };
    let before: Vec<usize> = rules.iter().map(|r| r.num_calls()).collect();
    for _ in 0..3 {
        assert!(LoadBalancerSpec::observe(&cx, &lb_arn(0), spec)
            .await
            .unwrap()
            .is_some());
    }
    let after: Vec<usize> = rules.iter().map(|r| r.num_calls()).collect();
    assert_eq!(
        after
            .iter()
            .zip(&before)
            .map(|(a, b)| a - b)
            .collect::<Vec<_>>(),
        [1, 1, 1]
    );
}

#[tokio::test]
async fn listeners_are_listed_once_per_load_balancer() {
    let list = mock!(elb::Client::describe_listeners)
        .match_requests(|r| r.load_balancer_arn() == Some(LB_ARN))
        .then_output(|| {
            elb::DescribeListenersOutput::builder()
                .set_listeners(Some(
                    (0..20)
                        .map(|i| {
                            elb::Listener::builder()
                                .listener_arn(listener_arn(i))
                                .load_balancer_arn(LB_ARN)
                                .port(8000 + i as i32)
                                .build()
                        })
                        .collect(),
                ))
                .build()
        });
    let tags = elb_tags();
    let rules = [&list, &tags];
    let lb = NodeKey::new(Kind::LoadBalancer, &[]);
    let external = [(lb.clone(), LB_ARN.to_string())].into();
    let child = |i: usize| {
        let spec = ListenerSpec {
            load_balancer: lb.clone(),
            port: 8000 + i as i32,
            protocol: "HTTP".into(),
            ssl_policy: None,
            certificate: None,
            default_action: ListenerDefault::NotFound,
            tags: Tags::new(),
        };
        (
            NodeKey::new(Kind::Listener, &[&i.to_string()]),
            Recorded::new(listener_arn(i), ChildSpec::Listener(spec)),
        )
    };
    let calls = calls_for_1_and_20(&rules, || elbv2_clients(&rules), &external, child).await;
    // One listing, and the tags of all twenty listeners in one DescribeTags.
    assert_eq!(calls, (vec![1, 1], vec![1, 1]));
}

#[tokio::test]
async fn target_groups_are_listed_once_per_region() {
    let group = |i: usize, vpc: &str| {
        elb::TargetGroup::builder()
            .target_group_arn(target_group_arn(i))
            .target_group_name(format!("test-{i}"))
            .vpc_id(vpc)
            .port(8080)
            .build()
    };
    // Two pages: 25 groups of our VPC, then 5 of another.
    let first = mock!(elb::Client::describe_target_groups)
        .match_requests(|r| r.page_size() == Some(400) && r.marker().is_none())
        .then_output(move || {
            elb::DescribeTargetGroupsOutput::builder()
                .set_target_groups(Some((0..25).map(|i| group(i, "vpc-1")).collect()))
                .next_marker("page-2")
                .build()
        });
    let second = mock!(elb::Client::describe_target_groups)
        .match_requests(|r| r.marker() == Some("page-2"))
        .then_output(move || {
            elb::DescribeTargetGroupsOutput::builder()
                .set_target_groups(Some((25..30).map(|i| group(i, "vpc-2")).collect()))
                .build()
        });
    let tags = elb_tags();
    let other_vpc_tagged = mock!(elb::Client::describe_tags)
        .match_requests(|r| r.resource_arns().contains(&target_group_arn(25)))
        .then_output(|| elb::DescribeTagsOutput::builder().build());
    let attributes = mock!(elb::Client::describe_target_group_attributes)
        .then_output(|| elb::DescribeTargetGroupAttributesOutput::builder().build());
    let rules = [&first, &second, &other_vpc_tagged, &tags, &attributes];
    let vpc = NodeKey::new(Kind::Vpc, &[]);
    let external = [(vpc.clone(), "vpc-1".to_string())].into();
    let child = |i: usize| {
        let spec = TargetGroupSpec {
            name: format!("test-{i}"),
            vpc: vpc.clone(),
            port: 8080,
            health_check: HealthCheckSpec {
                path: "/".into(),
                matcher: "200".into(),
                interval_seconds: 15,
                timeout_seconds: 5,
                healthy_threshold: 2,
                unhealthy_threshold: 3,
            },
            deregistration_delay_seconds: 300,
            tags: Tags::new(),
        };
        (
            NodeKey::new(Kind::TargetGroup, &[&i.to_string()]),
            Recorded::new(target_group_arn(i), ChildSpec::TargetGroup(spec)),
        )
    };
    let calls = calls_for_1_and_20(&rules, || elbv2_clients(&rules), &external, child).await;
    // Both pages of the listing, no tags of the other VPC, the 25 groups of ours in two
    // DescribeTags; DescribeTargetGroupAttributes has no batch form, so the deregistration
    // delay costs one call per group.
    assert_eq!(calls, (vec![1, 1, 0, 2, 1], vec![1, 1, 0, 2, 20]));
}

#[tokio::test]
async fn listener_rules_are_listed_once_per_listener() {
    let rule = |i: usize| {
        elb::Rule::builder()
            .rule_arn(rule_arn(i))
            .priority((i + 1).to_string())
            .is_default(false)
            .build()
    };
    let default_rule_arn = rule_arn(999);
    let default = elb::Rule::builder()
        .rule_arn(&default_rule_arn)
        .priority("default")
        .is_default(true)
        .build();
    let list = mock!(elb::Client::describe_rules)
        .match_requests(|r| r.listener_arn() == Some(LISTENER_ARN))
        .then_output(move || {
            elb::DescribeRulesOutput::builder()
                .set_rules(Some((0..25).map(rule).collect()))
                .rules(default.clone())
                .build()
        });
    // The default rule cannot be tagged, so its tags are never asked for.
    let default_tagged = mock!(elb::Client::describe_tags)
        .match_requests(move |r| r.resource_arns().contains(&default_rule_arn))
        .then_output(|| elb::DescribeTagsOutput::builder().build());
    let tags = elb_tags();
    let rules = [&list, &default_tagged, &tags];
    let listener = NodeKey::new(Kind::Listener, &["https"]);
    let target_group = NodeKey::new(Kind::TargetGroup, &["web"]);
    let external = [
        (listener.clone(), LISTENER_ARN.to_string()),
        (target_group.clone(), target_group_arn(0)),
    ]
    .into();
    let child = |i: usize| {
        let spec = ListenerRuleSpec {
            listener: listener.clone(),
            priority: i as u32 + 1,
            hosts: vec![],
            paths: vec![],
            target_group: target_group.clone(),
            tags: Tags::new(),
        };
        (
            NodeKey::new(Kind::ListenerRule, &[&i.to_string()]),
            Recorded::new(rule_arn(i), ChildSpec::ListenerRule(spec)),
        )
    };
    let calls = calls_for_1_and_20(&rules, || elbv2_clients(&rules), &external, child).await;
    // One listing; the 25 rules' tags in batches of 20.
    assert_eq!(calls, (vec![1, 0, 2], vec![1, 0, 2]));
}

mod acm {
    pub use aws_sdk_acm::operation::{
        describe_certificate::DescribeCertificateOutput,
        list_tags_for_certificate::ListTagsForCertificateOutput,
    };
    pub use aws_sdk_acm::types::CertificateDetail;
    pub use aws_sdk_acm::Client;
}

#[tokio::test]
async fn certificates_are_read_once_per_arn_and_shared() {
    let describe = mock!(acm::Client::describe_certificate).then_compute_output(|r| {
        acm::DescribeCertificateOutput::builder()
            .certificate(
                acm::CertificateDetail::builder()
                    .certificate_arn(r.certificate_arn().unwrap_or_default())
                    .domain_name("example.com")
                    .build(),
            )
            .build()
    });
    let tags = mock!(acm::Client::list_tags_for_certificate)
        .then_output(|| acm::ListTagsForCertificateOutput::builder().build());
    let rules = [&describe, &tags];
    let clients = || {
        common::clients(&Mocks {
            acm: rules.to_vec(),
            ..Mocks::default()
        })
    };
    let spec = CertificateSpec {
        domain: "example.com".into(),
        alternative_names: vec![],
        tags: Tags::new(),
    };
    let child = |i: usize| {
        (
            NodeKey::new(Kind::Certificate, &[&i.to_string()]),
            Recorded::new(certificate_arn(i), ChildSpec::Certificate(spec.clone())),
        )
    };
    let calls = calls_for_1_and_20(&rules, clients, &BTreeMap::new(), child).await;
    // An environment has at most one certificate and ACM describes and lists tags of one
    // certificate per call, so twenty cost one of each per certificate.
    assert_eq!(calls, (vec![1, 1], vec![20, 20]));

    // Everything observing the same certificate shares its reads.
    let (clients, reads, ids) = (clients(), Reads::new(), IdMap::default());
    let cx = Cx {
        clients: &clients,
        ids: &ids,
        reads: &reads,
    };
    let before: Vec<usize> = rules.iter().map(|r| r.num_calls()).collect();
    for _ in 0..3 {
        assert!(CertificateSpec::observe(&cx, &certificate_arn(0), &spec)
            .await
            .unwrap()
            .is_some());
    }
    let after: Vec<usize> = rules.iter().map(|r| r.num_calls()).collect();
    assert_eq!(
        after
            .iter()
            .zip(&before)
            .map(|(a, b)| a - b)
            .collect::<Vec<_>>(),
        [1, 1]
    );
}

mod aas {
    pub use aws_sdk_applicationautoscaling::operation::{
        describe_scalable_targets::DescribeScalableTargetsOutput,
        describe_scaling_policies::DescribeScalingPoliciesOutput,
    };
    pub use aws_sdk_applicationautoscaling::types::{
        PolicyType, ScalableDimension, ScalableTarget, ScalingPolicy, ServiceNamespace,
    };
    pub use aws_sdk_applicationautoscaling::Client;
}

fn autoscaling_clients(rules: &[&Rule]) -> AwsClients {
    common::clients(&Mocks {
        autoscaling: rules.to_vec(),
        ..Mocks::default()
    })
}

fn resource_id(i: usize) -> String {
    format!("service/test/web-{i}")
}

#[tokio::test]
async fn scalable_targets_are_listed_once_per_region() {
    let list = mock!(aas::Client::describe_scalable_targets)
        .match_requests(|r| {
            r.service_namespace() == Some(&aas::ServiceNamespace::Ecs)
                && r.resource_ids().is_empty()
        })
        .then_output(|| {
            aas::DescribeScalableTargetsOutput::builder()
                .set_scalable_targets(Some(
                    (0..20)
                        .map(|i| {
                            aas::ScalableTarget::builder()
                                .service_namespace(aas::ServiceNamespace::Ecs)
                                .resource_id(resource_id(i))
                                .scalable_dimension(aas::ScalableDimension::EcsServiceDesiredCount)
                                .min_capacity(1)
                                .max_capacity(4)
                                .role_arn("arn:aws:iam::123456789012:role/autoscaling")
                                .creation_time(aws_smithy_types::DateTime::from_secs(0))
                                .build()
                                .unwrap()
                        })
                        .collect(),
                ))
                .build()
        });
    let rules = [&list];
    let child = |i: usize| {
        let spec = ScalableTargetSpec {
            service: NodeKey::new(Kind::EcsService, &[&i.to_string()]),
            min_capacity: 1,
            max_capacity: 4,
        };
        (
            NodeKey::new(Kind::ScalableTarget, &[&i.to_string()]),
            Recorded::new(resource_id(i), ChildSpec::ScalableTarget(spec)),
        )
    };
    let calls = calls_for_1_and_20(
        &rules,
        || autoscaling_clients(&rules),
        &BTreeMap::new(),
        child,
    )
    .await;
    assert_eq!(calls, (vec![1], vec![1]));
}

#[tokio::test]
async fn scaling_policies_are_listed_once_per_region() {
    let list = mock!(aas::Client::describe_scaling_policies)
        .match_requests(|r| {
            r.service_namespace() == Some(&aas::ServiceNamespace::Ecs)
                && r.resource_id().is_none()
                && r.policy_names().is_empty()
        })
        .then_output(|| {
            aas::DescribeScalingPoliciesOutput::builder()
                .set_scaling_policies(Some(
                    (0..20)
                        .map(|i| {
                            aas::ScalingPolicy::builder()
                                .policy_arn(policy_arn(i))
                                .policy_name("cpu")
                                .service_namespace(aas::ServiceNamespace::Ecs)
                                .resource_id(resource_id(i))
                                .scalable_dimension(aas::ScalableDimension::EcsServiceDesiredCount)
                                .policy_type(aas::PolicyType::TargetTrackingScaling)
                                .creation_time(aws_smithy_types::DateTime::from_secs(0))
                                .build()
                                .unwrap()
                        })
                        .collect(),
                ))
                .build()
        });
    let rules = [&list];
    let child = |i: usize| {
        let spec = ScalingPolicySpec {
            target: NodeKey::new(Kind::ScalableTarget, &[&i.to_string()]),
            name: "cpu".into(),
            metric: "ECSServiceAverageCPUUtilization".into(),
            target_value: 60,
            queue_backlog: None,
            scale_in_cooldown_seconds: 300,
            scale_out_cooldown_seconds: 60,
        };
        (
            NodeKey::new(Kind::ScalingPolicy, &[&i.to_string()]),
            Recorded::new(policy_arn(i), ChildSpec::ScalingPolicy(spec)),
        )
    };
    let calls = calls_for_1_and_20(
        &rules,
        || autoscaling_clients(&rules),
        &BTreeMap::new(),
        child,
    )
    .await;
    assert_eq!(calls, (vec![1], vec![1]));
}
