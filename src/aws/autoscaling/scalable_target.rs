//! Application Auto Scaling target on an ECS service's desired count; the ledger ID is the
//! resource ID `service/<cluster>/<service>`.
//!
//! The resource ID is a natural key, so the target carries no tags: it is found, adopted and
//! re-registered by that ID alone (RegisterScalableTarget is idempotent).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{Node, NodeKey, Tags};

/// An Application Auto Scaling target on an ECS service's desired count. Its ledger ID is the
/// resource ID `service/<cluster>/<service>`, a natural key, so it needs no tags to be found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScalableTargetSpec {
    /// Its ledger ID is the service ARN.
    pub service: NodeKey,
    pub min_capacity: u32,
    pub max_capacity: u32,
}

impl KindSpec for ScalableTargetSpec {
    const PREFIX: &'static str = "autoscaling.scalable_target";
    const DISPLAY_NAME: &'static str = "Application Auto Scaling Target";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "application-autoscaling:DeregisterScalableTarget",
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:RegisterScalableTarget",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        vec![Reference::replace(&self.service)]
    }

    fn tags(&self) -> Option<&Tags> {
        None
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[("service", self.service != d.service)])
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
        ScalableDimension, ScalableTarget, ServiceNamespace,
    };
    use aws_sdk_applicationautoscaling::Client;

    use super::*;
    use crate::apply::IdMap;
    use crate::aws::error::{classify, none_if_not_found, AwsError};
    use crate::aws::kind::{AwsKind, Cx};

    impl AwsKind for ScalableTargetSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            find_owned_scalable_target(&cx.clients.autoscaling, spec, cx.ids).await
        }

        /// Every ECS target of the region in one listing, shared by all children that observe
        /// one.
        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            let client = &cx.clients.autoscaling;
            let targets = cx
                .reads
                .get("autoscaling.scalable_target/ecs", || {
                    list_scalable_targets(client)
                })
                .await?;
            Ok(targets.get(id).map(|t| flatten_scalable_target(t, current)))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_scalable_target(&cx.clients.autoscaling, spec, cx.ids).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            _current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_scalable_target(&cx.clients.autoscaling, id, desired).await
        }

        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            delete_scalable_target(&cx.clients.autoscaling, id).await
        }
    }

    pub(crate) const NAMESPACE: ServiceNamespace = ServiceNamespace::Ecs;
    pub(crate) const DIMENSION: ScalableDimension = ScalableDimension::EcsServiceDesiredCount;

    /// Application Auto Scaling's answer for most bad requests, and for an ECS service (or the
    /// service-linked role) it cannot see yet.
    const VALIDATION: &str = "ValidationException";
    const CONCURRENT_UPDATE: &str = "ConcurrentUpdateException";

    /// Classifies an Application Auto Scaling error: a concurrent change to the same target is
    /// transient.
    pub(crate) fn classify_scaling(error: AwsError) -> AwsError {
        match error {
            AwsError::Api { code, message } if code == CONCURRENT_UPDATE => AwsError::Transient {
                message: format!("{code}: {message}"),
            },
            other => other,
        }
    }

    /// RegisterScalableTarget right after CreateService may not see the service (or the
    /// service-linked role) yet: retry as propagation.
    fn classify_register(error: AwsError) -> AwsError {
        match classify_scaling(error) {
            AwsError::Api { code, message }
                if code == VALIDATION
                    && (message.contains("doesn't exist")
                        || message.contains("does not exist")
                        || message.contains("Unable to assume IAM role")) =>
            {
                AwsError::NotYetPropagated { message }
            }
            other => other,
        }
    }

    /// The resource ID of an ECS service from its ARN
    /// `arn:aws:ecs:<region>:<account>:service/<cluster>/<service>`.
    pub fn service_resource_id(service_arn: &str) -> Result<String, AwsError> {
        let resource = service_arn.splitn(6, ':').nth(5).unwrap_or_default();
        match resource.split('/').collect::<Vec<_>>().as_slice() {
            ["service", cluster, service] if !cluster.is_empty() && !service.is_empty() => {
                Ok(resource.to_string())
            }
            _ => Err(AwsError::unexpected(format!(
                "{service_arn} is not an ECS service ARN naming its cluster \
             (arn:aws:ecs:<region>:<account>:service/<cluster>/<service>); \
             enable the long ARN format for ECS services"
            ))),
        }
    }

    // find

    /// Every ECS service desired-count target of the region, by resource ID.
    pub async fn list_scalable_targets(
        client: &Client,
    ) -> Result<HashMap<String, ScalableTarget>, AwsError> {
        let mut pages = client
            .describe_scalable_targets()
            .service_namespace(NAMESPACE)
            .into_paginator()
            .send();
        let mut targets = HashMap::new();
        while let Some(page) = pages.next().await {
            for target in page.map_err(classify)?.scalable_targets() {
                if target.scalable_dimension() == &DIMENSION {
                    targets.insert(target.resource_id().to_string(), target.clone());
                }
            }
        }
        Ok(targets)
    }

    /// The target on one service; asks AWS directly, for adoption and import.
    pub async fn find_scalable_target(
        client: &Client,
        resource_id: &str,
    ) -> Result<Option<ScalableTarget>, AwsError> {
        let out = none_if_not_found(
            client
                .describe_scalable_targets()
                .service_namespace(NAMESPACE)
                .resource_ids(resource_id)
                .scalable_dimension(DIMENSION)
                .send()
                .await
                .map_err(classify),
        )?;
        Ok(out.and_then(|o| {
            o.scalable_targets()
                .iter()
                .find(|t| t.resource_id() == resource_id && t.scalable_dimension() == &DIMENSION)
                .cloned()
        }))
    }

    /// The ledger ID of the existing target on the spec's service, without changing anything;
    /// `None` when there is none (or no service is recorded yet).
    pub async fn find_owned_scalable_target(
        client: &Client,
        spec: &ScalableTargetSpec,
        ids: &IdMap,
    ) -> Result<Option<String>, AwsError> {
        let Ok(service_arn) = ids.id(&spec.service) else {
            return Ok(None);
        };
        let resource_id = service_resource_id(service_arn)?;
        Ok(find_scalable_target(client, &resource_id)
            .await?
            .map(|_| resource_id))
    }

    // create, update, delete

    async fn register(
        client: &Client,
        resource_id: &str,
        spec: &ScalableTargetSpec,
    ) -> Result<(), AwsError> {
        let capacity = |value: u32, what: &str| {
            i32::try_from(value)
                .map_err(|_| AwsError::unexpected(format!("{what} of {value} is out of range")))
        };
        client
            .register_scalable_target()
            .service_namespace(NAMESPACE)
            .resource_id(resource_id)
            .scalable_dimension(DIMENSION)
            .min_capacity(capacity(spec.min_capacity, "minimum capacity")?)
            .max_capacity(capacity(spec.max_capacity, "maximum capacity")?)
            .send()
            .await
            .map_err(classify)
            .map_err(classify_register)?;
        Ok(())
    }

    /// Registers the target (adopting an existing one, as registering is idempotent). Returns the
    /// ledger ID.
    pub async fn create_scalable_target(
        client: &Client,
        spec: &ScalableTargetSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        let service_arn = ids
            .id(&spec.service)
            .map_err(|e| AwsError::unexpected(e.message))?;
        let resource_id = service_resource_id(service_arn)?;
        register(client, &resource_id, spec).await?;
        Ok(resource_id)
    }

    /// Registers the target again with `desired`'s capacities (registering overwrites).
    /// Returns the ledger ID.
    pub async fn update_scalable_target(
        client: &Client,
        id: &str,
        desired: &ScalableTargetSpec,
    ) -> Result<String, AwsError> {
        register(client, id, desired).await?;
        Ok(id.to_string())
    }

    /// Deregisters the target (which also deletes its policies); absence is success.
    pub async fn delete_scalable_target(client: &Client, id: &str) -> Result<(), AwsError> {
        none_if_not_found(
            client
                .deregister_scalable_target()
                .service_namespace(NAMESPACE)
                .resource_id(id)
                .scalable_dimension(DIMENSION)
                .send()
                .await
                .map_err(classify)
                .map_err(classify_scaling),
        )?;
        Ok(())
    }

    // expand, flatten

    /// The service is the natural key's owner and cannot change, so it comes from `current`.
    pub fn flatten_scalable_target(
        target: &ScalableTarget,
        current: &ScalableTargetSpec,
    ) -> ScalableTargetSpec {
        ScalableTargetSpec {
            service: current.service.clone(),
            min_capacity: u32::try_from(target.min_capacity()).unwrap_or_default(),
            max_capacity: u32::try_from(target.max_capacity()).unwrap_or_default(),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn resource_ids_come_from_long_service_arns_only() {
            assert_eq!(
                service_resource_id("arn:aws:ecs:us-east-1:123456789012:service/prod/web").unwrap(),
                "service/prod/web"
            );
            assert!(service_resource_id("arn:aws:ecs:us-east-1:123456789012:service/web").is_err());
            assert!(service_resource_id("service/prod/web").is_err());
        }

        #[test]
        fn an_unseen_service_is_propagation() {
            let e = classify_register(AwsError::Api {
                code: VALIDATION.into(),
                message: "ECS service doesn't exist: service/prod/web".into(),
            });
            assert!(matches!(e, AwsError::NotYetPropagated { .. }));
            let e = classify_register(AwsError::Api {
                code: VALIDATION.into(),
                message: "Maximum capacity cannot be less than minimum capacity".into(),
            });
            assert!(matches!(e, AwsError::Api { .. }));
        }
    }
}
