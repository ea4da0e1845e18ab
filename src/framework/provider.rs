//! The provider trait the protocol edge serves.

use std::sync::Arc;

use async_trait::async_trait;

use super::diag::Diagnostics;
use super::resource::{DataSource, Resource};
use super::schema::Schema;
use super::value::Value;

#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// Schema of the `provider` block.
    fn schema(&self) -> Schema;

    fn resources(&self) -> Vec<Arc<dyn Resource>>;

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>>;

    /// Validates the provider block; values may be unknown.
    fn validate(&self, config: &Value) -> Diagnostics;

    /// Configures clients. Config may hold unknowns at plan time.
    async fn configure(&self, terraform_version: &str, config: &Value) -> Diagnostics;
}
