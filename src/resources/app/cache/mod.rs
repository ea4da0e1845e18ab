//! `platform_cache`: an ElastiCache Valkey or Redis replication group on the data tier.
//!
//! `schema.rs` holds its arguments and computed attributes, `model.rs` its typed
//! configuration and state and their checks (pure, no AWS), and `adapter.rs` the reads that
//! need AWS (built with the SDK only).

#[cfg(feature = "sdk")]
mod adapter;
pub mod model;
pub mod schema;

#[cfg(feature = "sdk")]
pub use adapter::CacheResource;

use crate::framework::diag::Diagnostics;
use crate::framework::schema::Block;
use crate::framework::value::de::Unjudged;
use crate::resources::app::model::AppDefinition;
use model::CacheConfig;

pub struct Cache;

impl AppDefinition for Cache {
    type Config = CacheConfig;

    const TYPE_NAME: &'static str = "platform_cache";
    const NOUN: &'static str = "cache";

    fn block() -> Block {
        schema::arg_block()
    }

    fn validate(config: &CacheConfig, unjudged: &Unjudged) -> Diagnostics {
        model::validate(config, unjudged)
    }
}
