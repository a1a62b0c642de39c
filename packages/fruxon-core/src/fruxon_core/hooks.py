"""pluggy hook specifications: the contract every middleware plugin implements.

Hooks are synchronous decisions without I/O, so one plugin works unchanged in
the sync and the async client. Implement any subset on any object and pass it
as ``plugins=[...]``::

    from fruxon_core import hookimpl

    class AddTraceHeader:
        @hookimpl
        def fruxon_prepare_request(self, request, context):
            return {"traceparent": make_traceparent()}

Order: pluggy calls the most recently registered plugin first; mark an
implementation ``@hookimpl(tryfirst=True)`` or ``(trylast=True)`` to move it.
Built-ins are registered first (auth, retry, logging), then entry-point
plugins, then ``plugins=[...]`` in list order, so user plugins run before the
built-ins and, for :func:`fruxon_retry_decision`, get the first word. The
built-in retry policy is ``trylast`` so it always answers last.

Every ``fruxon_prepare_request`` implementation sees the same base request;
their headers are merged afterwards in call order (a later result wins on a
clash). :func:`fruxon_on_request` then shows the final request, as sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .events import StreamEvent
    from .exceptions import FruxonError
    from .http import Request, Response
    from .pipeline import CallContext, RetryDecision

__all__ = ["PROJECT_NAME", "hookimpl", "hookspec"]

PROJECT_NAME = "fruxon"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def fruxon_prepare_request(
    request: Request, context: CallContext
) -> Mapping[str, str] | Awaitable[Mapping[str, str] | None] | None:
    """Return headers to set on the outgoing request (auth, user agent, tracing, signing).

    Called once per attempt, so a retried request is prepared (and signed) again.
    Return ``None`` to change nothing. Only the async client accepts an awaitable
    result; the sync client raises ``TypeError`` for one.
    """


@hookspec
def fruxon_on_request(request: Request, context: CallContext) -> None:
    """Observe the request of one attempt as it will be sent, after every prepare hook."""


@hookspec
def fruxon_on_response(response: Response, context: CallContext) -> None:
    """Observe a response (for a stream: its status and headers, with an empty body)."""


@hookspec
def fruxon_on_error(error: FruxonError, context: CallContext) -> None:
    """Observe an error of one attempt: an API error, a connection failure or a timeout."""


@hookspec
def fruxon_on_stream_event(event: StreamEvent, context: CallContext) -> None:
    """Observe each stream event before the caller sees it."""


@hookspec(firstresult=True)
def fruxon_retry_decision(error: FruxonError, context: CallContext) -> RetryDecision | None:
    """Decide whether the failed attempt is retried and after how long.

    The first plugin that returns a :class:`~fruxon_core.pipeline.RetryDecision`
    wins; ``None`` defers to the next plugin (the built-in retry policy is last).
    The client still enforces ``max_retries`` and the call's total deadline.
    """


@hookspec
def fruxon_on_retry(error: FruxonError, delay: float, context: CallContext) -> None:
    """Observe a retry about to happen; ``context.attempt`` is the attempt that failed."""
