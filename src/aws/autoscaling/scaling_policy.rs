//! Application Auto Scaling target-tracking policy on an ECS service's desired count; the
//! ledger ID is the policy ARN.
//!
//! Policies cannot be tagged; the name is unique per scalable target, and the target is our
//! natural key, so a policy is found by target and name. PutScalingPolicy creates or
//! overwrites, which makes create adopt by itself.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{Node, NodeKey, Tags};

/// A target-tracking policy on a scalable target; its ledger ID is the policy ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScalingPolicySpec {
    pub target: NodeKey,
    /// Unique per scalable target; AWS cannot rename a policy.
    pub name: String,
    /// `ECSServiceAverageCPUUtilization` or `ECSServiceAverageMemoryUtilization`, or
    /// [`QUEUE_BACKLOG_METRIC`] with `queue_backlog`.
    pub metric: String,
    /// Percent, or messages per task.
    pub target_value: u32,
    /// The SQS queue whose visible messages per running task the policy holds at
    /// `target_value` (metric math on a customized metric).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_backlog: Option<String>,
    pub scale_in_cooldown_seconds: u32,
    pub scale_out_cooldown_seconds: u32,
}

/// The `metric` of a policy on a queue's backlog per task.
pub const QUEUE_BACKLOG_METRIC: &str = "QueueBacklogPerTask";

impl KindSpec for ScalingPolicySpec {
    const PREFIX: &'static str = "autoscaling.scaling_policy";
    const DISPLAY_NAME: &'static str = "Application Auto Scaling Policy";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "application-autoscaling:DeleteScalingPolicy",
        "application-autoscaling:DescribeScalingPolicies",
        "application-autoscaling:PutScalingPolicy",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        vec![Reference::replace(&self.target)]
    }

    fn tags(&self) -> Option<&Tags> {
        None
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[
            ("target", self.target != d.target),
            ("name", self.name != d.name),
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

    use aws_sdk_applicationautoscaling::types::{
        CustomizedMetricSpecification, MetricType, PolicyType, PredefinedMetricSpecification,
        ScalingPolicy, TargetTrackingMetric, TargetTrackingMetricDataQuery,
        TargetTrackingMetricDimension, TargetTrackingMetricStat,
        TargetTrackingScalingPolicyConfiguration,
    };
    use aws_sdk_applicationautoscaling::Client;

    use super::*;
    use crate::apply::IdMap;
    use crate::aws::autoscaling::scalable_target::{classify_scaling, DIMENSION, NAMESPACE};
    use crate::aws::error::{classify, none_if_not_found, AwsError};
    use crate::aws::kind::{AwsKind, Cx};

    impl AwsKind for ScalingPolicySpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            find_owned_scaling_policy(&cx.clients.autoscaling, spec, cx.ids).await
        }

        /// Every ECS scaling policy of the region in one listing, shared by all children that
        /// observe one. Looked up by ARN: the same name under another ARN is a policy someone
        /// made after ours was deleted.
        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            let client = &cx.clients.autoscaling;
            let policies = cx
                .reads
                .get("autoscaling.scaling_policy/ecs", || {
                    list_scaling_policies(client)
                })
                .await?;
            Ok(policies
                .get(id)
                .map(|p| flatten_scaling_policy(p, current, cx.ids)))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_scaling_policy(&cx.clients.autoscaling, spec, cx.ids).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_scaling_policy(&cx.clients.autoscaling, id, current, desired, cx.ids).await
        }

        async fn delete(cx: &Cx<'_>, id: &str, current: &Self) -> Result<(), AwsError> {
            delete_scaling_policy(&cx.clients.autoscaling, id, current).await
        }
    }

    const RESOURCE_MARKER: &str = ":resource/";
    const POLICY_NAME_MARKER: &str = ":policyName/";

    /// The resource ID a policy ARN names:
    /// `arn:aws:autoscaling:<region>:<account>:scalingPolicy:<uuid>:resource/ecs/service/<cluster>/<service>:policyName/<name>`
    /// gives `service/<cluster>/<service>`.
    pub fn policy_resource_id(policy_arn: &str) -> Option<&str> {
        let (_, rest) = policy_arn.split_once(RESOURCE_MARKER)?;
        let (resource, _) = rest.split_once(POLICY_NAME_MARKER)?;
        let (namespace, resource_id) = resource.split_once('/')?;
        (namespace == NAMESPACE.as_str() && !resource_id.is_empty()).then_some(resource_id)
    }

    /// The policy name a policy ARN ends with.
    pub fn policy_name(policy_arn: &str) -> Option<&str> {
        let (_, name) = policy_arn.rsplit_once(POLICY_NAME_MARKER)?;
        (!name.is_empty()).then_some(name)
    }

    // find

    /// Every ECS scaling policy of the region, by ARN.
    pub async fn list_scaling_policies(
        client: &Client,
    ) -> Result<HashMap<String, ScalingPolicy>, AwsError> {
        let mut pages = client
            .describe_scaling_policies()
            .service_namespace(NAMESPACE)
            .into_paginator()
            .send();
        let mut policies = HashMap::new();
        while let Some(page) = pages.next().await {
            for policy in page.map_err(classify)?.scaling_policies() {
                policies.insert(policy.policy_arn().to_string(), policy.clone());
            }
        }
        Ok(policies)
    }

    /// The policy `name` on the target `resource_id`; `None` when there is none. Asks AWS
    /// directly, for adoption and import.
    pub async fn find_scaling_policy(
        client: &Client,
        resource_id: &str,
        name: &str,
    ) -> Result<Option<ScalingPolicy>, AwsError> {
        let mut pages = client
            .describe_scaling_policies()
            .service_namespace(NAMESPACE)
            .resource_id(resource_id)
            .scalable_dimension(DIMENSION)
            .policy_names(name)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let Some(page) = none_if_not_found(page.map_err(classify))? else {
                return Ok(None);
            };
            if let Some(policy) = page
                .scaling_policies()
                .iter()
                .find(|p| p.resource_id() == resource_id && p.policy_name() == name)
            {
                return Ok(Some(policy.clone()));
            }
        }
        Ok(None)
    }

    /// The ledger ID of the existing policy of this name on the spec's target, without changing
    /// anything; `None` when there is none (or no target is recorded yet).
    pub async fn find_owned_scaling_policy(
        client: &Client,
        spec: &ScalingPolicySpec,
        ids: &IdMap,
    ) -> Result<Option<String>, AwsError> {
        let Ok(resource_id) = ids.id(&spec.target) else {
            return Ok(None);
        };
        Ok(find_scaling_policy(client, resource_id, &spec.name)
            .await?
            .map(|p| p.policy_arn().to_string()))
    }

    // create, update, delete

    /// Visible messages of `queue` per running task of the service `resource_id`
    /// (`service/<cluster>/<service>`): SQS's `ApproximateNumberOfMessagesVisible` over
    /// Container Insights' `RunningTaskCount`.
    fn backlog_metric(
        queue: &str,
        resource_id: &str,
    ) -> Result<CustomizedMetricSpecification, AwsError> {
        let built =
            |e: aws_smithy_types::error::operation::BuildError| AwsError::unexpected(e.to_string());
        let mut parts = resource_id.split('/').skip(1);
        let (cluster, service) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        let dimension = |name: &str, value: &str| {
            TargetTrackingMetricDimension::builder()
                .name(name)
                .value(value)
                .build()
                .map_err(built)
        };
        let stat = |namespace: &str, name: &str, dimensions, statistic: &str| {
            TargetTrackingMetricStat::builder()
                .metric(
                    TargetTrackingMetric::builder()
                        .namespace(namespace)
                        .metric_name(name)
                        .set_dimensions(Some(dimensions))
                        .build(),
                )
                .stat(statistic)
                .build()
                .map_err(built)
        };
        let visible = TargetTrackingMetricDataQuery::builder()
            .id(BACKLOG_QUERY)
            .metric_stat(stat(
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                vec![dimension("QueueName", queue)?],
                "Sum",
            )?)
            .return_data(false)
            .build()
            .map_err(built)?;
        let tasks = TargetTrackingMetricDataQuery::builder()
            .id(TASKS_QUERY)
            .metric_stat(stat(
                "ECS/ContainerInsights",
                "RunningTaskCount",
                vec![
                    dimension("ClusterName", cluster)?,
                    dimension("ServiceName", service)?,
                ],
                "Average",
            )?)
            .return_data(false)
            .build()
            .map_err(built)?;
        let per_task = TargetTrackingMetricDataQuery::builder()
            .id("backlog_per_task")
            .expression(format!("{BACKLOG_QUERY} / {TASKS_QUERY}"))
            .label("Visible messages per running task")
            .return_data(true)
            .build()
            .map_err(built)?;
        Ok(CustomizedMetricSpecification::builder()
            .metrics(visible)
            .metrics(tasks)
            .metrics(per_task)
            .build())
    }

    /// The metric-math query IDs of [`backlog_metric`].
    const BACKLOG_QUERY: &str = "visible";
    const TASKS_QUERY: &str = "tasks";

    /// The queue a backlog policy's customized metric reads, as [`backlog_metric`] writes it.
    fn backlog_queue(metric: &CustomizedMetricSpecification) -> Option<String> {
        metric
            .metrics()
            .iter()
            .find(|q| q.id() == BACKLOG_QUERY)?
            .metric_stat()?
            .metric()?
            .dimensions()
            .iter()
            .find(|d| d.name() == "QueueName")
            .map(|d| d.value().to_string())
    }

    /// PutScalingPolicy; returns the policy ARN.
    async fn put(
        client: &Client,
        resource_id: &str,
        spec: &ScalingPolicySpec,
    ) -> Result<String, AwsError> {
        let seconds = |value: u32, what: &str| {
            i32::try_from(value).map_err(|_| {
                AwsError::unexpected(format!("{what} of {value} seconds is out of range"))
            })
        };
        let mut configuration = TargetTrackingScalingPolicyConfiguration::builder()
            .target_value(f64::from(spec.target_value));
        configuration = match &spec.queue_backlog {
            Some(queue) => {
                configuration.customized_metric_specification(backlog_metric(queue, resource_id)?)
            }
            None => configuration.predefined_metric_specification(
                PredefinedMetricSpecification::builder()
                    .predefined_metric_type(MetricType::from(spec.metric.as_str()))
                    .build()
                    .map_err(|e| AwsError::unexpected(e.to_string()))?,
            ),
        };
        let configuration = configuration
            .scale_in_cooldown(seconds(
                spec.scale_in_cooldown_seconds,
                "scale-in cooldown",
            )?)
            .scale_out_cooldown(seconds(
                spec.scale_out_cooldown_seconds,
                "scale-out cooldown",
            )?)
            .build()
            .map_err(|e| AwsError::unexpected(e.to_string()))?;
        let out = client
            .put_scaling_policy()
            .policy_name(&spec.name)
            .service_namespace(NAMESPACE)
            .resource_id(resource_id)
            .scalable_dimension(DIMENSION)
            .policy_type(PolicyType::TargetTrackingScaling)
            .target_tracking_scaling_policy_configuration(configuration)
            .send()
            .await
            .map_err(classify)
            .map_err(classify_scaling)?;
        Ok(out.policy_arn().to_string())
    }

    /// Creates the policy, or overwrites the one of this name on the target. Returns the ledger ID.
    pub async fn create_scaling_policy(
        client: &Client,
        spec: &ScalingPolicySpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        let resource_id = ids
            .id(&spec.target)
            .map_err(|e| AwsError::unexpected(e.message))?;
        put(client, resource_id, spec).await
    }

    /// Brings the object with ledger ID `id` from `current` to `desired` in place. Returns the
    /// ledger ID: the policy ARN PutScalingPolicy answers with.
    pub async fn update_scaling_policy(
        client: &Client,
        id: &str,
        current: &ScalingPolicySpec,
        desired: &ScalingPolicySpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        let _ = current;
        let resource_id = match ids.id(&desired.target) {
            Ok(resource_id) => resource_id,
            Err(e) => policy_resource_id(id).ok_or_else(|| AwsError::unexpected(e.message))?,
        };
        put(client, resource_id, desired).await
    }

    /// Deletes the object; absence is success. DeleteScalingPolicy takes name and resource ID,
    /// read from `current` and the ARN.
    pub async fn delete_scaling_policy(
        client: &Client,
        id: &str,
        current: &ScalingPolicySpec,
    ) -> Result<(), AwsError> {
        let resource_id = policy_resource_id(id).ok_or_else(|| {
        AwsError::unexpected(format!(
            "{id} is not an ECS scaling policy ARN (…:resource/ecs/service/<cluster>/<service>:policyName/<name>)"
        ))
    })?;
        let name = if current.name.is_empty() {
            policy_name(id).unwrap_or_default()
        } else {
            current.name.as_str()
        };
        none_if_not_found(
            client
                .delete_scaling_policy()
                .policy_name(name)
                .service_namespace(NAMESPACE)
                .resource_id(resource_id)
                .scalable_dimension(DIMENSION)
                .send()
                .await
                .map_err(classify)
                .map_err(classify_scaling),
        )?;
        Ok(())
    }

    // expand, flatten

    /// Cooldowns AWS does not report are taken from `current`; a policy of another type or metric
    /// reads with no metric, so it shows as a difference.
    pub fn flatten_scaling_policy(
        policy: &ScalingPolicy,
        current: &ScalingPolicySpec,
        ids: &IdMap,
    ) -> ScalingPolicySpec {
        let configuration = policy
            .target_tracking_scaling_policy_configuration()
            .filter(|_| policy.policy_type() == &PolicyType::TargetTrackingScaling);
        let cooldown = |value: Option<i32>, recorded: u32| {
            value
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(recorded)
        };
        let queue_backlog = configuration
            .and_then(|c| c.customized_metric_specification())
            .and_then(backlog_queue);
        ScalingPolicySpec {
            target: ids
                .key_of(policy.resource_id())
                .cloned()
                .unwrap_or_else(|| current.target.clone()),
            name: policy.policy_name().to_string(),
            metric: match queue_backlog {
                Some(_) => QUEUE_BACKLOG_METRIC.to_string(),
                None => configuration
                    .and_then(|c| c.predefined_metric_specification())
                    .map(|m| m.predefined_metric_type().as_str().to_string())
                    .unwrap_or_default(),
            },
            queue_backlog,
            target_value: configuration
                .map(|c| c.target_value().round())
                .filter(|v| (0.0..=f64::from(u32::MAX)).contains(v))
                .map(|v| v as u32)
                .unwrap_or_default(),
            scale_in_cooldown_seconds: cooldown(
                configuration.and_then(|c| c.scale_in_cooldown()),
                current.scale_in_cooldown_seconds,
            ),
            scale_out_cooldown_seconds: cooldown(
                configuration.and_then(|c| c.scale_out_cooldown()),
                current.scale_out_cooldown_seconds,
            ),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        const ARN: &str = "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:6d8972f3-efc8-437c-92d1-6270f29a66e7:resource/ecs/service/prod/web:policyName/cpu";

        #[test]
        fn policy_arns_name_resource_and_policy() {
            assert_eq!(policy_resource_id(ARN), Some("service/prod/web"));
            assert_eq!(policy_name(ARN), Some("cpu"));
            assert_eq!(
                policy_resource_id("arn:aws:autoscaling:us-east-1:1:scalingPolicy:x"),
                None
            );
            assert_eq!(
                policy_resource_id(&ARN.replace("resource/ecs/", "resource/dynamodb/")),
                None
            );
        }
    }
}
