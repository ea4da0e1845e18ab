//! Application Auto Scaling kinds, one module each (sections as in `aws::ec2`).

pub mod scalable_target;
pub mod scaling_policy;
