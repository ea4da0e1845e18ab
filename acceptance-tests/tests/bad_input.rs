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
