//! RDS kinds, one module each (sections as in `aws::ec2`).

pub mod db_instance;
pub mod db_parameter_group;
pub mod db_subnet_group;
