//! The pure engine: resolves tiers, expands a spec into a graph of AWS children and diffs it
//! against the ledger. No I/O, no clocks, no randomness: the same input gives the same output.

pub mod app;
pub mod cost;
pub mod diff;
pub mod expand;
pub mod graph;
pub mod ledger;
pub mod node;
pub mod policy;
pub mod spec;
pub mod tiers;
