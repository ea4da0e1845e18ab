//! Configuration → `EnvironmentSpec`, and ledger → state, for `platform_environment`.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::framework::diag::Diagnostics;
use crate::framework::path::AttrPath;
use crate::framework::value::Number;
use crate::framework::value::Value;
use crate::plan::cost::estimate;
use crate::plan::diff::Op;
use crate::plan::expand::environment::{
    data_subnet_group_name, effective_config, environment_log_group_name, flow_log_group_name,
    Expansion,
};
use crate::plan::ledger::Ledger;
use crate::plan::node::{Kind, NodeKey, SubnetTier, Tags};
use crate::plan::spec::{self, AzChoice, EndpointPreset, EnvironmentSpec, Ipv4Cidr, NatMode, Tier};
use crate::plan::tiers::{ingress_defaults, TierDefaults};

/// Default for each entry of the `timeouts` block.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

fn path(names: &[&str]) -> AttrPath {
    AttrPath::attrs(names)
}

fn known_str(value: &Value) -> Option<&str> {
    value.as_str()
}

fn small_int(value: &Value) -> Option<i64> {
    value.as_number().and_then(|n| n.to_i64())
}

/// A known list of strings, sorted and unique (order carries no meaning where it is used).
fn string_list(value: &Value) -> Option<Vec<String>> {
    let mut items: Vec<String> = value
        .as_elements()?
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    items.sort();
    items.dedup();
    Some(items)
}

/// A whole, non-negative number that fits u32; anything else counts as unset (the schema's
/// validators or `validate_known` report it).
fn small_u32(value: &Value) -> Option<u32> {
    small_int(value).and_then(|n| u32::try_from(n).ok())
}

/// Reads the configuration into a spec. Returns `None` (without errors) while values the spec
/// needs are still unknown; checks needing them wait for apply.
pub fn parse_config(config: &Value, default_tags: &Tags) -> (Option<EnvironmentSpec>, Diagnostics) {
    let mut diags = Diagnostics::new();
    if !config.is_wholly_known() {
        // Validate what is known, then defer.
        diags.extend(validate_known(config));
        return (None, diags);
    }
    diags.extend(validate_known(config));
    if diags.has_errors() {
        return (None, diags);
    }
    let name = known_str(config.get("name"))
        .unwrap_or_default()
        .to_string();
    let tier = match known_str(config.get("tier")).and_then(Tier::parse) {
        Some(t) => t,
        None => return (None, diags),
    };
    let defaults = TierDefaults::for_tier(tier);
    let mut spec = defaults.environment(&name, tier);
    let network = config.get("network");
    if let Some(cidr) = known_str(network.get("cidr")) {
        match Ipv4Cidr::parse(cidr) {
            Ok(c) => spec.network.cidr = c,
            Err(_) => return (None, diags),
        }
    }
    let newbits_block = network.get("subnet_newbits");
    let newbits = &mut spec.network.newbits;
    for (name, field) in [
        ("public", &mut newbits.public),
        ("private", &mut newbits.private),
        ("data", &mut newbits.data),
    ] {
        if let Some(n) = small_int(newbits_block.get(name)) {
            *field = n as u8;
        }
    }
    spec.network.azs = match network.get("az_ids").as_elements() {
        Some(ids) => AzChoice::Ids(
            ids.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
        ),
        None => AzChoice::Count(
            small_int(network.get("az_count")).map_or(defaults.az_count, |n| n as usize),
        ),
    };
    if let Some(mode) = known_str(network.get("nat").get("mode")) {
        match NatMode::parse(mode) {
            Some(m) => spec.network.nat_mode = m,
            None => return (None, diags),
        }
    }
    if let Some(allow) = network.get("allow_no_egress").as_bool() {
        spec.network.allow_no_egress = allow;
    }
    let endpoints = network.get("vpc_endpoints");
    if let Some(preset) = known_str(endpoints.get("preset")) {
        match EndpointPreset::parse(preset) {
            Some(p) => spec.network.endpoints.preset = p,
            None => return (None, diags),
        }
    }
    if let Some(extra) = endpoints.get("extra").as_elements() {
        let mut extra: Vec<String> = extra
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        extra.sort();
        extra.dedup();
        spec.network.endpoints.extra = extra;
    }
    let flow = network.get("flow_logs");
    if let Some(enabled) = flow.get("enabled").as_bool() {
        spec.network.flow_logs.enabled = enabled;
    }
    if let Some(traffic) = known_str(flow.get("traffic_type")) {
        spec.network.flow_logs.traffic_type = traffic.to_string();
    }
    if let Some(days) = small_u32(flow.get("retention_days")) {
        spec.network.flow_logs.retention_days = days;
    }
    let cluster = config.get("cluster");
    if let Some(insights) = known_str(cluster.get("container_insights")) {
        spec.cluster.container_insights = insights.to_string();
    }
    let capacity = cluster.get("capacity");
    for (name, field) in [
        ("fargate_weight", &mut spec.cluster.capacity.fargate_weight),
        ("spot_weight", &mut spec.cluster.capacity.spot_weight),
        ("base", &mut spec.cluster.capacity.base),
    ] {
        if let Some(n) = small_u32(capacity.get(name)) {
            *field = n;
        }
    }
    let logging = config.get("logging");
    if let Some(days) = small_u32(logging.get("retention_days")) {
        spec.logging.retention_days = days;
    }
    spec.logging.kms_key_arn = known_str(logging.get("kms_key_arn")).map(str::to_string);
    if let Some(protect) = config.get("deletion_protection").as_bool() {
        spec.deletion_protection = protect;
    }
    if let Some(days) = small_u32(config.get("secret_recovery_window_days")) {
        spec.secret_recovery_window_days = days;
    }
    let ingress = config.get("ingress");
    if !ingress.is_null() {
        let mut spec_ingress = ingress_defaults();
        if let Some(scheme) = known_str(ingress.get("scheme")) {
            spec_ingress.internal = scheme == "internal";
        }
        spec_ingress.domain = known_str(ingress.get("domain")).map(str::to_string);
        spec_ingress.certificate_arn =
            known_str(ingress.get("certificate_arn")).map(str::to_string);
        if let Some(names) = string_list(ingress.get("additional_domains")) {
            spec_ingress.additional_domains = names;
        }
        if let Some(policy) = known_str(ingress.get("tls_policy")) {
            spec_ingress.tls_policy = policy.to_string();
        }
        if let Some(redirect) = ingress.get("http_to_https").as_bool() {
            spec_ingress.http_to_https = redirect;
        }
        if let Some(seconds) = small_u32(ingress.get("idle_timeout")) {
            spec_ingress.idle_timeout_seconds = seconds;
        }
        if let Some(cidrs) = string_list(ingress.get("allowed_cidrs")) {
            spec_ingress.allowed_cidrs = cidrs;
        }
        if let Some(drop) = ingress.get("drop_invalid_headers").as_bool() {
            spec_ingress.drop_invalid_headers = drop;
        }
        spec.ingress = Some(spec_ingress);
    }
    let mut tags = default_tags.clone();
    for (k, v) in config.get("tags").as_entries().into_iter().flatten() {
        if let Some(v) = v.as_str() {
            tags.insert(k.clone(), v.to_string());
        }
    }
    spec.tags = tags;
    spec.written = super::written::encode(config);
    diags.extend(spec::validate_environment(&spec));
    if diags.has_errors() {
        return (None, diags);
    }
    (Some(spec), diags)
}

/// Every check that needs no AWS call, on whatever is known.
pub fn validate_known(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if let Some(name) = known_str(config.get("name")) {
        diags.extend(spec::validate_name(name, &path(&["name"])));
    }
    diags.extend(crate::provider::validate_tags(
        config.get("tags"),
        &path(&["tags"]),
    ));
    let network = config.get("network");
    if let Some(cidr) = known_str(network.get("cidr")) {
        if let Err(message) = Ipv4Cidr::parse(cidr) {
            diags.error_at(path(&["network", "cidr"]), "Invalid VPC CIDR", message);
        }
    }
    if !network.get("az_count").is_null() && !network.get("az_ids").is_null() {
        diags.error_at(
            path(&["network", "az_ids"]),
            "Conflicting arguments",
            "Set either network.az_count or network.az_ids, not both.",
        );
    }
    if let Some(ids) = network.get("az_ids").as_elements() {
        if !(2..=6).contains(&ids.len()) {
            diags.error_at(
                path(&["network", "az_ids"]),
                "Invalid number of availability zones",
                format!(
                    "network.az_ids must list 2 to 6 availability zones, got {}.",
                    ids.len()
                ),
            );
        }
    }
    for name in ["create", "update", "delete"] {
        if let Some(text) = known_str(config.get("timeouts").get(name)) {
            if parse_duration(text).is_none() {
                diags.error_at(
                    path(&["timeouts", name]),
                    "Invalid timeout",
                    format!("{text:?} is not a duration such as \"30m\", \"1h30m\" or \"90s\"."),
                );
            }
        }
    }
    diags
}

/// Parses Go-style durations: `90s`, `30m`, `1h30m`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let mut total = 0u64;
    let mut digits = String::new();
    if text.is_empty() {
        return None;
    }
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: u64 = digits.parse().ok()?;
        digits.clear();
        total = total.checked_add(match c {
            'h' => n.checked_mul(3600)?,
            'm' => n.checked_mul(60)?,
            's' => n,
            _ => return None,
        })?;
    }
    if !digits.is_empty() {
        return None;
    }
    Some(Duration::from_secs(total))
}

/// The timeout for an operation, from the `timeouts` block.
pub fn timeout(config: &Value, operation: &str) -> Duration {
    known_str(config.get("timeouts").get(operation))
        .and_then(parse_duration)
        .unwrap_or(DEFAULT_TIMEOUT)
}

/// How each child's ID appears in the state: known, or unknown until apply.
pub enum Ids<'a> {
    /// After apply or read: the ledger is the truth.
    Recorded(&'a Ledger),
    /// At plan: children being created or replaced are unknown.
    Planned(&'a Ledger, &'a [Op]),
}

impl Ids<'_> {
    pub fn get(&self, key: &NodeKey) -> Value {
        match self {
            Ids::Recorded(ledger) => ledger.id_of(key).map(Value::string).unwrap_or(Value::Null),
            Ids::Planned(ledger, ops) => {
                let changes_identity = ops.iter().any(|op| match op {
                    Op::Create(k) | Op::Replace(k) => k == key,
                    _ => false,
                });
                match ledger.id_of(key) {
                    Some(id) if !changes_identity => Value::string(id),
                    _ => Value::Unknown,
                }
            }
        }
    }
}

/// Arguments the state carries exactly as configured.
pub const CONFIG_ATTRIBUTES: &[&str] = &[
    "name",
    "tier",
    "tags",
    "deletion_protection",
    "secret_recovery_window_days",
    "network",
    "cluster",
    "logging",
    "ingress",
    "timeouts",
];

/// Outputs read from AWS beside the ledger (addresses, DNS names, certificate status), or
/// planned: the prior value when its child is unchanged, unknown otherwise.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveFacts {
    pub nat_public_ips: Value,
    pub load_balancer_dns_name: Value,
    pub load_balancer_zone_id: Value,
    pub certificate_status: Value,
    pub certificate_validation_records: Value,
}

impl LiveFacts {
    /// Facts of an environment without NAT or ingress, and the shape of each when absent.
    pub fn empty() -> LiveFacts {
        LiveFacts {
            nat_public_ips: Value::List(Vec::new()),
            load_balancer_dns_name: Value::string(""),
            load_balancer_zone_id: Value::string(""),
            certificate_status: Value::string(""),
            certificate_validation_records: Value::List(Vec::new()),
        }
    }

    /// At plan: a fact keeps its prior value while the children it comes from stay (no-op or
    /// in-place update); otherwise it is unknown until apply.
    pub fn planned(prior_state: &Value, expansion: &Expansion, ops: &[Op]) -> LiveFacts {
        let stays = |key: &NodeKey| {
            !prior_state.is_null()
                && ops
                    .iter()
                    .any(|op| matches!(op, Op::NoOp(k) | Op::Update(k) if k == key))
        };
        let prior_or_unknown = |name: &str, keys: &[NodeKey]| {
            if keys.iter().all(stays) {
                prior_state.get(name).clone()
            } else {
                Value::Unknown
            }
        };
        let mut facts = LiveFacts::empty();
        let eips = nat_eip_keys(expansion);
        // Without NAT the list is known to be empty (not the prior one, not unknown).
        if !eips.is_empty() {
            facts.nat_public_ips = prior_or_unknown("nat_public_ips", &eips);
        }
        let lb = NodeKey::new(Kind::LoadBalancer, &[]);
        if expansion.nodes.contains_key(&lb) {
            facts.load_balancer_dns_name =
                prior_or_unknown("load_balancer_dns_name", std::slice::from_ref(&lb));
            facts.load_balancer_zone_id =
                prior_or_unknown("load_balancer_zone_id", std::slice::from_ref(&lb));
            // The certificate's facts follow the listener using it (and the requested one).
            let mut keys = vec![NodeKey::new(Kind::Listener, &["https"])];
            let cert = NodeKey::new(Kind::Certificate, &[]);
            if expansion.nodes.contains_key(&cert) {
                keys.push(cert);
            }
            facts.certificate_status = prior_or_unknown("certificate_status", &keys);
            facts.certificate_validation_records =
                prior_or_unknown("certificate_validation_records", &keys);
        }
        facts
    }
}

/// Validation records as the `certificate_validation_records` value.
pub fn validation_records(records: &[(String, String, String)]) -> Value {
    Value::List(
        records
            .iter()
            .map(|(name, kind, value)| {
                let mut record = Value::Object(BTreeMap::new());
                record.set("name", Value::string(name));
                record.set("type", Value::string(kind));
                record.set("value", Value::string(value));
                record
            })
            .collect(),
    )
}

/// The certificate the HTTPS listener uses: the requested child's ARN or the user's.
pub fn certificate_arn(spec: &EnvironmentSpec, ids: &Ids<'_>) -> Value {
    match &spec.ingress {
        None => Value::string(""),
        Some(ingress) => match &ingress.certificate_arn {
            Some(arn) => Value::string(arn),
            None => ids.get(&NodeKey::new(Kind::Certificate, &[])),
        },
    }
}

/// Builds the full state: configuration as written, plus computed attributes.
pub fn state(
    config: &Value,
    spec: &EnvironmentSpec,
    expansion: &Expansion,
    ids: &Ids<'_>,
    facts: &LiveFacts,
    drift: Vec<String>,
) -> Value {
    let mut state = Value::Object(BTreeMap::new());
    for name in CONFIG_ATTRIBUTES {
        state.set(name, config.get(name).clone());
    }
    state.set("id", Value::string(&spec.name));
    state.set("vpc_id", ids.get(&NodeKey::new(Kind::Vpc, &[])));
    state.set("vpc_cidr", Value::string(spec.network.cidr.to_string()));
    state.set(
        "az_ids",
        Value::string_list(expansion.az_order.iter().cloned()),
    );
    let mut sorted_azs = expansion.az_order.clone();
    sorted_azs.sort();
    let mut by_az = BTreeMap::new();
    for tier in SubnetTier::ALL {
        let list: Vec<Value> = sorted_azs
            .iter()
            .map(|az| ids.get(&NodeKey::new(Kind::Subnet, &[tier.as_str(), az])))
            .collect();
        for (az, id) in sorted_azs.iter().zip(&list) {
            by_az.insert(format!("{}/{az}", tier.as_str()), id.clone());
        }
        state.set(&format!("{}_subnet_ids", tier.as_str()), Value::List(list));
    }
    state.set("subnet_ids_by_az", Value::Map(by_az));
    state.set(
        "subnet_cidrs_by_az",
        Value::string_map(
            expansion
                .subnet_cidrs
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        ),
    );
    state.set(
        "internet_gateway_id",
        ids.get(&NodeKey::new(Kind::InternetGateway, &[])),
    );
    let nat_ids: Vec<Value> = sorted_azs
        .iter()
        .map(|az| NodeKey::new(Kind::NatGateway, &[az]))
        .filter(|k| expansion.nodes.contains_key(k))
        .map(|k| ids.get(&k))
        .collect();
    state.set("nat_gateway_ids", Value::List(nat_ids));
    state.set("nat_public_ips", facts.nat_public_ips.clone());
    // Ingress outputs are empty strings without an ingress block, so references stay valid.
    let id_or_empty = |key: NodeKey| {
        if expansion.nodes.contains_key(&key) {
            ids.get(&key)
        } else {
            Value::string("")
        }
    };
    state.set(
        "load_balancer_arn",
        id_or_empty(NodeKey::new(Kind::LoadBalancer, &[])),
    );
    state.set(
        "https_listener_arn",
        id_or_empty(NodeKey::new(Kind::Listener, &["https"])),
    );
    state.set(
        "http_listener_arn",
        id_or_empty(NodeKey::new(Kind::Listener, &["http"])),
    );
    state.set("certificate_arn", certificate_arn(spec, ids));
    state.set(
        "load_balancer_dns_name",
        facts.load_balancer_dns_name.clone(),
    );
    state.set("load_balancer_zone_id", facts.load_balancer_zone_id.clone());
    state.set("certificate_status", facts.certificate_status.clone());
    state.set(
        "certificate_validation_records",
        facts.certificate_validation_records.clone(),
    );
    let resources: BTreeMap<String, Value> = expansion
        .nodes
        .keys()
        .map(|k| (k.to_string(), ids.get(k)))
        .chain(match ids {
            // Children still recorded but no longer wanted stay listed until deleted.
            Ids::Recorded(ledger) => ledger
                .children
                .iter()
                .filter(|(k, _)| !expansion.nodes.contains_key(*k))
                .map(|(k, r)| (k.to_string(), Value::string(&r.id)))
                .collect::<Vec<_>>(),
            Ids::Planned(..) => Vec::new(),
        })
        .collect();
    state.set("resources", Value::Map(resources));
    let by_qualifier = |kind: Kind| -> Value {
        Value::Map(
            expansion
                .nodes
                .keys()
                .filter(|k| k.kind() == Some(kind))
                .map(|k| {
                    let qualifier = k.as_str().split_once('/').map_or("", |(_, q)| q);
                    (qualifier.to_string(), ids.get(k))
                })
                .collect(),
        )
    };
    state.set("security_group_ids", by_qualifier(Kind::SecurityGroup));
    state.set("vpc_endpoint_ids", by_qualifier(Kind::VpcEndpoint));
    state.set("cluster_name", Value::string(&spec.name));
    state.set("cluster_arn", ids.get(&NodeKey::new(Kind::EcsCluster, &[])));
    state.set(
        "log_group_name",
        Value::string(environment_log_group_name(&spec.name)),
    );
    state.set(
        "flow_log_group_name",
        Value::string(if spec.network.flow_logs.enabled {
            flow_log_group_name(&spec.name)
        } else {
            String::new()
        }),
    );
    state.set(
        "db_subnet_group_name",
        Value::string(data_subnet_group_name(&spec.name)),
    );
    state.set(
        "cache_subnet_group_name",
        Value::string(data_subnet_group_name(&spec.name)),
    );
    let cost = estimate(&expansion.nodes);
    state.set("estimated_monthly_cost_usd", number(cost.total_usd));
    state.set(
        "cost_breakdown",
        Value::Map(
            cost.breakdown
                .iter()
                .map(|(k, v)| (k.clone(), number(*v)))
                .collect(),
        ),
    );
    state.set("drift", Value::string_list(drift));
    state.set(
        "effective_config",
        Value::string_map(effective_config(spec)),
    );
    state
}

fn number(value: f64) -> Value {
    Number::from_f64(value).map_or(Value::Null, Value::Number)
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
    use crate::plan::expand::environment::expand_environment;
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

    #[test]
    fn planned_facts_follow_their_children() {
        let mut spec = TierDefaults::for_tier(Tier::Dev).environment("env1", Tier::Dev);
        let mut prior = Value::Object(BTreeMap::new());
        prior.set("nat_public_ips", Value::string_list(["1.2.3.4"]));
        // NAT kept: the prior addresses stay.
        let with_nat = expansion(&spec);
        let no_ops: Vec<Op> = with_nat.nodes.keys().cloned().map(Op::NoOp).collect();
        let facts = LiveFacts::planned(&prior, &with_nat, &no_ops);
        assert_eq!(facts.nat_public_ips, Value::string_list(["1.2.3.4"]));
        // NAT created: unknown until apply.
        let creates: Vec<Op> = with_nat.nodes.keys().cloned().map(Op::Create).collect();
        let facts = LiveFacts::planned(&Value::Null, &with_nat, &creates);
        assert_eq!(facts.nat_public_ips, Value::Unknown);
        // NAT removed (or never there): known empty, whatever the prior said.
        spec.network.nat_mode = NatMode::None;
        let without = expansion(&spec);
        for prior in [&prior, &Value::Null] {
            let facts = LiveFacts::planned(prior, &without, &[]);
            assert_eq!(facts.nat_public_ips, Value::List(Vec::new()));
        }
        // No ingress: the load balancer facts are empty strings.
        assert_eq!(
            LiveFacts::planned(&prior, &without, &[]).load_balancer_dns_name,
            Value::string("")
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30m"), Some(Duration::from_secs(1800)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("30"), None);
        assert_eq!(parse_duration("3x"), None);
        assert_eq!(parse_duration(""), None);
    }
}
