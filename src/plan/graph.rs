//! Dependency waves: which children can be worked on together.
//!
//! A wave holds nodes whose references are all satisfied by earlier waves (or lie outside the
//! set, meaning they already exist). Deletion runs the waves of the recorded graph in reverse.

use std::collections::{BTreeMap, BTreeSet};

use super::ledger::Ledger;
use super::node::{ChildSpec, NodeKey};

/// Topological layers of `nodes`, each sorted by key.
///
/// # Errors
/// The keys caught in a reference cycle (expansion never builds one).
pub fn waves(nodes: &BTreeMap<NodeKey, ChildSpec>) -> Result<Vec<Vec<NodeKey>>, Vec<NodeKey>> {
    let mut remaining: BTreeSet<&NodeKey> = nodes.keys().collect();
    let mut out = Vec::new();
    while !remaining.is_empty() {
        let wave: Vec<NodeKey> = remaining
            .iter()
            .filter(|key| {
                nodes[**key]
                    .references()
                    .iter()
                    .all(|r| !remaining.contains(r) || *r == **key)
            })
            .map(|k| (*k).clone())
            .collect();
        if wave.is_empty() {
            return Err(remaining.into_iter().cloned().collect());
        }
        for key in &wave {
            remaining.remove(key);
        }
        out.push(wave);
    }
    Ok(out)
}

/// Creation waves of a desired graph.
pub fn create_waves(
    nodes: &BTreeMap<NodeKey, super::node::Node>,
) -> Result<Vec<Vec<NodeKey>>, Vec<NodeKey>> {
    waves(
        &nodes
            .iter()
            .map(|(k, n)| (k.clone(), n.spec.clone()))
            .collect(),
    )
}

/// Deletion waves of recorded children: dependents first.
pub fn delete_waves(ledger: &Ledger) -> Result<Vec<Vec<NodeKey>>, Vec<NodeKey>> {
    let recorded = ledger
        .children
        .iter()
        .map(|(k, r)| (k.clone(), r.observed.clone()))
        .collect();
    let mut waves = waves(&recorded)?;
    waves.reverse();
    Ok(waves)
}

/// The number of dependency levels among recorded children: the longest reference chain, so
/// the fewest sequential steps an apply or destroy of them can take however wide it runs.
///
/// # Errors
/// The keys caught in a reference cycle.
pub fn critical_path_len(ledger: &Ledger) -> Result<usize, Vec<NodeKey>> {
    delete_waves(ledger).map(|waves| waves.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::ec2::route_table::RouteTableSpec;
    use crate::aws::ec2::vpc::VpcSpec;
    use crate::plan::node::Kind;

    fn vpc() -> ChildSpec {
        ChildSpec::Vpc(VpcSpec {
            cidr: "10.0.0.0/16".into(),
            enable_dns_support: true,
            enable_dns_hostnames: true,
            tags: Default::default(),
        })
    }

    fn table(vpc: &NodeKey) -> ChildSpec {
        ChildSpec::RouteTable(RouteTableSpec {
            vpc: vpc.clone(),
            tags: Default::default(),
        })
    }

    #[test]
    fn layers_follow_references() {
        let v = NodeKey::new(Kind::Vpc, &[]);
        let t = NodeKey::new(Kind::RouteTable, &["data"]);
        let nodes: BTreeMap<_, _> = [(v.clone(), vpc()), (t.clone(), table(&v))]
            .into_iter()
            .collect();
        assert_eq!(
            waves(&nodes).unwrap(),
            vec![vec![v.clone()], vec![t.clone()]]
        );
        // A reference outside the set is already satisfied.
        let only_table: BTreeMap<_, _> = [(t.clone(), table(&v))].into_iter().collect();
        assert_eq!(waves(&only_table).unwrap(), vec![vec![t]]);
    }

    #[test]
    fn critical_path_counts_levels_not_nodes() {
        use crate::plan::ledger::{Ledger, Recorded};
        let v = NodeKey::new(Kind::Vpc, &[]);
        let mut ledger = Ledger::new();
        assert_eq!(critical_path_len(&ledger), Ok(0));
        ledger.children.insert(
            v.clone(),
            Recorded {
                refs: Default::default(),
                id: "vpc-1".into(),
                observed: vpc(),
            },
        );
        // Three tables side by side add one level, however many there are.
        for name in ["a", "b", "c"] {
            ledger.children.insert(
                NodeKey::new(Kind::RouteTable, &[name]),
                Recorded {
                    refs: Default::default(),
                    id: format!("rtb-{name}"),
                    observed: table(&v),
                },
            );
        }
        assert_eq!(critical_path_len(&ledger), Ok(2));
        // A reference to an object outside the ledger (another resource's) adds no level.
        ledger.children.remove(&v);
        assert_eq!(critical_path_len(&ledger), Ok(1));
    }

    #[test]
    fn cycles_are_reported() {
        let a = NodeKey::new(Kind::RouteTable, &["a"]);
        let b = NodeKey::new(Kind::RouteTable, &["b"]);
        let nodes: BTreeMap<_, _> = [(a.clone(), table(&b)), (b.clone(), table(&a))]
            .into_iter()
            .collect();
        assert_eq!(waves(&nodes).unwrap_err(), vec![a, b]);
    }
}
