//! Acceptance-test harness: moto server on a free loopback port, a filesystem mirror holding
//! the fresh provider binary, and real Terraform 1.0.3 and 1.15.5 runs against both.
//!
//! Every test owns its emulator and working directory, so tests run in parallel. Results are
//! checked through the AWS API as well as through Terraform's output.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Provider source address used by every fixture.
pub const SOURCE: &str = "example.local/acme/platform";
pub const VERSION: &str = "0.1.0";

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("repo root")
}

fn tools_dir() -> PathBuf {
    repo_root().join(".tools")
}

/// True when the acceptance tools are installed. Missing tools fail the test (a test that
/// passes without running hides that nothing was checked), unless the person running it set
/// `PLATFORM_ACCEPTANCE=skip` on purpose; `make test` and CI never do.
pub fn tools_ready() -> bool {
    tools_ready_in(
        &tools_dir(),
        std::env::var("PLATFORM_ACCEPTANCE").ok().as_deref(),
    )
}

fn tools_ready_in(tools: &Path, choice: Option<&str>) -> bool {
    let ready = tools.join("bin/terraform-1.0.3").exists()
        && tools.join("bin/terraform-1.15.5").exists()
        && tools.join("venv/bin/moto_server").exists();
    if !ready && choice == Some("skip") {
        eprintln!("SKIPPED on purpose (PLATFORM_ACCEPTANCE=skip): acceptance tools not installed");
        return false;
    }
    assert!(
        ready,
        "acceptance tools missing in {}: run `make tools` (.ci/install-tools.sh) first, or set PLATFORM_ACCEPTANCE=skip to skip these tests on purpose",
        tools.display()
    );
    true
}

/// The provider binary under test.
pub fn provider_binary() -> PathBuf {
    std::env::var_os("PROVIDER_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/debug/terraform-provider-platform"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A unique, lowercase suffix for names and directories.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let mut x = (u64::from(std::process::id()) << 32) ^ u64::from(nanos) ^ (u64::from(n) << 20);
    let mut s = String::from(prefix);
    for _ in 0..6 {
        s.push((b'a' + (x % 26) as u8) as char);
        x /= 26;
    }
    s
}

/// A moto server owned by one test; killed on drop.
pub struct Emulator {
    child: Child,
    port: u16,
}

impl Emulator {
    pub fn start() -> Emulator {
        let port = free_port();
        let log_dir = repo_root().join("target/acceptance");
        std::fs::create_dir_all(&log_dir).expect("log dir");
        let log =
            std::fs::File::create(log_dir.join(format!("moto-{port}.log"))).expect("moto log");
        // moto_server plus the ElastiCache operations moto 5.2.5 lacks (see the script).
        let child = Command::new(tools_dir().join("venv/bin/python"))
            .arg(repo_root().join("acceptance-tests/moto_ext/moto_server_ext.py"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .env("MOTO_ACM_VALIDATION_WAIT", "0")
            .env("MOTO_ALLOW_NONEXISTENT_REGION", "true")
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start moto_server_ext.py");
        let emulator = Emulator { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while http(port, "GET", "/moto-api/").is_err() {
            assert!(
                Instant::now() < deadline,
                "moto did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        emulator
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn reset(&self) {
        http(self.port, "POST", "/moto-api/reset").expect("reset moto");
    }

    /// The shared SDK configuration for every client against this emulator: fixed region,
    /// static credentials, the emulator's endpoint and the SDK's default retries.
    pub fn sdk_config(&self) -> aws_config::SdkConfig {
        let creds =
            aws_credential_types::Credentials::new("testing", "testing", None, None, "acceptance");
        aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(creds),
            )
            .endpoint_url(self.endpoint())
            .build()
    }

    pub fn ec2(&self) -> aws_sdk_ec2::Client {
        aws_sdk_ec2::Client::new(&self.sdk_config())
    }

    pub fn ecs(&self) -> aws_sdk_ecs::Client {
        aws_sdk_ecs::Client::new(&self.sdk_config())
    }

    pub fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.sdk_config())
    }

    pub fn logs(&self) -> aws_sdk_cloudwatchlogs::Client {
        aws_sdk_cloudwatchlogs::Client::new(&self.sdk_config())
    }

    pub fn rds(&self) -> aws_sdk_rds::Client {
        aws_sdk_rds::Client::new(&self.sdk_config())
    }

    pub fn elasticache(&self) -> aws_sdk_elasticache::Client {
        aws_sdk_elasticache::Client::new(&self.sdk_config())
    }

    pub fn elbv2(&self) -> aws_sdk_elasticloadbalancingv2::Client {
        aws_sdk_elasticloadbalancingv2::Client::new(&self.sdk_config())
    }

    pub fn acm(&self) -> aws_sdk_acm::Client {
        aws_sdk_acm::Client::new(&self.sdk_config())
    }

    pub fn secretsmanager(&self) -> aws_sdk_secretsmanager::Client {
        aws_sdk_secretsmanager::Client::new(&self.sdk_config())
    }

    pub fn servicediscovery(&self) -> aws_sdk_servicediscovery::Client {
        aws_sdk_servicediscovery::Client::new(&self.sdk_config())
    }

    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.sdk_config())
    }

    /// Addresses buckets by path: the emulator's endpoint is an IP address.
    pub fn s3(&self) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.sdk_config())
                .force_path_style(true)
                .build(),
        )
    }

    pub fn sns(&self) -> aws_sdk_sns::Client {
        aws_sdk_sns::Client::new(&self.sdk_config())
    }

    pub fn autoscaling(&self) -> aws_sdk_applicationautoscaling::Client {
        aws_sdk_applicationautoscaling::Client::new(&self.sdk_config())
    }

    pub fn cloudfront(&self) -> aws_sdk_cloudfront::Client {
        aws_sdk_cloudfront::Client::new(&self.sdk_config())
    }

    pub fn scheduler(&self) -> aws_sdk_scheduler::Client {
        aws_sdk_scheduler::Client::new(&self.sdk_config())
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `scripts/aws-proxy.py` in front of an emulator: latency, injected faults and a JSON-lines log
/// of every AWS call (see the script's header). Stopped on drop.
pub struct Proxy {
    child: Child,
    port: u16,
    /// The call log, one JSON object per AWS call.
    pub log: PathBuf,
}

impl Proxy {
    /// Starts the proxy with extra flags, e.g. `["--latency-ms", "20"]`.
    pub fn start(emulator: &Emulator, args: &[&str]) -> Proxy {
        let log_dir = repo_root().join("target/acceptance");
        std::fs::create_dir_all(&log_dir).expect("log dir");
        let name = unique("proxy-");
        let log = log_dir.join(format!("{name}.jsonl"));
        let stderr_path = log_dir.join(format!("{name}.log"));
        let stderr = std::fs::File::create(&stderr_path).expect("proxy stderr");
        let mut child = Command::new(tools_dir().join("venv/bin/python"))
            .arg(repo_root().join("scripts/aws-proxy.py"))
            .arg("--upstream")
            .arg(emulator.endpoint())
            .arg("--log")
            .arg(&log)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start aws-proxy.py");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("proxy stdout");
        let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line);
        let Some(port) = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|p| p.parse().ok())
        else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "aws-proxy.py did not start ({line:?}): {}",
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            );
        };
        Proxy { child, port, log }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every AWS call logged so far.
    pub fn calls(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// The totals since start or the last [`Proxy::reset_stats`]: `calls`, `mutating`, `read`,
    /// `faults`, `by_action`, `by_fault`.
    pub fn stats(&self) -> serde_json::Value {
        let response = http(self.port, "GET", "/__proxy/stats").expect("proxy stats");
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b)
            .unwrap_or("");
        serde_json::from_str(body).expect("proxy stats JSON")
    }

    pub fn reset_stats(&self) {
        http(self.port, "POST", "/__proxy/reset").expect("reset proxy stats");
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http(port: u16, method: &str, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(stream, "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    if response.starts_with("HTTP/1.1 2") || response.starts_with("HTTP/1.0 2") {
        Ok(response)
    } else {
        Err(std::io::Error::other(
            response.lines().next().unwrap_or_default().to_string(),
        ))
    }
}

/// Runs an async AWS check from a synchronous test.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tf {
    V1_0_3,
    V1_15_5,
}

impl Tf {
    pub fn binary(self) -> PathBuf {
        tools_dir().join(match self {
            Tf::V1_0_3 => "bin/terraform-1.0.3",
            Tf::V1_15_5 => "bin/terraform-1.15.5",
        })
    }
}

/// Lays out an unpacked filesystem mirror holding the provider binary.
pub fn build_mirror(mirror: &Path) {
    let dir = mirror.join(SOURCE).join(VERSION).join("linux_amd64");
    std::fs::create_dir_all(&dir).expect("mirror dir");
    let target = dir.join(format!("terraform-provider-platform_v{VERSION}"));
    let _ = std::fs::remove_file(&target);
    let source = provider_binary();
    assert!(
        source.exists(),
        "provider binary {} missing: run `cargo build` first",
        source.display()
    );
    if std::fs::hard_link(&source, &target).is_err() {
        std::fs::copy(&source, &target).expect("copy provider into mirror");
    }
}

/// A Terraform working directory bound to one emulator and Terraform version.
pub struct Workspace {
    pub dir: PathBuf,
    pub tf: Tf,
    endpoint: String,
    /// Sets `AWS_MAX_ATTEMPTS=1` so emulator gaps fail fast; see [`Workspace::sdk_default_retries`].
    single_attempt: bool,
    /// Leaves `AWS_ENDPOINT_URL` unset: the provider block's `endpoints` route every call.
    endpoints_in_config: bool,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Workspace {
    pub fn new(tf: Tf, emulator: &Emulator) -> Workspace {
        Workspace::with_endpoint(tf, &emulator.endpoint())
    }

    /// A workspace whose AWS calls go to `endpoint`, e.g. a [`Proxy`] in front of the emulator.
    pub fn with_endpoint(tf: Tf, endpoint: &str) -> Workspace {
        let dir = repo_root().join("target/acceptance").join(unique("ws-"));
        std::fs::create_dir_all(&dir).expect("workspace");
        build_mirror(&dir.join("mirror"));
        std::fs::write(
            dir.join("offline.tfrc"),
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{SOURCE}\"]\n  }}\n}}\n",
                dir.join("mirror").display()
            ),
        )
        .expect("tfrc");
        Workspace {
            dir,
            tf,
            endpoint: endpoint.to_string(),
            single_attempt: true,
            endpoints_in_config: false,
        }
    }

    /// Leaves `AWS_ENDPOINT_URL` unset, for configurations whose provider block routes every
    /// service itself (`endpoints { … }`).
    pub fn endpoints_in_config(mut self) -> Workspace {
        self.endpoints_in_config = true;
        self
    }

    /// Leaves `AWS_MAX_ATTEMPTS` unset, so the provider retries with its own default (for tests
    /// that inject faults).
    pub fn sdk_default_retries(mut self) -> Workspace {
        self.single_attempt = false;
        self
    }

    /// Writes `main.tf` with the provider requirements prepended.
    /// S3 addresses buckets by path: the emulator's endpoint is an IP address.
    pub fn write_config(&self, body: &str) {
        self.write_config_with_provider("\n  s3_use_path_style = true\n", body);
    }

    /// Writes `main.tf` with the provider requirements and a provider block holding `provider`.
    pub fn write_config_with_provider(&self, provider: &str, body: &str) {
        let config = format!(
            "terraform {{\n  required_providers {{\n    platform = {{\n      source  = \"{SOURCE}\"\n      version = \"{VERSION}\"\n    }}\n  }}\n}}\n\nprovider \"platform\" {{{provider}}}\n\n{body}\n"
        );
        std::fs::write(self.dir.join("main.tf"), config).expect("main.tf");
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(self.tf.binary());
        command
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null());
        for key in [
            "AWS_PROFILE",
            "AWS_CA_BUNDLE",
            "AWS_DEFAULT_REGION",
            "AWS_SESSION_TOKEN",
            "TF_LOG",
            "TF_LOG_PATH",
        ] {
            command.env_remove(key);
        }
        command
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_CLI_CONFIG_FILE", self.dir.join("offline.tfrc"))
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1");
        if self.endpoints_in_config {
            command.env_remove("AWS_ENDPOINT_URL");
        } else {
            command.env("AWS_ENDPOINT_URL", &self.endpoint);
        }
        if self.single_attempt {
            command.env("AWS_MAX_ATTEMPTS", "1");
        } else {
            command.env_remove("AWS_MAX_ATTEMPTS");
        }
        command
    }

    /// Runs Terraform and returns what happened, whatever the exit code.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_env(args, &[])
    }

    /// Like [`Workspace::run`], with extra environment variables (e.g. `TF_REATTACH_PROVIDERS`
    /// to drive a provider started in debug mode).
    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = self.command(args);
        for (key, value) in env {
            command.env(key, value);
        }
        let output: Output = command.output().expect("run terraform");
        let run = Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        let log = format!(
            "$ terraform {}\nexit {}\n{}\n{}\n",
            args.join(" "),
            run.code,
            run.stdout,
            run.stderr
        );
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("terraform.log"))
            .expect("log");
        let _ = file.write_all(log.as_bytes());
        run
    }

    /// Runs Terraform and panics with its output unless it exits 0.
    pub fn ok(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert_eq!(
            run.code,
            0,
            "terraform {} failed ({:?}):\n{}\n{}",
            args.join(" "),
            self.tf,
            run.stdout,
            run.stderr
        );
        run
    }

    pub fn init(&self) -> Run {
        self.ok(&["init", "-input=false", "-no-color"])
    }

    pub fn apply(&self) -> Run {
        self.ok(&["apply", "-input=false", "-no-color", "-auto-approve"])
    }

    /// `plan -detailed-exitcode`: the output, and whether anything would change.
    pub fn plan(&self) -> (bool, String) {
        let run = self.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
        match run.code {
            0 => (false, run.stdout),
            2 => (true, run.stdout),
            _ => panic!(
                "terraform plan failed ({:?}):\n{}\n{}",
                self.tf, run.stdout, run.stderr
            ),
        }
    }

    /// Asserts that the next plan is empty.
    pub fn assert_no_changes(&self) {
        let (changes, output) = self.plan();
        assert!(
            !changes,
            "expected an empty plan ({:?}), got:\n{output}",
            self.tf
        );
    }

    /// Asserts that no resource would change; new output values alone are allowed (import
    /// does not record outputs).
    pub fn assert_resources_unchanged(&self) {
        let (changes, output) = self.plan();
        let outputs_only = output.contains("without changing any real infrastructure")
            && !output.contains("Plan:");
        assert!(
            !changes || outputs_only,
            "expected no resource changes ({:?}), got:\n{output}",
            self.tf
        );
    }

    pub fn destroy(&self) -> Run {
        self.ok(&["destroy", "-input=false", "-no-color", "-auto-approve"])
    }

    pub fn outputs(&self) -> serde_json::Value {
        let run = self.ok(&["output", "-json", "-no-color"]);
        serde_json::from_str(&run.stdout).expect("output JSON")
    }

    /// The resource's attributes from `terraform show -json`.
    pub fn attributes(&self, address: &str) -> serde_json::Value {
        let run = self.ok(&["show", "-json", "-no-color"]);
        let state: serde_json::Value = serde_json::from_str(&run.stdout).expect("state JSON");
        state["values"]["root_module"]["resources"]
            .as_array()
            .and_then(|rs| rs.iter().find(|r| r["address"] == address))
            .map(|r| r["values"].clone())
            .unwrap_or_else(|| panic!("{address} not in state:\n{}", run.stdout))
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        if !std::thread::panicking() && std::env::var_os("KEEP_WORKSPACES").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Terraform's output with box-drawing gutters removed and whitespace collapsed, so wrapped
/// diagnostics can be searched.
pub fn flat(run: &Run) -> String {
    format!("{}\n{}", run.stdout, run.stderr)
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The ECS service settings moto's CreateService drops and only UpdateService stores
/// (docs/design/emulator.md §4): the first refresh after a create reports them as drift.
pub const MOTO_CREATE_SERVICE_GAP: &[&str] = &[
    "capacity_strategy",
    "circuit_breaker",
    "enable_execute_command",
    "health_check_grace_seconds",
    "max_percent",
    "min_healthy_percent",
];

/// The first plan after creating services may show exactly moto's CreateService gap, which one
/// more apply settles; any other drift is a failure. Then the plan must be empty.
pub fn settle_create_gap(ws: &Workspace, c: &mut Checks) {
    let (changes, plan) = ws.plan();
    if changes {
        for line in plan
            .lines()
            .filter(|l| l.contains("changed outside Terraform"))
        {
            let known = line
                .split_once("ecs.service/service:")
                .and_then(|(_, rest)| rest.split_once("changed outside Terraform"))
                .is_some_and(|(fields, _)| {
                    fields
                        .split(',')
                        .map(str::trim)
                        .all(|f| MOTO_CREATE_SERVICE_GAP.contains(&f))
                });
            c.check(known, || {
                format!("drift beyond moto's CreateService gap: {}", line.trim())
            });
        }
        ws.apply();
    }
    let (changes, plan) = ws.plan();
    c.check(!changes, || format!("plan after create: {plan}"));
}

/// The tag every object made by the provider carries, e.g. `environment/dev1`.
pub const OWNER_TAG: &str = "platform:owner";

/// Counts LIVE objects whose `platform:owner` tag equals `owner`, by kind.
///
/// Kinds: `vpcs`, `subnets`, `internet_gateways`, `nat_gateways` (available or pending),
/// `addresses` (elastic IPs), `route_tables`, `security_groups`, `vpc_endpoints` (not deleting
/// or deleted), `flow_logs`, `ecs_clusters` (ACTIVE), `ecs_services` (ACTIVE, in any ACTIVE
/// cluster), `task_definitions` (ACTIVE revisions), `log_groups`, `iam_roles`,
/// `db_subnet_groups`, `db_instances` (not deleting), `db_parameter_groups`,
/// `cache_subnet_groups`, `replication_groups` (not deleting), `secrets` (not scheduled for
/// deletion), `load_balancers`, `target_groups`, `listener_rules` (on any listener of any load
/// balancer), `namespaces`, `queues`, `topics`, `buckets`, `distributions` (not yet deleted,
/// enabled or not), `origin_access_controls` (whose description is the owner's marker:
/// CloudFront cannot tag them), `schedule_groups` (not deleting) and `schedules` (which carry
/// no tags: counted by the ownership marker ending their description,
/// `[platform:owner=<owner> …]`, in any group).
/// Kinds with no live object are **omitted**, so a fully destroyed owner gives an empty map.
/// EC2 kinds are filtered server-side (`tag:platform:owner`) and checked again client-side
/// (moto ignores the filter on DescribeNatGateways); the others are listed and their tags read
/// (from the listing where it carries them, else one call per object or batch).
/// Scalable targets carry no tags (moto cannot tag them) and are not counted; nor are SNS
/// subscriptions, which AWS cannot tag (a test counts them by topic).
/// Panics if any call fails, naming the call.
pub fn census(emulator: &Emulator, owner: &str) -> std::collections::BTreeMap<String, usize> {
    block_on(census_async(emulator, owner))
}

fn sdk_ok<T, E: std::error::Error + 'static>(what: &str, result: Result<T, E>) -> T {
    result.unwrap_or_else(|e| {
        panic!(
            "census: {what} failed: {}",
            aws_sdk_ec2::error::DisplayErrorContext(e)
        )
    })
}

async fn census_async(
    emulator: &Emulator,
    owner: &str,
) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    let mut put = |kind: &str, n: usize| {
        if n > 0 {
            counts.insert(kind.to_string(), n);
        }
    };

    // EC2: server-side tag filter, and the tags checked again on each object because moto
    // ignores tag filters on some calls (DescribeNatGateways returns every NAT gateway).
    let ec2 = emulator.ec2();
    let f = || {
        aws_sdk_ec2::types::Filter::builder()
            .name(format!("tag:{OWNER_TAG}"))
            .values(owner)
            .build()
    };
    let ours = |tags: &[aws_sdk_ec2::types::Tag]| {
        tags.iter()
            .any(|t| t.key() == Some(OWNER_TAG) && t.value() == Some(owner))
    };
    let vpcs = ec2.describe_vpcs().filters(f()).send().await;
    let vpcs = sdk_ok("DescribeVpcs", vpcs);
    put(
        "vpcs",
        vpcs.vpcs().iter().filter(|x| ours(x.tags())).count(),
    );
    let subnets = ec2.describe_subnets().filters(f()).send().await;
    let subnets = sdk_ok("DescribeSubnets", subnets);
    put(
        "subnets",
        subnets.subnets().iter().filter(|x| ours(x.tags())).count(),
    );
    let igws = ec2.describe_internet_gateways().filters(f()).send().await;
    let igws = sdk_ok("DescribeInternetGateways", igws);
    put(
        "internet_gateways",
        igws.internet_gateways()
            .iter()
            .filter(|x| ours(x.tags()))
            .count(),
    );
    let nats = ec2.describe_nat_gateways().filter(f()).send().await;
    let live_nats = sdk_ok("DescribeNatGateways", nats)
        .nat_gateways()
        .iter()
        .filter(|n| ours(n.tags()))
        .filter(|n| {
            n.state()
                .is_some_and(|s| matches!(s.as_str(), "available" | "pending"))
        })
        .count();
    put("nat_gateways", live_nats);
    let addresses = ec2.describe_addresses().filters(f()).send().await;
    let addresses = sdk_ok("DescribeAddresses", addresses);
    put(
        "addresses",
        addresses
            .addresses()
            .iter()
            .filter(|x| ours(x.tags()))
            .count(),
    );
    let route_tables = ec2.describe_route_tables().filters(f()).send().await;
    let route_tables = sdk_ok("DescribeRouteTables", route_tables);
    put(
        "route_tables",
        route_tables
            .route_tables()
            .iter()
            .filter(|x| ours(x.tags()))
            .count(),
    );
    let sgs = ec2.describe_security_groups().filters(f()).send().await;
    let sgs = sdk_ok("DescribeSecurityGroups", sgs);
    put(
        "security_groups",
        sgs.security_groups()
            .iter()
            .filter(|x| ours(x.tags()))
            .count(),
    );
    let endpoints = ec2.describe_vpc_endpoints().filters(f()).send().await;
    let live_endpoints = sdk_ok("DescribeVpcEndpoints", endpoints)
        .vpc_endpoints()
        .iter()
        .filter(|e| ours(e.tags()))
        .filter(|e| {
            !e.state().is_some_and(|s| {
                matches!(
                    s.as_str().to_ascii_lowercase().as_str(),
                    "deleted" | "deleting"
                )
            })
        })
        .count();
    put("vpc_endpoints", live_endpoints);
    let flow_logs = ec2.describe_flow_logs().filter(f()).send().await;
    let flow_logs = sdk_ok("DescribeFlowLogs", flow_logs);
    put(
        "flow_logs",
        flow_logs
            .flow_logs()
            .iter()
            .filter(|x| ours(x.tags()))
            .count(),
    );

    // ECS: ListClusters, then DescribeClusters with TAGS (at most 100 per call).
    let ecs = emulator.ecs();
    let arns: Vec<String> = sdk_ok(
        "ListClusters",
        ecs.list_clusters()
            .into_paginator()
            .items()
            .send()
            .collect()
            .await,
    );
    let mut clusters = 0;
    let mut active_clusters = Vec::new();
    for chunk in arns.chunks(100) {
        let described = ecs
            .describe_clusters()
            .set_clusters(Some(chunk.to_vec()))
            .include(aws_sdk_ecs::types::ClusterField::Tags)
            .send()
            .await;
        let described = sdk_ok("DescribeClusters", described);
        let active: Vec<_> = described
            .clusters()
            .iter()
            .filter(|c| c.status() == Some("ACTIVE"))
            .collect();
        active_clusters.extend(
            active
                .iter()
                .filter_map(|c| c.cluster_arn().map(str::to_string)),
        );
        clusters += active
            .iter()
            .filter(|c| {
                c.tags()
                    .iter()
                    .any(|t| t.key() == Some(OWNER_TAG) && t.value() == Some(owner))
            })
            .count();
    }
    put("ecs_clusters", clusters);

    // ECS services: ListServices per ACTIVE cluster (whoever owns it: a service's cluster
    // belongs to its environment), then DescribeServices with TAGS (10 per call). ListServices
    // can still name deleted services, so the status is checked.
    let mut services = 0;
    for cluster in &active_clusters {
        let arns: Vec<String> = sdk_ok(
            "ListServices",
            ecs.list_services()
                .cluster(cluster)
                .into_paginator()
                .items()
                .send()
                .collect()
                .await,
        );
        for chunk in arns.chunks(10) {
            let described = ecs
                .describe_services()
                .cluster(cluster)
                .set_services(Some(chunk.to_vec()))
                .include(aws_sdk_ecs::types::ServiceField::Tags)
                .send()
                .await;
            services += sdk_ok("DescribeServices", described)
                .services()
                .iter()
                .filter(|s| s.status() == Some("ACTIVE"))
                .filter(|s| {
                    s.tags()
                        .iter()
                        .any(|t| t.key() == Some(OWNER_TAG) && t.value() == Some(owner))
                })
                .count();
        }
    }
    put("ecs_services", services);

    // ECS task definitions: ListTaskDefinitions (ACTIVE), then DescribeTaskDefinition with TAGS.
    let revisions: Vec<String> = sdk_ok(
        "ListTaskDefinitions",
        ecs.list_task_definitions()
            .status(aws_sdk_ecs::types::TaskDefinitionStatus::Active)
            .into_paginator()
            .items()
            .send()
            .collect()
            .await,
    );
    let mut task_definitions = 0;
    for arn in &revisions {
        let described = ecs
            .describe_task_definition()
            .task_definition(arn)
            .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
            .send()
            .await;
        if sdk_ok("DescribeTaskDefinition", described)
            .tags()
            .iter()
            .any(|t| t.key() == Some(OWNER_TAG) && t.value() == Some(owner))
        {
            task_definitions += 1;
        }
    }
    put("task_definitions", task_definitions);

    // CloudWatch Logs: DescribeLogGroups, then ListTagsForResource (ARN without `:*`).
    let logs = emulator.logs();
    let groups: Vec<_> = sdk_ok(
        "DescribeLogGroups",
        logs.describe_log_groups()
            .into_paginator()
            .items()
            .send()
            .collect()
            .await,
    );
    let mut log_groups = 0;
    for group in &groups {
        let arn = group
            .log_group_arn()
            .or(group.arn().map(|a| a.trim_end_matches(":*")))
            .unwrap_or_default();
        let tags = logs.list_tags_for_resource().resource_arn(arn).send().await;
        let tags = sdk_ok("logs ListTagsForResource", tags);
        if tags
            .tags()
            .and_then(|t| t.get(OWNER_TAG))
            .map(String::as_str)
            == Some(owner)
        {
            log_groups += 1;
        }
    }
    put("log_groups", log_groups);

    // IAM: ListRoles, then ListRoleTags (ListRoles does not return tags).
    let iam = emulator.iam();
    let roles: Vec<_> = sdk_ok(
        "ListRoles",
        iam.list_roles()
            .into_paginator()
            .items()
            .send()
            .collect()
            .await,
    );
    let mut iam_roles = 0;
    for role in &roles {
        let tags = iam
            .list_role_tags()
            .role_name(role.role_name())
            .send()
            .await;
        let tags = sdk_ok("ListRoleTags", tags);
        if tags
            .tags()
            .iter()
            .any(|t| t.key() == OWNER_TAG && t.value() == owner)
        {
            iam_roles += 1;
        }
    }
    put("iam_roles", iam_roles);

    // RDS: DescribeDBSubnetGroups, then ListTagsForResource.
    let rds = emulator.rds();
    let groups: Vec<_> = sdk_ok(
        "DescribeDBSubnetGroups",
        rds.describe_db_subnet_groups()
            .into_paginator()
            .items()
            .send()
            .collect()
            .await,
    );
    let mut db_subnet_groups = 0;
    for group in &groups {
        let arn = group.db_subnet_group_arn().unwrap_or_default();
        let tags = rds.list_tags_for_resource().resource_name(arn).send().await;
        if sdk_ok("rds ListTagsForResource", tags)
            .tag_list()
            .iter()
            .any(|t| t.key() == Some(OWNER_TAG) && t.value() == Some(owner))
        {
            db_subnet_groups += 1;
        }
    }
    put("db_subnet_groups", db_subnet_groups);

    // RDS: DescribeDBInstances (not deleting) and DescribeDBParameterGroups, then
    // ListTagsForResource.
    let instances: Vec<_> = sdk_ok(
        "DescribeDBInstances",
        rds.describe_db_instances()
            .into_paginator()
            .items()
            .send()
            .collect()
            .await,
    );
    let instance_arns: Vec<String> = instances
        .iter()
        .filter(|i| i.db_instance_status() != Some("deleting"))
        .filter_map(|i| i.db_instance_arn().map(str::to_string))
        .collect();
    let parameter_groups: Vec<_> = sdk_ok(
        "DescribeDBParameterGroups",
        rds.describe_db_parameter_groups()
            .into_paginator()
            .items()
            .send()
            .collect()
            .await,
    );
    let parameter_group_arns: Vec<String> = parameter_groups
        .iter()
        .filter_map(|g| g.db_parameter_group_arn().map(str::to_string))
        .collect();
    for (kind, arns) in [
        ("db_instances", instance_arns),
        ("db_parameter_groups", parameter_group_arns),
    ] {
        let mut n = 0;
        for arn in &arns {
            let tags = rds.list_tags_for_resource().resource_name(arn).send().await;
            if sdk_ok("rds ListTagsForResource", tags)
                .tag_list()
                .iter()
                .any(|t| t.key() == Some(OWNER_TAG) && t.value() == Some(owner))
            {
                n += 1;
            }
        }
        put(kind, n);
    }

    // ElastiCache: DescribeCacheSubnetGroups, then ListTagsForResource.
    let elasticache = emulator.elasticache();
    let groups: Vec<_> = sdk_ok(
        "DescribeCacheSubnetGroups",
        elasticache
            .describe_cache_subnet_groups()
            .into_paginator()
            .items()
            .send()
            .collect()
            .await,
    );
    let mut cache_subnet_groups = 0;
    for group in &groups {
        let arn = group.arn().unwrap_or_default();
        let tags = elasticache
            .list_tags_for_resource()
            .resource_name(arn)
            .send()
            .await;
        if sdk_ok("elasticache ListTagsForResource", tags)
            .tag_list()
            .iter()
            .any(|t| t.key() == Some(OWNER_TAG) && t.value() == Some(owner))
        {
            cache_subnet_groups += 1;
        }
    }
    put("cache_subnet_groups", cache_subnet_groups);

    // ElastiCache: DescribeReplicationGroups (not deleting), then ListTagsForResource.
    let replication_groups: Vec<_> = sdk_ok(
        "DescribeReplicationGroups",
        elasticache
            .describe_replication_groups()
            .into_paginator()
            .items()
            .send()
            .collect()
            .await,
    );
    let mut live_replication_groups = 0;
    for group in replication_groups
        .iter()
        .filter(|g| g.status() != Some("deleting"))
    {
        let arn = group.arn().unwrap_or_default();
        let tags = elasticache
            .list_tags_for_resource()
            .resource_name(arn)
            .send()
            .await;
        if sdk_ok("elasticache ListTagsForResource", tags)
            .tag_list()
            .iter()
            .any(|t| t.key() == Some(OWNER_TAG) && t.value() == Some(owner))
        {
            live_replication_groups += 1;
        }
    }
    put("replication_groups", live_replication_groups);

    // Secrets Manager: ListSecrets carries tags and omits secrets scheduled for deletion
    // (checked again through DeletedDate).
    let pages: Vec<_> = sdk_ok(
        "ListSecrets",
        emulator
            .secretsmanager()
            .list_secrets()
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await,
    );
    let live_secrets = pages
        .iter()
        .flat_map(|p| p.secret_list())
        .filter(|s| s.deleted_date().is_none())
        .filter(|s| {
            s.tags()
                .iter()
                .any(|t| t.key() == Some(OWNER_TAG) && t.value() == Some(owner))
        })
        .count();
    put("secrets", live_secrets);

    // Cloud Map: ListNamespaces, then the tags of each (no batch tag read).
    let sd = emulator.servicediscovery();
    let pages: Vec<_> = sdk_ok(
        "ListNamespaces",
        sd.list_namespaces()
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await,
    );
    let mut namespaces = 0;
    for namespace in pages.iter().flat_map(|p| p.namespaces()) {
        let Some(arn) = namespace.arn() else { continue };
        let tags = sdk_ok(
            "ListTagsForResource",
            sd.list_tags_for_resource().resource_arn(arn).send().await,
        );
        if tags
            .tags()
            .iter()
            .any(|t| t.key() == OWNER_TAG && t.value() == owner)
        {
            namespaces += 1;
        }
    }
    put("namespaces", namespaces);

    // ELBv2: DescribeLoadBalancers / DescribeTargetGroups, then DescribeTags (20 ARNs a call).
    let elbv2 = emulator.elbv2();
    let lbs: Vec<_> = sdk_ok(
        "DescribeLoadBalancers",
        elbv2
            .describe_load_balancers()
            .into_paginator()
            .items()
            .send()
            .collect()
            .await,
    );
    let lb_arns: Vec<String> = lbs
        .iter()
        .filter_map(|lb| lb.load_balancer_arn().map(str::to_string))
        .collect();
    let tgs: Vec<_> = sdk_ok(
        "DescribeTargetGroups",
        elbv2
            .describe_target_groups()
            .into_paginator()
            .items()
            .send()
            .collect()
            .await,
    );
    let tg_arns: Vec<String> = tgs
        .iter()
        .filter_map(|tg| tg.target_group_arn().map(str::to_string))
        .collect();
    let mut rule_arns = Vec::new();
    for lb in &lb_arns {
        let listeners: Vec<_> = sdk_ok(
            "DescribeListeners",
            elbv2
                .describe_listeners()
                .load_balancer_arn(lb)
                .into_paginator()
                .items()
                .send()
                .collect()
                .await,
        );
        for listener in listeners.iter().filter_map(|l| l.listener_arn()) {
            let mut marker = None;
            loop {
                let page = elbv2
                    .describe_rules()
                    .listener_arn(listener)
                    .set_marker(marker)
                    .send()
                    .await;
                let page = sdk_ok("DescribeRules", page);
                rule_arns.extend(
                    page.rules()
                        .iter()
                        .filter_map(|r| r.rule_arn().map(str::to_string)),
                );
                marker = page.next_marker().map(str::to_string);
                if marker.is_none() {
                    break;
                }
            }
        }
    }
    for (kind, arns) in [
        ("load_balancers", lb_arns),
        ("target_groups", tg_arns),
        ("listener_rules", rule_arns),
    ] {
        let mut n = 0;
        for chunk in arns.chunks(20) {
            let tags = elbv2
                .describe_tags()
                .set_resource_arns(Some(chunk.to_vec()))
                .send()
                .await;
            n += sdk_ok("elbv2 DescribeTags", tags)
                .tag_descriptions()
                .iter()
                .filter(|d| {
                    d.tags()
                        .iter()
                        .any(|t| t.key() == Some(OWNER_TAG) && t.value() == Some(owner))
                })
                .count();
        }
        put(kind, n);
    }

    // SQS: ListQueues, then the tags of each (no batch tag read).
    let sqs = emulator.sqs();
    let pages: Vec<_> = sdk_ok(
        "ListQueues",
        sqs.list_queues()
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await,
    );
    let mut queues = 0;
    for url in pages.iter().flat_map(|p| p.queue_urls()) {
        let tags = sdk_ok(
            "ListQueueTags",
            sqs.list_queue_tags().queue_url(url).send().await,
        );
        if tags
            .tags()
            .and_then(|t| t.get(OWNER_TAG))
            .is_some_and(|v| v == owner)
        {
            queues += 1;
        }
    }
    put("queues", queues);

    // SNS: ListTopics, then the tags of each; subscriptions carry no tags, so they count by
    // the owned topics and queues they join.
    let sns = emulator.sns();
    let pages: Vec<_> = sdk_ok(
        "ListTopics",
        sns.list_topics()
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await,
    );
    let mut topics = 0;
    for arn in pages
        .iter()
        .flat_map(|p| p.topics())
        .filter_map(|t| t.topic_arn())
    {
        let tags = sdk_ok(
            "sns ListTagsForResource",
            sns.list_tags_for_resource().resource_arn(arn).send().await,
        );
        if tags
            .tags()
            .iter()
            .any(|t| t.key() == OWNER_TAG && t.value() == owner)
        {
            topics += 1;
        }
    }
    put("topics", topics);

    // S3: ListBuckets, then the tags of each (no batch tag read); a bucket without tags
    // answers NoSuchTagSet.
    let s3 = emulator.s3();
    let buckets = sdk_ok("ListBuckets", s3.list_buckets().send().await);
    let mut owned = 0;
    for bucket in buckets.buckets().iter().filter_map(|b| b.name()) {
        if let Ok(tags) = s3.get_bucket_tagging().bucket(bucket).send().await {
            if tags
                .tag_set()
                .iter()
                .any(|t| t.key() == OWNER_TAG && t.value() == owner)
            {
                owned += 1;
            }
        }
    }
    put("buckets", owned);

    // CloudFront: the listing, then each distribution's tags; origin access controls carry
    // the owner in their description.
    let cloudfront = emulator.cloudfront();
    let listed = sdk_ok(
        "ListDistributions",
        cloudfront.list_distributions().send().await,
    );
    let mut owned = 0;
    for summary in listed
        .distribution_list()
        .map(|l| l.items())
        .unwrap_or_default()
    {
        let tags = sdk_ok(
            "ListTagsForResource",
            cloudfront
                .list_tags_for_resource()
                .resource(summary.arn())
                .send()
                .await,
        );
        if tags
            .tags()
            .map(|t| t.items())
            .unwrap_or_default()
            .iter()
            .any(|t| t.key() == OWNER_TAG && t.value() == Some(owner))
        {
            owned += 1;
        }
    }
    put("distributions", owned);
    let controls = sdk_ok(
        "ListOriginAccessControls",
        cloudfront.list_origin_access_controls().send().await,
    );
    let marker = format!("{OWNER_TAG}={owner}");
    put(
        "origin_access_controls",
        controls
            .origin_access_control_list()
            .map(|l| l.items())
            .unwrap_or_default()
            .iter()
            .filter(|c| c.description() == marker)
            .count(),
    );
    // EventBridge Scheduler: ListScheduleGroups, the tags of each; ListSchedules of each group,
    // then GetSchedule for the description, where schedules carry their owner.
    let scheduler = emulator.scheduler();
    let pages: Vec<_> = sdk_ok(
        "ListScheduleGroups",
        scheduler
            .list_schedule_groups()
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await,
    );
    let marker = format!("[{OWNER_TAG}={owner} ");
    let mut groups = 0;
    let mut schedules = 0;
    for group in pages.iter().flat_map(|p| p.schedule_groups()) {
        let (Some(name), Some(arn)) = (group.name(), group.arn()) else {
            continue;
        };
        if group.state() == Some(&aws_sdk_scheduler::types::ScheduleGroupState::Active) {
            let tags = sdk_ok(
                "scheduler ListTagsForResource",
                scheduler
                    .list_tags_for_resource()
                    .resource_arn(arn)
                    .send()
                    .await,
            );
            if tags
                .tags()
                .iter()
                .any(|t| t.key() == OWNER_TAG && t.value() == owner)
            {
                groups += 1;
            }
        }
        let listed: Vec<_> = sdk_ok(
            "ListSchedules",
            scheduler
                .list_schedules()
                .group_name(name)
                .into_paginator()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await,
        );
        for summary in listed.iter().flat_map(|p| p.schedules()) {
            let Some(schedule) = summary.name() else {
                continue;
            };
            let got = sdk_ok(
                "GetSchedule",
                scheduler
                    .get_schedule()
                    .group_name(name)
                    .name(schedule)
                    .send()
                    .await,
            );
            if got.description().is_some_and(|d| d.contains(&marker)) {
                schedules += 1;
            }
        }
    }
    put("schedule_groups", groups);
    put("schedules", schedules);

    counts
}

/// `both_versions!(case, …)`: for each `fn case(tf: Tf)`, a module `case` with the tests
/// `terraform_1_0_3` and `terraform_1_15_5`, each running it when the tools are ready.
#[macro_export]
macro_rules! both_versions {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[test]
            fn terraform_1_0_3() {
                if $crate::tools_ready() {
                    super::$case($crate::Tf::V1_0_3);
                }
            }
            #[test]
            fn terraform_1_15_5() {
                if $crate::tools_ready() {
                    super::$case($crate::Tf::V1_15_5);
                }
            }
        }
    )*};
}

/// A self-signed certificate for `names`, imported into the emulator's ACM (us-east-1, where
/// CloudFront's certificates live too).
pub fn import_certificate(emulator: &Emulator, names: &[&str]) -> String {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let certified = rcgen::generate_simple_self_signed(names).expect("certificate");
    block_on(async {
        emulator
            .acm()
            .import_certificate()
            .certificate(aws_sdk_acm::primitives::Blob::new(certified.cert.pem()))
            .private_key(aws_sdk_acm::primitives::Blob::new(
                certified.signing_key.serialize_pem(),
            ))
            .send()
            .await
            .expect("import certificate")
            .certificate_arn()
            .expect("arn")
            .to_string()
    })
}

/// Failed checks of one test, reported together at the end so one run shows every problem.
/// A Terraform command that later steps depend on still stops the test at once.
pub struct Checks {
    label: String,
    failures: Vec<String>,
}

impl Checks {
    pub fn new(tf: Tf) -> Checks {
        Checks::labelled(format!("{tf:?}"))
    }

    /// Checks of one example module on one Terraform version.
    pub fn for_example(example: &str, tf: Tf) -> Checks {
        Checks::labelled(format!("example {example}, {tf:?}"))
    }

    fn labelled(label: String) -> Checks {
        Checks {
            label,
            failures: Vec::new(),
        }
    }

    /// What the checks are of, as failures name it.
    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            let what = what();
            eprintln!("CHECK FAILED ({}): {what}", self.label);
            self.failures.push(what);
        }
    }

    pub fn eq<T: PartialEq + std::fmt::Debug>(&mut self, what: &str, actual: T, expected: T) {
        let ok = actual == expected;
        self.check(ok, || {
            format!("{what}: got {actual:?}, expected {expected:?}")
        });
    }

    pub fn finish(self) {
        assert!(
            self.failures.is_empty(),
            "{} check(s) failed ({}):\n- {}",
            self.failures.len(),
            self.label,
            self.failures.join("\n- ")
        );
    }
}

/// Decodes `%XX` and `+` (IAM returns policy documents URL-encoded).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                if let Ok(b) = u8::from_str_radix(hex, 16) {
                    out.push(b);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_tools_fail_unless_skipped_on_purpose() {
        let empty = repo_root()
            .join("target/acceptance")
            .join(unique("no-tools-"));
        std::fs::create_dir_all(&empty).unwrap();
        assert!(!tools_ready_in(&empty, Some("skip")));
        let silent = std::panic::catch_unwind(|| tools_ready_in(&empty, None));
        assert!(silent.is_err(), "missing tools must fail the test");
        let other = std::panic::catch_unwind(|| tools_ready_in(&empty, Some("1")));
        assert!(other.is_err());
    }
}
