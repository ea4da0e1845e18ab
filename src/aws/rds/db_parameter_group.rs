//! RDS DB Parameter Group; the ledger ID is its name (as RDS stores it, in lower case).
//!
//! Only the parameters the spec sets are managed: observe reads the user-set parameters and
//! keeps the names the spec knows, so the family's defaults never show as drift.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::Tags;

/// An RDS DB parameter group; its ledger ID is its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbParameterGroupSpec {
    pub name: String,
    /// e.g. `postgres17`; AWS cannot change it.
    pub family: String,
    pub description: String,
    /// Only the parameters we set, not the family's defaults.
    pub parameters: BTreeMap<String, String>,
    pub tags: Tags,
}

impl KindSpec for DbParameterGroupSpec {
    const PREFIX: &'static str = "rds.db_parameter_group";
    const DISPLAY_NAME: &'static str = "RDS DB Parameter Group";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "rds:AddTagsToResource",
        "rds:CreateDBParameterGroup",
        "rds:DeleteDBParameterGroup",
        "rds:DescribeDBParameterGroups",
        "rds:DescribeDBParameters",
        "rds:ListTagsForResource",
        "rds:ModifyDBParameterGroup",
        "rds:RemoveTagsFromResource",
        "rds:ResetDBParameterGroup",
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
            ("family", self.family != d.family),
            ("description", self.description != d.description),
        ])
    }
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    use aws_sdk_rds::types::{ApplyMethod, DbParameterGroup, Parameter, Tag};
    use aws_sdk_rds::Client;

    use crate::apply::IdMap;
    use crate::aws::common::ownership::{name_taken, owned_by, tag_changes};
    use crate::aws::error::{classify, is_code, none_if_not_found, AwsError};
    use crate::plan::node::Tags;

    /// A create that lost a race (or follows a crash): the group exists, so adopt it.
    const ALREADY_EXISTS: &str = "DBParameterGroupAlreadyExists";
    /// What RDS answers when `immediate` is asked for a static parameter.
    const INVALID_COMBINATION: &str = "InvalidParameterCombination";
    /// ModifyDBParameterGroup and ResetDBParameterGroup take at most 20 parameters per call.
    const PARAMETERS_PER_CALL: usize = 20;
    /// DescribeDBParameters `Source` for parameters set by a user (not engine defaults).
    const SOURCE_USER: &str = "user";

    // find

    pub async fn find_db_parameter_group_by_name(
        client: &Client,
        name: &str,
    ) -> Result<Option<DbParameterGroup>, AwsError> {
        let out = none_if_not_found(
            client
                .describe_db_parameter_groups()
                // RDS stores names in lower case; ask in the form it stores.
                .db_parameter_group_name(name.to_ascii_lowercase())
                .send()
                .await
                .map_err(classify),
        )?;
        Ok(out.and_then(|o| {
            o.db_parameter_groups()
                .iter()
                .find(|g| {
                    g.db_parameter_group_name()
                        .is_some_and(|n| n.eq_ignore_ascii_case(name))
                })
                .cloned()
        }))
    }

    /// Tags of any RDS resource by ARN. NotFound is passed on for the caller to read as absence.
    pub async fn find_rds_tags(client: &Client, arn: &str) -> Result<Tags, AwsError> {
        let out = client
            .list_tags_for_resource()
            .resource_name(arn)
            .send()
            .await
            .map_err(classify)?;
        Ok(flatten_tags(out.tag_list()))
    }

    /// User-set parameters of the group whose names are in `names`.
    pub async fn find_db_parameters(
        client: &Client,
        name: &str,
        names: &BTreeSet<&str>,
    ) -> Result<BTreeMap<String, String>, AwsError> {
        let mut found = BTreeMap::new();
        let mut marker: Option<String> = None;
        loop {
            let out = client
                .describe_db_parameters()
                .db_parameter_group_name(name)
                .source(SOURCE_USER)
                .set_marker(marker.take())
                .send()
                .await
                .map_err(classify)?;
            for p in out.parameters() {
                if let Some(n) = p.parameter_name().filter(|n| names.contains(n)) {
                    found.insert(
                        n.to_string(),
                        p.parameter_value().unwrap_or_default().to_string(),
                    );
                }
            }
            match out.marker() {
                Some(next) if !next.is_empty() => marker = Some(next.to_string()),
                _ => return Ok(found),
            }
        }
    }

    fn arn_of(group: &DbParameterGroup) -> Result<&str, AwsError> {
        group
            .db_parameter_group_arn()
            .ok_or_else(|| AwsError::unexpected("DescribeDBParameterGroups returned no ARN"))
    }

    /// The group as a spec, limited to the parameters named in `names`; `None` when it is gone.
    async fn read_db_parameter_group(
        client: &Client,
        name: &str,
        spec_name: &str,
        names: &BTreeSet<&str>,
    ) -> Result<Option<(DbParameterGroup, DbParameterGroupSpec)>, AwsError> {
        let Some(group) = find_db_parameter_group_by_name(client, name).await? else {
            return Ok(None);
        };
        let Some(tags) = none_if_not_found(find_rds_tags(client, arn_of(&group)?).await)? else {
            return Ok(None);
        };
        let live_name = group.db_parameter_group_name().unwrap_or(name);
        let Some(parameters) =
            none_if_not_found(find_db_parameters(client, live_name, names).await)?
        else {
            return Ok(None);
        };
        let spec = flatten_db_parameter_group(&group, spec_name, parameters, tags);
        Ok(Some((group, spec)))
    }

    fn parameter_names<'a>(specs: &[&'a DbParameterGroupSpec]) -> BTreeSet<&'a str> {
        specs
            .iter()
            .flat_map(|s| s.parameters.keys().map(String::as_str))
            .collect()
    }

    /// The ledger ID of an existing object carrying the spec's ownership tags, without changing
    /// anything (import and discovery); `None` when there is none.
    pub async fn find_owned_db_parameter_group(
        client: &Client,
        spec: &DbParameterGroupSpec,
        ids: &IdMap,
    ) -> Result<Option<String>, AwsError> {
        let _ = ids;
        let names = parameter_names(&[spec]);
        Ok(
            read_db_parameter_group(client, &spec.name, &spec.name, &names)
                .await?
                .filter(|(_, found)| owned_by(&found.tags, &spec.tags))
                .and_then(|(g, _)| g.db_parameter_group_name().map(str::to_string)),
        )
    }

    // create, update, delete

    /// Adopts the group of this name when it carries our ownership tags, reconciling it to the
    /// spec; refuses a group someone else owns. `None` when no group has the name.
    async fn adopt_db_parameter_group(
        client: &Client,
        spec: &DbParameterGroupSpec,
        ids: &IdMap,
    ) -> Result<Option<String>, AwsError> {
        let names = parameter_names(&[spec]);
        let Some((group, current)) =
            read_db_parameter_group(client, &spec.name, &spec.name, &names).await?
        else {
            return Ok(None);
        };
        if !owned_by(&current.tags, &spec.tags) {
            return Err(name_taken("DB parameter group", &spec.name));
        }
        if current.family != spec.family {
            return Err(AwsError::Api {
                code: "ParameterGroupFamilyMismatch".into(),
                message: format!(
                    "DB parameter group {} exists with family {}, not {}; RDS cannot change a \
                 group's family, so delete the group or keep its family",
                    spec.name, current.family, spec.family
                ),
            });
        }
        let id = group
            .db_parameter_group_name()
            .unwrap_or(&spec.name)
            .to_string();
        update_db_parameter_group(client, &id, &current, spec, ids)
            .await
            .map(Some)
    }

    /// Creates the object, or adopts one that already carries the spec's name and ownership
    /// tags. Returns the ledger ID.
    pub async fn create_db_parameter_group(
        client: &Client,
        spec: &DbParameterGroupSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        if let Some(name) = adopt_db_parameter_group(client, spec, ids).await? {
            return Ok(name);
        }
        // Tags go in the create call, so the group never exists untagged.
        let out = match client
            .create_db_parameter_group()
            .db_parameter_group_name(&spec.name)
            .db_parameter_group_family(&spec.family)
            .description(&spec.description)
            .set_tags(Some(expand_tags(&spec.tags)))
            .send()
            .await
            .map_err(classify)
        {
            Ok(out) => out,
            Err(e) if is_code(&e, ALREADY_EXISTS) => {
                return adopt_db_parameter_group(client, spec, ids)
                    .await?
                    .ok_or_else(|| {
                        AwsError::unexpected("the DB parameter group exists but cannot be read")
                    });
            }
            Err(e) => return Err(e),
        };
        // The name as RDS stores it (lower case), so later lookups match exactly.
        let name = out
            .db_parameter_group()
            .and_then(DbParameterGroup::db_parameter_group_name)
            .unwrap_or(&spec.name)
            .to_string();
        modify_parameters(client, &name, &spec.parameters).await?;
        Ok(name)
    }

    /// True when RDS refused `immediate` because the parameter is static.
    fn is_static_refusal(error: &AwsError) -> bool {
        matches!(error, AwsError::Api { code, message }
        if code == INVALID_COMBINATION && message.to_ascii_lowercase().contains("static"))
    }

    /// Sends one batch with `immediate`; when RDS refuses that for a static parameter, sends the
    /// batch's parameters one by one, each static one with `pending-reboot`.
    async fn send_in_batches<F, Fut>(
        names: Vec<(&String, Option<&String>)>,
        call: F,
    ) -> Result<(), AwsError>
    where
        F: Fn(Vec<Parameter>) -> Fut,
        Fut: std::future::Future<Output = Result<(), AwsError>>,
    {
        let parameter = |name: &String, value: Option<&String>, method: ApplyMethod| {
            Parameter::builder()
                .parameter_name(name)
                .set_parameter_value(value.cloned())
                .apply_method(method)
                .build()
        };
        for batch in names.chunks(PARAMETERS_PER_CALL) {
            let immediate = batch
                .iter()
                .map(|(n, v)| parameter(n, *v, ApplyMethod::Immediate))
                .collect();
            match call(immediate).await {
                Ok(()) => continue,
                Err(e) if is_static_refusal(&e) => {}
                Err(e) => return Err(e),
            }
            for (n, v) in batch {
                match call(vec![parameter(n, *v, ApplyMethod::Immediate)]).await {
                    Err(e) if is_static_refusal(&e) => {
                        call(vec![parameter(n, *v, ApplyMethod::PendingReboot)]).await?
                    }
                    other => other?,
                }
            }
        }
        Ok(())
    }

    async fn modify_parameters(
        client: &Client,
        name: &str,
        parameters: &BTreeMap<String, String>,
    ) -> Result<(), AwsError> {
        let pairs = parameters.iter().map(|(k, v)| (k, Some(v))).collect();
        send_in_batches(pairs, |batch| async move {
            client
                .modify_db_parameter_group()
                .db_parameter_group_name(name)
                .set_parameters(Some(batch))
                .send()
                .await
                .map(|_| ())
                .map_err(classify)
        })
        .await
    }

    async fn reset_parameters(
        client: &Client,
        name: &str,
        names: &[String],
    ) -> Result<(), AwsError> {
        let pairs = names.iter().map(|k| (k, None)).collect();
        send_in_batches(pairs, |batch| async move {
            client
                .reset_db_parameter_group()
                .db_parameter_group_name(name)
                .reset_all_parameters(false)
                .set_parameters(Some(batch))
                .send()
                .await
                .map(|_| ())
                .map_err(classify)
        })
        .await
    }

    /// Brings the object with ledger ID `id` from `current` to `desired` in place. Returns the
    /// ledger ID. RDS cannot change a group's description or family.
    pub async fn update_db_parameter_group(
        client: &Client,
        id: &str,
        current: &DbParameterGroupSpec,
        desired: &DbParameterGroupSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        let _ = ids;
        let changed: BTreeMap<String, String> = desired
            .parameters
            .iter()
            .filter(|(k, v)| current.parameters.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let removed: Vec<String> = current
            .parameters
            .keys()
            .filter(|k| !desired.parameters.contains_key(*k))
            .cloned()
            .collect();
        if !changed.is_empty() {
            modify_parameters(client, id, &changed).await?;
        }
        if !removed.is_empty() {
            reset_parameters(client, id, &removed).await?;
        }
        let (tags_changed, tags_removed) = tag_changes(&current.tags, &desired.tags);
        if !tags_changed.is_empty() || !tags_removed.is_empty() {
            let group = find_db_parameter_group_by_name(client, id)
                .await?
                .ok_or_else(|| AwsError::NotFound {
                    code: "DBParameterGroupNotFound".into(),
                })?;
            sync_rds_tags(client, arn_of(&group)?, &tags_changed, tags_removed).await?;
        }
        Ok(id.to_string())
    }

    /// AddTagsToResource / RemoveTagsFromResource on any RDS resource.
    pub(crate) async fn sync_rds_tags(
        client: &Client,
        arn: &str,
        changed: &Tags,
        removed: Vec<String>,
    ) -> Result<(), AwsError> {
        if !changed.is_empty() {
            client
                .add_tags_to_resource()
                .resource_name(arn)
                .set_tags(Some(expand_tags(changed)))
                .send()
                .await
                .map_err(classify)?;
        }
        if !removed.is_empty() {
            client
                .remove_tags_from_resource()
                .resource_name(arn)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(classify)?;
        }
        Ok(())
    }

    /// Deletes the object; absence is success. A group still used by an instance answers
    /// `InvalidDBParameterGroupState`, classified as in use and retried by the engine.
    pub async fn delete_db_parameter_group(
        client: &Client,
        id: &str,
        current: &DbParameterGroupSpec,
    ) -> Result<(), AwsError> {
        let _ = current;
        none_if_not_found(
            client
                .delete_db_parameter_group()
                .db_parameter_group_name(id)
                .send()
                .await
                .map_err(classify),
        )?;
        Ok(())
    }

    /// Reads the object as it is now; `None` when it no longer exists.
    pub async fn observe_db_parameter_group(
        client: &Client,
        id: &str,
        current: &DbParameterGroupSpec,
        ids: &IdMap,
    ) -> Result<Option<DbParameterGroupSpec>, AwsError> {
        let _ = ids;
        let names = parameter_names(&[current]);
        Ok(read_db_parameter_group(client, id, &current.name, &names)
            .await?
            .map(|(_, spec)| spec))
    }

    // expand, flatten

    pub(crate) fn expand_tags(tags: &Tags) -> Vec<Tag> {
        tags.iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect()
    }

    pub(crate) fn flatten_tags(tags: &[Tag]) -> Tags {
        tags.iter()
            .filter_map(|t| {
                Some((
                    t.key()?.to_string(),
                    t.value().unwrap_or_default().to_string(),
                ))
            })
            .collect()
    }

    /// `spec_name` is the spelling the spec uses; it is kept when RDS's differs only in case.
    pub fn flatten_db_parameter_group(
        group: &DbParameterGroup,
        spec_name: &str,
        parameters: BTreeMap<String, String>,
        tags: Tags,
    ) -> DbParameterGroupSpec {
        let name = group.db_parameter_group_name().unwrap_or_default();
        let name = if name.eq_ignore_ascii_case(spec_name) {
            spec_name
        } else {
            name
        };
        DbParameterGroupSpec {
            name: name.to_string(),
            family: group
                .db_parameter_group_family()
                .unwrap_or_default()
                .to_string(),
            description: group.description().unwrap_or_default().to_string(),
            parameters,
            tags,
        }
    }

    impl crate::aws::kind::AwsKind for DbParameterGroupSpec {
        async fn find(
            cx: &crate::aws::kind::Cx<'_>,
            spec: &Self,
        ) -> Result<Option<String>, AwsError> {
            find_owned_db_parameter_group(&cx.clients.rds, spec, cx.ids).await
        }

        async fn observe(
            cx: &crate::aws::kind::Cx<'_>,
            id: &str,
            current: &Self,
        ) -> Result<Option<Self>, AwsError> {
            observe_db_parameter_group(&cx.clients.rds, id, current, cx.ids).await
        }

        async fn create(cx: &crate::aws::kind::Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_db_parameter_group(&cx.clients.rds, spec, cx.ids).await
        }

        async fn update(
            cx: &crate::aws::kind::Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_db_parameter_group(&cx.clients.rds, id, current, desired, cx.ids).await
        }

        async fn delete(
            cx: &crate::aws::kind::Cx<'_>,
            id: &str,
            current: &Self,
        ) -> Result<(), AwsError> {
            delete_db_parameter_group(&cx.clients.rds, id, current).await
        }
    }
}
