//! In-process protocol tests: the real server on loopback, a tonic client, real TLS.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use hyper_util::rt::TokioIo;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tonic::transport::{Channel, Endpoint, Uri};

use terraform_provider_platform::framework::diag::{Diagnostic, Diagnostics};
use terraform_provider_platform::framework::path::AttrPath;
use terraform_provider_platform::framework::plan_modifier::PlanModifier;
use terraform_provider_platform::framework::provider::Provider;
use terraform_provider_platform::framework::resource::*;
use terraform_provider_platform::framework::schema::{Attribute, Block, Schema};
use terraform_provider_platform::framework::validator::Validator;
use terraform_provider_platform::framework::value::{msgpack, Type, Value};
use terraform_provider_platform::provider::PlatformProvider;
use terraform_provider_platform::server::proto::plugin::grpc_controller_client::GrpcControllerClient;
use terraform_provider_platform::server::proto::tfplugin6 as pb;
use terraform_provider_platform::server::proto::tfplugin6::provider_client::ProviderClient;
use terraform_provider_platform::server::{serve_on, tls};

/// A resource with no AWS behind it: `id` is computed from `name`.
struct Echo;

fn echo_schema() -> Schema {
    Schema::new(
        0,
        Block::new("test")
            .attribute(
                Attribute::string("id")
                    .computed()
                    .modifier(PlanModifier::UseStateForUnknown),
            )
            .attribute(
                Attribute::string("name")
                    .required()
                    .modifier(PlanModifier::RequiresReplace),
            )
            .attribute(
                Attribute::number("size")
                    .optional()
                    .validate(Validator::IntBetween(1, 5)),
            ),
    )
}

#[async_trait]
impl Resource for Echo {
    fn type_name(&self) -> &'static str {
        "platform_echo"
    }
    fn schema(&self) -> Schema {
        echo_schema()
    }
    async fn plan(&self, _ctx: &Ctx, req: PlanRequest) -> PlanResponse {
        let mut planned = req.proposed_new_state;
        if req.prior_state.is_null() {
            planned.set("id", Value::Unknown);
        }
        PlanResponse {
            planned_state: planned,
            requires_replace: vec![],
            planned_private: req.prior_private,
            diagnostics: Diagnostics::new(),
        }
    }
    async fn create(&self, _ctx: &Ctx, req: ApplyRequest) -> ApplyResponse {
        let mut state = req.planned_state;
        let name = state.get("name").as_str().unwrap_or_default().to_string();
        state.set("id", Value::string(format!("echo-{name}")));
        ApplyResponse {
            new_state: state,
            private: b"ledger".to_vec(),
            diagnostics: Diagnostics::new(),
        }
    }
    async fn update(&self, _ctx: &Ctx, req: ApplyRequest) -> ApplyResponse {
        ApplyResponse {
            new_state: req.planned_state,
            private: req.planned_private,
            diagnostics: Diagnostics::new(),
        }
    }
    async fn delete(&self, _ctx: &Ctx, _req: ApplyRequest) -> ApplyResponse {
        ApplyResponse {
            new_state: Value::Null,
            private: vec![],
            diagnostics: Diagnostics::new(),
        }
    }
    async fn read(&self, _ctx: &Ctx, req: ReadRequest) -> ReadResponse {
        ReadResponse {
            new_state: req.current_state,
            private: req.private,
            diagnostics: Diagnostics::new(),
        }
    }
    async fn import(&self, _ctx: &Ctx, id: &str) -> ImportResponse {
        let mut state = Value::Object(BTreeMap::new());
        state.set("id", Value::string(id));
        state.set("name", Value::string(id.trim_start_matches("echo-")));
        ImportResponse {
            state,
            private: vec![],
            diagnostics: Diagnostics::new(),
        }
    }
}

struct EchoProvider;

#[async_trait]
impl Provider for EchoProvider {
    fn schema(&self) -> Schema {
        Schema::new(0, Block::new("p"))
    }
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(Echo)]
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![]
    }
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    async fn configure(&self, _v: &str, _c: &Value) -> Diagnostics {
        let _ = Diagnostic::warning("unused", "");
        Diagnostics::new()
    }
}

async fn start(
    provider: Arc<dyn Provider>,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> (String, CancellationToken) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move { serve_on(listener, tls, provider, stop).await.unwrap() });
    (address, shutdown)
}

async fn plaintext_channel(address: &str) -> Channel {
    Endpoint::from_shared(format!("http://{address}"))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

fn dv(value: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: msgpack::encode(value, ty),
        json: vec![],
    })
}

fn obj(pairs: &[(&str, Value)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

#[tokio::test]
async fn schema_plan_apply_import_upgrade_over_a_real_channel() {
    let (address, shutdown) = start(Arc::new(EchoProvider), None).await;
    let mut client = ProviderClient::new(plaintext_channel(&address).await);
    let ty = echo_schema().value_type();

    let schema = client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(schema.provider.is_some());
    let echo = &schema.resource_schemas["platform_echo"];
    let names: Vec<_> = echo
        .block
        .as_ref()
        .unwrap()
        .attributes
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["id", "name", "size"]);

    // Validation names the attribute.
    let bad = obj(&[
        ("id", Value::Null),
        ("name", Value::string("x")),
        ("size", Value::int(9)),
    ]);
    let v = client
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "platform_echo".into(),
            config: dv(&bad, &ty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v.diagnostics.len(), 1);
    let step = &v.diagnostics[0].attribute.as_ref().unwrap().steps[0];
    assert_eq!(
        step.selector,
        Some(pb::attribute_path::step::Selector::AttributeName(
            "size".into()
        ))
    );

    // Plan a create: id unknown.
    let config = obj(&[
        ("id", Value::Null),
        ("name", Value::string("a")),
        ("size", Value::int(2)),
    ]);
    let plan = client
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "platform_echo".into(),
            prior_state: dv(&Value::Null, &ty),
            proposed_new_state: dv(&config, &ty),
            config: dv(&config, &ty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(plan.diagnostics.is_empty());
    let planned = msgpack::decode(&plan.planned_state.unwrap().msgpack, &ty).unwrap();
    assert_eq!(planned.get("id"), &Value::Unknown);

    // Apply it.
    let applied = client
        .apply_resource_change(pb::apply_resource_change::Request {
            type_name: "platform_echo".into(),
            prior_state: dv(&Value::Null, &ty),
            planned_state: dv(&planned, &ty),
            config: dv(&config, &ty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let state = msgpack::decode(&applied.new_state.unwrap().msgpack, &ty).unwrap();
    assert_eq!(state.get("id"), &Value::string("echo-a"));
    assert_eq!(applied.private, b"ledger");

    // Renaming requires replacement; id keeps its state value through UseStateForUnknown.
    let renamed = obj(&[
        ("id", Value::Unknown),
        ("name", Value::string("b")),
        ("size", Value::int(2)),
    ]);
    let replan = client
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "platform_echo".into(),
            prior_state: dv(&state, &ty),
            proposed_new_state: dv(&renamed, &ty),
            config: dv(&renamed, &ty),
            prior_private: b"ledger".to_vec(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(replan.requires_replace.len(), 1);
    assert_eq!(replan.planned_private, b"ledger");

    // Import then upgrade of pretty-printed raw state.
    let imported = client
        .import_resource_state(pb::import_resource_state::Request {
            type_name: "platform_echo".into(),
            id: "echo-z".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(imported.imported_resources.len(), 1);
    assert_eq!(imported.imported_resources[0].type_name, "platform_echo");
    let upgraded = client
        .upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: "platform_echo".into(),
            version: 0,
            raw_state: Some(pb::RawState {
                json: b"{\n  \"id\": \"echo-a\",\n  \"name\": \"a\"\n}".to_vec(),
                flatmap: Default::default(),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let up = msgpack::decode(&upgraded.upgraded_state.unwrap().msgpack, &ty).unwrap();
    assert_eq!(up.get("name"), &Value::string("a"));
    assert_eq!(up.get("size"), &Value::Null);

    // Unknown types get a diagnostic, not a gRPC error.
    let unknown = client
        .read_resource(pb::read_resource::Request {
            type_name: "platform_nope".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(unknown.diagnostics[0].summary, "Unknown resource type");

    // Calls newer Terraform makes get real answers.
    client
        .get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {})
        .await
        .unwrap();
    client
        .get_functions(pb::get_functions::Request {})
        .await
        .unwrap();
    let stop = client
        .stop_provider(pb::stop_provider::Request {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stop.error, "");
    // The server keeps serving after StopProvider.
    client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap();

    // Shutdown answers and stops the server.
    let mut controller = GrpcControllerClient::new(plaintext_channel(&address).await);
    controller
        .shutdown(terraform_provider_platform::server::proto::plugin::Empty {})
        .await
        .unwrap();
    assert!(shutdown.is_cancelled());
}

#[tokio::test]
async fn platform_provider_schema_and_bad_config_diagnostics() {
    let (address, _shutdown) = start(Arc::new(PlatformProvider::new()), None).await;
    let mut client = ProviderClient::new(plaintext_channel(&address).await);
    let schema = client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(schema.resource_schemas.contains_key("platform_environment"));
    let provider_schema = terraform_provider_platform::framework::provider::Provider::schema(
        &PlatformProvider::new(),
    );
    let ty = provider_schema.value_type();
    let mut config = obj(&[
        ("region", Value::string("nowhere")),
        ("access_key", Value::string("AKIA")),
    ]);
    config.set("max_retries", Value::int(1000));
    let response = client
        .validate_provider_config(pb::validate_provider_config::Request {
            config: dv(&config, &ty),
        })
        .await
        .unwrap()
        .into_inner();
    let mut paths: Vec<String> = response
        .diagnostics
        .iter()
        .map(|d| {
            match d
                .attribute
                .as_ref()
                .and_then(|a| a.steps.first())
                .and_then(|s| s.selector.clone())
            {
                Some(pb::attribute_path::step::Selector::AttributeName(n)) => n,
                _ => String::new(),
            }
        })
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        ["max_retries", "region", "secret_key"],
        "{:?}",
        response.diagnostics
    );
    let _ = AttrPath::root();
}

/// A certificate shaped like Terraform's: ECDSA P-521, self-signed, CA:TRUE.
fn terraform_like_client_cert() -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    (
        cert.der().clone(),
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
}

async fn tls_channel(
    address: String,
    server_cert: CertificateDer<'static>,
    client: Option<(CertificateDer<'static>, PrivateKeyDer<'static>)>,
) -> Result<Channel, tonic::transport::Error> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(server_cert).unwrap();
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let mut config = match client {
        Some((cert, key)) => builder.with_client_auth_cert(vec![cert], key).unwrap(),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let connector = connector.clone();
            let address = address.clone();
            async move {
                let tcp = TcpStream::connect(address).await?;
                let tls = connector
                    .connect(ServerName::try_from("localhost").unwrap(), tcp)
                    .await?;
                Ok::<_, std::io::Error>(TokioIo::new(tls))
            }
        }))
        .await
}

#[tokio::test]
async fn mtls_accepts_only_the_pinned_client_certificate() {
    let (pinned_cert, pinned_key) = terraform_like_client_cert();
    let identity = tls::ServerIdentity::generate().unwrap();
    let config = tls::server_config(&identity, pinned_cert.clone()).unwrap();
    assert_eq!(config.alpn_protocols, vec![b"h2".to_vec()]);
    let (address, _shutdown) = start(Arc::new(EchoProvider), Some(config)).await;

    // The pinned certificate works.
    let channel = tls_channel(
        address.clone(),
        identity.cert_der.clone(),
        Some((pinned_cert, pinned_key)),
    )
    .await
    .unwrap();
    let mut client = ProviderClient::new(channel);
    client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap();

    // Another certificate of the same shape is refused.
    let other = terraform_like_client_cert();
    let refused = match tls_channel(address.clone(), identity.cert_der.clone(), Some(other)).await {
        Err(_) => true,
        Ok(channel) => ProviderClient::new(channel)
            .get_provider_schema(pb::get_provider_schema::Request {})
            .await
            .is_err(),
    };
    assert!(refused, "a foreign client certificate must be refused");

    // No certificate at all is refused.
    let refused = match tls_channel(address.clone(), identity.cert_der.clone(), None).await {
        Err(_) => true,
        Ok(channel) => ProviderClient::new(channel)
            .get_provider_schema(pb::get_provider_schema::Request {})
            .await
            .is_err(),
    };
    assert!(refused, "a client without a certificate must be refused");

    // Plaintext is refused too.
    let plain = Endpoint::from_shared(format!("http://{address}"))
        .unwrap()
        .connect()
        .await;
    let refused = match plain {
        Err(_) => true,
        Ok(channel) => ProviderClient::new(channel)
            .get_provider_schema(pb::get_provider_schema::Request {})
            .await
            .is_err(),
    };
    assert!(refused, "plaintext must be refused when TLS is on");
}
