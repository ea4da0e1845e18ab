//! `platform_database`: RDS PostgreSQL on an environment's data tier.
//!
//! `schema.rs` holds its arguments and computed attributes, `model.rs` its typed
//! configuration and state and their checks (pure, no AWS), and `adapter.rs` the reads that
//! need AWS (built with the SDK only).

#[cfg(feature = "sdk")]
mod adapter;
pub mod model;
pub mod schema;

#[cfg(feature = "sdk")]
pub use adapter::DatabaseResource;

use crate::framework::diag::Diagnostics;
use crate::framework::schema::Block;
use crate::framework::value::de::Unjudged;
use crate::resources::app::model::AppDefinition;
use model::DatabaseConfig;

pub struct Database;

impl AppDefinition for Database {
    type Config = DatabaseConfig;

    const TYPE_NAME: &'static str = "platform_database";
    const NOUN: &'static str = "database";

    fn block() -> Block {
        schema::arg_block()
    }

    fn validate(config: &DatabaseConfig, unjudged: &Unjudged) -> Diagnostics {
        model::validate(config, unjudged)
    }
}
