//! Expansion of `platform_environment`'s network into its AWS children.

use std::collections::BTreeMap;

use crate::aws::acm::certificate::CertificateSpec;
use crate::aws::ec2::elastic_ip::ElasticIpSpec;
use crate::aws::ec2::flow_log::FlowLogSpec;
use crate::aws::ec2::internet_gateway::InternetGatewaySpec;
use crate::aws::ec2::nat_gateway::NatGatewaySpec;
use crate::aws::ec2::route::{RouteSpec, RouteTarget};
use crate::aws::ec2::route_table::RouteTableSpec;
use crate::aws::ec2::route_table_association::RouteTableAssociationSpec;
use crate::aws::ec2::security_group::SecurityGroupSpec;
use crate::aws::ec2::security_group_rule::{Direction, RulePeer, SecurityGroupRuleSpec};
use crate::aws::ec2::subnet::SubnetSpec;
use crate::aws::ec2::vpc::VpcSpec;
use crate::aws::ec2::vpc_endpoint::{EndpointType, VpcEndpointSpec};
use crate::aws::ecs::cluster::{CapacityProviderStrategyItem, EcsClusterSpec};
use crate::aws::elasticache::cache_subnet_group::CacheSubnetGroupSpec;
use crate::aws::elbv2::listener::{CertificateSource, ListenerDefault, ListenerSpec};
use crate::aws::elbv2::load_balancer::LoadBalancerSpec;
use crate::aws::iam::role::IamRoleSpec;
use crate::aws::logs::log_group::LogGroupSpec;
use crate::aws::rds::db_subnet_group::DbSubnetGroupSpec;
use crate::aws::scheduler::schedule_group::ScheduleGroupSpec;
use crate::aws::servicediscovery::private_dns_namespace::PrivateDnsNamespaceSpec;
use crate::framework::diag::Diagnostics;
use crate::framework::path::AttrPath;
use crate::plan::ledger::Ledger;
use crate::plan::node::{ChildSpec, Kind, Node, NodeKey, SubnetTier, Tags};
use crate::plan::spec::{AzChoice, EnvironmentSpec, NatMode, RegionFacts};

use super::cidr::{self, Allocations};
use super::naming::{child_tags, config_tags, display_name};
use super::policy::{canonical_json, flow_logs_trust_policy, flow_logs_write_policy};

/// Everything a plan needs from expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expansion {
    pub nodes: BTreeMap<NodeKey, Node>,
    /// AZ IDs in the order they joined; shrinking drops from the end.
    pub az_order: Vec<String>,
    /// `<tier>/<az-id>` ([`subnet_cidr_key`]) → CIDR.
    pub subnet_cidrs: BTreeMap<String, String>,
}

/// The key of a subnet in [`Expansion::subnet_cidrs`]: `<tier>/<az-id>`.
fn subnet_cidr_key(tier: SubnetTier, az: &str) -> String {
    format!("{}/{az}", tier.as_str())
}

/// The default route's destination.
pub const ANYWHERE: &str = "0.0.0.0/0";

fn key(kind: Kind, qualifiers: &[&str]) -> NodeKey {
    NodeKey::new(kind, qualifiers)
}

/// Chooses the AZs: existing ones stay in order, new ones are appended.
fn select_azs(
    spec: &EnvironmentSpec,
    facts: &RegionFacts,
    prior: &Ledger,
) -> Result<Vec<String>, Diagnostics> {
    let mut diags = Diagnostics::new();
    match &spec.network.azs {
        AzChoice::Ids(wanted) => {
            let mut out = Vec::new();
            for (i, wanted) in wanted.iter().enumerate() {
                match facts
                    .zones
                    .iter()
                    .find(|z| &z.id == wanted || &z.name == wanted)
                {
                    Some(zone) => out.push(zone.id.clone()),
                    None => diags.error_at(
                        AttrPath::attrs(&["network", "az_ids"]).index(i as i64),
                        "Unknown availability zone",
                        format!(
                            "{wanted:?} is not an available zone of this region. Available: {}.",
                            facts
                                .zones
                                .iter()
                                .map(|z| format!("{} ({})", z.id, z.name))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ),
                }
            }
            if diags.has_errors() {
                return Err(diags);
            }
            Ok(out)
        }
        AzChoice::Count(count) => {
            let mut by_name = facts.zones.clone();
            by_name.sort_by(|a, b| a.name.cmp(&b.name));
            let mut out: Vec<String> = prior
                .az_order
                .iter()
                .filter(|id| facts.zones.iter().any(|z| &z.id == *id))
                .cloned()
                .collect();
            out.truncate(*count);
            for zone in by_name {
                if out.len() >= *count {
                    break;
                }
                if !out.contains(&zone.id) {
                    out.push(zone.id);
                }
            }
            if out.len() < *count {
                diags.error_at(
                    AttrPath::attrs(&["network", "az_count"]),
                    "Not enough availability zones",
                    format!(
                        "network.az_count is {count}, but the region has only {} available zones.",
                        out.len()
                    ),
                );
                return Err(diags);
            }
            Ok(out)
        }
    }
}

/// Existing allocations, from the subnets recorded in the ledger.
fn prior_allocations(prior: &Ledger) -> Allocations {
    let mut out = Allocations::new();
    for recorded in prior.children.values() {
        if let ChildSpec::Subnet(s) = &recorded.observed {
            if let Ok(cidr) = crate::plan::spec::Ipv4Cidr::parse(&s.cidr) {
                out.insert((s.tier, s.az_id.clone()), cidr);
            }
        }
    }
    out
}

/// Expands the environment. Errors name the attribute that caused them.
pub fn expand_environment(
    spec: &EnvironmentSpec,
    facts: &RegionFacts,
    prior: &Ledger,
) -> (Expansion, Diagnostics) {
    let mut diags = Diagnostics::new();
    let empty = Expansion {
        nodes: BTreeMap::new(),
        az_order: Vec::new(),
        subnet_cidrs: BTreeMap::new(),
    };
    let azs = match select_azs(spec, facts, prior) {
        Ok(azs) => azs,
        Err(d) => return (empty, d),
    };
    // Allocations of AZs no longer wanted are released, so a re-added AZ gets the lowest block.
    let mut existing = prior_allocations(prior);
    existing.retain(|(_, az), _| azs.contains(az));
    let allocations = match cidr::allocate(spec.network.cidr, spec.network.newbits, &existing, &azs)
    {
        Ok(a) => a,
        Err(problem) => {
            diags.error_at(
                AttrPath::attrs(&["network", "cidr"]),
                "VPC prefix too small for the subnets",
                problem,
            );
            return (empty, diags);
        }
    };

    let owner = spec.owner();
    let env = spec.name.as_str();
    let mut nodes = BTreeMap::new();
    let mut add = |key: NodeKey, spec: ChildSpec| {
        nodes.insert(key.clone(), Node { key, spec });
    };
    let tags = |key: &NodeKey, parts: &[&str]| {
        child_tags(&spec.tags, &owner, key, &display_name(env, parts))
    };

    let vpc = key(Kind::Vpc, &[]);
    let mut vpc_tags = tags(&vpc, &["vpc"]);
    vpc_tags.extend(config_tags(&spec.written));
    add(
        vpc.clone(),
        ChildSpec::Vpc(VpcSpec {
            cidr: spec.network.cidr.to_string(),
            enable_dns_support: true,
            enable_dns_hostnames: true,
            tags: vpc_tags,
        }),
    );
    let igw = key(Kind::InternetGateway, &[]);
    add(
        igw.clone(),
        ChildSpec::InternetGateway(InternetGatewaySpec {
            vpc: vpc.clone(),
            tags: tags(&igw, &["igw"]),
        }),
    );

    let mut subnet_cidrs = BTreeMap::new();
    for az in &azs {
        for tier in SubnetTier::ALL {
            let subnet = key(Kind::Subnet, &[tier.as_str(), az]);
            let cidr = allocations[&(tier, az.clone())].to_string();
            subnet_cidrs.insert(subnet_cidr_key(tier, az), cidr.clone());
            add(
                subnet.clone(),
                ChildSpec::Subnet(SubnetSpec {
                    vpc: vpc.clone(),
                    tier,
                    az_id: az.clone(),
                    cidr,
                    // Nothing gets a public IP by accident; tasks live in private subnets.
                    map_public_ip_on_launch: false,
                    tags: tags(&subnet, &[tier.as_str(), az]),
                }),
            );
        }
    }

    // Public tier: one table routing to the internet gateway.
    let public_rt = key(Kind::RouteTable, &["public"]);
    add(
        public_rt.clone(),
        ChildSpec::RouteTable(RouteTableSpec {
            vpc: vpc.clone(),
            tags: tags(&public_rt, &["public"]),
        }),
    );
    add(
        key(Kind::Route, &["public", "default"]),
        ChildSpec::Route(RouteSpec {
            route_table: public_rt.clone(),
            destination_cidr: ANYWHERE.to_string(),
            target: RouteTarget::InternetGateway(igw.clone()),
        }),
    );

    // NAT gateways, keyed by AZ in every mode so `single` → `per_az` only adds.
    let nat_azs: Vec<&String> = match spec.network.nat_mode {
        NatMode::None => Vec::new(),
        NatMode::Single => azs.iter().take(1).collect(),
        NatMode::PerAz => azs.iter().collect(),
    };
    for az in &nat_azs {
        let eip = key(Kind::ElasticIp, &["nat", az]);
        let nat = key(Kind::NatGateway, &[az]);
        add(
            eip.clone(),
            ChildSpec::ElasticIp(ElasticIpSpec {
                tags: tags(&eip, &["nat", az]),
            }),
        );
        add(
            nat.clone(),
            ChildSpec::NatGateway(NatGatewaySpec {
                subnet: key(Kind::Subnet, &["public", az]),
                eip,
                internet_gateway: igw.clone(),
                tags: tags(&nat, &["nat", az]),
            }),
        );
    }

    // Data tier: one table, never a route to the internet.
    let data_rt = key(Kind::RouteTable, &["data"]);
    add(
        data_rt.clone(),
        ChildSpec::RouteTable(RouteTableSpec {
            vpc: vpc.clone(),
            tags: tags(&data_rt, &["data"]),
        }),
    );

    for az in &azs {
        // Private tier: a table per AZ, so NAT mode changes only touch routes.
        let private_rt = key(Kind::RouteTable, &["private", az]);
        add(
            private_rt.clone(),
            ChildSpec::RouteTable(RouteTableSpec {
                vpc: vpc.clone(),
                tags: tags(&private_rt, &["private", az]),
            }),
        );
        let nat_az = match spec.network.nat_mode {
            NatMode::None => None,
            NatMode::Single => nat_azs.first().copied(),
            NatMode::PerAz => Some(az),
        };
        if let Some(nat_az) = nat_az {
            add(
                key(Kind::Route, &["private", az, "default"]),
                ChildSpec::Route(RouteSpec {
                    route_table: private_rt.clone(),
                    destination_cidr: ANYWHERE.to_string(),
                    target: RouteTarget::NatGateway(key(Kind::NatGateway, &[nat_az])),
                }),
            );
        }
        for (tier, table) in [
            ("public", &public_rt),
            ("private", &private_rt),
            ("data", &data_rt),
        ] {
            add(
                key(Kind::RouteTableAssociation, &[tier, az]),
                ChildSpec::RouteTableAssociation(RouteTableAssociationSpec {
                    route_table: table.clone(),
                    subnet: key(Kind::Subnet, &[tier, az]),
                }),
            );
        }
    }

    let mut sorted_azs = azs.clone();
    sorted_azs.sort();
    let platform = Platform {
        spec,
        facts,
        owner: &owner,
        azs: &sorted_azs,
        subnet_cidrs: &subnet_cidrs,
    };
    for node in platform
        .security_groups()
        .into_iter()
        .chain(platform.ingress())
        .chain(platform.endpoints())
        .chain(platform.flow_logs())
        .chain(platform.shared())
    {
        nodes.insert(node.key.clone(), node);
    }

    (
        Expansion {
            nodes,
            az_order: azs,
            subnet_cidrs,
        },
        diags,
    )
}

/// Security group names, by node-key qualifier.
pub const GROUP_SERVICES: &str = "services";
pub const GROUP_DATA: &str = "data";
pub const GROUP_ENDPOINTS: &str = "endpoints";
pub const GROUP_LOAD_BALANCER: &str = "load_balancer";

/// PostgreSQL and Redis/Valkey ports the data tier admits from services.
pub const DATA_PORTS: &[(&str, i32)] = &[("postgres", 5432), ("redis", 6379)];

/// The parts of the environment above the network: security groups, endpoints, flow logs, the
/// cluster, the log group and the data tier's subnet groups.
struct Platform<'a> {
    spec: &'a EnvironmentSpec,
    facts: &'a RegionFacts,
    owner: &'a str,
    /// AZ IDs in use, sorted.
    azs: &'a [String],
    /// CIDR of each subnet, by `<tier>/<az id>`.
    subnet_cidrs: &'a BTreeMap<String, String>,
}

impl Platform<'_> {
    fn tags(&self, key: &NodeKey, parts: &[&str]) -> Tags {
        child_tags(
            &self.spec.tags,
            self.owner,
            key,
            &display_name(&self.spec.name, parts),
        )
    }

    fn node(key: NodeKey, spec: ChildSpec) -> Node {
        Node { key, spec }
    }

    fn subnets(&self, tier: SubnetTier) -> Vec<NodeKey> {
        self.azs
            .iter()
            .map(|az| key(Kind::Subnet, &[tier.as_str(), az]))
            .collect()
    }

    fn group(&self, name: &str, description: &str) -> Node {
        let k = key(Kind::SecurityGroup, &[name]);
        Self::node(
            k.clone(),
            ChildSpec::SecurityGroup(SecurityGroupSpec {
                vpc: key(Kind::Vpc, &[]),
                name: display_name(&self.spec.name, &[name]),
                description: description.to_string(),
                tags: self.tags(&k, &[name]),
            }),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn rule(
        &self,
        group: &str,
        direction: Direction,
        name: &str,
        protocol: &str,
        ports: (i32, i32),
        peer: RulePeer,
        description: &str,
    ) -> Node {
        let k = key(Kind::SecurityGroupRule, &[group, direction.as_str(), name]);
        Self::node(
            k.clone(),
            ChildSpec::SecurityGroupRule(SecurityGroupRuleSpec {
                group: key(Kind::SecurityGroup, &[group]),
                direction,
                protocol: protocol.to_string(),
                from_port: ports.0,
                to_port: ports.1,
                peer,
                description: description.to_string(),
                tags: self.tags(&k, &[group, direction.as_str(), name]),
            }),
        )
    }

    fn has_interface_endpoints(&self) -> bool {
        !self.spec.network.endpoints.interface_services().is_empty()
    }

    /// Services reach anything (images, APIs, the data tier); the data tier only answers
    /// services; interface endpoints only answer the VPC on 443.
    fn security_groups(&self) -> Vec<Node> {
        let services = key(Kind::SecurityGroup, &[GROUP_SERVICES]);
        let mut out = vec![
            self.group(GROUP_SERVICES, "Tasks of the environment's services"),
            self.rule(
                GROUP_SERVICES,
                Direction::Egress,
                "all-to-anywhere",
                "-1",
                (-1, -1),
                RulePeer::Cidr(ANYWHERE.to_string()),
                "Egress to images, APIs and the data tier",
            ),
            self.group(
                GROUP_DATA,
                "Databases and caches: reachable only from services",
            ),
        ];
        for (name, port) in DATA_PORTS {
            out.push(self.rule(
                GROUP_DATA,
                Direction::Ingress,
                &format!("{name}-from-services"),
                "tcp",
                (*port, *port),
                RulePeer::Group(services.clone()),
                &format!("{name} from services"),
            ));
        }
        if self.has_interface_endpoints() {
            out.push(self.group(
                GROUP_ENDPOINTS,
                "Interface VPC endpoints: HTTPS from the VPC",
            ));
            out.push(self.rule(
                GROUP_ENDPOINTS,
                Direction::Ingress,
                "https-from-vpc",
                "tcp",
                (443, 443),
                RulePeer::Cidr(self.spec.network.cidr.to_string()),
                "HTTPS from the VPC",
            ));
        }
        out
    }

    /// The shared load balancer: its group and rules, the services' rule admitting it, the
    /// certificate, and the HTTPS and HTTP listeners.
    fn ingress(&self) -> Vec<Node> {
        let Some(ingress) = &self.spec.ingress else {
            return Vec::new();
        };
        let lb_group = key(Kind::SecurityGroup, &[GROUP_LOAD_BALANCER]);
        let services = key(Kind::SecurityGroup, &[GROUP_SERVICES]);
        let mut out = vec![self.group(
            GROUP_LOAD_BALANCER,
            "Load balancer: HTTP and HTTPS from the allowed CIDRs",
        )];
        let mut ports = vec![("https", 443)];
        if ingress.http_to_https {
            ports.push(("http", 80));
        }
        for (name, port) in ports {
            for cidr in &ingress.allowed_cidrs {
                out.push(self.rule(
                    GROUP_LOAD_BALANCER,
                    Direction::Ingress,
                    &format!("{name}-from-{}", cidr.replace('/', "_")),
                    "tcp",
                    (port, port),
                    RulePeer::Cidr(cidr.clone()),
                    &format!("{} from {cidr}", name.to_uppercase()),
                ));
            }
        }
        out.push(self.rule(
            GROUP_LOAD_BALANCER,
            Direction::Egress,
            "tcp-to-services",
            "tcp",
            (0, 65535),
            RulePeer::Group(services.clone()),
            "To service tasks",
        ));
        // The provider's services: one rule per private subnet rather than one per service, so
        // the group stays within AWS's 60 rules per direction however many services it
        // routes to. Each service's own ingress rule still admits only its port.
        for az in self.azs {
            if let Some(cidr) = self
                .subnet_cidrs
                .get(&subnet_cidr_key(SubnetTier::Private, az))
            {
                out.push(self.rule(
                    GROUP_LOAD_BALANCER,
                    Direction::Egress,
                    &format!("tcp-to-private-{az}"),
                    "tcp",
                    (0, 65535),
                    RulePeer::Cidr(cidr.clone()),
                    &format!("To tasks in the private subnet of {az}"),
                ));
            }
        }
        out.push(self.rule(
            GROUP_SERVICES,
            Direction::Ingress,
            "tcp-from-load-balancer",
            "tcp",
            (0, 65535),
            RulePeer::Group(lb_group.clone()),
            "From the load balancer",
        ));
        let lb_key = key(Kind::LoadBalancer, &[]);
        let tier = if ingress.internal {
            SubnetTier::Private
        } else {
            SubnetTier::Public
        };
        out.push(Self::node(
            lb_key.clone(),
            ChildSpec::LoadBalancer(LoadBalancerSpec {
                name: load_balancer_name(&self.spec.name),
                internal: ingress.internal,
                subnets: self.subnets(tier),
                security_groups: vec![lb_group],
                idle_timeout_seconds: ingress.idle_timeout_seconds,
                drop_invalid_headers: ingress.drop_invalid_headers,
                deletion_protection: self.spec.deletion_protection,
                tags: self.tags(&lb_key, &["lb"]),
            }),
        ));
        let certificate = match (&ingress.certificate_arn, &ingress.domain) {
            (Some(arn), _) => CertificateSource::Arn(arn.clone()),
            (None, domain) => {
                let cert_key = key(Kind::Certificate, &[]);
                out.push(Self::node(
                    cert_key.clone(),
                    ChildSpec::Certificate(CertificateSpec {
                        domain: domain.clone().unwrap_or_default(),
                        alternative_names: ingress.additional_domains.clone(),
                        tags: self.tags(&cert_key, &["certificate"]),
                    }),
                ));
                CertificateSource::Node(cert_key)
            }
        };
        let https = key(Kind::Listener, &["https"]);
        out.push(Self::node(
            https.clone(),
            ChildSpec::Listener(ListenerSpec {
                load_balancer: lb_key.clone(),
                port: 443,
                protocol: "HTTPS".to_string(),
                ssl_policy: Some(ingress.tls_policy.clone()),
                certificate: Some(certificate),
                default_action: ListenerDefault::NotFound,
                tags: self.tags(&https, &["https"]),
            }),
        ));
        if ingress.http_to_https {
            let http = key(Kind::Listener, &["http"]);
            out.push(Self::node(
                http.clone(),
                ChildSpec::Listener(ListenerSpec {
                    load_balancer: lb_key,
                    port: 80,
                    protocol: "HTTP".to_string(),
                    ssl_policy: None,
                    certificate: None,
                    default_action: ListenerDefault::RedirectToHttps,
                    tags: self.tags(&http, &["http"]),
                }),
            ));
        }
        out
    }

    fn endpoints(&self) -> Vec<Node> {
        let region = &self.facts.region;
        let endpoints = &self.spec.network.endpoints;
        let mut out = Vec::new();
        let mut gateway_tables: Vec<NodeKey> = self
            .azs
            .iter()
            .map(|az| key(Kind::RouteTable, &["private", az]))
            .collect();
        gateway_tables.push(key(Kind::RouteTable, &["data"]));
        gateway_tables.sort();
        for service in endpoints.gateway_services() {
            let k = key(Kind::VpcEndpoint, &[service]);
            out.push(Self::node(
                k.clone(),
                ChildSpec::VpcEndpoint(VpcEndpointSpec {
                    vpc: key(Kind::Vpc, &[]),
                    service_name: format!("com.amazonaws.{region}.{service}"),
                    endpoint_type: EndpointType::Gateway,
                    route_tables: gateway_tables.clone(),
                    subnets: Vec::new(),
                    security_groups: Vec::new(),
                    private_dns: false,
                    tags: self.tags(&k, &["endpoint", service]),
                }),
            ));
        }
        for service in endpoints.interface_services() {
            let k = key(Kind::VpcEndpoint, &[&service]);
            out.push(Self::node(
                k.clone(),
                ChildSpec::VpcEndpoint(VpcEndpointSpec {
                    vpc: key(Kind::Vpc, &[]),
                    service_name: format!("com.amazonaws.{region}.{service}"),
                    endpoint_type: EndpointType::Interface,
                    route_tables: Vec::new(),
                    subnets: self.subnets(SubnetTier::Private),
                    security_groups: vec![key(Kind::SecurityGroup, &[GROUP_ENDPOINTS])],
                    private_dns: true,
                    tags: self.tags(&k, &["endpoint", &service]),
                }),
            ));
        }
        out
    }

    fn flow_logs(&self) -> Vec<Node> {
        let flow = &self.spec.network.flow_logs;
        if !flow.enabled {
            return Vec::new();
        }
        let region = &self.facts.region;
        let group_key = key(Kind::LogGroup, &["flow_logs"]);
        let group_name = flow_log_group_name(&self.spec.name);
        let role_key = key(Kind::IamRole, &["flow_logs"]);
        let flow_key = key(Kind::FlowLog, &["vpc"]);
        vec![
            Self::node(
                group_key.clone(),
                ChildSpec::LogGroup(LogGroupSpec {
                    name: group_name.clone(),
                    retention_days: flow.retention_days,
                    kms_key_arn: self.spec.logging.kms_key_arn.clone(),
                    tags: self.tags(&group_key, &["flow-logs"]),
                }),
            ),
            Self::node(
                role_key.clone(),
                ChildSpec::IamRole(IamRoleSpec {
                    name: global_name(&self.spec.name, "flow-logs", region),
                    assume_role_policy: canonical_json(&flow_logs_trust_policy()),
                    inline_policies: [(
                        "write-flow-logs".to_string(),
                        canonical_json(&flow_logs_write_policy(region, &group_name)),
                    )]
                    .into_iter()
                    .collect(),
                    managed_policy_arns: Vec::new(),
                    permissions_boundary_arn: None,
                    tags: self.tags(&role_key, &["flow-logs"]),
                }),
            ),
            Self::node(
                flow_key.clone(),
                ChildSpec::FlowLog(FlowLogSpec {
                    vpc: key(Kind::Vpc, &[]),
                    log_group: group_key,
                    role: role_key,
                    traffic_type: flow.traffic_type.clone(),
                    tags: self.tags(&flow_key, &["flow-log"]),
                }),
            ),
        ]
    }

    /// The cluster, the default log group and the data tier's subnet groups.
    fn shared(&self) -> Vec<Node> {
        let spec = self.spec;
        let cluster_key = key(Kind::EcsCluster, &[]);
        let capacity = spec.cluster.capacity;
        let mut strategy = Vec::new();
        for (provider, weight, base) in [
            ("FARGATE", capacity.fargate_weight, capacity.base),
            ("FARGATE_SPOT", capacity.spot_weight, 0),
        ] {
            if weight > 0 || base > 0 {
                strategy.push(CapacityProviderStrategyItem {
                    provider: provider.to_string(),
                    weight: weight as i32,
                    base: base as i32,
                });
            }
        }
        let log_key = key(Kind::LogGroup, &["environment"]);
        let db_key = key(Kind::DbSubnetGroup, &[]);
        let cache_key = key(Kind::CacheSubnetGroup, &[]);
        let data_subnets = self.subnets(SubnetTier::Data);
        let namespace_key = key(Kind::PrivateDnsNamespace, &[]);
        let schedules_key = schedule_group_key();
        let mut out = vec![
            Self::node(
                cluster_key.clone(),
                ChildSpec::EcsCluster(EcsClusterSpec {
                    name: spec.name.clone(),
                    container_insights: spec.cluster.container_insights.clone(),
                    capacity_providers: vec!["FARGATE".to_string(), "FARGATE_SPOT".to_string()],
                    default_strategy: strategy,
                    service_connect_namespace: spec
                        .service_discovery
                        .as_ref()
                        .map(|_| namespace_key.clone()),
                    tags: self.tags(&cluster_key, &[]),
                }),
            ),
            Self::node(
                log_key.clone(),
                ChildSpec::LogGroup(LogGroupSpec {
                    name: environment_log_group_name(&spec.name),
                    retention_days: spec.logging.retention_days,
                    kms_key_arn: spec.logging.kms_key_arn.clone(),
                    tags: self.tags(&log_key, &["logs"]),
                }),
            ),
            Self::node(
                db_key.clone(),
                ChildSpec::DbSubnetGroup(DbSubnetGroupSpec {
                    name: data_subnet_group_name(&spec.name),
                    description: format!("Data tier of environment {}", spec.name),
                    subnets: data_subnets.clone(),
                    tags: self.tags(&db_key, &["data"]),
                }),
            ),
            Self::node(
                cache_key.clone(),
                ChildSpec::CacheSubnetGroup(CacheSubnetGroupSpec {
                    name: data_subnet_group_name(&spec.name),
                    description: format!("Data tier of environment {}", spec.name),
                    subnets: data_subnets,
                    tags: self.tags(&cache_key, &["data"]),
                }),
            ),
            // Free, so every environment has one: its services' schedules go in it.
            Self::node(
                schedules_key.clone(),
                ChildSpec::ScheduleGroup(ScheduleGroupSpec {
                    name: schedule_group_name(&spec.name),
                    tags: self.tags(&schedules_key, &["schedules"]),
                }),
            ),
        ];
        if let Some(discovery) = &spec.service_discovery {
            out.push(Self::node(
                namespace_key.clone(),
                ChildSpec::PrivateDnsNamespace(PrivateDnsNamespaceSpec {
                    name: discovery.namespace.clone(),
                    vpc: key(Kind::Vpc, &[]),
                    description: format!("Service discovery of environment {}", spec.name),
                    tags: self.tags(&namespace_key, &["discovery"]),
                }),
            ));
        }
        out
    }
}

/// `<env>-lb`: load balancer names are at most 32 characters, environment names 16.
pub fn load_balancer_name(environment: &str) -> String {
    format!("{environment}-lb")
}

/// The environment's EventBridge Scheduler schedule group.
pub fn schedule_group_key() -> NodeKey {
    key(Kind::ScheduleGroup, &[])
}

/// The schedule group's name, the environment's: services put their schedules in it by name.
pub fn schedule_group_name(environment: &str) -> String {
    environment.to_string()
}

/// `/platform/<env>`: the environment's log group; services log below it.
pub fn environment_log_group_name(environment: &str) -> String {
    format!("/platform/{environment}")
}

pub fn flow_log_group_name(environment: &str) -> String {
    format!("/platform/{environment}/flow-logs")
}

/// RDS and ElastiCache subnet groups (both lowercase their names).
pub fn data_subnet_group_name(environment: &str) -> String {
    format!("{environment}-data")
}

/// Names of account-wide objects (IAM) include the region, so one environment name can be
/// used in several regions of an account: `platform-<env>-<purpose>-<region>`.
pub fn global_name(environment: &str, purpose: &str, region: &str) -> String {
    format!("platform-{environment}-{purpose}-{region}")
}

/// Every resolved setting, with dotted keys, for the computed `effective_config`.
pub fn effective_config(spec: &EnvironmentSpec) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        out.insert(k.to_string(), v);
    };
    let network = &spec.network;
    put("deletion_protection", spec.deletion_protection.to_string());
    put(
        "secret_recovery_window_days",
        spec.secret_recovery_window_days.to_string(),
    );
    put(
        "network.allow_no_egress",
        network.allow_no_egress.to_string(),
    );
    put(
        "network.vpc_endpoints.preset",
        network.endpoints.preset.as_str().to_string(),
    );
    put(
        "network.vpc_endpoints.extra",
        network.endpoints.extra.join(","),
    );
    put(
        "network.vpc_endpoints.interface",
        network.endpoints.interface_services().join(","),
    );
    put(
        "network.flow_logs.enabled",
        network.flow_logs.enabled.to_string(),
    );
    if network.flow_logs.enabled {
        put(
            "network.flow_logs.traffic_type",
            network.flow_logs.traffic_type.clone(),
        );
        put(
            "network.flow_logs.retention_days",
            network.flow_logs.retention_days.to_string(),
        );
    }
    put(
        "cluster.container_insights",
        spec.cluster.container_insights.clone(),
    );
    put(
        "cluster.capacity.fargate_weight",
        spec.cluster.capacity.fargate_weight.to_string(),
    );
    put(
        "cluster.capacity.spot_weight",
        spec.cluster.capacity.spot_weight.to_string(),
    );
    put(
        "cluster.capacity.base",
        spec.cluster.capacity.base.to_string(),
    );
    put(
        "logging.retention_days",
        spec.logging.retention_days.to_string(),
    );
    put(
        "logging.kms_key_arn",
        spec.logging.kms_key_arn.clone().unwrap_or_default(),
    );
    if let Some(discovery) = &spec.service_discovery {
        out.insert(
            "service_discovery.namespace".to_string(),
            discovery.namespace.clone(),
        );
    }
    if let Some(ingress) = &spec.ingress {
        let mut put = |k: &str, v: String| {
            out.insert(format!("ingress.{k}"), v);
        };
        put(
            "scheme",
            if ingress.internal {
                "internal"
            } else {
                "internet-facing"
            }
            .to_string(),
        );
        put("domain", ingress.domain.clone().unwrap_or_default());
        put("additional_domains", ingress.additional_domains.join(","));
        put(
            "certificate_arn",
            ingress.certificate_arn.clone().unwrap_or_default(),
        );
        put("tls_policy", ingress.tls_policy.clone());
        put("http_to_https", ingress.http_to_https.to_string());
        put("idle_timeout", ingress.idle_timeout_seconds.to_string());
        put("allowed_cidrs", ingress.allowed_cidrs.join(","));
        put(
            "drop_invalid_headers",
            ingress.drop_invalid_headers.to_string(),
        );
    }
    out.insert("tier".to_string(), spec.tier.as_str().to_string());
    out.insert("network.cidr".to_string(), spec.network.cidr.to_string());
    let (count, ids) = match &spec.network.azs {
        AzChoice::Count(n) => (*n, String::new()),
        AzChoice::Ids(ids) => (ids.len(), ids.join(",")),
    };
    out.insert("network.az_count".to_string(), count.to_string());
    out.insert("network.az_ids".to_string(), ids);
    out.insert(
        "network.nat.mode".to_string(),
        spec.network.nat_mode.as_str().to_string(),
    );
    out.insert(
        "network.subnet_newbits.public".to_string(),
        spec.network.newbits.public.to_string(),
    );
    out.insert(
        "network.subnet_newbits.private".to_string(),
        spec.network.newbits.private.to_string(),
    );
    out.insert(
        "network.subnet_newbits.data".to_string(),
        spec.network.newbits.data.to_string(),
    );
    out
}
