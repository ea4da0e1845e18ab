//! The closed set of AWS child kinds an expansion can produce, and their keys.
//!
//! A node key is semantic (`ec2.subnet/private/use1-az4`): it comes from kind, tier and AZ ID,
//! never from a list index, so reordering or growing the configuration never renames a child.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Stable identity of a child: `<kind>/<qualifiers…>`, e.g. `ec2.route/private/use1-az1/default`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NodeKey(String);

impl NodeKey {
    pub fn new(kind: Kind, qualifiers: &[&str]) -> NodeKey {
        let mut key = kind.prefix().to_string();
        for q in qualifiers {
            key.push('/');
            key.push_str(q);
        }
        NodeKey(key)
    }

    /// Parses a key read back from state. Fails when the kind prefix is unknown.
    pub fn parse(text: &str) -> Option<NodeKey> {
        let key = NodeKey(text.to_string());
        key.kind().map(|_| key)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The kind named by the key's prefix.
    pub fn kind(&self) -> Option<Kind> {
        let prefix = self.0.split('/').next().unwrap_or_default();
        Kind::ALL.iter().copied().find(|k| k.prefix() == prefix)
    }
}

impl fmt::Display for NodeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// AWS object kinds the provider manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Vpc,
    Subnet,
    InternetGateway,
    ElasticIp,
    NatGateway,
    RouteTable,
    Route,
    RouteTableAssociation,
    SecurityGroup,
    SecurityGroupRule,
    VpcEndpoint,
    FlowLog,
    LogGroup,
    IamRole,
    EcsCluster,
    DbSubnetGroup,
    CacheSubnetGroup,
    LoadBalancer,
    Listener,
    Certificate,
    TaskDefinition,
    EcsService,
    TargetGroup,
    ListenerRule,
    ScalableTarget,
    ScalingPolicy,
    Secret,
    DbParameterGroup,
    DbInstance,
    ReplicationGroup,
}

impl Kind {
    pub const ALL: [Kind; 30] = [
        Kind::Vpc,
        Kind::Subnet,
        Kind::InternetGateway,
        Kind::ElasticIp,
        Kind::NatGateway,
        Kind::RouteTable,
        Kind::Route,
        Kind::RouteTableAssociation,
        Kind::SecurityGroup,
        Kind::SecurityGroupRule,
        Kind::VpcEndpoint,
        Kind::FlowLog,
        Kind::LogGroup,
        Kind::IamRole,
        Kind::EcsCluster,
        Kind::DbSubnetGroup,
        Kind::CacheSubnetGroup,
        Kind::LoadBalancer,
        Kind::Listener,
        Kind::Certificate,
        Kind::TaskDefinition,
        Kind::EcsService,
        Kind::TargetGroup,
        Kind::ListenerRule,
        Kind::ScalableTarget,
        Kind::ScalingPolicy,
        Kind::Secret,
        Kind::DbParameterGroup,
        Kind::DbInstance,
        Kind::ReplicationGroup,
    ];

    /// Updating the object gives it a new AWS ID (a task definition registers a new revision),
    /// so children referring to it must update as well.
    pub fn update_changes_id(self) -> bool {
        matches!(self, Kind::TaskDefinition)
    }

    /// The key prefix, also used in diagnostics.
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Vpc => "ec2.vpc",
            Kind::Subnet => "ec2.subnet",
            Kind::InternetGateway => "ec2.internet_gateway",
            Kind::ElasticIp => "ec2.eip",
            Kind::NatGateway => "ec2.nat_gateway",
            Kind::RouteTable => "ec2.route_table",
            Kind::Route => "ec2.route",
            Kind::RouteTableAssociation => "ec2.route_table_association",
            Kind::SecurityGroup => "ec2.security_group",
            Kind::SecurityGroupRule => "ec2.security_group_rule",
            Kind::VpcEndpoint => "ec2.vpc_endpoint",
            Kind::FlowLog => "ec2.flow_log",
            Kind::LogGroup => "logs.log_group",
            Kind::IamRole => "iam.role",
            Kind::EcsCluster => "ecs.cluster",
            Kind::DbSubnetGroup => "rds.db_subnet_group",
            Kind::CacheSubnetGroup => "elasticache.subnet_group",
            Kind::LoadBalancer => "elbv2.load_balancer",
            Kind::Listener => "elbv2.listener",
            Kind::Certificate => "acm.certificate",
            Kind::TaskDefinition => "ecs.task_definition",
            Kind::EcsService => "ecs.service",
            Kind::TargetGroup => "elbv2.target_group",
            Kind::ListenerRule => "elbv2.listener_rule",
            Kind::ScalableTarget => "autoscaling.scalable_target",
            Kind::ScalingPolicy => "autoscaling.scaling_policy",
            Kind::Secret => "secretsmanager.secret",
            Kind::DbParameterGroup => "rds.db_parameter_group",
            Kind::DbInstance => "rds.db_instance",
            Kind::ReplicationGroup => "elasticache.replication_group",
        }
    }

    /// Human name for diagnostics, as in "creating EC2 Subnet (ec2.subnet/public/use1-az1)".
    pub fn display_name(self) -> &'static str {
        match self {
            Kind::Vpc => "EC2 VPC",
            Kind::Subnet => "EC2 Subnet",
            Kind::InternetGateway => "EC2 Internet Gateway",
            Kind::ElasticIp => "EC2 Elastic IP",
            Kind::NatGateway => "EC2 NAT Gateway",
            Kind::RouteTable => "EC2 Route Table",
            Kind::Route => "EC2 Route",
            Kind::RouteTableAssociation => "EC2 Route Table Association",
            Kind::SecurityGroup => "EC2 Security Group",
            Kind::SecurityGroupRule => "EC2 Security Group Rule",
            Kind::VpcEndpoint => "EC2 VPC Endpoint",
            Kind::FlowLog => "EC2 Flow Log",
            Kind::LogGroup => "CloudWatch Logs Log Group",
            Kind::IamRole => "IAM Role",
            Kind::EcsCluster => "ECS Cluster",
            Kind::DbSubnetGroup => "RDS DB Subnet Group",
            Kind::CacheSubnetGroup => "ElastiCache Subnet Group",
            Kind::LoadBalancer => "ELBv2 Load Balancer",
            Kind::Listener => "ELBv2 Listener",
            Kind::Certificate => "ACM Certificate",
            Kind::TaskDefinition => "ECS Task Definition",
            Kind::EcsService => "ECS Service",
            Kind::TargetGroup => "ELBv2 Target Group",
            Kind::ListenerRule => "ELBv2 Listener Rule",
            Kind::ScalableTarget => "Application Auto Scaling Target",
            Kind::ScalingPolicy => "Application Auto Scaling Policy",
            Kind::Secret => "Secrets Manager Secret",
            Kind::DbParameterGroup => "RDS DB Parameter Group",
            Kind::DbInstance => "RDS DB Instance",
            Kind::ReplicationGroup => "ElastiCache Replication Group",
        }
    }
}

/// Subnet tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubnetTier {
    Public,
    Private,
    Data,
}

impl SubnetTier {
    pub const ALL: [SubnetTier; 3] = [SubnetTier::Public, SubnetTier::Private, SubnetTier::Data];

    pub fn as_str(self) -> &'static str {
        match self {
            SubnetTier::Public => "public",
            SubnetTier::Private => "private",
            SubnetTier::Data => "data",
        }
    }
}

/// Tags as AWS stores them. Ownership tags are already merged in by the expander.
pub type Tags = BTreeMap<String, String>;

/// What a route points at. The target is another node, resolved to its AWS ID at apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteTarget {
    InternetGateway(NodeKey),
    NatGateway(NodeKey),
}

/// Desired properties of one child. References to other children are node keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChildSpec {
    Vpc(VpcSpec),
    Subnet(SubnetSpec),
    InternetGateway(InternetGatewaySpec),
    ElasticIp(ElasticIpSpec),
    NatGateway(NatGatewaySpec),
    RouteTable(RouteTableSpec),
    Route(RouteSpec),
    RouteTableAssociation(RouteTableAssociationSpec),
    SecurityGroup(SecurityGroupSpec),
    SecurityGroupRule(SecurityGroupRuleSpec),
    VpcEndpoint(VpcEndpointSpec),
    FlowLog(FlowLogSpec),
    LogGroup(LogGroupSpec),
    IamRole(IamRoleSpec),
    EcsCluster(EcsClusterSpec),
    DbSubnetGroup(DbSubnetGroupSpec),
    CacheSubnetGroup(CacheSubnetGroupSpec),
    LoadBalancer(LoadBalancerSpec),
    Listener(ListenerSpec),
    Certificate(CertificateSpec),
    TaskDefinition(TaskDefinitionSpec),
    EcsService(EcsServiceSpec),
    TargetGroup(TargetGroupSpec),
    ListenerRule(ListenerRuleSpec),
    ScalableTarget(ScalableTargetSpec),
    ScalingPolicy(ScalingPolicySpec),
    Secret(SecretSpec),
    DbParameterGroup(DbParameterGroupSpec),
    DbInstance(DbInstanceSpec),
    ReplicationGroup(ReplicationGroupSpec),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpcSpec {
    pub cidr: String,
    pub enable_dns_support: bool,
    pub enable_dns_hostnames: bool,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubnetSpec {
    pub vpc: NodeKey,
    pub tier: SubnetTier,
    pub az_id: String,
    pub cidr: String,
    pub map_public_ip_on_launch: bool,
    pub tags: Tags,
}

/// Created attached to `vpc`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InternetGatewaySpec {
    pub vpc: NodeKey,
    pub tags: Tags,
}

/// A VPC-domain address, allocated for a NAT gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElasticIpSpec {
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NatGatewaySpec {
    /// The public subnet it lives in.
    pub subnet: NodeKey,
    pub eip: NodeKey,
    /// Needed because a NAT gateway only works once the VPC has an attached IGW.
    pub internet_gateway: NodeKey,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteTableSpec {
    pub vpc: NodeKey,
    pub tags: Tags,
}

/// One route in a route table. Routes carry no tags in AWS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteSpec {
    pub route_table: NodeKey,
    pub destination_cidr: String,
    pub target: RouteTarget,
}

/// Associations carry no tags in AWS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteTableAssociationSpec {
    pub route_table: NodeKey,
    pub subnet: NodeKey,
}

/// A security group with no rules of its own: AWS's default allow-all egress rule is revoked
/// at create, and every rule is a separate [`SecurityGroupRuleSpec`] child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroupSpec {
    pub vpc: NodeKey,
    /// `GroupName`, unique in the VPC; AWS cannot rename a group.
    pub name: String,
    /// AWS cannot change a group's description either.
    pub description: String,
    pub tags: Tags,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// The other side of a rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RulePeer {
    Cidr(String),
    /// Another security group of ours.
    Group(NodeKey),
    /// A managed prefix list (`pl-…`), e.g. S3's for the gateway endpoint.
    PrefixList(String),
}

/// One security group rule (`sgr-…`). Changing any property replaces the rule, never the group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroupRuleSpec {
    pub group: NodeKey,
    pub direction: Direction,
    /// `tcp`, `udp` or `-1` (all).
    pub protocol: String,
    /// Both -1 for protocol `-1`.
    pub from_port: i32,
    pub to_port: i32,
    pub peer: RulePeer,
    pub description: String,
    pub tags: Tags,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndpointType {
    /// S3 and DynamoDB: routes in route tables, free.
    Gateway,
    /// Everything else: ENIs in subnets behind a security group, private DNS.
    Interface,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpcEndpointSpec {
    pub vpc: NodeKey,
    /// `com.amazonaws.<region>.<service>`.
    pub service_name: String,
    pub endpoint_type: EndpointType,
    /// Gateway endpoints: the route tables that get its routes. Sorted.
    pub route_tables: Vec<NodeKey>,
    /// Interface endpoints: one subnet per AZ. Sorted.
    pub subnets: Vec<NodeKey>,
    /// Interface endpoints only. Sorted.
    pub security_groups: Vec<NodeKey>,
    pub private_dns: bool,
    pub tags: Tags,
}

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

/// A CloudWatch Logs group; its ledger ID is its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogGroupSpec {
    pub name: String,
    pub retention_days: u32,
    pub kms_key_arn: Option<String>,
    pub tags: Tags,
}

/// An IAM role with inline policies; its ledger ID is the role ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamRoleSpec {
    pub name: String,
    /// Canonical JSON (keys sorted, no whitespace), so comparison is semantic.
    pub assume_role_policy: String,
    /// Policy name → canonical JSON document.
    pub inline_policies: BTreeMap<String, String>,
    /// Sorted.
    pub managed_policy_arns: Vec<String>,
    pub permissions_boundary_arn: Option<String>,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapacityProviderStrategyItem {
    /// `FARGATE` or `FARGATE_SPOT`.
    pub provider: String,
    pub weight: i32,
    pub base: i32,
}

/// An ECS cluster; its ledger ID is the cluster ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcsClusterSpec {
    pub name: String,
    /// `disabled`, `enabled` or `enhanced`.
    pub container_insights: String,
    /// Sorted.
    pub capacity_providers: Vec<String>,
    /// Items with weight 0 and base 0 are left out, as ECS does.
    pub default_strategy: Vec<CapacityProviderStrategyItem>,
    pub tags: Tags,
}

/// An RDS DB subnet group on the data tier; its ledger ID is its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbSubnetGroupSpec {
    pub name: String,
    pub description: String,
    /// Sorted.
    pub subnets: Vec<NodeKey>,
    pub tags: Tags,
}

/// An ElastiCache subnet group on the data tier; its ledger ID is its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheSubnetGroupSpec {
    pub name: String,
    pub description: String,
    /// Sorted.
    pub subnets: Vec<NodeKey>,
    pub tags: Tags,
}

/// An application load balancer; its ledger ID is its ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadBalancerSpec {
    /// At most 32 characters; AWS cannot rename a load balancer.
    pub name: String,
    /// `internal` scheme rather than `internet-facing`; AWS cannot change it in place.
    pub internal: bool,
    /// One per AZ. Sorted.
    pub subnets: Vec<NodeKey>,
    /// Sorted.
    pub security_groups: Vec<NodeKey>,
    pub idle_timeout_seconds: u32,
    pub drop_invalid_headers: bool,
    pub deletion_protection: bool,
    pub tags: Tags,
}

/// Where a listener's certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateSource {
    /// Brought by the user (`certificate_arn`).
    Arn(String),
    /// Requested by this environment; a [`CertificateSpec`] child.
    Node(NodeKey),
}

/// What a listener does with requests no rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListenerDefault {
    /// HTTP 301 to `https://#{host}:443/#{path}?#{query}`.
    RedirectToHttps,
    /// A fixed `404 Not Found` (services add rules in front of it).
    NotFound,
}

/// A load balancer listener; its ledger ID is its ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenerSpec {
    pub load_balancer: NodeKey,
    pub port: i32,
    /// `HTTP` or `HTTPS`.
    pub protocol: String,
    /// HTTPS only.
    pub ssl_policy: Option<String>,
    /// HTTPS only. An ACM certificate must be `ISSUED` before a listener can use it, so
    /// create waits for that (within the resource's timeouts).
    pub certificate: Option<CertificateSource>,
    pub default_action: ListenerDefault,
    pub tags: Tags,
}

/// An ACM certificate requested with DNS validation; its ledger ID is its ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateSpec {
    pub domain: String,
    /// Subject alternative names besides `domain`. Sorted.
    pub alternative_names: Vec<String>,
    pub tags: Tags,
}

/// The one container of a service's task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerSpec {
    /// Also the name the target group registers.
    pub name: String,
    pub image: String,
    pub port: i32,
    /// Empty: the image's own command.
    pub command: Vec<String>,
    pub environment: BTreeMap<String, String>,
    /// Variable name → `valueFrom` (a Secrets Manager ARN, optionally `<arn>:<json-key>::`, or
    /// an SSM parameter ARN).
    pub secrets: BTreeMap<String, String>,
    /// The `awslogs` group; the ID recorded for it is its name.
    pub log_group: NodeKey,
    /// Region of the log group, for the `awslogs-region` option.
    pub log_region: String,
    pub read_only_root_filesystem: bool,
}

/// An ECS task definition family for Fargate (awsvpc). Its ledger ID is the ARN of the
/// revision in use; an update registers a new revision and deregisters the old one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskDefinitionSpec {
    pub family: String,
    /// CPU units (256 = ¼ vCPU).
    pub cpu: u32,
    /// MiB.
    pub memory: u32,
    /// `X86_64` or `ARM64`.
    pub cpu_architecture: String,
    /// The task role; its ledger ID is the role ARN.
    pub task_role: NodeKey,
    /// The execution role (image pull, logs, secrets); its ledger ID is the role ARN.
    pub execution_role: NodeKey,
    pub container: ContainerSpec,
    pub tags: Tags,
}

/// Where a service registers its tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceLoadBalancer {
    /// Its ledger ID is the target group ARN.
    pub target_group: NodeKey,
    pub container_name: String,
    pub container_port: i32,
}

/// An ECS service on Fargate in the private tier; its ledger ID is the service ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcsServiceSpec {
    pub name: String,
    /// Its ledger ID is the cluster ARN.
    pub cluster: NodeKey,
    pub task_definition: NodeKey,
    /// Tasks at create. With `autoscaling_owns_count`, updates leave the live count alone.
    pub desired_count: u32,
    /// Application Auto Scaling owns the count after create.
    pub autoscaling_owns_count: bool,
    /// Private subnets, one per AZ. Sorted.
    pub subnets: Vec<NodeKey>,
    /// Sorted.
    pub security_groups: Vec<NodeKey>,
    /// Items with weight 0 and base 0 are left out.
    pub capacity_strategy: Vec<CapacityProviderStrategyItem>,
    pub load_balancer: Option<ServiceLoadBalancer>,
    /// Only with a load balancer.
    pub health_check_grace_seconds: Option<u32>,
    pub min_healthy_percent: u32,
    pub max_percent: u32,
    /// The deployment circuit breaker, always with rollback.
    pub circuit_breaker: bool,
    pub enable_execute_command: bool,
    /// Create and update follow the deployment they start until it completes; a rollback
    /// fails the step with its reasons.
    pub wait_for_deployment: bool,
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

/// A listener rule forwarding host/path matches to a target group; its ledger ID is its ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenerRuleSpec {
    /// Its ledger ID is the listener ARN.
    pub listener: NodeKey,
    /// 1–50000, unique on the listener.
    pub priority: u32,
    /// Host-header values; empty matches any host. Sorted.
    pub hosts: Vec<String>,
    /// Path-pattern values; empty matches any path. Sorted.
    pub paths: Vec<String>,
    pub target_group: NodeKey,
    pub tags: Tags,
}

/// An Application Auto Scaling target on an ECS service's desired count. Its ledger ID is the
/// resource ID `service/<cluster>/<service>`, a natural key, so it needs no tags to be found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScalableTargetSpec {
    /// Its ledger ID is the service ARN.
    pub service: NodeKey,
    pub min_capacity: u32,
    pub max_capacity: u32,
}

/// A target-tracking policy on a scalable target; its ledger ID is the policy ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScalingPolicySpec {
    pub target: NodeKey,
    /// Unique per scalable target; AWS cannot rename a policy.
    pub name: String,
    /// `ECSServiceAverageCPUUtilization` or `ECSServiceAverageMemoryUtilization`.
    pub metric: String,
    /// Percent.
    pub target_value: u32,
    pub scale_in_cooldown_seconds: u32,
    pub scale_out_cooldown_seconds: u32,
}

/// What a secret holds. The value itself is never in state, plan or logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum SecretContent {
    /// A random alphanumeric token made once at create.
    RandomToken { length: u32 },
    /// JSON `url`, `host`, `port`, `dbname`, `username`, `password` for a PostgreSQL instance,
    /// composed from the master secret RDS manages for it.
    DatabaseConnection {
        instance: NodeKey,
        database_name: String,
    },
    /// JSON `url` (`rediss://…`), `host`, `port`, `auth_token` for a replication group, the
    /// token read from another secret of ours.
    CacheConnection {
        replication_group: NodeKey,
        auth_token: NodeKey,
    },
}

/// A Secrets Manager secret; its ledger ID is its ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretSpec {
    pub name: String,
    pub description: String,
    pub kms_key_arn: Option<String>,
    pub content: SecretContent,
    /// Observed false when the stored value no longer matches its source (a composed secret
    /// after the master password rotated, or the host changed); an update rewrites it.
    pub in_sync: bool,
    /// Days a deleted secret stays recoverable; 0 deletes at once.
    pub recovery_window_days: u32,
    pub tags: Tags,
}

/// An RDS DB parameter group; its ledger ID is its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbParameterGroupSpec {
    pub name: String,
    /// e.g. `postgres17`; AWS cannot change it.
    pub family: String,
    pub description: String,
    /// Only the parameters we set, not the family's defaults.
    pub parameters: BTreeMap<String, String>,
    pub tags: Tags,
}

/// An RDS instance; its ledger ID is its identifier. The master password is managed by RDS
/// in Secrets Manager (`ManageMasterUserPassword`), and storage is always encrypted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbInstanceSpec {
    pub identifier: String,
    pub engine: String,
    /// `17` follows any 17.x (AWS minor upgrades are not drift); `17.4` pins.
    pub engine_version: String,
    pub allow_major_version_upgrade: bool,
    pub instance_class: String,
    pub database_name: String,
    pub master_username: String,
    /// Its ledger ID is the subnet group name.
    pub subnet_group: NodeKey,
    /// Sorted.
    pub security_groups: Vec<NodeKey>,
    pub parameter_group: NodeKey,
    pub multi_az: bool,
    /// `gp3`, `gp2` or `io1`/`io2`.
    pub storage_type: String,
    pub allocated_gib: u32,
    /// Storage autoscaling ceiling; 0 turns it off.
    pub max_allocated_gib: u32,
    pub iops: Option<u32>,
    /// `None`: the AWS-managed key. AWS cannot change it.
    pub kms_key_arn: Option<String>,
    pub backup_retention_days: u32,
    pub backup_window: Option<String>,
    pub maintenance_window: Option<String>,
    pub deletion_protection: bool,
    /// Delete takes a final snapshot with a unique, timestamped identifier.
    pub final_snapshot: bool,
    pub performance_insights: bool,
    /// Sorted.
    pub log_exports: Vec<String>,
    pub apply_immediately: bool,
    /// `false` opts out of RDS Extended Support charges.
    pub extended_support: bool,
    pub tags: Tags,
}

/// An ElastiCache replication group (cluster mode disabled); its ledger ID is its ID.
/// Encryption in transit and at rest is always on, with an auth token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicationGroupSpec {
    /// At most 40 characters, lowercase.
    pub id: String,
    pub description: String,
    /// `valkey` or `redis`.
    pub engine: String,
    /// Major version, e.g. `8` for valkey or `7` for redis.
    pub engine_version: String,
    pub node_type: String,
    /// Read replicas besides the primary.
    pub replicas: u32,
    pub multi_az: bool,
    pub automatic_failover: bool,
    /// Its ledger ID is the subnet group name.
    pub subnet_group: NodeKey,
    /// Sorted.
    pub security_groups: Vec<NodeKey>,
    /// `None`: the AWS-managed key. AWS cannot change it.
    pub kms_key_arn: Option<String>,
    /// The secret holding the auth token (a [`SecretContent::RandomToken`]).
    pub auth_token: NodeKey,
    pub port: i32,
    pub snapshot_retention_days: u32,
    pub snapshot_window: Option<String>,
    pub maintenance_window: Option<String>,
    /// Delete takes a final snapshot with a unique, timestamped name.
    pub final_snapshot: bool,
    pub tags: Tags,
}

impl ChildSpec {
    pub fn kind(&self) -> Kind {
        match self {
            ChildSpec::Vpc(_) => Kind::Vpc,
            ChildSpec::Subnet(_) => Kind::Subnet,
            ChildSpec::InternetGateway(_) => Kind::InternetGateway,
            ChildSpec::ElasticIp(_) => Kind::ElasticIp,
            ChildSpec::NatGateway(_) => Kind::NatGateway,
            ChildSpec::RouteTable(_) => Kind::RouteTable,
            ChildSpec::Route(_) => Kind::Route,
            ChildSpec::RouteTableAssociation(_) => Kind::RouteTableAssociation,
            ChildSpec::SecurityGroup(_) => Kind::SecurityGroup,
            ChildSpec::SecurityGroupRule(_) => Kind::SecurityGroupRule,
            ChildSpec::VpcEndpoint(_) => Kind::VpcEndpoint,
            ChildSpec::FlowLog(_) => Kind::FlowLog,
            ChildSpec::LogGroup(_) => Kind::LogGroup,
            ChildSpec::IamRole(_) => Kind::IamRole,
            ChildSpec::EcsCluster(_) => Kind::EcsCluster,
            ChildSpec::DbSubnetGroup(_) => Kind::DbSubnetGroup,
            ChildSpec::CacheSubnetGroup(_) => Kind::CacheSubnetGroup,
            ChildSpec::LoadBalancer(_) => Kind::LoadBalancer,
            ChildSpec::Listener(_) => Kind::Listener,
            ChildSpec::Certificate(_) => Kind::Certificate,
            ChildSpec::TaskDefinition(_) => Kind::TaskDefinition,
            ChildSpec::EcsService(_) => Kind::EcsService,
            ChildSpec::TargetGroup(_) => Kind::TargetGroup,
            ChildSpec::ListenerRule(_) => Kind::ListenerRule,
            ChildSpec::ScalableTarget(_) => Kind::ScalableTarget,
            ChildSpec::ScalingPolicy(_) => Kind::ScalingPolicy,
            ChildSpec::Secret(_) => Kind::Secret,
            ChildSpec::DbParameterGroup(_) => Kind::DbParameterGroup,
            ChildSpec::DbInstance(_) => Kind::DbInstance,
            ChildSpec::ReplicationGroup(_) => Kind::ReplicationGroup,
        }
    }

    /// Other children this one refers to; they must exist first and go last.
    pub fn references(&self) -> Vec<&NodeKey> {
        match self {
            ChildSpec::Vpc(_)
            | ChildSpec::ElasticIp(_)
            | ChildSpec::LogGroup(_)
            | ChildSpec::IamRole(_)
            | ChildSpec::EcsCluster(_)
            | ChildSpec::Certificate(_)
            | ChildSpec::DbParameterGroup(_) => vec![],
            ChildSpec::Subnet(s) => vec![&s.vpc],
            ChildSpec::InternetGateway(s) => vec![&s.vpc],
            ChildSpec::NatGateway(s) => vec![&s.subnet, &s.eip, &s.internet_gateway],
            ChildSpec::RouteTable(s) => vec![&s.vpc],
            ChildSpec::Route(s) => {
                let target = match &s.target {
                    RouteTarget::InternetGateway(k) | RouteTarget::NatGateway(k) => k,
                };
                vec![&s.route_table, target]
            }
            ChildSpec::RouteTableAssociation(s) => vec![&s.route_table, &s.subnet],
            ChildSpec::SecurityGroup(s) => vec![&s.vpc],
            ChildSpec::SecurityGroupRule(s) => {
                let mut refs = vec![&s.group];
                if let RulePeer::Group(peer) = &s.peer {
                    refs.push(peer);
                }
                refs
            }
            ChildSpec::VpcEndpoint(s) => std::iter::once(&s.vpc)
                .chain(&s.route_tables)
                .chain(&s.subnets)
                .chain(&s.security_groups)
                .collect(),
            ChildSpec::FlowLog(s) => vec![&s.vpc, &s.log_group, &s.role],
            ChildSpec::DbSubnetGroup(s) => s.subnets.iter().collect(),
            ChildSpec::CacheSubnetGroup(s) => s.subnets.iter().collect(),
            ChildSpec::LoadBalancer(s) => s.subnets.iter().chain(&s.security_groups).collect(),
            ChildSpec::Listener(s) => {
                let mut refs = vec![&s.load_balancer];
                if let Some(CertificateSource::Node(cert)) = &s.certificate {
                    refs.push(cert);
                }
                refs
            }
            ChildSpec::TaskDefinition(s) => {
                vec![&s.task_role, &s.execution_role, &s.container.log_group]
            }
            ChildSpec::EcsService(s) => {
                let mut refs = vec![&s.cluster, &s.task_definition];
                refs.extend(&s.subnets);
                refs.extend(&s.security_groups);
                if let Some(lb) = &s.load_balancer {
                    refs.push(&lb.target_group);
                }
                refs
            }
            ChildSpec::TargetGroup(s) => vec![&s.vpc],
            ChildSpec::ListenerRule(s) => vec![&s.listener, &s.target_group],
            ChildSpec::ScalableTarget(s) => vec![&s.service],
            ChildSpec::ScalingPolicy(s) => vec![&s.target],
            ChildSpec::Secret(s) => match &s.content {
                SecretContent::RandomToken { .. } => vec![],
                SecretContent::DatabaseConnection { instance, .. } => vec![instance],
                SecretContent::CacheConnection {
                    replication_group,
                    auth_token,
                } => vec![replication_group, auth_token],
            },
            ChildSpec::DbInstance(s) => {
                let mut refs = vec![&s.subnet_group, &s.parameter_group];
                refs.extend(&s.security_groups);
                refs
            }
            ChildSpec::ReplicationGroup(s) => {
                let mut refs = vec![&s.subnet_group, &s.auth_token];
                refs.extend(&s.security_groups);
                refs
            }
        }
    }

    /// Tags AWS stores on the object; `None` for kinds AWS cannot tag.
    pub fn tags(&self) -> Option<&Tags> {
        match self {
            ChildSpec::Vpc(s) => Some(&s.tags),
            ChildSpec::Subnet(s) => Some(&s.tags),
            ChildSpec::InternetGateway(s) => Some(&s.tags),
            ChildSpec::ElasticIp(s) => Some(&s.tags),
            ChildSpec::NatGateway(s) => Some(&s.tags),
            ChildSpec::RouteTable(s) => Some(&s.tags),
            ChildSpec::SecurityGroup(s) => Some(&s.tags),
            ChildSpec::SecurityGroupRule(s) => Some(&s.tags),
            ChildSpec::VpcEndpoint(s) => Some(&s.tags),
            ChildSpec::FlowLog(s) => Some(&s.tags),
            ChildSpec::LogGroup(s) => Some(&s.tags),
            ChildSpec::IamRole(s) => Some(&s.tags),
            ChildSpec::EcsCluster(s) => Some(&s.tags),
            ChildSpec::DbSubnetGroup(s) => Some(&s.tags),
            ChildSpec::CacheSubnetGroup(s) => Some(&s.tags),
            ChildSpec::LoadBalancer(s) => Some(&s.tags),
            ChildSpec::Listener(s) => Some(&s.tags),
            ChildSpec::Certificate(s) => Some(&s.tags),
            ChildSpec::TaskDefinition(s) => Some(&s.tags),
            ChildSpec::EcsService(s) => Some(&s.tags),
            ChildSpec::TargetGroup(s) => Some(&s.tags),
            ChildSpec::ListenerRule(s) => Some(&s.tags),
            ChildSpec::Secret(s) => Some(&s.tags),
            ChildSpec::DbParameterGroup(s) => Some(&s.tags),
            ChildSpec::DbInstance(s) => Some(&s.tags),
            ChildSpec::ReplicationGroup(s) => Some(&s.tags),
            ChildSpec::Route(_)
            | ChildSpec::RouteTableAssociation(_)
            | ChildSpec::ScalableTarget(_)
            | ChildSpec::ScalingPolicy(_) => None,
        }
    }

    /// Names of the properties that differ between two specs of the same kind, sorted (for
    /// drift reports; `tags` covers every tag).
    pub fn changed_fields(&self, other: &ChildSpec) -> Vec<String> {
        let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
            (serde_json::to_value(self), serde_json::to_value(other))
        else {
            return Vec::new();
        };
        let mut names: Vec<String> = a
            .keys()
            .chain(b.keys())
            .filter(|k| a.get(*k) != b.get(*k))
            .cloned()
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// True when changing from `self` to `desired` needs a new AWS object rather than an
    /// in-place update (the per-kind `replace_on` list).
    pub fn needs_replacement(&self, desired: &ChildSpec) -> bool {
        match (self, desired) {
            (ChildSpec::Vpc(a), ChildSpec::Vpc(b)) => a.cidr != b.cidr,
            (ChildSpec::Subnet(a), ChildSpec::Subnet(b)) => {
                a.vpc != b.vpc || a.az_id != b.az_id || a.cidr != b.cidr
            }
            (ChildSpec::InternetGateway(a), ChildSpec::InternetGateway(b)) => a.vpc != b.vpc,
            (ChildSpec::ElasticIp(_), ChildSpec::ElasticIp(_)) => false,
            (ChildSpec::NatGateway(a), ChildSpec::NatGateway(b)) => {
                a.subnet != b.subnet || a.eip != b.eip
            }
            (ChildSpec::RouteTable(a), ChildSpec::RouteTable(b)) => a.vpc != b.vpc,
            (ChildSpec::Route(a), ChildSpec::Route(b)) => {
                a.route_table != b.route_table || a.destination_cidr != b.destination_cidr
            }
            (ChildSpec::RouteTableAssociation(a), ChildSpec::RouteTableAssociation(b)) => {
                a.subnet != b.subnet
            }
            (ChildSpec::SecurityGroup(a), ChildSpec::SecurityGroup(b)) => {
                a.vpc != b.vpc || a.name != b.name || a.description != b.description
            }
            // Rules have no in-place update worth the risk; only their tags change in place.
            (ChildSpec::SecurityGroupRule(a), ChildSpec::SecurityGroupRule(b)) => {
                a.group != b.group
                    || a.direction != b.direction
                    || a.protocol != b.protocol
                    || a.from_port != b.from_port
                    || a.to_port != b.to_port
                    || a.peer != b.peer
                    || a.description != b.description
            }
            (ChildSpec::VpcEndpoint(a), ChildSpec::VpcEndpoint(b)) => {
                a.vpc != b.vpc
                    || a.service_name != b.service_name
                    || a.endpoint_type != b.endpoint_type
            }
            (ChildSpec::FlowLog(a), ChildSpec::FlowLog(b)) => {
                a.vpc != b.vpc
                    || a.log_group != b.log_group
                    || a.role != b.role
                    || a.traffic_type != b.traffic_type
            }
            (ChildSpec::LogGroup(a), ChildSpec::LogGroup(b)) => {
                a.name != b.name || a.kms_key_arn != b.kms_key_arn
            }
            (ChildSpec::IamRole(a), ChildSpec::IamRole(b)) => a.name != b.name,
            (ChildSpec::EcsCluster(a), ChildSpec::EcsCluster(b)) => a.name != b.name,
            (ChildSpec::DbSubnetGroup(a), ChildSpec::DbSubnetGroup(b)) => a.name != b.name,
            (ChildSpec::CacheSubnetGroup(a), ChildSpec::CacheSubnetGroup(b)) => a.name != b.name,
            (ChildSpec::LoadBalancer(a), ChildSpec::LoadBalancer(b)) => {
                a.name != b.name || a.internal != b.internal
            }
            (ChildSpec::Listener(a), ChildSpec::Listener(b)) => {
                a.load_balancer != b.load_balancer || a.port != b.port
            }
            // ACM cannot change a certificate's names.
            (ChildSpec::Certificate(a), ChildSpec::Certificate(b)) => {
                a.domain != b.domain || a.alternative_names != b.alternative_names
            }
            // A new revision is an update; only the family is identity.
            (ChildSpec::TaskDefinition(a), ChildSpec::TaskDefinition(b)) => a.family != b.family,
            (ChildSpec::EcsService(a), ChildSpec::EcsService(b)) => {
                a.name != b.name || a.cluster != b.cluster
            }
            (ChildSpec::TargetGroup(a), ChildSpec::TargetGroup(b)) => {
                a.name != b.name || a.vpc != b.vpc || a.port != b.port
            }
            (ChildSpec::ListenerRule(a), ChildSpec::ListenerRule(b)) => a.listener != b.listener,
            (ChildSpec::ScalableTarget(a), ChildSpec::ScalableTarget(b)) => a.service != b.service,
            (ChildSpec::ScalingPolicy(a), ChildSpec::ScalingPolicy(b)) => {
                a.target != b.target || a.name != b.name
            }
            (ChildSpec::Secret(a), ChildSpec::Secret(b)) => {
                a.name != b.name || a.kms_key_arn != b.kms_key_arn
            }
            // RDS cannot change a parameter group's family or description.
            (ChildSpec::DbParameterGroup(a), ChildSpec::DbParameterGroup(b)) => {
                a.name != b.name || a.family != b.family || a.description != b.description
            }
            (ChildSpec::DbInstance(a), ChildSpec::DbInstance(b)) => {
                a.identifier != b.identifier
                    || a.engine != b.engine
                    || a.database_name != b.database_name
                    || a.master_username != b.master_username
                    || a.kms_key_arn != b.kms_key_arn
                    || a.subnet_group != b.subnet_group
            }
            (ChildSpec::ReplicationGroup(a), ChildSpec::ReplicationGroup(b)) => {
                a.id != b.id
                    || a.kms_key_arn != b.kms_key_arn
                    || a.subnet_group != b.subnet_group
                    || a.port != b.port
                    || a.auth_token != b.auth_token
                    || (a.engine != b.engine && b.engine == "redis")
            }
            _ => true,
        }
    }
}

/// A child in the desired graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub key: NodeKey,
    pub spec: ChildSpec,
}
