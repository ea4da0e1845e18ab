//! AWS IDs back into node keys.

use crate::apply::IdMap;
use crate::aws::error::AwsError;
use crate::plan::node::{Kind, NodeKey};

/// The node key of a referenced AWS ID; IDs we do not manage get an `external` key, which
/// never equals a desired reference and so shows up as a change.
pub fn key_of(ids: &IdMap, kind: Kind, id: &str) -> NodeKey {
    ids.key_of(id)
        .cloned()
        .unwrap_or_else(|| NodeKey::new(kind, &["external", id]))
}

/// The AWS IDs of referenced children, in order.
///
/// # Errors
/// A child not recorded yet (the engine orders creates, so this is a bug upstream).
pub fn resolve(keys: &[NodeKey], ids: &IdMap) -> Result<Vec<String>, AwsError> {
    keys.iter()
        .map(|k| {
            ids.id(k)
                .map(str::to_string)
                .map_err(|e| AwsError::unexpected(e.message))
        })
        .collect()
}
