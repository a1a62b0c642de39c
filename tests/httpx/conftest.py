"""Fixtures of the httpx clients' own tests.

``transport`` is narrowed to the two httpx clients, so the root ``make_client``
fixture (sync surface; the async client behind :class:`~tests.facade.SyncFacade`)
builds ``fruxon_httpx.FruxonClient`` and ``fruxon_httpx.AsyncFruxonClient``.
The root ``scripted_server`` fixture answers with raw bytes, for the byte-level cases.
"""

from __future__ import annotations

import pytest

HTTPX_TRANSPORTS = ["httpx", "httpx-async"]


@pytest.fixture(params=HTTPX_TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)
