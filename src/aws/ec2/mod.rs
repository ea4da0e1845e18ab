//! EC2 kinds: one module each, with the same sections in the same order: constants, find,
//! wait, create (adopting first), update, delete (absence is success), flatten.

pub mod elastic_ip;
pub mod flow_log;
pub mod internet_gateway;
pub mod nat_gateway;
pub mod network_interface;
pub mod route;
pub mod route_table;
pub mod route_table_association;
pub mod security_group;
pub mod security_group_rule;
pub mod subnet;
pub mod vpc;
pub mod vpc_endpoint;

use crate::apply::IdMap;
use crate::plan::node::{Kind, NodeKey};

/// The node key of a referenced AWS ID; IDs we do not manage get an `external` key, which
/// never equals a desired reference and so shows up as a change.
pub fn key_of(ids: &IdMap, kind: Kind, id: &str) -> NodeKey {
    ids.key_of(id)
        .cloned()
        .unwrap_or_else(|| NodeKey::new(kind, &["external", id]))
}
