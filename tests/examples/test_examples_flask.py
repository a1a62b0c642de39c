"""examples/flask_app.py through Flask's test client: one sync client under many threads."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import Any

from fruxon_core import SSEDecoder
from fruxon_emulator import EmulatorServer

Loader = Callable[[str], ModuleType]


def _decode(body: bytes) -> list[tuple[str, Any]]:
    decoder = SSEDecoder()
    return [(e.event, json.loads(e.data)) for e in [*decoder.feed(body), *decoder.close()]]


def _app(example: Loader) -> Any:
    app = example("flask_app.py").create_app()
    app.testing = True
    return app


def test_execute_multi_turn(example: Loader, example_env: EmulatorServer) -> None:
    app = _app(example)
    with app.test_client() as http:
        first = http.post(
            "/agents/support-agent/execute",
            json={"parameters": {"question": "What's your return policy?"}},
        ).get_json()
        follow_up = http.post(
            "/agents/support-agent/execute",
            json={
                "parameters": {"question": "What about international orders?"},
                "session_id": first["session_id"],
            },
        ).get_json()
    assert "Turn 1" in first["response"]
    assert "Turn 2" in follow_up["response"]
    assert first["execution_record_id"]
    assert follow_up["cost_usd"] > 0
    app.extensions["fruxon"].close()


def test_stream_relay_and_error_statuses(example: Loader, example_env: EmulatorServer) -> None:
    app = _app(example)
    with app.test_client() as http:
        reply = http.get("/agents/echo-agent/stream", query_string={"message": "hello"})
        assert reply.status_code == 200
        assert reply.mimetype == "text/event-stream"
        events = _decode(reply.data)
        assert events[-1][0] == "done"
        assert "".join(d["chunk"] for n, d in events if n == "text") == "Echo (turn 1): hello"

        missing = http.get("/agents/no-such-agent/stream")
        assert missing.status_code == 404
        assert missing.get_json()["error"] == "NotFoundError"
        invalid = http.post("/agents/support-agent/execute", json={"parameters": {}})
        assert invalid.status_code == 422
        assert invalid.get_json()["error"] == "ValidationError"
    app.extensions["fruxon"].close()


def test_many_threads_share_the_apps_client(example: Loader, example_env: EmulatorServer) -> None:
    """Eight request threads at once, as under ``gunicorn --threads 8``; no cross-talk."""
    app = _app(example)

    def one_user(n: int) -> list[str]:
        seen = []
        with app.test_client() as http:
            for turn in range(5):
                message = f"user {n} turn {turn}"
                reply = http.post(
                    "/agents/echo-agent/execute", json={"parameters": {"message": message}}
                )
                seen.append(reply.get_json()["response"])
                events = _decode(
                    http.get("/agents/echo-agent/stream", query_string={"message": message}).data
                )
                seen.append("".join(d["chunk"] for name, d in events if name == "text"))
        return seen

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one_user, range(8)))
    for n, seen in enumerate(results):
        expected = [f"Echo (turn 1): user {n} turn {t}" for t in range(5) for _ in (0, 1)]
        assert seen == expected
    app.extensions["fruxon"].close()


def test_client_going_away_closes_the_upstream_stream(
    example: Loader, example_env: EmulatorServer, helpers: Any
) -> None:
    """A WSGI server closes the response iterable when the client disconnects (PEP 3333);
    the relay then closes its upstream stream, which the emulator records."""
    app = _app(example)
    message = " ".join(f"word{i}" for i in range(200))
    with app.test_client() as http:
        reply = http.get(
            "/agents/slow-agent/stream", query_string={"message": message}, buffered=False
        )
        body = iter(reply.response)
        while b"event: text" not in next(body):
            pass
        reply.close()  # what the server does when the socket to the browser breaks
    assert helpers.wait_for(lambda: example_env.stats()["streams"]["clientDisconnects"] == 1)
    assert example_env.stats()["streams"]["completed"] == 0
    app.extensions["fruxon"].close()
