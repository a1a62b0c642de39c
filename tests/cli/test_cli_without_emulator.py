"""`fruxon` installed without the `[emulator]` extra: the remote commands work, and
`--emulator` / `fruxon emulator …` say which extra to install (exit 2).

The package is made unimportable for the test (``sys.modules[name] = None`` is
how Python marks a module as absent); `.ci/install-check` checks the same with
real wheels in a venv that never had it.
"""

from __future__ import annotations

import sys

import pytest
from cli_harness import Cli

HINT = "pip install 'fruxon-cli[emulator]'"


@pytest.fixture
def no_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in sys.modules if name.startswith("fruxon_emulator.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "fruxon_emulator", None)


@pytest.mark.usefixtures("no_emulator")
@pytest.mark.parametrize(
    "args",
    [
        ("run", "support-agent", "--emulator"),
        ("--emulator", "agents", "list"),
        ("trace", "support-agent", "--emulator"),
        ("emulator", "serve", "--port", "0"),
        ("emulator", "default-config"),
    ],
)
def test_the_emulator_commands_name_the_extra_and_exit_2(cli: Cli, args: tuple[str, ...]) -> None:
    result = cli(*args)
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: ")
    assert HINT in line
    assert "Using the bundled emulator" not in result.output


@pytest.mark.usefixtures("no_emulator")
def test_the_remote_commands_do_not_need_it(cli: Cli) -> None:
    assert "support-agent" in cli.ok("agents", "list").stdout
    assert cli.ok("run", "echo-agent", "-p", "message=hi").stdout.startswith("Echo (turn 1): hi")
