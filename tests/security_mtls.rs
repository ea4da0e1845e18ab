//! The pinned client certificate, against impostors `tests/protocol.rs` does not try: a
//! certificate with the pinned one's exact subject, serial and names but another key, a
//! certificate the pinned one issued (it is a CA, as Terraform's is), and the pinned
//! certificate itself presented with a key that is not its own. Each is tried over TLS 1.3 and
//! TLS 1.2, beside a control that the genuine pair connects the same way.
//!
//! A client with no certificate at all is already covered by
//! `mtls_accepts_only_the_pinned_client_certificate`.

use std::sync::Arc;

use async_trait::async_trait;
use hyper_util::rt::TokioIo;
use rustls::client::ResolvesClientCert;
use rustls::sign::CertifiedKey;
use rustls::SignatureScheme;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tonic::transport::{Endpoint, Uri};

use terraform_provider_platform::framework::diag::Diagnostics;
use terraform_provider_platform::framework::provider::Provider;
use terraform_provider_platform::framework::resource::{DataSource, Resource};
use terraform_provider_platform::framework::schema::{Block, Schema};
use terraform_provider_platform::framework::value::Value;
use terraform_provider_platform::server::proto::tfplugin6 as pb;
use terraform_provider_platform::server::proto::tfplugin6::provider_client::ProviderClient;
use terraform_provider_platform::server::{serve_on, tls};

/// A provider with nothing in it: only the transport is under test.
struct Empty;

#[async_trait]
impl Provider for Empty {
    fn schema(&self) -> Schema {
        Schema::new(0, Block::new("empty"))
    }
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        Vec::new()
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    async fn configure(&self, _version: &str, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }
}

fn p521() -> rcgen::KeyPair {
    rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap()
}

fn pkcs8(key: &rcgen::KeyPair) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()))
}

/// Terraform's shape: ECDSA P-521, self-signed, CA:TRUE, SAN `localhost`, with a fixed
/// subject and serial so an impostor can copy them exactly.
fn pinned_params() -> rcgen::CertificateParams {
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "HashiCorp");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    params.serial_number = Some(rcgen::SerialNumber::from(vec![0x2a, 0x17, 0x05]));
    params
}

/// Presents `cert` and signs the handshake with `key`, whether or not they belong together
/// (rustls's own single-certificate resolver refuses a mismatched pair).
#[derive(Debug)]
struct Present(Arc<CertifiedKey>);

impl ResolvesClientCert for Present {
    fn resolve(&self, _hints: &[&[u8]], _schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
    fn has_certs(&self) -> bool {
        true
    }
}

fn presenting(cert: CertificateDer<'static>, key: &PrivateKeyDer<'static>) -> Present {
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let signer = provider
        .key_provider
        .load_private_key(key.clone_key())
        .unwrap();
    Present(Arc::new(CertifiedKey::new(vec![cert], signer)))
}

/// Connects with `client` over one TLS version and calls GetProviderSchema; true when the call
/// answers.
async fn answers(
    address: &str,
    server_cert: &CertificateDer<'static>,
    client: Present,
    version: &'static rustls::SupportedProtocolVersion,
) -> bool {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(server_cert.clone()).unwrap();
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[version])
        .unwrap()
        .with_root_certificates(roots)
        .with_client_cert_resolver(Arc::new(client));
    config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let address = address.to_string();
    let channel = Endpoint::from_static("http://localhost")
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
        .await;
    // With TLS 1.3 the client learns of a refused certificate only on its first request.
    match channel {
        Err(_) => false,
        Ok(channel) => ProviderClient::new(channel)
            .get_provider_schema(pb::get_provider_schema::Request {})
            .await
            .is_ok(),
    }
}

#[tokio::test]
async fn mtls_refuses_impostors_of_the_pinned_certificate() {
    let pinned_key = p521();
    let params = pinned_params();
    let pinned = params.self_signed(&pinned_key).unwrap().der().clone();

    let identity = tls::ServerIdentity::generate().unwrap();
    let config = tls::server_config(&identity, pinned.clone()).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        serve_on(listener, Some(config), Arc::new(Empty), stop)
            .await
            .unwrap()
    });

    // The same subject, serial, names and CA flag, another key.
    let twin_key = p521();
    let twin = params.self_signed(&twin_key).unwrap().der().clone();
    assert_ne!(twin, pinned);

    // Issued by the pinned certificate (a CA), with the pinned subject: a chain-validating
    // verifier would take it; a pinned one must not.
    let child_key = p521();
    let issuer = rcgen::Issuer::from_params(&params, &pinned_key);
    let mut child_params = pinned_params();
    child_params.is_ca = rcgen::IsCa::NoCa;
    child_params.serial_number = Some(rcgen::SerialNumber::from(vec![0x2a, 0x17, 0x06]));
    let child = child_params
        .signed_by(&child_key, &issuer)
        .unwrap()
        .der()
        .clone();

    // The genuine certificate, but the handshake signed by a key that is not its own.
    let stranger_key = p521();

    for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
        let v = format!("{:?}", version.version);
        let control = presenting(pinned.clone(), &pkcs8(&pinned_key));
        assert!(
            answers(&address, &identity.cert_der, control, version).await,
            "{v}: the pinned certificate with its own key must connect, or the refusals below prove nothing"
        );
        let impostors = [
            (
                "same subject and serial, another key",
                presenting(twin.clone(), &pkcs8(&twin_key)),
            ),
            (
                "issued by the pinned certificate",
                presenting(child.clone(), &pkcs8(&child_key)),
            ),
            (
                "the pinned certificate with another key",
                presenting(pinned.clone(), &pkcs8(&stranger_key)),
            ),
        ];
        for (what, client) in impostors {
            assert!(
                !answers(&address, &identity.cert_der, client, version).await,
                "{v}: a client presenting {what} was accepted"
            );
        }
    }
    shutdown.cancel();
}
