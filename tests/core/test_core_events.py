"""Stream events: payload decoding, typed payloads, result recovery and SSE re-encoding."""

from __future__ import annotations

import json

import pytest

from fruxon_core.events import (
    Done,
    ResultCollector,
    StatusChange,
    StepTrace,
    StreamErrorPayload,
    StreamEvent,
    TextChunk,
    ToolCall,
    ToolResult,
    Usage,
    decode_event_data,
    decode_stream_event,
    encode_sse,
    stream_error,
)
from fruxon_core.exceptions import FruxonStreamError
from fruxon_core.models import ExecutionResult, ExecutionTrace
from fruxon_core.sse import ServerSentEvent, SSEDecoder
from tests.core.conftest import add_all

EVENT_KINDS = [
    "text",
    "tool_call",
    "tool_result",
    "usage",
    "status",
    "step_trace",
    "error",
    "done",
]


def _event(load_json, kind: str, fixture: str | None = None) -> StreamEvent:
    return StreamEvent(kind, load_json(f"events/{fixture or kind}.json"))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ('{"chunk": "hi"}', {"chunk": "hi"}),
        ("[1, 2]", {"value": [1, 2]}),
        ('"text"', {"value": "text"}),
        ("42", {"value": 42}),
        ("null", {"value": None}),
        ("{not json", {"_raw": "{not json"}),
        ("plain words", {"_raw": "plain words"}),
        ("", {}),
    ],
)
def test_decode_event_data(data, expected):
    assert decode_event_data(data) == expected


def test_decode_stream_event_keeps_name_and_id():
    event = decode_stream_event(ServerSentEvent("text", '{"chunk": "a"}', "7"))
    assert event == StreamEvent("text", {"chunk": "a"}, "7")
    assert decode_stream_event(ServerSentEvent()).data == {}
    assert decode_stream_event(ServerSentEvent()).event == "message"


def test_text_payload(load_json):
    payload = _event(load_json, "text").payload
    assert payload == TextChunk(chunk="Your order ")


def test_tool_call_payload(load_json):
    payload = _event(load_json, "tool_call").payload
    assert isinstance(payload, ToolCall)
    assert payload.id == "step-2"
    assert payload.name == "lookup_order"
    assert payload.arguments == {"order_id": "ORD-1042"}
    assert payload.start_time == 1717000000500
    assert payload.tool_trace["toolType"] == "API"


@pytest.mark.parametrize(
    ("tool_trace", "name"),
    [
        ({"tool": {"name": "n"}, "displayName": "D"}, "n"),
        ({"tool": {"name": 5}, "displayName": "D"}, "D"),
        ({"tool": "x", "displayName": "D"}, "D"),
        ({}, ""),
    ],
)
def test_tool_call_name_fallbacks(tool_trace, name):
    assert ToolCall(tool_trace=tool_trace).name == name


def test_tool_result_payload(load_json):
    payload = _event(load_json, "tool_result").payload
    assert payload == ToolResult(
        id="step-2",
        status="succeeded",
        result={"eta": "tomorrow"},
        end_time=1717000000900,
        duration_ms=400,
    )


# -- tool_result timing: bytes from the wire in, duration out ------------------------------


def _stream_events(wire: bytes) -> list[StreamEvent]:
    decoder = SSEDecoder()
    return [decode_stream_event(frame) for frame in [*decoder.feed(wire), *decoder.close()]]


TOOL_CALL_FRAME = (
    b"event: tool_call\n"
    b'data: {"id":"step-2","toolTrace":{"tool":{"name":"kb_search"}},'
    b'"arguments":{"q":"x"},"startTime":1717000000500}\n\n'
)


@pytest.mark.parametrize(
    ("result_data", "start_time", "end_time", "duration_ms"),
    [
        # what current servers send: only the end time; the start comes from the tool_call
        (
            b'{"id":"step-2","status":"succeeded","endTime":1717000000680}',
            1717000000500,
            1717000000680,
            180,
        ),
        # an explicit duration wins over the times
        (
            b'{"id":"step-2","endTime":1717000000680,"durationMs":400}',
            1717000000500,
            1717000000680,
            400,
        ),
        # older servers: "duration"
        (
            b'{"id":"step-2","endTime":1717000000680,"duration":250}',
            1717000000500,
            1717000000680,
            250,
        ),
        # the result's own startTime wins over the call's
        (
            b'{"id":"step-2","startTime":1717000000600,"endTime":1717000000680}',
            1717000000600,
            1717000000680,
            80,
        ),
        # a negative duration means unknown: derived from the times instead
        (
            b'{"id":"step-2","endTime":1717000000680,"durationMs":-1}',
            1717000000500,
            1717000000680,
            180,
        ),
        (
            b'{"id":"step-2","endTime":1717000000680,"duration":-9000}',
            1717000000500,
            1717000000680,
            180,
        ),
        # no end time: unknown
        (b'{"id":"step-2","status":"succeeded"}', 1717000000500, 0, None),
        # an end before the start is not a duration
        (b'{"id":"step-2","endTime":1717000000400}', 1717000000500, 1717000000400, None),
    ],
)
def test_tool_result_duration_from_the_wire(result_data, start_time, end_time, duration_ms):
    wire = TOOL_CALL_FRAME + b"event: tool_result\ndata: " + result_data + b"\n\n"
    events = _stream_events(wire)
    collector = ResultCollector()
    add_all(collector, events)  # what a client stream does with every event before yielding it

    payload = events[1].payload
    assert isinstance(payload, ToolResult)
    assert (payload.start_time, payload.end_time, payload.duration_ms) == (
        start_time,
        end_time,
        duration_ms,
    )


def test_tool_result_pairs_with_its_own_call_only():
    wire = (
        TOOL_CALL_FRAME
        + b'event: tool_call\ndata: {"id":"step-3","startTime":1717000001000}\n\n'
        + b'event: tool_result\ndata: {"id":"step-3","endTime":1717000001050}\n\n'
        + b'event: tool_result\ndata: {"id":"step-2","endTime":1717000001100}\n\n'
        + b'event: tool_result\ndata: {"id":"step-9","endTime":1717000001100}\n\n'
    )
    events = _stream_events(wire)
    add_all(ResultCollector(), events)
    durations = [event.payload.duration_ms for event in events if event.event == "tool_result"]
    assert durations == [50, 600, None]  # step-9 has no tool_call


def test_tool_result_without_its_call_has_no_duration():
    (event,) = _stream_events(b'event: tool_result\ndata: {"id":"step-2","endTime":5}\n\n')
    assert event.payload == ToolResult(id="step-2", end_time=5)
    assert event.payload.duration_ms is None


def test_pairing_leaves_the_event_as_the_server_sent_it():
    wire = (
        TOOL_CALL_FRAME + b'event: tool_result\ndata: {"id":"step-2","endTime":1717000000680}\n\n'
    )
    events = _stream_events(wire)
    add_all(ResultCollector(), events)
    assert events == _stream_events(wire)  # equality, repr and data are the wire's
    assert events[1].data == {"id": "step-2", "endTime": 1717000000680}
    assert "start" not in repr(events[1]).lower()
    assert encode_sse(events[1]) == wire[len(TOOL_CALL_FRAME) :]


def test_tool_result_built_by_hand_derives_its_duration():
    assert ToolResult(start_time=100, end_time=350).duration_ms == 250
    assert ToolResult(start_time=100, end_time=350, duration_ms=7).duration_ms == 7
    assert ToolResult(end_time=350).duration_ms is None
    assert ToolResult(duration_ms=-5).duration_ms is None


def test_streamed_tool_results_have_a_duration(fruxon_emulator):
    from fruxon_requests import FruxonClient

    with FruxonClient(
        api_key=fruxon_emulator.api_key,
        org=fruxon_emulator.org,
        base_url=fruxon_emulator.base_url,
    ) as client:
        events = list(client.stream("support-agent", parameters={"question": "q"}))
    (call,) = [e.payload for e in events if e.event == "tool_call"]
    (result,) = [e.payload for e in events if e.event == "tool_result"]
    assert "durationMs" not in events[[e.event for e in events].index("tool_result")].data
    assert result.start_time == call.start_time > 0
    assert result.duration_ms == result.end_time - call.start_time == 180  # the agent's script


def test_usage_payload(load_json):
    payload = _event(load_json, "usage").payload
    assert payload == Usage(
        input_tokens=412,
        output_tokens=57,
        cached_tokens=100,
        cache_write_tokens=3,
        thinking_tokens=12,
        web_search_calls=1,
    )


def test_status_payload(load_json):
    assert _event(load_json, "status").payload == StatusChange(status="WaitingForHuman")


def test_step_trace_payload(load_json):
    payload = _event(load_json, "step_trace").payload
    assert isinstance(payload, StepTrace)
    assert (payload.id, payload.display_name, payload.type) == (
        "step-1",
        "Support flow",
        "FLOW_STEP",
    )
    assert (payload.status, payload.duration, payload.error) == ("SUCCESS", 1242, "")
    assert payload.steps == [{"id": "step-2"}]


def test_error_payload(load_json):
    assert _event(load_json, "error").payload == StreamErrorPayload(
        message="The model provider is unavailable.", code="provider_unavailable"
    )


def test_done_payload(load_json):
    payload = _event(load_json, "done").payload
    assert isinstance(payload, Done)
    assert payload.execution_record_id == "3f0c8a52-5d7e-4a51-9a0e-2b1c7d9e8f10"
    assert payload.session_id == "sess-9f2c"
    assert payload.trace.agent_id == "support-agent"
    assert payload.trace.total_cost == pytest.approx(0.0046)
    assert payload.status is None
    assert payload.response is None
    assert payload.links is None


def test_done_hitl_payload(load_json):
    payload = _event(load_json, "done", "done_hitl").payload
    assert isinstance(payload, Done)
    assert payload.status == "WaitingForHuman"
    assert payload.human_approval_request_id == "a1b2c3d4-0000-4000-8000-000000000002"
    assert payload.trace == ExecutionTrace()


@pytest.mark.parametrize("name", ["heartbeat", "message", "draft", ""])
def test_unknown_event_has_no_payload(name):
    assert StreamEvent(name, {"x": 1}).payload is None


def test_payloads_tolerate_bad_values():
    assert StreamEvent("text", {"chunk": 5}).payload == TextChunk()
    assert StreamEvent("usage", {"inputTokens": "7", "outputTokens": None}).payload == Usage(
        input_tokens=7
    )
    assert StreamEvent("done", {"trace": None, "sessionId": 3}).payload == Done()


@pytest.mark.parametrize(("name", "terminal"), [(k, k in ("done", "error")) for k in EVENT_KINDS])
def test_is_terminal(name, terminal):
    assert StreamEvent(name, {}).is_terminal is terminal


@pytest.mark.parametrize(
    ("data", "message", "code"),
    [
        ({"message": "boom", "code": "E1"}, "boom", "E1"),
        ({"message": "boom", "code": 5}, "boom", None),
        ({"message": ""}, "the server sent no message", None),
        ({}, "the server sent no message", None),
    ],
)
def test_stream_error(data, message, code):
    error = stream_error(StreamEvent("error", data))
    assert isinstance(error, FruxonStreamError)
    assert (error.message, error.code) == (message, code)


# -- result recovery --------------------------------------------------------------------


def test_collector_rebuilds_the_result(load_json):
    collector = ResultCollector()
    for event in (
        StreamEvent("text", {"chunk": "Your order "}),
        _event(load_json, "tool_call"),
        _event(load_json, "tool_result"),
        StreamEvent("text", {"chunk": 12}),  # not a string: ignored
        StreamEvent("text", {"chunk": "ships tomorrow."}),
        StreamEvent("heartbeat", {}),
        _event(load_json, "done"),
    ):
        collector.add(event)
    result = collector.result()
    assert isinstance(result, ExecutionResult)
    assert result.response == "Your order ships tomorrow."
    assert collector.text == "Your order ships tomorrow."
    assert result.session_id == "sess-9f2c"
    assert result.execution_record_id == "3f0c8a52-5d7e-4a51-9a0e-2b1c7d9e8f10"
    assert result.trace.agent_revision == 7
    assert result.trace.duration == 1242
    assert result.status == "COMPLETED"
    assert result.links == []
    assert result.waiting_for_human is False


def test_collector_hitl_pause(load_json):
    collector = ResultCollector()
    collector.add(StreamEvent("text", {"chunk": "Waiting for approval."}))
    collector.add(_event(load_json, "status"))
    collector.add(_event(load_json, "done", "done_hitl"))
    result = collector.result()
    assert result.waiting_for_human is True
    assert result.status == "WaitingForHuman"
    assert result.human_approval_request_id == "a1b2c3d4-0000-4000-8000-000000000002"
    assert result.execution_record_id == "7d1e2c3b-0000-4000-8000-000000000001"
    assert result.response == "Waiting for approval."
    assert result.trace == ExecutionTrace()


def test_collector_usage_fills_only_missing_tokens(load_json):
    collector = ResultCollector()
    collector.add(_event(load_json, "usage"))
    collector.add(_event(load_json, "done"))  # its trace has outputTokens 60 only
    trace = collector.result().trace
    assert trace.output_tokens == 60  # from done, not overwritten by usage's 57
    assert trace.input_tokens == 412
    assert trace.cached_tokens == 100
    assert trace.cache_write_tokens == 3
    assert trace.web_search_calls == 1


def test_collector_prefers_done_response_and_links():
    collector = ResultCollector()
    collector.add(StreamEvent("text", {"chunk": "partial"}))
    collector.add(
        StreamEvent(
            "done",
            {"response": "full answer", "links": [{"fileId": "f"}], "status": "COMPLETED"},
        )
    )
    result = collector.result()
    assert result.response == "full answer"
    assert result.links == [{"fileId": "f"}]


def test_collector_done_with_empty_response_is_still_preferred():
    collector = ResultCollector()
    collector.add(StreamEvent("text", {"chunk": "partial"}))
    collector.add(StreamEvent("done", {"response": ""}))
    assert collector.result().response == ""


def test_collector_without_done_has_no_status():
    collector = ResultCollector()
    collector.add(StreamEvent("text", {"chunk": "a"}))
    assert collector.done is None
    result = collector.result()
    assert result.status is None
    assert result.response == "a"
    assert result.session_id is None


def test_collector_done_with_empty_session_id_is_none():
    collector = ResultCollector()
    collector.add(StreamEvent("done", {"sessionId": ""}))
    assert collector.result().session_id is None
    assert collector.result().status == "COMPLETED"


# -- SSE re-encoding --------------------------------------------------------------------


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_encode_sse_round_trips_every_fixture(load_json, kind):
    event = _event(load_json, kind)
    encoded = encode_sse(event)
    assert encoded.startswith(f"event: {kind}\n".encode())
    assert encoded.endswith(b"\n\n")
    decoder = SSEDecoder()
    frames = decoder.feed(encoded) + decoder.close()
    assert [decode_stream_event(f) for f in frames] == [event]


def test_encode_sse_with_id_and_unicode():
    event = StreamEvent("text", {"chunk": "héllo\nwörld ✓"}, id="42")
    encoded = encode_sse(event)
    assert encoded.split(b"\n")[:2] == [b"event: text", b"id: 42"]
    assert encoded.count(b"\n") == 4  # the newline inside the chunk is JSON-escaped
    decoder = SSEDecoder()
    (frame,) = decoder.feed(encoded)
    assert decode_stream_event(frame) == event
    assert json.loads(frame.data)["chunk"] == "héllo\nwörld ✓"


def test_encoded_stream_byte_by_byte(load_json):
    events = [_event(load_json, k) for k in ("text", "usage")] + [
        _event(load_json, "done", "done_hitl")
    ]
    stream = b"".join(encode_sse(e) for e in events)
    decoder = SSEDecoder()
    frames = []
    for i in range(len(stream)):
        frames += decoder.feed(stream[i : i + 1])
    frames += decoder.close()
    assert [decode_stream_event(f) for f in frames] == events
