//! `platform_topic`'s typed configuration and state, configuration → `TopicSpec`,
//! validation, and the configuration an import recovers. Pure: no AWS calls.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::sns::topic::AWS_MANAGED_KEY;
use crate::framework::diag::Diagnostics;
use crate::framework::value::Planned;
use crate::plan::app::{validate_topic, EnvironmentFacts, TopicSpec};
use crate::plan::expand::messaging as expand;
use crate::plan::ledger::Ledger;
use crate::plan::node::ChildSpec;
use crate::resources::app::model::placeholder_env;
use crate::resources::tags::merged_tags;
use crate::resources::timeouts::Timeouts;

/// `platform_topic`'s arguments as written, the common ones included.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicConfig {
    pub environment_id: Option<String>,
    pub name: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
    pub timeouts: Option<Timeouts>,
    pub fifo: Option<bool>,
    pub content_based_deduplication: Option<bool>,
    pub kms_key_arn: Option<String>,
}

/// What a prior state records of the topic (nothing live beyond the IDs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct TopicPrior {}

/// `platform_topic`'s computed attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopicComputed {
    pub topic_arn: Planned<String>,
    pub topic_name: String,
}

pub fn spec_of(
    config: &TopicConfig,
    env: &EnvironmentFacts,
    default_tags: &BTreeMap<String, String>,
) -> TopicSpec {
    TopicSpec {
        environment: env.name.clone(),
        name: config.name.clone().unwrap_or_default(),
        fifo: config.fifo.unwrap_or(false),
        content_based_deduplication: config.content_based_deduplication.unwrap_or(false),
        kms_key_arn: config.kms_key_arn.clone(),
        tags: merged_tags(default_tags, config.tags.as_ref()),
    }
}

pub fn validate(config: &TopicConfig) -> Diagnostics {
    let env = placeholder_env(config.environment_id.as_deref().unwrap_or_default());
    validate_topic(&spec_of(config, &env, &BTreeMap::new()))
}

pub fn effective_config(spec: &TopicSpec) -> BTreeMap<String, String> {
    [
        ("fifo", spec.fifo.to_string()),
        (
            "content_based_deduplication",
            (spec.fifo && spec.content_based_deduplication).to_string(),
        ),
        (
            "kms_key",
            spec.kms_key_arn
                .clone()
                .unwrap_or_else(|| AWS_MANAGED_KEY.to_string()),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// The arguments an imported topic shows, where they differ from the defaults.
pub fn imported_config(ledger: &Ledger, _env: &EnvironmentFacts, config: &mut TopicConfig) {
    let Some(ChildSpec::Topic(topic)) = ledger
        .children
        .get(&expand::topic_key())
        .map(|r| &r.observed)
    else {
        return;
    };
    if topic.fifo {
        config.fifo = Some(true);
    }
    if topic.content_based_deduplication {
        config.content_based_deduplication = Some(true);
    }
    if topic.kms_key != AWS_MANAGED_KEY && !topic.kms_key.is_empty() {
        config.kms_key_arn = Some(topic.kms_key.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::schema::Schema;
    use crate::framework::value::de;
    use crate::resources::app::schema::common_block;
    use crate::resources::app::topic::schema::arg_block;

    #[test]
    fn the_model_matches_the_schema() {
        let ty = Schema::new(0, common_block(arg_block(), "topic")).value_type();
        assert_eq!(de::check_fields::<TopicConfig>(&ty), Vec::<String>::new());
        assert_eq!(de::check_fields::<TopicPrior>(&ty), Vec::<String>::new());
    }
}
