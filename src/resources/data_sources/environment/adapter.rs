//! The data source Terraform calls: it reads as the environment resource's import does.

use async_trait::async_trait;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{computed_attributes, schema, validate, DataSourceConfig};
use crate::framework::diag::{Diagnostic, Diagnostics};
use crate::framework::path::AttrPath;
use crate::framework::resource::{Ctx, DataSource};
use crate::framework::schema::Schema;
use crate::framework::value::{de, ser, Value};
use crate::resources::configured::ConfiguredSlot;
use crate::resources::environment::EnvironmentResource;

/// The environment resource's tags, as its state holds them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
struct ResourceTags {
    tags: Option<BTreeMap<String, String>>,
}

/// What the data source sets itself; every other attribute is the resource's.
#[derive(Debug, Serialize)]
struct LookedUp<'a> {
    name: &'a str,
    /// A data source must be wholly known: a tag map left unset reads as empty.
    tags: BTreeMap<String, String>,
}

pub struct EnvironmentDataSource {
    resource: EnvironmentResource,
}

impl EnvironmentDataSource {
    pub fn new(configured: ConfiguredSlot) -> EnvironmentDataSource {
        EnvironmentDataSource {
            resource: EnvironmentResource::new(configured),
        }
    }
}

#[async_trait]
impl DataSource for EnvironmentDataSource {
    fn type_name(&self) -> &'static str {
        "platform_environment"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        validate(config)
    }

    async fn read(&self, ctx: &Ctx, config: Value) -> (Value, Diagnostics) {
        let name = match de::from_value::<DataSourceConfig>(&config) {
            Ok(config) => config.name.unwrap_or_default(),
            Err(e) => return (Value::Null, Diagnostic::from(e).into()),
        };
        let response = self.resource.read_by_name(ctx, &name).await;
        let mut diags = response.diagnostics;
        if diags.has_errors() {
            return (Value::Null, diags);
        }
        if response.new_state.is_null() {
            diags.push(
                Diagnostic::error(
                    "Environment not found",
                    format!("No environment named {name:?} exists in this account and region (no VPC carries platform:owner = environment/{name})."),
                )
                .at(AttrPath::attrs(&["name"])),
            );
            return (Value::Null, diags);
        }
        let tags = match de::from_value::<ResourceTags>(&response.new_state) {
            Ok(read) => read.tags.unwrap_or_default(),
            Err(e) => {
                diags.push(e.into());
                return (Value::Null, diags);
            }
        };
        let looked_up = LookedUp { name: &name, tags };
        let mut state = match ser::to_value(&looked_up, &self.schema().value_type()) {
            Ok(state) => state,
            Err(e) => {
                diags.push(Diagnostic::error(
                    "Building the environment data source",
                    format!("The provider could not write the state ({e}); this is a bug."),
                ));
                return (Value::Null, diags);
            }
        };
        // The rest mirrors the resource's state, attribute by attribute of the shared schema.
        for attr in computed_attributes() {
            if state.get(&attr.name).is_null() {
                state.set(&attr.name, response.new_state.get(&attr.name).clone());
            }
        }
        (state, diags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tags_model_matches_the_schema() {
        let ty = schema().value_type();
        assert_eq!(de::check_fields::<ResourceTags>(&ty), Vec::<String>::new());
    }
}
