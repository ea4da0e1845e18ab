//! Expansion of `platform_database`: its security group, parameter group, the RDS instance
//! and the connection secret services read.

use std::collections::BTreeMap;

use crate::aws::ec2::security_group::SecurityGroupSpec;
use crate::aws::rds::db_instance::DbInstanceSpec;
use crate::aws::rds::db_parameter_group::DbParameterGroupSpec;
use crate::aws::secretsmanager::secret::{SecretContent, SecretSpec};
use crate::plan::app::{DatabaseSpec, EnvironmentFacts};
use crate::plan::node::{ChildSpec, Kind, Node, NodeKey, Tags};

use super::naming::{child_tags, fit};
use super::AppGraph;

pub fn security_group_key() -> NodeKey {
    NodeKey::new(Kind::SecurityGroup, &["database"])
}
pub fn instance_key() -> NodeKey {
    NodeKey::new(Kind::DbInstance, &["main"])
}
pub fn connection_secret_key() -> NodeKey {
    NodeKey::new(Kind::Secret, &["connection"])
}
/// Keyed by family, so a major upgrade makes the new group before the old one goes.
pub fn parameter_group_key(family: &str) -> NodeKey {
    NodeKey::new(Kind::DbParameterGroup, &[family])
}

pub fn connection_secret_name(env: &str, name: &str) -> String {
    format!("platform/{env}/database/{name}")
}

pub fn security_group_name(env: &str, name: &str) -> String {
    format!("{env}-db-{name}")
}

pub fn instance_identifier(env: &str, name: &str) -> String {
    fit(&format!("{env}-{name}"), 63)
}

/// `rds.force_ssl = 1` unless the user says otherwise.
pub fn parameters(spec: &DatabaseSpec) -> BTreeMap<String, String> {
    let mut params = BTreeMap::from([("rds.force_ssl".to_string(), "1".to_string())]);
    params.extend(spec.parameters.clone());
    params
}

fn tags(spec: &DatabaseSpec, key: &NodeKey, name: &str) -> Tags {
    child_tags(&spec.tags, &spec.owner(), key, name)
}

pub fn expand_database(spec: &DatabaseSpec, env: &EnvironmentFacts) -> AppGraph {
    let mut nodes = BTreeMap::new();
    let mut add = |key: NodeKey, child: ChildSpec| {
        nodes.insert(key.clone(), Node { key, spec: child });
    };
    let display = format!("{}-db-{}", spec.environment, spec.name);
    let group = security_group_key();
    add(
        group.clone(),
        ChildSpec::SecurityGroup(SecurityGroupSpec {
            vpc: NodeKey::new(Kind::Vpc, &[]),
            name: security_group_name(&spec.environment, &spec.name),
            description: format!(
                "Database {}: PostgreSQL only from the services given access",
                spec.name
            ),
            tags: tags(spec, &group, &display),
        }),
    );
    let family = format!("postgres{}", spec.major());
    let pg = parameter_group_key(&family);
    add(
        pg.clone(),
        ChildSpec::DbParameterGroup(DbParameterGroupSpec {
            name: fit(&format!("{}-{}-{family}", spec.environment, spec.name), 255),
            family,
            description: format!("Parameters of database {}", spec.name),
            parameters: parameters(spec),
            tags: tags(spec, &pg, &display),
        }),
    );
    let instance = instance_key();
    let subnet_group = NodeKey::new(Kind::DbSubnetGroup, &[]);
    add(
        instance.clone(),
        ChildSpec::DbInstance(DbInstanceSpec {
            identifier: instance_identifier(&spec.environment, &spec.name),
            engine: spec.engine.clone(),
            engine_version: spec.engine_version.clone(),
            allow_major_version_upgrade: spec.allow_major_version_upgrade,
            instance_class: spec.instance_class.clone(),
            database_name: spec.database_name.clone(),
            master_username: spec.master_username.clone(),
            subnet_group: subnet_group.clone(),
            security_groups: vec![group],
            parameter_group: pg,
            multi_az: spec.multi_az,
            storage_type: spec.storage.storage_type.clone(),
            allocated_gib: spec.storage.allocated_gib,
            max_allocated_gib: spec.storage.max_allocated_gib,
            iops: spec.storage.iops,
            kms_key_arn: spec.kms_key_arn.clone(),
            backup_retention_days: spec.backup_retention_days,
            backup_window: spec.backup_window.clone(),
            maintenance_window: spec.maintenance_window.clone(),
            deletion_protection: spec.deletion_protection,
            final_snapshot: spec.final_snapshot,
            performance_insights: spec.performance_insights,
            log_exports: spec.log_exports.clone(),
            apply_immediately: spec.apply_immediately,
            extended_support: spec.extended_support,
            tags: tags(spec, &instance, &display),
        }),
    );
    let secret = connection_secret_key();
    add(
        secret.clone(),
        ChildSpec::Secret(SecretSpec {
            name: connection_secret_name(&spec.environment, &spec.name),
            description: format!(
                "Connection to database {} (DATABASE_URL for services)",
                spec.name
            ),
            kms_key_arn: None,
            content: SecretContent::DatabaseConnection {
                instance,
                database_name: spec.database_name.clone(),
            },
            in_sync: true,
            recovery_window_days: spec.secret_recovery_window_days,
            tags: tags(spec, &secret, &display),
        }),
    );
    let external = env.references(&[NodeKey::new(Kind::Vpc, &[]), subnet_group]);
    AppGraph { nodes, external }
}
