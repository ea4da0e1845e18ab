//! Tags between our maps and the SDK's lists.

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};

use crate::plan::expand::naming::{TAG_NODE, TAG_OWNER};
use crate::plan::node::Tags;

use super::error::{classify, AwsError};

pub fn to_sdk(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

pub fn from_sdk(tags: &[Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

/// Tags applied in the create call itself, so nothing exists untagged.
pub fn specification(resource: ResourceType, tags: &Tags) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(resource)
        .set_tags(Some(to_sdk(tags)))
        .build()
}

/// Filters matching an object by its owner and node tags, for adoption.
pub fn ownership_filters(tags: &Tags) -> Vec<Filter> {
    [TAG_OWNER, TAG_NODE]
        .iter()
        .filter_map(|key| {
            tags.get(*key).map(|value| {
                Filter::builder()
                    .name(format!("tag:{key}"))
                    .values(value)
                    .build()
            })
        })
        .collect()
}

pub fn owner_filter(owner: &str) -> Filter {
    Filter::builder()
        .name(format!("tag:{TAG_OWNER}"))
        .values(owner)
        .build()
}

/// Makes the tags on `resource_id` equal `desired`: adds or changes, then removes extras.
pub async fn sync_tags(
    ec2: &aws_sdk_ec2::Client,
    resource_id: &str,
    current: &Tags,
    desired: &Tags,
) -> Result<(), AwsError> {
    let changed: Tags = desired
        .iter()
        .filter(|(k, v)| current.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !changed.is_empty() {
        ec2.create_tags()
            .resources(resource_id)
            .set_tags(Some(to_sdk(&changed)))
            .send()
            .await
            .map_err(classify)?;
    }
    let removed: Vec<Tag> = current
        .keys()
        .filter(|k| !desired.contains_key(*k))
        .map(|k| Tag::builder().key(k).build())
        .collect();
    if !removed.is_empty() {
        ec2.delete_tags()
            .resources(resource_id)
            .set_tags(Some(removed))
            .send()
            .await
            .map_err(classify)?;
    }
    Ok(())
}

/// True when `tags` carry the owner and node tags of `spec_tags`. Adoption checks this on
/// every object a tag-filtered describe returns, rather than trusting the filter alone.
pub fn owned_by(tags: &[Tag], spec_tags: &Tags) -> bool {
    let found = from_sdk(tags);
    [TAG_OWNER, TAG_NODE]
        .iter()
        .all(|key| spec_tags.get(*key).is_some() && found.get(*key) == spec_tags.get(*key))
}
