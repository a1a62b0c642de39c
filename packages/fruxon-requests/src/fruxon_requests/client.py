"""``FruxonClient``: the synchronous Fruxon client, on requests.

Every method is :class:`fruxon_core._sync.client.ClientBase`'s, generated from
the one async source in fruxon-core; this module only says which transport it
sends with.
"""

from __future__ import annotations

import requests

from fruxon_core._sync.client import ClientBase
from fruxon_core._sync.transport import Transport
from fruxon_core.tls import TLSSettings

from .transport import RequestsTransport

__all__ = ["FruxonClient"]


class FruxonClient(ClientBase[requests.Session]):
    """Run Fruxon agents and manage integrations and tools from synchronous code.

    ``timeout`` is either one number of seconds (connect is capped at 10 s) or a
    :class:`~fruxon_core.http.Timeout` with connect, read, stream-idle and total
    parts. Pass ``session=`` to reuse your own ``requests.Session`` (proxies,
    certificates, adapters); the client then never closes it. Without one,
    ``connector_limit`` is how many connections per host its pool keeps.

    Create one client per process and share it: it is safe to use from many
    threads at once (one connection pool, no per-call session state) and
    across ``fork()`` (a child opens its own connections). See
    :class:`~fruxon_requests.transport.RequestsTransport` for why.
    """

    def _create_transport(
        self, session: requests.Session | None, connector_limit: int, tls: TLSSettings
    ) -> Transport:
        return RequestsTransport(session, pool_size=connector_limit, tls=tls)
