//! Diffing the desired graph against the ledger into operations.
//!
//! A child is created when it is not recorded, replaced when a property AWS cannot change in
//! place differs (its kind's `replaced_by`), updated when anything else differs. Then changes
//! of identity travel along references, each as its kind says (`Follow`):
//! - a child referring to one that gets a new AWS ID (created, replaced, or updated into a new
//!   revision) is updated to point at it, or replaced where AWS fixes the reference at create;
//! - so is a child whose recorded reference ID is no longer the referenced child's ID (it was
//!   recreated after vanishing, or replaced by an earlier run that stopped halfway).
//!
//! A child that holds data (a database, a cache) is never replaced as a side effect: the diff
//! reports it, and the adapter fails the plan naming the cause unless Terraform replaces the
//! whole resource anyway.

use std::collections::{BTreeMap, BTreeSet};

use super::ledger::Ledger;
use super::node::{Node, NodeKey};
use crate::aws::kind::Follow;

/// What apply does to one child.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Op {
    Create(NodeKey),
    Update(NodeKey),
    /// Delete the recorded object, then create a new one (or the other way round for kinds
    /// that create before they destroy).
    Replace(NodeKey),
    Delete(NodeKey),
    NoOp(NodeKey),
}

impl Op {
    pub fn key(&self) -> &NodeKey {
        match self {
            Op::Create(k) | Op::Update(k) | Op::Replace(k) | Op::Delete(k) | Op::NoOp(k) => k,
        }
    }

    pub fn verb(&self) -> &'static str {
        match self {
            Op::Create(_) => "create",
            Op::Update(_) => "update",
            Op::Replace(_) => "replace",
            Op::Delete(_) => "delete",
            Op::NoOp(_) => "no-op",
        }
    }
}

/// A data-holding child the operations would replace, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataReplacement {
    pub key: NodeKey,
    /// The property that changed (`kms_key_arn`), or the reference that gets a new ID.
    pub cause: String,
    /// True when the cause is the child's own property rather than a child it refers to.
    pub own_property: bool,
}

/// The operations and what they would do to data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    /// Sorted by key.
    pub ops: Vec<Op>,
    pub data_replacements: Vec<DataReplacement>,
}

/// Operations turning the ledger into the desired graph, sorted by key.
pub fn diff(desired: &BTreeMap<NodeKey, Node>, ledger: &Ledger) -> Vec<Op> {
    plan(desired, ledger).ops
}

/// The operations, with the replacements of data-holding children they contain.
pub fn plan(desired: &BTreeMap<NodeKey, Node>, ledger: &Ledger) -> Diff {
    let mut ops: BTreeMap<&NodeKey, Op> = BTreeMap::new();
    let mut causes: BTreeMap<&NodeKey, (String, bool)> = BTreeMap::new();
    for node in desired.values() {
        let op = match ledger.children.get(&node.key) {
            None => Op::Create(node.key.clone()),
            Some(recorded) => match recorded.observed.replaced_by(&node.spec) {
                Some(property) => {
                    causes.insert(&node.key, (property.to_string(), true));
                    Op::Replace(node.key.clone())
                }
                None if recorded.observed != node.spec => Op::Update(node.key.clone()),
                None => Op::NoOp(node.key.clone()),
            },
        };
        ops.insert(&node.key, op);
    }

    // The ID a reference resolves to now, as far as the ledger knows.
    let current_id = |key: &NodeKey| {
        ledger
            .id_of(key)
            .or_else(|| ledger.external.get(key).map(String::as_str))
    };
    loop {
        let moves: BTreeSet<&NodeKey> = ops
            .iter()
            .filter(|(key, op)| match op {
                Op::Create(_) | Op::Replace(_) => true,
                Op::Update(_) => key.kind().is_some_and(|k| k.update_changes_id()),
                Op::Delete(_) | Op::NoOp(_) => false,
            })
            .map(|(key, _)| *key)
            .collect();
        let mut changed = false;
        for node in desired.values() {
            let Some(recorded) = ledger.children.get(&node.key) else {
                continue;
            };
            for link in node.spec.links() {
                let stale = recorded
                    .refs
                    .get(link.key)
                    .is_some_and(|id| current_id(link.key) != Some(id.as_str()));
                if !moves.contains(link.key) && !stale {
                    continue;
                }
                let op = ops.get_mut(&node.key);
                match (link.follow, op) {
                    (Follow::Replace, Some(op)) if !matches!(op, Op::Replace(_)) => {
                        *op = Op::Replace(node.key.clone());
                        causes.insert(&node.key, (link.key.to_string(), false));
                        changed = true;
                    }
                    (Follow::Update, Some(op)) if matches!(op, Op::NoOp(_)) => {
                        *op = Op::Update(node.key.clone());
                        changed = true;
                    }
                    _ => {}
                }
            }
        }
        if !changed {
            break;
        }
    }

    let data_replacements = ops
        .iter()
        .filter(|(key, op)| {
            matches!(op, Op::Replace(_)) && key.kind().is_some_and(|k| k.holds_data())
        })
        .map(|(key, _)| {
            let (cause, own_property) = causes.get(key).cloned().unwrap_or_default();
            DataReplacement {
                key: (*key).clone(),
                cause,
                own_property,
            }
        })
        .collect();
    let mut ops: Vec<Op> = ops.into_values().collect();
    ops.extend(
        ledger
            .children
            .keys()
            .filter(|k| !desired.contains_key(*k))
            .map(|k| Op::Delete(k.clone())),
    );
    ops.sort_by(|a, b| a.key().cmp(b.key()));
    Diff {
        ops,
        data_replacements,
    }
}

/// True when any operation does more than nothing.
pub fn has_changes(ops: &[Op]) -> bool {
    ops.iter().any(|op| !matches!(op, Op::NoOp(_)))
}

/// One line per operation, for golden tests and logs.
pub fn render_ops(ops: &[Op]) -> String {
    ops.iter()
        .map(|op| format!("{:<8} {}\n", op.verb(), op.key()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::ec2::internet_gateway::InternetGatewaySpec;
    use crate::aws::ec2::nat_gateway::NatGatewaySpec;
    use crate::aws::ec2::route::{RouteSpec, RouteTarget};
    use crate::aws::ec2::route_table::RouteTableSpec;
    use crate::aws::ec2::security_group::SecurityGroupSpec;
    use crate::aws::rds::db_instance::DbInstanceSpec;
    use crate::plan::ledger::Recorded;
    use crate::plan::node::{ChildSpec, Kind};

    fn key(kind: Kind) -> NodeKey {
        NodeKey::new(kind, &["x"])
    }

    fn nat(eip: &str) -> ChildSpec {
        ChildSpec::NatGateway(NatGatewaySpec {
            subnet: NodeKey::new(Kind::Subnet, &["public"]),
            eip: NodeKey::new(Kind::ElasticIp, &[eip]),
            internet_gateway: key(Kind::InternetGateway),
            tags: Default::default(),
        })
    }

    fn route() -> ChildSpec {
        ChildSpec::Route(RouteSpec {
            route_table: key(Kind::RouteTable),
            destination_cidr: "0.0.0.0/0".into(),
            target: RouteTarget::NatGateway(key(Kind::NatGateway)),
        })
    }

    fn graph(nodes: &[(NodeKey, ChildSpec)]) -> BTreeMap<NodeKey, Node> {
        nodes
            .iter()
            .map(|(k, s)| {
                (
                    k.clone(),
                    Node {
                        key: k.clone(),
                        spec: s.clone(),
                    },
                )
            })
            .collect()
    }

    fn record(ledger: &mut Ledger, key: &NodeKey, id: &str, spec: ChildSpec) {
        let refs = spec
            .references()
            .into_iter()
            .filter_map(|r| {
                let id = ledger
                    .id_of(r)
                    .or(ledger.external.get(r).map(String::as_str))?;
                Some((r.clone(), id.to_string()))
            })
            .collect();
        ledger.children.insert(
            key.clone(),
            Recorded {
                id: id.into(),
                observed: spec,
                refs,
            },
        );
    }

    fn table() -> ChildSpec {
        ChildSpec::RouteTable(RouteTableSpec {
            vpc: key(Kind::Vpc),
            tags: Default::default(),
        })
    }

    fn op_of(ops: &[Op], key: &NodeKey) -> Op {
        ops.iter().find(|op| op.key() == key).cloned().unwrap()
    }

    #[test]
    fn a_recreated_nat_gateway_updates_the_route_that_points_at_it() {
        let mut ledger = Ledger::new();
        record(&mut ledger, &key(Kind::RouteTable), "rtb-1", table());
        record(&mut ledger, &key(Kind::NatGateway), "nat-old", nat("a"));
        record(&mut ledger, &key(Kind::Route), "rtb-1|0.0.0.0/0", route());
        let desired = graph(&[
            (key(Kind::RouteTable), table()),
            (key(Kind::NatGateway), nat("a")),
            (key(Kind::Route), route()),
        ]);
        // Deleted out of band: the refresh dropped it; the route still names its old ID.
        ledger.children.remove(&key(Kind::NatGateway));
        let ops = diff(&desired, &ledger);
        assert_eq!(
            op_of(&ops, &key(Kind::NatGateway)),
            Op::Create(key(Kind::NatGateway))
        );
        assert_eq!(op_of(&ops, &key(Kind::Route)), Op::Update(key(Kind::Route)));

        // A run that recreated the gateway but stopped before the route: its recorded
        // reference is stale, so the next plan still updates the route.
        record(&mut ledger, &key(Kind::NatGateway), "nat-new", nat("a"));
        let ops = diff(&desired, &ledger);
        assert_eq!(
            op_of(&ops, &key(Kind::NatGateway)),
            Op::NoOp(key(Kind::NatGateway))
        );
        assert_eq!(op_of(&ops, &key(Kind::Route)), Op::Update(key(Kind::Route)));
    }

    #[test]
    fn replacement_travels_only_where_aws_cannot_update_in_place() {
        let mut ledger = Ledger::new();
        record(&mut ledger, &key(Kind::RouteTable), "rtb-1", table());
        record(&mut ledger, &key(Kind::NatGateway), "nat-1", nat("a"));
        record(&mut ledger, &key(Kind::Route), "rtb-1|0.0.0.0/0", route());
        let desired = graph(&[
            (key(Kind::RouteTable), table()),
            (key(Kind::NatGateway), nat("b")),
            (key(Kind::Route), route()),
        ]);
        let ops = diff(&desired, &ledger);
        assert_eq!(
            op_of(&ops, &key(Kind::NatGateway)),
            Op::Replace(key(Kind::NatGateway))
        );
        assert_eq!(
            op_of(&ops, &key(Kind::Route)),
            Op::Update(key(Kind::Route)),
            "ReplaceRoute points the route at the new gateway"
        );
    }

    fn group(name: &str) -> ChildSpec {
        ChildSpec::SecurityGroup(SecurityGroupSpec {
            vpc: key(Kind::Vpc),
            name: name.into(),
            description: "d".into(),
            tags: Default::default(),
        })
    }

    fn database(kms: Option<&str>) -> ChildSpec {
        ChildSpec::DbInstance(DbInstanceSpec {
            identifier: "db".into(),
            engine: "postgres".into(),
            engine_version: "17".into(),
            allow_major_version_upgrade: false,
            instance_class: "db.t4g.micro".into(),
            database_name: "app".into(),
            master_username: "admin".into(),
            subnet_group: key(Kind::DbSubnetGroup),
            security_groups: vec![key(Kind::SecurityGroup)],
            parameter_group: key(Kind::DbParameterGroup),
            multi_az: false,
            storage_type: "gp3".into(),
            allocated_gib: 20,
            max_allocated_gib: 0,
            iops: None,
            kms_key_arn: kms.map(str::to_string),
            backup_retention_days: 1,
            backup_window: None,
            maintenance_window: None,
            deletion_protection: false,
            final_snapshot: false,
            performance_insights: false,
            log_exports: vec![],
            apply_immediately: true,
            extended_support: false,
            tags: Default::default(),
        })
    }

    #[test]
    fn data_is_never_replaced_as_a_side_effect() {
        let mut ledger = Ledger::new();
        ledger
            .external
            .insert(key(Kind::DbSubnetGroup), "group".into());
        ledger
            .external
            .insert(key(Kind::DbParameterGroup), "params".into());
        record(&mut ledger, &key(Kind::SecurityGroup), "sg-1", group("a"));
        record(&mut ledger, &key(Kind::DbInstance), "db", database(None));
        // The group is replaced: the instance moves to the new one in place.
        let desired = graph(&[
            (key(Kind::SecurityGroup), group("b")),
            (key(Kind::DbInstance), database(None)),
        ]);
        let planned = super::plan(&desired, &ledger);
        assert_eq!(
            op_of(&planned.ops, &key(Kind::DbInstance)),
            Op::Update(key(Kind::DbInstance))
        );
        assert!(planned.data_replacements.is_empty());

        // Its subnet group gets a new ID: RDS cannot move an instance there in place, so the
        // plan reports the replacement instead of doing it quietly.
        ledger
            .external
            .insert(key(Kind::DbSubnetGroup), "other-group".into());
        let desired = graph(&[
            (key(Kind::SecurityGroup), group("a")),
            (key(Kind::DbInstance), database(None)),
        ]);
        let planned = super::plan(&desired, &ledger);
        assert_eq!(
            planned.data_replacements,
            vec![DataReplacement {
                key: key(Kind::DbInstance),
                cause: key(Kind::DbSubnetGroup).to_string(),
                own_property: false,
            }]
        );

        // Its own property that AWS cannot change: reported with the property.
        ledger
            .external
            .insert(key(Kind::DbSubnetGroup), "group".into());
        let desired = graph(&[
            (key(Kind::SecurityGroup), group("a")),
            (key(Kind::DbInstance), database(Some("arn:key"))),
        ]);
        let planned = super::plan(&desired, &ledger);
        assert_eq!(planned.data_replacements[0].cause, "kms_key_arn");
        assert!(planned.data_replacements[0].own_property);
    }

    #[test]
    fn an_ordering_reference_follows_nothing() {
        let gateway = || {
            ChildSpec::InternetGateway(InternetGatewaySpec {
                vpc: key(Kind::Vpc),
                tags: Default::default(),
            })
        };
        let mut ledger = Ledger::new();
        record(&mut ledger, &key(Kind::InternetGateway), "igw-1", gateway());
        record(&mut ledger, &key(Kind::NatGateway), "nat-1", nat("a"));
        ledger.children.remove(&key(Kind::InternetGateway));
        let desired = graph(&[
            (key(Kind::InternetGateway), gateway()),
            (key(Kind::NatGateway), nat("a")),
        ]);
        let ops = diff(&desired, &ledger);
        assert_eq!(
            op_of(&ops, &key(Kind::NatGateway)),
            Op::NoOp(key(Kind::NatGateway))
        );
    }
}
