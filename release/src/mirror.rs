//! The `mirror` command: a static provider network mirror tree (docs/design/releases.md §2.4),
//! the layout `terraform providers mirror` writes.
//!
//! ```text
//! <host>/<ns>/<type>/index.json   {"versions":{"<V>":{}}}, merged with earlier runs
//! <host>/<ns>/<type>/<V>.json     {"archives":{"<os>_<arch>":{"url":"<zip>","hashes":["h1:…","zh:…"]}}}
//! <host>/<ns>/<type>/<zip>        next to the JSON, so `url` is just the file name
//! ```
//!
//! Terraform accepts a network mirror only at an `https:` URL, and cannot install a provider
//! whose source address has a port from one, so `--host` takes no port.

use std::path::PathBuf;

use anyhow::Context;
use serde_json::{json, Map, Value};

use crate::artifacts::read_releases;
use crate::fsutil::{json_bytes, WritePlan};
use crate::hashes::{h1_zip, zh_hash};
use crate::refuse;
use crate::registry::{check_name_part, check_provider_type};
use crate::version::Version;

/// The `mirror` command's arguments.
#[derive(Debug, Clone)]
pub struct MirrorRequest {
    pub release_dir: PathBuf,
    pub out: PathBuf,
    /// The provider source address's host, e.g. `registry.example.test`.
    pub host: String,
    pub namespace: String,
    pub provider_type: String,
    pub version: Option<String>,
}

/// Checks `--host`: a lowercase DNS name without a port.
///
/// # Errors
///
/// A refusal for a port (Terraform 1.0.3 parses `host:port/…` as a URL scheme and fails with
/// "unsupported protocol scheme"), a scheme or path, or anything not a host name.
pub fn check_host(host: &str) -> anyhow::Result<()> {
    if host.contains("://") || host.contains('/') {
        return Err(refuse(format!(
            "--host {host:?} must be the provider address's host name only, without scheme or path"
        )));
    }
    if host.contains(':') {
        return Err(refuse(format!(
            "--host {host:?} has a port: Terraform 1.0.3 cannot install a provider whose source \
             address has a port from a network mirror (\"unsupported protocol scheme\"); use a \
             port-less host such as registry.example.test (the mirror never resolves it)"
        )));
    }
    let valid_label = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if host.split('.').all(valid_label) {
        return Ok(());
    }
    let hint = if host.bytes().any(|b| b.is_ascii_uppercase()) {
        " (Terraform lowercases host names, so use lowercase)"
    } else {
        ""
    };
    Err(refuse(format!("--host {host:?} is not a host name{hint}")))
}

/// The `<V>.json` document of one release's zips.
///
/// # Errors
///
/// A zip whose `h1:` cannot be computed.
pub fn version_document(release: &crate::artifacts::Release) -> anyhow::Result<Value> {
    let mut archives = Map::new();
    for zip in &release.zips {
        archives.insert(
            zip.platform.name(),
            json!({"url": zip.name, "hashes": [h1_zip(&zip.bytes)?, zh_hash(&zip.bytes)]}),
        );
    }
    Ok(json!({ "archives": archives }))
}

/// `versions` in semver order without duplicates; keys another tool wrote that are not semver
/// are kept, last.
pub fn ordered_versions(versions: &[String]) -> Vec<String> {
    let mut parsed: Vec<Version> = versions
        .iter()
        .filter_map(|v| Version::parse(v).ok())
        .collect();
    parsed.sort_by(Version::precedence);
    let mut others: Vec<String> = versions
        .iter()
        .filter(|v| Version::parse(v).is_err())
        .cloned()
        .collect();
    others.sort();
    let mut ordered: Vec<String> = parsed.into_iter().map(|v| v.text).chain(others).collect();
    ordered.dedup();
    ordered
}

/// `index.json` listing `versions`.
pub fn index_document(versions: &[String]) -> Value {
    let map: Map<String, Value> = versions.iter().map(|v| (v.clone(), json!({}))).collect();
    json!({ "versions": map })
}

/// What `mirror` published.
#[derive(Debug, Clone)]
pub struct MirrorSummary {
    pub dir: PathBuf,
    pub published: Vec<String>,
    pub all_versions: Vec<String>,
}

/// Runs the `mirror` command.
///
/// # Errors
///
/// Refusals for bad names, bad releases, and versions already mirrored with other bytes.
pub fn mirror(request: &MirrorRequest) -> anyhow::Result<MirrorSummary> {
    check_host(&request.host)?;
    check_name_part("--namespace", &request.namespace)?;
    check_provider_type(&request.provider_type)?;
    let releases = read_releases(&request.release_dir, request.version.as_deref())?;
    let dir = request
        .out
        .join(&request.host)
        .join(&request.namespace)
        .join(&request.provider_type);

    let index_path = dir.join("index.json");
    let mut versions: Vec<String> = match std::fs::read(&index_path) {
        Ok(bytes) => {
            let index: Value = serde_json::from_slice(&bytes)
                .with_context(|| format!("parsing {}", index_path.display()))?;
            let Some(listed) = index["versions"].as_object() else {
                return Err(refuse(format!(
                    "{} has no \"versions\" object",
                    index_path.display()
                )));
            };
            listed.keys().cloned().collect()
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", index_path.display())),
    };

    let mut plan = WritePlan::default();
    for release in &releases {
        for zip in &release.zips {
            plan.immutable(dir.join(&zip.name), zip.bytes.clone());
        }
        let document = version_document(release)?;
        plan.immutable(
            dir.join(format!("{}.json", release.text())),
            json_bytes(&document),
        );
        versions.push(release.text().to_string());
    }
    let all_versions = ordered_versions(&versions);
    plan.derived(index_path, json_bytes(&index_document(&all_versions)));
    plan.apply()?;
    Ok(MirrorSummary {
        dir,
        published: releases.iter().map(|r| r.text().to_string()).collect(),
        all_versions,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::registry::tests::fake_release;

    fn request(release_dir: &Path, out: &Path) -> MirrorRequest {
        MirrorRequest {
            release_dir: release_dir.to_path_buf(),
            out: out.to_path_buf(),
            host: "registry.example.test".into(),
            namespace: "acme".into(),
            provider_type: "platform".into(),
            version: None,
        }
    }

    fn read_json(path: &Path) -> Value {
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    #[test]
    fn writes_index_version_documents_and_zips_side_by_side() {
        let temp = tempfile::tempdir().unwrap();
        let (release_dir, out) = (temp.path().join("release"), temp.path().join("mirror"));
        std::fs::create_dir_all(&release_dir).unwrap();
        fake_release(&release_dir, "0.1.0", &["linux_amd64", "linux_arm64"], "a");
        mirror(&request(&release_dir, &out)).unwrap();

        let dir = out.join("registry.example.test/acme/platform");
        assert_eq!(
            read_json(&dir.join("index.json")),
            json!({"versions": {"0.1.0": {}}})
        );
        let mut archives = Map::new();
        for platform in ["linux_amd64", "linux_arm64"] {
            let name = format!("terraform-provider-platform_0.1.0_{platform}.zip");
            let zip = std::fs::read(release_dir.join(&name)).unwrap();
            assert_eq!(
                std::fs::read(dir.join(&name)).unwrap(),
                zip,
                "zip copied next to the JSON"
            );
            let hashes = json!([h1_zip(&zip).unwrap(), zh_hash(&zip)]);
            assert!(hashes[0].as_str().unwrap().starts_with("h1:"));
            assert!(hashes[1].as_str().unwrap().starts_with("zh:"));
            archives.insert(platform.to_string(), json!({"url": name, "hashes": hashes}));
        }
        assert_eq!(
            read_json(&dir.join("0.1.0.json")),
            json!({"archives": archives})
        );
    }

    #[test]
    fn merges_versions_and_refuses_changed_bytes() {
        let temp = tempfile::tempdir().unwrap();
        let out = temp.path().join("mirror");
        let (first, second, rebuilt) = (
            temp.path().join("r1"),
            temp.path().join("r2"),
            temp.path().join("r3"),
        );
        for dir in [&first, &second, &rebuilt] {
            std::fs::create_dir_all(dir).unwrap();
        }
        fake_release(&first, "0.2.0", &["linux_amd64"], "a");
        fake_release(&second, "0.10.0", &["linux_amd64"], "b");
        fake_release(&rebuilt, "0.2.0", &["linux_amd64"], "c");
        mirror(&request(&first, &out)).unwrap();
        mirror(&request(&first, &out)).unwrap();
        let summary = mirror(&request(&second, &out)).unwrap();
        assert_eq!(summary.all_versions, ["0.2.0", "0.10.0"]);
        let index_path = out.join("registry.example.test/acme/platform/index.json");
        assert_eq!(
            read_json(&index_path),
            json!({"versions": {"0.2.0": {}, "0.10.0": {}}})
        );
        let error = mirror(&request(&rebuilt, &out)).unwrap_err();
        assert!(crate::is_refusal(&error));
        assert!(error.to_string().contains("different bytes"), "{error}");
    }

    #[test]
    fn refuses_hosts_a_mirror_cannot_serve() {
        for (host, why) in [
            ("localhost:8443", "has a port"),
            ("https://registry.example.test", "without scheme"),
            ("registry.example.test/acme", "without scheme"),
            ("Registry.Example.Test", "lowercase"),
            ("bad_host", "not a host name"),
            ("", "not a host name"),
        ] {
            let error = check_host(host).unwrap_err();
            assert!(crate::is_refusal(&error));
            assert!(error.to_string().contains(why), "{host}: {error}");
        }
        check_host("registry.example.test").unwrap();
        check_host("localhost").unwrap();
    }
}
