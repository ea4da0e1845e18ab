//! Defaults shown in the docs, read from the code that applies them: each row maps an
//! argument path to a closure over the tier's defaults struct (`plan::tiers`), so a changed
//! default changes the docs (and `tests/docs.rs` then reports them stale).

use crate::plan::app::DEFAULT_TIMEZONE;
use crate::plan::spec::{EnvironmentSpec, Tier};
use crate::plan::tiers::{
    ingress_defaults, BucketDefaults, CacheDefaults, DatabaseDefaults, QueueDefaults,
    ServiceDefaults, TierDefaults,
};
use crate::resources::timeouts::DEFAULT_TIMEOUT;

pub const TIERS: [Tier; 3] = [Tier::Dev, Tier::Staging, Tier::Prod];

/// A default value, rendered as an HCL literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    Text(String),
    Number(u64),
    Bool(bool),
    List(Vec<String>),
}

impl Literal {
    pub fn hcl(&self) -> String {
        match self {
            Literal::Text(s) => format!("{s:?}"),
            Literal::Number(n) => n.to_string(),
            Literal::Bool(b) => b.to_string(),
            Literal::List(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(|s| format!("{s:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// As `effective_config` prints it: bare text, lists joined with commas.
    #[cfg(test)]
    pub fn plain(&self) -> String {
        match self {
            Literal::Text(s) => s.clone(),
            Literal::Number(n) => n.to_string(),
            Literal::Bool(b) => b.to_string(),
            Literal::List(items) => items.join(","),
        }
    }
}

fn text(s: &str) -> Literal {
    Literal::Text(s.to_string())
}

fn number(n: impl Into<u64>) -> Literal {
    Literal::Number(n.into())
}

/// A default that depends on the tier.
pub struct TierRow {
    pub path: &'static str,
    pub value: fn(Tier) -> Literal,
    /// When the default holds, if not always (shown after the path).
    pub condition: &'static str,
}

/// A default that is the same in every tier.
pub struct FixedRow {
    pub path: &'static str,
    pub value: fn() -> Literal,
}

fn env(tier: Tier) -> TierDefaults {
    TierDefaults::for_tier(tier)
}

fn service(tier: Tier) -> ServiceDefaults {
    ServiceDefaults::for_tier(tier)
}

fn database(tier: Tier) -> DatabaseDefaults {
    DatabaseDefaults::for_tier(tier)
}

fn cache(tier: Tier) -> CacheDefaults {
    CacheDefaults::for_tier(tier)
}

/// Tier defaults by resource type name; empty for types without tiers.
pub fn tier_rows(type_name: &str) -> Vec<TierRow> {
    let row = |path, value| TierRow {
        path,
        value,
        condition: "",
    };
    match type_name {
        "platform_environment" => vec![
            row("deletion_protection", |t| {
                Literal::Bool(env(t).deletion_protection)
            }),
            row("secret_recovery_window_days", |t| {
                number(env(t).secret_recovery_window_days)
            }),
            row("network.cidr", |t| text(env(t).vpc_cidr)),
            row("network.az_count", |t| number(env(t).az_count as u64)),
            row("network.subnet_newbits.public", |t| {
                number(env(t).newbits.public)
            }),
            row("network.subnet_newbits.private", |t| {
                number(env(t).newbits.private)
            }),
            row("network.subnet_newbits.data", |t| {
                number(env(t).newbits.data)
            }),
            row("network.nat.mode", |t| text(env(t).nat_mode.as_str())),
            row("network.vpc_endpoints.preset", |t| {
                text(env(t).endpoint_preset.as_str())
            }),
            row("network.flow_logs.enabled", |t| {
                Literal::Bool(env(t).flow_logs_enabled)
            }),
            row("network.flow_logs.traffic_type", |t| {
                text(env(t).flow_logs_traffic_type)
            }),
            row("network.flow_logs.retention_days", |t| {
                number(env(t).flow_logs_retention_days)
            }),
            row("cluster.container_insights", |t| {
                text(env(t).container_insights)
            }),
            row("cluster.capacity.fargate_weight", |t| {
                number(env(t).capacity.fargate_weight)
            }),
            row("cluster.capacity.spot_weight", |t| {
                number(env(t).capacity.spot_weight)
            }),
            row("cluster.capacity.base", |t| number(env(t).capacity.base)),
            row("logging.retention_days", |t| {
                number(env(t).log_retention_days)
            }),
        ],
        "platform_service" => vec![
            row("desired_count", |t| number(service(t).desired_count)),
            row("exec_enabled", |t| Literal::Bool(service(t).exec_enabled)),
            row("routing.deregistration_delay", |t| {
                number(service(t).deregistration_delay)
            }),
            row("routing.health_check.grace_period", |t| {
                number(service(t).grace_period)
            }),
            row("autoscaling.min", |t| number(service(t).min)),
            row("autoscaling.max", |t| number(service(t).max)),
            row("autoscaling.cpu_target", |t| number(service(t).cpu_target)),
            row("deployment.min_healthy_percent", |t| {
                number(service(t).min_healthy_percent)
            }),
            row("deployment.max_percent", |t| number(service(t).max_percent)),
        ],
        "platform_database" => vec![
            row("engine_version", |t| text(database(t).engine_version)),
            row("instance_class", |t| text(database(t).instance_class)),
            row("multi_az", |t| Literal::Bool(database(t).multi_az)),
            row("deletion_protection", |t| {
                Literal::Bool(database(t).deletion_protection)
            }),
            row("final_snapshot", |t| {
                Literal::Bool(database(t).final_snapshot)
            }),
            row("apply_immediately", |t| {
                Literal::Bool(database(t).apply_immediately)
            }),
            row("performance_insights", |t| {
                Literal::Bool(database(t).performance_insights)
            }),
            row("storage.allocated_gib", |t| {
                number(database(t).allocated_gib)
            }),
            row("storage.max_allocated_gib", |t| {
                number(database(t).max_allocated_gib)
            }),
            row("backup.retention_days", |t| {
                number(database(t).backup_retention_days)
            }),
        ],
        "platform_cache" => vec![
            row("engine", |t| text(cache(t).engine)),
            // The redis default is the resource's own, outside the tier table.
            TierRow {
                path: "engine_version",
                value: |t| text(cache(t).engine_version),
                condition: "with the default `engine`",
            },
            row("node_type", |t| text(cache(t).node_type)),
            row("replicas", |t| number(cache(t).replicas)),
            row("multi_az", |t| Literal::Bool(cache(t).multi_az)),
            row("snapshot_retention_days", |t| {
                number(cache(t).snapshot_retention_days)
            }),
            row("final_snapshot", |t| Literal::Bool(cache(t).final_snapshot)),
        ],
        "platform_queue" => vec![row("retention_days", |t| {
            number(QueueDefaults::for_tier(t).retention_days)
        })],
        "platform_bucket" => vec![
            row("versioning", |t| {
                Literal::Bool(BucketDefaults::for_tier(t).versioning)
            }),
            row("lifecycle.noncurrent_days", |t| {
                number(BucketDefaults::for_tier(t).noncurrent_days)
            }),
        ],
        _ => Vec::new(),
    }
}

/// `30m` for 30 minutes: the form the `timeouts` arguments take.
fn duration(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    if secs.is_multiple_of(3600) {
        format!("{}h", secs / 3600)
    } else if secs.is_multiple_of(60) {
        format!("{}m", secs / 60)
    } else {
        format!("{secs}s")
    }
}

/// Settings `TierDefaults::environment` fills in the same way for every tier (the tests
/// check that they are).
fn untiered_environment() -> EnvironmentSpec {
    env(Tier::Dev).environment("docs", Tier::Dev)
}

fn timeout_rows() -> Vec<FixedRow> {
    ["timeouts.create", "timeouts.update", "timeouts.delete"]
        .into_iter()
        .map(|path| FixedRow {
            path,
            value: || Literal::Text(duration(DEFAULT_TIMEOUT)),
        })
        .collect()
}

/// Defaults the code fixes for every tier, where it keeps them outside a parser: the
/// environment's spec builder and ingress defaults, and the operation timeouts.
pub fn fixed_rows(type_name: &str) -> Vec<FixedRow> {
    let row = |path, value| FixedRow { path, value };
    let mut rows = match type_name {
        "platform_environment" => vec![
            row("network.allow_no_egress", || {
                Literal::Bool(untiered_environment().network.allow_no_egress)
            }),
            row("network.vpc_endpoints.extra", || {
                Literal::List(untiered_environment().network.endpoints.extra)
            }),
            row("ingress.scheme", || {
                text(if ingress_defaults().internal {
                    "internal"
                } else {
                    "internet-facing"
                })
            }),
            row("ingress.additional_domains", || {
                Literal::List(ingress_defaults().additional_domains)
            }),
            row("ingress.tls_policy", || {
                text(&ingress_defaults().tls_policy)
            }),
            row("ingress.http_to_https", || {
                Literal::Bool(ingress_defaults().http_to_https)
            }),
            row("ingress.idle_timeout", || {
                number(ingress_defaults().idle_timeout_seconds)
            }),
            row("ingress.allowed_cidrs", || {
                Literal::List(ingress_defaults().allowed_cidrs)
            }),
            row("ingress.drop_invalid_headers", || {
                Literal::Bool(ingress_defaults().drop_invalid_headers)
            }),
        ],
        "platform_service" => vec![FixedRow {
            path: "schedule.timezone",
            value: || text(DEFAULT_TIMEZONE),
        }],
        "platform_database" | "platform_cache" | "platform_topic" => Vec::new(),
        "platform_bucket" => vec![
            FixedRow {
                path: "lifecycle.abort_multipart_days",
                value: || number(BucketDefaults::for_tier(Tier::Dev).abort_multipart_days),
            },
            FixedRow {
                path: "cdn.price_class",
                value: || text(crate::plan::app::DEFAULT_PRICE_CLASS),
            },
            FixedRow {
                path: "cdn.wait_for_deployment",
                value: || Literal::Bool(true),
            },
        ],
        "platform_queue" => vec![
            FixedRow {
                path: "visibility_timeout",
                value: || number(QueueDefaults::for_tier(Tier::Dev).visibility_timeout),
            },
            FixedRow {
                path: "dead_letter.max_receives",
                value: || number(QueueDefaults::for_tier(Tier::Dev).max_receives),
            },
        ],
        _ => return Vec::new(),
    };
    rows.extend(timeout_rows());
    rows
}

/// The `## Tier Defaults` section, or nothing when the type has no defaults.
pub fn section(type_name: &str) -> String {
    let tiers = tier_rows(type_name);
    let fixed = fixed_rows(type_name);
    if tiers.is_empty() && fixed.is_empty() {
        return String::new();
    }
    let mut out = String::from("## Defaults\n\n");
    if !tiers.is_empty() {
        out.push_str("### Tier Defaults\n\n");
        let tier_of = if type_name == "platform_environment" {
            "its `tier`"
        } else {
            "the `tier` of its environment"
        };
        out.push_str(&format!(
            "Arguments left unset take the default of {tier_of}; `effective_config` shows every resolved value.\n\n"
        ));
        out.push_str("| Argument | dev | staging | prod |\n|---|---|---|---|\n");
        for row in &tiers {
            let cells: Vec<String> = TIERS
                .iter()
                .map(|t| format!("`{}`", (row.value)(*t).hcl()))
                .collect();
            let condition = if row.condition.is_empty() {
                String::new()
            } else {
                format!(" ({})", row.condition)
            };
            out.push_str(&format!(
                "| `{}`{condition} | {} |\n",
                row.path,
                cells.join(" | ")
            ));
        }
        out.push('\n');
    }
    if !fixed.is_empty() {
        out.push_str("### Fixed Defaults\n\n");
        out.push_str("These defaults are the same in every tier.\n\n");
        out.push_str("| Argument | Default |\n|---|---|\n");
        for row in &fixed {
            out.push_str(&format!("| `{}` | `{}` |\n", row.path, (row.value)().hcl()));
        }
        out.push('\n');
    }
    out
}
