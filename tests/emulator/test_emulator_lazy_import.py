"""An installed but unused emulator plugin costs a test run nothing: no aiohttp, no server.

pytest imports ``fruxon_emulator.pytest_plugin`` (entry point ``pytest11``) in
every run of every project that has the emulator installed; the package
imports its public names on first use only.
"""

from __future__ import annotations

import subprocess
import sys

import fruxon_emulator


def test_loading_the_plugin_imports_neither_aiohttp_nor_the_server() -> None:
    code = (
        "import sys, fruxon_emulator.pytest_plugin; "
        "print(sorted(m for m in ('aiohttp', 'fruxon_emulator.server', 'fruxon_emulator.app') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_public_name_is_importable_lazily() -> None:
    assert set(fruxon_emulator.__all__) - {"__version__"} == set(fruxon_emulator._LAZY)
    for name in fruxon_emulator.__all__:
        assert getattr(fruxon_emulator, name) is not None
    assert "EmulatorServer" in dir(fruxon_emulator)
