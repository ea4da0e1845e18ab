//! The `kinds!` macro behind the registry in `aws/mod.rs`: from one list of kinds it declares
//! their modules and generates the closed `Kind` and `ChildSpec` enums with exhaustive
//! dispatch to each kind's [`KindSpec`](super::kind::KindSpec) and, with the `sdk` feature,
//! [`AwsKind`](super::kind::AwsKind). A kind that lacks any part fails to compile; no match
//! anywhere falls back silently.

macro_rules! kinds {
    ($(
        $service:ident {
            $( $module:ident :: $spec:ident => $variant:ident ),+ $(,)?
        }
    )+) => {
        $(
            pub mod $service {
                $( pub mod $module; )+
            }
        )+

        /// AWS object kinds the provider manages.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Kind {
            $( $( $variant, )+ )+
        }

        impl Kind {
            /// Every kind, in registry order.
            pub const ALL: &'static [Kind] = &[ $( $( Kind::$variant, )+ )+ ];

            /// The key prefix, also used in diagnostics.
            pub fn prefix(self) -> &'static str {
                match self {
                    $( $( Kind::$variant =>
                        <$service::$module::$spec as $crate::aws::kind::KindSpec>::PREFIX, )+ )+
                }
            }

            /// Human name for diagnostics.
            pub fn display_name(self) -> &'static str {
                match self {
                    $( $( Kind::$variant =>
                        <$service::$module::$spec as $crate::aws::kind::KindSpec>::DISPLAY_NAME, )+ )+
                }
            }

            /// The IAM actions the deploying role needs for this kind, sorted.
            pub fn iam_actions(self) -> &'static [&'static str] {
                match self {
                    $( $( Kind::$variant =>
                        <$service::$module::$spec as $crate::aws::kind::KindSpec>::IAM_ACTIONS, )+ )+
                }
            }

            /// The IAM actions AWS checks on the provider's behalf for this kind, which no SDK
            /// call in its file shows.
            pub fn indirect_iam_actions(self) -> &'static [&'static str] {
                match self {
                    $( $( Kind::$variant =>
                        <$service::$module::$spec as $crate::aws::kind::KindSpec>::INDIRECT_IAM_ACTIONS, )+ )+
                }
            }

            /// Updating the object gives it a new AWS ID.
            pub fn update_changes_id(self) -> bool {
                match self {
                    $( $( Kind::$variant =>
                        <$service::$module::$spec as $crate::aws::kind::KindSpec>::UPDATE_CHANGES_ID, )+ )+
                }
            }

            /// The object holds data a replacement would lose.
            pub fn holds_data(self) -> bool {
                match self {
                    $( $( Kind::$variant =>
                        <$service::$module::$spec as $crate::aws::kind::KindSpec>::HOLDS_DATA, )+ )+
                }
            }

            /// A replacement creates the new object before deleting the old one.
            pub fn create_before_destroy(self) -> bool {
                match self {
                    $( $( Kind::$variant =>
                        <$service::$module::$spec as $crate::aws::kind::KindSpec>::CREATE_BEFORE_DESTROY, )+ )+
                }
            }
        }

        /// Desired properties of one child. References to other children are node keys.
        #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        pub enum ChildSpec {
            $( $( $variant($service::$module::$spec), )+ )+
        }

        impl ChildSpec {
            pub fn kind(&self) -> Kind {
                match self {
                    $( $( ChildSpec::$variant(_) => Kind::$variant, )+ )+
                }
            }

            /// Other children this one refers to, with how each follows a new ID.
            pub fn links(&self) -> Vec<$crate::aws::kind::Reference<'_>> {
                match self {
                    $( $( ChildSpec::$variant(s) => $crate::aws::kind::KindSpec::references(s), )+ )+
                }
            }

            /// Other children this one refers to: they must exist first and go last.
            pub fn references(&self) -> Vec<&$crate::plan::node::NodeKey> {
                self.links().into_iter().map(|r| r.key).collect()
            }

            /// Tags AWS stores on the object; `None` for kinds AWS cannot tag.
            pub fn tags(&self) -> Option<&$crate::plan::node::Tags> {
                match self {
                    $( $( ChildSpec::$variant(s) => $crate::aws::kind::KindSpec::tags(s), )+ )+
                }
            }

            /// The property whose change from `self` to `desired` needs a new AWS object;
            /// `None` when an in-place update will do. A different kind is always replaced.
            pub fn replaced_by(&self, desired: &ChildSpec) -> Option<&'static str> {
                match self {
                    $( $( ChildSpec::$variant(current) => {
                        let ChildSpec::$variant(desired) = desired else {
                            return Some("kind");
                        };
                        $crate::aws::kind::KindSpec::replaced_by(current, desired)
                    } )+ )+
                }
            }

            /// The child's fixed hourly price and its cost-breakdown entry (`KindSpec`).
            pub fn hourly_charge(
                &self,
                graph: &std::collections::BTreeMap<$crate::plan::node::NodeKey, $crate::plan::node::Node>,
            ) -> Option<(&'static str, f64)> {
                match self {
                    $( $( ChildSpec::$variant(s) =>
                        $crate::aws::kind::KindSpec::hourly_charge(s, graph), )+ )+
                }
            }

            /// Names of the properties that differ between two specs of the same kind, sorted
            /// (for drift reports; `tags` covers every tag).
            pub fn changed_fields(&self, other: &ChildSpec) -> Vec<String> {
                let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
                    (serde_json::to_value(self), serde_json::to_value(other))
                else {
                    return Vec::new();
                };
                let mut names: Vec<String> = a
                    .keys()
                    .chain(b.keys())
                    .filter(|k| a.get(*k) != b.get(*k))
                    .cloned()
                    .collect();
                names.sort();
                names.dedup();
                names
            }
        }

        /// Exhaustive dispatch of engine steps to each kind's [`AwsKind`] implementation. Each
        /// kind's future is boxed: a match over every kind would otherwise be as large as the
        /// largest of them, and debug builds copy it across the stack.
        #[cfg(feature = "sdk")]
        pub(crate) mod dispatch {
            use super::*;
            use $crate::aws::error::AwsError;
            use $crate::aws::kind::{AwsKind, Cx};

            pub async fn find(cx: &Cx<'_>, spec: &ChildSpec) -> Result<Option<String>, AwsError> {
                match spec {
                    $( $( ChildSpec::$variant(s) => Box::pin(AwsKind::find(cx, s)).await, )+ )+
                }
            }

            pub async fn observe(
                cx: &Cx<'_>,
                id: &str,
                current: &ChildSpec,
            ) -> Result<Option<ChildSpec>, AwsError> {
                match current {
                    $( $( ChildSpec::$variant(s) =>
                        Ok(Box::pin(AwsKind::observe(cx, id, s)).await?.map(ChildSpec::$variant)), )+ )+
                }
            }

            pub async fn create(cx: &Cx<'_>, spec: &ChildSpec) -> Result<String, AwsError> {
                match spec {
                    $( $( ChildSpec::$variant(s) => Box::pin(AwsKind::create(cx, s)).await, )+ )+
                }
            }

            /// `None` when the recorded child is of another kind than the desired one (the
            /// planner replaces those, so the engine never asks).
            pub async fn update(
                cx: &Cx<'_>,
                id: &str,
                current: &ChildSpec,
                desired: &ChildSpec,
            ) -> Option<Result<String, AwsError>> {
                match current {
                    $( $( ChildSpec::$variant(c) => {
                        let ChildSpec::$variant(d) = desired else {
                            return None;
                        };
                        Some(Box::pin(AwsKind::update(cx, id, c, d)).await)
                    } )+ )+
                }
            }

            pub async fn delete(cx: &Cx<'_>, id: &str, current: &ChildSpec) -> Result<(), AwsError> {
                match current {
                    $( $( ChildSpec::$variant(s) => Box::pin(AwsKind::delete(cx, id, s)).await, )+ )+
                }
            }
        }
    };
}
