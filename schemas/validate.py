"""Validate a parsed report against the contract's JSON Schema (report.schema.json).

The schema file is the artefact archive systems consume; this module is the project's one
gate in front of it.  jsonschema is imported and the validator built on first use only, then
kept, so importing `schemas` costs nothing and each later validation is a plain walk.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

SCHEMA_VERSION = "1.0"
_SCHEMA_FILE = "report.schema.json"
_MAX_MESSAGE = 160
# Keywords that reject an instance as a whole: the alternative was not the one meant.
_OUTRIGHT = frozenset({"type", "maxProperties", "const", "enum"})


class InvalidReport(ValueError):
    """The report breaks the schema; the message names the first failing path."""


def load_schema() -> dict[str, Any]:
    """The contract's JSON Schema as a fresh dict (callers may change their copy)."""
    schema: dict[str, Any] = json.loads(
        files("schemas").joinpath(_SCHEMA_FILE).read_text(encoding="utf-8")
    )
    return schema


@cache
def report_years() -> tuple[int, int]:
    """The first and last year a report can have, as the contract bounds `year`."""
    year = load_schema()["properties"]["year"]
    return int(year["minimum"]), int(year["maximum"])


@cache
def _validator() -> Validator:
    """Built once per process: the import and the schema walk are the costly part."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(load_schema())


def validate_report(report: dict[str, Any]) -> None:
    """Raise InvalidReport unless `report` follows the contract's schema.

    The message is `path: reason` on one line, for the first failing keyword in schema order;
    inside a oneOf/anyOf it follows the alternative the report came closest to, so a wrong
    cell in a 2019-edition table is named, not "matches neither edition".
    """
    error = next(_validator().iter_errors(report), None)
    if error is None:
        return
    condition = _condition(error)
    error = _closest(error)
    path = "/".join(str(part) for part in error.absolute_path) or "(root)"
    message = " ".join(error.message.split())
    if len(message) > _MAX_MESSAGE:  # messages that quote a whole section
        note = error.schema.get("description") if isinstance(error.schema, dict) else None
        message = f"fails the schema's '{error.validator}' rule" + (f": {note}" if note else "")
    if condition:
        message += f" ({condition})"
    raise InvalidReport(f"{path}: {message}")


def _condition(error: ValidationError) -> str | None:
    """The description of the if/then rule an error comes from (edition ↔ table shape)."""
    steps = list(error.schema_path)
    if "then" not in steps:
        return None
    node: Any = _validator().schema
    for step in steps[: steps.index("then")]:
        node = node[step]
    description = node.get("description")
    return description if isinstance(description, str) else None


def _closest(error: ValidationError) -> ValidationError:
    """Descend through oneOf/anyOf into the alternative the instance came closest to.

    An alternative rejected outright (wrong type, `{}` expected) is the least likely one
    meant; among the others, the one with the fewest errors, then the deepest, wins.
    """
    while error.context:
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        error = min(branches.values(), key=_distance)[0]
    return error


def _distance(errors: list[ValidationError]) -> tuple[bool, int, int]:
    outright = any(not e.relative_path and e.validator in _OUTRIGHT for e in errors)
    return outright, len(errors), -max(len(e.absolute_path) for e in errors)
