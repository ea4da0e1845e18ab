//! The protocol edge: go-plugin handshake, AutoMTLS, and the gRPC services Terraform calls.
//!
//! Only this module names tonic or prost types. It converts requests into framework types,
//! calls the provider and converts back; user problems travel as diagnostics, never as gRPC
//! errors.

mod controller;
mod from_proto;
pub mod handshake;
pub mod logging;
pub mod proto;
mod provider_service;
pub mod tls;
mod to_proto;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;

use crate::framework::provider::Provider;

pub use provider_service::ProviderService;

/// The provider's source address, used in debug mode's reattach configuration.
pub const SOURCE_ADDRESS: &str = "example.local/acme/platform";

/// gRPC message limit, as terraform-plugin-go sets it: tonic's 4 MiB would reject big plans.
pub const MAX_MESSAGE_BYTES: usize = 256 << 20;

/// How long in-flight calls may finish after `Shutdown` before the process exits anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// How long a TLS handshake may take before the connection is dropped.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs the plugin as Terraform launches it (or, with `debug`, for reattaching).
///
/// # Errors
/// Start-up problems (no cookie, no common protocol version, no free port, bad client
/// certificate) are returned for `main` to print.
pub async fn serve(provider: Arc<dyn Provider>, debug: bool) -> anyhow::Result<()> {
    let env = |key: &str| std::env::var(key).ok();
    let shutdown = CancellationToken::new();
    if debug {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?.to_string();
        println!("Provider started in debug mode. To attach Terraform, run in your shell:\n");
        println!(
            "    export TF_REATTACH_PROVIDERS='{}'\n",
            handshake::reattach_config(SOURCE_ADDRESS, &address, std::process::id())
        );
        println!("Press Ctrl-C to stop.");
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            stop.cancel();
        });
        return serve_on(listener, None, provider, shutdown).await;
    }

    handshake::check_cookie(env(handshake::MAGIC_COOKIE_KEY).as_deref())?;
    let version = handshake::negotiate_version(env("PLUGIN_PROTOCOL_VERSIONS").as_deref())?;
    let (min, max) = handshake::port_range(
        env("PLUGIN_MIN_PORT").as_deref(),
        env("PLUGIN_MAX_PORT").as_deref(),
    );
    let listener = bind_in_range(min, max).await?;
    let address = listener.local_addr()?.to_string();

    let (tls, cert) = match env("PLUGIN_CLIENT_CERT").filter(|c| !c.trim().is_empty()) {
        Some(pem) => {
            let identity = tls::ServerIdentity::generate()?;
            let client = tls::parse_client_cert(&pem)?;
            let config = tls::server_config(&identity, client)?;
            (Some(config), Some(identity.cert_der.to_vec()))
        }
        None => (None, None),
    };

    // Ctrl-C reaches the whole process group; Terraform sends StopProvider instead.
    tokio::spawn(async {
        while tokio::signal::ctrl_c().await.is_ok() {
            tracing::debug!("ignoring SIGINT; Terraform stops providers through StopProvider");
        }
    });

    let line = handshake::handshake_line(version, &address, cert.as_deref());
    {
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{line}").context("writing the handshake line")?;
        stdout.flush().context("flushing the handshake line")?;
    }
    serve_on(listener, tls, provider, shutdown).await
}

async fn bind_in_range(min: u16, max: u16) -> anyhow::Result<TcpListener> {
    for port in min..=max {
        if let Ok(listener) = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await {
            return Ok(listener);
        }
    }
    anyhow::bail!("no free loopback port between {min} and {max}")
}

/// Serves the provider on `listener` until `shutdown` is cancelled (by `GRPCController.Shutdown`
/// or the caller). With `tls`, connections whose client certificate is not the pinned one are
/// refused during the handshake.
///
/// # Errors
/// Transport failures of the gRPC server.
pub async fn serve_on(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    provider: Arc<dyn Provider>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let provider_service =
        proto::tfplugin6::provider_server::ProviderServer::new(ProviderService::new(provider))
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let controller =
        proto::plugin::grpc_controller_server::GrpcControllerServer::new(controller::Controller {
            shutdown: shutdown.clone(),
        });
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;

    let router = tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(controller)
        .add_service(provider_service);

    let stopped = shutdown.clone();
    let serving = async move {
        match tls {
            None => {
                let incoming = futures::stream::unfold(listener, |listener| async move {
                    let next = accept(&listener).await.map(|(stream, _)| stream);
                    Some((next, listener))
                });
                router
                    .serve_with_incoming_shutdown(incoming, stopped.cancelled_owned())
                    .await
            }
            Some(config) => {
                let incoming = tls_incoming(listener, config, stopped.clone());
                router
                    .serve_with_incoming_shutdown(incoming, stopped.cancelled_owned())
                    .await
            }
        }
    };
    tokio::pin!(serving);
    tokio::select! {
        result = &mut serving => result.context("serving gRPC")?,
        () = shutdown.cancelled() => {
            // Let in-flight replies (the Shutdown answer itself) go out, but not for long.
            let _ = tokio::time::timeout(SHUTDOWN_GRACE, &mut serving).await;
        }
    }
    Ok(())
}

/// The next connection, set to send small frames at once. With Nagle's algorithm on, a TLS
/// handshake record or the HTTP/2 GOAWAY that ends a connection waits for the peer's delayed
/// ACK (~40 ms), and Terraform waits for the provider to exit after every command.
async fn accept(listener: &TcpListener) -> std::io::Result<(TcpStream, SocketAddr)> {
    let (stream, peer) = listener.accept().await?;
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "could not set TCP_NODELAY");
    }
    Ok((stream, peer))
}

/// Accepts TCP connections and completes TLS handshakes off the accept loop.
fn tls_incoming(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    shutdown: CancellationToken,
) -> ReceiverStream<Result<tls::TlsConnection, std::io::Error>> {
    let (sender, receiver) = tokio::sync::mpsc::channel(16);
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                accepted = accept(&listener) => accepted,
                () = shutdown.cancelled() => return,
            };
            let Ok((stream, peer)) = accepted else {
                continue;
            };
            let acceptor = acceptor.clone();
            let sender = sender.clone();
            tokio::spawn(async move {
                match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                    Ok(Ok(tls_stream)) => {
                        let _ = sender.send(Ok(tls::TlsConnection(tls_stream))).await;
                    }
                    Ok(Err(error)) => tracing::warn!(%peer, %error, "refused a TLS connection"),
                    Err(_) => tracing::warn!(%peer, "TLS handshake timed out"),
                }
            });
        }
    });
    ReceiverStream::new(receiver)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn accepted_connections_send_small_frames_at_once() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (accepted, client) = tokio::join!(accept(&listener), TcpStream::connect(address));
        let (stream, _) = accepted.unwrap();
        assert!(stream.nodelay().unwrap(), "Nagle's algorithm is off");
        drop(client);
    }
}
