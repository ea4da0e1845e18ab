//! Typed reads of a [`Value`] through serde: configuration and state into Rust structs.
//!
//! # How values read
//! - An object attribute reads into the struct field of its name; an attribute the value lacks
//!   reads as null (state may predate an attribute). [`check_fields`] ties a struct to its
//!   schema: every field must be an attribute of the schema's type, with a matching type.
//! - Null reads as `None`; into anything else it is an error ("must not be null").
//! - Numbers read into integer types only when whole and in range ("numbers that do not fit"
//!   are errors); strings read into unit enum variants by name.
//! - Every error names the attribute path, e.g. `routing.health_check.interval`.
//!
//! # Unknown values
//! [`from_value`] reads a wholly known value: an unknown anywhere is an error. Plan and apply
//! read configuration only once it is wholly known (they check `is_wholly_known` first), and
//! state is always known.
//!
//! [`from_known_part`] is for validate, which judges only what is known: an unknown reads as
//! "not judged" and its path is recorded in [`Unjudged`], never as a default.
//! - An `Option` over a value that is not wholly known reads as `None`, except over a block
//!   (an object), whose known attributes are still read, and a map, whose entries with unknown
//!   values are left out (keys are always known, so each known entry can be judged).
//! - A list or set with an unknown element reads as `None` as a whole: its length and order
//!   matter, so no part of it is judged.
//! - Checks that compare one argument with another ask [`Unjudged::is_known`] for both.
//! - A known value that does not fit is an error, and reads as null so the rest is judged.

use std::cell::RefCell;
use std::fmt;

use serde::de::value::StrDeserializer;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};

use super::{Type, Value};
use crate::framework::path::{AttrPath, Step};

/// The newtype-struct name by which [`super::ser::Planned`] asks for "known or unknown".
pub(super) const PLANNED: &str = "$cty::planned";

/// A value that cannot be read into the requested type, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub path: AttrPath,
    pub message: String,
    /// Set once the innermost value that failed is known; serde's own errors (a missing
    /// variant) are raised before that and get the path on their way out.
    located: bool,
}

impl Error {
    pub(super) fn at(path: &AttrPath, message: impl Into<String>) -> Error {
        Error {
            path: path.clone(),
            message: message.into(),
            located: true,
        }
    }

    fn locate(mut self, path: &AttrPath) -> Error {
        if !self.located {
            self.path = path.clone();
            self.located = true;
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_root() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Error {
        Error {
            path: AttrPath::root(),
            message: msg.to_string(),
            located: false,
        }
    }
}

/// Paths [`from_known_part`] did not judge: unknown values, and values that did not fit (those
/// are also reported as errors).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unjudged(Vec<AttrPath>);

impl Unjudged {
    /// Everything judged: what plan and apply read.
    pub fn none() -> Unjudged {
        Unjudged(Vec::new())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when the value at `path`, and everything inside and around it, was judged.
    pub fn is_known(&self, path: &AttrPath) -> bool {
        !self
            .0
            .iter()
            .any(|u| u.starts_with(path) || path.starts_with(u))
    }

    /// [`Unjudged::is_known`] for a path of attribute names.
    pub fn is_known_at(&self, names: &[&str]) -> bool {
        self.is_known(&AttrPath::attrs(names))
    }

    /// True when the value at exactly `path` was not judged: it is there (not null) but
    /// unknown or unreadable. Inside a block that is unknown as a whole nothing is known to be
    /// there.
    pub fn holds(&self, path: &AttrPath) -> bool {
        self.0.contains(path)
    }

    pub fn paths(&self) -> &[AttrPath] {
        &self.0
    }
}

/// What validate reads of a configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownPart<T> {
    pub value: T,
    pub unjudged: Unjudged,
    /// Known values that did not fit, each read as null instead.
    pub errors: Vec<Error>,
}

/// Reads a wholly known value; an unknown anywhere is an error.
///
/// # Errors
/// The first value that does not fit, with its path.
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, Error> {
    let context = Context {
        partial: false,
        unknowns: RefCell::new(Vec::new()),
    };
    T::deserialize(ValueDeserializer::new(value, AttrPath::root(), &context))
        .map_err(|e| e.locate(&AttrPath::root()))
}

/// Reads what is known of a value (validate): unknowns read as not judged, with their paths,
/// and an attribute whose known value does not fit reads as null beside its error, so one bad
/// value hides no other.
///
/// # Errors
/// A value that does not fit where no attribute can stand in for it (the root, or an attribute
/// the model cannot take as null).
pub fn from_known_part<T: DeserializeOwned>(value: &Value) -> Result<KnownPart<T>, Error> {
    let mut current = std::borrow::Cow::Borrowed(value);
    let mut errors = Vec::new();
    let mut unread = Vec::new();
    loop {
        let context = Context {
            partial: true,
            unknowns: RefCell::new(Vec::new()),
        };
        let read = T::deserialize(ValueDeserializer::new(&current, AttrPath::root(), &context))
            .map_err(|e| e.locate(&AttrPath::root()));
        match read {
            Ok(read) => {
                let mut unjudged = context.unknowns.into_inner();
                unjudged.extend(unread);
                return Ok(KnownPart {
                    value: read,
                    unjudged: Unjudged(unjudged),
                    errors,
                });
            }
            Err(error) => {
                let attribute = AttrPath(
                    error
                        .path
                        .0
                        .iter()
                        .take_while(|step| matches!(step, Step::Attribute(_)))
                        .cloned()
                        .collect(),
                );
                if attribute.is_root() || !null_attribute(current.to_mut(), &attribute) {
                    return Err(error);
                }
                unread.push(attribute);
                errors.push(error);
            }
        }
    }
}

/// Sets the attribute at `path` to null; false when it already is (or is not there).
fn null_attribute(value: &mut Value, path: &AttrPath) -> bool {
    let mut value = value;
    for step in &path.0 {
        let (Step::Attribute(name), Value::Object(attrs)) = (step, value) else {
            return false;
        };
        let Some(next) = attrs.get_mut(name) else {
            return false;
        };
        value = next;
    }
    if value.is_null() {
        return false;
    }
    *value = Value::Null;
    true
}

struct Context {
    partial: bool,
    unknowns: RefCell<Vec<AttrPath>>,
}

impl Context {
    /// Records a value that is not judged.
    fn unknown(&self, path: &AttrPath) {
        self.unknowns.borrow_mut().push(path.clone());
    }
}

struct ValueDeserializer<'de, 'c> {
    value: &'de Value,
    path: AttrPath,
    context: &'c Context,
}

impl<'de, 'c> ValueDeserializer<'de, 'c> {
    fn new(value: &'de Value, path: AttrPath, context: &'c Context) -> Self {
        ValueDeserializer {
            value,
            path,
            context,
        }
    }

    fn error(&self, message: impl Into<String>) -> Error {
        Error::at(&self.path, message)
    }

    /// The error for a value of the wrong kind, null or unknown included.
    fn expected(&self, what: &str) -> Error {
        match self.value {
            Value::Null => self.error("must not be null"),
            Value::Unknown => self.error("is not known until apply"),
            _ => self.error(format!("must be {what}")),
        }
    }

    /// A whole number within `min..=max` (the target type's range).
    fn integer(&self, min: i128, max: i128) -> Result<i128, Error> {
        let Value::Number(n) = self.value else {
            return Err(self.expected("a number"));
        };
        n.is_integer()
            .then(|| n.as_decimal().parse::<i128>().ok())
            .flatten()
            .filter(|i| (min..=max).contains(i))
            .ok_or_else(|| {
                self.error(format!(
                    "must be a whole number from {min} to {max}, got {n}"
                ))
            })
    }
}

macro_rules! integer {
    ($method:ident, $visit:ident, $ty:ty) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            let n = self.integer(i128::from(<$ty>::MIN), i128::from(<$ty>::MAX))?;
            // In range by the check above.
            visitor.$visit(n as $ty)
        }
    };
}

impl<'de> de::Deserializer<'de> for ValueDeserializer<'de, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_none(),
            Value::Unknown => Err(self.expected("known")),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => {
                if let Some(i) = n.to_i64() {
                    visitor.visit_i64(i)
                } else if let Some(u) = n.to_u64() {
                    visitor.visit_u64(u)
                } else {
                    visitor.visit_f64(n.to_f64())
                }
            }
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::List(_) | Value::Set(_) | Value::Tuple(_) => self.deserialize_seq(visitor),
            Value::Map(_) | Value::Object(_) => self.deserialize_map(visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Bool(b) => visitor.visit_bool(*b),
            _ => Err(self.expected("true or false")),
        }
    }

    integer!(deserialize_i8, visit_i8, i8);
    integer!(deserialize_i16, visit_i16, i16);
    integer!(deserialize_i32, visit_i32, i32);
    integer!(deserialize_i64, visit_i64, i64);
    integer!(deserialize_u8, visit_u8, u8);
    integer!(deserialize_u16, visit_u16, u16);
    integer!(deserialize_u32, visit_u32, u32);
    integer!(deserialize_u64, visit_u64, u64);

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Number(n) => visitor.visit_f64(n.to_f64()),
            _ => Err(self.expected("a number")),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::String(s) => visitor.visit_borrowed_str(s),
            _ => Err(self.expected("a string")),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(self.error("cty has no bytes"))
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(self.error("cty has no bytes"))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_none(),
            Value::Unknown if self.context.partial => {
                self.context.unknown(&self.path);
                visitor.visit_none()
            }
            Value::Unknown => Err(self.expected("known")),
            // A block's known attributes are judged; a map's known entries are.
            Value::Object(_) | Value::Map(_) => visitor.visit_some(self),
            other if self.context.partial && !other.is_wholly_known() => {
                self.context.unknown(&self.path);
                visitor.visit_none()
            }
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            _ => Err(self.expected("null")),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == PLANNED && self.value.is_unknown() {
            return visitor.visit_unit();
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                let mut access = Elements {
                    items: items.iter().enumerate(),
                    path: &self.path,
                    context: self.context,
                };
                visitor.visit_seq(&mut access)
            }
            _ => Err(self.expected("a list")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let (entries, attributes) = match self.value {
            Value::Map(entries) => (entries, false),
            Value::Object(entries) => (entries, true),
            _ => return Err(self.expected("a map")),
        };
        let mut access = Entries {
            entries: entries.iter().map(|(k, v)| (k.as_str(), v)).collect(),
            pending: None,
            attributes,
            path: &self.path,
            context: self.context,
        };
        visitor.visit_map(&mut access)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        static NULL: Value = Value::Null;
        let Value::Object(attrs) = self.value else {
            return Err(self.expected("a block"));
        };
        // Every field the struct reads, an attribute the value lacks as null.
        let mut access = Entries {
            entries: fields
                .iter()
                .map(|f| (*f, attrs.get(*f).unwrap_or(&NULL)))
                .collect(),
            pending: None,
            attributes: true,
            path: &self.path,
            context: self.context,
        };
        visitor.visit_map(&mut access)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.value {
            Value::String(s) => {
                let name: StrDeserializer<'_, Error> = s.as_str().into_deserializer();
                visitor
                    .visit_enum(UnitVariant(name))
                    .map_err(|e| e.locate(&self.path))
            }
            _ => Err(self.expected("a string")),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

/// A string naming a unit variant.
struct UnitVariant<'a>(StrDeserializer<'a, Error>);

impl<'de, 'a> EnumAccess<'de> for UnitVariant<'a> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), Error> {
        let name = self.0;
        Ok((seed.deserialize(name)?, self))
    }
}

impl<'de> VariantAccess<'de> for UnitVariant<'_> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, _seed: S) -> Result<S::Value, Error> {
        Err(de::Error::custom(
            "only unit variants are read from strings",
        ))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, Error> {
        Err(de::Error::custom(
            "only unit variants are read from strings",
        ))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(de::Error::custom(
            "only unit variants are read from strings",
        ))
    }
}

struct Elements<'de, 'p, 'c, I: Iterator<Item = (usize, &'de Value)>> {
    items: I,
    path: &'p AttrPath,
    context: &'c Context,
}

impl<'de, I: Iterator<Item = (usize, &'de Value)>> SeqAccess<'de> for Elements<'de, '_, '_, I> {
    type Error = Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        let Some((i, item)) = self.items.next() else {
            return Ok(None);
        };
        let path = self.path.clone().index(i as i64);
        seed.deserialize(ValueDeserializer::new(item, path.clone(), self.context))
            .map(Some)
            .map_err(|e| e.locate(&path))
    }
}

struct Entries<'de, 'p, 'c> {
    entries: std::collections::VecDeque<(&'de str, &'de Value)>,
    pending: Option<(&'de str, &'de Value)>,
    /// Object attributes (path `a.b`) rather than map keys (path `a["b"]`).
    attributes: bool,
    path: &'p AttrPath,
    context: &'c Context,
}

impl Entries<'_, '_, '_> {
    fn child(&self, key: &str) -> AttrPath {
        if self.attributes {
            self.path.clone().attr(key)
        } else {
            self.path.clone().key(key)
        }
    }
}

impl<'de> MapAccess<'de> for Entries<'de, '_, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        while let Some((key, value)) = self.entries.pop_front() {
            // A map entry whose value is unknown is not judged (validate only).
            if !self.attributes && self.context.partial && !value.is_wholly_known() {
                self.context.unknown(&self.child(key));
                continue;
            }
            self.pending = Some((key, value));
            let name: StrDeserializer<'_, Error> = key.into_deserializer();
            return seed.deserialize(name).map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Error> {
        let (key, value) = self
            .pending
            .take()
            .ok_or_else(|| de::Error::custom("value asked before its key"))?;
        let path = self.child(key);
        seed.deserialize(ValueDeserializer::new(value, path.clone(), self.context))
            .map_err(|e| e.locate(&path))
    }
}

/// Checks that every field `T` reads is an attribute of `ty`, of a matching type, all the way
/// down: what ties a typed model to its schema. Returns each mismatch with its path.
pub fn check_fields<T: DeserializeOwned>(ty: &Type) -> Vec<String> {
    let problems = RefCell::new(Vec::new());
    let walk = TypeWalk {
        ty,
        path: AttrPath::root(),
        problems: &problems,
    };
    if let Err(e) = T::deserialize(walk) {
        problems.borrow_mut().push(e.to_string());
    }
    problems.into_inner()
}

/// Walks a type as if reading a value with every attribute set, so every field is visited.
struct TypeWalk<'t, 'p> {
    ty: &'t Type,
    path: AttrPath,
    problems: &'p RefCell<Vec<String>>,
}

impl TypeWalk<'_, '_> {
    fn mismatch(&self, want: &str) -> Error {
        Error::at(
            &self.path,
            format!("the model reads {want}, the schema says {:?}", self.ty),
        )
    }
}

macro_rules! walk_number {
    ($method:ident, $visit:ident) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.ty {
                Type::Number => visitor.$visit(Default::default()),
                _ => Err(self.mismatch("a number")),
            }
        }
    };
}

impl<'de> de::Deserializer<'de> for TypeWalk<'_, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(self.mismatch("anything (give the field a type)"))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.ty {
            Type::Bool => visitor.visit_bool(false),
            _ => Err(self.mismatch("a bool")),
        }
    }

    walk_number!(deserialize_i8, visit_i8);
    walk_number!(deserialize_i16, visit_i16);
    walk_number!(deserialize_i32, visit_i32);
    walk_number!(deserialize_i64, visit_i64);
    walk_number!(deserialize_u8, visit_u8);
    walk_number!(deserialize_u16, visit_u16);
    walk_number!(deserialize_u32, visit_u32);
    walk_number!(deserialize_u64, visit_u64);
    walk_number!(deserialize_f32, visit_f32);
    walk_number!(deserialize_f64, visit_f64);

    fn deserialize_char<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(self.mismatch("a char"))
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.ty {
            Type::String => visitor.visit_str(""),
            _ => Err(self.mismatch("a string")),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(self.mismatch("bytes"))
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(self.mismatch("bytes"))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.ty {
            Type::List(element) | Type::Set(element) => visitor.visit_seq(OneElement {
                walk: Some(TypeWalk {
                    ty: element,
                    path: self.path.clone().index(0),
                    problems: self.problems,
                }),
            }),
            _ => Err(self.mismatch("a list")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.ty {
            Type::Map(element) => visitor.visit_map(WalkEntries {
                entries: vec![(
                    "key".to_string(),
                    element.as_ref(),
                    self.path.clone().key("key"),
                )],
                pending: None,
                problems: self.problems,
            }),
            Type::Object(attrs) => visitor.visit_map(WalkEntries {
                entries: attrs
                    .iter()
                    .map(|(name, ty)| (name.clone(), ty, self.path.clone().attr(name)))
                    .collect(),
                pending: None,
                problems: self.problems,
            }),
            _ => Err(self.mismatch("a map")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let Type::Object(attrs) = self.ty else {
            return Err(self.mismatch("a block"));
        };
        for field in fields {
            if !attrs.contains_key(*field) {
                self.problems.borrow_mut().push(format!(
                    "{}: no such attribute in the schema",
                    self.path.clone().attr(field)
                ));
            }
        }
        visitor.visit_map(WalkEntries {
            entries: fields
                .iter()
                .filter_map(|f| {
                    let ty = attrs.get(*f)?;
                    Some((f.to_string(), ty, self.path.clone().attr(f)))
                })
                .collect(),
            pending: None,
            problems: self.problems,
        })
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match (self.ty, variants.first()) {
            (Type::String, Some(first)) => {
                let name: StrDeserializer<'_, Error> = first.into_deserializer();
                visitor.visit_enum(UnitVariant(name))
            }
            _ => Err(self.mismatch("a string naming a variant")),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

struct OneElement<'t, 'p> {
    walk: Option<TypeWalk<'t, 'p>>,
}

impl<'de> SeqAccess<'de> for OneElement<'_, '_> {
    type Error = Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        match self.walk.take() {
            Some(walk) => seed.deserialize(walk).map(Some),
            None => Ok(None),
        }
    }
}

struct WalkEntries<'t, 'p> {
    entries: Vec<(String, &'t Type, AttrPath)>,
    pending: Option<(&'t Type, AttrPath)>,
    problems: &'p RefCell<Vec<String>>,
}

impl<'de> MapAccess<'de> for WalkEntries<'_, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if self.entries.is_empty() {
            return Ok(None);
        }
        let (name, ty, path) = self.entries.remove(0);
        self.pending = Some((ty, path));
        let key: de::value::StringDeserializer<Error> = name.into_deserializer();
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, Error> {
        let (ty, path) = self
            .pending
            .take()
            .ok_or_else(|| de::Error::custom("value asked before its key"))?;
        seed.deserialize(TypeWalk {
            ty,
            path,
            problems: self.problems,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;
    use crate::framework::value::Number;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Mode {
        None,
        PerAz,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Health {
        interval: Option<u32>,
        timeout: Option<u32>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Routing {
        hosts: Option<Vec<String>>,
        priority: Option<u16>,
        health_check: Option<Health>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Config {
        name: Option<String>,
        mode: Option<Mode>,
        enabled: Option<bool>,
        tags: Option<BTreeMap<String, String>>,
        routing: Option<Routing>,
    }

    fn object(entries: &[(&str, Value)]) -> Value {
        Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn config(routing: Value, tags: Value) -> Value {
        object(&[
            ("name", Value::string("api")),
            ("mode", Value::string("per_az")),
            ("enabled", Value::Bool(true)),
            ("tags", tags),
            ("routing", routing),
            ("computed_only", Value::string("ignored")),
        ])
    }

    fn routing(interval: Value) -> Value {
        object(&[
            ("hosts", Value::string_list(["a.example.com"])),
            ("priority", Value::int(10)),
            (
                "health_check",
                object(&[("interval", interval), ("timeout", Value::Null)]),
            ),
        ])
    }

    #[test]
    fn reads_every_kind_of_value() {
        let value = config(
            routing(Value::int(15)),
            Value::string_map([("team", "core")]),
        );
        let read: Config = from_value(&value).unwrap();
        assert_eq!(
            read,
            Config {
                name: Some("api".into()),
                mode: Some(Mode::PerAz),
                enabled: Some(true),
                tags: Some([("team".to_string(), "core".to_string())].into()),
                routing: Some(Routing {
                    hosts: Some(vec!["a.example.com".into()]),
                    priority: Some(10),
                    health_check: Some(Health {
                        interval: Some(15),
                        timeout: None,
                    }),
                }),
            }
        );
        // Absent attributes read as null, as `Value::get` does.
        let sparse: Config = from_value(&object(&[("name", Value::string("x"))])).unwrap();
        assert_eq!(sparse.routing, None);
        assert_eq!(sparse.mode, None);
    }

    #[test]
    fn errors_name_the_attribute_path() {
        struct Case {
            reason: &'static str,
            value: Value,
            path: &'static str,
            message: &'static str,
        }
        let number = |text: &str| Value::Number(Number::parse(text).unwrap());
        let cases = [
            Case {
                reason: "fraction",
                value: config(routing(number("2.5")), Value::Null),
                path: "routing.health_check.interval",
                message: "must be a whole number from 0 to 4294967295, got 2.5",
            },
            Case {
                reason: "negative into unsigned",
                value: config(routing(Value::int(-1)), Value::Null),
                path: "routing.health_check.interval",
                message: "must be a whole number from 0 to 4294967295, got -1",
            },
            Case {
                reason: "too large",
                value: config(routing(number("18446744073709551617")), Value::Null),
                path: "routing.health_check.interval",
                message: "must be a whole number from 0 to 4294967295, got 18446744073709551617",
            },
            Case {
                reason: "wrong kind",
                value: config(routing(Value::string("15")), Value::Null),
                path: "routing.health_check.interval",
                message: "must be a number",
            },
            Case {
                reason: "unknown variant",
                value: object(&[("mode", Value::string("double"))]),
                path: "mode",
                message: "unknown variant `double`, expected `none` or `per_az`",
            },
            Case {
                reason: "null map value",
                value: config(Value::Null, Value::Map([("a".into(), Value::Null)].into())),
                path: "tags[\"a\"]",
                message: "must not be null",
            },
            Case {
                reason: "list element",
                value: object(&[(
                    "routing",
                    object(&[(
                        "hosts",
                        Value::List(vec![Value::string("a"), Value::Bool(true)]),
                    )]),
                )]),
                path: "routing.hosts[1]",
                message: "must be a string",
            },
            Case {
                reason: "unknown where everything must be known",
                value: config(routing(Value::Unknown), Value::Null),
                path: "routing.health_check.interval",
                message: "is not known until apply",
            },
        ];
        for case in cases {
            let error = from_value::<Config>(&case.value).unwrap_err();
            assert_eq!(error.path.to_string(), case.path, "{}", case.reason);
            assert_eq!(error.message, case.message, "{}", case.reason);
        }
        let small = from_value::<Routing>(&object(&[("priority", Value::int(70000))])).unwrap_err();
        assert_eq!(
            small.message,
            "must be a whole number from 0 to 65535, got 70000"
        );
    }

    #[test]
    fn unknowns_read_as_not_judged() {
        let partly = config(
            routing(Value::Unknown),
            Value::Map(
                [
                    ("team".to_string(), Value::string("core")),
                    ("cost".to_string(), Value::Unknown),
                ]
                .into(),
            ),
        );
        let part = from_known_part::<Config>(&partly).unwrap();
        let (read, unknowns) = (part.value, part.unjudged);
        let block = read.routing.unwrap();
        // The block's known attributes are read; the unknown one is not judged.
        assert_eq!(block.priority, Some(10));
        assert_eq!(block.health_check.unwrap().interval, None);
        // A map keeps its known entries.
        assert_eq!(
            read.tags,
            Some([("team".to_string(), "core".to_string())].into())
        );
        assert!(!unknowns.is_known_at(&["routing", "health_check", "interval"]));
        assert!(!unknowns.is_known_at(&["routing"]), "around it");
        assert!(unknowns.holds(&AttrPath::attrs(&["routing", "health_check", "interval"])));
        assert!(!unknowns.holds(&AttrPath::attrs(&["routing"])));
        assert!(unknowns.is_known_at(&["routing", "priority"]));
        assert!(!unknowns.is_known(&AttrPath::attrs(&["tags"]).key("cost")));
        // A list with an unknown element is not judged at all.
        let list = object(&[(
            "routing",
            object(&[(
                "hosts",
                Value::List(vec![Value::string("a"), Value::Unknown]),
            )]),
        )]);
        let part = from_known_part::<Config>(&list).unwrap();
        let (read, unknowns) = (part.value, part.unjudged);
        assert_eq!(read.routing.unwrap().hosts, None);
        assert!(!unknowns.is_known_at(&["routing", "hosts"]));
        // A wholly unknown block.
        let part = from_known_part::<Config>(&object(&[("routing", Value::Unknown)])).unwrap();
        assert_eq!(part.value.routing, None);
        assert!(!part
            .unjudged
            .holds(&AttrPath::attrs(&["routing", "priority"])));
        // Known values that do not fit are errors, and read as null so the rest is judged.
        let mut bad = config(routing(Value::int(-1)), Value::Null);
        bad.set("mode", Value::string("double"));
        let part = from_known_part::<Config>(&bad).unwrap();
        let paths: Vec<String> = part.errors.iter().map(|e| e.path.to_string()).collect();
        assert_eq!(paths, ["mode", "routing.health_check.interval"]);
        assert_eq!(part.value.mode, None);
        let block = part.value.routing.unwrap();
        assert_eq!(block.priority, Some(10));
        assert_eq!(block.health_check.unwrap().interval, None);
        assert!(!part.unjudged.is_known_at(&["mode"]));
        assert!(part.unjudged.is_known_at(&["name"]));
        // An element that does not fit leaves its whole attribute unread.
        let list = object(&[(
            "routing",
            object(&[(
                "hosts",
                Value::List(vec![Value::string("a"), Value::Bool(true)]),
            )]),
        )]);
        let part = from_known_part::<Config>(&list).unwrap();
        assert_eq!(part.errors[0].path.to_string(), "routing.hosts[1]");
        assert!(!part.unjudged.is_known_at(&["routing", "hosts"]));
    }

    #[test]
    fn models_are_checked_against_the_schema_type() {
        let health = Type::Object(
            [
                ("interval".to_string(), Type::Number),
                ("timeout".to_string(), Type::Number),
            ]
            .into(),
        );
        let routing = Type::Object(
            [
                ("hosts".to_string(), Type::list(Type::String)),
                ("priority".to_string(), Type::Number),
                ("health_check".to_string(), health),
            ]
            .into(),
        );
        let mut attrs: BTreeMap<String, Type> = [
            ("name".to_string(), Type::String),
            ("mode".to_string(), Type::String),
            ("enabled".to_string(), Type::Bool),
            ("tags".to_string(), Type::map(Type::String)),
            ("routing".to_string(), routing),
        ]
        .into();
        assert_eq!(
            check_fields::<Config>(&Type::Object(attrs.clone())),
            Vec::<String>::new()
        );
        attrs.insert("enabled".to_string(), Type::String);
        attrs.remove("tags");
        assert_eq!(
            check_fields::<Config>(&Type::Object(attrs)),
            vec![
                "tags: no such attribute in the schema".to_string(),
                "enabled: the model reads a bool, the schema says String".to_string(),
            ]
        );
    }
}
