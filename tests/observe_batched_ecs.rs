//! Batched observation of the ECS, IAM, CloudWatch Logs and Secrets Manager kinds: a refresh
//! lists each kind once per scope (a cluster, the account, the environment's name prefix), so
//! observing N children of a kind costs the calls of one. Each test observes one child, then
//! twenty, through executors whose reads are shared as they are in a provider process, and
//! counts the calls. Where a call exists only per object, the count is one per child, and the
//! test says why.

mod common;

use common::Mocks;

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_smithy_mocks::{mock, Rule};
use futures::future::join_all;

use terraform_provider_platform::apply::{Executor as _, IdMap};
use terraform_provider_platform::aws::common::reads::Reads;
use terraform_provider_platform::aws::ecs::cluster::EcsClusterSpec;
use terraform_provider_platform::aws::ecs::service::EcsServiceSpec;
use terraform_provider_platform::aws::ecs::task_definition::{ContainerSpec, TaskDefinitionSpec};
use terraform_provider_platform::aws::iam::role::IamRoleSpec;
use terraform_provider_platform::aws::logs::log_group::LogGroupSpec;
use terraform_provider_platform::aws::secretsmanager::secret::{SecretContent, SecretSpec};
use terraform_provider_platform::aws::{AwsClients, Executor};
use terraform_provider_platform::plan::ledger::{Ledger, Recorded};
use terraform_provider_platform::plan::node::{ChildSpec, Kind, NodeKey, Tags};

/// Observes `children` concurrently through one executor, as `apply::observe_all` does.
async fn observe(
    clients: AwsClients,
    external: &BTreeMap<NodeKey, String>,
    children: &[(NodeKey, Recorded)],
) -> Vec<Option<Recorded>> {
    let executor = Executor::with_reads(clients, Arc::new(Reads::new()));
    let ledger = Ledger {
        children: children.iter().cloned().collect(),
        external: external.clone(),
        ..Ledger::new()
    };
    let ids = IdMap::from_ledger(&ledger);
    join_all(children.iter().map(|(key, recorded)| {
        let executor = &executor;
        let ids = &ids;
        async move { executor.observe(key, recorded, ids).await.unwrap() }
    }))
    .await
}

/// Observes 1 and then 20 children, each round with fresh reads; returns, for each of `rules`,
/// the calls it saw in each round.
async fn calls_for_1_and_20(
    rules: &[&Rule],
    clients: impl Fn() -> AwsClients,
    child: impl Fn(usize) -> (NodeKey, Recorded),
) -> Vec<(usize, usize)> {
    let one: Vec<_> = (0..1).map(&child).collect();
    let seen = observe(clients(), &BTreeMap::new(), &one).await;
    assert!(seen.iter().all(Option::is_some), "every child found");
    let after_one: Vec<usize> = rules.iter().map(|r| r.num_calls()).collect();
    let twenty: Vec<_> = (0..20).map(&child).collect();
    let seen = observe(clients(), &BTreeMap::new(), &twenty).await;
    assert!(seen.iter().all(Option::is_some), "every child found");
    rules
        .iter()
        .zip(after_one)
        .map(|(rule, one)| (one, rule.num_calls() - one))
        .collect()
}

const ACCOUNT: &str = "123456789012";
const CLUSTER_ARN: &str = "arn:aws:ecs:us-east-1:123456789012:cluster/test";

fn service_arn(i: usize) -> String {
    format!("arn:aws:ecs:us-east-1:{ACCOUNT}:service/test/svc-{i}")
}

fn cluster_arn(i: usize) -> String {
    format!("arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/test-{i}")
}

fn revision_arn(i: usize) -> String {
    format!("arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/test-svc-{i}:1")
}

fn role_arn(i: usize) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/platform-test-svc-{i}-task-us-east-1")
}

fn log_group_arn(i: usize) -> String {
    format!("arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/platform/test/svc-{i}")
}

fn secret_arn(i: usize) -> String {
    format!("arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:platform/test/cache/kv-{i}-AbCdEf")
}

#[tokio::test]
async fn clusters_are_described_once_each() {
    use aws_sdk_ecs::operation::describe_clusters::DescribeClustersOutput;
    use aws_sdk_ecs::types::Cluster;
    let describe = mock!(aws_sdk_ecs::Client::describe_clusters).then_compute_output(|r| {
        DescribeClustersOutput::builder()
            .set_clusters(Some(
                r.clusters()
                    .iter()
                    .map(|arn| {
                        Cluster::builder()
                            .cluster_arn(arn)
                            .cluster_name(arn.rsplit('/').next().unwrap())
                            .status("ACTIVE")
                            .build()
                    })
                    .collect(),
            ))
            .build()
    });
    let child = |i: usize| {
        let spec = EcsClusterSpec {
            name: format!("test-{i}"),
            container_insights: "disabled".into(),
            capacity_providers: vec![],
            default_strategy: vec![],
            service_connect_namespace: None,
            tags: Tags::new(),
        };
        (
            NodeKey::new(Kind::EcsCluster, &[&i.to_string()]),
            Recorded::new(cluster_arn(i), ChildSpec::EcsCluster(spec)),
        )
    };
    let clients = || {
        common::clients(&Mocks {
            ecs: vec![&describe],
            ..Mocks::default()
        })
    };
    let calls = calls_for_1_and_20(&[&describe], clients, child).await;
    // An environment has one cluster: it is read once by ARN, so twenty clusters (which no
    // environment has) are twenty reads, and there is nothing to batch.
    assert_eq!(calls, [(1, 20)]);
}

#[tokio::test]
async fn task_definitions_are_described_once_per_revision() {
    use aws_sdk_ecs::operation::describe_task_definition::DescribeTaskDefinitionOutput;
    use aws_sdk_ecs::types::{TaskDefinition, TaskDefinitionStatus};
    let describe = mock!(aws_sdk_ecs::Client::describe_task_definition).then_compute_output(|r| {
        let arn = r.task_definition().unwrap();
        DescribeTaskDefinitionOutput::builder()
            .task_definition(
                TaskDefinition::builder()
                    .task_definition_arn(arn)
                    .family(arn.rsplit_once('/').unwrap().1.split(':').next().unwrap())
                    .status(TaskDefinitionStatus::Active)
                    .build(),
            )
            .build()
    });
    let child = |i: usize| {
        let spec = TaskDefinitionSpec {
            family: format!("test-svc-{i}"),
            cpu: 256,
            memory: 512,
            cpu_architecture: "X86_64".into(),
            task_role: NodeKey::new(Kind::IamRole, &["task"]),
            execution_role: NodeKey::new(Kind::IamRole, &["execution"]),
            container: ContainerSpec {
                name: "app".into(),
                image: "nginx".into(),
                port: Some(8080),
                port_name: None,
                generated_secrets: Default::default(),
                docker_labels: Default::default(),
                repository_credentials: None,
                depends_on: vec![],
                command: vec![],
                environment: BTreeMap::new(),
                secrets: BTreeMap::new(),
                log_group: NodeKey::new(Kind::LogGroup, &["app"]),
                log_region: "us-east-1".into(),
                read_only_root_filesystem: false,
            },
            sidecars: vec![],
            tags: Tags::new(),
        };
        (
            NodeKey::new(Kind::TaskDefinition, &[&i.to_string()]),
            Recorded::new(revision_arn(i), ChildSpec::TaskDefinition(spec)),
        )
    };
    let clients = || {
        common::clients(&Mocks {
            ecs: vec![&describe],
            ..Mocks::default()
        })
    };
    let calls = calls_for_1_and_20(&[&describe], clients, child).await;
    // No API lists revisions with their contents: one read per revision, which every reader
    // of that revision shares (a service has one).
    assert_eq!(calls, [(1, 20)]);
}

#[tokio::test]
async fn services_are_listed_once_per_cluster() {
    use aws_sdk_ecs::operation::describe_services::DescribeServicesOutput;
    use aws_sdk_ecs::operation::list_services::ListServicesOutput;
    use aws_sdk_ecs::types::{Service, ServiceField};
    // The cluster runs twenty services, whichever of them a round observes.
    let list = mock!(aws_sdk_ecs::Client::list_services)
        .match_requests(|r| r.cluster() == Some(CLUSTER_ARN))
        .then_output(|| {
            ListServicesOutput::builder()
                .set_service_arns(Some((0..20).map(service_arn).collect()))
                .build()
        });
    let describe = mock!(aws_sdk_ecs::Client::describe_services)
        .match_requests(|r| {
            r.cluster() == Some(CLUSTER_ARN)
                && r.services().len() <= 10
                && r.include() == [ServiceField::Tags]
        })
        .then_compute_output(|r| {
            DescribeServicesOutput::builder()
                .set_services(Some(
                    r.services()
                        .iter()
                        .map(|arn| {
                            Service::builder()
                                .service_arn(arn)
                                .service_name(arn.rsplit('/').next().unwrap())
                                .cluster_arn(CLUSTER_ARN)
                                .status("ACTIVE")
                                .build()
                        })
                        .collect(),
                ))
                .build()
        });
    let child = |i: usize| {
        let spec = EcsServiceSpec {
            name: format!("svc-{i}"),
            cluster: NodeKey::new(Kind::EcsCluster, &[]),
            task_definition: NodeKey::new(Kind::TaskDefinition, &[&i.to_string()]),
            desired_count: 0,
            autoscaling_owns_count: false,
            subnets: vec![],
            security_groups: vec![],
            capacity_strategy: vec![],
            load_balancer: None,
            health_check_grace_seconds: None,
            min_healthy_percent: 0,
            max_percent: 0,
            circuit_breaker: false,
            enable_execute_command: false,
            wait_for_deployment: false,
            service_connect: None,
            tags: Tags::new(),
        };
        (
            NodeKey::new(Kind::EcsService, &[&i.to_string()]),
            Recorded::new(service_arn(i), ChildSpec::EcsService(spec)),
        )
    };
    let clients = || {
        common::clients(&Mocks {
            ecs: vec![&list, &describe],
            ..Mocks::default()
        })
    };
    let calls = calls_for_1_and_20(&[&list, &describe], clients, child).await;
    // One listing, and the cluster's twenty services described ten at a time.
    assert_eq!(calls, [(1, 1), (2, 2)]);
}

#[tokio::test]
async fn roles_are_listed_once_per_account() {
    use aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput;
    use aws_sdk_iam::types::{EntityType, RoleDetail};
    let details = mock!(aws_sdk_iam::Client::get_account_authorization_details)
        .match_requests(|r| r.filter() == [EntityType::Role])
        .then_output(|| {
            GetAccountAuthorizationDetailsOutput::builder()
                .set_role_detail_list(Some(
                    (0..20)
                        .map(|i| {
                            RoleDetail::builder()
                                .role_name(format!("platform-test-svc-{i}-task-us-east-1"))
                                .arn(role_arn(i))
                                .assume_role_policy_document("%7B%7D")
                                .build()
                        })
                        .collect(),
                ))
                .build()
        });
    let child = |i: usize| {
        let spec = IamRoleSpec {
            name: format!("platform-test-svc-{i}-task-us-east-1"),
            assume_role_policy: "{}".into(),
            inline_policies: BTreeMap::new(),
            managed_policy_arns: vec![],
            permissions_boundary_arn: None,
            tags: Tags::new(),
        };
        (
            NodeKey::new(Kind::IamRole, &[&i.to_string()]),
            Recorded::new(role_arn(i), ChildSpec::IamRole(spec)),
        )
    };
    let clients = || {
        common::clients(&Mocks {
            iam: vec![&details],
            ..Mocks::default()
        })
    };
    let calls = calls_for_1_and_20(&[&details], clients, child).await;
    assert_eq!(calls, [(1, 1)]);
}

#[tokio::test]
async fn log_groups_are_listed_once_per_environment() {
    use aws_sdk_cloudwatchlogs::operation::describe_log_groups::DescribeLogGroupsOutput;
    use aws_sdk_cloudwatchlogs::operation::list_tags_for_resource::ListTagsForResourceOutput;
    use aws_sdk_cloudwatchlogs::types::LogGroup;
    let list = mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups)
        .match_requests(|r| r.log_group_name_prefix() == Some("/platform/test"))
        .then_output(|| {
            DescribeLogGroupsOutput::builder()
                .set_log_groups(Some(
                    (0..20)
                        .map(|i| {
                            LogGroup::builder()
                                .log_group_name(format!("/platform/test/svc-{i}"))
                                .arn(format!("{}:*", log_group_arn(i)))
                                .log_group_arn(log_group_arn(i))
                                .build()
                        })
                        .collect(),
                ))
                .build()
        });
    let tags = mock!(aws_sdk_cloudwatchlogs::Client::list_tags_for_resource)
        .then_output(|| ListTagsForResourceOutput::builder().build());
    let child = |i: usize| {
        let spec = LogGroupSpec {
            name: format!("/platform/test/svc-{i}"),
            retention_days: 0,
            kms_key_arn: None,
            tags: Tags::new(),
        };
        (
            NodeKey::new(Kind::LogGroup, &[&i.to_string()]),
            Recorded::new(spec.name.clone(), ChildSpec::LogGroup(spec)),
        )
    };
    let clients = || {
        common::clients(&Mocks {
            logs: vec![&list, &tags],
            ..Mocks::default()
        })
    };
    let calls = calls_for_1_and_20(&[&list, &tags], clients, child).await;
    // Tags have no batch API: ListTagsForResource takes one group, so one read per group.
    assert_eq!(calls, [(1, 1), (1, 20)]);
}

#[tokio::test]
async fn secrets_are_listed_once_per_environment() {
    use aws_sdk_secretsmanager::operation::list_secrets::ListSecretsOutput;
    use aws_sdk_secretsmanager::types::{FilterNameStringType, SecretListEntry};
    let list = mock!(aws_sdk_secretsmanager::Client::list_secrets)
        .match_requests(|r| {
            r.filters().len() == 1
                && r.filters()[0].key() == Some(&FilterNameStringType::Name)
                && r.filters()[0].values() == ["platform/test/"]
        })
        .then_output(|| {
            ListSecretsOutput::builder()
                .set_secret_list(Some(
                    (0..20)
                        .map(|i| {
                            SecretListEntry::builder()
                                .arn(secret_arn(i))
                                .name(format!("platform/test/cache/kv-{i}"))
                                .secret_versions_to_stages("v1", vec!["AWSCURRENT".into()])
                                .build()
                        })
                        .collect(),
                ))
                .build()
        });
    // Random tokens only need a current value, which the listing shows. A composed secret
    // (a connection) also reads its value and its source, per secret: they have no listing.
    let child = |i: usize| {
        let spec = SecretSpec {
            name: format!("platform/test/cache/kv-{i}"),
            description: String::new(),
            kms_key_arn: None,
            content: SecretContent::RandomToken { length: 32 },
            in_sync: true,
            recovery_window_days: 7,
            tags: Tags::new(),
        };
        (
            NodeKey::new(Kind::Secret, &[&i.to_string()]),
            Recorded::new(secret_arn(i), ChildSpec::Secret(spec)),
        )
    };
    let clients = || {
        common::clients(&Mocks {
            secretsmanager: vec![&list],
            ..Mocks::default()
        })
    };
    let calls = calls_for_1_and_20(&[&list], clients, child).await;
    assert_eq!(calls, [(1, 1)]);
}
