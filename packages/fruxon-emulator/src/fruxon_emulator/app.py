"""The HTTP surface: one low-level aiohttp handler in front of the routes.

A low-level `web.Server` (no aiohttp router) means every request — odd
methods, `%2F` in ids, `:verb` suffixes, garbage paths — reaches our
dispatcher, so every answer is problem+json and nothing reaches a 500 unless
a fault asked for it. Order per request: route match, count, authenticate,
check the key's scope for the route (403 `insufficient_scope`), read the
body (413; an `upload` route reads its multipart body itself), plan faults,
inject latency/status, run the handler.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time

from aiohttp import web

from .auth import authorize
from .config import TenantConfig
from .context import RequestContext
from .faults import FAULT_HEADER, FaultPlan, parse_fault_header, plan_faults
from .problems import ProblemError
from .replies import JsonReply, problem_reply, render_reply, send_truncated
from .routes import API_ROUTES
from .routes.control import CONTROL_PREFIX, control_reply
from .routing import API_PREFIX, ParsedPath, Route, match_route, parse_path
from .scopes import require_scope
from .state import EmulatorState

__all__ = ["EmulatorHandler", "create_web_server"]

logger = logging.getLogger("fruxon_emulator")
_READ_CHUNK = 64 * 1024


async def read_body(request: web.BaseRequest, limit: int) -> bytes:
    """The whole body, or a 413 as soon as it is known to exceed `limit`."""
    too_large = ProblemError(413, f"The request body exceeds {limit} bytes.")
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    chunks, size = [], 0
    try:
        async for chunk in request.content.iter_chunked(_READ_CHUNK):
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
    except web.RequestPayloadError as exc:  # e.g. Content-Encoding: gzip over garbage
        raise ProblemError(400, f"The request body could not be read: {exc}") from None
    return b"".join(chunks)


def _retry_after(plan: FaultPlan) -> dict[str, str]:
    """429 always says when to retry (default 1 s); other statuses only if asked."""
    seconds = plan.retry_after
    if seconds is None and plan.status == 429:
        seconds = 1
    if seconds is None:
        return {}
    if plan.retry_after_date:
        return {"Retry-After": email.utils.formatdate(time.time() + seconds, usegmt=True)}
    return {"Retry-After": str(seconds)}


class EmulatorHandler:
    """The whole emulator as an aiohttp low-level request handler."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    async def __call__(self, request: web.BaseRequest) -> web.StreamResponse:
        instance = request.raw_path.split("?", 1)[0]
        try:
            parsed = parse_path(request.raw_path)
            if parsed.segments[:1] == (CONTROL_PREFIX,):
                return render_reply(control_reply(self.state, request.method, parsed))
            return await self._serve_api(request, parsed)
        except ProblemError as problem:
            response = render_reply(problem_reply(problem, instance))
            if problem.status == 413 or not request.content.is_eof():
                response.force_close()  # an unread or broken body spoils the connection
            return response
        except (asyncio.CancelledError, ConnectionError):
            raise
        except Exception:
            logger.exception("unexpected error while serving %s %s", request.method, instance)
            detail = "The emulator hit an unexpected error; this is a bug."
            return render_reply(problem_reply(ProblemError(500, detail), instance))

    def _match(
        self, request: web.BaseRequest, parsed: ParsedPath
    ) -> tuple[str, tuple[Route, dict[str, str]] | ProblemError]:
        """The tenant and the route match (or the 404/405 to raise after auth)."""
        segments = parsed.segments
        if len(segments) < 3 or segments[:2] != API_PREFIX:
            self.state.stats.count_request("unmatched", None)
            raise ProblemError(404, "No such route.")
        rest = ParsedPath(segments[3:], parsed.verb)
        try:
            route, params = match_route(API_ROUTES, request.method, rest)
        except ProblemError as problem:
            self.state.stats.count_request("unmatched", None)
            return segments[2], problem
        self.state.stats.count_request(route.name, params.get("agent"))
        return segments[2], (route, dict(params))

    async def _serve_api(self, request: web.BaseRequest, parsed: ParsedPath) -> web.StreamResponse:
        tenant_id, matched = self._match(request, parsed)
        tenant, scopes = authorize(self.state.config, request.headers, tenant_id)
        if isinstance(matched, ProblemError):
            raise matched
        route, params = matched
        require_scope(route.scope, scopes)
        body = b"" if route.upload else await read_body(request, self.state.config.max_body_bytes)
        plan = self._fault_plan(request, tenant, route, params)
        if plan.latency_ms:
            await asyncio.sleep(plan.latency_ms / 1000)
        if plan.status is not None:
            self.state.stats.faults_injected += 1
            raise ProblemError(
                plan.status, "Injected fault.", code="emulator_fault", headers=_retry_after(plan)
            )
        context = RequestContext(request, self.state, tenant, route, params, body, plan)
        reply = await route.handler(context)
        if not isinstance(reply, JsonReply):
            return reply
        if plan.truncate:
            self.state.stats.faults_injected += 1
            return await send_truncated(request, reply)
        return render_reply(reply)

    def _fault_plan(
        self, request: web.BaseRequest, tenant: TenantConfig, route: Route, params: dict[str, str]
    ) -> FaultPlan:
        """Agent faults (run routes only) overridden key by key by the header."""
        settings: dict[str, str] = {}
        agent = self.state.config.agent(tenant.id, params.get("agent", ""))
        if route.runs_agent and agent is not None and agent.faults:
            settings.update(agent.faults)
            settings.setdefault("key", f"agent:{agent.id}")
        header = request.headers.get(FAULT_HEADER)
        if header is not None:
            settings.update(parse_fault_header(header))
        return self.state.fault_budget.admit(plan_faults(settings))


def create_web_server(state: EmulatorState) -> web.Server:
    """A low-level aiohttp server for `state`; run it with web.ServerRunner."""
    return web.Server(EmulatorHandler(state))
