"""Find the ```python blocks of the docs pages and run them against an emulator.

The conventions, applied to the text of each block (the pages that say "every
snippet runs" describe the same substitutions a reader makes):

* ``api_key="..."`` is the reader's key: replaced with the emulator's;
* ``org="acme-corp"`` is the emulator's primary tenant already;
* the public API hosts (``https://api.fruxon.com``, ``https://api.staging.fruxon.com``)
  and ``http://127.0.0.1:8787`` (where ``fruxon-emulator serve`` listens) become
  the emulator's URL, and a client constructed without ``base_url=`` gets
  ``base_url=<emulator>`` added as its first keyword;
* ``FRUXON_API_KEY``, ``FRUXON_ORG`` and ``FRUXON_BASE_URL`` are set in the
  environment, and the repository's ``examples/`` and ``examples/middleware/``
  are importable (as if the reader copied the example file into their project);
* ``input()`` reads the lines of :data:`SCRIPTED_INPUT`, then an empty line;
* a statement whose line ends in a comment naming an exception, e.g.
  ``readonly.execute("echo-agent")  # InsufficientScopeError: ...``, must raise
  that exception (or a subclass): the comment is what the page promises;
* a ```text block right after a ```python block (nothing but blank lines
  between; after content tabs, the last tab's block) is what that block prints:
  line by line, with ``...`` matching anything within a line.

Blocks run in page order, grouped in sessions: each session has its own fresh
emulator and its own namespace, like a reader typing the blocks into one
interpreter. A block outside content tabs belongs to the page's "async" session
when it uses ``await``, ``async`` syntax, ``AsyncFruxonClient`` or aiohttp;
otherwise to the session of the page's first block outside tabs (so on an async
page, ``import json`` joins the async session), or "sync" if that is the block
itself. A block inside a content tab belongs to the
session named by the tab's label: tabs labelled ``sync`` and ``async`` join those
two sessions; any other label (``FastAPI``, ``Flask``) is a session of its own,
shared by the tabs with that label (alternatives never see each other's
names). A block with top-level ``await`` runs on the session's event loop (the
async pages' snippets are "inside your async function", as in ``python -m
asyncio``); any other block runs as plain code, so a complete program calling
``asyncio.run(main())`` works too. A block that imports pytest is a test module
of the reader's: it runs in a namespace of its own (its fixtures must not replace
the session's ``client``), and nothing calls its tests.

A block that cannot run is marked on the line before its fence with
``<!-- not-run: the reason -->``; the reason is mandatory.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
import io
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from fruxon_emulator import EmulatorServer

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
EXAMPLE_DIRS = [ROOT / "examples", ROOT / "examples" / "middleware"]
EMULATOR_HOSTS = (
    "https://api.staging.fruxon.com",
    "https://api.fruxon.com",
    "http://127.0.0.1:8787",
)
SCRIPTED_INPUT = ["Hi!", "Where is my order?"]

_FENCE_OPEN = re.compile(r"^(?P<indent>[ ]*)(?P<ticks>`{3,})(?P<lang>[\w+-]*)(?P<attrs>[^\n`]*)$")
_TAB = re.compile(r'^(?P<indent>[ ]*)===\+?\s+"(?P<label>[^"]*)"\s*$')
_NOT_RUN = re.compile(r"^\s*<!--\s*not-run:\s*(?P<reason>.*?)\s*-->\s*$")
_ASYNC_CODE = re.compile(r"\bawait\b|\basync\s+(?:def|for|with)\b|AsyncFruxonClient|\baiohttp\b")
_CONSTRUCTOR = re.compile(r"\b(?:Async)?FruxonClient\(")
_RAISES_COMMENT = re.compile(r"#\s*(?P<name>[A-Z]\w*(?:Error|Exception))\b")


@dataclass
class Block:
    """One fenced ```python block of a page."""

    page: str
    line: int
    code: str
    tab: str | None = None
    not_run: str | None = None
    expected_output: str | None = None
    session: str = field(init=False)

    def __post_init__(self) -> None:
        if self.tab is not None:
            label = self.tab.strip()
            self.session = label.lower() if label.lower() in ("sync", "async") else label
        else:
            self.session = "async" if _ASYNC_CODE.search(self.code) else "sync"

    @property
    def uses_async(self) -> bool:
        return _ASYNC_CODE.search(self.code) is not None

    def __str__(self) -> str:
        return f"docs/{self.page}:{self.line}"


def pages() -> list[str]:
    """Every page under docs/, as a path relative to it."""
    return sorted(path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md"))


@dataclass
class Fence:
    line: int
    end: int
    language: str
    attributes: str
    code: str


def fenced_blocks(page: str) -> list[Fence]:
    """Every fenced block of a page, at any indentation (``line``/``end``: 1-based fences)."""
    lines = (DOCS / page).read_text(encoding="utf-8").splitlines()
    found: list[Fence] = []
    index = 0
    while index < len(lines):
        opening = _FENCE_OPEN.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, ticks = len(opening["indent"]), opening["ticks"]
        body: list[str] = []
        end = index + 1
        while end < len(lines) and lines[end].strip() != ticks:
            body.append(lines[end][indent:] if lines[end][:indent].isspace() else lines[end])
            end += 1
        code = "\n".join(body) + "\n"
        found.append(Fence(index + 1, end + 1, opening["lang"], opening["attrs"].strip(), code))
        index = end + 1
    return found


def python_blocks(page: str) -> list[Block]:
    """The page's ```python blocks, with the tab each sits in and its not-run marker."""
    lines = (DOCS / page).read_text(encoding="utf-8").splitlines()
    fences = fenced_blocks(page)
    blocks = []
    for position, fence in enumerate(fences):
        if fence.language != "python":
            continue
        opening = lines[fence.line - 1]
        indent = len(opening) - len(opening.lstrip())
        following = fences[position + 1] if position + 1 < len(fences) else None
        expected = None
        if (
            following is not None
            and following.language == "text"
            and all(not text.strip() for text in lines[fence.end : following.line - 1])
        ):
            expected = following.code
        tab = _tab_of(lines, fence.line - 1, indent)
        marker = _marker(lines, fence.line - 1)
        blocks.append(Block(page, fence.line, fence.code, tab, marker, expected))
    untabbed = [block for block in blocks if block.tab is None]
    if untabbed and untabbed[0].uses_async:
        for block in untabbed:
            block.session = "async"
    return blocks


def output_matches(expected: str, printed: str) -> bool:
    """``printed`` is ``expected`` line by line (trailing spaces aside), ``...`` matching
    anything within a line."""
    want = [line.rstrip() for line in expected.rstrip("\n").splitlines()]
    got = [line.rstrip() for line in printed.rstrip("\n").splitlines()]  # pages trim lines
    patterns = [re.compile(".*".join(map(re.escape, line.split("...")))) for line in want]
    if len(want) != len(got):
        return False
    return all(pattern.fullmatch(line) for pattern, line in zip(patterns, got, strict=True))


def _tab_of(lines: list[str], fence: int, indent: int) -> str | None:
    """The label of the content tab the fence at ``lines[fence]`` is in, if any."""
    limit = indent
    for index in range(fence - 1, -1, -1):
        text = lines[index]
        own_indent = len(text) - len(text.lstrip())
        if not text.strip() or own_indent >= limit:
            continue
        tab = _TAB.match(text)
        if tab is not None:
            return tab["label"]
        if own_indent == 0:
            return None
        limit = own_indent  # a list item or an admonition: look further out
    return None


def _marker(lines: list[str], fence: int) -> str | None:
    for index in range(fence - 1, -1, -1):
        if lines[index].strip():
            marker = _NOT_RUN.match(lines[index])
            if marker is None:
                return None
            if not marker["reason"]:
                raise AssertionError(f"line {index + 1}: a not-run marker needs a reason")
            return marker["reason"]
    return None


def _call_arguments(code: str, open_paren: int) -> str:
    depth = 0
    for index in range(open_paren, len(code)):
        depth += {"(": 1, ")": -1}.get(code[index], 0)
        if depth == 0:
            return code[open_paren + 1 : index]
    raise AssertionError("unbalanced parentheses in a docs snippet")


def point_at_emulator(code: str, emulator: EmulatorServer) -> str:
    """Apply the key and host conventions of the module docstring to one block."""
    code = code.replace('api_key="..."', f'api_key="{emulator.api_key}"')
    for host in EMULATOR_HOSTS:
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


class _ExpectRaises:
    """``with _ExpectRaises("NotFoundError", where): statement`` -- the statement must raise it."""

    def __init__(self, name: str, where: str) -> None:
        self.name, self.where = name, where

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        if kind is None:
            raise AssertionError(f"{self.where}: the comment says {self.name}, nothing was raised")
        return any(cls.__name__ == self.name for cls in kind.__mro__)


class _ExpectRaisesTransformer(ast.NodeTransformer):
    """Wraps each statement whose last line ends in ``# SomeError`` in :class:`_ExpectRaises`."""

    def __init__(self, source_lines: list[str], where: str) -> None:
        self.lines, self.where = source_lines, where

    def generic_visit(self, node: ast.AST) -> ast.AST:
        super().generic_visit(node)
        for name in ("body", "orelse", "finalbody"):
            statements = getattr(node, name, None)
            if isinstance(statements, list) and statements and isinstance(statements[0], ast.stmt):
                setattr(node, name, [self._wrap(statement) for statement in statements])
        return node

    def _wrap(self, statement: ast.stmt) -> ast.stmt:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return statement
        end = statement.end_lineno or statement.lineno
        comment = _RAISES_COMMENT.search(_comment_of(self.lines[end - 1]))
        if comment is None:
            return statement
        where = f"{self.where} (block line {end})"
        manager = ast.Call(
            func=ast.Name("__docs_expect_raises__", ast.Load()),
            args=[ast.Constant(comment["name"]), ast.Constant(where)],
            keywords=[],
        )
        wrapped = ast.With(items=[ast.withitem(context_expr=manager)], body=[statement])
        return ast.fix_missing_locations(ast.copy_location(wrapped, statement))


def _comment_of(line: str) -> str:
    """The ``# ...`` comment of a source line (a ``#`` inside a string literal is not one)."""
    quote: str | None = None
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            return line[index:]
    return ""


def compile_block(block: Block, emulator: EmulatorServer) -> Any:
    code = point_at_emulator(block.code, emulator)
    tree = ast.parse(code, str(block), "exec", type_comments=False)
    tree = _ExpectRaisesTransformer(code.splitlines(), str(block)).visit(tree)
    return compile(tree, str(block), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


@contextlib.contextmanager
def examples_importable() -> Iterator[None]:
    added = [str(path) for path in EXAMPLE_DIRS if str(path) not in sys.path]
    sys.path[:0] = added
    try:
        yield
    finally:
        for path in added:
            sys.path.remove(path)


def new_namespace() -> dict[str, Any]:
    replies = iter([*SCRIPTED_INPUT, ""])

    def scripted_input(prompt: str = "") -> str:
        reply = next(replies, "")
        print(f"{prompt}{reply}")
        return reply

    return {
        "__name__": "__docs__",
        "__docs_expect_raises__": _ExpectRaises,
        "input": scripted_input,
    }


def run_blocks(blocks: list[Block], emulator: EmulatorServer) -> list[tuple[Block, str]]:
    """Execute ``blocks`` in order in one namespace; returns each block with what it printed."""
    namespace = new_namespace()
    loop = asyncio.new_event_loop()
    outputs: list[tuple[Block, str]] = []
    try:
        with examples_importable():
            for block in blocks:
                code = compile_block(block, emulator)
                scope = new_namespace() if _is_test_module(block.code) else namespace
                printed = io.StringIO()
                with contextlib.redirect_stdout(printed):
                    try:
                        if code.co_flags & inspect.CO_COROUTINE:
                            loop.run_until_complete(eval(code, scope))
                        else:
                            exec(code, scope)
                    except BaseException as exc:
                        raise AssertionError(f"{block} raised {exc!r}\n{block.code}") from exc
                outputs.append((block, printed.getvalue()))
        close_clients(namespace, loop)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
    return outputs


def _is_test_module(code: str) -> bool:
    return re.search(r"^(?:import pytest|from pytest import)\b", code, re.MULTILINE) is not None


def close_clients(namespace: dict[str, Any], loop: asyncio.AbstractEventLoop) -> None:
    """Close what the page left open, as a reader's process exit would."""
    for value in list(namespace.values()):
        if type(value).__name__ not in ("FruxonClient", "AsyncFruxonClient"):
            continue
        result = value.close()
        if inspect.isawaitable(result):
            loop.run_until_complete(result)
