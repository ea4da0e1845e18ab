//! The facts an app resource needs of its environment, from one cheap lookup.
//!
//! The lookup finds the environment's VPC by its ownership tags, recovers the configuration
//! recorded on it (so tier defaults and settings are the environment's own), and reads the IDs
//! of the objects apps refer to. Every call goes through the environment's shared reads: within
//! one provider process (one Terraform command) the facts are read once and shared by every
//! resource, and dropped as soon as an apply changes the environment. It never calls the
//! environment resource's read handler nor parses its state.

use std::sync::Arc;

use crate::aws;
use crate::aws::lookups::EnvironmentObjects;
use crate::framework::diag::{Diagnostic, Diagnostics};
use crate::plan::app::{EnvironmentFacts, NamespaceFacts};
use crate::plan::node::{Kind, NodeKey, SubnetTier, Tags};
use crate::plan::spec::{AzChoice, EnvironmentSpec};
use crate::resources::configured::Configured;
use crate::resources::environment::{model, written};

/// What the lookup found.
#[derive(Debug, Clone, PartialEq)]
pub enum EnvironmentLookup {
    /// No environment of that name in this account and region.
    Missing,
    /// It exists but is not complete: being created or deleted, or left halfway by a run that
    /// stopped. The reason names what is missing.
    NotReady(String),
    Ready(Arc<EnvironmentFacts>),
}

/// Looks up environment `name` once per provider process.
///
/// # Errors
/// A diagnostic when AWS cannot be read.
pub async fn environment_facts(
    configured: &Configured,
    name: &str,
) -> Result<EnvironmentLookup, Diagnostics> {
    let reads = configured.reads(name);
    let lookup = reads
        .get(&format!("environment/{name}/facts"), || async {
            let objects =
                aws::lookups::environment_objects(&configured.clients, &reads, name).await?;
            Ok(match objects {
                None => EnvironmentLookup::Missing,
                Some(objects) => {
                    facts_from(name, &configured.region, &configured.default_tags, &objects)
                }
            })
        })
        .await
        .map_err(|e| {
            Diagnostics(vec![Diagnostic::error(
                "Reading the environment",
                format!("Looking up environment {name:?} failed: {e}"),
            )])
        })?;
    Ok((*lookup).clone())
}

/// The facts of an environment's objects, or why they are not ready.
pub fn facts_from(
    name: &str,
    region: &str,
    default_tags: &Tags,
    objects: &EnvironmentObjects,
) -> EnvironmentLookup {
    let Some(mut config) = written::recover_from_tags(&objects.vpc_tags, default_tags) else {
        return EnvironmentLookup::NotReady(
            "its VPC carries no recorded configuration (platform:config)".into(),
        );
    };
    config.name = Some(name.to_string());
    let (spec, _) = model::spec_of(&config, default_tags);
    let Some(spec) = spec else {
        return EnvironmentLookup::NotReady("its recorded configuration cannot be read".into());
    };
    if let Some(missing) = first_missing(&spec, objects) {
        return EnvironmentLookup::NotReady(missing);
    }
    EnvironmentLookup::Ready(Arc::new(EnvironmentFacts {
        name: name.to_string(),
        tier: spec.tier,
        region: region.to_string(),
        ids: objects.objects.clone(),
        log_retention_days: spec.logging.retention_days,
        log_kms_key_arn: spec.logging.kms_key_arn.clone(),
        capacity: spec.cluster.capacity,
        secret_recovery_window_days: spec.secret_recovery_window_days,
        certificate_arn: objects.certificate_arn.clone(),
        load_balancer_dns_name: objects.load_balancer_dns_name.clone(),
        service_discovery: spec.service_discovery.as_ref().map(|d| NamespaceFacts {
            name: d.namespace.clone(),
            arn: objects.service_connect_namespace_arn.clone(),
        }),
    }))
}

/// What a complete environment would have and this one lacks, if anything.
fn first_missing(spec: &EnvironmentSpec, objects: &EnvironmentObjects) -> Option<String> {
    let azs = match &spec.network.azs {
        AzChoice::Count(n) => *n,
        AzChoice::Ids(ids) => ids.len(),
    };
    for tier in SubnetTier::ALL {
        let prefix = format!("{}/{}/", Kind::Subnet.prefix(), tier.as_str());
        let found = objects
            .objects
            .keys()
            .filter(|k| k.as_str().starts_with(&prefix))
            .count();
        if found < azs {
            return Some(format!(
                "{found} of its {azs} {} subnets exist",
                tier.as_str()
            ));
        }
    }
    let mut needed = vec![
        NodeKey::new(Kind::SecurityGroup, &["services"]),
        NodeKey::new(Kind::EcsCluster, &[]),
        NodeKey::new(Kind::DbSubnetGroup, &[]),
        NodeKey::new(Kind::CacheSubnetGroup, &[]),
    ];
    if spec.ingress.is_some() {
        needed.push(NodeKey::new(Kind::SecurityGroup, &["load_balancer"]));
        needed.push(NodeKey::new(Kind::Listener, &["https"]));
    }
    if let Some(key) = needed.iter().find(|k| !objects.objects.contains_key(*k)) {
        return Some(format!("{key} does not exist"));
    }
    (!objects.cluster_active).then(|| "its ECS cluster is not active".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::value::json;
    use crate::plan::expand::naming::config_tags;
    use crate::plan::spec::Tier;
    use crate::resources::environment::schema;

    /// The objects of a two-AZ environment written as `config_json`, minus `without`.
    fn objects(config_json: &str, without: &[&str]) -> EnvironmentObjects {
        let config = json::decode(
            &serde_json::from_str(config_json).unwrap(),
            &schema::schema().value_type(),
        )
        .unwrap();
        let written =
            written::encode(&crate::framework::value::de::from_value(&config).unwrap()).unwrap();
        let mut keys = vec![
            "ec2.vpc".to_string(),
            "ec2.security_group/services".into(),
            "ec2.security_group/load_balancer".into(),
            "ecs.cluster".into(),
            "rds.db_subnet_group".into(),
            "elasticache.subnet_group".into(),
            "elbv2.listener/https".into(),
        ];
        for tier in ["public", "private", "data"] {
            for az in ["use1-az1", "use1-az2"] {
                keys.push(format!("ec2.subnet/{tier}/{az}"));
            }
        }
        EnvironmentObjects {
            vpc_id: "vpc-1".into(),
            vpc_tags: config_tags(&written).into_iter().collect(),
            objects: keys
                .iter()
                .filter(|k| !without.contains(&k.as_str()))
                .map(|k| (NodeKey::parse(k).unwrap(), format!("id-{k}")))
                .collect(),
            cluster_active: true,
            load_balancer_dns_name: Some("lb.example".into()),
            certificate_arn: Some("arn:cert".into()),
            service_connect_namespace_arn: None,
        }
    }

    const PROD: &str = r#"{"tier":"prod","network":{"az_count":2},"logging":{"retention_days":90},"ingress":{"domain":"app.example.com"}}"#;

    #[test]
    fn facts_come_from_the_recorded_configuration_and_the_objects() {
        let EnvironmentLookup::Ready(facts) =
            facts_from("prod", "us-east-1", &Tags::new(), &objects(PROD, &[]))
        else {
            panic!("not ready");
        };
        assert_eq!(facts.tier, Tier::Prod);
        assert_eq!(facts.log_retention_days, 90);
        assert_eq!(facts.vpc_id(), Some("id-ec2.vpc"));
        assert_eq!(facts.cluster_arn(), Some("id-ecs.cluster"));
        assert_eq!(facts.https_listener_arn(), Some("id-elbv2.listener/https"));
        assert_eq!(facts.private_subnets().len(), 2);
        assert_eq!(facts.certificate_arn.as_deref(), Some("arn:cert"));
    }

    #[test]
    fn a_half_made_environment_is_not_ready() {
        for missing in [
            "ec2.subnet/data/use1-az2",
            "ecs.cluster",
            "elbv2.listener/https",
            "rds.db_subnet_group",
        ] {
            let lookup = facts_from(
                "prod",
                "us-east-1",
                &Tags::new(),
                &objects(PROD, &[missing]),
            );
            assert!(
                matches!(lookup, EnvironmentLookup::NotReady(_)),
                "without {missing}: {lookup:?}"
            );
        }
        let mut inactive = objects(PROD, &[]);
        inactive.cluster_active = false;
        assert!(matches!(
            facts_from("prod", "us-east-1", &Tags::new(), &inactive),
            EnvironmentLookup::NotReady(_)
        ));
        let no_config = EnvironmentObjects {
            vpc_tags: Tags::new(),
            ..objects(PROD, &[])
        };
        assert!(matches!(
            facts_from("prod", "us-east-1", &Tags::new(), &no_config),
            EnvironmentLookup::NotReady(_)
        ));
    }
}
