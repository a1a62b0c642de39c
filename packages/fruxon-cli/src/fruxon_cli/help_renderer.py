"""Typer's Rich help renderer, without the two Rich modules it loads for nothing.

``typer.rich_utils`` imports ``rich.markdown`` (markdown-it-py, Pygments) and
``rich.traceback`` (Pygments, attrs) at its top, for ``rich_markup_mode=
"markdown"`` and for pretty tracebacks. ``fruxon`` uses neither (Rich markup,
pretty exceptions off), yet loading them is about a third of what
``fruxon --help`` spends (~50 ms of ~150 ms). :func:`import_help_renderer`
imports ``typer.rich_utils`` with stand-ins for the two classes it takes from
them; a stand-in loads the real module the first time it is used, so nothing
changes but the start-up. The stand-in modules live in ``sys.modules`` only
while ``typer.rich_utils`` is imported: anything that imports ``rich.markdown``
afterwards gets the real one.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

__all__ = ["import_help_renderer"]

#: module -> the one name typer.rich_utils imports from it
_DEFERRED = {"rich.markdown": "Markdown", "rich.traceback": "Traceback"}


def _stand_in(module: str, name: str) -> type:
    """A class that builds (and forwards class attributes to) ``module.name``, imported then."""

    def real() -> Any:
        return getattr(importlib.import_module(module), name)

    class Forwarding(type):
        def __getattr__(cls, attribute: str) -> Any:  # Traceback.from_exception(...)
            return getattr(real(), attribute)

    class StandIn(metaclass=Forwarding):
        def __new__(cls, *args: Any, **kwargs: Any) -> Any:
            return real()(*args, **kwargs)

    StandIn.__name__ = StandIn.__qualname__ = name
    StandIn.__module__ = module
    return StandIn


def _place_stand_ins() -> dict[str, types.ModuleType]:
    placed: dict[str, types.ModuleType] = {}
    for module, name in _DEFERRED.items():
        if module not in sys.modules:
            stand_in = types.ModuleType(module, f"Stand-in for {module} (see {__name__}).")
            setattr(stand_in, name, _stand_in(module, name))
            sys.modules[module] = placed[module] = stand_in
    return placed


def _remove(placed: dict[str, types.ModuleType]) -> None:
    for module, stand_in in placed.items():
        if sys.modules.get(module) is stand_in:
            del sys.modules[module]


def import_help_renderer() -> None:
    """Import ``typer.rich_utils`` (once) without ``rich.markdown`` and ``rich.traceback``."""
    if "typer.rich_utils" in sys.modules:
        return
    placed = _place_stand_ins()
    try:
        importlib.import_module("typer.rich_utils")
    except ImportError:
        # A Typer that takes more names from them: import it the ordinary way.
        sys.modules.pop("typer.rich_utils", None)
        _remove(placed)
        placed = {}
        importlib.import_module("typer.rich_utils")
    finally:
        _remove(placed)
