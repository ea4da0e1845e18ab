//! The executor against mocked EC2 responses: what the emulator cannot show (throttling,
//! dependency violations, waits, partial failure, adoption, cancellation).

mod common;

use common::Mocks;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_ec2::operation::associate_route_table::AssociateRouteTableOutput;
use aws_sdk_ec2::operation::create_nat_gateway::CreateNatGatewayOutput;
use aws_sdk_ec2::operation::create_route_table::CreateRouteTableOutput;
use aws_sdk_ec2::operation::create_subnet::CreateSubnetOutput;
use aws_sdk_ec2::operation::create_vpc::CreateVpcOutput;
use aws_sdk_ec2::operation::delete_nat_gateway::DeleteNatGatewayOutput;
use aws_sdk_ec2::operation::delete_subnet::DeleteSubnetOutput;
use aws_sdk_ec2::operation::describe_nat_gateways::DescribeNatGatewaysOutput;
use aws_sdk_ec2::operation::describe_network_interfaces::DescribeNetworkInterfacesOutput;
use aws_sdk_ec2::operation::describe_route_tables::DescribeRouteTablesOutput;
use aws_sdk_ec2::operation::describe_subnets::DescribeSubnetsOutput;
use aws_sdk_ec2::operation::describe_vpcs::DescribeVpcsOutput;
use aws_sdk_ec2::operation::modify_subnet_attribute::ModifySubnetAttributeOutput;
use aws_sdk_ec2::operation::modify_vpc_attribute::ModifyVpcAttributeOutput;
use aws_sdk_ec2::operation::release_address::ReleaseAddressOutput;
use aws_sdk_ec2::types::{
    NatGateway, NatGatewayAddress, NatGatewayState, RouteTable, Subnet, Tag, Vpc,
};
use aws_sdk_ec2::Client;
use aws_smithy_mocks::{mock, MockResponse, Rule};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use tokio_util::sync::CancellationToken;

use terraform_provider_platform::apply::{self, RunOptions};
use terraform_provider_platform::aws::ec2::elastic_ip::ElasticIpSpec;
use terraform_provider_platform::aws::ec2::nat_gateway::NatGatewaySpec;
use terraform_provider_platform::aws::ec2::route_table::RouteTableSpec;
use terraform_provider_platform::aws::ec2::route_table_association::RouteTableAssociationSpec;
use terraform_provider_platform::aws::ec2::subnet::SubnetSpec;
use terraform_provider_platform::aws::ec2::vpc::VpcSpec;
use terraform_provider_platform::aws::{AwsClients, Executor};
use terraform_provider_platform::plan::diff::diff;
use terraform_provider_platform::plan::ledger::{Ledger, Recorded};
use terraform_provider_platform::plan::node::*;

/// The scenarios this file covers, one test each.
#[derive(Debug)]
enum Scenario {
    HappyPath,
    FailureAfterSomeChildren,
    ThrottledThenSuccess,
    DependencyViolationOnDelete,
    NatDeletedBeforeEipRelease,
    NatRecreatedAfterOutOfBandDelete,
    Cancelled,
    AdoptsTaggedVpc,
    ChildGoneOnRead,
}

fn ec2_error(code: &str) -> HttpResponse {
    let body = format!(
        "<Response><Errors><Error><Code>{code}</Code><Message>mocked {code}</Message></Error></Errors><RequestID>r</RequestID></Response>"
    );
    let status = if code.contains("Throttl") || code == "RequestLimitExceeded" {
        503
    } else {
        400
    };
    HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body))
}

fn clients(rules: &[&Rule]) -> AwsClients {
    common::clients(&Mocks {
        ec2: rules.to_vec(),
        ..Mocks::default()
    })
}

fn opts() -> RunOptions {
    RunOptions {
        concurrency: 4,
        cancel: CancellationToken::new(),
        deadline: tokio::time::Instant::now() + Duration::from_secs(600),
    }
}

fn owner_tags(key: &NodeKey) -> Tags {
    [
        ("platform:managed-by", "terraform-provider-platform"),
        ("platform:owner", "environment/test"),
        ("platform:node", key.as_str()),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn vpc_key() -> NodeKey {
    NodeKey::new(Kind::Vpc, &[])
}
fn subnet_key() -> NodeKey {
    NodeKey::new(Kind::Subnet, &["data", "use1-az1"])
}
fn table_key() -> NodeKey {
    NodeKey::new(Kind::RouteTable, &["data"])
}
fn association_key() -> NodeKey {
    NodeKey::new(Kind::RouteTableAssociation, &["data", "use1-az1"])
}

/// VPC, data subnet, data route table and their association.
fn small_graph() -> std::collections::BTreeMap<NodeKey, Node> {
    let nodes = [
        (
            vpc_key(),
            ChildSpec::Vpc(VpcSpec {
                cidr: "10.0.0.0/16".into(),
                enable_dns_support: true,
                enable_dns_hostnames: true,
                tags: owner_tags(&vpc_key()),
            }),
        ),
        (
            subnet_key(),
            ChildSpec::Subnet(SubnetSpec {
                vpc: vpc_key(),
                tier: SubnetTier::Data,
                az_id: "use1-az1".into(),
                cidr: "10.0.0.0/24".into(),
                map_public_ip_on_launch: false,
                tags: owner_tags(&subnet_key()),
            }),
        ),
        (
            table_key(),
            ChildSpec::RouteTable(RouteTableSpec {
                vpc: vpc_key(),
                tags: owner_tags(&table_key()),
            }),
        ),
        (
            association_key(),
            ChildSpec::RouteTableAssociation(RouteTableAssociationSpec {
                route_table: table_key(),
                subnet: subnet_key(),
            }),
        ),
    ];
    nodes
        .into_iter()
        .map(|(key, spec)| (key.clone(), Node { key, spec }))
        .collect()
}

fn describe_vpcs_empty() -> Rule {
    mock!(Client::describe_vpcs).then_output(|| DescribeVpcsOutput::builder().build())
}
fn describe_subnets_empty() -> Rule {
    mock!(Client::describe_subnets).then_output(|| DescribeSubnetsOutput::builder().build())
}
fn describe_route_tables_empty() -> Rule {
    mock!(Client::describe_route_tables)
        .then_output(|| DescribeRouteTablesOutput::builder().build())
}
fn create_vpc_ok() -> Rule {
    mock!(Client::create_vpc).then_output(|| {
        CreateVpcOutput::builder()
            .vpc(Vpc::builder().vpc_id("vpc-1").build())
            .build()
    })
}
fn modify_vpc_ok() -> Rule {
    mock!(Client::modify_vpc_attribute).then_output(|| ModifyVpcAttributeOutput::builder().build())
}
fn create_subnet_ok() -> Rule {
    mock!(Client::create_subnet).then_output(|| {
        CreateSubnetOutput::builder()
            .subnet(Subnet::builder().subnet_id("subnet-1").build())
            .build()
    })
}
fn modify_subnet_ok() -> Rule {
    mock!(Client::modify_subnet_attribute)
        .then_output(|| ModifySubnetAttributeOutput::builder().build())
}
fn create_table_ok() -> Rule {
    mock!(Client::create_route_table).then_output(|| {
        CreateRouteTableOutput::builder()
            .route_table(RouteTable::builder().route_table_id("rtb-1").build())
            .build()
    })
}
fn associate_ok() -> Rule {
    mock!(Client::associate_route_table).then_output(|| {
        AssociateRouteTableOutput::builder()
            .association_id("rtbassoc-1")
            .build()
    })
}

async fn create_small_graph(
    extra: &[&Rule],
    create_vpc: &Rule,
    create_subnet: &Rule,
) -> (apply::Outcome, Vec<Rule>) {
    let rules = vec![
        describe_vpcs_empty(),
        modify_vpc_ok(),
        describe_subnets_empty(),
        modify_subnet_ok(),
        describe_route_tables_empty(),
        create_table_ok(),
        associate_ok(),
    ];
    let mut all: Vec<&Rule> = rules.iter().collect();
    all.push(create_vpc);
    all.push(create_subnet);
    all.extend(extra);
    let executor = Executor::new(clients(&all));
    let desired = small_graph();
    let ops = diff(&desired, &Ledger::new());
    let outcome = apply::run(&executor, &desired, &ops, Ledger::new(), opts()).await;
    (outcome, rules)
}

#[tokio::test(start_paused = true)]
async fn happy_path() {
    let _ = Scenario::HappyPath;
    let (create_vpc, create_subnet) = (create_vpc_ok(), create_subnet_ok());
    let (outcome, rules) = create_small_graph(&[], &create_vpc, &create_subnet).await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    let ids = outcome.ledger.ids();
    assert_eq!(ids["ec2.vpc"], "vpc-1");
    assert_eq!(ids["ec2.subnet/data/use1-az1"], "subnet-1");
    assert_eq!(ids["ec2.route_table/data"], "rtb-1");
    assert_eq!(
        ids["ec2.route_table_association/data/use1-az1"],
        "rtbassoc-1"
    );
    assert_eq!(create_vpc.num_calls(), 1);
    assert_eq!(
        rules[1].num_calls(),
        1,
        "DNS hostnames only: a new VPC resolves DNS already"
    );
}

#[tokio::test(start_paused = true)]
async fn failure_after_some_children_returns_the_partial_ledger() {
    let _ = Scenario::FailureAfterSomeChildren;
    let create_vpc = create_vpc_ok();
    let create_subnet =
        mock!(Client::create_subnet).then_http_response(|| ec2_error("InvalidSubnet.Conflict"));
    let (outcome, rules) = create_small_graph(&[], &create_vpc, &create_subnet).await;
    assert_eq!(outcome.errors.len(), 1);
    assert_eq!(
        outcome.errors[0].summary(),
        "creating EC2 Subnet (ec2.subnet/data/use1-az1)"
    );
    assert!(outcome.errors[0]
        .to_string()
        .contains("InvalidSubnet.Conflict"));
    let keys: Vec<String> = outcome
        .ledger
        .children
        .keys()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        keys,
        ["ec2.route_table/data", "ec2.vpc"],
        "independent children are kept and recorded"
    );
    assert_eq!(
        rules[6].num_calls(),
        0,
        "the association depends on the failed subnet and is skipped"
    );
    assert_eq!(
        create_subnet.num_calls(),
        1,
        "permanent errors are not retried"
    );
}

#[tokio::test(start_paused = true)]
async fn throttling_is_retried() {
    let _ = Scenario::ThrottledThenSuccess;
    let create_vpc = mock!(Client::create_vpc)
        .sequence()
        .http_response(|| ec2_error("RequestLimitExceeded"))
        .times(2)
        .output(|| {
            CreateVpcOutput::builder()
                .vpc(Vpc::builder().vpc_id("vpc-1").build())
                .build()
        })
        .build();
    let create_subnet = create_subnet_ok();
    let (outcome, _) = create_small_graph(&[], &create_vpc, &create_subnet).await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert_eq!(create_vpc.num_calls(), 3);
}

fn recorded(key: &NodeKey, id: &str, spec: ChildSpec) -> (NodeKey, Recorded) {
    (
        key.clone(),
        Recorded {
            refs: Default::default(),
            id: id.into(),
            observed: spec,
        },
    )
}

#[tokio::test(start_paused = true)]
async fn dependency_violation_on_delete_is_retried() {
    let _ = Scenario::DependencyViolationOnDelete;
    let delete_subnet = mock!(Client::delete_subnet)
        .sequence()
        .http_response(|| ec2_error("DependencyViolation"))
        .times(3)
        .output(|| DeleteSubnetOutput::builder().build())
        .build();
    // The sweep after each DependencyViolation finds no ENIs, so nothing changes.
    let no_enis = mock!(Client::describe_network_interfaces)
        .then_output(|| DescribeNetworkInterfacesOutput::builder().build());
    let executor = Executor::new(clients(&[&delete_subnet, &no_enis]));
    let mut ledger = Ledger::new();
    let graph = small_graph();
    ledger.children.extend([recorded(
        &subnet_key(),
        "subnet-1",
        graph[&subnet_key()].spec.clone(),
    )]);
    let outcome = apply::destroy(&executor, ledger, opts()).await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert!(outcome.ledger.children.is_empty());
    assert_eq!(delete_subnet.num_calls(), 4);
}

#[tokio::test(start_paused = true)]
async fn nat_gateway_is_deleted_before_its_address_is_released() {
    let _ = Scenario::NatDeletedBeforeEipRelease;
    let calls = Arc::new(Mutex::new(Vec::<String>::new()));
    let (c1, c2, c3) = (calls.clone(), calls.clone(), calls.clone());
    let delete_nat = mock!(Client::delete_nat_gateway).then_compute_output(move |_| {
        c1.lock().unwrap().push("DeleteNatGateway".into());
        DeleteNatGatewayOutput::builder().build()
    });
    let describe_nat = mock!(Client::describe_nat_gateways)
        .sequence()
        .output(|| {
            DescribeNatGatewaysOutput::builder()
                .nat_gateways(
                    NatGateway::builder()
                        .nat_gateway_id("nat-1")
                        .state(NatGatewayState::Deleting)
                        .build(),
                )
                .build()
        })
        .times(2)
        .output(|| {
            DescribeNatGatewaysOutput::builder()
                .nat_gateways(
                    NatGateway::builder()
                        .nat_gateway_id("nat-1")
                        .state(NatGatewayState::Deleted)
                        .build(),
                )
                .build()
        })
        .build();
    // Guards against polling past `deleted`: any extra describe is recorded as unexpected.
    let describe_after_deleted =
        mock!(Client::describe_nat_gateways).then_compute_output(move |_| {
            c2.lock().unwrap().push("unexpected".into());
            DescribeNatGatewaysOutput::builder().build()
        });
    let release = mock!(Client::release_address).then_compute_output(move |_| {
        c3.lock().unwrap().push("ReleaseAddress".into());
        ReleaseAddressOutput::builder().build()
    });
    let executor = Executor::new(clients(&[
        &delete_nat,
        &describe_nat,
        &release,
        &describe_after_deleted,
    ]));
    let eip = NodeKey::new(Kind::ElasticIp, &["nat", "use1-az1"]);
    let nat = NodeKey::new(Kind::NatGateway, &["use1-az1"]);
    let mut ledger = Ledger::new();
    ledger.children.extend([
        recorded(
            &eip,
            "eipalloc-1",
            ChildSpec::ElasticIp(ElasticIpSpec {
                tags: owner_tags(&eip),
            }),
        ),
        recorded(
            &nat,
            "nat-1",
            ChildSpec::NatGateway(NatGatewaySpec {
                subnet: subnet_key(),
                eip: eip.clone(),
                internet_gateway: NodeKey::new(Kind::InternetGateway, &[]),
                tags: owner_tags(&nat),
            }),
        ),
    ]);
    let outcome = apply::destroy(&executor, ledger, opts()).await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert_eq!(describe_nat.num_calls(), 3, "polled until deleted");
    assert_eq!(
        *calls.lock().unwrap(),
        ["DeleteNatGateway", "ReleaseAddress"]
    );
}

/// A NAT gateway as AWS describes it, holding `eipalloc-1` in `subnet-1`.
fn nat_gateway(id: &str, state: NatGatewayState, key: &NodeKey) -> NatGateway {
    NatGateway::builder()
        .nat_gateway_id(id)
        .vpc_id("vpc-1")
        .subnet_id("subnet-1")
        .nat_gateway_addresses(
            NatGatewayAddress::builder()
                .allocation_id("eipalloc-1")
                .build(),
        )
        .state(state)
        .set_tags(Some(
            owner_tags(key)
                .iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect(),
        ))
        .build()
}

#[tokio::test(start_paused = true)]
async fn a_nat_gateway_deleted_out_of_band_is_recreated_once_the_old_one_is_gone() {
    let _ = Scenario::NatRecreatedAfterOutOfBandDelete;
    let nat = NodeKey::new(Kind::NatGateway, &["use1-az1"]);
    let eip = NodeKey::new(Kind::ElasticIp, &["nat", "use1-az1"]);
    let public = NodeKey::new(Kind::Subnet, &["public", "use1-az1"]);
    let igw = NodeKey::new(Kind::InternetGateway, &[]);
    // Someone deleted nat-old; AWS takes a minute to finish, and until then its Elastic IP
    // stays associated with it.
    let started = tokio::time::Instant::now();
    let old_gone_at = started + Duration::from_secs(60);
    let old_state = move || {
        if tokio::time::Instant::now() < old_gone_at {
            NatGatewayState::Deleting
        } else {
            NatGatewayState::Deleted
        }
    };
    let nat_key = nat.clone();
    let describe = mock!(Client::describe_nat_gateways).then_compute_output(move |input| {
        let states: Vec<&str> = input
            .filter()
            .iter()
            .filter(|f| f.name() == Some("state"))
            .flat_map(|f| f.values().iter().map(String::as_str))
            .collect();
        let old = nat_gateway("nat-old", old_state(), &nat_key);
        let found = if input.nat_gateway_ids() == ["nat-new"] {
            vec![nat_gateway("nat-new", NatGatewayState::Available, &nat_key)]
        } else if states.is_empty() || states.contains(&old.state().unwrap().as_str()) {
            vec![old]
        } else {
            vec![]
        };
        DescribeNatGatewaysOutput::builder()
            .set_nat_gateways(Some(found))
            .build()
    });
    let create = mock!(Client::create_nat_gateway).then_compute_response(move |input| {
        assert_eq!(input.allocation_id(), Some("eipalloc-1"));
        if tokio::time::Instant::now() < old_gone_at {
            MockResponse::Http(ec2_error("Resource.AlreadyAssociated"))
        } else {
            MockResponse::Output(
                CreateNatGatewayOutput::builder()
                    .nat_gateway(NatGateway::builder().nat_gateway_id("nat-new").build())
                    .build(),
            )
        }
    });
    let executor = Executor::new(clients(&[&describe, &create]));
    let spec = ChildSpec::NatGateway(NatGatewaySpec {
        subnet: public.clone(),
        eip: eip.clone(),
        internet_gateway: igw.clone(),
        tags: owner_tags(&nat),
    });
    let mut ledger = Ledger::new();
    ledger.external.extend([
        (vpc_key(), "vpc-1".to_string()),
        (public, "subnet-1".to_string()),
        (eip, "eipalloc-1".to_string()),
        (igw, "igw-1".to_string()),
    ]);
    ledger
        .children
        .extend([recorded(&nat, "nat-old", spec.clone())]);

    let (refreshed, drift, errors) = apply::observe_all(&executor, &ledger, opts()).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        drift,
        ["ec2.nat_gateway/use1-az1: deleted outside Terraform"]
    );
    let desired: std::collections::BTreeMap<_, _> = [(
        nat.clone(),
        Node {
            key: nat.clone(),
            spec,
        },
    )]
    .into();
    let ops = diff(&desired, &refreshed);
    let outcome = apply::run(&executor, &desired, &ops, refreshed, opts()).await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert_eq!(outcome.ledger.ids()["ec2.nat_gateway/use1-az1"], "nat-new");
    assert_eq!(
        create.num_calls(),
        1,
        "created once the old gateway was deleted"
    );
    assert!(started.elapsed() >= Duration::from_secs(60));
}

#[tokio::test(start_paused = true)]
async fn cancellation_stops_between_steps() {
    let _ = Scenario::Cancelled;
    let create_vpc = create_vpc_ok();
    let executor = Executor::new(clients(&[&create_vpc, &describe_vpcs_empty()]));
    let options = opts();
    options.cancel.cancel();
    let desired = small_graph();
    let ops = diff(&desired, &Ledger::new());
    let outcome = apply::run(&executor, &desired, &ops, Ledger::new(), options).await;
    assert!(outcome.interrupted);
    assert!(outcome.ledger.children.is_empty());
    assert_eq!(create_vpc.num_calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn create_adopts_a_tagged_vpc() {
    let _ = Scenario::AdoptsTaggedVpc;
    let tags: Vec<Tag> = owner_tags(&vpc_key())
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    let describe = mock!(Client::describe_vpcs).then_output(move || {
        DescribeVpcsOutput::builder()
            .vpcs(
                Vpc::builder()
                    .vpc_id("vpc-orphan")
                    .set_tags(Some(tags.clone()))
                    .build(),
            )
            .build()
    });
    let create_vpc = create_vpc_ok();
    let executor = Executor::new(clients(&[&describe, &create_vpc, &modify_vpc_ok()]));
    let graph = small_graph();
    let only_vpc: std::collections::BTreeMap<_, _> =
        graph.into_iter().filter(|(k, _)| *k == vpc_key()).collect();
    let ops = diff(&only_vpc, &Ledger::new());
    let outcome = apply::run(&executor, &only_vpc, &ops, Ledger::new(), opts()).await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert_eq!(outcome.ledger.ids()["ec2.vpc"], "vpc-orphan");
    assert_eq!(create_vpc.num_calls(), 0, "no duplicate VPC");
}

#[tokio::test(start_paused = true)]
async fn a_child_gone_on_read_is_dropped_and_reported() {
    let _ = Scenario::ChildGoneOnRead;
    let describe = mock!(Client::describe_subnets)
        .then_http_response(|| ec2_error("InvalidSubnetID.NotFound"));
    let executor = Executor::new(clients(&[&describe]));
    let graph = small_graph();
    let mut ledger = Ledger::new();
    ledger.children.extend([recorded(
        &subnet_key(),
        "subnet-1",
        graph[&subnet_key()].spec.clone(),
    )]);
    let (refreshed, drift, errors) = apply::observe_all(&executor, &ledger, opts()).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert!(refreshed.children.is_empty());
    assert_eq!(
        drift,
        ["ec2.subnet/data/use1-az1: deleted outside Terraform"]
    );
}
