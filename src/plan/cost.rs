//! Estimated monthly cost of a child graph, from fixed hourly charges only. Each kind prices
//! itself (`KindSpec::hourly_charge`) from the list prices kept here.
//!
//! Prices are us-east-1 on-demand list prices, billed for [`HOURS_PER_MONTH`] hours (AWS's
//! 730-hour month). Only fixed hourly charges are counted: usage-based charges (NAT and endpoint
//! data processing, log ingestion and storage, data transfer, …) are excluded, so the result is
//! an estimate, a lower bound of the bill for these children. Kinds without a fixed hourly
//! charge (VPC, subnets, internet gateway, route tables and routes, security groups and rules,
//! gateway endpoints, flow logs, log groups, IAM roles, ECS cluster, DB and cache subnet groups)
//! cost nothing here. The one estimate of usage is a service's scheduled tasks: runs a month
//! from each schedule's expression, each priced as a Fargate task of the service's size running
//! for [`SCHEDULED_RUN_MINUTES`] (breakdown entry `scheduled_tasks`).
//!
//! Pure: no I/O, clocks or randomness.

use std::collections::BTreeMap;

use super::node::{Node, NodeKey};

/// AWS bills hourly resources for a 730-hour month (365 × 24 / 12).
pub const HOURS_PER_MONTH: f64 = 730.0;
/// NAT gateway, per gateway-hour (us-east-1).
pub const NAT_GATEWAY_USD_PER_HOUR: f64 = 0.045;
/// Public IPv4 address (in use or idle, including Elastic IPs), per address-hour (us-east-1).
pub const PUBLIC_IPV4_USD_PER_HOUR: f64 = 0.005;
/// Interface VPC endpoint, per endpoint-hour in each AZ (us-east-1).
pub const INTERFACE_ENDPOINT_USD_PER_AZ_HOUR: f64 = 0.01;
/// Application load balancer, per LB-hour (us-east-1), LCU charges excluded. Not used until the
/// graph has a load balancer kind: count it in `hourly_charge` as `"load_balancers"`.
pub const LOAD_BALANCER_USD_PER_HOUR: f64 = 0.0225;
/// Fargate on Linux, per vCPU-hour and per GiB-hour, x86_64 then ARM64 (us-east-1).
pub const FARGATE_X86_USD_PER_VCPU_HOUR: f64 = 0.04048;
pub const FARGATE_X86_USD_PER_GIB_HOUR: f64 = 0.004445;
pub const FARGATE_ARM_USD_PER_VCPU_HOUR: f64 = 0.03238;
pub const FARGATE_ARM_USD_PER_GIB_HOUR: f64 = 0.00356;
/// How long a scheduled task is assumed to run, in minutes: the estimate of a service's
/// `schedule` blocks prices each run as this long (EventBridge Scheduler's own charge, free for
/// the first 14 million invocations a month, is not counted).
pub const SCHEDULED_RUN_MINUTES: f64 = 5.0;
/// A Secrets Manager secret costs USD 0.40 a month, spread over the month's hours.
pub const SECRET_USD_PER_HOUR: f64 = 0.40 / HOURS_PER_MONTH;
/// gp3 storage, per GiB-month (us-east-1, Single-AZ; Multi-AZ doubles it).
pub const RDS_GP3_USD_PER_GIB_MONTH: f64 = 0.115;

/// RDS for PostgreSQL instance classes the provider accepts, with their Single-AZ on-demand
/// price per hour (us-east-1). Multi-AZ doubles it.
pub const DB_INSTANCE_CLASSES: &[(&str, f64)] = &[
    ("db.t4g.micro", 0.016),
    ("db.t4g.small", 0.032),
    ("db.t4g.medium", 0.065),
    ("db.t4g.large", 0.129),
    ("db.t3.micro", 0.018),
    ("db.t3.small", 0.036),
    ("db.t3.medium", 0.072),
    ("db.t3.large", 0.145),
    ("db.m7g.large", 0.168),
    ("db.m7g.xlarge", 0.337),
    ("db.m7g.2xlarge", 0.674),
    ("db.m6g.large", 0.159),
    ("db.m6g.xlarge", 0.3184),
    ("db.m5.large", 0.178),
    ("db.r7g.large", 0.239),
    ("db.r7g.xlarge", 0.478),
    ("db.r6g.large", 0.225),
    ("db.r6g.xlarge", 0.45),
    ("db.r5.large", 0.25),
];

/// ElastiCache node types the provider accepts, with their on-demand price per node-hour
/// (us-east-1, Valkey and Redis OSS alike here).
pub const CACHE_NODE_TYPES: &[(&str, f64)] = &[
    ("cache.t4g.micro", 0.016),
    ("cache.t4g.small", 0.032),
    ("cache.t4g.medium", 0.065),
    ("cache.t3.micro", 0.017),
    ("cache.t3.small", 0.034),
    ("cache.t3.medium", 0.068),
    ("cache.m7g.large", 0.158),
    ("cache.m7g.xlarge", 0.315),
    ("cache.m6g.large", 0.149),
    ("cache.r7g.large", 0.219),
    ("cache.r7g.xlarge", 0.437),
    ("cache.r6g.large", 0.206),
];

/// The hourly price of `name` in a price table; 0 for one it does not list.
pub fn price(table: &[(&str, f64)], name: &str) -> f64 {
    table
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(0.0, |(_, p)| *p)
}

/// One Fargate task of `cpu` units and `memory` MiB on `architecture` (`ARM64` or x86), per hour.
pub fn fargate_task_usd_per_hour(cpu: u32, memory: u32, architecture: &str) -> f64 {
    let (per_vcpu, per_gib) = if architecture == "ARM64" {
        (FARGATE_ARM_USD_PER_VCPU_HOUR, FARGATE_ARM_USD_PER_GIB_HOUR)
    } else {
        (FARGATE_X86_USD_PER_VCPU_HOUR, FARGATE_X86_USD_PER_GIB_HOUR)
    };
    f64::from(cpu) / 1024.0 * per_vcpu + f64::from(memory) / 1024.0 * per_gib
}

/// Scheduled runs of a Fargate task, `runs_per_month` runs of [`SCHEDULED_RUN_MINUTES`] each,
/// spread over the month's hours.
pub fn scheduled_task_usd_per_hour(
    runs_per_month: f64,
    cpu: u32,
    memory: u32,
    architecture: &str,
) -> f64 {
    let hours_per_month = runs_per_month * SCHEDULED_RUN_MINUTES / 60.0;
    fargate_task_usd_per_hour(cpu, memory, architecture) * hours_per_month / HOURS_PER_MONTH
}

#[derive(Debug, Clone, PartialEq)]
pub struct CostEstimate {
    /// Sum of the breakdown, in USD per month, rounded to cents.
    pub total_usd: f64,
    /// USD per month by charge (`nat_gateways`, `public_ipv4`, `interface_endpoints`), rounded
    /// to cents. Only non-zero entries.
    pub breakdown: BTreeMap<String, f64>,
}

/// The estimated monthly cost of `nodes`.
pub fn estimate(nodes: &BTreeMap<NodeKey, Node>) -> CostEstimate {
    let mut hourly: BTreeMap<&'static str, f64> = BTreeMap::new();
    for node in nodes.values() {
        if let Some((charge, usd_per_hour)) = node.spec.hourly_charge(nodes) {
            *hourly.entry(charge).or_default() += usd_per_hour;
        }
    }
    let breakdown: BTreeMap<String, f64> = hourly
        .into_iter()
        .map(|(charge, usd)| (charge.to_string(), cents(usd * HOURS_PER_MONTH)))
        .filter(|(_, usd)| *usd > 0.0)
        .collect();
    let total_usd = cents(breakdown.values().sum());
    CostEstimate {
        total_usd,
        breakdown,
    }
}

fn cents(usd: f64) -> f64 {
    (usd * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::ec2::elastic_ip::ElasticIpSpec;
    use crate::aws::ec2::nat_gateway::NatGatewaySpec;
    use crate::aws::ec2::subnet::SubnetSpec;
    use crate::aws::ec2::vpc::VpcSpec;
    use crate::aws::ec2::vpc_endpoint::{EndpointType, VpcEndpointSpec};
    use crate::plan::node::{ChildSpec, Kind, SubnetTier, Tags};

    fn key(kind: Kind, q: &str) -> NodeKey {
        NodeKey::new(kind, &[q])
    }

    fn vpc() -> ChildSpec {
        ChildSpec::Vpc(VpcSpec {
            cidr: "10.0.0.0/16".into(),
            enable_dns_support: true,
            enable_dns_hostnames: true,
            tags: Tags::new(),
        })
    }

    fn subnet(az: &str) -> ChildSpec {
        ChildSpec::Subnet(SubnetSpec {
            vpc: key(Kind::Vpc, "main"),
            tier: SubnetTier::Private,
            az_id: az.into(),
            cidr: "10.0.0.0/24".into(),
            map_public_ip_on_launch: false,
            tags: Tags::new(),
        })
    }

    fn eip() -> ChildSpec {
        ChildSpec::ElasticIp(ElasticIpSpec { tags: Tags::new() })
    }

    fn nat() -> ChildSpec {
        ChildSpec::NatGateway(NatGatewaySpec {
            subnet: key(Kind::Subnet, "public"),
            eip: key(Kind::ElasticIp, "a"),
            internet_gateway: key(Kind::InternetGateway, "main"),
            tags: Tags::new(),
        })
    }

    fn endpoint(endpoint_type: EndpointType, azs: usize) -> ChildSpec {
        ChildSpec::VpcEndpoint(VpcEndpointSpec {
            vpc: key(Kind::Vpc, "main"),
            service_name: "com.amazonaws.us-east-1.ecr.api".into(),
            endpoint_type,
            route_tables: Vec::new(),
            subnets: (0..azs)
                .map(|i| key(Kind::Subnet, &format!("az{i}")))
                .collect(),
            security_groups: Vec::new(),
            private_dns: true,
            tags: Tags::new(),
        })
    }

    fn graph(specs: Vec<ChildSpec>) -> BTreeMap<NodeKey, Node> {
        specs
            .into_iter()
            .enumerate()
            .map(|(i, spec)| {
                let key = NodeKey::new(spec.kind(), &[&i.to_string()]);
                (key.clone(), Node { key, spec })
            })
            .collect()
    }

    struct Case {
        reason: &'static str,
        input: Vec<ChildSpec>,
        want: (f64, &'static [(&'static str, f64)]),
    }

    #[test]
    fn estimate_cases() {
        let cases = [
            Case {
                reason: "an empty graph costs nothing",
                input: vec![],
                want: (0.0, &[]),
            },
            Case {
                reason: "VPC and subnets have no hourly charge, so no entries at all",
                input: vec![vpc(), subnet("use1-az1"), subnet("use1-az2")],
                want: (0.0, &[]),
            },
            Case {
                reason: "one NAT gateway with its EIP: 0.045 h + 0.005 h over 730 h",
                input: vec![vpc(), eip(), nat()],
                want: (36.5, &[("nat_gateways", 32.85), ("public_ipv4", 3.65)]),
            },
            Case {
                reason: "three NAT gateways, one per AZ, each with an EIP",
                input: vec![eip(), eip(), eip(), nat(), nat(), nat()],
                want: (109.5, &[("nat_gateways", 98.55), ("public_ipv4", 10.95)]),
            },
            Case {
                reason: "interface endpoints are billed per AZ, i.e. per subnet",
                input: vec![endpoint(EndpointType::Interface, 3)],
                want: (21.9, &[("interface_endpoints", 21.9)]),
            },
            Case {
                reason: "gateway endpoints are free",
                input: vec![endpoint(EndpointType::Gateway, 0)],
                want: (0.0, &[]),
            },
            Case {
                reason: "a mixed graph sums every charge",
                input: vec![
                    vpc(),
                    subnet("use1-az1"),
                    eip(),
                    nat(),
                    endpoint(EndpointType::Interface, 2),
                    endpoint(EndpointType::Interface, 2),
                    endpoint(EndpointType::Gateway, 0),
                ],
                want: (
                    65.7,
                    &[
                        ("interface_endpoints", 29.2),
                        ("nat_gateways", 32.85),
                        ("public_ipv4", 3.65),
                    ],
                ),
            },
        ];
        for case in cases {
            let got = estimate(&graph(case.input));
            let want_breakdown: BTreeMap<String, f64> = case
                .want
                .1
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect();
            assert_eq!(got.breakdown, want_breakdown, "{}", case.reason);
            assert_eq!(got.total_usd, case.want.0, "{}", case.reason);
        }
    }

    #[test]
    fn values_are_rounded_to_cents() {
        // 7 EIPs: 7 × 0.005 × 730 = 25.55 exactly in cents, despite float error on the way.
        let got = estimate(&graph(vec![eip(); 7]));
        assert_eq!(got.breakdown["public_ipv4"], 25.55);
        assert_eq!(got.total_usd, 25.55);
        for v in got.breakdown.values() {
            assert_eq!(*v, cents(*v));
        }
    }

    #[test]
    fn estimate_is_deterministic() {
        let g = graph(vec![eip(), nat(), endpoint(EndpointType::Interface, 3)]);
        assert_eq!(estimate(&g), estimate(&g));
    }
}
