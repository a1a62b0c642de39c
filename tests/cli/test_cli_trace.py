"""`fruxon trace`: a record and its step tree."""

from __future__ import annotations

import re

from cli_harness import Cli


def run_record(cli: Cli) -> str:
    data = cli.json("run", "support-agent", "--no-stream", "-p", "question=Where is my order?")
    record_id: str = data["record_id"]
    return record_id


def test_trace_tree_shows_steps_durations_costs_and_statuses(cli: Cli) -> None:
    record_id = run_record(cli)
    out = cli.ok("trace", "support-agent", record_id).stdout
    assert f"record {record_id}" in out
    assert re.search(r"✓ support-agent r3\s+COMPLETED\s+1020ms · \$0\.\d{4}", out), out
    assert re.search(r"└── ✓ Support Agent\s+FLOW_STEP\s+1020ms", out), out
    assert re.search(r"✓ Plan\s+LLM_STEP\s+420ms\s+\$0\.\d{4} · emulated-gpt", out), out
    assert re.search(r"✓ Search knowledge base\s+TOOL\s+180ms\s+kb_search", out), out
    assert "Where is my order?" in out


def test_trace_json(cli: Cli) -> None:
    record_id = run_record(cli)
    data = cli.json("trace", "support-agent", record_id)
    assert data["record"]["id"] == record_id
    assert data["record"]["status"] == "COMPLETED"
    steps = data["trace"]["trace"]["traces"][0]["steps"]
    assert [step["displayName"] for step in steps] == ["Plan", "Search knowledge base", "Answer"]


def test_trace_unknown_record_exits_11(cli: Cli) -> None:
    assert cli("trace", "support-agent", "no-such-record").exit_code == 11


def test_trace_needs_a_record_id_without_the_emulator(cli: Cli) -> None:
    result = cli("trace", "support-agent")
    assert result.exit_code == 2
    assert "RECORD_ID" in result.stderr


def test_trace_with_the_bundled_emulator_runs_the_agent_first(cli: Cli) -> None:
    for args in (("trace", "support-agent"), ("trace", "count-agent", "last", "-p", "count:=2")):
        result = cli(*args, "--emulator", env={"FRUXON_API_KEY": None})
        assert result.exit_code == 0, result.output
        assert "Ran " in result.stderr
        assert "COMPLETED" in result.stdout
