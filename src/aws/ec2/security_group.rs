//! EC2 Security Group.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{Node, NodeKey, Tags};

/// A security group with no rules of its own: AWS's default allow-all egress rule is revoked
/// at create, and every rule is a separate [`SecurityGroupRuleSpec`] child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroupSpec {
    pub vpc: NodeKey,
    /// `GroupName`, unique in the VPC; AWS cannot rename a group.
    pub name: String,
    /// AWS cannot change a group's description either.
    pub description: String,
    pub tags: Tags,
}

impl KindSpec for SecurityGroupSpec {
    const PREFIX: &'static str = "ec2.security_group";
    const DISPLAY_NAME: &'static str = "EC2 Security Group";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "ec2:CreateSecurityGroup",
        "ec2:CreateTags",
        "ec2:DeleteNetworkInterface",
        "ec2:DeleteSecurityGroup",
        "ec2:DeleteTags",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSecurityGroupRules",
        "ec2:DescribeSecurityGroups",
        "ec2:RevokeSecurityGroupEgress",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        vec![Reference::replace(&self.vpc)]
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[
            ("vpc", self.vpc != d.vpc),
            ("name", self.name != d.name),
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
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use aws_sdk_ec2::types::{Filter, ResourceType, SecurityGroup, SecurityGroupRule};
    use aws_sdk_ec2::Client;

    use super::*;
    use crate::apply::IdMap;
    use crate::aws::common::eni as network_interface;
    use crate::aws::common::keys::key_of;
    use crate::aws::common::ownership::{adopt_or_create, Found};
    use crate::aws::common::poll::{poll_until, within, Poll};
    use crate::aws::common::tags;
    use crate::aws::ec2::security_group_rule::find_security_group_rules;
    use crate::aws::error::{classify, AwsError};
    use crate::aws::kind::{AwsKind, Cx};
    use crate::plan::expand::naming::TAG_NODE;
    use crate::plan::node::Kind;

    impl AwsKind for SecurityGroupSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            find_owned_security_group(&cx.clients.ec2, spec).await
        }

        /// Every group of the VPC in one listing, shared by all children that observe one (and
        /// by the rules' listing, which needs the VPC's group IDs).
        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            let Ok(vpc_id) = cx.ids.id(&current.vpc) else {
                return observe_security_group(&cx.clients.ec2, id, current, cx.ids).await;
            };
            let groups = security_groups_of_vpc(cx, vpc_id).await?;
            Ok(groups.get(id).map(|g| flatten_security_group(g, cx.ids)))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_security_group(cx, spec).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_security_group(&cx.clients.ec2, id, current, desired, cx.ids).await
        }

        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            delete_security_group(&cx.clients.ec2, id).await
        }
    }

    /// A new group's default egress rule can take a moment to show in DescribeSecurityGroupRules
    /// (eventual consistency); we look for it this long before concluding there is none.
    const DEFAULT_EGRESS_GRACE: Duration = Duration::from_secs(30);

    /// CreateSecurityGroup with a name already taken in the VPC.
    const DUPLICATE: &str = "InvalidGroup.Duplicate";

    // find

    /// Every security group of a VPC, by ID, read once through the shared reads.
    pub async fn security_groups_of_vpc(
        cx: &Cx<'_>,
        vpc_id: &str,
    ) -> Result<Arc<HashMap<String, SecurityGroup>>, AwsError> {
        cx.reads
            .get(&format!("ec2.security_group/vpc/{vpc_id}"), || {
                list_security_groups(&cx.clients.ec2, vpc_id)
            })
            .await
    }

    /// Every group matching `filters`, across pages.
    async fn describe_security_groups(
        ec2: &Client,
        filters: Vec<Filter>,
    ) -> Result<Vec<SecurityGroup>, AwsError> {
        let mut pages = ec2
            .describe_security_groups()
            .set_filters(Some(filters))
            .into_paginator()
            .send();
        let mut groups = Vec::new();
        while let Some(page) = pages.next().await {
            groups.extend(page.map_err(classify)?.security_groups().iter().cloned());
        }
        Ok(groups)
    }

    /// Every security group of a VPC, by ID.
    pub async fn list_security_groups(
        ec2: &Client,
        vpc_id: &str,
    ) -> Result<HashMap<String, SecurityGroup>, AwsError> {
        let by_vpc = Filter::builder().name("vpc-id").values(vpc_id).build();
        Ok(describe_security_groups(ec2, vec![by_vpc])
            .await?
            .into_iter()
            .filter_map(|g| Some((g.group_id()?.to_string(), g)))
            .collect())
    }

    pub async fn find_security_group_by_id(
        ec2: &Client,
        id: &str,
    ) -> Result<Option<SecurityGroup>, AwsError> {
        match ec2
            .describe_security_groups()
            .group_ids(id)
            .send()
            .await
            .map_err(classify)
        {
            Ok(out) => Ok(out
                .security_groups()
                .iter()
                .find(|g| g.group_id() == Some(id))
                .cloned()),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The group holding the spec's name in the VPC, whoever owns it: the name is unique
    /// there, so this is the group a create would collide with.
    async fn find_security_group_by_name(
        ec2: &Client,
        vpc_id: &str,
        spec: &SecurityGroupSpec,
        ids: &IdMap,
    ) -> Result<Option<Found<SecurityGroupSpec>>, AwsError> {
        let by_name = vec![
            Filter::builder().name("vpc-id").values(vpc_id).build(),
            Filter::builder()
                .name("group-name")
                .values(&spec.name)
                .build(),
        ];
        Ok(describe_security_groups(ec2, by_name)
            .await?
            .first()
            .and_then(|g| {
                Some(Found {
                    id: g.group_id()?.to_string(),
                    current: flatten_security_group(g, ids),
                    tags: tags::from_sdk(g.tags()),
                })
            }))
    }

    /// True for AWS's default allow-all egress rule (IPv4 or IPv6) that we did not adopt.
    pub fn is_default_egress(rule: &SecurityGroupRule) -> bool {
        let all_traffic = rule.ip_protocol() == Some("-1");
        let anywhere = rule.cidr_ipv4() == Some("0.0.0.0/0") || rule.cidr_ipv6() == Some("::/0");
        let ours = rule.tags().iter().any(|t| t.key() == Some(TAG_NODE));
        rule.is_egress() == Some(true) && all_traffic && anywhere && !ours
    }

    /// The ledger ID of an existing object carrying the spec's ownership tags, without changing
    /// anything (import and discovery); `None` when there is none.
    pub async fn find_owned_security_group(
        ec2: &Client,
        spec: &SecurityGroupSpec,
    ) -> Result<Option<String>, AwsError> {
        Ok(
            describe_security_groups(ec2, tags::ownership_filters(&spec.tags))
                .await?
                .iter()
                .find(|g| tags::owned_by(g.tags(), &spec.tags))
                .and_then(|g| g.group_id().map(str::to_string)),
        )
    }

    // create, update, delete

    /// The group holding the spec's name in the VPC's shared listing, whoever owns it.
    async fn listed_security_group_by_name(
        cx: &Cx<'_>,
        vpc_id: &str,
        spec: &SecurityGroupSpec,
    ) -> Result<Option<Found<SecurityGroupSpec>>, AwsError> {
        if cx.reads.created_in_run(vpc_id) {
            return Ok(None);
        }
        let groups = security_groups_of_vpc(cx, vpc_id).await?;
        Ok(groups
            .iter()
            .filter(|(_, g)| g.group_name() == Some(spec.name.as_str()))
            .min_by_key(|(id, _)| id.as_str())
            .map(|(id, g)| Found {
                id: id.clone(),
                current: flatten_security_group(g, cx.ids),
                tags: tags::from_sdk(g.tags()),
            }))
    }

    /// Creates the group, or adopts the one holding its name in the VPC when it carries the
    /// spec's ownership tags (a run that died before recording it); a group of that name
    /// without them is someone else's and fails the create. Either way the group ends up
    /// without AWS's default egress rule.
    ///
    /// The name is looked up in the VPC's shared listing (a listing of this run: the engine
    /// forgets it after a failed attempt); after a create that found the name taken, which
    /// that listing did not show, AWS is asked.
    pub async fn create_security_group(
        cx: &Cx<'_>,
        spec: &SecurityGroupSpec,
    ) -> Result<String, AwsError> {
        let (client, ids) = (&cx.clients.ec2, cx.ids);
        let vpc_id = ids
            .id(&spec.vpc)
            .map_err(|e| AwsError::unexpected(e.message))?;
        let looked = AtomicBool::new(false);
        adopt_or_create(
            "security group",
            &spec.name,
            &spec.tags,
            &[DUPLICATE],
            || async {
                if looked.swap(true, Ordering::SeqCst) {
                    find_security_group_by_name(client, vpc_id, spec, ids).await
                } else {
                    listed_security_group_by_name(cx, vpc_id, spec).await
                }
            },
            |found| async move {
                revoke_default_egress(client, &found.id, false).await?;
                update_security_group(client, &found.id, &found.current, spec, ids).await
            },
            || async {
                let out = client
                    .create_security_group()
                    .group_name(&spec.name)
                    .description(&spec.description)
                    .vpc_id(vpc_id)
                    .tag_specifications(tags::specification(
                        ResourceType::SecurityGroup,
                        &spec.tags,
                    ))
                    .send()
                    .await
                    .map_err(classify)?;
                let id = out
                    .group_id()
                    .ok_or_else(|| AwsError::unexpected("CreateSecurityGroup returned no ID"))?
                    .to_string();
                revoke_default_egress(client, &id, true).await?;
                // Rule-less now: its rules' adopt-first lookups need no listing.
                cx.reads.mark_created(&id);
                Ok(id)
            },
        )
        .await
    }

    /// Revokes AWS's default allow-all egress rule, so the group is rule-less; our own rules are
    /// separate children and carry our node tag. `just_created` waits for the rule to appear.
    async fn revoke_default_egress(
        ec2: &Client,
        group_id: &str,
        just_created: bool,
    ) -> Result<(), AwsError> {
        let rules = if just_created {
            let appeared = poll_until(|| async {
                match find_security_group_rules(ec2, group_id).await {
                    Ok(rules) if rules.iter().any(|r| r.is_egress() == Some(true)) => {
                        Ok(Poll::Ready(rules))
                    }
                    Ok(_) => Ok(Poll::Pending),
                    // A group read right after its creation may not be visible yet.
                    Err(e) if e.is_not_found() => Ok(Poll::Pending),
                    Err(e) => Err(e),
                }
            });
            match within(DEFAULT_EGRESS_GRACE, "a default egress rule", appeared).await {
                Ok(rules) => rules,
                // None appeared: nothing to revoke.
                Err(AwsError::WaitTimeout { .. }) => return Ok(()),
                Err(e) => return Err(e),
            }
        } else {
            find_security_group_rules(ec2, group_id).await?
        };
        let defaults: Vec<String> = rules
            .iter()
            .filter(|r| is_default_egress(r))
            .filter_map(|r| r.security_group_rule_id().map(str::to_string))
            .collect();
        if defaults.is_empty() {
            return Ok(());
        }
        match ec2
            .revoke_security_group_egress()
            .group_id(group_id)
            .set_security_group_rule_ids(Some(defaults))
            .send()
            .await
            .map_err(classify)
        {
            Ok(_) => Ok(()),
            // Revoked already, by a concurrent or earlier attempt.
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Brings the object with ledger ID `id` from `current` to `desired` in place. Returns the
    /// ledger ID (unchanged unless the kind's ID changes on update).
    pub async fn update_security_group(
        client: &Client,
        id: &str,
        current: &SecurityGroupSpec,
        desired: &SecurityGroupSpec,
        _ids: &IdMap,
    ) -> Result<String, AwsError> {
        // Name, description and VPC cannot change in place; they force a replacement.
        tags::sync_tags(client, id, &current.tags, &desired.tags).await?;
        Ok(id.to_string())
    }

    /// Deletes the object; absence is success.
    ///
    /// DependencyViolation means network interfaces or other groups' rules still use the group.
    /// We then delete the detached (`available`) ENIs carrying it, which nothing would ever remove,
    /// and try once more; attached ENIs and rules belong to others, so a remaining
    /// DependencyViolation is returned for the engine to retry with backoff.
    pub async fn delete_security_group(client: &Client, id: &str) -> Result<(), AwsError> {
        async fn attempt(client: &Client, id: &str) -> Result<(), AwsError> {
            match client
                .delete_security_group()
                .group_id(id)
                .send()
                .await
                .map_err(classify)
            {
                Ok(_) => Ok(()),
                Err(e) if e.is_not_found() => Ok(()),
                Err(e) => Err(e),
            }
        }
        network_interface::delete_sweeping_detached(
            client,
            network_interface::Holder::SecurityGroup(id),
            || attempt(client, id),
        )
        .await
    }

    /// Reads the object as it is now, with references turned back into node keys; `None` when it
    /// no longer exists.
    pub async fn observe_security_group(
        client: &Client,
        id: &str,
        _current: &SecurityGroupSpec,
        ids: &IdMap,
    ) -> Result<Option<SecurityGroupSpec>, AwsError> {
        Ok(find_security_group_by_id(client, id)
            .await?
            .map(|g| flatten_security_group(&g, ids)))
    }

    // flatten

    pub fn flatten_security_group(group: &SecurityGroup, ids: &IdMap) -> SecurityGroupSpec {
        SecurityGroupSpec {
            vpc: key_of(ids, Kind::Vpc, group.vpc_id().unwrap_or_default()),
            name: group.group_name().unwrap_or_default().to_string(),
            description: group.description().unwrap_or_default().to_string(),
            tags: tags::from_sdk(group.tags()),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use aws_sdk_ec2::types::Tag;

        fn rule(egress: bool, protocol: &str, cidr: &str, tagged: bool) -> SecurityGroupRule {
            let mut b = SecurityGroupRule::builder()
                .security_group_rule_id("sgr-1")
                .is_egress(egress)
                .ip_protocol(protocol)
                .cidr_ipv4(cidr);
            if tagged {
                b = b.tags(
                    Tag::builder()
                        .key(TAG_NODE)
                        .value("ec2.security_group_rule/x")
                        .build(),
                );
            }
            b.build()
        }

        #[test]
        fn only_the_untagged_allow_all_egress_rule_is_default() {
            assert!(is_default_egress(&rule(true, "-1", "0.0.0.0/0", false)));
            assert!(!is_default_egress(&rule(true, "-1", "0.0.0.0/0", true)));
            assert!(!is_default_egress(&rule(false, "-1", "0.0.0.0/0", false)));
            assert!(!is_default_egress(&rule(true, "tcp", "0.0.0.0/0", false)));
            assert!(!is_default_egress(&rule(true, "-1", "10.0.0.0/16", false)));
        }
    }
}
