//! Expansion of `platform_service`: roles, log group, security group and rules, task
//! definition, ECS service, and optionally the target group, listener rule and autoscaling.

use std::collections::BTreeMap;

use serde_json::json;

use crate::aws::autoscaling::scalable_target::ScalableTargetSpec;
use crate::aws::autoscaling::scaling_policy::{ScalingPolicySpec, QUEUE_BACKLOG_METRIC};
use crate::aws::ec2::security_group::SecurityGroupSpec;
use crate::aws::ec2::security_group_rule::{Direction, RulePeer, SecurityGroupRuleSpec};
use crate::aws::ecs::cluster::CapacityProviderStrategyItem;
use crate::aws::ecs::service::{
    EcsServiceSpec, ServiceConnect, ServiceConnectServer, ServiceLoadBalancer,
};
use crate::aws::ecs::task_definition::{ContainerSpec, SidecarSpec, TaskDefinitionSpec};
use crate::aws::elbv2::listener_rule::ListenerRuleSpec;
use crate::aws::elbv2::target_group::{HealthCheckSpec, TargetGroupSpec};
use crate::aws::iam::role::IamRoleSpec;
use crate::aws::logs::log_group::LogGroupSpec;
use crate::aws::scheduler::schedule::SchedulerScheduleSpec;
use crate::aws::secretsmanager::secret::{SecretContent, SecretSpec};
use crate::plan::app::{
    access_secrets, schedule_name, secret_resource_arn, BucketAccess, EnvironmentFacts,
    ImageSource, MessagingAccess, MessagingKind, ServiceSpec,
};
use crate::plan::node::{ChildSpec, Kind, Node, NodeKey};

use super::environment::{environment_log_group_name, schedule_group_name, ANYWHERE};
use super::naming::{child_tags, fit, ownership_marker};
use super::policy::{canonical_json, partition};
use super::AppGraph;

/// Stands in for an ARN a plan cannot know yet (a database created in the same apply).
pub const UNKNOWN_ARN: &str = "(known after apply)";

pub fn log_group_key() -> NodeKey {
    NodeKey::new(Kind::LogGroup, &["service"])
}
pub fn task_definition_key() -> NodeKey {
    NodeKey::new(Kind::TaskDefinition, &["service"])
}
pub fn service_key() -> NodeKey {
    NodeKey::new(Kind::EcsService, &["service"])
}
pub fn security_group_key() -> NodeKey {
    NodeKey::new(Kind::SecurityGroup, &["service"])
}
pub fn task_role_key() -> NodeKey {
    NodeKey::new(Kind::IamRole, &["task"])
}
pub fn execution_role_key() -> NodeKey {
    NodeKey::new(Kind::IamRole, &["execution"])
}
/// The role EventBridge Scheduler runs the service's scheduled tasks with.
pub fn scheduler_role_key() -> NodeKey {
    NodeKey::new(Kind::IamRole, &["scheduler"])
}
/// A `schedule` block's child.
pub fn schedule_key(name: &str) -> NodeKey {
    NodeKey::new(Kind::Schedule, &[name])
}
pub fn listener_rule_key() -> NodeKey {
    NodeKey::new(Kind::ListenerRule, &["https"])
}
pub fn target_group_key(port: u32) -> NodeKey {
    NodeKey::new(Kind::TargetGroup, &[&port.to_string()])
}
/// The environment's load balancer group, as the environment keys it.
pub fn load_balancer_group_key() -> NodeKey {
    NodeKey::new(Kind::SecurityGroup, &["load_balancer"])
}
/// A database's or cache's own group, as an external reference of the service.
pub fn access_group_key(kind: &str, name: &str) -> NodeKey {
    NodeKey::new(Kind::SecurityGroup, &[kind, name])
}

/// A generated secret's child.
pub fn generated_secret_key(variable: &str) -> NodeKey {
    NodeKey::new(Kind::Secret, &["generated", variable])
}

/// `platform/<env>/service/<service>/<VARIABLE>`: under the environment's prefix, so its
/// secrets are listed together.
pub fn generated_secret_name(env: &str, service: &str, variable: &str) -> String {
    format!("platform/{env}/service/{service}/{variable}")
}

/// Letters and digits a generated secret's value has.
pub const GENERATED_SECRET_LENGTH: u32 = 48;

/// The docker label carrying a generated secret's generation, so a new value is a new task
/// definition revision and the service rolls.
pub fn secret_generation_label(variable: &str) -> String {
    format!("platform.secret-generation.{variable}")
}

/// Another service's group this service admits, as an external reference.
pub fn caller_group_key(name: &str) -> NodeKey {
    NodeKey::new(Kind::SecurityGroup, &["caller", name])
}

/// The rule admitting a caller on the service's port.
pub fn caller_rule_key(name: &str) -> NodeKey {
    NodeKey::new(
        Kind::SecurityGroupRule,
        &["service", "ingress", "from-service", name],
    )
}

/// `http://<discovery_name>.<namespace>:<port>` of a Service Connect server; empty for a
/// service with no `internal` or an environment with no namespace.
pub fn internal_endpoint(spec: &ServiceSpec, env: &EnvironmentFacts) -> String {
    match (&spec.internal, &env.service_discovery) {
        (Some(internal), Some(namespace)) => format!(
            "http://{}.{}:{}",
            internal.discovery_name,
            namespace.name,
            spec.port.unwrap_or_default()
        ),
        _ => String::new(),
    }
}

pub fn log_group_name(env: &str, service: &str) -> String {
    format!("{}/{service}", environment_log_group_name(env))
}

/// What the adapter decided before expansion: the rule priority and the image to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceInputs {
    /// Required when the service has routing.
    pub priority: Option<u32>,
    /// With `image_source = "external"`, the image running now (when there is one).
    pub running_image: Option<String>,
    /// Each generated secret the ledger records: its generation and whether it was listed in
    /// `regenerate_secrets`.
    pub recorded_secrets: BTreeMap<String, (u32, bool)>,
}

struct Ctx<'a> {
    spec: &'a ServiceSpec,
    env: &'a EnvironmentFacts,
    owner: String,
    out: BTreeMap<NodeKey, Node>,
}

impl Ctx<'_> {
    fn tags(&self, key: &NodeKey, suffix: &str) -> crate::plan::node::Tags {
        let mut name = format!("{}-{}", self.env.name, self.spec.name);
        if !suffix.is_empty() {
            name.push('-');
            name.push_str(suffix);
        }
        child_tags(&self.spec.tags, &self.owner, key, &name)
    }

    fn add(&mut self, key: NodeKey, spec: ChildSpec) {
        self.out.insert(key.clone(), Node { key, spec });
    }

    fn role_name(&self, purpose: &str) -> String {
        fit(
            &format!(
                "platform-{}-{}-{purpose}-{}",
                self.env.name, self.spec.name, self.env.region
            ),
            64,
        )
    }
}

fn ecs_tasks_trust() -> String {
    canonical_json(&json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": "ecs-tasks.amazonaws.com" },
            "Action": "sts:AssumeRole"
        }]
    }))
}

/// Image pull, its own log group, exactly the secrets it injects (and a private registry's
/// login), and decryption with the keys those are encrypted with, when not AWS managed.
fn execution_policy(region: &str, log_group: &str, secrets: &[String], keys: &[String]) -> String {
    let partition = partition(region);
    let mut statements = vec![
        json!({
            "Effect": "Allow",
            "Action": "ecr:GetAuthorizationToken",
            "Resource": "*"
        }),
        json!({
            "Effect": "Allow",
            "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "Resource": "*"
        }),
        json!({
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": format!("arn:{partition}:logs:{region}:*:log-group:{log_group}:*")
        }),
    ];
    let secret_arns: Vec<&String> = secrets
        .iter()
        .filter(|a| a.contains(":secretsmanager:") || a.as_str() == UNKNOWN_ARN)
        .collect();
    if !secret_arns.is_empty() {
        statements.push(json!({
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": secret_arns
        }));
    }
    let parameters: Vec<&String> = secrets.iter().filter(|a| a.contains(":ssm:")).collect();
    if !parameters.is_empty() {
        statements.push(json!({
            "Effect": "Allow",
            "Action": "ssm:GetParameters",
            "Resource": parameters
        }));
    }
    if !keys.is_empty() {
        statements.push(json!({
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": keys
        }));
    }
    canonical_json(&json!({ "Version": "2012-10-17", "Statement": statements }))
}

/// The service's own variables and one per queue or topic it uses (a URL or ARN; the
/// placeholder while unknown at plan).
fn environment_variables(spec: &ServiceSpec) -> BTreeMap<String, String> {
    let mut out = spec.environment_variables.clone();
    for target in &spec.messaging {
        let value = match target.kind {
            Some(MessagingKind::Queue) => target.url.clone(),
            Some(MessagingKind::Topic) => target.arn.clone(),
            None => None,
        };
        if let Some(variable) = target.variable() {
            out.insert(variable, value.unwrap_or_else(|| UNKNOWN_ARN.to_string()));
        }
    }
    for bucket in &spec.buckets {
        out.insert(
            bucket.variable(),
            bucket
                .bucket_name
                .clone()
                .unwrap_or_else(|| UNKNOWN_ARN.to_string()),
        );
    }
    out
}

/// Listing exactly the buckets the service names, and reading (and with `read_write`
/// writing and deleting) their objects, with their customer managed keys; `None` without
/// `bucket_access`.
pub fn bucket_policy(spec: &ServiceSpec, region: &str) -> Option<String> {
    if spec.buckets.is_empty() {
        return None;
    }
    let partition = partition(region);
    let arn = |b: &BucketAccess| {
        format!(
            "arn:{partition}:s3:::{}",
            b.bucket_name.as_deref().unwrap_or(UNKNOWN_ARN)
        )
    };
    let collect = |pick: &dyn Fn(&BucketAccess) -> bool, objects: bool| -> Vec<String> {
        let mut v: Vec<String> = spec
            .buckets
            .iter()
            .filter(|b| pick(b))
            .map(|b| {
                if objects {
                    format!("{}/*", arn(b))
                } else {
                    arn(b)
                }
            })
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let mut statements = vec![
        json!({ "Effect": "Allow", "Action": "s3:ListBucket", "Resource": collect(&|_| true, false) }),
        json!({ "Effect": "Allow", "Action": "s3:GetObject", "Resource": collect(&|_| true, true) }),
    ];
    let writes = collect(&|b| b.writes(), true);
    if !writes.is_empty() {
        statements.push(json!({
            "Effect": "Allow",
            "Action": ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:PutObject"],
            "Resource": writes
        }));
    }
    let mut keys: Vec<String> = spec
        .buckets
        .iter()
        .filter_map(|b| b.kms_key_arn.clone())
        .collect();
    keys.sort();
    keys.dedup();
    if !keys.is_empty() {
        let mut actions = vec!["kms:Decrypt"];
        if spec
            .buckets
            .iter()
            .any(|b| b.writes() && b.kms_key_arn.is_some())
        {
            actions.push("kms:GenerateDataKey");
        }
        statements.push(json!({ "Effect": "Allow", "Action": actions, "Resource": keys }));
    }
    Some(canonical_json(
        &json!({ "Version": "2012-10-17", "Statement": statements }),
    ))
}

/// Sending to and receiving from exactly the queues and topics the service names, and the
/// customer managed keys they are encrypted with; `None` when it names none.
pub fn messaging_policy(spec: &ServiceSpec) -> Option<String> {
    let arn = |t: &MessagingAccess| t.arn.clone().unwrap_or_else(|| UNKNOWN_ARN.to_string());
    let arns = |pick: &dyn Fn(&MessagingAccess) -> bool| -> Vec<String> {
        let mut v: Vec<String> = spec.messaging.iter().filter(|t| pick(t)).map(arn).collect();
        v.sort();
        v.dedup();
        v
    };
    let is = |t: &MessagingAccess, kind| t.kind == Some(kind);
    let mut statements = Vec::new();
    let topics = arns(&|t| t.publish && is(t, MessagingKind::Topic));
    if !topics.is_empty() {
        statements.push(json!({ "Effect": "Allow", "Action": "sns:Publish", "Resource": topics }));
    }
    let sends = arns(&|t| t.publish && is(t, MessagingKind::Queue));
    if !sends.is_empty() {
        statements
            .push(json!({ "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": sends }));
    }
    let receives = arns(&|t| t.consume && is(t, MessagingKind::Queue));
    if !receives.is_empty() {
        statements.push(json!({
            "Effect": "Allow",
            "Action": [
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:ReceiveMessage"
            ],
            "Resource": receives
        }));
    }
    // Sending encrypts with the key (a data key), receiving decrypts.
    let mut keys: Vec<String> = spec
        .messaging
        .iter()
        .filter_map(|t| t.kms_key_arn.clone())
        .collect();
    keys.sort();
    keys.dedup();
    if !keys.is_empty() {
        let mut actions = vec!["kms:Decrypt"];
        if spec
            .messaging
            .iter()
            .any(|t| t.publish && t.kms_key_arn.is_some())
        {
            actions.push("kms:GenerateDataKey");
        }
        statements.push(json!({ "Effect": "Allow", "Action": actions, "Resource": keys }));
    }
    (!statements.is_empty())
        .then(|| canonical_json(&json!({ "Version": "2012-10-17", "Statement": statements })))
}

/// Lets EventBridge Scheduler assume the role, for schedules of the account only.
fn scheduler_trust(account: &str) -> String {
    canonical_json(&json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": "scheduler.amazonaws.com" },
            "Action": "sts:AssumeRole",
            "Condition": { "StringEquals": { "aws:SourceAccount": account } }
        }]
    }))
}

/// What the service's scheduled runs need and no more: `ecs:RunTask` of any revision of the
/// service's task definition family in the environment's cluster only, tagging the tasks
/// RunTask starts (ECS managed and propagated tags), and passing exactly the service's
/// execution and task roles to ECS tasks.
pub fn scheduler_policy(
    spec: &ServiceSpec,
    env: &EnvironmentFacts,
    execution_role: &str,
    task_role: &str,
) -> String {
    let partition = partition(&env.region);
    let region = &env.region;
    let account = env.account_id().unwrap_or(UNKNOWN_ARN);
    let cluster = env.cluster_arn().unwrap_or(UNKNOWN_ARN);
    let family = task_family(&env.name, &spec.name);
    let role = |name: &str| format!("arn:{partition}:iam::{account}:role/{name}");
    let mut roles = vec![role(execution_role), role(task_role)];
    roles.sort();
    canonical_json(&json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "ecs:RunTask",
                "Resource": format!("arn:{partition}:ecs:{region}:{account}:task-definition/{family}:*"),
                "Condition": { "ArnEquals": { "ecs:cluster": cluster } }
            },
            {
                "Effect": "Allow",
                "Action": "ecs:TagResource",
                "Resource": format!("arn:{partition}:ecs:{region}:{account}:task/{}/*", env.name),
                "Condition": { "StringEquals": { "ecs:CreateAction": "RunTask" } }
            },
            {
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": roles,
                "Condition": { "StringEquals": { "iam:PassedToService": "ecs-tasks.amazonaws.com" } }
            }
        ]
    }))
}

/// The service's task definition family, `<environment>-<service>`.
pub fn task_family(env: &str, service: &str) -> String {
    format!("{env}-{service}")
}

fn exec_policy() -> String {
    canonical_json(&json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": [
                "ssmmessages:CreateControlChannel",
                "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenControlChannel",
                "ssmmessages:OpenDataChannel"
            ],
            "Resource": "*"
        }]
    }))
}

/// Every service of an environment with a namespace is a Service Connect client; one with
/// `internal` is also a server.
fn service_connect(spec: &ServiceSpec, env: &EnvironmentFacts) -> Option<ServiceConnect> {
    let namespace = env.service_discovery.as_ref()?;
    Some(ServiceConnect {
        namespace_arn: namespace.arn.clone()?,
        server: spec.internal.as_ref().map(|internal| ServiceConnectServer {
            port_name: internal.port_name.clone(),
            discovery_name: internal.discovery_name.clone(),
            dns_name: format!("{}.{}", internal.discovery_name, namespace.name),
            port: spec.port.unwrap_or_default() as i32,
        }),
    })
}

/// The children of a service. `prior_image` is the image of the task definition recorded in
/// the ledger, used with `image_source = "external"`.
pub fn expand_service(
    spec: &ServiceSpec,
    env: &EnvironmentFacts,
    inputs: &ServiceInputs,
) -> AppGraph {
    let mut ctx = Ctx {
        spec,
        env,
        owner: spec.owner(),
        out: BTreeMap::new(),
    };
    let mut external: BTreeMap<NodeKey, String> = env.ids.clone();
    let log_name = log_group_name(&env.name, &spec.name);

    let log_key = log_group_key();
    let tags = ctx.tags(&log_key, "logs");
    ctx.add(
        log_key.clone(),
        ChildSpec::LogGroup(LogGroupSpec {
            name: log_name.clone(),
            retention_days: spec.log_retention_days,
            kms_key_arn: env.log_kms_key_arn.clone(),
            tags,
        }),
    );

    // Secrets: the user's plus the connection secrets of databases and caches.
    let mut secrets = spec.secrets.clone();
    secrets.extend(access_secrets(spec, UNKNOWN_ARN));
    let mut secret_arns: Vec<String> = secrets.values().map(|v| secret_resource_arn(v)).collect();

    // Generated secrets: children of the service, read by the execution role by name.
    let mut generated = BTreeMap::new();
    let mut docker_labels = BTreeMap::new();
    for variable in &spec.generated_secrets {
        let key = generated_secret_key(variable);
        let name = generated_secret_name(&env.name, &spec.name, variable);
        let (recorded, listed) = inputs
            .recorded_secrets
            .get(variable)
            .copied()
            .unwrap_or((0, false));
        let regenerate = spec.regenerate_secrets.contains(variable);
        // A new value once per listing: when the name joins regenerate_secrets.
        let generation = if regenerate && !listed && inputs.recorded_secrets.contains_key(variable)
        {
            recorded + 1
        } else {
            recorded
        };
        if generation > 0 {
            docker_labels.insert(secret_generation_label(variable), generation.to_string());
        }
        // Secrets Manager appends `-` and six characters to the name in the ARN.
        secret_arns.push(format!(
            "arn:{}:secretsmanager:{}:*:secret:{name}-??????",
            partition(&env.region),
            env.region
        ));
        let tags = ctx.tags(&key, &format!("secret-{variable}"));
        ctx.add(
            key.clone(),
            ChildSpec::Secret(SecretSpec {
                name,
                description: format!(
                    "Generated {variable} of service {} in environment {}",
                    spec.name, env.name
                ),
                kms_key_arn: None,
                content: SecretContent::Generated {
                    length: GENERATED_SECRET_LENGTH,
                    generation,
                    regenerate,
                },
                in_sync: true,
                recovery_window_days: env.secret_recovery_window_days,
                tags,
            }),
        );
        generated.insert(variable.clone(), key);
    }
    for sidecar in &spec.sidecars {
        secret_arns.extend(sidecar.secrets.values().map(|v| secret_resource_arn(v)));
    }
    secret_arns.extend(spec.repository_credentials_secret_arn.iter().cloned());
    secret_arns.sort();
    secret_arns.dedup();
    let keys: Vec<String> = spec
        .repository_credentials_kms_key_arn
        .iter()
        .cloned()
        .collect();

    let exec_key = execution_role_key();
    let tags = ctx.tags(&exec_key, "execution");
    let exec_role_name = ctx.role_name("exec");
    ctx.add(
        exec_key.clone(),
        ChildSpec::IamRole(IamRoleSpec {
            name: exec_role_name.clone(),
            assume_role_policy: ecs_tasks_trust(),
            inline_policies: [(
                "execution".to_string(),
                execution_policy(&env.region, &log_name, &secret_arns, &keys),
            )]
            .into(),
            managed_policy_arns: Vec::new(),
            permissions_boundary_arn: spec.iam.permissions_boundary_arn.clone(),
            tags,
        }),
    );
    let task_key = task_role_key();
    let mut inline = BTreeMap::new();
    if let Some(doc) = messaging_policy(spec) {
        inline.insert("messaging".to_string(), doc);
    }
    if let Some(doc) = bucket_policy(spec, &env.region) {
        inline.insert("buckets".to_string(), doc);
    }
    if let Some(doc) = &spec.iam.policy_json {
        inline.insert("extra".to_string(), doc.clone());
    }
    if spec.exec_enabled {
        inline.insert("ecs-exec".to_string(), exec_policy());
    }
    let tags = ctx.tags(&task_key, "task");
    let task_role_name = ctx.role_name("task");
    ctx.add(
        task_key.clone(),
        ChildSpec::IamRole(IamRoleSpec {
            name: task_role_name.clone(),
            assume_role_policy: ecs_tasks_trust(),
            inline_policies: inline,
            managed_policy_arns: spec.iam.managed_policy_arns.clone(),
            permissions_boundary_arn: spec.iam.permissions_boundary_arn.clone(),
            tags,
        }),
    );

    // Network: its own group, egress anywhere, and the rules other groups need to reach it.
    let group = security_group_key();
    let tags = ctx.tags(&group, "");
    ctx.add(
        group.clone(),
        ChildSpec::SecurityGroup(SecurityGroupSpec {
            vpc: NodeKey::new(Kind::Vpc, &[]),
            name: format!("{}-svc-{}", env.name, spec.name),
            description: format!("Tasks of service {} in environment {}", spec.name, env.name),
            tags,
        }),
    );
    let port = spec.port.map(|p| p as i32);
    let rule = |ctx: &mut Ctx,
                qualifiers: &[&str],
                on: NodeKey,
                direction: Direction,
                protocol: &str,
                ports: (i32, i32),
                peer: RulePeer,
                description: String| {
        let key = NodeKey::new(Kind::SecurityGroupRule, qualifiers);
        let tags = ctx.tags(&key, &qualifiers.join("-"));
        ctx.add(
            key,
            ChildSpec::SecurityGroupRule(SecurityGroupRuleSpec {
                group: on,
                direction,
                protocol: protocol.to_string(),
                from_port: ports.0,
                to_port: ports.1,
                peer,
                description,
                tags,
            }),
        );
    };
    rule(
        &mut ctx,
        &["service", "egress", "all-to-anywhere"],
        group.clone(),
        Direction::Egress,
        "-1",
        (-1, -1),
        RulePeer::Cidr(ANYWHERE.to_string()),
        "Egress to images, AWS APIs, databases and caches".to_string(),
    );
    for (kind, list, db_port) in [
        ("database", &spec.database_access, 5432),
        ("cache", &spec.cache_access, 6379),
    ] {
        for access in list {
            let on = access_group_key(kind, &access.name);
            external.insert(
                on.clone(),
                access
                    .security_group_id
                    .clone()
                    .unwrap_or_else(|| UNKNOWN_ARN.to_string()),
            );
            rule(
                &mut ctx,
                &[kind, &access.name, "ingress"],
                on,
                Direction::Ingress,
                "tcp",
                (db_port, db_port),
                RulePeer::Group(group.clone()),
                format!("From service {}", spec.name),
            );
        }
    }

    // Each caller reaches the service's port from its own group (known after apply when the
    // caller is being created beside this service).
    for caller in spec.allow_from_services.iter().filter(|_| port.is_some()) {
        let port = port.unwrap_or_default();
        let on = caller_group_key(&caller.name);
        external.insert(
            on.clone(),
            caller
                .security_group_id
                .clone()
                .unwrap_or_else(|| UNKNOWN_ARN.to_string()),
        );
        rule(
            &mut ctx,
            &["service", "ingress", "from-service", &caller.name],
            group.clone(),
            Direction::Ingress,
            "tcp",
            (port, port),
            RulePeer::Group(on),
            format!("From service {}", caller.name),
        );
    }

    let mut load_balancer = None;
    let mut grace = None;
    if let (Some(routing), Some(listener), Some(port)) = (&spec.routing, env.https_listener(), port)
    {
        // The load balancer's egress half is the environment's: one rule per private subnet.
        rule(
            &mut ctx,
            &["service", "ingress", "from-load-balancer"],
            group.clone(),
            Direction::Ingress,
            "tcp",
            (port, port),
            RulePeer::Group(load_balancer_group_key()),
            "From the load balancer".to_string(),
        );
        let tg_key = target_group_key(port as u32);
        let hc = &routing.health_check;
        let tags = ctx.tags(&tg_key, &port.to_string());
        ctx.add(
            tg_key.clone(),
            ChildSpec::TargetGroup(TargetGroupSpec {
                name: fit(&format!("{}-{}-{}", env.name, spec.name, port), 32),
                vpc: NodeKey::new(Kind::Vpc, &[]),
                port,
                health_check: HealthCheckSpec {
                    path: hc.path.clone(),
                    matcher: hc.matcher.clone(),
                    interval_seconds: hc.interval,
                    timeout_seconds: hc.timeout,
                    healthy_threshold: hc.healthy_threshold,
                    unhealthy_threshold: hc.unhealthy_threshold,
                },
                deregistration_delay_seconds: routing.deregistration_delay,
                tags,
            }),
        );
        let rule_key = listener_rule_key();
        let tags = ctx.tags(&rule_key, "rule");
        ctx.add(
            rule_key,
            ChildSpec::ListenerRule(ListenerRuleSpec {
                listener,
                priority: inputs.priority.or(routing.priority).unwrap_or(1),
                hosts: routing.hosts.clone(),
                paths: routing.paths.clone(),
                target_group: tg_key.clone(),
                tags,
            }),
        );
        load_balancer = Some(ServiceLoadBalancer {
            target_group: tg_key,
            container_name: spec.name.clone(),
            container_port: port,
        });
        grace = Some(hc.grace_period);
    }

    let image = match (spec.image_source, &inputs.running_image) {
        (ImageSource::External, Some(running)) => running.clone(),
        _ => spec.image.clone(),
    };
    let td_key = task_definition_key();
    let tags = ctx.tags(&td_key, "");
    ctx.add(
        td_key.clone(),
        ChildSpec::TaskDefinition(TaskDefinitionSpec {
            family: task_family(&env.name, &spec.name),
            cpu: spec.cpu,
            memory: spec.memory,
            cpu_architecture: spec.architecture.clone(),
            task_role: task_key,
            execution_role: exec_key,
            container: ContainerSpec {
                name: spec.name.clone(),
                image,
                port,
                port_name: spec.internal.as_ref().map(|i| i.port_name.clone()),
                generated_secrets: generated,
                docker_labels,
                repository_credentials: spec.repository_credentials_secret_arn.clone(),
                depends_on: spec
                    .sidecars
                    .iter()
                    .filter(|s| s.essential)
                    .map(|s| s.name.clone())
                    .collect(),
                command: spec.command.clone(),
                environment: environment_variables(spec),
                secrets,
                log_group: log_key,
                log_region: env.region.clone(),
                read_only_root_filesystem: spec.read_only_root_filesystem,
            },
            sidecars: spec
                .sidecars
                .iter()
                .map(|s| SidecarSpec {
                    name: s.name.clone(),
                    image: s.image.clone(),
                    essential: s.essential,
                    cpu: s.cpu,
                    memory: s.memory,
                    port: s.port.map(|p| p as i32),
                    command: s.command.clone(),
                    environment: s.environment_variables.clone(),
                    secrets: s.secrets.clone(),
                    repository_credentials: s
                        .use_repository_credentials
                        .then(|| spec.repository_credentials_secret_arn.clone())
                        .flatten(),
                })
                .collect(),
            tags,
        }),
    );

    let mut strategy = Vec::new();
    for (provider, weight, base) in [
        ("FARGATE", spec.capacity.fargate_weight, spec.capacity.base),
        ("FARGATE_SPOT", spec.capacity.spot_weight, 0),
    ] {
        if weight > 0 || base > 0 {
            strategy.push(CapacityProviderStrategyItem {
                provider: provider.to_string(),
                weight: weight as i32,
                base: base as i32,
            });
        }
    }
    let svc_key = service_key();
    let tags = ctx.tags(&svc_key, "");
    let desired_count = match &spec.autoscaling {
        Some(a) => spec.desired_count.clamp(a.min, a.max.max(a.min)),
        None => spec.desired_count,
    };
    ctx.add(
        svc_key.clone(),
        ChildSpec::EcsService(EcsServiceSpec {
            name: spec.name.clone(),
            cluster: NodeKey::new(Kind::EcsCluster, &[]),
            task_definition: td_key.clone(),
            desired_count,
            autoscaling_owns_count: spec.autoscaling.is_some(),
            subnets: env.private_subnets(),
            security_groups: vec![group.clone()],
            capacity_strategy: strategy,
            load_balancer,
            health_check_grace_seconds: grace,
            min_healthy_percent: spec.deployment.min_healthy_percent,
            max_percent: spec.deployment.max_percent,
            circuit_breaker: spec.deployment.circuit_breaker,
            enable_execute_command: spec.exec_enabled,
            wait_for_deployment: spec.deployment.wait,
            service_connect: service_connect(spec, env),
            tags,
        }),
    );

    if let Some(scaling) = &spec.autoscaling {
        let target = NodeKey::new(Kind::ScalableTarget, &["service"]);
        ctx.add(
            target.clone(),
            ChildSpec::ScalableTarget(ScalableTargetSpec {
                service: svc_key,
                min_capacity: scaling.min,
                max_capacity: scaling.max,
            }),
        );
        let mut policies = vec![("cpu", "ECSServiceAverageCPUUtilization", scaling.cpu_target)];
        if let Some(memory) = scaling.memory_target {
            policies.push(("memory", "ECSServiceAverageMemoryUtilization", memory));
        }
        let backlog = scaling.queue.as_ref().map(|queue| {
            (
                queue
                    .queue_name
                    .clone()
                    .unwrap_or_else(|| UNKNOWN_ARN.to_string()),
                queue.messages_per_task,
            )
        });
        if let Some((_, messages)) = &backlog {
            policies.push(("queue", QUEUE_BACKLOG_METRIC, *messages));
        }
        for (name, metric, target_value) in policies {
            let key = NodeKey::new(Kind::ScalingPolicy, &[name]);
            ctx.add(
                key,
                ChildSpec::ScalingPolicy(ScalingPolicySpec {
                    target: target.clone(),
                    name: format!("{}-{}-{name}", env.name, spec.name),
                    metric: metric.to_string(),
                    target_value,
                    queue_backlog: (name == "queue")
                        .then(|| backlog.as_ref().map(|(queue, _)| queue.clone()))
                        .flatten(),
                    scale_in_cooldown_seconds: scaling.scale_in_cooldown,
                    scale_out_cooldown_seconds: scaling.scale_out_cooldown,
                }),
            );
        }
    }

    // Scheduled runs: one role for all of them, one schedule per block in the environment's
    // group, following the task definition to each new revision.
    if !spec.schedules.is_empty() {
        let role_key = scheduler_role_key();
        let tags = ctx.tags(&role_key, "scheduler");
        ctx.add(
            role_key.clone(),
            ChildSpec::IamRole(IamRoleSpec {
                name: ctx.role_name("scheduler"),
                assume_role_policy: scheduler_trust(env.account_id().unwrap_or(UNKNOWN_ARN)),
                inline_policies: [(
                    "run-task".to_string(),
                    scheduler_policy(spec, env, &exec_role_name, &task_role_name),
                )]
                .into(),
                managed_policy_arns: Vec::new(),
                permissions_boundary_arn: spec.iam.permissions_boundary_arn.clone(),
                tags,
            }),
        );
        for schedule in &spec.schedules {
            let key = schedule_key(&schedule.name);
            let description = format!(
                "Runs service {} of environment {} {}",
                spec.name,
                env.name,
                ownership_marker(&ctx.owner, &key)
            );
            ctx.add(
                key,
                ChildSpec::Schedule(SchedulerScheduleSpec {
                    name: schedule_name(&spec.name, &schedule.name),
                    group: schedule_group_name(&env.name),
                    expression: schedule.expression.clone(),
                    timezone: schedule.timezone.clone(),
                    description,
                    cluster: NodeKey::new(Kind::EcsCluster, &[]),
                    task_definition: td_key.clone(),
                    role: role_key.clone(),
                    subnets: env.private_subnets(),
                    security_groups: vec![group.clone()],
                    container: spec.name.clone(),
                    command: schedule.command.clone(),
                    fixed_in_sync: true,
                }),
            );
        }
    }

    // Only the environment objects the graph refers to are kept as external references.
    let referenced: std::collections::BTreeSet<NodeKey> = ctx
        .out
        .values()
        .flat_map(|n| n.spec.references().into_iter().cloned())
        .filter(|k| !ctx.out.contains_key(k))
        .collect();
    external.retain(|k, _| referenced.contains(k));
    AppGraph {
        nodes: ctx.out,
        external,
    }
}
