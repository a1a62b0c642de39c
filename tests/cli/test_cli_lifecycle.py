"""`fruxon approvals`, `fruxon runs`, `fruxon files` and `run --file`, against the emulator.

Each command goes through Typer's CliRunner and the real client over a socket
(see cli_harness.py). The CLI names itself as the actor (`X-Fruxon-Actor: cli`),
which the emulator puts into the approved run's answer.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from cli_harness import Cli

from fruxon_cli.app import app

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def _paused(cli: Cli, request: str = "Refund order 1042") -> tuple[str, str]:
    data = cli.json("run", "approval-agent", "--no-stream", "-p", f"request={request}")
    assert data["status"] == "waiting_for_human"
    return data["human_approval_request_id"], data["record_id"]


# -- approvals ----------------------------------------------------------------------------


def test_list_get_and_approve_then_wait_and_read_the_result(cli: Cli) -> None:
    approval, record = _paused(cli)

    listed = cli.json("approvals", "list", "--agent", "approval-agent")
    assert approval in {item["id"] for item in listed}
    table = cli.ok("approvals", "list").stdout
    assert approval in table
    assert "payments.issue_refund" in table
    shown = cli.ok("approvals", "get", "approval-agent", approval).stdout
    assert "Approve this refund? Refund order 1042" in shown
    assert f"fruxon approvals approve approval-agent {approval}" in shown

    answered = cli.json("approvals", "approve", "approval-agent", approval)
    assert (answered["status"], answered["decision"], answered["respondedBy"]) == (
        "RESPONDED",
        "APPROVE",
        "cli",
    )
    waited = cli.ok("runs", "wait", "approval-agent", record, "--poll-interval", "0.05").stdout
    assert re.fullmatch(rf"COMPLETED · \d+ms · \$\d+\.\d{{4}} · {record}\n", waited)
    assert cli.ok("runs", "result", "approval-agent", record).stdout == (
        "Done: Refund order 1042 (approved by cli).\n"
    )
    stored = cli.json("runs", "result", "approval-agent", record)
    assert stored["result"] == {"strValue": "Done: Refund order 1042 (approved by cli)."}
    assert approval not in {i["id"] for i in cli.json("approvals", "list")}
    every = cli.json("approvals", "list", "--all", "--agent", "approval-agent")
    assert approval in {item["id"] for item in every}
    responded = cli.json("approvals", "list", "-s", "responded")
    assert approval in {item["id"] for item in responded}


def test_reject_with_a_reason_and_cancel(cli: Cli) -> None:
    approval, record = _paused(cli)
    cli.ok("approvals", "reject", "approval-agent", approval, "--reason", "too much")
    cli.ok("runs", "wait", "approval-agent", record, "--poll-interval", "0.05")
    shown = cli.json("runs", "get", "approval-agent", record)
    assert (shown["status"], shown["rejectionDetail"]) == ("REJECTED", "reject: too much")
    assert "REJECTED" in cli.ok("runs", "get", "approval-agent", record).stdout

    approval, record = _paused(cli)
    withdrawn = cli.json("approvals", "cancel", "approval-agent", approval, "--reason", "dup")
    assert withdrawn["status"] == "CANCELLED"
    again = cli("approvals", "approve", "approval-agent", approval)
    assert again.exit_code == 13  # conflict: no longer pending
    assert cli.json("runs", "get", "approval-agent", record)["status"] == "CANCELLED"


def test_unknown_approval_and_status(cli: Cli) -> None:
    missing = cli("approvals", "get", "approval-agent", "00000000-0000-0000-0000-000000000000")
    assert missing.exit_code == 11
    assert cli("approvals", "list", "--status", "maybe").exit_code == 12


# -- runs ---------------------------------------------------------------------------------


def test_runs_list_filters_by_session_and_status(cli: Cli) -> None:
    first = cli.json("run", "echo-agent", "--no-stream", "-p", "message=one")
    session = first["session_id"]
    second = cli.json("run", "echo-agent", "--no-stream", "-p", "message=two", "-s", session)
    listed = cli.json("runs", "list", "echo-agent", "--session", session)
    assert [run["id"] for run in listed] == [second["record_id"], first["record_id"]]
    assert cli.json("runs", "list", "echo-agent", "--session", session, "-n", "1") == listed[:1]
    assert cli.json("runs", "list", "echo-agent", "--session", session, "-s", "failed") == []
    table = cli.ok("runs", "list", "echo-agent", "--session", session).stdout
    assert first["record_id"] in table
    assert "COMPLETED" in table


def test_cancel_a_paused_run_and_a_second_cancel_conflicts(cli: Cli) -> None:
    _, record = _paused(cli)
    out = cli.ok("runs", "cancel", "approval-agent", record, "--reason", "no").stdout
    assert out == f"Run {record} stopped.\n"
    again = cli("runs", "cancel", "approval-agent", record)
    assert again.exit_code == 13
    assert "already ended (CANCELLED)" in again.stderr


def test_cancel_and_wait_reports_the_end(cli: Cli) -> None:
    _, record = _paused(cli)
    data = cli.json("runs", "cancel", "approval-agent", record, "--wait")
    assert data["stoppedNow"] is True
    assert data["record"]["status"] == "CANCELLED"


def test_waiting_past_the_deadline_names_the_last_status(cli: Cli) -> None:
    _, record = _paused(cli)
    result = cli(
        "runs", "wait", "approval-agent", record, "--wait-timeout", "0.3", "--poll-interval", "0.05"
    )
    assert result.exit_code == 1
    assert "last status: WAITING_FOR_ASYNC" in result.stderr
    assert "--wait-timeout" in result.stderr


# -- files --------------------------------------------------------------------------------


def test_upload_then_run_with_the_link_and_with_run_file(cli: Cli, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello, file agent\n", encoding="utf-8")

    link = cli.ok("files", "upload", str(notes), "--link").stdout.strip()
    assert re.fullmatch(rf"<text:{UUID}/>", link)
    answer = cli.ok("run", "file-agent", "--no-stream", "-p", f"file={link}").stdout
    assert answer.startswith('Read "notes.txt": 18 bytes of text/plain.')

    direct = cli("run", "file-agent", "--no-stream", "--file", f"file={notes}")
    assert direct.exit_code == 0, direct.output
    assert direct.stdout.startswith('Read "notes.txt": 18 bytes of text/plain.')
    assert "Uploaded" in direct.stderr
    streamed = cli.ok("run", "file-agent", "-f", f"file={notes}").stdout
    assert 'Read "notes.txt": 18 bytes of text/plain.' in streamed

    described = cli.json("files", "upload", str(notes), "--name", "renamed.md", "--temporary")
    assert (described["displayName"], described["contentType"]) == ("renamed.md", "text/markdown")
    assert cli("run", "file-agent", "--file", "nonsense").exit_code == 2
    assert cli("run", "file-agent", "--file", f"file={tmp_path / 'missing'}").exit_code == 2


def test_download_to_a_file_and_to_stdout(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "data.bin"
    source.write_bytes(bytes(range(256)) * 10)
    link: dict[str, Any] = cli.json("files", "upload", str(source))

    target = tmp_path / "copy.bin"
    out = cli.ok("files", "download", link["fileId"], "-o", str(target)).stdout
    assert out == f"Wrote {target}: 2560 bytes of application/octet-stream.\n"
    assert target.read_bytes() == source.read_bytes()
    piped = cli.runner.invoke(app, ["files", "download", link["promptLink"]], env=cli.env)
    assert piped.exit_code == 0, piped.output
    assert piped.stdout_bytes == source.read_bytes()
    assert cli("files", "download", "no-such-file", "-o", str(tmp_path / "x")).exit_code == 11
    assert not (tmp_path / "x").exists()


def test_a_report_file_is_downloaded_from_the_run_result(cli: Cli, tmp_path: Path) -> None:
    run = cli.json("run", "report-agent", "--no-stream", "-p", "topic=refunds")
    shown = cli.ok("runs", "result", "report-agent", run["record_id"]).stdout
    assert re.match(rf"<text:{UUID}/>\n", shown)
    assert "fruxon files download" in shown
    target = tmp_path / "report.md"
    cli.ok("runs", "result", "report-agent", run["record_id"], "-o", str(target))
    assert target.read_text(encoding="utf-8").startswith("# Report: refunds")
    text_run = cli.json("run", "echo-agent", "--no-stream", "-p", "message=x")
    refused = cli("runs", "result", "echo-agent", text_run["record_id"], "-o", str(target))
    assert refused.exit_code == 2


def test_json_outputs_parse(cli: Cli) -> None:
    _, record = _paused(cli)
    assert json.loads(cli.ok("runs", "get", "approval-agent", record, "--json").stdout)["id"] == (
        record
    )
