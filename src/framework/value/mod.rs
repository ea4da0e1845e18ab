//! cty values as Terraform exchanges them: typed, possibly null or unknown.
//!
//! Owns the dynamic value model, its two wire codecs (msgpack and JSON) and the one conversion
//! between values and typed Rust structs (`de`, `ser`). Knows nothing about schemas beyond the
//! [`Type`] a schema implies, and nothing about AWS or prost.

pub mod de;
pub mod json;
pub mod msgpack;
mod number;
pub mod ser;
mod types;

pub use number::Number;
pub use ser::Planned;
pub use types::Type;

use std::collections::BTreeMap;

/// A cty value. Collections keep element order as received; sets are kept deduplicated.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Absent or explicitly null.
    Null,
    /// Not known until apply. Refinements sent by newer Terraform are dropped.
    Unknown,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Set(Vec<Value>),
    Tuple(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// True when neither this value nor anything inside it is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                items.iter().all(Value::is_wholly_known)
            }
            Value::Map(entries) | Value::Object(entries) => {
                entries.values().all(Value::is_wholly_known)
            }
            _ => true,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// Elements of a list, set or tuple.
    pub fn as_elements(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => Some(items),
            _ => None,
        }
    }

    /// Entries of a map or object.
    pub fn as_entries(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(entries) | Value::Object(entries) => Some(entries),
            _ => None,
        }
    }

    /// An attribute of an object; `Null` when this is not an object or lacks it.
    pub fn get(&self, name: &str) -> &Value {
        static NULL: Value = Value::Null;
        match self {
            Value::Object(attrs) => attrs.get(name).unwrap_or(&NULL),
            _ => &NULL,
        }
    }

    /// The value at `path` (attributes, map keys, list indices); `Null` where there is none.
    pub fn at(&self, path: &crate::framework::path::AttrPath) -> &Value {
        use crate::framework::path::Step;
        static NULL: Value = Value::Null;
        let mut value = self;
        for step in &path.0 {
            value = match step {
                Step::Attribute(name) => value.get(name),
                Step::Key(key) => value
                    .as_entries()
                    .and_then(|entries| entries.get(key))
                    .unwrap_or(&NULL),
                Step::Index(index) => usize::try_from(*index)
                    .ok()
                    .and_then(|i| value.as_elements()?.get(i))
                    .unwrap_or(&NULL),
            };
        }
        value
    }

    /// Sets an attribute on an object value; no effect on other values.
    pub fn set(&mut self, name: &str, value: Value) {
        if let Value::Object(attrs) = self {
            attrs.insert(name.to_string(), value);
        }
    }

    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn int(n: i64) -> Value {
        Value::Number(Number::from_i64(n))
    }

    pub fn string_list<I, S>(items: I) -> Value
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Value::List(items.into_iter().map(|s| Value::String(s.into())).collect())
    }

    pub fn string_map<I, K, V>(entries: I) -> Value
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k.into(), Value::String(v.into())))
                .collect(),
        )
    }

    /// The null value of `ty` with blocks treated as Terraform does for absent config:
    /// plain null.
    pub fn null() -> Value {
        Value::Null
    }
}
