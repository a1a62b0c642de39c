"""Every failure is one line on stderr, no traceback, and the documented exit code."""

from __future__ import annotations

import json

import pytest
from cli_harness import FAULT, Cli
from typer.testing import Result

from fruxon_cli.errors import describe_error, exit_code_for
from fruxon_core.exceptions import (
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    FruxonAPIError,
    FruxonConnectionError,
    FruxonStreamError,
    FruxonTimeoutError,
    NotFoundError,
    RateLimitError,
    ServerError,
    ValidationError,
)

BAD_KEY = "fxn_not_a_real_key_0123456789"


def one_error_line(result: Result, code: int) -> str:
    assert result.exit_code == code, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    assert lines[0].startswith("Error: ")
    return lines[0]


def test_bad_api_key_exits_10_and_never_prints_the_key(cli: Cli) -> None:
    result = cli("run", "echo-agent", "--api-key", BAD_KEY)
    line = one_error_line(result, 10)
    assert "401" in line
    assert "FRUXON_API_KEY" in line
    assert BAD_KEY not in result.output


def test_foreign_org_exits_10(cli: Cli) -> None:
    line = one_error_line(cli("agents", "list", "--org", cli.emulator.other_org), 10)
    assert "403" in line or "401" in line
    assert cli.emulator.api_key not in line


def test_unknown_agent_exits_11(cli: Cli) -> None:
    line = one_error_line(cli("run", "no-such-agent"), 11)
    assert "404" in line
    assert "no-such-agent" in line


def test_missing_required_parameter_exits_12(cli: Cli) -> None:
    line = one_error_line(cli("run", "support-agent", "--no-stream"), 12)
    assert "422" in line
    assert "question" in line


def test_disabled_agent_conflict_exits_13(cli: Cli) -> None:
    line = one_error_line(cli("run", "legacy-agent"), 13)
    assert "409" in line
    assert "disabled" in line


def test_server_error_exits_14(cli: Cli) -> None:
    line = one_error_line(cli("run", "echo-agent", "--header", f"{FAULT}: status=500"), 14)
    assert "500" in line


def test_stream_error_event_exits_14_after_partial_output(cli: Cli) -> None:
    result = cli("run", "echo-agent", "--header", f"{FAULT}: error_after=2")
    line = one_error_line(result, 14)
    assert "the run failed: Injected fault after 2 events" in line


def test_stream_error_in_json_mode_is_an_ndjson_record_and_a_json_error(cli: Cli) -> None:
    result = cli("run", "echo-agent", "--json", "--header", f"{FAULT}: error_after=2")
    assert result.exit_code == 14
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records[0]["type"] == "start"
    assert records[-1]["type"] == "error"
    assert "Injected fault" in records[-1]["message"]
    error = json.loads(result.stderr)
    assert error == {
        "error": {"code": "server_error", "message": error["error"]["message"], "exit_code": 14}
    }


def test_unreachable_api_exits_15(cli: Cli, closed_port: int) -> None:
    result = cli(
        "--max-retries", "0", "agents", "list", "--base-url", f"http://127.0.0.1:{closed_port}"
    )
    line = one_error_line(result, 15)
    assert "cannot reach the Fruxon API" in line
    assert "FRUXON_BASE_URL" in line


@pytest.mark.parametrize("missing", ["FRUXON_API_KEY", "FRUXON_ORG"])
def test_missing_credentials_exit_10_and_say_what_to_set(cli: Cli, missing: str) -> None:
    line = one_error_line(cli("agents", "list", env={missing: None}), 10)
    assert missing in line
    assert "--emulator" in line


def test_missing_credentials_name_both(cli: Cli) -> None:
    line = one_error_line(
        cli("run", "echo-agent", env={"FRUXON_API_KEY": None, "FRUXON_ORG": None}), 10
    )
    assert "FRUXON_API_KEY" in line
    assert "FRUXON_ORG" in line


def test_usage_errors_exit_2(cli: Cli) -> None:
    assert cli("run").exit_code == 2
    assert cli("run", "echo-agent", "--no-such-option").exit_code == 2
    assert cli("no-such-command").exit_code == 2
    one_error_line(cli("run", "echo-agent", "--header", "no-colon"), 2)


def test_json_errors_are_json_on_stderr(cli: Cli) -> None:
    result = cli("agents", "get", "nope", "--json")
    assert result.exit_code == 11
    assert json.loads(result.stderr)["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (AuthenticationError(401, "Unauthorized"), 10),
        (ForbiddenError(403, "Forbidden"), 10),
        (NotFoundError(404, "Not Found"), 11),
        (ValidationError(400, "Bad Request"), 12),
        (ValidationError(422, "Unprocessable Entity"), 12),
        (ConflictError(409, "Conflict"), 13),
        (ServerError(503, "Service Unavailable"), 14),
        (FruxonStreamError("boom", "E"), 14),
        (FruxonConnectionError("refused", request_sent=False), 15),
        (FruxonTimeoutError("timed out"), 15),
        (RateLimitError(429, "Too Many Requests"), 1),
        (FruxonAPIError(418, "Teapot"), 1),
        (KeyboardInterrupt(), 130),
        (RuntimeError("bug"), 1),
    ],
)
def test_exit_code_table(error: BaseException, code: int) -> None:
    assert exit_code_for(error) == code


def test_messages_never_contain_the_key() -> None:
    key = "fxn_secret_value_42"
    error = FruxonAPIError(400, "Bad", f"the key {key} is malformed")
    assert key not in describe_error(error, key)
    assert "***" in describe_error(error, key)
    assert describe_error(FruxonAPIError(400, "Bad", "keep this"), "k") == "400 Bad: keep this"
