"""The built-in retry policy against the emulator's fault injection, on both transports."""

from __future__ import annotations

import socket
import time

import pytest

from fruxon_core import (
    AuthenticationError,
    FruxonConnectionError,
    RateLimitError,
    RetryDecision,
    ServerError,
    Timeout,
    hookimpl,
)
from fruxon_core.plugins import RetryPolicy

AGENT = "echo-agent"


def test_429_with_retry_after_then_success(make_client, server, fault, fast_retry, recorder):
    client = make_client(retry=fast_retry, plugins=[recorder])
    started = time.monotonic()
    result = client.with_options(headers=fault("status=429; retry_after=1; times=1")).execute(
        AGENT, parameters={"message": "hi"}
    )
    elapsed = time.monotonic() - started
    assert result.response == "Echo (turn 1): hi"
    assert result.retries == 1
    assert 0.9 <= elapsed < 5  # waited for Retry-After, not the 10 ms backoff
    assert recorder.retries == [(1, 1.0)]
    assert recorder.statuses == [429, 200]
    assert server.executes() == 2
    assert server.runs(AGENT) == 1


def test_retry_after_as_http_date_is_honoured(make_client, server, fault, fast_retry, recorder):
    client = make_client(retry=fast_retry, plugins=[recorder])
    result = client.with_options(
        headers=fault("status=503; retry_after=1; retry_after_date=1; times=1")
    ).execute(AGENT)
    assert result.retries == 1
    [(attempt, delay)] = recorder.retries
    assert attempt == 1
    assert 0.0 <= delay <= 1.0  # an HTTP-date has one-second resolution
    assert server.runs(AGENT) == 1


def test_503_twice_then_success(make_client, server, fault, fast_retry, recorder):
    client = make_client(retry=fast_retry, plugins=[recorder])
    result = client.with_options(headers=fault("status=503; times=2")).execute(AGENT)
    assert result.retries == 2
    assert recorder.attempts == [1, 2, 3]
    assert recorder.statuses == [503, 503, 200]
    assert [attempt for attempt, _ in recorder.retries] == [1, 2]
    assert server.executes() == 3
    assert server.runs(AGENT) == 1


def test_retries_reuse_one_idempotency_key_per_call(
    make_client, server, fault, fast_retry, recorder
):
    client = make_client(retry=fast_retry, plugins=[recorder])
    client.with_options(headers=fault("status=503; times=2")).execute(AGENT)
    client.execute(AGENT)
    keys = [request.header("Idempotency-Key") for request in recorder.requests]
    assert keys[0] is not None
    assert keys[:3] == [keys[0]] * 3  # one call, three attempts, one key
    assert keys[3] not in (None, keys[0])  # the next call mints its own
    assert server.runs(AGENT) == 2


class RetryBrokenExecute:
    """Opt-in: retry an execute even after the server may have run it."""

    @hookimpl(tryfirst=True)
    def fruxon_retry_decision(self, error, context):
        if isinstance(error, FruxonConnectionError) and context.operation == "execute":
            return RetryDecision.after(0)
        return None


def test_the_server_sees_one_idempotency_key_and_replays_instead_of_rerunning(
    make_client, emulator, server, fault
):
    client = make_client(plugins=[RetryBrokenExecute()])
    result = client.with_options(headers=fault("truncate=1; times=1")).execute(
        AGENT, parameters={"message": "once"}
    )
    assert result.response == "Echo (turn 1): once"
    assert result.retries == 1
    assert server.executes() == 2
    assert server.runs(AGENT) == 1  # the retry carried the same key: replayed, not re-run
    assert emulator.stats()["idempotentReplays"] == 1


def test_idempotent_get_is_retried_on_502(make_client, server, fault, fast_retry):
    client = make_client(retry=fast_retry)
    agent = client.with_options(headers=fault("status=502; times=1")).get_agent(AGENT)
    assert agent.id == AGENT
    assert server.get_agents() == 2


def test_execute_is_not_retried_after_a_502(make_client, server, fault, fast_retry, recorder):
    client = make_client(retry=fast_retry, plugins=[recorder])
    with pytest.raises(ServerError) as caught:
        client.with_options(headers=fault("status=502; times=1")).execute(AGENT)
    assert caught.value.status == 502
    assert caught.value.retries == 0
    assert recorder.retries == []
    assert server.executes() == 1


def test_execute_is_not_retried_after_a_truncated_body(
    make_client, server, fault, fast_retry, recorder
):
    client = make_client(retry=fast_retry, plugins=[recorder])
    with pytest.raises(FruxonConnectionError) as caught:
        client.with_options(headers=fault("truncate=1")).execute(AGENT)
    assert caught.value.request_sent is True
    assert caught.value.retries == 0
    assert recorder.retries == []
    assert server.executes() == 1
    assert server.runs(AGENT) == 1  # the server ran it once; the client never replayed it


def test_a_truncated_get_is_retried(make_client, server, fault, fast_retry):
    client = make_client(retry=fast_retry)
    assert client.with_options(headers=fault("truncate=1; times=1")).get_agent(AGENT).id == AGENT
    assert server.get_agents() == 2


def test_retry_budget_exhausted_raises_the_last_error(
    make_client, server, fault, fast_retry, recorder
):
    client = make_client(retry=fast_retry, plugins=[recorder], max_retries=2)
    with pytest.raises(ServerError) as caught:
        client.with_options(headers=fault("status=503; times=10")).execute(AGENT)
    assert caught.value.status == 503
    assert caught.value.retries == 2
    assert recorder.attempts == [1, 2, 3]
    assert [(attempt, type(error)) for attempt, error in recorder.errors] == [
        (1, ServerError),
        (2, ServerError),
        (3, ServerError),
    ]
    assert caught.value is recorder.errors[-1][1]
    assert server.executes() == 3
    assert server.runs(AGENT) == 0


def test_max_retries_per_call_and_zero_turns_retries_off(make_client, server, fault, fast_retry):
    client = make_client(retry=fast_retry)
    with pytest.raises(ServerError) as caught:
        client.with_options(max_retries=0, headers=fault("status=503; times=10")).execute(AGENT)
    assert caught.value.retries == 0
    assert server.executes() == 1

    result = client.with_options(max_retries=4, headers=fault("status=503; times=4")).execute(AGENT)
    assert result.retries == 4

    off = make_client(retry=fast_retry, max_retries=0)
    with pytest.raises(ServerError):
        off.with_options(headers=fault("status=503; times=1")).execute(AGENT)


def test_retry_after_beyond_the_bound_raises_without_sleeping(make_client, server, fault, recorder):
    client = make_client(retry=RetryPolicy(max_retry_after=2), plugins=[recorder])
    started = time.monotonic()
    with pytest.raises(RateLimitError) as caught:
        client.with_options(headers=fault("status=429; retry_after=30; times=1")).execute(AGENT)
    assert time.monotonic() - started < 15  # far below the 30 s it was told to wait
    assert caught.value.retry_after == 30.0
    assert caught.value.retries == 0
    assert recorder.retries == []
    assert server.executes() == 1


def test_retry_after_date_beyond_the_bound_raises_too(make_client, fault):
    client = make_client(retry=RetryPolicy(max_retry_after=2))
    started = time.monotonic()
    with pytest.raises(RateLimitError) as caught:
        client.with_options(
            headers=fault("status=429; retry_after=30; retry_after_date=1; times=1")
        ).get_agent(AGENT)
    assert time.monotonic() - started < 15  # far below the 30 s it was told to wait
    assert caught.value.retry_after is not None
    assert 28.0 <= caught.value.retry_after <= 30.0


def test_total_deadline_bounds_all_attempts(make_client, server, fault, recorder):
    client = make_client(plugins=[recorder])
    with pytest.raises(RateLimitError):  # waiting 1 s would overrun the 0.5 s deadline
        client.with_options(
            timeout=Timeout(total=0.5), headers=fault("status=429; retry_after=1; times=5")
        ).execute(AGENT)
    assert recorder.retries == []  # on_retry runs before any wait: none was taken
    assert server.executes() == 1


def test_backoff_grows_and_is_capped(make_client, fault, recorder):
    policy = RetryPolicy(initial_delay=0.01, max_delay=0.02, jitter=0.0)
    client = make_client(retry=policy, max_retries=3, plugins=[recorder])
    client.with_options(headers=fault("status=503; times=3")).get_agent(AGENT)
    assert [delay for _, delay in recorder.retries] == [0.01, 0.02, 0.02]


def test_stream_open_is_retried_on_503(make_client, server, fault, fast_retry):
    client = make_client(retry=fast_retry)
    stream = client.with_options(headers=fault("status=503; times=1")).stream(AGENT)
    result = stream.collect()
    assert result.retries == 1
    assert server.streams() == 2
    assert server.runs(AGENT) == 1


def test_stream_broken_after_events_raises_and_is_never_replayed(
    make_client, server, fault, fast_retry, recorder
):
    client = make_client(retry=fast_retry, plugins=[recorder])
    seen: list[str] = []

    def consume() -> None:
        for event in client.with_options(headers=fault("drop_after=2")).stream(AGENT):
            seen.append(event.event)

    with pytest.raises(FruxonConnectionError):
        consume()
    assert seen == ["status", "text"]
    assert recorder.retries == []
    assert server.streams() == 1
    assert server.runs(AGENT) == 1


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_is_retried_even_for_execute(make_client, fast_retry, recorder):
    client = make_client(
        base_url=f"http://127.0.0.1:{_closed_port()}", retry=fast_retry, plugins=[recorder]
    )
    with pytest.raises(FruxonConnectionError) as caught:
        client.execute(AGENT)
    assert caught.value.request_sent is False
    assert caught.value.retries == 2
    assert recorder.attempts == [1, 2, 3]


def test_401_is_not_retried_with_a_static_key(make_client, server, fast_retry):
    client = make_client(api_key="fxn_wrong_key", retry=fast_retry)
    with pytest.raises(AuthenticationError) as caught:
        client.get_agent(AGENT)
    assert caught.value.retries == 0
    assert server.get_agents() == 1
