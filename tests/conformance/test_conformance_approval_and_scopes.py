"""Human-approval pauses and insufficient scopes, end to end for both transports.

``approval-agent`` stops on a human-approval gate: ``execute`` returns a result
that is waiting for a human, a stream ends in the ``done`` pause form, and the
record stays ``WAITING_FOR_ASYNC`` (spec §5.4, §5.7, §7.4). The emulator's
read-only key may read but not run: 403 ``insufficient_scope`` becomes
``InsufficientScopeError`` with ``required`` and ``granted`` (spec §6.1, §6.2).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from fruxon_core.events import Done, StatusChange
from fruxon_core.exceptions import ForbiddenError, InsufficientScopeError
from fruxon_core.models import ExecutionResult, WaitingFor
from fruxon_emulator import EmulatorServer

ClientFactory = Callable[..., Any]

READONLY_KEY = "fxn_emulator_readonly_key"
READONLY_SCOPES = ["agents:read", "integrations:read"]
DRAFT = "Drafted: Refund order 1042. Waiting for a human to approve."


def _is_uuid(value: str | None) -> bool:
    return value is not None and str(uuid.UUID(value)) == value


# -- human approval ------------------------------------------------------------------------


def test_execute_returns_a_result_waiting_for_a_human(client: Any) -> None:
    result = client.execute("approval-agent")

    assert isinstance(result, ExecutionResult)
    assert result.waiting_for_human is True
    assert _is_uuid(result.human_approval_request_id)
    assert result.status == "WaitingForHuman"
    assert result.response == DRAFT  # the partial text written before the pause
    assert result.execution_record_id
    assert result.session_id


def test_a_completed_run_is_not_waiting(client: Any) -> None:
    result = client.execute("echo-agent")
    assert result.waiting_for_human is False
    assert result.human_approval_request_id is None
    assert result.status == "COMPLETED"


def test_the_paused_record_is_waiting_for_async(client: Any) -> None:
    result = client.execute("approval-agent")
    record = client.get_execution_record("approval-agent", result.execution_record_id)

    assert record.id == result.execution_record_id
    assert record.status == "WAITING_FOR_ASYNC"
    assert record.waiting_for == WaitingFor(kind="APPROVAL", id=result.human_approval_request_id)
    assert record.is_terminal is False
    assert record.end_time is None
    assert record.duration_ms is None


def test_stream_ends_with_the_pause_done(client: Any) -> None:
    with client.stream("approval-agent") as stream:
        events = list(stream)  # ends normally: the pause `done` is terminal
        result = stream.final_result

    names = [event.event for event in events]
    assert names[0] == "status"
    assert names[-2:] == ["status", "done"]
    assert names.count("done") == 1
    assert "error" not in names
    status = events[-2].payload
    assert isinstance(status, StatusChange)
    assert status.status == "WaitingForHuman"

    done = events[-1]
    assert isinstance(done.payload, Done)
    assert done.data["status"] == "WaitingForHuman"
    assert "trace" not in done.data
    approval_id = done.data["humanApprovalRequestId"]
    assert _is_uuid(approval_id)
    assert done.payload.human_approval_request_id == approval_id

    assert isinstance(result, ExecutionResult)
    assert result.waiting_for_human is True
    assert result.human_approval_request_id == approval_id
    assert result.execution_record_id == done.data["executionRecordId"]
    assert result.session_id == done.data["sessionId"]
    assert result.response == DRAFT
    assert list(stream) == []  # exhausted for good

    record = client.get_execution_record("approval-agent", result.execution_record_id)
    assert record.status == "WAITING_FOR_ASYNC"
    assert record.waiting_for == WaitingFor(kind="APPROVAL", id=approval_id)


def test_collect_of_a_paused_stream(client: Any) -> None:
    result = client.stream("approval-agent", parameters={"request": "Refund order 9"}).collect()
    assert result.waiting_for_human is True
    assert _is_uuid(result.human_approval_request_id)
    assert result.response == "Drafted: Refund order 9. Waiting for a human to approve."
    assert result.trace.output_tokens > 0  # filled in from `usage`: the pause has no trace


# -- insufficient scope --------------------------------------------------------------------


def test_read_only_key_gets_insufficient_scope_on_execute(
    make_client: ClientFactory, emulator: EmulatorServer
) -> None:
    readonly = make_client(api_key=READONLY_KEY)
    with pytest.raises(InsufficientScopeError) as caught:
        readonly.execute("approval-agent")

    error = caught.value
    assert isinstance(error, ForbiddenError)
    assert error.status == 403
    assert error.required == "agents:execute"
    assert error.granted == READONLY_SCOPES
    assert READONLY_KEY not in str(error)
    stats = emulator.stats()
    assert stats["runs"]["total"] == 0
    assert stats["requests"]["total"] == 1  # a 403 is never retried


def test_read_only_key_may_still_read(make_client: ClientFactory, client: Any) -> None:
    readonly = make_client(api_key=READONLY_KEY)
    agent = readonly.get_agent("approval-agent")
    assert agent.id == "approval-agent"
    assert agent.tags == ["demo"]
    assert "approval-agent" in {item.id for item in readonly.list_agents()}
    run = client.execute("approval-agent")  # made with the full-access key
    record = readonly.get_execution_record("approval-agent", run.execution_record_id)
    assert record.status == "WAITING_FOR_ASYNC"


def test_read_only_key_gets_insufficient_scope_on_stream(make_client: ClientFactory) -> None:
    readonly = make_client(api_key=READONLY_KEY)
    with pytest.raises(InsufficientScopeError) as caught:
        list(readonly.stream("echo-agent"))
    assert (caught.value.required, caught.value.granted) == ("agents:execute", READONLY_SCOPES)


def test_read_only_key_may_not_write_integrations(
    make_client: ClientFactory, unique: Callable[[str], str]
) -> None:
    readonly = make_client(api_key=READONLY_KEY)
    with pytest.raises(InsufficientScopeError) as caught:
        readonly.create_integration({"id": unique("denied")})
    assert caught.value.required == "integrations:write"
    assert caught.value.granted == READONLY_SCOPES
    assert "github" in {item.id for item in readonly.list_integrations()}
