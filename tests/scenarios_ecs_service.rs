//! ECS task definitions and services against mocked SDK responses: what the emulator cannot
//! show (docs/design/emulator.md, "ECS services"). Its CreateService ignores deployment settings, and no task ever
//! starts, so rollouts never complete or fail; here they do, under paused time. Requests are
//! checked field by field with rule matchers; responses carry the defaults AWS adds.

mod common;

use common::Mocks;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_ecs::operation::{
    create_service::CreateServiceOutput, delete_service::DeleteServiceOutput,
    delete_task_definitions::DeleteTaskDefinitionsOutput,
    deregister_task_definition::DeregisterTaskDefinitionOutput,
    describe_services::DescribeServicesOutput,
    describe_task_definition::DescribeTaskDefinitionOutput, describe_tasks::DescribeTasksOutput,
    list_services::ListServicesOutput, list_task_definitions::ListTaskDefinitionsOutput,
    list_tasks::ListTasksOutput, register_task_definition::RegisterTaskDefinitionOutput,
    tag_resource::TagResourceOutput, untag_resource::UntagResourceOutput,
    update_service::UpdateServiceOutput,
};
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, CapacityProviderStrategyItem as SdkItem, Compatibility,
    Container, ContainerDefinition, CpuArchitecture, Deployment, DeploymentCircuitBreaker,
    DeploymentConfiguration, DeploymentRolloutState, DesiredStatus, Failure, KeyValuePair,
    LaunchType, LoadBalancer, LogConfiguration, LogDriver, MountPoint, NetworkConfiguration,
    NetworkMode, OsFamily, PortMapping, PropagateTags, RuntimePlatform, Secret, Service, Tag, Task,
    TaskDefinition, TaskDefinitionField, TaskDefinitionStatus, TransportProtocol,
};
use aws_sdk_ecs::Client;
use aws_smithy_mocks::{mock, Rule};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::DateTime;
use tokio_util::sync::CancellationToken;

use terraform_provider_platform::apply::{self, IdMap, RunOptions};
use terraform_provider_platform::aws::common::reads::Reads;
use terraform_provider_platform::aws::ecs::cluster::CapacityProviderStrategyItem;
use terraform_provider_platform::aws::ecs::service::{self, ServiceFacts};
use terraform_provider_platform::aws::ecs::service::{EcsServiceSpec, ServiceLoadBalancer};
use terraform_provider_platform::aws::ecs::task_definition as td;
use terraform_provider_platform::aws::ecs::task_definition::{ContainerSpec, TaskDefinitionSpec};
use terraform_provider_platform::aws::error::AwsError;
use terraform_provider_platform::aws::{AwsClients, Executor};
use terraform_provider_platform::plan::ledger::{Ledger, Recorded};
use terraform_provider_platform::plan::node::*;

/// The scenarios this file covers, one test each (or more where noted).
#[derive(Debug)]
enum Scenario {
    TaskDefinitionRegister,
    TaskDefinitionAdopt,
    TaskDefinitionUpdate,
    TaskDefinitionObserve,
    TaskDefinitionDelete,
    ServiceCreateWaits,
    ServiceAdopt,
    ServiceUpdate,
    ServiceRollback,
    ServiceDelete,
    ServiceObserve,
}

const OWNER: &str = "environment/test";
const CLUSTER_ARN: &str = "arn:aws:ecs:us-east-1:123456789012:cluster/test";
const SERVICE_ARN: &str = "arn:aws:ecs:us-east-1:123456789012:service/test/api";
const TD_OLD: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/test-api:1";
const TD_NEW: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/test-api:2";
const TASK_ROLE: &str = "arn:aws:iam::123456789012:role/test-api-task";
const EXECUTION_ROLE: &str = "arn:aws:iam::123456789012:role/test-api-execution";
const LOG_GROUP: &str = "/platform/test/api";
const SECRET: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:test-db-AbCdEf:password::";
const IMAGE: &str = "public.ecr.aws/nginx/nginx:1.27";
const SUBNET_A: &str = "subnet-0aaaaaaaaaaaaaaaa";
const SUBNET_B: &str = "subnet-0bbbbbbbbbbbbbbbb";
const GROUP: &str = "sg-0cccccccccccccccc";
const TARGET_GROUP: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/test-api/0123456789abcdef";

fn clients(ecs: &[&Rule]) -> AwsClients {
    common::clients(&Mocks {
        ecs: ecs.to_vec(),
        ..Mocks::default()
    })
}

/// An error as the JSON protocol (ECS) sends it.
fn json_error(code: &str, message: &str) -> HttpResponse {
    let body = format!(r#"{{"__type":"{code}","message":"{message}"}}"#);
    HttpResponse::new(StatusCode::try_from(400).unwrap(), SdkBody::from(body))
}

/// Records the order of calls across rules.
#[derive(Clone, Default)]
struct Calls(Arc<Mutex<Vec<String>>>);

impl Calls {
    fn push(&self, call: &str) {
        self.0.lock().unwrap().push(call.to_string());
    }
    fn get(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

fn owner_tags(key: &NodeKey, owner: &str) -> Tags {
    [
        ("platform:managed-by", "terraform-provider-platform"),
        ("platform:owner", owner),
        ("platform:node", key.as_str()),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn sdk_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

// keys and IDs

fn td_key() -> NodeKey {
    NodeKey::new(Kind::TaskDefinition, &["api"])
}
fn service_key() -> NodeKey {
    NodeKey::new(Kind::EcsService, &["api"])
}
fn task_role_key() -> NodeKey {
    NodeKey::new(Kind::IamRole, &["api-task"])
}
fn execution_role_key() -> NodeKey {
    NodeKey::new(Kind::IamRole, &["api-execution"])
}
fn log_group_key() -> NodeKey {
    NodeKey::new(Kind::LogGroup, &["api"])
}
fn cluster_key() -> NodeKey {
    NodeKey::new(Kind::EcsCluster, &[])
}
fn subnet_key(az: &str) -> NodeKey {
    NodeKey::new(Kind::Subnet, &["private", az])
}
fn group_key() -> NodeKey {
    NodeKey::new(Kind::SecurityGroup, &["service", "api"])
}
fn target_group_key() -> NodeKey {
    NodeKey::new(Kind::TargetGroup, &["api"])
}

/// The AWS IDs of everything the two kinds refer to; the task definition's is `td_arn`.
fn ids(td_arn: &str) -> IdMap {
    let mut ledger = Ledger::new();
    for (key, id) in [
        (task_role_key(), TASK_ROLE),
        (execution_role_key(), EXECUTION_ROLE),
        (log_group_key(), LOG_GROUP),
        (cluster_key(), CLUSTER_ARN),
        (subnet_key("use1-az1"), SUBNET_A),
        (subnet_key("use1-az2"), SUBNET_B),
        (group_key(), GROUP),
        (target_group_key(), TARGET_GROUP),
        (td_key(), td_arn),
    ] {
        ledger.external.insert(key, id.to_string());
    }
    IdMap::from_ledger(&ledger)
}

// task definition fixtures

fn td_spec() -> TaskDefinitionSpec {
    TaskDefinitionSpec {
        family: "test-api".into(),
        cpu: 512,
        memory: 1024,
        cpu_architecture: "ARM64".into(),
        task_role: task_role_key(),
        execution_role: execution_role_key(),
        container: ContainerSpec {
            name: "api".into(),
            image: IMAGE.into(),
            port: Some(8080),
            port_name: None,
            generated_secrets: Default::default(),
            docker_labels: Default::default(),
            repository_credentials: None,
            depends_on: vec![],
            command: vec!["serve".into(), "--port".into(), "8080".into()],
            environment: [("LOG_LEVEL", "info"), ("APP_MODE", "prod")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            secrets: [("DB_PASSWORD".to_string(), SECRET.to_string())]
                .into_iter()
                .collect(),
            log_group: log_group_key(),
            log_region: "us-east-1".into(),
            read_only_root_filesystem: true,
        },
        sidecars: vec![],
        tags: owner_tags(&td_key(), OWNER),
    }
}

/// A revision as DescribeTaskDefinition reports it, with the defaults AWS fills in: container
/// cpu 0, hostPort and protocol, `essential`, empty lists, compatibilities, attributes.
fn aws_revision(arn: &str, image: &str, status: TaskDefinitionStatus) -> TaskDefinition {
    let container = ContainerDefinition::builder()
        .name("api")
        .image(image)
        .cpu(0)
        .essential(true)
        .port_mappings(
            PortMapping::builder()
                .container_port(8080)
                .host_port(8080)
                .protocol(TransportProtocol::Tcp)
                .build(),
        )
        .command("serve")
        .command("--port")
        .command("8080")
        // AWS keeps the order given; this one is reversed on purpose.
        .environment(
            KeyValuePair::builder()
                .name("LOG_LEVEL")
                .value("info")
                .build(),
        )
        .environment(
            KeyValuePair::builder()
                .name("APP_MODE")
                .value("prod")
                .build(),
        )
        .secrets(
            Secret::builder()
                .name("DB_PASSWORD")
                .value_from(SECRET)
                .build()
                .unwrap(),
        )
        .set_mount_points(Some(Vec::<MountPoint>::new()))
        .set_volumes_from(Some(vec![]))
        .set_system_controls(Some(vec![]))
        .readonly_root_filesystem(true)
        .log_configuration(
            LogConfiguration::builder()
                .log_driver(LogDriver::Awslogs)
                .options("awslogs-group", LOG_GROUP)
                .options("awslogs-region", "us-east-1")
                .options("awslogs-stream-prefix", "api")
                .build()
                .unwrap(),
        )
        .build();
    TaskDefinition::builder()
        .task_definition_arn(arn)
        .family("test-api")
        .revision(arn.rsplit(':').next().unwrap().parse().unwrap())
        .status(status)
        .task_role_arn(TASK_ROLE)
        .execution_role_arn(EXECUTION_ROLE)
        .network_mode(NetworkMode::Awsvpc)
        .requires_compatibilities(Compatibility::Fargate)
        .compatibilities(Compatibility::Ec2)
        .compatibilities(Compatibility::Fargate)
        .cpu("512")
        .memory("1024")
        .runtime_platform(
            RuntimePlatform::builder()
                .cpu_architecture(CpuArchitecture::Arm64)
                .operating_system_family(OsFamily::Linux)
                .build(),
        )
        .set_volumes(Some(vec![]))
        .set_placement_constraints(Some(vec![]))
        .container_definitions(container)
        .registered_at(DateTime::from_secs(1_700_000_000))
        .registered_by("arn:aws:sts::123456789012:assumed-role/deployer/session")
        .build()
}

fn describe_revision(
    arn: &str,
    image: &str,
    status: TaskDefinitionStatus,
    owner: &str,
) -> DescribeTaskDefinitionOutput {
    DescribeTaskDefinitionOutput::builder()
        .task_definition(aws_revision(arn, image, status))
        .set_tags(Some(sdk_tags(&owner_tags(&td_key(), owner))))
        .build()
}

/// DescribeTaskDefinition of `what` (a family or an ARN), tags included.
fn describe_td(what: &'static str, output: DescribeTaskDefinitionOutput) -> Rule {
    mock!(Client::describe_task_definition)
        .match_requests(move |r| {
            r.task_definition() == Some(what) && r.include() == [TaskDefinitionField::Tags]
        })
        .then_output(move || output.clone())
}

fn describe_td_gone(what: &'static str) -> Rule {
    mock!(Client::describe_task_definition)
        .match_requests(move |r| r.task_definition() == Some(what))
        .then_http_response(|| json_error("ClientException", "Unable to describe task definition."))
}

fn registered(arn: &'static str) -> impl Fn() -> RegisterTaskDefinitionOutput {
    move || {
        RegisterTaskDefinitionOutput::builder()
            .task_definition(aws_revision(arn, IMAGE, TaskDefinitionStatus::Active))
            .build()
    }
}

#[tokio::test(start_paused = true)]
async fn task_definition_create_registers_a_fargate_revision() {
    let _ = Scenario::TaskDefinitionRegister;
    let describe = describe_td_gone("test-api");
    let register = mock!(Client::register_task_definition)
        .match_requests(|r| {
            let c = &r.container_definitions()[0];
            let log = c.log_configuration().unwrap();
            let option = |k: &str| log.options().and_then(|o| o.get(k)).map(String::as_str);
            let port = &c.port_mappings()[0];
            r.family() == Some("test-api")
                && r.cpu() == Some("512")
                && r.memory() == Some("1024")
                && r.network_mode() == Some(&NetworkMode::Awsvpc)
                && r.requires_compatibilities() == [Compatibility::Fargate]
                && r.runtime_platform().and_then(|p| p.cpu_architecture())
                    == Some(&CpuArchitecture::Arm64)
                && r.runtime_platform()
                    .and_then(|p| p.operating_system_family())
                    == Some(&OsFamily::Linux)
                && r.task_role_arn() == Some(TASK_ROLE)
                && r.execution_role_arn() == Some(EXECUTION_ROLE)
                && r.tags().len() == 3
                && r.container_definitions().len() == 1
                && c.name() == Some("api")
                && c.image() == Some(IMAGE)
                && c.essential() == Some(true)
                && c.port_mappings().len() == 1
                && port.container_port() == Some(8080)
                && port.protocol() == Some(&TransportProtocol::Tcp)
                && c.command() == ["serve", "--port", "8080"]
                && c.environment()
                    .iter()
                    .map(|e| (e.name().unwrap(), e.value().unwrap()))
                    .collect::<Vec<_>>()
                    == [("APP_MODE", "prod"), ("LOG_LEVEL", "info")]
                && c.secrets()
                    .iter()
                    .map(|s| (s.name(), s.value_from()))
                    .collect::<Vec<_>>()
                    == [("DB_PASSWORD", SECRET)]
                && c.readonly_root_filesystem() == Some(true)
                && log.log_driver() == &LogDriver::Awslogs
                && option("awslogs-group") == Some(LOG_GROUP)
                && option("awslogs-region") == Some("us-east-1")
                && option("awslogs-stream-prefix") == Some("api")
        })
        .then_output(registered(TD_NEW));
    let clients = clients(&[&describe, &register]);
    let arn = td::create_task_definition(&clients.ecs, &td_spec(), &ids(TD_NEW))
        .await
        .unwrap();
    assert_eq!(arn, TD_NEW);
    assert_eq!(register.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn task_definition_without_command_sends_none() {
    let _ = Scenario::TaskDefinitionRegister;
    let describe = describe_td_gone("test-api");
    let register = mock!(Client::register_task_definition)
        .match_requests(|r| r.container_definitions()[0].command().is_empty())
        .then_output(registered(TD_NEW));
    let clients = clients(&[&describe, &register]);
    let mut spec = td_spec();
    spec.container.command.clear();
    td::create_task_definition(&clients.ecs, &spec, &ids(TD_NEW))
        .await
        .unwrap();
    assert_eq!(register.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn task_definition_create_adopts_an_equal_owned_revision() {
    let _ = Scenario::TaskDefinitionAdopt;
    let describe = describe_td(
        "test-api",
        describe_revision(TD_OLD, IMAGE, TaskDefinitionStatus::Active, OWNER),
    );
    let register = mock!(Client::register_task_definition).then_output(registered(TD_NEW));
    let clients = clients(&[&describe, &register]);
    let arn = td::create_task_definition(&clients.ecs, &td_spec(), &ids(TD_OLD))
        .await
        .unwrap();
    assert_eq!(
        arn, TD_OLD,
        "adopted, with AWS's defaults not read as a difference"
    );
    assert_eq!(register.num_calls(), 0);
    assert_eq!(
        td::find_owned_task_definition(&clients.ecs, &td_spec(), &ids(TD_OLD))
            .await
            .unwrap()
            .as_deref(),
        Some(TD_OLD)
    );
}

#[tokio::test(start_paused = true)]
async fn task_definition_create_replaces_an_owned_revision_that_differs() {
    let _ = Scenario::TaskDefinitionAdopt;
    let describe = describe_td(
        "test-api",
        describe_revision(TD_OLD, "nginx:old", TaskDefinitionStatus::Active, OWNER),
    );
    let register = mock!(Client::register_task_definition)
        .match_requests(|r| r.container_definitions()[0].image() == Some(IMAGE))
        .then_output(registered(TD_NEW));
    // Adopted and reconciled through an update: the stale revision does not stay active.
    let deregister = mock!(Client::deregister_task_definition)
        .match_requests(|r| r.task_definition() == Some(TD_OLD))
        .then_output(|| DeregisterTaskDefinitionOutput::builder().build());
    let clients = clients(&[&describe, &register, &deregister]);
    let arn = td::create_task_definition(&clients.ecs, &td_spec(), &ids(TD_OLD))
        .await
        .unwrap();
    assert_eq!(arn, TD_NEW);
    assert_eq!((register.num_calls(), deregister.num_calls()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn task_definition_create_refuses_a_family_someone_else_owns() {
    let _ = Scenario::TaskDefinitionAdopt;
    let describe = describe_td(
        "test-api",
        describe_revision(
            TD_OLD,
            IMAGE,
            TaskDefinitionStatus::Active,
            "environment/other",
        ),
    );
    let register = mock!(Client::register_task_definition).then_output(registered(TD_NEW));
    let clients = clients(&[&describe, &register]);
    let err = td::create_task_definition(&clients.ecs, &td_spec(), &ids(TD_NEW))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AwsError::Api { code, message } if code == "NameTaken" && message.contains("test-api")),
        "{err}"
    );
    assert_eq!(register.num_calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn task_definition_update_registers_then_deregisters_the_old_revision() {
    let _ = Scenario::TaskDefinitionUpdate;
    let calls = Calls::default();
    let describe = describe_td(
        "test-api",
        describe_revision(TD_OLD, "nginx:old", TaskDefinitionStatus::Active, OWNER),
    );
    let log = calls.clone();
    let register = mock!(Client::register_task_definition)
        .match_requests(|r| r.container_definitions()[0].image() == Some(IMAGE))
        .then_compute_output(move |_| {
            log.push("register");
            registered(TD_NEW)()
        });
    let log = calls.clone();
    let deregister = mock!(Client::deregister_task_definition)
        .match_requests(|r| r.task_definition() == Some(TD_OLD))
        .then_compute_output(move |_| {
            log.push("deregister");
            DeregisterTaskDefinitionOutput::builder().build()
        });
    let clients = clients(&[&describe, &register, &deregister]);
    let mut current = td_spec();
    current.container.image = "nginx:old".into();
    let arn = td::update_task_definition(&clients.ecs, TD_OLD, &current, &td_spec(), &ids(TD_OLD))
        .await
        .unwrap();
    assert_eq!(arn, TD_NEW);
    assert_eq!(calls.get(), ["register", "deregister"]);
}

#[tokio::test(start_paused = true)]
async fn task_definition_update_tolerates_the_old_revision_being_gone() {
    let _ = Scenario::TaskDefinitionUpdate;
    let describe = describe_td_gone("test-api");
    let register = mock!(Client::register_task_definition).then_output(registered(TD_NEW));
    let deregister = mock!(Client::deregister_task_definition).then_http_response(|| {
        json_error(
            "ClientException",
            "The specified task definition does not exist.",
        )
    });
    let clients = clients(&[&describe, &register, &deregister]);
    let mut current = td_spec();
    current.cpu = 256;
    let arn = td::update_task_definition(&clients.ecs, TD_OLD, &current, &td_spec(), &ids(TD_OLD))
        .await
        .unwrap();
    assert_eq!(arn, TD_NEW);
    assert_eq!(deregister.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn task_definition_update_of_tags_alone_keeps_the_revision() {
    let _ = Scenario::TaskDefinitionUpdate;
    let register = mock!(Client::register_task_definition).then_output(registered(TD_NEW));
    let tag = mock!(Client::tag_resource)
        .match_requests(|r| {
            r.resource_arn() == Some(TD_OLD)
                && r.tags().len() == 1
                && r.tags()[0].key() == Some("team")
        })
        .then_output(|| TagResourceOutput::builder().build());
    let untag = mock!(Client::untag_resource)
        .match_requests(|r| r.resource_arn() == Some(TD_OLD) && r.tag_keys() == ["stale"])
        .then_output(|| UntagResourceOutput::builder().build());
    let clients = clients(&[&register, &tag, &untag]);
    let mut current = td_spec();
    current.tags.insert("stale".into(), "x".into());
    let mut desired = td_spec();
    desired.tags.insert("team".into(), "web".into());
    let arn = td::update_task_definition(&clients.ecs, TD_OLD, &current, &desired, &ids(TD_OLD))
        .await
        .unwrap();
    assert_eq!(arn, TD_OLD);
    assert_eq!(register.num_calls(), 0);
    assert_eq!((tag.num_calls(), untag.num_calls()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn task_definition_observe_round_trips_the_spec() {
    let _ = Scenario::TaskDefinitionObserve;
    let describe = describe_td(
        TD_NEW,
        describe_revision(TD_NEW, IMAGE, TaskDefinitionStatus::Active, OWNER),
    );
    let clients = clients(&[&describe]);
    let spec = td_spec();
    let reads = Reads::new();
    let observed = td::observe_task_definition(&clients.ecs, &reads, TD_NEW, &spec, &ids(TD_NEW))
        .await
        .unwrap();
    assert_eq!(
        observed.as_ref(),
        Some(&spec),
        "no churn from AWS's defaults"
    );
    assert_eq!(
        td::container_image(&clients.ecs, &reads, TD_NEW)
            .await
            .unwrap()
            .as_deref(),
        Some(IMAGE)
    );
    assert_eq!(describe.num_calls(), 1, "the image reader shares the read");

    // References ECS reports that the ledger does not know fall back to current's keys.
    let observed = td::observe_task_definition(
        &clients.ecs,
        &Reads::new(),
        TD_NEW,
        &spec,
        &IdMap::default(),
    )
    .await
    .unwrap();
    assert_eq!(observed.as_ref(), Some(&spec));
}

#[tokio::test(start_paused = true)]
async fn task_definition_observe_reads_inactive_or_missing_as_gone() {
    let _ = Scenario::TaskDefinitionObserve;
    let inactive = describe_td(
        TD_OLD,
        describe_revision(TD_OLD, IMAGE, TaskDefinitionStatus::Inactive, OWNER),
    );
    let missing = describe_td_gone(TD_NEW);
    let clients = clients(&[&inactive, &missing]);
    for arn in [TD_OLD, TD_NEW] {
        let reads = Reads::new();
        let observed =
            td::observe_task_definition(&clients.ecs, &reads, arn, &td_spec(), &ids(arn))
                .await
                .unwrap();
        assert_eq!(observed, None, "{arn}");
        assert_eq!(
            td::container_image(&clients.ecs, &reads, arn)
                .await
                .unwrap(),
            None
        );
    }
}

#[tokio::test(start_paused = true)]
async fn task_definition_delete_deregisters_every_owned_revision() {
    let _ = Scenario::TaskDefinitionDelete;
    const TD_LEAKED: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/test-api:3";
    const TD_FOREIGN: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/test-api:4";
    const TD_OTHER_FAMILY: &str =
        "arn:aws:ecs:us-east-1:123456789012:task-definition/test-api-worker:1";
    let deregistered = Calls::default();
    let log = deregistered.clone();
    let deregister = mock!(Client::deregister_task_definition).then_compute_output(move |r| {
        log.push(r.task_definition().unwrap());
        DeregisterTaskDefinitionOutput::builder().build()
    });
    let list = mock!(Client::list_task_definitions)
        .match_requests(|r| {
            r.family_prefix() == Some("test-api")
                && r.status() == Some(&TaskDefinitionStatus::Active)
        })
        .then_output(|| {
            ListTaskDefinitionsOutput::builder()
                .task_definition_arns(TD_LEAKED)
                .task_definition_arns(TD_FOREIGN)
                .task_definition_arns(TD_OTHER_FAMILY)
                .build()
        });
    let leaked = describe_td(
        TD_LEAKED,
        describe_revision(TD_LEAKED, IMAGE, TaskDefinitionStatus::Active, OWNER),
    );
    let foreign = describe_td(
        TD_FOREIGN,
        describe_revision(
            TD_FOREIGN,
            IMAGE,
            TaskDefinitionStatus::Active,
            "environment/other",
        ),
    );
    // Not offered everywhere: a failure is logged, not raised.
    let delete = mock!(Client::delete_task_definitions)
        .match_requests(|r| r.task_definitions() == [TD_NEW, TD_LEAKED])
        .then_http_response(|| json_error("UnsupportedFeatureException", "not supported"));
    let clients = clients(&[&deregister, &list, &leaked, &foreign, &delete]);
    td::delete_task_definition(&clients.ecs, TD_NEW, &td_spec())
        .await
        .unwrap();
    assert_eq!(deregistered.get(), [TD_NEW, TD_LEAKED]);
    assert_eq!(delete.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn task_definition_delete_of_a_gone_family_succeeds() {
    let _ = Scenario::TaskDefinitionDelete;
    let deregister = mock!(Client::deregister_task_definition).then_http_response(|| {
        json_error(
            "ClientException",
            "The specified task definition does not exist.",
        )
    });
    let list = mock!(Client::list_task_definitions)
        .then_output(|| ListTaskDefinitionsOutput::builder().build());
    let delete = mock!(Client::delete_task_definitions)
        .then_output(|| DeleteTaskDefinitionsOutput::builder().build());
    let clients = clients(&[&deregister, &list, &delete]);
    td::delete_task_definition(&clients.ecs, TD_NEW, &td_spec())
        .await
        .unwrap();
    assert_eq!(delete.num_calls(), 0, "nothing was deregistered");
}

// service fixtures

fn service_spec() -> EcsServiceSpec {
    EcsServiceSpec {
        name: "api".into(),
        cluster: cluster_key(),
        task_definition: td_key(),
        desired_count: 2,
        autoscaling_owns_count: false,
        subnets: vec![subnet_key("use1-az1"), subnet_key("use1-az2")],
        security_groups: vec![group_key()],
        capacity_strategy: vec![
            CapacityProviderStrategyItem {
                provider: "FARGATE".into(),
                weight: 1,
                base: 1,
            },
            CapacityProviderStrategyItem {
                provider: "FARGATE_SPOT".into(),
                weight: 3,
                base: 0,
            },
        ],
        load_balancer: Some(ServiceLoadBalancer {
            target_group: target_group_key(),
            container_name: "api".into(),
            container_port: 8080,
        }),
        health_check_grace_seconds: Some(60),
        min_healthy_percent: 100,
        max_percent: 200,
        circuit_breaker: true,
        enable_execute_command: true,
        wait_for_deployment: true,
        service_connect: None,
        tags: owner_tags(&service_key(), OWNER),
    }
}

fn item(provider: &str, weight: i32, base: i32) -> SdkItem {
    SdkItem::builder()
        .capacity_provider(provider)
        .weight(weight)
        .base(base)
        .build()
        .unwrap()
}

fn deployment(
    id: &str,
    status: &str,
    task_definition: &str,
    state: DeploymentRolloutState,
    reason: &str,
) -> Deployment {
    Deployment::builder()
        .id(id)
        .status(status)
        .task_definition(task_definition)
        .desired_count(2)
        .running_count(if state == DeploymentRolloutState::Completed {
            2
        } else {
            0
        })
        .rollout_state(state)
        .rollout_state_reason(reason)
        .build()
}

fn completed(id: &str, task_definition: &str) -> Deployment {
    deployment(
        id,
        "PRIMARY",
        task_definition,
        DeploymentRolloutState::Completed,
        "ECS deployment completed.",
    )
}

fn in_progress(id: &str, task_definition: &str) -> Deployment {
    deployment(
        id,
        "PRIMARY",
        task_definition,
        DeploymentRolloutState::InProgress,
        "ECS deployment in progress.",
    )
}

/// A service as DescribeServices reports it, matching `service_spec()` on `task_definition`.
fn aws_service(status: &str, task_definition: &str, deployments: Vec<Deployment>) -> Service {
    Service::builder()
        .service_arn(SERVICE_ARN)
        .service_name("api")
        .cluster_arn(CLUSTER_ARN)
        .status(status)
        .task_definition(task_definition)
        .desired_count(2)
        .running_count(2)
        .pending_count(0)
        .capacity_provider_strategy(item("FARGATE", 1, 1))
        .capacity_provider_strategy(item("FARGATE_SPOT", 3, 0))
        .platform_version("LATEST")
        .platform_family("Linux")
        .network_configuration(
            NetworkConfiguration::builder()
                .awsvpc_configuration(
                    AwsVpcConfiguration::builder()
                        // Unsorted, as AWS may answer.
                        .subnets(SUBNET_B)
                        .subnets(SUBNET_A)
                        .security_groups(GROUP)
                        .assign_public_ip(AssignPublicIp::Disabled)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .load_balancers(
            LoadBalancer::builder()
                .target_group_arn(TARGET_GROUP)
                .container_name("api")
                .container_port(8080)
                .build(),
        )
        .health_check_grace_period_seconds(60)
        .deployment_configuration(
            DeploymentConfiguration::builder()
                .minimum_healthy_percent(100)
                .maximum_percent(200)
                .deployment_circuit_breaker(
                    DeploymentCircuitBreaker::builder()
                        .enable(true)
                        .rollback(true)
                        .build(),
                )
                .build(),
        )
        .enable_execute_command(true)
        .enable_ecs_managed_tags(true)
        .propagate_tags(PropagateTags::Service)
        .set_deployments(Some(deployments))
        .set_tags(Some(sdk_tags(&owner_tags(&service_key(), OWNER))))
        .build()
}

fn described(service: Service) -> DescribeServicesOutput {
    DescribeServicesOutput::builder().services(service).build()
}

fn missing() -> DescribeServicesOutput {
    DescribeServicesOutput::builder()
        .failures(
            Failure::builder()
                .arn(SERVICE_ARN)
                .reason("MISSING")
                .build(),
        )
        .build()
}

fn updated(service: Service) -> UpdateServiceOutput {
    UpdateServiceOutput::builder().service(service).build()
}

#[tokio::test(start_paused = true)]
async fn service_create_sends_every_setting_and_waits_for_the_rollout() {
    let _ = Scenario::ServiceCreateWaits;
    let describe = mock!(Client::describe_services)
        .match_requests(|r| {
            r.cluster() == Some(CLUSTER_ARN)
                && r.include() == [aws_sdk_ecs::types::ServiceField::Tags]
        })
        .sequence()
        .output(missing)
        .output(|| {
            described(aws_service(
                "ACTIVE",
                TD_NEW,
                vec![in_progress("d-1", TD_NEW)],
            ))
        })
        .times(2)
        .output(|| {
            described(aws_service(
                "ACTIVE",
                TD_NEW,
                vec![completed("d-1", TD_NEW)],
            ))
        })
        .repeatedly()
        .build();
    let create = mock!(Client::create_service)
        .match_requests(|r| {
            let vpc = r
                .network_configuration()
                .and_then(|n| n.awsvpc_configuration())
                .unwrap();
            let deployment = r.deployment_configuration().unwrap();
            let breaker = deployment.deployment_circuit_breaker().unwrap();
            let lb = &r.load_balancers()[0];
            r.cluster() == Some(CLUSTER_ARN)
                && r.service_name() == Some("api")
                && r.task_definition() == Some(TD_NEW)
                && r.desired_count() == Some(2)
                && r.launch_type().is_none()
                && r.capacity_provider_strategy()
                    == [item("FARGATE", 1, 1), item("FARGATE_SPOT", 3, 0)]
                && r.platform_version() == Some("LATEST")
                && vpc.subnets() == [SUBNET_A, SUBNET_B]
                && vpc.security_groups() == [GROUP]
                && vpc.assign_public_ip() == Some(&AssignPublicIp::Disabled)
                && r.load_balancers().len() == 1
                && lb.target_group_arn() == Some(TARGET_GROUP)
                && lb.container_name() == Some("api")
                && lb.container_port() == Some(8080)
                && r.health_check_grace_period_seconds() == Some(60)
                && deployment.minimum_healthy_percent() == Some(100)
                && deployment.maximum_percent() == Some(200)
                && breaker.enable()
                && breaker.rollback()
                && r.enable_execute_command() == Some(true)
                && r.propagate_tags() == Some(&PropagateTags::Service)
                && r.enable_ecs_managed_tags() == Some(true)
                && r.tags().len() == 3
        })
        .then_output(|| {
            CreateServiceOutput::builder()
                .service(aws_service(
                    "ACTIVE",
                    TD_NEW,
                    vec![in_progress("d-1", TD_NEW)],
                ))
                .build()
        });
    let clients = clients(&[&describe, &create]);
    let started = tokio::time::Instant::now();
    let arn = service::create_service(&clients.ecs, &service_spec(), &ids(TD_NEW))
        .await
        .unwrap();
    assert_eq!(arn, SERVICE_ARN);
    assert_eq!(create.num_calls(), 1);
    assert_eq!(
        describe.num_calls(),
        4,
        "adoption check, two polls in progress, one completed"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "it polled with backoff (1 s, then 2 s)"
    );
}

#[tokio::test(start_paused = true)]
async fn service_create_without_strategy_uses_fargate_and_need_not_wait() {
    let _ = Scenario::ServiceCreateWaits;
    let describe = mock!(Client::describe_services).then_output(missing);
    let create = mock!(Client::create_service)
        .match_requests(|r| {
            r.launch_type() == Some(&LaunchType::Fargate)
                && r.capacity_provider_strategy().is_empty()
                && r.load_balancers().is_empty()
                && r.health_check_grace_period_seconds().is_none()
        })
        .then_output(|| {
            CreateServiceOutput::builder()
                .service(aws_service(
                    "ACTIVE",
                    TD_NEW,
                    vec![in_progress("d-1", TD_NEW)],
                ))
                .build()
        });
    let clients = clients(&[&describe, &create]);
    let mut spec = service_spec();
    spec.capacity_strategy.clear();
    spec.load_balancer = None;
    spec.health_check_grace_seconds = None;
    spec.wait_for_deployment = false;
    let arn = service::create_service(&clients.ecs, &spec, &ids(TD_NEW))
        .await
        .unwrap();
    assert_eq!(arn, SERVICE_ARN);
    assert_eq!(describe.num_calls(), 1, "no wait");
}

#[tokio::test(start_paused = true)]
async fn service_create_adopts_an_owned_service_that_matches() {
    let _ = Scenario::ServiceAdopt;
    let describe = mock!(Client::describe_services).then_output(|| {
        described(aws_service(
            "ACTIVE",
            TD_NEW,
            vec![completed("d-1", TD_NEW)],
        ))
    });
    let create =
        mock!(Client::create_service).then_output(|| CreateServiceOutput::builder().build());
    let update =
        mock!(Client::update_service).then_output(|| UpdateServiceOutput::builder().build());
    let clients = clients(&[&describe, &create, &update]);
    let arn = service::create_service(&clients.ecs, &service_spec(), &ids(TD_NEW))
        .await
        .unwrap();
    assert_eq!(arn, SERVICE_ARN);
    assert_eq!((create.num_calls(), update.num_calls()), (0, 0));
    assert_eq!(
        service::find_owned_service(&clients.ecs, &service_spec(), &ids(TD_NEW))
            .await
            .unwrap()
            .as_deref(),
        Some(SERVICE_ARN)
    );
}

#[tokio::test(start_paused = true)]
async fn service_create_refuses_a_name_someone_else_owns() {
    let _ = Scenario::ServiceAdopt;
    let describe = mock!(Client::describe_services).then_output(|| {
        let mut service = aws_service("ACTIVE", TD_NEW, vec![completed("d-1", TD_NEW)]);
        service.tags = Some(sdk_tags(&owner_tags(&service_key(), "environment/other")));
        described(service)
    });
    let create =
        mock!(Client::create_service).then_output(|| CreateServiceOutput::builder().build());
    let clients = clients(&[&describe, &create]);
    let err = service::create_service(&clients.ecs, &service_spec(), &ids(TD_NEW))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AwsError::Api { code, .. } if code == "NameTaken"),
        "{err}"
    );
    assert_eq!(create.num_calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn service_create_retries_a_target_group_not_yet_attached() {
    let _ = Scenario::ServiceCreateWaits;
    let describe = mock!(Client::describe_services).then_output(missing);
    let create = mock!(Client::create_service).then_http_response(|| {
        json_error(
            "InvalidParameterException",
            "The target group with targetGroupArn arn:x does not have an associated load balancer.",
        )
    });
    let clients = clients(&[&describe, &create]);
    let err = service::create_service(&clients.ecs, &service_spec(), &ids(TD_NEW))
        .await
        .unwrap_err();
    assert!(matches!(err, AwsError::NotYetPropagated { .. }), "{err}");
}

#[tokio::test(start_paused = true)]
async fn service_update_sends_only_what_changed_and_waits_for_its_deployment() {
    let _ = Scenario::ServiceUpdate;
    let describe = mock!(Client::describe_services)
        .sequence()
        .output(|| {
            let mut live = aws_service("ACTIVE", TD_NEW, vec![completed("d-1", TD_NEW)]);
            live.desired_count = 5;
            live.capacity_provider_strategy = Some(vec![item("FARGATE", 1, 0)]);
            live.tags = Some(sdk_tags(&{
                let mut tags = owner_tags(&service_key(), OWNER);
                tags.insert("stale".into(), "x".into());
                tags
            }));
            described(live)
        })
        .output(|| {
            described(aws_service(
                "ACTIVE",
                TD_NEW,
                vec![in_progress("d-2", TD_NEW)],
            ))
        })
        .output(|| {
            described(aws_service(
                "ACTIVE",
                TD_NEW,
                vec![completed("d-2", TD_NEW)],
            ))
        })
        .repeatedly()
        .build();
    let update = mock!(Client::update_service)
        .match_requests(|r| {
            r.cluster() == Some(CLUSTER_ARN)
                && r.service() == Some(SERVICE_ARN)
                // Auto scaling owns the count; the task definition is unchanged.
                && r.desired_count().is_none()
                && r.task_definition().is_none()
                && r.capacity_provider_strategy() == [item("FARGATE", 1, 1), item("FARGATE_SPOT", 3, 0)]
                && r.force_new_deployment() == Some(true)
                && r.network_configuration().is_none()
                && r.load_balancers().is_empty()
                && r.deployment_configuration().is_none()
                && r.health_check_grace_period_seconds().is_none()
                && r.enable_execute_command().is_none()
        })
        .then_output(|| updated(aws_service("ACTIVE", TD_NEW, vec![in_progress("d-2", TD_NEW)])));
    let tag = mock!(Client::tag_resource).then_output(|| TagResourceOutput::builder().build());
    let untag = mock!(Client::untag_resource)
        .match_requests(|r| r.resource_arn() == Some(SERVICE_ARN) && r.tag_keys() == ["stale"])
        .then_output(|| UntagResourceOutput::builder().build());
    let clients = clients(&[&describe, &update, &tag, &untag]);
    let mut desired = service_spec();
    desired.autoscaling_owns_count = true;
    let arn = service::update_service(&clients.ecs, SERVICE_ARN, &desired, &desired, &ids(TD_NEW))
        .await
        .unwrap();
    assert_eq!(arn, SERVICE_ARN);
    assert_eq!(update.num_calls(), 1);
    assert_eq!((tag.num_calls(), untag.num_calls()), (0, 1));
    assert_eq!(describe.num_calls(), 3, "read, then polled until completed");
}

#[tokio::test(start_paused = true)]
async fn service_update_without_changes_calls_nothing() {
    let _ = Scenario::ServiceUpdate;
    let describe = mock!(Client::describe_services).then_output(|| {
        described(aws_service(
            "ACTIVE",
            TD_NEW,
            vec![completed("d-1", TD_NEW)],
        ))
    });
    let update =
        mock!(Client::update_service).then_output(|| UpdateServiceOutput::builder().build());
    let clients = clients(&[&describe, &update]);
    let spec = service_spec();
    service::update_service(&clients.ecs, SERVICE_ARN, &spec, &spec, &ids(TD_NEW))
        .await
        .unwrap();
    assert_eq!(update.num_calls(), 0);
    assert_eq!(describe.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn service_rollback_fails_the_step_with_its_reasons() {
    let _ = Scenario::ServiceRollback;
    let reason = "ECS deployment d-2 failed: tasks failed to start.";
    let describe = mock!(Client::describe_services)
        .sequence()
        .output(|| {
            described(aws_service(
                "ACTIVE",
                TD_OLD,
                vec![completed("d-1", TD_OLD)],
            ))
        })
        .output(|| {
            described(aws_service(
                "ACTIVE",
                TD_NEW,
                vec![
                    in_progress("d-2", TD_NEW),
                    deployment(
                        "d-1",
                        "ACTIVE",
                        TD_OLD,
                        DeploymentRolloutState::Completed,
                        "",
                    ),
                ],
            ))
        })
        .times(2)
        .output(move || {
            // The circuit breaker's rollback: a new PRIMARY on the old revision.
            described(aws_service(
                "ACTIVE",
                TD_OLD,
                vec![
                    in_progress("d-3", TD_OLD),
                    deployment(
                        "d-2",
                        "ACTIVE",
                        TD_NEW,
                        DeploymentRolloutState::Failed,
                        reason,
                    ),
                ],
            ))
        })
        .repeatedly()
        .build();
    let update = mock!(Client::update_service)
        .match_requests(|r| r.task_definition() == Some(TD_NEW) && r.desired_count().is_none())
        .then_output(|| {
            updated(aws_service(
                "ACTIVE",
                TD_NEW,
                vec![
                    in_progress("d-2", TD_NEW),
                    deployment(
                        "d-1",
                        "ACTIVE",
                        TD_OLD,
                        DeploymentRolloutState::Completed,
                        "",
                    ),
                ],
            ))
        });
    let list_tasks = mock!(Client::list_tasks)
        .match_requests(|r| {
            r.cluster() == Some(CLUSTER_ARN)
                && r.service_name() == Some("api")
                && r.desired_status() == Some(&DesiredStatus::Stopped)
        })
        .then_output(|| {
            ListTasksOutput::builder()
                .set_task_arns(Some(
                    ["t1", "t2", "t3", "t4", "t0"]
                        .iter()
                        .map(|t| format!("arn:aws:ecs:us-east-1:123456789012:task/test/{t}"))
                        .collect(),
                ))
                .build()
        });
    let stopped = |id: &str, td: &str, at: i64, task_reason: &str, container: Option<&str>| {
        Task::builder()
            .task_arn(format!("arn:aws:ecs:us-east-1:123456789012:task/test/{id}"))
            .task_definition_arn(td)
            .stopped_at(DateTime::from_secs(at))
            .stopped_reason(task_reason)
            .containers(
                Container::builder()
                    .name("api")
                    .set_reason(container.map(str::to_string))
                    .exit_code(1)
                    .build(),
            )
            .build()
    };
    let describe_tasks = mock!(Client::describe_tasks)
        .match_requests(|r| r.cluster() == Some(CLUSTER_ARN) && r.tasks().len() == 5)
        .then_output(move || {
            DescribeTasksOutput::builder()
                .tasks(stopped("t1", TD_NEW, 100, "oldest of ours", None))
                .tasks(stopped(
                    "t2",
                    TD_NEW,
                    200,
                    "Essential container in task exited",
                    None,
                ))
                .tasks(stopped(
                    "t3",
                    TD_NEW,
                    300,
                    "CannotPullContainerError: pull image manifest has been retried 5 time(s)",
                    Some("CannotPullContainerError: image not found"),
                ))
                .tasks(stopped(
                    "t4",
                    TD_NEW,
                    400,
                    "Task failed ELB health checks in (target-group test-api)",
                    None,
                ))
                .tasks(stopped("t0", TD_OLD, 500, "scaled in", None))
                .build()
        });
    let clients = clients(&[&describe, &update, &list_tasks, &describe_tasks]);
    let spec = service_spec();
    let err = service::update_service(&clients.ecs, SERVICE_ARN, &spec, &spec, &ids(TD_NEW))
        .await
        .unwrap_err();
    let AwsError::Api { code, message } = &err else {
        panic!("{err}");
    };
    assert_eq!(code, "DeploymentFailed");
    for part in [
        TD_NEW,
        reason,
        "rolled the service back to the previous task definition",
        TD_OLD,
        "task t4 (test-api:2): Task failed ELB health checks",
        "CannotPullContainerError: image not found (exit code 1)",
        "Essential container in task exited",
    ] {
        assert!(message.contains(part), "{part:?} missing from: {message}");
    }
    assert!(
        !message.contains("oldest of ours"),
        "only the most recent: {message}"
    );
    assert!(
        !message.contains("scaled in"),
        "tasks of our revision first: {message}"
    );
}

#[tokio::test(start_paused = true)]
async fn service_first_deployment_failure_says_there_was_nothing_to_roll_back_to() {
    let _ = Scenario::ServiceRollback;
    let describe = mock!(Client::describe_services)
        .sequence()
        .output(missing)
        .output(|| {
            described(aws_service(
                "ACTIVE",
                TD_NEW,
                vec![deployment(
                    "d-1",
                    "PRIMARY",
                    TD_NEW,
                    DeploymentRolloutState::Failed,
                    "tasks failed to start.",
                )],
            ))
        })
        .repeatedly()
        .build();
    let create = mock!(Client::create_service).then_output(|| {
        CreateServiceOutput::builder()
            .service(aws_service(
                "ACTIVE",
                TD_NEW,
                vec![in_progress("d-1", TD_NEW)],
            ))
            .build()
    });
    let list_tasks = mock!(Client::list_tasks)
        .then_http_response(|| json_error("AccessDeniedException", "not allowed to list tasks"));
    let clients = clients(&[&describe, &create, &list_tasks]);
    let err = service::create_service(&clients.ecs, &service_spec(), &ids(TD_NEW))
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(message.starts_with("DeploymentFailed"), "{message}");
    assert!(message.contains("tasks failed to start."), "{message}");
    assert!(message.contains("if it had one"), "{message}");
    assert!(message.contains("could not be listed"), "{message}");
}

#[tokio::test(start_paused = true)]
async fn service_delete_scales_to_zero_deletes_and_waits_until_inactive() {
    let _ = Scenario::ServiceDelete;
    let calls = Calls::default();
    let log = calls.clone();
    let scale = mock!(Client::update_service)
        .match_requests(|r| {
            r.cluster() == Some(CLUSTER_ARN)
                && r.service() == Some(SERVICE_ARN)
                && r.desired_count() == Some(0)
        })
        .then_compute_output(move |_| {
            log.push("scale to zero");
            UpdateServiceOutput::builder().build()
        });
    let log = calls.clone();
    let delete = mock!(Client::delete_service)
        .match_requests(|r| {
            r.cluster() == Some(CLUSTER_ARN)
                && r.service() == Some(SERVICE_ARN)
                && r.force() == Some(true)
        })
        .then_compute_output(move |_| {
            log.push("delete");
            DeleteServiceOutput::builder().build()
        });
    let describe = mock!(Client::describe_services)
        .sequence()
        .output(|| described(aws_service("DRAINING", TD_NEW, vec![])))
        .times(2)
        .output(|| described(aws_service("INACTIVE", TD_NEW, vec![])))
        .build();
    let executor = Executor::new(clients(&[&scale, &delete, &describe]));
    let mut ledger = Ledger::new();
    ledger.children.insert(
        service_key(),
        Recorded {
            refs: Default::default(),
            id: SERVICE_ARN.into(),
            observed: ChildSpec::EcsService(service_spec()),
        },
    );
    let outcome = apply::destroy(
        &executor,
        ledger,
        RunOptions {
            concurrency: 4,
            cancel: CancellationToken::new(),
            deadline: tokio::time::Instant::now() + Duration::from_secs(3600),
        },
    )
    .await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert!(outcome.ledger.children.is_empty());
    assert_eq!(calls.get(), ["scale to zero", "delete"]);
    assert_eq!(describe.num_calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn service_delete_of_a_gone_service_succeeds() {
    let _ = Scenario::ServiceDelete;
    let scale = mock!(Client::update_service)
        .then_http_response(|| json_error("ServiceNotFoundException", "Service not found."));
    let delete = mock!(Client::delete_service)
        .then_http_response(|| json_error("ServiceNotActiveException", "Service was not ACTIVE."));
    let describe = mock!(Client::describe_services).then_output(missing);
    let clients = clients(&[&scale, &delete, &describe]);
    service::delete_service(&clients.ecs, SERVICE_ARN, &service_spec())
        .await
        .unwrap();
    assert_eq!(describe.num_calls(), 1);
}

/// ListServices of the test cluster: our service only.
fn listed() -> Rule {
    mock!(Client::list_services)
        .match_requests(|r| r.cluster() == Some(CLUSTER_ARN))
        .then_output(|| {
            ListServicesOutput::builder()
                .service_arns(SERVICE_ARN)
                .build()
        })
}

#[tokio::test(start_paused = true)]
async fn service_observe_maps_ids_back_to_keys() {
    let _ = Scenario::ServiceObserve;
    let list = listed();
    let describe = mock!(Client::describe_services)
        .match_requests(|r| {
            r.cluster() == Some(CLUSTER_ARN)
                && r.services() == [SERVICE_ARN]
                && r.include() == [aws_sdk_ecs::types::ServiceField::Tags]
        })
        .then_output(|| {
            let mut live = aws_service("ACTIVE", TD_NEW, vec![completed("d-1", TD_NEW)]);
            // Zero items are left out of the spec.
            live.capacity_provider_strategy = Some(vec![
                item("FARGATE", 1, 1),
                item("FARGATE_SPOT", 3, 0),
                item("SPARE", 0, 0),
            ]);
            described(live)
        });
    let clients = clients(&[&list, &describe]);
    let spec = service_spec();
    let reads = Reads::new();
    let observed = service::observe_service(&clients.ecs, &reads, SERVICE_ARN, &spec, &ids(TD_NEW))
        .await
        .unwrap();
    assert_eq!(observed.as_ref(), Some(&spec));

    // Auto scaling owns the count: the live count is not drift.
    let mut scaled = service_spec();
    scaled.autoscaling_owns_count = true;
    scaled.desired_count = 7;
    let observed =
        service::observe_service(&clients.ecs, &reads, SERVICE_ARN, &scaled, &ids(TD_NEW))
            .await
            .unwrap();
    assert_eq!(observed.as_ref(), Some(&scaled));

    // Left on a revision the ledger does not know (a rollback): drift, never hidden.
    let observed = service::observe_service(&clients.ecs, &reads, SERVICE_ARN, &spec, &ids(TD_OLD))
        .await
        .unwrap()
        .unwrap();
    assert_ne!(observed.task_definition, spec.task_definition);
    assert_eq!(
        service::service_facts(&clients.ecs, &reads, SERVICE_ARN)
            .await
            .unwrap(),
        Some(ServiceFacts {
            task_definition_arn: TD_NEW.into(),
            deployment_id: "d-1".into(),
            deployment_status: "COMPLETED".into(),
            running_count: 2,
            desired_count: 2,
        })
    );
    assert_eq!(
        (list.num_calls(), describe.num_calls()),
        (1, 1),
        "every read above shares one listing"
    );
}

#[tokio::test(start_paused = true)]
async fn service_observe_reads_draining_inactive_or_missing_as_gone() {
    let _ = Scenario::ServiceObserve;
    let describe = mock!(Client::describe_services)
        .sequence()
        .output(|| described(aws_service("DRAINING", TD_NEW, vec![])))
        .output(|| described(aws_service("INACTIVE", TD_NEW, vec![])))
        .output(missing)
        .build();
    let cluster_gone = mock!(Client::describe_services)
        .then_http_response(|| json_error("ClusterNotFoundException", "Cluster not found."));
    let list = listed();
    let clients = clients(&[&list, &describe, &cluster_gone]);
    for _ in 0..4 {
        let observed = service::observe_service(
            &clients.ecs,
            &Reads::new(),
            SERVICE_ARN,
            &service_spec(),
            &ids(TD_NEW),
        )
        .await
        .unwrap();
        assert_eq!(observed, None);
    }
    assert_eq!(
        service::service_facts(&clients.ecs, &Reads::new(), SERVICE_ARN)
            .await
            .unwrap(),
        None
    );
    // The listing itself finds the cluster gone.
    let list_gone = mock!(Client::list_services)
        .then_http_response(|| json_error("ClusterNotFoundException", "Cluster not found."));
    let clients = self::clients(&[&list_gone]);
    let observed = service::observe_service(
        &clients.ecs,
        &Reads::new(),
        SERVICE_ARN,
        &service_spec(),
        &ids(TD_NEW),
    )
    .await
    .unwrap();
    assert_eq!(observed, None);
}
