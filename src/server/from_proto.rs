//! prost messages → framework types.

use crate::framework::diag::Diagnostic;
use crate::framework::path::{AttrPath, Step};
use crate::framework::value::{json, msgpack, Type, Value};

use super::proto::tfplugin6 as pb;

/// Decodes a DynamicValue: msgpack if present, else JSON, else null (as Terraform does).
///
/// # Errors
/// A diagnostic saying what did not match the schema; never a panic.
pub fn dynamic_value(value: Option<&pb::DynamicValue>, ty: &Type) -> Result<Value, Diagnostic> {
    let Some(value) = value else {
        return Ok(Value::Null);
    };
    let decoded = if !value.msgpack.is_empty() {
        msgpack::decode(&value.msgpack, ty).map_err(|e| e.to_string())
    } else if !value.json.is_empty() {
        json::decode_bytes(&value.json, ty)
    } else {
        Ok(Value::Null)
    };
    decoded.map_err(|e| {
        Diagnostic::error(
            "Value from Terraform does not match the schema",
            format!("The provider could not decode a value Terraform sent: {e}. This usually means Terraform and the provider disagree on the schema; run `terraform init -upgrade`."),
        )
    })
}

#[allow(dead_code)]
pub fn attribute_path(path: &pb::AttributePath) -> AttrPath {
    use pb::attribute_path::step::Selector;
    AttrPath(
        path.steps
            .iter()
            .filter_map(|s| s.selector.as_ref())
            .map(|s| match s {
                Selector::AttributeName(n) => Step::Attribute(n.clone()),
                Selector::ElementKeyString(k) => Step::Key(k.clone()),
                Selector::ElementKeyInt(i) => Step::Index(*i),
            })
            .collect(),
    )
}
