//! The generic executor: runs a plan's operations against an [`Executor`], in dependency
//! waves, recording every completed step in the ledger. It knows no AWS kind.
//!
//! # Expected Flow
//! 1. Children being replaced are deleted, dependents first; kinds that create before they
//!    destroy (a certificate in use) are set aside as retired instead.
//! 2. Creates, updates and the creates of replacements run in dependency waves, concurrently
//!    within a wave. An update whose recorded references name IDs that changed (a gateway
//!    recreated) sees them as changed, so the kind points the child at the new ones.
//! 3. Children no longer wanted, and retired ones, are deleted, dependents first, once nothing
//!    that stays refers to them.
//!
//! # Guarantees
//! - The ledger is updated synchronously right after each step completes, so whatever the
//!   outcome, it lists exactly what exists as far as this run knows.
//! - A failed step stops its dependents (they are skipped, not attempted); independent
//!   children carry on.
//! - A child is never deleted while a child that stays still refers to it, unless that child
//!   is being updated in this run to follow the replacement (a route to a replaced gateway).
//! - A stale read never duplicates a child. Adopt-first lookups may read listings the executor
//!   shares between steps (one per kind and scope, [`Executor::forget_reads`]); the engine
//!   forgets them when a run starts, after every delete, and after every failed attempt of any
//!   step, before its retry. So a listing a create reads was taken in this run after its last
//!   delete and its last failure: it can lack only children this run created since, and those
//!   are recorded, so nothing creates them again. A create whose answer was lost after AWS
//!   acted (a dropped connection) failed its attempt; its retry reads AWS afresh and adopts the
//!   object instead of making a second one.
//!
//! # Assumptions
//! Every executor step is idempotent: create adopts what carries its ownership tags, delete
//! treats absence as success. Re-running after any prefix of a run is therefore safe.
//!
//! # Caveats
//! Cancellation (StopProvider) and the deadline are checked between steps and between retry
//! attempts; a call in flight completes and is recorded.
//!
//! # Errors
//! Returned in [`Outcome::errors`], one per failed step; [`Outcome::interrupted`] says that
//! cancellation skipped work.

pub mod retry;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Mutex;

use async_trait::async_trait;
use futures::stream::{self, StreamExt};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::aws::kind::Follow;
use crate::plan::diff::Op;
use crate::plan::graph;
use crate::plan::ledger::{Ledger, Recorded};
use crate::plan::node::{Node, NodeKey};

use retry::RetryPolicy;

/// Why a step failed, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Throttling: retry.
    Throttled,
    /// 5xx, dropped connections: retry.
    Transient,
    /// Something still depends on the object (typical during deletes): retry.
    DependencyViolation,
    /// Eventual consistency, e.g. a new IAM role not yet usable: retry.
    NotYetPropagated,
    /// The deadline passed.
    Timeout,
    /// A referenced child has no AWS ID in the ledger.
    MissingDependency,
    /// StopProvider was called.
    Interrupted,
    /// Anything else: retrying will not help until the input changes.
    Permanent,
}

/// A failed step, without secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepError {
    pub kind: ErrorKind,
    pub message: String,
}

impl StepError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> StepError {
        StepError {
            kind,
            message: message.into(),
        }
    }

    pub fn timeout() -> StepError {
        StepError::new(
            ErrorKind::Timeout,
            "timed out; raise the resource's timeouts to wait longer",
        )
    }

    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Throttled
                | ErrorKind::Transient
                | ErrorKind::DependencyViolation
                | ErrorKind::NotYetPropagated
        )
    }
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StepError {}

/// Node key ⇄ AWS ID lookups over a ledger snapshot.
#[derive(Debug, Clone, Default)]
pub struct IdMap {
    by_key: BTreeMap<NodeKey, String>,
    by_id: BTreeMap<String, NodeKey>,
}

impl IdMap {
    pub fn from_ledger(ledger: &Ledger) -> IdMap {
        let mut map = IdMap::default();
        for (key, id) in &ledger.external {
            map.by_key.insert(key.clone(), id.clone());
            map.by_id.insert(id.clone(), key.clone());
        }
        for (key, recorded) in &ledger.children {
            map.by_key.insert(key.clone(), recorded.id.clone());
            map.by_id.insert(recorded.id.clone(), key.clone());
        }
        map
    }

    /// The AWS ID of a referenced child.
    ///
    /// # Errors
    /// `MissingDependency` when the child is not recorded.
    pub fn id(&self, key: &NodeKey) -> Result<&str, StepError> {
        self.by_key.get(key).map(String::as_str).ok_or_else(|| {
            StepError::new(
                ErrorKind::MissingDependency,
                format!("{key} does not exist yet"),
            )
        })
    }

    pub fn key_of(&self, id: &str) -> Option<&NodeKey> {
        self.by_id.get(id)
    }

    /// Every node key with its AWS ID, recorded children and external references alike.
    pub fn entries(&self) -> impl Iterator<Item = (&NodeKey, &str)> {
        self.by_key.iter().map(|(key, id)| (key, id.as_str()))
    }
}

/// Performs steps on one cloud. Implementations are idempotent (module docs).
#[async_trait]
pub trait Executor: Send + Sync {
    /// Creates the child, or adopts an existing one that carries its ownership tags.
    async fn create(&self, node: &Node, ids: &IdMap) -> Result<Recorded, StepError>;

    /// Brings an existing child to `node.spec` in place.
    async fn update(
        &self,
        node: &Node,
        current: &Recorded,
        ids: &IdMap,
    ) -> Result<Recorded, StepError>;

    /// Deletes a child; absence counts as success.
    async fn delete(&self, key: &NodeKey, current: &Recorded, ids: &IdMap)
        -> Result<(), StepError>;

    /// Finds an existing child carrying its ownership tags without changing anything (import
    /// and discovery); `None` when there is none.
    async fn find(&self, node: &Node, ids: &IdMap) -> Result<Option<Recorded>, StepError>;

    /// Reads a child as it is now; `None` when it no longer exists.
    async fn observe(
        &self,
        key: &NodeKey,
        current: &Recorded,
        ids: &IdMap,
    ) -> Result<Option<Recorded>, StepError>;

    /// Forgets the reads the executor shares between steps (the listings its adopt-first
    /// lookups read), so the next step asks AWS afresh. The engine calls it when a run starts,
    /// after every delete and after every failed attempt, before any retry (module docs). The
    /// default, for executors that share nothing, does nothing.
    fn forget_reads(&self) {}
}

/// Limits of one run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Steps in flight at once within a wave.
    pub concurrency: usize,
    pub cancel: CancellationToken,
    pub deadline: Instant,
}

/// A failed step with its node and operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyError {
    pub key: NodeKey,
    /// "creating", "updating", "deleting", "reading".
    pub action: &'static str,
    pub source: StepError,
}

impl ApplyError {
    /// "creating EC2 Subnet (ec2.subnet/public/use1-az1)".
    pub fn summary(&self) -> String {
        let kind = self.key.kind().map_or("child", |k| k.display_name());
        format!("{} {kind} ({})", self.action, self.key)
    }
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.summary(), self.source)
    }
}

/// What a run leaves behind.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub ledger: Ledger,
    pub errors: Vec<ApplyError>,
    /// Cancellation skipped work: the run stopped between steps.
    pub interrupted: bool,
}

impl Outcome {
    pub fn is_complete(&self) -> bool {
        self.errors.is_empty() && !self.interrupted
    }
}

enum Step {
    Create,
    Update,
    Delete,
}

struct Runner<'a> {
    executor: &'a dyn Executor,
    opts: &'a RunOptions,
    policy: RetryPolicy,
    ledger: Mutex<Ledger>,
    errors: Mutex<Vec<ApplyError>>,
    /// Failed or skipped nodes: their dependents are skipped too.
    blocked: Mutex<BTreeSet<NodeKey>>,
    /// Children this run updates in place: they may still refer to a child being replaced,
    /// because their update points them at the new one.
    updating: BTreeSet<NodeKey>,
    interrupted: Mutex<bool>,
}

impl Runner<'_> {
    fn snapshot(&self) -> (Ledger, IdMap) {
        let ledger = self.ledger.lock().map(|l| l.clone()).unwrap_or_default();
        let ids = IdMap::from_ledger(&ledger);
        (ledger, ids)
    }

    fn fail(&self, key: &NodeKey, action: &'static str, source: StepError) {
        if let Ok(mut blocked) = self.blocked.lock() {
            blocked.insert(key.clone());
        }
        if let Ok(mut errors) = self.errors.lock() {
            errors.push(ApplyError {
                key: key.clone(),
                action,
                source,
            });
        }
    }

    fn block(&self, key: &NodeKey) {
        if let Ok(mut blocked) = self.blocked.lock() {
            blocked.insert(key.clone());
        }
    }

    fn is_blocked(&self, key: &NodeKey) -> bool {
        self.blocked.lock().map(|b| b.contains(key)).unwrap_or(true)
    }

    /// True when the step may start; records an interruption otherwise.
    fn may_start(&self) -> bool {
        if self.opts.cancel.is_cancelled() {
            if let Ok(mut i) = self.interrupted.lock() {
                *i = true;
            }
            return false;
        }
        true
    }

    async fn wave(&self, keys: Vec<NodeKey>, step_of: impl Fn(&NodeKey) -> (Step, Option<Node>)) {
        let jobs = keys.into_iter().map(|key| {
            let (step, node) = step_of(&key);
            (key, step, node)
        });
        stream::iter(jobs)
            .map(|(key, step, node)| self.one(key, step, node))
            .buffer_unordered(self.opts.concurrency.max(1))
            .for_each(|()| async {})
            .await;
    }

    /// One attempt of a step. A failed attempt may have changed AWS all the same (a create
    /// whose answer was lost), so the shared reads are forgotten before the retry, or any
    /// other step, reads them again.
    async fn attempt<T>(
        &self,
        step: impl std::future::Future<Output = Result<T, StepError>>,
    ) -> Result<T, StepError> {
        let result = step.await;
        if result.is_err() {
            self.executor.forget_reads();
        }
        result
    }

    /// Records a completed delete; the shared reads are forgotten, so no later lookup of this
    /// run sees the object deleted.
    fn deleted(&self, key: &NodeKey) {
        self.executor.forget_reads();
        self.record(key, None);
    }

    async fn one(&self, key: NodeKey, step: Step, node: Option<Node>) {
        if !self.may_start() {
            self.block(&key);
            return;
        }
        let (ledger, ids) = self.snapshot();
        let current = ledger.children.get(&key).cloned();
        let deadline = self.opts.deadline;
        let cancel = &self.opts.cancel;
        match (step, node, current) {
            (Step::Create, Some(node), _) => {
                tracing::info!(node = %key, "creating");
                match retry::with_backoff(self.policy, deadline, cancel, || {
                    self.attempt(self.executor.create(&node, &ids))
                })
                .await
                {
                    Ok(recorded) => self.record(&key, Some(recorded)),
                    Err(e) => self.fail(&key, "creating", e),
                }
            }
            (Step::Update, Some(node), Some(current)) => {
                tracing::info!(node = %key, "updating");
                let current = current.as_seen_now(|k| ids.id(k).ok());
                match retry::with_backoff(self.policy, deadline, cancel, || {
                    self.attempt(self.executor.update(&node, &current, &ids))
                })
                .await
                {
                    Ok(recorded) => self.record(&key, Some(recorded)),
                    Err(e) => self.fail(&key, "updating", e),
                }
            }
            (Step::Delete, _, Some(current)) => {
                tracing::info!(node = %key, "deleting");
                match retry::with_backoff(self.policy, deadline, cancel, || {
                    self.attempt(self.executor.delete(&key, &current, &ids))
                })
                .await
                {
                    Ok(()) => self.deleted(&key),
                    Err(e) => self.fail(&key, "deleting", e),
                }
            }
            // Nothing recorded to delete or update: already in the wanted state, or a bug
            // upstream that must not touch AWS.
            (Step::Delete, _, None) => {}
            (_, _, _) => self.fail(
                &key,
                "planning",
                StepError::new(
                    ErrorKind::Permanent,
                    "inconsistent operation for this child",
                ),
            ),
        }
    }

    fn record(&self, key: &NodeKey, recorded: Option<Recorded>) {
        if let Ok(mut ledger) = self.ledger.lock() {
            match recorded {
                Some(r) => {
                    ledger.children.insert(key.clone(), r);
                }
                None => {
                    ledger.children.remove(key);
                }
            }
        }
    }

    /// Deletes `keys` from the ledger in reverse dependency order. A child is kept while a
    /// recorded child outside `keys`, or one whose deletion failed, still refers to it.
    async fn delete_all(&self, keys: &BTreeSet<NodeKey>) {
        let (ledger, _) = self.snapshot();
        let subset = Ledger {
            children: ledger
                .children
                .iter()
                .filter(|(k, _)| keys.contains(*k))
                .map(|(k, r)| (k.clone(), r.clone()))
                .collect(),
            ..ledger.clone()
        };
        let waves = match graph::delete_waves(&subset) {
            Ok(w) => w,
            Err(cycle) => {
                for key in cycle {
                    self.fail(
                        &key,
                        "deleting",
                        StepError::new(
                            ErrorKind::Permanent,
                            "reference cycle among recorded children",
                        ),
                    );
                }
                return;
            }
        };
        for wave in waves {
            let (now, _) = self.snapshot();
            let mut ready = Vec::new();
            for key in wave {
                let holder = now.children.iter().find(|(k, r)| {
                    *k != &key
                        && (!keys.contains(*k) || self.is_blocked(k))
                        && r.observed.links().iter().any(|link| {
                            link.key == &key
                                && !(link.follow != Follow::Replace
                                    && self.updating.contains(*k)
                                    && !self.is_blocked(k))
                        })
                });
                match holder {
                    Some((holder, _)) if keys.contains(holder) => self.block(&key),
                    Some((holder, _)) => self.fail(
                        &key,
                        "deleting",
                        StepError::new(
                            ErrorKind::Permanent,
                            format!("still referenced by {holder}, which stays"),
                        ),
                    ),
                    None => ready.push(key),
                }
            }
            self.wave(ready, |_| (Step::Delete, None)).await;
        }
    }

    /// Sets aside the recorded objects of `keys` as retired, so their replacements are created
    /// first; an older retired object of the same key is deleted before.
    async fn retire(&self, keys: &BTreeSet<NodeKey>) {
        for key in keys {
            self.delete_retired(Some(key)).await;
            if let Ok(mut ledger) = self.ledger.lock() {
                if let Some(old) = ledger.children.remove(key) {
                    ledger.retired.insert(key.clone(), old);
                }
            }
        }
    }

    /// Deletes retired objects (of `only` one key, or all); a failure keeps them recorded.
    async fn delete_retired(&self, only: Option<&NodeKey>) {
        let (ledger, ids) = self.snapshot();
        for (key, old) in ledger.retired {
            if only.is_some_and(|k| k != &key) || !self.may_start() {
                continue;
            }
            tracing::info!(node = %key, "deleting the replaced object");
            let deleted =
                retry::with_backoff(self.policy, self.opts.deadline, &self.opts.cancel, || {
                    self.attempt(self.executor.delete(&key, &old, &ids))
                })
                .await;
            match deleted {
                Ok(()) => {
                    self.executor.forget_reads();
                    if let Ok(mut ledger) = self.ledger.lock() {
                        ledger.retired.remove(&key);
                    }
                }
                Err(e) => self.fail(&key, "deleting", e),
            }
        }
    }

    fn finish(self) -> Outcome {
        let ledger = self.ledger.into_inner().unwrap_or_default();
        let errors = self.errors.into_inner().unwrap_or_default();
        let interrupted = self.interrupted.into_inner().unwrap_or(false);
        Outcome {
            ledger,
            errors,
            interrupted,
        }
    }
}

fn runner<'a>(
    executor: &'a dyn Executor,
    ledger: Ledger,
    opts: &'a RunOptions,
    updating: BTreeSet<NodeKey>,
) -> Runner<'a> {
    Runner {
        executor,
        opts,
        policy: RetryPolicy::default(),
        ledger: Mutex::new(ledger),
        errors: Mutex::new(Vec::new()),
        blocked: Mutex::new(BTreeSet::new()),
        updating,
        interrupted: Mutex::new(false),
    }
}

/// Applies `ops` (from `plan::diff`) to reach `desired`.
///
/// # Errors
/// In the outcome, alongside the ledger of what exists.
///
/// # Cancel Safety
/// Cancel through `opts.cancel`, not by dropping the future: dropping loses the record of
/// steps in flight.
///
/// # Remarks
/// The returned ledger is wholly known and partial on failure; callers return it with the
/// errors so Terraform records what exists.
pub async fn run(
    executor: &dyn Executor,
    desired: &BTreeMap<NodeKey, Node>,
    ops: &[Op],
    ledger: Ledger,
    opts: RunOptions,
) -> Outcome {
    let updating = ops
        .iter()
        .filter_map(|op| match op {
            Op::Update(k) => Some(k.clone()),
            _ => None,
        })
        .collect();
    // Whatever the executor read before this run may predate its changes.
    executor.forget_reads();
    let runner = runner(executor, ledger, &opts, updating);
    let (retired, replaced): (BTreeSet<NodeKey>, BTreeSet<NodeKey>) = ops
        .iter()
        .filter_map(|op| match op {
            Op::Replace(k) => Some(k.clone()),
            _ => None,
        })
        .partition(|k| k.kind().is_some_and(|kind| kind.create_before_destroy()));
    runner.retire(&retired).await;
    runner.delete_all(&replaced).await;
    // A replacement whose old object could not be deleted must not be created twice.
    let kept_old: BTreeSet<NodeKey> = replaced
        .iter()
        .filter(|k| runner.is_blocked(k))
        .cloned()
        .collect();

    let work: BTreeMap<NodeKey, Node> = ops
        .iter()
        .filter(|op| matches!(op, Op::Create(_) | Op::Update(_) | Op::Replace(_)))
        .filter_map(|op| desired.get(op.key()).map(|n| (n.key.clone(), n.clone())))
        .filter(|(k, _)| !kept_old.contains(k))
        .collect();
    let steps: BTreeMap<NodeKey, bool> = ops
        .iter()
        .map(|op| (op.key().clone(), matches!(op, Op::Update(_))))
        .collect();
    match graph::create_waves(&work) {
        Ok(waves) => {
            for wave in waves {
                let mut ready = Vec::new();
                for key in wave {
                    let node = &work[&key];
                    if node.spec.references().iter().any(|r| runner.is_blocked(r)) {
                        runner.block(&key);
                    } else {
                        ready.push(key);
                    }
                }
                runner
                    .wave(ready, |key| {
                        let step = if steps.get(key).copied().unwrap_or(false) {
                            Step::Update
                        } else {
                            Step::Create
                        };
                        (step, work.get(key).cloned())
                    })
                    .await;
            }
        }
        Err(cycle) => {
            for key in cycle {
                runner.fail(
                    &key,
                    "planning",
                    StepError::new(ErrorKind::Permanent, "reference cycle in the desired graph"),
                );
            }
        }
    }

    let deleted: BTreeSet<NodeKey> = ops
        .iter()
        .filter_map(|op| match op {
            Op::Delete(k) => Some(k.clone()),
            _ => None,
        })
        .collect();
    runner.delete_all(&deleted).await;
    runner.delete_retired(None).await;
    runner.finish()
}

/// Deletes every recorded child, dependents first, tolerating children already gone.
///
/// # Errors
/// In the outcome; the ledger then lists what still exists.
pub async fn destroy(executor: &dyn Executor, ledger: Ledger, opts: RunOptions) -> Outcome {
    let keys: BTreeSet<NodeKey> = ledger.children.keys().cloned().collect();
    executor.forget_reads();
    let runner = runner(executor, ledger, &opts, BTreeSet::new());
    runner.delete_retired(None).await;
    runner.delete_all(&keys).await;
    runner.finish()
}

/// Adds to the ledger every desired child that is not recorded but exists in AWS with its
/// ownership tags (after an import, or a run that died before recording). Works in creation
/// waves, so references resolve; never changes anything in AWS.
pub async fn adopt_existing(
    executor: &dyn Executor,
    desired: &BTreeMap<NodeKey, Node>,
    ledger: Ledger,
    opts: RunOptions,
) -> (Ledger, Vec<ApplyError>) {
    let mut ledger = ledger;
    let mut errors = Vec::new();
    let waves = match graph::create_waves(desired) {
        Ok(w) => w,
        Err(_) => return (ledger, errors),
    };
    for wave in waves {
        let ids = IdMap::from_ledger(&ledger);
        let missing: Vec<Node> = wave
            .iter()
            .filter(|k| !ledger.children.contains_key(*k))
            .filter_map(|k| desired.get(k).cloned())
            .collect();
        let ids = &ids;
        let opts = &opts;
        let found: Vec<(NodeKey, Result<Option<Recorded>, StepError>)> = stream::iter(missing)
            .map(|node| async move {
                let result = retry::with_backoff(
                    RetryPolicy::default(),
                    opts.deadline,
                    &opts.cancel,
                    || executor.find(&node, ids),
                )
                .await;
                (node.key.clone(), result)
            })
            .buffer_unordered(opts.concurrency.max(1))
            .collect()
            .await;
        for (key, result) in found {
            match result {
                Ok(Some(recorded)) => {
                    ledger.children.insert(key, recorded);
                }
                Ok(None) => {}
                Err(source) => errors.push(ApplyError {
                    key,
                    action: "finding",
                    source,
                }),
            }
        }
    }
    (ledger, errors)
}

/// Observes every recorded child. Returns the refreshed ledger (children gone are dropped,
/// changed ones carry what AWS reports), one drift line per difference, and read errors.
pub async fn observe_all(
    executor: &dyn Executor,
    ledger: &Ledger,
    opts: RunOptions,
) -> (Ledger, Vec<String>, Vec<ApplyError>) {
    let ids = IdMap::from_ledger(ledger);
    let jobs: Vec<(NodeKey, Recorded)> = ledger
        .children
        .iter()
        .map(|(k, r)| (k.clone(), r.clone()))
        .collect();
    let ids = &ids;
    let opts = &opts;
    let results: Vec<(NodeKey, Result<Option<Recorded>, StepError>)> = stream::iter(jobs)
        .map(|(key, recorded)| async move {
            let result =
                retry::with_backoff(RetryPolicy::default(), opts.deadline, &opts.cancel, || {
                    executor.observe(&key, &recorded, ids)
                })
                .await;
            (key, result)
        })
        .buffer_unordered(opts.concurrency.max(1))
        .collect()
        .await;
    let mut refreshed = ledger.clone();
    let mut drift = Vec::new();
    let mut errors = Vec::new();
    // Retired objects that vanished need no deleting any more.
    for (key, old) in &ledger.retired {
        let gone = retry::with_backoff(RetryPolicy::default(), opts.deadline, &opts.cancel, || {
            executor.observe(key, old, ids)
        })
        .await;
        if let Ok(None) = gone {
            refreshed.retired.remove(key);
        }
    }
    for (key, result) in results {
        match result {
            Ok(None) => {
                refreshed.children.remove(&key);
                drift.push(format!("{key}: deleted outside Terraform"));
            }
            Ok(Some(now)) => {
                if let Some(before) = ledger.children.get(&key) {
                    if before.observed != now.observed {
                        drift.push(format!(
                            "{key}: {} changed outside Terraform",
                            before.observed.changed_fields(&now.observed).join(", ")
                        ));
                    }
                }
                refreshed.children.insert(key, now);
            }
            Err(source) => errors.push(ApplyError {
                key,
                action: "reading",
                source,
            }),
        }
    }
    drift.sort();
    (refreshed, drift, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::acm::certificate::CertificateSpec;
    use crate::aws::ec2::nat_gateway::NatGatewaySpec;
    use crate::aws::ec2::route::{RouteSpec, RouteTarget};
    use crate::aws::ec2::route_table::RouteTableSpec;
    use crate::aws::elbv2::listener::{CertificateSource, ListenerDefault, ListenerSpec};
    use crate::plan::diff::diff;
    use crate::plan::node::{ChildSpec, Kind};

    /// Records every step and what an update was handed; creates name objects `new-<n>`.
    #[derive(Default)]
    struct Recording {
        steps: Mutex<Vec<String>>,
        updated_from: Mutex<Vec<ChildSpec>>,
    }

    #[async_trait]
    impl Executor for Recording {
        async fn create(&self, node: &Node, ids: &IdMap) -> Result<Recorded, StepError> {
            let mut steps = self.steps.lock().unwrap();
            steps.push(format!("create {}", node.key));
            let id = format!("new-{}", steps.len());
            let refs = node
                .spec
                .references()
                .into_iter()
                .filter_map(|k| Some((k.clone(), ids.id(k).ok()?.to_string())))
                .collect();
            Ok(Recorded {
                id,
                observed: node.spec.clone(),
                refs,
            })
        }

        async fn update(
            &self,
            node: &Node,
            current: &Recorded,
            ids: &IdMap,
        ) -> Result<Recorded, StepError> {
            self.steps
                .lock()
                .unwrap()
                .push(format!("update {}", node.key));
            self.updated_from
                .lock()
                .unwrap()
                .push(current.observed.clone());
            let refs = node
                .spec
                .references()
                .into_iter()
                .filter_map(|k| Some((k.clone(), ids.id(k).ok()?.to_string())))
                .collect();
            Ok(Recorded {
                id: current.id.clone(),
                observed: node.spec.clone(),
                refs,
            })
        }

        async fn delete(
            &self,
            key: &NodeKey,
            current: &Recorded,
            _ids: &IdMap,
        ) -> Result<(), StepError> {
            self.steps
                .lock()
                .unwrap()
                .push(format!("delete {key} {}", current.id));
            Ok(())
        }

        async fn find(&self, _node: &Node, _ids: &IdMap) -> Result<Option<Recorded>, StepError> {
            Ok(None)
        }

        async fn observe(
            &self,
            _key: &NodeKey,
            current: &Recorded,
            _ids: &IdMap,
        ) -> Result<Option<Recorded>, StepError> {
            Ok(Some(current.clone()))
        }
    }

    fn opts() -> RunOptions {
        RunOptions {
            concurrency: 4,
            cancel: CancellationToken::new(),
            deadline: Instant::now() + std::time::Duration::from_secs(60),
        }
    }

    fn node(key: &NodeKey, spec: ChildSpec) -> (NodeKey, Node) {
        (
            key.clone(),
            Node {
                key: key.clone(),
                spec,
            },
        )
    }

    fn table_key() -> NodeKey {
        NodeKey::new(Kind::RouteTable, &["private"])
    }

    fn nat_key() -> NodeKey {
        NodeKey::new(Kind::NatGateway, &["az1"])
    }

    fn route_key() -> NodeKey {
        NodeKey::new(Kind::Route, &["private", "default"])
    }

    fn network(eip: &str) -> BTreeMap<NodeKey, Node> {
        [
            node(
                &table_key(),
                ChildSpec::RouteTable(RouteTableSpec {
                    vpc: NodeKey::new(Kind::Vpc, &[]),
                    tags: Default::default(),
                }),
            ),
            node(
                &nat_key(),
                ChildSpec::NatGateway(NatGatewaySpec {
                    subnet: NodeKey::new(Kind::Subnet, &["public", "az1"]),
                    eip: NodeKey::new(Kind::ElasticIp, &[eip]),
                    internet_gateway: NodeKey::new(Kind::InternetGateway, &[]),
                    tags: Default::default(),
                }),
            ),
            node(
                &route_key(),
                ChildSpec::Route(RouteSpec {
                    route_table: table_key(),
                    destination_cidr: "0.0.0.0/0".into(),
                    target: RouteTarget::NatGateway(nat_key()),
                }),
            ),
        ]
        .into()
    }

    fn recorded(desired: &BTreeMap<NodeKey, Node>, ids: &[(&NodeKey, &str)]) -> Ledger {
        let mut ledger = Ledger::new();
        for (key, id) in ids {
            ledger.children.insert(
                (*key).clone(),
                Recorded::new(*id, desired[*key].spec.clone()),
            );
        }
        for key in [table_key(), nat_key(), route_key()] {
            let refs: BTreeMap<NodeKey, String> = desired[&key]
                .spec
                .references()
                .into_iter()
                .filter_map(|k| Some((k.clone(), ledger.id_of(k)?.to_string())))
                .collect();
            if let Some(r) = ledger.children.get_mut(&key) {
                r.refs = refs;
            }
        }
        ledger
    }

    /// Fails the first attempt of every create and delete with a transient error, logging
    /// every attempt and every time its shared reads are forgotten.
    #[derive(Default)]
    struct FailsOnce {
        log: Mutex<Vec<String>>,
    }

    impl FailsOnce {
        fn attempt(&self, what: String) -> Result<(), StepError> {
            let mut log = self.log.lock().unwrap();
            let first = !log.contains(&what);
            log.push(what);
            if first {
                Err(StepError::new(ErrorKind::Transient, "connection dropped"))
            } else {
                Ok(())
            }
        }
    }

    #[async_trait]
    impl Executor for FailsOnce {
        async fn create(&self, node: &Node, _ids: &IdMap) -> Result<Recorded, StepError> {
            self.attempt(format!("create {}", node.key))?;
            Ok(Recorded::new("new", node.spec.clone()))
        }

        async fn update(
            &self,
            _node: &Node,
            current: &Recorded,
            _ids: &IdMap,
        ) -> Result<Recorded, StepError> {
            Ok(current.clone())
        }

        async fn delete(
            &self,
            key: &NodeKey,
            _current: &Recorded,
            _ids: &IdMap,
        ) -> Result<(), StepError> {
            self.attempt(format!("delete {key}"))
        }

        async fn find(&self, _node: &Node, _ids: &IdMap) -> Result<Option<Recorded>, StepError> {
            Ok(None)
        }

        async fn observe(
            &self,
            _key: &NodeKey,
            current: &Recorded,
            _ids: &IdMap,
        ) -> Result<Option<Recorded>, StepError> {
            Ok(Some(current.clone()))
        }

        fn forget_reads(&self) {
            self.log.lock().unwrap().push("forget".into());
        }
    }

    #[tokio::test(start_paused = true)]
    async fn shared_reads_are_forgotten_at_the_start_after_failures_and_after_deletes() {
        let desired: BTreeMap<NodeKey, Node> = network("a")
            .into_iter()
            .filter(|(key, _)| *key == table_key())
            .collect();
        let executor = FailsOnce::default();
        let ops = diff(&desired, &Ledger::new());
        let outcome = run(&executor, &desired, &ops, Ledger::new(), opts()).await;
        assert!(outcome.is_complete(), "{:?}", outcome.errors);
        let create = format!("create {}", table_key());
        assert_eq!(
            *executor.log.lock().unwrap(),
            ["forget", &create, "forget", &create],
            "the retry reads afresh"
        );

        let executor = FailsOnce::default();
        let outcome = destroy(&executor, outcome.ledger, opts()).await;
        assert!(outcome.is_complete(), "{:?}", outcome.errors);
        let delete = format!("delete {}", table_key());
        assert_eq!(
            *executor.log.lock().unwrap(),
            ["forget", &delete, "forget", &delete, "forget"],
            "a completed delete is forgotten too"
        );
    }

    #[tokio::test]
    async fn a_recreated_gateway_moves_its_route_in_the_same_run() {
        let desired = network("a");
        let mut ledger = recorded(
            &desired,
            &[
                (&table_key(), "rtb-1"),
                (&nat_key(), "nat-old"),
                (&route_key(), "rtb-1|0.0.0.0/0"),
            ],
        );
        // The gateway vanished: a refresh dropped it from the ledger.
        ledger.children.remove(&nat_key());
        let ops = diff(&desired, &ledger);
        let executor = Recording::default();
        let outcome = run(&executor, &desired, &ops, ledger, opts()).await;
        assert!(outcome.is_complete(), "{:?}", outcome.errors);
        assert_eq!(
            *executor.steps.lock().unwrap(),
            [
                format!("create {}", nat_key()),
                format!("update {}", route_key())
            ]
        );
        // The update saw the old gateway as a different target, so the kind replaces it.
        let ChildSpec::Route(before) = &executor.updated_from.lock().unwrap()[0] else {
            panic!("a route");
        };
        assert_eq!(
            before.target,
            RouteTarget::NatGateway(NodeKey::new(Kind::NatGateway, &["external", "nat-old"]))
        );
        let route = &outcome.ledger.children[&route_key()];
        assert_eq!(
            route.refs[&nat_key()],
            outcome.ledger.children[&nat_key()].id
        );
    }

    #[tokio::test]
    async fn a_replaced_gateway_is_deleted_while_its_route_follows_in_place() {
        let before = network("a");
        let ledger = recorded(
            &before,
            &[
                (&table_key(), "rtb-1"),
                (&nat_key(), "nat-1"),
                (&route_key(), "rtb-1|0.0.0.0/0"),
            ],
        );
        let desired = network("b");
        let ops = diff(&desired, &ledger);
        let executor = Recording::default();
        let outcome = run(&executor, &desired, &ops, ledger, opts()).await;
        assert!(outcome.is_complete(), "{:?}", outcome.errors);
        assert_eq!(
            *executor.steps.lock().unwrap(),
            [
                format!("delete {} nat-1", nat_key()),
                format!("create {}", nat_key()),
                format!("update {}", route_key()),
            ]
        );
    }

    #[tokio::test]
    async fn a_certificate_in_use_is_replaced_before_the_old_one_goes() {
        let cert = NodeKey::new(Kind::Certificate, &[]);
        let listener = NodeKey::new(Kind::Listener, &["https"]);
        let graph = |domain: &str| -> BTreeMap<NodeKey, Node> {
            [
                node(
                    &cert,
                    ChildSpec::Certificate(CertificateSpec {
                        domain: domain.into(),
                        alternative_names: vec![],
                        tags: Default::default(),
                    }),
                ),
                node(
                    &listener,
                    ChildSpec::Listener(ListenerSpec {
                        load_balancer: NodeKey::new(Kind::LoadBalancer, &[]),
                        port: 443,
                        protocol: "HTTPS".into(),
                        ssl_policy: None,
                        certificate: Some(CertificateSource::Node(cert.clone())),
                        default_action: ListenerDefault::NotFound,
                        tags: Default::default(),
                    }),
                ),
            ]
            .into()
        };
        let before = graph("a.example.com");
        let mut ledger = Ledger::new();
        ledger.children.insert(
            cert.clone(),
            Recorded::new("cert-old", before[&cert].spec.clone()),
        );
        let mut on_listener = Recorded::new("listener-1", before[&listener].spec.clone());
        on_listener.refs.insert(cert.clone(), "cert-old".into());
        ledger.children.insert(listener.clone(), on_listener);
        let desired = graph("b.example.com");
        let ops = diff(&desired, &ledger);
        assert!(ops.contains(&Op::Replace(cert.clone())));
        assert!(ops.contains(&Op::Update(listener.clone())));
        let executor = Recording::default();
        let outcome = run(&executor, &desired, &ops, ledger, opts()).await;
        assert!(outcome.is_complete(), "{:?}", outcome.errors);
        assert_eq!(
            *executor.steps.lock().unwrap(),
            [
                format!("create {cert}"),
                format!("update {listener}"),
                format!("delete {cert} cert-old"),
            ]
        );
        assert!(outcome.ledger.retired.is_empty());
    }
}
