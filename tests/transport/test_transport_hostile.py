"""Promises kept under hostile servers and bad input, on every transport (issue 13).

Each test runs once per transport in ``tests/registry.py`` over real sockets,
against a scripted server writing exact bytes: ids that are dot segments,
headers HTTP cannot carry, keep-alive comments on connections that will
close, bodies that trickle in or stop, a 2xx answer to a stream that is not a
stream, a 10 MB problem detail, a 500 on a read, a 60 KB header line and an
interim ``103 Early Hints``. Deadline tests never assert speed: only that the
call ended with the right error well inside pytest's bound.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from fruxon_core.endpoints import ENDPOINTS
from fruxon_core.exceptions import (
    FruxonAPIError,
    FruxonConnectionError,
    FruxonTimeoutError,
    NotFoundError,
    ServerError,
)
from fruxon_core.hooks import hookimpl
from fruxon_core.http import Request, Timeout
from tests.facade import SyncFacade, event_loop_in_thread
from tests.registry import BY_NAME, TRANSPORTS
from tests.transport.conftest import ClientFor
from tests.transport.scripted_http import (
    CHUNKED_SSE_HEAD,
    Exchange,
    ScriptedServer,
    chunk,
    json_response,
)

Start = Callable[[Callable[[Exchange], None]], ScriptedServer]
TEXT = b'event: text\ndata: {"chunk": "hi"}\n\n'
DONE = b'event: done\ndata: {"executionRecordId": "rec-1"}\n\n'
AGENT = {"id": "support-agent", "displayName": "Support"}
SECRET = "fxn_live_" + "s3cr3t" * 4

#: pytest's own bound for the deadline tests: ten times the slowest limit they set.
BOUND = pytest.mark.timeout(10)


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error and every exception chained to it (cause and context)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [current.__cause__, current.__context__]


def _never_shows(error: BaseException, *secrets: str) -> None:
    for link in _chain(error):
        for text in (str(link), repr(link), repr(link.args)):
            for secret in secrets:
                assert secret not in text, f"{type(link).__name__} repeats the value"


def _pings(exchange: Exchange, stop: threading.Event, piece: Callable[[bytes], bytes]) -> None:
    """Send a keep-alive comment every 30 ms until the client hangs up or the test ends."""
    while not stop.wait(0.03):
        try:
            exchange.send(piece(b": ping\n\n"))
        except OSError:
            return


@pytest.fixture
def stop() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


# -- 1. ids that are dot segments ------------------------------------------------------------

#: The path placeholders of every endpoint, e.g. {"agent", "revision", "tool", ...}.
PATH_PARAMETERS = {
    name.split("}")[0] for endpoint in ENDPOINTS.values() for name in endpoint.path.split("{")[1:]
}

#: Parameters named like a path placeholder that never go into the path: query filters
#: (a dot there changes no route) and upload_file's local file path.
NOT_IN_THE_PATH = {
    ("iter_execution_records", "revision"),
    ("list_execution_records", "revision"),
    ("iter_pending_approvals", "agent"),
    ("list_pending_approvals", "agent"),
    ("list_approvals", "agent"),
    ("upload_file", "file"),
}


def _calls_with_id(value: str) -> list[tuple[str, str, Callable[[Any], Any]]]:
    """(method, parameter, call) for every public method taking a path id, with ``value`` in it."""
    cls = TRANSPORTS[0].client_class()
    calls = []
    for name in sorted(dir(cls)):
        if name.startswith("_") or name in {"with_options", "close"}:
            continue
        method = getattr(cls, name)
        if not callable(method):
            continue
        parameters = [p for p in inspect.signature(method).parameters.values() if p.name != "self"]
        ids = [
            p.name
            for p in parameters
            if p.name in PATH_PARAMETERS and (name, p.name) not in NOT_IN_THE_PATH
        ]
        for target in ids:
            arguments: dict[str, Any] = {}
            for parameter in parameters:
                if parameter.name == target:
                    arguments[parameter.name] = value
                elif parameter.name in PATH_PARAMETERS:
                    arguments[parameter.name] = "x"
                elif parameter.default is inspect.Parameter.empty:
                    # required inputs other than ids: a parameters dict, or a text
                    arguments[parameter.name] = "x" if parameter.name == "text" else {}

            def call(client: Any, name: str = name, arguments: dict[str, Any] = arguments) -> Any:
                result = getattr(client, name)(**arguments)
                return next(iter(result)) if hasattr(result, "__next__") else result

            calls.append((name, target, call))
    return calls


@pytest.mark.parametrize("value", [".", ".."])
def test_an_id_that_is_a_dot_segment_is_refused_before_anything_is_sent(
    client_for: ClientFor, scripted_server: Start, value: str
) -> None:
    server = scripted_server(lambda exchange: exchange.send(json_response({})))
    calls = _calls_with_id(value)
    assert {target for _, target, _ in calls} >= {"agent", "integration", "tool", "record_id"}
    not_refused = []
    messages = []
    with client_for(server) as client:
        for method, target, call in calls:
            try:
                call(client)
            except ValueError as error:
                messages.append((target, str(error)))
            else:
                not_refused.append(f"{method}({target}={value!r})")
    assert not_refused == []
    assert all(message.startswith(f"{target} must not be") for target, message in messages)
    assert server.requests == []


@pytest.mark.parametrize("value", [".", ".."])
def test_an_org_that_is_a_dot_segment_is_refused(
    client_for: ClientFor, scripted_server: Start, value: str
) -> None:
    server = scripted_server(lambda exchange: exchange.send(json_response(AGENT)))
    with pytest.raises(ValueError, match="org"):
        client_for(server, org=value)


def test_dots_inside_an_id_still_reach_the_server_intact(
    client_for: ClientFor, scripted_server: Start
) -> None:
    server = scripted_server(lambda exchange: exchange.send(json_response(AGENT)))
    with client_for(server) as client:
        for agent in ("...", ".hidden", "v1.2", "%2E%2E"):
            client.get_agent(agent)
    assert [request.target.rsplit("/", 1)[1] for request in server.requests] == [
        "...",
        ".hidden",
        "v1.2",
        "%252E%252E",
    ]


# -- 2. API keys and header values HTTP cannot carry ------------------------------------------

BAD_VALUES = {
    "CRLF": "\r\nX-Injected: 1",
    "LF": "\n",
    "CR": "\r",
    "NUL": "\x00",
    "other control character": "\x1b",
    "DEL": "\x7f",
    "non-ASCII": "\u2019",
}


@pytest.mark.parametrize("bad", list(BAD_VALUES))
def test_an_api_key_http_cannot_carry_is_refused_when_the_client_is_built(
    client_for: ClientFor, scripted_server: Start, bad: str
) -> None:
    server = scripted_server(lambda exchange: exchange.send(json_response(AGENT)))
    key = SECRET + BAD_VALUES[bad] + SECRET[::-1]
    with pytest.raises(ValueError, match="api_key") as caught:
        client_for(server, api_key=key)
    _never_shows(caught.value, SECRET, SECRET[::-1])
    assert server.requests == []


@pytest.mark.parametrize("bad", list(BAD_VALUES))
def test_a_default_header_http_cannot_carry_is_refused_when_the_client_is_built(
    client_for: ClientFor, scripted_server: Start, bad: str
) -> None:
    server = scripted_server(lambda exchange: exchange.send(json_response(AGENT)))
    value = SECRET + BAD_VALUES[bad]
    with pytest.raises(ValueError, match="X-Tenant-Token") as caught:
        client_for(server, default_headers={"X-Tenant-Token": value})
    _never_shows(caught.value, SECRET)
    with client_for(server) as client, pytest.raises(ValueError, match="X-Tenant-Token") as caught:
        client.with_options(headers={"X-Tenant-Token": value})
    _never_shows(caught.value, SECRET)
    with pytest.raises(ValueError, match="header name"):
        client_for(server, default_headers={"X Bad: name": "v"})
    assert server.requests == []


class _HeaderHook:
    def __init__(self, headers: dict[str, Any]) -> None:
        self.headers = headers

    @hookimpl
    def fruxon_prepare_request(self, request: Request, context: Any) -> dict[str, Any]:
        return self.headers


@pytest.mark.parametrize("bad", ["CRLF", "NUL", "non-ASCII"])
def test_a_hook_adding_a_header_http_cannot_carry_fails_the_call_before_sending(
    client_for: ClientFor, scripted_server: Start, bad: str
) -> None:
    server = scripted_server(lambda exchange: exchange.send(json_response(AGENT)))
    hook = _HeaderHook({"X-Signature": SECRET + BAD_VALUES[bad]})
    with client_for(server, plugins=[hook], max_retries=2) as client:
        for call in (lambda: client.get_agent("a"), lambda: next(client.stream("a"))):
            with pytest.raises(ValueError, match="X-Signature") as caught:
                call()
            assert not isinstance(caught.value, FruxonConnectionError)
            _never_shows(caught.value, SECRET)
        hook.headers = {"X-Count": 3}
        with pytest.raises(TypeError, match="X-Count"):
            client.get_agent("a")
    assert server.requests == []


@contextlib.contextmanager
def _direct(transport: str) -> Iterator[tuple[Any, Callable[[Any], Any]]]:
    """A bare transport of the kind under test, past the client's own checks, seen as sync.

    Yields the transport and ``wrap``, which gives an object it returned (a
    stream response) a synchronous surface too.
    """
    case = BY_NAME[transport]
    if not case.is_async:
        sender = case.transport_class()()
        try:
            yield sender, lambda value: value
        finally:
            sender.close()
        return
    with event_loop_in_thread() as loop:
        facade = SyncFacade(case.transport_class()(), loop)
        try:
            yield facade, lambda value: SyncFacade(value, loop)
        finally:
            facade.aclose()


def _send_directly(transport: str, request: Request) -> Any:
    with _direct(transport) as (sender, _):
        return sender.send(request, None)


@pytest.mark.parametrize("bad", ["CRLF", "LF", "CR"])
def test_a_header_the_http_library_refuses_is_a_value_error_not_a_connection_error(
    transport: str, scripted_server: Start, bad: str
) -> None:
    server = scripted_server(lambda exchange: exchange.send(json_response(AGENT)))
    request = Request(
        "GET",
        f"{server.base_url}/v1/tenants/acme/agents/a",
        {"X-API-KEY": SECRET + BAD_VALUES[bad] + SECRET[::-1]},
        timeout=Timeout(connect=5.0, read=5.0),
    )
    with pytest.raises(ValueError, match="X-API-KEY") as caught:
        _send_directly(transport, request)
    assert not isinstance(caught.value, FruxonConnectionError)
    _never_shows(caught.value, SECRET, SECRET[::-1])
    assert server.requests == []


# -- 3. stream_idle whatever the framing ------------------------------------------------------

CLOSE_HEADS = {
    "chunked, Connection: close": (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n",
        chunk,
    ),
    "HTTP/1.0": (b"HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\n", bytes),
    "close-delimited": (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n",
        bytes,
    ),
    "Content-Length": (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 1000000\r\n\r\n",
        bytes,
    ),
}


@BOUND
@pytest.mark.parametrize("framing", list(CLOSE_HEADS))
def test_keepalive_comments_never_hold_off_the_idle_timeout_whatever_the_framing(
    client_for: ClientFor, scripted_server: Start, stop: threading.Event, framing: str
) -> None:
    head, piece = CLOSE_HEADS[framing]

    def handler(exchange: Exchange) -> None:
        exchange.keep_alive = False
        exchange.send(head + piece(TEXT))
        _pings(exchange, stop, piece)

    timeout = Timeout(connect=5.0, read=5.0, stream_idle=0.25)
    with client_for(scripted_server(handler), timeout=timeout) as client:
        stream = client.stream("support-agent")
        assert next(stream).event == "text"
        with pytest.raises(FruxonTimeoutError, match="stream idle timeout"):
            next(stream)


@BOUND
@pytest.mark.parametrize("framing", ["chunked, keep-alive", *CLOSE_HEADS])
def test_a_stream_read_waits_no_longer_than_the_clock_allows_whatever_the_framing(
    transport: str, scripted_server: Start, stop: threading.Event, framing: str
) -> None:
    # The head is awaited with a long limit; the next read may wait 0.2 s only. A
    # transport that cannot apply the shorter limit (it did not find the socket of a
    # connection that will close) waits for the server instead: 8 s here.
    head, piece = CLOSE_HEADS.get(framing, (CHUNKED_SSE_HEAD, chunk))

    def handler(exchange: Exchange) -> None:
        exchange.keep_alive = False
        exchange.send(head + piece(TEXT))
        stop.wait(8)

    server = scripted_server(handler)
    request = Request(
        "POST",
        f"{server.base_url}/v1/tenants/acme/agents/a:stream",
        {"Accept": "text/event-stream"},
        stream=True,
        timeout=Timeout(connect=5.0, read=30.0, stream_idle=30.0),
    )
    with _direct(transport) as (sender, wrap):
        response = wrap(sender.open_stream(request, None))
        try:
            events: list[Any] = []
            while not events:
                batch = response.read_events(5.0)
                assert batch is not None
                events += batch
            assert [event.event for event in events] == ["text"]
            with pytest.raises(FruxonTimeoutError):
                response.read_events(0.2)
        finally:
            response.close()


# -- 4. total is a deadline for the whole call -------------------------------------------------


@BOUND
def test_total_bounds_a_stream_that_only_sends_keepalive_comments(
    client_for: ClientFor, scripted_server: Start, stop: threading.Event
) -> None:
    def handler(exchange: Exchange) -> None:
        exchange.keep_alive = False
        exchange.send(CHUNKED_SSE_HEAD + chunk(TEXT))
        _pings(exchange, stop, chunk)

    timeout = Timeout(connect=5.0, read=5.0, stream_idle=None, total=0.5)
    with client_for(scripted_server(handler), timeout=timeout) as client:
        stream = client.stream("support-agent")
        assert next(stream).event == "text"
        with pytest.raises(FruxonTimeoutError, match=r"total deadline of 0\.5s") as caught:
            next(stream)
    assert caught.value.request_sent is True


@BOUND
def test_total_bounds_a_stream_whose_events_never_end(
    client_for: ClientFor, scripted_server: Start, stop: threading.Event
) -> None:
    def handler(exchange: Exchange) -> None:
        exchange.keep_alive = False
        exchange.send(CHUNKED_SSE_HEAD)
        while not stop.wait(0.03):
            try:
                exchange.send(chunk(TEXT))
            except OSError:
                return

    timeout = Timeout(connect=5.0, read=5.0, stream_idle=5.0, total=0.5)
    with (
        client_for(scripted_server(handler), timeout=timeout) as client,
        pytest.raises(FruxonTimeoutError, match="total deadline") as caught,
    ):
        for _ in client.stream("support-agent"):
            pass
    assert caught.value.request_sent is True


TRICKLE_HEADS = {
    "Content-Length": lambda length: (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % length
    ),
    "chunked": lambda length: (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    ),
    "close-delimited": lambda length: (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
    ),
}


@BOUND
@pytest.mark.parametrize("framing", list(TRICKLE_HEADS))
def test_total_bounds_an_execute_whose_body_trickles_in(
    client_for: ClientFor, scripted_server: Start, stop: threading.Event, framing: str
) -> None:
    body = json.dumps({"response": "x" * 1000}).encode()

    def handler(exchange: Exchange) -> None:
        exchange.keep_alive = False
        exchange.send(TRICKLE_HEADS[framing](len(body)))
        for byte in body:  # one byte every 20 ms: each read is quick, the whole takes 20 s
            if stop.wait(0.02):
                return
            piece = bytes([byte])
            try:
                exchange.send(chunk(piece) if framing == "chunked" else piece)
            except OSError:
                return

    timeout = Timeout(connect=5.0, read=5.0, total=0.5)
    with (
        client_for(scripted_server(handler), timeout=timeout, max_retries=2) as client,
        pytest.raises(FruxonTimeoutError, match=r"total deadline of 0\.5s") as caught,
    ):
        client.execute("support-agent")
    assert caught.value.request_sent is True


@BOUND
def test_total_bounds_a_read_whose_body_trickles_in_across_retries(
    client_for: ClientFor, scripted_server: Start, stop: threading.Event
) -> None:
    def handler(exchange: Exchange) -> None:
        exchange.keep_alive = False
        exchange.send(TRICKLE_HEADS["Content-Length"](1000))
        while not stop.wait(0.02):
            try:
                exchange.send(b" ")
            except OSError:
                return

    timeout = Timeout(connect=5.0, read=5.0, total=0.5)
    with (
        client_for(scripted_server(handler), timeout=timeout, max_retries=5) as client,
        pytest.raises(FruxonTimeoutError, match="total deadline"),
    ):
        client.get_agent("support-agent")


@pytest.mark.parametrize("framing", ["Content-Length", "chunked"])
def test_answers_read_within_a_deadline_still_reuse_the_connection(
    client_for: ClientFor, scripted_server: Start, framing: str
) -> None:
    body = json.dumps(AGENT).encode()

    def handler(exchange: Exchange) -> None:
        if framing == "chunked":
            exchange.send(TRICKLE_HEADS["chunked"](0) + chunk(body) + chunk(b""))
        else:
            exchange.send(TRICKLE_HEADS["Content-Length"](len(body)) + body)

    server = scripted_server(handler)
    timeout = Timeout(connect=5.0, read=5.0, total=5.0)
    with client_for(server, timeout=timeout) as client:
        for _ in range(3):
            assert client.get_agent("support-agent").id == "support-agent"
    assert len(server.requests) == 3
    assert len(server._conns) == 1


# -- 5. a body that stops arriving is a timeout -------------------------------------------------


def _stalling(status: int, reason: str, content_type: str) -> Callable[[Exchange], None]:
    def handler(exchange: Exchange) -> None:
        exchange.keep_alive = False
        exchange.send(
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
            "Content-Length: 100\r\n\r\n".encode()
            + b'{"title": "'
        )
        exchange.conn.settimeout(5)
        with contextlib.suppress(OSError):
            exchange.conn.recv(1)  # until the client hangs up

    return handler


@BOUND
@pytest.mark.parametrize(
    ("status", "reason", "operation"),
    [(200, "OK", "get_agent"), (200, "OK", "execute"), (404, "Not Found", "stream")],
)
def test_a_body_that_stops_arriving_is_a_timeout(
    client_for: ClientFor, scripted_server: Start, status: int, reason: str, operation: str
) -> None:
    content_type = "application/problem+json" if status >= 400 else "application/json"
    server = scripted_server(_stalling(status, reason, content_type))
    timeout = Timeout(connect=5.0, read=0.3, stream_idle=5.0)
    calls = {
        "get_agent": lambda client: client.get_agent("support-agent"),
        "execute": lambda client: client.execute("support-agent"),
        "stream": lambda client: next(client.stream("support-agent")),
    }
    with client_for(server, timeout=timeout) as client, pytest.raises(FruxonTimeoutError) as caught:
        calls[operation](client)
    assert caught.value.request_sent is True
    assert "timed out waiting for the server" in str(caught.value)
    assert caught.value.__cause__ is not None


# -- 6. a 2xx answer to a stream that is not a stream -------------------------------------------


@pytest.mark.parametrize(
    ("status", "content_type", "body", "message"),
    [
        (200, "application/json", b'{"message": "upstream quota exceeded"}', "quota exceeded"),
        (
            200,
            "application/problem+json",
            b'{"title": "Gateway", "detail": "route disabled"}',
            "route disabled",
        ),
        (202, "text/html", b"<html>queued by the gateway</html>", "queued by the gateway"),
    ],
)
def test_a_2xx_answer_to_a_stream_that_is_not_an_event_stream_is_an_api_error(
    client_for: ClientFor,
    scripted_server: Start,
    status: int,
    content_type: str,
    body: bytes,
    message: str,
) -> None:
    def handler(exchange: Exchange) -> None:
        exchange.send(
            f"HTTP/1.1 {status} Whatever\r\nContent-Type: {content_type}\r\n"
            f"X-Request-ID: req-9\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )

    server = scripted_server(handler)
    with client_for(server, max_retries=2) as client, pytest.raises(FruxonAPIError) as caught:
        next(client.stream("support-agent"))
    error = caught.value
    assert error.status == status
    assert message in str(error)
    assert content_type in str(error)
    assert error.request_id == "req-9"
    assert error.body == body
    assert len(server.requests) == 1  # the agent may have run: never replayed


# -- 7. bounded error messages -------------------------------------------------------------------


def test_a_huge_problem_detail_is_bounded_in_the_message_and_repr(
    client_for: ClientFor, scripted_server: Start
) -> None:
    detail = "d" * 10_000_000
    title = "t" * 100_000
    payload = json.dumps({"title": title, "detail": detail, "errors": {"f": ["e" * 100_000]}})

    def handler(exchange: Exchange) -> None:
        body = payload.encode()
        exchange.send(
            b"HTTP/1.1 404 Not Found\r\nContent-Type: application/problem+json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )

    with client_for(scripted_server(handler)) as client, pytest.raises(NotFoundError) as caught:
        client.get_agent("support-agent")
    error = caught.value
    assert len(str(error)) < 5_000
    assert len(repr(error)) < 5_000
    assert str(error).startswith("404 ttt")
    assert "characters" in str(error)  # says that it was cut
    assert error.detail.startswith(detail)  # the full text stays on the exception
    assert error.problem["title"] == title
    assert len(error.body) == len(payload)


def test_a_huge_non_json_error_body_stays_reachable(
    client_for: ClientFor, scripted_server: Start
) -> None:
    text = b"<html>" + b"x" * 1_000_000 + b"</html>"

    def handler(exchange: Exchange) -> None:
        exchange.send(
            b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(text), text)
        )

    with client_for(scripted_server(handler)) as client, pytest.raises(NotFoundError) as caught:
        client.get_agent("support-agent")
    assert len(str(caught.value)) < 5_000
    assert caught.value.body == text


# -- 8. a 500 on an idempotent call is retried ---------------------------------------------------


def _fail_first(status: int, then: bytes) -> Callable[[Exchange], None]:
    answered: list[int] = []

    def handler(exchange: Exchange) -> None:
        if not answered:
            answered.append(status)
            exchange.send(json_response({"title": "Internal Server Error"}, status, "Boom"))
        else:
            exchange.send(then)

    return handler


def test_a_500_on_an_idempotent_call_is_retried(
    client_for: ClientFor, scripted_server: Start
) -> None:
    server = scripted_server(_fail_first(500, json_response(AGENT)))
    with client_for(server, max_retries=2) as client:
        assert client.get_agent("support-agent").display_name == "Support"
    assert len(server.requests) == 2


@pytest.mark.parametrize("operation", ["execute", "stream", "create_integration"])
def test_a_500_on_a_call_that_is_not_idempotent_is_never_repeated(
    client_for: ClientFor, scripted_server: Start, operation: str
) -> None:
    server = scripted_server(_fail_first(500, json_response({"response": "ran twice"})))
    calls = {
        "stream": lambda client: next(client.stream("support-agent")),
        "execute": lambda client: client.execute("support-agent"),
        "create_integration": lambda client: client.create_integration({"id": "x"}),
    }
    with client_for(server, max_retries=2) as client, pytest.raises(ServerError) as caught:
        calls[operation](client)
    assert caught.value.status == 500
    assert len(server.requests) == 1


# -- 9. long header lines and informational responses --------------------------------------------


@pytest.mark.parametrize("operation", ["get_agent", "stream"])
def test_a_long_response_header_line_is_accepted(
    client_for: ClientFor, scripted_server: Start, operation: str
) -> None:
    big = b"X-Trace-Context: " + b"a" * 60_000 + b"\r\n"

    def handler(exchange: Exchange) -> None:
        if exchange.request.target.endswith(":stream"):
            exchange.send(CHUNKED_SSE_HEAD.replace(b"\r\n\r\n", b"\r\n" + big + b"\r\n"))
            exchange.send(chunk(TEXT + DONE) + chunk(b""))
        else:
            exchange.send(json_response(AGENT).replace(b"\r\n\r\n", b"\r\n" + big + b"\r\n", 1))

    with client_for(scripted_server(handler)) as client:
        if operation == "stream":
            assert [event.event for event in client.stream("support-agent")] == ["text", "done"]
        else:
            assert client.get_agent("support-agent").id == "support-agent"


EARLY_HINTS = b"HTTP/1.1 103 Early Hints\r\nLink: </app.css>; rel=preload\r\n\r\n"
PROCESSING = b"HTTP/1.1 102 Processing\r\n\r\n"


@pytest.mark.parametrize("interim", [EARLY_HINTS, PROCESSING, EARLY_HINTS + PROCESSING])
def test_informational_responses_are_skipped(
    client_for: ClientFor, scripted_server: Start, interim: bytes
) -> None:
    def handler(exchange: Exchange) -> None:
        exchange.send(interim)
        time.sleep(0.01)  # the final answer in a later packet
        if exchange.request.target.endswith(":stream"):
            exchange.send(CHUNKED_SSE_HEAD + chunk(TEXT + DONE) + chunk(b""))
        else:
            exchange.send(json_response(AGENT))

    server = scripted_server(handler)
    with client_for(server) as client:
        for _ in range(2):  # and the connection is still good for the next call
            assert client.get_agent("support-agent").id == "support-agent"
            assert [event.event for event in client.stream("support-agent")] == ["text", "done"]


def test_a_connection_closed_before_any_answer_is_still_a_connection_error(
    client_for: ClientFor, scripted_server: Start
) -> None:
    def handler(exchange: Exchange) -> None:
        exchange.keep_alive = False
        exchange.send(EARLY_HINTS)
        exchange.conn.shutdown(socket.SHUT_RDWR)

    with client_for(scripted_server(handler)) as client, pytest.raises(FruxonConnectionError):
        client.get_agent("support-agent")
