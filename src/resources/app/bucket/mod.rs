//! `platform_bucket`: an S3 bucket locked down by default.
//!
//! `schema.rs` holds its arguments and computed attributes, `model.rs` its typed
//! configuration and state and their checks (pure, no AWS), and `adapter.rs` the reads that
//! need AWS (built with the SDK only).

#[cfg(feature = "sdk")]
mod adapter;
pub mod model;
pub mod schema;

#[cfg(feature = "sdk")]
pub use adapter::{account_of, BucketResource};

use crate::framework::diag::Diagnostics;
use crate::framework::schema::Block;
use crate::framework::value::de::Unjudged;
use crate::resources::app::model::AppDefinition;
use model::BucketConfig;

pub struct Bucket;

impl AppDefinition for Bucket {
    type Config = BucketConfig;

    const TYPE_NAME: &'static str = "platform_bucket";
    const NOUN: &'static str = "bucket";

    fn block() -> Block {
        schema::arg_block()
    }

    fn validate(config: &BucketConfig, _unjudged: &Unjudged) -> Diagnostics {
        model::validate(config)
    }
}
