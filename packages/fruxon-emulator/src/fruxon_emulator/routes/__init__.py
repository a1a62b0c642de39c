"""The route table: every operation of the spec's catalogue (§2), plus the
2.0.2 draft, `tools:run` and record-result routes the emulator also serves."""

from __future__ import annotations

from fruxon_emulator.routes import agents, execution, integrations, records, tools
from fruxon_emulator.routing import Route

__all__ = ["API_ROUTES"]

_AGENT = "agents/{agent}"
_REVISION = "agents/{agent}/revisions/{revision}"
_RECORD = "agents/{agent}/executionRecords/{record}"
_INTEGRATION = "integrations/{integration}"
_TOOL = "integrations/{integration}/tools/{tool}"

API_ROUTES: tuple[Route, ...] = (
    Route("GET", "agents", agents.list_agents),
    Route("GET", _AGENT, agents.get_agent),
    Route("POST", f"{_AGENT}:execute", execution.execute_agent, runs_agent=True),
    Route("POST", f"{_AGENT}:stream", execution.stream_agent, runs_agent=True),
    Route("POST", f"{_AGENT}:test", execution.test_agent, runs_agent=True),
    Route("POST", f"{_AGENT}:streamTest", execution.stream_test_agent, runs_agent=True),
    Route("GET", f"{_REVISION}/parameters", agents.get_agent_parameters),
    Route("POST", f"{_REVISION}:execute", execution.execute_revision, runs_agent=True),
    Route("POST", f"{_REVISION}:stream", execution.stream_revision, runs_agent=True),
    Route("POST", f"{_REVISION}/draft:test", execution.draft_test, runs_agent=True),
    Route("POST", f"{_REVISION}/draft:streamTest", execution.draft_stream_test, runs_agent=True),
    Route("GET", _RECORD, records.get_record),
    Route("GET", f"{_RECORD}/trace", records.get_record_trace),
    Route("GET", f"{_RECORD}/result", records.get_record_result),
    Route("GET", "integrations", integrations.list_integrations),
    Route("POST", "integrations", integrations.create_integration),
    Route("GET", _INTEGRATION, integrations.get_integration),
    Route("PUT", _INTEGRATION, integrations.update_integration),
    Route("POST", f"{_INTEGRATION}:verifyConfig", integrations.verify_integration),
    Route("GET", f"{_INTEGRATION}/tools", tools.list_tools),
    Route("POST", f"{_INTEGRATION}/tools", tools.create_tool),
    Route("POST", f"{_INTEGRATION}/tools:test", tools.test_tool),
    Route("POST", f"{_INTEGRATION}/tools:run", tools.run_tool),
    Route("GET", _TOOL, tools.get_tool),
    Route("PUT", _TOOL, tools.replace_tool),
    Route("DELETE", _TOOL, tools.delete_tool),
    Route("PUT", f"{_TOOL}:python", tools.replace_tool_script),
)
