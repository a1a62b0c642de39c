"""The sans-I/O half of issue 13's promises: ids, headers, deadlines, bounded errors.

The same promises are proven over real sockets on every transport in
``tests/transport/test_transport_hostile.py``; these pin the rules themselves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from fruxon_core import operations as ops
from fruxon_core.config import ClientConfig, Secret
from fruxon_core.endpoints import render_path
from fruxon_core.exceptions import (
    MAX_DETAIL_CHARS,
    FruxonAPIError,
    FruxonConnectionError,
    FruxonTimeoutError,
    UnexpectedResponseError,
    bounded,
    error_from_response,
    not_an_event_stream,
)
from fruxon_core.hooks import hookimpl
from fruxon_core.http import (
    IdleClock,
    Request,
    Response,
    Timeout,
    check_headers,
    header_refusal,
    header_value_problem,
)
from fruxon_core.pipeline import Pipeline, is_event_stream

MakePipeline = Callable[..., Pipeline]

# -- ids ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [".", ".."])
def test_dot_segment_ids_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match=r"^tool must not be"):
        render_path("/integrations/{integration}/tools/{tool}", {"integration": "i", "tool": value})
    with pytest.raises(ValueError, match=r"^org must not be"):
        ClientConfig(Secret("k"), value)


def test_other_ids_with_dots_are_kept() -> None:
    assert render_path("/agents/{agent}", {"agent": "..."}) == "/agents/..."
    assert render_path("/agents/{agent}", {"agent": "%2E%2E"}) == "/agents/%252E%252E"


# -- header values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("ok value\twith tab", None),
        ("", None),
        ("a\r\nb", "a line break (CR or LF) at position 1"),
        ("a\x00", "a control character (U+0000) at position 1"),
        ("\x7f", "a control character (U+007F) at position 0"),
        ("caf\u00e9", "a non-ASCII character at position 3"),
        (" lead", "leading whitespace"),
    ],
)
def test_header_value_problems(value: str, problem: str | None) -> None:
    assert header_value_problem(value) == problem


def test_check_headers_names_the_header_never_the_value() -> None:
    with pytest.raises(ValueError, match="'X-Key' in here cannot be sent") as caught:
        check_headers({"X-Key": "secret-value\n"}, "in here")
    assert "secret-value" not in str(caught.value)
    with pytest.raises(ValueError, match="not a valid HTTP header name"):
        check_headers({"X Key": "v"}, "in here")
    with pytest.raises(TypeError, match="'X-Count' in here must have a str value, got int"):
        check_headers({"X-Count": 3}, "in here")
    with pytest.raises(TypeError, match="header names must be str"):
        check_headers({b"X": "v"}, "in here")


def test_header_refusal_returns_the_error_unchained() -> None:
    assert header_refusal({"X-Ok": "fine"}) is None
    try:
        raise RuntimeError("the library quoting secret-value")
    except RuntimeError:
        refusal = header_refusal({"X-Key": "secret-value\r\n"})
    assert isinstance(refusal, ValueError)
    assert "of the request" in str(refusal)
    assert refusal.__cause__ is None


def test_the_api_key_is_checked_when_the_client_is_built(make_pipeline: MakePipeline) -> None:
    with pytest.raises(ValueError, match="api_key cannot be sent") as caught:
        make_pipeline(api_key="fxn_secret\n")
    assert "fxn_secret" not in str(caught.value)
    with pytest.raises(TypeError, match="api_key must be a str"):
        ClientConfig(Secret(b"fxn_secret"), "acme").check_api_key()  # type: ignore[arg-type]
    make_pipeline(api_key="fxn_secret\n", auth=lambda: "token")  # not sent: not checked


class _Headers:
    def __init__(self, headers: Any) -> None:
        self.headers = headers

    @hookimpl
    def fruxon_prepare_request(self, request: Request, context: Any) -> Any:
        return self.headers


def test_hook_headers_are_checked_sync_and_async(make_pipeline: MakePipeline) -> None:
    hook = _Headers({"X-Signature": "sig\r\n"})
    runner = make_pipeline(plugins=[hook]).runner(ops.get_agent("a"))
    with pytest.raises(ValueError, match="'X-Signature' from a fruxon_prepare_request hook"):
        runner.prepare()

    async def awaited() -> dict[str, str]:
        return {"X-Signature": "sig\r\n"}

    hook.headers = None
    assert runner.prepare().header("X-Signature") is None
    hook.headers = awaited()
    async_runner = make_pipeline(plugins=[hook], is_async=True).runner(ops.get_agent("a"))
    with pytest.raises(ValueError, match="X-Signature"):
        asyncio.run(async_runner.prepare_async())


# -- deadlines -------------------------------------------------------------------------------


def test_the_deadline_starts_with_the_first_attempt(make_pipeline: MakePipeline) -> None:
    runner = make_pipeline(timeout=Timeout(total=5.0)).runner(ops.stream("a"))
    assert runner.context.deadline is None
    runner.prepare()
    deadline = runner.context.deadline
    assert deadline is not None
    runner.prepare()
    assert runner.context.deadline == deadline


def test_the_idle_clock_clips_every_read_to_the_deadline() -> None:
    timeout = Timeout(connect=1.0, read=10.0, stream_idle=None, total=5.0)
    clock = IdleClock(timeout, now=100.0, deadline=102.0)
    assert clock.read_timeout(100.0, 0) == 2.0
    assert clock.read_timeout(101.5, 1) == 0.5
    with pytest.raises(FruxonTimeoutError, match="total deadline of 5s expired while") as caught:
        clock.read_timeout(102.0, 2)
    assert caught.value.kind == "total"
    assert caught.value.request_sent is True
    assert clock.timeout_error(102.0).kind == "total"
    assert clock.timeout_error(101.0).kind == "read"


def test_the_idle_clock_with_both_limits() -> None:
    timeout = Timeout(connect=1.0, read=10.0, stream_idle=1.0, total=5.0)
    clock = IdleClock(timeout, now=0.0, deadline=1.5)
    assert clock.read_timeout(0.0, 0) == 1.0  # the idle limit is the nearer one
    assert clock.read_timeout(0.9, 1) == 0.6  # an event: idle restarts, the deadline does not
    with pytest.raises(FruxonTimeoutError) as caught:
        clock.read_timeout(2.0, 1)  # both passed: the deadline is what ran out for good
    assert caught.value.kind == "total"
    clock = IdleClock(timeout, now=0.0, deadline=10.0)
    with pytest.raises(FruxonTimeoutError) as caught:
        clock.read_timeout(1.0, 0)
    assert caught.value.kind == "stream_idle"
    assert clock.timeout_error(1.0).kind == "stream_idle"
    assert IdleClock(Timeout(read=None, stream_idle=None), 0.0, 3.0).read_timeout(1.0, 0) == 2.0


def test_a_timeout_after_the_deadline_is_raised_as_the_deadline(
    make_pipeline: MakePipeline,
) -> None:
    runner = make_pipeline(timeout=Timeout(total=5.0)).runner(ops.get_agent("a"))
    runner.prepare()
    assert runner.context.deadline is not None
    cause = TimeoutError("socket")
    read_timeout = FruxonTimeoutError.waiting(1.0)
    read_timeout.__cause__ = cause
    assert runner.retry_delay(read_timeout) >= 0  # within the deadline: retried
    runner.context.deadline -= 10
    with pytest.raises(FruxonTimeoutError) as caught:
        runner.retry_delay(read_timeout)
    assert caught.value.kind == "total"
    assert caught.value.request_sent is True
    assert caught.value.__cause__ is cause
    expired = FruxonTimeoutError.deadline(5.0)
    with pytest.raises(FruxonTimeoutError) as caught:
        runner.retry_delay(expired)
    assert caught.value is expired


def test_timeout_kinds_and_wording() -> None:
    assert FruxonTimeoutError.connecting().kind == "connect"
    assert FruxonTimeoutError.waiting().message == "timed out waiting for the server"
    assert FruxonTimeoutError.stream_idle(2).kind == "stream_idle"
    assert "before the next attempt" in str(FruxonTimeoutError.deadline(None))
    assert FruxonConnectionError("x").request_sent is True


# -- a 2xx stream answer that is not a stream -------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        (None, True),
        ("text/event-stream", True),
        ("Text/Event-Stream; charset=utf-8", True),
        ("application/json", False),
        ("text/html", False),
    ],
)
def test_is_event_stream(content_type: str | None, expected: bool) -> None:
    headers = {} if content_type is None else {"content-type": content_type}
    assert is_event_stream(headers) is expected


def test_a_stream_answered_with_json_is_an_unexpected_response(
    make_pipeline: MakePipeline,
) -> None:
    runner = make_pipeline().runner(ops.stream("a"))
    request = runner.prepare()
    body = b'{"code": "quota", "message": "upstream quota exceeded"}'
    headers = {"content-type": "application/json", "x-request-id": "r-1"}
    with pytest.raises(UnexpectedResponseError) as caught:
        runner.check_status(Response(200, headers, body, request, "OK"))
    error = caught.value
    assert (error.status, error.error_code, error.request_id, error.body) == (
        200,
        "quota",
        "r-1",
        body,
    )
    assert str(error).startswith("200 upstream quota exceeded: expected a text/event-stream")
    runner.check_status(Response(200, {"content-type": "text/event-stream"}, b"", request))
    plain = make_pipeline().runner(ops.get_agent("a"))
    plain.check_status(Response(200, headers, body, plain.prepare()))  # not a stream call
    no_type = not_an_event_stream(204, {}, b"")
    assert "got no Content-Type" in str(no_type)


# -- bounded messages -------------------------------------------------------------------------


def test_bounded() -> None:
    assert bounded("short", 10) == "short"
    assert bounded("x" * 15, 10) == "x" * 10 + "… (5 more characters)"


def test_api_error_messages_and_reprs_are_bounded() -> None:
    error = error_from_response(
        404, {}, b'{"title": "%s", "detail": "%s"}' % (b"t" * 10_000, b"d" * 1_000_000)
    )
    assert len(str(error)) < MAX_DETAIL_CHARS + 500
    assert len(repr(error)) < MAX_DETAIL_CHARS + 1000
    assert len(error.detail) == 1_000_000
    long_ids = FruxonAPIError(500, "t", "d", error_code="c" * 5000, request_id="r" * 5000)
    assert len(repr(long_ids)) < 1000
    text = error_from_response(502, {}, b"x" * 100_000, reason="Bad Gateway")
    assert text.detail == "x" * 500
    assert len(text.body) == 100_000
    assert len(str(FruxonConnectionError.lost("y" * 100_000))) < MAX_DETAIL_CHARS + 100
