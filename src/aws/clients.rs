//! Service clients built from one SDK configuration, with the provider block's endpoint
//! overrides. Each is built on first use: most of the provider's resident memory is the code
//! it has run, and a command that never calls a service never runs that SDK's setup.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use super::error::{classify, AwsError};

/// Service clients built from one SDK configuration.
#[derive(Clone, Debug)]
pub struct AwsClients {
    pub ec2: Lazy<aws_sdk_ec2::Client>,
    pub sts: Lazy<aws_sdk_sts::Client>,
    pub ecs: Lazy<aws_sdk_ecs::Client>,
    pub iam: Lazy<aws_sdk_iam::Client>,
    pub logs: Lazy<aws_sdk_cloudwatchlogs::Client>,
    pub rds: Lazy<aws_sdk_rds::Client>,
    pub elasticache: Lazy<aws_sdk_elasticache::Client>,
    pub elbv2: Lazy<aws_sdk_elasticloadbalancingv2::Client>,
    pub acm: Lazy<aws_sdk_acm::Client>,
    /// ACM in us-east-1, where CloudFront's certificates live.
    pub acm_us_east_1: Lazy<aws_sdk_acm::Client>,
    pub cloudfront: Lazy<aws_sdk_cloudfront::Client>,
    pub scheduler: Lazy<aws_sdk_scheduler::Client>,
    pub secretsmanager: Lazy<aws_sdk_secretsmanager::Client>,
    pub autoscaling: Lazy<aws_sdk_applicationautoscaling::Client>,
    pub servicediscovery: Lazy<aws_sdk_servicediscovery::Client>,
    pub s3: Lazy<aws_sdk_s3::Client>,
    pub sns: Lazy<aws_sdk_sns::Client>,
    pub sqs: Lazy<aws_sdk_sqs::Client>,
}

/// A client built the first time it is used; it derefs to the client. `From` wraps a client
/// built already (the tests' mocked clients).
#[derive(Clone)]
pub struct Lazy<T> {
    built: OnceLock<T>,
    build: Arc<dyn Fn() -> T + Send + Sync>,
}

impl<T> Lazy<T> {
    pub fn new(build: impl Fn() -> T + Send + Sync + 'static) -> Lazy<T> {
        Lazy {
            built: OnceLock::new(),
            build: Arc::new(build),
        }
    }

    /// Whether the client has been built.
    pub fn is_built(&self) -> bool {
        self.built.get().is_some()
    }
}

impl<T: Clone + Send + Sync + 'static> From<T> for Lazy<T> {
    fn from(client: T) -> Lazy<T> {
        let lazy = Lazy::new({
            let client = client.clone();
            move || client.clone()
        });
        let _ = lazy.built.set(client);
        lazy
    }
}

impl<T> Deref for Lazy<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.built.get_or_init(|| (self.build)())
    }
}

impl<T> fmt::Debug for Lazy<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lazy")
            .field("built", &self.is_built())
            .finish()
    }
}

/// A client of one service with the `endpoints { … }` override applied, built on first use.
/// `$service` is the service's key in [`ENDPOINTS`](super::endpoints::ENDPOINTS).
macro_rules! client {
    ($sdk:expr, $endpoints:expr, $crate_name:ident, $service:literal) => {{
        let sdk = $sdk.clone();
        let url = $endpoints.get($service).cloned();
        Lazy::new(move || {
            let mut builder = $crate_name::config::Builder::from(&sdk);
            if let Some(url) = &url {
                builder = builder.endpoint_url(url);
            }
            $crate_name::Client::from_conf(builder.build())
        })
    }};
}

impl AwsClients {
    /// The endpoint keys the clients below are built with, sorted: exactly the keys of
    /// [`ENDPOINTS`](super::endpoints::ENDPOINTS) (a unit test holds them equal).
    pub const SERVICES: &'static [&'static str] = &[
        "acm",
        "appautoscaling",
        "cloudfront",
        "ec2",
        "ecs",
        "elasticache",
        "elbv2",
        "iam",
        "logs",
        "rds",
        "s3",
        "scheduler",
        "secretsmanager",
        "servicediscovery",
        "sns",
        "sqs",
        "sts",
    ];

    /// Builds clients; `endpoints` maps endpoint keys (`ec2`, `appautoscaling`, …; aliases
    /// already resolved to their key) to URL overrides.
    pub fn new(sdk: &aws_config::SdkConfig, endpoints: &BTreeMap<String, String>) -> AwsClients {
        AwsClients::with_s3_path_style(sdk, endpoints, false)
    }

    /// [`AwsClients::new`], addressing S3 buckets by path when `s3_path_style` (the provider
    /// block's `s3_use_path_style`).
    pub fn with_s3_path_style(
        sdk: &aws_config::SdkConfig,
        endpoints: &BTreeMap<String, String>,
        s3_path_style: bool,
    ) -> AwsClients {
        let s3 = {
            let sdk = sdk.clone();
            let url = endpoints.get("s3").cloned();
            Lazy::new(move || {
                let mut builder =
                    aws_sdk_s3::config::Builder::from(&sdk).force_path_style(s3_path_style);
                if let Some(url) = &url {
                    builder = builder.endpoint_url(url);
                }
                aws_sdk_s3::Client::from_conf(builder.build())
            })
        };
        AwsClients {
            s3,
            ec2: client!(sdk, endpoints, aws_sdk_ec2, "ec2"),
            sts: client!(sdk, endpoints, aws_sdk_sts, "sts"),
            ecs: client!(sdk, endpoints, aws_sdk_ecs, "ecs"),
            iam: client!(sdk, endpoints, aws_sdk_iam, "iam"),
            logs: client!(sdk, endpoints, aws_sdk_cloudwatchlogs, "logs"),
            rds: client!(sdk, endpoints, aws_sdk_rds, "rds"),
            elasticache: client!(sdk, endpoints, aws_sdk_elasticache, "elasticache"),
            elbv2: client!(sdk, endpoints, aws_sdk_elasticloadbalancingv2, "elbv2"),
            acm: client!(sdk, endpoints, aws_sdk_acm, "acm"),
            acm_us_east_1: {
                let sdk = sdk
                    .to_builder()
                    .region(aws_config::Region::new("us-east-1"))
                    .build();
                client!(sdk, endpoints, aws_sdk_acm, "acm")
            },
            cloudfront: client!(sdk, endpoints, aws_sdk_cloudfront, "cloudfront"),
            scheduler: client!(sdk, endpoints, aws_sdk_scheduler, "scheduler"),
            secretsmanager: client!(sdk, endpoints, aws_sdk_secretsmanager, "secretsmanager"),
            autoscaling: client!(
                sdk,
                endpoints,
                aws_sdk_applicationautoscaling,
                "appautoscaling"
            ),
            servicediscovery: client!(sdk, endpoints, aws_sdk_servicediscovery, "servicediscovery"),
            sns: client!(sdk, endpoints, aws_sdk_sns, "sns"),
            sqs: client!(sdk, endpoints, aws_sdk_sqs, "sqs"),
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
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .build();
        let clients = AwsClients::new(&sdk, &BTreeMap::new());
        assert!(!clients.ec2.is_built(), "built only when used");
        let _ = clients.ec2.config();
        assert!(clients.ec2.is_built());
        assert!(!clients.rds.is_built(), "one client's use builds no other");
        let source = include_str!("clients.rs");
        for key in AwsClients::SERVICES {
            assert!(
                source.contains(&format!("\"{key}\"\n            ),"))
                    || source.contains(&format!("\"{key}\"),"))
                    || source.contains(&format!("endpoints.get(\"{key}\")")),
                "no client uses {key}"
            );
        }
    }
}
