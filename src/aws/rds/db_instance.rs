//! RDS DB Instance; the ledger ID is its identifier (as RDS stores it, in lower case).
//!
//! The master password is managed by RDS in Secrets Manager (`ManageMasterUserPassword`), so
//! it never passes through the provider. Create, update and delete wait for the instance to
//! settle; the engine bounds each step by the resource's timeouts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::aws::kind::{first_changed, KindSpec, Reference};
use crate::plan::cost;
use crate::plan::node::{Node, NodeKey, Tags};

/// An RDS instance; its ledger ID is its identifier. The master password is managed by RDS
/// in Secrets Manager (`ManageMasterUserPassword`), and storage is always encrypted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbInstanceSpec {
    pub identifier: String,
    pub engine: String,
    /// `17` follows any 17.x (AWS minor upgrades are not drift); `17.4` pins.
    pub engine_version: String,
    pub allow_major_version_upgrade: bool,
    pub instance_class: String,
    pub database_name: String,
    pub master_username: String,
    /// Its ledger ID is the subnet group name.
    pub subnet_group: NodeKey,
    /// Sorted.
    pub security_groups: Vec<NodeKey>,
    pub parameter_group: NodeKey,
    pub multi_az: bool,
    /// `gp3`, `gp2` or `io1`/`io2`.
    pub storage_type: String,
    pub allocated_gib: u32,
    /// Storage autoscaling ceiling; 0 turns it off.
    pub max_allocated_gib: u32,
    pub iops: Option<u32>,
    /// `None`: the AWS-managed key. AWS cannot change it.
    pub kms_key_arn: Option<String>,
    pub backup_retention_days: u32,
    pub backup_window: Option<String>,
    pub maintenance_window: Option<String>,
    pub deletion_protection: bool,
    /// Delete takes a final snapshot with a unique, timestamped identifier.
    pub final_snapshot: bool,
    pub performance_insights: bool,
    /// Sorted.
    pub log_exports: Vec<String>,
    pub apply_immediately: bool,
    /// `false` opts out of RDS Extended Support charges.
    pub extended_support: bool,
    pub tags: Tags,
}

impl KindSpec for DbInstanceSpec {
    const PREFIX: &'static str = "rds.db_instance";
    const DISPLAY_NAME: &'static str = "RDS DB Instance";
    const IAM_ACTIONS: &'static [&'static str] = &[
        "rds:AddTagsToResource",
        "rds:CreateDBInstance",
        "rds:DeleteDBInstance",
        "rds:DescribeDBInstances",
        "rds:ModifyDBInstance",
        "rds:RemoveTagsFromResource",
    ];
    const HOLDS_DATA: bool = true;

    fn references(&self) -> Vec<Reference<'_>> {
        {
            let mut refs = vec![
                Reference::replace(&self.subnet_group),
                Reference::update(&self.parameter_group),
            ];
            refs.extend(self.security_groups.iter().map(Reference::update));
            refs
        }
    }

    fn tags(&self) -> Option<&Tags> {
        Some(&self.tags)
    }

    fn replaced_by(&self, d: &Self) -> Option<&'static str> {
        first_changed(&[
            ("identifier", self.identifier != d.identifier),
            ("engine", self.engine != d.engine),
            ("database_name", self.database_name != d.database_name),
            ("master_username", self.master_username != d.master_username),
            ("kms_key_arn", self.kms_key_arn != d.kms_key_arn),
            ("subnet_group", self.subnet_group != d.subnet_group),
        ])
    }

    fn hourly_charge(&self, _graph: &BTreeMap<NodeKey, Node>) -> Option<(&'static str, f64)> {
        let copies = if self.multi_az { 2.0 } else { 1.0 };
        let storage =
            f64::from(self.allocated_gib) * cost::RDS_GP3_USD_PER_GIB_MONTH / cost::HOURS_PER_MONTH;
        Some((
            "database",
            copies * (cost::price(cost::DB_INSTANCE_CLASSES, &self.instance_class) + storage),
        ))
    }
}

#[cfg(feature = "sdk")]
pub use sdk::*;

#[cfg(feature = "sdk")]
mod sdk {
    use super::*;
    use std::collections::{BTreeSet, HashMap};
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use aws_sdk_rds::operation::modify_db_instance::builders::ModifyDBInstanceFluentBuilder;
    use aws_sdk_rds::types::{CloudwatchLogsExportConfiguration, DbInstance};
    use aws_sdk_rds::Client;

    use crate::apply::IdMap;
    use crate::aws::common::keys::key_of;
    use crate::aws::common::keys::resolve;
    use crate::aws::common::ownership::{adopt_or_create, owned_by, Found};
    use crate::aws::common::poll::{poll_until, within, Poll};
    use crate::aws::common::{rds, tags};
    use crate::aws::error::{classify, none_if_not_found, AwsError};
    use crate::aws::kind::{AwsKind, Cx};
    use crate::plan::node::{Kind, NodeKey};

    /// A create that lost a race (or follows a crash): the instance exists, so adopt it.
    const ALREADY_EXISTS: &str = "DBInstanceAlreadyExists";
    const STATUS_AVAILABLE: &str = "available";
    /// Usable; RDS optimises storage after a storage change, which can take hours.
    const STATUS_STORAGE_OPTIMIZATION: &str = "storage-optimization";
    const STATUS_DELETING: &str = "deleting";
    /// Statuses an instance does not leave by waiting.
    const FAILED_STATUSES: &[&str] = &[
        "failed",
        "incompatible-parameters",
        "incompatible-network",
        "incompatible-option-group",
        "incompatible-restore",
        "inaccessible-encryption-credentials",
        "restore-error",
    ];
    /// A security group being detached after a modification.
    const SG_STATUS_REMOVING: &str = "removing";
    const LIFECYCLE_EXTENDED: &str = "open-source-rds-extended-support";
    const LIFECYCLE_NO_EXTENDED: &str = "open-source-rds-extended-support-disabled";
    /// The free tier of Performance Insights.
    const PERFORMANCE_INSIGHTS_RETENTION_DAYS: i32 = 7;
    /// A Multi-AZ create or a class change can take most of an hour; the step timeout is tighter.
    const WAIT_LIMIT: Duration = Duration::from_secs(60 * 60);
    /// DescribeDBInstances may not list an instance for a moment after CreateDBInstance.
    const CREATION_GRACE: Duration = Duration::from_secs(60);
    /// The shared read of every instance in the region.
    const ALL_INSTANCES: &str = "rds.db_instance/all";

    impl AwsKind for DbInstanceSpec {
        async fn find(cx: &Cx<'_>, spec: &Self) -> Result<Option<String>, AwsError> {
            Ok(shared_instance(cx, &spec.identifier)
                .await?
                .filter(|i| !is_deleting(i) && tags::owned_by(i.tag_list(), &spec.tags))
                .and_then(|i| i.db_instance_identifier().map(str::to_string)))
        }

        /// Every instance of the region in one paginated listing, which carries their tags,
        /// shared by all children that observe one. An instance being deleted reads as gone.
        async fn observe(cx: &Cx<'_>, id: &str, current: &Self) -> Result<Option<Self>, AwsError> {
            Ok(shared_instance(cx, id)
                .await?
                .filter(|i| !is_deleting(i))
                .map(|i| flatten_db_instance(&i, current, cx.ids)))
        }

        async fn create(cx: &Cx<'_>, spec: &Self) -> Result<String, AwsError> {
            create_db_instance(&cx.clients.rds, spec, cx.ids).await
        }

        async fn update(
            cx: &Cx<'_>,
            id: &str,
            current: &Self,
            desired: &Self,
        ) -> Result<String, AwsError> {
            update_db_instance(&cx.clients.rds, id, current, desired, cx.ids).await
        }

        async fn delete(cx: &Cx<'_>, id: &str, current: &Self) -> Result<(), AwsError> {
            delete_db_instance(&cx.clients.rds, id, current).await
        }
    }

    // find

    /// Every instance of the region, by identifier in lower case (as RDS stores it).
    async fn list_db_instances(client: &Client) -> Result<HashMap<String, DbInstance>, AwsError> {
        let mut pages = client.describe_db_instances().into_paginator().send();
        let mut instances = HashMap::new();
        while let Some(page) = pages.next().await {
            for instance in page.map_err(classify)?.db_instances() {
                if let Some(id) = instance.db_instance_identifier() {
                    instances.insert(id.to_ascii_lowercase(), instance.clone());
                }
            }
        }
        Ok(instances)
    }

    /// The instance `identifier` from the shared listing.
    async fn shared_instance(
        cx: &Cx<'_>,
        identifier: &str,
    ) -> Result<Option<DbInstance>, AwsError> {
        let instances = cx
            .reads
            .get(ALL_INSTANCES, || list_db_instances(&cx.clients.rds))
            .await?;
        Ok(instances.get(&identifier.to_ascii_lowercase()).cloned())
    }

    /// The instance `identifier`, asked of AWS; `None` when there is none.
    pub async fn find_db_instance_by_identifier(
        client: &Client,
        identifier: &str,
    ) -> Result<Option<DbInstance>, AwsError> {
        let out = none_if_not_found(
            client
                .describe_db_instances()
                // RDS stores identifiers in lower case; ask in the form it stores.
                .db_instance_identifier(identifier.to_ascii_lowercase())
                .send()
                .await
                .map_err(classify),
        )?;
        Ok(out.and_then(|o| {
            o.db_instances()
                .iter()
                .find(|i| {
                    i.db_instance_identifier()
                        .is_some_and(|n| n.eq_ignore_ascii_case(identifier))
                })
                .cloned()
        }))
    }

    fn status(instance: &DbInstance) -> &str {
        instance.db_instance_status().unwrap_or_default()
    }

    fn is_deleting(instance: &DbInstance) -> bool {
        status(instance) == STATUS_DELETING
    }

    /// What other resources need to know about an instance.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct DbInstanceFacts {
        pub arn: String,
        pub address: String,
        pub port: i32,
        pub engine_version: String,
        pub status: String,
        pub master_secret_arn: Option<String>,
    }

    /// Endpoint, version, status and master secret of an instance; `None` when it is gone.
    pub async fn instance_facts(
        client: &Client,
        identifier: &str,
    ) -> Result<Option<DbInstanceFacts>, AwsError> {
        Ok(find_db_instance_by_identifier(client, identifier)
            .await?
            .map(|i| DbInstanceFacts {
                arn: i.db_instance_arn().unwrap_or_default().to_string(),
                address: i
                    .endpoint()
                    .and_then(|e| e.address())
                    .unwrap_or_default()
                    .to_string(),
                port: i
                    .endpoint()
                    .and_then(|e| e.port())
                    .or(i.db_instance_port())
                    .unwrap_or_default(),
                engine_version: i.engine_version().unwrap_or_default().to_string(),
                status: status(&i).to_string(),
                master_secret_arn: i
                    .master_user_secret()
                    .and_then(|s| s.secret_arn())
                    .map(str::to_string),
            }))
    }

    // wait

    /// Polls until the instance is usable (`available`, or optimising storage after a change).
    /// Fails at once on a status it cannot leave by waiting, or when it disappears.
    pub async fn wait_db_instance_available(
        client: &Client,
        identifier: &str,
    ) -> Result<DbInstance, AwsError> {
        let what = format!(
            "RDS DB instance {identifier} did not become available within {} minutes",
            WAIT_LIMIT.as_secs() / 60
        );
        let started = tokio::time::Instant::now();
        within(
            WAIT_LIMIT,
            what,
            poll_until(|| async {
                match find_db_instance_by_identifier(client, identifier).await? {
                    Some(i)
                        if [STATUS_AVAILABLE, STATUS_STORAGE_OPTIMIZATION]
                            .contains(&status(&i)) =>
                    {
                        Ok(Poll::Ready(i))
                    }
                    Some(i) if FAILED_STATUSES.contains(&status(&i)) => Err(AwsError::Api {
                        code: "DBInstanceFailed".into(),
                        message: format!(
                            "RDS DB instance {identifier} is in status {}{}; see its events in \
                             the RDS console",
                            status(&i),
                            status_details(&i)
                        ),
                    }),
                    Some(i) if is_deleting(&i) => Err(AwsError::unexpected(format!(
                        "RDS DB instance {identifier} is being deleted while we wait for it to \
                         become available"
                    ))),
                    None if started.elapsed() >= CREATION_GRACE => {
                        Err(AwsError::unexpected(format!(
                            "RDS DB instance {identifier} disappeared while we waited for it to \
                             become available"
                        )))
                    }
                    _ => Ok(Poll::Pending),
                }
            }),
        )
        .await
    }

    fn status_details(instance: &DbInstance) -> String {
        let messages: Vec<&str> = instance
            .status_infos()
            .iter()
            .filter_map(|s| s.message())
            .collect();
        if messages.is_empty() {
            String::new()
        } else {
            format!(" ({})", messages.join("; "))
        }
    }

    /// Polls until DescribeDBInstances no longer knows the instance.
    pub async fn wait_db_instance_deleted(
        client: &Client,
        identifier: &str,
    ) -> Result<(), AwsError> {
        let what = format!(
            "RDS DB instance {identifier} was not deleted within {} minutes",
            WAIT_LIMIT.as_secs() / 60
        );
        within(
            WAIT_LIMIT,
            what,
            poll_until(|| async {
                Ok(
                    match find_db_instance_by_identifier(client, identifier).await? {
                        Some(_) => Poll::Pending,
                        None => Poll::Ready(()),
                    },
                )
            }),
        )
        .await
    }

    // create, update, delete

    /// Creates the instance and waits until it is available, or adopts the one of its
    /// identifier that carries its ownership tags. An instance of ours being deleted is waited
    /// out and created anew; one still being created is waited for before it is reconciled.
    /// Returns the ledger ID.
    pub async fn create_db_instance(
        client: &Client,
        spec: &DbInstanceSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        adopt_or_create(
            "RDS DB instance",
            &spec.identifier,
            &spec.tags,
            &[ALREADY_EXISTS],
            || async {
                let Some(instance) =
                    find_db_instance_by_identifier(client, &spec.identifier).await?
                else {
                    return Ok(None);
                };
                let id = instance
                    .db_instance_identifier()
                    .unwrap_or(&spec.identifier)
                    .to_string();
                let tags = tags::from_sdk(instance.tag_list());
                if is_deleting(&instance) && owned_by(&tags, &spec.tags) {
                    wait_db_instance_deleted(client, &id).await?;
                    return Ok(None);
                }
                Ok(Some(Found {
                    id,
                    current: (),
                    tags,
                }))
            },
            |found| async move {
                // A crashed run's instance may still be creating; RDS refuses changes until it
                // is not.
                let instance = wait_db_instance_available(client, &found.id).await?;
                let current = flatten_db_instance(&instance, spec, ids);
                update_db_instance(client, &found.id, &current, spec, ids).await
            },
            || async {
                let out = expand_create(client, spec, ids)?
                    .send()
                    .await
                    .map_err(classify)?;
                let id = out
                    .db_instance()
                    .and_then(DbInstance::db_instance_identifier)
                    .unwrap_or(&spec.identifier)
                    .to_string();
                wait_db_instance_available(client, &id).await?;
                Ok(id)
            },
        )
        .await
    }

    /// Brings the instance from `current` to `desired` with one ModifyDBInstance carrying only
    /// the changed fields, syncs tags, and waits until it is available again.
    pub async fn update_db_instance(
        client: &Client,
        id: &str,
        current: &DbInstanceSpec,
        desired: &DbInstanceSpec,
        ids: &IdMap,
    ) -> Result<String, AwsError> {
        let request = client.modify_db_instance().db_instance_identifier(id);
        let (request, modified) = expand_modify(request, current, desired, ids)?;
        if modified {
            request.send().await.map_err(classify)?;
        }
        if current.tags != desired.tags {
            let instance = find_db_instance_by_identifier(client, id)
                .await?
                .ok_or_else(|| AwsError::NotFound {
                    code: "DBInstanceNotFound".into(),
                })?;
            let arn = instance
                .db_instance_arn()
                .ok_or_else(|| AwsError::unexpected("DescribeDBInstances returned no ARN"))?;
            rds::sync_tags(client, arn, &current.tags, &desired.tags).await?;
        }
        if modified {
            wait_db_instance_available(client, id).await?;
        }
        Ok(id.to_string())
    }

    /// `<identifier>-final-<UTC yyyymmddHHMMSS>`: unique per delete, and sorts by time.
    pub fn final_snapshot_identifier(identifier: &str, now: SystemTime) -> String {
        let secs = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let (days, rest) = ((secs / 86_400) as i64, secs % 86_400);
        let (year, month, day) = civil_from_days(days);
        format!(
            "{identifier}-final-{year:04}{month:02}{day:02}{:02}{:02}{:02}",
            rest / 3600,
            rest / 60 % 60,
            rest % 60
        )
    }

    /// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
    fn civil_from_days(days: i64) -> (i64, u32, u32) {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = (if mp < 10 { mp + 3 } else { mp - 9 }) as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        (year, month, day)
    }

    /// Deletes the instance (with a final snapshot when `current.final_snapshot`) and waits
    /// until it is gone; absence is success. Refuses an instance with deletion protection on.
    pub async fn delete_db_instance(
        client: &Client,
        id: &str,
        current: &DbInstanceSpec,
    ) -> Result<(), AwsError> {
        let Some(instance) = find_db_instance_by_identifier(client, id).await? else {
            return Ok(());
        };
        if !is_deleting(&instance) {
            if instance.deletion_protection() == Some(true) {
                return Err(AwsError::Api {
                    code: "DeletionProtectionEnabled".into(),
                    message: format!(
                        "RDS DB instance {id} has deletion protection on; set \
                     deletion_protection = false and apply before deleting it"
                    ),
                });
            }
            let mut request = client
                .delete_db_instance()
                .db_instance_identifier(id)
                .skip_final_snapshot(!current.final_snapshot)
                .delete_automated_backups(false);
            if current.final_snapshot {
                let snapshot = final_snapshot_identifier(id, SystemTime::now());
                tracing::info!(
                    instance = id,
                    snapshot = %snapshot,
                    "deleting RDS DB instance {id} with final snapshot {snapshot}"
                );
                request = request.final_db_snapshot_identifier(snapshot);
            }
            if none_if_not_found(request.send().await.map_err(classify))?.is_none() {
                return Ok(());
            }
        }
        wait_db_instance_deleted(client, id).await
    }

    // expand, flatten

    fn int(value: u32, what: &str) -> Result<i32, AwsError> {
        i32::try_from(value)
            .map_err(|_| AwsError::unexpected(format!("{what} {value} is out of range")))
    }

    fn reference(ids: &IdMap, key: &NodeKey) -> Result<String, AwsError> {
        ids.id(key)
            .map(str::to_string)
            .map_err(|e| AwsError::unexpected(e.message))
    }

    fn lifecycle(extended_support: bool) -> &'static str {
        if extended_support {
            LIFECYCLE_EXTENDED
        } else {
            LIFECYCLE_NO_EXTENDED
        }
    }

    fn expand_create(
        client: &Client,
        spec: &DbInstanceSpec,
        ids: &IdMap,
    ) -> Result<
        aws_sdk_rds::operation::create_db_instance::builders::CreateDBInstanceFluentBuilder,
        AwsError,
    > {
        Ok(client
            .create_db_instance()
            .db_instance_identifier(&spec.identifier)
            .engine(&spec.engine)
            .engine_version(&spec.engine_version)
            .db_instance_class(&spec.instance_class)
            .set_db_name((!spec.database_name.is_empty()).then(|| spec.database_name.clone()))
            .master_username(&spec.master_username)
            .manage_master_user_password(true)
            .storage_encrypted(true)
            .set_kms_key_id(spec.kms_key_arn.clone())
            .db_subnet_group_name(reference(ids, &spec.subnet_group)?)
            .set_vpc_security_group_ids(Some(resolve(&spec.security_groups, ids)?))
            .db_parameter_group_name(reference(ids, &spec.parameter_group)?)
            .multi_az(spec.multi_az)
            .storage_type(&spec.storage_type)
            .allocated_storage(int(spec.allocated_gib, "allocated storage")?)
            .set_max_allocated_storage(if spec.max_allocated_gib > 0 {
                Some(int(spec.max_allocated_gib, "maximum allocated storage")?)
            } else {
                None
            })
            .set_iops(spec.iops.map(|i| int(i, "IOPS")).transpose()?)
            .backup_retention_period(int(spec.backup_retention_days, "backup retention")?)
            .set_preferred_backup_window(spec.backup_window.clone())
            .set_preferred_maintenance_window(spec.maintenance_window.clone())
            .deletion_protection(spec.deletion_protection)
            .enable_performance_insights(spec.performance_insights)
            .set_performance_insights_retention_period(
                spec.performance_insights
                    .then_some(PERFORMANCE_INSIGHTS_RETENTION_DAYS),
            )
            .set_enable_cloudwatch_logs_exports(
                (!spec.log_exports.is_empty()).then(|| spec.log_exports.clone()),
            )
            .engine_lifecycle_support(lifecycle(spec.extended_support))
            .copy_tags_to_snapshot(true)
            .auto_minor_version_upgrade(true)
            .publicly_accessible(false)
            .set_tags(Some(tags::to_sdk(&spec.tags)?)))
    }

    fn major(version: &str) -> &str {
        version.split('.').next().unwrap_or(version)
    }

    /// True when `live` satisfies `wanted`: a bare major (`17`) follows any minor of it.
    pub fn engine_version_satisfied(wanted: &str, live: &str) -> bool {
        if wanted.contains('.') {
            wanted == live
        } else {
            major(live) == wanted
        }
    }

    /// ModifyDBInstance with only the fields that differ; the flag says whether any does.
    fn expand_modify(
        mut request: ModifyDBInstanceFluentBuilder,
        current: &DbInstanceSpec,
        desired: &DbInstanceSpec,
        ids: &IdMap,
    ) -> Result<(ModifyDBInstanceFluentBuilder, bool), AwsError> {
        let mut modified = false;
        let mut set = |r: ModifyDBInstanceFluentBuilder| {
            modified = true;
            r
        };
        if current.instance_class != desired.instance_class {
            request = set(request.db_instance_class(&desired.instance_class));
        }
        if !engine_version_satisfied(&desired.engine_version, &current.engine_version) {
            request = set(request.engine_version(&desired.engine_version));
            if major(&desired.engine_version) != major(&current.engine_version) {
                if !desired.allow_major_version_upgrade {
                    return Err(AwsError::Api {
                        code: "MajorVersionUpgradeNotAllowed".into(),
                        message: format!(
                            "changing RDS DB instance {} from engine version {} to {} is a major \
                         version upgrade; set allow_major_version_upgrade = true to allow it",
                            desired.identifier, current.engine_version, desired.engine_version
                        ),
                    });
                }
                request = request.allow_major_version_upgrade(true);
            }
        }
        if current.allocated_gib != desired.allocated_gib {
            request =
                set(request.allocated_storage(int(desired.allocated_gib, "allocated storage")?));
        }
        if current.max_allocated_gib != desired.max_allocated_gib {
            // RDS turns storage autoscaling off when the ceiling equals the allocated storage.
            let ceiling = if desired.max_allocated_gib == 0 {
                desired.allocated_gib
            } else {
                desired.max_allocated_gib
            };
            request =
                set(request.max_allocated_storage(int(ceiling, "maximum allocated storage")?));
        }
        if current.storage_type != desired.storage_type {
            request = set(request.storage_type(&desired.storage_type));
        }
        // Provisioned IOPS go along with a storage type change, which requires them for io1/io2.
        if desired.iops.is_some()
            && (current.iops != desired.iops || current.storage_type != desired.storage_type)
        {
            request = set(request.set_iops(desired.iops.map(|i| int(i, "IOPS")).transpose()?));
        }
        if current.multi_az != desired.multi_az {
            request = set(request.multi_az(desired.multi_az));
        }
        if current.backup_retention_days != desired.backup_retention_days {
            request = set(request
                .backup_retention_period(int(desired.backup_retention_days, "backup retention")?));
        }
        if desired.backup_window.is_some() && current.backup_window != desired.backup_window {
            request = set(request.set_preferred_backup_window(desired.backup_window.clone()));
        }
        if desired.maintenance_window.is_some()
            && current.maintenance_window != desired.maintenance_window
        {
            request =
                set(request.set_preferred_maintenance_window(desired.maintenance_window.clone()));
        }
        if current.deletion_protection != desired.deletion_protection {
            request = set(request.deletion_protection(desired.deletion_protection));
        }
        if current.performance_insights != desired.performance_insights {
            request = set(request
                .enable_performance_insights(desired.performance_insights)
                .set_performance_insights_retention_period(
                    desired
                        .performance_insights
                        .then_some(PERFORMANCE_INSIGHTS_RETENTION_DAYS),
                ));
        }
        if current.log_exports != desired.log_exports {
            let have: BTreeSet<&String> = current.log_exports.iter().collect();
            let want: BTreeSet<&String> = desired.log_exports.iter().collect();
            let config = CloudwatchLogsExportConfiguration::builder()
                .set_enable_log_types(Some(
                    want.difference(&have).map(|s| s.to_string()).collect(),
                ))
                .set_disable_log_types(Some(
                    have.difference(&want).map(|s| s.to_string()).collect(),
                ))
                .build();
            request = set(request.cloudwatch_logs_export_configuration(config));
        }
        if current.extended_support != desired.extended_support {
            request = set(request.engine_lifecycle_support(lifecycle(desired.extended_support)));
        }
        if current.security_groups != desired.security_groups {
            request =
                set(request
                    .set_vpc_security_group_ids(Some(resolve(&desired.security_groups, ids)?)));
        }
        if current.parameter_group != desired.parameter_group {
            request =
                set(request.db_parameter_group_name(reference(ids, &desired.parameter_group)?));
        }
        Ok((
            request.apply_immediately(desired.apply_immediately),
            modified,
        ))
    }

    /// A reference read back from AWS: the key whose ID it is; `current` when the IdMap does not
    /// know `current` (or knows it under another spelling); an external key when it is drift.
    fn reference_key(ids: &IdMap, kind: Kind, live: &str, current: &NodeKey) -> NodeKey {
        if let Some(key) = ids.key_of(live) {
            return key.clone();
        }
        match ids.id(current) {
            Ok(id) if !id.eq_ignore_ascii_case(live) => key_of(ids, kind, live),
            _ => current.clone(),
        }
    }

    /// `current`'s spelling when AWS's differs only in case (RDS lower-cases names and windows).
    fn same_or_live(current: &str, live: &str) -> String {
        if current.eq_ignore_ascii_case(live) {
            current.to_string()
        } else {
            live.to_string()
        }
    }

    /// The key the spec names: RDS reports its AWS-managed key's ARN when the spec names none,
    /// and a key ID or alias the spec names comes back as an ARN.
    pub(crate) fn observed_kms_key(current: Option<&str>, live: Option<&str>) -> Option<String> {
        match (current, live) {
            (None, _) => None,
            (Some(c), Some(l))
                if l == c
                    || l.ends_with(&format!("/{c}"))
                    || c.starts_with("alias/")
                    || c.contains(":alias/") =>
            {
                Some(c.to_string())
            }
            (Some(_), live) => live.map(str::to_string),
        }
    }

    /// The engine version as the spec writes it: `current`'s bare major while the live version
    /// is one of its minors (AWS minor upgrades are not drift), else the live full version.
    pub fn observed_engine_version(current: &str, live: &str) -> String {
        if !current.contains('.') && major(live) == current {
            current.to_string()
        } else {
            live.to_string()
        }
    }

    fn gib(value: Option<i32>) -> u32 {
        value.and_then(|v| u32::try_from(v).ok()).unwrap_or(0)
    }

    /// The instance as a spec. Changes waiting for the maintenance window (PendingModifiedValues)
    /// count as made, so they do not show as a diff until then; what AWS cannot report is copied
    /// from `current`.
    pub fn flatten_db_instance(
        instance: &DbInstance,
        current: &DbInstanceSpec,
        ids: &IdMap,
    ) -> DbInstanceSpec {
        let pending = instance.pending_modified_values();
        let live_version = pending
            .and_then(|p| p.engine_version())
            .or(instance.engine_version())
            .unwrap_or_default();
        let storage_type = pending
            .and_then(|p| p.storage_type())
            .or(instance.storage_type())
            .unwrap_or_default()
            .to_string();
        let live_allocated = gib(instance.allocated_storage());
        let max_allocated_gib = match gib(instance.max_allocated_storage()) {
            max if max > live_allocated => max,
            _ => 0,
        };
        let mut allocated_gib = gib(pending
            .and_then(|p| p.allocated_storage())
            .or(instance.allocated_storage()));
        // Storage autoscaling grows the volume; growth within the ceiling is not drift.
        if max_allocated_gib > 0
            && allocated_gib > current.allocated_gib
            && allocated_gib <= max_allocated_gib
            && current.max_allocated_gib > 0
        {
            allocated_gib = current.allocated_gib;
        }
        let iops = pending
            .and_then(|p| p.iops())
            .or(instance.iops())
            .and_then(|i| u32::try_from(i).ok());
        // gp3 reports its baseline IOPS, which a spec without IOPS does not name.
        let iops = if current.iops.is_none() && !storage_type.starts_with("io") {
            None
        } else {
            iops
        };
        let mut log_exports: BTreeSet<String> = instance
            .enabled_cloudwatch_logs_exports()
            .iter()
            .cloned()
            .collect();
        if let Some(p) = pending.and_then(|p| p.pending_cloudwatch_logs_exports()) {
            log_exports.extend(p.log_types_to_enable().iter().cloned());
            for t in p.log_types_to_disable() {
                log_exports.remove(t);
            }
        }
        let window = |current: &Option<String>, live: Option<&str>| match (current, live) {
            // AWS picks a window when the spec names none.
            (None, _) => None,
            (Some(c), Some(l)) => Some(same_or_live(c, l)),
            (Some(_), None) => None,
        };
        let mut security_groups: Vec<NodeKey> = instance
            .vpc_security_groups()
            .iter()
            .filter(|g| g.status() != Some(SG_STATUS_REMOVING))
            .filter_map(|g| g.vpc_security_group_id())
            .map(|id| match ids.key_of(id) {
                Some(key) => key.clone(),
                None => key_of(ids, Kind::SecurityGroup, id),
            })
            .collect();
        security_groups.sort();
        // An IdMap that knows none of current's groups cannot map any back.
        if !current.security_groups.is_empty()
            && current.security_groups.iter().all(|k| ids.id(k).is_err())
        {
            security_groups = current.security_groups.clone();
        }
        DbInstanceSpec {
            identifier: same_or_live(
                &current.identifier,
                instance.db_instance_identifier().unwrap_or_default(),
            ),
            engine: instance.engine().unwrap_or(&current.engine).to_string(),
            engine_version: observed_engine_version(&current.engine_version, live_version),
            allow_major_version_upgrade: current.allow_major_version_upgrade,
            instance_class: pending
                .and_then(|p| p.db_instance_class())
                .or(instance.db_instance_class())
                .unwrap_or_default()
                .to_string(),
            database_name: instance
                .db_name()
                .unwrap_or(&current.database_name)
                .to_string(),
            master_username: instance
                .master_username()
                .unwrap_or(&current.master_username)
                .to_string(),
            subnet_group: match instance
                .db_subnet_group()
                .and_then(|g| g.db_subnet_group_name())
            {
                Some(name) => reference_key(ids, Kind::DbSubnetGroup, name, &current.subnet_group),
                None => current.subnet_group.clone(),
            },
            security_groups,
            parameter_group: match instance
                .db_parameter_groups()
                .first()
                .and_then(|g| g.db_parameter_group_name())
            {
                Some(name) => {
                    reference_key(ids, Kind::DbParameterGroup, name, &current.parameter_group)
                }
                None => current.parameter_group.clone(),
            },
            multi_az: pending
                .and_then(|p| p.multi_az())
                .or(instance.multi_az())
                .unwrap_or(false),
            storage_type,
            allocated_gib,
            max_allocated_gib,
            iops,
            kms_key_arn: observed_kms_key(current.kms_key_arn.as_deref(), instance.kms_key_id()),
            backup_retention_days: gib(pending
                .and_then(|p| p.backup_retention_period())
                .or(instance.backup_retention_period())),
            backup_window: window(&current.backup_window, instance.preferred_backup_window()),
            maintenance_window: window(
                &current.maintenance_window,
                instance.preferred_maintenance_window(),
            ),
            deletion_protection: instance.deletion_protection().unwrap_or(false),
            final_snapshot: current.final_snapshot,
            performance_insights: instance
                .performance_insights_enabled()
                .unwrap_or(current.performance_insights),
            log_exports: log_exports.into_iter().collect(),
            apply_immediately: current.apply_immediately,
            extended_support: match instance.engine_lifecycle_support() {
                Some(LIFECYCLE_EXTENDED) => true,
                Some(LIFECYCLE_NO_EXTENDED) => false,
                _ => current.extended_support,
            },
            tags: tags::from_sdk(instance.tag_list()),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn final_snapshot_identifier_is_utc_timestamped() {
            // 2024-02-29T23:59:58Z, a leap day.
            let t = UNIX_EPOCH + Duration::from_secs(1_709_251_198);
            assert_eq!(
                final_snapshot_identifier("app-db", t),
                "app-db-final-20240229235958"
            );
            assert_eq!(
                final_snapshot_identifier("x", UNIX_EPOCH),
                "x-final-19700101000000"
            );
        }

        #[test]
        fn engine_version_rules() {
            assert!(engine_version_satisfied("17", "17.4"));
            assert!(!engine_version_satisfied("17.5", "17.4"));
            assert!(!engine_version_satisfied("18", "17.4"));
            assert_eq!(observed_engine_version("17", "17.4"), "17");
            assert_eq!(observed_engine_version("17.2", "17.4"), "17.4");
            assert_eq!(observed_engine_version("16", "17.1"), "17.1");
        }

        #[test]
        fn kms_key_as_the_spec_names_it() {
            let arn = "arn:aws:kms:us-east-1:1:key/abc";
            assert_eq!(observed_kms_key(None, Some(arn)), None);
            assert_eq!(
                observed_kms_key(Some("abc"), Some(arn)).as_deref(),
                Some("abc")
            );
            assert_eq!(observed_kms_key(Some(arn), Some(arn)).as_deref(), Some(arn));
            assert_eq!(
                observed_kms_key(Some("arn:aws:kms:us-east-1:1:key/other"), Some(arn)).as_deref(),
                Some(arn)
            );
        }
    }
}
