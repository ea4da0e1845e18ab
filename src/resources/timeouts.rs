//! The `timeouts` block every resource has, and how long each operation may take.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::framework::diag::Diagnostics;
use crate::framework::path::AttrPath;

/// Default for each entry of the `timeouts` block.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The operations a `timeouts` block limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Update,
    Delete,
}

impl Operation {
    pub const ALL: [Operation; 3] = [Operation::Create, Operation::Update, Operation::Delete];

    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Delete => "delete",
        }
    }
}

/// The `timeouts` block as written: Go-style durations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeouts {
    pub create: Option<String>,
    pub update: Option<String>,
    pub delete: Option<String>,
}

impl Timeouts {
    pub fn written(&self, operation: Operation) -> Option<&str> {
        match operation {
            Operation::Create => self.create.as_deref(),
            Operation::Update => self.update.as_deref(),
            Operation::Delete => self.delete.as_deref(),
        }
    }

    /// Durations that do not parse, each at its attribute.
    pub fn check(&self) -> Diagnostics {
        let mut diags = Diagnostics::new();
        for operation in Operation::ALL {
            if let Some(text) = self.written(operation) {
                if parse_duration(text).is_none() {
                    diags.error_at(
                        AttrPath::attrs(&["timeouts", operation.as_str()]),
                        "Invalid timeout",
                        format!(
                            "{text:?} is not a duration such as \"30m\", \"1h30m\" or \"90s\"."
                        ),
                    );
                }
            }
        }
        diags
    }
}

/// The time `operation` may take under an optional `timeouts` block.
pub fn timeout(timeouts: Option<&Timeouts>, operation: Operation) -> Duration {
    timeouts
        .and_then(|t| t.written(operation))
        .and_then(parse_duration)
        .unwrap_or(DEFAULT_TIMEOUT)
}

/// Parses Go-style durations: `90s`, `30m`, `1h30m`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let mut total = 0u64;
    let mut digits = String::new();
    if text.is_empty() {
        return None;
    }
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: u64 = digits.parse().ok()?;
        digits.clear();
        total = total.checked_add(match c {
            'h' => n.checked_mul(3600)?,
            'm' => n.checked_mul(60)?,
            's' => n,
            _ => return None,
        })?;
    }
    if !digits.is_empty() {
        return None;
    }
    Some(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30m"), Some(Duration::from_secs(1800)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("30"), None);
        assert_eq!(parse_duration("3x"), None);
        assert_eq!(parse_duration(""), None);
    }

    #[test]
    fn each_operation_has_its_own_timeout() {
        let timeouts = Timeouts {
            create: Some("1h".into()),
            update: Some("bad".into()),
            delete: None,
        };
        assert_eq!(
            timeout(Some(&timeouts), Operation::Create),
            Duration::from_secs(3600)
        );
        assert_eq!(timeout(Some(&timeouts), Operation::Update), DEFAULT_TIMEOUT);
        assert_eq!(timeout(None, Operation::Delete), DEFAULT_TIMEOUT);
        let diags = timeouts.check();
        assert_eq!(diags.0.len(), 1);
        assert_eq!(
            diags.0[0].path,
            Some(AttrPath::attrs(&["timeouts", "update"]))
        );
    }
}
