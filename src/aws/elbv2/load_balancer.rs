//! ELBv2 application load balancer; the ledger ID is its ARN.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::cost;
use crate::plan::node::{Node, NodeKey, Tags};

/// An application load balancer; its ledger ID is its ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadBalancerSpec {
    /// At most 32 characters; AWS cannot rename a load balancer.
    pub name: String,
    /// `internal` scheme rather than `internet-facing`; AWS cannot change it in place.
    pub internal: bool,
    /// One per AZ. Sorted.
    pub subnets: Vec<NodeKey>,
    /// Sorted.
    pub security_groups: Vec<NodeKey>,
    pub idle_timeout_seconds: u32,
    pub drop_invalid_headers: bool,
    pub deletion_protection: bool,
    pub tags: Tags,
}

impl KindSpec for LoadBalancerSpec {
    const PREFIX: &'static str = "elbv2.load_balancer";
    const DISPLAY_NAME: &'static str = "ELBv2 Load Balancer";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "elasticloadbalancing:AddTags",
        "elasticloadbalancing:CreateLoadBalancer",
        "elasticloadbalancing:DeleteLoadBalancer",
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeTags",
        "elasticloadbalancing:ModifyLoadBalancerAttributes",
        "elasticloadbalancing:RemoveTags",
        "elasticloadbalancing:SetSecurityGroups",
        "elasticloadbalancing:SetSubnets",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        self.subnets
            .iter()
            .chain(&self.security_groups)
            .map(Reference::update)
            .collect()
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[
            ("name", self.name != d.name),
            ("internal", self.internal != d.internal),
        ])
    }

    fn hourly_charge(&self, _graph: &BTreeMap<NodeKey, Node>) -> Option<(&'static str, f64)> {
        // The hourly charge only; capacity units (LCUs) are usage-based.
        Some(("load_balancer", cost::LOAD_BALANCER_USD_PER_HOUR))
    }
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use std::sync::Arc;
    use std::time::Duration;

    use aws_sdk_elasticloadbalancingv2::types::{
        IpAddressType, LoadBalancer, LoadBalancerAttribute, LoadBalancerSchemeEnum,
        LoadBalancerTypeEnum,
    };
    use aws_sdk_elasticloadbalancingv2::Client;

    use super::*;
    use crate::apply::IdMap;
    use crate::aws::common::elbv2::{describe_tags_of, sync_tags};
    use crate::aws::common::keys::key_of;
    use crate::aws::common::keys::resolve;
    use crate::aws::common::ownership::{adopt_or_create, owned_by, Found};
    use crate::aws::common::poll::{poll_until, within, Poll};
    use crate::aws::common::reads::Reads;
    use crate::aws::common::tags;
    use crate::aws::error::{classify, none_if_not_found, AwsError};
    use crate::aws::kind::{AwsKind, Cx};
    use crate::plan::node::Kind;

    impl AwsKind for LoadBalancerSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            find_owned_load_balancer(&cx.clients.elbv2, spec, cx.ids).await
        }

        /// An environment has one load balancer, so it is read by ARN (a region-wide listing
        /// would read every load balancer in the region); the three reads are shared by every
        /// resource observing it.
        async fn observe(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<Option<Self>, AwsError> {
            let client = &cx.clients.elbv2;
            let lb = shared_load_balancer(client, cx.reads, id).await?;
            let Some(lb) = lb.as_ref() else {
                return Ok(None);
            };
            let attributes = cx
                .reads
                .get(&format!("elbv2.load_balancer/{id}/attributes"), || async {
                    none_if_not_found(find_load_balancer_attributes(client, id).await)
                })
                .await?;
            let tags = cx
                .reads
                .get(&format!("elbv2.load_balancer/{id}/tags"), || {
                    describe_tags_of(client, id)
                })
                .await?;
            let (Some(attributes), Some(tags)) = (*attributes, tags.as_ref()) else {
                return Ok(None);
            };
            Ok(Some(flatten_load_balancer(
                lb,
                attributes,
                tags.clone(),
                cx.ids,
            )))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_load_balancer(&cx.clients.elbv2, spec, cx.ids).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_load_balancer(&cx.clients.elbv2, id, current, desired, cx.ids).await
        }

        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            delete_load_balancer(&cx.clients.elbv2, id).await
        }
    }

    /// Provisioning takes a few minutes; deleting releases ENIs that hold subnets and groups.
    const CREATE_TIMEOUT: Duration = Duration::from_secs(600);
    const DELETE_TIMEOUT: Duration = Duration::from_secs(600);

    /// A create that lost a race (or follows a crash): adopt or refuse.
    const DUPLICATE_NAME: &str = "DuplicateLoadBalancerName";

    /// The attributes the spec manages, as ELBv2 names them.
    const ATTR_IDLE_TIMEOUT: &str = "idle_timeout.timeout_seconds";
    const ATTR_DROP_INVALID_HEADERS: &str = "routing.http.drop_invalid_header_fields.enabled";
    const ATTR_DELETION_PROTECTION: &str = "deletion_protection.enabled";
    /// What ELBv2 reports when the idle timeout was never set.
    const DEFAULT_IDLE_TIMEOUT: u32 = 60;

    /// The managed attributes of a load balancer.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Attributes {
        pub idle_timeout_seconds: u32,
        pub drop_invalid_headers: bool,
        pub deletion_protection: bool,
    }

    impl Attributes {
        fn of(spec: &LoadBalancerSpec) -> Attributes {
            Attributes {
                idle_timeout_seconds: spec.idle_timeout_seconds,
                drop_invalid_headers: spec.drop_invalid_headers,
                deletion_protection: spec.deletion_protection,
            }
        }
    }

    // find

    /// `None` when no load balancer has the name (`LoadBalancerNotFound`).
    pub async fn find_load_balancer_by_name(
        client: &Client,
        name: &str,
    ) -> Result<Option<LoadBalancer>, AwsError> {
        let out = none_if_not_found(
            client
                .describe_load_balancers()
                .names(name)
                .send()
                .await
                .map_err(classify),
        )?;
        Ok(out.and_then(|o| {
            o.load_balancers()
                .iter()
                .find(|lb| lb.load_balancer_name() == Some(name))
                .cloned()
        }))
    }

    pub async fn find_load_balancer_by_arn(
        client: &Client,
        arn: &str,
    ) -> Result<Option<LoadBalancer>, AwsError> {
        let out = none_if_not_found(
            client
                .describe_load_balancers()
                .load_balancer_arns(arn)
                .send()
                .await
                .map_err(classify),
        )?;
        Ok(out.and_then(|o| {
            o.load_balancers()
                .iter()
                .find(|lb| lb.load_balancer_arn() == Some(arn))
                .cloned()
        }))
    }

    pub async fn find_load_balancer_attributes(
        client: &Client,
        arn: &str,
    ) -> Result<Attributes, AwsError> {
        let out = client
            .describe_load_balancer_attributes()
            .load_balancer_arn(arn)
            .send()
            .await
            .map_err(classify)?;
        Ok(flatten_attributes(out.attributes()))
    }

    fn arn_of(lb: &LoadBalancer) -> Result<&str, AwsError> {
        lb.load_balancer_arn()
            .ok_or_else(|| AwsError::unexpected("DescribeLoadBalancers returned no ARN"))
    }

    /// The load balancer holding the spec's name, attributes and tags included; `None` when
    /// there is none. Asks AWS directly: adoption must not act on a shared earlier read.
    async fn read_load_balancer_by_name(
        client: &Client,
        spec: &LoadBalancerSpec,
        ids: &IdMap,
    ) -> Result<Option<Found<LoadBalancerSpec>>, AwsError> {
        let Some(lb) = find_load_balancer_by_name(client, &spec.name).await? else {
            return Ok(None);
        };
        let arn = arn_of(&lb)?;
        let Some(attributes) = none_if_not_found(find_load_balancer_attributes(client, arn).await)?
        else {
            return Ok(None);
        };
        let Some(tags) = describe_tags_of(client, arn).await? else {
            return Ok(None);
        };
        Ok(Some(Found {
            id: arn.to_string(),
            current: flatten_load_balancer(&lb, attributes, tags.clone(), ids),
            tags,
        }))
    }

    /// The ledger ID of the load balancer holding the spec's name and carrying its ownership
    /// tags, without changing anything (import and discovery); `None` when there is none.
    pub async fn find_owned_load_balancer(
        client: &Client,
        spec: &LoadBalancerSpec,
        ids: &IdMap,
    ) -> Result<Option<String>, AwsError> {
        Ok(read_load_balancer_by_name(client, spec, ids)
            .await?
            .filter(|found| owned_by(&found.tags, &spec.tags))
            .map(|found| found.id))
    }

    /// The load balancer by ARN, read once per scope: observe and the environment's endpoint
    /// share this read. `None` when it is gone.
    pub async fn shared_load_balancer(
        client: &Client,
        reads: &Reads,
        arn: &str,
    ) -> Result<Arc<Option<LoadBalancer>>, AwsError> {
        reads
            .get(&format!("elbv2.load_balancer/{arn}"), || {
                find_load_balancer_by_arn(client, arn)
            })
            .await
    }

    // wait

    /// The state code in lower case, compared as text (`active`, `provisioning`, …).
    fn state_of(lb: &LoadBalancer) -> String {
        lb.state()
            .and_then(|s| s.code())
            .map(|c| c.as_str().to_ascii_lowercase())
            .unwrap_or_default()
    }

    /// Polls until the load balancer is active, for at most [`CREATE_TIMEOUT`]. The create
    /// response says `provisioning`, so only describes count. `active_impaired` routes traffic
    /// and is accepted.
    pub async fn wait_load_balancer_active(client: &Client, arn: &str) -> Result<(), AwsError> {
        let active = poll_until(|| async {
            // Absent right after create is eventual consistency: keep polling.
            let Some(lb) = find_load_balancer_by_arn(client, arn).await? else {
                return Ok(Poll::Pending);
            };
            match state_of(&lb).as_str() {
                "active" | "active_impaired" => Ok(Poll::Ready(())),
                "failed" => Err(AwsError::Api {
                    code: "LoadBalancerFailed".into(),
                    message: format!(
                        "load balancer {arn} failed to provision: {}",
                        lb.state()
                            .and_then(|s| s.reason())
                            .unwrap_or("no reason given")
                    ),
                }),
                _ => Ok(Poll::Pending),
            }
        });
        within(
            CREATE_TIMEOUT,
            format!("load balancer {arn} to become active"),
            active,
        )
        .await
    }

    /// Polls until DescribeLoadBalancers no longer knows the ARN, for at most
    /// [`DELETE_TIMEOUT`].
    pub async fn wait_load_balancer_deleted(client: &Client, arn: &str) -> Result<(), AwsError> {
        let gone = poll_until(|| async {
            Ok(match find_load_balancer_by_arn(client, arn).await? {
                Some(_) => Poll::Pending,
                None => Poll::Ready(()),
            })
        });
        within(
            DELETE_TIMEOUT,
            format!("load balancer {arn} to be deleted"),
            gone,
        )
        .await
    }

    // create, update, delete

    /// Creates the load balancer, or adopts the one holding its name when it carries the
    /// spec's ownership tags (refusing one someone else owns). Returns the ledger ID.
    pub async fn create_load_balancer(
        client: &Client,
        spec: &LoadBalancerSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        adopt_or_create(
            "load balancer",
            &spec.name,
            &spec.tags,
            &[DUPLICATE_NAME],
            || read_load_balancer_by_name(client, spec, ids),
            |found| async move {
                // A crashed run may have left it provisioning; attributes need it active.
                wait_load_balancer_active(client, &found.id).await?;
                update_load_balancer(client, &found.id, &found.current, spec, ids).await
            },
            || create_new_load_balancer(client, spec, ids),
        )
        .await
    }

    async fn create_new_load_balancer(
        client: &Client,
        spec: &LoadBalancerSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        let scheme = if spec.internal {
            LoadBalancerSchemeEnum::Internal
        } else {
            LoadBalancerSchemeEnum::InternetFacing
        };
        let groups = resolve(&spec.security_groups, ids)?;
        // Tags go in the create call, so the load balancer never exists untagged.
        let out = client
            .create_load_balancer()
            .name(&spec.name)
            .r#type(LoadBalancerTypeEnum::Application)
            .scheme(scheme)
            .ip_address_type(IpAddressType::Ipv4)
            .set_subnets(Some(resolve(&spec.subnets, ids)?))
            // None lets AWS use the VPC's default group.
            .set_security_groups((!groups.is_empty()).then_some(groups))
            .set_tags(Some(tags::to_sdk(&spec.tags)?))
            .send()
            .await
            .map_err(classify)?;
        let arn = out
            .load_balancers()
            .first()
            .and_then(LoadBalancer::load_balancer_arn)
            .ok_or_else(|| AwsError::unexpected("CreateLoadBalancer returned no ARN"))?
            .to_string();
        wait_load_balancer_active(client, &arn).await?;
        // CreateLoadBalancer takes no attributes; a failure here is reconciled on adoption.
        modify_attributes(client, &arn, &expand_attributes(None, Attributes::of(spec))).await?;
        Ok(arn)
    }

    async fn modify_attributes(
        client: &Client,
        arn: &str,
        attributes: &[LoadBalancerAttribute],
    ) -> Result<(), AwsError> {
        if attributes.is_empty() {
            return Ok(());
        }
        client
            .modify_load_balancer_attributes()
            .load_balancer_arn(arn)
            .set_attributes(Some(attributes.to_vec()))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// Brings the object with ledger ID `id` from `current` to `desired` in place. Returns the
    /// ledger ID.
    pub async fn update_load_balancer(
        client: &Client,
        id: &str,
        current: &LoadBalancerSpec,
        desired: &LoadBalancerSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        if current.subnets != desired.subnets {
            client
                .set_subnets()
                .load_balancer_arn(id)
                .set_subnets(Some(resolve(&desired.subnets, ids)?))
                .send()
                .await
                .map_err(classify)?;
        }
        if current.security_groups != desired.security_groups {
            client
                .set_security_groups()
                .load_balancer_arn(id)
                .set_security_groups(Some(resolve(&desired.security_groups, ids)?))
                .send()
                .await
                .map_err(classify)?;
        }
        let changed = expand_attributes(Some(Attributes::of(current)), Attributes::of(desired));
        modify_attributes(client, id, &changed).await?;
        sync_tags(client, id, &current.tags, &desired.tags).await?;
        Ok(id.to_string())
    }

    /// Deletes the object; absence is success. Deletion protection is turned off first: whether
    /// destroy may proceed was decided before this step. Waits until the load balancer is gone,
    /// so its ENIs stop holding subnets and security groups.
    pub async fn delete_load_balancer(client: &Client, id: &str) -> Result<(), AwsError> {
        let Some(attributes) = none_if_not_found(find_load_balancer_attributes(client, id).await)?
        else {
            return Ok(());
        };
        if attributes.deletion_protection {
            let off = Attributes {
                deletion_protection: false,
                ..attributes
            };
            if none_if_not_found(
                modify_attributes(client, id, &expand_attributes(Some(attributes), off)).await,
            )?
            .is_none()
            {
                return Ok(());
            }
        }
        none_if_not_found(
            client
                .delete_load_balancer()
                .load_balancer_arn(id)
                .send()
                .await
                .map_err(classify),
        )?;
        wait_load_balancer_deleted(client, id).await
    }

    // expand, flatten

    /// The attributes of `desired` that differ from `current` (all of them without `current`).
    fn expand_attributes(
        current: Option<Attributes>,
        desired: Attributes,
    ) -> Vec<LoadBalancerAttribute> {
        let attribute = |key: &str, value: String| {
            LoadBalancerAttribute::builder()
                .key(key)
                .value(value)
                .build()
        };
        let mut out = Vec::new();
        if current.is_none_or(|c| c.idle_timeout_seconds != desired.idle_timeout_seconds) {
            out.push(attribute(
                ATTR_IDLE_TIMEOUT,
                desired.idle_timeout_seconds.to_string(),
            ));
        }
        if current.is_none_or(|c| c.drop_invalid_headers != desired.drop_invalid_headers) {
            out.push(attribute(
                ATTR_DROP_INVALID_HEADERS,
                desired.drop_invalid_headers.to_string(),
            ));
        }
        if current.is_none_or(|c| c.deletion_protection != desired.deletion_protection) {
            out.push(attribute(
                ATTR_DELETION_PROTECTION,
                desired.deletion_protection.to_string(),
            ));
        }
        out
    }

    /// Missing or unreadable values read as ELBv2's defaults.
    pub fn flatten_attributes(attributes: &[LoadBalancerAttribute]) -> Attributes {
        let value = |key: &str| {
            attributes
                .iter()
                .find(|a| a.key() == Some(key))
                .and_then(LoadBalancerAttribute::value)
        };
        let flag = |key: &str| value(key).is_some_and(|v| v.eq_ignore_ascii_case("true"));
        Attributes {
            idle_timeout_seconds: value(ATTR_IDLE_TIMEOUT)
                .and_then(|v| v.parse().ok())
                .unwrap_or(DEFAULT_IDLE_TIMEOUT),
            drop_invalid_headers: flag(ATTR_DROP_INVALID_HEADERS),
            deletion_protection: flag(ATTR_DELETION_PROTECTION),
        }
    }

    fn sorted_keys<'a>(
        ids: &IdMap,
        kind: Kind,
        aws_ids: impl Iterator<Item = &'a str>,
    ) -> Vec<NodeKey> {
        let mut keys: Vec<NodeKey> = aws_ids.map(|id| key_of(ids, kind, id)).collect();
        keys.sort();
        keys
    }

    pub fn flatten_load_balancer(
        lb: &LoadBalancer,
        attributes: Attributes,
        tags: Tags,
        ids: &IdMap,
    ) -> LoadBalancerSpec {
        LoadBalancerSpec {
            name: lb.load_balancer_name().unwrap_or_default().to_string(),
            internal: lb.scheme() == Some(&LoadBalancerSchemeEnum::Internal),
            subnets: sorted_keys(
                ids,
                Kind::Subnet,
                lb.availability_zones().iter().filter_map(|z| z.subnet_id()),
            ),
            security_groups: sorted_keys(
                ids,
                Kind::SecurityGroup,
                lb.security_groups().iter().map(String::as_str),
            ),
            idle_timeout_seconds: attributes.idle_timeout_seconds,
            drop_invalid_headers: attributes.drop_invalid_headers,
            deletion_protection: attributes.deletion_protection,
            tags,
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use aws_sdk_elasticloadbalancingv2::types::{
            AvailabilityZone, LoadBalancerState, LoadBalancerStateEnum,
        };

        fn attribute(key: &str, value: &str) -> LoadBalancerAttribute {
            LoadBalancerAttribute::builder()
                .key(key)
                .value(value)
                .build()
        }

        #[test]
        fn attributes_read_with_defaults() {
            let read = flatten_attributes(&[
                attribute(ATTR_DELETION_PROTECTION, "true"),
                attribute(ATTR_IDLE_TIMEOUT, "not a number"),
                attribute("access_logs.s3.enabled", "true"),
            ]);
            assert_eq!(
                read,
                Attributes {
                    idle_timeout_seconds: DEFAULT_IDLE_TIMEOUT,
                    drop_invalid_headers: false,
                    deletion_protection: true,
                }
            );
        }

        #[test]
        fn only_changed_attributes_are_sent() {
            let current = Attributes {
                idle_timeout_seconds: 60,
                drop_invalid_headers: true,
                deletion_protection: true,
            };
            let desired = Attributes {
                idle_timeout_seconds: 120,
                ..current
            };
            let changed = expand_attributes(Some(current), desired);
            assert_eq!(changed, [attribute(ATTR_IDLE_TIMEOUT, "120")]);
            assert!(expand_attributes(Some(current), current).is_empty());
            assert_eq!(expand_attributes(None, desired).len(), 3);
            // Round trip: what is sent reads back as the same attributes.
            assert_eq!(
                flatten_attributes(&expand_attributes(None, desired)),
                desired
            );
        }

        #[test]
        fn flatten_maps_scheme_and_sorts_references() {
            let lb = LoadBalancer::builder()
                .load_balancer_name("test")
                .scheme(LoadBalancerSchemeEnum::Internal)
                .availability_zones(AvailabilityZone::builder().subnet_id("subnet-b").build())
                .availability_zones(AvailabilityZone::builder().subnet_id("subnet-a").build())
                .security_groups("sg-1")
                .state(
                    LoadBalancerState::builder()
                        .code(LoadBalancerStateEnum::Provisioning)
                        .build(),
                )
                .build();
            assert_eq!(state_of(&lb), "provisioning");
            let spec =
                flatten_load_balancer(&lb, flatten_attributes(&[]), Tags::new(), &IdMap::default());
            assert!(spec.internal);
            let subnets: Vec<&str> = spec.subnets.iter().map(NodeKey::as_str).collect();
            assert_eq!(
                subnets,
                [
                    "ec2.subnet/external/subnet-a",
                    "ec2.subnet/external/subnet-b"
                ]
            );
            assert_eq!(spec.security_groups.len(), 1);
            assert_eq!(spec.idle_timeout_seconds, DEFAULT_IDLE_TIMEOUT);
        }
    }
}
