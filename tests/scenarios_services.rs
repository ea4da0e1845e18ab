//! The executor for the named service kinds (log group, IAM role, ECS cluster, DB and cache
//! subnet groups) against mocked SDK responses: adoption, delete ordering, in-use retries,
//! gone-on-read and IAM's URL-encoded documents, which the emulator cannot all show.

mod common;

use common::{clients, Mocks};

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_mocks::{mock, Rule};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use tokio_util::sync::CancellationToken;

use terraform_provider_platform::apply::{self, Executor as ApplyExecutor, RunOptions};
use terraform_provider_platform::aws::ec2::subnet::SubnetSpec;
use terraform_provider_platform::aws::ecs::cluster::{
    CapacityProviderStrategyItem, EcsClusterSpec,
};
use terraform_provider_platform::aws::elasticache::cache_subnet_group::CacheSubnetGroupSpec;
use terraform_provider_platform::aws::iam::role::IamRoleSpec;
use terraform_provider_platform::aws::logs::log_group::LogGroupSpec;
use terraform_provider_platform::aws::rds::db_subnet_group::DbSubnetGroupSpec;
use terraform_provider_platform::aws::Executor;
use terraform_provider_platform::plan::diff::diff;
use terraform_provider_platform::plan::ledger::{Ledger, Recorded};
use terraform_provider_platform::plan::node::*;

/// The scenarios this file covers, one test each (or more where noted).
#[derive(Debug)]
enum Scenario {
    RoleCreateWithPolicies,
    RoleDeleteOrder,
    LogGroupCreated,
    LogGroupAdopted,
    LogGroupNameTaken,
    ClusterCreateAndAdopt,
    ClusterDeleteInUse,
    DbSubnetGroupCreate,
    DbSubnetGroupDeleteInUse,
    CacheSubnetGroupCreate,
    CacheSubnetGroupDeleteInUse,
    GoneOnRead,
    IamDocumentsUrlEncoded,
    EnvironmentInUse,
}

const OWNER: &str = "environment/test";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/test-flow-logs";
const CLUSTER_ARN: &str = "arn:aws:ecs:us-east-1:123456789012:cluster/test";

/// An error as the query protocol (IAM, RDS, ElastiCache) sends it.
fn query_error(code: &str, status: u16) -> HttpResponse {
    let body = format!(
        "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>mocked {code}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
    );
    HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body))
}

/// An error as the JSON protocol (ECS, CloudWatch Logs) sends it.
fn json_error(code: &str) -> HttpResponse {
    let body = format!(r#"{{"__type":"{code}","message":"mocked {code}"}}"#);
    HttpResponse::new(StatusCode::try_from(400).unwrap(), SdkBody::from(body))
}

fn opts() -> RunOptions {
    RunOptions {
        concurrency: 4,
        cancel: CancellationToken::new(),
        deadline: tokio::time::Instant::now() + Duration::from_secs(600),
    }
}

fn owner_tags(key: &NodeKey, owner: &str) -> Tags {
    [
        ("platform:managed-by", "terraform-provider-platform"),
        ("platform:owner", owner),
        ("platform:node", key.as_str()),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn graph(nodes: Vec<(NodeKey, ChildSpec)>) -> BTreeMap<NodeKey, Node> {
    nodes
        .into_iter()
        .map(|(key, spec)| (key.clone(), Node { key, spec }))
        .collect()
}

fn ledger(entries: Vec<(NodeKey, &str, ChildSpec)>) -> Ledger {
    let mut ledger = Ledger::new();
    for (key, id, observed) in entries {
        ledger.children.insert(
            key,
            Recorded {
                refs: Default::default(),
                id: id.into(),
                observed,
            },
        );
    }
    ledger
}

/// Records the order of calls across rules.
#[derive(Clone, Default)]
struct Calls(Arc<Mutex<Vec<String>>>);

impl Calls {
    fn push(&self, call: &str) {
        self.0.lock().unwrap().push(call.to_string());
    }
    fn get(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

// IAM

mod iam_fixtures {
    use super::*;
    pub use aws_sdk_iam::operation::{
        attach_role_policy::AttachRolePolicyOutput, create_role::CreateRoleOutput,
        delete_role::DeleteRoleOutput, delete_role_policy::DeleteRolePolicyOutput,
        detach_role_policy::DetachRolePolicyOutput,
        get_account_authorization_details::GetAccountAuthorizationDetailsOutput,
        get_role::GetRoleOutput, list_attached_role_policies::ListAttachedRolePoliciesOutput,
        list_role_policies::ListRolePoliciesOutput, put_role_policy::PutRolePolicyOutput,
    };
    pub use aws_sdk_iam::types::{
        AttachedPermissionsBoundary, AttachedPolicy, EntityType, PolicyDetail, Role, RoleDetail,
        Tag,
    };
    pub use aws_sdk_iam::Client;

    pub const ASSUME: &str = r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"vpc-flow-logs.amazonaws.com"}}],"Version":"2012-10-17"}"#;
    pub const WRITE_LOGS: &str = r#"{"Statement":[{"Action":["logs:CreateLogStream","logs:PutLogEvents"],"Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}"#;
    pub const READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    pub const BOUNDARY: &str = "arn:aws:iam::aws:policy/PowerUserAccess";

    pub fn key() -> NodeKey {
        NodeKey::new(Kind::IamRole, &["flow-logs"])
    }

    pub fn spec() -> IamRoleSpec {
        IamRoleSpec {
            name: "test-flow-logs".into(),
            assume_role_policy: ASSUME.into(),
            inline_policies: [
                ("write-logs".to_string(), WRITE_LOGS.to_string()),
                ("describe".to_string(), r#"{"Statement":[{"Action":"logs:Describe*","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}"#.to_string()),
            ]
            .into_iter()
            .collect(),
            managed_policy_arns: vec![
                "arn:aws:iam::aws:policy/CloudWatchLogsReadOnlyAccess".into(),
                READ_ONLY.into(),
            ],
            permissions_boundary_arn: None,
            tags: owner_tags(&key(), OWNER),
        }
    }

    pub fn role(assume: &str, tags: &Tags) -> Role {
        Role::builder()
            .path("/")
            .role_name("test-flow-logs")
            .role_id("AROAEXAMPLE")
            .arn(ROLE_ARN)
            .create_date(aws_smithy_types::DateTime::from_secs(0))
            .assume_role_policy_document(assume)
            .set_tags(Some(
                tags.iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build().unwrap())
                    .collect(),
            ))
            .build()
            .unwrap()
    }

    /// RFC 3986 encoding, as IAM returns documents, with some whitespace IAM keeps.
    pub fn url_encode(text: &str) -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
}

#[tokio::test(start_paused = true)]
async fn role_create_puts_inline_policies_and_attaches_managed_ones() {
    use iam_fixtures::*;
    let _ = Scenario::RoleCreateWithPolicies;
    let calls = Calls::default();
    let (c1, c2, c3) = (calls.clone(), calls.clone(), calls.clone());
    let get_role = mock!(Client::get_role).then_http_response(|| query_error("NoSuchEntity", 404));
    let create_role = mock!(Client::create_role)
        .match_requests(|r| {
            r.role_name() == Some("test-flow-logs")
                && r.assume_role_policy_document() == Some(ASSUME)
                && r.tags()
                    .iter()
                    .any(|t| t.key() == "platform:owner" && t.value() == OWNER)
        })
        .then_compute_output(move |_| {
            c1.push("CreateRole");
            CreateRoleOutput::builder()
                .role(role(ASSUME, &Tags::new()))
                .build()
        });
    let put_policy = mock!(Client::put_role_policy).then_compute_output(move |r| {
        c2.push(&format!("PutRolePolicy {}", r.policy_name().unwrap()));
        PutRolePolicyOutput::builder().build()
    });
    let attach = mock!(Client::attach_role_policy).then_compute_output(move |r| {
        c3.push(&format!("AttachRolePolicy {}", r.policy_arn().unwrap()));
        AttachRolePolicyOutput::builder().build()
    });
    let executor = Executor::new(clients(&Mocks {
        iam: vec![&get_role, &create_role, &put_policy, &attach],
        ..Mocks::default()
    }));
    let desired = graph(vec![(key(), ChildSpec::IamRole(spec()))]);
    let ops = diff(&desired, &Ledger::new());
    let outcome = apply::run(&executor, &desired, &ops, Ledger::new(), opts()).await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert_eq!(
        outcome.ledger.children[&key()].id,
        ROLE_ARN,
        "the ledger ID is the ARN"
    );
    assert_eq!(get_role.num_calls(), 0, "a free name costs no lookup");
    assert_eq!(
        calls.get(),
        [
            "CreateRole",
            "PutRolePolicy describe",
            "PutRolePolicy write-logs",
            "AttachRolePolicy arn:aws:iam::aws:policy/CloudWatchLogsReadOnlyAccess",
            "AttachRolePolicy arn:aws:iam::aws:policy/ReadOnlyAccess",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn role_create_adopts_an_owned_role_and_reconciles_it() {
    use iam_fixtures::*;
    let _ = Scenario::RoleCreateWithPolicies;
    // A crashed run created the role but attached nothing.
    let tags = owner_tags(&key(), OWNER);
    let get_role = mock!(Client::get_role).then_output(move || {
        GetRoleOutput::builder()
            .role(role(&url_encode(ASSUME), &tags))
            .build()
    });
    let list_inline = mock!(Client::list_role_policies).then_output(|| {
        ListRolePoliciesOutput::builder()
            .set_policy_names(Some(vec![]))
            .build()
            .unwrap()
    });
    let list_attached = mock!(Client::list_attached_role_policies)
        .then_output(|| ListAttachedRolePoliciesOutput::builder().build());
    let create_role =
        mock!(Client::create_role).then_http_response(|| query_error("EntityAlreadyExists", 409));
    let put_policy =
        mock!(Client::put_role_policy).then_output(|| PutRolePolicyOutput::builder().build());
    let attach =
        mock!(Client::attach_role_policy).then_output(|| AttachRolePolicyOutput::builder().build());
    let executor = Executor::new(clients(&Mocks {
        iam: vec![
            &get_role,
            &list_inline,
            &list_attached,
            &create_role,
            &put_policy,
            &attach,
        ],
        ..Mocks::default()
    }));
    let desired = graph(vec![(key(), ChildSpec::IamRole(spec()))]);
    let ops = diff(&desired, &Ledger::new());
    let outcome = apply::run(&executor, &desired, &ops, Ledger::new(), opts()).await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert_eq!(outcome.ledger.children[&key()].id, ROLE_ARN);
    assert_eq!(create_role.num_calls(), 1, "refused: the name is taken");
    assert_eq!(
        get_role.num_calls(),
        1,
        "then the holder is read and adopted"
    );
    assert_eq!(put_policy.num_calls(), 2);
    assert_eq!(attach.num_calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn role_delete_detaches_and_deletes_policies_before_the_role() {
    use iam_fixtures::*;
    let _ = Scenario::RoleDeleteOrder;
    let calls = Calls::default();
    let (c1, c2, c3) = (calls.clone(), calls.clone(), calls.clone());
    let list_attached = mock!(Client::list_attached_role_policies)
        .match_requests(|r| r.role_name() == Some("test-flow-logs"))
        .then_output(|| {
            ListAttachedRolePoliciesOutput::builder()
                .attached_policies(AttachedPolicy::builder().policy_arn(READ_ONLY).build())
                .build()
        });
    let list_inline = mock!(Client::list_role_policies).then_output(|| {
        ListRolePoliciesOutput::builder()
            .policy_names("write-logs")
            .policy_names("describe")
            .build()
            .unwrap()
    });
    let detach = mock!(Client::detach_role_policy).then_compute_output(move |r| {
        c1.push(&format!("DetachRolePolicy {}", r.policy_arn().unwrap()));
        DetachRolePolicyOutput::builder().build()
    });
    let delete_policy = mock!(Client::delete_role_policy).then_compute_output(move |r| {
        c2.push(&format!("DeleteRolePolicy {}", r.policy_name().unwrap()));
        DeleteRolePolicyOutput::builder().build()
    });
    // IAM refuses while policies remain; the first answer shows the retry path too.
    let delete_role = mock!(Client::delete_role)
        .sequence()
        .http_response(|| query_error("DeleteConflict", 409))
        .output(|| DeleteRoleOutput::builder().build())
        .build();
    let delete_role_log = mock!(Client::delete_role).then_compute_output(move |_| {
        c3.push("unexpected DeleteRole");
        DeleteRoleOutput::builder().build()
    });
    let executor = Executor::new(clients(&Mocks {
        iam: vec![
            &list_attached,
            &list_inline,
            &detach,
            &delete_policy,
            &delete_role,
            &delete_role_log,
        ],
        ..Mocks::default()
    }));
    let outcome = apply::destroy(
        &executor,
        ledger(vec![(key(), ROLE_ARN, ChildSpec::IamRole(spec()))]),
        opts(),
    )
    .await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert!(outcome.ledger.children.is_empty());
    assert_eq!(delete_role.num_calls(), 2, "DeleteConflict is retried");
    let first_round: Vec<String> = calls.get().into_iter().take(3).collect();
    assert_eq!(
        first_round,
        [
            "DetachRolePolicy arn:aws:iam::aws:policy/ReadOnlyAccess",
            "DeleteRolePolicy write-logs",
            "DeleteRolePolicy describe",
        ]
    );
    assert!(!calls.get().iter().any(|c| c.starts_with("unexpected")));
}

#[tokio::test(start_paused = true)]
async fn iam_documents_come_back_url_encoded_and_show_no_drift() {
    use iam_fixtures::*;
    let _ = Scenario::IamDocumentsUrlEncoded;
    let mut spec = spec();
    spec.permissions_boundary_arn = Some(BOUNDARY.into());
    // As a user would have typed them: indented, keys in another order.
    let assume_as_sent = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\n    \"Principal\": {\"Service\": \"vpc-flow-logs.amazonaws.com\"},\n    \"Effect\": \"Allow\",\n    \"Action\": \"sts:AssumeRole\"\n  }]\n}";
    let pretty = |document: &str| {
        url_encode(
            &serde_json::to_string_pretty(
                &serde_json::from_str::<serde_json::Value>(document).unwrap(),
            )
            .unwrap(),
        )
    };
    let detail = RoleDetail::builder()
        .path("/")
        .role_name("test-flow-logs")
        .arn(ROLE_ARN)
        .assume_role_policy_document(url_encode(assume_as_sent))
        .set_role_policy_list(Some(
            spec.inline_policies
                .iter()
                .map(|(name, document)| {
                    PolicyDetail::builder()
                        .policy_name(name)
                        .policy_document(pretty(document))
                        .build()
                })
                .collect(),
        ))
        // Unsorted, as IAM may list them.
        .attached_managed_policies(AttachedPolicy::builder().policy_arn(READ_ONLY).build())
        .attached_managed_policies(
            AttachedPolicy::builder()
                .policy_arn("arn:aws:iam::aws:policy/CloudWatchLogsReadOnlyAccess")
                .build(),
        )
        .permissions_boundary(
            AttachedPermissionsBoundary::builder()
                .permissions_boundary_arn(BOUNDARY)
                .build(),
        )
        .set_tags(Some(
            spec.tags
                .iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build().unwrap())
                .collect(),
        ))
        .build();
    let details = mock!(Client::get_account_authorization_details)
        .match_requests(|r| r.filter() == [EntityType::Role])
        .then_output(move || {
            GetAccountAuthorizationDetailsOutput::builder()
                .role_detail_list(detail.clone())
                .build()
        });
    let executor = Executor::new(clients(&Mocks {
        iam: vec![&details],
        ..Mocks::default()
    }));
    let recorded = ledger(vec![(key(), ROLE_ARN, ChildSpec::IamRole(spec.clone()))]);
    let (refreshed, drift, errors) = apply::observe_all(&executor, &recorded, opts()).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        refreshed.children[&key()].observed,
        ChildSpec::IamRole(spec)
    );
    assert!(drift.is_empty(), "{drift:?}");
    assert_eq!(details.num_calls(), 1, "one listing carries every document");
}

// CloudWatch Logs

mod logs_fixtures {
    use super::*;
    pub use aws_sdk_cloudwatchlogs::operation::{
        create_log_group::CreateLogGroupOutput, describe_log_groups::DescribeLogGroupsOutput,
        list_tags_for_resource::ListTagsForResourceOutput,
        put_retention_policy::PutRetentionPolicyOutput,
    };
    pub use aws_sdk_cloudwatchlogs::types::LogGroup;
    pub use aws_sdk_cloudwatchlogs::Client;

    pub const NAME: &str = "/platform/test/vpc-flow-logs";
    pub const ARN: &str =
        "arn:aws:logs:us-east-1:123456789012:log-group:/platform/test/vpc-flow-logs";

    pub fn key() -> NodeKey {
        NodeKey::new(Kind::LogGroup, &["flow-logs"])
    }

    pub fn spec() -> LogGroupSpec {
        LogGroupSpec {
            name: NAME.into(),
            retention_days: 30,
            kms_key_arn: None,
            tags: owner_tags(&key(), OWNER),
        }
    }

    /// DescribeLogGroups matches by prefix: a longer name comes back too.
    pub fn describe_existing() -> Rule {
        mock!(Client::describe_log_groups)
            .match_requests(|r| r.log_group_name_prefix() == Some(NAME))
            .then_output(|| {
                DescribeLogGroupsOutput::builder()
                    .log_groups(
                        LogGroup::builder()
                            .log_group_name(format!("{NAME}-other"))
                            .arn(format!("{ARN}-other:*"))
                            .build(),
                    )
                    .log_groups(
                        LogGroup::builder()
                            .log_group_name(NAME)
                            .arn(format!("{ARN}:*"))
                            .retention_in_days(7)
                            .build(),
                    )
                    .build()
            })
    }

    pub fn tags_of(owner: &'static str) -> Rule {
        mock!(Client::list_tags_for_resource)
            .match_requests(|r| r.resource_arn() == Some(ARN))
            .then_output(move || {
                ListTagsForResourceOutput::builder()
                    .set_tags(Some(owner_tags(&key(), owner).into_iter().collect()))
                    .build()
            })
    }
}

#[tokio::test(start_paused = true)]
async fn log_group_adopts_a_group_carrying_our_tags() {
    use logs_fixtures::*;
    let _ = Scenario::LogGroupAdopted;
    let describe = describe_existing();
    let tags = tags_of(OWNER);
    let create = mock!(Client::create_log_group)
        .then_http_response(|| json_error("ResourceAlreadyExistsException"));
    let retention = mock!(Client::put_retention_policy)
        .match_requests(|r| r.log_group_name() == Some(NAME) && r.retention_in_days() == Some(30))
        .then_output(|| PutRetentionPolicyOutput::builder().build());
    let executor = Executor::new(clients(&Mocks {
        logs: vec![&describe, &tags, &create, &retention],
        ..Mocks::default()
    }));
    let desired = graph(vec![(key(), ChildSpec::LogGroup(spec()))]);
    let ops = diff(&desired, &Ledger::new());
    let outcome = apply::run(&executor, &desired, &ops, Ledger::new(), opts()).await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert_eq!(
        outcome.ledger.children[&key()].id,
        NAME,
        "the ledger ID is the name"
    );
    assert_eq!(create.num_calls(), 1, "refused once, then adopted");
    assert_eq!(describe.num_calls(), 1);
    assert_eq!(retention.num_calls(), 1, "reconciled from 7 to 30 days");
}

#[tokio::test(start_paused = true)]
async fn log_group_refuses_a_name_taken_by_someone_else() {
    use logs_fixtures::*;
    let _ = Scenario::LogGroupNameTaken;
    let describe = describe_existing();
    let tags = tags_of("environment/other");
    let create = mock!(Client::create_log_group)
        .then_http_response(|| json_error("ResourceAlreadyExistsException"));
    let retention = mock!(Client::put_retention_policy)
        .then_output(|| PutRetentionPolicyOutput::builder().build());
    let executor = Executor::new(clients(&Mocks {
        logs: vec![&describe, &tags, &create, &retention],
        ..Mocks::default()
    }));
    let desired = graph(vec![(key(), ChildSpec::LogGroup(spec()))]);
    let ops = diff(&desired, &Ledger::new());
    let outcome = apply::run(&executor, &desired, &ops, Ledger::new(), opts()).await;
    assert_eq!(outcome.errors.len(), 1);
    let message = outcome.errors[0].to_string();
    assert!(
        message.contains("taken by an object this environment does not own"),
        "{message}"
    );
    assert!(outcome.ledger.children.is_empty());
    assert_eq!(describe.num_calls(), 1, "a permanent error is not retried");
    assert_eq!(create.num_calls(), 1, "refused by AWS, not retried");
    assert_eq!(retention.num_calls(), 0, "nothing touched");
}

#[tokio::test(start_paused = true)]
async fn log_group_create_of_a_free_name_costs_no_lookup() {
    use logs_fixtures::*;
    let _ = Scenario::LogGroupCreated;
    let describe = describe_existing();
    let create = mock!(Client::create_log_group)
        .match_requests(|r| r.log_group_name() == Some(NAME))
        .then_output(|| CreateLogGroupOutput::builder().build());
    let retention = mock!(Client::put_retention_policy)
        .match_requests(|r| r.log_group_name() == Some(NAME) && r.retention_in_days() == Some(30))
        .then_output(|| PutRetentionPolicyOutput::builder().build());
    let executor = Executor::new(clients(&Mocks {
        logs: vec![&describe, &create, &retention],
        ..Mocks::default()
    }));
    let desired = graph(vec![(key(), ChildSpec::LogGroup(spec()))]);
    let ops = diff(&desired, &Ledger::new());
    let outcome = apply::run(&executor, &desired, &ops, Ledger::new(), opts()).await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert_eq!(outcome.ledger.children[&key()].id, NAME);
    assert_eq!(create.num_calls(), 1);
    assert_eq!(describe.num_calls(), 0, "a free name costs no lookup");
    assert_eq!(retention.num_calls(), 1);
}

// ECS

mod ecs_fixtures {
    use super::*;
    pub use aws_sdk_ecs::operation::{
        create_cluster::CreateClusterOutput, delete_cluster::DeleteClusterOutput,
        describe_clusters::DescribeClustersOutput,
        put_cluster_capacity_providers::PutClusterCapacityProvidersOutput,
        update_cluster::UpdateClusterOutput,
    };
    pub use aws_sdk_ecs::types::{
        CapacityProviderStrategyItem as SdkItem, Cluster, ClusterSettingName, Tag,
    };
    pub use aws_sdk_ecs::Client;

    pub fn key() -> NodeKey {
        NodeKey::new(Kind::EcsCluster, &[])
    }

    pub fn spec() -> EcsClusterSpec {
        EcsClusterSpec {
            name: "test".into(),
            container_insights: "enabled".into(),
            capacity_providers: vec!["FARGATE".into(), "FARGATE_SPOT".into()],
            default_strategy: vec![CapacityProviderStrategyItem {
                provider: "FARGATE".into(),
                weight: 1,
                base: 1,
            }],
            service_connect_namespace: None,
            tags: owner_tags(&key(), OWNER),
        }
    }

    pub fn cluster(status: &str, owner: &str) -> Cluster {
        Cluster::builder()
            .cluster_arn(CLUSTER_ARN)
            .cluster_name("test")
            .status(status)
            // Unsorted, with a zero item ECS would report: neither is drift.
            .capacity_providers("FARGATE_SPOT")
            .capacity_providers("FARGATE")
            .default_capacity_provider_strategy(
                SdkItem::builder()
                    .capacity_provider("FARGATE_SPOT")
                    .weight(0)
                    .base(0)
                    .build()
                    .unwrap(),
            )
            .default_capacity_provider_strategy(
                SdkItem::builder()
                    .capacity_provider("FARGATE")
                    .weight(1)
                    .base(1)
                    .build()
                    .unwrap(),
            )
            .set_tags(Some(
                owner_tags(&key(), owner)
                    .iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build())
                    .collect(),
            ))
            .build()
    }
}

#[tokio::test(start_paused = true)]
async fn cluster_create_treats_an_inactive_cluster_as_absent() {
    use ecs_fixtures::*;
    let _ = Scenario::ClusterCreateAndAdopt;
    let describe = mock!(Client::describe_clusters).then_output(|| {
        DescribeClustersOutput::builder()
            .clusters(cluster("INACTIVE", "environment/other"))
            .build()
    });
    let create = mock!(Client::create_cluster)
        .match_requests(|r| {
            r.cluster_name() == Some("test")
                && r.settings().iter().any(|s| {
                    s.name() == Some(&ClusterSettingName::ContainerInsights)
                        && s.value() == Some("enabled")
                })
                && r.capacity_providers().len() == 2
                && r.default_capacity_provider_strategy().len() == 1
        })
        .then_output(|| {
            CreateClusterOutput::builder()
                .cluster(Cluster::builder().cluster_arn(CLUSTER_ARN).build())
                .build()
        });
    let executor = Executor::new(clients(&Mocks {
        ecs: vec![&describe, &create],
        ..Mocks::default()
    }));
    let desired = graph(vec![(key(), ChildSpec::EcsCluster(spec()))]);
    let ops = diff(&desired, &Ledger::new());
    let outcome = apply::run(&executor, &desired, &ops, Ledger::new(), opts()).await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert_eq!(outcome.ledger.children[&key()].id, CLUSTER_ARN);
    assert_eq!(create.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn cluster_create_adopts_an_owned_active_cluster_and_reconciles_it() {
    use ecs_fixtures::*;
    let _ = Scenario::ClusterCreateAndAdopt;
    // Container insights never set: reads as disabled, so UpdateCluster enables it.
    let describe = mock!(Client::describe_clusters).then_output(|| {
        DescribeClustersOutput::builder()
            .clusters(cluster("ACTIVE", OWNER))
            .build()
    });
    let create =
        mock!(Client::create_cluster).then_output(|| CreateClusterOutput::builder().build());
    let update = mock!(Client::update_cluster)
        .match_requests(|r| r.cluster() == Some(CLUSTER_ARN))
        .then_output(|| UpdateClusterOutput::builder().build());
    let providers = mock!(Client::put_cluster_capacity_providers)
        .then_output(|| PutClusterCapacityProvidersOutput::builder().build());
    let executor = Executor::new(clients(&Mocks {
        ecs: vec![&describe, &create, &update, &providers],
        ..Mocks::default()
    }));
    let desired = graph(vec![(key(), ChildSpec::EcsCluster(spec()))]);
    let ops = diff(&desired, &Ledger::new());
    let outcome = apply::run(&executor, &desired, &ops, Ledger::new(), opts()).await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert_eq!(outcome.ledger.children[&key()].id, CLUSTER_ARN);
    assert_eq!(create.num_calls(), 0);
    assert_eq!(update.num_calls(), 1);
    assert_eq!(providers.num_calls(), 0, "providers already match");
}

#[tokio::test(start_paused = true)]
async fn cluster_delete_is_retried_while_services_remain() {
    use ecs_fixtures::*;
    let _ = Scenario::ClusterDeleteInUse;
    let delete = mock!(Client::delete_cluster)
        .match_requests(|r| r.cluster() == Some(CLUSTER_ARN))
        .sequence()
        .http_response(|| json_error("ClusterContainsServicesException"))
        .times(2)
        .output(|| DeleteClusterOutput::builder().build())
        .build();
    let executor = Executor::new(clients(&Mocks {
        ecs: vec![&delete],
        ..Mocks::default()
    }));
    let outcome = apply::destroy(
        &executor,
        ledger(vec![(key(), CLUSTER_ARN, ChildSpec::EcsCluster(spec()))]),
        opts(),
    )
    .await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert!(outcome.ledger.children.is_empty());
    assert_eq!(delete.num_calls(), 3);
}

// RDS and ElastiCache subnet groups

fn data_subnet(az: &str) -> NodeKey {
    NodeKey::new(Kind::Subnet, &["data", az])
}

fn subnet_spec(az: &str) -> ChildSpec {
    ChildSpec::Subnet(SubnetSpec {
        vpc: NodeKey::new(Kind::Vpc, &[]),
        tier: SubnetTier::Data,
        az_id: az.into(),
        cidr: "10.0.0.0/24".into(),
        map_public_ip_on_launch: false,
        tags: owner_tags(&data_subnet(az), OWNER),
    })
}

fn db_key() -> NodeKey {
    NodeKey::new(Kind::DbSubnetGroup, &[])
}

fn db_spec() -> DbSubnetGroupSpec {
    DbSubnetGroupSpec {
        name: "Test-Data".into(),
        description: "test data tier".into(),
        subnets: vec![data_subnet("use1-az1"), data_subnet("use1-az2")],
        tags: owner_tags(&db_key(), OWNER),
    }
}

fn cache_key() -> NodeKey {
    NodeKey::new(Kind::CacheSubnetGroup, &[])
}

fn cache_spec() -> CacheSubnetGroupSpec {
    CacheSubnetGroupSpec {
        name: "test-data".into(),
        description: "test data tier".into(),
        subnets: vec![data_subnet("use1-az1"), data_subnet("use1-az2")],
        tags: owner_tags(&cache_key(), OWNER),
    }
}

#[tokio::test(start_paused = true)]
async fn db_subnet_group_create_resolves_subnets_and_reads_back_without_drift() {
    use aws_sdk_rds::operation::{
        create_db_subnet_group::CreateDbSubnetGroupOutput,
        describe_db_subnet_groups::DescribeDbSubnetGroupsOutput,
        list_tags_for_resource::ListTagsForResourceOutput,
    };
    use aws_sdk_rds::types::{DbSubnetGroup, Subnet, Tag};
    use aws_sdk_rds::Client;
    let _ = Scenario::DbSubnetGroupCreate;
    let arn = "arn:aws:rds:us-east-1:123456789012:subgrp:test-data";
    let group = move || {
        DbSubnetGroup::builder()
            .db_subnet_group_name("test-data")
            .db_subnet_group_description("test data tier")
            .db_subnet_group_arn(arn)
            .subnets(Subnet::builder().subnet_identifier("subnet-2").build())
            .subnets(Subnet::builder().subnet_identifier("subnet-1").build())
            .build()
    };
    let describe = mock!(Client::describe_db_subnet_groups).then_output(move || {
        DescribeDbSubnetGroupsOutput::builder()
            .db_subnet_groups(group())
            .build()
    });
    let create = mock!(Client::create_db_subnet_group)
        .match_requests(|r| {
            r.subnet_ids() == ["subnet-1", "subnet-2"]
                && r.tags().iter().any(|t| t.key() == Some("platform:owner"))
        })
        .then_output(move || {
            CreateDbSubnetGroupOutput::builder()
                .db_subnet_group(group())
                .build()
        });
    let tags = mock!(Client::list_tags_for_resource)
        .match_requests(move |r| r.resource_name() == Some(arn))
        .then_output(|| {
            ListTagsForResourceOutput::builder()
                .set_tag_list(Some(
                    owner_tags(&db_key(), OWNER)
                        .iter()
                        .map(|(k, v)| Tag::builder().key(k).value(v).build())
                        .collect(),
                ))
                .build()
        });
    let executor = Executor::new(clients(&Mocks {
        rds: vec![&describe, &create, &tags],
        ..Mocks::default()
    }));
    let subnets = vec![
        (data_subnet("use1-az1"), subnet_spec("use1-az1")),
        (data_subnet("use1-az2"), subnet_spec("use1-az2")),
    ];
    let start = ledger(vec![
        (subnets[0].0.clone(), "subnet-1", subnets[0].1.clone()),
        (subnets[1].0.clone(), "subnet-2", subnets[1].1.clone()),
    ]);
    let mut nodes = subnets.clone();
    nodes.push((db_key(), ChildSpec::DbSubnetGroup(db_spec())));
    let desired = graph(nodes);
    let ops = diff(&desired, &start);
    let outcome = apply::run(&executor, &desired, &ops, start, opts()).await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert_eq!(create.num_calls(), 1);
    assert_eq!(describe.num_calls(), 0, "a free name costs no lookup");
    assert_eq!(
        outcome.ledger.children[&db_key()].id,
        "test-data",
        "the name as RDS stores it"
    );
    // Subnet IDs map back to keys, sorted, and the name's case is ignored.
    let ids = apply::IdMap::from_ledger(&outcome.ledger);
    let recorded = &outcome.ledger.children[&db_key()];
    let observed = ApplyExecutor::observe(&executor, &db_key(), recorded, &ids)
        .await
        .unwrap()
        .expect("the group exists");
    assert_eq!(observed.observed, ChildSpec::DbSubnetGroup(db_spec()));
}

#[tokio::test(start_paused = true)]
async fn db_subnet_group_delete_is_retried_while_in_use() {
    use aws_sdk_rds::operation::delete_db_subnet_group::DeleteDbSubnetGroupOutput;
    use aws_sdk_rds::Client;
    let _ = Scenario::DbSubnetGroupDeleteInUse;
    let delete = mock!(Client::delete_db_subnet_group)
        .match_requests(|r| r.db_subnet_group_name() == Some("test-data"))
        .sequence()
        .http_response(|| query_error("InvalidDBSubnetGroupStateFault", 400))
        .times(2)
        .output(|| DeleteDbSubnetGroupOutput::builder().build())
        .build();
    let executor = Executor::new(clients(&Mocks {
        rds: vec![&delete],
        ..Mocks::default()
    }));
    let outcome = apply::destroy(
        &executor,
        ledger(vec![(
            db_key(),
            "test-data",
            ChildSpec::DbSubnetGroup(db_spec()),
        )]),
        opts(),
    )
    .await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert!(outcome.ledger.children.is_empty());
    assert_eq!(delete.num_calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn cache_subnet_group_delete_is_retried_while_in_use_and_tolerates_absence() {
    use aws_sdk_elasticache::Client;
    let _ = Scenario::CacheSubnetGroupDeleteInUse;
    // In use once, then already gone (say, deleted by hand): both end in success.
    let delete = mock!(Client::delete_cache_subnet_group)
        .sequence()
        .http_response(|| query_error("CacheSubnetGroupInUse", 400))
        .http_response(|| query_error("CacheSubnetGroupNotFoundFault", 404))
        .build();
    let executor = Executor::new(clients(&Mocks {
        elasticache: vec![&delete],
        ..Mocks::default()
    }));
    let outcome = apply::destroy(
        &executor,
        ledger(vec![(
            cache_key(),
            "test-data",
            ChildSpec::CacheSubnetGroup(cache_spec()),
        )]),
        opts(),
    )
    .await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert!(outcome.ledger.children.is_empty());
    assert_eq!(delete.num_calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn observe_returns_none_for_each_vanished_kind() {
    let _ = Scenario::GoneOnRead;
    let logs = mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups).then_output(|| {
        aws_sdk_cloudwatchlogs::operation::describe_log_groups::DescribeLogGroupsOutput::builder()
            .build()
    });
    let iam = mock!(aws_sdk_iam::Client::get_account_authorization_details).then_output(|| {
        aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput::builder()
            .build()
    });
    let ecs = mock!(aws_sdk_ecs::Client::describe_clusters)
        .match_requests(|r| r.clusters() == [CLUSTER_ARN])
        .then_output(|| {
            aws_sdk_ecs::operation::describe_clusters::DescribeClustersOutput::builder()
                .failures(
                    aws_sdk_ecs::types::Failure::builder()
                        .arn(CLUSTER_ARN)
                        .reason("MISSING")
                        .build(),
                )
                .build()
        });
    let rds = mock!(aws_sdk_rds::Client::describe_db_subnet_groups)
        .then_http_response(|| query_error("DBSubnetGroupNotFoundFault", 404));
    let elasticache = mock!(aws_sdk_elasticache::Client::describe_cache_subnet_groups)
        .then_http_response(|| query_error("CacheSubnetGroupNotFoundFault", 404));
    let executor = Executor::new(clients(&Mocks {
        logs: vec![&logs],
        iam: vec![&iam],
        ecs: vec![&ecs],
        rds: vec![&rds],
        elasticache: vec![&elasticache],
        ..Mocks::default()
    }));
    let recorded = ledger(vec![
        (
            logs_fixtures::key(),
            logs_fixtures::NAME,
            ChildSpec::LogGroup(logs_fixtures::spec()),
        ),
        (
            iam_fixtures::key(),
            ROLE_ARN,
            ChildSpec::IamRole(iam_fixtures::spec()),
        ),
        (
            ecs_fixtures::key(),
            CLUSTER_ARN,
            ChildSpec::EcsCluster(ecs_fixtures::spec()),
        ),
        (db_key(), "test-data", ChildSpec::DbSubnetGroup(db_spec())),
        (
            cache_key(),
            "test-data",
            ChildSpec::CacheSubnetGroup(cache_spec()),
        ),
    ]);
    let (refreshed, drift, errors) = apply::observe_all(&executor, &recorded, opts()).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert!(refreshed.children.is_empty());
    assert_eq!(
        drift,
        [
            "ecs.cluster: deleted outside Terraform",
            "elasticache.subnet_group: deleted outside Terraform",
            "iam.role/flow-logs: deleted outside Terraform",
            "logs.log_group/flow-logs: deleted outside Terraform",
            "rds.db_subnet_group: deleted outside Terraform",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn observe_reads_an_inactive_cluster_as_gone() {
    use ecs_fixtures::*;
    let _ = Scenario::GoneOnRead;
    let describe = mock!(Client::describe_clusters).then_output(|| {
        DescribeClustersOutput::builder()
            .clusters(cluster("INACTIVE", OWNER))
            .build()
    });
    let executor = Executor::new(clients(&Mocks {
        ecs: vec![&describe],
        ..Mocks::default()
    }));
    let recorded = ledger(vec![(key(), CLUSTER_ARN, ChildSpec::EcsCluster(spec()))]);
    let (refreshed, drift, errors) = apply::observe_all(&executor, &recorded, opts()).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert!(refreshed.children.is_empty());
    assert_eq!(drift, ["ecs.cluster: deleted outside Terraform"]);
}

#[tokio::test(start_paused = true)]
async fn cache_subnet_group_create_then_refuses_a_foreign_group() {
    use aws_sdk_elasticache::operation::{
        create_cache_subnet_group::CreateCacheSubnetGroupOutput,
        describe_cache_subnet_groups::DescribeCacheSubnetGroupsOutput,
        list_tags_for_resource::ListTagsForResourceOutput,
    };
    use aws_sdk_elasticache::types::{CacheSubnetGroup, Tag};
    use aws_sdk_elasticache::Client;
    let _ = Scenario::CacheSubnetGroupCreate;
    let arn = "arn:aws:elasticache:us-east-1:123456789012:subnetgroup:test-data";
    let foreign = mock!(Client::describe_cache_subnet_groups).then_output(move || {
        DescribeCacheSubnetGroupsOutput::builder()
            .cache_subnet_groups(
                CacheSubnetGroup::builder()
                    .cache_subnet_group_name("test-data")
                    .arn(arn)
                    .build(),
            )
            .build()
    });
    // Created by us, then held by another environment's group of the same name.
    let create = mock!(Client::create_cache_subnet_group)
        .match_requests(|r| {
            r.cache_subnet_group_name() == Some("test-data")
                && r.subnet_ids() == ["subnet-1", "subnet-2"]
                && r.tags().iter().any(|t| t.key() == Some("platform:node"))
        })
        .sequence()
        .output(|| {
            CreateCacheSubnetGroupOutput::builder()
                .cache_subnet_group(
                    CacheSubnetGroup::builder()
                        .cache_subnet_group_name("test-data")
                        .build(),
                )
                .build()
        })
        .http_response(|| query_error("CacheSubnetGroupAlreadyExists", 400))
        .build();
    let tags = mock!(Client::list_tags_for_resource).then_output(|| {
        ListTagsForResourceOutput::builder()
            .tag_list(
                Tag::builder()
                    .key("platform:owner")
                    .value("environment/other")
                    .build(),
            )
            .build()
    });
    let executor = Executor::new(clients(&Mocks {
        elasticache: vec![&foreign, &create, &tags],
        ..Mocks::default()
    }));
    let subnets = vec![
        (data_subnet("use1-az1"), subnet_spec("use1-az1")),
        (data_subnet("use1-az2"), subnet_spec("use1-az2")),
    ];
    let start = ledger(vec![
        (subnets[0].0.clone(), "subnet-1", subnets[0].1.clone()),
        (subnets[1].0.clone(), "subnet-2", subnets[1].1.clone()),
    ]);
    let mut nodes = subnets.clone();
    nodes.push((cache_key(), ChildSpec::CacheSubnetGroup(cache_spec())));
    let desired = graph(nodes);

    let ops = diff(&desired, &start);
    let outcome = apply::run(&executor, &desired, &ops, start.clone(), opts()).await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert_eq!(outcome.ledger.children[&cache_key()].id, "test-data");
    assert_eq!(create.num_calls(), 1);
    assert_eq!(foreign.num_calls(), 0, "a free name costs no lookup");

    // A second environment's run finds the name taken by a group it does not own.
    let outcome = apply::run(&executor, &desired, &ops, start, opts()).await;
    assert_eq!(outcome.errors.len(), 1, "{:?}", outcome.errors);
    assert!(outcome.errors[0]
        .to_string()
        .contains("taken by an object this environment does not own"));
    assert_eq!(create.num_calls(), 2, "refused by AWS, not retried");
}

// What still uses an environment

#[tokio::test(start_paused = true)]
async fn an_environment_in_use_lists_its_active_services_databases_and_caches() {
    let _ = Scenario::EnvironmentInUse;
    use aws_sdk_ecs::operation::{
        describe_services::DescribeServicesOutput, list_services::ListServicesOutput,
    };
    use aws_sdk_ecs::types::Service;
    use aws_sdk_elasticache::operation::describe_cache_clusters::DescribeCacheClustersOutput;
    use aws_sdk_elasticache::types::CacheCluster;
    use aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput;
    use aws_sdk_rds::types::{DbInstance, DbSubnetGroup};

    let list = mock!(aws_sdk_ecs::Client::list_services).then_output(|| {
        ListServicesOutput::builder()
            .service_arns(format!("{CLUSTER_ARN}/api"))
            .service_arns(format!("{CLUSTER_ARN}/old"))
            .build()
    });
    let describe = mock!(aws_sdk_ecs::Client::describe_services).then_output(|| {
        DescribeServicesOutput::builder()
            .services(
                Service::builder()
                    .service_name("api")
                    .status("ACTIVE")
                    .build(),
            )
            // Deleted services stay listed for a while.
            .services(
                Service::builder()
                    .service_name("old")
                    .status("INACTIVE")
                    .build(),
            )
            .build()
    });
    let db = |id: &str, group: &str, status: &str| {
        DbInstance::builder()
            .db_instance_identifier(id)
            .db_instance_status(status)
            .db_subnet_group(DbSubnetGroup::builder().db_subnet_group_name(group).build())
            .build()
    };
    let instances = mock!(aws_sdk_rds::Client::describe_db_instances).then_output(move || {
        DescribeDbInstancesOutput::builder()
            .db_instances(db("test-main", "test-data", "available"))
            .db_instances(db("test-gone", "test-data", "deleting"))
            .db_instances(db("elsewhere", "other-data", "available"))
            .build()
    });
    let clusters = mock!(aws_sdk_elasticache::Client::describe_cache_clusters).then_output(|| {
        DescribeCacheClustersOutput::builder()
            .cache_clusters(
                CacheCluster::builder()
                    .cache_cluster_id("test-kv-001")
                    .replication_group_id("test-kv")
                    .cache_subnet_group_name("test-data")
                    .cache_cluster_status("available")
                    .build(),
            )
            .cache_clusters(
                CacheCluster::builder()
                    .cache_cluster_id("test-kv-002")
                    .replication_group_id("test-kv")
                    .cache_subnet_group_name("test-data")
                    .cache_cluster_status("available")
                    .build(),
            )
            .build()
    });
    let clients = clients(&Mocks {
        ecs: vec![&list, &describe],
        rds: vec![&instances],
        elasticache: vec![&clusters],
        ..Mocks::default()
    });
    let remaining = terraform_provider_platform::aws::app_resources_in(
        &clients,
        Some(CLUSTER_ARN),
        "test-data",
    )
    .await
    .unwrap();
    assert_eq!(
        remaining,
        vec![
            "ECS service api".to_string(),
            "RDS instance test-main".to_string(),
            "ElastiCache group test-kv".to_string(),
        ]
    );
}
