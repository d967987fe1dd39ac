"""Revisions of one document's bytes (reprocessed, corrected, reviewed), on SQLite and real
PostgreSQL: each is a new version of the report it names, the document's SHA-256 addresses
the newest, the same bytes dropped again stay a duplicate of it, and a revision that moves
a document to another agency or year gives its old report back its previous version."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from worker import db
from worker.errors import NotFound
from worker.status import UNIDENTIFIED
from worker.store import Selection, Store


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "postgresql":
        return Store(db.engine(request.getfixturevalue("database")))
    return Store(db.engine(f"sqlite:///{tmp_path / 'gongkai.sqlite3'}"))


def _of(report: dict[str, Any], sha: str, **changes: Any) -> dict[str, Any]:
    made = copy.deepcopy({**report, **changes})
    made["source"]["sha256"] = sha * 64
    return made


def _save(store: Store, report: dict[str, Any]) -> Any:
    return store.save(report, filename="r.pdf", original="originals/x", timings={"total": 1.0})


def test_a_revision_is_the_next_version_and_what_the_sha_addresses(
    store: Store, dev01_report: dict[str, Any]
) -> None:
    first = _save(store, _of(dev01_report, "a"))
    corrected = _of(dev01_report, "a", corrections=[])
    corrected["review"] = {**corrected["review"], "status": "reviewed"}
    revised = store.revise("a" * 64, corrected, "reviewed")

    assert (first.version, first.revision, first.origin) == (1, 1, "parsed")
    assert (revised.version, revised.revision, revised.origin) == (2, 2, "reviewed")
    assert (revised.filename, revised.original) == ("r.pdf", "originals/x")
    assert store.document("a" * 64) == replace(revised, created=False)
    assert store.report_by_sha("a" * 64)["review"]["status"] == "reviewed"
    assert [v.revision for v in store.record("a" * 64)] == [1, 2]
    listed = list(store.listing())
    assert [(s.version, s.status) for s in listed] == [(2, "reviewed")]
    again = _save(store, _of(dev01_report, "a"))  # the same bytes dropped again
    assert (again.created, again.revision) == (False, 2)


def test_an_unidentified_record_keeps_one_current_revision_until_it_is_named(
    store: Store, dev01_report: dict[str, Any]
) -> None:
    agency = dev01_report["agency"]
    _save(store, _of(dev01_report, "b", agency=None))
    store.revise("b" * 64, _of(dev01_report, "b", agency=None, corrections=[]), "corrected")
    unidentified = list(store.listing(Selection(status=UNIDENTIFIED)))
    assert [(s.sha256[0], s.revision) for s in unidentified] == [("b", 2)]

    named = store.revise("b" * 64, _of(dev01_report, "b"), "corrected")
    assert (named.agency, named.year, named.version, named.revision) == (agency, 2021, 1, 3)
    assert list(store.listing(Selection(status=UNIDENTIFIED))) == []
    assert store.version(agency, 2021).sha256 == "b" * 64


def test_moving_a_document_to_another_agency_gives_the_old_report_its_previous_version(
    store: Store, dev01_report: dict[str, Any]
) -> None:
    agency = dev01_report["agency"]
    _save(store, _of(dev01_report, "c"))
    _save(store, _of(dev01_report, "d"))  # version 2, a corrected file
    store.revise("d" * 64, _of(dev01_report, "d", agency="另一个机关"), "corrected")

    assert store.version(agency, 2021).sha256 == "c" * 64
    assert store.version("另一个机关", 2021).sha256 == "d" * 64
    assert [(s.agency, s.sha256[0]) for s in store.listing()] == [
        ("另一个机关", "d"),
        (agency, "c"),
    ]


def test_revising_unknown_bytes_or_other_bytes_is_refused(
    store: Store, dev01_report: dict[str, Any]
) -> None:
    with pytest.raises(NotFound):
        store.revise("e" * 64, _of(dev01_report, "e"), "corrected")
    _save(store, _of(dev01_report, "f"))
    with pytest.raises(ValueError, match="other bytes"):
        store.revise("f" * 64, _of(dev01_report, "e"), "corrected")
    with pytest.raises(ValueError, match="origin"):
        store.revise("f" * 64, _of(dev01_report, "f"), "parsed")
