//! Read calls answered once and shared.
//!
//! Refresh and plan read every child of every resource in an environment. Rather than
//! describing each child with its own call, a kind lists all objects of its kind in a scope
//! (the environment's VPC, a cluster, a listener) with one paginated call, and every child of
//! every resource served by this provider process looks itself up in that listing.
//!
//! One [`Reads`] holds the listings of one environment. [`ReadScopes`] keeps one per
//! environment for the life of the provider process (one Terraform command), and drops an
//! environment's as soon as an apply changes anything in it, so reads after a change see it.
//!
//! Apply and destroy run with fresh [`Reads`] of their own, and the adopt-first lookups of the
//! kinds with many children (subnets, route tables and associations, security groups and their
//! rules, VPC endpoints, Elastic IPs, NAT gateways) read the same listings as observe: one
//! listing per kind and scope per run. Such a listing lacks at most what the run created after
//! taking it, and a created child is recorded, so nothing looks for it again; a create whose
//! answer was lost after AWS acted fails its attempt instead, and the engine forgets every
//! listing ([`Reads::clear`]) after a failed attempt, before the retry looks again. It also
//! forgets them when a run starts and after every delete (`apply::Executor::forget_reads`).
//!
//! A container the run itself created (a VPC, a subnet, a security group) holds nothing of
//! ours the run has not recorded, so the lookups of children inside it skip the listing
//! altogether ([`Reads::created_in_run`]), until a failed attempt makes the engine forget that
//! too.

use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use crate::aws::error::AwsError;

type Entry = Arc<OnceCell<Arc<dyn Any + Send + Sync>>>;

/// Memoised reads of one scope.
#[derive(Default)]
pub struct Reads {
    entries: Mutex<HashMap<String, Entry>>,
    /// Containers (VPCs, subnets, security groups) this run created: nothing of ours is in one that the run did not
    /// record, so an adopt-first lookup inside it needs no listing. Forgotten with the
    /// listings, so the retry of a failed attempt looks again.
    created: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for Reads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.entries.lock().map(|e| e.len()).unwrap_or_default();
        write!(f, "Reads({count} entries)")
    }
}

impl Reads {
    pub fn new() -> Reads {
        Reads::default()
    }

    /// The value read under `key`, loading it with `load` the first time.
    ///
    /// Concurrent callers of one key wait for a single load. A failed load is not kept: the
    /// next caller (the engine's retry, say) loads again.
    ///
    /// # Errors
    /// The load's error, or an unexpected-response error if `key` was loaded as another type
    /// (keys name their kind, so that is a bug).
    pub async fn get<T, F, Fut>(&self, key: &str, load: F) -> Result<Arc<T>, AwsError>
    where
        T: Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, AwsError>>,
    {
        let cell = {
            let mut entries = self
                .entries
                .lock()
                .map_err(|_| AwsError::unexpected("the shared reads lock is poisoned"))?;
            entries.entry(key.to_string()).or_default().clone()
        };
        let value = cell
            .get_or_try_init(|| async {
                load()
                    .await
                    .map(|value| Arc::new(value) as Arc<dyn Any + Send + Sync>)
            })
            .await?;
        value
            .clone()
            .downcast::<T>()
            .map_err(|_| AwsError::unexpected(format!("shared read {key} holds another type")))
    }

    /// Forgets everything read, so the next reader of any key asks AWS again. Loads in flight
    /// finish for the callers already waiting on them, but are not kept. Containers marked
    /// [`Reads::mark_created`] are forgotten too.
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
        if let Ok(mut created) = self.created.lock() {
            created.clear();
        }
    }

    /// Records that this run created the container `id` (its create call answered with it).
    pub fn mark_created(&self, id: &str) {
        if let Ok(mut created) = self.created.lock() {
            created.insert(id.to_string());
        }
    }

    /// Whether this run created the container `id` and nothing has failed since: an
    /// adopt-first lookup inside it would find nothing the run has not recorded.
    pub fn created_in_run(&self, id: &str) -> bool {
        self.created
            .lock()
            .map(|created| created.contains(id))
            .unwrap_or(false)
    }
}

/// One [`Reads`] per environment, for the life of the provider process.
#[derive(Debug, Default)]
pub struct ReadScopes {
    scopes: Mutex<HashMap<String, Arc<Reads>>>,
}

impl ReadScopes {
    pub fn new() -> ReadScopes {
        ReadScopes::default()
    }

    /// The shared reads of environment `name`.
    pub fn of(&self, name: &str) -> Arc<Reads> {
        match self.scopes.lock() {
            Ok(mut scopes) => scopes.entry(name.to_string()).or_default().clone(),
            // A poisoned lock only loses sharing, never correctness.
            Err(_) => Arc::new(Reads::new()),
        }
    }

    /// Forgets what was read of environment `name`; called after any change to it.
    pub fn invalidate(&self, name: &str) {
        if let Ok(mut scopes) = self.scopes.lock() {
            scopes.remove(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn concurrent_readers_share_one_load_and_failures_are_not_kept() {
        let reads = Reads::new();
        let loads = AtomicUsize::new(0);
        let load = || async {
            loads.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            Ok::<_, AwsError>(vec![1, 2, 3])
        };
        let (a, b) = tokio::join!(reads.get("k", load), reads.get("k", load));
        assert_eq!(*a.unwrap(), vec![1, 2, 3]);
        assert_eq!(*b.unwrap(), vec![1, 2, 3]);
        assert_eq!(loads.load(Ordering::SeqCst), 1);

        let failed = reads
            .get::<u32, _, _>("f", || async { Err(AwsError::unexpected("boom")) })
            .await;
        assert!(failed.is_err());
        let retried = reads.get("f", || async { Ok::<u32, AwsError>(7) }).await;
        assert_eq!(*retried.unwrap(), 7);

        let wrong = reads.get::<u32, _, _>("k", || async { Ok(0) }).await;
        assert!(
            wrong.is_err(),
            "a key read as another type is an error, not a panic"
        );
    }

    #[tokio::test]
    async fn cleared_reads_load_again() {
        let reads = Reads::new();
        let loads = AtomicUsize::new(0);
        let load = || async { Ok::<_, AwsError>(loads.fetch_add(1, Ordering::SeqCst)) };
        assert_eq!(*reads.get("k", load).await.unwrap(), 0);
        assert_eq!(*reads.get("k", load).await.unwrap(), 0, "kept");
        reads.clear();
        assert_eq!(*reads.get("k", load).await.unwrap(), 1, "read afresh");
        assert_eq!(loads.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn created_containers_are_forgotten_with_the_listings() {
        let reads = Reads::new();
        assert!(!reads.created_in_run("vpc-1"));
        reads.mark_created("vpc-1");
        assert!(reads.created_in_run("vpc-1"));
        assert!(!reads.created_in_run("vpc-2"));
        reads.clear();
        assert!(
            !reads.created_in_run("vpc-1"),
            "after a failed attempt the retry must look again"
        );
    }

    #[test]
    fn scopes_are_per_environment_and_invalidated() {
        let scopes = ReadScopes::new();
        let a = scopes.of("a");
        assert!(Arc::ptr_eq(&a, &scopes.of("a")));
        assert!(!Arc::ptr_eq(&a, &scopes.of("b")));
        scopes.invalidate("a");
        assert!(!Arc::ptr_eq(&a, &scopes.of("a")));
    }
}
