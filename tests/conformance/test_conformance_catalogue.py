"""Agents, integrations and tools: every read and write operation, filters and paging."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import pytest

from fruxon_core.exceptions import NotFoundError, ValidationError
from fruxon_core.models import Agent, AgentParameters, Integration, Tool
from fruxon_emulator import EmulatorServer, default_config_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ClientFactory = Callable[..., Any]
Unique = Callable[[str], str]

LIST_ROUTES = {
    "agents": "GET /v1/tenants/{tenant}/agents",
    "integrations": "GET /v1/tenants/{tenant}/integrations",
    "tools": "GET /v1/tenants/{tenant}/integrations/{integration}/tools",
}

API_DESCRIPTOR = {"apiTool": {"method": "GET", "url": "https://api.example.invalid/{repo}"}}
SCRIPT = "def main(params):\n    return 'ok'\n"


# -- agents ----------------------------------------------------------------------------


def test_list_agents_returns_the_orgs_agents(client: Any) -> None:
    agents = client.list_agents()
    assert all(isinstance(agent, Agent) for agent in agents)
    ids = [agent.id for agent in agents]
    assert {"support-agent", "echo-agent", "count-agent", "slow-agent", "legacy-agent"} <= set(ids)
    assert "other-agent" not in ids  # another tenant's agent
    support = next(agent for agent in agents if agent.id == "support-agent")
    assert (support.display_name, support.current_revision, support.enabled) == (
        "Support Agent",
        3,
        True,
    )
    assert support.tags == ["support", "demo"]


def test_list_agents_filters(client: Any) -> None:
    assert [agent.id for agent in client.list_agents(query="echo")] == ["echo-agent"]
    assert [agent.id for agent in client.list_agents(tags=["bench"])] == ["count-agent"]
    assert client.list_agents(query="no agent matches this") == []


def test_iter_agents_matches_list_agents(client: Any) -> None:
    assert list(client.iter_agents()) == client.list_agents()


def test_get_agent_and_its_parameters(client: Any) -> None:
    agent = client.get_agent("support-agent")
    assert isinstance(agent, Agent)
    assert agent.description.startswith("Answers customer questions")
    assert client.get_agent_parameters("support-agent", revision=agent.current_revision) == [
        "question"
    ]
    assert client.get_agent_parameters("count-agent", revision="1") == ["count"]


def test_get_agent_parameter_metadata(client: Any) -> None:
    envelope = client.get_agent_parameter_metadata("count-agent", revision=1)
    assert isinstance(envelope, AgentParameters)
    assert envelope.parameters == ["count"]
    (count,) = envelope.metadata
    assert (count.name, count.type, count.required, count.default_value) == (
        "count",
        "INTEGER",
        False,
        10,
    )
    (question,) = client.get_agent_parameter_metadata("support-agent", revision="3").metadata
    assert question.required is True
    assert question.description == "The customer's question."
    with pytest.raises(NotFoundError):
        client.get_agent_parameter_metadata("support-agent", revision=99)


def test_get_agent_parameters_of_an_unknown_revision(client: Any) -> None:
    with pytest.raises(NotFoundError):
        client.get_agent_parameters("support-agent", revision=99)


def test_another_tenants_agent_is_not_found(client: Any) -> None:
    with pytest.raises(NotFoundError):
        client.get_agent("other-agent")


# -- integrations ----------------------------------------------------------------------


def test_list_integrations_with_filters(client: Any) -> None:
    everything = client.list_integrations()
    assert all(isinstance(item, Integration) for item in everything)
    assert {"github", "knowledge-base"} <= {item.id for item in everything}

    (github,) = client.list_integrations(search="git", types=["CUSTOM"], tags=["ci"])
    assert (github.id, github.type, github.tags) == ("github", "CUSTOM", ["ci"])
    assert [item.id for item in client.list_integrations(tags=["support"])] == ["knowledge-base"]
    assert client.list_integrations(types=["NOT_A_TYPE"]) == []


def test_get_integration(client: Any) -> None:
    github = client.get_integration("github")
    assert isinstance(github, Integration)
    assert (github.id, github.display_name) == ("github", "GitHub")


def test_create_update_and_verify_an_integration(client: Any, unique: Unique) -> None:
    integration_id = unique("crm")
    created = client.create_integration(
        {
            "id": integration_id,
            "displayName": "CRM",
            "description": "Customer records.",
            "tags": ["sales"],
            "configMetadata": {"authMetadata": [{"id": "api-key", "authType": "API_KEY"}]},
        }
    )
    assert isinstance(created, Integration)
    assert (created.id, created.display_name, created.tags) == (integration_id, "CRM", ["sales"])
    assert created.config_metadata["authMetadata"][0]["authType"] == "API_KEY"

    updated = client.update_integration(integration_id, {"displayName": "CRM (renamed)"})
    assert updated.display_name == "CRM (renamed)"
    assert updated.description == "Customer records."  # omitted fields keep their values
    assert client.get_integration(integration_id).display_name == "CRM (renamed)"
    assert integration_id in {item.id for item in client.list_integrations(tags=["sales"])}

    ok = client.verify_integration(
        integration_id, {"authMetadataId": "api-key", "authConfig": {"apiKey": "s3cret"}}
    )
    assert ok == {"success": True, "error": "", "authorizationUrl": ""}
    # A failed check is a result, not an exception.
    failed = client.verify_integration(
        integration_id, {"authMetadataId": "api-key", "authConfig": {"apiKey": "invalid"}}
    )
    assert failed["success"] is False
    assert "apiKey" in failed["error"]


def test_update_an_unknown_integration(client: Any) -> None:
    with pytest.raises(NotFoundError):
        client.update_integration("no-such-integration", {"displayName": "x"})


def test_ids_with_reserved_characters_round_trip(client: Any, unique: Unique) -> None:
    integration_id = f"{unique('my integration')}/α?#"
    client.create_integration({"id": integration_id})
    assert client.get_integration(integration_id).id == integration_id


# -- tools -----------------------------------------------------------------------------


def test_list_and_get_tools(client: Any) -> None:
    tools = client.list_tools("github")
    assert all(isinstance(tool, Tool) for tool in tools)
    assert {tool.id for tool in tools} >= {"list_commits", "run_report"}
    api_tools = client.list_tools("github", types=["API"])
    assert [tool.id for tool in api_tools] == ["list_commits"]
    assert [tool.id for tool in client.iter_tools("github", search="report")] == ["run_report"]

    tool = client.get_tool("github", "list_commits")
    assert (tool.id, tool.integration_id, tool.tool_type, tool.action_type) == (
        "list_commits",
        "github",
        "API",
        "READ_ONLY",
    )
    assert tool.parameters[0]["name"] == "repo"


def test_tool_lifecycle(client: Any, unique: Unique) -> None:
    integration = client.create_integration({"id": unique("tools")}).id
    created = client.create_tool(
        integration,
        {
            "id": "lookup",
            "integrationId": integration,
            "displayName": "Lookup",
            "actionType": "READ_ONLY",
            "descriptor": API_DESCRIPTOR,
        },
    )
    assert isinstance(created, Tool)
    assert (created.id, created.integration_id, created.tool_type) == ("lookup", integration, "API")

    replaced = client.update_tool(
        integration, "lookup", {"descriptor": API_DESCRIPTOR, "description": "Replaced."}
    )
    assert replaced.description == "Replaced."
    assert replaced.display_name == "lookup"  # a full replace: omitted fields reset
    assert replaced.action_type == "UNSPECIFIED"

    scripted = client.update_tool(
        integration,
        "lookup",
        {"descriptor": {"codeTool": {"language": "PYTHON", "script": SCRIPT}}},
        python=True,
    )
    assert scripted.tool_type == "PYTHON_SCRIPT"
    assert scripted.descriptor["codeTool"]["script"] == SCRIPT

    assert client.delete_tool(integration, "lookup") is None
    with pytest.raises(NotFoundError):
        client.get_tool(integration, "lookup")
    assert client.list_tools(integration) == []


def test_python_tool_with_a_syntax_error_is_rejected(client: Any, unique: Unique) -> None:
    integration = client.create_integration({"id": unique("py")}).id
    client.create_tool(
        integration, {"id": "script", "descriptor": {"codeTool": {"script": SCRIPT}}}
    )
    with pytest.raises(ValidationError) as caught:
        client.update_tool(integration, "script", {"script": "def broken(:"}, python=True)
    assert "script" in caught.value.errors
    stored = client.get_tool(integration, "script")
    assert stored.descriptor["codeTool"]["script"] == SCRIPT  # left untouched


def test_test_tool_returns_the_raw_response(client: Any) -> None:
    result = client.test_tool(
        "github", {"descriptor": API_DESCRIPTOR, "parameters": {"repo": "fruxon-sdk"}}
    )
    assert set(result) == {"response"}
    assert json.loads(result["response"])["parameters"] == {"repo": "fruxon-sdk"}


def test_create_tool_requires_a_descriptor(client: Any, unique: Unique) -> None:
    integration = client.create_integration({"id": unique("nodesc")}).id
    with pytest.raises(ValidationError) as caught:
        client.create_tool(integration, {"id": "incomplete"})
    assert "descriptor" in caught.value.errors


# -- paging ----------------------------------------------------------------------------


@pytest.fixture
def paged_world(
    fruxon_emulator_factory: Callable[..., EmulatorServer], make_client: ClientFactory
) -> tuple[EmulatorServer, Any]:
    """A private emulator seeded with 203 integrations and 205 tools: three pages of each."""
    config = tomllib.loads(default_config_text())
    for index in range(201):  # + github and knowledge-base
        config["integrations"][f"paged-{index:03}"] = {"tenant": "acme-corp", "tags": ["paged"]}
    config["integrations"]["paged-000"]["tools"] = [
        {"id": f"tool-{index:03}", "descriptor": API_DESCRIPTOR} for index in range(205)
    ]
    world = fruxon_emulator_factory(config=config)
    return world, make_client(base_url=world.base_url)


def _list_requests(world: EmulatorServer, kind: str) -> int:
    return int(world.stats()["requests"]["byRoute"].get(LIST_ROUTES[kind], 0))


def test_list_operations_follow_every_page(paged_world: tuple[EmulatorServer, Any]) -> None:
    world, client = paged_world

    integrations = client.list_integrations()
    assert len(integrations) == 203
    assert len({item.id for item in integrations}) == 203
    assert _list_requests(world, "integrations") == 3  # pageSize=100: 100 + 100 + 3

    tools = client.list_tools("paged-000")
    assert [tool.id for tool in tools] == [f"tool-{index:03}" for index in range(205)]
    assert _list_requests(world, "tools") == 3

    filtered = client.list_integrations(tags=["paged"])  # filters repeat on every page
    assert len(filtered) == 201


def test_all_pages_false_returns_the_first_page(paged_world: tuple[EmulatorServer, Any]) -> None:
    world, client = paged_world
    assert len(client.list_integrations(all_pages=False)) == 100
    assert len(client.list_tools("paged-000", all_pages=False)) == 100
    assert len(client.list_agents(all_pages=False)) == 9  # the shipped acme-corp agents
    assert _list_requests(world, "integrations") == 1
    assert _list_requests(world, "tools") == 1


def test_iterators_fetch_pages_lazily(paged_world: tuple[EmulatorServer, Any]) -> None:
    world, client = paged_world
    tools = client.iter_tools("paged-000")
    assert next(tools).id == "tool-000"
    assert _list_requests(world, "tools") == 1
    rest = list(tools)
    assert len(rest) == 204
    assert _list_requests(world, "tools") == 3

    integrations = client.iter_integrations(tags=["paged"])
    first_hundred = [next(integrations) for _ in range(100)]
    assert _list_requests(world, "integrations") == 1
    assert len(first_hundred) + len(list(integrations)) == 201
    assert _list_requests(world, "integrations") == 3
