"""fruxon-cli: the ``fruxon`` command — run, chat with and trace Fruxon agents.

>>> from fruxon_cli import main
>>> main(["agents", "list", "--emulator"])  # doctest: +SKIP
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("fruxon-cli")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__", "main"]


def main(argv: list[str] | None = None) -> None:
    """Run the ``fruxon`` command (imported lazily to keep ``import fruxon_cli`` cheap)."""
    from .app import main as run_main

    run_main(argv)
