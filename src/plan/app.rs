//! Typed input of the app-layer resources (`platform_service`, `platform_database`,
//! `platform_cache`), the environment facts they build on, and their validation.

use std::collections::{BTreeMap, BTreeSet};

use crate::framework::diag::Diagnostics;
use crate::framework::path::AttrPath;

use super::cost::{CACHE_NODE_TYPES, DB_INSTANCE_CLASSES};
use super::node::{Kind, NodeKey, Tags};
use super::spec::{CapacitySpec, Tier, LOG_RETENTION_DAYS};

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

/// Whether the image comes from Terraform or from CI after create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageSource {
    Terraform,
    External,
}

/// Another app resource a service may use: its ID and what was found of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRef {
    /// `<environment>/<name>`.
    pub id: String,
    pub name: String,
    /// The connection secret's ARN; `None` while the resource does not exist yet (at plan).
    pub secret_arn: Option<String>,
    /// Its security group's ID; `None` while unknown.
    pub security_group_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    pub path: String,
    pub matcher: String,
    pub interval: u32,
    pub timeout: u32,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
    pub grace_period: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingSpec {
    /// Sorted, unique; empty matches any host.
    pub hosts: Vec<String>,
    /// Sorted, unique.
    pub paths: Vec<String>,
    /// Set by the user; otherwise assigned once and recorded.
    pub priority: Option<u32>,
    pub deregistration_delay: u32,
    pub health_check: HealthCheck,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoscalingSpec {
    pub min: u32,
    pub max: u32,
    pub cpu_target: u32,
    pub memory_target: Option<u32>,
    pub scale_in_cooldown: u32,
    pub scale_out_cooldown: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentSpec {
    pub min_healthy_percent: u32,
    pub max_percent: u32,
    pub circuit_breaker: bool,
    pub wait: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IamSpec {
    /// Canonical JSON of extra task-role statements.
    pub policy_json: Option<String>,
    /// Sorted.
    pub managed_policy_arns: Vec<String>,
    pub permissions_boundary_arn: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSpec {
    pub environment: String,
    pub name: String,
    pub image: String,
    pub image_source: ImageSource,
    pub cpu: u32,
    pub memory: u32,
    /// `X86_64` or `ARM64`.
    pub architecture: String,
    pub port: u32,
    pub command: Vec<String>,
    pub environment_variables: BTreeMap<String, String>,
    pub secrets: BTreeMap<String, String>,
    pub database_access: Vec<AccessRef>,
    pub cache_access: Vec<AccessRef>,
    pub desired_count: u32,
    pub exec_enabled: bool,
    pub read_only_root_filesystem: bool,
    pub routing: Option<RoutingSpec>,
    pub autoscaling: Option<AutoscalingSpec>,
    pub capacity: CapacitySpec,
    pub deployment: DeploymentSpec,
    pub iam: IamSpec,
    pub log_retention_days: u32,
    pub tags: Tags,
}

impl ServiceSpec {
    pub fn owner(&self) -> String {
        format!("service/{}/{}", self.environment, self.name)
    }
}

/// Fargate's CPU units and the memory sizes (MiB) each allows.
pub fn fargate_memory_allowed(cpu: u32, memory: u32) -> bool {
    let gib = |n: u32| n * 1024;
    match cpu {
        256 => [512, 1024, 2048].contains(&memory),
        512 => (1..=4).any(|n| gib(n) == memory),
        1024 => (2..=8).any(|n| gib(n) == memory),
        2048 => memory.is_multiple_of(1024) && (gib(4)..=gib(16)).contains(&memory),
        4096 => memory.is_multiple_of(1024) && (gib(8)..=gib(30)).contains(&memory),
        8192 => memory.is_multiple_of(gib(4)) && (gib(16)..=gib(60)).contains(&memory),
        16384 => memory.is_multiple_of(gib(8)) && (gib(32)..=gib(120)).contains(&memory),
        _ => false,
    }
}

pub const FARGATE_CPU: &[u32] = &[256, 512, 1024, 2048, 4096, 8192, 16384];

/// A valid environment-variable name for a container.
fn is_env_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A Secrets Manager secret ARN (optionally `:<json-key>::` etc.) or an SSM parameter ARN.
pub fn is_secret_reference(value: &str) -> bool {
    let parts: Vec<&str> = value.split(':').collect();
    parts.len() >= 6
        && parts[0] == "arn"
        && ((parts[2] == "secretsmanager" && parts[5] == "secret" && parts.len() >= 7)
            || (parts[2] == "ssm" && parts[5].starts_with("parameter/")))
}

/// The ARN a `valueFrom` reads, without a JSON key, version stage or version ID.
pub fn secret_resource_arn(value_from: &str) -> String {
    let parts: Vec<&str> = value_from.split(':').collect();
    if parts.len() > 7 && parts[2] == "secretsmanager" {
        parts[..7].join(":")
    } else {
        value_from.to_string()
    }
}

/// The variables a service gets from the databases and caches it lists.
pub fn access_variable_names(spec: &ServiceSpec) -> Vec<String> {
    access_secrets(spec, "(unknown)").into_keys().collect()
}

/// Variable → `valueFrom` for the connection secrets; `unknown` stands in for an ARN not yet
/// known.
pub fn access_secrets(spec: &ServiceSpec, unknown: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let prefix = |name: &str, many: bool| {
        if many {
            format!("{}_", name.to_uppercase().replace('-', "_"))
        } else {
            String::new()
        }
    };
    let many_db = spec.database_access.len() > 1;
    for db in &spec.database_access {
        let arn = db.secret_arn.as_deref().unwrap_or(unknown);
        let p = prefix(&db.name, many_db);
        out.insert(format!("{p}DATABASE_URL"), format!("{arn}:url::"));
        if !many_db {
            for (var, key) in [
                ("PGHOST", "host"),
                ("PGPORT", "port"),
                ("PGDATABASE", "dbname"),
                ("PGUSER", "username"),
                ("PGPASSWORD", "password"),
            ] {
                out.insert(var.to_string(), format!("{arn}:{key}::"));
            }
        }
    }
    let many_cache = spec.cache_access.len() > 1;
    for cache in &spec.cache_access {
        let arn = cache.secret_arn.as_deref().unwrap_or(unknown);
        let p = prefix(&cache.name, many_cache);
        out.insert(format!("{p}REDIS_URL"), format!("{arn}:url::"));
    }
    out
}

pub fn validate_service(spec: &ServiceSpec) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let at = |names: &[&str]| AttrPath::attrs(names);
    diags.extend(validate_app_name(&spec.name, &at(&["name"])));
    if spec.image.trim().is_empty() || spec.image.contains(char::is_whitespace) {
        diags.error_at(
            at(&["image"]),
            "Invalid image",
            format!(
                "{:?} is not an image reference (repository[:tag] or repository@sha256:digest).",
                spec.image
            ),
        );
    }
    if !FARGATE_CPU.contains(&spec.cpu) {
        diags.error_at(
            at(&["cpu"]),
            "Invalid Fargate CPU",
            format!(
                "cpu = {} is not a Fargate size; use one of {}.",
                spec.cpu,
                FARGATE_CPU
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    } else if !fargate_memory_allowed(spec.cpu, spec.memory) {
        diags.error_at(
            at(&["memory"]),
            "Invalid Fargate CPU and memory pair",
            format!("memory = {} MiB is not allowed with cpu = {} on Fargate (256: 512, 1024 or 2048; 512: 1–4 GiB; 1024: 2–8 GiB; 2048: 4–16 GiB; 4096: 8–30 GiB, in 1 GiB steps).", spec.memory, spec.cpu),
        );
    }
    if !(1..=65535).contains(&spec.port) {
        diags.error_at(
            at(&["port"]),
            "Invalid port",
            format!("port = {} must be between 1 and 65535.", spec.port),
        );
    }
    for name in spec.environment_variables.keys() {
        if !is_env_name(name) {
            diags.error_at(
                at(&["environment_variables"]),
                "Invalid variable name",
                format!("{name:?} is not a valid environment variable name (letters, digits and '_', not starting with a digit)."),
            );
        }
    }
    for (name, value) in &spec.secrets {
        if !is_env_name(name) {
            diags.error_at(
                at(&["secrets"]),
                "Invalid variable name",
                format!("{name:?} is not a valid environment variable name."),
            );
        }
        if !is_secret_reference(value) {
            diags.error_at(
                at(&["secrets"]),
                "Invalid secret reference",
                format!("secrets[{name:?}] = {value:?} is neither a Secrets Manager secret ARN (optionally with :<json-key>::) nor an SSM parameter ARN."),
            );
        }
        if spec.environment_variables.contains_key(name) {
            diags.error_at(
                at(&["secrets"]),
                "Variable defined twice",
                format!("{name:?} is both in environment_variables and in secrets."),
            );
        }
    }
    for generated in access_variable_names(spec) {
        if spec.secrets.contains_key(&generated)
            || spec.environment_variables.contains_key(&generated)
        {
            diags.error_at(
                at(&["secrets"]),
                "Variable defined twice",
                format!("{generated:?} comes from database_access/cache_access and must not also be set in environment_variables or secrets."),
            );
        }
    }
    for (list, refs) in [
        ("database_access", &spec.database_access),
        ("cache_access", &spec.cache_access),
    ] {
        for r in refs {
            match split_id(&r.id) {
                // An empty environment is not known yet (validate): plan checks again.
                Some((env, _)) if env == spec.environment || spec.environment.is_empty() => {}
                Some((env, _)) => diags.error_at(
                    at(&[list]),
                    "Resource from another environment",
                    format!("{:?} belongs to environment {env:?}; service {:?} runs in {:?}, and services only reach databases and caches of their own environment.", r.id, spec.name, spec.environment),
                ),
                None => diags.error_at(
                    at(&[list]),
                    "Invalid ID",
                    format!("{:?} is not an ID of the form <environment>/<name>.", r.id),
                ),
            }
        }
    }
    if let Some(routing) = &spec.routing {
        for host in &routing.hosts {
            let bare = host.strip_prefix("*.").unwrap_or(host);
            if !super::spec::is_domain_name(bare) {
                diags.error_at(
                    at(&["routing", "hosts"]),
                    "Invalid host",
                    format!("{host:?} is not a host name."),
                );
            }
        }
        for path in &routing.paths {
            if !path.starts_with('/') || path.len() > 128 {
                diags.error_at(
                    at(&["routing", "paths"]),
                    "Invalid path pattern",
                    format!("{path:?} must start with '/' and be at most 128 characters."),
                );
            }
        }
        if routing.hosts.len() + routing.paths.len() > 5 {
            diags.error_at(
                at(&["routing"]),
                "Too many conditions",
                "A listener rule holds at most 5 host and path values together.",
            );
        }
        if let Some(p) = routing.priority {
            if !(1..=50000).contains(&p) {
                diags.error_at(
                    at(&["routing", "priority"]),
                    "Invalid priority",
                    format!("priority = {p} must be between 1 and 50000."),
                );
            }
        }
        if !(0..=3600).contains(&routing.deregistration_delay) {
            diags.error_at(
                at(&["routing", "deregistration_delay"]),
                "Invalid deregistration delay",
                "deregistration_delay must be 0 to 3600 seconds.",
            );
        }
        let hc = &routing.health_check;
        let hc_path = |n: &str| at(&["routing", "health_check", n]);
        if !hc.path.starts_with('/') {
            diags.error_at(
                hc_path("path"),
                "Invalid health check path",
                format!("{:?} must start with '/'.", hc.path),
            );
        }
        if !(5..=300).contains(&hc.interval) {
            diags.error_at(
                hc_path("interval"),
                "Invalid interval",
                "interval must be 5 to 300 seconds.",
            );
        }
        if !(2..=120).contains(&hc.timeout) || hc.timeout >= hc.interval {
            diags.error_at(
                hc_path("timeout"),
                "Invalid timeout",
                format!(
                    "timeout = {} must be 2 to 120 seconds and less than interval = {}.",
                    hc.timeout, hc.interval
                ),
            );
        }
        for (name, v) in [
            ("healthy_threshold", hc.healthy_threshold),
            ("unhealthy_threshold", hc.unhealthy_threshold),
        ] {
            if !(2..=10).contains(&v) {
                diags.error_at(
                    hc_path(name),
                    "Invalid threshold",
                    format!("{name} must be 2 to 10."),
                );
            }
        }
        let valid_matcher = !hc.matcher.is_empty()
            && hc
                .matcher
                .split([',', '-'])
                .all(|code| code.parse::<u32>().is_ok_and(|c| (200..=499).contains(&c)));
        if !valid_matcher {
            diags.error_at(
                hc_path("matcher"),
                "Invalid matcher",
                format!(
                    "{:?} must be HTTP codes 200-499, e.g. \"200\", \"200,204\" or \"200-399\".",
                    hc.matcher
                ),
            );
        }
    }
    if let Some(scaling) = &spec.autoscaling {
        let p = |n: &str| at(&["autoscaling", n]);
        if scaling.min > scaling.max {
            diags.error_at(
                p("min"),
                "min above max",
                format!(
                    "autoscaling.min = {} is above autoscaling.max = {}.",
                    scaling.min, scaling.max
                ),
            );
        }
        if scaling.max == 0 || scaling.max > 1000 {
            diags.error_at(
                p("max"),
                "Invalid max",
                "autoscaling.max must be 1 to 1000.",
            );
        }
        for (name, v) in [
            ("cpu_target", Some(scaling.cpu_target)),
            ("memory_target", scaling.memory_target),
        ] {
            if let Some(v) = v {
                if !(10..=95).contains(&v) {
                    diags.error_at(
                        p(name),
                        "Invalid target",
                        format!("{name} = {v} must be 10 to 95 percent."),
                    );
                }
            }
        }
    }
    let d = &spec.deployment;
    if d.min_healthy_percent > 100 {
        diags.error_at(
            at(&["deployment", "min_healthy_percent"]),
            "Invalid percent",
            "min_healthy_percent must be 0 to 100.",
        );
    }
    if d.max_percent < 100 || d.max_percent > 200 || d.max_percent <= d.min_healthy_percent {
        diags.error_at(
            at(&["deployment", "max_percent"]),
            "Invalid percent",
            format!(
                "max_percent = {} must be 100 to 200 and above min_healthy_percent = {}.",
                d.max_percent, d.min_healthy_percent
            ),
        );
    }
    if !LOG_RETENTION_DAYS.contains(&spec.log_retention_days) {
        diags.error_at(
            at(&["logging", "retention_days"]),
            "Invalid retention",
            format!(
                "{} days is not a retention CloudWatch Logs accepts.",
                spec.log_retention_days
            ),
        );
    }
    if spec.capacity.fargate_weight == 0 && spec.capacity.spot_weight == 0 {
        diags.error_at(
            at(&["capacity"]),
            "No capacity",
            "At least one of fargate_weight and spot_weight must be above 0.",
        );
    }
    if let Some(doc) = &spec.iam.policy_json {
        if serde_json::from_str::<serde_json::Value>(doc)
            .ok()
            .and_then(|v| v.get("Statement").cloned())
            .is_none()
        {
            diags.error_at(
                at(&["iam", "policy_json"]),
                "Invalid policy",
                "policy_json must be an IAM policy document (JSON with a Statement).",
            );
        }
    }
    for arn in spec
        .iam
        .managed_policy_arns
        .iter()
        .chain(&spec.iam.permissions_boundary_arn)
    {
        if !(arn.starts_with("arn:") && arn.contains(":policy/")) {
            diags.error_at(
                at(&["iam"]),
                "Invalid policy ARN",
                format!("{arn:?} is not an IAM policy ARN."),
            );
        }
    }
    diags
}

/// A free listener-rule priority for a service, stable for a given owner: catch-all rules
/// (no hosts, `/*` or no paths) go to 40000–49999 so specific rules are matched first; the
/// rest to 1–39999. The start point is a hash of the owner, probing upwards past taken ones.
pub fn assign_priority(owner: &str, catch_all: bool, taken: &BTreeSet<u32>) -> Option<u32> {
    let (low, span) = if catch_all {
        (40000, 10000)
    } else {
        (1, 39999)
    };
    let start = fnv1a(owner) % span;
    (0..span)
        .map(|i| low + (start + i) % span)
        .find(|p| !taken.contains(p))
}

/// FNV-1a: a small, stable hash (std's hasher is randomised per process).
pub fn fnv1a(text: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in text.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

pub fn is_catch_all(routing: &RoutingSpec) -> bool {
    routing.hosts.is_empty() && routing.paths.iter().all(|p| p == "/*")
}

// ---------------------------------------------------------------------------------------------

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

pub fn major_of(version: &str) -> &str {
    version.split('.').next().unwrap_or(version)
}

pub const DB_LOG_EXPORTS: &[&str] = &["postgresql", "upgrade", "iam-db-auth-error"];
pub const STORAGE_TYPES: &[&str] = &["gp3", "gp2", "io1", "io2"];

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

/// A PostgreSQL identifier RDS accepts as a database or user name.
fn is_pg_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

const RESERVED_USERNAMES: &[&str] = &["postgres", "rdsadmin", "admin", "root", "public"];

pub fn validate_database(spec: &DatabaseSpec) -> Diagnostics {
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
    if s.max_allocated_gib != 0 && s.max_allocated_gib <= s.allocated_gib {
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

// ---------------------------------------------------------------------------------------------

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
    if !versions.is_empty() && !versions.contains(&spec.engine_version.as_str()) {
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
    if spec.multi_az && spec.replicas == 0 {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fargate_pairs_follow_the_published_table() {
        assert!(fargate_memory_allowed(256, 512));
        assert!(!fargate_memory_allowed(256, 4096));
        assert!(fargate_memory_allowed(512, 4096));
        assert!(fargate_memory_allowed(1024, 8192));
        assert!(!fargate_memory_allowed(1024, 1024));
        assert!(fargate_memory_allowed(4096, 30720));
        assert!(!fargate_memory_allowed(300, 512));
    }

    #[test]
    fn priorities_are_stable_banded_and_skip_taken_ones() {
        let none = BTreeSet::new();
        let a = assign_priority("service/dev/api", false, &none).unwrap();
        assert_eq!(assign_priority("service/dev/api", false, &none), Some(a));
        assert!((1..40000).contains(&a));
        let c = assign_priority("service/dev/web", true, &none).unwrap();
        assert!((40000..50000).contains(&c));
        let taken: BTreeSet<u32> = [a].into();
        let b = assign_priority("service/dev/api", false, &taken).unwrap();
        assert_ne!(a, b);
        let full: BTreeSet<u32> = (40000..50000).collect();
        assert_eq!(assign_priority("x", true, &full), None);
    }

    #[test]
    fn secret_references_and_their_arns() {
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf";
        assert!(is_secret_reference(arn));
        assert!(is_secret_reference(&format!("{arn}:password::")));
        assert!(is_secret_reference(
            "arn:aws:ssm:us-east-1:123456789012:parameter/app/key"
        ));
        assert!(!is_secret_reference("plain"));
        assert_eq!(secret_resource_arn(&format!("{arn}:password::")), arn);
        assert_eq!(secret_resource_arn(arn), arn);
    }

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
