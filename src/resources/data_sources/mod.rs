//! Data sources: read-only views for other stacks.

pub mod environment;
