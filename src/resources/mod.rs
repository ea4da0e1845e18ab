//! Thin adapters from Terraform resources to the pure engine (`plan`) and the executor
//! (`apply` over `aws`). They turn configuration into specs with attribute-path diagnostics and
//! ledgers into state; they make no decisions about AWS.

pub mod app;
pub mod configured;
pub mod data_sources;
pub mod environment;
pub mod facts;
pub mod ids;
pub mod run;
pub mod tags;
pub mod timeouts;
