//! EC2 VPC.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{Node, NodeKey, Tags};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpcSpec {
    pub cidr: String,
    pub enable_dns_support: bool,
    pub enable_dns_hostnames: bool,
    pub tags: Tags,
}

impl KindSpec for VpcSpec {
    const PREFIX: &'static str = "ec2.vpc";
    const DISPLAY_NAME: &'static str = "EC2 VPC";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "ec2:CreateTags",
        "ec2:CreateVpc",
        "ec2:DeleteTags",
        "ec2:DeleteVpc",
        "ec2:DescribeVpcAttribute",
        "ec2:DescribeVpcs",
        "ec2:ModifyVpcAttribute",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        vec![]
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[("cidr", self.cidr != d.cidr)])
    }

    fn hourly_charge(&self, _graph: &BTreeMap<NodeKey, Node>) -> Option<(&'static str, f64)> {
        None
    }
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use super::*;
    use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, Vpc, VpcAttributeName};
    use aws_sdk_ec2::Client;

    use crate::apply::IdMap;
    use crate::aws::common::tags;
    use crate::aws::error::{classify, AwsError};
    use crate::aws::kind::{AwsKind, Cx};
    use crate::plan::node::{Kind, NodeKey};

    impl AwsKind for VpcSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            Ok(find_vpc_by_tags(&cx.clients.ec2, &spec.tags)
                .await?
                .and_then(|v| v.vpc_id().map(str::to_string)))
        }

        /// One VPC per environment: its describe and two attribute reads are shared by every
        /// resource of the environment that observes it.
        async fn observe(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<Option<Self>, AwsError> {
            let observed = cx
                .reads
                .get(&format!("ec2.vpc/{id}"), || {
                    observe_vpc(&cx.clients.ec2, id)
                })
                .await?;
            Ok((*observed).clone())
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_vpc(cx, spec).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_vpc(&cx.clients.ec2, id, current, desired).await?;
            Ok(id.to_string())
        }

        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            delete_vpc(&cx.clients.ec2, id).await
        }
    }

    /// The environment's VPC: the scope of the kinds whose specs name no VPC of their own (NAT
    /// gateways, routes, associations, security group rules). `None` before it exists.
    pub fn environment_vpc_id(ids: &IdMap) -> Option<&str> {
        ids.id(&NodeKey::new(Kind::Vpc, &[])).ok()
    }

    // find

    pub async fn find_vpc_by_id(ec2: &Client, id: &str) -> Result<Option<Vpc>, AwsError> {
        match ec2
            .describe_vpcs()
            .vpc_ids(id)
            .send()
            .await
            .map_err(classify)
        {
            Ok(out) => Ok(out.vpcs().first().cloned()),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn find_vpc_by_tags(ec2: &Client, spec_tags: &Tags) -> Result<Option<Vpc>, AwsError> {
        let mut pages = ec2
            .describe_vpcs()
            .set_filters(Some(tags::ownership_filters(spec_tags)))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            if let Some(vpc) = page
                .map_err(classify)?
                .vpcs()
                .iter()
                .find(|v| tags::owned_by(v.tags(), spec_tags))
            {
                return Ok(Some(vpc.clone()));
            }
        }
        Ok(None)
    }

    async fn dns_attribute(
        ec2: &Client,
        id: &str,
        name: VpcAttributeName,
    ) -> Result<bool, AwsError> {
        let out = ec2
            .describe_vpc_attribute()
            .vpc_id(id)
            .attribute(name.clone())
            .send()
            .await
            .map_err(classify)?;
        let value = match name {
            VpcAttributeName::EnableDnsSupport => out.enable_dns_support(),
            _ => out.enable_dns_hostnames(),
        };
        Ok(value
            .and_then(AttributeBooleanValue::value)
            .unwrap_or(false))
    }

    // create, update, delete

    /// Adopts the VPC carrying the spec's ownership tags, or creates one with them and marks it
    /// created in this run ([`Reads::mark_created`]).
    ///
    /// [`Reads::mark_created`]: crate::aws::common::reads::Reads::mark_created
    pub async fn create_vpc(cx: &Cx<'_>, spec: &VpcSpec) -> Result<String, AwsError> {
        let ec2 = &cx.clients.ec2;
        // An adopted VPC's DNS attributes are unknown; a new one has AWS's documented
        // defaults for a non-default VPC (DNS support on, hostnames off).
        let fresh_defaults = VpcSpec {
            enable_dns_support: true,
            enable_dns_hostnames: false,
            ..spec.clone()
        };
        let (id, known) = match find_vpc_by_tags(ec2, &spec.tags).await? {
            Some(existing) => (existing.vpc_id().unwrap_or_default().to_string(), None),
            None => {
                let out = ec2
                    .create_vpc()
                    .cidr_block(&spec.cidr)
                    .tag_specifications(tags::specification(ResourceType::Vpc, &spec.tags))
                    .send()
                    .await
                    .map_err(classify)?;
                let id = out
                    .vpc()
                    .and_then(Vpc::vpc_id)
                    .ok_or_else(|| AwsError::unexpected("CreateVpc returned no VPC ID"))?
                    .to_string();
                cx.reads.mark_created(&id);
                (id, Some(&fresh_defaults))
            }
        };
        set_dns(ec2, &id, spec, known).await?;
        Ok(id)
    }

    async fn set_dns(
        ec2: &Client,
        id: &str,
        spec: &VpcSpec,
        current: Option<&VpcSpec>,
    ) -> Result<(), AwsError> {
        // One attribute per call: the API refuses both at once.
        if current.is_none_or(|c| c.enable_dns_support != spec.enable_dns_support) {
            ec2.modify_vpc_attribute()
                .vpc_id(id)
                .enable_dns_support(
                    AttributeBooleanValue::builder()
                        .value(spec.enable_dns_support)
                        .build(),
                )
                .send()
                .await
                .map_err(classify)?;
        }
        if current.is_none_or(|c| c.enable_dns_hostnames != spec.enable_dns_hostnames) {
            ec2.modify_vpc_attribute()
                .vpc_id(id)
                .enable_dns_hostnames(
                    AttributeBooleanValue::builder()
                        .value(spec.enable_dns_hostnames)
                        .build(),
                )
                .send()
                .await
                .map_err(classify)?;
        }
        Ok(())
    }

    pub async fn update_vpc(
        ec2: &Client,
        id: &str,
        current: &VpcSpec,
        desired: &VpcSpec,
    ) -> Result<(), AwsError> {
        set_dns(ec2, id, desired, Some(current)).await?;
        tags::sync_tags(ec2, id, &current.tags, &desired.tags).await
    }

    pub async fn delete_vpc(ec2: &Client, id: &str) -> Result<(), AwsError> {
        match ec2.delete_vpc().vpc_id(id).send().await.map_err(classify) {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }

    // observe

    /// The VPC with its DNS attributes; `None` when it is gone.
    pub async fn observe_vpc(ec2: &Client, id: &str) -> Result<Option<VpcSpec>, AwsError> {
        let Some(vpc) = find_vpc_by_id(ec2, id).await? else {
            return Ok(None);
        };
        let (enable_dns_support, enable_dns_hostnames) = futures::try_join!(
            dns_attribute(ec2, id, VpcAttributeName::EnableDnsSupport),
            dns_attribute(ec2, id, VpcAttributeName::EnableDnsHostnames),
        )?;
        Ok(Some(VpcSpec {
            cidr: vpc.cidr_block().unwrap_or_default().to_string(),
            enable_dns_support,
            enable_dns_hostnames,
            tags: tags::from_sdk(vpc.tags()),
        }))
    }
}
