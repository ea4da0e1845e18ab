//! Expansion of `platform_bucket`: the bucket with its settings, and its policy.

use std::collections::BTreeMap;

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
    let policy_key = bucket_policy_key();
    let policy = S3BucketPolicySpec {
        bucket: key.clone(),
        partition: partition(&spec.region).to_string(),
        in_sync: true,
    };
    let nodes = BTreeMap::from([
        (
            key.clone(),
            Node {
                key,
                spec: ChildSpec::Bucket(bucket),
            },
        ),
        (
            policy_key.clone(),
            Node {
                key: policy_key,
                spec: ChildSpec::BucketPolicy(policy),
            },
        ),
    ]);
    AppGraph {
        nodes,
        external: BTreeMap::new(),
    }
}
