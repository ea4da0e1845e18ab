//! Expansion of `platform_environment`'s network into its AWS children.

use std::collections::BTreeMap;

use crate::framework::diag::Diagnostics;
use crate::framework::path::AttrPath;
use crate::plan::ledger::Ledger;
use crate::plan::node::{
    ChildSpec, ElasticIpSpec, InternetGatewaySpec, Kind, NatGatewaySpec, Node, NodeKey, RouteSpec,
    RouteTableAssociationSpec, RouteTableSpec, RouteTarget, SubnetSpec, SubnetTier, VpcSpec,
};
use crate::plan::spec::{AzChoice, EnvironmentSpec, NatMode, RegionFacts};

use super::cidr::{self, Allocations};
use super::naming::{child_tags, display_name};

/// The VPC tag that records the configuration as written (see `resources::environment`).
pub const TAG_CONFIG: &str = "platform:config";

/// Everything a plan needs from expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expansion {
    pub nodes: BTreeMap<NodeKey, Node>,
    /// AZ IDs in the order they joined; shrinking drops from the end.
    pub az_order: Vec<String>,
    /// `<tier>/<az-id>` → CIDR.
    pub subnet_cidrs: BTreeMap<String, String>,
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
    vpc_tags.insert(TAG_CONFIG.to_string(), spec.written.clone());
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
            subnet_cidrs.insert(format!("{}/{az}", tier.as_str()), cidr.clone());
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

    (
        Expansion {
            nodes,
            az_order: azs,
            subnet_cidrs,
        },
        diags,
    )
}

/// Every resolved setting, with dotted keys, for the computed `effective_config`.
pub fn effective_config(spec: &EnvironmentSpec) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
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
