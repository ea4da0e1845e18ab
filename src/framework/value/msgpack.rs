//! The msgpack encoding of cty values (DynamicValue.msgpack).
//!
//! Terraform always sends msgpack and reads it first, so this is the codec on the hot path.
//! Decoding follows the type: objects are maps with every attribute, unknowns are any msgpack
//! extension (type 0 from older Terraform, refined type 12 from newer), numbers may arrive as
//! any int or float width or as a decimal string.

use std::collections::BTreeMap;
use std::io::Cursor;

use rmp::Marker;

use super::{Number, Type, Value};

/// Why bytes could not be decoded as the requested type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("msgpack value at {path}: {message}")]
pub struct DecodeError {
    pub path: String,
    pub message: String,
}

/// Encodes `value` as a value of `ty`.
pub fn encode(value: &Value, ty: &Type) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    write_value(&mut out, value, ty);
    out
}

/// Decodes bytes holding a value of `ty`. Empty input is null, as Terraform treats it.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, DecodeError> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    let mut reader = Reader {
        cursor: Cursor::new(bytes),
        path: Vec::new(),
    };
    let value = reader.read_value(ty)?;
    if (reader.cursor.position() as usize) != bytes.len() {
        return Err(reader.error("trailing bytes after value"));
    }
    Ok(value)
}

fn write_value(out: &mut Vec<u8>, value: &Value, ty: &Type) {
    // Writing to a Vec cannot fail, so the rmp results are safe to ignore.
    match value {
        Value::Null => {
            let _ = rmp::encode::write_nil(out);
        }
        Value::Unknown => out.extend_from_slice(&[0xd4, 0x00, 0x00]),
        _ if *ty == Type::Dynamic => {
            let concrete = infer_type(value);
            let _ = rmp::encode::write_array_len(out, 2);
            let type_json = concrete.to_json().to_string();
            let _ = rmp::encode::write_bin(out, type_json.as_bytes());
            write_value(out, value, &concrete);
        }
        Value::Bool(b) => {
            let _ = rmp::encode::write_bool(out, *b);
        }
        Value::Number(n) => write_number(out, n),
        Value::String(s) => {
            let _ = rmp::encode::write_str(out, s);
        }
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            let _ = rmp::encode::write_array_len(out, items.len() as u32);
            for (i, item) in items.iter().enumerate() {
                write_value(out, item, element_type(ty, i));
            }
        }
        Value::Map(entries) => {
            let _ = rmp::encode::write_map_len(out, entries.len() as u32);
            let element = match ty {
                Type::Map(e) => e.as_ref(),
                _ => &Type::Dynamic,
            };
            for (k, v) in entries {
                let _ = rmp::encode::write_str(out, k);
                write_value(out, v, element);
            }
        }
        Value::Object(attrs) => match ty {
            Type::Object(attr_types) => {
                // Every attribute of the type, sorted bytewise (BTreeMap order), null if absent.
                let _ = rmp::encode::write_map_len(out, attr_types.len() as u32);
                for (name, attr_ty) in attr_types {
                    let _ = rmp::encode::write_str(out, name);
                    write_value(out, attrs.get(name).unwrap_or(&Value::Null), attr_ty);
                }
            }
            _ => {
                let _ = rmp::encode::write_map_len(out, attrs.len() as u32);
                for (k, v) in attrs {
                    let _ = rmp::encode::write_str(out, k);
                    write_value(out, v, &infer_type(v));
                }
            }
        },
    }
}

fn write_number(out: &mut Vec<u8>, n: &Number) {
    if let Some(i) = n.to_i64() {
        let _ = rmp::encode::write_sint(out, i);
    } else if let Some(u) = n.to_u64() {
        let _ = rmp::encode::write_uint(out, u);
    } else {
        // Not an exact int64: the decimal string keeps every digit, and Terraform reads it.
        let _ = rmp::encode::write_str(out, n.as_decimal());
    }
}

fn element_type(ty: &Type, index: usize) -> &Type {
    match ty {
        Type::List(e) | Type::Set(e) => e,
        Type::Tuple(elems) => elems.get(index).unwrap_or(&Type::Dynamic),
        _ => &Type::Dynamic,
    }
}

/// The concrete type of a value, for values of dynamic attributes.
pub fn infer_type(value: &Value) -> Type {
    match value {
        Value::Null | Value::Unknown => Type::Dynamic,
        Value::Bool(_) => Type::Bool,
        Value::Number(_) => Type::Number,
        Value::String(_) => Type::String,
        Value::List(items) => Type::list(items.first().map(infer_type).unwrap_or(Type::Dynamic)),
        Value::Set(items) => Type::set(items.first().map(infer_type).unwrap_or(Type::Dynamic)),
        Value::Tuple(items) => Type::Tuple(items.iter().map(infer_type).collect()),
        Value::Map(entries) => Type::map(
            entries
                .values()
                .next()
                .map(infer_type)
                .unwrap_or(Type::Dynamic),
        ),
        Value::Object(attrs) => Type::Object(
            attrs
                .iter()
                .map(|(k, v)| (k.clone(), infer_type(v)))
                .collect(),
        ),
    }
}

struct Reader<'a> {
    cursor: Cursor<&'a [u8]>,
    path: Vec<String>,
}

impl Reader<'_> {
    fn error(&self, message: impl Into<String>) -> DecodeError {
        let path = if self.path.is_empty() {
            "(root)".to_string()
        } else {
            self.path.join(".")
        };
        DecodeError {
            path,
            message: message.into(),
        }
    }

    fn marker(&mut self) -> Result<Marker, DecodeError> {
        rmp::decode::read_marker(&mut self.cursor)
            .map_err(|_| self.error("unexpected end of input"))
    }

    fn take(&mut self, len: usize) -> Result<&[u8], DecodeError> {
        let start = self.cursor.position() as usize;
        let data = *self.cursor.get_ref();
        let end = start.checked_add(len).filter(|&e| e <= data.len());
        match end {
            Some(end) => {
                self.cursor.set_position(end as u64);
                Ok(&data[start..end])
            }
            None => Err(self.error("unexpected end of input")),
        }
    }

    fn read_be(&mut self, len: usize) -> Result<u64, DecodeError> {
        let bytes = self.take(len)?;
        Ok(bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    fn read_value(&mut self, ty: &Type) -> Result<Value, DecodeError> {
        let marker = self.marker()?;
        if marker == Marker::Null {
            return Ok(Value::Null);
        }
        if let Some(len) = self.ext_len(marker)? {
            // Any extension is an unknown; type 0 and refinements (12) alike.
            self.take(len + 1)?;
            return Ok(Value::Unknown);
        }
        match ty {
            Type::Dynamic => self.read_dynamic(marker),
            Type::String => match self.read_str_or_bin(marker)? {
                Some(s) => Ok(Value::String(s)),
                None => Err(self.error(format!("expected a string, found {marker:?}"))),
            },
            Type::Bool => match marker {
                Marker::True => Ok(Value::Bool(true)),
                Marker::False => Ok(Value::Bool(false)),
                other => Err(self.error(format!("expected a bool, found {other:?}"))),
            },
            Type::Number => self.read_number(marker).map(Value::Number),
            Type::List(element) | Type::Set(element) => {
                let len = self.array_len(marker)?;
                let mut items = Vec::with_capacity(len.min(1024));
                for i in 0..len {
                    self.path.push(i.to_string());
                    items.push(self.read_value(element)?);
                    self.path.pop();
                }
                if matches!(ty, Type::Set(_)) {
                    let mut unique: Vec<Value> = Vec::with_capacity(items.len());
                    for item in items {
                        if !unique.contains(&item) {
                            unique.push(item);
                        }
                    }
                    Ok(Value::Set(unique))
                } else {
                    Ok(Value::List(items))
                }
            }
            Type::Tuple(elements) => {
                let len = self.array_len(marker)?;
                if len != elements.len() {
                    return Err(self.error(format!(
                        "a tuple of {} elements is required ({len} given)",
                        elements.len()
                    )));
                }
                let mut items = Vec::with_capacity(len);
                for (i, element) in elements.iter().enumerate() {
                    self.path.push(i.to_string());
                    items.push(self.read_value(element)?);
                    self.path.pop();
                }
                Ok(Value::Tuple(items))
            }
            Type::Map(element) => {
                let len = self.map_len(marker)?;
                let mut entries = BTreeMap::new();
                for _ in 0..len {
                    let key = self.read_key()?;
                    self.path.push(key.clone());
                    let value = self.read_value(element)?;
                    self.path.pop();
                    entries.insert(key, value);
                }
                Ok(Value::Map(entries))
            }
            Type::Object(attr_types) => {
                let len = self.map_len(marker)?;
                let mut attrs = BTreeMap::new();
                for _ in 0..len {
                    let key = self.read_key()?;
                    let Some(attr_ty) = attr_types.get(&key) else {
                        return Err(self.error(format!("unsupported attribute {key:?}")));
                    };
                    self.path.push(key.clone());
                    let value = self.read_value(attr_ty)?;
                    self.path.pop();
                    attrs.insert(key, value);
                }
                // Attributes missing from the bytes are null, as go-cty fills them.
                for name in attr_types.keys() {
                    attrs.entry(name.clone()).or_insert(Value::Null);
                }
                Ok(Value::Object(attrs))
            }
        }
    }

    /// Payload length of an extension marker, excluding the type byte.
    fn ext_len(&mut self, marker: Marker) -> Result<Option<usize>, DecodeError> {
        Ok(Some(match marker {
            Marker::FixExt1 => 1,
            Marker::FixExt2 => 2,
            Marker::FixExt4 => 4,
            Marker::FixExt8 => 8,
            Marker::FixExt16 => 16,
            Marker::Ext8 => self.read_be(1)? as usize,
            Marker::Ext16 => self.read_be(2)? as usize,
            Marker::Ext32 => self.read_be(4)? as usize,
            _ => return Ok(None),
        }))
    }

    fn read_str_or_bin(&mut self, marker: Marker) -> Result<Option<String>, DecodeError> {
        let len = match marker {
            Marker::FixStr(n) => n as usize,
            Marker::Str8 | Marker::Bin8 => self.read_be(1)? as usize,
            Marker::Str16 | Marker::Bin16 => self.read_be(2)? as usize,
            Marker::Str32 | Marker::Bin32 => self.read_be(4)? as usize,
            _ => return Ok(None),
        };
        let bytes = self.take(len)?.to_vec();
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| self.error("string is not valid UTF-8"))
    }

    fn read_key(&mut self) -> Result<String, DecodeError> {
        let marker = self.marker()?;
        self.read_str_or_bin(marker)?
            .ok_or_else(|| self.error(format!("expected a string key, found {marker:?}")))
    }

    fn read_number(&mut self, marker: Marker) -> Result<Number, DecodeError> {
        let number = match marker {
            Marker::FixPos(n) => Some(Number::from_i64(i64::from(n))),
            Marker::FixNeg(n) => Some(Number::from_i64(i64::from(n))),
            Marker::U8 => Some(Number::from_u64(self.read_be(1)?)),
            Marker::U16 => Some(Number::from_u64(self.read_be(2)?)),
            Marker::U32 => Some(Number::from_u64(self.read_be(4)?)),
            Marker::U64 => Some(Number::from_u64(self.read_be(8)?)),
            Marker::I8 => Some(Number::from_i64(i64::from(self.read_be(1)? as u8 as i8))),
            Marker::I16 => Some(Number::from_i64(i64::from(self.read_be(2)? as u16 as i16))),
            Marker::I32 => Some(Number::from_i64(i64::from(self.read_be(4)? as u32 as i32))),
            Marker::I64 => Some(Number::from_i64(self.read_be(8)? as i64)),
            Marker::F32 => Number::from_f64(f64::from(f32::from_bits(self.read_be(4)? as u32))),
            Marker::F64 => Number::from_f64(f64::from_bits(self.read_be(8)?)),
            other => match self.read_str_or_bin(other)? {
                Some(text) => Number::parse(&text),
                None => return Err(self.error(format!("expected a number, found {other:?}"))),
            },
        };
        number.ok_or_else(|| self.error("number is not a finite decimal"))
    }

    fn array_len(&mut self, marker: Marker) -> Result<usize, DecodeError> {
        match marker {
            Marker::FixArray(n) => Ok(n as usize),
            Marker::Array16 => Ok(self.read_be(2)? as usize),
            Marker::Array32 => Ok(self.read_be(4)? as usize),
            other => Err(self.error(format!("expected an array, found {other:?}"))),
        }
    }

    fn map_len(&mut self, marker: Marker) -> Result<usize, DecodeError> {
        match marker {
            Marker::FixMap(n) => Ok(n as usize),
            Marker::Map16 => Ok(self.read_be(2)? as usize),
            Marker::Map32 => Ok(self.read_be(4)? as usize),
            other => Err(self.error(format!("expected a map, found {other:?}"))),
        }
    }

    /// A dynamic value: `[type JSON, value]`.
    fn read_dynamic(&mut self, marker: Marker) -> Result<Value, DecodeError> {
        if self.array_len(marker)? != 2 {
            return Err(self.error("a dynamic value must be a two-element array"));
        }
        let type_marker = self.marker()?;
        let type_json = self
            .read_str_or_bin(type_marker)?
            .ok_or_else(|| self.error("dynamic value without a type"))?;
        let ty = Type::from_json_bytes(type_json.as_bytes()).map_err(|m| self.error(m))?;
        if ty == Type::Dynamic {
            return Err(self.error("a dynamic value cannot have type dynamic"));
        }
        self.read_value(&ty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(pairs: &[(&str, Type)]) -> Type {
        Type::Object(
            pairs
                .iter()
                .map(|(k, t)| (k.to_string(), t.clone()))
                .collect(),
        )
    }

    fn schema_type() -> Type {
        obj(&[("id", Type::String), ("triggers", Type::map(Type::String))])
    }

    /// Bytes Terraform 1.0.3 sends (docs/design/protocol.md §6.4).
    #[test]
    fn decodes_terraform_golden_bytes() {
        let create = [
            0x82, 0xa2, b'i', b'd', 0xc0, 0xa8, b't', b'r', b'i', b'g', b'g', b'e', b'r', b's',
            0xc0,
        ];
        let v = decode(&create, &schema_type()).unwrap();
        assert_eq!(v.get("id"), &Value::Null);
        assert_eq!(v.get("triggers"), &Value::Null);

        let planned = [
            0x82, 0xa2, b'i', b'd', 0xd4, 0x00, 0x00, 0xa8, b't', b'r', b'i', b'g', b'g', b'e',
            b'r', b's', 0xc0,
        ];
        let v = decode(&planned, &schema_type()).unwrap();
        assert_eq!(v.get("id"), &Value::Unknown);

        // Encoding the decoded value gives the same bytes back.
        assert_eq!(encode(&v, &schema_type()), planned);

        assert_eq!(
            decode(&[0x80], &Type::Object(BTreeMap::new())).unwrap(),
            Value::Object(BTreeMap::new())
        );
        assert_eq!(decode(&[0xc0], &schema_type()).unwrap(), Value::Null);
        assert_eq!(decode(&[], &schema_type()).unwrap(), Value::Null);
    }

    #[test]
    fn unknowns_of_any_extension_type() {
        // fixext1 type 0; fixext1 type 12 (refined); ext8 with a refinement map payload.
        for bytes in [
            vec![0xd4, 0x00, 0x00],
            vec![0xd4, 0x0c, 0x00],
            vec![0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc2],
            vec![0xd5, 0x0c, 0x81, 0x01],
        ] {
            assert_eq!(
                decode(&bytes, &Type::String).unwrap(),
                Value::Unknown,
                "{bytes:x?}"
            );
        }
    }

    #[test]
    fn numbers_in_every_form() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![0x05], "5"),
            (vec![0xff], "-1"),
            (vec![0xcc, 0xc8], "200"),
            (vec![0xd1, 0xfc, 0x18], "-1000"),
            (vec![0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0], "1.5"),
            (vec![0xca, 0x3f, 0xc0, 0, 0], "1.5"),
            (vec![0xa3, b'0', b'.', b'1'], "0.1"),
            (
                [vec![0xb4], b"18446744073709551617".to_vec()].concat(),
                "18446744073709551617",
            ),
            (
                vec![0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                "18446744073709551615",
            ),
        ];
        for (bytes, want) in cases {
            let v = decode(&bytes, &Type::Number).unwrap();
            assert_eq!(v.as_number().unwrap().as_decimal(), want, "{bytes:x?}");
        }
        assert_eq!(encode(&Value::int(5), &Type::Number), vec![0x05]);
        assert_eq!(
            encode(&Value::Number(Number::parse("0.1").unwrap()), &Type::Number),
            vec![0xa3, b'0', b'.', b'1']
        );
    }

    #[test]
    fn dynamic_values_carry_their_type() {
        let mut bytes = vec![0x92, 0xc4, 0x08];
        bytes.extend_from_slice(b"\"string\"");
        bytes.extend_from_slice(&[0xa1, b's']);
        assert_eq!(decode(&bytes, &Type::Dynamic).unwrap(), Value::string("s"));
        assert_eq!(encode(&Value::string("s"), &Type::Dynamic), bytes);
    }

    #[test]
    fn objects_are_sorted_and_complete() {
        let ty = obj(&[("b", Type::Bool), ("a", Type::String), ("n", Type::Number)]);
        let mut attrs = BTreeMap::new();
        attrs.insert("b".to_string(), Value::Bool(true));
        let bytes = encode(&Value::Object(attrs), &ty);
        assert_eq!(
            bytes,
            vec![0x83, 0xa1, b'a', 0xc0, 0xa1, b'b', 0xc3, 0xa1, b'n', 0xc0]
        );
        let round = decode(&bytes, &ty).unwrap();
        assert_eq!(round.get("b"), &Value::Bool(true));
    }

    #[test]
    fn rejects_bad_input_without_panicking() {
        let ty = obj(&[("a", Type::String)]);
        assert!(decode(&[0x81, 0xa1, b'z', 0xc0], &ty)
            .unwrap_err()
            .message
            .contains("unsupported attribute"));
        assert!(decode(&[0x81], &ty).is_err());
        assert!(decode(&[0x05], &Type::String).is_err());
        assert!(decode(&[0xdd, 0xff, 0xff, 0xff, 0xff], &Type::list(Type::String)).is_err());
        assert!(decode(&[0xc0, 0xc0], &Type::String).is_err());
        // Sets collapse duplicates.
        let v = decode(&[0x92, 0xa1, b'x', 0xa1, b'x'], &Type::set(Type::String)).unwrap();
        assert_eq!(v, Value::Set(vec![Value::string("x")]));
    }
}
