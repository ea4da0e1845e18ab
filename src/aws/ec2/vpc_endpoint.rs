//! EC2 VPC Endpoint, gateway or interface.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::cost;
use crate::plan::node::{Node, NodeKey, Tags};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpcEndpointSpec {
    pub vpc: NodeKey,
    /// `com.amazonaws.<region>.<service>`.
    pub service_name: String,
    pub endpoint_type: EndpointType,
    /// Gateway endpoints: the route tables that get its routes. Sorted.
    pub route_tables: Vec<NodeKey>,
    /// Interface endpoints: one subnet per AZ. Sorted.
    pub subnets: Vec<NodeKey>,
    /// Interface endpoints only. Sorted.
    pub security_groups: Vec<NodeKey>,
    pub private_dns: bool,
    pub tags: Tags,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndpointType {
    /// S3 and DynamoDB: routes in route tables, free.
    Gateway,
    /// Everything else: ENIs in subnets behind a security group, private DNS.
    Interface,
}

impl KindSpec for VpcEndpointSpec {
    const PREFIX: &'static str = "ec2.vpc_endpoint";
    const DISPLAY_NAME: &'static str = "EC2 VPC Endpoint";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "ec2:CreateTags",
        "ec2:CreateVpcEndpoint",
        "ec2:DeleteTags",
        "ec2:DeleteVpcEndpoints",
        "ec2:DescribeVpcEndpoints",
        "ec2:ModifyVpcEndpoint",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        std::iter::once(Reference::replace(&self.vpc))
            .chain(self.route_tables.iter().map(Reference::update))
            .chain(self.subnets.iter().map(Reference::update))
            .chain(self.security_groups.iter().map(Reference::update))
            .collect()
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[
            ("vpc", self.vpc != d.vpc),
            ("service_name", self.service_name != d.service_name),
            ("endpoint_type", self.endpoint_type != d.endpoint_type),
        ])
    }

    fn hourly_charge(&self, _graph: &BTreeMap<NodeKey, Node>) -> Option<(&'static str, f64)> {
        match self.endpoint_type {
            EndpointType::Interface => Some((
                "interface_endpoints",
                cost::INTERFACE_ENDPOINT_USD_PER_AZ_HOUR * self.subnets.len() as f64,
            )),
            EndpointType::Gateway => None,
        }
    }
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use std::collections::{BTreeSet, HashMap};
    use std::sync::Arc;
    use std::time::Duration;

    use aws_sdk_ec2::types::{Filter, ResourceType, VpcEndpoint, VpcEndpointType};
    use aws_sdk_ec2::Client;

    use super::*;
    use crate::apply::IdMap;
    use crate::aws::common::keys::key_of;
    use crate::aws::common::poll::{poll_until, within, Poll};
    use crate::aws::common::tags;
    use crate::aws::error::{classify, AwsError};
    use crate::aws::kind::{AwsKind, Cx};
    use crate::plan::expand::naming::{TAG_NODE, TAG_OWNER};
    use crate::plan::node::{Kind, NodeKey, Tags};

    impl AwsKind for VpcEndpointSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            find_owned_vpc_endpoint(&cx.clients.ec2, spec).await
        }

        /// Every endpoint of the VPC in one listing, shared by all children that observe one.
        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            let Ok(vpc_id) = cx.ids.id(&current.vpc) else {
                return observe_vpc_endpoint(&cx.clients.ec2, id, current, cx.ids).await;
            };
            let endpoints = vpc_endpoints_of_vpc(cx, vpc_id).await?;
            Ok(endpoints
                .get(id)
                .filter(|e| state_of(e) != "deleted")
                .map(|e| flatten_vpc_endpoint(e, current, cx.ids)))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_vpc_endpoint(cx, spec).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_vpc_endpoint(&cx.clients.ec2, id, current, desired, cx.ids).await
        }

        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            delete_vpc_endpoint(&cx.clients.ec2, id).await
        }
    }

    /// Interface endpoints take minutes to become available or to release their ENIs.
    const CREATE_TIMEOUT: Duration = Duration::from_secs(600);
    const DELETE_TIMEOUT: Duration = Duration::from_secs(600);

    // find

    /// The endpoint's state in lower case. EC2 answers `available`, `pendingAcceptance` … while
    /// the SDK's `State` enum spells `Available`, so those arrive as unknown variants: compare the
    /// text, never the enum.
    pub fn state_of(endpoint: &VpcEndpoint) -> String {
        endpoint
            .state()
            .map(|s| s.as_str().to_ascii_lowercase())
            .unwrap_or_default()
    }

    fn is_gone(endpoint: &VpcEndpoint) -> bool {
        matches!(
            state_of(endpoint).as_str(),
            "deleted" | "deleting" | "failed" | "rejected"
        )
    }

    /// Every endpoint matching `filters`, across pages.
    async fn describe_vpc_endpoints(
        ec2: &Client,
        filters: Vec<Filter>,
    ) -> Result<Vec<VpcEndpoint>, AwsError> {
        let mut pages = ec2
            .describe_vpc_endpoints()
            .set_filters(Some(filters))
            .into_paginator()
            .send();
        let mut endpoints = Vec::new();
        while let Some(page) = pages.next().await {
            endpoints.extend(page.map_err(classify)?.vpc_endpoints().iter().cloned());
        }
        Ok(endpoints)
    }

    /// Every endpoint of a VPC, by ID, read once through the shared reads.
    pub async fn vpc_endpoints_of_vpc(
        cx: &Cx<'_>,
        vpc_id: &str,
    ) -> Result<Arc<HashMap<String, VpcEndpoint>>, AwsError> {
        cx.reads
            .get(&format!("ec2.vpc_endpoint/vpc/{vpc_id}"), || {
                list_vpc_endpoints(&cx.clients.ec2, vpc_id)
            })
            .await
    }

    /// Every endpoint of a VPC, by ID.
    pub async fn list_vpc_endpoints(
        ec2: &Client,
        vpc_id: &str,
    ) -> Result<HashMap<String, VpcEndpoint>, AwsError> {
        let by_vpc = Filter::builder().name("vpc-id").values(vpc_id).build();
        Ok(describe_vpc_endpoints(ec2, vec![by_vpc])
            .await?
            .into_iter()
            .filter_map(|e| Some((e.vpc_endpoint_id()?.to_string(), e)))
            .collect())
    }

    pub async fn find_vpc_endpoint_by_id(
        ec2: &Client,
        id: &str,
    ) -> Result<Option<VpcEndpoint>, AwsError> {
        match ec2
            .describe_vpc_endpoints()
            .vpc_endpoint_ids(id)
            .send()
            .await
            .map_err(classify)
        {
            Ok(out) => Ok(out
                .vpc_endpoints()
                .iter()
                .find(|e| e.vpc_endpoint_id() == Some(id))
                .cloned()),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn find_vpc_endpoint_by_tags(
        ec2: &Client,
        spec: &VpcEndpointSpec,
    ) -> Result<Option<VpcEndpoint>, AwsError> {
        Ok(
            describe_vpc_endpoints(ec2, tags::ownership_filters(&spec.tags))
                .await?
                .into_iter()
                .find(|e| tags::owned_by(e.tags(), &spec.tags) && !is_gone(e)),
        )
    }

    /// The ledger ID of an existing object carrying the spec's ownership tags, without changing
    /// anything (import and discovery); `None` when there is none.
    pub async fn find_owned_vpc_endpoint(
        ec2: &Client,
        spec: &VpcEndpointSpec,
    ) -> Result<Option<String>, AwsError> {
        Ok(find_vpc_endpoint_by_tags(ec2, spec)
            .await?
            .and_then(|e| e.vpc_endpoint_id().map(str::to_string)))
    }

    // wait

    fn failure(endpoint: &VpcEndpoint, fallback: &str) -> AwsError {
        let last = endpoint.last_error();
        AwsError::Api {
            code: last
                .and_then(|e| e.code())
                .unwrap_or("VpcEndpointFailed")
                .to_string(),
            message: last
                .and_then(|e| e.message())
                .or(endpoint.failure_reason())
                .unwrap_or(fallback)
                .to_string(),
        }
    }

    /// Polls until the endpoint is available; returns it as last seen. The caller owns the
    /// timeout.
    pub async fn wait_vpc_endpoint_available(
        ec2: &Client,
        id: &str,
    ) -> Result<VpcEndpoint, AwsError> {
        poll_until(|| async {
            // Absent right after create is eventual consistency: keep polling.
            let Some(endpoint) = find_vpc_endpoint_by_id(ec2, id).await? else {
                return Ok(Poll::Pending);
            };
            match state_of(&endpoint).as_str() {
                "available" => Ok(Poll::Ready(endpoint)),
                "failed" | "rejected" => Err(failure(&endpoint, "the VPC endpoint failed")),
                // A reused client token answers with the endpoint it made before.
                "deleted" | "deleting" => Err(AwsError::unexpected(format!(
                    "VPC endpoint {id} is being deleted while it should become available"
                ))),
                _ => Ok(Poll::Pending),
            }
        })
        .await
    }

    /// Polls until the endpoint is gone, so its ENIs no longer hold subnets and security
    /// groups. The caller owns the timeout.
    pub async fn wait_vpc_endpoint_deleted(ec2: &Client, id: &str) -> Result<(), AwsError> {
        poll_until(|| async {
            let Some(endpoint) = find_vpc_endpoint_by_id(ec2, id).await? else {
                return Ok(Poll::Ready(()));
            };
            match state_of(&endpoint).as_str() {
                "deleted" => Ok(Poll::Ready(())),
                "failed" => Err(failure(&endpoint, "deleting the VPC endpoint failed")),
                _ => Ok(Poll::Pending),
            }
        })
        .await
    }

    /// [`wait_vpc_endpoint_available`] for at most [`CREATE_TIMEOUT`].
    async fn available_in_time(ec2: &Client, id: &str) -> Result<VpcEndpoint, AwsError> {
        within(
            CREATE_TIMEOUT,
            format!("VPC endpoint {id} to become available"),
            wait_vpc_endpoint_available(ec2, id),
        )
        .await
    }

    // create, update, delete

    /// A client token from the owner and node tags and the given parts: the same child asks the
    /// same thing with the same token, so a retried create cannot make a second object. Hex, 41
    /// characters (EC2 allows 64). FNV-1a, written out, because std's hasher may change between
    /// Rust releases.
    pub fn client_token(spec_tags: &Tags, parts: &[&str]) -> String {
        let mut text = String::new();
        for part in [TAG_OWNER, TAG_NODE]
            .iter()
            .map(|k| spec_tags.get(*k).map(String::as_str).unwrap_or_default())
            .chain(parts.iter().copied())
        {
            text.push_str(part);
            text.push('\0');
        }
        let fnv = |mut hash: u64| {
            for byte in text.bytes() {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
            hash
        };
        format!(
            "platform-{:016x}{:016x}",
            fnv(0xcbf2_9ce4_8422_2325),
            fnv(0x8422_2325_cbf2_9ce4)
        )
    }

    fn resolve(keys: &[NodeKey], ids: &IdMap) -> Result<Vec<String>, AwsError> {
        keys.iter()
            .map(|k| {
                ids.id(k)
                    .map(str::to_string)
                    .map_err(|e| AwsError::unexpected(e.message))
            })
            .collect()
    }

    fn sdk_type(endpoint_type: EndpointType) -> VpcEndpointType {
        match endpoint_type {
            EndpointType::Gateway => VpcEndpointType::Gateway,
            EndpointType::Interface => VpcEndpointType::Interface,
        }
    }

    /// Adopts the endpoint of the VPC carrying the spec's ownership tags and not going away,
    /// found in the VPC's shared listing (a listing of this run: the engine forgets it after a
    /// failed attempt), bringing it in line with the spec; otherwise creates one with them, in
    /// the same call. Returns the ledger ID once the endpoint is available.
    pub async fn create_vpc_endpoint(
        cx: &Cx<'_>,
        spec: &VpcEndpointSpec,
    ) -> Result<String, AwsError> {
        let (client, ids) = (&cx.clients.ec2, cx.ids);
        let vpc_id = ids
            .id(&spec.vpc)
            .map_err(|e| AwsError::unexpected(e.message))?;
        let adoptable = if cx.reads.created_in_run(vpc_id) {
            None
        } else {
            let endpoints = vpc_endpoints_of_vpc(cx, vpc_id).await?;
            endpoints
                .iter()
                .filter(|(_, e)| tags::owned_by(e.tags(), &spec.tags) && !is_gone(e))
                .map(|(id, _)| id.clone())
                .min()
        };
        if let Some(id) = adoptable {
            let endpoint = available_in_time(client, &id).await?;
            // A spec changed since the crashed run that made it: bring the endpoint in line.
            if reconcile(client, &endpoint, spec, ids).await? {
                available_in_time(client, &id).await?;
            }
            return Ok(id);
        }
        let kind = sdk_type(spec.endpoint_type);
        let token = client_token(&spec.tags, &[vpc_id, &spec.service_name, kind.as_str()]);
        let mut request = client
            .create_vpc_endpoint()
            .vpc_id(vpc_id)
            .service_name(&spec.service_name)
            .vpc_endpoint_type(kind)
            .client_token(token)
            .tag_specifications(tags::specification(ResourceType::VpcEndpoint, &spec.tags));
        request = match spec.endpoint_type {
            EndpointType::Gateway => {
                request.set_route_table_ids(Some(resolve(&spec.route_tables, ids)?))
            }
            EndpointType::Interface => {
                let groups = resolve(&spec.security_groups, ids)?;
                request
                    .set_subnet_ids(Some(resolve(&spec.subnets, ids)?))
                    // None lets AWS use the VPC's default group.
                    .set_security_group_ids((!groups.is_empty()).then_some(groups))
                    .private_dns_enabled(spec.private_dns)
            }
        };
        let out = request.send().await.map_err(classify)?;
        let id = out
            .vpc_endpoint()
            .and_then(VpcEndpoint::vpc_endpoint_id)
            .ok_or_else(|| AwsError::unexpected("CreateVpcEndpoint returned no ID"))?
            .to_string();
        available_in_time(client, &id).await?;
        Ok(id)
    }

    /// What to add and remove to turn `current` into `desired`.
    fn changes(current: &[String], desired: &[String]) -> (Vec<String>, Vec<String>) {
        let current: BTreeSet<&String> = current.iter().collect();
        let desired: BTreeSet<&String> = desired.iter().collect();
        (
            desired
                .difference(&current)
                .map(|s| s.to_string())
                .collect(),
            current
                .difference(&desired)
                .map(|s| s.to_string())
                .collect(),
        )
    }

    /// Modifies route tables, subnets, security groups and private DNS to match `spec`, from
    /// what AWS reports. Returns whether anything was modified.
    async fn reconcile(
        ec2: &Client,
        endpoint: &VpcEndpoint,
        spec: &VpcEndpointSpec,
        ids: &IdMap,
    ) -> Result<bool, AwsError> {
        let id = endpoint.vpc_endpoint_id().unwrap_or_default();
        let (add_tables, remove_tables) = changes(
            endpoint.route_table_ids(),
            &resolve(&spec.route_tables, ids)?,
        );
        let (add_subnets, remove_subnets) =
            changes(endpoint.subnet_ids(), &resolve(&spec.subnets, ids)?);
        let current_groups: Vec<String> = endpoint
            .groups()
            .iter()
            .filter_map(|g| g.group_id().map(str::to_string))
            .collect();
        let desired_groups = resolve(&spec.security_groups, ids)?;
        // An empty list means "the default group", which AWS chose; an endpoint keeps at least one.
        let (add_groups, remove_groups) = if desired_groups.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            changes(&current_groups, &desired_groups)
        };
        let private_dns = (spec.endpoint_type == EndpointType::Interface
            && endpoint.private_dns_enabled().unwrap_or(false) != spec.private_dns)
            .then_some(spec.private_dns);
        let nothing = [&add_tables, &remove_tables, &add_subnets, &remove_subnets]
            .iter()
            .chain([&add_groups, &remove_groups].iter())
            .all(|v| v.is_empty());
        if nothing && private_dns.is_none() {
            return Ok(false);
        }
        let none_if_empty = |v: Vec<String>| (!v.is_empty()).then_some(v);
        ec2.modify_vpc_endpoint()
            .vpc_endpoint_id(id)
            .set_add_route_table_ids(none_if_empty(add_tables))
            .set_remove_route_table_ids(none_if_empty(remove_tables))
            .set_add_subnet_ids(none_if_empty(add_subnets))
            .set_remove_subnet_ids(none_if_empty(remove_subnets))
            .set_add_security_group_ids(none_if_empty(add_groups))
            .set_remove_security_group_ids(none_if_empty(remove_groups))
            .set_private_dns_enabled(private_dns)
            .send()
            .await
            .map_err(classify)?;
        Ok(true)
    }

    /// Brings the object with ledger ID `id` from `current` to `desired` in place. Returns the
    /// ledger ID (unchanged unless the kind's ID changes on update).
    pub async fn update_vpc_endpoint(
        client: &Client,
        id: &str,
        current: &VpcEndpointSpec,
        desired: &VpcEndpointSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        let endpoint = find_vpc_endpoint_by_id(client, id)
            .await?
            .filter(|e| state_of(e) != "deleted")
            .ok_or_else(|| AwsError::NotFound {
                code: "InvalidVpcEndpointId.NotFound".into(),
            })?;
        if reconcile(client, &endpoint, desired, ids).await? {
            available_in_time(client, id).await?;
        }
        tags::sync_tags(client, id, &current.tags, &desired.tags).await?;
        Ok(id.to_string())
    }

    /// Deletes the object; absence is success.
    pub async fn delete_vpc_endpoint(client: &Client, id: &str) -> Result<(), AwsError> {
        match client
            .delete_vpc_endpoints()
            .vpc_endpoint_ids(id)
            .send()
            .await
            .map_err(classify)
        {
            Ok(out) => {
                // Failures come back as items, not as an error.
                if let Some(item) = out.unsuccessful().first() {
                    let error = item.error();
                    let error = AwsError::from_code(
                        error.and_then(|e| e.code()).unwrap_or("Unknown"),
                        error.and_then(|e| e.message()).unwrap_or_default(),
                        None,
                    );
                    return if error.is_not_found() {
                        Ok(())
                    } else {
                        Err(error)
                    };
                }
            }
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e),
        }
        within(
            DELETE_TIMEOUT,
            format!("VPC endpoint {id} to be deleted"),
            wait_vpc_endpoint_deleted(client, id),
        )
        .await
    }

    /// Reads the object as it is now, with references turned back into node keys; `None` when it
    /// no longer exists.
    pub async fn observe_vpc_endpoint(
        client: &Client,
        id: &str,
        current: &VpcEndpointSpec,
        ids: &IdMap,
    ) -> Result<Option<VpcEndpointSpec>, AwsError> {
        Ok(find_vpc_endpoint_by_id(client, id)
            .await?
            .filter(|e| state_of(e) != "deleted")
            .map(|e| flatten_vpc_endpoint(&e, current, ids)))
    }

    // flatten

    fn sorted_keys<'a>(
        ids: &IdMap,
        kind: Kind,
        aws_ids: impl Iterator<Item = &'a str>,
    ) -> Vec<NodeKey> {
        let mut keys: Vec<NodeKey> = aws_ids.map(|id| key_of(ids, kind, id)).collect();
        keys.sort();
        keys
    }

    pub fn flatten_vpc_endpoint(
        endpoint: &VpcEndpoint,
        current: &VpcEndpointSpec,
        ids: &IdMap,
    ) -> VpcEndpointSpec {
        let endpoint_type = match endpoint.vpc_endpoint_type() {
            Some(VpcEndpointType::Gateway) => EndpointType::Gateway,
            Some(VpcEndpointType::Interface) => EndpointType::Interface,
            // Kinds we never create; keep ours so the difference shows elsewhere.
            _ => current.endpoint_type,
        };
        VpcEndpointSpec {
            vpc: key_of(ids, Kind::Vpc, endpoint.vpc_id().unwrap_or_default()),
            service_name: endpoint.service_name().unwrap_or_default().to_string(),
            endpoint_type,
            route_tables: sorted_keys(
                ids,
                Kind::RouteTable,
                endpoint.route_table_ids().iter().map(String::as_str),
            ),
            subnets: sorted_keys(
                ids,
                Kind::Subnet,
                endpoint.subnet_ids().iter().map(String::as_str),
            ),
            security_groups: sorted_keys(
                ids,
                Kind::SecurityGroup,
                endpoint.groups().iter().filter_map(|g| g.group_id()),
            ),
            // Private DNS exists only for interface endpoints; whatever a gateway reports is moot.
            private_dns: endpoint_type == EndpointType::Interface
                && endpoint.private_dns_enabled().unwrap_or(false),
            tags: tags::from_sdk(endpoint.tags()),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use aws_sdk_ec2::types::State;

        #[test]
        fn client_tokens_are_stable_short_and_distinct() {
            let mut tags = Tags::new();
            tags.insert(TAG_OWNER.into(), "environment/test".into());
            tags.insert(TAG_NODE.into(), "ec2.vpc_endpoint/s3".into());
            let a = client_token(&tags, &["vpc-1", "com.amazonaws.us-east-1.s3"]);
            assert_eq!(
                a,
                client_token(&tags, &["vpc-1", "com.amazonaws.us-east-1.s3"])
            );
            assert!(a.len() <= 64, "{a}");
            assert_ne!(
                a,
                client_token(&tags, &["vpc-2", "com.amazonaws.us-east-1.s3"])
            );
            // The separator keeps part boundaries meaningful.
            assert_ne!(
                client_token(&tags, &["ab", "c"]),
                client_token(&tags, &["a", "bc"])
            );
        }

        #[test]
        fn state_is_compared_as_text() {
            let lower = VpcEndpoint::builder()
                .state(State::from("available"))
                .build();
            let enum_form = VpcEndpoint::builder().state(State::Available).build();
            assert_eq!(state_of(&lower), "available");
            assert_eq!(state_of(&enum_form), "available");
            let deleting = VpcEndpoint::builder()
                .state(State::from("deleting"))
                .build();
            assert!(is_gone(&deleting));
        }

        #[test]
        fn flatten_sorts_every_list() {
            let endpoint = VpcEndpoint::builder()
                .vpc_id("vpc-1")
                .vpc_endpoint_type(VpcEndpointType::Gateway)
                .service_name("com.amazonaws.us-east-1.s3")
                .route_table_ids("rtb-b")
                .route_table_ids("rtb-a")
                .build();
            let current = VpcEndpointSpec {
                vpc: NodeKey::new(Kind::Vpc, &[]),
                service_name: String::new(),
                endpoint_type: EndpointType::Interface,
                route_tables: vec![],
                subnets: vec![],
                security_groups: vec![],
                private_dns: true,
                tags: Tags::new(),
            };
            let spec = flatten_vpc_endpoint(&endpoint, &current, &IdMap::default());
            assert_eq!(spec.endpoint_type, EndpointType::Gateway);
            assert!(!spec.private_dns);
            let names: Vec<&str> = spec.route_tables.iter().map(NodeKey::as_str).collect();
            assert_eq!(
                names,
                [
                    "ec2.route_table/external/rtb-a",
                    "ec2.route_table/external/rtb-b"
                ]
            );
        }
    }
}
