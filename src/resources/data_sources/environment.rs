//! `data "platform_environment"`: an existing environment's outputs, looked up by name, for
//! stacks that attach services or plain `aws_*` resources to it.
//!
//! It reads exactly as import does (the environment's objects are found by their ownership
//! tags and its configuration recovered from the VPC), so the values equal the resource's.

use async_trait::async_trait;

use crate::framework::diag::{Diagnostic, Diagnostics};
use crate::framework::path::AttrPath;
use crate::framework::resource::{Ctx, DataSource};
use crate::framework::schema::{Attribute, Block, Schema};
use crate::framework::value::Value;
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
        match config.get("name").as_str() {
            Some(name) => crate::plan::spec::validate_name(name, &AttrPath::attrs(&["name"])),
            None => Diagnostics::new(),
        }
    }

    async fn read(&self, ctx: &Ctx, config: Value) -> (Value, Diagnostics) {
        let name = config.get("name").as_str().unwrap_or_default().to_string();
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
        let mut state = Value::Object(Default::default());
        state.set("name", Value::string(&name));
        for attr in computed_attributes() {
            let value = response.new_state.get(&attr.name).clone();
            // A data source must be wholly known; a tag map left unset reads as empty.
            let value = if value.is_null() && attr.name == "tags" {
                Value::string_map(Vec::<(String, String)>::new())
            } else {
                value
            };
            state.set(&attr.name, value);
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
    }
}
