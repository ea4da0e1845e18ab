//! Tier defaults (overview: docs/design/tiers.md). Every value can be overridden; `effective_config` shows the
//! resolved ones.

use super::spec::{
    AzChoice, CapacitySpec, ClusterSpec, EndpointPreset, EndpointsSpec, EnvironmentSpec,
    FlowLogsSpec, IngressSpec, Ipv4Cidr, LoggingSpec, NatMode, NetworkSpec, SubnetNewbits, Tier,
    DEFAULT_TLS_POLICY,
};

/// The defaults a tier implies for an environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierDefaults {
    pub az_count: usize,
    pub nat_mode: NatMode,
    pub vpc_cidr: &'static str,
    pub newbits: SubnetNewbits,
    pub endpoint_preset: EndpointPreset,
    pub flow_logs_enabled: bool,
    pub flow_logs_traffic_type: &'static str,
    pub flow_logs_retention_days: u32,
    /// Days of log retention for the environment and its services.
    pub log_retention_days: u32,
    pub container_insights: &'static str,
    pub capacity: CapacitySpec,
    pub deletion_protection: bool,
    /// Days a deleted secret can be recovered; 0 deletes at once.
    pub secret_recovery_window_days: u32,
}

const NEWBITS: SubnetNewbits = SubnetNewbits {
    public: 8,
    private: 4,
    data: 8,
};

const DEFAULT_CIDR: &str = "10.0.0.0/16";

impl TierDefaults {
    pub fn for_tier(tier: Tier) -> TierDefaults {
        match tier {
            Tier::Dev => TierDefaults {
                az_count: 2,
                nat_mode: NatMode::Single,
                vpc_cidr: DEFAULT_CIDR,
                newbits: NEWBITS,
                endpoint_preset: EndpointPreset::Gateway,
                flow_logs_enabled: false,
                flow_logs_traffic_type: "REJECT",
                flow_logs_retention_days: 30,
                log_retention_days: 7,
                container_insights: "disabled",
                capacity: CapacitySpec {
                    fargate_weight: 0,
                    spot_weight: 1,
                    base: 0,
                },
                deletion_protection: false,
                secret_recovery_window_days: 0,
            },
            Tier::Staging => TierDefaults {
                az_count: 2,
                nat_mode: NatMode::Single,
                vpc_cidr: DEFAULT_CIDR,
                newbits: NEWBITS,
                endpoint_preset: EndpointPreset::Gateway,
                flow_logs_enabled: true,
                flow_logs_traffic_type: "REJECT",
                flow_logs_retention_days: 30,
                log_retention_days: 30,
                container_insights: "enabled",
                capacity: CapacitySpec {
                    fargate_weight: 1,
                    spot_weight: 1,
                    base: 1,
                },
                deletion_protection: false,
                secret_recovery_window_days: 7,
            },
            Tier::Prod => TierDefaults {
                az_count: 3,
                nat_mode: NatMode::PerAz,
                vpc_cidr: DEFAULT_CIDR,
                newbits: NEWBITS,
                endpoint_preset: EndpointPreset::Essential,
                flow_logs_enabled: true,
                flow_logs_traffic_type: "ALL",
                flow_logs_retention_days: 365,
                log_retention_days: 365,
                container_insights: "enhanced",
                capacity: CapacitySpec {
                    fargate_weight: 1,
                    spot_weight: 0,
                    base: 0,
                },
                deletion_protection: true,
                secret_recovery_window_days: 30,
            },
        }
    }

    /// An environment with every setting at this tier's default; overrides are applied on
    /// top by the resource's configuration parser.
    pub fn environment(&self, name: &str, tier: Tier) -> EnvironmentSpec {
        EnvironmentSpec {
            name: name.to_string(),
            tier,
            deletion_protection: self.deletion_protection,
            secret_recovery_window_days: self.secret_recovery_window_days,
            network: NetworkSpec {
                cidr: Ipv4Cidr::parse(self.vpc_cidr).unwrap_or(Ipv4Cidr {
                    addr: 0x0a00_0000,
                    prefix: 16,
                }),
                azs: AzChoice::Count(self.az_count),
                newbits: self.newbits,
                nat_mode: self.nat_mode,
                allow_no_egress: false,
                endpoints: EndpointsSpec {
                    preset: self.endpoint_preset,
                    extra: Vec::new(),
                },
                flow_logs: FlowLogsSpec {
                    enabled: self.flow_logs_enabled,
                    traffic_type: self.flow_logs_traffic_type.to_string(),
                    retention_days: self.flow_logs_retention_days,
                },
            },
            cluster: ClusterSpec {
                container_insights: self.container_insights.to_string(),
                capacity: self.capacity,
            },
            logging: LoggingSpec {
                retention_days: self.log_retention_days,
                kms_key_arn: None,
            },
            ingress: None,
            service_discovery: None,
            tags: Default::default(),
            written: String::new(),
        }
    }
}

/// An ingress block with every default; `domain` or `certificate_arn` comes from the user.
pub fn ingress_defaults() -> IngressSpec {
    IngressSpec {
        internal: false,
        domain: None,
        additional_domains: Vec::new(),
        certificate_arn: None,
        tls_policy: DEFAULT_TLS_POLICY.to_string(),
        http_to_https: true,
        idle_timeout_seconds: 60,
        allowed_cidrs: vec!["0.0.0.0/0".to_string()],
        drop_invalid_headers: true,
    }
}

/// Tier defaults of `platform_service`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceDefaults {
    pub desired_count: u32,
    pub min: u32,
    pub max: u32,
    pub cpu_target: u32,
    pub min_healthy_percent: u32,
    pub max_percent: u32,
    pub deregistration_delay: u32,
    pub grace_period: u32,
    pub exec_enabled: bool,
}

/// Tier defaults of `platform_database`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatabaseDefaults {
    pub engine_version: &'static str,
    pub instance_class: &'static str,
    pub multi_az: bool,
    pub allocated_gib: u32,
    pub max_allocated_gib: u32,
    pub backup_retention_days: u32,
    pub deletion_protection: bool,
    pub final_snapshot: bool,
    pub performance_insights: bool,
    pub apply_immediately: bool,
}

/// Tier defaults of `platform_cache`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheDefaults {
    pub engine: &'static str,
    pub engine_version: &'static str,
    pub node_type: &'static str,
    pub replicas: u32,
    pub multi_az: bool,
    pub snapshot_retention_days: u32,
    pub final_snapshot: bool,
}

/// Tier defaults of `platform_bucket`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketDefaults {
    pub versioning: bool,
    pub noncurrent_days: u32,
    pub abort_multipart_days: u32,
}

impl BucketDefaults {
    pub fn for_tier(tier: Tier) -> BucketDefaults {
        BucketDefaults {
            versioning: tier != Tier::Dev,
            noncurrent_days: match tier {
                Tier::Dev => 7,
                Tier::Staging => 30,
                Tier::Prod => 90,
            },
            abort_multipart_days: 7,
        }
    }
}

/// Tier defaults of `platform_queue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueDefaults {
    pub retention_days: u32,
    pub max_receives: u32,
    pub visibility_timeout: u32,
}

impl QueueDefaults {
    pub fn for_tier(tier: Tier) -> QueueDefaults {
        QueueDefaults {
            retention_days: match tier {
                Tier::Dev => 4,
                Tier::Staging => 7,
                Tier::Prod => 14,
            },
            max_receives: 5,
            visibility_timeout: 30,
        }
    }
}

impl ServiceDefaults {
    pub fn for_tier(tier: Tier) -> ServiceDefaults {
        let (desired_count, min, max, cpu_target) = match tier {
            Tier::Dev => (1, 1, 2, 70),
            Tier::Staging => (1, 1, 4, 70),
            Tier::Prod => (2, 2, 10, 60),
        };
        ServiceDefaults {
            desired_count,
            min,
            max,
            cpu_target,
            min_healthy_percent: if tier == Tier::Dev { 0 } else { 100 },
            max_percent: 200,
            deregistration_delay: if tier == Tier::Dev { 5 } else { 30 },
            grace_period: if tier == Tier::Dev { 30 } else { 60 },
            exec_enabled: tier != Tier::Prod,
        }
    }
}

impl DatabaseDefaults {
    pub fn for_tier(tier: Tier) -> DatabaseDefaults {
        match tier {
            Tier::Dev => DatabaseDefaults {
                engine_version: "17",
                instance_class: "db.t4g.micro",
                multi_az: false,
                allocated_gib: 20,
                max_allocated_gib: 50,
                backup_retention_days: 1,
                deletion_protection: false,
                final_snapshot: false,
                performance_insights: false,
                apply_immediately: true,
            },
            Tier::Staging => DatabaseDefaults {
                engine_version: "17",
                instance_class: "db.t4g.medium",
                multi_az: false,
                allocated_gib: 50,
                max_allocated_gib: 200,
                backup_retention_days: 7,
                deletion_protection: true,
                final_snapshot: true,
                performance_insights: true,
                apply_immediately: true,
            },
            Tier::Prod => DatabaseDefaults {
                engine_version: "17",
                instance_class: "db.m7g.large",
                multi_az: true,
                allocated_gib: 100,
                max_allocated_gib: 1000,
                backup_retention_days: 35,
                deletion_protection: true,
                final_snapshot: true,
                performance_insights: true,
                apply_immediately: false,
            },
        }
    }
}

impl CacheDefaults {
    pub fn for_tier(tier: Tier) -> CacheDefaults {
        let (node_type, replicas, multi_az, snapshot_retention_days) = match tier {
            Tier::Dev => ("cache.t4g.micro", 0, false, 0),
            Tier::Staging => ("cache.t4g.small", 1, false, 1),
            Tier::Prod => ("cache.m7g.large", 2, true, 7),
        };
        CacheDefaults {
            engine: "valkey",
            engine_version: "8",
            node_type,
            replicas,
            multi_az,
            snapshot_retention_days,
            final_snapshot: tier != Tier::Dev,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::spec::validate_environment;

    #[test]
    fn every_tier_default_is_valid() {
        for tier in [Tier::Dev, Tier::Staging, Tier::Prod] {
            let spec = TierDefaults::for_tier(tier).environment("env1", tier);
            let diags = validate_environment(&spec);
            assert!(diags.is_empty(), "{tier:?}: {diags:?}");
            assert_eq!(spec.network.cidr.to_string(), DEFAULT_CIDR);
        }
    }
}
