//! Tier defaults (PRODUCT.md §9). Every value can be overridden; `effective_config` shows the
//! resolved ones.

use super::spec::{NatMode, SubnetNewbits, Tier};

/// The defaults a tier implies for an environment's network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierDefaults {
    pub az_count: usize,
    pub nat_mode: NatMode,
    pub vpc_cidr: &'static str,
    pub newbits: SubnetNewbits,
    /// Days of log retention for the environment and its services.
    pub log_retention_days: u32,
    pub deletion_protection: bool,
    /// Days a deleted secret can be recovered; 0 deletes at once.
    pub secret_recovery_window_days: u32,
}

const NEWBITS: SubnetNewbits = SubnetNewbits {
    public: 8,
    private: 4,
    data: 8,
};

impl TierDefaults {
    pub fn for_tier(tier: Tier) -> TierDefaults {
        match tier {
            Tier::Dev => TierDefaults {
                az_count: 2,
                nat_mode: NatMode::Single,
                vpc_cidr: "10.0.0.0/16",
                newbits: NEWBITS,
                log_retention_days: 7,
                deletion_protection: false,
                secret_recovery_window_days: 0,
            },
            Tier::Staging => TierDefaults {
                az_count: 2,
                nat_mode: NatMode::Single,
                vpc_cidr: "10.0.0.0/16",
                newbits: NEWBITS,
                log_retention_days: 30,
                deletion_protection: false,
                secret_recovery_window_days: 7,
            },
            Tier::Prod => TierDefaults {
                az_count: 3,
                nat_mode: NatMode::PerAz,
                vpc_cidr: "10.0.0.0/16",
                newbits: NEWBITS,
                log_retention_days: 365,
                deletion_protection: true,
                secret_recovery_window_days: 30,
            },
        }
    }
}
