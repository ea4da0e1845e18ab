//! `platform_topic`, `platform_queue` and a worker `platform_service` that consumes the queue,
//! publishes to the topic and scales on the queue's depth, on Terraform 1.0.3 and 1.15.5
//! against moto. Everything is created in one apply (the service is planned beside the queue
//! and topic it names) and checked through the SQS, SNS, ECS, IAM and Application Auto Scaling
//! APIs; then drift made out of band converges, import recovers the queue, and destroy leaves
//! nothing.
//!
//! `a_worker_using_everything` is issue 15's whole surface in one configuration written for the
//! test: a worker that reads a CloudFront-fronted bucket, publishes to a topic, consumes a
//! subscribed queue, scales on its depth and runs a nightly command; checked through the AWS
//! APIs, then an empty plan, then a destroy that leaves nothing.
//!
//! Against moto no ECS task ever runs, so the worker sets `deployment { wait = false }`.

use std::collections::BTreeMap;

use acceptance_tests::{
    block_on, both_versions, census, flat, percent_decode, settle_create_gap, unique, Checks,
    Emulator, Tf, Workspace,
};
use aws_sdk_sqs::types::QueueAttributeName as Attr;
use serde_json::Value;

both_versions!(
    worker_with_topic_and_queue,
    bad_references,
    a_worker_using_everything
);

const QUEUE: &str = "platform_queue.jobs";
const TOPIC: &str = "platform_topic.events";
const WORKER: &str = "platform_service.worker";

fn text(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, got {value}"))
        .to_string()
}

fn config(name: &str, cidr: &str, queue_extra: &str) -> String {
    format!(
        r#"
resource "platform_environment" "main" {{
  name = "{name}"
  tier = "dev"
  network {{
    cidr = "{cidr}"
  }}
}}

resource "platform_topic" "events" {{
  environment_id = platform_environment.main.id
  name           = "events"
}}

resource "platform_queue" "jobs" {{
  environment_id = platform_environment.main.id
  name           = "jobs"
  subscribe_to   = [platform_topic.events.id]
  dead_letter {{
    max_receives = 3
  }}
{queue_extra}
}}

resource "platform_service" "worker" {{
  environment_id = platform_environment.main.id
  name           = "worker"
  image          = "public.ecr.aws/docker/library/busybox:1.36"
  command        = ["sh", "-c", "sleep 3600"]
  consume_from   = [platform_queue.jobs.id]
  publish_to     = [platform_topic.events.id]
  autoscaling {{
    max               = 3
    queue_id          = platform_queue.jobs.id
    messages_per_task = 20
  }}
  deployment {{
    wait = false
  }}
}}
"#
    )
}

async fn queue_attributes(emulator: &Emulator, url: &str) -> BTreeMap<String, String> {
    emulator
        .sqs()
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(Attr::All)
        .send()
        .await
        .expect("GetQueueAttributes")
        .attributes()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k.as_str().to_string(), v))
        .collect()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The queue, its dead-letter queue, the topic and the subscription, through SQS and SNS.
fn check_messaging(emulator: &Emulator, ws: &Workspace, env: &str, c: &mut Checks) {
    let queue = ws.attributes(QUEUE);
    let topic = ws.attributes(TOPIC);
    let queue_url = text(&queue["queue_url"]);
    let queue_arn = text(&queue["queue_arn"]);
    let dlq_url = text(&queue["dead_letter_queue_url"]);
    let dlq_arn = text(&queue["dead_letter_queue_arn"]);
    let topic_arn = text(&topic["topic_arn"]);
    c.eq(
        "queue name",
        text(&queue["queue_name"]),
        format!("{env}-jobs"),
    );
    c.check(topic_arn.ends_with(&format!(":{env}-events")), || {
        format!("topic ARN {topic_arn}")
    });
    block_on(async {
        let main = queue_attributes(emulator, &queue_url).await;
        c.eq(
            "queue ARN",
            main.get("QueueArn").cloned(),
            Some(queue_arn.clone()),
        );
        c.eq(
            "queue encryption",
            main.get("SqsManagedSseEnabled").cloned(),
            Some("true".into()),
        );
        let redrive = json(main.get("RedrivePolicy").map_or("null", String::as_str));
        c.eq(
            "redrive target",
            redrive["deadLetterTargetArn"].clone(),
            Value::from(dlq_arn.clone()),
        );
        c.check(
            redrive["maxReceiveCount"] == 3 || redrive["maxReceiveCount"] == "3",
            || format!("redrive maxReceiveCount: {redrive}"),
        );
        let policy = json(main.get("Policy").map_or("null", String::as_str));
        let statements = policy["Statement"].as_array().cloned().unwrap_or_default();
        c.check(
            statements.iter().any(|s| {
                s["Effect"] == "Deny" && s["Condition"]["Bool"]["aws:SecureTransport"] == "false"
            }),
            || format!("queue policy refuses no request without TLS: {policy}"),
        );
        let allowed: Vec<&Value> = statements
            .iter()
            .filter(|s| s["Effect"] == "Allow")
            .collect();
        c.eq("queue policy allow statements", allowed.len(), 1);
        if let Some(allow) = allowed.first() {
            c.eq(
                "queue policy admits exactly the topic",
                allow["Condition"]["ArnEquals"]["aws:SourceArn"].clone(),
                serde_json::json!([topic_arn.clone()]),
            );
            c.eq(
                "queue policy action",
                allow["Action"].clone(),
                Value::from("sqs:SendMessage"),
            );
        }

        let dlq = queue_attributes(emulator, &dlq_url).await;
        c.eq(
            "dead-letter retention",
            dlq.get("MessageRetentionPeriod").cloned(),
            Some((14 * 86_400).to_string()),
        );
        let allow = json(dlq.get("RedriveAllowPolicy").map_or("null", String::as_str));
        c.eq(
            "redrive allow",
            allow["redrivePermission"].clone(),
            Value::from("byQueue"),
        );
        c.eq(
            "redrive allow sources",
            allow["sourceQueueArns"].clone(),
            serde_json::json!([queue_arn.clone()]),
        );

        let sns = emulator.sns();
        let attributes = sns
            .get_topic_attributes()
            .topic_arn(&topic_arn)
            .send()
            .await
            .expect("GetTopicAttributes");
        c.eq(
            "topic key",
            attributes
                .attributes()
                .and_then(|a| a.get("KmsMasterKeyId"))
                .cloned(),
            Some("alias/aws/sns".into()),
        );
        let subscriptions = sns
            .list_subscriptions_by_topic()
            .topic_arn(&topic_arn)
            .send()
            .await
            .expect("ListSubscriptionsByTopic");
        let subscriptions = subscriptions.subscriptions();
        c.eq("subscriptions", subscriptions.len(), 1);
        if let Some(s) = subscriptions.first() {
            c.eq(
                "subscription endpoint",
                s.endpoint(),
                Some(queue_arn.as_str()),
            );
            c.eq("subscription protocol", s.protocol(), Some("sqs"));
            let arn = s.subscription_arn().unwrap_or_default();
            let attributes = sns
                .get_subscription_attributes()
                .subscription_arn(arn)
                .send()
                .await
                .expect("GetSubscriptionAttributes");
            c.eq(
                "raw delivery",
                attributes
                    .attributes()
                    .and_then(|a| a.get("RawMessageDelivery"))
                    .cloned(),
                Some("true".into()),
            );
        }
    });
}

/// The worker: no port or load balancer, the two variables, the task role's exact statements
/// and the queue-depth policy.
fn check_worker(emulator: &Emulator, ws: &Workspace, env: &str, c: &mut Checks) {
    let queue_url = text(&ws.attributes(QUEUE)["queue_url"]);
    let queue_arn = text(&ws.attributes(QUEUE)["queue_arn"]);
    let topic_arn = text(&ws.attributes(TOPIC)["topic_arn"]);
    let worker = ws.attributes(WORKER);
    let resources = worker["resources"].as_object().cloned().unwrap_or_default();
    c.check(!resources.keys().any(|k| k.starts_with("elbv2.")), || {
        format!("a worker has load-balancer children: {resources:?}")
    });
    block_on(async {
        let ecs = emulator.ecs();
        let cluster = env.to_string();
        let services = ecs
            .describe_services()
            .cluster(&cluster)
            .services("worker")
            .send()
            .await
            .expect("DescribeServices");
        let Some(service) = services.services().first() else {
            c.check(false, || "no ECS service worker".to_string());
            return;
        };
        c.eq("worker load balancers", service.load_balancers().len(), 0);
        let td = ecs
            .describe_task_definition()
            .task_definition(service.task_definition().unwrap_or_default())
            .send()
            .await
            .expect("DescribeTaskDefinition");
        let td = td.task_definition().expect("task definition");
        let container = td
            .container_definitions()
            .iter()
            .find(|c| c.name() == Some("worker"))
            .expect("the worker container");
        c.eq("worker port mappings", container.port_mappings().len(), 0);
        let variables: BTreeMap<String, String> = container
            .environment()
            .iter()
            .filter_map(|kv| Some((kv.name()?.to_string(), kv.value()?.to_string())))
            .collect();
        c.eq(
            "JOBS_QUEUE_URL",
            variables.get("JOBS_QUEUE_URL").cloned(),
            Some(queue_url.clone()),
        );
        c.eq(
            "EVENTS_TOPIC_ARN",
            variables.get("EVENTS_TOPIC_ARN").cloned(),
            Some(topic_arn.clone()),
        );

        let role = td
            .task_role_arn()
            .unwrap_or_default()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let policy = emulator
            .iam()
            .get_role_policy()
            .role_name(&role)
            .policy_name("messaging")
            .send()
            .await
            .expect("GetRolePolicy messaging");
        let document = json(&percent_decode(policy.policy_document()));
        c.eq(
            "task role messaging statements",
            document["Statement"].clone(),
            serde_json::json!([
                { "Effect": "Allow", "Action": "sns:Publish", "Resource": [topic_arn] },
                {
                    "Effect": "Allow",
                    "Action": [
                        "sqs:ChangeMessageVisibility",
                        "sqs:DeleteMessage",
                        "sqs:GetQueueAttributes",
                        "sqs:ReceiveMessage"
                    ],
                    "Resource": [queue_arn]
                }
            ]),
        );

        let policies = emulator
            .autoscaling()
            .describe_scaling_policies()
            .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
            .resource_id(format!("service/{cluster}/worker"))
            .send()
            .await
            .expect("DescribeScalingPolicies");
        let backlog = policies
            .scaling_policies()
            .iter()
            .find(|p| p.policy_name() == format!("{env}-worker-queue"));
        c.check(backlog.is_some(), || {
            format!(
                "no queue-depth policy among {:?}",
                policies.scaling_policies()
            )
        });
        if let Some(config) = backlog.and_then(|p| p.target_tracking_scaling_policy_configuration())
        {
            c.eq("backlog target", config.target_value(), 20.0);
            let queue_dimension = config
                .customized_metric_specification()
                .map(|m| m.metrics())
                .unwrap_or_default()
                .iter()
                .filter_map(|q| q.metric_stat()?.metric())
                .flat_map(|m| m.dimensions())
                .find(|d| d.name() == "QueueName")
                .map(|d| d.value().to_string());
            c.eq(
                "backlog queue",
                queue_dimension,
                Some(format!("{env}-jobs")),
            );
        }
    });
}

fn worker_with_topic_and_queue(tf: Tf) {
    let emulator = Emulator::start();
    let ws = Workspace::new(tf, &emulator);
    let name = unique("mq-");
    let mut c = Checks::new(tf);
    ws.write_config(&config(&name, "10.52.0.0/16", ""));
    ws.init();
    ws.apply();
    check_messaging(&emulator, &ws, &name, &mut c);
    check_worker(&emulator, &ws, &name, &mut c);
    settle_create_gap(&ws, &mut c);

    let owners = [
        format!("queue/{name}/jobs"),
        format!("topic/{name}/events"),
        format!("service/{name}/worker"),
    ];
    c.eq(
        "queue census",
        census(&emulator, &owners[0]),
        [("queues".to_string(), 2)].into(),
    );
    c.eq(
        "topic census",
        census(&emulator, &owners[1]),
        [("topics".to_string(), 1)].into(),
    );

    // Drift made out of band: a visibility timeout and the queue's policy removed. The next
    // plan shows them, and one apply restores both.
    let queue_url = text(&ws.attributes(QUEUE)["queue_url"]);
    block_on(async {
        emulator
            .sqs()
            .set_queue_attributes()
            .queue_url(&queue_url)
            .attributes(Attr::VisibilityTimeout, "999")
            .attributes(Attr::Policy, "")
            .send()
            .await
            .expect("SetQueueAttributes");
    });
    let (changes, plan) = ws.plan();
    c.check(changes && plan.contains("drift"), || {
        format!("drift not shown:\n{plan}")
    });
    ws.apply();
    check_messaging(&emulator, &ws, &name, &mut c);
    let timeout = block_on(queue_attributes(&emulator, &queue_url))
        .get("VisibilityTimeout")
        .cloned();
    c.eq("visibility timeout restored", timeout, Some("30".into()));
    let (changes, plan) = ws.plan();
    c.check(!changes, || format!("plan after converging: {plan}"));

    // An in-place change.
    ws.write_config(&config(&name, "10.52.0.0/16", "  visibility_timeout = 120"));
    let (changes, plan) = ws.plan();
    c.check(
        changes && plan.contains("updated in-place") && !plan.contains("must be replaced"),
        || format!("visibility change: expected an in-place update:\n{plan}"),
    );
    ws.apply();
    let timeout = block_on(queue_attributes(&emulator, &queue_url))
        .get("VisibilityTimeout")
        .cloned();
    c.eq("visibility timeout updated", timeout, Some("120".into()));

    // Import the queue into a fresh state.
    let resources = ws.attributes(QUEUE)["resources"].clone();
    {
        let fresh = Workspace::new(tf, &emulator);
        fresh.write_config(&format!(
            r#"
resource "platform_queue" "jobs" {{
  environment_id     = "{name}"
  name               = "jobs"
  subscribe_to       = ["{name}/events"]
  visibility_timeout = 120
  dead_letter {{
    max_receives = 3
  }}
}}
"#
        ));
        fresh.init();
        fresh.ok(&[
            "import",
            "-input=false",
            "-no-color",
            QUEUE,
            &format!("{name}/jobs"),
        ]);
        c.eq(
            "imported queue resources",
            fresh.attributes(QUEUE)["resources"].clone(),
            resources,
        );
        let (changes, plan) = fresh.plan();
        c.check(!changes, || format!("plan after import:\n{plan}"));
    }

    let run = ws.run(&["destroy", "-input=false", "-no-color", "-auto-approve"]);
    c.check(run.code == 0, || format!("destroy failed:\n{}", flat(&run)));
    for owner in owners.iter().chain([&format!("environment/{name}")]) {
        let left = census(&emulator, owner);
        c.check(left.is_empty(), || {
            format!("destroy left objects of {owner}: {left:?}")
        });
    }
    let subscriptions = block_on(async {
        emulator
            .sns()
            .list_subscriptions()
            .send()
            .await
            .expect("ListSubscriptions")
            .subscriptions()
            .len()
    });
    c.eq("subscriptions left", subscriptions, 0);
    c.finish();
}

/// Wrong references are refused before anything is made: a queue of another environment, a
/// topic consumed as if it were a queue, and an ID that names nothing.
fn bad_references(tf: Tf) {
    let emulator = Emulator::start();
    let ws = Workspace::new(tf, &emulator);
    let name = unique("mqbad-");
    let mut c = Checks::new(tf);
    ws.write_config(&format!(
        r#"
resource "platform_queue" "jobs" {{
  environment_id = "{name}"
  name           = "jobs"
  subscribe_to   = ["elsewhere/events"]
}}
"#
    ));
    ws.init();
    let run = ws.run(&["validate", "-no-color"]);
    let out = flat(&run);
    c.check(
        run.code != 0
            && out.contains("Topic from another environment")
            && out.contains("subscribe_to"),
        || format!("a topic of another environment is not refused at validate:\n{out}"),
    );

    let base = format!(
        r#"
resource "platform_environment" "main" {{
  name = "{name}"
  tier = "dev"
  network {{
    cidr = "10.53.0.0/16"
  }}
}}

resource "platform_topic" "events" {{
  environment_id = platform_environment.main.id
  name           = "events"
}}
"#
    );
    ws.write_config(&base);
    ws.apply();
    let calls_before = census(&emulator, &format!("service/{name}/worker"));
    ws.write_config(&format!(
        r#"{base}
resource "platform_service" "worker" {{
  environment_id = platform_environment.main.id
  name           = "worker"
  image          = "public.ecr.aws/docker/library/busybox:1.36"
  consume_from   = [platform_topic.events.id]
  publish_to     = ["{name}/nothing"]
  deployment {{
    wait = false
  }}
}}
"#
    ));
    let run = ws.run(&["plan", "-input=false", "-no-color"]);
    let out = flat(&run);
    c.check(run.code != 0 && out.contains("Not a queue"), || {
        format!("consuming a topic is not refused at plan:\n{out}")
    });
    c.check(
        out.contains("No such queue or topic") && out.contains("publish_to"),
        || format!("an unknown publish_to ID is not refused at plan:\n{out}"),
    );
    c.eq(
        "nothing made for the refused service",
        census(&emulator, &format!("service/{name}/worker")),
        calls_before,
    );
    ws.write_config(&base);
    let run = ws.run(&["destroy", "-input=false", "-no-color", "-auto-approve"]);
    c.check(run.code == 0, || format!("destroy failed:\n{}", flat(&run)));
    c.finish();
}

fn everything_config(name: &str) -> String {
    format!(
        r#"
resource "platform_environment" "main" {{
  name = "{name}"
  tier = "staging"
  network {{
    cidr = "10.57.0.0/16"
  }}
}}

resource "platform_bucket" "media" {{
  environment_id = platform_environment.main.id
  name           = "media"
  force_destroy  = true
  cdn {{}}
}}

resource "platform_topic" "events" {{
  environment_id = platform_environment.main.id
  name           = "events"
}}

resource "platform_queue" "jobs" {{
  environment_id = platform_environment.main.id
  name           = "jobs"
  subscribe_to   = [platform_topic.events.id]
}}

resource "platform_service" "worker" {{
  environment_id = platform_environment.main.id
  name           = "worker"
  image          = "public.ecr.aws/docker/library/busybox:1.36"
  command        = ["sh", "-c", "sleep 3600"]
  publish_to     = [platform_topic.events.id]
  consume_from   = [platform_queue.jobs.id]
  bucket_access {{
    bucket_id = platform_bucket.media.id
    mode      = "read"
  }}
  autoscaling {{
    min               = 1
    max               = 3
    queue_id          = platform_queue.jobs.id
    messages_per_task = 5
  }}
  schedule {{
    name       = "nightly"
    expression = "cron(15 1 * * ? *)"
    timezone   = "Europe/Berlin"
    command    = ["sh", "-c", "echo nightly"]
  }}
  deployment {{
    wait = false
  }}
}}
"#
    )
}

fn a_worker_using_everything(tf: Tf) {
    let emulator = Emulator::start();
    let ws = Workspace::new(tf, &emulator);
    let name = unique("all-");
    let mut c = Checks::new(tf);
    ws.write_config(&everything_config(&name));
    ws.init();
    ws.apply();
    let bucket = ws.attributes("platform_bucket.media");
    let topic = ws.attributes("platform_topic.events");
    let queue = ws.attributes("platform_queue.jobs");
    let worker = ws.attributes("platform_service.worker");
    let owners = [
        format!("bucket/{name}/media"),
        format!("topic/{name}/events"),
        format!("queue/{name}/jobs"),
        format!("service/{name}/worker"),
        format!("environment/{name}"),
    ];

    // The CDN-fronted bucket.
    c.eq(
        "bucket census",
        census(&emulator, &owners[0]),
        [
            ("buckets".to_string(), 1),
            ("distributions".to_string(), 1),
            ("origin_access_controls".to_string(), 1),
        ]
        .into(),
    );
    c.check(text(&bucket["url"]).ends_with(".cloudfront.net"), || {
        format!("bucket url {}", bucket["url"])
    });

    // The queue is subscribed to the topic.
    let subscribed = block_on(async {
        emulator
            .sns()
            .list_subscriptions_by_topic()
            .topic_arn(text(&topic["topic_arn"]))
            .send()
            .await
            .expect("ListSubscriptionsByTopic")
            .subscriptions()
            .iter()
            .filter_map(|s| s.endpoint().map(str::to_string))
            .collect::<Vec<_>>()
    });
    c.eq("subscription", subscribed, vec![text(&queue["queue_arn"])]);

    // The worker's variables and its task role, scoped to exactly these ARNs.
    let task_definition = text(&worker["task_definition_arn"]);
    block_on(async {
        let td = emulator
            .ecs()
            .describe_task_definition()
            .task_definition(&task_definition)
            .send()
            .await
            .expect("DescribeTaskDefinition");
        let td = td.task_definition().expect("task definition");
        let variables: BTreeMap<String, String> = td
            .container_definitions()
            .first()
            .map(|d| {
                d.environment()
                    .iter()
                    .filter_map(|kv| Some((kv.name()?.to_string(), kv.value()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        for (variable, want) in [
            ("MEDIA_BUCKET", text(&bucket["bucket_name"])),
            ("EVENTS_TOPIC_ARN", text(&topic["topic_arn"])),
            ("JOBS_QUEUE_URL", text(&queue["queue_url"])),
        ] {
            c.eq(variable, variables.get(variable).cloned(), Some(want));
        }
        let role = td
            .task_role_arn()
            .unwrap_or_default()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let policy = |name: &'static str| {
            let iam = emulator.iam();
            let role = role.clone();
            async move {
                iam.get_role_policy()
                    .role_name(role)
                    .policy_name(name)
                    .send()
                    .await
                    .map(|p| percent_decode(p.policy_document()))
                    .unwrap_or_default()
            }
        };
        let messaging = policy("messaging").await;
        for (action, arn) in [
            ("sns:Publish", text(&topic["topic_arn"])),
            ("sqs:ReceiveMessage", text(&queue["queue_arn"])),
        ] {
            c.check(
                messaging.contains(action) && messaging.contains(&arn),
                || format!("messaging policy lacks {action} on {arn}: {messaging}"),
            );
        }
        let buckets = policy("buckets").await;
        c.check(
            buckets.contains("s3:GetObject")
                && !buckets.contains("s3:PutObject")
                && buckets.contains(&text(&bucket["bucket_arn"])),
            || format!("buckets policy is not read-only on the bucket: {buckets}"),
        );
    });

    // Scaling on the queue's depth, and the nightly command on the current revision.
    let backlog = block_on(async {
        emulator
            .autoscaling()
            .describe_scaling_policies()
            .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
            .resource_id(format!("service/{name}/worker"))
            .send()
            .await
            .expect("DescribeScalingPolicies")
            .scaling_policies()
            .iter()
            .filter_map(|p| p.target_tracking_scaling_policy_configuration())
            .find(|t| t.customized_metric_specification().is_some())
            .map(|t| t.target_value())
    });
    c.eq("queue-depth target", backlog, Some(5.0));
    let schedule = block_on(async {
        emulator
            .scheduler()
            .get_schedule()
            .group_name(&name)
            .name("worker-nightly")
            .send()
            .await
            .expect("GetSchedule")
    });
    c.eq(
        "schedule",
        (
            schedule.schedule_expression().map(str::to_string),
            schedule.schedule_expression_timezone().map(str::to_string),
            schedule
                .target()
                .and_then(|t| t.ecs_parameters())
                .map(|e| e.task_definition_arn().to_string()),
        ),
        (
            Some("cron(15 1 * * ? *)".to_string()),
            Some("Europe/Berlin".to_string()),
            Some(task_definition.clone()),
        ),
    );

    // Then an empty plan, and a destroy that leaves nothing.
    settle_create_gap(&ws, &mut c);
    let run = ws.run(&["destroy", "-input=false", "-no-color", "-auto-approve"]);
    c.check(run.code == 0, || format!("destroy failed:\n{}", flat(&run)));
    for owner in &owners {
        let left = census(&emulator, owner);
        c.check(left.is_empty(), || {
            format!("destroy left objects of {owner}: {left:?}")
        });
    }
    c.finish();
}
