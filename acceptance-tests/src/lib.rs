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

/// False (with a loud message) when the tools are missing outside CI; panics under CI.
pub fn tools_ready() -> bool {
    let ready = tools_dir().join("bin/terraform-1.0.3").exists()
        && tools_dir().join("bin/terraform-1.15.5").exists()
        && tools_dir().join("venv/bin/moto_server").exists();
    if !ready {
        assert!(
            std::env::var_os("CI").is_none(),
            "test tools missing under CI: run .ci/install-tools.sh"
        );
        eprintln!("SKIP: tools not installed, run .ci/install-tools.sh");
    }
    ready
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
        let child = Command::new(tools_dir().join("venv/bin/moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .env("MOTO_ACM_VALIDATION_WAIT", "0")
            .env("MOTO_ALLOW_NONEXISTENT_REGION", "true")
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start moto_server");
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

    /// An EC2 client against this emulator.
    pub fn ec2(&self) -> aws_sdk_ec2::Client {
        let creds =
            aws_credential_types::Credentials::new("testing", "testing", None, None, "acceptance");
        let config = aws_sdk_ec2::Config::builder()
            .behavior_version(aws_sdk_ec2::config::BehaviorVersion::latest())
            .region(aws_sdk_ec2::config::Region::new("us-east-1"))
            .credentials_provider(creds)
            .endpoint_url(self.endpoint())
            .build();
        aws_sdk_ec2::Client::from_conf(config)
    }
}

impl Drop for Emulator {
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
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Workspace {
    pub fn new(tf: Tf, emulator: &Emulator) -> Workspace {
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
            endpoint: emulator.endpoint(),
        }
    }

    /// Writes `main.tf` with the provider requirements prepended.
    pub fn write_config(&self, body: &str) {
        let config = format!(
            "terraform {{\n  required_providers {{\n    platform = {{\n      source  = \"{SOURCE}\"\n      version = \"{VERSION}\"\n    }}\n  }}\n}}\n\nprovider \"platform\" {{}}\n\n{body}\n"
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
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_MAX_ATTEMPTS", "1");
        command
    }

    /// Runs Terraform and returns what happened, whatever the exit code.
    pub fn run(&self, args: &[&str]) -> Run {
        let output: Output = self.command(args).output().expect("run terraform");
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
