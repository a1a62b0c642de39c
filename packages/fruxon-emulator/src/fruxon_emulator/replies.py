"""JSON replies as values, and the two ways of putting them on the wire.

Handlers return a JsonReply instead of an aiohttp Response so the same value
can be cached for Idempotency-Key replays and, under the `truncate` fault,
be sent with its full Content-Length but only half of its bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec
from aiohttp import web

from .problems import PROBLEM_CONTENT_TYPE, ProblemError

__all__ = ["JsonReply", "encode_json", "problem_reply", "render_reply", "send_truncated"]


encode_json = msgspec.json.encode
"""Compact UTF-8 JSON (`payload -> bytes`): one line, which SSE `data:` framing relies on.

msgspec rather than `json`: a 20,000-event benchmark stream encodes one
payload per event, and the stdlib encoder was the emulator's largest cost.
"""


@dataclass(frozen=True)
class JsonReply:
    """A JSON answer; with no payload (`None`) it has no body at all (204, 202)."""

    status: int
    payload: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def body_bytes(self) -> bytes:
        return b"" if self.status == 204 or self.payload is None else encode_json(self.payload)

    def with_headers(self, extra: Mapping[str, str]) -> JsonReply:
        return JsonReply(self.status, self.payload, {**self.headers, **extra}, self.content_type)


def problem_reply(problem: ProblemError, instance: str) -> JsonReply:
    return JsonReply(problem.status, problem.body(instance), problem.headers, PROBLEM_CONTENT_TYPE)


def render_reply(reply: JsonReply) -> web.Response:
    if reply.status == 204 or reply.payload is None:
        return web.Response(status=reply.status, headers=reply.headers)
    response = web.Response(status=reply.status, body=reply.body_bytes(), headers=reply.headers)
    response.content_type = reply.content_type
    return response


async def send_truncated(request: web.BaseRequest, reply: JsonReply) -> web.StreamResponse:
    """Declare the full Content-Length, send the first half, then close.

    Clients must notice the short body (IncompleteRead / payload error) rather
    than parse half a document.
    """
    body = reply.body_bytes()
    response = web.StreamResponse(status=reply.status, headers=reply.headers)
    response.content_type = reply.content_type
    response.content_length = len(body)
    response.force_close()
    await response.prepare(request)
    await response.write(body[: len(body) // 2])
    if request.transport is not None:
        request.transport.close()
    return response
