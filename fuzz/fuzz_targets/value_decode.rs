//! Arbitrary bytes into the DynamicValue decoders (msgpack and JSON), against the real schemas.
//!
//! The first byte picks the schema (low bits) and the codec (high bit); the rest is the
//! encoded value. A decode may fail but never panic. A decoded value must survive a round trip
//! (encode, decode: the same value, and the canonical msgpack bytes are a fixed point) and,
//! when wholly known, a trip through the other codec; the validators that
//! ValidateResourceConfig runs on it must not panic either.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use terraform_provider_platform::catalog::{self, Definition};
use terraform_provider_platform::framework::path::AttrPath;
use terraform_provider_platform::framework::resource::validate_block;
use terraform_provider_platform::framework::schema::Block;
use terraform_provider_platform::framework::value::{json, msgpack, Number, Type, Value};

/// What a decoded configuration is validated with, as the server does for each kind of block.
enum Checker {
    /// The provider block, a resource or a data source.
    Definition(Definition),
    /// No schema: a bare dynamic value, the only way to reach the `[type, value]` form (the
    /// schemas have no dynamic attribute today).
    Dynamic,
}

struct Target {
    block: Option<Block>,
    ty: Type,
    checker: Checker,
}

static TARGETS: LazyLock<Vec<Target>> = LazyLock::new(|| {
    let definitions = [catalog::provider()]
        .into_iter()
        .chain(catalog::resources())
        .chain(catalog::data_sources());
    let mut targets: Vec<Target> = definitions
        .map(|definition| {
            let schema = (definition.schema)();
            Target {
                ty: schema.value_type(),
                block: Some(schema.block),
                checker: Checker::Definition(definition),
            }
        })
        .collect();
    targets.push(Target {
        block: None,
        ty: Type::Dynamic,
        checker: Checker::Dynamic,
    });
    targets
});

fn validate(target: &Target, config: &Value) {
    if let Some(block) = &target.block {
        let _ = validate_block(block, config, &AttrPath::root());
    }
    let _ = match &target.checker {
        Checker::Definition(d) => (d.validate)(config),
        Checker::Dynamic => return,
    };
}

/// Equality, except that numbers may differ in the last bits of an f64: serde_json parses
/// floats best-effort (its `float_roundtrip` feature is off), so JSON text of an f64 can read
/// back one ULP away. Everything else must match exactly.
fn same_through_json(a: &Value, b: &Value) -> bool {
    let close = |x: &Number, y: &Number| {
        let (x, y) = (x.to_f64(), y.to_f64());
        x.is_finite() && x.signum() == y.signum() && x.to_bits().abs_diff(y.to_bits()) <= 2
    };
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || close(x, y),
        (Value::List(x), Value::List(y))
        | (Value::Set(x), Value::Set(y))
        | (Value::Tuple(x), Value::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_through_json(a, b))
        }
        (Value::Map(x), Value::Map(y)) | (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, a), (kb, b))| ka == kb && same_through_json(a, b))
        }
        _ => a == b,
    }
}

fn check_msgpack(target: &Target, bytes: &[u8]) {
    let Ok(value) = msgpack::decode(bytes, &target.ty) else {
        return;
    };
    let encoded = msgpack::encode(&value, &target.ty);
    let again = msgpack::decode(&encoded, &target.ty)
        .unwrap_or_else(|e| panic!("re-encoded msgpack does not decode: {e}\n{value:?}"));
    assert_eq!(again, value, "msgpack round trip changed the value");
    assert_eq!(
        msgpack::encode(&again, &target.ty),
        encoded,
        "msgpack encoding is not canonical"
    );
    if value.is_wholly_known() {
        let json = json::encode(&value, &target.ty);
        let across = json::decode(&json, &target.ty)
            .unwrap_or_else(|e| panic!("msgpack value as JSON does not decode: {e}\n{json}"));
        assert!(
            same_through_json(&across, &value),
            "msgpack → JSON changed the value: {json}\n{value:?}\n{across:?}"
        );
    }
    validate(target, &value);
}

fn check_json(target: &Target, bytes: &[u8]) {
    let Ok(value) = json::decode_bytes(bytes, &target.ty) else {
        return;
    };
    assert!(value.is_wholly_known(), "JSON cannot carry unknowns");
    let encoded = json::encode(&value, &target.ty).to_string();
    let again = json::decode_bytes(encoded.as_bytes(), &target.ty)
        .unwrap_or_else(|e| panic!("re-encoded JSON does not decode: {e}\n{encoded}"));
    assert!(
        same_through_json(&again, &value),
        "JSON round trip changed the value: {encoded}\n{value:?}\n{again:?}"
    );
    let packed = msgpack::encode(&value, &target.ty);
    let across = msgpack::decode(&packed, &target.ty)
        .unwrap_or_else(|e| panic!("JSON value as msgpack does not decode: {e}\n{value:?}"));
    assert_eq!(across, value, "JSON → msgpack changed the value");
    validate(target, &value);
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let target = &TARGETS[usize::from(selector & 0x7f) % TARGETS.len()];
    if selector & 0x80 == 0 {
        check_msgpack(target, bytes);
    } else {
        check_json(target, bytes);
    }
});
