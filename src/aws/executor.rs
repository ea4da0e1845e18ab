//! The engine's executor for every child kind: each step goes to the kind's [`AwsKind`]
//! implementation through the registry's exhaustive dispatch.
//!
//! [`AwsKind`]: super::kind::AwsKind

use std::sync::Arc;

use async_trait::async_trait;

use super::common::reads::Reads;
use super::dispatch;
use super::error::AwsError;
use super::kind::Cx;
use super::AwsClients;
use crate::apply::{ErrorKind, IdMap, StepError};
use crate::plan::ledger::Recorded;
use crate::plan::node::{ChildSpec, Node, NodeKey};

/// Runs steps against AWS. Observations and adopt-first lookups read through `reads`: the
/// environment's shared reads for a refresh, fresh ones for apply and destroy, which the engine
/// forgets after every failed attempt (`apply::Executor::forget_reads`).
pub struct Executor {
    clients: AwsClients,
    reads: Arc<Reads>,
}

impl Executor {
    /// An executor whose observations are its own (nothing shared with other resources).
    pub fn new(clients: AwsClients) -> Executor {
        Executor::with_reads(clients, Arc::new(Reads::new()))
    }

    /// An executor observing through reads shared with the environment's other resources.
    pub fn with_reads(clients: AwsClients, reads: Arc<Reads>) -> Executor {
        Executor { clients, reads }
    }

    fn cx<'a>(&'a self, ids: &'a IdMap) -> Cx<'a> {
        Cx {
            clients: &self.clients,
            ids,
            reads: &self.reads,
        }
    }
}

/// A record of `spec` under `id`, with the IDs its references have now.
fn recorded(id: String, spec: ChildSpec, ids: &IdMap) -> Recorded {
    let refs = spec
        .references()
        .into_iter()
        .filter_map(|key| Some((key.clone(), ids.id(key).ok()?.to_string())))
        .collect();
    Recorded {
        id,
        observed: spec,
        refs,
    }
}

#[async_trait]
impl crate::apply::Executor for Executor {
    #[tracing::instrument(skip_all, fields(node = %node.key))]
    async fn create(&self, node: &Node, ids: &IdMap) -> Result<Recorded, StepError> {
        let id = dispatch::create(&self.cx(ids), &node.spec).await?;
        Ok(recorded(id, node.spec.clone(), ids))
    }

    #[tracing::instrument(skip_all, fields(node = %node.key))]
    async fn update(
        &self,
        node: &Node,
        current: &Recorded,
        ids: &IdMap,
    ) -> Result<Recorded, StepError> {
        match dispatch::update(&self.cx(ids), &current.id, &current.observed, &node.spec).await {
            Some(id) => Ok(recorded(id?, node.spec.clone(), ids)),
            None => Err(StepError::new(
                ErrorKind::Permanent,
                "the recorded child is of another kind",
            )),
        }
    }

    #[tracing::instrument(skip_all, fields(node = %key))]
    async fn delete(
        &self,
        key: &NodeKey,
        current: &Recorded,
        ids: &IdMap,
    ) -> Result<(), StepError> {
        Ok(dispatch::delete(&self.cx(ids), &current.id, &current.observed).await?)
    }

    #[tracing::instrument(skip_all, fields(node = %node.key))]
    async fn find(&self, node: &Node, ids: &IdMap) -> Result<Option<Recorded>, StepError> {
        let Some(id) = dispatch::find(&self.cx(ids), &node.spec).await? else {
            return Ok(None);
        };
        // Observed as it is, so the next plan shows any difference from the spec.
        let placeholder = recorded(id, node.spec.clone(), ids);
        self.observe(&node.key, &placeholder, ids).await
    }

    #[tracing::instrument(skip_all, fields(node = %key))]
    async fn observe(
        &self,
        key: &NodeKey,
        current: &Recorded,
        ids: &IdMap,
    ) -> Result<Option<Recorded>, StepError> {
        let observed = dispatch::observe(&self.cx(ids), &current.id, &current.observed).await?;
        Ok(observed.map(|spec| recorded(current.id.clone(), spec, ids)))
    }

    /// The listings observe and the adopt-first lookups share are read again from AWS.
    fn forget_reads(&self) {
        self.reads.clear();
    }
}

impl From<AwsError> for ErrorKind {
    fn from(error: AwsError) -> ErrorKind {
        StepError::from(error).kind
    }
}
