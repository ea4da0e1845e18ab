//! The configuration as written, recorded compactly in the VPC's `platform:config` tag.
//!
//! Import only knows a name or VPC ID, yet the plan after an import must be empty, so Read
//! must recover exactly which arguments the user set. Tier defaults make that impossible to
//! infer from the AWS objects alone (`az_count = 2` written vs. defaulted look the same), so
//! the written arguments travel with the VPC. User tags are recovered from the VPC's tags.

use std::collections::BTreeMap;

use crate::framework::value::{Number, Value};
use crate::plan::ledger::Ledger;
use crate::plan::node::{ChildSpec, Kind, NodeKey, Tags};

/// The VPC tag holding the encoding.
pub const CONFIG_TAG: &str = "platform:config";

/// Encodes the written arguments as space-separated `key=value` words (EC2 tag values allow
/// them, and the result stays far below the 256-character limit).
pub fn encode(config: &Value) -> String {
    let mut words = Vec::new();
    if let Some(tier) = config.get("tier").as_str() {
        words.push(format!("t={tier}"));
    }
    if !config.get("tags").is_null() {
        words.push("g".to_string());
    }
    let network = config.get("network");
    if !network.is_null() {
        words.push("n".to_string());
        if let Some(cidr) = network.get("cidr").as_str() {
            words.push(format!("c={cidr}"));
        }
        if let Some(count) = network.get("az_count").as_number() {
            words.push(format!("a={count}"));
        }
        if let Some(ids) = network.get("az_ids").as_elements() {
            let ids: Vec<&str> = ids.iter().filter_map(Value::as_str).collect();
            words.push(format!("z={}", ids.join("/")));
        }
        let nat = network.get("nat");
        if !nat.is_null() {
            words.push("m".to_string());
            if let Some(mode) = nat.get("mode").as_str() {
                words.push(format!("m.mode={mode}"));
            }
        }
        let newbits = network.get("subnet_newbits");
        if !newbits.is_null() {
            words.push("b".to_string());
            for (short, name) in [("p", "public"), ("v", "private"), ("d", "data")] {
                if let Some(n) = newbits.get(name).as_number() {
                    words.push(format!("b.{short}={n}"));
                }
            }
        }
    }
    words.join(" ")
}

/// Recovers `tier`, `tags`, `network` and `timeouts` from the VPC in the ledger.
pub fn recover(ledger: &Ledger, default_tags: &Tags) -> Option<Value> {
    let vpc = ledger.children.get(&NodeKey::new(Kind::Vpc, &[]))?;
    let ChildSpec::Vpc(spec) = &vpc.observed else {
        return None;
    };
    let encoded = spec.tags.get(CONFIG_TAG)?;
    let words: BTreeMap<&str, &str> = encoded
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| w.split_once('=').unwrap_or((w, "")))
        .collect();
    let number = |key: &str| {
        words
            .get(key)
            .and_then(|v| Number::parse(v))
            .map(Value::Number)
            .unwrap_or(Value::Null)
    };
    let string = |key: &str| {
        words
            .get(key)
            .map(|v| Value::string(*v))
            .unwrap_or(Value::Null)
    };

    let mut out = Value::Object(BTreeMap::new());
    out.set("tier", string("t"));
    out.set("timeouts", Value::Null);
    let tags = if words.contains_key("g") {
        let user: BTreeMap<String, String> = spec
            .tags
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
    if !words.contains_key("n") {
        out.set("network", Value::Null);
        return Some(out);
    }
    let mut network = Value::Object(BTreeMap::new());
    network.set("cidr", string("c"));
    network.set("az_count", number("a"));
    network.set(
        "az_ids",
        words
            .get("z")
            .map(|v| Value::string_list(v.split('/').filter(|s| !s.is_empty())))
            .unwrap_or(Value::Null),
    );
    let nat = if words.contains_key("m") {
        let mut nat = Value::Object(BTreeMap::new());
        nat.set("mode", string("m.mode"));
        nat
    } else {
        Value::Null
    };
    network.set("nat", nat);
    let newbits = if words.contains_key("b") {
        let mut b = Value::Object(BTreeMap::new());
        b.set("public", number("b.p"));
        b.set("private", number("b.v"));
        b.set("data", number("b.d"));
        b
    } else {
        Value::Null
    };
    network.set("subnet_newbits", newbits);
    out.set("network", network);
    Some(out)
}
