//! Tests of the harness itself: the SDK clients, the moto extension and `census`.

use acceptance_tests::{block_on, census, tools_ready, unique, Emulator, OWNER_TAG};
use std::collections::BTreeMap;

fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect()
}

#[test]
fn census_counts_tagged_objects_and_extension_deletes_cache_subnet_groups() {
    if !tools_ready() {
        return;
    }
    let emulator = Emulator::start();
    let owner = format!("environment/{}", unique("h-"));
    let group = unique("csg-");

    block_on(async {
        use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
        let ec2 = emulator.ec2();
        let tagged = |kind: ResourceType, owner: &str| {
            TagSpecification::builder()
                .resource_type(kind)
                .tags(Tag::builder().key(OWNER_TAG).value(owner).build())
                .build()
        };
        let vpc = ec2
            .create_vpc()
            .cidr_block("10.42.0.0/16")
            .tag_specifications(tagged(ResourceType::Vpc, &owner))
            .send()
            .await
            .unwrap();
        let vpc_id = vpc.vpc().and_then(|v| v.vpc_id()).unwrap();
        // Someone else's VPC must not be counted.
        ec2.create_vpc()
            .cidr_block("10.43.0.0/16")
            .tag_specifications(tagged(ResourceType::Vpc, "environment/other"))
            .send()
            .await
            .unwrap();
        let subnet = |cidr: &'static str, az: &'static str| {
            ec2.create_subnet()
                .vpc_id(vpc_id)
                .cidr_block(cidr)
                .availability_zone(az)
                .send()
        };
        let a = subnet("10.42.1.0/24", "us-east-1a").await.unwrap();
        let b = subnet("10.42.2.0/24", "us-east-1b").await.unwrap();
        let subnet_a = a.subnet().and_then(|s| s.subnet_id()).unwrap();
        let subnet_b = b.subnet().and_then(|s| s.subnet_id()).unwrap();

        emulator
            .logs()
            .create_log_group()
            .log_group_name(format!("/platform/{}", unique("lg-")))
            .tags(OWNER_TAG, &owner)
            .send()
            .await
            .unwrap();
        emulator
            .iam()
            .create_role()
            .role_name(unique("role-"))
            .assume_role_policy_document(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
            )
            .tags(
                aws_sdk_iam::types::Tag::builder()
                    .key(OWNER_TAG)
                    .value(&owner)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        emulator
            .ecs()
            .create_cluster()
            .cluster_name(unique("cl-"))
            .tags(
                aws_sdk_ecs::types::Tag::builder()
                    .key(OWNER_TAG)
                    .value(&owner)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        emulator
            .elasticache()
            .create_cache_subnet_group()
            .cache_subnet_group_name(&group)
            .cache_subnet_group_description("harness")
            .subnet_ids(subnet_a)
            .tags(
                aws_sdk_elasticache::types::Tag::builder()
                    .key(OWNER_TAG)
                    .value(&owner)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        // ModifyCacheSubnetGroup comes from the moto extension.
        let modified = emulator
            .elasticache()
            .modify_cache_subnet_group()
            .cache_subnet_group_name(&group)
            .subnet_ids(subnet_a)
            .subnet_ids(subnet_b)
            .send()
            .await
            .unwrap();
        let group_out = modified.cache_subnet_group().unwrap();
        assert_eq!(group_out.subnets().len(), 2);
        assert_eq!(group_out.vpc_id(), Some(vpc_id));
    });

    let all = [
        ("cache_subnet_groups", 1),
        ("ecs_clusters", 1),
        ("iam_roles", 1),
        ("log_groups", 1),
        ("vpcs", 1),
    ];
    assert_eq!(census(&emulator, &owner), counts(&all));
    assert_eq!(
        census(&emulator, "environment/other"),
        counts(&[("vpcs", 1)])
    );
    assert!(census(&emulator, "environment/nobody").is_empty());

    // DeleteCacheSubnetGroup comes from the moto extension; afterwards the group is gone.
    block_on(async {
        let elasticache = emulator.elasticache();
        elasticache
            .delete_cache_subnet_group()
            .cache_subnet_group_name(&group)
            .send()
            .await
            .unwrap();
        let err = elasticache
            .describe_cache_subnet_groups()
            .cache_subnet_group_name(&group)
            .send()
            .await
            .unwrap_err();
        let code = aws_sdk_elasticache::error::ProvideErrorMetadata::code(&err);
        assert_eq!(code, Some("CacheSubnetGroupNotFoundFault"));
    });
    assert_eq!(census(&emulator, &owner), counts(&all[1..]));
}

/// The moto_ext patches the queue and bucket kinds rely on, and the census of queues, topics
/// and buckets: SQS keeps a queue's policy when other attributes change and returns its
/// redrive-allow policy; a new bucket has AWS's defaults; a bucket's versioning, set or never set,
/// reads as AWS answers it.
#[test]
fn extension_keeps_queue_policies_and_gives_buckets_aws_defaults() {
    if !tools_ready() {
        return;
    }
    use aws_sdk_sqs::types::QueueAttributeName as Attr;
    let emulator = Emulator::start();
    let owner = format!("queue/{}/jobs", unique("h-"));
    let name = unique("hq-");
    block_on(async {
        let sqs = emulator.sqs();
        let url = sqs
            .create_queue()
            .queue_name(&name)
            .attributes(
                Attr::Policy,
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"sqs:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#,
            )
            .attributes(
                Attr::RedriveAllowPolicy,
                r#"{"redrivePermission":"byQueue","sourceQueueArns":["arn:aws:sqs:us-east-1:123456789012:x"]}"#,
            )
            .tags(OWNER_TAG, &owner)
            .send()
            .await
            .expect("CreateQueue")
            .queue_url()
            .expect("a URL")
            .to_string();
        sqs.set_queue_attributes()
            .queue_url(&url)
            .attributes(Attr::VisibilityTimeout, "60")
            .send()
            .await
            .expect("SetQueueAttributes");
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(Attr::All)
            .send()
            .await
            .expect("GetQueueAttributes");
        let attributes = attributes.attributes().cloned().unwrap_or_default();
        assert!(
            attributes.contains_key(&Attr::Policy),
            "policy lost: {attributes:?}"
        );
        assert!(
            attributes
                .get(&Attr::RedriveAllowPolicy)
                .is_some_and(|p| p.contains("byQueue")),
            "redrive-allow policy not returned: {attributes:?}"
        );

        let s3 = emulator.s3();
        let bucket = unique("hb-");
        s3.create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("CreateBucket");
        let block = s3
            .get_public_access_block()
            .bucket(&bucket)
            .send()
            .await
            .expect("a new bucket blocks public access");
        assert_eq!(
            block
                .public_access_block_configuration()
                .and_then(|c| c.block_public_policy()),
            Some(true)
        );
        s3.get_bucket_encryption()
            .bucket(&bucket)
            .send()
            .await
            .expect("a new bucket is encrypted");
        let versioning = s3
            .get_bucket_versioning()
            .bucket(&bucket)
            .send()
            .await
            .expect("an unversioned bucket's versioning parses");
        assert!(versioning.status().is_none());
        s3.put_bucket_versioning()
            .bucket(&bucket)
            .versioning_configuration(
                aws_sdk_s3::types::VersioningConfiguration::builder()
                    .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .expect("PutBucketVersioning");
        let versioning = s3
            .get_bucket_versioning()
            .bucket(&bucket)
            .send()
            .await
            .expect("a versioned bucket's versioning parses");
        assert_eq!(
            versioning.status(),
            Some(&aws_sdk_s3::types::BucketVersioningStatus::Enabled)
        );
        s3.delete_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("DeleteBucket");
    });
    assert_eq!(census(&emulator, &owner), counts(&[("queues", 1)]));
}

/// The Scheduler patches the schedule kinds meet: a second group of a name is refused (409), a
/// schedule in a missing group is `ResourceNotFoundException`, UpdateSchedule without `State`
/// leaves it `ENABLED`, a missing group's tags are not found, and the census counts a group by
/// its tags and a schedule by its description's ownership marker.
#[test]
fn extension_makes_scheduler_answer_as_aws() {
    if !tools_ready() {
        return;
    }
    use aws_sdk_scheduler::types::{
        EcsParameters, FlexibleTimeWindow, FlexibleTimeWindowMode, ScheduleState, Tag, Target,
    };
    let emulator = Emulator::start();
    let group = unique("hs-");
    let owner = format!("environment/{group}");
    let service = format!("service/{group}/worker");
    block_on(async {
        let scheduler = emulator.scheduler();
        let tag = Tag::builder().key(OWNER_TAG).value(&owner).build().unwrap();
        scheduler
            .create_schedule_group()
            .name(&group)
            .tags(tag.clone())
            .send()
            .await
            .expect("CreateScheduleGroup");
        let again = scheduler
            .create_schedule_group()
            .name(&group)
            .tags(tag)
            .send()
            .await
            .expect_err("a second group of the name");
        assert_eq!(
            again.raw_response().map(|r| r.status().as_u16()),
            Some(409),
            "{again:?}"
        );
        let window = || {
            FlexibleTimeWindow::builder()
                .mode(FlexibleTimeWindowMode::Off)
                .build()
                .unwrap()
        };
        let target = || {
            Target::builder()
                .arn("arn:aws:ecs:us-east-1:123456789012:cluster/x")
                .role_arn("arn:aws:iam::123456789012:role/platform-x")
                .ecs_parameters(
                    EcsParameters::builder()
                        .task_definition_arn(
                            "arn:aws:ecs:us-east-1:123456789012:task-definition/x:1",
                        )
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap()
        };
        let missing = scheduler
            .create_schedule()
            .group_name("no-such-group")
            .name("s")
            .schedule_expression("rate(1 day)")
            .flexible_time_window(window())
            .target(target())
            .send()
            .await
            .expect_err("a schedule in a missing group");
        assert_eq!(
            aws_sdk_scheduler::error::ProvideErrorMetadata::code(&missing),
            Some("ResourceNotFoundException")
        );
        scheduler
            .create_schedule()
            .group_name(&group)
            .name("worker-nightly")
            .schedule_expression("rate(1 day)")
            .description(format!(
                "Runs [{OWNER_TAG}={service} platform:node=scheduler.schedule/nightly]"
            ))
            .state(ScheduleState::Disabled)
            .flexible_time_window(window())
            .target(target())
            .send()
            .await
            .expect("CreateSchedule");
        scheduler
            .update_schedule()
            .group_name(&group)
            .name("worker-nightly")
            .schedule_expression("rate(2 days)")
            .description(format!(
                "Runs [{OWNER_TAG}={service} platform:node=scheduler.schedule/nightly]"
            ))
            .flexible_time_window(window())
            .target(target())
            .send()
            .await
            .expect("UpdateSchedule");
        let got = scheduler
            .get_schedule()
            .group_name(&group)
            .name("worker-nightly")
            .send()
            .await
            .expect("GetSchedule");
        assert_eq!(got.state(), Some(&ScheduleState::Enabled));
        let tags = scheduler
            .list_tags_for_resource()
            .resource_arn("arn:aws:scheduler:us-east-1:123456789012:schedule-group/no-such-group")
            .send()
            .await
            .expect_err("the tags of a missing group");
        assert_eq!(
            aws_sdk_scheduler::error::ProvideErrorMetadata::code(&tags),
            Some("ResourceNotFoundException")
        );
    });
    assert_eq!(census(&emulator, &owner), counts(&[("schedule_groups", 1)]));
    assert_eq!(census(&emulator, &service), counts(&[("schedules", 1)]));
}
