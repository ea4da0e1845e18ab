//! Security groups, their rules, VPC endpoints and flow logs against mocked EC2 responses:
//! what the emulator cannot show (default egress rules, dependency violations, duplicate
//! permissions, waits, IAM propagation in `unsuccessful` items).

mod common;

use common::Mocks;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_ec2::operation::authorize_security_group_egress::AuthorizeSecurityGroupEgressOutput;
use aws_sdk_ec2::operation::create_flow_logs::CreateFlowLogsOutput;
use aws_sdk_ec2::operation::create_security_group::CreateSecurityGroupOutput;
use aws_sdk_ec2::operation::create_tags::CreateTagsOutput;
use aws_sdk_ec2::operation::create_vpc_endpoint::CreateVpcEndpointOutput;
use aws_sdk_ec2::operation::delete_security_group::DeleteSecurityGroupOutput;
use aws_sdk_ec2::operation::delete_subnet::DeleteSubnetOutput;
use aws_sdk_ec2::operation::delete_vpc_endpoints::DeleteVpcEndpointsOutput;
use aws_sdk_ec2::operation::describe_flow_logs::DescribeFlowLogsOutput;
use aws_sdk_ec2::operation::describe_network_interfaces::DescribeNetworkInterfacesOutput;
use aws_sdk_ec2::operation::describe_security_group_rules::DescribeSecurityGroupRulesOutput;
use aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsOutput;
use aws_sdk_ec2::operation::describe_vpc_endpoints::DescribeVpcEndpointsOutput;
use aws_sdk_ec2::operation::modify_security_group_rules::ModifySecurityGroupRulesOutput;
use aws_sdk_ec2::operation::revoke_security_group_egress::RevokeSecurityGroupEgressOutput;
use aws_sdk_ec2::operation::revoke_security_group_ingress::RevokeSecurityGroupIngressOutput;
use aws_sdk_ec2::types::{
    SecurityGroupRule, State, Tag, UnsuccessfulItem, UnsuccessfulItemError, VpcEndpoint,
    VpcEndpointType,
};
use aws_sdk_ec2::Client;
use aws_smithy_mocks::{mock, Rule};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use tokio_util::sync::CancellationToken;

use terraform_provider_platform::apply::{self, IdMap, RunOptions};
use terraform_provider_platform::aws::common::reads::Reads;
use terraform_provider_platform::aws::ec2::flow_log::FlowLogSpec;
use terraform_provider_platform::aws::ec2::route_table::RouteTableSpec;
use terraform_provider_platform::aws::ec2::security_group::SecurityGroupSpec;
use terraform_provider_platform::aws::ec2::security_group_rule::{
    Direction, RulePeer, SecurityGroupRuleSpec,
};
use terraform_provider_platform::aws::ec2::subnet::SubnetSpec;
use terraform_provider_platform::aws::ec2::vpc::VpcSpec;
use terraform_provider_platform::aws::ec2::vpc_endpoint::{EndpointType, VpcEndpointSpec};
use terraform_provider_platform::aws::ec2::{security_group, vpc_endpoint};
use terraform_provider_platform::aws::iam::role::IamRoleSpec;
use terraform_provider_platform::aws::kind::Cx;
use terraform_provider_platform::aws::logs::log_group::LogGroupSpec;
use terraform_provider_platform::aws::{AwsClients, Executor};
use terraform_provider_platform::plan::diff::diff;
use terraform_provider_platform::plan::ledger::{Ledger, Recorded};
use terraform_provider_platform::plan::node::*;

/// The scenarios this file covers, one test each.
#[derive(Debug)]
enum Scenario {
    GroupCreateRevokesDefaultEgress,
    GroupDeleteDependencyViolation,
    RuleDuplicateAdopted,
    RuleDeleteVanished,
    RuleDeleteById,
    EndpointCreateWaits,
    EndpointDeleteWaits,
    FlowLogRoleNotYetUsable,
    ObserveVanished,
}

fn ec2_error(code: &str) -> HttpResponse {
    let body = format!(
        "<Response><Errors><Error><Code>{code}</Code><Message>mocked {code}</Message></Error></Errors><RequestID>r</RequestID></Response>"
    );
    HttpResponse::new(StatusCode::try_from(400).unwrap(), SdkBody::from(body))
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
        deadline: tokio::time::Instant::now() + Duration::from_secs(1800),
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

fn sdk_tags(key: &NodeKey) -> Vec<Tag> {
    owner_tags(key)
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

fn vpc_key() -> NodeKey {
    NodeKey::new(Kind::Vpc, &[])
}
fn subnet_key() -> NodeKey {
    NodeKey::new(Kind::Subnet, &["private", "use1-az1"])
}
fn table_key() -> NodeKey {
    NodeKey::new(Kind::RouteTable, &["private"])
}
fn group_key() -> NodeKey {
    NodeKey::new(Kind::SecurityGroup, &["endpoints"])
}
fn rule_key() -> NodeKey {
    NodeKey::new(Kind::SecurityGroupRule, &["endpoints", "egress", "all"])
}
fn endpoint_key() -> NodeKey {
    NodeKey::new(Kind::VpcEndpoint, &["s3"])
}
fn flow_log_key() -> NodeKey {
    NodeKey::new(Kind::FlowLog, &[])
}
fn log_group_key() -> NodeKey {
    NodeKey::new(Kind::LogGroup, &["flow"])
}
fn role_key() -> NodeKey {
    NodeKey::new(Kind::IamRole, &["flow"])
}

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/test-flow-logs";
const LOG_GROUP: &str = "/platform/test/vpc-flow";

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
fn table_spec() -> ChildSpec {
    ChildSpec::RouteTable(RouteTableSpec {
        vpc: vpc_key(),
        tags: owner_tags(&table_key()),
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
fn egress_rule_spec() -> ChildSpec {
    ChildSpec::SecurityGroupRule(SecurityGroupRuleSpec {
        group: group_key(),
        direction: Direction::Egress,
        protocol: "-1".into(),
        from_port: -1,
        to_port: -1,
        peer: RulePeer::Cidr("0.0.0.0/0".into()),
        description: "all outbound".into(),
        tags: owner_tags(&rule_key()),
    })
}
fn gateway_endpoint_spec() -> ChildSpec {
    ChildSpec::VpcEndpoint(VpcEndpointSpec {
        vpc: vpc_key(),
        service_name: "com.amazonaws.us-east-1.s3".into(),
        endpoint_type: EndpointType::Gateway,
        route_tables: vec![table_key()],
        subnets: vec![],
        security_groups: vec![],
        private_dns: false,
        tags: owner_tags(&endpoint_key()),
    })
}
fn interface_endpoint_spec() -> ChildSpec {
    ChildSpec::VpcEndpoint(VpcEndpointSpec {
        vpc: vpc_key(),
        service_name: "com.amazonaws.us-east-1.ecr.api".into(),
        endpoint_type: EndpointType::Interface,
        route_tables: vec![],
        subnets: vec![subnet_key()],
        security_groups: vec![group_key()],
        private_dns: true,
        tags: owner_tags(&endpoint_key()),
    })
}
fn log_group_spec() -> ChildSpec {
    ChildSpec::LogGroup(LogGroupSpec {
        name: LOG_GROUP.into(),
        retention_days: 30,
        kms_key_arn: None,
        tags: owner_tags(&log_group_key()),
    })
}
fn role_spec() -> ChildSpec {
    ChildSpec::IamRole(IamRoleSpec {
        name: "test-flow-logs".into(),
        assume_role_policy: "{}".into(),
        inline_policies: BTreeMap::new(),
        managed_policy_arns: vec![],
        permissions_boundary_arn: None,
        tags: owner_tags(&role_key()),
    })
}
fn flow_log_spec() -> ChildSpec {
    ChildSpec::FlowLog(FlowLogSpec {
        vpc: vpc_key(),
        log_group: log_group_key(),
        role: role_key(),
        traffic_type: "ALL".into(),
        tags: owner_tags(&flow_log_key()),
    })
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

/// The desired graph: what the ledger holds (no-ops) plus `new`.
fn desired_of(ledger: &Ledger, new: &[(NodeKey, ChildSpec)]) -> BTreeMap<NodeKey, Node> {
    ledger
        .children
        .iter()
        .map(|(k, r)| (k.clone(), r.observed.clone()))
        .chain(new.iter().cloned())
        .map(|(key, spec)| (key.clone(), Node { key, spec }))
        .collect()
}

async fn apply_new(
    rules: &[&Rule],
    ledger: Ledger,
    new: &[(NodeKey, ChildSpec)],
) -> apply::Outcome {
    let executor = Executor::new(clients(rules));
    let desired = desired_of(&ledger, new);
    let ops = diff(&desired, &ledger);
    apply::run(&executor, &desired, &ops, ledger, opts()).await
}

fn sg_rule(id: &str, egress: bool, protocol: &str, cidr: &str) -> SecurityGroupRule {
    sg_rule_tagged(id, egress, protocol, cidr, vec![])
}

fn sg_rule_tagged(
    id: &str,
    egress: bool,
    protocol: &str,
    cidr: &str,
    tags: Vec<Tag>,
) -> SecurityGroupRule {
    SecurityGroupRule::builder()
        .security_group_rule_id(id)
        .group_id("sg-1")
        .is_egress(egress)
        .ip_protocol(protocol)
        .from_port(-1)
        .to_port(-1)
        .cidr_ipv4(cidr)
        .set_tags(Some(tags))
        .build()
}

#[tokio::test(start_paused = true)]
async fn security_group_create_revokes_only_the_untagged_default_egress_rule() {
    let _ = Scenario::GroupCreateRevokesDefaultEgress;
    let describe_groups = mock!(Client::describe_security_groups)
        .then_output(|| DescribeSecurityGroupsOutput::builder().build());
    let create = mock!(Client::create_security_group).then_compute_output(|input| {
        assert_eq!(input.vpc_id(), Some("vpc-1"));
        assert_eq!(input.group_name(), Some("test-endpoints"));
        CreateSecurityGroupOutput::builder()
            .group_id("sg-1")
            .build()
    });
    let describe_rules =
        mock!(Client::describe_security_group_rules).then_compute_output(|input| {
            assert_eq!(input.filters()[0].values(), ["sg-1"]);
            let ours = sg_rule_tagged("sgr-ours", true, "-1", "0.0.0.0/0", sdk_tags(&rule_key()));
            DescribeSecurityGroupRulesOutput::builder()
                .security_group_rules(sg_rule("sgr-default", true, "-1", "0.0.0.0/0"))
                .security_group_rules(ours)
                .security_group_rules(sg_rule("sgr-in", false, "-1", "0.0.0.0/0"))
                .build()
        });
    let revoked = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = revoked.clone();
    let revoke = mock!(Client::revoke_security_group_egress).then_compute_output(move |input| {
        assert_eq!(input.group_id(), Some("sg-1"));
        seen.lock()
            .unwrap()
            .extend(input.security_group_rule_ids().iter().cloned());
        RevokeSecurityGroupEgressOutput::builder()
            .r#return(true)
            .build()
    });
    let ledger = ledger_of(&[(vpc_key(), "vpc-1", vpc_spec())]);
    let outcome = apply_new(
        &[&describe_groups, &create, &describe_rules, &revoke],
        ledger,
        &[(group_key(), group_spec())],
    )
    .await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert_eq!(outcome.ledger.ids()["ec2.security_group/endpoints"], "sg-1");
    assert_eq!(create.num_calls(), 1);
    assert_eq!(*revoked.lock().unwrap(), ["sgr-default"]);
}

#[tokio::test(start_paused = true)]
async fn security_group_adopted_is_made_rule_less_too() {
    let _ = Scenario::GroupCreateRevokesDefaultEgress;
    let describe_groups = mock!(Client::describe_security_groups).then_output(|| {
        DescribeSecurityGroupsOutput::builder()
            .security_groups(
                aws_sdk_ec2::types::SecurityGroup::builder()
                    .group_id("sg-orphan")
                    .group_name("test-endpoints")
                    .set_tags(Some(sdk_tags(&group_key())))
                    .build(),
            )
            .build()
    });
    let create = mock!(Client::create_security_group).then_output(|| {
        CreateSecurityGroupOutput::builder()
            .group_id("sg-new")
            .build()
    });
    let describe_rules = mock!(Client::describe_security_group_rules).then_output(|| {
        DescribeSecurityGroupRulesOutput::builder()
            .security_group_rules(sg_rule("sgr-default", true, "-1", "0.0.0.0/0"))
            .build()
    });
    let revoke = mock!(Client::revoke_security_group_egress)
        .then_output(|| RevokeSecurityGroupEgressOutput::builder().build());
    let clients = clients(&[&describe_groups, &create, &describe_rules, &revoke]);
    let ids = IdMap::from_ledger(&ledger_of(&[(vpc_key(), "vpc-1", vpc_spec())]));
    let ChildSpec::SecurityGroup(spec) = group_spec() else {
        unreachable!()
    };
    let reads = Reads::new();
    let cx = Cx {
        clients: &clients,
        ids: &ids,
        reads: &reads,
    };
    let id = security_group::create_security_group(&cx, &spec)
        .await
        .unwrap();
    assert_eq!(id, "sg-orphan");
    assert_eq!(create.num_calls(), 0, "no duplicate group");
    assert_eq!(revoke.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn security_group_name_held_by_a_foreign_group_is_never_taken_over() {
    let _ = Scenario::GroupCreateRevokesDefaultEgress;
    // The group's name in the VPC belongs to a group this environment does not own; the
    // VPC's listing shows it.
    let describe_groups = mock!(Client::describe_security_groups).then_compute_output(|input| {
        let filter = |name: &str| {
            input
                .filters()
                .iter()
                .find(|f| f.name() == Some(name))
                .map(|f| f.values().to_vec())
        };
        assert_eq!(filter("vpc-id"), Some(vec!["vpc-1".to_string()]));
        DescribeSecurityGroupsOutput::builder()
            .security_groups(
                aws_sdk_ec2::types::SecurityGroup::builder()
                    .group_id("sg-theirs")
                    .group_name("test-endpoints")
                    .build(),
            )
            .build()
    });
    let create = mock!(Client::create_security_group).then_output(|| {
        CreateSecurityGroupOutput::builder()
            .group_id("sg-new")
            .build()
    });
    let revoke = mock!(Client::revoke_security_group_egress)
        .then_output(|| RevokeSecurityGroupEgressOutput::builder().build());
    let clients = clients(&[&describe_groups, &create, &revoke]);
    let ids = IdMap::from_ledger(&ledger_of(&[(vpc_key(), "vpc-1", vpc_spec())]));
    let ChildSpec::SecurityGroup(spec) = group_spec() else {
        unreachable!()
    };
    let reads = Reads::new();
    let cx = Cx {
        clients: &clients,
        ids: &ids,
        reads: &reads,
    };
    let error = security_group::create_security_group(&cx, &spec)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("NameTaken"), "{error}");
    assert_eq!(create.num_calls(), 0);
    assert_eq!(revoke.num_calls(), 0, "nothing of theirs is touched");
}

#[tokio::test(start_paused = true)]
async fn security_group_delete_retries_dependency_violation() {
    let _ = Scenario::GroupDeleteDependencyViolation;
    let delete = mock!(Client::delete_security_group)
        .sequence()
        .http_response(|| ec2_error("DependencyViolation"))
        .times(2)
        .output(|| DeleteSecurityGroupOutput::builder().build())
        .build();
    // The sweep after each DependencyViolation finds no ENIs, so nothing changes.
    let no_enis = mock!(Client::describe_network_interfaces)
        .then_output(|| DescribeNetworkInterfacesOutput::builder().build());
    let executor = Executor::new(clients(&[&delete, &no_enis]));
    let ledger = ledger_of(&[(group_key(), "sg-1", group_spec())]);
    let outcome = apply::destroy(&executor, ledger, opts()).await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert!(outcome.ledger.children.is_empty());
    assert_eq!(delete.num_calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn rule_create_adopts_an_existing_duplicate_permission() {
    let _ = Scenario::RuleDuplicateAdopted;
    // AWS's default egress rule: the same permission, untagged, without a description.
    let describe_rules = mock!(Client::describe_security_group_rules).then_output(|| {
        DescribeSecurityGroupRulesOutput::builder()
            .security_group_rules(sg_rule("sgr-default", true, "-1", "0.0.0.0/0"))
            .security_group_rules(sg_rule("sgr-other", true, "tcp", "10.0.0.0/8"))
            .build()
    });
    let authorize = mock!(Client::authorize_security_group_egress)
        .then_http_response(|| ec2_error("InvalidPermission.Duplicate"));
    let tagged = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = tagged.clone();
    let create_tags = mock!(Client::create_tags).then_compute_output(move |input| {
        seen.lock()
            .unwrap()
            .extend(input.resources().iter().cloned());
        assert!(input
            .tags()
            .iter()
            .any(|t| t.key() == Some("platform:node") && t.value() == Some(rule_key().as_str())));
        CreateTagsOutput::builder().build()
    });
    let modify = mock!(Client::modify_security_group_rules).then_compute_output(|input| {
        let update = &input.security_group_rules()[0];
        assert_eq!(update.security_group_rule_id(), Some("sgr-default"));
        assert_eq!(
            update.security_group_rule().and_then(|r| r.description()),
            Some("all outbound")
        );
        ModifySecurityGroupRulesOutput::builder()
            .r#return(true)
            .build()
    });
    let ledger = ledger_of(&[(group_key(), "sg-1", group_spec())]);
    let outcome = apply_new(
        &[&describe_rules, &authorize, &create_tags, &modify],
        ledger,
        &[(rule_key(), egress_rule_spec())],
    )
    .await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert_eq!(
        outcome.ledger.ids()["ec2.security_group_rule/endpoints/egress/all"],
        "sgr-default"
    );
    assert_eq!(authorize.num_calls(), 1, "Duplicate is not retried");
    assert_eq!(*tagged.lock().unwrap(), ["sgr-default"]);
    assert_eq!(modify.num_calls(), 1, "the description is aligned");
}

#[tokio::test(start_paused = true)]
async fn rule_create_records_the_new_rule_id() {
    let _ = Scenario::RuleDuplicateAdopted;
    let describe_rules = mock!(Client::describe_security_group_rules)
        .then_output(|| DescribeSecurityGroupRulesOutput::builder().build());
    let authorize = mock!(Client::authorize_security_group_egress).then_compute_output(|input| {
        let permission = &input.ip_permissions()[0];
        assert_eq!(permission.ip_protocol(), Some("-1"));
        assert_eq!(permission.ip_ranges()[0].cidr_ip(), Some("0.0.0.0/0"));
        assert_eq!(
            permission.ip_ranges()[0].description(),
            Some("all outbound")
        );
        assert!(permission.user_id_group_pairs().is_empty());
        AuthorizeSecurityGroupEgressOutput::builder()
            .security_group_rules(sg_rule("sgr-new", true, "-1", "0.0.0.0/0"))
            .build()
    });
    let ledger = ledger_of(&[(group_key(), "sg-1", group_spec())]);
    let outcome = apply_new(
        &[&describe_rules, &authorize],
        ledger,
        &[(rule_key(), egress_rule_spec())],
    )
    .await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert_eq!(
        outcome.ledger.ids()["ec2.security_group_rule/endpoints/egress/all"],
        "sgr-new"
    );
}

#[tokio::test(start_paused = true)]
async fn rule_delete_of_a_vanished_rule_is_success() {
    let _ = Scenario::RuleDeleteVanished;
    let describe = mock!(Client::describe_security_group_rules)
        .then_http_response(|| ec2_error("InvalidSecurityGroupRuleId.NotFound"));
    let revoke_in = mock!(Client::revoke_security_group_ingress)
        .then_output(|| RevokeSecurityGroupIngressOutput::builder().build());
    let revoke_out = mock!(Client::revoke_security_group_egress)
        .then_output(|| RevokeSecurityGroupEgressOutput::builder().build());
    let executor = Executor::new(clients(&[&describe, &revoke_in, &revoke_out]));
    let ledger = ledger_of(&[(rule_key(), "sgr-gone", egress_rule_spec())]);
    let outcome = apply::destroy(&executor, ledger, opts()).await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert!(outcome.ledger.children.is_empty());
    assert_eq!(describe.num_calls(), 1);
    assert_eq!(revoke_in.num_calls() + revoke_out.num_calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn rule_delete_revokes_by_id_in_the_rule_direction() {
    let _ = Scenario::RuleDeleteById;
    let describe = mock!(Client::describe_security_group_rules).then_compute_output(|input| {
        assert_eq!(input.security_group_rule_ids(), ["sgr-1"]);
        DescribeSecurityGroupRulesOutput::builder()
            .security_group_rules(sg_rule("sgr-1", false, "tcp", "10.0.0.0/16"))
            .build()
    });
    let revoke_in = mock!(Client::revoke_security_group_ingress).then_compute_output(|input| {
        assert_eq!(input.group_id(), Some("sg-1"));
        assert_eq!(input.security_group_rule_ids(), ["sgr-1"]);
        assert!(input.ip_permissions().is_empty(), "never by IpPermissions");
        RevokeSecurityGroupIngressOutput::builder()
            .r#return(true)
            .build()
    });
    let revoke_out = mock!(Client::revoke_security_group_egress)
        .then_output(|| RevokeSecurityGroupEgressOutput::builder().build());
    let executor = Executor::new(clients(&[&describe, &revoke_in, &revoke_out]));
    let ledger = ledger_of(&[(rule_key(), "sgr-1", egress_rule_spec())]);
    let outcome = apply::destroy(&executor, ledger, opts()).await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert_eq!(revoke_in.num_calls(), 1);
    assert_eq!(revoke_out.num_calls(), 0);
}

fn endpoint(id: &str, state: &str) -> VpcEndpoint {
    endpoint_with_tables(id, state, &["rtb-1"])
}

fn endpoint_with_tables(id: &str, state: &str, tables: &[&str]) -> VpcEndpoint {
    // EC2 answers states in lower case, which the SDK enum does not spell.
    VpcEndpoint::builder()
        .vpc_endpoint_id(id)
        .vpc_id("vpc-1")
        .vpc_endpoint_type(VpcEndpointType::Gateway)
        .service_name("com.amazonaws.us-east-1.s3")
        .set_route_table_ids(Some(tables.iter().map(|t| t.to_string()).collect()))
        .state(State::from(state))
        .set_tags(Some(sdk_tags(&endpoint_key())))
        .build()
}

#[tokio::test(start_paused = true)]
async fn gateway_endpoint_create_waits_until_available() {
    let _ = Scenario::EndpointCreateWaits;
    let describe = mock!(Client::describe_vpc_endpoints)
        .sequence()
        // The adoption search finds nothing; then the new endpoint is pending twice.
        .output(|| DescribeVpcEndpointsOutput::builder().build())
        .output(|| {
            DescribeVpcEndpointsOutput::builder()
                .vpc_endpoints(endpoint("vpce-1", "pending"))
                .build()
        })
        .times(2)
        .output(|| {
            DescribeVpcEndpointsOutput::builder()
                .vpc_endpoints(endpoint("vpce-1", "available"))
                .build()
        })
        .build();
    let tokens = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = tokens.clone();
    let create = mock!(Client::create_vpc_endpoint).then_compute_output(move |input| {
        assert_eq!(input.vpc_id(), Some("vpc-1"));
        assert_eq!(input.vpc_endpoint_type(), Some(&VpcEndpointType::Gateway));
        assert_eq!(input.route_table_ids(), ["rtb-1"]);
        assert!(input.subnet_ids().is_empty());
        assert_eq!(input.private_dns_enabled(), None);
        seen.lock()
            .unwrap()
            .push(input.client_token().unwrap_or_default().to_string());
        CreateVpcEndpointOutput::builder()
            .vpc_endpoint(endpoint("vpce-1", "pending"))
            .build()
    });
    let ledger = ledger_of(&[
        (vpc_key(), "vpc-1", vpc_spec()),
        (table_key(), "rtb-1", table_spec()),
    ]);
    let outcome = apply_new(
        &[&describe, &create],
        ledger,
        &[(endpoint_key(), gateway_endpoint_spec())],
    )
    .await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert_eq!(outcome.ledger.ids()["ec2.vpc_endpoint/s3"], "vpce-1");
    assert_eq!(describe.num_calls(), 4, "polled until available");
    let token = tokens.lock().unwrap()[0].clone();
    assert!(
        token.starts_with("platform-") && token.len() <= 64,
        "{token}"
    );
}

#[tokio::test(start_paused = true)]
async fn interface_endpoint_create_fails_when_rejected() {
    let _ = Scenario::EndpointCreateWaits;
    let describe = mock!(Client::describe_vpc_endpoints)
        .sequence()
        .output(|| DescribeVpcEndpointsOutput::builder().build())
        .output(|| {
            DescribeVpcEndpointsOutput::builder()
                .vpc_endpoints(endpoint("vpce-2", "rejected"))
                .build()
        })
        .repeatedly()
        .build();
    let create = mock!(Client::create_vpc_endpoint).then_compute_output(|input| {
        assert_eq!(input.subnet_ids(), ["subnet-1"]);
        assert_eq!(input.security_group_ids(), ["sg-1"]);
        assert_eq!(input.private_dns_enabled(), Some(true));
        CreateVpcEndpointOutput::builder()
            .vpc_endpoint(endpoint("vpce-2", "pending"))
            .build()
    });
    let ledger = ledger_of(&[
        (vpc_key(), "vpc-1", vpc_spec()),
        (subnet_key(), "subnet-1", subnet_spec()),
        (group_key(), "sg-1", group_spec()),
    ]);
    let outcome = apply_new(
        &[&describe, &create],
        ledger,
        &[(endpoint_key(), interface_endpoint_spec())],
    )
    .await;
    assert_eq!(outcome.errors.len(), 1, "{:?}", outcome.errors);
    assert_eq!(create.num_calls(), 1, "a rejected endpoint is not retried");
    assert!(!outcome.ledger.children.contains_key(&endpoint_key()));
}

#[tokio::test(start_paused = true)]
async fn endpoint_delete_waits_until_deleted_before_its_subnet_and_group_go() {
    let _ = Scenario::EndpointDeleteWaits;
    let calls = Arc::new(Mutex::new(Vec::<String>::new()));
    let (c1, c2, c3, c4) = (calls.clone(), calls.clone(), calls.clone(), calls.clone());
    let delete = mock!(Client::delete_vpc_endpoints).then_compute_output(move |input| {
        assert_eq!(input.vpc_endpoint_ids(), ["vpce-1"]);
        c1.lock().unwrap().push("DeleteVpcEndpoints".into());
        DeleteVpcEndpointsOutput::builder().build()
    });
    let describe = mock!(Client::describe_vpc_endpoints)
        .sequence()
        .output(|| {
            DescribeVpcEndpointsOutput::builder()
                .vpc_endpoints(endpoint("vpce-1", "deleting"))
                .build()
        })
        .times(2)
        .output(|| {
            DescribeVpcEndpointsOutput::builder()
                .vpc_endpoints(endpoint("vpce-1", "deleted"))
                .build()
        })
        .build();
    let after_deleted = mock!(Client::describe_vpc_endpoints).then_compute_output(move |_| {
        c2.lock().unwrap().push("unexpected describe".into());
        DescribeVpcEndpointsOutput::builder().build()
    });
    let delete_subnet = mock!(Client::delete_subnet).then_compute_output(move |_| {
        c3.lock().unwrap().push("DeleteSubnet".into());
        DeleteSubnetOutput::builder().build()
    });
    let delete_group = mock!(Client::delete_security_group).then_compute_output(move |_| {
        c4.lock().unwrap().push("DeleteSecurityGroup".into());
        DeleteSecurityGroupOutput::builder().build()
    });
    let executor = Executor::new(clients(&[
        &delete,
        &describe,
        &after_deleted,
        &delete_subnet,
        &delete_group,
    ]));
    let ledger = ledger_of(&[
        (subnet_key(), "subnet-1", subnet_spec()),
        (group_key(), "sg-1", group_spec()),
        (endpoint_key(), "vpce-1", interface_endpoint_spec()),
    ]);
    let outcome = apply::destroy(&executor, ledger, opts()).await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert_eq!(describe.num_calls(), 3, "polled until deleted");
    let calls = calls.lock().unwrap().clone();
    assert_eq!(calls[0], "DeleteVpcEndpoints");
    let mut rest = calls[1..].to_vec();
    rest.sort();
    assert_eq!(rest, ["DeleteSecurityGroup", "DeleteSubnet"]);
}

#[tokio::test(start_paused = true)]
async fn endpoint_delete_of_a_missing_endpoint_is_success() {
    let _ = Scenario::EndpointDeleteWaits;
    let delete = mock!(Client::delete_vpc_endpoints).then_output(|| {
        DeleteVpcEndpointsOutput::builder()
            .unsuccessful(
                UnsuccessfulItem::builder()
                    .resource_id("vpce-1")
                    .error(
                        UnsuccessfulItemError::builder()
                            .code("InvalidVpcEndpoint.NotFound")
                            .message("The Vpc Endpoint Id 'vpce-1' does not exist")
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    let describe = mock!(Client::describe_vpc_endpoints)
        .then_output(|| DescribeVpcEndpointsOutput::builder().build());
    let executor = Executor::new(clients(&[&delete, &describe]));
    let ledger = ledger_of(&[(endpoint_key(), "vpce-1", gateway_endpoint_spec())]);
    let outcome = apply::destroy(&executor, ledger, opts()).await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert_eq!(describe.num_calls(), 0);
}

fn unsuccessful(message: &str) -> UnsuccessfulItem {
    UnsuccessfulItem::builder()
        .resource_id("vpc-1")
        .error(
            UnsuccessfulItemError::builder()
                .code("400")
                .message(message)
                .build(),
        )
        .build()
}

fn flow_log_ledger() -> Ledger {
    ledger_of(&[
        (vpc_key(), "vpc-1", vpc_spec()),
        (log_group_key(), LOG_GROUP, log_group_spec()),
        (role_key(), ROLE_ARN, role_spec()),
    ])
}

#[tokio::test(start_paused = true)]
async fn flow_log_create_retries_until_the_new_role_is_usable() {
    let _ = Scenario::FlowLogRoleNotYetUsable;
    let describe =
        mock!(Client::describe_flow_logs).then_output(|| DescribeFlowLogsOutput::builder().build());
    let tokens = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = tokens.clone();
    let create = mock!(Client::create_flow_logs).then_compute_output(move |input| {
        assert_eq!(input.resource_ids(), ["vpc-1"]);
        assert_eq!(input.log_group_name(), Some(LOG_GROUP));
        assert_eq!(input.deliver_logs_permission_arn(), Some(ROLE_ARN));
        assert_eq!(input.traffic_type().map(|t| t.as_str()), Some("ALL"));
        let mut seen = seen.lock().unwrap();
        seen.push(input.client_token().unwrap_or_default().to_string());
        if seen.len() == 1 {
            CreateFlowLogsOutput::builder()
                .unsuccessful(unsuccessful("Unable to assume given IAM role."))
                .build()
        } else {
            CreateFlowLogsOutput::builder().flow_log_ids("fl-1").build()
        }
    });
    let outcome = apply_new(
        &[&describe, &create],
        flow_log_ledger(),
        &[(flow_log_key(), flow_log_spec())],
    )
    .await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert_eq!(outcome.ledger.ids()["ec2.flow_log"], "fl-1");
    assert_eq!(create.num_calls(), 2, "retried once the role propagated");
    let tokens = tokens.lock().unwrap();
    assert_eq!(tokens[0], tokens[1], "a retry reuses the client token");
    assert!(tokens[0].len() <= 64);
}

#[tokio::test(start_paused = true)]
async fn flow_log_create_other_failures_are_permanent() {
    let _ = Scenario::FlowLogRoleNotYetUsable;
    let describe =
        mock!(Client::describe_flow_logs).then_output(|| DescribeFlowLogsOutput::builder().build());
    let create = mock!(Client::create_flow_logs).then_output(|| {
        CreateFlowLogsOutput::builder()
            .unsuccessful(unsuccessful("Invalid log group name"))
            .build()
    });
    let outcome = apply_new(
        &[&describe, &create],
        flow_log_ledger(),
        &[(flow_log_key(), flow_log_spec())],
    )
    .await;
    assert_eq!(outcome.errors.len(), 1);
    assert!(outcome.errors[0]
        .to_string()
        .contains("Invalid log group name"));
    assert_eq!(create.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn flow_log_already_existing_with_our_tags_is_adopted() {
    let _ = Scenario::FlowLogRoleNotYetUsable;
    // The tag filter lags; the VPC's flow logs already show ours.
    let describe = mock!(Client::describe_flow_logs).then_compute_output(|input| {
        let by_vpc = input
            .filter()
            .iter()
            .any(|f| f.name() == Some("resource-id"));
        let out = DescribeFlowLogsOutput::builder();
        if by_vpc {
            out.flow_logs(
                aws_sdk_ec2::types::FlowLog::builder()
                    .flow_log_id("fl-0")
                    .resource_id("vpc-1")
                    .set_tags(Some(sdk_tags(&flow_log_key())))
                    .build(),
            )
            .build()
        } else {
            out.build()
        }
    });
    let create = mock!(Client::create_flow_logs).then_output(|| {
        CreateFlowLogsOutput::builder()
            .unsuccessful(unsuccessful(
                "FlowLogAlreadyExists: There is an existing Flow Log with the same configuration and log destination.",
            ))
            .build()
    });
    let outcome = apply_new(
        &[&describe, &create],
        flow_log_ledger(),
        &[(flow_log_key(), flow_log_spec())],
    )
    .await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert_eq!(outcome.ledger.ids()["ec2.flow_log"], "fl-0");
    assert_eq!(describe.num_calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn observe_drops_children_that_vanished() {
    let _ = Scenario::ObserveVanished;
    let groups = mock!(Client::describe_security_groups)
        .then_http_response(|| ec2_error("InvalidGroup.NotFound"));
    let rules = mock!(Client::describe_security_group_rules)
        .then_http_response(|| ec2_error("InvalidSecurityGroupRuleId.NotFound"));
    let endpoints = mock!(Client::describe_vpc_endpoints).then_output(|| {
        DescribeVpcEndpointsOutput::builder()
            .vpc_endpoints(endpoint("vpce-1", "deleted"))
            .build()
    });
    let flow_logs =
        mock!(Client::describe_flow_logs).then_output(|| DescribeFlowLogsOutput::builder().build());
    let executor = Executor::new(clients(&[&groups, &rules, &endpoints, &flow_logs]));
    let ledger = ledger_of(&[
        (group_key(), "sg-1", group_spec()),
        (rule_key(), "sgr-1", egress_rule_spec()),
        (endpoint_key(), "vpce-1", gateway_endpoint_spec()),
        (flow_log_key(), "fl-1", flow_log_spec()),
    ]);
    let (refreshed, drift, errors) = apply::observe_all(&executor, &ledger, opts()).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert!(refreshed.children.is_empty());
    let mut drift = drift;
    drift.sort();
    assert_eq!(
        drift,
        [
            "ec2.flow_log: deleted outside Terraform",
            "ec2.security_group/endpoints: deleted outside Terraform",
            "ec2.security_group_rule/endpoints/egress/all: deleted outside Terraform",
            "ec2.vpc_endpoint/s3: deleted outside Terraform",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn observe_turns_endpoint_ids_back_into_sorted_keys() {
    let _ = Scenario::ObserveVanished;
    let second_table = NodeKey::new(Kind::RouteTable, &["data"]);
    let describe = mock!(Client::describe_vpc_endpoints).then_output(|| {
        DescribeVpcEndpointsOutput::builder()
            .vpc_endpoints(endpoint_with_tables(
                "vpce-1",
                "available",
                &["rtb-2", "rtb-1"],
            ))
            .build()
    });
    let clients = clients(&[&describe]);
    let ledger = ledger_of(&[
        (vpc_key(), "vpc-1", vpc_spec()),
        (table_key(), "rtb-1", table_spec()),
        (second_table.clone(), "rtb-2", table_spec()),
    ]);
    let ids = IdMap::from_ledger(&ledger);
    let ChildSpec::VpcEndpoint(current) = gateway_endpoint_spec() else {
        unreachable!()
    };
    let observed = vpc_endpoint::observe_vpc_endpoint(&clients.ec2, "vpce-1", &current, &ids)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(observed.vpc, vpc_key());
    let mut expected = vec![table_key(), second_table];
    expected.sort();
    assert_eq!(observed.route_tables, expected);
    assert_eq!(observed.tags, current.tags);
}
