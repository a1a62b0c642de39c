"""Running agents: execute, revisions, validation, sessions, idempotency,
test flows and the execution records they leave behind."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

FLOW = {"steps": [{"id": "in", "type": "ENTRY_POINT"}, {"id": "out", "type": "EXIT_POINT"}]}
TRACE_FIELDS = {
    "agentId",
    "agentRevision",
    "duration",
    "inputCost",
    "outputCost",
    "totalCost",
    "inputTokens",
    "outputTokens",
    "createdAt",
    "startTime",
    "endTime",
    "traces",
}


def ask(api: Any, question: str, **extra: Any) -> Any:
    return api.post("agents/support-agent:execute", {"parameters": {"question": question}, **extra})


def problem(reply: Any, status: int) -> dict[str, Any]:
    assert reply.status == status, reply.body
    assert reply.content_type == "application/problem+json"
    body: dict[str, Any] = reply.json()
    assert {"type", "title", "status", "detail", "instance"} <= body.keys()
    return body


def test_execute_returns_an_agent_execution_response(api: Any) -> None:
    reply = ask(api, "How do I reset my password?")
    assert reply.status == 200
    assert reply.content_type == "application/json"
    body = reply.json()
    assert body["status"] == "COMPLETED"
    assert "How do I reset my password?" in body["response"]
    assert body["response"].startswith("[rev 3] Turn 1:")
    uuid.UUID(body["executionRecordId"])
    assert body["sessionId"]
    assert body["links"] == [
        {"fileId": "kb-1042", "fileType": "text/html", "promptLink": "<link:kb-1042/>"}
    ]
    trace = body["trace"]
    assert trace.keys() >= TRACE_FIELDS
    assert trace["agentId"] == "support-agent"
    assert trace["agentRevision"] == 3
    assert trace["duration"] == trace["endTime"] - trace["startTime"] > 0
    assert trace["totalCost"] == pytest.approx(trace["inputCost"] + trace["outputCost"])
    assert trace["inputTokens"] > 0
    assert trace["outputTokens"] > 0


def test_trace_step_tree_has_flow_llm_and_tool_steps(api: Any) -> None:
    trace = ask(api, "tree?").json()["trace"]
    (root,) = trace["traces"]
    assert root["type"] == "FLOW_STEP"
    kinds = [step["type"] for step in root["steps"]]
    assert kinds == ["LLM_STEP", "TOOL", "LLM_STEP"]
    tool = root["steps"][1]
    assert tool["toolTrace"]["tool"] == {
        "integrationId": "knowledge-base",
        "id": "kb_search",
        "name": "kb_search",
    }
    assert tool["toolTrace"]["parameters"] == {"query": "tree?", "limit": 3}
    assert tool["result"]["jsonValue"]["hits"] == 3
    llm_costs = sum(
        s["llmStepTrace"]["outputCost"] for s in root["steps"] if s["type"] == "LLM_STEP"
    )
    assert llm_costs == pytest.approx(trace["outputCost"])


def test_execute_is_deterministic_apart_from_ids(api: Any) -> None:
    first, second = ask(api, "same").json(), ask(api, "same").json()
    assert first["response"] == second["response"]
    assert first["trace"]["totalCost"] == second["trace"]["totalCost"]
    assert first["executionRecordId"] != second["executionRecordId"]


@pytest.mark.parametrize(
    ("revision", "marker"),
    [(1, "[rev 1] I can only say hello"), (2, "[rev 2] Searching"), (3, "[rev 3] Turn 1")],
)
def test_execute_revision_runs_that_revision(api: Any, revision: int, marker: str) -> None:
    reply = api.post(
        f"agents/support-agent/revisions/{revision}:execute", {"parameters": {"question": "which?"}}
    )
    assert reply.status == 200, reply.body
    body = reply.json()
    assert body["response"].startswith(marker)
    assert body["trace"]["agentRevision"] == revision


def test_execute_revision_unknown_is_404(api: Any) -> None:
    problem(api.post("agents/support-agent/revisions/7:execute", {}), 404)
    problem(api.post("agents/nope/revisions/1:execute", {}), 404)


def test_missing_required_parameter_is_422(api: Any, emulator: Any) -> None:
    body = problem(api.post("agents/support-agent:execute", {}), 422)
    assert body["errors"] == {"parameters.question": ["is required"]}
    body = problem(
        api.post("agents/support-agent:execute", {"parameters": {"question": None}}), 422
    )
    assert emulator.stats()["runs"]["total"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json", "$"),
        (b"[1, 2]", "$"),
        (b'{"parameters": NaN}', "$"),
        (b"\xff\xfe", "$"),
        ({"parameters": "question=x"}, "parameters"),
        ({"sessionId": 42, "parameters": {"question": "x"}}, "sessionId"),
        ({"attachments": {}, "parameters": {"question": "x"}}, "attachments"),
        ({"mode": "TURBO", "parameters": {"question": "x"}}, "mode"),
        ({"environmentSlug": "x" * 65, "parameters": {"question": "x"}}, "environmentSlug"),
        ({"parameters": {"question": 5}}, "parameters.question"),
    ],
)
def test_malformed_bodies_are_400_with_errors(api: Any, body: Any, field: str) -> None:
    found = problem(api.post("agents/support-agent:execute", body), 400)
    assert field in found["errors"]


def test_wrong_parameter_types_for_count_agent(api: Any) -> None:
    assert problem(api.post("agents/count-agent:execute", {"parameters": {"count": "lots"}}), 400)[
        "errors"
    ]["parameters.count"] == ["must be an integer"]
    problem(api.post("agents/count-agent:execute", {"parameters": {"count": -1}}), 400)
    ok = api.post("agents/count-agent:execute", {"parameters": {"count": "3"}})
    assert ok.json()["response"] == "tok0 tok1 tok2 "


def test_count_agent_default_and_echo_default(api: Any) -> None:
    assert api.post("agents/count-agent:execute").json()["response"] == "".join(
        f"tok{i} " for i in range(10)
    )
    echo = api.post("agents/echo-agent:execute").json()
    assert echo["response"] == "Echo (turn 1): Hello from the Fruxon emulator!"
    assert echo["trace"]["traces"][0]["steps"][0]["type"] == "LLM_STEP"


def test_disabled_agent_is_409(api: Any) -> None:
    body = problem(api.post("agents/legacy-agent:execute"), 409)
    assert body["code"] == "agent_disabled"


def test_sessions_remember_earlier_turns(api: Any) -> None:
    first = ask(api, "Where is my order?").json()
    follow = ask(api, "And the invoice?", sessionId=first["sessionId"]).json()
    assert follow["sessionId"] == first["sessionId"]
    assert "Turn 2" in follow["response"]
    assert "Where is my order?" in follow["response"]
    third = ask(api, "Thanks", sessionId=first["sessionId"]).json()
    assert "Turn 3" in third["response"]
    assert "And the invoice?" in third["response"]
    fresh = ask(api, "New chat").json()
    assert "Turn 1" in fresh["response"]


def test_sessions_are_cleared_by_reset(api: Any, emulator: Any) -> None:
    first = ask(api, "before reset").json()
    emulator.reset()
    again = ask(api, "after reset", sessionId=first["sessionId"]).json()
    assert "Turn 1" in again["response"]


def test_idempotent_execute_replays_without_running(api: Any, emulator: Any) -> None:
    key = {"Idempotency-Key": f"key-{uuid.uuid4()}"}
    body = {"parameters": {"question": "once"}}
    first = api.post("agents/support-agent:execute", body, headers=key)
    second = api.post("agents/support-agent:execute", body, headers=key)
    assert first.status == second.status == 200
    assert first.body == second.body
    assert second.headers["Idempotent-Replayed"] == "true"
    stats = emulator.stats()
    assert stats["runs"]["byAgent"] == {"support-agent": 1}
    assert stats["idempotentReplays"] == 1
    assert stats["requests"]["byAgent"]["support-agent"] == 2


def test_idempotency_key_reused_with_other_body_is_409(api: Any) -> None:
    key = {"Idempotency-Key": f"key-{uuid.uuid4()}"}
    api.post("agents/support-agent:execute", {"parameters": {"question": "a"}}, headers=key)
    reused = api.post(
        "agents/support-agent:execute", {"parameters": {"question": "b"}}, headers=key
    )
    assert problem(reused, 409)["code"] == "idempotency_key_reused"


def test_failed_attempt_does_not_burn_the_idempotency_key(api: Any) -> None:
    key = {"Idempotency-Key": f"key-{uuid.uuid4()}"}
    problem(api.post("agents/support-agent:execute", {}, headers=key), 422)
    assert (
        api.post(
            "agents/support-agent:execute", {"parameters": {"question": "ok"}}, headers=key
        ).status
        == 200
    )


def test_test_runs_inline_flow_with_origin_test(api: Any) -> None:
    reply = api.post("agents/support-agent:test", {"flow": FLOW, "parameters": {"question": "t"}})
    assert reply.status == 200, reply.body
    body = reply.json()
    assert body["status"] == "COMPLETED"
    assert body["trace"]["agentRevision"] == -1
    record = api.get(f"agents/support-agent/executionRecords/{body['executionRecordId']}").json()
    assert record["origin"] == "TEST"
    assert record["trigger"] == {"type": "TEST"}


def test_test_uses_inline_parameters_metadata(api: Any) -> None:
    body = {
        "flow": FLOW,
        "parametersMetadata": [
            {"name": "question", "type": "STRING", "required": False, "defaultValue": "dflt"}
        ],
    }
    assert "dflt" in api.post("agents/support-agent:test", body).json()["response"]
    strict = {"flow": FLOW, "parametersMetadata": [{"name": "topic", "required": True}]}
    problem(api.post("agents/echo-agent:test", strict), 422)


@pytest.mark.parametrize(
    "flow",
    [
        {"steps": [{"type": "ENTRY_POINT"}]},
        {"steps": [{"type": "EXIT_POINT"}]},
        {"steps": [{"type": "ENTRY_POINT"}, {"type": "ENTRY_POINT"}, {"type": "EXIT_POINT"}]},
        {"steps": "ENTRY_POINT,EXIT_POINT"},
        {},
    ],
)
def test_test_rejects_invalid_flows(api: Any, flow: dict[str, Any]) -> None:
    body = problem(api.post("agents/echo-agent:test", {"flow": flow}), 400)
    assert "flow.steps" in body["errors"]
    assert problem(api.post("agents/echo-agent:streamTest", {"flow": flow}), 400)


def test_test_requires_a_flow(api: Any) -> None:
    assert problem(api.post("agents/echo-agent:test", {}), 400)["errors"]["flow"] == ["is required"]


def test_disabled_agents_can_still_be_tested(api: Any) -> None:
    assert api.post("agents/legacy-agent:test", {"flow": FLOW}).status == 200


def test_draft_test_route_of_2_0_2(api: Any) -> None:
    reply = api.post(
        "agents/support-agent/revisions/2/draft:test",
        {"parameters": {"question": "d"}},
        headers={"If-Match": "7"},
    )
    assert reply.status == 200
    assert reply.json()["response"].startswith("[rev 2]")
    problem(
        api.post("agents/support-agent/revisions/2/draft:test", {}, headers={"If-Match": "abc"}),
        400,
    )


def test_execution_record_trace_and_result(api: Any) -> None:
    run = ask(api, "record me", environmentSlug="staging").json()
    record_id = run["executionRecordId"]
    record = api.get(f"agents/support-agent/executionRecords/{record_id}").json()
    assert record["id"] == record_id
    assert record["agentId"] == "support-agent"
    assert record["agentRevision"] == 3
    assert record["status"] == "COMPLETED"
    assert record["origin"] == "PRODUCTION"
    assert record["environmentSlug"] == "staging"
    assert record["endTime"] - record["startTime"] == run["trace"]["duration"]
    assert record["totalCost"] == run["trace"]["totalCost"]
    envelope = api.get(f"agents/support-agent/executionRecords/{record_id}/trace").json()
    assert envelope["status"] == "COMPLETED"
    assert envelope["runType"] == "ROOT"
    assert envelope["rootExecutionId"] == record_id
    assert envelope["trace"]["traces"] == run["trace"]["traces"]
    result = api.get(f"agents/support-agent/executionRecords/{record_id}/result").json()
    assert result["result"] == {"strValue": run["response"]}
    assert result["parameters"] == {"question": "record me"}


def test_records_are_scoped_to_agent_and_tenant(api: Any, emulator: Any) -> None:
    record_id = ask(api, "scoped").json()["executionRecordId"]
    problem(api.get(f"agents/echo-agent/executionRecords/{record_id}"), 404)
    other = {"X-API-KEY": emulator.other_api_key}
    path = api.path(f"agents/other-agent/executionRecords/{record_id}", org="other-org")
    problem(api.request("GET", path, headers=other), 404)
