"""The exception tree every Fruxon client raises.

::

    FruxonError
    ├── FruxonConnectionError          network trouble: nothing usable came back
    │   └── FruxonTimeoutError         connect, read, stream-idle or deadline timeout
    ├── ClientClosedError              a call on a closed client
    ├── EventLoopMismatchError         an async client used from another event loop
    └── FruxonAPIError                 the server answered with an error (or a bad shape)
        ├── ValidationError            400, 422
        ├── AuthenticationError        401
        ├── ForbiddenError             403
        │   └── InsufficientScopeError 403 naming the missing scope
        ├── NotFoundError              404
        ├── ConflictError              409
        ├── RateLimitError             429, with the server's retry_after
        ├── ServerError                5xx
        ├── FruxonStreamError          an error event ended a stream
        └── UnexpectedResponseError    a 2xx body that is not what the operation returns

Messages say what happened and, where the client can tell, what to do, in
the same words whichever client raised them. API errors read like the
official SDK's (``"404 Not Found: Agent x not found"``) so code that matches
on them keeps working; the API key is never part of one. Messages and reprs
are bounded (a title to :data:`MAX_TITLE_CHARS`, a detail or a connection
failure's reason to :data:`MAX_DETAIL_CHARS`, saying how much was cut); the
full text stays on the exception (``detail``, ``problem``, ``body``).
"""

from __future__ import annotations

import errno
import os
import re
import sys
import time
from collections.abc import Iterator, Mapping
from typing import Any

import msgspec

__all__ = [
    "MAX_DETAIL_CHARS",
    "MAX_TITLE_CHARS",
    "AuthenticationError",
    "ClientClosedError",
    "ConflictError",
    "EventLoopMismatchError",
    "ForbiddenError",
    "FruxonAPIError",
    "FruxonConnectionError",
    "FruxonError",
    "FruxonStreamError",
    "FruxonTimeoutError",
    "InsufficientScopeError",
    "NotFoundError",
    "RateLimitError",
    "ServerError",
    "UnexpectedResponseError",
    "ValidationError",
    "error_from_response",
    "failure_reason",
    "not_an_event_stream",
    "parse_retry_after",
]

#: How much of a title goes into an error's message and repr.
MAX_TITLE_CHARS = 200
#: How much of a detail (or a connection failure's reason) goes into a message and repr.
MAX_DETAIL_CHARS = 2000


def bounded(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters, saying how many were left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


class FruxonError(Exception):
    """Root of every exception the SDK raises."""

    #: How many retries were spent before this error was raised (set by the client).
    retries: int = 0


#: What to do when nothing reached the server.
_NOT_SENT_HINT = "nothing was sent; check base_url and your network"


class FruxonConnectionError(FruxonError):
    """The API could not be reached, or the connection broke before a full answer.

    ``request_sent`` tells whether the request may have reached the server: a
    refused connection or a DNS failure did not send it (safe to retry any
    call), a reset after sending might have run the agent (not safe for
    ``execute``). ``message`` says what happened, ``hint`` what to do (``""``
    when there is nothing to add); ``str(error)`` is both, the hint in
    parentheses.
    """

    def __init__(self, message: str, *, request_sent: bool = True, hint: str = "") -> None:
        message = bounded(message, MAX_DETAIL_CHARS)
        super().__init__(f"{message} ({hint})" if hint else message)
        self.message = message
        self.hint = hint
        self.request_sent = request_sent

    def __repr__(self) -> str:
        hint = f", hint={self.hint!r}" if self.hint else ""
        return f"{type(self).__name__}({self.message!r}, request_sent={self.request_sent}{hint})"

    @classmethod
    def cannot_connect(cls, host: str, reason: str | BaseException) -> FruxonConnectionError:
        """Nothing reached the server: refused, DNS, proxy or TLS handshake failure.

        ``reason`` may be the HTTP library's exception: the message then names
        the operating system's error (see :func:`failure_reason`), the same
        whichever library raised it.
        """
        return cls(
            f"could not connect to {host}: {_reason(reason)}",
            request_sent=False,
            hint=_NOT_SENT_HINT,
        )

    @classmethod
    def lost(cls, reason: str | BaseException) -> FruxonConnectionError:
        """The connection broke after the request may have been sent."""
        return cls(
            f"connection failed: {_reason(reason)}",
            hint="the request may have reached the server",
        )


class FruxonTimeoutError(FruxonConnectionError):
    """A connect, read, stream-idle or overall deadline timeout expired.

    ``kind`` says which limit: ``"connect"``, ``"read"``, ``"stream_idle"``,
    ``"total"``, or ``"run_wait"`` for ``wait_for_run_end`` (``""`` if a
    transport could not tell). The constructors below hold the one wording
    every client uses; the client names the limit that expired and its value.
    """

    kind: str = ""
    #: For ``wait_for_run_end``: the run's status at the last poll (else ``None``).
    last_status: str | None = None

    @classmethod
    def _of(cls, kind: str, message: str, request_sent: bool, hint: str) -> FruxonTimeoutError:
        error = cls(message, request_sent=request_sent, hint=hint)
        error.kind = kind
        return error

    @classmethod
    def connecting(
        cls, detail: str = "", *, host: str = "", limit: float | None = None
    ) -> FruxonTimeoutError:
        """Opening the connection took longer than ``Timeout.connect`` (nothing was sent)."""
        message = "timed out connecting"
        if host:
            message += f" to {host}"
        if limit is not None:
            message += f" after {limit:g}s"
        if detail:
            message += f": {detail}"
        return cls._of("connect", message, False, f"connect timeout; {_NOT_SENT_HINT}")

    @classmethod
    def waiting(cls, limit: float | None = None, detail: str = "") -> FruxonTimeoutError:
        """No response bytes for ``Timeout.read`` seconds."""
        if limit is not None:
            detail = f"no data for {limit:g}s"
        return cls._of(
            "read",
            f"timed out waiting for the server{': ' + detail if detail else ''}",
            True,
            "read timeout: raise Timeout.read if the server needs longer",
        )

    @classmethod
    def stream_idle(cls, limit: float) -> FruxonTimeoutError:
        """No stream event for ``Timeout.stream_idle`` seconds (keep-alive comments don't count)."""
        return cls._of(
            "stream_idle",
            f"no stream event for {limit:g}s",
            True,
            "stream idle timeout: raise Timeout.stream_idle if the agent pauses for longer",
        )

    @classmethod
    def run_wait(
        cls, agent: str, record_id: str, timeout: float | None, last_status: str | None
    ) -> FruxonTimeoutError:
        """``wait_for_run_end`` reached its ``timeout`` before the run ended."""
        error = cls._of(
            "run_wait",
            f"timed out after {timeout:g}s waiting for run {record_id!r} of agent {agent!r} "
            f"to end; last status: {last_status or 'unknown'}",
            False,
            "",
        )
        error.last_status = last_status
        return error

    @classmethod
    def deadline(cls, total: float | None, *, request_sent: bool = False) -> FruxonTimeoutError:
        """``Timeout.total`` ran out: before an attempt (``request_sent=False``) or during one."""
        limit = "" if total is None else f" of {total:g}s"
        when = "while the server was answering" if request_sent else "before the next attempt"
        return cls._of(
            "total",
            f"the call's total deadline{limit} expired {when}",
            request_sent,
            "Timeout.total; raise it, or use total=None and bound a long stream with stream_idle",
        )


def failure_reason(error: BaseException) -> str:
    """The operating system's words for a network failure, whichever library raised it.

    HTTP libraries wrap the socket's error in their own exceptions and word
    it their own way (``Connect call failed ('127.0.0.1', 8080)``, ``All
    connection attempts failed``, ``HTTPConnectionPool(...): Max retries
    exceeded``). This follows the causes and wrapped errors down to the
    operating system's error and names it the way Python does:
    ``[Errno 111] Connection refused``, ``[Errno -2] Name or service not
    known``, or OpenSSL's text for a TLS failure. Without one, the error's own
    text (or its class name).
    """
    ssl = sys.modules.get("ssl")  # (core never imports it: an SSL error means it is loaded)
    unnumbered: str | None = None
    for found in _wrapped_errors(error):
        if ssl is not None and isinstance(found, ssl.SSLError):  # OpenSSL's words, no location
            return re.sub(r"\s*\(_ssl\.c:\d+\)$", "", str(found.strerror or found))
        if not isinstance(found, OSError):
            continue
        if not isinstance(found.errno, int):  # e.g. a bare ConnectionResetError()
            number = _ERRNO_OF.get(type(found))
            if unnumbered is None and number is not None:
                unnumbered = os.strerror(number)
            continue
        if found.errno > 0:
            return f"[Errno {found.errno}] {os.strerror(found.errno)}"
        if found.strerror:  # a resolver error (socket.gaierror): negative numbers
            return f"[Errno {found.errno}] {found.strerror}"
    if unnumbered is not None:
        return unnumbered
    while error.args and isinstance(error.args[0], BaseException):  # a wrapper: what it wraps
        error = error.args[0]
    if error.args and isinstance(error.args[0], str) and error.args[0]:
        return error.args[0]
    return str(error) or type(error).__name__


#: The error number a built-in connection error stands for when raised without one.
_ERRNO_OF: dict[type[BaseException], int] = {
    ConnectionRefusedError: errno.ECONNREFUSED,
    ConnectionResetError: errno.ECONNRESET,
    ConnectionAbortedError: errno.ECONNABORTED,
    BrokenPipeError: errno.EPIPE,
}


def _wrapped_errors(error: BaseException) -> Iterator[BaseException]:
    """``error``, then what it wraps, breadth first: causes, contexts, ``reason``, ``os_error``,
    exception arguments and the members of an exception group."""
    queue, seen = [error], set()
    while queue:
        current = queue.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        inner: list[object] = [current.__cause__, current.__context__]
        for name in ("reason", "os_error", "certificate_error", "exceptions"):
            try:
                inner.append(getattr(current, name, None))
            except Exception:  # (aiohttp < 3.10: os_error of a certificate error raises)
                continue
        inner.extend(current.args)
        for item in inner:
            if isinstance(item, BaseException):
                queue.append(item)
            elif isinstance(item, (list, tuple)):
                queue.extend(e for e in item if isinstance(e, BaseException))


def _reason(reason: str | BaseException) -> str:
    return reason if isinstance(reason, str) else failure_reason(reason)


class ClientClosedError(FruxonError, RuntimeError):
    """A request was made after the client was closed."""


class EventLoopMismatchError(FruxonError, RuntimeError):
    """An async client was used from an event loop other than the one it is bound to."""

    @classmethod
    def bound_elsewhere(cls, session: str) -> EventLoopMismatchError:
        """A call from a loop other than the one ``session`` (the HTTP library's client object,
        e.g. ``"aiohttp session"``) was created on, or passed in for."""
        return cls(
            f"this AsyncFruxonClient is bound to another event loop: its {session} was created "
            "on (or passed in for) a different loop. Create one client per event loop (e.g. "
            "per asyncio.run() call or per thread)."
        )

    @classmethod
    def closing_elsewhere(cls) -> EventLoopMismatchError:
        """``close()`` awaited on a loop other than the client's, which is still running."""
        return cls("close() must run on the event loop the client was used on")


class FruxonAPIError(FruxonError):
    """The server answered with an error status (or a 2xx body of the wrong shape)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        *,
        error_code: str | None = None,
        errors: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        problem: Mapping[str, Any] | None = None,
        body: bytes = b"",
    ) -> None:
        super().__init__(
            f"{status} {bounded(title, MAX_TITLE_CHARS)}: {bounded(detail, MAX_DETAIL_CHARS)}"
        )
        self.status = status
        self.status_code = status
        self.title = title
        self.detail = detail
        self.error_code = error_code
        self.errors = dict(errors or {})
        self.request_id = request_id
        self.headers = dict(headers or {})
        self.problem = dict(problem or {})
        self.body = body
        """The response body as received (``b""`` when there was none)."""

    def __repr__(self) -> str:
        title = bounded(self.title, MAX_TITLE_CHARS)
        detail = bounded(self.detail, MAX_DETAIL_CHARS)
        code = self.error_code if self.error_code is None else bounded(self.error_code, 200)
        request_id = self.request_id if self.request_id is None else bounded(self.request_id, 200)
        return (
            f"{type(self).__name__}(status={self.status}, title={title!r}, "
            f"detail={detail!r}, error_code={code!r}, request_id={request_id!r})"
        )


class UnexpectedResponseError(FruxonAPIError):
    """A 2xx answer whose body is not what the operation returns (not JSON, wrong shape).

    Also a 2xx answer to a stream call that is not ``text/event-stream`` (a
    gateway's JSON or HTML page): ``status``, ``title`` and ``detail`` are the
    server's, ``body`` what it sent.
    """

    def __init__(
        self, detail: str, *, status: int = 200, title: str = "Unexpected response", **kwargs: Any
    ) -> None:
        super().__init__(status, title, detail, **kwargs)


class ValidationError(FruxonAPIError):
    """The request was malformed or a required parameter was missing (400, 422)."""


class AuthenticationError(FruxonAPIError):
    """The API key was missing or rejected (401)."""


class ForbiddenError(FruxonAPIError):
    """The key is valid but may not do this (403)."""


class InsufficientScopeError(ForbiddenError):
    """403 naming the scope that was required and the scopes the key has."""

    def __init__(
        self, *args: Any, required: str = "", granted: list[str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.required = required
        self.granted = list(granted or [])


class NotFoundError(FruxonAPIError):
    """The agent, integration, tool, record or organization does not exist (404)."""


class ConflictError(FruxonAPIError):
    """The request conflicts with the current state, e.g. a duplicate id (409)."""


class RateLimitError(FruxonAPIError):
    """Too many requests (429). ``retry_after`` is the server's wait hint in seconds.

    When the server sent one, the message ends with it:
    ``"429 Too Many Requests: Slow down. (retry after 3s)"``.
    """

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after
        if retry_after is not None:
            wait = f"retry after {_whole_seconds(retry_after)}s"
            message = str(self.args[0])
            self.args = (f"{message}{wait}" if message.endswith(": ") else f"{message} ({wait})",)


class ServerError(FruxonAPIError):
    """The server failed (5xx)."""


class FruxonStreamError(FruxonAPIError):
    """A stream ended with an ``error`` event; ``message`` and ``code`` come from it.

    The run started (the stream's status was 200) and failed on the server
    part-way: ``"the run failed while streaming: provider down (code:
    provider_unavailable)"``.
    """

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(200, "Stream error", message, error_code=code)
        self.message = message
        self.code = code
        said = f" (code: {bounded(code, MAX_TITLE_CHARS)})" if code else ""
        self.args = (f"the run failed while streaming: {bounded(message, MAX_DETAIL_CHARS)}{said}",)


_STATUS_CLASSES: dict[int, type[FruxonAPIError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitError,
}

_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-correlation-id")


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or an HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    # Imported here: email.utils pulls in socket, and core must not load it at import.
    import email.utils

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def _render_errors(errors: Mapping[str, Any], detail: str) -> str:
    """ASP.NET ``{field: [msg, ...]}`` maps as ``field: msg; other: msg``, each problem once.

    What ``detail`` already says is left out: a message it contains, and the
    messages of a field it names (``"Missing required parameter(s): question."``
    needs no ``parameters.question: is required`` after it). ``errors`` keeps
    every message.
    """
    lines: list[str] = []
    said = detail.casefold()
    for field, messages in errors.items():
        name = _field_name(field)
        if name and re.search(rf"(?<!\w){re.escape(name.casefold())}(?!\w)", said):
            continue
        for message in messages if isinstance(messages, list) else [messages]:
            text = f"{message}"
            if text.strip().rstrip(".").casefold() in said:
                continue
            line = text if field in ("", "$") else f"{field}: {text}"
            if line not in lines:
                lines.append(line)
    return "; ".join(lines)


def _field_name(field: str) -> str:
    """The last name in a field path: ``question`` of ``parameters.question`` (``""`` for ``$``)."""
    names = [part for part in re.split(r"[.\[\]$]", field) if part and not part.isdigit()]
    return names[-1] if names else ""


def _whole_seconds(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole if whole == seconds else whole + 1}"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def error_from_response(
    status: int, headers: Mapping[str, str], body: bytes, *, reason: str = ""
) -> FruxonAPIError:
    """Build the exception for an error response, problem+json or not.

    ``headers`` must have lower-case names (as :class:`fruxon_core.http.Response` does).
    """
    try:
        problem = msgspec.json.decode(body) if body else None
    except msgspec.DecodeError:
        problem = None
    if not isinstance(problem, dict):
        text = body[: MAX_DETAIL_CHARS * 4].decode("utf-8", "replace").strip()[:500]
        problem = {"title": reason or "Error", "detail": text or reason or f"HTTP {status}"}
    title = _text(problem.get("title")) or _text(problem.get("message")) or reason or "Error"
    detail = _text(problem.get("detail")) or _text(problem.get("details"))
    errors = problem.get("errors")
    errors = errors if isinstance(errors, dict) else {}
    rendered = _render_errors(errors, detail) if errors else ""
    if rendered:
        detail = f"{detail}; {rendered}" if detail else rendered
    request_id = next((headers[h] for h in _REQUEST_ID_HEADERS if h in headers), None)
    code = problem.get("code")
    kwargs: dict[str, Any] = {
        "error_code": code if isinstance(code, str) else None,
        "errors": errors,
        "request_id": request_id,
        "headers": headers,
        "problem": problem,
        "body": body,
    }
    if status == 403 and problem.get("error") == "insufficient_scope":
        granted = problem.get("granted")
        return InsufficientScopeError(
            status,
            title,
            detail,
            required=_text(problem.get("required")),
            granted=[g for g in granted if isinstance(g, str)] if isinstance(granted, list) else [],
            **kwargs,
        )
    if status == 429:
        retry_after = parse_retry_after(headers.get("retry-after"))
        return RateLimitError(status, title, detail, retry_after=retry_after, **kwargs)
    cls = ServerError if status >= 500 else _STATUS_CLASSES.get(status, FruxonAPIError)
    return cls(status, title, detail, **kwargs)


def not_an_event_stream(
    status: int, headers: Mapping[str, str], body: bytes, *, reason: str = ""
) -> UnexpectedResponseError:
    """The error for a 2xx answer to a stream call that is not ``text/event-stream``.

    Such an answer usually comes from something in front of the API (a
    gateway, a proxy, a captive portal) speaking for it; its status and its
    message (problem+json, ``{"message": ...}`` or text) are kept. Never
    retried: the request reached something that answered, and the agent may
    have run.
    """
    shaped = error_from_response(status, headers, body, reason=reason)
    content_type = headers.get("content-type", "") or "no Content-Type"
    said = f"{shaped.detail}; " if shaped.detail else ""
    detail = (
        f"{said}expected a text/event-stream answer to a stream call, got "
        f"{bounded(content_type, 100)} (check for a proxy or gateway between you and the API)"
    )
    return UnexpectedResponseError(
        detail,
        status=status,
        title=shaped.title,
        error_code=shaped.error_code,
        errors=shaped.errors,
        request_id=shaped.request_id,
        headers=headers,
        problem=shaped.problem,
        body=body,
    )
