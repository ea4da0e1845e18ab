//! The security-group matrix of `docs/security.md`, as tests.
//!
//! `GROUPS` and `RULES` below mirror the doc's two tables; one test reads the markdown and
//! fails when either side changes alone. The others expand representative environments,
//! services, databases and caches (every tier, with and without ingress, routing and access)
//! and assert that the security groups and rules they create are exactly what the tables say:
//! nothing missing, nothing extra.
//!
//! Every graph is placed in one simulated account: each child gets the global ID
//! `<owner>|<node key>`, an app resource sees the environment through those IDs (as it sees
//! the environment's `resources` map), and a service sees its databases' and caches' groups
//! through the IDs their `security_group_id` would give. Rules are compared by group ID, so a
//! service pointing at the wrong group is caught too.

use std::collections::{BTreeMap, BTreeSet};

use terraform_provider_platform::aws::ec2::security_group_rule::{Direction, RulePeer};
use terraform_provider_platform::plan::app::{
    validate_cache, validate_database, validate_service, AccessRef, AutoscalingSpec, CacheSpec,
    DatabaseSpec, DeploymentSpec, EnvironmentFacts, HealthCheck, IamSpec, ImageSource, RoutingSpec,
    ServiceSpec, StorageSpec,
};
use terraform_provider_platform::plan::expand::cache::{self, expand_cache};
use terraform_provider_platform::plan::expand::database::{self, expand_database};
use terraform_provider_platform::plan::expand::environment::expand_environment;
use terraform_provider_platform::plan::expand::service::{expand_service, ServiceInputs};
use terraform_provider_platform::plan::ledger::Ledger;
use terraform_provider_platform::plan::node::{ChildSpec, Kind, Node, NodeKey, SubnetTier};
use terraform_provider_platform::plan::spec::{
    validate_environment, CapacitySpec, EndpointPreset, EnvironmentSpec, RegionFacts, Tier, Zone,
};
use terraform_provider_platform::plan::tiers::{
    ingress_defaults, CacheDefaults, DatabaseDefaults, ServiceDefaults, TierDefaults,
};

// ---------------------------------------------------------------------------------------------
// The tables, as data (keep in step with docs/security.md)
// ---------------------------------------------------------------------------------------------

/// A row of the "Security groups" table.
struct GroupRow {
    group: &'static str,
    owner: &'static str,
    aws_name: &'static str,
    attached_to: &'static str,
    when: &'static str,
}

const GROUPS: &[GroupRow] = &[
    GroupRow {
        group: "env.services",
        owner: "platform_environment",
        aws_name: "<env>-services",
        attached_to: "nothing (exported)",
        when: "always",
    },
    GroupRow {
        group: "env.data",
        owner: "platform_environment",
        aws_name: "<env>-data",
        attached_to: "nothing (exported)",
        when: "always",
    },
    GroupRow {
        group: "env.endpoints",
        owner: "platform_environment",
        aws_name: "<env>-endpoints",
        attached_to: "interface endpoints",
        when: "interface endpoints",
    },
    GroupRow {
        group: "env.load_balancer",
        owner: "platform_environment",
        aws_name: "<env>-load_balancer",
        attached_to: "load balancer",
        when: "ingress",
    },
    GroupRow {
        group: "service",
        owner: "platform_service",
        aws_name: "<env>-svc-<name>",
        attached_to: "ECS service",
        when: "always",
    },
    GroupRow {
        group: "database",
        owner: "platform_database",
        aws_name: "<env>-db-<name>",
        attached_to: "DB instance",
        when: "always",
    },
    GroupRow {
        group: "cache",
        owner: "platform_cache",
        aws_name: "<env>-cache-<name>",
        attached_to: "replication group",
        when: "always",
    },
];

/// A row of the "Rule matrix" table; its `Why` column is prose and only has to be there.
struct RuleRow {
    owner: &'static str,
    group: &'static str,
    direction: &'static str,
    protocol: &'static str,
    ports: &'static str,
    peer: &'static str,
    when: &'static str,
}

const fn rule(
    owner: &'static str,
    group: &'static str,
    direction: &'static str,
    protocol: &'static str,
    ports: &'static str,
    peer: &'static str,
    when: &'static str,
) -> RuleRow {
    RuleRow {
        owner,
        group,
        direction,
        protocol,
        ports,
        peer,
        when,
    }
}

const ENV: &str = "platform_environment";
const SVC: &str = "platform_service";

const RULES: &[RuleRow] = &[
    rule(
        ENV,
        "env.services",
        "egress",
        "all",
        "all",
        "0.0.0.0/0",
        "always",
    ),
    rule(
        ENV,
        "env.data",
        "ingress",
        "tcp",
        "5432",
        "env.services",
        "always",
    ),
    rule(
        ENV,
        "env.data",
        "ingress",
        "tcp",
        "6379",
        "env.services",
        "always",
    ),
    rule(
        ENV,
        "env.endpoints",
        "ingress",
        "tcp",
        "443",
        "network.cidr",
        "interface endpoints",
    ),
    rule(
        ENV,
        "env.load_balancer",
        "ingress",
        "tcp",
        "443",
        "ingress.allowed_cidrs",
        "ingress",
    ),
    rule(
        ENV,
        "env.load_balancer",
        "ingress",
        "tcp",
        "80",
        "ingress.allowed_cidrs",
        "ingress.http_to_https",
    ),
    rule(
        ENV,
        "env.load_balancer",
        "egress",
        "tcp",
        "0-65535",
        "env.services",
        "ingress",
    ),
    rule(
        ENV,
        "env.services",
        "ingress",
        "tcp",
        "0-65535",
        "env.load_balancer",
        "ingress",
    ),
    rule(
        ENV,
        "env.load_balancer",
        "egress",
        "tcp",
        "0-65535",
        "private subnets",
        "ingress",
    ),
    rule(
        SVC,
        "service",
        "egress",
        "all",
        "all",
        "0.0.0.0/0",
        "always",
    ),
    rule(
        SVC,
        "service",
        "ingress",
        "tcp",
        "port",
        "env.load_balancer",
        "routing",
    ),
    rule(
        SVC,
        "database",
        "ingress",
        "tcp",
        "5432",
        "service",
        "database_access",
    ),
    rule(
        SVC,
        "cache",
        "ingress",
        "tcp",
        "6379",
        "service",
        "cache_access",
    ),
    rule(
        SVC,
        "service",
        "ingress",
        "tcp",
        "port",
        "caller",
        "allow_from_services",
    ),
];

const GROUP_COLUMNS: &[&str] = &["Group", "Owner", "AWS name", "Attached to", "When"];
const RULE_COLUMNS: &[&str] = &[
    "Owner",
    "Group",
    "Direction",
    "Protocol",
    "Ports",
    "Peer",
    "When",
    "Why",
];

impl GroupRow {
    fn cells(&self) -> Vec<String> {
        [
            self.group,
            self.owner,
            self.aws_name,
            self.attached_to,
            self.when,
        ]
        .map(str::to_string)
        .to_vec()
    }
}

impl RuleRow {
    /// Every column but `Why`.
    fn cells(&self) -> Vec<String> {
        [
            self.owner,
            self.group,
            self.direction,
            self.protocol,
            self.ports,
            self.peer,
            self.when,
        ]
        .map(str::to_string)
        .to_vec()
    }
}

// ---------------------------------------------------------------------------------------------
// docs/security.md
// ---------------------------------------------------------------------------------------------

const DOC: &str = "docs/security.md";

fn doc() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(DOC);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The first table after the `## <heading>` line: its header and rows, cells trimmed and
/// without backticks.
fn doc_table(text: &str, heading: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let wanted = format!("## {heading}");
    let mut lines = text.lines().skip_while(|l| l.trim() != wanted);
    assert!(
        lines.next().is_some(),
        "{DOC} has no `{wanted}` heading; the security tests read their tables from it"
    );
    let table: Vec<Vec<String>> = lines
        .skip_while(|l| !l.trim_start().starts_with('|'))
        .take_while(|l| l.trim_start().starts_with('|'))
        .map(|l| {
            let inner = l.trim().trim_start_matches('|').trim_end_matches('|');
            inner
                .split('|')
                .map(|c| c.trim().replace('`', ""))
                .collect()
        })
        .collect();
    assert!(
        table.len() >= 3,
        "{DOC}: the table under `{wanted}` needs a header, a separator and rows; found {} lines",
        table.len()
    );
    let header = table[0].clone();
    assert!(
        table[1]
            .iter()
            .all(|c| c.chars().all(|ch| ch == '-' || ch == ':')),
        "{DOC}: the second line of the table under `{wanted}` is not a separator: {:?}",
        table[1]
    );
    (header, table[2..].to_vec())
}

/// Fails with the rows only one side has.
fn assert_same_rows(what: &str, doc_rows: &[Vec<String>], test_rows: &[Vec<String>]) {
    let only_doc: Vec<&Vec<String>> = doc_rows.iter().filter(|r| !test_rows.contains(r)).collect();
    let only_test: Vec<&Vec<String>> = test_rows.iter().filter(|r| !doc_rows.contains(r)).collect();
    let show = |rows: &[&Vec<String>]| {
        rows.iter()
            .map(|r| format!("  | {} |", r.join(" | ")))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        only_doc.is_empty() && only_test.is_empty() && doc_rows.len() == test_rows.len(),
        "{DOC} and tests/security_matrix.rs disagree on the {what} table; change both together.\n\
         Only in {DOC}:\n{}\nOnly in the test's data:\n{}\n({} rows in the doc, {} in the test)",
        show(&only_doc),
        show(&only_test),
        doc_rows.len(),
        test_rows.len()
    );
}

#[test]
fn doc_tables_match_the_test_data() {
    let text = doc();

    let (header, rows) = doc_table(&text, "Security groups");
    assert_eq!(header, GROUP_COLUMNS, "{DOC}: columns of the groups table");
    let mine: Vec<Vec<String>> = GROUPS.iter().map(GroupRow::cells).collect();
    assert_same_rows("security groups", &rows, &mine);

    let (header, rows) = doc_table(&text, "Rule matrix");
    assert_eq!(header, RULE_COLUMNS, "{DOC}: columns of the rule matrix");
    for row in &rows {
        assert_eq!(row.len(), RULE_COLUMNS.len(), "{DOC}: rule row {row:?}");
        assert!(
            row.last().is_some_and(|why| why.len() > 10),
            "{DOC}: rule row {row:?} does not say why"
        );
    }
    let without_why: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r[..RULE_COLUMNS.len() - 1].to_vec())
        .collect();
    let mine: Vec<Vec<String>> = RULES.iter().map(RuleRow::cells).collect();
    assert_same_rows("rule matrix", &without_why, &mine);
}

#[test]
fn doc_table_reader_sees_a_changed_cell() {
    // The reader must not be so lenient that an edit goes unnoticed.
    let text = doc();
    let edited = text.replacen("| 5432 |", "| 5433 |", 1);
    assert_ne!(text, edited, "{DOC} has no 5432 cell to edit");
    let (_, original) = doc_table(&text, "Rule matrix");
    let (_, changed) = doc_table(&edited, "Rule matrix");
    assert_ne!(original, changed);
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

fn region() -> RegionFacts {
    let zones = [
        ("us-east-1a", "use1-az1"),
        ("us-east-1b", "use1-az2"),
        ("us-east-1c", "use1-az4"),
        ("us-east-1d", "use1-az6"),
    ];
    RegionFacts {
        region: "us-east-1".into(),
        zones: zones
            .iter()
            .map(|(name, id)| Zone {
                name: name.to_string(),
                id: id.to_string(),
            })
            .collect(),
    }
}

const ENV_NAME: &str = "sec1";

fn environment(tier: Tier) -> EnvironmentSpec {
    let mut spec = TierDefaults::for_tier(tier).environment(ENV_NAME, tier);
    spec.written = format!("{{\"tier\":\"{}\"}}", tier.as_str());
    spec
}

fn with_default_ingress(mut spec: EnvironmentSpec) -> EnvironmentSpec {
    let mut ingress = ingress_defaults();
    ingress.domain = Some("example.com".into());
    ingress.additional_domains = vec!["*.example.com".into()];
    spec.ingress = Some(ingress);
    spec
}

/// Internal, two sources, no port 80.
fn with_restricted_ingress(mut spec: EnvironmentSpec) -> EnvironmentSpec {
    let mut ingress = ingress_defaults();
    ingress.internal = true;
    ingress.certificate_arn = Some(
        "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0000-4000-8000-000000000001"
            .into(),
    );
    ingress.http_to_https = false;
    ingress.allowed_cidrs = vec!["10.20.0.0/16".into(), "192.0.2.0/24".into()];
    spec.ingress = Some(ingress);
    spec
}

fn service(tier: Tier, name: &str, port: u32) -> ServiceSpec {
    let d = ServiceDefaults::for_tier(tier);
    ServiceSpec {
        environment: ENV_NAME.into(),
        name: name.into(),
        image: "public.ecr.aws/nginx/nginx:1.27".into(),
        image_source: ImageSource::Terraform,
        cpu: 256,
        memory: 512,
        architecture: "X86_64".into(),
        port: Some(port),
        command: vec![],
        environment_variables: BTreeMap::new(),
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
            spot_weight: 0,
            base: 0,
        },
        deployment: DeploymentSpec {
            min_healthy_percent: d.min_healthy_percent,
            max_percent: d.max_percent,
            circuit_breaker: true,
            wait: false,
        },
        iam: IamSpec::default(),
        log_retention_days: 30,
        tags: BTreeMap::new(),
    }
}

fn routed(mut spec: ServiceSpec, tier: Tier, host: &str) -> ServiceSpec {
    let d = ServiceDefaults::for_tier(tier);
    spec.routing = Some(RoutingSpec {
        hosts: vec![host.into()],
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
        memory_target: None,
        scale_in_cooldown: 300,
        scale_out_cooldown: 60,
        queue: None,
    });
    spec
}

fn database_spec(tier: Tier, name: &str) -> DatabaseSpec {
    let d = DatabaseDefaults::for_tier(tier);
    DatabaseSpec {
        environment: ENV_NAME.into(),
        name: name.into(),
        engine: "postgres".into(),
        engine_version: d.engine_version.into(),
        allow_major_version_upgrade: false,
        instance_class: d.instance_class.into(),
        database_name: name.replace('-', "_"),
        master_username: "platform_admin".into(),
        multi_az: d.multi_az,
        kms_key_arn: None,
        deletion_protection: d.deletion_protection,
        final_snapshot: d.final_snapshot,
        apply_immediately: d.apply_immediately,
        performance_insights: d.performance_insights,
        log_exports: vec!["postgresql".into()],
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

fn cache_spec(tier: Tier, name: &str) -> CacheSpec {
    let d = CacheDefaults::for_tier(tier);
    CacheSpec {
        environment: ENV_NAME.into(),
        name: name.into(),
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

/// A service and the names of the databases and caches it is given.
struct ServicePlan {
    spec: ServiceSpec,
    databases: Vec<&'static str>,
    caches: Vec<&'static str>,
}

/// What one scenario deploys into one environment.
struct Scenario {
    label: String,
    env: EnvironmentSpec,
    services: Vec<ServicePlan>,
    databases: Vec<&'static str>,
    caches: Vec<&'static str>,
}

fn scenarios() -> Vec<Scenario> {
    let mut out = Vec::new();
    for tier in [Tier::Dev, Tier::Staging, Tier::Prod] {
        let t = tier.as_str();
        out.push(Scenario {
            label: format!("{t}, no ingress, an internal worker with access"),
            env: environment(tier),
            services: vec![ServicePlan {
                spec: service(tier, "worker", 8080),
                databases: vec!["main"],
                caches: vec!["sessions"],
            }],
            databases: vec!["main"],
            caches: vec!["sessions"],
        });
        out.push(Scenario {
            label: format!("{t}, default ingress, routed api with access, bare worker"),
            env: with_default_ingress(environment(tier)),
            services: vec![
                ServicePlan {
                    spec: routed(service(tier, "api", 8080), tier, "api.example.com"),
                    databases: vec!["main"],
                    caches: vec!["sessions"],
                },
                ServicePlan {
                    spec: service(tier, "worker", 8080),
                    databases: vec![],
                    caches: vec![],
                },
            ],
            databases: vec!["main", "reports"],
            caches: vec!["sessions"],
        });
        out.push(Scenario {
            label: format!("{t}, internal ingress from two CIDRs without port 80"),
            env: with_restricted_ingress(environment(tier)),
            services: vec![
                ServicePlan {
                    spec: routed(service(tier, "api", 9000), tier, "api.example.com"),
                    databases: vec!["main", "reports"],
                    caches: vec!["sessions", "jobs"],
                },
                ServicePlan {
                    spec: routed(service(tier, "admin", 3000), tier, "admin.example.com"),
                    databases: vec!["reports"],
                    caches: vec![],
                },
            ],
            databases: vec!["main", "reports"],
            caches: vec!["sessions", "jobs"],
        });
    }
    // Interface endpoints outside prod: `extra` alone brings the endpoints group.
    let mut dev = environment(Tier::Dev);
    dev.network.endpoints.extra = vec!["sqs".into()];
    out.push(Scenario {
        label: "dev with an extra interface endpoint".into(),
        env: dev,
        services: vec![],
        databases: vec![],
        caches: vec![],
    });
    // Services calling each other: core admits web and worker on its port.
    let mut core = service(Tier::Dev, "core", 7000);
    core.allow_from_services = ["web", "worker"]
        .iter()
        .map(|name| AccessRef {
            id: format!("{ENV_NAME}/{name}"),
            name: name.to_string(),
            secret_arn: None,
            security_group_id: Some(global_id(
                &format!("service/{ENV_NAME}/{name}"),
                &NodeKey::new(Kind::SecurityGroup, &["service"]),
            )),
        })
        .collect();
    out.push(Scenario {
        label: "dev, services calling each other".into(),
        env: environment(Tier::Dev),
        services: ["web", "worker"]
            .into_iter()
            .map(|name| ServicePlan {
                spec: service(Tier::Dev, name, 8080),
                databases: vec![],
                caches: vec![],
            })
            .chain([ServicePlan {
                spec: core,
                databases: vec![],
                caches: vec![],
            }])
            .collect(),
        databases: vec![],
        caches: vec![],
    });
    // And prod without them: no endpoints group.
    let mut prod = with_default_ingress(environment(Tier::Prod));
    prod.network.endpoints.preset = EndpointPreset::Gateway;
    out.push(Scenario {
        label: "prod with only gateway endpoints".into(),
        env: prod,
        services: vec![ServicePlan {
            spec: routed(
                service(Tier::Prod, "api", 8443),
                Tier::Prod,
                "api.example.com",
            ),
            databases: vec![],
            caches: vec!["sessions"],
        }],
        databases: vec![],
        caches: vec!["sessions"],
    });
    out
}

// ---------------------------------------------------------------------------------------------
// The simulated account
// ---------------------------------------------------------------------------------------------

/// The global ID of a child: its owner's natural key and its node key.
fn global_id(owner: &str, key: &NodeKey) -> String {
    format!("{owner}|{key}")
}

/// One resource's graph, with how its references resolve to global IDs.
struct Graph {
    /// `platform_environment`, `platform_service`, …
    resource: &'static str,
    /// The natural key (`service/sec1/api`).
    owner: String,
    /// The resource's own name (`api`), for `<name>` in AWS names.
    name: String,
    nodes: BTreeMap<NodeKey, Node>,
    external: BTreeMap<NodeKey, String>,
}

impl Graph {
    fn resolve(&self, key: &NodeKey) -> String {
        if self.nodes.contains_key(key) {
            return global_id(&self.owner, key);
        }
        self.external.get(key).cloned().unwrap_or_else(|| {
            panic!(
                "{}: {key} is neither a child nor an external reference",
                self.owner
            )
        })
    }
}

/// Every graph of a scenario, and the facts the tables' conditions read.
struct World {
    label: String,
    env: EnvironmentSpec,
    graphs: Vec<Graph>,
    /// Owner of each service → its spec and the group IDs of its databases and caches.
    services: BTreeMap<String, (ServiceSpec, Vec<String>, Vec<String>)>,
}

fn database_group_id(name: &str) -> String {
    global_id(
        &format!("database/{ENV_NAME}/{name}"),
        &database::security_group_key(),
    )
}

fn cache_group_id(name: &str) -> String {
    global_id(
        &format!("cache/{ENV_NAME}/{name}"),
        &cache::security_group_key(),
    )
}

fn no_errors(what: &str, diags: &terraform_provider_platform::framework::diag::Diagnostics) {
    assert!(
        !diags.has_errors(),
        "{what} is not a valid input: {:?}",
        diags.iter().map(ToString::to_string).collect::<Vec<_>>()
    );
}

fn build(scenario: Scenario) -> World {
    let label = scenario.label;
    let env = scenario.env;
    no_errors(&label, &validate_environment(&env));
    let (expansion, diags) = expand_environment(&env, &region(), &Ledger::new());
    no_errors(&label, &diags);
    let env_owner = env.owner();
    let env_ref = EnvironmentFacts {
        name: env.name.clone(),
        tier: env.tier,
        region: "us-east-1".into(),
        ids: expansion
            .nodes
            .keys()
            .map(|k| (k.clone(), global_id(&env_owner, k)))
            .collect(),
        log_retention_days: env.logging.retention_days,
        log_kms_key_arn: None,
        capacity: env.cluster.capacity,
        secret_recovery_window_days: env.secret_recovery_window_days,
        service_discovery: None,
        certificate_arn: None,
        load_balancer_dns_name: env.ingress.as_ref().map(|_| "lb.example".to_string()),
    };
    let mut graphs = vec![Graph {
        resource: "platform_environment",
        owner: env_owner,
        name: env.name.clone(),
        nodes: expansion.nodes,
        external: BTreeMap::new(),
    }];
    for name in &scenario.databases {
        let spec = database_spec(env.tier, name);
        no_errors(&label, &validate_database(&spec));
        let graph = expand_database(&spec, &env_ref);
        graphs.push(Graph {
            resource: "platform_database",
            owner: spec.owner(),
            name: spec.name.clone(),
            nodes: graph.nodes,
            external: graph.external,
        });
    }
    for name in &scenario.caches {
        let spec = cache_spec(env.tier, name);
        no_errors(&label, &validate_cache(&spec));
        let graph = expand_cache(&spec, &env_ref);
        graphs.push(Graph {
            resource: "platform_cache",
            owner: spec.owner(),
            name: spec.name.clone(),
            nodes: graph.nodes,
            external: graph.external,
        });
    }
    let access = |kind: &str, name: &str, group: String| {
        AccessRef {
        id: format!("{ENV_NAME}/{name}"),
        name: name.to_string(),
        secret_arn: Some(format!(
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:platform/{ENV_NAME}/{kind}/{name}-AbCdEf"
        )),
        security_group_id: Some(group),
    }
    };
    let mut services = BTreeMap::new();
    for (i, plan) in scenario.services.into_iter().enumerate() {
        let mut spec = plan.spec;
        spec.database_access = plan
            .databases
            .iter()
            .map(|n| access("database", n, database_group_id(n)))
            .collect();
        spec.cache_access = plan
            .caches
            .iter()
            .map(|n| access("cache", n, cache_group_id(n)))
            .collect();
        no_errors(&label, &validate_service(&spec));
        let inputs = ServiceInputs {
            priority: spec.routing.as_ref().map(|_| 100 + i as u32),
            running_image: None,
            recorded_secrets: Default::default(),
        };
        let graph = expand_service(&spec, &env_ref, &inputs);
        services.insert(
            spec.owner(),
            (
                spec.clone(),
                plan.databases
                    .iter()
                    .map(|n| database_group_id(n))
                    .collect(),
                plan.caches.iter().map(|n| cache_group_id(n)).collect(),
            ),
        );
        graphs.push(Graph {
            resource: "platform_service",
            owner: spec.owner(),
            name: spec.name.clone(),
            nodes: graph.nodes,
            external: graph.external,
        });
    }
    World {
        label,
        env,
        graphs,
        services,
    }
}

fn worlds() -> Vec<World> {
    scenarios().into_iter().map(build).collect()
}

/// The table name of the group with this global ID.
fn symbol(id: &str) -> String {
    let (owner, key) = id.split_once('|').unwrap_or(("", id));
    let qualifier = key
        .strip_prefix("ec2.security_group/")
        .unwrap_or_else(|| panic!("{id} is not a security group"));
    match owner.split('/').next().unwrap_or_default() {
        "environment" => format!("env.{qualifier}"),
        kind @ ("service" | "database" | "cache") => {
            assert_eq!(qualifier, kind, "unexpected group key {key} of {owner}");
            kind.to_string()
        }
        other => panic!("group {id} of an unknown owner kind {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Conditions, ports and peers of the tables
// ---------------------------------------------------------------------------------------------

fn interface_endpoints(env: &EnvironmentSpec) -> bool {
    !env.network.endpoints.interface_services().is_empty()
}

/// A `When` of the groups table, for one graph.
fn group_applies(when: &str, world: &World) -> bool {
    match when {
        "always" => true,
        "ingress" => world.env.ingress.is_some(),
        "interface endpoints" => interface_endpoints(&world.env),
        other => panic!("{DOC}: unknown `When` {other:?} in the groups table"),
    }
}

fn ports(text: &str, service: Option<&ServiceSpec>) -> (i32, i32) {
    let number = |s: &str| {
        s.parse::<i32>()
            .unwrap_or_else(|_| panic!("{DOC}: {text:?} is not a port, a range, `all` or `port`"))
    };
    match text {
        "all" => (-1, -1),
        "port" => {
            let port = service
                .unwrap_or_else(|| panic!("{DOC}: `port` is only meaningful for a service"))
                .port
                .unwrap_or_else(|| panic!("{DOC}: a worker has no `port`"));
            (port as i32, port as i32)
        }
        range => match range.split_once('-') {
            Some((from, to)) => (number(from), number(to)),
            None => (number(range), number(range)),
        },
    }
}

fn protocol(text: &str) -> String {
    match text {
        "all" => "-1".to_string(),
        "tcp" | "udp" => text.to_string(),
        other => panic!("{DOC}: unknown protocol {other:?}"),
    }
}

/// A rule as AWS would hold it: group and peer by global ID (or CIDR).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Concrete {
    owner: String,
    group: String,
    direction: String,
    protocol: String,
    from: i32,
    to: i32,
    peer: String,
}

impl std::fmt::Display for Concrete {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let peer = if self.peer.contains('|') {
            format!("{} ({})", symbol(&self.peer), self.peer)
        } else {
            self.peer.clone()
        };
        write!(
            f,
            "[{}] {} ({}) {} {} {}..{} peer {peer}",
            self.owner,
            symbol(&self.group),
            self.group,
            self.direction,
            self.protocol,
            self.from,
            self.to
        )
    }
}

/// The CIDRs of the environment's private subnets.
fn private_subnet_cidrs(world: &World) -> Vec<String> {
    world.graphs[0]
        .nodes
        .values()
        .filter_map(|n| match &n.spec {
            ChildSpec::Subnet(s) if s.tier == SubnetTier::Private => Some(s.cidr.clone()),
            _ => None,
        })
        .collect()
}

/// What the matrix says the scenario's rules are.
fn expected_rules(world: &World) -> Vec<Concrete> {
    let env = &world.env;
    let env_owner = env.owner();
    let env_group = |symbol: &str| -> Option<String> {
        symbol
            .strip_prefix("env.")
            .map(|q| global_id(&env_owner, &NodeKey::new(Kind::SecurityGroup, &[q])))
    };
    let mut out = Vec::new();
    for row in RULES {
        // Each binding maps the row's non-environment group names to IDs.
        let mut instances: Vec<(String, Option<&ServiceSpec>, BTreeMap<&str, String>)> = Vec::new();
        match row.owner {
            "platform_environment" => {
                let applies = match row.when {
                    "always" => true,
                    "ingress" => env.ingress.is_some(),
                    "ingress.http_to_https" => {
                        env.ingress.as_ref().is_some_and(|i| i.http_to_https)
                    }
                    "interface endpoints" => interface_endpoints(env),
                    other => panic!("{DOC}: unknown `When` {other:?} for {}", row.owner),
                };
                if applies {
                    instances.push((env_owner.clone(), None, BTreeMap::new()));
                }
            }
            "platform_service" => {
                for (owner, (spec, databases, caches)) in &world.services {
                    let own: BTreeMap<&str, String> = [(
                        "service",
                        global_id(owner, &NodeKey::new(Kind::SecurityGroup, &["service"])),
                    )]
                    .into();
                    let with = |name: &'static str, id: &String| {
                        let mut b = own.clone();
                        b.insert(name, id.clone());
                        (owner.clone(), Some(spec), b)
                    };
                    match row.when {
                        "always" => instances.push((owner.clone(), Some(spec), own.clone())),
                        "routing" => {
                            if spec.routing.is_some() && env.ingress.is_some() {
                                instances.push((owner.clone(), Some(spec), own.clone()));
                            }
                        }
                        "database_access" => {
                            instances.extend(databases.iter().map(|id| with("database", id)))
                        }
                        "cache_access" => {
                            instances.extend(caches.iter().map(|id| with("cache", id)))
                        }
                        "allow_from_services" => instances.extend(
                            spec.allow_from_services
                                .iter()
                                .filter_map(|c| c.security_group_id.as_ref())
                                .map(|id| with("caller", id)),
                        ),
                        other => panic!("{DOC}: unknown `When` {other:?} for {}", row.owner),
                    }
                }
            }
            other => panic!("{DOC}: rules owned by {other:?} are not modelled by the test"),
        }
        for (owner, service, bound) in instances {
            let group_id = |symbol: &str| -> String {
                env_group(symbol)
                    .or_else(|| bound.get(symbol).cloned())
                    .unwrap_or_else(|| {
                        panic!("{DOC}: group {symbol:?} cannot be resolved in a rule of {owner}")
                    })
            };
            let peers: Vec<String> = match row.peer {
                "network.cidr" => vec![env.network.cidr.to_string()],
                "private subnets" => private_subnet_cidrs(world),
                "ingress.allowed_cidrs" => env
                    .ingress
                    .as_ref()
                    .map(|i| i.allowed_cidrs.clone())
                    .unwrap_or_default(),
                cidr if cidr.contains('/') => vec![cidr.to_string()],
                group => vec![group_id(group)],
            };
            let (from, to) = ports(row.ports, service);
            for peer in peers {
                out.push(Concrete {
                    owner: owner.clone(),
                    group: group_id(row.group),
                    direction: row.direction.to_string(),
                    protocol: protocol(row.protocol),
                    from,
                    to,
                    peer,
                });
            }
        }
    }
    out.sort();
    out
}

/// The rules the expansions create.
fn actual_rules(world: &World) -> Vec<Concrete> {
    let mut out = Vec::new();
    for graph in &world.graphs {
        for node in graph.nodes.values() {
            let ChildSpec::SecurityGroupRule(rule) = &node.spec else {
                continue;
            };
            let peer = match &rule.peer {
                RulePeer::Cidr(cidr) => cidr.clone(),
                RulePeer::Group(key) => graph.resolve(key),
                RulePeer::PrefixList(list) => format!("prefix list {list}"),
            };
            out.push(Concrete {
                owner: graph.owner.clone(),
                group: graph.resolve(&rule.group),
                direction: match rule.direction {
                    Direction::Ingress => "ingress",
                    Direction::Egress => "egress",
                }
                .to_string(),
                protocol: rule.protocol.clone(),
                from: rule.from_port,
                to: rule.to_port,
                peer,
            });
        }
    }
    out.sort();
    out
}

fn assert_same<T: Ord + Clone + std::fmt::Display>(
    label: &str,
    what: &str,
    actual: &[T],
    expected: &[T],
) {
    let missing: Vec<String> = expected
        .iter()
        .filter(|e| !actual.contains(e))
        .map(|e| format!("  - {e}"))
        .collect();
    let extra: Vec<String> = actual
        .iter()
        .filter(|a| !expected.contains(a))
        .map(|a| format!("  + {a}"))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty() && actual.len() == expected.len(),
        "{label}: the {what} differ from {DOC}.\nIn the doc, not created:\n{}\nCreated, not in the doc:\n{}\n({} created, {} expected; duplicates count)",
        missing.join("\n"),
        extra.join("\n"),
        actual.len(),
        expected.len()
    );
}

// ---------------------------------------------------------------------------------------------
// Tests over the expansions
// ---------------------------------------------------------------------------------------------

#[test]
fn every_rule_is_in_the_matrix_and_every_row_is_created() {
    for world in worlds() {
        let expected = expected_rules(&world);
        let actual = actual_rules(&world);
        assert_same(&world.label, "security group rules", &actual, &expected);
        // A database or cache owns no rule at all.
        for graph in &world.graphs {
            if matches!(graph.resource, "platform_database" | "platform_cache") {
                let rules: Vec<&NodeKey> = graph
                    .nodes
                    .values()
                    .filter(|n| n.spec.kind() == Kind::SecurityGroupRule)
                    .map(|n| &n.key)
                    .collect();
                assert!(
                    rules.is_empty(),
                    "{}: {} owns rules {rules:?}",
                    world.label,
                    graph.owner
                );
            }
        }
    }
}

#[test]
fn every_row_of_the_matrix_is_exercised() {
    let worlds = worlds();
    for row in RULES {
        let hit = worlds.iter().any(|w| {
            expected_rules(w).iter().any(|r| {
                r.owner.starts_with(match row.owner {
                    "platform_environment" => "environment/",
                    _ => "service/",
                }) && symbol(&r.group) == row.group
                    && r.direction == row.direction
                    && (r.from, r.to)
                        == ports(row.ports, w.services.get(&r.owner).map(|(spec, _, _)| spec))
            })
        });
        assert!(
            hit,
            "no scenario creates the matrix row {:?}; add one",
            row.cells()
        );
    }
    for row in GROUPS {
        assert!(
            worlds
                .iter()
                .any(|w| group_applies(row.when, w)
                    && w.graphs.iter().any(|g| g.resource == row.owner)),
            "no scenario creates group {}",
            row.group
        );
    }
}

/// A group as the tables describe it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct GroupFact {
    id: String,
    aws_name: String,
    attached_to: String,
}

impl std::fmt::Display for GroupFact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}) named {:?}, attached to {}",
            symbol(&self.id),
            self.id,
            self.aws_name,
            self.attached_to
        )
    }
}

fn expected_groups(world: &World) -> Vec<GroupFact> {
    let mut out = Vec::new();
    for row in GROUPS {
        if !group_applies(row.when, world) {
            continue;
        }
        for graph in world.graphs.iter().filter(|g| g.resource == row.owner) {
            let qualifier = row.group.strip_prefix("env.").unwrap_or(row.group);
            out.push(GroupFact {
                id: global_id(
                    &graph.owner,
                    &NodeKey::new(Kind::SecurityGroup, &[qualifier]),
                ),
                aws_name: row
                    .aws_name
                    .replace("<env>", &world.env.name)
                    .replace("<name>", &graph.name),
                attached_to: row.attached_to.to_string(),
            });
        }
    }
    out.sort();
    out
}

fn actual_groups(world: &World) -> Vec<GroupFact> {
    // Who uses each group, across every graph.
    let mut users: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for graph in &world.graphs {
        for node in graph.nodes.values() {
            let (label, groups) = match &node.spec {
                ChildSpec::LoadBalancer(s) => ("load balancer", &s.security_groups),
                ChildSpec::VpcEndpoint(s) => ("interface endpoints", &s.security_groups),
                ChildSpec::EcsService(s) => ("ECS service", &s.security_groups),
                ChildSpec::DbInstance(s) => ("DB instance", &s.security_groups),
                ChildSpec::ReplicationGroup(s) => ("replication group", &s.security_groups),
                _ => continue,
            };
            for group in groups {
                users.entry(graph.resolve(group)).or_default().insert(label);
            }
        }
    }
    let mut out = Vec::new();
    for graph in &world.graphs {
        for node in graph.nodes.values() {
            let ChildSpec::SecurityGroup(group) = &node.spec else {
                continue;
            };
            let id = global_id(&graph.owner, &node.key);
            let attached_to = match users.get(&id) {
                Some(labels) => labels.iter().copied().collect::<Vec<_>>().join(", "),
                None => "nothing (exported)".to_string(),
            };
            out.push(GroupFact {
                id,
                aws_name: group.name.clone(),
                attached_to,
            });
        }
    }
    out.sort();
    out
}

#[test]
fn every_group_is_in_the_table_with_its_name_and_use() {
    for world in worlds() {
        let actual = actual_groups(&world);
        assert_same(
            &world.label,
            "security groups",
            &actual,
            &expected_groups(&world),
        );
        // Every group a rule or peer names exists in the account.
        let ids: BTreeSet<&str> = actual.iter().map(|g| g.id.as_str()).collect();
        for rule in actual_rules(&world) {
            for id in [&rule.group, &rule.peer] {
                assert!(
                    !id.contains('|') || ids.contains(id.as_str()),
                    "{}: rule {rule} refers to group {id}, which nothing creates",
                    world.label
                );
            }
        }
    }
}

#[test]
fn only_the_load_balancer_admits_addresses_from_outside_the_vpc() {
    for world in worlds() {
        let vpc = world.env.network.cidr.to_string();
        for rule in actual_rules(&world) {
            if rule.direction != "ingress" || rule.peer.contains('|') {
                continue;
            }
            let group = symbol(&rule.group);
            let allowed = (group == "env.load_balancer" && matches!(rule.from, 80 | 443))
                || (group == "env.endpoints" && rule.peer == vpc && rule.from == 443);
            assert!(allowed, "{}: CIDR ingress {rule}", world.label);
        }
    }
}

#[test]
fn data_tier_groups_admit_only_service_groups_and_open_nothing() {
    for world in worlds() {
        for rule in actual_rules(&world) {
            let group = symbol(&rule.group);
            if !matches!(
                group.as_str(),
                "env.data" | "database" | "cache" | "env.endpoints"
            ) {
                continue;
            }
            assert_eq!(
                rule.direction, "ingress",
                "{}: a data-tier or endpoint group opens connections: {rule}",
                world.label
            );
            if group != "env.endpoints" {
                assert!(
                    rule.peer.contains('|')
                        && matches!(symbol(&rule.peer).as_str(), "service" | "env.services"),
                    "{}: a data-tier group admits something other than services: {rule}",
                    world.label
                );
                assert!(
                    rule.protocol == "tcp" && rule.from == rule.to,
                    "{}: a data-tier group admits more than one port: {rule}",
                    world.label
                );
            }
        }
    }
}

/// AWS allows 60 rules per direction on a security group by default. An environment routing
/// to 100 services must not need more on any group: the load balancer's group once had one
/// egress rule per routed service, and the 61st service's apply failed with
/// `RulesPerSecurityGroupLimitExceeded`.
#[test]
fn a_hundred_routed_services_keep_every_group_within_the_rules_quota() {
    const RULES_PER_DIRECTION: usize = 60;
    for tier in [Tier::Dev, Tier::Prod] {
        let services = (0..100)
            .map(|i| {
                let name = format!("svc{i}");
                let host = format!("{name}.example.com");
                ServicePlan {
                    spec: routed(service(tier, &name, 8080), tier, &host),
                    databases: vec![],
                    caches: vec![],
                }
            })
            .collect();
        let world = build(Scenario {
            label: format!("{}, 100 routed services", tier.as_str()),
            env: with_default_ingress(environment(tier)),
            services,
            databases: vec![],
            caches: vec![],
        });
        let mut per_group: BTreeMap<(String, String), usize> = BTreeMap::new();
        for rule in actual_rules(&world) {
            *per_group.entry((rule.group, rule.direction)).or_default() += 1;
        }
        assert!(per_group.len() > 100, "{}: too few groups", world.label);
        for ((group, direction), count) in per_group {
            assert!(
                count <= RULES_PER_DIRECTION,
                "{}: {} ({group}) has {count} {direction} rules, over AWS's {RULES_PER_DIRECTION}",
                world.label,
                symbol(&group)
            );
        }
    }
}
