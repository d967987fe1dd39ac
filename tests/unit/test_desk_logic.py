"""The review desk's pure parts: sessions, users' password hashes, the tables as printed with
their flags and conflicts, the figures over the years."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from worker import db, users
from worker.corrections import conflicts
from worker.desk import sheet, years
from worker.desk.session import Keys


def test_a_session_reads_back_only_as_issued(tmp_path: Path) -> None:
    keys = Keys(tmp_path, "a-long-enough-token")
    cookie = keys.issue("张三", now=1000)
    session = keys.read(cookie, now=1001)
    assert session is not None and session.who == "张三"
    body, signature = cookie.rsplit(".", 1)
    assert keys.read(f"{body}.{signature[:-2]}AA", now=1001) is None  # forged
    assert keys.read(cookie, now=1000 + 13 * 3600) is None  # expired
    assert Keys(tmp_path, "another-token").read(cookie, now=1001) is None  # token changed
    assert Keys(tmp_path / "elsewhere", "a-long-enough-token").read(cookie, now=1001) is None


def test_a_session_says_whether_a_user_logged_in(tmp_path: Path) -> None:
    keys = Keys(tmp_path, "a-long-enough-token")
    by_password, by_token = keys.read(keys.issue("王五", user=True)), keys.read(keys.issue("x"))
    assert by_password is not None and by_password.user
    assert by_token is not None and not by_token.user


def test_a_password_hash_is_salted_scrypt_with_its_parameters() -> None:
    first, second = users.hash_password("correct horse"), users.hash_password("correct horse")
    assert first != second  # salted
    scheme, n, r, p, salt, key = first.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", users.SCRYPT_N, users.SCRYPT_R, 1)
    assert users.password_matches("correct horse", first)
    assert users.password_matches("correct horse", second)
    assert not users.password_matches("correct horsE", first)
    assert not users.password_matches("", first)
    cheaper = "$".join(("scrypt", "1024", "8", "1", salt, key))
    assert not users.password_matches("correct horse", cheaper)  # the parameters count
    for malformed in ("", "scrypt$1$2", "md5$16384$8$1$" + salt + "$" + key, first[:-8] + "!!!!"):
        assert not users.password_matches("correct horse", malformed)


def test_an_unknown_name_costs_the_same_scrypt_as_a_wrong_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = users.Users(db.engine(f"sqlite:///{tmp_path}/u.sqlite3"))
    people.add("张三", "a password of some length")
    users._decoy()  # made once per process, before any name is looked up
    calls: list[int] = []
    real = users._scrypt
    monkeypatch.setattr(users, "_scrypt", lambda *args: calls.append(args[2]) or real(*args))
    assert not people.verify("张三", "a wrong password here")
    assert not people.verify("nobody", "a wrong password here")
    assert calls == [users.SCRYPT_N, users.SCRYPT_N]


def test_a_form_token_belongs_to_its_session(tmp_path: Path) -> None:
    keys = Keys(tmp_path, None)
    mine = keys.read(keys.issue("a"))
    theirs = keys.read(keys.issue("b"))
    assert mine is not None and theirs is not None
    assert keys.csrf_ok(mine, keys.csrf(mine))
    assert not keys.csrf_ok(mine, keys.csrf(theirs))
    assert not keys.csrf_ok(mine, None)


def report(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "edition": "2021",
        "applications": {
            "new_received": {"natural_person": 5, "total": 5},
            "granted": {"natural_person": 2, "total": 2},
            "total_processed": {"natural_person": 4, "total": 4},
        },
        "reviews_and_lawsuits": {},
        "review": {"status": "needs_review", "reasons": []},
        "inferred": [],
        "provenance": {},
        "checks": [],
    }
    return {**base, **changes}


def cells(found: dict[str, Any]) -> dict[str, sheet.CellView]:
    return {
        cell.path: cell for table in sheet.tables(found) for row in table.rows for cell in row.cells
    }


def test_the_tables_are_those_of_the_reports_edition() -> None:
    rows_2021 = [len(table.rows) for table in sheet.tables(report())]
    rows_2019 = [len(table.rows) for table in sheet.tables(report(edition="2019"))]
    assert rows_2021 != rows_2019
    assert rows_2021[2] == rows_2019[2] == 3  # 行政复议 and the two kinds of lawsuit


def test_each_cell_says_why_it_needs_a_look() -> None:
    found = cells(
        report(
            review={
                "status": "needs_review",
                "reasons": [
                    {"reason": "cell_null", "paths": ["applications/granted/other_organization"]},
                    {"reason": "table_not_found", "paths": ["reviews_and_lawsuits"]},
                ],
            },
            inferred=["applications/granted/natural_person"],
            provenance={
                "applications/new_received/total": {
                    "page": 2,
                    "bbox": [1, 2, 3, 4],
                    "method": "ocr",
                    "confidence": 0.4,
                }
            },
        )
    )
    assert found["applications/granted/other_organization"].flags == ("null_warned",)
    assert found["reviews_and_lawsuits/litigation_direct/upheld"].why == ("table_not_found",)
    assert "inferred" in found["applications/granted/natural_person"].flags
    total = found["applications/new_received/total"]
    assert total.flags == ("low_confidence",) and total.page == 2 and total.bbox == (1, 2, 3, 4)
    # new_received's natural person (5) is not the total of a row whose total is 5: rule 1
    # holds, so nothing else is coloured
    assert found["applications/new_received/natural_person"].flags == ()


def test_a_cell_in_a_broken_sum_is_marked_with_its_rule() -> None:
    broken = report(
        applications={
            "new_received": {
                "natural_person": 5,
                "commercial_enterprise": 0,
                "research_institution": 0,
                "social_organization": 0,
                "legal_service_agency": 0,
                "other_organization": 0,
                "total": 7,
            }
        }
    )
    found = cells(broken)
    assert "broken" in found["applications/new_received/total"].flags
    assert [check.rule for check in sheet.broken_checks(broken)] == ["rule1"]


def test_the_years_of_an_agency_side_by_side_with_their_change() -> None:
    def year(received: int, granted: int, processed: int, rule5: bool | None) -> dict[str, Any]:
        return report(
            applications={
                "new_received": {"total": received},
                "granted": {"total": granted},
                "total_processed": {"total": processed},
            },
            reviews_and_lawsuits={
                "administrative_reconsideration": {
                    "upheld": 3,
                    "corrected": 1,
                    "other": 0,
                    "pending": 0,
                    "total": 4,
                },
                "litigation_direct": {
                    "upheld": 1,
                    "corrected": 0,
                    "other": 0,
                    "pending": 1,
                    "total": 2,
                },
                "litigation_after_reconsideration": {
                    "upheld": 0,
                    "corrected": 0,
                    "other": 0,
                    "pending": 0,
                    "total": 0,
                },
            },
            checks=[] if rule5 is None else [{"rule": "rule5", "ok": rule5, "detail": ""}],
        )

    found = years.figures(
        {2022: year(10, 4, 8, None), 2021: year(8, 2, 8, None), 2023: year(12, 6, 12, False)}
    )
    assert [f.year for f in found] == [2021, 2022, 2023]
    assert found[0].change["received"] is None and found[1].change["received"] == 2
    assert found[1].granted_share == 0.5 and found[1].change["granted_share"] == 0.25
    assert found[1].reconsiderations == 4 and found[1].lawsuits == 2
    assert found[1].corrected_rate == 1 / 5  # one corrected of five concluded
    assert [f.rule5 for f in found] == [None, None, False]
    svg = years.chart(found)
    assert svg.startswith("<svg") and svg.count("<rect") == 3


def test_a_correction_the_parser_now_reads_otherwise_is_a_conflict_until_settled() -> None:
    carried = {
        "path": "applications/granted/total",
        "old": 2,
        "new": 3,
        "who": "张三",
        "when": "2026-12-01T00:00:00+00:00",
        "parsed": 4,
    }
    found = report(
        applications={"granted": {"total": 3}},
        corrections=[carried],
        review={
            "status": "needs_review",
            "reasons": [{"reason": "correction_conflict", "paths": [carried["path"]]}],
        },
    )
    assert conflicts(found) == [carried]
    cell = cells(found)[carried["path"]]
    assert cell.value == 3  # the reviewer's value stays
    assert "conflict" in cell.flags and "correction_conflict" in cell.why
    settled = {key: value for key, value in carried.items() if key != "parsed"}
    again = report(corrections=[carried, {**settled, "new": 4, "old": 3}])
    assert conflicts(again) == []
    assert "conflict" not in cells(again)[carried["path"]].flags


def test_a_value_a_review_reason_names_is_flagged() -> None:
    found = report(
        agency="某某局",
        review={
            "status": "needs_review",
            "reasons": [{"reason": "agency_unconfirmed", "paths": ["agency"]}],
        },
        provenance={"agency": {"page": 1, "bbox": [1, 2, 3, 4], "method": "ocr"}},
    )
    agency, year = sheet.identity(found)
    assert agency.flags == ("warned",) and agency.why == ("agency_unconfirmed",)
    assert agency.page == 1 and agency.bbox == (1, 2, 3, 4)
    assert year.path == "year" and year.flags == ()
