//! The executor for the ingress kinds (ELBv2 load balancer and listener, ACM certificate)
//! against mocked SDK responses: provisioning waits, deletion protection, certificate
//! issuance, in-use retries, adoption and gone-on-read, which the emulator cannot all show
//! (docs/design/emulator.md, "Load balancers and certificates": its ALB is active at once, deletion protection and in-use certificates do
//! not block deletes, and certificates never wait for validation).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use tokio_util::sync::CancellationToken;

use terraform_provider_platform::apply::{self, IdMap, RunOptions};
use terraform_provider_platform::aws::acm::certificate::CertificateSpec;
use terraform_provider_platform::aws::common::reads::Reads;
use terraform_provider_platform::aws::ec2::security_group::SecurityGroupSpec;
use terraform_provider_platform::aws::ec2::subnet::SubnetSpec;
use terraform_provider_platform::aws::elbv2::listener::create_listener_with;
use terraform_provider_platform::aws::elbv2::listener::{
    CertificateSource, ListenerDefault, ListenerSpec,
};
use terraform_provider_platform::aws::elbv2::load_balancer::LoadBalancerSpec;
use terraform_provider_platform::aws::kind::{AwsKind as _, Cx};
use terraform_provider_platform::aws::{AwsClients, Executor};
use terraform_provider_platform::plan::diff::diff;
use terraform_provider_platform::plan::ledger::{Ledger, Recorded};
use terraform_provider_platform::plan::node::*;

/// The scenarios this file covers, one test each.
#[derive(Debug)]
enum Scenario {
    LoadBalancerCreateWaitsActive,
    LoadBalancerDeleteProtection,
    LoadBalancerAdopted,
    ListenerWaitsForIssued,
    ListenerCertificateFailed,
    ListenerRetriesUnusableCertificate,
    CertificateRequest,
    CertificateDeleteInUse,
    GoneOnRead,
}

const OWNER: &str = "environment/test";
const LB_ARN: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/test/50dc6c495c0c9188";
const LISTENER_ARN: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/test/50dc6c495c0c9188/f2f7dc8efc522ab2";
const CERT_ARN: &str =
    "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012";
const SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/// Rules per service; a service left empty answers nothing.
#[derive(Default)]
struct Mocks<'a> {
    elbv2: Vec<&'a Rule>,
    acm: Vec<&'a Rule>,
}

fn clients(m: &Mocks) -> AwsClients {
    let none = &[] as &[&Rule];
    AwsClients {
        ec2: mock_client!(aws_sdk_ec2, RuleMode::MatchAny, none).into(),
        sts: mock_client!(aws_sdk_sts, RuleMode::MatchAny, none).into(),
        ecs: mock_client!(aws_sdk_ecs, RuleMode::MatchAny, none).into(),
        iam: mock_client!(aws_sdk_iam, RuleMode::MatchAny, none).into(),
        logs: mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, none).into(),
        rds: mock_client!(aws_sdk_rds, RuleMode::MatchAny, none).into(),
        elasticache: mock_client!(aws_sdk_elasticache, RuleMode::MatchAny, none).into(),
        elbv2: elbv2_client(m).into(),
        acm: acm_client(m).into(),
        acm_us_east_1: mock_client!(aws_sdk_acm, RuleMode::MatchAny, none).into(),
        cloudfront: mock_client!(aws_sdk_cloudfront, RuleMode::MatchAny, none).into(),
        scheduler: mock_client!(aws_sdk_scheduler, RuleMode::MatchAny, none).into(),
        secretsmanager: mock_client!(aws_sdk_secretsmanager, RuleMode::MatchAny, none).into(),
        autoscaling: mock_client!(aws_sdk_applicationautoscaling, RuleMode::MatchAny, none).into(),
        servicediscovery: mock_client!(aws_sdk_servicediscovery, RuleMode::MatchAny, none).into(),
        s3: mock_client!(aws_sdk_s3, RuleMode::MatchAny, none).into(),
        sns: mock_client!(aws_sdk_sns, RuleMode::MatchAny, none).into(),
        sqs: mock_client!(aws_sdk_sqs, RuleMode::MatchAny, none).into(),
    }
}

fn elbv2_client(m: &Mocks) -> aws_sdk_elasticloadbalancingv2::Client {
    mock_client!(
        aws_sdk_elasticloadbalancingv2,
        RuleMode::MatchAny,
        &m.elbv2,
        |c| c.retry_config(aws_sdk_elasticloadbalancingv2::config::retry::RetryConfig::disabled())
    )
}

fn acm_client(m: &Mocks) -> aws_sdk_acm::Client {
    mock_client!(aws_sdk_acm, RuleMode::MatchAny, &m.acm, |c| c
        .retry_config(aws_sdk_acm::config::retry::RetryConfig::disabled()))
}

/// An error as the query protocol (ELBv2) sends it.
fn query_error(code: &str, status: u16) -> HttpResponse {
    let body = format!(
        "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>mocked {code}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
    );
    HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body))
}

/// An error as the JSON protocol (ACM) sends it.
fn json_error(code: &str) -> HttpResponse {
    let body = format!(r#"{{"__type":"{code}","message":"mocked {code}"}}"#);
    HttpResponse::new(StatusCode::try_from(400).unwrap(), SdkBody::from(body))
}

fn opts() -> RunOptions {
    RunOptions {
        concurrency: 4,
        cancel: CancellationToken::new(),
        deadline: tokio::time::Instant::now() + Duration::from_secs(3600),
    }
}

fn owner_tags(key: &NodeKey, owner: &str) -> Tags {
    [
        ("platform:managed-by", "terraform-provider-platform"),
        ("platform:owner", owner),
        ("platform:node", key.as_str()),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn graph(nodes: Vec<(NodeKey, ChildSpec)>) -> BTreeMap<NodeKey, Node> {
    nodes
        .into_iter()
        .map(|(key, spec)| (key.clone(), Node { key, spec }))
        .collect()
}

fn ledger(entries: Vec<(NodeKey, &str, ChildSpec)>) -> Ledger {
    let mut ledger = Ledger::new();
    for (key, id, observed) in entries {
        ledger.children.insert(
            key,
            Recorded {
                refs: Default::default(),
                id: id.into(),
                observed,
            },
        );
    }
    ledger
}

/// Records the order of calls across rules.
#[derive(Clone, Default)]
struct Calls(Arc<Mutex<Vec<String>>>);

impl Calls {
    fn push(&self, call: &str) {
        self.0.lock().unwrap().push(call.to_string());
    }
    fn get(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

// Fixtures: the network the load balancer sits in, the load balancer, listener, certificate.

fn subnet_key(az: &str) -> NodeKey {
    NodeKey::new(Kind::Subnet, &["public", az])
}

fn subnet_spec(az: &str) -> ChildSpec {
    ChildSpec::Subnet(SubnetSpec {
        vpc: NodeKey::new(Kind::Vpc, &[]),
        tier: SubnetTier::Public,
        az_id: az.into(),
        cidr: "10.0.0.0/24".into(),
        map_public_ip_on_launch: true,
        tags: owner_tags(&subnet_key(az), OWNER),
    })
}

fn sg_key() -> NodeKey {
    NodeKey::new(Kind::SecurityGroup, &["alb"])
}

fn sg_spec() -> ChildSpec {
    ChildSpec::SecurityGroup(SecurityGroupSpec {
        vpc: NodeKey::new(Kind::Vpc, &[]),
        name: "test-alb".into(),
        description: "load balancer".into(),
        tags: owner_tags(&sg_key(), OWNER),
    })
}

/// Subnets and security group as recorded and desired, unchanged by the runs.
fn network() -> Vec<(NodeKey, &'static str, ChildSpec)> {
    vec![
        (subnet_key("use1-az1"), "subnet-1", subnet_spec("use1-az1")),
        (subnet_key("use1-az2"), "subnet-2", subnet_spec("use1-az2")),
        (sg_key(), "sg-1", sg_spec()),
    ]
}

fn lb_key() -> NodeKey {
    NodeKey::new(Kind::LoadBalancer, &[])
}

fn lb_spec() -> LoadBalancerSpec {
    LoadBalancerSpec {
        name: "test".into(),
        internal: false,
        subnets: vec![subnet_key("use1-az1"), subnet_key("use1-az2")],
        security_groups: vec![sg_key()],
        idle_timeout_seconds: 120,
        drop_invalid_headers: true,
        deletion_protection: false,
        tags: owner_tags(&lb_key(), OWNER),
    }
}

fn cert_key() -> NodeKey {
    NodeKey::new(Kind::Certificate, &[])
}

fn cert_spec() -> CertificateSpec {
    CertificateSpec {
        domain: "example.com".into(),
        alternative_names: vec!["www.example.com".into()],
        tags: owner_tags(&cert_key(), OWNER),
    }
}

fn listener_key() -> NodeKey {
    NodeKey::new(Kind::Listener, &["https"])
}

fn listener_spec() -> ListenerSpec {
    ListenerSpec {
        load_balancer: lb_key(),
        port: 443,
        protocol: "HTTPS".into(),
        ssl_policy: Some(SSL_POLICY.into()),
        certificate: Some(CertificateSource::Node(cert_key())),
        default_action: ListenerDefault::NotFound,
        tags: owner_tags(&listener_key(), OWNER),
    }
}

mod elb {
    pub use aws_sdk_elasticloadbalancingv2::operation::{
        create_listener::CreateListenerOutput, create_load_balancer::CreateLoadBalancerOutput,
        delete_load_balancer::DeleteLoadBalancerOutput,
        describe_listeners::DescribeListenersOutput,
        describe_load_balancer_attributes::DescribeLoadBalancerAttributesOutput,
        describe_load_balancers::DescribeLoadBalancersOutput, describe_tags::DescribeTagsOutput,
        modify_load_balancer_attributes::ModifyLoadBalancerAttributesOutput,
    };
    pub use aws_sdk_elasticloadbalancingv2::types::{
        AvailabilityZone, Listener, LoadBalancer, LoadBalancerAttribute, LoadBalancerSchemeEnum,
        LoadBalancerState, LoadBalancerStateEnum, LoadBalancerTypeEnum, Tag, TagDescription,
    };
    pub use aws_sdk_elasticloadbalancingv2::Client;
}

fn load_balancer(state: elb::LoadBalancerStateEnum) -> elb::LoadBalancer {
    elb::LoadBalancer::builder()
        .load_balancer_arn(LB_ARN)
        .load_balancer_name("test")
        .dns_name("test-1234.us-east-1.elb.amazonaws.com")
        .canonical_hosted_zone_id("Z35SXDOTRQ7X7K")
        .scheme(elb::LoadBalancerSchemeEnum::InternetFacing)
        .r#type(elb::LoadBalancerTypeEnum::Application)
        .availability_zones(
            elb::AvailabilityZone::builder()
                .zone_name("us-east-1b")
                .subnet_id("subnet-2")
                .build(),
        )
        .availability_zones(
            elb::AvailabilityZone::builder()
                .zone_name("us-east-1a")
                .subnet_id("subnet-1")
                .build(),
        )
        .security_groups("sg-1")
        .state(elb::LoadBalancerState::builder().code(state).build())
        .build()
}

fn describe_lb_output(state: elb::LoadBalancerStateEnum) -> elb::DescribeLoadBalancersOutput {
    elb::DescribeLoadBalancersOutput::builder()
        .load_balancers(load_balancer(state))
        .build()
}

fn attributes_output(
    idle: &str,
    drop: &str,
    protection: &str,
) -> elb::DescribeLoadBalancerAttributesOutput {
    let attribute = |k: &str, v: &str| {
        elb::LoadBalancerAttribute::builder()
            .key(k)
            .value(v)
            .build()
    };
    elb::DescribeLoadBalancerAttributesOutput::builder()
        .attributes(attribute("idle_timeout.timeout_seconds", idle))
        .attributes(attribute(
            "routing.http.drop_invalid_header_fields.enabled",
            drop,
        ))
        .attributes(attribute("deletion_protection.enabled", protection))
        .attributes(attribute("access_logs.s3.enabled", "false"))
        .build()
}

fn elb_tags_output(arn: &str, tags: &Tags) -> elb::DescribeTagsOutput {
    elb::DescribeTagsOutput::builder()
        .tag_descriptions(
            elb::TagDescription::builder()
                .resource_arn(arn)
                .set_tags(Some(
                    tags.iter()
                        .map(|(k, v)| elb::Tag::builder().key(k).value(v).build())
                        .collect(),
                ))
                .build(),
        )
        .build()
}

fn attribute_map(attributes: &[elb::LoadBalancerAttribute]) -> BTreeMap<String, String> {
    attributes
        .iter()
        .map(|a| {
            (
                a.key().unwrap_or_default().to_string(),
                a.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

// Load balancer

#[tokio::test(start_paused = true)]
async fn load_balancer_create_waits_provisioning_to_active_then_sets_attributes() {
    use elb::*;
    let _ = Scenario::LoadBalancerCreateWaitsActive;
    let calls = Calls::default();
    let (c1, c2, c3) = (calls.clone(), calls.clone(), calls.clone());
    let by_name = mock!(Client::describe_load_balancers)
        .match_requests(|r| r.names() == ["test"])
        .then_http_response(|| query_error("LoadBalancerNotFound", 400));
    // ELBv2 says provisioning for a while; only describes count, not the create response.
    let by_arn = mock!(Client::describe_load_balancers)
        .match_requests(|r| r.load_balancer_arns() == [LB_ARN])
        .sequence()
        .output(move || {
            c1.push("Describe provisioning");
            describe_lb_output(LoadBalancerStateEnum::Provisioning)
        })
        .times(2)
        .output(move || {
            c2.push("Describe active");
            describe_lb_output(LoadBalancerStateEnum::Active)
        })
        .build();
    let create = mock!(Client::create_load_balancer)
        .match_requests(|r| {
            r.name() == Some("test")
                && r.r#type() == Some(&LoadBalancerTypeEnum::Application)
                && r.scheme() == Some(&LoadBalancerSchemeEnum::InternetFacing)
                && r.subnets() == ["subnet-1", "subnet-2"]
                && r.security_groups() == ["sg-1"]
                && r.ip_address_type().map(|t| t.as_str()) == Some("ipv4")
                && r.tags()
                    .iter()
                    .any(|t| t.key() == Some("platform:owner") && t.value() == Some(OWNER))
        })
        .then_output(|| {
            CreateLoadBalancerOutput::builder()
                .load_balancers(load_balancer(LoadBalancerStateEnum::Provisioning))
                .build()
        });
    let modify = mock!(Client::modify_load_balancer_attributes)
        .match_requests(|r| {
            attribute_map(r.attributes())
                == [
                    ("deletion_protection.enabled", "false"),
                    ("idle_timeout.timeout_seconds", "120"),
                    ("routing.http.drop_invalid_header_fields.enabled", "true"),
                ]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>()
        })
        .then_compute_output(move |_| {
            c3.push("ModifyAttributes");
            ModifyLoadBalancerAttributesOutput::builder().build()
        });
    let executor = Executor::new(clients(&Mocks {
        elbv2: vec![&by_name, &by_arn, &create, &modify],
        ..Mocks::default()
    }));
    let start = ledger(network());
    let mut nodes: Vec<(NodeKey, ChildSpec)> =
        network().into_iter().map(|(k, _, s)| (k, s)).collect();
    nodes.push((lb_key(), ChildSpec::LoadBalancer(lb_spec())));
    let desired = graph(nodes);
    let ops = diff(&desired, &start);
    let outcome = apply::run(&executor, &desired, &ops, start, opts()).await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert_eq!(outcome.ledger.children[&lb_key()].id, LB_ARN);
    assert_eq!(create.num_calls(), 1);
    assert_eq!(
        calls.get(),
        [
            "Describe provisioning",
            "Describe provisioning",
            "Describe active",
            "ModifyAttributes"
        ],
        "attributes are set once the load balancer is active"
    );
}

#[tokio::test(start_paused = true)]
async fn load_balancer_delete_turns_deletion_protection_off_first_and_waits_until_gone() {
    use aws_sdk_elasticloadbalancingv2::operation::modify_load_balancer_attributes::ModifyLoadBalancerAttributesOutput;
    use elb::*;
    let _ = Scenario::LoadBalancerDeleteProtection;
    let calls = Calls::default();
    let (c1, c2, c3, c4) = (calls.clone(), calls.clone(), calls.clone(), calls.clone());
    let attributes = mock!(Client::describe_load_balancer_attributes)
        .match_requests(|r| r.load_balancer_arn() == Some(LB_ARN))
        .then_output(|| attributes_output("60", "true", "true"));
    let unprotect = mock!(Client::modify_load_balancer_attributes)
        .match_requests(|r| {
            attribute_map(r.attributes())
                == [(
                    "deletion_protection.enabled".to_string(),
                    "false".to_string(),
                )]
                .into_iter()
                .collect::<BTreeMap<_, _>>()
        })
        .then_compute_output(move |_| {
            c1.push("Unprotect");
            ModifyLoadBalancerAttributesOutput::builder().build()
        });
    let delete = mock!(Client::delete_load_balancer)
        .match_requests(|r| r.load_balancer_arn() == Some(LB_ARN))
        .then_compute_output(move |_| {
            c2.push("Delete");
            DeleteLoadBalancerOutput::builder().build()
        });
    // Still listed right after the delete, then gone.
    let describe = mock!(Client::describe_load_balancers)
        .match_requests(|r| r.load_balancer_arns() == [LB_ARN])
        .sequence()
        .output(move || {
            c3.push("Describe present");
            describe_lb_output(LoadBalancerStateEnum::Active)
        })
        .http_response(move || {
            c4.push("Describe gone");
            query_error("LoadBalancerNotFound", 400)
        })
        .build();
    let executor = Executor::new(clients(&Mocks {
        elbv2: vec![&attributes, &unprotect, &delete, &describe],
        ..Mocks::default()
    }));
    let protected = LoadBalancerSpec {
        deletion_protection: true,
        ..lb_spec()
    };
    let outcome = apply::destroy(
        &executor,
        ledger(vec![(lb_key(), LB_ARN, ChildSpec::LoadBalancer(protected))]),
        opts(),
    )
    .await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert!(outcome.ledger.children.is_empty());
    assert_eq!(
        calls.get(),
        ["Unprotect", "Delete", "Describe present", "Describe gone"]
    );
}

#[tokio::test(start_paused = true)]
async fn load_balancer_create_adopts_an_owned_one_and_reconciles_attributes() {
    use aws_sdk_elasticloadbalancingv2::operation::modify_load_balancer_attributes::ModifyLoadBalancerAttributesOutput;
    use elb::*;
    let _ = Scenario::LoadBalancerAdopted;
    // Left by a run that crashed before recording it, with the default idle timeout.
    let describe = mock!(Client::describe_load_balancers)
        .then_output(|| describe_lb_output(LoadBalancerStateEnum::Active));
    let tags = mock!(Client::describe_tags)
        .match_requests(|r| r.resource_arns() == [LB_ARN])
        .then_output(|| elb_tags_output(LB_ARN, &owner_tags(&lb_key(), OWNER)));
    let attributes = mock!(Client::describe_load_balancer_attributes)
        .then_output(|| attributes_output("60", "true", "false"));
    let modify = mock!(Client::modify_load_balancer_attributes)
        .match_requests(|r| {
            attribute_map(r.attributes())
                == [(
                    "idle_timeout.timeout_seconds".to_string(),
                    "120".to_string(),
                )]
                .into_iter()
                .collect::<BTreeMap<_, _>>()
        })
        .then_output(|| ModifyLoadBalancerAttributesOutput::builder().build());
    let create = mock!(Client::create_load_balancer)
        .then_output(|| CreateLoadBalancerOutput::builder().build());
    let executor = Executor::new(clients(&Mocks {
        elbv2: vec![&describe, &tags, &attributes, &modify, &create],
        ..Mocks::default()
    }));
    let start = ledger(network());
    let mut nodes: Vec<(NodeKey, ChildSpec)> =
        network().into_iter().map(|(k, _, s)| (k, s)).collect();
    nodes.push((lb_key(), ChildSpec::LoadBalancer(lb_spec())));
    let desired = graph(nodes);
    let ops = diff(&desired, &start);
    let outcome = apply::run(&executor, &desired, &ops, start, opts()).await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert_eq!(outcome.ledger.children[&lb_key()].id, LB_ARN);
    assert_eq!(create.num_calls(), 0, "adopted, not created");
    assert_eq!(modify.num_calls(), 1);

    // Read back as the spec: subnets and groups map to keys, sorted.
    let reads = Reads::new();
    let cx = Cx {
        clients: &clients(&Mocks {
            elbv2: vec![&describe, &tags, &attributes],
            ..Mocks::default()
        }),
        ids: &IdMap::from_ledger(&outcome.ledger),
        reads: &reads,
    };
    let observed = LoadBalancerSpec::observe(&cx, LB_ARN, &lb_spec())
        .await
        .unwrap()
        .expect("the load balancer exists");
    assert_eq!(
        observed,
        LoadBalancerSpec {
            idle_timeout_seconds: 60,
            ..lb_spec()
        }
    );
    // The environment's endpoint comes from the same shared read: no second call.
    let calls = describe.num_calls();
    let endpoint =
        terraform_provider_platform::aws::load_balancer_endpoint_shared(cx.clients, &reads, LB_ARN)
            .await
            .unwrap();
    assert_eq!(describe.num_calls(), calls);
    assert_eq!(
        endpoint,
        Some((
            "test-1234.us-east-1.elb.amazonaws.com".to_string(),
            "Z35SXDOTRQ7X7K".to_string()
        ))
    );
}

// Listener and certificate

mod acm {
    pub use aws_sdk_acm::operation::{
        delete_certificate::DeleteCertificateOutput,
        describe_certificate::DescribeCertificateOutput, list_certificates::ListCertificatesOutput,
        request_certificate::RequestCertificateOutput,
    };
    pub use aws_sdk_acm::types::{
        CertificateDetail, CertificateStatus, DomainValidation, FailureReason, RecordType,
        ResourceRecord, ValidationMethod,
    };
    pub use aws_sdk_acm::Client;
}

fn certificate(status: acm::CertificateStatus) -> acm::DescribeCertificateOutput {
    let validation = |domain: &str, name: &str, value: &str| {
        acm::DomainValidation::builder()
            .domain_name(domain)
            .resource_record(
                acm::ResourceRecord::builder()
                    .name(name)
                    .r#type(acm::RecordType::Cname)
                    .value(value)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    };
    acm::DescribeCertificateOutput::builder()
        .certificate(
            acm::CertificateDetail::builder()
                .certificate_arn(CERT_ARN)
                .domain_name("example.com")
                .subject_alternative_names("example.com")
                .subject_alternative_names("www.example.com")
                .status(status)
                .failure_reason(acm::FailureReason::CaaError)
                .domain_validation_options(validation(
                    "example.com",
                    "_a79865eb4cd1a6ab990a45779b4e0b96.example.com.",
                    "_424c7224e9b0146f9a8808af955727d0.acm-validations.aws.",
                ))
                .domain_validation_options(validation(
                    "www.example.com",
                    "_c2f5b4f5a1b9c0d3e4f5a6b7c8d9e0f1.www.example.com.",
                    "_0b8a3c2d1e0f9a8b7c6d5e4f3a2b1c0d.acm-validations.aws.",
                ))
                .build(),
        )
        .build()
}

/// The load balancer and certificate recorded, the listener's ids.
fn listener_ids() -> IdMap {
    IdMap::from_ledger(&ledger(vec![
        (lb_key(), LB_ARN, ChildSpec::LoadBalancer(lb_spec())),
        (cert_key(), CERT_ARN, ChildSpec::Certificate(cert_spec())),
    ]))
}

fn no_listeners() -> Rule {
    mock!(elb::Client::describe_listeners)
        .match_requests(|r| r.load_balancer_arn() == Some(LB_ARN))
        .then_output(|| elb::DescribeListenersOutput::builder().build())
}

#[tokio::test(start_paused = true)]
async fn listener_waits_for_pending_validation_to_become_issued_before_create() {
    use elb::*;
    let _ = Scenario::ListenerWaitsForIssued;
    let calls = Calls::default();
    let (c1, c2, c3) = (calls.clone(), calls.clone(), calls.clone());
    let describe_certificate = mock!(acm::Client::describe_certificate)
        .match_requests(|r| r.certificate_arn() == Some(CERT_ARN))
        .sequence()
        .output(move || {
            c1.push("PENDING_VALIDATION");
            certificate(acm::CertificateStatus::PendingValidation)
        })
        .times(2)
        .output(move || {
            c2.push("ISSUED");
            certificate(acm::CertificateStatus::Issued)
        })
        .build();
    let listeners = no_listeners();
    let create = mock!(Client::create_listener)
        .match_requests(|r| {
            let action = r.default_actions().first();
            r.load_balancer_arn() == Some(LB_ARN)
                && r.port() == Some(443)
                && r.protocol().map(|p| p.as_str()) == Some("HTTPS")
                && r.ssl_policy() == Some(SSL_POLICY)
                && r.certificates().len() == 1
                && r.certificates()[0].certificate_arn() == Some(CERT_ARN)
                && action
                    .and_then(|a| a.fixed_response_config())
                    .is_some_and(|f| {
                        f.status_code() == Some("404")
                            && f.content_type() == Some("text/plain")
                            && f.message_body() == Some("Not Found")
                    })
                && r.tags().iter().any(|t| t.key() == Some("platform:node"))
        })
        .then_compute_output(move |_| {
            c3.push("CreateListener");
            CreateListenerOutput::builder()
                .listeners(Listener::builder().listener_arn(LISTENER_ARN).build())
                .build()
        });
    let mocks = Mocks {
        elbv2: vec![&listeners, &create],
        acm: vec![&describe_certificate],
    };
    let arn = create_listener_with(
        &elbv2_client(&mocks),
        Some(&acm_client(&mocks)),
        &listener_spec(),
        &listener_ids(),
    )
    .await
    .unwrap();
    assert_eq!(arn, LISTENER_ARN);
    assert_eq!(
        calls.get(),
        [
            "PENDING_VALIDATION",
            "PENDING_VALIDATION",
            "ISSUED",
            "CreateListener"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn listener_fails_with_the_validation_records_when_the_certificate_failed() {
    use elb::*;
    let _ = Scenario::ListenerCertificateFailed;
    let describe_certificate = mock!(acm::Client::describe_certificate)
        .then_output(|| certificate(acm::CertificateStatus::Failed));
    let listeners = no_listeners();
    let create =
        mock!(Client::create_listener).then_output(|| CreateListenerOutput::builder().build());
    let mocks = Mocks {
        elbv2: vec![&listeners, &create],
        acm: vec![&describe_certificate],
    };
    let error = create_listener_with(
        &elbv2_client(&mocks),
        Some(&acm_client(&mocks)),
        &listener_spec(),
        &listener_ids(),
    )
    .await
    .unwrap_err();
    assert_eq!(create.num_calls(), 0);
    let step: apply::StepError = error.clone().into();
    assert!(!step.is_retryable(), "a failed certificate is permanent");
    let message = error.to_string();
    for part in [
        CERT_ARN,
        "FAILED",
        "CAA_ERROR",
        "_a79865eb4cd1a6ab990a45779b4e0b96.example.com. CNAME _424c7224e9b0146f9a8808af955727d0.acm-validations.aws.",
        "_c2f5b4f5a1b9c0d3e4f5a6b7c8d9e0f1.www.example.com. CNAME",
    ] {
        assert!(message.contains(part), "{part} missing from: {message}");
    }
}

#[tokio::test(start_paused = true)]
async fn listener_through_the_executor_retries_while_elbv2_rejects_the_certificate() {
    use elb::*;
    let _ = Scenario::ListenerRetriesUnusableCertificate;
    let listeners = no_listeners();
    // ACM already says ISSUED; ELBv2 may still take a while to accept the certificate.
    let issued = mock!(acm::Client::describe_certificate)
        .then_output(|| certificate(acm::CertificateStatus::Issued));
    let create = mock!(Client::create_listener)
        .sequence()
        .http_response(|| query_error("UnsupportedCertificate", 400))
        .http_response(|| query_error("CertificateNotFound", 400))
        .output(|| {
            CreateListenerOutput::builder()
                .listeners(Listener::builder().listener_arn(LISTENER_ARN).build())
                .build()
        })
        .build();
    let executor = Executor::new(clients(&Mocks {
        elbv2: vec![&listeners, &create],
        acm: vec![&issued],
    }));
    let mut recorded = network();
    recorded.push((lb_key(), LB_ARN, ChildSpec::LoadBalancer(lb_spec())));
    recorded.push((cert_key(), CERT_ARN, ChildSpec::Certificate(cert_spec())));
    let mut nodes: Vec<(NodeKey, ChildSpec)> = recorded
        .iter()
        .map(|(k, _, s)| (k.clone(), s.clone()))
        .collect();
    nodes.push((listener_key(), ChildSpec::Listener(listener_spec())));
    let start = ledger(recorded);
    let desired = graph(nodes);
    let ops = diff(&desired, &start);
    let outcome = apply::run(&executor, &desired, &ops, start, opts()).await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert_eq!(outcome.ledger.children[&listener_key()].id, LISTENER_ARN);
    assert_eq!(create.num_calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn certificate_is_requested_with_dns_validation_and_a_stable_token() {
    use acm::*;
    let _ = Scenario::CertificateRequest;
    let list =
        mock!(Client::list_certificates).then_output(|| ListCertificatesOutput::builder().build());
    let tokens = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = tokens.clone();
    let request = mock!(Client::request_certificate)
        .match_requests(|r| {
            r.domain_name() == Some("example.com")
                && r.subject_alternative_names() == ["www.example.com"]
                && r.validation_method() == Some(&ValidationMethod::Dns)
                && r.tags()
                    .iter()
                    .any(|t| t.key() == "platform:owner" && t.value() == Some(OWNER))
        })
        .then_compute_output(move |r| {
            seen.lock()
                .unwrap()
                .push(r.idempotency_token().unwrap_or_default().to_string());
            RequestCertificateOutput::builder()
                .certificate_arn(CERT_ARN)
                .build()
        });
    let executor = Executor::new(clients(&Mocks {
        acm: vec![&list, &request],
        ..Mocks::default()
    }));
    let desired = graph(vec![(cert_key(), ChildSpec::Certificate(cert_spec()))]);
    for _ in 0..2 {
        let ops = diff(&desired, &Ledger::new());
        let outcome = apply::run(&executor, &desired, &ops, Ledger::new(), opts()).await;
        assert!(outcome.is_complete(), "{:?}", outcome.errors);
        assert_eq!(outcome.ledger.children[&cert_key()].id, CERT_ARN);
    }
    let tokens = tokens.lock().unwrap().clone();
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[0], tokens[1], "a retried request reuses its token");
    assert!(tokens[0].len() <= 32 && tokens[0].chars().all(|c| c.is_ascii_alphanumeric()));
}

#[tokio::test(start_paused = true)]
async fn certificate_delete_is_retried_while_a_listener_still_uses_it() {
    use acm::*;
    let _ = Scenario::CertificateDeleteInUse;
    let delete = mock!(Client::delete_certificate)
        .match_requests(|r| r.certificate_arn() == Some(CERT_ARN))
        .sequence()
        .http_response(|| json_error("ResourceInUseException"))
        .times(2)
        .output(|| DeleteCertificateOutput::builder().build())
        .build();
    let executor = Executor::new(clients(&Mocks {
        acm: vec![&delete],
        ..Mocks::default()
    }));
    let outcome = apply::destroy(
        &executor,
        ledger(vec![(
            cert_key(),
            CERT_ARN,
            ChildSpec::Certificate(cert_spec()),
        )]),
        opts(),
    )
    .await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert!(outcome.ledger.children.is_empty());
    assert_eq!(delete.num_calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn observe_reads_each_vanished_kind_as_gone() {
    let _ = Scenario::GoneOnRead;
    let lbs = mock!(elb::Client::describe_load_balancers)
        .then_http_response(|| query_error("LoadBalancerNotFound", 400));
    let listeners = mock!(elb::Client::describe_listeners)
        .then_http_response(|| query_error("ListenerNotFound", 400));
    let certificates = mock!(acm::Client::describe_certificate)
        .then_http_response(|| json_error("ResourceNotFoundException"));
    let executor = Executor::new(clients(&Mocks {
        elbv2: vec![&lbs, &listeners],
        acm: vec![&certificates],
    }));
    let recorded = ledger(vec![
        (lb_key(), LB_ARN, ChildSpec::LoadBalancer(lb_spec())),
        (
            listener_key(),
            LISTENER_ARN,
            ChildSpec::Listener(listener_spec()),
        ),
        (cert_key(), CERT_ARN, ChildSpec::Certificate(cert_spec())),
    ]);
    let (refreshed, drift, errors) = apply::observe_all(&executor, &recorded, opts()).await;
    assert!(errors.is_empty(), "{errors:?}");
    assert!(refreshed.children.is_empty());
    assert_eq!(drift.len(), 3, "{drift:?}");
    assert!(
        drift
            .iter()
            .all(|d| d.ends_with("deleted outside Terraform")),
        "{drift:?}"
    );
}
