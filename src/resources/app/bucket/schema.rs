//! The `platform_bucket` arguments and computed attributes (the common ones are added by the
//! app adapter).

use crate::framework::schema::{Attribute, Block};
use crate::framework::validator::Validator;
use crate::plan::app::PRICE_CLASSES;

pub fn arg_block() -> Block {
    let lifecycle = Block::new("Expiry rules. Default by tier (see below); the rule is always there.")
        .attribute(Attribute::number("noncurrent_days").optional().description("Days a version stays after it is overwritten or deleted (with versioning). Default by tier: dev 7, staging 30, prod 90.").validate(Validator::IntBetween(1, 36_500)))
        .attribute(Attribute::number("abort_multipart_days").optional().description("Days before an unfinished multipart upload is aborted and its parts deleted. Default 7.").validate(Validator::IntBetween(1, 36_500)));
    let cors = Block::new("One CORS rule: browsers on these origins may use these methods (any header, cached an hour).")
        .attribute(Attribute::string_list("allowed_origins").required().description("Origins such as `https://app.example.com`, or `*`."))
        .attribute(Attribute::string_list("allowed_methods").required().description("Of `GET`, `PUT`, `POST`, `DELETE`, `HEAD`."));
    let cdn = Block::new("A CloudFront distribution in front of the bucket. The bucket stays private: CloudFront signs its requests with an origin access control (SigV4, always) and the bucket policy admits exactly this distribution, for `s3:GetObject`. Viewers are redirected to HTTPS; compression, HTTP/2, HTTP/3 and IPv6 are on. CloudFront has no fixed price (it charges for requests and data transfer, by price class), so it adds nothing to `estimated_monthly_cost_usd`. With an SSE-KMS bucket, the key's policy must let `cloudfront.amazonaws.com` decrypt for this distribution.")
        .attribute(Attribute::string_list("aliases").optional().description("Domain names the distribution answers to (such as `cdn.example.com`), at most 100. They need `certificate_arn`; point each name at `cdn_domain_name` in DNS."))
        .attribute(Attribute::string("certificate_arn").optional().description("An ACM certificate in us-east-1 (CloudFront's region for certificates) covering every alias; the plan checks both. Served by SNI, TLS 1.2 or later."))
        .attribute(Attribute::string("price_class").optional().description("Which edge locations serve it: `PriceClass_100` (North America, Europe; the default and cheapest), `PriceClass_200` (adds most of Asia, the Middle East and Africa) or `PriceClass_All`.").validate(Validator::OneOf(PRICE_CLASSES)))
        .attribute(Attribute::number("default_ttl").optional().description("Seconds CloudFront keeps an object when its response names no caching time (0 to 31,536,000). Unset: the managed CachingOptimized policy (a day by default, up to a year).").validate(Validator::IntBetween(0, 31_536_000)))
        .attribute(Attribute::bool("wait_for_deployment").optional().description("Create and update wait until CloudFront reports the distribution `Deployed` to every edge location (often several minutes). Default true. Destroy always waits: CloudFront deletes only a disabled, deployed distribution."));
    Block::new("An S3 bucket `<environment>-<name>-<account id>-<region>`, always encrypted (SSE-S3, or SSE-KMS with a bucket key), with Block Public Access on, ACLs disabled (`BucketOwnerEnforced`) and a policy refusing requests without TLS; versioning and lifecycle by tier. Services reach it with `bucket_access`. S3 has no fixed price (it charges for storage and requests), so `estimated_monthly_cost_usd` is 0.")
        .attribute(Attribute::bool("versioning").optional().description("Keep every version of every object. Default by tier: dev false, staging and prod true. Turning it off suspends it (S3 cannot turn it off)."))
        .attribute(Attribute::string("kms_key_arn").optional().description("A KMS key for SSE-KMS (with an S3 bucket key); SSE-S3 when unset. Services given access get `kms:Decrypt` (and `kms:GenerateDataKey` to write) on it."))
        .attribute(Attribute::bool("force_destroy").optional().description("Destroy deletes every object version and delete marker first. Default false: destroying a bucket that holds objects fails, naming the bucket and how many it holds."))
        .single_block("lifecycle", lifecycle)
        .single_block("cors", cors)
        .single_block("cdn", cdn)
        .attribute(Attribute::string("bucket_name").computed().description("Name of the bucket."))
        .attribute(Attribute::string("bucket_arn").computed().description("ARN of the bucket."))
        .attribute(Attribute::string("bucket_regional_domain_name").computed().description("`<bucket>.s3.<region>.amazonaws.com`."))
        .attribute(Attribute::string("cdn_domain_name").computed().description("The distribution's domain name (`d….cloudfront.net`), the target of the aliases' DNS records; empty without `cdn`."))
        .attribute(Attribute::string("cdn_distribution_id").computed().description("The distribution's ID (for invalidations); empty without `cdn`."))
        .attribute(Attribute::string("url").computed().description("`https://` and the first alias, or the distribution's domain name; empty without `cdn`."))
}
