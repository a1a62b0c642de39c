"""Every emulator fault, seen through the client: retries, idempotency, broken streams."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import pytest

from fruxon_core import hookimpl
from fruxon_core.exceptions import (
    FruxonConnectionError,
    FruxonStreamError,
    FruxonTimeoutError,
    RateLimitError,
    ServerError,
)
from fruxon_core.models import ExecutionResult
from fruxon_core.pipeline import RetryDecision
from fruxon_emulator import EmulatorServer

Faulty = Callable[..., Any]
WaitForStats = Callable[..., dict[str, Any]]
QUESTION = {"question": "Is this thing on?"}
EXECUTE_ROUTE = "POST /v1/tenants/{tenant}/agents/{agent}:execute"


# -- whole-response faults -------------------------------------------------------------
T = TypeVar("T")


def consume(stream: Iterable[T], seen: list[T]) -> None:
    """Append what ``stream`` yields to ``seen``, which keeps it if iteration raises."""
    for item in stream:
        seen.append(item)


def test_latency_only_delays_the_answer(faulty: Faulty) -> None:
    result = faulty("latency_ms=30").execute("echo-agent", parameters={"message": "late"})
    assert result.response == "Echo (turn 1): late"
    assert result.retries == 0


def test_retries_are_visible_on_the_result(faulty: Faulty, emulator: EmulatorServer) -> None:
    result = faulty("status=503; times=2").execute("echo-agent", parameters={"message": "again"})

    assert result.response == "Echo (turn 1): again"
    assert result.retries == 2
    stats = emulator.stats()
    assert stats["requests"]["byRoute"][EXECUTE_ROUTE] == 3
    assert stats["runs"]["byAgent"] == {"echo-agent": 1}


def test_idempotency_key_is_reused_across_retries(
    faulty: Faulty, emulator: EmulatorServer, recorder: Any
) -> None:
    client = faulty("status=503; times=2", plugins=[recorder])
    client.execute("support-agent", parameters=QUESTION)

    keys = recorder.idempotency_keys
    assert len(keys) == 3
    assert keys[0]
    assert len(set(keys)) == 1
    assert emulator.stats()["runs"]["byAgent"] == {"support-agent": 1}


class RetryBrokenResponses:
    """Retries a call whose answer was cut off (which the default policy, rightly, does not
    do for execute): safe only because the Idempotency-Key makes the server replay it."""

    @hookimpl(tryfirst=True)
    def fruxon_retry_decision(self, error: Any, context: Any) -> RetryDecision | None:
        if isinstance(error, FruxonConnectionError):
            return RetryDecision.after(0.0)
        return None


def test_a_replayed_execute_runs_the_agent_once(faulty: Faulty, emulator: EmulatorServer) -> None:
    client = faulty("truncate=1; times=1", plugins=[RetryBrokenResponses()])
    result = client.execute("echo-agent", parameters={"message": "exactly once"})

    assert result.response == "Echo (turn 1): exactly once"
    assert result.retries == 1
    stats = emulator.stats()
    assert stats["requests"]["byRoute"][EXECUTE_ROUTE] == 2
    assert stats["runs"]["byAgent"] == {"echo-agent": 1}
    assert stats["idempotentReplays"] == 1


def test_truncated_body_is_a_connection_error(faulty: Faulty) -> None:
    with pytest.raises(FruxonConnectionError) as caught:
        faulty("truncate=1", max_retries=0).execute("echo-agent")
    assert not isinstance(caught.value, FruxonTimeoutError)
    assert caught.value.__cause__ is not None


def test_truncated_execute_is_not_retried_by_default(
    faulty: Faulty, emulator: EmulatorServer
) -> None:
    # The server ran the agent and may have answered: retrying is not safe by default.
    with pytest.raises(FruxonConnectionError):
        faulty("truncate=1; times=1").execute("echo-agent")
    assert emulator.stats()["requests"]["byRoute"][EXECUTE_ROUTE] == 1


def test_truncated_read_is_retried(faulty: Faulty, emulator: EmulatorServer) -> None:
    agent = faulty("truncate=1; times=1").get_agent("support-agent")
    assert agent.id == "support-agent"
    assert emulator.stats()["requests"]["byRoute"]["GET /v1/tenants/{tenant}/agents/{agent}"] == 2


def test_rate_limit_without_retries(faulty: Faulty) -> None:
    with pytest.raises(RateLimitError) as caught:
        faulty("status=429; retry_after=7", max_retries=0).execute("echo-agent")
    assert caught.value.status == 429
    assert caught.value.retry_after == 7.0
    assert caught.value.error_code == "emulator_fault"


def test_rate_limit_honours_retry_after(faulty: Faulty) -> None:
    result = faulty("status=429; retry_after=0; times=1").execute("echo-agent")
    assert result.retries == 1


def test_rate_limit_with_an_http_date(faulty: Faulty) -> None:
    with pytest.raises(RateLimitError) as caught:
        faulty("status=429; retry_after=30; retry_after_date=1", max_retries=0).execute(
            "echo-agent"
        )
    assert caught.value.retry_after is not None
    assert 20 <= caught.value.retry_after <= 31


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_without_retries(faulty: Faulty, status: int) -> None:
    with pytest.raises(ServerError) as caught:
        faulty(f"status={status}", max_retries=0).get_agent("support-agent")
    assert caught.value.status == status
    assert caught.value.retries == 0


def test_retries_give_up_after_max_retries(faulty: Faulty, emulator: EmulatorServer) -> None:
    with pytest.raises(ServerError) as caught:
        faulty("status=503", max_retries=1).execute("echo-agent")
    assert caught.value.retries == 1
    assert emulator.stats()["requests"]["byRoute"][EXECUTE_ROUTE] == 2


def test_execute_is_not_retried_after_a_500(faulty: Faulty, emulator: EmulatorServer) -> None:
    # A 500 may come after the agent ran; only 429/503 prove it did not.
    with pytest.raises(ServerError):
        faulty("status=500; times=1").execute("echo-agent")
    assert emulator.stats()["requests"]["byRoute"][EXECUTE_ROUTE] == 1


# -- stream faults ---------------------------------------------------------------------


def test_stream_retried_before_its_first_event(faulty: Faulty) -> None:
    stream = faulty("status=503; times=1").stream("echo-agent", parameters={"message": "hi"})
    result = stream.collect()
    assert result.response == "Echo (turn 1): hi"
    assert result.retries == 1


def test_connection_dropped_mid_stream(faulty: Faulty, emulator: EmulatorServer) -> None:
    seen: list[Any] = []
    with pytest.raises(FruxonConnectionError) as caught:
        consume(faulty("drop_after=4").stream("support-agent", parameters=QUESTION), seen)

    assert [event.event for event in seen] == ["status", "tool_call", "tool_result", "step_trace"]
    assert not isinstance(caught.value, (FruxonStreamError, FruxonTimeoutError))
    assert caught.value.retries == 0  # a started stream is never replayed
    assert emulator.stats()["runs"]["byAgent"] == {"support-agent": 1}


def test_connection_dropped_on_a_close_delimited_stream(faulty: Faulty) -> None:
    seen: list[Any] = []
    with pytest.raises(FruxonConnectionError):
        consume(faulty("framing=close; drop_after=2").stream("echo-agent"), seen)
    assert [event.event for event in seen] == ["status", "text"]


def test_stalled_stream_times_out(
    faulty: Faulty, wait_for_stats: WaitForStats, short_idle: Any
) -> None:
    seen: list[Any] = []
    with pytest.raises(FruxonTimeoutError):
        consume(
            faulty("stall_after=2; stall_ms=2000", timeout=short_idle).stream("echo-agent"), seen
        )
    assert [event.event for event in seen] == ["status", "text"]
    wait_for_stats(lambda s: s["streams"]["open"] == 0)  # let the server notice


def test_keepalive_pings_do_not_keep_a_stalled_stream_alive(
    faulty: Faulty, wait_for_stats: WaitForStats, short_idle: Any
) -> None:
    seen: list[Any] = []
    client = faulty("stall_after=2; stall_ms=2500; keepalive_ms=40", timeout=short_idle)
    with pytest.raises(FruxonTimeoutError):
        consume(client.stream("echo-agent"), seen)
    assert [event.event for event in seen] == ["status", "text"]
    stats = wait_for_stats(lambda s: s["streams"]["open"] == 0)
    assert stats["streams"]["clientDisconnects"] == 1


def test_a_stall_shorter_than_the_idle_timeout_is_fine(faulty: Faulty, short_idle: Any) -> None:
    client = faulty("stall_after=2; stall_ms=100; keepalive_ms=20", timeout=short_idle)
    result = client.stream("echo-agent", parameters={"message": "patience"}).collect()
    assert result.response == "Echo (turn 1): patience"


def test_malformed_event_is_yielded_raw_and_the_stream_goes_on(faulty: Faulty) -> None:
    events = list(faulty("malformed_after=2").stream("echo-agent", parameters={"message": "x y"}))

    malformed = events[2]
    assert malformed.event == "text"
    assert malformed.data == {"_raw": '{"chunk": '}
    assert events[-1].event == "done"
    chunks = [e.data["chunk"] for e in events if e.event == "text" and "chunk" in e.data]
    assert "".join(chunks) == "Echo (turn 1): x y"  # every real chunk is still there


def test_malformed_event_is_left_out_of_the_result(faulty: Faulty) -> None:
    result = (
        faulty("malformed_after=2").stream("echo-agent", parameters={"message": "x y"}).collect()
    )
    assert result.response == "Echo (turn 1): x y"


@pytest.mark.parametrize("spec", ["framing=close", "final_blank=0", "framing=close; final_blank=0"])
def test_stream_framings_deliver_every_event(client: Any, faulty: Faulty, spec: str) -> None:
    expected = [event.event for event in client.stream("support-agent", parameters=QUESTION)]
    events = list(faulty(spec).stream("support-agent", parameters=QUESTION))

    assert [event.event for event in events] == expected
    assert events[-1].event == "done"
    assert events[-1].payload.trace.agent_id == "support-agent"


def test_close_delimited_stream_collects_a_result(faulty: Faulty) -> None:
    result = faulty("framing=close; final_blank=0").stream("echo-agent").collect()
    assert isinstance(result, ExecutionResult)
    assert result.response == "Echo (turn 1): Hello from the Fruxon emulator!"


def test_error_after_on_a_close_delimited_stream(faulty: Faulty) -> None:
    seen: list[Any] = []
    with pytest.raises(FruxonStreamError):
        consume(faulty("framing=close; final_blank=0; error_after=1").stream("echo-agent"), seen)
    assert [event.event for event in seen] == ["status", "error"]
