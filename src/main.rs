//! The provider binary: logs as hclog JSON on stderr, then serves the plugin protocol.

use std::sync::Arc;

fn main() {
    terraform_provider_platform::server::logging::init();
    let debug = std::env::args()
        .skip(1)
        .any(|a| a == "--debug" || a == "-debug");
    // One thread: the provider waits on AWS far more than it computes, and every extra worker
    // thread costs stack and an allocator arena of its own (peak memory).
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the async runtime: {error}");
            std::process::exit(1);
        }
    };
    let provider = Arc::new(terraform_provider_platform::provider::PlatformProvider::new());
    let result = runtime.block_on(terraform_provider_platform::server::serve(provider, debug));
    match result {
        Ok(()) => std::process::exit(0),
        Err(error) => {
            eprintln!("{error:#}");
            std::process::exit(1);
        }
    }
}
