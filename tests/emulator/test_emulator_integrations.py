"""Integrations and tools: CRUD, filters, paging, dry runs, conflicts."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

API_DESCRIPTOR = {"apiTool": {"method": "GET", "url": "https://example.invalid/x"}}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def problem(reply: Any, status: int) -> dict[str, Any]:
    assert reply.status == status, reply.body
    assert reply.content_type == "application/problem+json"
    body: dict[str, Any] = reply.json()
    return body


@pytest.fixture
def integration(api: Any) -> str:
    integration_id = unique("int")
    assert api.post("integrations", {"id": integration_id, "displayName": "Temp"}).status == 200
    return integration_id


def test_seeded_integrations_and_tools(api: Any) -> None:
    github = api.get("integrations/github").json()
    assert github["type"] == "CUSTOM"
    assert github["tags"] == ["ci"]
    tools = api.get("integrations/github/tools").json()
    assert {t["id"]: t["toolType"] for t in tools["items"]} == {
        "list_commits": "API",
        "run_report": "PYTHON_SCRIPT",
    }
    assert tools["totalCount"] == 2
    assert tools["nextPageToken"] == ""
    commits = api.get("integrations/github/tools/list_commits").json()
    assert commits["integrationId"] == "github"
    assert commits["parametersMetadata"][0]["name"] == "repo"


def test_list_integrations_filters(api: Any) -> None:
    def ids(query: str) -> set[str]:
        return {item["id"] for item in api.get(f"integrations?{query}").json()["items"]}

    assert "github" in ids("search=git")
    assert "github" in ids("query=GitHub")
    assert "github" not in ids("search=knowledge")
    assert "github" in ids("types=CUSTOM&types=API")
    assert "github" not in ids("types=SYSTEM")
    assert ids("tags=ci") >= {"github"}
    assert "knowledge-base" not in ids("tags=ci")
    assert "github" not in ids("has_configs=true")


def test_create_get_update_integration(api: Any) -> None:
    integration_id = unique("jira")
    body = {"id": integration_id, "displayName": "Jira", "description": "Tickets", "tags": ["pm"]}
    created = api.post("integrations", body)
    assert created.status == 200
    assert created.json()["displayName"] == "Jira"
    assert api.get(f"integrations/{integration_id}").json()["tags"] == ["pm"]
    updated = api.put(f"integrations/{integration_id}", {"description": "Issues"}).json()
    assert updated["description"] == "Issues"
    assert updated["displayName"] == "Jira"  # omitted fields keep their values
    duplicate = problem(api.post("integrations", body), 409)
    assert duplicate["code"] == "already_exists"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "id"),
        ({"id": 5}, "id"),
        ({"id": "x", "tags": "ci"}, "tags"),
        ({"id": "x", "displayName": "d" * 101}, "displayName"),
        ({"id": "x", "configMetadata": []}, "configMetadata"),
    ],
)
def test_create_integration_validation(api: Any, body: dict[str, Any], field: str) -> None:
    assert field in problem(api.post("integrations", body), 400)["errors"]


def test_update_unknown_integration_is_404(api: Any) -> None:
    problem(api.put("integrations/nope", {"description": "x"}), 404)
    problem(api.put("integrations/github", {"tags": [1]}), 400)


def test_idempotent_create_integration(api: Any) -> None:
    key = {"Idempotency-Key": unique("idem")}
    body = {"id": unique("idem-int")}
    first = api.post("integrations", body, headers=key)
    second = api.post("integrations", body, headers=key)
    assert (first.status, second.status) == (200, 200)
    assert first.body == second.body
    assert (
        problem(api.post("integrations", {"id": unique("x")}, headers=key), 409)["code"]
        == "idempotency_key_reused"
    )


def test_verify_config(api: Any) -> None:
    ok = api.post(
        "integrations/github:verifyConfig",
        {"authMetadataId": "pat", "authConfig": {"token": "abc"}},
    )
    assert ok.json() == {"success": True, "error": "", "authorizationUrl": ""}
    failed = api.post("integrations/github:verifyConfig", {"authConfig": {"token": "invalid"}})
    assert failed.status == 200
    assert failed.json()["success"] is False
    assert "token" in failed.json()["error"]
    oauth = api.post("integrations/github:verifyConfig", {"authConfig": {"authType": "O_AUTH2"}})
    assert oauth.json()["authorizationUrl"].startswith("https://")
    problem(api.post("integrations/nope:verifyConfig", {}), 404)
    problem(api.post("integrations/github:verifyConfig", {"authConfig": "x"}), 400)


def test_integration_pagination(fruxon_emulator_factory: Any, make_api: Any) -> None:
    api = make_api(fruxon_emulator_factory({"tenants": {"t": {"api_keys": ["k"]}}}))
    for index in range(120):
        assert api.post("integrations", {"id": f"i{index:03d}"}).status == 200
    first = api.get("integrations").json()
    assert len(first["items"]) == 10
    assert first["totalCount"] == 120
    big = api.get("integrations?page_size=500").json()
    assert len(big["items"]) == 100
    rest = api.get(f"integrations?pageSize=100&page_token={big['nextPageToken']}").json()
    assert [i["id"] for i in rest["items"]] == [f"i{n:03d}" for n in range(100, 120)]
    assert rest["nextPageToken"] == ""


def test_tool_lifecycle(api: Any, integration: str) -> None:
    base = f"integrations/{integration}/tools"
    created = api.post(
        base,
        {
            "id": "lookup",
            "descriptor": API_DESCRIPTOR,
            "displayName": "Lookup",
            "actionType": "READ_ONLY",
        },
    )
    assert created.status == 200, created.body
    tool = created.json()
    assert (tool["toolType"], tool["integrationId"]) == ("API", integration)
    assert api.get(f"{base}/lookup").json()["displayName"] == "Lookup"
    assert (
        problem(api.post(base, {"id": "lookup", "descriptor": API_DESCRIPTOR}), 409)["code"]
        == "already_exists"
    )
    replaced = api.put(f"{base}/lookup", {"descriptor": API_DESCRIPTOR, "description": "v2"})
    assert replaced.json()["description"] == "v2"
    assert replaced.json()["displayName"] == "lookup"  # full replace resets omitted fields
    assert replaced.json()["createdAt"] == tool["createdAt"]
    deleted = api.request("DELETE", api.path(f"{base}/lookup"))
    assert (deleted.status, deleted.body) == (204, b"")
    problem(api.get(f"{base}/lookup"), 404)
    problem(api.request("DELETE", api.path(f"{base}/lookup")), 404)


def test_tool_list_filters_and_pages(api: Any, integration: str) -> None:
    base = f"integrations/{integration}/tools"
    for index in range(12):
        kind = {"mcpTool": {}} if index % 3 == 0 else API_DESCRIPTOR
        assert api.post(base, {"id": f"t{index:02d}", "descriptor": kind}).status == 200
    page = api.get(base).json()
    assert len(page["items"]) == 10
    assert page["totalCount"] == 12
    assert len(api.get(f"{base}?pageToken={page['nextPageToken']}").json()["items"]) == 2
    mcp = api.get(f"{base}?types=MCP").json()
    assert [t["id"] for t in mcp["items"]] == ["t00", "t03", "t06", "t09"]
    assert [t["id"] for t in api.get(f"{base}?search=t1").json()["items"]] == ["t10", "t11"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"descriptor": API_DESCRIPTOR}, "id"),
        ({"id": "x"}, "descriptor"),
        ({"id": "x", "descriptor": [], "isAsync": 1}, "isAsync"),
    ],
)
def test_create_tool_validation(api: Any, body: dict[str, Any], field: str) -> None:
    assert field in problem(api.post("integrations/github/tools", body), 400)["errors"]


def test_python_tool_update(api: Any, integration: str) -> None:
    base = f"integrations/{integration}/tools"
    api.post(base, {"id": "py", "descriptor": {"codeTool": {"script": "x = 1"}}})
    good = api.put(
        f"{base}/py:python",
        {"script": "def main(p):\n    return 2\n", "parametersMetadata": [{"name": "p"}]},
    )
    assert good.status == 200, good.body
    assert good.json()["descriptor"]["codeTool"]["script"].startswith("def main")
    assert good.json()["toolType"] == "PYTHON_SCRIPT"
    bad = problem(api.put(f"{base}/py:python", {"script": "def main(:"}), 400)
    assert "script" in bad["errors"]
    kept = api.get(f"{base}/py").json()
    assert kept["descriptor"]["codeTool"]["script"].startswith("def main")  # 400 kept it
    nested = {"descriptor": {"codeTool": {"script": "y = 2"}}}
    assert (
        api.put(f"{base}/py:python", nested).json()["descriptor"]["codeTool"]["script"] == "y = 2"
    )
    problem(api.put(f"{base}/missing:python", {"script": "x = 1"}), 404)


def test_tools_test_and_run(api: Any) -> None:
    tested = api.post(
        "integrations/github/tools:test",
        {"descriptor": API_DESCRIPTOR, "parameters": {"repo": "fruxon"}},
    )
    assert tested.status == 200
    assert '"repo": "fruxon"' in tested.json()["response"]
    problem(
        api.post(
            "integrations/github/tools:test", {"descriptor": {"codeTool": {"script": "def ("}}}
        ),
        400,
    )
    ran = api.post(
        "integrations/github/tools:run", {"toolId": "list_commits", "parameters": {"repo": "octo"}}
    )
    assert ran.json() == {"response": '[{"sha": "4f2a9c1", "message": "Fix flaky test in octo"}]'}
    problem(api.post("integrations/github/tools:run", {"toolId": "nope"}), 404)
    problem(api.post("integrations/github/tools:run", {}), 400)
    problem(api.post("integrations/nope/tools:test", {}), 404)


def test_tools_of_another_tenant_are_forbidden(api: Any, emulator: Any) -> None:
    other = {"X-API-KEY": emulator.other_api_key}
    problem(api.get("integrations/github/tools", headers=other, auth=False), 403)
    own = api.request("GET", api.path("integrations", org="other-org"), headers=other, auth=False)
    assert own.json()["items"] == []
