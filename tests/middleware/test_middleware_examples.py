"""The three worked examples of docs/middleware.md, run on both transports against the emulator.

The plugin classes live in examples/middleware/ and the docs show those files
verbatim (checked below), so the documentation cannot drift from what is tested.
"""

from __future__ import annotations

import hmac
import importlib.util
import logging
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from fruxon_core import ConflictError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "middleware"


def _load_example(name: str) -> ModuleType:
    """Import ``examples/middleware/<name>.py`` by path (``examples/`` is not a package)."""
    spec = importlib.util.spec_from_file_location(
        f"fruxon_middleware_example_{name}", EXAMPLES / f"{name}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


_hmac_signing = _load_example("hmac_signing")
HmacSigner, signature = _hmac_signing.HmacSigner, _hmac_signing.signature
RequestLogSink = _load_example("request_log_sink").RequestLogSink
RetryOnProblemCode = _load_example("retry_on_problem_code").RetryOnProblemCode
AGENT = "echo-agent"
SIGNING_SECRET = b"signing-secret-bytes"


# -- 1. HMAC request signing ----------------------------------------------------------------


def test_hmac_signing_signs_every_attempt(make_client, recorder, fault, fast_retry, caplog):
    caplog.set_level(logging.DEBUG, logger="fruxon")
    client = make_client(
        plugins=[HmacSigner("key-1", SIGNING_SECRET), recorder],
        retry=fast_retry,
        log_headers=True,
    )
    result = client.with_options(headers=fault("status=503; times=1")).execute(
        AGENT, parameters={"message": "signed"}
    )
    assert result.response == "Echo (turn 1): signed"
    assert len(recorder.requests) == 2
    timestamps = []
    for request in recorder.requests:
        timestamp = request.header("X-Signature-Timestamp")
        key_id, mac = re.fullmatch(
            r"keyId=(.+),hmac-sha256=([0-9a-f]{64})", request.header("X-Signature")
        ).groups()
        assert key_id == "key-1"
        expected = signature(SIGNING_SECRET, request.method, request.path, timestamp, request.body)
        assert hmac.compare_digest(mac, expected)
        timestamps.append(timestamp)
    assert timestamps[0] != timestamps[1]  # the retry was signed afresh
    assert "'X-Signature': 'REDACTED'" in caplog.text  # not on the logging allowlist


# -- 2. request logging to a custom sink ----------------------------------------------------


def test_request_log_sink_gets_one_record_per_attempt(make_client, fault, fast_retry, emulator):
    records: list[dict] = []
    client = make_client(plugins=[RequestLogSink(records.append)], retry=fast_retry)
    client.with_options(headers=fault("status=503; times=1")).execute(AGENT)
    client.stream(AGENT).collect()
    client.get_agent(AGENT)
    summary = [
        (r["operation"], r["agent_id"], r["method"], r["attempt"], r["status"], r["error"])
        for r in records
    ]
    assert summary == [
        ("execute", AGENT, "POST", 1, 503, "ServerError"),
        ("execute", AGENT, "POST", 2, 200, None),
        ("stream", AGENT, "POST", 1, 200, None),
        ("get_agent", AGENT, "GET", 1, 200, None),
    ]
    assert all(r["path"].startswith("/v1/tenants/acme-corp/agents/echo-agent") for r in records)
    assert all(r["duration_ms"] >= 0 for r in records)
    assert emulator.api_key not in repr(records)


# -- 3. a custom retry rule -----------------------------------------------------------------


def test_retry_on_problem_code(make_client, server, fault, recorder):
    injected_409 = fault("status=409; times=1")  # problem code "emulator_fault"
    plain = make_client()
    with pytest.raises(ConflictError) as caught:
        plain.with_options(headers=injected_409).execute(AGENT)
    assert caught.value.error_code == "emulator_fault"  # the default policy gives up on a 409

    client = make_client(plugins=[RetryOnProblemCode({"emulator_fault"}, delay=0.01), recorder])
    result = client.with_options(headers=fault("status=409; times=1")).execute(AGENT)
    assert result.retries == 1
    assert recorder.retries == [(1, 0.01)]
    assert server.runs(AGENT) == 1


def test_retry_on_problem_code_defers_to_the_builtin_policy(make_client, fault, fast_retry):
    client = make_client(plugins=[RetryOnProblemCode({"other_code"})], retry=fast_retry)
    assert client.with_options(headers=fault("status=503; times=1")).get_agent(AGENT).id == AGENT
    with pytest.raises(ConflictError):
        client.with_options(headers=fault("status=409; times=1")).get_agent(AGENT)


# -- the docs show exactly these files ------------------------------------------------------


@pytest.mark.parametrize(
    "example", ["hmac_signing.py", "request_log_sink.py", "retry_on_problem_code.py"]
)
def test_docs_show_the_tested_example_verbatim(example):
    docs = (ROOT / "docs" / "middleware.md").read_text("utf-8")
    source = (EXAMPLES / example).read_text("utf-8")
    blocks = re.findall(
        rf'```python title="examples/middleware/{re.escape(example)}"\n(.*?)```', docs, re.S
    )
    assert blocks == [source]
