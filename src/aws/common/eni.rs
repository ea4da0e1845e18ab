//! EC2 Network Interfaces that block the deletion of a subnet or a security group.
//!
//! Not a child kind: we never create ENIs. Interface VPC endpoints, load balancers and ECS
//! tasks leave ENIs that linger for minutes after their owner is gone, and other services
//! (Lambda, a crashed task) can leave detached ENIs behind for good; while any remains,
//! DeleteSubnet and DeleteSecurityGroup answer DependencyViolation. This module finds them
//! and deletes the detached (`available`) ones. It never touches an ENI that is attached: its
//! owner releases it, and the engine's DependencyViolation retry waits for that.

use aws_sdk_ec2::types::{Filter, NetworkInterface, NetworkInterfaceStatus};
use aws_sdk_ec2::Client;

use crate::aws::error::{classify, AwsError};

// constants

/// DescribeNetworkInterfaces filter for the ENIs of one subnet.
const FILTER_SUBNET: &str = "subnet-id";
/// DescribeNetworkInterfaces filter for the ENIs carrying one security group.
const FILTER_GROUP: &str = "group-id";

// find

/// Every ENI in the subnet, across pages.
pub async fn find_network_interfaces_in_subnet(
    ec2: &Client,
    subnet_id: &str,
) -> Result<Vec<NetworkInterface>, AwsError> {
    find_network_interfaces(ec2, FILTER_SUBNET, subnet_id).await
}

/// Every ENI that carries the security group, across pages.
pub async fn find_network_interfaces_with_group(
    ec2: &Client,
    group_id: &str,
) -> Result<Vec<NetworkInterface>, AwsError> {
    find_network_interfaces(ec2, FILTER_GROUP, group_id).await
}

async fn find_network_interfaces(
    ec2: &Client,
    filter: &str,
    value: &str,
) -> Result<Vec<NetworkInterface>, AwsError> {
    let mut pages = ec2
        .describe_network_interfaces()
        .filters(Filter::builder().name(filter).values(value).build())
        .into_paginator()
        .send();
    let mut interfaces = Vec::new();
    while let Some(page) = pages.next().await {
        interfaces.extend(page.map_err(classify)?.network_interfaces().iter().cloned());
    }
    Ok(interfaces)
}

/// True for an ENI that nothing is attached to, so deleting it disturbs no one.
pub fn is_detached(interface: &NetworkInterface) -> bool {
    interface.status() == Some(&NetworkInterfaceStatus::Available)
}

// delete

/// Deletes the detached (`available`) ENIs among `interfaces` and leaves every other one
/// alone. Returns how many are gone now: an ENI already deleted counts, one that got attached
/// between the describe and the delete does not.
///
/// # Errors
/// The first error that is neither NotFound nor a dependency violation (throttling, a missing
/// `ec2:DeleteNetworkInterface` permission, …).
pub async fn sweep_detached_network_interfaces(
    ec2: &Client,
    interfaces: &[NetworkInterface],
) -> Result<usize, AwsError> {
    let mut swept = 0;
    for id in interfaces
        .iter()
        .filter(|i| is_detached(i))
        .filter_map(NetworkInterface::network_interface_id)
    {
        match delete_network_interface(ec2, id).await {
            Ok(()) => swept += 1,
            // Attached again since we looked (InvalidNetworkInterface.InUse): its owner has it.
            Err(AwsError::DependencyViolation { message }) => {
                tracing::debug!(network_interface = id, %message, "in use again; left alone");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(swept)
}

/// What the ENIs block: the subnet they sit in, or a security group they carry.
#[derive(Debug, Clone, Copy)]
pub enum Holder<'a> {
    Subnet(&'a str),
    SecurityGroup(&'a str),
}

/// Runs `delete`; when it answers DependencyViolation, sweeps the detached ENIs of `holder` and
/// tries once more. A violation that remains (attached ENIs, other groups' rules) is returned
/// for the engine to retry with backoff; with nothing swept, a second try would fail the same
/// way, so the first answer is returned at once.
pub async fn delete_sweeping_detached<F, Fut>(
    ec2: &Client,
    holder: Holder<'_>,
    delete: F,
) -> Result<(), AwsError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(), AwsError>>,
{
    let violation = match delete().await {
        Err(e @ AwsError::DependencyViolation { .. }) => e,
        other => return other,
    };
    let interfaces = match holder {
        Holder::Subnet(id) => find_network_interfaces_in_subnet(ec2, id).await?,
        Holder::SecurityGroup(id) => find_network_interfaces_with_group(ec2, id).await?,
    };
    let swept = sweep_detached_network_interfaces(ec2, &interfaces).await?;
    tracing::info!(
        holder = ?holder,
        swept,
        remaining = interfaces.len().saturating_sub(swept),
        "swept detached network interfaces blocking a delete"
    );
    if swept == 0 {
        return Err(violation);
    }
    delete().await
}

/// Deletes one ENI; absence is success.
async fn delete_network_interface(ec2: &Client, id: &str) -> Result<(), AwsError> {
    match ec2
        .delete_network_interface()
        .network_interface_id(id)
        .send()
        .await
        .map_err(classify)
    {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eni(status: NetworkInterfaceStatus) -> NetworkInterface {
        NetworkInterface::builder()
            .network_interface_id("eni-1")
            .status(status)
            .build()
    }

    #[test]
    fn only_available_interfaces_are_detached() {
        assert!(is_detached(&eni(NetworkInterfaceStatus::Available)));
        assert!(!is_detached(&eni(NetworkInterfaceStatus::InUse)));
        assert!(!is_detached(&eni(NetworkInterfaceStatus::Attaching)));
        assert!(!is_detached(&eni(NetworkInterfaceStatus::Detaching)));
        assert!(!is_detached(&eni(NetworkInterfaceStatus::Associated)));
        assert!(!is_detached(&NetworkInterface::builder().build()));
    }
}
