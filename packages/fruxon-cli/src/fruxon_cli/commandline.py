"""The Typer command and group classes of ``fruxon``: help text and ``--json`` errors.

Typer's Rich help shows a type metavar even for flags (``--json <bool>``) and
writes a required argument as ``{agent}`` in the usage line. These classes
show flags bare, arguments upper-case (``fruxon run [OPTIONS] AGENT``) and
optional ones in brackets (``[RECORD_ID]``). :class:`FruxonCommand` also
notes ``--json`` and the agent before the command starts, so that even an
error from parsing ``-p`` is reported as a JSON line, with the agent in its hint.
Both render their help with :func:`fruxon_cli.help_renderer.import_help_renderer`'s
import of Typer's renderer, which leaves out two Rich modules help never uses.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperCommand, TyperGroup

from .help_renderer import import_help_renderer

__all__ = ["FruxonCommand", "HelpGroup"]


def _tidy(params: list[Any]) -> list[Any]:
    for param in params:
        if param.param_type_name == "argument":
            if param.metavar is None and param.name:
                param.metavar = param.name.upper()
        elif getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""  # no "<bool>" after a flag
    return params


def _usage(command: Any, ctx: Any) -> list[str]:
    pieces: list[str] = [command.options_metavar] if command.options_metavar else []
    for param in command.get_params(ctx):
        if param.param_type_name != "argument":
            pieces.extend(param.get_usage_pieces(ctx))
            continue
        name = param.metavar or (param.name or "").upper()
        if param.nargs != 1:
            name += "..."
        pieces.append(name if param.required else f"[{name}]")
    return pieces


class FruxonCommand(TyperCommand):
    """Every ``fruxon`` subcommand."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _tidy(super().get_params(ctx))

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return _usage(self, ctx)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        import_help_renderer()
        super().format_help(ctx, formatter)

    def invoke(self, ctx: Any) -> Any:
        from .state import cli_state

        state = cli_state(ctx)
        state.json_errors = bool(ctx.params.get("json_output"))
        agent = ctx.params.get("agent")
        state.agent = agent if isinstance(agent, str) else None
        return super().invoke(ctx)


class HelpGroup(TyperGroup):
    """A command group (``fruxon agents``, …) with the same help layout."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _tidy(super().get_params(ctx))

    def format_help(self, ctx: Any, formatter: Any) -> None:
        import_help_renderer()
        super().format_help(ctx, formatter)
