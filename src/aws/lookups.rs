//! Reads beside the child graph: availability zones, addresses, endpoints, certificate facts,
//! what still uses an environment, and other resources' objects found by their tags.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::common::reads::Reads;
use super::common::tags;
use super::error::{classify, AwsError};
use super::{acm, ec2, elbv2, servicediscovery, AwsClients};
use crate::plan::expand::naming::{TAG_NODE, TAG_OWNER};
use crate::plan::node::NodeKey;

/// Available zones of the region as (name, ID) pairs, read once per scope.
pub async fn region_facts_shared(
    clients: &AwsClients,
    reads: &Reads,
) -> Result<Arc<Vec<(String, String)>>, AwsError> {
    reads
        .get("ec2.availability_zones", || region_facts(clients))
        .await
}

/// Public IPs of the Elastic IPs of `owner`, by allocation ID, from the listing the Elastic IP
/// kind observes with.
pub async fn owned_public_ips(
    clients: &AwsClients,
    reads: &Reads,
    owner: &str,
) -> Result<BTreeMap<String, String>, AwsError> {
    let addresses = ec2::elastic_ip::elastic_ips_of_owner(&clients.ec2, reads, owner).await?;
    Ok(addresses
        .iter()
        .filter_map(|(id, a)| Some((id.clone(), a.public_ip()?.to_string())))
        .collect())
}

/// DNS name and Route 53 zone ID of a load balancer, from the read the load balancer kind
/// observes with; `None` when it is gone.
pub async fn load_balancer_endpoint_shared(
    clients: &AwsClients,
    reads: &Reads,
    arn: &str,
) -> Result<Option<(String, String)>, AwsError> {
    let lb = elbv2::load_balancer::shared_load_balancer(&clients.elbv2, reads, arn).await?;
    Ok(lb.as_ref().as_ref().map(|lb| {
        (
            lb.dns_name().unwrap_or_default().to_string(),
            lb.canonical_hosted_zone_id()
                .unwrap_or_default()
                .to_string(),
        )
    }))
}

/// Status, names and DNS validation records of a certificate, from the read the certificate
/// kind observes with; `None` when it is gone.
pub async fn certificate_facts_shared(
    clients: &AwsClients,
    reads: &Reads,
    arn: &str,
) -> Result<Option<CertificateFacts>, AwsError> {
    let certificate = acm::certificate::shared_certificate(&clients.acm, reads, arn).await?;
    Ok(certificate
        .as_ref()
        .as_ref()
        .map(acm::certificate::certificate_facts))
}

/// The ARN of a Cloud Map namespace, from the listing the namespace kind observes with; `None`
/// when it is gone.
pub async fn namespace_arn_shared(
    clients: &AwsClients,
    reads: &Reads,
    id: &str,
) -> Result<Option<String>, AwsError> {
    let namespaces =
        servicediscovery::private_dns_namespace::shared_namespaces(clients, reads).await?;
    Ok(namespaces.get(id).and_then(|n| n.arn()).map(str::to_string))
}

/// Available zones of the region as (name, ID) pairs.
pub async fn region_facts(clients: &AwsClients) -> Result<Vec<(String, String)>, AwsError> {
    let out = clients
        .ec2
        .describe_availability_zones()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("state")
                .values("available")
                .build(),
        )
        .send()
        .await
        .map_err(classify)?;
    Ok(out
        .availability_zones()
        .iter()
        .filter(|z| {
            z.opt_in_status()
                .is_none_or(|s| s.as_str() != "not-opted-in")
        })
        .filter(|z| z.zone_type().is_none_or(|t| t == "availability-zone"))
        .filter_map(|z| Some((z.zone_name()?.to_string(), z.zone_id()?.to_string())))
        .collect())
}

pub use acm::certificate::CertificateFacts;

/// The `platform:owner` tag of a VPC, for import by VPC ID.
pub async fn find_vpc_owner_by_id(
    clients: &AwsClients,
    vpc_id: &str,
) -> Result<Option<String>, AwsError> {
    Ok(ec2::vpc::find_vpc_by_id(&clients.ec2, vpc_id)
        .await?
        .and_then(|v| tags::from_sdk(v.tags()).get(TAG_OWNER).cloned()))
}

/// Services, databases and caches still running in an environment (by cluster and data
/// subnet group), as `<kind> <name>` lines: an environment under them cannot be deleted.
pub async fn app_resources_in(
    clients: &AwsClients,
    cluster_arn: Option<&str>,
    subnet_group: &str,
) -> Result<Vec<String>, AwsError> {
    let mut found = Vec::new();
    if let Some(cluster) = cluster_arn {
        let mut arns = Vec::new();
        let mut pages = clients
            .ecs
            .list_services()
            .cluster(cluster)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            match page.map_err(classify) {
                Ok(page) => arns.extend(page.service_arns().iter().cloned()),
                Err(e) if e.is_not_found() => break,
                Err(e) => return Err(e),
            }
        }
        // Deleted services stay listed for a while (INACTIVE, or DRAINING while they go).
        for batch in arns.chunks(10) {
            let out = clients
                .ecs
                .describe_services()
                .cluster(cluster)
                .set_services(Some(batch.to_vec()))
                .send()
                .await
                .map_err(classify)?;
            found.extend(
                out.services()
                    .iter()
                    .filter(|s| s.status() == Some("ACTIVE"))
                    .map(|s| format!("ECS service {}", s.service_name().unwrap_or_default())),
            );
        }
    }
    let mut pages = clients.rds.describe_db_instances().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(classify)?;
        for db in page.db_instances() {
            let in_group =
                db.db_subnet_group().and_then(|g| g.db_subnet_group_name()) == Some(subnet_group);
            let deleting = db.db_instance_status() == Some("deleting");
            if in_group && !deleting {
                found.push(format!(
                    "RDS instance {}",
                    db.db_instance_identifier().unwrap_or_default()
                ));
            }
        }
    }
    let mut pages = clients
        .elasticache
        .describe_cache_clusters()
        .into_paginator()
        .send();
    let mut groups = std::collections::BTreeSet::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(classify)?;
        for cluster in page.cache_clusters() {
            let in_group = cluster.cache_subnet_group_name() == Some(subnet_group);
            let deleting = cluster.cache_cluster_status() == Some("deleting");
            if in_group && !deleting {
                groups.insert(
                    cluster
                        .replication_group_id()
                        .or(cluster.cache_cluster_id())
                        .unwrap_or_default()
                        .to_string(),
                );
            }
        }
    }
    found.extend(groups.into_iter().map(|g| format!("ElastiCache group {g}")));
    Ok(found)
}

/// The ID of the security group another resource of ours owns (a database's or cache's),
/// found by its ownership tags in the VPC; `None` when it does not exist (yet).
pub async fn find_owned_group_id(
    clients: &AwsClients,
    vpc_id: &str,
    owner: &str,
    key: &NodeKey,
) -> Result<Option<String>, AwsError> {
    let tags: crate::plan::node::Tags = [
        (TAG_OWNER.to_string(), owner.to_string()),
        (TAG_NODE.to_string(), key.to_string()),
    ]
    .into();
    let mut filters = tags::ownership_filters(&tags);
    filters.push(
        aws_sdk_ec2::types::Filter::builder()
            .name("vpc-id")
            .values(vpc_id)
            .build(),
    );
    let out = clients
        .ec2
        .describe_security_groups()
        .set_filters(Some(filters))
        .send()
        .await
        .map_err(classify)?;
    Ok(out
        .security_groups()
        .iter()
        .find(|g| tags::owned_by(g.tags(), &tags))
        .and_then(|g| g.group_id().map(str::to_string)))
}

/// What an environment's objects look like to the resources built on it: found by the
/// environment's ownership tags and deterministic names, every call through the environment's
/// shared reads (the same listings its children's refresh uses where the kinds list them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvironmentObjects {
    pub vpc_id: String,
    /// The VPC's tags: they record the configuration as written.
    pub vpc_tags: crate::plan::node::Tags,
    /// Node key → AWS ID of the subnets and security groups the environment owns, and of its
    /// cluster, load balancer, listeners and data subnet groups that exist.
    pub objects: BTreeMap<NodeKey, String>,
    /// `false` while the cluster is not `ACTIVE` (being created or deleted).
    pub cluster_active: bool,
    pub load_balancer_dns_name: Option<String>,
    /// The HTTPS listener's default certificate.
    pub certificate_arn: Option<String>,
    /// The cluster's Service Connect default namespace.
    pub service_connect_namespace_arn: Option<String>,
}

/// The objects of environment `name`; `None` when it has no VPC.
///
/// # Errors
/// Any describe call's error.
pub async fn environment_objects(
    clients: &AwsClients,
    reads: &crate::aws::common::reads::Reads,
    name: &str,
) -> Result<Option<EnvironmentObjects>, AwsError> {
    use crate::plan::expand::environment::{data_subnet_group_name, load_balancer_name};
    use crate::plan::node::Kind;
    let owner = format!("environment/{name}");
    let owned_key = |t: &[aws_sdk_ec2::types::Tag]| {
        let t = tags::from_sdk(t);
        (t.get(TAG_OWNER) == Some(&owner))
            .then(|| t.get(TAG_NODE).and_then(|k| NodeKey::parse(k)))
            .flatten()
    };
    let vpcs = reads
        .get(&format!("environment/{name}/vpc"), || async {
            clients
                .ec2
                .describe_vpcs()
                .filters(tags::owner_filter(&owner))
                .send()
                .await
                .map_err(classify)
                .map(|out| out.vpcs().to_vec())
        })
        .await?;
    let Some(vpc) = vpcs.iter().find(|v| owned_key(v.tags()).is_some()) else {
        return Ok(None);
    };
    let vpc_id = vpc.vpc_id().unwrap_or_default().to_string();
    let mut found = EnvironmentObjects {
        vpc_id: vpc_id.clone(),
        vpc_tags: tags::from_sdk(vpc.tags()),
        ..EnvironmentObjects::default()
    };
    found
        .objects
        .insert(NodeKey::new(Kind::Vpc, &[]), vpc_id.clone());

    let subnets = reads
        .get(&format!("ec2.subnet/vpc/{vpc_id}"), || {
            ec2::subnet::list_subnets(&clients.ec2, &vpc_id)
        })
        .await?;
    for (id, subnet) in subnets.iter() {
        if let Some(key) = owned_key(subnet.tags()) {
            found.objects.insert(key, id.clone());
        }
    }
    let ids = crate::apply::IdMap::default();
    let cx = crate::aws::kind::Cx {
        clients,
        ids: &ids,
        reads,
    };
    let groups = ec2::security_group::security_groups_of_vpc(&cx, &vpc_id).await?;
    for (id, group) in groups.iter() {
        if let Some(key) = owned_key(group.tags()) {
            found.objects.insert(key, id.clone());
        }
    }

    let cluster = reads
        .get(&format!("environment/{name}/cluster"), || async {
            clients
                .ecs
                .describe_clusters()
                .clusters(name)
                .send()
                .await
                .map_err(classify)
                .map(|out| out.clusters().first().cloned())
        })
        .await?;
    if let Some(cluster) = cluster.as_ref() {
        found.cluster_active = cluster.status() == Some("ACTIVE");
        found.service_connect_namespace_arn = cluster
            .service_connect_defaults()
            .and_then(|d| d.namespace())
            .map(str::to_string);
        if let Some(arn) = cluster.cluster_arn() {
            found
                .objects
                .insert(NodeKey::new(Kind::EcsCluster, &[]), arn.to_string());
        }
    }

    let lb_name = load_balancer_name(name);
    let balancer = reads
        .get(&format!("environment/{name}/load_balancer"), || async {
            match clients
                .elbv2
                .describe_load_balancers()
                .names(&lb_name)
                .send()
                .await
                .map_err(classify)
            {
                Ok(out) => Ok(out.load_balancers().first().cloned()),
                Err(e) if e.is_not_found() => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await?;
    if let Some((arn, dns)) = balancer
        .as_ref()
        .as_ref()
        .and_then(|lb| Some((lb.load_balancer_arn()?, lb.dns_name())))
    {
        found
            .objects
            .insert(NodeKey::new(Kind::LoadBalancer, &[]), arn.to_string());
        found.load_balancer_dns_name = dns.map(str::to_string);
        let listeners = reads
            .get(&format!("elbv2.listener/load_balancer/{arn}"), || {
                elbv2::listener::list_listeners(&clients.elbv2, arn)
            })
            .await?;
        for listener in listeners.iter() {
            let qualifier = match listener.port() {
                Some(443) => "https",
                Some(80) => "http",
                _ => continue,
            };
            if let Some(arn) = listener.listener_arn() {
                found
                    .objects
                    .insert(NodeKey::new(Kind::Listener, &[qualifier]), arn.to_string());
            }
            if qualifier == "https" {
                found.certificate_arn = listener
                    .certificates()
                    .iter()
                    .find_map(|c| c.certificate_arn())
                    .map(str::to_string);
            }
        }
    }

    // Both data subnet groups carry one name; RDS and ElastiCache each confirm theirs.
    let group_name = data_subnet_group_name(name);
    let groups = [
        (
            NodeKey::new(Kind::DbSubnetGroup, &[]),
            crate::aws::common::subnet_group::read_shared::<
                crate::aws::rds::db_subnet_group::DbSubnetGroupSpec,
            >(&cx, &group_name)
            .await?,
        ),
        (
            NodeKey::new(Kind::CacheSubnetGroup, &[]),
            crate::aws::common::subnet_group::read_shared::<
                crate::aws::elasticache::cache_subnet_group::CacheSubnetGroupSpec,
            >(&cx, &group_name)
            .await?,
        ),
    ];
    for (key, group) in groups {
        if group.is_some() {
            found.objects.insert(key, group_name.clone());
        }
    }
    Ok(Some(found))
}
