"""Rule 5: this year's carried_over = last year's carried_forward, added when served."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from schemas.rules import APPLICATION_COLUMNS, check_previous_year
from worker import db
from worker.crossyear import served
from worker.store import Store


def _report(year: int, sha: str, carried_over: int | None, carried_forward: int) -> dict[str, Any]:
    def row(value: int | None) -> dict[str, int | None]:
        return {**dict.fromkeys(APPLICATION_COLUMNS, 0), "natural_person": value, "total": value}

    return {
        "agency": "某市某局",
        "year": year,
        "edition": "2021",
        "applications": {
            "carried_over": row(carried_over),
            "carried_forward": row(carried_forward),
        },
        "checks": [{"rule": "rule1", "ok": True, "detail": "kept"}],
        "source": {"filename": f"{sha}.pdf", "sha256": sha * 64, "pages": 1, "method": "text"},
    }


def test_one_check_per_column_with_both_numbers() -> None:
    checks = check_previous_year(_report(2022, "b", 2, 0), _report(2021, "a", 0, 3))
    assert [check["rule"] for check in checks] == ["rule5"] * 7
    assert checks[0] == {
        "rule": "rule5",
        "ok": False,
        "detail": "natural_person: carried_over 2 ≠ 2021 carried_forward 3",
    }
    assert checks[1] == {
        "rule": "rule5",
        "ok": True,
        "detail": "commercial_enterprise: carried_over 0 = 2021 carried_forward 0",
    }
    assert [check["ok"] for check in checks] == [False, True, True, True, True, True, False]


def test_blank_cells_and_absent_tables_are_not_evaluated() -> None:
    blank = check_previous_year(_report(2022, "b", None, 0), _report(2021, "a", 0, 0))
    assert blank[-1] == {
        "rule": "rule5",
        "ok": None,
        "detail": "not evaluated: 2 instances have blank cells (natural_person, total)",
    }
    assert len(blank) == 6
    pre2019 = {"year": 2018, "edition": "pre2019", "applications": {}}
    assert check_previous_year(_report(2019, "b", 0, 0), pre2019) == [
        {"rule": "rule5", "ok": None, "detail": "not evaluated: applications table absent"}
    ]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(db.engine(f"sqlite:///{tmp_path / 'store.sqlite3'}"))


def _save(store: Store, report: dict[str, Any]) -> None:
    name = report["source"]["filename"]
    store.save(report, filename=name, original=f"originals/{name}", timings={})


def test_served_reports_get_rule5_once_the_previous_year_is_stored(store: Store) -> None:
    _save(store, _report(2022, "b", 4, 0))
    assert [c["rule"] for c in served(store, "某市某局", "2022")["checks"]] == ["rule1"]

    _save(store, _report(2021, "a", 0, 4))  # the earlier year arrives later
    checks = served(store, "某市某局", "2022")["checks"]
    assert [c["rule"] for c in checks] == ["rule1"] + ["rule5"] * 7
    assert all(c["ok"] for c in checks)
    assert store.report("某市某局", "2022")["checks"] == [  # the stored JSON is unchanged
        {"rule": "rule1", "ok": True, "detail": "kept"}
    ]

    _save(store, _report(2021, "c", 0, 5))  # a corrected 2021: judged against the latest
    assert not all(c["ok"] for c in served(store, "某市某局", "2022")["checks"])
    older = served(store, "某市某局", "2022", version=1)
    assert len([c for c in older["checks"] if c["rule"] == "rule5"]) == 7
    assert [c["rule"] for c in served(store, "某市某局", "2021")["checks"]] == ["rule1"]
