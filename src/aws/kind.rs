//! The contract every AWS child kind fulfils.
//!
//! A kind is one file, `aws/<service>/<kind>.rs`, listed once in the registry (`aws/mod.rs`).
//! The file holds:
//! - its spec type, the desired properties of one object, with references to other children
//!   as node keys;
//! - [`KindSpec`]: what the planner needs to know without AWS (key prefix, references and how
//!   each follows a new ID, replacement rules, tags, IAM actions);
//! - behind the `sdk` feature, [`AwsKind`]: find, observe (batched through the shared reads),
//!   create (adopting first), update, delete and the waits they need.
//!
//! The registry turns the list into the `Kind` and `ChildSpec` enums and dispatches to these
//! traits with exhaustive matches, so a kind missing any part does not compile.

use std::collections::BTreeMap;
use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::plan::node::{Node, NodeKey, Tags};

/// What happens to a child when a child it refers to gets a new AWS ID (it was created,
/// replaced, or updated into a new revision).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Follow {
    /// An in-place update points it at the new ID (ReplaceRoute, ModifyRule, UpdateService).
    Update,
    /// AWS fixes the reference at create (a subnet's VPC): the child is replaced too.
    Replace,
    /// Only an ordering dependency (a NAT gateway waits for the internet gateway): nothing to do.
    Order,
}

/// One reference from a spec to another child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reference<'a> {
    pub key: &'a NodeKey,
    pub follow: Follow,
}

impl Reference<'_> {
    pub fn update(key: &NodeKey) -> Reference<'_> {
        Reference {
            key,
            follow: Follow::Update,
        }
    }

    pub fn replace(key: &NodeKey) -> Reference<'_> {
        Reference {
            key,
            follow: Follow::Replace,
        }
    }

    pub fn order(key: &NodeKey) -> Reference<'_> {
        Reference {
            key,
            follow: Follow::Order,
        }
    }
}

/// What the planner knows of a kind: pure, no AWS.
pub trait KindSpec:
    Clone + Debug + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static
{
    /// The node key prefix, also the kind's name in diagnostics (`ec2.subnet`).
    const PREFIX: &'static str;
    /// Human name for diagnostics, as in "creating EC2 Subnet (ec2.subnet/public/use1-az1)".
    const DISPLAY_NAME: &'static str;
    /// IAM actions the deploying role needs to manage this kind, sorted (docs, deployer
    /// policy; `tests/docs.rs` checks them against the SDK calls in the file).
    const IAM_ACTIONS: &'static [&'static str];
    /// The part of [`KindSpec::IAM_ACTIONS`] the provider never calls itself: what AWS checks
    /// of the caller on its behalf (creating a Cloud Map namespace creates a Route 53 zone).
    /// `tests/docs.rs` excuses these from its scan of the file's SDK calls.
    const INDIRECT_IAM_ACTIONS: &'static [&'static str] = &[];
    /// Holds data that a replacement would lose (a database, a cache): never replaced as a
    /// side effect, and a plan that would replace it fails naming the cause.
    const HOLDS_DATA: bool = false;
    /// An update gives the object a new AWS ID (a task definition registers a new revision),
    /// so the children referring to it follow.
    const UPDATE_CHANGES_ID: bool = false;
    /// A replacement creates the new object before deleting the old one, because AWS refuses
    /// to delete it while in use (a certificate on a listener) and nothing about it is unique.
    const CREATE_BEFORE_DESTROY: bool = false;

    /// Other children this one refers to: they must exist first and go last.
    fn references(&self) -> Vec<Reference<'_>>;

    /// Tags AWS stores on the object; `None` for kinds AWS cannot tag.
    fn tags(&self) -> Option<&Tags>;

    /// The property whose change needs a new AWS object, or `None` when an in-place update
    /// reaches `desired` (the kind's `replace_on` list).
    fn replaced_by(&self, desired: &Self) -> Option<&'static str>;

    /// The fixed hourly price of the object in USD and the cost-breakdown entry it counts
    /// under (`plan::cost` keeps the list prices); `None` when it is free or priced by usage
    /// only. `graph` holds the other children, for kinds priced by another one (an ECS service
    /// by its task definition's size). Required, so a new kind decides its price.
    fn hourly_charge(&self, graph: &BTreeMap<NodeKey, Node>) -> Option<(&'static str, f64)>;
}

/// The first property of `(name, changed)` pairs that changed; a `replaced_by` helper.
pub fn first_changed(properties: &[(&'static str, bool)]) -> Option<&'static str> {
    properties
        .iter()
        .find(|(_, changed)| *changed)
        .map(|(name, _)| *name)
}

#[cfg(feature = "sdk")]
pub use sdk::{AwsKind, Cx};

#[cfg(feature = "sdk")]
mod sdk {
    use std::future::Future;

    use super::KindSpec;
    use crate::apply::IdMap;
    use crate::aws::common::reads::Reads;
    use crate::aws::error::AwsError;
    use crate::aws::AwsClients;

    /// What every step of a kind gets: the clients, the IDs of the children it refers to,
    /// and the reads shared by every resource of the environment in this provider process.
    #[derive(Clone, Copy)]
    pub struct Cx<'a> {
        pub clients: &'a AwsClients,
        pub ids: &'a IdMap,
        /// Describe calls answered once per scope (an environment's VPC, a cluster, a
        /// listener) and shared; observe reads through them, and so do the adopt-first
        /// lookups of the kinds with many children, so N children of a kind cost the calls of
        /// one. The engine forgets them after a failed attempt (`apply::Executor::forget_reads`).
        pub reads: &'a Reads,
    }

    /// How one kind is found, observed, created, updated and deleted in AWS.
    ///
    /// Every step is idempotent: create adopts an object already carrying the spec's
    /// ownership tags (or its deterministic name and those tags) and never duplicates one;
    /// delete treats absence as success; find and observe never change anything.
    pub trait AwsKind: KindSpec {
        /// The ledger ID of an existing object carrying this child's ownership tags (import,
        /// adoption after a crash); `None` when there is none.
        fn find(
            cx: &Cx<'_>,
            spec: &Self,
        ) -> impl Future<Output = Result<Option<String>, AwsError>> + Send;

        /// The object as it is now, references turned back into node keys; `None` when it no
        /// longer exists. Reads through `cx.reads`, one listing per scope.
        fn observe(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
        ) -> impl Future<Output = Result<Option<Self>, AwsError>> + Send;

        /// Creates the object (adopting first, waiting until usable); returns its ledger ID.
        /// The adopt-first lookup may read the listing observe reads through `cx.reads`: one
        /// taken in this run, which lacks only children this run recorded (`apply`'s module
        /// docs).
        fn create(
            cx: &Cx<'_>,
            spec: &Self,
        ) -> impl Future<Output = Result<String, AwsError>> + Send;

        /// Brings the object from `current` to `desired` in place; returns its ledger ID (new
        /// only for kinds whose update changes it). A reference in `current` that differs from
        /// `desired` (including one whose target got a new ID) is pointed at the new ID.
        fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> impl Future<Output = Result<String, AwsError>> + Send;

        /// Deletes the object and waits until it is gone; absence is success.
        fn delete(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
        ) -> impl Future<Output = Result<(), AwsError>> + Send;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_changed_names_the_first_property() {
        assert_eq!(
            first_changed(&[("a", false), ("b", true), ("c", true)]),
            Some("b")
        );
        assert_eq!(first_changed(&[("a", false)]), None);
    }
}
