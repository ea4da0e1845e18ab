//! Ownership tags: which objects are ours, and what to do with a name someone else holds.

use crate::aws::error::AwsError;
use crate::plan::expand::naming::{TAG_NODE, TAG_OWNER};
use crate::plan::node::Tags;

/// True when `found` carries the owner and node tags of `spec`. Adoption checks this on every
/// object a lookup returns, rather than trusting a filter alone.
pub fn owned_by(found: &Tags, spec: &Tags) -> bool {
    [TAG_OWNER, TAG_NODE]
        .iter()
        .all(|key| spec.get(*key).is_some() && found.get(*key) == spec.get(*key))
}

/// The permanent error for a deterministic name already used by someone else's object.
pub fn name_taken(kind: &str, name: &str) -> AwsError {
    AwsError::Api {
        code: "NameTaken".into(),
        message: format!("{kind} name {name} is taken by an object this environment does not own"),
    }
}

/// Tags to add or change, and keys to remove, to go from `current` to `desired`.
pub fn tag_changes(current: &Tags, desired: &Tags) -> (Tags, Vec<String>) {
    let changed = desired
        .iter()
        .filter(|(k, v)| current.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let removed = current
        .keys()
        .filter(|k| !desired.contains_key(*k))
        .cloned()
        .collect();
    (changed, removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn ownership_needs_owner_and_node() {
        let spec = tags(&[(TAG_OWNER, "environment/a"), (TAG_NODE, "logs.log_group/x")]);
        assert!(owned_by(&spec, &spec));
        let other = tags(&[(TAG_OWNER, "environment/b"), (TAG_NODE, "logs.log_group/x")]);
        assert!(!owned_by(&other, &spec));
        assert!(!owned_by(&Tags::new(), &spec));
        assert!(
            !owned_by(&Tags::new(), &Tags::new()),
            "no ownership tags owns nothing"
        );
    }

    #[test]
    fn tag_changes_adds_changes_and_removes() {
        let (changed, removed) = tag_changes(
            &tags(&[("a", "1"), ("b", "2"), ("c", "3")]),
            &tags(&[("a", "1"), ("b", "9"), ("d", "4")]),
        );
        assert_eq!(changed, tags(&[("b", "9"), ("d", "4")]));
        assert_eq!(removed, ["c"]);
    }
}
