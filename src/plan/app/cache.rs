//! `platform_cache`: typed input and validation.

use crate::framework::diag::Diagnostics;
use crate::framework::path::AttrPath;
use crate::framework::value::de::Unjudged;
use crate::plan::cost::CACHE_NODE_TYPES;
use crate::plan::node::Tags;

use super::{is_window, validate_app_name};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheSpec {
    pub environment: String,
    pub name: String,
    pub engine: String,
    pub engine_version: String,
    pub node_type: String,
    pub replicas: u32,
    pub multi_az: bool,
    pub kms_key_arn: Option<String>,
    pub snapshot_retention_days: u32,
    pub snapshot_window: Option<String>,
    pub final_snapshot: bool,
    pub maintenance_window: Option<String>,
    pub secret_recovery_window_days: u32,
    pub tags: Tags,
}

impl CacheSpec {
    pub fn owner(&self) -> String {
        format!("cache/{}/{}", self.environment, self.name)
    }
}

pub fn validate_cache(spec: &CacheSpec) -> Diagnostics {
    validate_cache_known(spec, &Unjudged::none())
}

/// [`validate_cache`] at validate: a check comparing two arguments waits while either is not
/// known (never judged against a default standing in for it).
pub fn validate_cache_known(spec: &CacheSpec, unjudged: &Unjudged) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let at = |names: &[&str]| AttrPath::attrs(names);
    diags.extend(validate_app_name(&spec.name, &at(&["name"])));
    let versions: &[&str] = match spec.engine.as_str() {
        "valkey" => &["7", "8"],
        "redis" => &["6", "7"],
        other => {
            diags.error_at(
                at(&["engine"]),
                "Unsupported engine",
                format!("engine = {other:?} must be \"valkey\" or \"redis\"."),
            );
            &[]
        }
    };
    if !versions.is_empty()
        && unjudged.is_known_at(&["engine"])
        && !versions.contains(&spec.engine_version.as_str())
    {
        diags.error_at(
            at(&["engine_version"]),
            "Unsupported engine version",
            format!(
                "engine_version = {:?} for {}: use a major version, one of {}.",
                spec.engine_version,
                spec.engine,
                versions.join(", ")
            ),
        );
    }
    if !CACHE_NODE_TYPES.iter().any(|(t, _)| *t == spec.node_type) {
        diags.error_at(
            at(&["node_type"]),
            "Unknown node type",
            format!(
                "{:?} is not in the provider's catalogue: {}.",
                spec.node_type,
                CACHE_NODE_TYPES
                    .iter()
                    .map(|(t, _)| *t)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    if spec.replicas > 5 {
        diags.error_at(
            at(&["replicas"]),
            "Too many replicas",
            "replicas must be 0 to 5.",
        );
    }
    if spec.multi_az && unjudged.is_known_at(&["replicas"]) && spec.replicas == 0 {
        diags.error_at(
            at(&["multi_az"]),
            "Multi-AZ needs a replica",
            "multi_az = true needs replicas >= 1: automatic failover promotes a replica in another AZ.",
        );
    }
    if spec.snapshot_retention_days > 35 {
        diags.error_at(
            at(&["snapshot_retention_days"]),
            "Invalid retention",
            "snapshot_retention_days must be 0 to 35.",
        );
    }
    if let Some(w) = &spec.snapshot_window {
        if !is_window(w, false) {
            diags.error_at(
                at(&["snapshot_window"]),
                "Invalid window",
                format!("{w:?} must look like \"03:00-04:00\" (UTC)."),
            );
        }
    }
    if let Some(w) = &spec.maintenance_window {
        if !is_window(w, true) {
            diags.error_at(
                at(&["maintenance_window"]),
                "Invalid window",
                format!("{w:?} must look like \"sun:05:00-sun:06:00\" (UTC)."),
            );
        }
    }
    if let Some(arn) = &spec.kms_key_arn {
        if !(arn.starts_with("arn:") && arn.contains(":kms:")) {
            diags.error_at(
                at(&["kms_key_arn"]),
                "Invalid KMS key ARN",
                format!("{arn:?} is not a KMS key ARN."),
            );
        }
    }
    diags
}
