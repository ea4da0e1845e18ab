//! EC2 Flow Log to CloudWatch Logs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{Node, NodeKey, Tags};

/// VPC flow log delivered to a CloudWatch Logs group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowLogSpec {
    pub vpc: NodeKey,
    pub log_group: NodeKey,
    /// The role flow logs assume to write; its ledger ID is the role ARN.
    pub role: NodeKey,
    /// `ALL`, `ACCEPT` or `REJECT`.
    pub traffic_type: String,
    pub tags: Tags,
}

impl KindSpec for FlowLogSpec {
    const PREFIX: &'static str = "ec2.flow_log";
    const DISPLAY_NAME: &'static str = "EC2 Flow Log";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "ec2:CreateFlowLogs",
        "ec2:CreateTags",
        "ec2:DeleteFlowLogs",
        "ec2:DeleteTags",
        "ec2:DescribeFlowLogs",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        vec![
            Reference::replace(&self.vpc),
            Reference::replace(&self.log_group),
            Reference::replace(&self.role),
        ]
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[
            ("vpc", self.vpc != d.vpc),
            ("log_group", self.log_group != d.log_group),
            ("role", self.role != d.role),
            ("traffic_type", self.traffic_type != d.traffic_type),
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

    use aws_sdk_ec2::types::{
        Filter, FlowLog, FlowLogsResourceType, LogDestinationType, ResourceType, TrafficType,
        UnsuccessfulItem,
    };
    use aws_sdk_ec2::Client;

    use super::*;
    use crate::apply::IdMap;
    use crate::aws::common::keys::key_of;
    use crate::aws::common::tags;
    use crate::aws::ec2::vpc_endpoint::client_token;
    use crate::aws::error::{classify, AwsError};
    use crate::aws::kind::{AwsKind, Cx};
    use crate::plan::node::Kind;

    impl AwsKind for FlowLogSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            find_owned_flow_log(&cx.clients.ec2, spec).await
        }

        /// Every flow log of the VPC in one listing, shared by all children that observe one.
        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            let Ok(vpc_id) = cx.ids.id(&current.vpc) else {
                return observe_flow_log(&cx.clients.ec2, id, current, cx.ids).await;
            };
            let flow_logs = cx
                .reads
                .get(&format!("ec2.flow_log/vpc/{vpc_id}"), || {
                    list_flow_logs(&cx.clients.ec2, vpc_id)
                })
                .await?;
            Ok(flow_logs.get(id).map(|f| flatten_flow_log(f, cx.ids)))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_flow_log(&cx.clients.ec2, spec, cx.ids).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_flow_log(&cx.clients.ec2, id, current, desired, cx.ids).await
        }

        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            delete_flow_log(&cx.clients.ec2, id).await
        }
    }

    /// Words in a CreateFlowLogs failure that mean the delivery role is not usable yet: a new
    /// role takes seconds to propagate ("Unable to assume given IAM role.").
    const ROLE_NOT_READY: &[&str] = &["iam", "role", "assume", "permission"];

    /// The error code AWS gives that failure when it comes as an error instead of an item.
    const INVALID_PARAMETER: &str = "InvalidParameter";

    /// The VPC has a flow log to this destination already (an item on AWS, an error on moto).
    const ALREADY_EXISTS: &str = "FlowLogAlreadyExists";

    // find

    /// Every flow log matching `filters`, across pages.
    async fn describe_flow_logs(
        ec2: &Client,
        filters: Vec<Filter>,
    ) -> Result<Vec<FlowLog>, AwsError> {
        let mut pages = ec2
            .describe_flow_logs()
            .set_filter(Some(filters))
            .into_paginator()
            .send();
        let mut flow_logs = Vec::new();
        while let Some(page) = pages.next().await {
            flow_logs.extend(page.map_err(classify)?.flow_logs().iter().cloned());
        }
        Ok(flow_logs)
    }

    /// Every flow log of a VPC, by ID.
    pub async fn list_flow_logs(
        ec2: &Client,
        vpc_id: &str,
    ) -> Result<HashMap<String, FlowLog>, AwsError> {
        let by_vpc = Filter::builder().name("resource-id").values(vpc_id).build();
        Ok(describe_flow_logs(ec2, vec![by_vpc])
            .await?
            .into_iter()
            .filter_map(|f| Some((f.flow_log_id()?.to_string(), f)))
            .collect())
    }

    pub async fn find_flow_log_by_id(ec2: &Client, id: &str) -> Result<Option<FlowLog>, AwsError> {
        match ec2
            .describe_flow_logs()
            .flow_log_ids(id)
            .send()
            .await
            .map_err(classify)
        {
            // An unknown ID is an empty answer, not an error.
            Ok(out) => Ok(out
                .flow_logs()
                .iter()
                .find(|f| f.flow_log_id() == Some(id))
                .cloned()),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The ledger ID of an existing object carrying the spec's ownership tags, without changing
    /// anything (import and discovery); `None` when there is none.
    pub async fn find_owned_flow_log(
        ec2: &Client,
        spec: &FlowLogSpec,
    ) -> Result<Option<String>, AwsError> {
        Ok(describe_flow_logs(ec2, tags::ownership_filters(&spec.tags))
            .await?
            .iter()
            .find(|f| tags::owned_by(f.tags(), &spec.tags))
            .and_then(|f| f.flow_log_id().map(str::to_string)))
    }

    /// A flow log of this VPC carrying our tags that the tag filter did not show yet.
    async fn find_owned_flow_log_of_vpc(
        ec2: &Client,
        vpc_id: &str,
        spec: &FlowLogSpec,
    ) -> Result<Option<String>, AwsError> {
        Ok(list_flow_logs(ec2, vpc_id)
            .await?
            .into_values()
            .find(|f| tags::owned_by(f.tags(), &spec.tags))
            .and_then(|f| f.flow_log_id().map(str::to_string)))
    }

    fn already_exists(code: &str, message: &str) -> bool {
        code == ALREADY_EXISTS || message.contains(ALREADY_EXISTS)
    }

    fn role_not_ready(message: &str) -> bool {
        let message = message.to_ascii_lowercase();
        ROLE_NOT_READY.iter().any(|w| message.contains(w))
    }

    /// A CreateFlowLogs failure item as an error: retryable when the role is not usable yet.
    pub fn unsuccessful_error(item: &UnsuccessfulItem) -> AwsError {
        let code = item
            .error()
            .and_then(|e| e.code())
            .unwrap_or("Unknown")
            .to_string();
        let message = item
            .error()
            .and_then(|e| e.message())
            .unwrap_or_default()
            .to_string();
        if role_not_ready(&message) {
            AwsError::NotYetPropagated {
                message: format!("{code}: {message}"),
            }
        } else {
            AwsError::Api { code, message }
        }
    }

    // create, update, delete

    /// Creates the object, or adopts one that already carries the spec's ownership tags (or, for
    /// named kinds, its name and ownership tags). Returns the ledger ID.
    pub async fn create_flow_log(
        client: &Client,
        spec: &FlowLogSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        if let Some(id) = find_owned_flow_log(client, spec).await? {
            return Ok(id);
        }
        let missing = |e: crate::apply::StepError| AwsError::unexpected(e.message);
        let vpc_id = ids.id(&spec.vpc).map_err(missing)?;
        // The log group's ledger ID is its name; the role's is its ARN.
        let log_group = ids.id(&spec.log_group).map_err(missing)?;
        let role_arn = ids.id(&spec.role).map_err(missing)?;
        let token = client_token(
            &spec.tags,
            &[vpc_id, log_group, role_arn, &spec.traffic_type],
        );
        let created = client
            .create_flow_logs()
            .resource_ids(vpc_id)
            .resource_type(FlowLogsResourceType::Vpc)
            .traffic_type(TrafficType::from(spec.traffic_type.as_str()))
            .log_destination_type(LogDestinationType::CloudWatchLogs)
            .log_group_name(log_group)
            .deliver_logs_permission_arn(role_arn)
            .tag_specifications(tags::specification(ResourceType::VpcFlowLog, &spec.tags))
            .client_token(token)
            .send()
            .await
            .map_err(classify);
        let out = match created {
            Ok(out) => out,
            Err(AwsError::Api { code, message })
                if code == INVALID_PARAMETER && role_not_ready(&message) =>
            {
                return Err(AwsError::NotYetPropagated {
                    message: format!("{code}: {message}"),
                })
            }
            Err(AwsError::Api { code, message }) if already_exists(&code, &message) => {
                return find_owned_flow_log_of_vpc(client, vpc_id, spec)
                    .await?
                    .ok_or(AwsError::Api { code, message })
            }
            Err(e) => return Err(e),
        };
        // Failures come back as items in a successful answer.
        if let Some(item) = out.unsuccessful().first() {
            return match unsuccessful_error(item) {
                AwsError::Api { code, message } if already_exists(&code, &message) => {
                    find_owned_flow_log_of_vpc(client, vpc_id, spec)
                        .await?
                        .ok_or(AwsError::Api { code, message })
                }
                error => Err(error),
            };
        }
        out.flow_log_ids()
            .first()
            .cloned()
            .ok_or_else(|| AwsError::unexpected("CreateFlowLogs returned no ID"))
    }

    /// Brings the object with ledger ID `id` from `current` to `desired` in place. Returns the
    /// ledger ID (unchanged unless the kind's ID changes on update).
    pub async fn update_flow_log(
        client: &Client,
        id: &str,
        current: &FlowLogSpec,
        desired: &FlowLogSpec,
        _ids: &IdMap,
    ) -> Result<String, AwsError> {
        // Every other property forces a replacement.
        tags::sync_tags(client, id, &current.tags, &desired.tags).await?;
        Ok(id.to_string())
    }

    /// Deletes the object; absence is success.
    pub async fn delete_flow_log(client: &Client, id: &str) -> Result<(), AwsError> {
        match client
            .delete_flow_logs()
            .flow_log_ids(id)
            .send()
            .await
            .map_err(classify)
        {
            Ok(out) => match out.unsuccessful().first() {
                None => Ok(()),
                Some(item) => {
                    let error = item.error();
                    let error = AwsError::from_code(
                        error.and_then(|e| e.code()).unwrap_or("Unknown"),
                        error.and_then(|e| e.message()).unwrap_or_default(),
                        None,
                    );
                    if error.is_not_found() {
                        Ok(())
                    } else {
                        Err(error)
                    }
                }
            },
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Reads the object as it is now, with references turned back into node keys; `None` when it
    /// no longer exists.
    pub async fn observe_flow_log(
        client: &Client,
        id: &str,
        _current: &FlowLogSpec,
        ids: &IdMap,
    ) -> Result<Option<FlowLogSpec>, AwsError> {
        Ok(find_flow_log_by_id(client, id)
            .await?
            .map(|f| flatten_flow_log(&f, ids)))
    }

    // flatten

    pub fn flatten_flow_log(flow_log: &FlowLog, ids: &IdMap) -> FlowLogSpec {
        FlowLogSpec {
            vpc: key_of(ids, Kind::Vpc, flow_log.resource_id().unwrap_or_default()),
            log_group: key_of(
                ids,
                Kind::LogGroup,
                flow_log.log_group_name().unwrap_or_default(),
            ),
            role: key_of(
                ids,
                Kind::IamRole,
                flow_log.deliver_logs_permission_arn().unwrap_or_default(),
            ),
            traffic_type: flow_log
                .traffic_type()
                .map(|t| t.as_str().to_string())
                .unwrap_or_default(),
            tags: tags::from_sdk(flow_log.tags()),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use aws_sdk_ec2::types::UnsuccessfulItemError;

        fn item(message: &str) -> UnsuccessfulItem {
            UnsuccessfulItem::builder()
                .resource_id("vpc-1")
                .error(
                    UnsuccessfulItemError::builder()
                        .code("400")
                        .message(message)
                        .build(),
                )
                .build()
        }

        #[test]
        fn role_failures_are_retryable_others_are_not() {
            assert!(matches!(
                unsuccessful_error(&item("Unable to assume given IAM role.")),
                AwsError::NotYetPropagated { .. }
            ));
            assert!(matches!(
                unsuccessful_error(&item(
                    "Access Denied for LogDestination. Please check LogDestination permission"
                )),
                AwsError::NotYetPropagated { .. }
            ));
            assert!(matches!(
                unsuccessful_error(&item("FlowLogAlreadyExists")),
                AwsError::Api { .. }
            ));
        }

        #[test]
        fn flatten_reads_references_back() {
            let f = FlowLog::builder()
                .flow_log_id("fl-1")
                .resource_id("vpc-1")
                .log_group_name("/platform/test/flow")
                .deliver_logs_permission_arn("arn:aws:iam::123456789012:role/flow")
                .traffic_type(TrafficType::Reject)
                .build();
            let spec = flatten_flow_log(&f, &IdMap::default());
            assert_eq!(spec.traffic_type, "REJECT");
            assert_eq!(
                spec.log_group.as_str(),
                "logs.log_group/external//platform/test/flow"
            );
            assert_eq!(
                spec.role.as_str(),
                "iam.role/external/arn:aws:iam::123456789012:role/flow"
            );
        }
    }
}
