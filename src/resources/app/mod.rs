//! The app-layer resources (`platform_service`, `platform_database`, `platform_cache`).
//!
//! Each kind is a directory: `schema.rs` (its arguments and computed attributes), `model.rs`
//! (typed configuration and state, configuration → spec, validation; pure, no AWS) and, with
//! the SDK, `adapter.rs` (its [`AppKind`] implementation: the plan-time AWS reads and live
//! facts). What all three share sits here: `schema.rs`, `model.rs` (with [`model::AppDefinition`],
//! what Terraform checks without AWS) and `adapter.rs`, the generic adapter.

pub mod bucket;
pub mod cache;
pub mod database;
pub mod model;
pub mod queue;
pub mod schema;
pub mod service;
#[cfg(feature = "sdk")]
pub mod targets;
pub mod topic;

#[cfg(feature = "sdk")]
mod adapter;

#[cfg(feature = "sdk")]
pub use adapter::{AppKind, AppResource, DeferredGroup, Mode, Prepared};
