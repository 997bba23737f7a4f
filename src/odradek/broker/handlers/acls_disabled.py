"""Shared answer of the ACL APIs while no authorizer is configured (Kafka's SECURITY_DISABLED)."""

from __future__ import annotations

from odradek.common.errors import ErrorCode

CODE = int(ErrorCode.SECURITY_DISABLED)
MESSAGE = "No Authorizer is configured on the broker"
