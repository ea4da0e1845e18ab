//! File writes for published trees: published files are write-once (lock files pin their
//! hashes), derived indexes are rewritten, and every conflict is found before anything is
//! written.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::refuse;

/// The files one run writes into a tree.
#[derive(Debug, Default)]
pub struct WritePlan {
    /// Published once: an existing file must already hold exactly these bytes.
    immutable: Vec<(PathBuf, Vec<u8>)>,
    /// Indexes recomputed from the tree (`versions`, `index.json`): always rewritten.
    derived: Vec<(PathBuf, Vec<u8>)>,
}

impl WritePlan {
    pub fn immutable(&mut self, path: PathBuf, bytes: Vec<u8>) {
        self.immutable.push((path, bytes));
    }

    pub fn derived(&mut self, path: PathBuf, bytes: Vec<u8>) {
        self.derived.push((path, bytes));
    }

    /// Refuses the whole plan if any write-once file exists with other bytes.
    ///
    /// # Errors
    ///
    /// A refusal naming the first conflicting file; IO errors reading existing files.
    pub fn check(&self) -> anyhow::Result<()> {
        for (path, bytes) in &self.immutable {
            match std::fs::read(path) {
                Ok(existing) if existing == *bytes => {}
                Ok(_) => {
                    return Err(refuse(format!(
                        "{} already exists with different bytes; a published version never \
                         changes (lock files pin its hashes): release a new version instead",
                        path.display()
                    )))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
            }
        }
        Ok(())
    }

    /// Checks, then writes: missing write-once files and every derived file.
    ///
    /// # Errors
    ///
    /// As [`WritePlan::check`], and IO errors.
    pub fn apply(self) -> anyhow::Result<()> {
        self.check()?;
        for (path, bytes) in &self.immutable {
            if !path.exists() {
                write_atomic(path, bytes)?;
            }
        }
        for (path, bytes) in &self.derived {
            write_atomic(path, bytes)?;
        }
        Ok(())
    }
}

/// Writes through a temporary file in the same directory and renames it into place, so a
/// reader (or a crash) never sees half a file.
///
/// # Errors
///
/// IO errors.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .with_context(|| format!("{} has no parent directory", path.display()))?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = path.file_name().context("path has no file name")?;
    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(name);
    temporary_name.push(format!(".{}.tmp", std::process::id()));
    let temporary = dir.join(temporary_name);
    std::fs::write(&temporary, bytes)
        .with_context(|| format!("writing {}", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("renaming to {}", path.display()))
}

/// Serialises JSON the same way everywhere: keys sorted, pretty, with a trailing newline.
///
/// Sorting here, not relying on `serde_json::Map`, because another workspace member enables
/// serde_json's `preserve_order`, and feature unification would otherwise make the bytes of a
/// write-once document depend on which packages were built together.
pub fn json_bytes(value: &serde_json::Value) -> Vec<u8> {
    let mut bytes =
        serde_json::to_vec_pretty(&sorted_keys(value)).expect("a JSON value always serialises");
    bytes.push(b'\n');
    bytes
}

fn sorted_keys(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<(&String, &serde_json::Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let sorted = entries
                .into_iter()
                .map(|(key, value)| (key.clone(), sorted_keys(value)))
                .collect();
            serde_json::Value::Object(sorted)
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(sorted_keys).collect())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keys_are_sorted_whatever_the_map_type() {
        let value = serde_json::json!({"z": 1, "a": {"y": [{"d": 1, "c": 2}], "b": 2}});
        let text = String::from_utf8(json_bytes(&value)).unwrap();
        let squashed: String = text.split_whitespace().collect();
        assert_eq!(squashed, r#"{"a":{"b":2,"y":[{"c":2,"d":1}]},"z":1}"#);
        assert!(text.ends_with("}\n"));
    }

    #[test]
    fn write_once_files_accept_identical_bytes_and_refuse_others() {
        let dir = tempfile::tempdir().unwrap();
        let published = dir.path().join("a/published.zip");
        let index = dir.path().join("a/index.json");

        let mut first = WritePlan::default();
        first.immutable(published.clone(), b"v1".to_vec());
        first.derived(index.clone(), b"one".to_vec());
        first.apply().unwrap();

        let mut same = WritePlan::default();
        same.immutable(published.clone(), b"v1".to_vec());
        same.derived(index.clone(), b"two".to_vec());
        same.apply().unwrap();
        assert_eq!(std::fs::read(&index).unwrap(), b"two");

        let mut changed = WritePlan::default();
        changed.derived(index.clone(), b"three".to_vec());
        changed.immutable(published.clone(), b"v2".to_vec());
        let error = changed.apply().unwrap_err();
        assert!(crate::is_refusal(&error));
        assert!(error.to_string().contains("different bytes"), "{error}");
        // Nothing was written: the derived index still holds the previous run's bytes.
        assert_eq!(std::fs::read(&published).unwrap(), b"v1");
        assert_eq!(std::fs::read(&index).unwrap(), b"two");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("a")).unwrap().collect();
        assert_eq!(leftovers.len(), 2, "no temporary files left behind");
    }
}
