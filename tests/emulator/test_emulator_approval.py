"""Runs that pause on a human-approval gate (`pause_for_approval`, `approval-agent`).

The stream ends in the `done` pause form (no trace), `:execute` answers
`WaitingForHuman` with a `humanApprovalRequestId`, and the record stays
`WAITING_FOR_ASYNC` with `waitingFor {kind: APPROVAL, id}` (spec §5.4, §7.3, §7.4).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from fruxon_emulator import ConfigError, parse_config

FLOW = {"steps": [{"id": "in", "type": "ENTRY_POINT"}, {"id": "out", "type": "EXIT_POINT"}]}
PAUSE_DONE_FIELDS = {"status", "executionRecordId", "sessionId", "humanApprovalRequestId"}


def stream_frames(api: Any, suffix: str, body: Any, headers: Any = None) -> tuple[Any, list[Any]]:
    raw = api.raw("POST", api.path(suffix), body, headers)
    assert raw.status == 200, raw.head + raw.body
    data, complete = api.dechunk(raw.body)
    assert complete, "the stream must end with the terminating chunk"
    return raw, api.parse_frames(data)


def record_of(api: Any, agent: str, record_id: str) -> dict[str, Any]:
    reply = api.get(f"agents/{agent}/executionRecords/{record_id}")
    assert reply.status == 200, reply.body
    record: dict[str, Any] = reply.json()
    return record


def test_approval_agent_is_shipped(api: Any) -> None:
    agent = api.get("agents/approval-agent").json()
    assert agent["enabled"] is True
    assert agent["tags"] == ["demo"]
    assert "approval-agent" in {a["id"] for a in api.get("agents?tags=demo").json()["items"]}


def test_paused_stream_ends_in_the_done_pause_form(api: Any) -> None:
    raw, frames = stream_frames(
        api, "agents/approval-agent:stream", {"parameters": {"request": "Refund order 7"}}
    )
    names = [name for name, _ in frames]
    assert frames[0] == ("status", {"status": "IN_PROGRESS"})
    text = "".join(data["chunk"] for name, data in frames if name == "text")
    assert text == "Drafted: Refund order 7. Waiting for a human to approve."
    assert frames[-2] == ("status", {"status": "WaitingForHuman"})
    assert names.count("done") == 1
    assert "error" not in names
    done = frames[-1]
    assert done[0] == "done"
    assert set(done[1]) == PAUSE_DONE_FIELDS  # no trace on a pause
    assert done[1]["status"] == "WaitingForHuman"
    approval_id = done[1]["humanApprovalRequestId"]
    assert str(uuid.UUID(approval_id)) == approval_id
    assert done[1]["executionRecordId"] == raw.header("X-Fruxon-Emulator-Record-Id")
    assert done[1]["sessionId"]
    steps = [data for name, data in frames if name == "step_trace"]
    assert [step["type"] for step in steps] == ["LLM_STEP", "HITL"]  # no FLOW_STEP: still open
    assert steps[1]["endTime"] == 0
    assert steps[1]["duration"] < 0  # started, not finished: "unknown" per the spec

    record = record_of(api, "approval-agent", done[1]["executionRecordId"])
    assert record["status"] == "WAITING_FOR_ASYNC"
    assert record["waitingFor"] == {"kind": "APPROVAL", "id": approval_id}
    assert record["endTime"] is None
    assert record["sessionId"] == done[1]["sessionId"]


def test_paused_execute_answers_waiting_for_human(api: Any) -> None:
    reply = api.post("agents/approval-agent:execute")
    assert reply.status == 200, reply.body
    body = reply.json()
    assert body["status"] == "WaitingForHuman"
    approval_id = body["humanApprovalRequestId"]
    uuid.UUID(approval_id)
    assert body["response"] == "Drafted: Refund order 1042. Waiting for a human to approve."
    trace = body["trace"]
    assert trace["agentId"] == "approval-agent"
    assert trace["endTime"] == 0  # a still-open trace (spec §2.8)
    assert "result" not in trace
    (flow,) = trace["traces"]
    assert (flow["type"], flow["endTime"]) == ("FLOW_STEP", 0)
    hitl = flow["steps"][-1]
    assert hitl["type"] == "HITL"
    assert hitl["hitlTrace"] == {"humanApprovalRequestId": approval_id}

    record = record_of(api, "approval-agent", body["executionRecordId"])
    assert record["status"] == "WAITING_FOR_ASYNC"
    assert record["waitingFor"] == {"kind": "APPROVAL", "id": approval_id}


def test_paused_record_keeps_the_record_shape(api: Any) -> None:
    completed = api.post("agents/echo-agent:execute").json()
    paused = api.post("agents/approval-agent:execute").json()
    completed_record = record_of(api, "echo-agent", completed["executionRecordId"])
    paused_record = record_of(api, "approval-agent", paused["executionRecordId"])
    assert paused_record.keys() == completed_record.keys() | {"waitingFor"}
    assert paused_record["inputTokens"] == paused["trace"]["inputTokens"] > 0

    envelope = api.get(
        f"agents/approval-agent/executionRecords/{paused['executionRecordId']}/trace"
    ).json()
    assert envelope["status"] == "WAITING_FOR_ASYNC"
    assert envelope["waitingFor"] == paused_record["waitingFor"]
    assert envelope["trace"]["endTime"] == 0


def test_completed_runs_are_unchanged(api: Any) -> None:
    body = api.post("agents/echo-agent:execute").json()
    assert body["status"] == "COMPLETED"
    assert "humanApprovalRequestId" not in body
    assert body["trace"]["endTime"] > 0
    record = record_of(api, "echo-agent", body["executionRecordId"])
    assert record["status"] == "COMPLETED"
    assert "waitingFor" not in record
    envelope = api.get(f"agents/echo-agent/executionRecords/{body['executionRecordId']}/trace")
    assert "waitingFor" not in envelope.json()
    _, frames = stream_frames(api, "agents/echo-agent:stream", {})
    assert "trace" in frames[-1][1]
    assert {"status": "WaitingForHuman"} not in [data for name, data in frames if name == "status"]


def test_every_run_gets_its_own_approval_request(api: Any) -> None:
    first = api.post("agents/approval-agent:execute").json()
    second = api.post("agents/approval-agent:execute").json()
    assert first["humanApprovalRequestId"] != second["humanApprovalRequestId"]
    assert first["executionRecordId"] != second["executionRecordId"]


def test_test_runs_pause_too(api: Any) -> None:
    body = api.post("agents/approval-agent:test", {"flow": FLOW}).json()
    assert body["status"] == "WaitingForHuman"
    record = record_of(api, "approval-agent", body["executionRecordId"])
    assert (record["status"], record["origin"]) == ("WAITING_FOR_ASYNC", "TEST")
    _, frames = stream_frames(api, "agents/approval-agent:streamTest", {"flow": FLOW})
    assert frames[-1][1]["status"] == "WaitingForHuman"


def test_an_injected_error_fails_the_paused_run(api: Any) -> None:
    fault = {"X-Fruxon-Emulator-Fault": "error_after=2"}
    raw, frames = stream_frames(api, "agents/approval-agent:stream", {}, fault)
    assert frames[-1][0] == "error"
    record = record_of(api, "approval-agent", raw.header("X-Fruxon-Emulator-Record-Id") or "")
    assert record["status"] == "FAILED"
    assert "waitingFor" not in record  # it no longer waits for anything


def test_pause_for_approval_in_a_custom_config(fruxon_emulator_factory: Any, make_api: Any) -> None:
    config = {
        "tenants": {"t": {"api_keys": ["k"]}},
        "agents": {
            "gate": {
                "script": {
                    "reply": "About to call.",
                    "pause_for_approval": True,
                    "tool_calls": [{"tool": "lookup", "result": "found"}],
                }
            }
        },
    }
    api = make_api(fruxon_emulator_factory(config))
    _, frames = stream_frames(api, "agents/gate:stream", {})
    names = [name for name, _ in frames]
    assert names[:3] == ["status", "tool_call", "tool_result"]
    assert names[-2:] == ["status", "done"]
    assert frames[-1][1]["status"] == "WaitingForHuman"


def test_pause_for_approval_must_be_a_boolean() -> None:
    with pytest.raises(ConfigError, match=r"agents\.a\.script\.pause_for_approval"):
        parse_config('[tenants.t]\napi_keys=["k"]\n[agents.a.script]\npause_for_approval="yes"\n')
