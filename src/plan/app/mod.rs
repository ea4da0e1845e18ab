//! Typed input of the app-layer resources (`platform_service`, `platform_database`,
//! `platform_cache`), one file each with its validation, and what they share: the
//! environment facts they build on, names, IDs and maintenance windows.

mod bucket;
mod cache;
mod database;
mod messaging;
mod schedule;
mod service;
mod timezones;

use std::collections::BTreeMap;

use crate::framework::diag::Diagnostics;
use crate::framework::path::AttrPath;

use super::node::{Kind, NodeKey};
use super::spec::{CapacitySpec, Tier};

pub use bucket::{
    bucket_name, certificate_covers, certificate_region, check_certificate_names, validate_bucket,
    BucketSpec, CdnSpec, CorsSpec, DEFAULT_PRICE_CLASS, MAX_BUCKET_NAME, MAX_TTL, PRICE_CLASSES,
};
pub use cache::{validate_cache, validate_cache_known, CacheSpec};
pub use database::{
    validate_database, validate_database_known, validate_engine_change, DatabaseSpec, StorageSpec,
    DB_LOG_EXPORTS, STORAGE_TYPES,
};
pub use messaging::{
    dead_letter_name, messaging_name, validate_queue, validate_topic, QueueSpec, TopicRef,
    TopicSpec, MAX_QUEUE_NAME,
};
pub use schedule::{
    is_timezone, runs_per_month, schedule_name, validate_schedules, Expression, RateUnit,
    ScheduleSpec, DEFAULT_TIMEZONE, MAX_SCHEDULE_NAME,
};
pub use service::{
    access_secrets, access_variable_names, assign_priority, fargate_memory_allowed, fnv1a,
    is_catch_all, is_dns_label, is_secret_reference, secret_resource_arn, validate_service,
    validate_service_known, AccessRef, AutoscalingSpec, BucketAccess, DeploymentSpec, HealthCheck,
    IamSpec, ImageSource, InternalSpec, MessagingAccess, MessagingKind, QueueScaling, RoutingSpec,
    ServiceSpec, Sidecar, FARGATE_CPU,
};

/// What an app resource needs from its environment: its settings (tier, logging, capacity,
/// recovery window) and the IDs of the objects apps refer to. Looked up once per provider
/// process and shared by every app resource of the environment (`resources::facts`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentFacts {
    pub name: String,
    pub tier: Tier,
    pub region: String,
    /// The environment's objects apps refer to (VPC, subnets of every tier, security groups,
    /// cluster, load balancer and listeners, data subnet groups), by the node keys the
    /// environment gives them → AWS ID.
    pub ids: BTreeMap<NodeKey, String>,
    pub log_retention_days: u32,
    pub log_kms_key_arn: Option<String>,
    pub capacity: CapacitySpec,
    pub secret_recovery_window_days: u32,
    /// The HTTPS listener's certificate, when the environment has ingress.
    pub certificate_arn: Option<String>,
    pub load_balancer_dns_name: Option<String>,
    /// The environment's Cloud Map namespace, when it has `service_discovery`.
    pub service_discovery: Option<NamespaceFacts>,
}

/// The environment's Service Connect namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceFacts {
    /// Its DNS name.
    pub name: String,
    /// Its ARN, as the cluster's Service Connect default; `None` while it is not the default
    /// (the environment's apply sets it).
    pub arn: Option<String>,
}

impl EnvironmentFacts {
    pub fn vpc_id(&self) -> Option<&str> {
        self.ids
            .get(&NodeKey::new(Kind::Vpc, &[]))
            .map(String::as_str)
    }

    pub fn cluster_arn(&self) -> Option<&str> {
        self.ids
            .get(&NodeKey::new(Kind::EcsCluster, &[]))
            .map(String::as_str)
    }

    /// The account the environment is in: the one of its cluster's ARN.
    pub fn account_id(&self) -> Option<&str> {
        self.cluster_arn()
            .and_then(|arn| arn.split(':').nth(4))
            .filter(|account| !account.is_empty())
    }

    /// The HTTPS listener's ARN, when the environment has ingress.
    pub fn https_listener_arn(&self) -> Option<&str> {
        self.ids
            .get(&NodeKey::new(Kind::Listener, &["https"]))
            .map(String::as_str)
    }

    /// Keys of the private subnets, sorted.
    pub fn private_subnets(&self) -> Vec<NodeKey> {
        self.subnets("private")
    }

    pub fn subnets(&self, tier: &str) -> Vec<NodeKey> {
        let prefix = format!("{}/{tier}/", Kind::Subnet.prefix());
        self.ids
            .keys()
            .filter(|k| k.as_str().starts_with(&prefix))
            .cloned()
            .collect()
    }

    /// The environment's objects among `keys`, with their IDs (absent ones left out).
    pub fn references(&self, keys: &[NodeKey]) -> BTreeMap<NodeKey, String> {
        keys.iter()
            .filter_map(|k| Some((k.clone(), self.ids.get(k)?.clone())))
            .collect()
    }

    pub fn https_listener(&self) -> Option<NodeKey> {
        let key = NodeKey::new(Kind::Listener, &["https"]);
        self.ids.contains_key(&key).then_some(key)
    }
}

/// `1–24 chars [a-z0-9-]`, starting with a letter, not ending with `-`, no `--` (names end up
/// in RDS and ElastiCache identifiers, which forbid that).
pub fn validate_app_name(name: &str, path: &AttrPath) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let valid_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let starts = name.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    if name.is_empty()
        || name.len() > 24
        || !valid_chars
        || !starts
        || name.ends_with('-')
        || name.contains("--")
    {
        diags.error_at(
            path.clone(),
            "Invalid name",
            format!("{name:?} must be 1 to 24 characters of a-z, 0-9 and '-', start with a letter, and neither end with '-' nor contain '--'."),
        );
    }
    diags
}

/// Splits an app resource ID `<environment>/<name>`.
pub fn split_id(id: &str) -> Option<(&str, &str)> {
    let (env, name) = id.split_once('/')?;
    (!env.is_empty() && !name.is_empty() && !name.contains('/')).then_some((env, name))
}

/// The major version: `17` of `17` or `17.4`.
pub fn major_of(version: &str) -> &str {
    version.split('.').next().unwrap_or(version)
}

/// `ddd:hh24:mi-ddd:hh24:mi` (maintenance) or `hh24:mi-hh24:mi` (backup and snapshots).
pub fn is_window(text: &str, with_day: bool) -> bool {
    let Some((a, b)) = text.split_once('-') else {
        return false;
    };
    let point = |p: &str| {
        let rest = if with_day {
            match p.split_once(':') {
                Some((day, rest))
                    if ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                        .contains(&day.to_ascii_lowercase().as_str()) =>
                {
                    rest
                }
                _ => return false,
            }
        } else {
            p
        };
        match rest.split_once(':') {
            Some((h, m)) => {
                h.len() == 2
                    && m.len() == 2
                    && h.parse::<u32>().is_ok_and(|h| h < 24)
                    && m.parse::<u32>().is_ok_and(|m| m < 60)
            }
            None => false,
        }
    };
    point(a) && point(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_ids() {
        assert!(is_window("sun:05:00-sun:06:00", true));
        assert!(!is_window("sun:25:00-sun:06:00", true));
        assert!(is_window("03:00-04:00", false));
        assert!(!is_window("3:00-4:00", false));
        assert_eq!(split_id("dev/api"), Some(("dev", "api")));
        assert_eq!(split_id("dev"), None);
        assert_eq!(split_id("dev/a/b"), None);
    }

    #[test]
    fn app_names() {
        for ok in ["api", "a1", "web-app"] {
            assert!(validate_app_name(ok, &AttrPath::root()).is_empty(), "{ok}");
        }
        for bad in [
            "",
            "1api",
            "Api",
            "api-",
            "a--b",
            "abcdefghijklmnopqrstuvwxy",
        ] {
            assert!(
                validate_app_name(bad, &AttrPath::root()).has_errors(),
                "{bad}"
            );
        }
    }
}
