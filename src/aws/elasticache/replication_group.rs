//! ElastiCache replication group (cluster mode disabled: one shard, a primary and `replicas`
//! read replicas); the ledger ID is the replication group ID.
//!
//! DescribeReplicationGroups reports neither the engine version, the maintenance window nor
//! the security groups; they are read from a member cache cluster, falling back to the
//! recorded spec when no member can be described. The auth token is read from its secret at
//! create and never logged or put in an error.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::cost;
use crate::plan::node::{Node, NodeKey, Tags};

/// An ElastiCache replication group (cluster mode disabled); its ledger ID is its ID.
/// Encryption in transit and at rest is always on, with an auth token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicationGroupSpec {
    /// At most 40 characters, lowercase.
    pub id: String,
    pub description: String,
    /// `valkey` or `redis`.
    pub engine: String,
    /// Major version, e.g. `8` for valkey or `7` for redis.
    pub engine_version: String,
    pub node_type: String,
    /// Read replicas besides the primary.
    pub replicas: u32,
    pub multi_az: bool,
    pub automatic_failover: bool,
    /// Its ledger ID is the subnet group name.
    pub subnet_group: NodeKey,
    /// Sorted.
    pub security_groups: Vec<NodeKey>,
    /// `None`: the AWS-managed key. AWS cannot change it.
    pub kms_key_arn: Option<String>,
    /// The secret holding the auth token (a [`SecretContent::RandomToken`]).
    pub auth_token: NodeKey,
    pub port: i32,
    pub snapshot_retention_days: u32,
    pub snapshot_window: Option<String>,
    pub maintenance_window: Option<String>,
    /// Delete takes a final snapshot with a unique, timestamped name.
    pub final_snapshot: bool,
    pub tags: Tags,
}

impl KindSpec for ReplicationGroupSpec {
    const PREFIX: &'static str = "elasticache.replication_group";
    const DISPLAY_NAME: &'static str = "ElastiCache Replication Group";
    // The auth token is read back from its secret to build the connection secret.
    const IAM_ACTIONS: &'static [&'static str] = &[
        "elasticache:AddTagsToResource",
        "elasticache:CreateReplicationGroup",
        "elasticache:DecreaseReplicaCount",
        "elasticache:DeleteReplicationGroup",
        "elasticache:DescribeCacheClusters",
        "elasticache:DescribeReplicationGroups",
        "elasticache:IncreaseReplicaCount",
        "elasticache:ListTagsForResource",
        "elasticache:ModifyReplicationGroup",
        "elasticache:RemoveTagsFromResource",
        "secretsmanager:GetSecretValue",
    ];
    const HOLDS_DATA: bool = true;

    fn references(&self) -> Vec<Reference<'_>> {
        {
            let mut refs = vec![
                Reference::replace(&self.subnet_group),
                Reference::replace(&self.auth_token),
            ];
            refs.extend(self.security_groups.iter().map(Reference::update));
            refs
        }
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[
            ("id", self.id != d.id),
            ("kms_key_arn", self.kms_key_arn != d.kms_key_arn),
            ("subnet_group", self.subnet_group != d.subnet_group),
            ("port", self.port != d.port),
            ("auth_token", self.auth_token != d.auth_token),
            ("engine", self.engine != d.engine && d.engine == "redis"),
        ])
    }

    fn hourly_charge(&self, _graph: &BTreeMap<NodeKey, Node>) -> Option<(&'static str, f64)> {
        Some((
            "cache",
            f64::from(self.replicas + 1) * cost::price(cost::CACHE_NODE_TYPES, &self.node_type),
        ))
    }
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Arc;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use aws_sdk_elasticache::types::{
        AutomaticFailoverStatus, CacheCluster, MultiAzStatus, ReplicationGroup,
    };
    use aws_sdk_elasticache::Client;

    use crate::apply::IdMap;
    use crate::aws::common::keys::key_of;
    use crate::aws::common::keys::resolve;
    use crate::aws::common::ownership::{adopt_or_create, owned_by, Found};
    use crate::aws::common::poll::{poll_until, within, Poll, FIRST_DELAY};
    use crate::aws::common::{elasticache, tags};
    use crate::aws::error::{classify, none_if_not_found, AwsError};
    use crate::aws::kind::{AwsKind, Cx};
    use crate::aws::secretsmanager::secret::secret_string;
    use crate::aws::AwsClients;
    use crate::plan::node::Kind;

    /// Creating a group takes 10–20 minutes, a node type or engine change longer; the engine's
    /// step timeout usually ends a wait first.
    const CREATE_TIMEOUT: Duration = Duration::from_secs(60 * 60);
    const MODIFY_TIMEOUT: Duration = Duration::from_secs(60 * 60);
    const DELETE_TIMEOUT: Duration = Duration::from_secs(60 * 60);
    /// Right after a create the group may not be listed yet (eventual consistency).
    const ABSENT_GRACE: Duration = Duration::from_secs(120);

    /// A create that lost a race (or follows a crash): the group exists, so adopt or refuse.
    const ALREADY_EXISTS: &str = "ReplicationGroupAlreadyExists";
    const GROUP_NOT_FOUND: &str = "ReplicationGroupNotFoundFault";

    const STATUS_AVAILABLE: &str = "available";
    const STATUS_DELETING: &str = "deleting";
    const STATUS_CREATE_FAILED: &str = "create-failed";

    const KIND_NAME: &str = "ElastiCache replication group";

    /// The shared reads of every replication group and every cache cluster in the region.
    const ALL_GROUPS: &str = "elasticache.replication_group/all";
    const ALL_CLUSTERS: &str = "elasticache.replication_group/cache_clusters/all";

    impl AwsKind for ReplicationGroupSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            let groups = shared_groups(cx).await?;
            let Some(group) = live_group(&groups, &spec.id) else {
                return Ok(None);
            };
            let Some(tags) = shared_tags(cx, group).await? else {
                return Ok(None);
            };
            Ok(owned_by(&tags, &spec.tags)
                .then(|| group.replication_group_id().unwrap_or(&spec.id).to_string()))
        }

        /// Every group and every cache cluster of the region in one paginated listing each,
        /// shared by all children that observe one; tags have no batch call, so they are read
        /// per group (shared too). A group being deleted reads as gone.
        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            let groups = shared_groups(cx).await?;
            let Some(group) = live_group(&groups, id) else {
                return Ok(None);
            };
            let Some(tags) = shared_tags(cx, group).await? else {
                return Ok(None);
            };
            let clusters = cx
                .reads
                .get(ALL_CLUSTERS, || {
                    list_cache_clusters(&cx.clients.elasticache)
                })
                .await?;
            let member = member_ids(group)
                .into_iter()
                .find_map(|id| clusters.get(id));
            Ok(Some(flatten_replication_group(
                group, member, current, tags, cx.ids,
            )))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_replication_group(cx.clients, spec, cx.ids).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_replication_group(cx.clients, id, current, desired, cx.ids).await
        }

        async fn delete(cx: &Cx<'_>, id: &str, current: &Self) -> Result<(), AwsError> {
            delete_replication_group(&cx.clients.elasticache, id, current).await
        }
    }

    // find

    /// Every replication group of the region, by ID in lower case.
    async fn list_replication_groups(
        client: &Client,
    ) -> Result<HashMap<String, ReplicationGroup>, AwsError> {
        let mut pages = client.describe_replication_groups().into_paginator().send();
        let mut groups = HashMap::new();
        while let Some(page) = pages.next().await {
            for group in page.map_err(classify)?.replication_groups() {
                if let Some(id) = group.replication_group_id() {
                    groups.insert(id.to_ascii_lowercase(), group.clone());
                }
            }
        }
        Ok(groups)
    }

    /// Every cache cluster of the region (replication group members included), by ID.
    async fn list_cache_clusters(
        client: &Client,
    ) -> Result<HashMap<String, CacheCluster>, AwsError> {
        let mut pages = client.describe_cache_clusters().into_paginator().send();
        let mut clusters = HashMap::new();
        while let Some(page) = pages.next().await {
            for cluster in page.map_err(classify)?.cache_clusters() {
                if let Some(id) = cluster.cache_cluster_id() {
                    clusters.insert(id.to_string(), cluster.clone());
                }
            }
        }
        Ok(clusters)
    }

    async fn shared_groups(
        cx: &Cx<'_>,
    ) -> Result<Arc<HashMap<String, ReplicationGroup>>, AwsError> {
        cx.reads
            .get(ALL_GROUPS, || {
                list_replication_groups(&cx.clients.elasticache)
            })
            .await
    }

    /// The group `id` from a listing, unless it is being deleted.
    fn live_group<'a>(
        groups: &'a HashMap<String, ReplicationGroup>,
        id: &str,
    ) -> Option<&'a ReplicationGroup> {
        groups
            .get(&id.to_ascii_lowercase())
            .filter(|g| status_of(g) != STATUS_DELETING)
    }

    /// The group's tags, read once per group; `None` when it is gone.
    async fn shared_tags(cx: &Cx<'_>, group: &ReplicationGroup) -> Result<Option<Tags>, AwsError> {
        let arn = arn_of(group)?;
        let tags = cx
            .reads
            .get(
                &format!("{}/tags/{arn}", ReplicationGroupSpec::PREFIX),
                || async {
                    none_if_not_found(elasticache::list_tags(&cx.clients.elasticache, arn).await)
                },
            )
            .await?;
        Ok(tags.as_ref().clone())
    }

    /// The group `id`, asked of AWS; `None` when there is none.
    pub async fn find_replication_group_by_id(
        client: &Client,
        id: &str,
    ) -> Result<Option<ReplicationGroup>, AwsError> {
        let out = none_if_not_found(
            client
                .describe_replication_groups()
                .replication_group_id(id)
                .send()
                .await
                .map_err(classify),
        )?;
        Ok(out.and_then(|o| {
            o.replication_groups()
                .iter()
                .find(|g| {
                    g.replication_group_id()
                        .is_some_and(|n| n.eq_ignore_ascii_case(id))
                })
                .cloned()
        }))
    }

    pub async fn find_cache_cluster_by_id(
        client: &Client,
        id: &str,
    ) -> Result<Option<CacheCluster>, AwsError> {
        let out = none_if_not_found(
            client
                .describe_cache_clusters()
                .cache_cluster_id(id)
                .send()
                .await
                .map_err(classify),
        )?;
        Ok(out.and_then(|o| {
            o.cache_clusters()
                .iter()
                .find(|c| c.cache_cluster_id() == Some(id))
                .cloned()
        }))
    }

    /// The group's member clusters, the primary first: the group does not report the engine
    /// version, the maintenance window nor the security groups, so they are read from one.
    fn member_ids(group: &ReplicationGroup) -> Vec<&str> {
        let mut ids: Vec<&str> = group
            .node_groups()
            .iter()
            .flat_map(|g| g.node_group_members())
            .filter(|m| m.current_role() == Some("primary"))
            .filter_map(|m| m.cache_cluster_id())
            .collect();
        for id in group.member_clusters() {
            if !ids.contains(&id.as_str()) {
                ids.push(id);
            }
        }
        ids
    }

    /// The first member cluster that can be described, asked of AWS; `None` when none can (a
    /// group still being built, or an API that does not list them).
    async fn find_member_cluster(
        client: &Client,
        group: &ReplicationGroup,
    ) -> Result<Option<CacheCluster>, AwsError> {
        for id in member_ids(group) {
            if let Some(cluster) = find_cache_cluster_by_id(client, id).await? {
                return Ok(Some(cluster));
            }
        }
        Ok(None)
    }

    fn arn_of(group: &ReplicationGroup) -> Result<&str, AwsError> {
        group
            .arn()
            .ok_or_else(|| AwsError::unexpected("DescribeReplicationGroups returned no ARN"))
    }

    fn status_of(group: &ReplicationGroup) -> &str {
        group.status().unwrap_or_default()
    }

    /// The group as a spec, asked of AWS; `None` when it is gone or being deleted.
    async fn read_replication_group(
        client: &Client,
        id: &str,
        current: &ReplicationGroupSpec,
        ids: &IdMap,
    ) -> Result<Option<ReplicationGroupSpec>, AwsError> {
        let Some(group) = find_replication_group_by_id(client, id).await? else {
            return Ok(None);
        };
        if status_of(&group) == STATUS_DELETING {
            return Ok(None);
        }
        let Some(tags) = none_if_not_found(elasticache::list_tags(client, arn_of(&group)?).await)?
        else {
            return Ok(None);
        };
        let member = find_member_cluster(client, &group).await?;
        Ok(Some(flatten_replication_group(
            &group,
            member.as_ref(),
            current,
            tags,
            ids,
        )))
    }

    /// What a connection string needs. `reader_endpoint` is the primary's when AWS reports no
    /// reader endpoint; `engine_version` is the full version of a member cluster, empty when none
    /// can be described.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ReplicationGroupFacts {
        pub arn: String,
        pub primary_endpoint: String,
        pub reader_endpoint: String,
        pub port: i32,
        pub engine_version: String,
        pub status: String,
    }

    /// The group's endpoints and state; `None` when it does not exist.
    pub async fn replication_group_facts(
        client: &Client,
        id: &str,
    ) -> Result<Option<ReplicationGroupFacts>, AwsError> {
        let Some(group) = find_replication_group_by_id(client, id).await? else {
            return Ok(None);
        };
        let member = find_member_cluster(client, &group).await?;
        let primary = primary_endpoint(&group);
        let primary_address = primary
            .and_then(|e| e.address())
            .unwrap_or_default()
            .to_string();
        let reader = group
            .node_groups()
            .first()
            .and_then(|g| g.reader_endpoint())
            .and_then(|e| e.address())
            .map(str::to_string)
            .unwrap_or_else(|| primary_address.clone());
        Ok(Some(ReplicationGroupFacts {
            arn: arn_of(&group)?.to_string(),
            primary_endpoint: primary_address,
            reader_endpoint: reader,
            port: primary.and_then(|e| e.port()).unwrap_or_default(),
            engine_version: member
                .as_ref()
                .and_then(CacheCluster::engine_version)
                .unwrap_or_default()
                .to_string(),
            status: status_of(&group).to_string(),
        }))
    }

    // wait

    /// Polls until the group is `available`. `create-failed` is final; absence is tolerated for
    /// a short grace after a create, then means the group is gone.
    pub async fn wait_replication_group_available(
        client: &Client,
        id: &str,
    ) -> Result<(), AwsError> {
        let started = tokio::time::Instant::now();
        // Right after a change the group may still read as it was before: look after a pause.
        tokio::time::sleep(FIRST_DELAY).await;
        poll_until(|| async {
            match find_replication_group_by_id(client, id).await? {
                None if started.elapsed() < ABSENT_GRACE => Ok(Poll::Pending),
                None => Err(AwsError::NotFound {
                    code: GROUP_NOT_FOUND.into(),
                }),
                Some(g) => match status_of(&g) {
                    STATUS_AVAILABLE => Ok(Poll::Ready(())),
                    STATUS_CREATE_FAILED => Err(AwsError::Api {
                        code: "ReplicationGroupCreateFailed".into(),
                        message: format!(
                            "{KIND_NAME} {id} failed to create (status create-failed); its events \
                             in the ElastiCache console say why (often a node type not offered \
                             in the subnets' zones, or a quota). Destroy it and apply again"
                        ),
                    }),
                    STATUS_DELETING => Err(AwsError::Api {
                        code: "ReplicationGroupDeleting".into(),
                        message: format!("{KIND_NAME} {id} is being deleted by someone else"),
                    }),
                    _ => Ok(Poll::Pending),
                },
            }
        })
        .await
    }

    /// Polls until DescribeReplicationGroups no longer knows the group.
    pub async fn wait_replication_group_deleted(client: &Client, id: &str) -> Result<(), AwsError> {
        // Right after the delete the group may still read as it was before: look after a pause.
        tokio::time::sleep(FIRST_DELAY).await;
        poll_until(|| async {
            Ok(match find_replication_group_by_id(client, id).await? {
                Some(_) => Poll::Pending,
                None => Poll::Ready(()),
            })
        })
        .await
    }

    async fn wait_available(client: &Client, id: &str, limit: Duration) -> Result<(), AwsError> {
        within(
            limit,
            format!("{KIND_NAME} {id} to become available"),
            wait_replication_group_available(client, id),
        )
        .await
    }

    async fn wait_deleted(client: &Client, id: &str) -> Result<(), AwsError> {
        within(
            DELETE_TIMEOUT,
            format!("{KIND_NAME} {id} to be deleted"),
            wait_replication_group_deleted(client, id),
        )
        .await
    }

    // create, update, delete

    /// The auth token from its secret. The value never enters an error or a log line.
    async fn auth_token(clients: &AwsClients, arn: &str) -> Result<String, AwsError> {
        secret_string(&clients.secretsmanager, arn)
            .await
            .map_err(|e| match e {
                AwsError::NotFound { code } => AwsError::Api {
                    code,
                    message: format!("the auth token secret {arn} does not exist"),
                },
                other => other,
            })
    }

    /// Creates the group and waits until it is available, or adopts the one of its ID that
    /// carries its ownership tags. A group of ours being deleted is waited out and created
    /// anew; one a crashed run left creating or modifying is waited for before it is
    /// reconciled. Returns the ledger ID.
    pub async fn create_replication_group(
        clients: &AwsClients,
        spec: &ReplicationGroupSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        let client = &clients.elasticache;
        adopt_or_create(
            KIND_NAME,
            &spec.id,
            &spec.tags,
            &[ALREADY_EXISTS],
            || async {
                let Some(group) = find_replication_group_by_id(client, &spec.id).await? else {
                    return Ok(None);
                };
                let Some(tags) =
                    none_if_not_found(elasticache::list_tags(client, arn_of(&group)?).await)?
                else {
                    return Ok(None);
                };
                let id = group.replication_group_id().unwrap_or(&spec.id).to_string();
                if status_of(&group) == STATUS_DELETING && owned_by(&tags, &spec.tags) {
                    // Ours and on its way out (an earlier destroy or replace): let it go.
                    wait_deleted(client, &id).await?;
                    return Ok(None);
                }
                Ok(Some(Found {
                    id,
                    current: group,
                    tags,
                }))
            },
            |found| async move {
                if status_of(&found.current) != STATUS_AVAILABLE {
                    // Changes need it available.
                    wait_available(client, &found.id, CREATE_TIMEOUT).await?;
                }
                let current = read_replication_group(client, &found.id, spec, ids)
                    .await?
                    .ok_or_else(|| AwsError::Transient {
                        message: format!("{KIND_NAME} {} went away while adopted", found.id),
                    })?;
                update_replication_group(clients, &found.id, &current, spec, ids).await
            },
            || async {
                let secret_arn = ids
                    .id(&spec.auth_token)
                    .map_err(|e| AwsError::unexpected(e.message))?;
                let token = auth_token(clients, secret_arn).await?;
                let subnet_group = ids
                    .id(&spec.subnet_group)
                    .map_err(|e| AwsError::unexpected(e.message))?;
                // Tags go in the create call, so the group never exists untagged.
                client
                    .create_replication_group()
                    .replication_group_id(&spec.id)
                    .replication_group_description(&spec.description)
                    .engine(&spec.engine)
                    .engine_version(&spec.engine_version)
                    .cache_node_type(&spec.node_type)
                    .num_cache_clusters(cache_clusters(spec.replicas)?)
                    .multi_az_enabled(spec.multi_az)
                    .automatic_failover_enabled(spec.automatic_failover)
                    .cache_subnet_group_name(subnet_group)
                    .set_security_group_ids(Some(resolve(&spec.security_groups, ids)?))
                    .transit_encryption_enabled(true)
                    .at_rest_encryption_enabled(true)
                    .set_kms_key_id(spec.kms_key_arn.clone())
                    .auth_token(token)
                    .port(spec.port)
                    .snapshot_retention_limit(retention(spec.snapshot_retention_days)?)
                    .set_snapshot_window(spec.snapshot_window.clone())
                    .set_preferred_maintenance_window(spec.maintenance_window.clone())
                    .auto_minor_version_upgrade(true)
                    .set_tags(Some(tags::to_sdk(&spec.tags)?))
                    .send()
                    .await
                    .map_err(classify)?;
                wait_available(client, &spec.id, CREATE_TIMEOUT).await?;
                Ok(spec.id.clone())
            },
        )
        .await
    }

    fn cache_clusters(replicas: u32) -> Result<i32, AwsError> {
        i32::try_from(replicas)
            .ok()
            .and_then(|r| r.checked_add(1))
            .ok_or_else(|| AwsError::unexpected(format!("{replicas} replicas is out of range")))
    }

    fn retention(days: u32) -> Result<i32, AwsError> {
        i32::try_from(days).map_err(|_| {
            AwsError::unexpected(format!("snapshot retention of {days} days is out of range"))
        })
    }

    /// One ModifyReplicationGroup call; `None` fields are left as they are.
    #[derive(Debug, Default, Clone, PartialEq, Eq)]
    pub struct Modification {
        pub description: Option<String>,
        pub node_type: Option<String>,
        pub engine: Option<String>,
        pub engine_version: Option<String>,
        pub multi_az: Option<bool>,
        pub automatic_failover: Option<bool>,
        pub security_groups: Option<Vec<String>>,
        pub snapshot_retention: Option<i32>,
        pub snapshot_window: Option<String>,
        pub maintenance_window: Option<String>,
    }

    impl Modification {
        fn is_empty(&self) -> bool {
            *self == Modification::default()
        }
    }

    /// The steps of an update, in order: a modification, the replica count, and a second
    /// modification turning on what needs the new replicas.
    #[derive(Debug, Default, Clone, PartialEq, Eq)]
    pub struct UpdatePlan {
        pub modify: Modification,
        pub replicas: Option<u32>,
        pub enable_after_replicas: Modification,
    }

    /// Multi-AZ and automatic failover need a replica: they are turned off before replicas are
    /// removed (the first modification runs first) and on after replicas are added.
    pub fn plan_update(
        current: &ReplicationGroupSpec,
        desired: &ReplicationGroupSpec,
        ids: &IdMap,
    ) -> Result<UpdatePlan, AwsError> {
        let changed = |a: &str, b: &str| (a != b).then(|| b.to_string());
        let mut modify = Modification {
            description: changed(&current.description, &desired.description),
            node_type: changed(&current.node_type, &desired.node_type),
            engine: changed(&current.engine, &desired.engine),
            engine_version: changed(&current.engine_version, &desired.engine_version),
            ..Modification::default()
        };
        // A new engine needs its version (redis 7 → valkey 8) even when the text is unchanged.
        if modify.engine.is_some() {
            modify.engine_version = Some(desired.engine_version.clone());
        }
        if current.security_groups != desired.security_groups {
            modify.security_groups = Some(resolve(&desired.security_groups, ids)?);
        }
        if current.snapshot_retention_days != desired.snapshot_retention_days {
            modify.snapshot_retention = Some(retention(desired.snapshot_retention_days)?);
        }
        // `None` lets AWS keep its window; there is nothing to send.
        if desired.snapshot_window.is_some() && current.snapshot_window != desired.snapshot_window {
            modify.snapshot_window = desired.snapshot_window.clone();
        }
        if desired.maintenance_window.is_some()
            && current.maintenance_window != desired.maintenance_window
        {
            modify.maintenance_window = desired.maintenance_window.clone();
        }
        let adding = desired.replicas > current.replicas;
        let mut after = Modification::default();
        if current.multi_az != desired.multi_az {
            if desired.multi_az && adding {
                after.multi_az = Some(true);
            } else {
                modify.multi_az = Some(desired.multi_az);
            }
        }
        if current.automatic_failover != desired.automatic_failover {
            if desired.automatic_failover && adding {
                after.automatic_failover = Some(true);
            } else {
                modify.automatic_failover = Some(desired.automatic_failover);
            }
        }
        Ok(UpdatePlan {
            modify,
            replicas: (current.replicas != desired.replicas).then_some(desired.replicas),
            enable_after_replicas: after,
        })
    }

    async fn modify_replication_group(
        client: &Client,
        id: &str,
        change: &Modification,
    ) -> Result<(), AwsError> {
        client
            .modify_replication_group()
            .replication_group_id(id)
            .apply_immediately(true)
            .set_replication_group_description(change.description.clone())
            .set_cache_node_type(change.node_type.clone())
            .set_engine(change.engine.clone())
            .set_engine_version(change.engine_version.clone())
            .set_multi_az_enabled(change.multi_az)
            .set_automatic_failover_enabled(change.automatic_failover)
            .set_security_group_ids(change.security_groups.clone())
            .set_snapshot_retention_limit(change.snapshot_retention)
            .set_snapshot_window(change.snapshot_window.clone())
            .set_preferred_maintenance_window(change.maintenance_window.clone())
            .send()
            .await
            .map_err(classify)?;
        wait_available(client, id, MODIFY_TIMEOUT).await
    }

    /// Increase/DecreaseReplicaCount to `replicas` read replicas (the emulator lacks both).
    async fn change_replica_count(
        client: &Client,
        id: &str,
        from: u32,
        to: u32,
    ) -> Result<(), AwsError> {
        let count = i32::try_from(to)
            .map_err(|_| AwsError::unexpected(format!("{to} replicas is out of range")))?;
        if to > from {
            client
                .increase_replica_count()
                .replication_group_id(id)
                .apply_immediately(true)
                .new_replica_count(count)
                .send()
                .await
                .map_err(classify)?;
        } else {
            client
                .decrease_replica_count()
                .replication_group_id(id)
                .apply_immediately(true)
                .new_replica_count(count)
                .send()
                .await
                .map_err(classify)?;
        }
        wait_available(client, id, MODIFY_TIMEOUT).await
    }

    /// Brings the group from `current` to `desired` in place, waiting until it is available after
    /// each change. Returns the ledger ID (unchanged).
    pub async fn update_replication_group(
        clients: &AwsClients,
        id: &str,
        current: &ReplicationGroupSpec,
        desired: &ReplicationGroupSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        let client = &clients.elasticache;
        let plan = plan_update(current, desired, ids)?;
        if !plan.modify.is_empty() {
            modify_replication_group(client, id, &plan.modify).await?;
        }
        if let Some(replicas) = plan.replicas {
            change_replica_count(client, id, current.replicas, replicas).await?;
        }
        if !plan.enable_after_replicas.is_empty() {
            modify_replication_group(client, id, &plan.enable_after_replicas).await?;
        }
        if current.tags != desired.tags {
            let group = find_replication_group_by_id(client, id)
                .await?
                .ok_or_else(|| AwsError::NotFound {
                    code: GROUP_NOT_FOUND.into(),
                })?;
            elasticache::sync_tags(client, arn_of(&group)?, &current.tags, &desired.tags).await?;
        }
        Ok(id.to_string())
    }

    /// `<id>-final-<UTC yyyymmddHHMMSS>`: unique per second, so a later destroy of a group with
    /// the same ID does not collide with an earlier snapshot.
    pub fn final_snapshot_name(id: &str, at: SystemTime) -> String {
        let secs = at
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let (days, rem) = (secs / 86_400, secs % 86_400);
        let (year, month, day) = civil_from_days(days as i64);
        format!(
            "{id}-final-{year:04}{month:02}{day:02}{:02}{:02}{:02}",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }

    /// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
    fn civil_from_days(days: i64) -> (i64, u32, u32) {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        (year, month, day)
    }

    /// Deletes the group (with a final snapshot when `current.final_snapshot`) and waits until it
    /// is gone; absence, or a delete already under way, is success.
    pub async fn delete_replication_group(
        client: &Client,
        id: &str,
        current: &ReplicationGroupSpec,
    ) -> Result<(), AwsError> {
        let Some(group) = find_replication_group_by_id(client, id).await? else {
            return Ok(());
        };
        match status_of(&group) {
            STATUS_DELETING => return wait_deleted(client, id).await,
            STATUS_AVAILABLE | STATUS_CREATE_FAILED => {}
            // Creating, modifying or snapshotting: AWS refuses the delete until it settles.
            _ => wait_available(client, id, MODIFY_TIMEOUT).await?,
        }
        let snapshot = current
            .final_snapshot
            .then(|| final_snapshot_name(id, SystemTime::now()));
        let result = client
            .delete_replication_group()
            .replication_group_id(id)
            .retain_primary_cluster(false)
            .set_final_snapshot_identifier(snapshot)
            .send()
            .await
            .map_err(classify);
        match none_if_not_found(result) {
            Ok(None) => return Ok(()),
            Ok(Some(_)) => {}
            // Refused as busy: fine when a delete is already under way.
            Err(e @ AwsError::DependencyViolation { .. }) => {
                match find_replication_group_by_id(client, id).await? {
                    None => return Ok(()),
                    Some(g) if status_of(&g) == STATUS_DELETING => {}
                    Some(_) => return Err(e),
                }
            }
            Err(e) => return Err(e),
        }
        wait_deleted(client, id).await
    }

    // flatten

    fn primary_endpoint(group: &ReplicationGroup) -> Option<&aws_sdk_elasticache::types::Endpoint> {
        group
            .node_groups()
            .first()
            .and_then(|g| g.primary_endpoint())
            .or_else(|| group.configuration_endpoint())
    }

    fn major(version: &str) -> &str {
        version.split('.').next().unwrap_or(version)
    }

    /// The spec's form of the live version: `current`'s while the major version is the same
    /// (minor upgrades are automatic, not drift), else the live major version.
    pub fn observed_engine_version(live: Option<&str>, current: &str) -> String {
        match live {
            Some(live) if !live.is_empty() && major(live) != major(current) => {
                major(live).to_string()
            }
            _ => current.to_string(),
        }
    }

    /// A window the spec leaves to AWS (`None`) stays `None`: AWS picking one is not drift.
    fn observed_window(live: Option<&str>, current: &Option<String>) -> Option<String> {
        match (live, current) {
            (_, None) => None,
            (Some(live), Some(_)) => Some(live.to_string()),
            (None, Some(c)) => Some(c.clone()),
        }
    }

    /// `member` is a member cache cluster, when one could be described; what neither reports
    /// (subnet group without a member, auth token, final snapshot) comes from `current`.
    pub fn flatten_replication_group(
        group: &ReplicationGroup,
        member: Option<&CacheCluster>,
        current: &ReplicationGroupSpec,
        tags: Tags,
        ids: &IdMap,
    ) -> ReplicationGroupSpec {
        let live_id = group.replication_group_id().unwrap_or_default();
        let id = if live_id.is_empty() || live_id.eq_ignore_ascii_case(&current.id) {
            current.id.clone()
        } else {
            live_id.to_string()
        };
        let engine = group
            .engine()
            .or_else(|| member.and_then(CacheCluster::engine))
            .unwrap_or(&current.engine)
            .to_string();
        let replicas = match group.member_clusters().len() {
            0 => current.replicas,
            n => u32::try_from(n - 1).unwrap_or(current.replicas),
        };
        let security_groups = match member.map(CacheCluster::security_groups) {
            Some(groups) if !groups.is_empty() => {
                let mut keys: Vec<_> = groups
                    .iter()
                    .filter_map(|g| g.security_group_id())
                    .map(|id| key_of(ids, Kind::SecurityGroup, id))
                    .collect();
                keys.sort();
                keys.dedup();
                keys
            }
            _ => current.security_groups.clone(),
        };
        let subnet_group = member
            .and_then(CacheCluster::cache_subnet_group_name)
            .and_then(|name| ids.key_of(name))
            .cloned()
            .unwrap_or_else(|| current.subnet_group.clone());
        ReplicationGroupSpec {
            id,
            description: group
                .description()
                .unwrap_or(&current.description)
                .to_string(),
            engine,
            engine_version: observed_engine_version(
                member.and_then(CacheCluster::engine_version),
                &current.engine_version,
            ),
            node_type: group
                .cache_node_type()
                .unwrap_or(&current.node_type)
                .to_string(),
            replicas,
            multi_az: group
                .multi_az()
                .map_or(current.multi_az, |m| *m == MultiAzStatus::Enabled),
            automatic_failover: group.automatic_failover().map_or(
                current.automatic_failover,
                |f| {
                    matches!(
                        f,
                        AutomaticFailoverStatus::Enabled | AutomaticFailoverStatus::Enabling
                    )
                },
            ),
            subnet_group,
            security_groups,
            kms_key_arn: group.kms_key_id().map(str::to_string),
            auth_token: current.auth_token.clone(),
            port: primary_endpoint(group)
                .and_then(|e| e.port())
                .unwrap_or(current.port),
            snapshot_retention_days: group
                .snapshot_retention_limit()
                .and_then(|d| u32::try_from(d).ok())
                .unwrap_or(current.snapshot_retention_days),
            snapshot_window: observed_window(group.snapshot_window(), &current.snapshot_window),
            maintenance_window: observed_window(
                member.and_then(CacheCluster::preferred_maintenance_window),
                &current.maintenance_window,
            ),
            final_snapshot: current.final_snapshot,
            tags,
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn final_snapshot_names_carry_utc_time() {
            let at = UNIX_EPOCH + Duration::from_secs(1_709_210_096); // 2024-02-29T12:34:56Z
            assert_eq!(
                final_snapshot_name("cache", at),
                "cache-final-20240229123456"
            );
            assert_eq!(
                final_snapshot_name("c", UNIX_EPOCH),
                "c-final-19700101000000"
            );
            let at = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29T00:00:00Z
            assert_eq!(final_snapshot_name("c", at), "c-final-20000229000000");
        }

        #[test]
        fn engine_version_keeps_the_major_form() {
            assert_eq!(observed_engine_version(Some("7.1.0"), "7"), "7");
            assert_eq!(observed_engine_version(Some("8.0.1"), "7"), "8");
            assert_eq!(observed_engine_version(None, "8"), "8");
            assert_eq!(observed_engine_version(Some("6.2.6"), "6.x"), "6.x");
        }
    }
}
