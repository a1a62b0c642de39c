"""docs/reference/client.md documents every public method and parameter of both clients.

The page is written by hand (so it does not depend on how the clients are
implemented); this test holds it to the code: each public method and property
of ``FruxonClient`` and ``AsyncFruxonClient`` has a section, the signature in
its sync and async tabs is the method's (names, kinds, defaults, ``async``),
and its table lists every parameter. The stream objects' members are on the
page too.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fruxon_aiohttp import AsyncEventStream, AsyncFruxonClient, AsyncTextStream
from fruxon_requests import EventStream, FruxonClient, TextStream

PAGE = Path(__file__).resolve().parents[2] / "docs" / "reference" / "client.md"
CLIENTS = {"sync": FruxonClient, "async": AsyncFruxonClient}


def _page() -> str:
    return PAGE.read_text(encoding="utf-8")


def _public_members(cls: type) -> list[str]:
    return [name for name, _ in inspect.getmembers(cls) if not name.startswith("_")]


def _section(title: str) -> str:
    """The Markdown from the ``### `title` `` heading to the next ``##``/``###`` heading."""
    text = _page()
    match = re.search(rf"^### `{re.escape(title)}` \{{#{re.escape(title)}\}}\n", text, re.M)
    assert match, f"client.md has no section ### `{title}` {{#{title}}}"
    rest = text[match.end() :]
    following = re.search(r"^##", rest, re.M)
    return rest[: following.start()] if following else rest


def _tab(section: str, label: str) -> str:
    match = re.search(rf'^=== "{label}"\n(?P<body>(?:\n|    .*\n)*)', section, re.M)
    assert match, f'no "{label}" tab'
    return "\n".join(line[4:] for line in match["body"].splitlines())


def _stub(tab: str) -> ast.FunctionDef | ast.AsyncFunctionDef:
    match = re.search(r"```pyi\n(?P<code>.*?)```", tab, re.S)
    assert match, "no ```pyi signature in the tab"
    code = match["code"].strip()
    if not code.startswith(("def ", "async def ")):  # the constructor: ClassName(...)
        code = "def __init__(self, " + code.split("(", 1)[1]
    node = ast.parse(code + ": ...").body[0]
    assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    return node


def _documented_signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[str, ...]]:
    arguments = node.args
    positional = arguments.posonlyargs + arguments.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults))
    defaults += arguments.defaults
    rows = [
        ("positional", arg.arg, _literal(default))
        for arg, default in zip(positional, defaults, strict=True)
    ]
    rows += [
        ("keyword", arg.arg, _literal(default))
        for arg, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)
    ]
    return [row for row in rows if row[1] != "self"]


def _literal(node: ast.expr | None) -> str:
    return "<required>" if node is None else repr(ast.literal_eval(node))


def _actual_signature(function: Callable[..., Any]) -> list[tuple[str, ...]]:
    rows = []
    for parameter in inspect.signature(function).parameters.values():
        if parameter.name == "self":
            continue
        kind = "keyword" if parameter.kind is parameter.KEYWORD_ONLY else "positional"
        default = "<required>" if parameter.default is parameter.empty else repr(parameter.default)
        rows.append((kind, parameter.name, default))
    return rows


def _table_names(section: str) -> set[str]:
    return set(re.findall(r"^\| `(\w+)` \|", section, re.M))


METHODS = sorted(
    {name for cls in CLIENTS.values() for name in _public_members(cls)},
)


@pytest.mark.parametrize("name", METHODS)
def test_every_public_member_has_a_section(name: str) -> None:
    section = _section(name)
    for label, cls in CLIENTS.items():
        member = inspect.getattr_static(cls, name, None)
        if member is None:
            assert "only" in section.lower(), f"{name}: say which client has it"
            continue
        if isinstance(member, property):
            assert "property" in section.lower(), name
            continue
        function = getattr(cls, name)
        stub = _stub(_tab(section, label))
        assert stub.name == name
        assert isinstance(stub, ast.AsyncFunctionDef) == inspect.iscoroutinefunction(function), (
            f"{label} {name}: async or not, as in the code"
        )
        assert _documented_signature(stub) == _actual_signature(function), f"{label} {name}"
        missing = {p for _, p, _ in _actual_signature(function)} - _table_names(section)
        assert not missing, f"{name}: document the parameters {sorted(missing)}"


@pytest.mark.parametrize("label", CLIENTS)
def test_constructor_signature_and_table(label: str) -> None:
    text = _page()
    start = text.index("## Creating a client")
    section = text[start : text.index("\n## ", start + 1)]
    cls = CLIENTS[label]
    stub = _stub(_tab(section, label))
    assert _documented_signature(stub) == _actual_signature(cls.__init__)  # type: ignore[misc]
    missing = {p for _, p, _ in _actual_signature(cls.__init__)} - _table_names(section)  # type: ignore[misc]
    assert not missing, f"document the constructor parameters {sorted(missing)}"


@pytest.mark.parametrize(
    ("cls", "heading"),
    [
        (EventStream, "### Event stream"),
        (AsyncEventStream, "### Event stream"),
        (TextStream, "### Text stream"),
        (AsyncTextStream, "### Text stream"),
    ],
)
def test_stream_members_are_documented(cls: type, heading: str) -> None:
    text = _page()
    start = text.index(heading)
    following = text.find("\n### ", start + 1)
    section = text[start : following if following >= 0 else len(text)]
    label = "async" if cls.__name__.startswith("Async") else "sync"
    tab = _tab(section, label)
    documented = set(re.findall(r"^\| `(?:await )?(\w+)", tab, re.M))
    missing = set(_public_members(cls)) - documented
    assert not missing, f"{cls.__name__}: document {sorted(missing)}"


def test_every_section_is_for_a_real_member() -> None:
    titles = re.findall(r"^### `(\w+)` \{#", _page(), re.M)
    assert sorted(titles) == METHODS
