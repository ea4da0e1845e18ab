//! The IAM actions the deploying role needs, per resource type, and a least-privilege deployer
//! policy built from them. Pure data: the lists follow the SDK calls in `aws/` (one list per
//! child kind, plus what each resource calls itself), and `tests/docs.rs` scans `aws/` so an
//! operation without an action here fails the build's tests.

use crate::plan::node::Kind;

/// The resources the provider offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceType {
    Environment,
    Service,
    Database,
    Cache,
    Queue,
    Topic,
    Bucket,
}

/// Roles the provider creates are all named `platform-<environment>-…` (no path), so role
/// management and `iam:PassRole` can be limited to them.
pub const PROVIDER_ROLE_ARN: &str = "arn:aws:iam::*:role/platform-*";

/// Service-linked roles live under this path; AWS creates them on first use of a service.
pub const SERVICE_LINKED_ROLE_ARN: &str = "arn:aws:iam::*:role/aws-service-role/*";

/// Secrets the provider creates (`platform/<environment>/…`) and the master-user secrets RDS
/// creates for a database (`rds!…`), which the connection secret reads.
pub const SECRET_ARNS: &[&str] = &[
    "arn:aws:secretsmanager:*:*:secret:platform/*",
    "arn:aws:secretsmanager:*:*:secret:rds!*",
];

/// Queues, topics and buckets: their names are `<environment>-<name>[…]`, so the ARN narrows
/// only the service.
pub const MESSAGING_ARNS: &[&str] = &["arn:aws:s3:::*", "arn:aws:sns:*:*:*", "arn:aws:sqs:*:*:*"];

/// CloudFront distributions and origin access controls: IDs are random and CloudFront is
/// global, so the ARN narrows only the type. Listings take no resource.
pub const CLOUDFRONT_ARNS: &[&str] = &[
    "arn:aws:cloudfront::*:distribution/*",
    "arn:aws:cloudfront::*:origin-access-control/*",
];

/// EventBridge Scheduler's schedule groups and the schedules in them: every Scheduler action
/// the provider calls names one of them.
pub const SCHEDULER_ARNS: &[&str] = &[
    "arn:aws:scheduler:*:*:schedule-group/*",
    "arn:aws:scheduler:*:*:schedule/*/*",
];

/// Cloud Map namespaces: their IDs are random, so the ARN only narrows the service and type.
pub const NAMESPACE_ARN: &str = "arn:aws:servicediscovery:*:*:namespace/*";

/// Cloud Map actions that take the namespace's tags as a condition: only the provider's
/// environments' namespaces (`platform:owner = environment/<name>`) may be changed or deleted.
const NAMESPACE_OWNED_ACTIONS: &[&str] = &[
    "servicediscovery:DeleteNamespace",
    "servicediscovery:UntagResource",
    "servicediscovery:UpdatePrivateDnsNamespace",
];

/// The ownership tag (`platform:owner`) a namespace carries from its create on, in the request
/// and on the resource, and the owners it may name.
const NAMESPACE_REQUEST_TAG: &str = "aws:RequestTag/platform:owner";
const NAMESPACE_RESOURCE_TAG: &str = "aws:ResourceTag/platform:owner";
const NAMESPACE_OWNERS: &str = "environment/*";

/// Configuring the provider checks the credentials (STS needs no permission for it, but an
/// explicit deny would break it).
pub const PROVIDER_ACTIONS: &[&str] = &["sts:GetCallerIdentity"];

/// IAM and Secrets Manager actions with no resource-level permissions (one password, or a
/// listing of every role or secret): they are granted on `*`.
pub const UNSCOPED_ACTIONS: &[&str] = &[
    "iam:GetAccountAuthorizationDetails",
    "secretsmanager:GetRandomPassword",
    "secretsmanager:ListSecrets",
];

/// True for actions that only read (Describe, List, Get).
pub fn is_read_only(action: &str) -> bool {
    let name = action.split_once(':').map_or(action, |(_, name)| name);
    ["Describe", "List", "Get"]
        .iter()
        .any(|verb| name.starts_with(verb))
}

impl ResourceType {
    pub const ALL: [ResourceType; 7] = [
        ResourceType::Environment,
        ResourceType::Service,
        ResourceType::Database,
        ResourceType::Cache,
        ResourceType::Queue,
        ResourceType::Topic,
        ResourceType::Bucket,
    ];

    pub fn type_name(self) -> &'static str {
        match self {
            ResourceType::Environment => "platform_environment",
            ResourceType::Service => "platform_service",
            ResourceType::Database => "platform_database",
            ResourceType::Cache => "platform_cache",
            ResourceType::Queue => "platform_queue",
            ResourceType::Topic => "platform_topic",
            ResourceType::Bucket => "platform_bucket",
        }
    }

    pub fn from_type_name(name: &str) -> Option<ResourceType> {
        ResourceType::ALL
            .into_iter()
            .find(|t| t.type_name() == name)
    }

    /// The child kinds the resource creates and owns.
    pub fn managed_kinds(self) -> &'static [Kind] {
        match self {
            ResourceType::Environment => &[
                Kind::Vpc,
                Kind::Subnet,
                Kind::InternetGateway,
                Kind::ElasticIp,
                Kind::NatGateway,
                Kind::RouteTable,
                Kind::Route,
                Kind::RouteTableAssociation,
                Kind::SecurityGroup,
                Kind::SecurityGroupRule,
                Kind::VpcEndpoint,
                Kind::FlowLog,
                Kind::LogGroup,
                Kind::IamRole,
                Kind::EcsCluster,
                Kind::DbSubnetGroup,
                Kind::CacheSubnetGroup,
                Kind::LoadBalancer,
                Kind::Listener,
                Kind::Certificate,
                Kind::PrivateDnsNamespace,
                Kind::ScheduleGroup,
            ],
            ResourceType::Service => &[
                Kind::IamRole,
                Kind::LogGroup,
                Kind::SecurityGroup,
                Kind::SecurityGroupRule,
                Kind::TaskDefinition,
                Kind::EcsService,
                Kind::TargetGroup,
                Kind::ListenerRule,
                Kind::ScalableTarget,
                Kind::ScalingPolicy,
                Kind::Secret,
                Kind::Schedule,
            ],
            ResourceType::Database => &[
                Kind::SecurityGroup,
                Kind::SecurityGroupRule,
                Kind::DbParameterGroup,
                Kind::DbInstance,
                Kind::Secret,
            ],
            ResourceType::Cache => &[
                Kind::SecurityGroup,
                Kind::SecurityGroupRule,
                Kind::ReplicationGroup,
                Kind::Secret,
            ],
            ResourceType::Queue => &[Kind::Queue, Kind::Subscription],
            ResourceType::Topic => &[Kind::Topic],
            ResourceType::Bucket => &[
                Kind::Bucket,
                Kind::BucketPolicy,
                Kind::OriginAccessControl,
                Kind::Distribution,
            ],
        }
    }

    /// Calls the resource makes itself, beyond its children's: plan-time reads, discovery for
    /// import, and the environment's check that no app resource remains before destroy.
    fn own_actions(self) -> &'static [&'static str] {
        match self {
            ResourceType::Environment => &[
                "ec2:DescribeAvailabilityZones",
                "ecs:DescribeServices",
                "ecs:ListServices",
                "elasticache:DescribeCacheClusters",
                "rds:DescribeDBInstances",
            ],
            // A service finds the connection secrets of the databases and caches it uses, and
            // the queues and topics it sends to or receives from.
            ResourceType::Service => &[
                "s3:GetBucketTagging",
                "s3:GetEncryptionConfiguration",
                "secretsmanager:DescribeSecret",
                "sns:GetTopicAttributes",
                "sns:ListTagsForResource",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:ListQueueTags",
            ],
            // A queue finds the topics it subscribes to.
            ResourceType::Queue => &["sns:GetTopicAttributes", "sns:ListTagsForResource"],
            // A bucket's CDN certificate is checked at plan (ACM in us-east-1).
            ResourceType::Bucket => &["acm:DescribeCertificate"],
            ResourceType::Database | ResourceType::Cache | ResourceType::Topic => &[],
        }
    }

    /// Services the resource hands its own roles to (`iam:PassedToService`).
    pub fn passed_role_services(self) -> &'static [&'static str] {
        match self {
            // The flow logs role.
            ResourceType::Environment => &["vpc-flow-logs.amazonaws.com"],
            // The task and execution roles to ECS; the scheduler role to EventBridge Scheduler.
            ResourceType::Service => &["ecs-tasks.amazonaws.com", "scheduler.amazonaws.com"],
            ResourceType::Database
            | ResourceType::Cache
            | ResourceType::Queue
            | ResourceType::Topic
            | ResourceType::Bucket => &[],
        }
    }

    /// Services whose service-linked role AWS creates on the first use in an account.
    pub fn service_linked_roles(self) -> &'static [&'static str] {
        match self {
            ResourceType::Environment => {
                &["ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com"]
            }
            ResourceType::Service => &[
                "ecs.amazonaws.com",
                "ecs.application-autoscaling.amazonaws.com",
            ],
            ResourceType::Database => &["rds.amazonaws.com"],
            ResourceType::Cache => &["elasticache.amazonaws.com"],
            ResourceType::Queue | ResourceType::Topic | ResourceType::Bucket => &[],
        }
    }

    /// Services that use KMS keys on the caller's behalf (`kms:ViaService`): encrypted
    /// storage with `kms_key_arn` and the RDS-managed master-user secret.
    pub fn kms_via_services(self) -> &'static [&'static str] {
        match self {
            ResourceType::Database => &["rds.*.amazonaws.com"],
            ResourceType::Cache => &["elasticache.*.amazonaws.com"],
            ResourceType::Environment
            | ResourceType::Service
            | ResourceType::Queue
            | ResourceType::Topic
            | ResourceType::Bucket => &[],
        }
    }

    /// Every action the deploying role needs for this resource, sorted and unique. App
    /// resources also read their environment the way `data "platform_environment"` does.
    pub fn actions(self) -> Vec<&'static str> {
        let mut actions: Vec<&'static str> = PROVIDER_ACTIONS.to_vec();
        for kind in self.managed_kinds() {
            actions.extend_from_slice(kind.iam_actions());
        }
        actions.extend_from_slice(self.own_actions());
        if self != ResourceType::Environment {
            actions.extend(environment_read_actions());
        }
        if !self.passed_role_services().is_empty() {
            actions.push("iam:PassRole");
        }
        if !self.service_linked_roles().is_empty() {
            actions.push("iam:CreateServiceLinkedRole");
        }
        if !self.kms_via_services().is_empty() {
            actions.extend(KMS_ACTIONS);
        }
        actions.sort_unstable();
        actions.dedup();
        actions
    }
}

const KMS_ACTIONS: [&str; 2] = ["kms:CreateGrant", "kms:DescribeKey"];

/// What reading an environment needs (its data source, and every app resource): the
/// environment's read-only actions, less those AWS checks only while creating on the
/// provider's behalf (a namespace's Route 53 zone).
pub fn environment_read_actions() -> Vec<&'static str> {
    let mut actions: Vec<&'static str> = PROVIDER_ACTIONS.to_vec();
    for kind in ResourceType::Environment.managed_kinds() {
        actions.extend(
            kind.iam_actions()
                .iter()
                .filter(|a| is_read_only(a) && !kind.indirect_iam_actions().contains(a)),
        );
    }
    actions.extend(
        ResourceType::Environment
            .own_actions()
            .iter()
            .filter(|a| is_read_only(a)),
    );
    actions.sort_unstable();
    actions.dedup();
    actions
}

/// One statement of a policy document.
struct Statement {
    sid: &'static str,
    actions: Vec<&'static str>,
    resources: Vec<&'static str>,
    /// (operator, key, values).
    condition: Option<(&'static str, &'static str, Vec<&'static str>)>,
}

fn sorted_unique<'a>(items: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut items: Vec<&str> = items.into_iter().collect();
    items.sort_unstable();
    items.dedup();
    items
}

fn statements(resource_types: &[ResourceType]) -> Vec<Statement> {
    let all = sorted_unique(
        PROVIDER_ACTIONS
            .iter()
            .copied()
            .chain(resource_types.iter().flat_map(|t| t.actions())),
    );
    let special = ["iam:PassRole", "iam:CreateServiceLinkedRole"];
    let is_role_action =
        |a: &str| a.starts_with("iam:") && !special.contains(&a) && !UNSCOPED_ACTIONS.contains(&a);
    let is_scoped_secret_action =
        |a: &str| a.starts_with("secretsmanager:") && !UNSCOPED_ACTIONS.contains(&a);
    let mut out = Vec::new();
    let mut push = |sid, actions: Vec<&'static str>, resources, condition| {
        if !actions.is_empty() {
            out.push(Statement {
                sid,
                actions,
                resources,
                condition,
            });
        }
    };
    // Queue, topic and bucket actions name the object (SNS and SQS List* take none; S3's
    // ListBucket and ListBucketVersions name the bucket).
    let is_messaging_action = |a: &str| {
        ((a.starts_with("sqs:") || a.starts_with("sns:")) && !a.contains(":List"))
            || a.starts_with("s3:")
    };
    let is_cloudfront_action = |a: &str| a.starts_with("cloudfront:") && !a.contains(":List");
    let is_scheduler_action = |a: &str| a.starts_with("scheduler:");
    let is_namespace_action = |a: &str| {
        NAMESPACE_OWNED_ACTIONS.contains(&a)
            || a == "servicediscovery:CreatePrivateDnsNamespace"
            || a == "servicediscovery:TagResource"
    };
    push(
        "PlatformObjects",
        all.iter()
            .copied()
            .filter(|a| {
                !is_role_action(a)
                    && !is_scoped_secret_action(a)
                    && !special.contains(a)
                    && !KMS_ACTIONS.contains(a)
                    && !is_namespace_action(a)
                    && !is_messaging_action(a)
                    && !is_cloudfront_action(a)
                    && !is_scheduler_action(a)
            })
            .collect(),
        vec!["*"],
        None,
    );
    push(
        "PlatformSchedules",
        all.iter()
            .copied()
            .filter(|a| is_scheduler_action(a))
            .collect(),
        SCHEDULER_ARNS.to_vec(),
        None,
    );
    push(
        "PlatformDistributions",
        all.iter()
            .copied()
            .filter(|a| is_cloudfront_action(a))
            .collect(),
        CLOUDFRONT_ARNS.to_vec(),
        None,
    );
    push(
        "PlatformQueuesTopicsAndBuckets",
        all.iter()
            .copied()
            .filter(|a| is_messaging_action(a))
            .collect(),
        MESSAGING_ARNS.to_vec(),
        None,
    );
    // Namespaces: created only with the ownership tag, changed and deleted only when they carry
    // it. Tagging is limited to namespaces (a tag sync need not repeat the ownership tag).
    push(
        "CreatePlatformNamespaces",
        all.iter()
            .copied()
            .filter(|a| *a == "servicediscovery:CreatePrivateDnsNamespace")
            .collect(),
        vec!["*"],
        Some(("StringLike", NAMESPACE_REQUEST_TAG, vec![NAMESPACE_OWNERS])),
    );
    push(
        "PlatformNamespaces",
        all.iter()
            .copied()
            .filter(|a| NAMESPACE_OWNED_ACTIONS.contains(a))
            .collect(),
        vec![NAMESPACE_ARN],
        Some(("StringLike", NAMESPACE_RESOURCE_TAG, vec![NAMESPACE_OWNERS])),
    );
    push(
        "TagNamespaces",
        all.iter()
            .copied()
            .filter(|a| *a == "servicediscovery:TagResource")
            .collect(),
        vec![NAMESPACE_ARN],
        None,
    );
    push(
        "PlatformSecrets",
        all.iter()
            .copied()
            .filter(|a| is_scoped_secret_action(a))
            .collect(),
        SECRET_ARNS.to_vec(),
        None,
    );
    push(
        "PlatformRoles",
        all.iter().copied().filter(|a| is_role_action(a)).collect(),
        vec![PROVIDER_ROLE_ARN],
        None,
    );
    let passed = sorted_unique(
        resource_types
            .iter()
            .flat_map(|t| t.passed_role_services().iter().copied()),
    );
    if !passed.is_empty() {
        push(
            "PassPlatformRoles",
            vec!["iam:PassRole"],
            vec![PROVIDER_ROLE_ARN],
            Some(("StringEquals", "iam:PassedToService", passed)),
        );
    }
    let linked = sorted_unique(
        resource_types
            .iter()
            .flat_map(|t| t.service_linked_roles().iter().copied()),
    );
    if !linked.is_empty() {
        push(
            "ServiceLinkedRoles",
            vec!["iam:CreateServiceLinkedRole"],
            vec![SERVICE_LINKED_ROLE_ARN],
            Some(("StringEquals", "iam:AWSServiceName", linked)),
        );
    }
    let via = sorted_unique(
        resource_types
            .iter()
            .flat_map(|t| t.kms_via_services().iter().copied()),
    );
    if !via.is_empty() {
        push(
            "KeysThroughServices",
            KMS_ACTIONS.to_vec(),
            vec!["*"],
            Some(("StringLike", "kms:ViaService", via)),
        );
    }
    out
}

fn json_string(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

/// `"a"` for one value, an indented array for several.
fn json_values(values: &[&str], indent: &str) -> String {
    match values {
        [one] => json_string(one),
        many => {
            let items: Vec<String> = many
                .iter()
                .map(|v| format!("{indent}  {}", json_string(v)))
                .collect();
            format!("[\n{}\n{indent}]", items.join(",\n"))
        }
    }
}

/// A least-privilege IAM policy document for deploying the given resource types, as
/// indented JSON with a stable order (statements, then `Sid`, `Effect`, `Action`, `Resource`,
/// `Condition`). Object-level actions take `*` because the objects' IDs are minted by AWS;
/// IAM role actions and Secrets Manager actions are limited to the names the provider uses.
pub fn deployer_policy_json(resource_types: &[ResourceType]) -> String {
    let statements: Vec<String> = statements(resource_types)
        .iter()
        .map(|s| {
            let mut fields = vec![
                format!("      \"Sid\": {}", json_string(s.sid)),
                "      \"Effect\": \"Allow\"".to_string(),
                format!("      \"Action\": {}", json_values(&s.actions, "      ")),
                format!("      \"Resource\": {}", json_values(&s.resources, "      ")),
            ];
            if let Some((operator, key, values)) = &s.condition {
                fields.push(format!(
                    "      \"Condition\": {{\n        {}: {{\n          {}: {}\n        }}\n      }}",
                    json_string(operator),
                    json_string(key),
                    json_values(values, "          "),
                ));
            }
            format!("    {{\n{}\n    }}", fields.join(",\n"))
        })
        .collect();
    format!(
        "{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n{}\n  ]\n}}\n",
        statements.join(",\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_sorted_unique(what: &str, items: &[&str]) {
        let mut sorted = items.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(items, sorted.as_slice(), "{what}: not sorted and unique");
    }

    #[test]
    fn every_list_is_sorted_unique_and_well_formed() {
        for &kind in Kind::ALL {
            let actions = kind.iam_actions();
            assert_sorted_unique(kind.prefix(), actions);
            for action in actions {
                let (service, name) = action.split_once(':').expect("service:Action");
                assert!(!service.is_empty() && name.starts_with(|c: char| c.is_ascii_uppercase()));
            }
        }
        for t in ResourceType::ALL {
            assert_sorted_unique(t.type_name(), t.own_actions());
            assert_sorted_unique(t.type_name(), &t.actions());
            assert_eq!(ResourceType::from_type_name(t.type_name()), Some(t));
        }
    }

    #[test]
    fn app_resources_can_read_their_environment() {
        let reads = environment_read_actions();
        assert!(reads.contains(&"ec2:DescribeVpcs") && reads.contains(&"iam:GetRole"));
        assert!(reads.iter().all(|a| is_read_only(a)));
        for t in [
            ResourceType::Service,
            ResourceType::Database,
            ResourceType::Cache,
        ] {
            let actions = t.actions();
            for read in &reads {
                assert!(actions.contains(read), "{}: {read}", t.type_name());
            }
            assert!(!actions.contains(&"ec2:CreateVpc"), "{}", t.type_name());
        }
    }

    /// Every kind an expansion names is one the resource manages, or one of the
    /// environment's, which app resources only read (external references).
    #[test]
    fn expansions_use_only_covered_kinds() {
        for (t, source) in [
            (
                ResourceType::Environment,
                include_str!("expand/environment.rs"),
            ),
            (ResourceType::Service, include_str!("expand/service.rs")),
            (ResourceType::Database, include_str!("expand/database.rs")),
            (ResourceType::Cache, include_str!("expand/cache.rs")),
            // Both expansions share a file; each names only its own kinds and the other's.
            (ResourceType::Queue, include_str!("expand/messaging.rs")),
            (ResourceType::Topic, include_str!("expand/messaging.rs")),
            (ResourceType::Bucket, include_str!("expand/bucket.rs")),
        ] {
            for &kind in Kind::ALL {
                let named = source
                    .match_indices(&format!("Kind::{kind:?}"))
                    .any(|(at, m)| {
                        !source[at + m.len()..].starts_with(|c: char| c.is_ascii_alphanumeric())
                            && !source[..at].ends_with(|c: char| c.is_ascii_alphanumeric())
                    });
                let messaging = [ResourceType::Queue, ResourceType::Topic];
                let covered = t.managed_kinds().contains(&kind)
                    || ResourceType::Environment.managed_kinds().contains(&kind)
                    || (messaging.contains(&t)
                        && messaging.iter().any(|m| m.managed_kinds().contains(&kind)));
                assert!(!named || covered, "{} names {kind:?}", t.type_name());
            }
        }
    }

    #[test]
    fn namespaces_are_made_and_changed_only_with_the_ownership_tag() {
        let policy = deployer_policy_json(&[ResourceType::Environment]);
        let parsed: serde_json::Value = serde_json::from_str(&policy).expect("valid JSON");
        let statements = parsed["Statement"].as_array().expect("statements");
        let sid = |name: &str| {
            statements
                .iter()
                .find(|s| s["Sid"] == name)
                .unwrap_or_else(|| panic!("no {name} statement"))
        };
        let create = sid("CreatePlatformNamespaces");
        assert_eq!(
            create["Action"],
            "servicediscovery:CreatePrivateDnsNamespace"
        );
        assert_eq!(
            create["Condition"]["StringLike"]["aws:RequestTag/platform:owner"],
            serde_json::json!("environment/*")
        );
        let owned = sid("PlatformNamespaces");
        assert_eq!(owned["Resource"], NAMESPACE_ARN);
        assert_eq!(
            owned["Condition"]["StringLike"]["aws:ResourceTag/platform:owner"],
            serde_json::json!("environment/*")
        );
        // No Cloud Map write is left on every resource.
        let objects = sid("PlatformObjects")["Action"].to_string();
        for action in NAMESPACE_OWNED_ACTIONS.iter().chain(&[
            "servicediscovery:CreatePrivateDnsNamespace",
            "servicediscovery:TagResource",
        ]) {
            assert!(!objects.contains(action), "{action} on *");
        }
    }

    #[test]
    fn pass_role_is_limited_to_the_provider_roles() {
        let policy = deployer_policy_json(&ResourceType::ALL);
        let parsed: serde_json::Value = serde_json::from_str(&policy).expect("valid JSON");
        let statements = parsed["Statement"].as_array().expect("statements");
        let pass = statements
            .iter()
            .find(|s| s["Action"] == "iam:PassRole")
            .expect("a PassRole statement");
        assert_eq!(pass["Resource"], PROVIDER_ROLE_ARN);
        assert_eq!(
            pass["Condition"]["StringEquals"]["iam:PassedToService"],
            serde_json::json!([
                "ecs-tasks.amazonaws.com",
                "scheduler.amazonaws.com",
                "vpc-flow-logs.amazonaws.com"
            ])
        );
        for s in statements {
            let actions: Vec<&str> = match &s["Action"] {
                serde_json::Value::String(a) => vec![a.as_str()],
                other => other
                    .as_array()
                    .expect("actions")
                    .iter()
                    .filter_map(|a| a.as_str())
                    .collect(),
            };
            // Listing every role cannot be scoped to some; nothing else of IAM is on `*`.
            if actions
                .iter()
                .any(|a| a.starts_with("iam:") && !UNSCOPED_ACTIONS.contains(a))
            {
                assert_ne!(s["Resource"], "*", "{}", s["Sid"]);
            }
        }
    }

    #[test]
    fn distributions_and_schedules_are_granted_on_their_arns_only() {
        let policy = deployer_policy_json(&ResourceType::ALL);
        let doc: serde_json::Value = serde_json::from_str(&policy).expect("JSON");
        for s in doc["Statement"].as_array().expect("statements") {
            let actions: Vec<&str> = match &s["Action"] {
                serde_json::Value::String(a) => vec![a.as_str()],
                other => other
                    .as_array()
                    .expect("actions")
                    .iter()
                    .filter_map(|a| a.as_str())
                    .collect(),
            };
            let scoped = |prefix: &str| {
                actions
                    .iter()
                    .any(|a| a.starts_with(prefix) && !a.contains(":List"))
            };
            if scoped("cloudfront:") {
                assert_eq!(
                    s["Resource"],
                    serde_json::json!(CLOUDFRONT_ARNS),
                    "{}",
                    s["Sid"]
                );
            }
            if actions.iter().any(|a| a.starts_with("scheduler:")) {
                assert_eq!(
                    s["Resource"],
                    serde_json::json!(SCHEDULER_ARNS),
                    "{}",
                    s["Sid"]
                );
            }
        }
        assert!(
            policy.contains("\"PlatformDistributions\"")
                && policy.contains("\"PlatformSchedules\"")
        );
    }

    #[test]
    fn cache_policy_golden() {
        let expected = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "PlatformObjects",
      "Effect": "Allow",
      "Action": [
        "acm:DescribeCertificate",
        "acm:ListCertificates",
        "acm:ListTagsForCertificate",
        "ec2:AuthorizeSecurityGroupEgress",
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:CreateSecurityGroup",
        "ec2:CreateTags",
        "ec2:DeleteNetworkInterface",
        "ec2:DeleteSecurityGroup",
        "ec2:DeleteTags",
        "ec2:DescribeAddresses",
        "ec2:DescribeAvailabilityZones",
        "ec2:DescribeFlowLogs",
        "ec2:DescribeInternetGateways",
        "ec2:DescribeNatGateways",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeRouteTables",
        "ec2:DescribeSecurityGroupRules",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcAttribute",
        "ec2:DescribeVpcEndpoints",
        "ec2:DescribeVpcs",
        "ec2:ModifySecurityGroupRules",
        "ec2:RevokeSecurityGroupEgress",
        "ec2:RevokeSecurityGroupIngress",
        "ecs:DescribeClusters",
        "ecs:DescribeServices",
        "ecs:ListServices",
        "elasticache:AddTagsToResource",
        "elasticache:CreateReplicationGroup",
        "elasticache:DecreaseReplicaCount",
        "elasticache:DeleteReplicationGroup",
        "elasticache:DescribeCacheClusters",
        "elasticache:DescribeCacheSubnetGroups",
        "elasticache:DescribeReplicationGroups",
        "elasticache:IncreaseReplicaCount",
        "elasticache:ListTagsForResource",
        "elasticache:ModifyReplicationGroup",
        "elasticache:RemoveTagsFromResource",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeTags",
        "iam:GetAccountAuthorizationDetails",
        "logs:DescribeLogGroups",
        "logs:ListTagsForResource",
        "rds:DescribeDBInstances",
        "rds:DescribeDBSubnetGroups",
        "rds:ListTagsForResource",
        "secretsmanager:GetRandomPassword",
        "secretsmanager:ListSecrets",
        "servicediscovery:GetNamespace",
        "servicediscovery:GetOperation",
        "servicediscovery:ListNamespaces",
        "servicediscovery:ListServices",
        "servicediscovery:ListTagsForResource",
        "sts:GetCallerIdentity"
      ],
      "Resource": "*"
    },
    {
      "Sid": "PlatformSchedules",
      "Effect": "Allow",
      "Action": [
        "scheduler:GetScheduleGroup",
        "scheduler:ListTagsForResource"
      ],
      "Resource": [
        "arn:aws:scheduler:*:*:schedule-group/*",
        "arn:aws:scheduler:*:*:schedule/*/*"
      ]
    },
    {
      "Sid": "PlatformSecrets",
      "Effect": "Allow",
      "Action": [
        "secretsmanager:CreateSecret",
        "secretsmanager:DeleteSecret",
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue",
        "secretsmanager:PutSecretValue",
        "secretsmanager:RestoreSecret",
        "secretsmanager:TagResource",
        "secretsmanager:UntagResource",
        "secretsmanager:UpdateSecret"
      ],
      "Resource": [
        "arn:aws:secretsmanager:*:*:secret:platform/*",
        "arn:aws:secretsmanager:*:*:secret:rds!*"
      ]
    },
    {
      "Sid": "PlatformRoles",
      "Effect": "Allow",
      "Action": [
        "iam:GetRole",
        "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies",
        "iam:ListRolePolicies"
      ],
      "Resource": "arn:aws:iam::*:role/platform-*"
    },
    {
      "Sid": "ServiceLinkedRoles",
      "Effect": "Allow",
      "Action": "iam:CreateServiceLinkedRole",
      "Resource": "arn:aws:iam::*:role/aws-service-role/*",
      "Condition": {
        "StringEquals": {
          "iam:AWSServiceName": "elasticache.amazonaws.com"
        }
      }
    },
    {
      "Sid": "KeysThroughServices",
      "Effect": "Allow",
      "Action": [
        "kms:CreateGrant",
        "kms:DescribeKey"
      ],
      "Resource": "*",
      "Condition": {
        "StringLike": {
          "kms:ViaService": "elasticache.*.amazonaws.com"
        }
      }
    }
  ]
}
"#;
        let actual = deployer_policy_json(&[ResourceType::Cache]);
        assert_eq!(actual, expected, "actual:\n{actual}");
        // The provider block alone still checks the credentials.
        let bare: serde_json::Value =
            serde_json::from_str(&deployer_policy_json(&[])).expect("valid JSON");
        assert_eq!(
            bare["Statement"],
            serde_json::json!([{
                "Sid": "PlatformObjects",
                "Effect": "Allow",
                "Action": "sts:GetCallerIdentity",
                "Resource": "*"
            }])
        );
    }
}
