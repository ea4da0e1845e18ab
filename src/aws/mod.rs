//! AWS knowledge: clients, the executor that dispatches each child kind to its module, and
//! discovery of children by ownership tags. Only this module names `aws_sdk_*` types.

pub mod acm;
pub mod autoscaling;
pub mod ec2;
pub mod ecs;
pub mod elasticache;
pub mod elbv2;
pub mod error;
pub mod iam;
pub mod logs;
pub mod rds;
pub mod secretsmanager;
pub mod tags;

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::apply::{IdMap, StepError};
use crate::plan::expand::naming::{TAG_NODE, TAG_OWNER};
use crate::plan::ledger::{Ledger, Recorded};
use crate::plan::node::{
    ChildSpec, ElasticIpSpec, InternetGatewaySpec, Kind, NatGatewaySpec, Node, NodeKey,
    RouteTableAssociationSpec, SubnetSpec, SubnetTier, VpcSpec,
};

use error::{classify, AwsError};

/// Service clients built from one SDK configuration.
#[derive(Clone, Debug)]
pub struct AwsClients {
    pub ec2: aws_sdk_ec2::Client,
    pub sts: aws_sdk_sts::Client,
    pub ecs: aws_sdk_ecs::Client,
    pub iam: aws_sdk_iam::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub rds: aws_sdk_rds::Client,
    pub elasticache: aws_sdk_elasticache::Client,
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    pub acm: aws_sdk_acm::Client,
    pub secretsmanager: aws_sdk_secretsmanager::Client,
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
}

/// A client of one service with the `endpoints { … }` override applied.
macro_rules! client {
    ($sdk:expr, $endpoints:expr, $crate_name:ident, $service:literal) => {{
        let mut builder = $crate_name::config::Builder::from($sdk);
        if let Some(url) = $endpoints.get($service) {
            builder = builder.endpoint_url(url);
        }
        $crate_name::Client::from_conf(builder.build())
    }};
}

impl AwsClients {
    /// Builds clients; `endpoints` maps service names (`ec2`, `sts`, …) to URL overrides.
    pub fn new(sdk: &aws_config::SdkConfig, endpoints: &BTreeMap<String, String>) -> AwsClients {
        AwsClients {
            ec2: client!(sdk, endpoints, aws_sdk_ec2, "ec2"),
            sts: client!(sdk, endpoints, aws_sdk_sts, "sts"),
            ecs: client!(sdk, endpoints, aws_sdk_ecs, "ecs"),
            iam: client!(sdk, endpoints, aws_sdk_iam, "iam"),
            logs: client!(sdk, endpoints, aws_sdk_cloudwatchlogs, "logs"),
            rds: client!(sdk, endpoints, aws_sdk_rds, "rds"),
            elasticache: client!(sdk, endpoints, aws_sdk_elasticache, "elasticache"),
            elbv2: client!(sdk, endpoints, aws_sdk_elasticloadbalancingv2, "elbv2"),
            acm: client!(sdk, endpoints, aws_sdk_acm, "acm"),
            secretsmanager: client!(sdk, endpoints, aws_sdk_secretsmanager, "secretsmanager"),
            autoscaling: client!(
                sdk,
                endpoints,
                aws_sdk_applicationautoscaling,
                "applicationautoscaling"
            ),
        }
    }

    /// Checks the credentials with STS GetCallerIdentity; returns the account ID.
    pub async fn caller_account(&self) -> Result<String, AwsError> {
        let out = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(classify)?;
        Ok(out.account().unwrap_or_default().to_string())
    }
}

/// Available zones of the region as (name, ID) pairs.
pub async fn region_facts(clients: &AwsClients) -> Result<Vec<(String, String)>, AwsError> {
    let out = clients
        .ec2
        .describe_availability_zones()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("state")
                .values("available")
                .build(),
        )
        .send()
        .await
        .map_err(classify)?;
    Ok(out
        .availability_zones()
        .iter()
        .filter(|z| {
            z.opt_in_status()
                .is_none_or(|s| s.as_str() != "not-opted-in")
        })
        .filter(|z| z.zone_type().is_none_or(|t| t == "availability-zone"))
        .filter_map(|z| Some((z.zone_name()?.to_string(), z.zone_id()?.to_string())))
        .collect())
}

/// Public IPs of Elastic IPs, by allocation ID.
pub async fn elastic_ip_public_ips(
    clients: &AwsClients,
    allocation_ids: &[String],
) -> Result<BTreeMap<String, String>, AwsError> {
    ec2::elastic_ip::public_ips(&clients.ec2, allocation_ids).await
}

/// DNS name and Route 53 zone ID of a load balancer; `None` when it is gone.
pub async fn load_balancer_endpoint(
    clients: &AwsClients,
    arn: &str,
) -> Result<Option<(String, String)>, AwsError> {
    elbv2::load_balancer::describe_load_balancer_endpoint(&clients.elbv2, arn).await
}

pub use acm::certificate::CertificateFacts;

/// Status, names and DNS validation records of a certificate; `None` when it is gone.
pub async fn certificate_facts(
    clients: &AwsClients,
    arn: &str,
) -> Result<Option<CertificateFacts>, AwsError> {
    acm::certificate::describe_certificate_facts(&clients.acm, arn).await
}

/// The `platform:owner` tag of a VPC, for import by VPC ID.
pub async fn find_vpc_owner_by_id(
    clients: &AwsClients,
    vpc_id: &str,
) -> Result<Option<String>, AwsError> {
    Ok(ec2::vpc::find_vpc_by_id(&clients.ec2, vpc_id)
        .await?
        .and_then(|v| tags::from_sdk(v.tags()).get(TAG_OWNER).cloned()))
}

/// Services, databases and caches still running in an environment (by cluster and data
/// subnet group), as `<kind> <name>` lines: an environment under them cannot be deleted.
pub async fn app_resources_in(
    clients: &AwsClients,
    cluster_arn: Option<&str>,
    subnet_group: &str,
) -> Result<Vec<String>, AwsError> {
    let mut found = Vec::new();
    if let Some(cluster) = cluster_arn {
        let mut arns = Vec::new();
        let mut pages = clients
            .ecs
            .list_services()
            .cluster(cluster)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            match page.map_err(classify) {
                Ok(page) => arns.extend(page.service_arns().iter().cloned()),
                Err(e) if e.is_not_found() => break,
                Err(e) => return Err(e),
            }
        }
        // Deleted services stay listed for a while (INACTIVE, or DRAINING while they go).
        for batch in arns.chunks(10) {
            let out = clients
                .ecs
                .describe_services()
                .cluster(cluster)
                .set_services(Some(batch.to_vec()))
                .send()
                .await
                .map_err(classify)?;
            found.extend(
                out.services()
                    .iter()
                    .filter(|s| s.status() == Some("ACTIVE"))
                    .map(|s| format!("ECS service {}", s.service_name().unwrap_or_default())),
            );
        }
    }
    let mut pages = clients.rds.describe_db_instances().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(classify)?;
        for db in page.db_instances() {
            let in_group =
                db.db_subnet_group().and_then(|g| g.db_subnet_group_name()) == Some(subnet_group);
            let deleting = db.db_instance_status() == Some("deleting");
            if in_group && !deleting {
                found.push(format!(
                    "RDS instance {}",
                    db.db_instance_identifier().unwrap_or_default()
                ));
            }
        }
    }
    let mut pages = clients
        .elasticache
        .describe_cache_clusters()
        .into_paginator()
        .send();
    let mut groups = std::collections::BTreeSet::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(classify)?;
        for cluster in page.cache_clusters() {
            let in_group = cluster.cache_subnet_group_name() == Some(subnet_group);
            let deleting = cluster.cache_cluster_status() == Some("deleting");
            if in_group && !deleting {
                groups.insert(
                    cluster
                        .replication_group_id()
                        .or(cluster.cache_cluster_id())
                        .unwrap_or_default()
                        .to_string(),
                );
            }
        }
    }
    found.extend(groups.into_iter().map(|g| format!("ElastiCache group {g}")));
    Ok(found)
}

/// The ID of the security group another resource of ours owns (a database's or cache's),
/// found by its ownership tags in the VPC; `None` when it does not exist (yet).
pub async fn find_owned_group_id(
    clients: &AwsClients,
    vpc_id: &str,
    owner: &str,
    key: &NodeKey,
) -> Result<Option<String>, AwsError> {
    let tags: crate::plan::node::Tags = [
        (TAG_OWNER.to_string(), owner.to_string()),
        (TAG_NODE.to_string(), key.to_string()),
    ]
    .into();
    let mut filters = tags::ownership_filters(&tags);
    filters.push(
        aws_sdk_ec2::types::Filter::builder()
            .name("vpc-id")
            .values(vpc_id)
            .build(),
    );
    let out = clients
        .ec2
        .describe_security_groups()
        .set_filters(Some(filters))
        .send()
        .await
        .map_err(classify)?;
    Ok(out
        .security_groups()
        .iter()
        .find(|g| tags::owned_by(g.tags(), &tags))
        .and_then(|g| g.group_id().map(str::to_string)))
}

/// The executor for every child kind.
pub struct Executor {
    clients: AwsClients,
}

impl Executor {
    pub fn new(clients: AwsClients) -> Executor {
        Executor { clients }
    }
}

fn recorded(id: String, spec: &ChildSpec) -> Recorded {
    Recorded {
        id,
        observed: spec.clone(),
    }
}

#[async_trait]
impl crate::apply::Executor for Executor {
    #[tracing::instrument(skip_all, fields(node = %node.key))]
    async fn create(&self, node: &Node, ids: &IdMap) -> Result<Recorded, StepError> {
        let ec2 = &self.clients.ec2;
        let id = match &node.spec {
            ChildSpec::Vpc(s) => ec2::vpc::create_vpc(ec2, s).await?,
            ChildSpec::Subnet(s) => ec2::subnet::create_subnet(ec2, s, ids).await?,
            ChildSpec::InternetGateway(s) => {
                ec2::internet_gateway::create_internet_gateway(ec2, s, ids).await?
            }
            ChildSpec::ElasticIp(s) => ec2::elastic_ip::create_elastic_ip(ec2, s).await?,
            ChildSpec::NatGateway(s) => ec2::nat_gateway::create_nat_gateway(ec2, s, ids).await?,
            ChildSpec::RouteTable(s) => ec2::route_table::create_route_table(ec2, s, ids).await?,
            ChildSpec::Route(s) => ec2::route::create_route(ec2, s, ids).await?,
            ChildSpec::RouteTableAssociation(s) => {
                ec2::route_table_association::create_association(ec2, s, ids).await?
            }
            ChildSpec::SecurityGroup(s) => {
                ec2::security_group::create_security_group(ec2, s, ids).await?
            }
            ChildSpec::SecurityGroupRule(s) => {
                ec2::security_group_rule::create_security_group_rule(ec2, s, ids).await?
            }
            ChildSpec::VpcEndpoint(s) => {
                ec2::vpc_endpoint::create_vpc_endpoint(ec2, s, ids).await?
            }
            ChildSpec::FlowLog(s) => ec2::flow_log::create_flow_log(ec2, s, ids).await?,
            ChildSpec::LogGroup(s) => {
                logs::log_group::create_log_group(&self.clients.logs, s, ids).await?
            }
            ChildSpec::IamRole(s) => iam::role::create_role(&self.clients.iam, s, ids).await?,
            ChildSpec::EcsCluster(s) => {
                ecs::cluster::create_cluster(&self.clients.ecs, s, ids).await?
            }
            ChildSpec::DbSubnetGroup(s) => {
                rds::db_subnet_group::create_db_subnet_group(&self.clients.rds, s, ids).await?
            }
            ChildSpec::CacheSubnetGroup(s) => {
                elasticache::cache_subnet_group::create_cache_subnet_group(
                    &self.clients.elasticache,
                    s,
                    ids,
                )
                .await?
            }
            ChildSpec::LoadBalancer(s) => {
                elbv2::load_balancer::create_load_balancer(&self.clients.elbv2, s, ids).await?
            }
            ChildSpec::Listener(s) => {
                elbv2::listener::create_listener_with(
                    &self.clients.elbv2,
                    Some(&self.clients.acm),
                    s,
                    ids,
                )
                .await?
            }
            ChildSpec::Certificate(s) => {
                acm::certificate::create_certificate(&self.clients.acm, s, ids).await?
            }
            ChildSpec::TaskDefinition(s) => {
                ecs::task_definition::create_task_definition(&self.clients.ecs, s, ids).await?
            }
            ChildSpec::EcsService(s) => {
                ecs::service::create_service(&self.clients.ecs, s, ids).await?
            }
            ChildSpec::TargetGroup(s) => {
                elbv2::target_group::create_target_group(&self.clients.elbv2, s, ids).await?
            }
            ChildSpec::ListenerRule(s) => {
                elbv2::listener_rule::create_listener_rule(&self.clients.elbv2, s, ids).await?
            }
            ChildSpec::ScalableTarget(s) => {
                autoscaling::scalable_target::create_scalable_target(
                    &self.clients.autoscaling,
                    s,
                    ids,
                )
                .await?
            }
            ChildSpec::ScalingPolicy(s) => {
                autoscaling::scaling_policy::create_scaling_policy(
                    &self.clients.autoscaling,
                    s,
                    ids,
                )
                .await?
            }
            ChildSpec::Secret(s) => {
                secretsmanager::secret::create_secret(&self.clients, s, ids).await?
            }
            ChildSpec::DbParameterGroup(s) => {
                rds::db_parameter_group::create_db_parameter_group(&self.clients.rds, s, ids)
                    .await?
            }
            ChildSpec::DbInstance(s) => {
                rds::db_instance::create_db_instance(&self.clients.rds, s, ids).await?
            }
            ChildSpec::ReplicationGroup(s) => {
                elasticache::replication_group::create_replication_group(&self.clients, s, ids)
                    .await?
            }
        };
        Ok(recorded(id, &node.spec))
    }

    #[tracing::instrument(skip_all, fields(node = %node.key))]
    async fn update(
        &self,
        node: &Node,
        current: &Recorded,
        ids: &IdMap,
    ) -> Result<Recorded, StepError> {
        let ec2 = &self.clients.ec2;
        let id = current.id.clone();
        let id = match (&current.observed, &node.spec) {
            (ChildSpec::Vpc(c), ChildSpec::Vpc(d)) => {
                ec2::vpc::update_vpc(ec2, &id, c, d).await.map(|()| id)?
            }
            (ChildSpec::Subnet(c), ChildSpec::Subnet(d)) => {
                ec2::subnet::update_subnet(ec2, &id, c, d)
                    .await
                    .map(|()| id)?
            }
            (ChildSpec::InternetGateway(c), ChildSpec::InternetGateway(d)) => {
                ec2::internet_gateway::update_internet_gateway(ec2, &id, c, d)
                    .await
                    .map(|()| id)?
            }
            (ChildSpec::ElasticIp(c), ChildSpec::ElasticIp(d)) => {
                ec2::elastic_ip::update_elastic_ip(ec2, &id, c, d)
                    .await
                    .map(|()| id)?
            }
            (ChildSpec::NatGateway(c), ChildSpec::NatGateway(d)) => {
                ec2::nat_gateway::update_nat_gateway(ec2, &id, c, d)
                    .await
                    .map(|()| id)?
            }
            (ChildSpec::RouteTable(c), ChildSpec::RouteTable(d)) => {
                ec2::route_table::update_route_table(ec2, &id, c, d)
                    .await
                    .map(|()| id)?
            }
            (ChildSpec::Route(_), ChildSpec::Route(d)) => {
                ec2::route::update_route(ec2, &id, d, ids)
                    .await
                    .map(|()| id)?
            }
            (ChildSpec::RouteTableAssociation(_), ChildSpec::RouteTableAssociation(d)) => {
                ec2::route_table_association::update_association(ec2, &id, d, ids).await?
            }
            (ChildSpec::SecurityGroup(c), ChildSpec::SecurityGroup(d)) => {
                ec2::security_group::update_security_group(ec2, &id, c, d, ids).await?
            }
            (ChildSpec::SecurityGroupRule(c), ChildSpec::SecurityGroupRule(d)) => {
                ec2::security_group_rule::update_security_group_rule(ec2, &id, c, d, ids).await?
            }
            (ChildSpec::VpcEndpoint(c), ChildSpec::VpcEndpoint(d)) => {
                ec2::vpc_endpoint::update_vpc_endpoint(ec2, &id, c, d, ids).await?
            }
            (ChildSpec::FlowLog(c), ChildSpec::FlowLog(d)) => {
                ec2::flow_log::update_flow_log(ec2, &id, c, d, ids).await?
            }
            (ChildSpec::LogGroup(c), ChildSpec::LogGroup(d)) => {
                logs::log_group::update_log_group(&self.clients.logs, &id, c, d, ids).await?
            }
            (ChildSpec::IamRole(c), ChildSpec::IamRole(d)) => {
                iam::role::update_role(&self.clients.iam, &id, c, d, ids).await?
            }
            (ChildSpec::EcsCluster(c), ChildSpec::EcsCluster(d)) => {
                ecs::cluster::update_cluster(&self.clients.ecs, &id, c, d, ids).await?
            }
            (ChildSpec::DbSubnetGroup(c), ChildSpec::DbSubnetGroup(d)) => {
                rds::db_subnet_group::update_db_subnet_group(&self.clients.rds, &id, c, d, ids)
                    .await?
            }
            (ChildSpec::CacheSubnetGroup(c), ChildSpec::CacheSubnetGroup(d)) => {
                elasticache::cache_subnet_group::update_cache_subnet_group(
                    &self.clients.elasticache,
                    &id,
                    c,
                    d,
                    ids,
                )
                .await?
            }
            (ChildSpec::LoadBalancer(c), ChildSpec::LoadBalancer(d)) => {
                elbv2::load_balancer::update_load_balancer(&self.clients.elbv2, &id, c, d, ids)
                    .await?
            }
            (ChildSpec::Listener(c), ChildSpec::Listener(d)) => {
                elbv2::listener::update_listener(&self.clients.elbv2, &id, c, d, ids).await?
            }
            (ChildSpec::Certificate(c), ChildSpec::Certificate(d)) => {
                acm::certificate::update_certificate(&self.clients.acm, &id, c, d, ids).await?
            }
            (ChildSpec::TaskDefinition(c), ChildSpec::TaskDefinition(d)) => {
                ecs::task_definition::update_task_definition(&self.clients.ecs, &id, c, d, ids)
                    .await?
            }
            (ChildSpec::EcsService(c), ChildSpec::EcsService(d)) => {
                ecs::service::update_service(&self.clients.ecs, &id, c, d, ids).await?
            }
            (ChildSpec::TargetGroup(c), ChildSpec::TargetGroup(d)) => {
                elbv2::target_group::update_target_group(&self.clients.elbv2, &id, c, d, ids)
                    .await?
            }
            (ChildSpec::ListenerRule(c), ChildSpec::ListenerRule(d)) => {
                elbv2::listener_rule::update_listener_rule(&self.clients.elbv2, &id, c, d, ids)
                    .await?
            }
            (ChildSpec::ScalableTarget(c), ChildSpec::ScalableTarget(d)) => {
                autoscaling::scalable_target::update_scalable_target(
                    &self.clients.autoscaling,
                    &id,
                    c,
                    d,
                    ids,
                )
                .await?
            }
            (ChildSpec::ScalingPolicy(c), ChildSpec::ScalingPolicy(d)) => {
                autoscaling::scaling_policy::update_scaling_policy(
                    &self.clients.autoscaling,
                    &id,
                    c,
                    d,
                    ids,
                )
                .await?
            }
            (ChildSpec::Secret(c), ChildSpec::Secret(d)) => {
                secretsmanager::secret::update_secret(&self.clients, &id, c, d, ids).await?
            }
            (ChildSpec::DbParameterGroup(c), ChildSpec::DbParameterGroup(d)) => {
                rds::db_parameter_group::update_db_parameter_group(
                    &self.clients.rds,
                    &id,
                    c,
                    d,
                    ids,
                )
                .await?
            }
            (ChildSpec::DbInstance(c), ChildSpec::DbInstance(d)) => {
                rds::db_instance::update_db_instance(&self.clients.rds, &id, c, d, ids).await?
            }
            (ChildSpec::ReplicationGroup(c), ChildSpec::ReplicationGroup(d)) => {
                elasticache::replication_group::update_replication_group(
                    &self.clients,
                    &id,
                    c,
                    d,
                    ids,
                )
                .await?
            }
            _ => {
                return Err(StepError::new(
                    crate::apply::ErrorKind::Permanent,
                    "the recorded child is of another kind",
                ))
            }
        };
        Ok(recorded(id, &node.spec))
    }

    #[tracing::instrument(skip_all, fields(node = %key))]
    async fn delete(
        &self,
        key: &NodeKey,
        current: &Recorded,
        _ids: &IdMap,
    ) -> Result<(), StepError> {
        let ec2 = &self.clients.ec2;
        let id = &current.id;
        let c = &self.clients;
        match &current.observed {
            ChildSpec::TaskDefinition(s) => {
                return Ok(ecs::task_definition::delete_task_definition(&c.ecs, id, s).await?)
            }
            ChildSpec::EcsService(s) => {
                return Ok(ecs::service::delete_service(&c.ecs, id, s).await?)
            }
            ChildSpec::TargetGroup(s) => {
                return Ok(elbv2::target_group::delete_target_group(&c.elbv2, id, s).await?)
            }
            ChildSpec::ListenerRule(s) => {
                return Ok(elbv2::listener_rule::delete_listener_rule(&c.elbv2, id, s).await?)
            }
            ChildSpec::ScalableTarget(s) => {
                return Ok(autoscaling::scalable_target::delete_scalable_target(
                    &c.autoscaling,
                    id,
                    s,
                )
                .await?)
            }
            ChildSpec::ScalingPolicy(s) => {
                return Ok(autoscaling::scaling_policy::delete_scaling_policy(
                    &c.autoscaling,
                    id,
                    s,
                )
                .await?)
            }
            ChildSpec::Secret(s) => {
                return Ok(secretsmanager::secret::delete_secret(&c.secretsmanager, id, s).await?)
            }
            ChildSpec::DbParameterGroup(s) => {
                return Ok(rds::db_parameter_group::delete_db_parameter_group(&c.rds, id, s).await?)
            }
            ChildSpec::DbInstance(s) => {
                return Ok(rds::db_instance::delete_db_instance(&c.rds, id, s).await?)
            }
            ChildSpec::ReplicationGroup(s) => {
                return Ok(elasticache::replication_group::delete_replication_group(
                    &c.elasticache,
                    id,
                    s,
                )
                .await?)
            }
            _ => {}
        }
        match current.observed.kind() {
            Kind::Vpc => ec2::vpc::delete_vpc(ec2, id).await?,
            Kind::Subnet => ec2::subnet::delete_subnet(ec2, id).await?,
            Kind::InternetGateway => {
                ec2::internet_gateway::delete_internet_gateway(ec2, id).await?
            }
            Kind::ElasticIp => ec2::elastic_ip::delete_elastic_ip(ec2, id).await?,
            Kind::NatGateway => ec2::nat_gateway::delete_nat_gateway(ec2, id).await?,
            Kind::RouteTable => ec2::route_table::delete_route_table(ec2, id).await?,
            Kind::Route => ec2::route::delete_route(ec2, id).await?,
            Kind::RouteTableAssociation => {
                ec2::route_table_association::delete_association(ec2, id).await?
            }
            Kind::SecurityGroup => ec2::security_group::delete_security_group(ec2, id).await?,
            Kind::SecurityGroupRule => {
                ec2::security_group_rule::delete_security_group_rule(ec2, id).await?
            }
            Kind::VpcEndpoint => ec2::vpc_endpoint::delete_vpc_endpoint(ec2, id).await?,
            Kind::FlowLog => ec2::flow_log::delete_flow_log(ec2, id).await?,
            Kind::LogGroup => logs::log_group::delete_log_group(&self.clients.logs, id).await?,
            Kind::IamRole => iam::role::delete_role(&self.clients.iam, id).await?,
            Kind::EcsCluster => ecs::cluster::delete_cluster(&self.clients.ecs, id).await?,
            Kind::DbSubnetGroup => {
                rds::db_subnet_group::delete_db_subnet_group(&self.clients.rds, id).await?
            }
            Kind::CacheSubnetGroup => {
                elasticache::cache_subnet_group::delete_cache_subnet_group(
                    &self.clients.elasticache,
                    id,
                )
                .await?
            }
            Kind::LoadBalancer => {
                elbv2::load_balancer::delete_load_balancer(&self.clients.elbv2, id).await?
            }
            Kind::Listener => elbv2::listener::delete_listener(&self.clients.elbv2, id).await?,
            Kind::Certificate => {
                acm::certificate::delete_certificate(&self.clients.acm, id).await?
            }
            Kind::TaskDefinition
            | Kind::EcsService
            | Kind::TargetGroup
            | Kind::ListenerRule
            | Kind::ScalableTarget
            | Kind::ScalingPolicy
            | Kind::Secret
            | Kind::DbParameterGroup
            | Kind::DbInstance
            | Kind::ReplicationGroup => {}
        }
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(node = %node.key))]
    async fn find(&self, node: &Node, ids: &IdMap) -> Result<Option<Recorded>, StepError> {
        let ec2 = &self.clients.ec2;
        let id = match &node.spec {
            // The network is found by `discover_environment`'s sweep over owner tags.
            ChildSpec::Vpc(_)
            | ChildSpec::Subnet(_)
            | ChildSpec::InternetGateway(_)
            | ChildSpec::ElasticIp(_)
            | ChildSpec::NatGateway(_)
            | ChildSpec::RouteTable(_)
            | ChildSpec::Route(_)
            | ChildSpec::RouteTableAssociation(_) => None,
            ChildSpec::SecurityGroup(s) => {
                ec2::security_group::find_owned_security_group(ec2, s).await?
            }
            ChildSpec::SecurityGroupRule(s) => {
                ec2::security_group_rule::find_owned_security_group_rule(ec2, s, ids).await?
            }
            ChildSpec::VpcEndpoint(s) => ec2::vpc_endpoint::find_owned_vpc_endpoint(ec2, s).await?,
            ChildSpec::FlowLog(s) => ec2::flow_log::find_owned_flow_log(ec2, s).await?,
            ChildSpec::LogGroup(s) => {
                logs::log_group::find_owned_log_group(&self.clients.logs, s).await?
            }
            ChildSpec::IamRole(s) => iam::role::find_owned_role(&self.clients.iam, s).await?,
            ChildSpec::EcsCluster(s) => {
                ecs::cluster::find_owned_cluster(&self.clients.ecs, s).await?
            }
            ChildSpec::DbSubnetGroup(s) => {
                rds::db_subnet_group::find_owned_db_subnet_group(&self.clients.rds, s, ids).await?
            }
            ChildSpec::CacheSubnetGroup(s) => {
                elasticache::cache_subnet_group::find_owned_cache_subnet_group(
                    &self.clients.elasticache,
                    s,
                    ids,
                )
                .await?
            }
            ChildSpec::LoadBalancer(s) => {
                elbv2::load_balancer::find_owned_load_balancer(&self.clients.elbv2, s, ids).await?
            }
            ChildSpec::Listener(s) => {
                elbv2::listener::find_owned_listener(&self.clients.elbv2, s, ids).await?
            }
            ChildSpec::Certificate(s) => {
                acm::certificate::find_owned_certificate(&self.clients.acm, s, ids).await?
            }
            ChildSpec::TaskDefinition(s) => {
                ecs::task_definition::find_owned_task_definition(&self.clients.ecs, s, ids).await?
            }
            ChildSpec::EcsService(s) => {
                ecs::service::find_owned_service(&self.clients.ecs, s, ids).await?
            }
            ChildSpec::TargetGroup(s) => {
                elbv2::target_group::find_owned_target_group(&self.clients.elbv2, s, ids).await?
            }
            ChildSpec::ListenerRule(s) => {
                elbv2::listener_rule::find_owned_listener_rule(&self.clients.elbv2, s, ids).await?
            }
            ChildSpec::ScalableTarget(s) => {
                autoscaling::scalable_target::find_owned_scalable_target(
                    &self.clients.autoscaling,
                    s,
                    ids,
                )
                .await?
            }
            ChildSpec::ScalingPolicy(s) => {
                autoscaling::scaling_policy::find_owned_scaling_policy(
                    &self.clients.autoscaling,
                    s,
                    ids,
                )
                .await?
            }
            ChildSpec::Secret(s) => {
                secretsmanager::secret::find_owned_secret(&self.clients.secretsmanager, s, ids)
                    .await?
            }
            ChildSpec::DbParameterGroup(s) => {
                rds::db_parameter_group::find_owned_db_parameter_group(&self.clients.rds, s, ids)
                    .await?
            }
            ChildSpec::DbInstance(s) => {
                rds::db_instance::find_owned_db_instance(&self.clients.rds, s, ids).await?
            }
            ChildSpec::ReplicationGroup(s) => {
                elasticache::replication_group::find_owned_replication_group(
                    &self.clients.elasticache,
                    s,
                    ids,
                )
                .await?
            }
        };
        let Some(id) = id else {
            return Ok(None);
        };
        // Observed as it is, so the next plan shows any difference from the spec.
        let placeholder = recorded(id, &node.spec);
        self.observe(&node.key, &placeholder, ids).await
    }

    #[tracing::instrument(skip_all, fields(node = %key))]
    async fn observe(
        &self,
        key: &NodeKey,
        current: &Recorded,
        ids: &IdMap,
    ) -> Result<Option<Recorded>, StepError> {
        let ec2 = &self.clients.ec2;
        let id = &current.id;
        let observed = match &current.observed {
            ChildSpec::Vpc(_) => ec2::vpc::observe_vpc(ec2, id).await?.map(ChildSpec::Vpc),
            ChildSpec::Subnet(c) => ec2::subnet::observe_subnet(ec2, id, c, ids)
                .await?
                .map(ChildSpec::Subnet),
            ChildSpec::InternetGateway(_) => {
                ec2::internet_gateway::observe_internet_gateway(ec2, id, ids)
                    .await?
                    .map(ChildSpec::InternetGateway)
            }
            ChildSpec::ElasticIp(_) => ec2::elastic_ip::observe_elastic_ip(ec2, id)
                .await?
                .map(ChildSpec::ElasticIp),
            ChildSpec::NatGateway(c) => ec2::nat_gateway::observe_nat_gateway(ec2, id, c, ids)
                .await?
                .map(ChildSpec::NatGateway),
            ChildSpec::RouteTable(_) => ec2::route_table::observe_route_table(ec2, id, ids)
                .await?
                .map(ChildSpec::RouteTable),
            ChildSpec::Route(c) => ec2::route::observe_route(ec2, id, c, ids)
                .await?
                .map(ChildSpec::Route),
            ChildSpec::RouteTableAssociation(_) => {
                ec2::route_table_association::observe_association(ec2, id, ids)
                    .await?
                    .map(ChildSpec::RouteTableAssociation)
            }
            ChildSpec::SecurityGroup(c) => {
                ec2::security_group::observe_security_group(ec2, id, c, ids)
                    .await?
                    .map(ChildSpec::SecurityGroup)
            }
            ChildSpec::SecurityGroupRule(c) => {
                ec2::security_group_rule::observe_security_group_rule(ec2, id, c, ids)
                    .await?
                    .map(ChildSpec::SecurityGroupRule)
            }
            ChildSpec::VpcEndpoint(c) => ec2::vpc_endpoint::observe_vpc_endpoint(ec2, id, c, ids)
                .await?
                .map(ChildSpec::VpcEndpoint),
            ChildSpec::FlowLog(c) => ec2::flow_log::observe_flow_log(ec2, id, c, ids)
                .await?
                .map(ChildSpec::FlowLog),
            ChildSpec::LogGroup(c) => {
                logs::log_group::observe_log_group(&self.clients.logs, id, c, ids)
                    .await?
                    .map(ChildSpec::LogGroup)
            }
            ChildSpec::IamRole(c) => iam::role::observe_role(&self.clients.iam, id, c, ids)
                .await?
                .map(ChildSpec::IamRole),
            ChildSpec::EcsCluster(c) => {
                ecs::cluster::observe_cluster(&self.clients.ecs, id, c, ids)
                    .await?
                    .map(ChildSpec::EcsCluster)
            }
            ChildSpec::DbSubnetGroup(c) => {
                rds::db_subnet_group::observe_db_subnet_group(&self.clients.rds, id, c, ids)
                    .await?
                    .map(ChildSpec::DbSubnetGroup)
            }
            ChildSpec::CacheSubnetGroup(c) => {
                elasticache::cache_subnet_group::observe_cache_subnet_group(
                    &self.clients.elasticache,
                    id,
                    c,
                    ids,
                )
                .await?
                .map(ChildSpec::CacheSubnetGroup)
            }
            ChildSpec::LoadBalancer(c) => {
                elbv2::load_balancer::observe_load_balancer(&self.clients.elbv2, id, c, ids)
                    .await?
                    .map(ChildSpec::LoadBalancer)
            }
            ChildSpec::Listener(c) => {
                elbv2::listener::observe_listener(&self.clients.elbv2, id, c, ids)
                    .await?
                    .map(ChildSpec::Listener)
            }
            ChildSpec::Certificate(c) => {
                acm::certificate::observe_certificate(&self.clients.acm, id, c, ids)
                    .await?
                    .map(ChildSpec::Certificate)
            }
            ChildSpec::TaskDefinition(c) => {
                ecs::task_definition::observe_task_definition(&self.clients.ecs, id, c, ids)
                    .await?
                    .map(ChildSpec::TaskDefinition)
            }
            ChildSpec::EcsService(c) => {
                ecs::service::observe_service(&self.clients.ecs, id, c, ids)
                    .await?
                    .map(ChildSpec::EcsService)
            }
            ChildSpec::TargetGroup(c) => {
                elbv2::target_group::observe_target_group(&self.clients.elbv2, id, c, ids)
                    .await?
                    .map(ChildSpec::TargetGroup)
            }
            ChildSpec::ListenerRule(c) => {
                elbv2::listener_rule::observe_listener_rule(&self.clients.elbv2, id, c, ids)
                    .await?
                    .map(ChildSpec::ListenerRule)
            }
            ChildSpec::ScalableTarget(c) => autoscaling::scalable_target::observe_scalable_target(
                &self.clients.autoscaling,
                id,
                c,
                ids,
            )
            .await?
            .map(ChildSpec::ScalableTarget),
            ChildSpec::ScalingPolicy(c) => autoscaling::scaling_policy::observe_scaling_policy(
                &self.clients.autoscaling,
                id,
                c,
                ids,
            )
            .await?
            .map(ChildSpec::ScalingPolicy),
            ChildSpec::Secret(c) => {
                secretsmanager::secret::observe_secret(&self.clients, id, c, ids)
                    .await?
                    .map(ChildSpec::Secret)
            }
            ChildSpec::DbParameterGroup(c) => {
                rds::db_parameter_group::observe_db_parameter_group(&self.clients.rds, id, c, ids)
                    .await?
                    .map(ChildSpec::DbParameterGroup)
            }
            ChildSpec::DbInstance(c) => {
                rds::db_instance::observe_db_instance(&self.clients.rds, id, c, ids)
                    .await?
                    .map(ChildSpec::DbInstance)
            }
            ChildSpec::ReplicationGroup(c) => {
                elasticache::replication_group::observe_replication_group(
                    &self.clients.elasticache,
                    id,
                    c,
                    ids,
                )
                .await?
                .map(ChildSpec::ReplicationGroup)
            }
        };
        Ok(observed.map(|spec| recorded(id.clone(), &spec)))
    }
}

impl From<AwsError> for crate::apply::ErrorKind {
    fn from(error: AwsError) -> crate::apply::ErrorKind {
        StepError::from(error).kind
    }
}

fn node_tag(t: &[aws_sdk_ec2::types::Tag]) -> Option<NodeKey> {
    tags::from_sdk(t)
        .get(TAG_NODE)
        .and_then(|k| NodeKey::parse(k))
}

/// Rebuilds a ledger from every object tagged `platform:owner = owner`, with the untaggable
/// routes and associations found through their tables. Used by import, by delete (to catch
/// children a crashed run created without recording) and by adoption.
pub async fn discover_environment(clients: &AwsClients, owner: &str) -> Result<Ledger, AwsError> {
    let ec2 = &clients.ec2;
    // Filters narrow the search; the owner tag is checked again on every object found.
    let owned_key = |t: &[aws_sdk_ec2::types::Tag]| {
        (tags::from_sdk(t).get(TAG_OWNER).map(String::as_str) == Some(owner))
            .then(|| node_tag(t))
            .flatten()
    };
    let filter = || Some(vec![tags::owner_filter(owner)]);
    let mut ledger = Ledger::new();
    let mut add = |key: NodeKey, id: String, spec: ChildSpec| {
        ledger.children.insert(key, Recorded { id, observed: spec });
    };

    let vpcs = ec2
        .describe_vpcs()
        .set_filters(filter())
        .send()
        .await
        .map_err(classify)?;
    let mut pending: Vec<(NodeKey, String, ChildSpec)> = Vec::new();
    for vpc in vpcs.vpcs() {
        if let (Some(key), Some(id)) = (owned_key(vpc.tags()), vpc.vpc_id()) {
            pending.push((
                key,
                id.to_string(),
                ChildSpec::Vpc(VpcSpec {
                    cidr: vpc.cidr_block().unwrap_or_default().to_string(),
                    enable_dns_support: true,
                    enable_dns_hostnames: true,
                    tags: tags::from_sdk(vpc.tags()),
                }),
            ));
        }
    }
    let subnets = ec2
        .describe_subnets()
        .set_filters(filter())
        .send()
        .await
        .map_err(classify)?;
    let igws = ec2
        .describe_internet_gateways()
        .set_filters(filter())
        .send()
        .await
        .map_err(classify)?;
    let addresses = ec2
        .describe_addresses()
        .set_filters(filter())
        .send()
        .await
        .map_err(classify)?;
    let nats = ec2
        .describe_nat_gateways()
        .set_filter(filter())
        .send()
        .await
        .map_err(classify)?;
    let tables = ec2
        .describe_route_tables()
        .set_filters(filter())
        .send()
        .await
        .map_err(classify)?;

    // First the IDs, so references can be turned back into keys.
    let mut id_pairs: Vec<(NodeKey, String)> = pending
        .iter()
        .map(|(k, id, _)| (k.clone(), id.clone()))
        .collect();
    id_pairs.extend(
        subnets
            .subnets()
            .iter()
            .filter_map(|s| Some((owned_key(s.tags())?, s.subnet_id()?.to_string()))),
    );
    id_pairs.extend(
        igws.internet_gateways()
            .iter()
            .filter_map(|g| Some((owned_key(g.tags())?, g.internet_gateway_id()?.to_string()))),
    );
    id_pairs.extend(
        addresses
            .addresses()
            .iter()
            .filter_map(|a| Some((owned_key(a.tags())?, a.allocation_id()?.to_string()))),
    );
    let live_nats: Vec<_> = nats
        .nat_gateways()
        .iter()
        .filter(|n| {
            !matches!(
                n.state(),
                Some(
                    aws_sdk_ec2::types::NatGatewayState::Deleted
                        | aws_sdk_ec2::types::NatGatewayState::Deleting
                )
            )
        })
        .collect();
    id_pairs.extend(
        live_nats
            .iter()
            .filter_map(|n| Some((owned_key(n.tags())?, n.nat_gateway_id()?.to_string()))),
    );
    id_pairs.extend(
        tables
            .route_tables()
            .iter()
            .filter_map(|t| Some((owned_key(t.tags())?, t.route_table_id()?.to_string()))),
    );
    let ids = IdMap::from_ledger(&Ledger {
        children: id_pairs
            .iter()
            .map(|(k, id)| {
                (
                    k.clone(),
                    Recorded {
                        id: id.clone(),
                        observed: ChildSpec::ElasticIp(ElasticIpSpec {
                            tags: Default::default(),
                        }),
                    },
                )
            })
            .collect(),
        ..Ledger::new()
    });

    for (key, id, spec) in pending {
        add(key, id, spec);
    }
    for subnet in subnets.subnets() {
        let Some(key) = owned_key(subnet.tags()) else {
            continue;
        };
        let tier = match key.as_str().split('/').nth(1) {
            Some("public") => SubnetTier::Public,
            Some("private") => SubnetTier::Private,
            _ => SubnetTier::Data,
        };
        let placeholder = SubnetSpec {
            vpc: key.clone(),
            tier,
            az_id: String::new(),
            cidr: String::new(),
            map_public_ip_on_launch: false,
            tags: Default::default(),
        };
        let spec = ec2::subnet::flatten_subnet(subnet, &placeholder, &ids);
        add(
            key,
            subnet.subnet_id().unwrap_or_default().to_string(),
            ChildSpec::Subnet(spec),
        );
    }
    for igw in igws.internet_gateways() {
        let Some(key) = owned_key(igw.tags()) else {
            continue;
        };
        let spec: InternetGatewaySpec = ec2::internet_gateway::flatten_internet_gateway(igw, &ids);
        add(
            key,
            igw.internet_gateway_id().unwrap_or_default().to_string(),
            ChildSpec::InternetGateway(spec),
        );
    }
    for address in addresses.addresses() {
        let Some(key) = owned_key(address.tags()) else {
            continue;
        };
        let spec = ElasticIpSpec {
            tags: tags::from_sdk(address.tags()),
        };
        add(
            key,
            address.allocation_id().unwrap_or_default().to_string(),
            ChildSpec::ElasticIp(spec),
        );
    }
    for nat in live_nats {
        let Some(key) = owned_key(nat.tags()) else {
            continue;
        };
        let placeholder = NatGatewaySpec {
            subnet: key.clone(),
            eip: key.clone(),
            internet_gateway: NodeKey::new(Kind::InternetGateway, &[]),
            tags: Default::default(),
        };
        let spec = ec2::nat_gateway::flatten_nat_gateway(nat, &placeholder, &ids);
        add(
            key,
            nat.nat_gateway_id().unwrap_or_default().to_string(),
            ChildSpec::NatGateway(spec),
        );
    }
    for table in tables.route_tables() {
        let Some(key) = owned_key(table.tags()) else {
            continue;
        };
        let table_id = table.route_table_id().unwrap_or_default().to_string();
        let suffix = key
            .as_str()
            .strip_prefix("ec2.route_table/")
            .unwrap_or_default()
            .to_string();
        for route in table.routes() {
            if route.destination_cidr_block() == Some(crate::plan::expand::environment::ANYWHERE) {
                let route_key = NodeKey::new(Kind::Route, &[&suffix, "default"]);
                let spec = ec2::route::flatten_route(route, &key, &ids);
                add(
                    route_key,
                    ec2::route::route_id(&table_id, crate::plan::expand::environment::ANYWHERE),
                    ChildSpec::Route(spec),
                );
            }
        }
        for association in table.associations() {
            let (Some(association_id), Some(subnet_id)) = (
                association.route_table_association_id(),
                association.subnet_id(),
            ) else {
                continue;
            };
            let Some(subnet_key) = ids.key_of(subnet_id) else {
                continue;
            };
            let qualifiers = subnet_key
                .as_str()
                .strip_prefix("ec2.subnet/")
                .unwrap_or_default();
            let association_key = NodeKey::new(Kind::RouteTableAssociation, &[qualifiers]);
            let spec: RouteTableAssociationSpec =
                ec2::route_table_association::flatten_association(association, &ids);
            add(
                association_key,
                association_id.to_string(),
                ChildSpec::RouteTableAssociation(spec),
            );
        }
        let spec = ec2::route_table::flatten_route_table(table, &ids);
        add(key, table_id, ChildSpec::RouteTable(spec));
    }
    // AZ order, as the allocator handed out private blocks (lowest first).
    let mut private: Vec<(u32, String)> = ledger
        .children
        .values()
        .filter_map(|r| match &r.observed {
            ChildSpec::Subnet(s) if s.tier == SubnetTier::Private => {
                let cidr = crate::plan::spec::Ipv4Cidr::parse(&s.cidr).ok()?;
                Some((cidr.addr, s.az_id.clone()))
            }
            _ => None,
        })
        .collect();
    private.sort();
    ledger.az_order = private.into_iter().map(|(_, az)| az).collect();
    Ok(ledger)
}
