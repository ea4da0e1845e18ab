//! `platform_queue`'s typed configuration and state, configuration → `QueueSpec` with the
//! tier's defaults, validation, and the configuration an import recovers. Pure: no AWS calls.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::framework::diag::Diagnostics;
use crate::framework::value::de::Unjudged;
use crate::framework::value::Planned;
use crate::plan::app::{split_id, validate_queue, EnvironmentFacts, QueueSpec, TopicRef};
use crate::plan::expand::messaging as expand;
use crate::plan::ledger::Ledger;
use crate::plan::node::ChildSpec;
use crate::plan::tiers::QueueDefaults;
use crate::resources::app::model::placeholder_env;
use crate::resources::tags::merged_tags;
use crate::resources::timeouts::Timeouts;

/// `platform_queue`'s arguments as written, the common ones included.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueConfig {
    pub environment_id: Option<String>,
    pub name: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
    pub timeouts: Option<Timeouts>,
    pub fifo: Option<bool>,
    pub content_based_deduplication: Option<bool>,
    pub visibility_timeout: Option<u32>,
    pub retention_days: Option<u32>,
    pub kms_key_arn: Option<String>,
    pub subscribe_to: Option<Vec<String>>,
    pub dead_letter: Option<DeadLetterConfig>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetterConfig {
    pub max_receives: Option<u32>,
}

/// What a prior state records of the queue (nothing live beyond the IDs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct QueuePrior {}

/// `platform_queue`'s computed attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueComputed {
    pub queue_url: Planned<String>,
    pub queue_arn: Planned<String>,
    pub queue_name: String,
    pub dead_letter_queue_url: Planned<String>,
    pub dead_letter_queue_arn: Planned<String>,
}

/// The topics a configuration subscribes to, sorted by ID, nothing known of them yet.
pub fn topic_refs(config: &QueueConfig) -> Vec<TopicRef> {
    let mut ids = config.subscribe_to.clone().unwrap_or_default();
    ids.sort();
    ids.dedup();
    ids.into_iter()
        .map(|id| TopicRef {
            name: split_id(&id)
                .map(|(_, n)| n.to_string())
                .unwrap_or_default(),
            id,
            arn: None,
            fifo: None,
        })
        .collect()
}

/// Reads the configuration with the environment's tier defaults; `topics` are the
/// subscribed topics as found.
pub fn spec_of(
    config: &QueueConfig,
    env: &EnvironmentFacts,
    default_tags: &BTreeMap<String, String>,
    topics: Vec<TopicRef>,
) -> QueueSpec {
    let d = QueueDefaults::for_tier(env.tier);
    QueueSpec {
        environment: env.name.clone(),
        name: config.name.clone().unwrap_or_default(),
        fifo: config.fifo.unwrap_or(false),
        content_based_deduplication: config.content_based_deduplication.unwrap_or(false),
        visibility_timeout: config.visibility_timeout.unwrap_or(d.visibility_timeout),
        retention_days: config.retention_days.unwrap_or(d.retention_days),
        max_receives: config
            .dead_letter
            .as_ref()
            .and_then(|d| d.max_receives)
            .unwrap_or(d.max_receives),
        kms_key_arn: config.kms_key_arn.clone(),
        subscribe_to: topics,
        tags: merged_tags(default_tags, config.tags.as_ref()),
    }
}

/// ValidateResourceConfig's own checks, on what is known, against a placeholder environment.
pub fn validate(config: &QueueConfig, _unjudged: &Unjudged) -> Diagnostics {
    let env = placeholder_env(config.environment_id.as_deref().unwrap_or_default());
    validate_queue(&spec_of(config, &env, &BTreeMap::new(), topic_refs(config)))
}

pub fn effective_config(spec: &QueueSpec) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        out.insert(k.to_string(), v);
    };
    put("fifo", spec.fifo.to_string());
    put("visibility_timeout", spec.visibility_timeout.to_string());
    put("retention_days", spec.retention_days.to_string());
    put("dead_letter.max_receives", spec.max_receives.to_string());
    put(
        "dead_letter.retention_days",
        expand::DEAD_LETTER_RETENTION_DAYS.to_string(),
    );
    put(
        "encryption",
        if spec.kms_key_arn.is_some() {
            "SSE-KMS"
        } else {
            "SSE-SQS"
        }
        .to_string(),
    );
    out
}

/// The arguments an imported queue shows, where they differ from the defaults.
pub fn imported_config(ledger: &Ledger, env: &EnvironmentFacts, config: &mut QueueConfig) {
    let d = QueueDefaults::for_tier(env.tier);
    let Some(ChildSpec::Queue(queue)) = ledger
        .children
        .get(&expand::queue_key())
        .map(|r| &r.observed)
    else {
        return;
    };
    if queue.fifo {
        config.fifo = Some(true);
    }
    if queue.content_based_deduplication {
        config.content_based_deduplication = Some(true);
    }
    if queue.visibility_timeout_seconds != d.visibility_timeout {
        config.visibility_timeout = Some(queue.visibility_timeout_seconds);
    }
    let days = queue.retention_seconds / 86_400;
    if days != d.retention_days {
        config.retention_days = Some(days);
    }
    if let Some(dl) = &queue.dead_letter {
        if dl.max_receives != d.max_receives {
            config.dead_letter = Some(DeadLetterConfig {
                max_receives: Some(dl.max_receives),
            });
        }
    }
    config.kms_key_arn = queue.kms_key_arn.clone();
    // A topic reads back by ARN (`…:<environment>-<name>[.fifo]`) or by the key it was
    // recorded under (`sns.topic/subscribed/<name>`).
    let prefix = format!("{}-", env.name);
    let topics: Vec<String> = queue
        .topics
        .iter()
        .filter_map(|key| {
            let last = key.as_str().rsplit('/').next()?;
            let name = match last.rsplit_once(':') {
                Some((_, topic)) => topic.strip_prefix(&prefix)?.trim_end_matches(".fifo"),
                None => last,
            };
            Some(format!("{}/{name}", env.name))
        })
        .collect();
    if !topics.is_empty() {
        config.subscribe_to = Some(topics);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::schema::Schema;
    use crate::framework::value::de;
    use crate::resources::app::queue::schema::arg_block;
    use crate::resources::app::schema::common_block;

    #[test]
    fn the_model_matches_the_schema() {
        let ty = Schema::new(0, common_block(arg_block(), "queue")).value_type();
        assert_eq!(de::check_fields::<QueueConfig>(&ty), Vec::<String>::new());
        assert_eq!(de::check_fields::<QueuePrior>(&ty), Vec::<String>::new());
    }
}
