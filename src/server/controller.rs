//! go-plugin's controller: `Shutdown` answers, then stops the server so the process exits
//! before Terraform's two-second kill.

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::proto::plugin::grpc_controller_server::GrpcController;
use super::proto::plugin::Empty;

pub struct Controller {
    /// Cancelled to stop serving; `serve` then returns and the process exits.
    pub shutdown: CancellationToken,
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _request: Request<Empty>) -> Result<Response<Empty>, Status> {
        tracing::debug!("shutdown requested by Terraform");
        self.shutdown.cancel();
        Ok(Response::new(Empty {}))
    }
}
