"""The route table: every operation of the spec's catalogue (§2), plus the
2.0.2 draft, `tools:run` and record-result routes the emulator also serves.

The fourth column is the scope a scoped API key needs (see `scopes`): one
scope per route family, so this table is also the scope table.
"""

from __future__ import annotations

from fruxon_emulator.routes import agents, execution, integrations, records, tools
from fruxon_emulator.routing import Route
from fruxon_emulator.scopes import (
    AGENTS_EXECUTE,
    AGENTS_READ,
    INTEGRATIONS_READ,
    INTEGRATIONS_WRITE,
)

__all__ = ["API_ROUTES"]

_AGENT = "agents/{agent}"
_REVISION = "agents/{agent}/revisions/{revision}"
_RECORD = "agents/{agent}/executionRecords/{record}"
_INTEGRATION = "integrations/{integration}"
_TOOL = "integrations/{integration}/tools/{tool}"

API_ROUTES: tuple[Route, ...] = (
    Route("GET", "agents", agents.list_agents, AGENTS_READ),
    Route("GET", _AGENT, agents.get_agent, AGENTS_READ),
    Route("POST", f"{_AGENT}:execute", execution.execute_agent, AGENTS_EXECUTE, runs_agent=True),
    Route("POST", f"{_AGENT}:stream", execution.stream_agent, AGENTS_EXECUTE, runs_agent=True),
    Route("POST", f"{_AGENT}:test", execution.test_agent, AGENTS_EXECUTE, runs_agent=True),
    Route(
        "POST", f"{_AGENT}:streamTest", execution.stream_test_agent, AGENTS_EXECUTE, runs_agent=True
    ),
    Route("GET", f"{_REVISION}/parameters", agents.get_agent_parameters, AGENTS_READ),
    Route(
        "POST", f"{_REVISION}:execute", execution.execute_revision, AGENTS_EXECUTE, runs_agent=True
    ),
    Route(
        "POST", f"{_REVISION}:stream", execution.stream_revision, AGENTS_EXECUTE, runs_agent=True
    ),
    Route("POST", f"{_REVISION}/draft:test", execution.draft_test, AGENTS_EXECUTE, runs_agent=True),
    Route(
        "POST",
        f"{_REVISION}/draft:streamTest",
        execution.draft_stream_test,
        AGENTS_EXECUTE,
        runs_agent=True,
    ),
    Route("GET", _RECORD, records.get_record, AGENTS_READ),
    Route("GET", f"{_RECORD}/trace", records.get_record_trace, AGENTS_READ),
    Route("GET", f"{_RECORD}/result", records.get_record_result, AGENTS_READ),
    Route("GET", "integrations", integrations.list_integrations, INTEGRATIONS_READ),
    Route("POST", "integrations", integrations.create_integration, INTEGRATIONS_WRITE),
    Route("GET", _INTEGRATION, integrations.get_integration, INTEGRATIONS_READ),
    Route("PUT", _INTEGRATION, integrations.update_integration, INTEGRATIONS_WRITE),
    Route(
        "POST", f"{_INTEGRATION}:verifyConfig", integrations.verify_integration, INTEGRATIONS_WRITE
    ),
    Route("GET", f"{_INTEGRATION}/tools", tools.list_tools, INTEGRATIONS_READ),
    Route("POST", f"{_INTEGRATION}/tools", tools.create_tool, INTEGRATIONS_WRITE),
    Route("POST", f"{_INTEGRATION}/tools:test", tools.test_tool, INTEGRATIONS_WRITE),
    Route("POST", f"{_INTEGRATION}/tools:run", tools.run_tool, INTEGRATIONS_WRITE),
    Route("GET", _TOOL, tools.get_tool, INTEGRATIONS_READ),
    Route("PUT", _TOOL, tools.replace_tool, INTEGRATIONS_WRITE),
    Route("DELETE", _TOOL, tools.delete_tool, INTEGRATIONS_WRITE),
    Route("PUT", f"{_TOOL}:python", tools.replace_tool_script, INTEGRATIONS_WRITE),
)
