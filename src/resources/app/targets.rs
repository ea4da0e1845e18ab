//! Queues and topics another resource names by ID (`subscribe_to`, `publish_to`,
//! `consume_from`): found in AWS by their deterministic names and ownership tags, or, before
//! they exist, by what this process planned for them.

use crate::aws;
use crate::framework::diag::Diagnostic;
use crate::framework::path::AttrPath;
use crate::plan::app::{messaging_name, split_id, EnvironmentFacts};
use crate::plan::expand::naming::TAG_OWNER;
use crate::plan::expand::policy::partition;
use crate::resources::configured::{Configured, PlannedTarget};

/// Which of the two a target is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TargetKind {
    Queue,
    Topic,
}

/// A queue or topic as another resource sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: TargetKind,
    /// Its ARN, known from its name and the account even before it exists.
    pub arn: String,
    /// A queue's URL, once it exists.
    pub url: Option<String>,
    pub fifo: bool,
    pub kms_key_arn: Option<String>,
    /// False for one planned in this process but not created yet.
    pub exists: bool,
}

/// The ARN a queue or topic of this name has in the configured account and region.
async fn arn_of(
    configured: &Configured,
    kind: TargetKind,
    name: &str,
) -> Result<String, Diagnostic> {
    let account = configured.account_id().await.map_err(|e| {
        Diagnostic::error(
            "Cannot tell the AWS account",
            format!("STS GetCallerIdentity failed: {e}. Queue and topic ARNs name the account."),
        )
    })?;
    let service = match kind {
        TargetKind::Queue => "sqs",
        TargetKind::Topic => "sns",
    };
    let region = &configured.region;
    Ok(format!(
        "arn:{}:{service}:{region}:{account}:{name}",
        partition(region)
    ))
}

fn read_error(id: &str, attribute: &str, e: aws::error::AwsError) -> Diagnostic {
    Diagnostic::error(
        format!("Reading {id}"),
        format!("Could not read the queue or topic {id:?}: {e}."),
    )
    .at(AttrPath::attrs(&[attribute]))
}

/// The queue or topic `id` (of one of the `kinds`), or `None` when there is none, neither in
/// AWS nor planned in this process.
///
/// # Errors
/// A read AWS refused, named on `attribute`.
pub async fn find_target(
    configured: &Configured,
    env: &EnvironmentFacts,
    id: &str,
    kinds: &[TargetKind],
    attribute: &str,
) -> Result<Option<Target>, Diagnostic> {
    let Some((env_name, name)) = split_id(id) else {
        return Ok(None);
    };
    let reads = configured.reads(&env.name);
    let owner_of = |kind: TargetKind| match kind {
        TargetKind::Queue => format!("queue/{env_name}/{name}"),
        TargetKind::Topic => format!("topic/{env_name}/{name}"),
    };
    for &kind in kinds {
        for fifo in [false, true] {
            let aws_name = messaging_name(env_name, name, fifo);
            let found = match kind {
                TargetKind::Queue => {
                    let client = &configured.clients.sqs;
                    let facts = reads
                        .get(&format!("sqs.queue/facts/{aws_name}"), || {
                            aws::sqs::queue::queue_facts(client, &aws_name)
                        })
                        .await
                        .map_err(|e| read_error(id, attribute, e))?;
                    facts.as_ref().clone().and_then(|q| {
                        (q.tags.get(TAG_OWNER) == Some(&owner_of(kind))).then_some(Target {
                            kind,
                            arn: q.arn,
                            url: Some(q.url),
                            fifo: q.fifo,
                            kms_key_arn: q.kms_key_arn,
                            exists: true,
                        })
                    })
                }
                TargetKind::Topic => {
                    let arn = arn_of(configured, kind, &aws_name).await?;
                    let client = &configured.clients.sns;
                    let facts = reads
                        .get(&format!("sns.topic/facts/{arn}"), || {
                            aws::sns::topic::read_topic(client, &arn)
                        })
                        .await
                        .map_err(|e| read_error(id, attribute, e))?;
                    facts.as_ref().as_ref().and_then(|t| {
                        (t.tags.get(TAG_OWNER) == Some(&owner_of(kind))).then(|| Target {
                            kind,
                            arn: arn.clone(),
                            url: None,
                            fifo: t.current.fifo,
                            kms_key_arn: Some(t.current.kms_key.clone())
                                .filter(|k| k.starts_with("arn:")),
                            exists: true,
                        })
                    })
                }
            };
            if found.is_some() {
                return Ok(found);
            }
        }
    }
    let (kind, fifo, kms_key_arn) = match configured.planned(id) {
        Some(PlannedTarget::Queue { fifo, kms_key_arn }) => (TargetKind::Queue, fifo, kms_key_arn),
        Some(PlannedTarget::Topic { fifo, kms_key_arn }) => (TargetKind::Topic, fifo, kms_key_arn),
        Some(PlannedTarget::Bucket { .. }) | None => return Ok(None),
    };
    if !kinds.contains(&kind) {
        return Ok(None);
    }
    Ok(Some(Target {
        kind,
        arn: arn_of(configured, kind, &messaging_name(env_name, name, fifo)).await?,
        url: None,
        fifo,
        kms_key_arn,
        exists: false,
    }))
}
