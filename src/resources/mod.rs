//! Thin adapters from Terraform resources to the pure engine (`plan`) and the executor
//! (`apply` over `aws`). They turn configuration into specs with attribute-path diagnostics and
//! ledgers into state; they make no decisions about AWS.
//!
//! Schemas, typed models and validation build without the SDK (feature `sdk` off); the
//! adapters and what they share once configured need it.

pub mod app;
#[cfg(feature = "sdk")]
pub mod configured;
pub mod data_sources;
pub mod environment;
#[cfg(feature = "sdk")]
pub mod facts;
pub mod ids;
pub mod provider_config;
#[cfg(feature = "sdk")]
pub mod run;
pub mod tags;
pub mod timeouts;
