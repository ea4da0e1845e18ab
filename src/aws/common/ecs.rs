//! What the ECS kinds share: tags without AWS's own, and tag sync by ARN.

use aws_sdk_ecs::types::Tag;
use aws_sdk_ecs::Client;

use crate::aws::common::ownership::tag_changes;
use crate::aws::common::tags::{from_sdk, to_sdk};
use crate::aws::error::{classify, AwsError};
use crate::plan::node::Tags;

/// Tags under this prefix are AWS's own (ECS-managed tags): they cannot be set or removed.
const AWS_TAG_PREFIX: &str = "aws:";

/// The tags a user or we set, without AWS's own.
pub(crate) fn user_tags(tags: &[Tag]) -> Tags {
    let mut tags = from_sdk(tags);
    tags.retain(|key, _| !key.starts_with(AWS_TAG_PREFIX));
    tags
}

/// TagResource / UntagResource to go from `current` to `desired` on a cluster, service or
/// task definition revision.
pub(crate) async fn sync_tags(
    client: &Client,
    arn: &str,
    current: &Tags,
    desired: &Tags,
) -> Result<(), AwsError> {
    let (changed, removed) = tag_changes(current, desired);
    if !changed.is_empty() {
        client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(to_sdk(&changed)?))
            .send()
            .await
            .map_err(classify)?;
    }
    if !removed.is_empty() {
        client
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(classify)?;
    }
    Ok(())
}
