//! Fault injection, on Terraform 1.0.3 and 1.15.5 against moto behind `scripts/aws-proxy.py`:
//!
//! 1. 10 % of AWS calls fail (throttling, 500, 503, dropped connections) while an environment
//!    with one routed service is applied, planned and destroyed with the provider's own retries
//!    (no `AWS_MAX_ATTEMPTS=1`). One apply must converge, without duplicates.
//! 2. The provider process is SIGKILLed several times during apply and during destroy (with
//!    10 ms of latency per call, so the kills land mid-run). Re-runs must converge to exactly
//!    the objects of a clean apply, and destroy must leave nothing.
//!
//! Objects are counted through the AWS API directly against moto (never through the proxy),
//! by ownership tag. Faulted calls never reach moto (the proxy answers instead), so every
//! object moto holds was really requested.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use acceptance_tests::{
    block_on, census, flat, tools_ready, unique, Checks, Emulator, Proxy, Run, Tf, Workspace,
};
use serde_json::Value;

#[test]
fn terraform_1_0_3() {
    if tools_ready() {
        faults_and_kills(Tf::V1_0_3, 103);
    }
}

#[test]
fn terraform_1_15_5() {
    if tools_ready() {
        faults_and_kills(Tf::V1_15_5, 1155);
    }
}

const HOST: &str = "app.example.test";
const SERVICE: &str = "platform_service.api";
const FAULT_KINDS: [&str; 4] = ["throttle", "500", "503", "drop"];
const KILLS: usize = 3;

/// What a clean apply of [`config`] leaves, per owner.
fn expected(name: &str) -> Vec<(String, BTreeMap<String, usize>)> {
    vec![
        (
            format!("environment/{name}"),
            counts(&[
                ("addresses", 1),
                ("cache_subnet_groups", 1),
                ("db_subnet_groups", 1),
                ("ecs_clusters", 1),
                ("internet_gateways", 1),
                ("load_balancers", 1),
                ("log_groups", 1),
                ("nat_gateways", 1),
                ("route_tables", 4),
                ("schedule_groups", 1),
                ("security_groups", 3),
                ("subnets", 6),
                ("vpc_endpoints", 2),
                ("vpcs", 1),
            ]),
        ),
        (
            format!("service/{name}/api"),
            counts(&[
                ("ecs_services", 1),
                ("iam_roles", 2),
                ("listener_rules", 1),
                ("log_groups", 1),
                ("security_groups", 1),
                ("target_groups", 1),
                ("task_definitions", 1),
            ]),
        ),
    ]
}

fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect()
}

/// A dev environment with the shared load balancer and one routed service. Against moto no
/// ECS task ever runs, so the service does not wait for its deployment.
fn config(name: &str, certificate: &str) -> String {
    format!(
        r#"
resource "platform_environment" "main" {{
  name = "{name}"
  tier = "dev"
  ingress {{
    certificate_arn = "{certificate}"
  }}
}}

resource "platform_service" "api" {{
  environment_id = platform_environment.main.id
  name           = "api"
  image          = "public.ecr.aws/nginx/nginx:1.27"
  routing {{
    hosts = ["{HOST}"]
  }}
  deployment {{
    wait = false
  }}
}}
"#
    )
}

fn faults_and_kills(tf: Tf, seed: u64) {
    let started = Instant::now();
    let emulator = Emulator::start();
    let certificate = import_certificate(&emulator);
    let mut checks = Checks::new(tf);
    faults_at_ten_percent(tf, seed, &emulator, &certificate, &mut checks);
    eprintln!("[{tf:?}] faults part done after {:?}", started.elapsed());
    provider_killed(tf, seed, &emulator, &certificate, &mut checks);
    eprintln!("[{tf:?}] total {:?}", started.elapsed());
    checks.finish();
}

// ---------------------------------------------------------------------------------------------
// Part 1: 10 % faults
// ---------------------------------------------------------------------------------------------

fn faults_at_ten_percent(
    tf: Tf,
    seed: u64,
    emulator: &Emulator,
    certificate: &str,
    c: &mut Checks,
) {
    let seed = seed.to_string();
    let proxy = Proxy::start(
        emulator,
        &[
            "--fault-rate",
            "0.1",
            "--faults",
            &FAULT_KINDS.join(","),
            "--seed",
            &seed,
        ],
    );
    let ws = Workspace::with_endpoint(tf, &proxy.endpoint()).sdk_default_retries();
    let name = unique("flt-");
    ws.write_config(&config(&name, certificate));
    ws.init();

    let t = Instant::now();
    ws.apply();
    eprintln!("[{tf:?}] apply under faults: {:?}", t.elapsed());
    let calls = proxy.calls();
    let faults = fault_counts(&calls);
    eprintln!(
        "[{tf:?}] apply: {} calls ({} mutating), faults {faults:?}, faulted mutating calls {}",
        calls.len(),
        calls.iter().filter(|c| c["mutating"] == true).count(),
        calls
            .iter()
            .filter(|c| c["mutating"] == true && !c["fault"].is_null())
            .count()
    );
    for kind in FAULT_KINDS {
        c.check(faults.get(kind).copied().unwrap_or(0) > 0, || {
            format!("apply: no `{kind}` fault was injected ({faults:?}): the test proved nothing")
        });
    }
    check_census(emulator, &name, c, "after the apply under faults");
    converge_plan(&ws, c, "after the apply under faults");

    let before = proxy.calls().len();
    let t = Instant::now();
    let run = ws.run(&["destroy", "-input=false", "-no-color", "-auto-approve"]);
    eprintln!("[{tf:?}] destroy under faults: {:?}", t.elapsed());
    c.check(run.code == 0, || {
        format!("destroy under faults failed:\n{}", flat(&run))
    });
    let destroy_faults = fault_counts(&proxy.calls()[before..]);
    eprintln!("[{tf:?}] destroy: faults {destroy_faults:?}");
    check_empty(emulator, &name, c, "after the destroy under faults");
    let total = fault_counts(&proxy.calls());
    eprintln!("[{tf:?}] faults over the whole part: {total:?}");
}

fn fault_counts(calls: &[Value]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for kind in calls.iter().filter_map(|c| c["fault"].as_str()) {
        *out.entry(kind.to_string()).or_insert(0) += 1;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Part 2: the provider killed during apply and destroy
// ---------------------------------------------------------------------------------------------

fn provider_killed(tf: Tf, seed: u64, emulator: &Emulator, certificate: &str, c: &mut Checks) {
    let proxy = Proxy::start(emulator, &["--latency-ms", "10"]);
    let ws = Workspace::with_endpoint(tf, &proxy.endpoint()).sdk_default_retries();
    let name = unique("kil-");
    ws.write_config(&config(&name, certificate));
    ws.init();
    let mut rng = SplitMix(seed);
    let mut kills = Kills {
        ws: &ws,
        proxy: &proxy,
        emulator,
        name: &name,
        target_environment: false,
    };

    // A clean apply makes ~70 mutating calls and a destroy ~60: kills after 5–20 (apply) and
    // 3–15 (destroy) mutating calls of each run leave work for all three.
    let apply = ["apply", "-input=false", "-no-color", "-auto-approve"];
    for i in 1..=KILLS {
        kills.run_and_kill(c, &apply, 5 + rng.below(16), &format!("apply kill {i}"));
    }
    let t = Instant::now();
    let run = kills.run_to_end(c, &apply, "apply after the kills");
    eprintln!("[{tf:?}] apply after the kills: {:?}", t.elapsed());
    assert_eq!(
        run.code,
        0,
        "apply after {KILLS} killed applies failed ({tf:?}):\n{}",
        flat(&run)
    );
    check_census(
        emulator,
        &name,
        c,
        "after the apply that followed the kills",
    );
    converge_plan(&ws, c, "after the apply that followed the kills");

    kills.target_environment = false;
    let destroy = ["destroy", "-input=false", "-no-color", "-auto-approve"];
    for i in 1..=KILLS {
        kills.run_and_kill(c, &destroy, 3 + rng.below(13), &format!("destroy kill {i}"));
    }
    let t = Instant::now();
    let run = kills.run_to_end(c, &destroy, "destroy after the kills");
    eprintln!("[{tf:?}] destroy after the kills: {:?}", t.elapsed());
    c.check(run.code == 0, || {
        format!(
            "destroy after {KILLS} killed destroys failed:\n{}",
            flat(&run)
        )
    });
    check_empty(
        emulator,
        &name,
        c,
        "after the destroy that followed the kills",
    );
}

/// Killed runs of one workspace, and the workaround for the known failure below.
struct Kills<'a> {
    ws: &'a Workspace,
    proxy: &'a Proxy,
    emulator: &'a Emulator,
    name: &'a str,
    /// Set once a run hit [`is_half_built_environment_refused`]: from then on the environment
    /// is targeted first (`-target`), as a user would, so the remaining checks still run.
    target_environment: bool,
}

impl Kills<'_> {
    fn run_and_kill(&mut self, c: &mut Checks, args: &[&str], after: u64, what: &str) {
        let run = |target: bool| {
            let mut args = args.to_vec();
            if target {
                args.push(TARGET_ENVIRONMENT);
            }
            run_killing_provider(self.ws, self.proxy, &args, after)
        };
        let (mut result, mut killed) = run(self.target_environment);
        if killed.is_none()
            && !self.target_environment
            && is_half_built_environment_refused(&result)
        {
            report_half_built_environment(c, what, &result);
            self.target_environment = true;
            (result, killed) = run(true);
        }
        record_kill(self.emulator, self.name, c, what, &result, killed);
    }

    /// Runs `args` without a kill; with the workaround, the targeted run first.
    fn run_to_end(&mut self, c: &mut Checks, args: &[&str], what: &str) -> Run {
        let run = self.ws.run(args);
        if !self.target_environment && is_half_built_environment_refused(&run) {
            report_half_built_environment(c, what, &run);
            self.target_environment = true;
        }
        if !self.target_environment {
            return run;
        }
        let mut targeted = args.to_vec();
        targeted.push(TARGET_ENVIRONMENT);
        let targeted_run = self.ws.run(&targeted);
        c.check(targeted_run.code == 0, || {
            format!(
                "{what} with {TARGET_ENVIRONMENT} failed:\n{}",
                flat(&targeted_run)
            )
        });
        self.ws.run(args)
    }
}

const TARGET_ENVIRONMENT: &str = "-target=platform_environment.main";

/// The plan of the service fails while its environment is half built or half deleted:
/// - killed during the environment's create, the environment is not in state, so Terraform
///   plans to create it again; its `id` (the name) is known at plan time, and the service's
///   plan-time lookup finds the half-built environment in AWS without its HTTPS listener;
/// - killed during the environment's delete (the service already destroyed), `destroy` plans
///   the configuration first, and the same lookup finds the listener already deleted.
fn is_half_built_environment_refused(run: &Run) -> bool {
    run.code != 0 && flat(run).contains("Environment has no ingress")
}

fn report_half_built_environment(c: &mut Checks, what: &str, run: &Run) {
    c.check(false, || {
        format!(
            "{what}: with the environment half built or half deleted by a killed run, planning the service fails (a user can only go on with {TARGET_ENVIRONMENT}): {}",
            flat(run)
        )
    });
}

/// When and what a kill hit.
struct Kill {
    after: Duration,
    mutating_calls: u64,
    pids: Vec<u32>,
}

/// Runs Terraform and SIGKILLs its provider processes once the proxy has seen
/// `after_mutating` mutating calls of this run. `None` if the run ended first.
fn run_killing_provider(
    ws: &Workspace,
    proxy: &Proxy,
    args: &[&str],
    after_mutating: u64,
) -> (Run, Option<Kill>) {
    proxy.reset_stats();
    let started = Instant::now();
    let mut child = ws
        .command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start terraform");
    let stdout = drain(child.stdout.take().expect("stdout"));
    let stderr = drain(child.stderr.take().expect("stderr"));
    let mut killed = None;
    while started.elapsed() < Duration::from_secs(300) {
        if child.try_wait().expect("terraform status").is_some() {
            break;
        }
        let mutating = proxy.stats()["mutating"].as_u64().unwrap_or(0);
        if mutating >= after_mutating {
            let pids = provider_children(&child);
            if !pids.is_empty() {
                for pid in &pids {
                    let _ = std::process::Command::new("kill")
                        .args(["-KILL", &pid.to_string()])
                        .status();
                }
                killed = Some(Kill {
                    after: started.elapsed(),
                    mutating_calls: mutating,
                    pids,
                });
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let status = child.wait().expect("terraform exit");
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().expect("stdout thread"),
        stderr: stderr.join().expect("stderr thread"),
    };
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(ws.dir.join("terraform.log"))
        .expect("terraform.log");
    let _ = write!(
        log,
        "$ terraform {} (provider killed after {after_mutating} mutating calls)\nexit {}\n{}\n{}\n",
        args.join(" "),
        run.code,
        run.stdout,
        run.stderr
    );
    (run, killed)
}

fn drain<R: Read + Send + 'static>(mut pipe: R) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = pipe.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    })
}

/// PIDs of the `terraform-provider-platform*` processes below `terraform` (Terraform 1.0.3
/// re-executes itself under panicwrap, so the provider is a grandchild there).
fn provider_children(terraform: &Child) -> Vec<u32> {
    // pid → (parent, executable file name) for every process we may read.
    let mut processes = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        // `pid (comm) state ppid …`; comm may hold spaces, so split after the last `)`.
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Some(ppid) = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let exe = std::fs::read_link(entry.path().join("exe"))
            .ok()
            .and_then(|exe| exe.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default();
        processes.push((pid, ppid, exe));
    }
    let mut below = vec![terraform.id()];
    let mut i = 0;
    while i < below.len() {
        let parent = below[i];
        below.extend(processes.iter().filter(|p| p.1 == parent).map(|p| p.0));
        i += 1;
    }
    processes
        .iter()
        .filter(|(pid, _, exe)| {
            below.contains(pid) && exe.starts_with("terraform-provider-platform")
        })
        .map(|(pid, _, _)| *pid)
        .collect()
}

/// Checks that the run was really interrupted, and records what the kill left.
fn record_kill(
    emulator: &Emulator,
    name: &str,
    c: &mut Checks,
    what: &str,
    run: &Run,
    killed: Option<Kill>,
) {
    let left: Vec<_> = expected(name)
        .into_iter()
        .map(|(owner, _)| {
            let found = census(emulator, &owner);
            (owner, found)
        })
        .collect();
    match killed {
        Some(kill) => {
            eprintln!(
                "[{}] {what}: killed {:?} after {:?} and {} mutating calls; exit {}; census {left:?}",
                c.label(), kill.pids, kill.after, kill.mutating_calls, run.code
            );
            c.check(run.code != 0, || {
                format!("{what}: Terraform reported success although its provider was killed")
            });
        }
        None => c.check(false, || {
            format!(
                "{what}: the run ended (exit {}) before the provider could be killed, census {left:?}:\n{}",
                run.code,
                flat(run)
            )
        }),
    }
    // Whatever a kill interrupts, no kind may ever exceed a clean apply's count.
    for ((owner, found), (_, clean)) in left.iter().zip(expected(name)) {
        for (kind, n) in found {
            let limit = clean.get(kind).copied().unwrap_or(0);
            c.check(*n <= limit, || {
                format!("{what}: {owner} has {n} {kind}, a clean apply makes {limit}: {found:?}")
            });
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Shared checks
// ---------------------------------------------------------------------------------------------

fn check_census(emulator: &Emulator, name: &str, c: &mut Checks, when: &str) {
    for (owner, clean) in expected(name) {
        let found = census(emulator, &owner);
        eprintln!("[{}] census {when}: {owner} {found:?}", c.label());
        let same = found == clean;
        c.check(same, || {
            format!("{when}: {owner} has {found:?}, a clean apply makes {clean:?}")
        });
    }
}

fn check_empty(emulator: &Emulator, name: &str, c: &mut Checks, when: &str) {
    for (owner, _) in expected(name) {
        let left = census(emulator, &owner);
        c.check(left.is_empty(), || {
            format!("{when}: {owner} still has {left:?}")
        });
    }
}

/// The next plan must be empty, except for moto's known CreateService gap: moto drops
/// deploymentConfiguration, healthCheckGracePeriodSeconds, enableExecuteCommand and the
/// capacity strategy on create (only UpdateService stores them; docs/design/emulator.md, "ECS
/// services"), so the first refresh may report exactly that drift on the service. Then one more
/// apply must make the plan empty.
fn converge_plan(ws: &Workspace, c: &mut Checks, when: &str) {
    let started = Instant::now();
    let (changes, plan) = ws.plan();
    if !changes {
        return;
    }
    let changing: Vec<&str> = plan
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with("# ") && (l.contains(" will be ") || l.contains(" must be ")))
        .collect();
    let only_moto_gap = changing.len() == 1
        && changing[0].contains(SERVICE)
        && changing[0].contains("updated in-place")
        && plan.contains("changed outside Terraform")
        && plan.contains("ecs.service/service:");
    c.check(only_moto_gap, || {
        format!("{when}: the plan changes more than moto's CreateService gap:\n{plan}")
    });
    let run = ws.run(&["apply", "-input=false", "-no-color", "-auto-approve"]);
    c.check(run.code == 0, || {
        format!(
            "{when}: the apply for moto's CreateService gap failed:\n{}",
            flat(&run)
        )
    });
    let (changes, plan) = ws.plan();
    c.check(!changes, || {
        format!("{when}: expected an empty plan, got:\n{plan}")
    });
    eprintln!(
        "[{}] plan, apply (moto's CreateService gap), plan {when}: {:?}",
        c.label(),
        started.elapsed()
    );
}

/// A self-signed certificate for [`HOST`], imported into ACM directly (not through a proxy).
fn import_certificate(emulator: &Emulator) -> String {
    let certified =
        rcgen::generate_simple_self_signed(vec![HOST.to_string()]).expect("certificate");
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

/// A small seeded generator (splitmix64), so kill points repeat from run to run.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
