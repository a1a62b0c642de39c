"""``FruxonClient`` and ``AsyncFruxonClient`` on httpx: every method is core's (written once);
this module only says which transport each sends with."""

from __future__ import annotations

import httpx

from fruxon_core._async.client import AsyncClientBase
from fruxon_core._async.transport import AsyncTransport
from fruxon_core._sync.client import ClientBase
from fruxon_core._sync.transport import Transport
from fruxon_core.tls import TLSSettings

from .transport import AsyncHttpxTransport, HttpxTransport

__all__ = ["AsyncFruxonClient", "FruxonClient"]


class FruxonClient(ClientBase[httpx.Client]):
    """Run Fruxon agents and manage integrations and tools from synchronous code, on httpx.

    The arguments are :class:`~fruxon_requests.FruxonClient`'s. ``session=``
    takes your own ``httpx.Client`` (proxies, certificates, mounts and event
    hooks keep working; the client never closes it), e.g. ``httpx.Client(http2=True)``
    with the ``h2`` extra. One client is safe to share between threads and
    across ``fork()``.
    """

    def _create_transport(
        self, session: httpx.Client | None, connector_limit: int, tls: TLSSettings
    ) -> Transport:
        return HttpxTransport(session, connector_limit=connector_limit, tls=tls)


class AsyncFruxonClient(AsyncClientBase[httpx.AsyncClient]):
    """Run Fruxon agents and manage integrations and tools from asyncio or trio code, on httpx.

    The arguments are :class:`FruxonClient`'s, ``session=`` taking an
    ``httpx.AsyncClient``; the client's own is closed by ``await client.close()``
    or ``async with``. One client belongs to the event loop (or ``trio.run``) of
    its first call.
    """

    def _create_transport(
        self, session: httpx.AsyncClient | None, connector_limit: int, tls: TLSSettings
    ) -> AsyncTransport:
        return AsyncHttpxTransport(session, connector_limit=connector_limit, tls=tls)
