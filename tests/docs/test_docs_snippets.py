"""Every ```python block of every docs page runs, sync and async, against a fresh emulator.

The conventions (key and host substitutions, sessions, content tabs, the
``<!-- not-run: reason -->`` marker, ``# SomeError`` comments) are described
in ``docs_snippets.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from docs_snippets import (
    DOCS,
    Block,
    compile_block,
    fenced_blocks,
    output_matches,
    pages,
    point_at_emulator,
    python_blocks,
    run_blocks,
)

from fruxon_emulator import EmulatorServer

#: How many blocks may be marked not-run, in all the docs; each reason is on its page.
MOST_NOT_RUN = 2


def _sessions() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for page in pages():
        for block in python_blocks(page):
            if not block.not_run and (page, block.session) not in found:
                found.append((page, block.session))
    return found


@pytest.fixture
def docs_emulator(
    fruxon_emulator_factory: Callable[..., EmulatorServer], monkeypatch: pytest.MonkeyPatch
) -> EmulatorServer:
    """A fresh emulator per page and session: pages create integrations and tools."""
    emulator = fruxon_emulator_factory()
    monkeypatch.setenv("FRUXON_API_KEY", emulator.api_key)
    monkeypatch.setenv("FRUXON_ORG", emulator.org)
    monkeypatch.setenv("FRUXON_BASE_URL", emulator.base_url)
    return emulator


@pytest.mark.parametrize(("page", "session"), _sessions())
def test_every_block_runs(page: str, session: str, docs_emulator: EmulatorServer) -> None:
    blocks = [b for b in python_blocks(page) if b.session == session and not b.not_run]
    outputs = run_blocks(blocks, docs_emulator)

    for block, printed in outputs:
        if "print(" in block.code:
            assert printed.strip(), f"{block} printed nothing"
        assert "Traceback" not in printed, f"{block} printed a traceback"
        if block.expected_output is not None:
            assert output_matches(block.expected_output, printed), (
                f"{block} printed\n{printed}\nbut the page shows\n{block.expected_output}"
            )


def test_both_sessions_are_exercised() -> None:
    sessions = _sessions()
    assert {"sync", "async"} <= {session for _, session in sessions}
    assert len(sessions) >= 12


def test_every_python_fence_is_found() -> None:
    """A block the runner cannot see (``py``, ``python3``, odd spacing) would never be tested."""
    for page in pages():
        for fence in fenced_blocks(page):
            where = f"docs/{page}:{fence.line}"
            assert fence.language not in ("py", "python3", "py3", "Python"), where
            if fence.language in ("", "text", "console") and fence.code.lstrip().startswith(
                ("import ", "from ", "client = ", "await ")
            ):
                pytest.fail(f"{where} looks like Python; fence it as ```python")
        text = (DOCS / page).read_text(encoding="utf-8")
        assert text.count("```python") == len(python_blocks(page)), page


def test_not_run_blocks_are_rare_and_explained() -> None:
    skipped = [b for page in pages() for b in python_blocks(page) if b.not_run]
    assert len(skipped) <= MOST_NOT_RUN, [str(b) for b in skipped]
    for block in skipped:
        assert len(block.not_run or "") >= 10, f"{block}: give a real reason"


# -- the runner itself --------------------------------------------------------------------


def _page(tmp_path_factory: pytest.TempPathFactory, text: str) -> list[Block]:
    import docs_snippets

    directory = tmp_path_factory.mktemp("docs")
    (directory / "page.md").write_text(text, encoding="utf-8")
    original = docs_snippets.DOCS
    docs_snippets.DOCS = directory
    try:
        return docs_snippets.python_blocks("page.md")
    finally:
        docs_snippets.DOCS = original


PAGE = """\
# A page

```python
client = FruxonClient(api_key="...", org="acme-corp")
```

=== "sync"

    ```python
    print(client.execute("echo-agent").response)
    ```

=== "async"

    <!-- not-run: needs a database the docs do not have -->
    ```python
    print((await client.execute("echo-agent")).response)
    ```

!!! note

    ```python
    import aiohttp
    ```
"""


def test_blocks_know_their_tab_session_and_marker(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    blocks = _page(tmp_path_factory, PAGE)
    assert [(b.line, b.tab, b.session, b.not_run) for b in blocks] == [
        (3, None, "sync", None),
        (9, "sync", "sync", None),
        (16, "async", "async", "needs a database the docs do not have"),
        (22, None, "async", None),
    ]
    assert blocks[1].code == 'print(client.execute("echo-agent").response)\n'


def test_an_async_page_keeps_plain_blocks_in_its_async_session(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    page = "```python\nawait f()\n```\n\n```python\nimport json\n```\n"
    page += '=== "sync"\n\n    ```python\n    import os\n    ```\n'
    assert [b.session for b in _page(tmp_path_factory, page)] == ["async", "async", "sync"]
    page = "```python\nimport json\n```\n\n```python\nawait f()\n```\n\n```python\nx = 1\n```\n"
    assert [b.session for b in _page(tmp_path_factory, page)] == ["sync", "async", "sync"]


def test_a_text_block_after_a_python_block_is_its_output(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    page = "```python\nprint(1)\n```\n\n```text\n1\n```\n\nProse.\n\n```text\nnot output\n```\n"
    (block,) = _page(tmp_path_factory, page)
    assert block.expected_output == "1\n"
    assert output_matches("a ... c\nd\n", "a b b c\nd\n")
    assert not output_matches("a ... c\n", "a b b c\nd\n")  # a line too many
    assert not output_matches("a ... c\n", "a b b d\n")
    assert not output_matches("a.c\n", "abc\n")  # only ... is a wildcard


def test_a_marker_needs_a_reason(tmp_path_factory: pytest.TempPathFactory) -> None:
    with pytest.raises(AssertionError, match="needs a reason"):
        _page(tmp_path_factory, "<!-- not-run: -->\n```python\npass\n```\n")


def test_conventions_leave_explicit_arguments_alone(fruxon_emulator: EmulatorServer) -> None:
    code = 'FruxonClient(api_key="...", org="acme-corp", base_url="https://api.fruxon.com")'
    rewritten = point_at_emulator(code, fruxon_emulator)
    assert rewritten.count("base_url=") == 1
    assert fruxon_emulator.base_url in rewritten
    assert fruxon_emulator.api_key in rewritten
    local = point_at_emulator('FruxonClient(base_url="http://127.0.0.1:8787")', fruxon_emulator)
    assert local == f'FruxonClient(base_url="{fruxon_emulator.base_url}")'
    nested = "AsyncFruxonClient(api_key=os.environ['K'], org=f(x))"
    assert point_at_emulator(nested, fruxon_emulator).startswith(
        f'AsyncFruxonClient(base_url="{fruxon_emulator.base_url}", api_key=os.environ'
    )


def _run(code: str, emulator: EmulatorServer) -> list[tuple[Block, str]]:
    return run_blocks([Block("page.md", 1, code)], emulator)


def test_an_error_comment_must_be_raised(fruxon_emulator: EmulatorServer) -> None:
    ok = "from fruxon_requests import FruxonClient\n"
    ok += 'client = FruxonClient(api_key="...", org="acme-corp")\n'
    ok += 'client.get_agent("nope")  # NotFoundError: no such agent\n'
    ok += "print('after')\n"
    ((_, printed),) = _run(ok, fruxon_emulator)
    assert printed == "after\n"

    silent = "from fruxon_requests import FruxonClient\n"
    silent += 'client = FruxonClient(api_key="...", org="acme-corp")\n'
    silent += 'client.get_agent("echo-agent")  # NotFoundError\n'
    with pytest.raises(AssertionError, match="nothing was raised"):
        _run(silent, fruxon_emulator)

    other = "x = {}['k']  # NotFoundError\n"
    with pytest.raises(AssertionError, match="KeyError"):
        _run(other, fruxon_emulator)

    in_string = "x = '# NotFoundError'\nprint(x)\n"
    assert _run(in_string, fruxon_emulator)[0][1] == "# NotFoundError\n"


def test_a_failing_block_names_its_page_and_line(fruxon_emulator: EmulatorServer) -> None:
    with pytest.raises(AssertionError, match=r"docs/page.md:1 raised NameError"):
        _run("undefined_name\n", fruxon_emulator)


def test_top_level_await_runs_on_one_loop(fruxon_emulator: EmulatorServer) -> None:
    blocks = [
        Block("page.md", 1, 'client = AsyncFruxonClient(api_key="...", org="acme-corp")\n'),
        Block("page.md", 5, 'print((await client.execute("echo-agent")).response)\n'),
        Block("page.md", 9, 'print((await client.execute("echo-agent")).response)\n'),
    ]
    namespace_code = "from fruxon_aiohttp import AsyncFruxonClient\n"
    blocks[0].code = namespace_code + blocks[0].code
    outputs = run_blocks(blocks, fruxon_emulator)
    assert [printed.startswith("Echo") for _, printed in outputs] == [False, True, True]
    assert compile_block(blocks[1], fruxon_emulator).co_filename == "docs/page.md:5"
