//! Expansion: from a spec to the graph of AWS children it needs.

pub mod cache;
pub mod cidr;
pub mod database;
pub mod environment;
pub mod naming;
pub mod policy;
pub mod service;
