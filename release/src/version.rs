//! Semantic versions (semver.org 2.0.0) and the root package's version.
//!
//! The provider reports `CARGO_PKG_VERSION`, so a release may only carry the version written in
//! the root `Cargo.toml`: anything else would publish a binary that lies about itself.

use std::cmp::Ordering;

use crate::refuse;

/// A parsed semantic version; `text` keeps the exact spelling used in file names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    /// Dot-separated pre-release identifiers (`rc.1` → `["rc", "1"]`); empty for a release.
    pub pre: Vec<String>,
    pub text: String,
}

impl Version {
    /// Parses `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]` with semver's rules: no leading zeros in
    /// numbers, identifiers of `[0-9A-Za-z-]`, none empty.
    pub fn parse(text: &str) -> Result<Version, String> {
        if text.starts_with('v') || text.starts_with('V') {
            return Err(format!(
                "{text:?} is not a semantic version: write it without the leading \"v\""
            ));
        }
        let (rest, build) = match text.split_once('+') {
            Some((rest, build)) => (rest, Some(build)),
            None => (text, None),
        };
        let (core, pre) = match rest.split_once('-') {
            Some((core, pre)) => (core, Some(pre)),
            None => (rest, None),
        };
        let bad = || format!("{text:?} is not a semantic version (MAJOR.MINOR.PATCH, e.g. 0.1.0)");
        let numbers: Vec<&str> = core.split('.').collect();
        if numbers.len() != 3 {
            return Err(bad());
        }
        let mut parsed = [0u64; 3];
        for (slot, number) in parsed.iter_mut().zip(&numbers) {
            if !is_numeric_identifier(number) {
                return Err(bad());
            }
            *slot = number.parse().map_err(|_| bad())?;
        }
        let mut pre_identifiers = Vec::new();
        if let Some(pre) = pre {
            for identifier in pre.split('.') {
                let numeric = identifier.bytes().all(|b| b.is_ascii_digit());
                if !is_identifier(identifier) || (numeric && !is_numeric_identifier(identifier)) {
                    return Err(bad());
                }
                pre_identifiers.push(identifier.to_string());
            }
        }
        if let Some(build) = build {
            if !build.split('.').all(is_identifier) {
                return Err(bad());
            }
        }
        Ok(Version {
            major: parsed[0],
            minor: parsed[1],
            patch: parsed[2],
            pre: pre_identifiers,
            text: text.to_string(),
        })
    }

    /// Semver precedence (build metadata ignored), with the spelling as a final tie-break so the
    /// order is total and sorting is deterministic.
    pub fn precedence(&self, other: &Version) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| compare_pre(&self.pre, &other.pre))
            .then_with(|| self.text.cmp(&other.text))
    }
}

fn is_identifier(identifier: &str) -> bool {
    !identifier.is_empty()
        && identifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn is_numeric_identifier(identifier: &str) -> bool {
    !identifier.is_empty()
        && identifier.bytes().all(|b| b.is_ascii_digit())
        && (identifier == "0" || !identifier.starts_with('0'))
}

fn compare_pre(left: &[String], right: &[String]) -> Ordering {
    match (left.is_empty(), right.is_empty()) {
        (true, true) => return Ordering::Equal,
        // A pre-release sorts before the release it precedes.
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        (false, false) => {}
    }
    for (a, b) in left.iter().zip(right) {
        let order = match (a.parse::<u64>(), b.parse::<u64>()) {
            (Ok(a), Ok(b)) => a.cmp(&b),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(_), Err(_)) => a.cmp(b),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    left.len().cmp(&right.len())
}

/// The `version` of the `[package]` table in a Cargo.toml, read line by line (the root manifest
/// writes it as a plain `version = "…"` string).
pub fn package_version(cargo_toml: &str) -> Option<String> {
    let mut in_package = false;
    for line in cargo_toml.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
            continue;
        }
        if !in_package {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if key.trim() != "version" {
            continue;
        }
        let value = value.trim();
        let value = value.split_once('#').map_or(value, |(v, _)| v.trim_end());
        return value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .map(str::to_string);
    }
    None
}

/// Accepts `requested` only if it is semver and equals the root package's version.
///
/// # Errors
///
/// A refusal naming the problem; the caller maps it to exit status 2.
pub fn check_release_version(requested: &str, root_cargo_toml: &str) -> anyhow::Result<Version> {
    let version = Version::parse(requested).map_err(refuse)?;
    let Some(package) = package_version(root_cargo_toml) else {
        return Err(refuse(
            "cannot find `version = \"…\"` in the [package] table of the root Cargo.toml",
        ));
    };
    if package != requested {
        return Err(refuse(format!(
            "--version {requested} differs from the root Cargo.toml's version {package}: the \
             provider reports CARGO_PKG_VERSION, so bump Cargo.toml first (or release {package})"
        )));
    }
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_semver_and_rejects_everything_else() {
        // (input, valid)
        let cases = [
            ("0.1.0", true),
            ("10.20.30", true),
            ("1.0.0-rc.1", true),
            ("1.0.0-alpha-2.x.0", true),
            ("1.0.0+build.5", true),
            ("1.0.0-rc.1+sha.abc", true),
            ("v0.1.0", false),
            ("0.1", false),
            ("0.1.0.0", false),
            ("01.1.0", false),
            ("0.1.0-", false),
            ("0.1.0-rc..1", false),
            ("0.1.0-01", false),
            ("0.1.0+", false),
            ("0.1.0_x", false),
            ("0.1.x", false),
            ("", false),
            ("0.1.0/..", false),
        ];
        for (input, valid) in cases {
            assert_eq!(Version::parse(input).is_ok(), valid, "input {input:?}");
        }
        let hint = Version::parse("v0.1.0").unwrap_err();
        assert!(hint.contains("leading \"v\""), "{hint}");
    }

    #[test]
    fn orders_by_semver_precedence() {
        let mut versions: Vec<Version> = [
            "1.0.0",
            "0.10.0",
            "1.0.0-rc.2",
            "0.2.0",
            "1.0.0-alpha",
            "1.0.0-rc.10",
            "1.0.0-alpha.1",
        ]
        .iter()
        .map(|v| Version::parse(v).unwrap())
        .collect();
        versions.sort_by(Version::precedence);
        let texts: Vec<&str> = versions.iter().map(|v| v.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "0.2.0",
                "0.10.0",
                "1.0.0-alpha",
                "1.0.0-alpha.1",
                "1.0.0-rc.2",
                "1.0.0-rc.10",
                "1.0.0"
            ]
        );
    }

    const ROOT: &str = "[package]\nname = \"terraform-provider-platform\"\nversion = \"0.1.0\"\n\
                        edition = \"2021\"\n\n[dependencies]\nversion = \"9.9.9\"\n";

    #[test]
    fn reads_the_package_version_only() {
        assert_eq!(package_version(ROOT).as_deref(), Some("0.1.0"));
        let later = "[workspace]\nversion = \"2.0.0\"\n[package]\nversion = \"0.3.0\" # bump\n";
        assert_eq!(package_version(later).as_deref(), Some("0.3.0"));
        assert_eq!(package_version("[dependencies]\nversion = \"1\"\n"), None);
    }

    #[test]
    fn refuses_a_version_other_than_the_root_package() {
        assert_eq!(check_release_version("0.1.0", ROOT).unwrap().text, "0.1.0");
        let mismatch = check_release_version("0.2.0", ROOT).unwrap_err();
        assert!(crate::is_refusal(&mismatch));
        assert!(mismatch.to_string().contains("differs"), "{mismatch}");
        let not_semver = check_release_version("0.1", ROOT).unwrap_err();
        assert!(crate::is_refusal(&not_semver));
        assert!(not_semver.to_string().contains("not a semantic version"));
        // A valid version that only matches after stripping is still refused.
        assert!(check_release_version("v0.1.0", ROOT).is_err());
        assert!(check_release_version("0.1.0", "[package]\nname = \"x\"\n").is_err());
    }

    #[test]
    fn the_real_root_manifest_has_a_semver_version() {
        let root =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml")).unwrap();
        let version = package_version(&root).expect("root [package] version");
        Version::parse(&version).unwrap();
    }
}
