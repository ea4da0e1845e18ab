//! The registry docs are generated (`terraform_provider_platform::docs`): this test fails when a
//! page on disk differs from what the code renders, or when a stray page sits in a generated
//! directory. `UPDATE_DOCS=1 cargo test --test docs` (what `make docs` runs) writes the pages
//! instead. A test rather than a bin, so it reuses the test build of the SDK crates.
//!
//! It also scans `src/aws/` for AWS SDK operation calls and checks each against the IAM action
//! lists in `plan::policy`, so the documented permissions cannot silently fall behind the code.
//!
//! And it scans the whole repository for citations of design notes that live outside it, so a
//! clone stays self-explanatory: code and docs point into `docs/design/` instead.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use terraform_provider_platform::docs::render_all;
use terraform_provider_platform::plan::node::Kind;
use terraform_provider_platform::plan::policy::{ResourceType, PROVIDER_ACTIONS};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Directories whose every `.md` file the generator owns.
const GENERATED_DIRS: &[&str] = &["docs/resources", "docs/data-sources"];

#[test]
fn docs_are_up_to_date() {
    let root = repo_root();
    let update = std::env::var("UPDATE_DOCS").is_ok_and(|v| v == "1");
    let pages = render_all();
    let mut stale = Vec::new();
    for (path, content) in &pages {
        let file = root.join(path);
        let on_disk = std::fs::read_to_string(&file).ok();
        if on_disk.as_deref() == Some(content.as_str()) {
            continue;
        }
        if update {
            if let Some(dir) = file.parent() {
                std::fs::create_dir_all(dir).expect("creating the docs directory");
            }
            std::fs::write(&file, content).expect("writing a docs page");
            eprintln!("wrote {}", path.display());
        } else {
            stale.push(path.display().to_string());
        }
    }
    let generated: BTreeSet<PathBuf> = pages.iter().map(|(p, _)| p.clone()).collect();
    let mut strays = Vec::new();
    for dir in GENERATED_DIRS {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let relative = Path::new(dir).join(entry.file_name());
            let is_md = relative.extension().is_some_and(|e| e == "md");
            if is_md && !generated.contains(&relative) {
                if update {
                    std::fs::remove_file(root.join(&relative)).expect("removing a stray page");
                    eprintln!("removed {}", relative.display());
                } else {
                    strays.push(relative.display().to_string());
                }
            }
        }
    }
    let mut problems = Vec::new();
    if !stale.is_empty() {
        problems.push(format!(
            "stale docs (run `make docs`):\n  {}",
            stale.join("\n  ")
        ));
    }
    if !strays.is_empty() {
        problems.push(format!(
            "pages the generator does not produce (rename or remove them, or run `make docs` to delete them):\n  {}",
            strays.join("\n  ")
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---- SDK operations versus IAM actions ----

/// `AwsClients` fields and the SDK crates they hold (`aws_sdk_<crate>`).
const CLIENT_FIELDS: &[(&str, &str)] = &[
    ("acm", "acm"),
    ("acm_us_east_1", "acm"),
    ("autoscaling", "applicationautoscaling"),
    ("cloudfront", "cloudfront"),
    ("ec2", "ec2"),
    ("ecs", "ecs"),
    ("elasticache", "elasticache"),
    ("elbv2", "elasticloadbalancingv2"),
    ("iam", "iam"),
    ("logs", "cloudwatchlogs"),
    ("rds", "rds"),
    ("s3", "s3"),
    ("scheduler", "scheduler"),
    ("secretsmanager", "secretsmanager"),
    ("servicediscovery", "servicediscovery"),
    ("sns", "sns"),
    ("sqs", "sqs"),
    ("sts", "sts"),
];

/// SDK crate → IAM service prefix.
const IAM_PREFIXES: &[(&str, &str)] = &[
    ("acm", "acm"),
    ("applicationautoscaling", "application-autoscaling"),
    ("cloudfront", "cloudfront"),
    ("cloudwatchlogs", "logs"),
    ("ec2", "ec2"),
    ("ecs", "ecs"),
    ("elasticache", "elasticache"),
    ("elasticloadbalancingv2", "elasticloadbalancing"),
    ("iam", "iam"),
    ("rds", "rds"),
    ("s3", "s3"),
    ("scheduler", "scheduler"),
    ("secretsmanager", "secretsmanager"),
    ("servicediscovery", "servicediscovery"),
    ("sns", "sns"),
    ("sqs", "sqs"),
    ("sts", "sts"),
];

/// Kind files whose name differs from the kind key's (`ec2.eip` is in `ec2/elastic_ip.rs`).
const KIND_FILE_ALIASES: &[(&str, Kind)] = &[
    ("ec2/elastic_ip.rs", Kind::ElasticIp),
    ("elasticache/cache_subnet_group.rs", Kind::CacheSubnetGroup),
];

/// Actions no SDK call names: AWS checks them while serving another call.
const INDIRECT_ACTIONS: &[&str] = &[
    "iam:CreateServiceLinkedRole",
    "iam:PassRole",
    "kms:CreateGrant",
    "kms:DescribeKey",
];

/// Source with comments, string and char literals blanked and test modules dropped, so only
/// code is scanned.
fn code_only(source: &str) -> String {
    let bytes = source.as_bytes();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &source[i..];
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("/*") {
            i += rest.find("*/").map_or(rest.len(), |end| end + 2);
        } else if let Some(hashes) = raw_string_start(source, i) {
            let open = 2 + hashes;
            let close = format!("\"{}", "#".repeat(hashes));
            let end = rest[open..]
                .find(&close)
                .map_or(rest.len(), |e| open + e + close.len());
            out.push_str("\"\"");
            i += end;
        } else if rest.starts_with('"') {
            let mut j = 1;
            while j < rest.len() && rest.as_bytes()[j] != b'"' {
                j += if rest.as_bytes()[j] == b'\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            i += (j + 1).min(rest.len());
        } else if let Some(len) = char_literal_len(rest) {
            out.push_str("' '");
            i += len;
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    drop_test_modules(&out)
}

/// `r"…"` or `r#"…"#` starting at `i`: the number of hashes.
fn raw_string_start(source: &str, i: usize) -> Option<usize> {
    let rest = &source[i..];
    let after_r = rest.strip_prefix('r')?;
    let preceded_by_ident = source[..i]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric() || c == '_');
    if preceded_by_ident {
        return None;
    }
    let hashes = after_r.len() - after_r.trim_start_matches('#').len();
    after_r[hashes..].starts_with('"').then_some(hashes)
}

/// Length of a char literal (`'a'`, `'\n'`, `'\u{1F600}'`) at the start, not a lifetime.
fn char_literal_len(rest: &str) -> Option<usize> {
    let body = rest.strip_prefix('\'')?;
    if let Some(escaped) = body.strip_prefix('\\') {
        let end = escaped.find('\'')?;
        return (end <= 10).then_some(end + 3);
    }
    let c = body.chars().next()?;
    body[c.len_utf8()..]
        .starts_with('\'')
        .then_some(c.len_utf8() + 2)
}

fn drop_test_modules(code: &str) -> String {
    let mut out = code.to_string();
    let mut from = 0;
    while let Some(at) = out[from..].find("#[cfg(test)]").map(|o| from + o) {
        let item = out[at + "#[cfg(test)]".len()..].trim_start();
        // Only whole test modules; other test-only items are left in place.
        let Some(open) = item
            .starts_with("mod ")
            .then(|| out[at..].find('{').map(|o| at + o))
            .flatten()
        else {
            from = at + 1;
            continue;
        };
        let mut depth = 0;
        let mut end = out.len();
        for (offset, c) in out[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + offset + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.replace_range(at..end, "");
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Names bound to a client in a file, with their SDK crate: parameters typed `&Client` (the
/// file's `use aws_sdk_<crate>::Client`) or `&aws_sdk_<crate>::Client`, and
/// `let name = &….clients.<field>;`.
fn client_bindings(code: &str) -> BTreeMap<String, String> {
    let own = code
        .split("use aws_sdk_")
        .skip(1)
        .find_map(|rest| rest.strip_suffix_once("::Client;"))
        .map(str::to_string);
    let mut out = BTreeMap::new();
    let compact: String = code.split_whitespace().collect::<Vec<_>>().join(" ");
    for (at, _) in compact.match_indices("Client") {
        let after = &compact[at + "Client".len()..];
        if after.starts_with(|c: char| is_ident(c)) {
            continue;
        }
        let before = &compact[..at];
        let (crate_name, before) = match before.strip_suffix("::") {
            Some(path) => {
                let start = path.rfind(|c: char| !is_ident(c)).map_or(0, |i| i + 1);
                match path[start..].strip_prefix("aws_sdk_") {
                    Some(name) => (Some(name.to_string()), &path[..start]),
                    None => continue,
                }
            }
            None => (own.clone(), before),
        };
        let Some(crate_name) = crate_name else {
            continue;
        };
        // `name: &Client`, `name: Option<&Client>`.
        let before = before.trim_end();
        let before = before.strip_suffix('&').unwrap_or(before).trim_end();
        let before = before.strip_suffix("Option<").unwrap_or(before).trim_end();
        let Some(before) = before.strip_suffix(':') else {
            continue;
        };
        let before = before.trim_end();
        let start = before.rfind(|c: char| !is_ident(c)).map_or(0, |i| i + 1);
        let name = &before[start..];
        if !name.is_empty() {
            out.insert(name.to_string(), crate_name);
        }
    }
    for segment in compact.split("let ").skip(1) {
        let Some((name, value)) = segment.split_once('=') else {
            continue;
        };
        let name = name.trim();
        let value = value.split(';').next().unwrap_or_default().trim();
        if let Some(field) = value.rsplit_once("clients.").map(|(_, f)| f.trim()) {
            if let Some((_, crate_name)) = CLIENT_FIELDS.iter().find(|(f, _)| *f == field) {
                if name.chars().all(is_ident) {
                    out.insert(name.to_string(), crate_name.to_string());
                }
            }
        }
    }
    out
}

trait StripSuffixOnce {
    fn strip_suffix_once(&self, suffix: &str) -> Option<&str>;
}

impl StripSuffixOnce for str {
    /// The text before the first `suffix`, if it is a plain identifier.
    fn strip_suffix_once(&self, suffix: &str) -> Option<&str> {
        let (head, _) = self.split_once(suffix)?;
        head.chars().all(is_ident).then_some(head)
    }
}

/// An SDK operation call found in a file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Call {
    file: String,
    crate_name: String,
    operation: String,
}

/// Every `<client>.<operation>()` in a file: the receiver is `clients.<field>` or
/// `self.<field>`, or a name bound to a client.
fn sdk_calls(file: &str, source: &str) -> Vec<Call> {
    let code = code_only(source);
    let bindings = client_bindings(&code);
    // Chains span lines: join `x\n    .op()` into `x.op()`.
    let compact: String = {
        let mut out = String::with_capacity(code.len());
        for piece in code.split('.') {
            if !out.is_empty() {
                let trimmed = out.trim_end().len();
                out.truncate(trimmed);
                out.push('.');
                out.push_str(piece.trim_start());
            } else {
                out.push_str(piece);
            }
        }
        out
    };
    let mut calls = Vec::new();
    for (at, _) in compact.match_indices("()") {
        let head = &compact[..at];
        let op_start = head.rfind(|c: char| !is_ident(c)).map_or(0, |i| i + 1);
        let operation = &head[op_start..];
        let Some(receiver) = head[..op_start].strip_suffix('.') else {
            continue;
        };
        let recv_start = receiver
            .rfind(|c: char| !(is_ident(c) || c == '.'))
            .map_or(0, |i| i + 1);
        let segments: Vec<&str> = receiver[recv_start..].split('.').collect();
        let Some(last) = segments.last().copied() else {
            continue;
        };
        let parent = segments.len().checked_sub(2).map(|i| segments[i]);
        let crate_name = match parent {
            Some("clients") | Some("self") => CLIENT_FIELDS
                .iter()
                .find(|(field, _)| *field == last)
                .map(|(_, c)| c.to_string()),
            None => bindings.get(last).cloned(),
            Some(_) => None,
        };
        let Some(crate_name) = crate_name else {
            continue;
        };
        if operation.is_empty()
            || !operation.starts_with(|c: char| c.is_ascii_lowercase())
            || ["clone", "config", "as_ref"].contains(&operation)
        {
            continue;
        }
        calls.push(Call {
            file: file.to_string(),
            crate_name,
            operation: operation.to_string(),
        });
    }
    calls.sort();
    calls.dedup();
    calls
}

/// CloudFront operations whose IAM action is not the operation's name (creating with tags is
/// authorised as CreateDistribution plus TagResource).
const CLOUDFRONT_ACTIONS: &[(&str, &str)] = &[(
    "create_distribution_with_tags",
    "cloudfront:CreateDistribution",
)];

/// S3 operations whose IAM action is not the operation's name (AWS's "Actions defined by
/// Amazon S3": a configuration's Delete is its Put, HeadBucket needs ListBucket).
const S3_ACTIONS: &[(&str, &str)] = &[
    ("delete_bucket_cors", "s3:PutBucketCORS"),
    ("delete_bucket_lifecycle", "s3:PutLifecycleConfiguration"),
    ("delete_objects", "s3:DeleteObject"),
    ("get_bucket_cors", "s3:GetBucketCORS"),
    ("get_bucket_encryption", "s3:GetEncryptionConfiguration"),
    (
        "get_bucket_lifecycle_configuration",
        "s3:GetLifecycleConfiguration",
    ),
    ("get_public_access_block", "s3:GetBucketPublicAccessBlock"),
    ("head_bucket", "s3:ListBucket"),
    ("list_object_versions", "s3:ListBucketVersions"),
    ("put_bucket_cors", "s3:PutBucketCORS"),
    ("put_bucket_encryption", "s3:PutEncryptionConfiguration"),
    (
        "put_bucket_lifecycle_configuration",
        "s3:PutLifecycleConfiguration",
    ),
    ("put_public_access_block", "s3:PutBucketPublicAccessBlock"),
];

/// The IAM action of an SDK operation: the service prefix plus the operation in PascalCase,
/// where RDS spells `DB` in capitals (`describe_db_instances` → `rds:DescribeDBInstances`),
/// and S3's and CloudFront's exceptions ([`S3_ACTIONS`], [`CLOUDFRONT_ACTIONS`]).
fn iam_action(call: &Call) -> String {
    let exceptions = match call.crate_name.as_str() {
        "s3" => S3_ACTIONS,
        "cloudfront" => CLOUDFRONT_ACTIONS,
        _ => &[],
    };
    if let Some((_, action)) = exceptions.iter().find(|(op, _)| *op == call.operation) {
        return action.to_string();
    }
    let prefix = IAM_PREFIXES
        .iter()
        .find(|(c, _)| *c == call.crate_name)
        .map_or_else(
            || panic!("no IAM prefix for aws_sdk_{}", call.crate_name),
            |(_, p)| *p,
        );
    let words = call.operation.split('_').map(|word| {
        if call.crate_name == "rds" && word == "db" {
            return "DB".to_string();
        }
        let mut chars = word.chars();
        chars.next().map_or_else(String::new, |first| {
            first.to_ascii_uppercase().to_string() + chars.as_str()
        })
    });
    format!("{prefix}:{}", words.collect::<String>())
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("reading src/aws")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every SDK call under `src/aws/`, by file relative to it.
fn scan_aws() -> Vec<(String, String, Vec<Call>)> {
    let aws = repo_root().join("src/aws");
    let mut files = Vec::new();
    rust_files(&aws, &mut files);
    files
        .into_iter()
        .map(|path| {
            let relative = path
                .strip_prefix(&aws)
                .expect("under src/aws")
                .to_string_lossy()
                .replace('\\', "/");
            let source = std::fs::read_to_string(&path).expect("reading a source file");
            let calls = sdk_calls(&relative, &source);
            (relative, source, calls)
        })
        .collect()
}

/// The kind a file implements: `ec2/subnet.rs` is `ec2.subnet`.
fn kind_of_file(relative: &str) -> Option<Kind> {
    if let Some((_, kind)) = KIND_FILE_ALIASES.iter().find(|(f, _)| *f == relative) {
        return Some(*kind);
    }
    let key = relative.strip_suffix(".rs")?.replace('/', ".");
    Kind::ALL.iter().copied().find(|k| k.prefix() == key)
}

fn all_listed_actions() -> BTreeSet<String> {
    ResourceType::ALL
        .iter()
        .flat_map(|t| t.actions())
        .chain(PROVIDER_ACTIONS.iter().copied())
        .map(str::to_string)
        .collect()
}

#[test]
fn every_sdk_operation_has_an_iam_action() {
    let listed = all_listed_actions();
    let mut missing = Vec::new();
    let mut total = 0;
    for (file, source, calls) in scan_aws() {
        // A file that sends requests but yields no call means the scanner lost track.
        if code_only(&source).contains(".send()") {
            assert!(
                !calls.is_empty(),
                "{file}: sends requests but no call was found"
            );
        }
        // A kind's own calls are checked against its list (below); a kind no resource uses
        // yet needs no resource's policy.
        let kind_unused = kind_of_file(&file).is_some_and(|kind| {
            !ResourceType::ALL
                .iter()
                .any(|t| t.managed_kinds().contains(&kind))
        });
        for call in calls {
            total += 1;
            let action = iam_action(&call);
            if !listed.contains(&action) && !kind_unused {
                missing.push(format!("{file}: {} → {action}", call.operation));
            }
        }
    }
    assert!(
        total > 150,
        "only {total} calls found; the scanner is broken"
    );
    assert!(
        missing.is_empty(),
        "SDK operations whose IAM action no list in src/plan/policy.rs has:\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn each_kind_lists_the_operations_of_its_file() {
    let mut missing = Vec::new();
    let mut kinds_seen = BTreeSet::new();
    for (file, _, calls) in scan_aws() {
        let Some(kind) = kind_of_file(&file) else {
            continue;
        };
        kinds_seen.insert(kind);
        for call in calls {
            let action = iam_action(&call);
            if !kind.iam_actions().contains(&action.as_str()) {
                missing.push(format!("{file} ({}): {action}", kind.prefix()));
            }
        }
    }
    assert_eq!(
        kinds_seen.len(),
        Kind::ALL.len(),
        "every kind has its file in src/aws"
    );
    assert!(
        missing.is_empty(),
        "operations missing from their kind's list in src/plan/policy.rs:\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn every_listed_action_is_used() {
    let used: BTreeSet<String> = scan_aws()
        .into_iter()
        .flat_map(|(_, _, calls)| calls)
        .map(|call| iam_action(&call))
        .collect();
    let unused: Vec<String> = all_listed_actions()
        .into_iter()
        .filter(|a| {
            !used.contains(a)
                && !INDIRECT_ACTIONS.contains(&a.as_str())
                && !Kind::ALL
                    .iter()
                    .any(|k| k.indirect_iam_actions().contains(&a.as_str()))
        })
        .collect();
    assert!(
        unused.is_empty(),
        "actions in src/plan/policy.rs no SDK call in src/aws needs:\n  {}",
        unused.join("\n  ")
    );
}

#[test]
fn scanner_reads_receivers_and_skips_comments() {
    let source = r#"
use aws_sdk_ec2::Client;
// client.create_vpc() in a comment
pub async fn f(client: &Client, clients: &AwsClients) {
    let text = "client.delete_vpc()";
    client
        .describe_vpcs()
        .send()
        .await;
    clients.rds.describe_db_instances().send().await;
    let sm = &clients.secretsmanager;
    sm.get_secret_value().send().await;
    spec.iam.policy_json();
    client.clone();
}
#[cfg(test)]
mod tests {
    fn g(client: &Client) { client.delete_subnet(); }
}
"#;
    let calls: Vec<(String, String)> = sdk_calls("x.rs", source)
        .into_iter()
        .map(|c| (c.crate_name.clone(), iam_action(&c)))
        .collect();
    assert_eq!(
        calls,
        [
            ("ec2".to_string(), "ec2:DescribeVpcs".to_string()),
            ("rds".to_string(), "rds:DescribeDBInstances".to_string()),
            (
                "secretsmanager".to_string(),
                "secretsmanager:GetSecretValue".to_string()
            ),
        ]
    );
}

// ---- The repository stands alone ----

/// Design notes kept outside the repository, which a clone does not have. Spelled in lower case
/// (and the paths in pieces) so this file does not match itself; `docs/design/` holds what the
/// project needs from them.
const OUTSIDE_NOTES: &[&str] = &["product", "protocol", "testing", "style", "registry"];

/// Files that still cite the outside notes because other work is changing them right now. Each
/// entry goes as soon as its file points into `docs/design/` instead; the test fails for an
/// entry that no longer cites anything, so the list can only shrink.
const NOT_YET_STANDALONE: &[&str] = &[];

/// Not scanned: `docs/design/` (the notes themselves), generated benchmark output, and build
/// output or local tools wherever they sit.
const UNSCANNED_PATHS: &[&str] = &[
    "docs/design",
    "bench/results",
    ".tools",
    ".work",
    "dist",
    "site",
    "mirror",
    "fuzz/artifacts",
    "fuzz/coverage",
];
const UNSCANNED_NAMES: &[&str] = &[".git", "target", ".terraform", "__pycache__"];

/// Every text file of the repository worth scanning, relative to the root, `/`-separated.
fn repository_files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("reading a repository directory")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        let relative = path
            .strip_prefix(root)
            .expect("under the root")
            .to_string_lossy()
            .replace('\\', "/");
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if UNSCANNED_NAMES.contains(&name.as_ref()) || UNSCANNED_PATHS.contains(&relative.as_str())
        {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            repository_files(root, &path, out);
        } else if meta.is_file() {
            out.push(relative);
        }
    }
}

/// What a line cites from the outside notes: a file name (`NAME.md`), a section (`NAME §4`) or
/// their directory.
fn outside_citations(line: &str) -> Vec<String> {
    let shared_dir = ["..", "/shared/"].concat();
    let shared_abs = ["/work", "/shared"].concat();
    let mut found: Vec<String> = [shared_dir, shared_abs]
        .into_iter()
        .filter(|path| line.contains(path.as_str()))
        .collect();
    for name in OUTSIDE_NOTES.iter().map(|n| n.to_ascii_uppercase()) {
        for (at, _) in line.match_indices(&name) {
            let before = line[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let after = &line[at + name.len()..];
            if after.starts_with(".md") || after.trim_start_matches(' ').starts_with('§') {
                found.push(name.clone());
            }
        }
    }
    found
}

#[test]
fn the_repository_cites_no_design_notes_outside_it() {
    let root = repo_root();
    let mut files = Vec::new();
    repository_files(&root, &root, &mut files);
    assert!(
        files.iter().any(|f| f == "src/plan/tiers.rs") && files.len() > 200,
        "only {} files found; the walk is broken",
        files.len()
    );
    let mut citing = Vec::new();
    let mut still_citing = BTreeSet::new();
    for file in &files {
        // Binary files (fuzz seeds, images) are not UTF-8 and cite nothing.
        let Ok(text) = String::from_utf8(std::fs::read(root.join(file)).unwrap_or_default()) else {
            continue;
        };
        for (number, line) in text.lines().enumerate() {
            let found = outside_citations(line);
            if found.is_empty() {
                continue;
            }
            if NOT_YET_STANDALONE.contains(&file.as_str()) {
                still_citing.insert(file.as_str());
            } else {
                citing.push(format!("{file}:{}: {}", number + 1, found.join(", ")));
            }
        }
    }
    assert!(
        citing.is_empty(),
        "these cite design notes that live outside the repository; point them at \
         docs/design/ (or ARCHITECTURE.md, an ADR) instead:\n  {}",
        citing.join("\n  ")
    );
    let fixed: Vec<&str> = NOT_YET_STANDALONE
        .iter()
        .copied()
        .filter(|f| !still_citing.contains(f))
        .collect();
    assert!(
        fixed.is_empty(),
        "no longer cite outside notes; remove them from NOT_YET_STANDALONE:\n  {}",
        fixed.join("\n  ")
    );
}

#[test]
fn outside_citations_are_recognised() {
    let upper = |n: &str| n.to_ascii_uppercase();
    let name = upper(OUTSIDE_NOTES[0]);
    assert_eq!(
        outside_citations(&format!("({name}.md §9)")).join(","),
        name
    );
    assert_eq!(
        outside_citations(&format!("(see {name} §4)")).join(","),
        name
    );
    assert_eq!(
        outside_citations(&format!("`{}{}.md`", ["..", "/shared/"].concat(), name)),
        [["..", "/shared/"].concat(), name.clone()]
    );
    assert!(outside_citations(&format!("PLUGIN_{name}_VERSIONS and {name}S")).is_empty());
    assert!(outside_citations("docs/design/protocol.md §6.4").is_empty());
}
