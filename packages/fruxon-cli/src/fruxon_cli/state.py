"""Per-invocation state shared from the root command with its subcommands."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .config import ConnectionOptions

__all__ = ["CliState", "cli_state"]


@dataclass
class CliState:
    """Root flags, plus what the error reporter needs to know about the run."""

    root: ConnectionOptions = field(default_factory=ConnectionOptions)
    debug: bool = False
    json_errors: bool = False
    """Set for commands given ``--json``: errors are then also reported as JSON."""
    connection: ConnectionOptions | None = None
    """The options the running command connected with (for hints: its timeout, its org)."""
    agent: str | None = None
    """The agent the running command is about (named in hints)."""
    secret: str | None = field(default=None, repr=False)
    """The API key in use, so error messages can never echo it."""

    @property
    def options(self) -> ConnectionOptions:
        return self.connection if self.connection is not None else self.root


def cli_state(ctx: Any) -> CliState:
    """The state on a Typer context (created if a command runs without the root)."""
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):
        obj = CliState()
        ctx.find_root().obj = obj
    return obj
