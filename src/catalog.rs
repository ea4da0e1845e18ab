//! What Terraform can check without AWS, by type name: the provider block's, each resource's
//! and each data source's schema and validation. The adapters serve exactly these (a test in
//! `provider` holds them to it); docs and fuzzing read them without the SDK.

use crate::framework::diag::Diagnostics;
use crate::framework::schema::Schema;
use crate::framework::value::Value;
use crate::provider::block;
use crate::resources::app::bucket::Bucket;
use crate::resources::app::cache::Cache;
use crate::resources::app::database::Database;
use crate::resources::app::model::{schema_of, validate_of, AppDefinition};
use crate::resources::app::queue::Queue;
use crate::resources::app::service::Service;
use crate::resources::app::topic::Topic;
use crate::resources::{data_sources, environment};

/// One resource or data source type, or the provider block.
#[derive(Clone, Copy)]
pub struct Definition {
    pub type_name: &'static str,
    pub schema: fn() -> Schema,
    /// Validate's checks beyond the schema's, on what is known.
    pub validate: fn(&Value) -> Diagnostics,
}

/// The `provider "platform"` block.
pub fn provider() -> Definition {
    Definition {
        type_name: "platform",
        schema: block::schema,
        validate: block::validate,
    }
}

fn app<K: AppDefinition>() -> Definition {
    Definition {
        type_name: K::TYPE_NAME,
        schema: schema_of::<K>,
        validate: validate_of::<K>,
    }
}

/// The resources, in the order the provider serves them.
pub fn resources() -> Vec<Definition> {
    vec![
        Definition {
            type_name: "platform_environment",
            schema: environment::schema::schema,
            validate: environment::validate,
        },
        app::<Service>(),
        app::<Database>(),
        app::<Cache>(),
        app::<Queue>(),
        app::<Topic>(),
        app::<Bucket>(),
    ]
}

/// The data sources, in the order the provider serves them.
pub fn data_sources() -> Vec<Definition> {
    vec![Definition {
        type_name: "platform_environment",
        schema: data_sources::environment::schema,
        validate: data_sources::environment::validate,
    }]
}
