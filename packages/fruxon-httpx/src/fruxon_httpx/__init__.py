"""fruxon-httpx: the Fruxon clients on httpx -- sync, and async under asyncio or trio.

>>> from fruxon_httpx import AsyncFruxonClient, FruxonClient
>>> client = FruxonClient(api_key="...", org="acme-corp")  # doctest: +SKIP
"""

from fruxon_core import Timeout
from fruxon_core._async.streaming import AsyncEventStream, AsyncTextStream
from fruxon_core._sync.streaming import EventStream, TextStream
from fruxon_core._version import __version__
from fruxon_core.exceptions import ClientClosedError, EventLoopMismatchError

from .client import AsyncFruxonClient, FruxonClient
from .transport import AsyncHttpxTransport, HttpxTransport

__all__ = [
    "AsyncEventStream",
    "AsyncFruxonClient",
    "AsyncHttpxTransport",
    "AsyncTextStream",
    "ClientClosedError",
    "EventLoopMismatchError",
    "EventStream",
    "FruxonClient",
    "HttpxTransport",
    "TextStream",
    "Timeout",
    "__version__",
]
