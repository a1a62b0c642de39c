"""The transport contract: what binding an HTTP library to the client takes.

:class:`AsyncTransport` / :class:`AsyncStreamResponse` for asyncio libraries,
:class:`Transport` / :class:`StreamResponse` (their generated synchronous
twins) for blocking ones. A transport moves request values and bytes, parses
server-sent events and sleeps; the client written once in core does the rest.
The contract suite in ``tests/transport`` is the acceptance test of a new one.
"""

from ._async.transport import AsyncStreamResponse, AsyncTransport
from ._sync.transport import StreamResponse, Transport

__all__ = ["AsyncStreamResponse", "AsyncTransport", "StreamResponse", "Transport"]
