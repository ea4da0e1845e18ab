//! SNS Subscription of an SQS queue to a topic; the ledger ID is the subscription's ARN.
//!
//! Subscriptions carry no tags: a subscription is ours by what it joins, the topic and the
//! queue its spec names, which is also how a lost create is found again.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{Node, NodeKey, Tags};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnsSubscriptionSpec {
    pub topic: NodeKey,
    /// The subscribed queue, which delivers to its consumers.
    pub queue: NodeKey,
    /// Delivers the message body as published, without SNS's JSON envelope.
    pub raw_message_delivery: bool,
}

impl KindSpec for SnsSubscriptionSpec {
    const PREFIX: &'static str = "sns.subscription";
    const DISPLAY_NAME: &'static str = "SNS Subscription";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "sns:GetSubscriptionAttributes",
        "sns:ListSubscriptionsByTopic",
        "sns:SetSubscriptionAttributes",
        "sns:Subscribe",
        "sns:Unsubscribe",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        vec![
            Reference::replace(&self.topic),
            Reference::replace(&self.queue),
        ]
    }

    fn tags(&self) -> Option<&Tags> {
        None
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[
            ("topic", self.topic != d.topic),
            ("queue", self.queue != d.queue),
        ])
    }

    fn hourly_charge(&self, _graph: &BTreeMap<NodeKey, Node>) -> Option<(&'static str, f64)> {
        None
    }
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use std::time::Duration;

    use aws_sdk_sns::Client;

    use super::*;
    use crate::aws::common::keys::key_of;
    use crate::aws::common::poll::{poll_until, within, Poll};
    use crate::aws::error::{classify, none_if_not_found, AwsError};
    use crate::aws::kind::{AwsKind, Cx};
    use crate::aws::sqs::queue::{queue_arn, queue_name};
    use crate::plan::node::Kind;

    impl AwsKind for SnsSubscriptionSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            let (topic, endpoint) = ends(cx, spec).await?;
            find_subscription(&cx.clients.sns, &topic, &endpoint).await
        }

        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            let Some(attributes) = subscription_attributes(&cx.clients.sns, id).await? else {
                return Ok(None);
            };
            let get = |name: &str| attributes.get(name).map(String::as_str).unwrap_or_default();
            let endpoint = get("Endpoint");
            // The recorded queue when the endpoint is a queue of its name, else a foreign one.
            let queue = match cx.ids.id(&current.queue) {
                Ok(url) if queue_name(url) == queue_name(endpoint) => current.queue.clone(),
                _ => NodeKey::new(Kind::Queue, &["external", endpoint]),
            };
            Ok(Some(SnsSubscriptionSpec {
                topic: key_of(cx.ids, Kind::Topic, get("TopicArn")),
                queue,
                raw_message_delivery: get("RawMessageDelivery") == "true",
            }))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            let client = &cx.clients.sns;
            let (topic, endpoint) = ends(cx, spec).await?;
            let arn = match find_subscription(client, &topic, &endpoint).await? {
                Some(arn) => {
                    set_raw_delivery(client, &arn, spec.raw_message_delivery).await?;
                    arn
                }
                None => client
                    .subscribe()
                    .topic_arn(&topic)
                    .protocol("sqs")
                    .endpoint(&endpoint)
                    .attributes("RawMessageDelivery", spec.raw_message_delivery.to_string())
                    .return_subscription_arn(true)
                    .send()
                    .await
                    .map_err(classify)?
                    .subscription_arn()
                    .map(str::to_string)
                    .ok_or_else(|| AwsError::unexpected("Subscribe returned no ARN"))?,
            };
            wait_confirmed(client, &arn).await?;
            Ok(arn)
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            if current.raw_message_delivery != desired.raw_message_delivery {
                set_raw_delivery(&cx.clients.sns, id, desired.raw_message_delivery).await?;
            }
            Ok(id.to_string())
        }

        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            none_if_not_found(
                cx.clients
                    .sns
                    .unsubscribe()
                    .subscription_arn(id)
                    .send()
                    .await
                    .map_err(classify),
            )?;
            Ok(())
        }
    }

    // constants

    /// A subscription to a queue of the same account confirms itself within seconds; one
    /// across accounts waits for the queue's owner, which the apply does not.
    const CONFIRMATION_WAIT: Duration = Duration::from_secs(120);
    /// What ListSubscriptionsByTopic shows instead of an ARN before confirmation.
    const PENDING: &str = "PendingConfirmation";

    // find

    /// The topic's ARN and the queue's ARN, the subscription's two ends.
    async fn ends(cx: &Cx<'_>, spec: &SnsSubscriptionSpec) -> Result<(String, String), AwsError> {
        let id = |key: &NodeKey| {
            cx.ids
                .id(key)
                .map(str::to_string)
                .map_err(|e| AwsError::unexpected(e.message))
        };
        let topic = id(&spec.topic)?;
        let endpoint = queue_arn(&cx.clients.sqs, &id(&spec.queue)?).await?;
        Ok((topic, endpoint))
    }

    /// The ARN of the topic's SQS subscription delivering to `endpoint`, confirmed or not.
    pub async fn find_subscription(
        client: &Client,
        topic: &str,
        endpoint: &str,
    ) -> Result<Option<String>, AwsError> {
        let mut pages = client
            .list_subscriptions_by_topic()
            .topic_arn(topic)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let Some(page) = none_if_not_found(page.map_err(classify))? else {
                return Ok(None);
            };
            if let Some(found) = page.subscriptions().iter().find(|s| {
                s.protocol() == Some("sqs")
                    && s.endpoint() == Some(endpoint)
                    && s.subscription_arn().is_some_and(|a| a != PENDING)
            }) {
                return Ok(found.subscription_arn().map(str::to_string));
            }
        }
        Ok(None)
    }

    async fn subscription_attributes(
        client: &Client,
        arn: &str,
    ) -> Result<Option<std::collections::HashMap<String, String>>, AwsError> {
        Ok(none_if_not_found(
            client
                .get_subscription_attributes()
                .subscription_arn(arn)
                .send()
                .await
                .map_err(classify),
        )?
        .map(|out| out.attributes().cloned().unwrap_or_default()))
    }

    // wait

    /// Waits until SNS has confirmed the subscription: until then it delivers nothing.
    async fn wait_confirmed(client: &Client, arn: &str) -> Result<(), AwsError> {
        within(
            CONFIRMATION_WAIT,
            format!("subscription {arn} to be confirmed"),
            poll_until(|| async {
                let attributes = subscription_attributes(client, arn).await?;
                Ok(match attributes {
                    Some(a) if a.get(PENDING).map(String::as_str) == Some("true") => Poll::Pending,
                    Some(_) => Poll::Ready(()),
                    // Not readable yet right after Subscribe.
                    None => Poll::Pending,
                })
            }),
        )
        .await
    }

    // update

    async fn set_raw_delivery(client: &Client, arn: &str, raw: bool) -> Result<(), AwsError> {
        client
            .set_subscription_attributes()
            .subscription_arn(arn)
            .attribute_name("RawMessageDelivery")
            .attribute_value(raw.to_string())
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }
}
