//! `data "platform_environment"`: an existing environment's outputs, looked up by name, for
//! stacks that attach services or plain `aws_*` resources to it.
//!
//! It reads exactly as import does (the environment's objects are found by their ownership
//! tags and its configuration recovered from the VPC), so the values equal the resource's.

use serde::Deserialize;

#[cfg(feature = "sdk")]
mod adapter;

#[cfg(feature = "sdk")]
pub use adapter::EnvironmentDataSource;

use crate::framework::diag::{Diagnostic, Diagnostics};
use crate::framework::path::AttrPath;
use crate::framework::schema::{Attribute, Block, Schema};
use crate::framework::value::{de, Value};
use crate::resources::environment::schema as environment_schema;

/// Resource attributes the data source leaves out: inventory and plan bookkeeping.
const LEFT_OUT: &[&str] = &["resources", "drift"];

/// The data source's one argument.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
struct DataSourceConfig {
    name: Option<String>,
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

/// The data source's schema: the name and the resource's outputs.
pub fn schema() -> Schema {
    let mut block = Block::new("An existing environment's outputs, looked up by name: its network, security groups, cluster, log group, data subnet groups and load balancer.")
        .attribute(Attribute::string("name").required().description("Name of the environment."));
    for attr in computed_attributes() {
        block = block.attribute(attr);
    }
    Schema::new(0, block)
}

/// Validate: the name, when known.
pub fn validate(config: &Value) -> Diagnostics {
    match de::from_known_part::<DataSourceConfig>(config) {
        Ok(read) => match read.value.name {
            Some(name) => crate::plan::spec::validate_name(&name, &AttrPath::attrs(&["name"])),
            None => Diagnostics::new(),
        },
        Err(e) => Diagnostic::from(e).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::schema::check_schema;

    #[test]
    fn schema_passes_terraform_checks_and_mirrors_the_resource() {
        let schema = schema();
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
    }
}
