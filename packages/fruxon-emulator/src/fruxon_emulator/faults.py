"""Fault injection: the `X-Fruxon-Emulator-Fault` grammar and its budget.

Grammar: `key=value; key=value` (keys in FAULT_KEYS). An agent's
`[agents.<id>.faults]` table uses the same keys and applies to its run routes;
the header wins key by key. `times=N` (with an optional `key=K`) limits the
failure faults to the first N requests sharing the key, which is how a test
gets "503 twice, then success"; latency and framing options always apply.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .problems import ProblemError

__all__ = [
    "FAULT_HEADER",
    "FAULT_KEYS",
    "FaultBudget",
    "FaultPlan",
    "parse_fault_header",
    "plan_faults",
]

FAULT_HEADER = "X-Fruxon-Emulator-Fault"

_INT_KEYS = (
    "latency_ms",
    "status",
    "retry_after",
    "times",
    "drop_after",
    "stall_after",
    "stall_ms",
    "keepalive_ms",
    "malformed_after",
    "error_after",
    "pacing_ms",
)
_FLAG_KEYS = ("retry_after_date", "truncate", "final_blank")
FAULT_KEYS = (*_INT_KEYS, *_FLAG_KEYS, "key", "framing")
_FAILURE_FIELDS = ("status", "drop_after", "stall_after", "malformed_after", "error_after")
_MAX_INT = 10**9


@dataclass(frozen=True)
class FaultPlan:
    """The faults that apply to one request, already validated."""

    latency_ms: int = 0
    status: int | None = None
    retry_after: int | None = None
    retry_after_date: bool = False
    times: int | None = None
    key: str | None = None
    drop_after: int | None = None
    stall_after: int | None = None
    stall_ms: int = 0
    keepalive_ms: int | None = None
    malformed_after: int | None = None
    error_after: int | None = None
    truncate: bool = False
    framing: str = "chunked"
    final_blank: bool = True
    pacing_ms: int | None = None

    @property
    def has_failure(self) -> bool:
        return self.truncate or any(getattr(self, name) is not None for name in _FAILURE_FIELDS)

    def without_failures(self) -> FaultPlan:
        cleared: dict[str, Any] = dict.fromkeys(_FAILURE_FIELDS)
        return dataclasses.replace(self, truncate=False, **cleared)


def parse_fault_header(text: str) -> dict[str, str]:
    """`latency_ms=50; status=503` → `{"latency_ms": "50", "status": "503"}`."""
    settings: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            _reject(f"expected key=value, got {part.strip()!r}")
        settings[name.strip().lower()] = value.strip()
    return settings


def _reject(message: str) -> None:
    raise ProblemError(400, f"Invalid {FAULT_HEADER}: {message}", errors={FAULT_HEADER: [message]})


def _int_value(name: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= _MAX_INT:
        _reject(f"{name} must be a non-negative integer, got {text!r}")
    return value


def _convert(name: str, text: str) -> Any:
    if name in _INT_KEYS:
        value = _int_value(name, text)
        if name == "status" and not 400 <= value <= 599:
            _reject(f"status must be between 400 and 599, got {text!r}")
        return value
    if name in _FLAG_KEYS:
        if text not in ("0", "1", "true", "false"):
            _reject(f"{name} must be 0 or 1, got {text!r}")
        return text in ("1", "true")
    if name == "framing" and text not in ("chunked", "close"):
        _reject(f"framing must be chunked or close, got {text!r}")
    return text


def plan_faults(settings: Mapping[str, str]) -> FaultPlan:
    """Validate merged settings into a plan; unknown keys are a 400."""
    values: dict[str, Any] = {}
    for name, text in settings.items():
        if name not in FAULT_KEYS:
            _reject(f"unknown fault key {name!r} (known: {', '.join(FAULT_KEYS)})")
        values[name] = _convert(name, text)
    if "key" not in values and "times" in values:
        values["key"] = "; ".join(f"{k}={v}" for k, v in sorted(settings.items()))
    return FaultPlan(**values)


class FaultBudget:
    """Counts how often each `key` has failed, for `times=N`."""

    def __init__(self) -> None:
        self._spent: Counter[str] = Counter()

    def admit(self, plan: FaultPlan) -> FaultPlan:
        """The plan itself while its budget lasts, then the plan minus failures."""
        if plan.times is None or not plan.has_failure:
            return plan
        key = plan.key or ""
        if self._spent[key] >= plan.times:
            return plan.without_failures()
        self._spent[key] += 1
        return plan

    def reset(self) -> None:
        self._spent.clear()
