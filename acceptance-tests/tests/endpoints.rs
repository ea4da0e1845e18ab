//! The provider block's `endpoints { … }` routes each service on its own, with no
//! `AWS_ENDPOINT_URL`: every service the provider calls gets its own proxy in front of moto, and
//! each proxy must see calls of its service and of no other. Terraform 1.0.3 names services by
//! hashicorp/aws's aliases where they have one, 1.15.5 by their keys.

use acceptance_tests::{census, tools_ready, unique, Emulator, Proxy, Tf, Workspace};

/// (key, alias or the key again, the SigV4 service the proxy sees).
const SERVICES: &[(&str, &str, &str)] = &[
    ("acm", "acm", "acm"),
    (
        "appautoscaling",
        "applicationautoscaling",
        "application-autoscaling",
    ),
    ("ec2", "ec2", "ec2"),
    ("ecs", "ecs", "ecs"),
    ("elasticache", "elasticache", "elasticache"),
    ("elbv2", "elasticloadbalancingv2", "elasticloadbalancing"),
    ("iam", "iam", "iam"),
    ("logs", "cloudwatchlogs", "logs"),
    ("rds", "rds", "rds"),
    ("scheduler", "scheduler", "scheduler"),
    ("secretsmanager", "secretsmanager", "secretsmanager"),
    ("sts", "sts", "sts"),
];

fn config(name: &str) -> String {
    format!(
        r#"
resource "platform_environment" "main" {{
  name = "{name}"
  tier = "dev"
  ingress {{
    domain = "app.example.test"
  }}
}}

resource "platform_database" "main" {{
  environment_id = platform_environment.main.id
  name           = "main"
}}

resource "platform_service" "api" {{
  environment_id  = platform_environment.main.id
  name            = "api"
  image           = "public.ecr.aws/nginx/nginx:1"
  port            = 8080
  database_access = [platform_database.main.id]
  routing {{
    hosts = ["app.example.test"]
  }}
  autoscaling {{
    min = 1
    max = 2
  }}
  deployment {{
    wait = false
  }}
}}
"#
    )
}

fn run(tf: Tf) {
    let emulator = Emulator::start();
    let proxies: Vec<Proxy> = SERVICES
        .iter()
        .map(|_| Proxy::start(&emulator, &[]))
        .collect();
    let endpoints: String = SERVICES
        .iter()
        .zip(&proxies)
        .map(|((key, alias, _), proxy)| {
            let name = if tf == Tf::V1_0_3 { alias } else { key };
            format!("    {name} = \"{}\"\n", proxy.endpoint())
        })
        .collect();
    let name = unique("ep");
    let ws = Workspace::new(tf, &emulator).endpoints_in_config();
    ws.write_config_with_provider(
        &format!("\n  endpoints {{\n{endpoints}  }}\n"),
        &config(&name),
    );
    ws.init();
    ws.apply();

    for ((key, _, service), proxy) in SERVICES.iter().zip(&proxies) {
        let calls = proxy.calls();
        assert!(!calls.is_empty(), "endpoints.{key}: its proxy saw no call");
        let strangers: Vec<String> = calls
            .iter()
            .filter(|c| c["service"] != *service)
            .map(|c| format!("{} {}", c["service"], c["action"]))
            .collect();
        assert!(
            strangers.is_empty(),
            "endpoints.{key} ({service}) received other services' calls: {strangers:?}"
        );
    }
    // moto's CreateService drops the deployment settings (docs/design/emulator.md): the next
    // apply sets them with UpdateService, then nothing is left to change.
    ws.apply();
    ws.assert_no_changes();
    ws.destroy();
    for owner in [
        format!("environment/{name}"),
        format!("service/{name}/api"),
        format!("database/{name}/main"),
    ] {
        assert!(census(&emulator, &owner).is_empty(), "{owner} left objects");
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
