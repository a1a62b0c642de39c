"""One place that decides what of a request may be shown in logs, reprs and errors.

Headers are shown by allowlist: anything not known to be harmless (the API key,
``Authorization``, cookies, signatures a plugin adds, ...) is printed as
``REDACTED``. Every logger and repr in the SDK goes through these functions so
that a new secret-bearing header can never leak by being forgotten.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, quote_plus, urlsplit, urlunsplit

REDACTED = "REDACTED"

#: Headers whose values are safe to print (compared case-insensitively).
SAFE_HEADERS: frozenset[str] = frozenset(
    {
        "accept",
        "accept-encoding",
        "cache-control",
        "connection",
        "content-encoding",
        "content-length",
        "content-type",
        "date",
        "idempotency-key",
        "retry-after",
        "server",
        "transfer-encoding",
        "user-agent",
        "x-request-id",
        "request-id",
        "x-correlation-id",
        "traceparent",
    }
)


#: Query parameters whose values are safe to print: the SDK's own filters and paging.
SAFE_QUERY_PARAMS: frozenset[str] = frozenset(
    {
        "query",
        "search",
        "tags",
        "types",
        "has_configs",
        "has_triggers",
        "has_channels",
        "pagesize",
        "pagetoken",
    }
)


def redact_headers(headers: Mapping[str, str], *, allow: Iterable[str] = ()) -> dict[str, str]:
    """Return a copy of ``headers`` with every value not on the allowlist replaced."""
    allowed = SAFE_HEADERS | {name.lower() for name in allow}
    return {
        name: (value if name.lower() in allowed else REDACTED) for name, value in headers.items()
    }


def mask_secret(value: str) -> str:
    """A fixed-width stand-in for a secret: never reveals length or any character."""
    return "**********" if value else ""


def scrub_secrets(text: str, secrets: Iterable[str]) -> str:
    """Remove any occurrence of the given secrets from free text (e.g. an echoed error body)."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, REDACTED)
    return text


def redact_url(url: str, *, allow_query: Iterable[str] = ()) -> str:
    """``url`` with user info and every query value not on the allowlist replaced.

    Used wherever a full URL leaves the SDK (telemetry attributes, logs), so a
    token a proxy or plugin put into the query string is never exported.
    """
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}:{REDACTED}@{netloc.rpartition('@')[2]}"
    query = parts.query
    if query:
        allowed = SAFE_QUERY_PARAMS | {name.lower() for name in allow_query}
        query = "&".join(
            f"{quote_plus(name)}={quote_plus(value) if name.lower() in allowed else REDACTED}"
            for name, value in parse_qsl(query, keep_blank_values=True)
        )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
