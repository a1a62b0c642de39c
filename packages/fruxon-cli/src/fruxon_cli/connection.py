"""Opening a client: credentials from flags/environment, or the bundled emulator."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

from .config import ConnectionOptions, Credentials, parse_headers, resolve_credentials
from .render.consoles import error_console
from .state import cli_state

if TYPE_CHECKING:
    from fruxon_requests import FruxonClient

__all__ = ["connect"]


@contextmanager
def connect(ctx: Any, options: ConnectionOptions) -> Iterator[FruxonClient]:
    """A client for this command; with ``--emulator`` one started just for it."""
    # Imported here so that --help, --version and `emulator serve` skip requests.
    from fruxon_requests import FruxonClient

    state = cli_state(ctx)
    merged = options.over(state.root)
    headers = parse_headers(merged.headers)
    with ExitStack() as stack:
        if merged.emulator:
            credentials = _start_emulator(stack)
        else:
            credentials = resolve_credentials(merged, os.environ)
        state.secret = credentials.api_key
        client = FruxonClient(
            credentials.api_key,
            credentials.org,
            credentials.base_url,
            timeout=state.timeout,
            max_retries=state.max_retries,
            default_headers=headers or None,
        )
        yield stack.enter_context(client)


def _start_emulator(stack: ExitStack) -> Credentials:
    # Imported here: only --emulator pays for aiohttp and the emulator itself.
    from fruxon_emulator import EmulatorServer

    server = stack.enter_context(EmulatorServer())
    error_console().print(
        f"[dim]Using the bundled emulator at {server.base_url} (org {server.org})[/dim]"
    )
    return Credentials(api_key=server.api_key, org=server.org, base_url=server.base_url)
