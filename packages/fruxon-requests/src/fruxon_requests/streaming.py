"""The sync stream objects, now written once in core (kept here for one release).

Import them from :mod:`fruxon_requests` (or :mod:`fruxon_core._sync.streaming`).
"""

from fruxon_core._sync.streaming import EventStream, TextStream

__all__ = ["EventStream", "TextStream"]
