//! Waiting for AWS: one back-off policy for every wait, and a bound the caller sets.
//!
//! The caller owns the timeout (a waiter polls, the caller bounds it; ARCHITECTURE.md, "Waiting"): `poll_until`
//! never gives up by itself; `within` turns a deadline into a `WaitTimeout` error.

use std::future::Future;
use std::time::Duration;

use crate::aws::error::AwsError;

/// The first pause between checks; it doubles after each check up to [`MAX_DELAY`].
pub const FIRST_DELAY: Duration = Duration::from_secs(1);
pub const MAX_DELAY: Duration = Duration::from_secs(15);

/// One check's verdict.
pub enum Poll<T> {
    Ready(T),
    Pending,
}

/// Checks at once, then again after each pause of the back-off, until `check` is ready or
/// fails.
///
/// # Errors
/// The first error `check` returns.
pub async fn poll_until<T, F, Fut>(mut check: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, AwsError>>,
{
    let mut delay = FIRST_DELAY;
    loop {
        if let Poll::Ready(value) = check().await? {
            return Ok(value);
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(MAX_DELAY);
    }
}

/// Runs `wait` for at most `limit`; `what` names what was awaited in the timeout error.
///
/// # Errors
/// `wait`'s error, or `WaitTimeout` once `limit` passes.
pub async fn within<T>(
    limit: Duration,
    what: impl Into<String>,
    wait: impl Future<Output = Result<T, AwsError>>,
) -> Result<T, AwsError> {
    tokio::time::timeout(limit, wait).await.unwrap_or_else(|_| {
        Err(AwsError::WaitTimeout {
            message: what.into(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn polls_with_backoff_until_ready() {
        let start = tokio::time::Instant::now();
        let mut checks = 0;
        let value = poll_until(|| {
            checks += 1;
            let now = checks;
            async move {
                Ok(if now == 4 {
                    Poll::Ready(now)
                } else {
                    Poll::Pending
                })
            }
        })
        .await
        .unwrap();
        assert_eq!(value, 4);
        // 1 s + 2 s + 4 s between the four checks.
        assert_eq!(start.elapsed(), Duration::from_secs(7));
    }

    #[tokio::test(start_paused = true)]
    async fn within_turns_the_limit_into_a_wait_timeout() {
        let never = poll_until(|| async { Ok(Poll::<()>::Pending) });
        let result = within(Duration::from_secs(60), "the thing", never).await;
        assert!(matches!(result, Err(AwsError::WaitTimeout { .. })));
    }
}
