"""aiohttp.web: one AsyncFruxonClient per app, agent streams relayed to the browser.

The client is created in a cleanup context, i.e. on the loop that serves the
requests, and closed when the app shuts down. ``encode_sse`` turns each typed
event back into SSE bytes for ``web.StreamResponse``; a browser that goes
away makes the next write fail, which closes the upstream stream.

Run it (``fruxon-emulator serve`` gives you a local API to point it at)::

    export FRUXON_API_KEY=... FRUXON_ORG=acme-corp   # FRUXON_BASE_URL optional
    python examples/aiohttp_app.py                   # http://127.0.0.1:8080/

    curl -N 'http://127.0.0.1:8080/agents/support-agent/stream?question=Hi'
    curl -s -X POST http://127.0.0.1:8080/agents/support-agent/execute \\
         -d '{"parameters": {"question": "Hi"}}'
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from fruxon_aiohttp import AsyncFruxonClient
from fruxon_core import StreamEvent, encode_sse
from fruxon_core.exceptions import (
    FruxonAPIError,
    FruxonError,
    FruxonStreamError,
    NotFoundError,
    ValidationError,
)

FRUXON = web.AppKey("fruxon", AsyncFruxonClient)


async def fruxon_client(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context: the client lives exactly as long as the app, on the app's loop."""
    client = AsyncFruxonClient(
        api_key=os.environ["FRUXON_API_KEY"],
        org=os.environ["FRUXON_ORG"],
        base_url=os.environ.get("FRUXON_BASE_URL", "https://api.fruxon.com"),
    )
    app[FRUXON] = client
    yield
    await client.close()


def http_error(error: FruxonError) -> web.HTTPException:
    """The status a caller of this service should see for a Fruxon error."""
    if isinstance(error, NotFoundError):
        return web.HTTPNotFound(text=error.detail or "agent not found")
    if isinstance(error, ValidationError):
        return web.HTTPUnprocessableEntity(text=error.detail)
    if isinstance(error, FruxonAPIError):
        return web.HTTPBadGateway(text=f"Fruxon answered {error.status}")
    return web.HTTPBadGateway(text=f"Fruxon is unreachable: {error}")


async def stream_agent(request: web.Request) -> web.StreamResponse:
    """``GET /agents/{agent}/stream?<parameters>`` → ``text/event-stream``."""
    events = request.app[FRUXON].stream(request.match_info["agent"], parameters=dict(request.query))
    try:
        # The first event before the 200: errors up front get a real status.
        first = await anext(events)
    except FruxonError as error:
        raise http_error(error) from error

    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    try:
        await response.write(encode_sse(first))
        async for event in events:
            await response.write(encode_sse(event))
    except FruxonStreamError:
        pass  # the agent's own ``error`` event was relayed just before this was raised
    except FruxonError as error:  # the connection to Fruxon broke mid-way
        await response.write(encode_sse(StreamEvent("error", {"message": str(error)})))
    except ConnectionResetError:
        return response  # the browser went away; `finally` closes the upstream stream
    finally:
        await events.aclose()
    await response.write_eof()
    return response


async def execute_agent(request: web.Request) -> web.Response:
    """``POST /agents/{agent}/execute`` with ``{"parameters": {...}, "session_id": ...}``."""
    body: dict[str, Any] = await request.json()
    try:
        result = await request.app[FRUXON].execute(
            request.match_info["agent"],
            parameters=body.get("parameters") or {},
            session_id=body.get("session_id"),
        )
    except FruxonError as error:
        raise http_error(error) from error
    return web.json_response(
        {
            "response": result.response,
            "session_id": result.session_id,
            "execution_record_id": result.execution_record_id,
            "duration_ms": result.trace.duration,
            "cost_usd": result.trace.total_cost,
        }
    )


async def list_agents(request: web.Request) -> web.Response:
    agents = await request.app[FRUXON].list_agents()
    return web.json_response([{"id": a.id, "name": a.display_name} for a in agents])


def create_app() -> web.Application:
    app = web.Application()
    app.cleanup_ctx.append(fruxon_client)
    app.router.add_get("/agents", list_agents)
    app.router.add_get("/agents/{agent}/stream", stream_agent)
    app.router.add_post("/agents/{agent}/execute", execute_agent)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
