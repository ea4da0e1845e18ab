//! `platform_queue` and `platform_topic`: typed input and validation.

use crate::framework::diag::Diagnostics;
use crate::framework::path::AttrPath;
use crate::plan::node::Tags;

use super::{split_id, validate_app_name};

/// A topic a queue subscribes to: its ID and what was found of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicRef {
    /// `<environment>/<name>`.
    pub id: String,
    pub name: String,
    /// `None` while it does not exist (at plan, when it is created in the same apply).
    pub arn: Option<String>,
    /// `None` while unknown.
    pub fifo: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSpec {
    pub environment: String,
    pub name: String,
    pub fifo: bool,
    pub content_based_deduplication: bool,
    pub visibility_timeout: u32,
    pub retention_days: u32,
    pub max_receives: u32,
    pub kms_key_arn: Option<String>,
    /// Sorted by ID, unique.
    pub subscribe_to: Vec<TopicRef>,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSpec {
    pub environment: String,
    pub name: String,
    pub fifo: bool,
    pub content_based_deduplication: bool,
    pub kms_key_arn: Option<String>,
    pub tags: Tags,
}

impl QueueSpec {
    pub fn owner(&self) -> String {
        format!("queue/{}/{}", self.environment, self.name)
    }
}

impl TopicSpec {
    pub fn owner(&self) -> String {
        format!("topic/{}/{}", self.environment, self.name)
    }
}

/// SQS and SNS names: `<environment>-<name>`, with `.fifo` for FIFO.
pub fn messaging_name(environment: &str, name: &str, fifo: bool) -> String {
    let suffix = if fifo { ".fifo" } else { "" };
    format!("{environment}-{name}{suffix}")
}

/// The dead-letter queue's name: `<environment>-<name>-dlq`, with `.fifo` for FIFO.
pub fn dead_letter_name(environment: &str, name: &str, fifo: bool) -> String {
    messaging_name(environment, &format!("{name}-dlq"), fifo)
}

/// SQS allows 80 characters in a queue name, `.fifo` included.
pub const MAX_QUEUE_NAME: usize = 80;
/// SNS allows 256 characters in a topic name.
pub const MAX_TOPIC_NAME: usize = 256;

fn check_kms(diags: &mut Diagnostics, kms_key_arn: Option<&String>) {
    if let Some(arn) = kms_key_arn {
        if !(arn.starts_with("arn:") && arn.contains(":kms:")) {
            diags.error_at(
                AttrPath::attrs(&["kms_key_arn"]),
                "Invalid KMS key ARN",
                format!("{arn:?} is not a KMS key ARN."),
            );
        }
    }
}

pub fn validate_queue(spec: &QueueSpec) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let at = |names: &[&str]| AttrPath::attrs(names);
    diags.extend(validate_app_name(&spec.name, &at(&["name"])));
    let longest = dead_letter_name(&spec.environment, &spec.name, spec.fifo);
    if longest.len() > MAX_QUEUE_NAME {
        diags.error_at(
            at(&["name"]),
            "Name too long",
            format!("the dead-letter queue's name {longest:?} has {} characters; SQS allows {MAX_QUEUE_NAME}. Shorten the name or the environment's.", longest.len()),
        );
    }
    if spec.visibility_timeout > 43_200 {
        diags.error_at(
            at(&["visibility_timeout"]),
            "Invalid visibility timeout",
            format!(
                "visibility_timeout = {} must be 0 to 43200 seconds (12 hours).",
                spec.visibility_timeout
            ),
        );
    }
    if !(1..=14).contains(&spec.retention_days) {
        diags.error_at(
            at(&["retention_days"]),
            "Invalid retention",
            format!(
                "retention_days = {} must be 1 to 14 (SQS keeps messages at most 14 days).",
                spec.retention_days
            ),
        );
    }
    if !(1..=1000).contains(&spec.max_receives) {
        diags.error_at(
            at(&["dead_letter", "max_receives"]),
            "Invalid receive count",
            format!("max_receives = {} must be 1 to 1000.", spec.max_receives),
        );
    }
    if spec.content_based_deduplication && !spec.fifo {
        diags.error_at(
            at(&["content_based_deduplication"]),
            "Deduplication needs FIFO",
            "content_based_deduplication applies to FIFO queues only: set fifo = true.",
        );
    }
    check_kms(&mut diags, spec.kms_key_arn.as_ref());
    for topic in &spec.subscribe_to {
        match split_id(&topic.id) {
            Some((env, _)) if env == spec.environment || spec.environment.is_empty() => {}
            Some((env, _)) => diags.error_at(
                at(&["subscribe_to"]),
                "Topic from another environment",
                format!("{:?} belongs to environment {env:?}; queue {:?} is in {:?}, and queues subscribe only to topics of their own environment.", topic.id, spec.name, spec.environment),
            ),
            None => diags.error_at(
                at(&["subscribe_to"]),
                "Invalid ID",
                format!("{:?} is not a topic ID of the form <environment>/<name>.", topic.id),
            ),
        }
        if spec.fifo && topic.fifo == Some(false) {
            diags.error_at(
                at(&["subscribe_to"]),
                "FIFO queue on a standard topic",
                format!("queue {:?} is FIFO and topic {:?} is not: a standard topic cannot deliver to a FIFO queue. Make the topic FIFO or the queue standard.", spec.name, topic.id),
            );
        }
    }
    diags
}

pub fn validate_topic(spec: &TopicSpec) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let at = |names: &[&str]| AttrPath::attrs(names);
    diags.extend(validate_app_name(&spec.name, &at(&["name"])));
    let name = messaging_name(&spec.environment, &spec.name, spec.fifo);
    if name.len() > MAX_TOPIC_NAME {
        diags.error_at(
            at(&["name"]),
            "Name too long",
            format!("the topic's name {name:?} is longer than SNS's {MAX_TOPIC_NAME} characters."),
        );
    }
    if spec.content_based_deduplication && !spec.fifo {
        diags.error_at(
            at(&["content_based_deduplication"]),
            "Deduplication needs FIFO",
            "content_based_deduplication applies to FIFO topics only: set fifo = true.",
        );
    }
    check_kms(&mut diags, spec.kms_key_arn.as_ref());
    diags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue() -> QueueSpec {
        QueueSpec {
            environment: "dev".into(),
            name: "jobs".into(),
            fifo: false,
            content_based_deduplication: false,
            visibility_timeout: 30,
            retention_days: 4,
            max_receives: 5,
            kms_key_arn: None,
            subscribe_to: Vec::new(),
            tags: Tags::new(),
        }
    }

    fn summaries(diags: Diagnostics) -> Vec<String> {
        diags.0.into_iter().map(|d| d.summary).collect()
    }

    #[test]
    fn names_carry_the_environment_and_the_fifo_suffix() {
        assert_eq!(messaging_name("dev", "jobs", false), "dev-jobs");
        assert_eq!(messaging_name("dev", "jobs", true), "dev-jobs.fifo");
        assert_eq!(dead_letter_name("dev", "jobs", true), "dev-jobs-dlq.fifo");
    }

    #[test]
    fn queue_checks_name_their_attribute() {
        assert!(validate_queue(&queue()).is_empty());
        let bad = QueueSpec {
            retention_days: 15,
            visibility_timeout: 50_000,
            max_receives: 0,
            content_based_deduplication: true,
            ..queue()
        };
        assert_eq!(
            summaries(validate_queue(&bad)),
            [
                "Invalid visibility timeout",
                "Invalid retention",
                "Invalid receive count",
                "Deduplication needs FIFO"
            ]
        );
        let elsewhere = QueueSpec {
            fifo: true,
            subscribe_to: vec![
                TopicRef {
                    id: "prod/events".into(),
                    name: "events".into(),
                    arn: None,
                    fifo: None,
                },
                TopicRef {
                    id: "dev/plain".into(),
                    name: "plain".into(),
                    arn: None,
                    fifo: Some(false),
                },
            ],
            ..queue()
        };
        assert_eq!(
            summaries(validate_queue(&elsewhere)),
            [
                "Topic from another environment",
                "FIFO queue on a standard topic"
            ]
        );
    }
}
