//! ElastiCache kinds, one module each (sections as in `aws::ec2`).

pub mod cache_subnet_group;
pub mod replication_group;
