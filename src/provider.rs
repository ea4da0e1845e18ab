//! The `provider "platform"` block, in the conventions of the hashicorp/aws provider, and the
//! configured state every resource shares.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;

use crate::aws::endpoints::ENDPOINTS;
use crate::aws::AwsClients;
use crate::framework::diag::{Diagnostic, Diagnostics};
use crate::framework::path::AttrPath;
use crate::framework::provider::Provider;
use crate::framework::resource::{DataSource, Resource};
use crate::framework::schema::{Attribute, Block, Schema};
use crate::framework::validator::Validator;
use crate::framework::value::Value;
use crate::resources;
use crate::resources::configured::{Configured, ConfiguredSlot};

/// Tag key prefixes the provider reserves for ownership, and AWS for itself.
pub const RESERVED_TAG_PREFIXES: &[&str] = &["platform:", "aws:"];

/// Retries per AWS call when neither `max_retries` nor `AWS_MAX_ATTEMPTS` says otherwise.
const DEFAULT_MAX_RETRIES: u32 = 25;

pub struct PlatformProvider {
    configured: ConfiguredSlot,
}

impl PlatformProvider {
    pub fn new() -> PlatformProvider {
        PlatformProvider {
            configured: ConfiguredSlot::default(),
        }
    }
}

impl Default for PlatformProvider {
    fn default() -> Self {
        PlatformProvider::new()
    }
}

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

/// Checks user tags: keys AWS accepts and none of the reserved prefixes.
pub fn validate_tags(tags: &Value, path: &AttrPath) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for (key, value) in tags.as_entries().into_iter().flatten() {
        let at = path.clone().key(key);
        if let Some(prefix) = RESERVED_TAG_PREFIXES.iter().find(|p| key.starts_with(*p)) {
            diags.error_at(
                at.clone(),
                "Reserved tag key",
                format!("Tag keys starting with {prefix:?} are reserved: the provider uses platform:* to track ownership and AWS reserves aws:*."),
            );
        }
        if key.is_empty() || key.chars().count() > 128 {
            diags.error_at(
                at.clone(),
                "Invalid tag key",
                "Tag keys must be 1 to 128 characters.",
            );
        }
        if value.as_str().is_some_and(|v| v.chars().count() > 256) {
            diags.error_at(
                at,
                "Invalid tag value",
                "Tag values must be at most 256 characters.",
            );
        }
    }
    diags
}

fn string_at(config: &Value, path: &[&str]) -> Option<String> {
    let mut value = config;
    for step in path {
        value = value.get(step);
    }
    value.as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

fn strings_at(config: &Value, name: &str) -> Vec<String> {
    config
        .get(name)
        .as_elements()
        .unwrap_or_default()
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

#[async_trait]
impl Provider for PlatformProvider {
    fn schema(&self) -> Schema {
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
                    .description(
                        "Shared credentials files to read instead of `~/.aws/credentials`.",
                    ),
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

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![
            Arc::new(resources::environment::EnvironmentResource::new(
                self.configured.clone(),
            )),
            Arc::new(resources::app::service::ServiceResource::new(
                self.configured.clone(),
            )),
            Arc::new(resources::app::database::DatabaseResource::new(
                self.configured.clone(),
            )),
            Arc::new(resources::app::cache::CacheResource::new(
                self.configured.clone(),
            )),
        ]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![Arc::new(
            resources::data_sources::environment::EnvironmentDataSource::new(
                self.configured.clone(),
            ),
        )]
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let access = config.get("access_key");
        let secret = config.get("secret_key");
        if access.is_null() != secret.is_null() && !access.is_unknown() && !secret.is_unknown() {
            let missing = if access.is_null() {
                "access_key"
            } else {
                "secret_key"
            };
            diags.error_at(
                AttrPath::attrs(&[missing]),
                "Incomplete static credentials",
                "Set both access_key and secret_key, or neither (then the standard AWS credential chain applies).",
            );
        }
        diags.extend(validate_tags(
            config.get("default_tags").get("tags"),
            &AttrPath::attrs(&["default_tags", "tags"]),
        ));
        let endpoints = config.get("endpoints");
        for endpoint in ENDPOINTS {
            let set: Vec<&str> = endpoint
                .names()
                .filter(|name| !endpoints.get(name).is_null())
                .collect();
            if let [first, second, ..] = set.as_slice() {
                diags.error_at(
                    AttrPath::attrs(&["endpoints", second]),
                    "Conflicting endpoint names",
                    format!("endpoints.{first} and endpoints.{second} name the same service; set one of them."),
                );
            }
        }
        diags
    }

    async fn configure(&self, _terraform_version: &str, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        match build_clients(config).await {
            Ok(configured) => self.configured.set(configured),
            Err(d) => diags.push(d),
        }
        diags
    }
}

async fn build_clients(config: &Value) -> Result<Configured, Diagnostic> {
    use aws_config::{BehaviorVersion, Region};
    use aws_runtime::env_config::file::{
        EnvConfigFileKind as ProfileFileKind, EnvConfigFiles as ProfileFiles,
    };

    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = string_at(config, &["region"]) {
        loader = loader.region(Region::new(region));
    }
    if let Some(profile) = string_at(config, &["profile"]) {
        loader = loader.profile_name(profile);
    }
    let config_files = strings_at(config, "shared_config_files");
    let credential_files = strings_at(config, "shared_credentials_files");
    if !config_files.is_empty() || !credential_files.is_empty() {
        let mut files = ProfileFiles::builder();
        if config_files.is_empty() {
            files = files.include_default_config_file(true);
        }
        if credential_files.is_empty() {
            files = files.include_default_credentials_file(true);
        }
        for path in config_files {
            files = files.with_file(ProfileFileKind::Config, path);
        }
        for path in credential_files {
            files = files.with_file(ProfileFileKind::Credentials, path);
        }
        loader = loader.profile_files(files.build());
    }
    if let (Some(access), Some(secret)) = (
        string_at(config, &["access_key"]),
        string_at(config, &["secret_key"]),
    ) {
        loader = loader.credentials_provider(aws_credential_types::Credentials::new(
            access,
            secret,
            None,
            None,
            "provider-block",
        ));
    }
    let max_retries = config
        .get("max_retries")
        .as_number()
        .and_then(|n| n.to_u64())
        .map(|n| n as u32);
    // An explicit setting wins; otherwise AWS_MAX_ATTEMPTS (read by aws-config) or our default.
    if max_retries.is_some() || std::env::var_os("AWS_MAX_ATTEMPTS").is_none() {
        let retries = max_retries.unwrap_or(DEFAULT_MAX_RETRIES);
        loader = loader.retry_config(
            aws_config::retry::RetryConfig::standard().with_max_attempts(retries.saturating_add(1)),
        );
    }
    let mut sdk = loader.load().await;

    let assume = config.get("assume_role");
    if let Some(role_arn) = string_at(assume, &["role_arn"]) {
        let mut builder = aws_config::sts::AssumeRoleProvider::builder(role_arn).session_name(
            string_at(assume, &["session_name"])
                .unwrap_or_else(|| "terraform-provider-platform".into()),
        );
        if let Some(external_id) = string_at(assume, &["external_id"]) {
            builder = builder.external_id(external_id);
        }
        let provider = builder.configure(&sdk).build().await;
        sdk = sdk
            .into_builder()
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(provider),
            )
            .build();
    }

    let Some(region) = sdk.region().map(|r| r.to_string()) else {
        return Err(Diagnostic::error(
            "No AWS region",
            "Set `region` in the provider block, or AWS_REGION, or a region in the selected profile.",
        )
        .at(AttrPath::attrs(&["region"])));
    };

    // Each name, alias or not, overrides its service's one client.
    let mut endpoints = BTreeMap::new();
    for endpoint in ENDPOINTS {
        for name in endpoint.names() {
            if let Some(url) = string_at(config, &["endpoints", name]) {
                endpoints.insert(endpoint.key.to_string(), url);
            }
        }
    }
    let clients = AwsClients::new(&sdk, &endpoints);

    let skip_validation = config
        .get("skip_credentials_validation")
        .as_bool()
        .unwrap_or(false);
    if !skip_validation {
        if let Err(error) = clients.caller_account().await {
            return Err(Diagnostic::error(
                "Invalid AWS credentials",
                format!("STS GetCallerIdentity failed in {region}: {error}. Check the credentials, profile or assume_role settings, or set skip_credentials_validation = true."),
            ));
        }
    }

    let default_tags = config
        .get("default_tags")
        .get("tags")
        .as_entries()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
        .collect();
    Ok(Configured::new(clients, region, default_tags))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::resource::validate_block;

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
        let provider = PlatformProvider::new();
        let mut diags = validate_block(&provider.schema().block, config, &AttrPath::root());
        diags.extend(provider.validate(config));
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
        let provider = PlatformProvider::new();
        let config = assume_role(&[("external_id", "s3cret value")]);
        let diags = validate_block(&provider.schema().block, &config, &AttrPath::root());
        assert_eq!(diags.0.len(), 1);
        assert!(
            !diags.0[0].detail.contains("s3cret"),
            "{}",
            diags.0[0].detail
        );
    }
}
