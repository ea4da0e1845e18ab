//! Arbitrary inputs into the pure plan expansion, after the validation real use runs first.
//!
//! The first byte picks the resource; the rest drives an `Unstructured` generator.
//! - Environment: a configuration value of the real schema (mostly plausible, sometimes wrong
//!   or unknown values) goes through the schema validators, `validate` and `parse_config`
//!   exactly as ValidateResourceConfig and PlanResourceChange do, then `expand_environment`.
//! - Service, database, cache: the same for a configuration value (their config → spec
//!   parsing runs inside `validate`), then a structured spec goes through `validate_*` and
//!   `expand_*` against an expanded environment.
//!
//! Checked: no panic; expanding twice gives equal graphs; every node sits under its own key
//! with its kind, carries the ownership tags, keeps AWS's tag and name limits, refers only to
//! nodes of the graph or to recorded external objects, and the graph has creation waves;
//! diffing against a ledger that recorded the graph finds nothing to do, and an environment
//! re-planned over that ledger expands to the same graph.

#![no_main]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use terraform_provider_platform::framework::diag::Diagnostics;
use terraform_provider_platform::framework::path::AttrPath;
use terraform_provider_platform::catalog::{self, Definition};
use terraform_provider_platform::framework::resource::validate_block;
use terraform_provider_platform::framework::schema::{Block, Nesting};
use terraform_provider_platform::framework::value::{Number, Type, Value};
use terraform_provider_platform::plan::app::{
    assign_priority, is_catch_all, validate_cache, validate_database, validate_service, AccessRef,
    AutoscalingSpec, CacheSpec, DatabaseSpec, DeploymentSpec, EnvironmentFacts, HealthCheck, IamSpec,
    ImageSource, InternalSpec, MessagingAccess, MessagingKind, NamespaceFacts, QueueScaling,
    QueueSpec, RoutingSpec, ScheduleSpec, ServiceSpec, Sidecar, StorageSpec, TopicRef, TopicSpec,
    validate_bucket, validate_queue, validate_topic, BucketAccess, BucketSpec, CdnSpec, CorsSpec,
};
use terraform_provider_platform::plan::diff::{diff, Op};
use terraform_provider_platform::plan::expand::bucket::expand_bucket;
use terraform_provider_platform::plan::expand::cache::expand_cache;
use terraform_provider_platform::plan::expand::database::expand_database;
use terraform_provider_platform::plan::expand::messaging::{expand_queue, expand_topic};
use terraform_provider_platform::plan::expand::environment::expand_environment;
use terraform_provider_platform::plan::expand::naming::{
    joined_config_tags, marker_tags, MANAGED_BY_VALUE, TAG_MANAGED_BY, TAG_NODE, TAG_OWNER,
};
use terraform_provider_platform::plan::expand::service::{expand_service, ServiceInputs};
use terraform_provider_platform::plan::graph::create_waves;
use terraform_provider_platform::plan::ledger::{Ledger, Recorded};
use terraform_provider_platform::plan::node::{ChildSpec, Kind, Node, NodeKey, Tags};
use terraform_provider_platform::plan::spec::{CapacitySpec, RegionFacts, Tier, Zone};
use terraform_provider_platform::plan::tiers::{
    CacheDefaults, DatabaseDefaults, ServiceDefaults, TierDefaults,
};
use terraform_provider_platform::resources::environment::model::parse_config;
use terraform_provider_platform::resources::tags::validate_tags;

/// AWS limits on the tags of one object.
const MAX_TAGS: usize = 50;
const MAX_TAG_KEY_CHARS: usize = 128;
const MAX_TAG_VALUE_CHARS: usize = 256;

/// The four resources, in the order the provider lists them (environment first).
static RESOURCES: LazyLock<Vec<Definition>> = LazyLock::new(catalog::resources);

/// Plausible strings by attribute name (map keys as `<name>#key`): valid ones, then wrong
/// ones. The generator mostly picks valid values, so that inputs get past validation and
/// reach expansion, sometimes wrong ones, and sometimes makes strings up.
fn dictionary(name: &str) -> (&'static [&'static str], &'static [&'static str]) {
    match name {
        "name" => (&["env1", "dev", "prod2", "api", "main", "worker-1", "staging-eu-west1", "payments-worker-backend1"], &["a", "Bad_Name", "", "x-", "e--1", "abcdefghijklmnopqrstuvwxyz"]),
        "tier" => (&["dev", "staging", "prod"], &["qa"]),
        "cidr" => (&["10.0.0.0/16", "10.1.0.0/20", "172.16.0.0/12", "192.168.0.0/22", "10.0.0.0/8"], &["10.0.0.0/28", "10.0.0.1/16", "10.0.0/16", "300.1.0.0/16", "0.0.0.0/0", "10.0.0.0/33"]),
        "az_ids" => (&["use1-az1", "use1-az2", "use1-az4", "use1-az6", "us-east-1a", "us-east-1c"], &["euw1-az1", ""]),
        "mode" => (&["none", "single", "per_az"], &["double"]),
        "preset" => (&["none", "gateway", "essential"], &["all"]),
        "extra" => (&["sqs", "sns", "kms", "ecr.api", "monitoring"], &["s3", "dynamodb", "not a service", ""]),
        "traffic_type" => (&["ALL", "ACCEPT", "REJECT"], &["SOME"]),
        "container_insights" => (&["disabled", "enabled", "enhanced"], &["on"]),
        "kms_key_arn" => (&["arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"], &["alias/mine", ""]),
        "scheme" => (&["internet-facing", "internal"], &["public"]),
        "domain" | "additional_domains" | "hosts" => (&["app.example.com", "*.example.com", "example.com", "api.example.com", "a.b.example.org"], &["not a domain", "*.*.example.com", "-bad.example.com", ""]),
        "certificate_arn" => (&["arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c"], &["arn:aws:iam::123456789012:server-certificate/x", "arn:aws:acm"]),
        "tls_policy" => (&["ELBSecurityPolicy-TLS13-1-2-Res-2021-06", "ELBSecurityPolicy-2016-08"], &["bogus"]),
        "allowed_cidrs" => (&["0.0.0.0/0", "10.0.0.0/8", "203.0.113.0/24"], &["10.0.0.0/33", "::/0"]),
        "create" | "update" | "delete" => (&["30m", "1h30m", "90s"], &["0s", "forever", ""]),
        "environment_id" => (&["env1", "dev"], &[""]),
        "image" => (&["nginx:1.27", "public.ecr.aws/nginx/nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000", "repo/app:latest"], &[" ", "", "two words"]),
        "image_source" => (&["terraform", "external"], &["ci"]),
        "architecture" => (&["x86_64", "arm64"], &["arm"]),
        "command" => (&["sh", "-c", "echo hello"], &[""]),
        "schedule" => (&["nightly", "sweep", "report.v2", "a_b-c", "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"], &["", "two words", "a/b", "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl"]),
        "expression" => (&["cron(0 3 * * ? *)", "cron(0/15 8-18 ? * MON-FRI *)", "cron(0 9 L * ? 2030)", "cron(0 9 ? * 2#1 *)", "rate(1 minute)", "rate(15 minutes)", "rate(1 day)", "rate(2 hours)"], &["cron(0 3 * * * *)", "cron(0 3 * * ?)", "rate(1 minutes)", "rate(0 hours)", "at(2030-01-01T00:00:00)", "", "cron(60 3 * * ? *)"]),
        "timezone" => (&["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"], &["Paris", "utc", "", "CEST"]),
        "database_access" | "cache_access" => (&["env1/main", "env1/other"], &["prod/main", "main", "env1/"]),
        "paths" => (&["/*", "/api/*", "/"], &["api/*"]),
        "path" => (&["/healthz", "/"], &["healthz"]),
        "matcher" => (&["200-399", "200"], &["abc"]),
        "policy_json" => (&[r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#], &["{}", "not json", r#"{"Statement":[]}"#]),
        "managed_policy_arns" => (&["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::123456789012:policy/app"], &["bogus"]),
        "permissions_boundary_arn" => (&["arn:aws:iam::123456789012:policy/boundary"], &["boundary"]),
        "engine" => (&["postgres", "valkey", "redis"], &["mysql", "memcached"]),
        "engine_version" => (&["17", "16", "13", "18", "17.4", "8", "7", "6"], &["9", "12", "x", "17.4.1"]),
        "instance_class" => (&["db.t4g.micro", "db.t4g.medium", "db.m7g.large"], &["db.x1.huge"]),
        "node_type" => (&["cache.t4g.micro", "cache.t4g.small", "cache.m7g.large"], &["cache.x1.huge"]),
        "database_name" => (&["app", "main_db"], &["1db", ""]),
        "master_username" => (&["app", "owner"], &["postgres", "admin", "a_very_long_user_name"]),
        "log_exports" => (&["postgresql", "upgrade", "iam-db-auth-error"], &["general"]),
        "window" | "snapshot_window" => (&["03:00-04:00", "23:30-00:30"], &["3-4", "25:00-26:00"]),
        "maintenance_window" => (&["sun:05:00-sun:06:00", "mon:23:00-tue:00:30"], &["sun:5-sun:6", "xyz:05:00-sun:06:00"]),
        "type" => (&["gp3", "gp2", "io1", "io2"], &["st1"]),
        "region" => (&["us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1"], &["us east 1"]),
        "tags#key" => (&["team", "Name", "cost-center"], &["platform:owner", "aws:created", ""]),
        "environment_variables#key" => (&["PORT", "LOG_LEVEL", "FEATURE_X"], &["1BAD", "DATABASE_URL", "REDIS_URL", "PGHOST", ""]),
        "secrets#key" => (&["API_KEY", "TOKEN"], &["1BAD", "PORT", "DATABASE_URL"]),
        "secrets" => (&["arn:aws:secretsmanager:us-east-1:123456789012:secret:token-AbCdEf", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password::", "arn:aws:ssm:us-east-1:123456789012:parameter/app/key"], &["hunter2"]),
        "parameters#key" => (&["max_connections", "work_mem", "rds.force_ssl"], &[""]),
        "generated_secrets" | "regenerate_secrets" => (&["JWT_SECRET", "SESSION_KEY"], &["1BAD", "PORT", "DATABASE_URL", ""]),
        "port_name" | "discovery_name" => (&["http", "core", "license-api"], &["HTTP", "-x", "a_b", ""]),
        "sidecar" => (&["otel", "datadog-agent", "api", "log_router"], &["", "a b", "x/y"]),
        "tags" | "environment_variables" | "parameters" => (&["1", "info", "a b", ""], &[]),
        _ => (&[], &[]),
    }
}

/// Plausible whole numbers by attribute name, valid ones only: wrong ones come from
/// [`NUMBERS`] and made-up values.
fn numbers(name: &str) -> &'static [i64] {
    match name {
        "az_count" => &[2, 3],
        "public" | "private" | "data" => &[4, 6, 8],
        "retention_days" => &[0, 1, 7, 30, 365],
        "secret_recovery_window_days" => &[0, 7, 30],
        "fargate_weight" | "spot_weight" | "base" => &[0, 1, 2],
        "idle_timeout" => &[60, 120],
        "port" => &[8080, 80],
        "cpu" => &[256, 512, 1024],
        "memory" => &[512, 1024, 2048],
        "desired_count" | "min" => &[1, 2],
        "max" => &[4, 10],
        "interval" => &[15, 30],
        "timeout" => &[5],
        "priority" => &[10, 100, 40000],
        "deregistration_delay" => &[5, 30],
        "cpu_target" | "memory_target" => &[60, 70],
        "max_percent" => &[200],
        "min_healthy_percent" => &[0, 100],
        "allocated_gib" => &[20, 100],
        "max_allocated_gib" => &[0, 200],
        "iops" => &[3000],
        "replicas" => &[0, 1, 2],
        "snapshot_retention_days" => &[0, 1, 7],
        "healthy_threshold" | "unhealthy_threshold" => &[2, 3],
        "grace_period" => &[30, 60],
        "scale_in_cooldown" | "scale_out_cooldown" => &[60, 300],
        "max_retries" => &[0, 5, 25],
        _ => &[],
    }
}

const NUMBERS: &[i64] = &[
    -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 13, 15, 16, 20, 24, 30, 35, 36, 60, 100, 120, 200, 256,
    300, 365, 512, 1024, 2048, 3600, 3653, 4000, 4096, 8192, 16384, 40000, 50000, 65535, 70000,
];

fn pick<'a>(u: &mut Unstructured<'_>, items: &[&'a str]) -> Result<&'a str> {
    Ok(*u.choose(items)?)
}

/// A string for an attribute: mostly a valid one from its dictionary, else a wrong or made-up
/// one.
fn string_for(u: &mut Unstructured<'_>, name: &str) -> Result<String> {
    let (valid, wrong) = dictionary(name);
    let roll = u.int_in_range(0..=15)?;
    if !valid.is_empty() && roll < 13 {
        return Ok(pick(u, valid)?.to_string());
    }
    if !wrong.is_empty() && roll < 15 {
        return Ok(pick(u, wrong)?.to_string());
    }
    let made_up: &str = u.arbitrary()?;
    Ok(made_up.to_string())
}

fn number(u: &mut Unstructured<'_>, name: &str) -> Result<Number> {
    let valid = numbers(name);
    Ok(match u.int_in_range(0..=15)? {
        0 => Number::from_i64(u.arbitrary()?),
        1 => Number::parse(pick(
            u,
            &["1.5", "0.1", "-0", "18446744073709551617", "1e3"],
        )?)
        .unwrap_or(Number::from_i64(0)),
        2 | 3 => Number::from_i64(*u.choose(NUMBERS)?),
        _ if valid.is_empty() => Number::from_i64(*u.choose(NUMBERS)?),
        _ => Number::from_i64(*u.choose(valid)?),
    })
}

/// A value of `ty` for attribute `name`; sometimes unknown, as Terraform sends at validate.
fn value_of(u: &mut Unstructured<'_>, name: &str, ty: &Type, depth: u8) -> Result<Value> {
    if u.ratio(1, 64)? {
        return Ok(Value::Unknown);
    }
    Ok(match ty {
        Type::String => Value::String(string_for(u, name)?),
        Type::Number => Value::Number(number(u, name)?),
        Type::Bool => Value::Bool(u.arbitrary()?),
        Type::List(element) | Type::Set(element) => {
            let mut items = Vec::new();
            for _ in 0..u.int_in_range(0..=3)? {
                items.push(value_of(u, name, element, depth + 1)?);
            }
            if matches!(ty, Type::Set(_)) {
                let mut unique = Vec::new();
                for item in items {
                    if !unique.contains(&item) {
                        unique.push(item);
                    }
                }
                Value::Set(unique)
            } else {
                Value::List(items)
            }
        }
        Type::Map(element) => {
            let key_name = format!("{name}#key");
            let mut entries = BTreeMap::new();
            for _ in 0..u.int_in_range(0..=3)? {
                entries.insert(
                    string_for(u, &key_name)?,
                    value_of(u, name, element, depth + 1)?,
                );
            }
            Value::Map(entries)
        }
        Type::Object(attrs) => {
            let mut out = BTreeMap::new();
            for (attr, attr_ty) in attrs {
                let v = if depth < 4 && u.arbitrary()? {
                    value_of(u, attr, attr_ty, depth + 1)?
                } else {
                    Value::Null
                };
                out.insert(attr.clone(), v);
            }
            Value::Object(out)
        }
        Type::Tuple(_) | Type::Dynamic => Value::Null,
    })
}

/// A configuration of `block`: computed-only attributes null, the rest set or not.
fn config_of(u: &mut Unstructured<'_>, block: &Block) -> Result<Value> {
    let mut attrs = BTreeMap::new();
    for attr in &block.attributes {
        let settable = attr.required || attr.optional;
        let set = settable && (attr.required || u.ratio(1, 4)?);
        let value = if set {
            value_of(u, &attr.name, &attr.ty, 0)?
        } else {
            Value::Null
        };
        attrs.insert(attr.name.clone(), value);
    }
    for nested in &block.blocks {
        let value = match nested.nesting {
            Nesting::Single | Nesting::Group if u.ratio(1, 3)? => config_of(u, &nested.block)?,
            Nesting::Single => Value::Null,
            Nesting::Group => config_of(u, &nested.block)?,
            Nesting::List | Nesting::Set => {
                let mut items = Vec::new();
                for _ in 0..u.int_in_range(0..=2)? {
                    items.push(config_of(u, &nested.block)?);
                }
                if nested.nesting == Nesting::Set {
                    Value::Set(items)
                } else {
                    Value::List(items)
                }
            }
            Nesting::Map => Value::Map(BTreeMap::new()),
        };
        attrs.insert(nested.type_name.clone(), value);
    }
    Ok(Value::Object(attrs))
}

/// The checks ValidateResourceConfig runs: the schema's validators, then the resource's own.
fn validate_config(resource: &Definition, config: &Value) -> Diagnostics {
    let mut diags = validate_block(&(resource.schema)().block, config, &AttrPath::root());
    diags.extend((resource.validate)(config));
    diags
}

fn default_tags(u: &mut Unstructured<'_>) -> Result<Option<Tags>> {
    let mut tags = Tags::new();
    for _ in 0..u.int_in_range(0..=2)? {
        tags.insert(string_for(u, "tags#key")?, string_for(u, "tags")?);
    }
    let path = AttrPath::attrs(&["default_tags", "tags"]);
    // The provider refuses to configure with invalid default tags.
    Ok((!validate_tags(&tags, &path).has_errors()).then_some(tags))
}

fn region_facts(u: &mut Unstructured<'_>) -> Result<RegionFacts> {
    // As in us-east-1, zone names and IDs do not line up.
    const ZONES: &[(&str, &str)] = &[
        ("us-east-1a", "use1-az4"),
        ("us-east-1b", "use1-az6"),
        ("us-east-1c", "use1-az1"),
        ("us-east-1d", "use1-az2"),
        ("us-east-1e", "use1-az3"),
        ("us-east-1f", "use1-az5"),
    ];
    let count = u.int_in_range(1..=ZONES.len())?;
    Ok(RegionFacts {
        region: pick(u, dictionary("region").0)?.to_string(),
        zones: ZONES[..count]
            .iter()
            .map(|(name, id)| Zone {
                name: name.to_string(),
                id: id.to_string(),
            })
            .collect(),
    })
}

/// A ledger that recorded every node as desired, as after a successful apply.
fn recorded(nodes: &BTreeMap<NodeKey, Node>, az_order: &[String]) -> Ledger {
    let mut ledger = Ledger::new();
    for (key, node) in nodes {
        ledger.children.insert(
            key.clone(),
            Recorded {
                refs: Default::default(),
                id: format!("id-{key}"),
                observed: node.spec.clone(),
            },
        );
    }
    ledger.az_order = az_order.to_vec();
    ledger
}

/// The name AWS stores for a child and the longest it accepts.
fn name_and_limit(spec: &ChildSpec) -> Option<(&str, usize)> {
    Some(match spec {
        ChildSpec::SecurityGroup(s) => (&s.name, 255),
        ChildSpec::LogGroup(s) => (&s.name, 512),
        ChildSpec::IamRole(s) => (&s.name, 64),
        ChildSpec::EcsCluster(s) => (&s.name, 255),
        ChildSpec::DbSubnetGroup(s) => (&s.name, 255),
        ChildSpec::CacheSubnetGroup(s) => (&s.name, 255),
        ChildSpec::LoadBalancer(s) => (&s.name, 32),
        ChildSpec::TargetGroup(s) => (&s.name, 32),
        ChildSpec::TaskDefinition(s) => (&s.family, 255),
        ChildSpec::EcsService(s) => (&s.name, 255),
        ChildSpec::ScalingPolicy(s) => (&s.name, 256),
        ChildSpec::Secret(s) => (&s.name, 512),
        ChildSpec::DbParameterGroup(s) => (&s.name, 255),
        ChildSpec::DbInstance(s) => (&s.identifier, 63),
        ChildSpec::ReplicationGroup(s) => (&s.id, 40),
        ChildSpec::Queue(s) => (&s.name, 80),
        ChildSpec::Topic(s) => (&s.name, 256),
        ChildSpec::Bucket(s) => (&s.name, 63),
        ChildSpec::ScheduleGroup(s) => (&s.name, 64),
        ChildSpec::Schedule(s) => (&s.name, 64),
        _ => return None,
    })
}

fn check_graph(owner: &str, nodes: &BTreeMap<NodeKey, Node>, external: &BTreeMap<NodeKey, String>) {
    assert!(!nodes.is_empty(), "{owner}: an expansion without children");
    for (key, node) in nodes {
        assert_eq!(&node.key, key, "node filed under another key");
        assert_eq!(
            key.kind(),
            Some(node.spec.kind()),
            "{key}: key and kind disagree"
        );
        if let Some(tags) = node.spec.tags() {
            assert_eq!(
                tags.get(TAG_OWNER).map(String::as_str),
                Some(owner),
                "{key}: owner tag"
            );
            assert_eq!(
                tags.get(TAG_NODE).map(String::as_str),
                Some(key.as_str()),
                "{key}: node tag"
            );
            assert_eq!(
                tags.get(TAG_MANAGED_BY).map(String::as_str),
                Some(MANAGED_BY_VALUE),
                "{key}: managed-by tag"
            );
            assert!(tags.len() <= MAX_TAGS, "{key}: {} tags", tags.len());
            for (k, v) in tags {
                assert!(
                    k.chars().count() <= MAX_TAG_KEY_CHARS,
                    "{key}: tag key {k:?}"
                );
                assert!(
                    v.chars().count() <= MAX_TAG_VALUE_CHARS,
                    "{key}: tag {k:?} = {v:?}"
                );
            }
        }
        // Schedules cannot be tagged: their description carries the ownership tags.
        if let ChildSpec::Schedule(schedule) = &node.spec {
            let marker = marker_tags(&schedule.description);
            assert_eq!(marker.get(TAG_OWNER).map(String::as_str), Some(owner), "{key}: owner marker");
            assert_eq!(marker.get(TAG_NODE).map(String::as_str), Some(key.as_str()), "{key}: node marker");
            assert!(schedule.description.chars().count() <= 512, "{key}: description too long");
        }
        if let Some((name, limit)) = name_and_limit(&node.spec) {
            assert!(
                !name.is_empty() && name.chars().count() <= limit,
                "{key}: name {name:?} outside AWS's 1 to {limit} characters"
            );
        }
        for reference in node.spec.references() {
            assert!(
                nodes.contains_key(reference) || external.contains_key(reference),
                "{key} refers to {reference}, which is neither a child nor external"
            );
        }
    }
    create_waves(nodes).unwrap_or_else(|cycle| panic!("reference cycle: {cycle:?}"));
    let fresh = diff(nodes, &Ledger::new());
    assert!(
        fresh.iter().all(|op| matches!(op, Op::Create(_))),
        "{fresh:?}"
    );
    let mut ledger = recorded(nodes, &[]);
    ledger.external = external.clone();
    let again = diff(nodes, &ledger);
    assert!(
        again.iter().all(|op| matches!(op, Op::NoOp(_))),
        "applied graph still differs: {again:?}"
    );
}

fn environment(u: &mut Unstructured<'_>) -> Result<()> {
    let resource = &RESOURCES[0];
    let config = config_of(u, &(resource.schema)().block)?;
    if validate_config(resource, &config).has_errors() {
        return Ok(());
    }
    let Some(default_tags) = default_tags(u)? else {
        return Ok(());
    };
    let (spec, diags) = parse_config(&config, &default_tags);
    let Some(spec) = spec else {
        assert!(
            diags.has_errors() || !config.is_wholly_known(),
            "no spec and no reason: {diags:?}"
        );
        return Ok(());
    };
    let facts = region_facts(u)?;
    let (expansion, diags) = expand_environment(&spec, &facts, &Ledger::new());
    let (twice, diags_twice) = expand_environment(&spec, &facts, &Ledger::new());
    assert_eq!(expansion, twice, "expansion is not deterministic");
    assert_eq!(diags, diags_twice, "diagnostics are not deterministic");
    if diags.has_errors() {
        assert!(expansion.nodes.is_empty(), "errors with a graph: {diags:?}");
        return Ok(());
    }
    check_graph(&spec.owner(), &expansion.nodes, &BTreeMap::new());
    let vpc = &expansion.nodes[&NodeKey::new(Kind::Vpc, &[])];
    let vpc_tags = vpc.spec.tags().expect("the VPC has tags");
    assert_eq!(
        joined_config_tags(vpc_tags).as_deref(),
        Some(spec.written.as_str())
    );
    for (subnet, cidr) in &expansion.subnet_cidrs {
        assert!(!cidr.is_empty(), "{subnet} has no CIDR");
    }
    // Re-planning over what the first plan recorded changes nothing.
    let prior = recorded(&expansion.nodes, &expansion.az_order);
    let (replanned, diags) = expand_environment(&spec, &facts, &prior);
    assert!(!diags.has_errors(), "re-plan failed: {diags:?}");
    assert_eq!(
        replanned, expansion,
        "re-plan over the ledger moved the graph"
    );
    Ok(())
}

/// An environment the app resources build on: a tier's defaults, with or without ingress,
/// expanded, and every child given an ID as after apply.
fn environment_ref(name: &str, tier: Tier, ingress: bool) -> EnvironmentFacts {
    let mut spec = TierDefaults::for_tier(tier).environment(name, tier);
    if ingress {
        let mut with = terraform_provider_platform::plan::tiers::ingress_defaults();
        with.domain = Some("app.example.com".to_string());
        spec.ingress = Some(with);
    }
    let facts = RegionFacts {
        region: "us-east-1".to_string(),
        zones: ["use1-az1", "use1-az2", "use1-az4"]
            .iter()
            .zip(["us-east-1a", "us-east-1b", "us-east-1c"])
            .map(|(id, name)| Zone {
                name: name.to_string(),
                id: id.to_string(),
            })
            .collect(),
    };
    let (expansion, diags) = expand_environment(&spec, &facts, &Ledger::new());
    assert!(!diags.has_errors(), "{diags:?}");
    EnvironmentFacts {
        name: spec.name.clone(),
        tier,
        region: facts.region,
        ids: expansion
            .nodes
            .keys()
            .map(|k| (k.clone(), format!("id-{k}")))
            .collect(),
        log_retention_days: spec.logging.retention_days,
        log_kms_key_arn: spec.logging.kms_key_arn.clone(),
        capacity: spec.cluster.capacity,
        secret_recovery_window_days: spec.secret_recovery_window_days,
        certificate_arn: ingress
            .then(|| "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c".to_string()),
        load_balancer_dns_name: ingress.then(|| "env1-123.us-east-1.elb.amazonaws.com".to_string()),
        // Half the environments have a Service Connect namespace.
        service_discovery: ingress.then(|| NamespaceFacts {
            name: format!("{}.internal", spec.name),
            arn: Some("arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-1".to_string()),
        }),
    }
}

static ENVIRONMENTS: LazyLock<Vec<EnvironmentFacts>> = LazyLock::new(|| {
    // The longest name an environment may have, for AWS's name limits.
    let mut out = Vec::new();
    for name in ["env1", "staging-eu-west1"] {
        for tier in [Tier::Dev, Tier::Staging, Tier::Prod] {
            out.push(environment_ref(name, tier, false));
            out.push(environment_ref(name, tier, true));
        }
    }
    out
});

/// The default most of the time, else one of `others` or any value.
fn or_default(u: &mut Unstructured<'_>, default: u32, others: &[u32]) -> Result<u32> {
    Ok(match u.int_in_range(0..=31)? {
        0 => u.arbitrary()?,
        1 | 2 if !others.is_empty() => *u.choose(others)?,
        _ => default,
    })
}

fn maybe<T>(
    u: &mut Unstructured<'_>,
    make: impl FnOnce(&mut Unstructured<'_>) -> Result<T>,
) -> Result<Option<T>> {
    if u.arbitrary()? {
        make(u).map(Some)
    } else {
        Ok(None)
    }
}

fn sorted_strings(u: &mut Unstructured<'_>, name: &str) -> Result<Vec<String>> {
    let mut items = Vec::new();
    for _ in 0..u.int_in_range(0..=3)? {
        items.push(string_for(u, name)?);
    }
    items.sort();
    items.dedup();
    Ok(items)
}

/// A map for attribute `name`, keys from `<name>#key`.
fn string_map(u: &mut Unstructured<'_>, name: &str) -> Result<BTreeMap<String, String>> {
    let key_name = format!("{name}#key");
    let mut out = BTreeMap::new();
    for _ in 0..u.int_in_range(0..=3)? {
        out.insert(string_for(u, &key_name)?, string_for(u, name)?);
    }
    Ok(out)
}

fn user_tags(u: &mut Unstructured<'_>) -> Result<Tags> {
    let mut tags = Tags::new();
    for _ in 0..u.int_in_range(0..=2)? {
        // Tags are checked on the configuration, before the spec: only valid ones here.
        let (valid, _) = dictionary("tags#key");
        tags.insert(pick(u, valid)?.to_string(), string_for(u, "tags")?);
    }
    Ok(tags)
}

/// Databases or caches a service uses: mostly of its own environment, as `resolve_access`
/// finds them (`known` once they exist).
/// A queue or topic ID: mostly of the environment, sometimes of another or malformed.
fn messaging_id(u: &mut Unstructured<'_>, env: &EnvironmentFacts) -> Result<String> {
    Ok(if u.ratio(7, 8)? {
        format!("{}/{}", env.name, pick(u, &["jobs", "events", "emails-out"])?)
    } else {
        pick(u, &["other/jobs", "jobs", "a/b/c", ""])?.to_string()
    })
}

/// Queues and topics a service uses: found or not, of either kind, sent to or received from.
fn messaging(u: &mut Unstructured<'_>, env: &EnvironmentFacts) -> Result<Vec<MessagingAccess>> {
    let mut out: Vec<MessagingAccess> = Vec::new();
    for _ in 0..u.int_in_range(0..=3)? {
        let id = messaging_id(u, env)?;
        if out.iter().any(|m| m.id == id) {
            continue;
        }
        let name = id.split_once('/').map(|(_, n)| n.to_string()).unwrap_or_default();
        let kind = maybe(u, |u| {
            Ok(if u.arbitrary()? { MessagingKind::Queue } else { MessagingKind::Topic })
        })?;
        let known = u.arbitrary::<bool>()?;
        out.push(MessagingAccess {
            arn: known.then(|| format!("arn:aws:sqs:us-east-1:123456789012:{}-{name}", env.name)),
            url: known.then(|| format!("https://sqs.us-east-1.amazonaws.com/123456789012/{}-{name}", env.name)),
            kms_key_arn: maybe(u, |_| Ok("arn:aws:kms:us-east-1:123456789012:key/k1".to_string()))?,
            publish: u.arbitrary()?,
            consume: u.arbitrary()?,
            kind,
            id,
            name,
        });
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

fn queue_spec(u: &mut Unstructured<'_>, env: &EnvironmentFacts) -> Result<QueueSpec> {
    let mut subscribe_to: Vec<TopicRef> = Vec::new();
    for _ in 0..u.int_in_range(0..=2)? {
        let id = messaging_id(u, env)?;
        if subscribe_to.iter().any(|t| t.id == id) {
            continue;
        }
        let name = id.split_once('/').map(|(_, n)| n.to_string()).unwrap_or_default();
        subscribe_to.push(TopicRef {
            arn: maybe(u, |_| Ok(format!("arn:aws:sns:us-east-1:123456789012:{}-{name}", env.name)))?,
            fifo: maybe(u, |u| u.arbitrary())?,
            id,
            name,
        });
    }
    subscribe_to.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(QueueSpec {
        environment: env.name.clone(),
        name: pick(u, &["jobs", "emails-out", "a-very-long-queue-name-x", "Bad"])?.to_string(),
        fifo: u.arbitrary()?,
        content_based_deduplication: u.arbitrary()?,
        visibility_timeout: or_default(u, 30, &[0, 43_200, 43_201])?,
        retention_days: or_default(u, 4, &[0, 1, 14, 15])?,
        max_receives: or_default(u, 5, &[0, 1, 1000, 1001])?,
        kms_key_arn: maybe(u, |u| Ok(pick(u, &["arn:aws:kms:us-east-1:123456789012:key/k1", "nope"])?.to_string()))?,
        subscribe_to,
        tags: BTreeMap::new(),
    })
}

fn bucket_spec(u: &mut Unstructured<'_>, env: &EnvironmentFacts) -> Result<BucketSpec> {
    Ok(BucketSpec {
        environment: env.name.clone(),
        name: pick(u, &["assets", "uploads-v2", "a-very-long-bucket-name-xx", "Bad"])?.to_string(),
        account_id: pick(u, &["123456789012", ""])?.to_string(),
        region: pick(u, &["us-east-1", "ap-southeast-2", "cn-north-1"])?.to_string(),
        versioning: u.arbitrary()?,
        noncurrent_days: or_default(u, 30, &[0, 1, 36_500])?,
        abort_multipart_days: or_default(u, 7, &[0, 1])?,
        cors: maybe(u, |u| {
            Ok(CorsSpec {
                allowed_origins: if u.arbitrary()? { vec!["*".into()] } else { Vec::new() },
                allowed_methods: vec![pick(u, &["GET", "PUT", "PATCH"])?.to_string()],
            })
        })?
        .into_iter()
        .collect(),
        kms_key_arn: maybe(u, |u| Ok(pick(u, &["arn:aws:kms:us-east-1:123456789012:key/k1", "nope"])?.to_string()))?,
        force_destroy: u.arbitrary()?,
        cdn: maybe(u, |u| {
            let aliases: Vec<String> = maybe(u, |u| Ok(pick(u, &["cdn.example.com", "*.example.com", "bad host"])?.to_string()))?
                .into_iter()
                .collect();
            Ok(CdnSpec {
                aliases,
                certificate_arn: maybe(u, |u| {
                    Ok(pick(u, &["arn:aws:acm:us-east-1:123456789012:certificate/c", "arn:aws:acm:eu-west-1:123456789012:certificate/c", "nope"])?.to_string())
                })?,
                price_class: pick(u, &["PriceClass_100", "PriceClass_All", "PriceClass_1"])?.to_string(),
                default_ttl: maybe(u, |u| Ok(*u.choose(&[0u32, 60, 31_536_001])?))?,
                wait_for_deployment: u.arbitrary()?,
            })
        })?,
        tags: BTreeMap::new(),
    })
}

fn topic_spec(u: &mut Unstructured<'_>, env: &EnvironmentFacts) -> Result<TopicSpec> {
    Ok(TopicSpec {
        environment: env.name.clone(),
        name: pick(u, &["events", "orders-v2", "Bad"])?.to_string(),
        fifo: u.arbitrary()?,
        content_based_deduplication: u.arbitrary()?,
        kms_key_arn: maybe(u, |_| Ok("arn:aws:kms:us-east-1:123456789012:key/k1".to_string()))?,
        tags: BTreeMap::new(),
    })
}

fn access(u: &mut Unstructured<'_>, env: &EnvironmentFacts) -> Result<Vec<AccessRef>> {
    let mut out = Vec::new();
    for _ in 0..u.int_in_range(0..=2)? {
        let id = if u.ratio(7, 8)? {
            format!(
                "{}/{}",
                env.name,
                pick(u, &["main", "other", "payments-worker-backend1"])?
            )
        } else {
            string_for(u, "database_access")?
        };
        let name = id
            .split_once('/')
            .map(|(_, n)| n.to_string())
            .unwrap_or_default();
        let known = u.arbitrary::<bool>()?;
        out.push(AccessRef {
            secret_arn: known.then(|| {
                format!("arn:aws:secretsmanager:us-east-1:123456789012:secret:platform/{id}-AbCdEf")
            }),
            security_group_id: known.then(|| format!("sg-{:08x}", name.len())),
            id,
            name,
        });
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out.dedup_by(|a, b| a.id == b.id);
    Ok(out)
}

fn service_spec(u: &mut Unstructured<'_>, env: &EnvironmentFacts) -> Result<ServiceSpec> {
    let d = ServiceDefaults::for_tier(env.tier);
    let routing = maybe(u, |u| {
        let mut paths = sorted_strings(u, "paths")?;
        if paths.is_empty() {
            paths.push("/*".to_string());
        }
        Ok(RoutingSpec {
            hosts: sorted_strings(u, "hosts")?,
            paths,
            priority: maybe(u, |u| {
                or_default(u, 100, &[0, 1, 39999, 40000, 50000, 50001])
            })?,
            deregistration_delay: or_default(u, d.deregistration_delay, &[0, 3600, 3601])?,
            health_check: HealthCheck {
                path: if u.ratio(1, 10)? {
                    string_for(u, "path")?
                } else {
                    "/healthz".to_string()
                },
                matcher: if u.ratio(1, 10)? {
                    string_for(u, "matcher")?
                } else {
                    "200-399".to_string()
                },
                interval: or_default(u, 15, &[4, 5, 10, 300, 301])?,
                timeout: or_default(u, 5, &[1, 2, 10, 120])?,
                healthy_threshold: or_default(u, 2, &[1, 10, 11])?,
                unhealthy_threshold: or_default(u, 3, &[1, 10, 11])?,
                grace_period: or_default(u, d.grace_period, &[0, 60, 2_147_483_648])?,
            },
        })
    })?;
    let autoscaling = maybe(u, |u| {
        Ok(AutoscalingSpec {
            min: or_default(u, d.min, &[0, 5])?,
            max: or_default(u, d.max, &[1, 2, 1000])?,
            cpu_target: or_default(u, d.cpu_target, &[0, 100, 101])?,
            memory_target: maybe(u, |u| or_default(u, 70, &[0, 100, 101]))?,
            scale_in_cooldown: or_default(u, 300, &[0])?,
            scale_out_cooldown: or_default(u, 60, &[0])?,
            queue: maybe(u, |u| {
                Ok(QueueScaling {
                    queue_id: messaging_id(u, env)?,
                    queue_name: maybe(u, |u| Ok(format!("{}-{}", env.name, pick(u, &["jobs", "emails"])?)))?,
                    messages_per_task: or_default(u, 10, &[0, 1, 1_000_000])?,
                })
            })?,
        })
    })?;
    let cpu = or_default(u, 256, &[512, 1024, 4096, 16384, 100])?;
    Ok(ServiceSpec {
        environment: env.name.clone(),
        name: string_for(u, "name")?,
        image: string_for(u, "image")?,
        image_source: if u.arbitrary()? {
            ImageSource::External
        } else {
            ImageSource::Terraform
        },
        cpu,
        memory: or_default(u, 512, &[1024, 2048, 4096, 8192, 30720, 122880])?,
        architecture: pick(u, &["X86_64", "ARM64"])?.to_string(),
        port: maybe(u, |u| or_default(u, 8080, &[0, 1, 80, 65535, 65536]))?,
        messaging: messaging(u, env)?,
        buckets: {
            let mut items = Vec::new();
            for _ in 0..u.int_in_range(0..=2)? {
                let id = messaging_id(u, env)?;
                items.push(BucketAccess {
                    name: id.split_once('/').map(|(_, n)| n.to_string()).unwrap_or_default(),
                    bucket_name: maybe(u, |_| Ok(format!("{}-{}-123456789012-us-east-1", env.name, id.len())))?,
                    kms_key_arn: maybe(u, |_| Ok("arn:aws:kms:us-east-1:123456789012:key/k3".to_string()))?,
                    mode: pick(u, &["read", "read_write", "write"])?.to_string(),
                    id,
                });
            }
            items
        },
        command: {
            let mut items = Vec::new();
            for _ in 0..u.int_in_range(0..=2)? {
                items.push(string_for(u, "command")?);
            }
            items
        },
        environment_variables: string_map(u, "environment_variables")?,
        secrets: string_map(u, "secrets")?,
        generated_secrets: sorted_strings(u, "generated_secrets")?,
        regenerate_secrets: sorted_strings(u, "regenerate_secrets")?,
        database_access: access(u, env)?,
        cache_access: access(u, env)?,
        allow_from_services: access(u, env)?,
        internal: maybe(u, |u| {
            Ok(InternalSpec {
                port_name: if u.ratio(1, 4)? {
                    string_for(u, "port_name")?
                } else {
                    "http".to_string()
                },
                discovery_name: string_for(u, "discovery_name")?,
            })
        })?,
        sidecars: {
            let mut items = Vec::new();
            for _ in 0..u.int_in_range(0..=2)? {
                items.push(Sidecar {
                    name: string_for(u, "sidecar")?,
                    image: string_for(u, "image")?,
                    essential: u.arbitrary()?,
                    cpu: maybe(u, |u| or_default(u, 64, &[0, 256, 16384]))?,
                    memory: maybe(u, |u| or_default(u, 128, &[0, 512, 122880]))?,
                    port: maybe(u, |u| or_default(u, 4317, &[0, 8080, 65536]))?,
                    command: Vec::new(),
                    environment_variables: string_map(u, "environment_variables")?,
                    secrets: string_map(u, "secrets")?,
                    use_repository_credentials: u.arbitrary()?,
                });
            }
            items
        },
        schedules: {
            let mut items = Vec::new();
            for _ in 0..u.int_in_range(0..=3)? {
                items.push(ScheduleSpec {
                    name: string_for(u, "schedule")?,
                    expression: string_for(u, "expression")?,
                    timezone: string_for(u, "timezone")?,
                    command: if u.arbitrary()? {
                        vec![string_for(u, "command")?]
                    } else {
                        Vec::new()
                    },
                });
            }
            items
        },
        repository_credentials_secret_arn: maybe(u, |u| string_for(u, "secrets"))?,
        repository_credentials_kms_key_arn: maybe(u, |u| string_for(u, "kms_key_arn"))?,
        desired_count: or_default(u, d.desired_count, &[0, 100])?,
        exec_enabled: u.arbitrary()?,
        read_only_root_filesystem: u.arbitrary()?,
        routing,
        autoscaling,
        capacity: if u.ratio(1, 10)? {
            CapacitySpec {
                fargate_weight: or_default(u, 1, &[0, 1000])?,
                spot_weight: or_default(u, 0, &[1, 1000])?,
                base: or_default(u, 0, &[1, 100000])?,
            }
        } else {
            env.capacity
        },
        deployment: DeploymentSpec {
            min_healthy_percent: or_default(u, d.min_healthy_percent, &[0, 100, 101])?,
            max_percent: or_default(u, d.max_percent, &[50, 100, 201])?,
            circuit_breaker: u.arbitrary()?,
            wait: u.arbitrary()?,
        },
        iam: IamSpec {
            policy_json: maybe(u, |u| string_for(u, "policy_json"))?,
            managed_policy_arns: sorted_strings(u, "managed_policy_arns")?,
            permissions_boundary_arn: maybe(u, |u| string_for(u, "permissions_boundary_arn"))?,
        },
        log_retention_days: or_default(u, env.log_retention_days, &[0, 1, 15, 3653])?,
        tags: user_tags(u)?,
    })
}

fn database_spec(u: &mut Unstructured<'_>, env: &EnvironmentFacts) -> Result<DatabaseSpec> {
    let d = DatabaseDefaults::for_tier(env.tier);
    let storage_type = if u.ratio(1, 10)? {
        string_for(u, "type")?
    } else {
        "gp3".to_string()
    };
    Ok(DatabaseSpec {
        environment: env.name.clone(),
        name: string_for(u, "name")?,
        engine: if u.ratio(1, 8)? {
            string_for(u, "engine")?
        } else {
            "postgres".to_string()
        },
        engine_version: if u.ratio(1, 10)? {
            string_for(u, "engine_version")?
        } else {
            d.engine_version.to_string()
        },
        allow_major_version_upgrade: u.arbitrary()?,
        instance_class: if u.ratio(1, 10)? {
            string_for(u, "instance_class")?
        } else {
            d.instance_class.to_string()
        },
        database_name: if u.ratio(1, 10)? {
            string_for(u, "database_name")?
        } else {
            "app".to_string()
        },
        master_username: if u.ratio(1, 10)? {
            string_for(u, "master_username")?
        } else {
            "app".to_string()
        },
        multi_az: u.arbitrary()?,
        kms_key_arn: maybe(u, |u| string_for(u, "kms_key_arn"))?,
        deletion_protection: u.arbitrary()?,
        final_snapshot: u.arbitrary()?,
        apply_immediately: u.arbitrary()?,
        performance_insights: u.arbitrary()?,
        log_exports: sorted_strings(u, "log_exports")?,
        parameters: string_map(u, "parameters")?,
        extended_support: u.arbitrary()?,
        maintenance_window: maybe(u, |u| string_for(u, "maintenance_window"))?,
        storage: StorageSpec {
            allocated_gib: or_default(u, d.allocated_gib, &[19, 20, 65536, 65537])?,
            max_allocated_gib: or_default(u, d.max_allocated_gib, &[0, 10, 1000])?,
            iops: if storage_type.starts_with("io") || u.ratio(1, 8)? {
                Some(or_default(u, 3000, &[0, 1000, 256000])?)
            } else {
                None
            },
            storage_type,
        },
        backup_retention_days: or_default(u, d.backup_retention_days, &[0, 35, 36])?,
        backup_window: maybe(u, |u| string_for(u, "window"))?,
        secret_recovery_window_days: env.secret_recovery_window_days,
        tags: user_tags(u)?,
    })
}

fn cache_spec(u: &mut Unstructured<'_>, env: &EnvironmentFacts) -> Result<CacheSpec> {
    let d = CacheDefaults::for_tier(env.tier);
    Ok(CacheSpec {
        environment: env.name.clone(),
        name: string_for(u, "name")?,
        engine: if u.ratio(1, 10)? {
            string_for(u, "engine")?
        } else {
            d.engine.to_string()
        },
        engine_version: if u.ratio(1, 10)? {
            string_for(u, "engine_version")?
        } else {
            d.engine_version.to_string()
        },
        node_type: if u.ratio(1, 10)? {
            string_for(u, "node_type")?
        } else {
            d.node_type.to_string()
        },
        replicas: or_default(u, d.replicas, &[0, 1, 5, 6])?,
        multi_az: u.arbitrary()?,
        kms_key_arn: maybe(u, |u| string_for(u, "kms_key_arn"))?,
        snapshot_retention_days: or_default(u, d.snapshot_retention_days, &[0, 35, 36])?,
        snapshot_window: maybe(u, |u| string_for(u, "snapshot_window"))?,
        final_snapshot: u.arbitrary()?,
        maintenance_window: maybe(u, |u| string_for(u, "maintenance_window"))?,
        secret_recovery_window_days: env.secret_recovery_window_days,
        tags: user_tags(u)?,
    })
}

fn app(u: &mut Unstructured<'_>, index: usize) -> Result<()> {
    // The configuration path first: the kind's config → spec parsing runs inside validate.
    let resource = &RESOURCES[index];
    let config = config_of(u, &(resource.schema)().block)?;
    let _ = validate_config(resource, &config);

    let env = u.choose(&ENVIRONMENTS[..])?;
    let (owner, graph, twice) = match index {
        1 => {
            let spec = service_spec(u, env)?;
            if validate_service(&spec).has_errors() {
                return Ok(());
            }
            let priority = spec.routing.as_ref().map(|r| {
                r.priority
                    .or_else(|| assign_priority(&spec.owner(), is_catch_all(r), &BTreeSet::new()))
                    .unwrap_or(1)
            });
            let mut recorded_secrets = std::collections::BTreeMap::new();
            for name in &spec.generated_secrets {
                if u.arbitrary()? {
                    recorded_secrets.insert(
                        name.clone(),
                        (or_default(u, 0, &[1, 7])?, u.arbitrary()?),
                    );
                }
            }
            let inputs = ServiceInputs {
                priority,
                running_image: maybe(u, |u| string_for(u, "image"))?,
                recorded_secrets,
            };
            (
                spec.owner(),
                expand_service(&spec, env, &inputs),
                expand_service(&spec, env, &inputs),
            )
        }
        2 => {
            let spec = database_spec(u, env)?;
            if validate_database(&spec).has_errors() {
                return Ok(());
            }
            (
                spec.owner(),
                expand_database(&spec, env),
                expand_database(&spec, env),
            )
        }
        4 => {
            let spec = queue_spec(u, env)?;
            if validate_queue(&spec).has_errors() {
                return Ok(());
            }
            (spec.owner(), expand_queue(&spec), expand_queue(&spec))
        }
        6 => {
            let spec = bucket_spec(u, env)?;
            if validate_bucket(&spec).has_errors() {
                return Ok(());
            }
            (spec.owner(), expand_bucket(&spec), expand_bucket(&spec))
        }
        5 => {
            let spec = topic_spec(u, env)?;
            if validate_topic(&spec).has_errors() {
                return Ok(());
            }
            (spec.owner(), expand_topic(&spec), expand_topic(&spec))
        }
        _ => {
            let spec = cache_spec(u, env)?;
            if validate_cache(&spec).has_errors() {
                return Ok(());
            }
            (
                spec.owner(),
                expand_cache(&spec, env),
                expand_cache(&spec, env),
            )
        }
    };
    assert_eq!(graph, twice, "expansion is not deterministic");
    for key in graph.external.keys() {
        assert!(
            !graph.nodes.contains_key(key),
            "{key} is both a child and external"
        );
    }
    check_graph(&owner, &graph.nodes, &graph.external);
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let mut u = Unstructured::new(rest);
    let _ = match selector % 7 {
        0 => environment(&mut u),
        index => app(&mut u, usize::from(index)),
    };
});
