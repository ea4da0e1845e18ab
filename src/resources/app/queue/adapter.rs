//! The adapter of `platform_queue`: the subscribed topics, found by ID, and the queues' URLs
//! and ARNs.

use async_trait::async_trait;

use crate::framework::diag::{Diagnostic, Diagnostics};
use crate::framework::path::AttrPath;
use crate::framework::value::Planned;
use crate::plan::app::{
    dead_letter_name, messaging_name, validate_queue, EnvironmentFacts, QueueSpec,
};
use crate::plan::expand::messaging::{self as expand, expand_queue};
use crate::plan::ledger::Ledger;
use crate::resources::app::targets::{find_target, TargetKind};
use crate::resources::configured::{Configured, PlannedTarget};
use crate::resources::ids::Ids;

use super::{model, Queue};
use crate::resources::app::{AppKind, AppResource, Mode, Prepared};
use model::{QueueComputed, QueueConfig, QueuePrior};

pub type QueueResource = AppResource<Queue>;

/// The ARN of a queue named `name`, from the region and the account; unknown when STS cannot
/// tell the account.
pub async fn queue_arn(configured: &Configured, name: &str) -> Planned<String> {
    match configured.account_id().await {
        Ok(account) => Planned::Known(format!(
            "arn:{}:sqs:{}:{account}:{name}",
            crate::plan::expand::policy::partition(&configured.region),
            configured.region
        )),
        Err(_) => Planned::Unknown,
    }
}

#[async_trait]
impl AppKind for Queue {
    type Spec = QueueSpec;
    type Prior = QueuePrior;
    type Computed = QueueComputed;

    async fn prepare(
        configured: &Configured,
        config: &QueueConfig,
        env: &EnvironmentFacts,
        _ledger: &Ledger,
        mode: Mode,
    ) -> Result<Prepared<Self::Spec>, Diagnostics> {
        let mut topics = model::topic_refs(config);
        let mut diags = Diagnostics::new();
        let mut warnings = Diagnostics::new();
        for topic in &mut topics {
            let found = find_target(
                configured,
                env,
                &topic.id,
                &[TargetKind::Topic],
                "subscribe_to",
            )
            .await
            .map_err(Diagnostics::from)?;
            match found {
                Some(found) => {
                    topic.fifo = Some(found.fifo);
                    if found.exists {
                        topic.arn = Some(found.arn);
                    } else if mode == Mode::Apply {
                        diags.push(missing_topic(&topic.id, "was planned but does not exist"));
                    } else {
                        warnings.push(
                            Diagnostic::warning(
                                format!("Topic {} is created in this apply", topic.id),
                                "The subscription is made once the topic exists.",
                            )
                            .at(AttrPath::attrs(&["subscribe_to"])),
                        );
                    }
                }
                None if mode.validates() => {
                    diags.push(missing_topic(&topic.id, "does not exist"));
                }
                None => {}
            }
        }
        let spec = model::spec_of(config, env, &configured.default_tags, topics);
        if mode.validates() {
            diags.extend(validate_queue(&spec));
        }
        if diags.has_errors() {
            return Err(diags);
        }
        if mode == Mode::Plan {
            configured.note_planned(
                &format!("{}/{}", spec.environment, spec.name),
                PlannedTarget::Queue {
                    fifo: spec.fifo,
                    kms_key_arn: spec.kms_key_arn.clone(),
                },
            );
        }
        let expansion = expand_queue(&spec);
        Ok(Prepared {
            effective_config: model::effective_config(&spec),
            spec,
            nodes: expansion.nodes,
            external: expansion.external,
            warnings,
            deferred: Vec::new(),
        })
    }

    async fn computed(
        configured: &Configured,
        spec: &QueueSpec,
        ids: &Ids<'_>,
        _prior: Option<&QueuePrior>,
    ) -> QueueComputed {
        let name = messaging_name(&spec.environment, &spec.name, spec.fifo);
        let dead_letter = dead_letter_name(&spec.environment, &spec.name, spec.fifo);
        QueueComputed {
            queue_url: ids.id_or_empty(&expand::queue_key()),
            queue_arn: queue_arn(configured, &name).await,
            dead_letter_queue_url: ids.id_or_empty(&expand::dead_letter_key()),
            dead_letter_queue_arn: queue_arn(configured, &dead_letter).await,
            queue_name: name,
        }
    }

    fn property_path(property: &str) -> Option<AttrPath> {
        let argument = match property {
            "name" => "name",
            "fifo" => "fifo",
            "topic" | "queue" => "subscribe_to",
            _ => return None,
        };
        Some(AttrPath::attrs(&[argument]))
    }

    fn imported_config(ledger: &Ledger, env: &EnvironmentFacts, config: &mut QueueConfig) {
        model::imported_config(ledger, env, config);
    }
}

fn missing_topic(id: &str, what: &str) -> Diagnostic {
    Diagnostic::error(
        "No such topic",
        format!("subscribe_to names {id:?}, which {what}: give the ID of a platform_topic of the same environment (`platform_topic.<name>.id`)."),
    )
    .at(AttrPath::attrs(&["subscribe_to"]))
}
