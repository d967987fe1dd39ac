"""The review desk's pure parts: sessions, users' password hashes, the tables as printed with
their flags and conflicts, the figures over the years, failed logins counted, a report's
versions, text originals as read, values, checks and refusals in Chinese."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from paths import DEVSET, PINGTAN

from extract.options import DEFAULTS
from schemas.rules import check_previous_year, check_rules
from worker import db, users
from worker.corrections import InvalidCorrection, conflicts, correct, mark_reviewed
from worker.desk import history, pages, sheet, words, years
from worker.desk.session import Keys
from worker.desk.throttle import Throttle
from worker.store import Stored


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


# ---------------------------------------------------------------- failed logins


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failed_logins_for_a_name_are_refused_until_the_oldest_is_old_enough() -> None:
    clock = Clock()
    gate = Throttle(name_limit=5, address_limit=20, window=900, clock=clock)
    for _ in range(4):
        gate.failed("张三", "10.0.0.1")
        clock.now += 60
    assert gate.wait("张三", "10.0.0.9") == 0  # four failures: one more try
    gate.failed("张三", "10.0.0.2")
    assert gate.wait("张三", "10.0.0.9") == 900 - 4 * 60  # from any address
    assert gate.wait("李四", "10.0.0.9") == 0  # another name is another count
    for _ in range(10):
        assert gate.wait("张三", "10.0.0.9") > 0  # a refused attempt is not counted
    clock.now = 1000 + 900
    assert gate.wait("张三", "10.0.0.9") == 0  # the first failure is 15 minutes old
    gate.failed("张三", "10.0.0.1")
    assert gate.wait("张三", "10.0.0.9") == 60


def test_failed_logins_from_an_address_are_refused_whatever_the_name() -> None:
    clock = Clock()
    gate = Throttle(name_limit=5, address_limit=3, window=900, clock=clock)
    for name in ("a", "b", "c"):
        gate.failed(name, "10.0.0.1")
    assert gate.wait("d", "10.0.0.1") == 900
    assert gate.wait("d", "10.0.0.2") == 0


def test_a_login_clears_its_names_count_not_its_addresses() -> None:
    clock = Clock()
    gate = Throttle(name_limit=3, address_limit=5, window=900, clock=clock)
    for _ in range(2):
        gate.failed("张三", "10.0.0.1")
    gate.succeeded("张三")
    for _ in range(2):
        gate.failed("张三", "10.0.0.1")
    assert gate.wait("张三", "10.0.0.2") == 0  # 2 since the login, not 4
    gate.failed("张三", "10.0.0.1")
    assert gate.wait("张三", "10.0.0.2") > 0
    assert gate.wait("李四", "10.0.0.1") > 0  # the address's 5 failures stay


def test_the_counts_kept_are_bounded() -> None:
    clock = Clock()
    gate = Throttle(name_limit=2, address_limit=2, window=900, max_keys=4, clock=clock)
    gate.failed("old", "10.0.0.1")
    clock.now += 901
    gate.failed("a", "10.0.0.2")  # the expired ones make room first
    gate.failed("a", "10.0.0.2")
    gate.failed("b", "10.0.0.3")
    assert len(gate._failures) <= 4
    assert gate.wait("a", "10.0.0.9") > 0  # the newest counts are kept


# ---------------------------------------------------------------- a report's versions


def stored(revision: int, origin: str, version: int | None = 1, sha: str = "a" * 64) -> Stored:
    return Stored(
        agency="某某局" if version else None,
        year=2022 if version else None,
        version=version,
        sha256=sha,
        revision=revision,
        origin=origin,
        edition="2021",
        filename="x.pdf",
        method="text",
        pages=1,
        original="originals/x.pdf",
        timings={},
        created_at=datetime(2026, 12, 1, revision, tzinfo=UTC),
        status="complete",
        parser_version=1,
        gongkai_version="0.1.0",
    )


def test_each_version_says_who_made_it_when_and_what_it_changed() -> None:
    parsed = report(agency="某某局", year=2022)
    fixed = copy.deepcopy(parsed)
    fixed["applications"]["granted"]["total"] = 3
    fixed["corrections"] = [
        {"path": "year", "old": 2021, "new": 2022, "who": "甲", "when": "2026-12-01T05:00:00"},
        {"path": "applications/granted/total", "old": 2, "new": 3, "who": "乙", "when": "T6"},
    ]
    reviewed = copy.deepcopy(fixed)
    reviewed["review"] = {
        "status": "reviewed",
        "reasons": [],
        "reviewed_by": "丙",
        "reviewed_at": "T7",
    }
    rows = [stored(1, "parsed", 1), stored(2, "corrected", 2), stored(3, "reviewed", 3)]
    reports = {("a" * 64, 1): parsed, ("a" * 64, 2): fixed, ("a" * 64, 3): reviewed}
    found = history.lineup(rows, reports, ("a" * 64, 3), ("a" * 64, 1))
    assert [(entry.who, entry.when) for entry in found] == [
        (None, "2026-12-01T01:00:00+00:00"),  # gongkai's parse: when it was stored
        ("乙", "T6"),  # the newest correction
        ("丙", "T7"),
    ]
    assert found[0].first and found[0].changes == ()
    assert [(c.path, c.old, c.new) for c in found[1].changes] == [
        ("applications/granted/total", 2, 3)
    ]
    assert [(c.path, c.old, c.new) for c in found[2].changes] == [
        ("review/status", "needs_review", "reviewed")
    ]
    assert [(entry.current, entry.viewed) for entry in found] == [
        (False, True),
        (False, False),
        (True, False),
    ]
    assert found[0].link == f"/desk/documents/{'a' * 64}/revisions/1"
    assert found[2].link == f"/desk/documents/{'a' * 64}"


def test_an_unidentified_records_revisions_are_its_versions() -> None:
    rows = [stored(1, "parsed", None), stored(2, "corrected", None)]
    first = report(agency=None, year=None)
    named = {
        **first,
        "agency": "某某局",
        "corrections": [{"path": "agency", "old": None, "new": "某某局", "who": "甲", "when": "T"}],
    }
    found = history.lineup(
        rows, {("a" * 64, 1): first, ("a" * 64, 2): named}, ("a" * 64, 2), ("a" * 64, 2)
    )
    assert [(c.path, c.old, c.new) for c in found[1].changes] == [("agency", None, "某某局")]
    assert found[1].who == "甲" and found[0].link.endswith("/revisions/1")


# ---------------------------------------------------------------- originals that are text


def test_only_pdfs_and_images_are_shown_as_page_images(tmp_path: Path) -> None:
    page = tmp_path / "excerpt.htm"  # a web page saved under any name: told by its bytes
    page.write_text("<html><body><p>报告</p></body></html>", encoding="utf-8")
    pdf_named_txt = tmp_path / "report.txt"
    pdf_named_txt.write_bytes((DEVSET / "dev-01.pdf").read_bytes())
    assert pages.paged(DEVSET / "dev-01.pdf") and pages.paged(DEVSET / "dev-14.png")
    assert pages.paged(pdf_named_txt)
    assert not pages.paged(PINGTAN) and not pages.paged(page)


def test_a_text_original_is_shown_as_its_reader_reads_it(tmp_path: Path) -> None:
    page = tmp_path / "page.htm"
    page.write_text(
        "<html><body><p>&lt;script&gt;x()&lt;/script&gt; 某局</p>"
        "<table><tr><td>自然人</td><td>3</td></tr><tr><td>总计</td><td>4</td></tr></table>"
        "<p>完</p></body></html>",
        encoding="utf-8",
    )
    found = pages.original_text(page, "1" * 64, DEFAULTS)
    assert found.error is None and not found.cut
    (shown,) = found.pages
    assert [(block.table, block.rows) for block in shown.blocks] == [
        (False, (("<script>x()</script> 某局",),)),  # the text as read: escaped by the page
        (True, (("自然人", "3"), ("总计", "4"))),
        (False, (("完",),)),
    ]
    text = pages.original_text(PINGTAN, "2" * 64, DEFAULTS)
    assert not text.cut and "平潭综合实验区" in str(text.pages)


def test_a_long_text_original_is_cut(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "MAX_TEXT_CHARACTERS", 1000)
    found = pages.original_text(PINGTAN, "3" * 64, DEFAULTS)
    shown = sum(len(cell) for p in found.pages for b in p.blocks for r in b.rows for cell in r)
    assert found.cut and 0 < shown <= 1000
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"  \n")
    unread = pages.original_text(empty, "4" * 64, DEFAULTS)
    assert unread.pages == () and unread.error == "empty file"


# ---------------------------------------------------------------- in Chinese, with labels


def test_a_value_is_named_by_the_labels_the_form_prints() -> None:
    path = "applications/new_received/natural_person"
    assert words.place(path, "zh") == "一、本年新收政府信息公开申请数量 · 自然人"
    assert words.place("reviews_and_lawsuits/litigation_direct/upheld", "zh") == (
        "行政诉讼 · 未经复议直接起诉 · 结果维持"
    )
    assert words.place("active_disclosure/regulations/issued", "zh") == "规章 · 本年制发件数"
    assert (words.place("agency", "zh"), words.place("year", "zh")) == ("机关名称", "年度")
    assert words.place(path, "en") == path and words.place("agency", "en") == "agency"
    assert words.place("not/a/path", "zh") == "not/a/path"


def every_kind_of_check() -> list[dict[str, Any]]:
    """Checks of all five rules, holding, broken and not evaluated, and the format's."""
    truth = json.loads((DEVSET / "dev-01.truth.json").read_text(encoding="utf-8"))
    broken = copy.deepcopy(truth)
    broken["applications"]["new_received"]["natural_person"] += 5
    broken["applications"]["granted"]["total"] = None
    last = copy.deepcopy(truth)
    last["year"] = truth["year"] - 1
    return [
        *check_rules(truth),
        *check_rules(broken),
        *check_previous_year(truth, last),
        *check_rules({"edition": "2021"}),
        *check_rules({"edition": "pre2019"}),
    ]


def test_every_rule_is_described_in_chinese_and_english() -> None:
    checks = every_kind_of_check()
    assert {check["rule"] for check in checks} == set(words.RULES)
    for rule, (zh, en) in words.RULES.items():
        assert words.rule(rule, "zh") == zh and words.rule(rule, "en") == en
        assert not re.search(r"[a-z]{2}", zh) and re.search(r"[\u4e00-\u9fff]", zh), rule
        assert not re.search(r"[\u4e00-\u9fff]", en), rule


def test_a_checks_detail_is_told_in_chinese_with_its_numbers() -> None:
    checks = every_kind_of_check()
    for check in checks:
        zh = words.check_text(check, "zh")
        assert not re.search(r"[A-Za-z]", zh), (check, zh)  # no key, no English word left
        numbers = iter(re.findall(r"\d+", zh))  # every number of the check, in its order
        assert all(number in numbers for number in re.findall(r"\d+", check["detail"])), zh
        assert words.check_text(check, "en") == check["detail"]
    first = words.check_text(checks[0], "zh")
    assert first == "一、本年新收政府信息公开申请数量：总计 23 = 23 = 六类申请人之和"
    broken = [c for c in checks if c["ok"] is False and c["rule"] == "rule1"]
    assert words.check_text(broken[0], "zh").startswith(
        "一、本年新收政府信息公开申请数量：总计 23 ≠ 28 = 六类申请人之和"
    )
    blank = [c for c in checks if c["ok"] is None and c["rule"] == "rule3"]
    assert words.check_text(blank[0], "zh") == "未核验：1 处含空白单元格（总计）"
    absent = [c for c in checks if c["ok"] is None and "absent" in c["detail"]]
    assert words.check_text(absent[0], "zh") == "未核验：报告中没有「依申请公开」表"
    carried = [c for c in checks if c["rule"] == "rule5"]
    assert words.check_text(carried[0], "zh") == (
        "自然人：二、上年结转政府信息公开申请数量 1 = 2020 年结转下年度 1"
    )


def parsed_report() -> dict[str, Any]:
    truth = json.loads((DEVSET / "dev-01.truth.json").read_text(encoding="utf-8"))
    return {**truth, "review": {"status": "complete", "reasons": []}, "corrections": []}


def test_a_refused_correction_says_why_in_chinese() -> None:
    found = parsed_report()
    cell = "applications/granted/total"
    expected = {
        (cell, "abc"): "三（一）予以公开 · 总计：「abc」不是数字",
        ("year", "it's"): "年度：「it's」不是数字",
        (cell, "-1"): "三（一）予以公开 · 总计：此处不能填「-1」（不能小于 0）",
        (cell, "1.5"): "三（一）予以公开 · 总计：此处不能填「1.5」（须为整数）",
        ("source/sha256", "0"): "「source/sha256」不是报告中可以更正的值",
        ("", ""): "请先选择要更正的单元格",
        ("agency", "局" * 401): "新值最多 400 个字符，说明最多 1000 个字符",
    }
    for (path, value), told in expected.items():
        with pytest.raises(InvalidCorrection) as refused:
            correct(found, path, value, "张三")
        assert words.refusal(refused.value.message, "zh") == told, refused.value.message
        assert words.refusal(refused.value.message, "en") == refused.value.message
    found["corrections"] = [
        {"path": path, "old": 1, "new": 2, "who": "张三", "when": "", "parsed": 3}
        for path in ("year", cell)
    ]
    with pytest.raises(InvalidCorrection) as refused:
        mark_reviewed(found, "张三")
    assert words.refusal(refused.value.message, "zh") == (
        "请先处理更正冲突（重新更正 年度、三（一）予以公开 · 总计）"
    )
    assert words.refusal("something else", "zh") == "something else"


def test_the_devset_readme_links_to_files_that_exist() -> None:
    readme = DEVSET / "README.md"
    text = readme.read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#]+)\)", text) + re.findall(r"`(\.\./[^`]+)`", text)
    assert "../../../docs/report-fields.md" in links
    for link in links:
        assert (readme.parent / link).exists(), link
