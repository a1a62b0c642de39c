"""Entry-point parameters: the wire metadata and validating supplied values.

A missing required parameter is a 422 (the request was well-formed but cannot
run); a value of the wrong type is a 400 like any other malformed field.
Numeric strings are accepted for INTEGER/FLOAT/BOOLEAN because CLIs send
`-p count=5` as a string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .agents import PARAMETER_TYPES, ParameterSpec
from .problems import ProblemError

__all__ = ["parameter_metadata", "resolve_parameters", "specs_from_metadata"]

_INTEGER_TEXT = re.compile(r"-?\d{1,18}")
_FLOAT_TEXT = re.compile(r"-?\d{1,18}(\.\d{1,18})?([eE][-+]?\d{1,3})?")


def parameter_metadata(spec: ParameterSpec, index: int) -> dict[str, Any]:
    """ParameterMetadata as served by `…/revisions/{rev}/parameters`."""
    metadata: dict[str, Any] = {
        "name": spec.name,
        "index": index,
        "type": spec.type,
        "typeName": spec.type.lower(),
        "displayName": spec.display_name or spec.name,
        "description": spec.description,
        "required": spec.required,
        "secret": False,
        "defaultValue": spec.default,
    }
    if spec.minimum is not None or spec.maximum is not None:
        metadata["integerRange"] = {"min": spec.minimum, "max": spec.maximum}
    return metadata


def _coerce_integer(spec: ParameterSpec, value: Any) -> int:
    if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be an integer")
    if spec.minimum is not None and value < spec.minimum:
        raise ValueError(f"must be >= {spec.minimum}")
    if spec.maximum is not None and value > spec.maximum:
        raise ValueError(f"must be <= {spec.maximum}")
    return value


def _coerce(spec: ParameterSpec, value: Any) -> Any:
    if spec.type == "INTEGER":
        return _coerce_integer(spec, value)
    if spec.type == "FLOAT":
        if isinstance(value, str) and _FLOAT_TEXT.fullmatch(value.strip()):
            return float(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError("must be a number")
        return value
    if spec.type == "BOOLEAN":
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if spec.type == "STRING" and not isinstance(value, str):
        raise ValueError("must be a string")
    return value


def resolve_parameters(
    specs: Sequence[ParameterSpec], supplied: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Apply defaults and types; unknown parameters pass through untouched."""
    values = dict(supplied or {})
    type_errors: dict[str, list[str]] = {}
    missing: dict[str, list[str]] = {}
    for spec in specs:
        value = values.get(spec.name)
        if value is None:
            if spec.default is not None:
                values[spec.name] = spec.default
            elif spec.required:
                missing[f"parameters.{spec.name}"] = ["is required"]
            continue
        try:
            values[spec.name] = _coerce(spec, value)
        except ValueError as exc:
            type_errors[f"parameters.{spec.name}"] = [str(exc)]
    if type_errors:
        raise ProblemError(400, "One or more parameters have the wrong type.", errors=type_errors)
    if missing:
        names = ", ".join(key.split(".", 1)[1] for key in missing)
        raise ProblemError(422, f"Missing required parameter(s): {names}.", errors=missing)
    return values


def specs_from_metadata(items: Sequence[Any]) -> tuple[ParameterSpec, ...]:
    """Read an inline `parametersMetadata` list (AgentTestRequest) leniently."""
    specs = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            raise ProblemError(
                400,
                "parametersMetadata entries must be objects with a string name.",
                errors={f"parametersMetadata[{index}]": ["must be an object with a string name"]},
            )
        kind = str(item.get("type") or "STRING").upper()
        specs.append(
            ParameterSpec(
                name=item["name"],
                type=kind if kind in PARAMETER_TYPES else "JSON",
                required=item.get("required") is True,
                default=item.get("defaultValue"),
            )
        )
    return tuple(specs)
