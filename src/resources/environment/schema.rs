//! The `platform_environment` schema.

use crate::framework::plan_modifier::PlanModifier;
use crate::framework::schema::{Attribute, Block, Schema};
use crate::framework::validator::Validator;

/// Bump with a state upgrader when the schema changes incompatibly.
pub const SCHEMA_VERSION: i64 = 0;

pub const TIERS: &[&str] = &["dev", "staging", "prod"];
pub const NAT_MODES: &[&str] = &["none", "single", "per_az"];

pub fn schema() -> Schema {
    let subnet_newbits = Block::new("Bits added to the VPC prefix for each tier's subnets. Changing them replaces the environment.")
        .attribute(Attribute::number("public").optional().description("Default 8 (a /24 in a /16).").validate(Validator::IntBetween(1, 12)))
        .attribute(Attribute::number("private").optional().description("Default 4 (a /20 in a /16).").validate(Validator::IntBetween(1, 12)))
        .attribute(Attribute::number("data").optional().description("Default 8 (a /24 in a /16).").validate(Validator::IntBetween(1, 12)));
    let nat = Block::new("NAT gateways for the private tier's egress.").attribute(
        Attribute::string("mode")
            .optional()
            .description("`none`, `single` (one NAT in the first AZ) or `per_az`. Default by tier: dev and staging `single`, prod `per_az`.")
            .validate(Validator::OneOf(NAT_MODES)),
    );
    let network = Block::new("The VPC and its public, private and data subnet tiers.")
        .attribute(Attribute::string("cidr").optional().description("IPv4 CIDR of the VPC, /16 to /28. Default `10.0.0.0/16`. Changing it replaces the environment."))
        .attribute(Attribute::number("az_count").optional().description("Number of availability zones, 2 to 6. Default by tier: dev 2, staging 2, prod 3. Conflicts with `az_ids`.").validate(Validator::IntBetween(2, 6)))
        .attribute(Attribute::string_list("az_ids").optional().description("Explicit availability zones, by ID (`use1-az1`) or name (`us-east-1a`). Conflicts with `az_count`.").validate(Validator::UniqueElements))
        .single_block("subnet_newbits", subnet_newbits)
        .single_block("nat", nat);
    let timeouts = Block::new("How long each operation may take.")
        .attribute(
            Attribute::string("create")
                .optional()
                .description("Default `30m`."),
        )
        .attribute(
            Attribute::string("update")
                .optional()
                .description("Default `30m`."),
        )
        .attribute(
            Attribute::string("delete")
                .optional()
                .description("Default `30m`."),
        );

    let block = Block::new("One environment of an app platform: a VPC with public, private and data subnets in each availability zone, an internet gateway, NAT gateways and route tables. Every AWS object it creates carries ownership tags and is listed in `resources`.")
        .attribute(Attribute::string("id").computed().description("The environment's name.").modifier(PlanModifier::UseStateForUnknown))
        .attribute(Attribute::string("name").required().description("Environment name: 2–16 characters of `a-z`, `0-9` and `-`, starting with a letter. Changing it replaces the environment.").modifier(PlanModifier::RequiresReplace))
        .attribute(Attribute::string("tier").required().description("`dev`, `staging` or `prod`; sets every default (see the tier table).").validate(Validator::OneOf(TIERS)))
        .attribute(Attribute::string_map("tags").optional().description("Tags for every AWS object, merged over the provider's `default_tags`."))
        .single_block("network", network)
        .single_block("timeouts", timeouts)
        .attribute(Attribute::string("vpc_id").computed().description("ID of the VPC."))
        .attribute(Attribute::string("vpc_cidr").computed().description("CIDR of the VPC."))
        .attribute(Attribute::string_list("az_ids").computed().description("Availability zone IDs in use, in the order they joined."))
        .attribute(Attribute::string_list("public_subnet_ids").computed().description("Public subnet IDs, ordered by AZ ID."))
        .attribute(Attribute::string_list("private_subnet_ids").computed().description("Private subnet IDs, ordered by AZ ID."))
        .attribute(Attribute::string_list("data_subnet_ids").computed().description("Data subnet IDs, ordered by AZ ID."))
        .attribute(Attribute::string_map("subnet_ids_by_az").computed().description("Subnet IDs keyed `<tier>/<az-id>`."))
        .attribute(Attribute::string_map("subnet_cidrs_by_az").computed().description("Subnet CIDRs keyed `<tier>/<az-id>`, as the append-only allocator assigned them."))
        .attribute(Attribute::string("internet_gateway_id").computed().description("ID of the internet gateway."))
        .attribute(Attribute::string_list("nat_gateway_ids").computed().description("NAT gateway IDs, ordered by AZ ID."))
        .attribute(Attribute::string_list("nat_public_ips").computed().description("Public IPs of the NAT gateways, ordered by AZ ID: the environment's egress addresses."))
        .attribute(Attribute::string_map("resources").computed().description("Every AWS child: node key → AWS ID."))
        .attribute(Attribute::string_list("drift").computed().description("Changes made outside Terraform, found at the last refresh; the next apply restores them."))
        .attribute(Attribute::string_map("effective_config").computed().description("Every resolved setting, tier defaults included, with dotted keys."));
    Schema::new(SCHEMA_VERSION, block)
}

#[cfg(test)]
mod tests {
    use crate::framework::schema::check_schema;

    #[test]
    fn passes_terraform_schema_checks() {
        assert_eq!(check_schema(&super::schema()), Vec::<String>::new());
    }
}
