"""Every ```python block of the quickstarts runs, in page order, against a fresh emulator.

Conventions (the pages say so too), applied to the text of each block:

* ``api_key="..."`` is the reader's key: replaced with the emulator's;
* ``org="acme-corp"`` is the emulator's primary tenant already;
* the public API hosts (``https://api.fruxon.com``, ``https://api.staging.fruxon.com``)
  become the emulator's URL, and a client constructed without ``base_url=``
  gets ``base_url=<emulator>`` added as its first keyword;
* ``FRUXON_API_KEY`` / ``FRUXON_ORG`` are set in the environment, for the
  snippet that reads them.

The blocks of one page share a namespace, like a reader typing them into one
session. A block with top-level ``await`` runs on the page's event loop (the
async page's snippets are "inside your async function", as in
``python -m asyncio``); any other block runs as plain code, so a complete
program calling ``asyncio.run(main())`` works too.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fruxon_emulator import EmulatorServer

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = ["quickstart-sync.md", "quickstart-async.md"]
PUBLIC_HOSTS = ("https://api.staging.fruxon.com", "https://api.fruxon.com")
_FENCE = re.compile(r"^```python[^\n]*\n(?P<code>.*?)^```", re.DOTALL | re.MULTILINE)
_CONSTRUCTOR = re.compile(r"\b(?:Async)?FruxonClient\(")


@dataclass
class Block:
    page: str
    line: int
    code: str

    def __str__(self) -> str:
        return f"{self.page}:{self.line}"


def python_blocks(page: str) -> list[Block]:
    text = (DOCS / page).read_text(encoding="utf-8")
    return [
        Block(page, text.count("\n", 0, match.start()) + 1, match["code"])
        for match in _FENCE.finditer(text)
    ]


def _call_arguments(code: str, open_paren: int) -> str:
    depth = 0
    for index in range(open_paren, len(code)):
        depth += {"(": 1, ")": -1}.get(code[index], 0)
        if depth == 0:
            return code[open_paren + 1 : index]
    raise AssertionError("unbalanced parentheses in a docs snippet")


def point_at_emulator(code: str, emulator: EmulatorServer) -> str:
    """Apply the conventions of the module docstring to one block."""
    code = code.replace('api_key="..."', f'api_key="{emulator.api_key}"')
    for host in PUBLIC_HOSTS:
        code = code.replace(f'"{host}"', f'"{emulator.base_url}"')
    pieces, position = [], 0
    for match in _CONSTRUCTOR.finditer(code):
        paren = match.end() - 1
        pieces.append(code[position : match.end()])
        if "base_url" not in _call_arguments(code, paren):
            pieces.append(f'base_url="{emulator.base_url}", ')
        position = match.end()
    pieces.append(code[position:])
    return "".join(pieces)


def run_page(page: str, emulator: EmulatorServer) -> list[tuple[Block, str]]:
    """Execute the page's blocks in order; returns each block with what it printed."""
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    loop = asyncio.new_event_loop()
    outputs: list[tuple[Block, str]] = []
    try:
        for block in python_blocks(page):
            code = compile(
                point_at_emulator(block.code, emulator),
                str(block),
                "exec",
                flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
            )
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                try:
                    if code.co_flags & inspect.CO_COROUTINE:
                        loop.run_until_complete(eval(code, namespace))
                    else:
                        exec(code, namespace)
                except BaseException as exc:
                    raise AssertionError(f"{block} raised {exc!r}\n{block.code}") from exc
            outputs.append((block, printed.getvalue()))
        _close_clients(namespace, loop)
    finally:
        loop.close()
    return outputs


def _close_clients(namespace: dict[str, Any], loop: asyncio.AbstractEventLoop) -> None:
    """Close what the page left open, as a reader's process exit would."""
    for value in list(namespace.values()):
        close = getattr(value, "close", None)
        if type(value).__name__ not in ("FruxonClient", "AsyncFruxonClient") or close is None:
            continue
        result = close()
        if inspect.isawaitable(result):
            loop.run_until_complete(result)


@pytest.fixture
def docs_emulator(
    fruxon_emulator_factory: Callable[..., EmulatorServer], monkeypatch: pytest.MonkeyPatch
) -> EmulatorServer:
    """A fresh emulator per page: the pages create integrations and tools."""
    emulator = fruxon_emulator_factory()
    monkeypatch.setenv("FRUXON_API_KEY", emulator.api_key)
    monkeypatch.setenv("FRUXON_ORG", emulator.org)
    return emulator


#: Text each page's output must contain, in order: proof the snippets did real work.
EXPECTED = [
    '[rev 3] Turn 1: I found 3 knowledge-base articles about "How do I reset my password?"',
    "ms · $0.",
    'Turn 2: Following up on "What\'s your return policy?"',
    "[tool call]",
    "[done]",
    "[kb_search]",
    "2 [rev 2]",
    "support-agent Support Agent 3",
    "['question']",
    "Agent not found in this organization.",
]


@pytest.mark.parametrize("page", PAGES)
def test_every_quickstart_block_runs(page: str, docs_emulator: EmulatorServer) -> None:
    outputs = run_page(page, docs_emulator)

    assert len(outputs) >= 15, "a quickstart lost its examples"
    for block, printed in outputs:
        if "print(" in block.code:
            assert printed.strip(), f"{block} printed nothing"
    everything = "".join(printed for _, printed in outputs)
    position = 0
    for expected in EXPECTED:
        found = everything.find(expected, position)
        assert found >= 0, f"{page}: expected {expected!r} after position {position}"
        position = found
    assert "Traceback" not in everything


def test_both_quickstarts_cover_the_same_sections() -> None:
    """The async page mirrors the sync one, section by section."""

    def headings(page: str) -> list[str]:
        text = (DOCS / page).read_text(encoding="utf-8")
        return [line for line in text.splitlines() if line.startswith("## ")]

    assert headings("quickstart-sync.md") == headings("quickstart-async.md")


def test_conventions_leave_explicit_arguments_alone(fruxon_emulator: EmulatorServer) -> None:
    code = 'FruxonClient(api_key="...", org="acme-corp", base_url="https://api.fruxon.com")'
    rewritten = point_at_emulator(code, fruxon_emulator)
    assert rewritten.count("base_url=") == 1
    assert fruxon_emulator.base_url in rewritten
    assert fruxon_emulator.api_key in rewritten
    nested = "AsyncFruxonClient(api_key=os.environ['K'], org=f(x))"
    assert point_at_emulator(nested, fruxon_emulator).startswith(
        f'AsyncFruxonClient(base_url="{fruxon_emulator.base_url}", api_key=os.environ'
    )
