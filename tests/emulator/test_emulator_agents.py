"""Agent catalogue routes, auth, tenants, routing and pagination."""

from __future__ import annotations

from typing import Any

import pytest

from fruxon_emulator import default_config_text

PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance"}


def assert_problem(reply: Any, status: int) -> dict[str, Any]:
    assert reply.status == status, reply.body
    assert reply.content_type == "application/problem+json"
    body: dict[str, Any] = reply.json()
    assert body.keys() >= PROBLEM_FIELDS
    assert body["status"] == status
    return body


def many_agents_config(count: int) -> dict[str, Any]:
    return {
        "tenants": {"t1": {"api_keys": ["k1"]}},
        "agents": {f"agent-{i:03d}": {"script": {"reply": "hi"}} for i in range(count)},
    }


def test_list_agents_returns_a_list_page(api: Any) -> None:
    reply = api.get("agents")
    assert reply.status == 200
    assert reply.content_type == "application/json"
    page = reply.json()
    ids = [agent["id"] for agent in page["items"]]
    assert {"support-agent", "echo-agent", "count-agent", "slow-agent", "legacy-agent"} <= set(ids)
    assert "other-agent" not in ids  # belongs to the other tenant
    assert page["nextPageToken"] == ""
    assert page["totalCount"] == len(ids)
    legacy = next(agent for agent in page["items"] if agent["id"] == "legacy-agent")
    assert legacy["enabled"] is False


def test_list_agents_filters_by_query_and_tags(api: Any) -> None:
    assert [a["id"] for a in api.get("agents?query=knowledge").json()["items"]] == ["support-agent"]
    assert [a["id"] for a in api.get("agents?search=ECHO").json()["items"]] == ["echo-agent"]
    bench = api.get("agents?tags=bench&tags=legacy").json()["items"]
    assert {a["id"] for a in bench} == {"count-agent", "legacy-agent"}


def test_get_agent(api: Any) -> None:
    agent = api.get("agents/support-agent").json()
    assert agent["id"] == "support-agent"
    assert agent["displayName"] == "Support Agent"
    assert agent["currentRevision"] == 3
    assert agent["enabled"] is True
    assert "support" in agent["tags"]


def test_agent_parameters_of_each_revision(api: Any) -> None:
    reply = api.get("agents/support-agent/revisions/3/parameters")
    assert reply.status == 200
    body = reply.json()
    assert body["parameters"] == ["question"]
    meta = body["metadata"][0]
    assert meta["name"] == "question"
    assert meta["type"] == "STRING"
    assert meta["required"] is True
    count = api.get("agents/count-agent/revisions/1/parameters").json()["metadata"][0]
    assert (count["type"], count["required"], count["defaultValue"]) == ("INTEGER", False, 10)
    assert api.get("agents/support-agent/revisions/1/parameters").status == 200
    assert_problem(api.get("agents/support-agent/revisions/9/parameters"), 404)
    assert_problem(api.get("agents/support-agent/revisions/abc/parameters"), 404)


@pytest.mark.parametrize(
    "suffix",
    [
        "agents/nope",
        "agents/nope/revisions/1/parameters",
        "agents/support-agent/executionRecords/00000000-0000-0000-0000-000000000000",
        "agents/support-agent/executionRecords/00000000-0000-0000-0000-000000000000/trace",
        "integrations/nope",
        "integrations/nope/tools",
        "integrations/github/tools/nope",
        "no-such-collection",
    ],
)
def test_unknown_resources_are_404(api: Any, suffix: str) -> None:
    body = assert_problem(api.get(suffix), 404)
    assert body["instance"].startswith("/v1/tenants/acme-corp/")


def test_unknown_route_outside_the_api_is_404_problem(api: Any) -> None:
    assert_problem(api.request("GET", "/nothing/here"), 404)
    assert_problem(api.request("GET", "/"), 404)


def test_wrong_method_is_405_with_allow(api: Any) -> None:
    reply = api.request("DELETE", api.path("agents/support-agent"))
    assert_problem(reply, 405)
    assert reply.headers["Allow"] == "GET"


def test_missing_and_unknown_keys_are_401(api: Any) -> None:
    reply = api.get("agents", auth=False)
    assert_problem(reply, 401)
    assert "Bearer" in reply.headers["WWW-Authenticate"]
    assert_problem(api.get("agents", headers={"X-API-KEY": "fxn_wrong"}), 401)
    assert_problem(api.get("agents", auth=False, headers={"Authorization": "Basic abc"}), 401)
    assert_problem(api.post("agents/support-agent:execute", auth=False), 401)


def test_bearer_token_is_accepted(api: Any) -> None:
    reply = api.get("agents", auth=False, headers={"Authorization": f"Bearer {api.key}"})
    assert reply.status == 200


def test_foreign_key_is_403_and_unknown_tenant_is_404(api: Any) -> None:
    assert_problem(api.request("GET", api.path("agents", org="other-org")), 403)
    other = {"X-API-KEY": api.server.other_api_key}
    assert_problem(api.get("agents", headers=other), 403)
    assert api.request("GET", api.path("agents", org="other-org"), headers=other).status == 200
    assert_problem(api.request("GET", api.path("agents", org="no-such-tenant")), 404)


def test_percent_encoded_segments_are_decoded(fruxon_emulator_factory: Any, make_api: Any) -> None:
    config = {
        "tenants": {"t 1": {"api_keys": ["k1"]}},
        "agents": {"a/b c:d": {"script": {"reply": "encoded ok"}}},
    }
    api = make_api(fruxon_emulator_factory(config))
    agent = api.request("GET", "/v1/tenants/t%201/agents/a%2Fb%20c%3Ad")
    assert agent.status == 200, agent.body
    assert agent.json()["id"] == "a/b c:d"
    run = api.request("POST", "/v1/tenants/t%201/agents/a%2Fb%20c%3Ad:execute", {})
    assert run.json()["response"] == "encoded ok"


def test_agent_pagination_default_size_and_tokens(
    fruxon_emulator_factory: Any, make_api: Any
) -> None:
    api = make_api(fruxon_emulator_factory(many_agents_config(25)))
    first = api.get("agents").json()
    assert len(first["items"]) == 10
    assert first["totalCount"] == 25
    assert first["nextPageToken"]
    second = api.get(f"agents?pageToken={first['nextPageToken']}").json()
    third = api.get(f"agents?page_token={second['nextPageToken']}").json()
    assert len(second["items"]) == 10
    assert len(third["items"]) == 5
    assert third["nextPageToken"] == ""
    ids = [a["id"] for page in (first, second, third) for a in page["items"]]
    assert ids == [f"agent-{i:03d}" for i in range(25)]


def test_agent_pagination_page_size_spellings_and_clamp(
    fruxon_emulator_factory: Any, make_api: Any
) -> None:
    api = make_api(fruxon_emulator_factory(many_agents_config(150)))
    assert len(api.get("agents?pageSize=7").json()["items"]) == 7
    assert len(api.get("agents?page_size=12").json()["items"]) == 12
    assert len(api.get("agents?pageSize=0").json()["items"]) == 10
    clamped = api.get("agents?pageSize=1000").json()
    assert len(clamped["items"]) == 100
    rest = api.get(f"agents?pageSize=1000&pageToken={clamped['nextPageToken']}").json()
    assert len(rest["items"]) == 50
    assert rest["nextPageToken"] == ""
    assert_problem(api.get("agents?pageSize=-1"), 400)
    assert_problem(api.get("agents?pageSize=ten"), 400)
    assert_problem(api.get("agents?pageToken=garbage!"), 400)


def test_default_config_is_shipped_inside_the_package() -> None:
    text = default_config_text()
    assert "fxn_emulator_demo_key" in text
    assert "[agents.support-agent]" in text
