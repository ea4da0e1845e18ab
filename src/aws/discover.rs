//! Rebuilding an environment's ledger from ownership tags (import, and children a crashed
//! run created without recording them).

use super::common::tags;
use super::ec2::{
    elastic_ip::ElasticIpSpec, internet_gateway::InternetGatewaySpec, nat_gateway::NatGatewaySpec,
    route_table_association::RouteTableAssociationSpec, subnet::SubnetSpec, vpc::VpcSpec,
};
use super::error::{classify, AwsError};
use super::{ec2, AwsClients};
use crate::apply::IdMap;
use crate::plan::expand::naming::{TAG_NODE, TAG_OWNER};
use crate::plan::ledger::{Ledger, Recorded};
use crate::plan::node::{ChildSpec, Kind, NodeKey, SubnetTier};

fn node_tag(t: &[aws_sdk_ec2::types::Tag]) -> Option<NodeKey> {
    tags::from_sdk(t)
        .get(TAG_NODE)
        .and_then(|k| NodeKey::parse(k))
}

/// Rebuilds a ledger from every object tagged `platform:owner = owner`, with the untaggable
/// routes and associations found through their tables. Used by import, by delete (to catch
/// children a crashed run created without recording) and by adoption.
pub async fn discover_environment(clients: &AwsClients, owner: &str) -> Result<Ledger, AwsError> {
    let ec2 = &clients.ec2;
    // Filters narrow the search; the owner tag is checked again on every object found.
    let owned_key = |t: &[aws_sdk_ec2::types::Tag]| {
        (tags::from_sdk(t).get(TAG_OWNER).map(String::as_str) == Some(owner))
            .then(|| node_tag(t))
            .flatten()
    };
    let filter = || Some(vec![tags::owner_filter(owner)]);
    let mut ledger = Ledger::new();
    let mut add = |key: NodeKey, id: String, spec: ChildSpec| {
        ledger.children.insert(key, Recorded::new(id, spec));
    };

    let vpcs = ec2
        .describe_vpcs()
        .set_filters(filter())
        .send()
        .await
        .map_err(classify)?;
    let mut pending: Vec<(NodeKey, String, ChildSpec)> = Vec::new();
    for vpc in vpcs.vpcs() {
        if let (Some(key), Some(id)) = (owned_key(vpc.tags()), vpc.vpc_id()) {
            pending.push((
                key,
                id.to_string(),
                ChildSpec::Vpc(VpcSpec {
                    cidr: vpc.cidr_block().unwrap_or_default().to_string(),
                    enable_dns_support: true,
                    enable_dns_hostnames: true,
                    tags: tags::from_sdk(vpc.tags()),
                }),
            ));
        }
    }
    let subnets = ec2
        .describe_subnets()
        .set_filters(filter())
        .send()
        .await
        .map_err(classify)?;
    let igws = ec2
        .describe_internet_gateways()
        .set_filters(filter())
        .send()
        .await
        .map_err(classify)?;
    let addresses = ec2
        .describe_addresses()
        .set_filters(filter())
        .send()
        .await
        .map_err(classify)?;
    let nats = ec2
        .describe_nat_gateways()
        .set_filter(filter())
        .send()
        .await
        .map_err(classify)?;
    let tables = ec2
        .describe_route_tables()
        .set_filters(filter())
        .send()
        .await
        .map_err(classify)?;

    // First the IDs, so references can be turned back into keys.
    let mut id_pairs: Vec<(NodeKey, String)> = pending
        .iter()
        .map(|(k, id, _)| (k.clone(), id.clone()))
        .collect();
    id_pairs.extend(
        subnets
            .subnets()
            .iter()
            .filter_map(|s| Some((owned_key(s.tags())?, s.subnet_id()?.to_string()))),
    );
    id_pairs.extend(
        igws.internet_gateways()
            .iter()
            .filter_map(|g| Some((owned_key(g.tags())?, g.internet_gateway_id()?.to_string()))),
    );
    id_pairs.extend(
        addresses
            .addresses()
            .iter()
            .filter_map(|a| Some((owned_key(a.tags())?, a.allocation_id()?.to_string()))),
    );
    let live_nats: Vec<_> = nats
        .nat_gateways()
        .iter()
        .filter(|n| {
            !matches!(
                n.state(),
                Some(
                    aws_sdk_ec2::types::NatGatewayState::Deleted
                        | aws_sdk_ec2::types::NatGatewayState::Deleting
                )
            )
        })
        .collect();
    id_pairs.extend(
        live_nats
            .iter()
            .filter_map(|n| Some((owned_key(n.tags())?, n.nat_gateway_id()?.to_string()))),
    );
    id_pairs.extend(
        tables
            .route_tables()
            .iter()
            .filter_map(|t| Some((owned_key(t.tags())?, t.route_table_id()?.to_string()))),
    );
    let ids = IdMap::from_ledger(&Ledger {
        children: id_pairs
            .iter()
            .map(|(k, id)| {
                (
                    k.clone(),
                    Recorded {
                        refs: Default::default(),
                        id: id.clone(),
                        observed: ChildSpec::ElasticIp(ElasticIpSpec {
                            tags: Default::default(),
                        }),
                    },
                )
            })
            .collect(),
        ..Ledger::new()
    });

    for (key, id, spec) in pending {
        add(key, id, spec);
    }
    for subnet in subnets.subnets() {
        let Some(key) = owned_key(subnet.tags()) else {
            continue;
        };
        let tier = match key.as_str().split('/').nth(1) {
            Some("public") => SubnetTier::Public,
            Some("private") => SubnetTier::Private,
            _ => SubnetTier::Data,
        };
        let placeholder = SubnetSpec {
            vpc: key.clone(),
            tier,
            az_id: String::new(),
            cidr: String::new(),
            map_public_ip_on_launch: false,
            tags: Default::default(),
        };
        let spec = ec2::subnet::flatten_subnet(subnet, &placeholder, &ids);
        add(
            key,
            subnet.subnet_id().unwrap_or_default().to_string(),
            ChildSpec::Subnet(spec),
        );
    }
    for igw in igws.internet_gateways() {
        let Some(key) = owned_key(igw.tags()) else {
            continue;
        };
        let spec: InternetGatewaySpec = ec2::internet_gateway::flatten_internet_gateway(igw, &ids);
        add(
            key,
            igw.internet_gateway_id().unwrap_or_default().to_string(),
            ChildSpec::InternetGateway(spec),
        );
    }
    for address in addresses.addresses() {
        let Some(key) = owned_key(address.tags()) else {
            continue;
        };
        let spec = ElasticIpSpec {
            tags: tags::from_sdk(address.tags()),
        };
        add(
            key,
            address.allocation_id().unwrap_or_default().to_string(),
            ChildSpec::ElasticIp(spec),
        );
    }
    for nat in live_nats {
        let Some(key) = owned_key(nat.tags()) else {
            continue;
        };
        let placeholder = NatGatewaySpec {
            subnet: key.clone(),
            eip: key.clone(),
            internet_gateway: NodeKey::new(Kind::InternetGateway, &[]),
            tags: Default::default(),
        };
        let spec = ec2::nat_gateway::flatten_nat_gateway(nat, &placeholder, &ids);
        add(
            key,
            nat.nat_gateway_id().unwrap_or_default().to_string(),
            ChildSpec::NatGateway(spec),
        );
    }
    for table in tables.route_tables() {
        let Some(key) = owned_key(table.tags()) else {
            continue;
        };
        let table_id = table.route_table_id().unwrap_or_default().to_string();
        let suffix = key
            .as_str()
            .strip_prefix("ec2.route_table/")
            .unwrap_or_default()
            .to_string();
        for route in table.routes() {
            if route.destination_cidr_block() == Some(crate::plan::expand::environment::ANYWHERE) {
                let route_key = NodeKey::new(Kind::Route, &[&suffix, "default"]);
                let spec = ec2::route::flatten_route(route, &key, &ids);
                add(
                    route_key,
                    ec2::route::route_id(&table_id, crate::plan::expand::environment::ANYWHERE),
                    ChildSpec::Route(spec),
                );
            }
        }
        for association in table.associations() {
            let (Some(association_id), Some(subnet_id)) = (
                association.route_table_association_id(),
                association.subnet_id(),
            ) else {
                continue;
            };
            let Some(subnet_key) = ids.key_of(subnet_id) else {
                continue;
            };
            let qualifiers = subnet_key
                .as_str()
                .strip_prefix("ec2.subnet/")
                .unwrap_or_default();
            let association_key = NodeKey::new(Kind::RouteTableAssociation, &[qualifiers]);
            let spec: RouteTableAssociationSpec =
                ec2::route_table_association::flatten_association(association, &ids);
            add(
                association_key,
                association_id.to_string(),
                ChildSpec::RouteTableAssociation(spec),
            );
        }
        let spec = ec2::route_table::flatten_route_table(table, &ids);
        add(key, table_id, ChildSpec::RouteTable(spec));
    }
    // AZ order, as the allocator handed out private blocks (lowest first).
    let mut private: Vec<(u32, String)> = ledger
        .children
        .values()
        .filter_map(|r| match &r.observed {
            ChildSpec::Subnet(s) if s.tier == SubnetTier::Private => {
                let cidr = crate::plan::spec::Ipv4Cidr::parse(&s.cidr).ok()?;
                Some((cidr.addr, s.az_id.clone()))
            }
            _ => None,
        })
        .collect();
    private.sort();
    ledger.az_order = private.into_iter().map(|(_, az)| az).collect();
    Ok(ledger)
}
