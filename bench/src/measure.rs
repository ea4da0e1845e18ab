//! Timing one process and sampling the memory of the provider processes it starts.
//!
//! Peak RSS is the kernel's high-water mark (`VmHWM` in `/proc/<pid>/status`) of every
//! `terraform-provider-*` descendant of the Terraform process, sampled every [`POLL`]; a provider
//! process that lives shorter than one interval may be missed. Most of that peak is the binary's
//! code paged in (file-backed, shared with the page cache); the private part (`RssAnon`: heap,
//! stacks, relocated data) is sampled beside it.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How often the provider processes are sampled while Terraform runs.
pub const POLL: Duration = Duration::from_millis(20);

/// What one timed process did.
pub struct Timed {
    pub seconds: f64,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// Highest `VmHWM` seen over all provider processes, KiB (0 when none was seen).
    pub provider_peak_rss_kib: u64,
    /// Highest `RssAnon` sampled over all provider processes, KiB.
    pub provider_peak_private_kib: u64,
    /// Distinct provider processes seen: Terraform starts a provider more than once per command.
    pub provider_processes: usize,
}

/// Runs `command` to completion with stdout and stderr in files under `scratch`, timing it
/// and sampling its provider children.
pub fn run(mut command: Command, scratch: &Path, label: &str) -> Timed {
    let out_path = scratch.join(format!("{label}.stdout"));
    let err_path = scratch.join(format!("{label}.stderr"));
    let out = File::create(&out_path).expect("stdout file");
    let err = File::create(&err_path).expect("stderr file");
    command.stdout(out).stderr(err).stdin(Stdio::null());
    let started = Instant::now();
    let mut child = command.spawn().expect("start terraform");
    let root = child.id();
    let mut peaks: BTreeMap<u32, u64> = BTreeMap::new();
    let mut private_peak = 0;
    let status = loop {
        for pid in provider_children(root) {
            if let Some(hwm) = status_kib(pid, "VmHWM:") {
                let peak = peaks.entry(pid).or_insert(0);
                *peak = (*peak).max(hwm);
            }
            if let Some(private) = status_kib(pid, "RssAnon:") {
                private_peak = private_peak.max(private);
            }
        }
        match child.try_wait().expect("wait for terraform") {
            Some(status) => break status,
            None => std::thread::sleep(POLL),
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    Timed {
        seconds,
        code: status.code().unwrap_or(-1),
        stdout: std::fs::read_to_string(&out_path).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
        provider_peak_rss_kib: peaks.values().copied().max().unwrap_or(0),
        provider_peak_private_kib: private_peak,
        provider_processes: peaks.len(),
    }
}

/// Descendants of `root` whose command name starts like a provider's. Terraform 1.0.3 re-runs
/// itself as a child (panicwrap), so providers are grandchildren there; go-plugin starts them
/// from whichever thread runs the client, so every thread's list is read.
fn provider_children(root: u32) -> Vec<u32> {
    let mut providers = Vec::new();
    let mut queue = vec![root];
    while let Some(pid) = queue.pop() {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            let Ok(list) = std::fs::read_to_string(task.path().join("children")) else {
                continue;
            };
            for child in list
                .split_whitespace()
                .filter_map(|p| p.parse::<u32>().ok())
            {
                let comm =
                    std::fs::read_to_string(format!("/proc/{child}/comm")).unwrap_or_default();
                // The kernel keeps 15 characters of the name.
                if comm.starts_with("terraform-provi") {
                    if !providers.contains(&child) {
                        providers.push(child);
                    }
                } else if !queue.contains(&child) {
                    queue.push(child);
                }
            }
        }
    }
    providers
}

/// One `kB` field of `/proc/<pid>/status`, e.g. `VmHWM:`.
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Milliseconds from exec to the go-plugin handshake line on stdout, for a provider started
/// the way Terraform starts it (magic cookie, offered protocol versions, a client certificate
/// for AutoMTLS). The process is killed once the line is read.
pub fn handshake_ms(binary: &Path, protocol: u32, client_cert_pem: &str) -> f64 {
    let started = Instant::now();
    let mut child = Command::new(binary)
        .env(
            "TF_PLUGIN_MAGIC_COOKIE",
            "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
        )
        .env("PLUGIN_PROTOCOL_VERSIONS", protocol.to_string())
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .env("PLUGIN_CLIENT_CERT", client_cert_pem)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
    let mut line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let read = stdout.read_line(&mut line);
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        read.is_ok() && line.starts_with("1|"),
        "{} printed no handshake line: {line:?}",
        binary.display()
    );
    elapsed
}

/// Median, minimum and maximum of a non-empty sample.
pub fn spread(samples: &[f64]) -> (f64, f64, f64) {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    (median, sorted[0], sorted[n - 1])
}

#[cfg(test)]
mod tests {
    use super::spread;

    #[test]
    fn spread_of_odd_and_even_samples() {
        assert_eq!(spread(&[3.0, 1.0, 2.0]), (2.0, 1.0, 3.0));
        assert_eq!(spread(&[4.0, 1.0, 2.0, 3.0]), (2.5, 1.0, 4.0));
    }
}
