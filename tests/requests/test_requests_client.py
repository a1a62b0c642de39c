"""FruxonClient on requests: its surface, session ownership, connection reuse, paging guards."""

from __future__ import annotations

import inspect
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from fruxon_core.config import DEFAULT_BASE_URL
from fruxon_core.exceptions import FruxonTimeoutError
from fruxon_core.http import Timeout
from fruxon_emulator import EmulatorServer
from fruxon_requests import FruxonClient
from tests.transport.scripted_http import Exchange, ScriptedServer, json_response

Start = Callable[[Callable[[Exchange], None]], ScriptedServer]

# -- the surface -----------------------------------------------------------------------

SEED_METHODS = [
    "execute",
    "execute_revision",
    "stream",
    "stream_text",
    "test",
    "stream_test",
    "list_agents",
    "get_agent",
    "get_agent_parameters",
    "list_integrations",
    "get_integration",
    "create_integration",
    "update_integration",
    "verify_integration",
    "list_tools",
    "get_tool",
    "create_tool",
    "update_tool",
    "delete_tool",
    "test_tool",
    "get_execution_record",
    "get_execution_trace",
]
OPERATION_METHODS = [*SEED_METHODS, "iter_agents", "iter_integrations", "iter_tools"]


def test_constructor_matches_the_seed() -> None:
    parameters = inspect.signature(FruxonClient).parameters
    assert list(parameters)[:4] == ["api_key", "org", "base_url", "timeout"]
    assert parameters["base_url"].default == DEFAULT_BASE_URL == "https://api.fruxon.com"
    assert parameters["timeout"].default == 120.0
    for name in ("session", "plugins", "max_retries", "default_headers"):
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY


@pytest.mark.parametrize(
    ("method", "seed_parameters"),
    [
        ("execute", ["agent", "parameters", "session_id", "attachments", "chat_user"]),
        ("execute_revision", ["agent", "revision", "parameters", "session_id"]),
        ("stream", ["agent", "parameters", "session_id", "attachments", "chat_user"]),
        ("stream_text", ["agent", "parameters", "session_id"]),
        ("test", ["agent", "request"]),
        ("stream_test", ["agent", "request"]),
        ("get_agent_parameters", ["agent", "revision"]),
        ("list_integrations", ["search", "types", "tags"]),
        ("list_tools", ["integration", "types"]),
        ("update_tool", ["integration", "tool", "body", "python"]),
        ("get_execution_record", ["agent", "record_id"]),
    ],
)
def test_methods_take_the_seed_parameters(method: str, seed_parameters: list[str]) -> None:
    parameters = inspect.signature(getattr(FruxonClient, method)).parameters
    assert set(seed_parameters) <= set(parameters)


# -- sessions and connections ----------------------------------------------------------


@pytest.fixture
def world(fruxon_emulator_factory: Callable[..., EmulatorServer]) -> EmulatorServer:
    """A private emulator, so its connection counts are this test's alone."""
    return fruxon_emulator_factory()


def _client(world: EmulatorServer, **options: Any) -> FruxonClient:
    return FruxonClient(world.api_key, world.org, base_url=world.base_url, **options)


def _wait_for(predicate: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def _open_connections(world: EmulatorServer) -> int:
    return int(world.stats()["connections"]["open"])


def test_sequential_calls_share_one_connection(world: EmulatorServer) -> None:
    client = _client(world)
    for index in range(20):
        client.execute("echo-agent", parameters={"message": str(index)})
        client.get_agent("echo-agent")
    client.list_agents()
    assert world.stats()["requests"]["total"] == 41
    assert _open_connections(world) == 1  # keep-alive: one TCP connection for all of them
    client.close()
    _wait_for(lambda: _open_connections(world) == 0)  # close() closed it


def test_leaving_the_with_block_closes_the_pool(world: EmulatorServer) -> None:
    with _client(world) as client:
        client.get_agent("echo-agent")
        assert _open_connections(world) == 1
    _wait_for(lambda: _open_connections(world) == 0)


def _pool_counts(session: requests.Session, url: str) -> tuple[int, int]:
    """Connections opened and requests sent by the session's urllib3 pool for ``url``.

    Only the numbers are kept: urllib3 closes a pool's sockets when the pool
    object is garbage-collected, so holding on to it would keep them open.
    """
    adapter = session.get_adapter(url)
    assert isinstance(adapter, requests.adapters.HTTPAdapter)
    pools = adapter.poolmanager.pools
    (key,) = pools.keys()
    pool = pools[key]
    return pool.num_connections, pool.num_requests


def test_a_session_passed_in_is_used_and_never_closed(world: EmulatorServer) -> None:
    session = requests.Session()
    session.headers["X-Caller-Header"] = "kept"
    try:
        with _client(world, session=session) as client:
            for _ in range(10):
                client.get_agent("echo-agent")
        assert _pool_counts(session, world.base_url) == (1, 10)
        # Still open after close() and the with block: the caller's session keeps working,
        # on the very same connection.
        assert session.get(f"{world.base_url}/_emulator/health").json() == {"status": "ok"}
        assert _pool_counts(session, world.base_url) == (1, 11)
        assert _open_connections(world) == 1
    finally:
        session.close()
    _wait_for(lambda: _open_connections(world) == 0)


def test_with_options_shares_the_connections(world: EmulatorServer) -> None:
    session = requests.Session()
    try:
        client = _client(world, session=session)
        client.get_agent("echo-agent")
        variant = client.with_options(max_retries=0, timeout=5.0)
        variant.execute("echo-agent")
        variant.close()  # a variant never closes the pool it shares
        client.get_agent("echo-agent")
        assert _pool_counts(session, world.base_url) == (1, 3)
    finally:
        session.close()


def test_close_closes_pooled_connections_at_once(world: EmulatorServer) -> None:
    """urllib3 2 only forgets pools on ``session.close()``; the client closes them."""
    client = _client(world)
    client.execute("echo-agent")
    assert _open_connections(world) == 1
    manager = client._transport.session.get_adapter(world.base_url).poolmanager
    # (held, so garbage collection cannot close them; the container refuses plain iteration)
    held = [manager.pools[key] for key in manager.pools.keys()]  # noqa: SIM118
    client.close()
    _wait_for(lambda: _open_connections(world) == 0)
    assert [pool.pool for pool in held] == [None]


def test_streams_leave_no_connection_behind(world: EmulatorServer) -> None:
    with _client(world) as client:
        for _ in range(3):
            assert client.stream("echo-agent").collect().response
            client.get_agent("echo-agent")
        for event in client.stream("slow-agent"):
            if event.event == "text":
                break  # abandoned: its connection is closed, not reused
        assert client.execute("echo-agent").response
    _wait_for(lambda: _open_connections(world) == 0)
    stats = world.stats()
    assert stats["streams"]["completed"] == 3
    assert stats["streams"]["open"] == 0


# -- timeouts --------------------------------------------------------------------------


@pytest.fixture
def unanswered_port() -> Iterator[int]:
    """A port whose listen backlog is full: a new connection attempt is never answered."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = int(listener.getsockname()[1])
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    yield port
    for sock in [*fillers, listener]:
        sock.close()


def test_connect_timeout(unanswered_port: int) -> None:
    timeout = Timeout(connect=0.2, read=30.0)
    base_url = f"http://127.0.0.1:{unanswered_port}"
    client = FruxonClient("fxn_test", "acme-corp", base_url, timeout, max_retries=0)
    with client, pytest.raises(FruxonTimeoutError) as caught:
        client.get_agent("support-agent")
    assert caught.value.request_sent is False  # safe to retry anything
    assert caught.value.__cause__ is not None


# -- paging guards that need a misbehaving server ----------------------------------------


def _pages(tokens: list[str]) -> Callable[[Exchange], None]:
    """Answer list requests with one item per page and the given next-page tokens."""
    served: list[int] = []

    def handler(exchange: Exchange) -> None:
        index = len(served)
        served.append(index)
        token = tokens[index] if index < len(tokens) else ""
        exchange.send(json_response({"items": [{"id": f"item-{index}"}], "nextPageToken": token}))

    return handler


def _queries(server: ScriptedServer) -> list[list[tuple[str, str]]]:
    return [parse_qsl(urlsplit(request.target).query) for request in server.requests]


def test_a_repeated_page_token_stops_the_walk(scripted_server: Start) -> None:
    server = scripted_server(_pages(["same", "same", "same"]))
    with FruxonClient("fxn_test", "acme-corp", base_url=server.base_url) as client:
        items = client.list_integrations(search="git", types=["CUSTOM", "API"])

    assert [item.id for item in items] == ["item-0"]  # the echoed page is not added twice
    assert _queries(server) == [
        [("query", "git"), ("types", "CUSTOM"), ("types", "API"), ("pageSize", "100")],
        [
            ("query", "git"),
            ("types", "CUSTOM"),
            ("types", "API"),
            ("pageSize", "100"),
            ("pageToken", "same"),
        ],
    ]


def test_a_token_cycle_stops_the_walk(scripted_server: Start) -> None:
    server = scripted_server(_pages(["a", "b", "a", "b"]))
    with FruxonClient("fxn_test", "acme-corp", base_url=server.base_url) as client:
        items = list(client.iter_tools("github"))
    assert [item.id for item in items] == ["item-0", "item-1", "item-2"]
    assert len(server.requests) == 3


def test_a_bare_array_is_one_complete_page(scripted_server: Start) -> None:
    server = scripted_server(lambda exchange: exchange.send(json_response([{"id": "only"}])))
    with FruxonClient("fxn_test", "acme-corp", base_url=server.base_url) as client:
        assert [agent.id for agent in client.list_agents()] == ["only"]
    assert len(server.requests) == 1


def test_own_session_sends_the_session_defaults_and_a_callers_session_keeps_its_hooks(
    scripted_server: Callable[..., ScriptedServer],
) -> None:
    server = scripted_server(lambda exchange: exchange.send(json_response({"id": "a"})))
    with FruxonClient("fxn_k", "acme", base_url=server.base_url, max_retries=0) as client:
        client.get_agent("a")
    (request,) = server.requests
    assert "gzip" in request.headers["accept-encoding"]
    assert request.headers["connection"] == "keep-alive"
    assert request.headers["x-api-key"] == "fxn_k"

    seen: list[int] = []
    session = requests.Session()
    session.hooks["response"].append(lambda response, **_: seen.append(response.status_code))
    with FruxonClient("fxn_k", "acme", base_url=server.base_url, session=session) as client:
        client.get_agent("a")
    assert seen == [200]
    session.close()
