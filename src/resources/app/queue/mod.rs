//! `platform_queue`: an SQS queue with its dead-letter queue, optionally subscribed to topics.
//!
//! `schema.rs` holds its arguments and computed attributes, `model.rs` its typed
//! configuration and state and their checks (pure, no AWS), and `adapter.rs` the reads that
//! need AWS (built with the SDK only).

#[cfg(feature = "sdk")]
mod adapter;
pub mod model;
pub mod schema;

#[cfg(feature = "sdk")]
pub use adapter::QueueResource;

use crate::framework::diag::Diagnostics;
use crate::framework::schema::Block;
use crate::framework::value::de::Unjudged;
use crate::resources::app::model::AppDefinition;
use model::QueueConfig;

pub struct Queue;

impl AppDefinition for Queue {
    type Config = QueueConfig;

    const TYPE_NAME: &'static str = "platform_queue";
    const NOUN: &'static str = "queue";

    fn block() -> Block {
        schema::arg_block()
    }

    fn validate(config: &QueueConfig, unjudged: &Unjudged) -> Diagnostics {
        model::validate(config, unjudged)
    }
}
