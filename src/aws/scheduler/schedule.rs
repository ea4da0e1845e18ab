//! EventBridge Scheduler schedule running a service's task definition on Fargate; the ledger
//! ID is the schedule's ARN.
//!
//! The target is the environment's cluster, the task definition revision the service runs now
//! (a new revision updates the schedule in the same apply: `Follow::Update`), the private
//! subnets and the service's group without a public IP, and the main container's command as
//! an override in the target's `Input`. Schedules carry no tags: the ownership tags are
//! written into the description ([`ownership_marker`](crate::plan::expand::naming::ownership_marker)),
//! and only a schedule whose description carries ours is adopted. UpdateSchedule replaces the
//! whole schedule, so every update sends every setting.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::app::runs_per_month;
use crate::plan::cost;
use crate::plan::expand::policy::canonical_json;
use crate::plan::node::{ChildSpec, Node, NodeKey, Tags};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchedulerScheduleSpec {
    /// `<service>-<schedule>`.
    pub name: String,
    /// The schedule group: the environment's name.
    pub group: String,
    /// `cron(…)` or `rate(…)`.
    pub expression: String,
    /// IANA time zone of the expression.
    pub timezone: String,
    /// Ends with the ownership marker.
    pub description: String,
    /// Its ledger ID is the cluster ARN.
    pub cluster: NodeKey,
    /// Its ledger ID is the ARN of the revision in use.
    pub task_definition: NodeKey,
    /// The role EventBridge Scheduler runs the task with; its ledger ID is the role ARN.
    pub role: NodeKey,
    /// Sorted.
    pub subnets: Vec<NodeKey>,
    /// Sorted.
    pub security_groups: Vec<NodeKey>,
    /// The container whose command the run overrides (the service's own).
    pub container: String,
    /// Empty: no override, the task definition's command runs.
    pub command: Vec<String>,
    /// False when a setting the provider fixes (Fargate, `LATEST`, no public IP, no flexible
    /// window, enabled, ECS managed tags propagated from the task definition, one task) was
    /// changed out of band.
    pub fixed_in_sync: bool,
}

impl KindSpec for SchedulerScheduleSpec {
    const PREFIX: &'static str = "scheduler.schedule";
    const DISPLAY_NAME: &'static str = "EventBridge Scheduler Schedule";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "scheduler:CreateSchedule",
        "scheduler:DeleteSchedule",
        "scheduler:GetSchedule",
        "scheduler:ListSchedules",
        "scheduler:UpdateSchedule",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        // UpdateSchedule rewrites every ARN and ID of the target.
        let mut refs = vec![
            Reference::update(&self.cluster),
            Reference::update(&self.task_definition),
            Reference::update(&self.role),
        ];
        refs.extend(
            self.subnets
                .iter()
                .chain(&self.security_groups)
                .map(Reference::update),
        );
        refs
    }

    /// Schedules cannot be tagged; ownership is in the description.
    fn tags(&self) -> Option<&Tags> {
        None
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[
            ("name", self.name != d.name),
            ("group", self.group != d.group),
        ])
    }

    /// The runs the expression makes a month, each a task of the task definition's size for
    /// [`cost::SCHEDULED_RUN_MINUTES`].
    fn hourly_charge(&self, graph: &BTreeMap<NodeKey, Node>) -> Option<(&'static str, f64)> {
        let Some(ChildSpec::TaskDefinition(task)) =
            graph.get(&self.task_definition).map(|n| &n.spec)
        else {
            return None;
        };
        let runs = runs_per_month(&self.expression)?;
        Some((
            "scheduled_tasks",
            cost::scheduled_task_usd_per_hour(runs, task.cpu, task.memory, &task.cpu_architecture),
        ))
    }
}

/// The target's `Input`: the container overrides of the run (the main container's command,
/// when set).
pub fn run_input(container: &str, command: &[String]) -> String {
    let mut overrides = json!({ "name": container });
    if !command.is_empty() {
        overrides["command"] = json!(command);
    }
    canonical_json(&json!({ "containerOverrides": [overrides] }))
}

/// The container and command an `Input` overrides, as [`run_input`] writes them; `None` for
/// another shape.
pub fn input_command(input: &str) -> Option<(String, Vec<String>)> {
    let document: serde_json::Value = serde_json::from_str(input).ok()?;
    let overrides = document.get("containerOverrides")?.as_array()?;
    let [only] = overrides.as_slice() else {
        return None;
    };
    let object = only.as_object()?;
    if object.keys().any(|k| k != "name" && k != "command") {
        return None;
    }
    let name = object.get("name")?.as_str()?.to_string();
    let command = match object.get("command") {
        None => Vec::new(),
        Some(list) => list
            .as_array()?
            .iter()
            .map(|c| c.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()?,
    };
    Some((name, command))
}

/// The group and name of a schedule ARN (`…:schedule/<group>/<name>`).
pub fn schedule_of_arn(arn: &str) -> Option<(&str, &str)> {
    arn.rsplit_once(":schedule/")?.1.split_once('/')
}

#[cfg(feature = "sdk")]
pub use sdk::schedule_names;

#[cfg(feature = "sdk")]
mod sdk {
    use aws_sdk_scheduler::operation::get_schedule::GetScheduleOutput;
    use aws_sdk_scheduler::types::{
        AssignPublicIp, AwsVpcConfiguration, EcsParameters, FlexibleTimeWindow,
        FlexibleTimeWindowMode, LaunchType, NetworkConfiguration, PropagateTags, ScheduleState,
        Target,
    };
    use aws_sdk_scheduler::Client;

    use super::*;
    use crate::aws::common::keys::{key_of, resolve};
    use crate::aws::common::ownership::{create_or_adopt, owned_by, Found};
    use crate::aws::error::{classify, none_if_not_found, AwsError};
    use crate::aws::kind::{AwsKind, Cx};
    use crate::plan::expand::naming::marker_tags;
    use crate::plan::node::Kind;

    impl AwsKind for SchedulerScheduleSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            Ok(read_schedule(cx, &spec.group, &spec.name)
                .await?
                .filter(|found| owned_by(&found.tags, &marker_tags(&spec.description)))
                .map(|found| found.id))
        }

        async fn observe(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<Option<Self>, AwsError> {
            let Some((group, name)) = schedule_of_arn(id) else {
                return Err(AwsError::unexpected(format!("{id} is not a schedule ARN")));
            };
            Ok(read_schedule(cx, group, name).await?.map(|f| f.current))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_or_adopt(
                "EventBridge Scheduler schedule",
                &format!("{}/{}", spec.group, spec.name),
                &marker_tags(&spec.description),
                &[CONFLICT],
                || read_schedule(cx, &spec.group, &spec.name),
                |found| async move { update_schedule(cx, &found.id, spec).await },
                || create_schedule(cx, spec),
            )
            .await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            _current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_schedule(cx, id, desired).await
        }

        /// Absence is success, also when the whole group is gone (it took the schedule along).
        async fn delete(cx: &Cx<'_>, id: &str, current: &Self) -> Result<(), AwsError> {
            let (group, name) =
                schedule_of_arn(id).unwrap_or((current.group.as_str(), current.name.as_str()));
            none_if_not_found(
                cx.clients
                    .scheduler
                    .delete_schedule()
                    .group_name(group)
                    .name(name)
                    .send()
                    .await
                    .map_err(classify),
            )?;
            Ok(())
        }
    }

    // constants

    /// A taken name.
    const CONFLICT: &str = "ConflictException";
    const PLATFORM_VERSION: &str = "LATEST";

    // find

    async fn get_schedule(
        client: &Client,
        group: &str,
        name: &str,
    ) -> Result<Option<GetScheduleOutput>, AwsError> {
        none_if_not_found(
            client
                .get_schedule()
                .group_name(group)
                .name(name)
                .send()
                .await
                .map_err(classify),
        )
    }

    /// The names of the schedules in `group` named `<prefix>…` (import looks each up and keeps
    /// those carrying its ownership marker); none when the group is gone.
    pub async fn schedule_names(
        client: &Client,
        group: &str,
        prefix: &str,
    ) -> Result<Vec<String>, AwsError> {
        let mut names = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = none_if_not_found(
                client
                    .list_schedules()
                    .group_name(group)
                    .name_prefix(prefix)
                    .set_next_token(token.take())
                    .send()
                    .await
                    .map_err(classify),
            )?;
            let Some(page) = page else {
                return Ok(names);
            };
            names.extend(
                page.schedules()
                    .iter()
                    .filter_map(|s| s.name().map(str::to_string)),
            );
            match page.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => return Ok(names),
            }
        }
    }

    /// The schedule as a spec, references as node keys, with the ownership its description
    /// carries; `None` when it (or its group) is gone.
    async fn read_schedule(
        cx: &Cx<'_>,
        group: &str,
        name: &str,
    ) -> Result<Option<Found<SchedulerScheduleSpec>>, AwsError> {
        let Some(out) = get_schedule(&cx.clients.scheduler, group, name).await? else {
            return Ok(None);
        };
        let arn = out
            .arn()
            .map(str::to_string)
            .ok_or_else(|| AwsError::unexpected("GetSchedule returned no ARN"))?;
        let current = flatten(cx, &out, group, name);
        Ok(Some(Found {
            id: arn,
            tags: marker_tags(&current.description),
            current,
        }))
    }

    /// GetSchedule's answer as a spec.
    fn flatten(
        cx: &Cx<'_>,
        out: &GetScheduleOutput,
        group: &str,
        name: &str,
    ) -> SchedulerScheduleSpec {
        let target = out.target();
        let ecs = target.and_then(Target::ecs_parameters);
        let vpc = ecs
            .and_then(EcsParameters::network_configuration)
            .and_then(NetworkConfiguration::awsvpc_configuration);
        let keys = |kind: Kind, ids: &[String]| {
            let mut keys: Vec<NodeKey> = ids.iter().map(|id| key_of(cx.ids, kind, id)).collect();
            keys.sort();
            keys
        };
        let (container, command) = target
            .and_then(Target::input)
            .and_then(input_command)
            .unwrap_or_default();
        let fixed_in_sync = out.state() == Some(&ScheduleState::Enabled)
            && out
                .flexible_time_window()
                .is_some_and(|w| w.mode() == &FlexibleTimeWindowMode::Off)
            && ecs.is_some_and(|e| {
                e.launch_type() == Some(&LaunchType::Fargate)
                    && e.platform_version() == Some(PLATFORM_VERSION)
                    && e.task_count().unwrap_or(1) == 1
                    && e.enable_ecs_managed_tags() == Some(true)
                    && e.propagate_tags() == Some(&PropagateTags::TaskDefinition)
            })
            && vpc.is_some_and(|v| v.assign_public_ip() == Some(&AssignPublicIp::Disabled));
        SchedulerScheduleSpec {
            name: out.name().unwrap_or(name).to_string(),
            group: out.group_name().unwrap_or(group).to_string(),
            expression: out.schedule_expression().unwrap_or_default().to_string(),
            timezone: out
                .schedule_expression_timezone()
                .unwrap_or("UTC")
                .to_string(),
            description: out.description().unwrap_or_default().to_string(),
            cluster: key_of(cx.ids, Kind::EcsCluster, target.map_or("", Target::arn)),
            task_definition: key_of(
                cx.ids,
                Kind::TaskDefinition,
                ecs.map_or("", EcsParameters::task_definition_arn),
            ),
            role: key_of(cx.ids, Kind::IamRole, target.map_or("", Target::role_arn)),
            subnets: keys(Kind::Subnet, vpc.map_or(&[], AwsVpcConfiguration::subnets)),
            security_groups: keys(
                Kind::SecurityGroup,
                vpc.map_or(&[], AwsVpcConfiguration::security_groups),
            ),
            container,
            command,
            fixed_in_sync,
        }
    }

    // create, update

    /// The schedule's target: the cluster, the task definition revision, the network and the
    /// command override, from the referenced children's IDs.
    fn target_of(cx: &Cx<'_>, spec: &SchedulerScheduleSpec) -> Result<Target, AwsError> {
        let id = |key: &NodeKey| {
            cx.ids
                .id(key)
                .map(str::to_string)
                .map_err(|e| AwsError::unexpected(e.message))
        };
        let network = NetworkConfiguration::builder()
            .awsvpc_configuration(
                AwsVpcConfiguration::builder()
                    .set_subnets(Some(resolve(&spec.subnets, cx.ids)?))
                    .set_security_groups(Some(resolve(&spec.security_groups, cx.ids)?))
                    .assign_public_ip(AssignPublicIp::Disabled)
                    .build()
                    .map_err(|e| AwsError::unexpected(e.to_string()))?,
            )
            .build();
        let ecs = EcsParameters::builder()
            .task_definition_arn(id(&spec.task_definition)?)
            .task_count(1)
            .launch_type(LaunchType::Fargate)
            .platform_version(PLATFORM_VERSION)
            .network_configuration(network)
            .enable_ecs_managed_tags(true)
            .propagate_tags(PropagateTags::TaskDefinition)
            .build()
            .map_err(|e| AwsError::unexpected(e.to_string()))?;
        Target::builder()
            .arn(id(&spec.cluster)?)
            .role_arn(id(&spec.role)?)
            .input(run_input(&spec.container, &spec.command))
            .ecs_parameters(ecs)
            .build()
            .map_err(|e| AwsError::unexpected(e.to_string()))
    }

    fn off() -> Result<FlexibleTimeWindow, AwsError> {
        FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build()
            .map_err(|e| AwsError::unexpected(e.to_string()))
    }

    /// A missing group is the environment's to make: say so rather than "not found".
    fn group_missing(spec: &SchedulerScheduleSpec, error: AwsError) -> AwsError {
        if error.is_not_found() {
            AwsError::Api {
                code: "ScheduleGroupNotFound".into(),
                message: format!(
                    "schedule group {group:?} does not exist. It belongs to platform_environment {group:?}: apply the environment (one made before schedules were supported gets its group on its next apply), then this service.",
                    group = spec.group
                ),
            }
        } else {
            error
        }
    }

    async fn create_schedule(
        cx: &Cx<'_>,
        spec: &SchedulerScheduleSpec,
    ) -> Result<String, AwsError> {
        let out = cx
            .clients
            .scheduler
            .create_schedule()
            .group_name(&spec.group)
            .name(&spec.name)
            .schedule_expression(&spec.expression)
            .schedule_expression_timezone(&spec.timezone)
            .description(&spec.description)
            .state(ScheduleState::Enabled)
            .flexible_time_window(off()?)
            .target(target_of(cx, spec)?)
            .send()
            .await
            .map_err(classify)
            .map_err(|e| group_missing(spec, e))?;
        Ok(out.schedule_arn().to_string())
    }

    async fn update_schedule(
        cx: &Cx<'_>,
        id: &str,
        spec: &SchedulerScheduleSpec,
    ) -> Result<String, AwsError> {
        cx.clients
            .scheduler
            .update_schedule()
            .group_name(&spec.group)
            .name(&spec.name)
            .schedule_expression(&spec.expression)
            .schedule_expression_timezone(&spec.timezone)
            .description(&spec.description)
            .state(ScheduleState::Enabled)
            .flexible_time_window(off()?)
            .target(target_of(cx, spec)?)
            .send()
            .await
            .map_err(classify)?;
        Ok(id.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_input_overrides_the_main_container_command_only_when_set() {
        let command = vec!["bin/report".to_string(), "--daily".to_string()];
        let input = run_input("worker", &command);
        assert_eq!(
            input,
            r#"{"containerOverrides":[{"command":["bin/report","--daily"],"name":"worker"}]}"#
        );
        assert_eq!(input_command(&input), Some(("worker".into(), command)));
        let bare = run_input("worker", &[]);
        assert_eq!(bare, r#"{"containerOverrides":[{"name":"worker"}]}"#);
        assert_eq!(input_command(&bare), Some(("worker".into(), Vec::new())));
        for other in [
            "",
            "{}",
            r#"{"containerOverrides":[]}"#,
            r#"{"containerOverrides":[{"name":"a"},{"name":"b"}]}"#,
            r#"{"containerOverrides":[{"name":"a","cpu":256}]}"#,
        ] {
            assert_eq!(input_command(other), None, "{other}");
        }
    }

    #[test]
    fn a_schedule_arn_names_its_group_and_name() {
        assert_eq!(
            schedule_of_arn("arn:aws:scheduler:us-east-1:123456789012:schedule/dev/worker-nightly"),
            Some(("dev", "worker-nightly"))
        );
        assert_eq!(schedule_of_arn("worker-nightly"), None);
    }
}
