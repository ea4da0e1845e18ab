//! ElastiCache replication groups against mocked SDK responses: the create request, waits
//! through `creating` and `deleting`, minimal modifications, replica changes ordered around
//! multi-AZ, final snapshots, the observed engine version and replica count, and adoption.
//! The emulator cannot show these (docs/design/emulator.md, "ElastiCache": its groups are available at once, it lacks
//! Increase/DecreaseReplicaCount, keeps deleted groups `deleting` and ignores
//! NumCacheClusters).

mod common;

use common::{clients, Mocks};

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_elasticache::operation::{
    add_tags_to_resource::AddTagsToResourceOutput,
    create_replication_group::CreateReplicationGroupOutput,
    decrease_replica_count::DecreaseReplicaCountOutput,
    delete_replication_group::DeleteReplicationGroupOutput,
    describe_cache_clusters::DescribeCacheClustersOutput,
    describe_replication_groups::DescribeReplicationGroupsOutput,
    increase_replica_count::IncreaseReplicaCountOutput,
    list_tags_for_resource::ListTagsForResourceOutput,
    modify_replication_group::ModifyReplicationGroupOutput,
    remove_tags_from_resource::RemoveTagsFromResourceOutput,
};
use aws_sdk_elasticache::types::{
    AutomaticFailoverStatus, CacheCluster, Endpoint, MultiAzStatus, NodeGroup, NodeGroupMember,
    ReplicationGroup, SecurityGroupMembership, Tag,
};
use aws_sdk_elasticache::Client;
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueOutput;
use aws_smithy_mocks::{mock, Rule};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

use terraform_provider_platform::apply::IdMap;
use terraform_provider_platform::aws::common::reads::Reads;
use terraform_provider_platform::aws::elasticache::replication_group::*;
use terraform_provider_platform::aws::error::AwsError;
use terraform_provider_platform::aws::kind::{AwsKind, Cx};
use terraform_provider_platform::aws::AwsClients;

use terraform_provider_platform::aws::elasticache::replication_group::ReplicationGroupSpec;
use terraform_provider_platform::plan::ledger::Ledger;
use terraform_provider_platform::plan::node::*;

/// The scenarios this file covers, one test each (or more where noted).
#[derive(Debug)]
enum Scenario {
    CreateRequest,
    CreateWaitsAvailable,
    ModifyOnlyChanged,
    ReplicasAndMultiAz,
    DeleteFinalSnapshot,
    ObserveVersionAndReplicas,
    Adoption,
}

const OWNER: &str = "environment/test";
const ID: &str = "test-cache";
const ARN: &str = "arn:aws:elasticache:us-east-1:123456789012:replicationgroup:test-cache";
const SECRET_ARN: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:test/cache/auth-AbCdEf";
const TOKEN: &str = "s3cr3tTokenValue0123456789abcdef";
const SG: &str = "sg-0123456789abcdef0";
const SUBNET_GROUP: &str = "test-cache";
const PRIMARY: &str = "master.test-cache.abc123.use1.cache.amazonaws.com";
const READER: &str = "replica.test-cache.abc123.use1.cache.amazonaws.com";

/// An error as the query protocol (ElastiCache) sends it.
fn query_error(code: &str, status: u16) -> HttpResponse {
    let body = format!(
        "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>mocked {code}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
    );
    HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body))
}

fn not_found() -> HttpResponse {
    query_error("ReplicationGroupNotFoundFault", 404)
}

/// Records the order of calls across rules.
#[derive(Clone, Default)]
struct Calls(Arc<Mutex<Vec<String>>>);

impl Calls {
    fn push(&self, call: impl Into<String>) {
        self.0.lock().unwrap().push(call.into());
    }
    fn get(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

fn key() -> NodeKey {
    NodeKey::new(Kind::ReplicationGroup, &["cache"])
}

fn sg_key() -> NodeKey {
    NodeKey::new(Kind::SecurityGroup, &["cache"])
}

fn subnet_group_key() -> NodeKey {
    NodeKey::new(Kind::CacheSubnetGroup, &["cache"])
}

fn secret_key() -> NodeKey {
    NodeKey::new(Kind::Secret, &["cache-auth"])
}

fn owner_tags(owner: &str) -> Tags {
    [
        ("platform:managed-by", "terraform-provider-platform"),
        ("platform:owner", owner),
        ("platform:node", key().as_str()),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn spec() -> ReplicationGroupSpec {
    ReplicationGroupSpec {
        id: ID.into(),
        description: "cache of environment test".into(),
        engine: "valkey".into(),
        engine_version: "8".into(),
        node_type: "cache.t4g.small".into(),
        replicas: 1,
        multi_az: true,
        automatic_failover: true,
        subnet_group: subnet_group_key(),
        security_groups: vec![sg_key()],
        kms_key_arn: None,
        auth_token: secret_key(),
        port: 6379,
        snapshot_retention_days: 7,
        snapshot_window: Some("03:00-04:00".into()),
        maintenance_window: Some("sun:05:00-sun:06:00".into()),
        final_snapshot: true,
        tags: owner_tags(OWNER),
    }
}

fn ids() -> IdMap {
    let mut ledger = Ledger::new();
    ledger.external.insert(sg_key(), SG.into());
    ledger
        .external
        .insert(subnet_group_key(), SUBNET_GROUP.into());
    ledger.external.insert(secret_key(), SECRET_ARN.into());
    IdMap::from_ledger(&ledger)
}

/// A group as DescribeReplicationGroups reports it: `members` clusters, the first primary.
fn group(status: &str, members: usize) -> ReplicationGroup {
    let member_ids: Vec<String> = (1..=members).map(|i| format!("{ID}-{i:03}")).collect();
    let node_members = member_ids.iter().enumerate().map(|(i, m)| {
        NodeGroupMember::builder()
            .cache_cluster_id(m)
            .cache_node_id("0001")
            .current_role(if i == 0 { "primary" } else { "replica" })
            .build()
    });
    ReplicationGroup::builder()
        .replication_group_id(ID)
        .description("cache of environment test")
        .status(status)
        .set_member_clusters(Some(member_ids.clone()))
        .node_groups(
            NodeGroup::builder()
                .node_group_id("0001")
                .status(status)
                .primary_endpoint(Endpoint::builder().address(PRIMARY).port(6379).build())
                .reader_endpoint(Endpoint::builder().address(READER).port(6379).build())
                .set_node_group_members(Some(node_members.collect()))
                .build(),
        )
        .automatic_failover(AutomaticFailoverStatus::Enabled)
        .multi_az(MultiAzStatus::Enabled)
        .snapshot_retention_limit(7)
        .snapshot_window("03:00-04:00")
        .cache_node_type("cache.t4g.small")
        .transit_encryption_enabled(true)
        .at_rest_encryption_enabled(true)
        .auth_token_enabled(true)
        .arn(ARN)
        .engine("valkey")
        .build()
}

fn describe_output(g: ReplicationGroup) -> DescribeReplicationGroupsOutput {
    DescribeReplicationGroupsOutput::builder()
        .replication_groups(g)
        .build()
}

/// The group, described by its ID or listed with the region's.
fn describe(status: &'static str, members: usize) -> Rule {
    mock!(Client::describe_replication_groups)
        .match_requests(|r| matches!(r.replication_group_id(), None | Some(ID)))
        .then_output(move || describe_output(group(status, members)))
}

fn member(version: &str, groups: &[&str]) -> CacheCluster {
    CacheCluster::builder()
        .cache_cluster_id(format!("{ID}-001"))
        .replication_group_id(ID)
        .engine("valkey")
        .engine_version(version)
        .cache_subnet_group_name(SUBNET_GROUP)
        .preferred_maintenance_window("sun:05:00-sun:06:00")
        .set_security_groups(Some(
            groups
                .iter()
                .map(|g| {
                    SecurityGroupMembership::builder()
                        .security_group_id(*g)
                        .status("active")
                        .build()
                })
                .collect(),
        ))
        .build()
}

fn describe_member(version: &'static str, groups: &'static [&'static str]) -> Rule {
    mock!(Client::describe_cache_clusters).then_output(move || {
        DescribeCacheClustersOutput::builder()
            .cache_clusters(member(version, groups))
            .build()
    })
}

fn tags_of(owner: &'static str) -> Rule {
    mock!(Client::list_tags_for_resource)
        .match_requests(|r| r.resource_name() == Some(ARN))
        .then_output(move || {
            ListTagsForResourceOutput::builder()
                .set_tag_list(Some(
                    owner_tags(owner)
                        .iter()
                        .map(|(k, v)| Tag::builder().key(k).value(v).build())
                        .collect(),
                ))
                .build()
        })
}

/// Observes the group as a refresh does (through the kind, with reads of its own).
async fn observe(
    clients: &AwsClients,
    current: &ReplicationGroupSpec,
) -> Result<Option<ReplicationGroupSpec>, AwsError> {
    let (ids, reads) = (ids(), Reads::new());
    let cx = Cx {
        clients,
        ids: &ids,
        reads: &reads,
    };
    ReplicationGroupSpec::observe(&cx, ID, current).await
}

/// Finds the group as an import does.
async fn find(
    clients: &AwsClients,
    spec: &ReplicationGroupSpec,
) -> Result<Option<String>, AwsError> {
    let (ids, reads) = (ids(), Reads::new());
    let cx = Cx {
        clients,
        ids: &ids,
        reads: &reads,
    };
    ReplicationGroupSpec::find(&cx, spec).await
}

fn secret() -> Rule {
    mock!(aws_sdk_secretsmanager::Client::get_secret_value)
        .match_requests(|r| r.secret_id() == Some(SECRET_ARN))
        .then_output(|| GetSecretValueOutput::builder().secret_string(TOKEN).build())
}

// create

#[tokio::test(start_paused = true)]
async fn create_sends_encryption_token_and_cluster_count_then_waits() {
    let _ = (Scenario::CreateRequest, Scenario::CreateWaitsAvailable);
    let describe = mock!(Client::describe_replication_groups)
        .sequence()
        .http_response(not_found)
        .output(|| describe_output(group("creating", 2)))
        .output(|| describe_output(group("creating", 2)))
        .output(|| describe_output(group("available", 2)))
        .build();
    let create = mock!(Client::create_replication_group)
        .match_requests(|r| {
            r.replication_group_id() == Some(ID)
                && r.replication_group_description() == Some("cache of environment test")
                && r.engine() == Some("valkey")
                && r.engine_version() == Some("8")
                && r.cache_node_type() == Some("cache.t4g.small")
                && r.num_cache_clusters() == Some(2)
                && r.multi_az_enabled() == Some(true)
                && r.automatic_failover_enabled() == Some(true)
                && r.cache_subnet_group_name() == Some(SUBNET_GROUP)
                && r.security_group_ids() == [SG]
                && r.transit_encryption_enabled() == Some(true)
                && r.at_rest_encryption_enabled() == Some(true)
                && r.kms_key_id().is_none()
                && r.auth_token() == Some(TOKEN)
                && r.port() == Some(6379)
                && r.snapshot_retention_limit() == Some(7)
                && r.snapshot_window() == Some("03:00-04:00")
                && r.preferred_maintenance_window() == Some("sun:05:00-sun:06:00")
                && r.auto_minor_version_upgrade() == Some(true)
                && r.tags()
                    .iter()
                    .any(|t| t.key() == Some("platform:owner") && t.value() == Some(OWNER))
        })
        .then_output(|| {
            CreateReplicationGroupOutput::builder()
                .replication_group(group("creating", 2))
                .build()
        });
    let secret = secret();
    let clients = clients(&Mocks {
        elasticache: vec![&describe, &create],
        secretsmanager: vec![&secret],
        ..Mocks::default()
    });
    let started = tokio::time::Instant::now();
    let id = create_replication_group(&clients, &spec(), &ids())
        .await
        .unwrap();
    assert_eq!(id, ID);
    assert_eq!(create.num_calls(), 1);
    assert_eq!(secret.num_calls(), 1);
    assert_eq!(describe.num_calls(), 4, "absent, creating twice, available");
    // A first pause, then back-off: 1 s + 1 s + 2 s of paused time.
    assert!(started.elapsed() >= Duration::from_secs(4));
}

#[tokio::test(start_paused = true)]
async fn create_failure_does_not_leak_the_token() {
    let describe = mock!(Client::describe_replication_groups).then_http_response(not_found);
    let create = mock!(Client::create_replication_group)
        .then_http_response(|| query_error("InvalidParameterValue", 400));
    let secret = secret();
    let clients = clients(&Mocks {
        elasticache: vec![&describe, &create],
        secretsmanager: vec![&secret],
        ..Mocks::default()
    });
    let error = create_replication_group(&clients, &spec(), &ids())
        .await
        .unwrap_err();
    assert!(!format!("{error} {error:?}").contains(TOKEN));
}

#[tokio::test(start_paused = true)]
async fn a_missing_auth_token_secret_is_named() {
    let describe = mock!(Client::describe_replication_groups).then_http_response(not_found);
    let create = mock!(Client::create_replication_group)
        .then_output(|| CreateReplicationGroupOutput::builder().build());
    let secret = mock!(aws_sdk_secretsmanager::Client::get_secret_value).then_http_response(|| {
        HttpResponse::new(
            StatusCode::try_from(400).unwrap(),
            SdkBody::from(r#"{"__type":"ResourceNotFoundException","message":"no secret"}"#),
        )
    });
    let clients = clients(&Mocks {
        elasticache: vec![&describe, &create],
        secretsmanager: vec![&secret],
        ..Mocks::default()
    });
    let error = create_replication_group(&clients, &spec(), &ids())
        .await
        .unwrap_err();
    assert!(error.to_string().contains(SECRET_ARN), "{error}");
    assert_eq!(create.num_calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn wait_stops_at_create_failed() {
    let describe = mock!(Client::describe_replication_groups)
        .sequence()
        .output(|| describe_output(group("creating", 1)))
        .output(|| describe_output(group("create-failed", 1)))
        .build();
    let clients = clients(&Mocks {
        elasticache: vec![&describe],
        ..Mocks::default()
    });
    let error = wait_replication_group_available(&clients.elasticache, ID)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("create-failed"), "{error}");
}

// update

#[tokio::test(start_paused = true)]
async fn modify_sends_only_changed_fields() {
    let _ = Scenario::ModifyOnlyChanged;
    let current = spec();
    let mut desired = spec();
    desired.node_type = "cache.m7g.large".into();
    desired.snapshot_retention_days = 14;
    // No window in the spec leaves AWS's: nothing to send.
    desired.maintenance_window = None;
    desired.tags.insert("platform:config".into(), "v2".into());
    desired.tags.remove("platform:managed-by");
    let modify = mock!(Client::modify_replication_group)
        .match_requests(|r| {
            r.replication_group_id() == Some(ID)
                && r.apply_immediately() == Some(true)
                && r.cache_node_type() == Some("cache.m7g.large")
                && r.snapshot_retention_limit() == Some(14)
                && r.engine().is_none()
                && r.engine_version().is_none()
                && r.multi_az_enabled().is_none()
                && r.automatic_failover_enabled().is_none()
                && r.security_group_ids().is_empty()
                && r.snapshot_window().is_none()
                && r.preferred_maintenance_window().is_none()
                && r.replication_group_description().is_none()
        })
        .then_output(|| ModifyReplicationGroupOutput::builder().build());
    let describe = describe("available", 2);
    let add = mock!(Client::add_tags_to_resource)
        .match_requests(|r| {
            r.resource_name() == Some(ARN)
                && r.tags().len() == 1
                && r.tags()[0].key() == Some("platform:config")
        })
        .then_output(|| AddTagsToResourceOutput::builder().build());
    let remove = mock!(Client::remove_tags_from_resource)
        .match_requests(|r| {
            r.resource_name() == Some(ARN) && r.tag_keys() == ["platform:managed-by"]
        })
        .then_output(|| RemoveTagsFromResourceOutput::builder().build());
    let clients = clients(&Mocks {
        elasticache: vec![&modify, &describe, &add, &remove],
        ..Mocks::default()
    });
    let id = update_replication_group(&clients, ID, &current, &desired, &ids())
        .await
        .unwrap();
    assert_eq!(id, ID);
    assert_eq!(modify.num_calls(), 1);
    assert_eq!(add.num_calls(), 1);
    assert_eq!(remove.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn redis_to_valkey_sends_engine_and_version() {
    let mut current = spec();
    current.engine = "redis".into();
    current.engine_version = "7".into();
    let desired = spec();
    let modify = mock!(Client::modify_replication_group)
        .match_requests(|r| {
            r.engine() == Some("valkey")
                && r.engine_version() == Some("8")
                && r.cache_node_type().is_none()
        })
        .then_output(|| ModifyReplicationGroupOutput::builder().build());
    let describe = describe("available", 2);
    let clients = clients(&Mocks {
        elasticache: vec![&modify, &describe],
        ..Mocks::default()
    });
    update_replication_group(&clients, ID, &current, &desired, &ids())
        .await
        .unwrap();
    assert_eq!(modify.num_calls(), 1);
}

#[test]
fn an_unchanged_spec_plans_nothing() {
    let plan = plan_update(&spec(), &spec(), &ids()).unwrap();
    assert_eq!(plan, UpdatePlan::default());
}

/// Records ModifyReplicationGroup's flags and the replica calls, in order.
fn recording_rules(calls: &Calls) -> (Rule, Rule, Rule) {
    let (c1, c2, c3) = (calls.clone(), calls.clone(), calls.clone());
    let modify = mock!(Client::modify_replication_group).then_compute_output(move |r| {
        c1.push(format!(
            "Modify multi_az={:?} failover={:?}",
            r.multi_az_enabled(),
            r.automatic_failover_enabled()
        ));
        ModifyReplicationGroupOutput::builder().build()
    });
    let increase = mock!(Client::increase_replica_count).then_compute_output(move |r| {
        assert_eq!(r.apply_immediately(), Some(true));
        c2.push(format!("Increase {:?}", r.new_replica_count()));
        IncreaseReplicaCountOutput::builder().build()
    });
    let decrease = mock!(Client::decrease_replica_count).then_compute_output(move |r| {
        assert_eq!(r.apply_immediately(), Some(true));
        c3.push(format!("Decrease {:?}", r.new_replica_count()));
        DecreaseReplicaCountOutput::builder().build()
    });
    (modify, increase, decrease)
}

#[tokio::test(start_paused = true)]
async fn replicas_are_added_before_multi_az_is_turned_on() {
    let _ = Scenario::ReplicasAndMultiAz;
    let mut current = spec();
    current.replicas = 0;
    current.multi_az = false;
    current.automatic_failover = false;
    let mut desired = spec();
    desired.replicas = 2;
    let calls = Calls::default();
    let (modify, increase, decrease) = recording_rules(&calls);
    let describe = describe("available", 3);
    let clients = clients(&Mocks {
        elasticache: vec![&modify, &increase, &decrease, &describe],
        ..Mocks::default()
    });
    update_replication_group(&clients, ID, &current, &desired, &ids())
        .await
        .unwrap();
    assert_eq!(
        calls.get(),
        [
            "Increase Some(2)",
            "Modify multi_az=Some(true) failover=Some(true)"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn multi_az_is_turned_off_before_replicas_are_removed() {
    let current = spec();
    let mut desired = spec();
    desired.replicas = 0;
    desired.multi_az = false;
    desired.automatic_failover = false;
    let calls = Calls::default();
    let (modify, increase, decrease) = recording_rules(&calls);
    let describe = describe("available", 1);
    let clients = clients(&Mocks {
        elasticache: vec![&modify, &increase, &decrease, &describe],
        ..Mocks::default()
    });
    update_replication_group(&clients, ID, &current, &desired, &ids())
        .await
        .unwrap();
    assert_eq!(
        calls.get(),
        [
            "Modify multi_az=Some(false) failover=Some(false)",
            "Decrease Some(0)"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn each_change_waits_for_available() {
    let mut current = spec();
    current.replicas = 0;
    current.multi_az = false;
    current.automatic_failover = false;
    current.node_type = "cache.t4g.micro".into();
    let desired = spec();
    let calls = Calls::default();
    let (modify, increase, decrease) = recording_rules(&calls);
    let c = calls.clone();
    let describe = mock!(Client::describe_replication_groups).then_compute_output(move |_| {
        c.push("Describe");
        describe_output(group("available", 2))
    });
    let clients = clients(&Mocks {
        elasticache: vec![&modify, &increase, &decrease, &describe],
        ..Mocks::default()
    });
    update_replication_group(&clients, ID, &current, &desired, &ids())
        .await
        .unwrap();
    assert_eq!(
        calls.get(),
        [
            "Modify multi_az=None failover=None",
            "Describe",
            "Increase Some(1)",
            "Describe",
            "Modify multi_az=Some(true) failover=Some(true)",
            "Describe",
        ]
    );
}

// delete

#[tokio::test(start_paused = true)]
async fn delete_takes_a_timestamped_final_snapshot_and_waits_until_gone() {
    let _ = Scenario::DeleteFinalSnapshot;
    let describe = mock!(Client::describe_replication_groups)
        .sequence()
        .output(|| describe_output(group("available", 2)))
        .output(|| describe_output(group("deleting", 2)))
        .output(|| describe_output(group("deleting", 2)))
        .http_response(not_found)
        .build();
    let snapshot = Arc::new(Mutex::new(None::<String>));
    let seen = snapshot.clone();
    let delete = mock!(Client::delete_replication_group)
        .match_requests(|r| r.replication_group_id() == Some(ID))
        .then_compute_output(move |r| {
            assert_eq!(r.retain_primary_cluster(), Some(false));
            *seen.lock().unwrap() = r.final_snapshot_identifier().map(str::to_string);
            DeleteReplicationGroupOutput::builder()
                .replication_group(group("deleting", 2))
                .build()
        });
    let clients = clients(&Mocks {
        elasticache: vec![&describe, &delete],
        ..Mocks::default()
    });
    delete_replication_group(&clients.elasticache, ID, &spec())
        .await
        .unwrap();
    assert_eq!(delete.num_calls(), 1);
    assert_eq!(describe.num_calls(), 4, "waited until not found");
    let name = snapshot.lock().unwrap().clone().expect("a final snapshot");
    let stamp = name
        .strip_prefix("test-cache-final-")
        .unwrap_or_else(|| panic!("{name}"));
    assert_eq!(stamp.len(), 14, "{name}");
    assert!(stamp.chars().all(|c| c.is_ascii_digit()), "{name}");
    assert!(stamp.starts_with("20"), "{name}");
}

#[tokio::test(start_paused = true)]
async fn delete_without_final_snapshot_sends_none() {
    let describe = mock!(Client::describe_replication_groups)
        .sequence()
        .output(|| describe_output(group("available", 2)))
        .http_response(not_found)
        .build();
    let delete = mock!(Client::delete_replication_group)
        .match_requests(|r| r.final_snapshot_identifier().is_none())
        .then_output(|| DeleteReplicationGroupOutput::builder().build());
    let clients = clients(&Mocks {
        elasticache: vec![&describe, &delete],
        ..Mocks::default()
    });
    let mut current = spec();
    current.final_snapshot = false;
    delete_replication_group(&clients.elasticache, ID, &current)
        .await
        .unwrap();
    assert_eq!(delete.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn delete_of_a_deleting_or_absent_group_just_waits() {
    let describe = mock!(Client::describe_replication_groups)
        .sequence()
        .output(|| describe_output(group("deleting", 2)))
        .output(|| describe_output(group("deleting", 2)))
        .http_response(not_found)
        .http_response(not_found)
        .build();
    let delete = mock!(Client::delete_replication_group)
        .then_output(|| DeleteReplicationGroupOutput::builder().build());
    let clients = clients(&Mocks {
        elasticache: vec![&describe, &delete],
        ..Mocks::default()
    });
    delete_replication_group(&clients.elasticache, ID, &spec())
        .await
        .unwrap();
    assert_eq!(delete.num_calls(), 0);
    // Absent from the start: success at once.
    delete_replication_group(&clients.elasticache, ID, &spec())
        .await
        .unwrap();
    assert_eq!(delete.num_calls(), 0);
}

// observe

#[tokio::test]
async fn observe_keeps_the_major_version_and_counts_replicas() {
    let _ = Scenario::ObserveVersionAndReplicas;
    let describe = describe("available", 3);
    let member = describe_member("8.0.1", &[SG, "sg-0fffffffffffffff0"]);
    let tags = tags_of(OWNER);
    let clients = clients(&Mocks {
        elasticache: vec![&describe, &member, &tags],
        ..Mocks::default()
    });
    let observed = observe(&clients, &spec()).await.unwrap().expect("exists");
    assert_eq!(observed.engine_version, "8", "a minor upgrade is not drift");
    assert_eq!(
        observed.replicas, 2,
        "three members: a primary and two replicas"
    );
    let mut expected_groups = vec![
        sg_key(),
        NodeKey::new(Kind::SecurityGroup, &["external", "sg-0fffffffffffffff0"]),
    ];
    expected_groups.sort();
    assert_eq!(observed.security_groups, expected_groups);
    let expected = ReplicationGroupSpec {
        replicas: 2,
        security_groups: expected_groups,
        ..spec()
    };
    assert_eq!(observed, expected);
}

#[tokio::test]
async fn observe_reports_a_new_major_version() {
    let mut current = spec();
    current.engine_version = "7".into();
    let describe = describe("available", 2);
    let member = describe_member("8.0.1", &[SG]);
    let tags = tags_of(OWNER);
    let clients = clients(&Mocks {
        elasticache: vec![&describe, &member, &tags],
        ..Mocks::default()
    });
    let observed = observe(&clients, &current).await.unwrap().unwrap();
    assert_eq!(observed.engine_version, "8");
}

#[tokio::test]
async fn observe_without_member_clusters_keeps_what_it_cannot_read() {
    // The group names members the cluster listing lacks (a group still being built).
    let describe = describe("available", 2);
    let member = mock!(Client::describe_cache_clusters)
        .then_output(|| DescribeCacheClustersOutput::builder().build());
    let tags = tags_of(OWNER);
    let clients = clients(&Mocks {
        elasticache: vec![&describe, &member, &tags],
        ..Mocks::default()
    });
    let observed = observe(&clients, &spec()).await.unwrap().unwrap();
    assert_eq!(observed, spec());
}

#[tokio::test]
async fn observe_of_a_deleting_or_absent_group_is_none() {
    let describe = mock!(Client::describe_replication_groups)
        .sequence()
        .output(|| describe_output(group("deleting", 2)))
        .output(|| DescribeReplicationGroupsOutput::builder().build())
        .build();
    let clients = clients(&Mocks {
        elasticache: vec![&describe],
        ..Mocks::default()
    });
    assert_eq!(observe(&clients, &spec()).await, Ok(None));
    assert_eq!(observe(&clients, &spec()).await, Ok(None));
}

#[tokio::test]
async fn facts_carry_endpoints_and_the_full_version() {
    let describe = describe("available", 2);
    let member = describe_member("8.0.1", &[SG]);
    let clients = clients(&Mocks {
        elasticache: vec![&describe, &member],
        ..Mocks::default()
    });
    let facts = replication_group_facts(&clients.elasticache, ID)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        facts,
        ReplicationGroupFacts {
            arn: ARN.into(),
            primary_endpoint: PRIMARY.into(),
            reader_endpoint: READER.into(),
            port: 6379,
            engine_version: "8.0.1".into(),
            status: "available".into(),
        }
    );
}

// adoption

#[tokio::test(start_paused = true)]
async fn create_adopts_an_owned_group_and_brings_it_to_the_spec() {
    let _ = Scenario::Adoption;
    let describe = describe("available", 2);
    let member = describe_member("8.0.1", &[SG]);
    let tags = tags_of(OWNER);
    let mut desired = spec();
    desired.node_type = "cache.m7g.large".into();
    let modify = mock!(Client::modify_replication_group)
        .match_requests(|r| r.cache_node_type() == Some("cache.m7g.large"))
        .then_output(|| ModifyReplicationGroupOutput::builder().build());
    let create = mock!(Client::create_replication_group)
        .then_output(|| CreateReplicationGroupOutput::builder().build());
    let clients = clients(&Mocks {
        elasticache: vec![&describe, &member, &tags, &modify, &create],
        ..Mocks::default()
    });
    let id = create_replication_group(&clients, &desired, &ids())
        .await
        .unwrap();
    assert_eq!(id, ID);
    assert_eq!(modify.num_calls(), 1);
    assert_eq!(create.num_calls(), 0);
    assert_eq!(find(&clients, &desired).await, Ok(Some(ID.to_string())));
}

#[tokio::test(start_paused = true)]
async fn create_refuses_a_group_someone_else_owns() {
    let describe = describe("available", 2);
    let tags = tags_of("environment/other");
    let create = mock!(Client::create_replication_group)
        .then_output(|| CreateReplicationGroupOutput::builder().build());
    let clients = clients(&Mocks {
        elasticache: vec![&describe, &tags, &create],
        ..Mocks::default()
    });
    let error = create_replication_group(&clients, &spec(), &ids())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, AwsError::Api { code, message } if code == "NameTaken" && message.contains(ID)),
        "{error}"
    );
    assert_eq!(create.num_calls(), 0);
    assert_eq!(find(&clients, &spec()).await, Ok(None));
}

#[tokio::test(start_paused = true)]
async fn create_waits_out_an_owned_group_being_deleted() {
    let describe = mock!(Client::describe_replication_groups)
        .sequence()
        .output(|| describe_output(group("deleting", 2)))
        .output(|| describe_output(group("deleting", 2)))
        .http_response(not_found)
        .output(|| describe_output(group("available", 2)))
        .build();
    let tags = tags_of(OWNER);
    let create = mock!(Client::create_replication_group)
        .then_output(|| CreateReplicationGroupOutput::builder().build());
    let secret = secret();
    let clients = clients(&Mocks {
        elasticache: vec![&describe, &tags, &create],
        secretsmanager: vec![&secret],
        ..Mocks::default()
    });
    let id = create_replication_group(&clients, &spec(), &ids())
        .await
        .unwrap();
    assert_eq!(id, ID);
    assert_eq!(create.num_calls(), 1);
    assert_eq!(describe.num_calls(), 4);
}

#[tokio::test(start_paused = true)]
async fn a_create_race_adopts_the_winner() {
    let absent = mock!(Client::describe_replication_groups)
        .sequence()
        .http_response(not_found)
        .build();
    let describe_after = describe("available", 2);
    let member = describe_member("8.0.1", &[SG]);
    let tags = tags_of(OWNER);
    let create = mock!(Client::create_replication_group)
        .then_http_response(|| query_error("ReplicationGroupAlreadyExists", 400));
    let secret = secret();
    let clients = clients(&Mocks {
        elasticache: vec![&absent, &describe_after, &member, &tags, &create],
        secretsmanager: vec![&secret],
        ..Mocks::default()
    });
    let id = create_replication_group(&clients, &spec(), &ids())
        .await
        .unwrap();
    assert_eq!(id, ID);
    assert_eq!(create.num_calls(), 1);
}
