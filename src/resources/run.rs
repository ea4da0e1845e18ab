//! What every adapter does around an engine run: its limits, and turning errors into
//! diagnostics.

use crate::apply::{ApplyError, Outcome, RunOptions};
use crate::framework::diag::{Diagnostic, Diagnostics};
use crate::framework::resource::Ctx;

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
