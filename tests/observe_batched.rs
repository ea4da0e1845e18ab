//! Batched observation: a refresh describes each kind once per scope (a VPC, a cluster, a
//! listener), so observing N children of a kind costs the calls of one. Each test observes one
//! child, then twenty, through executors whose reads are shared as they are in a provider
//! process, and counts the describe calls.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_smithy_mocks::{mock, Rule};
use futures::future::join_all;

use terraform_provider_platform::apply::{Executor as _, IdMap};
use terraform_provider_platform::aws::common::reads::Reads;
use terraform_provider_platform::aws::ec2::subnet::SubnetSpec;
use terraform_provider_platform::aws::{AwsClients, Executor};
use terraform_provider_platform::plan::ledger::{Ledger, Recorded};
use terraform_provider_platform::plan::node::{ChildSpec, Kind, NodeKey, SubnetTier};

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

/// Observes 1 and then 20 children, each round with fresh reads; returns the calls `rule`
/// saw in each round.
async fn calls_for_1_and_20(
    rule: &Rule,
    clients: impl Fn() -> AwsClients,
    external: &BTreeMap<NodeKey, String>,
    child: impl Fn(usize) -> (NodeKey, Recorded),
) -> (usize, usize) {
    let one: Vec<_> = (0..1).map(&child).collect();
    let seen = observe(clients(), external, &one).await;
    assert!(seen.iter().all(Option::is_some), "every child found");
    let after_one = rule.num_calls();
    let twenty: Vec<_> = (0..20).map(&child).collect();
    let seen = observe(clients(), external, &twenty).await;
    assert!(seen.iter().all(Option::is_some), "every child found");
    (after_one, rule.num_calls() - after_one)
}

fn vpc() -> BTreeMap<NodeKey, String> {
    [(NodeKey::new(Kind::Vpc, &[]), "vpc-1".to_string())].into()
}

#[tokio::test]
async fn subnets_are_listed_once_per_vpc() {
    let list = mock!(aws_sdk_ec2::Client::describe_subnets)
        .match_requests(|r| r.filters().iter().any(|f| f.name() == Some("vpc-id")))
        .then_output(|| {
            aws_sdk_ec2::operation::describe_subnets::DescribeSubnetsOutput::builder()
                .set_subnets(Some(
                    (0..20)
                        .map(|i| {
                            aws_sdk_ec2::types::Subnet::builder()
                                .subnet_id(format!("subnet-{i}"))
                                .vpc_id("vpc-1")
                                .availability_zone_id("use1-az1")
                                .cidr_block(format!("10.0.{i}.0/24"))
                                .build()
                        })
                        .collect(),
                ))
                .build()
        });
    let child = |i: usize| {
        let spec = SubnetSpec {
            vpc: NodeKey::new(Kind::Vpc, &[]),
            tier: SubnetTier::Private,
            az_id: "use1-az1".into(),
            cidr: format!("10.0.{i}.0/24"),
            map_public_ip_on_launch: false,
            tags: Default::default(),
        };
        (
            NodeKey::new(Kind::Subnet, &["private", &i.to_string()]),
            Recorded::new(format!("subnet-{i}"), ChildSpec::Subnet(spec)),
        )
    };
    let calls = calls_for_1_and_20(&list, || common::ec2_clients(&[&list]), &vpc(), child).await;
    assert_eq!(calls, (1, 1));
}
