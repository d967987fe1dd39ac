"""Stored reports as spreadsheets and JSON Lines: `gongkai export` and `GET /exports/...`.

One row per report (the latest version of each agency and year, and each unidentified
document), one column per contract cell (`applications/granted/total`), the same columns
for every report whatever its edition, so a year-on-year comparison is a pivot away.  JSON
Lines carries the whole report as `gongkai results show` prints it.  Every report is taken
as served, i.e. with rule 5 when the agency's previous year is stored.  The reports are
read a batch at a time, written as they come.

Text cells come from the input (agency names, uploaded file names): a leading `=`, `+`,
`-` or `@` is escaped with an apostrophe, or Excel and LibreOffice would run it as a
formula (CSV injection).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from schemas.fields import catalogue, row_label
from worker.errors import InvalidSetting

if TYPE_CHECKING:  # the store needs the worker extra; the formats do not
    from worker.store import Selection, Store, Stored

    Item = tuple[Stored, dict[str, Any]]
    """One stored version and its report as served."""
    Writer = Callable[[Iterator[Item], IO[bytes], str, bool], None]
    """Writes the items to a binary stream, with the header language and whether to add a
    BOM."""


@dataclass(frozen=True, slots=True)
class Format:
    media_type: str
    write: Writer


HEADERS = ("en", "zh")
_META: tuple[tuple[str, str], ...] = (
    ("agency", "机关"),
    ("year", "年度"),
    ("edition", "表格版本"),
    ("version", "版本"),
    ("status", "状态"),
    ("sha256", "源文件SHA-256"),
    ("filename", "文件名"),
    ("method", "读取方式"),
    ("pages", "页数"),
    ("checks_failed", "未通过的核验"),
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def select(
    agency: str | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    status: str | None = None,
) -> Selection:
    """The latest version of each report (and each unidentified document), by agency
    substring, an inclusive year range (a document with no year is left out as soon as a
    bound is given) and status; raises InvalidSetting for an empty range."""
    from worker.store import Selection

    return Selection(agency, year_from, year_to, status)


def items(store: Store, selection: Selection) -> Iterator[Item]:
    """Each selected document with its report as served (rule 5 included), read from the
    store a batch at a time, so that memory does not grow with the number of reports."""
    from worker.crossyear import with_previous_years

    return with_previous_years(store, store.with_reports(selection))


def write(
    kind: str, found: Iterator[Item], stream: IO[bytes], headers: str = "en", bom: bool = False
) -> None:
    """Write the reports to a binary stream as `kind` (csv, xlsx or jsonl)."""
    if headers not in HEADERS:
        raise InvalidSetting(f"headers: one of {', '.join(HEADERS)}, not {headers!r}")
    if kind not in FORMATS:
        raise InvalidSetting(f"export format: one of {', '.join(FORMATS)}, not {kind!r}")
    FORMATS[kind].write(found, stream, headers, bom)


def header(language: str = "en") -> list[str]:
    """The column names: contract paths, or the labels printed on the form."""
    if language == "zh":
        return [zh for _, zh in _META] + [field.label_zh for field in catalogue()]
    return [name for name, _ in _META] + [field.path for field in catalogue()]


def record(stored: Stored, report: dict[str, Any]) -> list[Any]:
    """One report's row: metadata, then every contract cell (None when blank or absent)."""
    failed = dict.fromkeys(c["rule"] for c in report.get("checks", []) if c.get("ok") is False)
    meta = {
        **stored.as_json(),
        "edition": report.get("edition"),
        "checks_failed": ";".join(failed),
    }
    return [meta[name] for name, _ in _META] + [field.value(report) for field in catalogue()]


def table_csv(report: dict[str, Any], table: str) -> str:
    """One table of a report as printed: a line per row (key and label), a column per key."""
    rows: dict[str, Any] = report.get(table) or {}
    columns = list(dict.fromkeys(key for cells in rows.values() for key in cells))
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(["row", "label", *columns])
    for row, cells in rows.items():
        values = [cells.get(column) for column in columns]
        writer.writerow([row, row_label(table, row), *map(_text_cell, values)])
    return output.getvalue()


def _write_csv(found: Iterator[Item], stream: IO[bytes], headers: str, bom: bool) -> None:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig" if bom else "utf-8", newline="")
    writer = csv.writer(text, lineterminator="\r\n")  # RFC 4180, and what Excel writes
    writer.writerow(header(headers))
    for stored, report in found:
        writer.writerow([_text_cell(value) for value in record(stored, report)])
    text.flush()
    text.detach()  # the caller owns the stream


def _write_xlsx(found: Iterator[Item], stream: IO[bytes], headers: str, bom: bool) -> None:
    """(A workbook has no BOM.)"""
    from openpyxl import Workbook  # only for this format

    book = Workbook(write_only=True)
    sheet = book.create_sheet("reports")
    sheet.append(header(headers))
    for stored, report in found:
        sheet.append([_safe(value) for value in record(stored, report)])
    book.save(stream)


def _write_jsonl(found: Iterator[Item], stream: IO[bytes], headers: str, bom: bool) -> None:
    """(The reports themselves: no header row, and JSON Lines is UTF-8 without a BOM.)"""
    for _, report in found:
        line = json.dumps(report, ensure_ascii=False, separators=(",", ":")) + "\n"
        stream.write(line.encode())


FORMATS: dict[str, Format] = {
    "csv": Format("text/csv; charset=utf-8", _write_csv),
    "xlsx": Format(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _write_xlsx
    ),
    "jsonl": Format("application/x-ndjson", _write_jsonl),
}
"""Every export format: the CLI's choices and the API's paths are these keys."""


def _safe(value: Any) -> Any:
    """A text that a spreadsheet would take for a formula, escaped with an apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _text_cell(value: Any) -> Any:
    """A CSV cell: blank for null, formula-like text escaped."""
    return "" if value is None else _safe(value)
