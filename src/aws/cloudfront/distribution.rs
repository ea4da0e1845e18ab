//! CloudFront Distribution in front of one S3 bucket; the ledger ID is its ID.
//!
//! Always: the bucket as the only origin, reached through the origin access control (so the
//! bucket stays private), viewers redirected to HTTPS, compression, HTTP/2 and HTTP/3, IPv6.
//! Caching follows the managed CachingOptimized policy, or one default TTL. CloudFront takes
//! minutes to deploy a change: create and update wait for `Deployed` when the spec asks, and
//! delete always disables, waits, then deletes. A listing finds it by its comment
//! (`<environment>-<name>`) and its ownership tags.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{KindSpec, Reference};
use crate::plan::node::{Node, NodeKey, Tags};

/// The managed cache policy `Managed-CachingOptimized` (the same ID in every account).
pub const CACHING_OPTIMIZED_POLICY_ID: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
/// The origin's ID within the distribution.
pub const ORIGIN_ID: &str = "bucket";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistributionSpec {
    /// The S3 bucket it serves (its name is the bucket's ledger ID).
    pub bucket: NodeKey,
    /// The bucket's region, in the origin's domain name.
    pub region: String,
    pub origin_access_control: NodeKey,
    /// `<environment>-<name>`.
    pub comment: String,
    /// Sorted.
    pub aliases: Vec<String>,
    /// ACM in us-east-1; `None`: CloudFront's own certificate.
    pub certificate_arn: Option<String>,
    pub price_class: String,
    /// `None`: the managed CachingOptimized policy.
    pub default_ttl: Option<u32>,
    pub enabled: bool,
    /// The origin is the bucket through the origin access control, and the settings the
    /// provider always makes hold (HTTPS redirect, compression, HTTP/2 and 3, IPv6, TLS 1.2);
    /// false when the live distribution differs, so the next apply restores them.
    pub fixed_settings: bool,
    /// Create and update wait for `Deployed` (not an AWS property; observe keeps it).
    pub wait_for_deployment: bool,
    pub tags: Tags,
}

impl DistributionSpec {
    /// The bucket's regional domain name, the origin CloudFront fetches from.
    pub fn origin_domain(&self, bucket: &str) -> String {
        format!("{bucket}.s3.{}.amazonaws.com", self.region)
    }
}

impl KindSpec for DistributionSpec {
    const PREFIX: &'static str = "cloudfront.distribution";
    const DISPLAY_NAME: &'static str = "CloudFront Distribution";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "cloudfront:CreateDistribution",
        "cloudfront:DeleteDistribution",
        "cloudfront:GetDistribution",
        "cloudfront:ListDistributions",
        "cloudfront:ListTagsForResource",
        "cloudfront:TagResource",
        "cloudfront:UntagResource",
        "cloudfront:UpdateDistribution",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        vec![
            Reference::update(&self.bucket),
            Reference::update(&self.origin_access_control),
        ]
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    /// Every setting changes in place.
    fn replaced_by(&self, _desired: &Self) -> Option<&'static str> {
        None
    }

    /// CloudFront charges by requests and data transfer only.
    fn hourly_charge(&self, _graph: &BTreeMap<NodeKey, Node>) -> Option<(&'static str, f64)> {
        None
    }
}

#[cfg(feature = "sdk")]
pub use sdk::{distribution_config, distribution_domain};

#[cfg(feature = "sdk")]
mod sdk {
    use aws_sdk_cloudfront::types::{
        Aliases, CookiePreference, DefaultCacheBehavior, Distribution, DistributionConfig,
        DistributionConfigWithTags, ForwardedValues, HttpVersion, ItemSelection,
        MinimumProtocolVersion, Origin, Origins, PriceClass, S3OriginConfig, SslSupportMethod, Tag,
        TagKeys, ViewerCertificate, ViewerProtocolPolicy,
    };
    use aws_sdk_cloudfront::Client;

    use super::*;
    use crate::aws::common::ownership::{adopt_or_create, owned_by, tag_changes, Found};
    use crate::aws::common::poll::{poll_until, Poll};
    use crate::aws::common::tags::{from_sdk, to_sdk};
    use crate::aws::error::{classify, is_code, none_if_not_found, AwsError};
    use crate::aws::kind::{AwsKind, Cx};

    /// What `Deployed` means: every edge location has the distribution's current settings.
    const DEPLOYED: &str = "Deployed";

    impl AwsKind for DistributionSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            Ok(lookup(&cx.clients.cloudfront, spec)
                .await?
                .map(|found| found.id))
        }

        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            let client = &cx.clients.cloudfront;
            let Some((distribution, _)) = read(client, id).await? else {
                return Ok(None);
            };
            let Some(config) = distribution.distribution_config() else {
                return Ok(None);
            };
            let tags = tags_of(client, distribution.arn()).await?;
            let bucket = cx.ids.id(&current.bucket).ok();
            let oac = cx.ids.id(&current.origin_access_control).ok();
            Ok(Some(observed(config, current, bucket, oac, tags)))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            let client = &cx.clients.cloudfront;
            let bucket = cx
                .ids
                .id(&spec.bucket)
                .map_err(|e| AwsError::unexpected(e.message))?;
            let oac = cx
                .ids
                .id(&spec.origin_access_control)
                .map_err(|e| AwsError::unexpected(e.message))?;
            let id = adopt_or_create(
                Self::DISPLAY_NAME,
                &spec.comment,
                &spec.tags,
                &[],
                || lookup(client, spec),
                |found: Found<()>| async move {
                    let arn = put_config(client, &found.id, spec, bucket, oac).await?;
                    sync_tags(client, &arn, &found.tags, &spec.tags).await?;
                    Ok(found.id)
                },
                || async {
                    let config = distribution_config(spec, bucket, oac, &caller_reference(spec))?;
                    let out = client
                        .create_distribution_with_tags()
                        .distribution_config_with_tags(
                            DistributionConfigWithTags::builder()
                                .distribution_config(config)
                                .tags(
                                    aws_sdk_cloudfront::types::Tags::builder()
                                        .set_items(Some(to_sdk::<Tag>(&spec.tags)?))
                                        .build(),
                                )
                                .build(),
                        )
                        .send()
                        .await
                        .map_err(classify)?;
                    out.distribution()
                        .map(|d| d.id().to_string())
                        .ok_or_else(|| AwsError::unexpected("no distribution ID"))
                },
            )
            .await?;
            if spec.wait_for_deployment {
                wait_deployed(client, &id).await?;
            }
            Ok(id)
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            let client = &cx.clients.cloudfront;
            let bucket = cx
                .ids
                .id(&desired.bucket)
                .map_err(|e| AwsError::unexpected(e.message))?;
            let oac = cx
                .ids
                .id(&desired.origin_access_control)
                .map_err(|e| AwsError::unexpected(e.message))?;
            let mut arn = None;
            if settings_differ(current, desired) {
                arn = Some(put_config(client, id, desired, bucket, oac).await?);
                if desired.wait_for_deployment {
                    wait_deployed(client, id).await?;
                }
            }
            if current.tags != desired.tags {
                let arn = match arn {
                    Some(arn) => arn,
                    None => read(client, id)
                        .await?
                        .map(|(distribution, _)| distribution.arn().to_string())
                        .ok_or_else(|| {
                            AwsError::unexpected(format!("distribution {id} is gone"))
                        })?,
                };
                sync_tags(client, &arn, &current.tags, &desired.tags).await?;
            }
            Ok(id.to_string())
        }

        /// Disables it, waits until the disabled configuration is deployed, then deletes it
        /// (CloudFront refuses to delete an enabled or deploying distribution).
        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            let client = &cx.clients.cloudfront;
            poll_until(|| async {
                let Some((distribution, etag)) = read(client, id).await? else {
                    return Ok(Poll::Ready(()));
                };
                let config = distribution
                    .distribution_config()
                    .ok_or_else(|| AwsError::unexpected("distribution without configuration"))?;
                if config.enabled() {
                    disable(client, id, config, &etag).await?;
                    return Ok(Poll::Pending);
                }
                if distribution.status() != DEPLOYED {
                    return Ok(Poll::Pending);
                }
                match client
                    .delete_distribution()
                    .id(id)
                    .if_match(etag)
                    .send()
                    .await
                    .map_err(classify)
                {
                    Ok(_) => Ok(Poll::Ready(())),
                    Err(e) if e.is_not_found() => Ok(Poll::Ready(())),
                    // Changed meanwhile (a new ETag), or not yet disabled everywhere: look again.
                    Err(e)
                        if is_code(&e, "PreconditionFailed")
                            || is_code(&e, "DistributionNotDisabled") =>
                    {
                        Ok(Poll::Pending)
                    }
                    Err(e) => Err(e),
                }
            })
            .await
        }
    }

    /// A live configuration as a spec: references as in `current`, `fixed_settings` false
    /// when the origin is not `bucket` through `oac` (their IDs) or a fixed setting moved.
    fn observed(
        config: &DistributionConfig,
        current: &DistributionSpec,
        bucket: Option<&str>,
        oac: Option<&str>,
        tags: Tags,
    ) -> DistributionSpec {
        let origins = config.origins().map(Origins::items).unwrap_or_default();
        let origin_in_sync = match (origins, bucket, oac) {
            ([origin], Some(bucket), Some(oac)) => {
                origin.domain_name() == current.origin_domain(bucket)
                    && origin.origin_access_control_id() == Some(oac)
                    && origin.s3_origin_config().is_some()
            }
            _ => false,
        };
        let behavior = config.default_cache_behavior();
        let certificate = config.viewer_certificate();
        let certificate_arn = certificate
            .and_then(ViewerCertificate::acm_certificate_arn)
            .filter(|arn| !arn.is_empty())
            .map(str::to_string);
        let tls_in_sync = certificate_arn.is_none()
            || certificate.is_some_and(|c| {
                c.ssl_support_method() == Some(&SslSupportMethod::SniOnly)
                    && c.minimum_protocol_version() == Some(&MinimumProtocolVersion::TlSv122021)
            });
        let cache_policy = behavior.and_then(DefaultCacheBehavior::cache_policy_id);
        #[allow(deprecated)]
        let default_ttl = match cache_policy {
            Some(_) => None,
            None => behavior
                .and_then(DefaultCacheBehavior::default_ttl)
                .and_then(|ttl| u32::try_from(ttl).ok()),
        };
        let caching_in_sync = match cache_policy {
            Some(id) => id == CACHING_OPTIMIZED_POLICY_ID,
            None => default_ttl.is_some(),
        };
        let behavior_in_sync = behavior.is_some_and(|b| {
            b.target_origin_id() == ORIGIN_ID
                && *b.viewer_protocol_policy() == ViewerProtocolPolicy::RedirectToHttps
                && b.compress() == Some(true)
        });
        let mut aliases: Vec<String> = config
            .aliases()
            .map(|a| a.items().to_vec())
            .unwrap_or_default();
        aliases.sort();
        DistributionSpec {
            comment: config.comment().to_string(),
            aliases,
            certificate_arn,
            price_class: config
                .price_class()
                .map_or("PriceClass_All", PriceClass::as_str)
                .to_string(),
            default_ttl,
            enabled: config.enabled(),
            fixed_settings: origin_in_sync
                && tls_in_sync
                && caching_in_sync
                && behavior_in_sync
                && config.http_version() == Some(&HttpVersion::Http2and3)
                && config.is_ipv6_enabled() == Some(true),
            tags,
            ..current.clone()
        }
    }

    /// True when the configuration must be written (anything but the tags differs).
    fn settings_differ(current: &DistributionSpec, desired: &DistributionSpec) -> bool {
        DistributionSpec {
            tags: Tags::new(),
            ..current.clone()
        } != DistributionSpec {
            tags: Tags::new(),
            ..desired.clone()
        }
    }

    /// A new caller reference: CloudFront answers a reused one with the distribution it made
    /// (or an error when the configuration differs), so each create takes a fresh one; the
    /// adopt-first lookup is what prevents duplicates.
    fn caller_reference(spec: &DistributionSpec) -> String {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        format!("{}-{nanos}", spec.comment)
    }

    fn built(e: aws_sdk_cloudfront::error::BuildError) -> AwsError {
        AwsError::unexpected(e.to_string())
    }

    /// The whole configuration the spec describes.
    pub fn distribution_config(
        spec: &DistributionSpec,
        bucket: &str,
        oac: &str,
        caller_reference: &str,
    ) -> Result<DistributionConfig, AwsError> {
        let origin = Origin::builder()
            .id(ORIGIN_ID)
            .domain_name(spec.origin_domain(bucket))
            .origin_access_control_id(oac)
            // With an origin access control the (legacy) identity stays empty.
            .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
            .build()
            .map_err(built)?;
        let behavior = DefaultCacheBehavior::builder()
            .target_origin_id(ORIGIN_ID)
            .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
            .compress(true);
        // One TTL uses CloudFront's legacy cache settings, which it still accepts: a custom
        // cache policy would be one more object to own for one number.
        #[allow(deprecated)]
        let behavior = match spec.default_ttl {
            None => behavior.cache_policy_id(CACHING_OPTIMIZED_POLICY_ID),
            Some(ttl) => behavior
                .forwarded_values(
                    ForwardedValues::builder()
                        .query_string(false)
                        .cookies(
                            CookiePreference::builder()
                                .forward(ItemSelection::None)
                                .build()
                                .map_err(built)?,
                        )
                        .build()
                        .map_err(built)?,
                )
                .min_ttl(0)
                .default_ttl(i64::from(ttl))
                .max_ttl(i64::from(ttl.max(crate::plan::app::MAX_TTL))),
        };
        let certificate = match &spec.certificate_arn {
            Some(arn) => ViewerCertificate::builder()
                .acm_certificate_arn(arn)
                .ssl_support_method(SslSupportMethod::SniOnly)
                .minimum_protocol_version(MinimumProtocolVersion::TlSv122021),
            None => ViewerCertificate::builder().cloud_front_default_certificate(true),
        }
        .build();
        DistributionConfig::builder()
            .caller_reference(caller_reference)
            .comment(&spec.comment)
            .enabled(spec.enabled)
            .aliases(
                Aliases::builder()
                    .quantity(i32::try_from(spec.aliases.len()).unwrap_or(i32::MAX))
                    .set_items(Some(spec.aliases.clone()))
                    .build()
                    .map_err(built)?,
            )
            .origins(
                Origins::builder()
                    .quantity(1)
                    .items(origin)
                    .build()
                    .map_err(built)?,
            )
            .default_cache_behavior(behavior.build().map_err(built)?)
            .price_class(PriceClass::from(spec.price_class.as_str()))
            .viewer_certificate(certificate)
            .http_version(HttpVersion::Http2and3)
            .is_ipv6_enabled(true)
            .build()
            .map_err(built)
    }

    /// The distribution's domain name (`d….cloudfront.net`); `None` when it is gone.
    pub async fn distribution_domain(
        client: &Client,
        id: &str,
    ) -> Result<Option<String>, AwsError> {
        Ok(read(client, id)
            .await?
            .map(|(distribution, _)| distribution.domain_name().to_string()))
    }

    /// The distribution and its ETag; `None` when it is gone.
    async fn read(client: &Client, id: &str) -> Result<Option<(Distribution, String)>, AwsError> {
        let Some(out) = none_if_not_found(
            client
                .get_distribution()
                .id(id)
                .send()
                .await
                .map_err(classify),
        )?
        else {
            return Ok(None);
        };
        let etag = out.e_tag().unwrap_or_default().to_string();
        Ok(out.distribution().cloned().map(|d| (d, etag)))
    }

    /// Writes the spec's configuration over the live one, keeping its caller reference;
    /// returns the distribution's ARN (for its tags, without reading it again).
    async fn put_config(
        client: &Client,
        id: &str,
        spec: &DistributionSpec,
        bucket: &str,
        oac: &str,
    ) -> Result<String, AwsError> {
        let (distribution, etag) = read(client, id)
            .await?
            .ok_or_else(|| AwsError::unexpected(format!("distribution {id} is gone")))?;
        let reference = distribution
            .distribution_config()
            .map(|c| c.caller_reference().to_string())
            .unwrap_or_default();
        client
            .update_distribution()
            .id(id)
            .if_match(etag)
            .distribution_config(distribution_config(spec, bucket, oac, &reference)?)
            .send()
            .await
            .map_err(classify)?;
        Ok(distribution.arn().to_string())
    }

    /// The live configuration with `Enabled = false`, everything else as it is.
    async fn disable(
        client: &Client,
        id: &str,
        config: &DistributionConfig,
        etag: &str,
    ) -> Result<(), AwsError> {
        let mut disabled = config.clone();
        disabled.enabled = false;
        match client
            .update_distribution()
            .id(id)
            .if_match(etag)
            .distribution_config(disabled)
            .send()
            .await
            .map_err(classify)
        {
            // Changed since it was read: the caller reads again.
            Err(e) if is_code(&e, "PreconditionFailed") => Ok(()),
            other => other.map(|_| ()),
        }
    }

    async fn wait_deployed(client: &Client, id: &str) -> Result<(), AwsError> {
        poll_until(|| async {
            match read(client, id).await? {
                Some((d, _)) if d.status() == DEPLOYED => Ok(Poll::Ready(())),
                Some(_) => Ok(Poll::Pending),
                None => Err(AwsError::unexpected(format!(
                    "distribution {id} disappeared while deploying"
                ))),
            }
        })
        .await
    }

    async fn tags_of(client: &Client, arn: &str) -> Result<Tags, AwsError> {
        let out = client
            .list_tags_for_resource()
            .resource(arn)
            .send()
            .await
            .map_err(classify)?;
        Ok(from_sdk(
            out.tags()
                .map(aws_sdk_cloudfront::types::Tags::items)
                .unwrap_or_default(),
        ))
    }

    async fn sync_tags(
        client: &Client,
        arn: &str,
        current: &Tags,
        desired: &Tags,
    ) -> Result<(), AwsError> {
        let (changed, removed) = tag_changes(current, desired);
        if changed.is_empty() && removed.is_empty() {
            return Ok(());
        }
        if !removed.is_empty() {
            client
                .untag_resource()
                .resource(arn)
                .tag_keys(TagKeys::builder().set_items(Some(removed)).build())
                .send()
                .await
                .map_err(classify)?;
        }
        if !changed.is_empty() {
            client
                .tag_resource()
                .resource(arn)
                .tags(
                    aws_sdk_cloudfront::types::Tags::builder()
                        .set_items(Some(to_sdk::<Tag>(&changed)?))
                        .build(),
                )
                .send()
                .await
                .map_err(classify)?;
        }
        Ok(())
    }

    /// The distribution carrying the spec's comment and ownership tags, from the account's
    /// listing (paged). A comment is not unique: another distribution with the same one is
    /// someone else's and is left alone.
    async fn lookup(
        client: &Client,
        spec: &DistributionSpec,
    ) -> Result<Option<Found<()>>, AwsError> {
        let mut marker: Option<String> = None;
        loop {
            let out = client
                .list_distributions()
                .set_marker(marker.take())
                .send()
                .await
                .map_err(classify)?;
            let Some(list) = out.distribution_list() else {
                return Ok(None);
            };
            for summary in list.items().iter().filter(|s| s.comment() == spec.comment) {
                let tags = tags_of(client, summary.arn()).await?;
                if owned_by(&tags, &spec.tags) {
                    return Ok(Some(Found {
                        id: summary.id().to_string(),
                        current: (),
                        tags,
                    }));
                }
            }
            match list.next_marker() {
                Some(next) if list.is_truncated() && !next.is_empty() => {
                    marker = Some(next.to_string());
                }
                _ => return Ok(None),
            }
        }
    }
}

#[cfg(all(test, feature = "sdk"))]
mod tests {
    use super::*;

    pub(super) fn spec() -> DistributionSpec {
        DistributionSpec {
            bucket: NodeKey::parse("s3.bucket/main").unwrap(),
            region: "eu-west-1".into(),
            origin_access_control: NodeKey::parse("cloudfront.origin_access_control/main").unwrap(),
            comment: "prod-assets".into(),
            aliases: vec!["cdn.example.com".into()],
            certificate_arn: Some("arn:aws:acm:us-east-1:123456789012:certificate/c".into()),
            price_class: "PriceClass_100".into(),
            default_ttl: None,
            enabled: true,
            fixed_settings: true,
            wait_for_deployment: true,
            tags: Tags::new(),
        }
    }

    #[test]
    #[allow(deprecated)]
    fn the_configuration_serves_the_bucket_privately_over_https() {
        let config = distribution_config(&spec(), "b", "oac-1", "ref").unwrap();
        let origin = &config.origins().unwrap().items()[0];
        assert_eq!(origin.domain_name(), "b.s3.eu-west-1.amazonaws.com");
        assert_eq!(origin.origin_access_control_id(), Some("oac-1"));
        let behavior = config.default_cache_behavior().unwrap();
        assert_eq!(
            behavior.cache_policy_id(),
            Some(CACHING_OPTIMIZED_POLICY_ID)
        );
        assert!(behavior.forwarded_values().is_none());
        assert_eq!(behavior.compress(), Some(true));
        let with_ttl = DistributionSpec {
            default_ttl: Some(60),
            ..spec()
        };
        let config = distribution_config(&with_ttl, "b", "oac-1", "ref").unwrap();
        let behavior = config.default_cache_behavior().unwrap();
        assert_eq!(behavior.cache_policy_id(), None);
        assert_eq!(behavior.default_ttl(), Some(60));
        assert_eq!(behavior.max_ttl(), Some(31_536_000));
    }
}
