//! Renders a schema block as registry-style Markdown: bullets of `name` (Type, flags)
//! Description, grouped as arguments and exported attributes, with a nested-schema section per
//! block and per object-typed attribute.

use std::fmt::Write as _;

use crate::framework::plan_modifier::PlanModifier;
use crate::framework::schema::{Attribute, Block, NestedBlock, Nesting};
use crate::framework::value::Type;

/// The registry's name for a type: `String`, `List of String`, `Map of Number`, …
pub fn type_name(ty: &Type) -> String {
    match ty {
        Type::String => "String".to_string(),
        Type::Number => "Number".to_string(),
        Type::Bool => "Boolean".to_string(),
        Type::Dynamic => "Dynamic".to_string(),
        Type::List(e) => format!("List of {}", type_name(e)),
        Type::Set(e) => format!("Set of {}", type_name(e)),
        Type::Map(e) => format!("Map of {}", type_name(e)),
        Type::Object(_) => "Object".to_string(),
        Type::Tuple(_) => "Tuple".to_string(),
    }
}

/// The object an attribute's values are made of, when it has one (`List of Object`).
fn object_of(ty: &Type) -> Option<&std::collections::BTreeMap<String, Type>> {
    match ty {
        Type::Object(attrs) => Some(attrs),
        Type::List(e) | Type::Set(e) | Type::Map(e) => object_of(e),
        _ => None,
    }
}

pub fn forces_replacement(attr: &Attribute) -> bool {
    attr.modifiers.contains(&PlanModifier::RequiresReplace)
}

fn is_argument(attr: &Attribute) -> bool {
    attr.required || attr.optional
}

fn anchor(prefix: &str, path: &[&str]) -> String {
    format!("{prefix}--{}", path.join("--"))
}

fn attribute_bullet(attr: &Attribute, path: &[&str]) -> String {
    let mut flags = vec![type_name(&attr.ty)];
    if attr.optional && attr.computed {
        flags.push("Computed".to_string());
    }
    if attr.sensitive {
        flags.push("Sensitive".to_string());
    }
    if attr.deprecated {
        flags.push("Deprecated".to_string());
    }
    if forces_replacement(attr) {
        flags.push("Forces replacement".to_string());
    }
    let mut line = format!("- `{}` ({})", attr.name, flags.join(", "));
    if !attr.description.is_empty() {
        line.push(' ');
        line.push_str(&attr.description);
    }
    if object_of(&attr.ty).is_some() {
        let _ = write!(
            line,
            " (see [below for nested schema](#{}))",
            anchor("nestedatt", path)
        );
    }
    line
}

fn block_kind(nested: &NestedBlock) -> String {
    let mut kind = match nested.nesting {
        Nesting::Single | Nesting::Group => "Block".to_string(),
        Nesting::List => "Block List".to_string(),
        Nesting::Set => "Block Set".to_string(),
        Nesting::Map => "Block Map".to_string(),
    };
    if matches!(nested.nesting, Nesting::List | Nesting::Set) {
        if nested.min_items > 0 {
            let _ = write!(kind, ", Min: {}", nested.min_items);
        }
        if nested.max_items > 0 {
            let _ = write!(kind, ", Max: {}", nested.max_items);
        }
    }
    if nested.block.deprecated {
        kind.push_str(", Deprecated");
    }
    kind
}

fn block_bullet(nested: &NestedBlock, path: &[&str]) -> String {
    let mut line = format!("- `{}` ({})", nested.type_name, block_kind(nested));
    if !nested.block.description.is_empty() {
        line.push(' ');
        line.push_str(&nested.block.description);
    }
    let _ = write!(
        line,
        " (see [below for nested schema](#{}))",
        anchor("nestedblock", path)
    );
    line
}

/// One entry of a block, attribute or nested block, for sorting by name.
enum Item<'a> {
    Attribute(&'a Attribute),
    Block(&'a NestedBlock),
}

impl Item<'_> {
    fn name(&self) -> &str {
        match self {
            Item::Attribute(a) => &a.name,
            Item::Block(b) => &b.type_name,
        }
    }
}

fn sorted_items(block: &Block) -> Vec<Item<'_>> {
    let mut items: Vec<Item> = block
        .attributes
        .iter()
        .map(Item::Attribute)
        .chain(block.blocks.iter().map(Item::Block))
        .collect();
    items.sort_by(|a, b| a.name().cmp(b.name()));
    items
}

/// The bullets of one group (required arguments, optional arguments or read-only attributes).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Group {
    Required,
    Optional,
    ReadOnly,
}

fn group_of(item: &Item) -> Group {
    match item {
        Item::Attribute(a) if a.required => Group::Required,
        Item::Attribute(a) if is_argument(a) => Group::Optional,
        Item::Attribute(_) => Group::ReadOnly,
        Item::Block(b) if b.min_items > 0 => Group::Required,
        Item::Block(_) => Group::Optional,
    }
}

fn bullets(block: &Block, parent: &[&str], group: Group) -> Vec<String> {
    sorted_items(block)
        .iter()
        .filter(|item| group_of(item) == group)
        .map(|item| {
            let mut path = parent.to_vec();
            path.push(item.name());
            match item {
                Item::Attribute(a) => attribute_bullet(a, &path),
                Item::Block(b) => block_bullet(b, &path),
            }
        })
        .collect()
}

fn push_list(out: &mut String, lines: &[String]) {
    for line in lines {
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
}

/// Nested-schema sections for every block under `block` (depth first, in name order).
fn nested_block_sections(out: &mut String, block: &Block, parent: &[&str]) {
    for item in sorted_items(block) {
        let Item::Block(nested) = item else { continue };
        let mut path = parent.to_vec();
        path.push(&nested.type_name);
        let _ = writeln!(out, "<a id=\"{}\"></a>", anchor("nestedblock", &path));
        let _ = writeln!(out, "### Nested Schema for `{}`\n", path.join("."));
        for (label, group) in [
            ("Required", Group::Required),
            ("Optional", Group::Optional),
            ("Read-Only", Group::ReadOnly),
        ] {
            let lines = bullets(&nested.block, &path, group);
            if !lines.is_empty() {
                let _ = writeln!(out, "{label}:\n");
                push_list(out, &lines);
            }
        }
        nested_block_sections(out, &nested.block, &path);
    }
}

/// Nested-schema sections for object-typed attributes of the given group.
fn nested_object_sections(out: &mut String, block: &Block, parent: &[&str], arguments: bool) {
    for attr in &block.attributes {
        if is_argument(attr) != arguments {
            continue;
        }
        let Some(fields) = object_of(&attr.ty) else {
            continue;
        };
        let mut path = parent.to_vec();
        path.push(&attr.name);
        let _ = writeln!(out, "<a id=\"{}\"></a>", anchor("nestedatt", &path));
        let _ = writeln!(out, "### Nested Schema for `{}`\n", path.join("."));
        let _ = writeln!(
            out,
            "{}:\n",
            if arguments { "Optional" } else { "Read-Only" }
        );
        let lines: Vec<String> = fields
            .iter()
            .map(|(name, ty)| format!("- `{name}` ({})", type_name(ty)))
            .collect();
        push_list(out, &lines);
    }
    for nested in &block.blocks {
        let mut path = parent.to_vec();
        path.push(&nested.type_name);
        nested_object_sections(out, &nested.block, &path, arguments);
    }
}

/// `## Argument Reference`: required and optional arguments, then every nested block.
pub fn argument_reference(block: &Block) -> String {
    let mut out = String::from("## Argument Reference\n\n");
    let required = bullets(block, &[], Group::Required);
    let optional = bullets(block, &[], Group::Optional);
    if required.is_empty() && optional.is_empty() {
        out.push_str("This has no arguments.\n\n");
        return out;
    }
    if !required.is_empty() {
        out.push_str("### Required\n\n");
        push_list(&mut out, &required);
    }
    if !optional.is_empty() {
        out.push_str("### Optional\n\n");
        push_list(&mut out, &optional);
    }
    nested_block_sections(&mut out, block, &[]);
    nested_object_sections(&mut out, block, &[], true);
    out
}

/// `## Attribute Reference`: the read-only (computed) attributes.
pub fn attribute_reference(block: &Block) -> String {
    let mut out = String::from("## Attribute Reference\n\n");
    let read_only = bullets(block, &[], Group::ReadOnly);
    if read_only.is_empty() {
        out.push_str("This exports no attributes beyond its arguments.\n\n");
        return out;
    }
    out.push_str("In addition to the arguments above, these attributes are exported:\n\n");
    push_list(&mut out, &read_only);
    nested_object_sections(&mut out, block, &[], false);
    out
}

/// Every attribute below `block` with its dotted path, nested blocks included.
#[cfg(test)]
pub fn attribute_paths(block: &Block) -> Vec<(String, &Attribute)> {
    fn walk<'a>(block: &'a Block, prefix: &str, out: &mut Vec<(String, &'a Attribute)>) {
        for attr in &block.attributes {
            out.push((format!("{prefix}{}", attr.name), attr));
        }
        for nested in &block.blocks {
            walk(
                &nested.block,
                &format!("{prefix}{}.", nested.type_name),
                out,
            );
        }
    }
    let mut out = Vec::new();
    walk(block, "", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::schema::Attribute;

    fn sample() -> Block {
        Block::new("Top.")
            .attribute(
                Attribute::string("name")
                    .required()
                    .description("The name.")
                    .modifier(PlanModifier::RequiresReplace),
            )
            .attribute(
                Attribute::string("token")
                    .optional()
                    .sensitive()
                    .description("A token."),
            )
            .attribute(
                Attribute::of_type(
                    "records",
                    Type::list(Type::Object(
                        [("value".to_string(), Type::String)].into_iter().collect(),
                    )),
                )
                .computed()
                .description("Records."),
            )
            .single_block(
                "network",
                Block::new("The network.").attribute(
                    Attribute::number("size")
                        .optional()
                        .description("Default 2."),
                ),
            )
    }

    #[test]
    fn renders_groups_flags_and_nested_schemas() {
        let block = sample();
        let arguments = argument_reference(&block);
        assert_eq!(
            arguments,
            "## Argument Reference\n\n\
             ### Required\n\n\
             - `name` (String, Forces replacement) The name.\n\n\
             ### Optional\n\n\
             - `network` (Block) The network. (see [below for nested schema](#nestedblock--network))\n\
             - `token` (String, Sensitive) A token.\n\n\
             <a id=\"nestedblock--network\"></a>\n\
             ### Nested Schema for `network`\n\n\
             Optional:\n\n\
             - `size` (Number) Default 2.\n\n"
        );
        assert_eq!(
            attribute_reference(&block),
            "## Attribute Reference\n\n\
             In addition to the arguments above, these attributes are exported:\n\n\
             - `records` (List of Object) Records. (see [below for nested schema](#nestedatt--records))\n\n\
             <a id=\"nestedatt--records\"></a>\n\
             ### Nested Schema for `records`\n\n\
             Read-Only:\n\n\
             - `value` (String)\n\n"
        );
        let paths: Vec<String> = attribute_paths(&block)
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        assert_eq!(paths, ["name", "token", "records", "network.size"]);
    }
}
