"""`fruxon run`: streamed and blocking output, --json, NDJSON, revisions, sessions."""

from __future__ import annotations

import json
import re

from cli_harness import Cli

SUMMARY = re.compile(r"^(\d+)ms · \$(\d+\.\d{4}) · ([0-9a-f-]{36})$", re.MULTILINE)
QUESTION = "How do I reset my password?"


def test_streamed_run_shows_text_tool_calls_and_summary(cli: Cli) -> None:
    result = cli.ok("run", "support-agent", "-p", f"question={QUESTION}")
    out = result.stdout
    assert f'→ kb_search(query="{QUESTION}", limit=3)' in out
    assert "← kb_search succeeded 180ms" in out
    assert f'[rev 3] Turn 1: I found 3 knowledge-base articles about "{QUESTION}"' in out
    summary = SUMMARY.search(out)
    assert summary is not None, out
    assert out.rstrip().endswith(summary.group(0))
    assert int(summary.group(1)) > 0


def test_blocking_run_prints_response_and_summary(cli: Cli) -> None:
    out = cli.ok("run", "echo-agent", "--no-stream", "-p", "message=hi there").stdout
    assert out.splitlines()[0] == "Echo (turn 1): hi there"
    assert SUMMARY.search(out)


def test_json_result_parses_back(cli: Cli) -> None:
    data = cli.json("run", "support-agent", "--no-stream", "-p", f"question={QUESTION}")
    assert data["response"].startswith("[rev 3] Turn 1")
    assert data["agent"] == "support-agent"
    assert data["agent_revision"] == 3
    assert data["total_cost"] > 0
    assert data["duration_ms"] > 0
    assert data["status"] == "completed"
    assert re.fullmatch(r"[0-9a-f-]{36}", data["record_id"])
    assert data["session_id"]
    assert data["parameters"] == {"question": QUESTION}
    assert data["links"]
    assert data["links"][0]["fileId"] == "kb-1042"  # links are the API's objects, as sent


def test_streamed_and_blocking_json_share_one_casing_and_the_done_names(cli: Cli) -> None:
    args = ("run", "echo-agent", "-p", "message=same")
    blocking = cli.json(*args, "--no-stream")
    records = [json.loads(line) for line in cli.ok(*args, "--json").stdout.splitlines()]
    done = records[-1]
    assert done["type"] == "done"
    shared = set(done) - {"type"}
    assert shared <= set(blocking), shared - set(blocking)
    for key in ("agent", "status", "agent_revision", "input_tokens", "output_tokens"):
        assert blocking[key] == done[key], key
    keys = {key for record in [blocking, *records] for key in record}
    assert all(key == key.lower() for key in keys), sorted(keys)


def test_streamed_json_is_ndjson_events(cli: Cli) -> None:
    out = cli.ok("run", "support-agent", "--json", "-p", f"question={QUESTION}").stdout
    records = [json.loads(line) for line in out.splitlines()]
    types = [record["type"] for record in records]
    assert types[0] == "start"
    assert records[0] == {
        "type": "start",
        "schema_version": 2,
        "agent": "support-agent",
    }
    assert types[-1] == "done"
    assert records[-1]["status"] == "completed"
    assert {"tool_call", "tool_result", "text", "step_trace", "usage"} <= set(types)
    call = next(r for r in records if r["type"] == "tool_call")
    assert call["name"] == "kb_search"
    assert call["arguments"]["query"] == QUESTION
    result = next(r for r in records if r["type"] == "tool_result")
    assert result["id"] == call["id"]
    assert result["status"] == "succeeded"
    assert all(r.get("step_type") != "FLOW_STEP" for r in records if r["type"] == "step_trace")
    text = "".join(r["delta"] for r in records if r["type"] == "text")
    assert text.startswith("[rev 3] Turn 1")
    done = records[-1]
    assert done["agent"] == "support-agent"
    assert done["agent_revision"] == 3
    assert done["record_id"]
    assert done["session_id"]
    assert done["duration_ms"] > 0


def test_revision_pins_an_older_revision(cli: Cli) -> None:
    streamed = cli.ok("run", "support-agent", "--revision", "1", "-p", "question=hi").stdout
    assert "[rev 1] I can only say hello. You asked: hi" in streamed
    blocking = cli.json("run", "support-agent", "-r", "2", "--no-stream", "-p", "question=hi")
    assert blocking["response"].startswith("[rev 2] Searching for hi")


def test_session_continues_a_conversation(cli: Cli) -> None:
    first = cli.json("run", "support-agent", "--no-stream", "-p", "question=first question")
    follow_up = cli.ok(
        "run", "support-agent", "--session", first["session_id"], "-p", "question=and then?"
    ).stdout
    assert 'Turn 2: Following up on "first question" - about "and then?"' in follow_up


def test_emulator_flag_needs_no_credentials(cli: Cli) -> None:
    result = cli(
        "run",
        "support-agent",
        "--emulator",
        "-p",
        f"question={QUESTION}",
        env={"FRUXON_API_KEY": None, "FRUXON_ORG": None, "FRUXON_BASE_URL": None},
    )
    assert result.exit_code == 0, result.output
    assert f'about "{QUESTION}"' in result.stdout
    assert SUMMARY.search(result.stdout)
    assert "Using the bundled emulator" in result.stderr
    assert cli.emulator.api_key not in result.output


def test_emulator_flag_on_the_root_command(cli: Cli) -> None:
    result = cli("--emulator", "run", "echo-agent", env={"FRUXON_API_KEY": None})
    assert result.exit_code == 0, result.output
    assert "Echo (turn 1): Hello from the Fruxon emulator!" in result.stdout
