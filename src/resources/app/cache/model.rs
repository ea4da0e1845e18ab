//! `platform_cache`'s typed configuration and state, configuration → `CacheSpec` with the
//! tier's defaults, validation, and the configuration an import recovers. Pure: no AWS calls.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::framework::diag::Diagnostics;
use crate::framework::path::AttrPath;
use crate::framework::value::de::Unjudged;
use crate::framework::value::Planned;
use crate::plan::app::{major_of, validate_cache_known, CacheSpec, EnvironmentFacts};
use crate::plan::expand::cache as expand;
use crate::plan::ledger::Ledger;
use crate::plan::node::ChildSpec;
use crate::plan::tiers::CacheDefaults;
use crate::resources::app::model::{placeholder_env, CommonPrior};
use crate::resources::tags::merged_tags;
use crate::resources::timeouts::Timeouts;

/// The default major version of an engine.
fn default_version(engine: &str, defaults: &CacheDefaults) -> &'static str {
    if engine == "redis" {
        "7"
    } else {
        defaults.engine_version
    }
}

/// `platform_cache`'s arguments as written, the common ones included. `None` is null (or,
/// read by validate, not known yet).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheConfig {
    pub environment_id: Option<String>,
    pub name: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
    pub timeouts: Option<Timeouts>,
    /// `valkey` or `redis`: a string, as the spec judges it.
    pub engine: Option<String>,
    pub engine_version: Option<String>,
    pub node_type: Option<String>,
    pub replicas: Option<u32>,
    pub multi_az: Option<bool>,
    pub kms_key_arn: Option<String>,
    pub snapshot_retention_days: Option<u32>,
    pub snapshot_window: Option<String>,
    pub final_snapshot: Option<bool>,
    pub maintenance_window: Option<String>,
}

/// The live replication group facts a prior state records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CachePrior {
    pub primary_endpoint: Option<String>,
    pub reader_endpoint: Option<String>,
    pub port: Option<i64>,
    pub engine_version_actual: Option<String>,
}

/// `platform_cache`'s computed attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CacheComputed {
    pub replication_group_id: Planned<String>,
    pub connection_secret_arn: Planned<String>,
    pub security_group_id: Planned<String>,
    pub primary_endpoint: Planned<String>,
    pub reader_endpoint: Planned<String>,
    /// Null until the group reports one.
    pub port: Planned<Option<i64>>,
    pub engine_version_actual: Planned<String>,
}

/// Reads the configuration with the environment's tier defaults.
pub fn spec_of(
    config: &CacheConfig,
    env: &EnvironmentFacts,
    default_tags: &BTreeMap<String, String>,
) -> CacheSpec {
    let d = CacheDefaults::for_tier(env.tier);
    let engine = config
        .engine
        .clone()
        .unwrap_or_else(|| d.engine.to_string());
    CacheSpec {
        environment: env.name.clone(),
        name: config.name.clone().unwrap_or_default(),
        engine_version: config
            .engine_version
            .clone()
            .unwrap_or_else(|| default_version(&engine, &d).to_string()),
        engine,
        node_type: config
            .node_type
            .clone()
            .unwrap_or_else(|| d.node_type.to_string()),
        replicas: config.replicas.unwrap_or(d.replicas),
        multi_az: config.multi_az.unwrap_or(d.multi_az),
        kms_key_arn: config.kms_key_arn.clone(),
        snapshot_retention_days: config
            .snapshot_retention_days
            .unwrap_or(d.snapshot_retention_days),
        snapshot_window: config.snapshot_window.clone(),
        final_snapshot: config.final_snapshot.unwrap_or(d.final_snapshot),
        maintenance_window: config.maintenance_window.clone(),
        secret_recovery_window_days: env.secret_recovery_window_days,
        tags: merged_tags(default_tags, config.tags.as_ref()),
    }
}

/// ValidateResourceConfig's own checks, on what is known, against a placeholder environment.
pub fn validate(config: &CacheConfig, unjudged: &Unjudged) -> Diagnostics {
    let env = placeholder_env(config.environment_id.as_deref().unwrap_or_default());
    validate_cache_known(&spec_of(config, &env, &BTreeMap::new()), unjudged)
}

/// ElastiCache upgrades redis to valkey in place, but never the other way: valkey → redis
/// replaces the cache.
pub fn replace_paths(prior: &CommonPrior, config: &CacheConfig) -> Vec<AttrPath> {
    let after = config.engine.as_deref().unwrap_or("valkey");
    if prior.effective("engine") == Some("valkey") && after == "redis" {
        vec![AttrPath::attrs(&["engine"])]
    } else {
        Vec::new()
    }
}

pub fn effective_config(spec: &CacheSpec) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        out.insert(k.to_string(), v);
    };
    put("engine", spec.engine.clone());
    put("engine_version", spec.engine_version.clone());
    put("node_type", spec.node_type.clone());
    put("replicas", spec.replicas.to_string());
    put("multi_az", spec.multi_az.to_string());
    put("automatic_failover", spec.multi_az.to_string());
    put(
        "snapshot_retention_days",
        spec.snapshot_retention_days.to_string(),
    );
    put("final_snapshot", spec.final_snapshot.to_string());
    put("transit_encryption", "true".to_string());
    put("at_rest_encryption", "true".to_string());
    out
}

/// The arguments an imported cache's replication group shows, where they differ from the
/// defaults.
pub fn imported_config(ledger: &Ledger, env: &EnvironmentFacts, config: &mut CacheConfig) {
    let d = CacheDefaults::for_tier(env.tier);
    let Some(ChildSpec::ReplicationGroup(rg)) = ledger
        .children
        .get(&expand::replication_group_key())
        .map(|r| &r.observed)
    else {
        return;
    };
    let major = major_of(&rg.engine_version);
    if rg.engine != d.engine {
        config.engine = Some(rg.engine.clone());
    }
    if major != default_version(&rg.engine, &d) {
        config.engine_version = Some(major.to_string());
    }
    if rg.node_type != d.node_type {
        config.node_type = Some(rg.node_type.clone());
    }
    if rg.replicas != d.replicas {
        config.replicas = Some(rg.replicas);
    }
    if rg.multi_az != d.multi_az {
        config.multi_az = Some(rg.multi_az);
    }
    if rg.snapshot_retention_days != d.snapshot_retention_days {
        config.snapshot_retention_days = Some(rg.snapshot_retention_days);
    }
    if let Some(kms) = &rg.kms_key_arn {
        config.kms_key_arn = Some(kms.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::schema::Schema;
    use crate::framework::value::de;
    use crate::resources::app::cache::schema::arg_block;
    use crate::resources::app::schema::common_block;

    #[test]
    fn the_model_matches_the_schema() {
        let ty = Schema::new(0, common_block(arg_block(), "cache")).value_type();
        assert_eq!(de::check_fields::<CacheConfig>(&ty), Vec::<String>::new());
        assert_eq!(de::check_fields::<CachePrior>(&ty), Vec::<String>::new());
    }

    #[test]
    fn valkey_to_redis_replaces_the_cache() {
        let prior = |engine: &str| CommonPrior {
            effective_config: Some([("engine".into(), engine.into())].into()),
            ..CommonPrior::default()
        };
        let to = |engine: Option<&str>| CacheConfig {
            engine: engine.map(str::to_string),
            ..CacheConfig::default()
        };
        assert_eq!(
            replace_paths(&prior("valkey"), &to(Some("redis"))),
            vec![AttrPath::attrs(&["engine"])]
        );
        assert!(replace_paths(&prior("redis"), &to(None)).is_empty());
        assert!(replace_paths(&prior("valkey"), &to(None)).is_empty());
    }

    #[test]
    fn validate_waits_for_the_argument_a_check_compares_with() {
        // replicas unknown: multi_az is not judged against the tier default of 0.
        let config = CacheConfig {
            name: Some("kv".into()),
            multi_az: Some(true),
            ..CacheConfig::default()
        };
        let summaries = |diags: Diagnostics| -> Vec<String> {
            diags.0.into_iter().map(|d| d.summary).collect()
        };
        assert_eq!(
            summaries(validate(&config, &Unjudged::none())),
            ["Multi-AZ needs a replica"]
        );
        let mut value = crate::framework::value::ser::to_value(
            &config,
            &Schema::new(0, common_block(arg_block(), "cache")).value_type(),
        )
        .unwrap();
        value.set("replicas", crate::framework::value::Value::Unknown);
        let read = de::from_known_part::<CacheConfig>(&value).unwrap();
        assert!(validate(&read.value, &read.unjudged).is_empty());
    }
}
