//! ECS Cluster; the ledger ID is the cluster ARN.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{Node, NodeKey, Tags};

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
    /// The Cloud Map namespace new services use for Service Connect by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_connect_namespace: Option<NodeKey>,
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
        "servicediscovery:GetNamespace",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        self.service_connect_namespace
            .iter()
            .map(Reference::update)
            .collect()
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
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use aws_sdk_ecs::types::{
        CapacityProviderStrategyItem as SdkStrategyItem, Cluster, ClusterField,
        ClusterServiceConnectDefaultsRequest, ClusterSetting, ClusterSettingName,
    };
    use aws_sdk_ecs::Client;

    use super::*;
    use crate::aws::common::ecs::{sync_tags, user_tags};
    use crate::aws::common::ownership::{adopt_or_create, owned_by, Found};
    use crate::aws::common::tags::to_sdk;
    use crate::aws::error::{classify, none_if_not_found, AwsError};
    use crate::aws::kind::{AwsKind, Cx};
    use crate::aws::servicediscovery::private_dns_namespace::find_namespace_arn;

    impl AwsKind for EcsClusterSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            find_owned_cluster(&cx.clients.ecs, spec).await
        }

        /// An environment has one cluster: it is described once, by ARN, and shared.
        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            let cluster = cx
                .reads
                .get(&format!("ecs.cluster/{id}"), || {
                    find_cluster(&cx.clients.ecs, id)
                })
                .await?;
            Ok(cluster
                .as_ref()
                .as_ref()
                .map(|c| flatten_cluster(c, recorded_namespace(cx, current))))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_cluster(cx, spec).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_cluster(cx, id, current, desired).await
        }

        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            delete_cluster(&cx.clients.ecs, id).await
        }
    }

    // constants

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

    /// The live cluster holding the spec's name, as adoption sees it.
    async fn find_cluster_by_name(
        client: &Client,
        name: &str,
    ) -> Result<Option<Found<EcsClusterSpec>>, AwsError> {
        let Some(cluster) = find_cluster(client, name).await? else {
            return Ok(None);
        };
        let id = cluster
            .cluster_arn()
            .ok_or_else(|| AwsError::unexpected("DescribeClusters returned no ARN"))?
            .to_string();
        // Adoption re-applies the namespace default: it is read as unset here.
        let current = flatten_cluster(&cluster, None);
        Ok(Some(Found {
            id,
            tags: current.tags.clone(),
            current,
        }))
    }

    /// The ARN of the live cluster of the spec's name when it carries the spec's ownership
    /// tags; `None` otherwise. Changes nothing.
    pub async fn find_owned_cluster(
        client: &Client,
        spec: &EcsClusterSpec,
    ) -> Result<Option<String>, AwsError> {
        Ok(find_cluster_by_name(client, &spec.name)
            .await?
            .filter(|found| owned_by(&found.tags, &spec.tags))
            .map(|found| found.id))
    }

    // create, update, delete

    /// Creates the cluster, or adopts the live one of its name carrying the spec's ownership
    /// tags (reconciled to the spec). Returns the cluster ARN.
    pub async fn create_cluster(cx: &Cx<'_>, spec: &EcsClusterSpec) -> Result<String, AwsError> {
        let client = &cx.clients.ecs;
        // CreateCluster answers with an existing active cluster of the same name rather than
        // failing, so no error code means "already exists" and the lookup must come first.
        adopt_or_create(
            "ECS cluster",
            &spec.name,
            &spec.tags,
            &[],
            || find_cluster_by_name(client, &spec.name),
            |found| async move { update_cluster(cx, &found.id, &found.current, spec).await },
            || register_cluster(cx, spec),
        )
        .await
    }

    async fn register_cluster(cx: &Cx<'_>, spec: &EcsClusterSpec) -> Result<String, AwsError> {
        let mut request = cx
            .clients
            .ecs
            .create_cluster()
            .cluster_name(&spec.name)
            .settings(expand_insights(&spec.container_insights))
            .set_tags(Some(to_sdk(&spec.tags)?));
        if !spec.capacity_providers.is_empty() {
            request = request.set_capacity_providers(Some(spec.capacity_providers.clone()));
        }
        if !spec.default_strategy.is_empty() {
            request = request.set_default_capacity_provider_strategy(Some(expand_strategy(
                &spec.default_strategy,
            )?));
        }
        if let Some(namespace) = &spec.service_connect_namespace {
            request = request.service_connect_defaults(
                ClusterServiceConnectDefaultsRequest::builder()
                    .namespace(namespace_arn(cx, namespace).await?)
                    .build()
                    .map_err(|e| AwsError::unexpected(e.to_string()))?,
            );
        }
        let out = request.send().await.map_err(classify)?;
        out.cluster()
            .and_then(Cluster::cluster_arn)
            .map(str::to_string)
            .ok_or_else(|| AwsError::unexpected("CreateCluster returned no ARN"))
    }

    /// Brings the cluster with ARN `id` from `current` to `desired` in place; returns the ARN.
    pub async fn update_cluster(
        cx: &Cx<'_>,
        id: &str,
        current: &EcsClusterSpec,
        desired: &EcsClusterSpec,
    ) -> Result<String, AwsError> {
        let client = &cx.clients.ecs;
        // A replaced namespace keeps its key, so an update (which the engine also runs when
        // the namespace got a new ID) always sets a wanted default; UpdateCluster is idempotent.
        if desired.service_connect_namespace.is_some()
            || current.service_connect_namespace.is_some()
        {
            // An empty namespace removes the default (ECS's documented way).
            let namespace = match &desired.service_connect_namespace {
                Some(key) => namespace_arn(cx, key).await?,
                None => String::new(),
            };
            client
                .update_cluster()
                .cluster(id)
                .service_connect_defaults(
                    ClusterServiceConnectDefaultsRequest::builder()
                        .namespace(namespace)
                        .build()
                        .map_err(|e| AwsError::unexpected(e.to_string()))?,
                )
                .send()
                .await
                .map_err(classify)?;
        }
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
        sync_tags(client, id, &current.tags, &desired.tags).await?;
        Ok(id.to_string())
    }

    /// Deletes the cluster; absence is success. `ClusterContains*` (services, tasks, instances
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

    // expand, flatten

    fn expand_insights(value: &str) -> ClusterSetting {
        ClusterSetting::builder()
            .name(ClusterSettingName::ContainerInsights)
            .value(value)
            .build()
    }

    pub(crate) fn expand_strategy(
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

    /// ECS leaves out items with weight 0 and base 0, and so does the spec.
    pub(crate) fn flatten_strategy(items: &[SdkStrategyItem]) -> Vec<CapacityProviderStrategyItem> {
        items
            .iter()
            .filter(|i| i.weight() != 0 || i.base() != 0)
            .map(|i| CapacityProviderStrategyItem {
                provider: i.capacity_provider().to_string(),
                weight: i.weight(),
                base: i.base(),
            })
            .collect()
    }

    /// The namespace ARN ECS wants for a namespace child (its ledger ID is the `ns-…` ID).
    async fn namespace_arn(cx: &Cx<'_>, key: &NodeKey) -> Result<String, AwsError> {
        let id = cx
            .ids
            .id(key)
            .map_err(|e| AwsError::unexpected(e.message))?;
        find_namespace_arn(&cx.clients.servicediscovery, id).await
    }

    /// The recorded namespace reference with the ID it has now, for reading the cluster back.
    fn recorded_namespace<'a>(
        cx: &Cx<'_>,
        current: &'a EcsClusterSpec,
    ) -> Option<(&'a NodeKey, String)> {
        let key = current.service_connect_namespace.as_ref()?;
        Some((key, cx.ids.id(key).ok()?.to_string()))
    }

    /// The cluster as a spec. ECS reports the default namespace as an ARN, which ends in the
    /// namespace's ID: it reads back as `namespace`'s key when the IDs match, and as unset
    /// otherwise (another namespace, or none), so the next apply sets ours again.
    pub fn flatten_cluster(
        cluster: &Cluster,
        namespace: Option<(&NodeKey, String)>,
    ) -> EcsClusterSpec {
        let live_namespace = cluster
            .service_connect_defaults()
            .and_then(|d| d.namespace())
            .unwrap_or_default();
        let service_connect_namespace = namespace
            .filter(|(_, id)| !id.is_empty() && live_namespace.ends_with(&format!("/{id}")))
            .map(|(key, _)| key.clone());
        let container_insights = cluster
            .settings()
            .iter()
            .find(|s| s.name() == Some(&ClusterSettingName::ContainerInsights))
            .and_then(ClusterSetting::value)
            .unwrap_or(INSIGHTS_DEFAULT)
            .to_string();
        let mut capacity_providers = cluster.capacity_providers().to_vec();
        capacity_providers.sort();
        let mut default_strategy = flatten_strategy(cluster.default_capacity_provider_strategy());
        default_strategy.sort_by(|a, b| a.provider.cmp(&b.provider));
        EcsClusterSpec {
            name: cluster.cluster_name().unwrap_or_default().to_string(),
            container_insights,
            capacity_providers,
            default_strategy,
            service_connect_namespace,
            tags: user_tags(cluster.tags()),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::plan::node::Kind;
        use aws_sdk_ecs::types::ClusterServiceConnectDefaults;

        #[test]
        fn the_default_namespace_reads_back_as_its_key_only_when_it_is_ours() {
            let key = NodeKey::new(Kind::PrivateDnsNamespace, &[]);
            let cluster = |namespace: Option<&str>| {
                let mut c = Cluster::builder().cluster_name("prod");
                if let Some(arn) = namespace {
                    c = c.service_connect_defaults(
                        ClusterServiceConnectDefaults::builder()
                            .namespace(arn)
                            .build(),
                    );
                }
                c.build()
            };
            let ours = "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-1";
            let other = "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-2";
            let recorded = || Some((&key, "ns-1".to_string()));
            assert_eq!(
                flatten_cluster(&cluster(Some(ours)), recorded()).service_connect_namespace,
                Some(key.clone())
            );
            assert_eq!(
                flatten_cluster(&cluster(Some(other)), recorded()).service_connect_namespace,
                None
            );
            assert_eq!(
                flatten_cluster(&cluster(None), recorded()).service_connect_namespace,
                None
            );
            assert_eq!(
                flatten_cluster(&cluster(Some(ours)), None).service_connect_namespace,
                None
            );
        }
    }
}
