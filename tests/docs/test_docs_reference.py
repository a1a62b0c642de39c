"""The API reference (docs/reference/*.md) covers every public name of the four libraries.

A name in a package's ``__all__`` is covered when the module that defines it
is rendered by a ``::: module`` directive (one without ``members: false``),
or when it is the rendered object itself. So a new public class in a module
nobody added to the reference fails here, not silently in the docs.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path
from types import ModuleType

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
PACKAGES = ["fruxon_core", "fruxon_requests", "fruxon_aiohttp", "fruxon_httpx", "fruxon_emulator"]


def _rendered_targets() -> tuple[set[str], set[str]]:
    """(targets whose members are rendered, every target) across the reference pages."""
    with_members: set[str] = set()
    every: set[str] = set()
    for page in sorted((DOCS / "reference").glob("*.md")):
        blocks = re.split(r"^::: ", page.read_text(encoding="utf-8"), flags=re.MULTILINE)[1:]
        for block in blocks:
            target, _, options = block.partition("\n")
            target = target.strip()
            every.add(target)
            head = options.split("\n\n", 1)[0]
            if not re.search(r"^\s+members:\s*false\s*$", head, flags=re.MULTILINE):
                with_members.add(target)
    return with_members, every


def _covered(package: str, name: str, obj: object, modules: set[str], targets: set[str]) -> bool:
    if isinstance(obj, ModuleType):
        return obj.__name__ in modules
    defined_in = getattr(obj, "__module__", None)
    if (inspect.isclass(obj) or inspect.isfunction(obj)) and defined_in:
        qualname = f"{defined_in}.{obj.__qualname__}"
        if defined_in.split(".")[0] in PACKAGES:
            return defined_in in modules or qualname in targets
    # constants and instances (``hookimpl``, ``__version__``): a rendered module holds them
    return any(
        name in vars(importlib.import_module(module))
        for module in modules
        if module.split(".")[0] == package and _is_module(module)
    )


def _is_module(path: str) -> bool:
    try:
        importlib.import_module(path)
    except ImportError:
        return False
    return True


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_is_in_the_reference(package: str) -> None:
    modules, targets = _rendered_targets()
    module = importlib.import_module(package)
    missing = [
        name
        for name in module.__all__
        if name != "__version__"
        and not _covered(package, name, getattr(module, name), modules, targets)
    ]
    assert missing == [], f"add these to docs/reference/*.md: {missing}"


def test_reference_targets_all_exist() -> None:
    _, targets = _rendered_targets()
    for target in targets:
        parts = target.split(".")
        for cut in range(len(parts), 0, -1):
            if _is_module(".".join(parts[:cut])):
                obj: object = importlib.import_module(".".join(parts[:cut]))
                for part in parts[cut:]:
                    obj = getattr(obj, part)
                break
        else:
            pytest.fail(f"{target} does not exist")
