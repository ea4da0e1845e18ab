//! What the ELBv2 kinds share: tags read in batches and synced.

use std::collections::HashMap;

use aws_sdk_elasticloadbalancingv2::Client;

use crate::aws::common::ownership::tag_changes;
use crate::aws::common::tags::{from_sdk, to_sdk};
use crate::aws::error::{classify, none_if_not_found, AwsError};
use crate::plan::node::Tags;

/// DescribeTags takes at most this many ARNs.
pub const TAGS_BATCH: usize = 20;

/// The tags of load balancers, listeners, rules or target groups by ARN, [`TAGS_BATCH`] ARNs
/// per DescribeTags. An ARN that no longer exists is left out of the answer.
pub async fn describe_tags(
    client: &Client,
    arns: &[String],
) -> Result<HashMap<String, Tags>, AwsError> {
    let mut tags = HashMap::new();
    for batch in arns.chunks(TAGS_BATCH) {
        match none_if_not_found(describe_tags_batch(client, batch).await)? {
            Some(found) => tags.extend(found),
            // One deleted resource fails the whole call: ask for the others one by one.
            None if batch.len() > 1 => {
                for arn in batch {
                    let one = std::slice::from_ref(arn);
                    if let Some(found) = none_if_not_found(describe_tags_batch(client, one).await)?
                    {
                        tags.extend(found);
                    }
                }
            }
            None => {}
        }
    }
    Ok(tags)
}

async fn describe_tags_batch(
    client: &Client,
    arns: &[String],
) -> Result<HashMap<String, Tags>, AwsError> {
    let out = client
        .describe_tags()
        .set_resource_arns(Some(arns.to_vec()))
        .send()
        .await
        .map_err(classify)?;
    Ok(out
        .tag_descriptions()
        .iter()
        .filter_map(|d| Some((d.resource_arn()?.to_string(), from_sdk(d.tags()))))
        .collect())
}

/// The tags of one resource; `None` when it no longer exists.
pub async fn describe_tags_of(client: &Client, arn: &str) -> Result<Option<Tags>, AwsError> {
    Ok(describe_tags(client, &[arn.to_string()]).await?.remove(arn))
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
            .set_tags(Some(to_sdk(&changed)?))
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
