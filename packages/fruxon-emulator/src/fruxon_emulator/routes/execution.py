"""Running agents: `:execute`, `:stream`, their revision-pinned siblings,
`:test`/`:streamTest` with an inline flow, and the official 2.0.2 SDK's draft
routes. Every path funnels into one RunPlan so validation, sessions,
persistence and run counting behave identically across them.

A run is stored IN_PROGRESS when it starts and settled (COMPLETED, paused,
CANCELLED, FAILED) by `lifecycle` when it ends, so a paced run can be seen
running and stopped with `:cancelRun`: a stream then ends with
`status CANCELLED` + `error {code: "run_cancelled"}`, and `:execute` answers
409 `run_cancelled`.

An agent with a `file_parameter` reads a stored file named by that
parameter (a prompt link or a file id) or, without it, by the first
`attachments` item (a FileLink object: `fileId` or `promptLink`; a bare
string also works). Its name, size and type become template values.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from fruxon_emulator.agents import AgentDefinition, ParameterSpec
from fruxon_emulator.context import RequestContext
from fruxon_emulator.events import RUN_CANCELLED, SseEvent, cancelled_event, done_event, run_events
from fruxon_emulator.files import file_id_of
from fruxon_emulator.lifecycle import LiveRun, now_ms
from fruxon_emulator.parameters import resolve_parameters, specs_from_metadata
from fruxon_emulator.problems import ProblemError
from fruxon_emulator.replies import JsonReply
from fruxon_emulator.routes.agents import revision_number
from fruxon_emulator.scripts import AgentRun, RunInput, run_script
from fruxon_emulator.sessions import Turn
from fruxon_emulator.streaming import EventStream, StreamOutcome
from fruxon_emulator.traces import execution_response
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
    attachments: list[Any] | None = None


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
    attachments = errors.optional(body, "attachments", list)
    errors.optional(body, "chatUser", dict)
    session_id = errors.optional(body, "sessionId", str)
    slug = errors.optional(body, "environmentSlug", str)
    if slug is not None and len(slug) > 64:
        errors.add("environmentSlug", "must be at most 64 characters")
    mode = errors.optional(body, "mode", str)
    if mode is not None and mode.upper() not in MODES:
        errors.add("mode", f"could not be converted (valid: {', '.join(MODES)})")
    return ExecutionRequest(parameters, session_id or None, slug, attachments)


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


def _file_reference(item: Any) -> Any:
    if isinstance(item, Mapping):
        return item.get("fileId") or item.get("promptLink")
    return item


def _file_context(
    ctx: RequestContext, plan: RunPlan, parameters: Mapping[str, Any]
) -> dict[str, Any]:
    """The template values of the stored file a `file_parameter` agent reads."""
    name = plan.agent.script.file_parameter
    if name is None:
        return {}
    references: list[tuple[str, Any]] = []
    if parameters.get(name) is not None:
        references.append((f"parameters.{name}", parameters[name]))
    for index, item in enumerate(plan.request.attachments or []):
        references.append((f"attachments[{index}]", _file_reference(item)))
    if not references:
        raise ProblemError(
            422,
            f"Agent {plan.agent.id!r} needs a file: the {name!r} parameter or an attachment.",
            errors={f"parameters.{name}": ["is required (or send the file in attachments)"]},
        )
    bad = {
        field: ["must be a prompt link or a file id"]
        for field, reference in references
        if not isinstance(reference, str) or not reference.strip()
    }
    if bad:
        raise ProblemError(400, "A file reference is not a prompt link or file id.", errors=bad)
    found = []
    for field, reference in references:
        stored = ctx.state.files.get(ctx.tenant.id, file_id_of(reference), now_ms())
        if stored is None:
            raise ProblemError(
                422, f"No stored file {reference!r}.", errors={field: ["no such file"]}
            )
        found.append(stored)
    first = found[0]
    return {
        "file_name": first.display_name,
        "file_size": first.size,
        "file_content_type": first.content_type,
        "file_type": first.file_type,
        "file_id": first.id,
        "file_count": len(found),
    }


def _start_run(ctx: RequestContext, plan: RunPlan) -> tuple[AgentRun, LiveRun]:
    """Validate, run the script once, store the record IN_PROGRESS and count the run."""
    if plan.origin == "PRODUCTION" and not plan.agent.enabled:
        raise ProblemError(409, f"Agent {plan.agent.id!r} is disabled.", code="agent_disabled")
    parameters = resolve_parameters(plan.specs, plan.request.parameters)
    extra = _file_context(ctx, plan, parameters)
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
        _pacing_ms(ctx, plan.agent),
        extra,
    )
    run = run_script(run_input, int(time.time() * 1000))
    live = state.lifecycle.begin(tenant, run)
    state.sessions.append(
        tenant, session_id, Turn(run_input.input_text, run.response, run.record_id)
    )
    state.stats.count_run(plan.agent.id)
    return run, live


def _pacing_ms(ctx: RequestContext, agent: AgentDefinition) -> int:
    """The fault header's pacing, else the agent's own, else the server's default."""
    if ctx.faults.pacing_ms is not None:
        return ctx.faults.pacing_ms
    if agent.script.pacing_ms is not None:
        return agent.script.pacing_ms
    return ctx.state.default_pacing_ms


async def _reply_with_result(ctx: RequestContext, plan: RunPlan) -> JsonReply:
    async def produce() -> JsonReply:
        run, live = _start_run(ctx, plan)
        lifecycle = ctx.state.lifecycle
        try:
            cancelled = await live.sleep(run.input.pacing_ms * max(len(run.chunks) - 1, 0))
        except BaseException:
            lifecycle.forget(run.record_id)
            raise
        if cancelled:
            lifecycle.stop(run)
            raise ProblemError(
                409, f"Run {run.record_id!r} was cancelled before it finished.", code=RUN_CANCELLED
            )
        trace = lifecycle.finish(ctx.tenant.id, run)
        return JsonReply(200, execution_response(run, trace))

    return await ctx.idempotent(produce)


async def _reply_with_stream(ctx: RequestContext, plan: RunPlan) -> web.StreamResponse:
    run, live = _start_run(ctx, plan)
    lifecycle, tenant = ctx.state.lifecycle, ctx.tenant.id
    stream = EventStream(ctx.request, ctx.faults, ctx.state.stats)
    # Diagnostic only: lets tests find the record of a stream that ends without `done`.
    stream.response.headers[RECORD_ID_HEADER] = run.record_id

    def terminal() -> SseEvent:
        if live.cancel_requested:
            lifecycle.stop(run)
            return cancelled_event()
        return done_event(run, lifecycle.finish(tenant, run))

    events = run_events(run, run.input.pacing_ms, lambda: live.cancel_requested)
    try:
        outcome = await stream.deliver(events, terminal)
    except BaseException:
        lifecycle.forget(run.record_id)
        raise
    if outcome is StreamOutcome.FAILED:
        lifecycle.fail(run.record_id, "The stream ended with an injected error.")
    else:
        lifecycle.settle(tenant, run)  # a client that left early: the run ends all the same
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
