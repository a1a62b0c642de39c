"""`/_emulator/*`: counters, reset and a health probe, outside the API
prefix and without auth so harnesses can read them with plain curl."""

from __future__ import annotations

from typing import Any

from fruxon_emulator.problems import ProblemError
from fruxon_emulator.replies import JsonReply
from fruxon_emulator.routing import ParsedPath
from fruxon_emulator.state import EmulatorState

__all__ = ["CONTROL_PREFIX", "control_reply"]

CONTROL_PREFIX = "_emulator"
_METHODS = {"stats": "GET", "reset": "POST", "health": "GET"}


def control_reply(state: EmulatorState, method: str, parsed: ParsedPath) -> JsonReply:
    """Answer `GET /_emulator/stats`, `POST /_emulator/reset`, `GET /_emulator/health`."""
    name = parsed.segments[1] if len(parsed.segments) == 2 and parsed.verb is None else ""
    allowed = _METHODS.get(name)
    if allowed is None:
        raise ProblemError(404, "No such emulator control route.")
    if method != allowed:
        raise ProblemError(405, f"Method {method} is not allowed here.", headers={"Allow": allowed})
    payload: dict[str, Any]
    if name == "stats":
        payload = state.snapshot()
    elif name == "reset":
        state.reset()
        payload = {"status": "reset"}
    else:
        payload = {"status": "ok"}
    return JsonReply(200, payload)
