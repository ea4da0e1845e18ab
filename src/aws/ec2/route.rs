//! EC2 Route: one destination in a route table. Routes have no ID or tags of their own; ours
//! is `<route-table-id>|<destination>`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{Node, NodeKey, Tags};

/// One route in a route table. Routes carry no tags in AWS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteSpec {
    pub route_table: NodeKey,
    pub destination_cidr: String,
    pub target: RouteTarget,
}

/// What a route points at. The target is another node, resolved to its AWS ID at apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteTarget {
    InternetGateway(NodeKey),
    NatGateway(NodeKey),
}

impl RouteTarget {
    pub fn key(&self) -> &NodeKey {
        match self {
            RouteTarget::InternetGateway(key) | RouteTarget::NatGateway(key) => key,
        }
    }
}

impl KindSpec for RouteSpec {
    const PREFIX: &'static str = "ec2.route";
    const DISPLAY_NAME: &'static str = "EC2 Route";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "ec2:CreateRoute",
        "ec2:DeleteRoute",
        "ec2:DescribeRouteTables",
        "ec2:ReplaceRoute",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        vec![
            Reference::replace(&self.route_table),
            Reference::update(self.target.key()),
        ]
    }

    fn tags(&self) -> Option<&Tags> {
        None
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[
            ("route_table", self.route_table != d.route_table),
            (
                "destination_cidr",
                self.destination_cidr != d.destination_cidr,
            ),
        ])
    }

    fn hourly_charge(&self, _graph: &BTreeMap<NodeKey, Node>) -> Option<(&'static str, f64)> {
        None
    }
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use aws_sdk_ec2::types::{Route, RouteTable};
    use aws_sdk_ec2::Client;

    use super::*;
    use crate::apply::IdMap;
    use crate::aws::common::keys::key_of;
    use crate::aws::ec2::route_table::{environment_route_tables, find_route_table_by_id};
    use crate::aws::error::{classify, AwsError};
    use crate::aws::kind::{AwsKind, Cx};
    use crate::plan::node::Kind;

    impl AwsKind for RouteSpec {
        /// A route has no tags: ours is the destination in our table.
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            let Ok(table_id) = cx.ids.id(&spec.route_table) else {
                return Ok(None);
            };
            Ok(
                find_route(&cx.clients.ec2, table_id, &spec.destination_cidr)
                    .await?
                    .map(|_| route_id(table_id, &spec.destination_cidr)),
            )
        }

        /// Read from its table in the environment's route table listing.
        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            let Some(tables) = environment_route_tables(cx).await? else {
                return observe_route(&cx.clients.ec2, id, current, cx.ids).await;
            };
            let (table_id, destination) = split_id(id);
            Ok(tables
                .get(table_id)
                .and_then(|t| route_in(t, destination))
                .map(|r| flatten_route(r, &current.route_table, cx.ids)))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_route(&cx.clients.ec2, spec, cx.ids).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            _current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_route(&cx.clients.ec2, id, desired, cx.ids).await?;
            Ok(id.to_string())
        }

        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            delete_route(&cx.clients.ec2, id).await
        }
    }

    /// Creating a route that exists already; we then replace its target instead.
    const ALREADY_EXISTS: &str = "RouteAlreadyExists";

    pub fn route_id(table_id: &str, destination: &str) -> String {
        format!("{table_id}|{destination}")
    }

    fn split_id(id: &str) -> (&str, &str) {
        id.split_once('|').unwrap_or((id, ""))
    }

    // find

    fn route_in<'a>(table: &'a RouteTable, destination: &str) -> Option<&'a Route> {
        table
            .routes()
            .iter()
            .find(|r| r.destination_cidr_block() == Some(destination))
    }

    pub async fn find_route(
        ec2: &Client,
        table_id: &str,
        destination: &str,
    ) -> Result<Option<Route>, AwsError> {
        Ok(find_route_table_by_id(ec2, table_id)
            .await?
            .and_then(|t| route_in(&t, destination).cloned()))
    }

    // create, update, delete

    enum Target<'a> {
        Gateway(&'a str),
        Nat(&'a str),
    }

    fn target<'a>(spec: &RouteSpec, ids: &'a IdMap) -> Result<Target<'a>, AwsError> {
        let missing = |e: crate::apply::StepError| AwsError::unexpected(e.message);
        Ok(match &spec.target {
            RouteTarget::InternetGateway(k) => Target::Gateway(ids.id(k).map_err(missing)?),
            RouteTarget::NatGateway(k) => Target::Nat(ids.id(k).map_err(missing)?),
        })
    }

    pub async fn create_route(
        ec2: &Client,
        spec: &RouteSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        let table_id = ids
            .id(&spec.route_table)
            .map_err(|e| AwsError::unexpected(e.message))?
            .to_string();
        let request = ec2
            .create_route()
            .route_table_id(&table_id)
            .destination_cidr_block(&spec.destination_cidr);
        let request = match target(spec, ids)? {
            Target::Gateway(id) => request.gateway_id(id),
            Target::Nat(id) => request.nat_gateway_id(id),
        };
        match request.send().await.map_err(classify) {
            Ok(_) => {}
            // Adopt: the route exists (a crashed run made it); point it where we want.
            Err(AwsError::Api { code, .. }) if code == ALREADY_EXISTS => {
                replace(ec2, &table_id, spec, ids).await?
            }
            Err(e) => return Err(e),
        }
        Ok(route_id(&table_id, &spec.destination_cidr))
    }

    async fn replace(
        ec2: &Client,
        table_id: &str,
        spec: &RouteSpec,
        ids: &IdMap,
    ) -> Result<(), AwsError> {
        let request = ec2
            .replace_route()
            .route_table_id(table_id)
            .destination_cidr_block(&spec.destination_cidr);
        let request = match target(spec, ids)? {
            Target::Gateway(id) => request.gateway_id(id),
            Target::Nat(id) => request.nat_gateway_id(id),
        };
        request.send().await.map_err(classify)?;
        Ok(())
    }

    pub async fn update_route(
        ec2: &Client,
        id: &str,
        desired: &RouteSpec,
        ids: &IdMap,
    ) -> Result<(), AwsError> {
        let (table_id, _) = split_id(id);
        replace(ec2, table_id, desired, ids).await
    }

    pub async fn delete_route(ec2: &Client, id: &str) -> Result<(), AwsError> {
        let (table_id, destination) = split_id(id);
        match ec2
            .delete_route()
            .route_table_id(table_id)
            .destination_cidr_block(destination)
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

    pub fn flatten_route(route: &Route, table_key: &NodeKey, ids: &IdMap) -> RouteSpec {
        let target = match (route.nat_gateway_id(), route.gateway_id()) {
            (Some(nat), _) => RouteTarget::NatGateway(key_of(ids, Kind::NatGateway, nat)),
            (None, Some(gateway)) => {
                RouteTarget::InternetGateway(key_of(ids, Kind::InternetGateway, gateway))
            }
            (None, None) => {
                RouteTarget::InternetGateway(key_of(ids, Kind::InternetGateway, "none"))
            }
        };
        RouteSpec {
            route_table: table_key.clone(),
            destination_cidr: route
                .destination_cidr_block()
                .unwrap_or_default()
                .to_string(),
            target,
        }
    }

    pub async fn observe_route(
        ec2: &Client,
        id: &str,
        current: &RouteSpec,
        ids: &IdMap,
    ) -> Result<Option<RouteSpec>, AwsError> {
        let (table_id, destination) = split_id(id);
        Ok(find_route(ec2, table_id, destination)
            .await?
            .map(|r| flatten_route(&r, &current.route_table, ids)))
    }
}
