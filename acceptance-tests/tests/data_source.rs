//! `data "platform_environment"` from another stack (its own state), on Terraform 1.0.3 and
//! 1.15.5 against moto: the values equal the resource's.

use acceptance_tests::{census, tools_ready, unique, Emulator, Tf, Workspace};

fn environment_stack(name: &str) -> String {
    format!(
        r#"
resource "platform_environment" "main" {{
  name = "{name}"
  tier = "staging"
  tags = {{ team = "core" }}
}}
"#
    )
}

fn consumer_stack(name: &str) -> String {
    format!(
        r#"
data "platform_environment" "shared" {{
  name = "{name}"
}}

output "vpc_id" {{ value = data.platform_environment.shared.vpc_id }}
output "private_subnet_ids" {{ value = data.platform_environment.shared.private_subnet_ids }}
output "security_group_ids" {{ value = data.platform_environment.shared.security_group_ids }}
output "cluster_arn" {{ value = data.platform_environment.shared.cluster_arn }}
output "db_subnet_group_name" {{ value = data.platform_environment.shared.db_subnet_group_name }}
output "tier" {{ value = data.platform_environment.shared.tier }}
output "tags" {{ value = data.platform_environment.shared.tags }}
"#
    )
}

fn run(tf: Tf) {
    let emulator = Emulator::start();
    let name = unique("ds");
    let producer = Workspace::new(tf, &emulator);
    producer.write_config(&environment_stack(&name));
    producer.init();
    producer.apply();
    let resource = producer.attributes("platform_environment.main");

    let consumer = Workspace::new(tf, &emulator);
    consumer.write_config(&consumer_stack(&name));
    consumer.init();
    consumer.apply();
    let outputs = consumer.outputs();
    for name in [
        "vpc_id",
        "private_subnet_ids",
        "security_group_ids",
        "cluster_arn",
        "db_subnet_group_name",
        "tier",
        "tags",
    ] {
        assert_eq!(outputs[name]["value"], resource[name], "{name}");
    }
    // Reading again changes nothing.
    consumer.assert_no_changes();

    // An environment that does not exist is a diagnostic on `name`.
    consumer.write_config(&consumer_stack("nosuchenv"));
    let run = consumer.run(&["plan", "-input=false", "-no-color"]);
    assert_ne!(run.code, 0);
    let text = format!("{}{}", run.stdout, run.stderr);
    assert!(text.contains("Environment not found"), "{text}");

    producer.destroy();
    assert!(census(&emulator, &format!("environment/{name}")).is_empty());
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
