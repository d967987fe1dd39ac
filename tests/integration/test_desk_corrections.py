"""Corrections at the review desk on a parsed report: recorded, checked again, and
limited to the contract's values and types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from paths import DEVSET

from worker.desk.corrections import InvalidCorrection, correct, mark_reviewed
from worker.pipeline import process_file


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
    assert correct(report, "agency", "  某某局  ", "张三")["agency"] == "某某局"
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
