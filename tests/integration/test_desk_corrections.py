"""Corrections at the review desk on a parsed report: recorded, checked again, and
limited to the contract's values and types; the versions they make, listed from the store
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from paths import DEVSET

from schemas.validate import validate_report
from worker import db
from worker.corrections import InvalidCorrection, conflicts, correct, mark_reviewed
from worker.desk import history
from worker.pipeline import process_file
from worker.store import Store


def parsed(name: str = "dev-01") -> dict[str, Any]:

    return process_file(DEVSET / f"{name}.pdf")


def test_a_correction_is_recorded_and_the_checks_follow_it() -> None:
    report = parsed()
    path = "applications/new_received/natural_person"
    old = report["applications"]["new_received"]["natural_person"]
    when = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    fixed = correct(report, path, str(old + 1), "张三", "印刷错误", now=when)
    assert fixed["applications"]["new_received"]["natural_person"] == old + 1
    assert fixed["corrections"] == [
        {
            "path": path,
            "old": old,
            "new": old + 1,
            "who": "张三",
            "when": "2026-12-02T09:30:00+00:00",
            "note": "印刷错误",
        }
    ]
    assert any(c["rule"] == "rule1" and c["ok"] is False for c in fixed["checks"])
    assert report["applications"]["new_received"]["natural_person"] == old  # a new report
    back = correct(fixed, path, str(old), "李四")
    assert len(back["corrections"]) == 2 and back["checks"] == report["checks"]


def test_a_correction_touches_only_contract_values_of_the_right_type() -> None:
    report = parsed()
    for path, text in [
        ("applications/new_received/natural_person", "-1"),
        ("applications/new_received/natural_person", "1.5"),
        ("applications/new_received/natural_person", "many"),
        ("source/sha256", "0"),
        ("review/status", "complete"),
        ("applications/new_received/total/../../agency", "x"),
        ("year", "二〇二一"),
    ]:
        with pytest.raises(InvalidCorrection):
            correct(report, path, text, "张三")
    assert correct(report, "agency", "  某某 局  ", "张三")["agency"] == "某某局"
    assert (
        correct(report, "applications/granted/total", "", "张三")["applications"]["granted"][
            "total"
        ]
        is None
    )


def test_marking_reviewed_says_who_and_when() -> None:

    reviewed = mark_reviewed(parsed(), "张三", now=datetime(2026, 12, 2, tzinfo=UTC))
    assert reviewed["review"]["status"] == "reviewed"
    assert reviewed["review"]["reviewed_by"] == "张三"
    assert reviewed["review"]["reviewed_at"] == "2026-12-02T00:00:00+00:00"


def test_a_correction_settles_the_review_reasons_naming_its_value() -> None:
    report = parsed()
    path = "applications/granted/total"
    report["review"] = {
        "status": "needs_review",
        "reasons": [
            {"reason": "cell_null", "paths": [path, "applications/granted/natural_person"]},
            {"reason": "table_not_found", "paths": ["reviews_and_lawsuits"]},
        ],
    }
    fixed = correct(report, path, "9", "张三")
    assert fixed["review"]["reasons"] == [
        {"reason": "cell_null", "paths": ["applications/granted/natural_person"]},
        {"reason": "table_not_found", "paths": ["reviews_and_lawsuits"]},
    ]
    alone = correct(fixed, "applications/granted/natural_person", "5", "张三")
    assert alone["review"]["reasons"] == [fixed["review"]["reasons"][1]]


def conflicting() -> dict[str, Any]:
    """A reprocessed report carrying a correction its newer parser reads otherwise."""
    report = parsed()
    path = "applications/granted/total"
    fixed = correct(report, path, "10", "张三", now=datetime(2026, 12, 1, tzinfo=UTC))
    fixed["corrections"][-1]["parsed"] = 11
    fixed["review"] = {
        "status": "needs_review",
        "reasons": [{"reason": "correction_conflict", "paths": [path]}],
    }
    validate_report(fixed)  # the contract allows what a reprocessed version carries
    return fixed


def test_a_conflict_is_settled_by_correcting_again_and_blocks_the_review_until_then() -> None:
    report = conflicting()
    assert [entry["path"] for entry in conflicts(report)] == ["applications/granted/total"]
    with pytest.raises(InvalidCorrection, match="conflicts"):
        mark_reviewed(report, "李四")
    kept = correct(report, "applications/granted/total", "10", "李四", "保留审核值")
    assert conflicts(kept) == [] and kept["review"]["reasons"] == []
    assert kept["corrections"][0]["parsed"] == 11  # the history stays as it was
    assert kept["applications"]["granted"]["total"] == 10
    assert mark_reviewed(kept, "李四")["review"]["status"] == "reviewed"


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_versions_a_desk_lists_from_the_store(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        request.getfixturevalue("database")
        if kind == "postgresql"
        else f"sqlite:///{tmp_path}/store.sqlite3"
    )
    engine = db.engine(url)
    store = Store(engine)
    report, path = parsed(), "applications/granted/total"
    sha = store.save(report, filename="dev-01.pdf", original="o", timings={}).sha256
    old = report["applications"]["granted"]["total"]
    fixed = correct(report, path, str(old + 1), "张三")
    store.revise(sha, fixed, "corrected")
    store.revise(sha, mark_reviewed(fixed, "李四"), "reviewed")
    first, current = history.revision(store, sha, 1)
    found = history.versions(store, current, first)
    assert [(e.stored.version, e.stored.origin, e.who) for e in found] == [
        (1, "parsed", None),
        (2, "corrected", "张三"),
        (3, "reviewed", "李四"),
    ]
    assert [(c.path, c.old, c.new) for c in found[1].changes] == [(path, old, old + 1)]
    assert [e.viewed for e in found] == [True, False, False] and found[2].current
    assert history.report_of(store, first) == report  # as stored

    unread = {**report, "agency": None, "year": None, "corrections": []}
    unread["source"] = {**report["source"], "sha256": "e" * 64}
    store.save(unread, filename="excerpt.pdf", original="o", timings={})
    named = correct(unread, "agency", "某某区局", "王五")
    store.revise("e" * 64, named, "corrected")
    store.revise("e" * 64, correct(named, "year", "2024", "王五"), "corrected")
    moved = store.document("e" * 64)
    found = history.versions(store, moved, moved)
    assert [(e.stored.revision, e.stored.version) for e in found] == [(1, None), (2, None), (3, 1)]
    assert [(c.path, c.old, c.new) for c in found[2].changes] == [("year", None, 2024)]
