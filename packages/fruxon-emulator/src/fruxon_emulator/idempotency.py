"""Idempotency-Key replay for POSTs that run agents or create resources.

The first request with a key runs; a repeat with the same fingerprint (method,
path, canonical body) gets the stored reply without running anything — even
while the first is still in flight. The same key with a different request is
a 409 `idempotency_key_reused`. Only successful replies are remembered: a
failed attempt leaves the key free, since retrying it cannot run twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable

from .problems import ProblemError
from .replies import JsonReply

__all__ = ["IDEMPOTENCY_HEADER", "IdempotencyCache", "request_fingerprint"]

IDEMPOTENCY_HEADER = "Idempotency-Key"


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """Hash of the request; JSON bodies compare by content, not key order."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True).encode() if body.strip() else b""
    except (ValueError, RecursionError):
        canonical = body
    return hashlib.sha256(f"{method} {path}\n".encode() + canonical).hexdigest()


class IdempotencyCache:
    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], tuple[str, asyncio.Future[JsonReply]]] = {}

    async def run(
        self,
        scope: tuple[str, str],
        fingerprint: str,
        produce: Callable[[], Awaitable[JsonReply]],
    ) -> tuple[JsonReply, bool]:
        """The reply and whether it was replayed from the cache."""
        entry = self._entries.get(scope)
        if entry is not None:
            if entry[0] != fingerprint:
                raise ProblemError(
                    409,
                    "This Idempotency-Key was already used with a different request.",
                    code="idempotency_key_reused",
                )
            return await asyncio.shield(entry[1]), True
        future: asyncio.Future[JsonReply] = asyncio.get_running_loop().create_future()
        self._entries[scope] = (fingerprint, future)
        try:
            reply = await produce()
        except Exception as exc:
            self._entries.pop(scope, None)
            future.set_exception(exc)
            future.exception()  # mark retrieved: there may be no waiter
            raise
        except BaseException:
            self._entries.pop(scope, None)
            future.cancel()
            raise
        future.set_result(reply)
        if reply.status >= 300:
            self._entries.pop(scope, None)
        return reply, False

    def clear(self) -> None:
        self._entries.clear()
