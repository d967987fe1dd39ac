"""Accuracy of the whole pipeline on folders of reports with hand-made truth files.

    python bench/accuracy.py tests/data/devset tests/data/seeds [--show-mismatches | --wrong]

Every `<name>.truth.json` with an input file of the same stem beside it is run through
`worker.pipeline.process_file` in this process and scored with `schemas.scoring`.  A file
that fails counts with all its fields missed, so failing on hard files never flatters the
score; a file refused as not a report (exit 7) is counted apart from other failures.
Prints one row per input style (truth `meta.style`, else the file extension) and an overall
row: fields right, non-zero cells right, WRONG values (numbers the report does not print
there: worse than a miss, as nothing flags them), and how the parser rated each document
(`review.status`: complete, needs_review, fragment; `unknown` when the key is absent).
`complete!` counts documents rated complete that are not perfect: those a reviewer would
never look at.  Always exits 0: it measures, it does not judge.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from extract.errors import NotAReport
from schemas.scoring import Score, score
from worker.pipeline import process_file

INPUT_SUFFIXES = (
    ".pdf",
    ".txt",
    ".md",
    ".html",
    ".htm",
    ".docx",
    ".png",
    ".jpg",
    ".jpeg",
    ".tif",
    ".tiff",
)
TRUTH_SUFFIX = ".truth.json"
STATUSES = ("complete", "needs_review", "fragment", "unknown")


@dataclass(slots=True)
class Case:
    input: Path
    truth: dict
    style: str


@dataclass(slots=True)
class Tally:
    """Scores added up over the files of one style."""

    files: int = 0
    refused: int = 0
    failed: int = 0
    fields_total: int = 0
    fields_right: int = 0
    nonzero_total: int = 0
    nonzero_right: int = 0
    wrong: int = 0
    agency_right: int = 0
    year_right: int = 0
    complete_not_right: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def add(self, result: Score, status: str | None) -> None:
        """`status`: the parser's review status, None when the file was refused or failed."""
        self.files += 1
        self.fields_total += result.fields_total
        self.fields_right += result.fields_right
        self.nonzero_total += result.nonzero_total
        self.nonzero_right += result.nonzero_right
        self.wrong += result.wrong
        self.agency_right += result.agency_ok
        self.year_right += result.year_ok
        if status is not None:
            self.statuses[status] += 1
            self.complete_not_right += status == "complete" and not result.perfect


def find_cases(folders: Sequence[Path]) -> Iterator[Case]:
    """Each truth file under `folders` that has an input beside it, in path order."""
    for folder in folders:
        for truth_path in sorted(folder.rglob(f"*{TRUTH_SUFFIX}")):
            stem = truth_path.name.removesuffix(TRUTH_SUFFIX)
            inputs = (truth_path.with_name(stem + suffix) for suffix in INPUT_SUFFIXES)
            input_path = next((path for path in inputs if path.is_file()), None)
            if input_path is None:
                continue
            truth = json.loads(truth_path.read_text(encoding="utf-8"))
            style = (truth.get("meta") or {}).get("style") or input_path.suffix.lstrip(".")
            yield Case(input_path, truth, style)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path, metavar="FOLDER")
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument(
        "--show-mismatches", action="store_true", help="list every wrong field of every file"
    )
    shown.add_argument(
        "--wrong",
        action="store_true",
        help="list only wrong values (a value where the truth has another or none)",
    )
    args = parser.parse_args(argv)

    tallies: dict[str, Tally] = {}
    for case in find_cases(args.folders):
        tally = tallies.setdefault(case.style, Tally())
        status: str | None = None
        try:
            report = process_file(case.input)
            status = review_status(report)
        except NotAReport as exc:
            report = {}
            tally.refused += 1
            tally.failures.append(f"{case.input}: refused: {exc}")
        except Exception as exc:  # a failure is a result here, whatever its kind
            report = {}
            tally.failed += 1
            tally.failures.append(f"{case.input}: {type(exc).__name__}: {exc}")
        result = score(report, case.truth)
        tally.add(result, status)
        shown = [m for m in result.mismatches if m.wrong or args.show_mismatches]
        if (args.show_mismatches or args.wrong) and shown:
            kind = "wrong values" if args.wrong else "mismatches"
            print(f"{case.input} [{status or 'no report'}]: {len(shown)} {kind}")
            for mismatch in shown:
                flag = "  WRONG" if mismatch.wrong and args.show_mismatches else ""
                print(
                    f"  {mismatch.path}: expected {mismatch.expected!r}, got {mismatch.got!r}{flag}"
                )

    if not tallies:
        print("no truth file with an input beside it", file=sys.stderr)
        return 0
    overall = Tally()
    for tally in tallies.values():
        for name in (f.name for f in fields(Tally)):
            setattr(overall, name, getattr(overall, name) + getattr(tally, name))
    _print_table({**dict(sorted(tallies.items())), "overall": overall})
    for failure in overall.failures:
        print(f"failed: {failure}")
    return 0


def review_status(report: dict[str, Any]) -> str:
    """The parser's own rating of the document, `unknown` when it gives none."""
    review = report.get("review")
    status = review.get("status") if isinstance(review, dict) else None
    return status if isinstance(status, str) else "unknown"


def _print_table(rows: dict[str, Tally]) -> None:
    header = (
        "style",
        "files",
        "refused",
        "failed",
        "fields right",
        "non-zero right",
        "WRONG",
        *STATUSES,
        "complete!",
        "agency",
        "year",
    )
    lines = [header] + [
        (
            style,
            str(t.files),
            str(t.refused),
            str(t.failed),
            _ratio(t.fields_right, t.fields_total),
            _ratio(t.nonzero_right, t.nonzero_total),
            str(t.wrong),
            *(str(t.statuses[status]) for status in STATUSES),
            str(t.complete_not_right),
            f"{t.agency_right}/{t.files}",
            f"{t.year_right}/{t.files}",
        )
        for style, t in rows.items()
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))


def _ratio(right: int, total: int) -> str:
    percent = f"{100 * right / total:.1f} %" if total else "-"
    return f"{right}/{total} ({percent})"


if __name__ == "__main__":
    raise SystemExit(main())
