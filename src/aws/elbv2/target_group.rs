//! ELBv2 target group of IP targets over HTTP; the ledger ID is its ARN.
//!
//! Names are deterministic and unique per region, so adoption is a lookup by name.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{Node, NodeKey, Tags};

/// An HTTP target group of IP targets; its ledger ID is its ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetGroupSpec {
    /// At most 32 characters; AWS cannot rename a target group.
    pub name: String,
    pub vpc: NodeKey,
    /// AWS cannot change the port; the expansion puts it in the node key, so a new port is a
    /// new target group made before the old one goes.
    pub port: i32,
    pub health_check: HealthCheckSpec,
    pub deregistration_delay_seconds: u32,
    pub tags: Tags,
}

/// A target group health check (HTTP on the traffic port).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheckSpec {
    pub path: String,
    /// HTTP codes, e.g. `200-399`.
    pub matcher: String,
    pub interval_seconds: u32,
    pub timeout_seconds: u32,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
}

impl KindSpec for TargetGroupSpec {
    const PREFIX: &'static str = "elbv2.target_group";
    const DISPLAY_NAME: &'static str = "ELBv2 Target Group";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "elasticloadbalancing:AddTags",
        "elasticloadbalancing:CreateTargetGroup",
        "elasticloadbalancing:DeleteTargetGroup",
        "elasticloadbalancing:DescribeTags",
        "elasticloadbalancing:DescribeTargetGroupAttributes",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:ModifyTargetGroup",
        "elasticloadbalancing:ModifyTargetGroupAttributes",
        "elasticloadbalancing:RemoveTags",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        vec![Reference::replace(&self.vpc)]
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[
            ("name", self.name != d.name),
            ("vpc", self.vpc != d.vpc),
            ("port", self.port != d.port),
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

    use aws_sdk_elasticloadbalancingv2::types::{
        Matcher, ProtocolEnum, TargetGroup, TargetGroupAttribute, TargetTypeEnum,
    };
    use aws_sdk_elasticloadbalancingv2::Client;

    use super::*;
    use crate::apply::IdMap;
    use crate::aws::common::elbv2::{describe_tags, describe_tags_of, sync_tags};
    use crate::aws::common::ownership::{adopt_or_create, owned_by, Found};
    use crate::aws::common::tags;
    use crate::aws::error::{classify, none_if_not_found, AwsError};
    use crate::aws::kind::{AwsKind, Cx};

    impl AwsKind for TargetGroupSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            find_owned_target_group(&cx.clients.elbv2, spec, cx.ids).await
        }

        /// Every target group of the region in one listing and the tags of those in the
        /// group's VPC in batches, shared by all children that observe one. The deregistration
        /// delay has no batch API: one call per group, shared by whoever reads that group.
        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            let client = &cx.clients.elbv2;
            let groups = cx
                .reads
                .get("elbv2.target_group/all", || list_target_groups(client))
                .await?;
            let Some(group) = groups.get(id) else {
                return Ok(None);
            };
            let vpc_id = group.vpc_id().unwrap_or_default();
            let tags = cx
                .reads
                .get(&format!("elbv2.target_group/vpc/{vpc_id}/tags"), || async {
                    let mut arns: Vec<String> = groups
                        .iter()
                        .filter(|(_, g)| g.vpc_id() == Some(vpc_id))
                        .map(|(arn, _)| arn.clone())
                        .collect();
                    arns.sort();
                    describe_tags(client, &arns).await
                })
                .await?;
            let delay = cx
                .reads
                .get(&format!("elbv2.target_group/{id}/attributes"), || {
                    find_deregistration_delay(client, id)
                })
                .await?;
            let (Some(tags), Some(delay)) = (tags.get(id), *delay) else {
                return Ok(None);
            };
            Ok(Some(flatten_target_group(
                group,
                delay,
                tags.clone(),
                current,
                cx.ids,
            )))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_target_group(&cx.clients.elbv2, spec, cx.ids).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_target_group(&cx.clients.elbv2, id, current, desired).await
        }

        async fn delete(cx: &Cx<'_>, id: &str, current: &Self) -> Result<(), AwsError> {
            delete_target_group(&cx.clients.elbv2, id, current).await
        }
    }

    /// A create that lost a race (or follows a crash): adopt or refuse.
    const DUPLICATE_NAME: &str = "DuplicateTargetGroupName";

    /// DescribeTargetGroups' largest page.
    const PAGE_SIZE: i32 = 400;

    const ATTR_DEREGISTRATION_DELAY: &str = "deregistration_delay.timeout_seconds";
    /// What ELBv2 reports when the delay was never set.
    const DEFAULT_DEREGISTRATION_DELAY: u32 = 300;

    const PROTOCOL_VERSION: &str = "HTTP1";
    /// Health checks go to the port traffic goes to.
    const TRAFFIC_PORT: &str = "traffic-port";

    // find

    /// Every target group of the region, by ARN.
    pub async fn list_target_groups(
        client: &Client,
    ) -> Result<HashMap<String, TargetGroup>, AwsError> {
        let mut pages = client
            .describe_target_groups()
            .page_size(PAGE_SIZE)
            .into_paginator()
            .send();
        let mut groups = HashMap::new();
        while let Some(page) = pages.next().await {
            for group in page.map_err(classify)?.target_groups() {
                if let Some(arn) = group.target_group_arn() {
                    groups.insert(arn.to_string(), group.clone());
                }
            }
        }
        Ok(groups)
    }

    /// `None` when no target group has the name (`TargetGroupNotFound`).
    pub async fn find_target_group_by_name(
        client: &Client,
        name: &str,
    ) -> Result<Option<TargetGroup>, AwsError> {
        let out = none_if_not_found(
            client
                .describe_target_groups()
                .names(name)
                .send()
                .await
                .map_err(classify),
        )?;
        Ok(out.and_then(|o| {
            o.target_groups()
                .iter()
                .find(|g| g.target_group_name() == Some(name))
                .cloned()
        }))
    }

    /// The deregistration delay; `None` when the target group is gone.
    pub async fn find_deregistration_delay(
        client: &Client,
        arn: &str,
    ) -> Result<Option<u32>, AwsError> {
        let out = none_if_not_found(
            client
                .describe_target_group_attributes()
                .target_group_arn(arn)
                .send()
                .await
                .map_err(classify),
        )?;
        Ok(out.map(|o| {
            o.attributes()
                .iter()
                .find(|a| a.key() == Some(ATTR_DEREGISTRATION_DELAY))
                .and_then(TargetGroupAttribute::value)
                .and_then(|v| v.parse().ok())
                .unwrap_or(DEFAULT_DEREGISTRATION_DELAY)
        }))
    }

    /// The target group holding the spec's name, attributes and tags included; `None` when
    /// there is none. Asks AWS directly, for adoption.
    async fn read_target_group_by_name(
        client: &Client,
        spec: &TargetGroupSpec,
        ids: &IdMap,
    ) -> Result<Option<Found<TargetGroupSpec>>, AwsError> {
        let Some(group) = find_target_group_by_name(client, &spec.name).await? else {
            return Ok(None);
        };
        let arn = group
            .target_group_arn()
            .ok_or_else(|| AwsError::unexpected("DescribeTargetGroups returned no ARN"))?;
        let Some(delay) = find_deregistration_delay(client, arn).await? else {
            return Ok(None);
        };
        let Some(tags) = describe_tags_of(client, arn).await? else {
            return Ok(None);
        };
        Ok(Some(Found {
            id: arn.to_string(),
            current: flatten_target_group(&group, delay, tags.clone(), spec, ids),
            tags,
        }))
    }

    /// The ledger ID of the target group holding the spec's name and carrying its ownership
    /// tags, without changing anything (import and discovery); `None` when there is none.
    pub async fn find_owned_target_group(
        client: &Client,
        spec: &TargetGroupSpec,
        ids: &IdMap,
    ) -> Result<Option<String>, AwsError> {
        Ok(read_target_group_by_name(client, spec, ids)
            .await?
            .filter(|found| owned_by(&found.tags, &spec.tags))
            .map(|found| found.id))
    }

    // create, update, delete

    /// Creates the target group, or adopts the one holding its name when it carries the
    /// spec's ownership tags (refusing one someone else owns). Returns the ledger ID.
    pub async fn create_target_group(
        client: &Client,
        spec: &TargetGroupSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        adopt_or_create(
            "target group",
            &spec.name,
            &spec.tags,
            &[DUPLICATE_NAME],
            || read_target_group_by_name(client, spec, ids),
            |found| async move { update_target_group(client, &found.id, &found.current, spec).await },
            || create_new_target_group(client, spec, ids),
        )
        .await
    }

    async fn create_new_target_group(
        client: &Client,
        spec: &TargetGroupSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        let vpc_id = ids
            .id(&spec.vpc)
            .map_err(|e| AwsError::unexpected(e.message))?;
        let hc = &spec.health_check;
        let out = client
            .create_target_group()
            .name(&spec.name)
            .protocol(ProtocolEnum::Http)
            .port(spec.port)
            .vpc_id(vpc_id)
            .target_type(TargetTypeEnum::Ip)
            .protocol_version(PROTOCOL_VERSION)
            .health_check_enabled(true)
            .health_check_protocol(ProtocolEnum::Http)
            .health_check_port(TRAFFIC_PORT)
            .health_check_path(&hc.path)
            .matcher(expand_matcher(hc))
            .health_check_interval_seconds(int(hc.interval_seconds, "health check interval")?)
            .health_check_timeout_seconds(int(hc.timeout_seconds, "health check timeout")?)
            .healthy_threshold_count(int(hc.healthy_threshold, "healthy threshold")?)
            .unhealthy_threshold_count(int(hc.unhealthy_threshold, "unhealthy threshold")?)
            .set_tags(Some(tags::to_sdk(&spec.tags)?))
            .send()
            .await
            .map_err(classify)?;
        let arn = out
            .target_groups()
            .first()
            .and_then(TargetGroup::target_group_arn)
            .ok_or_else(|| AwsError::unexpected("CreateTargetGroup returned no ARN"))?
            .to_string();
        put_deregistration_delay(client, &arn, spec.deregistration_delay_seconds).await?;
        Ok(arn)
    }

    async fn put_deregistration_delay(
        client: &Client,
        arn: &str,
        seconds: u32,
    ) -> Result<(), AwsError> {
        client
            .modify_target_group_attributes()
            .target_group_arn(arn)
            .attributes(
                TargetGroupAttribute::builder()
                    .key(ATTR_DEREGISTRATION_DELAY)
                    .value(seconds.to_string())
                    .build(),
            )
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// Brings the object with ledger ID `id` from `current` to `desired` in place. Returns the
    /// ledger ID.
    pub async fn update_target_group(
        client: &Client,
        id: &str,
        current: &TargetGroupSpec,
        desired: &TargetGroupSpec,
    ) -> Result<String, AwsError> {
        if current.health_check != desired.health_check {
            let hc = &desired.health_check;
            client
                .modify_target_group()
                .target_group_arn(id)
                .health_check_enabled(true)
                .health_check_protocol(ProtocolEnum::Http)
                .health_check_port(TRAFFIC_PORT)
                .health_check_path(&hc.path)
                .matcher(expand_matcher(hc))
                .health_check_interval_seconds(int(hc.interval_seconds, "health check interval")?)
                .health_check_timeout_seconds(int(hc.timeout_seconds, "health check timeout")?)
                .healthy_threshold_count(int(hc.healthy_threshold, "healthy threshold")?)
                .unhealthy_threshold_count(int(hc.unhealthy_threshold, "unhealthy threshold")?)
                .send()
                .await
                .map_err(classify)?;
        }
        if current.deregistration_delay_seconds != desired.deregistration_delay_seconds {
            put_deregistration_delay(client, id, desired.deregistration_delay_seconds).await?;
        }
        sync_tags(client, id, &current.tags, &desired.tags).await?;
        Ok(id.to_string())
    }

    /// Deletes the object; absence is success. While a listener rule or an ECS service still uses
    /// the group, ELBv2 answers `ResourceInUse`, a retryable dependency violation.
    pub async fn delete_target_group(
        client: &Client,
        id: &str,
        current: &TargetGroupSpec,
    ) -> Result<(), AwsError> {
        let result = client
            .delete_target_group()
            .target_group_arn(id)
            .send()
            .await
            .map_err(classify);
        match none_if_not_found(result) {
            Ok(_) => Ok(()),
            Err(AwsError::DependencyViolation { message }) => Err(AwsError::DependencyViolation {
                message: format!(
                "target group {} is still used by a listener rule or an ECS service ({message})",
                current.name
            ),
            }),
            Err(e) => Err(e),
        }
    }

    // expand, flatten

    fn int(value: u32, what: &str) -> Result<i32, AwsError> {
        i32::try_from(value)
            .map_err(|_| AwsError::unexpected(format!("{what} of {value} is out of range")))
    }

    fn expand_matcher(hc: &HealthCheckSpec) -> Matcher {
        Matcher::builder().http_code(&hc.matcher).build()
    }

    fn uint(value: Option<i32>) -> u32 {
        value
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or_default()
    }

    pub fn flatten_target_group(
        group: &TargetGroup,
        deregistration_delay_seconds: u32,
        tags: Tags,
        current: &TargetGroupSpec,
        ids: &IdMap,
    ) -> TargetGroupSpec {
        TargetGroupSpec {
            name: group.target_group_name().unwrap_or_default().to_string(),
            // A target group never moves, so an unrecorded VPC is the one we asked for.
            vpc: group
                .vpc_id()
                .and_then(|v| ids.key_of(v))
                .cloned()
                .unwrap_or_else(|| current.vpc.clone()),
            port: group.port().unwrap_or_default(),
            health_check: HealthCheckSpec {
                path: group.health_check_path().unwrap_or_default().to_string(),
                matcher: group
                    .matcher()
                    .and_then(Matcher::http_code)
                    .unwrap_or_default()
                    .to_string(),
                interval_seconds: uint(group.health_check_interval_seconds()),
                timeout_seconds: uint(group.health_check_timeout_seconds()),
                healthy_threshold: uint(group.healthy_threshold_count()),
                unhealthy_threshold: uint(group.unhealthy_threshold_count()),
            },
            deregistration_delay_seconds,
            tags,
        }
    }
}
