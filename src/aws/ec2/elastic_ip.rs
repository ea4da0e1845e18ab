//! EC2 Elastic IP (VPC domain).

use serde::{Deserialize, Serialize};

use crate::aws::kind::{KindSpec, Reference};
use crate::plan::node::Tags;

/// A VPC-domain address, allocated for a NAT gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElasticIpSpec {
    pub tags: Tags,
}

impl KindSpec for ElasticIpSpec {
    const PREFIX: &'static str = "ec2.eip";
    const DISPLAY_NAME: &'static str = "EC2 Elastic IP";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "ec2:AllocateAddress",
        "ec2:CreateTags",
        "ec2:DeleteTags",
        "ec2:DescribeAddresses",
        "ec2:ReleaseAddress",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        vec![]
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        {
            let _ = d;
            None
        }
    }
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use super::*;
    use std::collections::BTreeMap;

    use aws_sdk_ec2::types::{Address, DomainType, ResourceType};
    use aws_sdk_ec2::Client;

    use crate::aws::common::tags;
    use crate::aws::error::{classify, AwsError};

    // find

    pub async fn find_elastic_ip_by_id(
        ec2: &Client,
        allocation_id: &str,
    ) -> Result<Option<Address>, AwsError> {
        match ec2
            .describe_addresses()
            .allocation_ids(allocation_id)
            .send()
            .await
            .map_err(classify)
        {
            Ok(out) => Ok(out.addresses().first().cloned()),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Public IPs by allocation ID; missing ones are left out.
    pub async fn public_ips(
        ec2: &Client,
        allocation_ids: &[String],
    ) -> Result<BTreeMap<String, String>, AwsError> {
        let mut out = BTreeMap::new();
        for id in allocation_ids {
            if let Some(address) = find_elastic_ip_by_id(ec2, id).await? {
                if let Some(ip) = address.public_ip() {
                    out.insert(id.clone(), ip.to_string());
                }
            }
        }
        Ok(out)
    }

    // create, update, delete

    pub async fn create_elastic_ip(ec2: &Client, spec: &ElasticIpSpec) -> Result<String, AwsError> {
        let found = ec2
            .describe_addresses()
            .set_filters(Some(tags::ownership_filters(&spec.tags)))
            .send()
            .await
            .map_err(classify)?;
        if let Some(id) = found
            .addresses()
            .iter()
            .find(|a| tags::owned_by(a.tags(), &spec.tags))
            .and_then(Address::allocation_id)
        {
            return Ok(id.to_string());
        }
        let out = ec2
            .allocate_address()
            .domain(DomainType::Vpc)
            .tag_specifications(tags::specification(ResourceType::ElasticIp, &spec.tags))
            .send()
            .await
            .map_err(classify)?;
        out.allocation_id()
            .map(str::to_string)
            .ok_or_else(|| AwsError::unexpected("AllocateAddress returned no allocation ID"))
    }

    pub async fn update_elastic_ip(
        ec2: &Client,
        id: &str,
        current: &ElasticIpSpec,
        desired: &ElasticIpSpec,
    ) -> Result<(), AwsError> {
        tags::sync_tags(ec2, id, &current.tags, &desired.tags).await
    }

    /// Releases the address; while a NAT gateway still holds it, AWS answers InUse, which is
    /// retried as a dependency violation.
    pub async fn delete_elastic_ip(ec2: &Client, id: &str) -> Result<(), AwsError> {
        match ec2
            .release_address()
            .allocation_id(id)
            .send()
            .await
            .map_err(classify)
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }

    // flatten

    pub async fn observe_elastic_ip(
        ec2: &Client,
        id: &str,
    ) -> Result<Option<ElasticIpSpec>, AwsError> {
        Ok(find_elastic_ip_by_id(ec2, id)
            .await?
            .map(|a| ElasticIpSpec {
                tags: tags::from_sdk(a.tags()),
            }))
    }

    impl crate::aws::kind::AwsKind for ElasticIpSpec {
        async fn find(
            cx: &crate::aws::kind::Cx<'_>,
            spec: &Self,
        ) -> Result<Option<String>, AwsError> {
            let _ = (cx, spec);
            Ok(None::<String>)
        }

        async fn observe(
            cx: &crate::aws::kind::Cx<'_>,
            id: &str,
            _current: &Self,
        ) -> Result<Option<Self>, AwsError> {
            observe_elastic_ip(&cx.clients.ec2, id).await
        }

        async fn create(cx: &crate::aws::kind::Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_elastic_ip(&cx.clients.ec2, spec).await
        }

        async fn update(
            cx: &crate::aws::kind::Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_elastic_ip(&cx.clients.ec2, id, current, desired)
                .await
                .map(|()| id.to_string())
        }

        async fn delete(
            cx: &crate::aws::kind::Cx<'_>,
            id: &str,
            _current: &Self,
        ) -> Result<(), AwsError> {
            delete_elastic_ip(&cx.clients.ec2, id).await
        }
    }
}
