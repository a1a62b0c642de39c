"""The async stream objects, now written once in core (kept here for one release).

Import them from :mod:`fruxon_aiohttp` (or :mod:`fruxon_core._async.streaming`).
"""

from fruxon_core._async.streaming import AsyncEventStream, AsyncTextStream

__all__ = ["AsyncEventStream", "AsyncTextStream"]
