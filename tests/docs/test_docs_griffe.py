"""The docs' griffe extension: doctest examples render as code, Sphinx roles as links."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import markdown
import pytest

EXTENSION = Path(__file__).resolve().parents[2] / "docs" / "_griffe" / "sphinx_roles.py"


@pytest.fixture(scope="module")
def extension() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_griffe_sphinx_roles", EXTENSION)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _html(text: str) -> str:
    return markdown.markdown(text, extensions=["pymdownx.superfences", "pymdownx.highlight"])


DOCSTRING = """\
fruxon-requests: the synchronous client.

>>> from fruxon_requests import FruxonClient
>>> client = FruxonClient(api_key="...", org="acme-corp")  # doctest: +SKIP
>>> for chunk in client.stream_text("echo-agent"):  # doctest: +SKIP
...     print(chunk)
Echo (turn 1): hi

More prose.
"""


def test_doctest_lines_become_one_code_block(extension: ModuleType) -> None:
    fenced = extension.fence_doctests(DOCSTRING)
    assert fenced == (
        "fruxon-requests: the synchronous client.\n\n"
        "```pycon\n"
        ">>> from fruxon_requests import FruxonClient\n"
        '>>> client = FruxonClient(api_key="...", org="acme-corp")\n'
        '>>> for chunk in client.stream_text("echo-agent"):\n'
        "...     print(chunk)\n"
        "Echo (turn 1): hi\n"
        "```\n\n"
        "More prose.\n"
    )
    rendered = _html(fenced)
    assert "<blockquote>" not in rendered
    assert rendered.count("<pre") == 1
    assert "More prose." in rendered


def test_without_the_extension_markdown_nests_blockquotes() -> None:
    """Why the extension exists: the failure it prevents is real."""
    assert "<blockquote>\n<blockquote>" in _html(DOCSTRING)


def test_indented_examples_keep_their_indentation(extension: ModuleType) -> None:
    text = "Args:\n    x: a value.\n\n    >>> f(1)\n    2\n"
    assert extension.fence_doctests(text) == (
        "Args:\n    x: a value.\n\n    ```pycon\n    >>> f(1)\n    2\n    ```\n"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Example::\n\n    >>> f(1)\n    2\n",  # a literal block already
        "```pycon\n>>> f(1)\n2\n```\n",  # a fenced block already
        "Not a prompt: >>> in the middle of a line.\n",
        ">>>not a prompt either\n",
    ],
)
def test_code_and_other_text_are_left_alone(extension: ModuleType, text: str) -> None:
    assert extension.fence_doctests(text) == text
