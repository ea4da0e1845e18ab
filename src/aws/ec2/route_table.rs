//! EC2 Route Table.

use aws_sdk_ec2::types::{ResourceType, RouteTable};
use aws_sdk_ec2::Client;

use crate::apply::IdMap;
use crate::aws::error::{classify, AwsError};
use crate::aws::tags;
use crate::plan::node::{Kind, RouteTableSpec};

use super::key_of;

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
