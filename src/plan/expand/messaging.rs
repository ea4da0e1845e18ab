//! Expansion of `platform_queue` (the queue, its dead-letter queue and its subscriptions) and
//! `platform_topic` (the topic).

use std::collections::BTreeMap;

use crate::aws::sns::subscription::SnsSubscriptionSpec;
use crate::aws::sns::topic::{SnsTopicSpec, AWS_MANAGED_KEY};
use crate::aws::sqs::queue::{DeadLetter, SqsQueueSpec};
use crate::plan::app::{dead_letter_name, messaging_name, QueueSpec, TopicSpec};
use crate::plan::node::{ChildSpec, Kind, Node, NodeKey};

use super::naming::child_tags;
use super::service::UNKNOWN_ARN;
use super::AppGraph;

/// A dead-letter queue keeps messages the longest SQS allows, so there is time to look.
pub const DEAD_LETTER_RETENTION_DAYS: u32 = 14;
const DAY_SECONDS: u32 = 86_400;

pub fn queue_key() -> NodeKey {
    NodeKey::new(Kind::Queue, &["main"])
}
pub fn dead_letter_key() -> NodeKey {
    NodeKey::new(Kind::Queue, &["dead_letter"])
}
pub fn topic_key() -> NodeKey {
    NodeKey::new(Kind::Topic, &["main"])
}
/// A subscribed topic, as an external reference of the queue.
pub fn subscribed_topic_key(name: &str) -> NodeKey {
    NodeKey::new(Kind::Topic, &["subscribed", name])
}
pub fn subscription_key(topic: &str) -> NodeKey {
    NodeKey::new(Kind::Subscription, &[topic])
}

pub fn expand_queue(spec: &QueueSpec) -> AppGraph {
    let owner = spec.owner();
    let display = messaging_name(&spec.environment, &spec.name, false);
    let tags = |key: &NodeKey, suffix: &str| {
        child_tags(&spec.tags, &owner, key, &format!("{display}{suffix}"))
    };
    let mut nodes = BTreeMap::new();
    let mut external = BTreeMap::new();
    let main_name = messaging_name(&spec.environment, &spec.name, spec.fifo);
    let dlq = dead_letter_key();
    let base = SqsQueueSpec {
        name: dead_letter_name(&spec.environment, &spec.name, spec.fifo),
        fifo: spec.fifo,
        content_based_deduplication: spec.content_based_deduplication,
        visibility_timeout_seconds: spec.visibility_timeout,
        retention_seconds: DEAD_LETTER_RETENTION_DAYS * DAY_SECONDS,
        kms_key_arn: spec.kms_key_arn.clone(),
        dead_letter: None,
        dead_letter_for: Some(main_name.clone()),
        topics: Vec::new(),
        policy_in_sync: true,
        tags: tags(&dlq, "-dlq"),
    };
    let main = queue_key();
    let mut topics = Vec::new();
    for topic in &spec.subscribe_to {
        let key = subscribed_topic_key(&topic.name);
        external.insert(
            key.clone(),
            topic.arn.clone().unwrap_or_else(|| UNKNOWN_ARN.to_string()),
        );
        let subscription = subscription_key(&topic.name);
        nodes.insert(
            subscription.clone(),
            Node {
                key: subscription,
                spec: ChildSpec::Subscription(SnsSubscriptionSpec {
                    topic: key.clone(),
                    queue: main.clone(),
                    raw_message_delivery: true,
                }),
            },
        );
        topics.push(key);
    }
    topics.sort();
    let queue = SqsQueueSpec {
        name: main_name,
        retention_seconds: spec.retention_days * DAY_SECONDS,
        dead_letter: Some(DeadLetter {
            queue: dlq.clone(),
            max_receives: spec.max_receives,
        }),
        dead_letter_for: None,
        topics,
        tags: tags(&main, ""),
        ..base.clone()
    };
    nodes.insert(
        dlq.clone(),
        Node {
            key: dlq,
            spec: ChildSpec::Queue(base),
        },
    );
    nodes.insert(
        main.clone(),
        Node {
            key: main,
            spec: ChildSpec::Queue(queue),
        },
    );
    AppGraph { nodes, external }
}

pub fn expand_topic(spec: &TopicSpec) -> AppGraph {
    let key = topic_key();
    let tags = child_tags(
        &spec.tags,
        &spec.owner(),
        &key,
        &messaging_name(&spec.environment, &spec.name, false),
    );
    let topic = SnsTopicSpec {
        name: messaging_name(&spec.environment, &spec.name, spec.fifo),
        fifo: spec.fifo,
        content_based_deduplication: spec.fifo && spec.content_based_deduplication,
        kms_key: spec
            .kms_key_arn
            .clone()
            .unwrap_or_else(|| AWS_MANAGED_KEY.to_string()),
        tags,
    };
    AppGraph {
        nodes: [(
            key.clone(),
            Node {
                key,
                spec: ChildSpec::Topic(topic),
            },
        )]
        .into(),
        external: BTreeMap::new(),
    }
}
