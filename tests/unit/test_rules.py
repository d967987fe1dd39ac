"""Consistency rules 1–4 as checks, and as the decoder that fills only forced blank cells."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from paths import DEVSET, SEEDS

from schemas.rules import (
    APPLICANT_COLUMNS,
    APPLICATION_COLUMNS,
    APPLICATION_ROWS_2019,
    APPLICATION_ROWS_2021,
    OTHER_ROWS_2019,
    OTHER_ROWS_2021,
    RESULT_ROWS_2019,
    RESULT_ROWS_2021,
    REVIEW_FIELDS,
    REVIEW_GROUPS,
    check_rules,
    ensure_rows,
    infer_forced,
    result_rows,
)

DEVSET_TRUTHS = sorted(DEVSET.rglob("*.truth.json"))
SEED_TRUTHS = sorted(SEEDS.glob("*.truth.json"))


def read(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(report, meta) of a truth file."""
    truth = json.loads(path.read_text(encoding="utf-8"))
    return truth, truth.pop("meta")


def get(report: dict[str, Any], path: str) -> Any:
    section, row, key = path.split("/")
    return report[section][row][key]


def put(report: dict[str, Any], path: str, value: Any) -> None:
    section, row, key = path.split("/")
    report[section][row][key] = value


def blank_report(edition: str = "2021") -> dict[str, Any]:
    """A report whose tables are all zero: every rule holds."""
    rows = APPLICATION_ROWS_2019 if edition == "2019" else APPLICATION_ROWS_2021
    return {
        "edition": edition,
        "active_disclosure": {},
        "applications": {row: dict.fromkeys(APPLICATION_COLUMNS, 0) for row in rows},
        "reviews_and_lawsuits": {g: dict.fromkeys(REVIEW_FIELDS, 0) for g in REVIEW_GROUPS},
    }


def add(report: dict[str, Any], row: str, column: str, n: int) -> None:
    """Add n applications received this year and settled as `row`: every rule stays true."""
    apps = report["applications"]
    for r in (row, "total_processed", "new_received"):
        apps[r][column] += n
        apps[r]["total"] += n


def failed(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in check_rules(report) if c["ok"] is False]


# --- constants -------------------------------------------------------------------------


def test_key_lists() -> None:
    assert len(APPLICATION_COLUMNS) == 7 and APPLICATION_COLUMNS[-1] == "total"
    assert APPLICATION_COLUMNS[:-1] == APPLICANT_COLUMNS
    assert len(APPLICATION_ROWS_2019) == 23 and len(APPLICATION_ROWS_2021) == 25
    assert RESULT_ROWS_2019[-1:] == OTHER_ROWS_2019 and RESULT_ROWS_2021[-3:] == OTHER_ROWS_2021
    assert RESULT_ROWS_2019[:-1] == RESULT_ROWS_2021[:-3]
    for rows, results in (
        (APPLICATION_ROWS_2019, RESULT_ROWS_2019),
        (APPLICATION_ROWS_2021, RESULT_ROWS_2021),
    ):
        assert rows == (
            "new_received",
            "carried_over",
            *results,
            "total_processed",
            "carried_forward",
        )
    assert REVIEW_FIELDS == ("upheld", "corrected", "other", "pending", "total")
    assert len(REVIEW_GROUPS) == 3


def test_result_rows_follow_what_the_table_prints() -> None:
    assert result_rows({}, "2019") == RESULT_ROWS_2019
    assert result_rows({}, "2021") == RESULT_ROWS_2021
    assert result_rows({"other_processing": {}}, "2021") == RESULT_ROWS_2019  # hybrid
    assert result_rows({"other_misc": {}}, "2019") == RESULT_ROWS_2021


# --- checks ----------------------------------------------------------------------------


def test_all_zero_report_passes_one_check_per_instance() -> None:
    checks = check_rules(blank_report())
    assert all(c["ok"] and "not evaluated" not in c["detail"] for c in checks)
    rules = ("rule1", "rule2", "rule3", "rule4")
    counts = {rule: sum(c["rule"] == rule for c in checks) for rule in rules}
    assert counts == {"rule1": 25, "rule2": 7, "rule3": 7, "rule4": 3}


def test_rule1_row_total() -> None:
    report = blank_report()
    apps = report["applications"]
    apps["granted"].update(natural_person=4, commercial_enterprise=2, total=6)
    apps["total_processed"].update(natural_person=4, commercial_enterprise=2, total=6)
    apps["new_received"].update(natural_person=4, commercial_enterprise=2, total=6)
    assert failed(report) == []
    assert {
        "rule": "rule1",
        "ok": True,
        "detail": "granted: total 6 = 6 = sum of the six applicant columns",
    } in check_rules(report)
    apps["granted"]["total"] = 7
    assert {
        "rule": "rule1",
        "ok": False,
        "detail": "granted: total 7 ≠ 6 = sum of the six applicant columns",
    } in failed(report)


def test_rule2_column_balance() -> None:
    report = blank_report("2019")
    apps = report["applications"]
    apps["new_received"].update(natural_person=3, total=3)
    apps["granted"].update(natural_person=2, total=2)
    apps["total_processed"].update(natural_person=2, total=2)
    apps["carried_forward"].update(natural_person=1, total=1)
    assert failed(report) == []
    apps["carried_forward"].update(natural_person=0, total=0)
    bad = [c for c in failed(report) if c["rule"] == "rule2"]
    assert bad[0] == {
        "rule": "rule2",
        "ok": False,
        "detail": "natural_person: new_received 3 + carried_over 0 = 3 ≠ 2 = "
        "total_processed 2 + carried_forward 0",
    }
    assert len(bad) == 2  # natural_person and total


@pytest.mark.parametrize("edition", ["2019", "2021"])
def test_rule3_result_rows(edition: str) -> None:
    report = blank_report(edition)
    apps = report["applications"]
    other = "other_processing" if edition == "2019" else "other_misc"
    for row in ("new_received", "total_processed", other):
        apps[row].update(research_institution=1, total=1)
    assert failed(report) == []
    apps[other].update(research_institution=0, total=0)
    n = len(RESULT_ROWS_2019 if edition == "2019" else RESULT_ROWS_2021)
    assert [c["detail"] for c in failed(report)] == [
        f"research_institution: total_processed 1 ≠ 0 = sum of the {n} result rows",
        f"total: total_processed 1 ≠ 0 = sum of the {n} result rows",
    ]


def test_rule3_hybrid_sums_the_single_other_row() -> None:
    report = blank_report("2021")
    apps = report["applications"]
    for row in OTHER_ROWS_2021:
        del apps[row]
    apps["other_processing"] = dict.fromkeys(APPLICATION_COLUMNS, 0)
    for row in ("new_received", "total_processed", "other_processing"):
        apps[row].update(natural_person=2, total=2)
    assert failed(report) == []
    assert "sum of the 19 result rows" in check_rules(report)[-4]["detail"]


def test_rule4_review_group() -> None:
    report = blank_report()
    group = report["reviews_and_lawsuits"]["litigation_direct"]
    group.update(upheld=1, corrected=1, pending=1, total=3)
    assert failed(report) == []
    group["total"] = 2
    assert failed(report) == [
        {
            "rule": "rule4",
            "ok": False,
            "detail": "litigation_direct: total 2 ≠ 3 = "
            "upheld 1 + corrected 1 + other 0 + pending 1",
        }
    ]


def test_blank_cells_give_one_not_evaluated_entry_per_rule() -> None:
    report = blank_report()
    report["applications"]["granted"]["natural_person"] = None
    report["applications"]["unable_unclear"]["total"] = None
    report["reviews_and_lawsuits"]["litigation_direct"]["other"] = None
    checks = check_rules(report)
    summaries = [c for c in checks if c["detail"].startswith("not evaluated")]
    assert summaries == [
        {
            "rule": "rule1",
            "ok": None,
            "detail": "not evaluated: 2 instances have blank cells (granted, unable_unclear)",
        },
        {
            "rule": "rule3",
            "ok": None,
            "detail": "not evaluated: 2 instances have blank cells (natural_person, total)",
        },
        {
            "rule": "rule4",
            "ok": None,
            "detail": "not evaluated: 1 instance has blank cells (litigation_direct)",
        },
    ]
    assert sum(c["rule"] == "rule1" for c in checks) == 24  # 23 evaluated + 1 summary
    rules = [c["rule"] for c in checks]
    assert rules == sorted(rules)  # each rule's summary follows its own checks


def test_absent_tables_are_reported_not_evaluated() -> None:
    report = blank_report()
    report["applications"] = {}
    report["reviews_and_lawsuits"] = {}
    assert check_rules(report) == [
        {"rule": r, "ok": None, "detail": f"not evaluated: {s} table absent"}
        for r, s in (
            ("rule1", "applications"),
            ("rule2", "applications"),
            ("rule3", "applications"),
            ("rule4", "reviews_and_lawsuits"),
        )
    ]


def test_absent_row_makes_its_column_rules_unevaluable() -> None:
    report = blank_report()
    del report["applications"]["carried_forward"]
    summary = [c for c in check_rules(report) if c["rule"] == "rule2"]
    assert summary == [
        {
            "rule": "rule2",
            "ok": None,
            "detail": "not evaluated: 7 instances have blank cells (natural_person, "
            "commercial_enterprise, research_institution, social_organization, "
            "legal_service_agency, other_organization, total)",
        }
    ]


def test_pre2019_is_one_failed_format_check() -> None:
    report = {"edition": "pre2019", "applications": {}, "reviews_and_lawsuits": {}}
    expected = {"rule": "format", "ok": False, "detail": "pre-2019 report format is not supported"}
    assert check_rules(report) == [expected]
    assert infer_forced(report) == []


def test_checks_do_not_change_the_report() -> None:
    report = blank_report()
    report["applications"]["granted"]["total"] = None
    before = copy.deepcopy(report)
    check_rules(report)
    assert report == before


@pytest.mark.parametrize("path", DEVSET_TRUTHS + SEED_TRUTHS, ids=lambda p: p.name)
def test_truth_files_fail_exactly_their_listed_rules(path: Path) -> None:
    report, meta = read(path)
    failed_rules = {c["rule"] for c in failed(report)}
    assert failed_rules == set(meta.get("failed_rules", []))


def test_deliberately_inconsistent_truth_files(devset: Path) -> None:
    dev02, _ = read(devset / "dev-02.truth.json")
    dev09, _ = read(devset / "dev-09.truth.json")
    assert {c["rule"] for c in failed(dev02)} == {"rule3"}
    assert {
        "rule": "rule1",
        "ok": False,
        "detail": "granted: total 7 ≠ 6 = sum of the six applicant columns",
    } in failed(dev09)
    assert {c["rule"] for c in failed(dev09)} == {"rule1", "rule3"}


# --- inference -------------------------------------------------------------------------


@pytest.mark.parametrize("path", DEVSET_TRUTHS, ids=lambda p: p.name)
def test_devset_inference_is_exactly_meta_inferable(path: Path) -> None:
    """Devset truth keeps blanks as printed; inference must fill exactly meta.inferable."""
    report, meta = read(path)
    expected = dict(meta.get("inferable") or {})
    got = infer_forced(report)
    assert len(got) == len(set(got))
    assert {p: get(report, p) for p in got} == expected
    assert infer_forced(report) == []  # a fixpoint


@pytest.mark.parametrize("name", ["dev-04", "dev-07", "dev-15"])
def test_devset_cases_with_forced_blanks(name: str, devset: Path) -> None:
    report, meta = read(devset / f"{name}.truth.json")
    assert meta["inferable"]
    assert set(infer_forced(report)) == set(meta["inferable"])
    assert not failed(report)


def test_dev07_leaves_an_all_blank_review_group_blank(devset: Path) -> None:
    report, _ = read(devset / "dev-07.truth.json")
    infer_forced(report)
    group = report["reviews_and_lawsuits"]["litigation_after_reconsideration"]
    assert set(group.values()) == {None}


# Seed 002 prints the new_received row with 5 of 7 cells and carried_over with 6: blanking
# those whole rows leaves new_received + carried_over = 2 in the other_organization and
# total columns, which (2, 0), (1, 1) and (0, 2) all satisfy.  Those cells stay blank.
UNDERDETERMINED = {
    "002_7fc331a43b9dfbe6": {
        "applications/new_received/other_organization",
        "applications/new_received/total",
        "applications/carried_over/other_organization",
        "applications/carried_over/total",
    },
}


@pytest.mark.parametrize("path", SEED_TRUTHS, ids=lambda p: p.name)
def test_seed_inference_recovers_the_forced_truth(path: Path) -> None:
    truth, meta = read(path)
    report = copy.deepcopy(truth)
    for p in meta["inferable"]:
        put(report, p, None)
    got = infer_forced(report)
    for p in got:
        assert get(report, p) == get(truth, p), p
    left_blank = set(meta["inferable"]) - set(got)
    assert left_blank == UNDERDETERMINED.get(path.name.split(".")[0], set())
    assert set(got) <= set(meta["inferable"])


def test_seed002_as_printed_is_fully_recovered(seeds: Path) -> None:
    """Reading the short rows right-aligned leaves only the leading cells blank: all forced."""
    truth, _ = read(seeds / "002_7fc331a43b9dfbe6.truth.json")
    report = copy.deepcopy(truth)
    unread = [f"applications/new_received/{c}" for c in APPLICANT_COLUMNS[:2]] + [
        f"applications/{row}/natural_person"
        for row in ("carried_over", "partially_granted", "other_processing")
    ]
    for p in unread:
        put(report, p, None)
    assert set(infer_forced(report)) == set(unread)
    assert report == truth


def test_seed000_missing_rows_are_added_then_forced(seeds: Path) -> None:
    """Seed 000 prints no rows after 三（三）: ensure_rows adds them, rules 2 then 3 zero them."""
    truth, meta = read(seeds / "000_4e44d0404aa8b592.truth.json")
    report = copy.deepcopy(truth)
    missing = {p.split("/")[1] for p in meta["inferable"]}
    for row in missing:
        del report["applications"][row]
    assert set(ensure_rows(report["applications"], APPLICATION_ROWS_2021)) == missing
    assert set(infer_forced(report)) == set(meta["inferable"])
    assert report == truth


def test_single_blank_is_solved() -> None:
    report = blank_report()
    add(report, "granted", "natural_person", 5)
    put(report, "applications/granted/total", None)
    assert infer_forced(report) == ["applications/granted/total"]
    assert get(report, "applications/granted/total") == 5


def test_blanks_summing_to_zero_are_all_zero() -> None:
    report = blank_report()
    add(report, "granted", "natural_person", 5)
    for column in APPLICATION_COLUMNS:
        put(report, f"applications/unable_unclear/{column}", None)
    got = infer_forced(report)
    assert got == [f"applications/unable_unclear/{c}" for c in APPLICATION_COLUMNS]
    assert set(report["applications"]["unable_unclear"].values()) == {0}


def test_never_guesses_between_two_solutions() -> None:
    """A 2×2 block of blanks where every row and column sums to 2: a = 0, 1 or 2 all fit.

    granted/natural_person = a, granted/commercial_enterprise = 2 - a,
    partially_granted/natural_person = 2 - a, partially_granted/commercial_enterprise = a.
    Any value written into these cells is a guess.
    """
    report = blank_report()
    add(report, "granted", "natural_person", 1)
    add(report, "granted", "commercial_enterprise", 1)
    add(report, "partially_granted", "natural_person", 1)
    add(report, "partially_granted", "commercial_enterprise", 1)
    block = [
        f"applications/{r}/{c}"
        for r in ("granted", "partially_granted")
        for c in ("natural_person", "commercial_enterprise")
    ]
    for p in block:
        put(report, p, None)
    before = copy.deepcopy(report)
    assert infer_forced(report) == []
    assert report == before


def test_two_blanks_in_one_row_with_a_positive_residual_stay_blank() -> None:
    report = blank_report()
    add(report, "granted", "natural_person", 2)
    add(report, "granted", "other_organization", 1)
    apps = report["applications"]
    for row in ("granted", "total_processed", "new_received"):  # every equation has ≥2 blanks
        apps[row]["natural_person"] = None
        apps[row]["other_organization"] = None
    assert infer_forced(report) == []


def test_contradicting_known_cells_force_nothing() -> None:
    report = blank_report()
    add(report, "granted", "natural_person", 5)
    report["applications"]["granted"]["total"] = 3  # printed total below the columns
    report["applications"]["granted"]["commercial_enterprise"] = None  # rule 1 needs -2
    assert infer_forced(report) == []  # though rule 3 alone would give 0
    assert report["applications"]["granted"]["commercial_enterprise"] is None


def test_two_equations_forcing_different_values_force_nothing() -> None:
    report = blank_report()
    add(report, "granted", "natural_person", 5)
    report["applications"]["granted"]["commercial_enterprise"] = 2  # row says total 7 …
    report["applications"]["granted"]["total"] = None  # … column total says 5
    assert infer_forced(report) == []


def test_absent_row_is_an_unknown_that_blocks_inference() -> None:
    report = blank_report()
    add(report, "not_processed_duplicate", "natural_person", 2)
    del report["applications"]["not_processed_duplicate"]
    report["applications"]["granted"].update(natural_person=None, total=None)
    assert infer_forced(report) == []  # granted could be 0, 1 or 2: the rest is absent


def test_absent_row_with_balanced_column_still_zeroes_present_blanks() -> None:
    report = blank_report()
    del report["applications"]["other_misc"]
    report["applications"]["granted"].update(natural_person=None, total=None)
    assert infer_forced(report) == [
        "applications/granted/natural_person",  # rule 3: nothing left for the blanks
        "applications/granted/total",  # then rule 1
    ]
    assert "other_misc" not in report["applications"]


def test_review_group_single_blank() -> None:
    report = blank_report()
    report["reviews_and_lawsuits"]["administrative_reconsideration"].update(upheld=2, total=None)
    assert infer_forced(report) == ["reviews_and_lawsuits/administrative_reconsideration/total"]
    assert report["reviews_and_lawsuits"]["administrative_reconsideration"]["total"] == 2


def test_active_disclosure_is_never_inferred() -> None:
    report = blank_report()
    report["active_disclosure"] = {"regulations": {"issued": None, "repealed": 0, "in_force": 0}}
    infer_forced(report)
    assert report["active_disclosure"]["regulations"]["issued"] is None


# --- ensure_rows -----------------------------------------------------------------------


def test_ensure_rows_adds_missing_rows_as_null_in_table_order() -> None:
    apps: dict[str, Any] = {
        "carried_forward": dict.fromkeys(APPLICATION_COLUMNS, 0),
        "granted": {"natural_person": 1},
    }
    added = ensure_rows(apps, APPLICATION_ROWS_2019)
    assert tuple(apps) == APPLICATION_ROWS_2019
    assert added == [r for r in APPLICATION_ROWS_2019 if r not in ("granted", "carried_forward")]
    assert apps["unable_unclear"] == dict.fromkeys(APPLICATION_COLUMNS)
    assert apps["granted"] == {"natural_person": 1} | dict.fromkeys(APPLICATION_COLUMNS[1:])


def test_ensure_rows_keeps_the_printed_other_rows() -> None:
    hybrid: dict[str, Any] = {"other_processing": dict.fromkeys(APPLICATION_COLUMNS, 0)}
    ensure_rows(hybrid, APPLICATION_ROWS_2021)
    assert tuple(hybrid) == APPLICATION_ROWS_2019
    full: dict[str, Any] = {
        row: dict.fromkeys(APPLICATION_COLUMNS, 0) for row in APPLICATION_ROWS_2021
    }
    assert ensure_rows(full, APPLICATION_ROWS_2021) == []
    assert tuple(full) == APPLICATION_ROWS_2021
