"""What a route handler gets: the authenticated tenant, path parameters,
the raw body, the request's fault plan and shortcuts to shared state."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .agents import AgentDefinition
from .config import TenantConfig
from .faults import FaultPlan
from .idempotency import IDEMPOTENCY_HEADER, request_fingerprint
from .problems import ProblemError
from .replies import JsonReply
from .routing import Route
from .state import EmulatorState
from .validation import parse_json_object

__all__ = ["RequestContext"]

_MAX_IDEMPOTENCY_KEY = 255


@dataclass
class RequestContext:
    request: web.BaseRequest
    state: EmulatorState
    tenant: TenantConfig
    route: Route
    params: Mapping[str, str]
    body: bytes
    faults: FaultPlan
    _json: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def instance(self) -> str:
        return self.request.raw_path.split("?", 1)[0]

    def json_body(self) -> dict[str, Any]:
        if self._json is None:
            self._json = parse_json_object(self.body)
        return self._json

    def agent(self) -> AgentDefinition:
        agent_id = self.params["agent"]
        agent = self.state.config.agent(self.tenant.id, agent_id)
        if agent is None:
            raise ProblemError(404, f"Agent {agent_id!r} not found.")
        return agent

    def query_values(self, *names: str) -> list[str]:
        """All values of the first spelling present (`pageToken`/`page_token`)."""
        for name in names:
            values = self.request.query.getall(name, [])
            if values:
                return list(values)
        return []

    async def idempotent(self, produce: Callable[[], Awaitable[JsonReply]]) -> JsonReply:
        """Run `produce` once per Idempotency-Key; repeats get the first reply."""
        key = self.request.headers.get(IDEMPOTENCY_HEADER)
        if not key:
            return await produce()
        if len(key) > _MAX_IDEMPOTENCY_KEY:
            raise ProblemError(
                400,
                f"{IDEMPOTENCY_HEADER} is longer than 255 characters.",
                errors={IDEMPOTENCY_HEADER: ["at most 255 characters"]},
            )
        fingerprint = request_fingerprint(self.request.method, self.instance, self.body)
        reply, replayed = await self.state.idempotency.run(
            (self.tenant.id, key), fingerprint, produce
        )
        if not replayed:
            return reply
        self.state.stats.idempotent_replays += 1
        return reply.with_headers({"Idempotent-Replayed": "true"})
