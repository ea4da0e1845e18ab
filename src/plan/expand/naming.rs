//! Ownership tags and display names of children.

use crate::plan::node::{NodeKey, Tags};

/// Marks every object this provider manages.
pub const TAG_MANAGED_BY: &str = "platform:managed-by";
pub const MANAGED_BY_VALUE: &str = "terraform-provider-platform";
/// The owning resource's natural key, e.g. `environment/prod`.
pub const TAG_OWNER: &str = "platform:owner";
/// The child's node key.
pub const TAG_NODE: &str = "platform:node";
/// Display name shown in the AWS console.
pub const TAG_NAME: &str = "Name";

/// The user's tags overlaid with ownership tags (which win) and a `Name` unless the user set
/// one.
pub fn child_tags(user: &Tags, owner: &str, key: &NodeKey, name: &str) -> Tags {
    let mut tags = user.clone();
    tags.entry(TAG_NAME.to_string())
        .or_insert_with(|| name.to_string());
    tags.insert(TAG_MANAGED_BY.to_string(), MANAGED_BY_VALUE.to_string());
    tags.insert(TAG_OWNER.to_string(), owner.to_string());
    tags.insert(TAG_NODE.to_string(), key.to_string());
    tags
}

/// `<environment>-<parts…>`, e.g. `dev-private-use1-az1`.
pub fn display_name(environment: &str, parts: &[&str]) -> String {
    let mut name = environment.to_string();
    for part in parts {
        name.push('-');
        name.push_str(part);
    }
    name
}
