//! Security checks of `docs/security.md` against real Terraform and moto, through the AWS API.
//!
//! - `network_and_security_groups` (Terraform 1.15.5): after a real apply of two environments
//!   (per-AZ NAT with ingress and interface endpoints; no NAT) plus a database, a cache and a
//!   routed service with access, data subnets have no internet route, private subnets reach it
//!   only through a NAT gateway of their own AZ, and the security groups and their rules
//!   (DescribeSecurityGroupRules) are exactly the doc's tables, which this test reads.
//! - `secrets_never_leak` (1.0.3 and 1.15.5): with `TF_LOG=trace`, the generated database
//!   password, a rotated one and the cache auth token, read back through Secrets Manager,
//!   appear in no state file, private data, command output or trace log.
//!
//! Against moto no ECS task ever runs, so the service sets `deployment { wait = false }`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use acceptance_tests::{
    block_on, census, import_certificate, percent_decode, repo_root, tools_ready, unique, Checks,
    Emulator, Run, Tf, Workspace, OWNER_TAG,
};
use aws_sdk_ec2::types::{Filter, Tag};
use serde_json::Value;

#[test]
fn network_and_security_groups() {
    if tools_ready() {
        network_and_security_groups_on(Tf::V1_15_5);
    }
}

mod secrets_never_leak {
    use super::*;

    #[test]
    fn terraform_1_0_3() {
        if tools_ready() {
            secrets_never_leak_on(Tf::V1_0_3, &[]);
        }
    }

    #[test]
    fn terraform_1_15_5() {
        if tools_ready() {
            secrets_never_leak_on(Tf::V1_15_5, &[]);
        }
    }

    /// The SDK prints request bodies at trace when `LOG_SIGNABLE_BODY=true`; a user debugging
    /// signatures may set it, and secret values must still stay out of the log.
    #[test]
    fn terraform_1_15_5_with_sdk_body_logging() {
        if tools_ready() {
            secrets_never_leak_on(Tf::V1_15_5, &[("LOG_SIGNABLE_BODY", "true")]);
        }
    }
}

const HOST: &str = "app.example.test";
const IMAGE: &str = "public.ecr.aws/nginx/nginx:1.27";
const NODE_TAG: &str = "platform:node";
/// The cache's auth token length (`AUTH_TOKEN_LENGTH` in src/plan/expand/cache.rs).
const AUTH_TOKEN_LENGTH: usize = 64;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

fn tag<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
}

fn strings(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("expected a list, got {value}"))
        .iter()
        .map(|v| v.as_str().expect("string").to_string())
        .collect()
}

fn text(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, got {value}"))
        .to_string()
}

fn flat(run: &Run) -> String {
    format!("{}\n{}", run.stdout, run.stderr)
}

/// Destroys, then checks that no owner has a tagged object left.
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

// ---------------------------------------------------------------------------------------------
// docs/security.md
// ---------------------------------------------------------------------------------------------

const DOC: &str = "docs/security.md";

/// The first table after `## <heading>`, as maps from column name to cell (backticks removed).
fn doc_table(heading: &str) -> Vec<BTreeMap<String, String>> {
    let path = repo_root().join(DOC);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {DOC}: {e}"));
    let wanted = format!("## {heading}");
    let rows: Vec<Vec<String>> = text
        .lines()
        .skip_while(|l| l.trim() != wanted)
        .skip(1)
        .skip_while(|l| !l.trim_start().starts_with('|'))
        .take_while(|l| l.trim_start().starts_with('|'))
        .map(|l| {
            l.trim()
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().replace('`', ""))
                .collect()
        })
        .collect();
    assert!(rows.len() > 2, "{DOC} has no table under `{wanted}`");
    let header = &rows[0];
    rows[2..]
        .iter()
        .map(|row| header.iter().cloned().zip(row.iter().cloned()).collect())
        .collect()
}

/// What the doc's `When` conditions and placeholders read, for one environment and what runs
/// on it.
struct Facts {
    env: String,
    cidr: String,
    ingress: bool,
    http_to_https: bool,
    allowed_cidrs: Vec<String>,
    interface_endpoints: bool,
    /// CIDRs of the private subnets, as EC2 reports them.
    private_cidrs: Vec<String>,
    services: Vec<ServiceFacts>,
    databases: Vec<String>,
    caches: Vec<String>,
}

/// One service: (name, port, routed, databases it reads, caches it reads, services it admits).
type ServiceFacts = (String, i32, bool, Vec<String>, Vec<String>, Vec<String>);

/// A group named as the doc names it, with its owner: `env.services@environment/x`.
fn group(symbol: &str, owner: &str) -> String {
    format!("{symbol}@{owner}")
}

/// A rule in the doc's terms: (rule owner, group, direction, protocol, from, to, peer).
type Rule = (String, String, String, String, i32, i32, String);

fn doc_ports(text: &str, port: i32) -> (i32, i32) {
    match text {
        "all" => (-1, -1),
        "port" => (port, port),
        range => {
            let (from, to) = range.split_once('-').unwrap_or((range, range));
            let n = |s: &str| {
                s.parse::<i32>()
                    .unwrap_or_else(|_| panic!("{DOC}: bad ports {text:?}"))
            };
            (n(from), n(to))
        }
    }
}

/// The doc's rule matrix instantiated for `facts`.
fn expected_rules(facts: &Facts) -> BTreeSet<Rule> {
    let env_owner = format!("environment/{}", facts.env);
    let mut out = BTreeSet::new();
    for row in doc_table("Rule matrix") {
        let cell = |k: &str| {
            row.get(k)
                .cloned()
                .unwrap_or_else(|| panic!("{DOC}: rule matrix lacks column {k}"))
        };
        // (rule owner, port, names of the row's groups bound to owners)
        let mut bindings: Vec<(String, i32, BTreeMap<String, String>)> = Vec::new();
        match cell("Owner").as_str() {
            "platform_environment" => {
                let applies = match cell("When").as_str() {
                    "always" => true,
                    "ingress" => facts.ingress,
                    "ingress.http_to_https" => facts.ingress && facts.http_to_https,
                    "interface endpoints" => facts.interface_endpoints,
                    other => panic!("{DOC}: unknown When {other:?}"),
                };
                if applies {
                    bindings.push((env_owner.clone(), 0, BTreeMap::new()));
                }
            }
            "platform_service" => {
                for (name, port, routed, databases, caches, callers) in &facts.services {
                    let owner = format!("service/{}/{name}", facts.env);
                    let own: BTreeMap<String, String> =
                        [("service".to_string(), group("service", &owner))].into();
                    let with = |kind: &str, target: &str| {
                        let mut b = own.clone();
                        b.insert(
                            kind.to_string(),
                            group(kind, &format!("{kind}/{}/{target}", facts.env)),
                        );
                        (owner.clone(), *port, b)
                    };
                    match cell("When").as_str() {
                        "always" => bindings.push((owner.clone(), *port, own.clone())),
                        "routing" if *routed && facts.ingress => {
                            bindings.push((owner.clone(), *port, own.clone()))
                        }
                        "routing" => {}
                        "database_access" => {
                            bindings.extend(databases.iter().map(|d| with("database", d)))
                        }
                        "cache_access" => bindings.extend(caches.iter().map(|d| with("cache", d))),
                        "allow_from_services" => bindings.extend(callers.iter().map(|caller| {
                            let mut b = own.clone();
                            b.insert(
                                "caller".to_string(),
                                group("service", &format!("service/{}/{caller}", facts.env)),
                            );
                            (owner.clone(), *port, b)
                        })),
                        other => panic!("{DOC}: unknown When {other:?}"),
                    }
                }
            }
            other => panic!("{DOC}: rules owned by {other:?} are not modelled"),
        }
        for (owner, port, bound) in bindings {
            let resolve = |symbol: &str| match symbol.strip_prefix("env.") {
                Some(_) => group(symbol, &env_owner),
                None => bound
                    .get(symbol)
                    .cloned()
                    .unwrap_or_else(|| panic!("{DOC}: cannot resolve group {symbol}")),
            };
            let peers = match cell("Peer").as_str() {
                "network.cidr" => vec![facts.cidr.clone()],
                "ingress.allowed_cidrs" => facts.allowed_cidrs.clone(),
                "private subnets" => facts.private_cidrs.clone(),
                cidr if cidr.contains('/') => vec![cidr.to_string()],
                symbol => vec![resolve(symbol)],
            };
            let (from, to) = doc_ports(&cell("Ports"), port);
            let protocol = match cell("Protocol").as_str() {
                "all" => "-1".to_string(),
                p => p.to_string(),
            };
            for peer in peers {
                out.insert((
                    owner.clone(),
                    resolve(&cell("Group")),
                    cell("Direction"),
                    protocol.clone(),
                    from,
                    to,
                    peer,
                ));
            }
        }
    }
    out
}

/// The doc's groups table for `facts`: group → (AWS name, attached to).
fn expected_groups(facts: &Facts) -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    for row in doc_table("Security groups") {
        let applies = match row["When"].as_str() {
            "always" => true,
            "ingress" => facts.ingress,
            "interface endpoints" => facts.interface_endpoints,
            other => panic!("{DOC}: unknown When {other:?}"),
        };
        if !applies {
            continue;
        }
        let instances: Vec<(String, String)> = match row["Owner"].as_str() {
            "platform_environment" => vec![(format!("environment/{}", facts.env), String::new())],
            "platform_service" => facts
                .services
                .iter()
                .map(|s| (format!("service/{}/{}", facts.env, s.0), s.0.clone()))
                .collect(),
            "platform_database" => facts
                .databases
                .iter()
                .map(|d| (format!("database/{}/{d}", facts.env), d.clone()))
                .collect(),
            "platform_cache" => facts
                .caches
                .iter()
                .map(|d| (format!("cache/{}/{d}", facts.env), d.clone()))
                .collect(),
            other => panic!("{DOC}: unknown owner {other:?}"),
        };
        for (owner, name) in instances {
            out.insert(
                group(&row["Group"], &owner),
                (
                    row["AWS name"]
                        .replace("<env>", &facts.env)
                        .replace("<name>", &name),
                    row["Attached to"].clone(),
                ),
            );
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Case 1: network paths and security groups
// ---------------------------------------------------------------------------------------------

fn network_config(main: &str, isolated: &str, certificate: &str) -> String {
    format!(
        r#"
resource "platform_environment" "main" {{
  name = "{main}"
  tier = "dev"
  network {{
    cidr = "10.61.0.0/16"
    nat {{ mode = "per_az" }}
    vpc_endpoints {{ preset = "essential" }}
  }}
  ingress {{
    certificate_arn = "{certificate}"
  }}
}}

resource "platform_environment" "isolated" {{
  name = "{isolated}"
  tier = "dev"
  network {{
    cidr            = "10.62.0.0/16"
    nat {{ mode = "none" }}
    allow_no_egress = true
  }}
}}

resource "platform_database" "main" {{
  environment_id = platform_environment.main.id
  name           = "main"
}}

resource "platform_cache" "sessions" {{
  environment_id = platform_environment.main.id
  name           = "sessions"
}}

resource "platform_service" "api" {{
  environment_id  = platform_environment.main.id
  name            = "api"
  image           = "{IMAGE}"
  port            = 8080
  database_access = [platform_database.main.id]
  cache_access    = [platform_cache.sessions.id]
  routing {{
    hosts = ["{HOST}"]
  }}
  deployment {{
    wait = false
  }}
}}

resource "platform_service" "worker" {{
  environment_id      = platform_environment.main.id
  name                = "worker"
  image               = "{IMAGE}"
  port                = 9000
  allow_from_services = [platform_service.api.id]
  deployment {{
    wait = false
  }}
}}
"#
    )
}

/// Route tables of a VPC, seen through EC2: which subnets each serves, and its routes.
fn check_network(
    emulator: &Emulator,
    attrs: &Value,
    nat_mode: &str,
    c: &mut Checks,
) -> BTreeMap<String, String> {
    let env = text(&attrs["name"]);
    let vpc_id = text(&attrs["vpc_id"]);
    let ec2 = emulator.ec2();
    let (subnets, tables, nats) = block_on(async {
        let subnets = ec2
            .describe_subnets()
            .filters(filter("vpc-id", &vpc_id))
            .send()
            .await
            .expect("DescribeSubnets")
            .subnets()
            .to_vec();
        let tables = ec2
            .describe_route_tables()
            .filters(filter("vpc-id", &vpc_id))
            .send()
            .await
            .expect("DescribeRouteTables")
            .route_tables()
            .to_vec();
        // moto ignores filters on DescribeNatGateways; the VPC is checked below.
        let nats = ec2
            .describe_nat_gateways()
            .send()
            .await
            .expect("DescribeNatGateways")
            .nat_gateways()
            .to_vec();
        (subnets, tables, nats)
    });

    // Subnet → (tier, AZ), the tier read from the node-key tag, checked against the attributes.
    let mut tier_of: BTreeMap<String, (String, String)> = BTreeMap::new();
    for subnet in &subnets {
        let id = subnet.subnet_id().unwrap_or_default().to_string();
        let node = tag(subnet.tags(), NODE_TAG).unwrap_or_default();
        let tier = node
            .strip_prefix("ec2.subnet/")
            .and_then(|rest| rest.split('/').next())
            .unwrap_or("untagged")
            .to_string();
        c.eq(
            &format!("{env}: owner of subnet {id}"),
            tag(subnet.tags(), OWNER_TAG),
            Some(format!("environment/{env}").as_str()),
        );
        c.eq(
            &format!("{env}: MapPublicIpOnLaunch of {id}"),
            subnet.map_public_ip_on_launch(),
            Some(false),
        );
        let az = subnet.availability_zone().unwrap_or_default().to_string();
        tier_of.insert(id, (tier, az));
    }
    for tier in ["public", "private", "data"] {
        let tagged: BTreeSet<String> = tier_of
            .iter()
            .filter(|(_, (t, _))| t == tier)
            .map(|(id, _)| id.clone())
            .collect();
        c.eq(
            &format!("{env}: {tier} subnets by tag = {tier}_subnet_ids"),
            tagged.clone(),
            strings(&attrs[format!("{tier}_subnet_ids")]),
        );
        c.eq(&format!("{env}: {tier} subnets"), tagged.len(), 2);
    }

    let nat_subnet: BTreeMap<String, String> = nats
        .iter()
        .filter(|n| n.vpc_id() == Some(vpc_id.as_str()))
        .filter(|n| {
            n.state()
                .is_some_and(|s| s.as_str() == "available" || s.as_str() == "pending")
        })
        .filter_map(|n| Some((n.nat_gateway_id()?.to_string(), n.subnet_id()?.to_string())))
        .collect();
    let expected_nats = match nat_mode {
        "per_az" => 2,
        "single" => 1,
        _ => 0,
    };
    c.eq(
        &format!("{env}: live NAT gateways"),
        nat_subnet.len(),
        expected_nats,
    );

    // Subnet → its explicitly associated tables.
    let mut tables_of: BTreeMap<String, Vec<&aws_sdk_ec2::types::RouteTable>> = BTreeMap::new();
    for table in &tables {
        for association in table.associations() {
            if let Some(subnet) = association.subnet_id() {
                tables_of.entry(subnet.to_string()).or_default().push(table);
            }
        }
    }
    let internet = |r: &aws_sdk_ec2::types::Route| {
        r.destination_cidr_block() == Some("0.0.0.0/0")
            || r.destination_ipv6_cidr_block() == Some("::/0")
    };
    let describe = |r: &aws_sdk_ec2::types::Route| {
        format!(
            "{} -> {}",
            r.destination_cidr_block()
                .or(r.destination_ipv6_cidr_block())
                .or(r.destination_prefix_list_id())
                .unwrap_or("?"),
            r.gateway_id()
                .or(r.nat_gateway_id())
                .or(r.egress_only_internet_gateway_id())
                .or(r.transit_gateway_id())
                .or(r.network_interface_id())
                .or(r.vpc_peering_connection_id())
                .unwrap_or("?")
        )
    };
    for (subnet, (tier, az)) in &tier_of {
        let found = tables_of.get(subnet).cloned().unwrap_or_default();
        c.check(found.len() == 1, || {
            format!("{env}: {tier} subnet {subnet} has {} explicit route table associations (without one it uses the main table)", found.len())
        });
        let Some(table) = found.first() else { continue };
        c.check(
            tag(table.tags(), NODE_TAG)
                .is_some_and(|n| n.starts_with(&format!("ec2.route_table/{tier}"))),
            || {
                format!(
                    "{env}: {tier} subnet {subnet} uses table {:?} of another tier ({:?})",
                    table.route_table_id(),
                    tag(table.tags(), NODE_TAG)
                )
            },
        );
        let routes = table.routes();
        for route in routes {
            let to_igw = route.gateway_id().is_some_and(|g| g.starts_with("igw-"));
            let to_nat = route.nat_gateway_id().is_some();
            match tier.as_str() {
                "data" => c.check(!to_igw && !to_nat && !internet(route), || {
                    format!(
                        "{env}: data subnet {subnet} has the internet route {}",
                        describe(route)
                    )
                }),
                "private" => c.check(!to_igw, || {
                    format!(
                        "{env}: private subnet {subnet} routes to the internet gateway: {}",
                        describe(route)
                    )
                }),
                _ => {}
            }
        }
        let defaults: Vec<&aws_sdk_ec2::types::Route> =
            routes.iter().filter(|r| internet(r)).collect();
        match (tier.as_str(), nat_mode) {
            ("private", "none") => c.check(defaults.is_empty(), || {
                format!("{env}: private subnet {subnet} has a default route without NAT: {:?}", defaults.iter().map(|r| describe(r)).collect::<Vec<_>>())
            }),
            ("private", mode) => {
                let nat = match defaults.as_slice() {
                    [only] => only.nat_gateway_id(),
                    _ => None,
                };
                c.check(nat.is_some(), || {
                    format!("{env}: private subnet {subnet} needs one default route via NAT, has {:?}", defaults.iter().map(|r| describe(r)).collect::<Vec<_>>())
                });
                if let Some(nat) = nat {
                    let home = nat_subnet.get(nat).and_then(|s| tier_of.get(s));
                    c.check(home.is_some_and(|(t, _)| t == "public"), || {
                        format!("{env}: NAT gateway {nat} of private subnet {subnet} is not in a public subnet of the VPC: {home:?}")
                    });
                    if mode == "per_az" {
                        c.check(home.is_some_and(|(_, nat_az)| nat_az == az), || {
                            format!("{env}: private subnet {subnet} in {az} uses NAT {nat} of another AZ: {home:?}")
                        });
                    }
                }
            }
            ("public", _) => c.check(
                matches!(defaults.as_slice(), [only] if only.gateway_id().is_some_and(|g| g.starts_with("igw-"))),
                || format!("{env}: public subnet {subnet} needs 0.0.0.0/0 via the internet gateway, has {:?}", defaults.iter().map(|r| describe(r)).collect::<Vec<_>>()),
            ),
            _ => {}
        }
    }
    tier_of
        .into_iter()
        .map(|(id, (tier, _))| (id, tier))
        .collect()
}

/// Our groups in a VPC (group ID → doc name) with their AWS names, and every rule on them.
fn live_groups_and_rules(
    emulator: &Emulator,
    vpc_id: &str,
    c: &mut Checks,
) -> (BTreeMap<String, (String, String)>, BTreeSet<Rule>) {
    let ec2 = emulator.ec2();
    let groups = block_on(async {
        ec2.describe_security_groups()
            .filters(filter("vpc-id", vpc_id))
            .send()
            .await
            .expect("DescribeSecurityGroups")
            .security_groups()
            .to_vec()
    });
    let mut named: BTreeMap<String, (String, String)> = BTreeMap::new();
    for g in &groups {
        let id = g.group_id().unwrap_or_default().to_string();
        let (Some(owner), Some(node)) = (tag(g.tags(), OWNER_TAG), tag(g.tags(), NODE_TAG)) else {
            // Only the VPC's own default group may be someone else's.
            c.check(g.group_name() == Some("default"), || {
                format!(
                    "group {id} ({:?}) in VPC {vpc_id} carries no ownership tags",
                    g.group_name()
                )
            });
            continue;
        };
        let qualifier = node.strip_prefix("ec2.security_group/").unwrap_or(node);
        let symbol = match owner.split('/').next().unwrap_or_default() {
            "environment" => format!("env.{qualifier}"),
            kind => kind.to_string(),
        };
        named.insert(
            id,
            (
                group(&symbol, owner),
                g.group_name().unwrap_or_default().to_string(),
            ),
        );
    }
    let mut rules = BTreeSet::new();
    for (id, (name, _)) in &named {
        let live = block_on(async {
            ec2.describe_security_group_rules()
                .filters(filter("group-id", id))
                .send()
                .await
                .expect("DescribeSecurityGroupRules")
                .security_group_rules()
                .to_vec()
        });
        for rule in live {
            let peer = rule
                .cidr_ipv4()
                .or(rule.cidr_ipv6())
                .or(rule.prefix_list_id())
                .map(str::to_string)
                .or_else(|| {
                    rule.referenced_group_info()
                        .and_then(|g| g.group_id())
                        .map(|g| {
                            named
                                .get(g)
                                .map(|n| n.0.clone())
                                .unwrap_or_else(|| format!("foreign group {g}"))
                        })
                })
                .unwrap_or_else(|| "?".to_string());
            let owner = tag(rule.tags(), OWNER_TAG)
                .map(str::to_string)
                .unwrap_or_else(|| {
                    format!(
                        "untagged rule {}",
                        rule.security_group_rule_id().unwrap_or("?")
                    )
                });
            let inserted = rules.insert((
                owner,
                name.clone(),
                if rule.is_egress() == Some(true) {
                    "egress"
                } else {
                    "ingress"
                }
                .to_string(),
                rule.ip_protocol().unwrap_or_default().to_string(),
                rule.from_port().unwrap_or(-1),
                rule.to_port().unwrap_or(-1),
                peer,
            ));
            c.check(inserted, || format!("duplicate rule on {name}: {rule:?}"));
        }
    }
    (named, rules)
}

fn show_rules(rules: &BTreeSet<Rule>) -> String {
    rules
        .iter()
        .map(|(owner, group, dir, proto, from, to, peer)| {
            format!("  [{owner}] {group} {dir} {proto} {from}..{to} peer {peer}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Which of the provider's objects use each group, from the AWS side.
fn attachments(
    emulator: &Emulator,
    vpc_id: &str,
    c: &mut Checks,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut add = |group: &str, label: &str| {
        out.entry(group.to_string())
            .or_default()
            .insert(label.to_string());
    };
    block_on(async {
        let lbs = emulator
            .elbv2()
            .describe_load_balancers()
            .send()
            .await
            .expect("DescribeLoadBalancers");
        for lb in lbs
            .load_balancers()
            .iter()
            .filter(|l| l.vpc_id() == Some(vpc_id))
        {
            for g in lb.security_groups() {
                add(g, "load balancer");
            }
        }
        let endpoints = emulator
            .ec2()
            .describe_vpc_endpoints()
            .filters(filter("vpc-id", vpc_id))
            .send()
            .await
            .expect("DescribeVpcEndpoints");
        for e in endpoints.vpc_endpoints() {
            for g in e.groups() {
                if let Some(id) = g.group_id() {
                    add(id, "interface endpoints");
                }
            }
        }
        let dbs = emulator
            .rds()
            .describe_db_instances()
            .send()
            .await
            .expect("DescribeDBInstances");
        for db in dbs.db_instances() {
            for g in db.vpc_security_groups() {
                if let Some(id) = g.vpc_security_group_id() {
                    add(id, "DB instance");
                }
            }
        }
        let ecs = emulator.ecs();
        let clusters = ecs.list_clusters().send().await.expect("ListClusters");
        for cluster in clusters.cluster_arns() {
            let arns = ecs
                .list_services()
                .cluster(cluster)
                .send()
                .await
                .expect("ListServices")
                .service_arns()
                .to_vec();
            if arns.is_empty() {
                continue;
            }
            let services = ecs
                .describe_services()
                .cluster(cluster)
                .set_services(Some(arns))
                .send()
                .await
                .expect("DescribeServices");
            for s in services.services() {
                let groups = s
                    .network_configuration()
                    .and_then(|n| n.awsvpc_configuration())
                    .map(|a| a.security_groups().to_vec())
                    .unwrap_or_default();
                for g in groups {
                    add(&g, "ECS service");
                }
            }
        }
        let clusters = emulator
            .elasticache()
            .describe_cache_clusters()
            .send()
            .await;
        match clusters {
            Ok(out) => {
                for cluster in out.cache_clusters() {
                    if cluster.replication_group_id().is_none() {
                        continue;
                    }
                    for g in cluster.security_groups() {
                        if let Some(id) = g.security_group_id() {
                            add(id, "replication group");
                        }
                    }
                }
            }
            Err(e) => c.check(false, || {
                format!(
                    "DescribeCacheClusters: {}",
                    aws_sdk_elasticache::error::DisplayErrorContext(e)
                )
            }),
        }
    });
    out
}

/// The CIDR of each subnet the environment lists in `private_subnet_ids`, read from EC2.
fn private_cidrs(emulator: &Emulator, attrs: &Value) -> Vec<String> {
    let ids: Vec<String> = strings(&attrs["private_subnet_ids"]).into_iter().collect();
    assert!(!ids.is_empty(), "the environment lists no private subnets");
    block_on(async {
        emulator
            .ec2()
            .describe_subnets()
            .set_subnet_ids(Some(ids))
            .send()
            .await
            .expect("DescribeSubnets")
            .subnets()
            .iter()
            .filter_map(|s| s.cidr_block().map(str::to_string))
            .collect()
    })
}

fn check_groups(emulator: &Emulator, attrs: &Value, facts: &Facts, c: &mut Checks) {
    let env = &facts.env;
    let vpc_id = text(&attrs["vpc_id"]);
    let (named, rules) = live_groups_and_rules(emulator, &vpc_id, c);

    let expected = expected_rules(facts);
    let missing: BTreeSet<Rule> = expected.difference(&rules).cloned().collect();
    let extra: BTreeSet<Rule> = rules.difference(&expected).cloned().collect();
    c.check(missing.is_empty() && extra.is_empty(), || {
        format!(
            "{env}: security group rules differ from {DOC}.\nIn the doc, not in AWS:\n{}\nIn AWS, not in the doc:\n{}",
            show_rules(&missing),
            show_rules(&extra)
        )
    });
    c.check(!expected.is_empty(), || {
        format!("{env}: the doc gave no rules")
    });

    let used = attachments(emulator, &vpc_id, c);
    let live: BTreeMap<String, (String, String)> = named
        .iter()
        .map(|(id, (name, aws_name))| {
            let attached = used
                .get(id)
                .map(|labels| labels.iter().cloned().collect::<Vec<_>>().join(", "))
                .unwrap_or_else(|| "nothing (exported)".to_string());
            (name.clone(), (aws_name.clone(), attached))
        })
        .collect();
    c.eq(
        &format!("{env}: security groups (doc name → AWS name, attached to)"),
        live,
        expected_groups(facts),
    );

    // The environment's exported groups are the ones it lists.
    let exported: BTreeMap<String, String> = attrs["security_group_ids"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), text(v))).collect())
        .unwrap_or_default();
    for (role, id) in &exported {
        c.eq(
            &format!("{env}: security_group_ids[{role}]"),
            named.get(id).map(|n| n.0.clone()),
            Some(group(&format!("env.{role}"), &format!("environment/{env}"))),
        );
    }
}

fn network_and_security_groups_on(tf: Tf) {
    let started = std::time::Instant::now();
    let emulator = Emulator::start();
    let ws = Workspace::new(tf, &emulator);
    let mut c = Checks::new(tf);
    let main = unique("sn-");
    let isolated = unique("si-");
    let certificate = import_certificate(&emulator, &[HOST]);
    ws.write_config(&network_config(&main, &isolated, &certificate));
    ws.init();
    ws.apply();

    let main_attrs = ws.attributes("platform_environment.main");
    let isolated_attrs = ws.attributes("platform_environment.isolated");
    check_network(&emulator, &main_attrs, "per_az", &mut c);
    check_network(&emulator, &isolated_attrs, "none", &mut c);

    let main_facts = Facts {
        env: main.clone(),
        cidr: "10.61.0.0/16".into(),
        ingress: true,
        http_to_https: true,
        allowed_cidrs: vec!["0.0.0.0/0".into()],
        interface_endpoints: true,
        private_cidrs: private_cidrs(&emulator, &main_attrs),
        services: vec![
            (
                "api".into(),
                8080,
                true,
                vec!["main".into()],
                vec!["sessions".into()],
                vec![],
            ),
            (
                "worker".into(),
                9000,
                false,
                vec![],
                vec![],
                vec!["api".into()],
            ),
        ],
        databases: vec!["main".into()],
        caches: vec!["sessions".into()],
    };
    let isolated_facts = Facts {
        env: isolated.clone(),
        cidr: "10.62.0.0/16".into(),
        ingress: false,
        http_to_https: false,
        allowed_cidrs: vec![],
        interface_endpoints: false,
        private_cidrs: private_cidrs(&emulator, &isolated_attrs),
        services: vec![],
        databases: vec![],
        caches: vec![],
    };
    check_groups(&emulator, &main_attrs, &main_facts, &mut c);
    check_groups(&emulator, &isolated_attrs, &isolated_facts, &mut c);

    let owners = [
        format!("environment/{main}"),
        format!("environment/{isolated}"),
        format!("database/{main}/main"),
        format!("cache/{main}/sessions"),
        format!("service/{main}/api"),
        format!("service/{main}/worker"),
    ];
    destroy_and_check_empty(&ws, &emulator, &owners, &mut c);
    eprintln!(
        "network_and_security_groups ({tf:?}) took {:?}",
        started.elapsed()
    );
    c.finish();
}

// ---------------------------------------------------------------------------------------------
// Case 2: secret values never leak
// ---------------------------------------------------------------------------------------------

/// With `regenerate`, the service's generated secret is listed in `regenerate_secrets`.
fn secrets_config(name: &str, regenerate: bool) -> String {
    let regenerate = if regenerate {
        r#"regenerate_secrets = ["JWT_SECRET"]"#
    } else {
        ""
    };
    format!(
        r#"
resource "platform_environment" "main" {{
  name = "{name}"
  tier = "dev"
  network {{
    cidr = "10.63.0.0/16"
  }}
}}

resource "platform_database" "main" {{
  environment_id = platform_environment.main.id
  name           = "main"
}}

resource "platform_cache" "main" {{
  environment_id = platform_environment.main.id
  name           = "main"
}}

resource "platform_service" "api" {{
  environment_id  = platform_environment.main.id
  name            = "api"
  image           = "{IMAGE}"
  database_access = [platform_database.main.id]
  cache_access    = [platform_cache.main.id]
  generated_secrets = ["JWT_SECRET"]
  {regenerate}
  deployment {{
    wait = false
  }}
}}

# Every attribute of every resource, so `terraform output` shows all of them.
output "environment" {{ value = platform_environment.main }}
output "database" {{ value = platform_database.main }}
output "cache" {{ value = platform_cache.main }}
output "service" {{ value = platform_service.api }}
output "db_connection_secret" {{ value = platform_database.main.connection_secret_arn }}
output "db_master_secret" {{ value = platform_database.main.master_secret_arn }}
output "cache_connection_secret" {{ value = platform_cache.main.connection_secret_arn }}
"#
    )
}

/// RFC 3986 percent-encoding of all but unreserved characters, in upper or lower hex.
fn percent_encode(text: &str, upper: bool) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ if upper => format!("%{b:02X}"),
            _ => format!("%{b:02x}"),
        })
        .collect()
}

/// `application/x-www-form-urlencoded`: as above, but a space is `+`.
fn form_encode(text: &str) -> String {
    text.split(' ')
        .map(|part| percent_encode(part, true))
        .collect::<Vec<_>>()
        .join("+")
}

/// The forms a value could take in a file or log: as is, URL-encoded, JSON-escaped, and each
/// of those as `Debug` prints a byte slice (`[80, 64, …]`, as the SDK logs request bodies).
fn forms(value: &str) -> BTreeSet<String> {
    let json = serde_json::to_string(value).expect("json");
    let texts = [
        value.to_string(),
        percent_encode(value, true),
        percent_encode(value, false),
        form_encode(value),
        json[1..json.len() - 1].to_string(),
    ];
    let bytes = texts.clone().map(|t| {
        t.bytes()
            .map(|b| b.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    });
    texts.into_iter().chain(bytes).collect()
}

/// Every (haystack, secret, form) where a form of a secret occurs.
fn leaks(haystacks: &[(String, String)], secrets: &[(&str, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (where_, text) in haystacks {
        for (what, value) in secrets {
            for form in forms(value) {
                if text.contains(&form) {
                    out.push(format!("{what} (as {form:?}) in {where_}"));
                }
            }
        }
    }
    out
}

/// Standard base64, padding optional (Terraform keeps private data this way in the state).
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes().filter(|&c| c != b'=') {
        let v = value(c).unwrap_or_else(|| panic!("private data is not base64: {c:?}"));
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// The decoded private data of every resource instance in a state file.
fn private_data(state: &str) -> Vec<(String, String)> {
    let Ok(state) = serde_json::from_str::<Value>(state) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for resource in state["resources"].as_array().into_iter().flatten() {
        let address = format!(
            "{}.{}",
            resource["type"].as_str().unwrap_or("?"),
            resource["name"].as_str().unwrap_or("?")
        );
        for instance in resource["instances"].as_array().into_iter().flatten() {
            if let Some(private) = instance["private"].as_str() {
                out.push((
                    format!("private data of {address}"),
                    String::from_utf8_lossy(&base64_decode(private)).into_owned(),
                ));
            }
        }
    }
    out
}

fn secret_string(emulator: &Emulator, id: &str) -> String {
    block_on(async {
        emulator
            .secretsmanager()
            .get_secret_value()
            .secret_id(id)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "GetSecretValue {id}: {}",
                    aws_sdk_secretsmanager::error::DisplayErrorContext(e)
                )
            })
            .secret_string()
            .unwrap_or_default()
            .to_string()
    })
}

fn secret_json(emulator: &Emulator, id: &str) -> Value {
    let text = secret_string(emulator, id);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("secret {id} is not JSON: {e}"))
}

/// A password no one else has, with the characters URLs and forms encode.
fn random_password() -> String {
    use std::hash::{BuildHasher, Hasher};
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789@:/%+ &=?#";
    let mut out = String::from("Rt@ 9/%+");
    let seed = std::collections::hash_map::RandomState::new();
    for i in 0..24u64 {
        let mut h = seed.build_hasher();
        h.write_u64(i);
        out.push(ALPHABET[(h.finish() % ALPHABET.len() as u64) as usize] as char);
    }
    out
}

/// Terraform with trace logging to its own file; every output and log is kept for the search.
struct Traced<'a> {
    ws: &'a Workspace,
    /// More environment for every command (and so for the provider it starts).
    env: &'a [(&'a str, &'a str)],
    haystacks: Vec<(String, String)>,
    logs: Vec<PathBuf>,
}

impl Traced<'_> {
    fn run(&mut self, args: &[&str]) -> Run {
        let log = self
            .ws
            .dir
            .join(format!("trace-{}-{}.log", self.logs.len(), args[0]));
        let path = log.display().to_string();
        let mut env = vec![("TF_LOG", "trace"), ("TF_LOG_PATH", path.as_str())];
        env.extend_from_slice(self.env);
        let run = self.ws.run_with_env(args, &env);
        assert_eq!(
            run.code,
            0,
            "terraform {} failed ({:?}):\n{}",
            args.join(" "),
            self.ws.tf,
            flat(&run)
        );
        self.haystacks.push((
            format!("output of `terraform {}`", args.join(" ")),
            flat(&run),
        ));
        self.logs.push(log);
        run
    }

    fn plan(&mut self) -> Run {
        self.run(&["plan", "-input=false", "-no-color"])
    }

    fn apply(&mut self) -> Run {
        self.run(&["apply", "-input=false", "-no-color", "-auto-approve"])
    }

    /// Output, trace logs, state files and their private data, and the harness's log.
    fn all_haystacks(&self) -> Vec<(String, String)> {
        let mut out = self.haystacks.clone();
        let read = |path: &Path| {
            std::fs::read(path)
                .ok()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
        };
        for log in &self.logs {
            out.push((
                format!("trace log {}", log.display()),
                read(log).unwrap_or_else(|| panic!("trace log {} was not written", log.display())),
            ));
        }
        for file in ["terraform.tfstate", "terraform.tfstate.backup"] {
            let path = self.ws.dir.join(file);
            if let Some(state) = read(&path) {
                out.extend(private_data(&state));
                out.push((file.to_string(), state));
            }
        }
        if let Some(log) = read(&self.ws.dir.join("terraform.log")) {
            out.push(("the harness's terraform.log".to_string(), log));
        }
        out
    }
}

fn secrets_never_leak_on(tf: Tf, env: &[(&str, &str)]) {
    let started = std::time::Instant::now();

    // The search finds every form it claims to, or its silence means nothing.
    let probe = "p@ss w/rd%+é".to_string();
    for form in forms(&probe) {
        let found = leaks(
            &[("probe".into(), format!("xx{form}yy"))],
            &[("probe", probe.clone())],
        );
        assert!(!found.is_empty(), "the search misses the form {form:?}");
    }
    assert!(forms(&probe).contains("p%40ss%20w%2Frd%25%2B%C3%A9"));
    assert!(forms(&probe).contains("p%40ss+w%2Frd%25%2B%C3%A9"));
    assert!(forms("P@5").contains("80, 64, 53"));
    assert_eq!(base64_decode("eyJhIjoxfQ=="), b"{\"a\":1}");

    let emulator = Emulator::start();
    let ws = Workspace::new(tf, &emulator);
    let mut c = Checks::new(tf);
    let name = unique("sl-");
    ws.write_config(&secrets_config(&name, false));
    let mut traced = Traced {
        ws: &ws,
        env,
        haystacks: Vec::new(),
        logs: Vec::new(),
    };
    traced.run(&["init", "-input=false", "-no-color"]);
    traced.plan();
    traced.apply();

    // The values, through Secrets Manager.
    let outputs: Value =
        serde_json::from_str(&traced.run(&["output", "-json", "-no-color"]).stdout)
            .expect("output JSON");
    let output = |k: &str| text(&outputs[k]["value"]);
    let db_secret = output("db_connection_secret");
    let master_secret = output("db_master_secret");
    let cache_secret = output("cache_connection_secret");
    let db = secret_json(&emulator, &db_secret);
    let password = text(&db["password"]);
    let master_password = text(&secret_json(&emulator, &master_secret)["password"]);
    c.eq(
        "connection secret password = the master secret's",
        password.clone(),
        master_password,
    );
    let cache = secret_json(&emulator, &cache_secret);
    let token = text(&cache["auth_token"]);
    let token_secret = format!("platform/{name}/cache/main/auth-token");
    c.eq(
        "cache connection auth_token = the auth-token secret",
        token.clone(),
        secret_string(&emulator, &token_secret),
    );
    assert!(
        password.len() >= 8,
        "the database password is too short to search for: {} characters",
        password.len()
    );
    assert_eq!(
        token.len(),
        AUTH_TOKEN_LENGTH,
        "the cache auth token's length"
    );
    assert!(
        token.chars().all(|ch| ch.is_ascii_alphanumeric()),
        "the auth token has punctuation"
    );
    c.check(
        text(&db["url"]).contains(&percent_encode(&password, true)),
        || "the database URL does not carry the URL-encoded password".to_string(),
    );
    c.check(text(&cache["url"]).contains(&token), || {
        "the cache URL does not carry the auth token".to_string()
    });

    // Rotate the master password out of band: the refresh must see the connection secret out
    // of date and the apply rewrite it, both handling the new value.
    let rotated = random_password();
    block_on(async {
        emulator
            .secretsmanager()
            .put_secret_value()
            .secret_id(&master_secret)
            .secret_string(
                serde_json::json!({"username": "admin", "password": rotated}).to_string(),
            )
            .send()
            .await
            .expect("PutSecretValue")
    });
    let plan = traced.plan();
    c.check(plan.stdout.contains("platform_database.main"), || {
        format!(
            "the plan after rotating the master password does not touch the database:\n{}",
            plan.stdout
        )
    });
    traced.apply();
    c.eq(
        "connection secret password after the rotation",
        text(&secret_json(&emulator, &db_secret)["password"]),
        rotated.clone(),
    );

    // The generated secret: 48 letters and digits, injected by ARN, read by the execution role.
    let jwt_name = format!("platform/{name}/service/api/JWT_SECRET");
    let jwt = secret_string(&emulator, &jwt_name);
    assert!(
        jwt.len() == 48 && jwt.chars().all(|ch| ch.is_ascii_alphanumeric()),
        "the generated secret is not 48 letters and digits: {} characters",
        jwt.len()
    );
    let service = &outputs["service"]["value"];
    let jwt_arn = text(&service["generated_secret_arns"]["JWT_SECRET"]);
    c.check(jwt_arn.contains(&jwt_name), || {
        format!("generated_secret_arns names {jwt_arn:?}, not {jwt_name}")
    });
    let first_td = text(&service["task_definition_arn"]);
    let injected = |td: &str| {
        block_on(async {
            let td = emulator
                .ecs()
                .describe_task_definition()
                .task_definition(td)
                .send()
                .await
                .expect("DescribeTaskDefinition");
            let container = td
                .task_definition()
                .and_then(|t| t.container_definitions().first().cloned())
                .expect("a container");
            (
                container
                    .secrets()
                    .iter()
                    .find(|s| s.name() == "JWT_SECRET")
                    .map(|s| s.value_from().to_string()),
                container
                    .docker_labels()
                    .and_then(|l| l.get("platform.secret-generation.JWT_SECRET").cloned()),
            )
        })
    };
    c.eq(
        "JWT_SECRET injected from its secret",
        injected(&first_td),
        (Some(jwt_arn.clone()), None),
    );
    let execution_policy = block_on(async {
        let role = text(&service["execution_role_arn"]);
        let role = role.rsplit('/').next().unwrap_or_default().to_string();
        emulator
            .iam()
            .get_role_policy()
            .role_name(role)
            .policy_name("execution")
            .send()
            .await
            .expect("GetRolePolicy")
            .policy_document()
            .to_string()
    });
    c.check(
        percent_decode(&execution_policy).contains(&format!("secret:{jwt_name}-??????")),
        || format!("the execution role cannot read {jwt_name}: {execution_policy}"),
    );

    // regenerate_secrets: a new value and a new revision that carries its generation.
    ws.write_config(&secrets_config(&name, true));
    let plan = traced.plan();
    c.check(
        plan.stdout.contains("platform_service.api will be updated"),
        || {
            format!(
                "regenerate_secrets does not update the service:\n{}",
                plan.stdout
            )
        },
    );
    traced.apply();
    let regenerated = secret_string(&emulator, &jwt_name);
    c.check(regenerated != jwt && regenerated.len() == 48, || {
        "regenerate_secrets kept the old value".to_string()
    });
    let outputs: Value =
        serde_json::from_str(&traced.run(&["output", "-json", "-no-color"]).stdout)
            .expect("output JSON");
    let second_td = text(&outputs["service"]["value"]["task_definition_arn"]);
    c.check(second_td != first_td, || {
        format!("regenerate_secrets kept revision {first_td}")
    });
    c.eq(
        "the new revision",
        injected(&second_td),
        (Some(jwt_arn.clone()), Some("1".to_string())),
    );
    // Still listed: nothing more to do.
    let (changes, plan) = ws.plan();
    c.check(!changes, || {
        format!("a listed secret is regenerated again:\n{plan}")
    });

    traced.plan();
    traced.run(&["show", "-json", "-no-color"]);
    traced.run(&["show", "-no-color"]);
    traced.run(&["output", "-json", "-no-color"]);
    traced.run(&["output", "-no-color"]);
    for single in ["database", "cache", "db_connection_secret"] {
        traced.run(&["output", "-no-color", single]);
    }
    traced.run(&["state", "pull"]);
    let haystacks_before_destroy = traced.all_haystacks();
    traced.run(&["destroy", "-input=false", "-no-color", "-auto-approve"]);

    let secrets = [
        ("the database password", password.clone()),
        ("the rotated database password", rotated.clone()),
        ("the cache auth token", token.clone()),
        ("the generated secret", jwt.clone()),
        ("the regenerated secret", regenerated.clone()),
    ];
    let mut haystacks = traced.all_haystacks();
    // The state as it was before destroy emptied it.
    haystacks.extend(
        haystacks_before_destroy
            .into_iter()
            .filter(|(w, _)| w.contains("tfstate") || w.starts_with("private data"))
            .map(|(w, t)| (format!("{w} (before destroy)"), t)),
    );

    // Self-checks: each kind of haystack holds what it should, so an empty one cannot pass.
    let holds = |where_: &str, needle: &str| {
        haystacks
            .iter()
            .filter(|(w, _)| w.contains(where_))
            .any(|(_, t)| t.contains(needle))
    };
    let expected_content = vec![
        // The provider's own trace lines, from the steps that handle the values.
        (
            "trace log",
            "@module=platform.terraform_provider_platform.apply",
        ),
        ("trace log", "@module=platform.aws_sdk_ec2.operation"),
        ("trace log", "node=secretsmanager.secret/connection"),
        ("trace log", "node=secretsmanager.secret/auth_token"),
        (
            "trace log",
            "node=secretsmanager.secret/generated/JWT_SECRET",
        ),
        ("trace log", "node=elasticache.replication_group/main"),
        ("terraform.tfstate (before destroy)", db_secret.as_str()),
        ("private data", "secretsmanager.secret/connection"),
        ("output of `terraform plan", name.as_str()),
        ("output of `terraform apply", name.as_str()),
        ("output of `terraform show -json", db_secret.as_str()),
        ("output of `terraform output -json", cache_secret.as_str()),
    ];
    // The signer prints canonical requests at debug, and whole bodies with
    // LOG_SIGNABLE_BODY=true: the provider caps it at INFO, so none of it may appear.
    for (where_, text) in &haystacks {
        if where_.contains("trace log") {
            c.check(!text.contains("@module=platform.aws_sigv4"), || {
                format!("{where_} holds the request signer's debug lines")
            });
        }
    }
    for (where_, needle) in expected_content {
        c.check(holds(where_, needle), || {
            format!("self-check: no {where_} holds {needle:?}, so searching it proves nothing")
        });
    }

    let found = leaks(&haystacks, &secrets);
    // LEAK: any entry here is a secret value outside Secrets Manager; report it, do not relax.
    c.check(found.is_empty(), || {
        format!("SECRET VALUES LEAKED:\n  {}", found.join("\n  "))
    });
    for owner in [
        format!("environment/{name}"),
        format!("database/{name}/main"),
        format!("cache/{name}/main"),
        format!("service/{name}/api"),
    ] {
        let left = census(&emulator, &owner);
        c.check(left.is_empty(), || {
            format!("destroy left objects of {owner}: {left:?}")
        });
    }
    eprintln!(
        "secrets_never_leak ({tf:?}, {env:?}) searched {} haystacks ({} bytes) in {:?}",
        haystacks.len(),
        haystacks.iter().map(|(_, t)| t.len()).sum::<usize>(),
        started.elapsed()
    );
    c.finish();
}
