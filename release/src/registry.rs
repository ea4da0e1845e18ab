//! The `registry` command: a static tree that any HTTPS file server can serve as a provider
//! registry (docs/design/releases.md §2.1, §2.2).
//!
//! ```text
//! .well-known/terraform.json                          {"providers.v1":"/v1/providers/"}
//! v1/providers/<ns>/<type>/versions                   every version in the tree
//! v1/providers/<ns>/<type>/<V>/download/<os>/<arch>   one JSON document per platform
//! releases/<V>/…                                      the release artifacts
//! ```
//!
//! The download documents use relative URLs, so the tree works under any host name. The server
//! must answer the discovery document with `Content-Type: application/json`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::{json, Value};

use crate::artifacts::{read_releases, signature_name, sums_name, Release};
use crate::fsutil::{json_bytes, WritePlan};
use crate::version::Version;
use crate::{refuse, PROVIDER_NAME};

/// The discovery document's path in the tree.
pub const DISCOVERY_PATH: &str = ".well-known/terraform.json";
/// Where discovery points the `providers.v1` service.
pub const PROVIDERS_V1: &str = "/v1/providers/";

/// The `registry` command's arguments.
#[derive(Debug, Clone)]
pub struct RegistryRequest {
    pub release_dir: PathBuf,
    pub out: PathBuf,
    pub namespace: String,
    pub provider_type: String,
    /// Publish only this version of the release directory.
    pub version: Option<String>,
}

/// Checks a namespace or type as Terraform normalises provider address parts: lowercase letters,
/// digits and single dashes inside. Terraform lowercases what users write, so an uppercase name
/// here would be a path no request ever asks for.
///
/// # Errors
///
/// A refusal saying why.
pub fn check_name_part(what: &str, name: &str) -> anyhow::Result<()> {
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--");
    if valid {
        return Ok(());
    }
    let hint = if name.bytes().any(|b| b.is_ascii_uppercase()) {
        " (Terraform lowercases provider addresses, so use lowercase)"
    } else {
        ""
    };
    Err(refuse(format!(
        "{what} {name:?} must be lowercase letters, digits and single inner dashes{hint}"
    )))
}

/// Refuses a type other than the one the zips' executable is named for: Terraform runs the
/// first file named `terraform-provider-<type>…` and would find none.
///
/// # Errors
///
/// A refusal for any type but `platform`.
pub fn check_provider_type(provider_type: &str) -> anyhow::Result<()> {
    check_name_part("--type", provider_type)?;
    if format!("terraform-provider-{provider_type}") != PROVIDER_NAME {
        return Err(refuse(format!(
            "--type {provider_type}: the zips hold {PROVIDER_NAME}_v<V>, and Terraform looks \
             for an executable named terraform-provider-{provider_type}…; use --type platform"
        )));
    }
    Ok(())
}

/// `v1/providers/<ns>/<type>/<V>/download/<os>/<arch>`.
pub fn download_path(
    namespace: &str,
    provider_type: &str,
    version: &str,
    os: &str,
    arch: &str,
) -> String {
    format!("v1/providers/{namespace}/{provider_type}/{version}/download/{os}/{arch}")
}

/// `releases/<V>/<file>`. File names already name the provider and version; `--type` can only
/// be `platform`, so one tree serving two namespaces shares these files, and write-once refuses
/// a second namespace whose build of a version differs.
pub fn artifact_path(version: &str, file: &str) -> String {
    format!("releases/{version}/{file}")
}

/// The relative reference from the document at tree path `from` to the file at tree path `to`
/// (both `/`-separated, relative to the tree root).
///
/// A document's base is its directory: `a/b/doc` to `a/c/f` is `../c/f`.
pub fn relative_url(from: &str, to: &str) -> String {
    let from_dirs: Vec<&str> = from.split('/').collect();
    let from_dirs = &from_dirs[..from_dirs.len() - 1];
    let to_parts: Vec<&str> = to.split('/').collect();
    let common = from_dirs
        .iter()
        .zip(&to_parts[..to_parts.len() - 1])
        .take_while(|(a, b)| a == b)
        .count();
    let mut url = "../".repeat(from_dirs.len() - common);
    url.push_str(&to_parts[common..].join("/"));
    url
}

/// Resolves a relative path reference against an absolute URL path, as RFC 3986 §5.2 does for
/// references without scheme, authority, query or fragment (what Terraform's `url.Parse(base)
/// .ResolveReference` does with the registry's relative URLs).
pub fn resolve_reference(base_path: &str, reference: &str) -> String {
    let merged = if reference.starts_with('/') {
        reference.to_string()
    } else {
        let directory = &base_path[..=base_path.rfind('/').unwrap_or(0)];
        format!("{directory}{reference}")
    };
    // remove_dot_segments
    let mut output: Vec<&str> = Vec::new();
    let segments: Vec<&str> = merged.split('/').skip(1).collect();
    for (index, segment) in segments.iter().enumerate() {
        let last = index == segments.len() - 1;
        match *segment {
            "." => {
                if last {
                    output.push("");
                }
            }
            ".." => {
                output.pop();
                if last {
                    output.push("");
                }
            }
            other => output.push(other),
        }
    }
    format!("/{}", output.join("/"))
}

/// The download document of one platform of a release.
pub fn download_document(
    release: &Release,
    zip_index: usize,
    namespace: &str,
    provider_type: &str,
    key_id: &str,
    ascii_armor: &str,
) -> Value {
    let v = release.text();
    let zip = &release.zips[zip_index];
    let document = download_path(
        namespace,
        provider_type,
        v,
        zip.platform.os,
        zip.platform.arch,
    );
    let url = |file: &str| relative_url(&document, &artifact_path(v, file));
    json!({
        "protocols": release.protocols,
        "os": zip.platform.os,
        "arch": zip.platform.arch,
        "filename": zip.name,
        "download_url": url(&zip.name),
        "shasums_url": url(&sums_name(v)),
        "shasums_signature_url": url(&signature_name(v)),
        "shasum": zip.sha256,
        "signing_keys": {
            "gpg_public_keys": [{
                "key_id": key_id,
                "ascii_armor": ascii_armor,
                "trust_signature": "",
                "source": "",
                "source_url": "",
            }]
        }
    })
}

/// One entry of the `versions` document.
#[derive(Debug, Clone, PartialEq, Eq)]
struct VersionEntry {
    protocols: Vec<String>,
    /// `(os, arch)`, sorted.
    platforms: Vec<(String, String)>,
}

/// The versions already published in the tree, read from their download documents.
fn versions_in_tree(provider_dir: &Path) -> anyhow::Result<BTreeMap<String, VersionEntry>> {
    let mut versions = BTreeMap::new();
    let entries = match std::fs::read_dir(provider_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(versions),
        Err(e) => return Err(e).with_context(|| format!("listing {}", provider_dir.display())),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let download = entry.path().join("download");
        if Version::parse(&name).is_err() || !download.is_dir() {
            continue;
        }
        let mut platforms = Vec::new();
        let mut protocols = Vec::new();
        for os in std::fs::read_dir(&download)? {
            let os = os?;
            for arch in std::fs::read_dir(os.path())? {
                let arch = arch?;
                let text = std::fs::read(arch.path())?;
                let document: Value = serde_json::from_slice(&text)
                    .with_context(|| format!("parsing {}", arch.path().display()))?;
                protocols = document["protocols"]
                    .as_array()
                    .map(|p| {
                        p.iter()
                            .filter_map(|p| p.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                platforms.push((
                    os.file_name().to_string_lossy().into_owned(),
                    arch.file_name().to_string_lossy().into_owned(),
                ));
            }
        }
        platforms.sort();
        versions.insert(
            name,
            VersionEntry {
                protocols,
                platforms,
            },
        );
    }
    Ok(versions)
}

fn versions_document(versions: &BTreeMap<String, VersionEntry>) -> Value {
    let mut ordered: Vec<(Version, &VersionEntry)> = versions
        .iter()
        .filter_map(|(text, entry)| Version::parse(text).ok().map(|v| (v, entry)))
        .collect();
    ordered.sort_by(|a, b| a.0.precedence(&b.0));
    let items: Vec<Value> = ordered
        .into_iter()
        .map(|(version, entry)| {
            let platforms: Vec<Value> = entry
                .platforms
                .iter()
                .map(|(os, arch)| json!({"os": os, "arch": arch}))
                .collect();
            json!({"version": version.text, "protocols": entry.protocols, "platforms": platforms})
        })
        .collect();
    json!({ "versions": items })
}

/// The discovery document, keeping any other services an existing one declares.
fn discovery_document(existing: Option<&[u8]>) -> anyhow::Result<Value> {
    let mut document = match existing {
        Some(bytes) => serde_json::from_slice::<Value>(bytes)
            .ok()
            .filter(Value::is_object)
            .ok_or_else(|| {
                refuse(format!(
                    "the existing {DISCOVERY_PATH} is not a JSON object"
                ))
            })?,
        None => json!({}),
    };
    document["providers.v1"] = json!(PROVIDERS_V1);
    Ok(document)
}

/// What `registry` published.
#[derive(Debug, Clone)]
pub struct RegistrySummary {
    /// Versions added or confirmed by this run.
    pub published: Vec<String>,
    /// Every version the tree now serves.
    pub all_versions: Vec<String>,
    /// Download documents written, as tree paths.
    pub documents: Vec<String>,
}

/// Runs the `registry` command.
///
/// # Errors
///
/// Refusals for bad names, bad releases and versions already published with other bytes.
pub fn registry(request: &RegistryRequest) -> anyhow::Result<RegistrySummary> {
    let (ns, ty) = (request.namespace.as_str(), request.provider_type.as_str());
    check_name_part("--namespace", ns)?;
    check_provider_type(ty)?;
    let releases = read_releases(&request.release_dir, request.version.as_deref())?;
    let provider_dir = request.out.join(format!("v1/providers/{ns}/{ty}"));
    let mut versions = versions_in_tree(&provider_dir)?;

    let mut plan = WritePlan::default();
    let mut documents = Vec::new();
    for release in &releases {
        let v = release.text();
        let key_id = release.key_id()?;
        let armor = release.signing_key.as_deref().unwrap_or_default();
        for (name, bytes) in release.files() {
            plan.immutable(request.out.join(artifact_path(v, &name)), bytes);
        }
        let mut platforms = Vec::new();
        for (index, zip) in release.zips.iter().enumerate() {
            let (os, arch) = (zip.platform.os, zip.platform.arch);
            let path = download_path(ns, ty, v, os, arch);
            let document = download_document(release, index, ns, ty, &key_id, armor);
            plan.immutable(request.out.join(&path), json_bytes(&document));
            documents.push(path);
            platforms.push((os.to_string(), arch.to_string()));
        }
        platforms.sort();
        let entry = VersionEntry {
            protocols: release.protocols.clone(),
            platforms,
        };
        if let Some(existing) = versions.get(v) {
            if *existing != entry {
                return Err(refuse(format!(
                    "version {v} is already published in {} with other platforms or \
                     protocols; a published version never changes",
                    request.out.display()
                )));
            }
        }
        versions.insert(v.to_string(), entry);
    }
    let discovery_path = request.out.join(DISCOVERY_PATH);
    let existing_discovery = std::fs::read(&discovery_path).ok();
    plan.derived(
        discovery_path,
        json_bytes(&discovery_document(existing_discovery.as_deref())?),
    );
    let versions_json = versions_document(&versions);
    plan.derived(provider_dir.join("versions"), json_bytes(&versions_json));
    plan.apply()?;

    let all_versions = versions_json["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["version"].as_str().map(str::to_string))
        .collect();
    Ok(RegistrySummary {
        published: releases.iter().map(|r| r.text().to_string()).collect(),
        all_versions,
        documents,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::platform::Platform;
    use crate::release::package;

    const KEY: &str = include_str!("../tests/data/rsa3072-sign.asc");
    const FINGERPRINT: &str = include_str!("../tests/data/rsa3072-sign.fingerprint");
    /// Any binary signature by the fixture key: these tests check layout, not cryptography
    /// (the integration test runs `gpg --verify`).
    const SIGNATURE: &[u8] = include_bytes!("../tests/data/signed.txt.sig");

    /// Writes an (unverifiably signed) release of `version` for `platforms` into `dir`.
    pub(crate) fn fake_release(dir: &Path, version: &str, platforms: &[&str], seed: &str) {
        let binaries: Vec<(Platform, Vec<u8>)> = platforms
            .iter()
            .map(|p| {
                (
                    Platform::find(p).unwrap(),
                    format!("{seed} {p}").into_bytes(),
                )
            })
            .collect();
        let manifest = br#"{"version":1,"metadata":{"protocol_versions":["6.0"]}}"#;
        for (name, bytes) in package(version, 1_577_836_800, &binaries, manifest).unwrap() {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
        std::fs::write(dir.join(signature_name(version)), SIGNATURE).unwrap();
        std::fs::write(dir.join(crate::artifacts::signing_key_name(version)), KEY).unwrap();
    }

    fn request(release_dir: &Path, out: &Path) -> RegistryRequest {
        RegistryRequest {
            release_dir: release_dir.to_path_buf(),
            out: out.to_path_buf(),
            namespace: "acme".into(),
            provider_type: "platform".into(),
            version: None,
        }
    }

    fn read_json(path: &Path) -> Value {
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    #[test]
    fn relative_urls_resolve_from_the_download_document() {
        let document = download_path("acme", "platform", "0.1.0", "linux", "amd64");
        let zip = artifact_path("0.1.0", "p_0.1.0_linux_amd64.zip");
        let url = relative_url(&document, &zip);
        // Seven directories above the document: v1 providers acme platform 0.1.0 download linux.
        assert_eq!(
            url,
            "../../../../../../../releases/0.1.0/p_0.1.0_linux_amd64.zip"
        );
        assert_eq!(
            resolve_reference(&format!("/{document}"), &url),
            format!("/{zip}")
        );
        // Served under a prefix, the same reference still lands inside the tree.
        assert_eq!(
            resolve_reference(&format!("/mirror/tree/{document}"), &url),
            format!("/mirror/tree/{zip}")
        );
        assert_eq!(relative_url("a/b/doc", "a/c/f"), "../c/f");
        assert_eq!(relative_url("a/doc", "a/f"), "f");
        assert_eq!(relative_url("doc", "x/f"), "x/f");
    }

    #[test]
    fn resolves_references_like_rfc_3986() {
        // (base, reference, want), from RFC 3986 §5.4's examples with base /b/c/d;p?q.
        let cases = [
            ("/b/c/d", "g", "/b/c/g"),
            ("/b/c/d", "./g", "/b/c/g"),
            ("/b/c/d", "g/", "/b/c/g/"),
            ("/b/c/d", "/g", "/g"),
            ("/b/c/d", "..", "/b/"),
            ("/b/c/d", "../g", "/b/g"),
            ("/b/c/d", "../..", "/"),
            ("/b/c/d", "../../g", "/g"),
            ("/b/c/d", "../../../g", "/g"),
            ("/b/c/d", "g/./h", "/b/c/g/h"),
            ("/b/c/d", "g/../h", "/b/c/h"),
        ];
        for (base, reference, want) in cases {
            assert_eq!(resolve_reference(base, reference), want, "{reference}");
        }
    }

    #[test]
    fn writes_the_registry_protocol_documents() {
        let temp = tempfile::tempdir().unwrap();
        let (release_dir, out) = (temp.path().join("release"), temp.path().join("tree"));
        std::fs::create_dir_all(&release_dir).unwrap();
        fake_release(&release_dir, "0.1.0", &["linux_amd64", "linux_arm64"], "a");
        let summary = registry(&request(&release_dir, &out)).unwrap();
        assert_eq!(summary.all_versions, ["0.1.0"]);

        assert_eq!(
            read_json(&out.join(".well-known/terraform.json")),
            json!({"providers.v1": "/v1/providers/"})
        );
        assert_eq!(
            read_json(&out.join("v1/providers/acme/platform/versions")),
            json!({"versions": [{
                "version": "0.1.0",
                "protocols": ["6.0"],
                "platforms": [{"os": "linux", "arch": "amd64"}, {"os": "linux", "arch": "arm64"}]
            }]})
        );
        let path = "v1/providers/acme/platform/0.1.0/download/linux/arm64";
        let document = read_json(&out.join(path));
        let zip_name = "terraform-provider-platform_0.1.0_linux_arm64.zip";
        let zip = std::fs::read(release_dir.join(zip_name)).unwrap();
        let key = json!({
            "key_id": &FINGERPRINT.trim()[24..],
            "ascii_armor": KEY,
            "trust_signature": "",
            "source": "",
            "source_url": "",
        });
        let up = "../../../../../../../releases/0.1.0";
        assert_eq!(
            document,
            json!({
                "protocols": ["6.0"],
                "os": "linux",
                "arch": "arm64",
                "filename": zip_name,
                "download_url": format!("{up}/{zip_name}"),
                "shasums_url": format!("{up}/terraform-provider-platform_0.1.0_SHA256SUMS"),
                "shasums_signature_url":
                    format!("{up}/terraform-provider-platform_0.1.0_SHA256SUMS.sig"),
                "shasum": crate::hashes::sha256_hex(&zip),
                "signing_keys": {"gpg_public_keys": [key]},
            })
        );
        // Every URL resolves, from the document's own URL, to a file in the tree with the
        // bytes it should have.
        for (field, file) in [
            ("download_url", zip_name.to_string()),
            ("shasums_url", sums_name("0.1.0")),
            ("shasums_signature_url", signature_name("0.1.0")),
        ] {
            let resolved =
                resolve_reference(&format!("/{path}"), document[field].as_str().unwrap());
            let served = std::fs::read(out.join(&resolved[1..])).unwrap();
            assert_eq!(
                served,
                std::fs::read(release_dir.join(&file)).unwrap(),
                "{field}"
            );
        }
    }

    #[test]
    fn new_versions_merge_and_published_bytes_never_change() {
        let temp = tempfile::tempdir().unwrap();
        let out = temp.path().join("tree");
        let first = temp.path().join("r1");
        let second = temp.path().join("r2");
        let rebuilt = temp.path().join("r3");
        for dir in [&first, &second, &rebuilt] {
            std::fs::create_dir_all(dir).unwrap();
        }
        fake_release(&first, "0.1.0", &["linux_amd64"], "a");
        fake_release(&second, "0.10.0", &["linux_amd64", "linux_arm64"], "b");
        fake_release(&second, "0.2.0", &["linux_amd64"], "b");
        fake_release(&rebuilt, "0.1.0", &["linux_amd64"], "different bytes");

        registry(&request(&first, &out)).unwrap();
        // The same release again is a no-op, not a conflict.
        registry(&request(&first, &out)).unwrap();
        let summary = registry(&request(&second, &out)).unwrap();
        assert_eq!(summary.published, ["0.2.0", "0.10.0"]);
        assert_eq!(summary.all_versions, ["0.1.0", "0.2.0", "0.10.0"]);
        let versions = read_json(&out.join("v1/providers/acme/platform/versions"));
        let listed: Vec<&str> = versions["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["version"].as_str().unwrap())
            .collect();
        assert_eq!(listed, ["0.1.0", "0.2.0", "0.10.0"]);
        assert_eq!(
            versions["versions"][2]["platforms"]
                .as_array()
                .unwrap()
                .len(),
            2
        );

        let before = std::fs::read(out.join("v1/providers/acme/platform/versions")).unwrap();
        let error = registry(&request(&rebuilt, &out)).unwrap_err();
        assert!(crate::is_refusal(&error));
        assert!(error.to_string().contains("different bytes"), "{error}");
        let after = std::fs::read(out.join("v1/providers/acme/platform/versions")).unwrap();
        assert_eq!(before, after, "a refused run writes nothing");
    }

    #[test]
    fn refuses_names_terraform_would_never_request() {
        for name in ["Acme", "ac_me", "-acme", "acme-", "ac--me", "", "a/b", ".."] {
            assert!(
                crate::is_refusal(&check_name_part("--namespace", name).unwrap_err()),
                "{name}"
            );
        }
        check_name_part("--namespace", "acme-corp2").unwrap();
        check_provider_type("platform").unwrap();
        let error = check_provider_type("aws").unwrap_err();
        assert!(error.to_string().contains("use --type platform"), "{error}");
    }

    #[test]
    fn keeps_other_services_in_an_existing_discovery_document() {
        let existing = br#"{"modules.v1": "/v1/modules/", "providers.v1": "/old/"}"#;
        assert_eq!(
            discovery_document(Some(existing)).unwrap(),
            json!({"modules.v1": "/v1/modules/", "providers.v1": "/v1/providers/"})
        );
        assert!(discovery_document(Some(b"[]")).is_err());
    }
}
