"""Streams: event kinds and typed payloads, result recovery, termination and release."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import pytest

from fruxon_core.events import (
    Done,
    StatusChange,
    StepTrace,
    StreamErrorPayload,
    StreamEvent,
    TextChunk,
    ToolCall,
    ToolResult,
    Usage,
)
from fruxon_core.exceptions import FruxonAPIError, FruxonStreamError, NotFoundError
from fruxon_core.models import ExecutionResult
from fruxon_emulator import EmulatorServer

QUESTION = {"question": "Tell me about your service"}
T = TypeVar("T")


def consume(stream: Iterable[T], seen: list[T]) -> None:
    """Append what ``stream`` yields to ``seen``, which keeps it if iteration raises."""
    for item in stream:
        seen.append(item)


def test_stream_yields_every_event_kind_in_order(client: Any) -> None:
    events = list(client.stream("support-agent", parameters=QUESTION))

    names = [event.event for event in events]
    assert names[:4] == ["status", "tool_call", "tool_result", "step_trace"]
    assert names[-4:] == ["step_trace", "step_trace", "usage", "done"]
    assert set(names[4:-4]) == {"text"}
    assert all(isinstance(event, StreamEvent) for event in events)
    assert all(isinstance(event.data, dict) for event in events)


def test_each_event_has_its_typed_payload(client: Any) -> None:
    events = list(client.stream("support-agent", parameters=QUESTION))
    by_name: dict[str, list[Any]] = {}
    for event in events:
        by_name.setdefault(event.event, []).append(event.payload)

    (status,) = by_name["status"]
    assert isinstance(status, StatusChange)
    assert status.status == "IN_PROGRESS"

    (call,) = by_name["tool_call"]
    (result,) = by_name["tool_result"]
    assert isinstance(call, ToolCall)
    assert isinstance(result, ToolResult)
    assert call.name == "kb_search"
    assert call.arguments == {"query": QUESTION["question"], "limit": 3}
    assert call.start_time > 0
    assert result.id == call.id  # tool_call and tool_result pair on the step id
    assert result.status == "succeeded"
    assert result.result["hits"] == 3

    steps = by_name["step_trace"]
    assert all(isinstance(step, StepTrace) for step in steps)
    assert [step.type for step in steps] == ["TOOL", "LLM_STEP", "FLOW_STEP"]
    assert all(step.status == "SUCCESS" for step in steps)

    texts = by_name["text"]
    assert all(isinstance(text, TextChunk) for text in texts)

    (usage,) = by_name["usage"]
    assert isinstance(usage, Usage)
    assert usage.output_tokens == len(texts)
    assert usage.input_tokens > 0

    (done,) = by_name["done"]
    assert isinstance(done, Done)
    assert done.execution_record_id
    assert done.session_id
    assert done.trace.agent_id == "support-agent"
    assert done.trace.agent_revision == 3


def test_text_chunks_add_up_to_the_execute_response(client: Any) -> None:
    streamed = "".join(
        event.data["chunk"]
        for event in client.stream("echo-agent", parameters={"message": "same words"})
        if event.event == "text"
    )
    executed = client.execute("echo-agent", parameters={"message": "same words"})
    assert streamed == executed.response == "Echo (turn 1): same words"


def test_collect_rebuilds_the_execution_result(client: Any) -> None:
    stream = client.stream("support-agent", parameters=QUESTION)
    result = stream.collect()

    assert isinstance(result, ExecutionResult)
    assert result.response.startswith("[rev 3] Turn 1:")
    assert QUESTION["question"] in result.response
    assert result.status == "COMPLETED"
    assert result.session_id
    assert result.execution_record_id
    assert result.trace.agent_id == "support-agent"
    assert result.trace.output_tokens > 0
    assert result.retries == 0
    record = client.get_execution_record("support-agent", result.execution_record_id)
    assert record.total_cost == pytest.approx(result.trace.total_cost)


def test_final_result_is_set_once_done_arrived(client: Any) -> None:
    with client.stream("echo-agent", parameters={"message": "final"}) as stream:
        first = next(iter(stream))
        assert first.event == "status"
        assert stream.final_result is None
        rest = list(stream)
        assert rest[-1].event == "done"
        result = stream.final_result
    assert isinstance(result, ExecutionResult)
    assert result.response == "Echo (turn 1): final"
    assert result.execution_record_id == rest[-1].data["executionRecordId"]


def test_iteration_ends_after_done(client: Any) -> None:
    stream = client.stream("echo-agent")
    events = list(stream)
    assert events[-1].event == "done"
    assert sum(event.event == "done" for event in events) == 1
    assert list(stream) == []  # exhausted for good


def test_stream_continues_a_session(client: Any) -> None:
    first = client.execute("support-agent", parameters={"question": "First question?"})
    result = client.stream(
        "support-agent", parameters={"question": "Second one?"}, session_id=first.session_id
    ).collect()
    assert result.session_id == first.session_id
    assert "Turn 2" in result.response
    assert "First question?" in result.response


def test_stream_of_a_pinned_revision(client: Any) -> None:
    result = client.stream("support-agent", parameters={"question": "Hi"}, revision=1).collect()
    assert result.response == "[rev 1] I can only say hello. You asked: Hi"
    assert result.trace.agent_revision == 1


def test_stream_test_streams_a_draft_flow(client: Any, draft_flow: dict[str, Any]) -> None:
    request = {"flow": draft_flow, "baseRevision": 3, "parameters": {"question": "draft?"}}
    events = list(client.stream_test("support-agent", request))
    assert events[-1].event == "done"
    assert events[-1].payload.trace.agent_revision == -1
    assert any(event.event == "text" for event in events)


def test_stream_text_yields_only_the_text(client: Any) -> None:
    chunks = list(client.stream_text("echo-agent", parameters={"message": "only text"}))
    assert all(isinstance(chunk, str) for chunk in chunks)
    assert "".join(chunks) == "Echo (turn 1): only text"
    assert len(chunks) > 1


def test_error_event_is_yielded_then_raised(faulty: Callable[..., Any]) -> None:
    client = faulty("error_after=3")
    seen: list[StreamEvent] = []
    with pytest.raises(FruxonStreamError) as caught:
        consume(client.stream("support-agent", parameters=QUESTION), seen)

    assert [event.event for event in seen] == ["status", "tool_call", "tool_result", "error"]
    payload = seen[-1].payload
    assert isinstance(payload, StreamErrorPayload)
    assert payload.code == "emulator_fault"
    error = caught.value
    assert isinstance(error, FruxonAPIError)
    assert error.message == payload.message
    assert error.code == "emulator_fault"


def test_stream_text_raises_instead_of_returning_truncated_text(
    faulty: Callable[..., Any],
) -> None:
    client = faulty("error_after=6")
    chunks: list[str] = []
    with pytest.raises(FruxonStreamError):
        consume(client.stream_text("support-agent", parameters=QUESTION), chunks)
    assert chunks == ["[rev ", "3] "]


def test_collect_raises_on_an_error_event(faulty: Callable[..., Any]) -> None:
    with pytest.raises(FruxonStreamError):
        faulty("error_after=1").stream("echo-agent").collect()


def test_http_error_before_the_stream_raises(client: Any) -> None:
    with pytest.raises(NotFoundError):
        list(client.stream("no-such-agent"))
    with pytest.raises(NotFoundError), client.stream("no-such-agent"):
        pass


def test_breaking_out_of_the_loop_releases_the_connection(
    client: Any, emulator: EmulatorServer, wait_for_stats: Callable[..., dict[str, Any]]
) -> None:
    seen = []
    for event in client.stream("slow-agent", parameters={"message": "one two three four five"}):
        seen.append(event.event)
        if event.event == "text":
            break
    assert seen == ["status", "text"]
    stats = wait_for_stats(lambda s: s["streams"]["open"] == 0)
    assert stats["streams"]["started"] == 1
    assert stats["streams"]["completed"] == 0
    assert stats["streams"]["clientDisconnects"] == 1


def test_leaving_the_with_block_releases_the_connection(
    client: Any, emulator: EmulatorServer, wait_for_stats: Callable[..., dict[str, Any]]
) -> None:
    with client.stream("slow-agent", parameters={"message": "one two three four five"}) as stream:
        for event in stream:
            if event.event == "text":
                break
        assert emulator.stats()["streams"]["completed"] == 0
    stats = wait_for_stats(lambda s: s["streams"]["open"] == 0)
    assert stats["streams"]["completed"] == 0
    assert stats["streams"]["clientDisconnects"] == 1


def test_closing_an_unstarted_stream_sends_nothing(client: Any, emulator: EmulatorServer) -> None:
    stream = client.stream("echo-agent")
    stream.close()
    assert list(stream) == []
    assert emulator.stats()["requests"]["total"] == 0


@pytest.mark.parametrize("framing", ["chunked", "close"])
def test_events_arrive_while_the_run_is_still_going(
    faulty: Callable[..., Any],
    emulator: EmulatorServer,
    wait_for_stats: Callable[..., dict[str, Any]],
    framing: str,
) -> None:
    # Each event reaches the caller as soon as its frame arrives, whatever the body
    # framing: when the first text chunk is in hand, the server has not finished
    # (or even produced) the rest of the run.
    client = faulty(f"framing={framing}; pacing_ms=60")
    with client.stream("slow-agent", parameters={"message": "a b c d e f g h"}) as stream:
        for event in stream:
            if event.event == "text":
                assert emulator.stats()["streams"] == {
                    "open": 1,
                    "started": 1,
                    "completed": 0,
                    "clientDisconnects": 0,
                }
                break
    wait_for_stats(lambda s: s["streams"]["open"] == 0)
