"""Runners (thread, async, CLI), persistence, body limits and counters."""

from __future__ import annotations

import asyncio
import http.client
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from fruxon_emulator import ConfigError, EmulatorServer, parse_config, running_emulator
from fruxon_emulator.cli import main

STREAM_HEADERS = {"Content-Type": "application/json"}


def test_server_properties_and_context_manager(make_api: Any) -> None:
    with EmulatorServer() as server:
        assert server.base_url == f"http://127.0.0.1:{server.port}"
        assert (server.org, server.api_key) == ("acme-corp", "fxn_emulator_demo_key")
        assert (server.other_org, server.other_api_key) == ("other-org", "fxn_emulator_other_key")
        assert make_api(server).get("agents").status == 200
        port = server.port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        with pytest.raises(ConnectionRefusedError):
            conn.request("GET", "/_emulator/health")
    finally:
        conn.close()
    with pytest.raises(RuntimeError):
        _ = server.base_url


def test_single_tenant_config_has_no_other_org(fruxon_emulator_factory: Any) -> None:
    server = fruxon_emulator_factory(parse_config('[tenants.solo]\napi_keys = ["k"]\n'))
    assert server.org == "solo"
    with pytest.raises(LookupError):
        _ = server.other_api_key


def test_config_errors_name_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"agents\.a\.script\.pacing_ms"):
        parse_config('[tenants.t]\napi_keys=["k"]\n[agents.a.script]\npacing_ms="fast"\n')
    with pytest.raises(ConfigError, match="not declared"):
        parse_config('[tenants.t]\napi_keys=["k"]\n[agents.a]\ntenant="zzz"\n')
    with pytest.raises(ConfigError, match="invalid TOML"):
        parse_config("[tenants")
    config_file = tmp_path / "agents.toml"
    config_file.write_text('[tenants.file-org]\napi_keys = ["file-key"]\n')
    with EmulatorServer(config=str(config_file)) as server:
        assert server.org == "file-org"


def test_control_routes(api: Any, emulator: Any) -> None:
    assert api.request("GET", "/_emulator/health", auth=False).json() == {"status": "ok"}
    api.get("agents")
    stats = api.request("GET", "/_emulator/stats", auth=False).json()
    assert stats["requests"]["byRoute"] == {"GET /v1/tenants/{tenant}/agents": 1}
    local = emulator.stats()
    assert {k: v for k, v in stats.items() if k != "connections"} == {
        k: v for k, v in local.items() if k != "connections"
    }
    assert api.request("POST", "/_emulator/reset", auth=False).json() == {"status": "reset"}
    assert emulator.stats()["requests"]["total"] == 0
    assert api.request("GET", "/_emulator/reset", auth=False).status == 405
    assert api.request("GET", "/_emulator/nope", auth=False).status == 404


def test_stats_shape_and_counters(api: Any, emulator: Any) -> None:
    api.post("agents/echo-agent:execute")
    api.post("agents/echo-agent:execute")
    api.get("agents/echo-agent")
    api.get("agents", auth=False)
    api.get("nothing")
    stats = emulator.stats()
    assert stats["requests"]["total"] == 5
    assert stats["requests"]["byRoute"] == {
        "POST /v1/tenants/{tenant}/agents/{agent}:execute": 2,
        "GET /v1/tenants/{tenant}/agents/{agent}": 1,
        "GET /v1/tenants/{tenant}/agents": 1,
        "unmatched": 1,
    }
    assert stats["requests"]["byAgent"] == {"echo-agent": 3}
    assert stats["runs"] == {"total": 2, "byAgent": {"echo-agent": 2}}
    assert set(stats) == {
        "requests",
        "runs",
        "connections",
        "streams",
        "idempotentReplays",
        "faultsInjected",
    }
    assert set(stats["streams"]) == {"open", "started", "completed", "clientDisconnects"}


def test_open_connections_are_counted(api: Any, emulator: Any) -> None:
    assert api.wait_for(lambda: emulator.stats()["connections"]["open"] == 0)
    baseline = 0
    conn = http.client.HTTPConnection(api.host, api.port, timeout=5)
    try:
        conn.request("GET", api.path("agents"), headers={"X-API-KEY": api.key})
        conn.getresponse().read()
        assert emulator.stats()["connections"]["open"] == baseline + 1
    finally:
        conn.close()
    assert api.wait_for(lambda: emulator.stats()["connections"]["open"] == baseline)


def test_open_streams_and_client_disconnects(api: Any, emulator: Any) -> None:
    conn = http.client.HTTPConnection(api.host, api.port, timeout=5)
    try:
        conn.request(
            "POST",
            api.path("agents/slow-agent:stream"),
            body=b"{}",
            headers={"X-API-KEY": api.key, **STREAM_HEADERS},
        )
        response = conn.getresponse()
        assert response.readline().startswith(b"event: ")
        streams = emulator.stats()["streams"]
        assert (streams["open"], streams["started"]) == (1, 1)
    finally:
        conn.close()
    assert api.wait_for(lambda: emulator.stats()["streams"]["clientDisconnects"] == 1)
    streams = emulator.stats()["streams"]
    assert (streams["open"], streams["completed"]) == (0, 0)
    assert emulator.stats()["runs"]["total"] == 1


def test_completed_streams_are_counted(api: Any, emulator: Any) -> None:
    api.raw("POST", api.path("agents/count-agent:stream"), {"parameters": {"count": 2}})
    streams = emulator.stats()["streams"]
    assert (streams["started"], streams["completed"], streams["open"]) == (1, 1, 0)


def test_bodies_over_the_limit_are_413(
    api: Any, fruxon_emulator_factory: Any, make_api: Any
) -> None:
    huge = b'{"parameters": {"message": "' + b"x" * (1024 * 1024) + b'"}}'
    reply = api.post("agents/echo-agent:execute", huge)
    assert reply.status == 413
    assert reply.content_type == "application/problem+json"
    config = {
        "emulator": {"max_body_bytes": 100},
        "tenants": {"t": {"api_keys": ["k"]}},
        "agents": {"e": {"script": {"reply": "ok"}}},
    }
    small = make_api(fruxon_emulator_factory(config))
    assert small.post("agents/e:execute", {"parameters": {"p": "x" * 50}}).status == 200
    assert small.post("agents/e:execute", {"parameters": {"p": "x" * 150}}).status == 413
    conn = http.client.HTTPConnection(small.host, small.port, timeout=5)
    try:  # chunked upload: no Content-Length to check up front
        conn.request(
            "POST",
            small.path("agents/e:execute"),
            body=iter([b"{" + b" " * 200, b"}"]),
            headers={"X-API-KEY": small.key},
            encode_chunked=True,
        )
        assert conn.getresponse().status == 413
    finally:
        conn.close()


def test_records_survive_a_restart_with_a_db_file(tmp_path: Path, make_api: Any) -> None:
    db = tmp_path / "records.sqlite"
    with EmulatorServer(db=db) as first:
        run = (
            make_api(first)
            .post("agents/support-agent:execute", {"parameters": {"question": "persist?"}})
            .json()
        )
    with EmulatorServer(db=str(db)) as second:
        api = make_api(second)
        record_id = run["executionRecordId"]
        record = api.get(f"agents/support-agent/executionRecords/{record_id}")
        assert record.status == 200
        assert record.json()["totalCost"] == run["trace"]["totalCost"]
        trace = api.get(f"agents/support-agent/executionRecords/{record_id}/trace").json()
        assert trace["trace"]["traces"] == run["trace"]["traces"]
    with EmulatorServer() as in_memory:
        path = f"agents/support-agent/executionRecords/{run['executionRecordId']}"
        assert make_api(in_memory).get(path).status == 404


def test_running_emulator_on_the_current_loop() -> None:
    async def scenario() -> dict[str, Any]:
        async with running_emulator() as emulator, aiohttp.ClientSession() as session:
            url = f"{emulator.base_url}/v1/tenants/{emulator.org}/agents/echo-agent:execute"
            async with session.post(url, json={}, headers={"X-API-KEY": emulator.api_key}) as r:
                body: dict[str, Any] = await r.json()
            assert emulator.stats()["runs"]["total"] == 1
            emulator.reset()
            assert emulator.stats()["runs"]["total"] == 0
            return body

    assert asyncio.run(scenario())["response"].startswith("Echo (turn 1)")


def test_factory_fixture_gives_independent_servers(
    fruxon_emulator: EmulatorServer, fruxon_emulator_factory: Any
) -> None:
    extra = fruxon_emulator_factory()
    assert extra.port != fruxon_emulator.port
    assert extra.stats()["requests"]["total"] == 0


def test_cli_default_config(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["default-config"]) == 0
    assert "[tenants.acme-corp]" in capsys.readouterr().out


def test_cli_rejects_a_bad_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[tenants")
    assert main(["serve", "--config", str(bad)]) == 2
    assert "invalid TOML" in capsys.readouterr().err
    assert main(["serve", "--config", str(tmp_path / "missing.toml")]) == 2


def test_cli_serve_prints_url_and_serves(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "fruxon_emulator.cli",
        "serve",
        "--port",
        "0",
        "--db",
        str(tmp_path / "cli.sqlite"),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        assert first_line.startswith("Fruxon emulator listening on http://127.0.0.1:")
        base_url = first_line.rsplit(" ", 1)[1].strip()
        banner = [process.stdout.readline() for _ in range(3)]
        assert "acme-corp" in banner[0]
        assert "fxn_emulator_demo_key" in banner[1]
        host, port = base_url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        try:
            conn.request("GET", "/_emulator/health")
            assert json.loads(conn.getresponse().read()) == {"status": "ok"}
        finally:
            conn.close()
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
        if process.stdout is not None:
            process.stdout.close()
    assert (tmp_path / "cli.sqlite").exists()


def test_stop_does_not_wait_for_stalled_streams(make_api: Any) -> None:
    server = EmulatorServer().start()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request(
            "POST",
            "/v1/tenants/acme-corp/agents/echo-agent:stream",
            body=b"{}",
            headers={
                "X-API-KEY": server.api_key,
                "X-Fruxon-Emulator-Fault": "stall_after=1; stall_ms=30000",
            },
        )
        assert conn.getresponse().readline().startswith(b"event: status")
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 5
    finally:
        conn.close()
