"""fruxon-requests: the synchronous Fruxon client, on requests and sseclient-py.

>>> from fruxon_requests import FruxonClient
>>> client = FruxonClient(api_key="...", org="acme-corp")  # doctest: +SKIP
"""

from fruxon_core import Timeout
from fruxon_core._version import __version__

from .client import FruxonClient
from .streaming import EventStream, TextStream

__all__ = ["EventStream", "FruxonClient", "TextStream", "Timeout", "__version__"]
