//! What every resource shares once the provider is configured: the AWS clients, the region,
//! the default tags, and the reads shared by all resources of an environment in this process,
//! built from the typed provider block (`provider_config`).

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use crate::aws::common::reads::{ReadScopes, Reads};
use crate::aws::AwsClients;
use crate::framework::diag::Diagnostic;
use crate::framework::path::AttrPath;
use crate::resources::provider_config::{given, ProviderConfig, DEFAULT_MAX_RETRIES};

/// What resources need once the provider is configured.
pub struct Configured {
    pub clients: AwsClients,
    pub region: String,
    /// Merged under every resource's own `tags`.
    pub default_tags: BTreeMap<String, String>,
    /// Describe calls shared by every resource of an environment for the life of this provider
    /// process (one Terraform command), dropped when an apply changes the environment.
    reads: ReadScopes,
    /// The account the credentials belong to, asked once.
    account: tokio::sync::OnceCell<String>,
    /// Queues, topics and buckets this process planned, by ID: Terraform plans a resource
    /// after those its configuration refers to, so a service planned beside a new queue
    /// knows it is one.
    planned: std::sync::Mutex<BTreeMap<String, PlannedTarget>>,
}

/// A queue, topic or bucket planned in this process before it exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlannedTarget {
    Queue {
        fifo: bool,
        kms_key_arn: Option<String>,
    },
    Topic {
        fifo: bool,
        kms_key_arn: Option<String>,
    },
    Bucket {
        kms_key_arn: Option<String>,
    },
}

impl Configured {
    pub fn new(
        clients: AwsClients,
        region: String,
        default_tags: BTreeMap<String, String>,
    ) -> Configured {
        Configured {
            clients,
            region,
            default_tags,
            reads: ReadScopes::new(),
            account: tokio::sync::OnceCell::new(),
            planned: std::sync::Mutex::default(),
        }
    }

    /// Remembers that a queue, topic or bucket was planned in this process.
    pub fn note_planned(&self, id: &str, target: PlannedTarget) {
        if let Ok(mut planned) = self.planned.lock() {
            planned.insert(id.to_string(), target);
        }
    }

    /// The queue, topic or bucket of this ID planned in this process, if any.
    pub fn planned(&self, id: &str) -> Option<PlannedTarget> {
        self.planned.lock().ok()?.get(id).cloned()
    }

    /// The account ID of the credentials, asked of STS once per process.
    ///
    /// # Errors
    /// STS's.
    pub async fn account_id(&self) -> Result<String, crate::aws::error::AwsError> {
        self.account
            .get_or_try_init(|| self.clients.caller_account())
            .await
            .cloned()
    }

    /// The reads shared by every resource of environment `name`.
    pub fn reads(&self, environment: &str) -> Arc<Reads> {
        self.reads.of(environment)
    }

    /// Forgets what was read of environment `name`: its objects just changed.
    pub fn changed(&self, environment: &str) {
        self.reads.invalidate(environment);
    }
}

/// Shared between the provider and its resources; set by ConfigureProvider.
#[derive(Default, Clone)]
pub struct ConfiguredSlot(Arc<RwLock<Option<Arc<Configured>>>>);

impl ConfiguredSlot {
    /// The configured clients, or a diagnostic explaining why there are none.
    pub fn get(&self) -> Result<Arc<Configured>, Diagnostic> {
        self.0
            .read()
            .ok()
            .and_then(|slot| slot.clone())
            .ok_or_else(|| {
                Diagnostic::error(
                    "Provider not configured",
                    "The platform provider was not configured before this call. This happens when the provider block depends on values known only after apply; make them known at plan time.",
                )
            })
    }

    pub fn set(&self, configured: Configured) {
        if let Ok(mut slot) = self.0.write() {
            *slot = Some(Arc::new(configured));
        }
    }
}

impl Configured {
    /// Builds the AWS clients a provider block describes, as hashicorp/aws does, and checks the
    /// credentials unless told not to.
    ///
    /// # Errors
    /// No region, or credentials STS refuses.
    pub async fn connect(config: &ProviderConfig) -> Result<Configured, Diagnostic> {
        use aws_config::{BehaviorVersion, Region};
        use aws_runtime::env_config::file::{
            EnvConfigFileKind as ProfileFileKind, EnvConfigFiles as ProfileFiles,
        };

        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(region) = given(&config.region) {
            loader = loader.region(Region::new(region));
        }
        if let Some(profile) = given(&config.profile) {
            loader = loader.profile_name(profile);
        }
        let config_files = config.shared_config_files.clone().unwrap_or_default();
        let credential_files = config.shared_credentials_files.clone().unwrap_or_default();
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
        if let (Some(access), Some(secret)) = (given(&config.access_key), given(&config.secret_key))
        {
            loader = loader.credentials_provider(aws_credential_types::Credentials::new(
                access,
                secret,
                None,
                None,
                "provider-block",
            ));
        }
        // An explicit setting wins; otherwise AWS_MAX_ATTEMPTS (read by aws-config) or our
        // default.
        if config.max_retries.is_some() || std::env::var_os("AWS_MAX_ATTEMPTS").is_none() {
            let retries = config.max_retries.unwrap_or(DEFAULT_MAX_RETRIES);
            loader = loader.retry_config(
                aws_config::retry::RetryConfig::standard()
                    .with_max_attempts(retries.saturating_add(1)),
            );
        }
        let mut sdk = loader.load().await;

        let assume = config.assume_role.clone().unwrap_or_default();
        if let Some(role_arn) = given(&assume.role_arn) {
            let mut builder = aws_config::sts::AssumeRoleProvider::builder(role_arn).session_name(
                given(&assume.session_name).unwrap_or_else(|| "terraform-provider-platform".into()),
            );
            if let Some(external_id) = given(&assume.external_id) {
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
        let clients = AwsClients::with_s3_path_style(
            &sdk,
            &config.endpoint_overrides(),
            config.s3_use_path_style.unwrap_or(false),
        );

        if !config.skip_credentials_validation.unwrap_or(false) {
            match clients.caller_account().await {
                Ok(account) => {
                    let configured = Configured::new(clients, region, config.default_tags());
                    let _ = configured.account.set(account);
                    return Ok(configured);
                }
                Err(error) => {
                    return Err(Diagnostic::error(
                        "Invalid AWS credentials",
                        format!("STS GetCallerIdentity failed in {region}: {error}. Check the credentials, profile or assume_role settings, or set skip_credentials_validation = true."),
                    ));
                }
            }
        }
        Ok(Configured::new(clients, region, config.default_tags()))
    }
}
