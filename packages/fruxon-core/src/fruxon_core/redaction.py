"""One place that decides what of a request may be shown in logs, reprs and errors.

Headers are shown by allowlist: anything not known to be harmless (the API key,
``Authorization``, cookies, signatures a plugin adds, ...) is printed as
``REDACTED``. Every logger and repr in the SDK goes through these functions so
that a new secret-bearing header can never leak by being forgotten.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

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
