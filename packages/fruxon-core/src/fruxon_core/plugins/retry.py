"""Built-in retry policy: exponential backoff with jitter, honouring ``Retry-After``.

What is retried:

* idempotent operations (reads, updates, deletes): connection failures and
  timeouts, sent or not, and 408, 429, 500, 502, 503, 504;
* non-idempotent operations (execute, stream, test, create…): only when the
  server provably did not run them -- a failure before the request was sent
  (refused connection, DNS, connect timeout), 429, 503. Never a 500 or any
  other answer after the server may have acted.
* never: a stream that broke after events arrived, an ``error`` event, a
  deadline that ran out (``Timeout.total``).

A ``Retry-After`` longer than ``max_retry_after`` is not slept through: the
:class:`~fruxon_core.exceptions.RateLimitError` (carrying ``retry_after``) is
raised instead.
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
