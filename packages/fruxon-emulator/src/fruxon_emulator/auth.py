"""API-key authentication: each key belongs to exactly one tenant.

Both ways of sending a key are accepted — `X-API-KEY` (this SDK's default,
and the older official clients') and `Authorization: Bearer` (the official
2.0.2 SDK) — so either client generation works. A key
used on another tenant's path is 403 if that tenant exists and 404 if not.
A scoped key also carries its scopes, which the dispatcher checks against the
route (`scopes.require_scope`) once the route is known.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from .config import EmulatorConfig, TenantConfig
from .problems import ProblemError

__all__ = ["Caller", "authorize", "presented_api_key"]

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="fruxon-emulator"'}


class Caller(NamedTuple):
    """Who is calling: the key's tenant and its scopes (None: a full-access key)."""

    tenant: TenantConfig
    scopes: tuple[str, ...] | None


def presented_api_key(headers: Mapping[str, str]) -> str | None:
    """The key from `X-API-KEY`, else from `Authorization: Bearer <key>`."""
    key = headers.get("X-API-KEY", "").strip()
    if key:
        return key
    scheme, _, token = headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def authorize(config: EmulatorConfig, headers: Mapping[str, str], tenant_id: str) -> Caller:
    key = presented_api_key(headers)
    if key is None:
        raise ProblemError(
            401, "Missing API key: send X-API-KEY or Authorization: Bearer.", headers=_CHALLENGE
        )
    owner = config.tenant_for_key(key)
    if owner is None:
        raise ProblemError(401, "Unknown API key.", headers=_CHALLENGE)
    if owner.id == tenant_id:
        return Caller(owner, owner.scopes_of(key))
    if config.tenant(tenant_id) is None:
        raise ProblemError(404, f"Tenant {tenant_id!r} not found.")
    raise ProblemError(403, f"This API key belongs to tenant {owner.id!r}, not {tenant_id!r}.")
