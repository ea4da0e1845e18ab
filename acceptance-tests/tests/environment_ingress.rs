//! `platform_environment` with `ingress`: the shared load balancer, its listeners and its
//! certificate (given or requested), on Terraform 1.0.3 and 1.15.5 against moto.

use acceptance_tests::{
    block_on, both_versions, census, import_certificate, unique, Emulator, Tf, Workspace,
};
use aws_sdk_elasticloadbalancingv2::types::{ActionTypeEnum, LoadBalancer};

both_versions!(given_certificate, requested_certificate);

fn environment(name: &str, ingress: &str) -> String {
    format!(
        r#"
resource "platform_environment" "main" {{
  name = "{name}"
  tier = "dev"
  network {{
    cidr = "10.30.0.0/16"
  }}
  ingress {{
    {ingress}
  }}
}}

output "dns_name" {{ value = platform_environment.main.load_balancer_dns_name }}
output "zone_id" {{ value = platform_environment.main.load_balancer_zone_id }}
output "https_listener_arn" {{ value = platform_environment.main.https_listener_arn }}
output "certificate_arn" {{ value = platform_environment.main.certificate_arn }}
output "certificate_status" {{ value = platform_environment.main.certificate_status }}
output "validation_records" {{ value = platform_environment.main.certificate_validation_records }}
output "public_subnet_ids" {{ value = platform_environment.main.public_subnet_ids }}
output "lb_group" {{ value = platform_environment.main.security_group_ids["load_balancer"] }}
"#
    )
}

fn load_balancer(emulator: &Emulator, name: &str) -> LoadBalancer {
    let elbv2 = emulator.elbv2();
    block_on(async {
        elbv2
            .describe_load_balancers()
            .names(format!("{name}-lb"))
            .send()
            .await
            .expect("describe load balancer")
            .load_balancers()[0]
            .clone()
    })
}

fn attribute(emulator: &Emulator, arn: &str, key: &str) -> String {
    let elbv2 = emulator.elbv2();
    block_on(async {
        elbv2
            .describe_load_balancer_attributes()
            .load_balancer_arn(arn)
            .send()
            .await
            .expect("attributes")
            .attributes()
            .iter()
            .find(|a| a.key() == Some(key))
            .and_then(|a| a.value().map(str::to_string))
            .unwrap_or_default()
    })
}

/// Checks the load balancer and both listeners through ELBv2.
fn check_load_balancer(emulator: &Emulator, ws: &Workspace, name: &str, certificate: &str) {
    let outputs = ws.outputs();
    let lb = load_balancer(emulator, name);
    let arn = lb.load_balancer_arn().unwrap().to_string();
    assert_eq!(lb.scheme().map(|s| s.as_str()), Some("internet-facing"));
    assert_eq!(
        outputs["dns_name"]["value"].as_str(),
        lb.dns_name(),
        "dns name output"
    );
    assert!(!outputs["zone_id"]["value"].as_str().unwrap().is_empty());
    let mut lb_subnets: Vec<String> = lb
        .availability_zones()
        .iter()
        .filter_map(|z| z.subnet_id().map(str::to_string))
        .collect();
    lb_subnets.sort();
    let mut public: Vec<String> = outputs["public_subnet_ids"]["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    public.sort();
    assert_eq!(
        lb_subnets, public,
        "internet-facing uses the public subnets"
    );
    assert_eq!(
        lb.security_groups(),
        &[outputs["lb_group"]["value"].as_str().unwrap().to_string()]
    );
    assert_eq!(
        attribute(
            emulator,
            &arn,
            "routing.http.drop_invalid_header_fields.enabled"
        ),
        "true"
    );
    assert_eq!(
        attribute(emulator, &arn, "deletion_protection.enabled"),
        "false"
    );

    let elbv2 = emulator.elbv2();
    let listeners = block_on(async {
        elbv2
            .describe_listeners()
            .load_balancer_arn(&arn)
            .send()
            .await
            .expect("listeners")
            .listeners()
            .to_vec()
    });
    assert_eq!(listeners.len(), 2, "{listeners:?}");
    let https = listeners.iter().find(|l| l.port() == Some(443)).unwrap();
    assert_eq!(
        https.ssl_policy(),
        Some("ELBSecurityPolicy-TLS13-1-2-Res-2021-06")
    );
    assert_eq!(
        https.certificates()[0].certificate_arn(),
        Some(certificate),
        "the HTTPS listener uses the certificate"
    );
    assert_eq!(
        outputs["https_listener_arn"]["value"].as_str(),
        https.listener_arn()
    );
    let not_found = &https.default_actions()[0];
    assert_eq!(not_found.r#type(), Some(&ActionTypeEnum::FixedResponse));
    assert_eq!(
        not_found
            .fixed_response_config()
            .and_then(|c| c.status_code()),
        Some("404")
    );
    let http = listeners.iter().find(|l| l.port() == Some(80)).unwrap();
    let redirect = http.default_actions()[0].redirect_config().unwrap();
    assert_eq!(redirect.protocol(), Some("HTTPS"));
    assert_eq!(redirect.port(), Some("443"));
    assert_eq!(redirect.status_code().map(|s| s.as_str()), Some("HTTP_301"));

    // The load balancer group admits 80 and 443 from anywhere, nothing else.
    let ec2 = emulator.ec2();
    let group = outputs["lb_group"]["value"].as_str().unwrap().to_string();
    let mut ports: Vec<(i32, String)> = block_on(async {
        ec2.describe_security_group_rules()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("group-id")
                    .values(&group)
                    .build(),
            )
            .send()
            .await
            .unwrap()
            .security_group_rules()
            .iter()
            .filter(|r| r.is_egress() == Some(false))
            .map(|r| {
                (
                    r.from_port().unwrap_or(-1),
                    r.cidr_ipv4().unwrap_or_default().to_string(),
                )
            })
            .collect()
    });
    ports.sort();
    assert_eq!(
        ports,
        vec![
            (80, "0.0.0.0/0".to_string()),
            (443, "0.0.0.0/0".to_string())
        ]
    );
}

fn given_certificate(tf: Tf) {
    let emulator = Emulator::start();
    let ws = Workspace::new(tf, &emulator);
    let name = unique("ing");
    let owner = format!("environment/{name}");
    let certificate = import_certificate(&emulator, &["app.example.com", "*.app.example.com"]);
    let ingress =
        format!("certificate_arn = \"{certificate}\"\n    domain          = \"app.example.com\"");
    ws.write_config(&environment(&name, &ingress));
    ws.init();
    ws.apply();
    ws.assert_no_changes();
    check_load_balancer(&emulator, &ws, &name, &certificate);
    assert_eq!(
        ws.outputs()["certificate_arn"]["value"].as_str(),
        Some(certificate.as_str())
    );

    // Settings change in place.
    ws.write_config(&environment(
        &name,
        &format!("{ingress}\n    idle_timeout = 120\n    tls_policy = \"ELBSecurityPolicy-TLS13-1-3-2021-06\""),
    ));
    let (changes, plan) = ws.plan();
    assert!(changes && !plan.contains("must be replaced"), "{plan}");
    ws.apply();
    ws.assert_no_changes();
    let lb = load_balancer(&emulator, &name);
    assert_eq!(
        attribute(
            &emulator,
            lb.load_balancer_arn().unwrap(),
            "idle_timeout.timeout_seconds"
        ),
        "120"
    );

    // A domain the certificate does not cover fails the plan, naming the attribute.
    ws.write_config(&environment(
        &name,
        &format!("certificate_arn = \"{certificate}\"\n    domain          = \"shop.example.org\""),
    ));
    let run = ws.run(&["plan", "-input=false", "-no-color"]);
    assert_ne!(run.code, 0);
    let text = format!("{}{}", run.stdout, run.stderr);
    assert!(
        text.contains("Certificate does not cover the domain"),
        "{text}"
    );
    assert!(text.contains("shop.example.org"), "{text}");

    ws.write_config(&environment(&name, &ingress));
    ws.destroy();
    assert!(
        census(&emulator, &owner).is_empty(),
        "{:?}",
        census(&emulator, &owner)
    );
}

fn requested_certificate(tf: Tf) {
    let emulator = Emulator::start();
    let ws = Workspace::new(tf, &emulator);
    let name = unique("ing");
    let owner = format!("environment/{name}");
    ws.write_config(&environment(
        &name,
        "domain             = \"app.example.com\"\n    additional_domains = [\"www.app.example.com\"]",
    ));
    ws.init();
    ws.apply();
    ws.assert_no_changes();
    let outputs = ws.outputs();
    let certificate = outputs["certificate_arn"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(certificate.starts_with("arn:aws:acm:"), "{certificate}");
    check_load_balancer(&emulator, &ws, &name, &certificate);
    assert_eq!(outputs["certificate_status"]["value"], "ISSUED");
    let records = outputs["validation_records"]["value"].as_array().unwrap();
    assert!(!records.is_empty(), "validation records are exposed");
    assert!(records.iter().all(|r| r["type"] == "CNAME"), "{records:?}");

    let acm = emulator.acm();
    let described = block_on(async {
        acm.describe_certificate()
            .certificate_arn(&certificate)
            .send()
            .await
            .unwrap()
            .certificate()
            .cloned()
            .unwrap()
    });
    assert_eq!(described.domain_name(), Some("app.example.com"));
    let mut sans = described.subject_alternative_names().to_vec();
    sans.sort();
    assert_eq!(sans, vec!["app.example.com", "www.app.example.com"]);

    ws.destroy();
    assert!(
        census(&emulator, &owner).is_empty(),
        "{:?}",
        census(&emulator, &owner)
    );
    let remaining = block_on(async {
        acm.list_certificates()
            .send()
            .await
            .unwrap()
            .certificate_summary_list()
            .len()
    });
    assert_eq!(remaining, 0, "the requested certificate is deleted");
}
