//! EC2 Security Group Rule: one rule (`sgr-…`), a child of its own.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{Node, NodeKey, Tags};

/// One security group rule (`sgr-…`). Changing any property replaces the rule, never the group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroupRuleSpec {
    pub group: NodeKey,
    pub direction: Direction,
    /// `tcp`, `udp` or `-1` (all).
    pub protocol: String,
    /// Both -1 for protocol `-1`.
    pub from_port: i32,
    pub to_port: i32,
    pub peer: RulePeer,
    pub description: String,
    pub tags: Tags,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Ingress,
    Egress,
}

/// The other side of a rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RulePeer {
    Cidr(String),
    /// Another security group of ours.
    Group(NodeKey),
    /// A managed prefix list (`pl-…`), e.g. S3's for the gateway endpoint.
    PrefixList(String),
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

impl KindSpec for SecurityGroupRuleSpec {
    const PREFIX: &'static str = "ec2.security_group_rule";
    const DISPLAY_NAME: &'static str = "EC2 Security Group Rule";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "ec2:AuthorizeSecurityGroupEgress",
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:CreateTags",
        "ec2:DeleteTags",
        "ec2:DescribeSecurityGroupRules",
        "ec2:DescribeSecurityGroups",
        "ec2:ModifySecurityGroupRules",
        "ec2:RevokeSecurityGroupEgress",
        "ec2:RevokeSecurityGroupIngress",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        let mut refs = vec![Reference::replace(&self.group)];
        if let RulePeer::Group(peer) = &self.peer {
            refs.push(Reference::replace(peer));
        }
        refs
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[
            ("group", self.group != d.group),
            ("direction", self.direction != d.direction),
            ("protocol", self.protocol != d.protocol),
            ("from_port", self.from_port != d.from_port),
            ("to_port", self.to_port != d.to_port),
            ("peer", self.peer != d.peer),
            ("description", self.description != d.description),
        ])
    }

    fn hourly_charge(&self, _graph: &BTreeMap<NodeKey, Node>) -> Option<(&'static str, f64)> {
        None
    }
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use std::collections::{BTreeSet, HashMap};
    use std::sync::Arc;

    use aws_sdk_ec2::types::{
        Filter, IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType, SecurityGroupRule,
        SecurityGroupRuleRequest, SecurityGroupRuleUpdate, UserIdGroupPair,
    };
    use aws_sdk_ec2::Client;

    use super::*;
    use crate::apply::IdMap;
    use crate::aws::common::keys::key_of;
    use crate::aws::common::tags;
    use crate::aws::ec2::security_group::security_groups_of_vpc;
    use crate::aws::ec2::vpc::environment_vpc_id;
    use crate::aws::error::{classify, AwsError};
    use crate::aws::kind::{AwsKind, Cx};
    use crate::plan::node::Kind;

    impl AwsKind for SecurityGroupRuleSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            find_owned_security_group_rule(&cx.clients.ec2, spec, cx.ids).await
        }

        /// Every rule of every group in the environment's VPC in one listing, shared by all
        /// children that observe one ([`listed_rules_of`]).
        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            let Ok(group_id) = cx.ids.id(&current.group) else {
                return observe_security_group_rule(&cx.clients.ec2, id, current, cx.ids).await;
            };
            let Some(listed) = listed_rules_of(cx, group_id).await? else {
                return observe_security_group_rule(&cx.clients.ec2, id, current, cx.ids).await;
            };
            Ok(listed
                .rules
                .get(id)
                .map(|r| observed_rule(r, current, cx.ids)))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_security_group_rule(cx, spec).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_security_group_rule(&cx.clients.ec2, id, current, desired, cx.ids).await
        }

        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            delete_security_group_rule(&cx.clients.ec2, id).await
        }
    }

    /// Authorizing a permission the group already has; we then adopt the existing rule.
    const DUPLICATE: &str = "InvalidPermission.Duplicate";

    /// Group IDs per DescribeSecurityGroupRules call: the `group-id` filter takes many values.
    const GROUP_IDS_PER_CALL: usize = 100;

    // find

    /// Every rule matching `filters`, ingress and egress, across pages.
    async fn describe_security_group_rules(
        ec2: &Client,
        filters: Vec<Filter>,
    ) -> Result<Vec<SecurityGroupRule>, AwsError> {
        let mut pages = ec2
            .describe_security_group_rules()
            .set_filters(Some(filters))
            .into_paginator()
            .send();
        let mut rules = Vec::new();
        while let Some(page) = pages.next().await {
            rules.extend(
                page.map_err(classify)?
                    .security_group_rules()
                    .iter()
                    .cloned(),
            );
        }
        Ok(rules)
    }

    /// Every rule of one group, ingress and egress, across pages.
    pub async fn find_security_group_rules(
        ec2: &Client,
        group_id: &str,
    ) -> Result<Vec<SecurityGroupRule>, AwsError> {
        let by_group = Filter::builder().name("group-id").values(group_id).build();
        describe_security_group_rules(ec2, vec![by_group]).await
    }

    /// Every rule of the given groups, by rule ID: one paginated listing per hundred groups.
    pub async fn list_security_group_rules(
        ec2: &Client,
        group_ids: Vec<String>,
    ) -> Result<HashMap<String, SecurityGroupRule>, AwsError> {
        let mut rules = HashMap::new();
        for chunk in group_ids.chunks(GROUP_IDS_PER_CALL) {
            let by_groups = Filter::builder()
                .name("group-id")
                .set_values(Some(chunk.to_vec()))
                .build();
            for rule in describe_security_group_rules(ec2, vec![by_groups]).await? {
                if let Some(id) = rule.security_group_rule_id() {
                    rules.insert(id.to_string(), rule);
                }
            }
        }
        Ok(rules)
    }

    /// Rules listed once through the shared reads, and the groups whose rules the listing
    /// holds.
    #[derive(Debug, Default)]
    pub struct ListedRules {
        pub groups: BTreeSet<String>,
        /// By rule ID.
        pub rules: HashMap<String, SecurityGroupRule>,
    }

    /// The shared listing holding the rules of group `group_id`; `None` before the
    /// environment's VPC is recorded.
    ///
    /// One listing, `ec2.security_group_rule/vpc/<vpc>`, holds the rules of every group of
    /// the VPC's shared group listing and of every group the ledger records: the groups a run
    /// created after the group listing was taken are recorded by the time their rules are made,
    /// so creating every rule of the environment reads one listing. A group that listing does
    /// not cover (recorded by another resource sharing the reads) is listed on its own.
    pub async fn listed_rules_of(
        cx: &Cx<'_>,
        group_id: &str,
    ) -> Result<Option<Arc<ListedRules>>, AwsError> {
        let Some(vpc_id) = environment_vpc_id(cx.ids) else {
            return Ok(None);
        };
        let groups = security_groups_of_vpc(cx, vpc_id).await?;
        let of_vpc = cx
            .reads
            .get(&format!("ec2.security_group_rule/vpc/{vpc_id}"), || {
                let mut covered: BTreeSet<String> = groups.keys().cloned().collect();
                covered.extend(
                    cx.ids
                        .entries()
                        .filter(|(key, _)| key.kind() == Some(Kind::SecurityGroup))
                        .map(|(_, id)| id.to_string()),
                );
                list_rules_of(&cx.clients.ec2, covered)
            })
            .await?;
        if of_vpc.groups.contains(group_id) {
            return Ok(Some(of_vpc));
        }
        let own = cx
            .reads
            .get(&format!("ec2.security_group_rule/group/{group_id}"), || {
                list_rules_of(&cx.clients.ec2, [group_id.to_string()].into())
            })
            .await?;
        Ok(Some(own))
    }

    async fn list_rules_of(
        ec2: &Client,
        groups: BTreeSet<String>,
    ) -> Result<ListedRules, AwsError> {
        let rules = list_security_group_rules(ec2, groups.iter().cloned().collect()).await?;
        Ok(ListedRules { groups, rules })
    }

    /// The ledger ID of an existing object carrying the spec's ownership tags, without changing
    /// anything (import and discovery); `None` when there is none.
    pub async fn find_owned_security_group_rule(
        ec2: &Client,
        spec: &SecurityGroupRuleSpec,
        ids: &IdMap,
    ) -> Result<Option<String>, AwsError> {
        let Ok(group_id) = ids.id(&spec.group) else {
            return Ok(None);
        };
        Ok(find_security_group_rules(ec2, group_id)
            .await?
            .iter()
            .find(|r| tags::owned_by(r.tags(), &spec.tags))
            .and_then(|r| r.security_group_rule_id().map(str::to_string)))
    }

    pub async fn find_security_group_rule_by_id(
        ec2: &Client,
        id: &str,
    ) -> Result<Option<SecurityGroupRule>, AwsError> {
        match ec2
            .describe_security_group_rules()
            .security_group_rule_ids(id)
            .send()
            .await
            .map_err(classify)
        {
            Ok(out) => Ok(out
                .security_group_rules()
                .iter()
                .find(|r| r.security_group_rule_id() == Some(id))
                .cloned()),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    // create, update, delete

    /// The peer with references resolved to AWS IDs.
    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Peer {
        Cidr(String),
        Group(String),
        PrefixList(String),
    }

    fn resolve_peer(peer: &RulePeer, ids: &IdMap) -> Result<Peer, AwsError> {
        Ok(match peer {
            RulePeer::Cidr(c) => Peer::Cidr(c.clone()),
            RulePeer::Group(k) => Peer::Group(
                ids.id(k)
                    .map_err(|e| AwsError::unexpected(e.message))?
                    .to_string(),
            ),
            RulePeer::PrefixList(p) => Peer::PrefixList(p.clone()),
        })
    }

    fn observed_peer(rule: &SecurityGroupRule) -> Option<Peer> {
        if let Some(c) = rule.cidr_ipv4().or(rule.cidr_ipv6()) {
            return Some(Peer::Cidr(c.to_string()));
        }
        if let Some(g) = rule.referenced_group_info().and_then(|g| g.group_id()) {
            return Some(Peer::Group(g.to_string()));
        }
        rule.prefix_list_id()
            .map(|p| Peer::PrefixList(p.to_string()))
    }

    /// `tcp`, `udp`, `icmp` or `-1`, whether AWS reports names or numbers.
    pub fn normalize_protocol(protocol: &str) -> String {
        match protocol.to_ascii_lowercase().as_str() {
            "6" => "tcp".into(),
            "17" => "udp".into(),
            "1" => "icmp".into(),
            "all" | "-1" => "-1".into(),
            other => other.to_string(),
        }
    }

    fn is_ipv6(cidr: &str) -> bool {
        cidr.contains(':')
    }

    /// True when `rule` is the permission `spec` describes (direction, protocol, ports, peer),
    /// as AWS's duplicate check sees it: the description is not part of it.
    fn same_permission(
        rule: &SecurityGroupRule,
        spec: &SecurityGroupRuleSpec,
        peer: &Peer,
    ) -> bool {
        let protocol = normalize_protocol(&spec.protocol);
        let ports_match = protocol == "-1"
            || (rule.from_port() == Some(spec.from_port) && rule.to_port() == Some(spec.to_port));
        rule.is_egress() == Some(spec.direction == Direction::Egress)
            && rule.ip_protocol().map(normalize_protocol).as_deref() == Some(protocol.as_str())
            && ports_match
            && observed_peer(rule).as_ref() == Some(peer)
    }

    fn expand_ip_permission(spec: &SecurityGroupRuleSpec, peer: &Peer) -> IpPermission {
        let description = (!spec.description.is_empty()).then(|| spec.description.clone());
        let permission = IpPermission::builder()
            .ip_protocol(&spec.protocol)
            .from_port(spec.from_port)
            .to_port(spec.to_port);
        match peer {
            Peer::Cidr(c) if is_ipv6(c) => permission.ipv6_ranges(
                Ipv6Range::builder()
                    .cidr_ipv6(c)
                    .set_description(description)
                    .build(),
            ),
            Peer::Cidr(c) => permission.ip_ranges(
                IpRange::builder()
                    .cidr_ip(c)
                    .set_description(description)
                    .build(),
            ),
            Peer::Group(g) => permission.user_id_group_pairs(
                UserIdGroupPair::builder()
                    .group_id(g)
                    .set_description(description)
                    .build(),
            ),
            Peer::PrefixList(p) => permission.prefix_list_ids(
                PrefixListId::builder()
                    .prefix_list_id(p)
                    .set_description(description)
                    .build(),
            ),
        }
        .build()
    }

    /// Adopts the rule of the group carrying the spec's ownership tags, found in the shared
    /// listing of the group's rules ([`listed_rules_of`], a listing of this run: the engine
    /// forgets it after a failed attempt); otherwise authorizes it with them, in the same call.
    /// A permission the group has already as an untagged rule is adopted from a fresh read.
    /// Returns the ledger ID.
    pub async fn create_security_group_rule(
        cx: &Cx<'_>,
        spec: &SecurityGroupRuleSpec,
    ) -> Result<String, AwsError> {
        let (client, ids) = (&cx.clients.ec2, cx.ids);
        let group_id = ids
            .id(&spec.group)
            .map_err(|e| AwsError::unexpected(e.message))?
            .to_string();
        let peer = resolve_peer(&spec.peer, ids)?;
        let ours = |r: &&SecurityGroupRule| {
            r.group_id() == Some(group_id.as_str()) && tags::owned_by(r.tags(), &spec.tags)
        };
        // A group this run created holds no rule of ours the run did not record.
        let adopted = if cx.reads.created_in_run(&group_id) {
            None
        } else {
            match listed_rules_of(cx, &group_id).await? {
                Some(listed) => listed
                    .rules
                    .iter()
                    .filter(|(_, r)| ours(r))
                    .map(|(id, _)| id.clone())
                    .min(),
                None => find_security_group_rules(client, &group_id)
                    .await?
                    .iter()
                    .find(ours)
                    .and_then(|r| r.security_group_rule_id().map(str::to_string)),
            }
        };
        if let Some(id) = adopted {
            return Ok(id);
        }

        let permission = expand_ip_permission(spec, &peer);
        let tag_spec = tags::specification(ResourceType::SecurityGroupRule, &spec.tags);
        let created = match spec.direction {
            Direction::Ingress => client
                .authorize_security_group_ingress()
                .group_id(&group_id)
                .ip_permissions(permission)
                .tag_specifications(tag_spec)
                .send()
                .await
                .map(|out| out.security_group_rules().to_vec())
                .map_err(classify),
            Direction::Egress => client
                .authorize_security_group_egress()
                .group_id(&group_id)
                .ip_permissions(permission)
                .tag_specifications(tag_spec)
                .send()
                .await
                .map(|out| out.security_group_rules().to_vec())
                .map_err(classify),
        };
        match created {
            Ok(rules) => rules
                .iter()
                .find_map(|r| r.security_group_rule_id())
                .map(str::to_string)
                .ok_or_else(|| AwsError::unexpected("AuthorizeSecurityGroup* returned no rule ID")),
            Err(AwsError::Api { code, message }) if code == DUPLICATE => {
                adopt_duplicate(client, &group_id, spec, &peer)
                    .await?
                    .ok_or(AwsError::Api { code, message })
            }
            Err(e) => Err(e),
        }
    }

    /// The permission exists as an untagged rule (made by hand, or AWS's default egress): find it
    /// by its properties, tag it ours and align its description.
    async fn adopt_duplicate(
        ec2: &Client,
        group_id: &str,
        spec: &SecurityGroupRuleSpec,
        peer: &Peer,
    ) -> Result<Option<String>, AwsError> {
        let rules = find_security_group_rules(ec2, group_id).await?;
        let Some(rule) = rules.iter().find(|r| same_permission(r, spec, peer)) else {
            return Ok(None);
        };
        let Some(id) = rule.security_group_rule_id() else {
            return Ok(None);
        };
        ec2.create_tags()
            .resources(id)
            .set_tags(Some(tags::to_sdk(&spec.tags)?))
            .send()
            .await
            .map_err(classify)?;
        if rule.description().unwrap_or_default() != spec.description {
            set_description(ec2, group_id, id, spec, peer).await?;
        }
        Ok(Some(id.to_string()))
    }

    async fn set_description(
        ec2: &Client,
        group_id: &str,
        id: &str,
        spec: &SecurityGroupRuleSpec,
        peer: &Peer,
    ) -> Result<(), AwsError> {
        let request = SecurityGroupRuleRequest::builder()
            .ip_protocol(&spec.protocol)
            .from_port(spec.from_port)
            .to_port(spec.to_port)
            .description(&spec.description);
        let request = match peer {
            Peer::Cidr(c) if is_ipv6(c) => request.cidr_ipv6(c),
            Peer::Cidr(c) => request.cidr_ipv4(c),
            Peer::Group(g) => request.referenced_group_id(g),
            Peer::PrefixList(p) => request.prefix_list_id(p),
        };
        ec2.modify_security_group_rules()
            .group_id(group_id)
            .security_group_rules(
                SecurityGroupRuleUpdate::builder()
                    .security_group_rule_id(id)
                    .security_group_rule(request.build())
                    .build(),
            )
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// Brings the object with ledger ID `id` from `current` to `desired` in place. Returns the
    /// ledger ID (unchanged unless the kind's ID changes on update).
    pub async fn update_security_group_rule(
        client: &Client,
        id: &str,
        current: &SecurityGroupRuleSpec,
        desired: &SecurityGroupRuleSpec,
        _ids: &IdMap,
    ) -> Result<String, AwsError> {
        // Every other property forces a replacement.
        tags::sync_tags(client, id, &current.tags, &desired.tags).await?;
        Ok(id.to_string())
    }

    /// Deletes the object; absence is success.
    pub async fn delete_security_group_rule(client: &Client, id: &str) -> Result<(), AwsError> {
        // Only the ID is known here: the group and direction come from AWS. Revoking by ID works
        // for every peer kind, unlike revoking by IpPermissions.
        let Some(rule) = find_security_group_rule_by_id(client, id).await? else {
            return Ok(());
        };
        let group_id = rule.group_id().unwrap_or_default();
        let result = if rule.is_egress() == Some(true) {
            client
                .revoke_security_group_egress()
                .group_id(group_id)
                .security_group_rule_ids(id)
                .send()
                .await
                .map(|_| ())
                .map_err(classify)
        } else {
            client
                .revoke_security_group_ingress()
                .group_id(group_id)
                .security_group_rule_ids(id)
                .send()
                .await
                .map(|_| ())
                .map_err(classify)
        };
        match result {
            Ok(()) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Reads the object as it is now, with references turned back into node keys; `None` when it
    /// no longer exists.
    pub async fn observe_security_group_rule(
        client: &Client,
        id: &str,
        current: &SecurityGroupRuleSpec,
        ids: &IdMap,
    ) -> Result<Option<SecurityGroupRuleSpec>, AwsError> {
        Ok(find_security_group_rule_by_id(client, id)
            .await?
            .map(|r| observed_rule(&r, current, ids)))
    }

    fn observed_rule(
        rule: &SecurityGroupRule,
        current: &SecurityGroupRuleSpec,
        ids: &IdMap,
    ) -> SecurityGroupRuleSpec {
        let mut observed = flatten_security_group_rule(rule, ids);
        // Describe answers may leave out the description of a group reference; an absent
        // field says nothing, so it keeps the recorded value instead of reading as a removed
        // description.
        if rule.description().is_none() {
            observed.description = current.description.clone();
        }
        observed
    }

    // flatten

    pub fn flatten_security_group_rule(
        rule: &SecurityGroupRule,
        ids: &IdMap,
    ) -> SecurityGroupRuleSpec {
        let peer = match observed_peer(rule) {
            Some(Peer::Cidr(c)) => RulePeer::Cidr(c),
            Some(Peer::Group(g)) => RulePeer::Group(key_of(ids, Kind::SecurityGroup, &g)),
            Some(Peer::PrefixList(p)) => RulePeer::PrefixList(p),
            None => RulePeer::Cidr(String::new()),
        };
        SecurityGroupRuleSpec {
            group: key_of(
                ids,
                Kind::SecurityGroup,
                rule.group_id().unwrap_or_default(),
            ),
            direction: if rule.is_egress() == Some(true) {
                Direction::Egress
            } else {
                Direction::Ingress
            },
            protocol: normalize_protocol(rule.ip_protocol().unwrap_or("-1")),
            from_port: rule.from_port().unwrap_or(-1),
            to_port: rule.to_port().unwrap_or(-1),
            peer,
            description: rule.description().unwrap_or_default().to_string(),
            tags: tags::from_sdk(rule.tags()),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use aws_sdk_ec2::types::ReferencedSecurityGroup;

        #[test]
        fn protocols_are_normalized() {
            assert_eq!(normalize_protocol("6"), "tcp");
            assert_eq!(normalize_protocol("17"), "udp");
            assert_eq!(normalize_protocol("-1"), "-1");
            assert_eq!(normalize_protocol("TCP"), "tcp");
        }

        #[test]
        fn flatten_maps_peers_and_defaults() {
            let rule = SecurityGroupRule::builder()
                .security_group_rule_id("sgr-1")
                .group_id("sg-1")
                .is_egress(false)
                .ip_protocol("6")
                .from_port(443)
                .to_port(443)
                .referenced_group_info(ReferencedSecurityGroup::builder().group_id("sg-2").build())
                .build();
            let spec = flatten_security_group_rule(&rule, &IdMap::default());
            assert_eq!(spec.direction, Direction::Ingress);
            assert_eq!(spec.protocol, "tcp");
            assert_eq!((spec.from_port, spec.to_port), (443, 443));
            assert_eq!(
                spec.peer,
                RulePeer::Group(key_of(&IdMap::default(), Kind::SecurityGroup, "sg-2"))
            );
            assert_eq!(spec.description, "");

            let all = SecurityGroupRule::builder()
                .is_egress(true)
                .ip_protocol("-1")
                .cidr_ipv4("0.0.0.0/0")
                .build();
            let spec = flatten_security_group_rule(&all, &IdMap::default());
            assert_eq!(spec.direction, Direction::Egress);
            assert_eq!(
                (spec.protocol.as_str(), spec.from_port, spec.to_port),
                ("-1", -1, -1)
            );
            assert_eq!(spec.peer, RulePeer::Cidr("0.0.0.0/0".into()));
        }
    }
}
