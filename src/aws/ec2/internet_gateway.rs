//! EC2 Internet Gateway, created attached to its VPC.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{Node, NodeKey, Tags};

/// Created attached to `vpc`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InternetGatewaySpec {
    pub vpc: NodeKey,
    pub tags: Tags,
}

impl KindSpec for InternetGatewaySpec {
    const PREFIX: &'static str = "ec2.internet_gateway";
    const DISPLAY_NAME: &'static str = "EC2 Internet Gateway";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "ec2:AttachInternetGateway",
        "ec2:CreateInternetGateway",
        "ec2:CreateTags",
        "ec2:DeleteInternetGateway",
        "ec2:DeleteTags",
        "ec2:DescribeInternetGateways",
        "ec2:DetachInternetGateway",
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

    use aws_sdk_ec2::types::{Filter, InternetGateway, ResourceType};
    use aws_sdk_ec2::Client;

    use super::*;
    use crate::apply::IdMap;
    use crate::aws::common::keys::key_of;
    use crate::aws::common::tags;
    use crate::aws::error::{classify, AwsError};
    use crate::aws::kind::{AwsKind, Cx};
    use crate::plan::expand::naming::TAG_OWNER;
    use crate::plan::node::Kind;

    impl AwsKind for InternetGatewaySpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            Ok(find_internet_gateway_by_tags(&cx.clients.ec2, spec)
                .await?
                .and_then(|g| g.internet_gateway_id().map(str::to_string)))
        }

        /// Every gateway of the environment's owner in one listing, shared by all children that
        /// observe one.
        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            let Some(owner) = current.tags.get(TAG_OWNER) else {
                return observe_internet_gateway(&cx.clients.ec2, id, cx.ids).await;
            };
            let gateways = cx
                .reads
                .get(&format!("ec2.internet_gateway/owner/{owner}"), || {
                    list_internet_gateways(&cx.clients.ec2, owner)
                })
                .await?;
            match gateways.get(id) {
                Some(g) => Ok(Some(flatten_internet_gateway(g, cx.ids))),
                // Absent from the owner's listing: gone, or its owner tag was edited away. Only
                // its ID tells, and a gateway that is still there must not be made twice.
                None => observe_internet_gateway(&cx.clients.ec2, id, cx.ids).await,
            }
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_internet_gateway(&cx.clients.ec2, spec, cx.ids).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_internet_gateway(&cx.clients.ec2, id, current, desired).await?;
            Ok(id.to_string())
        }

        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            delete_internet_gateway(&cx.clients.ec2, id).await
        }
    }

    /// Detaching a gateway that is already detached is fine during delete.
    const NOT_ATTACHED: &str = "Gateway.NotAttached";

    // find

    /// Every gateway matching `filters`, across pages.
    async fn describe_internet_gateways(
        ec2: &Client,
        filters: Vec<Filter>,
    ) -> Result<Vec<InternetGateway>, AwsError> {
        let mut pages = ec2
            .describe_internet_gateways()
            .set_filters(Some(filters))
            .into_paginator()
            .send();
        let mut gateways = Vec::new();
        while let Some(page) = pages.next().await {
            gateways.extend(page.map_err(classify)?.internet_gateways().iter().cloned());
        }
        Ok(gateways)
    }

    /// Every gateway carrying the owner tag `owner`, by ID. The filter narrows the search;
    /// the tag is checked again on every gateway found.
    pub async fn list_internet_gateways(
        ec2: &Client,
        owner: &str,
    ) -> Result<HashMap<String, InternetGateway>, AwsError> {
        Ok(
            describe_internet_gateways(ec2, vec![tags::owner_filter(owner)])
                .await?
                .into_iter()
                .filter(|g| {
                    tags::from_sdk(g.tags()).get(TAG_OWNER).map(String::as_str) == Some(owner)
                })
                .filter_map(|g| Some((g.internet_gateway_id()?.to_string(), g)))
                .collect(),
        )
    }

    pub async fn find_internet_gateway_by_id(
        ec2: &Client,
        id: &str,
    ) -> Result<Option<InternetGateway>, AwsError> {
        match ec2
            .describe_internet_gateways()
            .internet_gateway_ids(id)
            .send()
            .await
            .map_err(classify)
        {
            Ok(out) => Ok(out.internet_gateways().first().cloned()),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn find_internet_gateway_by_tags(
        ec2: &Client,
        spec: &InternetGatewaySpec,
    ) -> Result<Option<InternetGateway>, AwsError> {
        Ok(
            describe_internet_gateways(ec2, tags::ownership_filters(&spec.tags))
                .await?
                .into_iter()
                .find(|g| tags::owned_by(g.tags(), &spec.tags)),
        )
    }

    fn attached_vpc(igw: &InternetGateway) -> Option<&str> {
        igw.attachments().iter().find_map(|a| a.vpc_id())
    }

    // create, update, delete

    pub async fn create_internet_gateway(
        ec2: &Client,
        spec: &InternetGatewaySpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        let vpc_id = ids
            .id(&spec.vpc)
            .map_err(|e| AwsError::unexpected(e.message))?
            .to_string();
        let (id, attached) = match find_internet_gateway_by_tags(ec2, spec).await? {
            Some(existing) => (
                existing
                    .internet_gateway_id()
                    .unwrap_or_default()
                    .to_string(),
                attached_vpc(&existing).map(str::to_string),
            ),
            None => {
                let out = ec2
                    .create_internet_gateway()
                    .tag_specifications(tags::specification(
                        ResourceType::InternetGateway,
                        &spec.tags,
                    ))
                    .send()
                    .await
                    .map_err(classify)?;
                let id = out
                    .internet_gateway()
                    .and_then(InternetGateway::internet_gateway_id)
                    .ok_or_else(|| AwsError::unexpected("CreateInternetGateway returned no ID"))?
                    .to_string();
                (id, None)
            }
        };
        if attached.as_deref() != Some(vpc_id.as_str()) {
            ec2.attach_internet_gateway()
                .internet_gateway_id(&id)
                .vpc_id(&vpc_id)
                .send()
                .await
                .map_err(classify)?;
        }
        Ok(id)
    }

    pub async fn update_internet_gateway(
        ec2: &Client,
        id: &str,
        current: &InternetGatewaySpec,
        desired: &InternetGatewaySpec,
    ) -> Result<(), AwsError> {
        tags::sync_tags(ec2, id, &current.tags, &desired.tags).await
    }

    pub async fn delete_internet_gateway(ec2: &Client, id: &str) -> Result<(), AwsError> {
        let Some(igw) = find_internet_gateway_by_id(ec2, id).await? else {
            return Ok(());
        };
        for attachment in igw.attachments() {
            if let Some(vpc_id) = attachment.vpc_id() {
                match ec2
                    .detach_internet_gateway()
                    .internet_gateway_id(id)
                    .vpc_id(vpc_id)
                    .send()
                    .await
                    .map_err(classify)
                {
                    Ok(_) => {}
                    Err(e) if e.is_not_found() => {}
                    Err(AwsError::Api { code, .. }) if code == NOT_ATTACHED => {}
                    Err(e) => return Err(e),
                }
            }
        }
        match ec2
            .delete_internet_gateway()
            .internet_gateway_id(id)
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

    pub fn flatten_internet_gateway(igw: &InternetGateway, ids: &IdMap) -> InternetGatewaySpec {
        InternetGatewaySpec {
            vpc: key_of(ids, Kind::Vpc, attached_vpc(igw).unwrap_or("detached")),
            tags: tags::from_sdk(igw.tags()),
        }
    }

    pub async fn observe_internet_gateway(
        ec2: &Client,
        id: &str,
        ids: &IdMap,
    ) -> Result<Option<InternetGatewaySpec>, AwsError> {
        Ok(find_internet_gateway_by_id(ec2, id)
            .await?
            .map(|g| flatten_internet_gateway(&g, ids)))
    }
}
