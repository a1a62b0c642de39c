"""Shared helpers for the fruxon-core tests: spec payload fixtures and an offline pipeline."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from fruxon_core.client_setup import build_pipeline
from fruxon_core.events import ResultCollector, StreamEvent
from fruxon_core.pipeline import Pipeline

FIXTURES = Path(__file__).parent / "fixtures"

API_KEY = "fxn_secret"


@pytest.fixture
def load_fixture() -> Callable[[str], bytes]:
    """Raw bytes of ``fixtures/<name>`` (e.g. ``"agent.json"`` or ``"events/done.json"``)."""

    def load(name: str) -> bytes:
        return (FIXTURES / name).read_bytes()

    return load


@pytest.fixture
def load_json() -> Callable[[str], Any]:
    """Parsed JSON of ``fixtures/<name>``."""

    def load(name: str) -> Any:
        return json.loads((FIXTURES / name).read_text("utf-8"))

    return load


@pytest.fixture
def make_pipeline() -> Callable[..., Pipeline]:
    """A sync, offline pipeline for org ``acme corp``; keyword arguments override defaults."""

    def make(**overrides: Any) -> Pipeline:
        options: dict[str, Any] = {
            "api_key": API_KEY,
            "org": "acme corp",
            "transport": "test",
            "transport_version": "1",
            "is_async": False,
            "load_entrypoints": False,
        }
        options.update(overrides)
        return build_pipeline(**options)

    return make


def add_all(collector: ResultCollector, events: Iterable[StreamEvent]) -> None:
    """Add each event, as a client stream does with every event before yielding it."""
    for event in events:
        collector.add(event)
