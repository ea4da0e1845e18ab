//! The configuration as written, recorded on the VPC in `platform:config` tags.
//!
//! Import only knows a name or VPC ID, yet the plan after an import must be empty, so Read
//! must recover exactly which arguments the user set. Tier defaults make that impossible to
//! infer from the AWS objects alone (`az_count = 2` written vs. defaulted look the same), so
//! the written arguments travel with the VPC as compact JSON with nulls left out. User tags are
//! recovered from the VPC's own tags, so only their presence is recorded.

use serde_json::{Map, Value as Json};

use crate::framework::value::{json, Value};
use crate::plan::expand::naming::joined_config_tags;
use crate::plan::ledger::Ledger;
use crate::plan::node::{ChildSpec, Kind, NodeKey, Tags};

use super::schema;

/// Arguments recorded; `name` is the import ID, and `timeouts` are not worth keeping.
const RECORDED: &[&str] = &[
    "tier",
    "deletion_protection",
    "secret_recovery_window_days",
    "network",
    "cluster",
    "logging",
    "ingress",
];

/// Marks that the configuration set `tags` (their values live on the VPC itself).
const TAGS_MARKER: &str = "#tags";

fn prune_nulls(json: Json) -> Option<Json> {
    match json {
        Json::Null => None,
        Json::Object(map) => Some(Json::Object(
            map.into_iter()
                .filter_map(|(k, v)| prune_nulls(v).map(|v| (k, v)))
                .collect(),
        )),
        other => Some(other),
    }
}

/// Compact JSON of the recorded arguments.
pub fn encode(config: &Value) -> String {
    let full = json::encode(config, &schema::schema().value_type());
    let mut out = Map::new();
    for name in RECORDED {
        if let Some(value) = full.get(*name).cloned().and_then(prune_nulls) {
            out.insert(name.to_string(), value);
        }
    }
    if !config.get("tags").is_null() {
        out.insert(TAGS_MARKER.to_string(), Json::Bool(true));
    }
    Json::Object(out).to_string()
}

/// Recovers the written arguments, `tags` and `timeouts` from the VPC in the ledger.
pub fn recover(ledger: &Ledger, default_tags: &Tags) -> Option<Value> {
    let vpc = ledger.children.get(&NodeKey::new(Kind::Vpc, &[]))?;
    let ChildSpec::Vpc(spec) = &vpc.observed else {
        return None;
    };
    recover_from_tags(&spec.tags, default_tags)
}

/// Recovers the written arguments, `tags` and `timeouts` from the VPC's tags.
pub fn recover_from_tags(vpc_tags: &Tags, default_tags: &Tags) -> Option<Value> {
    let encoded = joined_config_tags(vpc_tags)?;
    let Json::Object(mut words) = serde_json::from_str::<Json>(&encoded).ok()? else {
        return None;
    };
    let has_tags = words.remove(TAGS_MARKER).is_some();
    words.retain(|k, _| RECORDED.contains(&k.as_str()));
    let decoded = json::decode(&Json::Object(words), &schema::schema().value_type()).ok()?;
    // Only the recorded arguments: the caller keeps what the state already has (`name`).
    let mut out = Value::Object(Default::default());
    for name in RECORDED {
        out.set(name, decoded.get(name).clone());
    }
    out.set("timeouts", Value::Null);
    let tags = if has_tags {
        let user: Tags = vpc_tags
            .iter()
            .filter(|(k, _)| !k.starts_with("platform:") && k.as_str() != "Name")
            .filter(|(k, v)| default_tags.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Value::string_map(user)
    } else {
        Value::Null
    };
    out.set("tags", tags);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::ec2::vpc::VpcSpec;
    use crate::plan::expand::naming::config_tags;
    use crate::plan::ledger::Recorded;

    fn config(json_text: &str) -> Value {
        json::decode(
            &serde_json::from_str(json_text).unwrap(),
            &schema::schema().value_type(),
        )
        .unwrap()
    }

    fn ledger_with(written: &str, extra_tags: &[(&str, &str)]) -> Ledger {
        let mut tags: Tags = config_tags(written).into_iter().collect();
        for (k, v) in extra_tags {
            tags.insert(k.to_string(), v.to_string());
        }
        let mut ledger = Ledger::new();
        ledger.children.insert(
            NodeKey::new(Kind::Vpc, &[]),
            Recorded {
                refs: Default::default(),
                id: "vpc-1".into(),
                observed: ChildSpec::Vpc(VpcSpec {
                    cidr: "10.0.0.0/16".into(),
                    enable_dns_support: true,
                    enable_dns_hostnames: true,
                    tags,
                }),
            },
        );
        ledger
    }

    #[test]
    fn written_arguments_round_trip_through_the_vpc_tags() {
        let written = config(
            r#"{"name":"prod","tier":"prod","tags":{"team":"core"},"deletion_protection":false,
                "network":{"cidr":"10.1.0.0/16","az_ids":["use1-az1","use1-az2"],
                           "nat":{"mode":"single"},"flow_logs":{"retention_days":90}},
                "logging":{"kms_key_arn":"arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"}}"#,
        );
        let encoded = encode(&written);
        let ledger = ledger_with(&encoded, &[("team", "core"), ("Name", "prod-vpc")]);
        let recovered = recover(&ledger, &Tags::new()).unwrap();
        for name in RECORDED.iter().chain(&["tags"]) {
            assert_eq!(recovered.get(name), written.get(name), "{name}");
        }
        // The import ID stays the caller's: nothing else is overwritten.
        assert!(recovered.get("name").is_null());
        assert_eq!(
            recovered.as_entries().unwrap().len(),
            RECORDED.len() + 2,
            "{recovered:?}"
        );
    }

    #[test]
    fn tags_set_by_default_tags_are_not_user_tags() {
        let written = config(r#"{"name":"dev","tier":"dev","tags":{"a":"1"}}"#);
        let ledger = ledger_with(&encode(&written), &[("a", "1"), ("cost", "x")]);
        let defaults: Tags = [("cost".to_string(), "x".to_string())]
            .into_iter()
            .collect();
        let recovered = recover(&ledger, &defaults).unwrap();
        assert_eq!(recovered.get("tags"), written.get("tags"));
        let untagged = config(r#"{"name":"dev","tier":"dev"}"#);
        let ledger = ledger_with(&encode(&untagged), &[("cost", "x")]);
        assert!(recover(&ledger, &defaults).unwrap().get("tags").is_null());
    }
}
