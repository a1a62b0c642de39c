"""Middleware: every hook runs on every request, response, error and stream event."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest

from fruxon_core import hookimpl
from fruxon_core.exceptions import (
    ConflictError,
    FruxonConnectionError,
    FruxonStreamError,
    ServerError,
)
from fruxon_core.pipeline import RetryDecision
from fruxon_emulator import FAULT_HEADER, EmulatorServer

ClientFactory = Callable[..., Any]


def test_hooks_of_a_plain_call(make_client: ClientFactory, recorder: Any) -> None:
    client = make_client(plugins=[recorder])
    client.execute("echo-agent", parameters={"message": "observed"})

    assert recorder.names() == ["prepare_request", "on_response"]
    (request,) = recorder.of("prepare_request")
    assert request.method == "POST"
    assert request.path.endswith("/agents/echo-agent:execute")
    assert request.operation == "execute"
    assert request.header("Idempotency-Key")
    (response,) = recorder.of("on_response")
    assert response.status == 200
    assert b"observed" in response.body


def test_reads_carry_no_idempotency_key(make_client: ClientFactory, recorder: Any) -> None:
    make_client(plugins=[recorder]).get_agent("support-agent")
    assert recorder.idempotency_keys == [None]


def test_hooks_of_a_retried_call(faulty: Callable[..., Any], recorder: Any) -> None:
    faulty("status=503; times=1", plugins=[recorder]).execute("echo-agent")

    assert recorder.names() == [
        "prepare_request",
        "on_response",
        "on_error",
        "on_retry",
        "prepare_request",
        "on_response",
    ]
    assert [response.status for response in recorder.of("on_response")] == [503, 200]
    (error,) = recorder.of("on_error")
    assert isinstance(error, ServerError)


def test_hooks_of_a_stream(make_client: ClientFactory, recorder: Any) -> None:
    client = make_client(plugins=[recorder])
    events = list(client.stream("support-agent", parameters={"question": "hooks?"}))

    assert recorder.names()[:2] == ["prepare_request", "on_response"]
    assert recorder.names()[2:] == ["on_stream_event"] * len(events)
    assert recorder.of("on_stream_event") == events
    (response,) = recorder.of("on_response")
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/event-stream")


def test_hooks_of_a_failed_stream(faulty: Callable[..., Any], recorder: Any) -> None:
    with pytest.raises(FruxonStreamError):
        list(faulty("error_after=2", plugins=[recorder]).stream("echo-agent"))
    assert recorder.names() == [
        "prepare_request",
        "on_response",
        "on_stream_event",
        "on_stream_event",
        "on_stream_event",
        "on_error",
    ]
    assert recorder.of("on_stream_event")[-1].event == "error"
    assert isinstance(recorder.of("on_error")[0], FruxonStreamError)


def test_hooks_of_a_connection_failure(make_client: ClientFactory, recorder: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_client(base_url=f"http://127.0.0.1:{port}", max_retries=0, plugins=[recorder])
    with pytest.raises(FruxonConnectionError):
        client.get_agent("support-agent")
    assert recorder.names() == ["prepare_request", "on_error"]


class InjectFault:
    """Adds a header to every outgoing request: here, one the emulator acts on."""

    @hookimpl
    def fruxon_prepare_request(self, request: Any, context: Any) -> dict[str, str]:
        return {FAULT_HEADER: "status=409"}


def test_headers_from_prepare_request_are_sent(make_client: ClientFactory) -> None:
    client = make_client(plugins=[InjectFault()], max_retries=0)
    with pytest.raises(ConflictError) as caught:
        client.get_agent("support-agent")
    assert caught.value.error_code == "emulator_fault"


class RetryEverythingOnce:
    """Overrides the built-in policy: retry any error once, at once."""

    @hookimpl(tryfirst=True)
    def fruxon_retry_decision(self, error: Any, context: Any) -> RetryDecision:
        return RetryDecision.after(0.0) if context.attempt == 1 else RetryDecision.give_up()


class NeverRetry:
    @hookimpl(tryfirst=True)
    def fruxon_retry_decision(self, error: Any, context: Any) -> RetryDecision:
        return RetryDecision.give_up()


def test_a_plugins_retry_decision_is_honoured(
    faulty: Callable[..., Any], emulator: EmulatorServer
) -> None:
    # The built-in policy never retries execute after a 500; this plugin does.
    client = faulty("status=500; times=1", plugins=[RetryEverythingOnce()])
    result = client.execute("echo-agent")
    assert result.retries == 1
    assert emulator.stats()["runs"]["byAgent"] == {"echo-agent": 1}


def test_a_plugin_can_veto_retries(faulty: Callable[..., Any], emulator: EmulatorServer) -> None:
    with pytest.raises(ServerError) as caught:
        faulty("status=503; times=1", plugins=[NeverRetry()]).get_agent("support-agent")
    assert caught.value.retries == 0
    assert emulator.stats()["requests"]["total"] == 1


def test_hook_context_describes_the_call(faulty: Callable[..., Any]) -> None:
    seen: list[tuple[str, int, bool, bool]] = []

    class Watch:
        @hookimpl
        def fruxon_prepare_request(self, request: Any, context: Any) -> None:
            seen.append((context.operation, context.attempt, context.idempotent, context.streaming))

    faulty("status=503; times=1", plugins=[Watch()]).stream("echo-agent").collect()
    assert seen == [("stream", 1, False, True), ("stream", 2, False, True)]
