//! ECS kinds, one module each (sections as in `aws::ec2`).

pub mod cluster;
pub mod service;
pub mod task_definition;
