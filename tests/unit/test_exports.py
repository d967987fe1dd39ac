"""The field catalogue from the schema, and the export formats on a SQLite store."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from schemas.fields import TABLES, catalogue, row_label
from schemas.rules import APPLICATION_COLUMNS, APPLICATION_ROWS_2019, APPLICATION_ROWS_2021
from worker import db, exports
from worker.errors import InvalidSetting
from worker.store import Store


def _cells(report: dict[str, Any]) -> set[str]:
    return {
        f"{table}/{row}/{column}"
        for table in TABLES
        for row, cells in (report.get(table) or {}).items()
        for column in cells
    }


def test_the_catalogue_holds_every_cell_of_both_editions_once(data_dir: Path) -> None:
    paths = [field.path for field in catalogue()]
    assert len(paths) == len(set(paths))
    assert len({field.label_zh for field in catalogue()}) == len(paths)
    rows = dict.fromkeys(APPLICATION_ROWS_2019 + APPLICATION_ROWS_2021)
    assert {f"applications/{r}/{c}" for r in rows for c in APPLICATION_COLUMNS} <= set(paths)
    for truth in sorted(data_dir.rglob("*.truth.json")):  # nothing a report holds is left out
        assert _cells(json.loads(truth.read_text(encoding="utf-8"))) <= set(paths), truth.name
    assert row_label("applications", "granted") == "三（一）予以公开"
    assert row_label("applications", "no_such_row") == "no_such_row"


def _report(agency: str, year: int, sha: str, filename: str) -> dict[str, Any]:
    return {
        "agency": agency,
        "year": year,
        "edition": "2021",
        "active_disclosure": {"administrative_fees": {"amount": 1.5}},
        "applications": {"granted": dict.fromkeys(APPLICATION_COLUMNS, 2)},
        "reviews_and_lawsuits": {},
        "checks": [{"rule": "rule1", "ok": False, "detail": "x"}],
        "source": {"filename": filename, "sha256": sha * 64, "pages": 1, "method": "text"},
    }


@pytest.fixture
def store(tmp_path: Path) -> Store:
    found = Store(db.engine(f"sqlite:///{tmp_path / 'store.sqlite3'}"))
    for agency, year, sha, name in [
        ("甲市某局", 2020, "a", "=HYPERLINK(1).pdf"),
        ("甲市某局", 2021, "b", "b.pdf"),
        ("乙县某局", 2022, "c", "c.pdf"),
    ]:
        found.save(_report(agency, year, sha, name), filename=name, original="o", timings={})
    return found


def _export(store: Store, kind: str, **options: Any) -> bytes:
    selection = {
        key: options.pop(key) for key in ("agency", "year_from", "year_to") if key in options
    }
    output = io.BytesIO()
    found = exports.items(store, exports.select(**selection))
    exports.write(kind, found, output, **options)
    return output.getvalue()


def test_selections_by_agency_and_year_range(store: Store) -> None:
    def years(**selection: Any) -> list[int | None]:
        return [stored.year for stored, _ in exports.items(store, exports.select(**selection))]

    assert sorted(years()) == [2020, 2021, 2022]
    assert years(agency="甲市") == [2020, 2021]
    assert sorted(years(year_from=2021)) == [2021, 2022]
    assert years(year_to=2020) == [2020]
    with pytest.raises(InvalidSetting):
        exports.select(year_from=2022, year_to=2021)


def test_exports_read_in_batches_give_what_one_batch_gives(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = {kind: _export(store, kind) for kind in ("csv", "jsonl")}
    monkeypatch.setattr("worker.store._BATCH", 1)
    assert {kind: _export(store, kind) for kind in ("csv", "jsonl")} == whole
    assert [v.year for v in store.listing()] == [2022, 2020, 2021]


def test_csv_cells_formulas_and_bom(store: Store) -> None:
    text = _export(store, "csv", agency="甲市", year_to=2020).decode()
    header, row = list(csv.reader(io.StringIO(text)))
    values = dict(zip(header, row, strict=True))
    assert values["filename"] == "'=HYPERLINK(1).pdf"  # not a formula in Excel
    assert values["applications/granted/natural_person"] == "2"
    assert values["active_disclosure/administrative_fees/amount"] == "1.5"
    assert values["applications/new_received/total"] == ""  # absent row: blank, not 0
    assert values["checks_failed"] == "rule1"
    assert text.endswith("\r\n") and not text.startswith("\ufeff")
    with_bom = _export(store, "csv", headers="zh", bom=True)
    assert with_bom.startswith("\ufeff机关,年度".encode())


def test_xlsx_and_jsonl(store: Store) -> None:
    sheet = list(load_workbook(io.BytesIO(_export(store, "xlsx")))["reports"].values)
    assert len(sheet) == 4
    filenames = {row[sheet[0].index("filename")] for row in sheet[1:]}
    assert "'=HYPERLINK(1).pdf" in filenames
    lines = _export(store, "jsonl").decode().splitlines()
    reports = [json.loads(line) for line in lines]
    later = next(r for r in reports if r["year"] == 2021)
    assert later["checks"][1:] == [  # as served: rule 5, here without the rows it needs
        {"rule": "rule5", "ok": None, "detail": "not evaluated: 7 instances have blank cells "
         "(natural_person, commercial_enterprise, research_institution, social_organization, "
         "legal_service_agency, other_organization, total)"}
    ]  # fmt: skip
    with pytest.raises(InvalidSetting):
        _export(store, "pdf")
    with pytest.raises(InvalidSetting):
        _export(store, "csv", headers="fr")
