//! The JSON encoding of cty values (RawState and DynamicValue.json).
//!
//! JSON has no unknowns. Missing object attributes decode as null (state may predate an
//! attribute); attributes the type does not know are rejected.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::{msgpack::infer_type, Number, Type, Value};

/// Decodes a JSON document as a value of `ty`.
pub fn decode(json: &Json, ty: &Type) -> Result<Value, String> {
    decode_at(json, ty, "(root)")
}

/// Decodes JSON bytes as a value of `ty`; empty bytes are null.
pub fn decode_bytes(bytes: &[u8], ty: &Type) -> Result<Value, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    let json: Json = serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON: {e}"))?;
    decode(&json, ty)
}

fn decode_at(json: &Json, ty: &Type, path: &str) -> Result<Value, String> {
    if json.is_null() {
        return Ok(Value::Null);
    }
    let mismatch = |want: &str| format!("{path}: expected {want}, found {json}");
    match ty {
        Type::String => match json {
            Json::String(s) => Ok(Value::String(s.clone())),
            // go-cty converts primitives to string on decode.
            Json::Number(n) => Ok(Value::String(n.to_string())),
            Json::Bool(b) => Ok(Value::String(b.to_string())),
            _ => Err(mismatch("a string")),
        },
        Type::Number => match json {
            Json::Number(n) => json_number(n)
                .map(Value::Number)
                .ok_or_else(|| mismatch("a number")),
            Json::String(s) => Number::parse(s)
                .map(Value::Number)
                .ok_or_else(|| mismatch("a number")),
            _ => Err(mismatch("a number")),
        },
        Type::Bool => match json {
            Json::Bool(b) => Ok(Value::Bool(*b)),
            Json::String(s) if s == "true" || s == "false" => Ok(Value::Bool(s == "true")),
            _ => Err(mismatch("a bool")),
        },
        Type::List(e) | Type::Set(e) => {
            let items = json.as_array().ok_or_else(|| mismatch("an array"))?;
            let values = items
                .iter()
                .enumerate()
                .map(|(i, item)| decode_at(item, e, &format!("{path}[{i}]")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if matches!(ty, Type::Set(_)) {
                // Duplicates collapse, as in msgpack: a Value's set is deduplicated.
                let mut unique: Vec<Value> = Vec::with_capacity(values.len());
                for value in values {
                    if !unique.contains(&value) {
                        unique.push(value);
                    }
                }
                Value::Set(unique)
            } else {
                Value::List(values)
            })
        }
        Type::Tuple(elems) => {
            let items = json.as_array().ok_or_else(|| mismatch("an array"))?;
            if items.len() != elems.len() {
                return Err(mismatch(&format!("a tuple of {} elements", elems.len())));
            }
            let values = items
                .iter()
                .zip(elems)
                .enumerate()
                .map(|(i, (item, t))| decode_at(item, t, &format!("{path}[{i}]")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Tuple(values))
        }
        Type::Map(e) => {
            let entries = json.as_object().ok_or_else(|| mismatch("an object"))?;
            let mut out = BTreeMap::new();
            for (k, v) in entries {
                out.insert(k.clone(), decode_at(v, e, &format!("{path}.{k}"))?);
            }
            Ok(Value::Map(out))
        }
        Type::Object(attr_types) => {
            let entries = json.as_object().ok_or_else(|| mismatch("an object"))?;
            let mut out = BTreeMap::new();
            for (k, v) in entries {
                let t = attr_types
                    .get(k)
                    .ok_or_else(|| format!("{path}: unsupported attribute {k:?}"))?;
                out.insert(k.clone(), decode_at(v, t, &format!("{path}.{k}"))?);
            }
            for name in attr_types.keys() {
                out.entry(name.clone()).or_insert(Value::Null);
            }
            Ok(Value::Object(out))
        }
        Type::Dynamic => {
            let entries = json
                .as_object()
                .ok_or_else(|| mismatch("a dynamic value object"))?;
            let ty_json = entries
                .get("type")
                .ok_or_else(|| mismatch("a \"type\" key"))?;
            let concrete = Type::from_json(ty_json).map_err(|e| format!("{path}: {e}"))?;
            decode_at(entries.get("value").unwrap_or(&Json::Null), &concrete, path)
        }
    }
}

/// JSON numbers are exact up to 64-bit integers; beyond that, state files hold floats anyway.
fn json_number(n: &serde_json::Number) -> Option<Number> {
    if let Some(i) = n.as_i64() {
        Some(Number::from_i64(i))
    } else if let Some(u) = n.as_u64() {
        Some(Number::from_u64(u))
    } else {
        n.as_f64().and_then(Number::from_f64)
    }
}

/// A JSON number when one holds `n` exactly, else its decimal as a string (which `decode`, like
/// go-cty, reads as a number): serde_json numbers are only i64, u64 or f64.
fn encode_number(n: &Number) -> Json {
    match serde_json::from_str::<serde_json::Number>(n.as_decimal()) {
        Ok(json) if json_number(&json).as_ref() == Some(n) => Json::Number(json),
        _ => Json::String(n.as_decimal().to_string()),
    }
}

/// Encodes a wholly known value as JSON. Unknowns become null (JSON cannot carry them).
pub fn encode(value: &Value, ty: &Type) -> Json {
    match value {
        Value::Null | Value::Unknown => Json::Null,
        _ if *ty == Type::Dynamic => {
            let concrete = infer_type(value);
            serde_json::json!({ "type": concrete.to_json(), "value": encode(value, &concrete) })
        }
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => encode_number(n),
        Value::String(s) => Json::String(s.clone()),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => Json::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let t = match ty {
                        Type::List(e) | Type::Set(e) => e.as_ref(),
                        Type::Tuple(elems) => elems.get(i).unwrap_or(&Type::Dynamic),
                        _ => &Type::Dynamic,
                    };
                    encode(item, t)
                })
                .collect(),
        ),
        Value::Map(entries) => {
            let e = match ty {
                Type::Map(e) => e.as_ref(),
                _ => &Type::Dynamic,
            };
            Json::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), encode(v, e)))
                    .collect(),
            )
        }
        Value::Object(attrs) => match ty {
            Type::Object(attr_types) => Json::Object(
                attr_types
                    .iter()
                    .map(|(k, t)| (k.clone(), encode(attrs.get(k).unwrap_or(&Value::Null), t)))
                    .collect(),
            ),
            _ => Json::Object(
                attrs
                    .iter()
                    .map(|(k, v)| (k.clone(), encode(v, &infer_type(v))))
                    .collect(),
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_state_round_trip_and_missing_attributes() {
        let ty = Type::Object(
            [
                ("id".to_string(), Type::String),
                ("n".to_string(), Type::Number),
                ("tags".to_string(), Type::map(Type::String)),
                ("added_later".to_string(), Type::list(Type::String)),
            ]
            .into_iter()
            .collect(),
        );
        let raw = br#"{
          "id": "env1",
          "n": 0.1,
          "tags": {"a": "b"}
        }"#;
        let v = decode_bytes(raw, &ty).unwrap();
        assert_eq!(v.get("id"), &Value::string("env1"));
        assert_eq!(v.get("n").as_number().unwrap().as_decimal(), "0.1");
        assert_eq!(v.get("added_later"), &Value::Null);
        let back = encode(&v, &ty);
        assert_eq!(back["tags"]["a"], "b");
        assert!(decode_bytes(br#"{"bogus": 1}"#, &ty)
            .unwrap_err()
            .contains("unsupported attribute"));
        assert_eq!(decode_bytes(b"", &ty).unwrap(), Value::Null);
    }

    #[test]
    fn numbers_as_json_numbers_or_strings() {
        let v = decode_bytes(b"18446744073709551615", &Type::Number).unwrap();
        assert_eq!(v.as_number().unwrap().as_decimal(), "18446744073709551615");
        let v = decode_bytes(br#""18446744073709551617""#, &Type::Number).unwrap();
        assert_eq!(v.as_number().unwrap().as_decimal(), "18446744073709551617");
        let v = decode_bytes(b"1.5", &Type::Number).unwrap();
        assert_eq!(v.as_number().unwrap().as_decimal(), "1.5");
    }

    /// Found by fuzz/fuzz_targets/value_decode.rs: JSON kept duplicates msgpack collapses.
    #[test]
    fn set_duplicates_collapse_as_in_msgpack() {
        let ty = Type::set(Type::String);
        let v = decode_bytes(br#"["a", "b", "a"]"#, &ty).unwrap();
        assert_eq!(v, Value::Set(vec![Value::string("a"), Value::string("b")]));
        let packed = super::super::msgpack::encode(&v, &ty);
        assert_eq!(super::super::msgpack::decode(&packed, &ty).unwrap(), v);
    }

    /// Found by fuzz/fuzz_targets/value_decode.rs: a decimal no f64 holds lost digits.
    #[test]
    fn numbers_keep_every_digit_through_encode() {
        for (text, want) in [
            ("5", "5"),
            ("0.1", "0.1"),
            ("18446744073709551615", "18446744073709551615"),
            ("18446744073709551617", "\"18446744073709551617\""),
            ("0.1000000000000000000001", "\"0.1000000000000000000001\""),
        ] {
            let n = Value::Number(Number::parse(text).unwrap());
            let json = encode(&n, &Type::Number);
            assert_eq!(json.to_string(), want);
            assert_eq!(decode(&json, &Type::Number).unwrap(), n, "{text}");
        }
    }
}
