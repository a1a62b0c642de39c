"""Response models: spec example payloads decode to the right values; odd ones never crash."""

from __future__ import annotations

import datetime
import json
from typing import Any

import msgspec
import pytest

from fruxon_core import endpoints as ep
from fruxon_core import operations as ops
from fruxon_core.decoding import decode_json, decode_model, decode_object, lenient_convert
from fruxon_core.exceptions import FruxonAPIError
from fruxon_core.http import Request, Response
from fruxon_core.models import (
    Agent,
    ExecutionRecord,
    ExecutionRequest,
    ExecutionResult,
    ExecutionTrace,
    Integration,
    ListPage,
    ManagedBy,
    ProblemDetails,
    Tool,
)


def _bytes(value: Any) -> bytes:
    return json.dumps(value).encode()


# -- the spec's example payloads --------------------------------------------------------


def test_execute_response_fixture_decodes(load_fixture):
    result = ops.execute("support-agent").decode(load_fixture("execute_response.json"))

    assert isinstance(result, ExecutionResult)
    assert result.response == "Your order ORD-1042 ships tomorrow."
    assert result.session_id == "sess-9f2c"
    assert result.execution_record_id == "3f0c8a52-5d7e-4a51-9a0e-2b1c7d9e8f10"
    assert result.status == "COMPLETED"
    assert result.human_approval_request_id == "00000000-0000-0000-0000-000000000000"
    assert result.links == [
        {"fileId": "file-1", "fileType": "application/pdf", "promptLink": "<invoice:file-1/>"}
    ]
    assert result.retries == 0

    trace = result.trace
    assert trace.agent_id == "support-agent"
    assert trace.agent_revision == 7
    assert trace.duration == 1242
    assert trace.input_cost == pytest.approx(0.0012)
    assert trace.output_cost == pytest.approx(0.0034)
    assert trace.total_cost == pytest.approx(0.0046)
    assert trace.input_tokens == 412
    assert trace.output_tokens == 57
    assert trace.provider_reported_cost == pytest.approx(0.0045)
    assert trace.created_at == 1717000000000
    assert trace.end_time - trace.start_time == 1242
    assert trace.parameters == {"question": "Where is my order?"}
    assert trace.traces[0]["type"] == "FLOW_STEP"
    assert trace.result == {
        "strValue": "Your order ORD-1042 ships tomorrow.",
        "jsonValue": None,
        "fileLink": "",
    }
    # absent fields take their documented defaults
    assert trace.cached_tokens == 0
    assert trace.web_search_cost == 0.0


def test_seed_example_response_decodes():
    """The literal example of the seed's `:execute` reference page."""
    seed = {
        "response": "string",
        "trace": {
            "agentId": "string",
            "agentRevision": 0,
            "createdAt": 0,
            "parameters": {},
            "startTime": 0,
            "endTime": 0,
            "duration": 0,
            "traces": [{"id": "string", "type": "UNSPECIFIED", "steps": [], "result": None}],
            "result": {"strValue": "string", "jsonValue": None, "fileLink": "string"},
            "inputCost": 0,
            "outputCost": 0,
            "totalCost": 0,
        },
        "sessionId": "string",
        "links": [{"fileId": "string", "fileType": "string", "promptLink": "<string:string/>"}],
        "executionRecordId": "00000000-0000-0000-0000-000000000000",
        "status": "COMPLETED",
        "humanApprovalRequestId": "00000000-0000-0000-0000-000000000000",
    }
    result = decode_model(ExecutionResult, _bytes(seed))
    assert result.trace.agent_id == "string"
    assert result.trace.total_cost == 0.0
    assert isinstance(result.trace.total_cost, float)
    assert result.links[0]["promptLink"] == "<string:string/>"
    assert result.status == "COMPLETED"


def test_execution_result_defaults_when_everything_is_absent():
    result = decode_model(ExecutionResult, b"{}")
    assert result.response == ""
    assert result.session_id is None
    assert result.execution_record_id == ""
    assert result.links == []
    assert result.status is None
    assert result.human_approval_request_id is None
    assert result.trace == ExecutionTrace()
    assert result.trace.provider_reported_cost is None
    assert result.waiting_for_human is False


@pytest.mark.parametrize(
    ("payload", "waiting"),
    [
        ({"status": "COMPLETED"}, False),
        ({"status": "WaitingForHuman"}, True),
        ({"status": "WAITING_FOR_HUMAN"}, True),
        ({"status": "waiting_for_human"}, True),
        ({"humanApprovalRequestId": "a1"}, True),
        ({"humanApprovalRequestId": ""}, False),
    ],
)
def test_waiting_for_human(payload, waiting):
    assert decode_model(ExecutionResult, _bytes(payload)).waiting_for_human is waiting


def test_agent_fixture_decodes(load_fixture):
    agent = ops.get_agent("support-agent").decode(load_fixture("agent.json"))

    assert isinstance(agent, Agent)
    assert agent.id == "support-agent"
    assert agent.display_name == "Support Agent"
    assert agent.description == "Answers order questions"
    assert agent.enabled is True
    assert agent.current_revision == 7
    assert agent.tags == ["support", "orders"]
    assert agent.network_id == "net-42"
    managed = agent.managed_by
    assert isinstance(managed, ManagedBy)
    assert managed.ownership == "MANAGED"
    assert managed.owner_kind == "APPLICATION"
    assert managed.roles == ["EDITOR", "VIEWER"]
    assert managed.owner_id == "app-1"
    assert managed.owner_display_name == "Helpdesk"
    assert managed.linked_owner_count == 2
    assert managed.owner_container_display_name is None  # absent


def test_agent_defaults():
    agent = decode_model(Agent, b"{}")
    assert agent == Agent()
    assert (agent.id, agent.enabled, agent.current_revision, agent.tags) == ("", False, 0, [])
    assert agent.managed_by is None


def test_agent_parameters_fixture_decodes(load_fixture):
    call = ops.get_agent_parameters("support-agent", revision=7)
    assert call.decode(load_fixture("agent_parameters.json")) == ["question", "customer_id"]


def test_agent_parameters_metadata_decodes(load_fixture):
    from fruxon_core.models import AgentParameters

    envelope = decode_model(AgentParameters, load_fixture("agent_parameters.json"))
    question, customer = envelope.metadata
    assert question.name == "question"
    assert question.type_name == "string"
    assert question.display_name == "Question"
    assert question.required is True
    assert customer.index == 1
    assert customer.default_value == 1
    assert customer.type_name == ""  # absent


@pytest.mark.parametrize("body", [b"{}", b'{"parameters": null}', b'{"parameters": "x"}'])
def test_agent_parameters_odd_shapes_give_no_names(body):
    assert ops.get_agent_parameters("a", "1").decode(body) == []


def test_integration_fixture_decodes(load_fixture):
    integration = ops.get_integration("crm").decode(load_fixture("integration.json"))
    assert isinstance(integration, Integration)
    assert integration.id == "crm"
    assert integration.display_name == "CRM"
    assert integration.type == "CUSTOM"
    assert integration.tags == ["sales"]
    assert integration.config_metadata["authMetadata"][0]["authType"] == "API_KEY"
    assert decode_model(Integration, b"{}").config_metadata == {}


def test_tool_fixture_decodes(load_fixture):
    tool = ops.get_tool("crm", "lookup_order").decode(load_fixture("tool.json"))
    assert isinstance(tool, Tool)
    assert tool.id == "lookup_order"
    assert tool.integration_id == "crm"
    assert tool.display_name == "Lookup order"
    assert tool.tool_type == "API"
    assert tool.action_type == "READ_ONLY"
    assert tool.result_type == "JSON"
    assert tool.parameters == [{"name": "order_id", "type": "STRING", "required": True}]
    assert tool.descriptor["apiTool"]["method"] == "GET"
    assert tool.is_async is True


def test_tool_defaults():
    tool = decode_model(Tool, b"{}")
    assert tool.parameters == []
    assert tool.descriptor == {}
    assert tool.is_async is False


def test_execution_record_fixture_decodes(load_fixture):
    record = ops.get_execution_record("support-agent", "r1").decode(
        load_fixture("execution_record.json")
    )
    assert isinstance(record, ExecutionRecord)
    assert record.id == "3f0c8a52-5d7e-4a51-9a0e-2b1c7d9e8f10"
    assert record.agent_id == "support-agent"
    assert record.agent_revision == 7
    assert record.status == "COMPLETED"
    assert record.input_tokens == 412
    assert record.total_cost == pytest.approx(0.0046)
    assert record.cached_tokens == 100
    assert record.delivery_status == "DELIVERED"
    assert record.run_type == "ROOT"
    assert record.environment_slug == "prod"
    assert record.trigger == {"type": "API"}
    assert record.destinations == [{"kind": "WEBHOOK"}]
    assert record.automation_governed is True
    assert record.was_addressed is True
    assert record.credits_charged == 0
    assert record.waiting_for is None
    assert record.duration_ms == 1242
    assert record.is_terminal is True
    # absent optionals
    assert record.network_id is None
    assert record.rejection_reason is None
    assert record.cache_write_tokens == 0


@pytest.mark.parametrize(
    ("payload", "duration", "terminal"),
    [
        ({"status": "IN_PROGRESS", "startTime": 10}, None, False),
        ({"status": "WAITING_FOR_ASYNC", "startTime": 10, "endTime": None}, None, False),
        ({"status": "failed", "startTime": 10, "endTime": 25}, 15, True),
        ({"status": "REJECTED", "startTime": 0, "endTime": 0}, 0, True),
        ({}, None, False),
    ],
)
def test_execution_record_derived_properties(payload, duration, terminal):
    record = decode_model(ExecutionRecord, _bytes(payload))
    assert record.duration_ms == duration
    assert record.is_terminal is terminal


def test_execution_record_optional_fields_of_wrong_type_become_none():
    record = decode_model(
        ExecutionRecord, b'{"wasAddressed": "yes", "creditsCharged": "", "endTime": null}'
    )
    assert record.was_addressed is None
    assert record.credits_charged is None
    assert record.end_time is None


def test_execution_trace_envelope_is_returned_raw(load_fixture, load_json):
    trace = ops.get_execution_trace("support-agent", "r1").decode(
        load_fixture("execution_trace.json")
    )
    assert trace == load_json("execution_trace.json")
    assert trace["trace"]["traces"][0]["steps"][0]["toolTrace"]["tool"]["id"] == "lookup_order"


def test_problem_details_model(load_fixture):
    problem = decode_model(ProblemDetails, load_fixture("problem_409_conflict.json"))
    assert problem.status == 409
    assert problem.title == "Conflict"
    assert problem.code == "notice_limit"
    assert problem.errors == {}


# -- list pages -------------------------------------------------------------------------


def test_list_agents_page_skips_deleted(load_fixture):
    page = ops.list_agents().decode(load_fixture("list_agents_page.json"))
    assert isinstance(page, ListPage)
    assert [a.id for a in page.items] == ["support-agent", "draft-agent"]
    assert page.next_page_token == "tok-2"
    assert page.total_count == 3
    assert page.items[0].enabled is True


def test_list_agents_bare_array_is_one_complete_page(load_fixture):
    page = ops.list_agents().decode(load_fixture("list_agents_bare_array.json"))
    assert [a.id for a in page.items] == ["support-agent", "sales-agent"]
    assert page.items[1].tags == ["sales"]
    assert page.next_page_token is None
    assert page.total_count is None


def test_bare_array_drops_items_that_are_not_objects():
    page = ops.list_tools("crm").decode(b'  [{"id": "t1"}, 3, null, "x"]')
    assert [t.id for t in page.items] == ["t1"]


def test_list_integrations_page(load_fixture):
    page = ops.list_integrations().decode(load_fixture("list_integrations_page.json"))
    assert [(i.id, i.type) for i in page.items] == [("crm", "CUSTOM"), ("slack", "SYSTEM")]
    assert page.items[1].tags == ["chat"]
    assert page.next_page_token == ""


def test_list_tools_page(load_fixture):
    page = ops.list_tools("crm").decode(load_fixture("list_tools_page.json"))
    assert [t.id for t in page.items] == ["lookup_order", "create_ticket"]
    assert page.items[1].is_async is False  # only a literal JSON true counts
    assert page.next_page_token is None
    assert page.total_count == 2


def test_empty_page_is_a_valid_page():
    page = ops.list_agents().decode(b'{"items": []}')
    assert page.items == []


@pytest.mark.parametrize(
    "body",
    [
        b'{"nextPageToken": "x"}',
        b'{"items": null}',
        b'{"items": "agents"}',
        b'{"chunks": [], "note": "items"}',
        b'"items"',
        b"[1,",
        b"<html>nope</html>",
    ],
)
def test_list_page_of_the_wrong_shape_is_unexpected_response(body):
    with pytest.raises(FruxonAPIError) as info:
        ops.list_agents().decode(body)
    assert info.value.status == 200
    assert info.value.title == "Unexpected response"


# -- robustness -------------------------------------------------------------------------


def test_unknown_fields_are_ignored():
    agent = decode_model(Agent, b'{"id": "a", "brandNew": {"x": [1, 2]}, "evaluationMetrics": 3}')
    assert agent.id == "a"
    assert not hasattr(agent, "brand_new")


@pytest.mark.parametrize("trace", [None, "junk", 5, []])
def test_trace_null_or_wrong_type_becomes_the_empty_trace(trace):
    result = decode_model(ExecutionResult, _bytes({"response": "hi", "trace": trace}))
    assert result.trace == ExecutionTrace()
    assert result.response == "hi"


@pytest.mark.parametrize("payload", [{"sessionId": None}, {"sessionId": ""}, {}])
def test_missing_session_id_is_none(payload):
    assert decode_model(ExecutionResult, _bytes(payload)).session_id is None


def test_response_null_becomes_empty_string():
    assert decode_model(ExecutionResult, b'{"response": null}').response == ""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, 0),
        ("", 0),
        ("junk", 0),
        ("3", 3),
        (3, 3),
        (3.0, 3),
        ("4.0", 4),
        (True, 0),
        ("nan", 0),
        ("inf", 0),
        ([1], 0),
        ({"n": 1}, 0),
    ],
)
def test_numeric_fields_are_coerced(raw, expected):
    trace = decode_model(
        ExecutionTrace,
        _bytes({"agentRevision": raw, "duration": raw, "totalCost": raw, "inputTokens": raw}),
    )
    assert trace.agent_revision == expected
    assert trace.duration == expected
    assert trace.input_tokens == expected
    assert trace.total_cost == float(expected)
    assert isinstance(trace.total_cost, float)


def test_nested_numeric_coercion_inside_execution_result():
    body = _bytes({"trace": {"agentRevision": "3", "duration": "junk", "inputCost": None}})
    trace = decode_model(ExecutionResult, body).trace
    assert (trace.agent_revision, trace.duration, trace.input_cost) == (3, 0, 0.0)


def test_agent_current_revision_null_is_zero():
    assert decode_model(Agent, b'{"currentRevision": null}').current_revision == 0


def test_any_typed_fields_survive_the_slow_path():
    agent = decode_model(Agent, b'{"deletedAt": {"at": 1}, "tags": [1, "t"]}')
    assert agent.deleted_at == {"at": 1}
    assert agent.tags == ["t"]


def test_types_the_cleaner_does_not_know_pass_through():
    class Odd(msgspec.Struct):
        when: datetime.datetime | None = None
        count: int = 0

    odd = lenient_convert(Odd, {"when": "2024-01-02T03:04:05Z", "count": "junk"})
    assert odd.when == datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    assert odd.count == 0


def test_tags_with_non_strings_are_dropped():
    agent = decode_model(Agent, b'{"id": "a", "tags": ["x", 1, null, {"y": 2}, "z", true]}')
    assert agent.tags == ["x", "z"]
    assert agent.id == "a"


def test_tags_that_are_not_a_list_fall_back_to_empty():
    assert decode_model(Agent, b'{"tags": "x"}').tags == []


@pytest.mark.parametrize(
    "managed", [{}, {"ownership": ""}, {"ownership": None, "ownerId": "x"}, None, "MANAGED"]
)
def test_managed_by_without_ownership_is_none(managed):
    assert decode_model(Agent, _bytes({"id": "a", "managedBy": managed})).managed_by is None


def test_managed_by_cleans_its_own_fields():
    agent = decode_model(
        Agent,
        b'{"managedBy": {"ownership": "LINKED", "roles": ["x", 2], "linkedOwnerCount": "4"}}',
    )
    assert agent.managed_by == ManagedBy(ownership="LINKED", roles=["x"], linked_owner_count=4)


@pytest.mark.parametrize(
    "raw", ["yes", "", None, [True], {"v": True}, "false", 0, "true", "True", 1, "1", 1.0]
)
def test_bools_that_are_not_true_are_false(raw):
    """Spec §3.6: only a literal JSON ``true`` is true (no coercion of strings or numbers)."""
    assert decode_model(Agent, _bytes({"enabled": raw, "id": "a"})).enabled is False
    assert decode_model(Tool, _bytes({"isAsync": raw, "id": "t"})).is_async is False


def test_dict_field_of_wrong_type_falls_back():
    assert decode_model(Tool, b'{"descriptor": [1], "id": "t"}').descriptor == {}


@pytest.mark.parametrize(
    ("model", "body"),
    [
        (Agent, b"[]"),
        (Agent, b'"agent"'),
        (Agent, b"null"),
        (ExecutionResult, b"42"),
        (Tool, b"not json"),
        (Integration, b""),
        (ExecutionRecord, b'{"id": '),
    ],
)
def test_non_object_or_invalid_body_is_unexpected_response(model, body):
    with pytest.raises(FruxonAPIError) as info:
        decode_model(model, body)
    assert info.value.status == 200
    assert info.value.title == "Unexpected response"
    assert str(info.value).startswith("200 Unexpected response: ")


@pytest.mark.parametrize("body", [b"[1, 2]", b"null", b"oops", b'"x"'])
def test_raw_dict_operations_reject_non_objects(body):
    for call in (
        ops.get_execution_trace("a", "r"),
        ops.verify_integration("crm", {}),
        ops.test_tool("crm", {}),
    ):
        with pytest.raises(FruxonAPIError) as info:
            call.decode(body)
        assert (info.value.status, info.value.title) == (200, "Unexpected response")


def test_raw_dict_operations_return_the_object():
    body = b'{"success": false, "error": "bad key", "authorizationUrl": null}'
    assert ops.verify_integration("crm", {}).decode(body) == {
        "success": False,
        "error": "bad key",
        "authorizationUrl": None,
    }
    assert ops.test_tool("crm", {}).decode(b'{"response": "ok"}') == {"response": "ok"}


def test_delete_tool_decodes_to_none():
    assert ops.delete_tool("crm", "t").decode(b"") is None


def test_decode_helpers():
    assert decode_json(b"[1]") == [1]
    assert decode_object(b'{"a": 1}') == {"a": 1}
    with pytest.raises(FruxonAPIError, match="not valid JSON"):
        decode_json(b"{")
    with pytest.raises(FruxonAPIError, match="got list"):
        decode_object(b"[]", what="trace")
    assert lenient_convert(Agent, {"id": "a", "tags": [1, "t"]}) == Agent(id="a", tags=["t"])
    assert lenient_convert(Agent, "not a dict") == Agent()


def test_models_are_frozen():
    agent = Agent(id="a")
    with pytest.raises(AttributeError):
        agent.id = "b"  # type: ignore[misc]


def test_execution_request_omits_none_fields():
    encoded = msgspec.json.encode(ExecutionRequest(session_id="s", mode="SANDBOX"))
    assert json.loads(encoded) == {"sessionId": "s", "mode": "SANDBOX"}


@pytest.mark.parametrize("endpoint", list(ep.ENDPOINTS.values()), ids=list(ep.ENDPOINTS))
def test_every_endpoint_decodes_an_empty_object_unless_it_lists(endpoint):
    """`{}` is a valid (all-defaults) body everywhere except where a list is required."""
    if endpoint.decode_response is not None:  # answers told apart by status or headers
        request = Request("GET", "http://x/", {})
        endpoint.decode_response(Response(200, {}, b"{}", request))
    elif endpoint.paged:
        with pytest.raises(FruxonAPIError, match="different shape"):
            endpoint.decode(b"{}")
    else:
        endpoint.decode(b"{}")
