//! SQS queues, SNS topics and subscriptions, S3 buckets and their CloudFront distributions
//! against mocked AWS responses: what the emulator cannot show (a subscription confirmed after
//! a while, a name AWS holds for a minute after a delete, a queue of someone else's under our
//! name, a distribution's disable-then-delete wait) and the exact requests made.

mod common;

use std::collections::HashMap;

use aws_sdk_sns::operation::get_subscription_attributes::GetSubscriptionAttributesOutput;
use aws_sdk_sns::operation::list_subscriptions_by_topic::ListSubscriptionsByTopicOutput;
use aws_sdk_sns::operation::subscribe::SubscribeOutput;
use aws_sdk_sqs::operation::create_queue::{CreateQueueError, CreateQueueOutput};
use aws_sdk_sqs::operation::get_queue_attributes::GetQueueAttributesOutput;
use aws_sdk_sqs::operation::get_queue_url::{GetQueueUrlError, GetQueueUrlOutput};
use aws_sdk_sqs::operation::list_queue_tags::ListQueueTagsOutput;
use aws_sdk_sqs::operation::set_queue_attributes::SetQueueAttributesOutput;
use aws_sdk_sqs::types::QueueAttributeName as Attr;
use aws_smithy_mocks::mock;
use common::{clients, Mocks};

use terraform_provider_platform::apply::IdMap;
use terraform_provider_platform::aws::common::reads::Reads;
use terraform_provider_platform::aws::error::AwsError;
use terraform_provider_platform::aws::kind::{AwsKind, Cx};
use terraform_provider_platform::aws::sns::subscription::SnsSubscriptionSpec;
use terraform_provider_platform::aws::sqs::queue::{DeadLetter, SqsQueueSpec};
use terraform_provider_platform::plan::ledger::Ledger;
use terraform_provider_platform::plan::node::{Kind, NodeKey, Tags};

const TOPIC_ARN: &str = "arn:aws:sns:us-east-1:123456789012:dev-events";
const QUEUE_URL: &str = "https://sqs.us-east-1.amazonaws.com/123456789012/dev-jobs";
const QUEUE_ARN: &str = "arn:aws:sqs:us-east-1:123456789012:dev-jobs";
const DLQ_URL: &str = "https://sqs.us-east-1.amazonaws.com/123456789012/dev-jobs-dlq";
const DLQ_ARN: &str = "arn:aws:sqs:us-east-1:123456789012:dev-jobs-dlq";
const SUBSCRIPTION_ARN: &str = "arn:aws:sns:us-east-1:123456789012:dev-events:6c1f1a2e";

fn topic_key() -> NodeKey {
    NodeKey::new(Kind::Topic, &["subscribed", "events"])
}
fn queue_key() -> NodeKey {
    NodeKey::new(Kind::Queue, &["main"])
}
fn dlq_key() -> NodeKey {
    NodeKey::new(Kind::Queue, &["dead_letter"])
}

fn ids() -> IdMap {
    let mut ledger = Ledger::new();
    ledger.external.insert(topic_key(), TOPIC_ARN.into());
    ledger.external.insert(queue_key(), QUEUE_URL.into());
    ledger.external.insert(dlq_key(), DLQ_URL.into());
    IdMap::from_ledger(&ledger)
}

fn tags(owner: &str) -> Tags {
    [
        ("platform:owner".to_string(), owner.to_string()),
        ("platform:node".to_string(), "sqs.queue/main".to_string()),
    ]
    .into()
}

fn queue() -> SqsQueueSpec {
    SqsQueueSpec {
        name: "dev-jobs".into(),
        fifo: false,
        content_based_deduplication: false,
        visibility_timeout_seconds: 30,
        retention_seconds: 4 * 86_400,
        kms_key_arn: None,
        dead_letter: Some(DeadLetter {
            queue: dlq_key(),
            max_receives: 5,
        }),
        dead_letter_for: None,
        topics: vec![topic_key()],
        policy_in_sync: true,
        tags: tags("queue/dev/jobs"),
    }
}

fn arn_of(url: &str) -> Option<&'static str> {
    match url {
        QUEUE_URL => Some(QUEUE_ARN),
        DLQ_URL => Some(DLQ_ARN),
        _ => None,
    }
}

fn arn_output(url: &str) -> GetQueueAttributesOutput {
    GetQueueAttributesOutput::builder()
        .attributes(Attr::QueueArn, arn_of(url).unwrap_or_default())
        .build()
}

macro_rules! cx {
    ($clients:expr, $ids:ident, $reads:ident) => {
        Cx {
            clients: &$clients,
            ids: &$ids,
            reads: &$reads,
        }
    };
}

/// SNS confirms a subscription to a queue a little after Subscribe answers: until then it
/// delivers nothing, so create waits for `PendingConfirmation = false`.
#[tokio::test(start_paused = true)]
async fn a_subscription_waits_for_its_confirmation() {
    let list = mock!(aws_sdk_sns::Client::list_subscriptions_by_topic)
        .match_requests(|r| r.topic_arn() == Some(TOPIC_ARN))
        .then_output(|| ListSubscriptionsByTopicOutput::builder().build());
    let subscribe = mock!(aws_sdk_sns::Client::subscribe)
        .match_requests(|r| {
            r.topic_arn() == Some(TOPIC_ARN)
                && r.protocol() == Some("sqs")
                && r.endpoint() == Some(QUEUE_ARN)
                && r.return_subscription_arn() == Some(true)
                && r.attributes().and_then(|a| a.get("RawMessageDelivery"))
                    == Some(&"true".to_string())
        })
        .then_output(|| {
            SubscribeOutput::builder()
                .subscription_arn(SUBSCRIPTION_ARN)
                .build()
        });
    let pending = |value: &str| {
        let value = value.to_string();
        move || {
            GetSubscriptionAttributesOutput::builder()
                .set_attributes(Some(HashMap::from([
                    ("PendingConfirmation".to_string(), value.clone()),
                    ("TopicArn".to_string(), TOPIC_ARN.to_string()),
                ])))
                .build()
        }
    };
    let attributes = mock!(aws_sdk_sns::Client::get_subscription_attributes)
        .sequence()
        .output(pending("true"))
        .output(pending("true"))
        .output(pending("false"))
        .build();
    let queue_arn = mock!(aws_sdk_sqs::Client::get_queue_attributes)
        .match_requests(|r| r.queue_url() == Some(QUEUE_URL))
        .then_output(|| arn_output(QUEUE_URL));
    let clients = clients(&Mocks {
        sns: vec![&list, &subscribe, &attributes],
        sqs: vec![&queue_arn],
        ..Mocks::default()
    });
    let (ids, reads) = (ids(), Reads::new());
    let spec = SnsSubscriptionSpec {
        topic: topic_key(),
        queue: queue_key(),
        raw_message_delivery: true,
    };
    let created = SnsSubscriptionSpec::create(&cx!(clients, ids, reads), &spec).await;
    assert_eq!(created, Ok(SUBSCRIPTION_ARN.to_string()));
    assert_eq!(subscribe.num_calls(), 1);
    assert_eq!(attributes.num_calls(), 3, "polled until confirmed");
}

/// A subscription an earlier run made (its answer lost) is found by topic and queue and not
/// made twice; one SNS still lists as pending has no ARN to adopt, so Subscribe runs (SNS
/// answers it with the same subscription).
#[tokio::test(start_paused = true)]
async fn a_confirmed_subscription_is_adopted_not_repeated() {
    let list = mock!(aws_sdk_sns::Client::list_subscriptions_by_topic).then_output(|| {
        ListSubscriptionsByTopicOutput::builder()
            .subscriptions(
                aws_sdk_sns::types::Subscription::builder()
                    .subscription_arn("PendingConfirmation")
                    .protocol("sqs")
                    .endpoint(DLQ_ARN)
                    .build(),
            )
            .subscriptions(
                aws_sdk_sns::types::Subscription::builder()
                    .subscription_arn(SUBSCRIPTION_ARN)
                    .protocol("sqs")
                    .endpoint(QUEUE_ARN)
                    .build(),
            )
            .build()
    });
    let subscribe = mock!(aws_sdk_sns::Client::subscribe).then_output(|| {
        SubscribeOutput::builder()
            .subscription_arn("arn:aws:sns:us-east-1:123456789012:dev-events:other")
            .build()
    });
    let set = mock!(aws_sdk_sns::Client::set_subscription_attributes)
        .match_requests(|r| {
            r.subscription_arn() == Some(SUBSCRIPTION_ARN)
                && r.attribute_name() == Some("RawMessageDelivery")
                && r.attribute_value() == Some("true")
        })
        .then_output(|| {
            aws_sdk_sns::operation::set_subscription_attributes::SetSubscriptionAttributesOutput::builder().build()
        });
    let attributes = mock!(aws_sdk_sns::Client::get_subscription_attributes).then_output(|| {
        GetSubscriptionAttributesOutput::builder()
            .set_attributes(Some(HashMap::from([(
                "PendingConfirmation".to_string(),
                "false".to_string(),
            )])))
            .build()
    });
    let queue_arn =
        mock!(aws_sdk_sqs::Client::get_queue_attributes).then_output(|| arn_output(QUEUE_URL));
    let clients = clients(&Mocks {
        sns: vec![&list, &subscribe, &set, &attributes],
        sqs: vec![&queue_arn],
        ..Mocks::default()
    });
    let (ids, reads) = (ids(), Reads::new());
    let spec = SnsSubscriptionSpec {
        topic: topic_key(),
        queue: queue_key(),
        raw_message_delivery: true,
    };
    let created = SnsSubscriptionSpec::create(&cx!(clients, ids, reads), &spec).await;
    assert_eq!(created, Ok(SUBSCRIPTION_ARN.to_string()));
    assert_eq!(subscribe.num_calls(), 0);
    assert_eq!(set.num_calls(), 1);
}

fn meta(code: &str) -> aws_sdk_sqs::error::ErrorMetadata {
    aws_sdk_sqs::error::ErrorMetadata::builder()
        .code(code)
        .build()
}

fn not_found_url() -> GetQueueUrlError {
    GetQueueUrlError::QueueDoesNotExist(
        aws_sdk_sqs::types::error::QueueDoesNotExist::builder()
            .message("The specified queue does not exist.")
            .meta(meta("QueueDoesNotExist"))
            .build(),
    )
}

/// A queue's name is refused for a minute after a queue of that name was deleted (a
/// replacement): create waits it out, then sets the policy that names its own ARN.
#[tokio::test(start_paused = true)]
async fn a_recently_deleted_name_is_waited_out() {
    let url = mock!(aws_sdk_sqs::Client::get_queue_url).then_error(not_found_url);
    let create = mock!(aws_sdk_sqs::Client::create_queue)
        .sequence()
        .error(|| {
            CreateQueueError::QueueDeletedRecently(
                aws_sdk_sqs::types::error::QueueDeletedRecently::builder()
                    .message("You must wait 60 seconds after deleting a queue before you can create another with the same name.")
                    .meta(meta("QueueDeletedRecently"))
                    .build(),
            )
        })
        .output(|| CreateQueueOutput::builder().queue_url(QUEUE_URL).build())
        .build();
    let attributes =
        mock!(aws_sdk_sqs::Client::get_queue_attributes).then_output(|| arn_output(QUEUE_URL));
    let dlq_attributes = mock!(aws_sdk_sqs::Client::get_queue_attributes)
        .match_requests(|r| r.queue_url() == Some(DLQ_URL))
        .then_output(|| arn_output(DLQ_URL));
    let set = mock!(aws_sdk_sqs::Client::set_queue_attributes)
        .match_requests(|r| {
            let policy = r
                .attributes()
                .and_then(|a| a.get(&Attr::Policy))
                .cloned()
                .unwrap_or_default();
            r.queue_url() == Some(QUEUE_URL)
                && policy.contains(QUEUE_ARN)
                && policy.contains(TOPIC_ARN)
                && policy.contains("aws:SecureTransport")
        })
        .then_output(|| SetQueueAttributesOutput::builder().build());
    let clients = clients(&Mocks {
        sqs: vec![&url, &create, &dlq_attributes, &attributes, &set],
        ..Mocks::default()
    });
    let (ids, reads) = (ids(), Reads::new());
    let created = SqsQueueSpec::create(&cx!(clients, ids, reads), &queue()).await;
    assert_eq!(created, Ok(QUEUE_URL.to_string()));
    assert_eq!(create.num_calls(), 2);
    assert_eq!(set.num_calls(), 1, "the access policy names the new queue");
}

/// A queue of our name without our ownership tags is someone else's: refused, never changed.
#[tokio::test(start_paused = true)]
async fn a_foreign_queue_of_our_name_is_refused() {
    let url = mock!(aws_sdk_sqs::Client::get_queue_url)
        .then_output(|| GetQueueUrlOutput::builder().queue_url(QUEUE_URL).build());
    let attributes =
        mock!(aws_sdk_sqs::Client::get_queue_attributes).then_output(|| arn_output(QUEUE_URL));
    let tags = mock!(aws_sdk_sqs::Client::list_queue_tags).then_output(|| {
        ListQueueTagsOutput::builder()
            .tags("team", "payments")
            .build()
    });
    let create = mock!(aws_sdk_sqs::Client::create_queue)
        .then_output(|| CreateQueueOutput::builder().queue_url(QUEUE_URL).build());
    let set = mock!(aws_sdk_sqs::Client::set_queue_attributes)
        .then_output(|| SetQueueAttributesOutput::builder().build());
    let clients = clients(&Mocks {
        sqs: vec![&url, &attributes, &tags, &create, &set],
        ..Mocks::default()
    });
    let (ids, reads) = (ids(), Reads::new());
    let created = SqsQueueSpec::create(&cx!(clients, ids, reads), &queue()).await;
    assert!(
        matches!(&created, Err(AwsError::Api { code, .. }) if code == "NameTaken"),
        "{created:?}"
    );
    assert_eq!(create.num_calls() + set.num_calls(), 0);
}

mod buckets {
    use aws_sdk_s3::operation::delete_bucket::DeleteBucketOutput;
    use aws_sdk_s3::operation::delete_objects::DeleteObjectsOutput;
    use aws_sdk_s3::operation::list_object_versions::ListObjectVersionsOutput;
    use aws_sdk_s3::types::{DeleteMarkerEntry, ObjectVersion};
    use aws_smithy_mocks::mock;

    use super::common::{clients, Mocks};
    use terraform_provider_platform::aws::error::AwsError;
    use terraform_provider_platform::aws::s3::bucket::delete_bucket;

    const BUCKET: &str = "dev-assets-123456789012-us-east-1";

    fn versions() -> ListObjectVersionsOutput {
        ListObjectVersionsOutput::builder()
            .versions(
                ObjectVersion::builder()
                    .key("a.txt")
                    .version_id("v1")
                    .build(),
            )
            .versions(
                ObjectVersion::builder()
                    .key("a.txt")
                    .version_id("v2")
                    .build(),
            )
            .delete_markers(
                DeleteMarkerEntry::builder()
                    .key("b.txt")
                    .version_id("m1")
                    .build(),
            )
            .is_truncated(false)
            .build()
    }

    /// Without force_destroy a bucket holding objects is refused by name and count, and
    /// nothing is deleted.
    #[tokio::test]
    async fn a_non_empty_bucket_is_refused_by_name_and_count() {
        let list = mock!(aws_sdk_s3::Client::list_object_versions)
            .match_requests(|r| r.bucket() == Some(BUCKET))
            .then_output(versions);
        let delete_objects = mock!(aws_sdk_s3::Client::delete_objects)
            .then_output(|| DeleteObjectsOutput::builder().build());
        let delete = mock!(aws_sdk_s3::Client::delete_bucket)
            .then_output(|| DeleteBucketOutput::builder().build());
        let clients = clients(&Mocks {
            s3: vec![&list, &delete_objects, &delete],
            ..Mocks::default()
        });
        let refused = delete_bucket(&clients.s3, BUCKET, false).await;
        match refused {
            Err(AwsError::Api { code, message }) => {
                assert_eq!(code, "BucketNotEmpty");
                assert!(message.contains(BUCKET), "{message}");
                assert!(message.contains("holds 3 objects"), "{message}");
                assert!(message.contains("force_destroy"), "{message}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(delete_objects.num_calls() + delete.num_calls(), 0);
    }

    /// With force_destroy every version and delete marker goes in one DeleteObjects, then the
    /// bucket.
    #[tokio::test]
    async fn force_destroy_removes_every_version_then_the_bucket() {
        let list = mock!(aws_sdk_s3::Client::list_object_versions).then_output(versions);
        let delete_objects = mock!(aws_sdk_s3::Client::delete_objects)
            .match_requests(|r| {
                let objects = r.delete().map(|d| d.objects()).unwrap_or_default();
                let pairs: Vec<(&str, Option<&str>)> =
                    objects.iter().map(|o| (o.key(), o.version_id())).collect();
                pairs
                    == [
                        ("a.txt", Some("v1")),
                        ("a.txt", Some("v2")),
                        ("b.txt", Some("m1")),
                    ]
            })
            .then_output(|| DeleteObjectsOutput::builder().build());
        let delete = mock!(aws_sdk_s3::Client::delete_bucket)
            .match_requests(|r| r.bucket() == Some(BUCKET))
            .then_output(|| DeleteBucketOutput::builder().build());
        let clients = clients(&Mocks {
            s3: vec![&list, &delete_objects, &delete],
            ..Mocks::default()
        });
        assert_eq!(delete_bucket(&clients.s3, BUCKET, true).await, Ok(()));
        assert_eq!(delete_objects.num_calls(), 1);
        assert_eq!(delete.num_calls(), 1);
    }
}

/// A bucket's CDN: CloudFront deletes only a disabled distribution whose disabling has
/// deployed, and the emulator finishes every deployment at once.
mod cdn {
    use aws_sdk_cloudfront::operation::create_distribution_with_tags::CreateDistributionWithTagsOutput;
    use aws_sdk_cloudfront::operation::delete_distribution::DeleteDistributionOutput;
    use aws_sdk_cloudfront::operation::get_distribution::GetDistributionOutput;
    use aws_sdk_cloudfront::operation::list_distributions::ListDistributionsOutput;
    use aws_sdk_cloudfront::operation::list_origin_access_controls::ListOriginAccessControlsOutput;
    use aws_sdk_cloudfront::operation::update_distribution::UpdateDistributionOutput;
    use aws_sdk_cloudfront::types::{
        Distribution, DistributionList, OriginAccessControlList, OriginAccessControlOriginTypes,
        OriginAccessControlSigningBehaviors, OriginAccessControlSigningProtocols,
        OriginAccessControlSummary, ViewerProtocolPolicy,
    };
    use aws_smithy_types::DateTime;

    use super::*;
    use terraform_provider_platform::aws::cloudfront::distribution::{
        distribution_config, DistributionSpec,
    };
    use terraform_provider_platform::aws::cloudfront::origin_access_control::OriginAccessControlSpec;

    const ID: &str = "E2QWRUHAPOMQZL";
    const ARN: &str = "arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL";
    const BUCKET: &str = "prod-assets-123456789012-eu-west-1";
    const OAC: &str = "E1OAC";

    fn bucket_key() -> NodeKey {
        NodeKey::new(Kind::Bucket, &["main"])
    }
    fn oac_key() -> NodeKey {
        NodeKey::new(Kind::OriginAccessControl, &["main"])
    }

    fn cdn_ids() -> IdMap {
        let mut ledger = Ledger::new();
        ledger.external.insert(bucket_key(), BUCKET.into());
        ledger.external.insert(oac_key(), OAC.into());
        IdMap::from_ledger(&ledger)
    }

    fn spec(wait: bool) -> DistributionSpec {
        DistributionSpec {
            bucket: bucket_key(),
            region: "eu-west-1".into(),
            origin_access_control: oac_key(),
            comment: "prod-assets".into(),
            aliases: Vec::new(),
            certificate_arn: None,
            price_class: "PriceClass_100".into(),
            default_ttl: None,
            enabled: true,
            fixed_settings: true,
            wait_for_deployment: wait,
            tags: [
                (
                    "platform:owner".to_string(),
                    "bucket/prod/assets".to_string(),
                ),
                (
                    "platform:node".to_string(),
                    "cloudfront.distribution/main".to_string(),
                ),
            ]
            .into(),
        }
    }

    fn distribution(enabled: bool, status: &str) -> Distribution {
        let mut config = distribution_config(&spec(true), BUCKET, OAC, "ref-1").unwrap();
        config.enabled = enabled;
        Distribution::builder()
            .id(ID)
            .arn(ARN)
            .status(status)
            .domain_name("d111111abcdef8.cloudfront.net")
            .last_modified_time(DateTime::from_secs(0))
            .in_progress_invalidation_batches(0)
            .distribution_config(config)
            .build()
            .unwrap()
    }

    fn got(
        enabled: bool,
        status: &'static str,
        etag: &'static str,
    ) -> impl Fn() -> GetDistributionOutput {
        move || {
            GetDistributionOutput::builder()
                .distribution(distribution(enabled, status))
                .e_tag(etag)
                .build()
        }
    }

    /// Destroy disables the distribution, waits while the disabling deploys, and deletes it
    /// with the ETag of the disabled configuration.
    #[tokio::test(start_paused = true)]
    async fn a_distribution_is_disabled_waited_for_then_deleted() {
        let get = mock!(aws_sdk_cloudfront::Client::get_distribution)
            .sequence()
            .output(got(true, "Deployed", "E1"))
            .output(got(false, "InProgress", "E2"))
            .output(got(false, "InProgress", "E2"))
            .output(got(false, "Deployed", "E3"))
            .build();
        let disable = mock!(aws_sdk_cloudfront::Client::update_distribution)
            .match_requests(|r| {
                r.id() == Some(ID)
                    && r.if_match() == Some("E1")
                    && r.distribution_config().is_some_and(|c| !c.enabled())
                    && r.distribution_config().map(|c| c.caller_reference()) == Some("ref-1")
            })
            .then_output(|| UpdateDistributionOutput::builder().build());
        let delete = mock!(aws_sdk_cloudfront::Client::delete_distribution)
            .match_requests(|r| r.id() == Some(ID) && r.if_match() == Some("E3"))
            .then_output(|| DeleteDistributionOutput::builder().build());
        let clients = clients(&Mocks {
            cloudfront: vec![&get, &disable, &delete],
            ..Mocks::default()
        });
        let (ids, reads) = (cdn_ids(), Reads::new());
        let deleted = DistributionSpec::delete(&cx!(clients, ids, reads), ID, &spec(true)).await;
        assert_eq!(deleted, Ok(()));
        assert_eq!(disable.num_calls(), 1, "disabled once");
        assert_eq!(get.num_calls(), 4, "polled until the disabling deployed");
        assert_eq!(delete.num_calls(), 1, "deleted only once deployed");
    }

    /// A distribution someone else disabled already is deleted without another update; one
    /// already gone is success.
    #[tokio::test(start_paused = true)]
    async fn a_disabled_or_missing_distribution_is_deleted_without_an_update() {
        let get = mock!(aws_sdk_cloudfront::Client::get_distribution)
            .then_output(got(false, "Deployed", "E7"));
        let delete = mock!(aws_sdk_cloudfront::Client::delete_distribution)
            .match_requests(|r| r.if_match() == Some("E7"))
            .then_output(|| DeleteDistributionOutput::builder().build());
        let clients = clients(&Mocks {
            cloudfront: vec![&get, &delete],
            ..Mocks::default()
        });
        let (ids, reads) = (cdn_ids(), Reads::new());
        let cx = cx!(clients, ids, reads);
        assert_eq!(DistributionSpec::delete(&cx, ID, &spec(true)).await, Ok(()));
        assert_eq!(delete.num_calls(), 1);

        let gone = mock!(aws_sdk_cloudfront::Client::get_distribution).then_error(|| {
            aws_sdk_cloudfront::operation::get_distribution::GetDistributionError::generic(
                aws_sdk_cloudfront::error::ErrorMetadata::builder()
                    .code("NoSuchDistribution")
                    .build(),
            )
        });
        let clients = common::clients(&Mocks {
            cloudfront: vec![&gone],
            ..Mocks::default()
        });
        let cx = cx!(clients, ids, reads);
        assert_eq!(DistributionSpec::delete(&cx, ID, &spec(true)).await, Ok(()));
    }

    /// Create serves the bucket through the origin access control over HTTPS, tags the
    /// distribution at birth and, when asked, waits for `Deployed`.
    #[tokio::test(start_paused = true)]
    async fn create_makes_a_private_https_distribution_and_waits_when_asked() {
        let list = mock!(aws_sdk_cloudfront::Client::list_distributions).then_output(|| {
            ListDistributionsOutput::builder()
                .distribution_list(
                    DistributionList::builder()
                        .marker("")
                        .max_items(100)
                        .is_truncated(false)
                        .quantity(0)
                        .build()
                        .unwrap(),
                )
                .build()
        });
        let create = mock!(aws_sdk_cloudfront::Client::create_distribution_with_tags)
            .match_requests(|r| {
                let Some(with_tags) = r.distribution_config_with_tags() else {
                    return false;
                };
                let config = with_tags.distribution_config().unwrap();
                let origin = &config.origins().unwrap().items()[0];
                let behavior = config.default_cache_behavior().unwrap();
                origin.domain_name()
                    == "prod-assets-123456789012-eu-west-1.s3.eu-west-1.amazonaws.com"
                    && origin.origin_access_control_id() == Some(OAC)
                    && *behavior.viewer_protocol_policy() == ViewerProtocolPolicy::RedirectToHttps
                    && config.comment() == "prod-assets"
                    && with_tags
                        .tags()
                        .is_some_and(|t| t.items().iter().any(|t| t.key() == "platform:owner"))
            })
            .then_output(|| {
                CreateDistributionWithTagsOutput::builder()
                    .distribution(distribution(true, "InProgress"))
                    .build()
            });
        let get = mock!(aws_sdk_cloudfront::Client::get_distribution)
            .sequence()
            .output(got(true, "InProgress", "E1"))
            .output(got(true, "Deployed", "E1"))
            .build();
        let clients = clients(&Mocks {
            cloudfront: vec![&list, &create, &get],
            ..Mocks::default()
        });
        let (ids, reads) = (cdn_ids(), Reads::new());
        let cx = cx!(clients, ids, reads);
        assert_eq!(
            DistributionSpec::create(&cx, &spec(true)).await,
            Ok(ID.to_string())
        );
        assert_eq!(create.num_calls(), 1);
        assert_eq!(get.num_calls(), 2, "waited until deployed");
        // Without the wait, create returns as soon as CloudFront accepts it.
        assert_eq!(
            DistributionSpec::create(&cx, &spec(false)).await,
            Ok(ID.to_string())
        );
        assert_eq!(get.num_calls(), 2, "no wait");
    }

    fn oac_listing(description: &'static str) -> impl Fn() -> ListOriginAccessControlsOutput {
        move || {
            ListOriginAccessControlsOutput::builder()
                .origin_access_control_list(
                    OriginAccessControlList::builder()
                        .marker("")
                        .max_items(100)
                        .is_truncated(false)
                        .quantity(1)
                        .items(
                            OriginAccessControlSummary::builder()
                                .id(OAC)
                                .name(BUCKET)
                                .description(description)
                                .signing_protocol(OriginAccessControlSigningProtocols::Sigv4)
                                .signing_behavior(OriginAccessControlSigningBehaviors::Always)
                                .origin_access_control_origin_type(
                                    OriginAccessControlOriginTypes::S3,
                                )
                                .build()
                                .unwrap(),
                        )
                        .build()
                        .unwrap(),
                )
                .build()
        }
    }

    /// An origin access control under our bucket's name without our marker is someone
    /// else's: refused, never changed.
    #[tokio::test]
    async fn a_foreign_origin_access_control_is_refused() {
        let list = mock!(aws_sdk_cloudfront::Client::list_origin_access_controls)
            .then_output(oac_listing("made by hand"));
        let clients = clients(&Mocks {
            cloudfront: vec![&list],
            ..Mocks::default()
        });
        let (ids, reads) = (cdn_ids(), Reads::new());
        let spec = OriginAccessControlSpec {
            name: BUCKET.into(),
            description: "platform:owner=bucket/prod/assets".into(),
            signs_always: true,
        };
        let cx = cx!(clients, ids, reads);
        assert_eq!(OriginAccessControlSpec::find(&cx, &spec).await, Ok(None));
        let refused = OriginAccessControlSpec::create(&cx, &spec).await;
        assert!(
            matches!(&refused, Err(AwsError::Api { code, .. }) if code == "NameTaken"),
            "{refused:?}"
        );
    }
}
