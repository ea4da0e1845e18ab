//! S3 Bucket with everything set on the bucket itself; the ledger ID is its name.
//!
//! Always: default encryption (SSE-S3, or SSE-KMS with a bucket key), Block Public Access on
//! all four settings, object ownership `BucketOwnerEnforced` (no ACLs) and a bucket policy
//! refusing requests without TLS (`s3.bucket_policy`, a child of its own because a CDN's
//! distribution must exist before the policy can name it). From the spec: versioning, a
//! lifecycle rule, CORS, tags. S3 has no batch describe: observe reads each setting of each
//! bucket, one call per setting.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{Node, NodeKey, Tags};

/// Expiry of noncurrent versions and of abandoned multipart uploads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleSpec {
    /// `None`: noncurrent versions are kept (or there are none, without versioning).
    pub noncurrent_days: Option<u32>,
    pub abort_multipart_days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorsRuleSpec {
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct S3BucketSpec {
    pub name: String,
    /// Where the bucket is made (its LocationConstraint).
    pub region: String,
    /// `None`: SSE-S3.
    pub kms_key_arn: Option<String>,
    pub versioning: bool,
    pub lifecycle: Option<LifecycleSpec>,
    pub cors: Vec<CorsRuleSpec>,
    /// Destroy empties the bucket first (every version and delete marker).
    pub force_destroy: bool,
    /// Block Public Access fully on and ownership `BucketOwnerEnforced`; false when the live
    /// bucket differs, so the next apply restores them.
    pub locked_down: bool,
    pub tags: Tags,
}

impl KindSpec for S3BucketSpec {
    const PREFIX: &'static str = "s3.bucket";
    const DISPLAY_NAME: &'static str = "S3 Bucket";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "s3:CreateBucket",
        "s3:DeleteBucket",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "s3:GetBucketCORS",
        "s3:GetBucketOwnershipControls",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketTagging",
        "s3:GetBucketVersioning",
        "s3:GetEncryptionConfiguration",
        "s3:GetLifecycleConfiguration",
        "s3:ListBucket",
        "s3:ListBucketVersions",
        "s3:PutBucketCORS",
        "s3:PutBucketOwnershipControls",
        "s3:PutBucketPublicAccessBlock",
        "s3:PutBucketTagging",
        "s3:PutBucketVersioning",
        "s3:PutEncryptionConfiguration",
        "s3:PutLifecycleConfiguration",
    ];

    /// DeleteObjects of object versions (emptying a bucket with `force_destroy`) is checked
    /// as `s3:DeleteObjectVersion`.
    const INDIRECT_IAM_ACTIONS: &'static [&'static str] = &["s3:DeleteObjectVersion"];

    fn references(&self) -> Vec<Reference<'_>> {
        vec![]
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[
            ("name", self.name != d.name),
            ("region", self.region != d.region),
        ])
    }

    /// Priced by storage and requests only.
    fn hourly_charge(&self, _graph: &BTreeMap<NodeKey, Node>) -> Option<(&'static str, f64)> {
        None
    }

    /// A bucket holds the data it was made for.
    const HOLDS_DATA: bool = true;
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use aws_sdk_s3::types::{
        AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketLocationConstraint,
        BucketVersioningStatus, CorsConfiguration, CorsRule, CreateBucketConfiguration, Delete,
        ExpirationStatus, LifecycleRule, LifecycleRuleFilter, NoncurrentVersionExpiration,
        ObjectIdentifier, ObjectOwnership, OwnershipControls, OwnershipControlsRule,
        PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
        ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging,
    };
    use aws_sdk_s3::Client;

    use super::*;
    use crate::aws::common::ownership::{adopt_or_create, owned_by, Found};
    use crate::aws::error::{classify, is_code, none_if_not_found, AwsError};
    use crate::aws::kind::{AwsKind, Cx};

    impl AwsKind for S3BucketSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            Ok(read_bucket(&cx.clients.s3, &spec.name)
                .await?
                .filter(|found| owned_by(&found.tags, &spec.tags))
                .map(|found| found.id))
        }

        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            Ok(read_bucket(&cx.clients.s3, id).await?.map(|found| Self {
                // What S3 cannot say back: the region it was asked for and the destroy mode.
                region: current.region.clone(),
                force_destroy: current.force_destroy,
                ..found.current
            }))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            let client = &cx.clients.s3;
            adopt_or_create(
                "S3 bucket",
                &spec.name,
                &spec.tags,
                &[BUCKET_ALREADY_OWNED],
                || adoptable_bucket(client, spec),
                |found| async move { update_bucket(client, &found.id, &found.current, spec).await },
                || create_new_bucket(client, spec),
            )
            .await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_bucket(&cx.clients.s3, id, current, desired).await
        }

        async fn delete(cx: &Cx<'_>, id: &str, current: &Self) -> Result<(), AwsError> {
            delete_bucket(&cx.clients.s3, id, current.force_destroy).await
        }
    }

    // constants

    const BUCKET_ALREADY_OWNED: &str = "BucketAlreadyOwnedByYou";
    const NOT_FOUND: &[&str] = &[
        "NoSuchBucket",
        "NotFound",
        "NoSuchTagSet",
        "NoSuchLifecycleConfiguration",
        "NoSuchCORSConfiguration",
        "ServerSideEncryptionConfigurationNotFoundError",
        "NoSuchPublicAccessBlockConfiguration",
        "OwnershipControlsNotFoundError",
    ];
    /// The one lifecycle rule the provider writes.
    const LIFECYCLE_RULE_ID: &str = "platform";
    /// DeleteObjects takes at most this many keys.
    const DELETE_BATCH: usize = 1000;

    /// `Ok(None)` for the "not set" answers of S3's configuration reads.
    fn absent<T>(result: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
        match result {
            Err(e) if NOT_FOUND.iter().any(|code| is_code(&e, code)) => Ok(None),
            other => none_if_not_found(other),
        }
    }

    fn built(e: aws_sdk_s3::error::BuildError) -> AwsError {
        AwsError::unexpected(e.to_string())
    }

    // find

    /// The bucket with every setting the provider manages; `None` when it is gone.
    pub async fn read_bucket(
        client: &Client,
        name: &str,
    ) -> Result<Option<Found<S3BucketSpec>>, AwsError> {
        if absent(
            client
                .head_bucket()
                .bucket(name)
                .send()
                .await
                .map_err(classify),
        )?
        .is_none()
        {
            return Ok(None);
        }
        let tags = bucket_tags(client, name).await?.unwrap_or_default();
        let kms_key_arn = bucket_kms_key(client, name).await?;
        let public = absent(
            client
                .get_public_access_block()
                .bucket(name)
                .send()
                .await
                .map_err(classify),
        )?;
        let blocked = public
            .as_ref()
            .and_then(|p| p.public_access_block_configuration())
            .is_some_and(|c| {
                c.block_public_acls() == Some(true)
                    && c.ignore_public_acls() == Some(true)
                    && c.block_public_policy() == Some(true)
                    && c.restrict_public_buckets() == Some(true)
            });
        let ownership = absent(
            client
                .get_bucket_ownership_controls()
                .bucket(name)
                .send()
                .await
                .map_err(classify),
        )?;
        let enforced = ownership
            .as_ref()
            .and_then(|o| o.ownership_controls())
            .is_some_and(|c| {
                c.rules()
                    .iter()
                    .any(|r| r.object_ownership() == &ObjectOwnership::BucketOwnerEnforced)
            });
        let versioning = client
            .get_bucket_versioning()
            .bucket(name)
            .send()
            .await
            .map_err(classify)?
            .status()
            == Some(&BucketVersioningStatus::Enabled);
        let lifecycle = absent(
            client
                .get_bucket_lifecycle_configuration()
                .bucket(name)
                .send()
                .await
                .map_err(classify),
        )?
        .and_then(|l| flatten_lifecycle(l.rules()));
        let cors = absent(
            client
                .get_bucket_cors()
                .bucket(name)
                .send()
                .await
                .map_err(classify),
        )?
        .map(|c| {
            c.cors_rules()
                .iter()
                .map(|r| CorsRuleSpec {
                    allowed_origins: r.allowed_origins().to_vec(),
                    allowed_methods: r.allowed_methods().to_vec(),
                })
                .collect()
        })
        .unwrap_or_default();
        Ok(Some(Found {
            id: name.to_string(),
            current: S3BucketSpec {
                name: name.to_string(),
                region: String::new(),
                kms_key_arn,
                versioning,
                lifecycle,
                cors,
                force_destroy: false,
                locked_down: blocked && enforced,
                tags: tags.clone(),
            },
            tags,
        }))
    }

    /// What a service needs of a bucket: its tags and its KMS key; `None` when it is gone.
    pub async fn bucket_facts(
        client: &Client,
        name: &str,
    ) -> Result<Option<(Tags, Option<String>)>, AwsError> {
        let Some(tags) = bucket_tags(client, name).await? else {
            return Ok(None);
        };
        Ok(Some((tags, bucket_kms_key(client, name).await?)))
    }

    /// The bucket's tags (none set reads as empty); `None` when the bucket is gone.
    async fn bucket_tags(client: &Client, name: &str) -> Result<Option<Tags>, AwsError> {
        match client
            .get_bucket_tagging()
            .bucket(name)
            .send()
            .await
            .map_err(classify)
        {
            Err(e) if is_code(&e, "NoSuchBucket") => Ok(None),
            other => Ok(Some(
                absent(other)?
                    .map(|t| {
                        t.tag_set()
                            .iter()
                            .map(|t| (t.key().to_string(), t.value().to_string()))
                            .collect()
                    })
                    .unwrap_or_default(),
            )),
        }
    }

    /// The KMS key of the bucket's default encryption; `None` for SSE-S3 (or none).
    async fn bucket_kms_key(client: &Client, name: &str) -> Result<Option<String>, AwsError> {
        let encryption = absent(
            client
                .get_bucket_encryption()
                .bucket(name)
                .send()
                .await
                .map_err(classify),
        )?;
        Ok(encryption
            .as_ref()
            .and_then(|e| e.server_side_encryption_configuration())
            .and_then(|c| c.rules().first())
            .and_then(|r| r.apply_server_side_encryption_by_default())
            .filter(|d| d.sse_algorithm() == &ServerSideEncryption::AwsKms)
            .and_then(|d| d.kms_master_key_id().map(str::to_string)))
    }

    /// Our lifecycle rule, as [`expand_lifecycle`] writes it; `None` without it.
    fn flatten_lifecycle(rules: &[LifecycleRule]) -> Option<LifecycleSpec> {
        let rule = rules.iter().find(|r| {
            r.id() == Some(LIFECYCLE_RULE_ID) && r.status() == &ExpirationStatus::Enabled
        })?;
        Some(LifecycleSpec {
            noncurrent_days: rule
                .noncurrent_version_expiration()
                .and_then(|e| e.noncurrent_days())
                .and_then(|d| u32::try_from(d).ok()),
            abort_multipart_days: rule
                .abort_incomplete_multipart_upload()
                .and_then(|a| a.days_after_initiation())
                .and_then(|d| u32::try_from(d).ok())
                .unwrap_or(0),
        })
    }

    /// The bucket of the spec's name, for adoption. Its name holds the account ID, so a bucket
    /// of that name without any tag is ours, left by a create that died before tagging it
    /// (S3 takes no tags at create); one with other tags is refused.
    async fn adoptable_bucket(
        client: &Client,
        spec: &S3BucketSpec,
    ) -> Result<Option<Found<S3BucketSpec>>, AwsError> {
        let found = match read_bucket(client, &spec.name).await {
            // Someone else's bucket of this name (S3 names are global).
            Err(AwsError::Api { code, .. }) if code == "Forbidden" || code == "AccessDenied" => {
                return Err(crate::aws::common::ownership::name_taken(
                    "S3 bucket",
                    &spec.name,
                ))
            }
            other => other?,
        };
        Ok(found.map(|mut found| {
            if found.tags.is_empty() {
                found.tags = spec.tags.clone();
            }
            found
        }))
    }

    // create, update

    async fn create_new_bucket(client: &Client, spec: &S3BucketSpec) -> Result<String, AwsError> {
        let mut request = client
            .create_bucket()
            .bucket(&spec.name)
            .object_ownership(ObjectOwnership::BucketOwnerEnforced);
        // us-east-1 takes no location constraint.
        if spec.region != "us-east-1" {
            request = request.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(spec.region.as_str()))
                    .build(),
            );
        }
        request.send().await.map_err(classify)?;
        // Tags first, so a crash leaves a bucket the next run recognises as ours.
        put_tags(client, &spec.name, &spec.tags).await?;
        let unset = S3BucketSpec {
            kms_key_arn: Some(String::new()),
            versioning: false,
            lifecycle: None,
            cors: Vec::new(),
            locked_down: false,
            ..spec.clone()
        };
        update_bucket(client, &spec.name, &unset, spec).await
    }

    async fn put_tags(client: &Client, name: &str, tags: &Tags) -> Result<(), AwsError> {
        let tag_set = tags
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(built))
            .collect::<Result<Vec<_>, _>>()?;
        client
            .put_bucket_tagging()
            .bucket(name)
            .tagging(
                Tagging::builder()
                    .set_tag_set(Some(tag_set))
                    .build()
                    .map_err(built)?,
            )
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    fn expand_lifecycle(lifecycle: &LifecycleSpec) -> Result<LifecycleRule, AwsError> {
        let days = |d: u32| i32::try_from(d).unwrap_or(i32::MAX);
        LifecycleRule::builder()
            .id(LIFECYCLE_RULE_ID)
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("").build())
            .set_noncurrent_version_expiration(lifecycle.noncurrent_days.map(|d| {
                NoncurrentVersionExpiration::builder()
                    .noncurrent_days(days(d))
                    .build()
            }))
            .abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder()
                    .days_after_initiation(days(lifecycle.abort_multipart_days))
                    .build(),
            )
            .build()
            .map_err(built)
    }

    /// Brings the bucket from `current` to `desired`, one call per setting that differs.
    pub async fn update_bucket(
        client: &Client,
        name: &str,
        current: &S3BucketSpec,
        desired: &S3BucketSpec,
    ) -> Result<String, AwsError> {
        if !current.locked_down {
            client
                .put_public_access_block()
                .bucket(name)
                .public_access_block_configuration(
                    PublicAccessBlockConfiguration::builder()
                        .block_public_acls(true)
                        .ignore_public_acls(true)
                        .block_public_policy(true)
                        .restrict_public_buckets(true)
                        .build(),
                )
                .send()
                .await
                .map_err(classify)?;
            client
                .put_bucket_ownership_controls()
                .bucket(name)
                .ownership_controls(
                    OwnershipControls::builder()
                        .rules(
                            OwnershipControlsRule::builder()
                                .object_ownership(ObjectOwnership::BucketOwnerEnforced)
                                .build()
                                .map_err(built)?,
                        )
                        .build()
                        .map_err(built)?,
                )
                .send()
                .await
                .map_err(classify)?;
        }
        if current.kms_key_arn != desired.kms_key_arn {
            let default = match &desired.kms_key_arn {
                Some(key) => ServerSideEncryptionByDefault::builder()
                    .sse_algorithm(ServerSideEncryption::AwsKms)
                    .kms_master_key_id(key),
                None => ServerSideEncryptionByDefault::builder()
                    .sse_algorithm(ServerSideEncryption::Aes256),
            };
            client
                .put_bucket_encryption()
                .bucket(name)
                .server_side_encryption_configuration(
                    ServerSideEncryptionConfiguration::builder()
                        .rules(
                            ServerSideEncryptionRule::builder()
                                .apply_server_side_encryption_by_default(
                                    default.build().map_err(built)?,
                                )
                                .bucket_key_enabled(desired.kms_key_arn.is_some())
                                .build(),
                        )
                        .build()
                        .map_err(built)?,
                )
                .send()
                .await
                .map_err(classify)?;
        }
        if current.versioning != desired.versioning {
            client
                .put_bucket_versioning()
                .bucket(name)
                .versioning_configuration(
                    aws_sdk_s3::types::VersioningConfiguration::builder()
                        .status(if desired.versioning {
                            BucketVersioningStatus::Enabled
                        } else {
                            BucketVersioningStatus::Suspended
                        })
                        .build(),
                )
                .send()
                .await
                .map_err(classify)?;
        }
        if current.lifecycle != desired.lifecycle {
            match &desired.lifecycle {
                Some(lifecycle) => {
                    client
                        .put_bucket_lifecycle_configuration()
                        .bucket(name)
                        .lifecycle_configuration(
                            BucketLifecycleConfiguration::builder()
                                .rules(expand_lifecycle(lifecycle)?)
                                .build()
                                .map_err(built)?,
                        )
                        .send()
                        .await
                        .map_err(classify)?;
                }
                None => {
                    client
                        .delete_bucket_lifecycle()
                        .bucket(name)
                        .send()
                        .await
                        .map_err(classify)?;
                }
            }
        }
        if current.cors != desired.cors {
            if desired.cors.is_empty() {
                client
                    .delete_bucket_cors()
                    .bucket(name)
                    .send()
                    .await
                    .map_err(classify)?;
            } else {
                let rules = desired
                    .cors
                    .iter()
                    .map(|r| {
                        CorsRule::builder()
                            .set_allowed_origins(Some(r.allowed_origins.clone()))
                            .set_allowed_methods(Some(r.allowed_methods.clone()))
                            .allowed_headers("*")
                            .max_age_seconds(3600)
                            .build()
                            .map_err(built)
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                client
                    .put_bucket_cors()
                    .bucket(name)
                    .cors_configuration(
                        CorsConfiguration::builder()
                            .set_cors_rules(Some(rules))
                            .build()
                            .map_err(built)?,
                    )
                    .send()
                    .await
                    .map_err(classify)?;
            }
        }
        if current.tags != desired.tags {
            put_tags(client, name, &desired.tags).await?;
        }
        Ok(name.to_string())
    }

    // delete

    /// Every object version and delete marker, as DeleteObjects takes them.
    async fn list_versions(client: &Client, name: &str) -> Result<Vec<ObjectIdentifier>, AwsError> {
        let mut out = Vec::new();
        let (mut key_marker, mut version_marker) = (None, None);
        loop {
            let page = client
                .list_object_versions()
                .bucket(name)
                .set_key_marker(key_marker.take())
                .set_version_id_marker(version_marker.take())
                .send()
                .await
                .map_err(classify)?;
            let versions = page
                .versions()
                .iter()
                .map(|v| (v.key(), v.version_id()))
                .chain(
                    page.delete_markers()
                        .iter()
                        .map(|m| (m.key(), m.version_id())),
                );
            for (key, version) in versions {
                if let Some(key) = key {
                    out.push(
                        ObjectIdentifier::builder()
                            .key(key)
                            .set_version_id(version.map(str::to_string))
                            .build()
                            .map_err(built)?,
                    );
                }
            }
            if page.is_truncated() != Some(true) {
                return Ok(out);
            }
            key_marker = page.next_key_marker().map(str::to_string);
            version_marker = page.next_version_id_marker().map(str::to_string);
        }
    }

    /// Deletes the bucket; absence is success. A bucket holding objects is refused, naming it
    /// and its object count, unless `force_destroy`, which first removes every version and
    /// delete marker.
    /// The refusal to delete a bucket holding `count` objects without `force_destroy`.
    pub fn not_empty(name: &str, count: usize) -> AwsError {
        AwsError::Api {
            code: "BucketNotEmpty".into(),
            message: format!(
                "bucket {name} holds {count} object{} (versions and delete markers included); empty it, or set force_destroy = true and apply before destroying",
                if count == 1 { "" } else { "s" }
            ),
        }
    }

    /// How many object versions and delete markers the bucket holds; `None` when it is gone.
    pub async fn object_count(client: &Client, name: &str) -> Result<Option<usize>, AwsError> {
        Ok(absent(list_versions(client, name).await)?.map(|versions| versions.len()))
    }

    pub async fn delete_bucket(
        client: &Client,
        name: &str,
        force_destroy: bool,
    ) -> Result<(), AwsError> {
        let versions = match absent(list_versions(client, name).await)? {
            Some(versions) => versions,
            None => return Ok(()),
        };
        if !versions.is_empty() {
            if !force_destroy {
                return Err(not_empty(name, versions.len()));
            }
            for batch in versions.chunks(DELETE_BATCH) {
                let out = client
                    .delete_objects()
                    .bucket(name)
                    .delete(
                        Delete::builder()
                            .set_objects(Some(batch.to_vec()))
                            .quiet(true)
                            .build()
                            .map_err(built)?,
                    )
                    .send()
                    .await
                    .map_err(classify)?;
                if let Some(error) = out.errors().first() {
                    return Err(AwsError::Transient {
                        message: format!(
                            "emptying bucket {name}: {} {}",
                            error.code().unwrap_or_default(),
                            error.message().unwrap_or_default()
                        ),
                    });
                }
            }
        }
        absent(
            client
                .delete_bucket()
                .bucket(name)
                .send()
                .await
                .map_err(classify),
        )?;
        Ok(())
    }
}
