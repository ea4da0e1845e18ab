//! `platform_database`, `platform_cache` and `platform_service` on an environment: create,
//! in-place updates, a new task definition revision, import by `<environment>/<name>`, destroy,
//! and invalid input, on Terraform 1.0.3 and 1.15.5 against moto. Results are checked through
//! the AWS API and the ownership-tag census, not only through Terraform's output.
//!
//! Against moto no ECS task ever runs, so every service sets `deployment { wait = false }`.

use std::collections::{BTreeMap, BTreeSet};

use acceptance_tests::{
    block_on, both_versions, census, flat, percent_decode, unique, Checks, Emulator, Tf, Workspace,
};
use aws_sdk_ec2::types::Filter;
use serde_json::Value;

both_versions!(
    database_and_cache,
    cache_replicas,
    service_with_routing_and_access,
    services_calling_each_other,
    bad_input
);

const DATABASE: &str = "platform_database.main";
const CACHE: &str = "platform_cache.main";
const SERVICE: &str = "platform_service.api";
const HOST: &str = "app.example.test";
const IMAGE: &str = "public.ecr.aws/nginx/nginx";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn owners(env: &str, parts: &[&str]) -> Vec<String> {
    let mut out = vec![format!("environment/{env}")];
    out.extend(parts.iter().map(|p| format!("{p}/{env}/{}", owned_name(p))));
    out
}

fn owned_name(noun: &str) -> &'static str {
    match noun {
        "service" => "api",
        _ => "main",
    }
}

fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect()
}

fn flat_str(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("expected a list, got {value}"))
        .iter()
        .map(|v| v.as_str().expect("string").to_string())
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn text(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, got {value}"))
        .to_string()
}

fn output(ws: &Workspace, name: &str) -> Value {
    ws.outputs()[name]["value"].clone()
}

/// Records a failure (with the plan) unless the next plan is empty.
fn no_changes(ws: &Workspace, c: &mut Checks, what: &str) {
    let (changes, plan) = ws.plan();
    c.check(!changes, || {
        format!("{what}: expected an empty plan, got:\n{plan}")
    });
}

/// Destroys, then checks that no owner has a tagged object left (also after a failed destroy,
/// to show what it left).
fn destroy_and_check_empty(ws: &Workspace, emulator: &Emulator, owners: &[String], c: &mut Checks) {
    let run = ws.run(&["destroy", "-input=false", "-no-color", "-auto-approve"]);
    c.check(run.code == 0, || format!("destroy failed:\n{}", flat(&run)));
    for owner in owners {
        let left = census(emulator, owner);
        c.check(left.is_empty(), || {
            format!("destroy left objects of {owner}: {left:?}")
        });
    }
}

/// The environment's computed attributes the checks need.
struct Env {
    name: String,
    vpc_id: String,
    private_subnets: Vec<String>,
    db_subnet_group: String,
    cache_subnet_group: String,
    cluster_name: String,
    https_listener: String,
}

impl Env {
    fn read(ws: &Workspace, name: &str) -> Env {
        let a = ws.attributes("platform_environment.main");
        Env {
            name: name.to_string(),
            vpc_id: text(&a["vpc_id"]),
            private_subnets: sorted(strings(&a["private_subnet_ids"])),
            db_subnet_group: text(&a["db_subnet_group_name"]),
            cache_subnet_group: text(&a["cache_subnet_group_name"]),
            cluster_name: text(&a["cluster_name"]),
            https_listener: a["https_listener_arn"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        }
    }
}

fn environment(name: &str, cidr: &str, ingress: &str) -> String {
    format!(
        r#"
resource "platform_environment" "main" {{
  name = "{name}"
  tier = "dev"
  network {{
    cidr = "{cidr}"
  }}
{ingress}
}}
"#
    )
}

/// `extra` goes inside the resource block.
fn database(environment_id: &str, extra: &str) -> String {
    format!(
        r#"
resource "platform_database" "main" {{
  environment_id = {environment_id}
  name           = "main"
{extra}
}}
"#
    )
}

fn cache(environment_id: &str, extra: &str) -> String {
    format!(
        r#"
resource "platform_cache" "main" {{
  environment_id = {environment_id}
  name           = "main"
{extra}
}}
"#
    )
}

const DATA_OUTPUTS: &str = r#"
output "db_address" { value = platform_database.main.address }
output "db_port" { value = platform_database.main.port }
output "db_endpoint" { value = platform_database.main.endpoint }
output "db_secret" { value = platform_database.main.connection_secret_arn }
output "db_master_secret" { value = platform_database.main.master_secret_arn }
output "db_group" { value = platform_database.main.security_group_id }
output "db_parameter_group" { value = platform_database.main.parameter_group_name }
output "cache_primary" { value = platform_cache.main.primary_endpoint }
output "cache_port" { value = platform_cache.main.port }
output "cache_secret" { value = platform_cache.main.connection_secret_arn }
output "cache_group" { value = platform_cache.main.security_group_id }
output "cache_group_id" { value = platform_cache.main.replication_group_id }
"#;

// ---------------------------------------------------------------------------------------------
// AWS views
// ---------------------------------------------------------------------------------------------

fn db_instance(emulator: &Emulator, id: &str) -> aws_sdk_rds::types::DbInstance {
    block_on(async {
        emulator
            .rds()
            .describe_db_instances()
            .db_instance_identifier(id)
            .send()
            .await
            .expect("DescribeDBInstances")
            .db_instances()[0]
            .clone()
    })
}

fn replication_group(
    emulator: &Emulator,
    id: &str,
) -> aws_sdk_elasticache::types::ReplicationGroup {
    block_on(async {
        emulator
            .elasticache()
            .describe_replication_groups()
            .replication_group_id(id)
            .send()
            .await
            .expect("DescribeReplicationGroups")
            .replication_groups()[0]
            .clone()
    })
}

fn secret_json(emulator: &Emulator, arn: &str) -> Value {
    let s = block_on(async {
        emulator
            .secretsmanager()
            .get_secret_value()
            .secret_id(arn)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "GetSecretValue {arn}: {}",
                    aws_sdk_secretsmanager::error::DisplayErrorContext(e)
                )
            })
            .secret_string()
            .unwrap_or_default()
            .to_string()
    });
    serde_json::from_str(&s).unwrap_or_else(|e| panic!("secret {arn} is not JSON ({e}): {s}"))
}

fn secret_arn_by_name(emulator: &Emulator, name: &str) -> Option<String> {
    block_on(async {
        emulator
            .secretsmanager()
            .describe_secret()
            .secret_id(name)
            .send()
            .await
            .ok()
            .and_then(|d| d.arn().map(str::to_string))
    })
}

/// (protocol, from, to, peer) of each ingress rule of a group; the peer is a CIDR or group ID.
fn ingress_rules(emulator: &Emulator, group_id: &str) -> BTreeSet<(String, i32, i32, String)> {
    block_on(async {
        emulator
            .ec2()
            .describe_security_group_rules()
            .filters(Filter::builder().name("group-id").values(group_id).build())
            .send()
            .await
            .expect("DescribeSecurityGroupRules")
            .security_group_rules()
            .iter()
            .filter(|r| r.is_egress() == Some(false))
            .map(|r| {
                let peer = r
                    .cidr_ipv4()
                    .map(str::to_string)
                    .or_else(|| {
                        r.referenced_group_info()
                            .and_then(|g| g.group_id())
                            .map(str::to_string)
                    })
                    .unwrap_or_default();
                (
                    r.ip_protocol().unwrap_or_default().to_string(),
                    r.from_port().unwrap_or(-1),
                    r.to_port().unwrap_or(-1),
                    peer,
                )
            })
            .collect()
    })
}

/// The VPC of a security group.
fn group_vpc(emulator: &Emulator, group_id: &str) -> Option<String> {
    block_on(async {
        emulator
            .ec2()
            .describe_security_groups()
            .group_ids(group_id)
            .send()
            .await
            .ok()
            .and_then(|o| {
                o.security_groups()
                    .first()
                    .and_then(|g| g.vpc_id().map(str::to_string))
            })
    })
}

fn json_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Case 1: database and cache
// ---------------------------------------------------------------------------------------------

fn data_config(name: &str, cidr: &str, db_extra: &str, cache_extra: &str) -> String {
    let env_ref = "platform_environment.main.id";
    format!(
        "{}{}{}{DATA_OUTPUTS}",
        environment(name, cidr, ""),
        database(env_ref, db_extra),
        cache(env_ref, cache_extra)
    )
}

/// Checks the database through RDS and Secrets Manager against the outputs.
fn check_database(emulator: &Emulator, ws: &Workspace, env: &Env, retention: i32, c: &mut Checks) {
    let outputs = ws.outputs();
    let identifier = format!("{}-main", env.name);
    let db = db_instance(emulator, &identifier);
    c.eq("db StorageEncrypted", db.storage_encrypted(), Some(true));
    c.eq(
        "db engine",
        db.engine().map(str::to_string),
        Some("postgres".to_string()),
    );
    c.eq(
        "db instance class",
        db.db_instance_class().map(str::to_string),
        Some("db.t4g.micro".to_string()),
    );
    c.eq(
        "db backup retention",
        db.backup_retention_period(),
        Some(retention),
    );
    c.eq(
        "db MasterUsername",
        db.master_username().map(str::to_string),
        Some("platform_admin".to_string()),
    );
    let master = db
        .master_user_secret()
        .and_then(|s| s.secret_arn())
        .map(str::to_string);
    c.check(master.is_some(), || {
        "db MasterUserSecret missing: the master password is not managed by RDS".to_string()
    });
    c.eq(
        "output master_secret_arn",
        outputs["db_master_secret"]["value"]
            .as_str()
            .map(str::to_string),
        master.clone(),
    );
    c.eq(
        "db subnet group",
        db.db_subnet_group()
            .and_then(|g| g.db_subnet_group_name())
            .map(str::to_string),
        Some(env.db_subnet_group.clone()),
    );
    let groups: Vec<String> = db
        .vpc_security_groups()
        .iter()
        .filter_map(|g| g.vpc_security_group_id().map(str::to_string))
        .collect();
    let db_group = text(&outputs["db_group"]["value"]);
    c.eq("db security groups", groups, vec![db_group.clone()]);
    let address = db
        .endpoint()
        .and_then(|e| e.address())
        .unwrap_or_default()
        .to_string();
    let port = db.endpoint().and_then(|e| e.port()).unwrap_or_default();
    c.check(!address.is_empty(), || {
        "db has no endpoint address".to_string()
    });
    c.eq(
        "output db_address",
        text(&outputs["db_address"]["value"]),
        address.clone(),
    );
    c.eq(
        "output db_port",
        outputs["db_port"]["value"].as_i64(),
        Some(i64::from(port)),
    );
    c.eq(
        "output db_endpoint",
        text(&outputs["db_endpoint"]["value"]),
        format!("{address}:{port}"),
    );

    // Its own parameter group, forcing TLS.
    let parameter_group = format!("{}-main-postgres17", env.name);
    c.eq(
        "output parameter_group_name",
        text(&outputs["db_parameter_group"]["value"]),
        parameter_group.clone(),
    );
    c.eq(
        "db parameter groups",
        db.db_parameter_groups()
            .iter()
            .filter_map(|g| g.db_parameter_group_name().map(str::to_string))
            .collect::<Vec<_>>(),
        vec![parameter_group.clone()],
    );
    let force_ssl = block_on(async {
        emulator
            .rds()
            .describe_db_parameters()
            .db_parameter_group_name(&parameter_group)
            .send()
            .await
            .expect("DescribeDBParameters")
            .parameters()
            .iter()
            .find(|p| p.parameter_name() == Some("rds.force_ssl"))
            .and_then(|p| p.parameter_value().map(str::to_string))
    });
    c.eq("rds.force_ssl", force_ssl, Some("1".to_string()));

    // The connection secret services read.
    let secret_name = format!("platform/{}/database/main", env.name);
    let arn = secret_arn_by_name(emulator, &secret_name);
    c.eq(
        "output db connection_secret_arn",
        outputs["db_secret"]["value"].as_str().map(str::to_string),
        arn.clone(),
    );
    if let Some(arn) = arn {
        let json = secret_json(emulator, &arn);
        for key in ["url", "host", "port", "dbname", "username", "password"] {
            c.check(!json[key].is_null(), || {
                format!("db connection secret lacks {key:?}: keys {:?}", keys(&json))
            });
        }
        c.eq("db secret host", json_str(&json["host"]), address.clone());
        c.eq("db secret port", json_str(&json["port"]), port.to_string());
        c.eq(
            "db secret dbname",
            json_str(&json["dbname"]),
            "main".to_string(),
        );
        // Credentials come from the secret RDS manages (moto's always says `admin`; AWS's
        // holds the MasterUsername).
        if let Some(master) = &master {
            let managed = secret_json(emulator, master);
            c.eq(
                "db secret username = managed secret's",
                json_str(&json["username"]),
                json_str(&managed["username"]),
            );
            c.eq(
                "db secret password = managed secret's",
                json_str(&json["password"]),
                json_str(&managed["password"]),
            );
        }
        let url = json_str(&json["url"]);
        c.check(
            url.starts_with("postgres") && url.contains(&address),
            || format!("db secret url {url:?} is not a PostgreSQL URL to {address}"),
        );
    }
}

fn keys(json: &Value) -> Vec<String> {
    json.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// Checks the cache through ElastiCache and Secrets Manager against the outputs.
fn check_cache(emulator: &Emulator, ws: &Workspace, env: &Env, retention: i32, c: &mut Checks) {
    let outputs = ws.outputs();
    let id = format!("{}-main", env.name);
    c.eq(
        "output replication_group_id",
        text(&outputs["cache_group_id"]["value"]),
        id.clone(),
    );
    let rg = replication_group(emulator, &id);
    c.eq(
        "cache TransitEncryptionEnabled",
        rg.transit_encryption_enabled(),
        Some(true),
    );
    c.eq(
        "cache AtRestEncryptionEnabled",
        rg.at_rest_encryption_enabled(),
        Some(true),
    );
    c.eq(
        "cache AuthTokenEnabled",
        rg.auth_token_enabled(),
        Some(true),
    );
    c.eq(
        "cache snapshot retention",
        rg.snapshot_retention_limit(),
        Some(retention),
    );
    let primary = rg
        .node_groups()
        .first()
        .and_then(|g| g.primary_endpoint())
        .and_then(|e| e.address())
        .unwrap_or_default()
        .to_string();
    c.eq(
        "output cache primary_endpoint",
        text(&outputs["cache_primary"]["value"]),
        primary.clone(),
    );
    // The member cluster: the environment's subnet group and only the cache's own group.
    let cache_group = text(&outputs["cache_group"]["value"]);
    if let Some(member) = rg.member_clusters().first() {
        let cluster = block_on(async {
            emulator
                .elasticache()
                .describe_cache_clusters()
                .cache_cluster_id(member)
                .send()
                .await
                .map(|o| o.cache_clusters().first().cloned())
        });
        match cluster {
            Ok(Some(cluster)) => {
                c.eq(
                    "cache subnet group",
                    cluster.cache_subnet_group_name().map(str::to_string),
                    Some(env.cache_subnet_group.clone()),
                );
                c.eq(
                    "cache security groups",
                    cluster
                        .security_groups()
                        .iter()
                        .filter_map(|g| g.security_group_id().map(str::to_string))
                        .collect::<Vec<_>>(),
                    vec![cache_group.clone()],
                );
            }
            other => eprintln!("not checked: DescribeCacheClusters {member}: {other:?}"),
        }
    }

    let secret_name = format!("platform/{}/cache/main", env.name);
    let arn = secret_arn_by_name(emulator, &secret_name);
    c.eq(
        "output cache connection_secret_arn",
        outputs["cache_secret"]["value"]
            .as_str()
            .map(str::to_string),
        arn.clone(),
    );
    c.check(
        secret_arn_by_name(emulator, &format!("{secret_name}/auth-token")).is_some(),
        || format!("auth-token secret {secret_name}/auth-token missing"),
    );
    if let Some(arn) = arn {
        let json = secret_json(emulator, &arn);
        let url = json_str(&json["url"]);
        c.check(url.starts_with("rediss://"), || {
            format!("cache secret url {url:?} does not start with rediss://")
        });
        c.check(!primary.is_empty() && url.contains(&primary), || {
            format!("cache secret url {url:?} does not name the primary {primary:?}")
        });
        for key in ["host", "port", "auth_token"] {
            c.check(!json[key].is_null(), || {
                format!(
                    "cache connection secret lacks {key:?}: keys {:?}",
                    keys(&json)
                )
            });
        }
    }
}

fn database_and_cache(tf: Tf) {
    let started = std::time::Instant::now();
    let emulator = Emulator::start();
    let ws = Workspace::new(tf, &emulator);
    let name = unique("dc-");
    let mut c = Checks::new(tf);
    let cidr = "10.41.0.0/16";
    ws.write_config(&data_config(&name, cidr, "", ""));
    ws.init();
    ws.apply();
    let env = Env::read(&ws, &name);
    check_database(&emulator, &ws, &env, 1, &mut c);
    check_cache(&emulator, &ws, &env, 0, &mut c);
    no_changes(&ws, &mut c, "second plan after create");

    let database_owner = format!("database/{name}/main");
    let cache_owner = format!("cache/{name}/main");
    c.eq(
        "database census",
        census(&emulator, &database_owner),
        counts(&[
            ("db_instances", 1),
            ("db_parameter_groups", 1),
            ("secrets", 1),
            ("security_groups", 1),
        ]),
    );
    c.eq(
        "cache census",
        census(&emulator, &cache_owner),
        counts(&[
            ("replication_groups", 1),
            ("secrets", 2),
            ("security_groups", 1),
        ]),
    );

    // In-place update: backup retention and snapshot retention.
    let db_resources = ws.attributes(DATABASE)["resources"].clone();
    let cache_resources = ws.attributes(CACHE)["resources"].clone();
    let db_extra = "  backup {\n    retention_days = 3\n  }";
    let cache_extra = "  snapshot_retention_days = 2";
    ws.write_config(&data_config(&name, cidr, db_extra, cache_extra));
    let (changes, plan) = ws.plan();
    c.check(
        changes && plan.contains("updated in-place") && !plan.contains("must be replaced"),
        || format!("retention change: expected an in-place update, got:\n{plan}"),
    );
    ws.apply();
    check_database(&emulator, &ws, &env, 3, &mut c);
    check_cache(&emulator, &ws, &env, 2, &mut c);
    c.eq(
        "database resources after update",
        ws.attributes(DATABASE)["resources"].clone(),
        db_resources.clone(),
    );
    c.eq(
        "cache resources after update",
        ws.attributes(CACHE)["resources"].clone(),
        cache_resources.clone(),
    );
    no_changes(&ws, &mut c, "plan after the retention update");

    // Import both into a fresh state.
    let db_resources = ws.attributes(DATABASE)["resources"].clone();
    let cache_resources = ws.attributes(CACHE)["resources"].clone();
    {
        let fresh = Workspace::new(tf, &emulator);
        let literal = format!("\"{name}\"");
        fresh.write_config(&format!(
            "{}{}",
            database(&literal, db_extra),
            cache(&literal, cache_extra)
        ));
        fresh.init();
        let id = format!("{name}/main");
        fresh.ok(&["import", "-input=false", "-no-color", DATABASE, &id]);
        fresh.ok(&["import", "-input=false", "-no-color", CACHE, &id]);
        c.eq(
            "imported database resources",
            fresh.attributes(DATABASE)["resources"].clone(),
            db_resources,
        );
        c.eq(
            "imported cache resources",
            fresh.attributes(CACHE)["resources"].clone(),
            cache_resources,
        );
        let (changes, plan) = fresh.plan();
        c.check(!plan.contains("must be replaced"), || {
            format!("plan after import replaces something:\n{plan}")
        });
        // The refresh reads back what import recorded; it must not find fault with it.
        c.check(!plan.contains("Warning:"), || {
            format!("refresh after import warns:\n{plan}")
        });
        eprintln!("plan after import ({tf:?}): changes = {changes}\n{plan}");
    }

    destroy_and_check_empty(
        &ws,
        &emulator,
        &owners(&name, &["database", "cache"]),
        &mut c,
    );
    eprintln!("database_and_cache ({tf:?}) took {:?}", started.elapsed());
    c.finish();
}

// ---------------------------------------------------------------------------------------------
// Case 1b: cache replicas
// ---------------------------------------------------------------------------------------------

const REPLICA_OUTPUTS: &str = r#"
output "cache_group" { value = platform_cache.main.security_group_id }
output "cache_group_id" { value = platform_cache.main.replication_group_id }
"#;

fn replica_config(name: &str, replicas: u32) -> String {
    let extra =
        format!("  replicas  = {replicas}\n  multi_az  = true\n  node_type = \"cache.t4g.small\"");
    format!(
        "{}{}{REPLICA_OUTPUTS}",
        environment(name, "10.44.0.0/16", ""),
        cache("platform_environment.main.id", &extra)
    )
}

/// Checks the replication group's members: `members` of them, Multi-AZ with automatic
/// failover, each in the environment's cache subnet group with only the cache's own group.
fn check_replicas(emulator: &Emulator, ws: &Workspace, env: &Env, members: usize, c: &mut Checks) {
    let id = text(&output(ws, "cache_group_id"));
    c.eq(
        "replication_group_id",
        id.clone(),
        format!("{}-main", env.name),
    );
    let rg = replication_group(emulator, &id);
    c.eq("member clusters", rg.member_clusters().len(), members);
    c.eq(
        "MultiAZ",
        rg.multi_az(),
        Some(&aws_sdk_elasticache::types::MultiAzStatus::Enabled),
    );
    c.eq(
        "AutomaticFailover",
        rg.automatic_failover(),
        Some(&aws_sdk_elasticache::types::AutomaticFailoverStatus::Enabled),
    );
    c.eq(
        "node type",
        rg.cache_node_type().map(str::to_string),
        Some("cache.t4g.small".to_string()),
    );
    let cache_group = text(&output(ws, "cache_group"));
    for member in rg.member_clusters() {
        let cluster = block_on(async {
            emulator
                .elasticache()
                .describe_cache_clusters()
                .cache_cluster_id(member)
                .send()
                .await
                .map(|o| o.cache_clusters().first().cloned())
        });
        let Ok(Some(cluster)) = cluster else {
            c.check(false, || {
                format!("DescribeCacheClusters {member}: {cluster:?}")
            });
            continue;
        };
        c.eq(
            &format!("{member} replication group"),
            cluster.replication_group_id().map(str::to_string),
            Some(id.clone()),
        );
        c.eq(
            &format!("{member} subnet group"),
            cluster.cache_subnet_group_name().map(str::to_string),
            Some(env.cache_subnet_group.clone()),
        );
        c.eq(
            &format!("{member} security groups"),
            cluster
                .security_groups()
                .iter()
                .filter_map(|g| g.security_group_id().map(str::to_string))
                .collect::<Vec<_>>(),
            vec![cache_group.clone()],
        );
    }
}

fn cache_replicas(tf: Tf) {
    let started = std::time::Instant::now();
    let emulator = Emulator::start();
    let ws = Workspace::new(tf, &emulator);
    let name = unique("cr-");
    let mut c = Checks::new(tf);
    ws.write_config(&replica_config(&name, 1));
    ws.init();
    ws.apply();
    let env = Env::read(&ws, &name);
    check_replicas(&emulator, &ws, &env, 2, &mut c);
    ws.assert_no_changes();

    // One more replica, in place: the same group gains a member.
    let id = text(&output(&ws, "cache_group_id"));
    ws.write_config(&replica_config(&name, 2));
    let (changes, plan) = ws.plan();
    c.check(
        changes && plan.contains("updated in-place") && !plan.contains("must be replaced"),
        || format!("replicas 1 -> 2: expected an in-place update, got:\n{plan}"),
    );
    ws.apply();
    check_replicas(&emulator, &ws, &env, 3, &mut c);
    c.eq(
        "replication group ID after adding a replica",
        text(&output(&ws, "cache_group_id")),
        id,
    );
    ws.assert_no_changes();

    destroy_and_check_empty(&ws, &emulator, &owners(&name, &["cache"]), &mut c);
    eprintln!("cache_replicas ({tf:?}) took {:?}", started.elapsed());
    c.finish();
}

// ---------------------------------------------------------------------------------------------
// Case 2: a routed service with database and cache access
// ---------------------------------------------------------------------------------------------

/// A self-signed certificate for `names`, imported into ACM.
fn import_certificate(emulator: &Emulator, names: &[&str]) -> String {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let certified = rcgen::generate_simple_self_signed(names).expect("certificate");
    let acm = emulator.acm();
    block_on(async {
        acm.import_certificate()
            .certificate(aws_sdk_acm::primitives::Blob::new(certified.cert.pem()))
            .private_key(aws_sdk_acm::primitives::Blob::new(
                certified.signing_key.serialize_pem(),
            ))
            .send()
            .await
            .expect("import certificate")
            .certificate_arn()
            .expect("arn")
            .to_string()
    })
}

fn service(environment_id: &str, access: (&str, &str), tag: &str) -> String {
    format!(
        r#"
resource "platform_service" "api" {{
  environment_id = {environment_id}
  name           = "api"
  image          = "{IMAGE}:{tag}"
  port           = 8080
  environment_variables = {{
    APP_MODE = "acceptance"
  }}
  database_access = [{db}]
  cache_access    = [{cache}]
  routing {{
    hosts = ["{HOST}"]
  }}
  autoscaling {{
    min = 1
    max = 3
  }}
  deployment {{
    wait = false
  }}
}}
"#,
        db = access.0,
        cache = access.1,
    )
}

const SERVICE_OUTPUTS: &str = r#"
output "service_arn" { value = platform_service.api.service_arn }
output "task_definition_arn" { value = platform_service.api.task_definition_arn }
output "execution_role_arn" { value = platform_service.api.execution_role_arn }
output "task_role_arn" { value = platform_service.api.task_role_arn }
output "service_group" { value = platform_service.api.security_group_id }
output "target_group_arn" { value = platform_service.api.target_group_arn }
output "priority" { value = platform_service.api.listener_rule_priority }
output "url" { value = platform_service.api.url }
output "running_image" { value = platform_service.api.running_image }
output "log_group_name" { value = platform_service.api.log_group_name }
"#;

/// The database and the cache are both named `main`, so their IDs are equal (`<env>/main`):
/// the service must still keep `database_access` and `cache_access` apart.
fn service_config(name: &str, certificate: &str, tag: &str) -> String {
    let env_ref = "platform_environment.main.id";
    format!(
        "{}{}{}{}{DATA_OUTPUTS}{SERVICE_OUTPUTS}",
        environment(
            name,
            "10.42.0.0/16",
            &format!("  ingress {{\n    certificate_arn = \"{certificate}\"\n  }}")
        ),
        database(env_ref, ""),
        cache(env_ref, ""),
        service(
            env_ref,
            ("platform_database.main.id", "platform_cache.main.id"),
            tag
        ),
    )
}

fn ecs_service(emulator: &Emulator, cluster: &str, arn: &str) -> aws_sdk_ecs::types::Service {
    block_on(async {
        let out = emulator
            .ecs()
            .describe_services()
            .cluster(cluster)
            .services(arn)
            .send()
            .await
            .expect("DescribeServices");
        out.services()
            .first()
            .cloned()
            .unwrap_or_else(|| panic!("service {arn} not found: {:?}", out.failures()))
    })
}

fn task_definition(emulator: &Emulator, arn: &str) -> aws_sdk_ecs::types::TaskDefinition {
    block_on(async {
        emulator
            .ecs()
            .describe_task_definition()
            .task_definition(arn)
            .send()
            .await
            .expect("DescribeTaskDefinition")
            .task_definition()
            .cloned()
            .expect("task definition")
    })
}

/// The secret ARNs the execution role's `execution` policy may read.
fn execution_secret_arns(emulator: &Emulator, role: &str) -> BTreeSet<String> {
    let document = block_on(async {
        emulator
            .iam()
            .get_role_policy()
            .role_name(role)
            .policy_name("execution")
            .send()
            .await
            .expect("GetRolePolicy execution")
            .policy_document()
            .to_string()
    });
    let document: Value =
        serde_json::from_str(&percent_decode(&document)).expect("policy document JSON");
    let mut out = BTreeSet::new();
    for statement in document["Statement"].as_array().into_iter().flatten() {
        let actions = match &statement["Action"] {
            Value::String(a) => vec![a.clone()],
            other => strings(other),
        };
        if actions.iter().any(|a| a == "secretsmanager:GetSecretValue") {
            match &statement["Resource"] {
                Value::String(r) => {
                    out.insert(r.clone());
                }
                other => out.extend(strings(other)),
            }
        }
    }
    out
}

/// Checks the service, its task definition, routing, access rules and autoscaling.
/// Returns the task definition ARN the ECS service runs.
fn check_service(
    emulator: &Emulator,
    ws: &Workspace,
    env: &Env,
    tag: &str,
    c: &mut Checks,
) -> String {
    let outputs = ws.outputs();
    let out = |k: &str| outputs[k]["value"].clone();
    let service_arn = text(&out("service_arn"));
    let svc = ecs_service(emulator, &env.cluster_name, &service_arn);
    c.eq(
        "service status",
        svc.status().map(str::to_string),
        Some("ACTIVE".to_string()),
    );
    c.check(
        svc.cluster_arn()
            .is_some_and(|a| a.ends_with(&format!("/{}", env.cluster_name))),
        || {
            format!(
                "service cluster {:?} is not {}",
                svc.cluster_arn(),
                env.cluster_name
            )
        },
    );
    let target_group = text(&out("target_group_arn"));
    c.eq(
        "service load balancer target groups",
        svc.load_balancers()
            .iter()
            .filter_map(|l| l.target_group_arn().map(str::to_string))
            .collect::<Vec<_>>(),
        vec![target_group.clone()],
    );
    c.eq(
        "service load balancer container",
        svc.load_balancers()
            .first()
            .map(|l| (l.container_name().map(str::to_string), l.container_port())),
        Some((Some("api".to_string()), Some(8080))),
    );
    let network = svc
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration());
    let service_group = text(&out("service_group"));
    c.eq(
        "service security groups",
        network.map(|n| n.security_groups().to_vec()),
        Some(vec![service_group.clone()]),
    );
    c.eq(
        "service subnets",
        network.map(|n| sorted(n.subnets().to_vec())),
        Some(env.private_subnets.clone()),
    );

    // The task definition the service runs (moto's PRIMARY deployment can lag behind).
    let td_arn = svc.task_definition().unwrap_or_default().to_string();
    c.eq(
        "output task_definition_arn",
        text(&out("task_definition_arn")),
        td_arn.clone(),
    );
    let td = task_definition(emulator, &td_arn);
    c.eq(
        "task family",
        td.family().map(str::to_string),
        Some(format!("{}-api", env.name)),
    );
    c.eq(
        "task cpu",
        td.cpu().map(str::to_string),
        Some("256".to_string()),
    );
    c.eq(
        "task memory",
        td.memory().map(str::to_string),
        Some("512".to_string()),
    );
    c.eq(
        "task execution role",
        td.execution_role_arn().map(str::to_string),
        Some(text(&out("execution_role_arn"))),
    );
    c.eq(
        "task role",
        td.task_role_arn().map(str::to_string),
        Some(text(&out("task_role_arn"))),
    );
    let container = td
        .container_definitions()
        .first()
        .cloned()
        .expect("container");
    c.eq(
        "container image",
        container.image().map(str::to_string),
        Some(format!("{IMAGE}:{tag}")),
    );
    c.eq(
        "output running_image",
        text(&out("running_image")),
        format!("{IMAGE}:{tag}"),
    );
    c.eq(
        "readonlyRootFilesystem",
        container.readonly_root_filesystem(),
        Some(true),
    );
    c.eq(
        "container port",
        container
            .port_mappings()
            .first()
            .and_then(|p| p.container_port()),
        Some(8080),
    );
    let env_vars: BTreeMap<String, String> = container
        .environment()
        .iter()
        .filter_map(|kv| Some((kv.name()?.to_string(), kv.value()?.to_string())))
        .collect();
    c.eq(
        "container APP_MODE",
        env_vars.get("APP_MODE").cloned(),
        Some("acceptance".to_string()),
    );
    let logs = container.log_configuration();
    c.eq(
        "log driver",
        logs.map(|l| l.log_driver().as_str().to_string()),
        Some("awslogs".to_string()),
    );
    let log_group = format!("/platform/{}/api", env.name);
    c.eq(
        "awslogs-group",
        logs.and_then(|l| l.options())
            .and_then(|o| o.get("awslogs-group").cloned()),
        Some(log_group.clone()),
    );
    c.eq(
        "output log_group_name",
        text(&out("log_group_name")),
        log_group,
    );

    // Secrets from the connection secrets, and an execution role reading exactly those.
    let db_secret = text(&out("db_secret"));
    let cache_secret = text(&out("cache_secret"));
    let secrets: BTreeMap<String, String> = container
        .secrets()
        .iter()
        .map(|s| (s.name().to_string(), s.value_from().to_string()))
        .collect();
    let expected_names: BTreeSet<&str> = [
        "DATABASE_URL",
        "PGHOST",
        "PGPORT",
        "PGDATABASE",
        "PGUSER",
        "PGPASSWORD",
        "REDIS_URL",
    ]
    .into();
    c.eq(
        "container secret names",
        secrets.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        expected_names,
    );
    for (name, from) in &secrets {
        let source = if name == "REDIS_URL" {
            &cache_secret
        } else {
            &db_secret
        };
        c.check(from.starts_with(source.as_str()), || {
            format!("secret {name} valueFrom {from:?} does not start with {source}")
        });
    }
    let execution_role = format!("platform-{}-api-exec-us-east-1", env.name);
    c.check(
        text(&out("execution_role_arn")).ends_with(&format!("/{execution_role}")),
        || {
            format!(
                "execution role ARN {} is not {execution_role}",
                text(&out("execution_role_arn"))
            )
        },
    );
    c.eq(
        "execution policy secret ARNs",
        execution_secret_arns(emulator, &execution_role),
        [db_secret.clone(), cache_secret.clone()].into(),
    );

    // The listener rule on the HTTPS listener, forwarding to the target group.
    let rules = block_on(async {
        emulator
            .elbv2()
            .describe_rules()
            .listener_arn(&env.https_listener)
            .send()
            .await
            .expect("DescribeRules")
            .rules()
            .to_vec()
    });
    let ours: Vec<_> = rules
        .iter()
        .filter(|r| r.is_default() != Some(true))
        .collect();
    c.eq("rules on the HTTPS listener", ours.len(), 1);
    if let Some(rule) = ours.first() {
        let hosts: Vec<String> = rule
            .conditions()
            .iter()
            .filter(|k| k.field() == Some("host-header"))
            .flat_map(|k| {
                let mut v: Vec<String> = k
                    .host_header_config()
                    .map(|h| h.values().to_vec())
                    .unwrap_or_default();
                v.extend(k.values().iter().cloned());
                v
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        c.eq("rule host-header", hosts, vec![HOST.to_string()]);
        c.eq(
            "rule priority = listener_rule_priority",
            rule.priority().map(str::to_string),
            out("priority").as_i64().map(|p| p.to_string()),
        );
        let forwards: Vec<String> = rule
            .actions()
            .iter()
            .filter(|a| a.r#type().map(|t| t.as_str()) == Some("forward"))
            .flat_map(|a| {
                let mut v: Vec<String> = a
                    .target_group_arn()
                    .map(str::to_string)
                    .into_iter()
                    .collect();
                if let Some(f) = a.forward_config() {
                    v.extend(
                        f.target_groups()
                            .iter()
                            .filter_map(|t| t.target_group_arn().map(str::to_string)),
                    );
                }
                v
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        c.eq("rule forwards to", forwards, vec![target_group.clone()]);
    }
    c.eq("output url", text(&out("url")), format!("https://{HOST}"));

    // The target group's health check.
    let tg = block_on(async {
        emulator
            .elbv2()
            .describe_target_groups()
            .target_group_arns(&target_group)
            .send()
            .await
            .expect("DescribeTargetGroups")
            .target_groups()[0]
            .clone()
    });
    c.eq(
        "target group health check path",
        tg.health_check_path().map(str::to_string),
        Some("/healthz".to_string()),
    );
    c.eq("target group port", tg.port(), Some(8080));
    c.eq(
        "target group type",
        tg.target_type().map(|t| t.as_str().to_string()),
        Some("ip".to_string()),
    );
    c.eq(
        "target group name",
        tg.target_group_name().map(str::to_string),
        Some(format!("{}-api-8080", env.name)),
    );

    // Access: the database's and cache's groups admit the service's group on their port only.
    let db_group = text(&out("db_group"));
    let cache_group = text(&out("cache_group"));
    for group in [&service_group, &db_group, &cache_group] {
        c.eq(
            &format!("VPC of group {group}"),
            group_vpc(emulator, group),
            Some(env.vpc_id.clone()),
        );
    }
    c.eq(
        "database group ingress",
        ingress_rules(emulator, &db_group),
        [("tcp".to_string(), 5432, 5432, service_group.clone())].into(),
    );
    c.eq(
        "cache group ingress",
        ingress_rules(emulator, &cache_group),
        [("tcp".to_string(), 6379, 6379, service_group.clone())].into(),
    );

    // Autoscaling on the desired count.
    let resource_id = format!("service/{}/api", env.cluster_name);
    let targets = block_on(async {
        emulator
            .autoscaling()
            .describe_scalable_targets()
            .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
            .resource_ids(&resource_id)
            .send()
            .await
            .expect("DescribeScalableTargets")
            .scalable_targets()
            .to_vec()
    });
    c.eq(
        "scalable target (min, max)",
        targets
            .iter()
            .map(|t| {
                (
                    t.min_capacity(),
                    t.max_capacity(),
                    t.scalable_dimension().as_str().to_string(),
                )
            })
            .collect::<Vec<_>>(),
        vec![(1, 3, "ecs:service:DesiredCount".to_string())],
    );
    let policies = block_on(async {
        emulator
            .autoscaling()
            .describe_scaling_policies()
            .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
            .resource_id(&resource_id)
            .send()
            .await
            .map(|o| o.scaling_policies().len())
    });
    match policies {
        Ok(n) => c.eq("target-tracking policies", n, 1),
        Err(e) => eprintln!(
            "not checked: DescribeScalingPolicies: {}",
            aws_sdk_applicationautoscaling::error::DisplayErrorContext(e)
        ),
    }
    td_arn
}

fn service_with_routing_and_access(tf: Tf) {
    let started = std::time::Instant::now();
    let emulator = Emulator::start();
    let ws = Workspace::new(tf, &emulator);
    let name = unique("sv-");
    let mut c = Checks::new(tf);
    let certificate = import_certificate(&emulator, &[HOST]);
    ws.write_config(&service_config(&name, &certificate, "1.27"));
    ws.init();
    ws.apply();
    let env = Env::read(&ws, &name);
    let first_td = check_service(&emulator, &ws, &env, "1.27", &mut c);
    let service_arn = text(&output(&ws, "service_arn"));
    let service_owner = format!("service/{name}/api");
    c.eq(
        "service census",
        census(&emulator, &service_owner),
        counts(&[
            ("ecs_services", 1),
            ("iam_roles", 2),
            ("listener_rules", 1),
            ("log_groups", 1),
            ("security_groups", 1),
            ("target_groups", 1),
            ("task_definitions", 1),
        ]),
    );

    // moto's CreateService drops deploymentConfiguration, healthCheckGracePeriodSeconds,
    // enableExecuteCommand and the capacity strategy (only UpdateService stores them), so the
    // first refresh after create can see drift on the ECS service. Apply once more, then the
    // plan must be empty. Anything else in that first plan is a real finding.
    let (changes, plan) = ws.plan();
    if changes {
        eprintln!("first plan after create ({tf:?}), expected only the moto gap:\n{plan}");
        let others: Vec<&str> = plan
            .lines()
            .filter(|l| {
                let l = l.trim_start();
                l.starts_with("# ") && (l.contains(" will be ") || l.contains(" must be "))
            })
            .filter(|l| !l.contains(SERVICE))
            .collect();
        c.check(others.is_empty(), || {
            format!("first plan after create changes more than the service: {others:?}\n{plan}")
        });
        c.check(!plan.contains("must be replaced"), || {
            format!("first plan after create replaces something:\n{plan}")
        });
        ws.apply();
    }
    no_changes(&ws, &mut c, "plan after create (and one more apply)");

    // A new image: a new revision, the old one INACTIVE, the same ECS service.
    let resources_before = ws.attributes(SERVICE)["resources"].clone();
    ws.write_config(&service_config(&name, &certificate, "1.28"));
    let (changes, plan) = ws.plan();
    c.check(
        changes && plan.contains("updated in-place") && !plan.contains("must be replaced"),
        || format!("image change: expected an in-place update, got:\n{plan}"),
    );
    ws.apply();
    let second_td = check_service(&emulator, &ws, &env, "1.28", &mut c);
    c.check(second_td != first_td, || {
        format!("the service still runs {first_td} after the image change")
    });
    c.eq(
        "new revision family",
        task_definition(&emulator, &second_td)
            .family()
            .map(str::to_string),
        Some(format!("{name}-api")),
    );
    c.check(revision(&second_td) > revision(&first_td), || {
        format!("revision did not grow: {first_td} → {second_td}")
    });
    c.eq(
        "old revision status",
        task_definition(&emulator, &first_td)
            .status()
            .map(|s| s.as_str().to_string()),
        Some("INACTIVE".to_string()),
    );
    c.eq(
        "service ARN after the image change",
        text(&output(&ws, "service_arn")),
        service_arn,
    );
    let mut expected_resources = resources_before.clone();
    if let Some(map) = expected_resources.as_object_mut() {
        for (key, id) in map.iter_mut() {
            if key.starts_with("ecs.task_definition") || id.as_str() == Some(first_td.as_str()) {
                *id = Value::String(second_td.clone());
            }
        }
    }
    c.eq(
        "service resources after the image change (only the revision moves)",
        ws.attributes(SERVICE)["resources"].clone(),
        expected_resources,
    );
    c.eq(
        "task_definitions census after the image change",
        census(&emulator, &service_owner)
            .get("task_definitions")
            .copied(),
        Some(1),
    );
    let (changes, plan) = ws.plan();
    if changes {
        eprintln!("plan after the image change ({tf:?}), applying once more:\n{plan}");
        ws.apply();
    }
    no_changes(&ws, &mut c, "plan after the image change");

    // Import the service into a fresh state.
    let resources = ws.attributes(SERVICE)["resources"].clone();
    {
        let fresh = Workspace::new(tf, &emulator);
        let literal = format!("\"{name}\"");
        // The database and the cache are both `<env>/main`.
        let id = format!("\"{name}/main\"");
        fresh.write_config(&service(&literal, (&id, &id), "1.28"));
        fresh.init();
        let imported = fresh.run(&[
            "import",
            "-input=false",
            "-no-color",
            SERVICE,
            &format!("{name}/api"),
        ]);
        c.check(imported.code == 0, || {
            format!("import {SERVICE} failed:\n{}", flat(&imported))
        });
        if imported.code == 0 {
            let got = fresh.attributes(SERVICE)["resources"].clone();
            let missing: Vec<String> = keys(&resources)
                .into_iter()
                .filter(|k| got.get(k).is_none())
                .collect();
            let extra: Vec<String> = keys(&got)
                .into_iter()
                .filter(|k| resources.get(k).is_none())
                .collect();
            c.check(got == resources, || {
                format!("imported service resources differ: missing {missing:?}, extra {extra:?}; got {got}, expected {resources}")
            });
            let (changes, plan) = fresh.plan();
            c.check(!plan.contains("must be replaced"), || {
                format!("plan after importing the service replaces something:\n{plan}")
            });
            c.check(!plan.contains("Warning:"), || {
                format!("refresh after importing the service warns:\n{plan}")
            });
            eprintln!("plan after importing the service ({tf:?}): changes = {changes}\n{plan}");
        }
    }

    let all = owners(&name, &["database", "cache", "service"]);
    destroy_and_check_empty(&ws, &emulator, &all, &mut c);
    eprintln!(
        "service_with_routing_and_access ({tf:?}) took {:?}",
        started.elapsed()
    );
    c.finish();
}

fn revision(arn: &str) -> u32 {
    arn.rsplit(':')
        .next()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// Case 3: invalid input
// ---------------------------------------------------------------------------------------------

struct Bad {
    reason: &'static str,
    /// The resource block, `{env}` standing for the environment ID expression.
    block: &'static str,
    /// Any of these diagnostic summaries.
    summaries: &'static [&'static str],
    /// The attribute, and the source line Terraform quotes when the path is set.
    attribute: &'static str,
    line: &'static str,
}

const BAD: &[Bad] = &[
    Bad {
        reason: "cpu not a Fargate size",
        block: r#"resource "platform_service" "api" {
  environment_id = {env}
  name = "api"
  image = "public.ecr.aws/nginx/nginx:1.27"
  cpu = 300
  deployment { wait = false }
}"#,
        summaries: &["Invalid value for cpu", "Invalid Fargate CPU"],
        attribute: "cpu",
        line: "cpu = 300",
    },
    Bad {
        reason: "memory not allowed with the cpu",
        block: r#"resource "platform_service" "api" {
  environment_id = {env}
  name = "api"
  image = "public.ecr.aws/nginx/nginx:1.27"
  cpu = 256
  memory = 4096
  deployment { wait = false }
}"#,
        summaries: &["Invalid Fargate CPU and memory pair"],
        attribute: "memory",
        line: "memory = 4096",
    },
    Bad {
        reason: "database from another environment",
        block: r#"resource "platform_service" "api" {
  environment_id = {env}
  name = "api"
  image = "public.ecr.aws/nginx/nginx:1.27"
  database_access = ["elsewhere/main"]
  deployment { wait = false }
}"#,
        summaries: &["Resource from another environment"],
        attribute: "database_access",
        line: r#"database_access = ["elsewhere/main"]"#,
    },
    Bad {
        reason: "unknown instance class",
        block: r#"resource "platform_database" "main" {
  environment_id = {env}
  name = "main"
  instance_class = "db.x9.huge"
}"#,
        summaries: &["Unknown instance class"],
        attribute: "instance_class",
        line: r#"instance_class = "db.x9.huge""#,
    },
    Bad {
        reason: "multi-AZ cache without replicas",
        block: r#"resource "platform_cache" "main" {
  environment_id = {env}
  name = "main"
  multi_az = true
  replicas = 0
}"#,
        summaries: &["Multi-AZ needs a replica"],
        attribute: "multi_az",
        line: "multi_az = true",
    },
    Bad {
        reason: "engine version out of range",
        block: r#"resource "platform_database" "main" {
  environment_id = {env}
  name = "main"
  engine_version = "12"
}"#,
        summaries: &["Invalid engine version"],
        attribute: "engine_version",
        line: r#"engine_version = "12""#,
    },
];

/// Plans each bad block and checks the diagnostic; nothing of the app owners may exist after.
fn expect_refusals(
    ws: &Workspace,
    emulator: &Emulator,
    prefix: &str,
    env_expr: &str,
    env: &str,
    c: &mut Checks,
) {
    for bad in BAD {
        let block = bad.block.replace("{env}", env_expr);
        ws.write_config(&format!("{prefix}\n{block}\n"));
        let run = ws.run(&["plan", "-input=false", "-no-color"]);
        let all = flat(&run);
        let what = format!("{} (environment_id = {env_expr})", bad.reason);
        c.check(run.code != 0, || format!("{what}: plan succeeded:\n{all}"));
        c.check(bad.summaries.iter().any(|s| all.contains(s)), || {
            format!("{what}: none of {:?} in:\n{all}", bad.summaries)
        });
        c.check(
            all.contains(bad.attribute) && all.contains(&flat_str(bad.line)),
            || {
                format!(
                    "{what}: the diagnostic does not point at {:?} ({:?}):\n{all}",
                    bad.attribute, bad.line
                )
            },
        );
        c.check(!all.contains("panic"), || format!("{what}: {all}"));
    }
    for owner in owners(env, &["database", "cache", "service"])
        .iter()
        .skip(1)
    {
        let left = census(emulator, owner);
        c.check(left.is_empty(), || {
            format!("refused plans left objects of {owner}: {left:?}")
        });
    }
}

fn bad_input(tf: Tf) {
    let started = std::time::Instant::now();
    let emulator = Emulator::start();
    let ws = Workspace::new(tf, &emulator);
    let name = unique("bi-");
    let mut c = Checks::new(tf);
    ws.write_config("");
    ws.init();

    // Validate-time: no environment at all, the ID written out.
    expect_refusals(&ws, &emulator, "", &format!("\"{name}\""), &name, &mut c);
    let left = census(&emulator, &format!("environment/{name}"));
    c.check(left.is_empty(), || {
        format!("refused plans created objects: {left:?}")
    });

    // With an existing environment referenced by expression (unknown at validate, known at
    // plan), the same inputs are refused too.
    let env = environment(&name, "10.43.0.0/16", "");
    ws.write_config(&env);
    ws.apply();
    expect_refusals(
        &ws,
        &emulator,
        &env,
        "platform_environment.main.id",
        &name,
        &mut c,
    );

    // `internal` needs the environment's namespace: refused at plan, on `internal` (for a
    // path ending at a block, Terraform quotes the enclosing resource).
    ws.write_config(&format!(
        r#"{env}
resource "platform_service" "api" {{
  environment_id = platform_environment.main.id
  name           = "api"
  image          = "{IMAGE}:1.27"
  internal {{}}
  deployment {{ wait = false }}
}}
"#
    ));
    let run = ws.run(&["plan", "-input=false", "-no-color"]);
    let all = flat(&run);
    c.check(
        run.code != 0
            && all.contains("Environment has no service discovery")
            && all.contains("in resource \"platform_service\" \"api\"")
            && all.contains("sets internal"),
        || format!("internal without a namespace: expected a refusal on `internal`, got:\n{all}"),
    );

    // A same-environment ID written out while environment_id is an expression is valid.
    ws.write_config(&format!(
        "{env}\n{}",
        BAD[2]
            .block
            .replace("{env}", "platform_environment.main.id")
            .replace("elsewhere/main", &format!("{name}/main"))
    ));
    let run = ws.run(&["validate", "-no-color"]);
    c.check(run.code == 0, || {
        format!("database_access = [\"{name}/main\"] with environment_id = platform_environment.main.id is refused at validate:\n{}", flat(&run))
    });

    ws.write_config(&env);
    ws.destroy();
    let left = census(&emulator, &format!("environment/{name}"));
    c.check(left.is_empty(), || {
        format!("destroy left objects: {left:?}")
    });
    eprintln!("bad_input ({tf:?}) took {:?}", started.elapsed());
    c.finish();
}

// ---------------------------------------------------------------------------------------------
// Service Connect: a namespace, a server and a client
// ---------------------------------------------------------------------------------------------

/// `web` and `core` call each other: each admits the other by ID, so neither depends on the
/// other and Terraform creates them together (each waits for the other's group). `core` is a
/// Service Connect server, pulls its image and its collector's with registry credentials, and
/// runs two sidecars; `web` calls it at the endpoint built from the namespace.
fn service_connect_config(name: &str, registry_secret: &str) -> String {
    format!(
        r#"
resource "platform_environment" "main" {{
  name = "{name}"
  tier = "dev"
  network {{
    cidr = "10.43.0.0/16"
  }}
  service_discovery {{}}
}}

resource "platform_service" "web" {{
  environment_id = platform_environment.main.id
  name           = "web"
  image          = "{IMAGE}:1.27"
  environment_variables = {{
    CORE_URL = "http://core.${{platform_environment.main.service_discovery_namespace_name}}:8080"
  }}
  allow_from_services = ["${{platform_environment.main.id}}/core"]
  deployment {{
    wait = false
  }}
}}

resource "platform_database" "core" {{
  environment_id = platform_environment.main.id
  name           = "core"
}}

resource "platform_service" "core" {{
  environment_id      = platform_environment.main.id
  name                = "core"
  image               = "{IMAGE}:1.27"
  allow_from_services = ["${{platform_environment.main.id}}/web"]
  database_access     = [platform_database.core.id]
  cpu                 = 512
  memory              = 1024
  repository_credentials_secret_arn = "{registry_secret}"
  internal {{}}
  sidecar {{
    name      = "otel"
    image     = "docker.io/otel/opentelemetry-collector:0.115.0"
    essential = true
    cpu       = 64
    memory    = 128
    port      = 4317
    use_repository_credentials = true
  }}
  sidecar {{
    name    = "agent"
    image   = "public.ecr.aws/datadog/agent:7"
    memory  = 256
    environment_variables = {{
      DD_SITE = "datadoghq.eu"
    }}
  }}
  deployment {{
    wait = false
  }}
}}

output "namespace_id" {{ value = platform_environment.main.service_discovery_namespace_id }}
output "namespace_arn" {{ value = platform_environment.main.service_discovery_namespace_arn }}
output "namespace_name" {{ value = platform_environment.main.service_discovery_namespace_name }}
output "cluster_name" {{ value = platform_environment.main.cluster_name }}
output "core_endpoint" {{ value = platform_service.core.internal_endpoint }}
output "web_endpoint" {{ value = platform_service.web.internal_endpoint }}
output "core_service" {{ value = platform_service.core.service_arn }}
output "web_service" {{ value = platform_service.web.service_arn }}
output "core_group" {{ value = platform_service.core.security_group_id }}
output "web_group" {{ value = platform_service.web.security_group_id }}
output "core_task_definition" {{ value = platform_service.core.task_definition_arn }}
output "web_task_definition" {{ value = platform_service.web.task_definition_arn }}
output "core_execution_role" {{ value = platform_service.core.execution_role_arn }}
output "core_log_group" {{ value = platform_service.core.log_group_name }}
"#
    )
}

/// A Docker Hub login kept in Secrets Manager, as a customer would make it.
fn registry_secret(emulator: &Emulator, name: &str) -> String {
    block_on(async {
        emulator
            .secretsmanager()
            .create_secret()
            .name(format!("{name}-dockerhub"))
            .secret_string(r#"{"username":"acme","password":"not-a-real-token"}"#)
            .send()
            .await
            .expect("CreateSecret")
            .arn()
            .expect("ARN")
            .to_string()
    })
}

/// A Service Connect server's port name, discovery name and client aliases (DNS name, port).
type Served = (String, Option<String>, Vec<(Option<String>, i32)>);

/// The Service Connect configuration of a service's PRIMARY deployment, as ECS reports it.
fn service_connect_of(
    emulator: &Emulator,
    cluster: &str,
    arn: &str,
) -> Option<aws_sdk_ecs::types::ServiceConnectConfiguration> {
    ecs_service(emulator, cluster, arn)
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
        .and_then(|d| d.service_connect_configuration())
        .cloned()
}

fn services_calling_each_other(tf: Tf) {
    let emulator = Emulator::start();
    let ws = Workspace::new(tf, &emulator);
    let name = unique("sc-");
    let mut c = Checks::new(tf);
    let registry = registry_secret(&emulator, &name);
    ws.write_config(&service_connect_config(&name, &registry));
    ws.init();
    ws.apply();
    let out = |key: &str| text(&output(&ws, key));
    let (namespace_id, namespace_arn, cluster) = (
        out("namespace_id"),
        out("namespace_arn"),
        out("cluster_name"),
    );
    let namespace_name = format!("{name}.internal");

    // The namespace, in Cloud Map, owned by the environment.
    block_on(async {
        let sd = emulator.servicediscovery();
        let namespace = sd
            .get_namespace()
            .id(&namespace_id)
            .send()
            .await
            .expect("GetNamespace")
            .namespace()
            .cloned()
            .expect("namespace");
        c.eq(
            "namespace name",
            namespace.name(),
            Some(namespace_name.as_str()),
        );
        c.eq(
            "namespace ARN",
            namespace.arn(),
            Some(namespace_arn.as_str()),
        );
        c.eq(
            "namespace type",
            namespace.r#type().map(|t| t.as_str().to_string()),
            Some("DNS_PRIVATE".to_string()),
        );
    });
    c.eq(
        "namespace name output",
        out("namespace_name"),
        namespace_name.clone(),
    );
    c.eq(
        "environment census namespaces",
        census(&emulator, &format!("environment/{name}"))
            .get("namespaces")
            .copied(),
        Some(1),
    );

    // The cluster's Service Connect default is that namespace.
    let default_namespace = block_on(async {
        emulator
            .ecs()
            .describe_clusters()
            .clusters(&cluster)
            .send()
            .await
            .expect("DescribeClusters")
            .clusters()
            .first()
            .and_then(|c| c.service_connect_defaults())
            .and_then(|d| d.namespace())
            .map(str::to_string)
    });
    c.eq(
        "cluster default namespace",
        default_namespace,
        Some(namespace_arn.clone()),
    );

    // Both ends in Service Connect: core serves `http` as core.<namespace>:8080, web is a client.
    let core = service_connect_of(&emulator, &cluster, &out("core_service"));
    c.check(core.as_ref().is_some_and(|s| s.enabled()), || {
        format!("core is not in Service Connect: {core:?}")
    });
    if let Some(core) = &core {
        c.eq(
            "core namespace",
            core.namespace(),
            Some(namespace_arn.as_str()),
        );
        let served: Vec<Served> = core
            .services()
            .iter()
            .map(|s| {
                (
                    s.port_name().to_string(),
                    s.discovery_name().map(str::to_string),
                    s.client_aliases()
                        .iter()
                        .map(|a| (a.dns_name().map(str::to_string), a.port()))
                        .collect(),
                )
            })
            .collect();
        c.eq(
            "core serves",
            served,
            vec![(
                "http".to_string(),
                Some("core".to_string()),
                vec![(Some(format!("core.{namespace_name}")), 8080)],
            )],
        );
    }
    let web = service_connect_of(&emulator, &cluster, &out("web_service"));
    c.check(
        web.as_ref()
            .is_some_and(|s| s.enabled() && s.services().is_empty()),
        || format!("web is not a Service Connect client only: {web:?}"),
    );
    c.eq(
        "core endpoint",
        out("core_endpoint"),
        format!("http://core.{namespace_name}:8080"),
    );
    c.eq(
        "web endpoint (no internal)",
        out("web_endpoint"),
        String::new(),
    );

    // The port mapping Service Connect serves, and the variable web calls it with.
    let core_td = task_definition(&emulator, &out("core_task_definition"));
    let mapping = core_td
        .container_definitions()
        .first()
        .and_then(|c| c.port_mappings().first())
        .cloned();
    c.eq(
        "core port mapping",
        mapping.as_ref().map(|m| {
            (
                m.name().map(str::to_string),
                m.app_protocol().map(|p| p.as_str().to_string()),
                m.container_port(),
            )
        }),
        Some((
            Some("http".to_string()),
            Some("http".to_string()),
            Some(8080),
        )),
    );
    // The containers: core first with the registry login, waiting for its essential collector;
    // both sidecars log to core's group under their own names.
    let containers: Vec<_> = core_td
        .container_definitions()
        .iter()
        .map(|c| {
            let log = c.log_configuration().and_then(|l| l.options());
            (
                c.name().unwrap_or_default().to_string(),
                c.essential(),
                c.repository_credentials()
                    .map(|r| r.credentials_parameter().to_string()),
                c.depends_on()
                    .iter()
                    .map(|d| format!("{}:{}", d.container_name(), d.condition().as_str()))
                    .collect::<Vec<_>>(),
                log.and_then(|o| o.get("awslogs-group").cloned()),
                log.and_then(|o| o.get("awslogs-stream-prefix").cloned()),
            )
        })
        .collect();
    let group = Some(out("core_log_group"));
    c.eq(
        "core containers",
        containers,
        vec![
            (
                "core".to_string(),
                Some(true),
                Some(registry.clone()),
                vec!["otel:START".to_string()],
                group.clone(),
                Some("core".to_string()),
            ),
            (
                "otel".to_string(),
                Some(true),
                Some(registry.clone()),
                vec![],
                group.clone(),
                Some("otel".to_string()),
            ),
            (
                "agent".to_string(),
                Some(false),
                None,
                vec![],
                group,
                Some("agent".to_string()),
            ),
        ],
    );
    let role = out("core_execution_role");
    let role = role.rsplit('/').next().unwrap_or_default().to_string();
    c.check(
        execution_secret_arns(&emulator, &role).contains(&registry),
        || format!("core's execution role cannot read the registry login {registry}"),
    );

    let web_td = task_definition(&emulator, &out("web_task_definition"));
    let core_url = web_td.container_definitions().first().and_then(|c| {
        c.environment()
            .iter()
            .find(|kv| kv.name() == Some("CORE_URL"))
            .and_then(|kv| kv.value().map(str::to_string))
    });
    c.eq("web calls core at", core_url, Some(out("core_endpoint")));

    // Each admits the other on its port, from the other's group, and nothing else.
    let rules = ingress_rules(&emulator, &out("core_group"));
    c.eq(
        "core ingress",
        rules,
        [("tcp".to_string(), 8080, 8080, out("web_group"))].into(),
    );
    c.eq(
        "web ingress",
        ingress_rules(&emulator, &out("web_group")),
        [("tcp".to_string(), 8080, 8080, out("core_group"))].into(),
    );

    // See service_with_routing_and_access: moto's CreateService drops some settings, so the
    // first refresh may show the services as drifted once.
    let (changes, plan) = ws.plan();
    if changes {
        c.check(!plan.contains("must be replaced"), || {
            format!("first plan after create replaces something:\n{plan}")
        });
        c.check(!plan.contains("# platform_environment.main "), || {
            format!("first plan after create changes the environment:\n{plan}")
        });
        ws.apply();
    }
    no_changes(&ws, &mut c, "plan after create");

    destroy_and_check_empty(
        &ws,
        &emulator,
        &[
            format!("environment/{name}"),
            format!("service/{name}/core"),
            format!("service/{name}/web"),
        ],
        &mut c,
    );
    let left = block_on(async {
        emulator
            .servicediscovery()
            .get_namespace()
            .id(&namespace_id)
            .send()
            .await
            .is_ok()
    });
    c.check(!left, || {
        format!("namespace {namespace_id} survived the destroy")
    });
    c.finish();
}
