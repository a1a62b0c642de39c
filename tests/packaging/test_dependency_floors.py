""".ci/requirements-min.txt pins exactly the lowest versions the package pyprojects allow.

``.ci/min-deps`` runs the transport, client and conformance suites on those
pins, so a floor raised (or lowered) in a pyproject without the pin moving
would leave the floor untested; this test makes that impossible.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
OURS = {
    "fruxon-core",
    "fruxon-requests",
    "fruxon-aiohttp",
    "fruxon-httpx",
    "fruxon-emulator",
    "fruxon-cli",
}
#: The runtime dependencies the min-deps job is about (the CLI's typer/rich are not).
CHECKED = {"aiohttp", "httpx", "msgspec", "pluggy", "requests", "sseclient-py", "urllib3"}


def _floors() -> dict[str, str]:
    floors: dict[str, str] = {}
    for pyproject in sorted(ROOT.glob("packages/*/pyproject.toml")):
        for requirement in tomllib.loads(pyproject.read_text())["project"]["dependencies"]:
            match = re.match(r"^([A-Za-z0-9_.-]+)\s*>=\s*([0-9.]+)", requirement)
            if match and match[1] in CHECKED:
                name, version = match[1], match[2]
                current = floors.get(name)
                if current is None or _key(version) > _key(current):
                    floors[name] = version
    return floors


def _key(version: str) -> tuple[int, ...]:
    parts = [int(part) for part in version.split(".")]
    while parts and parts[-1] == 0:  # 3.9 == 3.9.0
        parts.pop()
    return tuple(parts)


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / ".ci/requirements-min.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[name] = version
    return pins


def test_every_floor_is_pinned_at_its_lowest_version() -> None:
    floors = _floors()
    assert set(floors) == CHECKED
    pins = _pins()
    assert {name: _key(version) for name, version in pins.items()} == {
        name: _key(version) for name, version in floors.items()
    }
