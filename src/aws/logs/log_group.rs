//! CloudWatch Logs Log Group; the ledger ID is its name.
//!
//! Also holds the ownership helpers shared by the named kinds (log group, IAM role, ECS
//! cluster, DB and cache subnet groups), whose deterministic names make adoption a lookup.

use std::collections::HashMap;

use aws_sdk_cloudwatchlogs::types::LogGroup;
use aws_sdk_cloudwatchlogs::Client;

use crate::apply::IdMap;
use crate::aws::error::{classify, AwsError};
use crate::plan::expand::naming::{TAG_NODE, TAG_OWNER};
use crate::plan::node::{LogGroupSpec, Tags};

/// A create that lost a race (or follows a crash): the group exists, so adopt it.
const ALREADY_EXISTS: &str = "ResourceAlreadyExistsException";

// ownership (shared by the named kinds)

/// True when `found` carries the owner and node tags of `spec`.
pub(crate) fn owned_by(found: &Tags, spec: &Tags) -> bool {
    [TAG_OWNER, TAG_NODE]
        .iter()
        .all(|key| spec.get(*key).is_some() && found.get(*key) == spec.get(*key))
}

/// The permanent error for a deterministic name already used by someone else's object.
pub(crate) fn name_taken(kind: &str, name: &str) -> AwsError {
    AwsError::Api {
        code: "NameTaken".into(),
        message: format!("{kind} name {name} is taken by an object this environment does not own"),
    }
}

/// True when `error` is the AWS error `code`.
pub(crate) fn is_code(error: &AwsError, code: &str) -> bool {
    matches!(error, AwsError::Api { code: c, .. } if c == code)
}

/// Tags to add or change, and keys to remove, to go from `current` to `desired`.
pub(crate) fn tag_changes(current: &Tags, desired: &Tags) -> (Tags, Vec<String>) {
    let changed = desired
        .iter()
        .filter(|(k, v)| current.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let removed = current
        .keys()
        .filter(|k| !desired.contains_key(*k))
        .cloned()
        .collect();
    (changed, removed)
}

/// `Ok(None)` for NotFound, so finds never fail on absence.
pub(crate) fn none_if_not_found<T>(result: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

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
            return adopt_log_group(client, spec, ids)
                .await?
                .ok_or_else(|| AwsError::unexpected("the log group exists but cannot be read"));
        }
        Err(e) => return Err(e),
    }
    if spec.retention_days > 0 {
        put_retention(client, &spec.name, spec.retention_days).await?;
    }
    Ok(spec.name.clone())
}

async fn put_retention(client: &Client, name: &str, days: u32) -> Result<(), AwsError> {
    let days = i32::try_from(days)
        .map_err(|_| AwsError::unexpected(format!("retention of {days} days is out of range")))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn ownership_needs_owner_and_node() {
        let spec = tags(&[(TAG_OWNER, "environment/a"), (TAG_NODE, "logs.log_group/x")]);
        assert!(owned_by(&spec, &spec));
        let other = tags(&[(TAG_OWNER, "environment/b"), (TAG_NODE, "logs.log_group/x")]);
        assert!(!owned_by(&other, &spec));
        assert!(!owned_by(&Tags::new(), &spec));
        assert!(
            !owned_by(&Tags::new(), &Tags::new()),
            "no ownership tags owns nothing"
        );
    }

    #[test]
    fn tag_changes_adds_changes_and_removes() {
        let (changed, removed) = tag_changes(
            &tags(&[("a", "1"), ("b", "2"), ("c", "3")]),
            &tags(&[("a", "1"), ("b", "9"), ("d", "4")]),
        );
        assert_eq!(changed, tags(&[("b", "9"), ("d", "4")]));
        assert_eq!(removed, ["c"]);
    }
}
