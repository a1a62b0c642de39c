"""Past and running executions: the list, a record, its trace envelope, its
result and its execution tree.

`GET …/executionRecords` is newest first and paged like every list. Its
filters, all optional (repeated keys or comma-separated values where a list
is allowed):

* `status` (list): IN_PROGRESS, WAITING_FOR_ASYNC, COMPLETED, FAILED,
  CANCELLED, REJECTED;
* `agentRevision` (list; `revision` is accepted too), `sessionId`,
  `environment` (the environment slug), `runType` (list), `triggerType`
  (list), `triggerId`, `participantId` (list; emulated runs have none);
* `origin`: PRODUCTION (the default, as on the platform) or TEST;
* `startTime`, `endTime`: epoch milliseconds or ISO 8601; a record matches
  when it started in `[startTime, endTime)`;
* `minDurationMs`, `maxDurationMs`: finished records only;
* `hasToolCalls=true`, `withToolErrors=true`, `tools` (list of
  `integrationId.toolId`);
* `query`: text in the run's parameters or result; needs `startTime` with a
  window of at most 31 days (otherwise 400), as on the platform.

Any unknown value of an enumerated filter is a 400 naming the valid ones.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from fruxon_emulator.context import RequestContext
from fruxon_emulator.lifecycle import now_ms
from fruxon_emulator.pagination import list_page
from fruxon_emulator.problems import ProblemError
from fruxon_emulator.replies import JsonReply
from fruxon_emulator.store import StoredRecord
from fruxon_emulator.traces import (
    RECORD_STATUSES,
    execution_tree,
    record_result,
    trace_envelope,
)

__all__ = [
    "get_record",
    "get_record_result",
    "get_record_trace",
    "get_record_tree",
    "list_records",
    "stored_record",
]

ORIGINS = ("PRODUCTION", "TEST")
RUN_TYPES = ("ROOT", "SUB_TASK", "CONSULT")
_QUERY_WINDOW_MS = 31 * 24 * 60 * 60 * 1000
Predicate = Callable[[StoredRecord], bool]


def stored_record(ctx: RequestContext) -> StoredRecord:
    """The path's record of the path's agent (after expiring overdue waits), or 404."""
    agent = ctx.agent()
    ctx.state.lifecycle.expire_due()
    record_id = ctx.params["record"]
    stored = ctx.state.store.find(ctx.tenant.id, agent.id, record_id)
    if stored is None:
        raise ProblemError(404, f"Execution record {record_id!r} of agent {agent.id!r} not found.")
    return stored


def _bad(name: str, message: str) -> ProblemError:
    return ProblemError(
        400, f"The {name} filter is not valid: {message}.", errors={name: [message]}
    )


def _values(ctx: RequestContext, *names: str) -> list[str]:
    """Every value of a list filter: repeated keys, each possibly comma-separated."""
    return [
        part.strip()
        for value in ctx.query_values(*names)
        for part in value.split(",")
        if part.strip()
    ]


def _one(ctx: RequestContext, name: str) -> str | None:
    values = ctx.query_values(name)
    return values[0].strip() if values and values[0].strip() else None


def _enum(ctx: RequestContext, name: str, valid: tuple[str, ...]) -> set[str]:
    chosen = {value.upper() for value in _values(ctx, name)}
    unknown = sorted(chosen - set(valid))
    if unknown:
        raise _bad(name, f"{unknown[0]!r} could not be converted (valid: {', '.join(valid)})")
    return chosen


def _integer(name: str, text: str) -> int:
    body = text[1:] if text.startswith("-") else text
    if not (body.isascii() and body.isdigit()) or len(body) > 18:
        raise _bad(name, f"{text!r} is not an integer")
    return int(text)


def _time(ctx: RequestContext, name: str) -> int | None:
    """Epoch milliseconds, or an ISO 8601 instant (naive means UTC)."""
    text = _one(ctx, name)
    if text is None:
        return None
    if text.isascii() and text.isdigit():
        return _integer(name, text)
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise _bad(name, f"{text!r} is neither epoch milliseconds nor ISO 8601") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return int(moment.timestamp() * 1000)


def _flag(ctx: RequestContext, name: str) -> bool:
    text = _one(ctx, name)
    if text is None or text.lower() == "false":
        return False
    if text.lower() == "true":
        return True
    raise _bad(name, f"{text!r} is not true or false")


def _steps(trace: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    pending = list(trace.get("traces", []))
    while pending:
        step = pending.pop()
        yield step
        pending.extend(step.get("steps", []))


def _tool_keys(stored: StoredRecord, *, failed: bool = False) -> set[str]:
    keys = set()
    for step in _steps(stored.trace):
        if step.get("type") != "TOOL" or (failed and step.get("status") != "ERROR"):
            continue
        tool = step.get("toolTrace", {}).get("tool", {})
        keys.add(f"{tool.get('integrationId', '')}.{tool.get('id', '')}")
    return keys


def _duration(stored: StoredRecord) -> int | None:
    end = stored.record.get("endTime")
    return None if end is None else int(end) - int(stored.record["startTime"])


def _text_of(stored: StoredRecord) -> str:
    result = stored.trace.get("result", {})
    return json.dumps([stored.trace.get("parameters", {}), result], ensure_ascii=False).lower()


def _field_is(field: str, wanted: str) -> Predicate:
    return lambda stored: stored.record.get(field) == wanted


def _duration_within(bound: int, lower: bool) -> Predicate:
    def test(stored: StoredRecord) -> bool:
        duration = _duration(stored)
        if duration is None:
            return False
        return duration >= bound if lower else duration <= bound

    return test


def _predicates(ctx: RequestContext) -> list[Predicate]:
    tests: list[Predicate] = []
    statuses = _enum(ctx, "status", RECORD_STATUSES)
    if statuses:
        tests.append(lambda s: s.record["status"] in statuses)
    origins = _enum(ctx, "origin", ORIGINS) or {"PRODUCTION"}
    tests.append(lambda s: s.record.get("origin", "PRODUCTION") in origins)
    names = ("agentRevision", "revision")
    revisions = {_integer(names[0], value) for value in _values(ctx, *names)}
    if revisions:
        tests.append(lambda s: s.record["agentRevision"] in revisions)
    for name, field in (("sessionId", "sessionId"), ("environment", "environmentSlug")):
        wanted = _one(ctx, name)
        if wanted is not None:
            tests.append(_field_is(field, wanted))
    run_types = _enum(ctx, "runType", RUN_TYPES)
    if run_types:
        tests.append(lambda s: s.record.get("runType") in run_types)
    triggers = {value.upper() for value in _values(ctx, "triggerType")}
    if triggers:
        tests.append(lambda s: str(s.record.get("trigger", {}).get("type", "")) in triggers)
    trigger_id = _one(ctx, "triggerId")
    if trigger_id is not None:
        tests.append(lambda s: s.record.get("trigger", {}).get("id") == trigger_id)
    if _values(ctx, "participantId"):
        tests.append(lambda s: False)  # emulated runs never involve a participant
    start, end = _time(ctx, "startTime"), _time(ctx, "endTime")
    if start is not None:
        tests.append(lambda s: s.record["startTime"] >= start)
    if end is not None:
        tests.append(lambda s: s.record["startTime"] < end)
    for name, lower in (("minDurationMs", True), ("maxDurationMs", False)):
        bound_text = _one(ctx, name)
        if bound_text is not None:
            bound = _integer(name, bound_text)
            tests.append(_duration_within(bound, lower))
    if _flag(ctx, "hasToolCalls"):
        tests.append(lambda s: bool(_tool_keys(s)))
    if _flag(ctx, "withToolErrors"):
        tests.append(lambda s: bool(_tool_keys(s, failed=True)))
    tools = set(_values(ctx, "tools"))
    if tools:
        tests.append(lambda s: bool(_tool_keys(s) & tools))
    text = (_one(ctx, "query") or "").lower()
    if text:
        if start is None:
            raise _bad("query", "needs startTime")
        if (end if end is not None else now_ms()) - start > _QUERY_WINDOW_MS:
            raise _bad("query", "needs a startTime..endTime window of at most 31 days")
        tests.append(lambda s: text in _text_of(s))
    return tests


async def list_records(ctx: RequestContext) -> JsonReply:
    agent = ctx.agent()
    ctx.state.lifecycle.expire_due()
    tests = _predicates(ctx)
    matching = [
        stored.record
        for stored in ctx.state.store.records(ctx.tenant.id, agent.id)
        if all(test(stored) for test in tests)
    ]
    return JsonReply(200, list_page(ctx, matching))


async def get_record(ctx: RequestContext) -> JsonReply:
    return JsonReply(200, stored_record(ctx).record)


async def get_record_trace(ctx: RequestContext) -> JsonReply:
    stored = stored_record(ctx)
    return JsonReply(200, trace_envelope(stored.record, stored.trace))


async def get_record_result(ctx: RequestContext) -> JsonReply:
    stored = stored_record(ctx)
    return JsonReply(200, record_result(stored.record, stored.trace))


async def get_record_tree(ctx: RequestContext) -> JsonReply:
    return JsonReply(200, execution_tree(stored_record(ctx).record, now_ms()))
