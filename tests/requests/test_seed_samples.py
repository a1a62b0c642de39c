"""Every code sample of the seed SDK guide, run unchanged against the emulator.

Each sample below is the guide's text with only its import lines changed
(``from fruxon import`` → ``from fruxon_requests import``, ``fruxon.exceptions``
→ ``fruxon_core.exceptions``). Samples that use ``client`` get one pointed at an
emulator; samples that build their own client keep the guide's arguments. The
``{...}`` placeholders of the guide are filled, one by one and in order, with
bodies the emulator accepts (:func:`fill`); nothing else in a sample changes.

The emulator "worlds" are the fixture data that make the samples meaningful:

* the *seed world* is the shipped config plus what the guide assumes exists:
  a revision 42 of ``support-agent``, a draft-test input named ``query``, and
  an execution record ``rec-abc123`` (copied from a real run);
* the *blank world* has no integrations yet, for the statements that create
  ``github`` and its ``list_commits`` tool. The guide lists reads and writes
  of the same ids side by side, so the reads run in the seed world (where the
  ids exist) and the writes, in their order, in the blank world.
"""

from __future__ import annotations

import json
import re
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fruxon_core.config import DEFAULT_BASE_URL
from fruxon_core.models import ExecutionResult
from fruxon_emulator import EmulatorServer, default_config_text
from fruxon_emulator.store import RecordStore
from fruxon_requests import FruxonClient

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

# -- the samples, as printed in the guide --------------------------------------------------

AUTHENTICATION = """
from fruxon_requests import FruxonClient
client = FruxonClient(
    api_key="...",
    org="acme-corp",
)
"""

EXECUTE = """
result = client.execute(
    "support-agent",
    parameters={"question": "How do I reset my password?"},
)
print(result.response)
print(f"{result.trace.duration}ms · ${result.trace.total_cost:.4f}")
print(result.execution_record_id)
"""

MULTI_TURN = """
first = client.execute(
    "support-agent",
    parameters={"question": "What's your return policy?"},
)
follow_up = client.execute(
    "support-agent",
    parameters={"question": "What about international orders?"},
    session_id=first.session_id,
)
"""

STREAM_TEXT = """
for chunk in client.stream_text(
    "support-agent",
    parameters={"question": "Tell me about your service"},
):
    print(chunk, end="", flush=True)
"""

STREAM_EVENTS = """
for event in client.stream("support-agent", parameters={"question": "Hi"}):
    if event.event == "text":
        print(event.data["chunk"], end="", flush=True)
    elif event.event == "tool_call":
        print(f"\\n[tool call] {event.data}")
    elif event.event == "tool_result":
        print(f"\\n[tool result] {event.data}")
    elif event.event == "done":
        trace = event.data.get("trace", {})
        print(f"\\n[done] {trace.get('duration')}ms")
"""

PIN_REVISION = """
result = client.execute_revision(
    "support-agent",
    revision="42",
    parameters={"question": "Hi"},
)
"""

DISCOVERY = """
for agent in client.list_agents():
    print(agent.id, agent.display_name, agent.current_revision)

one = client.get_agent("support-agent")
params = client.get_agent_parameters(
    "support-agent",
    revision=one.current_revision,
)
"""

TEST_DRAFT = """
request = {
    "flow": {...},  # the candidate flow definition
    "baseRevision": 3,  # masked secrets resolve from this revision's configs
    "parameters": {"query": "hello"},
}

# Sync — same ExecutionResult shape as execute()
result = client.test("support-agent", request)
print(result.response)

# Streaming — same StreamEvent shape as stream()
for event in client.stream_test("support-agent", request):
    if event.event == "text":
        print(event.data["chunk"], end="", flush=True)
"""

INTEGRATIONS_AND_TOOLS = """
# Integrations
for integ in client.list_integrations(search="git", types=["CUSTOM"], tags=["ci"]):
    print(integ.id, integ.type, integ.tags)

client.get_integration("github")
client.create_integration({"id": "github", "displayName": "GitHub", "configMetadata": {...}})
client.update_integration("github", {"displayName": "GitHub (renamed)"})

# A failed verification is a result, not an exception
check = client.verify_integration("github", {"authMetadataId": "...", "authConfig": {...}})

# Tools — always integration-scoped: (integration, tool) is the composite key
for tool in client.list_tools("github", types=["API"]):
    print(tool.id, tool.tool_type, tool.action_type)

client.get_tool("github", "list_commits")
client.create_tool("github", {"id": "list_commits", "integrationId": "github", "descriptor": {...}})
client.update_tool("github", "list_commits", {...})
client.update_tool("github", "run_report", {...}, python=True)  # Python-script tools
client.delete_tool("github", "list_commits")

# Test-run a tool before wiring it into an agent — returns the raw {response}
client.test_tool("github", {"descriptor": {...}, "parameters": {"repo": "fruxon-sdk"}})
"""

PAST_EXECUTIONS = """
record = client.get_execution_record("support-agent", "rec-abc123")
print(record.status, record.total_cost)

# Full step-by-step trace as a raw dict
trace = client.get_execution_trace("support-agent", "rec-abc123")
"""

ERROR_HANDLING_IMPORTS_AND_CLIENT = """
from fruxon_requests import FruxonClient
from fruxon_core.exceptions import (
    AuthenticationError,
    ForbiddenError,
    NotFoundError,
    ValidationError,
    FruxonConnectionError,
    FruxonAPIError,
    FruxonError,
)

client = FruxonClient(api_key="...", org="acme-corp")
"""

ERROR_HANDLING_CALL = """
try:
    result = client.execute("my-agent", parameters={"input": "Hello"})
except AuthenticationError:
    print("API key was rejected — generate a new one in Settings.")
except NotFoundError:
    print("Agent not found in this organization.")
except ValidationError as e:
    print(f"Bad request: {e}")
except FruxonConnectionError:
    print("Could not reach the Fruxon API.")
except FruxonError as e:
    print(f"Unexpected error: {e}")
"""

SELF_HOSTED = """
client = FruxonClient(
    api_key="...",
    org="acme-corp",
    base_url="https://api.staging.fruxon.com",
)
"""

# -- realistic bodies for the guide's ``{...}`` placeholders ------------------------------

DRAFT_FLOW = {
    "steps": [
        {"id": "entry", "type": "ENTRY_POINT", "parameters": [{"name": "query"}]},
        {"id": "answer", "type": "AGENT", "agentId": "support-agent"},
        {"id": "exit", "type": "EXIT_POINT"},
    ],
    "edges": [{"from": "entry", "to": "answer"}, {"from": "answer", "to": "exit"}],
}
API_DESCRIPTOR = {
    "apiTool": {"method": "GET", "url": "https://api.github.com/repos/{repo}/commits"}
}
REPORT_SCRIPT = "def main(params):\n    return 'all green'\n"


def fill(sample: str, *bodies: Any) -> str:
    """Replace the sample's ``{...}`` placeholders, in order, with ``bodies`` (as literals)."""
    assert sample.count("{...}") == len(bodies), "one body per placeholder"
    for body in bodies:
        sample = sample.replace("{...}", repr(body), 1)
    return sample


def run(sample: str, **namespace: Any) -> dict[str, Any]:
    exec(compile(sample, "<seed sample>", "exec"), namespace)
    return namespace


def statements(sample: str, *calls: str) -> str:
    """The lines of ``sample`` that make the given calls (each a one-line statement)."""
    lines = [line for line in sample.splitlines() if any(call in line for call in calls)]
    assert len(lines) == len(calls), lines
    return "\n".join(lines) + "\n"


# -- the emulator worlds -----------------------------------------------------------------


def seed_world_config() -> dict[str, Any]:
    config = tomllib.loads(default_config_text())
    support = config["agents"]["support-agent"]
    support["revisions"].append({"number": 42, "reply": "[rev 42] Hello! You asked: {question}"})
    # A draft test may bring inputs of its own: here the guide's ``query``.
    support["parameters"].append({"name": "query", "type": "STRING", "required": False})
    support["parameters"][0]["required"] = False
    support["parameters"][0]["default"] = "(no question)"
    return config


@pytest.fixture(scope="module")
def seed_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    db = tmp_path_factory.mktemp("seed-world") / "records.db"
    with EmulatorServer(config=seed_world_config(), db=db) as world:
        with FruxonClient(world.api_key, world.org, base_url=world.base_url) as client:
            run_ = client.execute("support-agent", parameters={"question": "Where is my order?"})
        _copy_record(db, world.org, run_.execution_record_id, "rec-abc123")
        yield world


def _copy_record(db: Path, tenant: str, record_id: str, new_id: str) -> None:
    """Store a real run once more under the id the guide uses (the emulator picks UUIDs)."""
    store = RecordStore(db)
    try:
        stored = store.find(tenant, "support-agent", record_id)
        assert stored is not None
        store.save(tenant, {**stored.record, "id": new_id, "rootExecutionId": new_id}, stored.trace)
    finally:
        store.close()


@pytest.fixture
def seed_client(seed_world: EmulatorServer) -> Iterator[FruxonClient]:
    with FruxonClient(seed_world.api_key, seed_world.org, base_url=seed_world.base_url) as client:
        yield client


@pytest.fixture
def blank_client(fruxon_emulator_factory: Any) -> Iterator[FruxonClient]:
    world = fruxon_emulator_factory(
        config={"tenants": {"acme-corp": {"api_keys": ["fxn_emulator_demo_key"]}}}
    )
    with FruxonClient(world.api_key, world.org, base_url=world.base_url) as client:
        yield client


# -- the tests -------------------------------------------------------------------------------


def test_authentication() -> None:
    namespace = run(AUTHENTICATION)
    client = namespace["client"]
    try:
        assert repr(client) == f"FruxonClient(org='acme-corp', base_url='{DEFAULT_BASE_URL}')"
    finally:
        client.close()


def test_execute(seed_client: FruxonClient, capsys: pytest.CaptureFixture[str]) -> None:
    namespace = run(EXECUTE, client=seed_client)
    result = namespace["result"]

    response, cost_line, record_id = capsys.readouterr().out.splitlines()
    assert response == result.response
    assert "How do I reset my password?" in response
    assert re.fullmatch(r"\d+ms · \$\d+\.\d{4}", cost_line)
    assert cost_line == f"{result.trace.duration}ms · ${result.trace.total_cost:.4f}"
    assert record_id == result.execution_record_id != ""


def test_multi_turn(seed_client: FruxonClient) -> None:
    namespace = run(MULTI_TURN, client=seed_client)
    first, follow_up = namespace["first"], namespace["follow_up"]
    assert follow_up.session_id == first.session_id
    assert "Turn 2" in follow_up.response
    assert "What's your return policy?" in follow_up.response


def test_stream_text(seed_client: FruxonClient, capsys: pytest.CaptureFixture[str]) -> None:
    run(STREAM_TEXT, client=seed_client)
    printed = capsys.readouterr().out
    expected = seed_client.execute(
        "support-agent", parameters={"question": "Tell me about your service"}
    ).response
    assert printed == expected


def test_stream_events(seed_client: FruxonClient, capsys: pytest.CaptureFixture[str]) -> None:
    run(STREAM_EVENTS, client=seed_client)
    lines = capsys.readouterr().out.splitlines()

    # Each tool line starts with a newline of its own; the text follows on one line.
    assert lines[0] == lines[2] == ""
    assert lines[1].startswith("[tool call] {'id': ")
    assert "'kb_search'" in lines[1]
    assert lines[3].startswith("[tool result] {'id': ")
    assert "'succeeded'" in lines[3]
    assert lines[4].startswith("[rev 3] Turn 1:")
    assert '"Hi"' in lines[4]
    assert re.fullmatch(r"\[done\] \d+ms", lines[5])
    assert len(lines) == 6


def test_pin_a_revision(seed_client: FruxonClient) -> None:
    result = run(PIN_REVISION, client=seed_client)["result"]
    assert result.response == "[rev 42] Hello! You asked: Hi"
    assert result.trace.agent_revision == 42


def test_discovery(seed_client: FruxonClient, capsys: pytest.CaptureFixture[str]) -> None:
    namespace = run(DISCOVERY, client=seed_client)
    lines = capsys.readouterr().out.splitlines()
    assert "support-agent Support Agent 3" in lines
    assert "echo-agent Echo Agent 1" in lines
    assert len(lines) == 9  # the shipped acme-corp agents
    assert namespace["one"].current_revision == 3
    assert namespace["params"] == ["question", "query"]


def test_test_a_draft_flow(seed_client: FruxonClient, capsys: pytest.CaptureFixture[str]) -> None:
    namespace = run(fill(TEST_DRAFT, DRAFT_FLOW), client=seed_client)
    result = namespace["result"]
    assert isinstance(result, ExecutionResult)
    assert result.trace.agent_revision == -1  # a draft, not a published revision
    # The sync run prints its response; the streamed run prints the same text again.
    assert capsys.readouterr().out == f"{result.response}\n{result.response}"


def test_integrations_and_tools_reads(
    seed_client: FruxonClient, capsys: pytest.CaptureFixture[str]
) -> None:
    reads = statements(
        INTEGRATIONS_AND_TOOLS,
        "for integ in client.list_integrations(",
        "    print(integ.id",
        'client.get_integration("github")',
        'for tool in client.list_tools("github"',
        "    print(tool.id",
        'client.get_tool("github", "list_commits")',
    )
    run(reads, client=seed_client)
    assert capsys.readouterr().out.splitlines() == [
        "github CUSTOM ['ci']",
        "list_commits API READ_ONLY",
    ]


def test_integrations_and_tools_writes(blank_client: FruxonClient) -> None:
    sample = fill(
        INTEGRATIONS_AND_TOOLS,
        {"authMetadata": [{"id": "github-token", "authType": "BEARER_TOKEN"}]},
        {"token": "ghp_example"},
        API_DESCRIPTOR,
        {"descriptor": API_DESCRIPTOR, "displayName": "List commits", "actionType": "READ_ONLY"},
        {"descriptor": {"codeTool": {"language": "PYTHON", "script": REPORT_SCRIPT}}},
        API_DESCRIPTOR,
    )
    integration_writes = statements(
        sample,
        "client.create_integration(",
        "client.update_integration(",
        "check = client.verify_integration(",
    )
    tool_writes = statements(
        sample,
        "client.create_tool(",
        'client.update_tool("github", "list_commits"',
        'client.update_tool("github", "run_report"',
        "client.delete_tool(",
    )
    test_tool = statements(sample, "client.test_tool(").strip()
    namespace = run(integration_writes, client=blank_client)
    assert namespace["check"] == {"success": True, "error": "", "authorizationUrl": ""}
    assert blank_client.get_integration("github").display_name == "GitHub (renamed)"

    # Not in the guide: the Python-script tool its update_tool(..., python=True) line edits.
    blank_client.create_tool("github", {"id": "run_report", "descriptor": {"codeTool": {}}})
    run(tool_writes, client=blank_client)
    # The last line is an expression: its value is the raw {"response": ...} dict.
    tested = eval(compile(test_tool, "<seed sample>", "eval"), {"client": blank_client})

    assert set(tested) == {"response"}
    assert json.loads(tested["response"])["parameters"] == {"repo": "fruxon-sdk"}
    assert [tool.id for tool in blank_client.list_tools("github")] == ["run_report"]
    report = blank_client.get_tool("github", "run_report")
    assert report.tool_type == "PYTHON_SCRIPT"
    assert report.descriptor["codeTool"]["script"] == REPORT_SCRIPT


def test_past_executions(seed_client: FruxonClient, capsys: pytest.CaptureFixture[str]) -> None:
    namespace = run(PAST_EXECUTIONS, client=seed_client)
    record = namespace["record"]
    assert capsys.readouterr().out == f"COMPLETED {record.total_cost}\n"
    assert record.id == "rec-abc123"
    assert record.total_cost > 0
    trace = namespace["trace"]
    assert isinstance(trace, dict)
    assert trace["status"] == "COMPLETED"
    assert trace["trace"]["agentId"] == "support-agent"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_error_handling_offline(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The sample talks to the default API host. An HTTPS proxy that refuses
    # connections keeps the run offline and deterministic: the network error branch.
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{_closed_port()}")

    namespace = run(ERROR_HANDLING_IMPORTS_AND_CLIENT + ERROR_HANDLING_CALL)
    namespace["client"].close()
    assert capsys.readouterr().out == "Could not reach the Fruxon API.\n"


@pytest.mark.parametrize(
    ("api_key", "printed"),
    [
        ("fxn_revoked_key", "API key was rejected — generate a new one in Settings.\n"),
        ("fxn_emulator_demo_key", "Agent not found in this organization.\n"),
    ],
)
def test_error_handling_branches(
    seed_world: EmulatorServer, capsys: pytest.CaptureFixture[str], api_key: str, printed: str
) -> None:
    # The sample's try/except block, unchanged, against a client that reaches the emulator.
    namespace = run(ERROR_HANDLING_IMPORTS_AND_CLIENT)
    namespace["client"].close()
    with FruxonClient(api_key, "acme-corp", base_url=seed_world.base_url) as client:
        run(ERROR_HANDLING_CALL, **{**namespace, "client": client})
    assert capsys.readouterr().out == printed


def test_self_hosted() -> None:
    client = run(SELF_HOSTED, FruxonClient=FruxonClient)["client"]
    try:
        assert repr(client) == (
            "FruxonClient(org='acme-corp', base_url='https://api.staging.fruxon.com')"
        )
    finally:
        client.close()
