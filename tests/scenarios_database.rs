//! RDS instances and parameter groups and Secrets Manager secrets against mocked SDK
//! responses: what the emulator cannot show (pending states, PendingModifiedValues,
//! deletion protection, static parameters, scheduled deletion) and the exact requests sent.

mod common;

use common::{clients, Mocks};

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_mocks::{mock, MockResponse, Rule};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

use terraform_provider_platform::apply::IdMap;
use terraform_provider_platform::aws::common::reads::Reads;
use terraform_provider_platform::aws::error::AwsError;
use terraform_provider_platform::aws::kind::{AwsKind, Cx};
use terraform_provider_platform::aws::rds::{db_instance, db_parameter_group};
use terraform_provider_platform::aws::secretsmanager::secret;
use terraform_provider_platform::aws::AwsClients;

use terraform_provider_platform::aws::ec2::elastic_ip::ElasticIpSpec;
use terraform_provider_platform::aws::rds::db_instance::DbInstanceSpec;
use terraform_provider_platform::aws::rds::db_parameter_group::DbParameterGroupSpec;
use terraform_provider_platform::aws::secretsmanager::secret::{SecretContent, SecretSpec};
use terraform_provider_platform::plan::ledger::{Ledger, Recorded};
use terraform_provider_platform::plan::node::*;

/// The scenarios this file covers, one test each (or more where noted).
#[derive(Debug)]
enum Scenario {
    InstanceCreateRequestAndWait,
    InstanceModifyOnlyChanged,
    InstancePendingModifiedValues,
    InstanceEngineVersionObserve,
    InstanceDeleteWithFinalSnapshot,
    InstanceDeletionProtected,
    ParameterGroupStaticParameters,
    ParameterGroupDeleteInUse,
    ConnectionSecretComposed,
    ConnectionSecretOutOfSync,
    CacheSecretComposed,
    SecretDeleteForceOrWindow,
    SecretRestoredFromScheduledDeletion,
    GeneratedSecretRotation,
}

const OWNER: &str = "environment/test";
const IDENTIFIER: &str = "main-db";
const INSTANCE_ARN: &str = "arn:aws:rds:us-east-1:123456789012:db:main-db";
const SUBNET_GROUP: &str = "main-db-subnets";
const PARAMETER_GROUP: &str = "main-db-params";
const SECURITY_GROUP: &str = "sg-0123456789abcdef0";
const HOST: &str = "main-db.abcdefghij.us-east-1.rds.amazonaws.com";
const MASTER_SECRET_ARN: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1234-abcdef";
const SECRET_NAME: &str = "platform/test/database";
const SECRET_ARN: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:platform/test/database-AbCdEf";
/// Characters a URL's userinfo cannot hold as they are.
const PASSWORD: &str = "p@ss:w/rd%#?&x";

/// An error as the query protocol (RDS, ElastiCache) sends it.
fn query_error(code: &str, status: u16, message: &str) -> HttpResponse {
    let body = format!(
        "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
    );
    HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body))
}

/// An error as the JSON protocol (Secrets Manager) sends it.
fn json_error(code: &str) -> HttpResponse {
    let body = format!(r#"{{"__type":"{code}","message":"mocked {code}"}}"#);
    HttpResponse::new(StatusCode::try_from(400).unwrap(), SdkBody::from(body))
}

fn owner_tags(key: &NodeKey) -> Tags {
    [
        ("platform:managed-by", "terraform-provider-platform"),
        ("platform:owner", OWNER),
        ("platform:node", key.as_str()),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// An IdMap knowing the given children.
fn ids(pairs: &[(NodeKey, &str)]) -> IdMap {
    let mut ledger = Ledger::new();
    for (key, id) in pairs {
        ledger.children.insert(
            key.clone(),
            Recorded {
                refs: Default::default(),
                id: id.to_string(),
                observed: ChildSpec::ElasticIp(ElasticIpSpec { tags: Tags::new() }),
            },
        );
    }
    IdMap::from_ledger(&ledger)
}

/// Observes `id` as a refresh does (through the kind, with reads of its own).
async fn observe<K: AwsKind>(
    clients: &AwsClients,
    ids: &IdMap,
    id: &str,
    current: &K,
) -> Option<K> {
    let reads = Reads::new();
    let cx = Cx {
        clients,
        ids,
        reads: &reads,
    };
    K::observe(&cx, id, current).await.unwrap()
}

/// Keeps the last request a rule saw.
#[derive(Clone)]
struct Seen<T>(Arc<Mutex<Option<T>>>);

impl<T: Clone> Seen<T> {
    fn new() -> Seen<T> {
        Seen(Arc::new(Mutex::new(None)))
    }
    fn put(&self, value: &T) {
        *self.0.lock().unwrap() = Some(value.clone());
    }
    fn get(&self) -> T {
        self.0.lock().unwrap().clone().expect("the call was made")
    }
}

// RDS instance

mod db {
    use super::*;
    pub use aws_sdk_rds::operation::{
        create_db_instance::{CreateDbInstanceInput, CreateDbInstanceOutput},
        create_db_parameter_group::CreateDbParameterGroupOutput,
        delete_db_instance::{DeleteDbInstanceInput, DeleteDbInstanceOutput},
        describe_db_instances::DescribeDbInstancesOutput,
        describe_db_parameter_groups::DescribeDbParameterGroupsOutput,
        list_tags_for_resource::ListTagsForResourceOutput,
        modify_db_instance::{ModifyDbInstanceInput, ModifyDbInstanceOutput},
        modify_db_parameter_group::{ModifyDbParameterGroupInput, ModifyDbParameterGroupOutput},
        reset_db_parameter_group::{ResetDbParameterGroupInput, ResetDbParameterGroupOutput},
    };
    pub use aws_sdk_rds::types::{
        DbInstance, DbParameterGroup, DbParameterGroupStatus, DbSubnetGroup, Endpoint,
        MasterUserSecret, PendingModifiedValues, Tag, VpcSecurityGroupMembership,
    };
    pub use aws_sdk_rds::Client;

    pub fn key() -> NodeKey {
        NodeKey::new(Kind::DbInstance, &["main"])
    }
    pub fn subnet_group_key() -> NodeKey {
        NodeKey::new(Kind::DbSubnetGroup, &["main"])
    }
    pub fn parameter_group_key() -> NodeKey {
        NodeKey::new(Kind::DbParameterGroup, &["main"])
    }
    pub fn security_group_key() -> NodeKey {
        NodeKey::new(Kind::SecurityGroup, &["database"])
    }

    pub fn ids() -> IdMap {
        super::ids(&[
            (subnet_group_key(), SUBNET_GROUP),
            (parameter_group_key(), PARAMETER_GROUP),
            (security_group_key(), SECURITY_GROUP),
            (key(), IDENTIFIER),
        ])
    }

    pub fn spec() -> DbInstanceSpec {
        DbInstanceSpec {
            identifier: IDENTIFIER.into(),
            engine: "postgres".into(),
            engine_version: "17".into(),
            allow_major_version_upgrade: false,
            instance_class: "db.t4g.micro".into(),
            database_name: "app".into(),
            master_username: "app".into(),
            subnet_group: subnet_group_key(),
            security_groups: vec![security_group_key()],
            parameter_group: parameter_group_key(),
            multi_az: false,
            storage_type: "gp3".into(),
            allocated_gib: 20,
            max_allocated_gib: 100,
            iops: None,
            kms_key_arn: None,
            backup_retention_days: 7,
            backup_window: Some("03:00-04:00".into()),
            maintenance_window: Some("sun:05:00-sun:06:00".into()),
            deletion_protection: false,
            final_snapshot: true,
            performance_insights: true,
            log_exports: vec!["postgresql".into(), "upgrade".into()],
            apply_immediately: false,
            extended_support: false,
            tags: owner_tags(&key()),
        }
    }

    /// The instance as RDS describes it for `spec`, at engine version 17.4.
    pub fn instance(spec: &DbInstanceSpec, status: &str) -> DbInstance {
        DbInstance::builder()
            .db_instance_identifier(&spec.identifier)
            .db_instance_arn(INSTANCE_ARN)
            .db_instance_status(status)
            .engine(&spec.engine)
            .engine_version("17.4")
            .db_instance_class(&spec.instance_class)
            .db_name(&spec.database_name)
            .master_username(&spec.master_username)
            .endpoint(Endpoint::builder().address(HOST).port(5432).build())
            .allocated_storage(spec.allocated_gib as i32)
            .max_allocated_storage(spec.max_allocated_gib as i32)
            .storage_type(&spec.storage_type)
            .iops(3000)
            .storage_encrypted(true)
            .kms_key_id("arn:aws:kms:us-east-1:123456789012:key/aws-rds-default")
            .multi_az(spec.multi_az)
            .backup_retention_period(spec.backup_retention_days as i32)
            .set_preferred_backup_window(spec.backup_window.clone())
            // RDS lower-cases windows; this one is already.
            .set_preferred_maintenance_window(spec.maintenance_window.clone())
            .deletion_protection(spec.deletion_protection)
            .performance_insights_enabled(spec.performance_insights)
            .set_enabled_cloudwatch_logs_exports(Some(spec.log_exports.clone()))
            .engine_lifecycle_support("open-source-rds-extended-support-disabled")
            .vpc_security_groups(
                VpcSecurityGroupMembership::builder()
                    .vpc_security_group_id(SECURITY_GROUP)
                    .status("active")
                    .build(),
            )
            .db_parameter_groups(
                DbParameterGroupStatus::builder()
                    .db_parameter_group_name(PARAMETER_GROUP)
                    .parameter_apply_status("in-sync")
                    .build(),
            )
            .db_subnet_group(
                DbSubnetGroup::builder()
                    .db_subnet_group_name(SUBNET_GROUP)
                    .build(),
            )
            .master_user_secret(
                MasterUserSecret::builder()
                    .secret_arn(MASTER_SECRET_ARN)
                    .secret_status("active")
                    .build(),
            )
            .set_tag_list(Some(
                spec.tags
                    .iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build())
                    .collect(),
            ))
            .build()
    }

    pub fn described(instance: DbInstance) -> DescribeDbInstancesOutput {
        DescribeDbInstancesOutput::builder()
            .db_instances(instance)
            .build()
    }

    pub fn not_found() -> HttpResponse {
        query_error("DBInstanceNotFound", 404, "DBInstance main-db not found.")
    }
}

#[tokio::test(start_paused = true)]
async fn instance_create_sends_managed_password_and_encryption_then_waits_for_available() {
    use db::*;
    let _ = Scenario::InstanceCreateRequestAndWait;
    let spec = spec();
    let (creating, available) = (instance(&spec, "creating"), instance(&spec, "available"));
    let describe = mock!(Client::describe_db_instances)
        .sequence()
        .http_response(not_found)
        .output(move || described(creating.clone()))
        .times(2)
        .output(move || described(available.clone()))
        .build();
    let seen = Seen::<CreateDbInstanceInput>::new();
    let seen_create = seen.clone();
    let created = instance(&spec, "creating");
    let create = mock!(Client::create_db_instance).then_compute_output(move |r| {
        seen_create.put(r);
        CreateDbInstanceOutput::builder()
            .db_instance(created.clone())
            .build()
    });
    let clients = clients(&Mocks {
        rds: vec![&describe, &create],
        ..Mocks::default()
    });
    let started = tokio::time::Instant::now();
    let id = db_instance::create_db_instance(&clients.rds, &spec, &ids())
        .await
        .expect("created");
    assert_eq!(id, IDENTIFIER);
    assert_eq!(
        describe.num_calls(),
        4,
        "one adopt check, then creating twice, then available"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "the wait backs off between polls: 1 s, then 2 s"
    );

    let r = seen.get();
    assert_eq!(r.db_instance_identifier(), Some(IDENTIFIER));
    assert_eq!(r.manage_master_user_password(), Some(true));
    assert_eq!(
        r.master_user_password(),
        None,
        "the password never passes through us"
    );
    assert_eq!(r.storage_encrypted(), Some(true));
    assert_eq!(r.kms_key_id(), None, "the AWS-managed key");
    assert_eq!(
        r.engine_lifecycle_support(),
        Some("open-source-rds-extended-support-disabled")
    );
    assert_eq!(
        r.engine_version(),
        Some("17"),
        "a bare major is accepted by RDS"
    );
    assert_eq!(r.db_subnet_group_name(), Some(SUBNET_GROUP));
    assert_eq!(r.db_parameter_group_name(), Some(PARAMETER_GROUP));
    assert_eq!(r.vpc_security_group_ids(), [SECURITY_GROUP]);
    assert_eq!(r.max_allocated_storage(), Some(100));
    assert_eq!(r.iops(), None);
    assert_eq!(r.enable_performance_insights(), Some(true));
    assert_eq!(r.performance_insights_retention_period(), Some(7));
    assert_eq!(
        r.enable_cloudwatch_logs_exports(),
        ["postgresql", "upgrade"]
    );
    assert_eq!(r.copy_tags_to_snapshot(), Some(true));
    assert_eq!(r.auto_minor_version_upgrade(), Some(true));
    assert_eq!(r.publicly_accessible(), Some(false));
    assert!(r
        .tags()
        .iter()
        .any(|t| t.key() == Some("platform:owner") && t.value() == Some(OWNER)));
}

#[tokio::test(start_paused = true)]
async fn instance_create_with_extended_support_asks_for_it() {
    use db::*;
    let _ = Scenario::InstanceCreateRequestAndWait;
    let mut spec = spec();
    spec.extended_support = true;
    spec.kms_key_arn = Some("arn:aws:kms:us-east-1:123456789012:key/cmk".into());
    let available = instance(&spec, "available");
    let describe = mock!(Client::describe_db_instances)
        .sequence()
        .http_response(not_found)
        .output(move || described(available.clone()))
        .repeatedly()
        .build();
    let create = mock!(Client::create_db_instance)
        .match_requests(|r| {
            r.engine_lifecycle_support() == Some("open-source-rds-extended-support")
                && r.kms_key_id() == Some("arn:aws:kms:us-east-1:123456789012:key/cmk")
        })
        .then_output(|| CreateDbInstanceOutput::builder().build());
    let clients = clients(&Mocks {
        rds: vec![&describe, &create],
        ..Mocks::default()
    });
    db_instance::create_db_instance(&clients.rds, &spec, &ids())
        .await
        .expect("created");
    assert_eq!(create.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn instance_modify_sends_only_changed_fields_and_no_engine_version_for_a_minor() {
    use db::*;
    let _ = Scenario::InstanceModifyOnlyChanged;
    let mut current = spec();
    current.engine_version = "17.4".into();
    let mut desired = spec();
    desired.instance_class = "db.t4g.small".into();
    desired.apply_immediately = true;
    let (modifying, available) = (
        instance(&desired, "modifying"),
        instance(&desired, "available"),
    );
    let describe = mock!(Client::describe_db_instances)
        .sequence()
        .output(move || described(modifying.clone()))
        .output(move || described(available.clone()))
        .build();
    let seen = Seen::<ModifyDbInstanceInput>::new();
    let seen_modify = seen.clone();
    let modify = mock!(Client::modify_db_instance).then_compute_output(move |r| {
        seen_modify.put(r);
        ModifyDbInstanceOutput::builder().build()
    });
    let add_tags = mock!(Client::add_tags_to_resource).then_output(|| {
        aws_sdk_rds::operation::add_tags_to_resource::AddTagsToResourceOutput::builder().build()
    });
    let clients = clients(&Mocks {
        rds: vec![&describe, &modify, &add_tags],
        ..Mocks::default()
    });
    let id = db_instance::update_db_instance(&clients.rds, IDENTIFIER, &current, &desired, &ids())
        .await
        .expect("updated");
    assert_eq!(id, IDENTIFIER);
    assert_eq!(
        describe.num_calls(),
        2,
        "waits through modifying to available"
    );
    assert_eq!(add_tags.num_calls(), 0, "tags did not change");
    let r = seen.get();
    let expected = ModifyDbInstanceInput::builder()
        .db_instance_identifier(IDENTIFIER)
        .db_instance_class("db.t4g.small")
        .apply_immediately(true)
        .build()
        .unwrap();
    assert_eq!(
        r, expected,
        "only the class changes; 17 is satisfied by 17.4"
    );
}

#[tokio::test(start_paused = true)]
async fn instance_modify_major_upgrade_needs_permission() {
    use db::*;
    let _ = Scenario::InstanceModifyOnlyChanged;
    let current = spec();
    let mut desired = spec();
    desired.engine_version = "18".into();
    let seen = Seen::<ModifyDbInstanceInput>::new();
    let seen_modify = seen.clone();
    let modify = mock!(Client::modify_db_instance).then_compute_output(move |r| {
        seen_modify.put(r);
        ModifyDbInstanceOutput::builder().build()
    });
    let available = instance(&desired, "available");
    let describe =
        mock!(Client::describe_db_instances).then_output(move || described(available.clone()));
    let clients = clients(&Mocks {
        rds: vec![&describe, &modify],
        ..Mocks::default()
    });
    let refused =
        db_instance::update_db_instance(&clients.rds, IDENTIFIER, &current, &desired, &ids())
            .await
            .expect_err("a major upgrade needs allow_major_version_upgrade");
    assert!(
        refused
            .to_string()
            .contains("allow_major_version_upgrade = true"),
        "{refused}"
    );
    assert_eq!(modify.num_calls(), 0);

    desired.allow_major_version_upgrade = true;
    db_instance::update_db_instance(&clients.rds, IDENTIFIER, &current, &desired, &ids())
        .await
        .expect("updated");
    let r = seen.get();
    assert_eq!(r.engine_version(), Some("18"));
    assert_eq!(r.allow_major_version_upgrade(), Some(true));
    assert_eq!(r.db_instance_class(), None);
}

#[tokio::test(start_paused = true)]
async fn instance_observe_counts_pending_modifications_as_made() {
    use db::*;
    let _ = Scenario::InstancePendingModifiedValues;
    let mut desired = spec();
    desired.instance_class = "db.r6g.large".into();
    desired.allocated_gib = 50;
    desired.multi_az = true;
    desired.engine_version = "17.5".into();
    desired.backup_retention_days = 14;
    desired.storage_type = "io2".into();
    desired.iops = Some(4000);
    // RDS still runs the old values and reports the new ones as pending.
    let live = {
        let mut i = instance(&spec(), "available");
        i.pending_modified_values = Some(
            PendingModifiedValues::builder()
                .db_instance_class("db.r6g.large")
                .allocated_storage(50)
                .multi_az(true)
                .engine_version("17.5")
                .backup_retention_period(14)
                .storage_type("io2")
                .iops(4000)
                .build(),
        );
        i
    };
    let describe =
        mock!(Client::describe_db_instances).then_output(move || described(live.clone()));
    let clients = clients(&Mocks {
        rds: vec![&describe],
        ..Mocks::default()
    });
    let observed = observe(&clients, &ids(), IDENTIFIER, &desired)
        .await
        .expect("exists");
    assert_eq!(
        observed, desired,
        "a change waiting for the maintenance window is no diff"
    );
}

#[tokio::test(start_paused = true)]
async fn instance_observe_follows_minor_upgrades_of_a_bare_major() {
    use db::*;
    let _ = Scenario::InstanceEngineVersionObserve;
    let live = instance(&spec(), "available");
    let describe =
        mock!(Client::describe_db_instances).then_output(move || described(live.clone()));
    let clients = clients(&Mocks {
        rds: vec![&describe],
        ..Mocks::default()
    });
    let observe = |version: &str| {
        let mut current = spec();
        current.engine_version = version.into();
        let clients = &clients;
        async move {
            observe(clients, &ids(), IDENTIFIER, &current)
                .await
                .expect("exists")
                .engine_version
        }
    };
    assert_eq!(observe("17").await, "17", "17.4 is one of 17's minors");
    assert_eq!(
        observe("17.2").await,
        "17.4",
        "a pinned minor shows the live version"
    );
    assert_eq!(
        observe("16").await,
        "17.4",
        "another major shows the live version"
    );
    // And the rest of a live instance matching the spec reads back as the spec.
    let observed = crate::observe(&clients, &ids(), IDENTIFIER, &spec())
        .await
        .unwrap();
    assert_eq!(observed, spec());
}

#[tokio::test(start_paused = true)]
async fn instance_delete_takes_a_timestamped_final_snapshot_and_waits_until_gone() {
    use db::*;
    let _ = Scenario::InstanceDeleteWithFinalSnapshot;
    let spec = spec();
    let (available, deleting) = (instance(&spec, "available"), instance(&spec, "deleting"));
    let describe = mock!(Client::describe_db_instances)
        .sequence()
        .output(move || described(available.clone()))
        .output(move || described(deleting.clone()))
        .times(2)
        .http_response(not_found)
        .build();
    let seen = Seen::<DeleteDbInstanceInput>::new();
    let seen_delete = seen.clone();
    let delete = mock!(Client::delete_db_instance).then_compute_output(move |r| {
        seen_delete.put(r);
        DeleteDbInstanceOutput::builder().build()
    });
    let clients = clients(&Mocks {
        rds: vec![&describe, &delete],
        ..Mocks::default()
    });
    db_instance::delete_db_instance(&clients.rds, IDENTIFIER, &spec)
        .await
        .expect("deleted");
    assert_eq!(describe.num_calls(), 4, "polls until DBInstanceNotFound");
    let r = seen.get();
    assert_eq!(r.skip_final_snapshot(), Some(false));
    assert_eq!(r.delete_automated_backups(), Some(false));
    let snapshot = r.final_db_snapshot_identifier().expect("a snapshot name");
    let stamp = snapshot
        .strip_prefix("main-db-final-")
        .unwrap_or_else(|| panic!("{snapshot} names the instance"));
    assert_eq!(stamp.len(), 14, "yyyymmddHHMMSS: {snapshot}");
    assert!(stamp.bytes().all(|b| b.is_ascii_digit()), "{snapshot}");
    assert!(stamp.starts_with("20"), "{snapshot}");
}

#[tokio::test(start_paused = true)]
async fn instance_delete_without_final_snapshot_skips_it_and_absence_is_success() {
    use db::*;
    let _ = Scenario::InstanceDeleteWithFinalSnapshot;
    let mut spec = spec();
    spec.final_snapshot = false;
    let available = instance(&spec, "available");
    let describe = mock!(Client::describe_db_instances)
        .sequence()
        .output(move || described(available.clone()))
        .http_response(not_found)
        .repeatedly()
        .build();
    let delete = mock!(Client::delete_db_instance)
        .match_requests(|r| {
            r.skip_final_snapshot() == Some(true) && r.final_db_snapshot_identifier().is_none()
        })
        .then_output(|| DeleteDbInstanceOutput::builder().build());
    let clients = clients(&Mocks {
        rds: vec![&describe, &delete],
        ..Mocks::default()
    });
    db_instance::delete_db_instance(&clients.rds, IDENTIFIER, &spec)
        .await
        .expect("deleted");
    db_instance::delete_db_instance(&clients.rds, IDENTIFIER, &spec)
        .await
        .expect("already gone");
    assert_eq!(delete.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn instance_delete_refuses_while_deletion_protection_is_on() {
    use db::*;
    let _ = Scenario::InstanceDeletionProtected;
    let mut spec = spec();
    spec.deletion_protection = true;
    let protected = instance(&spec, "available");
    let describe =
        mock!(Client::describe_db_instances).then_output(move || described(protected.clone()));
    let delete =
        mock!(Client::delete_db_instance).then_output(|| DeleteDbInstanceOutput::builder().build());
    let clients = clients(&Mocks {
        rds: vec![&describe, &delete],
        ..Mocks::default()
    });
    let refused = db_instance::delete_db_instance(&clients.rds, IDENTIFIER, &spec)
        .await
        .expect_err("protected");
    let message = refused.to_string();
    assert!(
        message.contains("deletion_protection = false") && message.contains(IDENTIFIER),
        "{message}"
    );
    assert!(matches!(refused, AwsError::Api { .. }), "not retried");
    assert_eq!(delete.num_calls(), 0);
}

// RDS parameter group

mod pg {
    pub use super::db::*;
    use super::*;

    pub const PG_ARN: &str = "arn:aws:rds:us-east-1:123456789012:pg:main-db-params";

    pub fn ids() -> IdMap {
        db::ids()
    }

    pub fn spec() -> DbParameterGroupSpec {
        DbParameterGroupSpec {
            name: PARAMETER_GROUP.into(),
            family: "postgres17".into(),
            description: "main database".into(),
            parameters: [
                ("log_min_duration_statement", "500"),
                ("shared_preload_libraries", "pg_stat_statements"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            tags: owner_tags(&parameter_group_key()),
        }
    }

    /// Who asked for what, as `name=method`.
    #[derive(Clone, Default)]
    pub struct Calls(pub Arc<Mutex<Vec<String>>>);

    impl Calls {
        pub fn get(&self) -> Vec<String> {
            self.0.lock().unwrap().clone()
        }
    }

    /// RDS refuses `immediate` for a static parameter (shared_preload_libraries).
    pub fn answer(calls: &Calls, parameters: &[aws_sdk_rds::types::Parameter]) -> bool {
        let names: Vec<String> = parameters
            .iter()
            .map(|p| {
                format!(
                    "{}={}",
                    p.parameter_name().unwrap(),
                    p.apply_method().unwrap().as_str()
                )
            })
            .collect();
        calls.0.lock().unwrap().push(names.join(","));
        !names
            .iter()
            .any(|n| n == "shared_preload_libraries=immediate")
    }

    pub fn static_refusal() -> HttpResponse {
        query_error(
            "InvalidParameterCombination",
            400,
            "cannot use immediate apply method for static parameter",
        )
    }
}

#[tokio::test(start_paused = true)]
async fn parameter_group_create_falls_back_to_pending_reboot_for_static_parameters() {
    use pg::*;
    let _ = Scenario::ParameterGroupStaticParameters;
    let describe = mock!(Client::describe_db_parameter_groups)
        .then_http_response(|| query_error("DBParameterGroupNotFound", 404, "not found"));
    let create = mock!(Client::create_db_parameter_group)
        .match_requests(|r| {
            r.db_parameter_group_family() == Some("postgres17")
                && r.tags().iter().any(|t| t.key() == Some("platform:owner"))
        })
        .then_output(|| {
            CreateDbParameterGroupOutput::builder()
                .db_parameter_group(
                    DbParameterGroup::builder()
                        .db_parameter_group_name(PARAMETER_GROUP)
                        .db_parameter_group_arn(PG_ARN)
                        .build(),
                )
                .build()
        });
    let calls = Calls::default();
    let c = calls.clone();
    let modify = mock!(Client::modify_db_parameter_group).then_compute_response(
        move |r: &ModifyDbParameterGroupInput| {
            if answer(&c, r.parameters()) {
                MockResponse::Output(ModifyDbParameterGroupOutput::builder().build())
            } else {
                MockResponse::Http(static_refusal())
            }
        },
    );
    let clients = clients(&Mocks {
        rds: vec![&describe, &create, &modify],
        ..Mocks::default()
    });
    let id = db_parameter_group::create_db_parameter_group(&clients.rds, &spec())
        .await
        .expect("created");
    assert_eq!(id, PARAMETER_GROUP);
    assert_eq!(
        calls.get(),
        [
            "log_min_duration_statement=immediate,shared_preload_libraries=immediate",
            "log_min_duration_statement=immediate",
            "shared_preload_libraries=immediate",
            "shared_preload_libraries=pending-reboot",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn parameter_group_update_modifies_changed_and_resets_removed_parameters() {
    use pg::*;
    let _ = Scenario::ParameterGroupStaticParameters;
    let current = spec();
    let mut desired = spec();
    desired.parameters.remove("shared_preload_libraries");
    desired
        .parameters
        .insert("log_min_duration_statement".into(), "1000".into());
    let calls = Calls::default();
    let (c1, c2) = (calls.clone(), calls.clone());
    let modify = mock!(Client::modify_db_parameter_group).then_compute_response(
        move |r: &ModifyDbParameterGroupInput| {
            assert!(answer(&c1, r.parameters()));
            MockResponse::Output(ModifyDbParameterGroupOutput::builder().build())
        },
    );
    let reset = mock!(Client::reset_db_parameter_group).then_compute_response(
        move |r: &ResetDbParameterGroupInput| {
            assert_eq!(r.reset_all_parameters(), Some(false));
            if answer(&c2, r.parameters()) {
                MockResponse::Output(ResetDbParameterGroupOutput::builder().build())
            } else {
                MockResponse::Http(static_refusal())
            }
        },
    );
    let clients = clients(&Mocks {
        rds: vec![&modify, &reset],
        ..Mocks::default()
    });
    db_parameter_group::update_db_parameter_group(
        &clients.rds,
        PARAMETER_GROUP,
        &current,
        &desired,
    )
    .await
    .expect("updated");
    assert_eq!(
        calls.get(),
        [
            "log_min_duration_statement=immediate",
            "shared_preload_libraries=immediate",
            "shared_preload_libraries=immediate",
            "shared_preload_libraries=pending-reboot",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn parameter_group_in_use_delete_is_retryable_and_absence_is_success() {
    use pg::*;
    let _ = Scenario::ParameterGroupDeleteInUse;
    let delete = mock!(Client::delete_db_parameter_group)
        .sequence()
        .http_response(|| query_error("InvalidDBParameterGroupState", 400, "in use"))
        .http_response(|| query_error("DBParameterGroupNotFound", 404, "gone"))
        .build();
    let clients = clients(&Mocks {
        rds: vec![&delete],
        ..Mocks::default()
    });
    let in_use = db_parameter_group::delete_db_parameter_group(&clients.rds, PARAMETER_GROUP)
        .await
        .expect_err("in use");
    assert!(
        matches!(in_use, AwsError::DependencyViolation { .. }),
        "{in_use:?}"
    );
    db_parameter_group::delete_db_parameter_group(&clients.rds, PARAMETER_GROUP)
        .await
        .expect("absence is success");
}

#[tokio::test(start_paused = true)]
async fn parameter_group_observe_reads_only_the_parameters_the_spec_sets() {
    use pg::*;
    let _ = Scenario::ParameterGroupStaticParameters;
    let describe = mock!(Client::describe_db_parameter_groups).then_output(|| {
        DescribeDbParameterGroupsOutput::builder()
            .db_parameter_groups(
                DbParameterGroup::builder()
                    .db_parameter_group_name(PARAMETER_GROUP)
                    .db_parameter_group_family("postgres17")
                    .description("main database")
                    .db_parameter_group_arn(PG_ARN)
                    .build(),
            )
            .build()
    });
    let tags = mock!(Client::list_tags_for_resource)
        .match_requests(|r| r.resource_name() == Some(PG_ARN))
        .then_output(|| {
            ListTagsForResourceOutput::builder()
                .set_tag_list(Some(
                    owner_tags(&parameter_group_key())
                        .iter()
                        .map(|(k, v)| Tag::builder().key(k).value(v).build())
                        .collect(),
                ))
                .build()
        });
    let parameter = |name: &str, value: &str| {
        aws_sdk_rds::types::Parameter::builder()
            .parameter_name(name)
            .parameter_value(value)
            .build()
    };
    // Two pages; one parameter someone else set, one of ours changed out of band.
    let page1 = parameter("log_min_duration_statement", "250");
    let page2 = (
        parameter("shared_preload_libraries", "pg_stat_statements"),
        parameter("work_mem", "64MB"),
    );
    let parameters = mock!(Client::describe_db_parameters)
        .match_requests(|r| r.source() == Some("user"))
        .sequence()
        .output(move || {
            aws_sdk_rds::operation::describe_db_parameters::DescribeDbParametersOutput::builder()
                .parameters(page1.clone())
                .marker("page2")
                .build()
        })
        .output(move || {
            aws_sdk_rds::operation::describe_db_parameters::DescribeDbParametersOutput::builder()
                .parameters(page2.0.clone())
                .parameters(page2.1.clone())
                .build()
        })
        .build();
    let clients = clients(&Mocks {
        rds: vec![&describe, &tags, &parameters],
        ..Mocks::default()
    });
    let observed = observe(&clients, &ids(), PARAMETER_GROUP, &spec())
        .await
        .expect("exists");
    let mut expected = spec();
    expected
        .parameters
        .insert("log_min_duration_statement".into(), "250".into());
    assert_eq!(observed, expected);
}

// Secrets

mod sm {
    use super::*;
    pub use aws_sdk_secretsmanager::operation::{
        create_secret::{CreateSecretInput, CreateSecretOutput},
        delete_secret::{DeleteSecretInput, DeleteSecretOutput},
        describe_secret::DescribeSecretOutput,
        get_random_password::GetRandomPasswordOutput,
        get_secret_value::GetSecretValueOutput,
        list_secrets::ListSecretsOutput,
        put_secret_value::{PutSecretValueInput, PutSecretValueOutput},
        restore_secret::RestoreSecretOutput,
    };
    pub use aws_sdk_secretsmanager::types::{FilterNameStringType, SecretListEntry, Tag};
    pub use aws_sdk_secretsmanager::Client;

    pub fn key() -> NodeKey {
        NodeKey::new(Kind::Secret, &["database"])
    }

    pub fn spec(content: SecretContent) -> SecretSpec {
        SecretSpec {
            name: SECRET_NAME.into(),
            description: "connection to the main database".into(),
            kms_key_arn: None,
            content,
            in_sync: true,
            recovery_window_days: 7,
            tags: owner_tags(&key()),
        }
    }

    pub fn database() -> SecretContent {
        SecretContent::DatabaseConnection {
            instance: db::key(),
            database_name: "app".into(),
        }
    }

    pub fn described(spec: &SecretSpec) -> DescribeSecretOutput {
        DescribeSecretOutput::builder()
            .arn(SECRET_ARN)
            .name(&spec.name)
            .description(&spec.description)
            .version_ids_to_stages("v1", vec!["AWSCURRENT".to_string()])
            .set_tags(Some(
                spec.tags
                    .iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build())
                    .collect(),
            ))
            .build()
    }

    /// ListSecrets of the environment's prefix, finding `spec`'s secret.
    pub fn listed(spec: &SecretSpec) -> Rule {
        let entry = SecretListEntry::builder()
            .arn(SECRET_ARN)
            .name(&spec.name)
            .description(&spec.description)
            .secret_versions_to_stages("v1", vec!["AWSCURRENT".to_string()])
            .set_tags(Some(
                spec.tags
                    .iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build())
                    .collect(),
            ))
            .build();
        mock!(Client::list_secrets)
            .match_requests(|r| {
                r.filters().len() == 1
                    && r.filters()[0].key() == Some(&FilterNameStringType::Name)
                    && r.filters()[0].values() == ["platform/test/"]
            })
            .then_output(move || {
                ListSecretsOutput::builder()
                    .secret_list(entry.clone())
                    .build()
            })
    }

    pub fn value_of(secret_id: &'static str, value: String) -> Rule {
        mock!(Client::get_secret_value)
            .match_requests(move |r| r.secret_id() == Some(secret_id))
            .then_output(move || {
                GetSecretValueOutput::builder()
                    .arn(secret_id)
                    .secret_string(value.clone())
                    .build()
            })
    }

    pub fn master_secret(password: &str) -> Rule {
        value_of(
            MASTER_SECRET_ARN,
            serde_json::json!({"username": "app", "password": password}).to_string(),
        )
    }

    pub fn rds_instance() -> Rule {
        let live = db::instance(&db::spec(), "available");
        mock!(aws_sdk_rds::Client::describe_db_instances)
            .match_requests(|r| r.db_instance_identifier() == Some(IDENTIFIER))
            .then_output(move || db::described(live.clone()))
    }

    pub fn expected_json(password: &str) -> serde_json::Value {
        serde_json::json!({
            "url": format!(
                "postgresql://app:{}@{HOST}:5432/app?sslmode=require",
                "p%40ss%3Aw%2Frd%25%23%3F%26x"
            ),
            "host": HOST,
            "port": 5432,
            "dbname": "app",
            "username": "app",
            "password": password,
        })
    }
}

#[tokio::test(start_paused = true)]
async fn connection_secret_composes_json_with_an_encoded_url() {
    use sm::*;
    let _ = Scenario::ConnectionSecretComposed;
    let describe = mock!(Client::describe_secret)
        .then_http_response(|| json_error("ResourceNotFoundException"));
    let master = master_secret(PASSWORD);
    let seen = Seen::<CreateSecretInput>::new();
    let seen_create = seen.clone();
    let create = mock!(Client::create_secret).then_compute_output(move |r| {
        seen_create.put(r);
        CreateSecretOutput::builder()
            .arn(SECRET_ARN)
            .name(SECRET_NAME)
            .build()
    });
    let instance = rds_instance();
    let clients = clients(&Mocks {
        rds: vec![&instance],
        secretsmanager: vec![&describe, &master, &create],
        ..Mocks::default()
    });
    let arn = secret::create_secret(&clients, &spec(database()), &db::ids())
        .await
        .expect("created");
    assert_eq!(arn, SECRET_ARN, "the ledger ID is the ARN");
    let r = seen.get();
    assert_eq!(r.name(), Some(SECRET_NAME));
    assert!(r.tags().iter().any(|t| t.key() == Some("platform:node")));
    let stored: serde_json::Value = serde_json::from_str(r.secret_string().unwrap()).unwrap();
    assert_eq!(stored, expected_json(PASSWORD));
    assert!(stored["port"].is_number());
}

#[tokio::test(start_paused = true)]
async fn connection_secret_is_out_of_sync_after_the_master_password_changed() {
    use sm::*;
    let _ = Scenario::ConnectionSecretOutOfSync;
    let spec = spec(database());
    let list = listed(&spec);
    // Ours still holds the old password; RDS rotated the master secret since.
    let ours = value_of(SECRET_ARN, expected_json(PASSWORD).to_string());
    let rotated = master_secret("rotated-Secret!1");
    let seen = Seen::<PutSecretValueInput>::new();
    let seen_put = seen.clone();
    let put = mock!(Client::put_secret_value).then_compute_output(move |r| {
        seen_put.put(r);
        PutSecretValueOutput::builder().arn(SECRET_ARN).build()
    });
    let instance = rds_instance();
    let clients = clients(&Mocks {
        rds: vec![&instance],
        secretsmanager: vec![&list, &ours, &rotated, &put],
        ..Mocks::default()
    });
    let observed = secret::observe_secret(&clients, &Reads::new(), SECRET_ARN, &spec, &db::ids())
        .await
        .unwrap()
        .expect("exists");
    assert!(!observed.in_sync);
    let mut in_sync = observed.clone();
    in_sync.in_sync = true;
    assert_eq!(in_sync, spec, "only in_sync differs");

    // The update rewrites the value from the rotated master secret.
    secret::update_secret(&clients, SECRET_ARN, &observed, &spec, &db::ids())
        .await
        .expect("updated");
    let written: serde_json::Value =
        serde_json::from_str(seen.get().secret_string().unwrap()).unwrap();
    assert_eq!(written["password"], "rotated-Secret!1");
    assert_eq!(
        written["url"],
        format!("postgresql://app:rotated-Secret%211@{HOST}:5432/app?sslmode=require")
    );
}

#[tokio::test(start_paused = true)]
async fn connection_secret_is_in_sync_when_values_match_and_out_when_the_source_is_gone() {
    use sm::*;
    let _ = Scenario::ConnectionSecretOutOfSync;
    let spec = spec(database());
    let list = listed(&spec);
    // Stored with other key order and spacing: still the same JSON.
    let stored = serde_json::to_string_pretty(&expected_json(PASSWORD)).unwrap();
    let ours = value_of(SECRET_ARN, stored);
    let master = master_secret(PASSWORD);
    let instance = rds_instance();
    let clients = clients(&Mocks {
        rds: vec![&instance],
        secretsmanager: vec![&list, &ours, &master],
        ..Mocks::default()
    });
    let observed = secret::observe_secret(&clients, &Reads::new(), SECRET_ARN, &spec, &db::ids())
        .await
        .unwrap()
        .expect("exists");
    assert_eq!(observed, spec);

    let gone = mock!(aws_sdk_rds::Client::describe_db_instances).then_http_response(db::not_found);
    let clients_without_db = self::clients(&Mocks {
        rds: vec![&gone],
        secretsmanager: vec![&list, &ours, &master],
        ..Mocks::default()
    });
    let observed = secret::observe_secret(
        &clients_without_db,
        &Reads::new(),
        SECRET_ARN,
        &spec,
        &db::ids(),
    )
    .await
    .unwrap()
    .expect("exists");
    assert!(!observed.in_sync, "the instance is gone");
}

#[tokio::test(start_paused = true)]
async fn cache_secret_composes_a_rediss_url_from_the_auth_token() {
    use sm::*;
    let _ = Scenario::CacheSecretComposed;
    const TOKEN_ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:token-XyZ";
    let group_key = NodeKey::new(Kind::ReplicationGroup, &["main"]);
    let token_key = NodeKey::new(Kind::Secret, &["cache-token"]);
    let content = SecretContent::CacheConnection {
        replication_group: group_key.clone(),
        auth_token: token_key.clone(),
    };
    let describe = mock!(Client::describe_secret)
        .then_http_response(|| json_error("ResourceNotFoundException"));
    let token = value_of(TOKEN_ARN, "tok/en+1".into());
    let seen = Seen::<CreateSecretInput>::new();
    let seen_create = seen.clone();
    let create = mock!(Client::create_secret).then_compute_output(move |r| {
        seen_create.put(r);
        CreateSecretOutput::builder().arn(SECRET_ARN).build()
    });
    let group = mock!(aws_sdk_elasticache::Client::describe_replication_groups)
        .match_requests(|r| r.replication_group_id() == Some("main-cache"))
        .then_output(|| {
            use aws_sdk_elasticache::types::{Endpoint, NodeGroup, ReplicationGroup};
            aws_sdk_elasticache::operation::describe_replication_groups::DescribeReplicationGroupsOutput::builder()
                .replication_groups(
                    ReplicationGroup::builder()
                        .replication_group_id("main-cache")
                        .node_groups(
                            NodeGroup::builder()
                                .primary_endpoint(
                                    Endpoint::builder()
                                        .address("master.main-cache.abc.use1.cache.amazonaws.com")
                                        .port(6379)
                                        .build(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build()
        });
    let clients = clients(&Mocks {
        elasticache: vec![&group],
        secretsmanager: vec![&describe, &token, &create],
        ..Mocks::default()
    });
    let ids = ids(&[(group_key, "main-cache"), (token_key, TOKEN_ARN)]);
    secret::create_secret(&clients, &spec(content), &ids)
        .await
        .expect("created");
    let stored: serde_json::Value =
        serde_json::from_str(seen.get().secret_string().unwrap()).unwrap();
    assert_eq!(
        stored,
        serde_json::json!({
            "url": "rediss://:tok%2Fen%2B1@master.main-cache.abc.use1.cache.amazonaws.com:6379",
            "host": "master.main-cache.abc.use1.cache.amazonaws.com",
            "port": 6379,
            "auth_token": "tok/en+1",
        })
    );
}

#[tokio::test(start_paused = true)]
async fn random_token_secret_is_made_once_without_punctuation() {
    use sm::*;
    let _ = Scenario::ConnectionSecretComposed;
    let describe = mock!(Client::describe_secret)
        .then_http_response(|| json_error("ResourceNotFoundException"));
    let random = mock!(Client::get_random_password)
        .match_requests(|r| {
            r.password_length() == Some(48) && r.exclude_punctuation() == Some(true)
        })
        .then_output(|| {
            GetRandomPasswordOutput::builder()
                .random_password("abc123")
                .build()
        });
    let create = mock!(Client::create_secret)
        .match_requests(|r| r.secret_string() == Some("abc123"))
        .then_output(|| CreateSecretOutput::builder().arn(SECRET_ARN).build());
    let clients = clients(&Mocks {
        secretsmanager: vec![&describe, &random, &create],
        ..Mocks::default()
    });
    let spec = spec(SecretContent::RandomToken { length: 48 });
    secret::create_secret(&clients, &spec, &IdMap::default())
        .await
        .expect("created");
    assert_eq!(create.num_calls(), 1);
    // A changed length does not rotate a token that exists.
    let mut longer = spec.clone();
    longer.content = SecretContent::RandomToken { length: 64 };
    secret::update_secret(&clients, SECRET_ARN, &spec, &longer, &IdMap::default())
        .await
        .expect("updated");
    assert_eq!(random.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn secret_delete_forces_at_zero_days_and_clamps_the_window_otherwise() {
    use sm::*;
    let _ = Scenario::SecretDeleteForceOrWindow;
    let live = described(&spec(database()));
    let describe = mock!(Client::describe_secret).then_output(move || live.clone());
    let seen = Seen::<DeleteSecretInput>::new();
    let seen_delete = seen.clone();
    let delete = mock!(Client::delete_secret).then_compute_output(move |r| {
        seen_delete.put(r);
        DeleteSecretOutput::builder().arn(SECRET_ARN).build()
    });
    let clients = clients(&Mocks {
        secretsmanager: vec![&describe, &delete],
        ..Mocks::default()
    });
    let with_days = |days| {
        let mut s = spec(database());
        s.recovery_window_days = days;
        s
    };
    for (days, force, window) in [
        (0, Some(true), None),
        (3, None, Some(7)),
        (14, None, Some(14)),
        (45, None, Some(30)),
    ] {
        secret::delete_secret(&clients.secretsmanager, SECRET_ARN, &with_days(days))
            .await
            .expect("deleted");
        let r = seen.get();
        assert_eq!(r.secret_id(), Some(SECRET_ARN));
        assert_eq!(r.force_delete_without_recovery(), force, "{days} days");
        assert_eq!(r.recovery_window_in_days(), window, "{days} days");
    }

    let gone = mock!(Client::describe_secret)
        .then_http_response(|| json_error("ResourceNotFoundException"));
    let clients = self::clients(&Mocks {
        secretsmanager: vec![&gone, &delete],
        ..Mocks::default()
    });
    secret::delete_secret(&clients.secretsmanager, SECRET_ARN, &with_days(7))
        .await
        .expect("absence is success");
    assert_eq!(delete.num_calls(), 4);
}

#[tokio::test(start_paused = true)]
async fn create_restores_our_secret_scheduled_for_deletion_instead_of_creating_one() {
    use sm::*;
    let _ = Scenario::SecretRestoredFromScheduledDeletion;
    let spec = spec(SecretContent::RandomToken { length: 32 });
    let scheduled = {
        let mut d = described(&spec);
        d.deleted_date = Some(aws_smithy_types::DateTime::from_secs(1_800_000_000));
        d
    };
    let describe = mock!(Client::describe_secret)
        .match_requests(|r| r.secret_id() == Some(SECRET_NAME))
        .then_output(move || scheduled.clone());
    let restore = mock!(Client::restore_secret)
        .match_requests(|r| r.secret_id() == Some(SECRET_ARN))
        .then_output(|| RestoreSecretOutput::builder().arn(SECRET_ARN).build());
    let create = mock!(Client::create_secret).then_output(|| CreateSecretOutput::builder().build());
    let put =
        mock!(Client::put_secret_value).then_output(|| PutSecretValueOutput::builder().build());
    let random = mock!(Client::get_random_password).then_output(|| {
        GetRandomPasswordOutput::builder()
            .random_password("x")
            .build()
    });
    let clients = clients(&Mocks {
        secretsmanager: vec![&describe, &restore, &create, &put, &random],
        ..Mocks::default()
    });
    let arn = secret::create_secret(&clients, &spec, &IdMap::default())
        .await
        .expect("adopted");
    assert_eq!(arn, SECRET_ARN);
    assert_eq!(restore.num_calls(), 1);
    assert_eq!(create.num_calls(), 0, "no second secret");
    assert_eq!(put.num_calls(), 0, "the token it holds is kept");
    assert_eq!(random.num_calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn create_refuses_a_secret_someone_else_owns() {
    use sm::*;
    let _ = Scenario::SecretRestoredFromScheduledDeletion;
    let mut theirs = spec(SecretContent::RandomToken { length: 32 });
    theirs.tags = Tags::new();
    let described_theirs = described(&theirs);
    let describe = mock!(Client::describe_secret).then_output(move || described_theirs.clone());
    let create = mock!(Client::create_secret).then_output(|| CreateSecretOutput::builder().build());
    let clients = clients(&Mocks {
        secretsmanager: vec![&describe, &create],
        ..Mocks::default()
    });
    let refused = secret::create_secret(
        &clients,
        &spec(SecretContent::RandomToken { length: 32 }),
        &IdMap::default(),
    )
    .await
    .expect_err("name taken");
    assert!(refused.to_string().contains("does not own"), "{refused}");
    assert_eq!(create.num_calls(), 0);
}

fn generated(generation: u32, regenerate: bool) -> SecretContent {
    SecretContent::Generated {
        length: 48,
        generation,
        regenerate,
    }
}

#[tokio::test(start_paused = true)]
async fn a_generated_secret_gets_a_new_value_when_its_generation_grows_only() {
    use sm::*;
    let _ = Scenario::GeneratedSecretRotation;
    let random = mock!(Client::get_random_password)
        .match_requests(|r| {
            r.password_length() == Some(48) && r.exclude_punctuation() == Some(true)
        })
        .then_output(|| {
            GetRandomPasswordOutput::builder()
                .random_password("new-value")
                .build()
        });
    let put = mock!(Client::put_secret_value)
        .match_requests(|r| {
            r.secret_id() == Some(SECRET_ARN) && r.secret_string() == Some("new-value")
        })
        .then_output(|| PutSecretValueOutput::builder().arn(SECRET_ARN).build());
    let clients = clients(&Mocks {
        secretsmanager: vec![&random, &put],
        ..Mocks::default()
    });
    let first = spec(generated(0, false));
    // Listed in regenerate_secrets: the next generation, a new value.
    let listed = spec(generated(1, true));
    secret::update_secret(&clients, SECRET_ARN, &first, &listed, &IdMap::default())
        .await
        .expect("rotated");
    assert_eq!((random.num_calls(), put.num_calls()), (1, 1));
    // Unlisted again, or listed still: the generation stays, the value too.
    let unlisted = spec(generated(1, false));
    for (from, to) in [(&listed, &unlisted), (&listed, &listed)] {
        secret::update_secret(&clients, SECRET_ARN, from, to, &IdMap::default())
            .await
            .expect("updated");
    }
    assert_eq!((random.num_calls(), put.num_calls()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_generated_secret_added_again_gets_a_new_value_not_the_deleted_one() {
    use sm::*;
    let _ = Scenario::GeneratedSecretRotation;
    let spec = spec(generated(0, false));
    let scheduled = {
        let mut d = described(&spec);
        d.deleted_date = Some(aws_smithy_types::DateTime::from_secs(1_800_000_000));
        d
    };
    let describe = mock!(Client::describe_secret).then_output(move || scheduled.clone());
    let restore = mock!(Client::restore_secret)
        .then_output(|| RestoreSecretOutput::builder().arn(SECRET_ARN).build());
    let put =
        mock!(Client::put_secret_value).then_output(|| PutSecretValueOutput::builder().build());
    let random = mock!(Client::get_random_password).then_output(|| {
        GetRandomPasswordOutput::builder()
            .random_password("fresh")
            .build()
    });
    let clients = clients(&Mocks {
        secretsmanager: vec![&describe, &restore, &put, &random],
        ..Mocks::default()
    });
    secret::create_secret(&clients, &spec, &IdMap::default())
        .await
        .expect("restored");
    assert_eq!(restore.num_calls(), 1);
    assert_eq!(
        (random.num_calls(), put.num_calls()),
        (1, 1),
        "the restored value is replaced"
    );
}
