"""Running agents: execute, multi-turn sessions, pinned revisions, draft tests, records."""

from __future__ import annotations

from typing import Any

import pytest

from fruxon_core.exceptions import ConflictError, NotFoundError, ValidationError
from fruxon_core.models import ExecutionRecord, ExecutionResult
from fruxon_emulator import EmulatorServer


def test_execute_returns_the_seed_result_shape(client: Any) -> None:
    result = client.execute("support-agent", parameters={"question": "How do I reset it?"})

    assert isinstance(result, ExecutionResult)
    assert result.response.startswith("[rev 3] Turn 1:")
    assert '"How do I reset it?"' in result.response
    assert result.session_id
    assert result.execution_record_id
    assert result.status == "COMPLETED"
    assert result.retries == 0
    trace = result.trace
    assert (trace.agent_id, trace.agent_revision) == ("support-agent", 3)
    assert trace.duration > 0
    assert trace.input_cost > 0
    assert trace.output_cost > 0
    assert trace.total_cost == pytest.approx(trace.input_cost + trace.output_cost)
    assert trace.input_tokens > 0
    assert trace.output_tokens > 0
    assert [link["fileId"] for link in result.links] == ["kb-1042"]


def test_execute_sends_every_optional_field(client: Any) -> None:
    result = client.execute(
        "echo-agent",
        parameters={"message": "with extras"},
        attachments=[{"fileId": "file-1", "fileType": "text/plain"}],
        chat_user={"id": "user-7", "displayName": "Ada"},
        environment_slug="staging-eu",
        mode="SANDBOX",
    )

    assert result.response == "Echo (turn 1): with extras"
    record = client.get_execution_record("echo-agent", result.execution_record_id)
    assert record.environment_slug == "staging-eu"


def test_parameter_defaults_apply_when_omitted(client: Any) -> None:
    result = client.execute("echo-agent")
    assert result.response == "Echo (turn 1): Hello from the Fruxon emulator!"


def test_multi_turn_conversation_remembers_the_session(client: Any) -> None:
    first = client.execute("support-agent", parameters={"question": "What's your return policy?"})
    follow_up = client.execute(
        "support-agent",
        parameters={"question": "What about international orders?"},
        session_id=first.session_id,
    )

    assert follow_up.session_id == first.session_id
    assert "Turn 2" in follow_up.response
    assert "What's your return policy?" in follow_up.response
    assert "What about international orders?" in follow_up.response
    assert follow_up.execution_record_id != first.execution_record_id


def test_a_new_session_starts_without_history(client: Any) -> None:
    first = client.execute("echo-agent", parameters={"message": "one"})
    second = client.execute("echo-agent", parameters={"message": "two"})
    assert second.session_id != first.session_id
    assert second.response == "Echo (turn 1): two"


@pytest.mark.parametrize(
    ("revision", "expected"),
    [
        ("1", "[rev 1] I can only say hello. You asked: Hi"),
        (2, "[rev 2] Searching for Hi... see the linked article."),
    ],
)
def test_execute_revision_runs_the_pinned_revision(
    client: Any, revision: str | int, expected: str
) -> None:
    result = client.execute_revision(
        "support-agent", revision=revision, parameters={"question": "Hi"}
    )
    assert result.response == expected
    assert result.trace.agent_revision == int(revision)


def test_execute_revision_of_an_unknown_revision_is_not_found(client: Any) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.execute_revision("support-agent", revision="42", parameters={"question": "Hi"})
    assert caught.value.status == 404


def test_test_runs_a_draft_flow_without_publishing(client: Any, draft_flow: dict[str, Any]) -> None:
    request = {
        "flow": draft_flow,
        "baseRevision": 3,
        "parametersMetadata": [{"name": "query", "type": "STRING", "required": True}],
        "parameters": {"query": "hello"},
    }
    result = client.test("support-agent", request)

    assert isinstance(result, ExecutionResult)
    assert result.response
    assert result.trace.agent_revision == -1  # draft runs report no published revision
    record = client.get_execution_record("support-agent", result.execution_record_id)
    assert record.agent_revision == -1


def test_test_rejects_an_invalid_flow(client: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        client.test("support-agent", {"flow": {"steps": [{"type": "ENTRY_POINT"}]}})
    assert caught.value.status == 400
    assert "flow.steps" in caught.value.errors


def test_disabled_agent_is_a_conflict(client: Any) -> None:
    with pytest.raises(ConflictError) as caught:
        client.execute("legacy-agent")
    assert caught.value.error_code == "agent_disabled"


def test_execution_record_and_trace_of_a_run(client: Any) -> None:
    result = client.execute("support-agent", parameters={"question": "Where is my parcel?"})

    record = client.get_execution_record("support-agent", result.execution_record_id)
    assert isinstance(record, ExecutionRecord)
    assert record.id == result.execution_record_id
    assert (record.agent_id, record.agent_revision, record.status) == (
        "support-agent",
        3,
        "COMPLETED",
    )
    assert record.is_terminal
    assert record.duration_ms is not None
    assert record.duration_ms > 0
    assert record.total_cost == pytest.approx(result.trace.total_cost)
    assert record.run_type == "ROOT"

    trace = client.get_execution_trace("support-agent", result.execution_record_id)
    assert isinstance(trace, dict)
    assert trace["status"] == "COMPLETED"
    assert trace["trace"]["agentId"] == "support-agent"
    step_types = {step["type"] for step in trace["trace"]["traces"]}
    assert "FLOW_STEP" in step_types


def test_unknown_execution_record_is_not_found(client: Any) -> None:
    with pytest.raises(NotFoundError):
        client.get_execution_record("support-agent", "rec-does-not-exist")
    with pytest.raises(NotFoundError):
        client.get_execution_trace("support-agent", "rec-does-not-exist")


def test_ids_are_percent_encoded_into_one_path_segment(client: Any) -> None:
    # A slash or a space in an id must not change the route: it stays one segment.
    with pytest.raises(NotFoundError) as caught:
        client.get_agent("support-agent/revisions/3")
    assert "support-agent/revisions/3" in caught.value.detail


def test_each_call_runs_the_agent_once(client: Any, emulator: EmulatorServer) -> None:
    for _ in range(3):
        client.execute("echo-agent", parameters={"message": "count me"})
    stats = emulator.stats()
    assert stats["runs"]["byAgent"] == {"echo-agent": 3}
    assert stats["idempotentReplays"] == 0
