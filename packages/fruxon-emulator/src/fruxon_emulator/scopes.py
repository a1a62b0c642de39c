"""API-key scopes: which scope each route family needs, and the 403 that says so.

A tenant's plain `api_keys` may do everything. Keys listed under
`scoped_api_keys` carry an explicit list of scopes; a request whose route
needs a scope the key lacks gets 403 problem+json with the members the 2.0.2
client turns into `InsufficientScopeError`:
`{"error": "insufficient_scope", "required": "<scope>", "granted": [...]}`.

The platform's real scope names are mostly not published, so these are the
emulator's own: one per route family, kept small. The one the platform is
known to use is `assets:write` for `POST /storage`; `assets:read` for
downloads is named after it.

* `agents:read`: `GET agents`, `GET agents/{a}`, a revision's parameters,
  execution records (list, record, trace, tree, result), approvals (list, get);
* `agents:execute`: `:execute`, `:stream`, their revision routes, `:test`,
  `:streamTest`, draft runs, and stopping runs (`:cancelRun`, `:cancelWait`);
* `approvals:write`: answering or cancelling an approval request (`:respond`,
  `:cancel`): deciding a gated action is a privilege of its own, which a key
  that may run the agent need not have;
* `assets:read`: downloading a stored file (`GET storage/{id}`);
* `assets:write`: uploading one (`POST storage`);
* `integrations:read`: `GET integrations`, `GET integrations/{i}`,
  `GET …/tools`, `GET …/tools/{t}`;
* `integrations:write`: creating and updating integrations and tools,
  deleting tools, `:verifyConfig`, `tools:test`, `tools:run`.

Each route's scope is set beside its path in `routes.API_ROUTES`.
"""

from __future__ import annotations

from collections.abc import Sequence

from .problems import ProblemError

__all__ = [
    "AGENTS_EXECUTE",
    "AGENTS_READ",
    "APPROVALS_WRITE",
    "ASSETS_READ",
    "ASSETS_WRITE",
    "INTEGRATIONS_READ",
    "INTEGRATIONS_WRITE",
    "SCOPES",
    "require_scope",
]

AGENTS_READ = "agents:read"
AGENTS_EXECUTE = "agents:execute"
APPROVALS_WRITE = "approvals:write"
ASSETS_READ = "assets:read"
ASSETS_WRITE = "assets:write"
INTEGRATIONS_READ = "integrations:read"
INTEGRATIONS_WRITE = "integrations:write"

#: Every scope a route can require; a scoped key may only list these.
SCOPES = (
    AGENTS_READ,
    AGENTS_EXECUTE,
    APPROVALS_WRITE,
    ASSETS_READ,
    ASSETS_WRITE,
    INTEGRATIONS_READ,
    INTEGRATIONS_WRITE,
)


def require_scope(required: str, granted: Sequence[str] | None) -> None:
    """Pass when the key may use the route (`granted` None means a full-access key).

    Otherwise raise the 403 `insufficient_scope` problem, with the RFC 6750
    `WWW-Authenticate` challenge naming the missing scope.
    """
    if granted is None or required in granted:
        return
    raise ProblemError(
        403,
        f"This API key lacks the {required!r} scope this operation needs.",
        headers={
            "WWW-Authenticate": (
                f'Bearer realm="fruxon-emulator", error="insufficient_scope", scope="{required}"'
            )
        },
        extensions={"error": "insufficient_scope", "required": required, "granted": list(granted)},
    )
