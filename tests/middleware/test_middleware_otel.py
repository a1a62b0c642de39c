"""The OpenTelemetry plugin, exported to opentelemetry-sdk's in-memory exporter."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from fruxon_core import FruxonConnectionError
from fruxon_core.plugins.otel import OpenTelemetryPlugin

AGENT = "echo-agent"
EXECUTE_SPAN = "POST /v1/tenants/{tenant}/agents/{agent}:execute"


@pytest.fixture
def exporter():
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter):
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider
    provider.shutdown()


@pytest.fixture
def traced_client(make_client, provider, recorder, fast_retry):
    def make(**overrides):
        plugins = [OpenTelemetryPlugin(tracer_provider=provider), recorder]
        return make_client(plugins=plugins, retry=fast_retry, **overrides)

    return make


def test_one_client_span_per_call_with_http_attributes(traced_client, exporter, emulator):
    traced_client().execute(AGENT, parameters={"message": "hi"})
    [span] = exporter.get_finished_spans()
    assert span.name == EXECUTE_SPAN
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    host, port = emulator.base_url.removeprefix("http://").split(":")
    assert dict(span.attributes) == {
        "http.request.method": "POST",
        "url.full": f"{emulator.base_url}/v1/tenants/acme-corp/agents/echo-agent:execute",
        "url.template": "/v1/tenants/{tenant}/agents/{agent}:execute",
        "server.address": host,
        "server.port": int(port),
        "http.response.status_code": 200,
        "fruxon.operation": "execute",
        "fruxon.agent_id": AGENT,
        "fruxon.attempt": 1,
    }


def test_each_attempt_is_a_span_and_errors_carry_error_type(traced_client, exporter, fault):
    client = traced_client()
    client.with_options(headers=fault("status=503; times=1")).get_agent(AGENT)
    first, second = exporter.get_finished_spans()
    assert first.attributes["http.response.status_code"] == 503
    assert first.attributes["error.type"] == "503"
    assert first.status.status_code is StatusCode.ERROR
    assert "http.request.resend_count" not in first.attributes
    assert second.attributes["http.response.status_code"] == 200
    assert second.attributes["http.request.resend_count"] == 1
    assert second.attributes["fruxon.attempt"] == 2
    assert "error.type" not in second.attributes


def test_a_failure_without_response_records_the_exception_class(traced_client, exporter):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = traced_client(base_url=f"http://127.0.0.1:{port}", max_retries=1)
    with pytest.raises(FruxonConnectionError):
        client.get_agent(AGENT)
    spans = exporter.get_finished_spans()
    assert len(spans) == 2
    for span in spans:
        assert span.attributes["error.type"] == "fruxon_core.exceptions.FruxonConnectionError"
        assert "http.response.status_code" not in span.attributes
        assert span.status.status_code is StatusCode.ERROR
        assert [event.name for event in span.events] == ["exception"]


def test_a_stream_span_ends_when_its_head_arrives(traced_client, exporter):
    traced_client().stream(AGENT).collect()
    [span] = exporter.get_finished_spans()
    assert span.name == "POST /v1/tenants/{tenant}/agents/{agent}:stream"
    assert span.attributes["http.response.status_code"] == 200
    assert span.attributes["fruxon.operation"] == "stream"


def test_traceparent_of_the_attempt_span_is_sent(traced_client, exporter, recorder):
    traced_client().get_agent(AGENT)
    [span] = exporter.get_finished_spans()
    context = span.get_span_context()
    expected = f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"
    assert recorder.requests[0].header("traceparent") == expected


def _assert_child_of(exporter, caller):
    client_span = next(s for s in exporter.get_finished_spans() if s.name != "caller")
    assert client_span.parent is not None
    assert client_span.parent.span_id == caller.get_span_context().span_id


def test_the_span_joins_the_callers_trace_sync(emulator, provider, exporter):
    from fruxon_requests import FruxonClient

    plugin = OpenTelemetryPlugin(tracer_provider=provider)
    with (
        FruxonClient(
            emulator.api_key,
            emulator.org,
            emulator.base_url,
            plugins=[plugin],
            load_entrypoints=False,
        ) as client,
        provider.get_tracer("test").start_as_current_span("caller") as caller,
    ):
        client.get_agent(AGENT)
    _assert_child_of(exporter, caller)


def test_the_span_joins_the_callers_trace_async(emulator, provider, exporter):
    from fruxon_aiohttp import AsyncFruxonClient

    async def main():
        plugin = OpenTelemetryPlugin(tracer_provider=provider)
        async with AsyncFruxonClient(
            emulator.api_key,
            emulator.org,
            emulator.base_url,
            plugins=[plugin],
            load_entrypoints=False,
        ) as client:
            with provider.get_tracer("test").start_as_current_span("caller") as caller:
                await client.get_agent(AGENT)
        return caller

    _assert_child_of(exporter, asyncio.run(main()))


def test_propagation_can_be_switched_off(make_client, provider, recorder):
    make_client(
        plugins=[OpenTelemetryPlugin(tracer_provider=provider, propagate=False), recorder]
    ).get_agent(AGENT)
    assert recorder.requests[0].header("traceparent") is None


def test_query_values_in_url_full_pass_the_allowlist(traced_client, exporter):
    traced_client().list_agents(query="echo", all_pages=False)
    [span] = exporter.get_finished_spans()
    assert span.attributes["url.full"].endswith("/agents?query=echo&pageSize=100")
    assert "fruxon.agent_id" not in span.attributes


def test_importing_the_plugins_does_not_import_opentelemetry():
    code = "import json, sys, fruxon_core.plugins; print(json.dumps(sorted(sys.modules)))"
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert not [m for m in json.loads(completed.stdout) if m.startswith("opentelemetry")]
