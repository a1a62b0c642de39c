"""Request-body checks that turn bad input into 400s with a field map.

The emulator must never answer 500 to a malformed request; every parse goes
through these helpers, which collect per-field messages the way ASP.NET's
ValidationProblemDetails does (`{"errors": {"sessionId": ["must be a string"]}}`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .problems import ProblemError

__all__ = ["FieldErrors", "parse_json_object"]

_KIND_NAMES: Mapping[type, str] = {
    str: "a string",
    dict: "an object",
    list: "an array",
    bool: "a boolean",
    int: "an integer",
}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json_object(body: bytes) -> dict[str, Any]:
    """Decode a JSON object body; an empty body counts as `{}`."""
    if not body.strip():
        return {}
    try:
        value = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProblemError(
            400, "The request body is not valid JSON.", errors={"$": [str(exc)]}
        ) from None
    if not isinstance(value, dict):
        raise ProblemError(400, "The request body must be a JSON object.")
    return value


class FieldErrors:
    """Collects field problems so one 400 reports all of them at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def optional(self, body: Mapping[str, Any], field: str, kind: type) -> Any:
        """The field's value if present and of `kind` (null counts as absent)."""
        value = body.get(field)
        if value is None:
            return None
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.add(field, f"must be {_KIND_NAMES.get(kind, kind.__name__)}")
            return None
        return value

    def required(self, body: Mapping[str, Any], field: str, kind: type) -> Any:
        value = self.optional(body, field, kind)
        if value is None and field not in self.errors:
            self.add(field, "is required")
        elif kind is str and value == "":
            self.add(field, "must not be empty")
            return None
        return value

    def string_list(self, body: Mapping[str, Any], field: str) -> list[str] | None:
        value = self.optional(body, field, list)
        if value is not None and not all(isinstance(item, str) for item in value):
            self.add(field, "must be an array of strings")
            return None
        strings: list[str] | None = value
        return strings

    def raise_if_any(self, detail: str = "The request body failed validation.") -> None:
        if self.errors:
            raise ProblemError(400, detail, errors=self.errors)
