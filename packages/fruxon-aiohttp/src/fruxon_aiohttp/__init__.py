"""fruxon-aiohttp: the asyncio Fruxon client, on aiohttp.

>>> from fruxon_aiohttp import AsyncFruxonClient
>>> async def main() -> None:  # doctest: +SKIP
...     async with AsyncFruxonClient(api_key="...", org="acme-corp") as client:
...         async for event in client.stream("support-agent", parameters={"question": "hi"}):
...             print(event.event, event.data)
"""

from fruxon_core import Timeout
from fruxon_core._async.streaming import AsyncEventStream, AsyncTextStream
from fruxon_core._version import __version__
from fruxon_core.exceptions import ClientClosedError, EventLoopMismatchError

from .client import AsyncFruxonClient
from .transport import AiohttpTransport

__all__ = [
    "AiohttpTransport",
    "AsyncEventStream",
    "AsyncFruxonClient",
    "AsyncTextStream",
    "ClientClosedError",
    "EventLoopMismatchError",
    "Timeout",
    "__version__",
]
