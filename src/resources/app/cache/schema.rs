//! The `platform_cache` arguments and computed attributes (the common ones are added by the
//! app adapter).

use crate::framework::plan_modifier::PlanModifier;
use crate::framework::schema::{Attribute, Block};
use crate::framework::validator::Validator;

const ENGINES: &[&str] = &["valkey", "redis"];

pub fn arg_block() -> Block {
    Block::new("An ElastiCache Valkey or Redis replication group on the environment's data tier, encrypted in transit and at rest, with an auth token kept only in Secrets Manager and a connection secret holding `REDIS_URL` for services.")
        .attribute(Attribute::string("engine").optional().description("`valkey` (default) or `redis`. redis → valkey upgrades in place; valkey → redis replaces the cache.").validate(Validator::OneOf(ENGINES)))
        .attribute(Attribute::string("engine_version").optional().description("Major version: valkey 7 or 8 (default 8), redis 6 or 7. Minor upgrades by AWS are not drift."))
        .attribute(Attribute::string("node_type").optional().description("Checked against the provider's catalogue. Default by tier: dev cache.t4g.micro, staging cache.t4g.small, prod cache.m7g.large."))
        .attribute(Attribute::number("replicas").optional().description("Read replicas, 0–5. Default by tier: dev 0, staging 1, prod 2.").validate(Validator::IntBetween(0, 5)))
        .attribute(Attribute::bool("multi_az").optional().description("Multi-AZ with automatic failover; needs replicas >= 1. Default by tier: prod true, else false."))
        .attribute(Attribute::string("kms_key_arn").optional().description("KMS key for encryption at rest; the AWS-managed key when unset. Changing it replaces the cache.").modifier(PlanModifier::RequiresReplace))
        .attribute(Attribute::number("snapshot_retention_days").optional().description("Days of automatic snapshots, 0–35. Default by tier: dev 0, staging 1, prod 7.").validate(Validator::IntBetween(0, 35)))
        .attribute(Attribute::string("snapshot_window").optional().description("Daily UTC window, e.g. `03:00-04:00`."))
        .attribute(Attribute::bool("final_snapshot").optional().description("Destroy takes a final snapshot with a unique timestamped name. Default by tier: dev false, staging and prod true."))
        .attribute(Attribute::string("maintenance_window").optional().description("Weekly UTC window, e.g. `sun:05:00-sun:06:00`."))
        .attribute(Attribute::string("replication_group_id").computed().description("ID of the replication group."))
        .attribute(Attribute::string("primary_endpoint").computed().description("Host name of the primary."))
        .attribute(Attribute::string("reader_endpoint").computed().description("Host name spreading reads over the replicas."))
        .attribute(Attribute::number("port").computed().description("Port (6379)."))
        .attribute(Attribute::string("engine_version_actual").computed().description("The full engine version running."))
        .attribute(Attribute::string("connection_secret_arn").computed().description("ARN of the connection secret (JSON `url` as `rediss://…`, `host`, `port`, `auth_token`)."))
        .attribute(Attribute::string("security_group_id").computed().description("ID of the cache's security group (6379 only from services given access)."))
}
