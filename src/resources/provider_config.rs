//! The `provider "platform"` block as a typed struct (no AWS): what configure builds the
//! clients from and what validate checks.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::endpoints::ENDPOINTS;

/// Retries per AWS call when neither `max_retries` nor `AWS_MAX_ATTEMPTS` says otherwise.
pub const DEFAULT_MAX_RETRIES: u32 = 25;

/// The `provider "platform"` block as written, in hashicorp/aws's conventions. `None` is null
/// (or not known yet: a setting unknown at configure counts as unset).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderConfig {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub shared_config_files: Option<Vec<String>>,
    pub shared_credentials_files: Option<Vec<String>>,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub max_retries: Option<u32>,
    pub skip_credentials_validation: Option<bool>,
    pub s3_use_path_style: Option<bool>,
    pub assume_role: Option<AssumeRoleConfig>,
    /// Endpoint URL by service name or alias; the block's unset names are null.
    pub endpoints: Option<BTreeMap<String, Option<String>>>,
    pub default_tags: Option<DefaultTagsConfig>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssumeRoleConfig {
    pub role_arn: Option<String>,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefaultTagsConfig {
    pub tags: Option<BTreeMap<String, String>>,
}

/// A setting given a value: empty strings count as unset, as in hashicorp/aws.
pub fn given(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl ProviderConfig {
    /// The default tags every resource's own tags are merged over.
    pub fn default_tags(&self) -> BTreeMap<String, String> {
        self.default_tags
            .as_ref()
            .and_then(|d| d.tags.clone())
            .unwrap_or_default()
    }

    /// The endpoint override of each service (by its key), from its name or an alias.
    pub fn endpoint_overrides(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let Some(endpoints) = &self.endpoints else {
            return out;
        };
        for endpoint in ENDPOINTS {
            for name in endpoint.names() {
                if let Some(url) = endpoints.get(name).and_then(given) {
                    out.insert(endpoint.key.to_string(), url);
                }
            }
        }
        out
    }
}
