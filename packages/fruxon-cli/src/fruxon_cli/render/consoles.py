"""The two Rich consoles: results on stdout, notices and errors on stderr.

Built per call rather than at import so they follow whatever ``sys.stdout`` is
at the time (test runners swap it). ``soft_wrap`` keeps streamed text and long
ids from being hard-wrapped at the terminal width.
"""

from __future__ import annotations

from rich.console import Console

__all__ = ["error_console", "output_console"]


def output_console() -> Console:
    return Console(soft_wrap=True, highlight=False)


def error_console() -> Console:
    return Console(stderr=True, soft_wrap=True, highlight=False)
