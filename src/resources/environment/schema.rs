//! The `platform_environment` schema.

use crate::framework::plan_modifier::PlanModifier;
use crate::framework::schema::{Attribute, Block, Schema};
use crate::framework::validator::Validator;
use crate::framework::value::Type;
use crate::plan::spec::{EndpointPreset, CONTAINER_INSIGHTS, FLOW_LOG_TRAFFIC_TYPES};

/// Bump with a state upgrader when the schema changes incompatibly.
pub const SCHEMA_VERSION: i64 = 0;

pub const TIERS: &[&str] = &["dev", "staging", "prod"];
pub const NAT_MODES: &[&str] = &["none", "single", "per_az"];
pub const SCHEMES: &[&str] = &["internet-facing", "internal"];

pub fn schema() -> Schema {
    let subnet_newbits = Block::new("Bits added to the VPC prefix for each tier's subnets. Changing them replaces the environment.")
        .attribute(Attribute::number("public").optional().description("Default 8 (a /24 in a /16).").validate(Validator::IntBetween(1, 12)))
        .attribute(Attribute::number("private").optional().description("Default 4 (a /20 in a /16).").validate(Validator::IntBetween(1, 12)))
        .attribute(Attribute::number("data").optional().description("Default 8 (a /24 in a /16).").validate(Validator::IntBetween(1, 12)));
    let nat = Block::new("NAT gateways for the private tier's egress.").attribute(
        Attribute::string("mode")
            .optional()
            .description("`none`, `single` (one NAT in the first AZ) or `per_az`. Default by tier: dev and staging `single`, prod `per_az`.")
            .validate(Validator::OneOf(NAT_MODES)),
    );
    let vpc_endpoints = Block::new("VPC endpoints, so private tasks reach AWS services without NAT.")
        .attribute(Attribute::string("preset").optional().description("`none`, `gateway` (S3 and DynamoDB, free) or `essential` (gateway plus interface endpoints for ECR api/dkr, logs, secretsmanager, ssm and sts in the private tier, behind their own security group). Default by tier: dev and staging `gateway`, prod `essential`.").validate(Validator::OneOf(EndpointPreset::NAMES)))
        .attribute(Attribute::string_list("extra").optional().description("More interface endpoints by service suffix, e.g. `[\"sqs\"]`. Default `[]`.").validate(Validator::UniqueElements));
    let flow_logs = Block::new("VPC flow logs to a CloudWatch Logs group, with the IAM role they need.")
        .attribute(Attribute::bool("enabled").optional().description("Default by tier: dev off, staging and prod on."))
        .attribute(Attribute::string("traffic_type").optional().description("`ALL`, `ACCEPT` or `REJECT`. Default by tier: staging `REJECT`, prod `ALL`.").validate(Validator::OneOf(FLOW_LOG_TRAFFIC_TYPES)))
        .attribute(Attribute::number("retention_days").optional().description("Days CloudWatch keeps flow logs; a value CloudWatch accepts. Default by tier: staging 30, prod 365.").validate(Validator::IntBetween(0, 3653)));
    let network = Block::new("The VPC and its public, private and data subnet tiers.")
        .attribute(Attribute::string("cidr").optional().description("IPv4 CIDR of the VPC, /16 to /28. Default `10.0.0.0/16`. Changing it replaces the environment."))
        .attribute(Attribute::number("az_count").optional().description("Number of availability zones, 2 to 6. Default by tier: dev 2, staging 2, prod 3. Conflicts with `az_ids`.").validate(Validator::IntBetween(2, 6)))
        .attribute(Attribute::string_list("az_ids").optional().description("Explicit availability zones, by ID (`use1-az1`) or name (`us-east-1a`). Conflicts with `az_count`.").validate(Validator::UniqueElements))
        .attribute(Attribute::bool("allow_no_egress").optional().description("Default false. Silences the plan-time check that private tasks have an egress path (NAT or `essential` endpoints) for image, secret and log traffic."))
        .single_block("subnet_newbits", subnet_newbits)
        .single_block("nat", nat)
        .single_block("vpc_endpoints", vpc_endpoints)
        .single_block("flow_logs", flow_logs);
    let capacity = Block::new("The cluster's default capacity provider strategy.")
        .attribute(
            Attribute::number("fargate_weight")
                .optional()
                .description("Default by tier: dev 0, staging 1, prod 1.")
                .validate(Validator::IntBetween(0, 1000)),
        )
        .attribute(
            Attribute::number("spot_weight")
                .optional()
                .description("Default by tier: dev 1, staging 1, prod 0.")
                .validate(Validator::IntBetween(0, 1000)),
        )
        .attribute(
            Attribute::number("base")
                .optional()
                .description("Tasks always on FARGATE. Default by tier: dev 0, staging 1, prod 0.")
                .validate(Validator::IntBetween(0, 100000)),
        );
    let cluster = Block::new("The ECS cluster services run in, with FARGATE and FARGATE_SPOT capacity providers.")
        .attribute(Attribute::string("container_insights").optional().description("`disabled`, `enabled` or `enhanced`. Default by tier: dev `disabled`, staging `enabled`, prod `enhanced`.").validate(Validator::OneOf(CONTAINER_INSIGHTS)))
        .single_block("capacity", capacity);
    let logging = Block::new("The environment's log group `/platform/<name>`; services inherit the retention.")
        .attribute(Attribute::number("retention_days").optional().description("Days CloudWatch keeps logs; a value CloudWatch accepts. Default by tier: dev 7, staging 30, prod 365.").validate(Validator::IntBetween(0, 3653)))
        .attribute(Attribute::string("kms_key_arn").optional().description("KMS key for the environment's log groups. Changing it replaces the log groups."));
    let ingress = Block::new("The shared application load balancer (present = created). HTTPS on 443 with a fixed 404 for requests no service claims; services add listener rules.")
        .attribute(Attribute::string("scheme").optional().description("`internet-facing` (public subnets) or `internal` (private subnets). Default `internet-facing`. Changing it replaces the load balancer.").validate(Validator::OneOf(SCHEMES)))
        .attribute(Attribute::string("domain").optional().description("Name to request an ACM certificate for (DNS validation; the records are in `certificate_validation_records`). Required unless `certificate_arn` is set."))
        .attribute(Attribute::string_list("additional_domains").optional().description("More names on the requested certificate; wildcards allowed. Default `[]`.").validate(Validator::UniqueElements))
        .attribute(Attribute::string("certificate_arn").optional().description("Bring your own ACM certificate instead of requesting one; it must cover `domain` when both are set."))
        .attribute(Attribute::string("tls_policy").optional().description("ELB security policy of the HTTPS listener. Default `ELBSecurityPolicy-TLS13-1-2-Res-2021-06` (TLS 1.2 and 1.3 only)."))
        .attribute(Attribute::bool("http_to_https").optional().description("Port 80 answers 301 to HTTPS. Default true; false means no port 80 at all."))
        .attribute(Attribute::number("idle_timeout").optional().description("Seconds, 1–4000. Default 60.").validate(Validator::IntBetween(1, 4000)))
        .attribute(Attribute::string_list("allowed_cidrs").optional().description("Sources allowed on 80 and 443. Default `[\"0.0.0.0/0\"]`.").validate(Validator::UniqueElements))
        .attribute(Attribute::bool("drop_invalid_headers").optional().description("Drop HTTP headers that are not valid. Default true."));
    let service_discovery = Block::new("Service discovery inside the environment (present = created): a Cloud Map private DNS namespace in the VPC, made the ECS cluster's Service Connect default. Every service of the environment becomes a Service Connect client; a service with `internal` is reachable at `http://<discovery_name>.<namespace>:<port>`.")
        .attribute(Attribute::string("namespace").optional().description("DNS name of the namespace. Default `<name>.internal`. Changing it replaces the namespace; removing the block deletes it once no service uses it."));
    let timeouts = Block::new("How long each operation may take.")
        .attribute(
            Attribute::string("create")
                .optional()
                .description("Default `30m`."),
        )
        .attribute(
            Attribute::string("update")
                .optional()
                .description("Default `30m`."),
        )
        .attribute(
            Attribute::string("delete")
                .optional()
                .description("Default `30m`."),
        );

    let block = Block::new("One environment of an app platform (dev, staging or prod): a VPC with public, private and data subnets in each availability zone, internet and NAT gateways, route tables, security groups, VPC endpoints, flow logs, an ECS cluster, a log group, the data tier's subnet groups and, with `ingress`, a shared HTTPS load balancer. Every AWS object it creates carries ownership tags and is listed in `resources`.")
        .attribute(Attribute::string("id").computed().description("The environment's name.").modifier(PlanModifier::UseStateForUnknown))
        .attribute(Attribute::string("name").required().description("Environment name: 2–16 characters of `a-z`, `0-9` and `-`, starting with a letter. Changing it replaces the environment.").modifier(PlanModifier::RequiresReplace))
        .attribute(Attribute::string("tier").required().description("`dev`, `staging` or `prod`; sets every default (see the tier table).").validate(Validator::OneOf(TIERS)))
        .attribute(Attribute::string_map("tags").optional().description("Tags for every AWS object, merged over the provider's `default_tags`."))
        .attribute(Attribute::bool("deletion_protection").optional().description("Refuses destroy while true; set it to false in an earlier apply to destroy. Default by tier: dev and staging false, prod true."))
        .attribute(Attribute::number("secret_recovery_window_days").optional().description("Days a deleted secret of this environment can be recovered: 0 (delete at once) or 7–30. Default by tier: dev 0, staging 7, prod 30.").validate(Validator::IntBetween(0, 30)))
        .single_block("network", network)
        .single_block("cluster", cluster)
        .single_block("logging", logging)
        .single_block("ingress", ingress)
        .single_block("service_discovery", service_discovery)
        .single_block("timeouts", timeouts)
        .attribute(Attribute::string("vpc_id").computed().description("ID of the VPC."))
        .attribute(Attribute::string("vpc_cidr").computed().description("CIDR of the VPC."))
        .attribute(Attribute::string_list("az_ids").computed().description("Availability zone IDs in use, in the order they joined."))
        .attribute(Attribute::string_list("public_subnet_ids").computed().description("Public subnet IDs, ordered by AZ ID."))
        .attribute(Attribute::string_list("private_subnet_ids").computed().description("Private subnet IDs, ordered by AZ ID."))
        .attribute(Attribute::string_list("data_subnet_ids").computed().description("Data subnet IDs, ordered by AZ ID."))
        .attribute(Attribute::string_map("subnet_ids_by_az").computed().description("Subnet IDs keyed `<tier>/<az-id>`."))
        .attribute(Attribute::string_map("subnet_cidrs_by_az").computed().description("Subnet CIDRs keyed `<tier>/<az-id>`, as the append-only allocator assigned them."))
        .attribute(Attribute::string("internet_gateway_id").computed().description("ID of the internet gateway."))
        .attribute(Attribute::string_list("nat_gateway_ids").computed().description("NAT gateway IDs, ordered by AZ ID."))
        .attribute(Attribute::string_list("nat_public_ips").computed().description("Public IPs of the NAT gateways, ordered by AZ ID: the environment's egress addresses."))
        .attribute(Attribute::string_map("security_group_ids").computed().description("Security group IDs by role: `services`, `data` and, with interface endpoints, `endpoints`."))
        .attribute(Attribute::string_map("vpc_endpoint_ids").computed().description("VPC endpoint IDs by service suffix (`s3`, `ecr.api`, …)."))
        .attribute(Attribute::string("cluster_name").computed().description("Name of the ECS cluster."))
        .attribute(Attribute::string("cluster_arn").computed().description("ARN of the ECS cluster."))
        .attribute(Attribute::string("log_group_name").computed().description("The environment's log group."))
        .attribute(Attribute::string("flow_log_group_name").computed().description("The flow logs' log group; empty when flow logs are off."))
        .attribute(Attribute::string("db_subnet_group_name").computed().description("RDS DB subnet group on the data subnets."))
        .attribute(Attribute::string("cache_subnet_group_name").computed().description("ElastiCache subnet group on the data subnets."))
        .attribute(Attribute::string("load_balancer_arn").computed().description("ARN of the shared load balancer; empty without `ingress`."))
        .attribute(Attribute::string("load_balancer_dns_name").computed().description("DNS name of the load balancer, for CNAME or alias records; empty without `ingress`."))
        .attribute(Attribute::string("load_balancer_zone_id").computed().description("Route 53 zone ID of the load balancer, for alias records; empty without `ingress`."))
        .attribute(Attribute::string("https_listener_arn").computed().description("ARN of the HTTPS listener services add rules to; empty without `ingress`."))
        .attribute(Attribute::string("http_listener_arn").computed().description("ARN of the HTTP listener (redirect to HTTPS); empty without it."))
        .attribute(Attribute::string("certificate_arn").computed().description("ARN of the certificate the HTTPS listener uses."))
        .attribute(Attribute::string("certificate_status").computed().description("ACM status of the certificate at the last refresh, e.g. `PENDING_VALIDATION` or `ISSUED`."))
        .attribute(Attribute::of_type("certificate_validation_records", Type::list(Type::Object([("name".to_string(), Type::String), ("type".to_string(), Type::String), ("value".to_string(), Type::String)].into_iter().collect()))).computed().description("DNS records that validate a requested certificate: create them in your DNS (the HTTPS listener waits until the certificate is issued)."))
        .attribute(Attribute::string("service_discovery_namespace_id").computed().description("ID of the Cloud Map namespace (`ns-…`); empty without `service_discovery`."))
        .attribute(Attribute::string("service_discovery_namespace_arn").computed().description("ARN of the Cloud Map namespace; empty without `service_discovery`."))
        .attribute(Attribute::string("service_discovery_namespace_name").computed().description("DNS name of the Cloud Map namespace; empty without `service_discovery`."))
        .attribute(Attribute::number("estimated_monthly_cost_usd").computed().description("Estimated fixed monthly cost in USD from us-east-1 list prices kept in the provider (NAT gateways, public IPv4 addresses, interface endpoints, load balancer); usage-based charges such as data processing and log ingestion are not included."))
        .attribute(Attribute::of_type("cost_breakdown", Type::map(Type::Number)).computed().description("The estimate by component, in USD per month."))
        .attribute(Attribute::string_map("resources").computed().description("Every AWS child: node key → AWS ID."))
        .attribute(Attribute::string_list("drift").computed().description("Changes made outside Terraform, found at the last refresh; the next apply restores them."))
        .attribute(Attribute::string_map("effective_config").computed().description("Every resolved setting, tier defaults included, with dotted keys."));
    Schema::new(SCHEMA_VERSION, block)
}

#[cfg(test)]
mod tests {
    use crate::framework::schema::check_schema;

    #[test]
    fn passes_terraform_schema_checks() {
        assert_eq!(check_schema(&super::schema()), Vec::<String>::new());
    }
}
