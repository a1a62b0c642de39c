"""fruxon-emulator: a local server speaking the Fruxon wire protocol.

Like stripe-mock for Stripe's SDKs: a real aiohttp.web server with scripted
agents, an SQLite record store and fault injection, so SDK tests, demos and
benchmarks run over real sockets without the hosted platform.
"""

from __future__ import annotations

from .agents import AgentDefinition, AgentScript, ParameterSpec, RevisionDefinition, ToolCallScript
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
