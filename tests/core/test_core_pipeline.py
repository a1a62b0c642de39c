"""The sans-I/O pipeline: building attempts, reading outcomes, retry decisions and hooks."""

from __future__ import annotations

import asyncio
import os
import platform
import uuid
from collections.abc import Callable
from typing import Any

import pluggy
import pytest

from fruxon_core import __version__, hookimpl, hooks
from fruxon_core import operations as ops
from fruxon_core.config import Secret
from fruxon_core.events import StreamEvent
from fruxon_core.exceptions import (
    AuthenticationError,
    FruxonAPIError,
    FruxonConnectionError,
    FruxonError,
    FruxonStreamError,
    FruxonTimeoutError,
    NotFoundError,
    RateLimitError,
    ServerError,
)
from fruxon_core.hooks import PROJECT_NAME
from fruxon_core.http import Response, Timeout
from fruxon_core.models import Agent, ExecutionResult
from fruxon_core.operations import Call
from fruxon_core.pipeline import (
    CallRunner,
    Pipeline,
    RetryDecision,
    StreamProgress,
    new_idempotency_key,
)
from fruxon_core.plugins import ApiKeyAuth, FruxonPluginManager, RetryPolicy
from fruxon_core.sse import ServerSentEvent

API_KEY = "fxn_secret"
PREFIX = "https://api.fruxon.com/v1/tenants/acme%20corp"


def _respond(runner: CallRunner[Any], status: int, body: bytes = b"{}", **headers: str) -> Any:
    """One attempt: prepare, then finish with a canned response."""
    request = runner.prepare()
    return runner.finish(Response(status, headers, body, request))


def _failed(runner: CallRunner[Any], status: int, body: bytes = b"{}", **headers: str):
    """One attempt that answers ``status``; returns the raised API error."""
    with pytest.raises(FruxonAPIError) as info:
        _respond(runner, status, body, **headers)
    return info.value


def _deterministic(make_pipeline: Callable[..., Pipeline], **kwargs: Any) -> Pipeline:
    """A pipeline whose built-in retry policy has no jitter."""
    return make_pipeline(
        disable_plugins=["retry"],
        plugins=[RetryPolicy(jitter=0.0), *kwargs.pop("plugins", [])],
        **kwargs,
    )


# -- building requests ------------------------------------------------------------------


def test_get_request(make_pipeline):
    request = make_pipeline().runner(ops.get_agent("support agent")).prepare()
    assert request.method == "GET"
    assert request.url == f"{PREFIX}/agents/support%20agent"
    assert request.path == "/v1/tenants/acme%20corp/agents/support%20agent"
    assert request.operation == "get_agent"
    assert request.body is None
    assert request.stream is False
    assert request.headers["X-API-KEY"] == API_KEY
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"] == (
        f"fruxon-python/{__version__} test/1 python/{platform.python_version()}"
    )
    assert request.header("content-type") is None
    assert request.header("idempotency-key") is None


def test_execute_request(make_pipeline):
    request = make_pipeline().runner(ops.execute("a", session_id="s")).prepare()
    assert request.method == "POST"
    assert request.url == f"{PREFIX}/agents/a:execute"
    assert request.body == b'{"sessionId":"s"}'
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Accept"] == "application/json"
    assert len(request.headers["Idempotency-Key"]) == 36


def test_stream_request(make_pipeline):
    request = make_pipeline().runner(ops.stream("a")).prepare()
    assert request.url == f"{PREFIX}/agents/a:stream"
    assert request.stream is True
    assert request.headers["Accept"] == "text/event-stream"
    assert request.headers["Content-Type"] == "application/json"
    assert "Idempotency-Key" in request.headers


def test_put_and_delete_have_no_idempotency_key(make_pipeline):
    pipeline = make_pipeline()
    put = pipeline.runner(ops.update_tool("i", "t", {})).prepare()
    assert put.headers["Content-Type"] == "application/json"
    assert "Idempotency-Key" not in put.headers
    delete = pipeline.runner(ops.delete_tool("i", "t")).prepare()
    assert delete.method == "DELETE"
    assert "Content-Type" not in delete.headers


def test_query_string_is_encoded(make_pipeline):
    call = ops.list_integrations(search="a b&c", types=["X", "Y"], has_configs=True)
    request = make_pipeline().runner(call.with_page("t/1", 100)).prepare()
    assert request.url == (
        f"{PREFIX}/integrations?query=a+b%26c&types=X&types=Y&has_configs=true"
        "&pageSize=100&pageToken=t%2F1"
    )
    assert request.path == "/v1/tenants/acme%20corp/integrations"


def test_idempotency_key_is_stable_across_attempts_and_unique_per_call(make_pipeline):
    pipeline = make_pipeline()
    runner = pipeline.runner(ops.execute("a"))
    first = runner.prepare()
    error = _failed(runner, 503)
    runner.retry_delay(error)
    second = runner.prepare()
    assert runner.context.attempt == 2
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    other = pipeline.runner(ops.execute("a")).prepare()
    assert other.headers["Idempotency-Key"] != first.headers["Idempotency-Key"]


def test_bearer_scheme_base_url_and_default_headers(make_pipeline):
    pipeline = make_pipeline(
        auth_scheme="bearer",
        base_url="http://localhost:8123/",
        default_headers={"X-Team": "core"},
        api_key=Secret(API_KEY),
    )
    request = pipeline.runner(ops.get_agent("a")).prepare()
    assert request.url == "http://localhost:8123/v1/tenants/acme%20corp/agents/a"
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert "X-API-KEY" not in request.headers
    assert request.headers["X-Team"] == "core"


def test_auth_plugin_repr_hides_the_key():
    assert API_KEY not in repr(ApiKeyAuth(API_KEY))
    assert repr(ApiKeyAuth(API_KEY, scheme="bearer")) == (
        "ApiKeyAuth(api_key=Secret('**********'), scheme='bearer')"
    )


def test_build_pipeline_rejects_negative_retries(make_pipeline):
    with pytest.raises(ValueError, match="max_retries"):
        make_pipeline(max_retries=-1)


def test_with_config_keeps_plugins(make_pipeline):
    pipeline = make_pipeline()
    changed = pipeline.with_config(pipeline.config.with_options(max_retries=0))
    assert changed.plugin_manager is pipeline.plugin_manager
    assert changed.config.max_retries == 0
    assert pipeline.config.max_retries == 2
    runner = changed.runner(ops.get_agent("a"))
    with pytest.raises(ServerError):
        runner.retry_delay(_failed(runner, 503))


def test_prepare_hook_headers_are_merged(make_pipeline):
    class Tracing:
        @hookimpl
        def fruxon_prepare_request(self, request, context):
            return {"traceparent": f"00-{context.operation}-{context.attempt}", "accept": "x/y"}

    request = make_pipeline(plugins=[Tracing()]).runner(ops.get_agent("a")).prepare()
    assert request.headers["traceparent"] == "00-get_agent-1"
    assert request.header("Accept") == "x/y"
    assert "Accept" not in request.headers  # replaced case-insensitively


def test_plugins_registered_or_removed_between_calls_take_effect(make_pipeline):
    """Hook dispatch is worked out once per set of plugins, and again when the set changes."""
    seen: list[str] = []

    class Tag:
        def __init__(self, name: str) -> None:
            self.name = name

        @hookimpl
        def fruxon_prepare_request(self, request, context):
            return {f"X-{self.name}": "1"}

        @hookimpl
        def fruxon_on_response(self, response, context):
            seen.append(self.name)

    class Wrapper:  # not a plain function: dispatch must go through pluggy
        @hookimpl(wrapper=True)
        def fruxon_on_response(self, response, context):
            seen.append("wrapper")
            return (yield)

    pipeline = make_pipeline(disable_plugins=["logging"])
    first = pipeline.runner(ops.get_agent("a"))
    assert "X-one" not in _respond_headers(first)
    one, two, wrapper = Tag("one"), Tag("two"), Wrapper()
    pipeline.plugin_manager.register(one)
    assert "X-one" in _respond_headers(pipeline.runner(ops.get_agent("a")))
    assert seen == ["one"]
    pipeline.plugin_manager.register(two)
    headers = _respond_headers(pipeline.runner(ops.get_agent("a")))
    assert {"X-one", "X-two"} <= set(headers)
    assert seen == ["one", "two", "one"]  # most recently registered first, as pluggy does
    pipeline.plugin_manager.register(wrapper)
    _respond_headers(pipeline.runner(ops.get_agent("a")))
    assert seen[3:] == ["wrapper", "two", "one"]
    pipeline.plugin_manager.unregister(wrapper)
    pipeline.plugin_manager.unregister(one)
    headers = _respond_headers(pipeline.runner(ops.get_agent("a")))
    assert "X-one" not in headers
    assert "X-two" in headers
    assert seen[6:] == ["two"]


def _respond_headers(runner: CallRunner[Any]) -> dict[str, str]:
    request = runner.prepare()
    runner.finish(Response(200, {}, b'{"id": "a"}', request))
    return dict(request.headers)


def test_async_prepare_hook_fails_in_sync_and_is_awaited_in_async(make_pipeline):
    class AsyncSigner:
        @hookimpl
        def fruxon_prepare_request(self, request, context):
            async def sign():
                return {"X-Signature": "sig-" + request.method}

            return sign()

    pipeline = make_pipeline(plugins=[AsyncSigner()], is_async=True)
    with pytest.raises(TypeError, match="awaitable"):
        pipeline.runner(ops.get_agent("a")).prepare()
    request = asyncio.run(pipeline.runner(ops.get_agent("a")).prepare_async())
    assert request.headers["X-Signature"] == "sig-GET"
    assert request.headers["X-API-KEY"] == API_KEY


def test_non_coroutine_awaitable_in_sync_prepare(make_pipeline):
    class Later:
        def __await__(self):
            yield
            return {"X": "1"}

    class Plugin:
        @hookimpl
        def fruxon_prepare_request(self, request, context):
            return Later()

    with pytest.raises(TypeError):
        make_pipeline(plugins=[Plugin()]).runner(ops.get_agent("a")).prepare()


# -- reading outcomes -------------------------------------------------------------------


def test_finish_decodes_the_body(make_pipeline, load_fixture):
    runner = make_pipeline().runner(ops.get_agent("support-agent"))
    agent = _respond(runner, 200, load_fixture("agent.json"))
    assert isinstance(agent, Agent)
    assert agent.current_revision == 7


def test_finish_execute_result(make_pipeline, load_fixture):
    runner = make_pipeline().runner(ops.execute("support-agent"))
    result = _respond(runner, 200, load_fixture("execute_response.json"))
    assert isinstance(result, ExecutionResult)
    assert result.session_id == "sess-9f2c"
    assert result.retries == 0


def test_delete_204_is_none(make_pipeline):
    assert _respond(make_pipeline().runner(ops.delete_tool("i", "t")), 204, b"") is None


@pytest.mark.parametrize(
    ("status", "cls"),
    [(401, AuthenticationError), (404, NotFoundError), (429, RateLimitError), (500, ServerError)],
)
def test_error_statuses_raise_mapped_errors(make_pipeline, status, cls):
    runner = make_pipeline().runner(ops.get_agent("a"))
    error = _failed(runner, status, b'{"title": "T", "detail": "D"}', **{"x-request-id": "r9"})
    assert type(error) is cls
    assert error.request_id == "r9"
    assert str(error) == f"{status} T: D"


def test_unexpected_2xx_shape(make_pipeline):
    error = _failed(make_pipeline().runner(ops.get_agent("a")), 200, b"[]")
    assert (error.status, error.title) == (200, "Unexpected response")


def test_result_records_retries(make_pipeline, load_fixture):
    runner = make_pipeline().runner(ops.execute("a"))
    runner.retry_delay(_failed(runner, 503))
    result = _respond(runner, 200, load_fixture("execute_response.json"))
    assert result.retries == 1


# -- retry decisions --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "status", "retried"),
    [
        (ops.execute("a"), 503, True),
        (ops.execute("a"), 429, True),
        (ops.execute("a"), 502, False),
        (ops.execute("a"), 504, False),
        (ops.execute("a"), 500, False),
        (ops.stream("a"), 503, True),
        (ops.stream("a"), 502, False),
        (ops.create_tool("i", {}), 502, False),
        (ops.get_agent("a"), 502, True),
        (ops.get_agent("a"), 503, True),
        (ops.get_agent("a"), 504, True),
        (ops.get_agent("a"), 408, True),
        (ops.get_agent("a"), 429, True),
        (ops.get_agent("a"), 500, True),
        (ops.delete_tool("i", "t"), 500, True),
        (ops.create_tool("i", {}), 500, False),
        (ops.stream("a"), 500, False),
        (ops.get_agent("a"), 501, False),
        (ops.get_agent("a"), 404, False),
        (ops.get_agent("a"), 400, False),
        (ops.update_tool("i", "t", {}), 502, True),
    ],
)
def test_status_retry_table(make_pipeline, call, status, retried):
    runner = make_pipeline().runner(call)
    error = _failed(runner, status)
    if retried:
        delay = runner.retry_delay(error)
        assert 0.0 <= delay <= RetryPolicy().initial_delay
        assert runner.context.attempt == 2
    else:
        with pytest.raises(type(error)) as info:
            runner.retry_delay(error)
        assert info.value is error
        assert error.retries == 0
        assert runner.context.attempt == 1


@pytest.mark.parametrize(
    ("call", "error", "retried"),
    [
        (ops.execute("a"), FruxonConnectionError("refused", request_sent=False), True),
        (ops.execute("a"), FruxonConnectionError("reset", request_sent=True), False),
        (ops.execute("a"), FruxonTimeoutError("read timed out"), False),
        (ops.stream("a"), FruxonConnectionError("refused", request_sent=False), True),
        (ops.get_agent("a"), FruxonConnectionError("reset", request_sent=True), True),
        (ops.get_agent("a"), FruxonTimeoutError("read timed out"), True),
        (ops.get_agent("a"), FruxonStreamError("x"), False),
        (ops.get_agent("a"), FruxonError("something else"), False),
    ],
)
def test_connection_error_retry_table(make_pipeline, call, error, retried):
    runner = make_pipeline().runner(call)
    runner.prepare()
    if retried:
        assert runner.retry_delay(error) >= 0.0
        assert runner.context.retries == 1
    else:
        with pytest.raises(type(error)):
            runner.retry_delay(error)


def test_backoff_without_jitter_doubles_and_is_capped():
    policy = RetryPolicy(initial_delay=0.5, max_delay=3.0, jitter=0.0)
    assert [policy.backoff(n) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_backoff_with_full_jitter_stays_in_range():
    policy = RetryPolicy(initial_delay=1.0, jitter=1.0)
    delays = [policy.backoff(2) for _ in range(200)]
    assert all(0.0 <= d <= 2.0 for d in delays)
    assert len(set(delays)) > 1


def test_retry_budget_is_respected(make_pipeline):
    runner = _deterministic(make_pipeline, max_retries=2).runner(ops.get_agent("a"))
    delays = []
    for _ in range(2):
        delays.append(runner.retry_delay(_failed(runner, 503)))
    last = _failed(runner, 503, b'{"title": "Unavailable", "detail": "third"}')
    with pytest.raises(ServerError) as info:
        runner.retry_delay(last)
    assert info.value is last
    assert info.value.retries == 2
    assert delays == [0.5, 1.0]
    assert runner.context.attempt == 3


def test_zero_retries(make_pipeline):
    runner = make_pipeline(max_retries=0).runner(ops.get_agent("a"))
    error = _failed(runner, 503)
    with pytest.raises(ServerError):
        runner.retry_delay(error)
    assert error.retries == 0


def test_rate_limit_retry_after_within_bound_is_used(make_pipeline):
    runner = make_pipeline().runner(ops.execute("a"))
    error = _failed(runner, 429, **{"retry-after": "3"})
    assert runner.retry_delay(error) == 3.0


def test_rate_limit_retry_after_beyond_bound_is_raised(make_pipeline):
    runner = make_pipeline().runner(ops.execute("a"))
    error = _failed(runner, 429, **{"retry-after": str(RetryPolicy().max_retry_after + 1)})
    with pytest.raises(RateLimitError) as info:
        runner.retry_delay(error)
    assert info.value.retry_after == 61.0


def test_retry_after_on_a_server_error_is_honoured(make_pipeline):
    runner = make_pipeline().runner(ops.get_agent("a"))
    assert runner.retry_delay(_failed(runner, 503, **{"retry-after": "2"})) == 2.0
    with pytest.raises(ServerError):
        runner.retry_delay(_failed(runner, 503, **{"retry-after": "3600"}))


def test_unparseable_retry_after_falls_back_to_backoff(make_pipeline):
    runner = _deterministic(make_pipeline).runner(ops.get_agent("a"))
    assert runner.retry_delay(_failed(runner, 503, **{"retry-after": "soon"})) == 0.5


def test_total_deadline_stops_a_retry_that_would_overrun_it(make_pipeline):
    runner = make_pipeline(timeout=Timeout(read=30.0, total=5.0)).runner(ops.get_agent("a"))
    request = runner.prepare()
    assert request.timeout.read is not None
    assert 0 < request.timeout.read <= 5.0
    assert request.timeout.connect is not None
    assert request.timeout.connect <= 5.0
    assert request.timeout.stream_idle == 120.0
    error = _failed(runner, 503, **{"retry-after": "30"})
    with pytest.raises(ServerError):
        runner.retry_delay(error)
    remaining = runner.remaining()
    assert remaining is not None
    assert remaining <= 5.0


def test_total_deadline_clips_unbounded_timeouts(make_pipeline):
    timeout = Timeout(connect=None, read=None, stream_idle=None, total=5.0)
    request = make_pipeline(timeout=timeout).runner(ops.get_agent("a")).prepare()
    assert request.timeout.read is not None
    assert request.timeout.read <= 5.0


def test_expired_deadline_refuses_a_new_attempt(make_pipeline):
    runner = make_pipeline(timeout=Timeout(total=0.0)).runner(ops.get_agent("a"))
    with pytest.raises(FruxonTimeoutError, match="deadline") as info:
        runner.prepare()
    assert info.value.request_sent is False


def test_no_deadline_without_total(make_pipeline):
    runner = make_pipeline().runner(ops.get_agent("a"))
    assert runner.remaining() is None
    assert runner.context.deadline is None
    assert runner.prepare().timeout == Timeout.of(120.0)


def test_user_retry_decision_overrides_the_builtin(make_pipeline):
    class AlwaysRetry:
        @hookimpl
        def fruxon_retry_decision(self, error, context):
            return RetryDecision.after(0.25)

    runner = make_pipeline(plugins=[AlwaysRetry()]).runner(ops.execute("a"))
    assert runner.retry_delay(_failed(runner, 500)) == 0.25  # built-in would give up


def test_user_give_up_overrides_the_builtin(make_pipeline):
    class Never:
        @hookimpl
        def fruxon_retry_decision(self, error, context):
            return RetryDecision.give_up()

    runner = make_pipeline(plugins=[Never()]).runner(ops.get_agent("a"))
    with pytest.raises(ServerError):
        runner.retry_delay(_failed(runner, 503))


def test_user_plugin_returning_none_defers(make_pipeline):
    class Abstain:
        @hookimpl
        def fruxon_retry_decision(self, error, context):
            return None

    runner = _deterministic(make_pipeline, plugins=[Abstain()]).runner(ops.get_agent("a"))
    assert runner.retry_delay(_failed(runner, 503)) == 0.5


def test_budget_applies_to_plugin_decisions_too(make_pipeline):
    class AlwaysRetry:
        @hookimpl
        def fruxon_retry_decision(self, error, context):
            return RetryDecision.after(0)

    runner = make_pipeline(plugins=[AlwaysRetry()], max_retries=1).runner(ops.get_agent("a"))
    runner.retry_delay(_failed(runner, 400))
    with pytest.raises(FruxonAPIError):
        runner.retry_delay(_failed(runner, 400))


def test_retry_plugin_disabled_means_no_retries(make_pipeline):
    pipeline = make_pipeline(disable_plugins=["retry"])
    assert pipeline.plugin_manager.get_plugin("retry") is None
    runner = pipeline.runner(ops.get_agent("a"))
    with pytest.raises(ServerError):
        runner.retry_delay(_failed(runner, 503))


def test_retry_decision_constructors():
    assert RetryDecision.after(-3) == RetryDecision(True, 0.0)
    assert RetryDecision.give_up() == RetryDecision(False, 0.0)


# -- hooks ------------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    @hookimpl
    def fruxon_prepare_request(self, request, context):
        self.calls.append(("prepare", context.attempt))

    @hookimpl
    def fruxon_on_response(self, response, context):
        self.calls.append(("response", context.attempt, response.status))

    @hookimpl
    def fruxon_on_error(self, error, context):
        self.calls.append(("error", context.attempt, type(error).__name__, error.retries))

    @hookimpl
    def fruxon_on_retry(self, error, delay, context):
        self.calls.append(("retry", context.attempt, delay))

    @hookimpl
    def fruxon_on_stream_event(self, event, context):
        self.calls.append(("event", context.attempt, event.event, context.events_received))


def test_hooks_see_attempt_numbers(make_pipeline):
    recorder = Recorder()
    runner = _deterministic(make_pipeline, plugins=[recorder]).runner(ops.get_agent("a"))
    runner.retry_delay(_failed(runner, 503))
    _respond(runner, 200, b'{"id": "a"}')
    assert recorder.calls == [
        ("prepare", 1),
        ("response", 1, 503),
        ("error", 1, "ServerError", 0),
        ("retry", 1, 0.5),
        ("prepare", 2),
        ("response", 2, 200),
    ]


def test_final_error_is_reported_with_its_retry_count(make_pipeline):
    recorder = Recorder()
    runner = _deterministic(make_pipeline, plugins=[recorder], max_retries=1).runner(
        ops.get_agent("a")
    )
    runner.retry_delay(_failed(runner, 502))
    with pytest.raises(ServerError):
        runner.retry_delay(_failed(runner, 502))
    assert [c for c in recorder.calls if c[0] in ("error", "retry")] == [
        ("error", 1, "ServerError", 0),
        ("retry", 1, 0.5),
        ("error", 2, "ServerError", 1),
    ]


def test_context_fields(make_pipeline):
    runner = make_pipeline(is_async=True).runner(ops.stream("a"))
    context = runner.context
    assert context.operation == "stream"
    assert context.streaming is True
    assert context.idempotent is False
    assert context.is_async is True
    assert context.transport == "test"
    assert context.max_retries == 2
    assert context.retries == 0
    assert context.idempotency_key is not None


# -- streams ----------------------------------------------------------------------------


def _stream(
    make_pipeline: Callable[..., Pipeline], **kwargs: Any
) -> tuple[StreamProgress, Recorder]:
    recorder = Recorder()
    runner = make_pipeline(plugins=[recorder], **kwargs).runner(ops.stream("a"))
    runner.prepare()
    return StreamProgress(runner), recorder


def _sse(event: str, data: str) -> ServerSentEvent:
    return ServerSentEvent(event, data)


def test_stream_progress_success(make_pipeline, load_fixture):
    progress, recorder = _stream(make_pipeline)
    seen = []
    for sse in [
        _sse("text", '{"chunk": "Your order "}'),
        _sse("heartbeat", ""),
        _sse("text", '{"chunk": "ships."}'),
        _sse("done", load_fixture("events/done.json").decode()),
    ]:
        event = progress.accept(sse)
        seen.append(event)
        progress.after_yield(event)
    assert [e.event for e in seen] == ["text", "heartbeat", "text", "done"]
    assert seen[1] == StreamEvent("heartbeat", {})
    assert progress.finished is True
    assert progress.terminal == seen[-1]
    progress.end_of_stream()  # no error: a terminal event arrived
    result = progress.result()
    assert result.response == "Your order ships."
    assert result.status == "COMPLETED"
    assert result.session_id == "sess-9f2c"
    assert result.retries == 0
    assert [c for c in recorder.calls if c[0] == "event"] == [
        ("event", 1, "text", 1),
        ("event", 1, "heartbeat", 2),
        ("event", 1, "text", 3),
        ("event", 1, "done", 4),
    ]


def test_stream_event_hooks_see_the_event_in_the_collected_result(make_pipeline, load_fixture):
    seen: list[tuple[str, str, bool]] = []

    class ResultWatcher:
        @hookimpl
        def fruxon_on_stream_event(self, event, context):
            result = progress.collector.result()
            seen.append((event.event, result.response, progress.collector.done is not None))

    runner = make_pipeline(plugins=[ResultWatcher()]).runner(ops.stream("a"))
    runner.prepare()
    progress = StreamProgress(runner)
    progress.accept(_sse("text", '{"chunk": "Your order "}'))
    progress.accept(_sse("text", '{"chunk": "ships."}'))
    progress.accept(_sse("done", load_fixture("events/done.json").decode()))
    assert seen == [
        ("text", "Your order ", False),
        ("text", "Your order ships.", False),
        ("done", "Your order ships.", True),
    ]


def test_a_transports_timeout_is_worded_by_the_limit_that_expired(make_pipeline):
    timeout = Timeout(connect=3.0, read=20.0, stream_idle=5.0)
    pipeline = make_pipeline(
        timeout=timeout, max_retries=0, base_url="https://u:p@api.example:8443"
    )
    cause = TimeoutError("library words")

    def raised(call, error):
        error.__cause__ = cause
        runner = pipeline.runner(call)
        runner.prepare()
        with pytest.raises(FruxonTimeoutError) as caught:
            runner.retry_delay(error)
        assert caught.value.__cause__ is cause
        return caught.value

    read = raised(ops.get_agent("a"), FruxonTimeoutError.waiting(detail="library words"))
    assert read.kind == "read"
    assert read.message == "timed out waiting for the server: no data for 20s"
    head = raised(ops.stream("a"), FruxonTimeoutError.waiting(detail="library words"))
    assert (head.kind, head.message) == ("stream_idle", "no stream event for 5s")
    connect = raised(ops.get_agent("a"), FruxonTimeoutError.connecting("library words"))
    assert connect.message == "timed out connecting to api.example:8443 after 3s"
    assert connect.request_sent is False
    download = pipeline.runner(ops.download_file_to("f"))
    body = download.fail(FruxonTimeoutError.waiting(detail="library words"))
    assert str(body).startswith("timed out waiting for the server: no data for 20s")


def test_stream_progress_error_event_raises_after_it_was_seen(make_pipeline, load_fixture):
    progress, recorder = _stream(make_pipeline)
    event = progress.accept(_sse("error", load_fixture("events/error.json").decode()))
    assert event.event == "error"  # the caller gets the event first
    assert progress.finished is True
    with pytest.raises(FruxonStreamError) as info:
        progress.after_yield(event)
    assert info.value.message == "The model provider is unavailable."
    assert info.value.code == "provider_unavailable"
    assert recorder.calls[-1] == ("error", 1, "FruxonStreamError", 0)


def test_stream_progress_eof_without_terminal(make_pipeline):
    progress, recorder = _stream(make_pipeline)
    progress.after_yield(progress.accept(_sse("text", '{"chunk": "cut"}')))
    assert progress.finished is False
    with pytest.raises(FruxonConnectionError, match="without a terminal event"):
        progress.end_of_stream()
    assert recorder.calls[-1][:3] == ("error", 1, "FruxonConnectionError")


def test_stream_broken_midway_is_not_retried(make_pipeline):
    progress, recorder = _stream(make_pipeline)
    progress.accept(_sse("text", '{"chunk": "a"}'))
    error = FruxonConnectionError("reset", request_sent=False)
    assert progress.broken(error) is error
    assert recorder.calls[-1][:3] == ("error", 1, "FruxonConnectionError")
    # even a retry request is refused once events were delivered
    with pytest.raises(FruxonConnectionError):
        progress.runner.retry_delay(error)


def test_stream_result_after_a_retried_open(make_pipeline, load_fixture):
    recorder = Recorder()
    runner = make_pipeline(plugins=[recorder]).runner(ops.stream("a"))
    runner.retry_delay(_failed(runner, 503))
    runner.prepare()
    progress = StreamProgress(runner)
    progress.accept(_sse("done", load_fixture("events/done_hitl.json").decode()))
    result = progress.result()
    assert result.retries == 1
    assert result.waiting_for_human is True


def test_call_runner_is_generic_over_calls(make_pipeline):
    call: Call[Agent] = ops.get_agent("a")
    runner = make_pipeline().runner(call)
    assert runner.call is call
    error = runner.fail(FruxonError("x"))
    assert error.retries == 0


# -- what is worked out once: call shapes, hook dispatch, checked hook headers ------------


def test_idempotency_keys_are_random_version_4_uuids():
    keys = {new_idempotency_key() for _ in range(2000)}
    assert len(keys) == 2000
    for key in list(keys)[:200]:
        parsed = uuid.UUID(key)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, key)


@pytest.mark.parametrize("raw", [bytes(16), b"\xff" * 16, bytes(range(16)), bytes(range(240, 256))])
def test_idempotency_keys_are_uuid4_of_the_random_bytes(monkeypatch, raw):
    monkeypatch.setattr(os, "urandom", lambda n: raw[:n])
    assert new_idempotency_key() == str(uuid.UUID(bytes=raw, version=4))


def test_calls_of_one_shape_share_nothing_a_hook_could_change(make_pipeline):
    class Scribbler:  # misbehaves: writes into the request it was shown
        @hookimpl
        def fruxon_on_request(self, request, context):
            request.headers["X-Scribbled"] = "1"

    pipeline = make_pipeline(plugins=[Scribbler()])
    first = pipeline.runner(ops.execute("a")).prepare()
    second = pipeline.runner(ops.execute("a")).prepare()
    assert first.headers["Idempotency-Key"] != second.headers["Idempotency-Key"]
    fresh = pipeline.runner(ops.execute("a"))._base
    assert "X-Scribbled" not in fresh.headers  # not carried into the next call of that shape
    assert pipeline.runner(ops.execute("b")).prepare().url == f"{PREFIX}/agents/b:execute"


def test_with_options_works_out_its_own_shapes(make_pipeline):
    pipeline = make_pipeline()
    assert "X-Extra" not in pipeline.runner(ops.get_agent("a")).prepare().headers
    config = pipeline.config.with_options(headers={"X-Extra": "1"})
    tuned = pipeline.with_config(config)
    assert tuned.runner(ops.get_agent("a")).prepare().headers["X-Extra"] == "1"
    assert "X-Extra" not in pipeline.runner(ops.get_agent("a")).prepare().headers


def test_a_hook_header_replaces_the_same_name_in_any_case(make_pipeline):
    class Overrides:
        def __init__(self, headers: dict[str, str]) -> None:
            self.headers = headers

        @hookimpl
        def fruxon_prepare_request(self, request, context):
            return self.headers

    one = make_pipeline(plugins=[Overrides({"accept": "text/plain"})])
    headers = one.runner(ops.execute("a")).prepare().headers
    assert headers["accept"] == "text/plain"
    assert "Accept" not in headers
    key = one.runner(ops.execute("a")).prepare().headers
    assert len(key["Idempotency-Key"]) == 36
    replaced = make_pipeline(plugins=[Overrides({"idempotency-key": "mine"})])
    headers = replaced.runner(ops.execute("a")).prepare().headers
    assert headers["idempotency-key"] == "mine"
    assert "Idempotency-Key" not in headers
    two = make_pipeline(plugins=[Overrides({"X-A": "1", "x-a": "2"})])
    headers = two.runner(ops.get_agent("a")).prepare().headers
    assert [(k, v) for k, v in headers.items() if k.lower() == "x-a"] == [("x-a", "2")]


def test_an_invalid_hook_header_is_refused_on_every_call(make_pipeline):
    class Sometimes:
        value = "ok"

        @hookimpl
        def fruxon_prepare_request(self, request, context):
            return {"X-Value": self.value}

    plugin = Sometimes()
    pipeline = make_pipeline(plugins=[plugin])
    for _ in range(2):  # the second time from what passed the check before
        assert pipeline.runner(ops.get_agent("a")).prepare().headers["X-Value"] == "ok"
    plugin.value = "bad\r\nX-Injected: 1"
    for _ in range(2):
        with pytest.raises(ValueError, match="X-Value"):
            pipeline.runner(ops.get_agent("a")).prepare()
    plugin.value = 7  # type: ignore[assignment]
    with pytest.raises(TypeError, match="X-Value"):
        pipeline.runner(ops.get_agent("a")).prepare()


def test_hook_dispatch_with_any_plugin_manager_sees_registrations(make_pipeline):
    """Without FruxonPluginManager's change count the implementations are compared."""
    manager = pluggy.PluginManager(PROJECT_NAME)
    manager.add_hookspecs(hooks)
    manager.register(ApiKeyAuth(Secret(API_KEY)), name="auth")
    base = make_pipeline()
    pipeline = Pipeline(
        base.config, manager, transport="test", transport_version="1", is_async=False
    )
    assert "X-Tag" not in pipeline.runner(ops.get_agent("a")).prepare().headers

    class Tag:
        @hookimpl
        def fruxon_prepare_request(self, request, context):
            return {"X-Tag": "1"}

    tag = Tag()
    manager.register(tag)
    assert pipeline.runner(ops.get_agent("a")).prepare().headers["X-Tag"] == "1"
    manager.unregister(tag)
    assert "X-Tag" not in pipeline.runner(ops.get_agent("a")).prepare().headers
    assert isinstance(base.plugin_manager, FruxonPluginManager)
