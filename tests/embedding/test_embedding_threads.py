"""One FruxonClient shared by the threads of a service (Flask, Django, gunicorn --threads).

Every thread runs executes and streams on the same client at the same time;
each uses its own message, so a response or a stream event that reached the
wrong thread (cross-talk) fails the assertions, as does any exception.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from fruxon_emulator import EmulatorServer
from tests.registry import TRANSPORTS, TransportCase

#: Every sync client of the registry (one FruxonClient per transport package).
SYNC_CASES = [case for case in TRANSPORTS if not case.is_async]

FruxonClient = Any

THREADS = 8
ROUNDS = 12  # per thread: one execute and one stream each round


@pytest.fixture(params=SYNC_CASES, ids=lambda case: case.name)
def case(request: pytest.FixtureRequest) -> TransportCase:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def shared_client(fruxon_emulator: EmulatorServer, case: TransportCase) -> Iterator[FruxonClient]:
    with case.client_class()(
        api_key=fruxon_emulator.api_key,
        org=fruxon_emulator.org,
        base_url=fruxon_emulator.base_url,
        timeout=30,
        load_entrypoints=False,
    ) as client:
        yield client


def _worker(client: FruxonClient, thread_no: int, barrier: threading.Barrier) -> int:
    barrier.wait()  # start all threads together to maximise interleaving
    calls = 0
    for round_no in range(ROUNDS):
        message = f"thread-{thread_no}-round-{round_no}"
        result = client.execute("echo-agent", parameters={"message": message})
        assert result.response == f"Echo (turn 1): {message}"
        assert result.trace.parameters == {"message": message}

        message = f"stream-{thread_no}-{round_no}"
        events = list(client.stream("echo-agent", parameters={"message": message}))
        text = "".join(e.data["chunk"] for e in events if e.event == "text")
        assert text == f"Echo (turn 1): {message}"
        assert events[-1].event == "done"
        assert events[-1].data["trace"]["parameters"] == {"message": message}

        chunks = "".join(client.stream_text("echo-agent", parameters={"message": message}))
        assert chunks == f"Echo (turn 1): {message}"
        calls += 3
    return calls


def test_one_client_shared_by_eight_threads(
    shared_client: FruxonClient, fruxon_emulator: EmulatorServer
) -> None:
    fruxon_emulator.reset()
    barrier = threading.Barrier(THREADS, timeout=30)
    with ThreadPoolExecutor(THREADS) as pool:
        futures = [pool.submit(_worker, shared_client, n, barrier) for n in range(THREADS)]
        totals = [future.result(timeout=120) for future in futures]  # re-raises any failure

    assert totals == [3 * ROUNDS] * THREADS
    stats = fruxon_emulator.stats()
    assert stats["runs"]["byAgent"]["echo-agent"] == THREADS * ROUNDS * 3
    assert stats["streams"]["completed"] == THREADS * ROUNDS * 2
    assert stats["streams"]["open"] == 0


def test_threads_interleave_partially_read_streams(shared_client: FruxonClient) -> None:
    """Streams held open at once by different threads, read in lock-step, never mix."""
    barrier = threading.Barrier(THREADS, timeout=30)

    def read_slowly(thread_no: int) -> str:
        message = f"interleaved-{thread_no}"
        text = []
        with shared_client.stream("slow-agent", parameters={"message": message}) as stream:
            for event in stream:
                if event.event == "text":
                    text.append(event.data["chunk"])
                    if len(text) == 1:
                        barrier.wait()  # every thread has a live stream now
        return "".join(text)

    with ThreadPoolExecutor(THREADS) as pool:
        texts = list(pool.map(read_slowly, range(THREADS), timeout=60))
    for thread_no, text in enumerate(texts):
        assert text == f"Slowly answering: interleaved-{thread_no} (one word at a time)"


class _CookieSettingHandler(http.server.BaseHTTPRequestHandler):
    """A server that tries to plant a cookie on every response (a sticky load balancer)."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        received = self.headers.get("Cookie")
        body = json.dumps({"id": "a", "cookie": received}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Set-Cookie", f"affinity={threading.get_ident()}; Path=/")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_server_cookies_are_not_stored_so_threads_share_no_state(case: TransportCase) -> None:
    """requests and httpx store every response's cookies in the session; the client refuses them,
    so the shared session has no per-call state another thread could see or race on."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CookieSettingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base_url = f"http://127.0.0.1:{server.server_address[1]}"
        client = case.client_class()
        with client(api_key="k", org="o", base_url=base_url, load_entrypoints=False) as c:
            c.get_agent("a")
            agent = c.get_agent("a")
            assert agent.id == "a"
            session = c._transport.session
            assert len(session.cookies) == 0
    finally:
        server.shutdown()
        server.server_close()
