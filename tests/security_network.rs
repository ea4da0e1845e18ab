//! Network paths of `docs/security.md` ("Network paths"), as tests over the pure expansion:
//! for every tier, NAT mode, AZ choice and ingress shape, data subnets never route to the
//! internet, private subnets reach it only through a NAT gateway, and each kind of object
//! lives in the tier it should.

use std::collections::{BTreeMap, BTreeSet};

use terraform_provider_platform::aws::ec2::route::{RouteSpec, RouteTarget};
use terraform_provider_platform::aws::ec2::vpc_endpoint::EndpointType;
use terraform_provider_platform::plan::app::{
    DeploymentSpec, EnvironmentFacts, IamSpec, ImageSource, ServiceSpec,
};
use terraform_provider_platform::plan::expand::environment::{expand_environment, Expansion};
use terraform_provider_platform::plan::expand::service::{expand_service, ServiceInputs};
use terraform_provider_platform::plan::ledger::{Ledger, Recorded};
use terraform_provider_platform::plan::node::{ChildSpec, Kind, NodeKey, SubnetTier};
use terraform_provider_platform::plan::spec::{
    validate_environment, AzChoice, CapacitySpec, EndpointPreset, EnvironmentSpec, NatMode,
    RegionFacts, Tier, Zone,
};
use terraform_provider_platform::plan::tiers::{ingress_defaults, ServiceDefaults, TierDefaults};

const INTERNET: &[&str] = &["0.0.0.0/0", "::/0"];

fn region() -> RegionFacts {
    let zones = [
        ("us-east-1a", "use1-az1"),
        ("us-east-1b", "use1-az2"),
        ("us-east-1c", "use1-az4"),
        ("us-east-1d", "use1-az6"),
    ];
    RegionFacts {
        region: "us-east-1".into(),
        zones: zones
            .iter()
            .map(|(name, id)| Zone {
                name: name.to_string(),
                id: id.to_string(),
            })
            .collect(),
    }
}

#[derive(Debug, Clone, Copy)]
enum Ingress {
    None,
    InternetFacing,
    Internal,
}

fn environment(tier: Tier, nat: NatMode, azs: AzChoice, ingress: Ingress) -> EnvironmentSpec {
    let mut spec = TierDefaults::for_tier(tier).environment("net1", tier);
    spec.written = format!("{{\"tier\":\"{}\"}}", tier.as_str());
    spec.network.nat_mode = nat;
    spec.network.azs = azs;
    // Without NAT, the plan requires an egress path or an explicit opt-out.
    if nat == NatMode::None && spec.network.endpoints.preset != EndpointPreset::Essential {
        spec.network.allow_no_egress = true;
    }
    if !matches!(ingress, Ingress::None) {
        let mut block = ingress_defaults();
        block.domain = Some("example.com".into());
        block.internal = matches!(ingress, Ingress::Internal);
        spec.ingress = Some(block);
    }
    spec
}

/// Every tier × NAT mode × AZ choice × ingress shape.
fn specs() -> Vec<(String, EnvironmentSpec)> {
    let mut out = Vec::new();
    for tier in [Tier::Dev, Tier::Staging, Tier::Prod] {
        for nat in [NatMode::None, NatMode::Single, NatMode::PerAz] {
            for azs in [
                AzChoice::Count(2),
                AzChoice::Count(3),
                AzChoice::Ids(vec!["use1-az6".into(), "use1-az1".into()]),
            ] {
                for ingress in [Ingress::None, Ingress::InternetFacing, Ingress::Internal] {
                    let label = format!(
                        "tier {} nat {} azs {azs:?} ingress {ingress:?}",
                        tier.as_str(),
                        nat.as_str()
                    );
                    out.push((label, environment(tier, nat, azs.clone(), ingress)));
                }
            }
        }
    }
    out
}

fn expand(label: &str, spec: &EnvironmentSpec, prior: &Ledger) -> Expansion {
    let validation = validate_environment(spec);
    assert!(
        !validation.has_errors(),
        "{label}: invalid input: {:?}",
        validation
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    );
    let (expansion, diags) = expand_environment(spec, &region(), prior);
    assert!(
        !diags.has_errors(),
        "{label}: {:?}",
        diags.iter().map(ToString::to_string).collect::<Vec<_>>()
    );
    expansion
}

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

/// The routing view of one expansion.
struct Network<'a> {
    label: &'a str,
    expansion: &'a Expansion,
    /// Subnet key → (tier, AZ ID).
    subnets: BTreeMap<NodeKey, (SubnetTier, String)>,
    /// Subnet key → the route tables associated with it.
    tables_of: BTreeMap<NodeKey, Vec<NodeKey>>,
    /// Route table key → (destination, target) of its routes.
    routes: BTreeMap<NodeKey, Vec<(String, RouteTarget)>>,
}

impl<'a> Network<'a> {
    fn new(label: &'a str, expansion: &'a Expansion) -> Network<'a> {
        let mut subnets = BTreeMap::new();
        let mut tables_of: BTreeMap<NodeKey, Vec<NodeKey>> = BTreeMap::new();
        let mut routes: BTreeMap<NodeKey, Vec<(String, RouteTarget)>> = BTreeMap::new();
        for (key, node) in &expansion.nodes {
            match &node.spec {
                ChildSpec::Subnet(s) => {
                    subnets.insert(key.clone(), (s.tier, s.az_id.clone()));
                }
                ChildSpec::RouteTableAssociation(a) => {
                    tables_of
                        .entry(a.subnet.clone())
                        .or_default()
                        .push(a.route_table.clone());
                }
                ChildSpec::Route(r) => routes
                    .entry(r.route_table.clone())
                    .or_default()
                    .push((r.destination_cidr.clone(), r.target.clone())),
                _ => {}
            }
        }
        for (table, _) in routes.iter() {
            assert!(
                expansion.nodes.contains_key(table),
                "{label}: a route names the missing table {table}"
            );
        }
        Network {
            label,
            expansion,
            subnets,
            tables_of,
            routes,
        }
    }

    fn subnets_of(&self, tier: SubnetTier) -> Vec<(&NodeKey, &String)> {
        self.subnets
            .iter()
            .filter(|(_, (t, _))| *t == tier)
            .map(|(k, (_, az))| (k, az))
            .collect()
    }

    /// The one table of a subnet; fails unless there is exactly one.
    fn table(&self, subnet: &NodeKey) -> &NodeKey {
        let tables = self.tables_of.get(subnet).map(Vec::as_slice).unwrap_or(&[]);
        assert_eq!(
            tables.len(),
            1,
            "{}: {subnet} must be associated with exactly one route table (else it uses the VPC's main table), has {tables:?}",
            self.label
        );
        let table = &tables[0];
        assert!(
            matches!(self.expansion.nodes.get(table).map(|n| n.spec.kind()), Some(Kind::RouteTable)),
            "{}: {subnet} is associated with {table}, which is not a route table of the environment",
            self.label
        );
        table
    }

    fn routes_of(&self, table: &NodeKey) -> &[(String, RouteTarget)] {
        self.routes.get(table).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The subnet a NAT gateway lives in.
    fn nat_subnet(&self, nat: &NodeKey) -> &NodeKey {
        match self.expansion.nodes.get(nat).map(|n| &n.spec) {
            Some(ChildSpec::NatGateway(n)) => &n.subnet,
            other => panic!(
                "{}: route target {nat} is not a NAT gateway: {other:?}",
                self.label
            ),
        }
    }

    fn tier_of(&self, subnet: &NodeKey) -> (SubnetTier, &str) {
        let (tier, az) = self.subnets.get(subnet).unwrap_or_else(|| {
            panic!(
                "{}: {subnet} is not a subnet of the environment",
                self.label
            )
        });
        (*tier, az)
    }
}

/// Data never reaches the internet; private only through NAT; public through the IGW.
fn check_routes(label: &str, spec: &EnvironmentSpec, expansion: &Expansion) {
    let net = Network::new(label, expansion);
    let azs = expansion.az_order.len();
    for tier in SubnetTier::ALL {
        assert_eq!(
            net.subnets_of(tier).len(),
            azs,
            "{label}: one {} subnet per AZ",
            tier.as_str()
        );
    }
    let mut tables_by_tier: BTreeMap<&str, BTreeSet<&NodeKey>> = BTreeMap::new();
    for (subnet, (tier, _)) in &net.subnets {
        tables_by_tier
            .entry(tier.as_str())
            .or_default()
            .insert(net.table(subnet));
    }
    // No table serves two tiers, so a tier's routes cannot leak into another's.
    let tiers: Vec<&BTreeSet<&NodeKey>> = tables_by_tier.values().collect();
    for (i, a) in tiers.iter().enumerate() {
        for b in &tiers[i + 1..] {
            assert!(
                a.is_disjoint(b),
                "{label}: tiers share route tables: {tables_by_tier:?}"
            );
        }
    }

    for (subnet, _) in net.subnets_of(SubnetTier::Data) {
        let table = net.table(subnet);
        let routes = net.routes_of(table);
        assert!(
            routes.is_empty(),
            "{label}: data subnet {subnet} (table {table}) has routes {routes:?}; the data tier must not reach the internet"
        );
    }

    for (subnet, az) in net.subnets_of(SubnetTier::Private) {
        let table = net.table(subnet);
        let routes = net.routes_of(table);
        for (destination, target) in routes {
            assert!(
                !matches!(target, RouteTarget::InternetGateway(_)),
                "{label}: private subnet {subnet} routes {destination} to the internet gateway"
            );
        }
        let defaults: Vec<&RouteTarget> = routes
            .iter()
            .filter(|(d, _)| INTERNET.contains(&d.as_str()))
            .map(|(_, t)| t)
            .collect();
        match spec.network.nat_mode {
            NatMode::None => assert!(
                defaults.is_empty(),
                "{label}: private subnet {subnet} has a default route without NAT: {defaults:?}"
            ),
            mode => {
                assert_eq!(
                    defaults.len(),
                    1,
                    "{label}: private subnet {subnet} needs exactly one default route, has {defaults:?}"
                );
                let RouteTarget::NatGateway(nat) = defaults[0] else {
                    panic!("{label}: private default route of {subnet} is not via NAT");
                };
                let nat_subnet = net.nat_subnet(nat);
                let (nat_tier, nat_az) = net.tier_of(nat_subnet);
                assert_eq!(
                    nat_tier,
                    SubnetTier::Public,
                    "{label}: NAT gateway {nat} must live in a public subnet, lives in {nat_subnet}"
                );
                if mode == NatMode::PerAz {
                    assert_eq!(
                        nat_az, az,
                        "{label}: per-AZ NAT: private subnet {subnet} uses the NAT of another AZ"
                    );
                } else {
                    assert_eq!(
                        nat_az, expansion.az_order[0],
                        "{label}: single NAT lives in the first AZ"
                    );
                }
            }
        }
    }

    for (subnet, _) in net.subnets_of(SubnetTier::Public) {
        let table = net.table(subnet);
        let defaults: Vec<&RouteTarget> = net
            .routes_of(table)
            .iter()
            .filter(|(d, _)| d == "0.0.0.0/0")
            .map(|(_, t)| t)
            .collect();
        assert!(
            matches!(defaults.as_slice(), [RouteTarget::InternetGateway(igw)] if expansion.nodes.contains_key(igw)),
            "{label}: public subnet {subnet} must route 0.0.0.0/0 to the environment's internet gateway, has {defaults:?}"
        );
    }

    let nats = expansion
        .nodes
        .values()
        .filter(|n| n.spec.kind() == Kind::NatGateway)
        .count();
    let expected_nats = match spec.network.nat_mode {
        NatMode::None => 0,
        NatMode::Single => 1,
        NatMode::PerAz => azs,
    };
    assert_eq!(nats, expected_nats, "{label}: NAT gateways");
}

/// Objects sit in the tier they belong to, and nothing gets a public address by accident.
fn check_placement(label: &str, spec: &EnvironmentSpec, expansion: &Expansion) {
    let net = Network::new(label, expansion);
    let tiers_of = |subnets: &[NodeKey]| -> BTreeSet<SubnetTier> {
        subnets.iter().map(|s| net.tier_of(s).0).collect()
    };
    let all_of = |tier: SubnetTier| -> Vec<NodeKey> {
        net.subnets_of(tier)
            .into_iter()
            .map(|(k, _)| k.clone())
            .collect()
    };
    for node in expansion.nodes.values() {
        match &node.spec {
            ChildSpec::Subnet(s) => assert!(
                !s.map_public_ip_on_launch,
                "{label}: {} maps public IPs on launch",
                node.key
            ),
            ChildSpec::DbSubnetGroup(g) => assert_eq!(
                g.subnets,
                all_of(SubnetTier::Data),
                "{label}: the DB subnet group must hold exactly the data subnets"
            ),
            ChildSpec::CacheSubnetGroup(g) => assert_eq!(
                g.subnets,
                all_of(SubnetTier::Data),
                "{label}: the cache subnet group must hold exactly the data subnets"
            ),
            ChildSpec::VpcEndpoint(e) => match e.endpoint_type {
                EndpointType::Interface => assert_eq!(
                    tiers_of(&e.subnets),
                    [SubnetTier::Private].into(),
                    "{label}: interface endpoint {} must be in private subnets",
                    node.key
                ),
                EndpointType::Gateway => {
                    let service = e.service_name.rsplit('.').next().unwrap_or_default();
                    assert!(
                        matches!(service, "s3" | "dynamodb"),
                        "{label}: unexpected gateway endpoint {}",
                        e.service_name
                    );
                    let private_and_data: BTreeSet<&NodeKey> = net
                        .subnets
                        .iter()
                        .filter(|(_, (t, _))| *t != SubnetTier::Public)
                        .map(|(s, _)| net.table(s))
                        .collect();
                    assert_eq!(
                        e.route_tables.iter().collect::<BTreeSet<_>>(),
                        private_and_data,
                        "{label}: gateway endpoint {} must serve the private and data tables, never the public one",
                        node.key
                    );
                }
            },
            ChildSpec::LoadBalancer(lb) => {
                let internal = spec.ingress.as_ref().is_some_and(|i| i.internal);
                let tier = if internal {
                    SubnetTier::Private
                } else {
                    SubnetTier::Public
                };
                assert_eq!(lb.internal, internal, "{label}: load balancer scheme");
                assert_eq!(
                    lb.subnets,
                    all_of(tier),
                    "{label}: the load balancer must span the {} subnets",
                    tier.as_str()
                );
            }
            _ => {}
        }
    }
}

fn service(tier: Tier) -> ServiceSpec {
    let d = ServiceDefaults::for_tier(tier);
    ServiceSpec {
        environment: "net1".into(),
        name: "api".into(),
        image: "public.ecr.aws/nginx/nginx:1.27".into(),
        image_source: ImageSource::Terraform,
        cpu: 256,
        memory: 512,
        architecture: "X86_64".into(),
        port: Some(8080),
        command: vec![],
        environment_variables: BTreeMap::new(),
        secrets: BTreeMap::new(),
        generated_secrets: vec![],
        regenerate_secrets: vec![],
        database_access: vec![],
        cache_access: vec![],
        allow_from_services: vec![],
        internal: None,
        messaging: Vec::new(),
        buckets: Vec::new(),
        sidecars: vec![],
        repository_credentials_secret_arn: None,
        schedules: vec![],
        repository_credentials_kms_key_arn: None,
        desired_count: d.desired_count,
        exec_enabled: d.exec_enabled,
        read_only_root_filesystem: true,
        routing: None,
        autoscaling: None,
        capacity: CapacitySpec {
            fargate_weight: 1,
            spot_weight: 0,
            base: 0,
        },
        deployment: DeploymentSpec {
            min_healthy_percent: d.min_healthy_percent,
            max_percent: d.max_percent,
            circuit_breaker: true,
            wait: false,
        },
        iam: IamSpec::default(),
        log_retention_days: 30,
        tags: BTreeMap::new(),
    }
}

/// Tasks run in the private subnets only.
fn check_service_placement(label: &str, spec: &EnvironmentSpec, expansion: &Expansion) {
    let env = EnvironmentFacts {
        name: spec.name.clone(),
        tier: spec.tier,
        region: "us-east-1".into(),
        ids: expansion
            .nodes
            .keys()
            .map(|k| (k.clone(), format!("id-of-{k}")))
            .collect(),
        log_retention_days: spec.logging.retention_days,
        log_kms_key_arn: None,
        capacity: spec.cluster.capacity,
        secret_recovery_window_days: spec.secret_recovery_window_days,
        service_discovery: None,
        certificate_arn: None,
        load_balancer_dns_name: None,
    };
    let graph = expand_service(
        &service(spec.tier),
        &env,
        &ServiceInputs {
            priority: None,
            running_image: None,
            recorded_secrets: Default::default(),
        },
    );
    let private: Vec<NodeKey> = expansion
        .nodes
        .values()
        .filter_map(|n| match &n.spec {
            ChildSpec::Subnet(s) if s.tier == SubnetTier::Private => Some(n.key.clone()),
            _ => None,
        })
        .collect();
    let ecs: Vec<&Vec<NodeKey>> = graph
        .nodes
        .values()
        .filter_map(|n| match &n.spec {
            ChildSpec::EcsService(s) => Some(&s.subnets),
            _ => None,
        })
        .collect();
    assert_eq!(
        ecs,
        vec![&private],
        "{label}: ECS service subnets must be the private tier"
    );
}

#[test]
fn data_subnets_never_route_to_the_internet_and_private_ones_only_through_nat() {
    let specs = specs();
    assert_eq!(specs.len(), 81);
    for (label, spec) in &specs {
        let expansion = expand(label, spec, &Ledger::new());
        check_routes(label, spec, &expansion);
    }
}

#[test]
fn every_object_sits_in_its_tier() {
    for (label, spec) in specs() {
        let expansion = expand(&label, &spec, &Ledger::new());
        check_placement(&label, &spec, &expansion);
        check_service_placement(&label, &spec, &expansion);
    }
}

#[test]
fn changing_nat_mode_or_az_count_keeps_the_paths() {
    // From each layout to each other one, as a later apply would plan it.
    let layouts: Vec<(NatMode, usize)> = [NatMode::None, NatMode::Single, NatMode::PerAz]
        .into_iter()
        .flat_map(|nat| [2, 3].map(|n| (nat, n)))
        .collect();
    for tier in [Tier::Dev, Tier::Prod] {
        for (from_nat, from_azs) in &layouts {
            let before = environment(tier, *from_nat, AzChoice::Count(*from_azs), Ingress::None);
            let label = format!("{} {} x{from_azs}", tier.as_str(), from_nat.as_str());
            let prior = applied(&expand(&label, &before, &Ledger::new()));
            for (to_nat, to_azs) in &layouts {
                let after = environment(tier, *to_nat, AzChoice::Count(*to_azs), Ingress::None);
                let label = format!("{label} -> {} x{to_azs}", to_nat.as_str());
                let expansion = expand(&label, &after, &prior);
                check_routes(&label, &after, &expansion);
                check_placement(&label, &after, &expansion);
            }
        }
    }
}

#[test]
fn the_checks_catch_a_data_route_to_nat() {
    // The routine above must fail on the leak it looks for.
    let spec = environment(
        Tier::Dev,
        NatMode::Single,
        AzChoice::Count(2),
        Ingress::None,
    );
    let mut expansion = expand("dev", &spec, &Ledger::new());
    let nat = expansion
        .nodes
        .keys()
        .find(|k| k.kind() == Some(Kind::NatGateway))
        .cloned()
        .expect("a NAT gateway");
    let leak = NodeKey::new(Kind::Route, &["data", "default"]);
    expansion.nodes.insert(
        leak.clone(),
        terraform_provider_platform::plan::node::Node {
            key: leak,
            spec: ChildSpec::Route(RouteSpec {
                route_table: NodeKey::new(Kind::RouteTable, &["data"]),
                destination_cidr: "0.0.0.0/0".into(),
                target: RouteTarget::NatGateway(nat),
            }),
        },
    );
    let caught = std::panic::catch_unwind(|| check_routes("leaky", &spec, &expansion));
    assert!(caught.is_err(), "a data route to NAT went unnoticed");
}
