//! terraform-provider-platform: a Terraform provider whose resources expand into the AWS objects
//! an application platform needs.
//!
//! # Layout
//! - [`server`]: the protocol edge (handshake, TLS, gRPC services, prost conversion).
//! - [`framework`]: values, schemas, diagnostics and the resource trait; no AWS.
//! - [`plan`]: the pure engine (spec → child graph → operations).
//! - `apply`: the generic executor of operations, in dependency waves.
//! - `aws`: one module per AWS kind (find, create, update, delete, wait).
//! - `resources`: thin adapters from Terraform resources to plan and apply.
//! - [`catalog`]: schemas and validation by type name, without AWS.
//! - [`docs`]: registry docs rendered from the schemas, tier defaults and IAM action lists.

pub mod apply;
pub mod aws;
pub mod catalog;
pub mod docs;
pub mod framework;
pub mod plan;
pub mod provider;
pub mod resources;
#[cfg(feature = "sdk")]
pub mod server;
