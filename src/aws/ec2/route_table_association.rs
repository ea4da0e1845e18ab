//! EC2 Route Table Association: which table a subnet uses.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{Node, NodeKey, Tags};

/// Associations carry no tags in AWS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteTableAssociationSpec {
    pub route_table: NodeKey,
    pub subnet: NodeKey,
}

impl KindSpec for RouteTableAssociationSpec {
    const PREFIX: &'static str = "ec2.route_table_association";
    const DISPLAY_NAME: &'static str = "EC2 Route Table Association";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "ec2:AssociateRouteTable",
        "ec2:DescribeRouteTables",
        "ec2:DisassociateRouteTable",
        "ec2:ReplaceRouteTableAssociation",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        vec![
            Reference::update(&self.route_table),
            Reference::replace(&self.subnet),
        ]
    }

    fn tags(&self) -> Option<&Tags> {
        None
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[("subnet", self.subnet != d.subnet)])
    }

    fn hourly_charge(&self, _graph: &BTreeMap<NodeKey, Node>) -> Option<(&'static str, f64)> {
        None
    }
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use aws_sdk_ec2::types::{Filter, RouteTableAssociation};
    use aws_sdk_ec2::Client;

    use super::*;
    use crate::apply::IdMap;
    use crate::aws::common::keys::key_of;
    use crate::aws::ec2::route_table::environment_route_tables;
    use crate::aws::error::{classify, AwsError};
    use crate::aws::kind::{AwsKind, Cx};
    use crate::plan::node::Kind;

    impl AwsKind for RouteTableAssociationSpec {
        /// An association has no tags: ours is the subnet's association with our table.
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            let (Ok(table_id), Ok(subnet_id)) =
                (cx.ids.id(&spec.route_table), cx.ids.id(&spec.subnet))
            else {
                return Ok(None);
            };
            Ok(find_association_by_subnet(&cx.clients.ec2, subnet_id)
                .await?
                .filter(|a| a.route_table_id() == Some(table_id))
                .and_then(|a| a.route_table_association_id().map(str::to_string)))
        }

        /// Read from its table in the environment's route table listing.
        async fn observe(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<Option<Self>, AwsError> {
            let Some(tables) = environment_route_tables(cx).await? else {
                return observe_association(&cx.clients.ec2, id, cx.ids).await;
            };
            Ok(tables
                .values()
                .flat_map(|t| t.associations())
                .find(|a| a.route_table_association_id() == Some(id))
                .map(|a| flatten_association(a, cx.ids)))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_association(cx, spec).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            _current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_association(&cx.clients.ec2, id, desired, cx.ids).await
        }

        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            delete_association(&cx.clients.ec2, id).await
        }
    }

    // find

    /// The explicit association of a subnet, if any.
    pub async fn find_association_by_subnet(
        ec2: &Client,
        subnet_id: &str,
    ) -> Result<Option<RouteTableAssociation>, AwsError> {
        let out = ec2
            .describe_route_tables()
            .filters(
                Filter::builder()
                    .name("association.subnet-id")
                    .values(subnet_id)
                    .build(),
            )
            .send()
            .await
            .map_err(classify)?;
        Ok(out
            .route_tables()
            .iter()
            .flat_map(|t| t.associations())
            .find(|a| a.subnet_id() == Some(subnet_id))
            .cloned())
    }

    pub async fn find_association_by_id(
        ec2: &Client,
        id: &str,
    ) -> Result<Option<RouteTableAssociation>, AwsError> {
        let out = ec2
            .describe_route_tables()
            .filters(
                Filter::builder()
                    .name("association.route-table-association-id")
                    .values(id)
                    .build(),
            )
            .send()
            .await
            .map_err(classify)?;
        Ok(out
            .route_tables()
            .iter()
            .flat_map(|t| t.associations())
            .find(|a| a.route_table_association_id() == Some(id))
            .cloned())
    }

    // create, update, delete

    /// The explicit association of a subnet of the environment's VPC, from the VPC's shared
    /// route table listing (associations live in their table); asked of AWS before the VPC is
    /// recorded.
    async fn subnet_association(
        cx: &Cx<'_>,
        subnet_id: &str,
    ) -> Result<Option<RouteTableAssociation>, AwsError> {
        let Some(tables) = environment_route_tables(cx).await? else {
            return find_association_by_subnet(&cx.clients.ec2, subnet_id).await;
        };
        Ok(tables
            .values()
            .flat_map(|t| t.associations())
            .find(|a| a.subnet_id() == Some(subnet_id))
            .cloned())
    }

    /// Adopts the subnet's association when it already points at the table, moves it when it
    /// points elsewhere, and associates otherwise. The subnet's association comes from the
    /// VPC's shared route table listing (a listing of this run: the engine forgets it after a
    /// failed attempt).
    pub async fn create_association(
        cx: &Cx<'_>,
        spec: &RouteTableAssociationSpec,
    ) -> Result<String, AwsError> {
        let ec2 = &cx.clients.ec2;
        let missing = |e: crate::apply::StepError| AwsError::unexpected(e.message);
        let table_id = cx.ids.id(&spec.route_table).map_err(missing)?;
        let subnet_id = cx.ids.id(&spec.subnet).map_err(missing)?;
        // A subnet this run created has no association the run did not make.
        let existing = if cx.reads.created_in_run(subnet_id) {
            None
        } else {
            subnet_association(cx, subnet_id).await?
        };
        if let Some(existing) = existing {
            let existing_id = existing
                .route_table_association_id()
                .unwrap_or_default()
                .to_string();
            if existing.route_table_id() == Some(table_id) {
                return Ok(existing_id);
            }
            return replace(ec2, &existing_id, table_id).await;
        }
        let out = ec2
            .associate_route_table()
            .route_table_id(table_id)
            .subnet_id(subnet_id)
            .send()
            .await
            .map_err(classify)?;
        out.association_id()
            .map(str::to_string)
            .ok_or_else(|| AwsError::unexpected("AssociateRouteTable returned no ID"))
    }

    async fn replace(
        ec2: &Client,
        association_id: &str,
        table_id: &str,
    ) -> Result<String, AwsError> {
        let out = ec2
            .replace_route_table_association()
            .association_id(association_id)
            .route_table_id(table_id)
            .send()
            .await
            .map_err(classify)?;
        out.new_association_id()
            .map(str::to_string)
            .ok_or_else(|| AwsError::unexpected("ReplaceRouteTableAssociation returned no ID"))
    }

    /// Points the subnet at another table; returns the new association ID.
    pub async fn update_association(
        ec2: &Client,
        id: &str,
        desired: &RouteTableAssociationSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        let table_id = ids
            .id(&desired.route_table)
            .map_err(|e| AwsError::unexpected(e.message))?;
        replace(ec2, id, table_id).await
    }

    pub async fn delete_association(ec2: &Client, id: &str) -> Result<(), AwsError> {
        match ec2
            .disassociate_route_table()
            .association_id(id)
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

    pub fn flatten_association(
        association: &RouteTableAssociation,
        ids: &IdMap,
    ) -> RouteTableAssociationSpec {
        RouteTableAssociationSpec {
            route_table: key_of(
                ids,
                Kind::RouteTable,
                association.route_table_id().unwrap_or_default(),
            ),
            subnet: key_of(
                ids,
                Kind::Subnet,
                association.subnet_id().unwrap_or_default(),
            ),
        }
    }

    pub async fn observe_association(
        ec2: &Client,
        id: &str,
        ids: &IdMap,
    ) -> Result<Option<RouteTableAssociationSpec>, AwsError> {
        Ok(find_association_by_id(ec2, id)
            .await?
            .map(|a| flatten_association(&a, ids)))
    }
}
