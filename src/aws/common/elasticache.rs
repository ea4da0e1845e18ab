//! What the ElastiCache kinds share: tags, read and written by ARN with its own calls.

use aws_sdk_elasticache::Client;

use crate::aws::common::ownership::tag_changes;
use crate::aws::common::tags::{from_sdk, to_sdk};
use crate::aws::error::{classify, AwsError};
use crate::plan::node::Tags;

/// ListTagsForResource for one ElastiCache resource. NotFound (the resource is gone) is passed on for
/// the caller to read as absence.
pub async fn list_tags(client: &Client, arn: &str) -> Result<Tags, AwsError> {
    let out = client
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map_err(classify)?;
    Ok(from_sdk(out.tag_list()))
}

/// AddTagsToResource / RemoveTagsFromResource to go from `current` to `desired`.
pub async fn sync_tags(
    client: &Client,
    arn: &str,
    current: &Tags,
    desired: &Tags,
) -> Result<(), AwsError> {
    let (changed, removed) = tag_changes(current, desired);
    if !changed.is_empty() {
        client
            .add_tags_to_resource()
            .resource_name(arn)
            .set_tags(Some(to_sdk(&changed)?))
            .send()
            .await
            .map_err(classify)?;
    }
    if !removed.is_empty() {
        client
            .remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(classify)?;
    }
    Ok(())
}
