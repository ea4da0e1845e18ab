//! ELBv2 listener rule forwarding host and path matches to a target group; the ledger ID is
//! its ARN.
//!
//! Rules have no name, so adoption looks for a rule on the listener carrying our ownership
//! tags. A spec matching any host and any path is sent as the path pattern `/*` (ELBv2 needs
//! at least one condition) and reads back as the spec wrote it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{Node, NodeKey, Tags};

/// A listener rule forwarding host/path matches to a target group; its ledger ID is its ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenerRuleSpec {
    /// Its ledger ID is the listener ARN.
    pub listener: NodeKey,
    /// 1–50000, unique on the listener.
    pub priority: u32,
    /// Host-header values; empty matches any host. Sorted.
    pub hosts: Vec<String>,
    /// Path-pattern values; empty matches any path. Sorted.
    pub paths: Vec<String>,
    pub target_group: NodeKey,
    pub tags: Tags,
}

impl KindSpec for ListenerRuleSpec {
    const PREFIX: &'static str = "elbv2.listener_rule";
    const DISPLAY_NAME: &'static str = "ELBv2 Listener Rule";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "elasticloadbalancing:AddTags",
        "elasticloadbalancing:CreateRule",
        "elasticloadbalancing:DeleteRule",
        "elasticloadbalancing:DescribeRules",
        "elasticloadbalancing:DescribeTags",
        "elasticloadbalancing:ModifyRule",
        "elasticloadbalancing:RemoveTags",
        "elasticloadbalancing:SetRulePriorities",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        vec![
            Reference::replace(&self.listener),
            Reference::update(&self.target_group),
        ]
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[("listener", self.listener != d.listener)])
    }

    fn hourly_charge(&self, _graph: &BTreeMap<NodeKey, Node>) -> Option<(&'static str, f64)> {
        None
    }
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use std::collections::{BTreeMap, HashMap};

    use aws_sdk_elasticloadbalancingv2::types::{
        Action, ActionTypeEnum, HostHeaderConditionConfig, PathPatternConditionConfig, Rule,
        RuleCondition, RulePriorityPair,
    };
    use aws_sdk_elasticloadbalancingv2::Client;

    use super::*;
    use crate::apply::IdMap;
    use crate::aws::common::elbv2::{describe_tags, describe_tags_of, sync_tags};
    use crate::aws::common::ownership::owned_by;
    use crate::aws::common::tags;
    use crate::aws::error::{classify, is_code, none_if_not_found, AwsError};
    use crate::aws::kind::{AwsKind, Cx};
    use crate::plan::node::Kind;

    impl AwsKind for ListenerRuleSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            find_owned_listener_rule(&cx.clients.elbv2, spec, cx.ids).await
        }

        /// Every rule of the listener in one listing and their tags in batches, shared by all
        /// children that observe one.
        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            let client = &cx.clients.elbv2;
            let Ok(listener_arn) = cx.ids.id(&current.listener) else {
                return observe_listener_rule_by_arn(client, id, current, cx.ids).await;
            };
            let scope = format!("elbv2.listener_rule/listener/{listener_arn}");
            let rules = cx
                .reads
                .get(&scope, || find_listener_rules(client, listener_arn))
                .await?;
            let Some(rule) = rules.iter().find(|r| r.rule_arn() == Some(id)) else {
                return Ok(None);
            };
            let tags = cx
                .reads
                .get(&format!("{scope}/tags"), || {
                    describe_rule_tags(client, &rules)
                })
                .await?;
            Ok(tags
                .get(id)
                .map(|tags| flatten_listener_rule(rule, current, tags.clone(), cx.ids)))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_listener_rule(&cx.clients.elbv2, spec, cx.ids).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_listener_rule(&cx.clients.elbv2, id, current, desired, cx.ids).await
        }

        async fn delete(cx: &Cx<'_>, id: &str, current: &Self) -> Result<(), AwsError> {
            delete_listener_rule(&cx.clients.elbv2, id, current).await
        }
    }

    /// Another rule on the listener holds the priority.
    const PRIORITY_IN_USE: &str = "PriorityInUse";

    const FIELD_HOST_HEADER: &str = "host-header";
    const FIELD_PATH_PATTERN: &str = "path-pattern";
    /// The condition standing for "any path".
    const ANY_PATH: &str = "/*";
    /// DescribeRules reports the listener's default action as a rule with this priority.
    const DEFAULT_PRIORITY: &str = "default";

    // find

    /// Every rule on the listener, the default one included; empty when the listener is gone.
    pub async fn find_listener_rules(
        client: &Client,
        listener_arn: &str,
    ) -> Result<Vec<Rule>, AwsError> {
        let mut pages = client
            .describe_rules()
            .listener_arn(listener_arn)
            .into_paginator()
            .send();
        let mut rules = Vec::new();
        while let Some(page) = pages.next().await {
            let Some(page) = none_if_not_found(page.map_err(classify))? else {
                return Ok(Vec::new());
            };
            rules.extend(page.rules().iter().cloned());
        }
        Ok(rules)
    }

    /// The tags of `rules` but the default one (which cannot be tagged), by ARN.
    async fn describe_rule_tags(
        client: &Client,
        rules: &[Rule],
    ) -> Result<HashMap<String, Tags>, AwsError> {
        let arns: Vec<String> = rules
            .iter()
            .filter(|r| priority_of(r).is_some())
            .filter_map(|r| r.rule_arn().map(str::to_string))
            .collect();
        describe_tags(client, &arns).await
    }

    /// The priority of a rule other than the default one.
    fn priority_of(rule: &Rule) -> Option<u32> {
        if rule.is_default() == Some(true) {
            return None;
        }
        rule.priority()
            .filter(|p| *p != DEFAULT_PRIORITY)
            .and_then(|p| p.parse().ok())
    }

    /// Priority → rule ARN of every rule on the listener but the default one; empty when the
    /// listener is gone. Plan time uses it to pick free priorities.
    pub async fn listener_rule_priorities(
        client: &Client,
        listener_arn: &str,
    ) -> Result<BTreeMap<u32, String>, AwsError> {
        Ok(find_listener_rules(client, listener_arn)
            .await?
            .iter()
            .filter_map(|r| Some((priority_of(r)?, r.rule_arn()?.to_string())))
            .collect())
    }

    pub async fn find_rule_by_arn(client: &Client, arn: &str) -> Result<Option<Rule>, AwsError> {
        let out = none_if_not_found(
            client
                .describe_rules()
                .rule_arns(arn)
                .send()
                .await
                .map_err(classify),
        )?;
        Ok(out.and_then(|o| {
            o.rules()
                .iter()
                .find(|r| r.rule_arn() == Some(arn))
                .cloned()
        }))
    }

    /// The rule on the spec's listener carrying its ownership tags, as a spec; `None` when there
    /// is none (or no listener is recorded yet). Rules have no name, so the tags are what
    /// identify ours. Asks AWS directly, for adoption.
    async fn read_owned_rule(
        client: &Client,
        spec: &ListenerRuleSpec,
        ids: &IdMap,
    ) -> Result<Option<(String, ListenerRuleSpec)>, AwsError> {
        let Ok(listener_arn) = ids.id(&spec.listener) else {
            return Ok(None);
        };
        let rules = find_listener_rules(client, listener_arn).await?;
        let tags = describe_rule_tags(client, &rules).await?;
        Ok(rules.iter().find_map(|rule| {
            let arn = rule.rule_arn()?;
            let found = tags.get(arn).filter(|t| owned_by(t, &spec.tags))?;
            let current = flatten_listener_rule(rule, spec, found.clone(), ids);
            Some((arn.to_string(), current))
        }))
    }

    /// The ledger ID of an existing object carrying the spec's ownership tags, without changing
    /// anything (import and discovery); `None` when there is none.
    pub async fn find_owned_listener_rule(
        client: &Client,
        spec: &ListenerRuleSpec,
        ids: &IdMap,
    ) -> Result<Option<String>, AwsError> {
        Ok(read_owned_rule(client, spec, ids)
            .await?
            .map(|(arn, _)| arn))
    }

    /// The rule by its own ARN, for a rule whose listener is not recorded.
    async fn observe_listener_rule_by_arn(
        client: &Client,
        id: &str,
        current: &ListenerRuleSpec,
        ids: &IdMap,
    ) -> Result<Option<ListenerRuleSpec>, AwsError> {
        let Some(rule) = find_rule_by_arn(client, id).await? else {
            return Ok(None);
        };
        let Some(tags) = describe_tags_of(client, id).await? else {
            return Ok(None);
        };
        Ok(Some(flatten_listener_rule(&rule, current, tags, ids)))
    }

    // create, update, delete

    /// `PriorityInUse` in words: the user picks another priority, or plans again so a free one is
    /// chosen.
    fn explain_priority(error: AwsError, spec: &ListenerRuleSpec) -> AwsError {
        if !is_code(&error, PRIORITY_IN_USE) {
            return error;
        }
        AwsError::Api {
            code: PRIORITY_IN_USE.into(),
            message: format!(
                "priority {} is already used by another rule on listener {}; set routing.priority \
             to a free priority, or run terraform plan again so a free one is chosen",
                spec.priority, spec.listener
            ),
        }
    }

    fn priority(spec: &ListenerRuleSpec) -> Result<i32, AwsError> {
        i32::try_from(spec.priority).map_err(|_| {
            AwsError::unexpected(format!("priority {} is out of range", spec.priority))
        })
    }

    /// Creates the rule, or adopts the one on the listener carrying the spec's ownership tags.
    /// Returns the ledger ID.
    pub async fn create_listener_rule(
        client: &Client,
        spec: &ListenerRuleSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        if let Some((arn, current)) = read_owned_rule(client, spec, ids).await? {
            return update_listener_rule(client, &arn, &current, spec, ids).await;
        }
        let listener_arn = ids
            .id(&spec.listener)
            .map_err(|e| AwsError::unexpected(e.message))?;
        let target_group_arn = ids
            .id(&spec.target_group)
            .map_err(|e| AwsError::unexpected(e.message))?;
        let out = client
            .create_rule()
            .listener_arn(listener_arn)
            .priority(priority(spec)?)
            .set_conditions(Some(expand_conditions(spec)))
            .actions(expand_forward(target_group_arn))
            .set_tags(Some(tags::to_sdk(&spec.tags)?))
            .send()
            .await
            .map_err(classify)
            .map_err(|e| explain_priority(e, spec))?;
        out.rules()
            .first()
            .and_then(Rule::rule_arn)
            .map(str::to_string)
            .ok_or_else(|| AwsError::unexpected("CreateRule returned no ARN"))
    }

    /// Brings the object with ledger ID `id` from `current` to `desired` in place. Returns the
    /// ledger ID.
    pub async fn update_listener_rule(
        client: &Client,
        id: &str,
        current: &ListenerRuleSpec,
        desired: &ListenerRuleSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        if current.hosts != desired.hosts
            || current.paths != desired.paths
            || current.target_group != desired.target_group
        {
            let target_group_arn = ids
                .id(&desired.target_group)
                .map_err(|e| AwsError::unexpected(e.message))?;
            client
                .modify_rule()
                .rule_arn(id)
                .set_conditions(Some(expand_conditions(desired)))
                .actions(expand_forward(target_group_arn))
                .send()
                .await
                .map_err(classify)?;
        }
        if current.priority != desired.priority {
            client
                .set_rule_priorities()
                .rule_priorities(
                    RulePriorityPair::builder()
                        .rule_arn(id)
                        .priority(priority(desired)?)
                        .build(),
                )
                .send()
                .await
                .map_err(classify)
                .map_err(|e| explain_priority(e, desired))?;
        }
        sync_tags(client, id, &current.tags, &desired.tags).await?;
        Ok(id.to_string())
    }

    /// Deletes the object; absence is success.
    pub async fn delete_listener_rule(
        client: &Client,
        id: &str,
        current: &ListenerRuleSpec,
    ) -> Result<(), AwsError> {
        let _ = current;
        none_if_not_found(
            client
                .delete_rule()
                .rule_arn(id)
                .send()
                .await
                .map_err(classify),
        )?;
        Ok(())
    }

    // expand, flatten

    /// The condition configs rather than `Values`, which allows one host only.
    pub fn expand_conditions(spec: &ListenerRuleSpec) -> Vec<RuleCondition> {
        let mut conditions = Vec::new();
        if !spec.hosts.is_empty() {
            conditions.push(
                RuleCondition::builder()
                    .field(FIELD_HOST_HEADER)
                    .host_header_config(
                        HostHeaderConditionConfig::builder()
                            .set_values(Some(spec.hosts.clone()))
                            .build(),
                    )
                    .build(),
            );
        }
        let paths = if spec.paths.is_empty() && spec.hosts.is_empty() {
            vec![ANY_PATH.to_string()]
        } else {
            spec.paths.clone()
        };
        if !paths.is_empty() {
            conditions.push(
                RuleCondition::builder()
                    .field(FIELD_PATH_PATTERN)
                    .path_pattern_config(
                        PathPatternConditionConfig::builder()
                            .set_values(Some(paths))
                            .build(),
                    )
                    .build(),
            );
        }
        conditions
    }

    fn expand_forward(target_group_arn: &str) -> Action {
        Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .target_group_arn(target_group_arn)
            .build()
    }

    /// The values of the conditions on `field`, sorted: from the condition config, else from the
    /// legacy `Values`.
    fn condition_values(conditions: &[RuleCondition], field: &str) -> Vec<String> {
        let mut values: Vec<String> = conditions
            .iter()
            .filter(|c| c.field() == Some(field))
            .flat_map(|c| {
                let configured = match field {
                    FIELD_HOST_HEADER => c.host_header_config().map(|h| h.values()),
                    _ => c.path_pattern_config().map(|p| p.values()),
                };
                match configured {
                    Some(v) if !v.is_empty() => v.to_vec(),
                    _ => c.values().to_vec(),
                }
            })
            .collect();
        values.sort();
        values.dedup();
        values
    }

    /// The target group a sole forward action sends to; anything else reads as no target group
    /// of ours, so it shows as a difference.
    fn forward_target(actions: &[Action]) -> Option<&str> {
        let [action] = actions else {
            return None;
        };
        if action.r#type() != Some(&ActionTypeEnum::Forward) {
            return None;
        }
        action.target_group_arn().or_else(|| {
            match action.forward_config().map(|f| f.target_groups()) {
                Some([only]) => only.target_group_arn(),
                _ => None,
            }
        })
    }

    /// The listener ARN a rule ARN names: `…:listener-rule/app/<lb>/<lb-id>/<listener-id>/<rule-id>`.
    pub fn listener_arn_of_rule(rule_arn: &str) -> Option<String> {
        let (listener, _) = rule_arn.rsplit_once('/')?;
        listener
            .contains(":listener-rule/")
            .then(|| listener.replacen(":listener-rule/", ":listener/", 1))
    }

    /// A reference read back: the recorded node of `id`; `current`'s key when `id` is what it
    /// is recorded as (or it is not recorded); otherwise an external key, so it differs.
    fn reference(ids: &IdMap, current: &NodeKey, kind: Kind, id: Option<&str>) -> NodeKey {
        let Some(id) = id else {
            return NodeKey::new(kind, &["external", "none"]);
        };
        if let Some(key) = ids.key_of(id) {
            return key.clone();
        }
        match ids.id(current) {
            Ok(recorded) if recorded != id => NodeKey::new(kind, &["external", id]),
            _ => current.clone(),
        }
    }

    pub fn flatten_listener_rule(
        rule: &Rule,
        current: &ListenerRuleSpec,
        tags: Tags,
        ids: &IdMap,
    ) -> ListenerRuleSpec {
        let hosts = condition_values(rule.conditions(), FIELD_HOST_HEADER);
        let mut paths = condition_values(rule.conditions(), FIELD_PATH_PATTERN);
        // "/*" alone is how "any host, any path" is sent; read it back as the spec wrote it.
        if hosts.is_empty() && paths == [ANY_PATH] && current.paths.is_empty() {
            paths.clear();
        }
        let listener_arn = rule.rule_arn().and_then(listener_arn_of_rule);
        ListenerRuleSpec {
            listener: reference(
                ids,
                &current.listener,
                Kind::Listener,
                listener_arn.as_deref(),
            ),
            priority: priority_of(rule).unwrap_or_default(),
            hosts,
            paths,
            target_group: reference(
                ids,
                &current.target_group,
                Kind::TargetGroup,
                forward_target(rule.actions()),
            ),
            tags,
        }
    }
}
