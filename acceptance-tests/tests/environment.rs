//! `platform_environment` against moto, on Terraform 1.0.3 and 1.15.5.

use acceptance_tests::{block_on, both_versions, unique, Emulator, Tf, Workspace};
use aws_sdk_ec2::types::{Filter, VpcAttributeName};

both_versions!(create_update_destroy, drift_is_restored_and_import_works);

fn environment(name: &str, extra_network: &str, tags: &str) -> String {
    format!(
        r#"
resource "platform_environment" "main" {{
  name = "{name}"
  tier = "dev"
  tags = {{ {tags} }}
  network {{
    cidr = "10.20.0.0/16"
    {extra_network}
  }}
}}

output "vpc_id" {{ value = platform_environment.main.vpc_id }}
output "private_subnet_ids" {{ value = platform_environment.main.private_subnet_ids }}
output "nat_public_ips" {{ value = platform_environment.main.nat_public_ips }}
"#
    )
}

fn owner_filter(name: &str) -> Filter {
    Filter::builder()
        .name("tag:platform:owner")
        .values(format!("environment/{name}"))
        .build()
}

/// Counts of live objects tagged with the environment's owner tag.
#[derive(Debug, PartialEq, Eq, Default)]
struct Census {
    vpcs: usize,
    subnets: usize,
    internet_gateways: usize,
    nat_gateways: usize,
    addresses: usize,
    route_tables: usize,
}

fn census(ec2: &aws_sdk_ec2::Client, name: &str) -> Census {
    block_on(async {
        let f = || owner_filter(name);
        let nats = ec2
            .describe_nat_gateways()
            .filter(f())
            .send()
            .await
            .unwrap();
        Census {
            vpcs: ec2
                .describe_vpcs()
                .filters(f())
                .send()
                .await
                .unwrap()
                .vpcs()
                .len(),
            subnets: ec2
                .describe_subnets()
                .filters(f())
                .send()
                .await
                .unwrap()
                .subnets()
                .len(),
            internet_gateways: ec2
                .describe_internet_gateways()
                .filters(f())
                .send()
                .await
                .unwrap()
                .internet_gateways()
                .len(),
            nat_gateways: nats
                .nat_gateways()
                .iter()
                .filter(|n| {
                    n.state()
                        .is_some_and(|s| s.as_str() == "available" || s.as_str() == "pending")
                })
                .count(),
            addresses: ec2
                .describe_addresses()
                .filters(f())
                .send()
                .await
                .unwrap()
                .addresses()
                .len(),
            route_tables: ec2
                .describe_route_tables()
                .filters(f())
                .send()
                .await
                .unwrap()
                .route_tables()
                .len(),
        }
    })
}

/// Checks the network through the EC2 API: DNS, subnets inside the VPC, routes per tier.
fn check_network(ec2: &aws_sdk_ec2::Client, name: &str, vpc_id: &str, azs: usize, nats: usize) {
    block_on(async {
        for attribute in [
            VpcAttributeName::EnableDnsSupport,
            VpcAttributeName::EnableDnsHostnames,
        ] {
            let out = ec2
                .describe_vpc_attribute()
                .vpc_id(vpc_id)
                .attribute(attribute.clone())
                .send()
                .await
                .unwrap();
            let value = out
                .enable_dns_support()
                .or(out.enable_dns_hostnames())
                .and_then(|v| v.value());
            assert_eq!(value, Some(true), "{attribute:?}");
        }
        let subnets = ec2
            .describe_subnets()
            .filters(owner_filter(name))
            .send()
            .await
            .unwrap();
        assert_eq!(subnets.subnets().len(), 3 * azs);
        for subnet in subnets.subnets() {
            assert_eq!(subnet.vpc_id(), Some(vpc_id));
            assert!(
                subnet.cidr_block().unwrap().starts_with("10.20."),
                "{:?}",
                subnet.cidr_block()
            );
            assert_eq!(subnet.map_public_ip_on_launch(), Some(false));
        }
        let igws = ec2
            .describe_internet_gateways()
            .filters(owner_filter(name))
            .send()
            .await
            .unwrap();
        assert_eq!(igws.internet_gateways().len(), 1);
        assert_eq!(
            igws.internet_gateways()[0].attachments()[0].vpc_id(),
            Some(vpc_id)
        );
        let igw_id = igws.internet_gateways()[0]
            .internet_gateway_id()
            .unwrap()
            .to_string();

        let tables = ec2
            .describe_route_tables()
            .filters(owner_filter(name))
            .send()
            .await
            .unwrap();
        let tier_of = |subnet_id: &str| {
            subnets
                .subnets()
                .iter()
                .find(|s| s.subnet_id() == Some(subnet_id))
                .and_then(|s| s.tags().iter().find(|t| t.key() == Some("platform:node")))
                .and_then(|t| t.value())
                .map(|v| v.split('/').nth(1).unwrap_or_default().to_string())
                .unwrap_or_default()
        };
        let mut associated = 0;
        for table in tables.route_tables() {
            let default = table
                .routes()
                .iter()
                .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"));
            for association in table.associations() {
                let Some(subnet_id) = association.subnet_id() else {
                    continue;
                };
                associated += 1;
                match tier_of(subnet_id).as_str() {
                    "public" => {
                        assert_eq!(default.and_then(|r| r.gateway_id()), Some(igw_id.as_str()))
                    }
                    "private" if nats > 0 => assert!(
                        default.and_then(|r| r.nat_gateway_id()).is_some(),
                        "private route to NAT"
                    ),
                    "private" => assert!(default.is_none()),
                    "data" => assert!(
                        default.is_none(),
                        "data subnets must not reach the internet"
                    ),
                    other => panic!("unexpected tier {other}"),
                }
            }
        }
        assert_eq!(
            associated,
            3 * azs,
            "every subnet has an explicit route table"
        );
    });
    assert_eq!(census(ec2, name).nat_gateways, nats);
}

fn create_update_destroy(tf: Tf) {
    let emulator = Emulator::start();
    let ec2 = emulator.ec2();
    let ws = Workspace::new(tf, &emulator);
    let name = unique("acc-");

    ws.write_config(&environment(&name, "az_count = 2", "team = \"core\""));
    ws.init();
    ws.apply();
    let attrs = ws.attributes("platform_environment.main");
    let vpc_id = attrs["vpc_id"].as_str().unwrap().to_string();
    assert_eq!(attrs["id"], name.as_str());
    assert_eq!(attrs["effective_config"]["network.nat.mode"], "single");
    check_network(&ec2, &name, &vpc_id, 2, 1);
    let census_two = census(&ec2, &name);
    assert_eq!(
        census_two,
        Census {
            vpcs: 1,
            subnets: 6,
            internet_gateways: 1,
            nat_gateways: 1,
            addresses: 1,
            route_tables: 4
        }
    );
    let vpc_tags = block_on(async {
        ec2.describe_vpcs()
            .vpc_ids(&vpc_id)
            .send()
            .await
            .unwrap()
            .vpcs()[0]
            .tags()
            .to_vec()
    });
    let tag = |k: &str| {
        vpc_tags
            .iter()
            .find(|t| t.key() == Some(k))
            .and_then(|t| t.value())
            .map(str::to_string)
    };
    assert_eq!(tag("team").as_deref(), Some("core"));
    assert_eq!(
        tag("platform:managed-by").as_deref(),
        Some("terraform-provider-platform")
    );
    assert_eq!(tag("platform:node").as_deref(), Some("ec2.vpc"));
    assert_eq!(
        ws.outputs()["nat_public_ips"]["value"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    ws.assert_no_changes();

    // Tags change in place.
    ws.write_config(&environment(&name, "az_count = 2", "team = \"platform\""));
    let (changes, plan) = ws.plan();
    assert!(
        changes && plan.contains("updated in-place") && !plan.contains("must be replaced"),
        "{plan}"
    );
    ws.apply();
    ws.assert_no_changes();
    let private_before = ws.attributes("platform_environment.main")["private_subnet_ids"].clone();

    // Growing to three AZs only adds.
    ws.write_config(&environment(&name, "az_count = 3", "team = \"platform\""));
    let (_, plan) = ws.plan();
    assert!(
        plan.contains("updated in-place") && !plan.contains("must be replaced"),
        "{plan}"
    );
    ws.apply();
    ws.assert_no_changes();
    let attrs = ws.attributes("platform_environment.main");
    assert_eq!(attrs["vpc_id"], vpc_id.as_str());
    let private_after: Vec<String> = attrs["private_subnet_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    for id in private_before.as_array().unwrap() {
        assert!(
            private_after.contains(&id.as_str().unwrap().to_string()),
            "existing subnet {id} kept"
        );
    }
    check_network(&ec2, &name, &vpc_id, 3, 1);

    // NAT per AZ.
    ws.write_config(&environment(
        &name,
        "az_count = 3\n    nat { mode = \"per_az\" }",
        "team = \"platform\"",
    ));
    ws.apply();
    ws.assert_no_changes();
    check_network(&ec2, &name, &vpc_id, 3, 3);
    assert_eq!(
        ws.outputs()["nat_public_ips"]["value"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    ws.destroy();
    assert_eq!(
        census(&ec2, &name),
        Census::default(),
        "destroy left tagged objects"
    );
}

fn drift_is_restored_and_import_works(tf: Tf) {
    let emulator = Emulator::start();
    let ec2 = emulator.ec2();
    let ws = Workspace::new(tf, &emulator);
    let name = unique("acc-");
    ws.write_config(&environment(&name, "", ""));
    ws.init();
    ws.apply();
    let attrs = ws.attributes("platform_environment.main");
    let vpc_id = attrs["vpc_id"].as_str().unwrap().to_string();
    let resources = attrs["resources"].clone();

    // Out of band: delete a private default route and a data subnet's association, and strip
    // the VPC's Name tag.
    block_on(async {
        let id_of = |prefix: &str| {
            resources
                .as_object()
                .unwrap()
                .iter()
                .find(|(k, _)| k.starts_with(prefix))
                .unwrap()
                .1
                .as_str()
                .unwrap()
                .to_string()
        };
        let route = id_of("ec2.route/private/");
        let (table, destination) = route.split_once('|').unwrap();
        ec2.delete_route()
            .route_table_id(table)
            .destination_cidr_block(destination)
            .send()
            .await
            .unwrap();
        ec2.disassociate_route_table()
            .association_id(id_of("ec2.route_table_association/data/"))
            .send()
            .await
            .unwrap();
        ec2.delete_tags()
            .resources(&vpc_id)
            .tags(aws_sdk_ec2::types::Tag::builder().key("Name").build())
            .send()
            .await
            .unwrap();
    });
    let (changes, plan) = ws.plan();
    assert!(changes, "drift must show in the plan");
    assert!(
        plan.contains("ec2.route/private/") && plan.contains("deleted outside Terraform"),
        "{plan}"
    );
    assert!(plan.contains("ec2.route_table_association/data/"), "{plan}");
    assert!(
        plan.contains("ec2.vpc: tags changed outside Terraform"),
        "{plan}"
    );
    ws.apply();
    ws.assert_no_changes();
    check_network(&ec2, &name, &vpc_id, 2, 1);

    // Import by name after forgetting the state.
    ws.ok(&["state", "rm", "-no-color", "platform_environment.main"]);
    ws.ok(&[
        "import",
        "-input=false",
        "-no-color",
        "platform_environment.main",
        &name,
    ]);
    ws.assert_resources_unchanged();

    // Import by VPC ID in a fresh workspace.
    let other = Workspace::new(tf, &emulator);
    other.write_config(&environment(&name, "", ""));
    other.init();
    other.ok(&[
        "import",
        "-input=false",
        "-no-color",
        "platform_environment.main",
        &vpc_id,
    ]);
    other.assert_resources_unchanged();
    other.ok(&["state", "rm", "-no-color", "platform_environment.main"]);

    ws.destroy();
    assert_eq!(
        census(&ec2, &name),
        Census::default(),
        "destroy left tagged objects"
    );
}
