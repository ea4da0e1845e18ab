//! Typed writes into a [`Value`] through serde, guided by the schema's [`Type`].
//!
//! The type decides the shape: a Rust map becomes a cty map or object, a `Vec` a list or set,
//! as the schema says; `None` is null, and an object attribute the struct does not name is
//! null too. A struct field that is not an attribute of the object type is an error, so state
//! written from typed structs cannot drift from the schema. [`Planned`] writes a value that is
//! unknown until apply.

use std::collections::BTreeMap;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{self, Serialize, Serializer};

use super::de::{Error, PLANNED};
use super::{Number, Type, Value};
use crate::framework::path::AttrPath;

impl ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Error {
        <Error as de::Error>::custom(msg)
    }
}

/// A value known at plan, or only after apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Planned<T> {
    Known(T),
    Unknown,
}

impl<T> Planned<T> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Planned<U> {
        match self {
            Planned::Known(v) => Planned::Known(f(v)),
            Planned::Unknown => Planned::Unknown,
        }
    }
}

impl<T: Serialize> Serialize for Planned<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Planned::Known(value) => serializer.serialize_newtype_struct(PLANNED, value),
            Planned::Unknown => serializer.serialize_unit_struct(PLANNED),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Planned<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PlannedVisitor<T>(std::marker::PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for PlannedVisitor<T> {
            type Value = Planned<T>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a value or unknown")
            }

            fn visit_unit<E: de::Error>(self) -> Result<Planned<T>, E> {
                Ok(Planned::Unknown)
            }

            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                deserializer: D,
            ) -> Result<Planned<T>, D::Error> {
                T::deserialize(deserializer).map(Planned::Known)
            }
        }

        deserializer.deserialize_newtype_struct(PLANNED, PlannedVisitor(std::marker::PhantomData))
    }
}

/// Writes `value` as a cty value of type `ty`.
///
/// # Errors
/// A field or value the type has no place for, with its path: a bug in the model, which the
/// models' tests catch.
pub fn to_value<T: Serialize + ?Sized>(value: &T, ty: &Type) -> Result<Value, Error> {
    value.serialize(ValueSerializer {
        ty,
        path: AttrPath::root(),
    })
}

struct ValueSerializer<'t> {
    ty: &'t Type,
    path: AttrPath,
}

impl ValueSerializer<'_> {
    fn mismatch(&self, what: &str) -> Error {
        Error::at(
            &self.path,
            format!("the model writes {what}, the schema says {:?}", self.ty),
        )
    }

    fn number(self, number: Number) -> Result<Value, Error> {
        match self.ty {
            Type::Number => Ok(Value::Number(number)),
            _ => Err(self.mismatch("a number")),
        }
    }
}

macro_rules! signed {
    ($method:ident, $ty:ty) => {
        fn $method(self, v: $ty) -> Result<Value, Error> {
            self.number(Number::from_i64(i64::from(v)))
        }
    };
}

macro_rules! unsigned {
    ($method:ident, $ty:ty) => {
        fn $method(self, v: $ty) -> Result<Value, Error> {
            self.number(Number::from_u64(u64::from(v)))
        }
    };
}

impl<'t> Serializer for ValueSerializer<'t> {
    type Ok = Value;
    type Error = Error;
    type SerializeSeq = Elements<'t>;
    type SerializeTuple = Elements<'t>;
    type SerializeTupleStruct = ser::Impossible<Value, Error>;
    type SerializeTupleVariant = ser::Impossible<Value, Error>;
    type SerializeMap = Entries<'t>;
    type SerializeStruct = Entries<'t>;
    type SerializeStructVariant = ser::Impossible<Value, Error>;

    fn serialize_bool(self, v: bool) -> Result<Value, Error> {
        match self.ty {
            Type::Bool => Ok(Value::Bool(v)),
            _ => Err(self.mismatch("a bool")),
        }
    }

    signed!(serialize_i8, i8);
    signed!(serialize_i16, i16);
    signed!(serialize_i32, i32);
    signed!(serialize_i64, i64);
    unsigned!(serialize_u8, u8);
    unsigned!(serialize_u16, u16);
    unsigned!(serialize_u32, u32);
    unsigned!(serialize_u64, u64);

    fn serialize_f32(self, v: f32) -> Result<Value, Error> {
        self.serialize_f64(f64::from(v))
    }

    fn serialize_f64(self, v: f64) -> Result<Value, Error> {
        match Number::from_f64(v) {
            Some(number) => self.number(number),
            None => Err(self.mismatch("a number that is not finite")),
        }
    }

    fn serialize_char(self, v: char) -> Result<Value, Error> {
        self.serialize_str(&v.to_string())
    }

    fn serialize_str(self, v: &str) -> Result<Value, Error> {
        match self.ty {
            Type::String => Ok(Value::String(v.to_string())),
            _ => Err(self.mismatch("a string")),
        }
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<Value, Error> {
        Err(self.mismatch("bytes"))
    }

    fn serialize_none(self) -> Result<Value, Error> {
        Ok(Value::Null)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Value, Error> {
        Ok(Value::Null)
    }

    fn serialize_unit_struct(self, name: &'static str) -> Result<Value, Error> {
        Ok(if name == PLANNED {
            Value::Unknown
        } else {
            Value::Null
        })
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, Error> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<Value, Error> {
        Err(self.mismatch("an enum variant with data"))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Elements<'t>, Error> {
        let shape = match self.ty {
            Type::List(element) => Shape::List(element),
            Type::Set(element) => Shape::Set(element),
            Type::Tuple(elements) => Shape::Tuple(elements),
            _ => return Err(self.mismatch("a list")),
        };
        Ok(Elements {
            shape,
            items: Vec::with_capacity(len.unwrap_or_default()),
            path: self.path,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<Elements<'t>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(self.mismatch("a tuple struct"))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(self.mismatch("an enum variant with data"))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Entries<'t>, Error> {
        match self.ty {
            Type::Map(element) => Ok(Entries {
                target: Target::Map(element),
                entries: BTreeMap::new(),
                key: None,
                path: self.path,
            }),
            Type::Object(attrs) => Ok(Entries {
                target: Target::Object(attrs),
                entries: BTreeMap::new(),
                key: None,
                path: self.path,
            }),
            _ => Err(self.mismatch("a map")),
        }
    }

    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Entries<'t>, Error> {
        match self.ty {
            Type::Object(_) => self.serialize_map(Some(len)),
            _ => Err(self.mismatch("a block")),
        }
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(self.mismatch("an enum variant with data"))
    }
}

enum Shape<'t> {
    List(&'t Type),
    Set(&'t Type),
    Tuple(&'t [Type]),
}

struct Elements<'t> {
    shape: Shape<'t>,
    items: Vec<Value>,
    path: AttrPath,
}

impl ser::SerializeSeq for Elements<'_> {
    type Ok = Value;
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let index = self.items.len();
        let path = self.path.clone().index(index as i64);
        let ty = match &self.shape {
            Shape::List(element) | Shape::Set(element) => *element,
            Shape::Tuple(elements) => elements
                .get(index)
                .ok_or_else(|| Error::at(&path, "the tuple type has no element here"))?,
        };
        self.items
            .push(value.serialize(ValueSerializer { ty, path })?);
        Ok(())
    }

    fn end(self) -> Result<Value, Error> {
        Ok(match self.shape {
            Shape::List(_) => Value::List(self.items),
            Shape::Set(_) => {
                // A Value's set is kept deduplicated.
                let mut unique: Vec<Value> = Vec::with_capacity(self.items.len());
                for item in self.items {
                    if !unique.contains(&item) {
                        unique.push(item);
                    }
                }
                Value::Set(unique)
            }
            Shape::Tuple(_) => Value::Tuple(self.items),
        })
    }
}

impl ser::SerializeTuple for Elements<'_> {
    type Ok = Value;
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<Value, Error> {
        ser::SerializeSeq::end(self)
    }
}

enum Target<'t> {
    Map(&'t Type),
    Object(&'t BTreeMap<String, Type>),
}

struct Entries<'t> {
    target: Target<'t>,
    entries: BTreeMap<String, Value>,
    key: Option<String>,
    path: AttrPath,
}

impl Entries<'_> {
    fn put<T: Serialize + ?Sized>(&mut self, key: String, value: &T) -> Result<(), Error> {
        let (ty, path) = match &self.target {
            Target::Map(element) => (*element, self.path.clone().key(&key)),
            Target::Object(attrs) => {
                let path = self.path.clone().attr(&key);
                let ty = attrs
                    .get(&key)
                    .ok_or_else(|| Error::at(&path, "no such attribute in the schema"))?;
                (ty, path)
            }
        };
        let value = value.serialize(ValueSerializer { ty, path })?;
        self.entries.insert(key, value);
        Ok(())
    }

    fn finish(mut self) -> Value {
        match self.target {
            Target::Map(_) => Value::Map(self.entries),
            Target::Object(attrs) => {
                // Every attribute of an object is present; what the struct left out is null.
                for name in attrs.keys() {
                    self.entries.entry(name.clone()).or_insert(Value::Null);
                }
                Value::Object(self.entries)
            }
        }
    }
}

impl ser::SerializeMap for Entries<'_> {
    type Ok = Value;
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        let key = key.serialize(ValueSerializer {
            ty: &Type::String,
            path: self.path.clone(),
        })?;
        match key {
            Value::String(key) => {
                self.key = Some(key);
                Ok(())
            }
            other => Err(Error::at(
                &self.path,
                format!("map keys must be strings, not {other:?}"),
            )),
        }
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self
            .key
            .take()
            .ok_or_else(|| Error::at(&self.path, "a map value without its key"))?;
        self.put(key, value)
    }

    fn end(self) -> Result<Value, Error> {
        Ok(self.finish())
    }
}

impl ser::SerializeStruct for Entries<'_> {
    type Ok = Value;
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.put(key.to_string(), value)
    }

    fn end(self) -> Result<Value, Error> {
        Ok(self.finish())
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    use super::*;
    use crate::framework::value::de::from_value;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Mode {
        None,
        PerAz,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Block {
        mode: Option<Mode>,
        cidrs: Option<Vec<String>>,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Config {
        name: Option<String>,
        count: Option<u32>,
        enabled: Option<bool>,
        tags: Option<BTreeMap<String, String>>,
        network: Option<Block>,
    }

    #[derive(Serialize)]
    struct State<'a> {
        #[serde(flatten)]
        config: &'a Config,
        id: Planned<String>,
        cost: f64,
        by_role: BTreeMap<String, Planned<String>>,
    }

    fn block_type() -> Type {
        Type::Object(
            [
                ("mode".to_string(), Type::String),
                ("cidrs".to_string(), Type::set(Type::String)),
            ]
            .into(),
        )
    }

    fn state_type() -> Type {
        Type::Object(
            [
                ("name".to_string(), Type::String),
                ("count".to_string(), Type::Number),
                ("enabled".to_string(), Type::Bool),
                ("tags".to_string(), Type::map(Type::String)),
                ("network".to_string(), block_type()),
                ("id".to_string(), Type::String),
                ("cost".to_string(), Type::Number),
                ("by_role".to_string(), Type::map(Type::String)),
                ("computed_elsewhere".to_string(), Type::list(Type::String)),
            ]
            .into(),
        )
    }

    fn config() -> Config {
        Config {
            name: Some("env1".into()),
            count: Some(3),
            enabled: None,
            tags: Some([("team".to_string(), "core".to_string())].into()),
            network: Some(Block {
                mode: Some(Mode::PerAz),
                cidrs: Some(vec!["10.0.0.0/8".into(), "10.0.0.0/8".into()]),
            }),
        }
    }

    #[test]
    fn the_schema_type_decides_the_shape() {
        let state = State {
            config: &config(),
            id: Planned::Unknown,
            cost: 32.85,
            by_role: [
                ("services".to_string(), Planned::Known("sg-1".to_string())),
                ("data".to_string(), Planned::Unknown),
            ]
            .into(),
        };
        let value = to_value(&state, &state_type()).unwrap();
        assert_eq!(value.get("name"), &Value::string("env1"));
        assert_eq!(value.get("count"), &Value::int(3));
        assert_eq!(value.get("enabled"), &Value::Null);
        assert_eq!(value.get("tags"), &Value::string_map([("team", "core")]));
        assert_eq!(
            value.get("network"),
            &Value::Object(
                [
                    ("mode".to_string(), Value::string("per_az")),
                    // A set: deduplicated.
                    (
                        "cidrs".to_string(),
                        Value::Set(vec![Value::string("10.0.0.0/8")])
                    ),
                ]
                .into()
            )
        );
        assert_eq!(value.get("id"), &Value::Unknown);
        assert_eq!(value.get("cost").as_number().unwrap().as_decimal(), "32.85");
        assert_eq!(
            value.get("by_role"),
            &Value::Map(
                [
                    ("data".to_string(), Value::Unknown),
                    ("services".to_string(), Value::string("sg-1")),
                ]
                .into()
            )
        );
        // Attributes the struct does not name are present, and null.
        assert_eq!(value.as_entries().unwrap().len(), 9);
        assert!(value.get("computed_elsewhere").is_null());
    }

    #[test]
    fn configuration_round_trips() {
        let config_type = Type::Object(
            [
                ("name".to_string(), Type::String),
                ("count".to_string(), Type::Number),
                ("enabled".to_string(), Type::Bool),
                ("tags".to_string(), Type::map(Type::String)),
                ("network".to_string(), block_type()),
            ]
            .into(),
        );
        let mut original = config();
        original.network.as_mut().unwrap().cidrs = Some(vec!["10.0.0.0/8".into()]);
        let value = to_value(&original, &config_type).unwrap();
        let read: Config = from_value(&value).unwrap();
        assert_eq!(read, original);
        assert_eq!(to_value(&read, &config_type).unwrap(), value);
        let empty = Config {
            name: None,
            count: None,
            enabled: None,
            tags: None,
            network: None,
        };
        assert_eq!(
            from_value::<Config>(&to_value(&empty, &config_type).unwrap()).unwrap(),
            empty
        );
        // Unknown reads back as unknown.
        let planned: Planned<String> = from_value(&Value::Unknown).unwrap();
        assert_eq!(planned, Planned::Unknown);
        let known: Planned<String> = from_value(&Value::string("x")).unwrap();
        assert_eq!(known, Planned::Known("x".to_string()));
    }

    #[test]
    fn fields_the_schema_lacks_are_errors() {
        let narrow = Type::Object([("name".to_string(), Type::String)].into());
        let error = to_value(&config(), &narrow).unwrap_err();
        assert_eq!(error.path.to_string(), "count");
        let error = to_value(
            &config(),
            &Type::Object(
                [
                    ("name".to_string(), Type::String),
                    ("count".to_string(), Type::String),
                ]
                .into(),
            ),
        )
        .unwrap_err();
        assert_eq!(error.path.to_string(), "count");
        assert!(error.message.contains("a number"), "{}", error.message);
    }
}
