//! Invalid configurations fail at validate with a diagnostic on the attribute, before any AWS
//! call (Terraform's validate walk never configures the provider).

use acceptance_tests::{tools_ready, Emulator, Tf, Workspace};

struct Case {
    reason: &'static str,
    body: &'static str,
    /// Expected diagnostic summary.
    summary: &'static str,
    /// Text of the offending source line, which Terraform quotes when the path is set.
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
        line: "",
    },
    Case {
        reason: "az_count out of range",
        body: r#"name = "env1"
  tier = "dev"
  network { az_count = 7 }"#,
        summary: "Invalid value for network.az_count",
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
        line: "",
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
        // A block has no source range of its own: Terraform points at the resource.
        line: "set ingress.domain",
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
        summary: "Invalid value for port",
        line: "port           = 70000",
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
];

fn check(ws: &Workspace, case: &Case) {
    let result = ws.run(&["validate", "-no-color"]);
    assert_ne!(result.code, 0, "{}: validate passed", case.reason);
    let text = format!("{}{}", result.stdout, result.stderr);
    assert!(
        text.contains(case.summary),
        "{}: missing {:?} in\n{text}",
        case.reason,
        case.summary
    );
    assert!(
        text.contains(case.line),
        "{}: diagnostic does not point at {:?}:\n{text}",
        case.reason,
        case.line
    );
    assert!(!text.contains("panic"), "{}: {text}", case.reason);
}

fn run(tf: Tf) {
    let emulator = Emulator::start();
    let ws = Workspace::new(tf, &emulator);
    ws.write_config("");
    ws.init();
    for case in CASES {
        ws.write_config(&format!(
            "resource \"platform_environment\" \"main\" {{\n  {}\n}}\n",
            case.body
        ));
        check(&ws, case);
    }
    for case in APP_CASES {
        ws.write_config(case.body);
        check(&ws, case);
    }
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
