//! `platform_database`'s typed configuration and state, configuration → `DatabaseSpec` with
//! the tier's defaults, validation, and the configuration an import recovers. Pure: no AWS
//! calls.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::framework::diag::Diagnostics;
use crate::framework::path::AttrPath;
use crate::framework::value::de::Unjudged;
use crate::framework::value::Planned;
use crate::plan::app::{
    validate_database_known, validate_engine_change, DatabaseSpec, EnvironmentFacts, StorageSpec,
};
use crate::plan::expand::database as expand;
use crate::plan::ledger::Ledger;
use crate::plan::node::ChildSpec;
use crate::plan::tiers::DatabaseDefaults;
use crate::resources::app::model::{placeholder_env, CommonPrior};
use crate::resources::tags::merged_tags;
use crate::resources::timeouts::Timeouts;

/// `platform_database`'s arguments as written, the common ones included. `None` is null (or,
/// read by validate, not known yet).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseConfig {
    pub environment_id: Option<String>,
    pub name: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
    pub timeouts: Option<Timeouts>,
    pub engine: Option<String>,
    pub engine_version: Option<String>,
    pub allow_major_version_upgrade: Option<bool>,
    pub instance_class: Option<String>,
    pub database_name: Option<String>,
    pub master_username: Option<String>,
    pub multi_az: Option<bool>,
    pub kms_key_arn: Option<String>,
    pub deletion_protection: Option<bool>,
    pub final_snapshot: Option<bool>,
    pub apply_immediately: Option<bool>,
    pub performance_insights: Option<bool>,
    pub log_exports: Option<Vec<String>>,
    pub parameters: Option<BTreeMap<String, String>>,
    pub extended_support: Option<bool>,
    pub maintenance_window: Option<String>,
    pub storage: Option<StorageConfig>,
    pub backup: Option<BackupConfig>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageConfig {
    pub allocated_gib: Option<u32>,
    pub max_allocated_gib: Option<u32>,
    #[serde(rename = "type")]
    pub storage_type: Option<String>,
    pub iops: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupConfig {
    pub retention_days: Option<u32>,
    pub window: Option<String>,
}

/// The live instance facts a prior state records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct DatabasePrior {
    pub address: Option<String>,
    pub port: Option<i64>,
    pub endpoint: Option<String>,
    pub engine_version_actual: Option<String>,
    pub instance_arn: Option<String>,
    pub master_secret_arn: Option<String>,
}

/// `platform_database`'s computed attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatabaseComputed {
    pub connection_secret_arn: Planned<String>,
    pub security_group_id: Planned<String>,
    pub parameter_group_name: Planned<String>,
    pub address: Planned<String>,
    /// Null until the instance reports one.
    pub port: Planned<Option<i64>>,
    pub endpoint: Planned<String>,
    pub engine_version_actual: Planned<String>,
    pub instance_arn: Planned<String>,
    pub master_secret_arn: Planned<String>,
}

/// Reads the configuration with the environment's tier defaults.
pub fn spec_of(
    config: &DatabaseConfig,
    env: &EnvironmentFacts,
    default_tags: &BTreeMap<String, String>,
) -> DatabaseSpec {
    let d = DatabaseDefaults::for_tier(env.tier);
    let name = config.name.clone().unwrap_or_default();
    let storage = config.storage.clone().unwrap_or_default();
    let backup = config.backup.clone().unwrap_or_default();
    let mut log_exports = config
        .log_exports
        .clone()
        .unwrap_or_else(|| vec!["postgresql".to_string(), "upgrade".to_string()]);
    log_exports.sort();
    log_exports.dedup();
    DatabaseSpec {
        environment: env.name.clone(),
        database_name: config
            .database_name
            .clone()
            .unwrap_or_else(|| name.replace('-', "_")),
        name,
        engine: config
            .engine
            .clone()
            .unwrap_or_else(|| "postgres".to_string()),
        engine_version: config
            .engine_version
            .clone()
            .unwrap_or_else(|| d.engine_version.to_string()),
        allow_major_version_upgrade: config.allow_major_version_upgrade.unwrap_or(false),
        instance_class: config
            .instance_class
            .clone()
            .unwrap_or_else(|| d.instance_class.to_string()),
        master_username: config
            .master_username
            .clone()
            .unwrap_or_else(|| "platform_admin".to_string()),
        multi_az: config.multi_az.unwrap_or(d.multi_az),
        kms_key_arn: config.kms_key_arn.clone(),
        deletion_protection: config.deletion_protection.unwrap_or(d.deletion_protection),
        final_snapshot: config.final_snapshot.unwrap_or(d.final_snapshot),
        apply_immediately: config.apply_immediately.unwrap_or(d.apply_immediately),
        performance_insights: config
            .performance_insights
            .unwrap_or(d.performance_insights),
        log_exports,
        parameters: config.parameters.clone().unwrap_or_default(),
        extended_support: config.extended_support.unwrap_or(false),
        maintenance_window: config.maintenance_window.clone(),
        storage: StorageSpec {
            allocated_gib: storage.allocated_gib.unwrap_or(d.allocated_gib),
            max_allocated_gib: storage.max_allocated_gib.unwrap_or(d.max_allocated_gib),
            storage_type: storage.storage_type.unwrap_or_else(|| "gp3".to_string()),
            iops: storage.iops,
        },
        backup_retention_days: backup.retention_days.unwrap_or(d.backup_retention_days),
        backup_window: backup.window,
        secret_recovery_window_days: env.secret_recovery_window_days,
        tags: merged_tags(default_tags, config.tags.as_ref()),
    }
}

/// ValidateResourceConfig's own checks, on what is known, against a placeholder environment.
pub fn validate(config: &DatabaseConfig, unjudged: &Unjudged) -> Diagnostics {
    let env = placeholder_env(config.environment_id.as_deref().unwrap_or_default());
    validate_database_known(&spec_of(config, &env, &BTreeMap::new()), unjudged)
}

/// Destroy is refused while the resolved setting (the staging and prod default included) is
/// on, naming the setting to flip.
pub fn refuse_destroy(prior: &CommonPrior) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if prior.effective("deletion_protection") == Some("true") {
        let id = prior.id.as_deref().unwrap_or_default();
        diags.error_at(
            AttrPath::attrs(&["deletion_protection"]),
            "Database is protected from deletion",
            format!("Database {id:?} has deletion_protection enabled (the staging and prod default), so destroying it was refused and nothing was deleted. To destroy it, first set deletion_protection = false and run `terraform apply`, then destroy."),
        );
    }
    diags
}

pub fn effective_config(spec: &DatabaseSpec) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        out.insert(k.to_string(), v);
    };
    put("engine", spec.engine.clone());
    put("engine_version", spec.engine_version.clone());
    put("instance_class", spec.instance_class.clone());
    put("database_name", spec.database_name.clone());
    put("master_username", spec.master_username.clone());
    put("multi_az", spec.multi_az.to_string());
    put("deletion_protection", spec.deletion_protection.to_string());
    put("final_snapshot", spec.final_snapshot.to_string());
    put("apply_immediately", spec.apply_immediately.to_string());
    put(
        "performance_insights",
        spec.performance_insights.to_string(),
    );
    put("log_exports", spec.log_exports.join(","));
    put("extended_support", spec.extended_support.to_string());
    put(
        "storage.allocated_gib",
        spec.storage.allocated_gib.to_string(),
    );
    put(
        "storage.max_allocated_gib",
        spec.storage.max_allocated_gib.to_string(),
    );
    put("storage.type", spec.storage.storage_type.clone());
    put("storage.encrypted", "true".to_string());
    put(
        "backup.retention_days",
        spec.backup_retention_days.to_string(),
    );
    for (k, v) in expand::parameters(spec) {
        put(&format!("parameters.{k}"), v);
    }
    out
}

/// Checks against what exists: storage never shrinks, versions only move as allowed.
pub fn check_against_ledger(spec: &DatabaseSpec, ledger: &Ledger) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let Some(ChildSpec::DbInstance(live)) = ledger
        .children
        .get(&expand::instance_key())
        .map(|r| &r.observed)
    else {
        return diags;
    };
    if spec.storage.allocated_gib < live.allocated_gib {
        diags.error_at(
            AttrPath::attrs(&["storage", "allocated_gib"]),
            "Storage cannot shrink",
            format!(
                "allocated_gib = {} is below the instance's {} GiB; RDS cannot reduce storage.",
                spec.storage.allocated_gib, live.allocated_gib
            ),
        );
    }
    diags.extend(validate_engine_change(&live.engine_version, spec));
    diags
}

/// The arguments an imported database's instance shows, where they differ from the defaults.
pub fn imported_config(ledger: &Ledger, env: &EnvironmentFacts, config: &mut DatabaseConfig) {
    let d = DatabaseDefaults::for_tier(env.tier);
    let Some(ChildSpec::DbInstance(db)) = ledger
        .children
        .get(&expand::instance_key())
        .map(|r| &r.observed)
    else {
        return;
    };
    let differs = |value: &str, default: &str| (value != default).then(|| value.to_string());
    if let Some(version) = differs(&db.engine_version, d.engine_version) {
        config.engine_version = Some(version);
    }
    if let Some(class) = differs(&db.instance_class, d.instance_class) {
        config.instance_class = Some(class);
    }
    if let Some(user) = differs(&db.master_username, "platform_admin") {
        config.master_username = Some(user);
    }
    for (field, value, default) in [
        (&mut config.multi_az, db.multi_az, d.multi_az),
        (
            &mut config.deletion_protection,
            db.deletion_protection,
            d.deletion_protection,
        ),
        (
            &mut config.performance_insights,
            db.performance_insights,
            d.performance_insights,
        ),
        (&mut config.extended_support, db.extended_support, false),
    ] {
        if value != default {
            *field = Some(value);
        }
    }
    if let Some(kms) = &db.kms_key_arn {
        config.kms_key_arn = Some(kms.clone());
    }
    let storage = StorageConfig {
        allocated_gib: (db.allocated_gib != d.allocated_gib).then_some(db.allocated_gib),
        max_allocated_gib: (db.max_allocated_gib != d.max_allocated_gib)
            .then_some(db.max_allocated_gib),
        ..StorageConfig::default()
    };
    if storage != StorageConfig::default() {
        config.storage = Some(storage);
    }
    if db.backup_retention_days != d.backup_retention_days {
        config.backup = Some(BackupConfig {
            retention_days: Some(db.backup_retention_days),
            window: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::schema::Schema;
    use crate::framework::value::de;
    use crate::resources::app::database::schema::arg_block;
    use crate::resources::app::schema::common_block;

    #[test]
    fn the_model_matches_the_schema() {
        let ty = Schema::new(0, common_block(arg_block(), "database")).value_type();
        assert_eq!(
            de::check_fields::<DatabaseConfig>(&ty),
            Vec::<String>::new()
        );
        assert_eq!(de::check_fields::<DatabasePrior>(&ty), Vec::<String>::new());
    }

    #[test]
    fn a_protected_database_refuses_destroy_naming_the_setting() {
        let prior = |protected: &str| CommonPrior {
            id: Some("prod/main".into()),
            effective_config: Some([("deletion_protection".into(), protected.into())].into()),
            ..CommonPrior::default()
        };
        let diags = refuse_destroy(&prior("true"));
        assert_eq!(
            diags.0[0].path,
            Some(AttrPath::attrs(&["deletion_protection"]))
        );
        assert!(diags.0[0].detail.contains("\"prod/main\""));
        assert!(refuse_destroy(&prior("false")).is_empty());
        assert!(refuse_destroy(&CommonPrior::default()).is_empty());
    }
}
