//! Tags between our maps and every SDK's tag lists, once; and the EC2 tagging calls (tag
//! specifications at create, filters for adoption, sync on update).

use std::collections::HashMap;

use aws_sdk_ec2::types::{Filter, ResourceType, TagSpecification};

use crate::aws::common::ownership;
use crate::aws::error::{classify, AwsError};
use crate::plan::expand::naming::{TAG_NODE, TAG_OWNER};
use crate::plan::node::Tags;

/// One SDK's tag type: a key and a value.
pub trait SdkTag: Sized {
    fn pair(&self) -> Option<(String, String)>;
    fn make(key: &str, value: &str) -> Result<Self, AwsError>;
}

/// Tag types whose key and value are optional and whose builder cannot fail.
macro_rules! optional_pair_tag {
    ($($tag:ty),+) => {$(
        impl SdkTag for $tag {
            fn pair(&self) -> Option<(String, String)> {
                Some((self.key()?.to_string(), self.value().unwrap_or_default().to_string()))
            }

            fn make(key: &str, value: &str) -> Result<Self, AwsError> {
                Ok(<$tag>::builder().key(key).value(value).build())
            }
        }
    )+};
}

optional_pair_tag!(
    aws_sdk_ec2::types::Tag,
    aws_sdk_ecs::types::Tag,
    aws_sdk_rds::types::Tag,
    aws_sdk_elasticache::types::Tag,
    aws_sdk_elasticloadbalancingv2::types::Tag,
    aws_sdk_secretsmanager::types::Tag
);

/// Tag types whose key and value are required and whose builder checks them.
macro_rules! required_pair_tag {
    ($($tag:ident),+) => {$(
        impl SdkTag for $tag::types::Tag {
            fn pair(&self) -> Option<(String, String)> {
                Some((self.key().to_string(), self.value().to_string()))
            }

            fn make(key: &str, value: &str) -> Result<Self, AwsError> {
                $tag::types::Tag::builder()
                    .key(key)
                    .value(value)
                    .build()
                    .map_err(|e| AwsError::unexpected(e.to_string()))
            }
        }
    )+};
}

required_pair_tag!(
    aws_sdk_iam,
    aws_sdk_servicediscovery,
    aws_sdk_sns,
    aws_sdk_scheduler
);

/// Tag types whose key is required (the builder checks it) and whose value is optional.
macro_rules! required_key_tag {
    ($($tag:ident),+) => {$(
        impl SdkTag for $tag::types::Tag {
            fn pair(&self) -> Option<(String, String)> {
                Some((
                    self.key().to_string(),
                    self.value().unwrap_or_default().to_string(),
                ))
            }

            fn make(key: &str, value: &str) -> Result<Self, AwsError> {
                $tag::types::Tag::builder()
                    .key(key)
                    .value(value)
                    .build()
                    .map_err(|e| AwsError::unexpected(e.to_string()))
            }
        }
    )+};
}

required_key_tag!(aws_sdk_acm, aws_sdk_cloudfront);

/// An SDK's tag list as our map.
pub fn from_sdk<T: SdkTag>(tags: &[T]) -> Tags {
    tags.iter().filter_map(SdkTag::pair).collect()
}

/// Our map as an SDK's tag list.
pub fn to_sdk<T: SdkTag>(tags: &Tags) -> Result<Vec<T>, AwsError> {
    tags.iter().map(|(k, v)| T::make(k, v)).collect()
}

/// True when an SDK tag list carries the owner and node tags of `spec_tags`.
pub fn owned_by<T: SdkTag>(tags: &[T], spec_tags: &Tags) -> bool {
    ownership::owned_by(&from_sdk(tags), spec_tags)
}

/// The object of an EC2 listing (ID → object) carrying the owner and node tags of
/// `spec_tags`: what an adopt-first lookup adopts. When several do (duplicates made by hand),
/// the lowest ID, so every lookup picks the same one.
pub fn owned_in<'a, O>(
    listing: &'a HashMap<String, O>,
    tags_of: impl Fn(&'a O) -> &'a [aws_sdk_ec2::types::Tag],
    spec_tags: &Tags,
) -> Option<(&'a str, &'a O)> {
    listing
        .iter()
        .filter(|(_, object)| owned_by(tags_of(object), spec_tags))
        .min_by_key(|(id, _)| id.as_str())
        .map(|(id, object)| (id.as_str(), object))
}

/// EC2 tags applied in the create call itself, so nothing exists untagged.
pub fn specification(resource: ResourceType, tags: &Tags) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(resource)
        .set_tags(to_sdk(tags).ok())
        .build()
}

/// EC2 filters matching an object by its owner and node tags, for adoption.
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

/// The EC2 filter matching every object of one owner.
pub fn owner_filter(owner: &str) -> Filter {
    Filter::builder()
        .name(format!("tag:{TAG_OWNER}"))
        .values(owner)
        .build()
}

/// Makes the EC2 tags on `resource_id` equal `desired`: adds or changes, then removes extras.
pub async fn sync_tags(
    ec2: &aws_sdk_ec2::Client,
    resource_id: &str,
    current: &Tags,
    desired: &Tags,
) -> Result<(), AwsError> {
    let (changed, removed) = ownership::tag_changes(current, desired);
    if !changed.is_empty() {
        ec2.create_tags()
            .resources(resource_id)
            .set_tags(Some(to_sdk(&changed)?))
            .send()
            .await
            .map_err(classify)?;
    }
    if !removed.is_empty() {
        let removed = removed
            .iter()
            .map(|k| aws_sdk_ec2::types::Tag::builder().key(k).build())
            .collect();
        ec2.delete_tags()
            .resources(resource_id)
            .set_tags(Some(removed))
            .send()
            .await
            .map_err(classify)?;
    }
    Ok(())
}
