"""`fruxon --help`: what it shows, and how little it loads."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from cli_harness import Cli

from fruxon_cli.app import app
from fruxon_cli.options import CONNECTION_PARAMETERS

COMMANDS = [
    (),
    ("run",),
    ("chat",),
    ("trace",),
    ("agents",),
    ("agents", "list"),
    ("agents", "get"),
    ("agents", "params"),
    ("integrations", "list"),
    ("tools", "list"),
    ("emulator",),
    ("emulator", "serve"),
    ("emulator", "default-config"),
]


def usage_line(output: str) -> str:
    return next(line.strip() for line in output.splitlines() if "Usage:" in line)


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path) or "root")
def test_help_has_no_type_metavar_on_flags_and_no_braces(cli: Cli, path: tuple[str, ...]) -> None:
    out = cli.ok(*path, "--help").stdout
    assert "<bool>" not in out
    assert "{" not in usage_line(out)
    rows = [line.strip("│ ") for line in out.splitlines()]
    flags = [row for row in rows if row.startswith(("--json", "--emulator", "--help", "--all"))]
    assert flags
    assert all("<" not in row for row in flags), flags


def test_usage_lines_name_arguments_in_upper_case(cli: Cli) -> None:
    assert usage_line(cli.ok("run", "--help").stdout) == "Usage: fruxon run [OPTIONS] AGENT"
    assert (
        usage_line(cli.ok("trace", "--help").stdout)
        == "Usage: fruxon trace [OPTIONS] AGENT [RECORD_ID]"
    )
    assert (
        usage_line(cli.ok("tools", "list", "--help").stdout)
        == "Usage: fruxon tools list [OPTIONS] INTEGRATION"
    )
    missing = cli("run")
    assert missing.exit_code == 2
    assert "'AGENT'" in missing.stderr


def test_help_shows_defaults_and_bracketed_text(cli: Cli) -> None:
    chat = cli.ok("chat", "--help").stdout
    assert "[default: (the agent's only parameter, or message/question/input/…)]" in chat
    serve = cli.ok("emulator", "serve", "--help").stdout
    assert "[default: (the shipped agents)]" in serve
    assert "[default: (in memory)]" in serve
    run = cli.ok("run", "--help").stdout
    assert "[default: 120.0]" in run  # --timeout, now on every command
    assert "[default: 2]" in run  # --max-retries
    assert "[default: ($FRUXON_API_KEY)]" in run
    assert "needs fruxon-cli[emulator]" in run  # not eaten as Rich markup


def leaf_commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    children = getattr(command, "commands", None)
    if children is None:
        yield " ".join(path), command
        return
    for name, child in children.items():
        yield from leaf_commands(child, (*path, name))


def test_every_command_that_connects_takes_every_connection_option() -> None:
    connecting = {}
    for name, command in leaf_commands(typer.main.get_command(app)):
        params = {param.name for param in command.params}
        if "api_key" in params:
            connecting[name] = params
    assert sorted(connecting) == [
        "agents get",
        "agents list",
        "agents params",
        "approvals approve",
        "approvals cancel",
        "approvals get",
        "approvals list",
        "approvals reject",
        "chat",
        "files download",
        "files upload",
        "integrations list",
        "run",
        "runs cancel",
        "runs get",
        "runs list",
        "runs result",
        "runs wait",
        "tools list",
        "trace",
    ]
    for name, params in connecting.items():
        assert set(CONNECTION_PARAMETERS) <= params, (name, set(CONNECTION_PARAMETERS) - params)


#: What `fruxon --help` must not import: the SDK, the HTTP stacks, the emulator.
HEAVY = (
    "fruxon_core",
    "fruxon_requests",
    "fruxon_aiohttp",
    "fruxon_emulator",
    "requests",
    "urllib3",
    "aiohttp",
    "msgspec",
    "pluggy",
    "importlib.metadata",
)
PROBE = """
import json, sys
from fruxon_cli.app import main
try:
    main({argv!r})
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def loaded_by(*argv: str) -> set[str]:
    probe = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=list(argv))],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    modules: list[str] = json.loads(probe.stderr.strip().splitlines()[-1])
    return set(modules)


def test_help_and_version_load_neither_the_sdk_nor_http_nor_the_emulator() -> None:
    for argv in (["--help"], ["--version"]):
        loaded = loaded_by(*argv)
        assert "fruxon_cli.app" in loaded
        heavy = sorted(name for name in HEAVY if name in loaded and name != "importlib.metadata")
        assert heavy == [], (argv, heavy)
    assert "importlib.metadata" not in loaded_by("--help")  # only --version reads the version


#: Loaded by typer.rich_utils for markdown markup and pretty tracebacks, which fruxon does not use.
UNUSED_BY_HELP = ("rich.markdown", "rich.traceback", "markdown_it", "pygments", "attr")


def test_help_loads_neither_markdown_nor_traceback_rendering() -> None:
    loaded = loaded_by("--help")
    assert "typer.rich_utils" in loaded
    assert sorted(name for name in UNUSED_BY_HELP if name in loaded) == []


RENDERER_PROBE = """
import sys
import fruxon_cli.help_renderer as renderer
{setup}
renderer.import_help_renderer()
import typer.rich_utils as rich_utils
assert ("rich.markdown" in sys.modules) is {fallback}, sorted(sys.modules)
import rich.markdown, rich.traceback
assert rich.markdown.__file__ and rich.traceback.__file__  # the real modules, not stand-ins
markdown = rich_utils.Markdown("*hi*")
assert type(markdown) is rich.markdown.Markdown, type(markdown)
try:
    raise ValueError("x")
except ValueError as error:
    traceback = rich_utils.Traceback.from_exception(ValueError, error, error.__traceback__)
assert type(traceback) is rich.traceback.Traceback, type(traceback)
print("ok")
"""


@pytest.mark.parametrize(
    ("setup", "fallback"),
    [
        ("", False),
        # a Typer that imports a name the stand-in lacks: the ordinary import instead
        ("renderer._DEFERRED = {'rich.markdown': 'NoSuchName'}", True),
    ],
    ids=["stand-ins", "fallback"],
)
def test_the_deferred_rich_classes_load_the_real_ones_when_used(setup: str, fallback: bool) -> None:
    probe = subprocess.run(
        [sys.executable, "-c", RENDERER_PROBE.format(setup=setup, fallback=fallback)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "ok"


def test_a_remote_command_does_not_load_the_emulator_or_aiohttp(closed_port: int) -> None:
    loaded = loaded_by(
        "agents", "list", "--api-key", "k", "--org", "o", "--base-url",
        f"http://127.0.0.1:{closed_port}", "--max-retries", "0",
    )  # fmt: skip
    assert "fruxon_requests" in loaded
    assert "fruxon_emulator" not in loaded
    assert "aiohttp" not in loaded


def test_version_says_which_fruxon_this_is(cli: Cli) -> None:
    out = cli.ok("--version").stdout
    assert out.startswith("fruxon-cli 0.")
    assert "fruxon-py" in out
