//! The ledger: what exists in AWS for one resource, as last recorded.
//!
//! Carried in the resource's private bytes (with the observed spec of each child) and, as a
//! plain `node key → AWS ID` map, in the visible `resources` attribute. Wholly known: a child
//! that was never created is absent, never unknown.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::node::{ChildSpec, NodeKey};

/// Bumped when expansion changes the graph for an unchanged spec (ADR 0002).
pub const EXPANDER_VERSION: u32 = 1;

/// One child as it exists in AWS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    /// The AWS identifier (`vpc-…`, `subnet-…`, `eipalloc-…`; routes use `<rtb-id>|<cidr>`).
    pub id: String,
    /// The child's properties as last observed or applied, references as node keys.
    pub observed: ChildSpec,
    /// The AWS IDs its references had when it was last applied or observed. A referenced
    /// child that since got a new ID (recreated after it vanished, replaced) no longer matches,
    /// and the planner points this child at the new one.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub refs: BTreeMap<NodeKey, String>,
}

impl Recorded {
    /// The recorded spec with every reference whose recorded ID is no longer the referenced
    /// child's ID (`id_now`) renamed to the `<kind>/external/<old-id>` key observations give
    /// unknown IDs, so an update sees the reference as changed and points it at the new one.
    pub fn as_seen_now<'a>(&self, id_now: impl Fn(&NodeKey) -> Option<&'a str>) -> Recorded {
        let stale: BTreeMap<String, String> = self
            .refs
            .iter()
            .filter(|(key, old)| id_now(key) != Some(old.as_str()))
            .filter_map(|(key, old)| {
                let kind = key.kind()?;
                Some((
                    key.to_string(),
                    NodeKey::new(kind, &["external", old]).to_string(),
                ))
            })
            .collect();
        if stale.is_empty() {
            return self.clone();
        }
        // References are node keys wherever they sit in a spec; rename them by value.
        fn rename(value: &mut serde_json::Value, stale: &BTreeMap<String, String>) {
            match value {
                serde_json::Value::String(s) => {
                    if let Some(new) = stale.get(s.as_str()) {
                        *s = new.clone();
                    }
                }
                serde_json::Value::Array(items) => items.iter_mut().for_each(|v| rename(v, stale)),
                serde_json::Value::Object(fields) => {
                    for (name, v) in fields.iter_mut() {
                        // Tags hold this child's own key, never a reference.
                        if name != "tags" {
                            rename(v, stale);
                        }
                    }
                }
                _ => {}
            }
        }
        let observed = serde_json::to_value(&self.observed)
            .ok()
            .and_then(|mut value| {
                rename(&mut value, &stale);
                serde_json::from_value(value).ok()
            })
            .unwrap_or_else(|| self.observed.clone());
        Recorded {
            id: self.id.clone(),
            observed,
            refs: self.refs.clone(),
        }
    }

    /// A record without reference IDs (tests, and records whose references are unknown).
    pub fn new(id: impl Into<String>, observed: ChildSpec) -> Recorded {
        Recorded {
            id: id.into(),
            observed,
            refs: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    pub expander_version: u32,
    pub children: BTreeMap<NodeKey, Recorded>,
    /// AZ IDs in the order they joined the environment; shrinking drops from the end.
    #[serde(default)]
    pub az_order: Vec<String>,
    /// Objects of other resources this one refers to (an environment's VPC, subnets, cluster,
    /// listener; a database's security group), by the node keys their owner gives them.
    /// Resolved for references, never created, observed or deleted.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub external: BTreeMap<NodeKey, String>,
    /// Objects replaced by a new one under the same key that still await deletion (kinds that
    /// create before they destroy). Recorded, so a run that stops before deleting them still
    /// deletes them later; never referenced.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub retired: BTreeMap<NodeKey, Recorded>,
}

/// Why a resource's private state could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("it is not a ledger this provider can read ({0})")]
    Unreadable(String),
    #[error("it was written by a newer provider (expander version {found}; this provider reads up to {EXPANDER_VERSION})")]
    Newer { found: u32 },
}

/// Just the version, read before the rest: a newer provider may have changed the shape.
#[derive(Deserialize)]
struct Versioned {
    expander_version: u32,
}

impl Default for Ledger {
    fn default() -> Ledger {
        Ledger::new()
    }
}

impl Ledger {
    pub fn new() -> Ledger {
        Ledger {
            expander_version: EXPANDER_VERSION,
            children: BTreeMap::new(),
            az_order: Vec::new(),
            external: BTreeMap::new(),
            retired: BTreeMap::new(),
        }
    }

    pub fn id_of(&self, key: &NodeKey) -> Option<&str> {
        self.children.get(key).map(|r| r.id.as_str())
    }

    /// The node key recorded for an AWS ID, for turning observed references back into keys.
    pub fn key_of_id(&self, id: &str) -> Option<&NodeKey> {
        self.children
            .iter()
            .find(|(_, r)| r.id == id)
            .map(|(k, _)| k)
    }

    /// The visible `resources` map.
    pub fn ids(&self) -> BTreeMap<String, String> {
        self.children
            .iter()
            .map(|(k, r)| (k.to_string(), r.id.clone()))
            .collect()
    }

    /// Serialized form for private bytes.
    pub fn to_private(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads private bytes: `None` when there are none (a new resource, or one just imported).
    ///
    /// # Errors
    /// Bytes this provider cannot read, or a ledger of a newer expander version: never read as
    /// an empty ledger, which would plan to create everything again.
    pub fn from_private(bytes: &[u8]) -> Result<Option<Ledger>, LedgerError> {
        if bytes.is_empty() {
            return Ok(None);
        }
        let version: Versioned =
            serde_json::from_slice(bytes).map_err(|e| LedgerError::Unreadable(e.to_string()))?;
        if version.expander_version > EXPANDER_VERSION {
            return Err(LedgerError::Newer {
                found: version.expander_version,
            });
        }
        serde_json::from_slice(bytes)
            .map(Some)
            .map_err(|e| LedgerError::Unreadable(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_bytes_read_back_or_fail_loudly() {
        let ledger = Ledger::new();
        assert_eq!(Ledger::from_private(&ledger.to_private()), Ok(Some(ledger)));
        assert_eq!(Ledger::from_private(b""), Ok(None));
        assert!(matches!(
            Ledger::from_private(b"{not json"),
            Err(LedgerError::Unreadable(_))
        ));
        let newer = format!(
            r#"{{"expander_version":{},"children":{{}},"future":true}}"#,
            EXPANDER_VERSION + 1
        );
        assert_eq!(
            Ledger::from_private(newer.as_bytes()),
            Err(LedgerError::Newer {
                found: EXPANDER_VERSION + 1
            })
        );
    }
}
