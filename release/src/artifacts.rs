//! Names of the release artifacts (docs/design/releases.md §1) and reading a directory that holds
//! one or more versions of them, checked before anything is published from it.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::archive::check_provider_zip;
use crate::hashes::{parse_sha256sums, sha256_hex};
use crate::openpgp;
use crate::platform::Platform;
use crate::version::Version;
use crate::{refuse, PROVIDER_NAME};

/// `terraform-provider-platform_<V>_`: every artifact of a version starts with it.
pub fn version_prefix(version: &str) -> String {
    format!("{PROVIDER_NAME}_{version}_")
}

pub fn manifest_name(version: &str) -> String {
    format!("{PROVIDER_NAME}_{version}_manifest.json")
}

pub fn sums_name(version: &str) -> String {
    format!("{PROVIDER_NAME}_{version}_SHA256SUMS")
}

pub fn signature_name(version: &str) -> String {
    format!("{}.sig", sums_name(version))
}

pub fn signing_key_name(version: &str) -> String {
    format!("{PROVIDER_NAME}_{version}_signing_key.asc")
}

/// `protocol_versions` of a `terraform-registry-manifest.json`, `["5.0"]` when absent as the
/// registry protocol defines.
///
/// # Errors
///
/// A refusal for a manifest that is not format version 1 or lists malformed protocols.
pub fn manifest_protocols(manifest: &[u8]) -> anyhow::Result<Vec<String>> {
    let value: serde_json::Value = serde_json::from_slice(manifest)
        .map_err(|e| refuse(format!("the registry manifest is not JSON: {e}")))?;
    if value["version"] != 1 {
        return Err(refuse(
            "the registry manifest's \"version\" must be 1 (the manifest format, not the \
             provider version)",
        ));
    }
    let Some(protocols) = value["metadata"].get("protocol_versions") else {
        return Ok(vec!["5.0".to_string()]);
    };
    let protocols: Option<Vec<String>> = protocols.as_array().and_then(|items| {
        items
            .iter()
            .map(|p| p.as_str().filter(|p| is_protocol(p)).map(str::to_string))
            .collect()
    });
    protocols.ok_or_else(|| {
        refuse(
            "metadata.protocol_versions must be a list of \"MAJOR.MINOR\" strings, e.g. [\"6.0\"]",
        )
    })
}

fn is_protocol(text: &str) -> bool {
    text.split_once('.').is_some_and(|(major, minor)| {
        [major, minor]
            .iter()
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// One platform's zip of a release.
#[derive(Debug, Clone)]
pub struct ZipArtifact {
    pub platform: Platform,
    pub name: String,
    pub bytes: Vec<u8>,
    pub sha256: String,
}

/// Every artifact of one version, checked against its SHA256SUMS.
#[derive(Debug, Clone)]
pub struct Release {
    pub version: Version,
    /// Sorted by platform name.
    pub zips: Vec<ZipArtifact>,
    pub manifest: Vec<u8>,
    pub protocols: Vec<String>,
    pub sums: Vec<u8>,
    pub signature: Vec<u8>,
    /// The armored public key, when the release directory has one.
    pub signing_key: Option<String>,
}

impl Release {
    pub fn text(&self) -> &str {
        &self.version.text
    }

    /// Every file of the release with its name, zips first, as it is copied into trees.
    pub fn files(&self) -> Vec<(String, Vec<u8>)> {
        let version = self.text();
        let mut files: Vec<(String, Vec<u8>)> = self
            .zips
            .iter()
            .map(|z| (z.name.clone(), z.bytes.clone()))
            .collect();
        files.push((manifest_name(version), self.manifest.clone()));
        files.push((sums_name(version), self.sums.clone()));
        files.push((signature_name(version), self.signature.clone()));
        if let Some(key) = &self.signing_key {
            files.push((signing_key_name(version), key.clone().into_bytes()));
        }
        files
    }

    /// The key ID the registry publishes: the primary key's of the armored key.
    ///
    /// # Errors
    ///
    /// A refusal when the release has no `_signing_key.asc`; errors for a malformed key.
    pub fn key_id(&self) -> anyhow::Result<String> {
        let armored = self.signing_key.as_deref().ok_or_else(|| {
            refuse(format!(
                "release {} has no {}; the registry protocol publishes the signing key",
                self.text(),
                signing_key_name(self.text())
            ))
        })?;
        openpgp::key_id_from_armored(armored).context("reading the signing key")
    }
}

/// The versions in `dir`: every `terraform-provider-platform_<V>_SHA256SUMS`, sorted by semver
/// precedence.
///
/// # Errors
///
/// A refusal when there is none, or a checksum file names an invalid version.
pub fn versions_in(dir: &Path) -> anyhow::Result<Vec<Version>> {
    let mut versions = Vec::new();
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("listing release dir {}", dir.display()))?;
    for entry in entries {
        let name = entry?.file_name();
        let Some(name) = name.to_str() else { continue };
        let middle = name
            .strip_prefix(PROVIDER_NAME)
            .and_then(|rest| rest.strip_prefix('_'))
            .and_then(|rest| rest.strip_suffix("_SHA256SUMS"));
        if let Some(text) = middle {
            versions.push(Version::parse(text).map_err(|e| refuse(format!("{name}: {e}")))?);
        }
    }
    if versions.is_empty() {
        return Err(refuse(format!(
            "no {PROVIDER_NAME}_<version>_SHA256SUMS in {}: not a release directory",
            dir.display()
        )));
    }
    versions.sort_by(Version::precedence);
    Ok(versions)
}

/// Reads the releases in `dir`, all of them or only `only`.
///
/// # Errors
///
/// As [`versions_in`] and [`read_release`]; a refusal when `only` is not there.
pub fn read_releases(dir: &Path, only: Option<&str>) -> anyhow::Result<Vec<Release>> {
    let versions = versions_in(dir)?;
    let selected: Vec<&Version> = match only {
        Some(wanted) => {
            let found: Vec<&Version> = versions.iter().filter(|v| v.text == wanted).collect();
            if found.is_empty() {
                return Err(refuse(format!("no release {wanted} in {}", dir.display())));
            }
            found
        }
        None => versions.iter().collect(),
    };
    selected.into_iter().map(|v| read_release(dir, v)).collect()
}

/// Reads and checks one version: every SHA256SUMS line matches its file, the checksums list
/// every zip of the version and the manifest and nothing else, each zip has the shape of
/// docs/design/releases.md §1.1, the signature is binary and made by an RSA/DSA key, and (when
/// present) the armored key is the one that made it.
///
/// # Errors
///
/// A refusal for each of those problems.
pub fn read_release(dir: &Path, version: &Version) -> anyhow::Result<Release> {
    let v = version.text.as_str();
    let read = |name: &str| -> anyhow::Result<Vec<u8>> {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|e| refuse(format!("cannot read {}: {e}", path.display())))
    };
    let sums = read(&sums_name(v))?;
    let sums_text =
        std::str::from_utf8(&sums).map_err(|_| refuse(format!("{} is not UTF-8", sums_name(v))))?;
    let entries = parse_sha256sums(sums_text).with_context(|| sums_name(v))?;

    let mut zips = Vec::new();
    let mut manifest = None;
    for (name, digest) in &entries {
        let bytes = read(name)?;
        if sha256_hex(&bytes) != *digest {
            return Err(refuse(format!(
                "{name} does not match its line in {}",
                sums_name(v)
            )));
        }
        if *name == manifest_name(v) {
            manifest = Some(bytes);
            continue;
        }
        let platform = name
            .strip_prefix(&version_prefix(v))
            .and_then(|rest| rest.strip_suffix(".zip"))
            .map(Platform::find)
            .transpose()?
            .ok_or_else(|| {
                refuse(format!(
                    "{} lists {name}, which is not part of release {v}",
                    sums_name(v)
                ))
            })?;
        check_provider_zip(name, &bytes, &platform.executable_name(v))?;
        zips.push(ZipArtifact {
            platform,
            name: name.clone(),
            sha256: digest.clone(),
            bytes,
        });
    }
    let manifest = manifest.ok_or_else(|| {
        refuse(format!(
            "{} does not list {}",
            sums_name(v),
            manifest_name(v)
        ))
    })?;
    if zips.is_empty() {
        return Err(refuse(format!("{} lists no zip", sums_name(v))));
    }
    zips.sort_by_key(|z| z.platform.name());
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.starts_with(&version_prefix(v))
            && name.ends_with(".zip")
            && !entries.iter().any(|(listed, _)| *listed == name)
        {
            return Err(refuse(format!(
                "{name} is not listed in {}; Terraform would not find its checksum",
                sums_name(v)
            )));
        }
    }
    let protocols = manifest_protocols(&manifest)?;

    let signature = read(&signature_name(v))?;
    let info = openpgp::signature_info(&signature).with_context(|| signature_name(v))?;
    if !openpgp::verifiable_by_terraform(info.algorithm) {
        return Err(refuse(format!(
            "{} was made with {} (algorithm {}); Terraform 1.0.3 verifies only RSA and DSA",
            signature_name(v),
            openpgp::algorithm_name(info.algorithm),
            info.algorithm
        )));
    }
    let key_path = dir.join(signing_key_name(v));
    let signing_key = if key_path.exists() {
        let armored = std::fs::read_to_string(&key_path)
            .with_context(|| format!("reading {}", key_path.display()))?;
        check_signer(&armored, &info, v)?;
        Some(armored)
    } else {
        None
    };
    Ok(Release {
        version: version.clone(),
        zips,
        manifest,
        protocols,
        sums,
        signature,
        signing_key,
    })
}

/// Refuses a published key that cannot verify the signature: a wrong key, or one Terraform
/// cannot read.
fn check_signer(armored: &str, info: &openpgp::SignatureInfo, v: &str) -> anyhow::Result<()> {
    let binary =
        openpgp::dearmor(armored, "PUBLIC KEY BLOCK").with_context(|| signing_key_name(v))?;
    let keys = openpgp::key_packets(&binary).with_context(|| signing_key_name(v))?;
    let issuer = info.issuer_key_id.as_deref().unwrap_or("(none)");
    if !keys.iter().any(|k| k.key_id == issuer) {
        return Err(refuse(format!(
            "{} was made by key {issuer}, which is not in {}",
            signature_name(v),
            signing_key_name(v)
        )));
    }
    if let Some(key) = keys
        .iter()
        .find(|k| !openpgp::readable_by_terraform(k.algorithm))
    {
        return Err(refuse(format!(
            "{} holds a {} key ({}); Terraform 1.0.3 cannot read it",
            signing_key_name(v),
            openpgp::algorithm_name(key.algorithm),
            key.key_id
        )));
    }
    Ok(())
}

/// Every file of `release` copied under `dir`, for trees that mirror the release layout.
pub fn release_paths(dir: &Path, release: &Release) -> Vec<(PathBuf, Vec<u8>)> {
    release
        .files()
        .into_iter()
        .map(|(name, bytes)| (dir.join(name), bytes))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_protocols_from_the_manifest() {
        let repo_manifest = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../terraform-registry-manifest.json"
        ))
        .unwrap();
        assert_eq!(manifest_protocols(&repo_manifest).unwrap(), ["6.0"]);
        assert_eq!(
            manifest_protocols(br#"{"version":1,"metadata":{}}"#).unwrap(),
            ["5.0"]
        );
        for bad in [
            &br#"{"version":2,"metadata":{"protocol_versions":["6.0"]}}"#[..],
            br#"{"version":1,"metadata":{"protocol_versions":["6"]}}"#,
            br#"{"version":1,"metadata":{"protocol_versions":"6.0"}}"#,
            b"not json",
        ] {
            assert!(crate::is_refusal(&manifest_protocols(bad).unwrap_err()));
        }
    }

    #[test]
    fn names_artifacts_by_version() {
        assert_eq!(
            sums_name("0.1.0"),
            "terraform-provider-platform_0.1.0_SHA256SUMS"
        );
        assert_eq!(
            signature_name("0.1.0"),
            "terraform-provider-platform_0.1.0_SHA256SUMS.sig"
        );
        assert_eq!(
            manifest_name("0.1.0"),
            "terraform-provider-platform_0.1.0_manifest.json"
        );
        assert_eq!(
            signing_key_name("0.1.0"),
            "terraform-provider-platform_0.1.0_signing_key.asc"
        );
        // A pre-release's prefix cannot claim the release's files, or the other way round.
        assert!(!sums_name("0.1.0-rc.1").starts_with(&version_prefix("0.1.0")));
    }

    #[test]
    fn finds_versions_by_their_checksum_files() {
        let dir = tempfile::tempdir().unwrap();
        assert!(crate::is_refusal(&versions_in(dir.path()).unwrap_err()));
        for v in ["0.10.0", "0.2.0", "0.2.0-rc.1"] {
            std::fs::write(dir.path().join(sums_name(v)), "").unwrap();
        }
        std::fs::write(dir.path().join("unrelated_SHA256SUMS"), "").unwrap();
        let found: Vec<String> = versions_in(dir.path())
            .unwrap()
            .into_iter()
            .map(|v| v.text)
            .collect();
        assert_eq!(found, ["0.2.0-rc.1", "0.2.0", "0.10.0"]);
        std::fs::write(dir.path().join(sums_name("v1")), "").unwrap();
        assert!(crate::is_refusal(&versions_in(dir.path()).unwrap_err()));
    }
}
