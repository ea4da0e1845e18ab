//! The resource and data-source traits, one request/response struct per operation, and the
//! generic steps the framework runs around them (validators, plan modifiers, state upgrade).

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use super::diag::{Diagnostic, Diagnostics};
use super::path::{AttrPath, Step};
use super::plan_modifier::PlanModifier;
use super::schema::{Attribute, Block, Nesting, Schema};
use super::value::{de, json, Value};

/// Per-call context.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Cancelled by StopProvider: stop between steps and return partial results.
    pub cancel: CancellationToken,
}

pub struct PlanRequest {
    pub config: Value,
    /// Null on create.
    pub prior_state: Value,
    pub proposed_new_state: Value,
    pub prior_private: Vec<u8>,
}

pub struct PlanResponse {
    pub planned_state: Value,
    pub requires_replace: Vec<AttrPath>,
    pub planned_private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

pub struct ApplyRequest {
    pub prior_state: Value,
    pub planned_state: Value,
    pub config: Value,
    pub planned_private: Vec<u8>,
}

/// Pre-populated by the framework with the prior state, so a resource that fails early returns
/// what it had (a partial state with errors is kept by Terraform).
pub struct ApplyResponse {
    pub new_state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

pub struct ReadRequest {
    pub current_state: Value,
    pub private: Vec<u8>,
}

pub struct ReadResponse {
    /// Null means the remote object is gone.
    pub new_state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

pub struct ImportResponse {
    pub state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

/// A managed resource type.
///
/// # Remarks
/// Terraform runs each phase in a fresh process: nothing may be kept in memory between calls.
/// Validation, schema and upgrade calls may arrive before the provider is configured.
#[async_trait]
pub trait Resource: Send + Sync {
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> Schema;

    /// Checks specific to this resource, on configuration that may hold unknowns. The
    /// framework has already run the schema's attribute validators.
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Plans a create or update. The framework then applies plan modifiers.
    ///
    /// # Errors
    /// Error diagnostics fail the plan; nothing in AWS may be changed here.
    async fn plan(&self, ctx: &Ctx, req: PlanRequest) -> PlanResponse;

    /// Checks a planned destroy (Terraform ≥ 1.3 asks; older versions go straight to
    /// [`Resource::delete`], which must repeat the check before touching anything).
    fn plan_destroy(&self, _prior_state: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// # Remarks
    /// On failure after creating children, return the partial, wholly known state with the
    /// error: Terraform then records it (tainted) instead of losing track of what exists.
    async fn create(&self, ctx: &Ctx, req: ApplyRequest) -> ApplyResponse;

    async fn update(&self, ctx: &Ctx, req: ApplyRequest) -> ApplyResponse;

    /// Returns a null state on success.
    async fn delete(&self, ctx: &Ctx, req: ApplyRequest) -> ApplyResponse;

    async fn read(&self, ctx: &Ctx, req: ReadRequest) -> ReadResponse;

    /// Turns a user-supplied ID into a minimal state, completed by a following read.
    async fn import(&self, ctx: &Ctx, id: &str) -> ImportResponse;

    /// Converts raw state JSON of an older (or the same) schema version to the current schema.
    fn upgrade_state(&self, version: i64, raw_json: &[u8]) -> Result<Value, Diagnostics> {
        let schema = self.schema();
        if version > schema.version {
            return Err(Diagnostic::error(
                "State from a newer provider",
                format!(
                    "The state has schema version {version}, this provider knows up to {}.",
                    schema.version
                ),
            )
            .into());
        }
        json::decode_bytes(raw_json, &schema.value_type())
            .map_err(|e| Diagnostic::error("Invalid state", e).into())
    }
}

/// A data source type.
#[async_trait]
pub trait DataSource: Send + Sync {
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> Schema;

    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Returns a wholly known, non-null state.
    async fn read(&self, ctx: &Ctx, config: Value) -> (Value, Diagnostics);
}

/// Runs every attribute validator of `block` over `config`, with paths.
pub fn validate_block(block: &Block, config: &Value, path: &AttrPath) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if config.is_null() || config.is_unknown() {
        return diags;
    }
    for attr in &block.attributes {
        let value = config.get(&attr.name);
        let at = path.clone().attr(&attr.name);
        if attr.required && value.is_null() {
            diags.error_at(
                at.clone(),
                "Missing required argument",
                format!("The argument \"{}\" is required.", attr.name),
            );
        }
        for validator in &attr.validators {
            if let Some(problem) = validator.check(value) {
                diags.error_at(at.clone(), format!("Invalid value for {at}"), problem);
            }
        }
    }
    for nested in &block.blocks {
        let value = config.get(&nested.type_name);
        let at = path.clone().attr(&nested.type_name);
        match nested.nesting {
            Nesting::Single | Nesting::Group => {
                diags.extend(validate_block(&nested.block, value, &at))
            }
            Nesting::List | Nesting::Set => {
                for (i, item) in value.as_elements().unwrap_or_default().iter().enumerate() {
                    diags.extend(validate_block(
                        &nested.block,
                        item,
                        &at.clone().index(i as i64),
                    ));
                }
            }
            Nesting::Map => {
                for (k, item) in value.as_entries().into_iter().flatten() {
                    diags.extend(validate_block(&nested.block, item, &at.clone().key(k)));
                }
            }
        }
    }
    diags
}

/// The schema's validators and the resource's own checks of one configuration, one diagnostic
/// per bad value: where both judge the same attribute, the resource's own message (which knows
/// the context) is kept and the schema validator's generic one dropped.
pub fn validate_config(block: &Block, config: &Value, own: Diagnostics) -> Diagnostics {
    let judged: Vec<AttrPath> = own.0.iter().filter_map(|d| d.path.clone()).collect();
    let mut diags = Diagnostics(
        validate_block(block, config, &AttrPath::root())
            .0
            .into_iter()
            .filter(|d| d.path.as_ref().is_none_or(|p| !judged.contains(p)))
            .collect(),
    );
    diags.extend(own);
    diags
}

/// Diagnostics for values a typed read of `config` could not take, except where one of the
/// schema's validators already rejects the value: its message names what is accepted, and a
/// value gets one diagnostic.
pub fn read_errors(block: &Block, config: &Value, errors: Vec<de::Error>) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for error in errors {
        let judged = attribute_at(block, &error.path).is_some_and(|(attr, path)| {
            let value = config.at(&path);
            attr.validators.iter().any(|v| v.check(value).is_some())
        });
        if !judged {
            diags.push(error.into());
        }
    }
    diags
}

/// The attribute a path points into, and the path to it (without map keys or indices below it).
fn attribute_at<'b>(block: &'b Block, path: &AttrPath) -> Option<(&'b Attribute, AttrPath)> {
    let mut block = block;
    let mut to = AttrPath::root();
    for step in &path.0 {
        let Step::Attribute(name) = step else {
            // Only single blocks nest here; an index or key lies inside an attribute.
            return None;
        };
        to = to.attr(name);
        if let Some(attr) = block.find_attribute(name) {
            return Some((attr, to));
        }
        block = &block.find_block(name)?.block;
    }
    None
}

/// Keeps the prior state's computed-only attributes in `planned`, so Terraform sees no change.
pub fn keep_prior_computed(schema: &Schema, prior: &Value, planned: &mut Value) {
    for attr in &schema.block.attributes {
        if attr.computed && !attr.optional {
            planned.set(&attr.name, prior.get(&attr.name).clone());
        }
    }
}

/// The top-level `RequiresReplace` attributes whose value changes from `prior` to `proposed`.
pub fn replaced_attributes(schema: &Schema, prior: &Value, proposed: &Value) -> Vec<AttrPath> {
    if prior.is_null() || proposed.is_null() {
        return Vec::new();
    }
    schema
        .block
        .attributes
        .iter()
        .filter(|a| a.modifiers.contains(&PlanModifier::RequiresReplace))
        .filter(|a| proposed.get(&a.name) != prior.get(&a.name))
        .map(|a| AttrPath::attrs(&[&a.name]))
        .collect()
}

/// Applies top-level plan modifiers: keeps prior values for `UseStateForUnknown`, and lists
/// changed `RequiresReplace` attributes.
pub fn apply_plan_modifiers(schema: &Schema, prior: &Value, planned: &mut Value) -> Vec<AttrPath> {
    let mut replace = Vec::new();
    if prior.is_null() || planned.is_null() {
        return replace;
    }
    for attr in &schema.block.attributes {
        for modifier in &attr.modifiers {
            let prior_value = prior.get(&attr.name).clone();
            match modifier {
                PlanModifier::UseStateForUnknown => {
                    if planned.get(&attr.name).is_unknown() && !prior_value.is_null() {
                        planned.set(&attr.name, prior_value);
                    }
                }
                PlanModifier::RequiresReplace => {
                    if planned.get(&attr.name) != &prior_value {
                        replace.push(AttrPath::attrs(&[&attr.name]));
                    }
                }
            }
        }
    }
    replace
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::schema::Attribute;
    use crate::framework::validator::Validator;

    #[test]
    fn a_value_both_judge_gets_one_diagnostic() {
        let block = Block::new("test")
            .attribute(
                Attribute::number("port")
                    .optional()
                    .validate(Validator::IntBetween(1, 65535)),
            )
            .attribute(
                Attribute::number("cpu")
                    .optional()
                    .validate(Validator::IntBetween(256, 4096)),
            );
        let mut config = Value::Object(Default::default());
        config.set("port", Value::int(70000));
        config.set("cpu", Value::int(1));
        let mut own = Diagnostics::new();
        own.error_at(AttrPath::attrs(&["port"]), "Invalid port", "port = 70000 …");
        let diags = validate_config(&block, &config, own);
        let summaries: Vec<&str> = diags.0.iter().map(|d| d.summary.as_str()).collect();
        assert_eq!(summaries, ["Invalid value for cpu", "Invalid port"]);
    }
}
