//! What the ELBv2 kinds share: tag conversion and sync, bounded waits, resolving references.

use std::future::Future;
use std::time::Duration;

use aws_sdk_elasticloadbalancingv2::types::Tag;
use aws_sdk_elasticloadbalancingv2::Client;

use crate::apply::IdMap;
use crate::aws::common::ownership::tag_changes;
use crate::aws::error::{classify, AwsError};
use crate::plan::node::{NodeKey, Tags};

/// Runs `wait` for at most `limit`; the caller owns the timeout (STYLE §4).
pub(crate) async fn bounded<T>(
    limit: Duration,
    what: String,
    wait: impl Future<Output = Result<T, AwsError>>,
) -> Result<T, AwsError> {
    tokio::time::timeout(limit, wait)
        .await
        .unwrap_or(Err(AwsError::WaitTimeout { message: what }))
}

/// The AWS IDs of referenced children.
pub(crate) fn resolve(keys: &[NodeKey], ids: &IdMap) -> Result<Vec<String>, AwsError> {
    keys.iter()
        .map(|k| {
            ids.id(k)
                .map(str::to_string)
                .map_err(|e| AwsError::unexpected(e.message))
        })
        .collect()
}

pub(crate) fn expand_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

pub(crate) fn flatten_tags(tags: &[Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

/// DescribeTags for one load balancer, listener or target group. NotFound (the resource is
/// gone) is passed on for the caller to read as absence.
pub(crate) async fn find_tags(client: &Client, arn: &str) -> Result<Tags, AwsError> {
    let out = client
        .describe_tags()
        .resource_arns(arn)
        .send()
        .await
        .map_err(classify)?;
    Ok(out
        .tag_descriptions()
        .iter()
        .find(|d| d.resource_arn() == Some(arn))
        .map(|d| flatten_tags(d.tags()))
        .unwrap_or_default())
}

/// AddTags / RemoveTags to go from `current` to `desired`.
pub(crate) async fn sync_tags(
    client: &Client,
    arn: &str,
    current: &Tags,
    desired: &Tags,
) -> Result<(), AwsError> {
    let (changed, removed) = tag_changes(current, desired);
    if !changed.is_empty() {
        client
            .add_tags()
            .resource_arns(arn)
            .set_tags(Some(expand_tags(&changed)))
            .send()
            .await
            .map_err(classify)?;
    }
    if !removed.is_empty() {
        client
            .remove_tags()
            .resource_arns(arn)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(classify)?;
    }
    Ok(())
}
