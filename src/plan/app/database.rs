//! `platform_database`: typed input and validation.

use std::collections::BTreeMap;

use crate::framework::diag::Diagnostics;
use crate::framework::path::AttrPath;
use crate::framework::value::de::Unjudged;
use crate::plan::cost::DB_INSTANCE_CLASSES;
use crate::plan::node::Tags;

use super::{is_window, major_of, validate_app_name};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageSpec {
    pub allocated_gib: u32,
    pub max_allocated_gib: u32,
    pub storage_type: String,
    pub iops: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseSpec {
    pub environment: String,
    pub name: String,
    pub engine: String,
    pub engine_version: String,
    pub allow_major_version_upgrade: bool,
    pub instance_class: String,
    pub database_name: String,
    pub master_username: String,
    pub multi_az: bool,
    pub kms_key_arn: Option<String>,
    pub deletion_protection: bool,
    pub final_snapshot: bool,
    pub apply_immediately: bool,
    pub performance_insights: bool,
    /// Sorted.
    pub log_exports: Vec<String>,
    /// Over `rds.force_ssl = 1`.
    pub parameters: BTreeMap<String, String>,
    pub extended_support: bool,
    pub maintenance_window: Option<String>,
    pub storage: StorageSpec,
    pub backup_retention_days: u32,
    pub backup_window: Option<String>,
    pub secret_recovery_window_days: u32,
    pub tags: Tags,
}

impl DatabaseSpec {
    pub fn owner(&self) -> String {
        format!("database/{}/{}", self.environment, self.name)
    }

    /// The major version: `17` of `17` or `17.4`.
    pub fn major(&self) -> &str {
        major_of(&self.engine_version)
    }
}

pub const DB_LOG_EXPORTS: &[&str] = &["postgresql", "upgrade", "iam-db-auth-error"];
pub const STORAGE_TYPES: &[&str] = &["gp3", "gp2", "io1", "io2"];

/// A PostgreSQL identifier RDS accepts as a database or user name.
fn is_pg_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

const RESERVED_USERNAMES: &[&str] = &["postgres", "rdsadmin", "admin", "root", "public"];

pub fn validate_database(spec: &DatabaseSpec) -> Diagnostics {
    validate_database_known(spec, &Unjudged::none())
}

/// [`validate_database`] at validate: a check comparing two arguments waits while either is
/// not known (never judged against a default standing in for it).
pub fn validate_database_known(spec: &DatabaseSpec, unjudged: &Unjudged) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let at = |names: &[&str]| AttrPath::attrs(names);
    diags.extend(validate_app_name(&spec.name, &at(&["name"])));
    if spec.engine != "postgres" {
        diags.error_at(
            at(&["engine"]),
            "Unsupported engine",
            format!(
                "engine = {:?}: only \"postgres\" is supported.",
                spec.engine
            ),
        );
    }
    let version_ok = {
        let mut parts = spec.engine_version.split('.');
        let major = parts.next().and_then(|m| m.parse::<u32>().ok());
        let minor_ok = parts.clone().count() <= 1 && parts.all(|p| p.parse::<u32>().is_ok());
        major.is_some_and(|m| (13..=18).contains(&m)) && minor_ok
    };
    if !version_ok {
        diags.error_at(
            at(&["engine_version"]),
            "Invalid engine version",
            format!("engine_version = {:?} must be a PostgreSQL major version from 13 to 18 (\"17\", following AWS minor upgrades) or a full version (\"17.4\").", spec.engine_version),
        );
    }
    if !DB_INSTANCE_CLASSES
        .iter()
        .any(|(c, _)| *c == spec.instance_class)
    {
        diags.error_at(
            at(&["instance_class"]),
            "Unknown instance class",
            format!(
                "{:?} is not in the provider's catalogue: {}.",
                spec.instance_class,
                DB_INSTANCE_CLASSES
                    .iter()
                    .map(|(c, _)| *c)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    if !is_pg_identifier(&spec.database_name) {
        diags.error_at(
            at(&["database_name"]),
            "Invalid database name",
            format!(
                "{:?} must start with a letter and hold only letters, digits and '_' (at most 63).",
                spec.database_name
            ),
        );
    }
    if !is_pg_identifier(&spec.master_username)
        || spec.master_username.len() > 16
        || RESERVED_USERNAMES.contains(&spec.master_username.as_str())
    {
        diags.error_at(
            at(&["master_username"]),
            "Invalid master username",
            format!("{:?} must be 1 to 16 letters, digits or '_', start with a letter, and not be a reserved name ({}).", spec.master_username, RESERVED_USERNAMES.join(", ")),
        );
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
    for export in &spec.log_exports {
        if !DB_LOG_EXPORTS.contains(&export.as_str()) {
            diags.error_at(
                at(&["log_exports"]),
                "Unknown log export",
                format!(
                    "{export:?} is not a PostgreSQL log type; use {}.",
                    DB_LOG_EXPORTS.join(", ")
                ),
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
    let s = &spec.storage;
    if !STORAGE_TYPES.contains(&s.storage_type.as_str()) {
        diags.error_at(
            at(&["storage", "type"]),
            "Invalid storage type",
            format!("{:?}: use gp3, gp2, io1 or io2.", s.storage_type),
        );
    }
    if !(20..=65536).contains(&s.allocated_gib) {
        diags.error_at(
            at(&["storage", "allocated_gib"]),
            "Invalid storage size",
            format!("allocated_gib = {} must be 20 to 65536.", s.allocated_gib),
        );
    }
    if s.max_allocated_gib != 0
        && unjudged.is_known_at(&["storage", "allocated_gib"])
        && s.max_allocated_gib <= s.allocated_gib
    {
        diags.error_at(
            at(&["storage", "max_allocated_gib"]),
            "Invalid autoscaling ceiling",
            format!(
                "max_allocated_gib = {} must be 0 (off) or above allocated_gib = {}.",
                s.max_allocated_gib, s.allocated_gib
            ),
        );
    }
    if s.iops.is_some() && s.storage_type == "gp2" {
        diags.error_at(
            at(&["storage", "iops"]),
            "IOPS not supported",
            "gp2 storage takes no iops setting.",
        );
    }
    if s.storage_type.starts_with("io") && s.iops.is_none() {
        diags.error_at(
            at(&["storage", "iops"]),
            "IOPS required",
            "io1 and io2 storage need storage.iops.",
        );
    }
    if spec.backup_retention_days > 35 {
        diags.error_at(
            at(&["backup", "retention_days"]),
            "Invalid retention",
            "backup.retention_days must be 0 to 35.",
        );
    }
    if let Some(w) = &spec.backup_window {
        if !is_window(w, false) {
            diags.error_at(
                at(&["backup", "window"]),
                "Invalid window",
                format!("{w:?} must look like \"03:00-04:00\" (UTC)."),
            );
        }
    }
    diags
}

/// Checks an engine version change against the one recorded: a downgrade, or a major upgrade
/// without `allow_major_version_upgrade`, fails the plan. `live` is the version running.
pub fn validate_engine_change(live: &str, desired: &DatabaseSpec) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let parse = |v: &str| -> Vec<u32> { v.split('.').filter_map(|p| p.parse().ok()).collect() };
    let (from, to) = (parse(live), parse(&desired.engine_version));
    let (Some(from_major), Some(to_major)) = (from.first(), to.first()) else {
        return diags;
    };
    let path = AttrPath::attrs(&["engine_version"]);
    let downgrade = to_major < from_major
        || (to_major == from_major && to.len() > 1 && from.len() > 1 && to[1] < from[1]);
    if downgrade {
        diags.error_at(
            path,
            "Engine downgrade",
            format!("engine_version = {:?} is older than the running {live}; RDS cannot downgrade an instance.", desired.engine_version),
        );
    } else if to_major > from_major && !desired.allow_major_version_upgrade {
        diags.error_at(
            path,
            "Major version upgrade not allowed",
            format!("engine_version = {:?} is a major upgrade from the running {live}. Set allow_major_version_upgrade = true to do it (test it on a copy first).", desired.engine_version),
        );
    }
    diags
}
