"""The emulator's world: tenants with API keys, agents, integrations and files.

A tenant's `api_keys` have full access; its `scoped_api_keys` carry a list of
scopes (see `scopes`) and get 403 `insufficient_scope` on routes outside them.

Loaded from TOML (format in the package README). The shipped
`default_agents.toml` is read through importlib.resources so it works from a
wheel, a zip or an editable checkout alike.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from .agents import AgentDefinition, parse_agent, parse_parameter
from .config_fields import (
    ConfigError,
    read_bool,
    read_int,
    read_optional_int,
    read_optional_str,
    read_str,
    read_str_list,
    read_table,
    read_table_list,
)
from .files import FileSeed, guess_content_type
from .parameters import parameter_metadata
from .scopes import SCOPES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_UPLOAD_BYTES",
    "DEFAULT_TEMPORARY_FILE_TTL_MS",
    "MAX_PACING_MS",
    "ConfigError",
    "EmulatorConfig",
    "IntegrationSeed",
    "ScopedApiKey",
    "TenantConfig",
    "ToolSeed",
    "config_from_mapping",
    "default_config",
    "default_config_text",
    "load_config",
    "parse_config",
]

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # `/storage` uploads: 413 above this
DEFAULT_TEMPORARY_FILE_TTL_MS = 24 * 60 * 60 * 1000  # `?temporary=true` files live 24 h
MAX_PACING_MS = 10_000
SEED_TIMESTAMP_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z: stable createdAt for seeds


@dataclass(frozen=True)
class ScopedApiKey:
    """An API key limited to `scopes` (names from `scopes.SCOPES`)."""

    key: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class TenantConfig:
    """A tenant: `api_keys` may do everything, `scoped_api_keys` only their scopes."""

    id: str
    display_name: str
    api_keys: tuple[str, ...]
    scoped_api_keys: tuple[ScopedApiKey, ...] = ()

    def scopes_of(self, api_key: str) -> tuple[str, ...] | None:
        """The scopes of one of this tenant's keys; None for a full-access key."""
        return next((s.scopes for s in self.scoped_api_keys if s.key == api_key), None)


@dataclass(frozen=True)
class ToolSeed:
    """A tool's wire resource plus the canned answer `tools:run` gives for it."""

    resource: Mapping[str, Any]
    sample_response: str | None = None


@dataclass(frozen=True)
class IntegrationSeed:
    tenant: str
    resource: Mapping[str, Any]
    tools: tuple[ToolSeed, ...] = ()


@dataclass(frozen=True)
class EmulatorConfig:
    tenants: tuple[TenantConfig, ...]
    agents: tuple[AgentDefinition, ...] = ()
    integrations: tuple[IntegrationSeed, ...] = ()
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    files: tuple[FileSeed, ...] = ()
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    temporary_file_ttl_ms: int = DEFAULT_TEMPORARY_FILE_TTL_MS
    default_pacing_ms: int | None = None
    _keys: Mapping[str, TenantConfig] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.tenants:
            raise ConfigError("the configuration needs at least one [tenants.<id>] table")
        keys = {key: tenant for tenant in self.tenants for key in tenant.api_keys}
        for tenant in self.tenants:
            for scoped in tenant.scoped_api_keys:
                if scoped.key in keys:
                    raise ConfigError(f"API key {scoped.key!r} is declared more than once")
                keys[scoped.key] = tenant
        object.__setattr__(self, "_keys", keys)

    def tenant(self, tenant_id: str) -> TenantConfig | None:
        return next((t for t in self.tenants if t.id == tenant_id), None)

    def tenant_for_key(self, api_key: str) -> TenantConfig | None:
        return self._keys.get(api_key)

    def agent(self, tenant_id: str, agent_id: str) -> AgentDefinition | None:
        return next((a for a in self.agents if a.tenant == tenant_id and a.id == agent_id), None)

    def agents_of(self, tenant_id: str) -> list[AgentDefinition]:
        return [agent for agent in self.agents if agent.tenant == tenant_id]


def _parse_scoped_keys(table: Mapping[str, Any], where: str) -> tuple[ScopedApiKey, ...]:
    """`scoped_api_keys = [{ key = "…", scopes = ["agents:read"] }]`."""
    scoped = []
    for index, item in enumerate(read_table_list(table, "scoped_api_keys", where)):
        spot = f"{where}.scoped_api_keys[{index}]"
        key = read_str(item, "key", spot)
        if not key:
            raise ConfigError(f"{spot}.key must be a non-empty string")
        scopes = read_str_list(item, "scopes", spot)
        unknown = [scope for scope in scopes if scope not in SCOPES]
        if unknown:
            raise ConfigError(
                f"{spot}.scopes: unknown scope {unknown[0]!r} (valid: {', '.join(SCOPES)})"
            )
        scoped.append(ScopedApiKey(key, scopes))
    return tuple(scoped)


def _parse_tenants(data: Mapping[str, Any]) -> tuple[TenantConfig, ...]:
    tenants = []
    for tenant_id, table in read_table(data, "tenants", "config").items():
        where = f"tenants.{tenant_id}"
        if not isinstance(table, Mapping):
            raise ConfigError(f"{where} must be a table")
        keys = read_str_list(table, "api_keys", where)
        if not keys:
            raise ConfigError(f"{where}.api_keys must list at least one key")
        tenants.append(
            TenantConfig(
                tenant_id,
                read_str(table, "display_name", where, tenant_id),
                keys,
                _parse_scoped_keys(table, where),
            )
        )
    return tuple(tenants)


def _parse_tool(table: Mapping[str, Any], integration_id: str, where: str) -> ToolSeed:
    tool_id = read_str(table, "id", where)
    if not tool_id:
        raise ConfigError(f"{where}.id must be a non-empty string")
    parameters = [
        parameter_metadata(parse_parameter(item, f"{where}.parameters[{i}]"), i)
        for i, item in enumerate(read_table_list(table, "parameters", where))
    ]
    resource = {
        "id": tool_id,
        "integrationId": integration_id,
        "displayName": read_str(table, "display_name", where, tool_id),
        "description": read_str(table, "description", where),
        "toolType": read_str(table, "tool_type", where, "API"),
        "actionType": read_str(table, "action_type", where, "READ_ONLY"),
        "resultType": read_str(table, "result_type", where, "STRING"),
        "parametersMetadata": parameters,
        "descriptor": dict(read_table(table, "descriptor", where)),
        "isAsync": read_bool(table, "is_async", where, False),
        "createdAt": SEED_TIMESTAMP_MS,
        "modifiedAt": SEED_TIMESTAMP_MS,
    }
    return ToolSeed(resource, read_optional_str(table, "sample_response", where))


def _parse_integration(
    integration_id: str, table: Mapping[str, Any], tenant: str
) -> IntegrationSeed:
    where = f"integrations.{integration_id}"
    resource = {
        "id": integration_id,
        "displayName": read_str(table, "display_name", where, integration_id),
        "description": read_str(table, "description", where),
        "type": read_str(table, "type", where, "CUSTOM"),
        "tags": list(read_str_list(table, "tags", where)),
        "configMetadata": dict(read_table(table, "config_metadata", where))
        or {"parametersMetadata": [], "authMetadata": []},
        "createdAt": SEED_TIMESTAMP_MS,
        "modifiedAt": SEED_TIMESTAMP_MS,
    }
    tools = tuple(
        _parse_tool(item, integration_id, f"{where}.tools[{index}]")
        for index, item in enumerate(read_table_list(table, "tools", where))
    )
    return IntegrationSeed(read_str(table, "tenant", where, tenant), resource, tools)


def _tables(data: Mapping[str, Any], key: str) -> list[tuple[str, Mapping[str, Any]]]:
    items = []
    for name, table in read_table(data, key, "config").items():
        if not isinstance(table, Mapping):
            raise ConfigError(f"{key}.{name} must be a table")
        items.append((name, table))
    return items


def _parse_file(file_id: str, table: Mapping[str, Any], tenant: str) -> FileSeed:
    """`[files.<id>]`: `text` (UTF-8) is the content; the name and type are optional."""
    where = f"files.{file_id}"
    name = read_str(table, "display_name", where, file_id)
    return FileSeed(
        id=file_id,
        tenant=read_str(table, "tenant", where, tenant),
        display_name=name,
        content_type=guess_content_type(read_optional_str(table, "content_type", where), name),
        data=read_str(table, "text", where).encode(),
    )


def _positive(settings: Mapping[str, Any], key: str, default: int) -> int:
    value = read_int(settings, key, "emulator", default)
    if value <= 0:
        raise ConfigError(f"emulator.{key} must be a positive integer")
    return value


def _pacing(settings: Mapping[str, Any]) -> int | None:
    value = read_optional_int(settings, "default_pacing_ms", "emulator")
    if value is not None and not 0 <= value <= MAX_PACING_MS:
        raise ConfigError(f"emulator.default_pacing_ms must be between 0 and {MAX_PACING_MS}")
    return value


def config_from_mapping(data: Mapping[str, Any]) -> EmulatorConfig:
    """Build a config from already-parsed TOML (handy for tests: pass a dict)."""
    tenants = _parse_tenants(data)
    if not tenants:
        raise ConfigError("the configuration needs at least one [tenants.<id>] table")
    primary = tenants[0].id
    agents = tuple(parse_agent(name, table, primary) for name, table in _tables(data, "agents"))
    integrations = tuple(
        _parse_integration(name, table, primary) for name, table in _tables(data, "integrations")
    )
    files = tuple(_parse_file(name, table, primary) for name, table in _tables(data, "files"))
    known = {tenant.id for tenant in tenants}
    used_by = [agent.tenant for agent in agents] + [seed.tenant for seed in integrations]
    for used in used_by + [seed.tenant for seed in files]:
        if used not in known:
            raise ConfigError(f"tenant {used!r} is used but not declared under [tenants]")
    settings = read_table(data, "emulator", "config")
    return EmulatorConfig(
        tenants,
        agents,
        integrations,
        read_int(settings, "max_body_bytes", "emulator", DEFAULT_MAX_BODY_BYTES),
        files=files,
        max_upload_bytes=_positive(settings, "max_upload_bytes", DEFAULT_MAX_UPLOAD_BYTES),
        temporary_file_ttl_ms=_positive(
            settings, "temporary_file_ttl_ms", DEFAULT_TEMPORARY_FILE_TTL_MS
        ),
        default_pacing_ms=_pacing(settings),
    )


def parse_config(text: str) -> EmulatorConfig:
    """Parse TOML text into a config; raises ConfigError on any problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}") from exc
    return config_from_mapping(data)


def load_config(path: str | os.PathLike[str]) -> EmulatorConfig:
    with open(path, encoding="utf-8") as handle:
        return parse_config(handle.read())


def default_config_text() -> str:
    return resources.files("fruxon_emulator").joinpath("default_agents.toml").read_text("utf-8")


def default_config() -> EmulatorConfig:
    return parse_config(default_config_text())
