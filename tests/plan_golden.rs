//! Golden tests of the pure engine: spec in; child graph, operations and effective_config out.
//! Regenerate with `UPDATE_EXPECT=1 cargo test --test plan_golden` and review the diff.

use std::fmt::Write as _;
use std::path::PathBuf;

use terraform_provider_platform::aws::ec2::route::RouteTarget;
use terraform_provider_platform::aws::ec2::security_group_rule::RulePeer;
use terraform_provider_platform::plan::diff::{diff, has_changes, render_ops};
use terraform_provider_platform::plan::expand::environment::{
    effective_config, expand_environment, Expansion,
};
use terraform_provider_platform::plan::graph::{create_waves, delete_waves};
use terraform_provider_platform::plan::ledger::{Ledger, Recorded};
use terraform_provider_platform::plan::node::{ChildSpec, Kind, NodeKey};
use terraform_provider_platform::plan::spec::{
    default_namespace, validate_environment, AzChoice, EndpointPreset, EnvironmentSpec, NatMode,
    RegionFacts, ServiceDiscoverySpec, Tier, Zone,
};
use terraform_provider_platform::plan::tiers::{ingress_defaults, TierDefaults};

fn region() -> RegionFacts {
    let zones = [
        ("us-east-1a", "use1-az1"),
        ("us-east-1b", "use1-az2"),
        ("us-east-1c", "use1-az4"),
        ("us-east-1d", "use1-az6"),
        ("us-east-1e", "use1-az3"),
        ("us-east-1f", "use1-az5"),
    ];
    RegionFacts {
        region: "us-east-1".into(),
        zones: zones
            .iter()
            .map(|(n, i)| Zone {
                name: n.to_string(),
                id: i.to_string(),
            })
            .collect(),
    }
}

fn spec(tier: Tier, azs: AzChoice, nat: NatMode, tags: &[(&str, &str)]) -> EnvironmentSpec {
    let mut spec = TierDefaults::for_tier(tier).environment("env1", tier);
    spec.network.azs = azs;
    spec.network.nat_mode = nat;
    spec.tags = tags
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    spec.written = format!("{{\"tier\":\"{}\"}}", tier.as_str());
    spec
}

/// A tier's defaults, untouched.
fn tier_defaults(tier: Tier) -> EnvironmentSpec {
    let mut spec = TierDefaults::for_tier(tier).environment("env1", tier);
    spec.written = format!("{{\"tier\":\"{}\"}}", tier.as_str());
    spec
}

/// What a successful apply of `expansion` would record.
fn applied(expansion: &Expansion) -> Ledger {
    let mut ledger = Ledger::new();
    for (key, node) in &expansion.nodes {
        ledger.children.insert(
            key.clone(),
            Recorded {
                refs: Default::default(),
                id: format!("id-of-{key}"),
                observed: node.spec.clone(),
            },
        );
    }
    ledger.az_order = expansion.az_order.clone();
    ledger
}

fn summary(spec: &ChildSpec) -> String {
    match spec {
        ChildSpec::Vpc(s) => format!(
            "cidr={} dns={}/{}",
            s.cidr, s.enable_dns_support, s.enable_dns_hostnames
        ),
        ChildSpec::Subnet(s) => format!(
            "{} {} {} public_ip={}",
            s.tier.as_str(),
            s.az_id,
            s.cidr,
            s.map_public_ip_on_launch
        ),
        ChildSpec::InternetGateway(s) => format!("vpc={}", s.vpc),
        ChildSpec::ElasticIp(_) => String::new(),
        ChildSpec::NatGateway(s) => format!("subnet={} eip={}", s.subnet, s.eip),
        ChildSpec::RouteTable(s) => format!("vpc={}", s.vpc),
        ChildSpec::Route(s) => match &s.target {
            RouteTarget::InternetGateway(k) | RouteTarget::NatGateway(k) => {
                format!("{} {} -> {k}", s.route_table, s.destination_cidr)
            }
        },
        ChildSpec::RouteTableAssociation(s) => format!("{} -> {}", s.subnet, s.route_table),
        ChildSpec::SecurityGroup(s) => format!("name={} vpc={}", s.name, s.vpc),
        ChildSpec::SecurityGroupRule(s) => {
            let peer = match &s.peer {
                RulePeer::Cidr(c) => c.clone(),
                RulePeer::Group(k) => k.to_string(),
                RulePeer::PrefixList(p) => p.clone(),
            };
            format!(
                "{} {} {} {}-{} peer={peer}",
                s.group,
                s.direction.as_str(),
                s.protocol,
                s.from_port,
                s.to_port
            )
        }
        ChildSpec::VpcEndpoint(s) => format!(
            "{} {:?} tables=[{}] subnets=[{}] groups=[{}] private_dns={}",
            s.service_name,
            s.endpoint_type,
            join(&s.route_tables),
            join(&s.subnets),
            join(&s.security_groups),
            s.private_dns
        ),
        ChildSpec::FlowLog(s) => format!(
            "vpc={} group={} role={} traffic={}",
            s.vpc, s.log_group, s.role, s.traffic_type
        ),
        ChildSpec::LogGroup(s) => format!(
            "name={} retention={} kms={}",
            s.name,
            s.retention_days,
            s.kms_key_arn.as_deref().unwrap_or("-")
        ),
        ChildSpec::IamRole(s) => format!(
            "name={} trust={} inline={:?} managed={:?}",
            s.name, s.assume_role_policy, s.inline_policies, s.managed_policy_arns
        ),
        ChildSpec::EcsCluster(s) => format!(
            "name={} insights={} providers={:?} strategy={}",
            s.name,
            s.container_insights,
            s.capacity_providers,
            s.default_strategy
                .iter()
                .map(|i| format!("{}:{}/{}", i.provider, i.weight, i.base))
                .collect::<Vec<_>>()
                .join(",")
        ),
        ChildSpec::DbSubnetGroup(s) => format!("name={} subnets=[{}]", s.name, join(&s.subnets)),
        ChildSpec::CacheSubnetGroup(s) => {
            format!("name={} subnets=[{}]", s.name, join(&s.subnets))
        }
        ChildSpec::LoadBalancer(s) => format!(
            "name={} internal={} subnets=[{}] groups=[{}] idle={} drop_invalid={} protected={}",
            s.name,
            s.internal,
            join(&s.subnets),
            join(&s.security_groups),
            s.idle_timeout_seconds,
            s.drop_invalid_headers,
            s.deletion_protection
        ),
        ChildSpec::Listener(s) => format!(
            "{} {} {} policy={} cert={:?} default={:?}",
            s.load_balancer,
            s.port,
            s.protocol,
            s.ssl_policy.as_deref().unwrap_or("-"),
            s.certificate,
            s.default_action
        ),
        ChildSpec::Certificate(s) => {
            format!("domain={} sans={:?}", s.domain, s.alternative_names)
        }
        // App-layer kinds never appear in an environment's graph (tests/app_golden.rs).
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

fn join(keys: &[NodeKey]) -> String {
    keys.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn render(spec: &EnvironmentSpec, prior: &Ledger) -> String {
    let (expansion, diags) = expand_environment(spec, &region(), prior);
    let mut out = String::new();
    for d in validate_environment(spec).iter().chain(diags.iter()) {
        writeln!(out, "diagnostic: {d}").unwrap();
    }
    writeln!(out, "az_order: {}", expansion.az_order.join(", ")).unwrap();
    writeln!(out, "\n# nodes").unwrap();
    for (key, node) in &expansion.nodes {
        let tags = node
            .spec
            .tags()
            .map(|t| format!(" tags[Name={}]", t.get("Name").cloned().unwrap_or_default()))
            .unwrap_or_default();
        writeln!(out, "{key}: {}{tags}", summary(&node.spec)).unwrap();
    }
    writeln!(out, "\n# create waves").unwrap();
    for (i, wave) in create_waves(&expansion.nodes).unwrap().iter().enumerate() {
        writeln!(
            out,
            "{i}: {}",
            wave.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        )
        .unwrap();
    }
    let ops = diff(&expansion.nodes, prior);
    writeln!(
        out,
        "\n# ops (changes: {})\n{}",
        has_changes(&ops),
        render_ops(&ops)
    )
    .unwrap();
    writeln!(out, "# effective_config").unwrap();
    for (k, v) in effective_config(spec) {
        writeln!(out, "{k} = {v}").unwrap();
    }
    out
}

fn check(case: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/testdata/plan")
        .join(format!("{case}.txt"));
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "golden {case} differs at line {}:\n  want: {:?}\n  got:  {:?}\nRun UPDATE_EXPECT=1 cargo test --test plan_golden and review the diff.",
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

#[test]
fn dev_two_azs_single_nat() {
    check(
        "dev",
        &render(
            &spec(Tier::Dev, AzChoice::Count(2), NatMode::Single, &[]),
            &Ledger::new(),
        ),
    );
}

#[test]
fn prod_three_azs_nat_per_az() {
    check(
        "prod",
        &render(
            &spec(
                Tier::Prod,
                AzChoice::Count(3),
                NatMode::PerAz,
                &[("team", "core")],
            ),
            &Ledger::new(),
        ),
    );
}

#[test]
fn staging_without_nat() {
    check(
        "staging_nat_none",
        &render(
            &spec(Tier::Staging, AzChoice::Count(2), NatMode::None, &[]),
            &Ledger::new(),
        ),
    );
}

#[test]
fn explicit_zones_by_id_and_name() {
    let azs = AzChoice::Ids(vec!["use1-az4".into(), "us-east-1a".into()]);
    check(
        "explicit_azs",
        &render(&spec(Tier::Dev, azs, NatMode::Single, &[]), &Ledger::new()),
    );
}

#[test]
fn unknown_zone_is_a_diagnostic() {
    let azs = AzChoice::Ids(vec!["use1-az1".into(), "usw2-az1".into()]);
    check(
        "unknown_az",
        &render(&spec(Tier::Dev, azs, NatMode::Single, &[]), &Ledger::new()),
    );
}

fn prior(spec: &EnvironmentSpec) -> Ledger {
    applied(&expand_environment(spec, &region(), &Ledger::new()).0)
}

#[test]
fn growth_only_creates() {
    let before = prior(&spec(Tier::Dev, AzChoice::Count(2), NatMode::Single, &[]));
    let after = spec(Tier::Dev, AzChoice::Count(3), NatMode::Single, &[]);
    let text = render(&after, &before);
    assert!(
        !text.contains("\nreplace") && !text.contains("\ndelete"),
        "{text}"
    );
    // Only what spans every AZ is updated in place: endpoints and the data subnet groups.
    for line in text.lines().filter(|l| l.starts_with("update")) {
        assert!(
            [
                "ec2.vpc_endpoint/",
                "rds.db_subnet_group",
                "elasticache.subnet_group"
            ]
            .iter()
            .any(|k| line.contains(k)),
            "{line}\n{text}"
        );
    }
    check("growth_2_to_3", &text);
}

#[test]
fn single_to_per_az_adds_nats_and_updates_routes() {
    let before = prior(&spec(Tier::Dev, AzChoice::Count(2), NatMode::Single, &[]));
    let text = render(
        &spec(Tier::Dev, AzChoice::Count(2), NatMode::PerAz, &[]),
        &before,
    );
    assert!(
        text.contains("update   ec2.route/private/use1-az2/default"),
        "{text}"
    );
    assert!(
        !text.contains("\nreplace") && !text.contains("\ndelete"),
        "{text}"
    );
    check("single_to_per_az", &text);
}

#[test]
fn per_az_to_single_deletes_extra_nats() {
    let before = prior(&spec(Tier::Prod, AzChoice::Count(3), NatMode::PerAz, &[]));
    check(
        "per_az_to_single",
        &render(
            &spec(Tier::Prod, AzChoice::Count(3), NatMode::Single, &[]),
            &before,
        ),
    );
}

#[test]
fn tag_change_updates_in_place() {
    let before = prior(&spec(
        Tier::Dev,
        AzChoice::Count(2),
        NatMode::Single,
        &[("team", "a")],
    ));
    let text = render(
        &spec(
            Tier::Dev,
            AzChoice::Count(2),
            NatMode::Single,
            &[("team", "b")],
        ),
        &before,
    );
    assert!(
        !text.contains("\ncreate") && !text.contains("\nreplace") && !text.contains("\ndelete"),
        "{text}"
    );
    check("tag_change", &text);
}

#[test]
fn shrinking_removes_the_newest_zone() {
    let before = prior(&spec(Tier::Prod, AzChoice::Count(3), NatMode::PerAz, &[]));
    let text = render(
        &spec(Tier::Prod, AzChoice::Count(2), NatMode::PerAz, &[]),
        &before,
    );
    assert!(
        text.contains("delete   ec2.subnet/private/use1-az4"),
        "{text}"
    );
    assert!(
        !text.contains("use1-az1\ndelete") && !text.contains("\nreplace"),
        "{text}"
    );
    check("shrink_3_to_2", &text);
}

#[test]
fn unchanged_spec_is_a_no_op_and_deletes_reverse_dependencies() {
    let s = spec(Tier::Dev, AzChoice::Count(2), NatMode::Single, &[]);
    let before = prior(&s);
    let (expansion, _) = expand_environment(&s, &region(), &before);
    assert!(!has_changes(&diff(&expansion.nodes, &before)));
    // Deletion waves: the VPC goes last; NAT before its EIP and subnet.
    let waves = delete_waves(&before).unwrap();
    let position = |prefix: &str| {
        waves
            .iter()
            .position(|w| w.iter().any(|k| k.as_str().starts_with(prefix)))
            .unwrap()
    };
    assert!(waves
        .last()
        .unwrap()
        .contains(&NodeKey::new(Kind::Vpc, &[])));
    assert!(position("ec2.nat_gateway/") < position("ec2.eip/"));
    assert!(position("ec2.nat_gateway/") < position("ec2.subnet/public/"));
    assert!(position("ec2.route/") < position("ec2.nat_gateway/"));
    assert!(position("ec2.internet_gateway") > position("ec2.nat_gateway/"));
}

#[test]
fn expansion_is_deterministic() {
    let s = spec(Tier::Prod, AzChoice::Count(3), NatMode::PerAz, &[]);
    assert_eq!(render(&s, &Ledger::new()), render(&s, &Ledger::new()));
}

#[test]
fn tier_defaults_dev() {
    check(
        "tier_dev",
        &render(&tier_defaults(Tier::Dev), &Ledger::new()),
    );
}

#[test]
fn tier_defaults_staging() {
    check(
        "tier_staging",
        &render(&tier_defaults(Tier::Staging), &Ledger::new()),
    );
}

#[test]
fn tier_defaults_prod() {
    let text = render(&tier_defaults(Tier::Prod), &Ledger::new());
    for key in [
        "ec2.vpc_endpoint/ecr.api",
        "ec2.vpc_endpoint/s3",
        "ec2.security_group/endpoints",
        "ec2.flow_log/vpc",
        "iam.role/flow_logs",
    ] {
        assert!(
            text.contains(&format!("\n{key}: ")),
            "{key} missing:\n{text}"
        );
    }
    check("tier_prod", &text);
}

#[test]
fn endpoint_preset_gateway_to_essential_only_adds() {
    let before = prior(&tier_defaults(Tier::Dev));
    let mut after = tier_defaults(Tier::Dev);
    after.network.endpoints.preset = EndpointPreset::Essential;
    after.network.endpoints.extra = vec!["sqs".into()];
    let text = render(&after, &before);
    assert!(text.contains("create   ec2.vpc_endpoint/sqs"), "{text}");
    assert!(
        !text.contains("\nreplace") && !text.contains("\ndelete"),
        "{text}"
    );
    check("endpoints_gateway_to_essential", &text);
}

#[test]
fn flow_logs_and_cluster_settings_change_in_place() {
    let before = prior(&tier_defaults(Tier::Staging));
    let mut after = tier_defaults(Tier::Staging);
    after.network.flow_logs.retention_days = 90;
    after.cluster.container_insights = "enhanced".into();
    after.cluster.capacity.spot_weight = 3;
    after.logging.retention_days = 60;
    let text = render(&after, &before);
    for key in [
        "update   logs.log_group/flow_logs",
        "update   logs.log_group/environment",
        "update   ecs.cluster",
    ] {
        assert!(text.contains(key), "{key} missing:\n{text}");
    }
    assert!(
        !text.contains("\ncreate") && !text.contains("\nreplace") && !text.contains("\ndelete"),
        "{text}"
    );
    check("settings_in_place", &text);
}

#[test]
fn turning_flow_logs_off_deletes_their_children() {
    let before = prior(&tier_defaults(Tier::Prod));
    let mut after = tier_defaults(Tier::Prod);
    after.network.flow_logs.enabled = false;
    let text = render(&after, &before);
    for key in [
        "delete   ec2.flow_log/vpc",
        "delete   iam.role/flow_logs",
        "delete   logs.log_group/flow_logs",
    ] {
        assert!(text.contains(key), "{key} missing:\n{text}");
    }
    assert!(!text.contains("\nreplace"), "{text}");
}

#[test]
fn traffic_type_change_replaces_only_the_flow_log() {
    let before = prior(&tier_defaults(Tier::Staging));
    let mut after = tier_defaults(Tier::Staging);
    after.network.flow_logs.traffic_type = "ALL".into();
    let text = render(&after, &before);
    let replaced: Vec<&str> = text.lines().filter(|l| l.starts_with("replace")).collect();
    assert_eq!(replaced, vec!["replace  ec2.flow_log/vpc"], "{text}");
}

#[test]
fn platform_children_are_deleted_in_reverse_dependency_order() {
    let before = prior(&tier_defaults(Tier::Prod));
    let waves = delete_waves(&before).unwrap();
    let position = |prefix: &str| {
        waves
            .iter()
            .position(|w| w.iter().any(|k| k.as_str().starts_with(prefix)))
            .unwrap_or_else(|| panic!("{prefix} not in any wave"))
    };
    // Interface endpoints (their ENIs) go before the subnets and the group they use.
    assert!(position("ec2.vpc_endpoint/ecr.api") < position("ec2.subnet/private/"));
    assert!(position("ec2.vpc_endpoint/ecr.api") < position("ec2.security_group/endpoints"));
    // Gateway endpoints before the route tables they add routes to.
    assert!(position("ec2.vpc_endpoint/s3") < position("ec2.route_table/data"));
    // Rules before their groups, and a group before the group it is referenced by.
    assert!(
        position("ec2.security_group_rule/data/ingress") < position("ec2.security_group/services")
    );
    // The flow log before its role and log group; subnet groups before the data subnets.
    assert!(position("ec2.flow_log/vpc") < position("iam.role/flow_logs"));
    assert!(position("ec2.flow_log/vpc") < position("logs.log_group/flow_logs"));
    assert!(position("rds.db_subnet_group") < position("ec2.subnet/data/"));
    assert!(position("elasticache.subnet_group") < position("ec2.subnet/data/"));
    assert!(waves
        .last()
        .unwrap()
        .contains(&NodeKey::new(Kind::Vpc, &[])));
}

#[test]
fn ingress_with_a_requested_certificate() {
    let mut spec = tier_defaults(Tier::Prod);
    let mut ingress = ingress_defaults();
    ingress.domain = Some("app.example.com".into());
    ingress.additional_domains = vec!["*.app.example.com".into()];
    spec.ingress = Some(ingress);
    let text = render(&spec, &Ledger::new());
    for key in [
        "acm.certificate",
        "elbv2.load_balancer",
        "elbv2.listener/https",
        "elbv2.listener/http",
        "ec2.security_group/load_balancer",
        "ec2.security_group_rule/load_balancer/ingress/https-from-0.0.0.0_0",
        "ec2.security_group_rule/services/ingress/tcp-from-load-balancer",
    ] {
        assert!(
            text.contains(&format!("\n{key}: ")),
            "{key} missing:\n{text}"
        );
    }
    check("ingress_requested_certificate", &text);
}

#[test]
fn ingress_with_a_given_certificate_and_no_port_80() {
    let mut spec = tier_defaults(Tier::Dev);
    let mut ingress = ingress_defaults();
    ingress.internal = true;
    ingress.certificate_arn = Some("arn:aws:acm:us-east-1:123456789012:certificate/abc".into());
    ingress.http_to_https = false;
    ingress.allowed_cidrs = vec!["10.0.0.0/8".into()];
    spec.ingress = Some(ingress);
    let text = render(&spec, &Ledger::new());
    assert!(!text.contains("acm.certificate"), "{text}");
    assert!(!text.contains("elbv2.listener/http:"), "{text}");
    assert!(
        text.contains("internal=true subnets=[ec2.subnet/private/"),
        "{text}"
    );
    check("ingress_given_certificate", &text);
}

#[test]
fn ingress_settings_change_in_place_and_scheme_replaces_only_the_load_balancer() {
    let mut spec = tier_defaults(Tier::Staging);
    let mut ingress = ingress_defaults();
    ingress.domain = Some("app.example.com".into());
    spec.ingress = Some(ingress.clone());
    let before = prior(&spec);
    ingress.idle_timeout_seconds = 120;
    ingress.tls_policy = "ELBSecurityPolicy-TLS13-1-3-2021-06".into();
    spec.ingress = Some(ingress.clone());
    let text = render(&spec, &before);
    let changed: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.starts_with("update")
                || l.starts_with("replace")
                || l.starts_with("create")
                || l.starts_with("delete")
        })
        .collect();
    assert_eq!(
        changed,
        vec![
            "update   elbv2.listener/https",
            "update   elbv2.load_balancer"
        ],
        "{text}"
    );
    ingress.internal = true;
    spec.ingress = Some(ingress);
    let text = render(&spec, &before);
    let replaced: Vec<&str> = text.lines().filter(|l| l.starts_with("replace")).collect();
    assert_eq!(
        replaced,
        vec![
            "replace  elbv2.listener/http",
            "replace  elbv2.listener/https",
            "replace  elbv2.load_balancer"
        ],
        "{text}"
    );
}

#[test]
fn ingress_is_deleted_listeners_first() {
    let mut spec = tier_defaults(Tier::Dev);
    let mut ingress = ingress_defaults();
    ingress.domain = Some("app.example.com".into());
    spec.ingress = Some(ingress);
    let before = prior(&spec);
    let waves = delete_waves(&before).unwrap();
    let position = |prefix: &str| {
        waves
            .iter()
            .position(|w| w.iter().any(|k| k.as_str().starts_with(prefix)))
            .unwrap()
    };
    assert!(position("elbv2.listener/https") < position("elbv2.load_balancer"));
    assert!(position("elbv2.listener/https") < position("acm.certificate"));
    assert!(position("elbv2.load_balancer") < position("ec2.subnet/public/"));
    assert!(position("elbv2.load_balancer") < position("ec2.security_group/load_balancer"));
}

#[test]
fn service_discovery_adds_a_namespace_the_cluster_defaults_to() {
    let mut with = spec(Tier::Dev, AzChoice::Count(2), NatMode::Single, &[]);
    with.service_discovery = Some(ServiceDiscoverySpec {
        namespace: default_namespace(&with.name),
    });
    check("dev_service_discovery", &render(&with, &Ledger::new()));
    // Added to an existing environment: the namespace, then the cluster's default, in place.
    let before = prior(&spec(Tier::Dev, AzChoice::Count(2), NatMode::Single, &[]));
    let text = render(&with, &before);
    let changes: Vec<String> = text
        .lines()
        .filter(|l| {
            ["create ", "update ", "replace ", "delete "]
                .iter()
                .any(|v| l.starts_with(v))
        })
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        changes,
        [
            "update ecs.cluster",
            "create servicediscovery.private_dns_namespace"
        ],
        "{text}"
    );
    // A namespace that is not a DNS name is refused on the attribute.
    let mut bad = with.clone();
    bad.service_discovery = Some(ServiceDiscoverySpec {
        namespace: "internal".into(),
    });
    let diags = validate_environment(&bad);
    assert!(
        diags
            .0
            .iter()
            .any(|d| format!("{:?}", d.path).contains("namespace")),
        "{diags:?}"
    );
}
