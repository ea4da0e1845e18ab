//! `platform_bucket`: typed input and validation.

use crate::framework::diag::Diagnostics;
use crate::framework::path::AttrPath;
use crate::plan::node::Tags;

use super::validate_app_name;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsSpec {
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketSpec {
    pub environment: String,
    pub name: String,
    /// The account and region the bucket's name carries; empty while unknown (validate).
    pub account_id: String,
    pub region: String,
    pub versioning: bool,
    /// Days a noncurrent version is kept (with versioning).
    pub noncurrent_days: u32,
    pub abort_multipart_days: u32,
    pub cors: Vec<CorsSpec>,
    pub kms_key_arn: Option<String>,
    pub force_destroy: bool,
    pub tags: Tags,
}

impl BucketSpec {
    pub fn owner(&self) -> String {
        format!("bucket/{}/{}", self.environment, self.name)
    }

    /// `<environment>-<name>-<account id>-<region>`: S3 names are global.
    pub fn bucket_name(&self) -> String {
        bucket_name(
            &self.environment,
            &self.name,
            &self.account_id,
            &self.region,
        )
    }
}

pub fn bucket_name(environment: &str, name: &str, account_id: &str, region: &str) -> String {
    format!("{environment}-{name}-{account_id}-{region}")
}

/// S3 allows 63 characters in a bucket name.
pub const MAX_BUCKET_NAME: usize = 63;

const CORS_METHODS: &[&str] = &["GET", "PUT", "POST", "DELETE", "HEAD"];

pub fn validate_bucket(spec: &BucketSpec) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let at = |names: &[&str]| AttrPath::attrs(names);
    diags.extend(validate_app_name(&spec.name, &at(&["name"])));
    let name = spec.bucket_name();
    if !spec.account_id.is_empty() && name.len() > MAX_BUCKET_NAME {
        diags.error_at(
            at(&["name"]),
            "Bucket name too long",
            format!("the bucket's name {name:?} has {} characters; S3 allows {MAX_BUCKET_NAME}. Shorten the name (or the environment's) by {}.", name.len(), name.len() - MAX_BUCKET_NAME),
        );
    }
    if spec.versioning && spec.noncurrent_days == 0 {
        diags.error_at(
            at(&["lifecycle", "noncurrent_days"]),
            "Invalid lifecycle",
            "noncurrent_days must be at least 1.",
        );
    }
    if spec.abort_multipart_days == 0 {
        diags.error_at(
            at(&["lifecycle", "abort_multipart_days"]),
            "Invalid lifecycle",
            "abort_multipart_days must be at least 1.",
        );
    }
    for rule in &spec.cors {
        if rule.allowed_origins.is_empty() {
            diags.error_at(
                at(&["cors", "allowed_origins"]),
                "No origins",
                "a cors rule needs at least one origin (`*` for any).",
            );
        }
        for method in &rule.allowed_methods {
            if !CORS_METHODS.contains(&method.as_str()) {
                diags.error_at(
                    at(&["cors", "allowed_methods"]),
                    "Invalid method",
                    format!("{method:?} is not one of {}.", CORS_METHODS.join(", ")),
                );
            }
        }
    }
    if let Some(arn) = &spec.kms_key_arn {
        if !(arn.starts_with("arn:") && arn.contains(":kms:")) {
            diags.error_at(
                at(&["kms_key_arn"]),
                "Invalid KMS key ARN",
                format!("{arn:?} is not a KMS key ARN."),
            );
        }
    }
    diags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(env: &str, name: &str) -> BucketSpec {
        BucketSpec {
            environment: env.into(),
            name: name.into(),
            account_id: "123456789012".into(),
            region: "ap-southeast-2".into(),
            versioning: true,
            noncurrent_days: 30,
            abort_multipart_days: 7,
            cors: Vec::new(),
            kms_key_arn: None,
            force_destroy: false,
            tags: Tags::new(),
        }
    }

    #[test]
    fn the_name_limit_is_reported_on_name() {
        assert!(validate_bucket(&spec("prod", "assets")).is_empty());
        let long = spec("production-eu", "customer-uploads-v2-eu");
        let diags = validate_bucket(&long);
        assert_eq!(diags.0.len(), 1, "{diags:?}");
        assert_eq!(diags.0[0].summary, "Bucket name too long");
        assert_eq!(diags.0[0].path, Some(AttrPath::attrs(&["name"])));
        // Before the account is known (validate), the length is not judged.
        let unknown = BucketSpec {
            account_id: String::new(),
            ..long
        };
        assert!(validate_bucket(&unknown).is_empty());
    }
}
