//! ElastiCache Subnet Group; the ledger ID is its name.
//!
//! ElastiCache stores names in lower case and looks them up case-insensitively, so names are compared
//! that way and the spec's spelling is kept when it differs only in case.

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{NodeKey, Tags};

/// An ElastiCache subnet group on the data tier; its ledger ID is its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheSubnetGroupSpec {
    pub name: String,
    pub description: String,
    /// Sorted.
    pub subnets: Vec<NodeKey>,
    pub tags: Tags,
}

impl KindSpec for CacheSubnetGroupSpec {
    const PREFIX: &'static str = "elasticache.subnet_group";
    const DISPLAY_NAME: &'static str = "ElastiCache Subnet Group";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "elasticache:AddTagsToResource",
        "elasticache:CreateCacheSubnetGroup",
        "elasticache:DeleteCacheSubnetGroup",
        "elasticache:DescribeCacheSubnetGroups",
        "elasticache:ListTagsForResource",
        "elasticache:ModifyCacheSubnetGroup",
        "elasticache:RemoveTagsFromResource",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        self.subnets.iter().map(Reference::update).collect()
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[("name", self.name != d.name)])
    }
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use super::*;
    use aws_sdk_elasticache::types::{CacheSubnetGroup, Tag};
    use aws_sdk_elasticache::Client;

    use crate::apply::IdMap;
    use crate::aws::common::keys::key_of;
    use crate::aws::common::ownership::{name_taken, owned_by, tag_changes};
    use crate::aws::error::{classify, is_code, none_if_not_found, AwsError};
    use crate::plan::node::{Kind, Tags};

    /// A create that lost a race (or follows a crash): the group exists, so adopt it.
    const ALREADY_EXISTS: &str = "CacheSubnetGroupAlreadyExists";

    // find

    pub async fn find_cache_subnet_group_by_name(
        client: &Client,
        name: &str,
    ) -> Result<Option<CacheSubnetGroup>, AwsError> {
        let out = none_if_not_found(
            client
                .describe_cache_subnet_groups()
                .cache_subnet_group_name(name)
                .send()
                .await
                .map_err(classify),
        )?;
        Ok(out.and_then(|o| {
            o.cache_subnet_groups()
                .iter()
                .find(|g| {
                    g.cache_subnet_group_name()
                        .is_some_and(|n| n.eq_ignore_ascii_case(name))
                })
                .cloned()
        }))
    }

    pub async fn find_cache_subnet_group_tags(
        client: &Client,
        arn: &str,
    ) -> Result<Tags, AwsError> {
        let out = client
            .list_tags_for_resource()
            .resource_name(arn)
            .send()
            .await
            .map_err(classify)?;
        Ok(flatten_tags(out.tag_list()))
    }

    fn arn_of(group: &CacheSubnetGroup) -> Result<&str, AwsError> {
        group
            .arn()
            .ok_or_else(|| AwsError::unexpected("DescribeCacheSubnetGroups returned no ARN"))
    }

    /// The group as a spec, tags included; `None` when it is gone.
    async fn read_cache_subnet_group(
        client: &Client,
        name: &str,
        spec_name: &str,
        ids: &IdMap,
    ) -> Result<Option<(CacheSubnetGroup, CacheSubnetGroupSpec)>, AwsError> {
        let Some(group) = find_cache_subnet_group_by_name(client, name).await? else {
            return Ok(None);
        };
        let Some(tags) =
            none_if_not_found(find_cache_subnet_group_tags(client, arn_of(&group)?).await)?
        else {
            return Ok(None);
        };
        let spec = flatten_cache_subnet_group(&group, spec_name, tags, ids);
        Ok(Some((group, spec)))
    }

    /// The ledger ID of an existing object carrying the spec's ownership tags, without changing
    /// anything (import and discovery); `None` when there is none.
    pub async fn find_owned_cache_subnet_group(
        client: &Client,
        spec: &CacheSubnetGroupSpec,
        ids: &IdMap,
    ) -> Result<Option<String>, AwsError> {
        Ok(read_cache_subnet_group(client, &spec.name, &spec.name, ids)
            .await?
            .filter(|(_, found)| owned_by(&found.tags, &spec.tags))
            .and_then(|(g, _)| g.cache_subnet_group_name().map(str::to_string)))
    }

    // create, update, delete

    /// Adopts the group of this name when it carries our ownership tags, reconciling it to the
    /// spec; refuses a group someone else owns. `None` when no group has the name.
    async fn adopt_cache_subnet_group(
        client: &Client,
        spec: &CacheSubnetGroupSpec,
        ids: &IdMap,
    ) -> Result<Option<String>, AwsError> {
        let Some((group, current)) =
            read_cache_subnet_group(client, &spec.name, &spec.name, ids).await?
        else {
            return Ok(None);
        };
        if !owned_by(&current.tags, &spec.tags) {
            return Err(name_taken("cache subnet group", &spec.name));
        }
        let id = group.cache_subnet_group_name().unwrap_or(&spec.name);
        update_cache_subnet_group(client, id, &current, spec, ids)
            .await
            .map(Some)
    }

    fn subnet_ids(spec: &CacheSubnetGroupSpec, ids: &IdMap) -> Result<Vec<String>, AwsError> {
        spec.subnets
            .iter()
            .map(|key| {
                ids.id(key)
                    .map(str::to_string)
                    .map_err(|e| AwsError::unexpected(e.message))
            })
            .collect()
    }

    /// Creates the object, or adopts one that already carries the spec's ownership tags (or, for
    /// named kinds, its name and ownership tags). Returns the ledger ID.
    pub async fn create_cache_subnet_group(
        client: &Client,
        spec: &CacheSubnetGroupSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        if let Some(name) = adopt_cache_subnet_group(client, spec, ids).await? {
            return Ok(name);
        }
        // Tags go in the create call, so the group never exists untagged.
        let out = match client
            .create_cache_subnet_group()
            .cache_subnet_group_name(&spec.name)
            .cache_subnet_group_description(&spec.description)
            .set_subnet_ids(Some(subnet_ids(spec, ids)?))
            .set_tags(Some(expand_tags(&spec.tags)))
            .send()
            .await
            .map_err(classify)
        {
            Ok(out) => out,
            Err(e) if is_code(&e, ALREADY_EXISTS) => {
                return adopt_cache_subnet_group(client, spec, ids)
                    .await?
                    .ok_or_else(|| {
                        AwsError::unexpected("the cache subnet group exists but cannot be read")
                    });
            }
            Err(e) => return Err(e),
        };
        // The name as ElastiCache stores it (lower case), so later lookups match exactly.
        Ok(out
            .cache_subnet_group()
            .and_then(CacheSubnetGroup::cache_subnet_group_name)
            .unwrap_or(&spec.name)
            .to_string())
    }

    /// Brings the object with ledger ID `id` from `current` to `desired` in place. Returns the
    /// ledger ID (unchanged unless the kind's ID changes on update).
    pub async fn update_cache_subnet_group(
        client: &Client,
        id: &str,
        current: &CacheSubnetGroupSpec,
        desired: &CacheSubnetGroupSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        if current.subnets != desired.subnets || current.description != desired.description {
            // The subnet list replaces the group's. (The emulator does not implement this call.)
            client
                .modify_cache_subnet_group()
                .cache_subnet_group_name(id)
                .cache_subnet_group_description(&desired.description)
                .set_subnet_ids(Some(subnet_ids(desired, ids)?))
                .send()
                .await
                .map_err(classify)?;
        }
        let (changed, removed) = tag_changes(&current.tags, &desired.tags);
        if !changed.is_empty() || !removed.is_empty() {
            let group = find_cache_subnet_group_by_name(client, id)
                .await?
                .ok_or_else(|| AwsError::NotFound {
                    code: "CacheSubnetGroupNotFoundFault".into(),
                })?;
            let arn = arn_of(&group)?;
            if !changed.is_empty() {
                client
                    .add_tags_to_resource()
                    .resource_name(arn)
                    .set_tags(Some(expand_tags(&changed)))
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
        }
        Ok(id.to_string())
    }

    /// Deletes the object; absence is success. A group still used by a cluster answers
    /// `CacheSubnetGroupInUse`, classified as in use and retried by the engine.
    /// (The emulator does not implement this call.)
    pub async fn delete_cache_subnet_group(client: &Client, id: &str) -> Result<(), AwsError> {
        none_if_not_found(
            client
                .delete_cache_subnet_group()
                .cache_subnet_group_name(id)
                .send()
                .await
                .map_err(classify),
        )?;
        Ok(())
    }

    /// Reads the object as it is now, with references turned back into node keys; `None` when it
    /// no longer exists.
    pub async fn observe_cache_subnet_group(
        client: &Client,
        id: &str,
        current: &CacheSubnetGroupSpec,
        ids: &IdMap,
    ) -> Result<Option<CacheSubnetGroupSpec>, AwsError> {
        Ok(read_cache_subnet_group(client, id, &current.name, ids)
            .await?
            .map(|(_, spec)| spec))
    }

    // expand, flatten

    fn expand_tags(tags: &Tags) -> Vec<Tag> {
        tags.iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect()
    }

    fn flatten_tags(tags: &[Tag]) -> Tags {
        tags.iter()
            .filter_map(|t| {
                Some((
                    t.key()?.to_string(),
                    t.value().unwrap_or_default().to_string(),
                ))
            })
            .collect()
    }

    /// `spec_name` is the spelling the spec uses; it is kept when ElastiCache's differs only in case.
    pub fn flatten_cache_subnet_group(
        group: &CacheSubnetGroup,
        spec_name: &str,
        tags: Tags,
        ids: &IdMap,
    ) -> CacheSubnetGroupSpec {
        let name = group.cache_subnet_group_name().unwrap_or_default();
        let name = if name.eq_ignore_ascii_case(spec_name) {
            spec_name
        } else {
            name
        };
        let mut subnets: Vec<_> = group
            .subnets()
            .iter()
            .filter_map(|s| s.subnet_identifier())
            .map(|id| key_of(ids, Kind::Subnet, id))
            .collect();
        subnets.sort();
        CacheSubnetGroupSpec {
            name: name.to_string(),
            description: group
                .cache_subnet_group_description()
                .unwrap_or_default()
                .to_string(),
            subnets,
            tags,
        }
    }

    impl crate::aws::kind::AwsKind for CacheSubnetGroupSpec {
        async fn find(
            cx: &crate::aws::kind::Cx<'_>,
            spec: &Self,
        ) -> Result<Option<String>, AwsError> {
            find_owned_cache_subnet_group(&cx.clients.elasticache, spec, cx.ids).await
        }

        async fn observe(
            cx: &crate::aws::kind::Cx<'_>,
            id: &str,
            current: &Self,
        ) -> Result<Option<Self>, AwsError> {
            observe_cache_subnet_group(&cx.clients.elasticache, id, current, cx.ids).await
        }

        async fn create(cx: &crate::aws::kind::Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_cache_subnet_group(&cx.clients.elasticache, spec, cx.ids).await
        }

        async fn update(
            cx: &crate::aws::kind::Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_cache_subnet_group(&cx.clients.elasticache, id, current, desired, cx.ids).await
        }

        async fn delete(
            cx: &crate::aws::kind::Cx<'_>,
            id: &str,
            _current: &Self,
        ) -> Result<(), AwsError> {
            delete_cache_subnet_group(&cx.clients.elasticache, id).await
        }
    }
}
