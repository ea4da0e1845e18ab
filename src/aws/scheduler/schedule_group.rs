//! EventBridge Scheduler schedule group; the ledger ID is its ARN.
//!
//! One per environment, named after it, holding the schedules of its services. Groups are
//! free and carry tags: one carrying our ownership tags is adopted, a foreign one of the same
//! name refused. Deleting a group deletes the schedules in it; AWS keeps it `DELETING` for a
//! while, during which its name cannot be taken again.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::node::{Node, NodeKey, Tags};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleGroupSpec {
    /// The environment's name.
    pub name: String,
    pub tags: Tags,
}

impl KindSpec for ScheduleGroupSpec {
    const PREFIX: &'static str = "scheduler.schedule_group";
    const DISPLAY_NAME: &'static str = "EventBridge Scheduler Schedule Group";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "scheduler:CreateScheduleGroup",
        "scheduler:DeleteScheduleGroup",
        "scheduler:GetScheduleGroup",
        "scheduler:ListTagsForResource",
        "scheduler:TagResource",
        "scheduler:UntagResource",
    ];

    fn references(&self) -> Vec<Reference<'_>> {
        Vec::new()
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[("name", self.name != d.name)])
    }

    /// Groups are free; schedules are priced with their service.
    fn hourly_charge(&self, _graph: &BTreeMap<NodeKey, Node>) -> Option<(&'static str, f64)> {
        None
    }
}

/// The group's name: the part of its ARN after `schedule-group/`.
pub fn group_name_from_arn(arn: &str) -> &str {
    arn.rsplit_once("schedule-group/")
        .map_or(arn, |(_, name)| name)
}

#[cfg(feature = "sdk")]
mod sdk {
    use std::time::Duration;

    use aws_sdk_scheduler::types::ScheduleGroupState;
    use aws_sdk_scheduler::Client;

    use super::*;
    use crate::aws::common::ownership::{create_or_adopt, owned_by, tag_changes, Found};
    use crate::aws::common::poll::{poll_until, within, Poll};
    use crate::aws::common::tags::{from_sdk, to_sdk};
    use crate::aws::error::{classify, is_code, none_if_not_found, AwsError};
    use crate::aws::kind::{AwsKind, Cx};

    impl AwsKind for ScheduleGroupSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            Ok(read_group(&cx.clients.scheduler, &spec.name)
                .await?
                .filter(|found| owned_by(&found.tags, &spec.tags))
                .map(|found| found.id))
        }

        async fn observe(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<Option<Self>, AwsError> {
            Ok(read_group(&cx.clients.scheduler, group_name_from_arn(id))
                .await?
                .map(|found| found.current))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            let client = &cx.clients.scheduler;
            create_or_adopt(
                "EventBridge Scheduler schedule group",
                &spec.name,
                &spec.tags,
                &[CONFLICT],
                || read_group(client, &spec.name),
                |found| async move { update_group(client, &found.id, &found.current, spec).await },
                || create_new_group(client, spec),
            )
            .await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_group(&cx.clients.scheduler, id, current, desired).await
        }

        async fn delete(cx: &Cx<'_>, id: &str, _current: &Self) -> Result<(), AwsError> {
            let client = &cx.clients.scheduler;
            let name = group_name_from_arn(id);
            none_if_not_found(
                client
                    .delete_schedule_group()
                    .name(name)
                    .send()
                    .await
                    .map_err(classify),
            )?;
            wait_gone(client, name).await
        }
    }

    // constants

    /// A taken name, or a group still being deleted.
    const CONFLICT: &str = "ConflictException";
    /// A deleted group stays `DELETING` while AWS deletes its schedules.
    const DELETING_WAIT: Duration = Duration::from_secs(300);

    // find

    /// The group of this name with its tags; `None` when there is none or it is being deleted.
    async fn read_group(
        client: &Client,
        name: &str,
    ) -> Result<Option<Found<ScheduleGroupSpec>>, AwsError> {
        let Some(group) = none_if_not_found(
            client
                .get_schedule_group()
                .name(name)
                .send()
                .await
                .map_err(classify),
        )?
        else {
            return Ok(None);
        };
        if group.state() == Some(&ScheduleGroupState::Deleting) {
            return Ok(None);
        }
        let arn = group
            .arn()
            .map(str::to_string)
            .ok_or_else(|| AwsError::unexpected("GetScheduleGroup returned no ARN"))?;
        let Some(tags) = none_if_not_found(
            client
                .list_tags_for_resource()
                .resource_arn(&arn)
                .send()
                .await
                .map_err(classify),
        )?
        .map(|out| from_sdk(out.tags())) else {
            return Ok(None);
        };
        Ok(Some(Found {
            id: arn,
            current: ScheduleGroupSpec {
                name: group.name().unwrap_or(name).to_string(),
                tags: tags.clone(),
            },
            tags,
        }))
    }

    /// True while a group of this name is being deleted.
    async fn deleting(client: &Client, name: &str) -> Result<bool, AwsError> {
        Ok(none_if_not_found(
            client
                .get_schedule_group()
                .name(name)
                .send()
                .await
                .map_err(classify),
        )?
        .is_some_and(|group| group.state() == Some(&ScheduleGroupState::Deleting)))
    }

    // wait

    async fn wait_gone(client: &Client, name: &str) -> Result<(), AwsError> {
        within(
            DELETING_WAIT,
            format!("schedule group {name} to be deleted"),
            poll_until(|| async {
                let found = none_if_not_found(
                    client
                        .get_schedule_group()
                        .name(name)
                        .send()
                        .await
                        .map_err(classify),
                )?;
                Ok(if found.is_some() {
                    Poll::Pending
                } else {
                    Poll::Ready(())
                })
            }),
        )
        .await
    }

    // create, update

    /// Creates the group with its tags; a name still held by a group being deleted (a
    /// replaced environment) is waited for.
    async fn create_new_group(
        client: &Client,
        spec: &ScheduleGroupSpec,
    ) -> Result<String, AwsError> {
        let tags = to_sdk::<aws_sdk_scheduler::types::Tag>(&spec.tags)?;
        within(
            DELETING_WAIT,
            format!("schedule group {} to finish deleting", spec.name),
            poll_until(|| async {
                let result = client
                    .create_schedule_group()
                    .name(&spec.name)
                    .set_tags(Some(tags.clone()))
                    .send()
                    .await
                    .map_err(classify);
                match result {
                    Ok(out) => Ok(Poll::Ready(out.schedule_group_arn().to_string())),
                    Err(e) if is_code(&e, CONFLICT) && deleting(client, &spec.name).await? => {
                        Ok(Poll::Pending)
                    }
                    Err(e) => Err(e),
                }
            }),
        )
        .await
    }

    async fn update_group(
        client: &Client,
        arn: &str,
        current: &ScheduleGroupSpec,
        desired: &ScheduleGroupSpec,
    ) -> Result<String, AwsError> {
        let (changed, removed) = tag_changes(&current.tags, &desired.tags);
        if !changed.is_empty() {
            client
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(to_sdk(&changed)?))
                .send()
                .await
                .map_err(classify)?;
        }
        if !removed.is_empty() {
            client
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(classify)?;
        }
        Ok(arn.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_name_is_the_last_part_of_its_arn() {
        assert_eq!(
            group_name_from_arn("arn:aws:scheduler:us-east-1:123456789012:schedule-group/dev"),
            "dev"
        );
        assert_eq!(group_name_from_arn("dev"), "dev");
    }
}
