"""Idempotency-Key replay for POSTs that run agents or create resources.

The first request with a key runs; a repeat with the same fingerprint (method,
path, canonical body) gets the stored reply without running anything — even
while the first is still in flight. The same key with a different request is
a 409 `idempotency_key_reused`. Only successful replies are remembered: a
failed attempt leaves the key free, since retrying it cannot run twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections.abc import Awaitable, Callable

import msgspec

from .problems import ProblemError
from .replies import JsonReply, encode_json

__all__ = ["IDEMPOTENCY_HEADER", "MAX_ENTRIES", "IdempotencyCache", "request_fingerprint"]

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_ENTRIES = 10_000


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """Hash of the request; JSON bodies compare by content, not key order."""
    try:
        canonical = (
            msgspec.json.encode(msgspec.json.decode(body), order="sorted") if body.strip() else b""
        )
    except msgspec.DecodeError:
        canonical = body
    return hashlib.sha256(f"{method} {path}\n".encode() + canonical).hexdigest()


class IdempotencyCache:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: dict[tuple[str, str], tuple[str, asyncio.Future[JsonReply]]] = {}
        self._max_entries = max_entries

    def __len__(self) -> int:
        return len(self._entries)

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
        if reply.status >= 300:
            self._entries.pop(scope, None)
            future.set_result(reply)
            return reply, False
        future.set_result(_encoded(reply))
        self._forget_oldest()
        return reply, False

    def _forget_oldest(self) -> None:
        """Drop the oldest finished entries beyond `max_entries` (in-flight ones stay)."""
        excess = len(self._entries) - self._max_entries
        if excess <= 0:
            return
        oldest: list[tuple[str, str]] = []
        for scope, (_, future) in self._entries.items():  # oldest first
            if future.done():
                oldest.append(scope)
                if len(oldest) == excess:
                    break
        for scope in oldest:
            del self._entries[scope]

    def clear(self) -> None:
        self._entries.clear()


def _encoded(reply: JsonReply) -> JsonReply:
    """The same reply with its payload kept as the JSON bytes it is sent as."""
    if reply.status == 204 or isinstance(reply.payload, msgspec.Raw):
        return reply
    return dataclasses.replace(reply, payload=msgspec.Raw(encode_json(reply.payload)))
