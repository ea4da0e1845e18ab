//! EC2 Route Table.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{Node, NodeKey, Tags};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteTableSpec {
    pub vpc: NodeKey,
    pub tags: Tags,
}

impl KindSpec for RouteTableSpec {
    const PREFIX: &'static str = "ec2.route_table";
    const DISPLAY_NAME: &'static str = "EC2 Route Table";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "ec2:CreateRouteTable",
        "ec2:CreateTags",
        "ec2:DeleteRouteTable",
        "ec2:DeleteTags",
        "ec2:DescribeRouteTables",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        vec![Reference::replace(&self.vpc)]
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[("vpc", self.vpc != d.vpc)])
    }

    fn hourly_charge(&self, _graph: &BTreeMap<NodeKey, Node>) -> Option<(&'static str, f64)> {
        None
    }
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use std::collections::HashMap;
    use std::sync::Arc;

    use aws_sdk_ec2::types::{Filter, ResourceType, RouteTable};
    use aws_sdk_ec2::Client;

    use super::*;
    use crate::apply::IdMap;
    use crate::aws::common::keys::key_of;
    use crate::aws::common::tags;
    use crate::aws::ec2::vpc::environment_vpc_id;
    use crate::aws::error::{classify, AwsError};
    use crate::aws::kind::{AwsKind, Cx};
    use crate::plan::node::Kind;

    impl AwsKind for RouteTableSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            Ok(find_route_table_by_tags(&cx.clients.ec2, spec)
                .await?
                .and_then(|t| t.route_table_id().map(str::to_string)))
        }

        async fn observe(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<Option<Self>, AwsError> {
            let Some(tables) = environment_route_tables(cx).await? else {
                return observe_route_table(&cx.clients.ec2, id, cx.ids).await;
            };
            Ok(tables.get(id).map(|t| flatten_route_table(t, cx.ids)))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_route_table(cx, spec).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_route_table(&cx.clients.ec2, id, current, desired).await?;
            Ok(id.to_string())
        }

        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            delete_route_table(&cx.clients.ec2, id).await
        }
    }

    // find

    /// Every route table of the environment's VPC, by ID, read once and shared by the route
    /// table, route and association children of every resource that observes one (routes and
    /// associations live in their table). `None` before the VPC exists.
    pub async fn environment_route_tables(
        cx: &Cx<'_>,
    ) -> Result<Option<Arc<HashMap<String, RouteTable>>>, AwsError> {
        let Some(vpc_id) = environment_vpc_id(cx.ids) else {
            return Ok(None);
        };
        Ok(Some(route_tables_of_vpc(cx, vpc_id).await?))
    }

    /// Every route table of a VPC, by ID, read once through the shared reads.
    pub async fn route_tables_of_vpc(
        cx: &Cx<'_>,
        vpc_id: &str,
    ) -> Result<Arc<HashMap<String, RouteTable>>, AwsError> {
        cx.reads
            .get(&format!("ec2.route_table/vpc/{vpc_id}"), || {
                list_route_tables(&cx.clients.ec2, vpc_id)
            })
            .await
    }

    /// Every route table matching `filters`, across pages.
    async fn describe_route_tables(
        ec2: &Client,
        filters: Vec<Filter>,
    ) -> Result<Vec<RouteTable>, AwsError> {
        let mut pages = ec2
            .describe_route_tables()
            .set_filters(Some(filters))
            .into_paginator()
            .send();
        let mut tables = Vec::new();
        while let Some(page) = pages.next().await {
            tables.extend(page.map_err(classify)?.route_tables().iter().cloned());
        }
        Ok(tables)
    }

    /// Every route table of a VPC, by ID.
    pub async fn list_route_tables(
        ec2: &Client,
        vpc_id: &str,
    ) -> Result<HashMap<String, RouteTable>, AwsError> {
        let by_vpc = Filter::builder().name("vpc-id").values(vpc_id).build();
        Ok(describe_route_tables(ec2, vec![by_vpc])
            .await?
            .into_iter()
            .filter_map(|t| Some((t.route_table_id()?.to_string(), t)))
            .collect())
    }

    pub async fn find_route_table_by_id(
        ec2: &Client,
        id: &str,
    ) -> Result<Option<RouteTable>, AwsError> {
        match ec2
            .describe_route_tables()
            .route_table_ids(id)
            .send()
            .await
            .map_err(classify)
        {
            Ok(out) => Ok(out.route_tables().first().cloned()),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn find_route_table_by_tags(
        ec2: &Client,
        spec: &RouteTableSpec,
    ) -> Result<Option<RouteTable>, AwsError> {
        Ok(
            describe_route_tables(ec2, tags::ownership_filters(&spec.tags))
                .await?
                .into_iter()
                .find(|t| tags::owned_by(t.tags(), &spec.tags)),
        )
    }

    // create, update, delete

    /// Adopts the table of the VPC carrying the spec's ownership tags, found in the VPC's
    /// shared listing (a listing of this run: the engine forgets it after a failed attempt);
    /// otherwise creates one with them, in the same call.
    pub async fn create_route_table(
        cx: &Cx<'_>,
        spec: &RouteTableSpec,
    ) -> Result<String, AwsError> {
        let vpc_id = cx
            .ids
            .id(&spec.vpc)
            .map_err(|e| AwsError::unexpected(e.message))?;
        if !cx.reads.created_in_run(vpc_id) {
            let tables = route_tables_of_vpc(cx, vpc_id).await?;
            if let Some((id, _)) = tags::owned_in(&tables, RouteTable::tags, &spec.tags) {
                return Ok(id.to_string());
            }
        }
        let out = cx
            .clients
            .ec2
            .create_route_table()
            .vpc_id(vpc_id)
            .tag_specifications(tags::specification(ResourceType::RouteTable, &spec.tags))
            .send()
            .await
            .map_err(classify)?;
        out.route_table()
            .and_then(RouteTable::route_table_id)
            .map(str::to_string)
            .ok_or_else(|| AwsError::unexpected("CreateRouteTable returned no ID"))
    }

    pub async fn update_route_table(
        ec2: &Client,
        id: &str,
        current: &RouteTableSpec,
        desired: &RouteTableSpec,
    ) -> Result<(), AwsError> {
        tags::sync_tags(ec2, id, &current.tags, &desired.tags).await
    }

    pub async fn delete_route_table(ec2: &Client, id: &str) -> Result<(), AwsError> {
        match ec2
            .delete_route_table()
            .route_table_id(id)
            .send()
            .await
            .map_err(classify)
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }

    // flatten

    pub fn flatten_route_table(table: &RouteTable, ids: &IdMap) -> RouteTableSpec {
        RouteTableSpec {
            vpc: key_of(ids, Kind::Vpc, table.vpc_id().unwrap_or_default()),
            tags: tags::from_sdk(table.tags()),
        }
    }

    pub async fn observe_route_table(
        ec2: &Client,
        id: &str,
        ids: &IdMap,
    ) -> Result<Option<RouteTableSpec>, AwsError> {
        Ok(find_route_table_by_id(ec2, id)
            .await?
            .map(|t| flatten_route_table(&t, ids)))
    }
}
