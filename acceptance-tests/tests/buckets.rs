//! `platform_bucket` and a service's `bucket_access`, on Terraform 1.0.3 and 1.15.5 against
//! moto: the bucket's settings and policy through the S3 API, the service's variable and exact
//! task-role statements through ECS and IAM, drift made out of band restored by one apply, a
//! destroy refused while the bucket holds objects, and `force_destroy` emptying it; a bucket's
//! `cdn`: the distribution and origin access control through CloudFront, the policy admitting
//! exactly that distribution, the plan's certificate check, drift, an in-place change, import
//! and a destroy that leaves no distribution.
//!
//! Against moto no ECS task ever runs, so the service sets `deployment { wait = false }`.

use std::collections::BTreeMap;

use acceptance_tests::{
    block_on, both_versions, census, flat, import_certificate, percent_decode, settle_create_gap,
    unique, Checks, Emulator, Tf, Workspace,
};
use serde_json::{json, Value};

both_versions!(bucket_with_service_access, bucket_with_cdn);

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
    // Refused before anything went: the policy is still there.
    check_bucket(&emulator, &bucket, &mut c);

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

fn cdn_config(name: &str, cdn: &str) -> String {
    format!(
        r#"
resource "platform_environment" "main" {{
  name = "{name}"
  tier = "dev"
  network {{
    cidr = "10.55.0.0/16"
  }}
}}

resource "platform_bucket" "site" {{
  environment_id = platform_environment.main.id
  name           = "site"
  cdn {{
{cdn}
  }}
}}

output "url" {{ value = platform_bucket.site.url }}
"#
    )
}

/// The distribution, its origin access control and the bucket policy, through CloudFront and
/// S3; returns the distribution's ARN.
fn check_distribution(
    emulator: &Emulator,
    id: &str,
    bucket: &str,
    alias: &str,
    certificate: &str,
    default_ttl: Option<i64>,
    c: &mut Checks,
) -> String {
    let cloudfront = emulator.cloudfront();
    block_on(async {
        let got = cloudfront
            .get_distribution()
            .id(id)
            .send()
            .await
            .expect("GetDistribution");
        let distribution = got.distribution().expect("a distribution");
        let config = distribution
            .distribution_config()
            .expect("its configuration");
        c.eq("enabled", config.enabled(), true);
        c.eq(
            "aliases",
            config.aliases().map(|a| a.items().to_vec()),
            Some(vec![alias.to_string()]),
        );
        let viewer = config.viewer_certificate().expect("viewer certificate");
        c.eq(
            "certificate",
            viewer.acm_certificate_arn(),
            Some(certificate),
        );
        c.eq(
            "sni",
            viewer.ssl_support_method().map(|m| m.as_str()),
            Some("sni-only"),
        );
        c.eq(
            "price class",
            config.price_class().map(|p| p.as_str()),
            Some("PriceClass_200"),
        );
        c.eq(
            "http version",
            config.http_version().map(|v| v.as_str()),
            Some("http2and3"),
        );
        let origins = config.origins().map(|o| o.items()).unwrap_or_default();
        c.eq("one origin", origins.len(), 1);
        let origin = &origins[0];
        c.eq(
            "origin domain",
            origin.domain_name(),
            format!("{bucket}.s3.us-east-1.amazonaws.com").as_str(),
        );
        let behavior = config.default_cache_behavior().expect("default behaviour");
        c.eq(
            "viewer protocol",
            behavior.viewer_protocol_policy().as_str(),
            "redirect-to-https",
        );
        c.eq("compress", behavior.compress(), Some(true));
        #[allow(deprecated)]
        let ttl = behavior.default_ttl();
        match default_ttl {
            None => c.eq(
                "cache policy",
                behavior.cache_policy_id(),
                Some("658327ea-f89d-4fab-a63d-7e88639e58f6"),
            ),
            Some(expected) => {
                c.eq("no cache policy", behavior.cache_policy_id(), None);
                c.eq("default ttl", ttl, Some(expected));
            }
        }
        let oac_id = origin.origin_access_control_id().unwrap_or_default();
        let oac = cloudfront
            .get_origin_access_control()
            .id(oac_id)
            .send()
            .await
            .expect("GetOriginAccessControl");
        let oac = oac
            .origin_access_control()
            .and_then(|o| o.origin_access_control_config())
            .expect("origin access control");
        c.eq(
            "origin access control",
            (
                oac.name(),
                oac.signing_protocol().as_str(),
                oac.signing_behavior().as_str(),
                oac.origin_access_control_origin_type().as_str(),
            ),
            (bucket, "sigv4", "always", "s3"),
        );
        let arn = distribution.arn().to_string();
        let policy = emulator
            .s3()
            .get_bucket_policy()
            .bucket(bucket)
            .send()
            .await
            .expect("GetBucketPolicy");
        let policy: Value = serde_json::from_str(policy.policy().unwrap_or("null")).expect("JSON");
        c.eq(
            "the policy admits exactly the distribution",
            policy["Statement"][1].clone(),
            json!({
                "Sid": "AllowCloudFrontDistribution",
                "Effect": "Allow",
                "Principal": { "Service": "cloudfront.amazonaws.com" },
                "Action": "s3:GetObject",
                "Resource": format!("arn:aws:s3:::{bucket}/*"),
                "Condition": { "StringEquals": { "AWS:SourceArn": arn.clone() } }
            }),
        );
        arn
    })
}

fn bucket_with_cdn(tf: Tf) {
    let emulator = Emulator::start();
    let ws = Workspace::new(tf, &emulator);
    let name = unique("cdn-");
    let alias = format!("static.{name}.example.test");
    let certificate = import_certificate(&emulator, &[&format!("*.{name}.example.test")]);
    let mut c = Checks::new(tf);
    let settings = |alias: &str, extra: &str| {
        format!(
            "    aliases         = [\"{alias}\"]\n    certificate_arn = \"{certificate}\"\n    price_class     = \"PriceClass_200\"\n{extra}"
        )
    };

    // A certificate that does not cover the alias fails the plan on certificate_arn.
    ws.write_config(&cdn_config(
        &name,
        &settings("cdn.elsewhere.example.test", ""),
    ));
    ws.init();
    let run = ws.run(&["plan", "-input=false", "-no-color"]);
    let out = flat(&run);
    c.check(
        run.code != 0
            && out.contains("Certificate does not cover the aliases")
            && out.contains("cdn.elsewhere.example.test")
            && out.contains("certificate_arn"),
        || format!("an uncovered alias was not refused at plan:\n{out}"),
    );

    ws.write_config(&cdn_config(&name, &settings(&alias, "")));
    ws.apply();
    let bucket = format!("{name}-site-{ACCOUNT}-us-east-1");
    let attributes = ws.attributes("platform_bucket.site");
    let id = attributes["cdn_distribution_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    c.check(!id.is_empty(), || {
        format!("no distribution ID: {attributes}")
    });
    c.check(
        attributes["cdn_domain_name"]
            .as_str()
            .is_some_and(|d| d.ends_with(".cloudfront.net")),
        || format!("cdn_domain_name: {}", attributes["cdn_domain_name"]),
    );
    c.eq(
        "url",
        ws.outputs()["url"]["value"].as_str().map(str::to_string),
        Some(format!("https://{alias}")),
    );
    check_distribution(&emulator, &id, &bucket, &alias, &certificate, None, &mut c);
    let owner = format!("bucket/{name}/site");
    let expected: BTreeMap<String, usize> = [
        ("buckets".to_string(), 1),
        ("distributions".to_string(), 1),
        ("origin_access_controls".to_string(), 1),
    ]
    .into();
    c.eq("census", census(&emulator, &owner), expected.clone());
    ws.assert_no_changes();

    // Drift: HTTP/3 turned off by hand. The plan shows it and one apply restores it.
    block_on(async {
        let cloudfront = emulator.cloudfront();
        let got = cloudfront
            .get_distribution_config()
            .id(&id)
            .send()
            .await
            .expect("GetDistributionConfig");
        let mut config = got.distribution_config().expect("configuration").clone();
        config.http_version = Some(aws_sdk_cloudfront::types::HttpVersion::Http11);
        cloudfront
            .update_distribution()
            .id(&id)
            .if_match(got.e_tag().unwrap_or_default())
            .distribution_config(config)
            .send()
            .await
            .expect("UpdateDistribution");
    });
    let (changes, plan) = ws.plan();
    c.check(changes && plan.contains("cloudfront.distribution"), || {
        format!("drift not shown:\n{plan}")
    });
    ws.apply();
    check_distribution(&emulator, &id, &bucket, &alias, &certificate, None, &mut c);

    // One default TTL: the same distribution, changed in place.
    ws.write_config(&cdn_config(
        &name,
        &settings(&alias, "    default_ttl     = 300\n"),
    ));
    ws.apply();
    let same = ws.attributes("platform_bucket.site")["cdn_distribution_id"]
        .as_str()
        .map(str::to_string);
    c.eq("changed in place", same, Some(id.clone()));
    check_distribution(
        &emulator,
        &id,
        &bucket,
        &alias,
        &certificate,
        Some(300),
        &mut c,
    );
    ws.assert_no_changes();

    // Import recovers the CDN: the next plan is empty.
    ws.ok(&["state", "rm", "platform_bucket.site"]);
    ws.ok(&[
        "import",
        "-input=false",
        "-no-color",
        "platform_bucket.site",
        &format!("{name}/site"),
    ]);
    // (Terraform 1.0.3 re-adds the `url` output that `state rm` dropped: not a resource change.)
    ws.assert_resources_unchanged();

    // Destroy disables, waits for, and deletes the distribution, then its access control.
    let run = ws.run(&["destroy", "-input=false", "-no-color", "-auto-approve"]);
    c.check(run.code == 0, || format!("destroy failed:\n{}", flat(&run)));
    for owner in [owner, format!("environment/{name}")] {
        let left = census(&emulator, &owner);
        c.check(left.is_empty(), || {
            format!("destroy left objects of {owner}: {left:?}")
        });
    }
    c.finish();
}
