//! `platform_service` `schedule` blocks on Terraform 1.0.3 and 1.15.5 against moto: an
//! environment and a worker (no port) with two schedules, checked through the EventBridge
//! Scheduler and IAM APIs (the group, each schedule's expression, time zone and target, the
//! scheduler role's trust and exact inline policy); then a new image moves both schedules to
//! the new revision in one apply, a schedule deleted out of band is shown and restored, and
//! destroy leaves no schedule, group or scheduler role.
//!
//! Against moto no ECS task ever runs, so the worker sets `deployment { wait = false }`.

use std::collections::BTreeMap;

use acceptance_tests::{
    block_on, both_versions, census, flat, percent_decode, settle_create_gap, unique, Checks,
    Emulator, Tf, Workspace,
};
use aws_sdk_scheduler::types::{
    AssignPublicIp, FlexibleTimeWindowMode, LaunchType, PropagateTags, ScheduleState,
};
use serde_json::{json, Value};

both_versions!(worker_with_two_schedules);

const ENVIRONMENT: &str = "platform_environment.main";
const WORKER: &str = "platform_service.worker";
const IMAGE_1: &str = "public.ecr.aws/docker/library/busybox:1.36";
const IMAGE_2: &str = "public.ecr.aws/docker/library/busybox:1.37";

fn text(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, got {value}"))
        .to_string()
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn config(name: &str, image: &str) -> String {
    format!(
        r#"
resource "platform_environment" "main" {{
  name = "{name}"
  tier = "dev"
  network {{
    cidr = "10.54.0.0/16"
  }}
}}

resource "platform_service" "worker" {{
  environment_id = platform_environment.main.id
  name           = "worker"
  image          = "{image}"
  command        = ["sh", "-c", "sleep 3600"]
  deployment {{
    wait = false
  }}
  schedule {{
    name       = "nightly-report"
    expression = "cron(30 2 * * ? *)"
    timezone   = "Europe/Paris"
    command    = ["sh", "-c", "echo report"]
  }}
  schedule {{
    name       = "sweep"
    expression = "rate(15 minutes)"
  }}
}}
"#
    )
}

/// What one schedule should be: its name in AWS, expression, time zone and Input.
struct Expected {
    name: &'static str,
    expression: &'static str,
    timezone: &'static str,
    input: Value,
}

fn expected() -> [Expected; 2] {
    [
        Expected {
            name: "worker-nightly-report",
            expression: "cron(30 2 * * ? *)",
            timezone: "Europe/Paris",
            input: json!({ "containerOverrides": [
                { "name": "worker", "command": ["sh", "-c", "echo report"] }
            ] }),
        },
        Expected {
            name: "worker-sweep",
            expression: "rate(15 minutes)",
            timezone: "UTC",
            input: json!({ "containerOverrides": [{ "name": "worker" }] }),
        },
    ]
}

fn scheduler_role(env: &str) -> String {
    format!("platform-{env}-worker-scheduler-us-east-1")
}

/// The group, both schedules and the scheduler role, through the Scheduler and IAM APIs.
/// Returns the task definition ARN each schedule runs.
fn check_schedules(
    emulator: &Emulator,
    ws: &Workspace,
    env: &str,
    c: &mut Checks,
) -> BTreeMap<String, String> {
    let environment = ws.attributes(ENVIRONMENT);
    let worker = ws.attributes(WORKER);
    let cluster_arn = text(&environment["cluster_arn"]);
    let account = cluster_arn
        .split(':')
        .nth(4)
        .unwrap_or_default()
        .to_string();
    let mut subnets: Vec<String> = environment["private_subnet_ids"]
        .as_array()
        .into_iter()
        .flatten()
        .map(text)
        .collect();
    subnets.sort();
    let task_definition = text(&worker["task_definition_arn"]);
    let security_group = text(&worker["security_group_id"]);
    let task_role = text(&worker["task_role_arn"]);
    let execution_role = text(&worker["execution_role_arn"]);
    let role_name = scheduler_role(env);
    let mut running = BTreeMap::new();
    block_on(async {
        let scheduler = emulator.scheduler();
        let group = scheduler
            .get_schedule_group()
            .name(env)
            .send()
            .await
            .expect("GetScheduleGroup");
        let tags = scheduler
            .list_tags_for_resource()
            .resource_arn(group.arn().unwrap_or_default())
            .send()
            .await
            .expect("ListTagsForResource");
        c.check(
            tags.tags()
                .iter()
                .any(|t| t.key() == "platform:owner" && t.value() == format!("environment/{env}")),
            || format!("the group carries no ownership tag: {:?}", tags.tags()),
        );

        let role = emulator
            .iam()
            .get_role()
            .role_name(&role_name)
            .send()
            .await
            .expect("GetRole scheduler");
        let role_arn = role.role().map(|r| r.arn().to_string()).unwrap_or_default();
        for want in expected() {
            let got = scheduler
                .get_schedule()
                .group_name(env)
                .name(want.name)
                .send()
                .await;
            let Ok(got) = got else {
                c.check(false, || format!("no schedule {}: {got:?}", want.name));
                continue;
            };
            let label = |what: &str| format!("{} {what}", want.name);
            c.eq(
                &label("expression"),
                got.schedule_expression(),
                Some(want.expression),
            );
            c.eq(
                &label("timezone"),
                got.schedule_expression_timezone(),
                Some(want.timezone),
            );
            c.eq(&label("state"), got.state(), Some(&ScheduleState::Enabled));
            c.eq(
                &label("flexible window"),
                got.flexible_time_window().map(|w| w.mode()),
                Some(&FlexibleTimeWindowMode::Off),
            );
            c.check(
                got.description()
                    .is_some_and(|d| d.contains(&format!("platform:owner=service/{env}/worker "))),
                || {
                    format!(
                        "{} description has no owner: {:?}",
                        want.name,
                        got.description()
                    )
                },
            );
            let Some(target) = got.target() else {
                c.check(false, || format!("{} has no target", want.name));
                continue;
            };
            c.eq(&label("target"), target.arn(), cluster_arn.as_str());
            c.eq(&label("role"), target.role_arn(), role_arn.as_str());
            c.eq(
                &label("input"),
                target.input().map(json_of),
                Some(want.input.clone()),
            );
            let Some(ecs) = target.ecs_parameters() else {
                c.check(false, || format!("{} has no ECS parameters", want.name));
                continue;
            };
            running.insert(want.name.to_string(), ecs.task_definition_arn().to_string());
            c.eq(
                &label("launch type"),
                ecs.launch_type(),
                Some(&LaunchType::Fargate),
            );
            c.eq(
                &label("platform version"),
                ecs.platform_version(),
                Some("LATEST"),
            );
            c.eq(
                &label("managed tags"),
                ecs.enable_ecs_managed_tags(),
                Some(true),
            );
            c.eq(
                &label("propagated tags"),
                ecs.propagate_tags(),
                Some(&PropagateTags::TaskDefinition),
            );
            let vpc = ecs
                .network_configuration()
                .and_then(|n| n.awsvpc_configuration());
            let mut live_subnets: Vec<String> =
                vpc.map(|v| v.subnets().to_vec()).unwrap_or_default();
            live_subnets.sort();
            c.eq(&label("subnets"), live_subnets, subnets.clone());
            c.eq(
                &label("security groups"),
                vpc.map(|v| v.security_groups().to_vec())
                    .unwrap_or_default(),
                vec![security_group.clone()],
            );
            c.eq(
                &label("public IP"),
                vpc.and_then(|v| v.assign_public_ip()),
                Some(&AssignPublicIp::Disabled),
            );
        }

        let trust = json_of(&percent_decode(
            role.role()
                .and_then(|r| r.assume_role_policy_document())
                .unwrap_or("null"),
        ));
        c.eq(
            "scheduler role trust",
            trust,
            json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": { "Service": "scheduler.amazonaws.com" },
                    "Action": "sts:AssumeRole",
                    "Condition": { "StringEquals": { "aws:SourceAccount": account } }
                }]
            }),
        );
        let policies = emulator
            .iam()
            .list_role_policies()
            .role_name(&role_name)
            .send()
            .await
            .expect("ListRolePolicies");
        c.eq(
            "scheduler role policies",
            policies.policy_names().to_vec(),
            vec!["run-task".to_string()],
        );
        let policy = emulator
            .iam()
            .get_role_policy()
            .role_name(&role_name)
            .policy_name("run-task")
            .send()
            .await
            .expect("GetRolePolicy run-task");
        let mut passed = vec![execution_role.clone(), task_role.clone()];
        passed.sort();
        c.eq(
            "scheduler role policy",
            json_of(&percent_decode(policy.policy_document())),
            json!({
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "ecs:RunTask",
                        "Resource": format!("arn:aws:ecs:us-east-1:{account}:task-definition/{env}-worker:*"),
                        "Condition": { "ArnEquals": { "ecs:cluster": cluster_arn } }
                    },
                    {
                        "Effect": "Allow",
                        "Action": "ecs:TagResource",
                        "Resource": format!("arn:aws:ecs:us-east-1:{account}:task/{env}/*"),
                        "Condition": { "StringEquals": { "ecs:CreateAction": "RunTask" } }
                    },
                    {
                        "Effect": "Allow",
                        "Action": "iam:PassRole",
                        "Resource": passed,
                        "Condition": { "StringEquals": { "iam:PassedToService": "ecs-tasks.amazonaws.com" } }
                    }
                ]
            }),
        );
    });
    c.check(running.values().all(|arn| *arn == task_definition), || {
        format!("schedules run {running:?}, the service {task_definition}")
    });
    running
}

fn worker_with_two_schedules(tf: Tf) {
    let emulator = Emulator::start();
    let ws = Workspace::new(tf, &emulator);
    let name = unique("sch-");
    let mut c = Checks::new(tf);
    ws.write_config(&config(&name, IMAGE_1));
    ws.init();
    ws.apply();
    let first = check_schedules(&emulator, &ws, &name, &mut c);
    c.eq("schedules", first.len(), 2);
    settle_create_gap(&ws, &mut c);
    let owner = format!("service/{name}/worker");
    let service_census = census(&emulator, &owner);
    c.eq(
        "service census schedules",
        service_census.get("schedules").copied(),
        Some(2),
    );
    c.eq(
        "service census roles (task, execution, scheduler)",
        service_census.get("iam_roles").copied(),
        Some(3),
    );
    c.eq(
        "environment census schedule groups",
        census(&emulator, &format!("environment/{name}"))
            .get("schedule_groups")
            .copied(),
        Some(1),
    );
    let cost = ws.attributes(WORKER)["cost_breakdown"]["scheduled_tasks"].clone();
    c.check(cost.as_f64().is_some_and(|usd| usd > 0.0), || {
        format!("no scheduled_tasks in the cost breakdown: {cost}")
    });

    // A new image is a new revision; the schedules move to it in the same apply.
    let old_revision = text(&ws.attributes(WORKER)["task_definition_arn"]);
    ws.write_config(&config(&name, IMAGE_2));
    let (changes, plan) = ws.plan();
    c.check(
        changes && plan.contains("updated in-place") && !plan.contains("must be replaced"),
        || format!("image change: expected an in-place update:\n{plan}"),
    );
    ws.apply();
    let new_revision = text(&ws.attributes(WORKER)["task_definition_arn"]);
    c.check(new_revision != old_revision, || {
        format!("no new revision: {new_revision}")
    });
    let moved = check_schedules(&emulator, &ws, &name, &mut c);
    c.eq(
        "schedules after one apply",
        moved.values().cloned().collect::<Vec<_>>(),
        vec![new_revision.clone(), new_revision.clone()],
    );
    let (changes, plan) = ws.plan();
    c.check(!changes, || format!("plan after the image change: {plan}"));

    // Drift: a schedule deleted out of band shows in the plan, and one apply restores it.
    block_on(async {
        emulator
            .scheduler()
            .delete_schedule()
            .group_name(&name)
            .name("worker-sweep")
            .send()
            .await
            .expect("DeleteSchedule");
    });
    let (changes, plan) = ws.plan();
    c.check(changes && plan.contains("scheduler.schedule/sweep"), || {
        format!("the deleted schedule is not in the plan:\n{plan}")
    });
    ws.apply();
    check_schedules(&emulator, &ws, &name, &mut c);
    let (changes, plan) = ws.plan();
    c.check(!changes, || format!("plan after restoring: {plan}"));

    // Import finds both schedules by name and marker and recovers their blocks: the next plan
    // shows only `deployment.wait`, which AWS does not keep.
    ws.ok(&["state", "rm", WORKER]);
    ws.ok(&[
        "import",
        "-input=false",
        "-no-color",
        WORKER,
        &format!("{name}/worker"),
    ]);
    let (_, plan) = ws.plan();
    c.check(
        !plan.contains("schedule {") && !plan.contains("scheduler.schedule"),
        || format!("import did not recover the schedules:\n{plan}"),
    );
    ws.apply();
    ws.assert_no_changes();
    check_schedules(&emulator, &ws, &name, &mut c);

    let run = ws.run(&["destroy", "-input=false", "-no-color", "-auto-approve"]);
    c.check(run.code == 0, || format!("destroy failed:\n{}", flat(&run)));
    for owner in [owner, format!("environment/{name}")] {
        let left = census(&emulator, &owner);
        c.check(left.is_empty(), || {
            format!("destroy left objects of {owner}: {left:?}")
        });
    }
    let role_left = block_on(async {
        emulator
            .iam()
            .get_role()
            .role_name(scheduler_role(&name))
            .send()
            .await
            .is_ok()
    });
    c.check(!role_left, || "the scheduler role is left".to_string());
    let groups_left = block_on(async {
        emulator
            .scheduler()
            .get_schedule_group()
            .name(&name)
            .send()
            .await
            .is_ok()
    });
    c.check(!groups_left, || "the schedule group is left".to_string());
    c.finish();
}
