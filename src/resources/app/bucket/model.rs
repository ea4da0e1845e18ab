//! `platform_bucket`'s typed configuration and state, configuration → `BucketSpec` with the
//! tier's defaults, validation, and the configuration an import recovers. Pure: no AWS calls.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::framework::diag::Diagnostics;
use crate::framework::value::Planned;
use crate::plan::app::{
    validate_bucket, BucketSpec, CdnSpec, CorsSpec, EnvironmentFacts, DEFAULT_PRICE_CLASS,
};
use crate::plan::expand::bucket as expand;
use crate::plan::ledger::Ledger;
use crate::plan::node::ChildSpec;
use crate::plan::tiers::BucketDefaults;
use crate::resources::app::model::placeholder_env;
use crate::resources::tags::merged_tags;
use crate::resources::timeouts::Timeouts;

/// `platform_bucket`'s arguments as written, the common ones included.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketConfig {
    pub environment_id: Option<String>,
    pub name: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
    pub timeouts: Option<Timeouts>,
    pub versioning: Option<bool>,
    pub kms_key_arn: Option<String>,
    pub force_destroy: Option<bool>,
    pub lifecycle: Option<LifecycleConfig>,
    pub cors: Option<CorsConfig>,
    pub cdn: Option<CdnConfig>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CdnConfig {
    pub aliases: Option<Vec<String>>,
    pub certificate_arn: Option<String>,
    pub price_class: Option<String>,
    pub default_ttl: Option<u32>,
    pub wait_for_deployment: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleConfig {
    pub noncurrent_days: Option<u32>,
    pub abort_multipart_days: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorsConfig {
    pub allowed_origins: Option<Vec<String>>,
    pub allowed_methods: Option<Vec<String>>,
}

/// What a prior state records of the bucket: CloudFront's domain name, known once made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct BucketPrior {
    pub cdn_domain_name: Option<String>,
}

/// `platform_bucket`'s computed attributes: all known at plan, from the name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BucketComputed {
    pub bucket_name: String,
    pub bucket_arn: String,
    pub bucket_regional_domain_name: String,
    /// Empty without `cdn`.
    pub cdn_domain_name: Planned<String>,
    pub cdn_distribution_id: Planned<String>,
    /// `https://` and the first alias, or CloudFront's domain name; empty without `cdn`.
    pub url: Planned<String>,
}

/// Reads the configuration with the environment's tier defaults, for the account given
/// (empty while unknown).
pub fn spec_of(
    config: &BucketConfig,
    env: &EnvironmentFacts,
    account_id: &str,
    default_tags: &BTreeMap<String, String>,
) -> BucketSpec {
    let d = BucketDefaults::for_tier(env.tier);
    let lifecycle = config.lifecycle.clone().unwrap_or_default();
    BucketSpec {
        environment: env.name.clone(),
        name: config.name.clone().unwrap_or_default(),
        account_id: account_id.to_string(),
        region: env.region.clone(),
        versioning: config.versioning.unwrap_or(d.versioning),
        noncurrent_days: lifecycle.noncurrent_days.unwrap_or(d.noncurrent_days),
        abort_multipart_days: lifecycle
            .abort_multipart_days
            .unwrap_or(d.abort_multipart_days),
        cors: config
            .cors
            .iter()
            .map(|c| CorsSpec {
                allowed_origins: c.allowed_origins.clone().unwrap_or_default(),
                allowed_methods: c.allowed_methods.clone().unwrap_or_default(),
            })
            .collect(),
        kms_key_arn: config.kms_key_arn.clone(),
        force_destroy: config.force_destroy.unwrap_or(false),
        cdn: config.cdn.as_ref().map(cdn_spec),
        tags: merged_tags(default_tags, config.tags.as_ref()),
    }
}

pub fn cdn_spec(config: &CdnConfig) -> CdnSpec {
    let mut aliases = config.aliases.clone().unwrap_or_default();
    aliases.sort();
    aliases.dedup();
    CdnSpec {
        aliases,
        certificate_arn: config.certificate_arn.clone(),
        price_class: config
            .price_class
            .clone()
            .unwrap_or_else(|| DEFAULT_PRICE_CLASS.to_string()),
        default_ttl: config.default_ttl,
        wait_for_deployment: config.wait_for_deployment.unwrap_or(true),
    }
}

/// ValidateResourceConfig's own checks (the name's length waits for the account, at plan).
pub fn validate(config: &BucketConfig) -> Diagnostics {
    let env = placeholder_env(config.environment_id.as_deref().unwrap_or_default());
    validate_bucket(&spec_of(config, &env, "", &BTreeMap::new()))
}

pub fn effective_config(spec: &BucketSpec) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        out.insert(k.to_string(), v);
    };
    put("versioning", spec.versioning.to_string());
    put(
        "lifecycle.noncurrent_days",
        spec.noncurrent_days.to_string(),
    );
    put(
        "lifecycle.abort_multipart_days",
        spec.abort_multipart_days.to_string(),
    );
    put(
        "encryption",
        if spec.kms_key_arn.is_some() {
            "SSE-KMS"
        } else {
            "SSE-S3"
        }
        .to_string(),
    );
    put("block_public_access", "true".to_string());
    put("object_ownership", "BucketOwnerEnforced".to_string());
    put("tls_only", "true".to_string());
    put("force_destroy", spec.force_destroy.to_string());
    if let Some(cdn) = &spec.cdn {
        put("cdn.price_class", cdn.price_class.clone());
        put(
            "cdn.cache",
            match cdn.default_ttl {
                Some(ttl) => format!("default TTL {ttl} s"),
                None => "managed CachingOptimized policy".to_string(),
            },
        );
        put("cdn.viewer_protocol", "redirect-to-https".to_string());
        put("cdn.http_version", "http2and3".to_string());
        put(
            "cdn.origin_access",
            "origin access control (sigv4, always)".to_string(),
        );
        put(
            "cdn.wait_for_deployment",
            cdn.wait_for_deployment.to_string(),
        );
    }
    out
}

/// The arguments an imported bucket shows, where they differ from the defaults.
pub fn imported_config(ledger: &Ledger, env: &EnvironmentFacts, config: &mut BucketConfig) {
    let d = BucketDefaults::for_tier(env.tier);
    let Some(ChildSpec::Bucket(bucket)) = ledger
        .children
        .get(&expand::bucket_key())
        .map(|r| &r.observed)
    else {
        return;
    };
    if bucket.versioning != d.versioning {
        config.versioning = Some(bucket.versioning);
    }
    config.kms_key_arn = bucket.kms_key_arn.clone();
    if let Some(lifecycle) = &bucket.lifecycle {
        let noncurrent = lifecycle
            .noncurrent_days
            .filter(|days| bucket.versioning && *days != d.noncurrent_days);
        let abort =
            Some(lifecycle.abort_multipart_days).filter(|days| *days != d.abort_multipart_days);
        if noncurrent.is_some() || abort.is_some() {
            config.lifecycle = Some(LifecycleConfig {
                noncurrent_days: noncurrent,
                abort_multipart_days: abort,
            });
        }
    }
    if let Some(ChildSpec::Distribution(cdn)) = ledger
        .children
        .get(&expand::distribution_key())
        .map(|r| &r.observed)
    {
        config.cdn = Some(CdnConfig {
            aliases: (!cdn.aliases.is_empty()).then(|| cdn.aliases.clone()),
            certificate_arn: cdn.certificate_arn.clone(),
            price_class: (cdn.price_class != DEFAULT_PRICE_CLASS).then(|| cdn.price_class.clone()),
            default_ttl: cdn.default_ttl,
            wait_for_deployment: None,
        });
    }
    if let Some(rule) = bucket.cors.first() {
        config.cors = Some(CorsConfig {
            allowed_origins: Some(rule.allowed_origins.clone()),
            allowed_methods: Some(rule.allowed_methods.clone()),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::schema::Schema;
    use crate::framework::value::de;
    use crate::resources::app::bucket::schema::arg_block;
    use crate::resources::app::schema::common_block;

    #[test]
    fn the_model_matches_the_schema() {
        let ty = Schema::new(0, common_block(arg_block(), "bucket")).value_type();
        assert_eq!(de::check_fields::<BucketConfig>(&ty), Vec::<String>::new());
        assert_eq!(de::check_fields::<BucketPrior>(&ty), Vec::<String>::new());
    }
}
