//! EC2 NAT Gateway (public connectivity, one Elastic IP).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::cost;
use crate::plan::node::{Node, NodeKey, Tags};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NatGatewaySpec {
    /// The public subnet it lives in.
    pub subnet: NodeKey,
    pub eip: NodeKey,
    /// Needed because a NAT gateway only works once the VPC has an attached IGW.
    pub internet_gateway: NodeKey,
    pub tags: Tags,
}

impl KindSpec for NatGatewaySpec {
    const PREFIX: &'static str = "ec2.nat_gateway";
    const DISPLAY_NAME: &'static str = "EC2 NAT Gateway";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "ec2:CreateNatGateway",
        "ec2:CreateTags",
        "ec2:DeleteNatGateway",
        "ec2:DeleteTags",
        "ec2:DescribeNatGateways",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        vec![
            Reference::replace(&self.subnet),
            Reference::replace(&self.eip),
            Reference::order(&self.internet_gateway),
        ]
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[
            ("subnet", self.subnet != d.subnet),
            ("eip", self.eip != d.eip),
        ])
    }

    fn hourly_charge(&self, _graph: &BTreeMap<NodeKey, Node>) -> Option<(&'static str, f64)> {
        Some(("nat_gateways", cost::NAT_GATEWAY_USD_PER_HOUR))
    }
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use std::collections::HashMap;
    use std::sync::Arc;
    use std::time::Duration;

    use aws_sdk_ec2::types::{Filter, NatGateway, NatGatewayState, ResourceType};
    use aws_sdk_ec2::Client;

    use super::*;
    use crate::apply::IdMap;
    use crate::aws::common::keys::key_of;
    use crate::aws::common::poll::{poll_until, within, Poll};
    use crate::aws::common::tags;
    use crate::aws::ec2::vpc::environment_vpc_id;
    use crate::aws::error::{classify, AwsError};
    use crate::aws::kind::{AwsKind, Cx};
    use crate::plan::node::Kind;

    impl AwsKind for NatGatewaySpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            Ok(find_live_nat_gateway_by_tags(&cx.clients.ec2, spec)
                .await?
                .and_then(|n| n.nat_gateway_id().map(str::to_string)))
        }

        /// Every gateway of the environment's VPC in one listing, shared by all children that
        /// observe one.
        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            let Some(vpc_id) = environment_vpc_id(cx.ids) else {
                return observe_nat_gateway(&cx.clients.ec2, id, current, cx.ids).await;
            };
            let gateways = nat_gateways_of_vpc(cx, vpc_id).await?;
            Ok(gateways
                .get(id)
                .filter(|nat| !is_gone(nat))
                .map(|nat| flatten_nat_gateway(nat, current, cx.ids)))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_nat_gateway(cx, spec).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_nat_gateway(&cx.clients.ec2, id, current, desired).await?;
            Ok(id.to_string())
        }

        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            delete_nat_gateway(&cx.clients.ec2, id).await
        }
    }

    /// How long a create waits for an earlier gateway of the same child, or on the same
    /// Elastic IP, to finish deleting; AWS takes a minute or two, rarely more.
    const EARLIER_DELETE_LIMIT: Duration = Duration::from_secs(600);

    // find

    /// Every gateway matching `filters`, across pages.
    async fn describe_nat_gateways(
        ec2: &Client,
        filters: Vec<Filter>,
    ) -> Result<Vec<NatGateway>, AwsError> {
        let mut pages = ec2
            .describe_nat_gateways()
            .set_filter(Some(filters))
            .into_paginator()
            .send();
        let mut gateways = Vec::new();
        while let Some(page) = pages.next().await {
            gateways.extend(page.map_err(classify)?.nat_gateways().iter().cloned());
        }
        Ok(gateways)
    }

    /// Every gateway of a VPC, deleted ones included, by ID, read once through the shared
    /// reads.
    pub async fn nat_gateways_of_vpc(
        cx: &Cx<'_>,
        vpc_id: &str,
    ) -> Result<Arc<HashMap<String, NatGateway>>, AwsError> {
        cx.reads
            .get(&format!("ec2.nat_gateway/vpc/{vpc_id}"), || {
                list_nat_gateways(&cx.clients.ec2, vpc_id)
            })
            .await
    }

    /// Every gateway of a VPC, deleted ones included (AWS lists them for an hour), by ID.
    pub async fn list_nat_gateways(
        ec2: &Client,
        vpc_id: &str,
    ) -> Result<HashMap<String, NatGateway>, AwsError> {
        let by_vpc = Filter::builder().name("vpc-id").values(vpc_id).build();
        Ok(describe_nat_gateways(ec2, vec![by_vpc])
            .await?
            .into_iter()
            .filter_map(|n| Some((n.nat_gateway_id()?.to_string(), n)))
            .collect())
    }

    pub async fn find_nat_gateway_by_id(
        ec2: &Client,
        id: &str,
    ) -> Result<Option<NatGateway>, AwsError> {
        match ec2
            .describe_nat_gateways()
            .nat_gateway_ids(id)
            .send()
            .await
            .map_err(classify)
        {
            Ok(out) => Ok(out.nat_gateways().first().cloned()),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A pending or available gateway carrying the spec's ownership tags.
    async fn find_live_nat_gateway_by_tags(
        ec2: &Client,
        spec: &NatGatewaySpec,
    ) -> Result<Option<NatGateway>, AwsError> {
        let mut filters = tags::ownership_filters(&spec.tags);
        filters.push(
            Filter::builder()
                .name("state")
                .values("pending")
                .values("available")
                .build(),
        );
        Ok(describe_nat_gateways(ec2, filters)
            .await?
            .into_iter()
            .find(|n| tags::owned_by(n.tags(), &spec.tags) && !is_gone(n)))
    }

    /// A pending or available gateway of the environment's VPC carrying the spec's ownership
    /// tags, from the VPC's shared listing (a listing of this run: the engine forgets it after
    /// a failed attempt); asked of AWS before the VPC is recorded.
    async fn adoptable_nat_gateway(
        cx: &Cx<'_>,
        spec: &NatGatewaySpec,
    ) -> Result<Option<String>, AwsError> {
        let Some(vpc_id) = environment_vpc_id(cx.ids) else {
            return Ok(find_live_nat_gateway_by_tags(&cx.clients.ec2, spec)
                .await?
                .and_then(|n| n.nat_gateway_id().map(str::to_string)));
        };
        if cx.reads.created_in_run(vpc_id) {
            return Ok(None);
        }
        let gateways = nat_gateways_of_vpc(cx, vpc_id).await?;
        Ok(gateways
            .iter()
            .filter(|(_, n)| tags::owned_by(n.tags(), &spec.tags) && !is_gone(n))
            .map(|(id, _)| id.clone())
            .min())
    }

    /// Gateways still deleting that stand in the way of a new one for `spec`: an earlier
    /// gateway of the same child (deleted out of band, or replaced), or any gateway holding
    /// its Elastic IP, which AWS releases only once the gateway is deleted.
    ///
    /// No filter matches an allocation ID: the region's deleting gateways, few at any time,
    /// are listed once through the shared reads and matched both ways here. A gateway that
    /// started deleting after that listing was one this run deleted and waited for (the engine
    /// forgets the listing after every delete), or one deleted out of band meanwhile, which
    /// makes the create fail and the next apply wait for it.
    async fn find_deleting_nat_gateways(
        cx: &Cx<'_>,
        spec: &NatGatewaySpec,
        allocation_id: &str,
    ) -> Result<Vec<String>, AwsError> {
        let deleting = cx
            .reads
            .get("ec2.nat_gateway/region/deleting", || {
                let deleting = Filter::builder().name("state").values("deleting").build();
                describe_nat_gateways(&cx.clients.ec2, vec![deleting])
            })
            .await?;
        Ok(deleting
            .iter()
            .filter(|n| n.state() == Some(&NatGatewayState::Deleting))
            .filter(|n| {
                tags::owned_by(n.tags(), &spec.tags)
                    || n.nat_gateway_addresses()
                        .iter()
                        .any(|a| a.allocation_id() == Some(allocation_id))
            })
            .filter_map(|n| n.nat_gateway_id().map(str::to_string))
            .collect())
    }

    fn is_gone(nat: &NatGateway) -> bool {
        matches!(
            nat.state(),
            Some(NatGatewayState::Deleted | NatGatewayState::Deleting | NatGatewayState::Failed)
        )
    }

    // wait

    /// Polls until the gateway is available. The caller owns the overall timeout.
    pub async fn wait_nat_gateway_available(ec2: &Client, id: &str) -> Result<(), AwsError> {
        poll_until(|| async {
            match find_nat_gateway_by_id(ec2, id).await? {
                Some(nat) if nat.state() == Some(&NatGatewayState::Available) => {
                    Ok(Poll::Ready(()))
                }
                Some(nat) if nat.state() == Some(&NatGatewayState::Failed) => Err(AwsError::Api {
                    code: nat.failure_code().unwrap_or("NatGatewayFailed").to_string(),
                    message: nat
                        .failure_message()
                        .unwrap_or("the NAT gateway failed")
                        .to_string(),
                }),
                Some(nat) if is_gone(&nat) => Err(AwsError::unexpected(format!(
                    "NAT gateway {id} was deleted while being created"
                ))),
                // Absent right after create is eventual consistency.
                _ => Ok(Poll::Pending),
            }
        })
        .await
    }

    /// Polls until the gateway is deleted, so its Elastic IP can be released or reused. The
    /// caller owns the overall timeout.
    pub async fn wait_nat_gateway_deleted(ec2: &Client, id: &str) -> Result<(), AwsError> {
        poll_until(|| async {
            Ok(match find_nat_gateway_by_id(ec2, id).await? {
                Some(nat)
                    if !matches!(
                        nat.state(),
                        Some(NatGatewayState::Deleted | NatGatewayState::Failed)
                    ) =>
                {
                    Poll::Pending
                }
                _ => Poll::Ready(()),
            })
        })
        .await
    }

    // create, update, delete

    /// Adopts a live gateway carrying the ownership tags; otherwise creates one with them, in the
    /// same call, so a crash never leaves an untagged gateway behind.
    ///
    /// An earlier gateway of this child that is still deleting (deleted out of band, say)
    /// holds the Elastic IP until it is gone, and CreateNatGateway would fail with
    /// `Resource.AlreadyAssociated`: wait for it first.
    pub async fn create_nat_gateway(
        cx: &Cx<'_>,
        spec: &NatGatewaySpec,
    ) -> Result<String, AwsError> {
        let (ec2, ids) = (&cx.clients.ec2, cx.ids);
        let id = match adoptable_nat_gateway(cx, spec).await? {
            Some(existing) => existing,
            None => {
                let missing = |e: crate::apply::StepError| AwsError::unexpected(e.message);
                let subnet_id = ids.id(&spec.subnet).map_err(missing)?;
                let allocation_id = ids.id(&spec.eip).map_err(missing)?;
                let earlier = find_deleting_nat_gateways(cx, spec, allocation_id).await?;
                if !earlier.is_empty() {
                    within(
                        EARLIER_DELETE_LIMIT,
                        format!("NAT gateways {} to be deleted", earlier.join(", ")),
                        async {
                            for id in &earlier {
                                wait_nat_gateway_deleted(ec2, id).await?;
                            }
                            Ok(())
                        },
                    )
                    .await?;
                }
                let out = ec2
                    .create_nat_gateway()
                    .subnet_id(subnet_id)
                    .allocation_id(allocation_id)
                    .tag_specifications(tags::specification(ResourceType::Natgateway, &spec.tags))
                    .send()
                    .await
                    .map_err(classify)?;
                out.nat_gateway()
                    .and_then(NatGateway::nat_gateway_id)
                    .ok_or_else(|| AwsError::unexpected("CreateNatGateway returned no ID"))?
                    .to_string()
            }
        };
        wait_nat_gateway_available(ec2, &id).await?;
        Ok(id)
    }

    pub async fn update_nat_gateway(
        ec2: &Client,
        id: &str,
        current: &NatGatewaySpec,
        desired: &NatGatewaySpec,
    ) -> Result<(), AwsError> {
        tags::sync_tags(ec2, id, &current.tags, &desired.tags).await
    }

    pub async fn delete_nat_gateway(ec2: &Client, id: &str) -> Result<(), AwsError> {
        match ec2
            .delete_nat_gateway()
            .nat_gateway_id(id)
            .send()
            .await
            .map_err(classify)
        {
            Ok(_) => {}
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e),
        }
        wait_nat_gateway_deleted(ec2, id).await
    }

    // flatten

    pub fn flatten_nat_gateway(
        nat: &NatGateway,
        current: &NatGatewaySpec,
        ids: &IdMap,
    ) -> NatGatewaySpec {
        let allocation = nat
            .nat_gateway_addresses()
            .iter()
            .find_map(|a| a.allocation_id())
            .unwrap_or("none");
        NatGatewaySpec {
            subnet: key_of(ids, Kind::Subnet, nat.subnet_id().unwrap_or_default()),
            eip: key_of(ids, Kind::ElasticIp, allocation),
            // An ordering dependency of ours, not an AWS property.
            internet_gateway: current.internet_gateway.clone(),
            tags: tags::from_sdk(nat.tags()),
        }
    }

    pub async fn observe_nat_gateway(
        ec2: &Client,
        id: &str,
        current: &NatGatewaySpec,
        ids: &IdMap,
    ) -> Result<Option<NatGatewaySpec>, AwsError> {
        Ok(find_nat_gateway_by_id(ec2, id)
            .await?
            .filter(|nat| !is_gone(nat))
            .map(|nat| flatten_nat_gateway(&nat, current, ids)))
    }
}
