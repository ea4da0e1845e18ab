//! A small typed framework over the plugin protocol: values, schemas, paths, diagnostics and the
//! resource trait. It knows nothing about AWS and never names a prost type.

pub mod diag;
pub mod path;
pub mod plan_modifier;
pub mod provider;
pub mod resource;
pub mod schema;
pub mod validator;
pub mod value;
