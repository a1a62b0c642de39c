"""The clients are one client: the sync one is generated from the async source, unchanged.

Each transport package's client subclasses core's base and adds no public
member of its own; the generated sync base has the async base's public
members with the same parameters; and ``scripts/unasync.py --check`` holds
(a hand edit to the generated code, or a substitution no longer used, fails).
"""

from __future__ import annotations

import importlib.util
import inspect
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fruxon_core._async.client import AsyncClientBase
from fruxon_core._async.streaming import AsyncEventStream, AsyncTextStream
from fruxon_core._sync.client import ClientBase
from fruxon_core._sync.streaming import EventStream, TextStream
from tests.registry import TRANSPORTS, TransportCase

ROOT = Path(__file__).resolve().parents[2]

#: Methods that stay synchronous on the async client (they do no I/O).
SYNC_ON_BOTH = {"with_options", "stream", "stream_text", "stream_test", "request_stream"}
#: Methods that return async iterators instead of iterators.
LAZY_PAGES = {
    "iter_agents",
    "iter_integrations",
    "iter_tools",
    "iter_execution_records",
    "iter_pending_approvals",
}


def _public(cls: type) -> set[str]:
    return {name for name in dir(cls) if not name.startswith("_")}


def _signature(func: Any) -> list[tuple[str, Any, Any]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(func).parameters.values()]


def _unasync() -> Any:
    spec = importlib.util.spec_from_file_location("unasync", ROOT / "scripts/unasync.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_sync_code_is_current() -> None:
    assert _unasync().main(["--check"]) == 0


def test_check_fails_on_a_hand_edit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    unasync = _unasync()
    target = tmp_path / "_sync"
    target.mkdir()
    for path in (ROOT / "packages/fruxon-core/src/fruxon_core/_sync").glob("*.py"):
        (target / path.name).write_text(path.read_text())
    edited = target / "client.py"
    edited.write_text(edited.read_text() + "\n# a hand edit\n")
    monkeypatch.setattr(unasync, "TARGET", target)
    assert unasync.main(["--check"]) == 1


def test_check_fails_on_an_unused_substitution(monkeypatch: pytest.MonkeyPatch) -> None:
    unasync = _unasync()
    table = [*unasync.SUBSTITUTIONS, (r"\bnever_in_the_source\b", "x")]
    monkeypatch.setattr(unasync, "SUBSTITUTIONS", table)
    monkeypatch.setattr(unasync, "_COMPILED", [(__import__("re").compile(p), r) for p, r in table])
    assert unasync.main(["--check"]) == 1


@pytest.mark.parametrize("case", TRANSPORTS, ids=lambda case: case.name)
def test_client_adds_no_public_member(case: TransportCase) -> None:
    cls = case.client_class()
    base = AsyncClientBase if case.is_async else ClientBase
    assert issubclass(cls, base)
    own = {name for name in vars(cls) if not name.startswith("_")}
    assert own == set()
    assert _public(cls) == _public(base)


@pytest.mark.parametrize("case", TRANSPORTS, ids=lambda case: case.name)
def test_every_exception_is_importable_beside_the_client(case: TransportCase) -> None:
    import fruxon_core.exceptions

    package = case.client.partition(":")[0]
    beside = importlib.import_module(f"{package}.exceptions")
    assert beside.__all__ == fruxon_core.exceptions.__all__
    for name in fruxon_core.exceptions.__all__:
        assert getattr(beside, name) is getattr(fruxon_core.exceptions, name)


def test_sync_and_async_bases_match() -> None:
    assert _public(AsyncClientBase) == _public(ClientBase)
    for name in _public(ClientBase) | {"__init__"}:
        sync_member = inspect.getattr_static(ClientBase, name)
        async_member = inspect.getattr_static(AsyncClientBase, name)
        assert type(sync_member) is type(async_member), name
        if not isinstance(sync_member, property):
            assert _signature(async_member) == _signature(sync_member), name


@pytest.mark.parametrize("name", sorted(_public(AsyncClientBase)))
def test_io_methods_are_coroutines(name: str) -> None:
    member = inspect.getattr_static(AsyncClientBase, name)
    if isinstance(member, property):
        return
    if name in SYNC_ON_BOTH or name in LAZY_PAGES:
        assert not inspect.iscoroutinefunction(member)
        assert not inspect.isasyncgenfunction(member)
    else:
        assert inspect.iscoroutinefunction(member), f"{name} should be async def"
    assert not inspect.iscoroutinefunction(inspect.getattr_static(ClientBase, name))


def test_lifecycle_twins() -> None:
    assert inspect.iscoroutinefunction(AsyncClientBase.close)
    assert inspect.iscoroutinefunction(AsyncClientBase.__aenter__)
    assert _signature(AsyncClientBase.__aexit__) == _signature(ClientBase.__exit__)


@pytest.mark.parametrize(
    ("sync_class", "async_class"), [(EventStream, AsyncEventStream), (TextStream, AsyncTextStream)]
)
def test_stream_objects(sync_class: type, async_class: type) -> None:
    for sync_name, async_name in [
        ("__iter__", "__aiter__"),
        ("__next__", "__anext__"),
        ("__enter__", "__aenter__"),
        ("__exit__", "__aexit__"),
        ("close", "aclose"),
    ]:
        assert callable(getattr(sync_class, sync_name))
        assert callable(getattr(async_class, async_name))
    assert isinstance(inspect.getattr_static(async_class, "final_result"), property)
    assert inspect.iscoroutinefunction(AsyncEventStream.collect)
    assert not inspect.iscoroutinefunction(EventStream.collect)


def test_core_import_stays_free_of_the_client_layer() -> None:
    layer = ("fruxon_core._async", "fruxon_core._sync")
    code = f"import sys, fruxon_core; print(any(m.startswith({layer}) for m in sys.modules))"

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_contract_module_names_both_twins() -> None:
    import fruxon_core.transport as contract
    from fruxon_core._async.transport import AsyncStreamResponse, AsyncTransport
    from fruxon_core._sync.transport import StreamResponse, Transport

    assert (contract.AsyncTransport, contract.AsyncStreamResponse) == (
        AsyncTransport,
        AsyncStreamResponse,
    )
    assert (contract.Transport, contract.StreamResponse) == (Transport, StreamResponse)
