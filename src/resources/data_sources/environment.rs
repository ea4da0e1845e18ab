//! `data "platform_environment"`: an existing environment's outputs, looked up by name, for
//! stacks that attach services or plain `aws_*` resources to it.
//!
//! It reads exactly as import does (the environment's objects are found by their ownership
//! tags and its configuration recovered from the VPC), so the values equal the resource's.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::framework::diag::{Diagnostic, Diagnostics};
use crate::framework::path::AttrPath;
use crate::framework::resource::{Ctx, DataSource};
use crate::framework::schema::{Attribute, Block, Schema};
use crate::framework::value::{de, ser, Value};
use crate::resources::configured::ConfiguredSlot;
use crate::resources::environment::{schema as environment_schema, EnvironmentResource};

/// Resource attributes the data source leaves out: inventory and plan bookkeeping.
const LEFT_OUT: &[&str] = &["resources", "drift"];

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

/// The data source's one argument.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
struct DataSourceConfig {
    name: Option<String>,
}

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

/// Every computed attribute of the resource, plus `tier` and `tags`, so the two never drift
/// apart.
fn computed_attributes() -> Vec<Attribute> {
    let resource = environment_schema::schema();
    let mut out = Vec::new();
    for attr in resource.block.attributes {
        if attr.name == "name" || LEFT_OUT.contains(&attr.name.as_str()) {
            continue;
        }
        if attr.computed || attr.name == "tier" || attr.name == "tags" {
            let mut computed = Attribute::of_type(&attr.name, attr.ty.clone()).computed();
            computed.description = attr.description.clone();
            out.push(computed);
        }
    }
    out
}

#[async_trait]
impl DataSource for EnvironmentDataSource {
    fn type_name(&self) -> &'static str {
        "platform_environment"
    }

    fn schema(&self) -> Schema {
        let mut block = Block::new("An existing environment's outputs, looked up by name: its network, security groups, cluster, log group, data subnet groups and load balancer.")
            .attribute(Attribute::string("name").required().description("Name of the environment."));
        for attr in computed_attributes() {
            block = block.attribute(attr);
        }
        Schema::new(0, block)
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        match de::from_known_part::<DataSourceConfig>(config) {
            Ok(read) => match read.value.name {
                Some(name) => crate::plan::spec::validate_name(&name, &AttrPath::attrs(&["name"])),
                None => Diagnostics::new(),
            },
            Err(e) => Diagnostic::from(e).into(),
        }
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
    use crate::framework::schema::check_schema;

    #[test]
    fn schema_passes_terraform_checks_and_mirrors_the_resource() {
        let source = EnvironmentDataSource::new(Default::default());
        let schema = source.schema();
        assert_eq!(check_schema(&schema), Vec::<String>::new());
        for name in [
            "vpc_id",
            "private_subnet_ids",
            "security_group_ids",
            "cluster_arn",
            "https_listener_arn",
            "tier",
        ] {
            let attr = schema
                .block
                .find_attribute(name)
                .unwrap_or_else(|| panic!("{name}"));
            assert!(attr.computed && !attr.optional && !attr.required, "{name}");
        }
        assert!(schema.block.find_attribute("resources").is_none());
        assert!(schema.block.blocks.is_empty());
        let ty = schema.value_type();
        assert_eq!(
            de::check_fields::<DataSourceConfig>(&ty),
            Vec::<String>::new()
        );
        assert_eq!(de::check_fields::<ResourceTags>(&ty), Vec::<String>::new());
    }
}
