//! EC2 Elastic IP (VPC domain).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{KindSpec, Reference};
use crate::plan::cost;
use crate::plan::node::{Node, NodeKey, Tags};

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

    fn replaced_by(&self, _desired: &Self) -> Option<&'static str> {
        None
    }

    /// The NAT gateway's address is an Elastic IP node of its own, billed here.
    fn hourly_charge(&self, _graph: &BTreeMap<NodeKey, Node>) -> Option<(&'static str, f64)> {
        Some(("public_ipv4", cost::PUBLIC_IPV4_USD_PER_HOUR))
    }
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use std::collections::HashMap;
    use std::sync::Arc;

    use aws_sdk_ec2::types::{Address, DomainType, Filter, ResourceType};
    use aws_sdk_ec2::Client;

    use super::*;
    use crate::aws::common::reads::Reads;
    use crate::aws::common::tags;
    use crate::aws::error::{classify, AwsError};
    use crate::aws::kind::{AwsKind, Cx};
    use crate::plan::expand::naming::TAG_OWNER;

    impl AwsKind for ElasticIpSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            Ok(find_elastic_ip_by_tags(&cx.clients.ec2, spec)
                .await?
                .and_then(|a| a.allocation_id().map(str::to_string)))
        }

        /// Every address of the environment's owner in one listing, shared by all children that
        /// observe one.
        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            let Some(owner) = current.tags.get(TAG_OWNER) else {
                return observe_elastic_ip(&cx.clients.ec2, id).await;
            };
            let addresses = elastic_ips_of_owner(&cx.clients.ec2, cx.reads, owner).await?;
            match addresses.get(id) {
                Some(a) => Ok(Some(flatten_elastic_ip(a))),
                // Absent from the owner's listing: released, or its owner tag was edited away.
                // Only its ID tells, and an address that is still there must not leak.
                None => observe_elastic_ip(&cx.clients.ec2, id).await,
            }
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_elastic_ip(cx, spec).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_elastic_ip(&cx.clients.ec2, id, current, desired).await?;
            Ok(id.to_string())
        }

        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            delete_elastic_ip(&cx.clients.ec2, id).await
        }
    }

    // find

    /// Every address matching `filters`. DescribeAddresses answers in one page.
    async fn describe_addresses(
        ec2: &Client,
        filters: Vec<Filter>,
    ) -> Result<Vec<Address>, AwsError> {
        let out = ec2
            .describe_addresses()
            .set_filters(Some(filters))
            .send()
            .await
            .map_err(classify)?;
        Ok(out.addresses().to_vec())
    }

    /// Every address carrying the owner tag `owner`, by allocation ID, read once through the
    /// shared reads.
    pub async fn elastic_ips_of_owner(
        ec2: &Client,
        reads: &Reads,
        owner: &str,
    ) -> Result<Arc<HashMap<String, Address>>, AwsError> {
        reads
            .get(&format!("ec2.eip/owner/{owner}"), || {
                list_elastic_ips(ec2, owner)
            })
            .await
    }

    /// Every address carrying the owner tag `owner`, by allocation ID. The filter narrows the
    /// search; the tag is checked again on every address found.
    pub async fn list_elastic_ips(
        ec2: &Client,
        owner: &str,
    ) -> Result<HashMap<String, Address>, AwsError> {
        Ok(describe_addresses(ec2, vec![tags::owner_filter(owner)])
            .await?
            .into_iter()
            .filter(|a| tags::from_sdk(a.tags()).get(TAG_OWNER).map(String::as_str) == Some(owner))
            .filter_map(|a| Some((a.allocation_id()?.to_string(), a)))
            .collect())
    }

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

    async fn find_elastic_ip_by_tags(
        ec2: &Client,
        spec: &ElasticIpSpec,
    ) -> Result<Option<Address>, AwsError> {
        Ok(describe_addresses(ec2, tags::ownership_filters(&spec.tags))
            .await?
            .into_iter()
            .find(|a| tags::owned_by(a.tags(), &spec.tags)))
    }

    // create, update, delete

    /// Adopts the address carrying the spec's ownership tags, found in the shared listing of
    /// the owner's addresses (a listing of this run: the engine forgets it after a failed
    /// attempt); otherwise allocates one with them, in the same call.
    pub async fn create_elastic_ip(cx: &Cx<'_>, spec: &ElasticIpSpec) -> Result<String, AwsError> {
        let ec2 = &cx.clients.ec2;
        let adopted = match spec.tags.get(TAG_OWNER) {
            Some(owner) => {
                let addresses = elastic_ips_of_owner(&cx.clients.ec2, cx.reads, owner).await?;
                tags::owned_in(&addresses, Address::tags, &spec.tags).map(|(id, _)| id.to_string())
            }
            None => find_elastic_ip_by_tags(ec2, spec)
                .await?
                .and_then(|a| a.allocation_id().map(str::to_string)),
        };
        if let Some(id) = adopted {
            return Ok(id);
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

    pub fn flatten_elastic_ip(address: &Address) -> ElasticIpSpec {
        ElasticIpSpec {
            tags: tags::from_sdk(address.tags()),
        }
    }

    pub async fn observe_elastic_ip(
        ec2: &Client,
        id: &str,
    ) -> Result<Option<ElasticIpSpec>, AwsError> {
        Ok(find_elastic_ip_by_id(ec2, id)
            .await?
            .map(|a| flatten_elastic_ip(&a)))
    }
}
