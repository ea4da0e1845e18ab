//! S3 Bucket Policy; the ledger ID is the bucket's name.
//!
//! The provider's policy refuses every request made without TLS. It is a child of its own,
//! after the bucket, so that what it admits can be created before it names them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::expand::policy::canonical_json;
use crate::plan::node::{Node, NodeKey, Tags};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct S3BucketPolicySpec {
    pub bucket: NodeKey,
    /// `aws`, `aws-cn` or `aws-us-gov`: the bucket's ARN names it.
    pub partition: String,
    /// False when the live policy is not the provider's (edited out of band, or deleted).
    pub in_sync: bool,
    /// The CloudFront distribution admitted to read objects (a bucket's `cdn`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution: Option<NodeKey>,
    /// The account the distribution's ARN names.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub account_id: String,
}

impl KindSpec for S3BucketPolicySpec {
    const PREFIX: &'static str = "s3.bucket_policy";
    const DISPLAY_NAME: &'static str = "S3 Bucket Policy";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "s3:DeleteBucketPolicy",
        "s3:GetBucketPolicy",
        "s3:PutBucketPolicy",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        let mut references = vec![Reference::replace(&self.bucket)];
        references.extend(self.distribution.iter().map(Reference::update));
        references
    }

    fn tags(&self) -> Option<&Tags> {
        None
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[("bucket", self.bucket != d.bucket)])
    }

    fn hourly_charge(&self, _graph: &BTreeMap<NodeKey, Node>) -> Option<(&'static str, f64)> {
        None
    }
}

/// The provider's policy for bucket `name`: no request without TLS, and reads by exactly one
/// CloudFront distribution when `distribution_arn` is given.
pub fn bucket_policy(partition: &str, name: &str, distribution_arn: Option<&str>) -> String {
    let bucket = format!("arn:{partition}:s3:::{name}");
    let mut statements = vec![json!({
        "Sid": "DenyWithoutTls",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket.clone(), format!("{bucket}/*")],
        "Condition": { "Bool": { "aws:SecureTransport": "false" } }
    })];
    if let Some(arn) = distribution_arn {
        statements.push(json!({
            "Sid": "AllowCloudFrontDistribution",
            "Effect": "Allow",
            "Principal": { "Service": "cloudfront.amazonaws.com" },
            "Action": "s3:GetObject",
            "Resource": format!("{bucket}/*"),
            "Condition": { "StringEquals": { "AWS:SourceArn": arn } }
        }));
    }
    canonical_json(&json!({
        "Version": "2012-10-17",
        "Statement": statements
    }))
}

/// A distribution's ARN (CloudFront is global: no region).
pub fn distribution_arn(partition: &str, account_id: &str, id: &str) -> String {
    format!("arn:{partition}:cloudfront::{account_id}:distribution/{id}")
}

impl S3BucketPolicySpec {
    /// The policy for bucket `name`, the distribution (if any) given by its ID.
    pub fn document(&self, name: &str, distribution_id: Option<&str>) -> String {
        let arn = distribution_id.map(|id| distribution_arn(&self.partition, &self.account_id, id));
        bucket_policy(&self.partition, name, arn.as_deref())
    }
}

#[cfg(feature = "sdk")]
mod sdk {
    use super::*;
    use crate::aws::error::{classify, is_code, none_if_not_found, AwsError};
    use crate::aws::kind::{AwsKind, Cx};
    use crate::aws::sqs::queue::same_policy;

    impl AwsKind for S3BucketPolicySpec {
        /// A policy has no identity beyond its bucket: found when the bucket has the provider's.
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            let Ok(name) = cx.ids.id(&spec.bucket) else {
                return Ok(None);
            };
            let expected = spec.document(name, known_distribution_id(cx, spec));
            Ok(read_policy(cx, name)
                .await?
                .filter(|live| same_policy(live, &expected))
                .map(|_| name.to_string()))
        }

        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            let live = read_policy(cx, id).await?;
            // A distribution without an ID yet (being replaced) cannot match: out of sync.
            let expected = current.document(id, known_distribution_id(cx, current));
            Ok(Some(Self {
                in_sync: live.is_some_and(|live| same_policy(&live, &expected)),
                ..current.clone()
            }))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            let name = cx
                .ids
                .id(&spec.bucket)
                .map_err(|e| AwsError::unexpected(e.message))?;
            put_policy(cx, name, spec).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            _current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            put_policy(cx, id, desired).await
        }

        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            match cx
                .clients
                .s3
                .delete_bucket_policy()
                .bucket(id)
                .send()
                .await
                .map_err(classify)
            {
                Err(e) if is_code(&e, "NoSuchBucket") => Ok(()),
                other => none_if_not_found(other).map(|_| ()),
            }
        }
    }

    /// The bucket's policy; `None` when it has none or is gone.
    async fn read_policy(cx: &Cx<'_>, name: &str) -> Result<Option<String>, AwsError> {
        match cx
            .clients
            .s3
            .get_bucket_policy()
            .bucket(name)
            .send()
            .await
            .map_err(classify)
        {
            Err(e) if is_code(&e, "NoSuchBucketPolicy") || is_code(&e, "NoSuchBucket") => Ok(None),
            other => Ok(none_if_not_found(other)?.and_then(|out| out.policy().map(str::to_string))),
        }
    }

    /// The distribution's ID when recorded (a policy naming another one is out of sync).
    fn known_distribution_id<'a>(cx: &Cx<'a>, spec: &S3BucketPolicySpec) -> Option<&'a str> {
        spec.distribution
            .as_ref()
            .and_then(|key| cx.ids.id(key).ok())
    }

    /// The ID of the distribution the spec admits; `None` without one. Its ID must be known
    /// (the distribution comes first).
    fn distribution_id<'a>(
        cx: &Cx<'a>,
        spec: &S3BucketPolicySpec,
    ) -> Result<Option<&'a str>, AwsError> {
        spec.distribution
            .as_ref()
            .map(|key| cx.ids.id(key).map_err(|e| AwsError::unexpected(e.message)))
            .transpose()
    }

    async fn put_policy(
        cx: &Cx<'_>,
        name: &str,
        spec: &S3BucketPolicySpec,
    ) -> Result<String, AwsError> {
        cx.clients
            .s3
            .put_bucket_policy()
            .bucket(name)
            .policy(spec.document(name, distribution_id(cx, spec)?))
            .send()
            .await
            .map_err(classify)?;
        Ok(name.to_string())
    }
}
