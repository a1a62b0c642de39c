"""Built-in authentication plugins: a static API key, or Bearer tokens from a provider.

:class:`ApiKeyAuth` is what a client registers as ``"auth"`` by default.
:class:`BearerTokenAuth` asks a *token provider* for short-lived tokens, caches
the answer until the provider says it expired (:class:`AccessToken`) and asks
again, once per call, after the server answered 401.

A provider is any of:

* a function returning ``str`` or :class:`AccessToken` (``lambda: vault.read()``);
* an object with ``get_token()`` and/or ``async aget_token()``;
* an ``async def`` function (async client only).

The async client uses ``aget_token()`` (or the ``async def`` function) and
never blocks its event loop on it; hooks stay synchronous, so the plugin hands
the client a coroutine to await. A provider with only a synchronous method is
called inline in the async client too; if it does I/O, give it an
``aget_token`` that wraps it in ``asyncio.to_thread``. The sync client cannot
await, so an async-only provider raises ``TypeError`` there.

The 401 refresh is a retry (``RetryDecision.after(0)`` from
:meth:`BearerTokenAuth.fruxon_retry_decision`) and counts against
``max_retries`` like any other: ``max_retries`` always bounds how many
requests one call sends. With ``max_retries=0`` the call raises
:class:`~fruxon_core.exceptions.AuthenticationError`, and the next call asks
the provider for a new token.
"""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from fruxon_core.config import Secret
from fruxon_core.exceptions import AuthenticationError, FruxonError
from fruxon_core.hooks import hookimpl
from fruxon_core.http import Request
from fruxon_core.pipeline import CallContext, RetryDecision, close_awaitable

__all__ = ["AccessToken", "ApiKeyAuth", "BearerTokenAuth", "TokenProvider"]

#: ``context.state`` keys (per call).
_USED_GENERATION = "auth.generation"
_REFRESHED = "auth.refreshed_after_401"


class ApiKeyAuth:
    """Sends the API key as an ``X-API-KEY`` header (the default) or as a Bearer token."""

    name = "auth"

    def __init__(
        self, api_key: Secret | str, *, scheme: Literal["x-api-key", "bearer"] = "x-api-key"
    ) -> None:
        self._api_key = api_key if isinstance(api_key, Secret) else Secret(api_key)
        self._scheme = scheme

    def __repr__(self) -> str:
        return f"ApiKeyAuth(api_key={self._api_key!r}, scheme={self._scheme!r})"

    @hookimpl
    def fruxon_prepare_request(self, request: Request, context: CallContext) -> Mapping[str, str]:
        key = self._api_key.get_secret_value()
        if self._scheme == "bearer":
            return {"Authorization": f"Bearer {key}"}
        return {"X-API-KEY": key}


@dataclass(frozen=True, repr=False)
class AccessToken:
    """A token and, optionally, when it stops working (``time.time()`` seconds)."""

    token: str
    expires_at: float | None = None

    def __repr__(self) -> str:
        return f"AccessToken(token={Secret(self.token)!r}, expires_at={self.expires_at!r})"


TokenResult: TypeAlias = "str | AccessToken"
#: What :class:`BearerTokenAuth` accepts as a provider: a function returning a token
#: (or an awaitable of one), or an object with ``get_token()`` and/or ``aget_token()``.
TokenProvider: TypeAlias = "Callable[[], TokenResult | Awaitable[TokenResult]] | Any"


class BearerTokenAuth:
    """``Authorization: Bearer <token>`` with tokens from a provider, refreshed when stale.

    ``refresh_margin`` asks for a new token that many seconds before
    ``expires_at``, so a request never leaves with a token about to expire.
    Concurrent calls in the async client that all find the token stale may
    each ask the provider once; a provider should be cheap to ask twice.
    """

    name = "auth"

    def __init__(self, provider: TokenProvider, *, refresh_margin: float = 30.0) -> None:
        self._get, self._aget = _provider_methods(provider)
        self._provider = provider
        self.refresh_margin = refresh_margin
        self._token: AccessToken | None = None
        self._generation = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"BearerTokenAuth(provider={self._provider!r})"

    # -- hooks ----------------------------------------------------------------------------

    @hookimpl
    def fruxon_prepare_request(
        self, request: Request, context: CallContext
    ) -> Mapping[str, str] | Awaitable[Mapping[str, str]]:
        cached = self._fresh_token()
        if cached is not None:
            return self._headers(cached, context)
        if context.is_async and self._aget is not None:
            return self._fetch_async(self._aget, context)
        if self._get is None:
            raise TypeError(
                f"{self._provider!r} only has an async aget_token(); the sync client "
                "needs a provider with get_token() or a plain function"
            )
        with self._lock:
            cached = self._fresh_token()
            if cached is not None:
                return self._headers(cached, context)
            result = self._get()
            if inspect.isawaitable(result):
                if context.is_async:
                    return self._await_token(result, context)
                close_awaitable(result)
                raise TypeError(
                    f"the token provider {self._provider!r} returned an awaitable; the sync "
                    "client cannot await it -- give it a synchronous get_token()"
                )
            return self._headers(self._store(result), context)

    @hookimpl
    def fruxon_retry_decision(
        self, error: FruxonError, context: CallContext
    ) -> RetryDecision | None:
        """After a 401, drop the token this call used and retry once with a new one."""
        if not isinstance(error, AuthenticationError) or context.state.get(_REFRESHED):
            return None
        context.state[_REFRESHED] = True
        self.invalidate(context.state.get(_USED_GENERATION))
        return RetryDecision.after(0)

    # -- the token cache --------------------------------------------------------------------

    def invalidate(self, generation: int | None = None) -> None:
        """Forget the cached token (only if it is still ``generation``, when given)."""
        with self._lock:
            if generation is None or generation == self._generation:
                self._token = None

    def _fresh_token(self) -> AccessToken | None:
        token = self._token
        if token is None:
            return None
        if token.expires_at is not None and token.expires_at - self.refresh_margin <= time.time():
            return None
        return token

    def _store(self, result: TokenResult) -> AccessToken:
        token = result if isinstance(result, AccessToken) else AccessToken(result)
        if not isinstance(token.token, str) or not token.token:
            raise TypeError(
                f"the token provider returned {type(token.token).__name__}, not a token"
            )
        self._token = token
        self._generation += 1
        return token

    def _headers(self, token: AccessToken, context: CallContext) -> Mapping[str, str]:
        context.state[_USED_GENERATION] = self._generation
        return {"Authorization": f"Bearer {token.token}"}

    async def _fetch_async(
        self, aget: Callable[[], Awaitable[TokenResult]], context: CallContext
    ) -> Mapping[str, str]:
        return await self._await_token(aget(), context)

    async def _await_token(
        self, pending: Awaitable[TokenResult], context: CallContext
    ) -> Mapping[str, str]:
        result = await pending
        with self._lock:
            return self._headers(self._store(result), context)


def _provider_methods(
    provider: Any,
) -> tuple[Callable[[], Any] | None, Callable[[], Awaitable[TokenResult]] | None]:
    """The provider's (sync, async) ways to get a token; at least one is present."""
    get = getattr(provider, "get_token", None)
    aget = getattr(provider, "aget_token", None)
    if get is None and aget is None and callable(provider):
        method = type(provider).__call__ if not inspect.isfunction(provider) else None
        if inspect.iscoroutinefunction(provider) or inspect.iscoroutinefunction(method):
            aget = provider
        else:
            get = provider
    if get is None and aget is None:
        raise TypeError(
            "a token provider must be callable or have get_token() / aget_token(), "
            f"got {type(provider).__name__}"
        )
    return get, aget
