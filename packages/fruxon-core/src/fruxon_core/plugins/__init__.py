"""Built-in plugins and the per-client plugin manager.

Every client gets its own :class:`pluggy.PluginManager` from
:func:`create_plugin_manager`, so two clients never share middleware. The
built-ins are registered under the names ``"auth"``, ``"retry"`` and
``"logging"``; ``disable_plugins=[name]`` removes one (or an entry-point
plugin) and ``plugins=[...]`` adds replacements. :class:`OpenTelemetryPlugin`
lives in :mod:`fruxon_core.plugins.otel` so that importing this package never
imports opentelemetry.
"""

from __future__ import annotations

import logging as _logging
import os
import types
from collections.abc import Iterable
from typing import Any

import pluggy

from fruxon_core import hooks

from .auth import AccessToken, ApiKeyAuth, BearerTokenAuth, TokenProvider
from .logging import DEBUG_BODIES, LoggingPlugin, configure_logging_from_env
from .retry import RetryPolicy

__all__ = [
    "DEBUG_BODIES",
    "ENTRY_POINT_GROUP",
    "AccessToken",
    "ApiKeyAuth",
    "BearerTokenAuth",
    "FruxonPluginManager",
    "LoggingPlugin",
    "RetryPolicy",
    "TokenProvider",
    "create_plugin_manager",
]

ENTRY_POINT_GROUP = "fruxon"
_log = _logging.getLogger("fruxon")  # plain ``logging`` is shadowed by .logging


class FruxonPluginManager(pluggy.PluginManager):
    """pluggy's manager, counting the changes to its registered implementations.

    The client dispatches its per-call hooks itself when it can (see
    :class:`~fruxon_core.pipeline.HookDispatch`) and must notice when a plugin
    is registered or unregistered; ``generation`` changes whenever that
    happens, so noticing costs one comparison per call.
    """

    generation = 0

    def register(self, plugin: object, name: str | None = None) -> str | None:
        try:
            return super().register(plugin, name)
        finally:
            self.generation += 1

    def unregister(self, plugin: object | None = None, name: str | None = None) -> Any:
        try:
            return super().unregister(plugin, name)
        finally:
            self.generation += 1

    def add_hookspecs(self, module_or_class: types.ModuleType | type) -> None:
        try:
            super().add_hookspecs(module_or_class)
        finally:
            self.generation += 1


def create_plugin_manager(
    *,
    builtins: dict[str, object],
    plugins: Iterable[object] = (),
    disable_plugins: Iterable[str] = (),
    load_entrypoints: bool = True,
) -> FruxonPluginManager:
    """A fresh manager for one client: built-ins, then entry-point plugins, then ``plugins``.

    ``disable_plugins`` removes built-ins (``"auth"``, ``"retry"``, ``"logging"``) or
    entry-point plugins by name; pass a replacement in ``plugins``.
    """
    configure_logging_from_env()
    disabled = set(disable_plugins)
    manager = FruxonPluginManager(hooks.PROJECT_NAME)
    manager.add_hookspecs(hooks)
    for name, plugin in builtins.items():
        if name not in disabled:
            manager.register(plugin, name=name)
    if load_entrypoints and not _autoload_disabled():
        for name, plugin in _entry_point_plugins(disabled):
            if manager.get_plugin(name) is None:
                _register_or_skip(manager, plugin, name)
    for plugin in plugins:
        manager.register(plugin, name=_plugin_name(plugin, manager))
    return manager


def _plugin_name(plugin: object, manager: pluggy.PluginManager) -> str | None:
    name = getattr(plugin, "name", None)
    if isinstance(name, str) and manager.get_plugin(name) is None:
        return name
    return None


def _autoload_disabled() -> bool:
    value = os.environ.get("FRUXON_DISABLE_PLUGIN_AUTOLOAD", "").strip().lower()
    return value not in ("", "0", "false", "no")


def _entry_point_plugins(disabled: set[str]) -> list[tuple[str, Any]]:
    """Third-party plugins from the ``fruxon`` entry-point group; broken ones are skipped.

    A disabled name is not even imported. A class is instantiated without arguments.
    """
    # Imported here: importlib.metadata pulls in email and socket, which core must not load.
    import importlib.metadata

    found: list[tuple[str, Any]] = []
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if entry_point.name in disabled:
            continue
        try:
            plugin = entry_point.load()
            found.append((entry_point.name, plugin() if isinstance(plugin, type) else plugin))
        except Exception:
            _log.warning(
                "skipping fruxon plugin %r: it failed to load", entry_point.name, exc_info=True
            )
    return found


def _register_or_skip(manager: pluggy.PluginManager, plugin: object, name: str) -> None:
    """Register an entry-point plugin; one whose hooks do not match the specs is skipped."""
    try:
        manager.register(plugin, name=name)
    except (ValueError, pluggy.PluginValidationError):
        _log.warning("skipping fruxon plugin %r: it could not be registered", name, exc_info=True)
