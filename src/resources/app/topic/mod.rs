//! `platform_topic`: an SNS topic, encrypted at rest.
//!
//! `schema.rs` holds its arguments and computed attributes, `model.rs` its typed
//! configuration and state and their checks (pure, no AWS), and `adapter.rs` the reads that
//! need AWS (built with the SDK only).

#[cfg(feature = "sdk")]
mod adapter;
pub mod model;
pub mod schema;

#[cfg(feature = "sdk")]
pub use adapter::TopicResource;

use crate::framework::diag::Diagnostics;
use crate::framework::schema::Block;
use crate::framework::value::de::Unjudged;
use crate::resources::app::model::AppDefinition;
use model::TopicConfig;

pub struct Topic;

impl AppDefinition for Topic {
    type Config = TopicConfig;

    const TYPE_NAME: &'static str = "platform_topic";
    const NOUN: &'static str = "topic";

    fn block() -> Block {
        schema::arg_block()
    }

    fn validate(config: &TopicConfig, _unjudged: &Unjudged) -> Diagnostics {
        model::validate(config)
    }
}
