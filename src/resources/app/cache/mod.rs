//! `platform_cache`: an ElastiCache Valkey or Redis replication group on the data tier.

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::aws;
use crate::framework::diag::Diagnostics;
use crate::framework::path::AttrPath;
use crate::framework::plan_modifier::PlanModifier;
use crate::framework::schema::{Attribute, Block};
use crate::framework::validator::Validator;
use crate::framework::value::Value;
use crate::plan::app::{validate_cache, CacheSpec, EnvironmentFacts};
use crate::plan::expand::cache::{self as expand, expand_cache};
use crate::plan::ledger::Ledger;
use crate::plan::node::ChildSpec;
use crate::plan::tiers::CacheDefaults;
use crate::resources::configured::Configured;

use super::fields::{boolean, string, uint};
use super::{merged_tags, only_configured, AppKind, Ids, Mode, Prepared};

pub struct Cache;

pub type CacheResource = super::AppResource<Cache>;

const ENGINES: &[&str] = &["valkey", "redis"];

fn arg_block() -> Block {
    Block::new("An ElastiCache Valkey or Redis replication group on the environment's data tier, encrypted in transit and at rest, with an auth token kept only in Secrets Manager and a connection secret holding `REDIS_URL` for services.")
        .attribute(Attribute::string("engine").optional().description("`valkey` (default) or `redis`. redis → valkey upgrades in place; valkey → redis replaces the cache.").validate(Validator::OneOf(ENGINES)))
        .attribute(Attribute::string("engine_version").optional().description("Major version: valkey 7 or 8 (default 8), redis 6 or 7. Minor upgrades by AWS are not drift."))
        .attribute(Attribute::string("node_type").optional().description("Checked against the provider's catalogue. Default by tier: dev cache.t4g.micro, staging cache.t4g.small, prod cache.m7g.large."))
        .attribute(Attribute::number("replicas").optional().description("Read replicas, 0–5. Default by tier: dev 0, staging 1, prod 2.").validate(Validator::IntBetween(0, 5)))
        .attribute(Attribute::bool("multi_az").optional().description("Multi-AZ with automatic failover; needs replicas >= 1. Default by tier: prod true, else false."))
        .attribute(Attribute::string("kms_key_arn").optional().description("KMS key for encryption at rest; the AWS-managed key when unset. Changing it replaces the cache.").modifier(PlanModifier::RequiresReplace))
        .attribute(Attribute::number("snapshot_retention_days").optional().description("Days of automatic snapshots, 0–35. Default by tier: dev 0, staging 1, prod 7.").validate(Validator::IntBetween(0, 35)))
        .attribute(Attribute::string("snapshot_window").optional().description("Daily UTC window, e.g. `03:00-04:00`."))
        .attribute(Attribute::bool("final_snapshot").optional().description("Destroy takes a final snapshot with a unique timestamped name. Default by tier: dev false, staging and prod true."))
        .attribute(Attribute::string("maintenance_window").optional().description("Weekly UTC window, e.g. `sun:05:00-sun:06:00`."))
        .attribute(Attribute::string("replication_group_id").computed().description("ID of the replication group."))
        .attribute(Attribute::string("primary_endpoint").computed().description("Host name of the primary."))
        .attribute(Attribute::string("reader_endpoint").computed().description("Host name spreading reads over the replicas."))
        .attribute(Attribute::number("port").computed().description("Port (6379)."))
        .attribute(Attribute::string("engine_version_actual").computed().description("The full engine version running."))
        .attribute(Attribute::string("connection_secret_arn").computed().description("ARN of the connection secret (JSON `url` as `rediss://…`, `host`, `port`, `auth_token`)."))
        .attribute(Attribute::string("security_group_id").computed().description("ID of the cache's security group (6379 only from services given access)."))
}

fn parse(
    config: &Value,
    env: &EnvironmentFacts,
    default_tags: &BTreeMap<String, String>,
) -> CacheSpec {
    let d = CacheDefaults::for_tier(env.tier);
    let engine = string(config.get("engine")).unwrap_or_else(|| d.engine.to_string());
    let default_version = if engine == "redis" {
        "7"
    } else {
        d.engine_version
    };
    CacheSpec {
        environment: env.name.clone(),
        name: string(config.get("name")).unwrap_or_default(),
        engine_version: string(config.get("engine_version"))
            .unwrap_or_else(|| default_version.to_string()),
        engine,
        node_type: string(config.get("node_type")).unwrap_or_else(|| d.node_type.to_string()),
        replicas: uint(config.get("replicas")).unwrap_or(d.replicas),
        multi_az: boolean(config.get("multi_az")).unwrap_or(d.multi_az),
        kms_key_arn: string(config.get("kms_key_arn")),
        snapshot_retention_days: uint(config.get("snapshot_retention_days"))
            .unwrap_or(d.snapshot_retention_days),
        snapshot_window: string(config.get("snapshot_window")),
        final_snapshot: boolean(config.get("final_snapshot")).unwrap_or(d.final_snapshot),
        maintenance_window: string(config.get("maintenance_window")),
        secret_recovery_window_days: env.secret_recovery_window_days,
        tags: merged_tags(config, default_tags),
    }
}

fn effective_config(spec: &CacheSpec) -> BTreeMap<String, String> {
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

#[async_trait]
impl AppKind for Cache {
    type Spec = CacheSpec;

    const TYPE_NAME: &'static str = "platform_cache";
    const NOUN: &'static str = "cache";

    fn block() -> Block {
        arg_block()
    }

    fn validate(config: &Value) -> Diagnostics {
        let env = super::placeholder_env(config.get("environment_id").as_str().unwrap_or("env"));
        let spec = parse(config, &env, &BTreeMap::new());
        only_configured(config, validate_cache(&spec))
    }

    async fn prepare(
        configured: &Configured,
        config: &Value,
        env: &EnvironmentFacts,
        _ledger: &Ledger,
        mode: Mode,
    ) -> Result<Prepared<Self::Spec>, Diagnostics> {
        let spec = parse(config, env, &configured.default_tags);
        if mode.validates() {
            let diags = validate_cache(&spec);
            if diags.has_errors() {
                return Err(diags);
            }
        }
        let expansion = expand_cache(&spec, env);
        Ok(Prepared {
            effective_config: effective_config(&spec),
            spec,
            nodes: expansion.nodes,
            external: expansion.external,
        })
    }

    async fn computed(
        configured: &Configured,
        _spec: &Self::Spec,
        ids: &Ids<'_>,
        prior: &Value,
    ) -> Vec<(&'static str, Value)> {
        let group = expand::replication_group_key();
        let mut out = vec![
            ("replication_group_id", ids.get(&group)),
            (
                "connection_secret_arn",
                ids.get(&expand::connection_secret_key()),
            ),
            ("security_group_id", ids.get(&expand::security_group_key())),
        ];
        let facts_attrs = [
            "primary_endpoint",
            "reader_endpoint",
            "port",
            "engine_version_actual",
        ];
        match ids {
            Ids::Recorded(ledger) => {
                let facts = match ledger.id_of(&group) {
                    Some(id) => aws::elasticache::replication_group::replication_group_facts(
                        &configured.clients.elasticache,
                        id,
                    )
                    .await
                    .ok()
                    .flatten(),
                    None => None,
                };
                let f = facts.as_ref();
                out.push((
                    "primary_endpoint",
                    Value::string(f.map(|f| f.primary_endpoint.clone()).unwrap_or_default()),
                ));
                out.push((
                    "reader_endpoint",
                    Value::string(f.map(|f| f.reader_endpoint.clone()).unwrap_or_default()),
                ));
                out.push((
                    "port",
                    f.map_or(Value::Null, |f| Value::int(i64::from(f.port))),
                ));
                out.push((
                    "engine_version_actual",
                    Value::string(f.map(|f| f.engine_version.clone()).unwrap_or_default()),
                ));
            }
            Ids::Planned(_, ops) => {
                let changing = ops
                    .iter()
                    .any(|op| op.key() == &group && !matches!(op, crate::plan::diff::Op::NoOp(_)));
                for attr in facts_attrs {
                    let keep = ids.stable(&group)
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
            "id" => "name",
            "engine" | "kms_key_arn" => property,
            "subnet_group" => "environment_id",
            _ => return None,
        };
        Some(AttrPath::attrs(&[argument]))
    }

    fn replace_paths(prior: &Value, config: &Value) -> Vec<AttrPath> {
        let engine = |v: &Value| {
            v.get("effective_config")
                .as_entries()
                .and_then(|e| e.get("engine"))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let before = engine(prior);
        let after = config.get("engine").as_str().unwrap_or("valkey");
        // ElastiCache upgrades redis to valkey in place, but never the other way.
        if before.as_deref() == Some("valkey") && after == "redis" {
            vec![AttrPath::attrs(&["engine"])]
        } else {
            Vec::new()
        }
    }

    fn imported_config(ledger: &Ledger, env: &EnvironmentFacts) -> Vec<(&'static str, Value)> {
        let d = CacheDefaults::for_tier(env.tier);
        let mut out = Vec::new();
        let Some(ChildSpec::ReplicationGroup(rg)) = ledger
            .children
            .get(&expand::replication_group_key())
            .map(|r| &r.observed)
        else {
            return out;
        };
        let major = crate::plan::app::major_of(&rg.engine_version);
        if rg.engine != d.engine {
            out.push(("engine", Value::string(&rg.engine)));
        }
        let default_version = if rg.engine == "redis" {
            "7"
        } else {
            d.engine_version
        };
        if major != default_version {
            out.push(("engine_version", Value::string(major)));
        }
        if rg.node_type != d.node_type {
            out.push(("node_type", Value::string(&rg.node_type)));
        }
        if rg.replicas != d.replicas {
            out.push(("replicas", Value::int(i64::from(rg.replicas))));
        }
        if rg.multi_az != d.multi_az {
            out.push(("multi_az", Value::Bool(rg.multi_az)));
        }
        if rg.snapshot_retention_days != d.snapshot_retention_days {
            out.push((
                "snapshot_retention_days",
                Value::int(i64::from(rg.snapshot_retention_days)),
            ));
        }
        if let Some(kms) = &rg.kms_key_arn {
            out.push(("kms_key_arn", Value::string(kms)));
        }
        out
    }
}
