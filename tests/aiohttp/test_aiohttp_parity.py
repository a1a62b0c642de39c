"""The sync and the async client expose the same operations with the same parameters.

Each operation is defined once in fruxon_core.operations; this test keeps the two
facades from drifting apart: same public names, and for each the same parameter
names, kinds and defaults (annotations may differ: a session type, an awaitable
or async-iterator return).
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from fruxon_aiohttp import AsyncEventStream, AsyncFruxonClient, AsyncTextStream
from fruxon_requests import FruxonClient

#: Constructor parameters only the async client has.
ASYNC_ONLY_INIT = {"connector_limit"}
#: Public members only the async client has (the sync session is always present).
ASYNC_ONLY_MEMBERS = {"session"}
#: Methods that stay synchronous on the async client (they do no I/O).
SYNC_ON_BOTH = {"with_options", "stream", "stream_text", "stream_test"}
#: Methods that return async iterators instead of iterators.
LAZY_PAGES = {"iter_agents", "iter_integrations", "iter_tools"}


def _public(cls: type) -> set[str]:
    return {name for name in dir(cls) if not name.startswith("_")}


def _shape(parameter: inspect.Parameter) -> tuple[str, Any, Any]:
    return (parameter.name, parameter.kind, parameter.default)


def _signature(func: Any, skip: set[str] = frozenset()) -> list[tuple[str, Any, Any]]:
    return [_shape(p) for p in inspect.signature(func).parameters.values() if p.name not in skip]


def test_same_public_members() -> None:
    assert _public(AsyncFruxonClient) - ASYNC_ONLY_MEMBERS == _public(FruxonClient)


@pytest.mark.parametrize("name", sorted(_public(FruxonClient)))
def test_same_parameters(name: str) -> None:
    sync_member = inspect.getattr_static(FruxonClient, name)
    async_member = inspect.getattr_static(AsyncFruxonClient, name)
    assert type(sync_member) is type(async_member)  # property vs method
    if isinstance(sync_member, property):
        return
    assert _signature(async_member) == _signature(sync_member)


def test_same_constructor() -> None:
    assert _signature(AsyncFruxonClient.__init__, ASYNC_ONLY_INIT) == _signature(
        FruxonClient.__init__
    )
    connector_limit = inspect.signature(AsyncFruxonClient.__init__).parameters["connector_limit"]
    assert connector_limit.kind is inspect.Parameter.KEYWORD_ONLY


@pytest.mark.parametrize("name", sorted(_public(FruxonClient)))
def test_io_methods_are_coroutines(name: str) -> None:
    member = inspect.getattr_static(AsyncFruxonClient, name)
    if isinstance(member, property):
        return
    if name in SYNC_ON_BOTH or name in LAZY_PAGES:
        assert not inspect.iscoroutinefunction(member)
        assert not inspect.isasyncgenfunction(member)
    else:
        assert inspect.iscoroutinefunction(member), f"{name} should be async def"


def test_lifecycle_twins() -> None:
    assert inspect.iscoroutinefunction(AsyncFruxonClient.close)
    assert inspect.iscoroutinefunction(AsyncFruxonClient.__aenter__)
    assert inspect.iscoroutinefunction(AsyncFruxonClient.__aexit__)
    assert _signature(AsyncFruxonClient.__aexit__) == _signature(FruxonClient.__exit__)


@pytest.mark.parametrize("stream_class", [AsyncEventStream, AsyncTextStream])
def test_stream_objects(stream_class: type) -> None:
    for name in ("__aiter__", "__anext__", "__aenter__", "__aexit__", "aclose"):
        assert callable(getattr(stream_class, name))
    assert isinstance(inspect.getattr_static(stream_class, "final_result"), property)


def test_event_stream_helpers() -> None:
    assert inspect.iscoroutinefunction(AsyncEventStream.collect)
    assert inspect.iscoroutinefunction(AsyncEventStream.aclose)
    assert not inspect.iscoroutinefunction(AsyncEventStream.text)
