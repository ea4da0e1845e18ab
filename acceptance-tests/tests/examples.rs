//! The `examples/` modules, one per reference architecture
//! (docs/design/reference-architectures.md): each is formatted and valid on Terraform 1.0.3 and
//! 1.15.5, and each applies against moto, is checked through the AWS API and the ownership-tag
//! census, plans empty and destroys to nothing.
//!
//! The examples are copied unchanged; the tests only set their variables: unique names (so
//! tests run in parallel), `wait_for_deployment = false` (moto never starts an ECS task) and
//! deletion protection off (prod refuses destroy otherwise). Apply is the expensive part, so each
//! example applies on one Terraform version, alternating between the two.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

use acceptance_tests::{
    block_on, census, import_certificate, percent_decode, repo_root, tools_ready, unique, Checks,
    Emulator, Run, Tf, Workspace, MOTO_CREATE_SERVICE_GAP, OWNER_TAG,
};
use aws_sdk_applicationautoscaling::types::ServiceNamespace;
use aws_sdk_ec2::types::Filter;
use aws_sdk_elasticache::types::{AutomaticFailoverStatus, MultiAzStatus};
use serde_json::Value;

/// An example's two tests: `fmt_and_validate` on both versions, `apply_and_destroy` on one.
macro_rules! example {
    ($module:ident, $dir:literal, $apply:ident, $tf:expr) => {
        mod $module {
            use super::*;
            #[test]
            fn fmt_and_validate() {
                if tools_ready() {
                    super::fmt_and_validate($dir);
                }
            }
            #[test]
            fn apply_and_destroy() {
                if tools_ready() {
                    let started = Instant::now();
                    super::$apply($tf);
                    eprintln!(
                        "{} apply_and_destroy ({:?}) took {:?}",
                        $dir,
                        $tf,
                        started.elapsed()
                    );
                }
            }
        }
    };
}

example!(infisical, "infisical", infisical_apply, Tf::V1_15_5);
example!(infracast, "infracast", infracast_apply, Tf::V1_0_3);
example!(encore, "encore", encore_apply, Tf::V1_15_5);
example!(web_app, "web-app", web_app_apply, Tf::V1_0_3);
example!(quickstart, "quickstart", quickstart_apply, Tf::V1_15_5);
example!(
    dev_staging_prod,
    "dev-staging-prod",
    trio_apply,
    Tf::V1_15_5
);

const ACCOUNT: &str = "123456789012";
const EU: &str = "eu-central-1";

// ---------------------------------------------------------------------------------------------
// Checks, named by example
// ---------------------------------------------------------------------------------------------

fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect()
}

// ---------------------------------------------------------------------------------------------
// The example as a Terraform working directory
// ---------------------------------------------------------------------------------------------

/// Copies `examples/<name>` into `dir`, leaving out anything a local run may have left there.
fn copy_example(name: &str, dir: &Path) {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("example dir");
        for entry in std::fs::read_dir(from).expect("read example dir").flatten() {
            let file_name = entry.file_name();
            let name = file_name.to_string_lossy();
            if name.starts_with(".terraform") || name.starts_with("terraform.tfstate") {
                continue;
            }
            let path = entry.path();
            if path.is_dir() {
                copy(&path, &to.join(&file_name));
            } else {
                std::fs::copy(&path, to.join(&file_name)).expect("copy example file");
            }
        }
    }
    let source = repo_root().join("examples").join(name);
    assert!(
        source.is_dir(),
        "example {name}: {} missing",
        source.display()
    );
    copy(&source, dir);
}

/// A Workspace holding one example, with the `-var` arguments every command gets.
struct Example {
    name: &'static str,
    ws: Workspace,
    vars: Vec<String>,
}

impl Example {
    fn new(name: &'static str, tf: Tf, emulator: &Emulator, vars: &[(&str, &str)]) -> Example {
        let ws = Workspace::new(tf, emulator);
        copy_example(name, &ws.dir);
        let vars = vars
            .iter()
            .flat_map(|(k, v)| ["-var".to_string(), format!("{k}={v}")])
            .collect();
        let example = Example { name, ws, vars };
        example.ok("init", &["init", "-input=false", "-no-color"], false);
        example
    }

    /// Runs Terraform (with the variables when `with_vars`) and panics, naming the example and
    /// the step, unless it exits 0.
    fn ok(&self, step: &str, args: &[&str], with_vars: bool) -> Run {
        let run = self.run(args, with_vars);
        assert_eq!(
            run.code, 0,
            "example {} ({:?}): {step} failed:\n{}\n{}",
            self.name, self.ws.tf, run.stdout, run.stderr
        );
        run
    }

    fn run(&self, args: &[&str], with_vars: bool) -> Run {
        let mut all: Vec<&str> = args.to_vec();
        if with_vars {
            all.extend(self.vars.iter().map(String::as_str));
        }
        self.ws.run(&all)
    }

    fn apply(&self, step: &str) {
        self.ok(
            step,
            &["apply", "-input=false", "-no-color", "-auto-approve"],
            true,
        );
    }

    /// `plan -detailed-exitcode`: whether anything would change, and the output.
    fn plan(&self, step: &str) -> (bool, String) {
        let run = self.run(
            &["plan", "-input=false", "-no-color", "-detailed-exitcode"],
            true,
        );
        match run.code {
            0 => (false, run.stdout),
            2 => (true, run.stdout),
            _ => panic!(
                "example {} ({:?}): {step} failed:\n{}\n{}",
                self.name, self.ws.tf, run.stdout, run.stderr
            ),
        }
    }

    /// Records a failure (with the plan) unless the next plan is empty.
    fn assert_no_changes(&self, c: &mut Checks, step: &str) {
        let (changes, plan) = self.plan(step);
        c.check(!changes, || {
            format!("{step}: expected an empty plan, got:\n{plan}")
        });
    }

    /// After the first apply: the only changes the plan may show are in-place updates of
    /// services whose drift is moto's CreateService gap; one more apply stores them, and then
    /// the plan must be empty.
    fn converge(&self, c: &mut Checks) {
        let (changes, plan) = self.plan("first plan after create");
        if changes {
            let actions: Vec<&str> = plan
                .lines()
                .map(str::trim_start)
                .filter(|l| {
                    l.starts_with("# ") && (l.contains(" will be ") || l.contains(" must be "))
                })
                .collect();
            for action in &actions {
                c.check(
                    action.contains("platform_service.") && action.ends_with("will be updated in-place"),
                    || format!("first plan after create: {action:?} is more than moto's CreateService gap:\n{plan}"),
                );
            }
            for line in plan
                .lines()
                .filter(|l| l.contains("changed outside Terraform"))
            {
                let fields = line
                    .split("ecs.service/service: ")
                    .nth(1)
                    .and_then(|rest| rest.split(" changed outside Terraform").next());
                let known = fields.is_some_and(|f| {
                    f.split(", ")
                        .all(|field| MOTO_CREATE_SERVICE_GAP.contains(&field))
                });
                c.check(known, || {
                    format!(
                        "first plan after create: drift beyond moto's CreateService gap: {}",
                        line.trim()
                    )
                });
            }
            self.apply("second apply (moto's CreateService gap)");
        }
        self.assert_no_changes(c, "plan after create");
    }

    /// Destroys, then checks that no owner has a tagged object left in us-east-1 (IAM is
    /// global, so this covers every region's roles).
    fn destroy_and_check_empty(&self, emulator: &Emulator, owners: &[String], c: &mut Checks) {
        let run = self.run(
            &["destroy", "-input=false", "-no-color", "-auto-approve"],
            true,
        );
        c.check(run.code == 0, || {
            format!("destroy failed:\n{}\n{}", run.stdout, run.stderr)
        });
        for owner in owners {
            let left = census(emulator, owner);
            c.check(left.is_empty(), || {
                format!("destroy left objects of {owner}: {left:?}")
            });
        }
    }

    fn outputs(&self) -> Value {
        let run = self.ok("output", &["output", "-json", "-no-color"], false);
        serde_json::from_str(&run.stdout).expect("output JSON")
    }

    fn output(&self, name: &str) -> Value {
        self.outputs()[name]["value"].clone()
    }

    /// Every resource in the state, root and child modules, by address.
    fn state(&self) -> BTreeMap<String, Value> {
        fn walk(module: &Value, out: &mut BTreeMap<String, Value>) {
            for r in module["resources"].as_array().into_iter().flatten() {
                if let Some(address) = r["address"].as_str() {
                    out.insert(address.to_string(), r["values"].clone());
                }
            }
            for child in module["child_modules"].as_array().into_iter().flatten() {
                walk(child, out);
            }
        }
        let run = self.ok("show", &["show", "-json", "-no-color"], false);
        let state: Value = serde_json::from_str(&run.stdout).expect("state JSON");
        let mut out = BTreeMap::new();
        walk(&state["values"]["root_module"], &mut out);
        out
    }
}

/// The state's attributes of `address`; panics naming the example when it is missing.
fn resource<'a>(example: &str, state: &'a BTreeMap<String, Value>, address: &str) -> &'a Value {
    state.get(address).unwrap_or_else(|| {
        panic!(
            "example {example}: {address} not in state; it holds {:?}",
            state.keys().collect::<Vec<_>>()
        )
    })
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

fn fmt_and_validate(example: &'static str) {
    // The workspace needs an endpoint; fmt, init and validate never call it.
    let emulator = Emulator::start();
    for tf in [Tf::V1_0_3, Tf::V1_15_5] {
        let started = Instant::now();
        let ws = Workspace::new(tf, &emulator);
        copy_example(example, &ws.dir);
        let fmt = ws.run(&["fmt", "-check", "-recursive", "-diff"]);
        assert_eq!(
            fmt.code, 0,
            "example {example} ({tf:?}): terraform fmt -check -recursive wants changes:\n{}\n{}",
            fmt.stdout, fmt.stderr
        );
        for step in [
            &["init", "-input=false", "-no-color"][..],
            &["validate", "-no-color"][..],
        ] {
            let run = ws.run(step);
            assert_eq!(
                run.code, 0,
                "example {example} ({tf:?}): terraform {} failed:\n{}\n{}",
                step[0], run.stdout, run.stderr
            );
        }
        eprintln!(
            "{example} fmt, init and validate ({tf:?}) took {:?}",
            started.elapsed()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// AWS views (us-east-1 unless a config says otherwise)
// ---------------------------------------------------------------------------------------------

fn region_config(emulator: &Emulator, region: &'static str) -> aws_config::SdkConfig {
    emulator
        .sdk_config()
        .into_builder()
        .region(aws_config::Region::new(region))
        .build()
}

fn db_instance(config: &aws_config::SdkConfig, id: &str) -> Option<aws_sdk_rds::types::DbInstance> {
    block_on(async {
        aws_sdk_rds::Client::new(config)
            .describe_db_instances()
            .db_instance_identifier(id)
            .send()
            .await
            .ok()
            .and_then(|o| o.db_instances().first().cloned())
    })
}

fn replication_group(
    config: &aws_config::SdkConfig,
    id: &str,
) -> Option<aws_sdk_elasticache::types::ReplicationGroup> {
    block_on(async {
        aws_sdk_elasticache::Client::new(config)
            .describe_replication_groups()
            .replication_group_id(id)
            .send()
            .await
            .ok()
            .and_then(|o| o.replication_groups().first().cloned())
    })
}

/// (engine, engine version) of each member cluster of a replication group.
fn member_engines(
    config: &aws_config::SdkConfig,
    group: &aws_sdk_elasticache::types::ReplicationGroup,
) -> Vec<(String, String)> {
    block_on(async {
        let client = aws_sdk_elasticache::Client::new(config);
        let mut out = Vec::new();
        for member in group.member_clusters() {
            let cluster = client
                .describe_cache_clusters()
                .cache_cluster_id(member)
                .send()
                .await
                .ok()
                .and_then(|o| o.cache_clusters().first().cloned());
            out.push(
                cluster
                    .map(|c| {
                        (
                            c.engine().unwrap_or_default().to_string(),
                            c.engine_version().unwrap_or_default().to_string(),
                        )
                    })
                    .unwrap_or_default(),
            );
        }
        out
    })
}

fn log_retention(config: &aws_config::SdkConfig, name: &str) -> Option<i32> {
    block_on(async {
        aws_sdk_cloudwatchlogs::Client::new(config)
            .describe_log_groups()
            .log_group_name_prefix(name)
            .send()
            .await
            .ok()
            .and_then(|o| {
                o.log_groups()
                    .iter()
                    .find(|g| g.log_group_name() == Some(name))
                    .and_then(|g| g.retention_in_days())
            })
    })
}

/// (traffic type, log group) of each flow log on a VPC.
fn flow_logs(config: &aws_config::SdkConfig, vpc_id: &str) -> Vec<(String, String)> {
    block_on(async {
        aws_sdk_ec2::Client::new(config)
            .describe_flow_logs()
            .filter(Filter::builder().name("resource-id").values(vpc_id).build())
            .send()
            .await
            .map(|o| {
                o.flow_logs()
                    .iter()
                    .map(|f| {
                        (
                            f.traffic_type()
                                .map(|t| t.as_str().to_string())
                                .unwrap_or_default(),
                            f.log_group_name().unwrap_or_default().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    })
}

/// Availability zones of a VPC's subnets, or None when the VPC is not in this region.
fn vpc_zones(config: &aws_config::SdkConfig, vpc_id: &str) -> Option<BTreeSet<String>> {
    block_on(async {
        let ec2 = aws_sdk_ec2::Client::new(config);
        let found = ec2.describe_vpcs().vpc_ids(vpc_id).send().await.ok()?;
        if found.vpcs().is_empty() {
            return None;
        }
        let subnets = ec2
            .describe_subnets()
            .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
            .send()
            .await
            .ok()?;
        Some(
            subnets
                .subnets()
                .iter()
                .filter_map(|s| s.availability_zone().map(str::to_string))
                .collect(),
        )
    })
}

/// Peers (CIDR or group ID) and ports of each ingress rule of a group.
fn ingress_peers(emulator: &Emulator, group_id: &str) -> BTreeSet<(String, i32)> {
    block_on(async {
        emulator
            .ec2()
            .describe_security_group_rules()
            .filters(Filter::builder().name("group-id").values(group_id).build())
            .send()
            .await
            .map(|o| {
                o.security_group_rules()
                    .iter()
                    .filter(|r| r.is_egress() == Some(false))
                    .map(|r| {
                        let peer = r
                            .cidr_ipv4()
                            .map(str::to_string)
                            .or_else(|| {
                                r.referenced_group_info()
                                    .and_then(|g| g.group_id())
                                    .map(str::to_string)
                            })
                            .unwrap_or_default();
                        (peer, r.from_port().unwrap_or(-1))
                    })
                    .collect()
            })
            .unwrap_or_default()
    })
}

fn task_definition(
    config: &aws_config::SdkConfig,
    arn: &str,
) -> Option<aws_sdk_ecs::types::TaskDefinition> {
    block_on(async {
        aws_sdk_ecs::Client::new(config)
            .describe_task_definition()
            .task_definition(arn)
            .send()
            .await
            .ok()
            .and_then(|o| o.task_definition().cloned())
    })
}

/// Variable name → valueFrom of the task definition's first container.
fn task_secrets(task: &aws_sdk_ecs::types::TaskDefinition) -> BTreeMap<String, String> {
    task.container_definitions()
        .first()
        .map(|c| {
            c.secrets()
                .iter()
                .map(|s| (s.name().to_string(), s.value_from().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// (min, max, CPU target) of a service's scaling, from Application Auto Scaling.
fn scaling(emulator: &Emulator, service_arn: &str) -> Option<(i32, i32, f64)> {
    // A new-format service ARN ends in `service/<cluster>/<name>`: the scalable resource ID.
    let resource_id = service_arn.split(':').next_back()?.to_string();
    block_on(async {
        let client = emulator.autoscaling();
        let targets = client
            .describe_scalable_targets()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_ids(&resource_id)
            .send()
            .await
            .ok()?;
        let target = targets.scalable_targets().first()?;
        let policies = client
            .describe_scaling_policies()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(&resource_id)
            .send()
            .await
            .ok()?;
        let cpu = policies
            .scaling_policies()
            .iter()
            .filter_map(|p| p.target_tracking_scaling_policy_configuration())
            .find(|t| {
                t.predefined_metric_specification()
                    .is_some_and(|m| m.predefined_metric_type().as_str().contains("CPU"))
            })
            .map(|t| t.target_value())?;
        Some((target.min_capacity(), target.max_capacity(), cpu))
    })
}

fn target_group(
    emulator: &Emulator,
    arn: &str,
) -> Option<(
    aws_sdk_elasticloadbalancingv2::types::TargetGroup,
    BTreeMap<String, String>,
)> {
    block_on(async {
        let elbv2 = emulator.elbv2();
        let group = elbv2
            .describe_target_groups()
            .target_group_arns(arn)
            .send()
            .await
            .ok()?
            .target_groups()
            .first()?
            .clone();
        let attributes = elbv2
            .describe_target_group_attributes()
            .target_group_arn(arn)
            .send()
            .await
            .ok()?
            .attributes()
            .iter()
            .filter_map(|a| Some((a.key()?.to_string(), a.value()?.to_string())))
            .collect();
        Some((group, attributes))
    })
}

/// Host-header values of the listener rules forwarding to a target group.
fn routed_hosts(
    emulator: &Emulator,
    listener_arn: &str,
    target_group_arn: &str,
) -> BTreeSet<String> {
    block_on(async {
        let rules = emulator
            .elbv2()
            .describe_rules()
            .listener_arn(listener_arn)
            .send()
            .await
            .map(|o| o.rules().to_vec())
            .unwrap_or_default();
        rules
            .iter()
            .filter(|r| {
                r.actions()
                    .iter()
                    .any(|a| a.target_group_arn() == Some(target_group_arn))
            })
            .flat_map(|r| r.conditions().to_vec())
            .filter(|c| c.field() == Some("host-header"))
            .flat_map(|c| {
                c.host_header_config()
                    .map(|h| h.values().to_vec())
                    .unwrap_or_else(|| c.values().to_vec())
            })
            .collect()
    })
}

/// The task role's inline policy `extra` (the service's `iam.policy_json`), decoded.
fn task_role_extra_policy(emulator: &Emulator, role_arn: &str) -> Option<String> {
    task_role_policy(emulator, role_arn, "extra")
}

/// The inline policy `name` of a task role (`extra`, `messaging`, `buckets`), decoded.
fn task_role_policy(emulator: &Emulator, role_arn: &str, name: &str) -> Option<String> {
    let role_name = role_arn.rsplit('/').next()?.to_string();
    block_on(async {
        emulator
            .iam()
            .get_role_policy()
            .role_name(role_name)
            .policy_name(name)
            .send()
            .await
            .ok()
            .map(|o| percent_decode(o.policy_document()))
    })
}

/// A container variable of a task definition's first container.
fn container_variable(task: &aws_sdk_ecs::types::TaskDefinition, name: &str) -> Option<String> {
    task.container_definitions().first().and_then(|d| {
        d.environment()
            .iter()
            .find(|kv| kv.name() == Some(name))
            .and_then(|kv| kv.value().map(str::to_string))
    })
}

/// The result of an SDK call, or a panic naming the call and the region.
fn sdk<T, E: std::error::Error + 'static>(region: &str, what: &str, result: Result<T, E>) -> T {
    result.unwrap_or_else(|e| {
        panic!(
            "regional census ({region}): {what} failed: {}",
            aws_sdk_ec2::error::DisplayErrorContext(e)
        )
    })
}

/// Counts live objects tagged `platform:owner = owner` in one region, for the regional kinds
/// the harness's `census` (us-east-1 only) counts. Kinds with none are omitted.
fn regional_census(config: &aws_config::SdkConfig, owner: &str) -> BTreeMap<String, usize> {
    let region = config.region().map(|r| r.to_string()).unwrap_or_default();
    let r = region.as_str();
    let is_owner =
        |key: Option<&str>, value: Option<&str>| key == Some(OWNER_TAG) && value == Some(owner);
    let ec2_owned =
        |tags: &[aws_sdk_ec2::types::Tag]| tags.iter().any(|t| is_owner(t.key(), t.value()));
    let dead = |state: Option<&str>| {
        state.is_some_and(|s| {
            matches!(
                s.to_ascii_lowercase().as_str(),
                "deleted" | "deleting" | "failed"
            )
        })
    };
    block_on(async {
        let mut counts = BTreeMap::new();
        let mut put = |kind: &str, n: usize| {
            if n > 0 {
                counts.insert(kind.to_string(), n);
            }
        };

        // EC2: server-side tag filter, tags checked again (moto ignores some filters).
        let ec2 = aws_sdk_ec2::Client::new(config);
        let tag = || {
            Filter::builder()
                .name(format!("tag:{OWNER_TAG}"))
                .values(owner)
                .build()
        };
        let vpcs = sdk(
            r,
            "DescribeVpcs",
            ec2.describe_vpcs().filters(tag()).send().await,
        );
        put(
            "vpcs",
            vpcs.vpcs().iter().filter(|x| ec2_owned(x.tags())).count(),
        );
        let subnets = sdk(
            r,
            "DescribeSubnets",
            ec2.describe_subnets().filters(tag()).send().await,
        );
        put(
            "subnets",
            subnets
                .subnets()
                .iter()
                .filter(|x| ec2_owned(x.tags()))
                .count(),
        );
        let nats = sdk(
            r,
            "DescribeNatGateways",
            ec2.describe_nat_gateways().filter(tag()).send().await,
        );
        let live_nats = nats
            .nat_gateways()
            .iter()
            .filter(|x| ec2_owned(x.tags()) && !dead(x.state().map(|s| s.as_str())));
        put("nat_gateways", live_nats.count());
        let groups = sdk(
            r,
            "DescribeSecurityGroups",
            ec2.describe_security_groups().filters(tag()).send().await,
        );
        put(
            "security_groups",
            groups
                .security_groups()
                .iter()
                .filter(|x| ec2_owned(x.tags()))
                .count(),
        );
        let endpoints = sdk(
            r,
            "DescribeVpcEndpoints",
            ec2.describe_vpc_endpoints().filters(tag()).send().await,
        );
        let live_endpoints = endpoints
            .vpc_endpoints()
            .iter()
            .filter(|x| ec2_owned(x.tags()) && !dead(x.state().map(|s| s.as_str())));
        put("vpc_endpoints", live_endpoints.count());
        let flows = sdk(
            r,
            "DescribeFlowLogs",
            ec2.describe_flow_logs().filter(tag()).send().await,
        );
        put(
            "flow_logs",
            flows
                .flow_logs()
                .iter()
                .filter(|x| ec2_owned(x.tags()))
                .count(),
        );

        // ECS: ACTIVE clusters and their ACTIVE services, with tags.
        let ecs = aws_sdk_ecs::Client::new(config);
        let arns = sdk(r, "ListClusters", ecs.list_clusters().send().await)
            .cluster_arns()
            .to_vec();
        let (mut clusters, mut services) = (0, 0);
        if !arns.is_empty() {
            let described = ecs
                .describe_clusters()
                .set_clusters(Some(arns))
                .include(aws_sdk_ecs::types::ClusterField::Tags)
                .send()
                .await;
            for cluster in sdk(r, "DescribeClusters", described)
                .clusters()
                .iter()
                .filter(|c| c.status() == Some("ACTIVE"))
            {
                clusters +=
                    usize::from(cluster.tags().iter().any(|t| is_owner(t.key(), t.value())));
                let arn = cluster.cluster_arn().unwrap_or_default();
                let listed = sdk(
                    r,
                    "ListServices",
                    ecs.list_services().cluster(arn).send().await,
                );
                for chunk in listed.service_arns().chunks(10) {
                    let described = ecs
                        .describe_services()
                        .cluster(arn)
                        .set_services(Some(chunk.to_vec()))
                        .include(aws_sdk_ecs::types::ServiceField::Tags)
                        .send()
                        .await;
                    services += sdk(r, "DescribeServices", described)
                        .services()
                        .iter()
                        .filter(|s| {
                            s.status() == Some("ACTIVE")
                                && s.tags().iter().any(|t| is_owner(t.key(), t.value()))
                        })
                        .count();
                }
            }
        }
        put("ecs_clusters", clusters);
        put("ecs_services", services);

        // CloudWatch Logs: tags per group (ARN without `:*`).
        let logs = aws_sdk_cloudwatchlogs::Client::new(config);
        let mut log_groups = 0;
        for group in sdk(
            r,
            "DescribeLogGroups",
            logs.describe_log_groups().send().await,
        )
        .log_groups()
        {
            let arn = group
                .log_group_arn()
                .or(group.arn().map(|a| a.trim_end_matches(":*")))
                .unwrap_or_default();
            let tags = sdk(
                r,
                "logs ListTagsForResource",
                logs.list_tags_for_resource().resource_arn(arn).send().await,
            );
            log_groups += usize::from(is_owner(
                Some(OWNER_TAG),
                tags.tags()
                    .and_then(|t| t.get(OWNER_TAG))
                    .map(String::as_str),
            ));
        }
        put("log_groups", log_groups);

        // RDS instances and ElastiCache replication groups that are not being deleted.
        let rds = aws_sdk_rds::Client::new(config);
        let mut db_instances = 0;
        for instance in sdk(
            r,
            "DescribeDBInstances",
            rds.describe_db_instances().send().await,
        )
        .db_instances()
        {
            if dead(instance.db_instance_status()) {
                continue;
            }
            let arn = instance.db_instance_arn().unwrap_or_default();
            let tags = sdk(
                r,
                "rds ListTagsForResource",
                rds.list_tags_for_resource().resource_name(arn).send().await,
            );
            db_instances +=
                usize::from(tags.tag_list().iter().any(|t| is_owner(t.key(), t.value())));
        }
        put("db_instances", db_instances);
        let elasticache = aws_sdk_elasticache::Client::new(config);
        let mut replication_groups = 0;
        for group in sdk(
            r,
            "DescribeReplicationGroups",
            elasticache.describe_replication_groups().send().await,
        )
        .replication_groups()
        {
            if dead(group.status()) {
                continue;
            }
            let arn = group.arn().unwrap_or_default();
            let tags = sdk(
                r,
                "elasticache ListTagsForResource",
                elasticache
                    .list_tags_for_resource()
                    .resource_name(arn)
                    .send()
                    .await,
            );
            replication_groups +=
                usize::from(tags.tag_list().iter().any(|t| is_owner(t.key(), t.value())));
        }
        put("replication_groups", replication_groups);

        // Secrets Manager: secrets not scheduled for deletion.
        let secrets = sdk(
            r,
            "ListSecrets",
            aws_sdk_secretsmanager::Client::new(config)
                .list_secrets()
                .send()
                .await,
        );
        let live_secrets = secrets.secret_list().iter().filter(|s| {
            s.deleted_date().is_none() && s.tags().iter().any(|t| is_owner(t.key(), t.value()))
        });
        put("secrets", live_secrets.count());

        // ELBv2: load balancers and target groups, tags 20 ARNs a call.
        let elbv2 = aws_sdk_elasticloadbalancingv2::Client::new(config);
        let lbs = sdk(
            r,
            "DescribeLoadBalancers",
            elbv2.describe_load_balancers().send().await,
        );
        let tgs = sdk(
            r,
            "DescribeTargetGroups",
            elbv2.describe_target_groups().send().await,
        );
        let lb_arns: Vec<String> = lbs
            .load_balancers()
            .iter()
            .filter_map(|l| l.load_balancer_arn().map(str::to_string))
            .collect();
        let tg_arns: Vec<String> = tgs
            .target_groups()
            .iter()
            .filter_map(|t| t.target_group_arn().map(str::to_string))
            .collect();
        for (kind, arns) in [("load_balancers", lb_arns), ("target_groups", tg_arns)] {
            let mut n = 0;
            for chunk in arns.chunks(20) {
                let tags = sdk(
                    r,
                    "elbv2 DescribeTags",
                    elbv2
                        .describe_tags()
                        .set_resource_arns(Some(chunk.to_vec()))
                        .send()
                        .await,
                );
                n += tags
                    .tag_descriptions()
                    .iter()
                    .filter(|d| d.tags().iter().any(|t| is_owner(t.key(), t.value())))
                    .count();
            }
            put(kind, n);
        }
        counts
    })
}

// ---------------------------------------------------------------------------------------------
// (a) Infisical: two prod stacks, US and EU, through provider aliases
// ---------------------------------------------------------------------------------------------

/// Checks one region's prod stack of the Infisical example.
fn check_infisical_region(
    config: &aws_config::SdkConfig,
    region: &str,
    env: &str,
    vpc_id: &str,
    c: &mut Checks,
) {
    let zones = vpc_zones(config, vpc_id);
    c.check(
        zones
            .as_ref()
            .is_some_and(|z| z.len() == 3 && z.iter().all(|z| z.starts_with(region))),
        || format!("{env}: VPC {vpc_id} should span 3 AZs of {region}, found {zones:?}"),
    );
    let id = format!("{env}-infisical");
    match db_instance(config, &id) {
        Some(db) => {
            c.eq(
                &format!("{env}: database MultiAZ"),
                db.multi_az(),
                Some(true),
            );
            c.eq(
                &format!("{env}: database StorageEncrypted"),
                db.storage_encrypted(),
                Some(true),
            );
            c.eq(
                &format!("{env}: database engine"),
                db.engine(),
                Some("postgres"),
            );
            c.eq(
                &format!("{env}: database backups (prod: 35 days)"),
                db.backup_retention_period(),
                Some(35),
            );
        }
        None => c.check(false, || {
            format!("{env}: DB instance {id} not found in {region}")
        }),
    }
    match replication_group(config, &id) {
        Some(group) => {
            c.eq(
                &format!("{env}: cache MultiAZ"),
                group.multi_az(),
                Some(&MultiAzStatus::Enabled),
            );
            c.eq(
                &format!("{env}: cache automatic failover"),
                group.automatic_failover(),
                Some(&AutomaticFailoverStatus::Enabled),
            );
            c.eq(
                &format!("{env}: cache members (primary + 2 replicas)"),
                group.member_clusters().len(),
                3,
            );
            let engines = member_engines(config, &group);
            c.check(
                !engines.is_empty()
                    && engines
                        .iter()
                        .all(|(e, v)| e == "redis" && v.starts_with("7.")),
                || format!("{env}: cache members should run Redis 7, found {engines:?}"),
            );
        }
        None => c.check(false, || {
            format!("{env}: replication group {id} not found in {region}")
        }),
    }
    for group in [
        format!("/platform/{env}"),
        format!("/platform/{env}/infisical"),
        format!("/platform/{env}/flow-logs"),
    ] {
        c.eq(
            &format!("{env}: retention of {group}"),
            log_retention(config, &group),
            Some(365),
        );
    }
    c.eq(
        &format!("{env}: flow logs on {vpc_id}"),
        flow_logs(config, vpc_id),
        vec![("ALL".to_string(), format!("/platform/{env}/flow-logs"))],
    );
}

fn infisical_apply(tf: Tf) {
    let emulator = Emulator::start();
    let name = unique("i");
    let (us, eu) = (format!("{name}-us"), format!("{name}-eu"));
    let us_secrets = format!(
        "{{ENCRYPTION_KEY=\"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/infisical/encryption-key\", AUTH_SECRET=\"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:infisical/auth-AbCdEf\"}}"
    );
    let eu_secrets = format!(
        "{{ENCRYPTION_KEY=\"arn:aws:ssm:{EU}:{ACCOUNT}:parameter/infisical/encryption-key\"}}"
    );
    // The Docker Hub login, kept in Secrets Manager in each region as a customer would.
    let registry = |config: &aws_config::SdkConfig| {
        block_on(async {
            aws_sdk_secretsmanager::Client::new(config)
                .create_secret()
                .name(format!("{name}-dockerhub"))
                .secret_string(r#"{"username":"acme","password":"not-a-real-token"}"#)
                .send()
                .await
                .expect("CreateSecret")
                .arn()
                .expect("ARN")
                .to_string()
        })
    };
    let us_registry = registry(&emulator.sdk_config());
    let eu_registry = registry(&region_config(&emulator, EU));
    let registries = format!("{{us=\"{us_registry}\", eu=\"{eu_registry}\"}}");
    let example = Example::new(
        "infisical",
        tf,
        &emulator,
        &[
            ("name", &name),
            ("wait_for_deployment", "false"),
            ("deletion_protection", "false"),
            ("us_secrets", &us_secrets),
            ("eu_secrets", &eu_secrets),
            ("registry_credentials_secret_arns", &registries),
        ],
    );
    let mut c = Checks::for_example("infisical", tf);
    example.apply("apply");

    let outputs = example.outputs();
    let vpc = |region: &str| text(&outputs["vpc_ids"]["value"][region]);
    let (us_vpc, eu_vpc) = (vpc("us"), vpc("eu"));
    let us_config = emulator.sdk_config();
    let eu_config = region_config(&emulator, EU);

    // Two regions really used: each VPC exists only in its own region.
    c.check(vpc_zones(&us_config, &eu_vpc).is_none(), || {
        format!("EU VPC {eu_vpc} found in us-east-1")
    });
    c.check(vpc_zones(&eu_config, &us_vpc).is_none(), || {
        format!("US VPC {us_vpc} found in {EU}")
    });
    check_infisical_region(&us_config, "us-east-1", &us, &us_vpc, &mut c);
    check_infisical_region(&eu_config, EU, &eu, &eu_vpc, &mut c);

    let owners = |env: &str| -> Vec<String> {
        let mut out = vec![format!("environment/{env}")];
        out.extend(["service", "database", "cache"].map(|kind| format!("{kind}/{env}/infisical")));
        out.push(format!("service/{env}/license"));
        out
    };
    // Prod: 3 AZs × 3 tiers, a NAT gateway per AZ, 6 interface + 2 gateway endpoints.
    let environment_census =
        |region_census: &BTreeMap<String, usize>, env: &str, c: &mut Checks| {
            for (kind, n) in [
                ("subnets", 9),
                ("nat_gateways", 3),
                ("vpc_endpoints", 8),
                ("flow_logs", 1),
                ("load_balancers", 1),
                ("ecs_clusters", 1),
            ] {
                c.eq(
                    &format!("{env}: census {kind}"),
                    region_census.get(kind).copied(),
                    Some(n),
                );
            }
        };
    environment_census(
        &census(&emulator, &format!("environment/{us}")),
        &us,
        &mut c,
    );
    environment_census(
        &regional_census(&eu_config, &format!("environment/{eu}")),
        &eu,
        &mut c,
    );
    for (env, config) in [(&us, &us_config), (&eu, &eu_config)] {
        let regional = |kind: &str| regional_census(config, &format!("{kind}/{env}/infisical"));
        c.eq(
            &format!("{env}: database census db_instances"),
            regional("database").get("db_instances").copied(),
            Some(1),
        );
        c.eq(
            &format!("{env}: cache census replication_groups"),
            regional("cache").get("replication_groups").copied(),
            Some(1),
        );
        c.eq(
            &format!("{env}: service census ecs_services"),
            regional("service").get("ecs_services").copied(),
            Some(1),
        );
        c.eq(
            &format!("{env}: license census ecs_services"),
            regional_census(config, &format!("service/{env}/license"))
                .get("ecs_services")
                .copied(),
            Some(1),
        );
    }
    // The EU stack leaves nothing in us-east-1 but its (global) IAM roles.
    for owner in owners(&eu) {
        let in_us = census(&emulator, &owner);
        c.check(in_us.keys().all(|k| k == "iam_roles"), || {
            format!("{owner} has regional objects in us-east-1: {in_us:?}")
        });
    }

    // The service reads DB_CONNECTION_URI from the connection secret and its config from SSM.
    let state = example.state();
    for (env, module, config, region) in [
        (&us, "us", &us_config, "us-east-1"),
        (&eu, "eu", &eu_config, EU),
    ] {
        let service = resource(
            "infisical",
            &state,
            &format!("module.{module}.platform_service.infisical"),
        );
        let database = resource(
            "infisical",
            &state,
            &format!("module.{module}.platform_database.main"),
        );
        let Some(task) = task_definition(config, &text(&service["task_definition_arn"])) else {
            c.check(false, || {
                format!(
                    "{env}: task definition {} not found",
                    service["task_definition_arn"]
                )
            });
            continue;
        };
        let secrets = task_secrets(&task);
        c.eq(
            &format!("{env}: DB_CONNECTION_URI valueFrom"),
            secrets.get("DB_CONNECTION_URI").cloned(),
            Some(format!(
                "{}:url::",
                text(&database["connection_secret_arn"])
            )),
        );
        c.eq(
            &format!("{env}: ENCRYPTION_KEY valueFrom"),
            secrets.get("ENCRYPTION_KEY").cloned(),
            Some(format!(
                "arn:aws:ssm:{region}:{ACCOUNT}:parameter/infisical/encryption-key"
            )),
        );
        c.check(secrets.contains_key("REDIS_URL"), || {
            format!("{env}: no REDIS_URL in {secrets:?}")
        });
        c.eq(&format!("{env}: task cpu"), task.cpu(), Some("1024"));

        // Core and license call each other through Service Connect and admit each other only;
        // core runs the OpenTelemetry collector beside it, both pull with the Docker Hub login.
        let registry = if module == "us" {
            &us_registry
        } else {
            &eu_registry
        };
        let license = resource(
            "infisical",
            &state,
            &format!("module.{module}.platform_service.license"),
        );
        let namespace = format!("{env}.internal");
        c.eq(
            &format!("{env}: internal endpoints"),
            (
                text(&service["internal_endpoint"]),
                text(&license["internal_endpoint"]),
            ),
            (
                format!("http://infisical.{namespace}:8080"),
                format!("http://license.{namespace}:8080"),
            ),
        );
        let containers: Vec<(String, Option<String>)> = task
            .container_definitions()
            .iter()
            .map(|c| {
                (
                    c.name().unwrap_or_default().to_string(),
                    c.repository_credentials()
                        .map(|r| r.credentials_parameter().to_string()),
                )
            })
            .collect();
        c.eq(
            &format!("{env}: core containers"),
            containers,
            vec![
                ("infisical".to_string(), Some(registry.clone())),
                ("otel".to_string(), Some(registry.clone())),
            ],
        );
        let variable = |task: &aws_sdk_ecs::types::TaskDefinition, name: &str| {
            task.container_definitions().first().and_then(|c| {
                c.environment()
                    .iter()
                    .find(|kv| kv.name() == Some(name))
                    .and_then(|kv| kv.value().map(str::to_string))
            })
        };
        c.eq(
            &format!("{env}: core calls license at"),
            variable(&task, "LICENSE_SERVER_URL"),
            Some(text(&license["internal_endpoint"])),
        );
        if let Some(license_task) = task_definition(config, &text(&license["task_definition_arn"]))
        {
            c.eq(
                &format!("{env}: license calls core at"),
                variable(&license_task, "CORE_URL"),
                Some(text(&service["internal_endpoint"])),
            );
        }
        let peers = |of: &Value| -> BTreeSet<String> {
            block_on(async {
                aws_sdk_ec2::Client::new(config)
                    .describe_security_group_rules()
                    .filters(
                        aws_sdk_ec2::types::Filter::builder()
                            .name("group-id")
                            .values(text(&of["security_group_id"]))
                            .build(),
                    )
                    .send()
                    .await
                    .map(|o| {
                        o.security_group_rules()
                            .iter()
                            .filter(|r| r.is_egress() == Some(false) && r.from_port() == Some(8080))
                            .filter_map(|r| {
                                r.referenced_group_info()
                                    .and_then(|g| g.group_id())
                                    .map(str::to_string)
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            })
        };
        c.check(
            peers(service).contains(&text(&license["security_group_id"])),
            || format!("{env}: core does not admit license on 8080"),
        );
        c.eq(
            &format!("{env}: license admits"),
            peers(license),
            BTreeSet::from([text(&service["security_group_id"])]),
        );
    }
    example.converge(&mut c);

    let mut all = owners(&us);
    all.extend(owners(&eu));
    example.destroy_and_check_empty(&emulator, &all, &mut c);
    for owner in owners(&eu) {
        let left = regional_census(&eu_config, &owner);
        c.check(left.is_empty(), || {
            format!("destroy left objects of {owner} in {EU}: {left:?}")
        });
    }
    c.finish();
}

// ---------------------------------------------------------------------------------------------
// (b) Infracast: dev and prod from one module
// ---------------------------------------------------------------------------------------------

/// What the Infracast design fixes per environment.
struct InfracastEnv {
    key: &'static str,
    nat_gateways: usize,
    flow_logs: bool,
    cpu: &'static str,
    memory: &'static str,
    scaling: (i32, i32, f64),
    instance_class: &'static str,
    multi_az: bool,
    storage: (i32, i32),
    backup_days: i32,
    deletion_protection: bool,
}

fn infracast_apply(tf: Tf) {
    let emulator = Emulator::start();
    let name = unique("f");
    let example = Example::new(
        "infracast",
        tf,
        &emulator,
        &[
            ("name", &name),
            ("wait_for_deployment", "false"),
            ("prod_deletion_protection", "false"),
        ],
    );
    let mut c = Checks::for_example("infracast", tf);
    example.apply("apply");
    let state = example.state();
    let config = emulator.sdk_config();

    let envs = [
        InfracastEnv {
            key: "dev",
            nat_gateways: 1,
            flow_logs: false,
            cpu: "512",
            memory: "1024",
            scaling: (1, 3, 80.0),
            instance_class: "db.t3.medium",
            multi_az: false,
            storage: (20, 100),
            backup_days: 7,
            deletion_protection: false,
        },
        InfracastEnv {
            key: "prod",
            nat_gateways: 2,
            flow_logs: true,
            cpu: "1024",
            memory: "2048",
            scaling: (2, 10, 70.0),
            instance_class: "db.r5.large",
            multi_az: true,
            storage: (100, 500),
            backup_days: 35,
            deletion_protection: false, // lifted by the test's prod_deletion_protection = false
        },
    ];
    let mut owners = Vec::new();
    for want in &envs {
        let env = format!("{name}-{}", want.key);
        let at = |r: &str| format!("module.{}.{r}", want.key);
        let environment = resource("infracast", &state, &at("platform_environment.main"));
        let service = resource("infracast", &state, &at("platform_service.app"));
        let database = resource("infracast", &state, &at("platform_database.main"));

        // 10.0.0.0/16 over two AZs, three tiers; one NAT in dev, one per AZ in prod.
        let vpc_id = text(&environment["vpc_id"]);
        let env_census = census(&emulator, &format!("environment/{env}"));
        c.eq(
            &format!("{env}: census subnets"),
            env_census.get("subnets").copied(),
            Some(6),
        );
        c.eq(
            &format!("{env}: census nat_gateways"),
            env_census.get("nat_gateways").copied(),
            Some(want.nat_gateways),
        );
        c.eq(
            &format!("{env}: census flow_logs"),
            env_census.get("flow_logs").copied(),
            want.flow_logs.then_some(1),
        );
        c.eq(
            &format!("{env}: vpc cidr"),
            text(&environment["vpc_cidr"]),
            "10.0.0.0/16".to_string(),
        );
        c.eq(
            &format!("{env}: AZs"),
            vpc_zones(&config, &vpc_id).map(|z| z.len()),
            Some(2),
        );
        c.check(!text(&environment["http_listener_arn"]).is_empty(), || {
            format!("{env}: no HTTP listener (80 -> 443)")
        });

        // The service: cpu/memory, scaling, /healthz on 8080 with 30 s draining.
        match task_definition(&config, &text(&service["task_definition_arn"])) {
            Some(task) => {
                c.eq(&format!("{env}: task cpu"), task.cpu(), Some(want.cpu));
                c.eq(
                    &format!("{env}: task memory"),
                    task.memory(),
                    Some(want.memory),
                );
                let secrets = task_secrets(&task);
                c.check(secrets.contains_key("DATABASE_URL"), || {
                    format!("{env}: expected a DATABASE_URL secret, got {secrets:?}")
                });
                // JWT_SECRET: generated, 48 letters and digits, injected from its secret.
                let jwt_name = format!("platform/{env}/service/app/JWT_SECRET");
                let jwt = block_on(async {
                    emulator
                        .secretsmanager()
                        .get_secret_value()
                        .secret_id(&jwt_name)
                        .send()
                        .await
                        .ok()
                        .and_then(|o| o.secret_string().map(str::to_string))
                });
                c.check(
                    jwt.as_ref().is_some_and(|v| {
                        v.len() == 48 && v.chars().all(|ch| ch.is_ascii_alphanumeric())
                    }),
                    || format!("{env}: no 48-character generated secret {jwt_name}"),
                );
                c.check(
                    secrets
                        .get("JWT_SECRET")
                        .is_some_and(|arn| arn.contains(&format!(":secret:{jwt_name}-"))),
                    || format!("{env}: JWT_SECRET should come from {jwt_name}, got {secrets:?}"),
                );
                if let Some(value) = &jwt {
                    c.check(
                        !serde_json::to_string(&state)
                            .unwrap_or_default()
                            .contains(value.as_str()),
                        || format!("{env}: the generated JWT_SECRET is in the state"),
                    );
                }
            }
            None => c.check(false, || format!("{env}: task definition not found")),
        }
        c.eq(
            &format!("{env}: scaling (min, max, CPU target)"),
            scaling(&emulator, &text(&service["service_arn"])),
            Some(want.scaling),
        );
        match target_group(&emulator, &text(&service["target_group_arn"])) {
            Some((group, attributes)) => {
                c.eq(
                    &format!("{env}: health check path"),
                    group.health_check_path(),
                    Some("/healthz"),
                );
                c.eq(&format!("{env}: target port"), group.port(), Some(8080));
                c.eq(
                    &format!("{env}: deregistration delay"),
                    attributes
                        .get("deregistration_delay.timeout_seconds")
                        .map(String::as_str),
                    Some("30"),
                );
            }
            None => c.check(false, || format!("{env}: target group not found")),
        }

        // The database, and security groups ALB -> ECS -> RDS.
        match db_instance(&config, &format!("{env}-app")) {
            Some(db) => {
                c.check(
                    db.engine_version().is_some_and(|v| v.starts_with("15")),
                    || {
                        format!(
                            "{env}: database engine version {:?} is not 15.x",
                            db.engine_version()
                        )
                    },
                );
                c.eq(
                    &format!("{env}: database class"),
                    db.db_instance_class(),
                    Some(want.instance_class),
                );
                c.eq(
                    &format!("{env}: database MultiAZ"),
                    db.multi_az(),
                    Some(want.multi_az),
                );
                c.eq(
                    &format!("{env}: database storage (allocated, max)"),
                    (db.allocated_storage(), db.max_allocated_storage()),
                    (Some(want.storage.0), Some(want.storage.1)),
                );
                c.eq(
                    &format!("{env}: database backups"),
                    db.backup_retention_period(),
                    Some(want.backup_days),
                );
                c.eq(
                    &format!("{env}: database deletion protection"),
                    db.deletion_protection(),
                    Some(want.deletion_protection),
                );
            }
            None => c.check(false, || format!("{env}: DB instance {env}-app not found")),
        }
        let service_group = text(&service["security_group_id"]);
        let lb_group = text(&environment["security_group_ids"]["load_balancer"]);
        c.eq(
            &format!("{env}: database ingress"),
            ingress_peers(&emulator, &text(&database["security_group_id"])),
            BTreeSet::from([(service_group.clone(), 5432)]),
        );
        c.eq(
            &format!("{env}: service ingress"),
            ingress_peers(&emulator, &service_group),
            BTreeSet::from([(lb_group, 8080)]),
        );
        owners.push(format!("environment/{env}"));
        owners.push(format!("service/{env}/app"));
        owners.push(format!("database/{env}/app"));
    }
    example.converge(&mut c);
    example.destroy_and_check_empty(&emulator, &owners, &mut c);
    c.finish();
}

// ---------------------------------------------------------------------------------------------
// (c) Encore: an environment per stage, three services each with its role and database
// ---------------------------------------------------------------------------------------------

/// Each service, the task-role policy that grants its own access and an action only it has.
const ENCORE_SERVICES: [(&str, &str, &str); 3] = [
    ("api", "buckets", "s3:PutObject"),
    ("billing", "messaging", "sns:Publish"),
    ("notify", "extra", "ses:SendEmail"),
];

fn encore_apply(tf: Tf) {
    let emulator = Emulator::start();
    let app = unique("e");
    let example = Example::new(
        "encore",
        tf,
        &emulator,
        &[
            ("app", &app),
            ("wait_for_deployment", "false"),
            ("deletion_protection", "false"),
        ],
    );
    let mut c = Checks::for_example("encore", tf);
    example.apply("apply");
    let state = example.state();
    let config = emulator.sdk_config();

    let mut owners = Vec::new();
    let mut task_roles = BTreeSet::new();
    for (stage, multi_az) in [("staging", false), ("prod", true)] {
        let env = format!("{app}-{stage}");
        owners.push(format!("environment/{env}"));
        owners.push(format!("cache/{env}/cache"));
        let environment = resource(
            "encore",
            &state,
            &format!("platform_environment.stage[\"{stage}\"]"),
        );
        c.eq(
            &format!("{env}: AZs"),
            vpc_zones(&config, &text(&environment["vpc_id"])).map(|z| z.len()),
            Some(2),
        );
        let cache = resource(
            "encore",
            &state,
            &format!("platform_cache.stage[\"{stage}\"]"),
        );
        match replication_group(&config, &text(&cache["replication_group_id"])) {
            Some(group) => {
                let want = if multi_az {
                    MultiAzStatus::Enabled
                } else {
                    MultiAzStatus::Disabled
                };
                c.eq(
                    &format!("{env}: cache MultiAZ"),
                    group.multi_az(),
                    Some(&want),
                );
                let engines = member_engines(&config, &group);
                c.check(
                    engines
                        .iter()
                        .all(|(e, v)| e == "redis" && v.starts_with("7.")),
                    || format!("{env}: cache members should run Redis 7, found {engines:?}"),
                );
            }
            None => c.check(false, || format!("{env}: replication group not found")),
        }

        for (service_name, _, _) in ENCORE_SERVICES {
            let key = format!("[\"{stage}/{service_name}\"]");
            let service = resource("encore", &state, &format!("platform_service.service{key}"));
            let database = resource("encore", &state, &format!("platform_database.service{key}"));
            let what = format!("{env}/{service_name}");
            owners.push(format!("service/{env}/{service_name}"));
            owners.push(format!("database/{env}/{service_name}"));

            // Its own task role, allowed exactly its own actions.
            let role = text(&service["task_role_arn"]);
            task_roles.insert(role.clone());
            let policies: String = ["extra", "messaging", "buckets"]
                .iter()
                .filter_map(|name| task_role_policy(&emulator, &role, name))
                .collect();
            for (other, policy_name, other_action) in ENCORE_SERVICES {
                c.eq(
                    &format!("{what}: task role allows {other_action} (the {other} service's)"),
                    policies.contains(other_action),
                    other == service_name,
                );
                if other == service_name {
                    c.check(
                        task_role_policy(&emulator, &role, policy_name)
                            .is_some_and(|p| p.contains(other_action)),
                        || format!("{what}: {other_action} not in its {policy_name} policy"),
                    );
                }
            }

            // Its own database: DATABASE_URL from that database's secret, and 5432 open only
            // to this service.
            match task_definition(&config, &text(&service["task_definition_arn"])) {
                Some(task) => {
                    let secrets = task_secrets(&task);
                    c.check(
                        secrets
                            .get("DATABASE_URL")
                            .is_some_and(|v| v.starts_with(&text(&database["connection_secret_arn"]))),
                        || format!("{what}: DATABASE_URL should come from its own database, got {secrets:?}"),
                    );
                    c.eq(
                        &format!("{what}: REDIS_URL present"),
                        secrets.contains_key("REDIS_URL"),
                        service_name == "api",
                    );
                }
                None => c.check(false, || format!("{what}: task definition not found")),
            }
            c.eq(
                &format!("{what}: database ingress"),
                ingress_peers(&emulator, &text(&database["security_group_id"])),
                BTreeSet::from([(text(&service["security_group_id"]), 5432)]),
            );
            c.eq(
                &format!("{what}: routed through the load balancer"),
                !text(&service["target_group_arn"]).is_empty(),
                service_name == "api",
            );
            match db_instance(&config, &format!("{env}-{service_name}")) {
                Some(db) => c.eq(
                    &format!("{what}: database MultiAZ"),
                    db.multi_az(),
                    Some(multi_az),
                ),
                None => c.check(false, || {
                    format!("{what}: DB instance {env}-{service_name} not found")
                }),
            }
            c.eq(
                &format!("{what}: service census"),
                census(&emulator, &format!("service/{env}/{service_name}"))
                    .get("iam_roles")
                    .copied(),
                Some(2),
            );
        }
    }
    c.eq("distinct task roles", task_roles.len(), 6);

    // Buckets, pub/sub and the invoicer worker of each stage.
    for stage in ["staging", "prod"] {
        let env = format!("{app}-{stage}");
        let at = |address: &str| resource("encore", &state, &format!("{address}[\"{stage}\"]"));
        owners.push(format!("bucket/{env}/uploads"));
        owners.push(format!("bucket/{env}/assets"));
        owners.push(format!("topic/{env}/billing-events"));
        owners.push(format!("queue/{env}/invoices"));
        owners.push(format!("service/{env}/invoicer"));
        c.eq(
            &format!("{env}: assets census"),
            census(&emulator, &format!("bucket/{env}/assets")),
            counts(&[
                ("buckets", 1),
                ("distributions", 1),
                ("origin_access_controls", 1),
            ]),
        );
        let assets = at("platform_bucket.assets");
        c.check(
            text(&assets["url"]).starts_with("https://")
                && text(&assets["url"]).ends_with(".cloudfront.net"),
            || format!("{env}: assets url {}", assets["url"]),
        );
        c.eq(
            &format!("{env}: uploads census"),
            census(&emulator, &format!("bucket/{env}/uploads")),
            counts(&[("buckets", 1)]),
        );
        // The queue is subscribed to the topic with raw delivery, and has its dead-letter queue.
        let topic_arn = text(&at("platform_topic.billing_events")["topic_arn"]);
        let queue = at("platform_queue.invoices");
        let subscriptions = block_on(async {
            emulator
                .sns()
                .list_subscriptions_by_topic()
                .topic_arn(&topic_arn)
                .send()
                .await
                .map(|o| {
                    o.subscriptions()
                        .iter()
                        .map(|s| {
                            (
                                s.protocol().unwrap_or_default().to_string(),
                                s.endpoint().unwrap_or_default().to_string(),
                            )
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        });
        c.eq(
            &format!("{env}: subscriptions"),
            subscriptions,
            vec![("sqs".to_string(), text(&queue["queue_arn"]))],
        );
        c.eq(
            &format!("{env}: queue census"),
            census(&emulator, &format!("queue/{env}/invoices")),
            counts(&[("queues", 2)]),
        );
        // The worker: no target group, the queue's URL, and a second policy on queue depth.
        let invoicer = at("platform_service.invoicer");
        c.eq(
            &format!("{env}: invoicer target group"),
            text(&invoicer["target_group_arn"]),
            String::new(),
        );
        c.eq(
            &format!("{env}: INVOICES_QUEUE_URL"),
            task_definition(&config, &text(&invoicer["task_definition_arn"]))
                .and_then(|t| container_variable(&t, "INVOICES_QUEUE_URL")),
            Some(text(&queue["queue_url"])),
        );
        let resource_id = format!("service/{env}/invoicer");
        let policies = block_on(async {
            emulator
                .autoscaling()
                .describe_scaling_policies()
                .service_namespace(ServiceNamespace::Ecs)
                .resource_id(&resource_id)
                .send()
                .await
                .map(|o| o.scaling_policies().to_vec())
                .unwrap_or_default()
        });
        let backlog = policies.iter().find_map(|p| {
            p.target_tracking_scaling_policy_configuration()
                .filter(|t| t.customized_metric_specification().is_some())
                .map(|t| t.target_value())
        });
        c.eq(&format!("{env}: queue-depth target"), backlog, Some(20.0));
        // The nightly job runs the invoicer's current revision with its command.
        let schedule = block_on(async {
            emulator
                .scheduler()
                .get_schedule()
                .group_name(&env)
                .name("invoicer-close-day")
                .send()
                .await
                .ok()
        });
        c.eq(
            &format!("{env}: schedule expression"),
            schedule
                .as_ref()
                .and_then(|s| s.schedule_expression().map(str::to_string)),
            Some("cron(0 2 * * ? *)".to_string()),
        );
        let target = schedule.as_ref().and_then(|s| s.target());
        c.eq(
            &format!("{env}: schedule runs the current revision"),
            target
                .and_then(|t| t.ecs_parameters())
                .map(|e| e.task_definition_arn().to_string()),
            Some(text(&invoicer["task_definition_arn"])),
        );
        c.eq(
            &format!("{env}: schedule command"),
            target
                .and_then(|t| t.input())
                .and_then(|i| serde_json::from_str::<Value>(i).ok()),
            Some(serde_json::json!({ "containerOverrides": [
                { "name": "invoicer", "command": ["invoicer", "close-day"] }
            ] })),
        );
    }

    // Service Connect: api calls billing and notify at their endpoints; each admits only api.
    for stage in ["staging", "prod"] {
        let env = format!("{app}-{stage}");
        let service = |name: &str| {
            resource(
                "encore",
                &state,
                &format!("platform_service.service[\"{stage}/{name}\"]"),
            )
        };
        let api = service("api");
        let api_task = task_definition(&config, &text(&api["task_definition_arn"]));
        for callee in ["billing", "notify"] {
            let what = format!("{env}/{callee}");
            let endpoint = text(&service(callee)["internal_endpoint"]);
            c.eq(
                &format!("{what}: internal_endpoint"),
                endpoint.clone(),
                format!("http://{callee}.{env}.internal:8080"),
            );
            let variable = api_task.as_ref().and_then(|t| {
                t.container_definitions().first().and_then(|c| {
                    c.environment()
                        .iter()
                        .find(|kv| kv.name() == Some(&format!("{}_URL", callee.to_uppercase())))
                        .and_then(|kv| kv.value().map(str::to_string))
                })
            });
            c.eq(
                &format!("{what}: api calls it at"),
                variable,
                Some(endpoint),
            );
            c.eq(
                &format!("{what}: ingress"),
                ingress_peers(&emulator, &text(&service(callee)["security_group_id"])),
                BTreeSet::from([(text(&api["security_group_id"]), 8080)]),
            );
            let port_name =
                task_definition(&config, &text(&service(callee)["task_definition_arn"])).and_then(
                    |t| {
                        t.container_definitions()
                            .first()
                            .and_then(|c| c.port_mappings().first())
                            .and_then(|m| m.name().map(str::to_string))
                    },
                );
            c.eq(
                &format!("{what}: Service Connect port"),
                port_name,
                Some("http".to_string()),
            );
        }
        c.eq(
            &format!("{env}: api is no Service Connect server"),
            text(&api["internal_endpoint"]),
            String::new(),
        );
    }
    example.converge(&mut c);
    example.destroy_and_check_empty(&emulator, &owners, &mut c);
    c.finish();
}

// ---------------------------------------------------------------------------------------------
// (d) Beanstalk-style web app: load balancer, autoscaled service, database and cache
// ---------------------------------------------------------------------------------------------

fn web_app_apply(tf: Tf) {
    let emulator = Emulator::start();
    let name = unique("w");
    let domain = "shop.example.test";
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::shop-assets/*"]}]}"#;
    let cdn_host = format!("cdn.{domain}");
    let cdn_certificate = import_certificate(&emulator, &[&cdn_host]);
    let example = Example::new(
        "web-app",
        tf,
        &emulator,
        &[
            ("name", &name),
            ("domain", domain),
            ("wait_for_deployment", "false"),
            ("deletion_protection", "false"),
            ("task_policy_json", policy),
            ("cdn_certificate_arn", &cdn_certificate),
        ],
    );
    let mut c = Checks::for_example("web-app", tf);
    example.apply("apply");
    let state = example.state();
    let config = emulator.sdk_config();
    let environment = resource("web-app", &state, "platform_environment.main");
    let service = resource("web-app", &state, "platform_service.web");
    let www = format!("www.{domain}");

    // The certificate covers the site and its www name, and both route to the service.
    let certificate = text(&environment["certificate_arn"]);
    let names: BTreeSet<String> = block_on(async {
        emulator
            .acm()
            .describe_certificate()
            .certificate_arn(&certificate)
            .send()
            .await
            .ok()
            .and_then(|o| {
                o.certificate()
                    .map(|c| c.subject_alternative_names().to_vec())
            })
            .unwrap_or_default()
            .into_iter()
            .collect()
    });
    c.eq(
        "certificate names",
        names,
        BTreeSet::from([domain.to_string(), www.clone()]),
    );
    c.eq(
        "routed hosts",
        routed_hosts(
            &emulator,
            &text(&environment["https_listener_arn"]),
            &text(&service["target_group_arn"]),
        ),
        BTreeSet::from([domain.to_string(), www]),
    );
    c.eq(
        "output url",
        text(&example.output("url")),
        format!("https://{domain}"),
    );

    // Autoscaled 2-6 on 60 % CPU; the task role carries the instance profile's permissions.
    c.eq(
        "scaling (min, max, CPU target)",
        scaling(&emulator, &text(&service["service_arn"])),
        Some((2, 6, 60.0)),
    );
    let extra = task_role_extra_policy(&emulator, &text(&service["task_role_arn"]));
    c.check(
        extra
            .as_deref()
            .is_some_and(|p| p.contains("arn:aws:s3:::shop-assets/*")),
        || format!("task role policy `extra` should hold task_policy_json, got {extra:?}"),
    );
    match task_definition(&config, &text(&service["task_definition_arn"])) {
        Some(task) => {
            let secrets = task_secrets(&task);
            for variable in ["DATABASE_URL", "REDIS_URL"] {
                c.check(secrets.contains_key(variable), || {
                    format!("no {variable} in {secrets:?}")
                });
            }
            c.eq(
                "read-only root file system",
                task.container_definitions()
                    .first()
                    .and_then(|d| d.readonly_root_filesystem()),
                Some(false),
            );
        }
        None => c.check(false, || "task definition not found".to_string()),
    }

    // Prod by default: three AZs, Multi-AZ database and cache.
    c.eq(
        "AZs",
        vpc_zones(&config, &text(&environment["vpc_id"])).map(|z| z.len()),
        Some(3),
    );
    c.eq(
        "database MultiAZ",
        db_instance(&config, &format!("{name}-web")).and_then(|d| d.multi_az()),
        Some(true),
    );
    c.eq(
        "cache MultiAZ",
        replication_group(&config, &format!("{name}-sessions")).and_then(|g| g.multi_az().cloned()),
        Some(MultiAzStatus::Enabled),
    );
    // Static assets on cdn.<domain>: a distribution with that alias and certificate, reading
    // the private bucket, which the service may write.
    let assets = resource("web-app", &state, "platform_bucket.assets");
    c.eq(
        "assets_url",
        text(&example.output("assets_url")),
        format!("https://{cdn_host}"),
    );
    let distribution = block_on(async {
        emulator
            .cloudfront()
            .get_distribution()
            .id(text(&assets["cdn_distribution_id"]))
            .send()
            .await
            .ok()
            .and_then(|o| o.distribution().cloned())
    });
    let config_of = distribution.as_ref().and_then(|d| d.distribution_config());
    c.eq(
        "cdn aliases",
        config_of
            .and_then(|d| d.aliases())
            .map(|a| a.items().to_vec()),
        Some(vec![cdn_host.clone()]),
    );
    c.eq(
        "cdn certificate",
        config_of
            .and_then(|d| d.viewer_certificate())
            .and_then(|v| v.acm_certificate_arn())
            .map(str::to_string),
        Some(cdn_certificate.clone()),
    );
    c.eq(
        "cdn_domain_name output",
        text(&example.output("assets_cdn_domain_name")),
        distribution
            .as_ref()
            .map(|d| d.domain_name().to_string())
            .unwrap_or_default(),
    );
    let bucket_owner = format!("bucket/{name}/assets");
    c.eq(
        "assets census",
        census(&emulator, &bucket_owner),
        counts(&[
            ("buckets", 1),
            ("distributions", 1),
            ("origin_access_controls", 1),
        ]),
    );
    match task_definition(&config, &text(&service["task_definition_arn"])) {
        Some(task) => c.eq(
            "ASSETS_BUCKET",
            task.container_definitions().first().and_then(|d| {
                d.environment()
                    .iter()
                    .find(|kv| kv.name() == Some("ASSETS_BUCKET"))
                    .and_then(|kv| kv.value().map(str::to_string))
            }),
            Some(text(&assets["bucket_name"])),
        ),
        None => c.check(false, || "task definition not found".to_string()),
    }
    let owners = vec![
        format!("environment/{name}"),
        format!("service/{name}/web"),
        format!("database/{name}/web"),
        format!("cache/{name}/sessions"),
        bucket_owner,
    ];
    c.eq(
        "service census",
        census(&emulator, &owners[1]),
        counts(&[
            ("ecs_services", 1),
            ("iam_roles", 2),
            ("listener_rules", 1),
            ("log_groups", 1),
            ("security_groups", 1),
            ("target_groups", 1),
            ("task_definitions", 1),
        ]),
    );
    example.converge(&mut c);
    example.destroy_and_check_empty(&emulator, &owners, &mut c);
    c.finish();
}

// ---------------------------------------------------------------------------------------------
// (e) dev/staging/prod: one module, tier = var.tier
// ---------------------------------------------------------------------------------------------

/// What the tier table (docs/design/tiers.md) gives each environment of the trio.
struct TierWant {
    tier: &'static str,
    azs: usize,
    nat_gateways: usize,
    flow_logs: Vec<(String, String)>,
    flow_log_retention: Option<i32>,
    container_insights: &'static str,
    log_retention: i32,
    instance_class: &'static str,
    multi_az: bool,
    backup_days: i32,
    scaling: (i32, i32, f64),
}

fn trio_apply(tf: Tf) {
    let emulator = Emulator::start();
    let name = unique("t");
    // moto does not check that a KMS key exists; the test only needs an ARN passed through.
    let kms = format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/0b5e1c2d-3f4a-4b6c-8d7e-9f0a1b2c3d4e");
    let kms_map = format!("{{prod=\"{kms}\"}}");
    let example = Example::new(
        "dev-staging-prod",
        tf,
        &emulator,
        &[
            ("name", &name),
            ("wait_for_deployment", "false"),
            ("deletion_protection", "false"),
            ("database_kms_key_arns", &kms_map),
        ],
    );
    let mut c = Checks::for_example("dev-staging-prod", tf);
    example.apply("apply");
    let state = example.state();
    let config = emulator.sdk_config();

    let flow = |env: &str, traffic: &str| {
        vec![(traffic.to_string(), format!("/platform/{env}/flow-logs"))]
    };
    let wants = [
        TierWant {
            tier: "dev",
            azs: 2,
            nat_gateways: 1,
            flow_logs: vec![],
            flow_log_retention: None,
            container_insights: "disabled",
            log_retention: 7,
            instance_class: "db.t4g.micro",
            multi_az: false,
            backup_days: 1,
            scaling: (1, 2, 70.0),
        },
        TierWant {
            tier: "staging",
            azs: 2,
            nat_gateways: 1,
            flow_logs: flow(&format!("{name}-staging"), "REJECT"),
            flow_log_retention: Some(30),
            container_insights: "enabled",
            log_retention: 30,
            instance_class: "db.t4g.medium",
            multi_az: false,
            backup_days: 7,
            scaling: (1, 4, 70.0),
        },
        TierWant {
            tier: "prod",
            azs: 3,
            nat_gateways: 3,
            flow_logs: flow(&format!("{name}-prod"), "ALL"),
            flow_log_retention: Some(365),
            container_insights: "enhanced",
            log_retention: 365,
            instance_class: "db.m7g.large",
            multi_az: true,
            backup_days: 35,
            scaling: (2, 10, 60.0),
        },
    ];
    let mut owners = Vec::new();
    for want in &wants {
        let env = format!("{name}-{}", want.tier);
        let at = |r: &str| format!("module.{}.{r}", want.tier);
        let environment = resource("dev-staging-prod", &state, &at("platform_environment.main"));
        let service = resource("dev-staging-prod", &state, &at("platform_service.app"));
        let vpc_id = text(&environment["vpc_id"]);
        c.eq(
            &format!("{env}: effective cluster.container_insights"),
            text(&environment["effective_config"]["cluster.container_insights"]),
            want.container_insights.to_string(),
        );
        c.eq(
            &format!("{env}: AZs"),
            vpc_zones(&config, &vpc_id).map(|z| z.len()),
            Some(want.azs),
        );
        c.eq(
            &format!("{env}: census nat_gateways"),
            census(&emulator, &format!("environment/{env}"))
                .get("nat_gateways")
                .copied(),
            Some(want.nat_gateways),
        );
        c.eq(
            &format!("{env}: flow logs"),
            flow_logs(&config, &vpc_id),
            want.flow_logs.clone(),
        );
        if let Some(days) = want.flow_log_retention {
            c.eq(
                &format!("{env}: flow log retention"),
                log_retention(&config, &format!("/platform/{env}/flow-logs")),
                Some(days),
            );
        }
        c.eq(
            &format!("{env}: log retention"),
            log_retention(&config, &format!("/platform/{env}")),
            Some(want.log_retention),
        );
        c.eq(
            &format!("{env}: service log retention"),
            log_retention(&config, &format!("/platform/{env}/app")),
            Some(want.log_retention),
        );
        c.eq(
            &format!("{env}: scaling (min, max, CPU target)"),
            scaling(&emulator, &text(&service["service_arn"])),
            Some(want.scaling),
        );
        match db_instance(&config, &format!("{env}-app")) {
            Some(db) => {
                c.eq(
                    &format!("{env}: database class"),
                    db.db_instance_class(),
                    Some(want.instance_class),
                );
                c.eq(
                    &format!("{env}: database MultiAZ"),
                    db.multi_az(),
                    Some(want.multi_az),
                );
                c.eq(
                    &format!("{env}: database backups"),
                    db.backup_retention_period(),
                    Some(want.backup_days),
                );
                c.eq(
                    &format!("{env}: database StorageEncrypted"),
                    db.storage_encrypted(),
                    Some(true),
                );
                if want.tier == "prod" {
                    c.eq(
                        &format!("{env}: database KMS key"),
                        db.kms_key_id(),
                        Some(kms.as_str()),
                    );
                }
            }
            None => c.check(false, || format!("{env}: DB instance {env}-app not found")),
        }
        // The uploads bucket: versioned by tier, and the app's UPLOADS_BUCKET.
        let uploads = resource("dev-staging-prod", &state, &at("platform_bucket.uploads"));
        let bucket = text(&uploads["bucket_name"]);
        let versioning = block_on(async {
            emulator
                .s3()
                .get_bucket_versioning()
                .bucket(&bucket)
                .send()
                .await
                .ok()
                .and_then(|v| v.status().map(|s| s.as_str().to_string()))
        });
        c.eq(
            &format!("{env}: uploads versioning"),
            versioning.as_deref() == Some("Enabled"),
            want.tier != "dev",
        );
        match task_definition(&config, &text(&service["task_definition_arn"])) {
            Some(task) => c.eq(
                &format!("{env}: UPLOADS_BUCKET"),
                task.container_definitions().first().and_then(|d| {
                    d.environment()
                        .iter()
                        .find(|kv| kv.name() == Some("UPLOADS_BUCKET"))
                        .and_then(|kv| kv.value().map(str::to_string))
                }),
                Some(bucket.clone()),
            ),
            None => c.check(false, || format!("{env}: task definition not found")),
        }
        c.eq(
            &format!("{env}: uploads census"),
            census(&emulator, &format!("bucket/{env}/uploads")),
            counts(&[("buckets", 1)]),
        );
        owners.push(format!("environment/{env}"));
        owners.push(format!("service/{env}/app"));
        owners.push(format!("database/{env}/app"));
        owners.push(format!("bucket/{env}/uploads"));
    }
    example.converge(&mut c);
    example.destroy_and_check_empty(&emulator, &owners, &mut c);
    c.finish();
}

// ---------------------------------------------------------------------------------------------
// The quickstart that `make demo` applies: a dev environment, a service, a database, a cache
// ---------------------------------------------------------------------------------------------

fn quickstart_apply(tf: Tf) {
    let emulator = Emulator::start();
    let name = unique("q");
    let example = Example::new("quickstart", tf, &emulator, &[("name", &name)]);
    let mut c = Checks::for_example("quickstart", tf);
    example.apply("apply");
    let config = emulator.sdk_config();

    let vpc = text(&example.output("vpc_id"));
    c.eq(
        "availability zones of the dev VPC",
        vpc_zones(&config, &vpc).map(|zones| zones.len()),
        Some(2),
    );
    c.eq(
        "database Multi-AZ in dev",
        db_instance(&config, &format!("{name}-main")).and_then(|d| d.multi_az()),
        Some(false),
    );
    c.check(
        replication_group(&config, &format!("{name}-sessions")).is_some(),
        || format!("replication group {name}-sessions missing"),
    );
    let owners = vec![
        format!("environment/{name}"),
        format!("service/{name}/web"),
        format!("database/{name}/main"),
        format!("cache/{name}/sessions"),
    ];
    for owner in &owners {
        c.check(!census(&emulator, owner).is_empty(), || {
            format!("no objects tagged for {owner}")
        });
    }
    example.converge(&mut c);
    example.destroy_and_check_empty(&emulator, &owners, &mut c);
    c.finish();
}
