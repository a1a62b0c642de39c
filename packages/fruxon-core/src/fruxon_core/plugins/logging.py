"""Built-in logging plugin: one DEBUG line per request and response on the ``fruxon`` logger.

What is logged, per attempt:

* DEBUG ``request`` -- method, path, attempt, as sent (after every prepare hook);
* DEBUG ``response`` -- method, path, status, duration, attempt (for a stream:
  when its head arrives, marked ``stream``);
* DEBUG ``error`` -- for a failed attempt that has no error response to show:
  a connection failure, a timeout, a broken stream, an ``error`` event;
* INFO ``retrying`` -- the operation, the error and the attempt that failed.

Headers are logged only with ``log_headers=True`` and then through
:func:`fruxon_core.redaction.redact_headers` (an allowlist: ``X-API-KEY``,
``Authorization`` and anything unknown print as ``REDACTED``); bodies and
stream events only when the logger is enabled for :data:`DEBUG_BODIES`
(level 7). ``FRUXON_LOG=debug`` (or ``debug-bodies``, ``info``) in the
environment turns logging on without code.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping

from fruxon_core.events import StreamEvent
from fruxon_core.exceptions import FruxonError
from fruxon_core.hooks import hookimpl
from fruxon_core.http import Request, Response
from fruxon_core.pipeline import CallContext
from fruxon_core.redaction import redact_headers

__all__ = ["DEBUG_BODIES", "LoggingPlugin", "configure_logging_from_env", "logger"]

logger = logging.getLogger("fruxon")

#: A level below DEBUG at which request and response bodies are logged too. Not 5:
#: uvicorn and others name that level ``TRACE``, and a level has only one name.
DEBUG_BODIES = 7
logging.addLevelName(DEBUG_BODIES, "DEBUG_BODIES")

_START = "logging.start"
_REQUEST = "logging.request"
_ERROR_RESPONSE_ATTEMPT = "logging.error_response_attempt"


class LoggingPlugin:
    """Logs each attempt: method, path, status, duration and attempt number."""

    name = "logging"

    def __init__(self, *, log_headers: bool = False, logger_: logging.Logger = logger) -> None:
        self.log_headers = log_headers
        self.logger = logger_

    @hookimpl
    def fruxon_on_request(self, request: Request, context: CallContext) -> None:
        state = context.state
        state[_START] = time.monotonic()
        state[_REQUEST] = request  # (its line is written out only for an error)
        if not self.logger.isEnabledFor(logging.DEBUG):
            return
        self.logger.debug(
            "request %s %s attempt=%d%s",
            request.method,
            request.path,
            context.attempt,
            self._headers(request.headers),
        )
        body = request.body
        if body and self.logger.isEnabledFor(DEBUG_BODIES):
            if isinstance(body, bytes):
                self.logger.log(DEBUG_BODIES, "request body %s", body.decode("utf-8", "replace"))
            else:  # an upload: its bytes are not logged
                self.logger.log(DEBUG_BODIES, "request body %r", body)

    @hookimpl
    def fruxon_on_response(self, response: Response, context: CallContext) -> None:
        if not 200 <= response.status < 300:  # (response.ok, without the property call)
            context.state[_ERROR_RESPONSE_ATTEMPT] = context.attempt
        if not self.logger.isEnabledFor(logging.DEBUG):
            return
        self.logger.debug(
            "response %s %s status=%d duration=%.1fms attempt=%d%s%s",
            response.request.method,
            response.request.path,
            response.status,
            _elapsed_ms(context),
            context.attempt,
            " stream" if context.streaming and response.ok else "",
            self._headers(response.headers),
        )
        if response.body and self.logger.isEnabledFor(DEBUG_BODIES):
            self.logger.log(
                DEBUG_BODIES, "response body %s", response.body.decode("utf-8", "replace")
            )

    @hookimpl
    def fruxon_on_error(self, error: FruxonError, context: CallContext) -> None:
        """One line for a failed attempt whose error response was not logged already."""
        if context.state.get(_ERROR_RESPONSE_ATTEMPT) == context.attempt:
            return
        if not self.logger.isEnabledFor(logging.DEBUG):
            return
        self.logger.debug(
            "error %s duration=%.1fms attempt=%d events=%d: %s: %s",
            _request_line(context),
            _elapsed_ms(context),
            context.attempt,
            context.events_received,
            type(error).__name__,
            error,
        )

    @hookimpl
    def fruxon_on_stream_event(self, event: StreamEvent, context: CallContext) -> None:
        if self.logger.isEnabledFor(DEBUG_BODIES):
            self.logger.log(DEBUG_BODIES, "stream event %s %s", event.event, event.data)

    @hookimpl
    def fruxon_on_retry(self, error: FruxonError, delay: float, context: CallContext) -> None:
        self.logger.info(
            "retrying %s after %s (attempt %d failed); waiting %.2fs",
            context.operation,
            type(error).__name__,
            context.attempt,
            delay,
        )

    def _headers(self, headers: Mapping[str, str]) -> str:
        return f" headers={redact_headers(headers)}" if self.log_headers else ""


def _request_line(context: CallContext) -> str:
    request = context.state.get(_REQUEST)
    if not isinstance(request, Request):
        return context.operation
    return f"{request.method} {request.path}"


def _elapsed_ms(context: CallContext) -> float:
    started: float = context.state.get(_START, time.monotonic())
    return (time.monotonic() - started) * 1000


def configure_logging_from_env() -> None:
    """Honour ``FRUXON_LOG=debug|debug-bodies|info`` by attaching a stderr handler once."""
    value = os.environ.get("FRUXON_LOG", "").strip().lower()
    levels = {"debug": logging.DEBUG, "debug-bodies": DEBUG_BODIES, "info": logging.INFO}
    if value not in levels or getattr(logger, "_fruxon_env_configured", False):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(levels[value])
    logger._fruxon_env_configured = True  # type: ignore[attr-defined]
