"""SSE streams: exact byte framing, event order, incremental delivery."""

from __future__ import annotations

import http.client
import json
import re
import time
from typing import Any

FLOW = {"steps": [{"type": "ENTRY_POINT"}, {"type": "EXIT_POINT"}]}
FRAME = re.compile(rb"event: [a-z_]+\ndata: [^\n]+\n\n")


def stream_body(api: Any, suffix: str, body: Any, headers: Any = None) -> tuple[Any, bytes]:
    raw = api.raw("POST", api.path(suffix), body, headers)
    assert raw.status == 200, raw.head + raw.body
    data, complete = api.dechunk(raw.body)
    assert complete, "chunked stream must end with the terminating chunk"
    return raw, data


def test_stream_bytes_are_exact_frames(api: Any) -> None:
    raw, data = stream_body(api, "agents/count-agent:stream", {"parameters": {"count": 3}})
    assert raw.header("Content-Type") == "text/event-stream"
    assert raw.header("Transfer-Encoding") == "chunked"
    assert raw.header("Content-Length") is None
    assert data.startswith(b'event: status\ndata: {"status":"IN_PROGRESS"}\n\n')
    assert (
        b'event: text\ndata: {"chunk":"tok0 "}\n\n'
        b'event: text\ndata: {"chunk":"tok1 "}\n\n'
        b'event: text\ndata: {"chunk":"tok2 "}\n\n'
        b"event: step_trace\ndata: "
    ) in data
    assert FRAME.sub(b"", data) == b"", "nothing but complete frames"
    usage = (
        b'event: usage\ndata: {"inputTokens":41,"outputTokens":3,"cachedTokens":0,'
        b'"cacheWriteTokens":0,"thinkingTokens":0,"webSearchCalls":0}\n\n'
    )
    assert usage in data
    assert re.search(
        rb'event: done\ndata: \{"executionRecordId":"[0-9a-f-]{36}",'
        rb'"sessionId":"[0-9a-f-]{36}","trace":\{[^\n]+\}\}\n\n\Z',
        data,
    )


def test_stream_event_sequence(api: Any) -> None:
    _, data = stream_body(api, "agents/support-agent:stream", {"parameters": {"question": "q"}})
    frames = api.parse_frames(data)
    names = [name for name, _ in frames]
    assert names[0] == "status"
    assert names[-1] == "done"
    assert names.count("done") == 1
    assert "error" not in names
    assert names[1:4] == ["tool_call", "tool_result", "step_trace"]
    call, result = frames[1][1], frames[2][1]
    assert call["id"] == result["id"]
    assert call["toolTrace"]["tool"]["name"] == "kb_search"
    assert call["arguments"] == {"query": "q", "limit": 3}
    assert result["status"] == "succeeded"
    assert result["endTime"] >= call["startTime"]
    text = "".join(data["chunk"] for name, data in frames if name == "text")
    assert text.startswith("[rev 3] Turn 1:")
    assert '"q"' in text
    flow = [d for n, d in frames if n == "step_trace" and d["type"] == "FLOW_STEP"]
    assert len(flow) == 1
    usage = next(d for n, d in frames if n == "usage")
    done = frames[-1][1]
    assert done["trace"]["outputTokens"] == usage["outputTokens"]
    assert done["trace"]["agentRevision"] == 3
    record = api.get(f"agents/support-agent/executionRecords/{done['executionRecordId']}")
    assert record.json()["status"] == "COMPLETED"


def test_stream_matches_execute_response(api: Any) -> None:
    body = {"parameters": {"message": "same words"}}
    _, data = stream_body(api, "agents/echo-agent:stream", body)
    streamed = "".join(d["chunk"] for n, d in api.parse_frames(data) if n == "text")
    assert streamed == api.post("agents/echo-agent:execute", body).json()["response"]


def test_stream_session_follow_up(api: Any) -> None:
    _, data = stream_body(api, "agents/echo-agent:stream", {"parameters": {"message": "one"}})
    session = api.parse_frames(data)[-1][1]["sessionId"]
    _, data = stream_body(
        api, "agents/echo-agent:stream", {"parameters": {"message": "two"}, "sessionId": session}
    )
    text = "".join(d["chunk"] for n, d in api.parse_frames(data) if n == "text")
    assert text == 'Echo (turn 2, previously "one"): two'


def test_revision_stream_and_stream_test(api: Any) -> None:
    _, data = stream_body(
        api, "agents/support-agent/revisions/1:stream", {"parameters": {"question": "r"}}
    )
    frames = api.parse_frames(data)
    assert "".join(d["chunk"] for n, d in frames if n == "text").startswith("[rev 1]")
    assert frames[-1][1]["trace"]["agentRevision"] == 1
    _, data = stream_body(api, "agents/echo-agent:streamTest", {"flow": FLOW})
    done = api.parse_frames(data)[-1][1]
    record = api.get(f"agents/echo-agent/executionRecords/{done['executionRecordId']}").json()
    assert record["origin"] == "TEST"
    _, data = stream_body(api, "agents/echo-agent/revisions/1/draft:streamTest", {})
    assert api.parse_frames(data)[-1][0] == "done"


def test_errors_before_the_stream_opens_are_problem_json(api: Any) -> None:
    for body, status in (({}, 422), ({"parameters": []}, 400)):
        reply = api.post("agents/support-agent:stream", body)
        assert reply.status == status
        assert reply.content_type == "application/problem+json"
    assert api.post("agents/nope:stream").status == 404
    assert api.post("agents/legacy-agent:stream").status == 409


def test_count_agent_streams_twenty_thousand_events_fast(api: Any) -> None:
    started = time.monotonic()
    _, data = stream_body(api, "agents/count-agent:stream", {"parameters": {"count": 20000}})
    elapsed = time.monotonic() - started
    assert data.count(b"event: text\n") == 20000
    assert data.endswith(b"\n\n")
    assert elapsed < 10, elapsed


def test_events_are_delivered_incrementally(api: Any) -> None:
    """slow-agent paces 50 ms per chunk: the first chunk must arrive long
    before the last, which only happens if each frame is flushed on its own."""
    connection = http.client.HTTPConnection(api.host, api.port, timeout=10)
    try:
        connection.request(
            "POST",
            api.path("agents/slow-agent:stream"),
            body=b"{}",
            headers={"X-API-KEY": api.key, "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        started = time.monotonic()
        arrivals: list[tuple[str, float]] = []
        while True:
            line = response.readline()
            if not line:
                break
            if line.startswith(b"event: "):
                arrivals.append((line[7:].strip().decode(), time.monotonic() - started))
    finally:
        connection.close()
    texts = [at for name, at in arrivals if name == "text"]
    assert len(texts) >= 8
    assert texts[-1] - texts[0] >= 0.05 * (len(texts) - 1) * 0.8
    assert arrivals[-1][0] == "done"


def test_pacing_can_be_set_per_request(api: Any) -> None:
    header = {"X-Fruxon-Emulator-Fault": "pacing_ms=40"}
    started = time.monotonic()
    _, data = stream_body(api, "agents/echo-agent:stream", {}, header)
    chunks = sum(1 for name, _ in api.parse_frames(data) if name == "text")
    assert chunks > 3
    assert time.monotonic() - started >= 0.04 * (chunks - 1) * 0.9


def test_slow_agent_execute_takes_its_pacing(api: Any) -> None:
    started = time.monotonic()
    reply = api.post("agents/slow-agent:execute")
    assert reply.status == 200
    chunks = len(reply.json()["response"].split())
    assert time.monotonic() - started >= 0.05 * (chunks - 1) * 0.8


def test_stream_data_lines_are_single_line_json(api: Any) -> None:
    body = {"parameters": {"message": "line one\nline two \u2603"}}
    _, data = stream_body(api, "agents/echo-agent:stream", body)
    assert FRAME.sub(b"", data) == b""
    text = "".join(d["chunk"] for n, d in api.parse_frames(data) if n == "text")
    assert text.endswith("line one\nline two \u2603")
    assert json.loads(data.split(b"data: ", 1)[1].split(b"\n", 1)[0]) == {"status": "IN_PROGRESS"}
