//! The engine's targets, each next to the figure it is about. Printed and written to the JSON,
//! never asserted: `make bench` is a measurement, and a missed target is a finding, not a
//! failure.
//!
//! - Scale: a no-op plan of an environment with N services makes at most `40 + 6·N` read calls;
//!   the plan of 50 services takes under 10 s.
//! - Peer comparison: the no-op plan makes fewer calls than hashicorp/aws 3.39.0's, in at most
//!   its time.
//! - Network: the apply makes at most half the calls hashicorp/aws 3.39.0's does; the provider's
//!   peak RSS stays at or under 15 MB.
//! - Protocol: `terraform providers schema -json` with our provider adds at most what it adds
//!   with hashicorp/null 2.1.2 over the no-provider floor.

use serde_json::{json, Value};

use crate::measure::spread;
use crate::report::Results;
use crate::sections::{Protocol, SideRun};
use crate::sides::{round3, Phase, Side};

/// Read calls a no-op plan of N services may make: `READS_BASE + READS_PER_SERVICE · N`.
pub const READS_BASE: u64 = 40;
pub const READS_PER_SERVICE: u64 = 6;
/// The scale row whose plan time has a target, and that target.
pub const PLAN_TIME_SERVICES: usize = 50;
pub const PLAN_TIME_SECONDS: f64 = 10.0;
/// Our share of the peer's calls for the network apply.
pub const NETWORK_CALL_SHARE: f64 = 0.5;
/// Our provider's peak RSS in the network section, in MB (10⁶ bytes).
pub const NETWORK_RSS_MB: f64 = 15.0;

/// One figure against its target.
#[derive(Debug, Clone)]
pub struct Target {
    /// Stable identifier, e.g. `scale.noop_plan_reads.10`.
    pub id: String,
    pub section: &'static str,
    /// What was measured, in words.
    pub what: String,
    /// The target, in words.
    pub target: String,
    pub measured: f64,
    pub limit: f64,
    /// `<` when the figure must stay below the limit, `<=` when it may reach it.
    pub strict: bool,
    pub unit: &'static str,
}

impl Target {
    pub fn met(&self) -> bool {
        if self.strict {
            self.measured < self.limit
        } else {
            self.measured <= self.limit
        }
    }

    /// `yes` or a bold `no`, for the tables.
    pub fn verdict(&self) -> &'static str {
        if self.met() {
            "yes"
        } else {
            "**no**"
        }
    }

    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "section": self.section,
            "what": self.what,
            "target": self.target,
            "measured": round3(self.measured),
            "comparison": if self.strict { "<" } else { "<=" },
            "limit": round3(self.limit),
            "unit": self.unit,
            "met": self.met(),
        })
    }
}

fn services(n: usize) -> String {
    if n == 1 {
        "1 service".into()
    } else {
        format!("{n} services")
    }
}

pub fn noop_reads_limit(services: usize) -> u64 {
    READS_BASE + READS_PER_SERVICE * services as u64
}

/// Megabytes (10⁶ bytes) from the KiB the kernel reports.
pub fn mb(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1e6
}

/// The highest provider RSS of a cycle and the phase it was seen in.
pub fn peak_rss(run: &SideRun) -> Option<&Phase> {
    run.phases
        .iter()
        .filter(|p| p.rss_kib > 0)
        .max_by_key(|p| p.rss_kib)
}

/// Median `providers schema -json` time of `label`'s row minus the floor's, in ms.
pub fn schema_overhead_ms(protocol: &Protocol, label: &str) -> Option<f64> {
    let median = |prefix: &str| {
        protocol
            .schema
            .iter()
            .find(|(l, _)| l.starts_with(prefix))
            .map(|(_, xs)| spread(xs).0)
    };
    Some(median(label)? - median("no provider")?)
}

fn side(runs: &[SideRun], side: Side) -> Option<&SideRun> {
    runs.iter()
        .find(|r| r.side == side && r.tf == acceptance_tests::Tf::V1_0_3)
}

/// Every target the run has figures for, in the order the sections print.
pub fn all(results: &Results) -> Vec<Target> {
    let mut out = Vec::new();

    let (ours, aws) = (
        side(&results.peers, Side::Platform),
        side(&results.peers, Side::Aws),
    );
    if let (Some(a), Some(b)) = (
        ours.and_then(|r| r.phase("no-op plan")),
        aws.and_then(|r| r.phase("no-op plan")),
    ) {
        out.push(Target {
            id: "peers.noop_plan_reads".into(),
            section: "peers",
            what: "no-op plan, read calls".into(),
            target: format!("fewer than hashicorp/aws 3.39.0's ({})", b.calls.read),
            measured: a.calls.read as f64,
            limit: b.calls.read as f64,
            strict: true,
            unit: "calls",
        });
        out.push(Target {
            id: "peers.noop_plan_seconds".into(),
            section: "peers",
            what: "no-op plan, time".into(),
            target: format!("at most hashicorp/aws 3.39.0's ({:.2} s)", b.seconds),
            measured: a.seconds,
            limit: b.seconds,
            strict: false,
            unit: "s",
        });
    }

    let (ours, aws) = (
        side(&results.network, Side::Platform),
        side(&results.network, Side::Aws),
    );
    if let (Some(a), Some(b)) = (
        ours.and_then(|r| r.phase("apply")),
        aws.and_then(|r| r.phase("apply")),
    ) {
        out.push(Target {
            id: "network.apply_calls".into(),
            section: "network",
            what: "apply, AWS calls (mutating + read)".into(),
            target: format!(
                "at most {NETWORK_CALL_SHARE} × hashicorp/aws 3.39.0's {} = {}",
                b.calls.total,
                b.calls.total as f64 * NETWORK_CALL_SHARE
            ),
            measured: a.calls.total as f64,
            limit: b.calls.total as f64 * NETWORK_CALL_SHARE,
            strict: false,
            unit: "calls",
        });
    }
    if let Some(peak) = ours.and_then(peak_rss) {
        out.push(Target {
            id: "network.provider_peak_rss".into(),
            section: "network",
            what: format!(
                "provider peak RSS (in {}; its private part peaked at {:.1} MB)",
                peak.name,
                mb(peak.private_kib)
            ),
            target: format!("at most {NETWORK_RSS_MB} MB"),
            measured: mb(peak.rss_kib),
            limit: NETWORK_RSS_MB,
            strict: false,
            unit: "MB",
        });
    }

    if let Some(protocol) = &results.protocol {
        if let (Some(a), Some(null)) = (
            schema_overhead_ms(protocol, "platform"),
            schema_overhead_ms(protocol, "hashicorp/null"),
        ) {
            out.push(Target {
                id: "protocol.schema_overhead".into(),
                section: "protocol",
                what: "`providers schema -json` over the no-provider floor (medians)".into(),
                target: format!("at most hashicorp/null 2.1.2's ({null:.0} ms)"),
                measured: a,
                limit: null,
                strict: false,
                unit: "ms",
            });
        }
    }

    for row in &results.scale {
        let limit = noop_reads_limit(row.services);
        out.push(Target {
            id: format!("scale.noop_plan_reads.{}", row.services),
            section: "scale",
            what: format!("no-op plan, read calls, {}", services(row.services)),
            target: format!(
                "at most {READS_BASE} + {READS_PER_SERVICE}·{} = {limit}",
                row.services
            ),
            measured: row.plan.calls.read as f64,
            limit: limit as f64,
            strict: false,
            unit: "calls",
        });
        if row.services == PLAN_TIME_SERVICES {
            out.push(Target {
                id: format!("scale.plan_seconds.{}", row.services),
                section: "scale",
                what: format!("plan (with refresh), {}", services(row.services)),
                target: format!("under {PLAN_TIME_SECONDS:.0} s"),
                measured: row.plan.seconds,
                limit: PLAN_TIME_SECONDS,
                strict: true,
                unit: "s",
            });
        }
    }
    out
}

/// The target with this id, if the run measured it.
pub fn find<'a>(targets: &'a [Target], id: &str) -> Option<&'a Target> {
    targets.iter().find(|t| t.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(measured: f64, limit: f64, strict: bool) -> Target {
        Target {
            id: "t".into(),
            section: "s",
            what: String::new(),
            target: String::new(),
            measured,
            limit,
            strict,
            unit: "",
        }
    }

    #[test]
    fn limits_and_comparisons() {
        assert_eq!(noop_reads_limit(1), 46);
        assert_eq!(noop_reads_limit(100), 640);
        assert!(target(46.0, 46.0, false).met());
        assert!(!target(10.0, 10.0, true).met());
        assert!(target(9.99, 10.0, true).met());
        assert!(!target(47.0, 46.0, false).met());
    }

    #[test]
    fn megabytes_are_decimal() {
        // 15 MB is 14 648.4 KiB.
        assert!(mb(14_648) <= NETWORK_RSS_MB);
        assert!(mb(14_649) > NETWORK_RSS_MB);
    }
}
