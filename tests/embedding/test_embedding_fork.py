"""A client created before a pre-fork server (gunicorn, uWSGI, Celery prefork) forks.

The parent makes a call, so its pool holds a live keep-alive socket; then it
forks. The child's first call must open a connection of its own: the test
checks it from both sides -- the child's socket has a different local port
and transport object than the parent's, and the emulator counts two open
connections while the child is alive.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import requests

from fruxon_emulator import EmulatorServer
from tests.registry import TRANSPORTS, TransportCase

#: Every sync client of the registry (one FruxonClient per transport package).
SYNC_CASES = [case for case in TRANSPORTS if not case.is_async]

#: A caller's own session of each library, for ``session=``.
SESSIONS: dict[str, Callable[[], Any]] = {"requests": requests.Session, "httpx": httpx.Client}

FruxonClient = Any


@pytest.fixture(params=SYNC_CASES, ids=lambda case: case.name)
def case(request: pytest.FixtureRequest) -> TransportCase:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def fresh_emulator(fruxon_emulator_factory: Callable[..., EmulatorServer]) -> EmulatorServer:
    """An emulator of this test alone, so its open-connection count is exact."""
    return fruxon_emulator_factory()


def _client(case: TransportCase, emulator: EmulatorServer, **options: Any) -> FruxonClient:
    return case.client_class()(
        api_key=emulator.api_key,
        org=emulator.org,
        base_url=emulator.base_url,
        timeout=10,
        load_entrypoints=False,
        **options,
    )


def _idle_local_ports(session: Any, base_url: str) -> set[int]:
    """Local ports of the keep-alive sockets in the session's pools for ``base_url``."""
    if isinstance(session, httpx.Client):
        return _httpx_idle_local_ports(session)
    pools = session.get_adapter(base_url).poolmanager.pools
    ports: set[int] = set()
    for key in pools.keys():  # noqa: SIM118 - the container refuses plain iteration
        for conn in list(pools[key].pool.queue):
            if conn is not None and conn.sock is not None:
                ports.add(conn.sock.getsockname()[1])
    return ports


def _httpx_idle_local_ports(client: httpx.Client) -> set[int]:
    """The same for an ``httpx.Client``: its httpcore pool's idle HTTP/1.1 connections."""
    ports: set[int] = set()
    for conn in client._transport._pool.connections:  # type: ignore[attr-defined]
        inner = conn._connection
        if conn.is_idle() and inner is not None:
            ports.add(inner._network_stream.get_extra_info("socket").getsockname()[1])
    return ports


def _run_in_child(
    child: Callable[[], dict[str, Any]], while_alive: Callable[[], Any]
) -> tuple[dict[str, Any], Any]:
    """Fork; the child runs ``child`` and reports its JSON over a pipe, then waits for the
    parent to run ``while_alive`` (its connection still open) before exiting."""
    report_r, report_w = os.pipe()
    release_r, release_w = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a multi-threaded process (the emulator
        # runs in a thread here) may deadlock; the child only uses its own sockets.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 0
        try:
            os.close(report_r)
            os.close(release_w)
            try:
                report = child()
            except BaseException as exc:
                report = {"error": repr(exc)}
                code = 1
            os.write(report_w, json.dumps(report).encode())
            os.close(report_w)
            os.read(release_r, 1)
        finally:
            sys.stdout.flush()
            os._exit(code)
    os.close(report_w)
    os.close(release_r)
    try:
        raw = b""
        while chunk := os.read(report_r, 65536):
            raw += chunk
        report = json.loads(raw)
        observed = while_alive() if "error" not in report else None
    finally:
        os.write(release_w, b"x")
        os.close(release_w)
        os.close(report_r)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, report
    return report, observed


def _child_call(client: FruxonClient, base_url: str) -> Callable[[], dict[str, Any]]:
    parent_session = client._transport.session

    def child() -> dict[str, Any]:
        text = "".join(client.stream_text("echo-agent", parameters={"message": "streamed"}))
        result = client.execute("echo-agent", parameters={"message": f"child {os.getpid()}"})
        ports = sorted(_idle_local_ports(client._transport.session, base_url))
        return {
            "response": result.response,
            "text": text,
            "new_session": client._transport.session is not parent_session,
            "ports": ports,
        }

    return child


def test_forked_child_opens_its_own_connection(
    case: TransportCase, fresh_emulator: EmulatorServer
) -> None:
    with _client(case, fresh_emulator) as client:
        client.execute("echo-agent", parameters={"message": "parent"})
        parent_ports = _idle_local_ports(client._transport.session, fresh_emulator.base_url)
        assert len(parent_ports) == 1
        assert fresh_emulator.stats()["connections"]["open"] == 1

        report, open_while_child_alive = _run_in_child(
            _child_call(client, fresh_emulator.base_url),
            lambda: fresh_emulator.stats()["connections"]["open"],
        )

        assert report["response"].startswith("Echo (turn 1): child ")
        assert report["text"] == "Echo (turn 1): streamed"
        assert report["new_session"] is True
        assert report["ports"], "the child's connection went back to its own pool"
        assert parent_ports.isdisjoint(report["ports"])
        assert open_while_child_alive == 2  # the parent's socket and the child's own

        # The parent's pooled connection is untouched and still reused.
        client.execute("echo-agent", parameters={"message": "parent again"})
        assert _idle_local_ports(client._transport.session, fresh_emulator.base_url) == (
            parent_ports
        )


def test_clone_from_with_options_renews_its_connections_in_the_child(
    case: TransportCase, fresh_emulator: EmulatorServer
) -> None:
    """``with_options`` clones share the parent's pool, so they must be fork-safe too."""
    with _client(case, fresh_emulator) as client:
        clone = client.with_options(max_retries=0)
        clone.execute("echo-agent", parameters={"message": "parent"})
        parent_ports = _idle_local_ports(clone._transport.session, fresh_emulator.base_url)

        report, open_while_child_alive = _run_in_child(
            _child_call(clone, fresh_emulator.base_url),
            lambda: fresh_emulator.stats()["connections"]["open"],
        )
        assert report["new_session"] is True
        assert parent_ports.isdisjoint(report["ports"])
        assert open_while_child_alive == 2


def test_callers_session_gets_fresh_pools_in_the_child(
    case: TransportCase, fresh_emulator: EmulatorServer
) -> None:
    """A ``session=`` passed in is kept (its adapters, proxies, certificates), but its
    connection pools are replaced in the child."""
    session = SESSIONS[case.name]()
    try:
        client = _client(case, fresh_emulator, session=session)
        client.execute("echo-agent", parameters={"message": "parent"})
        parent_ports = _idle_local_ports(session, fresh_emulator.base_url)

        def child() -> dict[str, Any]:
            result = client.execute("echo-agent", parameters={"message": "child"})
            return {
                "response": result.response,
                "same_session": client._transport.session is session,
                "ports": sorted(_idle_local_ports(session, fresh_emulator.base_url)),
            }

        report, open_while_child_alive = _run_in_child(
            child, lambda: fresh_emulator.stats()["connections"]["open"]
        )
        assert report["response"] == "Echo (turn 1): child"
        assert report["same_session"] is True
        assert parent_ports.isdisjoint(report["ports"])
        assert open_while_child_alive == 2
        client.close()
    finally:
        session.close()


def test_multiprocessing_fork_context_children_succeed(
    case: TransportCase, fresh_emulator: EmulatorServer
) -> None:
    """The same through ``multiprocessing`` with the 'fork' start method."""
    import multiprocessing

    with _client(case, fresh_emulator) as client:
        client.execute("echo-agent", parameters={"message": "parent"})
        context = multiprocessing.get_context("fork")
        replies = context.SimpleQueue()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            workers = [
                context.Process(target=_echo_in_worker, args=(client, n, replies)) for n in range(4)
            ]
            for worker in workers:
                worker.start()
        for worker in workers:
            worker.join(30)
            assert worker.exitcode == 0
        got = sorted(replies.get() for _ in workers)
        replies.close()
        assert got == [f"Echo (turn 1): worker {n}" for n in range(4)]
        assert client.execute("echo-agent", parameters={"message": "after"}).response == (
            "Echo (turn 1): after"
        )


def _echo_in_worker(client: FruxonClient, n: int, replies: Any) -> None:
    replies.put(client.execute("echo-agent", parameters={"message": f"worker {n}"}).response)
