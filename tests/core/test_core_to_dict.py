"""``to_dict()``: every model and event as plain values that ``json.dumps`` accepts."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import inspect
import json
import uuid
from typing import Any

import msgspec
import pytest

import fruxon_core
from fruxon_core import events, models, operations
from fruxon_core.events import (
    Done,
    ResultCollector,
    StreamEvent,
    TextChunk,
    ToolCall,
    ToolResult,
)
from fruxon_core.models import (
    Agent,
    AgentParameters,
    ExecutionRecord,
    ExecutionRequest,
    ExecutionResult,
    ExecutionTrace,
    ListPage,
    ManagedBy,
    Model,
    ParameterMetadata,
    Serializable,
)
from tests.core.conftest import add_all


def _public_structs() -> list[type[Any]]:
    found = {
        obj
        for module in (models, events)
        for name in module.__all__
        if inspect.isclass(obj := getattr(module, name))
        and issubclass(obj, msgspec.Struct)
        and obj is not Model
    }
    return sorted(found, key=lambda cls: cls.__name__)


def _sample(cls: type[Any]) -> Any:
    return StreamEvent("text", {"chunk": "hi"}) if cls is StreamEvent else cls()


@pytest.mark.parametrize("cls", _public_structs(), ids=lambda cls: cls.__name__)
def test_every_public_struct_has_to_dict(cls: type[Any]) -> None:
    assert issubclass(cls, Serializable)
    value = _sample(cls)
    for wire in (False, True):
        plain = value.to_dict(wire=wire)
        assert isinstance(plain, dict)
        assert json.loads(json.dumps(plain)) == plain


def test_every_struct_exported_by_fruxon_core_is_covered() -> None:
    exported = {
        obj
        for name in fruxon_core.__all__
        if inspect.isclass(obj := getattr(fruxon_core, name))
        and issubclass(obj, msgspec.Struct)
        and obj.__module__ in ("fruxon_core.models", "fruxon_core.events")
    }
    assert exported <= set(_public_structs())
    assert {ExecutionResult, StreamEvent, ToolResult, ExecutionRequest} <= exported


def test_stdlib_tools_fail_on_structs_but_work_on_to_dict() -> None:
    result = ExecutionResult(response="hi")
    with pytest.raises(TypeError):
        json.dumps(result)
    with pytest.raises(TypeError):
        dataclasses.asdict(result)  # type: ignore[call-overload]
    assert json.loads(json.dumps(result.to_dict()))["response"] == "hi"


def test_execution_result_from_the_wire(load_fixture: Any) -> None:
    body = load_fixture("execute_response.json")
    result = operations.execute("support-agent").decode(body)

    plain = result.to_dict()
    assert plain["response"] == "Your order ORD-1042 ships tomorrow."
    assert plain["session_id"] == "sess-9f2c"
    assert plain["execution_record_id"] == "3f0c8a52-5d7e-4a51-9a0e-2b1c7d9e8f10"
    assert plain["retries"] == 0
    assert plain["trace"]["agent_revision"] == 7  # nested model: Python names too
    assert plain["trace"]["total_cost"] == pytest.approx(0.0046)
    assert plain["links"][0] == {  # raw dicts keep the server's keys
        "fileId": "file-1",
        "fileType": "application/pdf",
        "promptLink": "<invoice:file-1/>",
    }
    assert "waiting_for_human" not in plain  # a property, not a field
    assert set(plain) == set(ExecutionResult.__struct_fields__)
    assert set(plain["trace"]) == set(ExecutionTrace.__struct_fields__)

    wire = result.to_dict(wire=True)
    assert wire["sessionId"] == "sess-9f2c"
    assert wire["executionRecordId"] == plain["execution_record_id"]
    assert wire["trace"]["agentRevision"] == 7
    assert wire["fruxonSdkRetries"] == 0
    assert "session_id" not in wire
    assert msgspec.convert(wire, ExecutionResult) == result
    assert json.loads(json.dumps(wire)) == wire


def test_unset_fields_are_kept_as_none_or_their_default() -> None:
    plain = ExecutionResult().to_dict()
    assert plain["session_id"] is None
    assert plain["status"] is None
    assert plain["links"] == []
    assert plain["trace"]["provider_reported_cost"] is None
    assert ExecutionResult().to_dict(wire=True)["sessionId"] is None


def test_nested_models_in_lists_and_optionals() -> None:
    agent = Agent(
        id="a",
        display_name="A",
        tags=["x"],
        managed_by=ManagedBy(ownership="LINKED", roles=["viewer"], owner_display_name="Ops"),
    )
    page = ListPage[Agent](items=[agent, Agent(id="b")], next_page_token="t2")
    plain = page.to_dict()
    assert plain["next_page_token"] == "t2"
    assert plain["items"][0]["managed_by"] == {
        "ownership": "LINKED",
        "owner_kind": None,
        "roles": ["viewer"],
        "owner_id": None,
        "owner_display_name": "Ops",
        "owner_container_id": None,
        "owner_container_display_name": None,
        "linked_owner_count": 0,
    }
    assert plain["items"][1]["managed_by"] is None
    wire = page.to_dict(wire=True)
    assert wire["nextPageToken"] == "t2"
    assert wire["items"][0]["managedBy"]["ownerDisplayName"] == "Ops"
    assert msgspec.convert(wire, ListPage[Agent]) == page

    parameters = AgentParameters(
        parameters=["question"],
        metadata=[ParameterMetadata(name="question", type_name="STRING", required=True)],
    )
    assert parameters.to_dict()["metadata"][0]["type_name"] == "STRING"
    assert parameters.to_dict(wire=True)["metadata"][0]["typeName"] == "STRING"


def test_execution_record_properties_are_not_fields() -> None:
    record = ExecutionRecord(id="r", status="COMPLETED", start_time=10, end_time=25)
    plain = record.to_dict()
    assert (plain["start_time"], plain["end_time"]) == (10, 25)
    assert "duration_ms" not in plain
    assert "is_terminal" not in plain


def test_request_body_wire_form_leaves_unset_fields_out() -> None:
    request = ExecutionRequest(parameters={"question": "hi"}, session_id="s1")
    assert request.to_dict(wire=True) == {"parameters": {"question": "hi"}, "sessionId": "s1"}
    assert request.to_dict(wire=True) == json.loads(msgspec.json.encode(request))
    plain = request.to_dict()
    assert plain == {
        "parameters": {"question": "hi"},
        "attachments": None,
        "chat_user": None,
        "session_id": "s1",
        "environment_slug": None,
        "mode": None,
    }


@pytest.mark.parametrize(
    ("event", "plain", "wire"),
    [
        (
            StreamEvent("text", {"chunk": "Hi"}, "4"),
            {"event": "text", "data": {"chunk": "Hi"}, "id": "4"},
            {"event": "text", "data": {"chunk": "Hi"}, "id": "4"},
        ),
        (
            StreamEvent("future_event", {"someKey": [1, {"x": None}]}),
            {"event": "future_event", "data": {"someKey": [1, {"x": None}]}, "id": None},
            {"event": "future_event", "data": {"someKey": [1, {"x": None}]}, "id": None},
        ),
    ],
)
def test_stream_event(event: StreamEvent, plain: dict[str, Any], wire: dict[str, Any]) -> None:
    assert event.to_dict() == plain
    assert event.to_dict(wire=True) == wire
    assert msgspec.convert(event.to_dict(wire=True), StreamEvent) == event


def test_stream_event_payloads(load_json: Any) -> None:
    call = StreamEvent("tool_call", load_json("events/tool_call.json"))
    result = StreamEvent("tool_result", {"id": "step-2", "status": "succeeded", "endTime": 900})
    done = StreamEvent("done", load_json("events/done.json"))
    add_all(ResultCollector(), [call, result, done])

    assert TextChunk(chunk="a").to_dict() == {"chunk": "a"}
    assert isinstance(call.payload, ToolCall)
    assert call.payload.to_dict() == {
        "id": "step-2",
        "tool_trace": load_json("events/tool_call.json")["toolTrace"],
        "arguments": {"order_id": "ORD-1042"},
        "start_time": 1717000000500,
    }
    assert isinstance(result.payload, ToolResult)
    assert result.payload.to_dict()["start_time"] == 1717000000500
    assert result.payload.to_dict(wire=True) == {
        "id": "step-2",
        "status": "succeeded",
        "result": None,
        "startTime": 1717000000500,
        "endTime": 900,
        "durationMs": None,  # the end is before the start: unknown
    }
    assert isinstance(done.payload, Done)
    plain = done.payload.to_dict()
    assert plain["execution_record_id"] == "3f0c8a52-5d7e-4a51-9a0e-2b1c7d9e8f10"
    assert plain["trace"]["agent_id"] == "support-agent"
    assert done.payload.to_dict(wire=True)["trace"]["agentId"] == "support-agent"
    assert json.dumps([e.payload.to_dict() for e in (call, result, done) if e.payload])


class Colour(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


def test_enums_tuples_and_sets_become_json_values() -> None:
    trace = ExecutionTrace(
        parameters={"colour": Colour.RED, "level": Level.HIGH, "pair": (1, 2), "tags": {"a"}},
        traces=[{"nested": ExecutionTrace(agent_id="inner")}],
    )
    plain = trace.to_dict()
    assert plain["parameters"] == {"colour": "red", "level": 3, "pair": [1, 2], "tags": ["a"]}
    assert plain["traces"][0]["nested"]["agent_id"] == "inner"
    assert type(plain["parameters"]["level"]) is int
    wire = trace.to_dict(wire=True)
    assert wire["parameters"] == {"colour": "red", "level": 3, "pair": [1, 2], "tags": ["a"]}
    assert wire["traces"][0]["nested"]["agentId"] == "inner"
    json.dumps(plain)
    json.dumps(wire)


def test_to_dict_returns_copies() -> None:
    result = ExecutionResult(links=[{"fileId": "f"}])
    plain = result.to_dict()
    plain["links"][0]["fileId"] = "changed"
    assert result.links == [{"fileId": "f"}]


def test_other_values_become_what_the_json_encoder_makes_of_them() -> None:
    when = datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    trace = ExecutionTrace(parameters={"when": when, "id": ident, "blob": b"\x00\x01"})
    plain = trace.to_dict()["parameters"]
    assert plain == {
        "when": "2025-01-02T03:04:05Z",
        "id": "12345678-1234-5678-1234-567812345678",
        "blob": "AAE=",
    }
    assert trace.to_dict(wire=True)["parameters"] == plain
    json.dumps(plain)
