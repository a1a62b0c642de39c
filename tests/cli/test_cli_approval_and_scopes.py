"""`fruxon run` of a run that pauses for human approval, and of a key lacking a scope.

A paused run (the emulator's `approval-agent`) is not a failure: the command
exits 0 and its last line says it is waiting for human approval, with the
approval request id and the record id. A key without the scope a command needs
is an authorization failure: exit 10, naming the missing scope.
"""

from __future__ import annotations

import json
import re

from cli_harness import Cli

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
APPROVAL_LINE = re.compile(
    rf"^⏸ Waiting for human approval · approval request ({UUID}) · record ({UUID})$"
)
SUMMARY = re.compile(r"^\d+ms · \$\d+\.\d{4} · ", re.MULTILINE)
READONLY_KEY = "fxn_emulator_readonly_key"
DRAFT = "Drafted: Refund order 1042. Waiting for a human to approve."
NO_CREDENTIALS: dict[str, str | None] = {
    "FRUXON_API_KEY": None,
    "FRUXON_ORG": None,
    "FRUXON_BASE_URL": None,
}


def last_line(output: str) -> str:
    return output.rstrip().splitlines()[-1]


def test_run_with_the_bundled_emulator_ends_with_the_approval_line(cli: Cli) -> None:
    result = cli("run", "approval-agent", "--emulator", env=NO_CREDENTIALS)
    assert result.exit_code == 0, (result.output, result.exception)
    assert DRAFT in result.stdout
    assert APPROVAL_LINE.match(last_line(result.stdout)), result.stdout
    assert not SUMMARY.search(result.stdout)  # no "0ms · $0.0000" for an unfinished run


def test_blocking_run_ends_with_the_approval_line(cli: Cli) -> None:
    out = cli.ok("run", "approval-agent", "--no-stream", "-p", "request=Refund order 5").stdout
    lines = out.rstrip().splitlines()
    assert lines[0] == "Drafted: Refund order 5. Waiting for a human to approve."
    assert APPROVAL_LINE.match(lines[-1]), out


def test_the_printed_ids_are_the_pending_approval_and_its_record(cli: Cli) -> None:
    match = APPROVAL_LINE.match(last_line(cli.ok("run", "approval-agent").stdout))
    assert match is not None
    approval_id, record_id = match.groups()
    traced = cli.json("trace", "approval-agent", record_id)
    assert traced["record"]["status"] == "WAITING_FOR_ASYNC"
    waiting_for = traced["record"]["waitingFor"]
    assert (waiting_for["kind"], waiting_for["id"]) == ("APPROVAL", approval_id)


def test_json_result_of_a_paused_run(cli: Cli) -> None:
    data = cli.json("run", "approval-agent", "--no-stream")
    assert data["status"] == "waiting_for_human"
    assert re.fullmatch(UUID, data["human_approval_request_id"])
    assert re.fullmatch(UUID, data["record_id"])
    assert data["response"] == DRAFT
    assert "duration_ms" not in data  # like the stream's pause `done`: no trace yet


def test_ndjson_of_a_paused_run_ends_with_the_pause_done(cli: Cli) -> None:
    out = cli.ok("run", "approval-agent", "--json").stdout
    records = [json.loads(line) for line in out.splitlines()]
    assert {"type": "status", "status": "WaitingForHuman"} in records
    done = records[-1]
    assert done["type"] == "done"
    assert done["status"] == "waiting_for_human"
    assert re.fullmatch(UUID, done["human_approval_request_id"])
    assert "duration_ms" not in done  # the pause form carries no trace


def test_read_only_key_exits_10_naming_the_missing_scope(cli: Cli) -> None:
    readonly = {"FRUXON_API_KEY": READONLY_KEY}
    result = cli("run", "echo-agent", env=readonly)
    assert result.exit_code == 10, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: 403 ")
    assert "'agents:execute' scope" in line
    assert READONLY_KEY not in result.output
    shown = cli("agents", "get", "echo-agent", env=readonly)
    assert shown.exit_code == 0, result.output
