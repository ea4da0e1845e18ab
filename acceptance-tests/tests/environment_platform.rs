//! `platform_environment` above the network — flow logs, cluster, log groups, VPC endpoints,
//! security groups, the data tier — plus deletion protection, in-place updates, the egress
//! check, drift of several kinds, import by VPC ID and an apply whose provider is killed, on
//! Terraform 1.0.3 and 1.15.5 against moto. Every result is checked through the AWS API.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use acceptance_tests::{
    block_on, both_versions, census, flat, percent_decode, provider_binary, unique, Emulator, Tf,
    Workspace,
};
use aws_sdk_ec2::types::{Filter, SecurityGroupRule, VpcEndpoint};

both_versions!(
    staging_defaults,
    prod_defaults_and_deletion_protection,
    settings_update_in_place,
    no_egress_path_is_refused,
    drift_of_several_kinds_is_restored,
    import_by_vpc_id,
    killed_mid_apply_converges,
);

const REGION: &str = "us-east-1";
const VPC_CIDR: &str = "10.0.0.0/16";
const ESSENTIAL: &[&str] = &["ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm", "sts"];
const GATEWAY: &[&str] = &["dynamodb", "s3"];
const MAIN: &str = "platform_environment.main";

// ---------------------------------------------------------------------------------------------
// Configuration and Terraform helpers
// ---------------------------------------------------------------------------------------------

/// One environment; `body` goes inside the resource block after `name` and `tier`.
fn config(name: &str, tier: &str, body: &str) -> String {
    format!(
        r#"
resource "platform_environment" "main" {{
  name = "{name}"
  tier = "{tier}"
{body}
}}

output "vpc_id" {{ value = platform_environment.main.vpc_id }}
"#
    )
}

fn owner(name: &str) -> String {
    format!("environment/{name}")
}

fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect()
}

fn strings(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("expected a list, got {value}"))
        .iter()
        .map(|v| v.as_str().expect("string").to_string())
        .collect()
}

fn set<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> BTreeSet<String> {
    items.into_iter().map(Into::into).collect()
}

/// Asserts that a plan exists, changes the environment in place and replaces nothing.
fn assert_in_place_plan(ws: &Workspace, what: &str) {
    let (changes, plan) = ws.plan();
    assert!(
        changes && plan.contains("updated in-place") && !plan.contains("must be replaced"),
        "{what}: expected an in-place update ({:?}), got:\n{plan}",
        ws.tf
    );
}

/// Destroys and asserts that nothing tagged with the environment's owner is left.
fn destroy_and_assert_empty(ws: &Workspace, emulator: &Emulator, name: &str) {
    ws.destroy();
    let left = census(emulator, &owner(name));
    assert!(
        left.is_empty(),
        "destroy left tagged objects ({:?}): {left:?}",
        ws.tf
    );
}

/// The environment's computed attributes the checks need.
struct Env {
    name: String,
    vpc_id: String,
    private_subnets: Vec<String>,
    data_subnets: Vec<String>,
    resources: serde_json::Value,
}

impl Env {
    fn read(ws: &Workspace, name: &str) -> Env {
        let attrs = ws.attributes(MAIN);
        Env {
            name: name.to_string(),
            vpc_id: attrs["vpc_id"].as_str().expect("vpc_id").to_string(),
            private_subnets: strings(&attrs["private_subnet_ids"]),
            data_subnets: strings(&attrs["data_subnet_ids"]),
            resources: attrs["resources"].clone(),
        }
    }

    fn resource(&self, key: &str) -> String {
        self.resources[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} not in resources: {}", self.resources))
            .to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// AWS views
// ---------------------------------------------------------------------------------------------

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

/// Subnet ID → (route table ID, whether that table has a 0.0.0.0/0 route), from associations.
fn tables_by_subnet(emulator: &Emulator, vpc_id: &str) -> BTreeMap<String, (String, bool)> {
    block_on(async {
        let out = emulator
            .ec2()
            .describe_route_tables()
            .filters(filter("vpc-id", vpc_id))
            .send()
            .await
            .expect("DescribeRouteTables");
        let mut map = BTreeMap::new();
        for table in out.route_tables() {
            let default = table
                .routes()
                .iter()
                .any(|r| r.destination_cidr_block() == Some("0.0.0.0/0"));
            for association in table.associations() {
                if let Some(subnet) = association.subnet_id() {
                    map.insert(
                        subnet.to_string(),
                        (table.route_table_id().unwrap().to_string(), default),
                    );
                }
            }
        }
        map
    })
}

/// Live (not deleting or deleted) VPC endpoints of the VPC.
fn live_endpoints(emulator: &Emulator, vpc_id: &str) -> Vec<VpcEndpoint> {
    block_on(async {
        emulator
            .ec2()
            .describe_vpc_endpoints()
            .filters(filter("vpc-id", vpc_id))
            .send()
            .await
            .expect("DescribeVpcEndpoints")
            .vpc_endpoints()
            .iter()
            .filter(|e| {
                !e.state().is_some_and(|s| {
                    matches!(
                        s.as_str().to_ascii_lowercase().as_str(),
                        "deleted" | "deleting"
                    )
                })
            })
            .cloned()
            .collect()
    })
}

/// Live endpoints of one type, keyed by service suffix (`s3`, `ecr.api`, …).
fn endpoints_of_type(
    emulator: &Emulator,
    vpc_id: &str,
    kind: &str,
) -> BTreeMap<String, VpcEndpoint> {
    let prefix = format!("com.amazonaws.{REGION}.");
    let mut out = BTreeMap::new();
    for endpoint in live_endpoints(emulator, vpc_id) {
        if endpoint.vpc_endpoint_type().map(|t| t.as_str()) != Some(kind) {
            continue;
        }
        let service = endpoint.service_name().unwrap_or_default();
        let suffix = service.strip_prefix(&prefix).unwrap_or(service).to_string();
        assert!(
            out.insert(suffix.clone(), endpoint).is_none(),
            "two live {kind} endpoints for {suffix}"
        );
    }
    out
}

fn group_id(emulator: &Emulator, vpc_id: &str, group_name: &str) -> String {
    block_on(async {
        let out = emulator
            .ec2()
            .describe_security_groups()
            .filters(filter("vpc-id", vpc_id))
            .filters(filter("group-name", group_name))
            .send()
            .await
            .expect("DescribeSecurityGroups");
        assert_eq!(
            out.security_groups().len(),
            1,
            "security groups named {group_name}: {:?}",
            out.security_groups()
        );
        out.security_groups()[0].group_id().unwrap().to_string()
    })
}

fn rules(emulator: &Emulator, group_id: &str) -> Vec<SecurityGroupRule> {
    block_on(async {
        emulator
            .ec2()
            .describe_security_group_rules()
            .filters(filter("group-id", group_id))
            .send()
            .await
            .expect("DescribeSecurityGroupRules")
            .security_group_rules()
            .to_vec()
    })
}

/// (protocol, from, to, peer) of a rule; the peer is a CIDR or a referenced group ID.
type Shape = (String, i32, i32, String);

fn rule_shape(rule: &SecurityGroupRule) -> Shape {
    let peer = rule
        .cidr_ipv4()
        .map(str::to_string)
        .or_else(|| {
            rule.referenced_group_info()
                .and_then(|g| g.group_id())
                .map(str::to_string)
        })
        .unwrap_or_default();
    (
        rule.ip_protocol().unwrap_or_default().to_string(),
        rule.from_port().unwrap_or(-1),
        rule.to_port().unwrap_or(-1),
        peer,
    )
}

/// A group's ingress and egress rules, as shapes.
fn ingress_and_egress(emulator: &Emulator, group_id: &str) -> (BTreeSet<Shape>, BTreeSet<Shape>) {
    let all = rules(emulator, group_id);
    let pick = |egress: bool| {
        let picked: Vec<_> = all
            .iter()
            .filter(|r| r.is_egress() == Some(egress))
            .map(rule_shape)
            .collect();
        let unique: BTreeSet<_> = picked.iter().cloned().collect();
        assert_eq!(
            picked.len(),
            unique.len(),
            "duplicate rules in {group_id}: {picked:?}"
        );
        unique
    };
    (pick(false), pick(true))
}

/// Retention of a log group, `None` when the group does not exist.
fn log_group_retention(emulator: &Emulator, name: &str) -> Option<Option<i32>> {
    block_on(async {
        let out = emulator
            .logs()
            .describe_log_groups()
            .log_group_name_prefix(name)
            .send()
            .await
            .expect("DescribeLogGroups");
        out.log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(name))
            .map(|g| g.retention_in_days())
    })
}

fn assert_retention(emulator: &Emulator, name: &str, days: i32) {
    assert_eq!(
        log_group_retention(emulator, name),
        Some(Some(days)),
        "log group {name}: retention"
    );
}

/// Checks the flow log on the VPC, its log group and its IAM role.
fn check_flow_log(emulator: &Emulator, env: &Env, traffic: &str, retention: i32) {
    let group_name = format!("/platform/{}/flow-logs", env.name);
    let flow_logs = block_on(async {
        emulator
            .ec2()
            .describe_flow_logs()
            .filter(filter("resource-id", &env.vpc_id))
            .send()
            .await
            .expect("DescribeFlowLogs")
            .flow_logs()
            .to_vec()
    });
    assert_eq!(flow_logs.len(), 1, "flow logs on the VPC: {flow_logs:?}");
    let flow = &flow_logs[0];
    assert_eq!(flow.resource_id(), Some(env.vpc_id.as_str()));
    assert_eq!(flow.traffic_type().map(|t| t.as_str()), Some(traffic));
    let delivers_to = flow
        .log_group_name()
        .map(str::to_string)
        .or_else(|| {
            flow.log_destination()
                .map(|arn| arn.rsplit(":log-group:").next().unwrap_or(arn).to_string())
        })
        .unwrap_or_default();
    assert_eq!(delivers_to.trim_end_matches(":*"), group_name, "{flow:?}");
    assert_retention(emulator, &group_name, retention);

    let role_arn = flow
        .deliver_logs_permission_arn()
        .expect("flow log has a delivery role");
    let role_name = role_arn.rsplit('/').next().unwrap();
    assert_eq!(
        role_name,
        format!("platform-{}-flow-logs-{REGION}", env.name),
        "flow-log role name"
    );
    let document = block_on(async {
        emulator
            .iam()
            .get_role()
            .role_name(role_name)
            .send()
            .await
            .expect("GetRole")
            .role()
            .and_then(|r| r.assume_role_policy_document())
            .map(str::to_string)
            .unwrap_or_default()
    });
    let policy: serde_json::Value = serde_json::from_str(&document)
        .or_else(|_| serde_json::from_str(&percent_decode(&document)))
        .unwrap_or_else(|e| panic!("trust policy is not JSON ({e}): {document}"));
    let statements = match &policy["Statement"] {
        serde_json::Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    let trusted = statements.iter().any(|s| {
        let services = match &s["Principal"]["Service"] {
            serde_json::Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        };
        s["Effect"] == "Allow"
            && services.iter().any(|v| v == "vpc-flow-logs.amazonaws.com")
            && (s["Action"] == "sts:AssumeRole"
                || s["Action"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|v| v == "sts:AssumeRole")))
    });
    assert!(trusted, "role not trusted by vpc-flow-logs: {policy}");
}

/// Checks the cluster's Container Insights, capacity providers and default strategy
/// (`(provider, weight, base)`).
fn check_cluster(emulator: &Emulator, name: &str, insights: &str, strategy: &[(&str, i32, i32)]) {
    let cluster = block_on(async {
        let out = emulator
            .ecs()
            .describe_clusters()
            .clusters(name)
            .include(aws_sdk_ecs::types::ClusterField::Settings)
            .send()
            .await
            .expect("DescribeClusters");
        assert_eq!(out.clusters().len(), 1, "{out:?}");
        out.clusters()[0].clone()
    });
    assert_eq!(cluster.cluster_name(), Some(name));
    assert_eq!(cluster.status(), Some("ACTIVE"));
    let setting = cluster
        .settings()
        .iter()
        .find(|s| s.name().map(|n| n.as_str()) == Some("containerInsights"))
        .and_then(|s| s.value());
    assert_eq!(setting, Some(insights), "containerInsights: {cluster:?}");
    assert_eq!(
        set(cluster.capacity_providers().iter().map(String::as_str)),
        set(["FARGATE", "FARGATE_SPOT"])
    );
    let actual: BTreeSet<(String, i32, i32)> = cluster
        .default_capacity_provider_strategy()
        .iter()
        .map(|i| (i.capacity_provider().to_string(), i.weight(), i.base()))
        .collect();
    let expected: BTreeSet<(String, i32, i32)> = strategy
        .iter()
        .map(|(p, w, b)| (p.to_string(), *w, *b))
        .collect();
    assert_eq!(actual, expected, "default capacity provider strategy");
}

/// Gateway endpoints s3 and dynamodb on exactly the private tables and the data table.
fn check_gateway_endpoints(emulator: &Emulator, env: &Env) {
    let tables = tables_by_subnet(emulator, &env.vpc_id);
    let expected: BTreeSet<String> = env
        .private_subnets
        .iter()
        .chain(&env.data_subnets)
        .map(|s| {
            tables
                .get(s)
                .unwrap_or_else(|| panic!("subnet {s} has no route table"))
                .0
                .clone()
        })
        .collect();
    assert_eq!(
        expected.len(),
        env.private_subnets.len() + 1,
        "one table per private subnet plus the shared data table"
    );
    let gateways = endpoints_of_type(emulator, &env.vpc_id, "Gateway");
    assert_eq!(
        gateways.keys().cloned().collect::<BTreeSet<_>>(),
        set(GATEWAY.iter().copied())
    );
    for (service, endpoint) in &gateways {
        assert_eq!(
            set(endpoint.route_table_ids().iter().map(String::as_str)),
            expected,
            "route tables of the {service} endpoint"
        );
    }
}

/// Security groups services and data (and endpoints when `endpoints`).
fn check_security_groups(
    emulator: &Emulator,
    env: &Env,
    endpoints: bool,
) -> BTreeMap<String, String> {
    let services = group_id(emulator, &env.vpc_id, &format!("{}-services", env.name));
    let data = group_id(emulator, &env.vpc_id, &format!("{}-data", env.name));

    let (ingress, egress) = ingress_and_egress(emulator, &data);
    let expected: BTreeSet<_> = [5432, 6379]
        .into_iter()
        .map(|p| ("tcp".to_string(), p, p, services.clone()))
        .collect();
    assert_eq!(ingress, expected, "data group ingress");
    assert!(
        egress.is_empty(),
        "data group must have no egress: {egress:?}"
    );

    let (_, egress) = ingress_and_egress(emulator, &services);
    assert_eq!(
        egress,
        [("-1".to_string(), -1, -1, "0.0.0.0/0".to_string())]
            .into_iter()
            .collect(),
        "services group egress"
    );

    let mut ids: BTreeMap<String, String> = [
        ("services".to_string(), services),
        ("data".to_string(), data),
    ]
    .into_iter()
    .collect();
    if endpoints {
        let group = group_id(emulator, &env.vpc_id, &format!("{}-endpoints", env.name));
        let (ingress, _) = ingress_and_egress(emulator, &group);
        assert_eq!(
            ingress,
            [("tcp".to_string(), 443, 443, VPC_CIDR.to_string())]
                .into_iter()
                .collect(),
            "endpoints group ingress"
        );
        ids.insert("endpoints".to_string(), group);
    }
    ids
}

/// Interface endpoints for exactly `services`, in the private subnets, behind the endpoints
/// group.
fn check_interface_endpoints(emulator: &Emulator, env: &Env, services: &[&str]) {
    let interface = endpoints_of_type(emulator, &env.vpc_id, "Interface");
    assert_eq!(
        interface.keys().cloned().collect::<BTreeSet<_>>(),
        set(services.iter().copied()),
        "interface endpoints"
    );
    let group = group_id(emulator, &env.vpc_id, &format!("{}-endpoints", env.name));
    for (service, endpoint) in &interface {
        assert_eq!(
            set(endpoint.subnet_ids().iter().map(String::as_str)),
            set(env.private_subnets.iter().map(String::as_str)),
            "subnets of the {service} endpoint"
        );
        assert_eq!(
            endpoint
                .groups()
                .iter()
                .filter_map(|g| g.group_id())
                .collect::<Vec<_>>(),
            vec![group.as_str()],
            "security groups of the {service} endpoint"
        );
    }
}

/// Data subnets have no internet route; the DB and cache subnet groups hold exactly them.
fn check_data_tier(emulator: &Emulator, env: &Env) {
    let tables = tables_by_subnet(emulator, &env.vpc_id);
    for subnet in &env.data_subnets {
        let (table, default) = tables
            .get(subnet)
            .unwrap_or_else(|| panic!("data subnet {subnet} has no route table"));
        assert!(
            !default,
            "data subnet {subnet}'s table {table} has a 0.0.0.0/0 route"
        );
    }
    let group = format!("{}-data", env.name);
    let expected = set(env.data_subnets.iter().map(String::as_str));
    let (db, cache) = block_on(async {
        let db = emulator
            .rds()
            .describe_db_subnet_groups()
            .db_subnet_group_name(&group)
            .send()
            .await
            .expect("DescribeDBSubnetGroups");
        let cache = emulator
            .elasticache()
            .describe_cache_subnet_groups()
            .cache_subnet_group_name(&group)
            .send()
            .await
            .expect("DescribeCacheSubnetGroups");
        let db: BTreeSet<String> = db.db_subnet_groups()[0]
            .subnets()
            .iter()
            .filter_map(|s| s.subnet_identifier().map(str::to_string))
            .collect();
        let cache: BTreeSet<String> = cache.cache_subnet_groups()[0]
            .subnets()
            .iter()
            .filter_map(|s| s.subnet_identifier().map(str::to_string))
            .collect();
        (db, cache)
    });
    assert_eq!(db, expected, "DB subnet group {group}");
    assert_eq!(cache, expected, "cache subnet group {group}");
}

/// Expected census of a default environment with `azs` AZs.
fn expected_census(
    azs: usize,
    nats: usize,
    groups: usize,
    endpoints: usize,
    flow_logs: bool,
) -> BTreeMap<String, usize> {
    let mut c = counts(&[
        ("vpcs", 1),
        ("subnets", 3 * azs),
        ("internet_gateways", 1),
        ("nat_gateways", nats),
        ("addresses", nats),
        ("route_tables", azs + 2),
        ("security_groups", groups),
        ("vpc_endpoints", endpoints),
        ("ecs_clusters", 1),
        ("log_groups", if flow_logs { 2 } else { 1 }),
        ("db_subnet_groups", 1),
        ("cache_subnet_groups", 1),
        ("schedule_groups", 1),
    ]);
    if flow_logs {
        c.insert("flow_logs".to_string(), 1);
        c.insert("iam_roles".to_string(), 1);
    }
    c.retain(|_, n| *n > 0);
    c
}

// ---------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------

fn staging_defaults(tf: Tf) {
    let emulator = Emulator::start();
    let ws = Workspace::new(tf, &emulator);
    let name = unique("acc-");
    ws.write_config(&config(&name, "staging", ""));
    ws.init();
    ws.apply();
    let env = Env::read(&ws, &name);
    assert_eq!(env.private_subnets.len(), 2, "staging has 2 AZs");

    check_flow_log(&emulator, &env, "REJECT", 30);
    check_cluster(
        &emulator,
        &name,
        "enabled",
        &[("FARGATE", 1, 1), ("FARGATE_SPOT", 1, 0)],
    );
    assert_retention(&emulator, &format!("/platform/{name}"), 30);
    check_gateway_endpoints(&emulator, &env);
    assert!(
        endpoints_of_type(&emulator, &env.vpc_id, "Interface").is_empty(),
        "staging has no interface endpoints"
    );
    check_security_groups(&emulator, &env, false);
    check_data_tier(&emulator, &env);
    assert_eq!(
        census(&emulator, &owner(&name)),
        expected_census(2, 1, 2, 2, true)
    );
    ws.assert_no_changes();
    destroy_and_assert_empty(&ws, &emulator, &name);
}

fn prod_defaults_and_deletion_protection(tf: Tf) {
    let emulator = Emulator::start();
    let ws = Workspace::new(tf, &emulator);
    let name = unique("acc-");
    ws.write_config(&config(&name, "prod", ""));
    ws.init();
    ws.apply();
    let env = Env::read(&ws, &name);
    assert_eq!(env.private_subnets.len(), 3, "prod has 3 AZs");

    // NAT per AZ: every private table routes to its own NAT gateway.
    let nat_targets: BTreeSet<String> = block_on(async {
        let out = emulator
            .ec2()
            .describe_route_tables()
            .filters(filter("vpc-id", &env.vpc_id))
            .send()
            .await
            .expect("DescribeRouteTables");
        out.route_tables()
            .iter()
            .filter(|t| {
                t.associations().iter().any(|a| {
                    a.subnet_id()
                        .is_some_and(|s| env.private_subnets.iter().any(|p| p == s))
                })
            })
            .filter_map(|t| {
                t.routes()
                    .iter()
                    .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
                    .and_then(|r| r.nat_gateway_id())
                    .map(str::to_string)
            })
            .collect()
    });
    assert_eq!(
        nat_targets.len(),
        3,
        "a NAT gateway per AZ: {nat_targets:?}"
    );
    check_interface_endpoints(&emulator, &env, ESSENTIAL);
    check_gateway_endpoints(&emulator, &env);
    check_security_groups(&emulator, &env, true);
    check_flow_log(&emulator, &env, "ALL", 365);
    check_cluster(&emulator, &name, "enhanced", &[("FARGATE", 1, 0)]);
    assert_retention(&emulator, &format!("/platform/{name}"), 365);
    check_data_tier(&emulator, &env);
    let before = census(&emulator, &owner(&name));
    assert_eq!(before, expected_census(3, 3, 3, 8, true));
    ws.assert_no_changes();

    // Destroy is refused, and nothing is deleted.
    let refused = ws.run(&["destroy", "-input=false", "-no-color", "-auto-approve"]);
    assert_ne!(
        refused.code, 0,
        "destroy of a protected environment succeeded"
    );
    assert!(
        flat(&refused).contains("protected from deletion"),
        "{}\n{}",
        refused.stdout,
        refused.stderr
    );
    assert_eq!(
        census(&emulator, &owner(&name)),
        before,
        "a refused destroy deleted something"
    );
    assert_eq!(Env::read(&ws, &name).vpc_id, env.vpc_id);

    // Lifting the protection is an in-place update; then destroy works.
    ws.write_config(&config(&name, "prod", "  deletion_protection = false"));
    assert_in_place_plan(&ws, "deletion_protection = false");
    ws.apply();
    ws.assert_no_changes();
    assert_eq!(census(&emulator, &owner(&name)), before);
    destroy_and_assert_empty(&ws, &emulator, &name);
}

fn settings_update_in_place(tf: Tf) {
    let emulator = Emulator::start();
    let ws = Workspace::new(tf, &emulator);
    let name = unique("acc-");
    ws.write_config(&config(&name, "dev", ""));
    ws.init();
    ws.apply();
    let env = Env::read(&ws, &name);
    assert_eq!(
        census(&emulator, &owner(&name)).get("nat_gateways"),
        Some(&1)
    );
    assert!(endpoints_of_type(&emulator, &env.vpc_id, "Interface").is_empty());

    let step = |body: &str, what: &str| {
        ws.write_config(&config(&name, "dev", body));
        assert_in_place_plan(&ws, what);
        ws.apply();
        ws.assert_no_changes();
        let now = Env::read(&ws, &name);
        assert_eq!(now.vpc_id, env.vpc_id, "{what}: the VPC was replaced");
        now
    };

    // 1. No NAT, essential endpoints.
    let now = step(
        r#"  network {
    nat { mode = "none" }
    vpc_endpoints { preset = "essential" }
  }"#,
        "nat none + essential endpoints",
    );
    let c = census(&emulator, &owner(&name));
    assert_eq!(c.get("nat_gateways"), None, "NAT gateways left: {c:?}");
    assert_eq!(c.get("addresses"), None, "NAT EIPs left: {c:?}");
    for (subnet, (table, default)) in tables_by_subnet(&emulator, &env.vpc_id) {
        if now.private_subnets.contains(&subnet) {
            assert!(!default, "private table {table} still has a default route");
        }
    }
    check_interface_endpoints(&emulator, &now, ESSENTIAL);
    check_security_groups(&emulator, &now, true);

    // 2. An extra interface endpoint.
    let now = step(
        r#"  network {
    nat { mode = "none" }
    vpc_endpoints {
      preset = "essential"
      extra  = ["sqs"]
    }
  }"#,
        "extra sqs endpoint",
    );
    let mut with_sqs = ESSENTIAL.to_vec();
    with_sqs.push("sqs");
    check_interface_endpoints(&emulator, &now, &with_sqs);

    // 3. Flow logs.
    let network = r#"  network {
    nat { mode = "none" }
    vpc_endpoints {
      preset = "essential"
      extra  = ["sqs"]
    }
    flow_logs {
      enabled        = true
      traffic_type   = "ALL"
      retention_days = 90
    }
  }"#;
    let now = step(network, "flow logs on");
    check_flow_log(&emulator, &now, "ALL", 90);

    // 4. Container Insights and log retention.
    let now = step(
        &format!(
            r#"{network}
  cluster {{ container_insights = "enhanced" }}
  logging {{ retention_days = 60 }}"#
        ),
        "container insights + log retention",
    );
    check_cluster(&emulator, &name, "enhanced", &[("FARGATE_SPOT", 1, 0)]);
    assert_retention(&emulator, &format!("/platform/{name}"), 60);
    check_flow_log(&emulator, &now, "ALL", 90);
    check_interface_endpoints(&emulator, &now, &with_sqs);
    check_gateway_endpoints(&emulator, &now);
    assert_eq!(
        census(&emulator, &owner(&name)),
        expected_census(2, 0, 3, 9, true)
    );
    destroy_and_assert_empty(&ws, &emulator, &name);
}

fn no_egress_path_is_refused(tf: Tf) {
    let emulator = Emulator::start();
    let ws = Workspace::new(tf, &emulator);
    let name = unique("acc-");
    let network = |extra: &str| {
        format!(
            r#"  network {{
    {extra}
    nat {{ mode = "none" }}
    vpc_endpoints {{ preset = "gateway" }}
  }}"#
        )
    };
    ws.write_config(&config(&name, "dev", &network("")));
    ws.init();
    let refused = ws.run(&["plan", "-input=false", "-no-color"]);
    let text = flat(&refused);
    assert_ne!(
        refused.code, 0,
        "plan without an egress path succeeded:\n{text}"
    );
    assert!(
        text.contains("Private tier has no egress path") && text.contains("network.nat.mode"),
        "{}\n{}",
        refused.stdout,
        refused.stderr
    );
    let left = census(&emulator, &owner(&name));
    assert!(left.is_empty(), "a refused plan created objects: {left:?}");

    ws.write_config(&config(&name, "dev", &network("allow_no_egress = true")));
    ws.apply();
    let env = Env::read(&ws, &name);
    for (subnet, (table, default)) in tables_by_subnet(&emulator, &env.vpc_id) {
        if env.private_subnets.contains(&subnet) {
            assert!(
                !default,
                "private table {table} has a default route without NAT"
            );
        }
    }
    assert_eq!(
        census(&emulator, &owner(&name)),
        expected_census(2, 0, 2, 2, false)
    );
    ws.assert_no_changes();
    destroy_and_assert_empty(&ws, &emulator, &name);
}

fn drift_of_several_kinds_is_restored(tf: Tf) {
    let emulator = Emulator::start();
    let ws = Workspace::new(tf, &emulator);
    let name = unique("acc-");
    ws.write_config(&config(&name, "dev", ""));
    ws.init();
    ws.apply();
    let env = Env::read(&ws, &name);
    let groups = check_security_groups(&emulator, &env, false);
    let expected = expected_census(2, 1, 2, 2, false);
    assert_eq!(census(&emulator, &owner(&name)), expected);

    const RULE: &str = "ec2.security_group_rule/data/ingress/postgres-from-services";
    const CLUSTER: &str = "ecs.cluster";
    const LOG_GROUP: &str = "logs.log_group/environment";
    const ENDPOINT: &str = "ec2.vpc_endpoint/s3";
    let data_group = groups["data"].clone();
    let rule_id = rules(&emulator, &data_group)
        .iter()
        .find(|r| r.is_egress() == Some(false) && r.from_port() == Some(5432))
        .and_then(|r| r.security_group_rule_id())
        .expect("postgres rule")
        .to_string();
    let endpoint_id = endpoints_of_type(&emulator, &env.vpc_id, "Gateway")["s3"]
        .vpc_endpoint_id()
        .unwrap()
        .to_string();
    assert!(
        env.resource(ENDPOINT).contains(&endpoint_id),
        "resources[{ENDPOINT}] = {}",
        env.resource(ENDPOINT)
    );
    block_on(async {
        emulator
            .ec2()
            .revoke_security_group_ingress()
            .group_id(&data_group)
            .security_group_rule_ids(&rule_id)
            .send()
            .await
            .expect("RevokeSecurityGroupIngress");
        emulator
            .ecs()
            .delete_cluster()
            .cluster(&name)
            .send()
            .await
            .expect("DeleteCluster");
        emulator
            .logs()
            .delete_log_group()
            .log_group_name(format!("/platform/{name}"))
            .send()
            .await
            .expect("DeleteLogGroup");
        emulator
            .ec2()
            .delete_vpc_endpoints()
            .vpc_endpoint_ids(&endpoint_id)
            .send()
            .await
            .expect("DeleteVpcEndpoints");
    });
    assert_eq!(
        log_group_retention(&emulator, &format!("/platform/{name}")),
        None
    );

    let (changes, plan) = ws.plan();
    assert!(changes, "drift must show in the plan ({tf:?}):\n{plan}");
    let drift_lines: Vec<&str> = plan
        .lines()
        .filter(|l| l.contains("outside Terraform\""))
        .collect();
    for key in [RULE, CLUSTER, LOG_GROUP, ENDPOINT] {
        assert!(
            drift_lines
                .iter()
                .any(|l| l.contains(&format!("\"{key}: "))),
            "no drift line names {key} ({tf:?}); drift lines {drift_lines:?}; plan:\n{plan}"
        );
    }
    ws.apply();

    // Restored, through the API.
    check_security_groups(&emulator, &env, false);
    check_cluster(&emulator, &name, "disabled", &[("FARGATE_SPOT", 1, 0)]);
    assert_retention(&emulator, &format!("/platform/{name}"), 7);
    check_gateway_endpoints(&emulator, &env);
    assert_eq!(census(&emulator, &owner(&name)), expected);
    ws.assert_no_changes();
    destroy_and_assert_empty(&ws, &emulator, &name);
}

fn import_by_vpc_id(tf: Tf) {
    let emulator = Emulator::start();
    let ws = Workspace::new(tf, &emulator);
    let name = unique("acc-");
    ws.write_config(&config(&name, "staging", ""));
    ws.init();
    ws.apply();
    let env = Env::read(&ws, &name);
    let before = census(&emulator, &owner(&name));

    ws.ok(&["state", "rm", "-no-color", MAIN]);
    ws.ok(&["import", "-input=false", "-no-color", MAIN, &env.vpc_id]);
    let imported = Env::read(&ws, &name);
    assert_eq!(imported.vpc_id, env.vpc_id);
    assert_eq!(
        imported.resources, env.resources,
        "imported children differ"
    );
    ws.assert_resources_unchanged();
    assert_eq!(census(&emulator, &owner(&name)), before);
    destroy_and_assert_empty(&ws, &emulator, &name);
}

// ---------------------------------------------------------------------------------------------
// Killed mid-apply
// ---------------------------------------------------------------------------------------------

/// The provider started with `--debug`, for Terraform to reattach to; killed on drop.
struct DebugProvider {
    child: Child,
    reattach: String,
}

impl DebugProvider {
    fn start(emulator: &Emulator, log: &std::path::Path) -> DebugProvider {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("provider log");
        let mut command = Command::new(provider_binary());
        command
            .arg("--debug")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log);
        for key in [
            "AWS_PROFILE",
            "AWS_CA_BUNDLE",
            "AWS_DEFAULT_REGION",
            "AWS_SESSION_TOKEN",
            "TF_LOG",
            "TF_LOG_PATH",
            "TF_REATTACH_PROVIDERS",
        ] {
            command.env_remove(key);
        }
        // In debug mode the provider is not Terraform's child: it needs the AWS settings itself.
        command
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", REGION)
            .env("AWS_ENDPOINT_URL", emulator.endpoint())
            .env("AWS_MAX_ATTEMPTS", "1");
        let mut child = command.spawn().expect("start the provider in debug mode");
        let stdout = child.stdout.take().expect("provider stdout");
        let mut reader = BufReader::new(stdout);
        let mut printed = String::new();
        let reattach = loop {
            let mut line = String::new();
            let n = reader.read_line(&mut line).expect("read provider stdout");
            if n == 0 {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the debug provider exited before printing TF_REATTACH_PROVIDERS:\n{printed}"
                );
            }
            printed.push_str(&line);
            if let Some(rest) = line.split("TF_REATTACH_PROVIDERS='").nth(1) {
                break rest
                    .rsplit_once('\'')
                    .map(|(value, _)| value.to_string())
                    .unwrap_or_else(|| panic!("unterminated value in {line:?}"));
            }
        };
        let parsed: serde_json::Value =
            serde_json::from_str(&reattach).expect("TF_REATTACH_PROVIDERS is JSON");
        assert!(
            parsed.get(acceptance_tests::SOURCE).is_some(),
            "reattach config names {}: {reattach}",
            acceptance_tests::SOURCE
        );
        // Keep draining stdout so later prints never block or hit a closed pipe.
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = reader.read_to_end(&mut sink);
        });
        DebugProvider { child, reattach }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for DebugProvider {
    fn drop(&mut self) {
        self.kill();
    }
}

fn killed_mid_apply_converges(tf: Tf) {
    let emulator = Emulator::start();
    let ws = Workspace::new(tf, &emulator);
    let name = unique("acc-");
    ws.write_config(&config(&name, "prod", "  deletion_protection = false"));
    ws.init();
    let provider_log = ws.dir.join("provider-debug.log");
    let apply_args = ["apply", "-input=false", "-no-color", "-auto-approve"];

    let mut provider = DebugProvider::start(&emulator, &provider_log);
    let reattach = provider.reattach.clone();
    let ec2 = emulator.ec2();
    let owner_tag = owner(&name);
    let (first, killed_after) = std::thread::scope(|scope| {
        let apply = scope.spawn(|| {
            ws.run_with_env(&apply_args, &[("TF_REATTACH_PROVIDERS", reattach.as_str())])
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let started = Instant::now();
        let mut killed_after = None;
        while !apply.is_finished() && started.elapsed() < Duration::from_secs(300) {
            let (vpcs, subnets) = runtime.block_on(async {
                let f = || filter("tag:platform:owner", &owner_tag);
                let vpcs = ec2.describe_vpcs().filters(f()).send().await;
                let subnets = ec2.describe_subnets().filters(f()).send().await;
                (
                    vpcs.map(|o| o.vpcs().len()).unwrap_or(0),
                    subnets.map(|o| o.subnets().len()).unwrap_or(0),
                )
            });
            if vpcs >= 1 && subnets >= 1 {
                provider.kill();
                killed_after = Some((started.elapsed(), vpcs, subnets));
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        (apply.join().expect("apply thread"), killed_after)
    });
    let Some((after, vpcs, subnets)) = killed_after else {
        panic!(
            "the first apply finished (exit {}) before the provider could be killed: the test did not exercise a kill ({tf:?}).\n{}\n{}",
            first.code, first.stdout, first.stderr
        );
    };
    eprintln!(
        "killed the provider {after:?} into apply, with {vpcs} VPC(s) and {subnets} subnet(s)"
    );
    assert_ne!(
        first.code, 0,
        "apply reported success although its provider was killed ({tf:?}):\n{}",
        first.stdout
    );
    let partial = census(&emulator, &owner_tag);
    eprintln!("left by the killed apply: {partial:?}");
    assert!(
        partial.get("vpcs") == Some(&1),
        "the killed apply left {partial:?}"
    );

    // A fresh provider converges, adopting what the killed run made.
    let mut provider = DebugProvider::start(&emulator, &provider_log);
    let second = ws.run_with_env(
        &apply_args,
        &[("TF_REATTACH_PROVIDERS", provider.reattach.as_str())],
    );
    provider.kill();
    assert_eq!(
        second.code, 0,
        "the rerun after the kill failed ({tf:?}):\n{}\n{}",
        second.stdout, second.stderr
    );
    assert_eq!(
        census(&emulator, &owner_tag),
        expected_census(3, 3, 3, 8, true),
        "duplicates or missing objects after the rerun (left by the killed run: {partial:?})"
    );
    let env = Env::read(&ws, &name);
    check_interface_endpoints(&emulator, &env, ESSENTIAL);
    check_gateway_endpoints(&emulator, &env);
    check_security_groups(&emulator, &env, true);
    check_flow_log(&emulator, &env, "ALL", 365);
    check_data_tier(&emulator, &env);
    ws.assert_no_changes();
    destroy_and_assert_empty(&ws, &emulator, &name);
}
