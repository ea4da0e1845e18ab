//! Secrets Manager Secret; the ledger ID is its ARN.
//!
//! A secret holds a random token made once at create, or connection JSON composed from an
//! RDS instance (and the master secret RDS manages for it) or an ElastiCache replication group
//! (and its auth-token secret). Values go straight from AWS to AWS: they never enter a log
//! line, an error, the plan or the ledger.
//!
//! An environment's secrets share a name prefix (`platform/<env>/`, see `plan::expand`), so
//! observe lists them with one paginated call per environment. Whether a composed secret is
//! still in sync has no listing: that stays a read of the value and its source per secret.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::cost;
use crate::plan::node::{Node, NodeKey, Tags};

/// A Secrets Manager secret; its ledger ID is its ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretSpec {
    pub name: String,
    pub description: String,
    pub kms_key_arn: Option<String>,
    pub content: SecretContent,
    /// Observed false when the stored value no longer matches its source (a composed secret
    /// after the master password rotated, or the host changed); an update rewrites it.
    pub in_sync: bool,
    /// Days a deleted secret stays recoverable; 0 deletes at once.
    pub recovery_window_days: u32,
    pub tags: Tags,
}

/// What a secret holds. The value itself is never in state, plan or logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum SecretContent {
    /// A random alphanumeric token made once at create.
    RandomToken { length: u32 },
    /// A service's generated secret: a random alphanumeric value made at create and again
    /// whenever `generation` grows (`regenerate_secrets`). `regenerate` records that the
    /// name is listed there, so keeping it listed does not make a new value on every apply.
    Generated {
        length: u32,
        generation: u32,
        regenerate: bool,
    },
    /// JSON `url`, `host`, `port`, `dbname`, `username`, `password` for a PostgreSQL instance,
    /// composed from the master secret RDS manages for it.
    DatabaseConnection {
        instance: NodeKey,
        database_name: String,
    },
    /// JSON `url` (`rediss://…`), `host`, `port`, `auth_token` for a replication group, the
    /// token read from another secret of ours.
    CacheConnection {
        replication_group: NodeKey,
        auth_token: NodeKey,
    },
}

impl KindSpec for SecretSpec {
    const PREFIX: &'static str = "secretsmanager.secret";
    const DISPLAY_NAME: &'static str = "Secrets Manager Secret";
    // Connection secrets are built from the database instance or replication group.
    const IAM_ACTIONS: &'static [&'static str] = &[
        "elasticache:DescribeReplicationGroups",
        "rds:DescribeDBInstances",
        "secretsmanager:CreateSecret",
        "secretsmanager:DeleteSecret",
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetRandomPassword",
        "secretsmanager:GetSecretValue",
        "secretsmanager:ListSecrets",
        "secretsmanager:PutSecretValue",
        "secretsmanager:RestoreSecret",
        "secretsmanager:TagResource",
        "secretsmanager:UntagResource",
        "secretsmanager:UpdateSecret",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        match &self.content {
            SecretContent::RandomToken { .. } | SecretContent::Generated { .. } => vec![],
            SecretContent::DatabaseConnection { instance, .. } => vec![Reference::update(instance)],
            SecretContent::CacheConnection {
                replication_group,
                auth_token,
            } => vec![
                Reference::update(replication_group),
                Reference::update(auth_token),
            ],
        }
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
        Some(("secrets", cost::SECRET_USD_PER_HOUR))
    }
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use std::collections::HashMap;
    use std::fmt;

    use aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretOutput;
    use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType, SecretListEntry};
    use aws_sdk_secretsmanager::Client;

    use super::*;
    use crate::apply::IdMap;
    use crate::aws::common::ownership::{adopt_or_create, owned_by, tag_changes, Found};
    use crate::aws::common::reads::Reads;
    use crate::aws::common::tags::{from_sdk, to_sdk};
    use crate::aws::error::{classify, none_if_not_found, AwsError};
    use crate::aws::kind::{AwsKind, Cx};
    use crate::aws::rds::db_instance::{find_db_instance_by_identifier, observed_kms_key};
    use crate::aws::AwsClients;

    impl AwsKind for SecretSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            find_owned_secret(&cx.clients.secretsmanager, spec).await
        }

        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            observe_secret(cx.clients, cx.reads, id, current, cx.ids).await
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_secret(cx.clients, spec, cx.ids).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_secret(cx.clients, id, current, desired, cx.ids).await
        }

        async fn delete(cx: &Cx<'_>, id: &str, current: &Self) -> Result<(), AwsError> {
            delete_secret(&cx.clients.secretsmanager, id, current).await
        }
    }

    // constants

    /// A create that lost a race (or follows a crash): the secret exists, so adopt it.
    const ALREADY_EXISTS: &str = "ResourceExistsException";
    /// The staging label of the value in use.
    const STAGE_CURRENT: &str = "AWSCURRENT";
    /// Secrets Manager's bounds for a recovery window.
    const RECOVERY_DAYS_MIN: u32 = 7;
    const RECOVERY_DAYS_MAX: u32 = 30;
    /// The AWS-managed key Secrets Manager uses when a secret names none.
    const DEFAULT_KMS_ALIAS: &str = "alias/aws/secretsmanager";

    /// A secret value; `Debug` never shows it.
    struct SecretValue(String);

    impl fmt::Debug for SecretValue {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("SecretValue(<redacted>)")
        }
    }

    /// A composed value, or why its source cannot give one now.
    #[derive(Debug)]
    enum Composed {
        Value(SecretValue),
        /// The source does not exist.
        Missing(String),
        /// The source exists but is still being set up (no endpoint, master secret creating).
        NotReady(String),
    }

    /// What RDS reports while it still creates an instance's master user secret.
    const MASTER_SECRET_CREATING: &str = "creating";

    /// The prefix every secret of the environment starts with: `platform/<env>/` of
    /// `platform/<env>/…`. A name of another shape is its own prefix.
    pub fn environment_prefix(name: &str) -> &str {
        let mut slashes = name.match_indices('/').map(|(at, _)| at);
        match (slashes.next(), slashes.next()) {
            (Some(_), Some(second)) => &name[..=second],
            _ => name,
        }
    }

    /// What observe and adoption read of a secret, from DescribeSecret or a ListSecrets entry.
    #[derive(Debug, Clone)]
    pub struct LiveSecret {
        pub arn: String,
        pub name: Option<String>,
        pub description: Option<String>,
        pub kms_key_id: Option<String>,
        pub tags: Tags,
        /// Deleted and recoverable until its recovery window ends.
        pub scheduled_for_deletion: bool,
        /// Some version carries AWSCURRENT: the secret holds a value.
        pub has_current_value: bool,
    }

    type VersionStages = HashMap<String, Vec<String>>;

    fn has_current(stages: Option<&VersionStages>) -> bool {
        stages.is_some_and(|v| {
            v.values()
                .any(|stages| stages.iter().any(|s| s == STAGE_CURRENT))
        })
    }

    impl LiveSecret {
        fn described(out: &DescribeSecretOutput) -> Result<LiveSecret, AwsError> {
            Ok(LiveSecret {
                arn: out
                    .arn()
                    .ok_or_else(|| AwsError::unexpected("DescribeSecret returned no ARN"))?
                    .to_string(),
                name: out.name().map(str::to_string),
                description: out.description().map(str::to_string),
                kms_key_id: out.kms_key_id().map(str::to_string),
                tags: from_sdk(out.tags()),
                scheduled_for_deletion: out.deleted_date().is_some(),
                has_current_value: has_current(out.version_ids_to_stages()),
            })
        }

        fn listed(entry: &SecretListEntry) -> Option<LiveSecret> {
            Some(LiveSecret {
                arn: entry.arn()?.to_string(),
                name: entry.name().map(str::to_string),
                description: entry.description().map(str::to_string),
                kms_key_id: entry.kms_key_id().map(str::to_string),
                tags: from_sdk(entry.tags()),
                scheduled_for_deletion: entry.deleted_date().is_some(),
                has_current_value: has_current(entry.secret_versions_to_stages()),
            })
        }
    }

    // find

    /// Every live secret whose name starts with `prefix` (ListSecrets matches names by prefix,
    /// ignoring case), by ARN. Secrets scheduled for deletion are left out, as ListSecrets does
    /// by default.
    pub async fn list_secrets(
        client: &Client,
        prefix: &str,
    ) -> Result<HashMap<String, LiveSecret>, AwsError> {
        let mut pages = client
            .list_secrets()
            .filters(
                Filter::builder()
                    .key(FilterNameStringType::Name)
                    .values(prefix)
                    .build(),
            )
            .into_paginator()
            .send();
        let mut secrets = HashMap::new();
        while let Some(page) = pages.next().await {
            for secret in page
                .map_err(classify)?
                .secret_list()
                .iter()
                .filter_map(LiveSecret::listed)
            {
                secrets.insert(secret.arn.clone(), secret);
            }
        }
        Ok(secrets)
    }

    /// The secret by name or ARN, also while it is scheduled for deletion.
    pub async fn find_secret(
        client: &Client,
        secret_id: &str,
    ) -> Result<Option<LiveSecret>, AwsError> {
        none_if_not_found(
            client
                .describe_secret()
                .secret_id(secret_id)
                .send()
                .await
                .map_err(classify),
        )?
        .as_ref()
        .map(LiveSecret::described)
        .transpose()
    }

    /// The ARN of the live (not deleted) secret called `name`; `None` when there is none.
    pub async fn secret_arn(client: &Client, name: &str) -> Result<Option<String>, AwsError> {
        Ok(find_secret(client, name)
            .await?
            .filter(|s| !s.scheduled_for_deletion)
            .map(|s| s.arn))
    }

    /// The current text value of a secret. The value is never part of an error.
    pub async fn secret_string(client: &Client, arn: &str) -> Result<String, AwsError> {
        let out = client
            .get_secret_value()
            .secret_id(arn)
            .send()
            .await
            .map_err(classify)?;
        out.secret_string()
            .map(str::to_string)
            .ok_or_else(|| AwsError::unexpected(format!("secret {arn} holds no text value")))
    }

    /// The ARN of the live secret of the spec's name when it carries the spec's ownership tags;
    /// `None` otherwise. Changes nothing.
    pub async fn find_owned_secret(
        client: &Client,
        spec: &SecretSpec,
    ) -> Result<Option<String>, AwsError> {
        Ok(find_secret(client, &spec.name)
            .await?
            .filter(|s| !s.scheduled_for_deletion && owned_by(&s.tags, &spec.tags))
            .map(|s| s.arn))
    }

    // compose

    /// RFC 3986 percent-encoding of everything but unreserved characters, for URL userinfo.
    fn percent_encode(text: &str) -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    }

    fn referenced_id<'a>(ids: &'a IdMap, key: &NodeKey) -> Result<&'a str, String> {
        ids.id(key).map_err(|_| format!("{key} does not exist yet"))
    }

    /// The value a composed secret should hold now; `None` for a random token, which is made once.
    async fn compose(
        clients: &AwsClients,
        content: &SecretContent,
        ids: &IdMap,
    ) -> Result<Option<Composed>, AwsError> {
        match content {
            SecretContent::RandomToken { .. } | SecretContent::Generated { .. } => Ok(None),
            SecretContent::DatabaseConnection {
                instance,
                database_name,
            } => compose_database(clients, instance, database_name, ids)
                .await
                .map(Some),
            SecretContent::CacheConnection {
                replication_group,
                auth_token,
            } => compose_cache(clients, replication_group, auth_token, ids)
                .await
                .map(Some),
        }
    }

    async fn compose_database(
        clients: &AwsClients,
        instance: &NodeKey,
        database_name: &str,
        ids: &IdMap,
    ) -> Result<Composed, AwsError> {
        let identifier = match referenced_id(ids, instance) {
            Ok(id) => id,
            Err(reason) => return Ok(Composed::Missing(reason)),
        };
        let Some(db) = find_db_instance_by_identifier(&clients.rds, identifier).await? else {
            return Ok(Composed::Missing(format!(
                "RDS DB instance {identifier} does not exist"
            )));
        };
        let (Some(host), Some(port)) = (
            db.endpoint().and_then(|e| e.address()),
            db.endpoint().and_then(|e| e.port()),
        ) else {
            return Ok(Composed::NotReady(format!(
                "RDS DB instance {identifier} has no endpoint yet"
            )));
        };
        let Some(master_secret) = db.master_user_secret() else {
            return Ok(Composed::Missing(format!(
                "RDS DB instance {identifier} has no master user secret managed by RDS"
            )));
        };
        let creating = master_secret.secret_status() == Some(MASTER_SECRET_CREATING);
        let (Some(master_arn), false) = (master_secret.secret_arn(), creating) else {
            return Ok(Composed::NotReady(format!(
                "RDS is still creating the master user secret of RDS DB instance {identifier}"
            )));
        };
        let Some(master) =
            none_if_not_found(secret_string(&clients.secretsmanager, master_arn).await)?
        else {
            return Ok(Composed::NotReady(format!(
                "the master user secret of RDS DB instance {identifier} has no value yet"
            )));
        };
        let not_json = || {
            AwsError::unexpected(format!(
                "the master user secret of RDS DB instance {identifier} is not JSON with a \
             username and a password"
            ))
        };
        let master: serde_json::Value = serde_json::from_str(&master).map_err(|_| not_json())?;
        let username = master
            .get("username")
            .and_then(|u| u.as_str())
            .or(db.master_username())
            .ok_or_else(not_json)?;
        let password = master
            .get("password")
            .and_then(|p| p.as_str())
            .ok_or_else(not_json)?;
        let url = format!(
            "postgresql://{}:{}@{host}:{port}/{}?sslmode=require",
            percent_encode(username),
            percent_encode(password),
            percent_encode(database_name),
        );
        let value = serde_json::json!({
            "url": url,
            "host": host,
            "port": port,
            "dbname": database_name,
            "username": username,
            "password": password,
        });
        Ok(Composed::Value(SecretValue(value.to_string())))
    }

    async fn compose_cache(
        clients: &AwsClients,
        replication_group: &NodeKey,
        auth_token: &NodeKey,
        ids: &IdMap,
    ) -> Result<Composed, AwsError> {
        let (group_id, token_arn) = match (
            referenced_id(ids, replication_group),
            referenced_id(ids, auth_token),
        ) {
            (Ok(g), Ok(t)) => (g, t),
            (Err(reason), _) | (_, Err(reason)) => return Ok(Composed::Missing(reason)),
        };
        let Some(out) = none_if_not_found(
            clients
                .elasticache
                .describe_replication_groups()
                .replication_group_id(group_id)
                .send()
                .await
                .map_err(classify),
        )?
        else {
            return Ok(Composed::Missing(format!(
                "ElastiCache replication group {group_id} does not exist"
            )));
        };
        let endpoint = out
            .replication_groups()
            .iter()
            .find(|g| g.replication_group_id() == Some(group_id))
            .and_then(|g| g.node_groups().first())
            .and_then(|n| n.primary_endpoint());
        let (Some(host), Some(port)) = (
            endpoint.and_then(|e| e.address()),
            endpoint.and_then(|e| e.port()),
        ) else {
            return Ok(Composed::NotReady(format!(
                "ElastiCache replication group {group_id} has no primary endpoint yet"
            )));
        };
        let Some(token) =
            none_if_not_found(secret_string(&clients.secretsmanager, token_arn).await)?
        else {
            return Ok(Composed::Missing(format!(
                "the auth token secret {token_arn} does not exist"
            )));
        };
        let value = serde_json::json!({
            "url": format!("rediss://:{}@{host}:{port}", percent_encode(&token)),
            "host": host,
            "port": port,
            "auth_token": token,
        });
        Ok(Composed::Value(SecretValue(value.to_string())))
    }

    async fn random_token(client: &Client, length: u32) -> Result<SecretValue, AwsError> {
        let out = client
            .get_random_password()
            .password_length(i64::from(length))
            .exclude_punctuation(true)
            .send()
            .await
            .map_err(classify)?;
        out.random_password()
            .map(|p| SecretValue(p.to_string()))
            .ok_or_else(|| AwsError::unexpected("GetRandomPassword returned no password"))
    }

    /// The value to store for `spec` now: a new random token, or the composed JSON.
    async fn fresh_value(
        clients: &AwsClients,
        spec: &SecretSpec,
        ids: &IdMap,
    ) -> Result<SecretValue, AwsError> {
        match (&spec.content, compose(clients, &spec.content, ids).await?) {
            (
                SecretContent::RandomToken { length } | SecretContent::Generated { length, .. },
                _,
            ) => random_token(&clients.secretsmanager, *length).await,
            (_, Some(Composed::Value(value))) => Ok(value),
            (_, Some(Composed::Missing(reason))) => Err(AwsError::Api {
                code: "SecretSourceMissing".into(),
                message: format!("cannot compose the value of secret {}: {reason}", spec.name),
            }),
            // Retried by the engine: the source settles within minutes.
            (_, Some(Composed::NotReady(reason))) => Err(AwsError::NotYetPropagated {
                message: format!(
                    "cannot compose the value of secret {} yet: {reason}",
                    spec.name
                ),
            }),
            (_, None) => Err(AwsError::unexpected("nothing to compose")),
        }
    }

    /// Same JSON (key order and spacing aside), or the same text.
    fn same_value(stored: &str, expected: &str) -> bool {
        match (
            serde_json::from_str::<serde_json::Value>(stored),
            serde_json::from_str::<serde_json::Value>(expected),
        ) {
            (Ok(a), Ok(b)) => a == b,
            _ => stored == expected,
        }
    }

    /// Whether the stored value is what `content` says it should be now: a random token only has
    /// to exist; a composed value must match a fresh composition (false when the source is gone).
    async fn is_in_sync(
        clients: &AwsClients,
        secret: &LiveSecret,
        content: &SecretContent,
        ids: &IdMap,
    ) -> Result<bool, AwsError> {
        let expected = match compose(clients, content, ids).await {
            Ok(None) => return Ok(secret.has_current_value),
            Ok(Some(Composed::Value(value))) => value,
            Ok(Some(Composed::Missing(_) | Composed::NotReady(_))) => return Ok(false),
            Err(e) if e.is_not_found() => return Ok(false),
            Err(e) => return Err(e),
        };
        let Some(stored) =
            none_if_not_found(secret_string(&clients.secretsmanager, &secret.arn).await)?
        else {
            return Ok(false);
        };
        Ok(same_value(&stored, &expected.0))
    }

    // create, update, delete

    /// The secret of the spec's name, also while scheduled for deletion, as adoption sees it.
    async fn find_secret_by_name(
        client: &Client,
        name: &str,
    ) -> Result<Option<Found<LiveSecret>>, AwsError> {
        Ok(find_secret(client, name).await?.map(|secret| Found {
            id: secret.arn.clone(),
            tags: secret.tags.clone(),
            current: secret,
        }))
    }

    /// Brings an adopted secret to the spec, restoring it first when it is scheduled for
    /// deletion.
    async fn reconcile_secret(
        clients: &AwsClients,
        found: Found<LiveSecret>,
        spec: &SecretSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        let restored = found.current.scheduled_for_deletion;
        if restored {
            clients
                .secretsmanager
                .restore_secret()
                .secret_id(&found.id)
                .send()
                .await
                .map_err(classify)?;
            tracing::info!(secret = %spec.name, "restored secret {} that was scheduled for deletion", spec.name);
        }
        // A generated secret removed and added again gets a new value, not the deleted one.
        let renew = restored && matches!(spec.content, SecretContent::Generated { .. });
        let in_sync = !renew && is_in_sync(clients, &found.current, &spec.content, ids).await?;
        let current = flatten_secret(&found.current, spec, in_sync);
        update_secret(clients, &found.id, &current, spec, ids).await
    }

    /// Creates the secret with its value, or adopts the one of its name carrying the spec's
    /// ownership tags (restored when scheduled for deletion, reconciled to the spec). Returns
    /// the ledger ID (the ARN).
    pub async fn create_secret(
        clients: &AwsClients,
        spec: &SecretSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        let client = &clients.secretsmanager;
        adopt_or_create(
            "Secrets Manager secret",
            &spec.name,
            &spec.tags,
            &[ALREADY_EXISTS],
            || find_secret_by_name(client, &spec.name),
            |found| reconcile_secret(clients, found, spec, ids),
            || create_new_secret(clients, spec, ids),
        )
        .await
    }

    async fn create_new_secret(
        clients: &AwsClients,
        spec: &SecretSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        let value = fresh_value(clients, spec, ids).await?;
        // Tags and value go in the create call, so the secret never exists untagged or empty.
        let out = clients
            .secretsmanager
            .create_secret()
            .name(&spec.name)
            .description(&spec.description)
            .set_kms_key_id(spec.kms_key_arn.clone())
            .secret_string(value.0)
            .set_tags(Some(to_sdk(&spec.tags)?))
            .send()
            .await
            .map_err(classify)?;
        out.arn()
            .map(str::to_string)
            .ok_or_else(|| AwsError::unexpected("CreateSecret returned no ARN"))
    }

    /// Brings the secret from `current` to `desired`: description and key, a rewritten value when
    /// it is out of sync or its content changed, and tags. Returns the ledger ID.
    pub async fn update_secret(
        clients: &AwsClients,
        id: &str,
        current: &SecretSpec,
        desired: &SecretSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        let client = &clients.secretsmanager;
        let description_changed = current.description != desired.description;
        let kms_changed = current.kms_key_arn != desired.kms_key_arn;
        if description_changed || kms_changed {
            let kms = kms_changed.then(|| {
                desired
                    .kms_key_arn
                    .clone()
                    .unwrap_or_else(|| DEFAULT_KMS_ALIAS.to_string())
            });
            client
                .update_secret()
                .secret_id(id)
                .set_description(description_changed.then(|| desired.description.clone()))
                .set_kms_key_id(kms)
                .send()
                .await
                .map_err(classify)?;
        }
        // A random token is made once: only a secret without a value gets a new one, and a
        // generated secret also when its generation grows.
        let rewrite = match (&current.content, &desired.content) {
            (_, SecretContent::RandomToken { .. }) => !current.in_sync,
            (
                SecretContent::Generated {
                    generation: was, ..
                },
                SecretContent::Generated { generation, .. },
            ) => !current.in_sync || was != generation,
            _ => !current.in_sync || current.content != desired.content,
        };
        if rewrite {
            let value = fresh_value(clients, desired, ids).await?;
            client
                .put_secret_value()
                .secret_id(id)
                .secret_string(value.0)
                .send()
                .await
                .map_err(classify)?;
        }
        let (changed, removed) = tag_changes(&current.tags, &desired.tags);
        if !changed.is_empty() {
            client
                .tag_resource()
                .secret_id(id)
                .set_tags(Some(to_sdk(&changed)?))
                .send()
                .await
                .map_err(classify)?;
        }
        if !removed.is_empty() {
            client
                .untag_resource()
                .secret_id(id)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(classify)?;
        }
        Ok(id.to_string())
    }

    /// Deletes the secret: at once when `recovery_window_days` is 0, else scheduled within 7–30
    /// days. Absence (or a deletion already scheduled) is success.
    pub async fn delete_secret(
        client: &Client,
        id: &str,
        current: &SecretSpec,
    ) -> Result<(), AwsError> {
        let Some(found) = find_secret(client, id).await? else {
            return Ok(());
        };
        let days = current.recovery_window_days;
        if found.scheduled_for_deletion && days > 0 {
            return Ok(());
        }
        let request = client.delete_secret().secret_id(id);
        let request = if days == 0 {
            request.force_delete_without_recovery(true)
        } else {
            request.recovery_window_in_days(i64::from(
                days.clamp(RECOVERY_DAYS_MIN, RECOVERY_DAYS_MAX),
            ))
        };
        none_if_not_found(request.send().await.map_err(classify))?;
        Ok(())
    }

    /// The secret as it is now, from the environment's shared listing; `None` when it is gone
    /// or scheduled for deletion. Whether its value is in sync is read per secret: the value
    /// and its source have no listing.
    pub async fn observe_secret(
        clients: &AwsClients,
        reads: &Reads,
        id: &str,
        current: &SecretSpec,
        ids: &IdMap,
    ) -> Result<Option<SecretSpec>, AwsError> {
        let prefix = environment_prefix(&current.name);
        let secrets = reads
            .get(&format!("secretsmanager.secret/prefix/{prefix}"), || {
                list_secrets(&clients.secretsmanager, prefix)
            })
            .await?;
        let Some(found) = secrets.get(id).filter(|s| !s.scheduled_for_deletion) else {
            return Ok(None);
        };
        let in_sync = is_in_sync(clients, found, &current.content, ids).await?;
        Ok(Some(flatten_secret(found, current, in_sync)))
    }

    // flatten

    /// The key as the spec names it; no key or the default alias is the AWS-managed key.
    fn flatten_kms_key(current: Option<&str>, live: Option<&str>) -> Option<String> {
        match live {
            None => None,
            Some(l) if l == DEFAULT_KMS_ALIAS || l.ends_with(&format!(":{DEFAULT_KMS_ALIAS}")) => {
                None
            }
            Some(l) => match current {
                None => Some(l.to_string()),
                Some(_) => observed_kms_key(current, live),
            },
        }
    }

    /// The secret as a spec; content and recovery window are ours, so they come from `current`.
    fn flatten_secret(secret: &LiveSecret, current: &SecretSpec, in_sync: bool) -> SecretSpec {
        SecretSpec {
            name: secret.name.as_deref().unwrap_or(&current.name).to_string(),
            description: secret.description.clone().unwrap_or_default(),
            kms_key_arn: flatten_kms_key(
                current.kms_key_arn.as_deref(),
                secret.kms_key_id.as_deref(),
            ),
            content: current.content.clone(),
            in_sync,
            recovery_window_days: current.recovery_window_days,
            tags: secret.tags.clone(),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn secrets_of_an_environment_share_its_prefix() {
            assert_eq!(
                environment_prefix("platform/dev/database/main"),
                "platform/dev/"
            );
            assert_eq!(
                environment_prefix("platform/dev/cache/kv/auth-token"),
                "platform/dev/"
            );
            assert_eq!(environment_prefix("plain"), "plain");
        }

        #[test]
        fn percent_encoding_keeps_only_unreserved() {
            assert_eq!(percent_encode("aZ09-._~"), "aZ09-._~");
            assert_eq!(
                percent_encode("p@ss:w/rd%#?&"),
                "p%40ss%3Aw%2Frd%25%23%3F%26"
            );
        }

        #[test]
        fn values_compare_as_json() {
            assert!(same_value(r#"{"a":1,"b":"x"}"#, r#"{ "b": "x", "a": 1 }"#));
            assert!(!same_value(r#"{"a":1}"#, r#"{"a":2}"#));
            assert!(same_value("token", "token"));
        }

        #[test]
        fn secret_values_do_not_debug_print() {
            let value = SecretValue("hunter2".into());
            assert!(!format!("{value:?}").contains("hunter2"));
        }
    }
}
