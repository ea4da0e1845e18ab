//! Retries and the ENI sweep against mocked EC2 responses: what the emulator cannot show
//! (moto deletes subnets and groups that still have network interfaces, and never answers
//! 5xx), so the engine's retry classification and the sweep before a subnet or group delete
//! are tested here.

mod common;

use common::Mocks;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_ec2::operation::create_subnet::CreateSubnetOutput;
use aws_sdk_ec2::operation::create_vpc::CreateVpcOutput;
use aws_sdk_ec2::operation::delete_network_interface::DeleteNetworkInterfaceOutput;
use aws_sdk_ec2::operation::delete_security_group::DeleteSecurityGroupOutput;
use aws_sdk_ec2::operation::delete_subnet::DeleteSubnetOutput;
use aws_sdk_ec2::operation::describe_network_interfaces::DescribeNetworkInterfacesOutput;
use aws_sdk_ec2::operation::describe_subnets::DescribeSubnetsOutput;
use aws_sdk_ec2::operation::describe_vpcs::DescribeVpcsOutput;
use aws_sdk_ec2::operation::modify_subnet_attribute::ModifySubnetAttributeOutput;
use aws_sdk_ec2::operation::modify_vpc_attribute::ModifyVpcAttributeOutput;
use aws_sdk_ec2::types::{NetworkInterface, NetworkInterfaceStatus, Subnet, Vpc};
use aws_sdk_ec2::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use terraform_provider_platform::apply::{self, ErrorKind, RunOptions};
use terraform_provider_platform::aws::ec2::security_group::SecurityGroupSpec;
use terraform_provider_platform::aws::ec2::subnet::SubnetSpec;
use terraform_provider_platform::aws::ec2::vpc::VpcSpec;
use terraform_provider_platform::aws::{AwsClients, Executor};
use terraform_provider_platform::plan::diff::diff;
use terraform_provider_platform::plan::ledger::{Ledger, Recorded};
use terraform_provider_platform::plan::node::*;

/// The scenarios this file covers.
#[derive(Debug)]
enum Scenario {
    SubnetDeleteSweepsDetachedEnis,
    GroupDeleteSweepsDetachedEnis,
    ServerErrorsRetried,
    PermanentErrorFailsAtOnce,
    DependencyViolationUntilDeadline,
}

/// An EC2 error answer with the given HTTP status.
fn ec2_error(status: u16, code: &str) -> HttpResponse {
    let body = format!(
        "<Response><Errors><Error><Code>{code}</Code><Message>mocked {code}</Message></Error></Errors><RequestID>r</RequestID></Response>"
    );
    HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body))
}

fn clients(rules: &[&Rule]) -> AwsClients {
    common::clients(&Mocks {
        ec2: rules.to_vec(),
        ..Mocks::default()
    })
}

fn with_ec2(ec2: Client) -> AwsClients {
    let mut clients = common::clients(&Mocks::default());
    clients.ec2 = ec2.into();
    clients
}

fn opts_for(limit: Duration) -> RunOptions {
    RunOptions {
        concurrency: 4,
        cancel: CancellationToken::new(),
        deadline: Instant::now() + limit,
    }
}

fn opts() -> RunOptions {
    opts_for(Duration::from_secs(600))
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
    NodeKey::new(Kind::Subnet, &["private", "use1-az1"])
}
fn group_key() -> NodeKey {
    NodeKey::new(Kind::SecurityGroup, &["endpoints"])
}

fn vpc_spec() -> ChildSpec {
    ChildSpec::Vpc(VpcSpec {
        cidr: "10.0.0.0/16".into(),
        enable_dns_support: true,
        enable_dns_hostnames: true,
        tags: owner_tags(&vpc_key()),
    })
}
fn subnet_spec() -> ChildSpec {
    ChildSpec::Subnet(SubnetSpec {
        vpc: vpc_key(),
        tier: SubnetTier::Private,
        az_id: "use1-az1".into(),
        cidr: "10.0.0.0/24".into(),
        map_public_ip_on_launch: false,
        tags: owner_tags(&subnet_key()),
    })
}
fn group_spec() -> ChildSpec {
    ChildSpec::SecurityGroup(SecurityGroupSpec {
        vpc: vpc_key(),
        name: "test-endpoints".into(),
        description: "VPC endpoints".into(),
        tags: owner_tags(&group_key()),
    })
}

/// VPC and one private subnet.
fn graph() -> std::collections::BTreeMap<NodeKey, Node> {
    [(vpc_key(), vpc_spec()), (subnet_key(), subnet_spec())]
        .into_iter()
        .map(|(key, spec)| (key.clone(), Node { key, spec }))
        .collect()
}

fn ledger_of(children: &[(NodeKey, &str, ChildSpec)]) -> Ledger {
    let mut ledger = Ledger::new();
    for (key, id, spec) in children {
        ledger.children.insert(
            key.clone(),
            Recorded {
                refs: Default::default(),
                id: id.to_string(),
                observed: spec.clone(),
            },
        );
    }
    ledger
}

fn eni(id: &str, status: NetworkInterfaceStatus) -> NetworkInterface {
    NetworkInterface::builder()
        .network_interface_id(id)
        .status(status)
        .build()
}

/// DeleteNetworkInterface, recording each ID it is called with.
fn delete_eni_recording(deleted: &Arc<Mutex<Vec<String>>>) -> Rule {
    let seen = deleted.clone();
    mock!(Client::delete_network_interface).then_compute_output(move |input| {
        seen.lock()
            .unwrap()
            .push(input.network_interface_id().unwrap_or_default().to_string());
        DeleteNetworkInterfaceOutput::builder().build()
    })
}

/// The filter name and values of a DescribeNetworkInterfaces call.
fn filter_of(
    input: &aws_sdk_ec2::operation::describe_network_interfaces::DescribeNetworkInterfacesInput,
) -> (String, Vec<String>) {
    let filter = &input.filters()[0];
    (
        filter.name().unwrap_or_default().to_string(),
        filter.values().to_vec(),
    )
}

#[tokio::test(start_paused = true)]
async fn subnet_delete_sweeps_detached_enis_and_leaves_attached_ones() {
    let _ = Scenario::SubnetDeleteSweepsDetachedEnis;
    let delete_subnet = mock!(Client::delete_subnet)
        .sequence()
        .http_response(|| ec2_error(400, "DependencyViolation"))
        .output(|| DeleteSubnetOutput::builder().build())
        .build();
    // Two pages: a detached ENI (left by Lambda, say) and one a VPC endpoint still holds.
    let describe = mock!(Client::describe_network_interfaces).then_compute_output(|input| {
        assert_eq!(
            filter_of(input),
            ("subnet-id".to_string(), vec!["subnet-1".to_string()])
        );
        match input.next_token() {
            None => DescribeNetworkInterfacesOutput::builder()
                .network_interfaces(eni("eni-detached", NetworkInterfaceStatus::Available))
                .next_token("page-2")
                .build(),
            Some(_) => DescribeNetworkInterfacesOutput::builder()
                .network_interfaces(eni("eni-endpoint", NetworkInterfaceStatus::InUse))
                .build(),
        }
    });
    let deleted = Arc::new(Mutex::new(Vec::new()));
    let delete_eni = delete_eni_recording(&deleted);
    let executor = Executor::new(clients(&[&delete_subnet, &describe, &delete_eni]));
    let ledger = ledger_of(&[(subnet_key(), "subnet-1", subnet_spec())]);
    let outcome = apply::destroy(&executor, ledger, opts()).await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert!(outcome.ledger.children.is_empty());
    assert_eq!(describe.num_calls(), 2, "both pages read");
    assert_eq!(
        *deleted.lock().unwrap(),
        ["eni-detached"],
        "only the detached ENI is deleted; the attached one is its owner's"
    );
    assert_eq!(
        delete_subnet.num_calls(),
        2,
        "tried once more right after the sweep"
    );
}

#[tokio::test(start_paused = true)]
async fn security_group_delete_sweeps_detached_enis_then_succeeds() {
    let _ = Scenario::GroupDeleteSweepsDetachedEnis;
    let delete_group = mock!(Client::delete_security_group)
        .sequence()
        .http_response(|| ec2_error(400, "DependencyViolation"))
        .output(|| DeleteSecurityGroupOutput::builder().build())
        .build();
    let describe = mock!(Client::describe_network_interfaces).then_compute_output(|input| {
        assert_eq!(
            filter_of(input),
            ("group-id".to_string(), vec!["sg-1".to_string()])
        );
        DescribeNetworkInterfacesOutput::builder()
            .network_interfaces(eni("eni-1", NetworkInterfaceStatus::Available))
            .network_interfaces(eni("eni-gone", NetworkInterfaceStatus::Available))
            .build()
    });
    // One ENI was deleted by its owner between the describe and our delete: still success.
    let gone = mock!(Client::delete_network_interface)
        .match_requests(|input| input.network_interface_id() == Some("eni-gone"))
        .then_http_response(|| ec2_error(400, "InvalidNetworkInterfaceID.NotFound"));
    let deleted = Arc::new(Mutex::new(Vec::new()));
    let delete_eni = delete_eni_recording(&deleted);
    let executor = Executor::new(clients(&[&delete_group, &describe, &gone, &delete_eni]));
    let ledger = ledger_of(&[(group_key(), "sg-1", group_spec())]);
    let outcome = apply::destroy(&executor, ledger, opts()).await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert!(outcome.ledger.children.is_empty());
    assert_eq!(*deleted.lock().unwrap(), ["eni-1"]);
    assert_eq!(gone.num_calls(), 1);
    assert_eq!(delete_group.num_calls(), 2);
}

/// Rules for creating [`graph`] from nothing, with the given CreateSubnet rule.
async fn create_graph(create_subnet: &Rule) -> apply::Outcome {
    let rules = [
        mock!(Client::describe_vpcs).then_output(|| DescribeVpcsOutput::builder().build()),
        mock!(Client::create_vpc).then_output(|| {
            CreateVpcOutput::builder()
                .vpc(Vpc::builder().vpc_id("vpc-1").build())
                .build()
        }),
        mock!(Client::modify_vpc_attribute)
            .then_output(|| ModifyVpcAttributeOutput::builder().build()),
        mock!(Client::describe_subnets).then_output(|| DescribeSubnetsOutput::builder().build()),
        mock!(Client::modify_subnet_attribute)
            .then_output(|| ModifySubnetAttributeOutput::builder().build()),
    ];
    let mut all: Vec<&Rule> = rules.iter().collect();
    all.push(create_subnet);
    let executor = Executor::new(clients(&all));
    let desired = graph();
    let ops = diff(&desired, &Ledger::new());
    apply::run(&executor, &desired, &ops, Ledger::new(), opts()).await
}

#[tokio::test(start_paused = true)]
async fn server_errors_on_create_are_retried() {
    let _ = Scenario::ServerErrorsRetried;
    let create_subnet = mock!(Client::create_subnet)
        .sequence()
        .http_response(|| ec2_error(500, "InternalError"))
        .http_response(|| ec2_error(503, "ServiceUnavailable"))
        .output(|| {
            CreateSubnetOutput::builder()
                .subnet(Subnet::builder().subnet_id("subnet-1").build())
                .build()
        })
        .build();
    let outcome = create_graph(&create_subnet).await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    let ids = outcome.ledger.ids();
    assert_eq!(ids["ec2.vpc"], "vpc-1");
    assert_eq!(ids["ec2.subnet/private/use1-az1"], "subnet-1");
    assert_eq!(create_subnet.num_calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_permanent_error_on_create_fails_at_once_with_the_partial_ledger() {
    let _ = Scenario::PermanentErrorFailsAtOnce;
    let create_subnet =
        mock!(Client::create_subnet).then_http_response(|| ec2_error(400, "InvalidParameterValue"));
    let started = Instant::now();
    let outcome = create_graph(&create_subnet).await;
    assert_eq!(outcome.errors.len(), 1, "{:?}", outcome.errors);
    let error = &outcome.errors[0];
    assert_eq!(
        error.summary(),
        "creating EC2 Subnet (ec2.subnet/private/use1-az1)"
    );
    assert_eq!(error.source.kind, ErrorKind::Permanent);
    assert!(error.to_string().contains("InvalidParameterValue"));
    assert_eq!(create_subnet.num_calls(), 1, "not retried");
    assert_eq!(started.elapsed(), Duration::ZERO, "no backoff");
    let keys: Vec<String> = outcome
        .ledger
        .children
        .keys()
        .map(ToString::to_string)
        .collect();
    assert_eq!(keys, ["ec2.vpc"], "the VPC exists and stays recorded");
}

/// DependencyViolation that never clears: an attached ENI nobody releases.
fn never_clearing_subnet_rules() -> (Rule, Rule, Rule) {
    let delete_subnet =
        mock!(Client::delete_subnet).then_http_response(|| ec2_error(400, "DependencyViolation"));
    let describe = mock!(Client::describe_network_interfaces).then_output(|| {
        DescribeNetworkInterfacesOutput::builder()
            .network_interfaces(eni("eni-held", NetworkInterfaceStatus::InUse))
            .build()
    });
    let delete_eni = mock!(Client::delete_network_interface)
        .then_output(|| DeleteNetworkInterfaceOutput::builder().build());
    (delete_subnet, describe, delete_eni)
}

#[tokio::test(start_paused = true)]
async fn dependency_violation_that_never_clears_stops_at_the_deadline() {
    let _ = Scenario::DependencyViolationUntilDeadline;
    let (delete_subnet, describe, delete_eni) = never_clearing_subnet_rules();
    let executor = Executor::new(clients(&[&delete_subnet, &describe, &delete_eni]));
    let ledger = ledger_of(&[(subnet_key(), "subnet-1", subnet_spec())]);
    let limit = Duration::from_secs(30);
    let started = Instant::now();
    let outcome = apply::destroy(&executor, ledger, opts_for(limit)).await;
    assert!(started.elapsed() <= limit, "never waits past the deadline");
    assert_eq!(outcome.errors.len(), 1, "{:?}", outcome.errors);
    let error = &outcome.errors[0];
    assert_eq!(
        error.summary(),
        "deleting EC2 Subnet (ec2.subnet/private/use1-az1)"
    );
    // The engine gives up before a backoff would cross the deadline, with the last error.
    assert_eq!(error.source.kind, ErrorKind::DependencyViolation);
    assert!(error.to_string().contains("DependencyViolation"));
    assert!(delete_subnet.num_calls() > 2, "retried with backoff");
    assert_eq!(
        describe.num_calls(),
        delete_subnet.num_calls(),
        "swept on every attempt"
    );
    assert_eq!(
        delete_eni.num_calls(),
        0,
        "the attached ENI is never touched"
    );
    assert_eq!(
        outcome.ledger.ids()["ec2.subnet/private/use1-az1"],
        "subnet-1",
        "the subnet still exists and stays recorded"
    );
}

/// An HTTP client that answers every call after `delay`, as a slow endpoint would. It answers
/// DependencyViolation; mocked modeled outputs replace that answer.
#[derive(Debug, Clone)]
struct SlowEc2 {
    delay: Duration,
}

impl HttpConnector for SlowEc2 {
    fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
        let delay = self.delay;
        HttpConnectorFuture::new(async move {
            tokio::time::sleep(delay).await;
            Ok(ec2_error(400, "DependencyViolation"))
        })
    }
}

impl HttpClient for SlowEc2 {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

#[tokio::test(start_paused = true)]
async fn an_attempt_in_flight_at_the_deadline_ends_with_a_timeout_error() {
    let _ = Scenario::DependencyViolationUntilDeadline;
    let (delete_subnet, describe, delete_eni) = never_clearing_subnet_rules();
    let rules = [&delete_subnet, &describe, &delete_eni];
    let slow = SlowEc2 {
        delay: Duration::from_secs(20),
    };
    let ec2 = mock_client!(aws_sdk_ec2, RuleMode::MatchAny, rules, |c| c
        .retry_config(aws_sdk_ec2::config::retry::RetryConfig::disabled())
        .http_client(slow.clone()));
    let executor = Executor::new(with_ec2(ec2));
    let ledger = ledger_of(&[(subnet_key(), "subnet-1", subnet_spec())]);
    let limit = Duration::from_secs(30);
    let started = Instant::now();
    let outcome = apply::destroy(&executor, ledger, opts_for(limit)).await;
    // DeleteSubnet answers at 20 s; the sweep's describe is still in flight at 30 s.
    assert_eq!(started.elapsed(), limit, "stops at the deadline");
    assert_eq!(outcome.errors.len(), 1, "{:?}", outcome.errors);
    let error = &outcome.errors[0];
    assert_eq!(error.source.kind, ErrorKind::Timeout);
    assert!(error.to_string().contains("timed out"), "{error}");
    assert_eq!(delete_subnet.num_calls(), 1);
    assert_eq!(delete_eni.num_calls(), 0);
    assert!(outcome
        .ledger
        .children
        .contains_key(&NodeKey::new(Kind::Subnet, &["private", "use1-az1"])));
}
