//! The generic adapter of the app-layer resources: plan, apply, read, import and delete the
//! same way for all three, over the per-kind [`AppKind`] (the kind's AWS reads and live
//! facts).
//!
//! Each builds on an environment: its objects (VPC, subnets, cluster, listener, subnet
//! groups) come as typed facts from one shared lookup (`resources::facts`), and enter the
//! ledger as external references that are resolved but never changed.

use std::collections::BTreeMap;
use std::marker::PhantomData;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::model::{
    schema_of, validate_of, AppDefinition, CommonComputed, CommonConfig, CommonPrior,
};
use crate::apply;
use crate::aws;
use crate::framework::diag::{Diagnostic, Diagnostics, Severity};
use crate::framework::path::AttrPath;
use crate::framework::resource::{
    keep_prior_computed, replaced_attributes, ApplyRequest, ApplyResponse, Ctx, ImportResponse,
    PlanRequest, PlanResponse, ReadRequest, ReadResponse, Resource,
};
use crate::framework::schema::Schema;
use crate::framework::value::de;
use crate::framework::value::{ser, Value};
use crate::plan::app::{split_id, EnvironmentFacts};
use crate::plan::diff::{diff, has_changes, plan as plan_ops};
use crate::plan::ledger::Ledger;
use crate::plan::node::{Node, NodeKey};
use crate::resources::configured::{Configured, ConfiguredSlot};
use crate::resources::facts::{environment_facts, EnvironmentLookup};
use crate::resources::ids::Ids;
use crate::resources::run::{
    adopt_existing, data_replacement_diagnostics, destroy_into, error_diagnostics, ledger_of,
    outcome_diagnostics, run_options,
};
use crate::resources::timeouts::{timeout, Operation, DEFAULT_TIMEOUT};

/// Why a kind prepares: plan and apply validate; reading after import only needs the
/// children's identities, from whatever the state holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Plan,
    Apply,
    /// Reading after import: no validation, the graph the recovered configuration describes.
    Import,
    /// Looking for an imported resource's children: also the optional children a
    /// configuration might have (autoscaling, a memory policy), so they are found.
    Discover,
}

impl Mode {
    pub fn validates(self) -> bool {
        matches!(self, Mode::Plan | Mode::Apply)
    }
}

/// What a kind decided at plan or apply before expansion.
pub struct Prepared<S> {
    pub spec: S,
    pub nodes: BTreeMap<NodeKey, Node>,
    pub external: BTreeMap<NodeKey, String>,
    pub effective_config: BTreeMap<String, String>,
    /// What the plan should warn about (shown at plan only).
    pub warnings: Diagnostics,
    /// Security groups of other resources that do not exist yet but are being created beside
    /// this one (a caller a service admits): the nodes referring to them run in a second pass
    /// of the apply, once the group is found.
    pub deferred: Vec<DeferredGroup>,
}

/// Another resource's security group an apply waits for, and the nodes held back until then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeferredGroup {
    /// The external reference the nodes use.
    pub external: NodeKey,
    /// The group's owner (`service/<env>/<name>`) and its node key there.
    pub owner: String,
    pub group: NodeKey,
    /// Where the configuration names it, for the error when it never appears.
    pub attribute: &'static str,
    pub nodes: Vec<NodeKey>,
}

/// How long an apply waits for a deferred group: the resources Terraform creates beside this
/// one make theirs within their first seconds.
const DEFERRED_WAIT: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// Waits for a deferred group, within [`DEFERRED_WAIT`]; its ID, or why not.
async fn await_group(
    configured: &Configured,
    env: &EnvironmentFacts,
    deferred: &DeferredGroup,
) -> Result<String, Diagnostic> {
    let vpc = env.vpc_id().unwrap_or_default();
    let found = aws::common::poll::within(
        DEFERRED_WAIT,
        format!("{} to exist", deferred.owner),
        aws::common::poll::poll_until(|| async {
            Ok(
                match aws::find_owned_group_id(
                    &configured.clients,
                    vpc,
                    &deferred.owner,
                    &deferred.group,
                )
                .await?
                {
                    Some(id) => aws::common::poll::Poll::Ready(id),
                    None => aws::common::poll::Poll::Pending,
                },
            )
        }),
    )
    .await;
    found.map_err(|e| {
        Diagnostic::error(
            format!("Waiting for {}", deferred.owner),
            format!("{e}. It must exist, or be created in the same apply without depending on this resource. Everything else is applied and recorded; apply again once it exists."),
        )
        .at(AttrPath::attrs(&[deferred.attribute]))
    })
}

/// Everything that differs between the three resources.
#[async_trait]
pub trait AppKind: AppDefinition {
    type Spec: Send + Sync;
    /// What the prior state says of the kind's live facts (null where it has none).
    type Prior: DeserializeOwned + Send + Sync;
    /// The kind's computed attributes.
    type Computed: Serialize + Send;

    /// Reads the configuration into a spec, with the environment's tier defaults, and builds
    /// the child graph. May read AWS (free listener priorities, other resources' IDs).
    async fn prepare(
        configured: &Configured,
        config: &Self::Config,
        env: &EnvironmentFacts,
        ledger: &Ledger,
        mode: Mode,
    ) -> Result<Prepared<Self::Spec>, Diagnostics>;

    /// The kind's computed attributes. `prior` holds the prior state's facts (none after
    /// import or on create), for facts that do not change while their child is stable.
    async fn computed(
        configured: &Configured,
        spec: &Self::Spec,
        ids: &Ids<'_>,
        prior: Option<&Self::Prior>,
    ) -> Self::Computed;

    /// Checks of the configuration against AWS that need no environment (a certificate in
    /// another region). Every plan runs them, also before the environment exists.
    async fn plan_checks(_configured: &Configured, _config: &Self::Config) -> Diagnostics {
        Diagnostics::new()
    }

    /// Refuses a destroy after reading AWS, before anything is deleted (a bucket that still
    /// holds objects): the resource stays whole.
    async fn refuse_destroy_live(
        _configured: &Configured,
        _config: &Self::Config,
        _ledger: &Ledger,
    ) -> Diagnostics {
        Diagnostics::new()
    }

    /// Refuses a destroy (deletion protection), naming the setting.
    fn refuse_destroy(_prior: &CommonPrior) -> Diagnostics {
        Diagnostics::new()
    }

    /// The argument that sets a child's property, for diagnostics about a change that would
    /// replace data (`kms_key_arn` → `kms_key_arn`).
    fn property_path(_property: &str) -> Option<AttrPath> {
        None
    }

    /// Attribute paths whose change replaces the resource beyond the schema's
    /// `RequiresReplace` markers (a conditional rule such as valkey → redis).
    fn replace_paths(_prior: &CommonPrior, _config: &Self::Config) -> Vec<AttrPath> {
        Vec::new()
    }

    /// Adjusts the ledger before a refresh observes it (a service follows the task definition
    /// revision it runs now).
    async fn refresh(_configured: &Configured, _config: &Self::Config, _ledger: &mut Ledger) {}

    /// Sets the configuration arguments recovered from the ledger after import: only values
    /// that differ from the tier's defaults, so a configuration relying on defaults plans no
    /// change.
    fn imported_config(_ledger: &Ledger, _env: &EnvironmentFacts, _config: &mut Self::Config) {}
}

pub struct AppResource<K: AppKind> {
    configured: ConfiguredSlot,
    kind: PhantomData<K>,
}

impl<K: AppKind> AppResource<K> {
    pub fn new(configured: ConfiguredSlot) -> AppResource<K> {
        AppResource {
            configured,
            kind: PhantomData,
        }
    }
}

/// A configuration or state as the common part and the kind's own model.
struct Read<C> {
    common: CommonConfig,
    config: C,
}

/// Reads a wholly known configuration or state.
fn read<C: DeserializeOwned>(value: &Value) -> Result<Read<C>, Diagnostic> {
    Ok(Read {
        common: de::from_value(value)?,
        config: de::from_value(value)?,
    })
}

/// The prior state's common part and the kind's facts; both `None` on create.
fn read_prior<P: DeserializeOwned>(
    prior_state: &Value,
) -> Result<(Option<CommonPrior>, Option<P>), Diagnostic> {
    Ok((de::from_value(prior_state)?, de::from_value(prior_state)?))
}

/// The proposed state with every computed-only attribute unknown, and the ID when the name and
/// environment are known.
fn unknown_computed(proposed: &Value, schema: &Schema) -> Value {
    let mut planned = proposed.clone();
    for attr in &schema.block.attributes {
        if attr.computed && !attr.optional && attr.name != "id" {
            planned.set(&attr.name, Value::Unknown);
        }
    }
    // Unknown parts read as `None`; an ID that cannot be read stays unknown.
    let id = match de::from_known_part::<CommonConfig>(proposed).map(|read| read.value) {
        Ok(CommonConfig {
            environment_id: Some(env),
            name: Some(name),
            ..
        }) => Value::string(format!("{env}/{name}")),
        Ok(_) | Err(_) => Value::Unknown,
    };
    planned.set("id", id);
    planned
}

/// The state: the configuration as written, the common computed attributes and the kind's.
#[derive(Serialize)]
struct AppState<'a, C, D> {
    #[serde(flatten)]
    config: &'a C,
    #[serde(flatten)]
    common: CommonComputed,
    #[serde(flatten)]
    computed: D,
}

impl<K: AppKind> AppResource<K> {
    /// The facts of the environment the configuration names; `None` while it does not exist
    /// or is not complete (being created in the same apply, or left halfway by a run that
    /// stopped).
    async fn environment(
        &self,
        configured: &Configured,
        environment_id: Option<&str>,
    ) -> Result<Option<EnvironmentFacts>, Diagnostics> {
        let Some(name) = environment_id else {
            return Ok(None);
        };
        Ok(match environment_facts(configured, name).await? {
            EnvironmentLookup::Ready(facts) => Some((*facts).clone()),
            EnvironmentLookup::Missing | EnvironmentLookup::NotReady(_) => None,
        })
    }

    /// The state for a spec and ledger: the configuration as written plus computed values.
    async fn state(
        &self,
        configured: &Configured,
        read: &Read<K::Config>,
        prepared: &Prepared<K::Spec>,
        ids: &Ids<'_>,
        prior: Option<&K::Prior>,
        drift: Vec<String>,
    ) -> Result<Value, Diagnostic> {
        let state = AppState {
            config: &read.config,
            common: CommonComputed::new(
                read.common.id(),
                &prepared.nodes,
                prepared.effective_config.clone(),
                ids,
                drift,
            ),
            computed: K::computed(configured, &prepared.spec, ids, prior).await,
        };
        ser::to_value(&state, &self.schema().value_type()).map_err(|e| {
            Diagnostic::error(
                format!("Building the {}'s state", K::NOUN),
                format!("The provider could not write the state ({e}); this is a bug."),
            )
        })
    }

    async fn reconcile(&self, ctx: &Ctx, req: ApplyRequest, operation: Operation) -> ApplyResponse {
        let mut response = ApplyResponse {
            new_state: if req.prior_state.is_null() {
                Value::Null
            } else {
                req.prior_state.clone()
            },
            private: req.planned_private.clone(),
            diagnostics: Diagnostics::new(),
        };
        let configured = match self.configured.get() {
            Ok(c) => c,
            Err(d) => {
                response.diagnostics.push(d);
                return response;
            }
        };
        let config = match read::<K::Config>(&req.config) {
            Ok(config) => config,
            Err(d) => {
                response.diagnostics.push(d);
                return response;
            }
        };
        let environment_id = config.common.environment_id.as_deref();
        let env = match self.environment(&configured, environment_id).await {
            Ok(Some(env)) => env,
            Ok(None) => {
                response.diagnostics.push(
                    Diagnostic::error(
                        "Environment not found",
                        format!(
                            "No complete environment named {:?} exists in this account and region; if a run stopped while creating or deleting it, apply the environment first.",
                            environment_id.unwrap_or_default()
                        ),
                    )
                    .at(AttrPath::attrs(&["environment_id"])),
                );
                return response;
            }
            Err(d) => {
                response.diagnostics.extend(d);
                return response;
            }
        };
        let mut ledger = if req.prior_state.is_null() {
            Ledger::new()
        } else {
            match ledger_of(&req.planned_private) {
                Ok(ledger) => ledger.unwrap_or_default(),
                Err(d) => {
                    response.diagnostics.push(d);
                    return response;
                }
            }
        };
        let prepared =
            match K::prepare(&configured, &config.config, &env, &ledger, Mode::Apply).await {
                Ok(p) => p,
                Err(d) => {
                    response.diagnostics.extend(d);
                    return response;
                }
            };
        ledger.external = prepared.external.clone();
        // A deferred group is not known yet: nothing may read its placeholder as an ID (a
        // listing of the environment's rules would ask AWS for it).
        for deferred in &prepared.deferred {
            ledger.external.remove(&deferred.external);
        }
        let timeout = timeout(config.common.timeouts.as_ref(), operation);
        // Nodes waiting for another resource's group run after everything else.
        let held: std::collections::BTreeSet<&NodeKey> =
            prepared.deferred.iter().flat_map(|d| &d.nodes).collect();
        let first: BTreeMap<NodeKey, Node> = prepared
            .nodes
            .iter()
            .filter(|(k, _)| !held.contains(k))
            .map(|(k, n)| (k.clone(), n.clone()))
            .collect();
        let ops = diff(&first, &ledger);
        let mut outcome = apply::run(
            &aws::Executor::new(configured.clients.clone()),
            &first,
            &ops,
            ledger,
            run_options(ctx, timeout),
        )
        .await;
        if !prepared.deferred.is_empty() && outcome.is_complete() {
            let mut ledger = outcome.ledger.clone();
            let mut waited = true;
            for deferred in &prepared.deferred {
                let found = tokio::select! {
                    found = await_group(&configured, &env, deferred) => found,
                    () = ctx.cancel.cancelled() => Err(Diagnostic::error(
                        "Apply cancelled",
                        format!("Cancelled while waiting for {}; everything else is applied and recorded.", deferred.owner),
                    )),
                };
                match found {
                    Ok(id) => {
                        ledger.external.insert(deferred.external.clone(), id);
                    }
                    Err(d) => {
                        response.diagnostics.push(d);
                        waited = false;
                    }
                }
            }
            if waited {
                let ops = diff(&prepared.nodes, &ledger);
                outcome = apply::run(
                    &aws::Executor::new(configured.clients.clone()),
                    &prepared.nodes,
                    &ops,
                    ledger,
                    run_options(ctx, timeout),
                )
                .await;
            }
        }
        // Its objects live in the environment (rules on its groups, rules on its listener).
        configured.changed(&env.name);
        response
            .diagnostics
            .extend(outcome_diagnostics(&outcome, "resource"));
        if outcome.ledger.children.is_empty() && req.prior_state.is_null() {
            return response;
        }
        let state = self
            .state(
                &configured,
                &config,
                &prepared,
                &Ids::Recorded(&outcome.ledger),
                None,
                Vec::new(),
            )
            .await;
        match state {
            Ok(state) => response.new_state = state,
            Err(d) => response.diagnostics.push(d),
        }
        response.private = outcome.ledger.to_private();
        response
    }
}

#[async_trait]
impl<K: AppKind> Resource for AppResource<K> {
    fn type_name(&self) -> &'static str {
        K::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema_of::<K>()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        validate_of::<K>(config)
    }

    async fn plan(&self, _ctx: &Ctx, req: PlanRequest) -> PlanResponse {
        let mut response = PlanResponse {
            planned_state: req.proposed_new_state.clone(),
            requires_replace: Vec::new(),
            planned_private: req.prior_private.clone(),
            diagnostics: Diagnostics::new(),
        };
        if req.proposed_new_state.is_null() {
            return response;
        }
        let configured = match self.configured.get() {
            Ok(c) => c,
            Err(d) => {
                response.diagnostics.push(d);
                return response;
            }
        };
        let unknown = unknown_computed(&req.proposed_new_state, &self.schema());
        if !req.config.is_wholly_known() {
            response.planned_state = unknown;
            return response;
        }
        let read = read::<K::Config>(&req.config)
            .and_then(|config| Ok((config, read_prior::<K::Prior>(&req.prior_state)?)));
        let (config, (prior, prior_facts)) = match read {
            Ok(read) => read,
            Err(d) => {
                response.diagnostics.push(d);
                return response;
            }
        };
        let checked = K::plan_checks(&configured, &config.config).await;
        if checked.has_errors() {
            response.diagnostics.extend(checked);
            return response;
        }
        let env = match self
            .environment(&configured, config.common.environment_id.as_deref())
            .await
        {
            Ok(Some(env)) => env,
            Ok(None) => {
                // Made in the same apply, or half made or deleted by a run that stopped: the
                // environment applies first, and everything waits for it.
                response.planned_state = unknown;
                return response;
            }
            Err(d) => {
                response.diagnostics.extend(d);
                return response;
            }
        };
        let mut ledger = if req.prior_state.is_null() {
            Ledger::new()
        } else {
            match ledger_of(&req.prior_private) {
                Ok(ledger) => ledger.unwrap_or_default(),
                Err(d) => {
                    response.diagnostics.push(d);
                    return response;
                }
            }
        };
        let prepared =
            match K::prepare(&configured, &config.config, &env, &ledger, Mode::Plan).await {
                Ok(p) => p,
                Err(d) => {
                    response.diagnostics.extend(d);
                    return response;
                }
            };
        response.diagnostics.extend(prepared.warnings.clone());
        ledger.external = prepared.external.clone();
        let planned_ops = plan_ops(&prepared.nodes, &ledger);
        let ops = planned_ops.ops;
        if let Some(prior) = &prior {
            response.requires_replace = K::replace_paths(prior, &config.config);
        }
        // Terraform replaces the whole resource when an argument marked to do so changes;
        // otherwise nothing may replace its data behind the user's back.
        let replaced = !response.requires_replace.is_empty()
            || !replaced_attributes(&self.schema(), &req.prior_state, &req.proposed_new_state)
                .is_empty();
        if !replaced && !planned_ops.data_replacements.is_empty() {
            response.diagnostics.extend(data_replacement_diagnostics(
                &planned_ops.data_replacements,
                K::property_path,
            ));
            return response;
        }
        let nothing_changes = !has_changes(&ops) && prior.as_ref().is_some_and(|p| !p.has_drift());
        let planned = self
            .state(
                &configured,
                &config,
                &prepared,
                &Ids::Planned(&ledger, &ops),
                prior_facts.as_ref(),
                Vec::new(),
            )
            .await;
        let mut planned = match planned {
            Ok(planned) => planned,
            Err(d) => {
                response.diagnostics.push(d);
                return response;
            }
        };
        if nothing_changes {
            keep_prior_computed(&self.schema(), &req.prior_state, &mut planned);
        }
        response.planned_state = planned;
        response
    }

    fn plan_destroy(&self, prior_state: &Value) -> Diagnostics {
        match de::from_value::<Option<CommonPrior>>(prior_state) {
            Ok(prior) => K::refuse_destroy(&prior.unwrap_or_default()),
            Err(e) => Diagnostic::from(e).into(),
        }
    }

    async fn create(&self, ctx: &Ctx, req: ApplyRequest) -> ApplyResponse {
        self.reconcile(ctx, req, Operation::Create).await
    }

    async fn update(&self, ctx: &Ctx, req: ApplyRequest) -> ApplyResponse {
        self.reconcile(ctx, req, Operation::Update).await
    }

    async fn delete(&self, ctx: &Ctx, req: ApplyRequest) -> ApplyResponse {
        let mut response = ApplyResponse {
            new_state: req.prior_state.clone(),
            private: req.planned_private.clone(),
            diagnostics: Diagnostics::new(),
        };
        let read = de::from_value::<CommonPrior>(&req.prior_state)
            .map_err(Diagnostic::from)
            .and_then(|prior| Ok((prior, read::<K::Config>(&req.prior_state)?)));
        let (prior, config) = match read {
            Ok(read) => read,
            Err(d) => {
                response.diagnostics.push(d);
                return response;
            }
        };
        response.diagnostics = K::refuse_destroy(&prior);
        if response.diagnostics.has_errors() {
            return response;
        }
        let configured = match self.configured.get() {
            Ok(c) => c,
            Err(d) => {
                response.diagnostics.push(d);
                return response;
            }
        };
        let mut ledger = match ledger_of(&req.planned_private) {
            Ok(ledger) => ledger.unwrap_or_default(),
            Err(d) => {
                response.diagnostics.push(d);
                return response;
            }
        };
        response.diagnostics = K::refuse_destroy_live(&configured, &config.config, &ledger).await;
        if response.diagnostics.has_errors() {
            return response;
        }
        // Children a crashed run created without recording are found and deleted too.
        if let Ok(Some(env)) = self
            .environment(&configured, prior.environment_id.as_deref())
            .await
        {
            if let Ok(prepared) =
                K::prepare(&configured, &config.config, &env, &ledger, Mode::Discover).await
            {
                ledger.external = prepared.external.clone();
                match adopt_existing(ctx, &configured, &prepared.nodes, ledger).await {
                    Ok(found) => ledger = found,
                    Err(diags) => {
                        response.diagnostics.extend(diags);
                        return response;
                    }
                }
            }
        }
        destroy_into(
            ctx,
            &configured,
            ledger,
            timeout(prior.timeouts.as_ref(), Operation::Delete),
            &req.prior_state,
            "resource",
            &mut response,
        )
        .await;
        if let Some(env) = &prior.environment_id {
            configured.changed(env);
        }
        response
    }

    async fn read(&self, ctx: &Ctx, req: ReadRequest) -> ReadResponse {
        let mut response = ReadResponse {
            new_state: req.current_state.clone(),
            private: req.private.clone(),
            diagnostics: Diagnostics::new(),
        };
        let configured = match self.configured.get() {
            Ok(c) => c,
            Err(d) => {
                response.diagnostics.push(d);
                return response;
            }
        };
        let recorded = match ledger_of(&req.private) {
            Ok(recorded) => recorded,
            Err(d) => {
                response.diagnostics.push(d);
                return response;
            }
        };
        let current = read::<K::Config>(&req.current_state).and_then(|config| {
            let facts: Option<K::Prior> = de::from_value(&req.current_state)?;
            Ok((config, facts))
        });
        let (mut config, current_facts) = match current {
            Ok(read) => read,
            Err(d) => {
                response.diagnostics.push(d);
                return response;
            }
        };
        let imported = recorded.is_none();
        let mut ledger = recorded.unwrap_or_default();
        let environment_id = config.common.environment_id.clone();
        let env = match self
            .environment(&configured, environment_id.as_deref())
            .await
        {
            Ok(Some(env)) => Some(env),
            Ok(None) => None,
            Err(d) => {
                response.diagnostics.extend(d);
                return response;
            }
        };
        if imported {
            let Some(env) = &env else {
                response.new_state = Value::Null;
                response.private = Vec::new();
                return response;
            };
            // After import only the IDs are known. Find the children the names and tags
            // describe, recover the configuration they imply, and look again with it (a
            // recovered port or routing block names more children), until nothing new appears.
            for _ in 0..3 {
                let prepared =
                    match K::prepare(&configured, &config.config, env, &ledger, Mode::Discover)
                        .await
                    {
                        Ok(p) => p,
                        Err(d) => {
                            response.diagnostics.extend(d);
                            return response;
                        }
                    };
                ledger.external = prepared.external.clone();
                let before = ledger.children.len();
                match adopt_existing(ctx, &configured, &prepared.nodes, ledger).await {
                    Ok(found) => ledger = found,
                    Err(diags) => {
                        response.diagnostics.extend(diags);
                        return response;
                    }
                }
                K::imported_config(&ledger, env, &mut config.config);
                if ledger.children.len() == before {
                    break;
                }
            }
            if ledger.children.is_empty() {
                response.new_state = Value::Null;
                response.private = Vec::new();
                return response;
            }
        }
        K::refresh(&configured, &config.config, &mut ledger).await;
        let env_name = environment_id.unwrap_or_default();
        let (observed, drift, errors) = apply::observe_all(
            &aws::Executor::with_reads(configured.clients.clone(), configured.reads(&env_name)),
            &ledger,
            run_options(ctx, DEFAULT_TIMEOUT),
        )
        .await;
        if !errors.is_empty() {
            response.diagnostics.extend(error_diagnostics(errors));
            return response;
        }
        ledger = observed;
        if ledger.children.is_empty() {
            response.new_state = Value::Null;
            response.private = Vec::new();
            return response;
        }
        let Some(env) = env else {
            // The environment is gone but children remain: keep the state so destroy can
            // clean them up.
            response.private = ledger.to_private();
            return response;
        };
        let mode = if imported { Mode::Import } else { Mode::Plan };
        let prepared = match K::prepare(&configured, &config.config, &env, &ledger, mode).await {
            Ok(p) => p,
            Err(d) => {
                // Keep what is known; the plan reports the configuration problem.
                response.diagnostics.extend(Diagnostics(
                    d.0.into_iter()
                        .map(|mut d| {
                            d.severity = Severity::Warning;
                            d
                        })
                        .collect(),
                ));
                response.private = ledger.to_private();
                return response;
            }
        };
        ledger.external = prepared.external.clone();
        let state = self
            .state(
                &configured,
                &config,
                &prepared,
                &Ids::Recorded(&ledger),
                current_facts.as_ref(),
                drift,
            )
            .await;
        match state {
            Ok(state) => response.new_state = state,
            Err(d) => response.diagnostics.push(d),
        }
        response.private = ledger.to_private();
        response
    }

    async fn import(&self, _ctx: &Ctx, id: &str) -> ImportResponse {
        let mut response = ImportResponse {
            state: Value::Null,
            private: Vec::new(),
            diagnostics: Diagnostics::new(),
        };
        let Some((env, name)) = split_id(id) else {
            response.diagnostics.push(Diagnostic::error(
                "Invalid import ID",
                format!("{id:?} is not of the form <environment>/<name>, e.g. \"prod/api\"."),
            ));
            return response;
        };
        let diags = crate::plan::app::validate_app_name(name, &AttrPath::root());
        if diags.has_errors() {
            response.diagnostics.push(Diagnostic::error(
                "Invalid import ID",
                format!("{name:?} in {id:?} is not a valid {} name.", K::NOUN),
            ));
            return response;
        }
        #[derive(Serialize)]
        struct Imported<'a> {
            id: &'a str,
            environment_id: &'a str,
            name: &'a str,
        }
        let state = Imported {
            id,
            environment_id: env,
            name,
        };
        match ser::to_value(&state, &self.schema().value_type()) {
            Ok(state) => response.state = state,
            Err(e) => response.diagnostics.push(Diagnostic::error(
                format!("Importing the {}", K::NOUN),
                format!("The provider could not write the state ({e}); this is a bug."),
            )),
        }
        response
    }
}
