//! Golden tests of the pure engine: spec in; child graph, operations and effective_config out.
//! Regenerate with `UPDATE_EXPECT=1 cargo test --test plan_golden` and review the diff.

use std::fmt::Write as _;
use std::path::PathBuf;

use terraform_provider_platform::plan::diff::{diff, has_changes, render_ops};
use terraform_provider_platform::plan::expand::environment::{
    effective_config, expand_environment, Expansion,
};
use terraform_provider_platform::plan::graph::{create_waves, delete_waves};
use terraform_provider_platform::plan::ledger::{Ledger, Recorded};
use terraform_provider_platform::plan::node::{ChildSpec, RouteTarget};
use terraform_provider_platform::plan::spec::{
    AzChoice, EnvironmentSpec, Ipv4Cidr, NatMode, NetworkSpec, RegionFacts, SubnetNewbits, Tier,
    Zone,
};

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
    EnvironmentSpec {
        name: "env1".into(),
        tier,
        network: NetworkSpec {
            cidr: Ipv4Cidr::parse("10.0.0.0/16").unwrap(),
            azs,
            newbits: SubnetNewbits {
                public: 8,
                private: 4,
                data: 8,
            },
            nat_mode: nat,
        },
        tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        written: "t=dev".into(),
    }
}

/// What a successful apply of `expansion` would record.
fn applied(expansion: &Expansion) -> Ledger {
    let mut ledger = Ledger::new();
    for (key, node) in &expansion.nodes {
        ledger.children.insert(
            key.clone(),
            Recorded {
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
    }
}

fn render(spec: &EnvironmentSpec, prior: &Ledger) -> String {
    let (expansion, diags) = expand_environment(spec, &region(), prior);
    let mut out = String::new();
    for d in diags.iter() {
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
        !text.contains("\nupdate") && !text.contains("\nreplace") && !text.contains("\ndelete"),
        "{text}"
    );
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
    assert_eq!(position("ec2.vpc"), waves.len() - 1);
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
