//! Expansion of `platform_cache`: its security group, the auth-token secret, the
//! replication group and the connection secret services read.

use std::collections::BTreeMap;

use crate::aws::ec2::security_group::SecurityGroupSpec;
use crate::aws::elasticache::replication_group::ReplicationGroupSpec;
use crate::aws::secretsmanager::secret::{SecretContent, SecretSpec};
use crate::plan::app::{CacheSpec, EnvironmentFacts};
use crate::plan::node::{ChildSpec, Kind, Node, NodeKey, Tags};

use super::naming::{child_tags, fit};
use super::AppGraph;

pub const CACHE_PORT: i32 = 6379;
/// Characters of the generated auth token (ElastiCache allows 16–128).
pub const AUTH_TOKEN_LENGTH: u32 = 64;

pub fn security_group_key() -> NodeKey {
    NodeKey::new(Kind::SecurityGroup, &["cache"])
}
pub fn replication_group_key() -> NodeKey {
    NodeKey::new(Kind::ReplicationGroup, &["main"])
}
pub fn auth_token_key() -> NodeKey {
    NodeKey::new(Kind::Secret, &["auth_token"])
}
pub fn connection_secret_key() -> NodeKey {
    NodeKey::new(Kind::Secret, &["connection"])
}

pub fn connection_secret_name(env: &str, name: &str) -> String {
    format!("platform/{env}/cache/{name}")
}

pub fn security_group_name(env: &str, name: &str) -> String {
    format!("{env}-cache-{name}")
}

pub fn replication_group_id(env: &str, name: &str) -> String {
    fit(&format!("{env}-{name}"), 40)
}

/// The version ElastiCache takes for a major: from 7 on it wants major.minor, and it keeps
/// patch versions current itself.
pub fn aws_engine_version(engine: &str, major: &str) -> String {
    match (engine, major) {
        ("valkey", "8") => "8.0",
        ("valkey", "7") => "7.2",
        ("redis", "7") => "7.1",
        ("redis", "6") => "6.2",
        (_, other) => other,
    }
    .to_string()
}

fn tags(spec: &CacheSpec, key: &NodeKey, name: &str) -> Tags {
    child_tags(&spec.tags, &spec.owner(), key, name)
}

pub fn expand_cache(spec: &CacheSpec, env: &EnvironmentFacts) -> AppGraph {
    let mut nodes = BTreeMap::new();
    let mut add = |key: NodeKey, child: ChildSpec| {
        nodes.insert(key.clone(), Node { key, spec: child });
    };
    let display = format!("{}-cache-{}", spec.environment, spec.name);
    let group = security_group_key();
    add(
        group.clone(),
        ChildSpec::SecurityGroup(SecurityGroupSpec {
            vpc: NodeKey::new(Kind::Vpc, &[]),
            name: security_group_name(&spec.environment, &spec.name),
            description: format!(
                "Cache {}: Redis protocol only from the services given access",
                spec.name
            ),
            tags: tags(spec, &group, &display),
        }),
    );
    let token = auth_token_key();
    let secret_name = connection_secret_name(&spec.environment, &spec.name);
    add(
        token.clone(),
        ChildSpec::Secret(SecretSpec {
            name: format!("{secret_name}/auth-token"),
            description: format!("Auth token of cache {}", spec.name),
            kms_key_arn: None,
            content: SecretContent::RandomToken {
                length: AUTH_TOKEN_LENGTH,
            },
            in_sync: true,
            recovery_window_days: spec.secret_recovery_window_days,
            tags: tags(spec, &token, &display),
        }),
    );
    let group_key = replication_group_key();
    let subnet_group = NodeKey::new(Kind::CacheSubnetGroup, &[]);
    add(
        group_key.clone(),
        ChildSpec::ReplicationGroup(ReplicationGroupSpec {
            id: replication_group_id(&spec.environment, &spec.name),
            description: format!("Cache {} of environment {}", spec.name, spec.environment),
            engine: spec.engine.clone(),
            engine_version: aws_engine_version(&spec.engine, &spec.engine_version),
            node_type: spec.node_type.clone(),
            replicas: spec.replicas,
            multi_az: spec.multi_az,
            automatic_failover: spec.multi_az,
            subnet_group: subnet_group.clone(),
            security_groups: vec![group],
            kms_key_arn: spec.kms_key_arn.clone(),
            auth_token: token.clone(),
            port: CACHE_PORT,
            snapshot_retention_days: spec.snapshot_retention_days,
            snapshot_window: spec.snapshot_window.clone(),
            maintenance_window: spec.maintenance_window.clone(),
            final_snapshot: spec.final_snapshot,
            tags: tags(spec, &group_key, &display),
        }),
    );
    let secret = connection_secret_key();
    add(
        secret.clone(),
        ChildSpec::Secret(SecretSpec {
            name: secret_name,
            description: format!("Connection to cache {} (REDIS_URL for services)", spec.name),
            kms_key_arn: None,
            content: SecretContent::CacheConnection {
                replication_group: group_key,
                auth_token: token,
            },
            in_sync: true,
            recovery_window_days: spec.secret_recovery_window_days,
            tags: tags(spec, &secret, &display),
        }),
    );
    let external = env.references(&[NodeKey::new(Kind::Vpc, &[]), subnet_group]);
    AppGraph { nodes, external }
}
