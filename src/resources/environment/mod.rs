//! `platform_environment`: a VPC with its tiers, gateways, cluster and optional ingress.
//!
//! `schema.rs` holds its arguments and computed attributes, `model.rs` its typed configuration
//! and state and their checks, `written.rs` the configuration recovered at import (all pure,
//! no AWS), and, with the SDK, `adapter.rs` the resource Terraform calls.

pub mod model;
pub mod schema;
pub mod written;

#[cfg(feature = "sdk")]
mod adapter;

#[cfg(feature = "sdk")]
pub use adapter::EnvironmentResource;

use crate::framework::diag::Diagnostics;
use crate::framework::value::Value;

/// Validate: what the configuration alone decides, on what is known.
pub fn validate(config: &Value) -> Diagnostics {
    model::validate(config, &Default::default())
}
