//! Adopt-first lookups of the EC2 network kinds against a small in-memory EC2: creating N
//! children of a kind reads the kind's listing of their scope once, as observe does, not once
//! per child; and a create whose answer was lost after EC2 acted adopts the object on its
//! retry instead of making a second one. The last test applies a whole 3-AZ network (a NAT
//! gateway per AZ) and counts every call.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_ec2::operation::allocate_address::AllocateAddressOutput;
use aws_sdk_ec2::operation::associate_route_table::AssociateRouteTableOutput;
use aws_sdk_ec2::operation::attach_internet_gateway::AttachInternetGatewayOutput;
use aws_sdk_ec2::operation::authorize_security_group_egress::AuthorizeSecurityGroupEgressOutput;
use aws_sdk_ec2::operation::authorize_security_group_ingress::AuthorizeSecurityGroupIngressOutput;
use aws_sdk_ec2::operation::create_internet_gateway::CreateInternetGatewayOutput;
use aws_sdk_ec2::operation::create_nat_gateway::CreateNatGatewayOutput;
use aws_sdk_ec2::operation::create_route::CreateRouteOutput;
use aws_sdk_ec2::operation::create_route_table::CreateRouteTableOutput;
use aws_sdk_ec2::operation::create_security_group::CreateSecurityGroupOutput;
use aws_sdk_ec2::operation::create_subnet::CreateSubnetOutput;
use aws_sdk_ec2::operation::create_vpc::CreateVpcOutput;
use aws_sdk_ec2::operation::create_vpc_endpoint::CreateVpcEndpointOutput;
use aws_sdk_ec2::operation::describe_addresses::DescribeAddressesOutput;
use aws_sdk_ec2::operation::describe_internet_gateways::DescribeInternetGatewaysOutput;
use aws_sdk_ec2::operation::describe_nat_gateways::DescribeNatGatewaysOutput;
use aws_sdk_ec2::operation::describe_route_tables::DescribeRouteTablesOutput;
use aws_sdk_ec2::operation::describe_security_group_rules::DescribeSecurityGroupRulesOutput;
use aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsOutput;
use aws_sdk_ec2::operation::describe_subnets::DescribeSubnetsOutput;
use aws_sdk_ec2::operation::describe_vpc_endpoints::DescribeVpcEndpointsOutput;
use aws_sdk_ec2::operation::describe_vpcs::DescribeVpcsOutput;
use aws_sdk_ec2::operation::modify_subnet_attribute::ModifySubnetAttributeOutput;
use aws_sdk_ec2::operation::modify_vpc_attribute::ModifyVpcAttributeOutput;
use aws_sdk_ec2::operation::replace_route::ReplaceRouteOutput;
use aws_sdk_ec2::operation::revoke_security_group_egress::RevokeSecurityGroupEgressOutput;
use aws_sdk_ec2::types::{
    Address, Filter, InternetGateway, InternetGatewayAttachment, IpPermission, NatGateway,
    NatGatewayAddress, NatGatewayState, ReferencedSecurityGroup, Route, RouteTable,
    RouteTableAssociation, SecurityGroup, SecurityGroupRule, State as EndpointState, Subnet, Tag,
    TagSpecification, Vpc, VpcEndpoint,
};
use aws_sdk_ec2::Client;
use aws_smithy_mocks::{mock, MockResponse, Rule};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use tokio_util::sync::CancellationToken;

use terraform_provider_platform::apply::{self, RunOptions};
use terraform_provider_platform::aws::Executor;
use terraform_provider_platform::plan::diff::diff;
use terraform_provider_platform::plan::expand::environment::expand_environment;
use terraform_provider_platform::plan::ledger::Ledger;
use terraform_provider_platform::plan::node::{Kind, Node, NodeKey};
use terraform_provider_platform::plan::spec::{AzChoice, NatMode, RegionFacts, Tier, Zone};
use terraform_provider_platform::plan::tiers::TierDefaults;

// An in-memory EC2: what the network kinds create, describe and filter.

#[derive(Default)]
struct State {
    next_id: usize,
    vpcs: Vec<Vpc>,
    subnets: Vec<Subnet>,
    gateways: Vec<InternetGateway>,
    addresses: Vec<Address>,
    nats: Vec<NatGateway>,
    tables: Vec<RouteTable>,
    groups: Vec<SecurityGroup>,
    rules: Vec<SecurityGroupRule>,
    endpoints: Vec<VpcEndpoint>,
    /// Every call, in order: `CreateSubnet`, or a describe with the filters it used
    /// (`DescribeSubnets[vpc-id]`, `DescribeNatGateways[ids]`).
    log: Vec<String>,
    /// Operations whose next call acts but loses its answer (a dropped connection).
    lose_answer: BTreeSet<&'static str>,
}

impl State {
    fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}-{}", self.next_id)
    }
}

/// The EC2 of one test: its rules, and the state they share.
struct FakeEc2 {
    state: Arc<Mutex<State>>,
    rules: Vec<Rule>,
}

/// An object's filterable properties: filter name → values.
type Props = BTreeMap<String, Vec<String>>;

/// The properties `pairs` (a name may repeat) and the tags, as `tag:<key>`.
fn props(pairs: &[(&str, Option<&str>)], tags: &[Tag]) -> Props {
    let mut props = Props::new();
    for (name, value) in pairs {
        let values = props.entry(name.to_string()).or_default();
        values.extend(value.map(str::to_string));
    }
    for tag in tags {
        if let (Some(k), Some(v)) = (tag.key(), tag.value()) {
            props.entry(format!("tag:{k}")).or_default().push(v.into());
        }
    }
    props
}

/// True when the object is one of `ids` (if any) and every filter holds one of its values; a
/// filter naming no property of the object's kind fails the test.
fn selected(ids: &[String], id: Option<&str>, filters: &[Filter], props: &Props) -> bool {
    let by_id = ids.is_empty() || ids.iter().any(|i| Some(i.as_str()) == id);
    by_id
        && filters.iter().all(|f| {
            let name = f.name().unwrap_or_default();
            assert!(
                name.starts_with("tag:") || props.contains_key(name),
                "the fake EC2 does not know the filter {name}"
            );
            props
                .get(name)
                .is_some_and(|values| values.iter().any(|v| f.values().contains(v)))
        })
}

/// `Describe…[filter names]`, or `Describe…[ids]` for a lookup by ID.
fn describe_entry(op: &str, filters: &[Filter], by_id: bool) -> String {
    let mut names: Vec<&str> = filters.iter().filter_map(Filter::name).collect();
    names.sort_unstable();
    if by_id {
        names.insert(0, "ids");
    }
    format!("{op}[{}]", names.join(","))
}

fn spec_tags(specs: &[TagSpecification]) -> Vec<Tag> {
    specs.iter().flat_map(|s| s.tags().to_vec()).collect()
}

fn ec2_error(status: u16, code: &str) -> HttpResponse {
    let body = format!("<Response><Errors><Error><Code>{code}</Code><Message>mocked {code}</Message></Error></Errors><RequestID>r</RequestID></Response>");
    HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body))
}

/// What a dropped connection looks like once AWS has acted: the SDK sees a transient error.
fn dropped_connection() -> HttpResponse {
    ec2_error(503, "ServiceUnavailable")
}

/// A create: acts on the state, logs the call, and answers, unless its answer is to be lost.
macro_rules! create_rule {
    ($state:ident, $op:ident, $name:literal, |$s:ident, $input:ident| $body:expr) => {{
        let state = $state.clone();
        mock!(Client::$op).then_compute_response(move |$input| {
            let mut guard = state.lock().unwrap();
            let $s = &mut *guard;
            $s.log.push($name.to_string());
            let output = $body;
            if $s.lose_answer.remove($name) {
                MockResponse::Http(dropped_connection())
            } else {
                MockResponse::Output(output)
            }
        })
    }};
}

/// A describe: logs the call with its filters, and answers with the objects of the list
/// `$list` it selects by its IDs (`$ids`) and filters (`$filters`), given each object's ID and
/// properties.
macro_rules! describe_rule {
    (
        $state:ident, $op:ident, $name:literal, $output:ident :: $set:ident,
        $list:ident by $ids:ident, $filters:ident, |$o:ident| $id_and_props:expr
    ) => {{
        let state = $state.clone();
        mock!(Client::$op).then_compute_output(move |input| {
            let mut s = state.lock().unwrap();
            let (ids, filters) = (input.$ids(), input.$filters());
            s.log.push(describe_entry($name, filters, !ids.is_empty()));
            let found = s
                .$list
                .iter()
                .filter(|$o| {
                    let (id, props) = $id_and_props;
                    selected(ids, id, filters, &props)
                })
                .cloned()
                .collect();
            $output::builder().$set(Some(found)).build()
        })
    }};
}

impl FakeEc2 {
    fn new() -> FakeEc2 {
        let st = Arc::new(Mutex::new(State::default()));
        let rules = vec![
            // VPC
            create_rule!(st, create_vpc, "CreateVpc", |s, input| {
                let vpc = Vpc::builder()
                    .vpc_id(s.id("vpc"))
                    .set_cidr_block(input.cidr_block().map(str::to_string))
                    .set_tags(Some(spec_tags(input.tag_specifications())))
                    .build();
                s.vpcs.push(vpc.clone());
                CreateVpcOutput::builder().vpc(vpc).build()
            }),
            create_rule!(
                st,
                modify_vpc_attribute,
                "ModifyVpcAttribute",
                |_s, _input| { ModifyVpcAttributeOutput::builder().build() }
            ),
            describe_rule!(st, describe_vpcs, "DescribeVpcs", DescribeVpcsOutput::set_vpcs,
            vpcs by vpc_ids, filters, |v| {
                (v.vpc_id(), props(&[("vpc-id", v.vpc_id())], v.tags()))
            }),
            // Subnets
            create_rule!(st, create_subnet, "CreateSubnet", |s, input| {
                let subnet = Subnet::builder()
                    .subnet_id(s.id("subnet"))
                    .set_vpc_id(input.vpc_id().map(str::to_string))
                    .set_cidr_block(input.cidr_block().map(str::to_string))
                    .set_availability_zone_id(input.availability_zone_id().map(str::to_string))
                    .map_public_ip_on_launch(false)
                    .set_tags(Some(spec_tags(input.tag_specifications())))
                    .build();
                s.subnets.push(subnet.clone());
                CreateSubnetOutput::builder().subnet(subnet).build()
            }),
            create_rule!(
                st,
                modify_subnet_attribute,
                "ModifySubnetAttribute",
                |_s, _input| { ModifySubnetAttributeOutput::builder().build() }
            ),
            describe_rule!(st, describe_subnets, "DescribeSubnets",
            DescribeSubnetsOutput::set_subnets,
            subnets by subnet_ids, filters, |x| {
                let pairs = [("subnet-id", x.subnet_id()), ("vpc-id", x.vpc_id())];
                (x.subnet_id(), props(&pairs, x.tags()))
            }),
            // Internet gateways
            create_rule!(
                st,
                create_internet_gateway,
                "CreateInternetGateway",
                |s, input| {
                    let gateway = InternetGateway::builder()
                        .internet_gateway_id(s.id("igw"))
                        .set_tags(Some(spec_tags(input.tag_specifications())))
                        .build();
                    s.gateways.push(gateway.clone());
                    CreateInternetGatewayOutput::builder()
                        .internet_gateway(gateway)
                        .build()
                }
            ),
            create_rule!(
                st,
                attach_internet_gateway,
                "AttachInternetGateway",
                |s, input| {
                    for g in s.gateways.iter_mut() {
                        if g.internet_gateway_id() == input.internet_gateway_id() {
                            *g = attached(g, input.vpc_id());
                        }
                    }
                    AttachInternetGatewayOutput::builder().build()
                }
            ),
            describe_rule!(st, describe_internet_gateways, "DescribeInternetGateways",
            DescribeInternetGatewaysOutput::set_internet_gateways,
            gateways by internet_gateway_ids, filters, |g| {
                let pairs = [("internet-gateway-id", g.internet_gateway_id())];
                (g.internet_gateway_id(), props(&pairs, g.tags()))
            }),
            // Elastic IPs
            create_rule!(st, allocate_address, "AllocateAddress", |s, input| {
                let id = s.id("eipalloc");
                let address = Address::builder()
                    .allocation_id(&id)
                    .public_ip(format!("198.51.100.{}", s.next_id))
                    .set_tags(Some(spec_tags(input.tag_specifications())))
                    .build();
                s.addresses.push(address.clone());
                AllocateAddressOutput::builder()
                    .allocation_id(id)
                    .set_public_ip(address.public_ip().map(str::to_string))
                    .build()
            }),
            describe_rule!(st, describe_addresses, "DescribeAddresses",
            DescribeAddressesOutput::set_addresses,
            addresses by allocation_ids, filters, |a| {
                (a.allocation_id(), props(&[("allocation-id", a.allocation_id())], a.tags()))
            }),
            // NAT gateways: available at once.
            create_rule!(st, create_nat_gateway, "CreateNatGateway", |s, input| {
                let vpc = s
                    .subnets
                    .iter()
                    .find(|x| x.subnet_id() == input.subnet_id())
                    .and_then(|x| x.vpc_id().map(str::to_string));
                let nat = NatGateway::builder()
                    .nat_gateway_id(s.id("nat"))
                    .set_vpc_id(vpc)
                    .set_subnet_id(input.subnet_id().map(str::to_string))
                    .nat_gateway_addresses(
                        NatGatewayAddress::builder()
                            .set_allocation_id(input.allocation_id().map(str::to_string))
                            .build(),
                    )
                    .state(NatGatewayState::Available)
                    .set_tags(Some(spec_tags(input.tag_specifications())))
                    .build();
                s.nats.push(nat.clone());
                CreateNatGatewayOutput::builder().nat_gateway(nat).build()
            }),
            describe_rule!(st, describe_nat_gateways, "DescribeNatGateways",
            DescribeNatGatewaysOutput::set_nat_gateways,
            nats by nat_gateway_ids, filter, |n| {
                let pairs = [
                ("nat-gateway-id", n.nat_gateway_id()),
                ("vpc-id", n.vpc_id()),
                ("subnet-id", n.subnet_id()),
                ("state", n.state().map(NatGatewayState::as_str)),
            ];
                (n.nat_gateway_id(), props(&pairs, n.tags()))
            }),
            // Route tables, their routes and associations
            create_rule!(st, create_route_table, "CreateRouteTable", |s, input| {
                let table = RouteTable::builder()
                    .route_table_id(s.id("rtb"))
                    .set_vpc_id(input.vpc_id().map(str::to_string))
                    .set_tags(Some(spec_tags(input.tag_specifications())))
                    .build();
                s.tables.push(table.clone());
                CreateRouteTableOutput::builder().route_table(table).build()
            }),
            create_rule!(st, create_route, "CreateRoute", |s, input| {
                let route = Route::builder()
                    .set_destination_cidr_block(input.destination_cidr_block().map(str::to_string))
                    .set_gateway_id(input.gateway_id().map(str::to_string))
                    .set_nat_gateway_id(input.nat_gateway_id().map(str::to_string))
                    .build();
                let exists = s.tables.iter().any(|t| {
                    t.route_table_id() == input.route_table_id()
                        && t.routes()
                            .iter()
                            .any(|r| r.destination_cidr_block() == input.destination_cidr_block())
                });
                if exists {
                    s.log.push("CreateRoute: RouteAlreadyExists".into());
                    return MockResponse::Http(ec2_error(400, "RouteAlreadyExists"));
                }
                for t in s.tables.iter_mut() {
                    if t.route_table_id() == input.route_table_id() {
                        let mut routes = t.routes().to_vec();
                        routes.push(route.clone());
                        *t = rebuilt(t, routes, t.associations().to_vec());
                    }
                }
                CreateRouteOutput::builder().r#return(true).build()
            }),
            create_rule!(st, replace_route, "ReplaceRoute", |s, input| {
                for t in s.tables.iter_mut() {
                    if t.route_table_id() == input.route_table_id() {
                        let routes = t
                            .routes()
                            .iter()
                            .map(|r| {
                                if r.destination_cidr_block() == input.destination_cidr_block() {
                                    Route::builder()
                                        .set_destination_cidr_block(
                                            input.destination_cidr_block().map(str::to_string),
                                        )
                                        .set_gateway_id(input.gateway_id().map(str::to_string))
                                        .set_nat_gateway_id(
                                            input.nat_gateway_id().map(str::to_string),
                                        )
                                        .build()
                                } else {
                                    r.clone()
                                }
                            })
                            .collect();
                        *t = rebuilt(t, routes, t.associations().to_vec());
                    }
                }
                ReplaceRouteOutput::builder().build()
            }),
            create_rule!(
                st,
                associate_route_table,
                "AssociateRouteTable",
                |s, input| {
                    let id = s.id("rtbassoc");
                    let association = RouteTableAssociation::builder()
                        .route_table_association_id(&id)
                        .set_route_table_id(input.route_table_id().map(str::to_string))
                        .set_subnet_id(input.subnet_id().map(str::to_string))
                        .main(false)
                        .build();
                    for t in s.tables.iter_mut() {
                        if t.route_table_id() == input.route_table_id() {
                            let mut associations = t.associations().to_vec();
                            associations.push(association.clone());
                            *t = rebuilt(t, t.routes().to_vec(), associations);
                        }
                    }
                    AssociateRouteTableOutput::builder()
                        .association_id(id)
                        .build()
                }
            ),
            describe_rule!(st, describe_route_tables, "DescribeRouteTables",
            DescribeRouteTablesOutput::set_route_tables,
            tables by route_table_ids, filters, |t| {
                let mut pairs = vec![
                ("route-table-id", t.route_table_id()),
                ("vpc-id", t.vpc_id()),
                ("association.subnet-id", None),
                ("association.route-table-association-id", None),
            ];
                for a in t.associations() {
                    pairs.push(("association.subnet-id", a.subnet_id()));
                    pairs.push((
                            "association.route-table-association-id",
                            a.route_table_association_id(),
                        ));
                }
                (t.route_table_id(), props(&pairs, t.tags()))
            }),
            // Security groups, with AWS's default egress rule, and their rules
            create_rule!(
                st,
                create_security_group,
                "CreateSecurityGroup",
                |s, input| {
                    let id = s.id("sg");
                    s.groups.push(
                        SecurityGroup::builder()
                            .group_id(&id)
                            .set_group_name(input.group_name().map(str::to_string))
                            .set_description(input.description().map(str::to_string))
                            .set_vpc_id(input.vpc_id().map(str::to_string))
                            .set_tags(Some(spec_tags(input.tag_specifications())))
                            .build(),
                    );
                    let rule_id = s.id("sgr");
                    s.rules.push(
                        SecurityGroupRule::builder()
                            .security_group_rule_id(rule_id)
                            .group_id(&id)
                            .is_egress(true)
                            .ip_protocol("-1")
                            .from_port(-1)
                            .to_port(-1)
                            .cidr_ipv4("0.0.0.0/0")
                            .build(),
                    );
                    CreateSecurityGroupOutput::builder().group_id(id).build()
                }
            ),
            create_rule!(
                st,
                revoke_security_group_egress,
                "RevokeSecurityGroupEgress",
                |s, input| {
                    let ids = input.security_group_rule_ids().to_vec();
                    s.rules.retain(|r| {
                        !ids.iter()
                            .any(|i| Some(i.as_str()) == r.security_group_rule_id())
                    });
                    RevokeSecurityGroupEgressOutput::builder()
                        .r#return(true)
                        .build()
                }
            ),
            create_rule!(
                st,
                authorize_security_group_ingress,
                "AuthorizeSecurityGroupIngress",
                |s, input| {
                    let rules = authorize(
                        s,
                        input.group_id(),
                        false,
                        input.ip_permissions(),
                        input.tag_specifications(),
                    );
                    AuthorizeSecurityGroupIngressOutput::builder()
                        .set_security_group_rules(Some(rules))
                        .build()
                }
            ),
            create_rule!(
                st,
                authorize_security_group_egress,
                "AuthorizeSecurityGroupEgress",
                |s, input| {
                    let rules = authorize(
                        s,
                        input.group_id(),
                        true,
                        input.ip_permissions(),
                        input.tag_specifications(),
                    );
                    AuthorizeSecurityGroupEgressOutput::builder()
                        .set_security_group_rules(Some(rules))
                        .build()
                }
            ),
            describe_rule!(st, describe_security_groups, "DescribeSecurityGroups",
            DescribeSecurityGroupsOutput::set_security_groups,
            groups by group_ids, filters, |g| {
                let pairs = [
                ("group-id", g.group_id()),
                ("group-name", g.group_name()),
                ("vpc-id", g.vpc_id()),
            ];
                (g.group_id(), props(&pairs, g.tags()))
            }),
            describe_rule!(st, describe_security_group_rules, "DescribeSecurityGroupRules",
            DescribeSecurityGroupRulesOutput::set_security_group_rules,
            rules by security_group_rule_ids, filters, |r| {
                let pairs = [
                ("security-group-rule-id", r.security_group_rule_id()),
                ("group-id", r.group_id()),
            ];
                (r.security_group_rule_id(), props(&pairs, r.tags()))
            }),
            // VPC endpoints: available at once.
            create_rule!(st, create_vpc_endpoint, "CreateVpcEndpoint", |s, input| {
                let endpoint = VpcEndpoint::builder()
                    .vpc_endpoint_id(s.id("vpce"))
                    .set_vpc_id(input.vpc_id().map(str::to_string))
                    .set_service_name(input.service_name().map(str::to_string))
                    .set_vpc_endpoint_type(input.vpc_endpoint_type().cloned())
                    .set_route_table_ids(Some(input.route_table_ids().to_vec()))
                    .set_subnet_ids(Some(input.subnet_ids().to_vec()))
                    .set_private_dns_enabled(input.private_dns_enabled())
                    .state(EndpointState::from("available"))
                    .set_tags(Some(spec_tags(input.tag_specifications())))
                    .build();
                s.endpoints.push(endpoint.clone());
                CreateVpcEndpointOutput::builder()
                    .vpc_endpoint(endpoint)
                    .build()
            }),
            describe_rule!(st, describe_vpc_endpoints, "DescribeVpcEndpoints",
            DescribeVpcEndpointsOutput::set_vpc_endpoints,
            endpoints by vpc_endpoint_ids, filters, |e| {
                let pairs = [("vpc-endpoint-id", e.vpc_endpoint_id()), ("vpc-id", e.vpc_id())];
                (e.vpc_endpoint_id(), props(&pairs, e.tags()))
            }),
        ];
        FakeEc2 { state: st, rules }
    }

    fn executor(&self) -> Executor {
        Executor::new(common::ec2_clients(&self.rules.iter().collect::<Vec<_>>()))
    }

    /// The calls logged since the last call, counted by entry.
    fn take_calls(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for entry in std::mem::take(&mut self.state.lock().unwrap().log) {
            *counts.entry(entry).or_default() += 1;
        }
        counts
    }

    /// The next call of `op` acts, but its answer is lost.
    fn lose_next_answer(&self, op: &'static str) {
        self.state.lock().unwrap().lose_answer.insert(op);
    }
}

/// The gateway attached to `vpc`.
fn attached(gateway: &InternetGateway, vpc: Option<&str>) -> InternetGateway {
    InternetGateway::builder()
        .set_internet_gateway_id(gateway.internet_gateway_id().map(str::to_string))
        .set_tags(Some(gateway.tags().to_vec()))
        .set_attachments(vpc.map(|v| vec![InternetGatewayAttachment::builder().vpc_id(v).build()]))
        .build()
}

/// The table with other routes and associations.
fn rebuilt(
    table: &RouteTable,
    routes: Vec<Route>,
    associations: Vec<RouteTableAssociation>,
) -> RouteTable {
    RouteTable::builder()
        .set_route_table_id(table.route_table_id().map(str::to_string))
        .set_vpc_id(table.vpc_id().map(str::to_string))
        .set_routes(Some(routes))
        .set_associations(Some(associations))
        .set_tags(Some(table.tags().to_vec()))
        .build()
}

/// One rule per peer of each permission, tagged as asked.
fn authorize(
    s: &mut State,
    group_id: Option<&str>,
    egress: bool,
    permissions: &[IpPermission],
    tags: &[TagSpecification],
) -> Vec<SecurityGroupRule> {
    let mut made = Vec::new();
    for p in permissions {
        let base = |id: String| {
            SecurityGroupRule::builder()
                .security_group_rule_id(id)
                .set_group_id(group_id.map(str::to_string))
                .is_egress(egress)
                .set_ip_protocol(p.ip_protocol().map(str::to_string))
                .set_from_port(p.from_port())
                .set_to_port(p.to_port())
                .set_tags(Some(spec_tags(tags)))
        };
        for r in p.ip_ranges() {
            let id = s.id("sgr");
            made.push(
                base(id)
                    .set_cidr_ipv4(r.cidr_ip().map(str::to_string))
                    .set_description(r.description().map(str::to_string))
                    .build(),
            );
        }
        for g in p.user_id_group_pairs() {
            let id = s.id("sgr");
            made.push(
                base(id)
                    .referenced_group_info(
                        ReferencedSecurityGroup::builder()
                            .set_group_id(g.group_id().map(str::to_string))
                            .build(),
                    )
                    .set_description(g.description().map(str::to_string))
                    .build(),
            );
        }
        for l in p.prefix_list_ids() {
            let id = s.id("sgr");
            made.push(
                base(id)
                    .set_prefix_list_id(l.prefix_list_id().map(str::to_string))
                    .set_description(l.description().map(str::to_string))
                    .build(),
            );
        }
    }
    s.rules.extend(made.iter().cloned());
    made
}

// The network of a prod environment over three AZs with a NAT gateway in each.

fn region() -> RegionFacts {
    let zones = [
        ("us-east-1a", "use1-az1"),
        ("us-east-1b", "use1-az2"),
        ("us-east-1c", "use1-az4"),
    ];
    RegionFacts {
        region: "us-east-1".into(),
        zones: zones
            .iter()
            .map(|(name, id)| Zone {
                name: name.to_string(),
                id: id.to_string(),
            })
            .collect(),
    }
}

/// The EC2 children of a 3-AZ prod environment with a NAT gateway per AZ: everything but the
/// flow log, which needs IAM and CloudWatch Logs.
fn network() -> BTreeMap<NodeKey, Node> {
    let mut spec = TierDefaults::for_tier(Tier::Prod).environment("env1", Tier::Prod);
    spec.network.azs = AzChoice::Count(3);
    spec.network.nat_mode = NatMode::PerAz;
    spec.written = "{\"tier\":\"prod\"}".into();
    let (expansion, diags) = expand_environment(&spec, &region(), &Ledger::new());
    assert!(diags.is_empty(), "{diags:?}");
    expansion
        .nodes
        .into_iter()
        .filter(|(key, _)| key.as_str().starts_with("ec2.") && key.kind() != Some(Kind::FlowLog))
        .collect()
}

fn opts() -> RunOptions {
    RunOptions {
        concurrency: 8,
        cancel: CancellationToken::new(),
        deadline: tokio::time::Instant::now() + Duration::from_secs(3600),
    }
}

/// Applies `desired` over `ledger`; every step must succeed.
async fn apply(executor: &Executor, desired: &BTreeMap<NodeKey, Node>, ledger: Ledger) -> Ledger {
    let ops = diff(desired, &ledger);
    let outcome = apply::run(executor, desired, &ops, ledger, opts()).await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    outcome.ledger
}

/// The nodes of `kind` in the network, and what they need first (everything they refer to,
/// transitively).
fn of_kind(kind: Kind) -> (BTreeMap<NodeKey, Node>, BTreeMap<NodeKey, Node>) {
    let all = network();
    let children: BTreeMap<NodeKey, Node> = all
        .iter()
        .filter(|(key, _)| key.kind() == Some(kind))
        .map(|(k, n)| (k.clone(), n.clone()))
        .collect();
    let mut needed = BTreeSet::new();
    let mut stack: Vec<NodeKey> = children
        .values()
        .flat_map(|n| n.spec.references().into_iter().cloned())
        .collect();
    while let Some(key) = stack.pop() {
        if needed.insert(key.clone()) {
            stack.extend(all[&key].spec.references().into_iter().cloned());
        }
    }
    let first = all
        .into_iter()
        .filter(|(key, _)| needed.contains(key))
        .collect();
    (children, first)
}

/// `first` and `then`: what stays and what is added.
fn with(
    first: &BTreeMap<NodeKey, Node>,
    then: &BTreeMap<NodeKey, Node>,
) -> BTreeMap<NodeKey, Node> {
    first
        .iter()
        .chain(then)
        .map(|(k, n)| (k.clone(), n.clone()))
        .collect()
}

/// The describe calls among `calls`.
fn reads(calls: &BTreeMap<String, usize>) -> BTreeMap<String, usize> {
    calls
        .iter()
        .filter(|(entry, _)| entry.starts_with("Describe"))
        .map(|(e, n)| (e.clone(), *n))
        .collect()
}

/// Creating every child of a kind in the network.
struct Case {
    kind: Kind,
    /// The call that creates one (a prefix: `Authorize` for both directions of rules).
    create: &'static str,
    /// Every read the creates make, by describe and filters: their scope's listing once, and
    /// the per-object reads a create needs right after it.
    reads: &'static [(&'static str, usize)],
}

const CASES: &[Case] = &[
    Case {
        kind: Kind::Subnet,
        create: "CreateSubnet",
        reads: &[("DescribeSubnets[vpc-id]", 1)],
    },
    Case {
        kind: Kind::RouteTable,
        create: "CreateRouteTable",
        reads: &[("DescribeRouteTables[vpc-id]", 1)],
    },
    // A route has no tags: CreateRoute itself tells whether it exists.
    Case {
        kind: Kind::Route,
        create: "CreateRoute",
        reads: &[],
    },
    Case {
        kind: Kind::RouteTableAssociation,
        create: "AssociateRouteTable",
        reads: &[("DescribeRouteTables[vpc-id]", 1)],
    },
    // After each create, the new group's rules, for its default egress rule.
    Case {
        kind: Kind::SecurityGroup,
        create: "CreateSecurityGroup",
        reads: &[
            ("DescribeSecurityGroups[vpc-id]", 1),
            ("DescribeSecurityGroupRules[group-id]", 3),
        ],
    },
    // The rules of every group of the VPC and of the ledger, in one listing.
    Case {
        kind: Kind::SecurityGroupRule,
        create: "Authorize",
        reads: &[
            ("DescribeSecurityGroups[vpc-id]", 1),
            ("DescribeSecurityGroupRules[group-id]", 1),
        ],
    },
    // After each create, the endpoint until it is available.
    Case {
        kind: Kind::VpcEndpoint,
        create: "CreateVpcEndpoint",
        reads: &[
            ("DescribeVpcEndpoints[vpc-id]", 1),
            ("DescribeVpcEndpoints[ids]", 8),
        ],
    },
    Case {
        kind: Kind::ElasticIp,
        create: "AllocateAddress",
        reads: &[("DescribeAddresses[tag:platform:owner]", 1)],
    },
    // The region's gateways still deleting, once; after each create, the gateway until it is
    // available.
    Case {
        kind: Kind::NatGateway,
        create: "CreateNatGateway",
        reads: &[
            ("DescribeNatGateways[state]", 1),
            ("DescribeNatGateways[vpc-id]", 1),
            ("DescribeNatGateways[ids]", 3),
        ],
    },
];

#[tokio::test(start_paused = true)]
async fn creating_n_children_of_a_kind_reads_its_listing_once() {
    for Case {
        kind,
        create,
        reads: expected,
    } in CASES
    {
        let fake = FakeEc2::new();
        let executor = fake.executor();
        let (children, first) = of_kind(*kind);
        let ledger = apply(&executor, &first, Ledger::new()).await;
        fake.take_calls();
        let ledger = apply(&executor, &with(&first, &children), ledger).await;
        let calls = fake.take_calls();
        let creates: usize = calls
            .iter()
            .filter(|(entry, _)| entry.starts_with(create))
            .map(|(_, n)| n)
            .sum();
        assert!(children.len() > 1, "{kind:?}: several children");
        assert_eq!(creates, children.len(), "{kind:?}: one create each");
        assert!(children.keys().all(|k| ledger.children.contains_key(k)));
        let expected: BTreeMap<String, usize> =
            expected.iter().map(|(e, n)| (e.to_string(), *n)).collect();
        assert_eq!(reads(&calls), expected, "{kind:?}: {calls:?}");
    }
}

/// A create whose answer is lost.
struct Lost {
    kind: Kind,
    /// The calls that create one; the next of each loses its answer.
    creates: &'static [&'static str],
    /// The listing its adopt-first lookup reads; none for routes.
    listing: Option<&'static str>,
}

const LOST: &[Lost] = &[
    Lost {
        kind: Kind::Subnet,
        creates: &["CreateSubnet"],
        listing: Some("DescribeSubnets[vpc-id]"),
    },
    Lost {
        kind: Kind::RouteTable,
        creates: &["CreateRouteTable"],
        listing: Some("DescribeRouteTables[vpc-id]"),
    },
    Lost {
        kind: Kind::Route,
        creates: &["CreateRoute"],
        listing: None,
    },
    Lost {
        kind: Kind::RouteTableAssociation,
        creates: &["AssociateRouteTable"],
        listing: Some("DescribeRouteTables[vpc-id]"),
    },
    Lost {
        kind: Kind::SecurityGroup,
        creates: &["CreateSecurityGroup"],
        listing: Some("DescribeSecurityGroups[vpc-id]"),
    },
    Lost {
        kind: Kind::SecurityGroupRule,
        creates: &[
            "AuthorizeSecurityGroupIngress",
            "AuthorizeSecurityGroupEgress",
        ],
        listing: Some("DescribeSecurityGroupRules[group-id]"),
    },
    Lost {
        kind: Kind::VpcEndpoint,
        creates: &["CreateVpcEndpoint"],
        listing: Some("DescribeVpcEndpoints[vpc-id]"),
    },
    Lost {
        kind: Kind::ElasticIp,
        creates: &["AllocateAddress"],
        listing: Some("DescribeAddresses[tag:platform:owner]"),
    },
    Lost {
        kind: Kind::NatGateway,
        creates: &["CreateNatGateway"],
        listing: Some("DescribeNatGateways[vpc-id]"),
    },
];

impl FakeEc2 {
    /// How many objects of `kind` EC2 holds (routes: in every table).
    fn count(&self, kind: Kind) -> usize {
        let s = self.state.lock().unwrap();
        match kind {
            Kind::Subnet => s.subnets.len(),
            Kind::RouteTable => s.tables.len(),
            Kind::Route => s.tables.iter().map(|t| t.routes().len()).sum(),
            Kind::RouteTableAssociation => s.tables.iter().map(|t| t.associations().len()).sum(),
            Kind::SecurityGroup => s.groups.len(),
            Kind::SecurityGroupRule => s.rules.iter().filter(|r| !r.tags().is_empty()).count(),
            Kind::VpcEndpoint => s.endpoints.len(),
            Kind::ElasticIp => s.addresses.len(),
            Kind::NatGateway => s.nats.len(),
            other => panic!("{other:?} is not counted"),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_create_whose_answer_was_lost_adopts_the_object_on_its_retry() {
    for Lost {
        kind,
        creates,
        listing,
    } in LOST
    {
        let fake = FakeEc2::new();
        let executor = fake.executor();
        let (children, first) = of_kind(*kind);
        let one: BTreeMap<NodeKey, Node> = children.into_iter().take(1).collect();
        let ledger = apply(&executor, &first, Ledger::new()).await;
        let before = fake.count(*kind);
        fake.take_calls();
        for create in *creates {
            fake.lose_next_answer(create);
        }
        let ledger = apply(&executor, &with(&first, &one), ledger).await;
        let calls = fake.take_calls();
        assert_eq!(
            fake.count(*kind),
            before + 1,
            "{kind:?}: one object: {calls:?}"
        );
        let key = one.keys().next().unwrap();
        assert!(ledger.children.contains_key(key));
        let made: usize = creates.iter().filter_map(|c| calls.get(*c)).sum();
        match listing {
            Some(listing) => {
                assert_eq!(made, 1, "{kind:?}: created once: {calls:?}");
                assert_eq!(
                    calls.get(*listing),
                    Some(&2),
                    "{kind:?}: the retry read the listing afresh: {calls:?}"
                );
            }
            // A route is created again and exists: it is adopted by replacing its target.
            None => {
                assert_eq!(made, 2, "{calls:?}");
                assert_eq!(calls.get("CreateRoute: RouteAlreadyExists"), Some(&1));
                assert_eq!(calls.get("ReplaceRoute"), Some(&1));
            }
        }
    }
}

/// In a VPC the run created, lookups skip the listings; a lost answer must still not
/// duplicate anything, because a failed attempt makes the engine forget what the run created
/// and the retry lists again.
#[tokio::test(start_paused = true)]
async fn a_lost_answer_in_a_new_vpc_is_adopted_on_the_retry() {
    for Lost { kind, creates, .. } in LOST {
        let fake = FakeEc2::new();
        let executor = fake.executor();
        let desired = network();
        let wanted = desired.keys().filter(|k| k.kind() == Some(*kind)).count();
        assert!(wanted > 0, "{kind:?}: the network has none");
        for create in *creates {
            fake.lose_next_answer(create);
        }
        let ledger = apply(&executor, &desired, Ledger::new()).await;
        assert_eq!(ledger.children.len(), desired.len(), "{kind:?}");
        let calls = fake.take_calls();
        assert_eq!(
            fake.count(*kind),
            wanted,
            "{kind:?}: one object per child after a lost answer: {calls:?}"
        );
    }
}

/// Before the adopt-first lookups read listings, the same apply read 63 times: a lookup by
/// ownership tags per child, an association lookup per subnet, a deleting-gateway search per
/// NAT gateway. Lookups inside the VPC the run created need no listing at all: 24 reads
/// became 19.
#[tokio::test(start_paused = true)]
async fn a_three_az_network_is_created_with_a_listing_per_kind_and_scope() {
    let fake = FakeEc2::new();
    let executor = fake.executor();
    let desired = network();
    let ledger = apply(&executor, &desired, Ledger::new()).await;
    assert_eq!(ledger.children.len(), desired.len());
    assert_eq!(desired.len(), 50);
    let calls = fake.take_calls();
    let read_calls = reads(&calls);
    let reads: usize = read_calls.values().sum();
    let writes: usize = calls.values().sum::<usize>() - reads;
    println!(
        "{} children: {writes} mutating calls, {reads} reads: {read_calls:#?}",
        desired.len()
    );
    let expected: BTreeMap<String, usize> = [
        // The VPC and the internet gateway: one child each, looked up by its tags.
        ("DescribeVpcs[tag:platform:node,tag:platform:owner]", 1),
        (
            "DescribeInternetGateways[tag:platform:node,tag:platform:owner]",
            1,
        ),
        // Subnets, route tables, associations, groups, rules, endpoints and NAT gateways
        // are inside the new VPC: no listing. Elastic IPs are not, and neither are the
        // region's deleting NAT gateways (one may hold an adopted address).
        ("DescribeAddresses[tag:platform:owner]", 1),
        ("DescribeNatGateways[state]", 1),
        // Each new group's default egress rule, to revoke it.
        ("DescribeSecurityGroupRules[group-id]", 3),
        // Waits until available.
        ("DescribeVpcEndpoints[ids]", 8),
        ("DescribeNatGateways[ids]", 3),
    ]
    .into_iter()
    .map(|(e, n)| (e.to_string(), n))
    .collect();
    assert_eq!(read_calls, expected);
    // A new subnet maps no public IPs and a new VPC resolves DNS already, as the specs want:
    // 9 ModifySubnetAttribute calls and one ModifyVpcAttribute fewer than the 65 before.
    assert_eq!(writes, 55);
}
