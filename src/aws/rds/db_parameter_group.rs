//! RDS DB Parameter Group; the ledger ID is its name (as RDS stores it, in lower case).
//!
//! Only the parameters the spec sets are managed: observe reads the user-set parameters and
//! keeps the names the spec knows, so the family's defaults never show as drift.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{Node, NodeKey, Tags};

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

    fn hourly_charge(&self, _graph: &BTreeMap<NodeKey, Node>) -> Option<(&'static str, f64)> {
        None
    }
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use super::*;
    use std::sync::Arc;

    use aws_sdk_rds::types::{ApplyMethod, DbParameterGroup, Parameter};
    use aws_sdk_rds::Client;

    use crate::aws::common::ownership::{adopt_or_create, owned_by, Found};
    use crate::aws::common::{rds, tags};
    use crate::aws::error::{classify, none_if_not_found, AwsError};
    use crate::aws::kind::{AwsKind, Cx};

    /// A create that lost a race (or follows a crash): the group exists, so adopt it.
    const ALREADY_EXISTS: &str = "DBParameterGroupAlreadyExists";
    const NOT_FOUND: &str = "DBParameterGroupNotFound";
    /// What RDS answers when `immediate` is asked for a static parameter.
    const INVALID_COMBINATION: &str = "InvalidParameterCombination";
    /// ModifyDBParameterGroup and ResetDBParameterGroup take at most 20 parameters per call.
    const PARAMETERS_PER_CALL: usize = 20;
    /// DescribeDBParameters `Source` for parameters set by a user (not engine defaults).
    const SOURCE_USER: &str = "user";

    impl AwsKind for DbParameterGroupSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            Ok(read_shared(cx, &spec.name)
                .await?
                .as_ref()
                .as_ref()
                .filter(|live| owned_by(&live.tags, &spec.tags))
                .map(|live| live.name().to_string()))
        }

        /// Each database has its own group, and no call describes several groups with their
        /// parameters: one read per group, shared by the resources that observe it.
        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            Ok(read_shared(cx, id)
                .await?
                .as_ref()
                .as_ref()
                .map(|live| flatten_db_parameter_group(live, current)))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_db_parameter_group(&cx.clients.rds, spec).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_db_parameter_group(&cx.clients.rds, id, current, desired).await
        }

        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            delete_db_parameter_group(&cx.clients.rds, id).await
        }
    }

    // find

    /// A parameter group as RDS describes it, with its tags and every parameter a user set.
    #[derive(Debug, Clone)]
    struct LiveParameterGroup {
        group: DbParameterGroup,
        tags: Tags,
        parameters: BTreeMap<String, String>,
    }

    impl LiveParameterGroup {
        /// The name as RDS stores it (lower case).
        fn name(&self) -> &str {
            self.group.db_parameter_group_name().unwrap_or_default()
        }
    }

    async fn read_shared(
        cx: &Cx<'_>,
        name: &str,
    ) -> Result<Arc<Option<LiveParameterGroup>>, AwsError> {
        let key = format!(
            "{}/name/{}",
            DbParameterGroupSpec::PREFIX,
            name.to_ascii_lowercase()
        );
        cx.reads
            .get(&key, || read_db_parameter_group(&cx.clients.rds, name))
            .await
    }

    async fn find_db_parameter_group_by_name(
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

    /// Every parameter of the group a user set, across pages.
    async fn list_user_parameters(
        client: &Client,
        name: &str,
    ) -> Result<BTreeMap<String, String>, AwsError> {
        let mut pages = client
            .describe_db_parameters()
            .db_parameter_group_name(name)
            .source(SOURCE_USER)
            .into_paginator()
            .send();
        let mut parameters = BTreeMap::new();
        while let Some(page) = pages.next().await {
            for p in page.map_err(classify)?.parameters() {
                if let Some(name) = p.parameter_name() {
                    parameters.insert(
                        name.to_string(),
                        p.parameter_value().unwrap_or_default().to_string(),
                    );
                }
            }
        }
        Ok(parameters)
    }

    /// The group named `name` with its tags and user-set parameters, asked of AWS; `None` when
    /// it is gone.
    async fn read_db_parameter_group(
        client: &Client,
        name: &str,
    ) -> Result<Option<LiveParameterGroup>, AwsError> {
        let Some(group) = find_db_parameter_group_by_name(client, name).await? else {
            return Ok(None);
        };
        let Some(tags) = none_if_not_found(rds::list_tags(client, arn_of(&group)?).await)? else {
            return Ok(None);
        };
        let live_name = group.db_parameter_group_name().unwrap_or(name);
        let Some(parameters) = none_if_not_found(list_user_parameters(client, live_name).await)?
        else {
            return Ok(None);
        };
        Ok(Some(LiveParameterGroup {
            group,
            tags,
            parameters,
        }))
    }

    fn arn_of(group: &DbParameterGroup) -> Result<&str, AwsError> {
        group
            .db_parameter_group_arn()
            .ok_or_else(|| AwsError::unexpected("DescribeDBParameterGroups returned no ARN"))
    }

    // create, update, delete

    /// Creates the group and sets its parameters, or adopts the one of its name that carries
    /// its ownership tags. Returns the ledger ID: the name as RDS stores it (lower case), so
    /// later lookups match exactly.
    pub async fn create_db_parameter_group(
        client: &Client,
        spec: &DbParameterGroupSpec,
    ) -> Result<String, AwsError> {
        adopt_or_create(
            "DB parameter group",
            &spec.name,
            &spec.tags,
            &[ALREADY_EXISTS],
            || async {
                Ok(read_db_parameter_group(client, &spec.name)
                    .await?
                    .map(|live| Found {
                        id: live.name().to_string(),
                        current: flatten_db_parameter_group(&live, spec),
                        tags: live.tags,
                    }))
            },
            |found| async move {
                if found.current.family != spec.family {
                    return Err(family_mismatch(spec, &found.current.family));
                }
                update_db_parameter_group(client, &found.id, &found.current, spec).await
            },
            || async {
                // Tags go in the create call, so the group never exists untagged.
                let out = client
                    .create_db_parameter_group()
                    .db_parameter_group_name(&spec.name)
                    .db_parameter_group_family(&spec.family)
                    .description(&spec.description)
                    .set_tags(Some(tags::to_sdk(&spec.tags)?))
                    .send()
                    .await
                    .map_err(classify)?;
                let name = out
                    .db_parameter_group()
                    .and_then(DbParameterGroup::db_parameter_group_name)
                    .unwrap_or(&spec.name)
                    .to_string();
                modify_parameters(client, &name, &spec.parameters).await?;
                Ok(name)
            },
        )
        .await
    }

    fn family_mismatch(spec: &DbParameterGroupSpec, family: &str) -> AwsError {
        AwsError::Api {
            code: "ParameterGroupFamilyMismatch".into(),
            message: format!(
                "DB parameter group {} exists with family {family}, not {}; RDS cannot change a \
                 group's family, so delete the group or keep its family",
                spec.name, spec.family
            ),
        }
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

    /// Brings the group named `id` from `current` to `desired` in place; returns `id`. RDS
    /// cannot change a group's description or family.
    pub async fn update_db_parameter_group(
        client: &Client,
        id: &str,
        current: &DbParameterGroupSpec,
        desired: &DbParameterGroupSpec,
    ) -> Result<String, AwsError> {
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
        if current.tags != desired.tags {
            let group = find_db_parameter_group_by_name(client, id)
                .await?
                .ok_or_else(|| AwsError::NotFound {
                    code: NOT_FOUND.into(),
                })?;
            rds::sync_tags(client, arn_of(&group)?, &current.tags, &desired.tags).await?;
        }
        Ok(id.to_string())
    }

    /// Deletes the group; absence is success. A group still used by an instance answers
    /// `InvalidDBParameterGroupState`, classified as in use and retried by the engine.
    pub async fn delete_db_parameter_group(client: &Client, id: &str) -> Result<(), AwsError> {
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

    // flatten

    /// The group as `current` sees it: only the parameters `current` sets (the family's
    /// defaults and parameters set by others are not ours), and `current`'s spelling of the
    /// name when RDS's differs only in case.
    fn flatten_db_parameter_group(
        live: &LiveParameterGroup,
        current: &DbParameterGroupSpec,
    ) -> DbParameterGroupSpec {
        let name = live.name();
        let name = if name.eq_ignore_ascii_case(&current.name) {
            &current.name
        } else {
            name
        };
        DbParameterGroupSpec {
            name: name.to_string(),
            family: live
                .group
                .db_parameter_group_family()
                .unwrap_or_default()
                .to_string(),
            description: live.group.description().unwrap_or_default().to_string(),
            parameters: live
                .parameters
                .iter()
                .filter(|(k, _)| current.parameters.contains_key(*k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            tags: live.tags.clone(),
        }
    }
}
