//! The adapter of `platform_database`: the instance's live facts.

use async_trait::async_trait;

use crate::aws;
use crate::framework::diag::Diagnostics;
use crate::framework::path::AttrPath;
use crate::framework::value::Planned;
use crate::plan::app::{validate_database, DatabaseSpec, EnvironmentFacts};
use crate::plan::diff::Op;
use crate::plan::expand::database::{self as expand, expand_database};
use crate::plan::ledger::Ledger;
use crate::resources::app::model::{kept, CommonPrior};
use crate::resources::configured::Configured;
use crate::resources::ids::Ids;

use super::{model, Database};
use crate::resources::app::{AppKind, AppResource, Mode, Prepared};
use model::{DatabaseComputed, DatabaseConfig, DatabasePrior};

pub type DatabaseResource = AppResource<Database>;

#[async_trait]
impl AppKind for Database {
    type Spec = (DatabaseSpec, EnvironmentFacts);
    type Prior = DatabasePrior;
    type Computed = DatabaseComputed;

    async fn prepare(
        configured: &Configured,
        config: &DatabaseConfig,
        env: &EnvironmentFacts,
        ledger: &Ledger,
        mode: Mode,
    ) -> Result<Prepared<Self::Spec>, Diagnostics> {
        let spec = model::spec_of(config, env, &configured.default_tags);
        if mode.validates() {
            let mut diags = validate_database(&spec);
            diags.extend(model::check_against_ledger(&spec, ledger));
            if diags.has_errors() {
                return Err(diags);
            }
        }
        let expansion = expand_database(&spec, env);
        Ok(Prepared {
            effective_config: model::effective_config(&spec),
            spec: (spec, env.clone()),
            nodes: expansion.nodes,
            external: expansion.external,
            warnings: Diagnostics::new(),
            deferred: Vec::new(),
        })
    }

    async fn computed(
        configured: &Configured,
        spec: &Self::Spec,
        ids: &Ids<'_>,
        prior: Option<&DatabasePrior>,
    ) -> DatabaseComputed {
        let (spec, _) = spec;
        let instance = expand::instance_key();
        let family = format!("postgres{}", spec.major());
        let connection_secret_arn = ids.id_or_empty(&expand::connection_secret_key());
        let security_group_id = ids.id_or_empty(&expand::security_group_key());
        let parameter_group_name = ids.id_or_empty(&expand::parameter_group_key(&family));
        match ids {
            Ids::Recorded(ledger) => {
                let facts = match ledger.id_of(&instance) {
                    Some(id) => aws::rds::db_instance::instance_facts(&configured.clients.rds, id)
                        .await
                        .ok()
                        .flatten(),
                    None => None,
                };
                let f = facts.as_ref();
                let known = |value: Option<String>| Planned::Known(value.unwrap_or_default());
                DatabaseComputed {
                    connection_secret_arn,
                    security_group_id,
                    parameter_group_name,
                    address: known(f.map(|f| f.address.clone())),
                    port: Planned::Known(f.map(|f| i64::from(f.port))),
                    endpoint: known(f.map(|f| format!("{}:{}", f.address, f.port))),
                    engine_version_actual: known(f.map(|f| f.engine_version.clone())),
                    instance_arn: known(f.map(|f| f.arn.clone())),
                    master_secret_arn: known(f.and_then(|f| f.master_secret_arn.clone())),
                }
            }
            Ids::Planned(_, ops) => {
                let changing = ops
                    .iter()
                    .any(|op| op.key() == &instance && !matches!(op, Op::NoOp(_)));
                // A fact stays while the instance does; its version may move with any change.
                let stable = ids.stable(&instance);
                DatabaseComputed {
                    connection_secret_arn,
                    security_group_id,
                    parameter_group_name,
                    address: kept(stable, prior.and_then(|p| p.address.as_ref())),
                    port: kept(stable, prior.and_then(|p| p.port.as_ref())).map(Some),
                    endpoint: kept(stable, prior.and_then(|p| p.endpoint.as_ref())),
                    engine_version_actual: kept(
                        stable && !changing,
                        prior.and_then(|p| p.engine_version_actual.as_ref()),
                    ),
                    instance_arn: kept(stable, prior.and_then(|p| p.instance_arn.as_ref())),
                    master_secret_arn: kept(
                        stable,
                        prior.and_then(|p| p.master_secret_arn.as_ref()),
                    ),
                }
            }
        }
    }

    fn property_path(property: &str) -> Option<AttrPath> {
        let argument = match property {
            "identifier" => "name",
            "engine" | "database_name" | "master_username" | "kms_key_arn" => property,
            "subnet_group" => "environment_id",
            _ => return None,
        };
        Some(AttrPath::attrs(&[argument]))
    }

    fn refuse_destroy(prior: &CommonPrior) -> Diagnostics {
        model::refuse_destroy(prior)
    }

    fn imported_config(ledger: &Ledger, env: &EnvironmentFacts, config: &mut DatabaseConfig) {
        model::imported_config(ledger, env, config);
    }
}
