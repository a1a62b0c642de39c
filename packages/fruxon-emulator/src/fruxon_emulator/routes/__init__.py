"""The route table: every operation of the Fruxon API the SDK calls, plus the
official 2.0.2 SDK's routes the emulator also serves (drafts, `tools:run`, the
execution lifecycle, human approvals, storage) and the colon aliases the
official 0.5.8 client calls (`…/{id}:trace`, `…/{rev}:parameters`).

The fourth column is the scope a scoped API key needs (see `scopes`): one
scope per route family, so this table is also the scope table. Every route
says in one line what it is for.
"""

from __future__ import annotations

from fruxon_emulator.routes import (
    agents,
    approvals,
    execution,
    integrations,
    records,
    run_control,
    storage,
    tools,
)
from fruxon_emulator.routing import Route
from fruxon_emulator.scopes import (
    AGENTS_EXECUTE,
    AGENTS_READ,
    APPROVALS_WRITE,
    ASSETS_READ,
    ASSETS_WRITE,
    INTEGRATIONS_READ,
    INTEGRATIONS_WRITE,
)

__all__ = ["API_ROUTES"]

_AGENT = "agents/{agent}"
_REVISION = "agents/{agent}/revisions/{revision}"
_RECORDS = "agents/{agent}/executionRecords"
_RECORD = f"{_RECORDS}/{{record}}"
_APPROVAL = "agents/{agent}/pendingApprovals/{approval}"
_INTEGRATION = "integrations/{integration}"
_TOOL = "integrations/{integration}/tools/{tool}"

API_ROUTES: tuple[Route, ...] = (
    Route("GET", "agents", agents.list_agents, AGENTS_READ, purpose="list the agents (paged)"),
    Route("GET", _AGENT, agents.get_agent, AGENTS_READ, purpose="one agent"),
    Route(
        "POST",
        f"{_AGENT}:execute",
        execution.execute_agent,
        AGENTS_EXECUTE,
        runs_agent=True,
        purpose="run the deployed revision, answer when done",
    ),
    Route(
        "POST",
        f"{_AGENT}:stream",
        execution.stream_agent,
        AGENTS_EXECUTE,
        runs_agent=True,
        purpose="run the deployed revision as an SSE stream",
    ),
    Route(
        "POST",
        f"{_AGENT}:test",
        execution.test_agent,
        AGENTS_EXECUTE,
        runs_agent=True,
        purpose="test run of an inline flow",
    ),
    Route(
        "POST",
        f"{_AGENT}:streamTest",
        execution.stream_test_agent,
        AGENTS_EXECUTE,
        runs_agent=True,
        purpose="test run of an inline flow, streamed",
    ),
    Route(
        "GET",
        f"{_REVISION}/parameters",
        agents.get_agent_parameters,
        AGENTS_READ,
        purpose="a revision's entry-point parameters",
    ),
    Route(
        "GET",
        f"{_REVISION}:parameters",
        agents.get_agent_parameters,
        AGENTS_READ,
        purpose="the official 0.5.8 client's spelling of …/parameters",
    ),
    Route(
        "POST",
        f"{_REVISION}:execute",
        execution.execute_revision,
        AGENTS_EXECUTE,
        runs_agent=True,
        purpose="run a pinned revision, answer when done",
    ),
    Route(
        "POST",
        f"{_REVISION}:stream",
        execution.stream_revision,
        AGENTS_EXECUTE,
        runs_agent=True,
        purpose="run a pinned revision as an SSE stream (route not confirmed against the live API)",
    ),
    Route(
        "POST",
        f"{_REVISION}/draft:test",
        execution.draft_test,
        AGENTS_EXECUTE,
        runs_agent=True,
        purpose="2.0.2 draft test run",
    ),
    Route(
        "POST",
        f"{_REVISION}/draft:streamTest",
        execution.draft_stream_test,
        AGENTS_EXECUTE,
        runs_agent=True,
        purpose="2.0.2 draft test run, streamed",
    ),
    Route(
        "GET",
        _RECORDS,
        records.list_records,
        AGENTS_READ,
        purpose="list an agent's runs, newest first, with filters (paged)",
    ),
    Route("GET", _RECORD, records.get_record, AGENTS_READ, purpose="one run's record"),
    Route(
        "GET",
        f"{_RECORD}/trace",
        records.get_record_trace,
        AGENTS_READ,
        purpose="a run's trace envelope",
    ),
    Route(
        "GET",
        f"{_RECORD}:trace",
        records.get_record_trace,
        AGENTS_READ,
        purpose="the official 0.5.8 client's spelling of …/trace",
    ),
    Route(
        "GET",
        f"{_RECORD}/result",
        records.get_record_result,
        AGENTS_READ,
        purpose="a run's typed result (strValue, jsonValue or fileLink)",
    ),
    Route(
        "GET",
        f"{_RECORD}/tree",
        records.get_record_tree,
        AGENTS_READ,
        purpose="a run's execution tree (root, nodes, totals)",
    ),
    Route(
        "POST",
        f"{_RECORD}:cancelRun",
        run_control.cancel_run,
        AGENTS_EXECUTE,
        purpose="stop a run: 204 stopped now, 202 asked to stop, 409 already ended",
    ),
    Route(
        "POST",
        f"{_RECORD}:cancelWait",
        run_control.cancel_wait,
        AGENTS_EXECUTE,
        purpose="resolve a run's consult wait as cancelled; the run goes on",
    ),
    Route(
        "GET",
        "pendingApprovals",
        approvals.list_pending_approvals,
        AGENTS_READ,
        purpose="the tenant's approval requests, by status and agentId (paged)",
    ),
    Route(
        "GET",
        "agents/{agent}/pendingApprovals",
        approvals.list_agent_approvals,
        AGENTS_READ,
        purpose="one agent's approval requests, by status (paged; 0.9.18-0.15 route)",
    ),
    Route("GET", _APPROVAL, approvals.get_approval, AGENTS_READ, purpose="one approval request"),
    Route(
        "POST",
        f"{_APPROVAL}:respond",
        approvals.respond_approval,
        APPROVALS_WRITE,
        purpose="answer an approval request with {text}: approve or reject its run",
    ),
    Route(
        "POST",
        f"{_APPROVAL}:cancel",
        approvals.cancel_approval,
        APPROVALS_WRITE,
        purpose="withdraw an approval request; its run ends CANCELLED",
    ),
    Route(
        "POST",
        "storage",
        storage.upload_file,
        ASSETS_WRITE,
        upload=True,
        purpose="upload one multipart 'file' part, get its FileLink",
    ),
    Route(
        "GET",
        "storage/{file}",
        storage.download_file,
        ASSETS_READ,
        purpose="download a stored file by id or prompt link",
    ),
    Route(
        "GET",
        "integrations",
        integrations.list_integrations,
        INTEGRATIONS_READ,
        purpose="list the integrations (paged)",
    ),
    Route(
        "POST",
        "integrations",
        integrations.create_integration,
        INTEGRATIONS_WRITE,
        purpose="create an integration",
    ),
    Route(
        "GET",
        _INTEGRATION,
        integrations.get_integration,
        INTEGRATIONS_READ,
        purpose="one integration",
    ),
    Route(
        "PUT",
        _INTEGRATION,
        integrations.update_integration,
        INTEGRATIONS_WRITE,
        purpose="replace an integration",
    ),
    Route(
        "POST",
        f"{_INTEGRATION}:verifyConfig",
        integrations.verify_integration,
        INTEGRATIONS_WRITE,
        purpose="check an integration's auth config",
    ),
    Route(
        "GET",
        f"{_INTEGRATION}/tools",
        tools.list_tools,
        INTEGRATIONS_READ,
        purpose="list an integration's tools (paged)",
    ),
    Route(
        "POST",
        f"{_INTEGRATION}/tools",
        tools.create_tool,
        INTEGRATIONS_WRITE,
        purpose="create a tool",
    ),
    Route(
        "POST",
        f"{_INTEGRATION}/tools:test",
        tools.test_tool,
        INTEGRATIONS_WRITE,
        purpose="tool dry run",
    ),
    Route(
        "POST",
        f"{_INTEGRATION}/tools:run",
        tools.run_tool,
        INTEGRATIONS_WRITE,
        purpose="2.0.2 tool dry run",
    ),
    Route("GET", _TOOL, tools.get_tool, INTEGRATIONS_READ, purpose="one tool"),
    Route("PUT", _TOOL, tools.replace_tool, INTEGRATIONS_WRITE, purpose="replace a tool"),
    Route("DELETE", _TOOL, tools.delete_tool, INTEGRATIONS_WRITE, purpose="delete a tool"),
    Route(
        "PUT",
        f"{_TOOL}:python",
        tools.replace_tool_script,
        INTEGRATIONS_WRITE,
        purpose="replace a Python tool's script",
    ),
)
