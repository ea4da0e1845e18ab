//! What the RDS DB subnet group and the ElastiCache subnet group share, written once: each is
//! a name (its ledger ID), a description and a set of subnets, described by name with its tags
//! read by ARN in a second call, adopted by name and ownership tags, and modified in one call
//! whose subnet list replaces the group's. A kind supplies its service's calls through
//! [`SubnetGroupKind`]; find, observe, create, update and delete are the functions below.
//!
//! Both services store names in lower case and look them up without regard to case, so names
//! are compared that way and the spec's spelling is kept when it differs only in case.

use std::future::Future;
use std::sync::Arc;

use crate::apply::IdMap;
use crate::aws::common::keys::key_of;
use crate::aws::common::keys::resolve;
use crate::aws::common::ownership::{create_or_adopt, owned_by, Found};
use crate::aws::error::{none_if_not_found, AwsError};
use crate::aws::kind::{Cx, KindSpec};
use crate::aws::AwsClients;
use crate::plan::node::{Kind, NodeKey, Tags};

/// A subnet group as either service describes it, with its tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSubnetGroup {
    pub name: String,
    pub description: String,
    pub subnet_ids: Vec<String>,
    pub arn: String,
    pub tags: Tags,
}

/// The fields both kinds' specs hold.
#[derive(Debug, Clone, Copy)]
pub struct SubnetGroupFields<'a> {
    pub name: &'a str,
    pub description: &'a str,
    /// Sorted.
    pub subnets: &'a [NodeKey],
    pub tags: &'a Tags,
}

/// A subnet group kind: its spec's fields and its service's calls.
pub trait SubnetGroupKind: KindSpec {
    type Client: Sync;
    /// The kind in messages ("DB subnet group").
    const WHAT: &'static str;
    /// The error code of a create whose name is taken.
    const ALREADY_EXISTS: &'static str;
    /// The error code of a group that does not exist.
    const NOT_FOUND: &'static str;

    fn client(clients: &AwsClients) -> &Self::Client;
    fn fields(&self) -> SubnetGroupFields<'_>;
    fn from_fields(fields: SubnetGroupFields<'_>) -> Self;

    /// The group named `name` (in any case), its tags left empty; `None` when there is none.
    fn describe(
        client: &Self::Client,
        name: &str,
    ) -> impl Future<Output = Result<Option<LiveSubnetGroup>, AwsError>> + Send;
    /// NotFound is passed on for the caller to read as absence.
    fn list_tags(
        client: &Self::Client,
        arn: &str,
    ) -> impl Future<Output = Result<Tags, AwsError>> + Send;
    /// Creates the group with its tags; returns its name as the service stores it.
    fn create_group(
        client: &Self::Client,
        spec: SubnetGroupFields<'_>,
        subnet_ids: Vec<String>,
    ) -> impl Future<Output = Result<String, AwsError>> + Send;
    /// Sets the description and the subnets, whose list replaces the group's.
    fn modify_group(
        client: &Self::Client,
        name: &str,
        description: &str,
        subnet_ids: Vec<String>,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
    fn sync_tags(
        client: &Self::Client,
        arn: &str,
        current: &Tags,
        desired: &Tags,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
    fn delete_group(
        client: &Self::Client,
        name: &str,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
}

/// The ledger ID of the group of the spec's name when it carries the spec's ownership tags.
pub async fn find<K: SubnetGroupKind>(cx: &Cx<'_>, spec: &K) -> Result<Option<String>, AwsError> {
    let spec = spec.fields();
    Ok(read_shared::<K>(cx, spec.name)
        .await?
        .as_ref()
        .as_ref()
        .filter(|group| owned_by(&group.tags, spec.tags))
        .map(|group| group.name.clone()))
}

/// An environment has one group of each kind: it is read once by name, shared by every
/// resource that observes it.
pub async fn observe<K: SubnetGroupKind>(
    cx: &Cx<'_>,
    id: &str,
    current: &K,
) -> Result<Option<K>, AwsError> {
    Ok(read_shared::<K>(cx, id)
        .await?
        .as_ref()
        .as_ref()
        .map(|group| flatten(group, current.fields().name, cx.ids)))
}

/// Creates the group, or adopts the one of its name that carries its ownership tags.
pub async fn create<K: SubnetGroupKind>(cx: &Cx<'_>, spec: &K) -> Result<String, AwsError> {
    let client = K::client(cx.clients);
    let fields = spec.fields();
    create_or_adopt(
        K::WHAT,
        fields.name,
        fields.tags,
        &[K::ALREADY_EXISTS],
        || async {
            Ok(read::<K>(client, fields.name).await?.map(|group| Found {
                id: group.name.clone(),
                current: flatten::<K>(&group, fields.name, cx.ids),
                tags: group.tags,
            }))
        },
        |found| async move { update(cx, &found.id, &found.current, spec).await },
        // Tags go in the create call, so the group never exists untagged.
        || async { K::create_group(client, fields, resolve(fields.subnets, cx.ids)?).await },
    )
    .await
}

/// Brings the group named `id` from `current` to `desired` in place; returns `id`.
pub async fn update<K: SubnetGroupKind>(
    cx: &Cx<'_>,
    id: &str,
    current: &K,
    desired: &K,
) -> Result<String, AwsError> {
    let client = K::client(cx.clients);
    let (current, desired) = (current.fields(), desired.fields());
    if current.subnets != desired.subnets || current.description != desired.description {
        let subnet_ids = resolve(desired.subnets, cx.ids)?;
        K::modify_group(client, id, desired.description, subnet_ids).await?;
    }
    if current.tags != desired.tags {
        let group = read::<K>(client, id)
            .await?
            .ok_or_else(|| AwsError::NotFound {
                code: K::NOT_FOUND.into(),
            })?;
        K::sync_tags(client, &group.arn, current.tags, desired.tags).await?;
    }
    Ok(id.to_string())
}

/// Deletes the group; absence is success. A group still in use answers an in-use error,
/// which the engine retries.
pub async fn delete<K: SubnetGroupKind>(cx: &Cx<'_>, id: &str) -> Result<(), AwsError> {
    none_if_not_found(K::delete_group(K::client(cx.clients), id).await)?;
    Ok(())
}

/// The group named `name` with its tags, asked of AWS; `None` when it is gone.
async fn read<K: SubnetGroupKind>(
    client: &K::Client,
    name: &str,
) -> Result<Option<LiveSubnetGroup>, AwsError> {
    let Some(mut group) = K::describe(client, name).await? else {
        return Ok(None);
    };
    let Some(tags) = none_if_not_found(K::list_tags(client, &group.arn).await)? else {
        return Ok(None);
    };
    group.tags = tags;
    Ok(Some(group))
}

/// [`read`] through the shared reads: one per group, whatever the spelling of its name.
pub async fn read_shared<K: SubnetGroupKind>(
    cx: &Cx<'_>,
    name: &str,
) -> Result<Arc<Option<LiveSubnetGroup>>, AwsError> {
    let key = format!("{}/name/{}", K::PREFIX, name.to_ascii_lowercase());
    cx.reads
        .get(&key, || read::<K>(K::client(cx.clients), name))
        .await
}

/// True when a described group's name is `name`.
pub fn is_named(described: Option<&str>, name: &str) -> bool {
    described.is_some_and(|n| n.eq_ignore_ascii_case(name))
}

/// The spec a live group amounts to; `spec_name` is the spelling kept when the live name
/// differs from it only in case.
fn flatten<K: SubnetGroupKind>(group: &LiveSubnetGroup, spec_name: &str, ids: &IdMap) -> K {
    let name = if group.name.eq_ignore_ascii_case(spec_name) {
        spec_name
    } else {
        &group.name
    };
    let mut subnets: Vec<NodeKey> = group
        .subnet_ids
        .iter()
        .map(|id| key_of(ids, Kind::Subnet, id))
        .collect();
    subnets.sort();
    K::from_fields(SubnetGroupFields {
        name,
        description: &group.description,
        subnets: &subnets,
        tags: &group.tags,
    })
}
