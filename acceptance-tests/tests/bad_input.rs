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
