"""fruxon-aiohttp: the asyncio Fruxon client, on aiohttp.

>>> from fruxon_aiohttp import AsyncFruxonClient
>>> async def main() -> None:  # doctest: +SKIP
...     async with AsyncFruxonClient(api_key="...", org="acme-corp") as client:
...         async for event in client.stream("support-agent", parameters={"question": "hi"}):
...             print(event.event, event.data)
"""

from fruxon_core import Timeout
from fruxon_core._version import __version__

from .client import AsyncFruxonClient
from .streaming import AsyncEventStream, AsyncTextStream
from .transport import ClientClosedError, EventLoopMismatchError

__all__ = [
    "AsyncEventStream",
    "AsyncFruxonClient",
    "AsyncTextStream",
    "ClientClosedError",
    "EventLoopMismatchError",
    "Timeout",
    "__version__",
]
