"""Scoped API keys: 403 `insufficient_scope` with `required` and `granted` (spec §6.1)."""

from __future__ import annotations

from typing import Any

import pytest

from fruxon_emulator import ConfigError, config_from_mapping, default_config
from fruxon_emulator.routes import API_ROUTES
from fruxon_emulator.scopes import SCOPES

READONLY_KEY = "fxn_emulator_readonly_key"
READONLY = {"X-API-KEY": READONLY_KEY}
READONLY_SCOPES = ["agents:read", "integrations:read"]
FLOW = {"steps": [{"id": "in", "type": "ENTRY_POINT"}, {"id": "out", "type": "EXIT_POINT"}]}


def insufficient_scope(reply: Any, required: str, granted: list[str]) -> dict[str, Any]:
    assert reply.status == 403, reply.body
    assert reply.content_type == "application/problem+json"
    body: dict[str, Any] = reply.json()
    assert body.keys() >= {"type", "title", "status", "detail", "instance"}
    assert body["status"] == 403
    assert body["error"] == "insufficient_scope"
    assert body["required"] == required
    assert body["granted"] == granted
    assert required in body["detail"]
    challenge = reply.headers["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert f'scope="{required}"' in challenge
    return body


def test_default_config_ships_a_read_only_key() -> None:
    (tenant,) = [t for t in default_config().tenants if t.id == "acme-corp"]
    assert tenant.api_keys == ("fxn_emulator_demo_key",)  # the full-access key stays first
    assert tenant.scopes_of(READONLY_KEY) == tuple(READONLY_SCOPES)
    assert tenant.scopes_of("fxn_emulator_demo_key") is None


#: The write scope of each non-GET route that does not run an agent, by path family.
WRITE_SCOPES = {
    "executionRecords": "agents:execute",  # :cancelRun, :cancelWait stop runs
    "pendingApprovals": "approvals:write",
    "storage": "assets:write",
    "integrations": "integrations:write",
}


def test_every_route_names_a_known_scope() -> None:
    assert {route.scope for route in API_ROUTES} == set(SCOPES)
    for route in API_ROUTES:
        if route.runs_agent:
            assert route.scope == "agents:execute", route.name
        elif route.method != "GET":
            family = next(name for name in WRITE_SCOPES if name in route.template)
            assert route.scope == WRITE_SCOPES[family], route.name
        else:
            assert route.scope.endswith(":read"), route.name


def test_every_route_says_what_it_is_for() -> None:
    for route in API_ROUTES:
        assert route.purpose.strip(), route.name
        assert "\n" not in route.purpose, route.name
    names = [route.name for route in API_ROUTES]
    assert len(names) == len(set(names))


def test_read_only_key_may_read(api: Any) -> None:
    record_id = api.post("agents/echo-agent:execute").json()["executionRecordId"]
    for suffix in (
        "agents",
        "agents/approval-agent",
        "agents/support-agent/revisions/3/parameters",
        f"agents/echo-agent/executionRecords/{record_id}",
        f"agents/echo-agent/executionRecords/{record_id}/trace",
        f"agents/echo-agent/executionRecords/{record_id}/result",
        "integrations",
        "integrations/github",
        "integrations/github/tools",
        "integrations/github/tools/list_commits",
    ):
        assert api.get(suffix, headers=READONLY).status == 200, suffix
    bearer = {"Authorization": f"Bearer {READONLY_KEY}"}
    assert api.get("agents", auth=False, headers=bearer).status == 200


@pytest.mark.parametrize(
    ("suffix", "body"),
    [
        ("agents/echo-agent:execute", {}),
        ("agents/echo-agent:stream", {}),
        ("agents/echo-agent/revisions/1:execute", {}),
        ("agents/echo-agent/revisions/1:stream", {}),
        ("agents/echo-agent:test", {"flow": FLOW}),
        ("agents/echo-agent:streamTest", {"flow": FLOW}),
        ("agents/echo-agent/revisions/1/draft:test", {}),
        ("agents/echo-agent/revisions/1/draft:streamTest", {}),
    ],
)
def test_read_only_key_may_not_run_agents(api: Any, emulator: Any, suffix: str, body: Any) -> None:
    reply = api.post(suffix, body, headers=READONLY, auth=False)
    insufficient_scope(reply, "agents:execute", READONLY_SCOPES)
    assert emulator.stats()["runs"]["total"] == 0


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("POST", "integrations", {"id": "never-created"}),
        ("PUT", "integrations/github", {"displayName": "x"}),
        ("POST", "integrations/github:verifyConfig", {}),
        ("POST", "integrations/github/tools", {"id": "t"}),
        ("POST", "integrations/github/tools:test", {}),
        ("POST", "integrations/github/tools:run", {}),
        ("PUT", "integrations/github/tools/list_commits", {}),
        ("DELETE", "integrations/github/tools/list_commits", None),
        ("PUT", "integrations/github/tools/run_report:python", {"script": "x"}),
    ],
)
def test_read_only_key_may_not_write_integrations(
    api: Any, method: str, suffix: str, body: Any
) -> None:
    reply = api.request(method, api.path(suffix), body, READONLY, auth=False)
    insufficient_scope(reply, "integrations:write", READONLY_SCOPES)


def test_full_access_key_is_unaffected(api: Any) -> None:
    assert api.post("agents/echo-agent:execute").status == 200
    assert "error" not in api.get("agents").json()


def test_scope_check_order(api: Any) -> None:
    # The key's scope is checked before the agent is looked up or a fault applies…
    insufficient_scope(
        api.post("agents/no-such-agent:execute", headers=READONLY, auth=False),
        "agents:execute",
        READONLY_SCOPES,
    )
    fault = {**READONLY, "X-Fruxon-Emulator-Fault": "status=503"}
    insufficient_scope(
        api.post("agents/echo-agent:execute", headers=fault, auth=False),
        "agents:execute",
        READONLY_SCOPES,
    )
    # …but after the key and the tenant are known, and after the route is matched.
    other_tenant = api.request("GET", api.path("agents", org="other-org"), headers=READONLY)
    assert other_tenant.status == 403
    assert "error" not in other_tenant.json()
    unknown_route = api.get("no-such-collection", headers=READONLY, auth=False)
    assert unknown_route.status == 404


def test_custom_scopes(fruxon_emulator_factory: Any, make_api: Any) -> None:
    config = {
        "tenants": {
            "t": {
                "api_keys": ["full"],
                "scoped_api_keys": [
                    {"key": "runner", "scopes": ["agents:execute"]},
                    {"key": "nothing", "scopes": []},
                ],
            }
        },
        "agents": {"a": {"script": {"reply": "ran"}}},
    }
    api = make_api(fruxon_emulator_factory(config))
    runner = {"X-API-KEY": "runner"}
    assert api.post("agents/a:execute", headers=runner, auth=False).json()["response"] == "ran"
    insufficient_scope(
        api.get("agents/a", headers=runner, auth=False), "agents:read", ["agents:execute"]
    )
    nothing = {"X-API-KEY": "nothing"}
    insufficient_scope(api.get("agents", headers=nothing, auth=False), "agents:read", [])
    assert api.get("agents", headers={"X-API-KEY": "full"}, auth=False).status == 200


@pytest.mark.parametrize(
    ("scoped", "message"),
    [
        (
            [{"key": "k2", "scopes": ["agents:admin"]}],
            r"scoped_api_keys\[0\]\.scopes.*agents:admin",
        ),
        ([{"key": "", "scopes": []}], r"scoped_api_keys\[0\]\.key"),
        ([{"scopes": ["agents:read"]}], r"scoped_api_keys\[0\]\.key"),
        ([{"key": "k2", "scopes": "agents:read"}], r"scoped_api_keys\[0\]\.scopes"),
        ([{"key": "k", "scopes": []}], "declared more than once"),
        ("k2", r"tenants\.t\.scoped_api_keys must be an array of tables"),
    ],
)
def test_scoped_key_config_errors(scoped: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_mapping({"tenants": {"t": {"api_keys": ["k"], "scoped_api_keys": scoped}}})
