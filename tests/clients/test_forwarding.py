"""Every argument of every public client method reaches the request it sends.

Each method is called with a distinct sentinel per parameter against a
recording transport (no I/O); the sentinel must then appear in what was sent
-- the URL, the query or the JSON body -- or, for a flag, flipping it must
change what was sent. A keyword a method forgets to pass on fails here.
"""

from __future__ import annotations

import asyncio
import datetime
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest

from fruxon_core.exceptions import FruxonError
from fruxon_core.http import BodyStream, Timeout
from tests.clients.recording import RECORDED_FILE, AsyncRecordingTransport, RecordingTransport
from tests.registry import TRANSPORTS, TransportCase

#: Public members that send nothing themselves (covered by their own tests below).
NOT_OPERATIONS = {"close", "with_options", "plugin_manager", "session"}

#: Parameters that shape what a method does with the answers, not what it sends.
NOT_ON_THE_WIRE = {
    ("wait_for_run_end", "timeout"): "the poll deadline: tests/core/test_core_waiting.py",
    ("wait_for_run_end", "poll_interval"): "the poll schedule: tests/core/test_core_waiting.py",
    ("download_file_to", "destination"): "where the body goes: checked below, and in conformance",
}

#: A time sentinel and the epoch milliseconds it goes out as.
SENTINEL_TIME = datetime.datetime(2031, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
SENTINEL_TIME_MS = str(int(SENTINEL_TIME.timestamp() * 1000))


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


def _sentinel(parameter: inspect.Parameter, tmp_path: Path) -> tuple[Any, str]:
    """A value of the parameter's type and the text it shows up as in the request."""
    name, annotation = parameter.name, str(parameter.annotation)
    mark = f"sentinel-{name}"
    if annotation == "bool":
        return not parameter.default, ""
    if name == "method":  # an HTTP method: the raw calls check it
        return "PATCH", "PATCH "
    if annotation == "Destination":
        return tmp_path / f"{mark}.bin", ""
    if annotation == "FileSource":
        return mark.encode(), mark
    if annotation.startswith("datetime"):
        return SENTINEL_TIME, SENTINEL_TIME_MS
    if annotation.startswith(("int", "float")):
        number = 7_000_000 + sum(map(ord, name))
        return number, str(number)
    if annotation.startswith("Mapping") or annotation == "Any":
        return {"sentinelKey": mark}, mark
    if annotation.startswith("Iterable[str]"):
        return [mark], mark
    if annotation.startswith("Iterable"):
        return [{"sentinelKey": mark}], mark
    assert annotation.startswith("str"), f"no sentinel for {name}: {annotation}"
    return mark, mark


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


def _body_text(body: bytes | BodyStream | None) -> str:
    if isinstance(body, BodyStream):
        return b"".join(body.chunks()).decode()
    return (body or b"").decode()


def _sent(transport: RecordingTransport) -> list[str]:
    return [
        f"{r.method} {unquote_plus(r.url)} {sorted(r.headers.items())} {_body_text(r.body)}"
        for r in transport.requests
    ]


def _cases() -> list[Any]:
    return [
        pytest.param(case, method, id=f"{case.name}-{method}")
        for case in TRANSPORTS
        for method in _operations(case)
    ]


@pytest.mark.parametrize(("case", "method"), _cases())
def test_every_argument_reaches_the_request(
    case: TransportCase, method: str, tmp_path: Path
) -> None:
    cls = case.client_class()
    parameters = _parameters(getattr(cls, method))
    required = {
        p.name: _sentinel(p, tmp_path)[0]
        for p in parameters
        if p.default is inspect.Parameter.empty
    }
    for parameter in parameters:
        client, transport = _client(case)
        value, mark = _sentinel(parameter, tmp_path)
        kwargs = {**required, parameter.name: value}
        _drive(case, client, method, kwargs)
        sent = _sent(transport)
        assert sent, f"{method} sent nothing"
        if (method, parameter.name) in NOT_ON_THE_WIRE:
            continue
        if isinstance(value, bool):
            baseline_client, baseline = _client(case)
            _drive(case, baseline_client, method, {**kwargs, parameter.name: parameter.default})
            assert _sent(baseline) != sent, f"{method}({parameter.name}=...) changes nothing"
        else:
            assert any(mark in line for line in sent), f"{method} dropped {parameter.name}"


@pytest.mark.parametrize("case", TRANSPORTS, ids=lambda case: case.name)
def test_download_file_to_writes_the_body_to_the_destination(
    case: TransportCase, tmp_path: Path
) -> None:
    client, _ = _client(case)
    destination = tmp_path / "copy.bin"
    _drive(case, client, "download_file_to", {"file": "f-1", "destination": destination})
    assert destination.read_bytes() == RECORDED_FILE


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


@pytest.mark.parametrize("case", TRANSPORTS, ids=lambda case: case.name)
def test_official_argument_names_and_actor_reach_the_request(case: TransportCase) -> None:
    client = case.client_class()(
        token="fxn_sentinel_token",
        workspace="sentinel-workspace",
        base_url="http://sentinel-host:1",
        actor="sentinel-actor",
        load_entrypoints=False,
    )
    transport = AsyncRecordingTransport() if case.is_async else RecordingTransport()
    client._transport = transport
    _drive(case, client, "get_agent", {"agent": "a"})
    (request,) = transport.requests
    assert request.url == "http://sentinel-host:1/v1/tenants/sentinel-workspace/agents/a"
    assert request.header("X-API-KEY") == "fxn_sentinel_token"
    assert request.header("X-Fruxon-Actor") == "sentinel-actor"


@pytest.mark.parametrize("case", TRANSPORTS, ids=lambda case: case.name)
def test_an_explicit_actor_header_wins_over_actor(case: TransportCase) -> None:
    client = case.client_class()(
        "k", "o", "http://h:1", actor="ignored", default_headers={"x-fruxon-actor": "mine"}
    )
    client._transport = AsyncRecordingTransport() if case.is_async else RecordingTransport()
    _drive(case, client, "get_agent", {"agent": "a"})
    assert client._transport.requests[0].header("X-Fruxon-Actor") == "mine"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"api_key": "a", "token": "b", "org": "o"}, "not both"),
        ({"api_key": "a", "org": "o", "workspace": "w"}, "not both"),
        ({"api_key": "a"}, "org is required"),
    ],
)
def test_conflicting_or_missing_names_are_refused(kwargs: dict[str, str], message: str) -> None:
    for case in TRANSPORTS:
        with pytest.raises(TypeError, match=message):
            case.client_class()(**kwargs)


def test_an_actor_with_a_line_break_is_refused() -> None:
    for case in TRANSPORTS:
        with pytest.raises(ValueError, match="actor"):
            case.client_class()("k", "o", actor="cli\r\nX-Evil: 1")
