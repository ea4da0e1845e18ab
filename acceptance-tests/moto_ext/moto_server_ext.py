"""moto_server with the ElastiCache operations our acceptance tests need, and RDS, ECS, S3,
CloudFront, SQS, EventBridge Scheduler and Application Auto Scaling fixes.

Why: moto 5.2.5 (the version pinned by .ci/install-tools.sh) answers HTTP 500 "not implemented"
for DeleteCacheSubnetGroup, ModifyCacheSubnetGroup, Create/DeleteCacheParameterGroup,
DescribeCacheParameterGroups and Increase/DecreaseReplicaCount, and DeleteReplicationGroup
leaves the group `deleting` forever.
Its replication groups (cluster mode disabled) ignore NumCacheClusters (always one member) and
never register their member cache clusters, so DescribeCacheClusters answers CacheClusterNotFound
for `<id>-001`; ModifyReplicationGroup drops EngineVersion, SecurityGroupIds and the windows.
Here a group has NumCacheClusters members `<id>-001`, `-002`, … (the primary first), each a
cache cluster carrying the group's engine, full engine version, node type, subnet group,
security groups and maintenance window, kept in step by Modify/Increase/Decrease and removed
with the group, as on AWS.
Its RDS ModifyDBSubnetGroup drops the group it modifies (it pops the group and never puts it
back), so growing an environment's AZs would lose the DB subnet group.
Its ECS CreateService and UpdateService drop serviceConnectConfiguration, which AWS returns on
the service's deployment, and its clusters keep serviceConnectDefaults with the namespace as
given, where AWS answers with the Cloud Map namespace ARN.
S3 starts a bucket without the defaults AWS gives every new bucket (SSE-S3 encryption, Block
Public Access, BucketOwnerEnforced), pages ListBuckets without a ContinuationToken, drops a
lifecycle rule's NewerNoncurrentVersions, and ignores the `Bool` condition of a bucket policy, so
the usual "deny without TLS" statement denied every object request, DeleteObjects included.
CloudFront drops an origin's OriginAccessControlId and S3OriginConfig, misreports ACM viewer
certificates as the default certificate, adds legacy TTLs and ForwardedValues next to a cache
policy, never changes or checks ETags, reports an update as already Deployed, deletes enabled
distributions and in-use origin access controls, and answers 500 for an unknown control.
SQS never returns RedriveAllowPolicy and loses a queue's Policy on any SetQueueAttributes without
it. Scheduler replaces an existing schedule group (and its schedules) on a second create, and
answers 500 for a missing group. Application Auto Scaling's DescribeScalingPolicies ignores
PolicyNames, and a policy gets a new ARN on every PutScalingPolicy.
Each section below says what AWS does instead.
The provider must not special-case the emulator, so the gap is filled here, in the test harness.

Usage is the same as moto_server:  python moto_server_ext.py -H 127.0.0.1 -p PORT

Written against moto 5.2.5's moto/elasticache, ecs, rds, s3, cloudfront, sqs, scheduler and
applicationautoscaling (models.py, responses.py): responses return ActionResult objects (or, for
scheduler and applicationautoscaling, JSON strings) that moto serialises to AWS-shaped XML or
JSON from the botocore service model.
Re-check (and ideally delete pieces of) this file whenever the moto pin moves.
"""

import sys

import moto
from moto.core.responses import ActionResult, EmptyResult, PaginatedResult
from moto.elasticache import models, responses
from moto.elasticache.exceptions import ElastiCacheException, CacheSubnetGroupNotFound
from moto.server import main

TARGET_MOTO = "5.2.5"
if moto.__version__ != TARGET_MOTO:
    print(f"moto_server_ext: written for moto {TARGET_MOTO}, found {moto.__version__}",
          file=sys.stderr)


class CacheSubnetGroupInUse(ElastiCacheException):
    code = "CacheSubnetGroupInUse"

    def __init__(self, name: str):
        super().__init__(f"Cache subnet group {name} is currently in use by a cache cluster.")


class CacheParameterGroupAlreadyExists(ElastiCacheException):
    code = "CacheParameterGroupAlreadyExists"

    def __init__(self, name: str):
        super().__init__(f"Parameter group {name} already exists.")


class CacheParameterGroupNotFound(ElastiCacheException):
    code = "CacheParameterGroupNotFound"

    def __init__(self, name: str):
        super().__init__(f"CacheParameterGroup {name} not found.")


class InvalidReplicationGroupState(ElastiCacheException):
    code = "InvalidReplicationGroupState"

    def __init__(self, group_id: str, status: str):
        super().__init__(f"Replication group {group_id} is not available (status: {status}).")


# AWS reports the patch release a major.minor runs on; these are current ones.
FULL_ENGINE_VERSIONS = {"8.0": "8.0.1", "7.2": "7.2.4", "7.1": "7.1.0", "6.2": "6.2.6"}
# AWS picks a weekly window when none is given.
DEFAULT_MAINTENANCE_WINDOW = "sun:23:00-mon:01:30"
# Cluster mode disabled: one primary and up to five read replicas.
MAX_REPLICAS = 5

Backend = models.ElastiCacheBackend
Response = responses.ElastiCacheResponse

# Parameter group ARNs must pass the backend's ARN check for List/AddTagsToResource.
_original_init = Backend.__init__


def _init(self, region_name, account_id):
    _original_init(self, region_name, account_id)
    self.arn_regex = models.re_compile(
        r"^arn:aws:elasticache:.*:[0-9]*:"
        r"(cluster|snapshot|subnetgroup|replicationgroup|user|parametergroup):.*$"
    )
    self.cache_parameter_groups = {}


Backend.__init__ = _init


# --- backend (models) -----------------------------------------------------------------------


def delete_cache_subnet_group(self, cache_subnet_group_name):
    group = self.cache_subnet_groups.get(cache_subnet_group_name)
    if group is None:
        raise CacheSubnetGroupNotFound(cache_subnet_group_name)
    users = list(self.cache_clusters.values()) + list(self.replication_groups.values())
    if any(getattr(u, "cache_subnet_group_name", None) == cache_subnet_group_name for u in users):
        raise CacheSubnetGroupInUse(cache_subnet_group_name)
    del self.cache_subnet_groups[cache_subnet_group_name]
    self.tagging_service.delete_all_tags_for_resource(group.arn)


def modify_cache_subnet_group(self, cache_subnet_group_name, description, subnet_ids):
    old = self.cache_subnet_groups.get(cache_subnet_group_name)
    if old is None:
        raise CacheSubnetGroupNotFound(cache_subnet_group_name)
    # Rebuild through moto's own constructor so subnets, VPC and network types are re-derived
    # (and InvalidSubnet raised) exactly as on create. Tags live in the tagging service by ARN.
    group = models.CacheSubnetGroup(
        account_id=self.account_id,
        region_name=self.region_name,
        cache_subnet_group_name=cache_subnet_group_name,
        cache_subnet_group_description=(
            description if description is not None else old.cache_subnet_group_description
        ),
        subnet_ids=subnet_ids or old.subnet_ids,
        tags=old.tags,
    )
    self.cache_subnet_groups[cache_subnet_group_name] = group
    return group


def create_cache_parameter_group(self, name, family, description, tags):
    if name in self.cache_parameter_groups:
        raise CacheParameterGroupAlreadyExists(name)
    arn = f"arn:aws:elasticache:{self.region_name}:{self.account_id}:parametergroup:{name}"
    group = {
        "CacheParameterGroupName": name,
        "CacheParameterGroupFamily": family,
        "Description": description,
        "IsGlobal": False,
        "ARN": arn,
    }
    if tags:
        self.tagging_service.tag_resource(arn, tags)
    self.cache_parameter_groups[name] = group
    return group


def describe_cache_parameter_groups(self, name):
    if name:
        if name not in self.cache_parameter_groups:
            raise CacheParameterGroupNotFound(name)
        return [self.cache_parameter_groups[name]]
    return list(self.cache_parameter_groups.values())


def delete_cache_parameter_group(self, name):
    group = self.cache_parameter_groups.pop(name, None)
    if group is None:
        raise CacheParameterGroupNotFound(name)
    self.tagging_service.delete_all_tags_for_resource(group["ARN"])


# --- replication group members (cluster mode disabled) ---------------------------------------


def full_engine_version(version):
    if not version:
        return None
    if version.count(".") >= 2:
        return version
    return FULL_ENGINE_VERSIONS.get(version, f"{version}.0")


def _member_cluster(self, group, node):
    cluster = models.CacheCluster(
        account_id=self.account_id,
        region_name=self.region_name,
        cache_cluster_id=node["cache_cluster_id"],
        cache_node_type=group.cache_node_type,
        replication_group_id=group.replication_group_id,
        az_mode="single-az",
        preferred_availability_zone=node.get("preferred_availability_zone"),
        num_cache_nodes=1,
        engine=group.engine,
        engine_version=full_engine_version(group.engine_version),
        cache_parameter_group_name=group.cache_parameter_group_name,
        cache_subnet_group_name=group.cache_subnet_group_name,
        transit_encryption_enabled=group.transit_encryption_enabled,
        network_type=group.network_type,
        ip_discovery=group.ip_discovery,
        snapshot_name=None,
        preferred_maintenance_window=None,
        port=group.port,
        notification_topic_arn=group.notification_topic_arn,
        auto_minor_version_upgrade=group.auto_minor_version_upgrade,
        snapshot_retention_limit=group.snapshot_retention_limit,
        snapshot_window=group.snapshot_window,
        auth_token=None,
        outpost_mode=None,
        preferred_outpost_arn=None,
        preferred_availability_zones=None,
        cache_security_group_names=group.cache_security_group_names,
        security_group_ids=group.security_group_ids,
        tags=None,
        snapshot_arns=None,
        preferred_outpost_arns=None,
        log_delivery_configurations=[],
        cache_node_ids_to_remove=None,
        cache_node_ids_to_reboot=None,
    )
    # CacheCluster sets these for redis only; a member of any engine has them.
    cluster.replication_group_id = group.replication_group_id
    cluster.num_cache_nodes = 1
    cluster.auth_token_enabled = group.auth_token_enabled
    self.cache_clusters[cluster.cache_cluster_id] = cluster
    return cluster


def _sync_member_clusters(self, group):
    """Registers every member of `group` as a cache cluster showing the group's settings."""
    if group.cluster_mode == "enabled":
        return
    if not group.preferred_maintenance_window:
        group.preferred_maintenance_window = DEFAULT_MAINTENANCE_WINDOW
    for node in group.node_groups[0]["node_group_members"]:
        cluster = self.cache_clusters.get(node["cache_cluster_id"])
        if cluster is None:
            cluster = _member_cluster(self, group, node)
        cluster.engine = group.engine
        cluster.engine_version = full_engine_version(group.engine_version)
        cluster.cache_node_type = group.cache_node_type
        cluster.cache_subnet_group_name = group.cache_subnet_group_name
        cluster.security_group_ids = list(group.security_group_ids or [])
        cluster.security_groups = [
            {"SecurityGroupId": sg, "Status": "active"} for sg in cluster.security_group_ids
        ]
        cluster.preferred_maintenance_window = group.preferred_maintenance_window
        cluster.snapshot_retention_limit = group.snapshot_retention_limit
        cluster.snapshot_window = group.snapshot_window
    members = {node["cache_cluster_id"] for node in group.node_groups[0]["node_group_members"]}
    for cluster_id in [
        cid
        for cid, c in self.cache_clusters.items()
        if getattr(c, "replication_group_id", None) == group.replication_group_id
        and cid not in members
    ]:
        del self.cache_clusters[cluster_id]


def _replica_node(group, cluster_id):
    domain = group.node_groups[0]["primary_endpoint_address"].removeprefix("master.")
    return {
        "cache_cluster_id": cluster_id,
        "cache_node_id": group.node_groups[0]["node_group_id"],
        "read_endpoint": {"address": f"{cluster_id}.{domain}", "port": group.port},
        "preferred_availability_zone": "us-east-1b",
        "current_role": "replica",
    }


def _set_members(group, nodes):
    group.node_groups[0]["node_group_members"] = nodes
    group.member_clusters = [node["cache_cluster_id"] for node in nodes]


def _available_group(self, replication_group_id):
    if replication_group_id not in self.replication_groups:
        raise models.ReplicationGroupNotFound(replication_group_id)
    group = self.replication_groups[replication_group_id]
    if group.status != "available":
        raise InvalidReplicationGroupState(replication_group_id, group.status)
    if group.cluster_mode == "enabled":
        raise models.InvalidParameterValueException(
            "Use NodeGroupCount/ReplicaConfiguration for cluster mode enabled groups."
        )
    return group


def _check_replica_count(group, new_replica_count):
    if new_replica_count is None:
        raise models.InvalidParameterValueException(
            "Either NewReplicaCount or ReplicaConfiguration must be specified."
        )
    if not 0 <= new_replica_count <= MAX_REPLICAS:
        raise models.InvalidParameterValueException(
            f"NewReplicaCount must be between 0 and {MAX_REPLICAS} for a replication group "
            f"with cluster mode disabled, got {new_replica_count}."
        )
    if new_replica_count < 1 and group.automatic_failover == "enabled":
        raise models.InvalidParameterCombinationException(
            "Replication group must have at least one read replica to enable automatic "
            "failover; disable automatic failover (and Multi-AZ) first."
        )


_original_create_replication_group = Backend.create_replication_group


def create_replication_group(self, **kwargs):
    # Cluster mode disabled: NumCacheClusters counts the primary and its replicas.
    if kwargs.get("cluster_mode") != "enabled" and not kwargs.get("replicas_per_node_group"):
        num = kwargs.get("num_cache_clusters")
        if num is not None and not 1 <= num <= MAX_REPLICAS + 1:
            raise models.InvalidParameterValueException(
                f"NumCacheClusters must be between 1 and {MAX_REPLICAS + 1}, got {num}."
            )
        if num and kwargs.get("automatic_failover_enabled") and num < 2:
            raise models.InvalidParameterCombinationException(
                "Automatic failover needs at least 2 cache clusters (a primary and a replica)."
            )
        kwargs["replicas_per_node_group"] = (num or 1) - 1
    group = _original_create_replication_group(self, **kwargs)
    _sync_member_clusters(self, group)
    return group


_original_modify_replication_group = Backend.modify_replication_group


def modify_replication_group(self, replication_group_id, engine_version=None,
                             security_group_ids=None, preferred_maintenance_window=None,
                             snapshot_window=None, **kwargs):
    group = self.replication_groups.get(replication_group_id)
    if (group is not None and kwargs.get("automatic_failover_enabled")
            and len(group.member_clusters) < 2):
        raise models.InvalidParameterCombinationException(
            "Automatic failover needs at least one read replica."
        )
    group = _original_modify_replication_group(self, replication_group_id, **kwargs)
    if engine_version is not None:
        group.engine_version = engine_version
    if security_group_ids:
        group.security_group_ids = security_group_ids
    if preferred_maintenance_window is not None:
        group.preferred_maintenance_window = preferred_maintenance_window
    if snapshot_window is not None:
        group.snapshot_window = snapshot_window
    _sync_member_clusters(self, group)
    return group


def increase_replica_count(self, replication_group_id, new_replica_count):
    group = _available_group(self, replication_group_id)
    _check_replica_count(group, new_replica_count)
    nodes = list(group.node_groups[0]["node_group_members"])
    if new_replica_count <= len(nodes) - 1:
        raise models.InvalidParameterValueException(
            f"NewReplicaCount {new_replica_count} must be greater than the current replica "
            f"count {len(nodes) - 1}."
        )
    used = {node["cache_cluster_id"] for node in nodes}
    number = 1
    while len(nodes) < new_replica_count + 1:
        cluster_id = f"{replication_group_id}-{number:0>3}"
        if cluster_id not in used:
            nodes.append(_replica_node(group, cluster_id))
        number += 1
    _set_members(group, nodes)
    _sync_member_clusters(self, group)
    return group


def decrease_replica_count(self, replication_group_id, new_replica_count, replicas_to_remove):
    group = _available_group(self, replication_group_id)
    nodes = list(group.node_groups[0]["node_group_members"])
    if new_replica_count is None and replicas_to_remove:
        new_replica_count = len(nodes) - 1 - len(replicas_to_remove)
    _check_replica_count(group, new_replica_count)
    if new_replica_count >= len(nodes) - 1:
        raise models.InvalidParameterValueException(
            f"NewReplicaCount {new_replica_count} must be less than the current replica "
            f"count {len(nodes) - 1}."
        )
    for cluster_id in replicas_to_remove or []:
        node = next((n for n in nodes if n["cache_cluster_id"] == cluster_id), None)
        if node is None or node.get("current_role") == "primary":
            raise models.InvalidParameterValueException(
                f"{cluster_id} is not a read replica of replication group {replication_group_id}."
            )
        nodes.remove(node)
    while len(nodes) > new_replica_count + 1:
        nodes.pop()  # the newest replica; the primary is first
    _set_members(group, nodes)
    _sync_member_clusters(self, group)
    return group


# AWS answers DeleteReplicationGroup with status `deleting`, then the group disappears; moto
# keeps it `deleting` forever. Keep moto's response, then forget the group, its member
# clusters and its tags.
_original_delete_replication_group = Backend.delete_replication_group


def delete_replication_group(self, replication_group_id, retain_primary_cluster):
    group = _original_delete_replication_group(self, replication_group_id, retain_primary_cluster)
    self.replication_groups.pop(replication_group_id, None)
    for cluster_id in [
        cid
        for cid, c in self.cache_clusters.items()
        if getattr(c, "replication_group_id", None) == replication_group_id
    ]:
        del self.cache_clusters[cluster_id]
    self.tagging_service.delete_all_tags_for_resource(group.arn)
    return group


Backend.delete_cache_subnet_group = delete_cache_subnet_group
Backend.modify_cache_subnet_group = modify_cache_subnet_group
Backend.create_cache_parameter_group = create_cache_parameter_group
Backend.describe_cache_parameter_groups = describe_cache_parameter_groups
Backend.delete_cache_parameter_group = delete_cache_parameter_group
Backend.delete_replication_group = delete_replication_group
Backend.create_replication_group = create_replication_group
Backend.modify_replication_group = modify_replication_group
Backend.increase_replica_count = increase_replica_count
Backend.decrease_replica_count = decrease_replica_count


# --- responses: moto dispatches Action=FooBar to the method foo_bar ---------------------------


def r_delete_cache_subnet_group(self):
    self.elasticache_backend.delete_cache_subnet_group(self._get_param("CacheSubnetGroupName"))
    return EmptyResult()


def r_modify_cache_subnet_group(self):
    group = self.elasticache_backend.modify_cache_subnet_group(
        self._get_param("CacheSubnetGroupName"),
        self._get_param("CacheSubnetGroupDescription"),
        self._get_param("SubnetIds", []),
    )
    return ActionResult({"CacheSubnetGroup": group})


def r_create_cache_parameter_group(self):
    group = self.elasticache_backend.create_cache_parameter_group(
        self._get_param("CacheParameterGroupName"),
        self._get_param("CacheParameterGroupFamily"),
        self._get_param("Description"),
        self._get_param("Tags", []),
    )
    return ActionResult({"CacheParameterGroup": group})


def r_describe_cache_parameter_groups(self):
    groups = self.elasticache_backend.describe_cache_parameter_groups(
        self._get_param("CacheParameterGroupName")
    )
    return PaginatedResult({"CacheParameterGroups": groups})


def r_delete_cache_parameter_group(self):
    self.elasticache_backend.delete_cache_parameter_group(self._get_param("CacheParameterGroupName"))
    return EmptyResult()


Response.delete_cache_subnet_group = r_delete_cache_subnet_group
Response.modify_cache_subnet_group = r_modify_cache_subnet_group
Response.create_cache_parameter_group = r_create_cache_parameter_group
Response.describe_cache_parameter_groups = r_describe_cache_parameter_groups
Response.delete_cache_parameter_group = r_delete_cache_parameter_group


def r_modify_replication_group(self):
    group = self.elasticache_backend.modify_replication_group(
        replication_group_id=self._get_param("ReplicationGroupId"),
        replication_group_description=self._get_param("ReplicationGroupDescription"),
        engine=self._get_param("Engine"),
        cache_node_type=self._get_param("CacheNodeType"),
        automatic_failover_enabled=self._get_bool_param("AutomaticFailoverEnabled"),
        multi_az_enabled=self._get_bool_param("MultiAZEnabled"),
        snapshot_retention_limit=self._get_int_param("SnapshotRetentionLimit"),
        engine_version=self._get_param("EngineVersion"),
        security_group_ids=self._get_param("SecurityGroupIds"),
        preferred_maintenance_window=self._get_param("PreferredMaintenanceWindow"),
        snapshot_window=self._get_param("SnapshotWindow"),
    )
    return ActionResult({"ReplicationGroup": group})


def r_increase_replica_count(self):
    group = self.elasticache_backend.increase_replica_count(
        self._get_param("ReplicationGroupId"), self._get_int_param("NewReplicaCount")
    )
    return ActionResult({"ReplicationGroup": group})


def r_decrease_replica_count(self):
    group = self.elasticache_backend.decrease_replica_count(
        self._get_param("ReplicationGroupId"),
        self._get_int_param("NewReplicaCount"),
        self._get_param("ReplicasToRemove", []),
    )
    return ActionResult({"ReplicationGroup": group})


Response.modify_replication_group = r_modify_replication_group
Response.increase_replica_count = r_increase_replica_count
Response.decrease_replica_count = r_decrease_replica_count



# RDS: ModifyDBSubnetGroup keeps the group under its name.
from moto.rds import models as rds_models  # noqa: E402

_original_modify_db_subnet_group = rds_models.RDSBackend.modify_db_subnet_group


def modify_db_subnet_group(self, subnet_name, description, subnets):
    group = _original_modify_db_subnet_group(self, subnet_name, description, subnets)
    self.subnet_groups[subnet_name] = group
    return group


rds_models.RDSBackend.modify_db_subnet_group = modify_db_subnet_group


# --- ECS Service Connect -----------------------------------------------------------------------
# AWS keeps a service's serviceConnectConfiguration on the deployment that Create/UpdateService
# started (the Service shape has no such field): moto 5.2.5 drops it on both calls. moto keeps
# a cluster's serviceConnectDefaults, but as given, while AWS answers with the namespace ARN.
# Namespace names are resolved against moto's Cloud Map backend of the same account and region.
import copy  # noqa: E402

from moto.ecs import models as ecs_models, responses as ecs_responses  # noqa: E402
from moto.servicediscovery.models import servicediscovery_backends  # noqa: E402

EcsBackend = ecs_models.EC2ContainerServiceBackend
EcsResponse = ecs_responses.EC2ContainerServiceResponse


def _cloud_map_namespace_arn(account_id, region_name, name_or_arn):
    """The ARN of the Cloud Map namespace called `name_or_arn`; ARNs (and unknown names) as
    given."""
    if not name_or_arn or name_or_arn.startswith("arn:"):
        return name_or_arn
    namespaces = servicediscovery_backends[account_id][region_name].namespaces.values()
    return next((ns.arn for ns in namespaces if ns.name == name_or_arn), name_or_arn)


def _cluster_default_namespace_arn(self, service_connect_defaults):
    """AWS: an existing namespace name or ARN is used as it is; a new name makes ECS create an
    HTTP ("API calls") namespace of that name. Either way the cluster shows the ARN."""
    namespace = service_connect_defaults.get("namespace")
    arn = _cloud_map_namespace_arn(self.account_id, self.region_name, namespace)
    if arn and not arn.startswith("arn:"):
        cloud_map = servicediscovery_backends[self.account_id][self.region_name]
        operation_id = cloud_map.create_http_namespace(arn, None, None, [])
        namespace_id = cloud_map.get_operation(operation_id).targets["NAMESPACE"]
        arn = cloud_map.get_namespace(namespace_id).arn
    return arn


_original_create_cluster = EcsBackend.create_cluster


def create_cluster(self, cluster_name, *args, service_connect_defaults=None, **kwargs):
    if service_connect_defaults and service_connect_defaults.get("namespace"):
        service_connect_defaults = {
            "namespace": _cluster_default_namespace_arn(self, service_connect_defaults)
        }
    else:
        service_connect_defaults = None
    return _original_create_cluster(
        self, cluster_name, *args, service_connect_defaults=service_connect_defaults, **kwargs
    )


_original_update_cluster = EcsBackend.update_cluster


def update_cluster(self, cluster_name, cluster_settings, configuration,
                   service_connect_defaults):
    # AWS: an empty namespace name removes the cluster's Service Connect defaults; no
    # serviceConnectDefaults leaves them unchanged.
    remove = service_connect_defaults is not None and not service_connect_defaults.get(
        "namespace")
    if service_connect_defaults is not None and not remove:
        service_connect_defaults = {
            "namespace": _cluster_default_namespace_arn(self, service_connect_defaults)
        }
    cluster = _original_update_cluster(
        self, cluster_name, cluster_settings, configuration,
        None if remove else service_connect_defaults,
    )
    if remove:
        cluster.service_connect_defaults = None
    return cluster


def _set_service_connect(self, service, configuration):
    """Puts `configuration` on the service's current (PRIMARY) deployment, the one this call
    made on AWS. moto keeps a single deployment per service and updates it in place."""
    if configuration is None or not service.deployments:
        return
    configuration = copy.deepcopy(configuration)
    namespace = configuration.get("namespace")
    if not namespace and configuration.get("enabled"):
        # AWS: a Service Connect service without a namespace joins the cluster's default one.
        cluster = self.clusters.get(service.cluster_name)
        defaults = getattr(cluster, "service_connect_defaults", None) or {}
        namespace = defaults.get("namespace")
    if namespace:
        configuration["namespace"] = _cloud_map_namespace_arn(
            self.account_id, self.region_name, namespace
        )
    service.deployments[0]["serviceConnectConfiguration"] = configuration


_original_create_service = EcsBackend.create_service


def create_service(self, *args, service_connect_configuration=None, **kwargs):
    service = _original_create_service(self, *args, **kwargs)
    _set_service_connect(self, service, service_connect_configuration)
    return service


_original_update_service = EcsBackend.update_service


def update_service(self, service_properties):
    # moto sets every UpdateService parameter as an attribute of the Service, which is never
    # returned. Omitted means unchanged on AWS: the deployment keeps its configuration.
    configuration = service_properties.pop("service_connect_configuration", None)
    service = _original_update_service(self, service_properties)
    _set_service_connect(self, service, configuration)
    return service


EcsBackend.create_cluster = create_cluster
EcsBackend.update_cluster = update_cluster
EcsBackend.create_service = create_service
EcsBackend.update_service = update_service


def r_create_service(self):
    # moto 5.2.5's handler with serviceConnectConfiguration passed on.
    service = self.ecs_backend.create_service(
        self._get_param("cluster", "default"),
        self._get_param("serviceName"),
        self._get_int_param("desiredCount"),
        self._get_param("taskDefinition"),
        self._get_param("loadBalancers"),
        self._get_param("schedulingStrategy"),
        self._get_param("tags"),
        self._get_param("deploymentController"),
        self._get_param("launchType"),
        network_configuration=self._get_param("networkConfiguration"),
        service_registries=self._get_param("serviceRegistries"),
        platform_version=self._get_param("platformVersion"),
        propagate_tags=self._get_param("propagateTags") or "NONE",
        role_arn=self._get_param("role"),
        service_connect_configuration=self._get_param("serviceConnectConfiguration"),
    )
    return ActionResult({"service": service})


EcsResponse.create_service = r_create_service



# --- S3 ------------------------------------------------------------------------------------------
# AWS (since April 2023) gives a new bucket SSE-S3 default encryption, all four Block Public
# Access settings and BucketOwnerEnforced, and GetBucketEncryption never answers "not found"
# (DeleteBucketEncryption goes back to SSE-S3). moto starts a bucket with none of them.
# moto's ListBuckets cuts the list at MaxBuckets without a ContinuationToken (so a paginator
# stops after the first page), ignores ContinuationToken and omits Prefix and BucketRegion.
# Its lifecycle rules drop NoncurrentVersionExpiration.NewerNoncurrentVersions.
# Its bucket policies ignore conditions it cannot evaluate (`Bool` among them), so a Deny on
# aws:SecureTransport = false denied every object request (PutObject, DeleteObjects, ...);
# conditions are now evaluated against what a request to AWS carries: TLS
# (aws:SecureTransport = true) and no other condition key.
import fnmatch  # noqa: E402
import json  # noqa: E402

from moto.core.utils import utcnow  # noqa: E402
from moto.s3 import models as s3_models, responses as s3_responses  # noqa: E402

S3Backend = s3_models.S3Backend
S3Response = s3_responses.S3Response
FakeBucket = s3_models.FakeBucket


def _default_bucket_encryption():
    return {
        "Rule": {
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
            "BucketKeyEnabled": "false",
        }
    }


_original_s3_create_bucket = S3Backend.create_bucket


def s3_create_bucket(self, bucket_name, region_name, *args, **kwargs):
    bucket = _original_s3_create_bucket(self, bucket_name, region_name, *args, **kwargs)
    # CreateBucket's x-amz-object-ownership header, if any, is applied after this.
    bucket.encryption = _default_bucket_encryption()
    bucket.ownership_rule = "BucketOwnerEnforced"
    bucket.public_access_block = s3_models.PublicAccessBlock(True, True, True, True)
    return bucket


def s3_delete_bucket_encryption(self, bucket_name):
    self.get_bucket(bucket_name).encryption = _default_bucket_encryption()


S3Backend.create_bucket = s3_create_bucket


def r_s3_get_bucket_versioning(self):
    """AWS answers a VersioningConfiguration (empty for a bucket never versioned); moto's
    serializer names the root GetBucketVersioningResponse, which SDKs refuse to parse."""
    status = self.backend.get_bucket_versioning(self.bucket_name)
    inner = f"<Status>{status}</Status>" if status else ""
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{inner}'
            '</VersioningConfiguration>')
    return 200, {"Content-Type": "application/xml"}, body


S3Response.get_bucket_versioning = r_s3_get_bucket_versioning
S3Backend.delete_bucket_encryption = s3_delete_bucket_encryption


def r_s3_all_buckets(self):
    # moto 5.2.5's handler, with AWS's paging (ContinuationToken, names in order), Prefix
    # echoed and each bucket's BucketRegion.
    self.data["Action"] = "ListAllMyBuckets"
    self._authenticate_and_authorize_s3_action()
    prefix = self._get_param("prefix")
    token = self._get_param("continuation-token")
    max_buckets = self._get_param("max-buckets")
    buckets = sorted(
        self.backend.list_buckets(
            prefix=prefix, bucket_region=self._get_param("bucket-region"), max_buckets=None
        ),
        key=lambda b: b.name,
    )
    if token:
        buckets = [b for b in buckets if b.name > token]
    result = {
        "Owner": {"ID": "bcaf1ffd86f41161ca5fb16fd081034f", "DisplayName": "webfile"},
        "Buckets": [
            {
                "Name": b.name,
                "CreationDate": b.creation_date_ISO8601,
                "BucketRegion": b.region_name,
            }
            for b in buckets
        ],
    }
    if max_buckets and len(buckets) > int(max_buckets):
        result["Buckets"] = result["Buckets"][: int(max_buckets)]
        result["ContinuationToken"] = result["Buckets"][-1]["Name"]
    if prefix is not None:
        result["Prefix"] = prefix
    self.data["Action"] = "ListBuckets"
    return self.serialized(ActionResult(result))


S3Response.all_buckets = r_s3_all_buckets

_original_set_lifecycle = FakeBucket.set_lifecycle


def set_lifecycle(self, rules):
    _original_set_lifecycle(self, rules)
    for rule, given in zip(self.rules, rules):
        expiration = given.get("NoncurrentVersionExpiration") or {}
        rule.nve_newer_versions = expiration.get("NewerNoncurrentVersions")


FakeBucket.set_lifecycle = set_lifecycle

_original_get_bucket_lifecycle = S3Response.get_bucket_lifecycle


def r_get_bucket_lifecycle(self):
    rules = self.backend.get_bucket_lifecycle(self.bucket_name) or []
    serialized = self.serialized

    def with_newer_versions(action_result):
        for rule, out in zip(rules, action_result.result.get("Rules", [])):
            newer = getattr(rule, "nve_newer_versions", None)
            if newer is not None and "NoncurrentVersionExpiration" in out:
                out["NoncurrentVersionExpiration"]["NewerNoncurrentVersions"] = int(newer)
        return serialized(action_result)

    self.serialized = with_newer_versions
    try:
        return _original_get_bucket_lifecycle(self)
    finally:
        del self.serialized


S3Response.get_bucket_lifecycle = r_get_bucket_lifecycle

# What every request to AWS carries; any other condition key is absent.
S3_REQUEST_CONTEXT = {"aws:securetransport": "true"}
_STRING_TESTS = {
    "StringEquals": lambda actual, want: actual == want,
    "StringNotEquals": lambda actual, want: actual != want,
    "StringEqualsIgnoreCase": lambda actual, want: actual.lower() == want.lower(),
    "StringLike": fnmatch.fnmatchcase,
    "StringNotLike": lambda actual, want: not fnmatch.fnmatchcase(actual, want),
    "ArnEquals": lambda actual, want: actual == want,
    "ArnLike": fnmatch.fnmatchcase,
    "Bool": lambda actual, want: actual.lower() == want.lower(),
}


def _condition_holds(operator, key, wanted):
    operator = operator.split(":")[-1]  # ForAnyValue:/ForAllValues: on one value
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    wanted = [str(w) for w in (wanted if isinstance(wanted, list) else [wanted])]
    actual = S3_REQUEST_CONTEXT.get(key.lower())
    if operator == "Null":
        return (actual is None) == (wanted[0].lower() == "true")
    if actual is None:
        return if_exists
    test = _STRING_TESTS.get(operator)
    return test is not None and any(test(actual, w) for w in wanted)


def bucket_get_permission(self, action, resource):
    from moto.iam.access_control import IAMPolicy, PermissionResult

    if self.policy is None:
        return PermissionResult.NEUTRAL
    document = json.loads(self.policy)
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    applicable = []
    for statement in statements:
        condition = statement.get("Condition") or {}
        if all(
            _condition_holds(operator, key, wanted)
            for operator, pairs in condition.items()
            for key, wanted in pairs.items()
        ):
            applicable.append({k: v for k, v in statement.items() if k != "Condition"})
    document["Statement"] = applicable
    return IAMPolicy(json.dumps(document)).is_action_permitted(action, resource)


FakeBucket.get_permission = bucket_get_permission


# --- CloudFront ----------------------------------------------------------------------------------
# moto 5.2.5 drops an origin's OriginAccessControlId and S3OriginConfig, reports every viewer
# certificate as CloudFrontDefaultCertificate (with empty IAMCertificateId/Certificate), and adds
# ForwardedValues and MinTTL/DefaultTTL/MaxTTL to cache behaviours that use a cache policy (AWS
# returns neither, and refuses both together with InvalidArgument) and CachePolicyId "" to those
# that do not.
# Its ETags never change and IfMatch is never compared; UpdateDistribution answers Deployed;
# DeleteDistribution deletes an enabled distribution (AWS: DistributionNotDisabled).
# Origin access controls: duplicate names are accepted, IfMatch is ignored,
# GetOriginAccessControlConfig and deleting an unknown control answer 500, a control still used
# by a distribution can be deleted, and ListOriginAccessControls ignores MaxItems and Marker.
from moto.cloudfront import models as cf_models, responses as cf_responses  # noqa: E402
from moto.cloudfront.exceptions import (  # noqa: E402
    CloudFrontException,
    InvalidIfMatchVersion,
    NoSuchDistribution,
    NoSuchOriginAccessControl,
)

CloudFrontBackend = cf_models.CloudFrontBackend
CloudFrontResponse = cf_responses.CloudFrontResponse


class PreconditionFailed(CloudFrontException):
    code = "PreconditionFailed"
    message = "The request failed because it didn't meet the preconditions in one or more " \
              "request-header fields."


class DistributionNotDisabled(CloudFrontException):
    code = "DistributionNotDisabled"
    message = "The distribution you are trying to delete has not been disabled."


class OriginAccessControlInUse(CloudFrontException):
    code = "OriginAccessControlInUse"
    message = "The origin access control is in use."


class OriginAccessControlAlreadyExists(CloudFrontException):
    code = "OriginAccessControlAlreadyExists"
    message = "An origin access control with the same name already exists."


class CloudFrontInvalidArgument(CloudFrontException):
    code = "InvalidArgument"


def _check_if_match(if_match, etag):
    if not if_match:
        raise InvalidIfMatchVersion()
    if if_match != etag:
        raise PreconditionFailed()


_LEGACY_CACHE_SETTINGS = ("ForwardedValues", "MinTTL", "DefaultTTL", "MaxTTL")


def _check_cache_behaviour(given):
    if given.get("CachePolicyId"):
        for name in _LEGACY_CACHE_SETTINGS:
            if given.get(name) is not None:
                raise CloudFrontInvalidArgument(
                    f"The parameter {name} cannot be used when a cache policy is associated "
                    "to the cache behavior."
                )


def _shape_cache_behaviour(behaviour, given):
    if given.get("CachePolicyId"):
        behaviour.forwarded_values = None
        behaviour.min_ttl = behaviour.default_ttl = behaviour.max_ttl = None
    else:
        behaviour.cache_policy_id = None  # moto: ""


_original_distribution_config_init = cf_models.DistributionConfig.__init__


def distribution_config_init(self, config):
    given = copy.deepcopy(config)
    given_behaviours = (given.get("CacheBehaviors") or {}).get("Items") or []
    for behaviour in [given.get("DefaultCacheBehavior") or {}, *given_behaviours]:
        _check_cache_behaviour(behaviour)
    _original_distribution_config_init(self, config)
    for origin, given_origin in zip(self.Origins["Items"], given["Origins"]["Items"]):
        if "S3OriginConfig" in given_origin:
            origin.s3_origin_config = given_origin["S3OriginConfig"]
        if given_origin.get("OriginAccessControlId") is not None:
            origin.origin_access_control_id = given_origin["OriginAccessControlId"]
    _shape_cache_behaviour(self.DefaultCacheBehavior, given.get("DefaultCacheBehavior") or {})
    for behaviour, given_behaviour in zip(
        (self.CacheBehaviors or {}).get("Items") or [], given_behaviours
    ):
        _shape_cache_behaviour(behaviour, given_behaviour)
    # The viewer certificate as AWS reports it: the certificate given, and where it is from.
    certificate = self.ViewerCertificate
    given_certificate = given.get("ViewerCertificate") or {}
    certificate.iam_certificate_id = given_certificate.get("IAMCertificateId") or None
    certificate.acm_certificate_arn = given_certificate.get("ACMCertificateArn") or None
    if certificate.acm_certificate_arn or certificate.iam_certificate_id:
        certificate.cloud_front_default_certificate = False
        certificate.certificate_source = "acm" if certificate.acm_certificate_arn else "iam"
        certificate.certificate = (
            certificate.acm_certificate_arn or certificate.iam_certificate_id
        )
    else:
        certificate.cloud_front_default_certificate = True
        certificate.certificate_source = "cloudfront"
        certificate.certificate = None
        certificate.ssl_support_method = given_certificate.get("SSLSupportMethod") or "vip"


cf_models.DistributionConfig.__init__ = distribution_config_init

_original_distribution_init = cf_models.Distribution.__init__


def distribution_init(self, account_id, region_name, config):
    _original_distribution_init(self, account_id, region_name, config)
    self.last_modified_time = utcnow()


cf_models.Distribution.__init__ = distribution_init

_original_update_distribution = CloudFrontBackend.update_distribution


def update_distribution(self, dist_config, _id, if_match):
    dist = self.distributions.get(_id)
    if dist is None:
        raise NoSuchDistribution()
    _check_if_match(if_match, dist.etag)
    dist, location, _ = _original_update_distribution(self, dist_config, _id, if_match)
    # A change deploys like a create: InProgress now, Deployed on a later read; new ETag.
    dist.etag = cf_models.random_id()
    dist.status = "InProgress"
    dist._tick = 0
    dist.last_modified_time = utcnow()
    return dist, location, dist.etag


def delete_distribution(self, distribution_id, if_match):
    dist = self.distributions.get(distribution_id)
    if dist is None:
        raise NoSuchDistribution()
    _check_if_match(if_match, dist.etag)
    if dist.distribution_config.Enabled or dist.status != "Deployed":
        raise DistributionNotDisabled()
    del self.distributions[distribution_id]
    self.tagger.delete_all_tags_for_resource(dist.arn)


def _oac_name_taken(self, name, other_than=None):
    return any(
        c.name == name and c.id != other_than for c in self.origin_access_controls.values()
    )


_original_create_origin_access_control = CloudFrontBackend.create_origin_access_control


def create_origin_access_control(self, config_dict):
    if _oac_name_taken(self, config_dict.get("Name")):
        raise OriginAccessControlAlreadyExists()
    return _original_create_origin_access_control(self, config_dict)


def update_origin_access_control(self, control_id, config, if_match=None):
    control = self.get_origin_access_control(control_id)
    _check_if_match(if_match, control.etag)
    if _oac_name_taken(self, config.get("Name"), other_than=control_id):
        raise OriginAccessControlAlreadyExists()
    control.update(config)
    control.etag = cf_models.random_id()
    return control


def delete_origin_access_control(self, control_id, if_match=None):
    control = self.get_origin_access_control(control_id)
    _check_if_match(if_match, control.etag)
    for dist in self.distributions.values():
        for origin in dist.distribution_config.Origins["Items"]:
            if getattr(origin, "origin_access_control_id", None) == control_id:
                raise OriginAccessControlInUse()
    del self.origin_access_controls[control_id]


CloudFrontBackend.update_distribution = update_distribution
CloudFrontBackend.delete_distribution = delete_distribution
CloudFrontBackend.create_origin_access_control = create_origin_access_control
CloudFrontBackend.update_origin_access_control = update_origin_access_control
CloudFrontBackend.delete_origin_access_control = delete_origin_access_control


def _oac_result(control):
    return {
        "OriginAccessControl": {"Id": control.id, "OriginAccessControlConfig": control},
        "ETag": control.etag,
    }


def r_update_origin_access_control(self):
    control = self.backend.update_origin_access_control(
        self._get_param("Id"),
        self._get_param("OriginAccessControlConfig", {}),
        if_match=self._get_param("IfMatch"),
    )
    return ActionResult(_oac_result(control))


def r_delete_origin_access_control(self):
    self.backend.delete_origin_access_control(
        self._get_param("Id"), if_match=self._get_param("IfMatch")
    )
    return EmptyResult()


def r_get_origin_access_control_config(self):
    control = self.backend.get_origin_access_control(self._get_param("Id"))
    return ActionResult({"OriginAccessControlConfig": control, "ETag": control.etag})


def r_list_origin_access_controls(self):
    marker = self._get_param("Marker")
    max_items = self._get_int_param("MaxItems")
    controls, next_marker = self.backend.list_origin_access_controls(
        marker=marker, max_items=max_items
    )
    return ActionResult(
        {
            "OriginAccessControlList": {
                "Marker": marker or "",
                "NextMarker": next_marker,
                "MaxItems": max_items or 100,
                "IsTruncated": next_marker is not None,
                "Quantity": len(controls),
                "Items": controls,
            }
        }
    )


CloudFrontResponse.update_origin_access_control = r_update_origin_access_control
CloudFrontResponse.delete_origin_access_control = r_delete_origin_access_control
CloudFrontResponse.get_origin_access_control_config = r_get_origin_access_control_config
CloudFrontResponse.list_origin_access_controls = r_list_origin_access_controls


# --- SQS -----------------------------------------------------------------------------------------
# moto 5.2.5 stores RedriveAllowPolicy but never returns it (GetQueueAttributes by name answers
# InvalidAttributeName), and every SetQueueAttributes without Policy deletes the queue's policy.
# An empty Policy or RedriveAllowPolicy removes it, as on AWS.
from moto.sqs import models as sqs_models  # noqa: E402

Queue = sqs_models.Queue
Queue.BASE_ATTRIBUTES = [*Queue.BASE_ATTRIBUTES, "RedriveAllowPolicy"]

_original_queue_init = Queue.__init__
_original_queue_set_attributes = Queue._set_attributes


def queue_init(self, name, region, account_id, **kwargs):
    self.redrive_allow_policy = None
    _original_queue_init(self, name, region, account_id, **kwargs)


def queue_set_attributes(self, attributes, now=None):
    policy = getattr(self, "policy", None)
    _original_queue_set_attributes(self, attributes, now)
    if "Policy" not in attributes:
        self.policy = policy
    self.policy = self.policy or None
    self.redrive_allow_policy = self.redrive_allow_policy or None


Queue.__init__ = queue_init
Queue._set_attributes = queue_set_attributes


# --- EventBridge Scheduler -----------------------------------------------------------------------
# moto 5.2.5's CreateScheduleGroup of an existing name replaces the group, losing its
# schedules (AWS: ConflictException); DeleteScheduleGroup of an unknown group and CreateSchedule
# in one answer 500 (AWS: ResourceNotFoundException); the default group can be deleted (AWS:
# ValidationException); a deleted group's tags stay behind; ConflictException comes with 400
# (AWS: 409); UpdateSchedule without State leaves the schedule with none (AWS: ENABLED, the
# default, as UpdateSchedule replaces the whole schedule); the tags of a group that does not
# exist read as an empty list and can be set (AWS: ResourceNotFoundException).
from moto.core.exceptions import JsonRESTError  # noqa: E402
from moto.scheduler import models as scheduler_models  # noqa: E402
from moto.scheduler.exceptions import (  # noqa: E402
    ScheduleExists,
    ScheduleGroupNotFound,
    ValidationException as SchedulerValidationException,
)

SchedulerBackend = scheduler_models.EventBridgeSchedulerBackend
ScheduleExists.code = 409  # AWS's ConflictException status; moto answers 400


class ScheduleGroupExists(JsonRESTError):
    code = 409

    def __init__(self, name):
        super().__init__("ConflictException", f"Schedule group {name} already exists.")


_original_create_schedule_group = SchedulerBackend.create_schedule_group
_original_create_schedule = SchedulerBackend.create_schedule


def create_schedule_group(self, name, tags):
    if name in self.schedule_groups:
        raise ScheduleGroupExists(name)
    return _original_create_schedule_group(self, name, tags)


def delete_schedule_group(self, name):
    name = name or "default"
    if name == "default":
        raise SchedulerValidationException("The default schedule group cannot be deleted.")
    group = self.schedule_groups.pop(name, None)
    if group is None:
        raise ScheduleGroupNotFound(name)
    self.tagger.delete_all_tags_for_resource(group.arn)


def create_schedule(self, *args, **kwargs):
    self.get_schedule_group(kwargs.get("group_name"))  # ResourceNotFoundException
    return _original_create_schedule(self, *args, **kwargs)


_original_update = scheduler_models.Schedule.update


def update_schedule_state(self, **kwargs):
    kwargs["state"] = kwargs.get("state") or "ENABLED"
    return _original_update(self, **kwargs)


def _existing_group(backend, resource_arn):
    """Raises ResourceNotFoundException for a schedule group ARN naming no group."""
    _, found, name = resource_arn.partition(":schedule-group/")
    if found and name not in backend.schedule_groups:
        raise ScheduleGroupNotFound(name)


def _checking_group(original):
    def wrapper(self, resource_arn, *args, **kwargs):
        _existing_group(self, resource_arn)
        return original(self, resource_arn, *args, **kwargs)

    return wrapper


SchedulerBackend.create_schedule_group = create_schedule_group
SchedulerBackend.delete_schedule_group = delete_schedule_group
SchedulerBackend.create_schedule = create_schedule
scheduler_models.Schedule.update = update_schedule_state
for _name in ("list_tags_for_resource", "tag_resource", "untag_resource"):
    setattr(SchedulerBackend, _name, _checking_group(getattr(SchedulerBackend, _name)))


# --- Application Auto Scaling --------------------------------------------------------------------
# moto 5.2.5's DescribeScalingPolicies ignores PolicyNames and matches ResourceId and
# ScalableDimension as substrings of the request's values, so asking for one policy returns
# every policy of the resource (and of resources whose ID is a prefix of it). PutScalingPolicy of
# an existing policy gives it a new ARN and leaves its old alarms behind; AWS keeps the ARN.
from moto.applicationautoscaling import (  # noqa: E402
    models as aas_models,
    responses as aas_responses,
)

AasBackend = aas_models.ApplicationAutoscalingBackend
AasResponse = aas_responses.ApplicationAutoScalingResponse

_original_put_scaling_policy = AasBackend.put_scaling_policy


def put_scaling_policy(self, policy_name, service_namespace, resource_id, scalable_dimension,
                       policy_body, policy_type):
    key = aas_models.FakeApplicationAutoscalingPolicy.formulate_key(
        service_namespace, resource_id, scalable_dimension, policy_name
    )
    old = self.policies.get(key)
    policy = _original_put_scaling_policy(
        self, policy_name, service_namespace, resource_id, scalable_dimension, policy_body,
        policy_type,
    )
    if old is not None:
        old.delete_alarms(self.account_id, self.region_name)
        policy._guid = old._guid
        policy.policy_arn = old.policy_arn
        policy.creation_time = old.creation_time
    return policy


def describe_scaling_policies(self, service_namespace, resource_id, scalable_dimension,
                              max_results, next_token, policy_names=None):
    policies = [
        p
        for p in self.policies.values()
        if p.service_namespace == service_namespace
        and (not resource_id or p.resource_id == resource_id)
        and (not scalable_dimension or p.scalable_dimension == scalable_dimension)
        and (not policy_names or p.policy_name in policy_names)
    ]
    start = int(next_token) if next_token else 0
    end = start + (max_results or 100)
    return (str(end) if end < len(policies) else None), policies[start:end]


AasBackend.put_scaling_policy = put_scaling_policy
AasBackend.describe_scaling_policies = describe_scaling_policies


def r_describe_scaling_policies(self):
    next_token, page = self.applicationautoscaling_backend.describe_scaling_policies(
        service_namespace=self._get_param("ServiceNamespace"),
        resource_id=self._get_param("ResourceId"),
        scalable_dimension=self._get_param("ScalableDimension"),
        max_results=self._get_int_param("MaxResults"),
        next_token=self._get_param("NextToken"),
        policy_names=self._get_param("PolicyNames"),
    )
    return json.dumps(
        {
            "ScalingPolicies": [aas_responses._build_policy(p) for p in page],
            "NextToken": next_token,
        }
    )


AasResponse.describe_scaling_policies = r_describe_scaling_policies


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
