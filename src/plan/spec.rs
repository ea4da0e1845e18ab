//! Typed, validated input to expansion. A spec holds no unknowns.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::framework::diag::Diagnostics;
use crate::framework::path::AttrPath;

use super::node::Tags;

/// Spelled as in configuration: `dev`, `staging`, `prod`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Dev,
    Staging,
    Prod,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Dev => "dev",
            Tier::Staging => "staging",
            Tier::Prod => "prod",
        }
    }
}

/// Spelled as in configuration: `none`, `single`, `per_az`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NatMode {
    None,
    /// One NAT gateway, in the first AZ; every private route table uses it.
    Single,
    PerAz,
}

impl NatMode {
    pub fn as_str(self) -> &'static str {
        match self {
            NatMode::None => "none",
            NatMode::Single => "single",
            NatMode::PerAz => "per_az",
        }
    }
}

/// An IPv4 network: address with no host bits set, and prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv4Cidr {
    pub addr: u32,
    pub prefix: u8,
}

impl Ipv4Cidr {
    /// Parses `a.b.c.d/n`, refusing host bits so that the intended network is never guessed.
    pub fn parse(text: &str) -> Result<Ipv4Cidr, String> {
        let (addr_text, prefix_text) = text
            .split_once('/')
            .ok_or_else(|| format!("{text:?} is not a CIDR block such as \"10.0.0.0/16\""))?;
        let addr: std::net::Ipv4Addr = addr_text
            .parse()
            .map_err(|_| format!("{addr_text:?} in {text:?} is not an IPv4 address"))?;
        let prefix: u8 = prefix_text
            .parse()
            .ok()
            .filter(|p| *p <= 32)
            .ok_or_else(|| {
                format!("{prefix_text:?} in {text:?} is not a prefix length from 0 to 32")
            })?;
        let addr = u32::from(addr);
        let cidr = Ipv4Cidr {
            addr: addr & mask(prefix),
            prefix,
        };
        if cidr.addr != addr {
            return Err(format!(
                "{text:?} has host bits set; the network address is {cidr}"
            ));
        }
        Ok(cidr)
    }

    pub fn size(self) -> u64 {
        1u64 << (32 - u32::from(self.prefix))
    }

    pub fn first(self) -> u64 {
        u64::from(self.addr)
    }

    pub fn last(self) -> u64 {
        self.first() + self.size() - 1
    }

    pub fn contains(self, other: Ipv4Cidr) -> bool {
        other.prefix >= self.prefix && self.first() <= other.first() && other.last() <= self.last()
    }

    pub fn overlaps(self, other: Ipv4Cidr) -> bool {
        self.first() <= other.last() && other.first() <= self.last()
    }
}

fn mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", std::net::Ipv4Addr::from(self.addr), self.prefix)
    }
}

/// Bits added to the VPC prefix for each tier's subnets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubnetNewbits {
    pub public: u8,
    pub private: u8,
    pub data: u8,
}

/// Which availability zones an environment spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AzChoice {
    /// The first N, in zone-name order, keeping those already in use.
    Count(usize),
    /// Exactly these, by ID (`use1-az1`) or name (`us-east-1a`).
    Ids(Vec<String>),
}

impl AzChoice {
    pub fn len(&self) -> usize {
        match self {
            AzChoice::Count(n) => *n,
            AzChoice::Ids(ids) => ids.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Which VPC endpoints an environment gets; spelled as in configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndpointPreset {
    None,
    /// S3 and DynamoDB gateway endpoints (free).
    Gateway,
    /// Gateway, plus interface endpoints for image and secret pulls and logs.
    Essential,
}

impl EndpointPreset {
    pub const NAMES: &'static [&'static str] = &["none", "gateway", "essential"];

    pub fn as_str(self) -> &'static str {
        match self {
            EndpointPreset::None => "none",
            EndpointPreset::Gateway => "gateway",
            EndpointPreset::Essential => "essential",
        }
    }
}

/// Gateway endpoint services.
pub const GATEWAY_ENDPOINTS: &[&str] = &["dynamodb", "s3"];
/// Interface endpoints of the `essential` preset: what a private Fargate task needs to pull its
/// image, read its secrets and write its logs without NAT.
pub const ESSENTIAL_INTERFACE_ENDPOINTS: &[&str] =
    &["ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm", "sts"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointsSpec {
    pub preset: EndpointPreset,
    /// More interface endpoints, by service suffix (`sqs`), sorted and unique.
    pub extra: Vec<String>,
}

impl EndpointsSpec {
    /// Interface endpoint services, sorted.
    pub fn interface_services(&self) -> Vec<String> {
        let mut out: Vec<String> = match self.preset {
            EndpointPreset::Essential => ESSENTIAL_INTERFACE_ENDPOINTS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            _ => Vec::new(),
        };
        out.extend(self.extra.iter().cloned());
        out.sort();
        out.dedup();
        out
    }

    pub fn gateway_services(&self) -> &'static [&'static str] {
        match self.preset {
            EndpointPreset::None => &[],
            _ => GATEWAY_ENDPOINTS,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowLogsSpec {
    pub enabled: bool,
    /// `ALL`, `ACCEPT` or `REJECT`.
    pub traffic_type: String,
    pub retention_days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkSpec {
    pub cidr: Ipv4Cidr,
    pub azs: AzChoice,
    pub newbits: SubnetNewbits,
    pub nat_mode: NatMode,
    /// Silences the check that private tasks can reach ECR, Secrets Manager and Logs.
    pub allow_no_egress: bool,
    pub endpoints: EndpointsSpec,
    pub flow_logs: FlowLogsSpec,
}

/// Weights of the cluster's default capacity provider strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapacitySpec {
    pub fargate_weight: u32,
    pub spot_weight: u32,
    /// Tasks always placed on Fargate (on-demand) before weights apply.
    pub base: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSpec {
    /// `disabled`, `enabled` or `enhanced`.
    pub container_insights: String,
    pub capacity: CapacitySpec,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggingSpec {
    pub retention_days: u32,
    pub kms_key_arn: Option<String>,
}

/// The default TLS policy (docs/design/tiers.md §5): TLS 1.3 and 1.2 only.
pub const DEFAULT_TLS_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06";

/// The shared load balancer (present = `ingress` block).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngressSpec {
    /// `internal` rather than `internet-facing`.
    pub internal: bool,
    /// Requested from ACM unless `certificate_arn` is given.
    pub domain: Option<String>,
    /// Sorted, unique.
    pub additional_domains: Vec<String>,
    pub certificate_arn: Option<String>,
    pub tls_policy: String,
    /// Port 80 answers 301 to HTTPS; without it there is no port 80.
    pub http_to_https: bool,
    pub idle_timeout_seconds: u32,
    /// Who may reach 80 and 443. Sorted, unique.
    pub allowed_cidrs: Vec<String>,
    pub drop_invalid_headers: bool,
}

/// Service discovery inside the environment (ECS Service Connect over Cloud Map).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDiscoverySpec {
    /// The namespace's DNS name; services are `<discovery_name>.<namespace>`.
    pub namespace: String,
}

/// The namespace an environment gets when `service_discovery` names none.
pub fn default_namespace(environment: &str) -> String {
    format!("{environment}.internal")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentSpec {
    pub name: String,
    pub tier: Tier,
    /// Refuses destroy while true.
    pub deletion_protection: bool,
    /// For secrets made in this environment (0 deletes at once).
    pub secret_recovery_window_days: u32,
    pub network: NetworkSpec,
    pub cluster: ClusterSpec,
    pub logging: LoggingSpec,
    pub ingress: Option<IngressSpec>,
    /// A Cloud Map private DNS namespace, the cluster's Service Connect default.
    pub service_discovery: Option<ServiceDiscoverySpec>,
    /// The user's tags merged over the provider's default tags.
    pub tags: Tags,
    /// The configuration as written, recorded on the VPC so import can recover it.
    pub written: String,
}

impl EnvironmentSpec {
    /// The natural key in `platform:owner`.
    pub fn owner(&self) -> String {
        format!("environment/{}", self.name)
    }
}

/// One availability zone of the region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    pub name: String,
    pub id: String,
}

/// Read-only facts about the region, gathered before planning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionFacts {
    /// `us-east-1`: endpoint service names and global (IAM) names include it.
    pub region: String,
    pub zones: Vec<Zone>,
}

/// Retention periods CloudWatch Logs accepts, in days (0 = never expire).
pub const LOG_RETENTION_DAYS: &[u32] = &[
    0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

pub const FLOW_LOG_TRAFFIC_TYPES: &[&str] = &["ALL", "ACCEPT", "REJECT"];
pub const CONTAINER_INSIGHTS: &[&str] = &["disabled", "enabled", "enhanced"];

/// Environment names: 2–16 characters of `a-z`, `0-9`, `-`, starting with a letter.
pub fn validate_name(name: &str, path: &AttrPath) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let problem = if !(2..=16).contains(&name.chars().count()) {
        Some(format!(
            "must be 2 to 16 characters long, got {}",
            name.chars().count()
        ))
    } else if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        Some("must start with a lowercase letter".to_string())
    } else if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        Some(format!("may only contain a-z, 0-9 and '-', found {bad:?}"))
    } else if name.ends_with('-') || name.contains("--") {
        Some("must not end with '-' or contain \"--\"".to_string())
    } else {
        None
    };
    if let Some(problem) = problem {
        diags.error_at(
            path.clone(),
            "Invalid environment name",
            format!("The name {name:?} {problem}."),
        );
    }
    diags
}

/// Subnet prefixes AWS accepts: /16 to /28.
pub const MIN_PREFIX: u8 = 16;
pub const MAX_PREFIX: u8 = 28;

/// Checks the network layout without AWS: prefix limits, AZ counts and that every subnet fits.
pub fn validate_network(network: &NetworkSpec) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let cidr = network.cidr;
    if !(MIN_PREFIX..=MAX_PREFIX).contains(&cidr.prefix) {
        diags.error_at(
            AttrPath::attrs(&["network", "cidr"]),
            "Invalid VPC CIDR",
            format!(
                "AWS VPCs are /{MIN_PREFIX} to /{MAX_PREFIX}; {cidr} is /{}.",
                cidr.prefix
            ),
        );
        return diags;
    }
    // One diagnostic however many tiers overflow: with newbits unset, every tier's path points
    // at the same line, and the value to change is then the CIDR.
    let overflowing: Vec<(&str, u8, u32)> = [
        ("public", network.newbits.public),
        ("private", network.newbits.private),
        ("data", network.newbits.data),
    ]
    .into_iter()
    .map(|(name, bits)| (name, bits, u32::from(cidr.prefix) + u32::from(bits)))
    .filter(|(_, bits, prefix)| *bits == 0 || *prefix > u32::from(MAX_PREFIX))
    .collect();
    if !overflowing.is_empty() {
        let path = match overflowing.as_slice() {
            [(name, _, _)] => AttrPath::attrs(&["network", "subnet_newbits", name]),
            _ => AttrPath::attrs(&["network", "cidr"]),
        };
        let problems: Vec<String> = overflowing
            .iter()
            .map(|(name, bits, prefix)| {
                format!("{cidr} plus {bits} bits gives /{prefix} {name} subnets")
            })
            .collect();
        diags.error_at(
            path,
            "VPC prefix too small for the subnets",
            format!(
                "{}; AWS subnets must be /{MAX_PREFIX} or larger. Use a larger VPC CIDR or fewer newbits.",
                problems.join("; ")
            ),
        );
    }
    match &network.azs {
        AzChoice::Count(n) if !(2..=6).contains(n) => diags.error_at(
            AttrPath::attrs(&["network", "az_count"]),
            "Invalid number of availability zones",
            format!("network.az_count must be 2 to 6, got {n}."),
        ),
        AzChoice::Ids(ids) => {
            if !(2..=6).contains(&ids.len()) {
                diags.error_at(
                    AttrPath::attrs(&["network", "az_ids"]),
                    "Invalid number of availability zones",
                    format!("network.az_ids must list 2 to 6 zones, got {}.", ids.len()),
                );
            }
            for (i, id) in ids.iter().enumerate() {
                if ids[..i].contains(id) {
                    diags.error_at(
                        AttrPath::attrs(&["network", "az_ids"]).index(i as i64),
                        "Duplicate availability zone",
                        format!("{id:?} is listed twice."),
                    );
                }
            }
        }
        AzChoice::Count(_) => {}
    }
    if diags.has_errors() {
        return diags;
    }
    // The whole layout must fit, for the requested number of AZs.
    let azs: Vec<String> = (0..network.azs.len()).map(|i| format!("az{i}")).collect();
    if let Err(problem) =
        super::expand::cidr::allocate(cidr, network.newbits, &Default::default(), &azs)
    {
        diags.error_at(
            AttrPath::attrs(&["network", "cidr"]),
            "VPC prefix too small for the subnets",
            format!(
                "{problem} Use a larger network.cidr, fewer AZs or larger network.subnet_newbits."
            ),
        );
    }
    diags
}

fn check_retention(days: u32, path: AttrPath, diags: &mut Diagnostics) {
    if !LOG_RETENTION_DAYS.contains(&days) {
        diags.error_at(
            path,
            "Invalid log retention",
            format!(
                "CloudWatch Logs does not accept {days} days. Use one of: {}.",
                LOG_RETENTION_DAYS
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
}

/// Whether a name is a plausible VPC endpoint service suffix (`sqs`, `ecr.api`).
fn is_endpoint_service(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
}

/// Whether a DNS name is covered by a certificate name (`*.example.com` covers exactly one
/// label). Case-insensitive, as DNS is.
pub fn certificate_covers(certificate_name: &str, host: &str) -> bool {
    let name = certificate_name.to_ascii_lowercase();
    let host = host.to_ascii_lowercase();
    match name.strip_prefix("*.") {
        Some(parent) => {
            host.split_once('.')
                .is_some_and(|(label, rest)| !label.is_empty() && label != "*" && rest == parent)
                || host == name
        }
        None => host == name,
    }
}

/// A DNS name a certificate can be requested for; `*.` allowed as the first label.
pub fn is_domain_name(name: &str) -> bool {
    let name = name.strip_prefix("*.").unwrap_or(name);
    let labels: Vec<&str> = name.split('.').collect();
    name.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// Checks the ingress block without AWS: names, CIDRs, the certificate source and limits.
pub fn validate_ingress(ingress: &IngressSpec) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let path = |names: &[&str]| {
        let mut all = vec!["ingress"];
        all.extend_from_slice(names);
        AttrPath::attrs(&all)
    };
    if ingress.domain.is_none() && ingress.certificate_arn.is_none() {
        diags.error_at(
            AttrPath::attrs(&["ingress"]),
            "Missing certificate",
            "The HTTPS listener needs a certificate: set ingress.domain (an ACM certificate is requested for it) or ingress.certificate_arn.",
        );
    }
    if let Some(domain) = &ingress.domain {
        if !is_domain_name(domain) {
            diags.error_at(
                path(&["domain"]),
                "Invalid domain",
                format!("{domain:?} is not a DNS name such as \"app.example.com\" or \"*.example.com\"."),
            );
        }
    }
    for (i, name) in ingress.additional_domains.iter().enumerate() {
        if !is_domain_name(name) {
            diags.error_at(
                path(&["additional_domains"]).index(i as i64),
                "Invalid domain",
                format!(
                    "{name:?} is not a DNS name such as \"api.example.com\" or \"*.example.com\"."
                ),
            );
        }
    }
    if !ingress.additional_domains.is_empty() && ingress.domain.is_none() {
        diags.error_at(
            path(&["additional_domains"]),
            "Missing domain",
            "ingress.additional_domains are names of the certificate requested for ingress.domain; set ingress.domain too.",
        );
    }
    if let Some(arn) = &ingress.certificate_arn {
        let parts: Vec<&str> = arn.split(':').collect();
        let looks_right = parts.len() == 6
            && parts[0] == "arn"
            && parts[1].starts_with("aws")
            && parts[2] == "acm"
            && parts[5].starts_with("certificate/");
        if !looks_right {
            diags.error_at(
                path(&["certificate_arn"]),
                "Invalid certificate ARN",
                format!("{arn:?} is not an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)."),
            );
        }
    }
    if !ingress.tls_policy.starts_with("ELBSecurityPolicy-") {
        diags.error_at(
            path(&["tls_policy"]),
            "Invalid TLS policy",
            format!(
                "{:?} is not an ELB security policy name such as \"{DEFAULT_TLS_POLICY}\".",
                ingress.tls_policy
            ),
        );
    }
    if !(1..=4000).contains(&ingress.idle_timeout_seconds) {
        diags.error_at(
            path(&["idle_timeout"]),
            "Invalid idle timeout",
            format!(
                "Load balancers accept 1 to 4000 seconds, got {}.",
                ingress.idle_timeout_seconds
            ),
        );
    }
    if ingress.allowed_cidrs.is_empty() {
        diags.error_at(
            path(&["allowed_cidrs"]),
            "No allowed sources",
            "ingress.allowed_cidrs is empty, so nothing could reach the load balancer. Remove the ingress block or list at least one CIDR.",
        );
    }
    for (i, cidr) in ingress.allowed_cidrs.iter().enumerate() {
        if let Err(message) = Ipv4Cidr::parse(cidr) {
            diags.error_at(
                path(&["allowed_cidrs"]).index(i as i64),
                "Invalid CIDR",
                message,
            );
        }
    }
    diags
}

/// Names the certificate does not cover among `hosts` (plan-time, with the certificate's names
/// read from ACM).
pub fn uncovered_hosts<'a>(certificate_names: &[String], hosts: &[&'a str]) -> Vec<&'a str> {
    hosts
        .iter()
        .copied()
        .filter(|h| !certificate_names.iter().any(|n| certificate_covers(n, h)))
        .collect()
}

/// Checks of the resolved environment beyond the network layout: egress path, log retention,
/// capacity weights, endpoint names and the secret recovery window. Errors name the attribute.
pub fn validate_environment(spec: &EnvironmentSpec) -> Diagnostics {
    let mut diags = validate_network(&spec.network);
    let network = &spec.network;
    let interface = network.endpoints.interface_services();
    let has_interface_path = ESSENTIAL_INTERFACE_ENDPOINTS
        .iter()
        .all(|svc| interface.iter().any(|s| s == svc));
    if network.nat_mode == NatMode::None && !has_interface_path && !network.allow_no_egress {
        diags.error_at(
            AttrPath::attrs(&["network", "nat", "mode"]),
            "Private tier has no egress path",
            format!(
                "With network.nat.mode = \"none\" and network.vpc_endpoints.preset = \"{}\", tasks in the private subnets cannot pull images from ECR, read Secrets Manager or write logs: they would fail at start with ResourceInitializationError. Use a NAT mode, set network.vpc_endpoints.preset = \"essential\", or set network.allow_no_egress = true if that is intended.",
                network.endpoints.preset.as_str()
            ),
        );
    }
    if spec.tier == Tier::Prod && network.nat_mode == NatMode::Single {
        diags.warning_at(
            AttrPath::attrs(&["network", "nat", "mode"]),
            "Single NAT gateway in prod",
            "All private subnets share one NAT gateway: if its AZ fails, every AZ loses egress. The prod default is \"per_az\".",
        );
    }
    for (i, name) in network.endpoints.extra.iter().enumerate() {
        let path = AttrPath::attrs(&["network", "vpc_endpoints", "extra"]).index(i as i64);
        if !is_endpoint_service(name) {
            diags.error_at(
                path,
                "Invalid VPC endpoint service",
                format!("{name:?} is not a service suffix such as \"sqs\" or \"ecr.api\" (the part after com.amazonaws.<region>.)."),
            );
        } else if GATEWAY_ENDPOINTS.contains(&name.as_str()) {
            diags.error_at(
                path,
                "Invalid VPC endpoint service",
                format!("{name:?} is a gateway endpoint, which the \"gateway\" and \"essential\" presets already create."),
            );
        }
    }
    if network.flow_logs.enabled {
        check_retention(
            network.flow_logs.retention_days,
            AttrPath::attrs(&["network", "flow_logs", "retention_days"]),
            &mut diags,
        );
    }
    check_retention(
        spec.logging.retention_days,
        AttrPath::attrs(&["logging", "retention_days"]),
        &mut diags,
    );
    let capacity = spec.cluster.capacity;
    if capacity.fargate_weight == 0 && capacity.spot_weight == 0 {
        diags.error_at(
            AttrPath::attrs(&["cluster", "capacity", "fargate_weight"]),
            "Invalid capacity strategy",
            "At least one of cluster.capacity.fargate_weight and spot_weight must be above 0.",
        );
    }
    if capacity.base > 0 && capacity.fargate_weight == 0 {
        diags.error_at(
            AttrPath::attrs(&["cluster", "capacity", "base"]),
            "Invalid capacity strategy",
            "cluster.capacity.base places tasks on FARGATE, so fargate_weight must be above 0 too.",
        );
    }
    if let Some(ingress) = &spec.ingress {
        diags.extend(validate_ingress(ingress));
    }
    if let Some(discovery) = &spec.service_discovery {
        if !is_domain_name(&discovery.namespace) || discovery.namespace.starts_with("*.") {
            diags.error_at(
                AttrPath::attrs(&["service_discovery", "namespace"]),
                "Invalid namespace",
                format!("{:?} is not a DNS name: use two or more labels of a-z, 0-9 and '-', e.g. \"{}\".", discovery.namespace, default_namespace(&spec.name)),
            );
        }
    }
    let window = spec.secret_recovery_window_days;
    if window != 0 && !(7..=30).contains(&window) {
        diags.error_at(
            AttrPath::attrs(&["secret_recovery_window_days"]),
            "Invalid secret recovery window",
            format!("Secrets Manager accepts 0 (delete at once) or 7 to 30 days, got {window}."),
        );
    }
    diags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_spells_enums_as_their_names() {
        let spelled = |value: serde_json::Value| value.as_str().unwrap_or_default().to_string();
        for tier in [Tier::Dev, Tier::Staging, Tier::Prod] {
            assert_eq!(spelled(serde_json::to_value(tier).unwrap()), tier.as_str());
        }
        for mode in [NatMode::None, NatMode::Single, NatMode::PerAz] {
            assert_eq!(spelled(serde_json::to_value(mode).unwrap()), mode.as_str());
        }
        let presets = [
            EndpointPreset::None,
            EndpointPreset::Gateway,
            EndpointPreset::Essential,
        ];
        for (preset, name) in presets.iter().zip(EndpointPreset::NAMES) {
            assert_eq!(spelled(serde_json::to_value(preset).unwrap()), *name);
            assert_eq!(preset.as_str(), *name);
        }
    }

    #[test]
    fn certificate_coverage() {
        struct Case {
            reason: &'static str,
            name: &'static str,
            host: &'static str,
            covered: bool,
        }
        let cases = [
            Case {
                reason: "exact",
                name: "app.example.com",
                host: "app.example.com",
                covered: true,
            },
            Case {
                reason: "case",
                name: "App.Example.com",
                host: "app.EXAMPLE.com",
                covered: true,
            },
            Case {
                reason: "other name",
                name: "app.example.com",
                host: "api.example.com",
                covered: false,
            },
            Case {
                reason: "wildcard one label",
                name: "*.example.com",
                host: "api.example.com",
                covered: true,
            },
            Case {
                reason: "wildcard two labels",
                name: "*.example.com",
                host: "a.b.example.com",
                covered: false,
            },
            Case {
                reason: "wildcard apex",
                name: "*.example.com",
                host: "example.com",
                covered: false,
            },
            Case {
                reason: "wildcard itself",
                name: "*.example.com",
                host: "*.example.com",
                covered: true,
            },
        ];
        for case in cases {
            assert_eq!(
                certificate_covers(case.name, case.host),
                case.covered,
                "{}",
                case.reason
            );
        }
        let names = vec!["example.com".to_string(), "*.example.com".to_string()];
        assert_eq!(
            uncovered_hosts(
                &names,
                &["example.com", "www.example.com", "x.y.example.com"]
            ),
            vec!["x.y.example.com"]
        );
    }

    #[test]
    fn domain_names() {
        for ok in ["example.com", "*.example.com", "a-b.c.example.org"] {
            assert!(is_domain_name(ok), "{ok}");
        }
        for bad in [
            "",
            "localhost",
            "-a.com",
            "a..com",
            "a b.com",
            "*.*.com",
            "a.*.com",
        ] {
            assert!(!is_domain_name(bad), "{bad}");
        }
    }

    #[test]
    fn cidr_parsing() {
        assert_eq!(
            Ipv4Cidr::parse("10.0.0.0/16").unwrap().to_string(),
            "10.0.0.0/16"
        );
        let err = Ipv4Cidr::parse("10.0.0.1/16").unwrap_err();
        assert!(err.contains("10.0.0.0/16"), "{err}");
        assert!(Ipv4Cidr::parse("10.0.0.0").is_err());
        assert!(Ipv4Cidr::parse("10.0.0.0/33").is_err());
        assert!(Ipv4Cidr::parse("300.0.0.0/8").is_err());
        assert!(Ipv4Cidr::parse("").is_err());
        let a = Ipv4Cidr::parse("10.0.0.0/16").unwrap();
        let b = Ipv4Cidr::parse("10.0.4.0/24").unwrap();
        assert!(a.contains(b) && a.overlaps(b) && !b.contains(a));
        assert!(!b.overlaps(Ipv4Cidr::parse("10.0.5.0/24").unwrap()));
    }

    #[test]
    fn names() {
        struct Case {
            reason: &'static str,
            name: &'static str,
            ok: bool,
        }
        let cases = [
            Case {
                reason: "simple",
                name: "dev",
                ok: true,
            },
            Case {
                reason: "digits and dash",
                name: "prod-eu1",
                ok: true,
            },
            Case {
                reason: "empty",
                name: "",
                ok: false,
            },
            Case {
                reason: "one char",
                name: "a",
                ok: false,
            },
            Case {
                reason: "too long",
                name: "abcdefghijklmnopq",
                ok: false,
            },
            Case {
                reason: "uppercase",
                name: "Dev",
                ok: false,
            },
            Case {
                reason: "starts with digit",
                name: "1dev",
                ok: false,
            },
            Case {
                reason: "underscore",
                name: "dev_1",
                ok: false,
            },
            Case {
                reason: "trailing dash",
                name: "dev-",
                ok: false,
            },
            Case {
                reason: "double dash",
                name: "de--v",
                ok: false,
            },
        ];
        for case in cases {
            let d = validate_name(case.name, &AttrPath::attrs(&["name"]));
            assert_eq!(!d.has_errors(), case.ok, "{}", case.reason);
            if !case.ok {
                assert_eq!(
                    d.0[0].path,
                    Some(AttrPath::attrs(&["name"])),
                    "{}",
                    case.reason
                );
            }
        }
    }

    fn network(cidr: &str, azs: AzChoice, newbits: (u8, u8, u8)) -> NetworkSpec {
        NetworkSpec {
            cidr: Ipv4Cidr::parse(cidr).unwrap(),
            azs,
            newbits: SubnetNewbits {
                public: newbits.0,
                private: newbits.1,
                data: newbits.2,
            },
            nat_mode: NatMode::Single,
            allow_no_egress: false,
            endpoints: EndpointsSpec {
                preset: EndpointPreset::Gateway,
                extra: Vec::new(),
            },
            flow_logs: FlowLogsSpec {
                enabled: false,
                traffic_type: "REJECT".into(),
                retention_days: 30,
            },
        }
    }

    #[test]
    fn network_validation() {
        struct Case {
            reason: &'static str,
            input: NetworkSpec,
            want: Option<(&'static str, &'static str)>,
        }
        let cases = [
            Case {
                reason: "defaults fit",
                input: network("10.0.0.0/16", AzChoice::Count(6), (8, 4, 8)),
                want: None,
            },
            Case {
                reason: "too few AZs",
                input: network("10.0.0.0/16", AzChoice::Count(1), (8, 4, 8)),
                want: Some(("Invalid number of availability zones", "network.az_count")),
            },
            Case {
                reason: "too many AZs",
                input: network("10.0.0.0/16", AzChoice::Count(7), (8, 4, 8)),
                want: Some(("Invalid number of availability zones", "network.az_count")),
            },
            Case {
                reason: "VPC too small",
                input: network("10.0.0.0/8", AzChoice::Count(2), (8, 4, 8)),
                want: Some(("Invalid VPC CIDR", "network.cidr")),
            },
            Case {
                reason: "subnets beyond /28 in two tiers: one diagnostic, on the CIDR",
                input: network("10.0.0.0/24", AzChoice::Count(2), (8, 4, 8)),
                want: Some(("VPC prefix too small for the subnets", "network.cidr")),
            },
            Case {
                reason: "subnets beyond /28 in one tier: on its newbits",
                input: network("10.0.0.0/24", AzChoice::Count(2), (4, 4, 8)),
                want: Some((
                    "VPC prefix too small for the subnets",
                    "network.subnet_newbits.data",
                )),
            },
            Case {
                reason: "layout does not fit",
                input: network("10.0.0.0/16", AzChoice::Count(6), (8, 2, 8)),
                want: Some(("VPC prefix too small for the subnets", "network.cidr")),
            },
            Case {
                reason: "duplicate AZ",
                input: network(
                    "10.0.0.0/16",
                    AzChoice::Ids(vec!["a".into(), "a".into()]),
                    (8, 4, 8),
                ),
                want: Some(("Duplicate availability zone", "network.az_ids[1]")),
            },
        ];
        for case in cases {
            let d = validate_network(&case.input);
            match case.want {
                None => assert!(!d.has_errors(), "{}: {:?}", case.reason, d),
                Some((summary, path)) => {
                    let first =
                        d.0.first()
                            .unwrap_or_else(|| panic!("{}: no diagnostic", case.reason));
                    assert_eq!(first.summary, summary, "{}", case.reason);
                    assert_eq!(
                        first.path.as_ref().unwrap().to_string(),
                        path,
                        "{}",
                        case.reason
                    );
                }
            }
        }
    }
}
