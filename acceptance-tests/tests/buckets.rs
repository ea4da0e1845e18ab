//! `platform_bucket` and a service's `bucket_access`, on Terraform 1.0.3 and 1.15.5 against
//! moto: the bucket's settings and policy through the S3 API, the service's variable and exact
//! task-role statements through ECS and IAM, drift made out of band restored by one apply, a
//! destroy refused while the bucket holds objects, and `force_destroy` emptying it.
//!
//! Against moto no ECS task ever runs, so the service sets `deployment { wait = false }`.

use std::collections::BTreeMap;

use acceptance_tests::{
    block_on, census, flat, percent_decode, settle_create_gap, tools_ready, unique, Checks,
    Emulator, Tf, Workspace,
};
use serde_json::{json, Value};

macro_rules! both_versions {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            use super::*;
            #[test]
            fn terraform_1_0_3() {
                if tools_ready() {
                    super::$case(Tf::V1_0_3);
                }
            }
            #[test]
            fn terraform_1_15_5() {
                if tools_ready() {
                    super::$case(Tf::V1_15_5);
                }
            }
        }
    )*};
}

both_versions!(bucket_with_service_access);

const BUCKET: &str = "platform_bucket.assets";
/// moto's account.
const ACCOUNT: &str = "123456789012";

fn config(name: &str, bucket_extra: &str) -> String {
    format!(
        r#"
resource "platform_environment" "main" {{
  name = "{name}"
  tier = "dev"
  network {{
    cidr = "10.54.0.0/16"
  }}
}}

resource "platform_bucket" "assets" {{
  environment_id = platform_environment.main.id
  name           = "assets"
  cors {{
    allowed_origins = ["https://app.example.test"]
    allowed_methods = ["GET", "PUT"]
  }}
{bucket_extra}
}}

resource "platform_service" "api" {{
  environment_id = platform_environment.main.id
  name           = "api"
  image          = "public.ecr.aws/docker/library/busybox:1.36"
  command        = ["sh", "-c", "sleep 3600"]
  bucket_access {{
    bucket_id = platform_bucket.assets.id
    mode      = "read_write"
  }}
  deployment {{
    wait = false
  }}
}}
"#
    )
}

/// The bucket's settings and policy, through S3.
fn check_bucket(emulator: &Emulator, bucket: &str, c: &mut Checks) {
    let s3 = emulator.s3();
    block_on(async {
        let encryption = s3
            .get_bucket_encryption()
            .bucket(bucket)
            .send()
            .await
            .expect("GetBucketEncryption");
        let algorithm = encryption
            .server_side_encryption_configuration()
            .and_then(|c| c.rules().first())
            .and_then(|r| r.apply_server_side_encryption_by_default())
            .map(|d| d.sse_algorithm().as_str().to_string());
        c.eq("encryption", algorithm, Some("AES256".into()));
        let block = s3
            .get_public_access_block()
            .bucket(bucket)
            .send()
            .await
            .expect("GetPublicAccessBlock");
        let block = block.public_access_block_configuration().expect("a block");
        c.eq(
            "public access block",
            [
                block.block_public_acls(),
                block.ignore_public_acls(),
                block.block_public_policy(),
                block.restrict_public_buckets(),
            ],
            [Some(true); 4],
        );
        let ownership = s3
            .get_bucket_ownership_controls()
            .bucket(bucket)
            .send()
            .await
            .expect("GetBucketOwnershipControls");
        let rules: Vec<String> = ownership
            .ownership_controls()
            .map(|o| {
                o.rules()
                    .iter()
                    .map(|r| r.object_ownership().as_str().to_string())
                    .collect()
            })
            .unwrap_or_default();
        c.eq(
            "object ownership",
            rules,
            vec!["BucketOwnerEnforced".to_string()],
        );
        let versioning = s3
            .get_bucket_versioning()
            .bucket(bucket)
            .send()
            .await
            .expect("GetBucketVersioning");
        c.check(
            versioning.status().is_none_or(|s| s.as_str() != "Enabled"),
            || format!("dev bucket is versioned: {versioning:?}"),
        );
        let lifecycle = s3
            .get_bucket_lifecycle_configuration()
            .bucket(bucket)
            .send()
            .await
            .expect("GetBucketLifecycleConfiguration");
        let abort = lifecycle
            .rules()
            .iter()
            .find(|r| r.id() == Some("platform"))
            .and_then(|r| r.abort_incomplete_multipart_upload())
            .and_then(|a| a.days_after_initiation());
        c.eq("abort multipart days", abort, Some(7));
        let cors = s3
            .get_bucket_cors()
            .bucket(bucket)
            .send()
            .await
            .expect("GetBucketCors");
        let rule = cors.cors_rules().first();
        c.eq(
            "cors origins",
            rule.map(|r| r.allowed_origins().to_vec()),
            Some(vec!["https://app.example.test".to_string()]),
        );
        let policy = s3
            .get_bucket_policy()
            .bucket(bucket)
            .send()
            .await
            .expect("GetBucketPolicy");
        let policy: Value = serde_json::from_str(policy.policy().unwrap_or("null")).expect("JSON");
        c.eq(
            "bucket policy",
            policy["Statement"].clone(),
            json!([{
                "Sid": "DenyWithoutTls",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
                "Condition": { "Bool": { "aws:SecureTransport": "false" } }
            }]),
        );
    });
}

/// The service's variable and its task role's exact bucket statements.
fn check_service(emulator: &Emulator, env: &str, bucket: &str, c: &mut Checks) {
    block_on(async {
        let ecs = emulator.ecs();
        let services = ecs
            .describe_services()
            .cluster(env)
            .services("api")
            .send()
            .await
            .expect("DescribeServices");
        let Some(service) = services.services().first() else {
            c.check(false, || "no ECS service api".to_string());
            return;
        };
        let td = ecs
            .describe_task_definition()
            .task_definition(service.task_definition().unwrap_or_default())
            .send()
            .await
            .expect("DescribeTaskDefinition");
        let td = td.task_definition().expect("task definition");
        let container = td
            .container_definitions()
            .iter()
            .find(|c| c.name() == Some("api"))
            .expect("the api container");
        let variables: BTreeMap<String, String> = container
            .environment()
            .iter()
            .filter_map(|kv| Some((kv.name()?.to_string(), kv.value()?.to_string())))
            .collect();
        c.eq(
            "ASSETS_BUCKET",
            variables.get("ASSETS_BUCKET").cloned(),
            Some(bucket.to_string()),
        );
        let role = td
            .task_role_arn()
            .unwrap_or_default()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let policy = emulator
            .iam()
            .get_role_policy()
            .role_name(&role)
            .policy_name("buckets")
            .send()
            .await
            .expect("GetRolePolicy buckets");
        let document: Value =
            serde_json::from_str(&percent_decode(policy.policy_document())).expect("JSON");
        let arn = format!("arn:aws:s3:::{bucket}");
        c.eq(
            "task role bucket statements",
            document["Statement"].clone(),
            json!([
                { "Effect": "Allow", "Action": "s3:ListBucket", "Resource": [arn.clone()] },
                { "Effect": "Allow", "Action": "s3:GetObject", "Resource": [format!("{arn}/*")] },
                {
                    "Effect": "Allow",
                    "Action": ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:PutObject"],
                    "Resource": [format!("{arn}/*")]
                }
            ]),
        );
    });
}

fn bucket_with_service_access(tf: Tf) {
    let emulator = Emulator::start();
    let ws = Workspace::new(tf, &emulator);
    let name = unique("bk-");
    let mut c = Checks::new(tf);
    ws.write_config(&config(&name, ""));
    ws.init();
    ws.apply();
    let bucket = format!("{name}-assets-{ACCOUNT}-us-east-1");
    let attributes = ws.attributes(BUCKET);
    c.eq(
        "bucket_name",
        attributes["bucket_name"].as_str().map(str::to_string),
        Some(bucket.clone()),
    );
    c.eq(
        "bucket_arn",
        attributes["bucket_arn"].as_str().map(str::to_string),
        Some(format!("arn:aws:s3:::{bucket}")),
    );
    check_bucket(&emulator, &bucket, &mut c);
    check_service(&emulator, &name, &bucket, &mut c);
    settle_create_gap(&ws, &mut c);
    let owner = format!("bucket/{name}/assets");
    c.eq(
        "census",
        census(&emulator, &owner),
        [("buckets".to_string(), 1)].into(),
    );

    // Drift made out of band: the public access block and the policy removed. One apply
    // restores both.
    block_on(async {
        let s3 = emulator.s3();
        s3.delete_public_access_block()
            .bucket(&bucket)
            .send()
            .await
            .expect("DeletePublicAccessBlock");
        s3.delete_bucket_policy()
            .bucket(&bucket)
            .send()
            .await
            .expect("DeleteBucketPolicy");
    });
    let (changes, plan) = ws.plan();
    c.check(changes && plan.contains("s3.bucket"), || {
        format!("drift not shown:\n{plan}")
    });
    ws.apply();
    check_bucket(&emulator, &bucket, &mut c);
    let (changes, plan) = ws.plan();
    c.check(!changes, || format!("plan after converging: {plan}"));

    // An object in the bucket: destroy refuses, naming the bucket and the count.
    block_on(async {
        emulator
            .s3()
            .put_object()
            .bucket(&bucket)
            .key("logo.svg")
            .body(aws_sdk_s3::primitives::ByteStream::from_static(b"<svg/>"))
            .send()
            .await
            .expect("PutObject");
    });
    let run = ws.run(&["destroy", "-input=false", "-no-color", "-auto-approve"]);
    let out = flat(&run);
    c.check(
        run.code != 0
            && out.contains(&bucket)
            && out.contains("holds 1 object")
            && out.contains("force_destroy"),
        || format!("destroy of a non-empty bucket was not refused by name and count:\n{out}"),
    );
    c.eq(
        "the bucket survives the refused destroy",
        census(&emulator, &owner),
        [("buckets".to_string(), 1)].into(),
    );

    // With force_destroy the next destroy empties it and leaves nothing.
    ws.write_config(&config(&name, "  force_destroy = true"));
    ws.apply();
    let run = ws.run(&["destroy", "-input=false", "-no-color", "-auto-approve"]);
    c.check(run.code == 0, || format!("destroy failed:\n{}", flat(&run)));
    for owner in [
        owner,
        format!("service/{name}/api"),
        format!("environment/{name}"),
    ] {
        let left = census(&emulator, &owner);
        c.check(left.is_empty(), || {
            format!("destroy left objects of {owner}: {left:?}")
        });
    }
    c.finish();
}
