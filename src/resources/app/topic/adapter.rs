//! The adapter of `platform_topic`: its ARN.

use async_trait::async_trait;

use crate::framework::diag::Diagnostics;
use crate::framework::path::AttrPath;
use crate::plan::app::{messaging_name, validate_topic, EnvironmentFacts, TopicSpec};
use crate::plan::expand::messaging::{self as expand, expand_topic};
use crate::plan::ledger::Ledger;
use crate::resources::configured::{Configured, PlannedTarget};
use crate::resources::ids::Ids;

use super::{model, Topic};
use crate::resources::app::{AppKind, AppResource, Mode, Prepared};
use model::{TopicComputed, TopicConfig, TopicPrior};

pub type TopicResource = AppResource<Topic>;

#[async_trait]
impl AppKind for Topic {
    type Spec = TopicSpec;
    type Prior = TopicPrior;
    type Computed = TopicComputed;

    async fn prepare(
        configured: &Configured,
        config: &TopicConfig,
        env: &EnvironmentFacts,
        _ledger: &Ledger,
        mode: Mode,
    ) -> Result<Prepared<Self::Spec>, Diagnostics> {
        let spec = model::spec_of(config, env, &configured.default_tags);
        if mode.validates() {
            let diags = validate_topic(&spec);
            if diags.has_errors() {
                return Err(diags);
            }
        }
        if mode == Mode::Plan {
            configured.note_planned(
                &format!("{}/{}", spec.environment, spec.name),
                PlannedTarget::Topic {
                    fifo: spec.fifo,
                    kms_key_arn: spec.kms_key_arn.clone(),
                },
            );
        }
        let expansion = expand_topic(&spec);
        Ok(Prepared {
            effective_config: model::effective_config(&spec),
            spec,
            nodes: expansion.nodes,
            external: expansion.external,
            warnings: Diagnostics::new(),
            deferred: Vec::new(),
        })
    }

    async fn computed(
        _configured: &Configured,
        spec: &TopicSpec,
        ids: &Ids<'_>,
        _prior: Option<&TopicPrior>,
    ) -> TopicComputed {
        TopicComputed {
            topic_arn: ids.id_or_empty(&expand::topic_key()),
            topic_name: messaging_name(&spec.environment, &spec.name, spec.fifo),
        }
    }

    fn property_path(property: &str) -> Option<AttrPath> {
        match property {
            "name" | "fifo" => Some(AttrPath::attrs(&[property])),
            _ => None,
        }
    }

    fn imported_config(ledger: &Ledger, env: &EnvironmentFacts, config: &mut TopicConfig) {
        model::imported_config(ledger, env, config);
    }
}
