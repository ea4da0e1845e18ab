//! Attribute paths, so a diagnostic can point at the offending attribute in the configuration.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// An attribute or nested block name.
    Attribute(String),
    /// A map key or a MAP-block label.
    Key(String),
    /// A list or tuple index.
    Index(i64),
}

/// A path from the resource's root, e.g. `network.nat.mode` or `tags["env"]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttrPath(pub Vec<Step>);

impl AttrPath {
    pub fn root() -> AttrPath {
        AttrPath(Vec::new())
    }

    /// A path of attribute names: `AttrPath::attrs(&["network", "cidr"])`.
    pub fn attrs(names: &[&str]) -> AttrPath {
        AttrPath(
            names
                .iter()
                .map(|n| Step::Attribute(n.to_string()))
                .collect(),
        )
    }

    pub fn attr(mut self, name: &str) -> AttrPath {
        self.0.push(Step::Attribute(name.to_string()));
        self
    }

    pub fn key(mut self, key: &str) -> AttrPath {
        self.0.push(Step::Key(key.to_string()));
        self
    }

    pub fn index(mut self, index: i64) -> AttrPath {
        self.0.push(Step::Index(index));
        self
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// True when `prefix` is this path or one of its ancestors.
    pub fn starts_with(&self, prefix: &AttrPath) -> bool {
        self.0.starts_with(&prefix.0)
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Attribute(name) if i == 0 => write!(f, "{name}")?,
                Step::Attribute(name) => write!(f, ".{name}")?,
                Step::Key(key) => write!(f, "[{key:?}]")?,
                Step::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}
