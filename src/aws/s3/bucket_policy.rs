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
        vec![Reference::replace(&self.bucket)]
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

/// The provider's policy for bucket `name`: no request without TLS.
pub fn bucket_policy(partition: &str, name: &str) -> String {
    let bucket = format!("arn:{partition}:s3:::{name}");
    canonical_json(&json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyWithoutTls",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket.clone(), format!("{bucket}/*")],
            "Condition": { "Bool": { "aws:SecureTransport": "false" } }
        }]
    }))
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
            Ok(read_policy(cx, name)
                .await?
                .filter(|live| same_policy(live, &bucket_policy(&spec.partition, name)))
                .map(|_| name.to_string()))
        }

        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            let live = read_policy(cx, id).await?;
            Ok(Some(Self {
                in_sync: live
                    .is_some_and(|live| same_policy(&live, &bucket_policy(&current.partition, id))),
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

    async fn put_policy(
        cx: &Cx<'_>,
        name: &str,
        spec: &S3BucketPolicySpec,
    ) -> Result<String, AwsError> {
        cx.clients
            .s3
            .put_bucket_policy()
            .bucket(name)
            .policy(bucket_policy(&spec.partition, name))
            .send()
            .await
            .map_err(classify)?;
        Ok(name.to_string())
    }
}
