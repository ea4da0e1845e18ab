//! The app-layer resources (`platform_service`, `platform_database`, `platform_cache`): one
//! generic adapter over a small per-kind trait, so plan, apply, read, import and delete work
//! the same way for all three.
//!
//! Each builds on an environment: its objects (VPC, subnets, cluster, listener, subnet
//! groups) are looked up by reading the environment the way the data source does, and enter
//! the ledger as external references that are resolved but never changed.

pub mod cache;
pub mod database;
mod fields;
pub mod service;

use std::collections::BTreeMap;
use std::marker::PhantomData;

use async_trait::async_trait;

use crate::apply;
use crate::aws;
use crate::framework::diag::{Diagnostic, Diagnostics, Severity};
use crate::framework::path::AttrPath;
use crate::framework::resource::{
    replaced_attributes, ApplyRequest, ApplyResponse, Ctx, ImportResponse, PlanRequest,
    PlanResponse, ReadRequest, ReadResponse, Resource,
};
use crate::framework::schema::{Attribute, Block, Schema};
use crate::framework::value::{Number, Type, Value};
use crate::plan::app::{split_id, EnvironmentFacts};
use crate::plan::cost;
use crate::plan::diff::{diff, has_changes, plan as plan_ops, Op};
use crate::plan::ledger::Ledger;
use crate::plan::node::{Node, NodeKey, Tags};
use crate::plan::spec::{CapacitySpec, Tier};
use crate::resources::configured::{Configured, ConfiguredSlot};
use crate::resources::facts::{environment_facts, EnvironmentLookup};
use crate::resources::run::{
    adopt_existing, data_replacement_diagnostics, destroy_into, error_diagnostics, ledger_of,
    outcome_diagnostics, run_options,
};
use crate::resources::timeouts::{timeout, Operation, Timeouts, DEFAULT_TIMEOUT};

/// A planned or recorded view of children's IDs for computed attributes.
pub enum Ids<'a> {
    Recorded(&'a Ledger),
    /// At plan: children being created or replaced, or updated into a new ID, are unknown.
    Planned(&'a Ledger, &'a [Op]),
}

impl Ids<'_> {
    pub fn get(&self, key: &NodeKey) -> Value {
        match self {
            Ids::Recorded(ledger) => ledger
                .id_of(key)
                .or_else(|| ledger.external.get(key).map(String::as_str))
                .map(Value::string)
                .unwrap_or(Value::string("")),
            Ids::Planned(ledger, ops) => {
                let changes = ops.iter().any(|op| match op {
                    Op::Create(k) | Op::Replace(k) => k == key,
                    Op::Update(k) => k == key && k.kind().is_some_and(|k| k.update_changes_id()),
                    _ => false,
                });
                let present = ops.iter().any(|op| op.key() == key);
                match ledger.id_of(key) {
                    Some(id) if !changes => Value::string(id),
                    _ if present => Value::Unknown,
                    _ => Value::string(""),
                }
            }
        }
    }

    /// True when the child is not being created, replaced or given a new ID: its live facts
    /// (endpoints, versions) stay what the prior state says.
    pub fn stable(&self, key: &NodeKey) -> bool {
        match self {
            Ids::Recorded(_) => true,
            Ids::Planned(ledger, ops) => {
                ledger.children.contains_key(key)
                    && !ops
                        .iter()
                        .any(|op| matches!(op, Op::Create(k) | Op::Replace(k) if k == key))
            }
        }
    }
}

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
}

/// Everything that differs between the three resources.
#[async_trait]
pub trait AppKind: Send + Sync + 'static {
    type Spec: Send + Sync;

    const TYPE_NAME: &'static str;
    /// `service`, `database`, `cache`: the owner tag's first part.
    const NOUN: &'static str;

    /// The kind's own arguments and computed attributes; the adapter adds the common ones.
    fn block() -> Block;

    /// Checks what the configuration alone decides (no AWS).
    fn validate(config: &Value) -> Diagnostics;

    /// Reads the configuration into a spec, with the environment's tier defaults, and builds
    /// the child graph. May read AWS (free listener priorities, other resources' IDs).
    async fn prepare(
        configured: &Configured,
        config: &Value,
        env: &EnvironmentFacts,
        ledger: &Ledger,
        mode: Mode,
    ) -> Result<Prepared<Self::Spec>, Diagnostics>;

    /// The kind's computed attributes. `prior` is the prior state (null after import or on
    /// create), for facts that do not change while their child is stable.
    async fn computed(
        configured: &Configured,
        spec: &Self::Spec,
        ids: &Ids<'_>,
        prior: &Value,
    ) -> Vec<(&'static str, Value)>;

    /// Refuses a destroy (deletion protection), naming the setting.
    fn refuse_destroy(_prior_state: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// The argument that sets a child's property, for diagnostics about a change that would
    /// replace data (`kms_key_arn` → `kms_key_arn`).
    fn property_path(_property: &str) -> Option<AttrPath> {
        None
    }

    /// Attribute paths whose change replaces the resource beyond the schema's
    /// `RequiresReplace` markers (a conditional rule such as valkey → redis).
    fn replace_paths(_prior: &Value, _config: &Value) -> Vec<AttrPath> {
        Vec::new()
    }

    /// Adjusts the ledger before a refresh observes it (a service follows the task definition
    /// revision it runs now).
    async fn refresh(_configured: &Configured, _config: &Value, _ledger: &mut Ledger) {}

    /// Configuration arguments recovered from the ledger after import: only values that differ
    /// from the tier's defaults, so a configuration relying on defaults plans no change.
    fn imported_config(_ledger: &Ledger, _env: &EnvironmentFacts) -> Vec<(&'static str, Value)> {
        Vec::new()
    }
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

/// The arguments and computed attributes every app resource has.
pub fn common_block(block: Block, noun: &str) -> Block {
    let timeouts = Block::new("How long each operation may take.")
        .attribute(
            Attribute::string("create")
                .optional()
                .description("Default `30m`."),
        )
        .attribute(
            Attribute::string("update")
                .optional()
                .description("Default `30m`."),
        )
        .attribute(
            Attribute::string("delete")
                .optional()
                .description("Default `30m`."),
        );
    block
        .attribute(Attribute::string("id").computed().description(&format!("`<environment>/<name>`: the {noun}'s ID, also used for import.")).modifier(crate::framework::plan_modifier::PlanModifier::UseStateForUnknown))
        .attribute(Attribute::string("environment_id").required().description("The environment's `id` (its name). Changing it replaces the resource.").modifier(crate::framework::plan_modifier::PlanModifier::RequiresReplace))
        .attribute(Attribute::string("name").required().description("1–24 characters of `a-z`, `0-9` and `-`, starting with a letter. Changing it replaces the resource.").modifier(crate::framework::plan_modifier::PlanModifier::RequiresReplace))
        .attribute(Attribute::string_map("tags").optional().description("Tags for every AWS object, merged over the provider's `default_tags`."))
        .single_block("timeouts", timeouts)
        .attribute(Attribute::number("estimated_monthly_cost_usd").computed().description("Estimated fixed monthly cost in USD from us-east-1 list prices kept in the provider; usage-based charges are not included."))
        .attribute(Attribute::of_type("cost_breakdown", Type::map(Type::Number)).computed().description("The estimate by component, in USD per month."))
        .attribute(Attribute::string_map("resources").computed().description("Every AWS child: node key → AWS ID."))
        .attribute(Attribute::string_list("drift").computed().description("Changes made outside Terraform, found at the last refresh; the next apply restores them."))
        .attribute(Attribute::string_map("effective_config").computed().description("Every resolved setting, tier defaults included, with dotted keys."))
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

/// True when the configuration sets a known value at `path`.
pub fn configured_at(config: &Value, path: &AttrPath) -> bool {
    let mut value = config;
    for step in &path.0 {
        match step {
            crate::framework::path::Step::Attribute(name) => value = value.get(name),
            _ => break,
        }
    }
    !value.is_null() && value.is_wholly_known()
}

/// A placeholder environment for checks that need no AWS facts (validate).
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
    }
}

/// The `timeouts` block of a configuration or state; one that cannot be read leaves each
/// operation its default.
fn timeouts_of(value: &Value) -> Option<Timeouts> {
    #[derive(serde::Deserialize)]
    struct WithTimeouts {
        timeouts: Option<Timeouts>,
    }
    crate::framework::value::de::from_value::<WithTimeouts>(value)
        .ok()
        .and_then(|w| w.timeouts)
}

/// The environment's name as the resource records it.
fn environment_name(value: &Value) -> Option<String> {
    value.get("environment_id").as_str().map(str::to_string)
}

fn number(value: f64) -> Value {
    Number::from_f64(value).map_or(Value::Null, Value::Number)
}

/// The proposed state with every computed-only attribute unknown.
fn unknown_computed(proposed: &Value, schema: &Schema) -> Value {
    let mut planned = proposed.clone();
    for attr in &schema.block.attributes {
        if attr.computed && !attr.optional && attr.name != "id" {
            planned.set(&attr.name, Value::Unknown);
        }
    }
    if let (Some(env), Some(name)) = (
        environment_name(proposed),
        proposed.get("name").as_str().map(str::to_string),
    ) {
        planned.set("id", Value::string(format!("{env}/{name}")));
    } else {
        planned.set("id", Value::Unknown);
    }
    planned
}

/// Merges the user's tags over the provider's default tags.
pub fn merged_tags(config: &Value, default_tags: &BTreeMap<String, String>) -> Tags {
    let mut tags: Tags = default_tags.clone();
    if let Some(entries) = config.get("tags").as_entries() {
        for (k, v) in entries {
            if let Some(v) = v.as_str() {
                tags.insert(k.clone(), v.to_string());
            }
        }
    }
    tags
}

impl<K: AppKind> AppResource<K> {
    /// The facts of the environment `config` names; `None` while it does not exist or is not
    /// complete (being created in the same apply, or left halfway by a run that stopped).
    async fn environment(
        &self,
        configured: &Configured,
        config: &Value,
    ) -> Result<Option<EnvironmentFacts>, Diagnostics> {
        let Some(name) = environment_name(config) else {
            return Ok(None);
        };
        Ok(match environment_facts(configured, &name).await? {
            EnvironmentLookup::Ready(facts) => Some((*facts).clone()),
            EnvironmentLookup::Missing | EnvironmentLookup::NotReady(_) => None,
        })
    }

    /// The state for a spec and ledger: the configuration as written plus computed values.
    async fn state(
        &self,
        configured: &Configured,
        config: &Value,
        prepared: &Prepared<K::Spec>,
        ids: &Ids<'_>,
        prior: &Value,
        drift: Vec<String>,
    ) -> Value {
        let mut state = config.clone();
        let env = environment_name(config).unwrap_or_default();
        let name = config.get("name").as_str().unwrap_or_default();
        state.set("id", Value::string(format!("{env}/{name}")));
        state.set(
            "effective_config",
            Value::string_map(prepared.effective_config.clone()),
        );
        let resources: Vec<(String, Value)> = prepared
            .nodes
            .keys()
            .map(|k| (k.to_string(), ids.get(k)))
            .collect();
        state.set(
            "resources",
            Value::Map(resources.into_iter().collect::<BTreeMap<_, _>>()),
        );
        state.set("drift", Value::string_list(drift));
        let estimate = cost::estimate(&prepared.nodes);
        state.set("estimated_monthly_cost_usd", number(estimate.total_usd));
        state.set(
            "cost_breakdown",
            Value::Map(
                estimate
                    .breakdown
                    .into_iter()
                    .map(|(k, v)| (k, number(v)))
                    .collect(),
            ),
        );
        for (attr, value) in K::computed(configured, &prepared.spec, ids, prior).await {
            state.set(attr, value);
        }
        state
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
        let env = match self.environment(&configured, &req.config).await {
            Ok(Some(env)) => env,
            Ok(None) => {
                response.diagnostics.push(
                    Diagnostic::error(
                        "Environment not found",
                        format!(
                            "No complete environment named {:?} exists in this account and region; if a run stopped while creating or deleting it, apply the environment first.",
                            environment_name(&req.config).unwrap_or_default()
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
        let prepared = match K::prepare(&configured, &req.config, &env, &ledger, Mode::Apply).await
        {
            Ok(p) => p,
            Err(d) => {
                response.diagnostics.extend(d);
                return response;
            }
        };
        ledger.external = prepared.external.clone();
        let ops = diff(&prepared.nodes, &ledger);
        let timeout = timeout(timeouts_of(&req.config).as_ref(), operation);
        let outcome = apply::run(
            &aws::Executor::new(configured.clients.clone()),
            &prepared.nodes,
            &ops,
            ledger,
            run_options(ctx, timeout),
        )
        .await;
        // Its objects live in the environment (rules on its groups, rules on its listener).
        configured.changed(&env.name);
        response
            .diagnostics
            .extend(outcome_diagnostics(&outcome, "resource"));
        if outcome.ledger.children.is_empty() && req.prior_state.is_null() {
            return response;
        }
        response.new_state = self
            .state(
                &configured,
                &req.config,
                &prepared,
                &Ids::Recorded(&outcome.ledger),
                &Value::Null,
                Vec::new(),
            )
            .await;
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
        Schema::new(0, common_block(K::block(), K::NOUN))
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        // Each kind's validation checks the name too.
        let diags = K::validate(config);
        Diagnostics(
            diags
                .0
                .into_iter()
                .filter(|d| d.severity == Severity::Error)
                .collect(),
        )
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
        let env = match self.environment(&configured, &req.config).await {
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
        let prepared = match K::prepare(&configured, &req.config, &env, &ledger, Mode::Plan).await {
            Ok(p) => p,
            Err(d) => {
                response.diagnostics.extend(d);
                return response;
            }
        };
        ledger.external = prepared.external.clone();
        let planned_ops = plan_ops(&prepared.nodes, &ledger);
        let ops = planned_ops.ops;
        if !req.prior_state.is_null() {
            response.requires_replace = K::replace_paths(&req.prior_state, &req.config);
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
        let nothing_changes = !req.prior_state.is_null()
            && !has_changes(&ops)
            && req
                .prior_state
                .get("drift")
                .as_elements()
                .is_none_or(|d| d.is_empty());
        let mut planned = self
            .state(
                &configured,
                &req.config,
                &prepared,
                &Ids::Planned(&ledger, &ops),
                &req.prior_state,
                Vec::new(),
            )
            .await;
        if nothing_changes {
            let schema = self.schema();
            for attr in &schema.block.attributes {
                if attr.computed && !attr.optional {
                    planned.set(&attr.name, req.prior_state.get(&attr.name).clone());
                }
            }
        }
        response.planned_state = planned;
        response
    }

    fn plan_destroy(&self, prior_state: &Value) -> Diagnostics {
        K::refuse_destroy(prior_state)
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
            diagnostics: K::refuse_destroy(&req.prior_state),
        };
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
        // Children a crashed run created without recording are found and deleted too.
        if let Ok(Some(env)) = self.environment(&configured, &req.prior_state).await {
            if let Ok(prepared) =
                K::prepare(&configured, &req.prior_state, &env, &ledger, Mode::Discover).await
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
            timeout(timeouts_of(&req.prior_state).as_ref(), Operation::Delete),
            &req.prior_state,
            "resource",
            &mut response,
        )
        .await;
        if let Some(env) = environment_name(&req.prior_state) {
            configured.changed(&env);
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
        let imported = recorded.is_none();
        let mut ledger = recorded.unwrap_or_default();
        let env = match self.environment(&configured, &req.current_state).await {
            Ok(Some(env)) => Some(env),
            Ok(None) => None,
            Err(d) => {
                response.diagnostics.extend(d);
                return response;
            }
        };
        let mut config = req.current_state.clone();
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
                    match K::prepare(&configured, &config, env, &ledger, Mode::Discover).await {
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
                for (attr, value) in K::imported_config(&ledger, env) {
                    config.set(attr, value);
                }
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
        K::refresh(&configured, &config, &mut ledger).await;
        let env_name = environment_name(&req.current_state).unwrap_or_default();
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
        let prepared = match K::prepare(&configured, &config, &env, &ledger, mode).await {
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
        response.new_state = self
            .state(
                &configured,
                &config,
                &prepared,
                &Ids::Recorded(&ledger),
                &req.current_state,
                drift,
            )
            .await;
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
        let mut state = Value::Object(Default::default());
        state.set("id", Value::string(id));
        state.set("environment_id", Value::string(env));
        state.set("name", Value::string(name));
        response.state = state;
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::logs::log_group::LogGroupSpec;
    use crate::framework::schema::check_schema;
    use crate::plan::ledger::Recorded;
    use crate::plan::node::{ChildSpec, Kind};

    #[test]
    fn schemas_pass_terraform_checks() {
        let slot = ConfiguredSlot::default();
        for schema in [
            service::ServiceResource::new(slot.clone()).schema(),
            database::DatabaseResource::new(slot.clone()).schema(),
            cache::CacheResource::new(slot).schema(),
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
        }
    }

    #[test]
    fn planned_ids_are_unknown_only_where_they_change() {
        let log = NodeKey::new(Kind::LogGroup, &["service"]);
        let td = NodeKey::new(Kind::TaskDefinition, &["service"]);
        let spec = ChildSpec::LogGroup(LogGroupSpec {
            name: "/x".into(),
            retention_days: 7,
            kms_key_arn: None,
            tags: Default::default(),
        });
        let mut ledger = Ledger::new();
        for key in [&log, &td] {
            ledger.children.insert(
                key.clone(),
                Recorded {
                    refs: Default::default(),
                    id: format!("id-{key}"),
                    observed: spec.clone(),
                },
            );
        }
        let ops = vec![Op::Update(log.clone()), Op::Update(td.clone())];
        let ids = Ids::Planned(&ledger, &ops);
        assert_eq!(ids.get(&log), Value::string(format!("id-{log}")));
        assert_eq!(ids.get(&td), Value::Unknown, "a new revision");
        let absent = NodeKey::new(Kind::TargetGroup, &["8080"]);
        assert_eq!(ids.get(&absent), Value::string(""));
    }

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
}
