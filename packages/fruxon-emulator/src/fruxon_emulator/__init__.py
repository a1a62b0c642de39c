"""fruxon-emulator: a local server speaking the Fruxon wire protocol.

Like stripe-mock for Stripe's SDKs: a real aiohttp.web server with scripted
agents, an SQLite record store and fault injection, so SDK tests, demos and
benchmarks run over real sockets without the hosted platform.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .agents import (
        AgentDefinition,
        AgentScript,
        ParameterSpec,
        RevisionDefinition,
        ToolCallScript,
    )
    from .app import EmulatorHandler, create_web_server
    from .config import (
        ConfigError,
        EmulatorConfig,
        TenantConfig,
        config_from_mapping,
        default_config,
        default_config_text,
        load_config,
        parse_config,
    )
    from .faults import FAULT_HEADER, FAULT_KEYS, FaultPlan
    from .server import EmulatorServer, ListeningEmulator, resolve_config, running_emulator
    from .state import EmulatorState

#: Where each public name lives. Importing the package (as pytest does for the plugin
#: in ``fruxon_emulator.pytest_plugin``) loads none of them: aiohttp and the server
#: are imported on first use of a name, so an installed-but-unused plugin costs nothing.
_LAZY = {
    "AgentDefinition": "agents",
    "AgentScript": "agents",
    "ParameterSpec": "agents",
    "RevisionDefinition": "agents",
    "ToolCallScript": "agents",
    "EmulatorHandler": "app",
    "create_web_server": "app",
    "ConfigError": "config",
    "EmulatorConfig": "config",
    "TenantConfig": "config",
    "config_from_mapping": "config",
    "default_config": "config",
    "default_config_text": "config",
    "load_config": "config",
    "parse_config": "config",
    "FAULT_HEADER": "faults",
    "FAULT_KEYS": "faults",
    "FaultPlan": "faults",
    "EmulatorServer": "server",
    "ListeningEmulator": "server",
    "resolve_config": "server",
    "running_emulator": "server",
    "EmulatorState": "state",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fruxon_emulator' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__version__ = "0.1.0"

__all__ = [
    "FAULT_HEADER",
    "FAULT_KEYS",
    "AgentDefinition",
    "AgentScript",
    "ConfigError",
    "EmulatorConfig",
    "EmulatorHandler",
    "EmulatorServer",
    "EmulatorState",
    "FaultPlan",
    "ListeningEmulator",
    "ParameterSpec",
    "RevisionDefinition",
    "TenantConfig",
    "ToolCallScript",
    "__version__",
    "config_from_mapping",
    "create_web_server",
    "default_config",
    "default_config_text",
    "load_config",
    "parse_config",
    "resolve_config",
    "running_emulator",
]
