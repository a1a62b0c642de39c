"""``-p`` parameter syntax (the same as the official ``fruxon`` CLI's).

=================  ==============================================================
``key=value``      the string ``value``
``key=-``          a string read from stdin (one trailing newline removed)
``key=@path``      the file's text; parsed as JSON when ``path`` ends in ``.json``
``key:=json``      a JSON literal: number, boolean, null, array, object
``key:=@path``     JSON loaded from a file
``@path.json``     a JSON object spread into the parameters
=================  ==============================================================

The first ``=`` splits key from value, so ``a=b:=c`` is the string ``b:=c``.
Later items win. No ``-p`` at all gives ``None``: the request then carries no
``parameters`` field, which is not the same as ``{}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .errors import CliError, ExitCode

__all__ = ["parse_param", "parse_params"]

ReadStdin = Callable[[], str]


def parse_params(
    items: Sequence[str], read_stdin: ReadStdin | None = None
) -> dict[str, Any] | None:
    """All ``-p`` items merged in order; ``None`` when there were none."""
    if not items:
        return None
    params: dict[str, Any] = {}
    for item in items:
        params.update(parse_param(item, read_stdin))
    return params


def parse_param(item: str, read_stdin: ReadStdin | None = None) -> dict[str, Any]:
    """One ``-p`` item as a one-key dict (or several keys for ``@file.json``)."""
    if item.startswith("@"):
        value = _load_json(item[1:], item)
        if not isinstance(value, dict):
            raise _invalid(item, "the file must hold a JSON object")
        return value
    key, sep, raw = item.partition("=")
    if not sep:
        raise _invalid(item, "expected key=value, key:=json, key=@file or @file.json")
    is_json = key.endswith(":")
    key = key[:-1] if is_json else key
    if not key.strip():
        raise _invalid(item, "the parameter name is empty")
    if is_json:
        return {key: _load_json(raw[1:], item) if raw.startswith("@") else _decode(raw, item)}
    if raw == "-":
        return {key: _read_stdin(item, read_stdin)}
    if raw.startswith("@"):
        path = raw[1:]
        return {key: _load_json(path, item) if path.endswith(".json") else _read(path, item)}
    return {key: raw}


def _invalid(item: str, reason: str) -> CliError:
    return CliError(f"invalid -p {item!r}: {reason}", ExitCode.VALIDATION)


def _decode(text: str, item: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _invalid(item, f"not valid JSON ({exc.msg} at position {exc.pos})") from None


def _read(path: str, item: str) -> str:
    if not path:
        raise _invalid(item, "no file name after @")
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise _invalid(item, f"cannot read {path}: {reason}") from None


def _load_json(path: str, item: str) -> Any:
    return _decode(_read(path, item), item)


def _read_stdin(item: str, read_stdin: ReadStdin | None) -> str:
    if read_stdin is None:
        raise _invalid(item, "reading from stdin is not available here")
    text = read_stdin()
    return text[:-1] if text.endswith("\n") else text
