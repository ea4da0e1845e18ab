//! The real `platform-release` binary end to end: release with prebuilt placeholder binaries
//! and a throwaway RSA key, then `registry`, `mirror` and `verify`; checked with gpg, the zip
//! crate and SHA-256 computed here. Also the refusals that must happen before anything is
//! written. Terraform itself is not started (the Terraform e2e tests do that).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use platform_release::openpgp::key_id_from_armored;
use platform_release::registry::resolve_reference;
use serde_json::Value;
use sha2::{Digest, Sha256};

const BIN: &str = env!("CARGO_BIN_EXE_platform-release");

/// A throwaway GnuPG home under /tmp (agent socket paths must stay short); its agent is killed
/// when the value drops.
struct GnupgHome {
    dir: tempfile::TempDir,
}

impl GnupgHome {
    fn new() -> GnupgHome {
        let dir = tempfile::Builder::new()
            .prefix("prgpg")
            .tempdir_in("/tmp")
            .unwrap();
        GnupgHome { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn gpg(&self) -> Command {
        let mut command = Command::new("gpg");
        command.arg("--batch").arg("--homedir").arg(self.path());
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        let output = self.gpg().args(args).output().unwrap();
        assert!(output.status.success(), "gpg {args:?}: {}", stderr(&output));
        output
    }

    /// RSA 3072, signing only, no passphrase, no expiry (docs/design/releases.md §1.4).
    fn generate_rsa(&self, name: &str) -> String {
        let parameters = self.path().join("key-parameters");
        std::fs::write(
            &parameters,
            format!(
                "%no-protection\nKey-Type: RSA\nKey-Length: 3072\nKey-Usage: sign\n\
                 Name-Real: {name}\nName-Email: {name}@example.test\nExpire-Date: 0\n%commit\n"
            ),
        )
        .unwrap();
        self.run(&["--gen-key", parameters.to_str().unwrap()]);
        self.fingerprint(name)
    }

    /// Ed25519, what GnuPG ≥ 2.3 makes by default, and what Terraform 1.0.3 cannot verify.
    fn generate_ed25519(&self, name: &str) -> String {
        let uid = format!("{name} <{name}@example.test>");
        self.run(&[
            "--passphrase",
            "",
            "--quick-gen-key",
            &uid,
            "ed25519",
            "sign",
            "never",
        ]);
        self.fingerprint(name)
    }

    /// `(algorithm, key ID, fingerprint)` of the primary key, as gpg lists it.
    fn primary_key(&self, name: &str) -> (String, String, String) {
        let output = self.run(&["--with-colons", "--list-keys", name]);
        let text = String::from_utf8(output.stdout).unwrap();
        let fields = |record: &str| -> Vec<String> {
            let line = text.lines().find(|l| l.starts_with(record)).unwrap();
            line.split(':').map(str::to_string).collect()
        };
        let public = fields("pub:");
        (
            public[3].clone(),
            public[4].clone(),
            fields("fpr:")[9].clone(),
        )
    }

    fn fingerprint(&self, name: &str) -> String {
        self.primary_key(name).2
    }
}

impl Drop for GnupgHome {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .arg("--homedir")
            .arg(self.path())
            .args(["--kill", "gpg-agent"])
            .output();
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn run_tool(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap()
}

fn assert_success(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what}: status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        stderr(output)
    );
}

fn assert_refused(output: &Output, why: &str) {
    assert_eq!(
        output.status.code(),
        Some(2),
        "want a refusal; stderr:\n{}",
        stderr(output)
    );
    assert!(
        stderr(output).contains(why),
        "want {why:?} in:\n{}",
        stderr(output)
    );
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn root_version() -> String {
    let cargo_toml = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    platform_release::version::package_version(&cargo_toml).unwrap()
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn release_registry_and_mirror_end_to_end() {
    let version = root_version();
    let v = version.as_str();
    let home = GnupgHome::new();
    let fingerprint = home.generate_rsa("release-e2e");
    let temp = tempfile::tempdir().unwrap();
    let amd64 = temp.path().join("provider-amd64");
    let arm64 = temp.path().join("provider-arm64");
    std::fs::write(&amd64, b"#!/bin/sh\necho placeholder amd64 provider\n").unwrap();
    std::fs::write(&arm64, b"#!/bin/sh\necho placeholder arm64 provider\n").unwrap();
    let out = temp.path().join("dist");
    let release_args = |out: &Path| -> Vec<String> {
        [
            "release",
            "--version",
            v,
            "--key",
            &fingerprint,
            "--out",
            s(out),
            "--prebuilt",
            &format!("linux_amd64={}", s(&amd64)),
            "--prebuilt",
            &format!("linux_arm64={}", s(&arm64)),
            "--gnupg-home",
            s(home.path()),
            "--source-date-epoch",
            "1700000000",
        ]
        .iter()
        .map(|a| a.to_string())
        .collect()
    };
    let args = release_args(&out);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = run_tool(&args);
    assert_success(&output, "release");

    // Exactly the six artifacts, no staging directory left behind.
    let p = format!("terraform-provider-platform_{v}");
    let zip_amd64 = format!("{p}_linux_amd64.zip");
    let zip_arm64 = format!("{p}_linux_arm64.zip");
    let manifest = format!("{p}_manifest.json");
    let sums = format!("{p}_SHA256SUMS");
    let signature = format!("{p}_SHA256SUMS.sig");
    let key = format!("{p}_signing_key.asc");
    let mut want = vec![
        zip_amd64.clone(),
        zip_arm64.clone(),
        manifest.clone(),
        sums.clone(),
        signature.clone(),
        key.clone(),
    ];
    want.sort();
    assert_eq!(file_names(&out), want);

    // The summary names every file, with sha256 and an h1: per zip.
    let summary = String::from_utf8(output.stdout.clone()).unwrap();
    for name in &want {
        assert!(
            summary.contains(name.as_str()),
            "{name} in summary:\n{summary}"
        );
    }
    assert_eq!(summary.matches("h1:").count(), 2, "{summary}");
    assert_eq!(summary.matches("sha256 ").count(), 6, "{summary}");

    let manifest_bytes = std::fs::read(out.join(&manifest)).unwrap();
    assert_eq!(
        manifest_bytes,
        std::fs::read(repo_root().join("terraform-registry-manifest.json")).unwrap()
    );

    // `sha256sum -c`, by hand: every line matches its file; the format Terraform needs.
    let sums_text = std::fs::read_to_string(out.join(&sums)).unwrap();
    let mut listed = Vec::new();
    for line in sums_text.split_inclusive('\n') {
        let line = line
            .strip_suffix('\n')
            .expect("every line ends with a newline");
        let (digest, name) = line.split_once("  ").expect("two spaces");
        assert!(!name.starts_with('*') && !name.contains(' '), "{line:?}");
        assert_eq!(digest.len(), 64);
        assert!(
            digest
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
            "{line:?}"
        );
        assert_eq!(
            sha256_hex(&std::fs::read(out.join(name)).unwrap()),
            digest,
            "{name}"
        );
        listed.push(name.to_string());
    }
    let mut want_listed = vec![manifest.clone(), zip_amd64.clone(), zip_arm64.clone()];
    want_listed.sort();
    assert_eq!(
        listed, want_listed,
        "every zip and the manifest, sorted by name"
    );
    assert!(!sums_text.contains("\n\n"));

    // Zips: one executable at the root, mode 0755, the prebuilt bytes, the fixed mtime.
    for (zip_name, binary) in [(&zip_amd64, &amd64), (&zip_arm64, &arm64)] {
        let bytes = std::fs::read(out.join(zip_name)).unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(archive.len(), 1, "{zip_name}");
        let mut entry = archive.by_index(0).unwrap();
        assert_eq!(
            entry.name().unwrap(),
            format!("terraform-provider-platform_v{v}")
        );
        assert!(entry.is_file());
        assert_eq!(entry.unix_mode(), Some(0o100_755));
        let modified = entry.last_modified().unwrap();
        // 1700000000 is 2023-11-14T22:13:20Z.
        assert_eq!(
            (
                modified.year(),
                modified.month(),
                modified.day(),
                modified.hour(),
                modified.minute()
            ),
            (2023, 11, 14, 22, 13)
        );
        let mut body = Vec::new();
        entry.read_to_end(&mut body).unwrap();
        assert_eq!(body, std::fs::read(binary).unwrap());
    }

    // The signature is binary and verifies, also in a keyring holding only the published key.
    let signature_bytes = std::fs::read(out.join(&signature)).unwrap();
    assert!(
        signature_bytes[0] & 0x80 != 0,
        "binary OpenPGP, not armored"
    );
    home.run(&["--verify", s(&out.join(&signature)), s(&out.join(&sums))]);
    let fresh = GnupgHome::new();
    fresh.run(&["--import", s(&out.join(&key))]);
    fresh.run(&["--verify", s(&out.join(&signature)), s(&out.join(&sums))]);

    // The key ID parsed from the armored key in Rust is the one gpg reports.
    let armored = std::fs::read_to_string(out.join(&key)).unwrap();
    let (algorithm, gpg_key_id, gpg_fingerprint) = home.primary_key("release-e2e");
    assert_eq!(algorithm, "1", "RSA");
    assert_eq!(gpg_fingerprint, fingerprint);
    assert_eq!(key_id_from_armored(&armored).unwrap(), gpg_key_id);
    assert!(summary.contains(&gpg_key_id), "{summary}");

    // Never re-publish: the same out dir is refused; a second out dir gets the same bytes.
    let again = run_tool(&args);
    assert_refused(&again, "already holds files of version");
    let out2 = temp.path().join("dist2");
    let args2 = release_args(&out2);
    let args2: Vec<&str> = args2.iter().map(String::as_str).collect();
    assert_success(&run_tool(&args2), "second release");
    for name in [&zip_amd64, &zip_arm64, &manifest, &sums] {
        assert_eq!(
            std::fs::read(out.join(name)).unwrap(),
            std::fs::read(out2.join(name)).unwrap(),
            "{name} is reproducible"
        );
    }

    // Registry tree.
    let tree = temp.path().join("registry");
    let output = run_tool(&[
        "registry",
        "--release",
        s(&out),
        "--out",
        s(&tree),
        "--namespace",
        "acme",
    ]);
    assert_success(&output, "registry");
    assert_eq!(
        read_json(&tree.join(".well-known/terraform.json")),
        serde_json::json!({"providers.v1": "/v1/providers/"})
    );
    let versions = read_json(&tree.join("v1/providers/acme/platform/versions"));
    assert_eq!(versions["versions"][0]["version"], v);
    assert_eq!(
        versions["versions"][0]["protocols"],
        serde_json::json!(["6.0"])
    );
    for (arch, zip_name) in [("amd64", &zip_amd64), ("arm64", &zip_arm64)] {
        let document_path = format!("v1/providers/acme/platform/{v}/download/linux/{arch}");
        let document = read_json(&tree.join(&document_path));
        assert_eq!(document["os"], "linux");
        assert_eq!(document["arch"], arch);
        assert_eq!(document["filename"], zip_name.as_str());
        let zip_bytes = std::fs::read(out.join(zip_name)).unwrap();
        assert_eq!(document["shasum"], sha256_hex(&zip_bytes));
        let published_key = &document["signing_keys"]["gpg_public_keys"][0];
        assert_eq!(published_key["key_id"], gpg_key_id.as_str());
        assert_eq!(published_key["ascii_armor"], armored.as_str());
        for (field, file) in [
            ("download_url", zip_name),
            ("shasums_url", &sums),
            ("shasums_signature_url", &signature),
        ] {
            let url = document[field].as_str().unwrap();
            assert!(
                !url.starts_with('/') && !url.contains("://"),
                "relative: {url}"
            );
            let resolved = resolve_reference(&format!("/{document_path}"), url);
            assert_eq!(
                std::fs::read(tree.join(&resolved[1..])).unwrap(),
                std::fs::read(out.join(file)).unwrap(),
                "{field} → {resolved}"
            );
        }
    }

    // Network mirror tree.
    let mirror = temp.path().join("mirror");
    let output = run_tool(&[
        "mirror",
        "--release",
        s(&out),
        "--out",
        s(&mirror),
        "--host",
        "registry.example.test",
        "--namespace",
        "acme",
    ]);
    assert_success(&output, "mirror");
    let dir = mirror.join("registry.example.test/acme/platform");
    assert_eq!(
        read_json(&dir.join("index.json")),
        serde_json::json!({"versions": {v: {}}})
    );
    let archives = read_json(&dir.join(format!("{v}.json")));
    for (platform, zip_name) in [("linux_amd64", &zip_amd64), ("linux_arm64", &zip_arm64)] {
        let archive = &archives["archives"][platform];
        assert_eq!(archive["url"], zip_name.as_str());
        let zip_bytes = std::fs::read(dir.join(zip_name)).unwrap();
        assert_eq!(zip_bytes, std::fs::read(out.join(zip_name)).unwrap());
        let hashes: Vec<&str> = archive["hashes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h.as_str().unwrap())
            .collect();
        assert_eq!(hashes.len(), 2);
        assert!(
            hashes[0].starts_with("h1:") && summary.contains(hashes[0]),
            "{hashes:?}"
        );
        assert_eq!(hashes[1], format!("zh:{}", sha256_hex(&zip_bytes)));
    }
    let refused = run_tool(&[
        "mirror",
        "--release",
        s(&out),
        "--out",
        s(&mirror),
        "--host",
        "localhost:8443",
        "--namespace",
        "acme",
    ]);
    assert_refused(&refused, "has a port");

    // verify, then a tampered copy that registry and verify both refuse.
    assert_success(&run_tool(&["verify", "--release", s(&out)]), "verify");
    let tampered = temp.path().join("tampered");
    std::fs::create_dir(&tampered).unwrap();
    for name in file_names(&out) {
        std::fs::copy(out.join(&name), tampered.join(&name)).unwrap();
    }
    std::fs::write(tampered.join(&zip_amd64), b"not the zip").unwrap();
    let output = run_tool(&[
        "registry",
        "--release",
        s(&tampered),
        "--out",
        s(&tree),
        "--namespace",
        "acme",
    ]);
    assert_refused(&output, "does not match its line");
    // A valid zip from the other platform, with SHA256SUMS edited to match: every check but
    // the signature passes.
    let swapped = std::fs::read(out.join(&zip_arm64)).unwrap();
    std::fs::write(tampered.join(&zip_amd64), &swapped).unwrap();
    let original = sha256_hex(&std::fs::read(out.join(&zip_amd64)).unwrap());
    let edited = sums_text.replace(&original, &sha256_hex(&swapped));
    std::fs::write(tampered.join(&sums), edited).unwrap();
    assert_refused(
        &run_tool(&["verify", "--release", s(&tampered)]),
        "does not verify",
    );
}

#[test]
fn refuses_an_ed25519_signing_key() {
    let home = GnupgHome::new();
    let fingerprint = home.generate_ed25519("ed25519-key");
    let (algorithm, gpg_key_id, _) = home.primary_key("ed25519-key");
    assert_eq!(algorithm, "22", "EdDSA");

    // The key ID computation does not depend on the algorithm: it matches gpg here too.
    let export = home.run(&["--armor", "--export", &fingerprint]);
    let armored = String::from_utf8(export.stdout).unwrap();
    assert_eq!(key_id_from_armored(&armored).unwrap(), gpg_key_id);

    let temp = tempfile::tempdir().unwrap();
    let binary = temp.path().join("provider");
    std::fs::write(&binary, b"placeholder").unwrap();
    let out = temp.path().join("dist");
    let output = run_tool(&[
        "release",
        "--version",
        &root_version(),
        "--key",
        &fingerprint,
        "--out",
        s(&out),
        "--platform",
        "linux_amd64",
        "--prebuilt",
        &format!("linux_amd64={}", s(&binary)),
        "--gnupg-home",
        s(home.path()),
    ]);
    assert_refused(&output, "Terraform 1.0.3");
    assert!(
        stderr(&output).contains("public key type: 22"),
        "{}",
        stderr(&output)
    );
    assert!(
        !out.exists() || file_names(&out).is_empty(),
        "nothing written"
    );
}

#[test]
fn refuses_bad_input_before_writing_anything() {
    let version = root_version();
    let temp = tempfile::tempdir().unwrap();
    let binary = temp.path().join("provider");
    std::fs::write(&binary, b"placeholder").unwrap();
    let prebuilt = format!("linux_amd64={}", s(&binary));
    let out = temp.path().join("dist");
    let home = GnupgHome::new();
    let release = |version: &str, extra: &[&str]| {
        let mut args = vec![
            "release",
            "--version",
            version,
            "--key",
            "nobody@example.test",
            "--out",
            s(&out),
            "--gnupg-home",
            s(home.path()),
        ];
        args.extend_from_slice(extra);
        run_tool(&args)
    };
    let only_amd64 = ["--platform", "linux_amd64", "--prebuilt", prebuilt.as_str()];
    assert_refused(&release("0.1", &only_amd64), "not a semantic version");
    assert_refused(
        &release(&format!("v{version}"), &only_amd64),
        "leading \"v\"",
    );
    assert_refused(
        &release("99.0.0", &only_amd64),
        "differs from the root Cargo.toml",
    );
    assert_refused(
        &release(&version, &["--platform", "linux_x86_64"]),
        "unknown platform",
    );
    assert_refused(
        &release(&version, &["--platform", "darwin_arm64"]),
        "own build host",
    );
    assert_refused(
        &release(&version, &["--prebuilt", "linux_amd64=/nonexistent"]),
        "no such file",
    );
    assert_refused(&release(&version, &only_amd64), "no public key");
    // A keyring holding only the public half cannot sign.
    let signer = GnupgHome::new();
    let fingerprint = signer.generate_rsa("public-only");
    let public = signer.run(&["--export", &fingerprint]).stdout;
    let public_path = temp.path().join("public.gpg");
    std::fs::write(&public_path, public).unwrap();
    home.run(&["--import", s(&public_path)]);
    let mut public_only = only_amd64.to_vec();
    public_only.extend(["--key", fingerprint.as_str()]);
    let output = run_tool(
        &[
            &["release", "--version", &version, "--out", s(&out)][..],
            &["--gnupg-home", s(home.path())],
            &public_only,
        ]
        .concat(),
    );
    assert_refused(&output, "not its secret key");
    assert_refused(
        &run_tool(&["release", "--version", &version]),
        "--key is required",
    );
    assert_refused(&run_tool(&["publish"]), "unknown command");
    assert!(!out.exists(), "no refusal creates the out dir");
    let help = run_tool(&["--help"]);
    assert_success(&help, "help");
    assert!(String::from_utf8_lossy(&help.stdout).contains("platform-release release"));
}

/// The build path without a real cross build: a stand-in `cargo-zigbuild` on PATH records how
/// it was called and leaves a binary where cargo would.
#[test]
fn builds_platforms_without_prebuilt_binaries_with_cargo_zigbuild() {
    let home = GnupgHome::new();
    let fingerprint = home.generate_rsa("build-path");
    let temp = tempfile::tempdir().unwrap();
    let bin = temp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let fake = bin.join("cargo-zigbuild");
    std::fs::write(
        &fake,
        "#!/bin/sh\n\
         printf '%s\\n' \"$PWD\" \"$PATH\" \"$@\" > \"$ZIGBUILD_LOG\"\n\
         while [ $# -gt 0 ]; do [ \"$1\" = --target ] && target=$2; shift; done\n\
         mkdir -p \"$CARGO_TARGET_DIR/$target/release\"\n\
         printf 'built for %s\\n' \"$target\" > \"$CARGO_TARGET_DIR/$target/release/terraform-provider-platform\"\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let log = temp.path().join("zigbuild.log");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let out = temp.path().join("dist");
    let version = root_version();
    let output = Command::new(BIN)
        .args([
            "release",
            "--version",
            &version,
            "--key",
            &fingerprint,
            "--out",
            s(&out),
        ])
        .args(["--platform", "linux_arm64", "--gnupg-home", s(home.path())])
        .env("PATH", &path)
        .env("CARGO_TARGET_DIR", temp.path().join("target"))
        .env("ZIGBUILD_LOG", &log)
        .output()
        .unwrap();
    assert_success(&output, "release with a build");

    let log = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    let repo = repo_root();
    assert_eq!(lines[0], s(&repo), "runs in the repository root");
    let venv = repo.join(".tools/venv/bin");
    assert_eq!(
        lines[1],
        format!("{}:{path}", venv.display()),
        "tools venv first on PATH"
    );
    assert_eq!(
        &lines[2..],
        [
            "zigbuild",
            "--release",
            "--locked",
            "--target",
            "aarch64-unknown-linux-musl",
            "--bin",
            "terraform-provider-platform"
        ]
    );
    let zip = std::fs::read(out.join(format!(
        "terraform-provider-platform_{version}_linux_arm64.zip"
    )))
    .unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut body = String::new();
    archive
        .by_index(0)
        .unwrap()
        .read_to_string(&mut body)
        .unwrap();
    assert_eq!(body, "built for aarch64-unknown-linux-musl\n");
}
