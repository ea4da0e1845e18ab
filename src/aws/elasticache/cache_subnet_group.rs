//! ElastiCache Subnet Group; the ledger ID is its name.
//!
//! Its steps are the ones both subnet group kinds share (`aws::common::subnet_group`): read by
//! name with its tags, once per environment through the shared reads, and adopted by name and
//! ownership tags. This file holds its spec and the ElastiCache calls.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{Node, NodeKey, Tags};

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

    fn hourly_charge(&self, _graph: &BTreeMap<NodeKey, Node>) -> Option<(&'static str, f64)> {
        None
    }
}

#[cfg(feature = "sdk")]
mod sdk {
    use aws_sdk_elasticache::types::CacheSubnetGroup;
    use aws_sdk_elasticache::Client;

    use super::*;
    use crate::aws::common::subnet_group::{
        self, is_named, LiveSubnetGroup, SubnetGroupFields, SubnetGroupKind,
    };
    use crate::aws::common::{elasticache, tags};
    use crate::aws::error::{classify, none_if_not_found, AwsError};
    use crate::aws::kind::{AwsKind, Cx};
    use crate::aws::AwsClients;

    impl AwsKind for CacheSubnetGroupSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            subnet_group::find(cx, spec).await
        }

        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            subnet_group::observe(cx, id, current).await
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            subnet_group::create(cx, spec).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            subnet_group::update(cx, id, current, desired).await
        }

        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            subnet_group::delete::<Self>(cx, id).await
        }
    }

    impl SubnetGroupKind for CacheSubnetGroupSpec {
        type Client = Client;
        const WHAT: &'static str = "cache subnet group";
        const ALREADY_EXISTS: &'static str = "CacheSubnetGroupAlreadyExists";
        const NOT_FOUND: &'static str = "CacheSubnetGroupNotFoundFault";

        fn client(clients: &AwsClients) -> &Client {
            &clients.elasticache
        }

        fn fields(&self) -> SubnetGroupFields<'_> {
            SubnetGroupFields {
                name: &self.name,
                description: &self.description,
                subnets: &self.subnets,
                tags: &self.tags,
            }
        }

        fn from_fields(fields: SubnetGroupFields<'_>) -> Self {
            CacheSubnetGroupSpec {
                name: fields.name.to_string(),
                description: fields.description.to_string(),
                subnets: fields.subnets.to_vec(),
                tags: fields.tags.clone(),
            }
        }

        async fn describe(
            client: &Client,
            name: &str,
        ) -> Result<Option<LiveSubnetGroup>, AwsError> {
            let out = none_if_not_found(
                client
                    .describe_cache_subnet_groups()
                    .cache_subnet_group_name(name)
                    .send()
                    .await
                    .map_err(classify),
            )?;
            let Some(group) = out.as_ref().and_then(|o| {
                o.cache_subnet_groups()
                    .iter()
                    .find(|g| is_named(g.cache_subnet_group_name(), name))
            }) else {
                return Ok(None);
            };
            Ok(Some(LiveSubnetGroup {
                name: group.cache_subnet_group_name().unwrap_or(name).to_string(),
                description: group
                    .cache_subnet_group_description()
                    .unwrap_or_default()
                    .to_string(),
                subnet_ids: group
                    .subnets()
                    .iter()
                    .filter_map(|s| s.subnet_identifier())
                    .map(str::to_string)
                    .collect(),
                arn: group
                    .arn()
                    .ok_or_else(|| {
                        AwsError::unexpected("DescribeCacheSubnetGroups returned no ARN")
                    })?
                    .to_string(),
                tags: Tags::new(),
            }))
        }

        async fn list_tags(client: &Client, arn: &str) -> Result<Tags, AwsError> {
            elasticache::list_tags(client, arn).await
        }

        async fn create_group(
            client: &Client,
            spec: SubnetGroupFields<'_>,
            subnet_ids: Vec<String>,
        ) -> Result<String, AwsError> {
            let out = client
                .create_cache_subnet_group()
                .cache_subnet_group_name(spec.name)
                .cache_subnet_group_description(spec.description)
                .set_subnet_ids(Some(subnet_ids))
                .set_tags(Some(tags::to_sdk(spec.tags)?))
                .send()
                .await
                .map_err(classify)?;
            Ok(out
                .cache_subnet_group()
                .and_then(CacheSubnetGroup::cache_subnet_group_name)
                .unwrap_or(spec.name)
                .to_string())
        }

        /// (The emulator does not implement this call.)
        async fn modify_group(
            client: &Client,
            name: &str,
            description: &str,
            subnet_ids: Vec<String>,
        ) -> Result<(), AwsError> {
            client
                .modify_cache_subnet_group()
                .cache_subnet_group_name(name)
                .cache_subnet_group_description(description)
                .set_subnet_ids(Some(subnet_ids))
                .send()
                .await
                .map_err(classify)?;
            Ok(())
        }

        async fn sync_tags(
            client: &Client,
            arn: &str,
            current: &Tags,
            desired: &Tags,
        ) -> Result<(), AwsError> {
            elasticache::sync_tags(client, arn, current, desired).await
        }

        /// A group still used by a cluster answers `CacheSubnetGroupInUse`. (The emulator does not
        /// implement this call.)
        async fn delete_group(client: &Client, name: &str) -> Result<(), AwsError> {
            client
                .delete_cache_subnet_group()
                .cache_subnet_group_name(name)
                .send()
                .await
                .map_err(classify)?;
            Ok(())
        }
    }
}
