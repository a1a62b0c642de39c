"""Running agents: `:execute`, `:stream`, their revision-pinned siblings,
the seed `:test`/`:streamTest` with an inline flow, and the 2.0.2 draft
routes. Every path funnels into one RunPlan so validation, sessions,
persistence and run counting behave identically across them.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from fruxon_emulator.agents import AgentDefinition, ParameterSpec
from fruxon_emulator.context import RequestContext
from fruxon_emulator.events import done_event, run_events
from fruxon_emulator.parameters import resolve_parameters, specs_from_metadata
from fruxon_emulator.problems import ProblemError
from fruxon_emulator.replies import JsonReply
from fruxon_emulator.routes.agents import revision_number
from fruxon_emulator.scripts import AgentRun, RunInput, run_script
from fruxon_emulator.sessions import Turn
from fruxon_emulator.streaming import EventStream, StreamOutcome
from fruxon_emulator.traces import execution_record, execution_response, execution_trace
from fruxon_emulator.validation import FieldErrors

__all__ = [
    "draft_stream_test",
    "draft_test",
    "execute_agent",
    "execute_revision",
    "stream_agent",
    "stream_revision",
    "stream_test_agent",
    "test_agent",
]

MODES = ("UNSPECIFIED", "PRODUCTION", "SANDBOX")
RECORD_ID_HEADER = "X-Fruxon-Emulator-Record-Id"
DRAFT_REVISION = -1  # what the platform reports as agentRevision for draft runs


@dataclass(frozen=True)
class ExecutionRequest:
    parameters: Mapping[str, Any] | None = None
    session_id: str | None = None
    environment_slug: str | None = None


@dataclass(frozen=True)
class RunPlan:
    agent: AgentDefinition
    revision: int
    reported_revision: int
    specs: tuple[ParameterSpec, ...]
    origin: str
    request: ExecutionRequest


def _read_execution_fields(errors: FieldErrors, body: Mapping[str, Any]) -> ExecutionRequest:
    parameters = errors.optional(body, "parameters", dict)
    errors.optional(body, "attachments", list)
    errors.optional(body, "chatUser", dict)
    session_id = errors.optional(body, "sessionId", str)
    slug = errors.optional(body, "environmentSlug", str)
    if slug is not None and len(slug) > 64:
        errors.add("environmentSlug", "must be at most 64 characters")
    mode = errors.optional(body, "mode", str)
    if mode is not None and mode.upper() not in MODES:
        errors.add("mode", f"could not be converted (valid: {', '.join(MODES)})")
    return ExecutionRequest(parameters, session_id or None, slug)


def _parse_execution_request(ctx: RequestContext) -> ExecutionRequest:
    errors = FieldErrors()
    request = _read_execution_fields(errors, ctx.json_body())
    errors.raise_if_any()
    return request


def _step_kind(step: Any) -> str:
    if isinstance(step, Mapping):
        for name in ("type", "kind", "stepType"):
            if isinstance(step.get(name), str):
                return str(step[name]).upper()
    return ""


def _check_flow(flow: Mapping[str, Any]) -> None:
    """An inline flow needs exactly one ENTRY_POINT and one EXIT_POINT step."""
    steps = flow.get("steps", flow.get("nodes"))
    if not isinstance(steps, list):
        raise ProblemError(
            400,
            "The flow has no steps array.",
            errors={"flow.steps": ["must be an array of steps"]},
        )
    kinds = [_step_kind(step) for step in steps]
    problems = [
        f"must contain exactly one {kind} step (found {kinds.count(kind)})"
        for kind in ("ENTRY_POINT", "EXIT_POINT")
        if kinds.count(kind) != 1
    ]
    if problems:
        raise ProblemError(400, "The flow is invalid.", errors={"flow.steps": problems})


def _parse_test_request(ctx: RequestContext) -> tuple[ExecutionRequest, list[Any] | None]:
    body = ctx.json_body()
    errors = FieldErrors()
    request = _read_execution_fields(errors, body)
    flow = errors.required(body, "flow", dict)
    metadata = errors.optional(body, "parametersMetadata", list)
    errors.optional(body, "baseRevision", int)
    errors.raise_if_any()
    _check_flow(flow)
    return request, metadata


def _start_run(ctx: RequestContext, plan: RunPlan) -> tuple[AgentRun, dict[str, Any]]:
    """Validate, run the script once, persist the record and count the run."""
    if plan.origin == "PRODUCTION" and not plan.agent.enabled:
        raise ProblemError(409, f"Agent {plan.agent.id!r} is disabled.", code="agent_disabled")
    parameters = resolve_parameters(plan.specs, plan.request.parameters)
    tenant, state = ctx.tenant.id, ctx.state
    session_id = plan.request.session_id or str(uuid.uuid4())
    run_input = RunInput(
        tenant,
        plan.agent,
        plan.revision,
        plan.reported_revision,
        parameters,
        session_id,
        state.sessions.history(tenant, session_id),
        plan.origin,
        plan.request.environment_slug,
    )
    run = run_script(run_input, int(time.time() * 1000))
    trace = execution_trace(run)
    state.store.save(tenant, execution_record(run), trace)
    state.sessions.append(
        tenant, session_id, Turn(run_input.input_text, run.response, run.record_id)
    )
    state.stats.count_run(plan.agent.id)
    return run, trace


def _pacing_ms(ctx: RequestContext, agent: AgentDefinition) -> int:
    override = ctx.faults.pacing_ms
    return agent.script.pacing_ms if override is None else override


async def _reply_with_result(ctx: RequestContext, plan: RunPlan) -> JsonReply:
    async def produce() -> JsonReply:
        run, trace = _start_run(ctx, plan)
        pause_ms = _pacing_ms(ctx, plan.agent) * max(len(run.chunks) - 1, 0)
        if pause_ms:
            await asyncio.sleep(pause_ms / 1000)
        return JsonReply(200, execution_response(run, trace))

    return await ctx.idempotent(produce)


async def _reply_with_stream(ctx: RequestContext, plan: RunPlan) -> web.StreamResponse:
    run, trace = _start_run(ctx, plan)
    stream = EventStream(ctx.request, ctx.faults, ctx.state.stats)
    # Diagnostic only: lets tests find the record of a stream that ends without `done`.
    stream.response.headers[RECORD_ID_HEADER] = run.record_id
    events = run_events(run, _pacing_ms(ctx, plan.agent))
    outcome = await stream.deliver(events, done_event(run, trace))
    if outcome is StreamOutcome.FAILED:
        ctx.state.store.mark_failed(run.record_id, "The stream ended with an injected error.")
    return stream.response


def _deployed_plan(ctx: RequestContext, pinned: bool) -> RunPlan:
    agent = ctx.agent()
    revision = revision_number(agent, ctx.params["revision"]) if pinned else agent.current_revision
    request = _parse_execution_request(ctx)
    return RunPlan(agent, revision, revision, agent.parameters, "PRODUCTION", request)


def _test_plan(ctx: RequestContext) -> RunPlan:
    agent = ctx.agent()
    request, metadata = _parse_test_request(ctx)
    specs = agent.parameters if metadata is None else specs_from_metadata(metadata)
    return RunPlan(agent, agent.current_revision, DRAFT_REVISION, specs, "TEST", request)


def _draft_plan(ctx: RequestContext) -> RunPlan:
    agent = ctx.agent()
    revision = revision_number(agent, ctx.params["revision"])
    if_match = ctx.request.headers.get("If-Match")
    if if_match is not None and not (if_match.isascii() and if_match.strip().isdigit()):
        raise ProblemError(
            400,
            "If-Match must be a draft version number.",
            errors={"If-Match": ["must be an integer"]},
        )
    request = _parse_execution_request(ctx)
    return RunPlan(agent, revision, DRAFT_REVISION, agent.parameters, "TEST", request)


async def execute_agent(ctx: RequestContext) -> JsonReply:
    return await _reply_with_result(ctx, _deployed_plan(ctx, pinned=False))


async def execute_revision(ctx: RequestContext) -> JsonReply:
    return await _reply_with_result(ctx, _deployed_plan(ctx, pinned=True))


async def stream_agent(ctx: RequestContext) -> web.StreamResponse:
    return await _reply_with_stream(ctx, _deployed_plan(ctx, pinned=False))


async def stream_revision(ctx: RequestContext) -> web.StreamResponse:
    return await _reply_with_stream(ctx, _deployed_plan(ctx, pinned=True))


async def test_agent(ctx: RequestContext) -> JsonReply:
    return await _reply_with_result(ctx, _test_plan(ctx))


async def stream_test_agent(ctx: RequestContext) -> web.StreamResponse:
    return await _reply_with_stream(ctx, _test_plan(ctx))


async def draft_test(ctx: RequestContext) -> JsonReply:
    return await _reply_with_result(ctx, _draft_plan(ctx))


async def draft_stream_test(ctx: RequestContext) -> web.StreamResponse:
    return await _reply_with_stream(ctx, _draft_plan(ctx))
