//! The `platform_service` arguments and computed attributes (the common ones are added by
//! the app adapter).

use crate::framework::schema::{Attribute, Block, NestedBlock, Nesting};
use crate::framework::validator::Validator;
use crate::framework::value::{de, Value};
use crate::plan::app::FARGATE_CPU;

const ARCHITECTURES: &[&str] = &["x86_64", "arm64"];
const IMAGE_SOURCES: &[&str] = &["terraform", "external"];

/// Whole numbers that are not Fargate sizes; others are the typed model's to report.
fn cpu_is_fargate(value: &Value) -> Option<String> {
    let n: u32 = de::from_value(value).ok()?;
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

pub fn arg_block() -> Block {
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
    let internal = Block::new("Present: a Service Connect server in the environment's namespace (its `service_discovery`), reachable by the environment's services at `internal_endpoint`, `http://<discovery_name>.<namespace>:<port>`.")
        .attribute(Attribute::string("port_name").optional().description("Name of the container's port mapping, a DNS label. Default `http`."))
        .attribute(Attribute::string("discovery_name").optional().description("Name clients call, a DNS label unique in the namespace. Default: the service's name."));
    let sidecar = Block::new("A container beside the service's own (repeatable): an OpenTelemetry collector, a Datadog agent, a log router. It logs to the service's log group under its own name, shares the task role and network, and the execution role reads exactly its secrets.")
        .attribute(Attribute::string("name").required().description("Container name: letters, digits, '-' and '_', unique in the task and not the service's name."))
        .attribute(Attribute::string("image").required().description("Container image."))
        .attribute(Attribute::bool("essential").optional().description("The task stops when it stops, and the service's container starts after it. Default false."))
        .attribute(Attribute::number("cpu").optional().description("CPU units reserved for it; all sidecars together must leave room in the task's `cpu`."))
        .attribute(Attribute::number("memory").optional().description("MiB it may use at most; all sidecars together must leave room in the task's `memory`."))
        .attribute(Attribute::number("port").optional().description("A TCP port it listens on, 1–65535, not the service's `port`.").validate(Validator::IntBetween(1, 65535)))
        .attribute(Attribute::string_list("command").optional().description("Overrides the image's command."))
        .attribute(Attribute::string_map("environment_variables").optional().description("Plain environment variables. Default `{}`."))
        .attribute(Attribute::string_map("secrets").optional().description("Variable name → Secrets Manager secret ARN (optionally `<arn>:<json-key>::`) or SSM parameter ARN."))
        .attribute(Attribute::bool("use_repository_credentials").optional().description("Pull the image with the service's `repository_credentials_secret_arn`. Default false."));
    let schedule = Block::new("An EventBridge Scheduler schedule running the service's current task definition on Fargate (repeatable): in the environment's private subnets with the service's security group and no public IP, with the task role and execution role of the service's tasks. A new task definition revision moves every schedule to it in the same apply. Each schedule is `<name>-<schedule name>` in the environment's schedule group; a role `platform-<environment>-<name>-scheduler-<region>` that may only run this task definition family in the environment's cluster (and pass the service's two roles to ECS) is made for the service's schedules and removed with the last one. The cost estimate counts each run as a task of the service's size running 5 minutes.")
        .attribute(Attribute::string("name").required().description("Unique within the service: letters, digits, '_', '.' and '-', at most 64 characters with the service's name and a '-'."))
        .attribute(Attribute::string("expression").required().description("`cron(minutes hours day-of-month month day-of-week year)` with one of the day fields `?` (e.g. `cron(0 3 * * ? *)`, daily at 03:00), or `rate(value unit)` with the unit `minute`, `hour` or `day`, plural when the value is not 1 (e.g. `rate(15 minutes)`)."))
        .attribute(Attribute::string("timezone").optional().description("IANA time zone the cron expression is read in, e.g. `Europe/Paris`. Default `UTC`."))
        .attribute(Attribute::string_list("command").optional().description("The service's container runs this command instead of its own. Default `[]`: no override, the task runs the service's `command`, or the image's default command when the service sets none."));
    let autoscaling = Block::new("Present: target tracking on the desired count through Application Auto Scaling (`desired_count` is then only the initial count).")
        .attribute(Attribute::number("min").optional().description("Default by tier: dev 1, staging 1, prod 2."))
        .attribute(Attribute::number("max").optional().description("Default by tier: dev 2, staging 4, prod 10."))
        .attribute(Attribute::number("cpu_target").optional().description("Average CPU percent to hold. Default by tier: dev and staging 70, prod 60."))
        .attribute(Attribute::number("memory_target").optional().description("Average memory percent to hold; no memory policy when unset."))
        .attribute(Attribute::number("scale_in_cooldown").optional().description("Seconds. Default 300."))
        .attribute(Attribute::number("scale_out_cooldown").optional().description("Seconds. Default 60."))
        .attribute(Attribute::string("queue_id").optional().description("A `platform_queue` ID of the same environment: a second target-tracking policy holds the queue's visible messages per running task at `messages_per_task` (a metric-math policy on SQS `ApproximateNumberOfMessagesVisible` divided by Container Insights' `RunningTaskCount`, so the environment needs Container Insights). Combined with the CPU target, the larger count wins."))
        .attribute(Attribute::number("messages_per_task").optional().description("Visible messages per running task to hold with `queue_id`. Default 10.").validate(Validator::IntBetween(1, 1_000_000)));
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
                .description("Permissions boundary of the service's roles (task, execution and, with `schedule`, scheduler)."),
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
        .attribute(Attribute::number("port").optional().description("Container port. Default 8080 when something reaches the service (`routing`, `internal` or `allow_from_services`); a worker without them listens on no port and gets no target group or load-balancer rule.").validate(Validator::IntBetween(1, 65535)))
        .attribute(Attribute::string_list("command").optional().description("Overrides the image's command."))
        .attribute(Attribute::string_map("environment_variables").optional().description("Plain environment variables. Default `{}`."))
        .attribute(Attribute::string_map("secrets").optional().description("Variable name → Secrets Manager secret ARN (optionally `<arn>:<json-key>::`) or SSM parameter ARN. The execution role may read exactly these."))
        .attribute(Attribute::string_list("generated_secrets").optional().description("Variable names whose value is a random secret (48 letters and digits, from Secrets Manager's GetRandomPassword) kept in Secrets Manager as `platform/<environment>/service/<name>/<VARIABLE>` and injected as a container secret. The value never enters state, plan or logs; the execution role may read exactly these secrets. Removing a name deletes its secret with the environment's recovery window.").validate(Validator::UniqueElements))
        .attribute(Attribute::string_list("regenerate_secrets").optional().description("Generated secrets to make a new value for: a name joining this list gets a new value and the service a new deployment, once; keeping it listed changes nothing more. Remove it and add it again to regenerate again.").validate(Validator::UniqueElements))
        .attribute(Attribute::string_list("database_access").optional().description("`platform_database` IDs of the same environment: a security group rule to the database, and `DATABASE_URL` and `PGHOST`/`PGPORT`/`PGDATABASE`/`PGUSER`/`PGPASSWORD` from its connection secret (`<NAME>_DATABASE_URL` with several)."))
        .attribute(Attribute::string_list("publish_to").optional().description("`platform_topic` or `platform_queue` IDs of the same environment: the task role may `sns:Publish` to each topic and `sqs:SendMessage` to each queue (and use their KMS keys), and the container gets `<NAME>_TOPIC_ARN` or `<NAME>_QUEUE_URL` (NAME: the resource's name upper-cased, `-` → `_`).").validate(Validator::UniqueElements))
        .attribute(Attribute::string_list("consume_from").optional().description("`platform_queue` IDs of the same environment: the task role may receive, delete, change the visibility of and read the attributes of messages in each (and decrypt with its KMS key), and the container gets `<NAME>_QUEUE_URL`.").validate(Validator::UniqueElements))
        .attribute(Attribute::string_list("cache_access").optional().description("`platform_cache` IDs of the same environment: a security group rule and `REDIS_URL` (`<NAME>_REDIS_URL` with several)."))
        .attribute(Attribute::string_list("allow_from_services").optional().description("`platform_service` IDs of the same environment whose tasks may reach this one on `port`: an ingress rule from each caller's security group, owned by this service. A caller may be created in the same apply (the apply waits up to 5 minutes for it), as long as it does not depend on this service: a caller that calls `internal_endpoint` should build the URL from the environment's `service_discovery_namespace_name`.").validate(Validator::UniqueElements))
        .attribute(Attribute::string("repository_credentials_secret_arn").optional().description("A Secrets Manager secret holding a private registry's login (`{\"username\":…,\"password\":…}`, e.g. Docker Hub), used to pull `image` and the images of sidecars that set `use_repository_credentials`. The execution role may read exactly that secret."))
        .attribute(Attribute::string("repository_credentials_kms_key_arn").optional().description("The customer managed KMS key that secret is encrypted with: the execution role may decrypt with it."))
        .attribute(Attribute::number("desired_count").optional().description("Tasks to run. Default by tier: dev 1, staging 1, prod 2. Only the initial count with `autoscaling`."))
        .attribute(Attribute::bool("exec_enabled").optional().description("ECS Exec. Default by tier: dev and staging true, prod false."))
        .attribute(Attribute::bool("read_only_root_filesystem").optional().description("Default true."))
        .single_block("internal", internal)
        .nested(NestedBlock {
            type_name: "bucket_access".to_string(),
            block: Block::new("A `platform_bucket` of the same environment the service may use (repeatable): task-role statements on exactly that bucket and its objects (and its KMS key), and `<NAME>_BUCKET` with the bucket's name (NAME: the bucket resource's name upper-cased, `-` → `_`).")
                .attribute(Attribute::string("bucket_id").required().description("The bucket's `id`."))
                .attribute(Attribute::string("mode").optional().description("`read` (get and list) or `read_write` (also put and delete). Default `read`.").validate(Validator::OneOf(&["read", "read_write"]))),
            nesting: Nesting::List,
            min_items: 0,
            max_items: 0,
        })
        .nested(NestedBlock {
            type_name: "sidecar".to_string(),
            block: sidecar,
            nesting: Nesting::List,
            min_items: 0,
            max_items: 0,
        })
        .nested(NestedBlock {
            type_name: "schedule".to_string(),
            block: schedule,
            nesting: Nesting::List,
            min_items: 0,
            max_items: 0,
        })
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
        .attribute(Attribute::string("internal_endpoint").computed().description("`http://<discovery_name>.<namespace>:<port>`, what other services of the environment call; empty without `internal`."))
        .attribute(Attribute::string_map("generated_secret_arns").computed().description("Variable name → ARN of each generated secret."))
        .attribute(Attribute::string("log_group_name").computed().description("The service's log group."))
        .attribute(Attribute::string("running_image").computed().description("The image of the task definition the service runs."))
        .attribute(Attribute::string("deployment_id").computed().description("ID of the primary ECS deployment at the last refresh."))
        .attribute(Attribute::string("deployment_status").computed().description("Rollout state of the primary deployment at the last refresh (`COMPLETED`, `IN_PROGRESS`, `FAILED`)."))
}
