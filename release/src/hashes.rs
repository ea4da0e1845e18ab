//! The three hashes a provider release is checked with (docs/design/releases.md §1.3, §3):
//! the SHA256SUMS file, `zh:` (hex SHA-256 of a zip) and `h1:` (Go's dirhash "Hash1").

use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context};
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::refuse;

/// Lowercase hex of the SHA-256 of `bytes`: a SHA256SUMS value, and `zh:` without the prefix.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(Sha256::digest(bytes).as_slice())
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `zh:<hex sha256>` for a zip, as lock files and mirror JSON record it.
pub fn zh_hash(zip_bytes: &[u8]) -> String {
    format!("zh:{}", sha256_hex(zip_bytes))
}

/// A SHA256SUMS file: `<64 lowercase hex>  <name>\n` per file, sorted by name.
///
/// No blank line (Terraform 1.0.3 panics on one), no `*` binary marker (Terraform compares the
/// second field with the file name exactly).
pub fn sha256sums(files: &[(String, Vec<u8>)]) -> String {
    let mut lines: Vec<(&str, String)> = files
        .iter()
        .map(|(name, bytes)| (name.as_str(), sha256_hex(bytes)))
        .collect();
    lines.sort();
    lines
        .iter()
        .map(|(name, digest)| format!("{digest}  {name}\n"))
        .collect()
}

/// Parses a SHA256SUMS file strictly, refusing anything Terraform would choke on.
///
/// # Errors
///
/// A refusal naming the first bad line.
pub fn parse_sha256sums(text: &str) -> anyhow::Result<Vec<(String, String)>> {
    if text.is_empty() {
        return Err(refuse("SHA256SUMS is empty"));
    }
    if !text.ends_with('\n') {
        return Err(refuse("SHA256SUMS does not end with a newline"));
    }
    let mut entries = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let bad = |why: &str| refuse(format!("SHA256SUMS line {number} {why}: {line:?}"));
        if line.is_empty() {
            return Err(bad("is blank (Terraform 1.0.3 panics on blank lines)"));
        }
        let Some((digest, name)) = line.split_once("  ") else {
            return Err(bad("is not `<sha256>  <name>`"));
        };
        if digest.len() != 64
            || !digest
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(bad("does not start with 64 lowercase hex digits"));
        }
        if name.starts_with('*') {
            return Err(bad("has a `*` binary-mode marker"));
        }
        if name.is_empty() || name.contains(char::is_whitespace) || name.contains('/') {
            return Err(bad("has an unusable file name"));
        }
        entries.push((name.to_string(), digest.to_string()));
    }
    Ok(entries)
}

/// Go's dirhash "Hash1" over `(name, sha256)` pairs: sort by name, one line of
/// `<hex sha256>  <name>\n` per file, then `h1:` + standard base64 of the SHA-256 of that text.
///
/// # Errors
///
/// Names containing a newline, which dirhash refuses too.
pub fn hash1(mut files: Vec<(String, [u8; 32])>) -> anyhow::Result<String> {
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut summary = String::new();
    for (name, digest) in &files {
        if name.contains('\n') {
            bail!("file name {name:?} contains a newline");
        }
        summary.push_str(&format!("{}  {name}\n", hex(digest)));
    }
    let digest = Sha256::digest(summary.as_bytes());
    Ok(format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(digest.as_slice())
    ))
}

fn sha256_array(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(Sha256::digest(bytes).as_slice());
    out
}

/// `h1:` of a zip: every entry counts, directory entries included (an empty body each), which is
/// why provider zips must not have any (docs/design/releases.md §1.1).
///
/// # Errors
///
/// An unreadable zip.
pub fn h1_zip(zip_bytes: &[u8]) -> anyhow::Result<String> {
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).context("reading the zip")?;
    let mut files = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index)?;
        let name = entry.name()?.into_owned();
        let mut body = Vec::new();
        entry
            .read_to_end(&mut body)
            .with_context(|| format!("reading zip entry {name}"))?;
        files.push((name, sha256_array(&body)));
    }
    hash1(files)
}

/// `h1:` of an unpacked package directory: regular files with `/`-separated relative paths,
/// directories themselves not listed.
///
/// # Errors
///
/// IO errors, and entries that are neither files nor directories.
pub fn h1_dir(dir: &Path) -> anyhow::Result<String> {
    let mut files = Vec::new();
    collect_files(dir, "", &mut files)?;
    hash1(files)
}

fn collect_files(
    dir: &Path,
    prefix: &str,
    out: &mut Vec<(String, [u8; 32])>,
) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let entry = entry?;
        let name = entry
            .file_name()
            .into_string()
            .map_err(|n| anyhow::anyhow!("non-UTF-8 file name {n:?}"))?;
        let relative = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let path = entry.path();
        let metadata = std::fs::metadata(&path)?;
        if metadata.is_dir() {
            collect_files(&path, &relative, out)?;
        } else if metadata.is_file() {
            out.push((relative, sha256_array(&std::fs::read(&path)?)));
        } else {
            bail!("{} is neither a file nor a directory", path.display());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn zip_of(entries: &[(&str, &[u8])], dirs: &[&str]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        for dir in dirs {
            writer.add_directory(*dir, options).unwrap();
        }
        for (name, body) in entries {
            writer.start_file(*name, options).unwrap();
            writer.write_all(body).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    #[test]
    fn sha256sums_is_sorted_two_spaced_and_has_no_blank_line() {
        let files = vec![
            ("b_manifest.json".to_string(), b"{}".to_vec()),
            ("a_linux_amd64.zip".to_string(), b"zip".to_vec()),
        ];
        let text = sha256sums(&files);
        let want = format!(
            "{}  a_linux_amd64.zip\n{}  b_manifest.json\n",
            sha256_hex(b"zip"),
            sha256_hex(b"{}")
        );
        assert_eq!(text, want);
        assert!(!text.contains("\n\n") && !text.contains('*'));
        assert_eq!(parse_sha256sums(&text).unwrap().len(), 2);
    }

    #[test]
    fn parse_refuses_what_terraform_chokes_on() {
        let digest = sha256_hex(b"x");
        let cases = [
            (format!("{digest}  a.zip\n\n"), "blank"),
            (format!("\n{digest}  a.zip\n"), "blank"),
            (format!("{digest} *a.zip\n"), "not `<sha256>  <name>`"),
            (format!("{digest}  *a.zip\n"), "binary-mode marker"),
            (
                format!("{}  a.zip\n", digest.to_uppercase()),
                "lowercase hex",
            ),
            (format!("{digest} a.zip\n"), "not `<sha256>  <name>`"),
            (format!("{digest}  a.zip"), "newline"),
            (String::new(), "empty"),
        ];
        for (text, why) in cases {
            let error = parse_sha256sums(&text).unwrap_err();
            assert!(crate::is_refusal(&error));
            assert!(error.to_string().contains(why), "{text:?}: {error}");
        }
    }

    #[test]
    fn zh_is_hex_sha256() {
        // sha256("abc") from FIPS 180-2.
        assert_eq!(
            zh_hash(b"abc"),
            "zh:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn h1_of_a_one_file_zip_matches_a_hand_computed_value() {
        // printf 'hello\n' | sha256sum → 5891b5b5…; then
        // printf '5891…be03  terraform-provider-platform_v0.1.0\n' | sha256sum | xxd -r -p | base64
        let zip = zip_of(&[("terraform-provider-platform_v0.1.0", b"hello\n")], &[]);
        assert_eq!(
            h1_zip(&zip).unwrap(),
            "h1:U06U38MdOPUxHEHJNu8JJ6PzF5k68w2Egp4ddO5rqko="
        );
    }

    #[test]
    fn h1_of_a_zip_equals_h1_of_the_same_files_unpacked() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(
            dir.path().join("terraform-provider-platform_v0.1.0"),
            b"binary",
        )
        .unwrap();
        std::fs::write(dir.path().join("sub/readme.txt"), b"docs").unwrap();
        let unpacked = h1_dir(dir.path()).unwrap();

        let files: [(&str, &[u8]); 2] = [
            ("sub/readme.txt", b"docs"),
            ("terraform-provider-platform_v0.1.0", b"binary"),
        ];
        assert_eq!(h1_zip(&zip_of(&files, &[])).unwrap(), unpacked);
        // Entry order in the zip does not matter: Hash1 sorts.
        let reversed = [files[1], files[0]];
        assert_eq!(h1_zip(&zip_of(&reversed, &[])).unwrap(), unpacked);
        // A directory entry changes the zip's hash but not the unpacked one: the lock-file
        // mismatch of docs/design/releases.md §1.1.
        assert_ne!(h1_zip(&zip_of(&files, &["sub/"])).unwrap(), unpacked);
    }

    #[test]
    fn hash1_refuses_newlines_in_names() {
        assert!(hash1(vec![("a\nb".to_string(), [0; 32])]).is_err());
    }
}
