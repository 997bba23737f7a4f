"""The one list of APIs this broker serves. It drives dispatch and ApiVersions.

To add an API: write ``handlers/<api>.py`` exposing ``SPEC = ApiSpec(...)`` and list it here.
"""

from __future__ import annotations

from odradek.broker.api import ApiSpec
from odradek.broker.handlers import (
    add_offsets_to_txn,
    add_partitions_to_txn,
    alter_configs,
    alter_partition_reassignments,
    api_versions,
    consumer_group_describe,
    consumer_group_heartbeat,
    controlled_shutdown,
    create_acls,
    create_partitions,
    create_topics,
    delete_acls,
    delete_groups,
    delete_records,
    delete_topics,
    describe_acls,
    describe_cluster,
    describe_configs,
    describe_groups,
    describe_log_dirs,
    describe_producers,
    describe_transactions,
    elect_leaders,
    end_txn,
    fetch,
    find_coordinator,
    heartbeat,
    incremental_alter_configs,
    init_producer_id,
    join_group,
    leader_and_isr,
    leave_group,
    list_groups,
    list_offsets,
    list_partition_reassignments,
    list_transactions,
    metadata,
    offset_commit,
    offset_delete,
    offset_fetch,
    offset_for_leader_epoch,
    produce,
    stop_replica,
    sync_group,
    txn_offset_commit,
    update_metadata,
    write_txn_markers,
)

CORE_SPECS: list[ApiSpec] = [
    produce.SPEC,
    fetch.SPEC,
    list_offsets.SPEC,
    metadata.SPEC,
    api_versions.SPEC,
    create_topics.SPEC,
    delete_topics.SPEC,
    delete_records.SPEC,
    describe_configs.SPEC,
    alter_configs.SPEC,
    describe_log_dirs.SPEC,
    create_partitions.SPEC,
    incremental_alter_configs.SPEC,
    describe_cluster.SPEC,
    init_producer_id.SPEC,
    describe_acls.SPEC,
    create_acls.SPEC,
    delete_acls.SPEC,
]


GROUP_SPECS: list[ApiSpec] = [
    find_coordinator.SPEC,
    join_group.SPEC,
    sync_group.SPEC,
    heartbeat.SPEC,
    leave_group.SPEC,
    offset_commit.SPEC,
    offset_fetch.SPEC,
    describe_groups.SPEC,
    list_groups.SPEC,
    delete_groups.SPEC,
    offset_delete.SPEC,
    consumer_group_heartbeat.SPEC,
    consumer_group_describe.SPEC,
]


TXN_SPECS: list[ApiSpec] = [
    add_partitions_to_txn.SPEC,
    add_offsets_to_txn.SPEC,
    end_txn.SPEC,
    write_txn_markers.SPEC,
    txn_offset_commit.SPEC,
    describe_producers.SPEC,
    describe_transactions.SPEC,
    list_transactions.SPEC,
]


# Inter-broker APIs of the ZooKeeper-mode cluster (controller requests, follower truncation).
CLUSTER_SPECS: list[ApiSpec] = [
    leader_and_isr.SPEC,
    stop_replica.SPEC,
    update_metadata.SPEC,
    offset_for_leader_epoch.SPEC,
    alter_partition_reassignments.SPEC,
    list_partition_reassignments.SPEC,
    elect_leaders.SPEC,
    controlled_shutdown.SPEC,
]


def all_specs() -> list[ApiSpec]:
    """Every API served; coordinator APIs join this list as their modules are added."""
    return list(CORE_SPECS) + list(GROUP_SPECS) + list(TXN_SPECS) + list(CLUSTER_SPECS)
