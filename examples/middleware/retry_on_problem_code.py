"""Retry errors the built-in policy gives up on, chosen by their problem ``code``."""

from __future__ import annotations

from collections.abc import Iterable

from fruxon_core import CallContext, FruxonAPIError, FruxonError, RetryDecision, hookimpl


class RetryOnProblemCode:
    """Retry an API error whose problem+json ``code`` is one of ``codes``.

    Returning ``None`` defers to the next plugin (in the end the built-in
    :class:`~fruxon_core.plugins.RetryPolicy`), so every other error keeps
    the default rules. ``max_retries`` and the call's deadline still apply.
    Only list codes that mean the server did not run the request: for
    ``execute`` and ``stream`` a retry after a run would run the agent again.
    """

    name = "retry-on-problem-code"

    def __init__(self, codes: Iterable[str], delay: float = 0.5) -> None:
        self.codes = frozenset(codes)
        self.delay = delay

    @hookimpl
    def fruxon_retry_decision(
        self, error: FruxonError, context: CallContext
    ) -> RetryDecision | None:
        if isinstance(error, FruxonAPIError) and error.error_code in self.codes:
            return RetryDecision.after(self.delay)
        return None
