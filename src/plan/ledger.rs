//! The ledger: what exists in AWS for one resource, as last recorded.
//!
//! Carried in the resource's private bytes (with the observed spec of each child) and, as a
//! plain `node key → AWS ID` map, in the visible `resources` attribute. Wholly known: a child
//! that was never created is absent, never unknown.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::node::{ChildSpec, NodeKey};

/// Bumped when expansion changes the graph for an unchanged spec (ADR 0002).
pub const EXPANDER_VERSION: u32 = 1;

/// One child as it exists in AWS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    /// The AWS identifier (`vpc-…`, `subnet-…`, `eipalloc-…`; routes use `<rtb-id>|<cidr>`).
    pub id: String,
    /// The child's properties as last observed or applied, references as node keys.
    pub observed: ChildSpec,
    /// The AWS IDs its references had when it was last applied or observed. A referenced
    /// child that since got a new ID (recreated after it vanished, replaced) no longer matches,
    /// and the planner points this child at the new one.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub refs: BTreeMap<NodeKey, String>,
}

impl Recorded {
    /// A record without reference IDs (tests, and records whose references are unknown).
    pub fn new(id: impl Into<String>, observed: ChildSpec) -> Recorded {
        Recorded {
            id: id.into(),
            observed,
            refs: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    pub expander_version: u32,
    pub children: BTreeMap<NodeKey, Recorded>,
    /// AZ IDs in the order they joined the environment; shrinking drops from the end.
    #[serde(default)]
    pub az_order: Vec<String>,
    /// Objects of other resources this one refers to (an environment's VPC, subnets, cluster,
    /// listener; a database's security group), by the node keys their owner gives them.
    /// Resolved for references, never created, observed or deleted.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub external: BTreeMap<NodeKey, String>,
}

impl Default for Ledger {
    fn default() -> Ledger {
        Ledger::new()
    }
}

impl Ledger {
    pub fn new() -> Ledger {
        Ledger {
            expander_version: EXPANDER_VERSION,
            children: BTreeMap::new(),
            az_order: Vec::new(),
            external: BTreeMap::new(),
        }
    }

    pub fn id_of(&self, key: &NodeKey) -> Option<&str> {
        self.children.get(key).map(|r| r.id.as_str())
    }

    /// The node key recorded for an AWS ID, for turning observed references back into keys.
    pub fn key_of_id(&self, id: &str) -> Option<&NodeKey> {
        self.children
            .iter()
            .find(|(_, r)| r.id == id)
            .map(|(k, _)| k)
    }

    /// The visible `resources` map.
    pub fn ids(&self) -> BTreeMap<String, String> {
        self.children
            .iter()
            .map(|(k, r)| (k.to_string(), r.id.clone()))
            .collect()
    }

    /// Serialized form for private bytes.
    pub fn to_private(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads private bytes; empty or foreign bytes give `None`.
    pub fn from_private(bytes: &[u8]) -> Option<Ledger> {
        if bytes.is_empty() {
            return None;
        }
        serde_json::from_slice(bytes).ok()
    }
}
