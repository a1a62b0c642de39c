"""`fruxon agents list|get|params`, `integrations list`, `tools list`."""

from __future__ import annotations

from cli_harness import Cli


def test_agents_list_hides_disabled_unless_all(cli: Cli) -> None:
    out = cli.ok("agents", "list").stdout
    assert "support-agent" in out
    assert "Support Agent" in out
    assert "echo-agent" in out
    assert "legacy-agent" not in out
    assert "other-agent" not in out
    assert "legacy-agent" in cli.ok("agents", "list", "--all").stdout


def test_agents_list_json(cli: Cli) -> None:
    agents = {agent["id"]: agent for agent in cli.json("agents", "list", "--all")}
    assert {"support-agent", "echo-agent", "count-agent", "slow-agent", "legacy-agent"} <= set(
        agents
    )
    assert agents["support-agent"]["currentRevision"] == 3
    assert agents["legacy-agent"]["enabled"] is False


def test_agents_get_shows_a_run_line(cli: Cli) -> None:
    out = cli.ok("agents", "get", "support-agent").stdout
    assert "Support Agent" in out
    assert "question" in out
    assert 'fruxon run support-agent -p question="…"' in out
    data = cli.json("agents", "get", "support-agent")
    assert data["id"] == "support-agent"
    assert data["parameters"] == ["question"]


def test_agents_params(cli: Cli) -> None:
    out = cli.ok("agents", "params", "support-agent").stdout
    assert "Required" in out
    (row,) = [line for line in out.splitlines() if line.lstrip().startswith("question")]
    assert [cell.strip() for cell in row.split("│")][:3] == ["question", "string", "yes"]
    assert "The customer's question." in row
    data = cli.json("agents", "params", "count-agent", "--revision", "1")
    assert data["agent"] == "count-agent"
    assert data["revision"] == 1
    assert data["parameters"] == ["count"]
    (count,) = data["metadata"]
    assert (count["name"], count["type"], count["required"], count["defaultValue"]) == (
        "count",
        "INTEGER",
        False,
        10,
    )


def test_agents_unknown_exits_11(cli: Cli) -> None:
    assert cli("agents", "get", "nope").exit_code == 11
    assert cli("agents", "params", "support-agent", "--revision", "99").exit_code == 11


def test_agents_with_the_bundled_emulator(cli: Cli) -> None:
    result = cli("agents", "list", "--emulator", env={"FRUXON_API_KEY": None})
    assert result.exit_code == 0, result.output
    assert "support-agent" in result.stdout


def test_integrations_list(cli: Cli) -> None:
    out = cli.ok("integrations", "list").stdout
    assert "github" in out
    assert "knowledge-base" in out
    assert "GitHub" in out
    ids = [item["id"] for item in cli.json("integrations", "list")]
    assert {"github", "knowledge-base"} <= set(ids)  # the session emulator may hold more


def test_tools_list(cli: Cli) -> None:
    out = cli.ok("tools", "list", "github").stdout
    assert "list_commits" in out
    assert "PYTHON_SCRIPT" in out
    tools = cli.json("tools", "list", "knowledge-base")
    assert [tool["id"] for tool in tools] == ["kb_search"]
    assert tools[0]["integrationId"] == "knowledge-base"


def test_tools_of_unknown_integration_exit_11(cli: Cli) -> None:
    assert cli("tools", "list", "nope").exit_code == 11
