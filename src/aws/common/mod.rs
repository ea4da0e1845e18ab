//! Plumbing every kind shares, written once: the shared reads, ownership tags and adoption,
//! polling with one back-off policy, tag conversion, and turning IDs back into node keys.

pub mod reads;

#[cfg(feature = "sdk")]
pub mod ecs;
#[cfg(feature = "sdk")]
pub mod elasticache;
#[cfg(feature = "sdk")]
pub mod elbv2;
#[cfg(feature = "sdk")]
pub mod eni;
#[cfg(feature = "sdk")]
pub mod keys;
#[cfg(feature = "sdk")]
pub mod ownership;
#[cfg(feature = "sdk")]
pub mod poll;
#[cfg(feature = "sdk")]
pub mod rds;
#[cfg(feature = "sdk")]
pub mod subnet_group;
#[cfg(feature = "sdk")]
pub mod tags;
