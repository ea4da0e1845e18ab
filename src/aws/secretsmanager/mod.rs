//! Secrets Manager kinds, one module each (sections as in `aws::ec2`).

pub mod secret;
