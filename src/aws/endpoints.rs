//! The services whose endpoint the provider block's `endpoints { … }` overrides, under the
//! names hashicorp/aws uses, with its aliases. Every name here routes one client in
//! `AwsClients::new`; a name not here is refused by Terraform at validate.

/// One overridable service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// hashicorp/aws's name for it.
    pub key: &'static str,
    /// Other names hashicorp/aws accepts for the same service; at most one may be set.
    pub aliases: &'static [&'static str],
}

impl Endpoint {
    /// The key and the aliases.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        std::iter::once(self.key).chain(self.aliases.iter().copied())
    }
}

/// Every service the provider calls, sorted by key.
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        key: "acm",
        aliases: &[],
    },
    Endpoint {
        key: "appautoscaling",
        aliases: &["applicationautoscaling"],
    },
    Endpoint {
        key: "cloudfront",
        aliases: &[],
    },
    Endpoint {
        key: "ec2",
        aliases: &[],
    },
    Endpoint {
        key: "ecs",
        aliases: &[],
    },
    Endpoint {
        key: "elasticache",
        aliases: &[],
    },
    Endpoint {
        key: "elbv2",
        aliases: &["elasticloadbalancingv2"],
    },
    Endpoint {
        key: "iam",
        aliases: &[],
    },
    Endpoint {
        key: "logs",
        aliases: &["cloudwatchlog", "cloudwatchlogs"],
    },
    Endpoint {
        key: "rds",
        aliases: &[],
    },
    Endpoint {
        key: "s3",
        aliases: &["s3api"],
    },
    Endpoint {
        key: "scheduler",
        aliases: &[],
    },
    Endpoint {
        key: "secretsmanager",
        aliases: &[],
    },
    Endpoint {
        key: "servicediscovery",
        aliases: &[],
    },
    Endpoint {
        key: "sns",
        aliases: &[],
    },
    Endpoint {
        key: "sqs",
        aliases: &[],
    },
    Endpoint {
        key: "sts",
        aliases: &[],
    },
];

/// The service a name (key or alias) overrides.
pub fn service_of(name: &str) -> Option<&'static Endpoint> {
    ENDPOINTS.iter().find(|e| e.names().any(|n| n == name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_resolve_to_their_service() {
        let mut seen = std::collections::BTreeSet::new();
        for endpoint in ENDPOINTS {
            for name in endpoint.names() {
                assert!(seen.insert(name), "{name} listed twice");
                assert_eq!(service_of(name).map(|e| e.key), Some(endpoint.key));
            }
        }
        assert_eq!(service_of("application_autoscaling"), None);
    }
}
