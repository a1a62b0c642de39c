"""Griffe extension: render the Sphinx roles our docstrings use as mkdocstrings cross-references.

The packages' docstrings are written for readers of the source and for
``help()``: ``:class:`~fruxon_core.http.Timeout```, ``:meth:`stream```,
literal blocks introduced by ``::``. mkdocstrings renders Markdown, so this
extension rewrites those bits when the API reference is built:

* a role becomes an *optional* autorefs link: linked when the target is
  rendered somewhere on the site, plain code otherwise (never a warning, so
  ``mkdocs build --strict`` stays green however the reference pages grow);
* short names are resolved in the scope of the docstring's object
  (``:class:`FruxonConnectionError``` inside ``fruxon_core.exceptions``);
* ``~a.b.Name`` shows ``Name``, ``Title <a.b.Name>`` shows ``Title``;
* a paragraph ending in ``::`` ends in ``:`` (the indented block after it is
  already a Markdown code block);
* a doctest example (lines starting with ``>>>``, their ``...`` continuations
  and output) becomes a fenced ``pycon`` code block, without ``# doctest:``
  directives: left alone, Markdown reads ``>>>`` as three nested blockquotes.

The source files are not touched.
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|mod|attr|data|exc|obj|const):`(?P<text>[^`]+)`")
_EXPLICIT_TITLE = re.compile(r"^(?P<title>.+?)\s*<(?P<target>[^<>]+)>$")
_LITERAL_INTRO = re.compile(r"(?<=\S)::(?=\n\s*\n)")
_LONE_LITERAL_INTRO = re.compile(r"^\s*::\s*$", re.MULTILINE)
_PROMPT = re.compile(r"^(?P<indent>[ \t]*)>>>(?: |$)")
_DOCTEST_DIRECTIVE = re.compile(r"\s*#\s*doctest:.*$")
_FENCE = re.compile(r"^[ \t]*(```|~~~)")


def _resolve(obj: griffe.Object, name: str) -> str:
    """The full path of ``name`` as seen from ``obj`` (or ``name`` when unknown)."""
    name = name.rstrip("()")
    scope: Any = obj
    while scope is not None:
        try:
            return str(scope.resolve(name))
        except Exception:  # griffe.NameResolutionError and friends: try the outer scope
            scope = scope.parent
    return name


def _link(obj: griffe.Object, match: re.Match[str]) -> str:
    text = match["text"].strip()
    explicit = _EXPLICIT_TITLE.match(text)
    if explicit:
        title, target = explicit["title"], explicit["target"]
    else:
        target = text
        title = text.lstrip("~").rsplit(".", 1)[-1] if text.startswith("~") else text
    target = target.lstrip("~.")
    identifier = _resolve(obj, target)
    return (
        f'<autoref identifier="{html.escape(identifier)}" optional>'
        f"<code>{html.escape(title)}</code></autoref>"
    )


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def fence_doctests(text: str) -> str:
    """Wrap each run of doctest lines in a ```pycon fence (not inside code blocks)."""
    lines = text.split("\n")
    out: list[str] = []
    in_fence = False
    literal_indent: int | None = None  # inside the indented block after a "::" paragraph
    index = 0
    while index < len(lines):
        line = lines[index]
        if _FENCE.match(line):
            in_fence = not in_fence
        if literal_indent is not None and line.strip() and _indent(line) <= literal_indent:
            literal_indent = None
        prompt = _PROMPT.match(line)
        if prompt is None or in_fence or literal_indent is not None:
            if line.rstrip().endswith("::") and not in_fence:
                literal_indent = _indent(line)
            out.append(line)
            index += 1
            continue
        indent = prompt["indent"]
        block = []
        while index < len(lines) and lines[index].strip() and lines[index].startswith(indent):
            block.append(_DOCTEST_DIRECTIVE.sub("", lines[index][len(indent) :]))
            index += 1
        out += [f"{indent}```pycon", *(f"{indent}{code}" for code in block), f"{indent}```"]
    return "\n".join(out)


def rewrite_docstring(obj: griffe.Object, text: str) -> str:
    """The Markdown mkdocstrings should render for ``text`` (see the module docstring)."""
    text = fence_doctests(text)
    text = _ROLE.sub(lambda match: _link(obj, match), text)
    text = _LONE_LITERAL_INTRO.sub("", text)
    return _LITERAL_INTRO.sub(":", text)


class SphinxRoles(griffe.Extension):
    """Rewrites every docstring of a package once it is fully loaded (names resolve then)."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        self._walk(pkg, set())

    def _walk(self, obj: griffe.Object, seen: set[str]) -> None:
        if obj.path in seen:
            return
        seen.add(obj.path)
        if obj.docstring is not None:
            obj.docstring.value = rewrite_docstring(obj, obj.docstring.value)
        for member in obj.members.values():
            if not member.is_alias:
                self._walk(member, seen)  # type: ignore[arg-type]
