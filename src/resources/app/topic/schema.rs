//! The `platform_topic` arguments and computed attributes (the common ones are added by the
//! app adapter).

use crate::framework::plan_modifier::PlanModifier;
use crate::framework::schema::{Attribute, Block};

pub fn arg_block() -> Block {
    Block::new("An SNS topic `<environment>-<name>`, encrypted at rest. Queues subscribe to it with `subscribe_to`; services publish with `publish_to`. SNS has no fixed price (it charges per request and delivery), so `estimated_monthly_cost_usd` is 0.")
        .attribute(Attribute::bool("fifo").optional().description("A FIFO topic (`.fifo` is appended to the name). Default false. Changing it replaces the topic.").modifier(PlanModifier::RequiresReplace))
        .attribute(Attribute::bool("content_based_deduplication").optional().description("FIFO only: deduplicate by a hash of the body. Default false."))
        .attribute(Attribute::string("kms_key_arn").optional().description("A KMS key for encryption at rest; the AWS managed key `alias/aws/sns` when unset."))
        .attribute(Attribute::string("topic_arn").computed().description("ARN of the topic."))
        .attribute(Attribute::string("topic_name").computed().description("Name of the topic, `<environment>-<name>` (`.fifo` for FIFO)."))
}
