"""fruxon-core must stay I/O-free: importing it loads no network or event-loop module."""

from __future__ import annotations

import json
import subprocess
import sys

import fruxon_core

FORBIDDEN = ("socket", "ssl", "asyncio", "urllib.request", "http.client", "requests", "aiohttp")


def test_import_loads_no_io_modules():
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys, fruxon_core; print(json.dumps(sorted(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    loaded = set(json.loads(completed.stdout))
    assert "fruxon_core" in loaded
    assert "fruxon_core.pipeline" in loaded
    assert sorted(loaded.intersection(FORBIDDEN)) == []


def test_public_names_are_exported():
    for name in fruxon_core.__all__:
        assert hasattr(fruxon_core, name), name
    assert len(set(fruxon_core.__all__)) == len(fruxon_core.__all__)
