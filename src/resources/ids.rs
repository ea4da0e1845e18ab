//! How each child's AWS ID appears in a resource's state: known, or unknown until apply.

use crate::framework::value::Planned;
use crate::plan::diff::Op;
use crate::plan::ledger::Ledger;
use crate::plan::node::NodeKey;

/// A planned or recorded view of children's IDs, for computed attributes.
pub enum Ids<'a> {
    /// After apply or read: the ledger is the truth.
    Recorded(&'a Ledger),
    /// At plan: children being created or replaced, or updated into a new ID, are unknown.
    Planned(&'a Ledger, &'a [Op]),
}

impl Ids<'_> {
    /// The child's ID (or the ID of an object of another resource it refers to); `None` when
    /// there is no such child.
    pub fn id(&self, key: &NodeKey) -> Planned<Option<String>> {
        match self {
            Ids::Recorded(ledger) => Planned::Known(
                ledger
                    .id_of(key)
                    .or_else(|| ledger.external.get(key).map(String::as_str))
                    .map(str::to_string),
            ),
            Ids::Planned(ledger, ops) => {
                let changes = ops.iter().any(|op| match op {
                    Op::Create(k) | Op::Replace(k) => k == key,
                    Op::Update(k) => k == key && k.kind().is_some_and(|k| k.update_changes_id()),
                    Op::NoOp(_) | Op::Delete(_) => false,
                });
                let present = ops.iter().any(|op| op.key() == key);
                match ledger.id_of(key) {
                    Some(id) if !changes => Planned::Known(Some(id.to_string())),
                    _ if present => Planned::Unknown,
                    _ => Planned::Known(None),
                }
            }
        }
    }

    /// [`Ids::id`], with an empty string for a child that does not exist: app resources'
    /// outputs stay strings, so references to them stay valid.
    pub fn id_or_empty(&self, key: &NodeKey) -> Planned<String> {
        self.id(key).map(Option::unwrap_or_default)
    }

    /// True when the child is not being created, replaced or given a new ID: its live facts
    /// (endpoints, versions) stay what the prior state says.
    pub fn stable(&self, key: &NodeKey) -> bool {
        match self {
            Ids::Recorded(_) => true,
            Ids::Planned(ledger, ops) => {
                ledger.children.contains_key(key)
                    && !ops
                        .iter()
                        .any(|op| matches!(op, Op::Create(k) | Op::Replace(k) if k == key))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::logs::log_group::LogGroupSpec;
    use crate::plan::ledger::Recorded;
    use crate::plan::node::{ChildSpec, Kind};

    #[test]
    fn planned_ids_are_unknown_only_where_they_change() {
        let log = NodeKey::new(Kind::LogGroup, &["service"]);
        let td = NodeKey::new(Kind::TaskDefinition, &["service"]);
        let spec = ChildSpec::LogGroup(LogGroupSpec {
            name: "/x".into(),
            retention_days: 7,
            kms_key_arn: None,
            tags: Default::default(),
        });
        let mut ledger = Ledger::new();
        for key in [&log, &td] {
            ledger.children.insert(
                key.clone(),
                Recorded {
                    refs: Default::default(),
                    id: format!("id-{key}"),
                    observed: spec.clone(),
                },
            );
        }
        let ops = vec![Op::Update(log.clone()), Op::Update(td.clone())];
        let ids = Ids::Planned(&ledger, &ops);
        assert_eq!(ids.id(&log), Planned::Known(Some(format!("id-{log}"))));
        assert_eq!(ids.id(&td), Planned::Unknown, "a new revision");
        let absent = NodeKey::new(Kind::TargetGroup, &["8080"]);
        assert_eq!(ids.id(&absent), Planned::Known(None));
        assert_eq!(ids.id_or_empty(&absent), Planned::Known(String::new()));
        let created = NodeKey::new(Kind::SecurityGroup, &["service"]);
        let ops = vec![Op::Create(created.clone())];
        assert_eq!(Ids::Planned(&ledger, &ops).id(&created), Planned::Unknown);
        assert_eq!(
            Ids::Recorded(&ledger).id(&created),
            Planned::Known(None),
            "recorded: what the ledger has"
        );
    }
}
