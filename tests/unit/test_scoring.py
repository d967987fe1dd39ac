"""The scoring rules of tests/data/devset/README.md, on small hand-made reports."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from paths import DEVSET, SEEDS

from schemas.scoring import MISSING, Mismatch, score


def _truth(**meta: Any) -> dict[str, Any]:
    return {
        "agency": "某市某局",
        "year": 2021,
        "edition": "2021",
        "active_disclosure": {
            "regulations": {"issued": 0, "repealed": 1, "in_force": None},
            "administrative_fees": {"amount": 12.5},
        },
        "applications": {"new_received": {"natural_person": 3, "total": 3}},
        "reviews_and_lawsuits": {"administrative_reconsideration": {"upheld": 0, "total": 0}},
        "meta": meta,
    }


def _report(truth: dict[str, Any]) -> dict[str, Any]:
    report = {key: copy.deepcopy(value) for key, value in truth.items() if key != "meta"}
    report["inferred"] = []
    return report


def _set(document: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split("/")
    for part in parents:
        document = document[part]
    document[last] = value


def test_identical_report_is_all_right() -> None:
    truth = _truth()
    result = score(_report(truth), truth)
    assert (result.fields_total, result.fields_right) == (8, 8)
    assert (result.nonzero_total, result.nonzero_right) == (4, 4)
    assert result.agency_ok and result.year_ok and result.edition_ok
    assert result.mismatches == []
    assert result.perfect


def test_zero_for_blank_cell_is_wrong_and_null_for_zero_is_wrong() -> None:
    truth = _truth()
    report = _report(truth)
    _set(report, "active_disclosure/regulations/in_force", 0)
    _set(report, "active_disclosure/regulations/issued", None)
    result = score(report, truth)
    assert result.fields_right == result.fields_total - 2
    assert result.nonzero_right == result.nonzero_total  # both cells are zero or blank
    assert {m.path for m in result.mismatches} == {
        "active_disclosure/regulations/in_force",
        "active_disclosure/regulations/issued",
    }
    assert not result.perfect


def test_wrong_nonzero_cell_counts_in_both_totals() -> None:
    truth = _truth()
    report = _report(truth)
    _set(report, "applications/new_received/total", 4)
    result = score(report, truth)
    assert result.fields_right == result.fields_total - 1
    assert result.nonzero_right == result.nonzero_total - 1
    assert result.mismatches == [Mismatch("applications/new_received/total", 3, 4, wrong=True)]
    assert result.wrong == 1


def test_null_for_a_number_is_a_miss_and_a_number_for_a_blank_is_wrong() -> None:
    truth = _truth()
    report = _report(truth)
    _set(report, "applications/new_received/natural_person", None)  # lost: a miss
    _set(report, "active_disclosure/regulations/in_force", 0)  # blank read as 0: wrong
    result = score(report, truth)
    assert result.fields_right == result.fields_total - 2
    assert result.wrong == 1
    assert {m.path: m.wrong for m in result.mismatches} == {
        "active_disclosure/regulations/in_force": True,
        "applications/new_received/natural_person": False,
    }


def test_missing_key_is_a_miss_not_a_wrong_value() -> None:
    truth = _truth()
    report = _report(truth)
    del report["applications"]
    result = score(report, truth)
    assert result.fields_right == result.fields_total - 2
    assert result.wrong == 0
    assert not any(m.wrong for m in result.mismatches)


def test_missing_key_and_missing_section_are_wrong() -> None:
    truth = _truth()
    report = _report(truth)
    del report["applications"]["new_received"]["total"]
    del report["reviews_and_lawsuits"]
    result = score(report, truth)
    assert result.fields_right == result.fields_total - 3
    got = {m.path: m.got for m in result.mismatches}
    assert got["applications/new_received/total"] is MISSING
    assert got["reviews_and_lawsuits/administrative_reconsideration/upheld"] is MISSING


def test_empty_report_scores_nothing_right() -> None:
    result = score({}, _truth())
    assert result.fields_right == 0
    assert result.fields_total == 8
    assert not (result.agency_ok or result.year_ok or result.edition_ok)


def test_money_tolerance_and_int_float_equality() -> None:
    truth = _truth()
    report = _report(truth)
    _set(report, "active_disclosure/administrative_fees/amount", 12.5 + 1e-9)
    _set(report, "applications/new_received/natural_person", 3.0)
    assert score(report, truth).perfect
    _set(report, "active_disclosure/administrative_fees/amount", 12.51)
    assert not score(report, truth).perfect


@pytest.mark.parametrize(("expected", "got"), [(1, True), (0, False), (3, "3")])
def test_non_numbers_never_equal_numbers(expected: int, got: Any) -> None:
    path = "applications/new_received/natural_person"
    truth = _truth()
    _set(truth, path, expected)
    report = _report(truth)
    _set(report, path, got)
    result = score(report, truth)
    assert result.mismatches == [Mismatch(path, expected, got)]
    assert result.wrong == 0  # not a number: the schema rejects it, no reader is misled


def test_devset_inferable_accepts_null_or_forced_value_listed_in_inferred() -> None:
    path = "active_disclosure/regulations/in_force"
    truth = _truth(inferable={path: 7})  # devset form: truth holds null, meta the forced value
    report = _report(truth)
    assert score(report, truth).perfect  # null, as printed

    _set(report, path, 7)
    result = score(report, truth)
    assert not result.perfect  # forced value, but not declared as inferred
    assert result.wrong == 1
    report["inferred"] = [path]
    assert score(report, truth).perfect
    _set(report, path, 8)
    result = score(report, truth)
    assert not result.perfect
    assert result.mismatches == [Mismatch(path, None, 8, wrong=True)]


def test_seed_inferable_accepts_null_or_forced_value_held_in_truth() -> None:
    path = "applications/new_received/total"
    truth = _truth(inferable=[path])  # seed form: the truth holds the forced value (3)
    report = _report(truth)
    _set(report, path, None)
    result = score(report, truth)
    assert result.perfect
    assert result.nonzero_total == 3  # a blank printed cell is not a non-zero cell

    _set(report, path, 3)
    assert not score(report, truth).perfect
    report["inferred"] = [path]
    assert score(report, truth).perfect


def test_ambiguous_paths_are_not_scored() -> None:
    path = "applications/new_received/natural_person"
    truth = _truth(ambiguous=[path])
    report = _report(truth)
    _set(report, path, 99)
    result = score(report, truth)
    assert result.perfect
    assert result.fields_total == 7


def test_agency_year_edition_mismatches_are_reported() -> None:
    truth = _truth()
    report = _report(truth)
    report.update(agency="某市", year=2020, edition="2019")
    result = score(report, truth)
    assert result.fields_right == result.fields_total
    assert not (result.agency_ok or result.year_ok or result.edition_ok)
    assert [(m.path, m.wrong) for m in result.mismatches] == [
        ("agency", True),
        ("year", True),
        ("edition", True),
    ]
    assert result.wrong == 0  # counts table fields only


def test_null_agency_or_year_is_a_miss() -> None:
    truth = _truth()
    report = _report(truth)
    report.update(agency=None, year=None)
    assert [(m.path, m.wrong) for m in score(report, truth).mismatches] == [
        ("agency", False),
        ("year", False),
    ]


def test_null_agency_in_truth_requires_null() -> None:
    truth = _truth()
    truth["agency"] = None
    report = _report(truth)
    assert score(report, truth).agency_ok
    report["agency"] = "某局"
    assert not score(report, truth).agency_ok


def test_pre2019_empty_tables_have_no_fields() -> None:
    truth = _truth()
    for section in ("active_disclosure", "applications", "reviews_and_lawsuits"):
        truth[section] = {}
    result = score(_report(truth), truth)
    assert result.fields_total == 0
    assert result.perfect


@pytest.mark.parametrize(
    "truth_file",
    sorted(SEEDS.glob("*.truth.json")) + sorted(DEVSET.glob("**/*.truth.json")),
    ids=lambda p: p.name,
)
def test_every_truth_file_scores_perfect_against_itself(truth_file: Path) -> None:
    """Guards the rules against the real truth files' shapes (both inferable forms)."""
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    report = _report(truth)
    report["inferred"] = list(truth["meta"].get("inferable") or ())
    result = score(report, truth)
    assert result.perfect, result.mismatches
    assert result.fields_total > 0
