"""Each error status maps to its exception; connection failures keep their cause."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest

from fruxon_core.exceptions import (
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    FruxonAPIError,
    FruxonConnectionError,
    FruxonError,
    FruxonTimeoutError,
    NotFoundError,
    ValidationError,
)
from fruxon_emulator import EmulatorServer

ClientFactory = Callable[..., Any]


def test_400_wrong_parameter_type(client: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        client.execute("count-agent", parameters={"count": "many"})
    error = caught.value
    assert error.status == 400
    assert error.errors == {"parameters.count": ["must be an integer"]}
    assert "parameters.count: must be an integer" in str(error)


def test_401_unknown_api_key(make_client: ClientFactory, emulator: EmulatorServer) -> None:
    client = make_client(api_key="fxn_not_a_real_key")
    with pytest.raises(AuthenticationError) as caught:
        client.list_agents()
    assert caught.value.status == 401
    assert str(caught.value).startswith("401 ")
    assert "fxn_not_a_real_key" not in str(caught.value)
    assert emulator.stats()["requests"]["total"] == 1  # never retried


def test_403_another_tenants_org(make_client: ClientFactory, emulator: EmulatorServer) -> None:
    client = make_client(org=emulator.other_org)
    with pytest.raises(ForbiddenError) as caught:
        client.get_agent("other-agent")
    assert caught.value.status == 403
    assert emulator.other_org in caught.value.detail


def test_404_unknown_agent(client: Any) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.get_agent("no-such-agent")
    error = caught.value
    assert (error.status, error.status_code) == (404, 404)
    assert "no-such-agent" in error.detail
    assert str(error) == f"404 {error.title}: {error.detail}"
    assert error.headers.get("content-type", "").startswith("application/problem+json")


def test_404_unknown_org(make_client: ClientFactory) -> None:
    with pytest.raises(NotFoundError):
        make_client(org="no-such-org").list_agents()


def test_409_duplicate_create(client: Any, unique: Callable[[str], str]) -> None:
    integration = unique("dup")
    client.create_integration({"id": integration, "displayName": "Once"})
    with pytest.raises(ConflictError) as caught:
        client.create_integration({"id": integration, "displayName": "Twice"})
    assert caught.value.status == 409
    assert caught.value.error_code == "already_exists"


def test_422_missing_required_parameter(client: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        client.execute("support-agent", parameters={})
    error = caught.value
    assert error.status == 422
    assert error.errors == {"parameters.question": ["is required"]}
    # the detail names the parameter: the field error is not said a second time
    assert str(error) == "422 Unprocessable Entity: Missing required parameter(s): question."


def test_400_without_field_errors_says_its_problem_once(client: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        client.request("POST", "agents/support-agent:execute", json=[1, 2])
    assert str(caught.value) == "400 Bad Request: The request body must be a JSON object."


def test_api_errors_share_one_base(client: Any) -> None:
    with pytest.raises(FruxonAPIError) as caught:
        client.get_tool("github", "no-such-tool")
    assert isinstance(caught.value, FruxonError)
    assert isinstance(caught.value, NotFoundError)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_connection_refused(make_client: ClientFactory) -> None:
    client = make_client(base_url=f"http://127.0.0.1:{_closed_port()}", max_retries=0)
    with pytest.raises(FruxonConnectionError) as caught:
        client.get_agent("support-agent")
    error = caught.value
    assert not isinstance(error, FruxonTimeoutError)
    assert error.request_sent is False
    assert error.__cause__ is not None  # the transport's own exception, chained


def test_connection_refused_is_retried(make_client: ClientFactory, recorder: Any) -> None:
    from fruxon_core.plugins import RetryPolicy

    client = make_client(
        base_url=f"http://127.0.0.1:{_closed_port()}",
        max_retries=2,
        retry=RetryPolicy(initial_delay=0.001, max_delay=0.001),
        plugins=[recorder],
    )
    with pytest.raises(FruxonConnectionError) as caught:
        client.execute("echo-agent")
    assert caught.value.retries == 2
    assert recorder.names().count("prepare_request") == 3


def test_connection_refused_while_opening_a_stream(make_client: ClientFactory) -> None:
    client = make_client(base_url=f"http://127.0.0.1:{_closed_port()}", max_retries=0)
    with pytest.raises(FruxonConnectionError) as caught:
        list(client.stream("echo-agent"))
    assert caught.value.__cause__ is not None


def test_read_timeout(faulty: Callable[..., Any]) -> None:
    from fruxon_core.http import Timeout

    client = faulty("latency_ms=1500", timeout=Timeout(connect=2.0, read=0.2), max_retries=0)
    with pytest.raises(FruxonTimeoutError) as caught:
        client.get_agent("support-agent")
    assert caught.value.__cause__ is not None


def test_single_timeout_number_still_bounds_reads(faulty: Callable[..., Any]) -> None:
    # A read, not a run: the server finishes its late answer after the test, and
    # must not run (and count) an agent then.
    client = faulty("latency_ms=1500", timeout=0.2, max_retries=0)
    with pytest.raises(FruxonTimeoutError):
        client.list_integrations()
