"""The result store and the job ledger, on SQLite (the embedded default)."""

from __future__ import annotations

import copy
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from extract.errors import ExitCode
from extract.version import PARSER_VERSION
from worker import db
from worker.errors import InvalidSetting, NotFound, StoreConflict
from worker.ledger import Ledger
from worker.status import UNIDENTIFIED
from worker.store import Selection, Store


@pytest.fixture
def engine_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.sqlite3'}"


@pytest.fixture
def store(engine_url: str) -> Store:
    return Store(db.engine(engine_url))


def _report(agency: str | None, year: int | None, sha: str) -> dict[str, Any]:
    source = {"filename": f"{sha}.pdf", "sha256": sha * 64, "pages": 3, "method": "text"}
    review = {"status": "complete", "reasons": []}
    return {"agency": agency, "year": year, "source": source, "checks": [], "review": review}


def _save(store: Store, report: dict[str, Any]) -> Any:
    name = report["source"]["filename"]
    return store.save(report, filename=name, original=f"originals/{name}", timings={"total": 1})


def test_versions_of_one_agency_and_year_are_kept(store: Store) -> None:
    first = _save(store, _report("某市某局", 2021, "a"))
    second = _save(store, _report("某市某局", 2021, "b"))
    other = _save(store, _report("某市某局", 2022, "c"))
    assert (first.version, second.version, other.version) == (1, 2, 1)
    assert first.created and second.created
    assert [v.version for v in store.history("某市某局", "2021")] == [1, 2]
    assert store.report("某市某局", "2021")["source"]["sha256"] == "b" * 64
    assert store.report("某市某局", "2021", version=1)["source"]["sha256"] == "a" * 64


def test_the_same_bytes_twice_add_no_version(store: Store) -> None:
    report = _report("某市某局", 2021, "a")
    first = _save(store, report)
    again = _save(store, copy.deepcopy(report))
    assert not again.created and again.version == first.version == 1
    assert len(list(store.listing(Selection(all_versions=True)))) == 1
    assert store.by_sha("a" * 64) == again


def test_two_unidentified_files_stay_two_records(store: Store) -> None:
    first = _save(store, _report(None, None, "a"))
    second = _save(store, _report(None, None, "b"))
    no_year = _save(store, _report("某市某局", None, "c"))
    for stored in (first, second, no_year):
        assert stored.created and stored.version is None and stored.status == UNIDENTIFIED
    listed = [(v.agency, v.sha256[0]) for v in store.listing()]
    assert listed == [("某市某局", "c"), (None, "a"), (None, "b")]  # each its own, unread last
    assert store.report_by_sha("a" * 64)["source"]["sha256"] == "a" * 64
    assert [v.sha256 for v in store.record("b" * 64)] == [second.sha256]  # a version of nothing
    unidentified = Selection(status=UNIDENTIFIED)
    assert store.page(unidentified, 10) == (3, list(store.listing(unidentified)))
    with pytest.raises(NotFound):
        store.history("_unknown-agency", "unknown-year")


def test_the_report_text_keeps_the_parsers_key_order(store: Store) -> None:
    report = {"zebra": 1, **_report("某市某局", 2021, "a"), "alpha": {"z": 1, "a": 2}}
    _save(store, report)
    assert list(store.report("某市某局", 2021)) == list(report)
    assert list(store.report_by_sha("a" * 64)["alpha"]) == ["z", "a"]


def test_each_version_records_the_parser_and_gongkai_versions(store: Store) -> None:
    stored = _save(store, _report("某市某局", 2021, "a"))
    assert stored.parser_version == PARSER_VERSION
    assert stored.gongkai_version == version("gongkai")
    assert store.history("某市某局", 2021)[0].as_json()["parser_version"] == PARSER_VERSION


def test_listing_latest_versions_filtered_by_agency_substring_and_year(store: Store) -> None:
    for agency, year, sha in [
        ("长沙市市场监督管理局", 2021, "a"),
        ("长沙市市场监督管理局", 2021, "b"),
        ("长沙市教育局", 2022, "c"),
        ("郑州市教育局", 2021, "d"),
    ]:
        _save(store, _report(agency, year, sha))
    latest = list(store.listing(Selection(agency="长沙")))
    assert [(v.agency, v.version) for v in latest] == [
        ("长沙市市场监督管理局", 2),
        ("长沙市教育局", 1),
    ]
    in_2021 = {v.agency for v in store.listing(Selection(year_from=2021, year_to=2021))}
    assert in_2021 == {"长沙市市场监督管理局", "郑州市教育局"}
    assert len(list(store.listing(Selection(agency="长沙", all_versions=True)))) == 3
    assert list(store.listing(Selection(agency="%"))) == []  # LIKE wildcards match literally
    assert store.page(Selection(), 2, 1) == (3, list(store.listing())[1:3])
    row = latest[0].as_json()
    assert {"agency", "year", "version", "status", "sha256", "filename"} <= row.keys()
    assert row["created_at"].endswith("+00:00")


def test_selections_refuse_what_cannot_match(store: Store) -> None:
    for bad in ({"year_from": 2022, "year_to": 2021}, {"status": "lost"}, {"agency": "a\x00"}):
        with pytest.raises(InvalidSetting):
            Selection(**bad)  # type: ignore[arg-type]


def test_missing_reports_raise_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.report("某市某局", "2021")
    _save(store, _report("某市某局", 2021, "a"))
    with pytest.raises(NotFound, match="version 2"):
        store.report("某市某局", "2021", version=2)
    with pytest.raises(NotFound):
        store.history("某市某局", "2020")


def test_the_ledger_keeps_one_row_per_task_and_counts_starts(engine_url: str) -> None:
    ledger = Ledger(db.engine(engine_url))
    kwargs = {"sha256": "a" * 64, "filename": "a.pdf"}
    ledger.queued("t1", "gongkai.process", kwargs)
    ledger.record("t1", "started", count_attempt=True, pid=11)
    ledger.progress("t1", "parsing", 4, 4)
    ledger.record("t1", "started", count_attempt=True, pid=12)
    ledger.record("t1", "failed", error_kind="corrupt_file", error_message="bad", exit_code=4)
    ledger.queued("t2", "gongkai.process", {"sha256": "b" * 64, "filename": "b.pdf"})
    (job,) = ledger.jobs(state="failed")
    assert (job.task_id, job.filename, job.attempts, job.pid) == ("t1", "a.pdf", 2, 12)
    assert (job.stage, job.page, job.pages, job.exit_code) == ("parsing", 4, 4, 4)
    assert [j.task_id for j in ledger.jobs()] == ["t2", "t1"]  # most recent first
    assert [j.task_id for j in ledger.jobs(sha256="bbb")] == ["t2"]
    assert ledger.job("nope") is None
    assert job.as_json()["updated_at"].endswith("+00:00")


def test_a_writer_that_loses_every_race_gets_a_transient_conflict(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from worker.tasks import TRANSIENT

    _save(store, _report("某市某局", 2021, "a"))
    # As if another writer stored the same bytes just before each attempt's insert.
    monkeypatch.setattr(Store, "_by_sha", staticmethod(lambda session, sha256: None))
    with pytest.raises(StoreConflict) as raised:
        _save(store, _report("某市某局", 2021, "a"))
    assert isinstance(raised.value, TRANSIENT)  # the task retries it, never fails the file
    assert raised.value.exit_code == ExitCode.unavailable
