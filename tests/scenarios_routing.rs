//! The routing and scaling kinds (ELBv2 target group and listener rule, Application Auto
//! Scaling target and policy) against mocked SDK responses: the fields create sends,
//! adoption and refusal by ownership tags, in-use retries, priority changes, read-back round
//! trips and the IDs derived from ARNs. The emulator differs from AWS here (docs/design/emulator.md, "Other services"):
//! Application Auto Scaling answers absence with `ValidationException` and a new policy ARN
//! on every PutScalingPolicy, and tagging scalable targets fails.

mod common;

use common::Mocks;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use tokio_util::sync::CancellationToken;

use terraform_provider_platform::apply::{self, IdMap, RunOptions, StepError};
use terraform_provider_platform::aws::autoscaling::scalable_target::ScalableTargetSpec;
use terraform_provider_platform::aws::autoscaling::scaling_policy::ScalingPolicySpec;
use terraform_provider_platform::aws::autoscaling::{scalable_target, scaling_policy};
use terraform_provider_platform::aws::common::reads::Reads;
use terraform_provider_platform::aws::elbv2::listener_rule::ListenerRuleSpec;
use terraform_provider_platform::aws::elbv2::target_group::{HealthCheckSpec, TargetGroupSpec};
use terraform_provider_platform::aws::elbv2::{listener_rule, target_group};
use terraform_provider_platform::aws::error::AwsError;
use terraform_provider_platform::aws::kind::{AwsKind, Cx};
use terraform_provider_platform::aws::{AwsClients, Executor};
use terraform_provider_platform::plan::ledger::{Ledger, Recorded};
use terraform_provider_platform::plan::node::*;

/// The scenarios this file covers, one test each (or more where noted).
#[derive(Debug)]
enum Scenario {
    TargetGroupCreateFields,
    TargetGroupAdopted,
    TargetGroupNameTaken,
    TargetGroupDeleteInUse,
    TargetGroupRoundTrip,
    RuleCreateFields,
    RulePriorityInUse,
    RuleAdopted,
    RulePriorityChange,
    RuleRoundTrip,
    RulePriorities,
    ScalableTargetResourceId,
    ScalingPolicyCreate,
    ScalingPolicyDeleteParsesArn,
    ScalingPolicyRoundTrip,
}

const OWNER: &str = "environment/test";
const VPC_ID: &str = "vpc-0123456789abcdef0";
const TG_ARN: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/test-web-8080/73e2d6bc24d8a067";
const OTHER_TG_ARN: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/test-api-8080/5d2a3b1c0e9f8a7b";
const LISTENER_ARN: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/test/50dc6c495c0c9188/f2f7dc8efc522ab2";
const RULE_ARN: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/test/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee";
const FOREIGN_RULE_ARN: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/test/50dc6c495c0c9188/f2f7dc8efc522ab2/1111111111111111";
const DEFAULT_RULE_ARN: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/test/50dc6c495c0c9188/f2f7dc8efc522ab2/0000000000000000";
const SERVICE_ARN: &str = "arn:aws:ecs:us-east-1:123456789012:service/test/web";
const RESOURCE_ID: &str = "service/test/web";
const POLICY_ARN: &str = "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:6d8972f3-efc8-437c-92d1-6270f29a66e7:resource/ecs/service/test/web:policyName/test-web-cpu";

fn elbv2_client(rules: &[&Rule]) -> aws_sdk_elasticloadbalancingv2::Client {
    mock_client!(
        aws_sdk_elasticloadbalancingv2,
        RuleMode::MatchAny,
        rules,
        |c| c.retry_config(aws_sdk_elasticloadbalancingv2::config::retry::RetryConfig::disabled())
    )
}

fn autoscaling_client(rules: &[&Rule]) -> aws_sdk_applicationautoscaling::Client {
    mock_client!(
        aws_sdk_applicationautoscaling,
        RuleMode::MatchAny,
        rules,
        |c| c.retry_config(aws_sdk_applicationautoscaling::config::retry::RetryConfig::disabled())
    )
}

fn clients(elbv2: &[&Rule]) -> AwsClients {
    common::clients(&Mocks {
        elbv2: elbv2.to_vec(),
        ..Mocks::default()
    })
}

fn autoscaling_clients(rules: &[&Rule]) -> AwsClients {
    common::clients(&Mocks {
        autoscaling: rules.to_vec(),
        ..Mocks::default()
    })
}

/// Observes `current` as the executor does: through reads of its own.
async fn observe<S: AwsKind>(
    clients: &AwsClients,
    id: &str,
    current: &S,
    ids: &IdMap,
) -> Result<Option<S>, AwsError> {
    let reads = Reads::new();
    S::observe(
        &Cx {
            clients,
            ids,
            reads: &reads,
        },
        id,
        current,
    )
    .await
}

/// An error as the query protocol (ELBv2) sends it.
fn query_error(code: &str, status: u16) -> HttpResponse {
    let body = format!(
        "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>mocked {code}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
    );
    HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body))
}

/// An error as the JSON protocol (Application Auto Scaling) sends it.
fn json_error(code: &str) -> HttpResponse {
    let body = format!(r#"{{"__type":"{code}","message":"mocked {code}"}}"#);
    HttpResponse::new(StatusCode::try_from(400).unwrap(), SdkBody::from(body))
}

fn opts() -> RunOptions {
    RunOptions {
        concurrency: 4,
        cancel: CancellationToken::new(),
        deadline: tokio::time::Instant::now() + Duration::from_secs(600),
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

/// IDs of the children these kinds refer to, recorded as another resource's objects.
fn ids(entries: &[(NodeKey, &str)]) -> IdMap {
    let mut ledger = Ledger::new();
    for (key, id) in entries {
        ledger.external.insert(key.clone(), id.to_string());
    }
    IdMap::from_ledger(&ledger)
}

// Fixtures

fn vpc_key() -> NodeKey {
    NodeKey::new(Kind::Vpc, &[])
}

fn tg_key() -> NodeKey {
    NodeKey::new(Kind::TargetGroup, &["web", "8080"])
}

fn other_tg_key() -> NodeKey {
    NodeKey::new(Kind::TargetGroup, &["api", "8080"])
}

fn listener_key() -> NodeKey {
    NodeKey::new(Kind::Listener, &["https"])
}

fn rule_key() -> NodeKey {
    NodeKey::new(Kind::ListenerRule, &["web"])
}

fn service_key() -> NodeKey {
    NodeKey::new(Kind::EcsService, &["web"])
}

fn scalable_key() -> NodeKey {
    NodeKey::new(Kind::ScalableTarget, &["web"])
}

fn tg_spec() -> TargetGroupSpec {
    TargetGroupSpec {
        name: "test-web-8080".into(),
        vpc: vpc_key(),
        port: 8080,
        health_check: HealthCheckSpec {
            path: "/health".into(),
            matcher: "200-399".into(),
            interval_seconds: 15,
            timeout_seconds: 5,
            healthy_threshold: 2,
            unhealthy_threshold: 3,
        },
        deregistration_delay_seconds: 30,
        tags: owner_tags(&tg_key(), OWNER),
    }
}

fn rule_spec() -> ListenerRuleSpec {
    ListenerRuleSpec {
        listener: listener_key(),
        priority: 10,
        hosts: vec!["api.example.com".into(), "www.example.com".into()],
        paths: vec!["/api/*".into()],
        target_group: tg_key(),
        tags: owner_tags(&rule_key(), OWNER),
    }
}

fn scalable_spec() -> ScalableTargetSpec {
    ScalableTargetSpec {
        service: service_key(),
        min_capacity: 2,
        max_capacity: 6,
    }
}

fn policy_spec() -> ScalingPolicySpec {
    ScalingPolicySpec {
        target: scalable_key(),
        name: "test-web-cpu".into(),
        metric: "ECSServiceAverageCPUUtilization".into(),
        target_value: 60,
        queue_backlog: None,
        scale_in_cooldown_seconds: 300,
        scale_out_cooldown_seconds: 60,
    }
}

mod elb {
    pub use aws_sdk_elasticloadbalancingv2::operation::{
        add_tags::AddTagsOutput, create_rule::CreateRuleOutput,
        create_target_group::CreateTargetGroupOutput, delete_rule::DeleteRuleOutput,
        delete_target_group::DeleteTargetGroupOutput, describe_rules::DescribeRulesOutput,
        describe_tags::DescribeTagsOutput,
        describe_target_group_attributes::DescribeTargetGroupAttributesOutput,
        describe_target_groups::DescribeTargetGroupsOutput,
        modify_target_group::ModifyTargetGroupOutput,
        modify_target_group_attributes::ModifyTargetGroupAttributesOutput,
        set_rule_priorities::SetRulePrioritiesOutput,
    };
    pub use aws_sdk_elasticloadbalancingv2::types::{
        Action, ActionTypeEnum, FixedResponseActionConfig, ForwardActionConfig,
        HostHeaderConditionConfig, Matcher, PathPatternConditionConfig, ProtocolEnum, Rule,
        RuleCondition, Tag, TagDescription, TargetGroup, TargetGroupAttribute, TargetGroupTuple,
        TargetTypeEnum,
    };
    pub use aws_sdk_elasticloadbalancingv2::Client;
}

fn target_group(spec: &TargetGroupSpec, arn: &str) -> elb::TargetGroup {
    let hc = &spec.health_check;
    elb::TargetGroup::builder()
        .target_group_arn(arn)
        .target_group_name(&spec.name)
        .protocol(elb::ProtocolEnum::Http)
        .port(spec.port)
        .vpc_id(VPC_ID)
        .target_type(elb::TargetTypeEnum::Ip)
        .protocol_version("HTTP1")
        .health_check_enabled(true)
        .health_check_protocol(elb::ProtocolEnum::Http)
        .health_check_port("traffic-port")
        .health_check_path(&hc.path)
        .matcher(elb::Matcher::builder().http_code(&hc.matcher).build())
        .health_check_interval_seconds(hc.interval_seconds as i32)
        .health_check_timeout_seconds(hc.timeout_seconds as i32)
        .healthy_threshold_count(hc.healthy_threshold as i32)
        .unhealthy_threshold_count(hc.unhealthy_threshold as i32)
        .build()
}

fn describe_tg_output(group: elb::TargetGroup) -> elb::DescribeTargetGroupsOutput {
    elb::DescribeTargetGroupsOutput::builder()
        .target_groups(group)
        .build()
}

fn tg_attributes_output(delay: &str) -> elb::DescribeTargetGroupAttributesOutput {
    let attribute = |k: &str, v: &str| elb::TargetGroupAttribute::builder().key(k).value(v).build();
    elb::DescribeTargetGroupAttributesOutput::builder()
        .attributes(attribute("deregistration_delay.timeout_seconds", delay))
        .attributes(attribute("stickiness.enabled", "false"))
        .build()
}

fn tags_output(entries: &[(&str, &Tags)]) -> elb::DescribeTagsOutput {
    let mut out = elb::DescribeTagsOutput::builder();
    for (arn, tags) in entries {
        out = out.tag_descriptions(
            elb::TagDescription::builder()
                .resource_arn(*arn)
                .set_tags(Some(
                    tags.iter()
                        .map(|(k, v)| elb::Tag::builder().key(k).value(v).build())
                        .collect(),
                ))
                .build(),
        );
    }
    out.build()
}

fn tag_map(tags: &[elb::Tag]) -> Tags {
    tags.iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn delay_of(attributes: &[elb::TargetGroupAttribute]) -> Option<&str> {
    attributes
        .iter()
        .find(|a| a.key() == Some("deregistration_delay.timeout_seconds"))
        .and_then(|a| a.value())
}

/// A condition as AWS reports it: both the legacy `Values` and the config.
fn reported_condition(field: &str, values: &[&str]) -> elb::RuleCondition {
    let values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
    let condition = elb::RuleCondition::builder()
        .field(field)
        .set_values(Some(values.clone()));
    match field {
        "host-header" => condition.host_header_config(
            elb::HostHeaderConditionConfig::builder()
                .set_values(Some(values))
                .build(),
        ),
        _ => condition.path_pattern_config(
            elb::PathPatternConditionConfig::builder()
                .set_values(Some(values))
                .build(),
        ),
    }
    .build()
}

/// A forward action as AWS reports it: the ARN and the one-group forward config.
fn reported_forward(arn: &str) -> elb::Action {
    elb::Action::builder()
        .r#type(elb::ActionTypeEnum::Forward)
        .target_group_arn(arn)
        .forward_config(
            elb::ForwardActionConfig::builder()
                .target_groups(
                    elb::TargetGroupTuple::builder()
                        .target_group_arn(arn)
                        .weight(1)
                        .build(),
                )
                .build(),
        )
        .order(1)
        .build()
}

fn rule(arn: &str, priority: &str, hosts: &[&str], paths: &[&str], tg_arn: &str) -> elb::Rule {
    let mut conditions = Vec::new();
    if !hosts.is_empty() {
        conditions.push(reported_condition("host-header", hosts));
    }
    if !paths.is_empty() {
        conditions.push(reported_condition("path-pattern", paths));
    }
    elb::Rule::builder()
        .rule_arn(arn)
        .priority(priority)
        .set_conditions(Some(conditions))
        .actions(reported_forward(tg_arn))
        .is_default(false)
        .build()
}

fn default_rule() -> elb::Rule {
    elb::Rule::builder()
        .rule_arn(DEFAULT_RULE_ARN)
        .priority("default")
        .actions(
            elb::Action::builder()
                .r#type(elb::ActionTypeEnum::FixedResponse)
                .fixed_response_config(
                    elb::FixedResponseActionConfig::builder()
                        .status_code("404")
                        .build(),
                )
                .build(),
        )
        .is_default(true)
        .build()
}

fn routing_ids() -> IdMap {
    ids(&[
        (vpc_key(), VPC_ID),
        (listener_key(), LISTENER_ARN),
        (tg_key(), TG_ARN),
        (other_tg_key(), OTHER_TG_ARN),
    ])
}

/// The values of the condition on `field`, from its config.
fn sent_values(conditions: &[elb::RuleCondition], field: &str) -> Option<Vec<String>> {
    let condition = conditions.iter().find(|c| c.field() == Some(field))?;
    Some(match field {
        "host-header" => condition.host_header_config()?.values().to_vec(),
        _ => condition.path_pattern_config()?.values().to_vec(),
    })
}

// Target group

#[tokio::test]
async fn target_group_create_sends_ip_targets_health_check_and_tags_then_the_delay() {
    use elb::*;
    let _ = Scenario::TargetGroupCreateFields;
    let spec = tg_spec();
    let by_name = mock!(Client::describe_target_groups)
        .match_requests(|r| r.names() == ["test-web-8080"])
        .then_http_response(|| query_error("TargetGroupNotFound", 400));
    let create = mock!(Client::create_target_group)
        .match_requests(|r| {
            let expected_tags = owner_tags(&tg_key(), OWNER);
            r.name() == Some("test-web-8080")
                && r.protocol() == Some(&ProtocolEnum::Http)
                && r.port() == Some(8080)
                && r.vpc_id() == Some(VPC_ID)
                && r.target_type() == Some(&TargetTypeEnum::Ip)
                && r.protocol_version() == Some("HTTP1")
                && r.health_check_enabled() == Some(true)
                && r.health_check_protocol() == Some(&ProtocolEnum::Http)
                && r.health_check_port() == Some("traffic-port")
                && r.health_check_path() == Some("/health")
                && r.matcher().and_then(|m| m.http_code()) == Some("200-399")
                && r.health_check_interval_seconds() == Some(15)
                && r.health_check_timeout_seconds() == Some(5)
                && r.healthy_threshold_count() == Some(2)
                && r.unhealthy_threshold_count() == Some(3)
                && tag_map(r.tags()) == expected_tags
        })
        .then_output(|| {
            CreateTargetGroupOutput::builder()
                .target_groups(target_group(&tg_spec(), TG_ARN))
                .build()
        });
    let attributes = mock!(Client::modify_target_group_attributes)
        .match_requests(|r| {
            r.target_group_arn() == Some(TG_ARN) && delay_of(r.attributes()) == Some("30")
        })
        .then_output(|| ModifyTargetGroupAttributesOutput::builder().build());
    let client = elbv2_client(&[&by_name, &create, &attributes]);
    let arn = target_group::create_target_group(&client, &spec, &routing_ids())
        .await
        .unwrap();
    assert_eq!(arn, TG_ARN);
    assert_eq!(
        create.num_calls(),
        1,
        "the create request carries every field"
    );
    assert_eq!(attributes.num_calls(), 1);
}

#[tokio::test]
async fn target_group_create_adopts_an_owned_one_and_brings_it_to_spec() {
    use elb::*;
    let _ = Scenario::TargetGroupAdopted;
    // Left by a crashed run, with default health check timings and delay.
    let drifted = TargetGroupSpec {
        health_check: HealthCheckSpec {
            interval_seconds: 30,
            ..tg_spec().health_check
        },
        ..tg_spec()
    };
    let describe = mock!(Client::describe_target_groups)
        .match_requests(|r| r.names() == ["test-web-8080"])
        .then_output(move || describe_tg_output(target_group(&drifted, TG_ARN)));
    let attributes = mock!(Client::describe_target_group_attributes)
        .match_requests(|r| r.target_group_arn() == Some(TG_ARN))
        .then_output(|| tg_attributes_output("300"));
    let tags = mock!(Client::describe_tags)
        .match_requests(|r| r.resource_arns() == [TG_ARN])
        .then_output(|| tags_output(&[(TG_ARN, &owner_tags(&tg_key(), OWNER))]));
    let modify = mock!(Client::modify_target_group)
        .match_requests(|r| {
            r.target_group_arn() == Some(TG_ARN)
                && r.health_check_interval_seconds() == Some(15)
                && r.health_check_path() == Some("/health")
        })
        .then_output(|| ModifyTargetGroupOutput::builder().build());
    let delay = mock!(Client::modify_target_group_attributes)
        .match_requests(|r| delay_of(r.attributes()) == Some("30"))
        .then_output(|| ModifyTargetGroupAttributesOutput::builder().build());
    let create = mock!(Client::create_target_group)
        .then_output(|| CreateTargetGroupOutput::builder().build());
    let client = elbv2_client(&[&describe, &attributes, &tags, &modify, &delay, &create]);
    let arn = target_group::create_target_group(&client, &tg_spec(), &routing_ids())
        .await
        .unwrap();
    assert_eq!(arn, TG_ARN);
    assert_eq!(
        create.num_calls(),
        0,
        "an owned target group is adopted, not created twice"
    );
    assert_eq!(modify.num_calls(), 1);
    assert_eq!(delay.num_calls(), 1);

    let found = target_group::find_owned_target_group(&client, &tg_spec(), &routing_ids())
        .await
        .unwrap();
    assert_eq!(found.as_deref(), Some(TG_ARN));
}

#[tokio::test]
async fn target_group_create_refuses_a_same_named_one_it_does_not_own() {
    use elb::*;
    let _ = Scenario::TargetGroupNameTaken;
    let describe = mock!(Client::describe_target_groups)
        .then_output(|| describe_tg_output(target_group(&tg_spec(), TG_ARN)));
    let attributes =
        mock!(Client::describe_target_group_attributes).then_output(|| tg_attributes_output("30"));
    let tags = mock!(Client::describe_tags)
        .then_output(|| tags_output(&[(TG_ARN, &owner_tags(&tg_key(), "environment/other"))]));
    let create = mock!(Client::create_target_group)
        .then_output(|| CreateTargetGroupOutput::builder().build());
    let modify = mock!(Client::modify_target_group)
        .then_output(|| ModifyTargetGroupOutput::builder().build());
    let client = elbv2_client(&[&describe, &attributes, &tags, &create, &modify]);
    let err = target_group::create_target_group(&client, &tg_spec(), &routing_ids())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("test-web-8080") && err.to_string().contains("does not own"),
        "{err}"
    );
    assert!(!StepError::from(err).is_retryable());
    assert_eq!(create.num_calls() + modify.num_calls(), 0);
    assert_eq!(
        target_group::find_owned_target_group(&client, &tg_spec(), &routing_ids())
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn target_group_delete_in_use_is_retryable_and_absence_is_success() {
    use elb::*;
    let _ = Scenario::TargetGroupDeleteInUse;
    let in_use =
        mock!(Client::delete_target_group).then_http_response(|| query_error("ResourceInUse", 400));
    let client = elbv2_client(&[&in_use]);
    let err = target_group::delete_target_group(&client, TG_ARN, &tg_spec())
        .await
        .unwrap_err();
    assert!(
        matches!(err, AwsError::DependencyViolation { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("test-web-8080"), "{err}");
    assert!(StepError::from(err).is_retryable());

    let gone = mock!(Client::delete_target_group)
        .then_http_response(|| query_error("TargetGroupNotFound", 400));
    let client = elbv2_client(&[&gone]);
    target_group::delete_target_group(&client, TG_ARN, &tg_spec())
        .await
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn destroy_retries_a_target_group_still_in_use_until_it_is_free() {
    use elb::*;
    let _ = Scenario::TargetGroupDeleteInUse;
    // The service releasing the group takes a moment after the rule went.
    let delete = mock!(Client::delete_target_group)
        .match_requests(|r| r.target_group_arn() == Some(TG_ARN))
        .sequence()
        .http_response(|| query_error("ResourceInUse", 400))
        .times(2)
        .output(|| DeleteTargetGroupOutput::builder().build())
        .build();
    let executor = Executor::new(clients(&[&delete]));
    let mut ledger = Ledger::new();
    ledger.external.insert(vpc_key(), VPC_ID.into());
    ledger.children.insert(
        tg_key(),
        Recorded {
            refs: Default::default(),
            id: TG_ARN.into(),
            observed: ChildSpec::TargetGroup(tg_spec()),
        },
    );
    let outcome = apply::destroy(&executor, ledger, opts()).await;
    assert!(outcome.is_complete(), "{:?}", outcome.errors);
    assert!(outcome.ledger.children.is_empty());
    assert_eq!(delete.num_calls(), 3);
}

#[tokio::test]
async fn target_group_observe_round_trips_to_the_spec_and_shows_drift() {
    use elb::*;
    let _ = Scenario::TargetGroupRoundTrip;
    // Region-wide, so the listing holds groups of other VPCs too.
    let describe = mock!(Client::describe_target_groups)
        .match_requests(|r| r.target_group_arns().is_empty() && r.names().is_empty())
        .then_output(|| {
            let mut elsewhere = target_group(&tg_spec(), OTHER_TG_ARN);
            elsewhere.vpc_id = Some("vpc-other".into());
            elb::DescribeTargetGroupsOutput::builder()
                .target_groups(target_group(&tg_spec(), TG_ARN))
                .target_groups(elsewhere)
                .build()
        });
    let attributes = mock!(Client::describe_target_group_attributes)
        .match_requests(|r| r.target_group_arn() == Some(TG_ARN))
        .then_output(|| tg_attributes_output("30"));
    let mut tags = owner_tags(&tg_key(), OWNER);
    tags.insert("extra".into(), "added by hand".into());
    // Only the groups in the VPC of the one observed.
    let tags = mock!(Client::describe_tags)
        .match_requests(|r| r.resource_arns() == [TG_ARN])
        .then_output(move || tags_output(&[(TG_ARN, &tags)]));
    let observed = observe(
        &clients(&[&describe, &attributes, &tags]),
        TG_ARN,
        &tg_spec(),
        &routing_ids(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        TargetGroupSpec {
            tags: owner_tags(&tg_key(), OWNER),
            ..observed.clone()
        },
        tg_spec()
    );
    assert_eq!(observed.tags["extra"], "added by hand", "tag drift shows");

    let gone = mock!(Client::describe_target_groups)
        .then_output(|| elb::DescribeTargetGroupsOutput::builder().build());
    assert_eq!(
        observe(&clients(&[&gone]), TG_ARN, &tg_spec(), &routing_ids())
            .await
            .unwrap(),
        None
    );
}

// Listener rule

#[tokio::test]
async fn rule_create_sends_conditions_forward_and_tags() {
    use elb::*;
    let _ = Scenario::RuleCreateFields;
    // A foreign rule and the default one on the listener: neither is adopted.
    let rules = mock!(Client::describe_rules)
        .match_requests(|r| r.listener_arn() == Some(LISTENER_ARN))
        .then_output(|| {
            DescribeRulesOutput::builder()
                .rules(rule(
                    FOREIGN_RULE_ARN,
                    "5",
                    &["other.example.com"],
                    &[],
                    OTHER_TG_ARN,
                ))
                .rules(default_rule())
                .build()
        });
    let tags = mock!(Client::describe_tags)
        .match_requests(|r| r.resource_arns() == [FOREIGN_RULE_ARN])
        .then_output(|| {
            tags_output(&[(
                FOREIGN_RULE_ARN,
                &owner_tags(&rule_key(), "environment/other"),
            )])
        });
    let create = mock!(Client::create_rule)
        .match_requests(|r| {
            r.listener_arn() == Some(LISTENER_ARN)
                && r.priority() == Some(10)
                && sent_values(r.conditions(), "host-header")
                    == Some(vec!["api.example.com".into(), "www.example.com".into()])
                && sent_values(r.conditions(), "path-pattern") == Some(vec!["/api/*".into()])
                && r.conditions().len() == 2
                && matches!(r.actions(), [a] if a.r#type() == Some(&ActionTypeEnum::Forward)
                    && a.target_group_arn() == Some(TG_ARN))
                && tag_map(r.tags()) == owner_tags(&rule_key(), OWNER)
        })
        .then_output(|| {
            CreateRuleOutput::builder()
                .rules(rule(
                    RULE_ARN,
                    "10",
                    &["api.example.com"],
                    &["/api/*"],
                    TG_ARN,
                ))
                .build()
        });
    let client = elbv2_client(&[&rules, &tags, &create]);
    let arn = listener_rule::create_listener_rule(&client, &rule_spec(), &routing_ids())
        .await
        .unwrap();
    assert_eq!(arn, RULE_ARN);
    assert_eq!(create.num_calls(), 1);
}

#[tokio::test]
async fn rule_create_matching_everything_sends_the_any_path_pattern() {
    use elb::*;
    let _ = Scenario::RuleCreateFields;
    let rules = mock!(Client::describe_rules)
        .then_output(|| DescribeRulesOutput::builder().rules(default_rule()).build());
    let create = mock!(Client::create_rule)
        .match_requests(|r| {
            sent_values(r.conditions(), "path-pattern") == Some(vec!["/*".into()])
                && r.conditions().len() == 1
        })
        .then_output(|| {
            CreateRuleOutput::builder()
                .rules(rule(RULE_ARN, "10", &[], &["/*"], TG_ARN))
                .build()
        });
    let client = elbv2_client(&[&rules, &create]);
    let spec = ListenerRuleSpec {
        hosts: vec![],
        paths: vec![],
        ..rule_spec()
    };
    let arn = listener_rule::create_listener_rule(&client, &spec, &routing_ids())
        .await
        .unwrap();
    assert_eq!(arn, RULE_ARN);
    assert_eq!(create.num_calls(), 1);
}

#[tokio::test]
async fn rule_create_on_a_taken_priority_says_how_to_fix_it() {
    use elb::*;
    let _ = Scenario::RulePriorityInUse;
    let rules = mock!(Client::describe_rules)
        .then_output(|| DescribeRulesOutput::builder().rules(default_rule()).build());
    let create =
        mock!(Client::create_rule).then_http_response(|| query_error("PriorityInUse", 400));
    let client = elbv2_client(&[&rules, &create]);
    let err = listener_rule::create_listener_rule(&client, &rule_spec(), &routing_ids())
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("priority 10"), "{message}");
    assert!(message.contains("routing.priority"), "{message}");
    assert!(message.contains("plan"), "{message}");
    assert!(!StepError::from(err).is_retryable());
}

#[tokio::test]
async fn rule_create_adopts_an_owned_rule_and_moves_its_priority() {
    use elb::*;
    let _ = Scenario::RuleAdopted;
    let rules = mock!(Client::describe_rules)
        .match_requests(|r| r.listener_arn() == Some(LISTENER_ARN))
        .then_output(|| {
            DescribeRulesOutput::builder()
                .rules(rule(
                    FOREIGN_RULE_ARN,
                    "5",
                    &["other.example.com"],
                    &[],
                    OTHER_TG_ARN,
                ))
                .rules(rule(
                    RULE_ARN,
                    "7",
                    &["www.example.com", "api.example.com"],
                    &["/api/*"],
                    TG_ARN,
                ))
                .rules(default_rule())
                .build()
        });
    let tags = mock!(Client::describe_tags)
        .match_requests(|r| r.resource_arns() == [FOREIGN_RULE_ARN, RULE_ARN])
        .then_output(|| {
            tags_output(&[
                (FOREIGN_RULE_ARN, &Tags::new()),
                (RULE_ARN, &owner_tags(&rule_key(), OWNER)),
            ])
        });
    let priorities = mock!(Client::set_rule_priorities)
        .match_requests(|r| {
            matches!(r.rule_priorities(), [p] if p.rule_arn() == Some(RULE_ARN) && p.priority() == Some(10))
        })
        .then_output(|| SetRulePrioritiesOutput::builder().build());
    let create = mock!(Client::create_rule).then_output(|| CreateRuleOutput::builder().build());
    let modify = mock!(Client::modify_rule).then_output(|| {
        aws_sdk_elasticloadbalancingv2::operation::modify_rule::ModifyRuleOutput::builder().build()
    });
    let client = elbv2_client(&[&rules, &tags, &priorities, &create, &modify]);
    let arn = listener_rule::create_listener_rule(&client, &rule_spec(), &routing_ids())
        .await
        .unwrap();
    assert_eq!(arn, RULE_ARN);
    assert_eq!(
        create.num_calls(),
        0,
        "an owned rule is adopted, not created twice"
    );
    assert_eq!(
        modify.num_calls(),
        0,
        "its conditions and action already match"
    );
    assert_eq!(priorities.num_calls(), 1);
    assert_eq!(
        listener_rule::find_owned_listener_rule(&client, &rule_spec(), &routing_ids())
            .await
            .unwrap()
            .as_deref(),
        Some(RULE_ARN)
    );
}

#[tokio::test]
async fn rule_priority_change_uses_set_rule_priorities_only() {
    use elb::*;
    let _ = Scenario::RulePriorityChange;
    let priorities = mock!(Client::set_rule_priorities)
        .match_requests(|r| {
            matches!(r.rule_priorities(), [p] if p.rule_arn() == Some(RULE_ARN) && p.priority() == Some(20))
        })
        .then_output(|| SetRulePrioritiesOutput::builder().build());
    let modify = mock!(Client::modify_rule).then_output(|| {
        aws_sdk_elasticloadbalancingv2::operation::modify_rule::ModifyRuleOutput::builder().build()
    });
    let add_tags = mock!(Client::add_tags).then_output(|| AddTagsOutput::builder().build());
    let client = elbv2_client(&[&priorities, &modify, &add_tags]);
    let desired = ListenerRuleSpec {
        priority: 20,
        ..rule_spec()
    };
    let id = listener_rule::update_listener_rule(
        &client,
        RULE_ARN,
        &rule_spec(),
        &desired,
        &routing_ids(),
    )
    .await
    .unwrap();
    assert_eq!(id, RULE_ARN);
    assert_eq!(priorities.num_calls(), 1);
    assert_eq!(modify.num_calls() + add_tags.num_calls(), 0);
}

#[tokio::test]
async fn rule_target_change_uses_modify_rule() {
    use elb::*;
    let _ = Scenario::RulePriorityChange;
    let modify = mock!(Client::modify_rule)
        .match_requests(|r| {
            r.rule_arn() == Some(RULE_ARN)
                && matches!(r.actions(), [a] if a.target_group_arn() == Some(OTHER_TG_ARN))
                && sent_values(r.conditions(), "host-header").is_some()
        })
        .then_output(|| {
            aws_sdk_elasticloadbalancingv2::operation::modify_rule::ModifyRuleOutput::builder()
                .build()
        });
    let priorities = mock!(Client::set_rule_priorities)
        .then_output(|| SetRulePrioritiesOutput::builder().build());
    let client = elbv2_client(&[&modify, &priorities]);
    let desired = ListenerRuleSpec {
        target_group: other_tg_key(),
        ..rule_spec()
    };
    listener_rule::update_listener_rule(&client, RULE_ARN, &rule_spec(), &desired, &routing_ids())
        .await
        .unwrap();
    assert_eq!(modify.num_calls(), 1);
    assert_eq!(priorities.num_calls(), 0);
}

/// Observes `spec` as AWS would report the rule `create` sent for it.
async fn observe_as_created(spec: &ListenerRuleSpec) -> ListenerRuleSpec {
    use elb::*;
    let sent = listener_rule::expand_conditions(spec);
    // AWS reports both forms of every condition it was sent.
    let reported: Vec<RuleCondition> = sent
        .iter()
        .map(|c| {
            let values = c
                .host_header_config()
                .map(|h| h.values().to_vec())
                .or_else(|| c.path_pattern_config().map(|p| p.values().to_vec()))
                .unwrap();
            let values: Vec<&str> = values.iter().map(String::as_str).collect();
            reported_condition(c.field().unwrap(), &values)
        })
        .collect();
    let tags = spec.tags.clone();
    let describe = mock!(Client::describe_rules)
        .match_requests(|r| r.listener_arn() == Some(LISTENER_ARN))
        .then_output(move || {
            DescribeRulesOutput::builder()
                .rules(default_rule())
                .rules(
                    Rule::builder()
                        .rule_arn(RULE_ARN)
                        .priority("10")
                        .set_conditions(Some(reported.clone()))
                        .actions(reported_forward(TG_ARN))
                        .is_default(false)
                        .build(),
                )
                .build()
        });
    let tags = mock!(Client::describe_tags)
        .match_requests(|r| r.resource_arns() == [RULE_ARN])
        .then_output(move || tags_output(&[(RULE_ARN, &tags)]));
    observe(
        &clients(&[&describe, &tags]),
        RULE_ARN,
        spec,
        &routing_ids(),
    )
    .await
    .unwrap()
    .unwrap()
}

#[tokio::test]
async fn rule_observe_round_trips_to_the_spec() {
    let _ = Scenario::RuleRoundTrip;
    let cases = [
        rule_spec(),
        // Any host, any path: sent as "/*", read back as empty.
        ListenerRuleSpec {
            hosts: vec![],
            paths: vec![],
            ..rule_spec()
        },
        // "/*" written out stays written out.
        ListenerRuleSpec {
            hosts: vec![],
            paths: vec!["/*".into()],
            ..rule_spec()
        },
        // Hosts only: no path condition.
        ListenerRuleSpec {
            paths: vec![],
            ..rule_spec()
        },
        ListenerRuleSpec {
            hosts: vec![],
            paths: vec!["/a/*".into(), "/b/*".into()],
            ..rule_spec()
        },
    ];
    for spec in cases {
        assert_eq!(observe_as_created(&spec).await, spec);
    }
}

#[tokio::test]
async fn rule_observe_shows_drift_and_absence() {
    use elb::*;
    let _ = Scenario::RuleRoundTrip;
    // Someone pointed the rule at a target group we do not know, and reordered hosts.
    let describe = mock!(Client::describe_rules)
        .match_requests(|r| r.listener_arn() == Some(LISTENER_ARN))
        .then_output(|| {
            DescribeRulesOutput::builder()
                .rules(rule(
                    RULE_ARN,
                    "10",
                    &["www.example.com", "api.example.com"],
                    &["/api/*"],
                    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/x/1",
                ))
                .build()
        });
    let tags = mock!(Client::describe_tags)
        .then_output(|| tags_output(&[(RULE_ARN, &owner_tags(&rule_key(), OWNER))]));
    let observed = observe(
        &clients(&[&describe, &tags]),
        RULE_ARN,
        &rule_spec(),
        &routing_ids(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(observed.hosts, rule_spec().hosts, "hosts read back sorted");
    assert_eq!(
        observed.listener,
        listener_key(),
        "the listener comes from the rule ARN"
    );
    assert_ne!(
        observed.target_group,
        tg_key(),
        "a foreign target shows as a difference"
    );

    // Deleted: the listener lists its default rule only.
    let gone = mock!(Client::describe_rules)
        .then_output(|| DescribeRulesOutput::builder().rules(default_rule()).build());
    assert_eq!(
        observe(&clients(&[&gone]), RULE_ARN, &rule_spec(), &routing_ids())
            .await
            .unwrap(),
        None
    );
    let delete_gone =
        mock!(Client::delete_rule).then_http_response(|| query_error("RuleNotFound", 400));
    let client = elbv2_client(&[&delete_gone]);
    listener_rule::delete_listener_rule(&client, RULE_ARN, &rule_spec())
        .await
        .unwrap();
    let _ = DeleteRuleOutput::builder().build();
}

#[tokio::test]
async fn rule_priorities_list_every_page_and_skip_the_default_rule() {
    use elb::*;
    let _ = Scenario::RulePriorities;
    let first = mock!(Client::describe_rules)
        .match_requests(|r| r.listener_arn() == Some(LISTENER_ARN) && r.marker().is_none())
        .then_output(|| {
            DescribeRulesOutput::builder()
                .rules(rule(RULE_ARN, "10", &["www.example.com"], &[], TG_ARN))
                .rules(default_rule())
                .next_marker("page-2")
                .build()
        });
    let second = mock!(Client::describe_rules)
        .match_requests(|r| r.marker() == Some("page-2"))
        .then_output(|| {
            DescribeRulesOutput::builder()
                .rules(rule(
                    FOREIGN_RULE_ARN,
                    "5",
                    &["other.example.com"],
                    &[],
                    OTHER_TG_ARN,
                ))
                .build()
        });
    let client = elbv2_client(&[&first, &second]);
    let priorities = listener_rule::listener_rule_priorities(&client, LISTENER_ARN)
        .await
        .unwrap();
    assert_eq!(
        priorities,
        BTreeMap::from([
            (5, FOREIGN_RULE_ARN.to_string()),
            (10, RULE_ARN.to_string())
        ])
    );
}

// Application Auto Scaling

mod aas {
    pub use aws_sdk_applicationautoscaling::operation::{
        delete_scaling_policy::DeleteScalingPolicyOutput,
        deregister_scalable_target::DeregisterScalableTargetOutput,
        describe_scalable_targets::DescribeScalableTargetsOutput,
        describe_scaling_policies::DescribeScalingPoliciesOutput,
        put_scaling_policy::PutScalingPolicyOutput,
        register_scalable_target::RegisterScalableTargetOutput,
    };
    pub use aws_sdk_applicationautoscaling::types::{
        MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ScalableTarget,
        ScalingPolicy, ServiceNamespace, TargetTrackingScalingPolicyConfiguration,
    };
    pub use aws_sdk_applicationautoscaling::Client;
}

fn scalable_target(min: i32, max: i32) -> aas::ScalableTarget {
    aas::ScalableTarget::builder()
        .service_namespace(aas::ServiceNamespace::Ecs)
        .resource_id(RESOURCE_ID)
        .scalable_dimension(aas::ScalableDimension::EcsServiceDesiredCount)
        .min_capacity(min)
        .max_capacity(max)
        .role_arn("arn:aws:iam::123456789012:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService")
        .creation_time(aws_smithy_types::DateTime::from_secs(0))
        .build()
        .unwrap()
}

fn scaling_ids() -> IdMap {
    ids(&[(service_key(), SERVICE_ARN), (scalable_key(), RESOURCE_ID)])
}

#[tokio::test]
async fn scalable_target_registers_under_the_resource_id_of_the_service_arn() {
    use aas::*;
    let _ = Scenario::ScalableTargetResourceId;
    let register = mock!(Client::register_scalable_target)
        .match_requests(|r| {
            r.service_namespace() == Some(&ServiceNamespace::Ecs)
                && r.resource_id() == Some(RESOURCE_ID)
                && r.scalable_dimension() == Some(&ScalableDimension::EcsServiceDesiredCount)
                && r.min_capacity() == Some(2)
                && r.max_capacity() == Some(6)
                && r.tags().is_none()
        })
        .then_output(|| RegisterScalableTargetOutput::builder().build());
    let describe = mock!(Client::describe_scalable_targets)
        .match_requests(|r| {
            r.resource_ids() == [RESOURCE_ID]
                && r.scalable_dimension() == Some(&ScalableDimension::EcsServiceDesiredCount)
        })
        .then_output(|| {
            DescribeScalableTargetsOutput::builder()
                .scalable_targets(scalable_target(2, 6))
                .build()
        });
    // Observe lists every ECS target of the region.
    let list = mock!(Client::describe_scalable_targets)
        .match_requests(|r| {
            r.service_namespace() == Some(&ServiceNamespace::Ecs) && r.resource_ids().is_empty()
        })
        .then_output(|| {
            DescribeScalableTargetsOutput::builder()
                .scalable_targets(scalable_target(2, 6))
                .build()
        });
    let client = autoscaling_client(&[&register, &describe]);
    let id = scalable_target::create_scalable_target(&client, &scalable_spec(), &scaling_ids())
        .await
        .unwrap();
    assert_eq!(id, RESOURCE_ID);
    assert_eq!(register.num_calls(), 1);
    assert_eq!(
        scalable_target::find_owned_scalable_target(&client, &scalable_spec(), &scaling_ids())
            .await
            .unwrap()
            .as_deref(),
        Some(RESOURCE_ID)
    );
    assert_eq!(
        observe(
            &autoscaling_clients(&[&list]),
            RESOURCE_ID,
            &scalable_spec(),
            &scaling_ids()
        )
        .await
        .unwrap(),
        Some(scalable_spec())
    );
    assert_eq!(
        scalable_target::service_resource_id(SERVICE_ARN).unwrap(),
        RESOURCE_ID
    );
    assert!(
        scalable_target::service_resource_id("arn:aws:ecs:us-east-1:123456789012:service/web")
            .is_err(),
        "an old-format ARN names no cluster"
    );
}

#[tokio::test]
async fn scalable_target_absence_reads_as_gone_and_deletes_as_done() {
    use aas::*;
    let _ = Scenario::ScalableTargetResourceId;
    let describe = mock!(Client::describe_scalable_targets)
        .then_output(|| DescribeScalableTargetsOutput::builder().build());
    let deregister = mock!(Client::deregister_scalable_target)
        .match_requests(|r| r.resource_id() == Some(RESOURCE_ID))
        .then_http_response(|| json_error("ObjectNotFoundException"));
    let client = autoscaling_client(&[&describe, &deregister]);
    assert_eq!(
        observe(
            &autoscaling_clients(&[&describe]),
            RESOURCE_ID,
            &scalable_spec(),
            &scaling_ids()
        )
        .await
        .unwrap(),
        None
    );
    scalable_target::delete_scalable_target(&client, RESOURCE_ID)
        .await
        .unwrap();
    assert_eq!(deregister.num_calls(), 1);
    let _ = DeregisterScalableTargetOutput::builder().build();
}

#[tokio::test]
async fn scalable_target_register_before_the_service_is_visible_is_retryable() {
    use aas::*;
    let _ = Scenario::ScalableTargetResourceId;
    let register = mock!(Client::register_scalable_target).then_http_response(|| {
        HttpResponse::new(
            StatusCode::try_from(400).unwrap(),
            SdkBody::from(
                r#"{"__type":"ValidationException","message":"ECS service doesn't exist: service/test/web"}"#,
            ),
        )
    });
    let client = autoscaling_client(&[&register]);
    let err = scalable_target::create_scalable_target(&client, &scalable_spec(), &scaling_ids())
        .await
        .unwrap_err();
    assert!(StepError::from(err).is_retryable());
}

fn scaling_policy(arn: &str, spec: &ScalingPolicySpec) -> aas::ScalingPolicy {
    use aas::*;
    ScalingPolicy::builder()
        .policy_arn(arn)
        .policy_name(&spec.name)
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(RESOURCE_ID)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(
            TargetTrackingScalingPolicyConfiguration::builder()
                .target_value(f64::from(spec.target_value))
                .predefined_metric_specification(
                    PredefinedMetricSpecification::builder()
                        .predefined_metric_type(MetricType::from(spec.metric.as_str()))
                        .build()
                        .unwrap(),
                )
                .scale_in_cooldown(spec.scale_in_cooldown_seconds as i32)
                .scale_out_cooldown(spec.scale_out_cooldown_seconds as i32)
                .build()
                .unwrap(),
        )
        .creation_time(aws_smithy_types::DateTime::from_secs(0))
        .build()
        .unwrap()
}

#[tokio::test]
async fn scaling_policy_create_puts_a_target_tracking_policy_on_the_target() {
    use aas::*;
    let _ = Scenario::ScalingPolicyCreate;
    let put = mock!(Client::put_scaling_policy)
        .match_requests(|r| {
            let c = r.target_tracking_scaling_policy_configuration();
            r.policy_name() == Some("test-web-cpu")
                && r.service_namespace() == Some(&ServiceNamespace::Ecs)
                && r.resource_id() == Some(RESOURCE_ID)
                && r.scalable_dimension() == Some(&ScalableDimension::EcsServiceDesiredCount)
                && r.policy_type() == Some(&PolicyType::TargetTrackingScaling)
                && c.map(|c| c.target_value()) == Some(60.0)
                && c.and_then(|c| c.predefined_metric_specification())
                    .map(|m| m.predefined_metric_type())
                    == Some(&MetricType::EcsServiceAverageCpuUtilization)
                && c.and_then(|c| c.scale_in_cooldown()) == Some(300)
                && c.and_then(|c| c.scale_out_cooldown()) == Some(60)
        })
        .then_output(|| {
            PutScalingPolicyOutput::builder()
                .policy_arn(POLICY_ARN)
                .build()
                .unwrap()
        });
    let describe = mock!(Client::describe_scaling_policies)
        .match_requests(|r| {
            r.resource_id() == Some(RESOURCE_ID) && r.policy_names() == ["test-web-cpu"]
        })
        .then_output(|| {
            DescribeScalingPoliciesOutput::builder()
                .scaling_policies(scaling_policy(POLICY_ARN, &policy_spec()))
                .build()
        });
    let client = autoscaling_client(&[&put, &describe]);
    let arn = scaling_policy::create_scaling_policy(&client, &policy_spec(), &scaling_ids())
        .await
        .unwrap();
    assert_eq!(arn, POLICY_ARN);
    assert_eq!(put.num_calls(), 1);
    assert_eq!(
        scaling_policy::find_owned_scaling_policy(&client, &policy_spec(), &scaling_ids())
            .await
            .unwrap()
            .as_deref(),
        Some(POLICY_ARN)
    );
}

#[tokio::test]
async fn scaling_policy_update_overwrites_by_name_and_records_the_arn_it_answers_with() {
    use aas::*;
    let _ = Scenario::ScalingPolicyCreate;
    let renewed = POLICY_ARN.replace("6d8972f3", "0a0a0a0a");
    let answer = renewed.clone();
    let put = mock!(Client::put_scaling_policy)
        .match_requests(|r| {
            r.policy_name() == Some("test-web-cpu")
                && r.resource_id() == Some(RESOURCE_ID)
                && r.target_tracking_scaling_policy_configuration()
                    .map(|c| c.target_value())
                    == Some(70.0)
        })
        .then_output(move || {
            PutScalingPolicyOutput::builder()
                .policy_arn(&answer)
                .build()
                .unwrap()
        });
    let client = autoscaling_client(&[&put]);
    let desired = ScalingPolicySpec {
        target_value: 70,
        queue_backlog: None,
        ..policy_spec()
    };
    let id = scaling_policy::update_scaling_policy(
        &client,
        POLICY_ARN,
        &policy_spec(),
        &desired,
        &scaling_ids(),
    )
    .await
    .unwrap();
    assert_eq!(id, renewed);
    assert_eq!(put.num_calls(), 1);
}

#[tokio::test]
async fn scaling_policy_delete_takes_the_resource_id_from_the_arn() {
    use aas::*;
    let _ = Scenario::ScalingPolicyDeleteParsesArn;
    let delete = mock!(Client::delete_scaling_policy)
        .match_requests(|r| {
            r.policy_name() == Some("test-web-cpu")
                && r.resource_id() == Some(RESOURCE_ID)
                && r.service_namespace() == Some(&ServiceNamespace::Ecs)
                && r.scalable_dimension() == Some(&ScalableDimension::EcsServiceDesiredCount)
        })
        .sequence()
        .output(|| DeleteScalingPolicyOutput::builder().build())
        .http_response(|| json_error("ObjectNotFoundException"))
        .build();
    let client = autoscaling_client(&[&delete]);
    scaling_policy::delete_scaling_policy(&client, POLICY_ARN, &policy_spec())
        .await
        .unwrap();
    // Gone already (deregistering the target deletes its policies): success.
    scaling_policy::delete_scaling_policy(&client, POLICY_ARN, &policy_spec())
        .await
        .unwrap();
    assert_eq!(delete.num_calls(), 2);
    assert_eq!(
        scaling_policy::policy_resource_id(POLICY_ARN),
        Some(RESOURCE_ID)
    );
    assert!(
        scaling_policy::delete_scaling_policy(&client, "not-an-arn", &policy_spec())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn scaling_policy_observe_round_trips_and_reads_absence() {
    use aas::*;
    let _ = Scenario::ScalingPolicyRoundTrip;
    // DescribeScalingPolicies may answer with other policies of the target.
    let other = ScalingPolicySpec {
        name: "test-web-memory".into(),
        metric: "ECSServiceAverageMemoryUtilization".into(),
        ..policy_spec()
    };
    let describe = mock!(Client::describe_scaling_policies)
        .sequence()
        .output(move || {
            DescribeScalingPoliciesOutput::builder()
                .scaling_policies(scaling_policy(
                    &POLICY_ARN.replace("test-web-cpu", "test-web-memory"),
                    &other,
                ))
                .scaling_policies(scaling_policy(POLICY_ARN, &policy_spec()))
                .build()
        })
        .output(|| DescribeScalingPoliciesOutput::builder().build())
        .build();
    let clients = autoscaling_clients(&[&describe]);
    for expected in [Some(policy_spec()), None] {
        assert_eq!(
            observe(&clients, POLICY_ARN, &policy_spec(), &scaling_ids())
                .await
                .unwrap(),
            expected
        );
    }
}
