//! SNS Topic; the ledger ID is its ARN.
//!
//! Encrypted at rest always (the AWS managed `alias/aws/sns` key unless the spec names one).
//! SNS has no batch describe: observe reads each topic's attributes and tags, two calls, and
//! the adopt-first lookup reads the account's topic listing once per run.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{Node, NodeKey, Tags};

/// The AWS managed key SNS encrypts with when the spec names none.
pub const AWS_MANAGED_KEY: &str = "alias/aws/sns";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnsTopicSpec {
    /// With the `.fifo` suffix for a FIFO topic.
    pub name: String,
    pub fifo: bool,
    pub content_based_deduplication: bool,
    /// A KMS key ARN, or [`AWS_MANAGED_KEY`].
    pub kms_key: String,
    pub tags: Tags,
}

impl KindSpec for SnsTopicSpec {
    const PREFIX: &'static str = "sns.topic";
    const DISPLAY_NAME: &'static str = "SNS Topic";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "sns:CreateTopic",
        "sns:DeleteTopic",
        "sns:GetTopicAttributes",
        "sns:ListTagsForResource",
        "sns:ListTopics",
        "sns:SetTopicAttributes",
        "sns:TagResource",
        "sns:UntagResource",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        vec![]
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

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use std::collections::HashMap;

    use aws_sdk_sns::Client;

    use super::*;
    use crate::aws::common::ownership::{adopt_or_create, owned_by, tag_changes, Found};
    use crate::aws::common::tags::{from_sdk, to_sdk};
    use crate::aws::error::{classify, none_if_not_found, AwsError};
    use crate::aws::kind::{AwsKind, Cx};

    impl AwsKind for SnsTopicSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            Ok(read_topic_named(&cx.clients.sns, cx, &spec.name)
                .await?
                .filter(|found| owned_by(&found.tags, &spec.tags))
                .map(|found| found.id))
        }

        async fn observe(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<Option<Self>, AwsError> {
            Ok(read_topic(&cx.clients.sns, id)
                .await?
                .map(|found| found.current))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            let client = &cx.clients.sns;
            adopt_or_create(
                "SNS topic",
                &spec.name,
                &spec.tags,
                &[],
                || read_topic_named(client, cx, &spec.name),
                |found| async move { update_topic(client, &found.id, &found.current, spec).await },
                || create_new_topic(client, spec),
            )
            .await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_topic(&cx.clients.sns, id, current, desired).await
        }

        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            // DeleteTopic succeeds for a topic that is gone.
            none_if_not_found(
                cx.clients
                    .sns
                    .delete_topic()
                    .topic_arn(id)
                    .send()
                    .await
                    .map_err(classify),
            )?;
            Ok(())
        }
    }

    // constants

    const KMS_KEY: &str = "KmsMasterKeyId";
    const FIFO: &str = "FifoTopic";
    const DEDUPLICATION: &str = "ContentBasedDeduplication";

    // find

    /// The topic's name: the last part of its ARN.
    pub fn topic_name(arn: &str) -> &str {
        arn.rsplit(':').next().unwrap_or(arn)
    }

    /// Every topic ARN of the account in this region, read once per `cx.reads`.
    async fn topic_arns(
        client: &Client,
        cx: &Cx<'_>,
    ) -> Result<std::sync::Arc<Vec<String>>, AwsError> {
        cx.reads
            .get("sns.topic/list", || async {
                let mut pages = client.list_topics().into_paginator().send();
                let mut arns = Vec::new();
                while let Some(page) = pages.next().await {
                    arns.extend(
                        page.map_err(classify)?
                            .topics()
                            .iter()
                            .filter_map(|t| t.topic_arn().map(str::to_string)),
                    );
                }
                Ok(arns)
            })
            .await
    }

    async fn read_topic_named(
        client: &Client,
        cx: &Cx<'_>,
        name: &str,
    ) -> Result<Option<Found<SnsTopicSpec>>, AwsError> {
        let arns = topic_arns(client, cx).await?;
        match arns.iter().find(|arn| topic_name(arn) == name) {
            Some(arn) => read_topic(client, arn).await,
            None => Ok(None),
        }
    }

    /// The topic with its tags; `None` when it is gone.
    pub async fn read_topic(
        client: &Client,
        arn: &str,
    ) -> Result<Option<Found<SnsTopicSpec>>, AwsError> {
        let Some(attributes) = none_if_not_found(
            client
                .get_topic_attributes()
                .topic_arn(arn)
                .send()
                .await
                .map_err(classify),
        )?
        else {
            return Ok(None);
        };
        let Some(tags) = none_if_not_found(
            client
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await
                .map_err(classify),
        )?
        else {
            return Ok(None);
        };
        let tags = from_sdk(tags.tags());
        let empty = HashMap::new();
        let attributes = attributes.attributes().unwrap_or(&empty);
        Ok(Some(Found {
            id: arn.to_string(),
            current: flatten_topic(arn, attributes, tags.clone()),
            tags,
        }))
    }

    // create, update

    async fn create_new_topic(client: &Client, spec: &SnsTopicSpec) -> Result<String, AwsError> {
        let mut attributes = HashMap::from([(KMS_KEY.to_string(), spec.kms_key.clone())]);
        if spec.fifo {
            attributes.insert(FIFO.to_string(), "true".to_string());
            attributes.insert(
                DEDUPLICATION.to_string(),
                spec.content_based_deduplication.to_string(),
            );
        }
        // Tags go in the create call, so the topic never exists untagged.
        let out = client
            .create_topic()
            .name(&spec.name)
            .set_attributes(Some(attributes))
            .set_tags(Some(to_sdk(&spec.tags)?))
            .send()
            .await
            .map_err(classify)?;
        out.topic_arn()
            .map(str::to_string)
            .ok_or_else(|| AwsError::unexpected("CreateTopic returned no ARN"))
    }

    async fn update_topic(
        client: &Client,
        arn: &str,
        current: &SnsTopicSpec,
        desired: &SnsTopicSpec,
    ) -> Result<String, AwsError> {
        let mut changes = Vec::new();
        if current.kms_key != desired.kms_key {
            changes.push((KMS_KEY, desired.kms_key.clone()));
        }
        if desired.fifo
            && current.content_based_deduplication != desired.content_based_deduplication
        {
            changes.push((
                DEDUPLICATION,
                desired.content_based_deduplication.to_string(),
            ));
        }
        for (name, value) in changes {
            client
                .set_topic_attributes()
                .topic_arn(arn)
                .attribute_name(name)
                .attribute_value(value)
                .send()
                .await
                .map_err(classify)?;
        }
        let (changed, removed) = tag_changes(&current.tags, &desired.tags);
        if !changed.is_empty() {
            client
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(to_sdk(&changed)?))
                .send()
                .await
                .map_err(classify)?;
        }
        if !removed.is_empty() {
            client
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(classify)?;
        }
        Ok(arn.to_string())
    }

    // flatten

    /// A topic without `KmsMasterKeyId` is unencrypted: it reads as an empty key, which no
    /// spec has, so the next apply encrypts it.
    pub fn flatten_topic(
        arn: &str,
        attributes: &HashMap<String, String>,
        tags: Tags,
    ) -> SnsTopicSpec {
        let flag = |name: &str| attributes.get(name).is_some_and(|v| v == "true");
        SnsTopicSpec {
            name: topic_name(arn).to_string(),
            fifo: flag(FIFO),
            content_based_deduplication: flag(DEDUPLICATION),
            kms_key: attributes.get(KMS_KEY).cloned().unwrap_or_default(),
            tags,
        }
    }
}
