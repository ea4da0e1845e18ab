//! `platform_database`: RDS PostgreSQL on an environment's data tier.

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::aws;
use crate::framework::diag::Diagnostics;
use crate::framework::path::AttrPath;
use crate::framework::plan_modifier::PlanModifier;
use crate::framework::schema::{Attribute, Block};
use crate::framework::validator::Validator;
use crate::framework::value::Value;
use crate::plan::app::{
    validate_database, validate_engine_change, DatabaseSpec, EnvironmentFacts, StorageSpec,
};
use crate::plan::expand::database::{self as expand, expand_database};
use crate::plan::ledger::Ledger;
use crate::plan::node::ChildSpec;
use crate::plan::tiers::DatabaseDefaults;
use crate::resources::configured::Configured;

use super::fields::{block, boolean, string, string_map, string_set, uint};
use super::{merged_tags, only_configured, AppKind, Ids, Mode, Prepared};

pub struct Database;

pub type DatabaseResource = super::AppResource<Database>;

fn arg_block() -> Block {
    let storage = Block::new("Storage: gp3 by default, autoscaled up to `max_allocated_gib`, always encrypted.")
        .attribute(Attribute::number("allocated_gib").optional().description("GiB, 20–65536; decreases fail the plan. Default by tier: dev 20, staging 50, prod 100."))
        .attribute(Attribute::number("max_allocated_gib").optional().description("Storage autoscaling ceiling in GiB; 0 turns it off. Default by tier: dev 50, staging 200, prod 1000."))
        .attribute(Attribute::string("type").optional().description("`gp3` (default), `gp2`, `io1` or `io2`."))
        .attribute(Attribute::number("iops").optional().description("Provisioned IOPS (gp3 above the baseline, io1/io2)."));
    let backup = Block::new("Automated backups.")
        .attribute(
            Attribute::number("retention_days")
                .optional()
                .description("0–35. Default by tier: dev 1, staging 7, prod 35.")
                .validate(Validator::IntBetween(0, 35)),
        )
        .attribute(
            Attribute::string("window")
                .optional()
                .description("Daily UTC window, e.g. `03:00-04:00`. Default: chosen by RDS."),
        );
    Block::new("RDS PostgreSQL on the environment's data tier, encrypted, with the master password managed by RDS in Secrets Manager (never in state) and a connection secret holding `DATABASE_URL` for services.")
        .attribute(Attribute::string("engine").optional().description("`postgres` (default). Changing it replaces the database.").modifier(PlanModifier::RequiresReplace))
        .attribute(Attribute::string("engine_version").optional().description("`17` follows any 17.x (AWS minor upgrades are not drift); `17.4` pins. A major bump needs `allow_major_version_upgrade`; a downgrade fails the plan. Default `17`."))
        .attribute(Attribute::bool("allow_major_version_upgrade").optional().description("Default false."))
        .attribute(Attribute::string("instance_class").optional().description("Checked against the provider's catalogue. Default by tier: dev db.t4g.micro, staging db.t4g.medium, prod db.m7g.large."))
        .attribute(Attribute::string("database_name").optional().description("Default: the name with `-` as `_`. Changing it replaces the database.").modifier(PlanModifier::RequiresReplace))
        .attribute(Attribute::string("master_username").optional().description("Default `platform_admin`. Changing it replaces the database.").modifier(PlanModifier::RequiresReplace))
        .attribute(Attribute::bool("multi_az").optional().description("Default by tier: prod true, else false."))
        .attribute(Attribute::string("kms_key_arn").optional().description("KMS key for storage; the AWS-managed key when unset. Changing it replaces the database.").modifier(PlanModifier::RequiresReplace))
        .attribute(Attribute::bool("deletion_protection").optional().description("Refuses destroy while true. Default by tier: dev false, staging and prod true."))
        .attribute(Attribute::bool("final_snapshot").optional().description("Destroy takes a final snapshot with a unique timestamped name. Default by tier: dev false, staging and prod true."))
        .attribute(Attribute::bool("apply_immediately").optional().description("Default by tier: dev and staging true, prod false (changes wait for the maintenance window)."))
        .attribute(Attribute::bool("performance_insights").optional().description("7 days of Performance Insights. Default by tier: dev false, staging and prod true."))
        .attribute(Attribute::string_list("log_exports").optional().description("CloudWatch log exports. Default `[\"postgresql\", \"upgrade\"]`."))
        .attribute(Attribute::string_map("parameters").optional().description("Parameters over `rds.force_ssl = 1`, in the database's own parameter group."))
        .attribute(Attribute::bool("extended_support").optional().description("Allow RDS Extended Support (charged) past end of standard support. Default false."))
        .attribute(Attribute::string("maintenance_window").optional().description("Weekly UTC window, e.g. `sun:05:00-sun:06:00`."))
        .single_block("storage", storage)
        .single_block("backup", backup)
        .attribute(Attribute::string("address").computed().description("Host name of the instance."))
        .attribute(Attribute::number("port").computed().description("Port of the instance."))
        .attribute(Attribute::string("endpoint").computed().description("`<address>:<port>`."))
        .attribute(Attribute::string("engine_version_actual").computed().description("The full engine version running."))
        .attribute(Attribute::string("instance_arn").computed().description("ARN of the instance."))
        .attribute(Attribute::string("master_secret_arn").computed().description("ARN of the master-user secret RDS manages."))
        .attribute(Attribute::string("connection_secret_arn").computed().description("ARN of the connection secret (JSON `url`, `host`, `port`, `dbname`, `username`, `password`)."))
        .attribute(Attribute::string("security_group_id").computed().description("ID of the database's security group (PostgreSQL only from services given access)."))
        .attribute(Attribute::string("parameter_group_name").computed().description("Name of the database's parameter group."))
}

fn parse(
    config: &Value,
    env: &EnvironmentFacts,
    default_tags: &BTreeMap<String, String>,
) -> DatabaseSpec {
    let d = DatabaseDefaults::for_tier(env.tier);
    let name = string(config.get("name")).unwrap_or_default();
    let storage = block(config.get("storage")).unwrap_or(&Value::Null);
    let backup = block(config.get("backup")).unwrap_or(&Value::Null);
    DatabaseSpec {
        environment: env.name.clone(),
        database_name: string(config.get("database_name"))
            .unwrap_or_else(|| name.replace('-', "_")),
        name,
        engine: string(config.get("engine")).unwrap_or_else(|| "postgres".to_string()),
        engine_version: string(config.get("engine_version"))
            .unwrap_or_else(|| d.engine_version.to_string()),
        allow_major_version_upgrade: boolean(config.get("allow_major_version_upgrade"))
            .unwrap_or(false),
        instance_class: string(config.get("instance_class"))
            .unwrap_or_else(|| d.instance_class.to_string()),
        master_username: string(config.get("master_username"))
            .unwrap_or_else(|| "platform_admin".to_string()),
        multi_az: boolean(config.get("multi_az")).unwrap_or(d.multi_az),
        kms_key_arn: string(config.get("kms_key_arn")),
        deletion_protection: boolean(config.get("deletion_protection"))
            .unwrap_or(d.deletion_protection),
        final_snapshot: boolean(config.get("final_snapshot")).unwrap_or(d.final_snapshot),
        apply_immediately: boolean(config.get("apply_immediately")).unwrap_or(d.apply_immediately),
        performance_insights: boolean(config.get("performance_insights"))
            .unwrap_or(d.performance_insights),
        log_exports: string_set(config.get("log_exports"))
            .unwrap_or_else(|| vec!["postgresql".to_string(), "upgrade".to_string()]),
        parameters: string_map(config.get("parameters")).unwrap_or_default(),
        extended_support: boolean(config.get("extended_support")).unwrap_or(false),
        maintenance_window: string(config.get("maintenance_window")),
        storage: StorageSpec {
            allocated_gib: uint(storage.get("allocated_gib")).unwrap_or(d.allocated_gib),
            max_allocated_gib: uint(storage.get("max_allocated_gib"))
                .unwrap_or(d.max_allocated_gib),
            storage_type: string(storage.get("type")).unwrap_or_else(|| "gp3".to_string()),
            iops: uint(storage.get("iops")),
        },
        backup_retention_days: uint(backup.get("retention_days"))
            .unwrap_or(d.backup_retention_days),
        backup_window: string(backup.get("window")),
        secret_recovery_window_days: env.secret_recovery_window_days,
        tags: merged_tags(config, default_tags),
    }
}

fn effective_config(spec: &DatabaseSpec) -> BTreeMap<String, String> {
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
fn check_against_ledger(spec: &DatabaseSpec, ledger: &Ledger) -> Diagnostics {
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

#[async_trait]
impl AppKind for Database {
    type Spec = (DatabaseSpec, EnvironmentFacts);

    const TYPE_NAME: &'static str = "platform_database";
    const NOUN: &'static str = "database";

    fn block() -> Block {
        arg_block()
    }

    fn validate(config: &Value) -> Diagnostics {
        let env = super::placeholder_env(config.get("environment_id").as_str().unwrap_or("env"));
        let spec = parse(config, &env, &BTreeMap::new());
        only_configured(config, validate_database(&spec))
    }

    async fn prepare(
        configured: &Configured,
        config: &Value,
        env: &EnvironmentFacts,
        ledger: &Ledger,
        mode: Mode,
    ) -> Result<Prepared<Self::Spec>, Diagnostics> {
        let spec = parse(config, env, &configured.default_tags);
        if mode.validates() {
            let mut diags = validate_database(&spec);
            diags.extend(check_against_ledger(&spec, ledger));
            if diags.has_errors() {
                return Err(diags);
            }
        }
        let expansion = expand_database(&spec, env);
        Ok(Prepared {
            effective_config: effective_config(&spec),
            spec: (spec, env.clone()),
            nodes: expansion.nodes,
            external: expansion.external,
        })
    }

    async fn computed(
        configured: &Configured,
        spec: &Self::Spec,
        ids: &Ids<'_>,
        prior: &Value,
    ) -> Vec<(&'static str, Value)> {
        let (spec, _) = spec;
        let instance = expand::instance_key();
        let family = format!("postgres{}", spec.major());
        let mut out = vec![
            (
                "connection_secret_arn",
                ids.get(&expand::connection_secret_key()),
            ),
            ("security_group_id", ids.get(&expand::security_group_key())),
            (
                "parameter_group_name",
                ids.get(&expand::parameter_group_key(&family)),
            ),
        ];
        let facts_attrs = [
            "address",
            "port",
            "endpoint",
            "engine_version_actual",
            "instance_arn",
            "master_secret_arn",
        ];
        match ids {
            Ids::Recorded(ledger) => {
                let facts = match ledger.id_of(&instance) {
                    Some(id) => aws::rds::db_instance::instance_facts(&configured.clients.rds, id)
                        .await
                        .ok()
                        .flatten(),
                    None => None,
                };
                let f = facts.as_ref();
                out.push((
                    "address",
                    Value::string(f.map(|f| f.address.clone()).unwrap_or_default()),
                ));
                out.push((
                    "port",
                    f.map_or(Value::Null, |f| Value::int(i64::from(f.port))),
                ));
                out.push((
                    "endpoint",
                    Value::string(
                        f.map(|f| format!("{}:{}", f.address, f.port))
                            .unwrap_or_default(),
                    ),
                ));
                out.push((
                    "engine_version_actual",
                    Value::string(f.map(|f| f.engine_version.clone()).unwrap_or_default()),
                ));
                out.push((
                    "instance_arn",
                    Value::string(f.map(|f| f.arn.clone()).unwrap_or_default()),
                ));
                out.push((
                    "master_secret_arn",
                    Value::string(
                        f.and_then(|f| f.master_secret_arn.clone())
                            .unwrap_or_default(),
                    ),
                ));
            }
            Ids::Planned(_, ops) => {
                let changing = ops.iter().any(|op| {
                    op.key() == &instance && !matches!(op, crate::plan::diff::Op::NoOp(_))
                });
                for attr in facts_attrs {
                    let keep = ids.stable(&instance)
                        && !prior.get(attr).is_null()
                        && !(changing && attr == "engine_version_actual");
                    out.push((
                        attr,
                        if keep {
                            prior.get(attr).clone()
                        } else {
                            Value::Unknown
                        },
                    ));
                }
            }
        }
        out
    }

    fn property_path(property: &str) -> Option<AttrPath> {
        let argument = match property {
            "identifier" => "name",
            "engine" | "database_name" | "master_username" | "kms_key_arn" => property,
            "subnet_group" => "environment_id",
            _ => return None,
        };
        Some(AttrPath::attrs(&[argument]))
    }

    fn refuse_destroy(prior_state: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let protected = prior_state
            .get("effective_config")
            .as_entries()
            .and_then(|e| e.get("deletion_protection"))
            .and_then(Value::as_str)
            == Some("true");
        if protected {
            let id = prior_state.get("id").as_str().unwrap_or_default();
            diags.error_at(
                AttrPath::attrs(&["deletion_protection"]),
                "Database is protected from deletion",
                format!("Database {id:?} has deletion_protection enabled (the staging and prod default), so destroying it was refused and nothing was deleted. To destroy it, first set deletion_protection = false and run `terraform apply`, then destroy."),
            );
        }
        diags
    }

    fn imported_config(ledger: &Ledger, env: &EnvironmentFacts) -> Vec<(&'static str, Value)> {
        let d = DatabaseDefaults::for_tier(env.tier);
        let mut out = Vec::new();
        let Some(ChildSpec::DbInstance(db)) = ledger
            .children
            .get(&expand::instance_key())
            .map(|r| &r.observed)
        else {
            return out;
        };
        let mut put_str = |attr: &'static str, value: &str, default: &str| {
            if value != default {
                out.push((attr, Value::string(value)));
            }
        };
        put_str("engine_version", &db.engine_version, d.engine_version);
        put_str("instance_class", &db.instance_class, d.instance_class);
        put_str("master_username", &db.master_username, "platform_admin");
        for (attr, value, default) in [
            ("multi_az", db.multi_az, d.multi_az),
            (
                "deletion_protection",
                db.deletion_protection,
                d.deletion_protection,
            ),
            (
                "performance_insights",
                db.performance_insights,
                d.performance_insights,
            ),
            ("extended_support", db.extended_support, false),
        ] {
            if value != default {
                out.push((attr, Value::Bool(value)));
            }
        }
        if let Some(kms) = &db.kms_key_arn {
            out.push(("kms_key_arn", Value::string(kms)));
        }
        let mut storage = BTreeMap::new();
        if db.allocated_gib != d.allocated_gib {
            storage.insert(
                "allocated_gib".to_string(),
                Value::int(i64::from(db.allocated_gib)),
            );
        }
        if db.max_allocated_gib != d.max_allocated_gib {
            storage.insert(
                "max_allocated_gib".to_string(),
                Value::int(i64::from(db.max_allocated_gib)),
            );
        }
        if !storage.is_empty() {
            out.push(("storage", Value::Object(storage)));
        }
        if db.backup_retention_days != d.backup_retention_days {
            out.push((
                "backup",
                Value::Object(
                    [(
                        "retention_days".to_string(),
                        Value::int(i64::from(db.backup_retention_days)),
                    )]
                    .into(),
                ),
            ));
        }
        out
    }
}
