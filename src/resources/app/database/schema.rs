//! The `platform_database` arguments and computed attributes (the common ones are added by
//! the app adapter).

use crate::framework::plan_modifier::PlanModifier;
use crate::framework::schema::{Attribute, Block};
use crate::framework::validator::Validator;

pub fn arg_block() -> Block {
    let storage = Block::new("Storage: gp3 by default, autoscaled up to `max_allocated_gib`, always encrypted.")
        .attribute(Attribute::number("allocated_gib").optional().description("GiB, 20–65536; decreases fail the plan. Default by tier: dev 20, staging 50, prod 100."))
        .attribute(Attribute::number("max_allocated_gib").optional().description("Storage autoscaling ceiling in GiB; 0 turns it off. Default by tier: dev 50, staging 200, prod 1000."))
        .attribute(Attribute::string("type").optional().description("`gp3` (default), `gp2`, `io1` or `io2`."))
        .attribute(Attribute::number("iops").optional().description("Provisioned IOPS (gp3 above the baseline, io1/io2)."));
    let backup = Block::new("Automated backups.")
        .attribute(
            Attribute::number("retention_days")
                .optional()
                .description("0–35. Default by tier: dev 1, staging 7, prod 35.")
                .validate(Validator::IntBetween(0, 35)),
        )
        .attribute(
            Attribute::string("window")
                .optional()
                .description("Daily UTC window, e.g. `03:00-04:00`. Default: chosen by RDS."),
        );
    Block::new("RDS PostgreSQL on the environment's data tier, encrypted, with the master password managed by RDS in Secrets Manager (never in state) and a connection secret holding `DATABASE_URL` for services.")
        .attribute(Attribute::string("engine").optional().description("`postgres` (default). Changing it replaces the database.").modifier(PlanModifier::RequiresReplace))
        .attribute(Attribute::string("engine_version").optional().description("`17` follows any 17.x (AWS minor upgrades are not drift); `17.4` pins. A major bump needs `allow_major_version_upgrade`; a downgrade fails the plan. Default `17`."))
        .attribute(Attribute::bool("allow_major_version_upgrade").optional().description("Default false."))
        .attribute(Attribute::string("instance_class").optional().description("Checked against the provider's catalogue. Default by tier: dev db.t4g.micro, staging db.t4g.medium, prod db.m7g.large."))
        .attribute(Attribute::string("database_name").optional().description("Default: the name with `-` as `_`. Changing it replaces the database.").modifier(PlanModifier::RequiresReplace))
        .attribute(Attribute::string("master_username").optional().description("Default `platform_admin`. Changing it replaces the database.").modifier(PlanModifier::RequiresReplace))
        .attribute(Attribute::bool("multi_az").optional().description("Default by tier: prod true, else false."))
        .attribute(Attribute::string("kms_key_arn").optional().description("KMS key for storage; the AWS-managed key when unset. Changing it replaces the database.").modifier(PlanModifier::RequiresReplace))
        .attribute(Attribute::bool("deletion_protection").optional().description("Refuses destroy while true. Default by tier: dev false, staging and prod true."))
        .attribute(Attribute::bool("final_snapshot").optional().description("Destroy takes a final snapshot with a unique timestamped name. Default by tier: dev false, staging and prod true."))
        .attribute(Attribute::bool("apply_immediately").optional().description("Default by tier: dev and staging true, prod false (changes wait for the maintenance window)."))
        .attribute(Attribute::bool("performance_insights").optional().description("7 days of Performance Insights. Default by tier: dev false, staging and prod true."))
        .attribute(Attribute::string_list("log_exports").optional().description("CloudWatch log exports. Default `[\"postgresql\", \"upgrade\"]`."))
        .attribute(Attribute::string_map("parameters").optional().description("Parameters over `rds.force_ssl = 1`, in the database's own parameter group."))
        .attribute(Attribute::bool("extended_support").optional().description("Allow RDS Extended Support (charged) past end of standard support. Default false."))
        .attribute(Attribute::string("maintenance_window").optional().description("Weekly UTC window, e.g. `sun:05:00-sun:06:00`."))
        .single_block("storage", storage)
        .single_block("backup", backup)
        .attribute(Attribute::string("address").computed().description("Host name of the instance."))
        .attribute(Attribute::number("port").computed().description("Port of the instance."))
        .attribute(Attribute::string("endpoint").computed().description("`<address>:<port>`."))
        .attribute(Attribute::string("engine_version_actual").computed().description("The full engine version running."))
        .attribute(Attribute::string("instance_arn").computed().description("ARN of the instance."))
        .attribute(Attribute::string("master_secret_arn").computed().description("ARN of the master-user secret RDS manages."))
        .attribute(Attribute::string("connection_secret_arn").computed().description("ARN of the connection secret (JSON `url`, `host`, `port`, `dbname`, `username`, `password`)."))
        .attribute(Attribute::string("security_group_id").computed().description("ID of the database's security group (PostgreSQL only from services given access)."))
        .attribute(Attribute::string("parameter_group_name").computed().description("Name of the database's parameter group."))
}
