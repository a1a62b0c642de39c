"""The API reference (docs/reference/*.md) covers every public name of the four libraries.

A name in a package's ``__all__`` is covered when a ``::: target`` directive of
a reference page renders that very object (any import path naming it, e.g.
``fruxon_core.ExecutionResult``), when a rendered module lists it among its
members, or when a hand-written section carries its anchor (``[](){#fruxon_requests.FruxonClient}``
on the client page). So a new public class nobody added to the reference fails
here, not silently in the docs.

Directives name objects by public import paths only (no ``_private`` module,
and for the client packages only ``package.Name``): the modules behind them
may move, the public names stay.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

DOCS = Path(__file__).resolve().parents[2] / "docs"
PACKAGES = ["fruxon_core", "fruxon_requests", "fruxon_aiohttp", "fruxon_httpx", "fruxon_emulator"]
CLIENT_PACKAGES = ("fruxon_requests", "fruxon_aiohttp", "fruxon_httpx")
_ANCHOR = re.compile(r"\[\]\(\)\{#(?P<id>[\w.]+)\}")


@dataclass
class Directive:
    page: str
    target: str
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def members(self) -> list[str] | bool | None:
        members: list[str] | bool | None = self.options.get("members")
        return members


def directives() -> list[Directive]:
    found = []
    for page in sorted((DOCS / "reference").glob("*.md")):
        text = page.read_text(encoding="utf-8")
        for match in re.finditer(r"^::: (?P<target>\S+)\n(?P<options>(?:    .*\n)*)", text, re.M):
            options_text = "\n".join(line[4:] for line in match["options"].splitlines())
            options = (yaml.safe_load(options_text) or {}).get("options", {})
            found.append(Directive(page.name, match["target"], options or {}))
    return found


def anchors() -> set[str]:
    return {
        match["id"]
        for page in (DOCS / "reference").glob("*.md")
        for match in _ANCHOR.finditer(page.read_text(encoding="utf-8"))
    }


def resolve(target: str) -> Any:
    parts = target.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            obj = getattr(obj, part)
        return obj
    raise LookupError(target)


def _covered(package: str, name: str, found: list[Directive], ids: set[str]) -> bool:
    if f"{package}.{name}" in ids:
        return True
    obj = getattr(importlib.import_module(package), name)
    for directive in found:
        rendered = resolve(directive.target)
        if rendered is obj and (
            isinstance(obj, ModuleType) or directive.target.rsplit(".", 1)[-1] == name
        ):
            return True
        members = directive.members
        if isinstance(rendered, ModuleType) and members is not False:
            listed = members if isinstance(members, list) else list(vars(rendered))
            if name in listed and getattr(rendered, name, None) is obj:
                return True
    return False


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_is_in_the_reference(package: str) -> None:
    found, ids = directives(), anchors()
    module = importlib.import_module(package)
    missing = [
        name
        for name in module.__all__
        if name != "__version__" and not _covered(package, name, found, ids)
    ]
    assert missing == [], f"add these to docs/reference/*.md: {missing}"


def test_reference_targets_all_exist() -> None:
    for directive in directives():
        resolve(directive.target)  # raises for a name that does not exist


def test_reference_targets_are_public_import_paths() -> None:
    for directive in directives():
        parts = directive.target.split(".")
        assert not any(part.startswith("_") for part in parts), directive
        if parts[0] in CLIENT_PACKAGES:
            assert len(parts) == 2, f"{directive}: use {parts[0]}.{parts[-1]}"


def test_each_topic_page_stays_a_page() -> None:
    """The reference was once one page of everything; no topic page grows back into that."""
    counts: dict[str, int] = {}
    for directive in directives():
        counts[directive.page] = counts.get(directive.page, 0) + 1
    assert len(counts) >= 8, counts
    assert max(counts.values()) <= 30, counts
