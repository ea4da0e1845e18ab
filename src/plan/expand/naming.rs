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

/// The ownership tags written into a description, for kinds AWS cannot tag (EventBridge
/// Scheduler schedules): `[platform:owner=service/dev/worker platform:node=scheduler.schedule/nightly]`.
pub fn ownership_marker(owner: &str, key: &NodeKey) -> String {
    format!("[{TAG_OWNER}={owner} {TAG_NODE}={key}]")
}

/// The ownership tags the last marker in `description` carries ([`ownership_marker`]); empty
/// when it has none, which owns nothing.
pub fn marker_tags(description: &str) -> Tags {
    let Some((_, marker)) = description.rsplit_once('[') else {
        return Tags::new();
    };
    let Some(marker) = marker.strip_suffix(']') else {
        return Tags::new();
    };
    marker
        .split(' ')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(key, value)| [TAG_OWNER, TAG_NODE].contains(key) && !value.is_empty())
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
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

/// The VPC tags that record the configuration as written: `platform:config`, then
/// `platform:config:1`, … because an EC2 tag value holds at most 256 characters.
pub const TAG_CONFIG: &str = "platform:config";
const CONFIG_CHUNK_CHARS: usize = 255;

pub fn config_tags(written: &str) -> Vec<(String, String)> {
    let chars: Vec<char> = written.chars().collect();
    chars
        .chunks(CONFIG_CHUNK_CHARS)
        .enumerate()
        .map(|(i, chunk)| {
            let key = if i == 0 {
                TAG_CONFIG.to_string()
            } else {
                format!("{TAG_CONFIG}:{i}")
            };
            (key, chunk.iter().collect())
        })
        .collect()
}

/// Reassembles what [`config_tags`] split; `None` when the first tag is missing.
pub fn joined_config_tags(tags: &Tags) -> Option<String> {
    let mut out = tags.get(TAG_CONFIG)?.clone();
    for i in 1.. {
        match tags.get(&format!("{TAG_CONFIG}:{i}")) {
            Some(part) => out.push_str(part),
            None => break,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ownership_marker_reads_back_as_the_ownership_tags() {
        let key = NodeKey::parse("sqs.queue/main").expect("a key");
        let text = format!(
            "Runs nightly {}",
            ownership_marker("service/dev/worker", &key)
        );
        let tags = marker_tags(&text);
        assert_eq!(
            tags.get(TAG_OWNER).map(String::as_str),
            Some("service/dev/worker")
        );
        assert_eq!(
            tags.get(TAG_NODE).map(String::as_str),
            Some("sqs.queue/main")
        );
        assert_eq!(tags.len(), 2);
        for foreign in [
            "",
            "Runs nightly",
            "[platform:owner=service/dev/worker platform:node=sqs.queue/main",
            "[Name=x other=y]",
            "[platform:owner= platform:node=]",
        ] {
            assert!(marker_tags(foreign).len() < 2, "{foreign:?}");
        }
    }

    #[test]
    fn config_tags_round_trip() {
        for len in [0, 1, 255, 256, 600] {
            let written: String = "é".repeat(len);
            let tags: Tags = config_tags(&written).into_iter().collect();
            assert!(tags.values().all(|v| v.chars().count() <= 255));
            let joined = joined_config_tags(&tags).unwrap_or_default();
            assert_eq!(joined, written, "length {len}");
        }
    }
}

/// `name` if it fits in `max` characters; otherwise its head and an 8-hex-digit hash of the
/// whole, so long names stay unique and stable (AWS name limits: 32 for target groups, 40
/// for replication groups, 63 for DB instances, 64 for IAM roles).
pub fn fit(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_string();
    }
    let hash = format!("{:08x}", crate::plan::app::fnv1a(name));
    let head: String = name.chars().take(max.saturating_sub(9)).collect();
    format!("{}-{hash}", head.trim_end_matches('-'))
}

#[cfg(test)]
mod fit_tests {
    use super::fit;

    #[test]
    fn long_names_are_cut_with_a_stable_hash() {
        assert_eq!(fit("short", 32), "short");
        let long = "staging-payments-api-worker-8080";
        let a = fit(&format!("{long}-x"), 32);
        assert!(a.len() <= 32, "{a}");
        assert_eq!(a, fit(&format!("{long}-x"), 32));
        assert_ne!(a, fit(&format!("{long}-y"), 32));
    }
}
