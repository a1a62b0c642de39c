"""Path matching for Google-style routes (`/agents/{agent}:execute`).

aiohttp's router would match on a decoded path, where an agent id holding an
encoded `/` or `:` changes the route. Here the raw path is split first, the
`:verb` suffix is cut from the last raw segment (clients never encode it),
and only then is every segment percent-decoded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote

from aiohttp import web

from .problems import ProblemError
from .replies import JsonReply

if TYPE_CHECKING:
    from .context import RequestContext

__all__ = ["API_PREFIX", "Handler", "ParsedPath", "Route", "match_route", "parse_path"]

API_PREFIX = ("v1", "tenants")

Reply = JsonReply | web.StreamResponse
Handler = Callable[["RequestContext"], Awaitable[Reply]]


@dataclass(frozen=True)
class ParsedPath:
    segments: tuple[str, ...]
    verb: str | None


def parse_path(raw_path: str) -> ParsedPath:
    """Split a raw request path into decoded segments and a `:verb`."""
    path = raw_path.split("?", 1)[0].split("#", 1)[0]
    raw_segments = path.strip("/").split("/") if path.strip("/") else []
    verb = None
    if raw_segments and ":" in raw_segments[-1]:
        raw_segments[-1], verb = raw_segments[-1].rsplit(":", 1)
    return ParsedPath(tuple(unquote(segment) for segment in raw_segments), verb)


@dataclass(frozen=True)
class Route:
    """One operation; `template` is relative to `/v1/tenants/{tenant}/`.

    `scope` is what a scoped API key needs to use it (see `scopes`);
    `purpose` says in one line what it is for. `runs_agent` routes get the
    agent's configured faults. An `upload` route reads its own (multipart)
    body, bounded by `max_upload_bytes` instead of `max_body_bytes`.
    """

    method: str
    template: str
    handler: Handler
    scope: str
    runs_agent: bool = False
    purpose: str = ""
    upload: bool = False

    @property
    def name(self) -> str:
        return f"{self.method} /v1/tenants/{{tenant}}/{self.template}"

    def pattern(self) -> tuple[tuple[str, ...], str | None]:
        path, _, verb = self.template.partition(":")
        return tuple(path.split("/")), verb or None

    def bind(self, parsed: ParsedPath) -> dict[str, str] | None:
        """Path parameters if `parsed` fits this route's shape, else None."""
        segments, verb = self.pattern()
        if verb != parsed.verb or len(segments) != len(parsed.segments):
            return None
        params: dict[str, str] = {}
        for expected, actual in zip(segments, parsed.segments, strict=True):
            if expected.startswith("{"):
                params[expected[1:-1]] = actual
            elif expected != actual:
                return None
        return params


def match_route(
    routes: Sequence[Route], method: str, parsed: ParsedPath
) -> tuple[Route, Mapping[str, str]]:
    """Find the route; 404 when no shape fits, 405 when only the method is off."""
    allowed = []
    for route in routes:
        params = route.bind(parsed)
        if params is None:
            continue
        if route.method == method:
            return route, params
        allowed.append(route.method)
    if allowed:
        raise ProblemError(
            405,
            f"Method {method} is not allowed here.",
            headers={"Allow": ", ".join(sorted(set(allowed)))},
        )
    raise ProblemError(404, "No such route.")
