//! Bounded exponential backoff for transient step errors.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::StepError;

/// How often and how long a step is retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub base: Duration,
    pub cap: Duration,
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_millis(200),
            cap: Duration::from_secs(5),
            max_attempts: 40,
        }
    }
}

impl RetryPolicy {
    /// Delay before attempt `attempt + 1` (deterministic, no jitter, so tests can reason
    /// about it).
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }
}

/// Runs `step` until it succeeds, fails permanently, runs out of attempts, passes `deadline`
/// or is cancelled.
///
/// # Errors
/// The last error; a timeout error once the deadline passes.
///
/// # Cancel Safety
/// Cancellation is honoured only between attempts: an attempt in flight completes.
pub async fn with_backoff<T, F, Fut>(
    policy: RetryPolicy,
    deadline: Instant,
    cancel: &CancellationToken,
    mut step: F,
) -> Result<T, StepError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StepError>>,
{
    let mut attempt = 0;
    loop {
        let result = match tokio::time::timeout_at(deadline, step()).await {
            Ok(result) => result,
            Err(_) => return Err(StepError::timeout()),
        };
        match result {
            Ok(value) => return Ok(value),
            Err(error) if error.is_retryable() && attempt + 1 < policy.max_attempts => {
                let delay = policy.delay(attempt);
                if Instant::now() + delay >= deadline {
                    return Err(error);
                }
                tracing::debug!(attempt, error = %error, "retrying after a transient error");
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = cancel.cancelled() => return Err(error),
                }
                attempt += 1;
            }
            Err(error) => return Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::ErrorKind;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn delays_grow_to_the_cap() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(0), Duration::from_millis(200));
        assert_eq!(p.delay(1), Duration::from_millis(400));
        assert_eq!(p.delay(10), Duration::from_secs(5));
        assert_eq!(p.delay(100), Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn retries_transient_then_succeeds_and_stops_on_permanent() {
        let calls = AtomicU32::new(0);
        let cancel = CancellationToken::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        let result = with_backoff(RetryPolicy::default(), deadline, &cancel, || async {
            if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                Err(StepError::new(ErrorKind::Throttled, "slow down"))
            } else {
                Ok(7)
            }
        })
        .await;
        assert_eq!(result.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 3);

        calls.store(0, Ordering::SeqCst);
        let result: Result<(), _> =
            with_backoff(RetryPolicy::default(), deadline, &cancel, || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(StepError::new(ErrorKind::Permanent, "bad input"))
            })
            .await;
        assert_eq!(result.unwrap_err().kind, ErrorKind::Permanent);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_at_the_deadline() {
        let cancel = CancellationToken::new();
        let deadline = Instant::now() + Duration::from_secs(3);
        let result: Result<(), _> =
            with_backoff(RetryPolicy::default(), deadline, &cancel, || async {
                Err(StepError::new(ErrorKind::DependencyViolation, "in use"))
            })
            .await;
        assert_eq!(result.unwrap_err().kind, ErrorKind::DependencyViolation);
    }
}
