//! Registry documentation generated from the provider's own schemas, tier defaults and IAM
//! action lists: `docs/index.md`, `docs/resources/*.md` and `docs/data-sources/*.md`.
//!
//! Pure and deterministic: `render_all` returns every page; `tests/docs.rs` compares them with
//! the files on disk (and writes them with `UPDATE_DOCS=1`, which `make docs` sets). Example
//! configurations live in `docs/templates/`.

mod defaults;
mod schema;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use crate::catalog;
use crate::framework::schema::Block;
use crate::plan::policy::{
    deployer_policy_json, environment_read_actions, ResourceType, CLOUDFRONT_ARNS, MESSAGING_ARNS,
    PROVIDER_ROLE_ARN, SCHEDULER_ARNS, SECRET_ARNS, SERVICE_LINKED_ROLE_ARN, UNSCOPED_ACTIONS,
};

/// The provider's local name, as in `provider "platform"`.
const PROVIDER_NAME: &str = "platform";

/// Example configurations, by page.
const PROVIDER_EXAMPLE: &str = include_str!("../../docs/templates/provider.tf");
const RESOURCE_EXAMPLES: &[(&str, &str)] = &[
    (
        "platform_environment",
        include_str!("../../docs/templates/resources/environment.tf"),
    ),
    (
        "platform_service",
        include_str!("../../docs/templates/resources/service.tf"),
    ),
    (
        "platform_database",
        include_str!("../../docs/templates/resources/database.tf"),
    ),
    (
        "platform_cache",
        include_str!("../../docs/templates/resources/cache.tf"),
    ),
    (
        "platform_queue",
        include_str!("../../docs/templates/resources/queue.tf"),
    ),
    (
        "platform_topic",
        include_str!("../../docs/templates/resources/topic.tf"),
    ),
    (
        "platform_bucket",
        include_str!("../../docs/templates/resources/bucket.tf"),
    ),
];
const DATA_SOURCE_EXAMPLES: &[(&str, &str)] = &[(
    "platform_environment",
    include_str!("../../docs/templates/data-sources/environment.tf"),
)];

/// How a resource is imported: the ID form, and example IDs with what they name.
struct ImportDoc {
    address: &'static str,
    summary: &'static str,
    ids: &'static [(&'static str, &'static str)],
}

const APP_IMPORT: &str = "Import by `<environment>/<name>`, the resource's `id`. The provider finds the children by their names and ownership tags and recovers the arguments that differ from the tier's defaults; the next plan shows whatever still differs from the configuration.";

fn import_doc(type_name: &str) -> Option<ImportDoc> {
    let app = |address, ids| ImportDoc {
        address,
        summary: APP_IMPORT,
        ids,
    };
    Some(match type_name {
        "platform_environment" => ImportDoc {
            address: "platform_environment.prod",
            summary: "Import by the environment's name, or by the ID of its VPC. The provider finds every child by its ownership tags and recovers the configuration as written from the VPC's `platform:config` tags, so an unchanged configuration plans no change.",
            ids: &[("prod", "by name"), ("vpc-0123456789abcdef0", "by VPC ID")],
        },
        "platform_service" => app("platform_service.api", &[("prod/api", "")]),
        "platform_database" => app("platform_database.main", &[("prod/main", "")]),
        "platform_cache" => app("platform_cache.sessions", &[("prod/sessions", "")]),
        "platform_queue" => app("platform_queue.fulfilment", &[("prod/fulfilment", "")]),
        "platform_topic" => app("platform_topic.orders", &[("prod/orders", "")]),
        "platform_bucket" => app("platform_bucket.uploads", &[("prod/uploads", "")]),
        _ => return None,
    })
}

fn front_matter(page_title: &str, description: &str) -> String {
    let mut out =
        format!("---\npage_title: \"{page_title}\"\nsubcategory: \"\"\ndescription: |-\n");
    for line in description.lines() {
        let _ = writeln!(out, "  {line}");
    }
    out.push_str("---\n\n");
    out
}

fn code_block(language: &str, body: &str) -> String {
    format!("```{language}\n{}\n```\n\n", body.trim_end())
}

fn example_for(examples: &[(&str, &'static str)], type_name: &str) -> &'static str {
    examples
        .iter()
        .find(|(name, _)| *name == type_name)
        .map_or("", |(_, text)| text)
}

fn import_section(type_name: &str) -> String {
    let Some(doc) = import_doc(type_name) else {
        return String::new();
    };
    let mut out = format!("## Import\n\n{}\n\n", doc.summary);
    out.push_str("In Terraform 1.5 and later, use an `import` block:\n\n");
    out.push_str(&code_block(
        "terraform",
        &format!(
            "import {{\n  to = {}\n  id = \"{}\"\n}}",
            doc.address, doc.ids[0].0
        ),
    ));
    out.push_str("With any version, use `terraform import`:\n\n");
    let commands: Vec<String> = doc
        .ids
        .iter()
        .map(|(id, what)| {
            let comment = if what.is_empty() {
                String::new()
            } else {
                format!("  # {what}")
            };
            format!("terraform import {} {id}{comment}", doc.address)
        })
        .collect();
    out.push_str(&code_block("shell", &commands.join("\n")));
    out
}

/// Actions grouped by service prefix, one bullet per service.
fn action_bullets(actions: &[&str]) -> String {
    let mut by_service: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for action in actions {
        let service = action.split(':').next().unwrap_or_default();
        by_service.entry(service).or_default().push(action);
    }
    let mut out = String::new();
    for (service, actions) in by_service {
        let list: Vec<String> = actions.iter().map(|a| format!("`{a}`")).collect();
        let _ = writeln!(out, "- {service}: {}", list.join(", "));
    }
    out.push('\n');
    out
}

/// The scoping notes that apply to a set of resource types.
fn scope_notes(types: &[ResourceType]) -> String {
    let mut out = String::new();
    let actions: Vec<&str> = sorted(types.iter().flat_map(|t| t.actions()));
    // The actions of a service that cannot be scoped, said after its limit.
    let unscoped = |service: &str| {
        let names: Vec<&str> = UNSCOPED_ACTIONS
            .iter()
            .copied()
            .filter(|a| a.starts_with(service) && actions.contains(a))
            .collect();
        match names.as_slice() {
            [] => String::new(),
            [one] => format!(" (`{one}` takes no resource)"),
            many => format!(" ({} take no resource)", code_list(many)),
        }
    };
    let _ = writeln!(
        out,
        "- IAM role actions are limited to the roles the provider creates, `{PROVIDER_ROLE_ARN}`{}.",
        unscoped("iam:")
    );
    let passed: Vec<&str> = sorted(
        types
            .iter()
            .flat_map(|t| t.passed_role_services().iter().copied()),
    );
    if !passed.is_empty() {
        let _ = writeln!(
            out,
            "- `iam:PassRole` is limited to the roles the provider creates (`{PROVIDER_ROLE_ARN}`), passed to {}.",
            code_list(&passed)
        );
    }
    let linked: Vec<&str> = sorted(
        types
            .iter()
            .flat_map(|t| t.service_linked_roles().iter().copied()),
    );
    if !linked.is_empty() {
        let _ = writeln!(
            out,
            "- `iam:CreateServiceLinkedRole` lets AWS create the service-linked roles of {} on first use in an account (`{SERVICE_LINKED_ROLE_ARN}`).",
            code_list(&linked)
        );
    }
    let via: Vec<&str> = sorted(
        types
            .iter()
            .flat_map(|t| t.kms_via_services().iter().copied()),
    );
    if !via.is_empty() {
        let _ = writeln!(
            out,
            "- `kms:CreateGrant` and `kms:DescribeKey` are limited to calls made through {} (`kms:ViaService`), for `kms_key_arn` and the RDS-managed master-user secret.",
            code_list(&via)
        );
    }
    if actions.iter().any(|a| a.starts_with("secretsmanager:")) {
        let _ = writeln!(
            out,
            "- Secrets Manager actions are limited to {}{}.",
            code_list(SECRET_ARNS),
            unscoped("secretsmanager:")
        );
    }
    let has = |prefixes: &[&str]| {
        actions
            .iter()
            .any(|a| prefixes.iter().any(|p| a.starts_with(p)) && !a.contains(":List"))
    };
    if has(&["s3:", "sns:", "sqs:"]) {
        let _ = writeln!(
            out,
            "- S3, SNS and SQS actions are limited to buckets, topics and queues ({}); their listings take no resource.",
            code_list(MESSAGING_ARNS)
        );
    }
    if has(&["cloudfront:"]) {
        let _ = writeln!(
            out,
            "- CloudFront actions are limited to distributions and origin access controls ({}); its listings take no resource.",
            code_list(CLOUDFRONT_ARNS)
        );
    }
    if has(&["scheduler:"]) {
        let _ = writeln!(
            out,
            "- EventBridge Scheduler actions are limited to schedule groups and schedules ({}).",
            code_list(SCHEDULER_ARNS)
        );
    }
    out.push_str("- Everything else takes `*`: AWS mints the objects' IDs, so they cannot be named in advance.\n");
    out.push_str("- The ARNs use the `aws` partition; in China or GovCloud regions replace `arn:aws:` with `arn:aws-cn:` or `arn:aws-us-gov:`.\n\n");
    out
}

fn sorted<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut items: Vec<&str> = items.collect();
    items.sort_unstable();
    items.dedup();
    items
}

fn code_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("`{s}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn iam_section(resource_type: ResourceType) -> String {
    let type_name = resource_type.type_name();
    let mut out = String::from("## IAM Permissions\n\n");
    let _ = writeln!(
        out,
        "The role Terraform runs with needs these actions to plan, create, update, import, refresh and destroy `{type_name}`{}:\n",
        if resource_type == ResourceType::Environment {
            ""
        } else {
            " (they include reading its environment)"
        }
    );
    out.push_str(&action_bullets(&resource_type.actions()));
    out.push_str(
        "### Policy Document\n\nThe same actions as a least-privilege policy document, where:\n\n",
    );
    out.push_str(&scope_notes(&[resource_type]));
    out.push_str(&code_block("json", &deployer_policy_json(&[resource_type])));
    out
}

fn data_source_iam_section() -> String {
    let mut out = String::from("## IAM Permissions\n\n");
    out.push_str("Reading an environment needs only the environment's read-only actions:\n\n");
    out.push_str(&action_bullets(&environment_read_actions()));
    out
}

/// A block's description without surrounding whitespace.
fn description_of(block: &Block) -> &str {
    block.description.trim()
}

fn resource_page(type_name: &str, block: &Block) -> String {
    let mut out = front_matter(
        &format!("{type_name} Resource - terraform-provider-platform"),
        description_of(block),
    );
    let _ = writeln!(
        out,
        "# {type_name} (Resource)\n\n{}\n",
        description_of(block)
    );
    out.push_str("## Example Usage\n\n");
    out.push_str(&code_block(
        "terraform",
        example_for(RESOURCE_EXAMPLES, type_name),
    ));
    out.push_str(&schema::argument_reference(block));
    out.push_str(&schema::attribute_reference(block));
    out.push_str(&defaults::section(type_name));
    out.push_str(&import_section(type_name));
    if let Some(t) = ResourceType::from_type_name(type_name) {
        out.push_str(&iam_section(t));
    }
    finish(out)
}

fn data_source_page(type_name: &str, block: &Block) -> String {
    let mut out = front_matter(
        &format!("{type_name} Data Source - terraform-provider-platform"),
        description_of(block),
    );
    let _ = writeln!(
        out,
        "# {type_name} (Data Source)\n\n{}\n",
        description_of(block)
    );
    out.push_str("## Example Usage\n\n");
    out.push_str(&code_block(
        "terraform",
        example_for(DATA_SOURCE_EXAMPLES, type_name),
    ));
    out.push_str(&schema::argument_reference(block));
    out.push_str(&schema::attribute_reference(block));
    out.push_str(&data_source_iam_section());
    finish(out)
}

fn index_page() -> String {
    let block = (catalog::provider().schema)().block;
    let mut out = front_matter(
        "Provider: Platform",
        "The platform provider describes an AWS application platform as environments, services, databases and caches, each expanding into the AWS objects beneath it.",
    );
    out.push_str("# Platform Provider\n\n");
    out.push_str("The platform provider describes an AWS application platform the way a platform team thinks of it: an environment (`platform_environment`), the services in it (`platform_service`) and their databases (`platform_database`) and caches (`platform_cache`). Each resource expands into the AWS objects beneath it and owns their lifecycle; every object carries ownership tags and is listed in the resource's `resources` attribute.\n\n");
    out.push_str("## Example Usage\n\n");
    out.push_str(&code_block("terraform", PROVIDER_EXAMPLE));
    out.push_str("## Resources and Data Sources\n\n");
    for resource in catalog::resources() {
        let name = resource.type_name;
        let summary = (resource.schema)().block.description;
        let first = summary.split(": ").next().unwrap_or(&summary);
        let _ = writeln!(out, "- `{name}` (Resource): {}", sentence(first));
    }
    for data_source in catalog::data_sources() {
        let name = data_source.type_name;
        let summary = (data_source.schema)().block.description;
        let first = summary.split(": ").next().unwrap_or(&summary);
        let _ = writeln!(out, "- `{name}` (Data Source): {}", sentence(first));
    }
    out.push('\n');
    out.push_str("## Authentication\n\n");
    out.push_str(AUTHENTICATION);
    out.push('\n');
    // The provider block's own description introduces its arguments.
    out.push_str(&schema::argument_reference(&block).replacen(
        "## Argument Reference\n\n",
        &format!("## Argument Reference\n\n{}\n\n", description_of(&block)),
        1,
    ));
    out.push_str("## Deployer Policy\n\n");
    out.push_str("The least-privilege IAM policy for the role Terraform runs with, covering every resource type (each resource's page lists its own subset), where:\n\n");
    out.push_str(&scope_notes(&ResourceType::ALL));
    out.push_str(&code_block(
        "json",
        &deployer_policy_json(&ResourceType::ALL),
    ));
    finish(out)
}

/// A summary fragment ending in one period.
fn sentence(text: &str) -> String {
    let text = text.trim().trim_end_matches('.');
    format!("{text}.")
}

/// Pages end in exactly one newline.
fn finish(mut page: String) -> String {
    while page.ends_with("\n\n") {
        page.pop();
    }
    page
}

const AUTHENTICATION: &str = "\
Credentials and region resolve the way the AWS CLI and the hashicorp/aws provider resolve them, first match wins:

1. `access_key` and `secret_key` in the provider block (both or neither).
2. The `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN` environment variables.
3. The shared config and credentials files (`~/.aws/config`, `~/.aws/credentials`, or `shared_config_files` and `shared_credentials_files`), with the profile from `profile` or `AWS_PROFILE`; profiles may use SSO, `credential_process` or web identity.
4. Web identity from `AWS_WEB_IDENTITY_TOKEN_FILE` and `AWS_ROLE_ARN`, then the ECS task role or the EC2 instance profile.

With `assume_role`, those credentials assume the given role (session name `terraform-provider-platform` unless set), and every AWS call uses the role. The region comes from `region`, else `AWS_REGION` or the profile. At configure time the provider checks the credentials with STS `GetCallerIdentity` unless `skip_credentials_validation = true`.

`endpoints` (or the `AWS_ENDPOINT_URL_<SERVICE>` environment variables) point services at other URLs, such as a local emulator.
";

/// Every generated page: its path relative to the repository root and its content.
pub fn render_all() -> Vec<(PathBuf, String)> {
    let mut pages = vec![(PathBuf::from("docs/index.md"), index_page())];
    for resource in catalog::resources() {
        let type_name = resource.type_name;
        let file = page_file(type_name);
        pages.push((
            PathBuf::from(format!("docs/resources/{file}.md")),
            resource_page(type_name, &(resource.schema)().block),
        ));
    }
    for data_source in catalog::data_sources() {
        let type_name = data_source.type_name;
        let file = page_file(type_name);
        pages.push((
            PathBuf::from(format!("docs/data-sources/{file}.md")),
            data_source_page(type_name, &(data_source.schema)().block),
        ));
    }
    pages
}

/// The registry names pages after the type without the provider prefix.
fn page_file(type_name: &str) -> &str {
    type_name
        .strip_prefix(PROVIDER_NAME)
        .and_then(|rest| rest.strip_prefix('_'))
        .unwrap_or(type_name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::value::Value;
    use crate::plan::expand::environment::effective_config;
    use crate::resources::environment::model::parse_config;

    fn schemas() -> Vec<(String, Block)> {
        let mut out = vec![("provider".to_string(), (catalog::provider().schema)().block)];
        for r in catalog::resources() {
            out.push((r.type_name.to_string(), (r.schema)().block));
        }
        for d in catalog::data_sources() {
            out.push((format!("data.{}", d.type_name), (d.schema)().block));
        }
        out
    }

    #[test]
    fn render_is_deterministic_and_covers_every_type() {
        let first = render_all();
        assert_eq!(first, render_all());
        let paths: Vec<String> = first.iter().map(|(p, _)| p.display().to_string()).collect();
        assert_eq!(
            paths,
            [
                "docs/index.md",
                "docs/resources/environment.md",
                "docs/resources/service.md",
                "docs/resources/database.md",
                "docs/resources/cache.md",
                "docs/resources/queue.md",
                "docs/resources/topic.md",
                "docs/resources/bucket.md",
                "docs/data-sources/environment.md",
            ]
        );
        for (path, page) in &first {
            assert!(page.starts_with("---\npage_title: "), "{path:?}");
            assert!(page.ends_with('\n') && !page.ends_with("\n\n"), "{path:?}");
        }
    }

    #[test]
    fn every_attribute_has_a_description() {
        for (owner, block) in schemas() {
            for (path, attr) in schema::attribute_paths(&block) {
                assert!(
                    !attr.description.trim().is_empty(),
                    "{owner}: `{path}` has no description"
                );
            }
        }
    }

    /// Each default row names a real optional argument, and every argument whose description
    /// says "Default by tier" has a row.
    #[test]
    fn default_rows_match_the_schema() {
        for (owner, block) in schemas() {
            let paths = schema::attribute_paths(&block);
            let tier_rows = defaults::tier_rows(&owner);
            let fixed_rows = defaults::fixed_rows(&owner);
            let listed: Vec<&str> = tier_rows
                .iter()
                .map(|r| r.path)
                .chain(fixed_rows.iter().map(|r| r.path))
                .collect();
            for row in &listed {
                let attr = paths
                    .iter()
                    .find(|(p, _)| p == row)
                    .unwrap_or_else(|| panic!("{owner}: no argument `{row}`"));
                assert!(attr.1.optional, "{owner}: `{row}` is not optional");
            }
            for (path, attr) in &paths {
                if attr.description.contains("Default by tier") {
                    assert!(
                        tier_rows.iter().any(|r| r.path == path),
                        "{owner}: `{path}` has a tier default but no row"
                    );
                }
            }
        }
    }

    /// The rows agree with what the environment's parser resolves for each tier.
    #[test]
    fn environment_rows_match_effective_config() {
        for tier in defaults::TIERS {
            let mut config = Value::Object(Default::default());
            config.set("name", Value::string("docs"));
            config.set("tier", Value::string(tier.as_str()));
            let mut ingress = Value::Object(Default::default());
            ingress.set("domain", Value::string("example.com"));
            config.set("ingress", ingress);
            let (spec, diags) = parse_config(&config, &Default::default());
            let spec = spec.unwrap_or_else(|| panic!("{tier:?}: {diags:?}"));
            let effective = effective_config(&spec);
            let mut compared = 0;
            for row in defaults::tier_rows("platform_environment") {
                if let Some(value) = effective.get(row.path) {
                    assert_eq!(&(row.value)(tier).plain(), value, "{tier:?} {}", row.path);
                    compared += 1;
                }
            }
            for row in defaults::fixed_rows("platform_environment") {
                if let Some(value) = effective.get(row.path) {
                    assert_eq!(&(row.value)().plain(), value, "{tier:?} {}", row.path);
                    compared += 1;
                }
            }
            assert!(compared >= 20, "only {compared} rows compared");
        }
        let untiered = |t| {
            let spec = crate::plan::tiers::TierDefaults::for_tier(t).environment("docs", t);
            (spec.network.allow_no_egress, spec.network.endpoints.extra)
        };
        assert!(defaults::TIERS
            .iter()
            .all(|t| untiered(*t) == untiered(crate::plan::spec::Tier::Dev)));
    }

    /// Arguments and blocks the examples set exist in the schema, at that nesting.
    #[test]
    fn examples_use_real_arguments() {
        let mut cases: Vec<(String, &str, Block)> = vec![(
            "provider".into(),
            PROVIDER_EXAMPLE,
            (catalog::provider().schema)().block,
        )];
        for r in catalog::resources() {
            let name = r.type_name;
            cases.push((
                format!("resource \"{name}\""),
                example_for(RESOURCE_EXAMPLES, name),
                (r.schema)().block,
            ));
        }
        for d in catalog::data_sources() {
            let name = d.type_name;
            cases.push((
                format!("data \"{name}\""),
                example_for(DATA_SOURCE_EXAMPLES, name),
                (d.schema)().block,
            ));
        }
        for (opening, example, block) in &cases {
            let opening = if opening == "provider" {
                "provider \"platform\"".to_string()
            } else {
                opening.clone()
            };
            let used = example_arguments(example, &opening);
            assert!(!used.is_empty(), "no `{opening}` block in its example");
            for path in used {
                let known = schema::attribute_paths(block)
                    .iter()
                    .any(|(p, a)| *p == path && (a.required || a.optional))
                    || block_exists(block, &path);
                assert!(known, "{opening}: the example sets unknown `{path}`");
            }
        }
    }

    fn block_exists(block: &Block, path: &str) -> bool {
        let mut current = block;
        for step in path.split('.') {
            match current.find_block(step) {
                Some(nested) => current = &nested.block,
                None => return false,
            }
        }
        true
    }

    /// Dotted paths of the arguments and blocks set inside the block opened by `opening`, read
    /// line by line (the examples keep one argument per line; map values are skipped).
    fn example_arguments(example: &str, opening: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut inside = false;
        let mut stack: Vec<Option<String>> = Vec::new();
        for raw in example.lines() {
            let line = raw.split(" #").next().unwrap_or(raw).trim();
            if !inside {
                if line.starts_with(opening) && line.ends_with('{') {
                    inside = true;
                    stack.clear();
                }
                continue;
            }
            let in_map = stack.last().is_some_and(Option::is_none);
            if line == "}" {
                if stack.pop().is_none() {
                    inside = false;
                }
                continue;
            }
            if in_map || line.is_empty() || line.starts_with('#') {
                if line.ends_with('{') {
                    stack.push(None);
                }
                continue;
            }
            let prefix: Vec<String> = stack.iter().flatten().cloned().collect();
            let join = |name: &str| {
                let mut path = prefix.clone();
                path.push(name.to_string());
                path.join(".")
            };
            if let Some((name, value)) = line.split_once('=') {
                let name = name.trim();
                out.push(join(name));
                if value.trim() == "{" {
                    stack.push(None);
                }
            } else if let Some(name) = line.strip_suffix('{') {
                let name = name.trim().to_string();
                out.push(join(&name));
                stack.push(Some(name));
            }
        }
        out
    }
}
