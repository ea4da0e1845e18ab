//! CloudWatch Logs Log Group; the ledger ID is its name.
//!

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::Tags;

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
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use super::*;
    use std::collections::HashMap;

    use aws_sdk_cloudwatchlogs::types::LogGroup;
    use aws_sdk_cloudwatchlogs::Client;

    use crate::apply::IdMap;
    use crate::aws::common::ownership::{name_taken, owned_by, tag_changes};
    use crate::aws::error::{classify, is_code, none_if_not_found, AwsError};
    use crate::plan::node::Tags;

    /// A create that lost a race (or follows a crash): the group exists, so adopt it.
    const ALREADY_EXISTS: &str = "ResourceAlreadyExistsException";

    // find

    /// DescribeLogGroups matches by prefix only, so the exact name is picked from the pages.
    pub async fn find_log_group_by_name(
        client: &Client,
        name: &str,
    ) -> Result<Option<LogGroup>, AwsError> {
        let mut token: Option<String> = None;
        loop {
            let Some(out) = none_if_not_found(
                client
                    .describe_log_groups()
                    .log_group_name_prefix(name)
                    .set_next_token(token.take())
                    .send()
                    .await
                    .map_err(classify),
            )?
            else {
                return Ok(None);
            };
            if let Some(group) = out
                .log_groups()
                .iter()
                .find(|g| g.log_group_name() == Some(name))
            {
                return Ok(Some(group.clone()));
            }
            match out.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => return Ok(None),
            }
        }
    }

    /// The ARN tagging calls take: `logGroupArn`, or `arn` without its trailing `:*`.
    fn log_group_arn(group: &LogGroup) -> Option<String> {
        group
            .log_group_arn()
            .map(str::to_string)
            .or_else(|| group.arn().map(|a| a.trim_end_matches(":*").to_string()))
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

    /// The group as a spec, tags included; `None` when it is gone.
    async fn read_log_group(client: &Client, name: &str) -> Result<Option<LogGroupSpec>, AwsError> {
        let Some(group) = find_log_group_by_name(client, name).await? else {
            return Ok(None);
        };
        let arn = log_group_arn(&group)
            .ok_or_else(|| AwsError::unexpected("DescribeLogGroups returned no ARN"))?;
        let Some(tags) = none_if_not_found(find_log_group_tags(client, &arn).await)? else {
            return Ok(None);
        };
        Ok(Some(flatten_log_group(&group, tags)))
    }

    /// The ledger ID of an existing object carrying the spec's ownership tags, without changing
    /// anything (import and discovery); `None` when there is none.
    pub async fn find_owned_log_group(
        client: &Client,
        spec: &LogGroupSpec,
    ) -> Result<Option<String>, AwsError> {
        Ok(read_log_group(client, &spec.name)
            .await?
            .filter(|found| owned_by(&found.tags, &spec.tags))
            .map(|_| spec.name.clone()))
    }

    // create, update, delete

    /// Adopts the group of this name when it carries our ownership tags, reconciling it to the
    /// spec; refuses a group someone else owns. `None` when no group has the name.
    async fn adopt_log_group(
        client: &Client,
        spec: &LogGroupSpec,
        ids: &IdMap,
    ) -> Result<Option<String>, AwsError> {
        let Some(current) = read_log_group(client, &spec.name).await? else {
            return Ok(None);
        };
        if !owned_by(&current.tags, &spec.tags) {
            return Err(name_taken("log group", &spec.name));
        }
        update_log_group(client, &spec.name, &current, spec, ids)
            .await
            .map(Some)
    }

    /// Creates the object, or adopts one that already carries the spec's ownership tags (or, for
    /// named kinds, its name and ownership tags). Returns the ledger ID.
    pub async fn create_log_group(
        client: &Client,
        spec: &LogGroupSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        if let Some(name) = adopt_log_group(client, spec, ids).await? {
            return Ok(name);
        }
        // Tags go in the create call, so the group never exists untagged.
        match client
            .create_log_group()
            .log_group_name(&spec.name)
            .set_tags(Some(expand_tags(&spec.tags)))
            .set_kms_key_id(spec.kms_key_arn.clone())
            .send()
            .await
            .map_err(classify)
        {
            Ok(_) => {}
            Err(e) if is_code(&e, ALREADY_EXISTS) => {
                return adopt_log_group(client, spec, ids).await?.ok_or_else(|| {
                    AwsError::unexpected("the log group exists but cannot be read")
                });
            }
            Err(e) => return Err(e),
        }
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

    /// Brings the object with ledger ID `id` from `current` to `desired` in place. Returns the
    /// ledger ID (unchanged unless the kind's ID changes on update).
    pub async fn update_log_group(
        client: &Client,
        id: &str,
        current: &LogGroupSpec,
        desired: &LogGroupSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        let _ = ids;
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
            let arn = log_group_arn(&group)
                .ok_or_else(|| AwsError::unexpected("DescribeLogGroups returned no ARN"))?;
            if !changed.is_empty() {
                client
                    .tag_resource()
                    .resource_arn(&arn)
                    .set_tags(Some(expand_tags(&changed)))
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

    /// Deletes the object; absence is success.
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

    /// Reads the object as it is now, with references turned back into node keys; `None` when it
    /// no longer exists.
    pub async fn observe_log_group(
        client: &Client,
        id: &str,
        current: &LogGroupSpec,
        ids: &IdMap,
    ) -> Result<Option<LogGroupSpec>, AwsError> {
        let _ = (current, ids);
        read_log_group(client, id).await
    }

    // expand, flatten

    fn expand_tags(tags: &Tags) -> HashMap<String, String> {
        tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

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

    impl crate::aws::kind::AwsKind for LogGroupSpec {
        async fn find(
            cx: &crate::aws::kind::Cx<'_>,
            spec: &Self,
        ) -> Result<Option<String>, AwsError> {
            find_owned_log_group(&cx.clients.logs, spec).await
        }

        async fn observe(
            cx: &crate::aws::kind::Cx<'_>,
            id: &str,
            current: &Self,
        ) -> Result<Option<Self>, AwsError> {
            observe_log_group(&cx.clients.logs, id, current, cx.ids).await
        }

        async fn create(cx: &crate::aws::kind::Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_log_group(&cx.clients.logs, spec, cx.ids).await
        }

        async fn update(
            cx: &crate::aws::kind::Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_log_group(&cx.clients.logs, id, current, desired, cx.ids).await
        }

        async fn delete(
            cx: &crate::aws::kind::Cx<'_>,
            id: &str,
            _current: &Self,
        ) -> Result<(), AwsError> {
            delete_log_group(&cx.clients.logs, id).await
        }
    }
}
