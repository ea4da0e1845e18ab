//! `platform_service`: an ECS Fargate service in an environment's private tier.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;

use crate::aws;
use crate::framework::diag::{Diagnostic, Diagnostics};
use crate::framework::path::AttrPath;
use crate::framework::schema::{Attribute, Block};
use crate::framework::validator::Validator;
use crate::framework::value::Value;
use crate::plan::app::{
    assign_priority, is_catch_all, split_id, validate_service, AccessRef, AutoscalingSpec,
    DeploymentSpec, EnvironmentFacts, HealthCheck, IamSpec, ImageSource, RoutingSpec, ServiceSpec,
    FARGATE_CPU,
};
use crate::plan::expand::policy::canonical_json;
use crate::plan::expand::service::{self as expand, expand_service, ServiceInputs};
use crate::plan::ledger::Ledger;
use crate::plan::node::{ChildSpec, Kind, NodeKey};
use crate::plan::spec::{uncovered_hosts, CapacitySpec, Tier};
use crate::plan::tiers::ServiceDefaults;
use crate::resources::configured::Configured;

use super::fields::{block, boolean, string, string_map, string_set, strings, uint};
use super::{merged_tags, AppKind, Ids, Mode, Prepared};

pub struct Service;

pub type ServiceResource = super::AppResource<Service>;

const ARCHITECTURES: &[&str] = &["x86_64", "arm64"];
const IMAGE_SOURCES: &[&str] = &["terraform", "external"];

fn cpu_is_fargate(value: &Value) -> Option<String> {
    let n = uint(value)?;
    (!FARGATE_CPU.contains(&n)).then(|| {
        format!(
            "{n} is not a Fargate CPU size ({})",
            FARGATE_CPU
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

fn arg_block() -> Block {
    let health_check = Block::new("The target group's HTTP health check on the service port.")
        .attribute(Attribute::string("path").optional().description("Default `/healthz`."))
        .attribute(Attribute::string("matcher").optional().description("HTTP codes counted healthy. Default `200-399`."))
        .attribute(Attribute::number("interval").optional().description("Seconds between checks, 5–300. Default 15."))
        .attribute(Attribute::number("timeout").optional().description("Seconds, 2–120 and below `interval`. Default 5."))
        .attribute(Attribute::number("healthy_threshold").optional().description("Default 2."))
        .attribute(Attribute::number("unhealthy_threshold").optional().description("Default 3."))
        .attribute(Attribute::number("grace_period").optional().description("Seconds ECS ignores failing checks after a task starts. Default by tier: dev 30, staging and prod 60."));
    let routing = Block::new("Present: an IP target group and a rule on the environment's HTTPS listener. Absent: an internal service with no routing.")
        .attribute(Attribute::string_list("hosts").optional().description("Host headers to match; each must be covered by the environment's certificate. Default `[]` (any host)."))
        .attribute(Attribute::string_list("paths").optional().description("Path patterns to match. Default `[\"/*\"]`."))
        .attribute(Attribute::number("priority").optional().description("Listener rule priority, 1–50000. Default: assigned once from a hash of the service's name (specific rules in 1–39999, catch-all ones in 40000–49999), recorded and never reshuffled.").validate(Validator::IntBetween(1, 50000)))
        .attribute(Attribute::number("deregistration_delay").optional().description("Seconds to drain a target. Default by tier: dev 5, staging and prod 30.").validate(Validator::IntBetween(0, 3600)))
        .single_block("health_check", health_check);
    let autoscaling = Block::new("Present: target tracking on the desired count through Application Auto Scaling (`desired_count` is then only the initial count).")
        .attribute(Attribute::number("min").optional().description("Default by tier: dev 1, staging 1, prod 2."))
        .attribute(Attribute::number("max").optional().description("Default by tier: dev 2, staging 4, prod 10."))
        .attribute(Attribute::number("cpu_target").optional().description("Average CPU percent to hold. Default by tier: dev and staging 70, prod 60."))
        .attribute(Attribute::number("memory_target").optional().description("Average memory percent to hold; no memory policy when unset."))
        .attribute(Attribute::number("scale_in_cooldown").optional().description("Seconds. Default 300."))
        .attribute(Attribute::number("scale_out_cooldown").optional().description("Seconds. Default 60."));
    let capacity = Block::new("Capacity provider strategy. Default: the environment's.")
        .attribute(
            Attribute::number("fargate_weight")
                .optional()
                .description("Relative share of tasks on FARGATE. Default: the environment's `cluster.capacity.fargate_weight`.")
                .validate(Validator::IntBetween(0, 1000)),
        )
        .attribute(
            Attribute::number("spot_weight")
                .optional()
                .description("Relative share of tasks on FARGATE_SPOT. Default: the environment's `cluster.capacity.spot_weight`.")
                .validate(Validator::IntBetween(0, 1000)),
        )
        .attribute(
            Attribute::number("base")
                .optional()
                .description("Tasks always on FARGATE. Default: the environment's `cluster.capacity.base`.")
                .validate(Validator::IntBetween(0, 100000)),
        );
    let deployment = Block::new("Rolling deployments.")
        .attribute(Attribute::number("min_healthy_percent").optional().description("Default by tier: dev 0, staging and prod 100."))
        .attribute(Attribute::number("max_percent").optional().description("Default 200."))
        .attribute(Attribute::bool("circuit_breaker").optional().description("The deployment circuit breaker, always with rollback. Default true."))
        .attribute(Attribute::bool("wait").optional().description("Apply waits for the deployment it starts to finish (within the timeouts); a rollback fails the apply with its reasons. Default true."));
    let iam = Block::new("The task role.")
        .attribute(
            Attribute::string("policy_json")
                .optional()
                .description("Extra statements for the task role (an IAM policy document)."),
        )
        .attribute(
            Attribute::string_list("managed_policy_arns")
                .optional()
                .description("Managed policies attached to the task role. Default `[]`."),
        )
        .attribute(
            Attribute::string("permissions_boundary_arn")
                .optional()
                .description("Permissions boundary of both roles."),
        );
    let logging = Block::new("The service's log group `/platform/<environment>/<name>`.")
        .attribute(
            Attribute::number("retention_days")
                .optional()
                .description("Default: the environment's retention."),
        );
    Block::new("An ECS Fargate service in an environment's private tier: task definition, task and execution roles, its own security group and log group, optionally a target group with a listener rule, and autoscaling.")
        .attribute(Attribute::string("image").required().description("Container image: a tag or an `@sha256:` digest."))
        .attribute(Attribute::string("image_source").optional().description("`terraform` (default) or `external`: CI owns the image after create; Terraform neither reverts it nor reports it as drift.").validate(Validator::OneOf(IMAGE_SOURCES)))
        .attribute(Attribute::number("cpu").optional().description("CPU units. Default 256.").validate(Validator::Custom(cpu_is_fargate)))
        .attribute(Attribute::number("memory").optional().description("MiB, a size Fargate allows with `cpu`. Default 512."))
        .attribute(Attribute::string("architecture").optional().description("`x86_64` (default) or `arm64`.").validate(Validator::OneOf(ARCHITECTURES)))
        .attribute(Attribute::number("port").optional().description("Container port. Default 8080.").validate(Validator::IntBetween(1, 65535)))
        .attribute(Attribute::string_list("command").optional().description("Overrides the image's command."))
        .attribute(Attribute::string_map("environment_variables").optional().description("Plain environment variables. Default `{}`."))
        .attribute(Attribute::string_map("secrets").optional().description("Variable name → Secrets Manager secret ARN (optionally `<arn>:<json-key>::`) or SSM parameter ARN. The execution role may read exactly these."))
        .attribute(Attribute::string_list("database_access").optional().description("`platform_database` IDs of the same environment: a security group rule to the database, and `DATABASE_URL` and `PGHOST`/`PGPORT`/`PGDATABASE`/`PGUSER`/`PGPASSWORD` from its connection secret (`<NAME>_DATABASE_URL` with several)."))
        .attribute(Attribute::string_list("cache_access").optional().description("`platform_cache` IDs of the same environment: a security group rule and `REDIS_URL` (`<NAME>_REDIS_URL` with several)."))
        .attribute(Attribute::number("desired_count").optional().description("Tasks to run. Default by tier: dev 1, staging 1, prod 2. Only the initial count with `autoscaling`."))
        .attribute(Attribute::bool("exec_enabled").optional().description("ECS Exec. Default by tier: dev and staging true, prod false."))
        .attribute(Attribute::bool("read_only_root_filesystem").optional().description("Default true."))
        .single_block("routing", routing)
        .single_block("autoscaling", autoscaling)
        .single_block("capacity", capacity)
        .single_block("deployment", deployment)
        .single_block("iam", iam)
        .single_block("logging", logging)
        .attribute(Attribute::string("service_arn").computed().description("ARN of the ECS service."))
        .attribute(Attribute::string("task_definition_arn").computed().description("ARN of the task definition revision in use."))
        .attribute(Attribute::string("task_role_arn").computed().description("ARN of the task role."))
        .attribute(Attribute::string("execution_role_arn").computed().description("ARN of the execution role."))
        .attribute(Attribute::string("security_group_id").computed().description("ID of the service's own security group."))
        .attribute(Attribute::string("target_group_arn").computed().description("ARN of the target group; empty without routing."))
        .attribute(Attribute::number("listener_rule_priority").computed().description("Priority of the listener rule; null without routing."))
        .attribute(Attribute::string("url").computed().description("`https://<first host or the load balancer's DNS name>`; empty without routing."))
        .attribute(Attribute::string("log_group_name").computed().description("The service's log group."))
        .attribute(Attribute::string("running_image").computed().description("The image of the task definition the service runs."))
        .attribute(Attribute::string("deployment_id").computed().description("ID of the primary ECS deployment at the last refresh."))
        .attribute(Attribute::string("deployment_status").computed().description("Rollout state of the primary deployment at the last refresh (`COMPLETED`, `IN_PROGRESS`, `FAILED`)."))
}

/// Reads the configuration with the tier's defaults. `access` resolves database and cache IDs.
fn parse(
    config: &Value,
    env_name: &str,
    tier: Tier,
    env_capacity: CapacitySpec,
    env_retention: u32,
    default_tags: &BTreeMap<String, String>,
    access: &BTreeMap<String, AccessRef>,
) -> ServiceSpec {
    let d = ServiceDefaults::for_tier(tier);
    let access_list = |name: &str| -> Vec<AccessRef> {
        string_set(config.get(name))
            .unwrap_or_default()
            .into_iter()
            .map(|id| {
                access
                    .get(&format!("{name}/{id}"))
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
    let routing = block(config.get("routing")).map(|r| {
        let hc = r.get("health_check");
        let mut paths = string_set(r.get("paths")).unwrap_or_default();
        if paths.is_empty() {
            paths = vec!["/*".to_string()];
        }
        RoutingSpec {
            hosts: string_set(r.get("hosts")).unwrap_or_default(),
            paths,
            priority: uint(r.get("priority")),
            deregistration_delay: uint(r.get("deregistration_delay"))
                .unwrap_or(d.deregistration_delay),
            health_check: HealthCheck {
                path: string(hc.get("path")).unwrap_or_else(|| "/healthz".to_string()),
                matcher: string(hc.get("matcher")).unwrap_or_else(|| "200-399".to_string()),
                interval: uint(hc.get("interval")).unwrap_or(15),
                timeout: uint(hc.get("timeout")).unwrap_or(5),
                healthy_threshold: uint(hc.get("healthy_threshold")).unwrap_or(2),
                unhealthy_threshold: uint(hc.get("unhealthy_threshold")).unwrap_or(3),
                grace_period: uint(hc.get("grace_period")).unwrap_or(d.grace_period),
            },
        }
    });
    let autoscaling = block(config.get("autoscaling")).map(|a| AutoscalingSpec {
        min: uint(a.get("min")).unwrap_or(d.min),
        max: uint(a.get("max")).unwrap_or(d.max),
        cpu_target: uint(a.get("cpu_target")).unwrap_or(d.cpu_target),
        memory_target: uint(a.get("memory_target")),
        scale_in_cooldown: uint(a.get("scale_in_cooldown")).unwrap_or(300),
        scale_out_cooldown: uint(a.get("scale_out_cooldown")).unwrap_or(60),
    });
    let capacity = match block(config.get("capacity")) {
        Some(c) => CapacitySpec {
            fargate_weight: uint(c.get("fargate_weight")).unwrap_or(env_capacity.fargate_weight),
            spot_weight: uint(c.get("spot_weight")).unwrap_or(env_capacity.spot_weight),
            base: uint(c.get("base")).unwrap_or(env_capacity.base),
        },
        None => env_capacity,
    };
    let dep = config.get("deployment");
    let iam = config.get("iam");
    ServiceSpec {
        environment: env_name.to_string(),
        name: string(config.get("name")).unwrap_or_default(),
        image: string(config.get("image")).unwrap_or_default(),
        image_source: match config.get("image_source").as_str() {
            Some("external") => ImageSource::External,
            _ => ImageSource::Terraform,
        },
        cpu: uint(config.get("cpu")).unwrap_or(256),
        memory: uint(config.get("memory")).unwrap_or(512),
        architecture: match config.get("architecture").as_str() {
            Some("arm64") => "ARM64".to_string(),
            _ => "X86_64".to_string(),
        },
        port: uint(config.get("port")).unwrap_or(8080),
        command: strings(config.get("command")).unwrap_or_default(),
        environment_variables: string_map(config.get("environment_variables")).unwrap_or_default(),
        secrets: string_map(config.get("secrets")).unwrap_or_default(),
        database_access: access_list("database_access"),
        cache_access: access_list("cache_access"),
        desired_count: uint(config.get("desired_count")).unwrap_or(d.desired_count),
        exec_enabled: boolean(config.get("exec_enabled")).unwrap_or(d.exec_enabled),
        read_only_root_filesystem: boolean(config.get("read_only_root_filesystem")).unwrap_or(true),
        routing,
        autoscaling,
        capacity,
        deployment: DeploymentSpec {
            min_healthy_percent: uint(dep.get("min_healthy_percent"))
                .unwrap_or(d.min_healthy_percent),
            max_percent: uint(dep.get("max_percent")).unwrap_or(d.max_percent),
            circuit_breaker: boolean(dep.get("circuit_breaker")).unwrap_or(true),
            wait: boolean(dep.get("wait")).unwrap_or(true),
        },
        iam: IamSpec {
            policy_json: string(iam.get("policy_json")).map(|doc| {
                serde_json::from_str::<serde_json::Value>(&doc)
                    .map(|v| canonical_json(&v))
                    .unwrap_or(doc)
            }),
            managed_policy_arns: string_set(iam.get("managed_policy_arns")).unwrap_or_default(),
            permissions_boundary_arn: string(iam.get("permissions_boundary_arn")),
        },
        log_retention_days: uint(config.get("logging").get("retention_days"))
            .unwrap_or(env_retention),
        tags: merged_tags(config, default_tags),
    }
}

/// Finds the databases and caches a service lists: their groups and connection secrets.
async fn resolve_access(
    configured: &Configured,
    config: &Value,
    env: &EnvironmentFacts,
    mode: Mode,
) -> Result<BTreeMap<String, AccessRef>, Diagnostics> {
    let mut out = BTreeMap::new();
    let mut diags = Diagnostics::new();
    let vpc = env.ids.get(&NodeKey::new(Kind::Vpc, &[])).cloned();
    for (attr, noun, group_key, secret_name) in [
        (
            "database_access",
            "database",
            crate::plan::expand::database::security_group_key(),
            crate::plan::expand::database::connection_secret_name as fn(&str, &str) -> String,
        ),
        (
            "cache_access",
            "cache",
            crate::plan::expand::cache::security_group_key(),
            crate::plan::expand::cache::connection_secret_name,
        ),
    ] {
        for id in string_set(config.get(attr)).unwrap_or_default() {
            let Some((env_name, name)) = split_id(&id) else {
                continue;
            };
            if env_name != env.name {
                continue;
            }
            let owner = format!("{noun}/{env_name}/{name}");
            let group = match &vpc {
                Some(vpc) => aws::find_owned_group_id(&configured.clients, vpc, &owner, &group_key)
                    .await
                    .map_err(|e| {
                        Diagnostics(vec![Diagnostic::error(
                            format!("Looking up {noun} {id}"),
                            e.to_string(),
                        )])
                    })?,
                None => None,
            };
            let secret = aws::secretsmanager::secret::secret_arn(
                &configured.clients.secretsmanager,
                &secret_name(env_name, name),
            )
            .await
            .map_err(|e| {
                Diagnostics(vec![Diagnostic::error(
                    format!("Looking up {noun} {id}"),
                    e.to_string(),
                )])
            })?;
            if mode == Mode::Apply && (group.is_none() || secret.is_none()) {
                diags.error_at(
                    AttrPath::attrs(&[attr]),
                    format!("{noun} not found"),
                    format!("{id:?}: no {noun} named {name:?} exists in environment {env_name:?} (its security group or connection secret is missing)."),
                );
            }
            out.insert(
                format!("{attr}/{id}"),
                AccessRef {
                    id: id.clone(),
                    name: name.to_string(),
                    secret_arn: secret,
                    security_group_id: group,
                },
            );
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(out)
    }
}

/// The rule priority: the one recorded, else the one configured, else a free one.
async fn priority(
    configured: &Configured,
    spec: &ServiceSpec,
    env: &EnvironmentFacts,
    ledger: &Ledger,
) -> Result<Option<u32>, Diagnostics> {
    let Some(routing) = &spec.routing else {
        return Ok(None);
    };
    let rule_key = expand::listener_rule_key();
    let recorded = ledger.children.get(&rule_key);
    let recorded_priority = recorded_priority(ledger);
    if routing.priority.is_none() {
        if let Some(p) = recorded_priority {
            return Ok(Some(p));
        }
    }
    let Some(listener) = env.https_listener().and_then(|k| env.ids.get(&k).cloned()) else {
        return Ok(routing.priority);
    };
    let mut taken =
        aws::elbv2::listener_rule::listener_rule_priorities(&configured.clients.elbv2, &listener)
            .await
            .map_err(|e| {
                Diagnostics(vec![Diagnostic::error(
                    "Reading the listener's rules",
                    e.to_string(),
                )])
            })?;
    if let Some(r) = recorded {
        taken.retain(|_, arn| *arn != r.id);
    }
    if let Some(p) = routing.priority {
        if taken.contains_key(&p) && recorded_priority != Some(p) {
            let mut diags = Diagnostics::new();
            diags.error_at(
                AttrPath::attrs(&["routing", "priority"]),
                "Priority in use",
                format!("Priority {p} is already used by another rule on the environment's HTTPS listener ({}). Choose another, or leave priority unset to get a free one.", taken[&p]),
            );
            return Err(diags);
        }
        return Ok(Some(p));
    }
    let taken: BTreeSet<u32> = taken.keys().copied().collect();
    match assign_priority(&spec.owner(), is_catch_all(routing), &taken) {
        Some(p) => Ok(Some(p)),
        None => {
            let mut diags = Diagnostics::new();
            diags.error_at(
                AttrPath::attrs(&["routing", "priority"]),
                "No free priority",
                "Every priority in the service's band is taken on the listener; set routing.priority.",
            );
            Err(diags)
        }
    }
}

/// Hosts must be covered by the environment's certificate.
async fn check_hosts(
    configured: &Configured,
    spec: &ServiceSpec,
    env: &EnvironmentFacts,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let Some(routing) = &spec.routing else {
        return diags;
    };
    let path = AttrPath::attrs(&["routing"]);
    if env.https_listener().is_none() {
        diags.error_at(
            path,
            "Environment has no ingress",
            format!("Service {:?} has routing, but environment {:?} has no load balancer. Add an ingress block to the environment, or remove routing for an internal service.", spec.name, env.name),
        );
        return diags;
    }
    if routing.hosts.is_empty() {
        return diags;
    }
    let Some(arn) = &env.certificate_arn else {
        return diags;
    };
    match aws::certificate_facts(&configured.clients, arn).await {
        Ok(Some(cert)) => {
            let hosts: Vec<&str> = routing.hosts.iter().map(String::as_str).collect();
            let uncovered = uncovered_hosts(&cert.names, &hosts);
            if !uncovered.is_empty() {
                diags.error_at(
                    AttrPath::attrs(&["routing", "hosts"]),
                    "Host not covered by the certificate",
                    format!(
                        "The environment's certificate is for {}, which does not cover {}.",
                        cert.names.join(", "),
                        uncovered.join(", ")
                    ),
                );
            }
        }
        Ok(None) => {}
        Err(e) => diags.push(Diagnostic::error("Reading the certificate", e.to_string())),
    }
    diags
}

fn effective_config(spec: &ServiceSpec, priority: Option<u32>) -> BTreeMap<String, String> {
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
    put("port", spec.port.to_string());
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

fn recorded_priority(ledger: &Ledger) -> Option<u32> {
    match ledger
        .children
        .get(&expand::listener_rule_key())
        .map(|r| &r.observed)
    {
        Some(ChildSpec::ListenerRule(rule)) => Some(rule.priority),
        _ => None,
    }
}

/// The image of the task definition recorded in the ledger.
fn recorded_image(ledger: &Ledger) -> Option<String> {
    match ledger
        .children
        .get(&expand::task_definition_key())
        .map(|r| &r.observed)
    {
        Some(ChildSpec::TaskDefinition(td)) => Some(td.container.image.clone()),
        _ => None,
    }
}

#[async_trait]
impl AppKind for Service {
    type Spec = (ServiceSpec, Option<u32>, EnvironmentFacts);

    const TYPE_NAME: &'static str = "platform_service";
    const NOUN: &'static str = "service";

    fn block() -> Block {
        arg_block()
    }

    fn validate(config: &Value) -> Diagnostics {
        // Unknown until plan (an expression): checks needing it wait.
        let env_name = config
            .get("environment_id")
            .as_str()
            .unwrap_or_default()
            .to_string();
        let env = super::placeholder_env(&env_name);
        let spec = parse(
            config,
            &env_name,
            env.tier,
            env.capacity,
            env.log_retention_days,
            &BTreeMap::new(),
            &BTreeMap::new(),
        );
        super::only_configured(config, validate_service(&spec))
    }

    async fn prepare(
        configured: &Configured,
        config: &Value,
        env: &EnvironmentFacts,
        ledger: &Ledger,
        mode: Mode,
    ) -> Result<Prepared<Self::Spec>, Diagnostics> {
        let access = resolve_access(configured, config, env, mode).await?;
        let spec = parse(
            config,
            &env.name,
            env.tier,
            env.capacity,
            env.log_retention_days,
            &configured.default_tags,
            &access,
        );
        if mode.validates() {
            let mut diags = validate_service(&spec);
            diags.extend(check_hosts(configured, &spec, env).await);
            if diags.has_errors() {
                return Err(diags);
            }
        }
        let priority = if mode.validates() {
            priority(configured, &spec, env, ledger).await?
        } else {
            recorded_priority(ledger).or(spec.routing.as_ref().and_then(|r| r.priority))
        };
        let mut spec = spec;
        if mode == Mode::Discover && spec.autoscaling.is_none() {
            // An imported service may scale: look for its target and both policies.
            spec.autoscaling = Some(AutoscalingSpec {
                min: 1,
                max: 1,
                cpu_target: 70,
                memory_target: Some(70),
                scale_in_cooldown: 300,
                scale_out_cooldown: 60,
            });
        }
        let inputs = ServiceInputs {
            priority,
            running_image: recorded_image(ledger),
        };
        let expansion = expand_service(&spec, env, &inputs);
        let effective_config = effective_config(&spec, priority);
        Ok(Prepared {
            spec: (spec, priority, env.clone()),
            nodes: expansion.nodes,
            external: expansion.external,
            effective_config,
        })
    }

    async fn computed(
        configured: &Configured,
        spec: &Self::Spec,
        ids: &Ids<'_>,
        prior: &Value,
    ) -> Vec<(&'static str, Value)> {
        let (spec, priority, env) = spec;
        let role_arn = |key: NodeKey| ids.get(&key);
        let routed = spec.routing.is_some() && env.https_listener().is_some();
        let mut out = vec![
            ("service_arn", ids.get(&expand::service_key())),
            (
                "task_definition_arn",
                ids.get(&expand::task_definition_key()),
            ),
            ("task_role_arn", role_arn(expand::task_role_key())),
            ("execution_role_arn", role_arn(expand::execution_role_key())),
            ("security_group_id", ids.get(&expand::security_group_key())),
            (
                "log_group_name",
                Value::string(expand::log_group_name(&env.name, &spec.name)),
            ),
        ];
        if routed {
            out.push((
                "target_group_arn",
                ids.get(&expand::target_group_key(spec.port)),
            ));
            out.push((
                "listener_rule_priority",
                match (priority, ids.stable(&expand::listener_rule_key())) {
                    (Some(p), true) => Value::int(i64::from(*p)),
                    _ => Value::Unknown,
                },
            ));
            let host = spec
                .routing
                .as_ref()
                .and_then(|r| r.hosts.first().cloned())
                .or_else(|| env.load_balancer_dns_name.clone())
                .unwrap_or_default();
            out.push(("url", Value::string(format!("https://{host}"))));
        } else {
            out.push(("target_group_arn", Value::string("")));
            out.push(("listener_rule_priority", Value::Null));
            out.push(("url", Value::string("")));
        }
        // Live deployment facts: read after apply and refresh; at plan they stay while
        // nothing about the deployment changes.
        let service = expand::service_key();
        let td = expand::task_definition_key();
        let facts = match ids {
            Ids::Recorded(ledger) => match ledger.id_of(&service) {
                Some(arn) => aws::ecs::service::service_facts(&configured.clients.ecs, arn)
                    .await
                    .ok()
                    .flatten(),
                None => None,
            },
            Ids::Planned(..) => None,
        };
        match (ids, facts) {
            (Ids::Recorded(ledger), facts) => {
                let running_td = facts
                    .as_ref()
                    .map(|f| f.task_definition_arn.clone())
                    .or_else(|| ledger.id_of(&td).map(str::to_string));
                let image = match running_td {
                    Some(arn) => {
                        aws::ecs::task_definition::container_image(&configured.clients.ecs, &arn)
                            .await
                            .ok()
                            .flatten()
                    }
                    None => None,
                };
                out.push(("running_image", Value::string(image.unwrap_or_default())));
                out.push((
                    "deployment_id",
                    Value::string(
                        facts
                            .as_ref()
                            .map(|f| f.deployment_id.clone())
                            .unwrap_or_default(),
                    ),
                ));
                out.push((
                    "deployment_status",
                    Value::string(facts.map(|f| f.deployment_status).unwrap_or_default()),
                ));
            }
            (Ids::Planned(_, ops), _) => {
                let deploying = ops.iter().any(|op| {
                    (op.key() == &service || op.key() == &td)
                        && !matches!(op, crate::plan::diff::Op::NoOp(_))
                });
                for attr in ["running_image", "deployment_id", "deployment_status"] {
                    let prior_value = prior.get(attr);
                    out.push((
                        attr,
                        if deploying || prior_value.is_null() {
                            Value::Unknown
                        } else {
                            prior_value.clone()
                        },
                    ));
                }
            }
        }
        out
    }

    async fn refresh(configured: &Configured, config: &Value, ledger: &mut Ledger) {
        // CI (image_source = "external") or someone else may have moved the service to
        // another revision: follow it, so the next plan compares against what runs.
        let Some(service_arn) = ledger.id_of(&expand::service_key()).map(str::to_string) else {
            return;
        };
        let Ok(Some(facts)) =
            aws::ecs::service::service_facts(&configured.clients.ecs, &service_arn).await
        else {
            return;
        };
        let td_key = expand::task_definition_key();
        let Some(recorded) = ledger.children.get_mut(&td_key) else {
            return;
        };
        if recorded.id == facts.task_definition_arn {
            return;
        }
        recorded.id = facts.task_definition_arn.clone();
        if config.get("image_source").as_str() != Some("external") {
            return;
        }
        // The image CI deployed is not drift: record it as the one we expect.
        if let ChildSpec::TaskDefinition(td) = &mut recorded.observed {
            if let Ok(Some(image)) = aws::ecs::task_definition::container_image(
                &configured.clients.ecs,
                &facts.task_definition_arn,
            )
            .await
            {
                td.container.image = image;
            }
        }
    }

    fn imported_config(ledger: &Ledger, env: &EnvironmentFacts) -> Vec<(&'static str, Value)> {
        let observed = |key: NodeKey| ledger.children.get(&key).map(|r| &r.observed);
        let d = ServiceDefaults::for_tier(env.tier);
        let mut out = Vec::new();
        if let Some(ChildSpec::TaskDefinition(td)) = observed(expand::task_definition_key()) {
            let c = &td.container;
            out.push(("image", Value::string(&c.image)));
            if td.cpu != 256 {
                out.push(("cpu", Value::int(i64::from(td.cpu))));
            }
            if td.memory != 512 {
                out.push(("memory", Value::int(i64::from(td.memory))));
            }
            if c.port != 8080 {
                out.push(("port", Value::int(i64::from(c.port))));
            }
            if td.cpu_architecture == "ARM64" {
                out.push(("architecture", Value::string("arm64")));
            }
            if !c.command.is_empty() {
                out.push(("command", Value::string_list(c.command.clone())));
            }
            if !c.environment.is_empty() {
                out.push((
                    "environment_variables",
                    Value::string_map(c.environment.clone()),
                ));
            }
            if !c.read_only_root_filesystem {
                out.push(("read_only_root_filesystem", Value::Bool(false)));
            }
            // Connection secrets name the databases and caches; the rest are the user's.
            let mut secrets = BTreeMap::new();
            let mut access: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
            for (var, value_from) in &c.secrets {
                match access_of(value_from, &env.name) {
                    Some((kind, name)) => {
                        access
                            .entry(kind)
                            .or_default()
                            .insert(format!("{}/{name}", env.name));
                    }
                    None => {
                        secrets.insert(var.clone(), value_from.clone());
                    }
                }
            }
            if !secrets.is_empty() {
                out.push(("secrets", Value::string_map(secrets)));
            }
            for (kind, attr) in [("database", "database_access"), ("cache", "cache_access")] {
                if let Some(ids) = access.get(kind) {
                    out.push((attr, Value::string_list(ids.iter().cloned())));
                }
            }
        }
        let scaling = observed(NodeKey::new(Kind::ScalableTarget, &["service"]));
        if let Some(ChildSpec::EcsService(svc)) = observed(expand::service_key()) {
            if svc.enable_execute_command != d.exec_enabled {
                out.push(("exec_enabled", Value::Bool(svc.enable_execute_command)));
            }
            if scaling.is_none() && svc.desired_count != d.desired_count {
                out.push(("desired_count", Value::int(i64::from(svc.desired_count))));
            }
            if svc.load_balancer.is_some() {
                let mut routing = BTreeMap::new();
                if let Some(ChildSpec::ListenerRule(rule)) = observed(expand::listener_rule_key()) {
                    if !rule.hosts.is_empty() {
                        routing.insert("hosts".to_string(), Value::string_list(rule.hosts.clone()));
                    }
                    if rule.paths != ["/*"] && !rule.paths.is_empty() {
                        routing.insert("paths".to_string(), Value::string_list(rule.paths.clone()));
                    }
                }
                out.push(("routing", Value::Object(routing)));
            }
        }
        if let Some(ChildSpec::ScalableTarget(target)) = scaling {
            let mut block = BTreeMap::new();
            if target.min_capacity != d.min {
                block.insert(
                    "min".to_string(),
                    Value::int(i64::from(target.min_capacity)),
                );
            }
            if target.max_capacity != d.max {
                block.insert(
                    "max".to_string(),
                    Value::int(i64::from(target.max_capacity)),
                );
            }
            for (name, attr, default) in [
                ("cpu", "cpu_target", Some(d.cpu_target)),
                ("memory", "memory_target", None),
            ] {
                if let Some(ChildSpec::ScalingPolicy(policy)) =
                    observed(NodeKey::new(Kind::ScalingPolicy, &[name]))
                {
                    if Some(policy.target_value) != default {
                        block.insert(attr.to_string(), Value::int(i64::from(policy.target_value)));
                    }
                }
            }
            out.push(("autoscaling", Value::Object(block)));
        }
        out
    }
}

/// The database or cache whose connection secret a `valueFrom` reads, from the secret's name
/// `platform/<env>/<kind>/<name>` in its ARN.
fn access_of(value_from: &str, env: &str) -> Option<(&'static str, String)> {
    let name = value_from.split(":secret:").nth(1)?.split(':').next()?;
    // Secrets Manager appends `-` and six random characters to the name.
    let (name, _) = name.rsplit_once('-')?;
    let rest = name.strip_prefix(&format!("platform/{env}/"))?;
    for kind in ["database", "cache"] {
        if let Some(n) = rest.strip_prefix(&format!("{kind}/")) {
            if !n.contains('/') {
                return Some((
                    if kind == "database" {
                        "database"
                    } else {
                        "cache"
                    },
                    n.to_string(),
                ));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_secrets_name_their_database_or_cache() {
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:platform/dev/database/main-AbCdEf:url::";
        assert_eq!(
            access_of(arn, "dev"),
            Some(("database", "main".to_string()))
        );
        let cache = "arn:aws:secretsmanager:us-east-1:123456789012:secret:platform/dev/cache/kv-a-Zx12Cv:url::";
        assert_eq!(access_of(cache, "dev"), Some(("cache", "kv-a".to_string())));
        assert_eq!(access_of(arn, "prod"), None);
        let own = "arn:aws:secretsmanager:us-east-1:123456789012:secret:stripe-QwErTy:key::";
        assert_eq!(access_of(own, "dev"), None);
    }
}
