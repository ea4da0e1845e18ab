//! The configuration as written, recorded on the VPC in `platform:config` tags.
//!
//! Import only knows a name or VPC ID, yet the plan after an import must be empty, so Read
//! must recover exactly which arguments the user set. Tier defaults make that impossible to
//! infer from the AWS objects alone (`az_count = 2` written vs. defaulted look the same), so
//! the written arguments travel with the VPC as compact JSON with nulls left out. User tags are
//! recovered from the VPC's own tags, so only their presence is recorded.

use serde_json::{Map, Value as Json};

use crate::framework::diag::Diagnostic;
use crate::framework::value::{de, json, ser};
use crate::plan::expand::naming::joined_config_tags;
use crate::plan::ledger::Ledger;
use crate::plan::node::{ChildSpec, Kind, NodeKey, Tags};

use super::model::EnvironmentConfig;
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
    "service_discovery",
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

/// Compact JSON of the recorded arguments, in the cty JSON encoding, so the text (and so the
/// VPC's tags) stays the same from one provider version to the next.
///
/// # Errors
/// A configuration the schema has no place for: a bug in the model.
pub fn encode(config: &EnvironmentConfig) -> Result<String, Diagnostic> {
    let ty = schema::schema().value_type();
    let value = ser::to_value(config, &ty).map_err(|e| {
        Diagnostic::error(
            "Recording the environment's configuration",
            format!("The provider could not write the configuration ({e}); this is a bug."),
        )
    })?;
    let full = json::encode(&value, &ty);
    let mut out = Map::new();
    for name in RECORDED {
        if let Some(value) = full.get(*name).cloned().and_then(prune_nulls) {
            out.insert(name.to_string(), value);
        }
    }
    if config.tags.is_some() {
        out.insert(TAGS_MARKER.to_string(), Json::Bool(true));
    }
    Ok(Json::Object(out).to_string())
}

/// Recovers the written arguments, `tags` and `timeouts` from the VPC in the ledger.
pub fn recover(ledger: &Ledger, default_tags: &Tags) -> Option<EnvironmentConfig> {
    let vpc = ledger.children.get(&NodeKey::new(Kind::Vpc, &[]))?;
    let ChildSpec::Vpc(spec) = &vpc.observed else {
        return None;
    };
    recover_from_tags(&spec.tags, default_tags)
}

/// Recovers the written arguments and `tags` from the VPC's tags; `name` (the caller has it)
/// and `timeouts` (not recorded) are left unset.
pub fn recover_from_tags(vpc_tags: &Tags, default_tags: &Tags) -> Option<EnvironmentConfig> {
    let encoded = joined_config_tags(vpc_tags)?;
    let Json::Object(mut words) = serde_json::from_str::<Json>(&encoded).ok()? else {
        return None;
    };
    let has_tags = words.remove(TAGS_MARKER).is_some();
    words.retain(|k, _| RECORDED.contains(&k.as_str()));
    let decoded = json::decode(&Json::Object(words), &schema::schema().value_type()).ok()?;
    let mut recovered: EnvironmentConfig = de::from_value(&decoded).ok()?;
    recovered.tags = has_tags.then(|| {
        vpc_tags
            .iter()
            .filter(|(k, _)| !k.starts_with("platform:") && k.as_str() != "Name")
            .filter(|(k, v)| default_tags.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    });
    Some(recovered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::ec2::vpc::VpcSpec;
    use crate::plan::expand::naming::config_tags;
    use crate::plan::ledger::Recorded;

    fn config(json_text: &str) -> EnvironmentConfig {
        let value = json::decode(
            &serde_json::from_str(json_text).unwrap(),
            &schema::schema().value_type(),
        )
        .unwrap();
        de::from_value(&value).unwrap()
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
        let encoded = encode(&written).unwrap();
        // The recorded text is what earlier versions wrote: nulls left out, arguments in
        // RECORDED order, a block's attributes sorted.
        assert_eq!(
            encoded,
            r##"{"tier":"prod","deletion_protection":false,"network":{"az_ids":["use1-az1","use1-az2"],"cidr":"10.1.0.0/16","flow_logs":{"retention_days":90},"nat":{"mode":"single"}},"logging":{"kms_key_arn":"arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"},"#tags":true}"##
        );
        let ledger = ledger_with(&encoded, &[("team", "core"), ("Name", "prod-vpc")]);
        let recovered = recover(&ledger, &Tags::new()).unwrap();
        // The import ID stays the caller's, and timeouts are not recorded.
        assert_eq!(
            recovered,
            EnvironmentConfig {
                name: None,
                timeouts: None,
                ..written
            }
        );
    }

    #[test]
    fn tags_set_by_default_tags_are_not_user_tags() {
        let written = config(r#"{"name":"dev","tier":"dev","tags":{"a":"1"}}"#);
        let ledger = ledger_with(&encode(&written).unwrap(), &[("a", "1"), ("cost", "x")]);
        let defaults: Tags = [("cost".to_string(), "x".to_string())]
            .into_iter()
            .collect();
        let recovered = recover(&ledger, &defaults).unwrap();
        assert_eq!(recovered.tags, written.tags);
        let untagged = config(r#"{"name":"dev","tier":"dev"}"#);
        let ledger = ledger_with(&encode(&untagged).unwrap(), &[("cost", "x")]);
        assert_eq!(recover(&ledger, &defaults).unwrap().tags, None);
    }
}
