//! The schema every app resource shares: its identity, tags, timeouts and the computed
//! attributes the generic adapter fills.

use crate::framework::plan_modifier::PlanModifier;
use crate::framework::schema::{Attribute, Block};
use crate::framework::value::Type;

/// The arguments and computed attributes every app resource has.
pub fn common_block(block: Block, noun: &str) -> Block {
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
    block
        .attribute(Attribute::string("id").computed().description(&format!("`<environment>/<name>`: the {noun}'s ID, also used for import.")).modifier(PlanModifier::UseStateForUnknown))
        .attribute(Attribute::string("environment_id").required().description("The environment's `id` (its name). Changing it replaces the resource.").modifier(PlanModifier::RequiresReplace))
        .attribute(Attribute::string("name").required().description("1–24 characters of `a-z`, `0-9` and `-`, starting with a letter. Changing it replaces the resource.").modifier(PlanModifier::RequiresReplace))
        .attribute(Attribute::string_map("tags").optional().description("Tags for every AWS object, merged over the provider's `default_tags`."))
        .single_block("timeouts", timeouts)
        .attribute(Attribute::number("estimated_monthly_cost_usd").computed().description("Estimated fixed monthly cost in USD from us-east-1 list prices kept in the provider; usage-based charges are not included, except a service's scheduled tasks: the runs a month each `schedule` makes (exact for a rate, averaged from the cron fields), each priced as a Fargate task of the service's size running 5 minutes."))
        .attribute(Attribute::of_type("cost_breakdown", Type::map(Type::Number)).computed().description("The estimate by component, in USD per month (a service's `schedule` runs under `scheduled_tasks`)."))
        .attribute(Attribute::string_map("resources").computed().description("Every AWS child: node key → AWS ID."))
        .attribute(Attribute::string_list("drift").computed().description("Changes made outside Terraform, found at the last refresh; the next apply restores them."))
        .attribute(Attribute::string_map("effective_config").computed().description("Every resolved setting, tier defaults included, with dotted keys."))
}
