//! ECS task definition for Fargate (awsvpc, one essential container); the ledger ID is the
//! ARN of the revision in use.
//!
//! Revisions are immutable: an update registers a new revision and deregisters the previous
//! one; delete deregisters every active revision of the family carrying our ownership tags,
//! so a crashed run's extra revisions do not leak, then asks ECS to delete them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{Node, NodeKey, Tags};

/// An ECS task definition family for Fargate (awsvpc). Its ledger ID is the ARN of the
/// revision in use; an update registers a new revision and deregisters the old one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskDefinitionSpec {
    pub family: String,
    /// CPU units (256 = ¼ vCPU).
    pub cpu: u32,
    /// MiB.
    pub memory: u32,
    /// `X86_64` or `ARM64`.
    pub cpu_architecture: String,
    /// The task role; its ledger ID is the role ARN.
    pub task_role: NodeKey,
    /// The execution role (image pull, logs, secrets); its ledger ID is the role ARN.
    pub execution_role: NodeKey,
    pub container: ContainerSpec,
    /// Containers beside the main one (collectors, agents), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sidecars: Vec<SidecarSpec>,
    pub tags: Tags,
}

/// A container beside the service's own, logging to the same group under its own name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SidecarSpec {
    pub name: String,
    pub image: String,
    /// The task stops when an essential container stops; the main container waits for
    /// essential sidecars to start.
    pub essential: bool,
    /// CPU units and MiB reserved for it; `None` shares the task's.
    pub cpu: Option<u32>,
    pub memory: Option<u32>,
    pub port: Option<i32>,
    pub command: Vec<String>,
    pub environment: BTreeMap<String, String>,
    pub secrets: BTreeMap<String, String>,
    /// A Secrets Manager secret with the registry's login, to pull `image`.
    pub repository_credentials: Option<String>,
}

/// The one container of a service's task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerSpec {
    /// Also the name the target group registers.
    pub name: String,
    pub image: String,
    /// `None` for a worker, which listens on no port.
    pub port: Option<i32>,
    /// Names the port mapping (Service Connect serves it, with the `http` app protocol).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_name: Option<String>,
    /// Empty: the image's own command.
    pub command: Vec<String>,
    pub environment: BTreeMap<String, String>,
    /// Variable name → `valueFrom` (a Secrets Manager ARN, optionally `<arn>:<json-key>::`, or
    /// an SSM parameter ARN).
    pub secrets: BTreeMap<String, String>,
    /// Variable name → a secret child of the same graph (a generated secret); its ARN is the
    /// `valueFrom`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub generated_secrets: BTreeMap<String, NodeKey>,
    /// Docker labels; a generated secret's generation is one, so a new value rolls the service.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub docker_labels: BTreeMap<String, String>,
    /// A Secrets Manager secret with the registry's login, to pull `image`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_credentials: Option<String>,
    /// Containers that must have started before this one (the essential sidecars).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// The `awslogs` group; the ID recorded for it is its name.
    pub log_group: NodeKey,
    /// Region of the log group, for the `awslogs-region` option.
    pub log_region: String,
    pub read_only_root_filesystem: bool,
}

impl KindSpec for TaskDefinitionSpec {
    const PREFIX: &'static str = "ecs.task_definition";
    const DISPLAY_NAME: &'static str = "ECS Task Definition";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "ecs:DeleteTaskDefinitions",
        "ecs:DeregisterTaskDefinition",
        "ecs:DescribeTaskDefinition",
        "ecs:ListTaskDefinitions",
        "ecs:RegisterTaskDefinition",
        "ecs:TagResource",
        "ecs:UntagResource",
    ];
    const UPDATE_CHANGES_ID: bool = true;

    fn references(&self) -> Vec<Reference<'_>> {
        let mut refs = vec![
            Reference::update(&self.task_role),
            Reference::update(&self.execution_role),
            Reference::update(&self.container.log_group),
        ];
        refs.extend(
            self.container
                .generated_secrets
                .values()
                .map(Reference::update),
        );
        refs
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[("family", self.family != d.family)])
    }

    fn hourly_charge(&self, _graph: &BTreeMap<NodeKey, Node>) -> Option<(&'static str, f64)> {
        None
    }
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use std::sync::Arc;

    use aws_sdk_ecs::types::{
        ApplicationProtocol, Compatibility, ContainerCondition, ContainerDefinition,
        ContainerDependency, CpuArchitecture, KeyValuePair, LogConfiguration, LogDriver,
        NetworkMode, OsFamily, PortMapping, RepositoryCredentials, RuntimePlatform, Secret,
        TaskDefinition, TaskDefinitionField, TaskDefinitionStatus, TransportProtocol,
    };
    use aws_sdk_ecs::Client;

    use super::*;
    use crate::apply::IdMap;
    use crate::aws::common::ecs::{sync_tags, user_tags};
    use crate::aws::common::ownership::{adopt_or_create, owned_by, Found};
    use crate::aws::common::reads::Reads;
    use crate::aws::common::tags::to_sdk;
    use crate::aws::error::{classify, AwsError};
    use crate::aws::kind::{AwsKind, Cx};
    use crate::plan::node::Kind;

    impl AwsKind for TaskDefinitionSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            find_owned_task_definition(&cx.clients.ecs, spec, cx.ids).await
        }

        /// No API lists revisions with their contents: each is described once by ARN, shared
        /// with other readers of the same revision (the service resource's running image).
        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            observe_task_definition(&cx.clients.ecs, cx.reads, id, current, cx.ids).await
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_task_definition(&cx.clients.ecs, spec, cx.ids).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_task_definition(&cx.clients.ecs, id, current, desired, cx.ids).await
        }

        async fn delete(cx: &Cx<'_>, id: &str, current: &Self) -> Result<(), AwsError> {
            delete_task_definition(&cx.clients.ecs, id, current).await
        }
    }

    // constants

    /// ECS reports a missing or deleted revision as a `ClientException`; these fragments of its
    /// message (lower case) say the revision is gone rather than the request being wrong.
    const CLIENT_EXCEPTION: &str = "ClientException";
    const GONE_FRAGMENTS: &[&str] = &[
        "unable to describe task definition",
        "does not exist",
        "being deleted",
    ];
    /// What ECS assumes when a revision names no runtime platform.
    const DEFAULT_ARCHITECTURE: &str = "X86_64";
    const LOG_GROUP_OPTION: &str = "awslogs-group";
    const LOG_REGION_OPTION: &str = "awslogs-region";
    const LOG_PREFIX_OPTION: &str = "awslogs-stream-prefix";
    /// DeleteTaskDefinitions takes at most this many revisions per call.
    const DELETE_BATCH: usize = 10;

    // find

    /// True when `error` means the revision (or the family's latest revision) does not exist.
    fn is_gone(error: &AwsError) -> bool {
        match error {
            AwsError::NotFound { .. } => true,
            AwsError::Api { code, message } if code == CLIENT_EXCEPTION => {
                let message = message.to_lowercase();
                GONE_FRAGMENTS.iter().any(|f| message.contains(f))
            }
            _ => false,
        }
    }

    fn is_active(td: &TaskDefinition) -> bool {
        td.status() == Some(&TaskDefinitionStatus::Active)
    }

    /// A revision (by ARN, or by family for its latest active revision) with its tags; `None`
    /// when there is none.
    pub async fn find_task_definition(
        client: &Client,
        id: &str,
    ) -> Result<Option<(TaskDefinition, Tags)>, AwsError> {
        match client
            .describe_task_definition()
            .task_definition(id)
            .include(TaskDefinitionField::Tags)
            .send()
            .await
            .map_err(classify)
        {
            Ok(out) => Ok(out
                .task_definition()
                .cloned()
                .map(|td| (td, user_tags(out.tags())))),
            Err(e) if is_gone(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The family's latest active revision with its tags.
    async fn find_latest_revision(
        client: &Client,
        family: &str,
    ) -> Result<Option<(TaskDefinition, Tags)>, AwsError> {
        Ok(find_task_definition(client, family)
            .await?
            .filter(|(td, _)| is_active(td) && td.family() == Some(family)))
    }

    /// The family's latest active revision, as adoption sees it.
    async fn find_adoptable_revision(
        client: &Client,
        family: &str,
        ids: &IdMap,
    ) -> Result<Option<Found<TaskDefinitionSpec>>, AwsError> {
        let Some((td, tags)) = find_latest_revision(client, family).await? else {
            return Ok(None);
        };
        let id = td
            .task_definition_arn()
            .ok_or_else(|| AwsError::unexpected("DescribeTaskDefinition returned no ARN"))?
            .to_string();
        Ok(Some(Found {
            id,
            current: flatten_task_definition(&td, tags.clone(), ids, None),
            tags,
        }))
    }

    /// The ledger ID of the family's latest active revision when it carries the spec's ownership
    /// tags, without changing anything (import and discovery); `None` when there is none.
    pub async fn find_owned_task_definition(
        client: &Client,
        spec: &TaskDefinitionSpec,
        ids: &IdMap,
    ) -> Result<Option<String>, AwsError> {
        Ok(find_adoptable_revision(client, &spec.family, ids)
            .await?
            .filter(|found| owned_by(&found.tags, &spec.tags))
            .map(|found| found.id))
    }

    /// The revision of ARN `arn` with its tags, described once per `reads` and shared.
    pub async fn read_task_definition(
        client: &Client,
        reads: &Reads,
        arn: &str,
    ) -> Result<Arc<Option<(TaskDefinition, Tags)>>, AwsError> {
        reads
            .get(&format!("ecs.task_definition/{arn}"), || {
                find_task_definition(client, arn)
            })
            .await
    }

    /// The image of the revision's first container; `None` when the revision is inactive or
    /// gone.
    pub async fn container_image(
        client: &Client,
        reads: &Reads,
        task_definition_arn: &str,
    ) -> Result<Option<String>, AwsError> {
        let revision = read_task_definition(client, reads, task_definition_arn).await?;
        Ok(revision
            .as_ref()
            .as_ref()
            .filter(|(td, _)| is_active(td))
            .and_then(|(td, _)| {
                td.container_definitions()
                    .first()
                    .and_then(ContainerDefinition::image)
                    .map(str::to_string)
            }))
    }

    /// Active revisions of exactly `family` (ListTaskDefinitions matches by prefix).
    async fn list_active_revisions(client: &Client, family: &str) -> Result<Vec<String>, AwsError> {
        let mut pages = client
            .list_task_definitions()
            .family_prefix(family)
            .status(TaskDefinitionStatus::Active)
            .into_paginator()
            .send();
        let mut arns = Vec::new();
        while let Some(page) = pages.next().await {
            arns.extend(
                page.map_err(classify)?
                    .task_definition_arns()
                    .iter()
                    .filter(|arn| family_of(arn) == Some(family))
                    .cloned(),
            );
        }
        Ok(arns)
    }

    /// The family of `arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>`.
    fn family_of(arn: &str) -> Option<&str> {
        let name = arn.rsplit_once("task-definition/")?.1;
        Some(name.rsplit_once(':').map_or(name, |(family, _)| family))
    }

    // create, update, delete

    /// The family's latest active revision when it carries our ownership tags and already is
    /// `spec` (registered by an attempt that died before recording it).
    async fn find_equal_revision(
        client: &Client,
        spec: &TaskDefinitionSpec,
        ids: &IdMap,
    ) -> Result<Option<String>, AwsError> {
        Ok(find_adoptable_revision(client, &spec.family, ids)
            .await?
            .filter(|found| owned_by(&found.tags, &spec.tags) && found.current == *spec)
            .map(|found| found.id))
    }

    async fn register_task_definition(
        client: &Client,
        spec: &TaskDefinitionSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        let out = client
            .register_task_definition()
            .family(&spec.family)
            .network_mode(NetworkMode::Awsvpc)
            .requires_compatibilities(Compatibility::Fargate)
            .cpu(spec.cpu.to_string())
            .memory(spec.memory.to_string())
            .runtime_platform(
                RuntimePlatform::builder()
                    .cpu_architecture(CpuArchitecture::from(spec.cpu_architecture.as_str()))
                    .operating_system_family(OsFamily::Linux)
                    .build(),
            )
            .task_role_arn(resolve_one(&spec.task_role, ids)?)
            .execution_role_arn(resolve_one(&spec.execution_role, ids)?)
            .set_container_definitions(Some(expand_containers(spec, ids)?))
            .set_tags(Some(to_sdk(&spec.tags)?))
            .send()
            .await
            .map_err(classify)?;
        out.task_definition()
            .and_then(TaskDefinition::task_definition_arn)
            .map(str::to_string)
            .ok_or_else(|| AwsError::unexpected("RegisterTaskDefinition returned no ARN"))
    }

    /// Deregisters a revision; `false` when it was already gone (an inactive revision
    /// deregisters again without complaint).
    async fn deregister_revision(client: &Client, arn: &str) -> Result<bool, AwsError> {
        match client
            .deregister_task_definition()
            .task_definition(arn)
            .send()
            .await
            .map_err(classify)
        {
            Ok(_) => Ok(true),
            Err(e) if is_gone(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Registers a revision, or adopts the family's latest revision when it carries the spec's
    /// ownership tags (a run that died before recording it), reconciled through an update: kept
    /// when it equals the spec, else replaced by a new revision. Returns the revision's ARN.
    pub async fn create_task_definition(
        client: &Client,
        spec: &TaskDefinitionSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        // Registering never collides with an existing revision, so no error means "exists".
        adopt_or_create(
            "ECS task definition family",
            &spec.family,
            &spec.tags,
            &[],
            || find_adoptable_revision(client, &spec.family, ids),
            |found| async move {
                update_task_definition(client, &found.id, &found.current, spec, ids).await
            },
            || register_task_definition(client, spec, ids),
        )
        .await
    }

    /// Registers a revision with `desired` and deregisters revision `id`; returns the new ARN.
    /// A change of tags alone is made on revision `id` in place.
    pub async fn update_task_definition(
        client: &Client,
        id: &str,
        current: &TaskDefinitionSpec,
        desired: &TaskDefinitionSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        let untagged = |s: &TaskDefinitionSpec| TaskDefinitionSpec {
            tags: Tags::new(),
            ..s.clone()
        };
        if untagged(current) == untagged(desired) {
            sync_tags(client, id, &current.tags, &desired.tags).await?;
            return Ok(id.to_string());
        }
        // A revision registered by an attempt that died before recording it is reused.
        let arn = match find_equal_revision(client, desired, ids).await? {
            Some(arn) if arn == id => return Ok(arn),
            Some(arn) => arn,
            None => register_task_definition(client, desired, ids).await?,
        };
        deregister_revision(client, id).await?;
        Ok(arn)
    }

    /// Deregisters revision `id` and every other active revision of the family carrying our
    /// ownership tags, then asks ECS to delete them (best effort: deregistered revisions cost
    /// nothing, and not every partition offers DeleteTaskDefinitions). Absence is success.
    pub async fn delete_task_definition(
        client: &Client,
        id: &str,
        current: &TaskDefinitionSpec,
    ) -> Result<(), AwsError> {
        let mut deregistered = Vec::new();
        if deregister_revision(client, id).await? {
            deregistered.push(id.to_string());
        }
        let family = family_of(id).unwrap_or(&current.family).to_string();
        for arn in list_active_revisions(client, &family).await? {
            if arn == id {
                continue;
            }
            let Some((_, tags)) = find_task_definition(client, &arn).await? else {
                continue;
            };
            if owned_by(&tags, &current.tags) && deregister_revision(client, &arn).await? {
                deregistered.push(arn);
            }
        }
        for batch in deregistered.chunks(DELETE_BATCH) {
            match client
                .delete_task_definitions()
                .set_task_definitions(Some(batch.to_vec()))
                .send()
                .await
                .map_err(classify)
            {
                Ok(out) => {
                    for failure in out.failures() {
                        tracing::debug!(
                            task_definition = failure.arn().unwrap_or_default(),
                            reason = failure.reason().unwrap_or_default(),
                            "revision deregistered but not deleted"
                        );
                    }
                }
                Err(e) => {
                    tracing::warn!(family = %family, error = %e, "revisions deregistered but not deleted");
                }
            }
        }
        Ok(())
    }

    /// The revision as it is now (described once per `reads`), with references turned back into
    /// node keys; `None` when it is inactive or gone.
    pub async fn observe_task_definition(
        client: &Client,
        reads: &Reads,
        id: &str,
        current: &TaskDefinitionSpec,
        ids: &IdMap,
    ) -> Result<Option<TaskDefinitionSpec>, AwsError> {
        let revision = read_task_definition(client, reads, id).await?;
        Ok(revision
            .as_ref()
            .as_ref()
            .filter(|(td, _)| is_active(td))
            .map(|(td, tags)| flatten_task_definition(td, tags.clone(), ids, Some(current))))
    }

    // expand, flatten

    fn resolve_one(key: &NodeKey, ids: &IdMap) -> Result<String, AwsError> {
        ids.id(key)
            .map(str::to_string)
            .map_err(|e| AwsError::unexpected(e.message))
    }

    fn expand_container(
        container: &ContainerSpec,
        ids: &IdMap,
    ) -> Result<ContainerDefinition, AwsError> {
        let log_configuration = expand_log(container, &container.name, ids)?;
        let environment = expand_environment(&container.environment);
        let mut value_from = container.secrets.clone();
        for (name, key) in &container.generated_secrets {
            value_from.insert(name.clone(), resolve_one(key, ids)?);
        }
        let secrets = expand_secrets(&value_from)?;
        Ok(ContainerDefinition::builder()
            .name(&container.name)
            .image(&container.image)
            .essential(true)
            .set_port_mappings(container.port.map(|port| {
                vec![PortMapping::builder()
                    .container_port(port)
                    .protocol(TransportProtocol::Tcp)
                    .set_name(container.port_name.clone())
                    .set_app_protocol(
                        container
                            .port_name
                            .as_ref()
                            .map(|_| ApplicationProtocol::Http),
                    )
                    .build()]
            }))
            .set_command((!container.command.is_empty()).then(|| container.command.clone()))
            .set_environment((!environment.is_empty()).then_some(environment))
            .set_secrets((!secrets.is_empty()).then_some(secrets))
            .set_docker_labels(
                (!container.docker_labels.is_empty())
                    .then(|| container.docker_labels.clone().into_iter().collect()),
            )
            .set_repository_credentials(expand_credentials(
                container.repository_credentials.as_ref(),
            )?)
            .set_depends_on(
                (!container.depends_on.is_empty())
                    .then(|| {
                        container
                            .depends_on
                            .iter()
                            .map(|name| {
                                ContainerDependency::builder()
                                    .container_name(name)
                                    .condition(ContainerCondition::Start)
                                    .build()
                            })
                            .collect::<Result<Vec<_>, _>>()
                    })
                    .transpose()
                    .map_err(|e| AwsError::unexpected(e.to_string()))?,
            )
            .readonly_root_filesystem(container.read_only_root_filesystem)
            .log_configuration(log_configuration)
            .build())
    }

    /// Every container of the task: the main one first, then the sidecars in order.
    fn expand_containers(
        spec: &TaskDefinitionSpec,
        ids: &IdMap,
    ) -> Result<Vec<ContainerDefinition>, AwsError> {
        let mut out = vec![expand_container(&spec.container, ids)?];
        for sidecar in &spec.sidecars {
            out.push(expand_sidecar(sidecar, &spec.container, ids)?);
        }
        Ok(out)
    }

    fn expand_credentials(
        secret: Option<&String>,
    ) -> Result<Option<RepositoryCredentials>, AwsError> {
        secret
            .map(|arn| {
                RepositoryCredentials::builder()
                    .credentials_parameter(arn)
                    .build()
                    .map_err(|e| AwsError::unexpected(e.to_string()))
            })
            .transpose()
    }

    /// `awslogs` to the main container's group, under `prefix` (the container's name).
    fn expand_log(
        main: &ContainerSpec,
        prefix: &str,
        ids: &IdMap,
    ) -> Result<LogConfiguration, AwsError> {
        LogConfiguration::builder()
            .log_driver(LogDriver::Awslogs)
            .options(LOG_GROUP_OPTION, resolve_one(&main.log_group, ids)?)
            .options(LOG_REGION_OPTION, &main.log_region)
            .options(LOG_PREFIX_OPTION, prefix)
            .build()
            .map_err(|e| AwsError::unexpected(e.to_string()))
    }

    fn expand_environment(variables: &BTreeMap<String, String>) -> Vec<KeyValuePair> {
        variables
            .iter()
            .map(|(name, value)| KeyValuePair::builder().name(name).value(value).build())
            .collect()
    }

    fn flatten_environment(container: &ContainerDefinition) -> BTreeMap<String, String> {
        container
            .environment()
            .iter()
            .filter_map(|kv| {
                Some((
                    kv.name()?.to_string(),
                    kv.value().unwrap_or_default().to_string(),
                ))
            })
            .collect()
    }

    fn expand_secrets(secrets: &BTreeMap<String, String>) -> Result<Vec<Secret>, AwsError> {
        secrets
            .iter()
            .map(|(name, value_from)| {
                Secret::builder()
                    .name(name)
                    .value_from(value_from)
                    .build()
                    .map_err(|e| AwsError::unexpected(e.to_string()))
            })
            .collect()
    }

    /// A sidecar logs to the main container's group, under its own name.
    fn expand_sidecar(
        sidecar: &SidecarSpec,
        main: &ContainerSpec,
        ids: &IdMap,
    ) -> Result<ContainerDefinition, AwsError> {
        let log_configuration = expand_log(main, &sidecar.name, ids)?;
        let environment = expand_environment(&sidecar.environment);
        let secrets = expand_secrets(&sidecar.secrets)?;
        let cpu = sidecar.cpu.map(i32::try_from).transpose();
        let memory = sidecar.memory.map(i32::try_from).transpose();
        let (Ok(cpu), Ok(memory)) = (cpu, memory) else {
            return Err(AwsError::unexpected("sidecar cpu or memory out of range"));
        };
        Ok(ContainerDefinition::builder()
            .name(&sidecar.name)
            .image(&sidecar.image)
            .essential(sidecar.essential)
            .set_cpu(cpu)
            .set_memory(memory)
            .set_port_mappings(sidecar.port.map(|port| {
                vec![PortMapping::builder()
                    .container_port(port)
                    .protocol(TransportProtocol::Tcp)
                    .build()]
            }))
            .set_command((!sidecar.command.is_empty()).then(|| sidecar.command.clone()))
            .set_environment((!environment.is_empty()).then_some(environment))
            .set_secrets((!secrets.is_empty()).then_some(secrets))
            .set_repository_credentials(expand_credentials(
                sidecar.repository_credentials.as_ref(),
            )?)
            .log_configuration(log_configuration)
            .build())
    }

    fn flatten_sidecar(container: &ContainerDefinition) -> SidecarSpec {
        SidecarSpec {
            name: container.name().unwrap_or_default().to_string(),
            image: container.image().unwrap_or_default().to_string(),
            essential: container.essential().unwrap_or(true),
            cpu: u32::try_from(container.cpu()).ok().filter(|c| *c > 0),
            memory: container.memory().and_then(|m| u32::try_from(m).ok()),
            port: container
                .port_mappings()
                .first()
                .and_then(PortMapping::container_port),
            command: container.command().to_vec(),
            environment: flatten_environment(container),
            secrets: container
                .secrets()
                .iter()
                .map(|s| (s.name().to_string(), s.value_from().to_string()))
                .collect(),
            repository_credentials: container
                .repository_credentials()
                .map(|c| c.credentials_parameter().to_string()),
        }
    }

    /// The secret child a `valueFrom` names, when it is one of the graph's own.
    fn generated_key(ids: &IdMap, value_from: &str) -> Option<NodeKey> {
        ids.key_of(value_from)
            .filter(|key| key.kind() == Some(Kind::Secret))
            .cloned()
    }

    /// The revision as a spec: only the fields we set, so the defaults ECS adds (host port,
    /// protocol, `essential`, empty lists) never read as drift. A referenced ARN or name maps
    /// back to its node key, else to `current`'s key, else to an `external` key.
    pub fn flatten_task_definition(
        td: &TaskDefinition,
        tags: Tags,
        ids: &IdMap,
        current: Option<&TaskDefinitionSpec>,
    ) -> TaskDefinitionSpec {
        let reference = |id: Option<&str>, kind: Kind, fallback: Option<&NodeKey>| -> NodeKey {
            let id = id.unwrap_or_default();
            ids.key_of(id)
                .or(fallback)
                .cloned()
                .unwrap_or_else(|| NodeKey::new(kind, &["external", id]))
        };
        let main_name = current.map(|c| c.container.name.as_str());
        let container = td
            .container_definitions()
            .iter()
            .find(|c| main_name.is_some() && c.name() == main_name)
            .or_else(|| td.container_definitions().first());
        let sidecars = td
            .container_definitions()
            .iter()
            .filter(|c| container.is_none_or(|main| c.name() != main.name()))
            .map(flatten_sidecar)
            .collect();
        let log_options = container
            .and_then(ContainerDefinition::log_configuration)
            .filter(|l| l.log_driver() == &LogDriver::Awslogs)
            .and_then(LogConfiguration::options);
        let log_option = |name: &str| log_options.and_then(|o| o.get(name)).map(String::as_str);
        let container = ContainerSpec {
            name: container
                .and_then(ContainerDefinition::name)
                .unwrap_or_default()
                .to_string(),
            image: container
                .and_then(ContainerDefinition::image)
                .unwrap_or_default()
                .to_string(),
            port: container
                .and_then(|c| c.port_mappings().first())
                .and_then(PortMapping::container_port),
            port_name: container
                .and_then(|c| c.port_mappings().first())
                .and_then(PortMapping::name)
                .map(str::to_string),
            command: container.map(|c| c.command().to_vec()).unwrap_or_default(),
            environment: container.map(flatten_environment).unwrap_or_default(),
            secrets: container
                .map(|c| {
                    c.secrets()
                        .iter()
                        .filter(|s| generated_key(ids, s.value_from()).is_none())
                        .map(|s| (s.name().to_string(), s.value_from().to_string()))
                        .collect()
                })
                .unwrap_or_default(),
            generated_secrets: container
                .map(|c| {
                    c.secrets()
                        .iter()
                        .filter_map(|s| {
                            Some((s.name().to_string(), generated_key(ids, s.value_from())?))
                        })
                        .collect()
                })
                .unwrap_or_default(),
            repository_credentials: container
                .and_then(ContainerDefinition::repository_credentials)
                .map(|c| c.credentials_parameter().to_string()),
            depends_on: container
                .map(|c| {
                    c.depends_on()
                        .iter()
                        .map(|d| d.container_name().to_string())
                        .collect()
                })
                .unwrap_or_default(),
            docker_labels: container
                .and_then(ContainerDefinition::docker_labels)
                .map(|labels| labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            log_group: reference(
                log_option(LOG_GROUP_OPTION),
                Kind::LogGroup,
                current.map(|c| &c.container.log_group),
            ),
            log_region: log_option(LOG_REGION_OPTION)
                .unwrap_or_default()
                .to_string(),
            read_only_root_filesystem: container
                .and_then(ContainerDefinition::readonly_root_filesystem)
                .unwrap_or(false),
        };
        TaskDefinitionSpec {
            family: td.family().unwrap_or_default().to_string(),
            cpu: td.cpu().and_then(|c| c.parse().ok()).unwrap_or(0),
            memory: td.memory().and_then(|m| m.parse().ok()).unwrap_or(0),
            cpu_architecture: td
                .runtime_platform()
                .and_then(RuntimePlatform::cpu_architecture)
                .map_or(DEFAULT_ARCHITECTURE, CpuArchitecture::as_str)
                .to_string(),
            task_role: reference(
                td.task_role_arn(),
                Kind::IamRole,
                current.map(|c| &c.task_role),
            ),
            execution_role: reference(
                td.execution_role_arn(),
                Kind::IamRole,
                current.map(|c| &c.execution_role),
            ),
            container,
            sidecars,
            tags,
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn family_of_revision_arns() {
            assert_eq!(
                family_of("arn:aws:ecs:us-east-1:123456789012:task-definition/test-api:7"),
                Some("test-api")
            );
            assert_eq!(
                family_of("arn:aws:ecs:us-east-1:123456789012:task-definition/test-api-worker:1"),
                Some("test-api-worker")
            );
            assert_eq!(family_of("test-api"), None);
        }

        /// A task with a named port, a generated secret, registry credentials and two
        /// sidecars reads back as the spec it was registered from.
        #[test]
        fn every_container_reads_back_as_registered() {
            use crate::plan::ledger::Ledger;
            use crate::plan::node::Kind;
            let key = |kind: Kind, q: &[&str]| NodeKey::new(kind, q);
            let log_group = key(Kind::LogGroup, &["service"]);
            let jwt = key(Kind::Secret, &["generated", "JWT_SECRET"]);
            let creds = "arn:aws:secretsmanager:us-east-1:123456789012:secret:dockerhub-AbCdEf";
            let sidecar = |name: &str, essential: bool| SidecarSpec {
                name: name.into(),
                image: format!("docker.io/{name}:1"),
                essential,
                cpu: Some(64),
                memory: Some(128),
                port: essential.then_some(4317),
                command: vec!["--config".into(), "/etc/otel.yaml".into()],
                environment: [("A".to_string(), "1".to_string())].into(),
                secrets: [("DD_API_KEY".to_string(), format!("{creds}:key::"))].into(),
                repository_credentials: essential.then(|| creds.to_string()),
            };
            let spec = TaskDefinitionSpec {
                family: "prod-api".into(),
                cpu: 512,
                memory: 1024,
                cpu_architecture: "X86_64".into(),
                task_role: key(Kind::IamRole, &["task"]),
                execution_role: key(Kind::IamRole, &["execution"]),
                container: ContainerSpec {
                    name: "api".into(),
                    image: "docker.io/acme/api:2".into(),
                    port: Some(8080),
                    port_name: Some("http".into()),
                    command: vec![],
                    environment: BTreeMap::new(),
                    secrets: BTreeMap::new(),
                    generated_secrets: [("JWT_SECRET".to_string(), jwt.clone())].into(),
                    docker_labels: [(
                        "platform.secret-generation.JWT_SECRET".to_string(),
                        "2".to_string(),
                    )]
                    .into(),
                    repository_credentials: Some(creds.into()),
                    depends_on: vec!["otel".into()],
                    log_group: log_group.clone(),
                    log_region: "us-east-1".into(),
                    read_only_root_filesystem: true,
                },
                sidecars: vec![sidecar("otel", true), sidecar("datadog", false)],
                tags: Tags::new(),
            };
            let mut ledger = Ledger::new();
            for (k, id) in [
                (&log_group, "/platform/prod/api"),
                (&jwt, "arn:aws:secretsmanager:us-east-1:123456789012:secret:platform/prod/service/api/JWT_SECRET-Zz9Yy8"),
            ] {
                ledger.external.insert(k.clone(), id.into());
            }
            for (q, arn) in [
                ("task", "arn:aws:iam::1:role/t"),
                ("execution", "arn:aws:iam::1:role/e"),
            ] {
                ledger.external.insert(key(Kind::IamRole, &[q]), arn.into());
            }
            let ids = IdMap::from_ledger(&ledger);
            let td = TaskDefinition::builder()
                .family("prod-api")
                .cpu("512")
                .memory("1024")
                .task_role_arn("arn:aws:iam::1:role/t")
                .execution_role_arn("arn:aws:iam::1:role/e")
                .set_container_definitions(Some(expand_containers(&spec, &ids).unwrap()))
                .build();
            let read = flatten_task_definition(&td, Tags::new(), &ids, Some(&spec));
            assert_eq!(read, spec);
            // The main container waits for the essential sidecar only.
            let main = &td.container_definitions()[0];
            assert_eq!(main.depends_on().len(), 1);
            assert_eq!(td.container_definitions()[2].essential(), Some(false));
        }

        #[test]
        fn gone_errors() {
            let client = |m: &str| AwsError::Api {
                code: CLIENT_EXCEPTION.into(),
                message: m.into(),
            };
            assert!(is_gone(&client("Unable to describe task definition.")));
            assert!(is_gone(&client(
                "The specified task definition does not exist."
            )));
            assert!(!is_gone(&client("Invalid setting for container 'api'")));
        }
    }
}
