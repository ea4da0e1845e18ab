"""moto_server with the ElastiCache operations our acceptance tests need, and an RDS fix.

Why: moto 5.2.5 (the version pinned by .ci/install-tools.sh) answers HTTP 500 "not implemented"
for DeleteCacheSubnetGroup, ModifyCacheSubnetGroup, Create/DeleteCacheParameterGroup and
DescribeCacheParameterGroups, and DeleteReplicationGroup leaves the group `deleting` forever.
Its RDS ModifyDBSubnetGroup drops the group it modifies (it pops the group and never puts it
back), so growing an environment's AZs would lose the DB subnet group.
The provider must not special-case the emulator, so the gap is filled here, in the test harness.

Usage is the same as moto_server:  python moto_server_ext.py -H 127.0.0.1 -p PORT

Written against moto 5.2.5's moto/elasticache (models.py, responses.py): responses return
ActionResult objects that moto serialises to AWS-shaped XML from the botocore service model.
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


# AWS answers DeleteReplicationGroup with status `deleting`, then the group disappears; moto
# keeps it `deleting` forever. Keep moto's response, then forget the group (and its tags).
_original_delete_replication_group = Backend.delete_replication_group


def delete_replication_group(self, replication_group_id, retain_primary_cluster):
    group = _original_delete_replication_group(self, replication_group_id, retain_primary_cluster)
    self.replication_groups.pop(replication_group_id, None)
    self.tagging_service.delete_all_tags_for_resource(group.arn)
    return group


Backend.delete_cache_subnet_group = delete_cache_subnet_group
Backend.modify_cache_subnet_group = modify_cache_subnet_group
Backend.create_cache_parameter_group = create_cache_parameter_group
Backend.describe_cache_parameter_groups = describe_cache_parameter_groups
Backend.delete_cache_parameter_group = delete_cache_parameter_group
Backend.delete_replication_group = delete_replication_group


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



# RDS: ModifyDBSubnetGroup keeps the group under its name.
from moto.rds import models as rds_models  # noqa: E402

_original_modify_db_subnet_group = rds_models.RDSBackend.modify_db_subnet_group


def modify_db_subnet_group(self, subnet_name, description, subnets):
    group = _original_modify_db_subnet_group(self, subnet_name, description, subnets)
    self.subnet_groups[subnet_name] = group
    return group


rds_models.RDSBackend.modify_db_subnet_group = modify_db_subnet_group


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
