//! AWS knowledge, one file per child kind, listed once below.
//!
//! Each kind's file holds its spec, the planner's rules for it ([`kind::KindSpec`]) and, behind
//! the `sdk` feature, its AWS steps ([`kind::AwsKind`]). Only this module names `aws_sdk_*`
//! types, and only behind that feature, so the planner builds without the SDK.

#[macro_use]
mod registry;

pub mod common;
pub mod endpoints;
pub mod error;
pub mod kind;

#[cfg(feature = "sdk")]
mod clients;
#[cfg(feature = "sdk")]
pub mod discover;
#[cfg(feature = "sdk")]
mod executor;
#[cfg(feature = "sdk")]
pub mod lookups;

#[cfg(feature = "sdk")]
pub use clients::AwsClients;
#[cfg(feature = "sdk")]
pub use executor::Executor;

// The registry: every kind the provider manages. Adding a kind is its file plus one line here.
kinds! {
    ec2 {
        vpc::VpcSpec => Vpc,
        subnet::SubnetSpec => Subnet,
        internet_gateway::InternetGatewaySpec => InternetGateway,
        elastic_ip::ElasticIpSpec => ElasticIp,
        nat_gateway::NatGatewaySpec => NatGateway,
        route_table::RouteTableSpec => RouteTable,
        route::RouteSpec => Route,
        route_table_association::RouteTableAssociationSpec => RouteTableAssociation,
        security_group::SecurityGroupSpec => SecurityGroup,
        security_group_rule::SecurityGroupRuleSpec => SecurityGroupRule,
        vpc_endpoint::VpcEndpointSpec => VpcEndpoint,
        flow_log::FlowLogSpec => FlowLog,
    }
    logs {
        log_group::LogGroupSpec => LogGroup,
    }
    iam {
        role::IamRoleSpec => IamRole,
    }
    ecs {
        cluster::EcsClusterSpec => EcsCluster,
        task_definition::TaskDefinitionSpec => TaskDefinition,
        service::EcsServiceSpec => EcsService,
    }
    rds {
        db_subnet_group::DbSubnetGroupSpec => DbSubnetGroup,
        db_parameter_group::DbParameterGroupSpec => DbParameterGroup,
        db_instance::DbInstanceSpec => DbInstance,
    }
    elasticache {
        cache_subnet_group::CacheSubnetGroupSpec => CacheSubnetGroup,
        replication_group::ReplicationGroupSpec => ReplicationGroup,
    }
    elbv2 {
        load_balancer::LoadBalancerSpec => LoadBalancer,
        listener::ListenerSpec => Listener,
        target_group::TargetGroupSpec => TargetGroup,
        listener_rule::ListenerRuleSpec => ListenerRule,
    }
    acm {
        certificate::CertificateSpec => Certificate,
    }
    autoscaling {
        scalable_target::ScalableTargetSpec => ScalableTarget,
        scaling_policy::ScalingPolicySpec => ScalingPolicy,
    }
    secretsmanager {
        secret::SecretSpec => Secret,
    }
    servicediscovery { private_dns_namespace::PrivateDnsNamespaceSpec => PrivateDnsNamespace }
    sqs {
        queue::SqsQueueSpec => Queue,
    }
    s3 {
        bucket::S3BucketSpec => Bucket,
        bucket_policy::S3BucketPolicySpec => BucketPolicy,
    }
    cloudfront {
        origin_access_control::OriginAccessControlSpec => OriginAccessControl,
        distribution::DistributionSpec => Distribution,
    }
    sns {
        topic::SnsTopicSpec => Topic,
        subscription::SnsSubscriptionSpec => Subscription,
    }
    scheduler {
        schedule_group::ScheduleGroupSpec => ScheduleGroup,
        schedule::SchedulerScheduleSpec => Schedule,
    }
}

#[cfg(feature = "sdk")]
pub use discover::discover_environment;
#[cfg(feature = "sdk")]
pub use lookups::*;
