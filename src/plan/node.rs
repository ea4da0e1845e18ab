//! The closed set of AWS child kinds an expansion can produce, and their keys.
//!
//! A node key is semantic (`ec2.subnet/private/use1-az4`): it comes from kind, tier and AZ ID,
//! never from a list index, so reordering or growing the configuration never renames a child.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Stable identity of a child: `<kind>/<qualifiers…>`, e.g. `ec2.route/private/use1-az1/default`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NodeKey(String);

impl NodeKey {
    pub fn new(kind: Kind, qualifiers: &[&str]) -> NodeKey {
        let mut key = kind.prefix().to_string();
        for q in qualifiers {
            key.push('/');
            key.push_str(q);
        }
        NodeKey(key)
    }

    /// Parses a key read back from state. Fails when the kind prefix is unknown.
    pub fn parse(text: &str) -> Option<NodeKey> {
        let key = NodeKey(text.to_string());
        key.kind().map(|_| key)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The kind named by the key's prefix.
    pub fn kind(&self) -> Option<Kind> {
        let prefix = self.0.split('/').next().unwrap_or_default();
        Kind::ALL.iter().copied().find(|k| k.prefix() == prefix)
    }
}

impl fmt::Display for NodeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// AWS object kinds the provider manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Vpc,
    Subnet,
    InternetGateway,
    ElasticIp,
    NatGateway,
    RouteTable,
    Route,
    RouteTableAssociation,
    SecurityGroup,
    SecurityGroupRule,
    VpcEndpoint,
    FlowLog,
    LogGroup,
    IamRole,
    EcsCluster,
    DbSubnetGroup,
    CacheSubnetGroup,
    LoadBalancer,
    Listener,
    Certificate,
}

impl Kind {
    pub const ALL: [Kind; 20] = [
        Kind::Vpc,
        Kind::Subnet,
        Kind::InternetGateway,
        Kind::ElasticIp,
        Kind::NatGateway,
        Kind::RouteTable,
        Kind::Route,
        Kind::RouteTableAssociation,
        Kind::SecurityGroup,
        Kind::SecurityGroupRule,
        Kind::VpcEndpoint,
        Kind::FlowLog,
        Kind::LogGroup,
        Kind::IamRole,
        Kind::EcsCluster,
        Kind::DbSubnetGroup,
        Kind::CacheSubnetGroup,
        Kind::LoadBalancer,
        Kind::Listener,
        Kind::Certificate,
    ];

    /// The key prefix, also used in diagnostics.
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Vpc => "ec2.vpc",
            Kind::Subnet => "ec2.subnet",
            Kind::InternetGateway => "ec2.internet_gateway",
            Kind::ElasticIp => "ec2.eip",
            Kind::NatGateway => "ec2.nat_gateway",
            Kind::RouteTable => "ec2.route_table",
            Kind::Route => "ec2.route",
            Kind::RouteTableAssociation => "ec2.route_table_association",
            Kind::SecurityGroup => "ec2.security_group",
            Kind::SecurityGroupRule => "ec2.security_group_rule",
            Kind::VpcEndpoint => "ec2.vpc_endpoint",
            Kind::FlowLog => "ec2.flow_log",
            Kind::LogGroup => "logs.log_group",
            Kind::IamRole => "iam.role",
            Kind::EcsCluster => "ecs.cluster",
            Kind::DbSubnetGroup => "rds.db_subnet_group",
            Kind::CacheSubnetGroup => "elasticache.subnet_group",
            Kind::LoadBalancer => "elbv2.load_balancer",
            Kind::Listener => "elbv2.listener",
            Kind::Certificate => "acm.certificate",
        }
    }

    /// Human name for diagnostics, as in "creating EC2 Subnet (ec2.subnet/public/use1-az1)".
    pub fn display_name(self) -> &'static str {
        match self {
            Kind::Vpc => "EC2 VPC",
            Kind::Subnet => "EC2 Subnet",
            Kind::InternetGateway => "EC2 Internet Gateway",
            Kind::ElasticIp => "EC2 Elastic IP",
            Kind::NatGateway => "EC2 NAT Gateway",
            Kind::RouteTable => "EC2 Route Table",
            Kind::Route => "EC2 Route",
            Kind::RouteTableAssociation => "EC2 Route Table Association",
            Kind::SecurityGroup => "EC2 Security Group",
            Kind::SecurityGroupRule => "EC2 Security Group Rule",
            Kind::VpcEndpoint => "EC2 VPC Endpoint",
            Kind::FlowLog => "EC2 Flow Log",
            Kind::LogGroup => "CloudWatch Logs Log Group",
            Kind::IamRole => "IAM Role",
            Kind::EcsCluster => "ECS Cluster",
            Kind::DbSubnetGroup => "RDS DB Subnet Group",
            Kind::CacheSubnetGroup => "ElastiCache Subnet Group",
            Kind::LoadBalancer => "ELBv2 Load Balancer",
            Kind::Listener => "ELBv2 Listener",
            Kind::Certificate => "ACM Certificate",
        }
    }
}

/// Subnet tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubnetTier {
    Public,
    Private,
    Data,
}

impl SubnetTier {
    pub const ALL: [SubnetTier; 3] = [SubnetTier::Public, SubnetTier::Private, SubnetTier::Data];

    pub fn as_str(self) -> &'static str {
        match self {
            SubnetTier::Public => "public",
            SubnetTier::Private => "private",
            SubnetTier::Data => "data",
        }
    }
}

/// Tags as AWS stores them. Ownership tags are already merged in by the expander.
pub type Tags = BTreeMap<String, String>;

/// What a route points at. The target is another node, resolved to its AWS ID at apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteTarget {
    InternetGateway(NodeKey),
    NatGateway(NodeKey),
}

/// Desired properties of one child. References to other children are node keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChildSpec {
    Vpc(VpcSpec),
    Subnet(SubnetSpec),
    InternetGateway(InternetGatewaySpec),
    ElasticIp(ElasticIpSpec),
    NatGateway(NatGatewaySpec),
    RouteTable(RouteTableSpec),
    Route(RouteSpec),
    RouteTableAssociation(RouteTableAssociationSpec),
    SecurityGroup(SecurityGroupSpec),
    SecurityGroupRule(SecurityGroupRuleSpec),
    VpcEndpoint(VpcEndpointSpec),
    FlowLog(FlowLogSpec),
    LogGroup(LogGroupSpec),
    IamRole(IamRoleSpec),
    EcsCluster(EcsClusterSpec),
    DbSubnetGroup(DbSubnetGroupSpec),
    CacheSubnetGroup(CacheSubnetGroupSpec),
    LoadBalancer(LoadBalancerSpec),
    Listener(ListenerSpec),
    Certificate(CertificateSpec),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpcSpec {
    pub cidr: String,
    pub enable_dns_support: bool,
    pub enable_dns_hostnames: bool,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubnetSpec {
    pub vpc: NodeKey,
    pub tier: SubnetTier,
    pub az_id: String,
    pub cidr: String,
    pub map_public_ip_on_launch: bool,
    pub tags: Tags,
}

/// Created attached to `vpc`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InternetGatewaySpec {
    pub vpc: NodeKey,
    pub tags: Tags,
}

/// A VPC-domain address, allocated for a NAT gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElasticIpSpec {
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NatGatewaySpec {
    /// The public subnet it lives in.
    pub subnet: NodeKey,
    pub eip: NodeKey,
    /// Needed because a NAT gateway only works once the VPC has an attached IGW.
    pub internet_gateway: NodeKey,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteTableSpec {
    pub vpc: NodeKey,
    pub tags: Tags,
}

/// One route in a route table. Routes carry no tags in AWS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteSpec {
    pub route_table: NodeKey,
    pub destination_cidr: String,
    pub target: RouteTarget,
}

/// Associations carry no tags in AWS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteTableAssociationSpec {
    pub route_table: NodeKey,
    pub subnet: NodeKey,
}

/// A security group with no rules of its own: AWS's default allow-all egress rule is revoked
/// at create, and every rule is a separate [`SecurityGroupRuleSpec`] child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroupSpec {
    pub vpc: NodeKey,
    /// `GroupName`, unique in the VPC; AWS cannot rename a group.
    pub name: String,
    /// AWS cannot change a group's description either.
    pub description: String,
    pub tags: Tags,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// The other side of a rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RulePeer {
    Cidr(String),
    /// Another security group of ours.
    Group(NodeKey),
    /// A managed prefix list (`pl-…`), e.g. S3's for the gateway endpoint.
    PrefixList(String),
}

/// One security group rule (`sgr-…`). Changing any property replaces the rule, never the group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroupRuleSpec {
    pub group: NodeKey,
    pub direction: Direction,
    /// `tcp`, `udp` or `-1` (all).
    pub protocol: String,
    /// Both -1 for protocol `-1`.
    pub from_port: i32,
    pub to_port: i32,
    pub peer: RulePeer,
    pub description: String,
    pub tags: Tags,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndpointType {
    /// S3 and DynamoDB: routes in route tables, free.
    Gateway,
    /// Everything else: ENIs in subnets behind a security group, private DNS.
    Interface,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpcEndpointSpec {
    pub vpc: NodeKey,
    /// `com.amazonaws.<region>.<service>`.
    pub service_name: String,
    pub endpoint_type: EndpointType,
    /// Gateway endpoints: the route tables that get its routes. Sorted.
    pub route_tables: Vec<NodeKey>,
    /// Interface endpoints: one subnet per AZ. Sorted.
    pub subnets: Vec<NodeKey>,
    /// Interface endpoints only. Sorted.
    pub security_groups: Vec<NodeKey>,
    pub private_dns: bool,
    pub tags: Tags,
}

/// VPC flow log delivered to a CloudWatch Logs group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowLogSpec {
    pub vpc: NodeKey,
    pub log_group: NodeKey,
    /// The role flow logs assume to write; its ledger ID is the role ARN.
    pub role: NodeKey,
    /// `ALL`, `ACCEPT` or `REJECT`.
    pub traffic_type: String,
    pub tags: Tags,
}

/// A CloudWatch Logs group; its ledger ID is its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogGroupSpec {
    pub name: String,
    pub retention_days: u32,
    pub kms_key_arn: Option<String>,
    pub tags: Tags,
}

/// An IAM role with inline policies; its ledger ID is the role ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamRoleSpec {
    pub name: String,
    /// Canonical JSON (keys sorted, no whitespace), so comparison is semantic.
    pub assume_role_policy: String,
    /// Policy name → canonical JSON document.
    pub inline_policies: BTreeMap<String, String>,
    /// Sorted.
    pub managed_policy_arns: Vec<String>,
    pub permissions_boundary_arn: Option<String>,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapacityProviderStrategyItem {
    /// `FARGATE` or `FARGATE_SPOT`.
    pub provider: String,
    pub weight: i32,
    pub base: i32,
}

/// An ECS cluster; its ledger ID is the cluster ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcsClusterSpec {
    pub name: String,
    /// `disabled`, `enabled` or `enhanced`.
    pub container_insights: String,
    /// Sorted.
    pub capacity_providers: Vec<String>,
    /// Items with weight 0 and base 0 are left out, as ECS does.
    pub default_strategy: Vec<CapacityProviderStrategyItem>,
    pub tags: Tags,
}

/// An RDS DB subnet group on the data tier; its ledger ID is its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbSubnetGroupSpec {
    pub name: String,
    pub description: String,
    /// Sorted.
    pub subnets: Vec<NodeKey>,
    pub tags: Tags,
}

/// An ElastiCache subnet group on the data tier; its ledger ID is its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheSubnetGroupSpec {
    pub name: String,
    pub description: String,
    /// Sorted.
    pub subnets: Vec<NodeKey>,
    pub tags: Tags,
}

/// An application load balancer; its ledger ID is its ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadBalancerSpec {
    /// At most 32 characters; AWS cannot rename a load balancer.
    pub name: String,
    /// `internal` scheme rather than `internet-facing`; AWS cannot change it in place.
    pub internal: bool,
    /// One per AZ. Sorted.
    pub subnets: Vec<NodeKey>,
    /// Sorted.
    pub security_groups: Vec<NodeKey>,
    pub idle_timeout_seconds: u32,
    pub drop_invalid_headers: bool,
    pub deletion_protection: bool,
    pub tags: Tags,
}

/// Where a listener's certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateSource {
    /// Brought by the user (`certificate_arn`).
    Arn(String),
    /// Requested by this environment; a [`CertificateSpec`] child.
    Node(NodeKey),
}

/// What a listener does with requests no rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListenerDefault {
    /// HTTP 301 to `https://#{host}:443/#{path}?#{query}`.
    RedirectToHttps,
    /// A fixed `404 Not Found` (services add rules in front of it).
    NotFound,
}

/// A load balancer listener; its ledger ID is its ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenerSpec {
    pub load_balancer: NodeKey,
    pub port: i32,
    /// `HTTP` or `HTTPS`.
    pub protocol: String,
    /// HTTPS only.
    pub ssl_policy: Option<String>,
    /// HTTPS only. An ACM certificate must be `ISSUED` before a listener can use it, so
    /// create waits for that (within the resource's timeouts).
    pub certificate: Option<CertificateSource>,
    pub default_action: ListenerDefault,
    pub tags: Tags,
}

/// An ACM certificate requested with DNS validation; its ledger ID is its ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateSpec {
    pub domain: String,
    /// Subject alternative names besides `domain`. Sorted.
    pub alternative_names: Vec<String>,
    pub tags: Tags,
}

impl ChildSpec {
    pub fn kind(&self) -> Kind {
        match self {
            ChildSpec::Vpc(_) => Kind::Vpc,
            ChildSpec::Subnet(_) => Kind::Subnet,
            ChildSpec::InternetGateway(_) => Kind::InternetGateway,
            ChildSpec::ElasticIp(_) => Kind::ElasticIp,
            ChildSpec::NatGateway(_) => Kind::NatGateway,
            ChildSpec::RouteTable(_) => Kind::RouteTable,
            ChildSpec::Route(_) => Kind::Route,
            ChildSpec::RouteTableAssociation(_) => Kind::RouteTableAssociation,
            ChildSpec::SecurityGroup(_) => Kind::SecurityGroup,
            ChildSpec::SecurityGroupRule(_) => Kind::SecurityGroupRule,
            ChildSpec::VpcEndpoint(_) => Kind::VpcEndpoint,
            ChildSpec::FlowLog(_) => Kind::FlowLog,
            ChildSpec::LogGroup(_) => Kind::LogGroup,
            ChildSpec::IamRole(_) => Kind::IamRole,
            ChildSpec::EcsCluster(_) => Kind::EcsCluster,
            ChildSpec::DbSubnetGroup(_) => Kind::DbSubnetGroup,
            ChildSpec::CacheSubnetGroup(_) => Kind::CacheSubnetGroup,
            ChildSpec::LoadBalancer(_) => Kind::LoadBalancer,
            ChildSpec::Listener(_) => Kind::Listener,
            ChildSpec::Certificate(_) => Kind::Certificate,
        }
    }

    /// Other children this one refers to; they must exist first and go last.
    pub fn references(&self) -> Vec<&NodeKey> {
        match self {
            ChildSpec::Vpc(_)
            | ChildSpec::ElasticIp(_)
            | ChildSpec::LogGroup(_)
            | ChildSpec::IamRole(_)
            | ChildSpec::EcsCluster(_)
            | ChildSpec::Certificate(_) => vec![],
            ChildSpec::Subnet(s) => vec![&s.vpc],
            ChildSpec::InternetGateway(s) => vec![&s.vpc],
            ChildSpec::NatGateway(s) => vec![&s.subnet, &s.eip, &s.internet_gateway],
            ChildSpec::RouteTable(s) => vec![&s.vpc],
            ChildSpec::Route(s) => {
                let target = match &s.target {
                    RouteTarget::InternetGateway(k) | RouteTarget::NatGateway(k) => k,
                };
                vec![&s.route_table, target]
            }
            ChildSpec::RouteTableAssociation(s) => vec![&s.route_table, &s.subnet],
            ChildSpec::SecurityGroup(s) => vec![&s.vpc],
            ChildSpec::SecurityGroupRule(s) => {
                let mut refs = vec![&s.group];
                if let RulePeer::Group(peer) = &s.peer {
                    refs.push(peer);
                }
                refs
            }
            ChildSpec::VpcEndpoint(s) => std::iter::once(&s.vpc)
                .chain(&s.route_tables)
                .chain(&s.subnets)
                .chain(&s.security_groups)
                .collect(),
            ChildSpec::FlowLog(s) => vec![&s.vpc, &s.log_group, &s.role],
            ChildSpec::DbSubnetGroup(s) => s.subnets.iter().collect(),
            ChildSpec::CacheSubnetGroup(s) => s.subnets.iter().collect(),
            ChildSpec::LoadBalancer(s) => s.subnets.iter().chain(&s.security_groups).collect(),
            ChildSpec::Listener(s) => {
                let mut refs = vec![&s.load_balancer];
                if let Some(CertificateSource::Node(cert)) = &s.certificate {
                    refs.push(cert);
                }
                refs
            }
        }
    }

    /// Tags AWS stores on the object; `None` for kinds AWS cannot tag.
    pub fn tags(&self) -> Option<&Tags> {
        match self {
            ChildSpec::Vpc(s) => Some(&s.tags),
            ChildSpec::Subnet(s) => Some(&s.tags),
            ChildSpec::InternetGateway(s) => Some(&s.tags),
            ChildSpec::ElasticIp(s) => Some(&s.tags),
            ChildSpec::NatGateway(s) => Some(&s.tags),
            ChildSpec::RouteTable(s) => Some(&s.tags),
            ChildSpec::SecurityGroup(s) => Some(&s.tags),
            ChildSpec::SecurityGroupRule(s) => Some(&s.tags),
            ChildSpec::VpcEndpoint(s) => Some(&s.tags),
            ChildSpec::FlowLog(s) => Some(&s.tags),
            ChildSpec::LogGroup(s) => Some(&s.tags),
            ChildSpec::IamRole(s) => Some(&s.tags),
            ChildSpec::EcsCluster(s) => Some(&s.tags),
            ChildSpec::DbSubnetGroup(s) => Some(&s.tags),
            ChildSpec::CacheSubnetGroup(s) => Some(&s.tags),
            ChildSpec::LoadBalancer(s) => Some(&s.tags),
            ChildSpec::Listener(s) => Some(&s.tags),
            ChildSpec::Certificate(s) => Some(&s.tags),
            ChildSpec::Route(_) | ChildSpec::RouteTableAssociation(_) => None,
        }
    }

    /// Names of the properties that differ between two specs of the same kind, sorted (for
    /// drift reports; `tags` covers every tag).
    pub fn changed_fields(&self, other: &ChildSpec) -> Vec<String> {
        let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
            (serde_json::to_value(self), serde_json::to_value(other))
        else {
            return Vec::new();
        };
        let mut names: Vec<String> = a
            .keys()
            .chain(b.keys())
            .filter(|k| a.get(*k) != b.get(*k))
            .cloned()
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// True when changing from `self` to `desired` needs a new AWS object rather than an
    /// in-place update (the per-kind `replace_on` list).
    pub fn needs_replacement(&self, desired: &ChildSpec) -> bool {
        match (self, desired) {
            (ChildSpec::Vpc(a), ChildSpec::Vpc(b)) => a.cidr != b.cidr,
            (ChildSpec::Subnet(a), ChildSpec::Subnet(b)) => {
                a.vpc != b.vpc || a.az_id != b.az_id || a.cidr != b.cidr
            }
            (ChildSpec::InternetGateway(a), ChildSpec::InternetGateway(b)) => a.vpc != b.vpc,
            (ChildSpec::ElasticIp(_), ChildSpec::ElasticIp(_)) => false,
            (ChildSpec::NatGateway(a), ChildSpec::NatGateway(b)) => {
                a.subnet != b.subnet || a.eip != b.eip
            }
            (ChildSpec::RouteTable(a), ChildSpec::RouteTable(b)) => a.vpc != b.vpc,
            (ChildSpec::Route(a), ChildSpec::Route(b)) => {
                a.route_table != b.route_table || a.destination_cidr != b.destination_cidr
            }
            (ChildSpec::RouteTableAssociation(a), ChildSpec::RouteTableAssociation(b)) => {
                a.subnet != b.subnet
            }
            (ChildSpec::SecurityGroup(a), ChildSpec::SecurityGroup(b)) => {
                a.vpc != b.vpc || a.name != b.name || a.description != b.description
            }
            // Rules have no in-place update worth the risk; only their tags change in place.
            (ChildSpec::SecurityGroupRule(a), ChildSpec::SecurityGroupRule(b)) => {
                a.group != b.group
                    || a.direction != b.direction
                    || a.protocol != b.protocol
                    || a.from_port != b.from_port
                    || a.to_port != b.to_port
                    || a.peer != b.peer
                    || a.description != b.description
            }
            (ChildSpec::VpcEndpoint(a), ChildSpec::VpcEndpoint(b)) => {
                a.vpc != b.vpc
                    || a.service_name != b.service_name
                    || a.endpoint_type != b.endpoint_type
            }
            (ChildSpec::FlowLog(a), ChildSpec::FlowLog(b)) => {
                a.vpc != b.vpc
                    || a.log_group != b.log_group
                    || a.role != b.role
                    || a.traffic_type != b.traffic_type
            }
            (ChildSpec::LogGroup(a), ChildSpec::LogGroup(b)) => {
                a.name != b.name || a.kms_key_arn != b.kms_key_arn
            }
            (ChildSpec::IamRole(a), ChildSpec::IamRole(b)) => a.name != b.name,
            (ChildSpec::EcsCluster(a), ChildSpec::EcsCluster(b)) => a.name != b.name,
            (ChildSpec::DbSubnetGroup(a), ChildSpec::DbSubnetGroup(b)) => a.name != b.name,
            (ChildSpec::CacheSubnetGroup(a), ChildSpec::CacheSubnetGroup(b)) => a.name != b.name,
            (ChildSpec::LoadBalancer(a), ChildSpec::LoadBalancer(b)) => {
                a.name != b.name || a.internal != b.internal
            }
            (ChildSpec::Listener(a), ChildSpec::Listener(b)) => {
                a.load_balancer != b.load_balancer || a.port != b.port
            }
            // ACM cannot change a certificate's names.
            (ChildSpec::Certificate(a), ChildSpec::Certificate(b)) => {
                a.domain != b.domain || a.alternative_names != b.alternative_names
            }
            _ => true,
        }
    }
}

/// A child in the desired graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub key: NodeKey,
    pub spec: ChildSpec,
}
