//! The `platform_queue` arguments and computed attributes (the common ones are added by the
//! app adapter).

use crate::framework::plan_modifier::PlanModifier;
use crate::framework::schema::{Attribute, Block};
use crate::framework::validator::Validator;

pub fn arg_block() -> Block {
    let dead_letter = Block::new("The dead-letter queue `<environment>-<name>-dlq`, always made: messages received `max_receives` times without being deleted move there and are kept 14 days.")
        .attribute(Attribute::number("max_receives").optional().description("Receives before a message moves to the dead-letter queue, 1–1000. Default 5.").validate(Validator::IntBetween(1, 1000)));
    Block::new("An SQS queue `<environment>-<name>` encrypted at rest, refusing requests without TLS, with a dead-letter queue, and optionally subscribed to topics of its environment. SQS has no fixed price (it charges per request), so `estimated_monthly_cost_usd` is 0.")
        .attribute(Attribute::bool("fifo").optional().description("A FIFO queue (`.fifo` is appended to both names). Default false. Changing it replaces the queue.").modifier(PlanModifier::RequiresReplace))
        .attribute(Attribute::bool("content_based_deduplication").optional().description("FIFO only: deduplicate by a hash of the body. Default false."))
        .attribute(Attribute::number("visibility_timeout").optional().description("Seconds a received message stays hidden from other consumers, 0–43200. Default 30.").validate(Validator::IntBetween(0, 43_200)))
        .attribute(Attribute::number("retention_days").optional().description("Days a message is kept, 1–14. Default by tier: dev 4, staging 7, prod 14.").validate(Validator::IntBetween(1, 14)))
        .attribute(Attribute::string("kms_key_arn").optional().description("A KMS key for encryption at rest (SSE-KMS); SQS managed keys (SSE-SQS) when unset. Services given access also get `kms:Decrypt`/`kms:GenerateDataKey` on it."))
        .attribute(Attribute::string_list("subscribe_to").optional().description("`platform_topic` IDs of the same environment: a subscription with raw delivery for each, and a queue policy admitting exactly those topics.").validate(Validator::UniqueElements))
        .single_block("dead_letter", dead_letter)
        .attribute(Attribute::string("queue_url").computed().description("URL of the queue (what SDKs take)."))
        .attribute(Attribute::string("queue_arn").computed().description("ARN of the queue."))
        .attribute(Attribute::string("queue_name").computed().description("Name of the queue, `<environment>-<name>` (`.fifo` for FIFO)."))
        .attribute(Attribute::string("dead_letter_queue_url").computed().description("URL of the dead-letter queue."))
        .attribute(Attribute::string("dead_letter_queue_arn").computed().description("ARN of the dead-letter queue."))
}
