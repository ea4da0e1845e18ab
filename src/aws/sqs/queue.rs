//! SQS Queue; the ledger ID is its URL.
//!
//! Encrypted at rest always (SQS managed keys unless the spec names a KMS key). Its access
//! policy is always set: it refuses requests without TLS and admits `sns:SendMessage` from
//! exactly the spec's topics. SQS has no batch describe: observe reads each queue's
//! attributes and tags, two calls; the adopt-first lookup asks for the URL of the queue's
//! name.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::expand::policy::canonical_json;
use crate::plan::node::{Node, NodeKey, Tags};

/// Where a queue sends the messages it failed to process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    pub queue: NodeKey,
    /// Receives before a message moves to the dead-letter queue.
    pub max_receives: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SqsQueueSpec {
    /// With the `.fifo` suffix for a FIFO queue.
    pub name: String,
    pub fifo: bool,
    pub content_based_deduplication: bool,
    pub visibility_timeout_seconds: u32,
    pub retention_seconds: u32,
    /// `None`: SQS managed encryption.
    pub kms_key_arn: Option<String>,
    pub dead_letter: Option<DeadLetter>,
    /// The one queue (by name) allowed to use this one as its dead-letter queue.
    pub dead_letter_for: Option<String>,
    /// The topics whose messages the queue's policy admits, sorted.
    pub topics: Vec<NodeKey>,
    /// False when the live policy is not the one `topics` gives (edited out of band).
    pub policy_in_sync: bool,
    pub tags: Tags,
}

impl KindSpec for SqsQueueSpec {
    const PREFIX: &'static str = "sqs.queue";
    const DISPLAY_NAME: &'static str = "SQS Queue";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "sqs:CreateQueue",
        "sqs:DeleteQueue",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
        "sqs:ListQueueTags",
        "sqs:SetQueueAttributes",
        "sqs:TagQueue",
        "sqs:UntagQueue",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        // The redrive and access policies hold ARNs that an update rewrites.
        self.dead_letter
            .iter()
            .map(|d| Reference::update(&d.queue))
            .chain(self.topics.iter().map(Reference::update))
            .collect()
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[("name", self.name != d.name), ("fifo", self.fifo != d.fifo)])
    }

    /// Priced by requests only.
    fn hourly_charge(&self, _graph: &BTreeMap<NodeKey, Node>) -> Option<(&'static str, f64)> {
        None
    }
}

/// The queue's name: the last part of its URL or ARN.
pub fn queue_name(url_or_arn: &str) -> &str {
    url_or_arn.rsplit(['/', ':']).next().unwrap_or(url_or_arn)
}

/// The access policy: no request without TLS, and `sns:SendMessage` from exactly `topics`
/// (ARNs) when there are any.
pub fn access_policy(queue_arn: &str, topics: &[String]) -> String {
    let mut statements = vec![json!({
        "Sid": "DenyWithoutTls",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sqs:*",
        "Resource": queue_arn,
        "Condition": { "Bool": { "aws:SecureTransport": "false" } }
    })];
    if !topics.is_empty() {
        statements.push(json!({
            "Sid": "AllowSubscribedTopics",
            "Effect": "Allow",
            "Principal": { "Service": "sns.amazonaws.com" },
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": { "ArnEquals": { "aws:SourceArn": topics } }
        }));
    }
    canonical_json(&json!({ "Version": "2012-10-17", "Statement": statements }))
}

/// The topic ARNs a policy admits, as [`access_policy`] writes them.
pub fn admitted_topics(policy: &str) -> Vec<String> {
    let Ok(document) = serde_json::from_str::<serde_json::Value>(policy) else {
        return Vec::new();
    };
    let mut arns: Vec<String> = document["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["Effect"] == "Allow")
        .flat_map(|s| match &s["Condition"]["ArnEquals"]["aws:SourceArn"] {
            serde_json::Value::String(arn) => vec![arn.clone()],
            serde_json::Value::Array(arns) => arns
                .iter()
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    arns.sort();
    arns.dedup();
    arns
}

/// Two policies are the same document (AWS may reorder keys and spacing).
pub fn same_policy(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(a), Ok(b)) => canonical_json(&a) == canonical_json(&b),
        _ => false,
    }
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use std::collections::HashMap;
    use std::time::Duration;

    use aws_sdk_sqs::types::QueueAttributeName as Attr;
    use aws_sdk_sqs::Client;

    use super::*;
    use crate::aws::common::keys::key_of;
    use crate::aws::common::ownership::{adopt_or_create, owned_by, tag_changes, Found};
    use crate::aws::common::poll::{poll_until, within, Poll};
    use crate::aws::error::{classify, is_code, none_if_not_found, AwsError};
    use crate::aws::kind::{AwsKind, Cx};
    use crate::plan::node::Kind;

    impl AwsKind for SqsQueueSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            Ok(read_queue_named(cx, &spec.name)
                .await?
                .filter(|found| owned_by(&found.tags, &spec.tags))
                .map(|found| found.id))
        }

        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            Ok(read_queue(cx, id, Some(current)).await?.map(|f| f.current))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            adopt_or_create(
                "SQS queue",
                &spec.name,
                &spec.tags,
                &[],
                || read_queue_named(cx, &spec.name),
                |found| async move { update_queue(cx, &found.id, &found.current, spec).await },
                || create_new_queue(cx, spec),
            )
            .await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_queue(cx, id, current, desired).await
        }

        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            none_if_not_found(
                cx.clients
                    .sqs
                    .delete_queue()
                    .queue_url(id)
                    .send()
                    .await
                    .map_err(classify),
            )?;
            Ok(())
        }
    }

    // constants

    /// AWS refuses a queue name for 60 seconds after a queue of that name was deleted.
    const DELETED_RECENTLY: &[&str] = &[
        "QueueDeletedRecently",
        "AWS.SimpleQueueService.QueueDeletedRecently",
    ];
    const DELETED_RECENTLY_WAIT: Duration = Duration::from_secs(90);

    // find

    /// The queue of this name with its tags; `None` when there is none.
    async fn read_queue_named(
        cx: &Cx<'_>,
        name: &str,
    ) -> Result<Option<Found<SqsQueueSpec>>, AwsError> {
        match queue_url(&cx.clients.sqs, name).await? {
            Some(url) => read_queue(cx, &url, None).await,
            None => Ok(None),
        }
    }

    /// The URL of the queue named `name`; `None` when there is none.
    async fn queue_url(client: &Client, name: &str) -> Result<Option<String>, AwsError> {
        Ok(none_if_not_found(
            client
                .get_queue_url()
                .queue_name(name)
                .send()
                .await
                .map_err(classify),
        )?
        .and_then(|out| out.queue_url().map(str::to_string)))
    }

    /// The queue's tags; `None` when it is gone.
    async fn queue_tags(client: &Client, url: &str) -> Result<Option<Tags>, AwsError> {
        Ok(none_if_not_found(
            client
                .list_queue_tags()
                .queue_url(url)
                .send()
                .await
                .map_err(classify),
        )?
        .map(|out| {
            out.tags()
                .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default()
        }))
    }

    /// Every attribute of the queue at `url`; `None` when it is gone.
    pub async fn queue_attributes(
        client: &Client,
        url: &str,
    ) -> Result<Option<HashMap<Attr, String>>, AwsError> {
        Ok(none_if_not_found(
            client
                .get_queue_attributes()
                .queue_url(url)
                .attribute_names(Attr::All)
                .send()
                .await
                .map_err(classify),
        )?
        .map(|out| out.attributes().cloned().unwrap_or_default()))
    }

    /// The queue at `url` as a spec, references as node keys (`current` names the keys its
    /// dead-letter queue may have); `None` when it is gone.
    async fn read_queue(
        cx: &Cx<'_>,
        url: &str,
        current: Option<&SqsQueueSpec>,
    ) -> Result<Option<Found<SqsQueueSpec>>, AwsError> {
        let client = &cx.clients.sqs;
        let Some(attributes) = queue_attributes(client, url).await? else {
            return Ok(None);
        };
        let Some(tags) = queue_tags(client, url).await? else {
            return Ok(None);
        };
        let get = |a: Attr| attributes.get(&a).map(String::as_str);
        let number = |a: Attr| get(a).and_then(|v| v.parse::<u32>().ok()).unwrap_or(0);
        let flag = |a: Attr| get(a) == Some("true");
        let dead_letter = get(Attr::RedrivePolicy)
            .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
            .and_then(|p| {
                let target = p["deadLetterTargetArn"].as_str()?.to_string();
                let max_receives = match &p["maxReceiveCount"] {
                    serde_json::Value::Number(n) => n.as_u64(),
                    serde_json::Value::String(s) => s.parse().ok(),
                    _ => None,
                }?;
                // The recorded dead-letter queue when the names match, else a foreign one.
                let recorded = current
                    .and_then(|c| c.dead_letter.as_ref())
                    .map(|d| d.queue.clone())
                    .filter(|key| {
                        cx.ids
                            .id(key)
                            .is_ok_and(|id| queue_name(id) == queue_name(&target))
                    });
                Some(DeadLetter {
                    queue: recorded
                        .unwrap_or_else(|| NodeKey::new(Kind::Queue, &["external", &target])),
                    max_receives: u32::try_from(max_receives).unwrap_or(u32::MAX),
                })
            });
        let dead_letter_for = get(Attr::RedriveAllowPolicy)
            .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
            .and_then(|p| {
                (p["redrivePermission"] == "byQueue")
                    .then(|| p["sourceQueueArns"].as_array().cloned())
                    .flatten()
            })
            .and_then(|sources| match sources.as_slice() {
                [one] => one.as_str().map(|arn| queue_name(arn).to_string()),
                _ => None,
            });
        let arn = get(Attr::QueueArn).unwrap_or_default();
        let policy = get(Attr::Policy).unwrap_or_default();
        let topic_arns = admitted_topics(policy);
        let mut topics: Vec<NodeKey> = topic_arns
            .iter()
            .map(|arn| key_of(cx.ids, Kind::Topic, arn))
            .collect();
        topics.sort();
        let current = SqsQueueSpec {
            name: queue_name(url).to_string(),
            fifo: flag(Attr::FifoQueue),
            content_based_deduplication: flag(Attr::ContentBasedDeduplication),
            visibility_timeout_seconds: number(Attr::VisibilityTimeout),
            retention_seconds: number(Attr::MessageRetentionPeriod),
            kms_key_arn: get(Attr::KmsMasterKeyId)
                .filter(|k| !k.is_empty())
                .map(str::to_string),
            dead_letter,
            dead_letter_for,
            topics,
            policy_in_sync: same_policy(policy, &access_policy(arn, &topic_arns)),
            tags: tags.clone(),
        };
        Ok(Some(Found {
            id: url.to_string(),
            current,
            tags,
        }))
    }

    /// What another resource needs of a queue: its URL, ARN, FIFO-ness, key and owner.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct QueueFacts {
        pub url: String,
        pub arn: String,
        pub fifo: bool,
        pub kms_key_arn: Option<String>,
        pub tags: Tags,
    }

    /// The queue named `name`, as another resource sees it; `None` when there is none.
    pub async fn queue_facts(client: &Client, name: &str) -> Result<Option<QueueFacts>, AwsError> {
        let Some(url) = queue_url(client, name).await? else {
            return Ok(None);
        };
        let Some(attributes) = queue_attributes(client, &url).await? else {
            return Ok(None);
        };
        let Some(tags) = queue_tags(client, &url).await? else {
            return Ok(None);
        };
        let get = |a: Attr| attributes.get(&a).cloned();
        Ok(Some(QueueFacts {
            url,
            arn: get(Attr::QueueArn).unwrap_or_default(),
            fifo: get(Attr::FifoQueue).as_deref() == Some("true"),
            kms_key_arn: get(Attr::KmsMasterKeyId).filter(|k| !k.is_empty()),
            tags,
        }))
    }

    // create, update

    /// The ARN of the queue at `url`.
    pub async fn queue_arn(client: &Client, url: &str) -> Result<String, AwsError> {
        client
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(Attr::QueueArn)
            .send()
            .await
            .map_err(classify)?
            .attributes()
            .and_then(|a| a.get(&Attr::QueueArn).cloned())
            .ok_or_else(|| AwsError::unexpected("GetQueueAttributes returned no QueueArn"))
    }

    /// The ARN of a queue named `name` next to the queue whose ARN is `arn`.
    fn sibling_arn(arn: &str, name: &str) -> String {
        match arn.rsplit_once(':') {
            Some((prefix, _)) => format!("{prefix}:{name}"),
            None => name.to_string(),
        }
    }

    /// The attributes `spec` sets, except those that need the queue's own ARN.
    async fn attributes_of(
        cx: &Cx<'_>,
        spec: &SqsQueueSpec,
    ) -> Result<HashMap<Attr, String>, AwsError> {
        let mut attributes = HashMap::from([
            (
                Attr::VisibilityTimeout,
                spec.visibility_timeout_seconds.to_string(),
            ),
            (
                Attr::MessageRetentionPeriod,
                spec.retention_seconds.to_string(),
            ),
        ]);
        match &spec.kms_key_arn {
            Some(key) => {
                attributes.insert(Attr::KmsMasterKeyId, key.clone());
                attributes.insert(Attr::SqsManagedSseEnabled, "false".into());
            }
            None => {
                attributes.insert(Attr::SqsManagedSseEnabled, "true".into());
            }
        }
        if spec.fifo {
            attributes.insert(
                Attr::ContentBasedDeduplication,
                spec.content_based_deduplication.to_string(),
            );
        }
        if let Some(dead_letter) = &spec.dead_letter {
            let url = cx
                .ids
                .id(&dead_letter.queue)
                .map_err(|e| AwsError::unexpected(e.message))?;
            let target = queue_arn(&cx.clients.sqs, url).await?;
            attributes.insert(
                Attr::RedrivePolicy,
                canonical_json(&json!({
                    "deadLetterTargetArn": target,
                    "maxReceiveCount": dead_letter.max_receives,
                })),
            );
        }
        Ok(attributes)
    }

    /// The attributes that name the queue's own ARN: the access and redrive-allow policies.
    fn own_arn_attributes(
        cx: &Cx<'_>,
        spec: &SqsQueueSpec,
        arn: &str,
    ) -> Result<HashMap<Attr, String>, AwsError> {
        let topics = crate::aws::common::keys::resolve(&spec.topics, cx.ids)?;
        let mut attributes = HashMap::from([(Attr::Policy, access_policy(arn, &sorted(topics)))]);
        if let Some(source) = &spec.dead_letter_for {
            attributes.insert(
                Attr::RedriveAllowPolicy,
                canonical_json(&json!({
                    "redrivePermission": "byQueue",
                    "sourceQueueArns": [sibling_arn(arn, source)],
                })),
            );
        }
        Ok(attributes)
    }

    fn sorted(mut v: Vec<String>) -> Vec<String> {
        v.sort();
        v.dedup();
        v
    }

    async fn create_new_queue(cx: &Cx<'_>, spec: &SqsQueueSpec) -> Result<String, AwsError> {
        let client = &cx.clients.sqs;
        let mut attributes = attributes_of(cx, spec).await?;
        if spec.fifo {
            attributes.insert(Attr::FifoQueue, "true".into());
        }
        // Tags go in the create call, so the queue never exists untagged. A name deleted in
        // the last minute (a replacement) is refused for a while: wait it out.
        let created = within(
            DELETED_RECENTLY_WAIT,
            format!("SQS to release the name {}", spec.name),
            poll_until(|| async {
                let result = client
                    .create_queue()
                    .queue_name(&spec.name)
                    .set_attributes(Some(attributes.clone()))
                    .set_tags(Some(spec.tags.clone().into_iter().collect()))
                    .send()
                    .await
                    .map_err(classify);
                match result {
                    Err(e) if DELETED_RECENTLY.iter().any(|c| is_code(&e, c)) => Ok(Poll::Pending),
                    other => other.map(Poll::Ready),
                }
            }),
        )
        .await?;
        let url = created
            .queue_url()
            .map(str::to_string)
            .ok_or_else(|| AwsError::unexpected("CreateQueue returned no URL"))?;
        let arn = queue_arn(client, &url).await?;
        client
            .set_queue_attributes()
            .queue_url(&url)
            .set_attributes(Some(own_arn_attributes(cx, spec, &arn)?))
            .send()
            .await
            .map_err(classify)?;
        Ok(url)
    }

    async fn update_queue(
        cx: &Cx<'_>,
        url: &str,
        current: &SqsQueueSpec,
        desired: &SqsQueueSpec,
    ) -> Result<String, AwsError> {
        let client = &cx.clients.sqs;
        let mut changes = attributes_of(cx, desired).await?;
        let arn = queue_arn(client, url).await?;
        changes.extend(own_arn_attributes(cx, desired, &arn)?);
        if current.dead_letter.is_some() && desired.dead_letter.is_none() {
            changes.insert(Attr::RedrivePolicy, String::new());
        }
        if current.dead_letter_for.is_some() && desired.dead_letter_for.is_none() {
            changes.insert(Attr::RedriveAllowPolicy, String::new());
        }
        if current.kms_key_arn.is_some() && desired.kms_key_arn.is_none() {
            changes.insert(Attr::KmsMasterKeyId, String::new());
        }
        client
            .set_queue_attributes()
            .queue_url(url)
            .set_attributes(Some(changes))
            .send()
            .await
            .map_err(classify)?;
        let (changed, removed) = tag_changes(&current.tags, &desired.tags);
        if !changed.is_empty() {
            client
                .tag_queue()
                .queue_url(url)
                .set_tags(Some(changed.into_iter().collect()))
                .send()
                .await
                .map_err(classify)?;
        }
        if !removed.is_empty() {
            client
                .untag_queue()
                .queue_url(url)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(classify)?;
        }
        Ok(url.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_admits_exactly_the_topics_it_names() {
        let arn = "arn:aws:sqs:us-east-1:123456789012:dev-jobs";
        let topics = vec!["arn:aws:sns:us-east-1:123456789012:dev-events".to_string()];
        let policy = access_policy(arn, &topics);
        assert_eq!(admitted_topics(&policy), topics);
        assert!(policy.contains("aws:SecureTransport"));
        assert!(admitted_topics(&access_policy(arn, &[])).is_empty());
        assert!(same_policy(&policy, &policy.replace(',', " ,")));
        assert!(!same_policy(&policy, &access_policy(arn, &[])));
    }

    #[test]
    fn a_queue_name_is_the_last_part_of_its_url_or_arn() {
        assert_eq!(
            queue_name("https://sqs.us-east-1.amazonaws.com/123456789012/dev-jobs"),
            "dev-jobs"
        );
        assert_eq!(
            queue_name("arn:aws:sqs:us-east-1:123456789012:dev-jobs.fifo"),
            "dev-jobs.fifo"
        );
    }
}
