"""Human approvals: list, get, answer and cancel the approval
requests that paused runs wait on.

An approval request (the ListPage items and every single answer):

    {id, status, gateType, stepIdentifier, toolKey, outboundMessage,
     proposedParameters, authorizedApprovers, expiresAt, decision, agentId,
     respondedBy, respondedAt, createdAt, executionRecordId}

`id` is the run's `humanApprovalRequestId`; `status` PENDING, RESPONDED,
CANCELLED or EXPIRED; `decision` "" until answered, then APPROVE or REJECT;
`expiresAt` and `respondedAt` are epoch ms, 0 for "none"/"not yet";
`executionRecordId` (the paused run) is the emulator's addition.

* Lists take `status` (repeated or comma-separated; none means every
  status) and, tenant-wide, `agentId` (an unknown agent gives an empty list);
  newest first, paged like every list.
* `:respond {text}`: text starting with "approve" approves (the run resumes
  and completes), anything else rejects (the run ends REJECTED).
  `respondedBy` is the `X-Fruxon-Actor` header, else "api-key".
* `:cancel {reason?}`: the request is CANCELLED and so is its run.
* Answering or cancelling a request that is not PENDING is 409
  `approval_not_pending`.
"""

from __future__ import annotations

from fruxon_emulator.context import RequestContext
from fruxon_emulator.pagination import list_page
from fruxon_emulator.problems import ProblemError
from fruxon_emulator.replies import JsonReply
from fruxon_emulator.routes.run_control import read_reason
from fruxon_emulator.validation import FieldErrors
from fruxon_emulator.waits import APPROVAL_STATUSES, Wait

__all__ = [
    "cancel_approval",
    "get_approval",
    "list_agent_approvals",
    "list_pending_approvals",
    "respond_approval",
]

ACTOR_HEADER = "X-Fruxon-Actor"
_DEFAULT_ACTOR = "api-key"
_MAX_ACTOR = 200
_MAX_TEXT = 10_000


def _statuses(ctx: RequestContext) -> list[str]:
    chosen = [
        part.strip().upper()
        for value in ctx.query_values("status")
        for part in value.split(",")
        if part.strip()
    ]
    unknown = [status for status in chosen if status not in APPROVAL_STATUSES]
    if unknown:
        message = f"{unknown[0]!r} could not be converted (valid: {', '.join(APPROVAL_STATUSES)})"
        raise ProblemError(
            400, f"The status filter is not valid: {message}.", errors={"status": [message]}
        )
    return chosen


def _page(ctx: RequestContext, agent_id: str | None) -> JsonReply:
    ctx.state.lifecycle.expire_due()
    statuses = _statuses(ctx)
    waits = ctx.state.waits.approvals(ctx.tenant.id, agent_id, statuses)
    return JsonReply(200, list_page(ctx, [wait.body for wait in waits]))


def _approval(ctx: RequestContext) -> Wait:
    agent = ctx.agent()
    ctx.state.lifecycle.expire_due()
    approval_id = ctx.params["approval"]
    wait = ctx.state.waits.get(ctx.tenant.id, approval_id)
    if wait is None or wait.kind != "APPROVAL" or wait.agent_id != agent.id:
        raise ProblemError(
            404, f"Approval request {approval_id!r} of agent {agent.id!r} not found."
        )
    return wait


def _actor(ctx: RequestContext) -> str:
    actor = ctx.request.headers.get(ACTOR_HEADER, "").strip()
    return actor[:_MAX_ACTOR] or _DEFAULT_ACTOR


async def list_pending_approvals(ctx: RequestContext) -> JsonReply:
    agent_ids = ctx.query_values("agentId")
    return _page(ctx, agent_ids[0] if agent_ids and agent_ids[0] else None)


async def list_agent_approvals(ctx: RequestContext) -> JsonReply:
    return _page(ctx, ctx.agent().id)


async def get_approval(ctx: RequestContext) -> JsonReply:
    return JsonReply(200, _approval(ctx).body)


async def respond_approval(ctx: RequestContext) -> JsonReply:
    errors = FieldErrors()
    text = errors.required(ctx.json_body(), "text", str)
    if isinstance(text, str) and not text.strip():
        errors.add("text", "must not be blank")
    elif isinstance(text, str) and len(text) > _MAX_TEXT:
        errors.add("text", f"must be at most {_MAX_TEXT} characters")
    errors.raise_if_any()
    wait = _approval(ctx)
    return JsonReply(200, ctx.state.lifecycle.respond(wait, str(text), _actor(ctx)).body)


async def cancel_approval(ctx: RequestContext) -> JsonReply:
    reason = read_reason(ctx)
    wait = _approval(ctx)
    return JsonReply(200, ctx.state.lifecycle.cancel_approval(wait, reason).body)
