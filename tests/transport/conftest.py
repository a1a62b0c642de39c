"""Fixtures of the transport contract suite: a client of each transport for a scripted server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import ClientFactory
from tests.transport.scripted_http import ScriptedServer

ClientFor = Callable[..., Any]


@pytest.fixture
def client_for(make_client: ClientFactory) -> ClientFor:
    """``client_for(server, **options)``: a client of the current transport for ``server``.

    No retries unless asked for, so each test sees exactly what one attempt does.
    """

    def build(server: ScriptedServer, **options: Any) -> Any:
        options.setdefault("timeout", 10.0)
        options.setdefault("max_retries", 0)
        return make_client(base_url=server.base_url, **options)

    return build
