//! `platform_service`: typed input, validation and listener-rule priorities.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::framework::diag::Diagnostics;
use crate::framework::path::AttrPath;
use crate::framework::value::de::Unjudged;
use crate::plan::node::Tags;
use crate::plan::spec::{CapacitySpec, LOG_RETENTION_DAYS};

use super::schedule::{validate_schedules, ScheduleSpec};
use super::{split_id, validate_app_name};

/// Whether the image comes from Terraform or from CI after create; spelled as in
/// configuration (`terraform`, `external`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
    pub queue: Option<QueueScaling>,
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

/// A container beside the service's own (a collector, an agent, a log router).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sidecar {
    pub name: String,
    pub image: String,
    pub essential: bool,
    pub cpu: Option<u32>,
    pub memory: Option<u32>,
    pub port: Option<u32>,
    pub command: Vec<String>,
    pub environment_variables: BTreeMap<String, String>,
    pub secrets: BTreeMap<String, String>,
    /// Pulls its image with the service's `repository_credentials_secret_arn`.
    pub use_repository_credentials: bool,
}

/// Whether a queue or topic a service names is one or the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MessagingKind {
    Queue,
    Topic,
}

/// A queue or topic a service sends to (`publish_to`) or receives from (`consume_from`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagingAccess {
    /// `<environment>/<name>`.
    pub id: String,
    pub name: String,
    /// `None` while not known (validate, or a target not found).
    pub kind: Option<MessagingKind>,
    /// `None` while not known.
    pub arn: Option<String>,
    /// A queue's URL; `None` before it exists.
    pub url: Option<String>,
    /// The customer managed key it is encrypted with, if any.
    pub kms_key_arn: Option<String>,
    pub publish: bool,
    pub consume: bool,
}

impl MessagingAccess {
    /// The variable naming it in the container: `<NAME>_QUEUE_URL` or `<NAME>_TOPIC_ARN`.
    pub fn variable(&self) -> Option<String> {
        let stem = self.name.to_uppercase().replace('-', "_");
        match self.kind? {
            MessagingKind::Queue => Some(format!("{stem}_QUEUE_URL")),
            MessagingKind::Topic => Some(format!("{stem}_TOPIC_ARN")),
        }
    }
}

/// A bucket a service may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketAccess {
    /// `<environment>/<name>`.
    pub id: String,
    pub name: String,
    /// The S3 name; `None` while not known (validate, or a bucket not found).
    pub bucket_name: Option<String>,
    pub kms_key_arn: Option<String>,
    /// `read` or `read_write`.
    pub mode: String,
}

impl BucketAccess {
    /// `<NAME>_BUCKET`.
    pub fn variable(&self) -> String {
        format!("{}_BUCKET", self.name.to_uppercase().replace('-', "_"))
    }

    pub fn writes(&self) -> bool {
        self.mode == "read_write"
    }
}

/// Target tracking on the backlog of a queue per running task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueScaling {
    /// `<environment>/<name>` of the queue.
    pub queue_id: String,
    /// The SQS name (`.fifo` included); `None` while the queue is not known.
    pub queue_name: Option<String>,
    pub messages_per_task: u32,
}

/// A Service Connect server: reachable at `http://<discovery_name>.<namespace>:<port>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalSpec {
    /// Names the container's port mapping.
    pub port_name: String,
    pub discovery_name: String,
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
    /// The container port; `None` for a worker (no routing, no callers).
    pub port: Option<u32>,
    pub command: Vec<String>,
    pub environment_variables: BTreeMap<String, String>,
    pub secrets: BTreeMap<String, String>,
    /// Variables whose value is a random secret made in Secrets Manager. Sorted, unique.
    pub generated_secrets: Vec<String>,
    /// Generated secrets to make a new value for (once per listing). Sorted, unique.
    pub regenerate_secrets: Vec<String>,
    pub database_access: Vec<AccessRef>,
    pub cache_access: Vec<AccessRef>,
    /// Services whose tasks may reach this one on `port`; `security_group_id` is `None` for
    /// one that does not exist yet (at plan: the apply waits for it).
    pub allow_from_services: Vec<AccessRef>,
    pub internal: Option<InternalSpec>,
    /// Queues and topics it sends to or receives from, sorted by ID.
    pub messaging: Vec<MessagingAccess>,
    /// Buckets it may use, in the order written.
    pub buckets: Vec<BucketAccess>,
    /// In the order written.
    pub sidecars: Vec<Sidecar>,
    /// EventBridge Scheduler runs of the task definition, in the order written.
    pub schedules: Vec<ScheduleSpec>,
    /// A Secrets Manager secret with a private registry's login (Docker Hub).
    pub repository_credentials_secret_arn: Option<String>,
    /// The KMS key that secret is encrypted with, when not the AWS managed one.
    pub repository_credentials_kms_key_arn: Option<String>,
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

/// A container name ECS accepts.
fn is_container_name(name: &str) -> bool {
    (1..=255).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Sidecars: unique names beside the service's container, their variables and secrets as for
/// the main container, and reservations that fit the task.
fn validate_sidecars(spec: &ServiceSpec, unjudged: &Unjudged) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let at = |names: &[&str]| AttrPath::attrs(names);
    let mut seen = BTreeSet::new();
    for sidecar in &spec.sidecars {
        let name = &sidecar.name;
        if !is_container_name(name) {
            diags.error_at(
                at(&["sidecar"]),
                "Invalid sidecar name",
                format!("sidecar name {name:?} must be 1 to 255 letters, digits, '-' and '_'."),
            );
        }
        if name == &spec.name || !seen.insert(name.clone()) {
            diags.error_at(
                at(&["sidecar"]),
                "Duplicate container name",
                format!("sidecar name {name:?} is used twice (the service's own container is named {:?}).", spec.name),
            );
        }
        if sidecar.image.trim().is_empty() || sidecar.image.contains(char::is_whitespace) {
            diags.error_at(
                at(&["sidecar"]),
                "Invalid image",
                format!(
                    "sidecar {name:?}: {:?} is not an image reference.",
                    sidecar.image
                ),
            );
        }
        if let Some(port) = sidecar.port {
            if !(1..=65535).contains(&port) || Some(port) == spec.port {
                diags.error_at(
                    at(&["sidecar"]),
                    "Invalid port",
                    format!(
                        "sidecar {name:?}: port {port} must be 1–65535 and not the service's port."
                    ),
                );
            }
        }
        for variable in sidecar
            .environment_variables
            .keys()
            .chain(sidecar.secrets.keys())
        {
            if !is_env_name(variable) {
                diags.error_at(
                    at(&["sidecar"]),
                    "Invalid variable name",
                    format!(
                        "sidecar {name:?}: {variable:?} is not a valid environment variable name."
                    ),
                );
            }
        }
        for (variable, value) in &sidecar.secrets {
            if !is_secret_reference(value) {
                diags.error_at(
                    at(&["sidecar"]),
                    "Invalid secret reference",
                    format!("sidecar {name:?}: secrets[{variable:?}] = {value:?} is neither a Secrets Manager secret ARN (optionally with :<json-key>::) nor an SSM parameter ARN."),
                );
            }
        }
        if sidecar.use_repository_credentials && spec.repository_credentials_secret_arn.is_none() {
            diags.error_at(
                at(&["sidecar"]),
                "No repository credentials",
                format!("sidecar {name:?} sets use_repository_credentials, but the service has no repository_credentials_secret_arn."),
            );
        }
    }
    // Reservations must leave room in the task (only judged when the task size is known).
    let cpu: u32 = spec.sidecars.iter().filter_map(|s| s.cpu).sum();
    let memory: u32 = spec.sidecars.iter().filter_map(|s| s.memory).sum();
    if unjudged.is_known_at(&["cpu"]) && cpu >= spec.cpu && cpu > 0 {
        diags.error_at(
            at(&["cpu"]),
            "Sidecars do not fit the task",
            format!("the sidecars reserve {cpu} CPU units of the task's {}, leaving none for the service's container; raise cpu or lower the sidecars' cpu.", spec.cpu),
        );
    }
    if unjudged.is_known_at(&["memory"]) && memory >= spec.memory && memory > 0 {
        diags.error_at(
            at(&["memory"]),
            "Sidecars do not fit the task",
            format!("the sidecars reserve {memory} MiB of the task's {} MiB, leaving none for the service's container; raise memory or lower the sidecars' memory.", spec.memory),
        );
    }
    diags
}

/// `publish_to`, `consume_from` and queue-depth scaling: queues and topics of the service's
/// environment, variables that clash with nothing.
fn validate_messaging(spec: &ServiceSpec) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let at = |names: &[&str]| AttrPath::attrs(names);
    for target in &spec.messaging {
        let attribute = if target.publish {
            "publish_to"
        } else {
            "consume_from"
        };
        match split_id(&target.id) {
            Some((env, _)) if env == spec.environment || spec.environment.is_empty() => {}
            Some((env, _)) => {
                diags.error_at(
                    at(&[attribute]),
                    "Resource from another environment",
                    format!("{:?} belongs to environment {env:?}; service {:?} runs in {:?}, and services only use queues and topics of their own environment.", target.id, spec.name, spec.environment),
                );
                continue;
            }
            None => {
                diags.error_at(
                    at(&[attribute]),
                    "Invalid ID",
                    format!(
                        "{:?} is not an ID of the form <environment>/<name>.",
                        target.id
                    ),
                );
                continue;
            }
        }
        if target.consume && target.kind == Some(MessagingKind::Topic) {
            diags.error_at(
                at(&["consume_from"]),
                "Not a queue",
                format!("{:?} is a topic; services receive from queues. Subscribe a platform_queue to it (subscribe_to) and consume that queue.", target.id),
            );
        }
        if let Some(variable) = target.variable() {
            if spec.environment_variables.contains_key(&variable)
                || spec.secrets.contains_key(&variable)
                || spec.generated_secrets.contains(&variable)
            {
                diags.error_at(
                    at(&[attribute]),
                    "Variable defined twice",
                    format!("{variable:?} comes from {attribute} ({}) and must not also be set in environment_variables, secrets or generated_secrets.", target.id),
                );
            }
        }
    }
    let mut seen = BTreeSet::new();
    for bucket in &spec.buckets {
        match split_id(&bucket.id) {
            Some((env, _)) if env == spec.environment || spec.environment.is_empty() => {}
            Some((env, _)) => diags.error_at(
                at(&["bucket_access"]),
                "Bucket from another environment",
                format!("{:?} belongs to environment {env:?}; service {:?} runs in {:?}, and services only use buckets of their own environment.", bucket.id, spec.name, spec.environment),
            ),
            None => diags.error_at(
                at(&["bucket_access"]),
                "Invalid ID",
                format!("{:?} is not a bucket ID of the form <environment>/<name>.", bucket.id),
            ),
        }
        if !["read", "read_write"].contains(&bucket.mode.as_str()) {
            diags.error_at(
                at(&["bucket_access"]),
                "Invalid mode",
                format!(
                    "mode = {:?} for {:?} must be \"read\" or \"read_write\".",
                    bucket.mode, bucket.id
                ),
            );
        }
        if !seen.insert(bucket.id.clone()) {
            diags.error_at(
                at(&["bucket_access"]),
                "Bucket listed twice",
                format!("{:?} appears in two bucket_access blocks; keep one (read_write includes read).", bucket.id),
            );
        }
        let variable = bucket.variable();
        if spec.environment_variables.contains_key(&variable)
            || spec.secrets.contains_key(&variable)
            || spec.generated_secrets.contains(&variable)
        {
            diags.error_at(
                at(&["bucket_access"]),
                "Variable defined twice",
                format!("{variable:?} comes from bucket_access ({}) and must not also be set in environment_variables, secrets or generated_secrets.", bucket.id),
            );
        }
    }
    let mut variables = BTreeMap::new();
    for target in &spec.messaging {
        if let Some(variable) = target.variable() {
            if let Some(other) = variables.insert(variable.clone(), target.id.clone()) {
                diags.error_at(
                    at(&["publish_to"]),
                    "Variable defined twice",
                    format!("{other:?} and {:?} both give {variable:?}.", target.id),
                );
            }
        }
    }
    if let Some(scaling) = spec.autoscaling.as_ref().and_then(|a| a.queue.as_ref()) {
        if scaling.messages_per_task == 0 {
            diags.error_at(
                at(&["autoscaling", "messages_per_task"]),
                "Invalid backlog target",
                "messages_per_task must be at least 1.",
            );
        }
        match split_id(&scaling.queue_id) {
            Some((env, _)) if env == spec.environment || spec.environment.is_empty() => {}
            Some((env, _)) => diags.error_at(
                at(&["autoscaling", "queue_id"]),
                "Queue from another environment",
                format!(
                    "{:?} belongs to environment {env:?}; service {:?} runs in {:?}.",
                    scaling.queue_id, spec.name, spec.environment
                ),
            ),
            None => diags.error_at(
                at(&["autoscaling", "queue_id"]),
                "Invalid ID",
                format!(
                    "{:?} is not a queue ID of the form <environment>/<name>.",
                    scaling.queue_id
                ),
            ),
        }
    }
    diags
}

/// One DNS label in lower case: what Cloud Map and Service Connect accept as names.
pub fn is_dns_label(text: &str) -> bool {
    (1..=63).contains(&text.len())
        && !text.starts_with('-')
        && !text.ends_with('-')
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

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
    validate_service_known(spec, &Unjudged::none())
}

/// [`validate_service`] at validate: a check comparing two arguments waits while either is
/// not known (never judged against a default standing in for it).
pub fn validate_service_known(spec: &ServiceSpec, unjudged: &Unjudged) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let at = |names: &[&str]| AttrPath::attrs(names);
    let known = |names: &[&str]| unjudged.is_known_at(names);
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
    } else if known(&["cpu"]) && !fargate_memory_allowed(spec.cpu, spec.memory) {
        diags.error_at(
            at(&["memory"]),
            "Invalid Fargate CPU and memory pair",
            format!("memory = {} MiB is not allowed with cpu = {} on Fargate (256: 512, 1024 or 2048; 512: 1–4 GiB; 1024: 2–8 GiB; 2048: 4–16 GiB; 4096: 8–30 GiB, in 1 GiB steps).", spec.memory, spec.cpu),
        );
    }
    if let Some(port) = spec.port {
        if !(1..=65535).contains(&port) {
            diags.error_at(
                at(&["port"]),
                "Invalid port",
                format!("port = {port} must be between 1 and 65535."),
            );
        }
    }
    diags.extend(validate_messaging(spec));
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
    for name in &spec.generated_secrets {
        if !is_env_name(name) {
            diags.error_at(
                at(&["generated_secrets"]),
                "Invalid variable name",
                format!("{name:?} is not a valid environment variable name (letters, digits and '_', not starting with a digit)."),
            );
        }
        if spec.environment_variables.contains_key(name) || spec.secrets.contains_key(name) {
            diags.error_at(
                at(&["generated_secrets"]),
                "Variable defined twice",
                format!("{name:?} is generated and must not also be set in environment_variables or secrets."),
            );
        }
    }
    for name in &spec.regenerate_secrets {
        if !spec.generated_secrets.contains(name) {
            diags.error_at(
                at(&["regenerate_secrets"]),
                "Not a generated secret",
                format!("{name:?} is not in generated_secrets; only generated secrets can be made anew."),
            );
        }
    }
    for generated in access_variable_names(spec) {
        if spec.generated_secrets.contains(&generated) {
            diags.error_at(
                at(&["generated_secrets"]),
                "Variable defined twice",
                format!("{generated:?} comes from database_access/cache_access and must not also be generated."),
            );
        }
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
    for r in &spec.allow_from_services {
        match split_id(&r.id) {
            Some((_, name)) if name == spec.name && !spec.name.is_empty() => diags.error_at(
                at(&["allow_from_services"]),
                "Service allows itself",
                format!("{:?} is this service; its own tasks need no rule to reach it.", r.id),
            ),
            Some((env, _)) if env == spec.environment || spec.environment.is_empty() => {}
            Some((env, _)) => diags.error_at(
                at(&["allow_from_services"]),
                "Service from another environment",
                format!("{:?} belongs to environment {env:?}; service {:?} runs in {:?}, and services only call services of their own environment.", r.id, spec.name, spec.environment),
            ),
            None => diags.error_at(
                at(&["allow_from_services"]),
                "Invalid ID",
                format!("{:?} is not a service ID of the form <environment>/<name>.", r.id),
            ),
        }
    }
    diags.extend(validate_sidecars(spec, unjudged));
    diags.extend(validate_schedules(&spec.name, &spec.schedules));
    if let Some(arn) = &spec.repository_credentials_secret_arn {
        if !is_secret_reference(arn) || !arn.contains(":secretsmanager:") {
            diags.error_at(
                at(&["repository_credentials_secret_arn"]),
                "Invalid secret ARN",
                format!("{arn:?} is not a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)."),
            );
        }
    }
    if let Some(key) = &spec.repository_credentials_kms_key_arn {
        let parts: Vec<&str> = key.split(':').collect();
        if parts.len() < 6 || parts[0] != "arn" || parts[2] != "kms" {
            diags.error_at(
                at(&["repository_credentials_kms_key_arn"]),
                "Invalid KMS key ARN",
                format!("{key:?} is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."),
            );
        }
        if spec.repository_credentials_secret_arn.is_none() {
            diags.error_at(
                at(&["repository_credentials_kms_key_arn"]),
                "Key without a secret",
                "repository_credentials_kms_key_arn decrypts repository_credentials_secret_arn, which is not set.",
            );
        }
    }
    if let Some(internal) = &spec.internal {
        for (attribute, value) in [
            ("port_name", &internal.port_name),
            ("discovery_name", &internal.discovery_name),
        ] {
            if !is_dns_label(value) {
                diags.error_at(
                    at(&["internal", attribute]),
                    "Invalid name",
                    format!("internal.{attribute} = {value:?} must be a DNS label: 1 to 63 characters of a-z, 0-9 and '-', neither starting nor ending with '-'."),
                );
            }
        }
    }
    if let Some(routing) = &spec.routing {
        for host in &routing.hosts {
            let bare = host.strip_prefix("*.").unwrap_or(host);
            if !crate::plan::spec::is_domain_name(bare) {
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
        let above_interval =
            known(&["routing", "health_check", "interval"]) && hc.timeout >= hc.interval;
        if !(2..=120).contains(&hc.timeout) || above_interval {
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
        if known(&["autoscaling", "max"]) && scaling.min > scaling.max {
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
    let not_above_min =
        known(&["deployment", "min_healthy_percent"]) && d.max_percent <= d.min_healthy_percent;
    if d.max_percent < 100 || d.max_percent > 200 || not_above_min {
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
}
