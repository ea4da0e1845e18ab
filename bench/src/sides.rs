//! The two sides of the comparison and what both need: a freshly reset emulator, a Terraform
//! workspace holding one side's configuration, timed Terraform runs through the proxy, and
//! what the state and the AWS API say was created.
//!
//! Side A is our provider, side B the same AWS objects as plain hashicorp/aws 3.39.0 resources,
//! carrying the same `platform:owner` tags so the harness's census counts both the same way.
//! Each [`Setup`] is one such pair of configurations: `bench/hcl/platform` and `bench/hcl/aws`
//! (an environment with ingress and routed services), `bench/hcl/platform-network` and
//! `bench/hcl/aws-network` (3 AZs, a NAT gateway per AZ, nothing else).

use std::collections::BTreeMap;
use std::path::PathBuf;

use acceptance_tests::{block_on, census, repo_root, Emulator, Tf, Workspace};
use serde_json::{json, Value};
use terraform_provider_platform::plan::graph::critical_path_len;
use terraform_provider_platform::plan::ledger::Ledger;

use crate::measure;
use crate::proxy::{Calls, Proxy};

/// Environment name on both sides (moto is reset between runs, so it never collides).
pub const NAME: &str = "bench";
/// Every service is routed by host `<service>.<DOMAIN>`, covered by one wildcard certificate.
pub const DOMAIN: &str = "bench.example";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Platform,
    Aws,
}

impl Side {
    pub fn label(self) -> &'static str {
        match self {
            Side::Platform => "platform (ours)",
            Side::Aws => "hashicorp/aws 3.39.0",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Side::Platform => "platform",
            Side::Aws => "hashicorp_aws",
        }
    }

    fn hcl(self, setup: Setup) -> PathBuf {
        let side = match self {
            Side::Platform => "platform",
            Side::Aws => "aws",
        };
        let dir = match setup {
            Setup::Routed => side.to_string(),
            Setup::Network => format!("{side}-network"),
        };
        repo_root().join("bench/hcl").join(dir).join("main.tf")
    }
}

/// Which pair of configurations a run applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setup {
    /// One dev environment with an imported certificate and routed services (`var.services`):
    /// `bench/hcl/platform`, `bench/hcl/aws`.
    Routed,
    /// One dev environment over 3 AZs with a NAT gateway per AZ, no ingress and no services:
    /// `bench/hcl/platform-network`, `bench/hcl/aws-network`.
    Network,
}

impl Setup {
    pub fn key(self) -> &'static str {
        match self {
            Setup::Routed => "routed",
            Setup::Network => "network",
        }
    }
}

pub fn tf_label(tf: Tf) -> &'static str {
    match tf {
        Tf::V1_0_3 => "1.0.3",
        Tf::V1_15_5 => "1.15.5",
    }
}

/// The filesystem mirror `.ci/install-tools.sh` fills with hashicorp/aws and hashicorp/null.
pub fn peer_mirror() -> PathBuf {
    repo_root().join(".tools/peer-mirror")
}

pub fn peer_binary(name: &str) -> PathBuf {
    let dir = peer_mirror().join("registry.terraform.io/hashicorp");
    match name {
        "aws" => dir.join("aws/3.39.0/linux_amd64/terraform-provider-aws_v3.39.0_x5"),
        _ => dir.join("null/2.1.2/linux_amd64/terraform-provider-null_v2.1.2_x4"),
    }
}

/// Wipes moto, warms the backends it builds lazily (the first EC2 calls in a region take
/// ~1 s each, IAM loads the managed policies) and imports a wildcard certificate for
/// [`DOMAIN`]. Calls go to moto directly, never through the proxy, so they are not counted.
pub fn fresh_emulator(emulator: &Emulator) -> String {
    emulator.reset();
    block_on(async {
        let ec2 = emulator.ec2();
        for _ in 0..2 {
            ec2.describe_vpcs()
                .send()
                .await
                .expect("warm-up DescribeVpcs");
        }
        ec2.describe_availability_zones()
            .send()
            .await
            .expect("warm-up DescribeAvailabilityZones");
        emulator
            .iam()
            .list_roles()
            .send()
            .await
            .expect("warm-up ListRoles");
        emulator
            .ecs()
            .list_clusters()
            .send()
            .await
            .expect("warm-up ListClusters");
        emulator
            .elbv2()
            .describe_load_balancers()
            .send()
            .await
            .expect("warm-up DescribeLoadBalancers");
        emulator
            .logs()
            .describe_log_groups()
            .send()
            .await
            .expect("warm-up DescribeLogGroups");
        emulator
            .rds()
            .describe_db_subnet_groups()
            .send()
            .await
            .expect("warm-up DescribeDBSubnetGroups");
        emulator
            .elasticache()
            .describe_cache_subnet_groups()
            .send()
            .await
            .expect("warm-up DescribeCacheSubnetGroups");
    });
    import_certificate(emulator)
}

fn import_certificate(emulator: &Emulator) -> String {
    let certified = rcgen::generate_simple_self_signed(vec![format!("*.{DOMAIN}")])
        .expect("self-signed certificate");
    block_on(async {
        emulator
            .acm()
            .import_certificate()
            .certificate(aws_sdk_acm::primitives::Blob::new(certified.cert.pem()))
            .private_key(aws_sdk_acm::primitives::Blob::new(
                certified.signing_key.serialize_pem(),
            ))
            .send()
            .await
            .expect("import certificate")
            .certificate_arn()
            .expect("certificate ARN")
            .to_string()
    })
}

/// Service names `svc01`, `svc02`, … (`api1`, `api2` for the two-service comparison).
pub fn service_names(prefix: &str, n: usize) -> Vec<String> {
    (1..=n)
        .map(|i| {
            if n > 9 {
                format!("{prefix}{i:02}")
            } else {
                format!("{prefix}{i}")
            }
        })
        .collect()
}

/// A workspace holding one side's configuration of `setup`; B's installs from the peer mirror.
pub fn workspace(side: Side, setup: Setup, tf: Tf, emulator: &Emulator) -> Workspace {
    let ws = Workspace::new(tf, emulator);
    std::fs::copy(side.hcl(setup), ws.dir.join("main.tf")).expect("copy the side's main.tf");
    if side == Side::Aws {
        use_peer_mirror(&ws);
    }
    ws
}

/// Points the workspace's CLI configuration at the peer mirror.
pub fn use_peer_mirror(ws: &Workspace) {
    std::fs::write(
        ws.dir.join("offline.tfrc"),
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/hashicorp/*\"]\n  }}\n}}\n",
            peer_mirror().display()
        ),
    )
    .expect("peer tfrc");
}

/// Writes `terraform.tfvars.json` (Terraform loads it by itself) with the variables `setup`'s
/// configurations declare: the network pair has no certificate, domain or services.
pub fn write_vars(
    ws: &Workspace,
    side: Side,
    setup: Setup,
    proxy: &Proxy,
    certificate: &str,
    services: &[String],
) {
    let mut vars = json!({ "name": NAME });
    if setup == Setup::Routed {
        vars["certificate_arn"] = json!(certificate);
        vars["domain"] = json!(DOMAIN);
        vars["services"] = json!(services);
    }
    if side == Side::Aws {
        vars["endpoint"] = json!(proxy.url());
    }
    std::fs::write(
        ws.dir.join("terraform.tfvars.json"),
        serde_json::to_string_pretty(&vars).expect("vars"),
    )
    .expect("terraform.tfvars.json");
}

/// One timed Terraform command and the AWS calls it made.
#[derive(Debug, Clone)]
pub struct Phase {
    pub name: String,
    pub seconds: f64,
    pub code: i32,
    pub calls: Calls,
    pub rss_kib: u64,
    /// The private part (`RssAnon`) at its own peak.
    pub private_kib: u64,
    pub provider_processes: usize,
    /// Terraform's stdout, for what a plan wants to change.
    pub stdout: String,
}

impl Phase {
    pub fn json(&self) -> Value {
        json!({
            "name": self.name,
            "seconds": round3(self.seconds),
            "exit_code": self.code,
            "calls": {
                "total": self.calls.total,
                "mutating": self.calls.mutating,
                "read": self.calls.read,
                "faults": self.calls.faults,
                "non_2xx": self.calls.errors.iter().map(|(k, n)| json!({"call": k, "count": n})).collect::<Vec<_>>(),
                "by_action": self.calls.by_action,
            },
            "provider_peak_rss_mib": round1(self.rss_kib as f64 / 1024.0),
            "provider_peak_private_mib": round1(self.private_kib as f64 / 1024.0),
            "provider_processes": self.provider_processes,
        })
    }
}

pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Runs Terraform with both providers' AWS traffic sent to `proxy`. Panics with Terraform's
/// output when the exit code is not one of `ok_codes`.
pub fn terraform(
    ws: &Workspace,
    proxy: &Proxy,
    name: &str,
    args: &[&str],
    ok_codes: &[i32],
) -> Phase {
    let mut command = ws.command(args);
    // Both providers run with their own retry defaults; ours reads the endpoint from here,
    // hashicorp/aws from its provider block.
    command
        .env("AWS_ENDPOINT_URL", proxy.url())
        .env_remove("AWS_MAX_ATTEMPTS");
    proxy.reset();
    let label = name.replace([' ', '/', '(', ')', '+'], "_");
    let timed = measure::run(command, &ws.dir, &label);
    let calls = proxy.calls();
    assert!(
        ok_codes.contains(&timed.code),
        "terraform {} ({name}, {:?}) exited {}:\n{}\n{}",
        args.join(" "),
        ws.tf,
        timed.code,
        tail(&timed.stdout, 60),
        tail(&timed.stderr, 60)
    );
    let phase = Phase {
        name: name.to_string(),
        seconds: timed.seconds,
        code: timed.code,
        calls,
        rss_kib: timed.provider_peak_rss_kib,
        private_kib: timed.provider_peak_private_kib,
        provider_processes: timed.provider_processes,
        stdout: timed.stdout,
    };
    eprintln!(
        "  {:<28} {:>8.2} s  exit {}  calls {:>4} ({} mutating, {} read)  provider RSS {:.0} MiB (private {:.0})",
        name,
        phase.seconds,
        phase.code,
        phase.calls.total,
        phase.calls.mutating,
        phase.calls.read,
        phase.rss_kib as f64 / 1024.0,
        phase.private_kib as f64 / 1024.0
    );
    phase
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Addresses a plan would change, from Terraform's human output.
pub fn planned_changes(phase_stdout: &str) -> Vec<String> {
    phase_stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix("# "))
        .filter(|l| {
            l.contains(" will be ")
                || l.contains(" must be replaced")
                || l.contains(" will be read")
        })
        .map(str::to_string)
        .collect()
}

pub fn state(ws: &Workspace) -> Value {
    let text =
        std::fs::read_to_string(ws.dir.join("terraform.tfstate")).expect("terraform.tfstate");
    serde_json::from_str(&text).expect("state JSON")
}

fn managed(state: &Value) -> impl Iterator<Item = &Value> {
    state["resources"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|r| r["mode"] == "managed")
}

/// What each side's state lists, in one vocabulary: for A the children in every resource's
/// `resources` attribute by node-key kind, for B the resource instances by type, both named by
/// the hashicorp/aws type.
pub fn kinds(side: Side, state: &Value) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for resource in managed(state) {
        for instance in resource["instances"].as_array().into_iter().flatten() {
            match side {
                Side::Platform => {
                    let children = instance["attributes"]["resources"].as_object();
                    for key in children.into_iter().flat_map(|m| m.keys()) {
                        let prefix = key.split('/').next().unwrap_or_default();
                        *out.entry(aws_type(prefix).to_string()).or_insert(0) += 1;
                    }
                }
                Side::Aws => {
                    let ty = resource["type"].as_str().unwrap_or_default().to_string();
                    *out.entry(ty).or_insert(0) += 1;
                }
            }
        }
    }
    out
}

/// hashicorp/aws's resource type for one of our node-key kinds.
fn aws_type(prefix: &str) -> &str {
    const TYPES: &[(&str, &str)] = &[
        ("ec2.vpc", "aws_vpc"),
        ("ec2.subnet", "aws_subnet"),
        ("ec2.internet_gateway", "aws_internet_gateway"),
        ("ec2.eip", "aws_eip"),
        ("ec2.nat_gateway", "aws_nat_gateway"),
        ("ec2.route_table", "aws_route_table"),
        ("ec2.route", "aws_route"),
        ("ec2.route_table_association", "aws_route_table_association"),
        ("ec2.security_group", "aws_security_group"),
        ("ec2.security_group_rule", "aws_security_group_rule"),
        ("ec2.vpc_endpoint", "aws_vpc_endpoint"),
        ("ec2.flow_log", "aws_flow_log"),
        ("logs.log_group", "aws_cloudwatch_log_group"),
        ("iam.role", "aws_iam_role"),
        ("ecs.cluster", "aws_ecs_cluster"),
        ("rds.db_subnet_group", "aws_db_subnet_group"),
        ("elasticache.subnet_group", "aws_elasticache_subnet_group"),
        ("elbv2.load_balancer", "aws_lb"),
        ("elbv2.listener", "aws_lb_listener"),
        ("acm.certificate", "aws_acm_certificate"),
        ("ecs.task_definition", "aws_ecs_task_definition"),
        ("ecs.service", "aws_ecs_service"),
        ("elbv2.target_group", "aws_lb_target_group"),
        ("elbv2.listener_rule", "aws_lb_listener_rule"),
        ("autoscaling.scalable_target", "aws_appautoscaling_target"),
        ("autoscaling.scaling_policy", "aws_appautoscaling_policy"),
        ("secretsmanager.secret", "aws_secretsmanager_secret"),
    ];
    TYPES
        .iter()
        .find(|(p, _)| *p == prefix)
        .map(|(_, t)| *t)
        .unwrap_or(prefix)
}

/// The longest chain of steps that must run one after another. For A: the environment's
/// dependency levels plus the deepest service's (services start once the environment is
/// done, and run side by side). For B: the longest chain of Terraform resources.
pub fn critical_path(side: Side, state: &Value) -> usize {
    match side {
        Side::Platform => {
            let mut environment = 0;
            let mut service = 0;
            for resource in managed(state) {
                for instance in resource["instances"].as_array().into_iter().flatten() {
                    let private = instance["private"].as_str().unwrap_or_default();
                    let bytes =
                        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, private)
                            .unwrap_or_default();
                    let Ok(Some(ledger)) = Ledger::from_private(&bytes) else {
                        continue;
                    };
                    let levels = critical_path_len(&ledger).expect("recorded graph has no cycle");
                    if resource["type"] == "platform_environment" {
                        environment = environment.max(levels);
                    } else {
                        service = service.max(levels);
                    }
                }
            }
            environment + service
        }
        Side::Aws => {
            let mut deps: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for resource in managed(state) {
                let address = format!(
                    "{}.{}",
                    resource["type"].as_str().unwrap_or_default(),
                    resource["name"].as_str().unwrap_or_default()
                );
                let entry = deps.entry(address).or_default();
                for instance in resource["instances"].as_array().into_iter().flatten() {
                    for d in instance["dependencies"].as_array().into_iter().flatten() {
                        let d = d.as_str().unwrap_or_default().to_string();
                        if !d.starts_with("data.") && !entry.contains(&d) {
                            entry.push(d);
                        }
                    }
                }
            }
            let mut memo = BTreeMap::new();
            deps.keys()
                .map(|a| depth(a, &deps, &mut memo))
                .max()
                .unwrap_or(0)
        }
    }
}

fn depth(
    address: &str,
    deps: &BTreeMap<String, Vec<String>>,
    memo: &mut BTreeMap<String, usize>,
) -> usize {
    if let Some(d) = memo.get(address) {
        return *d;
    }
    // Insert first so a (never expected) cycle ends instead of recursing forever.
    memo.insert(address.to_string(), 1);
    let below = deps
        .get(address)
        .map(|ds| ds.iter().map(|d| depth(d, deps, memo)).max().unwrap_or(0))
        .unwrap_or(0);
    memo.insert(address.to_string(), below + 1);
    below + 1
}

/// Owner tags of the environment and its services.
pub fn owners(services: &[String]) -> Vec<String> {
    let mut out = vec![format!("environment/{NAME}")];
    out.extend(services.iter().map(|s| format!("service/{NAME}/{s}")));
    out
}

/// Live tagged objects by kind, summed over `owners`, straight from moto.
pub fn tagged(emulator: &Emulator, owners: &[String]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for owner in owners {
        for (kind, n) in census(emulator, owner) {
            *out.entry(kind).or_insert(0) += n;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terraform_chain_depth() {
        let state = json!({"resources": [
            {"mode": "managed", "type": "aws_vpc", "name": "main", "instances": [{"dependencies": []}]},
            {"mode": "managed", "type": "aws_subnet", "name": "this",
             "instances": [{"dependencies": ["aws_vpc.main", "data.aws_availability_zones.available"]}]},
            {"mode": "managed", "type": "aws_lb", "name": "main",
             "instances": [{"dependencies": ["aws_subnet.this", "aws_vpc.main"]}]},
            {"mode": "data", "type": "aws_availability_zones", "name": "available", "instances": [{}]},
        ]});
        assert_eq!(critical_path(Side::Aws, &state), 3);
    }

    #[test]
    fn planned_changes_lists_addresses() {
        let out = "  # aws_subnet.this[\"a\"] will be updated in-place\n  ~ resource\n  # (3 unchanged)\n";
        assert_eq!(
            planned_changes(out),
            vec!["aws_subnet.this[\"a\"] will be updated in-place"]
        );
    }
}
