"""`fruxon emulator serve` in a real process (the installed console script), used by
`fruxon`, then stopped with Ctrl-C."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from fruxon_cli.app import app


def test_serve_then_use_then_interrupt() -> None:
    script = shutil.which("fruxon", path=str(Path(sys.executable).parent))
    assert script is not None, "the fruxon console script is not installed next to python"
    env = {key: value for key, value in os.environ.items() if not key.startswith("FRUXON_")}
    with subprocess.Popen(
        [script, "emulator", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as server:
        try:
            assert server.stdout is not None
            banner = server.stdout.readline()
            found = re.search(r"listening on (http://\S+)", banner)
            assert found, banner
            key = re.search(
                r"API key:\s+(\S+)", server.stdout.readline() + server.stdout.readline()
            )
            assert key
            result = CliRunner().invoke(
                app,
                [
                    "agents",
                    "list",
                    "--base-url",
                    found.group(1),
                    "--api-key",
                    key.group(1),
                    "--org",
                    "acme-corp",
                ],
            )
            assert result.exit_code == 0, result.output
            assert "support-agent" in result.stdout
        finally:
            server.send_signal(signal.SIGINT)
            assert server.wait(timeout=15) == 0


def test_default_config_prints_the_shipped_toml() -> None:
    result = CliRunner().invoke(app, ["emulator", "default-config"])
    assert result.exit_code == 0
    assert "[agents.support-agent]" in result.stdout
