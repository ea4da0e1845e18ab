//! Hand-parsed command line: `release`, `registry`, `mirror`, `verify`.
//!
//! Flags are `--name value` or `--name=value`; repeatable ones collect every value. Usage
//! errors are refusals (exit status 2), like every other request the tool turns down.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

use crate::artifacts::{read_releases, signature_name, sums_name, Release};
use crate::mirror::{mirror, MirrorRequest};
use crate::registry::{registry, RegistryRequest};
use crate::release::{release, ReleaseRequest, Repo};
use crate::{openpgp, refuse};

pub const USAGE: &str = "\
usage:
  platform-release release --version <V> --key <GPG key id or fingerprint> --out <DIR>
      [--platform <os_arch>]...         default: linux_amd64 linux_arm64
      [--prebuilt <os_arch>=<PATH>]...  package this binary instead of building that platform
      [--gnupg-home <DIR>]              gpg --homedir
      [--source-date-epoch <N>]         zip mtimes; default $SOURCE_DATE_EPOCH, else 2020-01-01
  platform-release registry --release <DIR> --out <DIR> --namespace <NS> [--type platform]
      [--version <V>]
  platform-release mirror --release <DIR> --out <DIR> --host <HOST> --namespace <NS>
      [--type platform] [--version <V>]
  platform-release verify --release <DIR> [--version <V>]

--version must equal the [package] version of the Cargo.toml in the workspace this tool was
built from; the repository root is fixed at compile time (CARGO_MANIFEST_DIR/..).
Exit status: 0 success, 1 failure, 2 refused (bad input, or it would change a published file).
";

/// Parsed `--flag value` pairs.
#[derive(Debug, Default)]
struct Flags {
    values: BTreeMap<String, Vec<String>>,
}

impl Flags {
    /// Parses `args`, accepting only `allowed` flags; `repeatable` ones may appear many times.
    fn parse(args: &[String], allowed: &[&str], repeatable: &[&str]) -> anyhow::Result<Flags> {
        let mut flags = Flags::default();
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            let Some(body) = arg.strip_prefix("--") else {
                return Err(refuse(format!("unexpected argument {arg:?}\n\n{USAGE}")));
            };
            let (name, value) = match body.split_once('=') {
                Some((name, value)) => (name, value.to_string()),
                None => {
                    if !allowed.contains(&body) {
                        return Err(refuse(format!("unknown flag --{body}\n\n{USAGE}")));
                    }
                    let value = iter
                        .next()
                        .ok_or_else(|| refuse(format!("--{body} needs a value")))?;
                    (body, value.clone())
                }
            };
            if !allowed.contains(&name) {
                return Err(refuse(format!("unknown flag --{name}\n\n{USAGE}")));
            }
            let values = flags.values.entry(name.to_string()).or_default();
            if !values.is_empty() && !repeatable.contains(&name) {
                return Err(refuse(format!("--{name} is given twice")));
            }
            values.push(value);
        }
        Ok(flags)
    }

    fn optional(&self, name: &str) -> Option<String> {
        self.values.get(name).and_then(|v| v.first()).cloned()
    }

    fn required(&self, name: &str) -> anyhow::Result<String> {
        self.optional(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| refuse(format!("--{name} is required\n\n{USAGE}")))
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.values.get(name).cloned().unwrap_or_default()
    }
}

/// Runs one command line (without the program name).
///
/// # Errors
///
/// Refusals (exit 2) and failures (exit 1), as `main` maps them.
pub fn run(args: &[String]) -> anyhow::Result<()> {
    let Some((command, rest)) = args.split_first() else {
        return Err(refuse(format!("no command given\n\n{USAGE}")));
    };
    if rest.iter().any(|a| a == "--help" || a == "-h") || command == "help" || command == "--help" {
        print!("{USAGE}");
        return Ok(());
    }
    match command.as_str() {
        "release" => run_release(rest),
        "registry" => run_registry(rest),
        "mirror" => run_mirror(rest),
        "verify" => run_verify(rest),
        other => Err(refuse(format!("unknown command {other:?}\n\n{USAGE}"))),
    }
}

fn run_release(args: &[String]) -> anyhow::Result<()> {
    let flags = Flags::parse(
        args,
        &[
            "version",
            "key",
            "out",
            "platform",
            "prebuilt",
            "gnupg-home",
            "source-date-epoch",
        ],
        &["platform", "prebuilt"],
    )?;
    let mut prebuilt = Vec::new();
    for value in flags.all("prebuilt") {
        let (platform, path) = value
            .split_once('=')
            .filter(|(p, path)| !p.is_empty() && !path.is_empty())
            .ok_or_else(|| refuse(format!("--prebuilt {value:?} is not <os_arch>=<PATH>")))?;
        prebuilt.push((platform.to_string(), PathBuf::from(path)));
    }
    let source_date_epoch = flags
        .optional("source-date-epoch")
        .map(|text| {
            text.parse::<i64>()
                .map_err(|_| refuse(format!("--source-date-epoch {text:?} is not an integer")))
        })
        .transpose()?;
    let request = ReleaseRequest {
        version: flags.required("version")?,
        key: flags.required("key")?,
        out: PathBuf::from(flags.required("out")?),
        platforms: flags.all("platform"),
        prebuilt,
        gnupg_home: flags.optional("gnupg-home").map(PathBuf::from),
        source_date_epoch,
    };
    let summary = release(&request, &Repo::compiled_in())?;
    println!(
        "released terraform-provider-platform {} into {} (signed by key {})",
        summary.version,
        summary.out.display(),
        summary.key_id
    );
    for file in &summary.files {
        println!("  {}", file.name);
        println!("    sha256 {}", file.sha256);
        if let Some(h1) = &file.h1 {
            println!("    {h1}");
        }
    }
    Ok(())
}

fn run_registry(args: &[String]) -> anyhow::Result<()> {
    let flags = Flags::parse(
        args,
        &["release", "out", "namespace", "type", "version"],
        &[],
    )?;
    let request = RegistryRequest {
        release_dir: PathBuf::from(flags.required("release")?),
        out: PathBuf::from(flags.required("out")?),
        namespace: flags.required("namespace")?,
        provider_type: flags.optional("type").unwrap_or_else(|| "platform".into()),
        version: flags.optional("version"),
    };
    let summary = registry(&request)?;
    println!(
        "registry tree {}: {}/{} published {}; serves {}",
        request.out.display(),
        request.namespace,
        request.provider_type,
        summary.published.join(", "),
        summary.all_versions.join(", ")
    );
    for document in &summary.documents {
        println!("  {document}");
    }
    Ok(())
}

fn run_mirror(args: &[String]) -> anyhow::Result<()> {
    let flags = Flags::parse(
        args,
        &["release", "out", "host", "namespace", "type", "version"],
        &[],
    )?;
    let request = MirrorRequest {
        release_dir: PathBuf::from(flags.required("release")?),
        out: PathBuf::from(flags.required("out")?),
        host: flags.required("host")?,
        namespace: flags.required("namespace")?,
        provider_type: flags.optional("type").unwrap_or_else(|| "platform".into()),
        version: flags.optional("version"),
    };
    let summary = mirror(&request)?;
    println!(
        "network mirror {}: published {}; serves {}",
        summary.dir.display(),
        summary.published.join(", "),
        summary.all_versions.join(", ")
    );
    Ok(())
}

fn run_verify(args: &[String]) -> anyhow::Result<()> {
    let flags = Flags::parse(args, &["release", "version"], &[])?;
    let dir = PathBuf::from(flags.required("release")?);
    for release in read_releases(&dir, flags.optional("version").as_deref())? {
        let key_id = release.key_id()?;
        verify_signature(&dir, &release)?;
        println!(
            "{} ok: {} zips, checksums match, signature by {key_id} verifies",
            release.text(),
            release.zips.len()
        );
    }
    Ok(())
}

/// Verifies the checksum file's signature with `gpgv` and only the release's own key, in a
/// throwaway home directory (gpgv starts no agent).
fn verify_signature(dir: &Path, release: &Release) -> anyhow::Result<()> {
    let v = release.text();
    let armored = release.signing_key.as_deref().unwrap_or_default();
    let keyring = openpgp::dearmor(armored, "PUBLIC KEY BLOCK")?;
    let home = std::env::temp_dir().join(format!("platform-release-verify-{}", std::process::id()));
    std::fs::create_dir_all(&home)?;
    let keyring_path = home.join("keyring.gpg");
    let result = std::fs::write(&keyring_path, keyring)
        .context("writing the temporary keyring")
        .and_then(|()| {
            Command::new("gpgv")
                .arg("--homedir")
                .arg(&home)
                .arg("--keyring")
                .arg(&keyring_path)
                .arg(dir.join(signature_name(v)))
                .arg(dir.join(sums_name(v)))
                .output()
                .context("running gpgv")
        });
    let _ = std::fs::remove_dir_all(&home);
    let output = result?;
    if !output.status.success() {
        return Err(refuse(format!(
            "{} does not verify with {}: {}",
            signature_name(v),
            crate::artifacts::signing_key_name(v),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn parses_separate_and_joined_values_and_repeats() {
        let args = strings(&[
            "--out",
            "d",
            "--platform=linux_amd64",
            "--platform",
            "linux_arm64",
        ]);
        let flags = Flags::parse(&args, &["out", "platform"], &["platform"]).unwrap();
        assert_eq!(flags.required("out").unwrap(), "d");
        assert_eq!(flags.all("platform"), ["linux_amd64", "linux_arm64"]);
        assert_eq!(flags.optional("missing"), None);
    }

    #[test]
    fn refuses_usage_mistakes() {
        let cases: [(&[&str], &str); 5] = [
            (&["--bogus", "x"], "unknown flag --bogus"),
            (&["--out"], "needs a value"),
            (&["positional"], "unexpected argument"),
            (&["--out", "a", "--out", "b"], "given twice"),
            (&["--bogus=x"], "unknown flag --bogus"),
        ];
        for (args, why) in cases {
            let error = Flags::parse(&strings(args), &["out"], &[]).unwrap_err();
            assert!(crate::is_refusal(&error));
            assert!(error.to_string().contains(why), "{args:?}: {error}");
        }
        for args in [&[][..], &["publish"][..], &["release", "--out", "x"][..]] {
            let error = run(&strings(args)).unwrap_err();
            assert!(crate::is_refusal(&error), "{args:?}: {error}");
        }
        let error = run(&strings(&[
            "release",
            "--version",
            "0.1.0",
            "--key",
            "k",
            "--out",
            "o",
            "--prebuilt",
            "linux_amd64",
        ]))
        .unwrap_err();
        assert!(error.to_string().contains("<os_arch>=<PATH>"), "{error}");
    }
}
