//! Invalid configurations fail with a diagnostic on the offending attribute, before any AWS
//! call that changes anything.
//!
//! Most cases fail at validate (Terraform's validate walk never configures the provider); the
//! plan cases need plan-time reads (zones, a certificate). Every Terraform run goes through
//! scripts/aws-proxy.py, which sees each AWS call, and the test ends by asserting that none of
//! them was mutating. Diagnostics are read from `-json` output: the case's summary must be an
//! error whose source range starts on the line Terraform quotes, so the attribute path is
//! checked, not just the message.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use acceptance_tests::{repo_root, tools_ready, Emulator, Run, Tf, Workspace, SOURCE, VERSION};
use serde_json::Value as Json;

/// A resource case: the body of a `platform_environment` block (`CASES`) or whole resource
/// blocks (`APP_CASES`), checked at validate.
struct Case {
    reason: &'static str,
    body: &'static str,
    /// Expected diagnostic summary, exactly.
    summary: &'static str,
    /// Text of the source line the diagnostic points at, which Terraform finds from the
    /// attribute path (an absent attribute makes it point at the enclosing block).
    line: &'static str,
}

const CASES: &[Case] = &[
    Case {
        reason: "malformed CIDR",
        body: r#"name = "env1"
  tier = "dev"
  network { cidr = "10.0.0/16" }"#,
        summary: "Invalid VPC CIDR",
        line: r#"network { cidr = "10.0.0/16" }"#,
    },
    Case {
        reason: "host bits set",
        body: r#"name = "env1"
  tier = "dev"
  network { cidr = "10.0.0.1/16" }"#,
        summary: "Invalid VPC CIDR",
        line: r#"network { cidr = "10.0.0.1/16" }"#,
    },
    Case {
        reason: "VPC too small",
        body: r#"name = "env1"
  tier = "dev"
  network { cidr = "10.0.0.0/24" }"#,
        summary: "VPC prefix too small for the subnets",
        line: r#"network { cidr = "10.0.0.0/24" }"#,
    },
    Case {
        reason: "az_count out of range",
        body: r#"name = "env1"
  tier = "dev"
  network { az_count = 7 }"#,
        summary: "Invalid number of availability zones",
        line: "network { az_count = 7 }",
    },
    Case {
        reason: "unknown NAT mode",
        body: r#"name = "env1"
  tier = "dev"
  network {
    nat { mode = "double" }
  }"#,
        summary: "Invalid value for network.nat.mode",
        line: r#"nat { mode = "double" }"#,
    },
    Case {
        reason: "invalid name",
        body: r#"name = "Bad_Name"
  tier = "dev""#,
        summary: "Invalid environment name",
        line: r#"name = "Bad_Name""#,
    },
    Case {
        reason: "empty name",
        body: r#"name = ""
  tier = "dev""#,
        summary: "Invalid environment name",
        line: r#"name = """#,
    },
    Case {
        reason: "unknown tier",
        body: r#"name = "env1"
  tier = "qa""#,
        summary: "Invalid value for tier",
        line: r#"tier = "qa""#,
    },
    Case {
        reason: "reserved tag",
        body: r#"name = "env1"
  tier = "dev"
  tags = { "platform:owner" = "x" }"#,
        summary: "Reserved tag key",
        line: r#"tags = { "platform:owner" = "x" }"#,
    },
    Case {
        reason: "no egress path",
        body: r#"name = "env1"
  tier = "dev"
  network {
    nat { mode = "none" }
  }"#,
        summary: "Private tier has no egress path",
        line: r#"nat { mode = "none" }"#,
    },
    Case {
        reason: "log retention CloudWatch refuses",
        body: r#"name = "env1"
  tier = "dev"
  logging { retention_days = 15 }"#,
        summary: "Invalid log retention",
        line: "logging { retention_days = 15 }",
    },
    Case {
        reason: "unknown endpoint preset",
        body: r#"name = "env1"
  tier = "dev"
  network {
    vpc_endpoints { preset = "all" }
  }"#,
        summary: "Invalid value for network.vpc_endpoints.preset",
        line: r#"vpc_endpoints { preset = "all" }"#,
    },
    Case {
        reason: "gateway service listed as extra endpoint",
        body: r#"name = "env1"
  tier = "dev"
  network {
    vpc_endpoints { extra = ["s3"] }
  }"#,
        summary: "Invalid VPC endpoint service",
        line: r#"vpc_endpoints { extra = ["s3"] }"#,
    },
    Case {
        reason: "unknown flow log traffic type",
        body: r#"name = "env1"
  tier = "dev"
  network {
    flow_logs { traffic_type = "SOME" }
  }"#,
        summary: "Invalid value for network.flow_logs.traffic_type",
        line: r#"flow_logs { traffic_type = "SOME" }"#,
    },
    Case {
        reason: "capacity with no weight",
        body: r#"name = "env1"
  tier = "dev"
  cluster {
    capacity {
      fargate_weight = 0
      spot_weight    = 0
    }
  }"#,
        summary: "Invalid capacity strategy",
        line: "fargate_weight = 0",
    },
    Case {
        reason: "secret recovery window AWS refuses",
        body: r#"name = "env1"
  tier = "dev"
  secret_recovery_window_days = 3"#,
        summary: "Invalid secret recovery window",
        line: "secret_recovery_window_days = 3",
    },
    Case {
        reason: "ingress without a certificate source",
        body: r#"name = "env1"
  tier = "dev"
  ingress { scheme = "internal" }"#,
        summary: "Missing certificate",
        // ingress.domain is absent: Terraform points at the resource.
        line: r#"resource "platform_environment" "main" {"#,
    },
    Case {
        reason: "ingress with an invalid domain",
        body: r#"name = "env1"
  tier = "dev"
  ingress { domain = "not a domain" }"#,
        summary: "Invalid domain",
        line: r#"ingress { domain = "not a domain" }"#,
    },
    Case {
        reason: "ingress with a malformed allowed CIDR",
        body: r#"name = "env1"
  tier = "dev"
  ingress {
    domain        = "app.example.com"
    allowed_cidrs = ["10.0.0.0/33"]
  }"#,
        summary: "Invalid CIDR",
        line: r#"allowed_cidrs = ["10.0.0.0/33"]"#,
    },
    Case {
        reason: "ingress with a certificate that is not an ACM ARN",
        body: r#"name = "env1"
  tier = "dev"
  ingress { certificate_arn = "arn:aws:iam::123456789012:server-certificate/x" }"#,
        summary: "Invalid certificate ARN",
        line: r#"ingress { certificate_arn = "arn:aws:iam::123456789012:server-certificate/x" }"#,
    },
    Case {
        reason: "namespace that is not a DNS name",
        body: r#"name = "env1"
  tier = "dev"
  service_discovery { namespace = "internal" }"#,
        summary: "Invalid namespace",
        line: r#"service_discovery { namespace = "internal" }"#,
    },
];

/// Services, databases and caches: whole resource blocks (acceptance-tests/tests/app_resources.rs
/// has six more, with an environment).
const APP_CASES: &[Case] = &[
    Case {
        reason: "empty image",
        body: r#"resource "platform_service" "api" {
  environment_id = "dev"
  name           = "api"
  image          = " "
}"#,
        summary: "Invalid image",
        line: r#"image          = " ""#,
    },
    Case {
        reason: "port out of range",
        body: r#"resource "platform_service" "api" {
  environment_id = "dev"
  name           = "api"
  image          = "nginx:1.27"
  port           = 70000
}"#,
        summary: "Invalid port",
        line: "port           = 70000",
    },
    Case {
        reason: "two bad values, one diagnostic each",
        body: r#"resource "platform_service" "api" {
  environment_id = "dev"
  name           = "api"
  image          = "nginx:1.27"
  cpu            = 300
  port           = 70000
}"#,
        summary: "Invalid Fargate CPU",
        line: "cpu            = 300",
    },
    Case {
        reason: "secret that is not an ARN",
        body: r#"resource "platform_service" "api" {
  environment_id = "dev"
  name           = "api"
  image          = "nginx:1.27"
  secrets        = { API_KEY = "hunter2" }
}"#,
        summary: "Invalid secret reference",
        line: r#"secrets        = { API_KEY = "hunter2" }"#,
    },
    Case {
        reason: "variable name starting with a digit",
        body: r#"resource "platform_service" "api" {
  environment_id        = "dev"
  name                  = "api"
  image                 = "nginx:1.27"
  environment_variables = { "1BAD" = "x" }
}"#,
        summary: "Invalid variable name",
        line: r#"environment_variables = { "1BAD" = "x" }"#,
    },
    Case {
        reason: "variable both plain and secret",
        body: r#"resource "platform_service" "api" {
  environment_id        = "dev"
  name                  = "api"
  image                 = "nginx:1.27"
  environment_variables = { TOKEN = "x" }
  secrets               = { TOKEN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:token-AbCdEf" }
}"#,
        summary: "Variable defined twice",
        line: "secrets               = { TOKEN",
    },
    Case {
        reason: "health check timeout not below the interval",
        body: r#"resource "platform_service" "api" {
  environment_id = "dev"
  name           = "api"
  image          = "nginx:1.27"
  routing {
    health_check {
      interval = 10
      timeout  = 10
    }
  }
}"#,
        summary: "Invalid timeout",
        line: "timeout  = 10",
    },
    Case {
        reason: "path pattern without a leading slash",
        body: r#"resource "platform_service" "api" {
  environment_id = "dev"
  name           = "api"
  image          = "nginx:1.27"
  routing {
    paths = ["api/*"]
  }
}"#,
        summary: "Invalid path pattern",
        line: r#"paths = ["api/*"]"#,
    },
    Case {
        reason: "autoscaling min above max",
        body: r#"resource "platform_service" "api" {
  environment_id = "dev"
  name           = "api"
  image          = "nginx:1.27"
  autoscaling {
    min = 5
    max = 2
  }
}"#,
        summary: "min above max",
        line: "min = 5",
    },
    Case {
        reason: "deployment max percent below 100",
        body: r#"resource "platform_service" "api" {
  environment_id = "dev"
  name           = "api"
  image          = "nginx:1.27"
  deployment {
    max_percent = 50
  }
}"#,
        summary: "Invalid percent",
        line: "max_percent = 50",
    },
    Case {
        reason: "task policy that is not a policy document",
        body: r#"resource "platform_service" "api" {
  environment_id = "dev"
  name           = "api"
  image          = "nginx:1.27"
  iam {
    policy_json = "{}"
  }
}"#,
        summary: "Invalid policy",
        line: r#"policy_json = "{}""#,
    },
    Case {
        reason: "service name with capitals",
        body: r#"resource "platform_service" "api" {
  environment_id = "dev"
  name           = "Api"
  image          = "nginx:1.27"
}"#,
        summary: "Invalid name",
        line: r#"name           = "Api""#,
    },
    Case {
        reason: "storage ceiling below the allocation",
        body: r#"resource "platform_database" "main" {
  environment_id = "dev"
  name           = "main"
  storage {
    max_allocated_gib = 10
  }
}"#,
        summary: "Invalid autoscaling ceiling",
        line: "max_allocated_gib = 10",
    },
    Case {
        reason: "backup window without minutes",
        body: r#"resource "platform_database" "main" {
  environment_id = "dev"
  name           = "main"
  backup {
    window = "3-4"
  }
}"#,
        summary: "Invalid window",
        line: r#"window = "3-4""#,
    },
    Case {
        reason: "reserved master username",
        body: r#"resource "platform_database" "main" {
  environment_id  = "dev"
  name            = "main"
  master_username = "postgres"
}"#,
        summary: "Invalid master username",
        line: r#"master_username = "postgres""#,
    },
    Case {
        reason: "valkey version that does not exist",
        body: r#"resource "platform_cache" "main" {
  environment_id = "dev"
  name           = "main"
  engine_version = "9"
}"#,
        summary: "Unsupported engine version",
        line: r#"engine_version = "9""#,
    },
    Case {
        reason: "cache node type outside the catalogue",
        body: r#"resource "platform_cache" "main" {
  environment_id = "dev"
  name           = "main"
  node_type      = "cache.x1.huge"
}"#,
        summary: "Unknown node type",
        line: r#"node_type      = "cache.x1.huge""#,
    },
    Case {
        reason: "Service Connect port name that is not a DNS label",
        body: r#"resource "platform_service" "api" {
  environment_id = "dev"
  name           = "api"
  image          = "nginx:1.27"
  internal { port_name = "HTTP_8080" }
}"#,
        summary: "Invalid name",
        line: r#"internal { port_name = "HTTP_8080" }"#,
    },
    Case {
        reason: "a caller from another environment",
        body: r#"resource "platform_service" "api" {
  environment_id      = "dev"
  name                = "api"
  image               = "nginx:1.27"
  allow_from_services = ["prod/web"]
}"#,
        summary: "Service from another environment",
        line: r#"allow_from_services = ["prod/web"]"#,
    },
    Case {
        reason: "sidecars that leave the service no memory",
        body: r#"resource "platform_service" "api" {
  environment_id = "dev"
  name           = "api"
  image          = "nginx:1.27"
  memory         = 512
  sidecar {
    name   = "otel"
    image  = "otel/opentelemetry-collector:0.115.0"
    memory = 512
  }
}"#,
        summary: "Sidecars do not fit the task",
        line: "memory         = 512",
    },
    Case {
        reason: "registry credentials in SSM instead of Secrets Manager",
        body: r#"resource "platform_service" "api" {
  environment_id                    = "dev"
  name                              = "api"
  image                             = "acme/api:1"
  repository_credentials_secret_arn = "arn:aws:ssm:us-east-1:123456789012:parameter/dockerhub"
}"#,
        summary: "Invalid secret ARN",
        line: r#"repository_credentials_secret_arn = "arn:aws:ssm:us-east-1:123456789012:parameter/dockerhub""#,
    },
    Case {
        reason: "regenerating a secret that is not generated",
        body: r#"resource "platform_service" "api" {
  environment_id     = "dev"
  name               = "api"
  image              = "acme/api:1"
  generated_secrets  = ["JWT_SECRET"]
  regenerate_secrets = ["SESSION_KEY"]
}"#,
        summary: "Not a generated secret",
        line: r#"regenerate_secrets = ["SESSION_KEY"]"#,
    },
    Case {
        reason: "publishing to a topic of another environment",
        body: r#"resource "platform_service" "api" {
  environment_id = "dev"
  name           = "api"
  image          = "acme/api:1"
  publish_to     = ["prod/events"]
}"#,
        summary: "Resource from another environment",
        line: r#"publish_to     = ["prod/events"]"#,
    },
    Case {
        reason: "a cron expression giving both day fields",
        body: r#"resource "platform_service" "worker" {
  environment_id = "dev"
  name           = "worker"
  image          = "acme/worker:1"
  schedule {
    name       = "nightly"
    expression = "cron(0 3 * * * *)"
  }
}"#,
        summary: "Invalid schedule expression",
        line: r#"expression = "cron(0 3 * * * *)""#,
    },
    Case {
        reason: "a rate whose unit disagrees with its value",
        body: r#"resource "platform_service" "worker" {
  environment_id = "dev"
  name           = "worker"
  image          = "acme/worker:1"
  schedule {
    name       = "sweep"
    expression = "rate(1 minutes)"
  }
}"#,
        summary: "Invalid schedule expression",
        line: r#"expression = "rate(1 minutes)""#,
    },
    Case {
        reason: "a time zone that is not an IANA name",
        body: r#"resource "platform_service" "worker" {
  environment_id = "dev"
  name           = "worker"
  image          = "acme/worker:1"
  schedule {
    name       = "nightly"
    expression = "cron(0 3 * * ? *)"
    timezone   = "CEST"
  }
}"#,
        summary: "Invalid time zone",
        line: r#"timezone   = "CEST""#,
    },
    Case {
        reason: "two schedules of one name",
        body: r#"resource "platform_service" "worker" {
  environment_id = "dev"
  name           = "worker"
  image          = "acme/worker:1"
  schedule {
    name       = "nightly"
    expression = "cron(0 3 * * ? *)"
  }
  schedule {
    name       = "nightly"
    expression = "rate(1 day)"
  }
}"#,
        summary: "Duplicate schedule name",
        line: r#"name       = "nightly""#,
    },
    Case {
        reason: "content-based deduplication on a standard queue",
        body: r#"resource "platform_queue" "jobs" {
  environment_id              = "dev"
  name                        = "jobs"
  content_based_deduplication = true
}"#,
        summary: "Deduplication needs FIFO",
        line: "content_based_deduplication = true",
    },
    Case {
        reason: "a queue subscribing to a topic of another environment",
        body: r#"resource "platform_queue" "jobs" {
  environment_id = "dev"
  name           = "jobs"
  subscribe_to   = ["prod/events"]
}"#,
        summary: "Topic from another environment",
        line: r#"subscribe_to   = ["prod/events"]"#,
    },
    Case {
        reason: "a topic key that is not a KMS key ARN",
        body: r#"resource "platform_topic" "events" {
  environment_id = "dev"
  name           = "events"
  kms_key_arn    = "alias/mine"
}"#,
        summary: "Invalid KMS key ARN",
        line: r#"kms_key_arn    = "alias/mine""#,
    },
    Case {
        reason: "a CORS method S3 does not know",
        body: r#"resource "platform_bucket" "assets" {
  environment_id = "dev"
  name           = "assets"
  cors {
    allowed_origins = ["*"]
    allowed_methods = ["PATCH"]
  }
}"#,
        summary: "Invalid method",
        line: r#"allowed_methods = ["PATCH"]"#,
    },
    Case {
        reason: "a CDN certificate outside us-east-1",
        body: r#"resource "platform_bucket" "assets" {
  environment_id = "dev"
  name           = "assets"
  cdn {
    aliases         = ["cdn.example.com"]
    certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/c"
  }
}"#,
        summary: "Certificate not in us-east-1",
        line: r#"certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/c""#,
    },
    Case {
        reason: "CDN aliases without a certificate",
        body: r#"resource "platform_bucket" "assets" {
  environment_id = "dev"
  name           = "assets"
  cdn {
    aliases = ["cdn.example.com"]
  }
}"#,
        summary: "Certificate needed",
        line: r#"aliases = ["cdn.example.com"]"#,
    },
    Case {
        reason: "a CDN alias that is no host name",
        body: r#"resource "platform_bucket" "assets" {
  environment_id = "dev"
  name           = "assets"
  cdn {
    aliases         = ["static assets"]
    certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/c"
  }
}"#,
        summary: "Invalid alias",
        line: r#"aliases         = ["static assets"]"#,
    },
];

/// A provider-block case: the block's body, beside a valid environment, checked at validate.
struct ProviderCase {
    reason: &'static str,
    provider: &'static str,
    summary: &'static str,
    line: &'static str,
}

const PROVIDER_CASES: &[ProviderCase] = &[
    ProviderCase {
        reason: "region that is not a region name",
        provider: r#"region = "us east 1""#,
        summary: "Invalid value for region",
        line: r#"region = "us east 1""#,
    },
    ProviderCase {
        reason: "endpoint without a scheme",
        provider: r#"endpoints { ec2 = "localhost:4566" }"#,
        summary: "Invalid value for endpoints.ec2",
        line: r#"endpoints { ec2 = "localhost:4566" }"#,
    },
    ProviderCase {
        reason: "endpoint name hashicorp/aws does not know (the old underscore spelling)",
        provider: r#"endpoints { application_autoscaling = "http://127.0.0.1:1" }"#,
        summary: "Unsupported argument",
        line: r#"endpoints { application_autoscaling = "http://127.0.0.1:1" }"#,
    },
    ProviderCase {
        reason: "a service's key and its alias both set",
        provider: r#"endpoints {
    logs           = "http://127.0.0.1:1"
    cloudwatchlogs = "http://127.0.0.1:2"
  }"#,
        summary: "Conflicting endpoint names",
        line: r#"cloudwatchlogs = "http://127.0.0.1:2""#,
    },
    ProviderCase {
        reason: "role ARN with a short account ID",
        provider: r#"assume_role { role_arn = "arn:aws:iam::123:role/deployer" }"#,
        summary: "Invalid value for assume_role.role_arn",
        line: r#"assume_role { role_arn = "arn:aws:iam::123:role/deployer" }"#,
    },
    ProviderCase {
        reason: "session name STS refuses",
        provider: r#"assume_role {
    role_arn     = "arn:aws:iam::123456789012:role/deployer"
    session_name = "deploy bot"
  }"#,
        summary: "Invalid value for assume_role.session_name",
        line: r#"session_name = "deploy bot""#,
    },
    ProviderCase {
        reason: "external ID too short",
        provider: r#"assume_role {
    role_arn    = "arn:aws:iam::123456789012:role/deployer"
    external_id = "x"
  }"#,
        summary: "Invalid value for assume_role.external_id",
        line: r#"external_id = "x""#,
    },
    ProviderCase {
        reason: "default tag with a reserved prefix",
        provider: r#"default_tags {
    tags = { "aws:team" = "x" }
  }"#,
        summary: "Reserved tag key",
        line: r#"tags = { "aws:team" = "x" }"#,
    },
    ProviderCase {
        reason: "empty default tag key",
        provider: r#"default_tags {
    tags = { "" = "x" }
  }"#,
        summary: "Invalid tag key",
        line: r#"tags = { "" = "x" }"#,
    },
    ProviderCase {
        reason: "max_retries out of range",
        provider: "max_retries = 101",
        summary: "Invalid value for max_retries",
        line: "max_retries = 101",
    },
    ProviderCase {
        reason: "fractional max_retries",
        provider: "max_retries = 2.5",
        summary: "Invalid value for max_retries",
        line: "max_retries = 2.5",
    },
    ProviderCase {
        reason: "access key without a secret key",
        provider: r#"access_key = "AKIAIOSFODNN7EXAMPLE""#,
        summary: "Incomplete static credentials",
        // secret_key is absent: Terraform points at the provider block.
        line: r#"provider "platform" {"#,
    },
];

/// A case only plan can find: it needs the configured provider and read-only AWS calls.
struct PlanCase {
    reason: &'static str,
    provider: &'static str,
    body: &'static str,
    summary: &'static str,
    line: &'static str,
}

const PLAN_CASES: &[PlanCase] = &[
    PlanCase {
        reason: "availability zone the region does not have",
        provider: "",
        body: r#"resource "platform_environment" "main" {
  name = "env1"
  tier = "dev"
  network { az_ids = ["use1-az1", "mars-az9"] }
}"#,
        summary: "Unknown availability zone",
        line: r#"network { az_ids = ["use1-az1", "mars-az9"] }"#,
    },
    PlanCase {
        reason: "more availability zones than the region has",
        provider: r#"region = "us-west-1""#,
        body: r#"resource "platform_environment" "main" {
  name = "env1"
  tier = "dev"
  network { az_count = 6 }
}"#,
        summary: "Not enough availability zones",
        line: "network { az_count = 6 }",
    },
    PlanCase {
        reason: "certificate that does not exist",
        provider: "",
        body: r#"resource "platform_environment" "main" {
  name = "env1"
  tier = "dev"
  ingress { certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000" }
}"#,
        summary: "Certificate not found",
        line: r#"ingress { certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000" }"#,
    },
];

/// A valid resource, so a provider case fails on the provider block alone.
const VALID_ENVIRONMENT: &str = r#"resource "platform_environment" "main" {
  name = "env1"
  tier = "dev"
}"#;

#[test]
fn corpus_covers_every_resource_and_the_provider_block() {
    let total = CASES.len() + APP_CASES.len() + PROVIDER_CASES.len() + PLAN_CASES.len();
    assert!(total >= 40, "{total} cases");
    assert!(
        PROVIDER_CASES.len() >= 6,
        "{} provider cases",
        PROVIDER_CASES.len()
    );
    for noun in [
        "platform_service",
        "platform_database",
        "platform_cache",
        "platform_queue",
        "platform_topic",
        "platform_bucket",
    ] {
        assert!(
            APP_CASES.iter().any(|c| c.body.contains(noun)),
            "no case for {noun}"
        );
    }
    let lines = CASES
        .iter()
        .chain(APP_CASES)
        .map(|c| (c.reason, c.line))
        .chain(PROVIDER_CASES.iter().map(|c| (c.reason, c.line)))
        .chain(PLAN_CASES.iter().map(|c| (c.reason, c.line)));
    for (reason, line) in lines {
        assert!(!line.trim().is_empty(), "{reason}: no source line to check");
    }
}

/// scripts/aws-proxy.py in front of the emulator: every AWS call the provider makes passes
/// through it and is counted. Killed on drop.
struct Proxy {
    child: Child,
    port: u16,
}

impl Proxy {
    fn start(emulator: &Emulator, log: &std::path::Path) -> Proxy {
        let mut child = Command::new(repo_root().join(".tools/venv/bin/python"))
            .arg(repo_root().join("scripts/aws-proxy.py"))
            .args(["--upstream", &emulator.endpoint()])
            .arg("--log")
            .arg(log)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start scripts/aws-proxy.py");
        let mut first = String::new();
        let stdout = child.stdout.take().expect("proxy stdout");
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("proxy's first line");
        let port = first
            .trim()
            .strip_prefix("listening on ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected proxy output {first:?}"));
        Proxy { child, port }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn stats(&self) -> Json {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("proxy");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        write!(
            stream,
            "GET /__proxy/stats HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .expect("ask the proxy");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("proxy stats");
        let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        serde_json::from_str(body).unwrap_or_else(|e| panic!("proxy stats {e}: {response}"))
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes `main.tf`: the provider requirement, the provider block and the resources.
fn write_main(ws: &Workspace, provider: &str, resources: &str) {
    let config = format!(
        "terraform {{\n  required_providers {{\n    platform = {{\n      source  = \"{SOURCE}\"\n      version = \"{VERSION}\"\n    }}\n  }}\n}}\n\nprovider \"platform\" {{\n  {provider}\n}}\n\n{resources}\n"
    );
    std::fs::write(ws.dir.join("main.tf"), config).expect("main.tf");
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Validate,
    Plan,
}

/// The diagnostics of a `-json` run: one document for validate, one event per line for plan.
fn diagnostics(phase: Phase, run: &Run) -> Vec<Json> {
    match phase {
        Phase::Validate => serde_json::from_str::<Json>(&run.stdout)
            .ok()
            .and_then(|doc| doc["diagnostics"].as_array().cloned())
            .unwrap_or_default(),
        Phase::Plan => run
            .stdout
            .lines()
            .filter_map(|line| serde_json::from_str::<Json>(line).ok())
            .filter(|event| event["type"] == "diagnostic")
            .map(|event| event["diagnostic"].clone())
            .collect(),
    }
}

fn check(ws: &Workspace, proxy: &Proxy, phase: Phase, reason: &str, summary: &str, line: &str) {
    let args: &[&str] = match phase {
        Phase::Validate => &["validate", "-json", "-no-color"],
        Phase::Plan => &["plan", "-json", "-input=false", "-no-color"],
    };
    let result = ws.run_with_env(args, &[("AWS_ENDPOINT_URL", &proxy.endpoint())]);
    let text = format!("{}{}", result.stdout, result.stderr);
    assert_ne!(result.code, 0, "{reason}: {} passed:\n{text}", args[0]);
    assert!(
        !text.contains("panic") && !text.contains("Plugin did not respond"),
        "{reason}: the provider crashed:\n{text}"
    );
    let diags = diagnostics(phase, &result);
    let errors: Vec<&Json> = diags.iter().filter(|d| d["severity"] == "error").collect();
    // One bad value, one diagnostic: no two errors point at the same source range.
    let mut ranges = std::collections::BTreeMap::new();
    for error in &errors {
        if !error["range"].is_null() {
            *ranges.entry(error["range"].to_string()).or_insert(0) += 1;
        }
    }
    let repeated: Vec<_> = ranges.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        repeated.is_empty(),
        "{reason}: a value got more than one diagnostic: {:?}\n{text}",
        errors
            .iter()
            .map(|d| format!("{} @ {}", d["summary"], d["range"]))
            .collect::<Vec<_>>()
    );
    let matching: Vec<&&Json> = errors.iter().filter(|d| d["summary"] == summary).collect();
    assert!(
        !matching.is_empty(),
        "{reason}: no error {summary:?}; errors: {:?}\n{text}",
        errors.iter().map(|d| &d["summary"]).collect::<Vec<_>>()
    );
    for diag in matching {
        let code = diag["snippet"]["code"].as_str().unwrap_or_default();
        assert_eq!(
            diag["range"]["filename"], "main.tf",
            "{reason}: {summary:?} has no source range: {diag}"
        );
        assert!(
            code.contains(line),
            "{reason}: {summary:?} points at {code:?}, not at {line:?}: {diag}"
        );
    }
}

fn run(tf: Tf) {
    let emulator = Emulator::start();
    let ws = Workspace::new(tf, &emulator);
    let proxy = Proxy::start(&emulator, &ws.dir.join("aws-calls.jsonl"));
    ws.write_config("");
    ws.init();
    for case in CASES {
        let body = format!(
            "resource \"platform_environment\" \"main\" {{\n  {}\n}}",
            case.body
        );
        write_main(&ws, "", &body);
        check(
            &ws,
            &proxy,
            Phase::Validate,
            case.reason,
            case.summary,
            case.line,
        );
    }
    for case in APP_CASES {
        write_main(&ws, "", case.body);
        check(
            &ws,
            &proxy,
            Phase::Validate,
            case.reason,
            case.summary,
            case.line,
        );
    }
    for case in PROVIDER_CASES {
        write_main(&ws, case.provider, VALID_ENVIRONMENT);
        check(
            &ws,
            &proxy,
            Phase::Validate,
            case.reason,
            case.summary,
            case.line,
        );
    }
    for case in PLAN_CASES {
        write_main(&ws, case.provider, case.body);
        check(
            &ws,
            &proxy,
            Phase::Plan,
            case.reason,
            case.summary,
            case.line,
        );
    }
    // The plan cases configured the provider and read AWS through the proxy, so it did see the
    // traffic; none of it may have changed anything.
    let stats = proxy.stats();
    assert!(
        stats["read"].as_u64().unwrap_or(0) > 0,
        "no AWS call went through the proxy: {stats}"
    );
    assert_eq!(
        stats["mutating"].as_u64(),
        Some(0),
        "bad input made mutating AWS calls: {}",
        stats["by_action"]
    );
}

#[test]
fn terraform_1_0_3() {
    if tools_ready() {
        run(Tf::V1_0_3);
    }
}

#[test]
fn terraform_1_15_5() {
    if tools_ready() {
        run(Tf::V1_15_5);
    }
}
