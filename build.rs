//! Compiles `proto/` with protox (pure Rust; no system `protoc`) and generates tonic code.
//!
//! protox ships the well-known types (`google/protobuf/empty.proto`, `timestamp.proto`);
//! prost maps them to `()` and `prost_types::Timestamp`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    // Only the plugin server (feature `sdk`) speaks the protocol.
    if std::env::var_os("CARGO_FEATURE_SDK").is_none() {
        return Ok(());
    }
    let descriptors = protox::compile(["tfplugin6.proto", "plugin.proto"], ["proto"])?;
    tonic_prost_build::configure()
        .build_server(true)
        // The clients drive the in-process protocol tests.
        .build_client(true)
        .compile_fds(descriptors)?;
    Ok(())
}
