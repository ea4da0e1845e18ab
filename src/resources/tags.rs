//! User tags: the keys AWS accepts, without the prefixes reserved for ownership.

use std::collections::BTreeMap;

use crate::framework::diag::Diagnostics;
use crate::framework::path::AttrPath;

/// Tag key prefixes the provider reserves for ownership, and AWS for itself.
pub const RESERVED_TAG_PREFIXES: &[&str] = &["platform:", "aws:"];

/// Checks user tags at `path` (`tags`, `default_tags.tags`): keys AWS accepts and none of the
/// reserved prefixes.
pub fn validate_tags(tags: &BTreeMap<String, String>, path: &AttrPath) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for (key, value) in tags {
        let at = path.clone().key(key);
        if let Some(prefix) = RESERVED_TAG_PREFIXES.iter().find(|p| key.starts_with(*p)) {
            diags.error_at(
                at.clone(),
                "Reserved tag key",
                format!("Tag keys starting with {prefix:?} are reserved: the provider uses platform:* to track ownership and AWS reserves aws:*."),
            );
        }
        if key.is_empty() || key.chars().count() > 128 {
            diags.error_at(
                at.clone(),
                "Invalid tag key",
                "Tag keys must be 1 to 128 characters.",
            );
        }
        if value.chars().count() > 256 {
            diags.error_at(
                at,
                "Invalid tag value",
                "Tag values must be at most 256 characters.",
            );
        }
    }
    diags
}

/// The user's tags merged over the provider's default tags.
pub fn merged_tags(
    default_tags: &BTreeMap<String, String>,
    tags: Option<&BTreeMap<String, String>>,
) -> BTreeMap<String, String> {
    let mut merged = default_tags.clone();
    merged.extend(
        tags.into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    merged
}
