"""The -p syntaxes, end to end (what the emulator received) and as a parser."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_harness import Cli

from fruxon_cli.errors import CliError, ExitCode
from fruxon_cli.params import parse_param, parse_params


def received(cli: Cli, agent: str, *params: str, stdin: str | None = None) -> dict[str, Any]:
    """The parameters the emulator ran the agent with, as recorded in its trace."""
    args = ["run", agent, "--no-stream", "--json"]
    for param in params:
        args += ["-p", param]
    result = cli(*args, input=stdin)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    parameters: dict[str, Any] = data["parameters"]
    return parameters


def test_key_value_is_a_string(cli: Cli) -> None:
    assert received(cli, "echo-agent", "message=a=b:=c") == {"message": "a=b:=c"}


def test_key_json_is_typed(cli: Cli) -> None:
    assert received(cli, "count-agent", "count:=3") == {"count": 3}
    out = cli.ok("run", "count-agent", "-p", "count:=3").stdout
    assert out.startswith("tok0 tok1 tok2 \n")


def test_key_at_file_is_its_text(cli: Cli, tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("from a file\nsecond line", encoding="utf-8")
    assert received(cli, "echo-agent", f"message=@{note}") == {
        "message": "from a file\nsecond line"
    }


def test_key_json_at_file_is_loaded(cli: Cli, tmp_path: Path) -> None:
    count = tmp_path / "count.json"
    count.write_text("4\n", encoding="utf-8")
    assert received(cli, "count-agent", f"count:=@{count}") == {"count": 4}
    assert received(cli, "count-agent", f"count=@{count}") == {"count": 4}


def test_at_file_json_spreads_an_object_and_later_items_win(cli: Cli, tmp_path: Path) -> None:
    spread = tmp_path / "params.json"
    spread.write_text(json.dumps({"message": "spread", "extra": True}), encoding="utf-8")
    assert received(cli, "echo-agent", f"@{spread}", "message=override") == {
        "message": "override",
        "extra": True,
    }


def test_key_dash_reads_stdin(cli: Cli) -> None:
    assert received(cli, "echo-agent", "message=-", stdin="piped in\n") == {"message": "piped in"}


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ("novalue", "expected key=value"),
        ("=x", "name is empty"),
        ("n:={broken", "not valid JSON"),
        ("n=@", "no file name"),
        ("n=@/no/such/file.txt", "cannot read /no/such/file.txt"),
        ("@/no/such/params.json", "cannot read"),
    ],
)
def test_bad_syntax_is_a_validation_error(item: str, reason: str) -> None:
    with pytest.raises(CliError) as caught:
        parse_param(item)
    assert caught.value.code == ExitCode.VALIDATION
    assert reason in caught.value.message


def test_spread_must_be_an_object(tmp_path: Path) -> None:
    listing = tmp_path / "list.json"
    listing.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(CliError, match="JSON object"):
        parse_param(f"@{listing}")


def test_no_params_is_none_not_empty() -> None:
    assert parse_params([]) is None
    assert parse_params(["a=1", "a:=2"]) == {"a": 2}


def test_bad_syntax_exits_12(cli: Cli) -> None:
    result = cli("run", "echo-agent", "-p", "n:={broken")
    assert result.exit_code == 12
    assert result.stderr.startswith("Error: invalid -p 'n:={broken': not valid JSON")
    assert len(result.stderr.strip().splitlines()) == 1
