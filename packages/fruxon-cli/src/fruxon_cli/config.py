"""Where the API key, org and base URL come from.

Order: the command's own flag, then the same flag on the root command
(``fruxon --org acme run …``), then ``FRUXON_API_KEY`` / ``FRUXON_ORG`` /
``FRUXON_BASE_URL``. ``--emulator`` replaces all three with the bundled
emulator's. Nothing is read from or written to disk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from fruxon_core.config import DEFAULT_BASE_URL

from .errors import CliError, ExitCode

__all__ = [
    "ENV_API_KEY",
    "ENV_BASE_URL",
    "ENV_ORG",
    "ConnectionOptions",
    "Credentials",
    "parse_headers",
    "resolve_credentials",
]

ENV_API_KEY = "FRUXON_API_KEY"
ENV_ORG = "FRUXON_ORG"
ENV_BASE_URL = "FRUXON_BASE_URL"


@dataclass(frozen=True)
class ConnectionOptions:
    """The connection flags of one command line (``None`` = not given)."""

    api_key: str | None = None
    org: str | None = None
    base_url: str | None = None
    headers: tuple[str, ...] = ()
    emulator: bool = False

    def over(self, fallback: ConnectionOptions) -> ConnectionOptions:
        """These options, with anything not given taken from ``fallback`` (the root's)."""
        return ConnectionOptions(
            api_key=self.api_key or fallback.api_key,
            org=self.org or fallback.org,
            base_url=self.base_url or fallback.base_url,
            headers=(*fallback.headers, *self.headers),
            emulator=self.emulator or fallback.emulator,
        )


@dataclass(frozen=True)
class Credentials:
    """What a client needs to talk to one organization."""

    api_key: str = field(repr=False)
    org: str
    base_url: str


def resolve_credentials(options: ConnectionOptions, environ: Mapping[str, str]) -> Credentials:
    """Flags over environment; a missing key or org is an auth error (exit 10)."""
    api_key = options.api_key or environ.get(ENV_API_KEY, "")
    org = options.org or environ.get(ENV_ORG, "")
    base_url = options.base_url or environ.get(ENV_BASE_URL, "") or DEFAULT_BASE_URL
    missing = [
        text
        for value, text in (
            (api_key, f"an API key (--api-key or {ENV_API_KEY})"),
            (org, f"an organization (--org or {ENV_ORG})"),
        )
        if not value
    ]
    if missing:
        raise CliError(
            f"missing {' and '.join(missing)}; or try --emulator to use the bundled emulator",
            ExitCode.AUTH,
        )
    return Credentials(api_key=api_key, org=org, base_url=base_url.rstrip("/"))


def parse_headers(values: Sequence[str]) -> dict[str, str]:
    """``--header 'Name: value'`` items as a dict (later wins)."""
    headers: dict[str, str] = {}
    for value in values:
        name, sep, content = value.partition(":")
        if not sep or not name.strip():
            raise CliError(f"--header expects NAME:VALUE, got {value!r}", ExitCode.USAGE)
        headers[name.strip()] = content.strip()
    return headers
