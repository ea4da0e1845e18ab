//! EC2 NAT Gateway (public connectivity, one Elastic IP).

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{NodeKey, Tags};

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
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use super::*;
    use std::time::Duration;

    use aws_sdk_ec2::types::{Filter, NatGateway, NatGatewayState, ResourceType};
    use aws_sdk_ec2::Client;

    use crate::apply::IdMap;
    use crate::aws::common::tags;
    use crate::aws::error::{classify, AwsError};
    use crate::plan::node::Kind;

    use crate::aws::common::keys::key_of;

    /// NAT gateways take minutes to become available or deleted on AWS.
    const POLL_START: Duration = Duration::from_secs(2);
    const POLL_MAX: Duration = Duration::from_secs(15);

    // find

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

    fn is_gone(nat: &NatGateway) -> bool {
        matches!(
            nat.state(),
            Some(NatGatewayState::Deleted | NatGatewayState::Deleting | NatGatewayState::Failed)
        )
    }

    // wait

    /// Polls until the gateway is available. The caller owns the overall timeout.
    pub async fn wait_nat_gateway_available(ec2: &Client, id: &str) -> Result<(), AwsError> {
        let mut delay = POLL_START;
        loop {
            match find_nat_gateway_by_id(ec2, id).await? {
                Some(nat) if nat.state() == Some(&NatGatewayState::Available) => return Ok(()),
                Some(nat) if nat.state() == Some(&NatGatewayState::Failed) => {
                    return Err(AwsError::Api {
                        code: nat.failure_code().unwrap_or("NatGatewayFailed").to_string(),
                        message: nat
                            .failure_message()
                            .unwrap_or("the NAT gateway failed")
                            .to_string(),
                    })
                }
                Some(nat) if is_gone(&nat) => {
                    return Err(AwsError::unexpected(format!(
                        "NAT gateway {id} was deleted while being created"
                    )))
                }
                _ => {}
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(POLL_MAX);
        }
    }

    /// Polls until the gateway is deleted, so its Elastic IP can be released.
    pub async fn wait_nat_gateway_deleted(ec2: &Client, id: &str) -> Result<(), AwsError> {
        let mut delay = POLL_START;
        loop {
            match find_nat_gateway_by_id(ec2, id).await? {
                None => return Ok(()),
                Some(nat)
                    if matches!(
                        nat.state(),
                        Some(NatGatewayState::Deleted | NatGatewayState::Failed)
                    ) =>
                {
                    return Ok(())
                }
                Some(_) => {}
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(POLL_MAX);
        }
    }

    // create, update, delete

    /// Adopts a live gateway carrying the ownership tags; otherwise creates one with them, in the
    /// same call, so a crash never leaves an untagged gateway behind.
    pub async fn create_nat_gateway(
        ec2: &Client,
        spec: &NatGatewaySpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        let mut filters = tags::ownership_filters(&spec.tags);
        filters.push(
            Filter::builder()
                .name("state")
                .values("pending")
                .values("available")
                .build(),
        );
        let found = ec2
            .describe_nat_gateways()
            .set_filter(Some(filters))
            .send()
            .await
            .map_err(classify)?;
        let id = match found
            .nat_gateways()
            .iter()
            .find(|n| tags::owned_by(n.tags(), &spec.tags) && !is_gone(n))
            .and_then(NatGateway::nat_gateway_id)
        {
            Some(id) => id.to_string(),
            None => {
                let subnet_id = ids
                    .id(&spec.subnet)
                    .map_err(|e| AwsError::unexpected(e.message))?;
                let allocation_id = ids
                    .id(&spec.eip)
                    .map_err(|e| AwsError::unexpected(e.message))?;
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

    impl crate::aws::kind::AwsKind for NatGatewaySpec {
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
            current: &Self,
        ) -> Result<Option<Self>, AwsError> {
            observe_nat_gateway(&cx.clients.ec2, id, current, cx.ids).await
        }

        async fn create(cx: &crate::aws::kind::Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_nat_gateway(&cx.clients.ec2, spec, cx.ids).await
        }

        async fn update(
            cx: &crate::aws::kind::Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_nat_gateway(&cx.clients.ec2, id, current, desired)
                .await
                .map(|()| id.to_string())
        }

        async fn delete(
            cx: &crate::aws::kind::Cx<'_>,
            id: &str,
            _current: &Self,
        ) -> Result<(), AwsError> {
            delete_nat_gateway(&cx.clients.ec2, id).await
        }
    }
}
