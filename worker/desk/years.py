"""An agency's key figures year by year, their change, and a small chart of them.

What an evaluator compares across years: applications received, the share granted in
full, reconsiderations and lawsuits and the share of them that corrected the agency, and
rule 5 (this year's carried-over applications against last year's carried-forward ones).
The chart is SVG written here: no chart library to vendor, and it prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

_GROUPS = (
    "administrative_reconsideration",
    "litigation_direct",
    "litigation_after_reconsideration",
)


@dataclass(frozen=True, slots=True)
class Figures:
    year: int
    received: float | None
    granted_share: float | None
    """予以公开 of all applications processed, 0..1."""
    reconsiderations: float | None
    lawsuits: float | None
    corrected_rate: float | None
    """结果纠正 of all concluded reconsiderations and lawsuits, 0..1."""
    rule5: bool | None
    """Whether rule 5 holds against the previous year; None when it could not be judged."""
    change: Mapping[str, float | None]
    """Each figure's change from the previous stored year (None for the first year)."""


def figures(reports: Mapping[int, Mapping[str, Any]]) -> list[Figures]:
    """The key figures of each year's report, oldest first, with their year-over-year change."""
    found: list[Figures] = []
    previous: dict[str, float | None] | None = None
    for year in sorted(reports):
        report = reports[year]
        values = _values(report)
        change = {
            key: None if previous is None else _difference(value, previous.get(key))
            for key, value in values.items()
        }
        found.append(Figures(year, **values, rule5=_rule5(report), change=change))
        previous = values
    return found


def chart(years: list[Figures], width: int = 560, height: int = 180) -> str:
    """Bars of applications received per year, each labelled: an inline SVG element."""
    known = [(f.year, f.received) for f in years if f.received is not None]
    if not known:
        return ""
    top = max(value for _, value in known) or 1
    slot = width / len(known)
    bars = []
    for index, (year, value) in enumerate(known):
        bar = (height - 40) * value / top
        x, y = index * slot + slot * 0.2, height - 20 - bar
        bars.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.6:.1f}" height="{bar:.1f}" '
            f'class="bar"><title>{year}: {value:g}</title></rect>'
            f'<text x="{x + slot * 0.3:.1f}" y="{y - 4:.1f}" text-anchor="middle">{value:g}</text>'
            f'<text x="{x + slot * 0.3:.1f}" y="{height - 5}" text-anchor="middle">{year}</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape("applications received per year")}">'
        + "".join(bars)
        + "</svg>"
    )


def _values(report: Mapping[str, Any]) -> dict[str, float | None]:
    applications = report.get("applications") or {}
    reviews = report.get("reviews_and_lawsuits") or {}
    processed = _number(applications, "total_processed", "total")
    granted = _number(applications, "granted", "total")
    corrected = _sum(_number(reviews, group, "corrected") for group in _GROUPS)
    concluded = _sum(
        _sum(_number(reviews, group, column) for column in ("upheld", "corrected", "other"))
        for group in _GROUPS
    )
    return {
        "received": _number(applications, "new_received", "total"),
        "granted_share": _ratio(granted, processed),
        "reconsiderations": _number(reviews, _GROUPS[0], "total"),
        "lawsuits": _sum(_number(reviews, group, "total") for group in _GROUPS[1:]),
        "corrected_rate": _ratio(corrected, concluded),
    }


def _rule5(report: Mapping[str, Any]) -> bool | None:
    results = [check.get("ok") for check in report.get("checks", []) if check["rule"] == "rule5"]
    if not results or any(ok is None for ok in results):
        return None
    return all(results)


def _number(table: Mapping[str, Any], row: str, column: str) -> float | None:
    value = (table.get(row) or {}).get(column)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _sum(values: Any) -> float | None:
    known = list(values)
    return None if any(value is None for value in known) else sum(known)


def _ratio(part: float | None, whole: float | None) -> float | None:
    return None if part is None or not whole else part / whole


def _difference(value: float | None, before: float | None) -> float | None:
    return None if value is None or before is None else value - before
