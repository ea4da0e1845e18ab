//! Attribute validators, applied by the framework to known configuration values.

use super::value::Value;

/// A check on one attribute's known, non-null value. Messages name the problem; the framework
/// adds the attribute path.
#[derive(Debug, Clone)]
pub enum Validator {
    /// The string must be one of these.
    OneOf(&'static [&'static str]),
    /// String length in characters, inclusive.
    LengthBetween(usize, usize),
    /// Whole number within the inclusive range.
    IntBetween(i64, i64),
    /// Every element of a list must be unique.
    UniqueElements,
    /// A custom rule: returns a message when the value is invalid.
    Custom(fn(&Value) -> Option<String>),
}

impl Validator {
    /// Returns the problem with `value`, if any. Unknown and null values always pass.
    pub fn check(&self, value: &Value) -> Option<String> {
        if value.is_null() || value.is_unknown() {
            return None;
        }
        match self {
            Validator::OneOf(allowed) => {
                let s = value.as_str()?;
                (!allowed.contains(&s)).then(|| {
                    format!(
                        "{s:?} is not allowed: expected one of {}",
                        allowed.join(", ")
                    )
                })
            }
            Validator::LengthBetween(min, max) => {
                let len = value.as_str()?.chars().count();
                (len < *min || len > *max)
                    .then(|| format!("must be {min} to {max} characters long, got {len}"))
            }
            Validator::IntBetween(min, max) => {
                let n = value.as_number()?;
                match n.to_i64() {
                    Some(i) if n.is_integer() && (*min..=*max).contains(&i) => None,
                    _ => Some(format!(
                        "must be a whole number from {min} to {max}, got {n}"
                    )),
                }
            }
            Validator::UniqueElements => {
                let items = value.as_elements()?;
                let known: Vec<&Value> = items.iter().filter(|v| v.is_wholly_known()).collect();
                for (i, item) in known.iter().enumerate() {
                    if known[..i].contains(item) {
                        return Some("must not contain duplicates".to_string());
                    }
                }
                None
            }
            Validator::Custom(rule) => rule(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::value::Number;

    #[test]
    fn table() {
        struct Case {
            reason: &'static str,
            validator: Validator,
            input: Value,
            fails: bool,
        }
        let cases = [
            Case {
                reason: "allowed",
                validator: Validator::OneOf(&["a", "b"]),
                input: Value::string("a"),
                fails: false,
            },
            Case {
                reason: "not allowed",
                validator: Validator::OneOf(&["a", "b"]),
                input: Value::string("c"),
                fails: true,
            },
            Case {
                reason: "unknown passes",
                validator: Validator::OneOf(&["a"]),
                input: Value::Unknown,
                fails: false,
            },
            Case {
                reason: "null passes",
                validator: Validator::IntBetween(1, 2),
                input: Value::Null,
                fails: false,
            },
            Case {
                reason: "too short",
                validator: Validator::LengthBetween(2, 4),
                input: Value::string("a"),
                fails: true,
            },
            Case {
                reason: "in range",
                validator: Validator::IntBetween(2, 6),
                input: Value::int(6),
                fails: false,
            },
            Case {
                reason: "out of range",
                validator: Validator::IntBetween(2, 6),
                input: Value::int(7),
                fails: true,
            },
            Case {
                reason: "fraction",
                validator: Validator::IntBetween(2, 6),
                input: Value::Number(Number::parse("2.5").unwrap()),
                fails: true,
            },
            Case {
                reason: "duplicates",
                validator: Validator::UniqueElements,
                input: Value::string_list(["a", "a"]),
                fails: true,
            },
        ];
        for case in cases {
            assert_eq!(
                case.validator.check(&case.input).is_some(),
                case.fails,
                "{}",
                case.reason
            );
        }
    }
}
