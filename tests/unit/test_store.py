"""The result store and the job ledger, on SQLite (the embedded default)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from worker import db
from worker.errors import NotFound
from worker.ledger import Ledger
from worker.store import Store


@pytest.fixture
def engine_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.sqlite3'}"


@pytest.fixture
def store(engine_url: str) -> Store:
    return Store(db.engine(engine_url))


def _report(agency: str | None, year: int | None, sha: str) -> dict[str, Any]:
    source = {"filename": f"{sha}.pdf", "sha256": sha * 64, "pages": 3, "method": "text"}
    return {"agency": agency, "year": year, "source": source, "checks": []}


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
    assert len(store.listing(all_versions=True)) == 1
    assert store.by_sha("a" * 64) == again


def test_fragments_are_kept_under_the_placeholders(store: Store) -> None:
    _save(store, _report(None, None, "a"))
    _save(store, _report(None, None, "b"))
    _save(store, _report("某市某局", None, "c"))
    assert [v.version for v in store.history("_unknown-agency", "unknown-year")] == [1, 2]
    assert store.report("某市某局", "unknown-year")["year"] is None
    listed = [(v.agency, v.year, v.version) for v in store.listing()]
    assert listed == [(None, None, 2), ("某市某局", None, 1)]


def test_listing_latest_versions_filtered_by_agency_substring_and_year(store: Store) -> None:
    for agency, year, sha in [
        ("长沙市市场监督管理局", 2021, "a"),
        ("长沙市市场监督管理局", 2021, "b"),
        ("长沙市教育局", 2022, "c"),
        ("郑州市教育局", 2021, "d"),
    ]:
        _save(store, _report(agency, year, sha))
    latest = store.listing(agency="长沙")
    assert {(v.agency, v.version) for v in latest} == {
        ("长沙市市场监督管理局", 2),
        ("长沙市教育局", 1),
    }
    assert {v.agency for v in store.listing(year=2021)} == {"长沙市市场监督管理局", "郑州市教育局"}
    assert len(store.listing(agency="长沙", all_versions=True)) == 3
    assert store.listing(agency="%") == []  # LIKE wildcards are matched literally
    row = latest[0].as_json()
    assert {"agency", "year", "version", "sha256", "filename"} <= row.keys()
    assert row["created_at"].endswith("+00:00")


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
