"""Turn response bodies into models without ever crashing on a server's surprise.

The fast path is one ``msgspec.json.decode`` with lax coercion (``"3"`` -> 3).
When that rejects the payload (a ``null`` where an object or number was
expected, a non-string tag in a list, ...) the slow path walks the decoded JSON
against the model's type and drops every value of the wrong kind, so the field
falls back to its documented default. Unknown fields are always ignored.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

import msgspec
import msgspec.inspect as mi

from .exceptions import UnexpectedResponseError

__all__ = ["decode_json", "decode_model", "decode_object", "lenient_convert", "model_decoder"]

T = TypeVar("T")

_DROP = object()


def decode_json(body: bytes, *, what: str = "response") -> Any:
    """Parse JSON, turning a syntax error into an ``Unexpected response`` API error."""
    try:
        return msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise UnexpectedResponseError(f"The {what} body is not valid JSON: {exc}") from None


def decode_object(body: bytes, *, what: str = "response") -> dict[str, Any]:
    """Parse a JSON object (raw-dict operations such as traces and tool tests)."""
    value = decode_json(body, what=what)
    if not isinstance(value, dict):
        raise UnexpectedResponseError(
            f"Expected a JSON object as the {what}, got {type(value).__name__}."
        )
    return value


def decode_model(model: type[T], body: bytes, *, what: str = "response") -> T:
    """Decode ``body`` into ``model`` (a msgspec Struct), leniently.

    A well-typed body decodes in one strict pass. Anything else goes through
    :func:`lenient_convert`: ill-typed values become defaults, numbers sent as
    strings are read as numbers, and a boolean is true only for a literal JSON
    ``true`` (never ``"true"`` or ``1``).
    """
    try:
        return msgspec.json.decode(body, type=model)
    except msgspec.ValidationError:
        pass
    except msgspec.DecodeError as exc:
        raise UnexpectedResponseError(f"The {what} body is not valid JSON: {exc}") from None
    return _lenient_model(model, body, what)


def model_decoder(model: type[T]) -> Callable[[bytes], T]:
    """``decode_model`` for one ``model``, with msgspec's decoder for it built at first use."""
    strict: Callable[[bytes], T] | None = None

    def decode(body: bytes) -> T:
        nonlocal strict
        if strict is None:
            strict = msgspec.json.Decoder(model).decode
        try:
            return strict(body)
        except msgspec.ValidationError:
            pass
        except msgspec.DecodeError as exc:
            raise UnexpectedResponseError(f"The response body is not valid JSON: {exc}") from None
        return _lenient_model(model, body, "response")

    return decode


def _lenient_model(model: type[T], body: bytes, what: str) -> T:
    value = decode_json(body, what=what)
    if not isinstance(value, dict):
        raise UnexpectedResponseError(
            f"Expected a JSON object as the {what}, got {type(value).__name__}."
        )
    return lenient_convert(model, value)


def lenient_convert(model: type[T], value: Any) -> T:
    """Convert already-decoded JSON into ``model``, replacing ill-typed values by defaults."""
    try:
        return msgspec.convert(value, type=model)
    except msgspec.ValidationError:
        info = _type_info(model)  # type: ignore[arg-type]
        cleaned = _clean(info, value)
    try:
        return msgspec.convert({} if cleaned is _DROP else cleaned, type=model, strict=False)
    except msgspec.ValidationError as exc:
        detail = f"The response does not fit {model.__name__}: {exc}"
        raise UnexpectedResponseError(detail) from None


@cache
def _type_info(model: Any) -> mi.Type:  # model: a hashable type object
    return mi.type_info(model)


def _clean(info: mi.Type, value: Any) -> Any:
    if isinstance(info, mi.UnionType):
        if value is None and any(isinstance(t, mi.NoneType) for t in info.types):
            return None
        for option in info.types:
            if not isinstance(option, mi.NoneType):
                cleaned = _clean(option, value)
                if cleaned is not _DROP:
                    return cleaned
        return _DROP
    if isinstance(info, mi.StructType):
        return _clean_struct(info, value)
    if isinstance(info, mi.ListType):
        if not isinstance(value, list):
            return _DROP
        items = (_clean(info.item_type, item) for item in value)
        return [item for item in items if item is not _DROP]
    if isinstance(info, mi.DictType):
        return value if isinstance(value, dict) else _DROP
    return _clean_scalar(info, value)


def _clean_struct(info: mi.StructType, value: Any) -> Any:
    if not isinstance(value, dict):
        return _DROP
    cleaned = dict(value)
    for field in info.fields:
        if field.encode_name in cleaned:
            result = _clean(field.type, cleaned[field.encode_name])
            if result is _DROP:
                del cleaned[field.encode_name]
            else:
                cleaned[field.encode_name] = result
    return cleaned


def _clean_scalar(info: mi.Type, value: Any) -> Any:
    if isinstance(info, mi.AnyType):
        return value
    if isinstance(info, mi.BoolType):
        return value if isinstance(value, bool) else _DROP
    if isinstance(info, mi.StrType):
        return value if isinstance(value, str) else _DROP
    if isinstance(info, (mi.IntType, mi.FloatType)):
        number = _as_number(value)
        if number is None:
            return _DROP
        return int(number) if isinstance(info, mi.IntType) else float(number)
    return value


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None
