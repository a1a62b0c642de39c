"""Turning an exception into one line on stderr and an exit status."""

from __future__ import annotations

import json
import os
from typing import Any

import typer

from .errors import ExitCode, describe_error, exit_code_for
from .state import CliState

__all__ = ["PASS_THROUGH", "debug_enabled", "error_record", "report_error"]

#: Exceptions the command-line framework handles itself (usage errors, exits).
PASS_THROUGH: tuple[type[BaseException], ...] = tuple(
    {
        typer.Exit,
        typer.Abort,
        *(cls for cls in typer.BadParameter.__mro__ if cls.__name__ == "ClickException"),
    }
)


def debug_enabled(state: CliState) -> bool:
    return state.debug or os.environ.get("FRUXON_DEBUG", "") not in ("", "0")


def error_record(error: BaseException, state: CliState) -> dict[str, Any]:
    """``{"code", "message", "exit_code"}`` of an error, as the ``--json`` outputs carry it."""
    code = exit_code_for(error)
    message = describe_error(error, state.secret, state.options, state.agent)
    return {"code": code.slug, "message": message, "exit_code": int(code)}


def report_error(error: BaseException, state: CliState) -> ExitCode:
    """Print ``error`` as one line on stderr (a JSON line under ``--json``); its exit code."""
    from rich.text import Text

    from .render.consoles import error_console

    record = error_record(error, state)
    console = error_console()
    if state.json_errors:
        line = json.dumps({"error": record}, ensure_ascii=False)
        console.print(line, markup=False, highlight=False)
    else:
        console.print(Text.assemble(("Error: ", "bold red"), record["message"]))
    return ExitCode(record["exit_code"])
