"""Send one structured record per attempt to a sink of your choice (a list, a queue, a DB)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fruxon_core import CallContext, FruxonAPIError, FruxonError, Request, Response, hookimpl

Record = dict[str, Any]


class RequestLogSink:
    """Calls ``sink(record)`` once per attempt, with its outcome and duration.

    A record has ``operation``, ``agent_id``, ``method``, ``path``, ``attempt``,
    ``status`` (``None`` without a response), ``error`` (the exception class
    name or ``None``) and ``duration_ms``. No headers and no bodies, so
    nothing secret can reach the sink.
    """

    name = "request-log-sink"

    def __init__(self, sink: Callable[[Record], None]) -> None:
        self.sink = sink

    @hookimpl
    def fruxon_on_request(self, request: Request, context: CallContext) -> None:
        context.state["sink.started"] = time.monotonic()
        context.state["sink.request"] = (request.method, request.path)

    @hookimpl
    def fruxon_on_response(self, response: Response, context: CallContext) -> None:
        if response.ok:  # errors are reported by fruxon_on_error, with their class
            self._emit(context, status=response.status, error=None)

    @hookimpl
    def fruxon_on_error(self, error: FruxonError, context: CallContext) -> None:
        status = error.status if isinstance(error, FruxonAPIError) else None
        self._emit(context, status=status, error=type(error).__name__)

    def _emit(self, context: CallContext, *, status: int | None, error: str | None) -> None:
        method, path = context.state.get("sink.request", ("", ""))
        started = context.state.get("sink.started", time.monotonic())
        self.sink(
            {
                "operation": context.operation,
                "agent_id": context.agent_id,
                "method": method,
                "path": path,
                "attempt": context.attempt,
                "status": status,
                "error": error,
                "duration_ms": round((time.monotonic() - started) * 1000, 3),
            }
        )
