//! What every adapter does around an engine run: its limits, and turning errors into
//! diagnostics.

use std::collections::BTreeMap;

use crate::apply::{self, ApplyError, Outcome, RunOptions};
use crate::aws;
use crate::framework::diag::{Diagnostic, Diagnostics};
use crate::framework::resource::{ApplyResponse, Ctx};
use crate::framework::value::Value;
use crate::plan::diff::DataReplacement;
use crate::plan::ledger::{Ledger, LedgerError};
use crate::plan::node::{Node, NodeKey};
use crate::resources::configured::Configured;
use crate::resources::timeouts::DEFAULT_TIMEOUT;

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

/// Deletes every child in `ledger` within `timeout`. The response becomes null state when
/// all are gone; otherwise it keeps the prior state with the children that remain, and the
/// errors.
pub async fn destroy_into(
    ctx: &Ctx,
    configured: &Configured,
    ledger: Ledger,
    timeout: std::time::Duration,
    prior_state: &Value,
    noun: &str,
    response: &mut ApplyResponse,
) {
    let outcome = apply::destroy(
        &aws::Executor::new(configured.clients.clone()),
        ledger,
        run_options(ctx, timeout),
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

/// The ledger in a resource's private state: `None` when there is none (a new resource, or
/// one just imported).
///
/// # Errors
/// A diagnostic saying what to do when the bytes cannot be read; never an empty ledger, which
/// would plan to create every child again.
pub fn ledger_of(private: &[u8]) -> Result<Option<Ledger>, Diagnostic> {
    Ledger::from_private(private).map_err(|error| {
        let what_to_do = match error {
            LedgerError::Newer { .. } => "Use the provider version that wrote this state, or a newer one; older versions must not change these objects.",
            LedgerError::Unreadable(_) => "The state may have been edited or damaged. To rebuild it from AWS, run `terraform state rm <address>` and then `terraform import <address> <id>`.",
        };
        Diagnostic::error(
            "Cannot read the recorded AWS objects",
            format!("The provider's record of this resource's AWS objects (its private state) cannot be used: {error}. Nothing was changed. {what_to_do}"),
        )
    })
}

/// The plan would replace children that hold data as a side effect: one error each, naming
/// the cause. `paths` maps a child's own property to the argument that sets it.
pub fn data_replacement_diagnostics(
    replacements: &[DataReplacement],
    path_of: impl Fn(&str) -> Option<crate::framework::path::AttrPath>,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for r in replacements {
        let kind = r.key.kind().map_or("child", |k| k.display_name());
        let (detail, path) = if r.own_property {
            (
                format!("Changing {} would replace the {kind} ({}) and lose its data: AWS cannot change it in place. Revert the change, or replace the whole resource on purpose (for example with `terraform apply -replace=<address>`).", r.cause, r.key),
                path_of(&r.cause),
            )
        } else {
            (
                format!("The {kind} ({}) would have to be replaced, losing its data, because {} gets a new ID and AWS cannot move it there in place. Nothing was changed; restore {} or replace the resource on purpose.", r.key, r.cause, r.cause),
                None,
            )
        };
        let diag = Diagnostic::error("Refusing to replace data", detail);
        diags.push(match path {
            Some(p) => diag.at(p),
            None => diag,
        });
    }
    diags
}
