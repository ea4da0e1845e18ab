//! The adapter of `platform_environment`, between Terraform and the engine.
//!
//! Plan expands the configuration into a child graph and diffs it against the ledger carried in
//! private bytes; apply runs the operations and records each step; read observes every child
//! and reports drift. Decisions about AWS live in `plan` and `aws`, not here.

use async_trait::async_trait;

use super::model::{self, EnvironmentConfig, LiveFacts, PriorState, ValidationRecord};
use super::{schema, written};
use crate::apply;
use crate::aws;
use crate::framework::diag::{Diagnostic, Diagnostics};
use crate::framework::path::AttrPath;
use crate::framework::resource::{
    keep_prior_computed, ApplyRequest, ApplyResponse, Ctx, ImportResponse, PlanRequest,
    PlanResponse, ReadRequest, ReadResponse, Resource,
};
use crate::framework::schema::Schema;
use crate::framework::value::{de, ser, Planned, Value};
use crate::plan::diff::{diff, has_changes, Op};
use crate::plan::expand::environment::{expand_environment, Expansion};
use crate::plan::ledger::Ledger;
use crate::plan::node::{Kind, NodeKey};
use crate::plan::spec::{EnvironmentSpec, RegionFacts, Zone};
use crate::resources::configured::{Configured, ConfiguredSlot};
use crate::resources::ids::Ids;
use crate::resources::run::{
    adopt_existing, destroy_into, error_diagnostics, ledger_of, outcome_diagnostics, run_options,
};
use crate::resources::timeouts::{timeout, Operation, DEFAULT_TIMEOUT};

pub struct EnvironmentResource {
    configured: ConfiguredSlot,
}

impl EnvironmentResource {
    pub fn new(configured: ConfiguredSlot) -> EnvironmentResource {
        EnvironmentResource { configured }
    }
}

fn owner(name: &str) -> String {
    format!("environment/{name}")
}

async fn region_facts(configured: &Configured, name: &str) -> Result<RegionFacts, Diagnostic> {
    let reads = configured.reads(name);
    let zones = aws::region_facts_shared(&configured.clients, &reads)
        .await
        .map_err(|e| {
            Diagnostic::error(
                "Listing availability zones",
                format!(
                    "DescribeAvailabilityZones failed in {}: {e}",
                    configured.region
                ),
            )
        })?;
    Ok(RegionFacts {
        region: configured.region.clone(),
        zones: zones
            .iter()
            .map(|(name, id)| Zone {
                name: name.clone(),
                id: id.clone(),
            })
            .collect(),
    })
}

/// Spec, expansion and operations for a configuration, or the diagnostics that stop it.
struct Prepared {
    spec: EnvironmentSpec,
    expansion: Expansion,
    ops: Vec<Op>,
}

async fn prepare(
    configured: &Configured,
    config: &EnvironmentConfig,
    ledger: &Ledger,
    diags: &mut Diagnostics,
) -> Option<Prepared> {
    let (spec, parse_diags) = model::spec_of(config, &configured.default_tags);
    diags.extend(parse_diags);
    let spec = spec?;
    let facts = match region_facts(configured, &spec.name).await {
        Ok(f) => f,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    let (expansion, expand_diags) = expand_environment(&spec, &facts, ledger);
    let failed = expand_diags.has_errors();
    diags.extend(expand_diags);
    if failed {
        return None;
    }
    let ops = diff(&expansion.nodes, ledger);
    Some(Prepared {
        spec,
        expansion,
        ops,
    })
}

/// What the ledger does not hold: NAT public IPs, the load balancer's DNS name and zone, the
/// certificate's status and validation records, and the namespace's ARN.
async fn live_facts(
    configured: &Configured,
    spec: &EnvironmentSpec,
    expansion: &Expansion,
    ledger: &Ledger,
) -> Result<LiveFacts, Diagnostic> {
    let mut facts = LiveFacts::empty();
    let reads = configured.reads(&spec.name);
    let eips: Vec<String> = model::nat_eip_keys(expansion)
        .iter()
        .filter_map(|k| ledger.id_of(k).map(str::to_string))
        .collect();
    let ips = aws::owned_public_ips(&configured.clients, &reads, &owner(&spec.name))
        .await
        .map_err(|e| Diagnostic::error("Reading NAT public IPs", e.to_string()))?;
    facts.nat_public_ips = Planned::Known(Some(
        eips.iter().filter_map(|id| ips.get(id).cloned()).collect(),
    ));
    if let Some(arn) = ledger.id_of(&NodeKey::new(Kind::LoadBalancer, &[])) {
        let endpoint = aws::load_balancer_endpoint_shared(&configured.clients, &reads, arn)
            .await
            .map_err(|e| Diagnostic::error("Reading the load balancer", e.to_string()))?;
        if let Some((dns_name, zone_id)) = endpoint {
            facts.load_balancer_dns_name = Planned::Known(Some(dns_name));
            facts.load_balancer_zone_id = Planned::Known(Some(zone_id));
        }
    }
    if let Planned::Known(Some(arn)) = model::certificate_arn(spec, &Ids::Recorded(ledger)) {
        if !arn.is_empty() {
            let certificate = aws::certificate_facts_shared(&configured.clients, &reads, &arn)
                .await
                .map_err(|e| Diagnostic::error("Reading the certificate", e.to_string()))?;
            if let Some(certificate) = certificate {
                facts.certificate_status = Planned::Known(Some(certificate.status));
                facts.certificate_validation_records = Planned::Known(Some(
                    certificate
                        .validation_records
                        .into_iter()
                        .map(|(name, kind, value)| ValidationRecord { name, kind, value })
                        .collect(),
                ));
            }
        }
    }
    if let Some(id) = ledger.id_of(&NodeKey::new(Kind::PrivateDnsNamespace, &[])) {
        let arn = aws::namespace_arn_shared(&configured.clients, &reads, id)
            .await
            .map_err(|e| Diagnostic::error("Reading the Cloud Map namespace", e.to_string()))?;
        if let Some(arn) = arn {
            facts.service_discovery_namespace_arn = Planned::Known(Some(arn));
        }
    }
    Ok(facts)
}

/// Plan-time check of a certificate the user brings: it must exist and cover the domains.
async fn check_certificate(configured: &Configured, spec: &EnvironmentSpec) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let Some(ingress) = &spec.ingress else {
        return diags;
    };
    let Some(arn) = &ingress.certificate_arn else {
        return diags;
    };
    let path = AttrPath::attrs(&["ingress", "certificate_arn"]);
    let reads = configured.reads(&spec.name);
    match aws::certificate_facts_shared(&configured.clients, &reads, arn).await {
        Ok(None) => diags.error_at(
            path,
            "Certificate not found",
            format!("ACM has no certificate {arn} in {}.", configured.region),
        ),
        Ok(Some(certificate)) => {
            let mut hosts: Vec<&str> = ingress
                .additional_domains
                .iter()
                .map(String::as_str)
                .collect();
            if let Some(domain) = &ingress.domain {
                hosts.insert(0, domain);
            }
            let uncovered = crate::plan::spec::uncovered_hosts(&certificate.names, &hosts);
            if !uncovered.is_empty() {
                diags.error_at(
                    AttrPath::attrs(&["ingress", "domain"]),
                    "Certificate does not cover the domain",
                    format!(
                        "Certificate {arn} is for {}, which does not cover {}.",
                        certificate.names.join(", "),
                        uncovered.join(", ")
                    ),
                );
            }
        }
        Err(e) => diags.push(Diagnostic::error("Reading the certificate", e.to_string()).at(path)),
    }
    diags
}

#[async_trait]
impl Resource for EnvironmentResource {
    fn type_name(&self) -> &'static str {
        "platform_environment"
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        super::validate(config)
    }

    async fn plan(&self, _ctx: &Ctx, req: PlanRequest) -> PlanResponse {
        let mut response = PlanResponse {
            planned_state: req.proposed_new_state.clone(),
            requires_replace: Vec::new(),
            planned_private: req.prior_private.clone(),
            diagnostics: Diagnostics::new(),
        };
        let configured = match self.configured.get() {
            Ok(c) => c,
            Err(d) => {
                response.diagnostics.push(d);
                return response;
            }
        };
        let ledger = if req.prior_state.is_null() {
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
        if !req.config.is_wholly_known() {
            // Judge what is known; values unknown until apply make every computed attribute
            // unknown too.
            response.diagnostics = model::validate(&req.config, &configured.default_tags);
            if !response.diagnostics.has_errors() {
                response.planned_state = unknown_computed(&req.proposed_new_state, &self.schema());
            }
            return response;
        }
        let read = model::read_config(&req.config).and_then(|config| {
            let prior: Option<PriorState> = de::from_value(&req.prior_state)?;
            Ok((config, prior, LiveFacts::of_prior(&req.prior_state)?))
        });
        let (config, prior, prior_facts) = match read {
            Ok(read) => read,
            Err(d) => {
                response.diagnostics.push(d);
                return response;
            }
        };
        let Some(prepared) =
            prepare(&configured, &config, &ledger, &mut response.diagnostics).await
        else {
            if !response.diagnostics.has_errors() {
                response.planned_state = unknown_computed(&req.proposed_new_state, &self.schema());
            }
            return response;
        };
        let nothing_changes =
            !has_changes(&prepared.ops) && prior.as_ref().is_some_and(|p| !p.has_drift());
        response
            .diagnostics
            .extend(check_certificate(&configured, &prepared.spec).await);
        if response.diagnostics.has_errors() {
            return response;
        }
        let facts = LiveFacts::planned(prior_facts.as_ref(), &prepared.expansion, &prepared.ops);
        let planned = model::state(
            &config,
            &prepared.spec,
            &prepared.expansion,
            &Ids::Planned(&ledger, &prepared.ops),
            &facts,
            Vec::new(),
        );
        let mut planned = match planned {
            Ok(planned) => planned,
            Err(d) => {
                response.diagnostics.push(d);
                return response;
            }
        };
        if nothing_changes {
            // Keep the prior state's computed values exactly, so Terraform sees no change.
            keep_prior_computed(&self.schema(), &req.prior_state, &mut planned);
        }
        response.planned_state = planned;
        response
    }

    fn plan_destroy(&self, prior_state: &Value) -> Diagnostics {
        match de::from_value::<Option<PriorState>>(prior_state) {
            Ok(prior) => deletion_protection(&prior.unwrap_or_default()),
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
        let configured = match self.configured.get() {
            Ok(c) => c,
            Err(d) => {
                response.diagnostics.push(d);
                return response;
            }
        };
        let (config, prior) = match model::read_state(&req.prior_state) {
            Ok(read) => read,
            Err(d) => {
                response.diagnostics.push(d);
                return response;
            }
        };
        response.diagnostics = deletion_protection(&prior);
        if response.diagnostics.has_errors() {
            return response;
        }
        let mut ledger = match ledger_of(&req.planned_private) {
            Ok(ledger) => ledger.unwrap_or_default(),
            Err(d) => {
                response.diagnostics.push(d);
                return response;
            }
        };
        let name = prior.name.clone().unwrap_or_default();
        // Children created by a run that died before recording them are found by their tags.
        match aws::discover_environment(&configured.clients, &owner(&name)).await {
            Ok(found) => {
                for (key, recorded) in found.children {
                    ledger.children.entry(key).or_insert(recorded);
                }
            }
            Err(e) => {
                response.diagnostics.push(Diagnostic::error(
                    "Finding the environment's AWS objects",
                    e.to_string(),
                ));
                return response;
            }
        }
        let mut diags = Diagnostics::new();
        if let Some(prepared) = prepare(&configured, &config, &ledger, &mut diags).await {
            match adopt_existing(ctx, &configured, &prepared.expansion.nodes, ledger).await {
                Ok(found) => ledger = found,
                Err(diags) => {
                    response.diagnostics.extend(diags);
                    return response;
                }
            }
        }
        // Services, databases and caches in other states would lose their network: refuse.
        let cluster = ledger
            .id_of(&NodeKey::new(Kind::EcsCluster, &[]))
            .map(str::to_string);
        match aws::app_resources_in(
            &configured.clients,
            cluster.as_deref(),
            &crate::plan::expand::environment::data_subnet_group_name(&name),
        )
        .await
        {
            Ok(remaining) if !remaining.is_empty() => {
                response.diagnostics.push(Diagnostic::error(
                    "Environment still in use",
                    format!("Environment {name:?} still has {}. Destroy those first (platform_service, platform_database, platform_cache); nothing was deleted.", remaining.join(", ")),
                ));
                return response;
            }
            Ok(_) => {}
            Err(e) => {
                response.diagnostics.push(Diagnostic::error(
                    "Checking what still uses the environment",
                    e.to_string(),
                ));
                return response;
            }
        }
        destroy_into(
            ctx,
            &configured,
            ledger,
            timeout(config.timeouts.as_ref(), Operation::Delete),
            &req.prior_state,
            "environment",
            &mut response,
        )
        .await;
        configured.changed(&name);
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
        let (mut config, prior) = match model::read_state(&req.current_state) {
            Ok(read) => read,
            Err(d) => {
                response.diagnostics.push(d);
                return response;
            }
        };
        let name = prior.name.clone().unwrap_or_default();
        let recorded = match ledger_of(&req.private) {
            Ok(recorded) => recorded,
            Err(d) => {
                response.diagnostics.push(d);
                return response;
            }
        };
        let discovered = recorded.is_none();
        let mut ledger = match recorded {
            Some(l) => l,
            None => match aws::discover_environment(&configured.clients, &owner(&name)).await {
                Ok(l) => l,
                Err(e) => {
                    response.diagnostics.push(Diagnostic::error(
                        "Finding the environment's AWS objects",
                        e.to_string(),
                    ));
                    return response;
                }
            },
        };
        let (observed, drift, errors) = apply::observe_all(
            &aws::Executor::with_reads(configured.clients.clone(), configured.reads(&name)),
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
            // Nothing of the environment exists any more.
            response.new_state = Value::Null;
            response.private = Vec::new();
            return response;
        }
        // After import the state holds only the name: recover the configuration as written.
        if config.tier.is_none() {
            match written::recover(&ledger, &configured.default_tags) {
                Some(recovered) => {
                    config = EnvironmentConfig {
                        name: config.name,
                        ..recovered
                    };
                }
                None => {
                    response.diagnostics.push(Diagnostic::error(
                        "Cannot import environment",
                        format!("The VPC of environment {name:?} carries no platform:config tag, so its configuration cannot be recovered."),
                    ));
                    return response;
                }
            }
        }
        let mut diags = Diagnostics::new();
        let Some(prepared) = prepare(&configured, &config, &ledger, &mut diags).await else {
            response.diagnostics.extend(diags);
            return response;
        };
        if discovered {
            // Children the tag sweep does not cover are looked up one by one.
            match adopt_existing(ctx, &configured, &prepared.expansion.nodes, ledger).await {
                Ok(found) => ledger = found,
                Err(diags) => {
                    response.diagnostics.extend(diags);
                    return response;
                }
            }
        }
        let facts =
            match live_facts(&configured, &prepared.spec, &prepared.expansion, &ledger).await {
                Ok(v) => v,
                Err(d) => {
                    response.diagnostics.push(d);
                    return response;
                }
            };
        match model::state(
            &config,
            &prepared.spec,
            &prepared.expansion,
            &Ids::Recorded(&ledger),
            &facts,
            drift,
        ) {
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
        let configured = match self.configured.get() {
            Ok(c) => c,
            Err(d) => {
                response.diagnostics.push(d);
                return response;
            }
        };
        let name = if id.starts_with("vpc-") {
            match aws::find_vpc_owner_by_id(&configured.clients, id).await {
                Ok(Some(owner)) => match owner.strip_prefix("environment/") {
                    Some(name) => name.to_string(),
                    None => {
                        response.diagnostics.push(Diagnostic::error(
                            "Cannot import",
                            format!("VPC {id} belongs to {owner:?}, not to an environment."),
                        ));
                        return response;
                    }
                },
                Ok(None) => {
                    response.diagnostics.push(Diagnostic::error(
                        "Cannot import",
                        format!("VPC {id} was not found, or carries no platform:owner tag: only VPCs made by this provider can be imported."),
                    ));
                    return response;
                }
                Err(e) => {
                    response
                        .diagnostics
                        .push(Diagnostic::error("Looking up the VPC", e.to_string()));
                    return response;
                }
            }
        } else {
            let diags = crate::plan::spec::validate_name(id, &AttrPath::root());
            if diags.has_errors() {
                response.diagnostics.push(Diagnostic::error(
                    "Invalid import ID",
                    format!("{id:?} is neither an environment name nor a VPC ID (vpc-…)."),
                ));
                return response;
            }
            id.to_string()
        };
        match imported_state(&name) {
            Ok(state) => response.state = state,
            Err(d) => response.diagnostics.push(d),
        }
        response
    }
}

impl EnvironmentResource {
    /// Reads an environment known only by its name, as import does (the data source and the
    /// app resources use it). Null state when it does not exist.
    pub async fn read_by_name(&self, ctx: &Ctx, name: &str) -> ReadResponse {
        let current_state = match imported_state(name) {
            Ok(state) => state,
            Err(d) => {
                return ReadResponse {
                    new_state: Value::Null,
                    private: Vec::new(),
                    diagnostics: d.into(),
                }
            }
        };
        self.read(
            ctx,
            ReadRequest {
                current_state,
                private: Vec::new(),
            },
        )
        .await
    }

    /// Create and update share one path: reconcile the ledger towards the desired graph.
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
        let ledger = if req.prior_state.is_null() {
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
        let config = match model::read_config(&req.config) {
            Ok(config) => config,
            Err(d) => {
                response.diagnostics.push(d);
                return response;
            }
        };
        let Some(prepared) =
            prepare(&configured, &config, &ledger, &mut response.diagnostics).await
        else {
            return response;
        };
        let timeout = timeout(config.timeouts.as_ref(), operation);
        let name = prepared.spec.name.clone();
        let outcome = apply::run(
            &aws::Executor::new(configured.clients.clone()),
            &prepared.expansion.nodes,
            &prepared.ops,
            ledger,
            run_options(ctx, timeout),
        )
        .await;
        configured.changed(&name);
        response
            .diagnostics
            .extend(outcome_diagnostics(&outcome, "environment"));
        if outcome.ledger.children.is_empty() && req.prior_state.is_null() {
            // Nothing was created: no state to record.
            return response;
        }
        let facts = match live_facts(
            &configured,
            &prepared.spec,
            &prepared.expansion,
            &outcome.ledger,
        )
        .await
        {
            Ok(v) => v,
            Err(d) => {
                response.diagnostics.push(d);
                LiveFacts::empty()
            }
        };
        match model::state(
            &config,
            &prepared.spec,
            &prepared.expansion,
            &Ids::Recorded(&outcome.ledger),
            &facts,
            Vec::new(),
        ) {
            Ok(state) => response.new_state = state,
            Err(d) => response.diagnostics.push(d),
        }
        response.private = outcome.ledger.to_private();
        response
    }
}

/// The state an import starts from: the environment's name, which read completes.
fn imported_state(name: &str) -> Result<Value, Diagnostic> {
    #[derive(serde::Serialize)]
    struct Imported<'a> {
        id: &'a str,
        name: &'a str,
    }
    ser::to_value(&Imported { id: name, name }, &schema::schema().value_type()).map_err(|e| {
        Diagnostic::error(
            "Importing the environment",
            format!("The provider could not write the state ({e}); this is a bug."),
        )
    })
}

/// Refuses to destroy a protected environment, naming the setting to flip.
fn deletion_protection(prior: &PriorState) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if prior.deletion_protected() {
        let name = prior.name.as_deref().unwrap_or_default();
        diags.error_at(
            AttrPath::attrs(&["deletion_protection"]),
            "Environment is protected from deletion",
            format!("Environment {name:?} has deletion_protection enabled (the prod default), so destroying it was refused and nothing was deleted. To destroy it, first set deletion_protection = false and run `terraform apply`, then destroy."),
        );
    }
    diags
}

/// The proposed state with every computed-only attribute unknown.
fn unknown_computed(proposed: &Value, schema: &Schema) -> Value {
    let mut planned = proposed.clone();
    for attr in &schema.block.attributes {
        if attr.computed && !attr.optional {
            planned.set(&attr.name, Value::Unknown);
        }
    }
    planned
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prior(protected: Option<&str>) -> Value {
        let mut state = Value::Object(Default::default());
        state.set("name", Value::string("prod"));
        state.set(
            "effective_config",
            Value::string_map(
                protected.map(|p| ("deletion_protection".to_string(), p.to_string())),
            ),
        );
        state
    }

    fn refused(prior_state: &Value) -> Diagnostics {
        EnvironmentResource::new(ConfiguredSlot::default()).plan_destroy(prior_state)
    }

    #[test]
    fn a_protected_environment_refuses_destroy_naming_the_setting() {
        let diags = refused(&prior(Some("true")));
        assert!(diags.has_errors());
        let d = &diags.0[0];
        assert_eq!(d.path, Some(AttrPath::attrs(&["deletion_protection"])));
        assert!(
            d.detail.contains("deletion_protection = false"),
            "{}",
            d.detail
        );
        for unprotected in [Some("false"), None] {
            assert!(refused(&prior(unprotected)).is_empty());
        }
        assert!(refused(&Value::Null).is_empty());
    }
}
