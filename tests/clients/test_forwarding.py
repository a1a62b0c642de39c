"""Every argument of every public client method reaches the request it sends.

Each method is called with a distinct sentinel per parameter against a
recording transport (no I/O); the sentinel must then appear in what was sent
-- the URL, the query or the JSON body -- or, for a flag, flipping it must
change what was sent. A keyword a method forgets to pass on fails here.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_plus

import pytest

from fruxon_core.exceptions import FruxonError
from fruxon_core.http import Timeout
from tests.clients.recording import AsyncRecordingTransport, RecordingTransport
from tests.registry import TRANSPORTS, TransportCase

#: Public members that send nothing themselves (covered by their own tests below).
NOT_OPERATIONS = {"close", "with_options", "plugin_manager", "session"}


def _client(case: TransportCase) -> tuple[Any, RecordingTransport]:
    client = case.client_class()("fxn_key", "acme", "http://127.0.0.1:9", load_entrypoints=False)
    transport = AsyncRecordingTransport() if case.is_async else RecordingTransport()
    client._transport = transport
    return client, transport


def _operations(case: TransportCase) -> list[str]:
    cls = case.client_class()
    return sorted(
        name
        for name in dir(cls)
        if not name.startswith("_") and name not in NOT_OPERATIONS and callable(getattr(cls, name))
    )


def _parameters(function: Callable[..., Any]) -> list[inspect.Parameter]:
    return [p for p in inspect.signature(function).parameters.values() if p.name != "self"]


def _sentinel(parameter: inspect.Parameter) -> Any:
    """A value of the parameter's type that can be found again in the request."""
    name, annotation = parameter.name, str(parameter.annotation)
    mark = f"sentinel-{name}"
    if annotation == "bool":
        return not parameter.default
    if annotation.startswith("Mapping"):
        return {"sentinelKey": mark}
    if annotation.startswith("Iterable[str]"):
        return [mark]
    if annotation.startswith("Iterable"):
        return [{"sentinelKey": mark}]
    assert annotation.startswith("str"), f"no sentinel for {name}: {annotation}"
    return mark


def _drive(case: TransportCase, client: Any, method: str, kwargs: dict[str, Any]) -> None:
    """Call the method and consume what it returns (a stream, lazy pages)."""

    async def run_async() -> None:
        result = getattr(client, method)(**kwargs)
        if inspect.isawaitable(result):
            result = await result
        if hasattr(result, "__aiter__"):
            async for _ in result:
                pass

    try:
        if case.is_async:
            asyncio.run(run_async())
        else:
            result = getattr(client, method)(**kwargs)
            if hasattr(result, "__next__"):
                for _ in result:
                    pass
    except FruxonError:
        pass  # the recorded answer may not fit every operation; what was sent counts


def _sent(transport: RecordingTransport) -> list[str]:
    return [
        f"{r.method} {unquote_plus(r.url)} {(r.body or b'').decode()}" for r in transport.requests
    ]


def _cases() -> list[Any]:
    return [
        pytest.param(case, method, id=f"{case.name}-{method}")
        for case in TRANSPORTS
        for method in _operations(case)
    ]


@pytest.mark.parametrize(("case", "method"), _cases())
def test_every_argument_reaches_the_request(case: TransportCase, method: str) -> None:
    cls = case.client_class()
    parameters = _parameters(getattr(cls, method))
    required = {p.name: _sentinel(p) for p in parameters if p.default is inspect.Parameter.empty}
    for parameter in parameters:
        client, transport = _client(case)
        kwargs = {**required, parameter.name: _sentinel(parameter)}
        _drive(case, client, method, kwargs)
        sent = _sent(transport)
        assert sent, f"{method} sent nothing"
        if isinstance(kwargs[parameter.name], bool):
            baseline_client, baseline = _client(case)
            _drive(case, baseline_client, method, {**kwargs, parameter.name: parameter.default})
            assert _sent(baseline) != sent, f"{method}({parameter.name}=...) changes nothing"
        else:
            mark = f"sentinel-{parameter.name}"
            assert any(mark in line for line in sent), f"{method} dropped {parameter.name}"


@pytest.mark.parametrize("case", TRANSPORTS, ids=lambda case: case.name)
def test_constructor_and_with_options_reach_the_request(case: TransportCase) -> None:
    client = case.client_class()(
        "fxn_sentinel_key",
        "sentinel-org",
        "http://sentinel-host:1",
        Timeout(connect=1.5, read=2.5, stream_idle=3.5),
        default_headers={"X-Sentinel": "default-header"},
        auth_scheme="bearer",
        load_entrypoints=False,
    )
    transport = AsyncRecordingTransport() if case.is_async else RecordingTransport()
    client._transport = transport
    derived = client.with_options(timeout=7.0, headers={"X-Other": "option-header"})
    _drive(case, client, "get_agent", {"agent": "a"})
    _drive(case, derived, "get_agent", {"agent": "a"})
    first, second = transport.requests
    assert first.url == "http://sentinel-host:1/v1/tenants/sentinel-org/agents/a"
    assert first.header("Authorization") == "Bearer fxn_sentinel_key"
    assert first.header("X-Sentinel") == "default-header"
    assert first.timeout == Timeout(connect=1.5, read=2.5, stream_idle=3.5)
    assert second.header("X-Other") == "option-header"
    assert second.header("X-Sentinel") == "default-header"
    assert second.timeout == Timeout.of(7.0)
