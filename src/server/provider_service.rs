//! `tfplugin6.Provider`: each RPC converts its request, calls the framework, converts back.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::framework::diag::{Diagnostic, Diagnostics};
use crate::framework::provider::Provider;
use crate::framework::resource::{
    apply_plan_modifiers, validate_config, ApplyRequest, Ctx, DataSource, PlanRequest, ReadRequest,
    Resource,
};
use crate::framework::value::Value;

use super::proto::tfplugin6 as pb;
use super::proto::tfplugin6::provider_server::Provider as ProviderRpc;
use super::{from_proto, to_proto};

pub struct ProviderService {
    provider: Arc<dyn Provider>,
    resources: BTreeMap<&'static str, Arc<dyn Resource>>,
    data_sources: BTreeMap<&'static str, Arc<dyn DataSource>>,
    /// Cancelled by StopProvider; replaced afterwards so later calls run normally.
    stop: Mutex<CancellationToken>,
}

impl ProviderService {
    pub fn new(provider: Arc<dyn Provider>) -> ProviderService {
        let resources = provider
            .resources()
            .into_iter()
            .map(|r| (r.type_name(), r))
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|d| (d.type_name(), d))
            .collect();
        ProviderService {
            provider,
            resources,
            data_sources,
            stop: Mutex::new(CancellationToken::new()),
        }
    }

    fn ctx(&self) -> Ctx {
        let token = self
            .stop
            .lock()
            .map(|t| t.child_token())
            .unwrap_or_default();
        Ctx { cancel: token }
    }

    fn resource(&self, type_name: &str) -> Result<&Arc<dyn Resource>, Diagnostics> {
        self.resources.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                "Unknown resource type",
                format!("This provider has no resource type {type_name:?}."),
            )
            .into()
        })
    }

    fn data_source(&self, type_name: &str) -> Result<&Arc<dyn DataSource>, Diagnostics> {
        self.data_sources.get(type_name).ok_or_else(|| {
            Diagnostic::error(
                "Unknown data source type",
                format!("This provider has no data source type {type_name:?}."),
            )
            .into()
        })
    }

    fn capabilities() -> pb::ServerCapabilities {
        pb::ServerCapabilities {
            plan_destroy: true,
            get_provider_schema_optional: false,
            move_resource_state: false,
            ..Default::default()
        }
    }
}

fn diags(d: &Diagnostics) -> Vec<pb::Diagnostic> {
    to_proto::diagnostics(d)
}

fn one(d: Diagnostic) -> Vec<pb::Diagnostic> {
    vec![to_proto::diagnostic(&d)]
}

fn no_such_type(kind: &str, type_name: &str) -> Diagnostic {
    Diagnostic::error(
        format!("Unknown {kind} type"),
        format!("This provider declares no {kind} {type_name:?}."),
    )
}

/// A server stream of exactly the given messages.
type OneShot<T> = futures::stream::Iter<std::vec::IntoIter<Result<T, Status>>>;

type RpcResult<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl ProviderRpc for ProviderService {
    async fn get_metadata(
        &self,
        _request: Request<pb::get_metadata::Request>,
    ) -> RpcResult<pb::get_metadata::Response> {
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(Self::capabilities()),
            resources: self
                .resources
                .keys()
                .map(|t| pb::get_metadata::ResourceMetadata {
                    type_name: t.to_string(),
                })
                .collect(),
            data_sources: self
                .data_sources
                .keys()
                .map(|t| pb::get_metadata::DataSourceMetadata {
                    type_name: t.to_string(),
                })
                .collect(),
            ..Default::default()
        }))
    }

    async fn get_provider_schema(
        &self,
        _request: Request<pb::get_provider_schema::Request>,
    ) -> RpcResult<pb::get_provider_schema::Response> {
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(to_proto::schema(&self.provider.schema())),
            resource_schemas: self
                .resources
                .iter()
                .map(|(t, r)| (t.to_string(), to_proto::schema(&r.schema())))
                .collect(),
            data_source_schemas: self
                .data_sources
                .iter()
                .map(|(t, d)| (t.to_string(), to_proto::schema(&d.schema())))
                .collect(),
            server_capabilities: Some(Self::capabilities()),
            ..Default::default()
        }))
    }

    async fn get_resource_identity_schemas(
        &self,
        _request: Request<pb::get_resource_identity_schemas::Request>,
    ) -> RpcResult<pb::get_resource_identity_schemas::Response> {
        // No resource declares an identity yet; an empty answer is a real one.
        Ok(Response::new(
            pb::get_resource_identity_schemas::Response::default(),
        ))
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> RpcResult<pb::validate_provider_config::Response> {
        let request = request.into_inner();
        let schema = self.provider.schema();
        let diagnostics =
            match from_proto::dynamic_value(request.config.as_ref(), &schema.value_type()) {
                Ok(config) => {
                    let own = self.provider.validate(&config);
                    diags(&validate_config(&schema.block, &config, own))
                }
                Err(d) => one(d),
            };
        Ok(Response::new(pb::validate_provider_config::Response {
            diagnostics,
        }))
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> RpcResult<pb::validate_resource_config::Response> {
        let request = request.into_inner();
        let diagnostics = match self.resource(&request.type_name) {
            Ok(resource) => {
                let schema = resource.schema();
                match from_proto::dynamic_value(request.config.as_ref(), &schema.value_type()) {
                    Ok(config) => {
                        let own = resource.validate(&config);
                        diags(&validate_config(&schema.block, &config, own))
                    }
                    Err(d) => one(d),
                }
            }
            Err(d) => diags(&d),
        };
        Ok(Response::new(pb::validate_resource_config::Response {
            diagnostics,
        }))
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> RpcResult<pb::validate_data_resource_config::Response> {
        let request = request.into_inner();
        let diagnostics = match self.data_source(&request.type_name) {
            Ok(source) => {
                let schema = source.schema();
                match from_proto::dynamic_value(request.config.as_ref(), &schema.value_type()) {
                    Ok(config) => {
                        let own = source.validate(&config);
                        diags(&validate_config(&schema.block, &config, own))
                    }
                    Err(d) => one(d),
                }
            }
            Err(d) => diags(&d),
        };
        Ok(Response::new(pb::validate_data_resource_config::Response {
            diagnostics,
        }))
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> RpcResult<pb::upgrade_resource_state::Response> {
        let request = request.into_inner();
        let resource = match self.resource(&request.type_name) {
            Ok(r) => r,
            Err(d) => {
                return Ok(Response::new(pb::upgrade_resource_state::Response {
                    upgraded_state: None,
                    diagnostics: diags(&d),
                }))
            }
        };
        let raw = request.raw_state.unwrap_or_default();
        if raw.json.is_empty() && !raw.flatmap.is_empty() {
            return Ok(Response::new(pb::upgrade_resource_state::Response {
                upgraded_state: None,
                diagnostics: one(Diagnostic::error(
                    "Unsupported legacy state",
                    "This state was written in the pre-0.12 flatmap format, which this provider never wrote.",
                )),
            }));
        }
        let schema = resource.schema();
        let response = match resource.upgrade_state(request.version, &raw.json) {
            Ok(value) => pb::upgrade_resource_state::Response {
                upgraded_state: Some(to_proto::dynamic_value(&value, &schema.value_type())),
                diagnostics: Vec::new(),
            },
            Err(d) => pb::upgrade_resource_state::Response {
                upgraded_state: None,
                diagnostics: diags(&d),
            },
        };
        Ok(Response::new(response))
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> RpcResult<pb::configure_provider::Response> {
        let request = request.into_inner();
        let schema = self.provider.schema();
        let diagnostics =
            match from_proto::dynamic_value(request.config.as_ref(), &schema.value_type()) {
                Ok(config) => diags(
                    &self
                        .provider
                        .configure(&request.terraform_version, &config)
                        .await,
                ),
                Err(d) => one(d),
            };
        Ok(Response::new(pb::configure_provider::Response {
            diagnostics,
        }))
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> RpcResult<pb::read_resource::Response> {
        let request = request.into_inner();
        let resource = match self.resource(&request.type_name) {
            Ok(r) => r,
            Err(d) => {
                return Ok(Response::new(pb::read_resource::Response {
                    new_state: request.current_state,
                    diagnostics: diags(&d),
                    private: request.private,
                    ..Default::default()
                }))
            }
        };
        let ty = resource.schema().value_type();
        let current = match from_proto::dynamic_value(request.current_state.as_ref(), &ty) {
            Ok(v) => v,
            Err(d) => {
                return Ok(Response::new(pb::read_resource::Response {
                    new_state: request.current_state,
                    diagnostics: one(d),
                    private: request.private,
                    ..Default::default()
                }))
            }
        };
        let response = resource
            .read(
                &self.ctx(),
                ReadRequest {
                    current_state: current,
                    private: request.private,
                },
            )
            .await;
        Ok(Response::new(pb::read_resource::Response {
            new_state: Some(to_proto::dynamic_value(&response.new_state, &ty)),
            diagnostics: diags(&response.diagnostics),
            private: response.private,
            ..Default::default()
        }))
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> RpcResult<pb::plan_resource_change::Response> {
        let request = request.into_inner();
        let fail = |d: &Diagnostics, private: Vec<u8>| {
            Ok(Response::new(pb::plan_resource_change::Response {
                diagnostics: diags(d),
                planned_private: private,
                ..Default::default()
            }))
        };
        let resource = match self.resource(&request.type_name) {
            Ok(r) => r,
            Err(d) => return fail(&d, request.prior_private),
        };
        let schema = resource.schema();
        let ty = schema.value_type();
        let decoded = (|| {
            Ok::<_, Diagnostic>((
                from_proto::dynamic_value(request.prior_state.as_ref(), &ty)?,
                from_proto::dynamic_value(request.proposed_new_state.as_ref(), &ty)?,
                from_proto::dynamic_value(request.config.as_ref(), &ty)?,
            ))
        })();
        let (prior, proposed, config) = match decoded {
            Ok(values) => values,
            Err(d) => return fail(&d.into(), request.prior_private),
        };
        if proposed.is_null() {
            // Planning a destroy: the resource may refuse it (deletion protection).
            return Ok(Response::new(pb::plan_resource_change::Response {
                planned_state: Some(to_proto::dynamic_value(&Value::Null, &ty)),
                planned_private: request.prior_private,
                diagnostics: diags(&resource.plan_destroy(&prior)),
                ..Default::default()
            }));
        }
        let mut response = resource
            .plan(
                &self.ctx(),
                PlanRequest {
                    config,
                    prior_state: prior.clone(),
                    proposed_new_state: proposed,
                    prior_private: request.prior_private,
                },
            )
            .await;
        let mut replace = apply_plan_modifiers(&schema, &prior, &mut response.planned_state);
        replace.extend(response.requires_replace);
        Ok(Response::new(pb::plan_resource_change::Response {
            planned_state: Some(to_proto::dynamic_value(&response.planned_state, &ty)),
            requires_replace: replace.iter().map(to_proto::attribute_path).collect(),
            planned_private: response.planned_private,
            diagnostics: diags(&response.diagnostics),
            ..Default::default()
        }))
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> RpcResult<pb::apply_resource_change::Response> {
        let request = request.into_inner();
        let resource = match self.resource(&request.type_name) {
            Ok(r) => r,
            Err(d) => {
                return Ok(Response::new(pb::apply_resource_change::Response {
                    new_state: request.prior_state,
                    private: request.planned_private,
                    diagnostics: diags(&d),
                    ..Default::default()
                }))
            }
        };
        let ty = resource.schema().value_type();
        let decoded = (|| {
            Ok::<_, Diagnostic>((
                from_proto::dynamic_value(request.prior_state.as_ref(), &ty)?,
                from_proto::dynamic_value(request.planned_state.as_ref(), &ty)?,
                from_proto::dynamic_value(request.config.as_ref(), &ty)?,
            ))
        })();
        let (prior, planned, config) = match decoded {
            Ok(values) => values,
            Err(d) => {
                return Ok(Response::new(pb::apply_resource_change::Response {
                    new_state: request.prior_state,
                    private: request.planned_private,
                    diagnostics: one(d),
                    ..Default::default()
                }))
            }
        };
        let apply = ApplyRequest {
            prior_state: prior.clone(),
            planned_state: planned.clone(),
            config,
            planned_private: request.planned_private,
        };
        let ctx = self.ctx();
        let response = if prior.is_null() {
            resource.create(&ctx, apply).await
        } else if planned.is_null() {
            resource.delete(&ctx, apply).await
        } else {
            resource.update(&ctx, apply).await
        };
        Ok(Response::new(pb::apply_resource_change::Response {
            new_state: Some(to_proto::dynamic_value(&response.new_state, &ty)),
            private: response.private,
            diagnostics: diags(&response.diagnostics),
            ..Default::default()
        }))
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> RpcResult<pb::import_resource_state::Response> {
        let request = request.into_inner();
        let resource = match self.resource(&request.type_name) {
            Ok(r) => r,
            Err(d) => {
                return Ok(Response::new(pb::import_resource_state::Response {
                    diagnostics: diags(&d),
                    ..Default::default()
                }))
            }
        };
        let ty = resource.schema().value_type();
        let response = resource.import(&self.ctx(), &request.id).await;
        let imported = if response.state.is_null() {
            Vec::new()
        } else {
            vec![pb::import_resource_state::ImportedResource {
                type_name: request.type_name.clone(),
                state: Some(to_proto::dynamic_value(&response.state, &ty)),
                private: response.private,
                ..Default::default()
            }]
        };
        Ok(Response::new(pb::import_resource_state::Response {
            imported_resources: imported,
            diagnostics: diags(&response.diagnostics),
            ..Default::default()
        }))
    }

    async fn move_resource_state(
        &self,
        request: Request<pb::move_resource_state::Request>,
    ) -> RpcResult<pb::move_resource_state::Response> {
        let request = request.into_inner();
        Ok(Response::new(pb::move_resource_state::Response {
            diagnostics: one(Diagnostic::error(
                "Moving state into this resource type is not supported",
                format!(
                    "{} cannot be moved from {}; import the objects instead.",
                    request.target_type_name, request.source_type_name
                ),
            )),
            ..Default::default()
        }))
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> RpcResult<pb::read_data_source::Response> {
        let request = request.into_inner();
        let source = match self.data_source(&request.type_name) {
            Ok(s) => s,
            Err(d) => {
                return Ok(Response::new(pb::read_data_source::Response {
                    diagnostics: diags(&d),
                    ..Default::default()
                }))
            }
        };
        let ty = source.schema().value_type();
        let config = match from_proto::dynamic_value(request.config.as_ref(), &ty) {
            Ok(c) => c,
            Err(d) => {
                return Ok(Response::new(pb::read_data_source::Response {
                    diagnostics: one(d),
                    ..Default::default()
                }))
            }
        };
        let (state, d) = source.read(&self.ctx(), config).await;
        Ok(Response::new(pb::read_data_source::Response {
            state: (!d.has_errors()).then(|| to_proto::dynamic_value(&state, &ty)),
            diagnostics: diags(&d),
            ..Default::default()
        }))
    }

    async fn upgrade_resource_identity(
        &self,
        request: Request<pb::upgrade_resource_identity::Request>,
    ) -> RpcResult<pb::upgrade_resource_identity::Response> {
        Ok(Response::new(pb::upgrade_resource_identity::Response {
            upgraded_identity: None,
            diagnostics: one(Diagnostic::error(
                "Resource identity is not supported",
                format!(
                    "{} declares no resource identity.",
                    request.into_inner().type_name
                ),
            )),
        }))
    }

    async fn generate_resource_config(
        &self,
        request: Request<pb::generate_resource_config::Request>,
    ) -> RpcResult<pb::generate_resource_config::Response> {
        Ok(Response::new(pb::generate_resource_config::Response {
            config: None,
            diagnostics: one(Diagnostic::error(
                "Configuration generation is not supported",
                format!(
                    "Write the configuration of {} by hand, then import.",
                    request.into_inner().type_name
                ),
            )),
        }))
    }

    async fn validate_ephemeral_resource_config(
        &self,
        request: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> RpcResult<pb::validate_ephemeral_resource_config::Response> {
        Ok(Response::new(
            pb::validate_ephemeral_resource_config::Response {
                diagnostics: one(no_such_type(
                    "ephemeral resource",
                    &request.into_inner().type_name,
                )),
            },
        ))
    }

    async fn open_ephemeral_resource(
        &self,
        request: Request<pb::open_ephemeral_resource::Request>,
    ) -> RpcResult<pb::open_ephemeral_resource::Response> {
        Ok(Response::new(pb::open_ephemeral_resource::Response {
            diagnostics: one(no_such_type(
                "ephemeral resource",
                &request.into_inner().type_name,
            )),
            ..Default::default()
        }))
    }

    async fn renew_ephemeral_resource(
        &self,
        request: Request<pb::renew_ephemeral_resource::Request>,
    ) -> RpcResult<pb::renew_ephemeral_resource::Response> {
        Ok(Response::new(pb::renew_ephemeral_resource::Response {
            diagnostics: one(no_such_type(
                "ephemeral resource",
                &request.into_inner().type_name,
            )),
            ..Default::default()
        }))
    }

    async fn close_ephemeral_resource(
        &self,
        request: Request<pb::close_ephemeral_resource::Request>,
    ) -> RpcResult<pb::close_ephemeral_resource::Response> {
        Ok(Response::new(pb::close_ephemeral_resource::Response {
            diagnostics: one(no_such_type(
                "ephemeral resource",
                &request.into_inner().type_name,
            )),
        }))
    }

    type ListResourceStream =
        futures::stream::Iter<std::vec::IntoIter<Result<pb::list_resource::Event, Status>>>;

    async fn list_resource(
        &self,
        request: Request<pb::list_resource::Request>,
    ) -> RpcResult<Self::ListResourceStream> {
        let event = pb::list_resource::Event {
            diagnostic: one(no_such_type(
                "list resource",
                &request.into_inner().type_name,
            )),
            ..Default::default()
        };
        Ok(Response::new(futures::stream::iter(vec![Ok(event)])))
    }

    async fn validate_list_resource_config(
        &self,
        request: Request<pb::validate_list_resource_config::Request>,
    ) -> RpcResult<pb::validate_list_resource_config::Response> {
        Ok(Response::new(pb::validate_list_resource_config::Response {
            diagnostics: one(no_such_type(
                "list resource",
                &request.into_inner().type_name,
            )),
        }))
    }

    async fn validate_state_store_config(
        &self,
        request: Request<pb::validate_state_store::Request>,
    ) -> RpcResult<pb::validate_state_store::Response> {
        Ok(Response::new(pb::validate_state_store::Response {
            diagnostics: one(no_such_type("state store", &request.into_inner().type_name)),
        }))
    }

    async fn configure_state_store(
        &self,
        request: Request<pb::configure_state_store::Request>,
    ) -> RpcResult<pb::configure_state_store::Response> {
        Ok(Response::new(pb::configure_state_store::Response {
            diagnostics: one(no_such_type("state store", &request.into_inner().type_name)),
            ..Default::default()
        }))
    }

    type ReadStateBytesStream = OneShot<pb::read_state_bytes::Response>;

    async fn read_state_bytes(
        &self,
        request: Request<pb::read_state_bytes::Request>,
    ) -> RpcResult<Self::ReadStateBytesStream> {
        let chunk = pb::read_state_bytes::Response {
            diagnostics: one(no_such_type("state store", &request.into_inner().type_name)),
            ..Default::default()
        };
        Ok(Response::new(futures::stream::iter(vec![Ok(chunk)])))
    }

    async fn write_state_bytes(
        &self,
        _request: Request<tonic::Streaming<pb::write_state_bytes::RequestChunk>>,
    ) -> RpcResult<pb::write_state_bytes::Response> {
        Ok(Response::new(pb::write_state_bytes::Response {
            diagnostics: one(no_such_type("state store", "(any)")),
        }))
    }

    async fn lock_state(
        &self,
        request: Request<pb::lock_state::Request>,
    ) -> RpcResult<pb::lock_state::Response> {
        Ok(Response::new(pb::lock_state::Response {
            diagnostics: one(no_such_type("state store", &request.into_inner().type_name)),
            ..Default::default()
        }))
    }

    async fn unlock_state(
        &self,
        request: Request<pb::unlock_state::Request>,
    ) -> RpcResult<pb::unlock_state::Response> {
        Ok(Response::new(pb::unlock_state::Response {
            diagnostics: one(no_such_type("state store", &request.into_inner().type_name)),
        }))
    }

    async fn get_states(
        &self,
        request: Request<pb::get_states::Request>,
    ) -> RpcResult<pb::get_states::Response> {
        Ok(Response::new(pb::get_states::Response {
            diagnostics: one(no_such_type("state store", &request.into_inner().type_name)),
            ..Default::default()
        }))
    }

    async fn delete_state(
        &self,
        request: Request<pb::delete_state::Request>,
    ) -> RpcResult<pb::delete_state::Response> {
        Ok(Response::new(pb::delete_state::Response {
            diagnostics: one(no_such_type("state store", &request.into_inner().type_name)),
        }))
    }

    async fn plan_action(
        &self,
        request: Request<pb::plan_action::Request>,
    ) -> RpcResult<pb::plan_action::Response> {
        Ok(Response::new(pb::plan_action::Response {
            diagnostics: one(no_such_type("action", &request.into_inner().action_type)),
            ..Default::default()
        }))
    }

    type InvokeActionStream = OneShot<pb::invoke_action::Event>;

    async fn invoke_action(
        &self,
        request: Request<pb::invoke_action::Request>,
    ) -> RpcResult<Self::InvokeActionStream> {
        let completed = pb::invoke_action::event::Completed {
            diagnostics: one(no_such_type("action", &request.into_inner().action_type)),
        };
        let event = pb::invoke_action::Event {
            r#type: Some(pb::invoke_action::event::Type::Completed(completed)),
        };
        Ok(Response::new(futures::stream::iter(vec![Ok(event)])))
    }

    async fn validate_action_config(
        &self,
        request: Request<pb::validate_action_config::Request>,
    ) -> RpcResult<pb::validate_action_config::Response> {
        Ok(Response::new(pb::validate_action_config::Response {
            diagnostics: one(no_such_type("action", &request.into_inner().type_name)),
        }))
    }

    async fn get_functions(
        &self,
        _request: Request<pb::get_functions::Request>,
    ) -> RpcResult<pb::get_functions::Response> {
        Ok(Response::new(pb::get_functions::Response::default()))
    }

    async fn call_function(
        &self,
        request: Request<pb::call_function::Request>,
    ) -> RpcResult<pb::call_function::Response> {
        Ok(Response::new(pb::call_function::Response {
            error: Some(pb::FunctionError {
                text: format!(
                    "this provider declares no function {:?}",
                    request.into_inner().name
                ),
                ..Default::default()
            }),
            ..Default::default()
        }))
    }

    async fn stop_provider(
        &self,
        _request: Request<pb::stop_provider::Request>,
    ) -> RpcResult<pb::stop_provider::Response> {
        if let Ok(mut token) = self.stop.lock() {
            token.cancel();
            *token = CancellationToken::new();
        }
        tracing::info!("StopProvider: cancelling work in flight");
        Ok(Response::new(pb::stop_provider::Response::default()))
    }
}
