"""Built-in logging plugin: one DEBUG line per request and response on the ``fruxon`` logger.

Headers are logged only with ``log_headers=True`` and then through
:func:`fruxon_core.redaction.redact_headers` (allowlist); bodies only when the
logger is enabled for :data:`DEBUG_BODIES` (level 5). ``FRUXON_LOG=debug`` (or
``debug-bodies``) in the environment turns logging on without code.
"""

from __future__ import annotations

import logging
import os
import time

from fruxon_core.exceptions import FruxonError
from fruxon_core.hooks import hookimpl
from fruxon_core.http import Request, Response
from fruxon_core.pipeline import CallContext
from fruxon_core.redaction import redact_headers

__all__ = ["DEBUG_BODIES", "LoggingPlugin", "configure_logging_from_env", "logger"]

logger = logging.getLogger("fruxon")

#: A level below DEBUG at which request and response bodies are logged too.
DEBUG_BODIES = 5
logging.addLevelName(DEBUG_BODIES, "DEBUG_BODIES")

_START = "logging.start"


class LoggingPlugin:
    """Logs each attempt: method, path, status, duration and attempt number."""

    name = "logging"

    def __init__(self, *, log_headers: bool = False, logger_: logging.Logger = logger) -> None:
        self.log_headers = log_headers
        self.logger = logger_

    @hookimpl(trylast=True)
    def fruxon_prepare_request(self, request: Request, context: CallContext) -> None:
        context.state[_START] = time.monotonic()
        if not self.logger.isEnabledFor(logging.DEBUG):
            return
        extra = f" headers={redact_headers(request.headers)}" if self.log_headers else ""
        self.logger.debug(
            "request %s %s attempt=%d%s", request.method, request.path, context.attempt, extra
        )
        if self.logger.isEnabledFor(DEBUG_BODIES) and request.body:
            self.logger.log(
                DEBUG_BODIES, "request body %s", request.body.decode("utf-8", "replace")
            )

    @hookimpl
    def fruxon_on_response(self, response: Response, context: CallContext) -> None:
        if not self.logger.isEnabledFor(logging.DEBUG):
            return
        elapsed_ms = (time.monotonic() - context.state.get(_START, time.monotonic())) * 1000
        extra = f" headers={redact_headers(response.headers)}" if self.log_headers else ""
        self.logger.debug(
            "response %s %s status=%d duration=%.1fms attempt=%d%s",
            response.request.method,
            response.request.path,
            response.status,
            elapsed_ms,
            context.attempt,
            extra,
        )
        if self.logger.isEnabledFor(DEBUG_BODIES) and response.body:
            self.logger.log(
                DEBUG_BODIES, "response body %s", response.body.decode("utf-8", "replace")
            )

    @hookimpl
    def fruxon_on_retry(self, error: FruxonError, delay: float, context: CallContext) -> None:
        self.logger.info(
            "retrying %s after %s (attempt %d failed); waiting %.2fs",
            context.operation,
            type(error).__name__,
            context.attempt,
            delay,
        )


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
