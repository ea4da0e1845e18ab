//! End to end: a release cut with `platform-release` and signed with a throwaway RSA key, laid
//! out as a static private registry and as a network mirror, served over HTTPS on loopback with
//! a test CA, and installed by real Terraform 1.0.3 and 1.15.5.
//!
//! Checks: `init` verifies checksum and signature ("self-signed") and writes a lock file whose
//! `zh:` hashes are exactly the signed SHA256SUMS and whose `h1:` is the one `platform-release
//! mirror` computed; the installed binary runs (`validate`, `plan` against moto); a second
//! `init` on the same lock file passes; an untrusted CA, a tampered zip, a signature by another
//! key and a rebuilt release that the lock file does not know are all refused.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use acceptance_tests::{provider_binary, repo_root, tools_ready, unique, Emulator, Tf, Workspace};

const VERSION: &str = "0.1.0";
const NAMESPACE: &str = "acme";
const MIRROR_HOST: &str = "registry.example.test";

#[test]
fn registry_install_terraform_1_0_3() {
    if tools_ready() {
        registry_install(Tf::V1_0_3);
    }
}

#[test]
fn registry_install_terraform_1_15_5() {
    if tools_ready() {
        registry_install(Tf::V1_15_5);
    }
}

fn registry_install(tf: Tf) {
    let scratch = Scratch::new("registry-");
    let signer = Gpg::new_rsa(&scratch.path.join("gpg-release"), "Release Signer");
    let attacker = Gpg::new_rsa(&scratch.path.join("gpg-other"), "Someone Else");
    let ca = TestCa::new(&scratch.path.join("tls"));

    // The release, its registry tree and a network mirror inside the same served root.
    let release = scratch.path.join("release");
    cut_release(&release, &provider_binary(), &signer, 1_600_000_000);
    let good = scratch.path.join("good");
    platform_release(&[
        "registry",
        "--release",
        path_str(&release),
        "--out",
        path_str(&good),
        "--namespace",
        NAMESPACE,
    ]);
    platform_release(&[
        "mirror",
        "--release",
        path_str(&release),
        "--out",
        path_str(&good.join("mirror")),
        "--host",
        MIRROR_HOST,
        "--namespace",
        NAMESPACE,
    ]);
    let server = Server::start(&good, &ca, &scratch.path.join("good.log"));
    let signed_sums = sums_hashes(&release);
    let mirror_h1 = mirror_h1(&good.join("mirror"));

    let emulator = Emulator::start();

    // 1. A first install from the registry: checksum and signature verified, lock file written.
    let ws = RegistryWorkspace::new(tf, &emulator, &ca, &server.address());
    let init = ws.run(&["init", "-input=false", "-no-color"]);
    assert_eq!(
        init.code, 0,
        "init from the registry ({tf:?}):\n{}",
        init.all
    );
    assert!(
        init.all.contains("self-signed") && init.all.contains(&signer.key_id),
        "init should report a self-signed package by key {} ({tf:?}):\n{}",
        signer.key_id,
        init.all
    );
    let lock = ws.lock_hashes();
    let zh: BTreeSet<String> = lock
        .iter()
        .filter(|h| h.starts_with("zh:"))
        .cloned()
        .collect();
    assert_eq!(
        zh, signed_sums,
        "the lock file's zh: hashes should be every line of the signed SHA256SUMS ({tf:?})"
    );
    assert!(
        lock.contains(&mirror_h1),
        "Terraform's h1: for the package should equal the one platform-release computed ({mirror_h1}); lock file has {lock:?} ({tf:?})"
    );
    let served = server.requests();
    for wanted in [
        "/.well-known/terraform.json",
        "/v1/providers/acme/platform/versions",
        "/v1/providers/acme/platform/0.1.0/download/linux/amd64",
        "_SHA256SUMS.sig",
        "_linux_amd64.zip",
    ] {
        assert!(
            served.iter().any(|r| r.contains(wanted)),
            "the registry never served {wanted} ({tf:?}); requests: {served:?}"
        );
    }

    // 2. The installed binary is executable and is the provider.
    let validate = ws.run(&["validate", "-no-color"]);
    assert_eq!(
        validate.code, 0,
        "validate with the installed provider ({tf:?}):\n{}",
        validate.all
    );
    let plan = ws.run(&["plan", "-input=false", "-no-color"]);
    assert!(
        plan.code == 0
            && plan
                .all
                .contains("platform_environment.dev will be created"),
        "plan with the installed provider against the emulator ({tf:?}):\n{}",
        plan.all
    );

    // 3. A second init on the same lock file passes and leaves the lock file as it was.
    let lock_before = std::fs::read_to_string(ws.dir().join(".terraform.lock.hcl")).unwrap();
    std::fs::remove_dir_all(ws.dir().join(".terraform")).expect("remove .terraform");
    let again = ws.run(&["init", "-input=false", "-no-color"]);
    assert_eq!(
        again.code, 0,
        "second init on the lock file ({tf:?}):\n{}",
        again.all
    );
    let lock_after = std::fs::read_to_string(ws.dir().join(".terraform.lock.hcl")).unwrap();
    assert_eq!(
        lock_before, lock_after,
        "the second init changed the lock file ({tf:?})"
    );

    // 4. Without the test CA, the registry is not trusted.
    let untrusted = RegistryWorkspace::new(tf, &emulator, &ca, &server.address());
    let refused = untrusted.run_without_ca(&["init", "-input=false", "-no-color"]);
    assert_refused(tf, "an untrusted CA", &refused, &["certificate"]);

    // 5. A tampered zip is refused.
    let tampered = scratch.path.join("tampered-zip");
    copy_tree(&good, &tampered);
    flip_byte(&find_one(&tampered.join("releases"), "_linux_amd64.zip"));
    let tampered_server = Server::start(&tampered, &ca, &scratch.path.join("tampered.log"));
    let ws_tampered = RegistryWorkspace::new(tf, &emulator, &ca, &tampered_server.address());
    let refused = ws_tampered.run(&["init", "-input=false", "-no-color"]);
    assert_refused(tf, "a tampered zip", &refused, &["checksum"]);

    // 6. A signature by a key the registry does not list is refused.
    let resigned = scratch.path.join("other-signature");
    copy_tree(&good, &resigned);
    let sums = find_one(&resigned.join("releases"), "_SHA256SUMS");
    let sig = find_one(&resigned.join("releases"), "_SHA256SUMS.sig");
    attacker.detach_sign(&sums, &sig);
    let resigned_server = Server::start(&resigned, &ca, &scratch.path.join("resigned.log"));
    let ws_resigned = RegistryWorkspace::new(tf, &emulator, &ca, &resigned_server.address());
    let refused = ws_resigned.run(&["init", "-input=false", "-no-color"]);
    assert_refused(
        tf,
        "a signature by another key",
        &refused,
        &["unknown issuer"],
    );

    // 7. A different build of the same version, consistently signed by another key, is refused
    //    by the lock file of the first install. (Its contents must differ: the lock file's h1:
    //    covers what is inside the zip, so a re-zip of the same binary would still match.)
    let other_binary = scratch.path.join("terraform-provider-platform-rebuilt");
    let mut bytes = std::fs::read(provider_binary()).expect("provider binary");
    bytes.extend_from_slice(b"rebuilt elsewhere");
    std::fs::write(&other_binary, bytes).expect("rebuilt binary");
    let rebuilt_release = scratch.path.join("rebuilt-release");
    cut_release(&rebuilt_release, &other_binary, &attacker, 1_700_000_000);
    let rebuilt = scratch.path.join("rebuilt");
    platform_release(&[
        "registry",
        "--release",
        path_str(&rebuilt_release),
        "--out",
        path_str(&rebuilt),
        "--namespace",
        NAMESPACE,
    ]);
    let rebuilt_server = Server::start(&rebuilt, &ca, &scratch.path.join("rebuilt.log"));
    let ws_locked = RegistryWorkspace::new(tf, &emulator, &ca, &rebuilt_server.address());
    let lock = lock_before.replace(&server.address(), &rebuilt_server.address());
    std::fs::write(ws_locked.dir().join(".terraform.lock.hcl"), lock).expect("lock file");
    let refused = ws_locked.run(&["init", "-input=false", "-no-color"]);
    assert_refused(
        tf,
        "a rebuilt release the lock file does not know",
        &refused,
        &["checksums previously recorded in the dependency lock file"],
    );

    // 8. The network mirror: a port-less provider host, installed with verified h1: checksums.
    let ws_mirror = RegistryWorkspace::new_mirror(tf, &emulator, &ca, &server.address());
    let init = ws_mirror.run(&["init", "-input=false", "-no-color"]);
    assert_eq!(
        init.code, 0,
        "init from the network mirror ({tf:?}):\n{}",
        init.all
    );
    assert!(
        ws_mirror.lock_hashes().contains(&mirror_h1),
        "the mirror install should lock {mirror_h1} ({tf:?}): {:?}",
        ws_mirror.lock_hashes()
    );
    let validate = ws_mirror.run(&["validate", "-no-color"]);
    assert_eq!(
        validate.code, 0,
        "validate with the mirrored provider ({tf:?}):\n{}",
        validate.all
    );
}

fn assert_refused(tf: Tf, what: &str, run: &TfRun, expected: &[&str]) {
    assert_ne!(
        run.code, 0,
        "init should refuse {what} ({tf:?}):\n{}",
        run.all
    );
    let flat = run.all.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in expected {
        assert!(
            flat.contains(needle),
            "init refused {what} but without mentioning {needle:?} ({tf:?}):\n{}",
            run.all
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Release tooling
// ---------------------------------------------------------------------------------------------

fn release_binary() -> PathBuf {
    std::env::var_os("PLATFORM_RELEASE_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/debug/platform-release"))
}

fn platform_release(args: &[&str]) -> String {
    let binary = release_binary();
    assert!(
        binary.exists(),
        "{} missing: `cargo build -p platform-release` first",
        binary.display()
    );
    let output = Command::new(&binary)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run platform-release");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "platform-release {} failed:\n{all}",
        args.join(" ")
    );
    all
}

/// A release of `binary` as linux_amd64, signed by `gpg`'s key.
fn cut_release(out: &Path, binary: &Path, gpg: &Gpg, epoch: u64) {
    let prebuilt = format!("linux_amd64={}", binary.display());
    let epoch = epoch.to_string();
    platform_release(&[
        "release",
        "--version",
        VERSION,
        "--key",
        &gpg.fingerprint,
        "--gnupg-home",
        path_str(&gpg.home),
        "--out",
        path_str(out),
        "--platform",
        "linux_amd64",
        "--prebuilt",
        &prebuilt,
        "--source-date-epoch",
        &epoch,
    ]);
}

/// `zh:` + hash for every line of the release's SHA256SUMS.
fn sums_hashes(release: &Path) -> BTreeSet<String> {
    let sums = std::fs::read_to_string(find_one(release, "_SHA256SUMS")).expect("SHA256SUMS");
    sums.lines()
        .map(|line| {
            let hash = line.split("  ").next().unwrap_or_default();
            format!("zh:{hash}")
        })
        .collect()
}

/// The `h1:` hash that `platform-release mirror` published for linux_amd64.
fn mirror_h1(mirror: &Path) -> String {
    let path = mirror
        .join(MIRROR_HOST)
        .join(NAMESPACE)
        .join("platform")
        .join(format!("{VERSION}.json"));
    let text = std::fs::read_to_string(&path).expect("mirror version JSON");
    let json: serde_json::Value = serde_json::from_str(&text).expect("mirror JSON");
    json["archives"]["linux_amd64"]["hashes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| h.as_str())
        .find(|h| h.starts_with("h1:"))
        .unwrap_or_else(|| panic!("no h1: hash in {}: {text}", path.display()))
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Terraform against the served registry
// ---------------------------------------------------------------------------------------------

struct TfRun {
    code: i32,
    all: String,
}

/// A harness workspace whose CLI configuration installs from the served registry (or mirror)
/// instead of the filesystem mirror.
struct RegistryWorkspace {
    ws: Workspace,
    ca: PathBuf,
}

impl RegistryWorkspace {
    fn new(tf: Tf, emulator: &Emulator, ca: &TestCa, address: &str) -> RegistryWorkspace {
        let ws = Workspace::new(tf, emulator);
        std::fs::write(ws.dir.join("offline.tfrc"), "# direct installation\n").expect("tfrc");
        write_config(&ws.dir, &format!("{address}/{NAMESPACE}/platform"));
        RegistryWorkspace {
            ws,
            ca: ca.ca_pem.clone(),
        }
    }

    fn new_mirror(tf: Tf, emulator: &Emulator, ca: &TestCa, address: &str) -> RegistryWorkspace {
        let ws = Workspace::new(tf, emulator);
        std::fs::write(
            ws.dir.join("offline.tfrc"),
            format!(
                "provider_installation {{\n  network_mirror {{\n    url = \"https://{address}/mirror/\"\n  }}\n}}\n"
            ),
        )
        .expect("tfrc");
        write_config(&ws.dir, &format!("{MIRROR_HOST}/{NAMESPACE}/platform"));
        RegistryWorkspace {
            ws,
            ca: ca.ca_pem.clone(),
        }
    }

    fn dir(&self) -> &Path {
        &self.ws.dir
    }

    fn run(&self, args: &[&str]) -> TfRun {
        self.exec(args, true)
    }

    fn run_without_ca(&self, args: &[&str]) -> TfRun {
        self.exec(args, false)
    }

    fn exec(&self, args: &[&str], trust_ca: bool) -> TfRun {
        let mut command = self.ws.command(args);
        command
            .env("HOME", &self.ws.dir)
            .env_remove("SSL_CERT_DIR")
            .env("TF_REGISTRY_CLIENT_TIMEOUT", "60");
        if trust_ca {
            command.env("SSL_CERT_FILE", &self.ca);
        } else {
            // An empty bundle: nothing is trusted, as on a machine without the test CA.
            let empty = self.ws.dir.join("no-ca.pem");
            std::fs::write(&empty, "").expect("empty bundle");
            command.env("SSL_CERT_FILE", empty);
        }
        let output = command.output().expect("run terraform");
        TfRun {
            code: output.status.code().unwrap_or(-1),
            all: format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        }
    }

    /// Every hash the lock file records for the provider.
    fn lock_hashes(&self) -> BTreeSet<String> {
        let lock = std::fs::read_to_string(self.ws.dir.join(".terraform.lock.hcl"))
            .expect("lock file written by init");
        lock.split('"')
            .filter(|s| s.starts_with("h1:") || s.starts_with("zh:"))
            .map(str::to_string)
            .collect()
    }
}

fn write_config(dir: &Path, source: &str) {
    let config = format!(
        r#"terraform {{
  required_providers {{
    platform = {{
      source  = "{source}"
      version = "~> 0.1"
    }}
  }}
}}

provider "platform" {{}}

resource "platform_environment" "dev" {{
  name = "{name}"
  tier = "dev"
  network {{
    cidr = "10.40.0.0/16"
  }}
}}
"#,
        name = unique("reg")
    );
    std::fs::write(dir.join("main.tf"), config).expect("main.tf");
}

// ---------------------------------------------------------------------------------------------
// GnuPG, TLS and the HTTPS server
// ---------------------------------------------------------------------------------------------

/// A throwaway GnuPG home with one RSA 3072 signing key, no passphrase; its agent is killed and
/// the home removed on drop.
struct Gpg {
    home: PathBuf,
    fingerprint: String,
    key_id: String,
}

impl Gpg {
    fn new_rsa(home: &Path, name: &str) -> Gpg {
        std::fs::create_dir_all(home).expect("gnupg home");
        set_private(home);
        let params = format!(
            "%no-protection\nKey-Type: RSA\nKey-Length: 3072\nKey-Usage: sign\nName-Real: {name}\nName-Email: release@example.test\nExpire-Date: 0\n%commit\n"
        );
        let params_file = home.join("key-params");
        std::fs::write(&params_file, params).expect("key params");
        gpg(home, &["--batch", "--gen-key", path_str(&params_file)]);
        let listing = gpg(home, &["--with-colons", "--list-secret-keys"]);
        let fingerprint = listing
            .lines()
            .find(|l| l.starts_with("fpr:"))
            .and_then(|l| l.split(':').nth(9))
            .expect("fingerprint")
            .to_string();
        let key_id = fingerprint[fingerprint.len() - 16..].to_string();
        Gpg {
            home: home.to_path_buf(),
            fingerprint,
            key_id,
        }
    }

    fn detach_sign(&self, file: &Path, signature: &Path) {
        let _ = std::fs::remove_file(signature);
        gpg(
            &self.home,
            &[
                "--batch",
                "--local-user",
                &self.fingerprint,
                "--detach-sign",
                "--output",
                path_str(signature),
                path_str(file),
            ],
        );
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .args(["--homedir", path_str(&self.home), "--kill", "gpg-agent"])
            .output();
    }
}

fn gpg(home: &Path, args: &[&str]) -> String {
    let output = Command::new("gpg")
        .arg("--homedir")
        .arg(home)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run gpg");
    assert!(
        output.status.success(),
        "gpg {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[cfg(unix)]
fn set_private(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).expect("chmod 700");
}

/// A test CA and a server certificate for `localhost` and 127.0.0.1 signed by it.
struct TestCa {
    ca_pem: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

impl TestCa {
    fn new(dir: &Path) -> TestCa {
        use rcgen::{
            BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
            KeyUsagePurpose,
        };
        std::fs::create_dir_all(dir).expect("tls dir");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "terraform-provider-platform test CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().expect("CA key");
        let ca = CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA certificate");

        let server_params =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                .expect("server params");
        let server_key = KeyPair::generate().expect("server key");
        let server = server_params
            .signed_by(&server_key, &ca)
            .expect("server certificate");

        let paths = TestCa {
            ca_pem: dir.join("ca.pem"),
            cert: dir.join("server.pem"),
            key: dir.join("server-key.pem"),
        };
        std::fs::write(&paths.ca_pem, ca.pem()).expect("ca.pem");
        std::fs::write(&paths.cert, server.pem()).expect("server.pem");
        std::fs::write(&paths.key, server_key.serialize_pem()).expect("server-key.pem");
        paths
    }
}

/// `scripts/serve-registry.py` on a free loopback port; killed on drop.
struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Server {
    fn start(root: &Path, ca: &TestCa, log: &Path) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let log_file = std::fs::File::create(log).expect("server log");
        let child = Command::new(repo_root().join(".tools/venv/bin/python"))
            .arg(repo_root().join("scripts/serve-registry.py"))
            .args(["--root", path_str(root)])
            .args(["--cert", path_str(&ca.cert)])
            .args(["--key", path_str(&ca.key)])
            .args(["--port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .expect("start serve-registry.py");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "serve-registry.py did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Server {
            child,
            port,
            log: log.to_path_buf(),
        }
    }

    fn address(&self) -> String {
        format!("localhost:{}", self.port)
    }

    fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with("GET "))
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

/// A scratch directory under /tmp (GnuPG's socket paths must stay short), removed on success.
struct Scratch {
    path: PathBuf,
}

impl Scratch {
    fn new(prefix: &str) -> Scratch {
        let path = std::env::temp_dir().join(unique(prefix));
        std::fs::create_dir_all(&path).expect("scratch dir");
        Scratch { path }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !std::thread::panicking() && std::env::var_os("KEEP_WORKSPACES").is_none() {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("copy target");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// The one file under `dir` (recursively) whose name ends with `suffix`.
fn find_one(dir: &Path, suffix: &str) -> PathBuf {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().ends_with(suffix) {
                found.push(path);
            }
        }
    }
    assert_eq!(
        found.len(),
        1,
        "expected one *{suffix} under {}: {found:?}",
        dir.display()
    );
    found.remove(0)
}

/// Changes one byte in the middle of the file, as corruption or tampering would.
fn flip_byte(path: &Path) {
    let mut bytes = std::fs::read(path).expect("read");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(path, bytes).expect("write");
}
