"""Every state of a run, from the API (survey §3.3.2): a paced run is seen
IN_PROGRESS, `:cancelRun` stops it (202) or a parked one (204), `:cancelWait`
resolves a consult, and the list, result, tree and seed-era routes read it all."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from fruxon_emulator import EmulatorServer

SLOW = {"X-Fruxon-Emulator-Fault": "pacing_ms=250"}
RECORDS = "agents/slow-agent/executionRecords"


def problem(reply: Any, status: int) -> dict[str, Any]:
    assert reply.status == status, reply.body
    assert reply.content_type == "application/problem+json"
    body: dict[str, Any] = reply.json()
    assert body["status"] == status
    return body


class OpenStream:
    """A stream read frame by frame while the test does other things."""

    def __init__(self, api: Any, suffix: str, body: Any, headers: Any) -> None:
        self.connection = http.client.HTTPConnection(api.host, api.port, timeout=10)
        all_headers = {"X-API-KEY": api.key, "Content-Type": "application/json", **headers}
        self.connection.request("POST", api.path(suffix), json.dumps(body), all_headers)
        self.response = self.connection.getresponse()
        assert self.response.status == 200
        self.record_id = self.response.getheader("X-Fruxon-Emulator-Record-Id")

    def frame(self) -> tuple[str, Any]:
        lines = []
        while True:
            line = self.response.readline().decode()
            if line in ("\n", ""):
                break
            lines.append(line.rstrip("\n"))
        assert len(lines) == 2, lines
        return lines[0][len("event: ") :], json.loads(lines[1][len("data: ") :])

    def until(self, name: str) -> list[tuple[str, Any]]:
        frames = [self.frame()]
        while frames[-1][0] != name:
            frames.append(self.frame())
        return frames

    def rest(self, api: Any) -> list[tuple[str, Any]]:
        frames: list[tuple[str, Any]] = api.parse_frames(self.response.read())
        self.connection.close()
        return frames


def test_a_paced_stream_is_in_progress_until_it_ends(api: Any) -> None:
    paced = {"X-Fruxon-Emulator-Fault": "pacing_ms=120"}
    stream = OpenStream(api, "agents/slow-agent:stream", {}, paced)
    stream.until("text")
    record = api.record("slow-agent", stream.record_id)
    assert (record["status"], record["endTime"]) == ("IN_PROGRESS", None)
    envelope = api.get(f"{RECORDS}/{stream.record_id}/trace").json()
    assert envelope["status"] == "IN_PROGRESS"
    assert envelope["trace"]["endTime"] == 0
    assert "result" not in envelope["trace"]
    assert api.get(f"{RECORDS}/{stream.record_id}/result").json()["result"] == {}
    running = api.get(f"{RECORDS}?status=IN_PROGRESS&pageSize=100").json()["items"]
    assert stream.record_id in [item["id"] for item in running]
    assert stream.rest(api)[-1][0] == "done"
    assert api.record("slow-agent", stream.record_id)["status"] == "COMPLETED"


def test_cancel_run_asks_a_running_stream_to_stop(api: Any) -> None:
    stream = OpenStream(api, "agents/slow-agent:stream", {"parameters": {"message": "hi"}}, SLOW)
    before = stream.until("text")
    reply = api.post(f"{RECORDS}/{stream.record_id}:cancelRun", {"reason": "user left"})
    assert (reply.status, reply.body) == (202, b"")
    frames = before + stream.rest(api)
    names = [name for name, _ in frames]
    assert names.count("text") <= 3  # stopped early: the full reply has 8 chunks
    assert frames[-2] == ("status", {"status": "CANCELLED"})
    assert frames[-1] == ("error", {"message": "The run was cancelled.", "code": "run_cancelled"})
    assert "done" not in names
    record = api.record("slow-agent", stream.record_id)
    assert record["status"] == "CANCELLED"
    assert record["cancellationReason"] == "user left"
    assert record["endTime"] >= record["startTime"]
    trace = api.get(f"{RECORDS}/{stream.record_id}/trace").json()["trace"]
    assert trace["endTime"] == record["endTime"]
    assert "result" not in trace
    answer = trace["traces"][0]["steps"][-1]
    assert (answer["type"], answer["status"]) == ("LLM_STEP", "CANCELLED")
    problem(api.post(f"{RECORDS}/{stream.record_id}:cancelRun"), 409)


def test_cancel_run_asks_a_running_execute_to_stop(api: Any) -> None:
    answers: list[Any] = []
    caller = threading.Thread(
        target=lambda: answers.append(api.post("agents/slow-agent:execute", headers=SLOW))
    )
    caller.start()
    found: list[str] = []

    def running() -> bool:
        items = api.get(f"{RECORDS}?status=IN_PROGRESS&pageSize=100").json()["items"]
        found[:] = [item["id"] for item in items]
        return bool(found)

    assert api.wait_for(running)
    reply = api.post(f"{RECORDS}/{found[0]}:cancelRun")
    assert reply.status == 202
    caller.join(10)
    (answer,) = answers
    assert problem(answer, 409)["code"] == "run_cancelled"
    assert api.record("slow-agent", found[0])["status"] == "CANCELLED"


def test_cancel_run_stops_a_parked_run_at_once(api: Any) -> None:
    run = api.post("agents/approval-agent:execute").json()
    record_id, approval_id = run["executionRecordId"], run["humanApprovalRequestId"]
    reply = api.post(f"agents/approval-agent/executionRecords/{record_id}:cancelRun")
    assert (reply.status, reply.body) == (204, b"")
    record = api.record("approval-agent", record_id)
    assert record["status"] == "CANCELLED"
    assert "waitingFor" not in record
    approval = api.get(f"agents/approval-agent/pendingApprovals/{approval_id}").json()
    assert approval["status"] == "CANCELLED"  # nothing is left waiting for a decision
    body = problem(api.post(f"agents/approval-agent/executionRecords/{record_id}:cancelRun"), 409)
    assert body["code"] == "run_finished"
    assert "CANCELLED" in body["detail"]


def test_cancel_run_of_a_finished_run_is_a_conflict(api: Any) -> None:
    record_id = api.post("agents/echo-agent:execute").json()["executionRecordId"]
    body = problem(api.post(f"agents/echo-agent/executionRecords/{record_id}:cancelRun"), 409)
    assert body["code"] == "run_finished"
    assert api.record("echo-agent", record_id)["status"] == "COMPLETED"
    problem(api.post("agents/echo-agent/executionRecords/no-such-record:cancelRun"), 404)
    problem(api.post(f"agents/echo-agent/executionRecords/{record_id}:cancelRun", [1]), 400)


def test_consult_waits_until_cancel_wait_resolves_it(api: Any) -> None:
    _raw, frames = api.stream_frames("agents/consult-agent:stream")
    done = frames[-1]
    assert done[0] == "done"
    assert done[1]["status"] == "WaitingForAsync"
    assert "trace" not in done[1]
    assert frames[-2] == ("status", {"status": "WaitingForAsync"})
    record_id = done[1]["executionRecordId"]
    record = api.record("consult-agent", record_id)
    assert record["status"] == "WAITING_FOR_ASYNC"
    waiting = record["waitingFor"]
    assert waiting == done[1]["waitingFor"]
    assert waiting["kind"] == "CONSULT"
    assert (waiting["displayName"], waiting["participantKind"]) == ("Finance team", "HUMAN")
    assert waiting["topicId"]
    assert waiting["id"]
    assert waiting["waitingSince"] > 0
    assert waiting["expiresAt"] == 0

    reply = api.post(f"agents/consult-agent/executionRecords/{record_id}:cancelWait", {})
    assert (reply.status, reply.body) == (204, b"")
    record = api.record("consult-agent", record_id)
    assert record["status"] == "COMPLETED"
    result = api.get(f"agents/consult-agent/executionRecords/{record_id}/result").json()
    assert result["result"] == {
        "strValue": 'No answer from Finance team; my best guess on "Can we extend the discount?":'
        " not this quarter."
    }
    again = api.post(f"agents/consult-agent/executionRecords/{record_id}:cancelWait")
    assert problem(again, 409)["code"] == "wait_resolved"


def test_cancel_wait_refuses_approval_waits_and_runs_that_never_waited(api: Any) -> None:
    paused = api.post("agents/approval-agent:execute").json()
    path = f"agents/approval-agent/executionRecords/{paused['executionRecordId']}:cancelWait"
    body = problem(api.post(path, {"reason": "x"}), 400)
    assert body["errors"] == {"waitingFor.kind": ["is APPROVAL, not CONSULT"]}
    assert api.record("approval-agent", paused["executionRecordId"])["status"] == (
        "WAITING_FOR_ASYNC"
    )
    done = api.post("agents/echo-agent:execute").json()["executionRecordId"]
    problem(api.post(f"agents/echo-agent/executionRecords/{done}:cancelWait"), 404)


def test_execute_of_a_consult_pause(api: Any) -> None:
    body = api.post("agents/consult-agent:execute", {"parameters": {"question": "Q?"}}).json()
    assert body["status"] == "WaitingForAsync"
    assert body["waitingFor"]["kind"] == "CONSULT"
    assert "humanApprovalRequestId" not in body
    assert body["response"] == "Asking Finance team about: Q?"
    cancel = api.post(
        f"agents/consult-agent/executionRecords/{body['executionRecordId']}:cancelRun"
    )
    assert cancel.status == 204
    assert api.record("consult-agent", body["executionRecordId"])["status"] == "CANCELLED"


def test_result_is_typed(api: Any) -> None:
    text = api.post("agents/echo-agent:execute").json()["executionRecordId"]
    result = api.get(f"agents/echo-agent/executionRecords/{text}/result").json()
    assert set(result) == {"agentId", "agentRevision", "createdAt", "parameters", "result"}
    assert result["result"] == {"strValue": "Echo (turn 1): Hello from the Fruxon emulator!"}

    report = api.post("agents/report-agent:execute", {"parameters": {"topic": "q3"}}).json()
    result = api.get(f"agents/report-agent/executionRecords/{report['executionRecordId']}/result")
    (link,) = report["links"]
    assert result.json()["result"] == {"fileLink": link["promptLink"]}
    assert link["promptLink"] == f"<text:{link['fileId']}/>"
    assert (link["displayName"], link["contentType"]) == ("report-q3.md", "text/markdown")
    download = api.get(f"storage/{link['fileId']}")
    assert download.status == 200
    assert download.body == b"# Report: q3\n\nTickets: 128 opened, 121 closed.\n"
    assert download.content_type == "text/markdown"


def test_tree_is_the_root_run(api: Any) -> None:
    body = api.post("agents/support-agent:execute", {"parameters": {"question": "q"}}).json()
    record_id = body["executionRecordId"]
    tree = api.get(f"agents/support-agent/executionRecords/{record_id}/tree").json()
    assert tree["rootExecutionId"] == record_id
    (node,) = tree["nodes"]
    assert set(node) == {
        "id",
        "agentId",
        "parentExecutionRecordId",
        "parentAsyncOperationId",
        "depth",
        "runType",
        "status",
        "startTime",
        "endTime",
        "durationMs",
        "totalCost",
        "creditsCharged",
        "subject",
        "trigger",
    }
    assert (node["id"], node["depth"], node["runType"], node["status"]) == (
        record_id,
        0,
        "ROOT",
        "COMPLETED",
    )
    assert node["durationMs"] == body["trace"]["duration"]
    assert node["totalCost"] == body["trace"]["totalCost"]
    assert tree["totals"] == {
        "runs": 1,
        "failed": 0,
        "cost": body["trace"]["totalCost"],
        "credits": 0,
        "elapsedMs": body["trace"]["duration"],
        "truncatedByRetention": False,
    }
    paused = api.post("agents/approval-agent:execute").json()["executionRecordId"]
    open_tree = api.get(f"agents/approval-agent/executionRecords/{paused}/tree").json()
    assert open_tree["nodes"][0]["durationMs"] is None
    assert open_tree["nodes"][0]["status"] == "WAITING_FOR_ASYNC"
    problem(api.get("agents/approval-agent/executionRecords/nope/tree"), 404)


def test_seed_era_colon_routes_answer_like_the_current_ones(api: Any) -> None:
    record_id = api.post(
        "agents/support-agent:execute", {"parameters": {"question": "seed?"}}
    ).json()["executionRecordId"]
    current = api.get(f"agents/support-agent/executionRecords/{record_id}/trace")
    seed = api.get(f"agents/support-agent/executionRecords/{record_id}:trace")
    assert (seed.status, seed.json()) == (200, current.json())
    current = api.get("agents/support-agent/revisions/3/parameters")
    seed = api.get("agents/support-agent/revisions/3:parameters")
    assert (seed.status, seed.json()) == (200, current.json())
    assert seed.json()["parameters"] == ["question"]
    problem(api.get("agents/support-agent/revisions/99:parameters"), 404)
    problem(api.get("agents/support-agent/executionRecords/nope:trace"), 404)


# -- the list -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def runs(make_api: Any) -> Iterator[dict[str, Any]]:
    """A private emulator with a known set of support-agent runs."""
    with EmulatorServer(pacing_ms=0) as world:
        yield _make_runs(make_api(world))


def _make_runs(api: Any) -> dict[str, Any]:
    ask = {"parameters": {"question": "first"}, "sessionId": "session-a"}
    first = api.post("agents/support-agent:execute", ask).json()
    time.sleep(0.01)
    second = api.post(
        "agents/support-agent:execute",
        {"parameters": {"question": "second"}, "sessionId": "session-a"},
    ).json()
    time.sleep(0.01)
    pinned = api.post(
        "agents/support-agent/revisions/1:execute",
        {"parameters": {"question": "pinned"}, "environmentSlug": "eu"},
    ).json()
    flow = {"steps": [{"id": "in", "type": "ENTRY_POINT"}, {"id": "out", "type": "EXIT_POINT"}]}
    test = api.post(
        "agents/support-agent:test", {"flow": flow, "parameters": {"question": "test"}}
    ).json()
    return {"api": api, "first": first, "second": second, "pinned": pinned, "test": test}


def listed(runs: dict[str, Any], query: str = "") -> list[str]:
    reply = runs["api"].get(f"agents/support-agent/executionRecords{query}")
    assert reply.status == 200, reply.body
    return [item["id"] for item in reply.json()["items"]]


def rid(runs: dict[str, Any], *names: str) -> list[str]:
    return [runs[name]["executionRecordId"] for name in names]


def test_list_is_newest_first_and_production_by_default(runs: dict[str, Any]) -> None:
    assert listed(runs) == rid(runs, "pinned", "second", "first")
    assert listed(runs, "?origin=TEST") == rid(runs, "test")
    assert listed(runs, "?origin=PRODUCTION,TEST")[0] == rid(runs, "test")[0]
    page = runs["api"].get("agents/support-agent/executionRecords").json()
    assert page["items"][0] == runs["api"].record("support-agent", rid(runs, "pinned")[0])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?sessionId=session-a", ["second", "first"]),
        ("?sessionId=nope", []),
        ("?agentRevision=1", ["pinned"]),
        ("?revision=3", ["second", "first"]),
        ("?agentRevision=1&agentRevision=3", ["pinned", "second", "first"]),
        ("?status=COMPLETED", ["pinned", "second", "first"]),
        ("?status=failed,CANCELLED", []),
        ("?environment=eu", ["pinned"]),
        ("?runType=ROOT", ["pinned", "second", "first"]),
        ("?triggerType=API", ["pinned", "second", "first"]),
        ("?hasToolCalls=true", ["pinned", "second", "first"]),
        ("?tools=knowledge-base.kb_search", ["pinned", "second", "first"]),
        ("?tools=github.list_commits", []),
        ("?withToolErrors=true", []),
        ("?participantId=p1", []),
        ("?minDurationMs=0&maxDurationMs=100000", ["pinned", "second", "first"]),
        ("?minDurationMs=100000", []),
    ],
)
def test_list_filters(runs: dict[str, Any], query: str, expected: list[str]) -> None:
    assert listed(runs, query) == rid(runs, *expected)


def test_list_time_window(runs: dict[str, Any]) -> None:
    first, second = (runs["api"].record("support-agent", i) for i in rid(runs, "first", "second"))
    assert listed(runs, f"?startTime={second['startTime']}") == rid(runs, "pinned", "second")
    assert listed(runs, f"?endTime={second['startTime']}") == rid(runs, "first")
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(first["startTime"] / 1000 - 60))
    assert listed(runs, f"?startTime={iso}") == rid(runs, "pinned", "second", "first")
    assert listed(runs, "?startTime=2000-01-01T00:00:00&endTime=2000-01-02T00:00:00") == []


def test_list_query_needs_a_window(runs: dict[str, Any]) -> None:
    api = runs["api"]
    start = api.record("support-agent", rid(runs, "first")[0])["startTime"]
    assert listed(runs, f"?query=SECOND&startTime={start}") == rid(runs, "second")
    problem(api.get("agents/support-agent/executionRecords?query=second"), 400)
    long_ago = start - 40 * 24 * 3600 * 1000
    reply = api.get(f"agents/support-agent/executionRecords?query=second&startTime={long_ago}")
    assert "31 days" in problem(reply, 400)["errors"]["query"][0]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?status=DONE", "status"),
        ("?origin=STAGING", "origin"),
        ("?agentRevision=x", "agentRevision"),
        ("?startTime=yesterday", "startTime"),
        ("?endTime=12:00", "endTime"),
        ("?runType=LEAF", "runType"),
        ("?hasToolCalls=maybe", "hasToolCalls"),
        ("?minDurationMs=1.5", "minDurationMs"),
        ("?pageSize=-1", "pageSize"),
        ("?pageToken=garbage", "pageToken"),
    ],
)
def test_list_rejects_bad_filters(runs: dict[str, Any], query: str, field: str) -> None:
    reply = runs["api"].get(f"agents/support-agent/executionRecords{query}")
    assert field in problem(reply, 400)["errors"]


@pytest.mark.parametrize("token_key", ["pageToken", "page_token"])
def test_list_pages(runs: dict[str, Any], token_key: str) -> None:
    seen, token = [], ""
    for _ in range(5):
        page = (
            runs["api"]
            .get(f"agents/support-agent/executionRecords?pageSize=2&{token_key}={token}")
            .json()
        )
        seen += [item["id"] for item in page["items"]]
        assert page["totalCount"] == 3
        token = page["nextPageToken"]
        if not token:
            break
    assert seen == rid(runs, "pinned", "second", "first")


def test_list_of_an_unknown_agent_is_404(api: Any) -> None:
    problem(api.get("agents/nobody/executionRecords"), 404)


def test_a_run_cut_off_by_a_stop_is_failed_after_a_restart(tmp_path: Any, make_api: Any) -> None:
    db = tmp_path / "records.sqlite"
    server = EmulatorServer(db=db).start()
    stream = OpenStream(make_api(server), "agents/slow-agent:stream", {}, SLOW)
    stream.until("text")
    record_id = stream.record_id
    server.stop()  # mid-stream: the record was IN_PROGRESS
    stream.connection.close()
    with EmulatorServer(db=db) as again:
        record = make_api(again).record("slow-agent", record_id)
        assert record["status"] == "FAILED"
        assert record["error"] == "The emulator stopped while the run was in progress."
