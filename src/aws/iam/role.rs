//! IAM Role with inline policies; the ledger ID is the role ARN.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{Node, NodeKey, Tags};

/// An IAM role with inline policies; its ledger ID is the role ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamRoleSpec {
    pub name: String,
    /// Canonical JSON (keys sorted, no whitespace), so comparison is semantic.
    pub assume_role_policy: String,
    /// Policy name → canonical JSON document.
    pub inline_policies: BTreeMap<String, String>,
    /// Sorted.
    pub managed_policy_arns: Vec<String>,
    pub permissions_boundary_arn: Option<String>,
    pub tags: Tags,
}

impl KindSpec for IamRoleSpec {
    const PREFIX: &'static str = "iam.role";
    const DISPLAY_NAME: &'static str = "IAM Role";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "iam:AttachRolePolicy",
        "iam:CreateRole",
        "iam:DeleteRole",
        "iam:DeleteRolePermissionsBoundary",
        "iam:DeleteRolePolicy",
        "iam:DetachRolePolicy",
        "iam:GetAccountAuthorizationDetails",
        "iam:GetRole",
        "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies",
        "iam:ListRolePolicies",
        "iam:PutRolePermissionsBoundary",
        "iam:PutRolePolicy",
        "iam:TagRole",
        "iam:UntagRole",
        "iam:UpdateAssumeRolePolicy",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        vec![]
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[("name", self.name != d.name)])
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

    use aws_sdk_iam::types::{EntityType, Role, RoleDetail};
    use aws_sdk_iam::Client;

    use super::*;
    use crate::aws::common::ownership::{create_or_adopt, owned_by, tag_changes, Found};
    use crate::aws::common::tags::{from_sdk, to_sdk};
    use crate::aws::error::{classify, none_if_not_found, AwsError};
    use crate::aws::kind::{AwsKind, Cx};

    impl AwsKind for IamRoleSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            find_owned_role(&cx.clients.iam, spec).await
        }

        /// Every role of the account in one listing, shared by all children that observe one:
        /// each entry carries its documents, policies, boundary and tags.
        async fn observe(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<Option<Self>, AwsError> {
            let roles = cx
                .reads
                .get("iam.role/account", || list_roles(&cx.clients.iam))
                .await?;
            Ok(roles.get(role_name_from_arn(id)).map(flatten_role_detail))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_role(&cx.clients.iam, spec).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_role(&cx.clients.iam, id, current, desired).await
        }

        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            delete_role(&cx.clients.iam, id).await
        }
    }

    // constants

    /// The name is taken: a crashed run's role is adopted, a foreign one refused. Roles are
    /// created first, so a free name costs no lookup.
    const ALREADY_EXISTS: &str = "EntityAlreadyExists";

    /// The role name of a role ARN: the segment after the last `/` (paths come before it).
    pub fn role_name_from_arn(arn: &str) -> &str {
        arn.rsplit('/').next().unwrap_or(arn)
    }

    // find

    /// Every role of the account with its policies, boundary and tags, by name.
    pub async fn list_roles(client: &Client) -> Result<HashMap<String, RoleDetail>, AwsError> {
        let mut pages = client
            .get_account_authorization_details()
            .filter(EntityType::Role)
            .into_paginator()
            .send();
        let mut roles = HashMap::new();
        while let Some(page) = pages.next().await {
            for role in page.map_err(classify)?.role_detail_list() {
                if let Some(name) = role.role_name() {
                    roles.insert(name.to_string(), role.clone());
                }
            }
        }
        Ok(roles)
    }

    /// The role, tags included (GetRole returns them); `None` when there is none.
    pub async fn find_role_by_name(client: &Client, name: &str) -> Result<Option<Role>, AwsError> {
        let out = none_if_not_found(
            client
                .get_role()
                .role_name(name)
                .send()
                .await
                .map_err(classify),
        )?;
        Ok(out.and_then(|o| o.role().cloned()))
    }

    /// Inline policy names, all pages.
    async fn find_inline_policy_names(
        client: &Client,
        name: &str,
    ) -> Result<Vec<String>, AwsError> {
        let mut pages = client
            .list_role_policies()
            .role_name(name)
            .into_paginator()
            .send();
        let mut names = Vec::new();
        while let Some(page) = pages.next().await {
            names.extend(page.map_err(classify)?.policy_names().iter().cloned());
        }
        Ok(names)
    }

    /// Attached managed policy ARNs, all pages, sorted.
    async fn find_managed_policy_arns(
        client: &Client,
        name: &str,
    ) -> Result<Vec<String>, AwsError> {
        let mut pages = client
            .list_attached_role_policies()
            .role_name(name)
            .into_paginator()
            .send();
        let mut arns = Vec::new();
        while let Some(page) = pages.next().await {
            arns.extend(
                page.map_err(classify)?
                    .attached_policies()
                    .iter()
                    .filter_map(|p| p.policy_arn().map(str::to_string)),
            );
        }
        arns.sort();
        Ok(arns)
    }

    /// The role of this name with its policies, as adoption sees it; `None` when it is gone
    /// (also mid-read). Asks IAM directly: adoption never reads the shared listing.
    async fn read_role(
        client: &Client,
        name: &str,
    ) -> Result<Option<Found<IamRoleSpec>>, AwsError> {
        let Some(role) = find_role_by_name(client, name).await? else {
            return Ok(None);
        };
        let Some(policy_names) = none_if_not_found(find_inline_policy_names(client, name).await)?
        else {
            return Ok(None);
        };
        let mut inline = BTreeMap::new();
        for policy in policy_names {
            let out = none_if_not_found(
                client
                    .get_role_policy()
                    .role_name(name)
                    .policy_name(&policy)
                    .send()
                    .await
                    .map_err(classify),
            )?;
            // A policy deleted between list and get is simply not there any more.
            if let Some(out) = out {
                inline.insert(policy, policy_document(out.policy_document()));
            }
        }
        let Some(managed) = none_if_not_found(find_managed_policy_arns(client, name).await)? else {
            return Ok(None);
        };
        let current = flatten_role(&role, inline, managed);
        Ok(Some(Found {
            id: role.arn().to_string(),
            tags: current.tags.clone(),
            current,
        }))
    }

    /// The ARN of the role of the spec's name when it carries the spec's ownership tags;
    /// `None` otherwise. Changes nothing.
    pub async fn find_owned_role(
        client: &Client,
        spec: &IamRoleSpec,
    ) -> Result<Option<String>, AwsError> {
        Ok(find_role_by_name(client, &spec.name)
            .await?
            .filter(|role| owned_by(&from_sdk(role.tags()), &spec.tags))
            .map(|role| role.arn().to_string()))
    }

    // create, update, delete

    /// Creates the role with its policies, or adopts the role of its name carrying the spec's
    /// ownership tags (reconciled to the spec). Returns the role ARN.
    pub async fn create_role(client: &Client, spec: &IamRoleSpec) -> Result<String, AwsError> {
        create_or_adopt(
            "IAM role",
            &spec.name,
            &spec.tags,
            &[ALREADY_EXISTS],
            || read_role(client, &spec.name),
            |found| async move { update_role(client, &found.id, &found.current, spec).await },
            || create_new_role(client, spec),
        )
        .await
    }

    async fn create_new_role(client: &Client, spec: &IamRoleSpec) -> Result<String, AwsError> {
        // Tags go in the create call, so a crash before the policies leaves an adoptable role.
        let out = client
            .create_role()
            .role_name(&spec.name)
            .assume_role_policy_document(&spec.assume_role_policy)
            .set_tags(Some(to_sdk(&spec.tags)?))
            .set_permissions_boundary(spec.permissions_boundary_arn.clone())
            .send()
            .await
            .map_err(classify)?;
        let arn = out
            .role()
            .map(|r| r.arn().to_string())
            .filter(|a| !a.is_empty())
            .ok_or_else(|| AwsError::unexpected("CreateRole returned no ARN"))?;
        for (policy, document) in &spec.inline_policies {
            put_inline_policy(client, &spec.name, policy, document).await?;
        }
        for policy_arn in &spec.managed_policy_arns {
            client
                .attach_role_policy()
                .role_name(&spec.name)
                .policy_arn(policy_arn)
                .send()
                .await
                .map_err(classify)?;
        }
        Ok(arn)
    }

    async fn put_inline_policy(
        client: &Client,
        role: &str,
        policy: &str,
        document: &str,
    ) -> Result<(), AwsError> {
        client
            .put_role_policy()
            .role_name(role)
            .policy_name(policy)
            .policy_document(document)
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// Brings the role with ARN `id` from `current` to `desired` in place; returns the ARN.
    pub async fn update_role(
        client: &Client,
        id: &str,
        current: &IamRoleSpec,
        desired: &IamRoleSpec,
    ) -> Result<String, AwsError> {
        let name = role_name_from_arn(id);
        if current.assume_role_policy != desired.assume_role_policy {
            client
                .update_assume_role_policy()
                .role_name(name)
                .policy_document(&desired.assume_role_policy)
                .send()
                .await
                .map_err(classify)?;
        }
        for (policy, document) in &desired.inline_policies {
            if current.inline_policies.get(policy) != Some(document) {
                put_inline_policy(client, name, policy, document).await?;
            }
        }
        for policy in current.inline_policies.keys() {
            if !desired.inline_policies.contains_key(policy) {
                none_if_not_found(
                    client
                        .delete_role_policy()
                        .role_name(name)
                        .policy_name(policy)
                        .send()
                        .await
                        .map_err(classify),
                )?;
            }
        }
        for arn in &desired.managed_policy_arns {
            if !current.managed_policy_arns.contains(arn) {
                client
                    .attach_role_policy()
                    .role_name(name)
                    .policy_arn(arn)
                    .send()
                    .await
                    .map_err(classify)?;
            }
        }
        for arn in &current.managed_policy_arns {
            if !desired.managed_policy_arns.contains(arn) {
                none_if_not_found(
                    client
                        .detach_role_policy()
                        .role_name(name)
                        .policy_arn(arn)
                        .send()
                        .await
                        .map_err(classify),
                )?;
            }
        }
        if current.permissions_boundary_arn != desired.permissions_boundary_arn {
            match &desired.permissions_boundary_arn {
                Some(boundary) => {
                    client
                        .put_role_permissions_boundary()
                        .role_name(name)
                        .permissions_boundary(boundary)
                        .send()
                        .await
                        .map_err(classify)?;
                }
                None => {
                    none_if_not_found(
                        client
                            .delete_role_permissions_boundary()
                            .role_name(name)
                            .send()
                            .await
                            .map_err(classify),
                    )?;
                }
            }
        }
        let (changed, removed) = tag_changes(&current.tags, &desired.tags);
        if !changed.is_empty() {
            client
                .tag_role()
                .role_name(name)
                .set_tags(Some(to_sdk(&changed)?))
                .send()
                .await
                .map_err(classify)?;
        }
        if !removed.is_empty() {
            client
                .untag_role()
                .role_name(name)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(classify)?;
        }
        Ok(id.to_string())
    }

    /// Deletes the role; absence is success. IAM refuses to delete a role with policies
    /// (`DeleteConflict`), so managed policies are detached and inline ones deleted first.
    pub async fn delete_role(client: &Client, id: &str) -> Result<(), AwsError> {
        let name = role_name_from_arn(id);
        let Some(managed) = none_if_not_found(find_managed_policy_arns(client, name).await)? else {
            return Ok(());
        };
        for arn in managed {
            none_if_not_found(
                client
                    .detach_role_policy()
                    .role_name(name)
                    .policy_arn(arn)
                    .send()
                    .await
                    .map_err(classify),
            )?;
        }
        let Some(inline) = none_if_not_found(find_inline_policy_names(client, name).await)? else {
            return Ok(());
        };
        for policy in inline {
            none_if_not_found(
                client
                    .delete_role_policy()
                    .role_name(name)
                    .policy_name(policy)
                    .send()
                    .await
                    .map_err(classify),
            )?;
        }
        // DeleteConflict (say, an instance profile still holds it) is classified as in use and
        // retried by the engine.
        none_if_not_found(
            client
                .delete_role()
                .role_name(name)
                .send()
                .await
                .map_err(classify),
        )?;
        Ok(())
    }

    // flatten

    /// A role as GetRole returns it, with the policies read beside it.
    pub fn flatten_role(
        role: &Role,
        inline_policies: BTreeMap<String, String>,
        managed_policy_arns: Vec<String>,
    ) -> IamRoleSpec {
        IamRoleSpec {
            name: role.role_name().to_string(),
            assume_role_policy: role
                .assume_role_policy_document()
                .map(policy_document)
                .unwrap_or_default(),
            inline_policies,
            managed_policy_arns,
            permissions_boundary_arn: role
                .permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn())
                .map(str::to_string),
            tags: from_sdk(role.tags()),
        }
    }

    /// A role as GetAccountAuthorizationDetails lists it, policies included.
    pub fn flatten_role_detail(role: &RoleDetail) -> IamRoleSpec {
        let mut managed_policy_arns: Vec<String> = role
            .attached_managed_policies()
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_string))
            .collect();
        managed_policy_arns.sort();
        IamRoleSpec {
            name: role.role_name().unwrap_or_default().to_string(),
            assume_role_policy: role
                .assume_role_policy_document()
                .map(policy_document)
                .unwrap_or_default(),
            inline_policies: role
                .role_policy_list()
                .iter()
                .filter_map(|p| {
                    Some((
                        p.policy_name()?.to_string(),
                        policy_document(p.policy_document()?),
                    ))
                })
                .collect(),
            managed_policy_arns,
            permissions_boundary_arn: role
                .permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn())
                .map(str::to_string),
            tags: from_sdk(role.tags()),
        }
    }

    /// A policy document as IAM returns it (URL-encoded) in the spec's canonical form.
    pub fn policy_document(raw: &str) -> String {
        let decoded = percent_decode(raw).unwrap_or_else(|| raw.to_string());
        canonical_json(&decoded)
    }

    /// Decodes RFC 3986 percent-encoding, as IAM applies it to policy documents. `+` stays `+`
    /// (RFC 3986 encodes a space as `%20`). `None` when the bytes are not UTF-8.
    pub fn percent_decode(text: &str) -> Option<String> {
        let bytes = text.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let byte = bytes[i];
            if byte == b'%' {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                if let Some(value) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    out.push(value);
                    i += 3;
                    continue;
                }
            }
            out.push(byte);
            i += 1;
        }
        String::from_utf8(out).ok()
    }

    /// Keys sorted at every level, no whitespace, through the same function the expander uses,
    /// so equal documents compare equal; text that is not JSON is kept, so it shows up as a
    /// difference rather than an error.
    pub fn canonical_json(text: &str) -> String {
        serde_json::from_str::<serde_json::Value>(text)
            .map(|v| crate::plan::expand::policy::canonical_json(&v))
            .unwrap_or_else(|_| text.to_string())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        struct Case {
            reason: &'static str,
            input: &'static str,
            want: Option<&'static str>,
        }

        #[test]
        fn percent_decoding() {
            let cases = [
                Case {
                    reason: "plain text is unchanged",
                    input: r#"{"a":1}"#,
                    want: Some(r#"{"a":1}"#),
                },
                Case {
                    reason: "IAM's encoding of a document",
                    input: "%7B%22Version%22%3A%20%222012-10-17%22%7D",
                    want: Some(r#"{"Version": "2012-10-17"}"#),
                },
                Case {
                    reason: "lower-case hex",
                    input: "%7b%7d",
                    want: Some("{}"),
                },
                Case {
                    reason: "plus is literal under RFC 3986",
                    input: "a+b%2Bc",
                    want: Some("a+b+c"),
                },
                Case {
                    reason: "a stray or truncated percent is kept",
                    input: "100%%zz%4",
                    want: Some("100%%zz%4"),
                },
                Case {
                    reason: "multi-byte UTF-8",
                    input: "%C3%A9",
                    want: Some("é"),
                },
                Case {
                    reason: "invalid UTF-8",
                    input: "%FF",
                    want: None,
                },
            ];
            for case in cases {
                assert_eq!(
                    percent_decode(case.input).as_deref(),
                    case.want,
                    "{}",
                    case.reason
                );
            }
        }

        #[test]
        fn canonical_json_sorts_keys_and_drops_whitespace() {
            assert_eq!(
                canonical_json("{\n  \"b\": [1, 2],\n  \"a\": {\"d\": 1, \"c\": \"x y\"}\n}"),
                r#"{"a":{"c":"x y","d":1},"b":[1,2]}"#
            );
            assert_eq!(canonical_json("not json"), "not json");
        }

        #[test]
        fn documents_from_iam_compare_equal_to_the_spec() {
            let spec = canonical_json(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#,
            );
            let from_iam = "%7B%0A%20%20%22Statement%22%3A%20%5B%7B%22Action%22%3A%20%22sts%3AAssumeRole%22%2C%20%22Effect%22%3A%20%22Allow%22%7D%5D%2C%0A%20%20%22Version%22%3A%20%222012-10-17%22%0A%7D";
            assert_eq!(policy_document(from_iam), spec);
        }

        #[test]
        fn role_names_from_arns() {
            assert_eq!(
                role_name_from_arn("arn:aws:iam::123456789012:role/dev-flow-logs"),
                "dev-flow-logs"
            );
            assert_eq!(
                role_name_from_arn("arn:aws:iam::123456789012:role/service/x/app"),
                "app"
            );
            assert_eq!(role_name_from_arn("bare"), "bare");
        }
    }
}
