"""The built-in logging plugin over real sockets: what is logged, and that no secret is."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import textwrap

import pytest

from fruxon_core import AuthenticationError, FruxonConnectionError, ServerError
from fruxon_core.plugins import DEBUG_BODIES
from tests.registry import BY_NAME

AGENT = "echo-agent"
SECRET_HEADER = "X-Tenant-Secret"
SECRET_VALUE = "hdr-secret-value"


@pytest.fixture(autouse=True)
def _no_env_logging(monkeypatch):
    monkeypatch.delenv("FRUXON_LOG", raising=False)


def _messages(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "fruxon"]


def test_one_line_per_request_and_response_at_debug(make_client, caplog):
    caplog.set_level(logging.DEBUG, logger="fruxon")
    make_client().get_agent(AGENT)
    request_line, response_line = _messages(caplog)
    path = r"/v1/tenants/acme-corp/agents/echo-agent"
    assert re.fullmatch(rf"request GET {path} attempt=1", request_line)
    assert re.fullmatch(
        rf"response GET {path} status=200 duration=\d+\.\dms attempt=1", response_line
    )
    assert "body" not in caplog.text


def test_nothing_is_logged_above_debug(make_client, caplog):
    caplog.set_level(logging.INFO, logger="fruxon")
    make_client(log_headers=True).get_agent(AGENT)
    assert _messages(caplog) == []


def test_no_secret_in_debug_logs_with_headers_and_bodies(
    make_client, caplog, emulator, fault, fast_retry
):
    caplog.set_level(DEBUG_BODIES, logger="fruxon")
    client = make_client(
        log_headers=True, retry=fast_retry, default_headers={SECRET_HEADER: SECRET_VALUE}
    )
    client.with_options(headers=fault("status=503; times=1")).execute(
        AGENT, parameters={"message": "hello"}
    )
    client.stream(AGENT).collect()
    with pytest.raises(AuthenticationError):
        make_client(api_key="fxn_wrong_key_value", log_headers=True).get_agent(AGENT)

    text = caplog.text
    assert emulator.api_key not in text
    assert "fxn_wrong_key_value" not in text
    assert SECRET_VALUE not in text
    assert "'X-API-KEY': 'REDACTED'" in text
    assert f"'{SECRET_HEADER}': 'REDACTED'" in text
    assert "'Content-Type': 'application/json'" in text  # allowlisted headers stay readable
    assert "'Idempotency-Key': '" in text
    assert "'content-type': 'application/problem+json'" in text  # the 503's response headers
    bodies = [r.getMessage() for r in caplog.records if r.levelno == DEBUG_BODIES]
    assert 'request body {"parameters":{"message":"hello"}}' in bodies
    assert any(b.startswith("response body {") for b in bodies)
    assert any(b.startswith("stream event done ") for b in bodies)


def test_bearer_tokens_are_redacted_too(make_client, caplog, emulator):
    caplog.set_level(DEBUG_BODIES, logger="fruxon")
    tokens = iter(["fxn_stale_token", emulator.api_key])
    make_client(api_key=None, auth=lambda: next(tokens), log_headers=True).get_agent(AGENT)
    assert "'Authorization': 'REDACTED'" in caplog.text
    assert "fxn_stale_token" not in caplog.text
    assert emulator.api_key not in caplog.text


def test_a_stream_logs_one_response_line(make_client, caplog):
    caplog.set_level(logging.DEBUG, logger="fruxon")
    make_client().stream(AGENT).collect()
    messages = _messages(caplog)
    assert len(messages) == 2
    assert messages[0] == "request POST /v1/tenants/acme-corp/agents/echo-agent:stream attempt=1"
    assert re.fullmatch(
        r"response POST /v1/tenants/acme-corp/agents/echo-agent:stream status=200 "
        r"duration=\d+\.\dms attempt=1 stream",
        messages[1],
    )


def test_retries_and_failed_attempts_are_logged_with_attempt_numbers(
    make_client, caplog, fault, fast_retry
):
    caplog.set_level(logging.DEBUG, logger="fruxon")
    client = make_client(retry=fast_retry, max_retries=1)
    with pytest.raises(ServerError):
        client.with_options(headers=fault("status=503; times=5")).get_agent(AGENT)
    messages = _messages(caplog)
    assert [m.split(" duration=")[0] for m in messages] == [
        "request GET /v1/tenants/acme-corp/agents/echo-agent attempt=1",
        "response GET /v1/tenants/acme-corp/agents/echo-agent status=503",
        "retrying get_agent after ServerError (attempt 1 failed); waiting 0.01s",
        "request GET /v1/tenants/acme-corp/agents/echo-agent attempt=2",
        "response GET /v1/tenants/acme-corp/agents/echo-agent status=503",
    ]
    retry_record = next(r for r in caplog.records if r.getMessage().startswith("retrying"))
    assert retry_record.levelno == logging.INFO


def test_a_failure_without_a_response_gets_an_error_line(make_client, caplog, fault):
    caplog.set_level(logging.DEBUG, logger="fruxon")
    with pytest.raises(FruxonConnectionError):
        make_client().with_options(headers=fault("drop_after=1")).stream(AGENT).collect()
    error_lines = [m for m in _messages(caplog) if m.startswith("error ")]
    assert len(error_lines) == 1
    assert re.match(
        r"error POST /v1/tenants/acme-corp/agents/echo-agent:stream duration=\d+\.\dms "
        r"attempt=1 events=1: FruxonConnectionError: ",
        error_lines[0],
    )


_SCRIPT = textwrap.dedent(
    """
    import asyncio, importlib, sys
    base_url, org, key, client_path, is_async = sys.argv[1:]
    module, _, name = client_path.partition(":")
    Client = getattr(importlib.import_module(module), name)
    if is_async != "1":
        with Client(key, org, base_url, load_entrypoints=False) as client:
            client.get_agent("echo-agent")
    else:
        async def main():
            async with Client(key, org, base_url, load_entrypoints=False) as client:
                await client.get_agent("echo-agent")
        asyncio.run(main())
    """
)


def test_fruxon_log_debug_turns_logging_on_without_code(emulator, transport):
    env = {**os.environ, "FRUXON_LOG": "debug"}
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            _SCRIPT,
            emulator.base_url,
            emulator.org,
            emulator.api_key,
            BY_NAME[transport].client,
            "1" if BY_NAME[transport].is_async else "0",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    assert "fruxon DEBUG request GET /v1/tenants/acme-corp/agents/echo-agent attempt=1" in (
        completed.stderr
    )
    assert "status=200" in completed.stderr
    assert emulator.api_key not in completed.stderr
