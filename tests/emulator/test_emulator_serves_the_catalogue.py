"""Core's operation catalogue and the emulator's route table name the same API.

Every endpoint in ``fruxon_core.ENDPOINTS`` must be served by the emulator (so
the conformance suite can exercise it offline), and every emulator route must
be in the catalogue or listed below as served by the emulator alone, with why.
Path parameter names may differ (``{record_id}`` / ``{record}``).
"""

from __future__ import annotations

import re

from fruxon_core import ENDPOINTS
from fruxon_emulator.routes import API_ROUTES

#: Routes the emulator serves that no SDK operation calls, and why they exist.
EMULATOR_ONLY = {
    "POST /agents/{}/revisions/{}/draft:test": "the current API's draft test run (2.0.2)",
    "POST /agents/{}/revisions/{}/draft:streamTest": "its streaming form (2.0.2)",
    "POST /integrations/{}/tools:run": "2.0.2's tool run, for the official client",
    "GET /agents/{}/pendingApprovals": (
        "one agent's approvals as official 0.9.18-0.15 listed them; the SDK, like 2.0.2, "
        "lists /pendingApprovals?agentId="
    ),
    "GET /agents/{}/executionRecords/{}:trace": "the seed-era (0.5.8) official client's trace",
    "GET /agents/{}/revisions/{}:parameters": ("the seed-era (0.5.8) official client's parameters"),
}


def _shape(method: str, path: str) -> str:
    return f"{method} /{re.sub(r'{[^}]+}', '{}', path.lstrip('/'))}"


CATALOGUE = {_shape(endpoint.method, endpoint.path) for endpoint in ENDPOINTS.values()}
SERVED = {_shape(route.method, route.template) for route in API_ROUTES}


def test_every_catalogue_endpoint_is_served() -> None:
    assert sorted(CATALOGUE - SERVED) == []


def test_every_route_is_in_the_catalogue_or_marked_emulator_only() -> None:
    assert sorted(SERVED - CATALOGUE - set(EMULATOR_ONLY)) == []


def test_emulator_only_marks_are_not_stale() -> None:
    assert sorted(set(EMULATOR_ONLY) - SERVED) == []
    assert sorted(set(EMULATOR_ONLY) & CATALOGUE) == []
