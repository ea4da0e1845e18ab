//! EventBridge Scheduler schedules and schedule groups against mocked AWS responses: what the
//! emulator cannot show or does differently (a foreign schedule or group under our name, a
//! group AWS still holds as `DELETING`, a group deleted with its schedules) and the exact
//! requests made.

mod common;

use std::time::Duration;

use aws_sdk_scheduler::operation::create_schedule::{CreateScheduleError, CreateScheduleOutput};
use aws_sdk_scheduler::operation::create_schedule_group::{
    CreateScheduleGroupError, CreateScheduleGroupOutput,
};
use aws_sdk_scheduler::operation::delete_schedule::{DeleteScheduleError, DeleteScheduleOutput};
use aws_sdk_scheduler::operation::get_schedule::{GetScheduleError, GetScheduleOutput};
use aws_sdk_scheduler::operation::get_schedule_group::{
    GetScheduleGroupError, GetScheduleGroupOutput,
};
use aws_sdk_scheduler::operation::list_tags_for_resource::ListTagsForResourceOutput;
use aws_sdk_scheduler::operation::update_schedule::UpdateScheduleOutput;
use aws_sdk_scheduler::types::error::{ConflictException, ResourceNotFoundException};
use aws_sdk_scheduler::types::{
    AssignPublicIp, AwsVpcConfiguration, EcsParameters, FlexibleTimeWindow, FlexibleTimeWindowMode,
    LaunchType, NetworkConfiguration, PropagateTags, ScheduleGroupState, ScheduleState, Tag,
    Target,
};
use aws_smithy_mocks::mock;
use common::{clients, Mocks};
use tokio_util::sync::CancellationToken;

use terraform_provider_platform::apply::{self, IdMap, RunOptions};
use terraform_provider_platform::aws::common::reads::Reads;
use terraform_provider_platform::aws::error::AwsError;
use terraform_provider_platform::aws::kind::{AwsKind, Cx};
use terraform_provider_platform::aws::scheduler::schedule::{run_input, SchedulerScheduleSpec};
use terraform_provider_platform::aws::scheduler::schedule_group::ScheduleGroupSpec;
use terraform_provider_platform::aws::Executor;
use terraform_provider_platform::plan::diff::{diff, Op};
use terraform_provider_platform::plan::expand::naming::ownership_marker;
use terraform_provider_platform::plan::ledger::{Ledger, Recorded};
use terraform_provider_platform::plan::node::{ChildSpec, Kind, Node, NodeKey, Tags};

const CLUSTER_ARN: &str = "arn:aws:ecs:us-east-1:123456789012:cluster/dev";
const TD_ARN: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/dev-worker:3";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/platform-dev-worker-scheduler-us-east-1";
const SCHEDULE_ARN: &str = "arn:aws:scheduler:us-east-1:123456789012:schedule/dev/worker-nightly";
const GROUP_ARN: &str = "arn:aws:scheduler:us-east-1:123456789012:schedule-group/dev";
const OWNER: &str = "service/dev/worker";

fn schedule_key() -> NodeKey {
    NodeKey::new(Kind::Schedule, &["nightly"])
}
fn td_key() -> NodeKey {
    NodeKey::new(Kind::TaskDefinition, &["service"])
}
fn role_key() -> NodeKey {
    NodeKey::new(Kind::IamRole, &["scheduler"])
}
fn cluster_key() -> NodeKey {
    NodeKey::new(Kind::EcsCluster, &[])
}
fn subnet_keys() -> Vec<NodeKey> {
    vec![
        NodeKey::new(Kind::Subnet, &["private", "use1-az1"]),
        NodeKey::new(Kind::Subnet, &["private", "use1-az2"]),
    ]
}
fn group_key() -> NodeKey {
    NodeKey::new(Kind::SecurityGroup, &["service"])
}

/// The IDs the schedule refers to, as another run recorded them.
fn references() -> Ledger {
    let mut ledger = Ledger::new();
    for (key, id) in [
        (cluster_key(), CLUSTER_ARN),
        (td_key(), TD_ARN),
        (role_key(), ROLE_ARN),
        (subnet_keys()[0].clone(), "subnet-a"),
        (subnet_keys()[1].clone(), "subnet-b"),
        (group_key(), "sg-worker"),
    ] {
        ledger.external.insert(key, id.to_string());
    }
    ledger
}

fn spec() -> SchedulerScheduleSpec {
    SchedulerScheduleSpec {
        name: "worker-nightly".into(),
        group: "dev".into(),
        expression: "cron(0 3 * * ? *)".into(),
        timezone: "Europe/Paris".into(),
        description: format!(
            "Runs service worker of environment dev {}",
            ownership_marker(OWNER, &schedule_key())
        ),
        cluster: cluster_key(),
        task_definition: td_key(),
        role: role_key(),
        subnets: subnet_keys(),
        security_groups: vec![group_key()],
        container: "worker".into(),
        command: vec!["bin/report".into(), "--daily".into()],
        fixed_in_sync: true,
    }
}

fn meta(code: &str) -> aws_sdk_scheduler::error::ErrorMetadata {
    aws_sdk_scheduler::error::ErrorMetadata::builder()
        .code(code)
        .build()
}

fn not_found() -> ResourceNotFoundException {
    ResourceNotFoundException::builder()
        .message("Schedule group dev does not exist.")
        .meta(meta("ResourceNotFoundException"))
        .build()
        .unwrap()
}

fn conflict() -> ConflictException {
    ConflictException::builder()
        .message("Schedule worker-nightly already exists.")
        .meta(meta("ConflictException"))
        .build()
        .unwrap()
}

/// What GetSchedule answers for a schedule like `spec()` with this description and state.
fn live(description: &str, state: ScheduleState) -> GetScheduleOutput {
    let s = spec();
    GetScheduleOutput::builder()
        .arn(SCHEDULE_ARN)
        .group_name("dev")
        .name(&s.name)
        .schedule_expression(&s.expression)
        .schedule_expression_timezone(&s.timezone)
        .description(description)
        .state(state)
        .flexible_time_window(
            FlexibleTimeWindow::builder()
                .mode(FlexibleTimeWindowMode::Off)
                .build()
                .unwrap(),
        )
        .target(
            Target::builder()
                .arn(CLUSTER_ARN)
                .role_arn(ROLE_ARN)
                .input(run_input(&s.container, &s.command))
                .ecs_parameters(
                    EcsParameters::builder()
                        .task_definition_arn(TD_ARN)
                        .task_count(1)
                        .launch_type(LaunchType::Fargate)
                        .platform_version("LATEST")
                        .enable_ecs_managed_tags(true)
                        .propagate_tags(PropagateTags::TaskDefinition)
                        .network_configuration(
                            NetworkConfiguration::builder()
                                .awsvpc_configuration(
                                    AwsVpcConfiguration::builder()
                                        .subnets("subnet-b")
                                        .subnets("subnet-a")
                                        .security_groups("sg-worker")
                                        .assign_public_ip(AssignPublicIp::Disabled)
                                        .build()
                                        .unwrap(),
                                )
                                .build(),
                        )
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .build()
}

macro_rules! cx {
    ($clients:expr, $ids:ident, $reads:ident) => {
        Cx {
            clients: &$clients,
            ids: &$ids,
            reads: &$reads,
        }
    };
}

fn opts() -> RunOptions {
    RunOptions {
        concurrency: 4,
        cancel: CancellationToken::new(),
        deadline: tokio::time::Instant::now() + Duration::from_secs(600),
    }
}

/// True when a request carries every setting of `spec()`: the whole schedule, as
/// UpdateSchedule replaces it.
/// A CreateSchedule or UpdateSchedule request, as the mocks see it.
struct Sent<'a> {
    group: Option<&'a str>,
    name: Option<&'a str>,
    expression: Option<&'a str>,
    timezone: Option<&'a str>,
    description: Option<&'a str>,
    state: Option<&'a ScheduleState>,
    window: Option<&'a FlexibleTimeWindow>,
    target: Option<&'a Target>,
}

fn is_the_schedule(sent: Sent<'_>) -> bool {
    let Sent {
        group,
        name,
        expression,
        timezone,
        description,
        state,
        window,
        target,
    } = sent;
    let s = spec();
    let Some(target) = target else {
        return false;
    };
    let Some(ecs) = target.ecs_parameters() else {
        return false;
    };
    let vpc = ecs
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration());
    group == Some("dev")
        && name == Some("worker-nightly")
        && expression == Some(s.expression.as_str())
        && timezone == Some("Europe/Paris")
        && description == Some(s.description.as_str())
        && state == Some(&ScheduleState::Enabled)
        && window.map(|w| w.mode()) == Some(&FlexibleTimeWindowMode::Off)
        && target.arn() == CLUSTER_ARN
        && target.role_arn() == ROLE_ARN
        && target.input()
            == Some(
                r#"{"containerOverrides":[{"command":["bin/report","--daily"],"name":"worker"}]}"#,
            )
        && ecs.task_definition_arn() == TD_ARN
        && ecs.task_count() == Some(1)
        && ecs.launch_type() == Some(&LaunchType::Fargate)
        && ecs.platform_version() == Some("LATEST")
        && ecs.enable_ecs_managed_tags() == Some(true)
        && ecs.propagate_tags() == Some(&PropagateTags::TaskDefinition)
        && vpc.is_some_and(|v| {
            v.subnets() == ["subnet-a", "subnet-b"]
                && v.security_groups() == ["sg-worker"]
                && v.assign_public_ip() == Some(&AssignPublicIp::Disabled)
        })
}

/// A schedule of our name whose description carries no marker of ours is someone else's: the
/// create fails naming it, and nothing is updated or deleted.
#[tokio::test]
async fn a_foreign_schedule_under_our_name_is_refused_and_left_alone() {
    let create = mock!(aws_sdk_scheduler::Client::create_schedule)
        .then_error(|| CreateScheduleError::ConflictException(conflict()));
    let get = mock!(aws_sdk_scheduler::Client::get_schedule)
        .match_requests(|r| r.group_name() == Some("dev") && r.name() == Some("worker-nightly"))
        .then_output(|| live("Nightly report, made by hand", ScheduleState::Enabled));
    let update = mock!(aws_sdk_scheduler::Client::update_schedule).then_output(|| {
        UpdateScheduleOutput::builder()
            .schedule_arn(SCHEDULE_ARN)
            .build()
            .unwrap()
    });
    let delete = mock!(aws_sdk_scheduler::Client::delete_schedule)
        .then_output(|| DeleteScheduleOutput::builder().build());
    let clients = clients(&Mocks {
        scheduler: vec![&create, &get, &update, &delete],
        ..Mocks::default()
    });
    let (ids, reads) = (IdMap::from_ledger(&references()), Reads::new());
    let created = SchedulerScheduleSpec::create(&cx!(clients, ids, reads), &spec()).await;
    match created {
        Err(AwsError::Api { code, message }) => {
            assert_eq!(code, "NameTaken");
            assert!(message.contains("dev/worker-nightly"), "{message}");
        }
        other => panic!("a foreign schedule was not refused: {other:?}"),
    }
    // Another owner's marker is foreign too.
    let other_owner = mock!(aws_sdk_scheduler::Client::get_schedule).then_output(|| {
        live(
            &format!(
                "Runs service worker of environment dev {}",
                ownership_marker("service/prod/worker", &schedule_key())
            ),
            ScheduleState::Enabled,
        )
    });
    let clients_2 = common::clients(&Mocks {
        scheduler: vec![&create, &other_owner, &update, &delete],
        ..Mocks::default()
    });
    let created = SchedulerScheduleSpec::create(&cx!(clients_2, ids, reads), &spec()).await;
    assert!(
        matches!(&created, Err(AwsError::Api { code, .. }) if code == "NameTaken"),
        "{created:?}"
    );
    // Nor does find (import) claim it.
    let found = SchedulerScheduleSpec::find(&cx!(clients, ids, reads), &spec()).await;
    assert_eq!(found, Ok(None));
    assert_eq!(update.num_calls(), 0, "a foreign schedule was changed");
    assert_eq!(delete.num_calls(), 0, "a foreign schedule was deleted");
}

/// A schedule of ours a crashed run left (its description carries our marker) is adopted and
/// brought to the spec with one UpdateSchedule carrying every setting.
#[tokio::test]
async fn our_schedule_left_by_a_crashed_run_is_adopted() {
    let create = mock!(aws_sdk_scheduler::Client::create_schedule)
        .then_error(|| CreateScheduleError::ConflictException(conflict()));
    let mut drifted = live(&spec().description, ScheduleState::Disabled);
    drifted.schedule_expression = Some("rate(1 day)".into());
    let get = mock!(aws_sdk_scheduler::Client::get_schedule).then_output(move || drifted.clone());
    let update = mock!(aws_sdk_scheduler::Client::update_schedule)
        .match_requests(|r| {
            is_the_schedule(Sent {
                group: r.group_name(),
                name: r.name(),
                expression: r.schedule_expression(),
                timezone: r.schedule_expression_timezone(),
                description: r.description(),
                state: r.state(),
                window: r.flexible_time_window(),
                target: r.target(),
            })
        })
        .then_output(|| {
            UpdateScheduleOutput::builder()
                .schedule_arn(SCHEDULE_ARN)
                .build()
                .unwrap()
        });
    let clients = clients(&Mocks {
        scheduler: vec![&create, &get, &update],
        ..Mocks::default()
    });
    let (ids, reads) = (IdMap::from_ledger(&references()), Reads::new());
    let created = SchedulerScheduleSpec::create(&cx!(clients, ids, reads), &spec()).await;
    assert_eq!(created, Ok(SCHEDULE_ARN.to_string()));
    assert_eq!(update.num_calls(), 1);
}

/// A schedule deleted out of band: refresh reports it gone, the plan creates it, and one apply
/// makes it again with every setting.
#[tokio::test]
async fn a_schedule_deleted_out_of_band_is_recreated() {
    let get = mock!(aws_sdk_scheduler::Client::get_schedule)
        .then_error(|| GetScheduleError::ResourceNotFoundException(not_found()));
    let create = mock!(aws_sdk_scheduler::Client::create_schedule)
        .match_requests(|r| {
            is_the_schedule(Sent {
                group: r.group_name(),
                name: r.name(),
                expression: r.schedule_expression(),
                timezone: r.schedule_expression_timezone(),
                description: r.description(),
                state: r.state(),
                window: r.flexible_time_window(),
                target: r.target(),
            })
        })
        .then_output(|| {
            CreateScheduleOutput::builder()
                .schedule_arn(SCHEDULE_ARN)
                .build()
                .unwrap()
        });
    let executor = Executor::new(clients(&Mocks {
        scheduler: vec![&get, &create],
        ..Mocks::default()
    }));
    let mut ledger = references();
    ledger.children.insert(
        schedule_key(),
        Recorded {
            id: SCHEDULE_ARN.into(),
            observed: ChildSpec::Schedule(spec()),
            refs: Default::default(),
        },
    );
    let (refreshed, drift, errors) = apply::observe_all(&executor, &ledger, opts()).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert!(
        drift
            .iter()
            .any(|d| d.contains("scheduler.schedule/nightly")),
        "{drift:?}"
    );
    assert!(!refreshed.children.contains_key(&schedule_key()));
    let desired = [(
        schedule_key(),
        Node {
            key: schedule_key(),
            spec: ChildSpec::Schedule(spec()),
        },
    )]
    .into();
    let ops = diff(&desired, &refreshed);
    assert_eq!(ops, [Op::Create(schedule_key())]);
    let outcome = apply::run(&executor, &desired, &ops, refreshed, opts()).await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert_eq!(outcome.ledger.id_of(&schedule_key()), Some(SCHEDULE_ARN));
    assert_eq!(create.num_calls(), 1);
}

/// A change made out of band to a setting the provider fixes (here: disabled) is drift that
/// the next update restores.
#[tokio::test]
async fn a_disabled_schedule_is_drift() {
    let get = mock!(aws_sdk_scheduler::Client::get_schedule)
        .then_output(|| live(&spec().description, ScheduleState::Disabled));
    let clients = clients(&Mocks {
        scheduler: vec![&get],
        ..Mocks::default()
    });
    let (ids, reads) = (IdMap::from_ledger(&references()), Reads::new());
    let observed = SchedulerScheduleSpec::observe(&cx!(clients, ids, reads), SCHEDULE_ARN, &spec())
        .await
        .unwrap()
        .expect("the schedule");
    assert!(!observed.fixed_in_sync);
    assert_eq!(
        SchedulerScheduleSpec {
            fixed_in_sync: true,
            ..observed
        },
        spec(),
        "everything else reads back as written"
    );
}

/// When the environment's group is deleted, AWS deletes its schedules: they read as gone,
/// deleting one succeeds, and creating one fails saying the environment must be applied.
#[tokio::test]
async fn a_group_deleted_with_its_schedules() {
    let get = mock!(aws_sdk_scheduler::Client::get_schedule)
        .then_error(|| GetScheduleError::ResourceNotFoundException(not_found()));
    let delete = mock!(aws_sdk_scheduler::Client::delete_schedule)
        .then_error(|| DeleteScheduleError::ResourceNotFoundException(not_found()));
    let create = mock!(aws_sdk_scheduler::Client::create_schedule)
        .then_error(|| CreateScheduleError::ResourceNotFoundException(not_found()));
    let clients = clients(&Mocks {
        scheduler: vec![&get, &delete, &create],
        ..Mocks::default()
    });
    let (ids, reads) = (IdMap::from_ledger(&references()), Reads::new());
    let cx = cx!(clients, ids, reads);
    assert_eq!(
        SchedulerScheduleSpec::observe(&cx, SCHEDULE_ARN, &spec()).await,
        Ok(None)
    );
    assert_eq!(
        SchedulerScheduleSpec::delete(&cx, SCHEDULE_ARN, &spec()).await,
        Ok(())
    );
    match SchedulerScheduleSpec::create(&cx, &spec()).await {
        Err(AwsError::Api { code, message }) => {
            assert_eq!(code, "ScheduleGroupNotFound");
            assert!(
                message.contains("platform_environment \"dev\"") && message.contains("apply"),
                "{message}"
            );
        }
        other => panic!("expected a missing group, got {other:?}"),
    }
    assert_eq!(delete.num_calls(), 1);
}

fn group_spec() -> ScheduleGroupSpec {
    ScheduleGroupSpec {
        name: "dev".into(),
        tags: [
            ("platform:managed-by", "terraform-provider-platform"),
            ("platform:owner", "environment/dev"),
            ("platform:node", "scheduler.schedule_group"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect::<Tags>(),
    }
}

fn group(state: ScheduleGroupState) -> GetScheduleGroupOutput {
    GetScheduleGroupOutput::builder()
        .arn(GROUP_ARN)
        .name("dev")
        .state(state)
        .build()
}

/// A group of the environment's name without our tags is refused, and not retagged.
#[tokio::test]
async fn a_foreign_group_is_refused() {
    let create = mock!(aws_sdk_scheduler::Client::create_schedule_group)
        .then_error(|| CreateScheduleGroupError::ConflictException(conflict()));
    let get = mock!(aws_sdk_scheduler::Client::get_schedule_group)
        .then_output(|| group(ScheduleGroupState::Active));
    let tags = mock!(aws_sdk_scheduler::Client::list_tags_for_resource).then_output(|| {
        ListTagsForResourceOutput::builder()
            .tags(Tag::builder().key("team").value("data").build().unwrap())
            .build()
    });
    let tag = mock!(aws_sdk_scheduler::Client::tag_resource).then_output(|| {
        aws_sdk_scheduler::operation::tag_resource::TagResourceOutput::builder().build()
    });
    let clients = clients(&Mocks {
        scheduler: vec![&create, &get, &tags, &tag],
        ..Mocks::default()
    });
    let (ids, reads) = (IdMap::from_ledger(&Ledger::new()), Reads::new());
    let created = ScheduleGroupSpec::create(&cx!(clients, ids, reads), &group_spec()).await;
    match created {
        Err(AwsError::Api { code, message }) => {
            assert_eq!(code, "NameTaken");
            assert!(message.contains("schedule group name dev"), "{message}");
        }
        other => panic!("a foreign group was not refused: {other:?}"),
    }
    assert_eq!(tag.num_calls(), 0);
}

/// A group of the name still being deleted (a replaced environment) holds the name for a
/// while: create waits until it is gone, then makes the group with its tags.
#[tokio::test(start_paused = true)]
async fn a_group_still_being_deleted_is_waited_out() {
    let create = mock!(aws_sdk_scheduler::Client::create_schedule_group)
        .sequence()
        .error(|| CreateScheduleGroupError::ConflictException(conflict()))
        .times(2)
        .output(|| {
            CreateScheduleGroupOutput::builder()
                .schedule_group_arn(GROUP_ARN)
                .build()
                .unwrap()
        })
        .build();
    let get = mock!(aws_sdk_scheduler::Client::get_schedule_group)
        .then_output(|| group(ScheduleGroupState::Deleting));
    let clients = clients(&Mocks {
        scheduler: vec![&create, &get],
        ..Mocks::default()
    });
    let (ids, reads) = (IdMap::from_ledger(&Ledger::new()), Reads::new());
    let created = ScheduleGroupSpec::create(&cx!(clients, ids, reads), &group_spec()).await;
    assert_eq!(created, Ok(GROUP_ARN.to_string()));
    assert_eq!(create.num_calls(), 3);
}

/// A deleted group stays `DELETING` until its schedules are gone: delete waits for it.
#[tokio::test(start_paused = true)]
async fn deleting_a_group_waits_until_it_is_gone() {
    let delete = mock!(aws_sdk_scheduler::Client::delete_schedule_group).then_output(|| {
        aws_sdk_scheduler::operation::delete_schedule_group::DeleteScheduleGroupOutput::builder()
            .build()
    });
    let get = mock!(aws_sdk_scheduler::Client::get_schedule_group)
        .sequence()
        .output(|| group(ScheduleGroupState::Deleting))
        .times(2)
        .error(|| GetScheduleGroupError::ResourceNotFoundException(not_found()))
        .build();
    let clients = clients(&Mocks {
        scheduler: vec![&delete, &get],
        ..Mocks::default()
    });
    let (ids, reads) = (IdMap::from_ledger(&Ledger::new()), Reads::new());
    let deleted =
        ScheduleGroupSpec::delete(&cx!(clients, ids, reads), GROUP_ARN, &group_spec()).await;
    assert_eq!(deleted, Ok(()));
    assert_eq!(get.num_calls(), 3);
}
