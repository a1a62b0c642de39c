"""Flask with the synchronous client: one FruxonClient for the whole process.

The client is created once in the app factory and shared by every request and
every thread (``flask run --with-threads``, ``gunicorn --threads 8``): it holds
one connection pool and no per-call state, so there is nothing to lock. Under
a pre-fork server (``gunicorn -w 4``) each worker notices the fork on its first
call and opens its own connections.

Run it (``fruxon-emulator serve`` gives you a local API to point it at)::

    export FRUXON_API_KEY=... FRUXON_ORG=acme-corp   # FRUXON_BASE_URL optional
    flask --app examples/flask_app run               # finds create_app()

    curl -s -X POST http://127.0.0.1:5000/agents/support-agent/execute \\
         -H 'Content-Type: application/json' -d '{"parameters": {"question": "Hi"}}'
    curl -N 'http://127.0.0.1:5000/agents/support-agent/stream?question=Hi'
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Iterator

from flask import Flask, Response, jsonify, request

from fruxon_core import StreamEvent, encode_sse
from fruxon_core.exceptions import (
    AuthenticationError,
    FruxonAPIError,
    FruxonConnectionError,
    FruxonError,
    FruxonStreamError,
    NotFoundError,
    RateLimitError,
    ValidationError,
)
from fruxon_requests import EventStream, FruxonClient


def create_app() -> Flask:
    app = Flask(__name__)
    client = FruxonClient(
        api_key=os.environ["FRUXON_API_KEY"],
        org=os.environ["FRUXON_ORG"],
        base_url=os.environ.get("FRUXON_BASE_URL", "https://api.fruxon.com"),
        timeout=60,
    )
    app.extensions["fruxon"] = client
    atexit.register(client.close)

    @app.post("/agents/<agent>/execute")
    def execute(agent: str) -> Response:
        """``{"parameters": {...}, "session_id": ...}`` in; pass ``session_id`` back to continue."""
        body = request.get_json(force=True, silent=True) or {}
        result = client.execute(
            agent, parameters=body.get("parameters") or {}, session_id=body.get("session_id")
        )
        return jsonify(
            response=result.response,
            session_id=result.session_id,
            execution_record_id=result.execution_record_id,
            duration_ms=result.trace.duration,
            cost_usd=result.trace.total_cost,
        )

    @app.get("/agents/<agent>/stream")
    def stream(agent: str) -> Response:
        """The agent's events as ``text/event-stream``; query parameters are its parameters."""
        events = client.stream(agent, parameters=request.args.to_dict())
        first = next(events)  # errors before the first event get a real status (below)
        return Response(
            relay(first, events),
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.errorhandler(FruxonError)
    def fruxon_error(error: FruxonError) -> tuple[Response, int]:
        """What each failure means for this service's callers."""
        status, message = 502, str(error)
        if isinstance(error, NotFoundError):
            status = 404
        elif isinstance(error, ValidationError):
            status, message = 422, error.detail
        elif isinstance(error, RateLimitError):  # retries are spent: ask the caller to wait
            status = 503
        elif isinstance(error, AuthenticationError):
            app.logger.error("the Fruxon API key was rejected: rotate FRUXON_API_KEY")
            status, message = 502, "upstream authentication failed"
        elif isinstance(error, FruxonConnectionError):
            status, message = 504, "Fruxon is unreachable"
        elif isinstance(error, FruxonAPIError):
            message = f"Fruxon answered {error.status}"
        return jsonify(error=type(error).__name__, message=message), status

    return app


def relay(first: StreamEvent, events: EventStream) -> Iterator[bytes]:
    """SSE bytes of every event, ending after ``done`` or ``error``.

    A WSGI server calls ``close()`` on this generator when the client goes
    away; the ``finally`` then closes the upstream stream at once.
    """
    try:
        yield encode_sse(first)
        for event in events:
            yield encode_sse(event)
    except FruxonStreamError:
        pass  # the agent's own ``error`` event was relayed just before this was raised
    except FruxonError as error:  # the connection to Fruxon broke mid-way
        yield encode_sse(StreamEvent("error", {"message": str(error)}))
    finally:
        events.close()


if __name__ == "__main__":
    create_app().run(threaded=True)
