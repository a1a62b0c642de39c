"""Built-in plugins and the per-client plugin manager."""

from __future__ import annotations

import logging as _logging
import os
from collections.abc import Iterable
from typing import Any

import pluggy

from fruxon_core import hooks

from .auth import ApiKeyAuth
from .logging import DEBUG_BODIES, LoggingPlugin, configure_logging_from_env
from .retry import RetryPolicy

__all__ = [
    "DEBUG_BODIES",
    "ENTRY_POINT_GROUP",
    "ApiKeyAuth",
    "LoggingPlugin",
    "RetryPolicy",
    "create_plugin_manager",
]

ENTRY_POINT_GROUP = "fruxon"
_log = _logging.getLogger("fruxon")  # plain ``logging`` is shadowed by .logging


def create_plugin_manager(
    *,
    builtins: dict[str, object],
    plugins: Iterable[object] = (),
    disable_plugins: Iterable[str] = (),
    load_entrypoints: bool = True,
) -> pluggy.PluginManager:
    """A fresh manager for one client: built-ins, then entry-point plugins, then ``plugins``.

    ``disable_plugins`` removes built-ins (``"auth"``, ``"retry"``, ``"logging"``) or
    entry-point plugins by name; pass a replacement in ``plugins``.
    """
    configure_logging_from_env()
    disabled = set(disable_plugins)
    manager = pluggy.PluginManager(hooks.PROJECT_NAME)
    manager.add_hookspecs(hooks)
    for name, plugin in builtins.items():
        if name not in disabled:
            manager.register(plugin, name=name)
    if load_entrypoints and not os.environ.get("FRUXON_DISABLE_PLUGIN_AUTOLOAD"):
        for name, plugin in _entry_point_plugins():
            if name not in disabled and manager.get_plugin(name) is None:
                manager.register(plugin, name=name)
    for plugin in plugins:
        manager.register(plugin, name=_plugin_name(plugin, manager))
    return manager


def _plugin_name(plugin: object, manager: pluggy.PluginManager) -> str | None:
    name = getattr(plugin, "name", None)
    if isinstance(name, str) and manager.get_plugin(name) is None:
        return name
    return None


def _entry_point_plugins() -> list[tuple[str, Any]]:
    """Third-party plugins from the ``fruxon`` entry-point group; broken ones are skipped."""
    # Imported here: importlib.metadata pulls in email and socket, which core must not load.
    import importlib.metadata

    found: list[tuple[str, Any]] = []
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            plugin = entry_point.load()
        except Exception:
            _log.warning(
                "skipping fruxon plugin %r: it failed to load", entry_point.name, exc_info=True
            )
            continue
        found.append((entry_point.name, plugin() if isinstance(plugin, type) else plugin))
    return found
