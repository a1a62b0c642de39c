"""Where credentials come from: command flag, then root flag, then environment."""

from __future__ import annotations

import pytest
from cli_harness import Cli

from fruxon_cli.config import ConnectionOptions, parse_headers, resolve_credentials
from fruxon_cli.errors import CliError, ExitCode

BAD = "fxn_wrong"


def test_command_flag_beats_environment(cli: Cli) -> None:
    result = cli("agents", "list", "--api-key", cli.emulator.api_key, env={"FRUXON_API_KEY": BAD})
    assert result.exit_code == 0, result.output


def test_root_flag_beats_environment(cli: Cli) -> None:
    result = cli("--api-key", cli.emulator.api_key, "agents", "list", env={"FRUXON_API_KEY": BAD})
    assert result.exit_code == 0, result.output


def test_command_flag_beats_root_flag(cli: Cli) -> None:
    key = cli.emulator.api_key
    assert cli("--api-key", BAD, "agents", "list", "--api-key", key).exit_code == 0
    assert cli("--api-key", key, "agents", "list", "--api-key", BAD).exit_code == 10


def test_everything_from_flags(cli: Cli) -> None:
    emulator = cli.emulator
    result = cli(
        "--base-url",
        emulator.base_url,
        "integrations",
        "list",
        "--api-key",
        emulator.api_key,
        "--org",
        emulator.org,
        env={"FRUXON_API_KEY": None, "FRUXON_ORG": None, "FRUXON_BASE_URL": None},
    )
    assert result.exit_code == 0, result.output
    assert "knowledge-base" in result.stdout


def test_resolution_rules() -> None:
    env = {"FRUXON_API_KEY": "k", "FRUXON_ORG": "o", "FRUXON_BASE_URL": "http://h:1/"}
    creds = resolve_credentials(ConnectionOptions(), env)
    assert (creds.api_key, creds.org, creds.base_url) == ("k", "o", "http://h:1")
    assert "k" not in repr(creds)
    assert resolve_credentials(ConnectionOptions(org="flag"), env).org == "flag"
    default = resolve_credentials(ConnectionOptions(), {"FRUXON_API_KEY": "k", "FRUXON_ORG": "o"})
    assert default.base_url == "https://api.fruxon.com"
    with pytest.raises(CliError) as caught:
        resolve_credentials(ConnectionOptions(), {})
    assert caught.value.code == ExitCode.AUTH


def test_root_and_command_options_merge() -> None:
    root = ConnectionOptions(api_key="root", org="root-org", headers=("A: 1",))
    command = ConnectionOptions(api_key="cmd", headers=("B: 2",), emulator=True)
    merged = command.over(root)
    assert (merged.api_key, merged.org, merged.emulator) == ("cmd", "root-org", True)
    assert parse_headers(merged.headers) == {"A": "1", "B": "2"}
