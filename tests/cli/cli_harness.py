"""The CLI test harness: `Cli` runs `fruxon …` in-process against an emulator.

Every command goes through Typer's CliRunner to the real emulator over a
socket; the chat and `emulator serve` tests spawn real processes instead (see
test_cli_chat.py / test_cli_emulator_serve.py). A module of its own, with a
name no other test directory uses, so test modules can import it safely.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from typer.testing import CliRunner, Result

from fruxon_cli.app import app
from fruxon_emulator import EmulatorServer

FAULT = "X-Fruxon-Emulator-Fault"
#: Variables that must not leak from the developer's shell into a test run.
_CLEARED = ("FRUXON_API_KEY", "FRUXON_ORG", "FRUXON_BASE_URL", "FRUXON_DEBUG", "FORCE_COLOR")


@dataclass
class Cli:
    """``cli("run", "echo-agent")`` runs ``fruxon run echo-agent`` against the emulator."""

    emulator: EmulatorServer
    runner: CliRunner

    @property
    def env(self) -> dict[str, str | None]:
        return {
            **dict.fromkeys(_CLEARED),
            "FRUXON_API_KEY": self.emulator.api_key,
            "FRUXON_ORG": self.emulator.org,
            "FRUXON_BASE_URL": self.emulator.base_url,
            "COLUMNS": "200",
        }

    def __call__(
        self, *args: str, input: str | None = None, env: dict[str, str | None] | None = None
    ) -> Result:
        return self.runner.invoke(app, list(args), input=input, env={**self.env, **(env or {})})

    def ok(self, *args: str, input: str | None = None) -> Result:
        """Run and insist on exit status 0 (showing the output otherwise)."""
        result = self(*args, input=input)
        assert result.exit_code == 0, (result.exit_code, result.output, result.exception)
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json").stdout)
