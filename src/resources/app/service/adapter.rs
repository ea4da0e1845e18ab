//! The adapter of `platform_service`: plan-time AWS reads (other resources' IDs, free listener
//! priorities, certificate coverage) and live deployment facts.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;

use crate::aws;
use crate::aws::scheduler::schedule::schedule_names;
use crate::framework::diag::{Diagnostic, Diagnostics, Severity};
use crate::framework::path::AttrPath;
use crate::framework::value::Planned;
use crate::plan::app::{
    assign_priority, bucket_name, is_catch_all, split_id, validate_service, AccessRef,
    AutoscalingSpec, BucketAccess, EnvironmentFacts, ImageSource, MessagingAccess, MessagingKind,
    QueueScaling, ServiceSpec,
};
use crate::plan::app::{ScheduleSpec, DEFAULT_TIMEZONE};
use crate::plan::diff::Op;
use crate::plan::expand::environment::schedule_group_name;
use crate::plan::expand::naming::TAG_OWNER;
use crate::plan::expand::service::{self as expand, expand_service, ServiceInputs};
use crate::plan::ledger::Ledger;
use crate::plan::node::{ChildSpec, Kind, NodeKey};
use crate::plan::spec::uncovered_hosts;
use crate::resources::app::targets::{find_target, TargetKind};
use crate::resources::configured::Configured;
use crate::resources::configured::PlannedTarget;
use crate::resources::ids::Ids;

use super::{model, Service};
use crate::resources::app::{AppKind, AppResource, DeferredGroup, Mode, Prepared};
use model::{ServiceComputed, ServiceConfig, ServicePrior};

pub type ServiceResource = AppResource<Service>;

/// Finds the databases and caches a service lists: their groups and connection secrets.
async fn resolve_access(
    configured: &Configured,
    config: &ServiceConfig,
    env: &EnvironmentFacts,
    mode: Mode,
) -> Result<BTreeMap<String, AccessRef>, Diagnostics> {
    let mut out = BTreeMap::new();
    let mut diags = Diagnostics::new();
    let vpc = env.ids.get(&NodeKey::new(Kind::Vpc, &[])).cloned();
    for (attr, ids, noun, group_key, secret_name) in [
        (
            "database_access",
            &config.database_access,
            "database",
            crate::plan::expand::database::security_group_key(),
            crate::plan::expand::database::connection_secret_name as fn(&str, &str) -> String,
        ),
        (
            "cache_access",
            &config.cache_access,
            "cache",
            crate::plan::expand::cache::security_group_key(),
            crate::plan::expand::cache::connection_secret_name,
        ),
    ] {
        let ids: BTreeSet<&String> = ids.iter().flatten().collect();
        for id in ids {
            let Some((env_name, name)) = split_id(id) else {
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

/// Finds the services a service admits (`allow_from_services`): their security groups. A
/// caller that does not exist yet has none: the plan warns, and the apply creates its rule
/// last, once the caller's group exists (see `DeferredGroup`).
async fn resolve_callers(
    configured: &Configured,
    config: &ServiceConfig,
    env: &EnvironmentFacts,
    mode: Mode,
) -> Result<(BTreeMap<String, AccessRef>, Diagnostics), Diagnostics> {
    let mut out = BTreeMap::new();
    let mut diags = Diagnostics::new();
    let Some(vpc) = env.vpc_id() else {
        return Ok((out, diags));
    };
    let ids: BTreeSet<&String> = config.allow_from_services.iter().flatten().collect();
    for id in ids {
        let Some((env_name, name)) = split_id(id) else {
            continue;
        };
        if env_name != env.name || Some(name) == config.name.as_deref() {
            continue;
        }
        let owner = format!("service/{env_name}/{name}");
        let group = aws::find_owned_group_id(
            &configured.clients,
            vpc,
            &owner,
            &expand::security_group_key(),
        )
        .await
        .map_err(|e| {
            Diagnostics(vec![Diagnostic::error(
                format!("Looking up service {id}"),
                e.to_string(),
            )])
        })?;
        if group.is_none() && mode == Mode::Plan {
            diags.push(
                Diagnostic::warning(
                    "Caller does not exist yet",
                    format!("No service {name:?} exists in environment {env_name:?} yet: the apply creates everything else first, then waits up to 5 minutes for it to appear before adding the rule that admits it. Create it in the same apply (without it depending on this service) or first."),
                )
                .at(AttrPath::attrs(&["allow_from_services"])),
            );
        }
        out.insert(
            format!("allow_from_services/{id}"),
            AccessRef {
                id: id.clone(),
                name: name.to_string(),
                secret_arn: None,
                security_group_id: group,
            },
        );
    }
    Ok((out, diags))
}

/// Finds the queues and topics a service names (`publish_to`, `consume_from`,
/// `autoscaling.queue_id`), by ID → what was found. One planned in this process but not made
/// yet is known by kind and ARN (the plan warns); at apply it must exist. The diagnostics
/// hold those warnings and the errors for IDs that name nothing, which plan and apply report
/// with the service's other checks.
async fn resolve_targets(
    configured: &Configured,
    config: &ServiceConfig,
    env: &EnvironmentFacts,
    mode: Mode,
) -> Result<(BTreeMap<String, MessagingAccess>, Diagnostics), Diagnostics> {
    let mut out = BTreeMap::new();
    let mut diags = Diagnostics::new();
    let mut warnings = Diagnostics::new();
    let queue_scaling = config.autoscaling.as_ref().and_then(|a| a.queue_id.clone());
    let named = [
        (
            "publish_to",
            config.publish_to.clone().unwrap_or_default(),
            &[TargetKind::Queue, TargetKind::Topic][..],
        ),
        // A topic is found too, so validation can say it is not a queue.
        (
            "consume_from",
            config.consume_from.clone().unwrap_or_default(),
            &[TargetKind::Queue, TargetKind::Topic][..],
        ),
        (
            "autoscaling",
            queue_scaling.into_iter().collect(),
            &[TargetKind::Queue][..],
        ),
    ];
    for (attribute, ids, kinds) in named {
        for id in ids {
            if out.contains_key(&id) {
                continue;
            }
            match split_id(&id) {
                Some((env_name, _)) if env_name == env.name => {}
                // Validation names the attribute.
                _ => continue,
            }
            let found = find_target(configured, env, &id, kinds, attribute)
                .await
                .map_err(Diagnostics::from)?;
            let path = || match attribute {
                "autoscaling" => AttrPath::attrs(&["autoscaling", "queue_id"]),
                other => AttrPath::attrs(&[other]),
            };
            let noun = if attribute == "publish_to" {
                "queue or topic"
            } else {
                "queue"
            };
            match &found {
                None if mode.validates() => diags.error_at(
                    path(),
                    format!("No such {noun}"),
                    format!("{id:?} is not a {noun} of environment {:?}: give the ID of a platform_queue{} (`.id`).", env.name, if attribute == "publish_to" { " or platform_topic" } else { "" }),
                ),
                Some(target) if !target.exists && mode == Mode::Apply => diags.error_at(
                    path(),
                    format!("No such {noun}"),
                    format!("{id:?} was planned but does not exist; apply it first."),
                ),
                Some(target) if !target.exists => warnings.push(
                    Diagnostic::warning(
                        format!("{id} is created in this apply"),
                        "Its URL or ARN reaches the service's task definition once it exists.",
                    )
                    .at(path()),
                ),
                _ => {}
            }
            if let Some(target) = found {
                out.insert(
                    id.clone(),
                    MessagingAccess {
                        name: split_id(&id)
                            .map(|(_, n)| n.to_string())
                            .unwrap_or_default(),
                        id,
                        kind: Some(match target.kind {
                            TargetKind::Queue => MessagingKind::Queue,
                            TargetKind::Topic => MessagingKind::Topic,
                        }),
                        arn: Some(target.arn),
                        url: target.url,
                        kms_key_arn: target.kms_key_arn,
                        publish: false,
                        consume: false,
                    },
                );
            }
        }
    }
    diags.extend(warnings);
    Ok((out, diags))
}

/// Finds the buckets a service names (`bucket_access`), by ID → name and key. A bucket
/// planned in this process but not made yet is known by name (the plan warns); at apply it
/// must exist. The diagnostics are as [`resolve_targets`]'.
async fn resolve_buckets(
    configured: &Configured,
    config: &ServiceConfig,
    env: &EnvironmentFacts,
    mode: Mode,
) -> Result<(BTreeMap<String, BucketAccess>, Diagnostics), Diagnostics> {
    let mut out = BTreeMap::new();
    let mut diags = Diagnostics::new();
    let ids: BTreeSet<String> = config
        .bucket_access
        .iter()
        .flatten()
        .filter_map(|b| b.bucket_id.clone())
        .collect();
    if ids.is_empty() {
        return Ok((out, diags));
    }
    let account = crate::resources::app::bucket::account_of(configured).await?;
    let path = || AttrPath::attrs(&["bucket_access"]);
    for id in ids {
        let Some((env_name, name)) = split_id(&id) else {
            continue;
        };
        if env_name != env.name {
            continue;
        }
        let bucket = bucket_name(env_name, name, &account, &configured.region);
        let reads = configured.reads(&env.name);
        let client = &configured.clients.s3;
        let facts = reads
            .get(&format!("s3.bucket/facts/{bucket}"), || {
                aws::s3::bucket::bucket_facts(client, &bucket)
            })
            .await
            .map_err(|e| {
                Diagnostics::from(
                    Diagnostic::error(format!("Reading bucket {id}"), e.to_string()).at(path()),
                )
            })?;
        let owner = format!("bucket/{env_name}/{name}");
        let found = match facts.as_ref() {
            Some((tags, key)) if tags.get(TAG_OWNER) == Some(&owner) => Some((key.clone(), true)),
            _ => match configured.planned(&id) {
                Some(PlannedTarget::Bucket { kms_key_arn }) => Some((kms_key_arn, false)),
                _ => None,
            },
        };
        match &found {
            None if mode.validates() => diags.error_at(
                path(),
                "No such bucket",
                format!("{id:?} is not a bucket of environment {:?}: give the ID of a platform_bucket (`.id`).", env.name),
            ),
            Some((_, false)) if mode == Mode::Apply => diags.error_at(
                path(),
                "No such bucket",
                format!("{id:?} was planned but does not exist; apply it first."),
            ),
            Some((_, false)) => diags.push(
                Diagnostic::warning(
                    format!("{id} is created in this apply"),
                    "The service may use it once it exists.",
                )
                .at(path()),
            ),
            _ => {}
        }
        if let Some((kms_key_arn, _)) = found {
            out.insert(
                id.clone(),
                BucketAccess {
                    name: name.to_string(),
                    bucket_name: Some(bucket),
                    kms_key_arn,
                    mode: String::new(),
                    id,
                },
            );
        }
    }
    Ok((out, diags))
}

/// The callers that do not exist yet: their rules wait for their groups at apply.
fn deferred_callers(spec: &ServiceSpec) -> Vec<DeferredGroup> {
    spec.allow_from_services
        .iter()
        .filter(|caller| caller.security_group_id.is_none())
        .map(|caller| DeferredGroup {
            external: expand::caller_group_key(&caller.name),
            owner: format!("service/{}/{}", spec.environment, caller.name),
            group: expand::security_group_key(),
            attribute: "allow_from_services",
            nodes: vec![expand::caller_rule_key(&caller.name)],
        })
        .collect()
}

/// `internal` needs the environment's namespace as the cluster's Service Connect default.
fn check_internal(spec: &ServiceSpec, env: &EnvironmentFacts) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if spec.internal.is_none() {
        return diags;
    }
    let path = AttrPath::attrs(&["internal"]);
    match &env.service_discovery {
        None => diags.error_at(
            path,
            "Environment has no service discovery",
            format!("Service {:?} sets internal, but environment {:?} has no namespace. Add a service_discovery block to the environment and apply it first.", spec.name, env.name),
        ),
        Some(namespace) if namespace.arn.is_none() => diags.error_at(
            path,
            "Namespace not ready",
            format!("Environment {:?} has service_discovery, but its namespace {:?} is not the cluster's Service Connect default yet; apply the environment first.", env.name, namespace.name),
        ),
        Some(_) => {}
    }
    diags
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
    let recorded_priority = model::recorded_priority(ledger);
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
    let reads = configured.reads(&env.name);
    match aws::certificate_facts_shared(&configured.clients, &reads, arn).await {
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

#[async_trait]
impl AppKind for Service {
    type Spec = (ServiceSpec, Option<u32>, EnvironmentFacts);
    type Prior = ServicePrior;
    type Computed = ServiceComputed;

    async fn prepare(
        configured: &Configured,
        config: &ServiceConfig,
        env: &EnvironmentFacts,
        ledger: &Ledger,
        mode: Mode,
    ) -> Result<Prepared<Self::Spec>, Diagnostics> {
        let mut access = resolve_access(configured, config, env, mode).await?;
        let (callers, caller_warnings) = resolve_callers(configured, config, env, mode).await?;
        access.extend(callers);
        let (targets, target_diags) = resolve_targets(configured, config, env, mode).await?;
        let (buckets, bucket_diags) = resolve_buckets(configured, config, env, mode).await?;
        let (target_errors, target_warnings): (Vec<_>, Vec<_>) = target_diags
            .0
            .into_iter()
            .chain(bucket_diags.0)
            .partition(|d| d.severity == Severity::Error);
        let target_warnings = Diagnostics(target_warnings);
        let mut spec = model::spec_of(
            config,
            env,
            &configured.default_tags,
            &access,
            &targets,
            &buckets,
        );
        if mode.validates() {
            let mut diags = validate_service(&spec);
            diags.extend(Diagnostics(target_errors));
            diags.extend(check_hosts(configured, &spec, env).await);
            diags.extend(check_internal(&spec, env));
            if diags.has_errors() {
                return Err(diags);
            }
        }
        let priority = if mode.validates() {
            priority(configured, &spec, env, ledger).await?
        } else {
            model::recorded_priority(ledger).or(spec.routing.as_ref().and_then(|r| r.priority))
        };
        if mode == Mode::Discover {
            // An imported service may run on schedules: look for those named after it (find
            // keeps only the ones carrying its ownership marker).
            let prefix = format!("{}-", spec.name);
            let names = schedule_names(
                &configured.clients.scheduler,
                &schedule_group_name(&env.name),
                &prefix,
            )
            .await
            .unwrap_or_default();
            for name in names {
                let Some(block) = name.strip_prefix(&prefix) else {
                    continue;
                };
                if spec.schedules.iter().all(|s| s.name != block) {
                    spec.schedules.push(ScheduleSpec {
                        name: block.to_string(),
                        expression: "rate(1 day)".to_string(),
                        timezone: DEFAULT_TIMEZONE.to_string(),
                        command: Vec::new(),
                    });
                }
            }
        }
        if mode == Mode::Discover && spec.autoscaling.is_none() {
            // An imported service may scale: look for its target and both policies.
            spec.autoscaling = Some(AutoscalingSpec {
                min: 1,
                max: 1,
                cpu_target: 70,
                memory_target: Some(70),
                scale_in_cooldown: 300,
                scale_out_cooldown: 60,
                queue: Some(QueueScaling {
                    queue_id: String::new(),
                    queue_name: None,
                    messages_per_task: 10,
                }),
            });
        }
        let inputs = ServiceInputs {
            priority,
            running_image: model::recorded_image(ledger),
            recorded_secrets: model::recorded_secrets(ledger),
        };
        let expansion = expand_service(&spec, env, &inputs);
        let deferred = deferred_callers(&spec);
        let effective_config = model::effective_config(&spec, priority);
        Ok(Prepared {
            spec: (spec, priority, env.clone()),
            nodes: expansion.nodes,
            external: expansion.external,
            effective_config,
            warnings: Diagnostics(
                caller_warnings
                    .0
                    .into_iter()
                    .chain(target_warnings.0)
                    .collect(),
            ),
            deferred,
        })
    }

    async fn computed(
        configured: &Configured,
        spec: &Self::Spec,
        ids: &Ids<'_>,
        prior: Option<&ServicePrior>,
    ) -> ServiceComputed {
        let (spec, priority, env) = spec;
        let routed = spec.routing.is_some() && env.https_listener().is_some();
        let (target_group_arn, listener_rule_priority, url) = if routed {
            let host = spec
                .routing
                .as_ref()
                .and_then(|r| r.hosts.first().cloned())
                .or_else(|| env.load_balancer_dns_name.clone())
                .unwrap_or_default();
            (
                ids.id_or_empty(&expand::target_group_key(spec.port.unwrap_or_default())),
                match (priority, ids.stable(&expand::listener_rule_key())) {
                    (Some(p), true) => Planned::Known(Some(*p)),
                    (Some(_), false) | (None, _) => Planned::Unknown,
                },
                format!("https://{host}"),
            )
        } else {
            (
                Planned::Known(String::new()),
                Planned::Known(None),
                String::new(),
            )
        };
        // Live deployment facts: read after apply and refresh; at plan they stay while
        // nothing about the deployment changes.
        let service = expand::service_key();
        let td = expand::task_definition_key();
        let (running_image, deployment_id, deployment_status) = match ids {
            Ids::Recorded(ledger) => {
                let reads = configured.reads(&env.name);
                let facts = match ledger.id_of(&service) {
                    Some(arn) => {
                        aws::ecs::service::service_facts(&configured.clients.ecs, &reads, arn)
                            .await
                            .ok()
                            .flatten()
                    }
                    None => None,
                };
                let running_td = facts
                    .as_ref()
                    .map(|f| f.task_definition_arn.clone())
                    .or_else(|| ledger.id_of(&td).map(str::to_string));
                let image = match running_td {
                    Some(arn) => aws::ecs::task_definition::container_image(
                        &configured.clients.ecs,
                        &reads,
                        &arn,
                    )
                    .await
                    .ok()
                    .flatten(),
                    None => None,
                };
                (
                    Planned::Known(image.unwrap_or_default()),
                    Planned::Known(
                        facts
                            .as_ref()
                            .map(|f| f.deployment_id.clone())
                            .unwrap_or_default(),
                    ),
                    Planned::Known(facts.map(|f| f.deployment_status).unwrap_or_default()),
                )
            }
            Ids::Planned(_, ops) => {
                let deploying = ops.iter().any(|op| {
                    (op.key() == &service || op.key() == &td) && !matches!(op, Op::NoOp(_))
                });
                let kept = |fact: Option<&String>| match fact {
                    Some(value) if !deploying => Planned::Known(value.clone()),
                    Some(_) | None => Planned::Unknown,
                };
                (
                    kept(prior.and_then(|p| p.running_image.as_ref())),
                    kept(prior.and_then(|p| p.deployment_id.as_ref())),
                    kept(prior.and_then(|p| p.deployment_status.as_ref())),
                )
            }
        };
        ServiceComputed {
            service_arn: ids.id_or_empty(&service),
            task_definition_arn: ids.id_or_empty(&td),
            task_role_arn: ids.id_or_empty(&expand::task_role_key()),
            execution_role_arn: ids.id_or_empty(&expand::execution_role_key()),
            security_group_id: ids.id_or_empty(&expand::security_group_key()),
            log_group_name: expand::log_group_name(&env.name, &spec.name),
            internal_endpoint: expand::internal_endpoint(spec, env),
            generated_secret_arns: spec
                .generated_secrets
                .iter()
                .map(|v| (v.clone(), ids.id_or_empty(&expand::generated_secret_key(v))))
                .collect(),
            target_group_arn,
            listener_rule_priority,
            url,
            running_image,
            deployment_id,
            deployment_status,
        }
    }

    async fn refresh(configured: &Configured, config: &ServiceConfig, ledger: &mut Ledger) {
        // CI (image_source = "external") or someone else may have moved the service to
        // another revision: follow it, so the next plan compares against what runs.
        let Some(service_arn) = ledger.id_of(&expand::service_key()).map(str::to_string) else {
            return;
        };
        let reads = configured.reads(config.environment_id.as_deref().unwrap_or_default());
        let Ok(Some(facts)) =
            aws::ecs::service::service_facts(&configured.clients.ecs, &reads, &service_arn).await
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
        if config.image_source != Some(ImageSource::External) {
            return;
        }
        // The image CI deployed is not drift: record it as the one we expect.
        if let ChildSpec::TaskDefinition(td) = &mut recorded.observed {
            if let Ok(Some(image)) = aws::ecs::task_definition::container_image(
                &configured.clients.ecs,
                &reads,
                &facts.task_definition_arn,
            )
            .await
            {
                td.container.image = image;
            }
        }
    }

    fn imported_config(ledger: &Ledger, env: &EnvironmentFacts, config: &mut ServiceConfig) {
        model::imported_config(ledger, env, config);
    }
}
