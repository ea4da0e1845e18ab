//! The adapter of `platform_cache`: the replication group's live facts.

use async_trait::async_trait;

use crate::aws;
use crate::framework::diag::Diagnostics;
use crate::framework::path::AttrPath;
use crate::framework::value::Planned;
use crate::plan::app::{validate_cache, CacheSpec, EnvironmentFacts};
use crate::plan::diff::Op;
use crate::plan::expand::cache::{self as expand, expand_cache};
use crate::plan::ledger::Ledger;
use crate::resources::app::model::{kept, CommonPrior};
use crate::resources::configured::Configured;
use crate::resources::ids::Ids;

use super::{model, Cache};
use crate::resources::app::{AppKind, AppResource, Mode, Prepared};
use model::{CacheComputed, CacheConfig, CachePrior};

pub type CacheResource = AppResource<Cache>;

#[async_trait]
impl AppKind for Cache {
    type Spec = CacheSpec;
    type Prior = CachePrior;
    type Computed = CacheComputed;

    async fn prepare(
        configured: &Configured,
        config: &CacheConfig,
        env: &EnvironmentFacts,
        _ledger: &Ledger,
        mode: Mode,
    ) -> Result<Prepared<Self::Spec>, Diagnostics> {
        let spec = model::spec_of(config, env, &configured.default_tags);
        if mode.validates() {
            let diags = validate_cache(&spec);
            if diags.has_errors() {
                return Err(diags);
            }
        }
        let expansion = expand_cache(&spec, env);
        Ok(Prepared {
            effective_config: model::effective_config(&spec),
            spec,
            nodes: expansion.nodes,
            external: expansion.external,
            warnings: Diagnostics::new(),
            deferred: Vec::new(),
        })
    }

    async fn computed(
        configured: &Configured,
        _spec: &Self::Spec,
        ids: &Ids<'_>,
        prior: Option<&CachePrior>,
    ) -> CacheComputed {
        let group = expand::replication_group_key();
        let replication_group_id = ids.id_or_empty(&group);
        let connection_secret_arn = ids.id_or_empty(&expand::connection_secret_key());
        let security_group_id = ids.id_or_empty(&expand::security_group_key());
        match ids {
            Ids::Recorded(ledger) => {
                let facts = match ledger.id_of(&group) {
                    Some(id) => aws::elasticache::replication_group::replication_group_facts(
                        &configured.clients.elasticache,
                        id,
                    )
                    .await
                    .ok()
                    .flatten(),
                    None => None,
                };
                let f = facts.as_ref();
                let known = |value: Option<String>| Planned::Known(value.unwrap_or_default());
                CacheComputed {
                    replication_group_id,
                    connection_secret_arn,
                    security_group_id,
                    primary_endpoint: known(f.map(|f| f.primary_endpoint.clone())),
                    reader_endpoint: known(f.map(|f| f.reader_endpoint.clone())),
                    port: Planned::Known(f.map(|f| i64::from(f.port))),
                    engine_version_actual: known(f.map(|f| f.engine_version.clone())),
                }
            }
            Ids::Planned(_, ops) => {
                let changing = ops
                    .iter()
                    .any(|op| op.key() == &group && !matches!(op, Op::NoOp(_)));
                // A fact stays while the group does; its version may move with any change.
                let stable = ids.stable(&group);
                CacheComputed {
                    replication_group_id,
                    connection_secret_arn,
                    security_group_id,
                    primary_endpoint: kept(stable, prior.and_then(|p| p.primary_endpoint.as_ref())),
                    reader_endpoint: kept(stable, prior.and_then(|p| p.reader_endpoint.as_ref())),
                    port: kept(stable, prior.and_then(|p| p.port.as_ref())).map(Some),
                    engine_version_actual: kept(
                        stable && !changing,
                        prior.and_then(|p| p.engine_version_actual.as_ref()),
                    ),
                }
            }
        }
    }

    fn property_path(property: &str) -> Option<AttrPath> {
        let argument = match property {
            "id" => "name",
            "engine" | "kms_key_arn" => property,
            "subnet_group" => "environment_id",
            _ => return None,
        };
        Some(AttrPath::attrs(&[argument]))
    }

    fn replace_paths(prior: &CommonPrior, config: &CacheConfig) -> Vec<AttrPath> {
        model::replace_paths(prior, config)
    }

    fn imported_config(ledger: &Ledger, env: &EnvironmentFacts, config: &mut CacheConfig) {
        model::imported_config(ledger, env, config);
    }
}
