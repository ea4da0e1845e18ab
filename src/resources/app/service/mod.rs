//! `platform_service`: an ECS Fargate service in an environment's private tier.
//!
//! `schema.rs` holds its arguments and computed attributes, `model.rs` its typed
//! configuration and state and their checks (pure, no AWS), and `adapter.rs` the reads that
//! need AWS (built with the SDK only).

#[cfg(feature = "sdk")]
mod adapter;
pub mod model;
pub mod schema;

#[cfg(feature = "sdk")]
pub use adapter::ServiceResource;

use crate::framework::diag::Diagnostics;
use crate::framework::schema::Block;
use crate::framework::value::de::Unjudged;
use crate::resources::app::model::AppDefinition;
use model::ServiceConfig;

pub struct Service;

impl AppDefinition for Service {
    type Config = ServiceConfig;

    const TYPE_NAME: &'static str = "platform_service";
    const NOUN: &'static str = "service";

    fn block() -> Block {
        schema::arg_block()
    }

    fn validate(config: &ServiceConfig, unjudged: &Unjudged) -> Diagnostics {
        model::validate(config, unjudged)
    }
}
