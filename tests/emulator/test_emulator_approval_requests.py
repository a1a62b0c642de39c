"""Human approvals over the wire (survey §3.3.3): the approval requests that
paused runs wait on, listed, read, answered and cancelled, and what each
answer does to the run (COMPLETED, REJECTED, CANCELLED)."""

from __future__ import annotations

import time
from typing import Any

import pytest

APPROVAL_FIELDS = {
    "id",
    "status",
    "gateType",
    "stepIdentifier",
    "toolKey",
    "outboundMessage",
    "proposedParameters",
    "authorizedApprovers",
    "expiresAt",
    "decision",
    "agentId",
    "respondedBy",
    "respondedAt",
    "createdAt",
    "executionRecordId",
}
APPROVALS = "agents/approval-agent/pendingApprovals"
APPROVER = {"X-API-KEY": "fxn_emulator_approver_key"}


def problem(reply: Any, status: int) -> dict[str, Any]:
    assert reply.status == status, reply.body
    assert reply.content_type == "application/problem+json"
    body: dict[str, Any] = reply.json()
    assert body["status"] == status
    return body


def pause(api: Any, request: str = "Refund order 1042", agent: str = "approval-agent") -> Any:
    body = api.post(f"agents/{agent}:execute", {"parameters": {"request": request}}).json()
    assert body["status"] == "WaitingForHuman"
    return body


def respond(api: Any, approval_id: str, text: str, **kwargs: Any) -> Any:
    return api.post(f"{APPROVALS}/{approval_id}:respond", {"text": text}, **kwargs)


def ids(page: Any) -> list[str]:
    return [item["id"] for item in page["items"]]


def test_a_paused_run_leaves_a_pending_approval_request(api: Any) -> None:
    run = pause(api, "Refund order 77")
    approval_id = run["humanApprovalRequestId"]
    reply = api.get(f"{APPROVALS}/{approval_id}")
    assert reply.status == 200
    approval = reply.json()
    assert set(approval) == APPROVAL_FIELDS
    assert approval["id"] == approval_id
    assert approval["status"] == "PENDING"
    assert approval["gateType"] == "TOOL_FLOW_STEP"
    assert approval["toolKey"] == "payments.issue_refund"
    assert approval["outboundMessage"] == "Approve this refund? Refund order 77"
    assert approval["proposedParameters"] == {
        "request": "Refund order 77",
        "amount": 42.5,
        "currency": "EUR",
    }
    assert approval["authorizedApprovers"] == ["finance@acme.example"]
    assert (approval["expiresAt"], approval["decision"]) == (0, "")
    assert (approval["respondedBy"], approval["respondedAt"]) == ("", 0)
    assert approval["agentId"] == "approval-agent"
    assert approval["executionRecordId"] == run["executionRecordId"]
    hitl = run["trace"]["traces"][0]["steps"][-1]
    assert approval["stepIdentifier"] == hitl["id"]
    assert approval["createdAt"] == hitl["startTime"] > 0


def test_approve_lets_the_run_finish(api: Any) -> None:
    run = pause(api, "Refund order 5")
    approval_id, record_id = run["humanApprovalRequestId"], run["executionRecordId"]
    reply = respond(api, approval_id, "approve", headers={"X-Fruxon-Actor": "alice"})
    assert reply.status == 200, reply.body
    answered = reply.json()
    assert set(answered) == APPROVAL_FIELDS
    assert (answered["status"], answered["decision"]) == ("RESPONDED", "APPROVE")
    assert answered["respondedBy"] == "alice"
    assert answered["respondedAt"] >= answered["createdAt"]

    record = api.record("approval-agent", record_id)
    assert record["status"] == "COMPLETED"
    assert "waitingFor" not in record
    assert record["endTime"] > record["startTime"]
    assert record["outputTokens"] > run["trace"]["outputTokens"]  # the resumed answer counts

    result = api.get(f"agents/approval-agent/executionRecords/{record_id}/result").json()
    assert result["result"] == {"strValue": "Done: Refund order 5 (approved by alice)."}
    envelope = api.get(f"agents/approval-agent/executionRecords/{record_id}/trace").json()
    assert envelope["status"] == "COMPLETED"
    assert "waitingFor" not in envelope
    trace = envelope["trace"]
    assert trace["endTime"] == record["endTime"]
    assert trace["result"] == result["result"]
    (flow,) = trace["traces"]
    assert (flow["status"], flow["endTime"]) == ("SUCCESS", trace["endTime"])
    kinds = [step["type"] for step in flow["steps"]]
    assert kinds == ["LLM_STEP", "HITL", "TOOL", "LLM_STEP"]
    hitl, tool = flow["steps"][1], flow["steps"][2]
    assert hitl["status"] == "SUCCESS"
    assert hitl["endTime"] >= hitl["startTime"] > 0
    assert hitl["hitlTrace"] == {
        "humanApprovalRequestId": approval_id,
        "decision": "APPROVE",
        "respondedBy": "alice",
    }
    assert tool["toolTrace"]["tool"] == {
        "integrationId": "payments",
        "id": "issue_refund",
        "name": "issue_refund",
    }
    assert tool["toolTrace"]["parameters"]["request"] == "Refund order 5"
    assert tool["result"] == {"jsonValue": {"refundId": "rf_1042", "status": "issued"}}
    assert all(step["endTime"] > 0 for step in flow["steps"])


@pytest.mark.parametrize("text", ["approve", "Approve", "  APPROVED, go ahead", "approve."])
def test_texts_that_approve(api: Any, text: str) -> None:
    run = pause(api)
    assert respond(api, run["humanApprovalRequestId"], text).json()["decision"] == "APPROVE"
    assert api.record("approval-agent", run["executionRecordId"])["status"] == "COMPLETED"


@pytest.mark.parametrize("text", ["reject", "no", "Not now: the amount is wrong", "disapprove"])
def test_any_other_text_rejects(api: Any, text: str) -> None:
    run = pause(api)
    approval_id, record_id = run["humanApprovalRequestId"], run["executionRecordId"]
    answered = respond(api, approval_id, text).json()
    assert (answered["status"], answered["decision"]) == ("RESPONDED", "REJECT")
    assert answered["respondedBy"] == "api-key"  # no X-Fruxon-Actor header

    record = api.record("approval-agent", record_id)
    assert record["status"] == "REJECTED"
    assert (record["rejectionReason"], record["rejectionDetail"]) == ("APPROVAL_REJECTED", text)
    assert record["endTime"] is not None
    assert "waitingFor" not in record
    result = api.get(f"agents/approval-agent/executionRecords/{record_id}/result").json()
    assert result["result"] == {}  # no answer: the gated action never ran
    trace = api.get(f"agents/approval-agent/executionRecords/{record_id}/trace").json()["trace"]
    assert trace["endTime"] > 0
    hitl = trace["traces"][0]["steps"][-1]
    assert (hitl["type"], hitl["status"]) == ("HITL", "ERROR")
    assert hitl["hitlTrace"]["decision"] == "REJECT"
    assert text in hitl["error"]


def test_responding_twice_is_a_conflict(api: Any) -> None:
    run = pause(api)
    approval_id = run["humanApprovalRequestId"]
    assert respond(api, approval_id, "approve").status == 200
    for text in ("approve", "reject"):
        body = problem(respond(api, approval_id, text), 409)
        assert body["code"] == "approval_not_pending"
        assert "RESPONDED" in body["detail"]
    assert api.get(f"{APPROVALS}/{approval_id}").json()["decision"] == "APPROVE"  # unchanged


def test_cancel_withdraws_the_request_and_ends_the_run(api: Any) -> None:
    run = pause(api)
    approval_id, record_id = run["humanApprovalRequestId"], run["executionRecordId"]
    reply = api.post(f"{APPROVALS}/{approval_id}:cancel", {"reason": "customer withdrew"})
    assert reply.status == 200, reply.body
    cancelled = reply.json()
    assert (cancelled["status"], cancelled["decision"]) == ("CANCELLED", "")
    record = api.record("approval-agent", record_id)
    assert record["status"] == "CANCELLED"
    assert record["cancellationReason"] == "customer withdrew"
    assert record["endTime"] is not None
    trace = api.get(f"agents/approval-agent/executionRecords/{record_id}/trace").json()["trace"]
    assert trace["traces"][0]["steps"][-1]["status"] == "CANCELLED"
    assert problem(respond(api, approval_id, "approve"), 409)["code"] == "approval_not_pending"
    body = problem(api.post(f"{APPROVALS}/{approval_id}:cancel"), 409)
    assert body["code"] == "approval_not_pending"


def test_cancel_takes_an_empty_body(api: Any) -> None:
    run = pause(api)
    reply = api.request(
        "POST", api.path(f"{APPROVALS}/{run['humanApprovalRequestId']}:cancel"), b""
    )
    assert reply.status == 200, reply.body
    record = api.record("approval-agent", run["executionRecordId"])
    assert record["status"] == "CANCELLED"
    assert "cancellationReason" not in record


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "text"), ({"text": ""}, "text"), ({"text": "   "}, "text"), ({"text": 1}, "text")],
)
def test_respond_needs_text(api: Any, body: Any, field: str) -> None:
    run = pause(api)
    reply = api.post(f"{APPROVALS}/{run['humanApprovalRequestId']}:respond", body)
    assert field in problem(reply, 400)["errors"]
    assert api.get(f"{APPROVALS}/{run['humanApprovalRequestId']}").json()["status"] == "PENDING"


def test_cancel_reason_must_be_a_string(api: Any) -> None:
    run = pause(api)
    reply = api.post(f"{APPROVALS}/{run['humanApprovalRequestId']}:cancel", {"reason": 5})
    assert "reason" in problem(reply, 400)["errors"]


def test_unknown_approvals_and_agents_are_404(api: Any) -> None:
    run = pause(api)
    approval_id = run["humanApprovalRequestId"]
    problem(api.get(f"{APPROVALS}/00000000-0000-0000-0000-000000000000"), 404)
    problem(api.get(f"agents/echo-agent/pendingApprovals/{approval_id}"), 404)  # other agent
    problem(api.get("agents/nobody/pendingApprovals"), 404)
    problem(respond(api, "no-such-approval", "approve"), 404)
    other = api.request(
        "GET",
        api.path(f"agents/other-agent/pendingApprovals/{approval_id}", org="other-org"),
        headers={"X-API-KEY": "fxn_emulator_other_key"},
        auth=False,
    )
    problem(other, 404)  # another tenant never sees it


def test_tenant_list_filters_by_status_and_agent(
    fruxon_emulator_factory: Any, make_api: Any
) -> None:
    api = make_api(fruxon_emulator_factory())
    first, second, third = (pause(api, f"Refund {n}") for n in (1, 2, 3))
    respond(api, second["humanApprovalRequestId"], "approve")
    api.post(f"{APPROVALS}/{third['humanApprovalRequestId']}:cancel")
    newest_first = [
        third["humanApprovalRequestId"],
        second["humanApprovalRequestId"],
        first["humanApprovalRequestId"],
    ]
    assert ids(api.get("pendingApprovals").json()) == newest_first  # no status: all of them
    pending = api.get("pendingApprovals?status=PENDING").json()
    assert ids(pending) == [first["humanApprovalRequestId"]]
    assert ids(api.get("pendingApprovals?status=responded").json()) == newest_first[1:2]
    both = api.get("pendingApprovals?status=RESPONDED&status=CANCELLED").json()
    assert ids(both) == newest_first[:2]
    assert ids(api.get("pendingApprovals?status=CANCELLED,PENDING").json()) == [
        newest_first[0],
        newest_first[2],
    ]
    assert ids(api.get("pendingApprovals?agentId=approval-agent").json()) == newest_first
    assert api.get("pendingApprovals?agentId=echo-agent").json()["items"] == []
    assert api.get("pendingApprovals?agentId=no-such-agent").json()["items"] == []  # not 404
    body = problem(api.get("pendingApprovals?status=WAITING"), 400)
    assert "PENDING, RESPONDED, CANCELLED, EXPIRED" in body["errors"]["status"][0]


def test_agent_list_is_the_same_narrowed_to_the_agent(
    fruxon_emulator_factory: Any, make_api: Any
) -> None:
    api = make_api(fruxon_emulator_factory())
    runs = [pause(api, f"Refund {n}") for n in range(3)]
    page = api.get(f"{APPROVALS}?status=PENDING").json()
    assert ids(page) == [run["humanApprovalRequestId"] for run in reversed(runs)]
    assert page["items"] == api.get("pendingApprovals?agentId=approval-agent").json()["items"]
    assert api.get("agents/echo-agent/pendingApprovals").json()["items"] == []


@pytest.mark.parametrize("token_key", ["pageToken", "page_token"])
def test_approval_lists_are_paged(
    fruxon_emulator_factory: Any, make_api: Any, token_key: str
) -> None:
    api = make_api(fruxon_emulator_factory())
    expected = [pause(api, f"Refund {n}")["humanApprovalRequestId"] for n in range(5)][::-1]
    seen: list[str] = []
    token = ""
    for _ in range(5):
        page = api.get(f"pendingApprovals?pageSize=2&{token_key}={token}").json()
        seen += ids(page)
        assert page["totalCount"] == 5
        token = page["nextPageToken"]
        if not token:
            break
    assert seen == expected
    problem(api.get("pendingApprovals?pageToken=garbage"), 400)


def test_expired_requests_cancel_their_run(fruxon_emulator_factory: Any, make_api: Any) -> None:
    config = {
        "tenants": {"t": {"api_keys": ["k"]}},
        "agents": {
            "gate": {
                "script": {
                    "reply": "Wait.",
                    "llm_latency_ms": 0,
                    "pause_for_approval": True,
                    "approval": {"expires_after_ms": 50},
                }
            }
        },
    }
    api = make_api(fruxon_emulator_factory(config))
    run = api.post("agents/gate:execute").json()
    approval_id = run["humanApprovalRequestId"]
    approval = api.get(f"agents/gate/pendingApprovals/{approval_id}").json()
    assert approval["expiresAt"] == approval["createdAt"] + 50
    time.sleep(0.1)
    assert api.get("pendingApprovals?status=EXPIRED").json()["items"][0]["id"] == approval_id
    record = api.record("gate", run["executionRecordId"])
    assert record["status"] == "CANCELLED"
    assert record["cancellationReason"] == "The approval request expired."
    reply = api.post(f"agents/gate/pendingApprovals/{approval_id}:respond", {"text": "approve"})
    assert problem(reply, 409)["code"] == "approval_not_pending"


def test_resume_ms_keeps_the_approved_run_in_progress(
    fruxon_emulator_factory: Any, make_api: Any
) -> None:
    config = {
        "tenants": {"t": {"api_keys": ["k"]}},
        "agents": {
            "gate": {
                "script": {
                    "reply": "Wait.",
                    "pause_for_approval": True,
                    "approval": {"resume_ms": 1500, "approved_reply": "Finished."},
                }
            }
        },
    }
    api = make_api(fruxon_emulator_factory(config))
    run = api.post("agents/gate:execute").json()
    record_id = run["executionRecordId"]
    respond_path = f"agents/gate/pendingApprovals/{run['humanApprovalRequestId']}:respond"
    assert api.post(respond_path, {"text": "approve"}).status == 200
    record = api.record("gate", record_id)
    assert (record["status"], record["endTime"]) == ("IN_PROGRESS", None)
    assert "waitingFor" not in record
    assert api.get(f"agents/gate/executionRecords/{record_id}/result").json()["result"] == {}
    assert api.wait_for(lambda: api.record("gate", record_id)["status"] == "COMPLETED")
    result = api.get(f"agents/gate/executionRecords/{record_id}/result").json()
    assert result["result"] == {"strValue": "Finished."}

    second = api.post("agents/gate:execute").json()
    respond_path = f"agents/gate/pendingApprovals/{second['humanApprovalRequestId']}:respond"
    api.post(respond_path, {"text": "approve"})
    cancel = api.post(f"agents/gate/executionRecords/{second['executionRecordId']}:cancelRun")
    assert (cancel.status, cancel.body) == (202, b"")  # resuming: live, only asked to stop
    assert api.wait_for(
        lambda: api.record("gate", second["executionRecordId"])["status"] == "CANCELLED"
    )


def test_approvals_survive_a_restart_with_a_db_file(tmp_path: Any, make_api: Any) -> None:
    from fruxon_emulator import EmulatorServer

    db = tmp_path / "records.sqlite"
    with EmulatorServer(db=db) as first:
        run = pause(make_api(first), "Refund order 12")
    with EmulatorServer(db=db) as second:
        api = make_api(second)
        approval_id = run["humanApprovalRequestId"]
        assert api.get(f"{APPROVALS}/{approval_id}").json()["status"] == "PENDING"
        assert respond(api, approval_id, "approve", headers={"X-Fruxon-Actor": "bob"}).status == 200
        record_id = run["executionRecordId"]
        result = api.get(f"agents/approval-agent/executionRecords/{record_id}/result").json()
        assert result["result"] == {"strValue": "Done: Refund order 12 (approved by bob)."}


def test_deciding_needs_the_approvals_write_scope(api: Any) -> None:
    run = pause(api)
    approval_id = run["humanApprovalRequestId"]
    readonly = {"X-API-KEY": "fxn_emulator_readonly_key"}
    assert api.get(f"{APPROVALS}/{approval_id}", headers=readonly).status == 200
    assert api.get("pendingApprovals", headers=readonly).status == 200
    for verb, body in ((":respond", {"text": "approve"}), (":cancel", {})):
        reply = api.post(f"{APPROVALS}/{approval_id}{verb}", body, headers=readonly)
        assert problem(reply, 403)["required"] == "approvals:write"
    executing = api.post("agents/echo-agent:execute", headers=APPROVER)
    assert problem(executing, 403)["required"] == "agents:execute"  # may decide, not run
    reply = respond(api, approval_id, "approve", headers=APPROVER)
    assert reply.status == 200, reply.body
    assert reply.json()["decision"] == "APPROVE"


@pytest.mark.parametrize(
    ("script", "where"),
    [
        ("pause_for_approval = true\npause_for_consult = true\n", "exclude each other"),
        ("result_type = 'XML'\n", "result_type"),
        ("[agents.a.script.approval]\nexpires_after_ms = -1\n", "expires_after_ms"),
        ("[agents.a.script.approval]\napprovers = 'me'\n", "approvers"),
        ("[agents.a.script.consult]\nresume_ms = -5\n", "resume_ms"),
    ],
)
def test_bad_wait_settings_are_config_errors(script: str, where: str) -> None:
    from fruxon_emulator import ConfigError, parse_config

    with pytest.raises(ConfigError, match=where):
        parse_config(f'[tenants.t]\napi_keys=["k"]\n[agents.a.script]\n{script}')
