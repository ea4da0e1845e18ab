//! `make bench`: our provider against the same AWS objects written for hashicorp/aws 3.39.0, on
//! one moto server with every AWS call going through `scripts/aws-proxy.py` (an environment with
//! two services, and a 3-AZ network with a NAT gateway per AZ); protocol overhead; plan and
//! refresh at scale; apply under a fixed per-call latency. Each figure that has a target is
//! printed next to it.
//!
//! A measurement, not a test: it asserts only that the runs succeed, never a time, a count or a
//! target. It prints markdown tables and writes `bench/results/latest.{json,md}`. See
//! bench/README.md.

mod measure;
mod proxy;
mod report;
mod sections;
mod sides;
mod targets;

use std::path::PathBuf;
use std::time::Instant;

use acceptance_tests::{repo_root, tools_ready, Emulator, Tf};

use crate::proxy::Proxy;
use crate::sides::{Setup, Side};

const USAGE: &str = "usage: platform-bench [--provider PATH] [--latency-ms N] [--repeat N] \
[--scale 1,10,50,100] [--only peers,network,protocol,scale,latency] [--skip-1-15-5] [--out DIR]";

const SECTIONS: [&str; 5] = ["peers", "network", "protocol", "scale", "latency"];

struct Options {
    provider: PathBuf,
    /// Zero skips the latency section.
    latency_ms: u64,
    repeat: usize,
    scale: Vec<usize>,
    sections: Vec<String>,
    with_1_15_5: bool,
    out: PathBuf,
}

impl Options {
    fn parse() -> Options {
        let mut options = Options {
            provider: repo_root().join("target/bench-provider/terraform-provider-platform"),
            latency_ms: 0,
            repeat: 5,
            scale: vec![1, 10, 50, 100],
            sections: SECTIONS.map(String::from).to_vec(),
            with_1_15_5: true,
            out: repo_root().join("bench/results"),
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = || {
                args.next()
                    .unwrap_or_else(|| fail(&format!("{arg} needs a value")))
            };
            match arg.as_str() {
                "--provider" => options.provider = PathBuf::from(value()),
                "--latency-ms" => options.latency_ms = number(&value()),
                "--repeat" => options.repeat = number::<usize>(&value()).max(1),
                "--scale" => options.scale = value().split(',').map(number).collect(),
                "--only" => {
                    options.sections = value().split(',').map(String::from).collect();
                    if let Some(unknown) = options
                        .sections
                        .iter()
                        .find(|s| !SECTIONS.contains(&s.as_str()))
                    {
                        fail(&format!("unknown section {unknown}"));
                    }
                }
                "--skip-1-15-5" => options.with_1_15_5 = false,
                "--out" => options.out = PathBuf::from(value()),
                "-h" | "--help" => {
                    println!("{USAGE}");
                    std::process::exit(0);
                }
                other => fail(&format!("unknown argument {other}")),
            }
        }
        options
    }

    fn runs(&self, section: &str) -> bool {
        self.sections.iter().any(|s| s == section)
    }
}

fn number<T: std::str::FromStr>(text: &str) -> T {
    text.trim()
        .parse()
        .unwrap_or_else(|_| fail(&format!("not a number: {text}")))
}

fn fail(message: &str) -> ! {
    eprintln!("platform-bench: {message}\n{USAGE}");
    std::process::exit(2);
}

fn main() {
    let options = Options::parse();
    let started = Instant::now();
    let load_at_start = report::load_average();
    let provider = options.provider.canonicalize().unwrap_or_else(|_| {
        fail(&format!(
            "no provider binary at {}: build it first (make bench does)",
            options.provider.display()
        ))
    });
    if provider.components().any(|c| c.as_os_str() == "debug") {
        eprintln!(
            "WARNING: {} is a debug build; the figures will not be representative",
            provider.display()
        );
    }
    // The harness installs the provider named here into each workspace's mirror. Set before
    // any thread starts.
    std::env::set_var("PROVIDER_BINARY", &provider);
    if !tools_ready()
        || !sides::peer_binary("aws").exists()
        || !sides::peer_binary("null").exists()
        || !repo_root().join("scripts/aws-proxy.py").exists()
    {
        fail("tools missing: run .ci/install-tools.sh (make tools); scripts/aws-proxy.py is needed too");
    }

    let scratch = repo_root().join("target/bench");
    std::fs::create_dir_all(&scratch).expect("target/bench");
    let emulator = Emulator::start();
    let proxy = Proxy::start(&emulator.endpoint(), &scratch.join("proxy.jsonl"), 0);
    let services = sides::service_names("api", 2);

    let mut peers = Vec::new();
    if options.runs("peers") {
        let mut runs = vec![(Side::Platform, Tf::V1_0_3), (Side::Aws, Tf::V1_0_3)];
        if options.with_1_15_5 {
            runs.push((Side::Platform, Tf::V1_15_5));
        }
        for (side, tf) in runs {
            peers.push(sections::peer_cycle(
                side,
                Setup::Routed,
                tf,
                &emulator,
                &proxy,
                &services,
            ));
        }
    }
    let mut network = Vec::new();
    if options.runs("network") {
        for side in [Side::Platform, Side::Aws] {
            network.push(sections::peer_cycle(
                side,
                Setup::Network,
                Tf::V1_0_3,
                &emulator,
                &proxy,
                &[],
            ));
        }
    }
    let protocol = options
        .runs("protocol")
        .then(|| sections::protocol(&emulator, &provider, options.repeat));
    let scale = if options.runs("scale") {
        sections::scale(&emulator, &proxy, &options.scale)
    } else {
        Vec::new()
    };
    let latency = if options.runs("latency") && options.latency_ms > 0 {
        let slow = Proxy::start(
            &emulator.endpoint(),
            &scratch.join("proxy-latency.jsonl"),
            options.latency_ms,
        );
        sections::latency(&emulator, &slow, &services, &[Side::Platform, Side::Aws])
    } else {
        Vec::new()
    };

    let results = report::Results {
        machine: report::machine(&provider, &load_at_start),
        services,
        repeat: options.repeat,
        peers,
        network,
        protocol,
        scale,
        latency_ms: options.latency_ms,
        latency,
        wall_seconds: started.elapsed().as_secs_f64(),
    };
    let markdown = report::markdown(&results);
    println!("{markdown}");
    std::fs::create_dir_all(&options.out).expect("results directory");
    let json = serde_json::to_string_pretty(&report::json(&results)).expect("results JSON");
    std::fs::write(options.out.join("latest.json"), json + "\n").expect("latest.json");
    std::fs::write(options.out.join("latest.md"), markdown).expect("latest.md");
    eprintln!("wrote {}", options.out.join("latest.{json,md}").display());
}
