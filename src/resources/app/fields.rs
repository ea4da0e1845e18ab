//! Reading known configuration values; unknown or absent values read as `None`.

use std::collections::BTreeMap;

use crate::framework::value::Value;

pub fn string(value: &Value) -> Option<String> {
    value.as_str().map(str::to_string)
}

pub fn uint(value: &Value) -> Option<u32> {
    value
        .as_number()
        .and_then(|n| n.to_i64())
        .and_then(|n| u32::try_from(n).ok())
}

pub fn boolean(value: &Value) -> Option<bool> {
    value.as_bool()
}

/// A list of strings in the given order.
pub fn strings(value: &Value) -> Option<Vec<String>> {
    Some(
        value
            .as_elements()?
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
    )
}

/// A list of strings, sorted and unique.
pub fn string_set(value: &Value) -> Option<Vec<String>> {
    let mut items = strings(value)?;
    items.sort();
    items.dedup();
    Some(items)
}

pub fn string_map(value: &Value) -> Option<BTreeMap<String, String>> {
    Some(
        value
            .as_entries()?
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect(),
    )
}

/// A single nested block: present when it is an object.
pub fn block(value: &Value) -> Option<&Value> {
    match value {
        Value::Object(_) => Some(value),
        Value::List(items) | Value::Set(items) => items.first(),
        _ => None,
    }
}
