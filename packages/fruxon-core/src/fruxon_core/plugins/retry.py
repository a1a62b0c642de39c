"""Built-in retry policy: exponential backoff with jitter, honouring ``Retry-After``.

What is retried, up to ``max_retries`` times:

* reads, updates and deletes (idempotent: GET, PUT, DELETE): after any
  connection failure or timeout, whether or not the request was sent, and
  after 408, 429, 500, 502, 503 and 504;
* ``execute``, ``stream``, ``test``, creates and every other POST or PATCH
  (not idempotent): only when the server provably did not run them -- a failure
  before the request was sent (refused connection, DNS, TLS handshake,
  connect timeout), 429 and 503. Never after a 500, a 502, a 504 or a
  timeout once the request was sent: the agent may have run.
* never, whatever the operation: a stream that broke after events arrived,
  an ``error`` event, and any other status.

A ``Retry-After`` (seconds or an HTTP date) on a retried answer sets the
wait. One longer than ``max_retry_after`` (60 s by default) is not slept
through: the error (a :class:`~fruxon_core.exceptions.RateLimitError`
carrying ``retry_after`` for a 429) is raised instead. The client adds one
rule of its own: no retry starts after the call's ``Timeout.total`` deadline,
nor one whose wait would end after it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from fruxon_core.exceptions import (
    FruxonAPIError,
    FruxonConnectionError,
    FruxonError,
    FruxonStreamError,
    RateLimitError,
    parse_retry_after,
)
from fruxon_core.hooks import hookimpl
from fruxon_core.pipeline import CallContext, RetryDecision

__all__ = ["RetryPolicy"]

#: Statuses retried for idempotent operations (a repeat is harmless).
ALWAYS_RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
#: Statuses that prove a non-idempotent request did not run.
NOT_EXECUTED_STATUSES = frozenset({429, 503})


@dataclass
class RetryPolicy:
    """Backoff ``initial_delay * 2**(attempt-1)``, capped at ``max_delay``, with full jitter."""

    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    jitter: float = 1.0
    """Fraction of the delay drawn at random (0 disables jitter)."""

    name = "retry"

    def is_retryable(self, error: FruxonError, context: CallContext) -> bool:
        if isinstance(error, FruxonStreamError):
            return False
        if isinstance(error, FruxonConnectionError):
            if context.events_received:
                return False
            return not error.request_sent or context.idempotent
        if isinstance(error, FruxonAPIError):
            allowed = ALWAYS_RETRYABLE_STATUSES if context.idempotent else NOT_EXECUTED_STATUSES
            return error.status in allowed
        return False

    def backoff(self, attempt: int) -> float:
        """The wait after the given failed attempt (1-based)."""
        delay = min(self.max_delay, self.initial_delay * 2.0 ** (attempt - 1))
        return delay * (1 - self.jitter * random.random())

    @hookimpl(trylast=True)
    def fruxon_retry_decision(self, error: FruxonError, context: CallContext) -> RetryDecision:
        if not self.is_retryable(error, context):
            return RetryDecision.give_up()
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            if error.retry_after > self.max_retry_after:
                return RetryDecision.give_up()
            return RetryDecision.after(error.retry_after)
        retry_after = getattr(error, "headers", {}).get("retry-after")
        if retry_after is not None:
            seconds = parse_retry_after(retry_after)
            if seconds is not None:
                if seconds > self.max_retry_after:
                    return RetryDecision.give_up()
                return RetryDecision.after(seconds)
        return RetryDecision.after(self.backoff(context.attempt))
