//! The benchmark's five sections: peer comparison, network, protocol overhead, scale and the
//! latency model. Each returns plain figures; `report` turns them into tables and JSON.

use std::collections::BTreeMap;
use std::path::Path;

use acceptance_tests::{Emulator, Tf, Workspace};

use crate::measure;
use crate::proxy::Proxy;
use crate::sides::{self, Phase, Setup, Side};

/// One side's full cycle in the peer comparison or the network section.
pub struct SideRun {
    pub side: Side,
    pub setup: Setup,
    pub tf: Tf,
    pub phases: Vec<Phase>,
    /// Children (A) or resource instances (B) by hashicorp/aws type, from the state.
    pub kinds: BTreeMap<String, usize>,
    /// Live objects carrying the side's `platform:owner` tags, by census kind, from moto.
    pub tagged: BTreeMap<String, usize>,
    pub critical_path: usize,
    /// What the first plan after apply wanted to change (moto drops some settings on create).
    pub first_plan_changes: Vec<String>,
    pub noop_plan_exit: i32,
    /// Tagged objects left after destroy.
    pub leftover: BTreeMap<String, usize>,
}

impl SideRun {
    pub fn phase(&self, name: &str) -> Option<&Phase> {
        self.phases.iter().find(|p| p.name == name)
    }
}

const PLAN_OUT: &[&str] = &["plan", "-input=false", "-no-color", "-out=bench.tfplan"];
const APPLY_SAVED: &[&str] = &["apply", "-input=false", "-no-color", "bench.tfplan"];
const APPLY: &[&str] = &["apply", "-input=false", "-no-color", "-auto-approve"];
const PLAN_EXIT: &[&str] = &["plan", "-input=false", "-no-color", "-detailed-exitcode"];
const INIT: &[&str] = &["init", "-input=false", "-no-color"];

/// init, plan, apply (of the saved plan), a plan that may show moto's drift (then one more
/// apply settles it), the no-op plan, destroy; the censuses in between. `services` are the
/// routed services of [`Setup::Routed`]; the network setup has none.
pub fn peer_cycle(
    side: Side,
    setup: Setup,
    tf: Tf,
    emulator: &Emulator,
    proxy: &Proxy,
    services: &[String],
) -> SideRun {
    eprintln!(
        "{} on Terraform {} ({setup:?})",
        side.label(),
        sides::tf_label(tf)
    );
    let certificate = sides::fresh_emulator(emulator);
    let ws = sides::workspace(side, setup, tf, emulator);
    sides::write_vars(&ws, side, setup, proxy, &certificate, services);
    let mut phases = vec![sides::terraform(&ws, proxy, "init", INIT, &[0])];
    phases.push(sides::terraform(&ws, proxy, "plan", PLAN_OUT, &[0]));
    phases.push(sides::terraform(&ws, proxy, "apply", APPLY_SAVED, &[0]));
    let owners = sides::owners(services);
    let tagged = sides::tagged(emulator, &owners);
    let state = sides::state(&ws);
    let kinds = sides::kinds(side, &state);
    let critical_path = sides::critical_path(side, &state);
    let first = sides::terraform(&ws, proxy, "plan after apply", PLAN_EXIT, &[0, 2]);
    let first_plan_changes = if first.code == 2 {
        sides::planned_changes(&first.stdout)
    } else {
        Vec::new()
    };
    let drifted = first.code == 2;
    phases.push(first);
    if drifted {
        phases.push(sides::terraform(&ws, proxy, "settle apply", APPLY, &[0]));
    }
    let noop = sides::terraform(&ws, proxy, "no-op plan", PLAN_EXIT, &[0, 2]);
    let noop_plan_exit = noop.code;
    phases.push(noop);
    phases.push(sides::terraform(
        &ws,
        proxy,
        "destroy",
        &["destroy", "-input=false", "-no-color", "-auto-approve"],
        &[0],
    ));
    let leftover = sides::tagged(emulator, &owners);
    SideRun {
        side,
        setup,
        tf,
        phases,
        kinds,
        tagged,
        critical_path,
        first_plan_changes,
        noop_plan_exit,
        leftover,
    }
}

/// Samples (milliseconds) per subject.
pub type Samples = Vec<(String, Vec<f64>)>;

pub struct Protocol {
    pub handshake: Samples,
    pub schema: Samples,
}

/// Exec-to-handshake for each provider binary, and `terraform providers schema -json` with our
/// provider, hashicorp/null 2.1.2, hashicorp/aws 3.39.0 and no provider at all.
pub fn protocol(emulator: &Emulator, provider: &Path, repeat: usize) -> Protocol {
    eprintln!("protocol overhead ({repeat} samples each)");
    let client = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
        .expect("client certificate");
    let pem = client.cert.pem();
    let binaries = [
        ("platform (ours), protocol 6", provider.to_path_buf(), 6),
        (
            "hashicorp/aws 3.39.0, protocol 5",
            sides::peer_binary("aws"),
            5,
        ),
        (
            "hashicorp/null 2.1.2, protocol 5",
            sides::peer_binary("null"),
            5,
        ),
    ];
    let mut handshake = Vec::new();
    for (label, binary, protocol) in binaries {
        // One unmeasured start puts the binary in the page cache.
        measure::handshake_ms(&binary, protocol, &pem);
        let samples: Vec<f64> = (0..repeat)
            .map(|_| measure::handshake_ms(&binary, protocol, &pem))
            .collect();
        eprintln!(
            "  handshake {label:<34} median {:.1} ms",
            measure::spread(&samples).0
        );
        handshake.push((label.to_string(), samples));
    }

    let configs = [
        ("no provider (floor)", None),
        (
            "platform (ours)",
            Some("platform = { source = \"example.local/acme/platform\", version = \"0.1.0\" }"),
        ),
        (
            "hashicorp/null 2.1.2",
            Some("null = { source = \"hashicorp/null\", version = \"2.1.2\" }"),
        ),
        (
            "hashicorp/aws 3.39.0",
            Some("aws = { source = \"hashicorp/aws\", version = \"3.39.0\" }"),
        ),
    ];
    let mut schema = Vec::new();
    for (label, requirement) in configs {
        let ws = Workspace::new(Tf::V1_0_3, emulator);
        let body = match requirement {
            Some(r) => format!("terraform {{\n  required_providers {{\n    {r}\n  }}\n}}\n"),
            None => String::new(),
        };
        std::fs::write(ws.dir.join("main.tf"), body).expect("main.tf");
        if label.starts_with("hashicorp/") {
            sides::use_peer_mirror(&ws);
        }
        let init = measure::run(ws.command(INIT), &ws.dir, "init");
        assert_eq!(
            init.code, 0,
            "init for {label}:\n{}\n{}",
            init.stdout, init.stderr
        );
        let args = ["providers", "schema", "-json"];
        measure::run(ws.command(&args), &ws.dir, "schema-warm");
        let samples: Vec<f64> = (0..repeat)
            .map(|i| {
                let run = measure::run(ws.command(&args), &ws.dir, &format!("schema-{i}"));
                assert_eq!(run.code, 0, "schema for {label}: {}", run.stderr);
                run.seconds * 1000.0
            })
            .collect();
        eprintln!(
            "  schema -json {label:<31} median {:.0} ms",
            measure::spread(&samples).0
        );
        schema.push((label.to_string(), samples));
    }
    Protocol { handshake, schema }
}

pub struct ScaleRow {
    pub services: usize,
    pub children: usize,
    pub apply: Phase,
    pub plan: Phase,
    pub plan_no_refresh: Phase,
    pub refresh: Phase,
    /// Resources the plan would update (moto's drift on services created in this step).
    pub plan_changes: usize,
}

/// One environment grown to each service count in turn (ours, Terraform 1.0.3): the growing
/// apply, then plan, plan without refresh and refresh of the whole configuration.
/// `ScaleRow::plan_changes` counts the services whose moto drift the plan shows.
pub fn scale(emulator: &Emulator, proxy: &Proxy, counts: &[usize]) -> Vec<ScaleRow> {
    let largest = counts.iter().copied().max().unwrap_or(1);
    let names = sides::service_names("svc", largest);
    let certificate = sides::fresh_emulator(emulator);
    let ws = sides::workspace(Side::Platform, Setup::Routed, Tf::V1_0_3, emulator);
    sides::terraform(&ws, proxy, "init", INIT, &[0]);
    let mut rows = Vec::new();
    for &n in counts {
        eprintln!("scale: {n} services");
        sides::write_vars(
            &ws,
            Side::Platform,
            Setup::Routed,
            proxy,
            &certificate,
            &names[..n],
        );
        let apply = sides::terraform(&ws, proxy, &format!("apply to {n}"), APPLY, &[0]);
        // No settling apply (it would cost more than the plan): the plan below still shows
        // moto's drift on the services this step created, and reads exactly what a no-op plan
        // reads.
        let plan = sides::terraform(&ws, proxy, "plan", PLAN_EXIT, &[0, 2]);
        let plan_no_refresh = sides::terraform(
            &ws,
            proxy,
            "plan -refresh=false",
            &[
                "plan",
                "-input=false",
                "-no-color",
                "-refresh=false",
                "-detailed-exitcode",
            ],
            &[0, 2],
        );
        let refresh = sides::terraform(
            &ws,
            proxy,
            "refresh",
            &["refresh", "-input=false", "-no-color"],
            &[0],
        );
        let children = sides::kinds(Side::Platform, &sides::state(&ws))
            .values()
            .sum();
        let plan_changes = sides::planned_changes(&plan.stdout).len();
        rows.push(ScaleRow {
            services: n,
            children,
            plan_changes,
            apply,
            plan,
            plan_no_refresh,
            refresh,
        });
    }
    // Nothing measured depends on destroy here: the next section resets moto.
    rows
}

pub struct LatencyRun {
    pub side: Side,
    pub apply: Phase,
    pub critical_path: usize,
}

/// The two-service apply of each side through a proxy adding `latency_ms` to every call.
pub fn latency(
    emulator: &Emulator,
    proxy: &Proxy,
    services: &[String],
    sides_to_run: &[Side],
) -> Vec<LatencyRun> {
    let mut out = Vec::new();
    for &side in sides_to_run {
        eprintln!("latency model: {}", side.label());
        let certificate = sides::fresh_emulator(emulator);
        let ws = sides::workspace(side, Setup::Routed, Tf::V1_0_3, emulator);
        sides::write_vars(&ws, side, Setup::Routed, proxy, &certificate, services);
        sides::terraform(&ws, proxy, "init", INIT, &[0]);
        sides::terraform(&ws, proxy, "plan", PLAN_OUT, &[0]);
        let apply = sides::terraform(&ws, proxy, "apply", APPLY_SAVED, &[0]);
        let critical_path = sides::critical_path(side, &sides::state(&ws));
        out.push(LatencyRun {
            side,
            apply,
            critical_path,
        });
    }
    out
}
