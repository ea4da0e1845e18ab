//! Cloud Map private DNS namespace in the environment's VPC; its ledger ID is the namespace ID
//! (`ns-…`). Services find each other through it (ECS Service Connect uses it as the
//! cluster's default namespace).
//!
//! Cloud Map creates, updates and deletes namespaces asynchronously: each call returns an
//! operation, polled until it succeeds or fails. A namespace still holding Cloud Map services
//! refuses deletion (`ResourceInUse`), which the engine retries while ECS removes them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::cost::HOURS_PER_MONTH;
use crate::plan::node::{Node, NodeKey, Tags};

/// The Route 53 private hosted zone behind the namespace, per month (us-east-1); queries from
/// inside the VPC are free.
const HOSTED_ZONE_USD_PER_MONTH: f64 = 0.50;

/// A private DNS namespace; the ledger ID is its ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivateDnsNamespaceSpec {
    /// The DNS name, e.g. `prod.internal`; Cloud Map cannot rename a namespace.
    pub name: String,
    /// The VPC whose private hosted zone serves it; fixed at create.
    pub vpc: NodeKey,
    pub description: String,
    pub tags: Tags,
}

impl KindSpec for PrivateDnsNamespaceSpec {
    const PREFIX: &'static str = "servicediscovery.private_dns_namespace";
    const DISPLAY_NAME: &'static str = "Cloud Map Private DNS Namespace";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "ec2:DescribeRegions",
        "ec2:DescribeVpcs",
        "route53:AssociateVPCWithHostedZone",
        "route53:ChangeResourceRecordSets",
        "route53:CreateHostedZone",
        "route53:DeleteHostedZone",
        "route53:GetHostedZone",
        "route53:ListHostedZonesByName",
        "servicediscovery:CreatePrivateDnsNamespace",
        "servicediscovery:DeleteNamespace",
        "servicediscovery:GetNamespace",
        "servicediscovery:GetOperation",
        "servicediscovery:ListNamespaces",
        "servicediscovery:ListServices",
        "servicediscovery:ListTagsForResource",
        "servicediscovery:TagResource",
        "servicediscovery:UntagResource",
        "servicediscovery:UpdatePrivateDnsNamespace",
    ];
    // Creating a private DNS namespace makes a Route 53 private hosted zone on the caller's
    // behalf, which needs the route53 and ec2 permissions AWS documents for it.
    const INDIRECT_IAM_ACTIONS: &'static [&'static str] = &[
        "ec2:DescribeRegions",
        "ec2:DescribeVpcs",
        "route53:AssociateVPCWithHostedZone",
        "route53:ChangeResourceRecordSets",
        "route53:CreateHostedZone",
        "route53:DeleteHostedZone",
        "route53:GetHostedZone",
        "route53:ListHostedZonesByName",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        vec![Reference::replace(&self.vpc)]
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[("name", self.name != d.name), ("vpc", self.vpc != d.vpc)])
    }

    fn hourly_charge(&self, _graph: &BTreeMap<NodeKey, Node>) -> Option<(&'static str, f64)> {
        Some(("dns_zones", HOSTED_ZONE_USD_PER_MONTH / HOURS_PER_MONTH))
    }
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use std::collections::HashMap;
    use std::time::Duration;

    use aws_sdk_servicediscovery::types::{
        FilterCondition, NamespaceFilter, NamespaceFilterName, NamespaceSummary, OperationStatus,
        OperationTargetType, PrivateDnsNamespaceChange, ServiceFilter, ServiceFilterName,
    };
    use aws_sdk_servicediscovery::Client;

    use super::*;
    use crate::aws::common::ownership::{adopt_or_create, tag_changes, Found};
    use crate::aws::common::poll::{poll_until, within, Poll};
    use crate::aws::common::tags;
    use crate::aws::ec2::vpc_endpoint::client_token;
    use crate::aws::error::{classify, none_if_not_found, AwsError};
    use crate::aws::kind::{AwsKind, Cx};

    /// Cloud Map's operations usually finish within a minute; the hosted zone behind a
    /// namespace can take several.
    const OPERATION_LIMIT: Duration = Duration::from_secs(15 * 60);

    /// ECS deletes a Service Connect service's Cloud Map service shortly after the ECS service.
    const SERVICES_GONE_LIMIT: Duration = Duration::from_secs(10 * 60);

    /// A create that lost a race, or follows a crash: the namespace exists.
    const ALREADY_EXISTS: &[&str] = &["NamespaceAlreadyExists", "DuplicateRequest"];

    impl AwsKind for PrivateDnsNamespaceSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            let Some(found) = find_namespace_by_name(cx, &spec.name).await? else {
                return Ok(None);
            };
            Ok(
                crate::aws::common::ownership::owned_by(&found.tags, &spec.tags)
                    .then_some(found.id),
            )
        }

        /// Every private DNS namespace of the account and region in one listing, shared; tags
        /// stay one call per namespace (Cloud Map has no batch tag read).
        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            let namespaces = shared_namespaces(cx.clients, cx.reads).await?;
            let Some(summary) = namespaces.get(id) else {
                return Ok(None);
            };
            let Some(tags) = namespace_tags(cx, summary).await? else {
                return Ok(None);
            };
            Ok(Some(flatten_namespace(summary, current, tags)))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            let client = &cx.clients.servicediscovery;
            adopt_or_create(
                Self::DISPLAY_NAME,
                &spec.name,
                &spec.tags,
                ALREADY_EXISTS,
                || find_namespace_by_name(cx, &spec.name),
                |found| async move { Self::update(cx, &found.id, &found.current, spec).await },
                || async {
                    let vpc_id = cx
                        .ids
                        .id(&spec.vpc)
                        .map_err(|e| AwsError::unexpected(e.message))?;
                    let operation = client
                        .create_private_dns_namespace()
                        .name(&spec.name)
                        .vpc(vpc_id)
                        .description(&spec.description)
                        .creator_request_id(client_token(&spec.tags, &["create"]))
                        .set_tags(Some(tags::to_sdk(&spec.tags)?))
                        .send()
                        .await
                        .map_err(classify)?
                        .operation_id()
                        .map(str::to_string)
                        .ok_or_else(|| {
                            AwsError::unexpected("CreatePrivateDnsNamespace returned no operation")
                        })?;
                    let targets = wait_operation(client, &operation).await?;
                    targets
                        .get(&OperationTargetType::Namespace)
                        .cloned()
                        .ok_or_else(|| {
                            AwsError::unexpected("the create operation names no namespace")
                        })
                },
            )
            .await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            let client = &cx.clients.servicediscovery;
            if current.description != desired.description {
                let operation = client
                    .update_private_dns_namespace()
                    .id(id)
                    .updater_request_id(client_token(
                        &desired.tags,
                        &["description", &desired.description],
                    ))
                    .namespace(
                        PrivateDnsNamespaceChange::builder()
                            .description(&desired.description)
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(classify)?
                    .operation_id()
                    .map(str::to_string)
                    .ok_or_else(|| {
                        AwsError::unexpected("UpdatePrivateDnsNamespace returned no operation")
                    })?;
                wait_operation(client, &operation).await?;
            }
            let (changed, removed) = tag_changes(&current.tags, &desired.tags);
            if changed.is_empty() && removed.is_empty() {
                return Ok(id.to_string());
            }
            let arn = find_namespace_arn(client, id).await?;
            if !changed.is_empty() {
                client
                    .tag_resource()
                    .resource_arn(&arn)
                    .set_tags(Some(tags::to_sdk(&changed)?))
                    .send()
                    .await
                    .map_err(classify)?;
            }
            if !removed.is_empty() {
                client
                    .untag_resource()
                    .resource_arn(&arn)
                    .set_tag_keys(Some(removed))
                    .send()
                    .await
                    .map_err(classify)?;
            }
            Ok(id.to_string())
        }

        /// Waits for the Cloud Map services ECS made for Service Connect to go (ECS removes
        /// them after the ECS services), then deletes the namespace.
        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            let client = &cx.clients.servicediscovery;
            wait_services_gone(client, id).await?;
            let Some(out) = none_if_not_found(
                client
                    .delete_namespace()
                    .id(id)
                    .send()
                    .await
                    .map_err(classify),
            )?
            else {
                return Ok(());
            };
            match out.operation_id() {
                Some(operation) => wait_operation(client, operation).await.map(|_| ()),
                None => Ok(()),
            }
        }
    }

    // find

    /// Every private DNS namespace of the account and region, by ID, listed once per scope.
    pub async fn shared_namespaces(
        clients: &crate::aws::AwsClients,
        reads: &crate::aws::common::reads::Reads,
    ) -> Result<std::sync::Arc<HashMap<String, NamespaceSummary>>, AwsError> {
        reads
            .get("servicediscovery.private_dns_namespace/all", || {
                list_private_namespaces(&clients.servicediscovery)
            })
            .await
    }

    /// Every private DNS namespace, by ID.
    pub async fn list_private_namespaces(
        client: &Client,
    ) -> Result<HashMap<String, NamespaceSummary>, AwsError> {
        let filter = NamespaceFilter::builder()
            .name(NamespaceFilterName::Type)
            .values("DNS_PRIVATE")
            .condition(FilterCondition::Eq)
            .build()
            .map_err(|e| AwsError::unexpected(e.to_string()))?;
        let mut pages = client
            .list_namespaces()
            .filters(filter)
            .into_paginator()
            .send();
        let mut namespaces = HashMap::new();
        while let Some(page) = pages.next().await {
            for namespace in page.map_err(classify)?.namespaces() {
                if let Some(id) = namespace.id() {
                    namespaces.insert(id.to_string(), namespace.clone());
                }
            }
        }
        Ok(namespaces)
    }

    /// The namespace's tags through the shared reads; `None` when it is gone.
    async fn namespace_tags(
        cx: &Cx<'_>,
        summary: &NamespaceSummary,
    ) -> Result<Option<Tags>, AwsError> {
        let Some(arn) = summary.arn() else {
            return Err(AwsError::unexpected("ListNamespaces returned no ARN"));
        };
        let client = &cx.clients.servicediscovery;
        let tags = cx
            .reads
            .get(
                &format!("servicediscovery.private_dns_namespace/tags/{arn}"),
                || async {
                    none_if_not_found(
                        client
                            .list_tags_for_resource()
                            .resource_arn(arn)
                            .send()
                            .await
                            .map_err(classify),
                    )
                    .map(|out| out.map(|o| tags::from_sdk(o.tags())))
                },
            )
            .await?;
        Ok((*tags).clone())
    }

    /// The namespace holding `name`, with its tags, read fresh (create and import).
    async fn find_namespace_by_name(
        cx: &Cx<'_>,
        name: &str,
    ) -> Result<Option<Found<PrivateDnsNamespaceSpec>>, AwsError> {
        let client = &cx.clients.servicediscovery;
        let namespaces = list_private_namespaces(client).await?;
        let Some(summary) = namespaces.values().find(|n| n.name() == Some(name)) else {
            return Ok(None);
        };
        let (Some(id), Some(arn)) = (summary.id(), summary.arn()) else {
            return Err(AwsError::unexpected("ListNamespaces returned no ID or ARN"));
        };
        let Some(tags) = none_if_not_found(
            client
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await
                .map_err(classify),
        )?
        .map(|o| tags::from_sdk(o.tags())) else {
            return Ok(None);
        };
        let current = PrivateDnsNamespaceSpec {
            name: name.to_string(),
            vpc: NodeKey::new(crate::plan::node::Kind::Vpc, &[]),
            description: summary.description().unwrap_or_default().to_string(),
            tags: tags.clone(),
        };
        Ok(Some(Found {
            id: id.to_string(),
            current,
            tags,
        }))
    }

    /// The ARN of namespace `id` (ECS names namespaces by ARN).
    pub async fn find_namespace_arn(client: &Client, id: &str) -> Result<String, AwsError> {
        client
            .get_namespace()
            .id(id)
            .send()
            .await
            .map_err(classify)?
            .namespace()
            .and_then(|n| n.arn())
            .map(str::to_string)
            .ok_or_else(|| AwsError::unexpected("GetNamespace returned no ARN"))
    }

    // wait

    /// Polls a Cloud Map operation until it succeeds (its targets, by type) or fails (its
    /// error code and message), within [`OPERATION_LIMIT`].
    pub async fn wait_operation(
        client: &Client,
        operation: &str,
    ) -> Result<HashMap<OperationTargetType, String>, AwsError> {
        within(
            OPERATION_LIMIT,
            format!("Cloud Map operation {operation}"),
            poll_until(|| async {
                let out = client
                    .get_operation()
                    .operation_id(operation)
                    .send()
                    .await
                    .map_err(classify)?;
                let Some(op) = out.operation() else {
                    return Err(AwsError::unexpected("GetOperation returned no operation"));
                };
                match op.status() {
                    Some(OperationStatus::Success) => {
                        Ok(Poll::Ready(op.targets().cloned().unwrap_or_default()))
                    }
                    Some(OperationStatus::Fail) => Err(AwsError::Api {
                        code: op.error_code().unwrap_or("OperationFailed").to_string(),
                        message: op
                            .error_message()
                            .unwrap_or("the Cloud Map operation failed")
                            .to_string(),
                    }),
                    _ => Ok(Poll::Pending),
                }
            }),
        )
        .await
    }

    /// Polls until namespace `id` holds no Cloud Map service, within [`SERVICES_GONE_LIMIT`];
    /// a namespace already gone holds none.
    async fn wait_services_gone(client: &Client, id: &str) -> Result<(), AwsError> {
        within(
            SERVICES_GONE_LIMIT,
            format!("the Cloud Map services in namespace {id} to be deleted (ECS deletes those of deleted ECS services; delete any other by hand)"),
            poll_until(|| async {
                let filter = ServiceFilter::builder()
                    .name(ServiceFilterName::NamespaceId)
                    .values(id)
                    .condition(FilterCondition::Eq)
                    .build()
                    .map_err(|e| AwsError::unexpected(e.to_string()))?;
                let out = none_if_not_found(
                    client
                        .list_services()
                        .filters(filter)
                        .send()
                        .await
                        .map_err(classify),
                )?;
                Ok(match out {
                    Some(out) if !out.services().is_empty() => Poll::Pending,
                    _ => Poll::Ready(()),
                })
            }),
        )
        .await
    }

    // flatten

    /// The namespace as a spec. Cloud Map does not report the VPC: the recorded one stays.
    pub fn flatten_namespace(
        summary: &NamespaceSummary,
        current: &PrivateDnsNamespaceSpec,
        tags: Tags,
    ) -> PrivateDnsNamespaceSpec {
        PrivateDnsNamespaceSpec {
            name: summary.name().unwrap_or_default().to_string(),
            vpc: current.vpc.clone(),
            description: summary.description().unwrap_or_default().to_string(),
            tags,
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::apply::IdMap;
        use crate::aws::common::reads::Reads;
        use crate::plan::expand::naming::{TAG_NODE, TAG_OWNER};
        use crate::plan::ledger::Ledger;
        use crate::plan::node::Kind;
        use aws_sdk_servicediscovery::operation::create_private_dns_namespace::CreatePrivateDnsNamespaceOutput;
        use aws_sdk_servicediscovery::operation::delete_namespace::DeleteNamespaceOutput;
        use aws_sdk_servicediscovery::operation::get_operation::GetOperationOutput;
        use aws_sdk_servicediscovery::operation::list_namespaces::ListNamespacesOutput;
        use aws_sdk_servicediscovery::operation::list_services::ListServicesOutput;
        use aws_sdk_servicediscovery::operation::list_tags_for_resource::ListTagsForResourceOutput;
        use aws_sdk_servicediscovery::types::{Operation, ServiceSummary};
        use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};

        fn spec() -> PrivateDnsNamespaceSpec {
            PrivateDnsNamespaceSpec {
                name: "prod.internal".into(),
                vpc: NodeKey::new(Kind::Vpc, &[]),
                description: "Service discovery for prod".into(),
                tags: [
                    (TAG_OWNER.to_string(), "environment/prod".to_string()),
                    (
                        TAG_NODE.to_string(),
                        "servicediscovery.private_dns_namespace".to_string(),
                    ),
                ]
                .into(),
            }
        }

        fn clients(rules: &[&Rule]) -> crate::aws::AwsClients {
            let sdk = aws_config::SdkConfig::builder()
                .behavior_version(aws_config::BehaviorVersion::latest())
                .region(aws_config::Region::new("us-east-1"))
                .build();
            let mut clients = crate::aws::AwsClients::new(&sdk, &Default::default());
            clients.servicediscovery =
                mock_client!(aws_sdk_servicediscovery, RuleMode::MatchAny, rules, |c| c
                    .retry_config(
                        aws_sdk_servicediscovery::config::retry::RetryConfig::disabled()
                    ))
                .into();
            clients
        }

        fn operation(status: OperationStatus) -> GetOperationOutput {
            let mut op = Operation::builder().id("op-1").status(status.clone());
            if status == OperationStatus::Success {
                op = op.targets(OperationTargetType::Namespace, "ns-1");
            } else if status == OperationStatus::Fail {
                op = op
                    .error_code("CANNOT_CREATE_HOSTED_ZONE")
                    .error_message("the VPC has no DNS support");
            }
            GetOperationOutput::builder().operation(op.build()).build()
        }

        fn ids() -> IdMap {
            let mut ledger = Ledger::new();
            ledger
                .external
                .insert(NodeKey::new(Kind::Vpc, &[]), "vpc-1".into());
            IdMap::from_ledger(&ledger)
        }

        async fn create(rules: &[&Rule]) -> Result<String, AwsError> {
            let clients = clients(rules);
            let ids = ids();
            let reads = Reads::new();
            let cx = Cx {
                clients: &clients,
                ids: &ids,
                reads: &reads,
            };
            PrivateDnsNamespaceSpec::create(&cx, &spec()).await
        }

        #[tokio::test(start_paused = true)]
        async fn create_polls_its_operation_until_the_namespace_exists() {
            let none = mock!(Client::list_namespaces)
                .then_output(|| ListNamespacesOutput::builder().build());
            let created = mock!(Client::create_private_dns_namespace)
                .match_requests(|r| {
                    r.vpc() == Some("vpc-1")
                        && r.creator_request_id()
                            .is_some_and(|t| t.starts_with("platform-"))
                        && r.tags().len() == 2
                })
                .then_output(|| {
                    CreatePrivateDnsNamespaceOutput::builder()
                        .operation_id("op-1")
                        .build()
                });
            let pending = mock!(Client::get_operation)
                .sequence()
                .output(|| operation(OperationStatus::Submitted))
                .output(|| operation(OperationStatus::Pending))
                .output(|| operation(OperationStatus::Success))
                .build();
            let id = create(&[&none, &created, &pending]).await.unwrap();
            assert_eq!(id, "ns-1");
            assert_eq!(pending.num_calls(), 3);
        }

        #[tokio::test(start_paused = true)]
        async fn a_failed_operation_fails_the_create_with_its_reason() {
            let none = mock!(Client::list_namespaces)
                .then_output(|| ListNamespacesOutput::builder().build());
            let created = mock!(Client::create_private_dns_namespace).then_output(|| {
                CreatePrivateDnsNamespaceOutput::builder()
                    .operation_id("op-1")
                    .build()
            });
            let failed =
                mock!(Client::get_operation).then_output(|| operation(OperationStatus::Fail));
            let error = create(&[&none, &created, &failed]).await.unwrap_err();
            assert_eq!(
                error,
                AwsError::Api {
                    code: "CANNOT_CREATE_HOSTED_ZONE".into(),
                    message: "the VPC has no DNS support".into(),
                }
            );
        }

        #[tokio::test(start_paused = true)]
        async fn delete_waits_for_the_cloud_map_services_to_go() {
            let services = mock!(Client::list_services)
                .match_requests(|r| r.filters().first().is_some_and(|f| f.values() == ["ns-1"]))
                .sequence()
                .output(|| {
                    ListServicesOutput::builder()
                        .services(ServiceSummary::builder().id("srv-1").name("core").build())
                        .build()
                })
                .output(|| ListServicesOutput::builder().build())
                .build();
            let deleted = mock!(Client::delete_namespace).then_output(|| {
                DeleteNamespaceOutput::builder()
                    .operation_id("op-1")
                    .build()
            });
            let done =
                mock!(Client::get_operation).then_output(|| operation(OperationStatus::Success));
            let clients = clients(&[&services, &deleted, &done]);
            let ids = ids();
            let reads = Reads::new();
            let cx = Cx {
                clients: &clients,
                ids: &ids,
                reads: &reads,
            };
            PrivateDnsNamespaceSpec::delete(&cx, "ns-1", &spec())
                .await
                .unwrap();
            assert_eq!(services.num_calls(), 2, "polled until no service is left");
            assert_eq!(deleted.num_calls(), 1);
        }

        #[tokio::test]
        async fn a_namespace_someone_else_named_is_refused() {
            let taken = mock!(Client::list_namespaces).then_output(|| {
                ListNamespacesOutput::builder()
                    .namespaces(
                        NamespaceSummary::builder()
                            .id("ns-9")
                            .arn("arn:ns-9")
                            .name("prod.internal")
                            .build(),
                    )
                    .build()
            });
            let no_tags = mock!(Client::list_tags_for_resource)
                .then_output(|| ListTagsForResourceOutput::builder().build());
            let error = create(&[&taken, &no_tags]).await.unwrap_err();
            assert!(
                matches!(error, AwsError::Api { ref code, .. } if code == "NameTaken"),
                "{error:?}"
            );
        }

        #[tokio::test]
        async fn observing_many_namespaces_lists_them_once() {
            let listed = mock!(Client::list_namespaces).then_output(|| {
                ListNamespacesOutput::builder()
                    .set_namespaces(Some(
                        (0..20)
                            .map(|i| {
                                NamespaceSummary::builder()
                                    .id(format!("ns-{i}"))
                                    .arn(format!("arn:ns-{i}"))
                                    .name(format!("e{i}.internal"))
                                    .build()
                            })
                            .collect(),
                    ))
                    .build()
            });
            let tagged = mock!(Client::list_tags_for_resource)
                .then_output(|| ListTagsForResourceOutput::builder().build());
            for n in [1, 20] {
                let before = (listed.num_calls(), tagged.num_calls());
                let clients = clients(&[&listed, &tagged]);
                let ids = ids();
                let reads = Reads::new();
                let cx = Cx {
                    clients: &clients,
                    ids: &ids,
                    reads: &reads,
                };
                let spec = spec();
                let ids: Vec<String> = (0..n).map(|i| format!("ns-{i}")).collect();
                let seen = futures::future::join_all(
                    ids.iter()
                        .map(|id| PrivateDnsNamespaceSpec::observe(&cx, id, &spec)),
                )
                .await;
                assert!(seen.iter().all(|s| matches!(s, Ok(Some(_)))));
                assert_eq!(listed.num_calls() - before.0, 1, "one listing for {n}");
                // No batch tag read exists: one per namespace.
                assert_eq!(tagged.num_calls() - before.1, n);
            }
        }
    }
}
