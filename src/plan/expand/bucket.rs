//! Expansion of `platform_bucket`: the bucket with its settings, its policy, and with `cdn`
//! an origin access control and a CloudFront distribution the policy admits.

use std::collections::BTreeMap;

use crate::aws::cloudfront::distribution::DistributionSpec;
use crate::aws::cloudfront::origin_access_control::{ownership_marker, OriginAccessControlSpec};
use crate::aws::s3::bucket::{CorsRuleSpec, LifecycleSpec, S3BucketSpec};
use crate::aws::s3::bucket_policy::S3BucketPolicySpec;
use crate::plan::app::BucketSpec;
use crate::plan::node::{ChildSpec, Kind, Node, NodeKey};

use super::naming::child_tags;
use super::policy::partition;
use super::AppGraph;

pub fn bucket_key() -> NodeKey {
    NodeKey::new(Kind::Bucket, &["main"])
}
pub fn bucket_policy_key() -> NodeKey {
    NodeKey::new(Kind::BucketPolicy, &["main"])
}

pub fn origin_access_control_key() -> NodeKey {
    NodeKey::new(Kind::OriginAccessControl, &["main"])
}
pub fn distribution_key() -> NodeKey {
    NodeKey::new(Kind::Distribution, &["main"])
}

pub fn expand_bucket(spec: &BucketSpec) -> AppGraph {
    let key = bucket_key();
    let display = format!("{}-{}", spec.environment, spec.name);
    let bucket = S3BucketSpec {
        name: spec.bucket_name(),
        region: spec.region.clone(),
        kms_key_arn: spec.kms_key_arn.clone(),
        versioning: spec.versioning,
        lifecycle: Some(LifecycleSpec {
            noncurrent_days: spec.versioning.then_some(spec.noncurrent_days),
            abort_multipart_days: spec.abort_multipart_days,
        }),
        cors: spec
            .cors
            .iter()
            .map(|c| CorsRuleSpec {
                allowed_origins: c.allowed_origins.clone(),
                allowed_methods: c.allowed_methods.clone(),
            })
            .collect(),
        force_destroy: spec.force_destroy,
        locked_down: true,
        tags: child_tags(&spec.tags, &spec.owner(), &key, &display),
    };
    let mut nodes = BTreeMap::new();
    let mut add = |key: NodeKey, spec: ChildSpec| {
        nodes.insert(key.clone(), Node { key, spec });
    };
    let policy = S3BucketPolicySpec {
        bucket: key.clone(),
        partition: partition(&spec.region).to_string(),
        in_sync: true,
        distribution: spec.cdn.as_ref().map(|_| distribution_key()),
        account_id: spec
            .cdn
            .as_ref()
            .map(|_| spec.account_id.clone())
            .unwrap_or_default(),
    };
    if let Some(cdn) = &spec.cdn {
        let oac_key = origin_access_control_key();
        add(
            oac_key.clone(),
            ChildSpec::OriginAccessControl(OriginAccessControlSpec {
                // The bucket's name: at most 63 characters and unique, as CloudFront needs.
                name: spec.bucket_name(),
                description: ownership_marker(&spec.owner()),
                signs_always: true,
            }),
        );
        let distribution = distribution_key();
        add(
            distribution.clone(),
            ChildSpec::Distribution(DistributionSpec {
                bucket: key.clone(),
                region: spec.region.clone(),
                origin_access_control: oac_key,
                comment: display.clone(),
                aliases: cdn.aliases.clone(),
                certificate_arn: cdn.certificate_arn.clone(),
                price_class: cdn.price_class.clone(),
                default_ttl: cdn.default_ttl,
                enabled: true,
                fixed_settings: true,
                wait_for_deployment: cdn.wait_for_deployment,
                tags: child_tags(&spec.tags, &spec.owner(), &distribution, &display),
            }),
        );
    }
    add(bucket_policy_key(), ChildSpec::BucketPolicy(policy));
    add(key, ChildSpec::Bucket(bucket));
    AppGraph {
        nodes,
        external: BTreeMap::new(),
    }
}
