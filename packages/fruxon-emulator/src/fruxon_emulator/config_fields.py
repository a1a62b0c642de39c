"""Typed readers for TOML tables.

A config file is user input: every read names the offending key path in the
error, so a typo in `agents.x.script.pacing_ms` is reported as exactly that
instead of surfacing later as a confusing runtime failure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "ConfigError",
    "read_bool",
    "read_int",
    "read_number",
    "read_optional_int",
    "read_optional_str",
    "read_str",
    "read_str_list",
    "read_table",
    "read_table_list",
]


class ConfigError(ValueError):
    """The emulator configuration is invalid; the message names the key path."""


def read_table(table: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = table.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}.{key} must be a table")
    return value


def read_table_list(table: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise ConfigError(f"{where}.{key} must be an array of tables")
    return list(value)


def read_str(table: Mapping[str, Any], key: str, where: str, default: str = "") -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"{where}.{key} must be a string")
    return value


def read_optional_str(table: Mapping[str, Any], key: str, where: str) -> str | None:
    if key not in table:
        return None
    return read_str(table, key, where)


def read_bool(table: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}.{key} must be true or false")
    return value


def read_int(table: Mapping[str, Any], key: str, where: str, default: int) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where}.{key} must be an integer")
    return value


def read_optional_int(table: Mapping[str, Any], key: str, where: str) -> int | None:
    if key not in table:
        return None
    return read_int(table, key, where, 0)


def read_number(table: Mapping[str, Any], key: str, where: str, default: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{where}.{key} must be a number")
    return float(value)


def read_str_list(table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where}.{key} must be an array of strings")
    return tuple(value)
