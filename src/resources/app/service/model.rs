//! `platform_service`'s typed configuration and state, configuration → `ServiceSpec` with the
//! tier's defaults, validation, and the configuration an import recovers. Pure: no AWS calls.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::aws::secretsmanager::secret::{SecretContent, SecretSpec};
use crate::framework::diag::Diagnostics;
use crate::framework::value::de::Unjudged;
use crate::framework::value::Planned;
use crate::plan::app::{
    split_id, validate_service_known, AccessRef, AutoscalingSpec, BucketAccess, DeploymentSpec,
    EnvironmentFacts, HealthCheck, IamSpec, ImageSource, InternalSpec, MessagingAccess,
    QueueScaling, RoutingSpec, ScheduleSpec, ServiceSpec, Sidecar, DEFAULT_TIMEZONE,
};
use crate::plan::expand::policy::canonical_json;
use crate::plan::expand::service as expand;
use crate::plan::ledger::Ledger;
use crate::plan::node::{ChildSpec, Kind, NodeKey};
use crate::plan::spec::CapacitySpec;
use crate::plan::tiers::ServiceDefaults;
use crate::resources::app::model::placeholder_env;
use crate::resources::tags::merged_tags;
use crate::resources::timeouts::Timeouts;

/// `platform_service`'s arguments as written, the common ones included. `None` is null (or,
/// read by validate, not known yet).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceConfig {
    pub environment_id: Option<String>,
    pub name: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
    pub timeouts: Option<Timeouts>,
    pub image: Option<String>,
    pub image_source: Option<ImageSource>,
    pub cpu: Option<u32>,
    pub memory: Option<u32>,
    pub architecture: Option<Architecture>,
    pub port: Option<u32>,
    pub command: Option<Vec<String>>,
    pub environment_variables: Option<BTreeMap<String, String>>,
    pub secrets: Option<BTreeMap<String, String>>,
    pub generated_secrets: Option<Vec<String>>,
    pub regenerate_secrets: Option<Vec<String>>,
    pub database_access: Option<Vec<String>>,
    pub cache_access: Option<Vec<String>>,
    pub allow_from_services: Option<Vec<String>>,
    pub publish_to: Option<Vec<String>>,
    pub bucket_access: Option<Vec<BucketAccessConfig>>,
    pub consume_from: Option<Vec<String>>,
    pub internal: Option<InternalConfig>,
    pub sidecar: Option<Vec<SidecarConfig>>,
    pub schedule: Option<Vec<ScheduleConfig>>,
    pub repository_credentials_secret_arn: Option<String>,
    pub repository_credentials_kms_key_arn: Option<String>,
    pub desired_count: Option<u32>,
    pub exec_enabled: Option<bool>,
    pub read_only_root_filesystem: Option<bool>,
    pub routing: Option<RoutingConfig>,
    pub autoscaling: Option<AutoscalingConfig>,
    pub capacity: Option<CapacityConfig>,
    pub deployment: Option<DeploymentConfig>,
    pub iam: Option<IamConfig>,
    pub logging: Option<LoggingConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Architecture {
    #[serde(rename = "x86_64")]
    X86_64,
    #[serde(rename = "arm64")]
    Arm64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SidecarConfig {
    pub name: Option<String>,
    pub image: Option<String>,
    pub essential: Option<bool>,
    pub cpu: Option<u32>,
    pub memory: Option<u32>,
    pub port: Option<u32>,
    pub command: Option<Vec<String>>,
    pub environment_variables: Option<BTreeMap<String, String>>,
    pub secrets: Option<BTreeMap<String, String>>,
    pub use_repository_credentials: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleConfig {
    pub name: Option<String>,
    pub expression: Option<String>,
    pub timezone: Option<String>,
    pub command: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketAccessConfig {
    pub bucket_id: Option<String>,
    pub mode: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InternalConfig {
    pub port_name: Option<String>,
    pub discovery_name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingConfig {
    pub hosts: Option<Vec<String>>,
    pub paths: Option<Vec<String>>,
    pub priority: Option<u32>,
    pub deregistration_delay: Option<u32>,
    pub health_check: Option<HealthCheckConfig>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheckConfig {
    pub path: Option<String>,
    pub matcher: Option<String>,
    pub interval: Option<u32>,
    pub timeout: Option<u32>,
    pub healthy_threshold: Option<u32>,
    pub unhealthy_threshold: Option<u32>,
    pub grace_period: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoscalingConfig {
    pub min: Option<u32>,
    pub max: Option<u32>,
    pub cpu_target: Option<u32>,
    pub memory_target: Option<u32>,
    pub scale_in_cooldown: Option<u32>,
    pub scale_out_cooldown: Option<u32>,
    pub queue_id: Option<String>,
    pub messages_per_task: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapacityConfig {
    pub fargate_weight: Option<u32>,
    pub spot_weight: Option<u32>,
    pub base: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentConfig {
    pub min_healthy_percent: Option<u32>,
    pub max_percent: Option<u32>,
    pub circuit_breaker: Option<bool>,
    pub wait: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamConfig {
    pub policy_json: Option<String>,
    pub managed_policy_arns: Option<Vec<String>>,
    pub permissions_boundary_arn: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggingConfig {
    pub retention_days: Option<u32>,
}

/// The live deployment facts a prior state records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ServicePrior {
    pub running_image: Option<String>,
    pub deployment_id: Option<String>,
    pub deployment_status: Option<String>,
}

/// `platform_service`'s computed attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceComputed {
    pub service_arn: Planned<String>,
    pub task_definition_arn: Planned<String>,
    pub task_role_arn: Planned<String>,
    pub execution_role_arn: Planned<String>,
    pub security_group_id: Planned<String>,
    pub log_group_name: String,
    /// Empty without routing.
    pub target_group_arn: Planned<String>,
    /// Null without routing.
    pub listener_rule_priority: Planned<Option<u32>>,
    /// Empty without routing.
    pub url: String,
    /// Empty without `internal` or a namespace.
    pub internal_endpoint: String,
    /// Variable → ARN of each generated secret.
    pub generated_secret_arns: BTreeMap<String, Planned<String>>,
    pub running_image: Planned<String>,
    pub deployment_id: Planned<String>,
    pub deployment_status: Planned<String>,
}

/// A list of strings, sorted and unique (order carries no meaning where it is used).
fn sorted_unique(items: Option<&Vec<String>>) -> Vec<String> {
    let set: BTreeSet<&String> = items.into_iter().flatten().collect();
    set.into_iter().cloned().collect()
}

/// Reads the configuration with the environment's tier defaults. `access` resolves database
/// and cache IDs (`database_access/<id>`).
/// The buckets a configuration names, in the order written, with what was found of each (by
/// ID).
fn buckets_of(config: &ServiceConfig, found: &BTreeMap<String, BucketAccess>) -> Vec<BucketAccess> {
    config
        .bucket_access
        .iter()
        .flatten()
        .map(|b| {
            let id = b.bucket_id.clone().unwrap_or_default();
            let found = found.get(&id);
            BucketAccess {
                name: split_id(&id)
                    .map(|(_, n)| n.to_string())
                    .unwrap_or_default(),
                bucket_name: found.and_then(|b| b.bucket_name.clone()),
                kms_key_arn: found.and_then(|b| b.kms_key_arn.clone()),
                mode: b.mode.clone().unwrap_or_else(|| "read".to_string()),
                id,
            }
        })
        .collect()
}

/// The queues and topics a configuration names, sorted by ID, with what was found of each.
fn messaging_of(
    config: &ServiceConfig,
    targets: &BTreeMap<String, MessagingAccess>,
) -> Vec<MessagingAccess> {
    let publish = sorted_unique(config.publish_to.as_ref());
    let consume = sorted_unique(config.consume_from.as_ref());
    let mut ids: Vec<&String> = publish.iter().chain(&consume).collect();
    ids.sort();
    ids.dedup();
    ids.into_iter()
        .map(|id| {
            let found = targets.get(id);
            MessagingAccess {
                id: id.clone(),
                name: split_id(id).map(|(_, n)| n.to_string()).unwrap_or_default(),
                kind: found.and_then(|t| t.kind),
                arn: found.and_then(|t| t.arn.clone()),
                url: found.and_then(|t| t.url.clone()),
                kms_key_arn: found.and_then(|t| t.kms_key_arn.clone()),
                publish: publish.contains(id),
                consume: consume.contains(id),
            }
        })
        .collect()
}

pub fn spec_of(
    config: &ServiceConfig,
    env: &EnvironmentFacts,
    default_tags: &BTreeMap<String, String>,
    access: &BTreeMap<String, AccessRef>,
    targets: &BTreeMap<String, MessagingAccess>,
    buckets: &BTreeMap<String, BucketAccess>,
) -> ServiceSpec {
    let d = ServiceDefaults::for_tier(env.tier);
    let access_list = |attribute: &str, ids: Option<&Vec<String>>| -> Vec<AccessRef> {
        sorted_unique(ids)
            .into_iter()
            .map(|id| {
                access
                    .get(&format!("{attribute}/{id}"))
                    .cloned()
                    .unwrap_or_else(|| AccessRef {
                        name: split_id(&id)
                            .map(|(_, n)| n.to_string())
                            .unwrap_or_default(),
                        id,
                        secret_arn: None,
                        security_group_id: None,
                    })
            })
            .collect()
    };
    let routing = config.routing.as_ref().map(|r| {
        let hc = r.health_check.clone().unwrap_or_default();
        let mut paths = sorted_unique(r.paths.as_ref());
        if paths.is_empty() {
            paths = vec!["/*".to_string()];
        }
        RoutingSpec {
            hosts: sorted_unique(r.hosts.as_ref()),
            paths,
            priority: r.priority,
            deregistration_delay: r.deregistration_delay.unwrap_or(d.deregistration_delay),
            health_check: HealthCheck {
                path: hc.path.unwrap_or_else(|| "/healthz".to_string()),
                matcher: hc.matcher.unwrap_or_else(|| "200-399".to_string()),
                interval: hc.interval.unwrap_or(15),
                timeout: hc.timeout.unwrap_or(5),
                healthy_threshold: hc.healthy_threshold.unwrap_or(2),
                unhealthy_threshold: hc.unhealthy_threshold.unwrap_or(3),
                grace_period: hc.grace_period.unwrap_or(d.grace_period),
            },
        }
    });
    let autoscaling = config.autoscaling.as_ref().map(|a| AutoscalingSpec {
        min: a.min.unwrap_or(d.min),
        max: a.max.unwrap_or(d.max),
        cpu_target: a.cpu_target.unwrap_or(d.cpu_target),
        memory_target: a.memory_target,
        scale_in_cooldown: a.scale_in_cooldown.unwrap_or(300),
        scale_out_cooldown: a.scale_out_cooldown.unwrap_or(60),
        queue: a.queue_id.as_ref().map(|id| QueueScaling {
            queue_id: id.clone(),
            queue_name: targets
                .get(id)
                .and_then(|t| t.arn.as_deref())
                .map(|arn| arn.rsplit(':').next().unwrap_or(arn).to_string()),
            messages_per_task: a.messages_per_task.unwrap_or(10),
        }),
    });
    let capacity = match &config.capacity {
        Some(c) => CapacitySpec {
            fargate_weight: c.fargate_weight.unwrap_or(env.capacity.fargate_weight),
            spot_weight: c.spot_weight.unwrap_or(env.capacity.spot_weight),
            base: c.base.unwrap_or(env.capacity.base),
        },
        None => env.capacity,
    };
    let deployment = config.deployment.clone().unwrap_or_default();
    let iam = config.iam.clone().unwrap_or_default();
    ServiceSpec {
        environment: env.name.clone(),
        name: config.name.clone().unwrap_or_default(),
        image: config.image.clone().unwrap_or_default(),
        image_source: config.image_source.unwrap_or(ImageSource::Terraform),
        cpu: config.cpu.unwrap_or(256),
        memory: config.memory.unwrap_or(512),
        architecture: match config.architecture {
            Some(Architecture::Arm64) => "ARM64",
            Some(Architecture::X86_64) | None => "X86_64",
        }
        .to_string(),
        // A worker (nothing reaches it) listens on no port.
        port: config.port.or((config.routing.is_some()
            || config.internal.is_some()
            || config
                .allow_from_services
                .as_ref()
                .is_some_and(|a| !a.is_empty()))
        .then_some(8080)),
        command: config.command.clone().unwrap_or_default(),
        environment_variables: config.environment_variables.clone().unwrap_or_default(),
        secrets: config.secrets.clone().unwrap_or_default(),
        generated_secrets: sorted_unique(config.generated_secrets.as_ref()),
        regenerate_secrets: sorted_unique(config.regenerate_secrets.as_ref()),
        database_access: access_list("database_access", config.database_access.as_ref()),
        cache_access: access_list("cache_access", config.cache_access.as_ref()),
        allow_from_services: access_list(
            "allow_from_services",
            config.allow_from_services.as_ref(),
        ),
        messaging: messaging_of(config, targets),
        buckets: buckets_of(config, buckets),
        internal: config.internal.as_ref().map(|i| InternalSpec {
            port_name: i.port_name.clone().unwrap_or_else(|| "http".to_string()),
            discovery_name: i
                .discovery_name
                .clone()
                .or_else(|| config.name.clone())
                .unwrap_or_default(),
        }),
        sidecars: config
            .sidecar
            .iter()
            .flatten()
            .map(|s| Sidecar {
                name: s.name.clone().unwrap_or_default(),
                image: s.image.clone().unwrap_or_default(),
                essential: s.essential.unwrap_or(false),
                cpu: s.cpu,
                memory: s.memory,
                port: s.port,
                command: s.command.clone().unwrap_or_default(),
                environment_variables: s.environment_variables.clone().unwrap_or_default(),
                secrets: s.secrets.clone().unwrap_or_default(),
                use_repository_credentials: s.use_repository_credentials.unwrap_or(false),
            })
            .collect(),
        schedules: config
            .schedule
            .iter()
            .flatten()
            .map(|s| ScheduleSpec {
                name: s.name.clone().unwrap_or_default(),
                expression: s.expression.clone().unwrap_or_default(),
                timezone: s
                    .timezone
                    .clone()
                    .unwrap_or_else(|| DEFAULT_TIMEZONE.to_string()),
                command: s.command.clone().unwrap_or_default(),
            })
            .collect(),
        repository_credentials_secret_arn: config.repository_credentials_secret_arn.clone(),
        repository_credentials_kms_key_arn: config.repository_credentials_kms_key_arn.clone(),
        desired_count: config.desired_count.unwrap_or(d.desired_count),
        exec_enabled: config.exec_enabled.unwrap_or(d.exec_enabled),
        read_only_root_filesystem: config.read_only_root_filesystem.unwrap_or(true),
        routing,
        autoscaling,
        capacity,
        deployment: DeploymentSpec {
            min_healthy_percent: deployment
                .min_healthy_percent
                .unwrap_or(d.min_healthy_percent),
            max_percent: deployment.max_percent.unwrap_or(d.max_percent),
            circuit_breaker: deployment.circuit_breaker.unwrap_or(true),
            wait: deployment.wait.unwrap_or(true),
        },
        iam: IamSpec {
            policy_json: iam.policy_json.map(|doc| {
                serde_json::from_str::<serde_json::Value>(&doc)
                    .map(|v| canonical_json(&v))
                    .unwrap_or(doc)
            }),
            managed_policy_arns: sorted_unique(iam.managed_policy_arns.as_ref()),
            permissions_boundary_arn: iam.permissions_boundary_arn,
        },
        log_retention_days: config
            .logging
            .as_ref()
            .and_then(|l| l.retention_days)
            .unwrap_or(env.log_retention_days),
        tags: merged_tags(default_tags, config.tags.as_ref()),
    }
}

/// ValidateResourceConfig's own checks, on what is known, against a placeholder environment.
pub fn validate(config: &ServiceConfig, unjudged: &Unjudged) -> Diagnostics {
    // Unknown until plan (an expression): checks needing it wait.
    let env = placeholder_env(config.environment_id.as_deref().unwrap_or_default());
    let spec = spec_of(
        config,
        &env,
        &BTreeMap::new(),
        &BTreeMap::new(),
        &BTreeMap::new(),
        &BTreeMap::new(),
    );
    validate_service_known(&spec, unjudged)
}

pub fn effective_config(spec: &ServiceSpec, priority: Option<u32>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        out.insert(k.to_string(), v);
    };
    put(
        "image_source",
        match spec.image_source {
            ImageSource::Terraform => "terraform",
            ImageSource::External => "external",
        }
        .to_string(),
    );
    put("cpu", spec.cpu.to_string());
    put("memory", spec.memory.to_string());
    put("architecture", spec.architecture.to_lowercase());
    put(
        "port",
        spec.port
            .map(|p| p.to_string())
            .unwrap_or_else(|| "none".to_string()),
    );
    put("desired_count", spec.desired_count.to_string());
    put("exec_enabled", spec.exec_enabled.to_string());
    put(
        "read_only_root_filesystem",
        spec.read_only_root_filesystem.to_string(),
    );
    put(
        "capacity.fargate_weight",
        spec.capacity.fargate_weight.to_string(),
    );
    put(
        "capacity.spot_weight",
        spec.capacity.spot_weight.to_string(),
    );
    put("capacity.base", spec.capacity.base.to_string());
    let d = &spec.deployment;
    put(
        "deployment.min_healthy_percent",
        d.min_healthy_percent.to_string(),
    );
    put("deployment.max_percent", d.max_percent.to_string());
    put("deployment.circuit_breaker", d.circuit_breaker.to_string());
    put("deployment.rollback", d.circuit_breaker.to_string());
    put("deployment.wait", d.wait.to_string());
    put(
        "logging.retention_days",
        spec.log_retention_days.to_string(),
    );
    if let Some(r) = &spec.routing {
        put("routing.hosts", r.hosts.join(","));
        put("routing.paths", r.paths.join(","));
        if let Some(p) = priority {
            put("routing.priority", p.to_string());
        }
        put(
            "routing.deregistration_delay",
            r.deregistration_delay.to_string(),
        );
        let hc = &r.health_check;
        put("routing.health_check.path", hc.path.clone());
        put("routing.health_check.matcher", hc.matcher.clone());
        put("routing.health_check.interval", hc.interval.to_string());
        put("routing.health_check.timeout", hc.timeout.to_string());
        put(
            "routing.health_check.healthy_threshold",
            hc.healthy_threshold.to_string(),
        );
        put(
            "routing.health_check.unhealthy_threshold",
            hc.unhealthy_threshold.to_string(),
        );
        put(
            "routing.health_check.grace_period",
            hc.grace_period.to_string(),
        );
    }
    if let Some(internal) = &spec.internal {
        put("internal.port_name", internal.port_name.clone());
        put("internal.discovery_name", internal.discovery_name.clone());
    }
    if let Some(a) = &spec.autoscaling {
        put("autoscaling.min", a.min.to_string());
        put("autoscaling.max", a.max.to_string());
        put("autoscaling.cpu_target", a.cpu_target.to_string());
        put(
            "autoscaling.memory_target",
            a.memory_target.map(|m| m.to_string()).unwrap_or_default(),
        );
        put(
            "autoscaling.scale_in_cooldown",
            a.scale_in_cooldown.to_string(),
        );
        put(
            "autoscaling.scale_out_cooldown",
            a.scale_out_cooldown.to_string(),
        );
    }
    out
}

/// The listener rule priority the ledger records.
pub fn recorded_priority(ledger: &Ledger) -> Option<u32> {
    match ledger
        .children
        .get(&expand::listener_rule_key())
        .map(|r| &r.observed)
    {
        Some(ChildSpec::ListenerRule(rule)) => Some(rule.priority),
        _ => None,
    }
}

/// Each generated secret the ledger records: its generation and whether `regenerate_secrets`
/// listed it.
pub fn recorded_secrets(ledger: &Ledger) -> BTreeMap<String, (u32, bool)> {
    let prefix = format!("{}/generated/", Kind::Secret.prefix());
    ledger
        .children
        .iter()
        .filter_map(|(key, recorded)| {
            let variable = key.as_str().strip_prefix(&prefix)?;
            match &recorded.observed {
                ChildSpec::Secret(SecretSpec {
                    content:
                        SecretContent::Generated {
                            generation,
                            regenerate,
                            ..
                        },
                    ..
                }) => Some((variable.to_string(), (*generation, *regenerate))),
                _ => None,
            }
        })
        .collect()
}

/// The image of the task definition recorded in the ledger.
pub fn recorded_image(ledger: &Ledger) -> Option<String> {
    match ledger
        .children
        .get(&expand::task_definition_key())
        .map(|r| &r.observed)
    {
        Some(ChildSpec::TaskDefinition(td)) => Some(td.container.image.clone()),
        _ => None,
    }
}

/// The arguments an imported service's children show, where they differ from the defaults.
pub fn imported_config(ledger: &Ledger, env: &EnvironmentFacts, config: &mut ServiceConfig) {
    let observed = |key: NodeKey| ledger.children.get(&key).map(|r| &r.observed);
    let d = ServiceDefaults::for_tier(env.tier);
    let differs = |value: u32, default: u32| (value != default).then_some(value);
    if let Some(ChildSpec::TaskDefinition(td)) = observed(expand::task_definition_key()) {
        let c = &td.container;
        config.image = Some(c.image.clone());
        if let Some(cpu) = differs(td.cpu, 256) {
            config.cpu = Some(cpu);
        }
        if let Some(memory) = differs(td.memory, 512) {
            config.memory = Some(memory);
        }
        let routed = observed(expand::listener_rule_key()).is_some();
        if let Some(port) = c.port.filter(|p| *p != 8080 || !routed) {
            // Ports are 1–65535 whatever ECS's integer type.
            config.port = u32::try_from(port).ok();
        }
        if td.cpu_architecture == "ARM64" {
            config.architecture = Some(Architecture::Arm64);
        }
        if !c.command.is_empty() {
            config.command = Some(c.command.clone());
        }
        if !c.environment.is_empty() {
            config.environment_variables = Some(c.environment.clone());
        }
        if !c.read_only_root_filesystem {
            config.read_only_root_filesystem = Some(false);
        }
        // Connection secrets name the databases and caches; the rest are the user's.
        let mut secrets = BTreeMap::new();
        let mut databases = BTreeSet::new();
        let mut caches = BTreeSet::new();
        for (var, value_from) in &c.secrets {
            match access_of(value_from, &env.name) {
                Some((Access::Database, name)) => {
                    databases.insert(format!("{}/{name}", env.name));
                }
                Some((Access::Cache, name)) => {
                    caches.insert(format!("{}/{name}", env.name));
                }
                None => {
                    secrets.insert(var.clone(), value_from.clone());
                }
            }
        }
        if !secrets.is_empty() {
            config.secrets = Some(secrets);
        }
        if !c.generated_secrets.is_empty() {
            config.generated_secrets = Some(c.generated_secrets.keys().cloned().collect());
        }
        config.repository_credentials_secret_arn = c.repository_credentials.clone();
        if !td.sidecars.is_empty() {
            let some = |v: &BTreeMap<String, String>| (!v.is_empty()).then(|| v.clone());
            config.sidecar = Some(
                td.sidecars
                    .iter()
                    .map(|s| SidecarConfig {
                        name: Some(s.name.clone()),
                        image: Some(s.image.clone()),
                        essential: s.essential.then_some(true),
                        cpu: s.cpu,
                        memory: s.memory,
                        port: s.port.and_then(|p| u32::try_from(p).ok()),
                        command: (!s.command.is_empty()).then(|| s.command.clone()),
                        environment_variables: some(&s.environment),
                        secrets: some(&s.secrets),
                        use_repository_credentials: s
                            .repository_credentials
                            .is_some()
                            .then_some(true),
                    })
                    .collect(),
            );
        }
        if !databases.is_empty() {
            config.database_access = Some(databases.into_iter().collect());
        }
        if !caches.is_empty() {
            config.cache_access = Some(caches.into_iter().collect());
        }
    }
    let schedule_prefix = format!("{}/", Kind::Schedule.prefix());
    let schedules: Vec<ScheduleConfig> = ledger
        .children
        .iter()
        .filter_map(|(key, recorded)| {
            let name = key.as_str().strip_prefix(&schedule_prefix)?;
            match &recorded.observed {
                ChildSpec::Schedule(schedule) => Some(ScheduleConfig {
                    name: Some(name.to_string()),
                    expression: Some(schedule.expression.clone()),
                    timezone: (schedule.timezone != DEFAULT_TIMEZONE)
                        .then(|| schedule.timezone.clone()),
                    command: (!schedule.command.is_empty()).then(|| schedule.command.clone()),
                }),
                _ => None,
            }
        })
        .collect();
    if !schedules.is_empty() {
        config.schedule = Some(schedules);
    }
    let scaling = observed(NodeKey::new(Kind::ScalableTarget, &["service"]));
    if let Some(ChildSpec::EcsService(svc)) = observed(expand::service_key()) {
        if svc.enable_execute_command != d.exec_enabled {
            config.exec_enabled = Some(svc.enable_execute_command);
        }
        if scaling.is_none() {
            if let Some(count) = differs(svc.desired_count, d.desired_count) {
                config.desired_count = Some(count);
            }
        }
        if svc.load_balancer.is_some() {
            let mut routing = RoutingConfig::default();
            if let Some(ChildSpec::ListenerRule(rule)) = observed(expand::listener_rule_key()) {
                if !rule.hosts.is_empty() {
                    routing.hosts = Some(rule.hosts.clone());
                }
                if rule.paths != ["/*"] && !rule.paths.is_empty() {
                    routing.paths = Some(rule.paths.clone());
                }
            }
            config.routing = Some(routing);
        }
    }
    if let Some(ChildSpec::ScalableTarget(target)) = scaling {
        let policy_target = |name: &str| match observed(NodeKey::new(Kind::ScalingPolicy, &[name]))
        {
            Some(ChildSpec::ScalingPolicy(policy)) => Some(policy.target_value),
            _ => None,
        };
        config.autoscaling = Some(AutoscalingConfig {
            min: differs(target.min_capacity, d.min),
            max: differs(target.max_capacity, d.max),
            cpu_target: policy_target("cpu").and_then(|t| differs(t, d.cpu_target)),
            memory_target: policy_target("memory"),
            ..AutoscalingConfig::default()
        });
    }
}

/// Which kind of resource a connection secret belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Database,
    Cache,
}

/// The database or cache whose connection secret a `valueFrom` reads, from the secret's name
/// `platform/<env>/<kind>/<name>` in its ARN.
fn access_of(value_from: &str, env: &str) -> Option<(Access, String)> {
    let name = value_from.split(":secret:").nth(1)?.split(':').next()?;
    // Secrets Manager appends `-` and six random characters to the name.
    let (name, _) = name.rsplit_once('-')?;
    let rest = name.strip_prefix(&format!("platform/{env}/"))?;
    for (prefix, access) in [("database/", Access::Database), ("cache/", Access::Cache)] {
        if let Some(n) = rest.strip_prefix(prefix) {
            if !n.contains('/') {
                return Some((access, n.to_string()));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::schema::Schema;
    use crate::framework::value::{de, ser, Type, Value};
    use crate::resources::app::schema::common_block;
    use crate::resources::app::service::schema::arg_block;

    fn schema_type() -> Type {
        Schema::new(0, common_block(arg_block(), "service")).value_type()
    }

    #[test]
    fn the_model_matches_the_schema() {
        let ty = schema_type();
        assert_eq!(de::check_fields::<ServiceConfig>(&ty), Vec::<String>::new());
        assert_eq!(de::check_fields::<ServicePrior>(&ty), Vec::<String>::new());
    }

    #[test]
    fn connection_secrets_name_their_database_or_cache() {
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:platform/dev/database/main-AbCdEf:url::";
        assert_eq!(
            access_of(arn, "dev"),
            Some((Access::Database, "main".to_string()))
        );
        let cache = "arn:aws:secretsmanager:us-east-1:123456789012:secret:platform/dev/cache/kv-a-Zx12Cv:url::";
        assert_eq!(
            access_of(cache, "dev"),
            Some((Access::Cache, "kv-a".to_string()))
        );
        assert_eq!(access_of(arn, "prod"), None);
        let own = "arn:aws:secretsmanager:us-east-1:123456789012:secret:stripe-QwErTy:key::";
        assert_eq!(access_of(own, "dev"), None);
    }

    #[test]
    fn validate_waits_for_the_argument_a_check_compares_with() {
        let config = ServiceConfig {
            name: Some("api".into()),
            image: Some("nginx:1.27".into()),
            memory: Some(4096),
            ..ServiceConfig::default()
        };
        // With cpu absent, the 256 default is what will be used: judged.
        let diags = validate(&config, &Unjudged::none());
        assert_eq!(diags.0[0].summary, "Invalid Fargate CPU and memory pair");
        // With cpu unknown, the pair is not judged against a default standing in for it.
        let mut value = ser::to_value(&config, &schema_type()).unwrap();
        value.set("cpu", Value::Unknown);
        let read = de::from_known_part::<ServiceConfig>(&value).unwrap();
        assert!(validate(&read.value, &read.unjudged).is_empty());
    }
}
