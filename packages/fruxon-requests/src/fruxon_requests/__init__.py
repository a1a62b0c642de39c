"""fruxon-requests: the synchronous Fruxon client, on requests and sseclient-py.

>>> from fruxon_requests import FruxonClient
>>> client = FruxonClient(api_key="...", org="acme-corp")  # doctest: +SKIP
"""

from fruxon_core import Timeout
from fruxon_core._sync.streaming import EventStream, TextStream
from fruxon_core._version import __version__
from fruxon_core.exceptions import ClientClosedError

from .client import FruxonClient
from .transport import RequestsTransport

__all__ = [
    "ClientClosedError",
    "EventStream",
    "FruxonClient",
    "RequestsTransport",
    "TextStream",
    "Timeout",
    "__version__",
]
