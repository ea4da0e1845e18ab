//! Expansion: from a spec to the graph of AWS children it needs.

pub mod cidr;
pub mod environment;
pub mod naming;
pub mod policy;
