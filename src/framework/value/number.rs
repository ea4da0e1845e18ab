//! Arbitrary-precision numbers, kept as a canonical decimal string.
//!
//! HCL parses literals at 512-bit precision, so Terraform sends any number that is not an exact
//! int64 or float64 as a decimal string. Keeping the decimal avoids losing precision.

use std::fmt;

/// A number in canonical decimal form: optional `-`, integer digits without leading zeros,
/// optional fraction without trailing zeros. `-0` is `0`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number(String);

impl Number {
    pub fn from_i64(n: i64) -> Number {
        Number(n.to_string())
    }

    pub fn from_u64(n: u64) -> Number {
        Number(n.to_string())
    }

    /// Converts a finite float exactly; infinities and NaN are rejected.
    pub fn from_f64(f: f64) -> Option<Number> {
        if !f.is_finite() {
            return None;
        }
        if f == f.trunc() && f.abs() < 1e18 {
            return Some(Number::from_i64(f as i64));
        }
        // Rust prints the shortest string that round-trips, in plain notation for `{}`.
        Number::parse(&format!("{f}"))
    }

    /// Parses a decimal such as `-12.500` or `1e3`. Returns `None` for anything else.
    pub fn parse(text: &str) -> Option<Number> {
        let text = text.trim();
        if text.contains(['e', 'E']) {
            let f: f64 = text.parse().ok()?;
            return Number::from_f64(f);
        }
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (int_part, frac_part) = match digits.split_once('.') {
            Some((i, f)) => (i, f),
            None => (digits, ""),
        };
        if (int_part.is_empty() && frac_part.is_empty())
            || !int_part.bytes().all(|b| b.is_ascii_digit())
            || !frac_part.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let int_part = int_part.trim_start_matches('0');
        let frac_part = frac_part.trim_end_matches('0');
        let int_part = if int_part.is_empty() { "0" } else { int_part };
        let mut out = String::new();
        if negative && !(int_part == "0" && frac_part.is_empty()) {
            out.push('-');
        }
        out.push_str(int_part);
        if !frac_part.is_empty() {
            out.push('.');
            out.push_str(frac_part);
        }
        Some(Number(out))
    }

    /// The value as an `i64` when it is an integer in range.
    pub fn to_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }

    /// The value as a `u64` when it is a non-negative integer in range.
    pub fn to_u64(&self) -> Option<u64> {
        self.0.parse().ok()
    }

    /// The nearest `f64`, for arithmetic that tolerates rounding.
    pub fn to_f64(&self) -> f64 {
        self.0.parse().unwrap_or(f64::NAN)
    }

    /// True when the value has no fractional part.
    pub fn is_integer(&self) -> bool {
        !self.0.contains('.')
    }

    pub fn as_decimal(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms() {
        let cases = [
            ("5", "5"),
            ("-0", "0"),
            ("007.500", "7.5"),
            ("0.1", "0.1"),
            ("18446744073709551617", "18446744073709551617"),
            ("1e3", "1000"),
            (".5", "0.5"),
        ];
        for (input, want) in cases {
            assert_eq!(
                Number::parse(input).unwrap().as_decimal(),
                want,
                "input {input}"
            );
        }
        assert!(Number::parse("abc").is_none());
        assert!(Number::parse("").is_none());
        assert!(Number::parse("1.2.3").is_none());
    }

    #[test]
    fn float_and_int_agree() {
        assert_eq!(Number::from_f64(1.0), Some(Number::from_i64(1)));
        assert_eq!(Number::from_f64(1.5).unwrap().as_decimal(), "1.5");
        assert!(Number::parse("18446744073709551617").unwrap().is_integer());
        assert!(!Number::parse("0.1").unwrap().is_integer());
        assert_eq!(Number::from_f64(f64::INFINITY), None);
    }
}
