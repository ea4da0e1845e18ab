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
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Vpc,
        Kind::Subnet,
        Kind::InternetGateway,
        Kind::ElasticIp,
        Kind::NatGateway,
        Kind::RouteTable,
        Kind::Route,
        Kind::RouteTableAssociation,
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
        }
    }

    /// Other children this one refers to; they must exist first and go last.
    pub fn references(&self) -> Vec<&NodeKey> {
        match self {
            ChildSpec::Vpc(_) | ChildSpec::ElasticIp(_) => vec![],
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
            ChildSpec::Route(_) | ChildSpec::RouteTableAssociation(_) => None,
        }
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
