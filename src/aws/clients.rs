//! Service clients built from one SDK configuration, with the provider block's endpoint
//! overrides.

use std::collections::BTreeMap;

use super::error::{classify, AwsError};

/// Service clients built from one SDK configuration.
#[derive(Clone, Debug)]
pub struct AwsClients {
    pub ec2: aws_sdk_ec2::Client,
    pub sts: aws_sdk_sts::Client,
    pub ecs: aws_sdk_ecs::Client,
    pub iam: aws_sdk_iam::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub rds: aws_sdk_rds::Client,
    pub elasticache: aws_sdk_elasticache::Client,
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    pub acm: aws_sdk_acm::Client,
    pub secretsmanager: aws_sdk_secretsmanager::Client,
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
    pub servicediscovery: aws_sdk_servicediscovery::Client,
}

/// A client of one service with the `endpoints { … }` override applied. `$service` is the
/// service's key in [`ENDPOINTS`](super::endpoints::ENDPOINTS).
macro_rules! client {
    ($sdk:expr, $endpoints:expr, $crate_name:ident, $service:literal) => {{
        let mut builder = $crate_name::config::Builder::from($sdk);
        if let Some(url) = $endpoints.get($service) {
            builder = builder.endpoint_url(url);
        }
        $crate_name::Client::from_conf(builder.build())
    }};
}

impl AwsClients {
    /// The endpoint keys the clients below are built with, sorted: exactly the keys of
    /// [`ENDPOINTS`](super::endpoints::ENDPOINTS) (a unit test holds them equal).
    pub const SERVICES: &'static [&'static str] = &[
        "acm",
        "appautoscaling",
        "ec2",
        "ecs",
        "elasticache",
        "elbv2",
        "iam",
        "logs",
        "rds",
        "secretsmanager",
        "servicediscovery",
        "sts",
    ];

    /// Builds clients; `endpoints` maps endpoint keys (`ec2`, `appautoscaling`, …; aliases
    /// already resolved to their key) to URL overrides.
    pub fn new(sdk: &aws_config::SdkConfig, endpoints: &BTreeMap<String, String>) -> AwsClients {
        AwsClients {
            ec2: client!(sdk, endpoints, aws_sdk_ec2, "ec2"),
            sts: client!(sdk, endpoints, aws_sdk_sts, "sts"),
            ecs: client!(sdk, endpoints, aws_sdk_ecs, "ecs"),
            iam: client!(sdk, endpoints, aws_sdk_iam, "iam"),
            logs: client!(sdk, endpoints, aws_sdk_cloudwatchlogs, "logs"),
            rds: client!(sdk, endpoints, aws_sdk_rds, "rds"),
            elasticache: client!(sdk, endpoints, aws_sdk_elasticache, "elasticache"),
            elbv2: client!(sdk, endpoints, aws_sdk_elasticloadbalancingv2, "elbv2"),
            acm: client!(sdk, endpoints, aws_sdk_acm, "acm"),
            secretsmanager: client!(sdk, endpoints, aws_sdk_secretsmanager, "secretsmanager"),
            autoscaling: client!(
                sdk,
                endpoints,
                aws_sdk_applicationautoscaling,
                "appautoscaling"
            ),
            servicediscovery: client!(sdk, endpoints, aws_sdk_servicediscovery, "servicediscovery"),
        }
    }

    /// Checks the credentials with STS GetCallerIdentity; returns the account ID.
    pub async fn caller_account(&self) -> Result<String, AwsError> {
        let out = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(classify)?;
        Ok(out.account().unwrap_or_default().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::endpoints::ENDPOINTS;

    #[test]
    fn every_endpoint_key_routes_a_client() {
        let keys: Vec<&str> = ENDPOINTS.iter().map(|e| e.key).collect();
        assert_eq!(keys, AwsClients::SERVICES);
        let source = include_str!("clients.rs");
        for key in AwsClients::SERVICES {
            assert!(
                source.contains(&format!("\"{key}\"\n            ),"))
                    || source.contains(&format!("\"{key}\"),")),
                "no client! call uses {key}"
            );
        }
    }
}
