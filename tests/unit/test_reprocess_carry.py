"""Carrying a reviewer's corrections into a report parsed again (pure logic): the reviewer's
value holds, a third reading is a conflict for review, and a reviewed report stays reviewed
only while every value is what the reviewer saw."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from worker.corrections import correct, mark_reviewed
from worker.pipeline import process_file
from worker.reprocess import Change, carried, changes

GRANTED = "applications/granted/total"
WHEN = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def fresh(devset: Any) -> dict[str, Any]:
    return process_file(devset / "dev-01.pdf")  # granted total printed as 9


def _corrected(report: dict[str, Any], old: int, new: str) -> dict[str, Any]:
    made = correct(report, GRANTED, new, "张审核", now=WHEN)
    made["corrections"][0]["old"] = old  # what the parser of that day had read
    return made


def test_a_report_without_corrections_is_the_fresh_parse(fresh: dict[str, Any]) -> None:
    assert carried(fresh, fresh) == fresh


def test_a_correction_of_what_the_parser_still_reads_is_applied_again(
    fresh: dict[str, Any],
) -> None:
    previous = _corrected(fresh, 9, "10")
    report = carried(previous, fresh)
    assert report["applications"]["granted"]["total"] == 10
    assert report["corrections"] == previous["corrections"]
    assert report["review"] == fresh["review"]
    assert report == previous


def test_a_parser_that_now_reads_the_reviewers_value_is_no_conflict(
    fresh: dict[str, Any],
) -> None:
    report = carried(_corrected(fresh, 8, "9"), fresh)
    assert report["applications"]["granted"]["total"] == 9
    assert "parsed" not in report["corrections"][0]
    assert report["review"]["status"] == fresh["review"]["status"]


def test_a_third_reading_keeps_the_reviewers_value_and_asks_for_review(
    fresh: dict[str, Any],
) -> None:
    report = carried(_corrected(fresh, 7, "10"), fresh)
    assert report["applications"]["granted"]["total"] == 10
    assert report["corrections"][0]["parsed"] == 9
    assert report["review"]["status"] == "needs_review"
    assert report["review"]["reasons"][-1] == {"reason": "correction_conflict", "paths": [GRANTED]}
    assert any(not check["ok"] for check in report["checks"])  # 10 breaks the table's sums


def test_a_reviewed_report_stays_reviewed_only_while_its_values_hold(
    fresh: dict[str, Any],
) -> None:
    reviewed = mark_reviewed(fresh, "张审核", now=WHEN)
    assert carried(reviewed, fresh)["review"] == reviewed["review"]
    reviewed_corrected = mark_reviewed(_corrected(fresh, 9, "10"), "张审核", now=WHEN)
    assert carried(reviewed_corrected, fresh)["review"]["status"] == "reviewed"

    newer = copy.deepcopy(fresh)
    newer["applications"]["granted"]["natural_person"] = 7  # the new parser reads otherwise
    again = carried(reviewed, newer)
    path = "applications/granted/natural_person"
    assert again["review"]["status"] == "needs_review"
    assert again["review"]["reasons"][-1] == {"reason": "changed_after_review", "paths": [path]}
    assert changes(reviewed, again) == [
        Change(path, 8, 7),
        Change("review/status", "reviewed", "needs_review"),
    ]
    assert carried(again, newer) == again  # still to look at, however often it is parsed
    looked = mark_reviewed(again, "张审核", now=WHEN)
    assert looked["review"]["reasons"] == newer["review"]["reasons"]
    assert carried(looked, newer)["review"] == looked["review"]


def test_a_settled_conflict_stays_settled_and_an_open_one_stays_open(
    fresh: dict[str, Any],
) -> None:
    conflicted = carried(_corrected(fresh, 7, "10"), fresh)
    assert carried(conflicted, fresh) == conflicted  # still open, judged the same way

    kept = correct(conflicted, GRANTED, "10", "李审核", note="核对原件，仍为 10", now=WHEN)
    assert kept["review"] == {"status": "complete", "reasons": []}  # nothing left to review
    assert carried(kept, fresh) == kept  # the parser's 9 was shown and not taken
    taken = correct(conflicted, GRANTED, "9", "李审核", now=WHEN)
    assert carried(taken, fresh) == taken

    newer = copy.deepcopy(fresh)
    newer["applications"]["granted"]["total"] = 11  # a reading nobody has been shown
    again = carried(kept, newer)
    assert again["corrections"][-1]["parsed"] == 11
    assert again["applications"]["granted"]["total"] == 10
