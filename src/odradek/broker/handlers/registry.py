"""The one list of APIs this broker serves. It drives dispatch and ApiVersions.

To add an API: write ``handlers/<api>.py`` exposing ``SPEC = ApiSpec(...)`` and list it here.
"""

from __future__ import annotations

from odradek.broker.api import ApiSpec
from odradek.broker.handlers import (
    alter_configs,
    api_versions,
    create_partitions,
    create_topics,
    delete_records,
    delete_topics,
    describe_cluster,
    describe_configs,
    describe_log_dirs,
    fetch,
    incremental_alter_configs,
    init_producer_id,
    list_offsets,
    metadata,
    produce,
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
]


def all_specs() -> list[ApiSpec]:
    """Every API served; coordinator APIs join this list as their modules are added."""
    return list(CORE_SPECS)
