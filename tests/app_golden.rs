//! Golden tests of the app-layer expansions (service, database, cache): spec in; child graph,
//! creation waves and operations out. Regenerate with
//! `UPDATE_EXPECT=1 cargo test --test app_golden` and review the diff.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use terraform_provider_platform::apply::{self, IdMap, StepError};
use terraform_provider_platform::plan::app::{
    validate_bucket, validate_cache, validate_database, validate_engine_change, validate_queue,
    validate_service, validate_topic, AccessRef, AutoscalingSpec, BucketAccess, BucketSpec,
    CacheSpec, CdnSpec, CorsSpec, DatabaseSpec, DeploymentSpec, EnvironmentFacts, HealthCheck,
    IamSpec, ImageSource, InternalSpec, MessagingAccess, MessagingKind, NamespaceFacts,
    QueueScaling, QueueSpec, RoutingSpec, ScheduleSpec, ServiceSpec, Sidecar, StorageSpec,
    TopicRef, TopicSpec,
};
use terraform_provider_platform::plan::diff::{diff, render_ops, Op};
use terraform_provider_platform::plan::expand::bucket::expand_bucket;
use terraform_provider_platform::plan::expand::cache::expand_cache;
use terraform_provider_platform::plan::expand::database::expand_database;
use terraform_provider_platform::plan::expand::messaging::{expand_queue, expand_topic};
use terraform_provider_platform::plan::expand::service::{
    caller_rule_key, expand_service, internal_endpoint, schedule_key, scheduler_role_key,
    service_key, task_definition_key, ServiceInputs,
};
use terraform_provider_platform::plan::graph::{create_waves, delete_waves};
use terraform_provider_platform::plan::ledger::{Ledger, Recorded};
use terraform_provider_platform::plan::node::{ChildSpec, Kind, Node, NodeKey};
use terraform_provider_platform::plan::spec::{CapacitySpec, Tier};
use terraform_provider_platform::plan::tiers::{
    BucketDefaults, CacheDefaults, DatabaseDefaults, ServiceDefaults,
};

fn env(tier: Tier) -> EnvironmentFacts {
    let mut ids = BTreeMap::new();
    for (key, id) in [
        (NodeKey::new(Kind::Vpc, &[]), "vpc-1"),
        (
            NodeKey::new(Kind::Subnet, &["private", "use1-az1"]),
            "subnet-p1",
        ),
        (
            NodeKey::new(Kind::Subnet, &["private", "use1-az2"]),
            "subnet-p2",
        ),
        (
            NodeKey::new(Kind::Subnet, &["public", "use1-az1"]),
            "subnet-u1",
        ),
        (
            NodeKey::new(Kind::EcsCluster, &[]),
            "arn:aws:ecs:us-east-1:123456789012:cluster/env1",
        ),
        (
            NodeKey::new(Kind::SecurityGroup, &["load_balancer"]),
            "sg-lb",
        ),
        (
            NodeKey::new(Kind::Listener, &["https"]),
            "arn:listener/https",
        ),
        (NodeKey::new(Kind::DbSubnetGroup, &[]), "env1-data"),
        (NodeKey::new(Kind::CacheSubnetGroup, &[]), "env1-data"),
    ] {
        ids.insert(key, id.to_string());
    }
    EnvironmentFacts {
        name: "env1".into(),
        tier,
        region: "us-east-1".into(),
        ids,
        log_retention_days: 30,
        log_kms_key_arn: None,
        capacity: CapacitySpec {
            fargate_weight: 1,
            spot_weight: 1,
            base: 1,
        },
        secret_recovery_window_days: 7,
        service_discovery: None,
        certificate_arn: None,
        load_balancer_dns_name: Some("env1-lb-1.us-east-1.elb.amazonaws.com".into()),
    }
}

fn service(tier: Tier) -> ServiceSpec {
    let d = ServiceDefaults::for_tier(tier);
    ServiceSpec {
        environment: "env1".into(),
        name: "api".into(),
        image: "public.ecr.aws/nginx/nginx:1.27".into(),
        image_source: ImageSource::Terraform,
        cpu: 256,
        memory: 512,
        architecture: "X86_64".into(),
        port: Some(8080),
        command: vec![],
        environment_variables: [("LOG_LEVEL".to_string(), "info".to_string())].into(),
        secrets: BTreeMap::new(),
        generated_secrets: vec![],
        regenerate_secrets: vec![],
        database_access: vec![],
        cache_access: vec![],
        allow_from_services: vec![],
        internal: None,
        messaging: Vec::new(),
        buckets: Vec::new(),
        sidecars: vec![],
        repository_credentials_secret_arn: None,
        schedules: vec![],
        repository_credentials_kms_key_arn: None,
        desired_count: d.desired_count,
        exec_enabled: d.exec_enabled,
        read_only_root_filesystem: true,
        routing: None,
        autoscaling: None,
        capacity: CapacitySpec {
            fargate_weight: 1,
            spot_weight: 1,
            base: 1,
        },
        deployment: DeploymentSpec {
            min_healthy_percent: d.min_healthy_percent,
            max_percent: d.max_percent,
            circuit_breaker: true,
            wait: true,
        },
        iam: IamSpec::default(),
        log_retention_days: 30,
        tags: BTreeMap::new(),
    }
}

fn routed(mut spec: ServiceSpec, tier: Tier) -> ServiceSpec {
    let d = ServiceDefaults::for_tier(tier);
    spec.routing = Some(RoutingSpec {
        hosts: vec!["api.example.com".into()],
        paths: vec!["/*".into()],
        priority: None,
        deregistration_delay: d.deregistration_delay,
        health_check: HealthCheck {
            path: "/healthz".into(),
            matcher: "200-399".into(),
            interval: 15,
            timeout: 5,
            healthy_threshold: 2,
            unhealthy_threshold: 3,
            grace_period: d.grace_period,
        },
    });
    spec.autoscaling = Some(AutoscalingSpec {
        min: d.min,
        max: d.max,
        cpu_target: d.cpu_target,
        memory_target: Some(80),
        scale_in_cooldown: 300,
        scale_out_cooldown: 60,
        queue: None,
    });
    spec.database_access = vec![AccessRef {
        id: "env1/main".into(),
        name: "main".into(),
        secret_arn: Some("arn:aws:secretsmanager:us-east-1:123456789012:secret:platform/env1/database/main-AbCdEf".into()),
        security_group_id: Some("sg-db".into()),
    }];
    spec.cache_access = vec![AccessRef {
        id: "env1/sessions".into(),
        name: "sessions".into(),
        secret_arn: Some("arn:aws:secretsmanager:us-east-1:123456789012:secret:platform/env1/cache/sessions-XyZ123".into()),
        security_group_id: Some("sg-cache".into()),
    }];
    spec.secrets = [(
        "STRIPE_KEY".to_string(),
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:stripe-QwErTy:key::".to_string(),
    )]
    .into();
    spec
}

fn database(tier: Tier) -> DatabaseSpec {
    let d = DatabaseDefaults::for_tier(tier);
    DatabaseSpec {
        environment: "env1".into(),
        name: "main".into(),
        engine: "postgres".into(),
        engine_version: d.engine_version.into(),
        allow_major_version_upgrade: false,
        instance_class: d.instance_class.into(),
        database_name: "main".into(),
        master_username: "platform_admin".into(),
        multi_az: d.multi_az,
        kms_key_arn: None,
        deletion_protection: d.deletion_protection,
        final_snapshot: d.final_snapshot,
        apply_immediately: d.apply_immediately,
        performance_insights: d.performance_insights,
        log_exports: vec!["postgresql".into(), "upgrade".into()],
        parameters: BTreeMap::new(),
        extended_support: false,
        maintenance_window: None,
        storage: StorageSpec {
            allocated_gib: d.allocated_gib,
            max_allocated_gib: d.max_allocated_gib,
            storage_type: "gp3".into(),
            iops: None,
        },
        backup_retention_days: d.backup_retention_days,
        backup_window: None,
        secret_recovery_window_days: 7,
        tags: BTreeMap::new(),
    }
}

fn cache(tier: Tier) -> CacheSpec {
    let d = CacheDefaults::for_tier(tier);
    CacheSpec {
        environment: "env1".into(),
        name: "sessions".into(),
        engine: d.engine.into(),
        engine_version: d.engine_version.into(),
        node_type: d.node_type.into(),
        replicas: d.replicas,
        multi_az: d.multi_az,
        kms_key_arn: None,
        snapshot_retention_days: d.snapshot_retention_days,
        snapshot_window: None,
        final_snapshot: d.final_snapshot,
        maintenance_window: None,
        secret_recovery_window_days: 7,
        tags: BTreeMap::new(),
    }
}

fn applied(nodes: &BTreeMap<NodeKey, Node>) -> Ledger {
    let mut ledger = Ledger::new();
    for (key, node) in nodes {
        ledger.children.insert(
            key.clone(),
            Recorded {
                refs: Default::default(),
                id: format!("id-of-{key}"),
                observed: node.spec.clone(),
            },
        );
    }
    ledger
}

fn render(nodes: &BTreeMap<NodeKey, Node>, external: &BTreeMap<NodeKey, String>) -> String {
    let mut out = String::new();
    writeln!(out, "# external").unwrap();
    for (k, v) in external {
        writeln!(out, "{k} = {v}").unwrap();
    }
    writeln!(out, "# nodes").unwrap();
    for (key, node) in nodes {
        writeln!(out, "{key}").unwrap();
        writeln!(out, "  {}", serde_json::to_string(&node.spec).unwrap()).unwrap();
    }
    writeln!(out, "# create waves").unwrap();
    for (i, wave) in create_waves(nodes).unwrap().iter().enumerate() {
        let keys: Vec<String> = wave.iter().map(|k| k.to_string()).collect();
        writeln!(out, "{i}: {}", keys.join(" ")).unwrap();
    }
    writeln!(out, "# delete waves").unwrap();
    for (i, wave) in delete_waves(&applied(nodes)).unwrap().iter().enumerate() {
        let keys: Vec<String> = wave.iter().map(|k| k.to_string()).collect();
        writeln!(out, "{i}: {}", keys.join(" ")).unwrap();
    }
    out
}

fn check(case: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/testdata/app")
        .join(format!("{case}.txt"));
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "golden {case} differs at line {}:\n  want: {:?}\n  got:  {:?}\nRun UPDATE_EXPECT=1 cargo test --test app_golden and review the diff.",
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

fn inputs(priority: Option<u32>) -> ServiceInputs {
    ServiceInputs {
        priority,
        running_image: None,
        recorded_secrets: Default::default(),
    }
}

fn changed(ops: &[Op]) -> String {
    render_ops(
        &ops.iter()
            .filter(|o| !matches!(o, Op::NoOp(_)))
            .cloned()
            .collect::<Vec<_>>(),
    )
}

#[test]
fn service_dev_internal() {
    let spec = service(Tier::Dev);
    assert!(validate_service(&spec).is_empty());
    let e = expand_service(&spec, &env(Tier::Dev), &inputs(None));
    check("service_dev_internal", &render(&e.nodes, &e.external));
}

#[test]
fn service_prod_routed_with_access() {
    let spec = routed(service(Tier::Prod), Tier::Prod);
    assert!(
        validate_service(&spec).is_empty(),
        "{:?}",
        validate_service(&spec)
    );
    let e = expand_service(&spec, &env(Tier::Prod), &inputs(Some(1234)));
    check("service_prod_routed", &render(&e.nodes, &e.external));
}

#[test]
fn a_new_image_registers_a_revision_and_rolls_the_service_only() {
    let env = env(Tier::Staging);
    let before = routed(service(Tier::Staging), Tier::Staging);
    let ledger = applied(&expand_service(&before, &env, &inputs(Some(7))).nodes);
    let mut after = before.clone();
    after.image = "public.ecr.aws/nginx/nginx:1.28".into();
    after
        .environment_variables
        .insert("FEATURE".into(), "on".into());
    let ops = diff(
        &expand_service(&after, &env, &inputs(Some(7))).nodes,
        &ledger,
    );
    assert_eq!(
        changed(&ops),
        "update   ecs.service/service\nupdate   ecs.task_definition/service\n"
    );
}

#[test]
fn a_scaling_change_touches_only_the_scalable_target() {
    let env = env(Tier::Staging);
    let before = routed(service(Tier::Staging), Tier::Staging);
    let ledger = applied(&expand_service(&before, &env, &inputs(Some(7))).nodes);
    let mut after = before.clone();
    after.autoscaling.as_mut().unwrap().max = 8;
    let ops = diff(
        &expand_service(&after, &env, &inputs(Some(7))).nodes,
        &ledger,
    );
    assert_eq!(
        changed(&ops),
        "update   autoscaling.scalable_target/service\n"
    );
}

#[test]
fn a_new_port_makes_the_new_target_group_before_the_old_goes() {
    let env = env(Tier::Staging);
    let before = routed(service(Tier::Staging), Tier::Staging);
    let ledger = applied(&expand_service(&before, &env, &inputs(Some(7))).nodes);
    let mut after = before.clone();
    after.port = Some(9090);
    let ops = diff(
        &expand_service(&after, &env, &inputs(Some(7))).nodes,
        &ledger,
    );
    check("service_port_change", &changed(&ops));
    // Creates run before deletes in apply::run: the old group goes last.
    assert!(ops.contains(&Op::Create(NodeKey::new(Kind::TargetGroup, &["9090"]))));
    assert!(ops.contains(&Op::Delete(NodeKey::new(Kind::TargetGroup, &["8080"]))));
}

#[test]
fn several_databases_get_prefixed_variables_and_a_scoped_execution_role() {
    let mut spec = routed(service(Tier::Dev), Tier::Dev);
    spec.database_access.push(AccessRef {
        id: "env1/reports".into(),
        name: "reports".into(),
        secret_arn: None,
        security_group_id: None,
    });
    let e = expand_service(&spec, &env(Tier::Dev), &inputs(Some(3)));
    let td =
        serde_json::to_string(&e.nodes[&NodeKey::new(Kind::TaskDefinition, &["service"])].spec)
            .unwrap();
    assert!(
        td.contains("MAIN_DATABASE_URL") && td.contains("REPORTS_DATABASE_URL"),
        "{td}"
    );
    assert!(!td.contains("\"PGHOST\""), "{td}");
    let role =
        serde_json::to_string(&e.nodes[&NodeKey::new(Kind::IamRole, &["execution"])].spec).unwrap();
    assert!(
        role.contains("stripe-QwErTy") && !role.contains(":key::"),
        "{role}"
    );
}

#[test]
fn database_tiers() {
    for tier in [Tier::Dev, Tier::Prod] {
        let spec = database(tier);
        assert!(
            validate_database(&spec).is_empty(),
            "{:?}",
            validate_database(&spec)
        );
        let e = expand_database(&spec, &env(tier));
        check(
            &format!("database_{}", tier.as_str()),
            &render(&e.nodes, &e.external),
        );
    }
}

#[test]
fn a_major_upgrade_makes_a_new_parameter_group_and_keeps_the_instance() {
    let env = env(Tier::Dev);
    let before = database(Tier::Dev);
    let ledger = applied(&expand_database(&before, &env).nodes);
    let mut after = before.clone();
    after.engine_version = "18".into();
    assert!(validate_engine_change("17.4", &after).has_errors());
    after.allow_major_version_upgrade = true;
    assert!(validate_engine_change("17.4", &after).is_empty());
    assert!(
        validate_engine_change("18.1", &before).has_errors(),
        "downgrade"
    );
    let ops = diff(&expand_database(&after, &env).nodes, &ledger);
    assert_eq!(
        changed(&ops),
        "update   rds.db_instance/main\ndelete   rds.db_parameter_group/postgres17\ncreate   rds.db_parameter_group/postgres18\n"
    );
}

#[test]
fn cache_tiers() {
    for tier in [Tier::Dev, Tier::Prod] {
        let spec = cache(tier);
        assert!(
            validate_cache(&spec).is_empty(),
            "{:?}",
            validate_cache(&spec)
        );
        let e = expand_cache(&spec, &env(tier));
        check(
            &format!("cache_{}", tier.as_str()),
            &render(&e.nodes, &e.external),
        );
    }
    let mut bad = cache(Tier::Dev);
    bad.multi_az = true;
    assert!(validate_cache(&bad).has_errors());
}

#[test]
fn bad_service_input_names_the_attribute() {
    let mut spec = service(Tier::Dev);
    spec.memory = 4096;
    spec.port = Some(0);
    spec.secrets.insert("X".into(), "not-an-arn".into());
    spec.database_access.push(AccessRef {
        id: "other/main".into(),
        name: "main".into(),
        secret_arn: None,
        security_group_id: None,
    });
    let paths: Vec<String> = validate_service(&spec)
        .0
        .iter()
        .map(|d| format!("{:?}", d.path))
        .collect();
    let text = paths.join(" ");
    for attr in ["memory", "port", "secrets", "database_access"] {
        assert!(text.contains(attr), "{attr} missing in {text}");
    }
}

/// An environment with a namespace that is the cluster's Service Connect default.
fn env_with_namespace(tier: Tier) -> EnvironmentFacts {
    EnvironmentFacts {
        service_discovery: Some(NamespaceFacts {
            name: "env1.internal".into(),
            arn: Some("arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-env1".into()),
        }),
        ..env(tier)
    }
}

#[test]
fn service_connect_server_admitting_callers() {
    let mut spec = service(Tier::Prod);
    spec.internal = Some(InternalSpec {
        port_name: "http".into(),
        discovery_name: "core".into(),
    });
    spec.allow_from_services = vec![
        AccessRef {
            id: "env1/license".into(),
            name: "license".into(),
            secret_arn: None,
            security_group_id: Some("sg-license".into()),
        },
        // Being created in the same apply: its rule's peer is known after apply.
        AccessRef {
            id: "env1/worker".into(),
            name: "worker".into(),
            secret_arn: None,
            security_group_id: None,
        },
    ];
    assert!(validate_service(&spec).is_empty());
    let env = env_with_namespace(Tier::Prod);
    let e = expand_service(&spec, &env, &inputs(None));
    check("service_connect_server", &render(&e.nodes, &e.external));
    for caller in ["license", "worker"] {
        assert!(e.nodes.contains_key(&caller_rule_key(caller)), "{caller}");
    }
    assert_eq!(
        internal_endpoint(&spec, &env),
        "http://core.env1.internal:8080"
    );
    // Without a namespace there is no endpoint and no Service Connect.
    assert_eq!(internal_endpoint(&spec, &env1_without_namespace()), "");
}

fn env1_without_namespace() -> EnvironmentFacts {
    env(Tier::Prod)
}

#[test]
fn every_service_of_an_environment_with_a_namespace_is_a_client() {
    let spec = service(Tier::Dev);
    let e = expand_service(&spec, &env_with_namespace(Tier::Dev), &inputs(None));
    let Some(ChildSpec::EcsService(svc)) = e.nodes.get(&service_key()).map(|n| &n.spec) else {
        panic!("no service");
    };
    let connect = svc
        .service_connect
        .as_ref()
        .expect("a Service Connect client");
    assert!(connect.server.is_none());
    assert!(connect.namespace_arn.ends_with("/ns-env1"));
    let Some(ChildSpec::TaskDefinition(td)) = e.nodes.get(&task_definition_key()).map(|n| &n.spec)
    else {
        panic!("no task definition");
    };
    assert_eq!(td.container.port_name, None);
    // And no Service Connect at all without a namespace.
    let e = expand_service(&spec, &env(Tier::Dev), &inputs(None));
    let Some(ChildSpec::EcsService(svc)) = e.nodes.get(&service_key()).map(|n| &n.spec) else {
        panic!("no service");
    };
    assert_eq!(svc.service_connect, None);
}

#[test]
fn bad_service_connect_input_names_the_attribute() {
    let mut spec = service(Tier::Dev);
    spec.internal = Some(InternalSpec {
        port_name: "HTTP_port".into(),
        discovery_name: "-core".into(),
    });
    spec.allow_from_services = vec![
        AccessRef {
            id: "other/license".into(),
            name: "license".into(),
            secret_arn: None,
            security_group_id: None,
        },
        AccessRef {
            id: format!("{}/{}", spec.environment, spec.name),
            name: spec.name.clone(),
            secret_arn: None,
            security_group_id: None,
        },
        AccessRef {
            id: "no-slash".into(),
            name: String::new(),
            secret_arn: None,
            security_group_id: None,
        },
    ];
    let diags = validate_service(&spec);
    let found: Vec<(String, String)> = diags
        .0
        .iter()
        .map(|d| (format!("{:?}", d.path), d.summary.clone()))
        .collect();
    for (attr, summary) in [
        ("port_name", "Invalid name"),
        ("discovery_name", "Invalid name"),
        ("allow_from_services", "Service from another environment"),
        ("allow_from_services", "Service allows itself"),
        ("allow_from_services", "Invalid ID"),
    ] {
        assert!(
            found.iter().any(|(p, s)| p.contains(attr) && s == summary),
            "{attr}: {summary} missing in {found:?}"
        );
    }
}

#[test]
fn generated_secrets_are_children_the_execution_role_reads_by_name() {
    let mut spec = service(Tier::Staging);
    spec.generated_secrets = vec!["JWT_SECRET".into(), "SESSION_KEY".into()];
    assert!(validate_service(&spec).is_empty());
    let env = env(Tier::Staging);
    let e = expand_service(&spec, &env, &inputs(None));
    check("service_generated_secrets", &render(&e.nodes, &e.external));
    let exec = match e
        .nodes
        .get(&NodeKey::new(Kind::IamRole, &["execution"]))
        .map(|n| &n.spec)
    {
        Some(ChildSpec::IamRole(role)) => role.inline_policies["execution"].clone(),
        other => panic!("no execution role: {other:?}"),
    };
    assert!(
        exec.contains("secret:platform/env1/service/api/JWT_SECRET-??????"),
        "{exec}"
    );
}

#[test]
fn regenerating_a_secret_rolls_a_new_revision_once() {
    let mut spec = service(Tier::Dev);
    spec.generated_secrets = vec!["JWT_SECRET".into()];
    let env = env(Tier::Dev);
    let first = expand_service(&spec, &env, &inputs(None));
    let ledger = applied(&first.nodes);
    // Listed in regenerate_secrets: the secret gets generation 1, the task definition a label
    // with it (a new revision), and the service follows the new revision.
    spec.regenerate_secrets = vec!["JWT_SECRET".into()];
    let mut recorded = inputs(None);
    recorded.recorded_secrets = [("JWT_SECRET".to_string(), (0, false))].into();
    let second = expand_service(&spec, &env, &recorded);
    let ops = diff(&second.nodes, &ledger);
    let text = changed(&ops);
    for key in [
        "secretsmanager.secret/generated/JWT_SECRET",
        "ecs.task_definition/service",
        "ecs.service/service",
    ] {
        assert!(text.contains(key), "{key} not changed:\n{text}");
    }
    let Some(ChildSpec::TaskDefinition(td)) =
        second.nodes.get(&task_definition_key()).map(|n| &n.spec)
    else {
        panic!("no task definition");
    };
    assert_eq!(
        td.container
            .docker_labels
            .get("platform.secret-generation.JWT_SECRET")
            .map(String::as_str),
        Some("1")
    );
    // Once applied, keeping it listed changes nothing.
    let ledger = applied(&second.nodes);
    recorded.recorded_secrets = [("JWT_SECRET".to_string(), (1, true))].into();
    let third = expand_service(&spec, &env, &recorded);
    assert_eq!(changed(&diff(&third.nodes, &ledger)), "");
}

#[test]
fn bad_generated_secrets_name_the_attribute() {
    let mut spec = service(Tier::Dev);
    spec.environment_variables
        .insert("TOKEN".into(), "x".into());
    spec.generated_secrets = vec!["TOKEN".into(), "1BAD".into()];
    spec.regenerate_secrets = vec!["OTHER".into()];
    let found: Vec<(String, String)> = validate_service(&spec)
        .0
        .iter()
        .map(|d| (format!("{:?}", d.path), d.summary.clone()))
        .collect();
    for (attr, summary) in [
        ("generated_secrets", "Variable defined twice"),
        ("generated_secrets", "Invalid variable name"),
        ("regenerate_secrets", "Not a generated secret"),
    ] {
        assert!(
            found.iter().any(|(p, s)| p.contains(attr) && s == summary),
            "{attr}: {summary} missing in {found:?}"
        );
    }
}

const DOCKER_HUB: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:dockerhub-AbCdEf";
const DOCKER_HUB_KEY: &str =
    "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn sidecar(name: &str, essential: bool) -> Sidecar {
    Sidecar {
        name: name.into(),
        image: format!("docker.io/acme/{name}:1"),
        essential,
        cpu: Some(64),
        memory: Some(128),
        port: None,
        command: vec![],
        environment_variables: BTreeMap::new(),
        secrets: BTreeMap::new(),
        use_repository_credentials: essential,
    }
}

#[test]
fn sidecars_and_registry_credentials() {
    let mut spec = service(Tier::Prod);
    spec.cpu = 512;
    spec.memory = 1024;
    spec.repository_credentials_secret_arn = Some(DOCKER_HUB.into());
    spec.repository_credentials_kms_key_arn = Some(DOCKER_HUB_KEY.into());
    let mut otel = sidecar("otel", true);
    otel.port = Some(4317);
    let mut datadog = sidecar("datadog", false);
    datadog.secrets.insert(
        "DD_API_KEY".into(),
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:datadog-QwErTy:api_key::".into(),
    );
    spec.sidecars = vec![otel, datadog];
    assert!(
        validate_service(&spec).is_empty(),
        "{:?}",
        validate_service(&spec)
    );
    let e = expand_service(&spec, &env(Tier::Prod), &inputs(None));
    check("service_sidecars", &render(&e.nodes, &e.external));
    let exec = match e
        .nodes
        .get(&NodeKey::new(Kind::IamRole, &["execution"]))
        .map(|n| &n.spec)
    {
        Some(ChildSpec::IamRole(role)) => role.inline_policies["execution"].clone(),
        other => panic!("no execution role: {other:?}"),
    };
    for needle in [
        DOCKER_HUB,
        DOCKER_HUB_KEY,
        "kms:Decrypt",
        "secret:datadog-QwErTy\"",
    ] {
        assert!(exec.contains(needle), "{needle} missing in {exec}");
    }
    let Some(ChildSpec::TaskDefinition(td)) = e.nodes.get(&task_definition_key()).map(|n| &n.spec)
    else {
        panic!("no task definition");
    };
    assert_eq!(td.container.depends_on, ["otel"]);
    assert_eq!(
        td.container.repository_credentials.as_deref(),
        Some(DOCKER_HUB)
    );
    assert_eq!(
        td.sidecars[0].repository_credentials.as_deref(),
        Some(DOCKER_HUB)
    );
    assert_eq!(td.sidecars[1].repository_credentials, None);
}

#[test]
fn bad_sidecars_name_the_attribute() {
    let mut spec = service(Tier::Dev);
    let mut big = sidecar("otel", false);
    big.cpu = Some(256);
    big.memory = Some(512);
    let mut clash = sidecar("api", false);
    clash.cpu = None;
    clash.memory = None;
    clash.port = spec.port;
    clash.use_repository_credentials = true;
    spec.sidecars = vec![big, sidecar("otel", false), clash];
    spec.repository_credentials_kms_key_arn = Some("not-a-key".into());
    let found: Vec<(String, String)> = validate_service(&spec)
        .0
        .iter()
        .map(|d| (format!("{:?}", d.path), d.summary.clone()))
        .collect();
    for (attr, summary) in [
        ("sidecar", "Duplicate container name"),
        ("sidecar", "Invalid port"),
        ("sidecar", "No repository credentials"),
        ("cpu", "Sidecars do not fit the task"),
        ("memory", "Sidecars do not fit the task"),
        ("repository_credentials_kms_key_arn", "Invalid KMS key ARN"),
        ("repository_credentials_kms_key_arn", "Key without a secret"),
    ] {
        assert!(
            found.iter().any(|(p, s)| p.contains(attr) && s == summary),
            "{attr}: {summary} missing in {found:?}"
        );
    }
    let mut not_secrets_manager = service(Tier::Dev);
    not_secrets_manager.repository_credentials_secret_arn =
        Some("arn:aws:ssm:us-east-1:123456789012:parameter/dockerhub".into());
    assert!(validate_service(&not_secrets_manager)
        .0
        .iter()
        .any(|d| d.summary == "Invalid secret ARN"));
}

fn queue_spec() -> QueueSpec {
    QueueSpec {
        environment: "env1".into(),
        name: "jobs".into(),
        fifo: false,
        content_based_deduplication: false,
        visibility_timeout: 30,
        retention_days: 4,
        max_receives: 5,
        kms_key_arn: None,
        subscribe_to: vec![TopicRef {
            id: "env1/events".into(),
            name: "events".into(),
            arn: Some("arn:aws:sns:us-east-1:123456789012:env1-events".into()),
            fifo: Some(false),
        }],
        tags: BTreeMap::new(),
    }
}

#[test]
fn a_queue_has_a_dead_letter_queue_and_subscribes_to_its_topics() {
    let spec = queue_spec();
    assert!(validate_queue(&spec).is_empty());
    let graph = expand_queue(&spec);
    let mut out = render(&graph.nodes, &graph.external);
    let topic = TopicSpec {
        environment: "env1".into(),
        name: "events".into(),
        fifo: true,
        content_based_deduplication: true,
        kms_key_arn: None,
        tags: BTreeMap::new(),
    };
    assert!(validate_topic(&topic).is_empty());
    let topic_graph = expand_topic(&topic);
    out.push_str("# topic\n");
    out.push_str(&render(&topic_graph.nodes, &topic_graph.external));
    check("queue_and_topic", &out);

    // A FIFO queue renames both queues: each is replaced, and the subscription follows.
    let before = applied(&graph.nodes);
    let fifo = expand_queue(&QueueSpec {
        fifo: true,
        subscribe_to: vec![TopicRef {
            fifo: Some(true),
            ..spec.subscribe_to[0].clone()
        }],
        ..spec.clone()
    });
    let ops = diff(&fifo.nodes, &before);
    assert_eq!(
        changed(&ops),
        "replace  sns.subscription/events\nreplace  sqs.queue/dead_letter\nreplace  sqs.queue/main\n"
    );
    // A longer visibility timeout changes both queues in place.
    let longer = expand_queue(&QueueSpec {
        visibility_timeout: 120,
        ..spec
    });
    assert_eq!(
        changed(&diff(&longer.nodes, &before)),
        "update   sqs.queue/dead_letter\nupdate   sqs.queue/main\n"
    );
}

fn messaging(id: &str, kind: MessagingKind, publish: bool, consume: bool) -> MessagingAccess {
    let name = id.split('/').nth(1).unwrap_or_default();
    let (service, arn_name) = match kind {
        MessagingKind::Queue => ("sqs", format!("env1-{name}")),
        MessagingKind::Topic => ("sns", format!("env1-{name}")),
    };
    MessagingAccess {
        id: id.into(),
        name: name.into(),
        kind: Some(kind),
        arn: Some(format!(
            "arn:aws:{service}:us-east-1:123456789012:{arn_name}"
        )),
        url: (kind == MessagingKind::Queue)
            .then(|| format!("https://sqs.us-east-1.amazonaws.com/123456789012/{arn_name}")),
        kms_key_arn: None,
        publish,
        consume,
    }
}

#[test]
fn a_worker_consumes_publishes_and_scales_on_its_queue() {
    let mut spec = service(Tier::Dev);
    spec.port = None;
    spec.messaging = vec![
        messaging("env1/events", MessagingKind::Topic, true, false),
        messaging("env1/jobs", MessagingKind::Queue, false, true),
        MessagingAccess {
            kms_key_arn: Some("arn:aws:kms:us-east-1:123456789012:key/k1".into()),
            ..messaging("env1/results", MessagingKind::Queue, true, false)
        },
    ];
    let d = ServiceDefaults::for_tier(Tier::Dev);
    spec.autoscaling = Some(AutoscalingSpec {
        min: d.min,
        max: 5,
        cpu_target: d.cpu_target,
        memory_target: None,
        scale_in_cooldown: 300,
        scale_out_cooldown: 60,
        queue: Some(QueueScaling {
            queue_id: "env1/jobs".into(),
            queue_name: Some("env1-jobs".into()),
            messages_per_task: 20,
        }),
    });
    spec.buckets = vec![BucketAccess {
        id: "env1/uploads".into(),
        name: "uploads".into(),
        bucket_name: Some("env1-uploads-123456789012-us-east-1".into()),
        kms_key_arn: Some("arn:aws:kms:us-east-1:123456789012:key/k2".into()),
        mode: "read_write".into(),
    }];
    assert!(validate_service(&spec).is_empty());
    let graph = expand_service(&spec, &env(Tier::Dev), &inputs(None));
    assert!(
        !graph.nodes.keys().any(|k| k.as_str().starts_with("elbv2.")),
        "a worker has no target group or rule"
    );
    let Some(ChildSpec::TaskDefinition(td)) =
        graph.nodes.get(&task_definition_key()).map(|n| &n.spec)
    else {
        panic!("no task definition");
    };
    assert_eq!(td.container.port, None);
    check(
        "service_worker_messaging",
        &render(&graph.nodes, &graph.external),
    );
}

#[test]
fn bad_messaging_input_names_the_attribute() {
    let mut spec = service(Tier::Dev);
    spec.environment_variables
        .insert("JOBS_QUEUE_URL".into(), "x".into());
    spec.messaging = vec![
        messaging("env1/events", MessagingKind::Topic, false, true),
        messaging("env1/jobs", MessagingKind::Queue, true, true),
        messaging("prod/other", MessagingKind::Queue, true, false),
    ];
    let diags = validate_service(&spec);
    let found: Vec<(String, String)> = diags
        .0
        .iter()
        .map(|d| {
            (
                d.path.as_ref().map(|p| p.to_string()).unwrap_or_default(),
                d.summary.clone(),
            )
        })
        .collect();
    for expected in [
        ("consume_from", "Not a queue"),
        ("publish_to", "Variable defined twice"),
        ("publish_to", "Resource from another environment"),
    ] {
        assert!(
            found
                .iter()
                .any(|(p, s)| p.contains(expected.0) && s == expected.1),
            "{expected:?} not in {found:?}"
        );
    }
}

#[test]
fn a_bucket_is_locked_down_and_its_policy_follows_it() {
    let d = BucketDefaults::for_tier(Tier::Prod);
    let spec = BucketSpec {
        environment: "env1".into(),
        name: "uploads".into(),
        account_id: "123456789012".into(),
        region: "eu-west-1".into(),
        versioning: d.versioning,
        noncurrent_days: d.noncurrent_days,
        abort_multipart_days: d.abort_multipart_days,
        cors: vec![CorsSpec {
            allowed_origins: vec!["https://app.example.com".into()],
            allowed_methods: vec!["GET".into(), "PUT".into()],
        }],
        kms_key_arn: None,
        force_destroy: false,
        cdn: None,
        tags: BTreeMap::new(),
    };
    assert!(validate_bucket(&spec).is_empty());
    let graph = expand_bucket(&spec);
    check("bucket_prod", &render(&graph.nodes, &graph.external));
    // Turning versioning off and adding a key change the bucket in place.
    let before = applied(&graph.nodes);
    let after = expand_bucket(&BucketSpec {
        versioning: false,
        kms_key_arn: Some("arn:aws:kms:eu-west-1:123456789012:key/k".into()),
        ..spec
    });
    assert_eq!(
        changed(&diff(&after.nodes, &before)),
        "update   s3.bucket/main\n"
    );
}

#[test]
fn a_cdn_adds_a_distribution_its_access_control_and_the_policy_admitting_it() {
    let d = BucketDefaults::for_tier(Tier::Prod);
    let spec = BucketSpec {
        environment: "env1".into(),
        name: "assets".into(),
        account_id: "123456789012".into(),
        region: "eu-west-1".into(),
        versioning: d.versioning,
        noncurrent_days: d.noncurrent_days,
        abort_multipart_days: d.abort_multipart_days,
        cors: Vec::new(),
        kms_key_arn: None,
        force_destroy: false,
        cdn: Some(CdnSpec {
            aliases: vec!["cdn.example.com".into()],
            certificate_arn: Some("arn:aws:acm:us-east-1:123456789012:certificate/c".into()),
            price_class: "PriceClass_100".into(),
            default_ttl: None,
            wait_for_deployment: true,
        }),
        tags: BTreeMap::new(),
    };
    assert!(validate_bucket(&spec).is_empty());
    let graph = expand_bucket(&spec);
    check("bucket_cdn", &render(&graph.nodes, &graph.external));
    let before = applied(&graph.nodes);
    // A new alias, TTL or price class changes only the distribution, in place.
    let mut cdn = spec.cdn.clone().unwrap();
    cdn.aliases.push("static.example.com".into());
    cdn.default_ttl = Some(300);
    cdn.price_class = "PriceClass_All".into();
    let after = expand_bucket(&BucketSpec {
        cdn: Some(cdn),
        ..spec.clone()
    });
    assert_eq!(
        changed(&diff(&after.nodes, &before)),
        "update   cloudfront.distribution/main\n"
    );
    // Removing the CDN deletes the distribution and its access control and narrows the
    // policy; adding it to a bucket without one creates them and widens the policy.
    let plain = expand_bucket(&BucketSpec { cdn: None, ..spec });
    assert_eq!(
        changed(&diff(&plain.nodes, &before)),
        "delete   cloudfront.distribution/main\n\
         delete   cloudfront.origin_access_control/main\n\
         update   s3.bucket_policy/main\n"
    );
    assert_eq!(
        changed(&diff(&graph.nodes, &applied(&plain.nodes))),
        "create   cloudfront.distribution/main\n\
         create   cloudfront.origin_access_control/main\n\
         update   s3.bucket_policy/main\n"
    );
}

/// A worker (no port) that runs a nightly report in Paris time and a sweep every 15 minutes
/// with the image's command.
fn scheduled_worker() -> ServiceSpec {
    let mut spec = service(Tier::Prod);
    spec.name = "worker".into();
    spec.port = None;
    spec.schedules = vec![
        ScheduleSpec {
            name: "nightly-report".into(),
            expression: "cron(30 2 * * ? *)".into(),
            timezone: "Europe/Paris".into(),
            command: vec!["bin/report".into(), "--since=yesterday".into()],
        },
        ScheduleSpec {
            name: "sweep".into(),
            expression: "rate(15 minutes)".into(),
            timezone: "UTC".into(),
            command: Vec::new(),
        },
    ];
    spec
}

#[test]
fn a_worker_with_two_schedules() {
    let spec = scheduled_worker();
    assert!(
        validate_service(&spec).is_empty(),
        "{:?}",
        validate_service(&spec)
    );
    let e = expand_service(&spec, &env(Tier::Prod), &inputs(None));
    check("service_schedules", &render(&e.nodes, &e.external));
    for name in ["nightly-report", "sweep"] {
        assert!(e.nodes.contains_key(&schedule_key(name)), "{name}");
    }
    // The scheduled runs are priced: 30.44 nightly runs and 2920 sweeps of 5 minutes of a
    // 256-unit, 512 MiB task (0.012343 USD an hour).
    let estimate = terraform_provider_platform::plan::cost::estimate(&e.nodes);
    assert_eq!(estimate.breakdown.get("scheduled_tasks"), Some(&3.03));
    // Without schedules: no role, no schedules, no charge.
    let mut bare = spec.clone();
    bare.schedules.clear();
    let e = expand_service(&bare, &env(Tier::Prod), &inputs(None));
    assert!(!e.nodes.contains_key(&scheduler_role_key()));
    assert!(!e.nodes.keys().any(|k| k.kind() == Some(Kind::Schedule)));
    let estimate = terraform_provider_platform::plan::cost::estimate(&e.nodes);
    assert_eq!(estimate.breakdown.get("scheduled_tasks"), None);
}

#[test]
fn the_scheduler_role_may_only_run_the_family_in_the_cluster_and_pass_the_two_roles() {
    let e = expand_service(&scheduled_worker(), &env(Tier::Prod), &inputs(None));
    let Some(ChildSpec::IamRole(role)) = e.nodes.get(&scheduler_role_key()).map(|n| &n.spec) else {
        panic!("no scheduler role");
    };
    assert_eq!(role.name, "platform-env1-worker-scheduler-us-east-1");
    assert_eq!(
        role.assume_role_policy,
        r#"{"Statement":[{"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}},"Effect":"Allow","Principal":{"Service":"scheduler.amazonaws.com"}}],"Version":"2012-10-17"}"#
    );
    assert_eq!(role.inline_policies.len(), 1);
    let expected = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "ecs:RunTask",
                "Resource": "arn:aws:ecs:us-east-1:123456789012:task-definition/env1-worker:*",
                "Condition": { "ArnEquals": { "ecs:cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/env1" } }
            },
            {
                "Effect": "Allow",
                "Action": "ecs:TagResource",
                "Resource": "arn:aws:ecs:us-east-1:123456789012:task/env1/*",
                "Condition": { "StringEquals": { "ecs:CreateAction": "RunTask" } }
            },
            {
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": [
                    "arn:aws:iam::123456789012:role/platform-env1-worker-exec-us-east-1",
                    "arn:aws:iam::123456789012:role/platform-env1-worker-task-us-east-1"
                ],
                "Condition": { "StringEquals": { "iam:PassedToService": "ecs-tasks.amazonaws.com" } }
            }
        ]
    });
    let actual: serde_json::Value =
        serde_json::from_str(&role.inline_policies["run-task"]).expect("JSON");
    assert_eq!(actual, expected);
    // The roles it passes are the service's own.
    for key in [
        NodeKey::new(Kind::IamRole, &["execution"]),
        NodeKey::new(Kind::IamRole, &["task"]),
    ] {
        let Some(ChildSpec::IamRole(other)) = e.nodes.get(&key).map(|n| &n.spec) else {
            panic!("no {key}");
        };
        assert!(
            role.inline_policies["run-task"].contains(&format!("role/{}\"", other.name)),
            "{key} not passed"
        );
    }
    assert!(!role.inline_policies["run-task"].contains(r#""Resource":"*""#));
}

#[test]
fn schedules_are_validated_with_their_block_index() {
    let mut spec = scheduled_worker();
    spec.schedules[1].expression = "rate(1 minutes)".into();
    spec.schedules[1].timezone = "Paris".into();
    spec.schedules.push(spec.schedules[0].clone());
    let found: Vec<String> = validate_service(&spec)
        .0
        .iter()
        .map(|d| {
            format!(
                "{} {}",
                d.path.as_ref().map(ToString::to_string).unwrap_or_default(),
                d.summary
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            "schedule[1].expression Invalid schedule expression",
            "schedule[1].timezone Invalid time zone",
            "schedule[2].name Duplicate schedule name",
        ]
    );
}

#[test]
fn a_new_image_moves_the_schedules_to_the_new_revision_in_the_same_plan() {
    let env = env(Tier::Prod);
    let before = scheduled_worker();
    let ledger = applied(&expand_service(&before, &env, &inputs(None)).nodes);
    let mut after = before.clone();
    after.image = "public.ecr.aws/nginx/nginx:1.28".into();
    let ops = diff(&expand_service(&after, &env, &inputs(None)).nodes, &ledger);
    assert_eq!(
        changed(&ops),
        "update   ecs.service/service\nupdate   ecs.task_definition/service\nupdate   scheduler.schedule/nightly-report\nupdate   scheduler.schedule/sweep\n"
    );
    // Changing one schedule touches only it; removing every schedule removes the role too.
    let mut one = before.clone();
    one.schedules[1].expression = "rate(30 minutes)".into();
    let ops = diff(&expand_service(&one, &env, &inputs(None)).nodes, &ledger);
    assert_eq!(changed(&ops), "update   scheduler.schedule/sweep\n");
    let mut none = before.clone();
    none.schedules.truncate(1);
    let ops = diff(&expand_service(&none, &env, &inputs(None)).nodes, &ledger);
    assert_eq!(changed(&ops), "delete   scheduler.schedule/sweep\n");
    none.schedules.clear();
    let ops = diff(&expand_service(&none, &env, &inputs(None)).nodes, &ledger);
    assert_eq!(
        changed(&ops),
        "delete   iam.role/scheduler\ndelete   scheduler.schedule/nightly-report\ndelete   scheduler.schedule/sweep\n"
    );
}

/// Registers a new revision when the task definition is updated, and records the revision
/// each schedule update sees.
#[derive(Default)]
struct Revisions {
    seen_by_schedules: std::sync::Mutex<Vec<(String, String)>>,
}

#[async_trait::async_trait]
impl apply::Executor for Revisions {
    async fn create(&self, node: &Node, _ids: &IdMap) -> Result<Recorded, StepError> {
        panic!("nothing is created: {}", node.key)
    }

    async fn update(
        &self,
        node: &Node,
        current: &Recorded,
        ids: &IdMap,
    ) -> Result<Recorded, StepError> {
        let id = if node.key == task_definition_key() {
            "arn:aws:ecs:us-east-1:123456789012:task-definition/env1-worker:2".to_string()
        } else {
            current.id.clone()
        };
        if node.key.kind() == Some(Kind::Schedule) {
            self.seen_by_schedules.lock().unwrap().push((
                node.key.to_string(),
                ids.id(&task_definition_key()).unwrap().to_string(),
            ));
        }
        Ok(Recorded {
            id,
            observed: node.spec.clone(),
            refs: Default::default(),
        })
    }

    async fn delete(
        &self,
        key: &NodeKey,
        _current: &Recorded,
        _ids: &IdMap,
    ) -> Result<(), StepError> {
        panic!("nothing is deleted: {key}")
    }

    async fn find(&self, _node: &Node, _ids: &IdMap) -> Result<Option<Recorded>, StepError> {
        Ok(None)
    }

    async fn observe(
        &self,
        _key: &NodeKey,
        current: &Recorded,
        _ids: &IdMap,
    ) -> Result<Option<Recorded>, StepError> {
        Ok(Some(current.clone()))
    }
}

/// The engine runs the schedule updates after the task definition's, with its new revision:
/// one apply moves every schedule.
#[tokio::test]
async fn one_apply_points_the_schedules_at_the_new_revision() {
    let env = env(Tier::Prod);
    let before = scheduled_worker();
    let mut ledger = applied(&expand_service(&before, &env, &inputs(None)).nodes);
    ledger.children.get_mut(&task_definition_key()).unwrap().id =
        "arn:aws:ecs:us-east-1:123456789012:task-definition/env1-worker:1".into();
    let mut after = before.clone();
    after.image = "public.ecr.aws/nginx/nginx:1.28".into();
    let desired = expand_service(&after, &env, &inputs(None)).nodes;
    let ops = diff(&desired, &ledger);
    let executor = Revisions::default();
    let outcome = apply::run(
        &executor,
        &desired,
        &ops,
        ledger,
        apply::RunOptions {
            concurrency: 4,
            cancel: tokio_util::sync::CancellationToken::new(),
            deadline: tokio::time::Instant::now() + std::time::Duration::from_secs(60),
        },
    )
    .await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    let mut seen = executor.seen_by_schedules.lock().unwrap().clone();
    seen.sort();
    let revision_2 = "arn:aws:ecs:us-east-1:123456789012:task-definition/env1-worker:2".to_string();
    assert_eq!(
        seen,
        [
            (
                "scheduler.schedule/nightly-report".to_string(),
                revision_2.clone()
            ),
            ("scheduler.schedule/sweep".to_string(), revision_2.clone()),
        ]
    );
    // The next plan has nothing left to do.
    assert_eq!(changed(&diff(&desired, &outcome.ledger)), "");
}
