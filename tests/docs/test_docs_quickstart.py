"""The quickstarts' blocks, run in page order against a fresh emulator, do real work.

``test_docs_snippets.py`` runs every block of every page; this test adds what
the two quickstarts must show between them: the output of each step, in
order. The conventions (key and host substitutions, top-level ``await``) are
those of ``docs_snippets.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from docs_snippets import DOCS, Block, python_blocks, run_blocks

from fruxon_emulator import EmulatorServer

PAGES = ["quickstart-sync.md", "quickstart-async.md"]


def run_page(page: str, emulator: EmulatorServer) -> list[tuple[Block, str]]:
    """Execute the page's blocks in order, in one namespace."""
    return run_blocks(python_blocks(page), emulator)


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
