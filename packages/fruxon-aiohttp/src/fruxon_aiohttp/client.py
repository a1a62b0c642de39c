"""``AsyncFruxonClient``: the asyncio Fruxon client, on aiohttp.

Every method is :class:`fruxon_core._async.client.AsyncClientBase`'s, written
once in fruxon-core; this module only says which transport it sends with.
"""

from __future__ import annotations

import aiohttp

from fruxon_core._async.client import AsyncClientBase
from fruxon_core._async.transport import AsyncTransport
from fruxon_core.tls import TLSSettings

from .transport import AiohttpTransport

__all__ = ["AsyncFruxonClient"]


class AsyncFruxonClient(AsyncClientBase[aiohttp.ClientSession]):
    """Run Fruxon agents and manage integrations and tools from asyncio code.

    The arguments are :class:`~fruxon_requests.FruxonClient`'s. The aiohttp
    session is created on first use, inside the running loop, so the client
    itself can be built anywhere; it pools up to ``connector_limit``
    connections (``0`` = unlimited) and is closed by ``await client.close()``
    or ``async with``. A session passed as ``session=`` is used as-is and
    never closed by the client. One client belongs to one event loop.
    """

    def _create_transport(
        self, session: aiohttp.ClientSession | None, connector_limit: int, tls: TLSSettings
    ) -> AsyncTransport:
        return AiohttpTransport(session, connector_limit=connector_limit, tls=tls)
