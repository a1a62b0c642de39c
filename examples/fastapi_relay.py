"""FastAPI: relay an agent's stream to the browser, unchanged, as Server-Sent Events.

One ``AsyncFruxonClient`` is created in the app's lifespan and shared by every
request (its connection pool is per event loop, and the lifespan runs on the
loop that serves the requests). ``encode_sse`` turns each typed event back
into SSE bytes, so the browser sees exactly what the agent sent; a browser
that goes away cancels the upstream stream.

Run it (``fruxon-emulator serve`` gives you a local API to point it at)::

    export FRUXON_API_KEY=... FRUXON_ORG=acme-corp   # FRUXON_BASE_URL optional
    uvicorn examples.fastapi_relay:app --reload        # or: python examples/fastapi_relay.py

then open http://127.0.0.1:8000/ and ask a question.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import BaseModel

from fruxon_aiohttp import AsyncEventStream, AsyncFruxonClient
from fruxon_core import StreamEvent, encode_sse
from fruxon_core.exceptions import (
    FruxonAPIError,
    FruxonError,
    FruxonStreamError,
    NotFoundError,
    ValidationError,
)


def client_from_env() -> AsyncFruxonClient:
    """The SDK does not read the environment itself; a service does it once, here."""
    return AsyncFruxonClient(
        api_key=os.environ["FRUXON_API_KEY"],
        org=os.environ["FRUXON_ORG"],
        base_url=os.environ.get("FRUXON_BASE_URL", "https://api.fruxon.com"),
    )


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with client_from_env() as client:  # closed (connections released) at shutdown
        app.state.fruxon = client
        yield


app = FastAPI(title="Fruxon relay", lifespan=lifespan)


async def relay(first: StreamEvent, events: AsyncEventStream) -> AsyncIterator[bytes]:
    """SSE bytes of every event; ends after ``done`` or ``error``, like the agent's stream.

    If the browser disconnects, the server cancels this generator while it
    waits for the next upstream event; the stream's connection is closed on the
    way out, which cancels the run's stream upstream.
    """
    try:
        yield encode_sse(first)
        async for event in events:
            yield encode_sse(event)
    except FruxonStreamError:
        pass  # the agent's own ``error`` event was relayed just before this was raised
    except FruxonError as error:  # the connection to Fruxon broke mid-way
        yield encode_sse(StreamEvent("error", {"message": str(error), "code": "upstream"}))
    finally:
        await events.aclose()


@app.get("/agents/{agent}/stream")
async def stream_agent(agent: str, request: Request) -> StreamingResponse:
    """``GET /agents/support-agent/stream?question=...`` → ``text/event-stream``.

    The query parameters are the agent's parameters (``EventSource`` can only GET).
    """
    client: AsyncFruxonClient = request.app.state.fruxon
    events = client.stream(agent, parameters=dict(request.query_params))
    try:
        # Wait for the first event before answering: an unknown agent or a bad
        # key becomes a proper HTTP status instead of a 200 that breaks off.
        first = await anext(events)
    except NotFoundError as error:
        raise HTTPException(404, error.detail or "agent not found") from error
    except ValidationError as error:
        raise HTTPException(422, error.detail) from error
    except FruxonAPIError as error:
        raise HTTPException(502, f"Fruxon answered {error.status}") from error
    except FruxonError as error:
        raise HTTPException(502, f"Fruxon is unreachable: {error}") from error
    return StreamingResponse(
        relay(first, events),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


class ExecuteBody(BaseModel):
    parameters: dict[str, Any] = {}
    session_id: str | None = None


@app.post("/agents/{agent}/execute")
async def execute_agent(agent: str, body: ExecuteBody, request: Request) -> dict[str, Any]:
    """One-shot run: ``{"parameters": {...}, "session_id": ...}`` in, the answer out.

    Pass the returned ``session_id`` back to continue the conversation.
    """
    client: AsyncFruxonClient = request.app.state.fruxon
    try:
        result = await client.execute(agent, parameters=body.parameters, session_id=body.session_id)
    except NotFoundError as error:
        raise HTTPException(404, error.detail or "agent not found") from error
    except ValidationError as error:
        raise HTTPException(422, error.detail) from error
    return {
        "response": result.response,
        "session_id": result.session_id,
        "execution_record_id": result.execution_record_id,
        "duration_ms": result.trace.duration,
        "cost_usd": result.trace.total_cost,
    }


PAGE = """<!doctype html>
<meta charset="utf-8"><title>Fruxon relay</title>
<form id="ask">
  <input id="q" size="60" value="How do I reset my password?"> <button>Ask</button>
</form>
<pre id="out" style="white-space: pre-wrap"></pre>
<script>
document.getElementById("ask").onsubmit = (e) => {
  e.preventDefault();
  const out = document.getElementById("out");
  out.textContent = "";
  const q = encodeURIComponent(document.getElementById("q").value);
  const source = new EventSource(`/agents/support-agent/stream?question=${q}`);
  source.addEventListener("text", (m) => { out.textContent += JSON.parse(m.data).chunk; });
  source.addEventListener("tool_call", () => { out.textContent += " [searching…] "; });
  source.addEventListener("done", (m) => {
    const t = JSON.parse(m.data).trace || {};
    out.textContent += `\\n\\n${t.duration} ms · $${(t.totalCost || 0).toFixed(4)}`;
    source.close();  // otherwise EventSource reconnects and asks again
  });
  source.addEventListener("error", (m) => {
    if (m.data) out.textContent += `\\n[error] ${JSON.parse(m.data).message}`;
    source.close();
  });
};
</script>
"""


@app.get("/", response_class=HTMLResponse)
async def index() -> str:
    return PAGE


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=8000)
