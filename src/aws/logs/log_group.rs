//! CloudWatch Logs Log Group; the ledger ID is its name.
//!
//! An environment's groups share a name prefix (`/platform/<env>`, see `plan::expand`), so
//! observe lists them with one paginated call per environment.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{Node, NodeKey, Tags};

/// A CloudWatch Logs group; its ledger ID is its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogGroupSpec {
    pub name: String,
    pub retention_days: u32,
    pub kms_key_arn: Option<String>,
    pub tags: Tags,
}

impl KindSpec for LogGroupSpec {
    const PREFIX: &'static str = "logs.log_group";
    const DISPLAY_NAME: &'static str = "CloudWatch Logs Log Group";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "logs:CreateLogGroup",
        "logs:DeleteLogGroup",
        "logs:DeleteRetentionPolicy",
        "logs:DescribeLogGroups",
        "logs:ListTagsForResource",
        "logs:PutRetentionPolicy",
        "logs:TagResource",
        "logs:UntagResource",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        vec![]
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[
            ("name", self.name != d.name),
            ("kms_key_arn", self.kms_key_arn != d.kms_key_arn),
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

    use aws_sdk_cloudwatchlogs::types::LogGroup;
    use aws_sdk_cloudwatchlogs::Client;

    use super::*;
    use crate::aws::common::ownership::{create_or_adopt, owned_by, tag_changes, Found};
    use crate::aws::common::reads::Reads;
    use crate::aws::error::{classify, none_if_not_found, AwsError};
    use crate::aws::kind::{AwsKind, Cx};

    impl AwsKind for LogGroupSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            find_owned_log_group(&cx.clients.logs, spec).await
        }

        /// Every group of the environment in one listing by name prefix, shared by all children
        /// that observe one; tags have no batch API, so they are one read per group.
        async fn observe(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<Option<Self>, AwsError> {
            let client = &cx.clients.logs;
            let prefix = environment_prefix(id);
            let groups = cx
                .reads
                .get(&format!("logs.log_group/prefix/{prefix}"), || {
                    list_log_groups(client, prefix)
                })
                .await?;
            let Some(group) = groups.get(id) else {
                return Ok(None);
            };
            let Some(tags) = read_log_group_tags(client, cx.reads, group).await? else {
                return Ok(None);
            };
            Ok(Some(flatten_log_group(group, tags.as_ref().clone())))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_log_group(&cx.clients.logs, spec).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_log_group(&cx.clients.logs, id, current, desired).await
        }

        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            delete_log_group(&cx.clients.logs, id).await
        }
    }

    // constants

    /// A create that lost a race (or follows a crash): the group exists, so adopt it.
    const ALREADY_EXISTS: &str = "ResourceAlreadyExistsException";

    /// The prefix every group of the environment starts with: `/platform/<env>` of
    /// `/platform/<env>[/…]` (the environment's own group is exactly that). A name of another
    /// shape is its own prefix.
    pub fn environment_prefix(name: &str) -> &str {
        let mut slashes = name.match_indices('/').map(|(at, _)| at);
        match (slashes.next(), slashes.next(), slashes.next()) {
            (Some(0), Some(_), Some(third)) => &name[..third],
            _ => name,
        }
    }

    // find

    /// Every group whose name starts with `prefix`, by name.
    pub async fn list_log_groups(
        client: &Client,
        prefix: &str,
    ) -> Result<HashMap<String, LogGroup>, AwsError> {
        let mut pages = client
            .describe_log_groups()
            .log_group_name_prefix(prefix)
            .into_paginator()
            .send();
        let mut groups = HashMap::new();
        while let Some(page) = pages.next().await {
            for group in page.map_err(classify)?.log_groups() {
                if let Some(name) = group.log_group_name() {
                    groups.insert(name.to_string(), group.clone());
                }
            }
        }
        Ok(groups)
    }

    /// DescribeLogGroups matches by prefix only, so the exact name is picked from the pages.
    pub async fn find_log_group_by_name(
        client: &Client,
        name: &str,
    ) -> Result<Option<LogGroup>, AwsError> {
        let mut pages = client
            .describe_log_groups()
            .log_group_name_prefix(name)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let Some(page) = none_if_not_found(page.map_err(classify))? else {
                return Ok(None);
            };
            if let Some(group) = page
                .log_groups()
                .iter()
                .find(|g| g.log_group_name() == Some(name))
            {
                return Ok(Some(group.clone()));
            }
        }
        Ok(None)
    }

    /// The ARN tagging calls take: `logGroupArn`, or `arn` without its trailing `:*`.
    fn log_group_arn(group: &LogGroup) -> Result<String, AwsError> {
        group
            .log_group_arn()
            .map(str::to_string)
            .or_else(|| group.arn().map(|a| a.trim_end_matches(":*").to_string()))
            .ok_or_else(|| AwsError::unexpected("DescribeLogGroups returned no ARN"))
    }

    pub async fn find_log_group_tags(client: &Client, arn: &str) -> Result<Tags, AwsError> {
        let out = client
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(classify)?;
        Ok(out
            .tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default())
    }

    /// The group's tags, read once per `reads` (keyed by ARN); `None` when the group is gone.
    async fn read_log_group_tags(
        client: &Client,
        reads: &Reads,
        group: &LogGroup,
    ) -> Result<Option<std::sync::Arc<Tags>>, AwsError> {
        let arn = log_group_arn(group)?;
        none_if_not_found(
            reads
                .get(&format!("logs.log_group/tags/{arn}"), || {
                    find_log_group_tags(client, &arn)
                })
                .await,
        )
    }

    /// The group of this name with its tags, as adoption sees it; `None` when it is gone.
    /// Asks AWS directly: adoption never reads the shared listing.
    async fn read_log_group(
        client: &Client,
        name: &str,
    ) -> Result<Option<Found<LogGroupSpec>>, AwsError> {
        let Some(group) = find_log_group_by_name(client, name).await? else {
            return Ok(None);
        };
        let arn = log_group_arn(&group)?;
        let Some(tags) = none_if_not_found(find_log_group_tags(client, &arn).await)? else {
            return Ok(None);
        };
        Ok(Some(Found {
            id: name.to_string(),
            current: flatten_log_group(&group, tags.clone()),
            tags,
        }))
    }

    /// The name of the group of the spec's name when it carries the spec's ownership tags;
    /// `None` otherwise. Changes nothing.
    pub async fn find_owned_log_group(
        client: &Client,
        spec: &LogGroupSpec,
    ) -> Result<Option<String>, AwsError> {
        Ok(read_log_group(client, &spec.name)
            .await?
            .filter(|found| owned_by(&found.tags, &spec.tags))
            .map(|found| found.id))
    }

    // create, update, delete

    /// Creates the group, or adopts the one of its name carrying the spec's ownership tags
    /// (reconciled to the spec). Returns the name.
    pub async fn create_log_group(
        client: &Client,
        spec: &LogGroupSpec,
    ) -> Result<String, AwsError> {
        create_or_adopt(
            "log group",
            &spec.name,
            &spec.tags,
            &[ALREADY_EXISTS],
            || read_log_group(client, &spec.name),
            |found| async move { update_log_group(client, &found.id, &found.current, spec).await },
            || create_new_log_group(client, spec),
        )
        .await
    }

    async fn create_new_log_group(
        client: &Client,
        spec: &LogGroupSpec,
    ) -> Result<String, AwsError> {
        // Tags go in the create call, so the group never exists untagged.
        client
            .create_log_group()
            .log_group_name(&spec.name)
            .set_tags(Some(spec.tags.clone().into_iter().collect()))
            .set_kms_key_id(spec.kms_key_arn.clone())
            .send()
            .await
            .map_err(classify)?;
        if spec.retention_days > 0 {
            put_retention(client, &spec.name, spec.retention_days).await?;
        }
        Ok(spec.name.clone())
    }

    async fn put_retention(client: &Client, name: &str, days: u32) -> Result<(), AwsError> {
        let days = i32::try_from(days).map_err(|_| {
            AwsError::unexpected(format!("retention of {days} days is out of range"))
        })?;
        client
            .put_retention_policy()
            .log_group_name(name)
            .retention_in_days(days)
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// Brings the group named `id` from `current` to `desired` in place; returns the name.
    pub async fn update_log_group(
        client: &Client,
        id: &str,
        current: &LogGroupSpec,
        desired: &LogGroupSpec,
    ) -> Result<String, AwsError> {
        if current.retention_days != desired.retention_days {
            if desired.retention_days == 0 {
                // Zero means never expire: AWS's default, reached by removing the policy.
                client
                    .delete_retention_policy()
                    .log_group_name(id)
                    .send()
                    .await
                    .map_err(classify)?;
            } else {
                put_retention(client, id, desired.retention_days).await?;
            }
        }
        let (changed, removed) = tag_changes(&current.tags, &desired.tags);
        if !changed.is_empty() || !removed.is_empty() {
            let group =
                find_log_group_by_name(client, id)
                    .await?
                    .ok_or_else(|| AwsError::NotFound {
                        code: "ResourceNotFoundException".into(),
                    })?;
            let arn = log_group_arn(&group)?;
            if !changed.is_empty() {
                client
                    .tag_resource()
                    .resource_arn(&arn)
                    .set_tags(Some(changed.into_iter().collect()))
                    .send()
                    .await
                    .map_err(classify)?;
            }
            if !removed.is_empty() {
                client
                    .untag_resource()
                    .resource_arn(&arn)
                    .set_tag_keys(Some(removed))
                    .send()
                    .await
                    .map_err(classify)?;
            }
        }
        Ok(id.to_string())
    }

    /// Deletes the group; absence is success.
    pub async fn delete_log_group(client: &Client, id: &str) -> Result<(), AwsError> {
        none_if_not_found(
            client
                .delete_log_group()
                .log_group_name(id)
                .send()
                .await
                .map_err(classify),
        )?;
        Ok(())
    }

    // flatten

    /// No retention policy reads as 0 (never expire), as the spec writes it.
    pub fn flatten_log_group(group: &LogGroup, tags: Tags) -> LogGroupSpec {
        LogGroupSpec {
            name: group.log_group_name().unwrap_or_default().to_string(),
            retention_days: group
                .retention_in_days()
                .and_then(|d| u32::try_from(d).ok())
                .unwrap_or(0),
            kms_key_arn: group.kms_key_id().map(str::to_string),
            tags,
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn groups_of_an_environment_share_its_prefix() {
            assert_eq!(environment_prefix("/platform/dev"), "/platform/dev");
            assert_eq!(environment_prefix("/platform/dev/api"), "/platform/dev");
            assert_eq!(
                environment_prefix("/platform/dev/flow-logs"),
                "/platform/dev"
            );
            assert_eq!(environment_prefix("/aws/lambda/x"), "/aws/lambda");
            assert_eq!(environment_prefix("plain"), "plain");
        }
    }
}
