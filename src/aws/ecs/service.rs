//! ECS service on Fargate; the ledger ID is the service ARN (the new format,
//! `arn:aws:ecs:<region>:<account>:service/<cluster>/<name>`, which names its cluster).
//!
//! With `wait_for_deployment`, create and update follow the deployment they start until its
//! rollout completes; a deployment the circuit breaker failed (and rolled back) fails the
//! step with ECS's reason and the stopped tasks' reasons.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::ecs::cluster::CapacityProviderStrategyItem;
use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::cost;
use crate::plan::node::{ChildSpec, Node, NodeKey, Tags};

/// An ECS service on Fargate in the private tier; its ledger ID is the service ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcsServiceSpec {
    pub name: String,
    /// Its ledger ID is the cluster ARN.
    pub cluster: NodeKey,
    pub task_definition: NodeKey,
    /// Tasks at create. With `autoscaling_owns_count`, updates leave the live count alone.
    pub desired_count: u32,
    /// Application Auto Scaling owns the count after create.
    pub autoscaling_owns_count: bool,
    /// Private subnets, one per AZ. Sorted.
    pub subnets: Vec<NodeKey>,
    /// Sorted.
    pub security_groups: Vec<NodeKey>,
    /// Items with weight 0 and base 0 are left out.
    pub capacity_strategy: Vec<CapacityProviderStrategyItem>,
    pub load_balancer: Option<ServiceLoadBalancer>,
    /// Only with a load balancer.
    pub health_check_grace_seconds: Option<u32>,
    pub min_healthy_percent: u32,
    pub max_percent: u32,
    /// The deployment circuit breaker, always with rollback.
    pub circuit_breaker: bool,
    pub enable_execute_command: bool,
    /// Create and update follow the deployment they start until it completes; a rollback
    /// fails the step with its reasons.
    pub wait_for_deployment: bool,
    /// ECS Service Connect; `None` when off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_connect: Option<ServiceConnect>,
    pub tags: Tags,
}

/// A service's part in Service Connect: always a client of the namespace's servers, and a
/// server itself with `server`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceConnect {
    /// The Cloud Map namespace's ARN (ECS reports it as an ARN even when given a name).
    pub namespace_arn: String,
    pub server: Option<ServiceConnectServer>,
}

/// What a Service Connect server offers: clients call `http://<dns_name>:<port>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceConnectServer {
    /// The task definition's named port mapping.
    pub port_name: String,
    /// The Cloud Map service name.
    pub discovery_name: String,
    /// `<discovery_name>.<namespace>`.
    pub dns_name: String,
    pub port: i32,
}
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceLoadBalancer {
    /// Its ledger ID is the target group ARN.
    pub target_group: NodeKey,
    pub container_name: String,
    pub container_port: i32,
}

impl KindSpec for EcsServiceSpec {
    const PREFIX: &'static str = "ecs.service";
    const DISPLAY_NAME: &'static str = "ECS Service";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "ecs:CreateService",
        "ecs:DeleteService",
        "ecs:DescribeServices",
        "ecs:DescribeTasks",
        "ecs:ListServices",
        "ecs:ListTasks",
        "ecs:TagResource",
        "ecs:UntagResource",
        "ecs:UpdateService",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        {
            let mut refs = vec![
                Reference::replace(&self.cluster),
                Reference::update(&self.task_definition),
            ];
            refs.extend(
                self.subnets
                    .iter()
                    .chain(&self.security_groups)
                    .map(Reference::update),
            );
            if let Some(lb) = &self.load_balancer {
                refs.push(Reference::update(&lb.target_group));
            }
            refs
        }
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[
            ("name", self.name != d.name),
            ("cluster", self.cluster != d.cluster),
        ])
    }

    fn hourly_charge(&self, graph: &BTreeMap<NodeKey, Node>) -> Option<(&'static str, f64)> {
        // Desired tasks at the on-demand Fargate price (Spot is cheaper; autoscaling varies).
        let Some(ChildSpec::TaskDefinition(task)) =
            graph.get(&self.task_definition).map(|n| &n.spec)
        else {
            return None;
        };
        let per_task =
            cost::fargate_task_usd_per_hour(task.cpu, task.memory, &task.cpu_architecture);
        Some(("fargate", per_task * f64::from(self.desired_count)))
    }
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use std::collections::HashMap;
    use std::sync::Arc;
    use std::time::Duration;

    use aws_sdk_ecs::types::{
        AssignPublicIp, AwsVpcConfiguration, Deployment, DeploymentCircuitBreaker,
        DeploymentConfiguration, DeploymentRolloutState, DesiredStatus, LaunchType, LoadBalancer,
        NetworkConfiguration, PropagateTags, Service, ServiceConnectClientAlias,
        ServiceConnectConfiguration, ServiceConnectService, ServiceField, Task,
    };
    use aws_sdk_ecs::Client;

    use super::*;
    use crate::apply::IdMap;
    use crate::aws::common::ecs::{sync_tags, user_tags};
    use crate::aws::common::keys::key_of;
    use crate::aws::common::keys::resolve;
    use crate::aws::common::ownership::{adopt_or_create, owned_by, Found};
    use crate::aws::common::poll::{poll_until, within, Poll};
    use crate::aws::common::reads::Reads;
    use crate::aws::common::tags::to_sdk;
    use crate::aws::ecs::cluster::{expand_strategy, flatten_strategy};
    use crate::aws::error::{classify, is_code, none_if_not_found, AwsError};
    use crate::aws::kind::{AwsKind, Cx};
    use crate::plan::node::Kind;

    impl AwsKind for EcsServiceSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            find_owned_service(&cx.clients.ecs, spec, cx.ids).await
        }

        /// Every service of the cluster in one listing, shared by all children that observe
        /// one; the service ARN names its cluster, so the scope is always known.
        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            observe_service(&cx.clients.ecs, cx.reads, id, current, cx.ids).await
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_service(&cx.clients.ecs, spec, cx.ids).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_service(&cx.clients.ecs, id, current, desired, cx.ids).await
        }

        async fn delete(cx: &Cx<'_>, id: &str, current: &Self) -> Result<(), AwsError> {
            delete_service(&cx.clients.ecs, id, current).await
        }
    }

    // constants

    /// DescribeServices reports an unknown service as a failure with this reason, not an error.
    const REASON_MISSING: &str = "MISSING";
    const STATUS_ACTIVE: &str = "ACTIVE";
    const STATUS_INACTIVE: &str = "INACTIVE";
    const DEPLOYMENT_PRIMARY: &str = "PRIMARY";
    /// UpdateService or DeleteService on a service already being deleted.
    const SERVICE_NOT_ACTIVE: &str = "ServiceNotActiveException";
    /// CreateService of a name in use by a live service (AWS; the emulator silently replaces).
    const INVALID_PARAMETER: &str = "InvalidParameterException";
    const NOT_IDEMPOTENT: &str = "not idempotent";
    /// What `create_service` calls that answer, so adoption can tell it from other invalid
    /// parameters.
    const NAME_IN_USE: &str = "ServiceNameInUse";
    /// DescribeServices takes at most this many services per call.
    const DESCRIBE_BATCH: usize = 10;
    /// InvalidParameterException messages meaning ECS cannot see a dependency yet (a target
    /// group whose listener rule was just made, a just-created role): retried by the engine, as
    /// the AWS provider does.
    const PROPAGATION_FRAGMENTS: &[&str] = &[
        "does not have an associated load balancer",
        "verify that the ECS service role being passed has the proper permissions",
        "Unable to assume the service linked role",
    ];
    /// The code of the error a failed (rolled back) deployment ends the step with.
    pub const DEPLOYMENT_FAILED: &str = "DeploymentFailed";
    const PLATFORM_VERSION: &str = "LATEST";
    /// The resource's timeouts bound these further.
    const DEPLOYMENT_TIMEOUT: Duration = Duration::from_secs(60 * 60);
    const DELETE_TIMEOUT: Duration = Duration::from_secs(20 * 60);
    /// How many stopped tasks a deployment failure describes.
    const STOPPED_TASKS_SHOWN: usize = 3;

    /// What the environment reports about a service besides its spec.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ServiceFacts {
        pub task_definition_arn: String,
        pub deployment_id: String,
        pub deployment_status: String,
        pub running_count: i32,
        pub desired_count: i32,
    }

    // find

    /// The cluster ARN and service name of a new-format service ARN.
    fn parse_service_arn(arn: &str) -> Option<(String, &str)> {
        let (prefix, resource) = arn.split_once(":service/")?;
        let (cluster, name) = resource.split_once('/')?;
        Some((format!("{prefix}:cluster/{cluster}"), name))
    }

    fn cluster_of(arn: &str) -> Result<String, AwsError> {
        parse_service_arn(arn)
            .map(|(cluster, _)| cluster)
            .ok_or_else(|| {
                AwsError::unexpected(format!(
                    "{arn} is not a service ARN in the long format that names its cluster"
                ))
            })
    }

    /// The service in any status (DRAINING and INACTIVE included), tags included; `None` when
    /// ECS does not know it or the cluster is gone.
    async fn describe_service(
        client: &Client,
        cluster: &str,
        service: &str,
    ) -> Result<Option<Service>, AwsError> {
        let Some(out) = none_if_not_found(
            client
                .describe_services()
                .cluster(cluster)
                .services(service)
                .include(ServiceField::Tags)
                .send()
                .await
                .map_err(classify),
        )?
        else {
            return Ok(None);
        };
        if out
            .failures()
            .iter()
            .any(|f| f.reason() == Some(REASON_MISSING))
        {
            return Ok(None);
        }
        Ok(out.services().first().cloned())
    }

    fn is_active(service: &Service) -> bool {
        service.status() == Some(STATUS_ACTIVE)
    }

    /// The active service by name or ARN in `cluster`; `None` when missing, draining or inactive.
    pub async fn find_service(
        client: &Client,
        cluster: &str,
        service: &str,
    ) -> Result<Option<Service>, AwsError> {
        Ok(describe_service(client, cluster, service)
            .await?
            .filter(is_active))
    }

    pub async fn find_service_by_arn(
        client: &Client,
        arn: &str,
    ) -> Result<Option<Service>, AwsError> {
        find_service(client, &cluster_of(arn)?, arn).await
    }

    /// The active service of the spec's name in its cluster, as adoption sees it.
    async fn find_service_by_name(
        client: &Client,
        cluster: &str,
        name: &str,
    ) -> Result<Option<Found<Service>>, AwsError> {
        let Some(service) = find_service(client, cluster, name).await? else {
            return Ok(None);
        };
        let id = service
            .service_arn()
            .ok_or_else(|| AwsError::unexpected("DescribeServices returned no ARN"))?
            .to_string();
        Ok(Some(Found {
            id,
            tags: user_tags(service.tags()),
            current: service,
        }))
    }

    /// The ledger ID of an active service of the spec's name carrying its ownership tags, without
    /// changing anything (import and discovery); `None` when there is none.
    pub async fn find_owned_service(
        client: &Client,
        spec: &EcsServiceSpec,
        ids: &IdMap,
    ) -> Result<Option<String>, AwsError> {
        // No recorded cluster: no service of ours can exist yet.
        let Ok(cluster) = ids.id(&spec.cluster) else {
            return Ok(None);
        };
        Ok(find_service_by_name(client, cluster, &spec.name)
            .await?
            .filter(|found| owned_by(&found.tags, &spec.tags))
            .map(|found| found.id))
    }

    /// Every service of the cluster in any status, tags included, by ARN: ListServices, then
    /// DescribeServices in batches. Empty when the cluster is gone.
    pub async fn list_services(
        client: &Client,
        cluster: &str,
    ) -> Result<HashMap<String, Service>, AwsError> {
        let mut arns = Vec::new();
        let mut pages = client
            .list_services()
            .cluster(cluster)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            match page.map_err(classify) {
                Ok(page) => arns.extend(page.service_arns().iter().cloned()),
                Err(e) if e.is_not_found() => return Ok(HashMap::new()),
                Err(e) => return Err(e),
            }
        }
        let mut services = HashMap::new();
        for batch in arns.chunks(DESCRIBE_BATCH) {
            let Some(out) = none_if_not_found(
                client
                    .describe_services()
                    .cluster(cluster)
                    .set_services(Some(batch.to_vec()))
                    .include(ServiceField::Tags)
                    .send()
                    .await
                    .map_err(classify),
            )?
            else {
                return Ok(HashMap::new());
            };
            // A service deleted since the listing comes back as a MISSING failure: absent.
            for service in out.services() {
                if let Some(arn) = service.service_arn() {
                    services.insert(arn.to_string(), service.clone());
                }
            }
        }
        Ok(services)
    }

    /// The cluster's services, listed once per `reads` and shared (observe, the service
    /// resource's live facts).
    pub async fn read_services(
        client: &Client,
        reads: &Reads,
        cluster: &str,
    ) -> Result<Arc<HashMap<String, Service>>, AwsError> {
        reads
            .get(&format!("ecs.service/cluster/{cluster}"), || {
                list_services(client, cluster)
            })
            .await
    }

    /// The active service of ARN `arn` from its cluster's shared listing.
    async fn read_service(
        client: &Client,
        reads: &Reads,
        arn: &str,
    ) -> Result<Option<Service>, AwsError> {
        let services = read_services(client, reads, &cluster_of(arn)?).await?;
        Ok(services.get(arn).filter(|s| is_active(s)).cloned())
    }

    fn primary_deployment(service: &Service) -> Option<&Deployment> {
        service
            .deployments()
            .iter()
            .find(|d| d.status() == Some(DEPLOYMENT_PRIMARY))
    }

    /// The running task definition and the PRIMARY deployment, from the cluster's shared
    /// listing; `None` when the service is gone.
    pub async fn service_facts(
        client: &Client,
        reads: &Reads,
        service_arn: &str,
    ) -> Result<Option<ServiceFacts>, AwsError> {
        Ok(read_service(client, reads, service_arn).await?.map(|s| {
            let primary = primary_deployment(&s);
            ServiceFacts {
                task_definition_arn: s.task_definition().unwrap_or_default().to_string(),
                deployment_id: primary
                    .and_then(Deployment::id)
                    .unwrap_or_default()
                    .to_string(),
                deployment_status: primary
                    .and_then(|d| {
                        d.rollout_state()
                            .map(DeploymentRolloutState::as_str)
                            .or(d.status())
                    })
                    .unwrap_or_default()
                    .to_string(),
                running_count: s.running_count(),
                desired_count: s.desired_count(),
            }
        }))
    }

    // wait

    /// Where the deployment of a task definition stands.
    #[derive(Debug, PartialEq, Eq)]
    enum Progress {
        Done,
        Pending,
        Failed {
            /// ECS's rolloutStateReason.
            reason: Option<String>,
            /// The task definition the PRIMARY deployment runs instead (a rollback).
            now_running: Option<String>,
        },
    }

    /// The deployment of `task_definition` (the PRIMARY one, or any) judged by its rollout
    /// state; without one, by the steady-state rule (a single deployment, all tasks running).
    fn deployment_progress(service: &Service, task_definition: &str) -> Progress {
        let deployments = service.deployments();
        let Some(primary) = primary_deployment(service) else {
            return Progress::Pending;
        };
        let primary_is_ours = primary.task_definition() == Some(task_definition);
        let ours = if primary_is_ours {
            Some(primary)
        } else {
            deployments
                .iter()
                .find(|d| d.task_definition() == Some(task_definition))
        };
        let now_running = (!primary_is_ours)
            .then(|| primary.task_definition().map(str::to_string))
            .flatten();
        match ours {
            Some(d) if d.rollout_state() == Some(&DeploymentRolloutState::Failed) => {
                Progress::Failed {
                    reason: d.rollout_state_reason().map(str::to_string),
                    now_running,
                }
            }
            Some(d) if primary_is_ours => match d.rollout_state() {
                Some(DeploymentRolloutState::Completed) => Progress::Done,
                Some(_) => Progress::Pending,
                None if deployments.len() == 1 && d.running_count() == d.desired_count() => {
                    Progress::Done
                }
                None => Progress::Pending,
            },
            // Not primary yet, and not failed.
            Some(_) => Progress::Pending,
            // ECS no longer lists it and runs something else.
            None => Progress::Failed {
                reason: None,
                now_running,
            },
        }
    }

    /// Follows the deployment of `task_definition` on the service until it completes; a failed
    /// deployment ends with a `DeploymentFailed` error giving its reasons.
    async fn wait_service_deployed(
        client: &Client,
        service_arn: &str,
        task_definition: &str,
    ) -> Result<(), AwsError> {
        let cluster = cluster_of(service_arn)?;
        let deployed = poll_until(|| async {
            let service = find_service(client, &cluster, service_arn)
                .await?
                .ok_or_else(|| AwsError::Api {
                    code: DEPLOYMENT_FAILED.into(),
                    message: format!(
                        "ECS service {service_arn} was deleted while its deployment was followed"
                    ),
                })?;
            match deployment_progress(&service, task_definition) {
                Progress::Done => Ok(Poll::Ready(())),
                Progress::Pending => Ok(Poll::Pending),
                Progress::Failed {
                    reason,
                    now_running,
                } => {
                    let stopped =
                        stopped_task_reasons(client, &cluster, &service, task_definition).await;
                    Err(deployment_failed(
                        &service,
                        task_definition,
                        reason.as_deref(),
                        now_running.as_deref(),
                        &stopped,
                    ))
                }
            }
        });
        within(
            DEPLOYMENT_TIMEOUT,
            format!(
                "the deployment of {task_definition} to ECS service {service_arn} did not complete"
            ),
            deployed,
        )
        .await
    }

    fn deployment_failed(
        service: &Service,
        task_definition: &str,
        reason: Option<&str>,
        now_running: Option<&str>,
        stopped: &str,
    ) -> AwsError {
        let name = service.service_name().unwrap_or_default();
        let mut message = format!(
            "the deployment of task definition {task_definition} to ECS service {name} failed"
        );
        match reason {
            Some(reason) => message.push_str(&format!(": {reason}")),
            None => message.push_str(": ECS no longer lists it"),
        }
        match now_running {
        Some(previous) => message.push_str(&format!(
            ". The deployment circuit breaker rolled the service back to the previous task definition {previous}"
        )),
        None => message.push_str(
            ". The deployment circuit breaker stopped it; the service rolls back to its previous task definition if it had one",
        ),
    }
        message.push_str(&format!(". {stopped}"));
        AwsError::Api {
            code: DEPLOYMENT_FAILED.into(),
            message,
        }
    }

    /// The last segment of an ARN (`…/<cluster>/<task-id>`, `…/<family>:<revision>`).
    fn short_id(arn: &str) -> &str {
        arn.rsplit('/').next().unwrap_or(arn)
    }

    /// Why the most recently stopped tasks of the service stopped, preferring tasks of
    /// `task_definition`; a failure to find out is said, never raised.
    async fn stopped_task_reasons(
        client: &Client,
        cluster: &str,
        service: &Service,
        task_definition: &str,
    ) -> String {
        let name = service.service_name().unwrap_or_default();
        let listed = client
            .list_tasks()
            .cluster(cluster)
            .service_name(name)
            .desired_status(DesiredStatus::Stopped)
            .send()
            .await
            .map_err(classify);
        let arns = match listed {
            Ok(out) => out.task_arns().to_vec(),
            Err(e) => return format!("The stopped tasks could not be listed ({e})."),
        };
        if arns.is_empty() {
            return "No stopped tasks were found.".to_string();
        }
        let described = client
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(arns))
            .send()
            .await
            .map_err(classify);
        let mut tasks = match described {
            Ok(out) => out.tasks().to_vec(),
            Err(e) => return format!("The stopped tasks could not be described ({e})."),
        };
        if tasks
            .iter()
            .any(|t| t.task_definition_arn() == Some(task_definition))
        {
            tasks.retain(|t| t.task_definition_arn() == Some(task_definition));
        }
        tasks.sort_by(|a, b| {
            let at = |t: &Task| {
                t.stopped_at()
                    .or(t.created_at())
                    .map(|d| (d.secs(), d.subsec_nanos()))
            };
            at(b).cmp(&at(a))
        });
        let lines: Vec<String> = tasks
            .iter()
            .take(STOPPED_TASKS_SHOWN)
            .map(describe_stopped_task)
            .collect();
        format!("Recent stopped tasks: {}.", lines.join("; "))
    }

    fn describe_stopped_task(task: &Task) -> String {
        let mut line = format!(
            "task {} ({}): {}",
            short_id(task.task_arn().unwrap_or_default()),
            short_id(task.task_definition_arn().unwrap_or_default()),
            task.stopped_reason().unwrap_or("no reason given")
        );
        for container in task.containers() {
            let name = container.name().unwrap_or_default();
            match (container.reason(), container.exit_code()) {
                (Some(reason), Some(code)) => {
                    line.push_str(&format!(", container {name}: {reason} (exit code {code})"));
                }
                (Some(reason), None) => line.push_str(&format!(", container {name}: {reason}")),
                (None, Some(code)) if code != 0 => {
                    line.push_str(&format!(", container {name}: exit code {code}"));
                }
                _ => {}
            }
        }
        line
    }

    /// Waits until the service is INACTIVE or gone.
    async fn wait_service_deleted(
        client: &Client,
        cluster: &str,
        arn: &str,
    ) -> Result<(), AwsError> {
        let deleted = poll_until(|| async {
            Ok(match describe_service(client, cluster, arn).await? {
                Some(s) if s.status() != Some(STATUS_INACTIVE) => Poll::Pending,
                _ => Poll::Ready(()),
            })
        });
        within(
            DELETE_TIMEOUT,
            format!("ECS service {arn} was still draining"),
            deleted,
        )
        .await
    }

    // create, update, delete

    fn resolve_one(key: &NodeKey, ids: &IdMap) -> Result<String, AwsError> {
        ids.id(key)
            .map(str::to_string)
            .map_err(|e| AwsError::unexpected(e.message))
    }

    /// A dependency ECS cannot see yet becomes retryable.
    fn propagation_aware(error: AwsError) -> AwsError {
        match &error {
            AwsError::Api { code, message }
                if code == INVALID_PARAMETER
                    && PROPAGATION_FRAGMENTS.iter().any(|f| message.contains(f)) =>
            {
                AwsError::NotYetPropagated {
                    message: format!("{code}: {message}"),
                }
            }
            _ => error,
        }
    }

    /// Creates the service, or adopts the active one of its name carrying the spec's ownership
    /// tags: brought to the spec, its deployment followed (it may still run, or have failed).
    /// Returns the service ARN.
    pub async fn create_service(
        client: &Client,
        spec: &EcsServiceSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        let cluster = resolve_one(&spec.cluster, ids)?;
        adopt_or_create(
            "ECS service",
            &spec.name,
            &spec.tags,
            &[NAME_IN_USE],
            || find_service_by_name(client, &cluster, &spec.name),
            |found| async move { reconcile_service(client, &found.current, spec, ids, true).await },
            || start_service(client, &cluster, spec, ids),
        )
        .await
    }

    /// CreateService, following the deployment it starts.
    async fn start_service(
        client: &Client,
        cluster: &str,
        spec: &EcsServiceSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        let task_definition = resolve_one(&spec.task_definition, ids)?;
        let mut request = client
            .create_service()
            .cluster(cluster)
            .service_name(&spec.name)
            .task_definition(&task_definition)
            .desired_count(count(spec.desired_count)?)
            .platform_version(PLATFORM_VERSION)
            .network_configuration(expand_network(spec, ids)?)
            .set_load_balancers(Some(expand_load_balancers(spec, ids)?))
            .set_health_check_grace_period_seconds(grace(spec)?)
            .deployment_configuration(expand_deployment(spec)?)
            .enable_execute_command(spec.enable_execute_command)
            .set_service_connect_configuration(
                spec.service_connect
                    .is_some()
                    .then(|| expand_service_connect(spec))
                    .transpose()?,
            )
            .propagate_tags(PropagateTags::Service)
            .enable_ecs_managed_tags(true)
            .set_tags(Some(to_sdk(&spec.tags)?));
        request = if spec.capacity_strategy.is_empty() {
            request.launch_type(LaunchType::Fargate)
        } else {
            request.set_capacity_provider_strategy(Some(expand_strategy(&spec.capacity_strategy)?))
        };
        let out = match request.send().await.map_err(classify) {
            Ok(out) => out,
            // A service of this name appeared since we looked: adoption looks again.
            Err(AwsError::Api { code, message })
                if code == INVALID_PARAMETER && message.contains(NOT_IDEMPOTENT) =>
            {
                return Err(AwsError::Api {
                    code: NAME_IN_USE.into(),
                    message,
                });
            }
            Err(e) => return Err(propagation_aware(e)),
        };
        let arn = out
            .service()
            .and_then(Service::service_arn)
            .map(str::to_string)
            .ok_or_else(|| AwsError::unexpected("CreateService returned no ARN"))?;
        if spec.wait_for_deployment {
            wait_service_deployed(client, &arn, &task_definition).await?;
        }
        Ok(arn)
    }

    /// Brings the service with ARN `id` to `desired` in place, sending only what differs from
    /// what ECS reports; follows the deployment the update starts. Returns the ARN.
    pub async fn update_service(
        client: &Client,
        id: &str,
        current: &EcsServiceSpec,
        desired: &EcsServiceSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        let _ = current;
        let service = find_service_by_arn(client, id)
            .await?
            .ok_or_else(|| AwsError::NotFound {
                code: "ServiceNotFoundException".into(),
            })?;
        reconcile_service(client, &service, desired, ids, false).await
    }

    /// UpdateService with the fields of `desired` that differ from `live`, then the tags. Waits
    /// for the deployment when the update started one, or with `always_wait` (an adopted service
    /// whose last deployment may still run or have failed).
    async fn reconcile_service(
        client: &Client,
        live: &Service,
        desired: &EcsServiceSpec,
        ids: &IdMap,
        always_wait: bool,
    ) -> Result<String, AwsError> {
        let arn = live
            .service_arn()
            .ok_or_else(|| AwsError::unexpected("DescribeServices returned no ARN"))?
            .to_string();
        let cluster = match live.cluster_arn() {
            Some(cluster) => cluster.to_string(),
            None => cluster_of(&arn)?,
        };
        let task_definition = resolve_one(&desired.task_definition, ids)?;
        let mut request = client.update_service().cluster(&cluster).service(&arn);
        let mut changed = false;

        if live.task_definition() != Some(task_definition.as_str()) {
            request = request.task_definition(&task_definition);
            changed = true;
        }
        let desired_count = count(desired.desired_count)?;
        if !desired.autoscaling_owns_count && live.desired_count() != desired_count {
            request = request.desired_count(desired_count);
            changed = true;
        }
        if flatten_strategy(live.capacity_provider_strategy()) != desired.capacity_strategy {
            // A new strategy applies only to tasks a new deployment starts.
            request = request
                .set_capacity_provider_strategy(Some(expand_strategy(&desired.capacity_strategy)?))
                .force_new_deployment(true);
            changed = true;
        }
        let (live_subnets, live_groups) = live_network(live);
        let mut subnets = resolve(&desired.subnets, ids)?;
        let mut groups = resolve(&desired.security_groups, ids)?;
        subnets.sort();
        groups.sort();
        if live_subnets != subnets || live_groups != groups {
            request = request.network_configuration(expand_network(desired, ids)?);
            changed = true;
        }
        let load_balancers = expand_load_balancers(desired, ids)?;
        if live_load_balancers(live) != load_balancers.iter().map(lb_triple).collect::<Vec<_>>() {
            request = request.set_load_balancers(Some(load_balancers));
            changed = true;
        }
        if let Some(seconds) = grace(desired)? {
            if live.health_check_grace_period_seconds() != Some(seconds) {
                request = request.health_check_grace_period_seconds(seconds);
                changed = true;
            }
        }
        let deployment = expand_deployment(desired)?;
        if live_deployment_settings(live) != deployment_settings(&deployment) {
            request = request.deployment_configuration(deployment);
            changed = true;
        }
        if live_service_connect(live) != desired.service_connect {
            // A new configuration applies to the tasks of a new deployment.
            request = request
                .service_connect_configuration(expand_service_connect(desired)?)
                .force_new_deployment(true);
            changed = true;
        }
        if live.enable_execute_command() != desired.enable_execute_command {
            // Only tasks started after the change get the execute-command agent.
            request = request
                .enable_execute_command(desired.enable_execute_command)
                .force_new_deployment(true);
            changed = true;
        }

        let mut started = false;
        if changed {
            let before = primary_deployment(live)
                .and_then(Deployment::id)
                .map(str::to_string);
            let out = request
                .send()
                .await
                .map_err(classify)
                .map_err(propagation_aware)?;
            let after = out
                .service()
                .and_then(primary_deployment)
                .and_then(Deployment::id)
                .map(str::to_string);
            started = after.is_some() && after != before;
        }
        sync_tags(client, &arn, &user_tags(live.tags()), &desired.tags).await?;
        if desired.wait_for_deployment && (started || always_wait) {
            wait_service_deployed(client, &arn, &task_definition).await?;
        }
        Ok(arn)
    }

    /// Success for a service that is gone or already being deleted.
    fn tolerate_absent<T>(result: Result<T, AwsError>) -> Result<(), AwsError> {
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() || is_code(&e, SERVICE_NOT_ACTIVE) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Scales the service to zero, deletes it (forced, so running tasks do not block it) and
    /// waits until it is INACTIVE or gone. Absence is success.
    pub async fn delete_service(
        client: &Client,
        id: &str,
        current: &EcsServiceSpec,
    ) -> Result<(), AwsError> {
        let _ = current;
        let cluster = cluster_of(id)?;
        tolerate_absent(
            client
                .update_service()
                .cluster(&cluster)
                .service(id)
                .desired_count(0)
                .send()
                .await
                .map_err(classify),
        )?;
        tolerate_absent(
            client
                .delete_service()
                .cluster(&cluster)
                .service(id)
                .force(true)
                .send()
                .await
                .map_err(classify),
        )?;
        wait_service_deleted(client, &cluster, id).await
    }

    /// The service as it is now, from its cluster's shared listing, with references turned back
    /// into node keys; `None` when it is draining, inactive or gone.
    pub async fn observe_service(
        client: &Client,
        reads: &Reads,
        id: &str,
        current: &EcsServiceSpec,
        ids: &IdMap,
    ) -> Result<Option<EcsServiceSpec>, AwsError> {
        Ok(read_service(client, reads, id)
            .await?
            .map(|s| flatten_service(&s, ids, current)))
    }

    // expand, flatten

    fn count(value: u32) -> Result<i32, AwsError> {
        i32::try_from(value).map_err(|_| AwsError::unexpected(format!("{value} is out of range")))
    }

    fn grace(spec: &EcsServiceSpec) -> Result<Option<i32>, AwsError> {
        spec.health_check_grace_seconds.map(count).transpose()
    }

    fn expand_network(
        spec: &EcsServiceSpec,
        ids: &IdMap,
    ) -> Result<NetworkConfiguration, AwsError> {
        let vpc = AwsVpcConfiguration::builder()
            .set_subnets(Some(resolve(&spec.subnets, ids)?))
            .set_security_groups(Some(resolve(&spec.security_groups, ids)?))
            .assign_public_ip(AssignPublicIp::Disabled)
            .build()
            .map_err(|e| AwsError::unexpected(e.to_string()))?;
        Ok(NetworkConfiguration::builder()
            .awsvpc_configuration(vpc)
            .build())
    }

    fn expand_load_balancers(
        spec: &EcsServiceSpec,
        ids: &IdMap,
    ) -> Result<Vec<LoadBalancer>, AwsError> {
        spec.load_balancer
            .iter()
            .map(|lb| {
                Ok(LoadBalancer::builder()
                    .target_group_arn(resolve_one(&lb.target_group, ids)?)
                    .container_name(&lb.container_name)
                    .container_port(lb.container_port)
                    .build())
            })
            .collect()
    }

    fn expand_deployment(spec: &EcsServiceSpec) -> Result<DeploymentConfiguration, AwsError> {
        Ok(DeploymentConfiguration::builder()
            .minimum_healthy_percent(count(spec.min_healthy_percent)?)
            .maximum_percent(count(spec.max_percent)?)
            .deployment_circuit_breaker(
                DeploymentCircuitBreaker::builder()
                    .enable(spec.circuit_breaker)
                    .rollback(spec.circuit_breaker)
                    .build(),
            )
            .build())
    }

    /// The Service Connect configuration of `spec`; when it has none, the one that turns
    /// Service Connect off.
    fn expand_service_connect(
        spec: &EcsServiceSpec,
    ) -> Result<ServiceConnectConfiguration, AwsError> {
        let Some(connect) = &spec.service_connect else {
            return Ok(ServiceConnectConfiguration::builder()
                .enabled(false)
                .build());
        };
        let services = connect
            .server
            .iter()
            .map(|server| {
                ServiceConnectService::builder()
                    .port_name(&server.port_name)
                    .discovery_name(&server.discovery_name)
                    .client_aliases(
                        ServiceConnectClientAlias::builder()
                            .port(server.port)
                            .dns_name(&server.dns_name)
                            .build()
                            .map_err(|e| AwsError::unexpected(e.to_string()))?,
                    )
                    .build()
                    .map_err(|e| AwsError::unexpected(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ServiceConnectConfiguration::builder()
            .enabled(true)
            .namespace(&connect.namespace_arn)
            .set_services((!services.is_empty()).then_some(services))
            .build())
    }

    /// Service Connect as the PRIMARY deployment has it (ECS keeps it on deployments, not on
    /// the service); only the fields we set.
    fn live_service_connect(service: &Service) -> Option<ServiceConnect> {
        let config = primary_deployment(service)?.service_connect_configuration()?;
        if !config.enabled() {
            return None;
        }
        let server = config.services().first().map(|s| {
            let alias = s.client_aliases().first();
            ServiceConnectServer {
                port_name: s.port_name().to_string(),
                discovery_name: s.discovery_name().unwrap_or_default().to_string(),
                dns_name: alias
                    .and_then(ServiceConnectClientAlias::dns_name)
                    .unwrap_or_default()
                    .to_string(),
                port: alias.map_or(0, ServiceConnectClientAlias::port),
            }
        });
        Some(ServiceConnect {
            namespace_arn: config.namespace().unwrap_or_default().to_string(),
            server,
        })
    }

    /// Subnet and security group IDs, sorted.
    fn live_network(service: &Service) -> (Vec<String>, Vec<String>) {
        let vpc = service
            .network_configuration()
            .and_then(NetworkConfiguration::awsvpc_configuration);
        let mut subnets = vpc.map(|v| v.subnets().to_vec()).unwrap_or_default();
        let mut groups = vpc
            .map(|v| v.security_groups().to_vec())
            .unwrap_or_default();
        subnets.sort();
        groups.sort();
        (subnets, groups)
    }

    fn lb_triple(lb: &LoadBalancer) -> (String, String, i32) {
        (
            lb.target_group_arn().unwrap_or_default().to_string(),
            lb.container_name().unwrap_or_default().to_string(),
            lb.container_port().unwrap_or(0),
        )
    }

    fn live_load_balancers(service: &Service) -> Vec<(String, String, i32)> {
        service.load_balancers().iter().map(lb_triple).collect()
    }

    /// Minimum healthy %, maximum %, and whether the circuit breaker is on with rollback.
    fn deployment_settings(config: &DeploymentConfiguration) -> (i32, i32, bool) {
        let breaker = config.deployment_circuit_breaker();
        (
            config.minimum_healthy_percent().unwrap_or(0),
            config.maximum_percent().unwrap_or(0),
            breaker.is_some_and(|b| b.enable() && b.rollback()),
        )
    }

    fn live_deployment_settings(service: &Service) -> (i32, i32, bool) {
        service
            .deployment_configuration()
            .map(deployment_settings)
            .unwrap_or((0, 0, false))
    }

    /// The service as a spec. References map back to node keys: the cluster to `current`'s key
    /// when unknown; the task definition, subnets, groups and target group to an `external` key
    /// when unknown, so a service left on another revision (a rollback) shows as drift.
    pub fn flatten_service(
        service: &Service,
        ids: &IdMap,
        current: &EcsServiceSpec,
    ) -> EcsServiceSpec {
        let (subnets, groups) = live_network(service);
        let mut subnets: Vec<NodeKey> = subnets
            .iter()
            .map(|id| key_of(ids, Kind::Subnet, id))
            .collect();
        let mut security_groups: Vec<NodeKey> = groups
            .iter()
            .map(|id| key_of(ids, Kind::SecurityGroup, id))
            .collect();
        subnets.sort();
        security_groups.sort();
        let (min_healthy_percent, max_percent, circuit_breaker) = live_deployment_settings(service);
        let non_negative = |v: i32| u32::try_from(v).unwrap_or(0);
        EcsServiceSpec {
            name: service.service_name().unwrap_or_default().to_string(),
            cluster: service
                .cluster_arn()
                .and_then(|arn| ids.key_of(arn))
                .unwrap_or(&current.cluster)
                .clone(),
            task_definition: key_of(
                ids,
                Kind::TaskDefinition,
                service.task_definition().unwrap_or_default(),
            ),
            desired_count: if current.autoscaling_owns_count {
                current.desired_count
            } else {
                non_negative(service.desired_count())
            },
            autoscaling_owns_count: current.autoscaling_owns_count,
            subnets,
            security_groups,
            capacity_strategy: flatten_strategy(service.capacity_provider_strategy()),
            load_balancer: service
                .load_balancers()
                .iter()
                .find(|lb| lb.target_group_arn().is_some())
                .map(|lb| ServiceLoadBalancer {
                    target_group: key_of(
                        ids,
                        Kind::TargetGroup,
                        lb.target_group_arn().unwrap_or_default(),
                    ),
                    container_name: lb.container_name().unwrap_or_default().to_string(),
                    container_port: lb.container_port().unwrap_or(0),
                }),
            // ECS reports 0 for a grace period never set.
            health_check_grace_seconds: match service.health_check_grace_period_seconds() {
                Some(0) => current.health_check_grace_seconds.filter(|s| *s == 0),
                other => other.map(non_negative),
            },
            min_healthy_percent: non_negative(min_healthy_percent),
            max_percent: non_negative(max_percent),
            circuit_breaker,
            enable_execute_command: service.enable_execute_command(),
            wait_for_deployment: current.wait_for_deployment,
            service_connect: live_service_connect(service),
            tags: user_tags(service.tags()),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        const TD_NEW: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/test-api:2";
        const TD_OLD: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/test-api:1";

        fn deployment(status: &str, td: &str, state: Option<DeploymentRolloutState>) -> Deployment {
            Deployment::builder()
                .id(format!("ecs-svc/{status}"))
                .status(status)
                .task_definition(td)
                .desired_count(2)
                .running_count(2)
                .set_rollout_state(state)
                .rollout_state_reason("reason")
                .build()
        }

        fn service(deployments: Vec<Deployment>) -> Service {
            Service::builder()
                .set_deployments(Some(deployments))
                .build()
        }

        #[test]
        fn service_arns_name_their_cluster() {
            assert_eq!(
                parse_service_arn("arn:aws:ecs:us-east-1:123456789012:service/test/api"),
                Some((
                    "arn:aws:ecs:us-east-1:123456789012:cluster/test".to_string(),
                    "api"
                ))
            );
            assert_eq!(
                parse_service_arn("arn:aws:ecs:us-east-1:123456789012:service/api"),
                None
            );
        }

        #[test]
        fn progress_follows_the_rollout_state() {
            use DeploymentRolloutState::*;
            let s = service(vec![deployment("PRIMARY", TD_NEW, Some(Completed))]);
            assert_eq!(deployment_progress(&s, TD_NEW), Progress::Done);
            let s = service(vec![
                deployment("PRIMARY", TD_NEW, Some(InProgress)),
                deployment("ACTIVE", TD_OLD, Some(Completed)),
            ]);
            assert_eq!(deployment_progress(&s, TD_NEW), Progress::Pending);
            let s = service(vec![
                deployment("PRIMARY", TD_OLD, Some(InProgress)),
                deployment("ACTIVE", TD_NEW, Some(Failed)),
            ]);
            assert_eq!(
                deployment_progress(&s, TD_NEW),
                Progress::Failed {
                    reason: Some("reason".into()),
                    now_running: Some(TD_OLD.into())
                }
            );
            let s = service(vec![deployment("PRIMARY", TD_NEW, Some(Failed))]);
            assert!(matches!(
                deployment_progress(&s, TD_NEW),
                Progress::Failed {
                    now_running: None,
                    ..
                }
            ));
            // No rollout state: steady when the only deployment runs all its tasks.
            let s = service(vec![deployment("PRIMARY", TD_NEW, None)]);
            assert_eq!(deployment_progress(&s, TD_NEW), Progress::Done);
        }
    }
}
