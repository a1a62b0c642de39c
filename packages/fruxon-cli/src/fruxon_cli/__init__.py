"""fruxon-cli: the ``fruxon`` command — run, chat with and trace Fruxon agents.

>>> from fruxon_cli import main
>>> main(["agents", "list", "--emulator"])  # doctest: +SKIP
"""

from __future__ import annotations

__all__ = ["__version__", "main"]


def __getattr__(name: str) -> str:
    # ``__version__`` is looked up on first use: importlib.metadata costs more
    # than the rest of ``fruxon --help`` start-up would.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("fruxon-cli")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            return "0.0.0"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: list[str] | None = None) -> None:
    """Run the ``fruxon`` command (imported lazily to keep ``import fruxon_cli`` cheap)."""
    from .app import main as run_main

    run_main(argv)
