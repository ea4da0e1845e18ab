//! The `provider "platform"` block, in the conventions of the hashicorp/aws provider: its
//! schema and the checks Terraform's validate runs on it (no AWS).

use crate::aws::endpoints::ENDPOINTS;
use crate::framework::diag::{Diagnostic, Diagnostics};
use crate::framework::path::AttrPath;
use crate::framework::resource::read_errors;
use crate::framework::schema::{Attribute, Block, Schema};
use crate::framework::validator::Validator;
use crate::framework::value::de;
use crate::framework::value::Value;
use crate::resources::provider_config::ProviderConfig;
use crate::resources::tags::validate_tags;

fn valid_region(value: &Value) -> Option<String> {
    let region = value.as_str()?;
    let parts: Vec<&str> = region.split('-').collect();
    let ok = parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
    (!ok).then(|| format!("{region:?} is not an AWS region name such as \"us-east-1\""))
}

fn valid_role_arn(value: &Value) -> Option<String> {
    let arn = value.as_str()?;
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5].starts_with("role/")
        && parts[5].len() > 5;
    (!ok).then(|| {
        format!(
            "{arn:?} is not an IAM role ARN such as \"arn:aws:iam::123456789012:role/deployer\""
        )
    })
}

/// STS takes session names of `[\w+=,.@-]` only; anything else would fail at configure, in
/// AssumeRole, instead of at validate.
fn valid_session_name(value: &Value) -> Option<String> {
    let name = value.as_str()?;
    let ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    (!ok).then(|| {
        format!("{name:?} may hold only letters, digits and _+=,.@- (STS refuses anything else)")
    })
}

/// STS takes external IDs of `[\w+=,.@:/-]` only. The value is not echoed: it is a shared
/// secret of the role's trust policy.
fn valid_external_id(value: &Value) -> Option<String> {
    let id = value.as_str()?;
    let ok = id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(c));
    (!ok).then(|| {
        "may hold only letters, digits and _+=,.@:/- (STS refuses anything else)".to_string()
    })
}

fn valid_url(value: &Value) -> Option<String> {
    let url = value.as_str()?;
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => None,
        _ => Some(format!("{url:?} is not an http:// or https:// URL")),
    }
}

/// The provider block's schema.
pub fn schema() -> Schema {
    let mut endpoints = Block::new("Per-service endpoint URL overrides, as `AWS_ENDPOINT_URL_<SERVICE>` does, under hashicorp/aws's names; each service also takes hashicorp/aws's aliases (one name per service).");
    for endpoint in ENDPOINTS {
        for name in endpoint.names() {
            let description = if name == endpoint.key {
                format!("Endpoint URL for {name}.")
            } else {
                format!("Alias of `{}`.", endpoint.key)
            };
            endpoints = endpoints.attribute(
                Attribute::string(name)
                    .optional()
                    .description(&description)
                    .validate(Validator::Custom(valid_url)),
            );
        }
    }
    Schema::new(
        0,
        Block::new(
            "Configures AWS access for the platform provider, like the hashicorp/aws provider.",
        )
        .attribute(
            Attribute::string("region")
                .optional()
                .description("AWS region. Defaults to `AWS_REGION` or the profile's region.")
                .validate(Validator::Custom(valid_region)),
        )
        .attribute(
            Attribute::string("profile")
                .optional()
                .description("Named profile from the shared config and credentials files."),
        )
        .attribute(
            Attribute::string_list("shared_config_files")
                .optional()
                .description("Shared config files to read instead of `~/.aws/config`."),
        )
        .attribute(
            Attribute::string_list("shared_credentials_files")
                .optional()
                .description("Shared credentials files to read instead of `~/.aws/credentials`."),
        )
        .attribute(
            Attribute::string("access_key")
                .optional()
                .sensitive()
                .description("Static access key ID. Prefer profiles or environment variables."),
        )
        .attribute(
            Attribute::string("secret_key")
                .optional()
                .sensitive()
                .description("Static secret access key."),
        )
        .attribute(
            Attribute::number("max_retries")
                .optional()
                .description(
                    "Retries per AWS call for throttling and transient errors. Default 25.",
                )
                .validate(Validator::IntBetween(0, 100)),
        )
        .attribute(
            Attribute::bool("s3_use_path_style")
                .optional()
                .description(
                    "Address S3 buckets by path (`https://<endpoint>/<bucket>`) instead of by host name (`https://<bucket>.<endpoint>`), as hashicorp/aws's option of the same name; for S3-compatible endpoints set in `endpoints`. Default false.",
                ),
        )
        .attribute(
            Attribute::bool("skip_credentials_validation")
                .optional()
                .description(
                    "Skip the STS GetCallerIdentity check at configure time. Default false.",
                ),
        )
        .single_block(
            "assume_role",
            Block::new("Role to assume for every AWS call.")
                .attribute(
                    Attribute::string("role_arn")
                        .required()
                        .description("ARN of the role to assume.")
                        .validate(Validator::Custom(valid_role_arn)),
                )
                .attribute(
                    Attribute::string("session_name")
                        .optional()
                        .description("Session name; default `terraform-provider-platform`.")
                        .validate(Validator::LengthBetween(2, 64))
                        .validate(Validator::Custom(valid_session_name)),
                )
                .attribute(
                    Attribute::string("external_id")
                        .optional()
                        .description("External ID the role's trust policy requires.")
                        .validate(Validator::LengthBetween(2, 1224))
                        .validate(Validator::Custom(valid_external_id)),
                ),
        )
        .single_block("endpoints", endpoints)
        .single_block(
            "default_tags",
            Block::new("Tags added to every AWS object the provider creates.").attribute(
                Attribute::string_map("tags")
                    .optional()
                    .description("Tags; a resource's own `tags` win on conflicts."),
            ),
        ),
    )
}

/// What the configuration alone decides about the block, on what is known.
pub fn validate(config: &Value) -> Diagnostics {
    let read = match de::from_known_part::<ProviderConfig>(config) {
        Ok(read) => read,
        Err(e) => return Diagnostic::from(e).into(),
    };
    let mut diags = read_errors(&schema().block, config, read.errors);
    let (config, unjudged) = (read.value, read.unjudged);
    // Set means not null: an unknown value is set too, but not judged.
    let set = |value: bool, path: &AttrPath| value || unjudged.holds(path);
    let (access, secret) = (
        AttrPath::attrs(&["access_key"]),
        AttrPath::attrs(&["secret_key"]),
    );
    let access_set = config.access_key.is_some();
    let secret_set = config.secret_key.is_some();
    if unjudged.is_known(&access) && unjudged.is_known(&secret) && access_set != secret_set {
        let missing = if access_set { secret } else { access };
        diags.error_at(
                missing,
                "Incomplete static credentials",
                "Set both access_key and secret_key, or neither (then the standard AWS credential chain applies).",
            );
    }
    if let Some(tags) = config.default_tags.as_ref().and_then(|d| d.tags.as_ref()) {
        diags.extend(validate_tags(
            tags,
            &AttrPath::attrs(&["default_tags", "tags"]),
        ));
    }
    let endpoints = config.endpoints.unwrap_or_default();
    for endpoint in ENDPOINTS {
        let given: Vec<&str> = endpoint
            .names()
            .filter(|name| {
                set(
                    endpoints.get(*name).is_some_and(Option::is_some),
                    &AttrPath::attrs(&["endpoints", name]),
                )
            })
            .collect();
        if let [first, second, ..] = given.as_slice() {
            diags.error_at(
                    AttrPath::attrs(&["endpoints", second]),
                    "Conflicting endpoint names",
                    format!("endpoints.{first} and endpoints.{second} name the same service; set one of them."),
                );
        }
    }
    diags
}
#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::framework::resource::validate_block;

    #[test]
    fn the_model_matches_the_schema() {
        let ty = schema().value_type();
        assert_eq!(
            de::check_fields::<ProviderConfig>(&ty),
            Vec::<String>::new()
        );
    }

    #[test]
    fn static_credentials_come_in_pairs_and_unknown_ones_wait() {
        let mut config = Value::Object(BTreeMap::new());
        config.set("access_key", Value::string("AKIAIOSFODNN7EXAMPLE"));
        let diags = validate(&config);
        assert_eq!(diags.0[0].path, Some(AttrPath::attrs(&["secret_key"])));
        config.set("secret_key", Value::Unknown);
        assert!(validate(&config).is_empty());
        // A wholly unknown endpoints block names no service twice.
        config.set("endpoints", Value::Unknown);
        assert!(validate(&config).is_empty());
    }

    fn assume_role(attrs: &[(&str, &str)]) -> Value {
        let mut role: BTreeMap<String, Value> = [
            ("role_arn", "arn:aws:iam::123456789012:role/deployer"),
            ("session_name", "deploy"),
            ("external_id", "ext-1"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), Value::string(*v)))
        .collect();
        for (k, v) in attrs {
            role.insert(k.to_string(), Value::string(*v));
        }
        let mut config = Value::Object(BTreeMap::new());
        config.set("assume_role", Value::Object(role));
        config
    }

    fn summaries(config: &Value) -> Vec<String> {
        let mut diags = validate_block(&schema().block, config, &AttrPath::root());
        diags.extend(validate(config));
        diags.0.into_iter().map(|d| d.summary).collect()
    }

    #[test]
    fn assume_role_names_use_the_characters_sts_accepts() {
        struct Case {
            reason: &'static str,
            attrs: &'static [(&'static str, &'static str)],
            want: &'static [&'static str],
        }
        let cases = [
            Case {
                reason: "valid",
                attrs: &[],
                want: &[],
            },
            Case {
                reason: "every allowed character",
                attrs: &[
                    ("session_name", "a_b+c=d,e.f@g-h"),
                    ("external_id", "a:b/c_d+e=f,g.h@i-j"),
                ],
                want: &[],
            },
            Case {
                reason: "space in the session name",
                attrs: &[("session_name", "deploy bot")],
                want: &["Invalid value for assume_role.session_name"],
            },
            Case {
                reason: "slash in the session name",
                attrs: &[("session_name", "ci/deploy")],
                want: &["Invalid value for assume_role.session_name"],
            },
            Case {
                reason: "non-ASCII external ID",
                attrs: &[("external_id", "clé-secrète")],
                want: &["Invalid value for assume_role.external_id"],
            },
        ];
        for case in cases {
            assert_eq!(
                summaries(&assume_role(case.attrs)),
                case.want,
                "{}",
                case.reason
            );
        }
    }

    #[test]
    fn external_id_stays_out_of_the_diagnostic() {
        let config = assume_role(&[("external_id", "s3cret value")]);
        let diags = validate_block(&schema().block, &config, &AttrPath::root());
        assert_eq!(diags.0.len(), 1);
        assert!(
            !diags.0[0].detail.contains("s3cret"),
            "{}",
            diags.0[0].detail
        );
    }
}
