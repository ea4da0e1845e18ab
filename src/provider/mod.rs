//! The `provider "platform"`: its block (`block`, pure) and, with the SDK, the provider that
//! serves the resources (`platform`).

pub mod block;
#[cfg(feature = "sdk")]
mod platform;

#[cfg(feature = "sdk")]
pub use platform::PlatformProvider;
