//! The provider Terraform talks to: the block's schema and checks (`block`), the resources it
//! serves, and configure, which hands the typed block to `resources::configured`.

use std::sync::Arc;

use async_trait::async_trait;

use super::block;
use crate::framework::diag::{Diagnostic, Diagnostics};
use crate::framework::provider::Provider;
use crate::framework::resource::{read_errors, DataSource, Resource};
use crate::framework::schema::Schema;
use crate::framework::value::de;
use crate::framework::value::Value;
use crate::resources;
use crate::resources::configured::{Configured, ConfiguredSlot};
use crate::resources::provider_config::ProviderConfig;

pub struct PlatformProvider {
    configured: ConfiguredSlot,
}

impl PlatformProvider {
    pub fn new() -> PlatformProvider {
        PlatformProvider {
            configured: ConfiguredSlot::default(),
        }
    }
}

impl Default for PlatformProvider {
    fn default() -> Self {
        PlatformProvider::new()
    }
}

#[async_trait]
impl Provider for PlatformProvider {
    fn schema(&self) -> Schema {
        block::schema()
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![
            Arc::new(resources::environment::EnvironmentResource::new(
                self.configured.clone(),
            )),
            Arc::new(resources::app::service::ServiceResource::new(
                self.configured.clone(),
            )),
            Arc::new(resources::app::database::DatabaseResource::new(
                self.configured.clone(),
            )),
            Arc::new(resources::app::cache::CacheResource::new(
                self.configured.clone(),
            )),
            Arc::new(resources::app::queue::QueueResource::new(
                self.configured.clone(),
            )),
            Arc::new(resources::app::topic::TopicResource::new(
                self.configured.clone(),
            )),
            Arc::new(resources::app::bucket::BucketResource::new(
                self.configured.clone(),
            )),
        ]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![Arc::new(
            resources::data_sources::environment::EnvironmentDataSource::new(
                self.configured.clone(),
            ),
        )]
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        block::validate(config)
    }

    async fn configure(&self, _terraform_version: &str, config: &Value) -> Diagnostics {
        // A setting unknown at configure counts as unset.
        let read = match de::from_known_part::<ProviderConfig>(config) {
            Ok(read) => read,
            Err(e) => return Diagnostic::from(e).into(),
        };
        let mut diags = read_errors(&block::schema().block, config, read.errors);
        if diags.has_errors() {
            return diags;
        }
        match Configured::connect(&read.value).await {
            Ok(configured) => self.configured.set(configured),
            Err(d) => diags.push(d),
        }
        diags
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;

    /// The resources served are the catalog's, with the catalog's schemas.
    #[test]
    fn serves_the_catalog() {
        let provider = PlatformProvider::new();
        let served: Vec<String> = provider
            .resources()
            .iter()
            .map(|r| format!("{} {:?}", r.type_name(), r.schema()))
            .collect();
        let listed: Vec<String> = catalog::resources()
            .iter()
            .map(|d| format!("{} {:?}", d.type_name, (d.schema)()))
            .collect();
        assert_eq!(served, listed);
        let served: Vec<String> = provider
            .data_sources()
            .iter()
            .map(|d| format!("{} {:?}", d.type_name(), d.schema()))
            .collect();
        let listed: Vec<String> = catalog::data_sources()
            .iter()
            .map(|d| format!("{} {:?}", d.type_name, (d.schema)()))
            .collect();
        assert_eq!(served, listed);
    }
}
