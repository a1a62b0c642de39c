"""Every exception the client raises, importable beside it (defined in fruxon_core.exceptions)."""

from fruxon_core.exceptions import *  # noqa: F403
from fruxon_core.exceptions import __all__ as __all__
