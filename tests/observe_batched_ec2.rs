//! Batched observation of the EC2 network kinds: a refresh lists each kind once per scope (the
//! environment's VPC, or its owner tag), so observing N children of a kind costs the calls of
//! one. Each test observes one child, then twenty, through executors whose reads are shared as
//! they are in a provider process, and counts the describe calls.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_sdk_ec2::operation::describe_addresses::DescribeAddressesOutput;
use aws_sdk_ec2::operation::describe_flow_logs::DescribeFlowLogsOutput;
use aws_sdk_ec2::operation::describe_internet_gateways::DescribeInternetGatewaysOutput;
use aws_sdk_ec2::operation::describe_nat_gateways::DescribeNatGatewaysOutput;
use aws_sdk_ec2::operation::describe_route_tables::DescribeRouteTablesOutput;
use aws_sdk_ec2::operation::describe_security_group_rules::DescribeSecurityGroupRulesOutput;
use aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsOutput;
use aws_sdk_ec2::operation::describe_vpc_attribute::DescribeVpcAttributeOutput;
use aws_sdk_ec2::operation::describe_vpc_endpoints::DescribeVpcEndpointsOutput;
use aws_sdk_ec2::operation::describe_vpcs::DescribeVpcsOutput;
use aws_sdk_ec2::types::{
    Address, AttributeBooleanValue, FlowLog, InternetGateway, InternetGatewayAttachment,
    NatGateway, NatGatewayAddress, NatGatewayState, Route, RouteTable, RouteTableAssociation,
    SecurityGroup, SecurityGroupRule, State, Tag, TrafficType, Vpc, VpcEndpoint, VpcEndpointType,
};
use aws_sdk_ec2::Client;
use aws_smithy_mocks::{mock, Rule};
use futures::future::join_all;

use terraform_provider_platform::apply::{Executor as _, IdMap};
use terraform_provider_platform::aws::common::reads::Reads;
use terraform_provider_platform::aws::ec2::elastic_ip::ElasticIpSpec;
use terraform_provider_platform::aws::ec2::flow_log::FlowLogSpec;
use terraform_provider_platform::aws::ec2::internet_gateway::InternetGatewaySpec;
use terraform_provider_platform::aws::ec2::nat_gateway::NatGatewaySpec;
use terraform_provider_platform::aws::ec2::route::{RouteSpec, RouteTarget};
use terraform_provider_platform::aws::ec2::route_table::RouteTableSpec;
use terraform_provider_platform::aws::ec2::route_table_association::RouteTableAssociationSpec;
use terraform_provider_platform::aws::ec2::security_group::SecurityGroupSpec;
use terraform_provider_platform::aws::ec2::security_group_rule::{
    Direction, RulePeer, SecurityGroupRuleSpec,
};
use terraform_provider_platform::aws::ec2::vpc::VpcSpec;
use terraform_provider_platform::aws::ec2::vpc_endpoint::{EndpointType, VpcEndpointSpec};
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

/// Observes 1 and then 20 children, each round with fresh reads; returns the calls each of
/// `rules` saw in each round.
async fn calls_for_1_and_20(
    rules: &[&Rule],
    external: &BTreeMap<NodeKey, String>,
    child: impl Fn(usize) -> (NodeKey, Recorded),
) -> Vec<(usize, usize)> {
    let counts = || rules.iter().map(|r| r.num_calls()).collect::<Vec<_>>();
    let one: Vec<_> = (0..1).map(&child).collect();
    let seen = observe(common::ec2_clients(rules), external, &one).await;
    assert!(seen.iter().all(Option::is_some), "every child found");
    let after_one = counts();
    let twenty: Vec<_> = (0..20).map(&child).collect();
    let seen = observe(common::ec2_clients(rules), external, &twenty).await;
    assert!(seen.iter().all(Option::is_some), "every child found");
    after_one
        .iter()
        .zip(counts())
        .map(|(one, both)| (*one, both - one))
        .collect()
}

const OWNER: &str = "environment/test";

fn vpc_key() -> NodeKey {
    NodeKey::new(Kind::Vpc, &[])
}

/// The environment's VPC, as every resource's ledger resolves it.
fn vpc() -> BTreeMap<NodeKey, String> {
    [(vpc_key(), "vpc-1".to_string())].into()
}

fn owner_tags(key: &NodeKey) -> Tags {
    [
        ("platform:managed-by", "terraform-provider-platform"),
        ("platform:owner", OWNER),
        ("platform:node", key.as_str()),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn sdk_tags(key: &NodeKey) -> Vec<Tag> {
    owner_tags(key)
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

fn has_filter(filters: &[aws_sdk_ec2::types::Filter], name: &str, value: &str) -> bool {
    filters
        .iter()
        .any(|f| f.name() == Some(name) && f.values().iter().any(|v| v == value))
}

#[tokio::test]
async fn the_vpc_is_read_once_however_many_observe_it() {
    let key = |i: usize| NodeKey::new(Kind::Vpc, &[&i.to_string()]);
    let describe = mock!(Client::describe_vpcs)
        .match_requests(|r| r.vpc_ids() == ["vpc-1"])
        .then_output(|| {
            DescribeVpcsOutput::builder()
                .vpcs(
                    Vpc::builder()
                        .vpc_id("vpc-1")
                        .cidr_block("10.0.0.0/16")
                        .build(),
                )
                .build()
        });
    let attribute = mock!(Client::describe_vpc_attribute)
        .match_requests(|r| r.vpc_id() == Some("vpc-1"))
        .then_output(|| {
            let yes = AttributeBooleanValue::builder().value(true).build();
            DescribeVpcAttributeOutput::builder()
                .enable_dns_support(yes.clone())
                .enable_dns_hostnames(yes)
                .build()
        });
    // Twenty observers of one VPC (resources of one environment in one provider process):
    // its describe and its two attribute reads are per VPC, shared through the reads.
    let child = |i: usize| {
        let spec = VpcSpec {
            cidr: "10.0.0.0/16".into(),
            enable_dns_support: true,
            enable_dns_hostnames: true,
            tags: owner_tags(&vpc_key()),
        };
        (key(i), Recorded::new("vpc-1", ChildSpec::Vpc(spec)))
    };
    let calls = calls_for_1_and_20(&[&describe, &attribute], &BTreeMap::new(), child).await;
    assert_eq!(calls, [(1, 1), (2, 2)]);
}

#[tokio::test]
async fn internet_gateways_are_listed_once_per_owner() {
    let key = |i: usize| NodeKey::new(Kind::InternetGateway, &[&i.to_string()]);
    let list = mock!(Client::describe_internet_gateways)
        .match_requests(|r| has_filter(r.filters(), "tag:platform:owner", OWNER))
        .then_output(move || {
            DescribeInternetGatewaysOutput::builder()
                .set_internet_gateways(Some(
                    (0..20)
                        .map(|i| {
                            InternetGateway::builder()
                                .internet_gateway_id(format!("igw-{i}"))
                                .attachments(
                                    InternetGatewayAttachment::builder().vpc_id("vpc-1").build(),
                                )
                                .set_tags(Some(sdk_tags(&key(i))))
                                .build()
                        })
                        .collect(),
                ))
                .build()
        });
    let child = |i: usize| {
        let spec = InternetGatewaySpec {
            vpc: vpc_key(),
            tags: owner_tags(&key(i)),
        };
        (
            key(i),
            Recorded::new(format!("igw-{i}"), ChildSpec::InternetGateway(spec)),
        )
    };
    let calls = calls_for_1_and_20(&[&list], &vpc(), child).await;
    assert_eq!(calls, [(1, 1)]);
}

#[tokio::test]
async fn elastic_ips_are_listed_once_per_owner() {
    let key = |i: usize| NodeKey::new(Kind::ElasticIp, &["nat", &i.to_string()]);
    let list = mock!(Client::describe_addresses)
        .match_requests(|r| has_filter(r.filters(), "tag:platform:owner", OWNER))
        .then_output(move || {
            DescribeAddressesOutput::builder()
                .set_addresses(Some(
                    (0..20)
                        .map(|i| {
                            Address::builder()
                                .allocation_id(format!("eipalloc-{i}"))
                                .set_tags(Some(sdk_tags(&key(i))))
                                .build()
                        })
                        .collect(),
                ))
                .build()
        });
    let child = |i: usize| {
        let spec = ElasticIpSpec {
            tags: owner_tags(&key(i)),
        };
        (
            key(i),
            Recorded::new(format!("eipalloc-{i}"), ChildSpec::ElasticIp(spec)),
        )
    };
    let calls = calls_for_1_and_20(&[&list], &vpc(), child).await;
    assert_eq!(calls, [(1, 1)]);
}

#[tokio::test]
async fn nat_gateways_are_listed_once_per_vpc() {
    let key = |i: usize| NodeKey::new(Kind::NatGateway, &[&i.to_string()]);
    let list = mock!(Client::describe_nat_gateways)
        .match_requests(|r| has_filter(r.filter(), "vpc-id", "vpc-1"))
        .then_output(move || {
            DescribeNatGatewaysOutput::builder()
                .set_nat_gateways(Some(
                    (0..20)
                        .map(|i| {
                            NatGateway::builder()
                                .nat_gateway_id(format!("nat-{i}"))
                                .vpc_id("vpc-1")
                                .subnet_id(format!("subnet-{i}"))
                                .nat_gateway_addresses(
                                    NatGatewayAddress::builder()
                                        .allocation_id(format!("eipalloc-{i}"))
                                        .build(),
                                )
                                .state(NatGatewayState::Available)
                                .set_tags(Some(sdk_tags(&key(i))))
                                .build()
                        })
                        .collect(),
                ))
                .build()
        });
    let child = |i: usize| {
        let spec = NatGatewaySpec {
            subnet: NodeKey::new(Kind::Subnet, &["public", &i.to_string()]),
            eip: NodeKey::new(Kind::ElasticIp, &["nat", &i.to_string()]),
            internet_gateway: NodeKey::new(Kind::InternetGateway, &[]),
            tags: owner_tags(&key(i)),
        };
        (
            key(i),
            Recorded::new(format!("nat-{i}"), ChildSpec::NatGateway(spec)),
        )
    };
    let calls = calls_for_1_and_20(&[&list], &vpc(), child).await;
    assert_eq!(calls, [(1, 1)]);
}

fn table_key(i: usize) -> NodeKey {
    NodeKey::new(Kind::RouteTable, &[&i.to_string()])
}

/// Twenty route tables of vpc-1, each with a default route and a subnet association.
fn describe_route_tables() -> Rule {
    mock!(Client::describe_route_tables)
        .match_requests(|r| has_filter(r.filters(), "vpc-id", "vpc-1"))
        .then_output(|| {
            DescribeRouteTablesOutput::builder()
                .set_route_tables(Some(
                    (0..20)
                        .map(|i| {
                            RouteTable::builder()
                                .route_table_id(format!("rtb-{i}"))
                                .vpc_id("vpc-1")
                                .routes(
                                    Route::builder()
                                        .destination_cidr_block("0.0.0.0/0")
                                        .nat_gateway_id(format!("nat-{i}"))
                                        .build(),
                                )
                                .associations(
                                    RouteTableAssociation::builder()
                                        .route_table_association_id(format!("rtbassoc-{i}"))
                                        .route_table_id(format!("rtb-{i}"))
                                        .subnet_id(format!("subnet-{i}"))
                                        .build(),
                                )
                                .set_tags(Some(sdk_tags(&table_key(i))))
                                .build()
                        })
                        .collect(),
                ))
                .build()
        })
}

fn table_child(i: usize) -> (NodeKey, Recorded) {
    let spec = RouteTableSpec {
        vpc: vpc_key(),
        tags: owner_tags(&table_key(i)),
    };
    (
        table_key(i),
        Recorded::new(format!("rtb-{i}"), ChildSpec::RouteTable(spec)),
    )
}

fn route_child(i: usize) -> (NodeKey, Recorded) {
    let spec = RouteSpec {
        route_table: table_key(i),
        destination_cidr: "0.0.0.0/0".into(),
        target: RouteTarget::NatGateway(NodeKey::new(Kind::NatGateway, &[&i.to_string()])),
    };
    (
        NodeKey::new(Kind::Route, &[&i.to_string(), "default"]),
        Recorded::new(format!("rtb-{i}|0.0.0.0/0"), ChildSpec::Route(spec)),
    )
}

fn association_child(i: usize) -> (NodeKey, Recorded) {
    let spec = RouteTableAssociationSpec {
        route_table: table_key(i),
        subnet: NodeKey::new(Kind::Subnet, &["private", &i.to_string()]),
    };
    (
        NodeKey::new(Kind::RouteTableAssociation, &[&i.to_string()]),
        Recorded::new(
            format!("rtbassoc-{i}"),
            ChildSpec::RouteTableAssociation(spec),
        ),
    )
}

#[tokio::test]
async fn route_tables_are_listed_once_per_vpc() {
    let list = describe_route_tables();
    let calls = calls_for_1_and_20(&[&list], &vpc(), table_child).await;
    assert_eq!(calls, [(1, 1)]);
}

#[tokio::test]
async fn routes_are_read_from_the_route_table_listing() {
    let list = describe_route_tables();
    let calls = calls_for_1_and_20(&[&list], &vpc(), route_child).await;
    assert_eq!(calls, [(1, 1)]);
}

#[tokio::test]
async fn associations_are_read_from_the_route_table_listing() {
    let list = describe_route_tables();
    let calls = calls_for_1_and_20(&[&list], &vpc(), association_child).await;
    assert_eq!(calls, [(1, 1)]);
}

#[tokio::test]
async fn tables_routes_and_associations_share_one_listing() {
    let list = describe_route_tables();
    let children: Vec<_> = (0..20)
        .flat_map(|i| [table_child(i), route_child(i), association_child(i)])
        .collect();
    let seen = observe(common::ec2_clients(&[&list]), &vpc(), &children).await;
    assert!(seen.iter().all(Option::is_some), "every child found");
    assert_eq!(list.num_calls(), 1);
}

fn group_key(i: usize) -> NodeKey {
    NodeKey::new(Kind::SecurityGroup, &[&i.to_string()])
}

/// `count` security groups in vpc-1.
fn describe_security_groups(count: usize) -> Rule {
    mock!(Client::describe_security_groups)
        .match_requests(|r| has_filter(r.filters(), "vpc-id", "vpc-1"))
        .then_output(move || {
            DescribeSecurityGroupsOutput::builder()
                .set_security_groups(Some(
                    (0..count)
                        .map(|i| {
                            SecurityGroup::builder()
                                .group_id(format!("sg-{i}"))
                                .group_name(format!("test-{i}"))
                                .description("a group")
                                .vpc_id("vpc-1")
                                .set_tags(Some(sdk_tags(&group_key(i))))
                                .build()
                        })
                        .collect(),
                ))
                .build()
        })
}

#[tokio::test]
async fn security_groups_are_listed_once_per_vpc() {
    let list = describe_security_groups(20);
    let child = |i: usize| {
        let spec = SecurityGroupSpec {
            vpc: vpc_key(),
            name: format!("test-{i}"),
            description: "a group".into(),
            tags: owner_tags(&group_key(i)),
        };
        (
            group_key(i),
            Recorded::new(format!("sg-{i}"), ChildSpec::SecurityGroup(spec)),
        )
    };
    let calls = calls_for_1_and_20(&[&list], &vpc(), child).await;
    assert_eq!(calls, [(1, 1)]);
}

fn rule_key(i: usize) -> NodeKey {
    NodeKey::new(
        Kind::SecurityGroupRule,
        &[&i.to_string(), "ingress", "https"],
    )
}

/// One ingress rule per group named in the `group-id` filter, which must hold at most 100.
fn describe_security_group_rules() -> Rule {
    mock!(Client::describe_security_group_rules)
        .match_requests(|r| {
            r.filters().len() == 1
                && r.filters()[0].name() == Some("group-id")
                && r.filters()[0].values().len() <= 100
        })
        .then_compute_output(|input| {
            DescribeSecurityGroupRulesOutput::builder()
                .set_security_group_rules(Some(
                    input.filters()[0]
                        .values()
                        .iter()
                        .map(|group| {
                            let i: usize = group.trim_start_matches("sg-").parse().unwrap();
                            SecurityGroupRule::builder()
                                .security_group_rule_id(format!("sgr-{i}"))
                                .group_id(group)
                                .is_egress(false)
                                .ip_protocol("tcp")
                                .from_port(443)
                                .to_port(443)
                                .cidr_ipv4("10.0.0.0/16")
                                .description("https")
                                .set_tags(Some(sdk_tags(&rule_key(i))))
                                .build()
                        })
                        .collect(),
                ))
                .build()
        })
}

fn rule_child(i: usize) -> (NodeKey, Recorded) {
    let spec = SecurityGroupRuleSpec {
        group: group_key(i),
        direction: Direction::Ingress,
        protocol: "tcp".into(),
        from_port: 443,
        to_port: 443,
        peer: RulePeer::Cidr("10.0.0.0/16".into()),
        description: "https".into(),
        tags: owner_tags(&rule_key(i)),
    };
    (
        rule_key(i),
        Recorded::new(format!("sgr-{i}"), ChildSpec::SecurityGroupRule(spec)),
    )
}

/// The rules' groups, recorded by the resource that owns them.
fn groups(count: usize) -> BTreeMap<NodeKey, String> {
    let mut external = vpc();
    external.extend((0..count).map(|i| (group_key(i), format!("sg-{i}"))));
    external
}

#[tokio::test]
async fn security_group_rules_are_listed_once_per_vpc() {
    let groups_list = describe_security_groups(20);
    let rules_list = describe_security_group_rules();
    let calls = calls_for_1_and_20(&[&groups_list, &rules_list], &groups(20), rule_child).await;
    assert_eq!(calls, [(1, 1), (1, 1)]);
}

#[tokio::test]
async fn rules_of_more_than_a_hundred_groups_take_a_listing_per_hundred() {
    let groups_list = describe_security_groups(150);
    let rules_list = describe_security_group_rules();
    let children: Vec<_> = (0..150).map(rule_child).collect();
    let seen = observe(
        common::ec2_clients(&[&groups_list, &rules_list]),
        &groups(150),
        &children,
    )
    .await;
    assert!(seen.iter().all(Option::is_some), "every child found");
    assert_eq!(groups_list.num_calls(), 1);
    assert_eq!(rules_list.num_calls(), 2);
}

#[tokio::test]
async fn a_rule_of_a_group_outside_the_vpc_reads_its_own_group() {
    // The VPC's listing holds no groups; the rule's group lives elsewhere.
    let groups_list = describe_security_groups(0);
    let rules_list = describe_security_group_rules();
    let (key, recorded) = rule_child(7);
    let seen = observe(
        common::ec2_clients(&[&groups_list, &rules_list]),
        &groups(8),
        &[(key, recorded)],
    )
    .await;
    assert!(seen[0].is_some());
    assert_eq!(rules_list.num_calls(), 1);
}

#[tokio::test]
async fn vpc_endpoints_are_listed_once_per_vpc() {
    let key = |i: usize| NodeKey::new(Kind::VpcEndpoint, &[&i.to_string()]);
    let list = mock!(Client::describe_vpc_endpoints)
        .match_requests(|r| has_filter(r.filters(), "vpc-id", "vpc-1"))
        .then_output(move || {
            DescribeVpcEndpointsOutput::builder()
                .set_vpc_endpoints(Some(
                    (0..20)
                        .map(|i| {
                            VpcEndpoint::builder()
                                .vpc_endpoint_id(format!("vpce-{i}"))
                                .vpc_id("vpc-1")
                                .vpc_endpoint_type(VpcEndpointType::Gateway)
                                .service_name(format!("com.amazonaws.us-east-1.s{i}"))
                                .state(State::from("available"))
                                .set_tags(Some(sdk_tags(&key(i))))
                                .build()
                        })
                        .collect(),
                ))
                .build()
        });
    let child = |i: usize| {
        let spec = VpcEndpointSpec {
            vpc: vpc_key(),
            service_name: format!("com.amazonaws.us-east-1.s{i}"),
            endpoint_type: EndpointType::Gateway,
            route_tables: Vec::new(),
            subnets: Vec::new(),
            security_groups: Vec::new(),
            private_dns: false,
            tags: owner_tags(&key(i)),
        };
        (
            key(i),
            Recorded::new(format!("vpce-{i}"), ChildSpec::VpcEndpoint(spec)),
        )
    };
    let calls = calls_for_1_and_20(&[&list], &vpc(), child).await;
    assert_eq!(calls, [(1, 1)]);
}

#[tokio::test]
async fn flow_logs_are_listed_once_per_vpc() {
    let key = |i: usize| NodeKey::new(Kind::FlowLog, &[&i.to_string()]);
    let list = mock!(Client::describe_flow_logs)
        .match_requests(|r| has_filter(r.filter(), "resource-id", "vpc-1"))
        .then_output(move || {
            DescribeFlowLogsOutput::builder()
                .set_flow_logs(Some(
                    (0..20)
                        .map(|i| {
                            FlowLog::builder()
                                .flow_log_id(format!("fl-{i}"))
                                .resource_id("vpc-1")
                                .log_group_name(format!("/platform/test/flow-{i}"))
                                .deliver_logs_permission_arn("arn:aws:iam::123456789012:role/flow")
                                .traffic_type(TrafficType::All)
                                .set_tags(Some(sdk_tags(&key(i))))
                                .build()
                        })
                        .collect(),
                ))
                .build()
        });
    let child = |i: usize| {
        let spec = FlowLogSpec {
            vpc: vpc_key(),
            log_group: NodeKey::new(Kind::LogGroup, &["flow", &i.to_string()]),
            role: NodeKey::new(Kind::IamRole, &["flow"]),
            traffic_type: "ALL".into(),
            tags: owner_tags(&key(i)),
        };
        (
            key(i),
            Recorded::new(format!("fl-{i}"), ChildSpec::FlowLog(spec)),
        )
    };
    let calls = calls_for_1_and_20(&[&list], &vpc(), child).await;
    assert_eq!(calls, [(1, 1)]);
}
