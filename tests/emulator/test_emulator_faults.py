"""Fault injection through X-Fruxon-Emulator-Fault and per-agent config."""

from __future__ import annotations

import email.utils
import http.client
import time
import uuid
from typing import Any

import pytest

from fruxon_emulator import EmulatorServer

FAULT = "X-Fruxon-Emulator-Fault"
COUNT_3 = {"parameters": {"count": 3}}


def fault(spec: str) -> dict[str, str]:
    return {FAULT: spec}


def runs(emulator: Any) -> int:
    total: int = emulator.stats()["runs"]["total"]
    return total


def test_latency_delays_the_response(api: Any) -> None:
    started = time.monotonic()
    assert api.get("agents", headers=fault("latency_ms=200")).status == 200
    assert time.monotonic() - started >= 0.19


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_status_fault_answers_problem_without_running(api: Any, emulator: Any, status: int) -> None:
    reply = api.post("agents/echo-agent:execute", headers=fault(f"status={status}"))
    assert reply.status == status
    assert reply.content_type == "application/problem+json"
    body = reply.json()
    assert body["status"] == status
    assert body["code"] == "emulator_fault"
    assert runs(emulator) == 0
    assert emulator.stats()["faultsInjected"] == 1


def test_status_fault_on_stream_route_does_not_run(api: Any, emulator: Any) -> None:
    reply = api.post("agents/echo-agent:stream", headers=fault("status=503"))
    assert reply.status == 503
    assert runs(emulator) == 0
    assert emulator.stats()["streams"]["started"] == 0


def test_429_carries_retry_after_seconds_or_date(api: Any) -> None:
    assert api.get("agents", headers=fault("status=429")).headers["Retry-After"] == "1"
    assert (
        api.get("agents", headers=fault("status=429; retry_after=7")).headers["Retry-After"] == "7"
    )
    dated = api.get("agents", headers=fault("status=429; retry_after=30; retry_after_date=1"))
    when = email.utils.parsedate_to_datetime(dated.headers["Retry-After"])
    assert 20 <= when.timestamp() - time.time() <= 40


def test_retry_after_on_other_statuses_only_when_asked(api: Any) -> None:
    assert "Retry-After" not in api.get("agents", headers=fault("status=503")).headers
    assert (
        api.get("agents", headers=fault("status=503; retry_after=2")).headers["Retry-After"] == "2"
    )


def test_times_and_key_fail_the_first_n_then_serve(api: Any, emulator: Any) -> None:
    spec = f"status=503; times=2; key={uuid.uuid4()}"
    statuses = [api.post("agents/echo-agent:execute", headers=fault(spec)).status for _ in range(4)]
    assert statuses == [503, 503, 200, 200]
    assert runs(emulator) == 2
    emulator.reset()
    assert api.post("agents/echo-agent:execute", headers=fault(spec)).status == 503


def test_times_without_key_uses_the_spec_as_key(api: Any) -> None:
    spec = f"status=502; times=1; latency_ms={uuid.uuid4().int % 5}"
    assert api.get("agents", headers=fault(spec)).status == 502
    assert api.get("agents", headers=fault(spec)).status == 200


def test_truncate_sends_half_the_declared_body(api: Any, emulator: Any) -> None:
    raw = api.raw("POST", api.path("agents/echo-agent:execute"), {}, fault("truncate=1"))
    declared = int(raw.header("Content-Length") or 0)
    assert raw.status == 200
    assert declared > 0
    assert len(raw.body) == declared // 2
    assert runs(emulator) == 1
    connection = http.client.HTTPConnection(api.host, api.port, timeout=5)
    try:
        connection.request(
            "GET", api.path("agents"), headers={"X-API-KEY": api.key, **fault("truncate=1")}
        )
        with pytest.raises(http.client.IncompleteRead):
            connection.getresponse().read()
    finally:
        connection.close()


def test_drop_after_aborts_without_terminal_event(api: Any, emulator: Any) -> None:
    raw = api.raw("POST", api.path("agents/count-agent:stream"), COUNT_3, fault("drop_after=2"))
    data, complete = api.dechunk(raw.body)
    assert not complete
    frames = api.parse_frames(data)
    assert [name for name, _ in frames] == ["status", "text"]
    assert runs(emulator) == 1
    assert emulator.stats()["faultsInjected"] == 1


def test_error_after_ends_with_an_error_event(api: Any) -> None:
    raw = api.raw("POST", api.path("agents/count-agent:stream"), COUNT_3, fault("error_after=3"))
    data, complete = api.dechunk(raw.body)
    assert complete
    assert data.endswith(
        b'event: error\ndata: {"message":"Injected fault after 3 events.",'
        b'"code":"emulator_fault"}\n\n'
    )
    frames = api.parse_frames(data)
    assert [name for name, _ in frames] == ["status", "text", "text", "error"]


def test_error_after_marks_the_record_failed(api: Any) -> None:
    raw = api.raw("POST", api.path("agents/count-agent:stream"), COUNT_3, fault("error_after=6"))
    assert api.parse_frames(api.dechunk(raw.body)[0])[-1][0] == "error"
    record_id = raw.header("X-Fruxon-Emulator-Record-Id")
    record = api.get(f"agents/count-agent/executionRecords/{record_id}").json()
    assert record["status"] == "FAILED"
    trace = api.get(f"agents/count-agent/executionRecords/{record_id}/trace").json()
    assert trace["status"] == "FAILED"


def test_error_after_beyond_the_last_event_never_fires(api: Any) -> None:
    raw = api.raw("POST", api.path("agents/count-agent:stream"), COUNT_3, fault("error_after=30"))
    assert api.parse_frames(api.dechunk(raw.body)[0])[-1][0] == "done"


def test_malformed_after_inserts_one_bad_frame_and_continues(api: Any) -> None:
    raw = api.raw(
        "POST", api.path("agents/count-agent:stream"), COUNT_3, fault("malformed_after=2")
    )
    data, complete = api.dechunk(raw.body)
    assert complete
    assert data.count(b'event: text\ndata: {"chunk": \n\n') == 1
    good, _bad, rest = data.partition(b'event: text\ndata: {"chunk": \n\n')
    assert [n for n, _ in api.parse_frames(good)] == ["status", "text"]
    assert api.parse_frames(rest)[-1][0] == "done"


def test_stall_sends_keepalive_pings(api: Any) -> None:
    started = time.monotonic()
    raw = api.raw(
        "POST",
        api.path("agents/count-agent:stream"),
        COUNT_3,
        fault("stall_after=2; stall_ms=300; keepalive_ms=100"),
    )
    assert time.monotonic() - started >= 0.29
    data, complete = api.dechunk(raw.body)
    assert complete
    head, _, tail = data.partition(b": ping\n\n: ping\n\n")
    assert [n for n, _ in api.parse_frames(head)] == ["status", "text"]
    assert not tail.startswith(b": ping")
    assert data.count(b": ping\n\n") == 2
    assert api.parse_frames(data)[-1][0] == "done"


def test_stall_without_keepalive_is_silent(api: Any) -> None:
    raw = api.raw(
        "POST", api.path("agents/count-agent:stream"), COUNT_3, fault("stall_after=1; stall_ms=100")
    )
    data, _ = api.dechunk(raw.body)
    assert b": ping" not in data


def test_a_client_leaving_during_a_silent_stall_ends_the_stream_at_once() -> None:
    """The stall notices the hang-up: the open-stream gauge drops long before the stall ends."""
    server = EmulatorServer().start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        conn.request(
            "POST",
            "/v1/tenants/acme-corp/agents/echo-agent:stream",
            body=b"{}",
            headers={"X-API-KEY": server.api_key, FAULT: "stall_after=1; stall_ms=30000"},
        )
        assert conn.getresponse().readline().startswith(b"event: status")
        assert server.stats()["streams"]["open"] == 1
        conn.close()
        deadline = time.monotonic() + 10
        while server.stats()["streams"]["open"] and time.monotonic() < deadline:
            time.sleep(0.02)
        streams = server.stats()["streams"]
        assert streams["open"] == 0
        assert streams["clientDisconnects"] == 1
        assert streams["completed"] == 0
    finally:
        server.stop()


def test_framing_close_is_close_delimited(api: Any) -> None:
    raw = api.raw("POST", api.path("agents/count-agent:stream"), COUNT_3, fault("framing=close"))
    assert raw.header("Transfer-Encoding") is None
    assert raw.header("Content-Length") is None
    assert raw.header("Connection") == "close"
    assert raw.body.startswith(b"event: status\ndata: ")
    assert raw.body.endswith(b"}\n\n")
    assert api.parse_frames(raw.body)[-1][0] == "done"


def test_final_blank_zero_omits_the_last_blank_line(api: Any) -> None:
    raw = api.raw(
        "POST",
        api.path("agents/count-agent:stream"),
        COUNT_3,
        fault("framing=close; final_blank=0"),
    )
    assert raw.body.endswith(b"}}\n")
    assert not raw.body.endswith(b"\n\n")
    assert raw.body.rsplit(b"\n\n", 1)[1].startswith(b"event: done\ndata: ")
    chunked = api.raw(
        "POST", api.path("agents/count-agent:stream"), COUNT_3, fault("final_blank=0")
    )
    data, complete = api.dechunk(chunked.body)
    assert complete
    assert data.endswith(b"}}\n")
    assert not data.endswith(b"\n\n")


def test_final_blank_applies_to_the_error_terminal(api: Any) -> None:
    raw = api.raw(
        "POST",
        api.path("agents/count-agent:stream"),
        COUNT_3,
        fault("framing=close; final_blank=0; error_after=1"),
    )
    assert raw.body.endswith(b'"code":"emulator_fault"}\n')


@pytest.mark.parametrize(
    "spec",
    [
        "bogus=1",
        "status=abc",
        "status=200",
        "framing=weird",
        "truncate=2",
        "latency_ms=-5",
        "no-equals-sign",
    ],
)
def test_invalid_fault_header_is_400(api: Any, spec: str) -> None:
    reply = api.get("agents", headers=fault(spec))
    assert reply.status == 400
    assert FAULT in reply.json()["errors"]


def test_agent_faults_from_config(fruxon_emulator_factory: Any, make_api: Any) -> None:
    config = {
        "tenants": {"t": {"api_keys": ["k"]}},
        "agents": {
            "flaky": {"script": {"reply": "finally"}, "faults": {"status": 503, "times": 2}},
            "laggy": {"script": {"reply": "late"}, "faults": {"latency_ms": 150}},
        },
    }
    server = fruxon_emulator_factory(config)
    api = make_api(server)
    assert [api.post("agents/flaky:execute").status for _ in range(3)] == [503, 503, 200]
    assert api.get("agents/flaky").status == 200  # only run routes carry agent faults
    started = time.monotonic()
    assert api.post("agents/laggy:execute").json()["response"] == "late"
    assert time.monotonic() - started >= 0.14
    assert server.stats()["runs"]["byAgent"] == {"flaky": 1, "laggy": 1}
    header_wins = api.post("agents/laggy:execute", headers=fault("latency_ms=0"))
    assert header_wins.status == 200
