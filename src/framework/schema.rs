//! Schemas: the shape of provider, resource and data-source configuration, built in code.
//!
//! A schema also carries per-attribute validators and plan modifiers, which the framework
//! applies generically so resources only write what is specific to them.

use std::collections::BTreeMap;

use super::plan_modifier::PlanModifier;
use super::validator::Validator;
use super::value::Type;

#[derive(Debug, Clone)]
pub struct Schema {
    /// Stored in state as `schema_version`; bump with a state upgrader.
    pub version: i64,
    pub block: Block,
}

#[derive(Debug, Clone, Default)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub description: String,
    pub deprecated: bool,
}

#[derive(Debug, Clone)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    pub description: String,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    pub deprecated: bool,
    pub validators: Vec<Validator>,
    pub modifiers: Vec<PlanModifier>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    Single,
    List,
    Set,
    Map,
    Group,
}

#[derive(Debug, Clone)]
pub struct NestedBlock {
    pub type_name: String,
    pub block: Block,
    pub nesting: Nesting,
    pub min_items: i64,
    pub max_items: i64,
}

impl Schema {
    pub fn new(version: i64, block: Block) -> Schema {
        Schema { version, block }
    }

    /// The object type of values conforming to this schema.
    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }
}

impl Block {
    pub fn new(description: &str) -> Block {
        Block {
            description: description.to_string(),
            ..Block::default()
        }
    }

    pub fn attribute(mut self, attribute: Attribute) -> Block {
        self.attributes.push(attribute);
        self
    }

    /// A block that may appear at most once (`SINGLE`); absent means null. Terraform ≥ 1.1
    /// requires min == max for SINGLE, so both are 0 (optional).
    pub fn single_block(mut self, name: &str, block: Block) -> Block {
        self.blocks.push(NestedBlock {
            type_name: name.to_string(),
            block,
            nesting: Nesting::Single,
            min_items: 0,
            max_items: 0,
        });
        self
    }

    pub fn nested(mut self, nested: NestedBlock) -> Block {
        self.blocks.push(nested);
        self
    }

    pub fn find_attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub fn find_block(&self, name: &str) -> Option<&NestedBlock> {
        self.blocks.iter().find(|b| b.type_name == name)
    }

    /// The object type implied by this block (docs/design/protocol.md §6.2).
    pub fn value_type(&self) -> Type {
        let mut attrs: BTreeMap<String, Type> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty.clone()))
            .collect();
        for nested in &self.blocks {
            let inner = nested.block.value_type();
            let ty = match nested.nesting {
                Nesting::Single | Nesting::Group => inner,
                Nesting::List => Type::list(inner),
                Nesting::Set => Type::set(inner),
                Nesting::Map => Type::map(inner),
            };
            attrs.insert(nested.type_name.clone(), ty);
        }
        Type::Object(attrs)
    }
}

impl Attribute {
    fn new(name: &str, ty: Type) -> Attribute {
        Attribute {
            name: name.to_string(),
            ty,
            description: String::new(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            deprecated: false,
            validators: Vec::new(),
            modifiers: Vec::new(),
        }
    }

    pub fn string(name: &str) -> Attribute {
        Attribute::new(name, Type::String)
    }

    pub fn number(name: &str) -> Attribute {
        Attribute::new(name, Type::Number)
    }

    pub fn bool(name: &str) -> Attribute {
        Attribute::new(name, Type::Bool)
    }

    pub fn string_list(name: &str) -> Attribute {
        Attribute::new(name, Type::list(Type::String))
    }

    pub fn string_map(name: &str) -> Attribute {
        Attribute::new(name, Type::map(Type::String))
    }

    pub fn of_type(name: &str, ty: Type) -> Attribute {
        Attribute::new(name, ty)
    }

    pub fn required(mut self) -> Attribute {
        self.required = true;
        self
    }

    pub fn optional(mut self) -> Attribute {
        self.optional = true;
        self
    }

    pub fn computed(mut self) -> Attribute {
        self.computed = true;
        self
    }

    pub fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }

    pub fn description(mut self, text: &str) -> Attribute {
        self.description = text.to_string();
        self
    }

    pub fn validate(mut self, validator: Validator) -> Attribute {
        self.validators.push(validator);
        self
    }

    pub fn modifier(mut self, modifier: PlanModifier) -> Attribute {
        self.modifiers.push(modifier);
        self
    }
}

/// Checks Terraform ≥ 1.1 applies to provider schemas (docs/design/protocol.md §7). Returns problems.
pub fn check_schema(schema: &Schema) -> Vec<String> {
    let mut problems = Vec::new();
    if schema.version < 0 {
        problems.push("negative schema version".to_string());
    }
    check_block(&schema.block, "", &mut problems);
    problems
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn contains_dynamic(ty: &Type) -> bool {
    match ty {
        Type::Dynamic => true,
        Type::List(e) | Type::Set(e) | Type::Map(e) => contains_dynamic(e),
        Type::Object(attrs) => attrs.values().any(contains_dynamic),
        Type::Tuple(elems) => elems.iter().any(contains_dynamic),
        _ => false,
    }
}

fn check_block(block: &Block, prefix: &str, problems: &mut Vec<String>) {
    let mut seen = std::collections::BTreeSet::new();
    for a in &block.attributes {
        let at = format!("{prefix}{}", a.name);
        if !valid_name(&a.name) {
            problems.push(format!("{at}: invalid name"));
        }
        if !seen.insert(a.name.clone()) {
            problems.push(format!("{at}: duplicate name"));
        }
        if !(a.required || a.optional || a.computed) {
            problems.push(format!("{at}: must be required, optional or computed"));
        }
        if a.required && (a.optional || a.computed) {
            problems.push(format!(
                "{at}: required cannot combine with optional or computed"
            ));
        }
    }
    for b in &block.blocks {
        let at = format!("{prefix}{}", b.type_name);
        if !valid_name(&b.type_name) {
            problems.push(format!("{at}: invalid name"));
        }
        if !seen.insert(b.type_name.clone()) {
            problems.push(format!("{at}: name used twice"));
        }
        if b.min_items < 0 || b.max_items < 0 {
            problems.push(format!("{at}: negative min/max items"));
        }
        match b.nesting {
            Nesting::Single => {
                if b.min_items != b.max_items {
                    problems.push(format!(
                        "{at}: MinItems and MaxItems must match in SINGLE mode"
                    ));
                }
                if b.min_items > 1 || b.max_items > 1 {
                    problems.push(format!("{at}: SINGLE blocks allow at most one item"));
                }
            }
            Nesting::Group | Nesting::Map => {
                if b.min_items != 0 || b.max_items != 0 {
                    problems.push(format!("{at}: GROUP and MAP blocks need min = max = 0"));
                }
            }
            Nesting::List | Nesting::Set => {
                if b.max_items != 0 && b.min_items > b.max_items {
                    problems.push(format!("{at}: min_items > max_items"));
                }
            }
        }
        if b.nesting == Nesting::Set && contains_dynamic(&b.block.value_type()) {
            problems.push(format!(
                "{at}: SET blocks cannot contain dynamic attributes"
            ));
        }
        check_block(&b.block, &format!("{at}."), problems);
    }
}
