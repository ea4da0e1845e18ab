//! Expansion: from a spec to the graph of AWS children it needs.

pub mod bucket;
pub mod cache;
pub mod cidr;
pub mod database;
pub mod environment;
pub mod messaging;
pub mod naming;
pub mod policy;
pub mod service;

use std::collections::BTreeMap;

use crate::plan::node::{Node, NodeKey};

/// The children of a service, database or cache, and the objects of other resources (its
/// environment's, a database's group) they refer to: node key → AWS ID, for the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppGraph {
    pub nodes: BTreeMap<NodeKey, Node>,
    pub external: BTreeMap<NodeKey, String>,
}
