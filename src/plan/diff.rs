//! Diffing the desired graph against the ledger into operations.

use std::collections::{BTreeMap, BTreeSet};

use super::ledger::Ledger;
use super::node::{Node, NodeKey};

/// What apply does to one child.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Op {
    Create(NodeKey),
    Update(NodeKey),
    /// Delete the recorded object, then create a new one.
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

/// Operations turning the ledger into the desired graph, sorted by key.
///
/// Replacement propagates: a child that references a replaced one embeds its old AWS ID, so it
/// is replaced too.
pub fn diff(desired: &BTreeMap<NodeKey, Node>, ledger: &Ledger) -> Vec<Op> {
    let mut replaced: BTreeSet<NodeKey> = desired
        .values()
        .filter(|n| {
            ledger
                .children
                .get(&n.key)
                .is_some_and(|r| r.observed.replaced_by(&n.spec).is_some())
        })
        .map(|n| n.key.clone())
        .collect();
    loop {
        let more: Vec<NodeKey> = desired
            .values()
            .filter(|n| !replaced.contains(&n.key) && ledger.children.contains_key(&n.key))
            .filter(|n| n.spec.references().iter().any(|r| replaced.contains(*r)))
            .map(|n| n.key.clone())
            .collect();
        if more.is_empty() {
            break;
        }
        replaced.extend(more);
    }
    // A child whose update yields a new AWS ID (a task definition revision) makes the children
    // referring to it update too, so they move to the new ID.
    let mut moved: BTreeSet<NodeKey> = desired
        .values()
        .filter(|n| n.spec.kind().update_changes_id())
        .filter(|n| {
            ledger
                .children
                .get(&n.key)
                .is_some_and(|r| r.observed != n.spec)
        })
        .map(|n| n.key.clone())
        .collect();
    moved.retain(|k| !replaced.contains(k));
    let mut ops: Vec<Op> = desired
        .values()
        .map(|n| match ledger.children.get(&n.key) {
            None => Op::Create(n.key.clone()),
            Some(_) if replaced.contains(&n.key) => Op::Replace(n.key.clone()),
            Some(r)
                if r.observed == n.spec
                    && !n.spec.references().iter().any(|r| moved.contains(*r)) =>
            {
                Op::NoOp(n.key.clone())
            }
            Some(_) => Op::Update(n.key.clone()),
        })
        .collect();
    ops.extend(
        ledger
            .children
            .keys()
            .filter(|k| !desired.contains_key(*k))
            .map(|k| Op::Delete(k.clone())),
    );
    ops.sort_by(|a, b| a.key().cmp(b.key()));
    ops
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
