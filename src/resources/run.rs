//! What every adapter does around an engine run: its limits, and turning errors into
//! diagnostics.

use std::collections::BTreeMap;

use crate::apply::{self, ApplyError, Outcome, RunOptions};
use crate::aws;
use crate::framework::diag::{Diagnostic, Diagnostics};
use crate::framework::resource::{ApplyResponse, Ctx};
use crate::framework::value::Value;
use crate::plan::ledger::Ledger;
use crate::plan::node::{Node, NodeKey};
use crate::provider::Configured;
use crate::resources::environment::model::{timeout, DEFAULT_TIMEOUT};

/// Children worked on concurrently within one dependency wave.
pub const CONCURRENCY: usize = 8;

pub fn run_options(ctx: &Ctx, timeout: std::time::Duration) -> RunOptions {
    RunOptions {
        concurrency: CONCURRENCY,
        cancel: ctx.cancel.clone(),
        deadline: tokio::time::Instant::now() + timeout,
    }
}

/// One diagnostic per failed read or lookup.
pub fn error_diagnostics(errors: Vec<ApplyError>) -> Diagnostics {
    Diagnostics(
        errors
            .into_iter()
            .map(|e| Diagnostic::error(e.summary(), e.to_string()))
            .collect(),
    )
}

/// The errors of a create, update or delete, each with how to resume; `noun` names the
/// resource (`environment`, `resource`) in the hint.
pub fn outcome_diagnostics(outcome: &Outcome, noun: &str) -> Diagnostics {
    let hint = format!("Everything created so far is recorded in state. Run `terraform apply` again to continue; if Terraform marked the {noun} tainted, run `terraform untaint <address>` first to resume in place instead of replacing it.");
    let mut diags = Diagnostics::new();
    for error in &outcome.errors {
        diags.push(Diagnostic::error(
            error.summary(),
            format!("{error}\n\n{hint}"),
        ));
    }
    if outcome.interrupted {
        diags.push(Diagnostic::error(
            "Interrupted",
            format!("Terraform asked the provider to stop; the steps in flight finished and are recorded.\n\n{hint}"),
        ));
    }
    diags
}

/// Adds to the ledger the expected children that exist with our tags but are not recorded
/// (after an import, or a run that died before recording them).
pub async fn adopt_existing(
    ctx: &Ctx,
    configured: &Configured,
    nodes: &BTreeMap<NodeKey, Node>,
    ledger: Ledger,
) -> Result<Ledger, Diagnostics> {
    let (found, errors) = apply::adopt_existing(
        &aws::Executor::new(configured.clients.clone()),
        nodes,
        ledger,
        run_options(ctx, DEFAULT_TIMEOUT),
    )
    .await;
    if errors.is_empty() {
        Ok(found)
    } else {
        Err(error_diagnostics(errors))
    }
}

/// Deletes every child in `ledger` within the `delete` timeout of `prior_state`. The
/// response becomes null state when all are gone; otherwise it keeps the prior state with
/// the children that remain, and the errors.
pub async fn destroy_into(
    ctx: &Ctx,
    configured: &Configured,
    ledger: Ledger,
    prior_state: &Value,
    noun: &str,
    response: &mut ApplyResponse,
) {
    let outcome = apply::destroy(
        &aws::Executor::new(configured.clients.clone()),
        ledger,
        run_options(ctx, timeout(prior_state, "delete")),
    )
    .await;
    if outcome.is_complete() {
        response.new_state = Value::Null;
        response.private = Vec::new();
    } else {
        response
            .diagnostics
            .extend(outcome_diagnostics(&outcome, noun));
        response.private = outcome.ledger.to_private();
        let mut state = prior_state.clone();
        state.set("resources", Value::string_map(outcome.ledger.ids()));
        response.new_state = state;
    }
}
