//! EC2 Route Table.

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{NodeKey, Tags};

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
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use super::*;
    use aws_sdk_ec2::types::{ResourceType, RouteTable};
    use aws_sdk_ec2::Client;

    use crate::apply::IdMap;
    use crate::aws::common::tags;
    use crate::aws::error::{classify, AwsError};
    use crate::plan::node::Kind;

    use crate::aws::common::keys::key_of;

    // find

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

    // create, update, delete

    pub async fn create_route_table(
        ec2: &Client,
        spec: &RouteTableSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        let found = ec2
            .describe_route_tables()
            .set_filters(Some(tags::ownership_filters(&spec.tags)))
            .send()
            .await
            .map_err(classify)?;
        if let Some(id) = found
            .route_tables()
            .iter()
            .find(|t| tags::owned_by(t.tags(), &spec.tags))
            .and_then(RouteTable::route_table_id)
        {
            return Ok(id.to_string());
        }
        let vpc_id = ids
            .id(&spec.vpc)
            .map_err(|e| AwsError::unexpected(e.message))?;
        let out = ec2
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

    impl crate::aws::kind::AwsKind for RouteTableSpec {
        async fn find(
            cx: &crate::aws::kind::Cx<'_>,
            spec: &Self,
        ) -> Result<Option<String>, AwsError> {
            let _ = (cx, spec);
            Ok(None::<String>)
        }

        async fn observe(
            cx: &crate::aws::kind::Cx<'_>,
            id: &str,
            _current: &Self,
        ) -> Result<Option<Self>, AwsError> {
            observe_route_table(&cx.clients.ec2, id, cx.ids).await
        }

        async fn create(cx: &crate::aws::kind::Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_route_table(&cx.clients.ec2, spec, cx.ids).await
        }

        async fn update(
            cx: &crate::aws::kind::Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_route_table(&cx.clients.ec2, id, current, desired)
                .await
                .map(|()| id.to_string())
        }

        async fn delete(
            cx: &crate::aws::kind::Cx<'_>,
            id: &str,
            _current: &Self,
        ) -> Result<(), AwsError> {
            delete_route_table(&cx.clients.ec2, id).await
        }
    }
}
