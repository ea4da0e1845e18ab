//! `platform_environment`'s typed configuration and state: configuration → `EnvironmentSpec`
//! (tier defaults, validation with attribute paths), and ledger → state. Pure: no AWS calls.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::framework::diag::{Diagnostic, Diagnostics, Severity};
use crate::framework::path::AttrPath;
use crate::framework::resource::read_errors;
use crate::framework::value::de::{self, Unjudged};
use crate::framework::value::{ser, Planned, Value};
use crate::plan::cost::estimate;
use crate::plan::diff::Op;
use crate::plan::expand::environment::{
    data_subnet_group_name, effective_config, environment_log_group_name, flow_log_group_name,
    Expansion,
};
use crate::plan::node::{Kind, NodeKey, SubnetTier, Tags};
use crate::plan::spec::{
    self, AzChoice, EndpointPreset, EnvironmentSpec, Ipv4Cidr, NatMode, ServiceDiscoverySpec, Tier,
};
use crate::plan::tiers::{ingress_defaults, TierDefaults};
use crate::resources::ids::Ids;
use crate::resources::tags::{merged_tags, validate_tags};
use crate::resources::timeouts::Timeouts;

use super::{schema, written};

/// The arguments of `platform_environment`, as written. `None` is null (or, read by validate,
/// not known yet).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentConfig {
    pub name: Option<String>,
    pub tier: Option<Tier>,
    pub tags: Option<BTreeMap<String, String>>,
    pub deletion_protection: Option<bool>,
    pub secret_recovery_window_days: Option<u32>,
    pub network: Option<NetworkConfig>,
    pub cluster: Option<ClusterConfig>,
    pub logging: Option<LoggingConfig>,
    pub ingress: Option<IngressConfig>,
    pub service_discovery: Option<ServiceDiscoveryConfig>,
    pub timeouts: Option<Timeouts>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceDiscoveryConfig {
    pub namespace: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkConfig {
    pub cidr: Option<String>,
    pub az_count: Option<u32>,
    pub az_ids: Option<Vec<String>>,
    pub allow_no_egress: Option<bool>,
    pub subnet_newbits: Option<SubnetNewbitsConfig>,
    pub nat: Option<NatConfig>,
    pub vpc_endpoints: Option<VpcEndpointsConfig>,
    pub flow_logs: Option<FlowLogsConfig>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubnetNewbitsConfig {
    pub public: Option<u8>,
    pub private: Option<u8>,
    pub data: Option<u8>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NatConfig {
    pub mode: Option<NatMode>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpcEndpointsConfig {
    pub preset: Option<EndpointPreset>,
    pub extra: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowLogsConfig {
    pub enabled: Option<bool>,
    pub traffic_type: Option<String>,
    pub retention_days: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterConfig {
    pub container_insights: Option<String>,
    pub capacity: Option<CapacityConfig>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapacityConfig {
    pub fargate_weight: Option<u32>,
    pub spot_weight: Option<u32>,
    pub base: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggingConfig {
    pub retention_days: Option<u32>,
    pub kms_key_arn: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scheme {
    #[serde(rename = "internet-facing")]
    InternetFacing,
    #[serde(rename = "internal")]
    Internal,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngressConfig {
    pub scheme: Option<Scheme>,
    pub domain: Option<String>,
    pub additional_domains: Option<Vec<String>>,
    pub certificate_arn: Option<String>,
    pub tls_policy: Option<String>,
    pub http_to_https: Option<bool>,
    pub idle_timeout: Option<u32>,
    pub allowed_cidrs: Option<Vec<String>>,
    pub drop_invalid_headers: Option<bool>,
}

/// What the prior state says of the environment, for destroy and refresh.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct PriorState {
    pub name: Option<String>,
    pub drift: Option<Vec<String>>,
    pub effective_config: Option<BTreeMap<String, String>>,
}

impl PriorState {
    /// Destroy is refused while the resolved setting (the prod default included) is on.
    pub fn deletion_protected(&self) -> bool {
        self.effective_config
            .as_ref()
            .and_then(|c| c.get("deletion_protection"))
            .is_some_and(|v| v == "true")
    }

    /// Whether the last refresh found changes made outside Terraform.
    pub fn has_drift(&self) -> bool {
        self.drift.as_ref().is_some_and(|d| !d.is_empty())
    }
}

/// A wholly known configuration as the typed model, or why it cannot be one.
///
/// # Errors
/// A value that does not fit, at its attribute.
pub fn read_config(config: &Value) -> Result<EnvironmentConfig, Diagnostic> {
    de::from_value(config).map_err(Diagnostic::from)
}

/// The configuration held by a state (prior state, or the one an import starts from).
///
/// # Errors
/// A state the model cannot read.
pub fn read_state(state: &Value) -> Result<(EnvironmentConfig, PriorState), Diagnostic> {
    let config = de::from_value(state).map_err(Diagnostic::from)?;
    let prior = de::from_value(state).map_err(Diagnostic::from)?;
    Ok((config, prior))
}

/// Reads the configuration into a spec. Returns `None` (without errors) while values the spec
/// needs are still unknown; checks needing them wait for apply.
pub fn parse_config(config: &Value, default_tags: &Tags) -> (Option<EnvironmentSpec>, Diagnostics) {
    if !config.is_wholly_known() {
        // Judge what is known, then defer.
        return (None, validate(config, default_tags));
    }
    match read_config(config) {
        Ok(config) => resolve(&config, &Unjudged::none(), default_tags),
        Err(d) => (None, d.into()),
    }
}

/// ValidateResourceConfig: every check that needs no AWS call, on what is known. Values the
/// typed model cannot read are reported unless the schema's validators already reject them.
/// Only errors: warnings wait for plan, so they are shown once.
pub fn validate(config: &Value, default_tags: &Tags) -> Diagnostics {
    let read = match de::from_known_part::<EnvironmentConfig>(config) {
        Ok(read) => read,
        Err(e) => return Diagnostic::from(e).into(),
    };
    let mut diags = read_errors(&schema::schema().block, config, read.errors.clone());
    let mut own = check_known(&read.value, &read.unjudged);
    if read.unjudged.is_empty() && !own.has_errors() {
        // Everything is known: tier defaults are merged the way plan does, so layout errors
        // show at validate.
        own = resolve(&read.value, &read.unjudged, default_tags).1;
    }
    diags.extend(own);
    Diagnostics(
        diags
            .0
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .collect(),
    )
}

/// A wholly known configuration's spec, with the tier's defaults, and its diagnostics (`None`
/// when one is an error).
pub fn spec_of(
    config: &EnvironmentConfig,
    default_tags: &Tags,
) -> (Option<EnvironmentSpec>, Diagnostics) {
    resolve(config, &Unjudged::none(), default_tags)
}

/// Checks of the configuration alone, then the spec with the tier's defaults and its
/// validation. `None` when a check fails.
fn resolve(
    config: &EnvironmentConfig,
    unjudged: &Unjudged,
    default_tags: &Tags,
) -> (Option<EnvironmentSpec>, Diagnostics) {
    let mut diags = check_known(config, unjudged);
    if diags.has_errors() {
        return (None, diags);
    }
    let Some(tier) = config.tier else {
        return (None, diags);
    };
    let name = config.name.clone().unwrap_or_default();
    let defaults = TierDefaults::for_tier(tier);
    let mut spec = defaults.environment(&name, tier);
    let network = config.network.clone().unwrap_or_default();
    if let Some(cidr) = &network.cidr {
        match Ipv4Cidr::parse(cidr) {
            Ok(c) => spec.network.cidr = c,
            // check_known reported it.
            Err(_) => return (None, diags),
        }
    }
    let newbits = network.subnet_newbits.unwrap_or_default();
    let spec_newbits = &mut spec.network.newbits;
    spec_newbits.public = newbits.public.unwrap_or(spec_newbits.public);
    spec_newbits.private = newbits.private.unwrap_or(spec_newbits.private);
    spec_newbits.data = newbits.data.unwrap_or(spec_newbits.data);
    spec.network.azs = match network.az_ids {
        Some(ids) => AzChoice::Ids(ids),
        None => AzChoice::Count(network.az_count.map_or(defaults.az_count, |n| n as usize)),
    };
    if let Some(mode) = network.nat.and_then(|nat| nat.mode) {
        spec.network.nat_mode = mode;
    }
    if let Some(allow) = network.allow_no_egress {
        spec.network.allow_no_egress = allow;
    }
    let endpoints = network.vpc_endpoints.unwrap_or_default();
    if let Some(preset) = endpoints.preset {
        spec.network.endpoints.preset = preset;
    }
    if let Some(extra) = endpoints.extra {
        spec.network.endpoints.extra = sorted_unique(extra);
    }
    let flow = network.flow_logs.unwrap_or_default();
    let flow_logs = &mut spec.network.flow_logs;
    flow_logs.enabled = flow.enabled.unwrap_or(flow_logs.enabled);
    if let Some(traffic) = flow.traffic_type {
        flow_logs.traffic_type = traffic;
    }
    flow_logs.retention_days = flow.retention_days.unwrap_or(flow_logs.retention_days);
    let cluster = config.cluster.clone().unwrap_or_default();
    if let Some(insights) = cluster.container_insights {
        spec.cluster.container_insights = insights;
    }
    let capacity = cluster.capacity.unwrap_or_default();
    let spec_capacity = &mut spec.cluster.capacity;
    spec_capacity.fargate_weight = capacity
        .fargate_weight
        .unwrap_or(spec_capacity.fargate_weight);
    spec_capacity.spot_weight = capacity.spot_weight.unwrap_or(spec_capacity.spot_weight);
    spec_capacity.base = capacity.base.unwrap_or(spec_capacity.base);
    let logging = config.logging.clone().unwrap_or_default();
    spec.logging.retention_days = logging
        .retention_days
        .unwrap_or(spec.logging.retention_days);
    spec.logging.kms_key_arn = logging.kms_key_arn;
    spec.deletion_protection = config
        .deletion_protection
        .unwrap_or(spec.deletion_protection);
    spec.secret_recovery_window_days = config
        .secret_recovery_window_days
        .unwrap_or(spec.secret_recovery_window_days);
    spec.ingress = config.ingress.clone().map(|ingress| {
        let mut resolved = ingress_defaults();
        if let Some(scheme) = ingress.scheme {
            resolved.internal = scheme == Scheme::Internal;
        }
        resolved.domain = ingress.domain;
        resolved.certificate_arn = ingress.certificate_arn;
        if let Some(names) = ingress.additional_domains {
            resolved.additional_domains = sorted_unique(names);
        }
        if let Some(policy) = ingress.tls_policy {
            resolved.tls_policy = policy;
        }
        resolved.http_to_https = ingress.http_to_https.unwrap_or(resolved.http_to_https);
        resolved.idle_timeout_seconds = ingress
            .idle_timeout
            .unwrap_or(resolved.idle_timeout_seconds);
        if let Some(cidrs) = ingress.allowed_cidrs {
            resolved.allowed_cidrs = sorted_unique(cidrs);
        }
        resolved.drop_invalid_headers = ingress
            .drop_invalid_headers
            .unwrap_or(resolved.drop_invalid_headers);
        resolved
    });
    spec.service_discovery =
        config
            .service_discovery
            .as_ref()
            .map(|discovery| ServiceDiscoverySpec {
                namespace: discovery
                    .namespace
                    .clone()
                    .unwrap_or_else(|| spec::default_namespace(&name)),
            });
    spec.tags = merged_tags(default_tags, config.tags.as_ref());
    spec.written = match written::encode(config) {
        Ok(text) => text,
        Err(d) => {
            diags.push(d);
            return (None, diags);
        }
    };
    diags.extend(spec::validate_environment(&spec));
    if diags.has_errors() {
        return (None, diags);
    }
    (Some(spec), diags)
}

/// Order carries no meaning where these lists are used.
fn sorted_unique(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items.dedup();
    items
}

/// Every check of the configuration alone, on whatever is known.
fn check_known(config: &EnvironmentConfig, unjudged: &Unjudged) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if let Some(name) = &config.name {
        diags.extend(spec::validate_name(name, &AttrPath::attrs(&["name"])));
    }
    if let Some(tags) = &config.tags {
        diags.extend(validate_tags(tags, &AttrPath::attrs(&["tags"])));
    }
    let network = config.network.clone().unwrap_or_default();
    if let Some(cidr) = &network.cidr {
        if let Err(message) = Ipv4Cidr::parse(cidr) {
            diags.error_at(
                AttrPath::attrs(&["network", "cidr"]),
                "Invalid VPC CIDR",
                message,
            );
        }
    }
    // Set means not null: an unknown value is set too.
    let set = |value: bool, names: &[&str]| value || unjudged.holds(&AttrPath::attrs(names));
    if set(network.az_count.is_some(), &["network", "az_count"])
        && set(network.az_ids.is_some(), &["network", "az_ids"])
    {
        diags.error_at(
            AttrPath::attrs(&["network", "az_ids"]),
            "Conflicting arguments",
            "Set either network.az_count or network.az_ids, not both.",
        );
    }
    if let Some(ids) = &network.az_ids {
        if !(2..=6).contains(&ids.len()) {
            diags.error_at(
                AttrPath::attrs(&["network", "az_ids"]),
                "Invalid number of availability zones",
                format!(
                    "network.az_ids must list 2 to 6 availability zones, got {}.",
                    ids.len()
                ),
            );
        }
    }
    if let Some(timeouts) = &config.timeouts {
        diags.extend(timeouts.check());
    }
    diags
}

/// Outputs read from AWS beside the ledger (addresses, DNS names, certificate status), or
/// planned: the prior value when its child is unchanged, unknown otherwise. Also how the prior
/// state holds them (null where an older state lacks one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveFacts {
    pub nat_public_ips: Planned<Option<Vec<String>>>,
    pub load_balancer_dns_name: Planned<Option<String>>,
    pub load_balancer_zone_id: Planned<Option<String>>,
    pub certificate_status: Planned<Option<String>>,
    pub certificate_validation_records: Planned<Option<Vec<ValidationRecord>>>,
    pub service_discovery_namespace_arn: Planned<Option<String>>,
}

/// A DNS record that validates a requested certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationRecord {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

impl LiveFacts {
    /// Facts of an environment without NAT or ingress, and the shape of each when absent.
    pub fn empty() -> LiveFacts {
        let empty = || Planned::Known(Some(String::new()));
        LiveFacts {
            nat_public_ips: Planned::Known(Some(Vec::new())),
            load_balancer_dns_name: empty(),
            load_balancer_zone_id: empty(),
            certificate_status: empty(),
            certificate_validation_records: Planned::Known(Some(Vec::new())),
            service_discovery_namespace_arn: empty(),
        }
    }

    /// The facts a prior state records; `None` on create.
    ///
    /// # Errors
    /// A prior state the model cannot read.
    pub fn of_prior(prior_state: &Value) -> Result<Option<LiveFacts>, Diagnostic> {
        if prior_state.is_null() {
            return Ok(None);
        }
        de::from_value(prior_state)
            .map(Some)
            .map_err(Diagnostic::from)
    }

    /// At plan: a fact keeps its prior value while the children it comes from stay (no-op or
    /// in-place update); otherwise it is unknown until apply.
    pub fn planned(prior: Option<&LiveFacts>, expansion: &Expansion, ops: &[Op]) -> LiveFacts {
        let stays = |keys: &[NodeKey]| {
            prior.is_some()
                && keys.iter().all(|key| {
                    ops.iter()
                        .any(|op| matches!(op, Op::NoOp(k) | Op::Update(k) if k == key))
                })
        };
        fn prior_or_unknown<T: Clone>(
            stays: bool,
            prior: Option<&LiveFacts>,
            fact: impl Fn(&LiveFacts) -> &Planned<T>,
        ) -> Planned<T> {
            match prior {
                Some(prior) if stays => fact(prior).clone(),
                Some(_) | None => Planned::Unknown,
            }
        }
        let mut facts = LiveFacts::empty();
        let eips = nat_eip_keys(expansion);
        // Without NAT the list is known to be empty (not the prior one, not unknown).
        if !eips.is_empty() {
            facts.nat_public_ips = prior_or_unknown(stays(&eips), prior, |f| &f.nat_public_ips);
        }
        let lb = NodeKey::new(Kind::LoadBalancer, &[]);
        if expansion.nodes.contains_key(&lb) {
            let lb_stays = stays(std::slice::from_ref(&lb));
            facts.load_balancer_dns_name =
                prior_or_unknown(lb_stays, prior, |f| &f.load_balancer_dns_name);
            facts.load_balancer_zone_id =
                prior_or_unknown(lb_stays, prior, |f| &f.load_balancer_zone_id);
            // The certificate's facts follow the listener using it (and the requested one).
            let mut keys = vec![NodeKey::new(Kind::Listener, &["https"])];
            let cert = NodeKey::new(Kind::Certificate, &[]);
            if expansion.nodes.contains_key(&cert) {
                keys.push(cert);
            }
            let cert_stays = stays(&keys);
            facts.certificate_status =
                prior_or_unknown(cert_stays, prior, |f| &f.certificate_status);
            facts.certificate_validation_records =
                prior_or_unknown(cert_stays, prior, |f| &f.certificate_validation_records);
        }
        let namespace = NodeKey::new(Kind::PrivateDnsNamespace, &[]);
        if expansion.nodes.contains_key(&namespace) {
            facts.service_discovery_namespace_arn =
                prior_or_unknown(stays(std::slice::from_ref(&namespace)), prior, |f| {
                    &f.service_discovery_namespace_arn
                });
        }
        facts
    }
}

/// The certificate the HTTPS listener uses: the requested child's ARN or the user's; empty
/// without ingress.
pub fn certificate_arn(spec: &EnvironmentSpec, ids: &Ids<'_>) -> Planned<Option<String>> {
    match &spec.ingress {
        None => Planned::Known(Some(String::new())),
        Some(ingress) => match &ingress.certificate_arn {
            Some(arn) => Planned::Known(Some(arn.clone())),
            None => ids.id(&NodeKey::new(Kind::Certificate, &[])),
        },
    }
}

type PlannedId = Planned<Option<String>>;

/// The state: the configuration as written, the live facts, and what the ledger and spec
/// decide.
#[derive(Debug, Serialize)]
struct EnvironmentState<'a> {
    #[serde(flatten)]
    config: &'a EnvironmentConfig,
    #[serde(flatten)]
    facts: &'a LiveFacts,
    id: &'a str,
    vpc_id: PlannedId,
    vpc_cidr: String,
    az_ids: &'a [String],
    public_subnet_ids: Vec<PlannedId>,
    private_subnet_ids: Vec<PlannedId>,
    data_subnet_ids: Vec<PlannedId>,
    subnet_ids_by_az: BTreeMap<String, PlannedId>,
    subnet_cidrs_by_az: &'a BTreeMap<String, String>,
    internet_gateway_id: PlannedId,
    nat_gateway_ids: Vec<PlannedId>,
    load_balancer_arn: PlannedId,
    https_listener_arn: PlannedId,
    http_listener_arn: PlannedId,
    certificate_arn: PlannedId,
    resources: BTreeMap<String, PlannedId>,
    security_group_ids: BTreeMap<String, PlannedId>,
    vpc_endpoint_ids: BTreeMap<String, PlannedId>,
    cluster_name: &'a str,
    cluster_arn: PlannedId,
    service_discovery_namespace_id: PlannedId,
    service_discovery_namespace_name: String,
    log_group_name: String,
    flow_log_group_name: String,
    db_subnet_group_name: String,
    cache_subnet_group_name: String,
    estimated_monthly_cost_usd: f64,
    cost_breakdown: BTreeMap<String, f64>,
    drift: Vec<String>,
    effective_config: BTreeMap<String, String>,
}

/// Builds the full state: configuration as written, plus computed attributes.
///
/// # Errors
/// A state the schema has no place for: a bug in the model, which its tests catch.
pub fn state(
    config: &EnvironmentConfig,
    spec: &EnvironmentSpec,
    expansion: &Expansion,
    ids: &Ids<'_>,
    facts: &LiveFacts,
    drift: Vec<String>,
) -> Result<Value, Diagnostic> {
    let mut sorted_azs = expansion.az_order.clone();
    sorted_azs.sort();
    let subnet_ids = |tier: SubnetTier| -> Vec<PlannedId> {
        sorted_azs
            .iter()
            .map(|az| ids.id(&NodeKey::new(Kind::Subnet, &[tier.as_str(), az])))
            .collect()
    };
    let mut subnet_ids_by_az = BTreeMap::new();
    for tier in SubnetTier::ALL {
        for (az, id) in sorted_azs.iter().zip(subnet_ids(tier)) {
            subnet_ids_by_az.insert(format!("{}/{az}", tier.as_str()), id);
        }
    }
    // Ingress outputs are empty strings without an ingress block, so references stay valid.
    let id_or_empty = |key: NodeKey| {
        if expansion.nodes.contains_key(&key) {
            ids.id(&key)
        } else {
            Planned::Known(Some(String::new()))
        }
    };
    let mut resources: BTreeMap<String, PlannedId> = expansion
        .nodes
        .keys()
        .map(|k| (k.to_string(), ids.id(k)))
        .collect();
    match ids {
        // Children still recorded but no longer wanted stay listed until deleted.
        Ids::Recorded(ledger) => resources.extend(
            ledger
                .children
                .iter()
                .filter(|(k, _)| !expansion.nodes.contains_key(*k))
                .map(|(k, r)| (k.to_string(), Planned::Known(Some(r.id.clone())))),
        ),
        Ids::Planned(..) => {}
    }
    let by_qualifier = |kind: Kind| -> BTreeMap<String, PlannedId> {
        expansion
            .nodes
            .keys()
            .filter(|k| k.kind() == Some(kind))
            .map(|k| {
                let qualifier = k.as_str().split_once('/').map_or("", |(_, q)| q);
                (qualifier.to_string(), ids.id(k))
            })
            .collect()
    };
    let cost = estimate(&expansion.nodes);
    let state = EnvironmentState {
        config,
        facts,
        id: &spec.name,
        vpc_id: ids.id(&NodeKey::new(Kind::Vpc, &[])),
        vpc_cidr: spec.network.cidr.to_string(),
        az_ids: &expansion.az_order,
        public_subnet_ids: subnet_ids(SubnetTier::Public),
        private_subnet_ids: subnet_ids(SubnetTier::Private),
        data_subnet_ids: subnet_ids(SubnetTier::Data),
        subnet_ids_by_az,
        subnet_cidrs_by_az: &expansion.subnet_cidrs,
        internet_gateway_id: ids.id(&NodeKey::new(Kind::InternetGateway, &[])),
        nat_gateway_ids: sorted_azs
            .iter()
            .map(|az| NodeKey::new(Kind::NatGateway, &[az]))
            .filter(|k| expansion.nodes.contains_key(k))
            .map(|k| ids.id(&k))
            .collect(),
        load_balancer_arn: id_or_empty(NodeKey::new(Kind::LoadBalancer, &[])),
        https_listener_arn: id_or_empty(NodeKey::new(Kind::Listener, &["https"])),
        http_listener_arn: id_or_empty(NodeKey::new(Kind::Listener, &["http"])),
        certificate_arn: certificate_arn(spec, ids),
        resources,
        security_group_ids: by_qualifier(Kind::SecurityGroup),
        vpc_endpoint_ids: by_qualifier(Kind::VpcEndpoint),
        cluster_name: &spec.name,
        cluster_arn: ids.id(&NodeKey::new(Kind::EcsCluster, &[])),
        service_discovery_namespace_id: id_or_empty(NodeKey::new(Kind::PrivateDnsNamespace, &[])),
        service_discovery_namespace_name: spec
            .service_discovery
            .as_ref()
            .map(|d| d.namespace.clone())
            .unwrap_or_default(),
        log_group_name: environment_log_group_name(&spec.name),
        flow_log_group_name: if spec.network.flow_logs.enabled {
            flow_log_group_name(&spec.name)
        } else {
            String::new()
        },
        db_subnet_group_name: data_subnet_group_name(&spec.name),
        cache_subnet_group_name: data_subnet_group_name(&spec.name),
        estimated_monthly_cost_usd: cost.total_usd,
        cost_breakdown: cost.breakdown,
        drift,
        effective_config: effective_config(spec),
    };
    ser::to_value(&state, &schema::schema().value_type()).map_err(|e| {
        Diagnostic::error(
            "Building the environment's state",
            format!("The provider could not write the state ({e}); this is a bug."),
        )
    })
}

/// NAT EIP node keys of the expansion, ordered by AZ ID.
pub fn nat_eip_keys(expansion: &Expansion) -> Vec<NodeKey> {
    let mut azs = expansion.az_order.clone();
    azs.sort();
    azs.iter()
        .map(|az| NodeKey::new(Kind::ElasticIp, &["nat", az]))
        .filter(|k| expansion.nodes.contains_key(k))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::value::json;
    use crate::plan::expand::environment::expand_environment;
    use crate::plan::ledger::Ledger;
    use crate::plan::spec::{RegionFacts, Zone};

    fn expansion(spec: &EnvironmentSpec) -> Expansion {
        let facts = RegionFacts {
            region: "us-east-1".into(),
            zones: (1..=3)
                .map(|i| Zone {
                    name: format!("us-east-1{}", (b'a' + i as u8) as char),
                    id: format!("use1-az{i}"),
                })
                .collect(),
        };
        expand_environment(spec, &facts, &Ledger::new()).0
    }

    fn config(json_text: &str) -> Value {
        json::decode(
            &serde_json::from_str(json_text).unwrap(),
            &schema::schema().value_type(),
        )
        .unwrap()
    }

    #[test]
    fn the_model_matches_the_schema() {
        let ty = schema::schema().value_type();
        assert_eq!(
            de::check_fields::<EnvironmentConfig>(&ty),
            Vec::<String>::new()
        );
        assert_eq!(de::check_fields::<PriorState>(&ty), Vec::<String>::new());
        assert_eq!(de::check_fields::<LiveFacts>(&ty), Vec::<String>::new());
    }

    #[test]
    fn the_state_carries_the_configuration_as_written() {
        let written = config(
            r#"{"name":"prod","tier":"prod","tags":{"team":"core"},
                "network":{"cidr":"10.1.0.0/16","az_ids":["use1-az1","use1-az2"],
                           "subnet_newbits":{"public":8},"nat":{"mode":"single"},
                           "vpc_endpoints":{"preset":"essential","extra":["sqs"]},
                           "flow_logs":{"retention_days":90}},
                "cluster":{"capacity":{"base":2}},
                "ingress":{"scheme":"internal","domain":"app.example.com","idle_timeout":30},
                "timeouts":{"create":"1h"}}"#,
        );
        let (spec, diags) = parse_config(&written, &Tags::new());
        let spec = spec.unwrap_or_else(|| panic!("{diags:?}"));
        let typed = read_config(&written).unwrap();
        let expansion = expansion(&spec);
        let ops: Vec<Op> = expansion.nodes.keys().cloned().map(Op::Create).collect();
        let ledger = Ledger::new();
        let state = state(
            &typed,
            &spec,
            &expansion,
            &Ids::Planned(&ledger, &ops),
            &LiveFacts::planned(None, &expansion, &ops),
            Vec::new(),
        )
        .unwrap();
        let ty = schema::schema().value_type();
        let crate::framework::value::Type::Object(attrs) = &ty else {
            panic!("an object type");
        };
        assert_eq!(state.as_entries().unwrap().len(), attrs.len());
        for name in [
            "name",
            "tier",
            "tags",
            "deletion_protection",
            "network",
            "cluster",
            "logging",
            "ingress",
            "timeouts",
        ] {
            assert_eq!(state.get(name), written.get(name), "{name}");
        }
        assert_eq!(state.get("id"), &Value::string("prod"));
        assert_eq!(state.get("vpc_id"), &Value::Unknown);
        assert_eq!(state.get("vpc_cidr"), &Value::string("10.1.0.0/16"));
        assert_eq!(state.get("nat_public_ips"), &Value::Unknown);
        assert_eq!(state.get("load_balancer_dns_name"), &Value::Unknown);
        assert_eq!(state.get("http_listener_arn"), &Value::Unknown);
        assert_eq!(state.get("drift"), &Value::List(Vec::new()));
    }

    #[test]
    fn validate_judges_only_what_is_known() {
        let mut partly = config(r#"{"name":"Bad_Name","tier":"dev","network":{"az_count":2}}"#);
        let mut network = partly.get("network").clone();
        network.set("az_ids", Value::Unknown);
        partly.set("network", network);
        partly.set("tier", Value::Unknown);
        let diags = validate(&partly, &Tags::new());
        let summaries: Vec<&str> = diags.0.iter().map(|d| d.summary.as_str()).collect();
        // An unknown az_ids is still set, so it conflicts with az_count.
        assert_eq!(
            summaries,
            ["Invalid environment name", "Conflicting arguments"]
        );
        let (spec, diags) = parse_config(&partly, &Tags::new());
        assert!(spec.is_none());
        assert_eq!(diags.0.len(), 2);
    }

    #[test]
    fn an_unknown_block_sets_nothing_in_it() {
        let mut partly = config(r#"{"name":"env1","tier":"dev"}"#);
        partly.set("network", Value::Unknown);
        assert!(validate(&partly, &Tags::new()).is_empty());
    }

    #[test]
    fn values_the_model_cannot_read_are_left_to_validators_that_reject_them() {
        // az_count = 2.5 fits no count: the schema's IntBetween says so, once.
        let mut bad = config(r#"{"name":"env1","tier":"dev","network":{}}"#);
        let mut network = bad.get("network").clone();
        network.set(
            "az_count",
            Value::Number(crate::framework::value::Number::parse("2.5").unwrap()),
        );
        bad.set("network", network);
        bad.set("name", Value::string("Bad_Name"));
        let diags = validate(&bad, &Tags::new());
        let summaries: Vec<&str> = diags.0.iter().map(|d| d.summary.as_str()).collect();
        assert_eq!(summaries, ["Invalid environment name"]);
    }

    #[test]
    fn planned_facts_follow_their_children() {
        let mut spec = TierDefaults::for_tier(Tier::Dev).environment("env1", Tier::Dev);
        let mut prior = LiveFacts::empty();
        prior.nat_public_ips = Planned::Known(Some(vec!["1.2.3.4".to_string()]));
        // NAT kept: the prior addresses stay.
        let with_nat = expansion(&spec);
        let no_ops: Vec<Op> = with_nat.nodes.keys().cloned().map(Op::NoOp).collect();
        let facts = LiveFacts::planned(Some(&prior), &with_nat, &no_ops);
        assert_eq!(
            facts.nat_public_ips,
            Planned::Known(Some(vec!["1.2.3.4".to_string()]))
        );
        // NAT created: unknown until apply.
        let creates: Vec<Op> = with_nat.nodes.keys().cloned().map(Op::Create).collect();
        let facts = LiveFacts::planned(None, &with_nat, &creates);
        assert_eq!(facts.nat_public_ips, Planned::Unknown);
        // NAT removed (or never there): known empty, whatever the prior said.
        spec.network.nat_mode = NatMode::None;
        let without = expansion(&spec);
        for prior in [Some(&prior), None] {
            let facts = LiveFacts::planned(prior, &without, &[]);
            assert_eq!(facts.nat_public_ips, Planned::Known(Some(Vec::new())));
        }
        // No ingress: the load balancer facts are empty strings.
        assert_eq!(
            LiveFacts::planned(Some(&prior), &without, &[]).load_balancer_dns_name,
            Planned::Known(Some(String::new()))
        );
        // Facts read back from a prior state.
        let mut state = Value::Object(Default::default());
        state.set("nat_public_ips", Value::string_list(["1.2.3.4"]));
        let read = LiveFacts::of_prior(&state).unwrap().unwrap();
        assert_eq!(read.nat_public_ips, prior.nat_public_ips);
        assert_eq!(read.certificate_status, Planned::Known(None));
        assert_eq!(LiveFacts::of_prior(&Value::Null).unwrap(), None);
    }
}
