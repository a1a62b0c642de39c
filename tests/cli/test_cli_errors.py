"""Every failure is one line on stderr, no traceback, and the documented exit code."""

from __future__ import annotations

import json
from typing import Any

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


def test_missing_required_parameter_exits_12_naming_the_p_to_add(cli: Cli) -> None:
    for mode in ("--no-stream", "--stream"):
        line = one_error_line(cli("run", "support-agent", mode), 12)
        assert "422" in line
        assert "-p question=…" in line
        assert "`fruxon agents params support-agent`" in line


def test_unknown_org_exits_11_pointing_at_org(cli: Cli) -> None:
    line = one_error_line(cli("run", "support-agent", "--org", "no-such-org"), 11)
    assert "no-such-org" in line
    assert "--org / FRUXON_ORG" in line
    assert "--org" not in one_error_line(cli("run", "no-such-agent"), 11)  # the agent is unknown


def test_rate_limit_shows_the_retry_after(cli: Cli) -> None:
    fault = f"{FAULT}: status=429; retry_after=7"
    line = one_error_line(cli("run", "echo-agent", "--max-retries", "0", "--header", fault), 1)
    assert line.startswith("Error: 429 ")
    assert line.endswith("(retry after 7s)")
    assert line.count("7s") == 1


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
    assert "the run failed while streaming: Injected fault after 2 events" in line


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
    assert "--timeout" not in line


SLOW = f"{FAULT}: latency_ms=3000"
NO_RETRY = ("--max-retries", "0")


def test_read_timeout_says_the_server_took_too_long_not_check_the_url(cli: Cli) -> None:
    for mode in ("--no-stream", "--stream"):
        result = cli("run", "echo-agent", mode, "--timeout", "0.5", *NO_RETRY, "--header", SLOW)
        line = one_error_line(result, 15)
        assert "did not answer within 0.5s" in line
        assert "the server took too long; try a longer --timeout, e.g. --timeout 1" in line
        assert "--base-url" not in line
        assert "cannot reach" not in line


def test_timeout_on_the_command_wins_over_the_root_one(cli: Cli) -> None:
    slow = ("--max-retries", "0", "--header", SLOW)
    command = cli("--timeout", "60", "run", "echo-agent", "--no-stream", "--timeout", "0.5", *slow)
    assert "within 0.5s" in one_error_line(command, 15)
    root = cli("--timeout", "0.5", "agents", "list", *slow)
    assert "within 0.5s" in one_error_line(root, 15)


def test_a_stream_that_goes_quiet_says_how_far_it_got_and_what_to_try(cli: Cli) -> None:
    stall = f"{FAULT}: stall_after=2; stall_ms=3000"
    result = cli("run", "echo-agent", "--timeout", "0.5", "--header", stall)
    line = one_error_line(result, 15)
    assert "the stream of echo-agent sent no event for 0.5s after 2 events" in line
    assert "the run may still be going on the server" in line
    assert "`fruxon trace echo-agent RECORD_ID`" in line
    assert "try a longer --timeout" in line
    assert result.stdout.startswith("Echo ")  # what had arrived was shown


def test_a_dropped_stream_says_the_run_may_still_be_going(cli: Cli) -> None:
    result = cli("run", "echo-agent", "--header", f"{FAULT}: drop_after=3")
    line = one_error_line(result, 15)
    assert "the connection was lost after 3 events of echo-agent's stream" in line
    assert "the run may still be going on the server" in line
    assert "`fruxon trace echo-agent RECORD_ID`" in line
    assert "--base-url" not in line
    assert "--timeout" not in line


def ndjson(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_a_dropped_stream_in_json_mode_ends_with_an_error_record(cli: Cli) -> None:
    result = cli("run", "echo-agent", "--json", "--header", f"{FAULT}: drop_after=3")
    assert result.exit_code == 15
    records = ndjson(result)
    assert records[0]["type"] == "start"
    assert [r["type"] for r in records[1:-1]] == ["status", "text", "text"]
    last = records[-1]
    assert (last["type"], last["code"], last["exit_code"]) == ("error", "network_error", 15)
    assert "lost after 3 events" in last["message"]
    assert json.loads(result.stderr)["error"] == {
        k: last[k] for k in ("code", "message", "exit_code")
    }


@pytest.mark.parametrize(
    ("args", "code", "slug"),
    [
        (("run", "no-such-agent"), 11, "not_found"),
        (("run", "support-agent"), 12, "validation"),
        (("run", "echo-agent", "-p", "n:={broken"), 12, "validation"),
        (("run", "echo-agent", "--header", f"{FAULT}: status=503"), 14, "server_error"),
    ],
)
def test_errors_before_the_stream_still_end_the_ndjson_with_an_error_record(
    cli: Cli, args: tuple[str, ...], code: int, slug: str
) -> None:
    result = cli(*args, "--json", "--max-retries", "0")
    assert result.exit_code == code
    records = ndjson(result)
    assert [r["type"] for r in records] == ["start", "error"]
    assert records[-1]["code"] == slug
    assert records[-1]["exit_code"] == code
    assert json.loads(result.stderr)["error"]["exit_code"] == code


def test_a_stream_error_event_is_the_only_terminal_record(cli: Cli) -> None:
    result = cli("run", "echo-agent", "--json", "--header", f"{FAULT}: error_after=2")
    assert [r["type"] for r in ndjson(result)].count("error") == 1


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
