//! The `platform_bucket` arguments and computed attributes (the common ones are added by the
//! app adapter).

use crate::framework::schema::{Attribute, Block};
use crate::framework::validator::Validator;

pub fn arg_block() -> Block {
    let lifecycle = Block::new("Expiry rules. Default by tier (see below); the rule is always there.")
        .attribute(Attribute::number("noncurrent_days").optional().description("Days a version stays after it is overwritten or deleted (with versioning). Default by tier: dev 7, staging 30, prod 90.").validate(Validator::IntBetween(1, 36_500)))
        .attribute(Attribute::number("abort_multipart_days").optional().description("Days before an unfinished multipart upload is aborted and its parts deleted. Default 7.").validate(Validator::IntBetween(1, 36_500)));
    let cors = Block::new("One CORS rule: browsers on these origins may use these methods (any header, cached an hour).")
        .attribute(Attribute::string_list("allowed_origins").required().description("Origins such as `https://app.example.com`, or `*`."))
        .attribute(Attribute::string_list("allowed_methods").required().description("Of `GET`, `PUT`, `POST`, `DELETE`, `HEAD`."));
    Block::new("An S3 bucket `<environment>-<name>-<account id>-<region>`, always encrypted (SSE-S3, or SSE-KMS with a bucket key), with Block Public Access on, ACLs disabled (`BucketOwnerEnforced`) and a policy refusing requests without TLS; versioning and lifecycle by tier. Services reach it with `bucket_access`. S3 has no fixed price (it charges for storage and requests), so `estimated_monthly_cost_usd` is 0.")
        .attribute(Attribute::bool("versioning").optional().description("Keep every version of every object. Default by tier: dev false, staging and prod true. Turning it off suspends it (S3 cannot turn it off)."))
        .attribute(Attribute::string("kms_key_arn").optional().description("A KMS key for SSE-KMS (with an S3 bucket key); SSE-S3 when unset. Services given access get `kms:Decrypt` (and `kms:GenerateDataKey` to write) on it."))
        .attribute(Attribute::bool("force_destroy").optional().description("Destroy deletes every object version and delete marker first. Default false: destroying a bucket that holds objects fails, naming the bucket and how many it holds."))
        .single_block("lifecycle", lifecycle)
        .single_block("cors", cors)
        .attribute(Attribute::string("bucket_name").computed().description("Name of the bucket."))
        .attribute(Attribute::string("bucket_arn").computed().description("ARN of the bucket."))
        .attribute(Attribute::string("bucket_regional_domain_name").computed().description("`<bucket>.s3.<region>.amazonaws.com`."))
}
