//! The `release` command (docs/design/releases.md §1.5): per platform, build (or take) the
//! provider and zip it; copy the manifest; write SHA256SUMS, sign it, export the public key.
//!
//! Everything checkable is checked before the slow build: the version, the platforms, that the
//! output directory has no files of this version, and that the key suits Terraform. Files are
//! written into a staging directory and moved into `--out` only when all of them exist, so a
//! failed run never leaves half a release behind.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::archive::{provider_zip, zip_time_from_epoch, DEFAULT_SOURCE_DATE_EPOCH};
use crate::artifacts::{
    manifest_name, manifest_protocols, signature_name, signing_key_name, sums_name, version_prefix,
};
use crate::gpg::Gpg;
use crate::hashes::{h1_zip, sha256_hex, sha256sums};
use crate::platform::{Platform, DEFAULT_PLATFORMS, PLATFORMS};
use crate::version::check_release_version;
use crate::{build, openpgp, refuse};

/// The `release` command's arguments.
#[derive(Debug, Clone, Default)]
pub struct ReleaseRequest {
    pub version: String,
    /// Key ID or fingerprint, passed to gpg as `--local-user`.
    pub key: String,
    pub out: PathBuf,
    /// `--platform` values; empty means [`DEFAULT_PLATFORMS`].
    pub platforms: Vec<String>,
    /// `--prebuilt os_arch=PATH`: package this binary instead of building. Its platform is
    /// released even when `--platform` does not list it.
    pub prebuilt: Vec<(String, PathBuf)>,
    pub gnupg_home: Option<PathBuf>,
    /// Zip mtimes; `None` reads `SOURCE_DATE_EPOCH`, else [`DEFAULT_SOURCE_DATE_EPOCH`].
    pub source_date_epoch: Option<i64>,
}

/// Where the provider's sources are: the root package's Cargo.toml (the version) and
/// terraform-registry-manifest.json.
#[derive(Debug, Clone)]
pub struct Repo {
    pub root: PathBuf,
}

impl Repo {
    /// The workspace this binary was compiled in: `CARGO_MANIFEST_DIR/..`, fixed at compile
    /// time, so the tool works from any current directory (it is always run from a checkout,
    /// via `cargo run -p platform-release`). The files are read at run time.
    pub fn compiled_in() -> Repo {
        Repo {
            root: Path::new(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .expect("release/ has a parent")
                .to_path_buf(),
        }
    }

    fn read(&self, name: &str) -> anyhow::Result<Vec<u8>> {
        let path = self.root.join(name);
        std::fs::read(&path).with_context(|| format!("reading {}", path.display()))
    }
}

/// What one platform's binary comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BinarySource {
    Prebuilt(PathBuf),
    Build,
}

/// Resolves `--platform` and `--prebuilt` into the platforms to release, in table order.
///
/// # Errors
///
/// Refusals for unknown platforms, a platform given two prebuilt binaries, a prebuilt path that
/// is not a file, and a platform that would have to be built on another host.
pub fn plan_platforms(
    platforms: &[String],
    prebuilt: &[(String, PathBuf)],
) -> anyhow::Result<Vec<(Platform, BinarySource)>> {
    let mut wanted: Vec<Platform> = Vec::new();
    let names: Vec<&str> = if platforms.is_empty() {
        DEFAULT_PLATFORMS.to_vec()
    } else {
        platforms.iter().map(String::as_str).collect()
    };
    for name in names {
        wanted.push(Platform::find(name)?);
    }
    let mut sources: Vec<(Platform, PathBuf)> = Vec::new();
    for (name, path) in prebuilt {
        let platform = Platform::find(name)?;
        if sources.iter().any(|(p, _)| *p == platform) {
            return Err(refuse(format!("--prebuilt {name} is given twice")));
        }
        if !path.is_file() {
            return Err(refuse(format!(
                "--prebuilt {name}={}: no such file",
                path.display()
            )));
        }
        sources.push((platform, path.clone()));
        wanted.push(platform);
    }
    let mut plan = Vec::new();
    for platform in PLATFORMS.iter().filter(|p| wanted.contains(p)) {
        let source = match sources.iter().find(|(p, _)| p == platform) {
            Some((_, path)) => BinarySource::Prebuilt(path.clone()),
            None => {
                platform.check_builds_here()?;
                BinarySource::Build
            }
        };
        plan.push((*platform, source));
    }
    Ok(plan)
}

/// The zip mtime: `--source-date-epoch`, else `$SOURCE_DATE_EPOCH`, else 2020-01-01.
///
/// # Errors
///
/// A refusal for a `SOURCE_DATE_EPOCH` that is not an integer.
pub fn source_date_epoch(flag: Option<i64>, env: Option<&str>) -> anyhow::Result<i64> {
    if let Some(seconds) = flag {
        return Ok(seconds);
    }
    match env.map(str::trim).filter(|v| !v.is_empty()) {
        Some(text) => text.parse().map_err(|_| {
            refuse(format!(
                "SOURCE_DATE_EPOCH={text:?} is not a number of seconds"
            ))
        }),
        None => Ok(DEFAULT_SOURCE_DATE_EPOCH),
    }
}

/// Zips, manifest and SHA256SUMS (unsigned) for `binaries`, in that order. Pure: the same
/// input gives the same bytes.
///
/// # Errors
///
/// A source date outside the zip range; a manifest that is not a registry manifest.
pub fn package(
    version: &str,
    source_date_epoch: i64,
    binaries: &[(Platform, Vec<u8>)],
    manifest: &[u8],
) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    manifest_protocols(manifest)?;
    let mtime = zip_time_from_epoch(source_date_epoch)?;
    let mut files = Vec::new();
    for (platform, binary) in binaries {
        if binary.is_empty() {
            return Err(refuse(format!("the {} binary is empty", platform.name())));
        }
        let zip = provider_zip(&platform.executable_name(version), binary, mtime)?;
        files.push((platform.zip_name(version), zip));
    }
    files.push((manifest_name(version), manifest.to_vec()));
    let sums = sha256sums(&files);
    files.push((sums_name(version), sums.into_bytes()));
    Ok(files)
}

/// Files of `version` already in `out`.
fn existing_files(out: &Path, version: &str) -> anyhow::Result<Vec<String>> {
    let mut found = Vec::new();
    let entries = match std::fs::read_dir(out) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(e).with_context(|| format!("listing {}", out.display())),
    };
    for entry in entries {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.starts_with(&version_prefix(version)) {
            found.push(name);
        }
    }
    found.sort();
    Ok(found)
}

/// Refuses an output directory that already has files of `version`.
///
/// # Errors
///
/// A refusal listing them.
pub fn check_out_dir(out: &Path, version: &str) -> anyhow::Result<()> {
    let existing = existing_files(out, version)?;
    if existing.is_empty() {
        return Ok(());
    }
    Err(refuse(format!(
        "{} already holds files of version {version} ({}); a published version is never \
         rebuilt, because different bytes break every lock file that pinned it",
        out.display(),
        existing.join(", ")
    )))
}

/// One written file, for the summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSummary {
    pub name: String,
    pub sha256: String,
    /// `h1:` for zips, so users can pre-fill lock files.
    pub h1: Option<String>,
}

/// What `release` wrote.
#[derive(Debug, Clone)]
pub struct ReleaseSummary {
    pub version: String,
    pub out: PathBuf,
    pub key_id: String,
    pub files: Vec<FileSummary>,
}

/// Runs the `release` command.
///
/// # Errors
///
/// Refusals for bad input (exit 2); errors when a build, gpg or the file system fails.
pub fn release(request: &ReleaseRequest, repo: &Repo) -> anyhow::Result<ReleaseSummary> {
    let cargo_toml = String::from_utf8(repo.read("Cargo.toml")?).context("root Cargo.toml")?;
    let version = check_release_version(&request.version, &cargo_toml)?;
    let v = version.text.as_str();
    let plan = plan_platforms(&request.platforms, &request.prebuilt)?;
    check_out_dir(&request.out, v)?;
    let epoch = source_date_epoch(
        request.source_date_epoch,
        std::env::var("SOURCE_DATE_EPOCH").ok().as_deref(),
    )?;
    zip_time_from_epoch(epoch)?;
    let manifest = repo.read("terraform-registry-manifest.json")?;
    manifest_protocols(&manifest)?;
    if request.key.trim().is_empty() {
        return Err(refuse("--key needs a GnuPG key ID or fingerprint"));
    }
    let gpg = Gpg {
        homedir: request.gnupg_home.clone(),
    };
    gpg.check_signing_key(&request.key)?;

    let mut binaries = Vec::new();
    for (platform, source) in &plan {
        let path = match source {
            BinarySource::Prebuilt(path) => path.clone(),
            BinarySource::Build => build::build_provider(platform, &repo.root)?,
        };
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        binaries.push((*platform, bytes));
    }
    let files = package(v, epoch, &binaries, &manifest)?;

    std::fs::create_dir_all(&request.out)
        .with_context(|| format!("creating {}", request.out.display()))?;
    let staging = request.out.join(format!(".platform-release-{v}.staging"));
    let result = write_signed(&staging, files, &gpg, request, v);
    let outcome = result.and_then(|(names, key_id)| {
        // Checked again: another run may have published this version meanwhile.
        check_out_dir(&request.out, v)?;
        for name in &names {
            std::fs::rename(staging.join(name), request.out.join(name))
                .with_context(|| format!("moving {name} into {}", request.out.display()))?;
        }
        Ok((names, key_id))
    });
    // The staging directory is ours alone (named after this version); remove it either way.
    let _ = std::fs::remove_dir_all(&staging);
    let (names, key_id) = outcome?;

    let mut summary = Vec::new();
    for name in names {
        let bytes = std::fs::read(request.out.join(&name))?;
        let h1 = if name.ends_with(".zip") {
            Some(h1_zip(&bytes)?)
        } else {
            None
        };
        summary.push(FileSummary {
            sha256: sha256_hex(&bytes),
            name,
            h1,
        });
    }
    Ok(ReleaseSummary {
        version: v.to_string(),
        out: request.out.clone(),
        key_id,
        files: summary,
    })
}

/// Writes `files` into a fresh `staging`, signs the checksums, exports the key; returns every
/// file name and the key ID.
fn write_signed(
    staging: &Path,
    files: Vec<(String, Vec<u8>)>,
    gpg: &Gpg,
    request: &ReleaseRequest,
    v: &str,
) -> anyhow::Result<(Vec<String>, String)> {
    if staging.exists() {
        std::fs::remove_dir_all(staging)
            .with_context(|| format!("removing a stale {}", staging.display()))?;
    }
    std::fs::create_dir_all(staging)?;
    let mut names = Vec::new();
    for (name, bytes) in files {
        std::fs::write(staging.join(&name), bytes)?;
        names.push(name);
    }
    let sums = staging.join(sums_name(v));
    let signature_path = staging.join(signature_name(v));
    gpg.detach_sign(&request.key, &sums, &signature_path)?;
    let signature = std::fs::read(&signature_path)?;
    let info = openpgp::signature_info(&signature)?;
    if !openpgp::verifiable_by_terraform(info.algorithm) {
        return Err(refuse(format!(
            "gpg signed with {} (algorithm {}), which Terraform 1.0.3 cannot verify; use an \
             RSA or DSA key",
            openpgp::algorithm_name(info.algorithm),
            info.algorithm
        )));
    }
    names.push(signature_name(v));
    let armored = gpg.export_armored(&request.key)?;
    let binary_key = openpgp::dearmor(&armored, "PUBLIC KEY BLOCK")?;
    let keys = openpgp::key_packets(&binary_key)?;
    if !keys
        .iter()
        .any(|k| Some(&k.key_id) == info.issuer_key_id.as_ref())
    {
        anyhow::bail!(
            "the signature's issuer {:?} is not part of the exported key {}",
            info.issuer_key_id,
            keys[0].key_id
        );
    }
    std::fs::write(staging.join(signing_key_name(v)), &armored)?;
    names.push(signing_key_name(v));
    Ok((names, keys[0].key_id.clone()))
}

#[cfg(test)]
mod tests {
    use crate::archive::read_entries;
    use crate::hashes::parse_sha256sums;

    use super::*;

    const MANIFEST: &[u8] = br#"{"version":1,"metadata":{"protocol_versions":["6.0"]}}"#;

    fn binaries() -> Vec<(Platform, Vec<u8>)> {
        vec![
            (
                Platform::find("linux_amd64").unwrap(),
                b"amd64 provider".to_vec(),
            ),
            (
                Platform::find("linux_arm64").unwrap(),
                b"arm64 provider".to_vec(),
            ),
        ]
    }

    #[test]
    fn packages_zips_manifest_and_exactly_formatted_sums() {
        let files = package("0.1.0", DEFAULT_SOURCE_DATE_EPOCH, &binaries(), MANIFEST).unwrap();
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "terraform-provider-platform_0.1.0_linux_amd64.zip",
                "terraform-provider-platform_0.1.0_linux_arm64.zip",
                "terraform-provider-platform_0.1.0_manifest.json",
                "terraform-provider-platform_0.1.0_SHA256SUMS",
            ]
        );
        assert_eq!(files[2].1, MANIFEST, "the manifest is copied byte for byte");
        let sums = String::from_utf8(files[3].1.clone()).unwrap();
        let want: String = files[..3]
            .iter()
            .map(|(name, bytes)| format!("{}  {name}\n", sha256_hex(bytes)))
            .collect();
        assert_eq!(sums, want, "sorted by name, two spaces, manifest included");
        assert!(!sums.contains("\n\n") && !sums.contains('*') && sums.ends_with(".json\n"));
        for line in sums.lines() {
            let (digest, _) = line.split_once("  ").unwrap();
            assert!(digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()));
            assert_eq!(digest, digest.to_lowercase());
        }
        assert_eq!(parse_sha256sums(&sums).unwrap().len(), 3);
        for (name, bytes) in &files[..2] {
            let entries = read_entries(bytes).unwrap();
            assert_eq!(entries.len(), 1, "{name}");
            assert_eq!(entries[0].name, "terraform-provider-platform_v0.1.0");
            assert_eq!(entries[0].unix_mode, Some(0o100_755));
        }
    }

    #[test]
    fn packaging_is_reproducible() {
        let first = package("0.1.0", 1_700_000_000, &binaries(), MANIFEST).unwrap();
        let second = package("0.1.0", 1_700_000_000, &binaries(), MANIFEST).unwrap();
        assert_eq!(first, second);
        let other_time =
            package("0.1.0", DEFAULT_SOURCE_DATE_EPOCH, &binaries(), MANIFEST).unwrap();
        assert_ne!(first[0].1, other_time[0].1);
    }

    #[test]
    fn plans_default_prebuilt_and_refused_platforms() {
        let dir = tempfile::tempdir().unwrap();
        let binary = dir.path().join("provider");
        std::fs::write(&binary, b"x").unwrap();
        let prebuilt = |name: &str| (name.to_string(), binary.clone());

        let default = plan_platforms(&[], &[]).unwrap();
        let names: Vec<String> = default.iter().map(|(p, _)| p.name()).collect();
        assert_eq!(names, ["linux_amd64", "linux_arm64"]);
        assert!(default.iter().all(|(_, s)| *s == BinarySource::Build));

        let mixed = plan_platforms(&[], &[prebuilt("linux_arm64")]).unwrap();
        assert_eq!(mixed[0].1, BinarySource::Build);
        assert_eq!(mixed[1].1, BinarySource::Prebuilt(binary.clone()));

        // A prebuilt foreign platform joins the release; table order, not argument order.
        let with_darwin = plan_platforms(
            &["linux_amd64".to_string()],
            &[prebuilt("darwin_arm64"), prebuilt("linux_amd64")],
        )
        .unwrap();
        let names: Vec<String> = with_darwin.iter().map(|(p, _)| p.name()).collect();
        assert_eq!(names, ["linux_amd64", "darwin_arm64"]);

        let refusals = [
            plan_platforms(&["linux_riscv64".to_string()], &[]),
            plan_platforms(&["darwin_arm64".to_string()], &[]),
            plan_platforms(&[], &[prebuilt("linux_amd64"), prebuilt("linux_amd64")]),
            plan_platforms(
                &[],
                &[("linux_amd64".to_string(), dir.path().join("missing"))],
            ),
        ];
        for result in refusals {
            assert!(crate::is_refusal(&result.unwrap_err()));
        }
    }

    #[test]
    fn source_date_epoch_prefers_the_flag_then_the_environment() {
        assert_eq!(source_date_epoch(Some(5), Some("7")).unwrap(), 5);
        assert_eq!(
            source_date_epoch(None, Some("1700000000")).unwrap(),
            1_700_000_000
        );
        assert_eq!(
            source_date_epoch(None, Some("")).unwrap(),
            DEFAULT_SOURCE_DATE_EPOCH
        );
        assert_eq!(
            source_date_epoch(None, None).unwrap(),
            DEFAULT_SOURCE_DATE_EPOCH
        );
        assert!(crate::is_refusal(
            &source_date_epoch(None, Some("yesterday")).unwrap_err()
        ));
    }

    #[test]
    fn refuses_an_out_dir_holding_this_version() {
        let dir = tempfile::tempdir().unwrap();
        check_out_dir(&dir.path().join("missing"), "0.1.0").unwrap();
        std::fs::write(dir.path().join(sums_name("0.1.0-rc.1")), "").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "").unwrap();
        check_out_dir(dir.path(), "0.1.0").unwrap();
        std::fs::write(dir.path().join(manifest_name("0.1.0")), "").unwrap();
        let error = check_out_dir(dir.path(), "0.1.0").unwrap_err();
        assert!(crate::is_refusal(&error));
        assert!(error.to_string().contains("manifest.json"), "{error}");
    }
}
