//! Plan modifiers the framework applies after a resource plans.

/// How an attribute's planned value is adjusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanModifier {
    /// A change of this attribute replaces the whole resource.
    RequiresReplace,
    /// A computed value planned unknown keeps the prior state's value, for attributes that never
    /// change once set (such as `id`).
    UseStateForUnknown,
}
