//! What every app resource's configuration and state hold beside the kind's own arguments,
//! and how validate judges them. Pure: no AWS calls.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::framework::diag::{Diagnostic, Diagnostics, Severity};
use crate::framework::path::{AttrPath, Step};
use crate::framework::resource::read_errors;
use crate::framework::schema::{Block, Schema};
use crate::framework::value::de::{self, Unjudged};
use crate::framework::value::{Planned, Value};
use crate::plan::app::EnvironmentFacts;
use crate::plan::cost;
use crate::plan::node::{Node, NodeKey};
use crate::plan::spec::{CapacitySpec, Tier};
use crate::resources::ids::Ids;
use crate::resources::timeouts::Timeouts;

use super::schema::common_block;

/// The arguments every app resource has, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CommonConfig {
    pub environment_id: Option<String>,
    pub name: Option<String>,
    pub timeouts: Option<Timeouts>,
}

impl CommonConfig {
    /// `<environment>/<name>`.
    pub fn id(&self) -> String {
        format!(
            "{}/{}",
            self.environment_id.as_deref().unwrap_or_default(),
            self.name.as_deref().unwrap_or_default()
        )
    }
}

/// What every app resource's prior state says, for plan, destroy and refresh.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CommonPrior {
    pub id: Option<String>,
    pub environment_id: Option<String>,
    pub timeouts: Option<Timeouts>,
    pub drift: Option<Vec<String>>,
    pub effective_config: Option<BTreeMap<String, String>>,
}

impl CommonPrior {
    /// Whether the last refresh found changes made outside Terraform.
    pub fn has_drift(&self) -> bool {
        self.drift.as_ref().is_some_and(|d| !d.is_empty())
    }

    /// A resolved setting the prior state records (`effective_config`, a map with dotted keys).
    pub fn effective(&self, key: &str) -> Option<&str> {
        self.effective_config.as_ref()?.get(key).map(String::as_str)
    }
}

/// The computed attributes every app resource has.
#[derive(Debug, Serialize)]
pub struct CommonComputed {
    pub id: String,
    pub effective_config: BTreeMap<String, String>,
    pub resources: BTreeMap<String, Planned<String>>,
    pub drift: Vec<String>,
    pub estimated_monthly_cost_usd: f64,
    pub cost_breakdown: BTreeMap<String, f64>,
}

impl CommonComputed {
    pub fn new(
        id: String,
        nodes: &BTreeMap<NodeKey, Node>,
        effective_config: BTreeMap<String, String>,
        ids: &Ids<'_>,
        drift: Vec<String>,
    ) -> CommonComputed {
        let estimate = cost::estimate(nodes);
        CommonComputed {
            id,
            effective_config,
            resources: nodes
                .keys()
                .map(|k| (k.to_string(), ids.id_or_empty(k)))
                .collect(),
            drift,
            estimated_monthly_cost_usd: estimate.total_usd,
            cost_breakdown: estimate.breakdown,
        }
    }
}

/// A live fact at plan: the prior state's value while `keep` (its child stays), unknown
/// otherwise or when the prior state has none.
pub fn kept<T: Clone>(keep: bool, fact: Option<&T>) -> Planned<T> {
    match fact {
        Some(value) if keep => Planned::Known(value.clone()),
        Some(_) | None => Planned::Unknown,
    }
}

/// A placeholder environment for checks that need no AWS facts (validate). Its name is the
/// configured `environment_id`, empty while unknown.
pub fn placeholder_env(name: &str) -> EnvironmentFacts {
    EnvironmentFacts {
        name: name.to_string(),
        tier: Tier::Dev,
        region: "us-east-1".to_string(),
        ids: BTreeMap::new(),
        log_retention_days: 7,
        log_kms_key_arn: None,
        capacity: CapacitySpec {
            fargate_weight: 1,
            spot_weight: 0,
            base: 0,
        },
        secret_recovery_window_days: 0,
        certificate_arn: None,
        load_balancer_dns_name: None,
        service_discovery: None,
    }
}

/// The diagnostics about values the configuration sets and knows: validate judges only
/// those, as the rest depends on defaults and facts known at plan.
pub fn only_configured(config: &Value, diags: Diagnostics) -> Diagnostics {
    Diagnostics(
        diags
            .0
            .into_iter()
            .filter(|d| d.path.as_ref().is_none_or(|p| configured_at(config, p)))
            .collect(),
    )
}

/// True when the configuration sets a known value at `path` (at the attribute, for a path
/// into a list or map).
pub fn configured_at(config: &Value, path: &AttrPath) -> bool {
    let attribute = AttrPath(
        path.0
            .iter()
            .take_while(|step| matches!(step, Step::Attribute(_)))
            .cloned()
            .collect(),
    );
    let value = config.at(&attribute);
    !value.is_null() && value.is_wholly_known()
}

/// What Terraform checks of an app resource without AWS: its type name, the owner tag's noun,
/// its typed configuration, its own block and its validation.
pub trait AppDefinition: Send + Sync + 'static {
    /// The kind's configuration as written, common arguments included.
    type Config: Serialize + DeserializeOwned + Send + Sync;

    const TYPE_NAME: &'static str;
    /// `service`, `database`, `cache`: the owner tag's first part.
    const NOUN: &'static str;

    /// The kind's own arguments and computed attributes; `schema_of` adds the common ones.
    fn block() -> Block;

    /// Checks what the configuration alone decides (no AWS), on what is known.
    fn validate(config: &Self::Config, unjudged: &Unjudged) -> Diagnostics;
}

/// The kind's schema: its own block and the common arguments.
pub fn schema_of<K: AppDefinition>() -> Schema {
    Schema::new(0, common_block(K::block(), K::NOUN))
}

/// Validate: the configuration read into the kind's model, then the kind's checks on what is
/// configured; errors only.
pub fn validate_of<K: AppDefinition>(config: &Value) -> Diagnostics {
    let read = match de::from_known_part::<K::Config>(config) {
        Ok(read) => read,
        Err(e) => return Diagnostic::from(e).into(),
    };
    let mut diags = read_errors(&schema_of::<K>().block, config, read.errors);
    // Each kind's validation checks the name too.
    diags.extend(only_configured(
        config,
        K::validate(&read.value, &read.unjudged),
    ));
    Diagnostics(
        diags
            .0
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_judges_only_configured_values() {
        let mut config = Value::Object(Default::default());
        config.set("memory", Value::Unknown);
        assert!(!configured_at(&config, &AttrPath::attrs(&["memory"])));
        config.set("memory", Value::int(512));
        assert!(configured_at(&config, &AttrPath::attrs(&["memory"])));
        assert!(!configured_at(
            &config,
            &AttrPath::attrs(&["routing", "hosts"])
        ));
    }

    /// The docs state how long a scheduled run is assumed to take: the cost module's value.
    #[test]
    fn the_cost_docs_state_the_assumed_run_length() {
        use crate::resources::app::service::Service;
        let schema = format!("{:?}", schema_of::<Service>());
        let stated = format!(
            "running {} minutes",
            crate::plan::cost::SCHEDULED_RUN_MINUTES
        );
        assert_eq!(schema.matches(&stated).count(), 2, "{stated}");
    }

    #[test]
    fn schemas_pass_terraform_checks() {
        use crate::framework::schema::check_schema;
        use crate::resources::app::{cache::Cache, database::Database, service::Service};
        for schema in [
            schema_of::<Service>(),
            schema_of::<Database>(),
            schema_of::<Cache>(),
        ] {
            assert_eq!(check_schema(&schema), Vec::<String>::new());
            for name in [
                "id",
                "environment_id",
                "name",
                "resources",
                "effective_config",
            ] {
                assert!(schema.block.find_attribute(name).is_some(), "{name}");
            }
            let ty = schema.value_type();
            assert_eq!(de::check_fields::<CommonConfig>(&ty), Vec::<String>::new());
            assert_eq!(de::check_fields::<CommonPrior>(&ty), Vec::<String>::new());
        }
    }
}
