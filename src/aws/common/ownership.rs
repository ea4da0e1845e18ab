//! Ownership tags: which objects are ours, adoption of what a crashed run left, and what to do
//! with a name someone else holds.

use std::future::Future;

use crate::aws::error::{is_code, AwsError};
use crate::plan::expand::naming::{TAG_NODE, TAG_OWNER};
use crate::plan::node::Tags;

/// True when `found` carries the owner and node tags of `spec`. Adoption checks this on every
/// object a lookup returns, rather than trusting a filter alone.
pub fn owned_by(found: &Tags, spec: &Tags) -> bool {
    [TAG_OWNER, TAG_NODE]
        .iter()
        .all(|key| spec.get(*key).is_some() && found.get(*key) == spec.get(*key))
}

/// The permanent error for a deterministic name already used by someone else's object.
pub fn name_taken(kind: &str, name: &str) -> AwsError {
    AwsError::Api {
        code: "NameTaken".into(),
        message: format!("{kind} name {name} is taken by an object this environment does not own"),
    }
}

/// An existing object found under a child's deterministic identity (its name, usually).
pub struct Found<S> {
    /// Its ledger ID.
    pub id: String,
    /// It as it is now, tags included.
    pub current: S,
    pub tags: Tags,
}

/// Create, adopting first: the one path every kind with a deterministic name takes.
///
/// - `lookup` reads the object holding the name. Carrying the spec's ownership tags, it is a
///   child an earlier run made (perhaps one that died before recording it): `reconcile` brings
///   it to the spec in place and its ID is returned.
/// - Held by an object without those tags, the name is someone else's: a permanent error,
///   never an overwrite.
/// - Absent, `create` makes it. A create that loses a race to another writer (its error code
///   is one of `already_exists`) looks again and adopts.
///
/// # Errors
/// Lookup, reconcile and create errors; `NameTaken` for a foreign object.
pub async fn adopt_or_create<S, L, LF, R, RF, C, CF>(
    what: &str,
    name: &str,
    spec_tags: &Tags,
    already_exists: &[&str],
    lookup: L,
    reconcile: R,
    create: C,
) -> Result<String, AwsError>
where
    L: Fn() -> LF,
    LF: Future<Output = Result<Option<Found<S>>, AwsError>>,
    R: Fn(Found<S>) -> RF,
    RF: Future<Output = Result<String, AwsError>>,
    C: FnOnce() -> CF,
    CF: Future<Output = Result<String, AwsError>>,
{
    if let Some(id) = adopt(what, name, spec_tags, lookup().await?, &reconcile).await? {
        return Ok(id);
    }
    create_or_adopt(
        what,
        name,
        spec_tags,
        already_exists,
        lookup,
        reconcile,
        create,
    )
    .await
}

/// Create first, adopting on conflict: for kinds whose create refuses a taken name with one
/// of `already_exists` (a log group, a subnet group), so the usual create costs no lookup.
/// The object holding the name is then read and adopted, or refused, as [`adopt_or_create`]
/// does. Never for a kind whose create answers a taken name with the existing object (an ECS
/// cluster, a target group): that would adopt without checking ownership.
///
/// # Errors
/// Create, lookup and reconcile errors; `NameTaken` for a foreign object.
pub async fn create_or_adopt<S, L, LF, R, RF, C, CF>(
    what: &str,
    name: &str,
    spec_tags: &Tags,
    already_exists: &[&str],
    lookup: L,
    reconcile: R,
    create: C,
) -> Result<String, AwsError>
where
    L: Fn() -> LF,
    LF: Future<Output = Result<Option<Found<S>>, AwsError>>,
    R: Fn(Found<S>) -> RF,
    RF: Future<Output = Result<String, AwsError>>,
    C: FnOnce() -> CF,
    CF: Future<Output = Result<String, AwsError>>,
{
    match create().await {
        Err(e) if already_exists.iter().any(|code| is_code(&e, code)) => {
            adopt(what, name, spec_tags, lookup().await?, &reconcile)
                .await?
                .ok_or_else(|| {
                    AwsError::unexpected(format!("{what} {name} exists but cannot be read"))
                })
        }
        other => other,
    }
}

/// Reconciles `found` when it carries the spec's ownership tags; `NameTaken` when it does not.
async fn adopt<S, R, RF>(
    what: &str,
    name: &str,
    spec_tags: &Tags,
    found: Option<Found<S>>,
    reconcile: &R,
) -> Result<Option<String>, AwsError>
where
    R: Fn(Found<S>) -> RF,
    RF: Future<Output = Result<String, AwsError>>,
{
    match found {
        None => Ok(None),
        Some(found) if owned_by(&found.tags, spec_tags) => reconcile(found).await.map(Some),
        Some(_) => Err(name_taken(what, name)),
    }
}

/// Tags to add or change, and keys to remove, to go from `current` to `desired`.
pub fn tag_changes(current: &Tags, desired: &Tags) -> (Tags, Vec<String>) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn ours() -> Tags {
        tags(&[(TAG_OWNER, "environment/a"), (TAG_NODE, "logs.log_group/x")])
    }

    async fn run(
        found: Option<Tags>,
        create: Result<String, AwsError>,
        calls: &AtomicUsize,
    ) -> Result<String, AwsError> {
        adopt_or_create(
            "log group",
            "x",
            &ours(),
            &["AlreadyExists"],
            || {
                let found = found.clone();
                async move {
                    Ok(found.map(|tags| Found {
                        id: "x".to_string(),
                        current: (),
                        tags,
                    }))
                }
            },
            |found| async move { Ok(format!("reconciled {}", found.id)) },
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                create
            },
        )
        .await
    }

    #[tokio::test]
    async fn adopts_ours_refuses_foreign_and_creates_the_absent() {
        let calls = AtomicUsize::new(0);
        let ok = || Ok("new".to_string());
        assert_eq!(
            run(Some(ours()), ok(), &calls).await.unwrap(),
            "reconciled x"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 0, "adopted, not created");
        let foreign = run(Some(Tags::new()), ok(), &calls).await;
        assert!(matches!(foreign, Err(AwsError::Api { ref code, .. }) if code == "NameTaken"));
        assert_eq!(run(None, ok(), &calls).await.unwrap(), "new");
        let other = AwsError::Api {
            code: "Denied".into(),
            message: String::new(),
        };
        assert_eq!(run(None, Err(other.clone()), &calls).await, Err(other));
    }

    #[tokio::test]
    async fn create_first_adopts_ours_and_refuses_foreign_only_on_conflict() {
        let exists = || {
            Err::<String, _>(AwsError::Api {
                code: "AlreadyExists".into(),
                message: String::new(),
            })
        };
        let lookups = AtomicUsize::new(0);
        let run = |found: Option<Tags>, create: Result<String, AwsError>| {
            let lookups = &lookups;
            async move {
                create_or_adopt(
                    "log group",
                    "x",
                    &ours(),
                    &["AlreadyExists"],
                    || {
                        lookups.fetch_add(1, Ordering::SeqCst);
                        let found = found.clone();
                        async move {
                            Ok(found.map(|tags| Found {
                                id: "x".to_string(),
                                current: (),
                                tags,
                            }))
                        }
                    },
                    |found| async move { Ok(format!("reconciled {}", found.id)) },
                    || async { create },
                )
                .await
            }
        };
        assert_eq!(run(None, Ok("new".into())).await.unwrap(), "new");
        assert_eq!(
            lookups.load(Ordering::SeqCst),
            0,
            "a create needs no lookup"
        );
        assert_eq!(run(Some(ours()), exists()).await.unwrap(), "reconciled x");
        let foreign = run(Some(Tags::new()), exists()).await;
        assert!(matches!(foreign, Err(AwsError::Api { ref code, .. }) if code == "NameTaken"));
        let vanished = run(None, exists()).await;
        assert!(vanished.is_err(), "exists but cannot be read");
    }

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
