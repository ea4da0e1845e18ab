//! Batched observation of the data tier (RDS and ElastiCache): a refresh reads each kind once
//! per scope, so observing N children costs the calls of one. Each test observes one child,
//! then twenty, through executors whose reads are shared as they are in a provider process,
//! and counts the calls. Where AWS has no call for several objects, the test shows exactly one
//! call per object, shared by every resource that reads it.

mod common;

use std::sync::Arc;

use aws_smithy_mocks::{mock, Rule};
use futures::future::join_all;

use common::{clients, Mocks};
use terraform_provider_platform::apply::{Executor as _, IdMap};
use terraform_provider_platform::aws::common::reads::Reads;
use terraform_provider_platform::aws::elasticache::cache_subnet_group::CacheSubnetGroupSpec;
use terraform_provider_platform::aws::elasticache::replication_group::ReplicationGroupSpec;
use terraform_provider_platform::aws::rds::db_instance::DbInstanceSpec;
use terraform_provider_platform::aws::rds::db_parameter_group::DbParameterGroupSpec;
use terraform_provider_platform::aws::rds::db_subnet_group::DbSubnetGroupSpec;
use terraform_provider_platform::aws::{AwsClients, Executor};
use terraform_provider_platform::plan::ledger::{Ledger, Recorded};
use terraform_provider_platform::plan::node::{ChildSpec, Kind, NodeKey, Tags};

/// Observes `children` concurrently through one executor, as `apply::observe_all` does.
async fn observe(clients: AwsClients, children: &[(NodeKey, Recorded)]) -> Vec<Option<Recorded>> {
    let executor = Executor::with_reads(clients, Arc::new(Reads::new()));
    let ledger = Ledger {
        children: children.iter().cloned().collect(),
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

/// Observes 1 and then 20 children, each round with fresh reads; returns the calls each of
/// `rules` saw in each round.
async fn calls_for_1_and_20(
    rules: &[&Rule],
    clients: impl Fn() -> AwsClients,
    child: impl Fn(usize) -> (NodeKey, Recorded),
) -> Vec<(usize, usize)> {
    let counts = || rules.iter().map(|r| r.num_calls()).collect::<Vec<_>>();
    let before = counts();
    let one: Vec<_> = (0..1).map(&child).collect();
    let seen = observe(clients(), &one).await;
    assert!(seen.iter().all(Option::is_some), "every child found");
    let after_one = counts();
    let twenty: Vec<_> = (0..20).map(&child).collect();
    let seen = observe(clients(), &twenty).await;
    assert!(seen.iter().all(Option::is_some), "every child found");
    let after_twenty = counts();
    (0..rules.len())
        .map(|i| (after_one[i] - before[i], after_twenty[i] - after_one[i]))
        .collect()
}

fn owner_tags() -> Tags {
    [("platform:owner", "environment/test")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn rds_clients(rules: &[&Rule]) -> AwsClients {
    clients(&Mocks {
        rds: rules.to_vec(),
        ..Mocks::default()
    })
}

fn elasticache_clients(rules: &[&Rule]) -> AwsClients {
    clients(&Mocks {
        elasticache: rules.to_vec(),
        ..Mocks::default()
    })
}

fn rds_tags() -> Rule {
    mock!(aws_sdk_rds::Client::list_tags_for_resource).then_output(|| {
        aws_sdk_rds::operation::list_tags_for_resource::ListTagsForResourceOutput::builder()
            .tag_list(
                aws_sdk_rds::types::Tag::builder()
                    .key("platform:owner")
                    .value("environment/test")
                    .build(),
            )
            .build()
    })
}

fn elasticache_tags() -> Rule {
    mock!(aws_sdk_elasticache::Client::list_tags_for_resource).then_output(|| {
        aws_sdk_elasticache::operation::list_tags_for_resource::ListTagsForResourceOutput::builder()
            .tag_list(
                aws_sdk_elasticache::types::Tag::builder()
                    .key("platform:owner")
                    .value("environment/test")
                    .build(),
            )
            .build()
    })
}

/// The name of subnet group `i` of a round: all one name (`shared`), or one name each.
fn group_name(shared: bool, i: usize) -> String {
    if shared {
        "env-data".to_string()
    } else {
        format!("env{i}-data")
    }
}

// RDS

#[tokio::test]
async fn a_db_subnet_group_is_read_once_by_name() {
    use aws_sdk_rds::operation::describe_db_subnet_groups::DescribeDbSubnetGroupsOutput;
    use aws_sdk_rds::types::DbSubnetGroup;
    let describe = mock!(aws_sdk_rds::Client::describe_db_subnet_groups).then_compute_output(|r| {
        let name = r.db_subnet_group_name().unwrap_or_default();
        DescribeDbSubnetGroupsOutput::builder()
            .db_subnet_groups(
                DbSubnetGroup::builder()
                    .db_subnet_group_name(name)
                    .db_subnet_group_arn(format!("arn:aws:rds:us-east-1:1:subgrp:{name}"))
                    .build(),
            )
            .build()
    });
    let tags = rds_tags();
    let child = |shared: bool| {
        move |i: usize| {
            let spec = DbSubnetGroupSpec {
                name: group_name(shared, i),
                description: String::new(),
                subnets: vec![],
                tags: owner_tags(),
            };
            (
                NodeKey::new(Kind::DbSubnetGroup, &[&i.to_string()]),
                Recorded::new(group_name(shared, i), ChildSpec::DbSubnetGroup(spec)),
            )
        }
    };
    let clients = || rds_clients(&[&describe, &tags]);
    // An environment's resources all read its one group: one describe and one tag read.
    let calls = calls_for_1_and_20(&[&describe, &tags], clients, child(true)).await;
    assert_eq!(calls, [(1, 1), (1, 1)]);
    // Groups of other names have no call that reads several: one of each per group.
    let calls = calls_for_1_and_20(&[&describe, &tags], clients, child(false)).await;
    assert_eq!(calls, [(1, 20), (1, 20)]);
}

#[tokio::test]
async fn db_parameter_groups_are_read_once_each() {
    use aws_sdk_rds::operation::describe_db_parameter_groups::DescribeDbParameterGroupsOutput;
    use aws_sdk_rds::operation::describe_db_parameters::DescribeDbParametersOutput;
    use aws_sdk_rds::types::{DbParameterGroup, Parameter};
    let describe =
        mock!(aws_sdk_rds::Client::describe_db_parameter_groups).then_compute_output(|r| {
            let name = r.db_parameter_group_name().unwrap_or_default();
            DescribeDbParameterGroupsOutput::builder()
                .db_parameter_groups(
                    DbParameterGroup::builder()
                        .db_parameter_group_name(name)
                        .db_parameter_group_family("postgres17")
                        .db_parameter_group_arn(format!("arn:aws:rds:us-east-1:1:pg:{name}"))
                        .build(),
                )
                .build()
        });
    let parameters = mock!(aws_sdk_rds::Client::describe_db_parameters)
        .match_requests(|r| r.source() == Some("user"))
        .then_output(|| {
            DescribeDbParametersOutput::builder()
                .parameters(
                    Parameter::builder()
                        .parameter_name("work_mem")
                        .parameter_value("64MB")
                        .build(),
                )
                .build()
        });
    let tags = rds_tags();
    let child = |i: usize| {
        let spec = DbParameterGroupSpec {
            name: format!("db{i}-params"),
            family: "postgres17".into(),
            description: String::new(),
            parameters: [("work_mem".to_string(), "64MB".to_string())].into(),
            tags: owner_tags(),
        };
        (
            NodeKey::new(Kind::DbParameterGroup, &[&i.to_string()]),
            Recorded::new(spec.name.clone(), ChildSpec::DbParameterGroup(spec)),
        )
    };
    let rules = [&describe, &parameters, &tags];
    let calls = calls_for_1_and_20(&rules, || rds_clients(&rules), child).await;
    // Each database has its own group, and RDS has no call that reads several groups with
    // their parameters: one describe, one parameter listing and one tag read per group.
    assert_eq!(calls, [(1, 20), (1, 20), (1, 20)]);
}

fn db_instance_spec(i: usize) -> DbInstanceSpec {
    DbInstanceSpec {
        identifier: format!("db-{i}"),
        engine: "postgres".into(),
        engine_version: "17".into(),
        allow_major_version_upgrade: false,
        instance_class: "db.t4g.micro".into(),
        database_name: "app".into(),
        master_username: "app".into(),
        subnet_group: NodeKey::new(Kind::DbSubnetGroup, &[]),
        security_groups: vec![],
        parameter_group: NodeKey::new(Kind::DbParameterGroup, &[&i.to_string()]),
        multi_az: false,
        storage_type: "gp3".into(),
        allocated_gib: 20,
        max_allocated_gib: 0,
        iops: None,
        kms_key_arn: None,
        backup_retention_days: 7,
        backup_window: None,
        maintenance_window: None,
        deletion_protection: false,
        final_snapshot: false,
        performance_insights: false,
        log_exports: vec![],
        apply_immediately: false,
        extended_support: false,
        tags: owner_tags(),
    }
}

#[tokio::test]
async fn db_instances_are_listed_once_per_region_across_pages() {
    use aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput;
    use aws_sdk_rds::types::DbInstance;
    let instances = |range: std::ops::Range<usize>| -> Vec<DbInstance> {
        range
            .map(|i| {
                DbInstance::builder()
                    .db_instance_identifier(format!("db-{i}"))
                    .db_instance_status("available")
                    .build()
            })
            .collect()
    };
    let first_page = mock!(aws_sdk_rds::Client::describe_db_instances)
        .match_requests(|r| r.db_instance_identifier().is_none() && r.marker().is_none())
        .then_output(move || {
            DescribeDbInstancesOutput::builder()
                .set_db_instances(Some(instances(0..10)))
                .marker("page-2")
                .build()
        });
    let second_page = mock!(aws_sdk_rds::Client::describe_db_instances)
        .match_requests(|r| r.marker() == Some("page-2"))
        .then_output(move || {
            DescribeDbInstancesOutput::builder()
                .set_db_instances(Some(instances(10..20)))
                .build()
        });
    let child = |i: usize| {
        (
            NodeKey::new(Kind::DbInstance, &[&i.to_string()]),
            Recorded::new(
                format!("db-{i}"),
                ChildSpec::DbInstance(db_instance_spec(i)),
            ),
        )
    };
    let rules = [&first_page, &second_page];
    let calls = calls_for_1_and_20(&rules, || rds_clients(&rules), child).await;
    // The listing carries each instance's tags: nothing is read per instance.
    assert_eq!(calls, [(1, 1), (1, 1)]);
}

// ElastiCache

#[tokio::test]
async fn a_cache_subnet_group_is_read_once_by_name() {
    use aws_sdk_elasticache::operation::describe_cache_subnet_groups::DescribeCacheSubnetGroupsOutput;
    use aws_sdk_elasticache::types::CacheSubnetGroup;
    let describe = mock!(aws_sdk_elasticache::Client::describe_cache_subnet_groups)
        .then_compute_output(|r| {
            let name = r.cache_subnet_group_name().unwrap_or_default();
            DescribeCacheSubnetGroupsOutput::builder()
                .cache_subnet_groups(
                    CacheSubnetGroup::builder()
                        .cache_subnet_group_name(name)
                        .arn(format!(
                            "arn:aws:elasticache:us-east-1:1:subnetgroup:{name}"
                        ))
                        .build(),
                )
                .build()
        });
    let tags = elasticache_tags();
    let child = |shared: bool| {
        move |i: usize| {
            let spec = CacheSubnetGroupSpec {
                name: group_name(shared, i),
                description: String::new(),
                subnets: vec![],
                tags: owner_tags(),
            };
            (
                NodeKey::new(Kind::CacheSubnetGroup, &[&i.to_string()]),
                Recorded::new(group_name(shared, i), ChildSpec::CacheSubnetGroup(spec)),
            )
        }
    };
    let clients = || elasticache_clients(&[&describe, &tags]);
    // An environment's resources all read its one group: one describe and one tag read.
    let calls = calls_for_1_and_20(&[&describe, &tags], clients, child(true)).await;
    assert_eq!(calls, [(1, 1), (1, 1)]);
    // Groups of other names have no call that reads several: one of each per group.
    let calls = calls_for_1_and_20(&[&describe, &tags], clients, child(false)).await;
    assert_eq!(calls, [(1, 20), (1, 20)]);
}

#[tokio::test]
async fn replication_groups_and_their_clusters_are_listed_once_per_region() {
    use aws_sdk_elasticache::operation::describe_cache_clusters::DescribeCacheClustersOutput;
    use aws_sdk_elasticache::operation::describe_replication_groups::DescribeReplicationGroupsOutput;
    use aws_sdk_elasticache::types::{CacheCluster, ReplicationGroup};
    let groups = mock!(aws_sdk_elasticache::Client::describe_replication_groups)
        .match_requests(|r| r.replication_group_id().is_none())
        .then_output(|| {
            DescribeReplicationGroupsOutput::builder()
                .set_replication_groups(Some(
                    (0..20)
                        .map(|i| {
                            ReplicationGroup::builder()
                                .replication_group_id(format!("cache-{i}"))
                                .status("available")
                                .arn(format!(
                                    "arn:aws:elasticache:us-east-1:1:replicationgroup:cache-{i}"
                                ))
                                .member_clusters(format!("cache-{i}-001"))
                                .build()
                        })
                        .collect(),
                ))
                .build()
        });
    let clusters = mock!(aws_sdk_elasticache::Client::describe_cache_clusters)
        .match_requests(|r| r.cache_cluster_id().is_none())
        .then_output(|| {
            DescribeCacheClustersOutput::builder()
                .set_cache_clusters(Some(
                    (0..20)
                        .map(|i| {
                            CacheCluster::builder()
                                .cache_cluster_id(format!("cache-{i}-001"))
                                .engine_version("8.0.1")
                                .build()
                        })
                        .collect(),
                ))
                .build()
        });
    let tags = elasticache_tags();
    let child = |i: usize| {
        let spec = ReplicationGroupSpec {
            id: format!("cache-{i}"),
            description: String::new(),
            engine: "valkey".into(),
            engine_version: "8".into(),
            node_type: "cache.t4g.small".into(),
            replicas: 0,
            multi_az: false,
            automatic_failover: false,
            subnet_group: NodeKey::new(Kind::CacheSubnetGroup, &[]),
            security_groups: vec![],
            kms_key_arn: None,
            auth_token: NodeKey::new(Kind::Secret, &[&i.to_string()]),
            port: 6379,
            snapshot_retention_days: 0,
            snapshot_window: None,
            maintenance_window: None,
            final_snapshot: false,
            tags: owner_tags(),
        };
        (
            NodeKey::new(Kind::ReplicationGroup, &[&i.to_string()]),
            Recorded::new(spec.id.clone(), ChildSpec::ReplicationGroup(spec)),
        )
    };
    let rules = [&groups, &clusters, &tags];
    let calls = calls_for_1_and_20(&rules, || elasticache_clients(&rules), child).await;
    // ListTagsForResource takes one ARN and the listings carry no tags: one tag read per group.
    assert_eq!(calls, [(1, 1), (1, 1), (1, 20)]);
}
