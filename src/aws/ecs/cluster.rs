//! ECS Cluster; the ledger ID is the cluster ARN.

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::Tags;

/// An ECS cluster; its ledger ID is the cluster ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcsClusterSpec {
    pub name: String,
    /// `disabled`, `enabled` or `enhanced`.
    pub container_insights: String,
    /// Sorted.
    pub capacity_providers: Vec<String>,
    /// Items with weight 0 and base 0 are left out, as ECS does.
    pub default_strategy: Vec<CapacityProviderStrategyItem>,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapacityProviderStrategyItem {
    /// `FARGATE` or `FARGATE_SPOT`.
    pub provider: String,
    pub weight: i32,
    pub base: i32,
}

impl KindSpec for EcsClusterSpec {
    const PREFIX: &'static str = "ecs.cluster";
    const DISPLAY_NAME: &'static str = "ECS Cluster";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "ecs:CreateCluster",
        "ecs:DeleteCluster",
        "ecs:DescribeClusters",
        "ecs:PutClusterCapacityProviders",
        "ecs:TagResource",
        "ecs:UntagResource",
        "ecs:UpdateCluster",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        vec![]
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
    use aws_sdk_ecs::types::{
        CapacityProviderStrategyItem as SdkStrategyItem, Cluster, ClusterField, ClusterSetting,
        ClusterSettingName, Tag,
    };
    use aws_sdk_ecs::Client;

    use crate::apply::IdMap;
    use crate::aws::common::ownership::{name_taken, owned_by, tag_changes};
    use crate::aws::error::{classify, none_if_not_found, AwsError};
    use crate::plan::node::Tags;

    /// DescribeClusters reports an unknown cluster as a failure with this reason, not an error.
    const REASON_MISSING: &str = "MISSING";
    /// A deleted cluster stays describable for a while with this status.
    const STATUS_INACTIVE: &str = "INACTIVE";
    /// What ECS reports when the containerInsights setting was never set.
    const INSIGHTS_DEFAULT: &str = "disabled";

    // find

    /// The cluster by name or ARN, tags and settings included; `None` when missing or inactive.
    pub async fn find_cluster(client: &Client, cluster: &str) -> Result<Option<Cluster>, AwsError> {
        let Some(out) = none_if_not_found(
            client
                .describe_clusters()
                .clusters(cluster)
                .include(ClusterField::Tags)
                .include(ClusterField::Settings)
                .send()
                .await
                .map_err(classify),
        )?
        else {
            return Ok(None);
        };
        if out
            .failures()
            .iter()
            .any(|f| f.reason() == Some(REASON_MISSING))
        {
            return Ok(None);
        }
        Ok(out
            .clusters()
            .iter()
            .find(|c| c.status() != Some(STATUS_INACTIVE))
            .cloned())
    }

    /// The ledger ID of an existing object carrying the spec's ownership tags, without changing
    /// anything (import and discovery); `None` when there is none.
    pub async fn find_owned_cluster(
        client: &Client,
        spec: &EcsClusterSpec,
    ) -> Result<Option<String>, AwsError> {
        Ok(find_cluster(client, &spec.name)
            .await?
            .filter(|c| owned_by(&flatten_cluster(c).tags, &spec.tags))
            .and_then(|c| c.cluster_arn().map(str::to_string)))
    }

    // create, update, delete

    /// Adopts the active cluster of this name when it carries our ownership tags, reconciling it
    /// to the spec; refuses a cluster someone else owns. `None` when no live cluster has it.
    async fn adopt_cluster(
        client: &Client,
        spec: &EcsClusterSpec,
        ids: &IdMap,
    ) -> Result<Option<String>, AwsError> {
        let Some(cluster) = find_cluster(client, &spec.name).await? else {
            return Ok(None);
        };
        let current = flatten_cluster(&cluster);
        if !owned_by(&current.tags, &spec.tags) {
            return Err(name_taken("ECS cluster", &spec.name));
        }
        let arn = cluster
            .cluster_arn()
            .ok_or_else(|| AwsError::unexpected("DescribeClusters returned no ARN"))?;
        update_cluster(client, arn, &current, spec, ids)
            .await
            .map(Some)
    }

    /// Creates the object, or adopts one that already carries the spec's ownership tags (or, for
    /// named kinds, its name and ownership tags). Returns the ledger ID.
    pub async fn create_cluster(
        client: &Client,
        spec: &EcsClusterSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        // CreateCluster returns an existing active cluster of the same name rather than failing,
        // so the ownership check must come first.
        if let Some(arn) = adopt_cluster(client, spec, ids).await? {
            return Ok(arn);
        }
        let mut request = client
            .create_cluster()
            .cluster_name(&spec.name)
            .settings(expand_insights(&spec.container_insights))
            .set_tags(Some(expand_tags(&spec.tags)));
        if !spec.capacity_providers.is_empty() {
            request = request.set_capacity_providers(Some(spec.capacity_providers.clone()));
        }
        if !spec.default_strategy.is_empty() {
            request = request.set_default_capacity_provider_strategy(Some(expand_strategy(
                &spec.default_strategy,
            )?));
        }
        let out = request.send().await.map_err(classify)?;
        out.cluster()
            .and_then(Cluster::cluster_arn)
            .map(str::to_string)
            .ok_or_else(|| AwsError::unexpected("CreateCluster returned no ARN"))
    }

    /// Brings the object with ledger ID `id` from `current` to `desired` in place. Returns the
    /// ledger ID (unchanged unless the kind's ID changes on update).
    pub async fn update_cluster(
        client: &Client,
        id: &str,
        current: &EcsClusterSpec,
        desired: &EcsClusterSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        let _ = ids;
        if current.container_insights != desired.container_insights {
            // UpdateCluster with settings: valid on AWS, and UpdateClusterSettings is not
            // implemented by the emulator.
            client
                .update_cluster()
                .cluster(id)
                .settings(expand_insights(&desired.container_insights))
                .send()
                .await
                .map_err(classify)?;
        }
        if current.capacity_providers != desired.capacity_providers
            || current.default_strategy != desired.default_strategy
        {
            // Both lists are required and replace what the cluster has.
            client
                .put_cluster_capacity_providers()
                .cluster(id)
                .set_capacity_providers(Some(desired.capacity_providers.clone()))
                .set_default_capacity_provider_strategy(Some(expand_strategy(
                    &desired.default_strategy,
                )?))
                .send()
                .await
                .map_err(classify)?;
        }
        let (changed, removed) = tag_changes(&current.tags, &desired.tags);
        if !changed.is_empty() {
            client
                .tag_resource()
                .resource_arn(id)
                .set_tags(Some(expand_tags(&changed)))
                .send()
                .await
                .map_err(classify)?;
        }
        if !removed.is_empty() {
            client
                .untag_resource()
                .resource_arn(id)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(classify)?;
        }
        Ok(id.to_string())
    }

    /// Deletes the object; absence is success. `ClusterContains*` (services, tasks, instances
    /// still there) is classified as in use and retried by the engine.
    pub async fn delete_cluster(client: &Client, id: &str) -> Result<(), AwsError> {
        none_if_not_found(
            client
                .delete_cluster()
                .cluster(id)
                .send()
                .await
                .map_err(classify),
        )?;
        Ok(())
    }

    /// Reads the object as it is now, with references turned back into node keys; `None` when it
    /// no longer exists.
    pub async fn observe_cluster(
        client: &Client,
        id: &str,
        current: &EcsClusterSpec,
        ids: &IdMap,
    ) -> Result<Option<EcsClusterSpec>, AwsError> {
        let _ = (current, ids);
        Ok(find_cluster(client, id).await?.map(|c| flatten_cluster(&c)))
    }

    // expand, flatten

    fn expand_insights(value: &str) -> ClusterSetting {
        ClusterSetting::builder()
            .name(ClusterSettingName::ContainerInsights)
            .value(value)
            .build()
    }

    fn expand_strategy(
        items: &[CapacityProviderStrategyItem],
    ) -> Result<Vec<SdkStrategyItem>, AwsError> {
        items
            .iter()
            .map(|item| {
                SdkStrategyItem::builder()
                    .capacity_provider(&item.provider)
                    .weight(item.weight)
                    .base(item.base)
                    .build()
                    .map_err(|e| AwsError::unexpected(e.to_string()))
            })
            .collect()
    }

    fn expand_tags(tags: &Tags) -> Vec<Tag> {
        tags.iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect()
    }

    pub fn flatten_cluster(cluster: &Cluster) -> EcsClusterSpec {
        let container_insights = cluster
            .settings()
            .iter()
            .find(|s| s.name() == Some(&ClusterSettingName::ContainerInsights))
            .and_then(ClusterSetting::value)
            .unwrap_or(INSIGHTS_DEFAULT)
            .to_string();
        let mut capacity_providers = cluster.capacity_providers().to_vec();
        capacity_providers.sort();
        // ECS leaves out items with weight 0 and base 0, and so does the spec.
        let mut default_strategy: Vec<CapacityProviderStrategyItem> = cluster
            .default_capacity_provider_strategy()
            .iter()
            .filter(|i| i.weight() != 0 || i.base() != 0)
            .map(|i| CapacityProviderStrategyItem {
                provider: i.capacity_provider().to_string(),
                weight: i.weight(),
                base: i.base(),
            })
            .collect();
        default_strategy.sort_by(|a, b| a.provider.cmp(&b.provider));
        EcsClusterSpec {
            name: cluster.cluster_name().unwrap_or_default().to_string(),
            container_insights,
            capacity_providers,
            default_strategy,
            tags: cluster
                .tags()
                .iter()
                .filter_map(|t| {
                    Some((
                        t.key()?.to_string(),
                        t.value().unwrap_or_default().to_string(),
                    ))
                })
                .collect(),
        }
    }

    impl crate::aws::kind::AwsKind for EcsClusterSpec {
        async fn find(
            cx: &crate::aws::kind::Cx<'_>,
            spec: &Self,
        ) -> Result<Option<String>, AwsError> {
            find_owned_cluster(&cx.clients.ecs, spec).await
        }

        async fn observe(
            cx: &crate::aws::kind::Cx<'_>,
            id: &str,
            current: &Self,
        ) -> Result<Option<Self>, AwsError> {
            observe_cluster(&cx.clients.ecs, id, current, cx.ids).await
        }

        async fn create(cx: &crate::aws::kind::Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_cluster(&cx.clients.ecs, spec, cx.ids).await
        }

        async fn update(
            cx: &crate::aws::kind::Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_cluster(&cx.clients.ecs, id, current, desired, cx.ids).await
        }

        async fn delete(
            cx: &crate::aws::kind::Cx<'_>,
            id: &str,
            _current: &Self,
        ) -> Result<(), AwsError> {
            delete_cluster(&cx.clients.ecs, id).await
        }
    }
}
