"""problem+json (RFC 7807): the one shape every emulator error takes.

Handlers raise ProblemError and the dispatcher renders it, so no code path
builds an error body by hand and the wire contract (`type, title, status,
detail, instance`, plus `errors` on 400, `code` on 409 and the
`error, required, granted` members of a 403 `insufficient_scope`) holds
everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

__all__ = [
    "PROBLEM_CONTENT_TYPE",
    "ProblemError",
    "problem_title",
]

PROBLEM_CONTENT_TYPE = "application/problem+json"
_TYPE_PREFIX = "urn:fruxon-emulator:problem:"


def problem_title(status: int) -> str:
    """The standard reason phrase; fault-injected odd codes get a generic one."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class ProblemError(Exception):
    """An HTTP error answered as problem+json.

    `errors` is the ASP.NET-style validation map `{field: [messages]}`; a 400
    always carries one (the whole-body field is `$`), as does a 422. A 409
    always carries a machine `code`. `extensions` are further top-level
    members (RFC 7807 extension members), e.g. `error`/`required`/`granted`.
    """

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: Mapping[str, list[str]] | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {detail}")
        self.status = status
        self.detail = detail
        self.errors = dict(errors) if errors else None
        if self.errors is None and status == 400:
            self.errors = {"$": [detail]}
        self.code = code if code is not None or status != 409 else "conflict"
        self.headers = dict(headers or {})
        self.extensions = dict(extensions or {})

    def body(self, instance: str) -> dict[str, Any]:
        title = problem_title(self.status)
        body: dict[str, Any] = {
            "type": _TYPE_PREFIX + title.lower().replace(" ", "-"),
            "title": title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
        }
        if self.errors is not None:
            body["errors"] = self.errors
        if self.code is not None:
            body["code"] = self.code
        for name, value in self.extensions.items():
            body.setdefault(name, value)
        return body
