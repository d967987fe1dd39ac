"""A report's three tables laid out as the form prints them, each cell with what a reviewer
must know about it: why it is blank, which sum it breaks, whether the report's own
arithmetic forced it, how sure OCR was.

The rows, columns and labels come from the catalogue (schemas/catalogue.py) for the
report's edition, so the desk shows the form a reviewer holds in their hand, and every
contract cell appears once, with its path as the key that links it to its box on the page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from schemas import catalogue
from schemas.fields import value_at
from schemas.rules import rule_instances
from worker.corrections import IDENTITY, conflicts

LOW_CONFIDENCE = 0.8
"""An OCR reading below this confidence (0..1) is coloured for a second look."""


@dataclass(frozen=True, slots=True)
class CellView:
    path: str
    label: str
    """The column's header as printed: 本年制发件数."""
    value: Any
    flags: tuple[str, ...]
    """Any of null_warned (blank, with a review reason), warned (a value a review reason
    names), broken, inferred, low_confidence, corrected, conflict: a colour each."""
    why: tuple[str, ...]
    """The reasons behind the flags, as review reason codes and rule names."""
    page: int | None
    bbox: tuple[float, float, float, float] | None


@dataclass(frozen=True, slots=True)
class RowView:
    label: str
    cells: tuple[CellView, ...]


@dataclass(frozen=True, slots=True)
class TableView:
    key: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[RowView, ...]


@dataclass(frozen=True, slots=True)
class BrokenCheck:
    """One rule instance that does not hold, with the cells it sums."""

    rule: str
    paths: tuple[str, ...]


def tables(report: Mapping[str, Any]) -> list[TableView]:
    """The three tables of `report` as printed in its edition (2021's when it has none)."""
    edition: catalogue.Edition = "2019" if report.get("edition") == "2019" else "2021"
    flags = _Flags(report)
    return [
        _active(edition, flags),
        _grid(
            "applications",
            "三、收到和处理政府信息公开申请情况",
            [(row.reference, row.key) for row in catalogue.application_rows(edition)],
            catalogue.APPLICATION_COLUMNS,
            [column.described for column in catalogue.APPLICATION_COLUMNS],
            flags,
        ),
        _grid(
            "reviews_and_lawsuits",
            "四、政府信息公开行政复议、行政诉讼情况",
            [(group.name, group.key) for group in catalogue.REVIEW_GROUPS],
            catalogue.REVIEW_COLUMNS,
            [column.header for column in catalogue.REVIEW_COLUMNS],
            flags,
        ),
    ]


def identity(report: Mapping[str, Any]) -> list[CellView]:
    """The agency and the year, as cells a reviewer can select and correct."""
    flags = _Flags(report)
    return [flags.cell(path, path) for path in IDENTITY]


def broken_checks(report: Mapping[str, Any]) -> list[BrokenCheck]:
    """The rule instances that fail, each with the paths of its cells."""
    return [
        BrokenCheck(instance.rule, instance.paths)
        for instance in rule_instances(report)
        if instance.holds is False
    ]


class _Flags:
    """Each path's flags and reasons, gathered once from the review, rules and provenance."""

    def __init__(self, report: Mapping[str, Any]) -> None:
        self.report = report
        self.reasons: dict[str, list[str]] = {}
        for reason in report.get("review", {}).get("reasons", []):
            for path in reason.get("paths", []):
                self.reasons.setdefault(path, []).append(reason["reason"])
        self.broken: dict[str, list[str]] = {}
        for check in broken_checks(report):
            for path in check.paths:
                self.broken.setdefault(path, []).append(check.rule)
        self.inferred = set(report.get("inferred", []))
        self.corrected = {entry["path"] for entry in report.get("corrections", [])}
        self.conflicts = {entry["path"] for entry in conflicts(report)}
        self.provenance: Mapping[str, Any] = report.get("provenance", {})

    def cell(self, path: str, label: str) -> CellView:
        value = value_at(self.report, path)
        flags: list[str] = []
        why: list[str] = []
        if value is None and self._reasons(path):
            flags.append("null_warned")
        elif path in self.reasons:
            flags.append("warned")
        why.extend(self._reasons(path))
        if path in self.broken:
            flags.append("broken")
            why.extend(self.broken[path])
        if path in self.inferred:
            flags.append("inferred")
            why.append("inferred")
        found = self.provenance.get(path) or {}
        confidence = found.get("confidence")
        if found.get("method") == "ocr" and confidence is not None and confidence < LOW_CONFIDENCE:
            flags.append("low_confidence")
            why.append("low_confidence")
        if path in self.corrected:
            flags.append("corrected")
            why.append("corrected")
        if path in self.conflicts:
            flags.append("conflict")
            why.append("correction_conflict")
        bbox = found.get("bbox")
        return CellView(
            path,
            label,
            value,
            tuple(flags),
            tuple(dict.fromkeys(why)),
            found.get("page"),
            None if not bbox else (bbox[0], bbox[1], bbox[2], bbox[3]),
        )

    def _reasons(self, path: str) -> list[str]:
        """The review reasons naming the cell, its row or its whole table."""
        parts = path.split("/")
        return [
            reason
            for depth in range(1, len(parts) + 1)
            for reason in self.reasons.get("/".join(parts[:depth]), [])
        ]


def _active(edition: catalogue.Edition, flags: _Flags) -> TableView:
    rows = tuple(
        RowView(
            row.names[edition],
            tuple(
                flags.cell(f"active_disclosure/{row.key}/{column.key}", column.described)
                for column in row.shapes[edition].columns
            ),
        )
        for row in catalogue.active_rows(edition)
    )
    return TableView("active_disclosure", "二、主动公开政府信息情况", (), rows)


def _grid(
    key: str,
    title: str,
    rows: Sequence[tuple[str, str]],
    columns: Sequence[catalogue.Column],
    headers: Sequence[str],
    flags: _Flags,
) -> TableView:
    """A table whose rows all share the same columns: 三 and 四."""
    found = tuple(
        RowView(
            label,
            tuple(
                flags.cell(f"{key}/{row}/{column.key}", header)
                for column, header in zip(columns, headers, strict=True)
            ),
        )
        for label, row in rows
    )
    return TableView(key, title, tuple(headers), found)
