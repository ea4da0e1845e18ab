//! EC2 Subnet.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{Node, NodeKey, SubnetTier, Tags};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubnetSpec {
    pub vpc: NodeKey,
    pub tier: SubnetTier,
    pub az_id: String,
    pub cidr: String,
    pub map_public_ip_on_launch: bool,
    pub tags: Tags,
}

impl KindSpec for SubnetSpec {
    const PREFIX: &'static str = "ec2.subnet";
    const DISPLAY_NAME: &'static str = "EC2 Subnet";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "ec2:CreateSubnet",
        "ec2:CreateTags",
        "ec2:DeleteNetworkInterface",
        "ec2:DeleteSubnet",
        "ec2:DeleteTags",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:ModifySubnetAttribute",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        vec![Reference::replace(&self.vpc)]
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[
            ("vpc", self.vpc != d.vpc),
            ("az_id", self.az_id != d.az_id),
            ("cidr", self.cidr != d.cidr),
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
    use std::collections::HashMap;
    use std::sync::Arc;

    use aws_sdk_ec2::types::{AttributeBooleanValue, Filter, ResourceType, Subnet};
    use aws_sdk_ec2::Client;

    use super::*;
    use crate::apply::IdMap;
    use crate::aws::common::eni;
    use crate::aws::common::keys::key_of;
    use crate::aws::common::tags;
    use crate::aws::error::{classify, AwsError};
    use crate::aws::kind::{AwsKind, Cx};
    use crate::plan::node::Kind;

    impl AwsKind for SubnetSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            Ok(find_subnet_by_tags(&cx.clients.ec2, spec)
                .await?
                .and_then(|s| s.subnet_id().map(str::to_string)))
        }

        /// Every subnet of the VPC in one listing, shared by all children that observe one.
        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            let Ok(vpc_id) = cx.ids.id(&current.vpc) else {
                return observe_subnet(&cx.clients.ec2, id, current, cx.ids).await;
            };
            let subnets = subnets_of_vpc(cx, vpc_id).await?;
            Ok(subnets.get(id).map(|s| flatten_subnet(s, current, cx.ids)))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_subnet(cx, spec).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_subnet(&cx.clients.ec2, id, current, desired).await?;
            Ok(id.to_string())
        }

        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            delete_subnet(&cx.clients.ec2, id).await
        }
    }

    // find

    /// Every subnet of a VPC, by ID, read once through the shared reads: observe and the
    /// adopt-first lookup of every subnet of the VPC share one listing.
    pub async fn subnets_of_vpc(
        cx: &Cx<'_>,
        vpc_id: &str,
    ) -> Result<Arc<HashMap<String, Subnet>>, AwsError> {
        cx.reads
            .get(&format!("ec2.subnet/vpc/{vpc_id}"), || {
                list_subnets(&cx.clients.ec2, vpc_id)
            })
            .await
    }

    /// Every subnet of a VPC, by ID.
    pub async fn list_subnets(
        ec2: &Client,
        vpc_id: &str,
    ) -> Result<HashMap<String, Subnet>, AwsError> {
        let mut pages = ec2
            .describe_subnets()
            .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
            .into_paginator()
            .send();
        let mut subnets = HashMap::new();
        while let Some(page) = pages.next().await {
            for subnet in page.map_err(classify)?.subnets() {
                if let Some(id) = subnet.subnet_id() {
                    subnets.insert(id.to_string(), subnet.clone());
                }
            }
        }
        Ok(subnets)
    }

    pub async fn find_subnet_by_id(ec2: &Client, id: &str) -> Result<Option<Subnet>, AwsError> {
        match ec2
            .describe_subnets()
            .subnet_ids(id)
            .send()
            .await
            .map_err(classify)
        {
            Ok(out) => Ok(out.subnets().first().cloned()),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn find_subnet_by_tags(
        ec2: &Client,
        spec: &SubnetSpec,
    ) -> Result<Option<Subnet>, AwsError> {
        let out = ec2
            .describe_subnets()
            .set_filters(Some(tags::ownership_filters(&spec.tags)))
            .send()
            .await
            .map_err(classify)?;
        Ok(out
            .subnets()
            .iter()
            .find(|s| tags::owned_by(s.tags(), &spec.tags))
            .cloned())
    }

    pub async fn observe_subnet(
        ec2: &Client,
        id: &str,
        current: &SubnetSpec,
        ids: &IdMap,
    ) -> Result<Option<SubnetSpec>, AwsError> {
        Ok(find_subnet_by_id(ec2, id)
            .await?
            .map(|s| flatten_subnet(&s, current, ids)))
    }

    // create, update, delete

    /// Adopts the subnet of the VPC carrying the spec's ownership tags, found in the VPC's
    /// shared listing (a listing of this run: the engine forgets it after a failed attempt);
    /// otherwise creates one with them, in the same call.
    pub async fn create_subnet(cx: &Cx<'_>, spec: &SubnetSpec) -> Result<String, AwsError> {
        let ec2 = &cx.clients.ec2;
        let vpc_id = cx
            .ids
            .id(&spec.vpc)
            .map_err(|e| AwsError::unexpected(e.message))?;
        if !cx.reads.created_in_run(vpc_id) {
            let subnets = subnets_of_vpc(cx, vpc_id).await?;
            if let Some((id, existing)) = tags::owned_in(&subnets, Subnet::tags, &spec.tags) {
                if existing.map_public_ip_on_launch() != Some(spec.map_public_ip_on_launch) {
                    set_map_public_ip(ec2, id, spec.map_public_ip_on_launch).await?;
                }
                return Ok(id.to_string());
            }
        }
        let out = ec2
            .create_subnet()
            .vpc_id(vpc_id)
            .cidr_block(&spec.cidr)
            .availability_zone_id(&spec.az_id)
            .tag_specifications(tags::specification(ResourceType::Subnet, &spec.tags))
            .send()
            .await
            .map_err(classify)?;
        let created = out
            .subnet()
            .ok_or_else(|| AwsError::unexpected("CreateSubnet returned no subnet"))?;
        let id = created
            .subnet_id()
            .ok_or_else(|| AwsError::unexpected("CreateSubnet returned no ID"))?
            .to_string();
        cx.reads.mark_created(&id);
        // The answer says how the subnet maps public IPs: one more call only when that is not
        // what the spec wants (or the answer does not say).
        if created.map_public_ip_on_launch() != Some(spec.map_public_ip_on_launch) {
            set_map_public_ip(ec2, &id, spec.map_public_ip_on_launch).await?;
        }
        Ok(id)
    }

    async fn set_map_public_ip(ec2: &Client, id: &str, value: bool) -> Result<(), AwsError> {
        ec2.modify_subnet_attribute()
            .subnet_id(id)
            .map_public_ip_on_launch(AttributeBooleanValue::builder().value(value).build())
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    pub async fn update_subnet(
        ec2: &Client,
        id: &str,
        current: &SubnetSpec,
        desired: &SubnetSpec,
    ) -> Result<(), AwsError> {
        if current.map_public_ip_on_launch != desired.map_public_ip_on_launch {
            set_map_public_ip(ec2, id, desired.map_public_ip_on_launch).await?;
        }
        tags::sync_tags(ec2, id, &current.tags, &desired.tags).await
    }

    /// Deletes the subnet; absence is success.
    ///
    /// While network interfaces remain in it, AWS answers DependencyViolation. We then delete the
    /// detached (`available`) ones, which nothing would ever remove, and try once more; attached
    /// ones belong to their owner (a VPC endpoint, load balancer or task being deleted), so a
    /// remaining DependencyViolation is returned for the engine to retry with backoff.
    pub async fn delete_subnet(ec2: &Client, id: &str) -> Result<(), AwsError> {
        async fn attempt(ec2: &Client, id: &str) -> Result<(), AwsError> {
            match ec2
                .delete_subnet()
                .subnet_id(id)
                .send()
                .await
                .map_err(classify)
            {
                Ok(_) => Ok(()),
                Err(e) if e.is_not_found() => Ok(()),
                Err(e) => Err(e),
            }
        }
        eni::delete_sweeping_detached(ec2, eni::Holder::Subnet(id), || attempt(ec2, id)).await
    }

    // flatten

    pub fn flatten_subnet(subnet: &Subnet, current: &SubnetSpec, ids: &IdMap) -> SubnetSpec {
        SubnetSpec {
            vpc: key_of(ids, Kind::Vpc, subnet.vpc_id().unwrap_or_default()),
            // The tier is ours, not an AWS property.
            tier: current.tier,
            az_id: subnet
                .availability_zone_id()
                .unwrap_or_default()
                .to_string(),
            cidr: subnet.cidr_block().unwrap_or_default().to_string(),
            map_public_ip_on_launch: subnet.map_public_ip_on_launch().unwrap_or(false),
            tags: tags::from_sdk(subnet.tags()),
        }
    }
}
