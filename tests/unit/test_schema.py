"""The JSON Schema says exactly what the contract says: truth files pass, near-misses fail."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from paths import DATA

from schemas.rules import (
    APPLICATION_COLUMNS,
    APPLICATION_ROWS_2019,
    APPLICATION_ROWS_2021,
    REVIEW_FIELDS,
    REVIEW_GROUPS,
)
from schemas.validate import SCHEMA_VERSION, InvalidReport, load_schema, validate_report

TRUTH_FILES = sorted(DATA.rglob("*.truth.json"))


def as_report(truth: dict[str, Any]) -> dict[str, Any]:
    """A truth file as a full report: `meta` dropped, the keys truth omits given defaults."""
    report = {k: v for k, v in copy.deepcopy(truth).items() if k != "meta"}
    report.setdefault("schema_version", SCHEMA_VERSION)
    report.setdefault(
        "sections", {"overview": "", "problems_and_improvements": "", "other_matters": ""}
    )
    for key, empty in (("checks", []), ("inferred", []), ("provenance", {}), ("units", {})):
        report.setdefault(key, empty)
    report.setdefault(
        "source", {"filename": "r.pdf", "sha256": "0" * 64, "pages": 4, "method": "text"}
    )
    report.setdefault("review", {"status": "complete", "reasons": []})
    return report


def load(name: str) -> dict[str, Any]:
    path = next(p for p in TRUTH_FILES if p.name == f"{name}.truth.json")
    return as_report(json.loads(path.read_text(encoding="utf-8")))


def test_truth_files_found() -> None:
    assert len(TRUTH_FILES) >= 20


def test_schema_is_valid_2020_12() -> None:
    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(SCHEMA_VERSION)
    assert schema["title"]


def test_load_schema_returns_a_private_copy() -> None:
    load_schema()["required"].clear()
    assert "applications" in load_schema()["required"]


def test_schema_key_lists_match_the_rules_constants() -> None:
    defs = load_schema()["$defs"]
    assert set(defs["applications"]["properties"]) == set(APPLICATION_ROWS_2019) | set(
        APPLICATION_ROWS_2021
    )
    assert tuple(defs["application_row"]["properties"]) == APPLICATION_COLUMNS
    assert tuple(defs["review_group"]["properties"]) == REVIEW_FIELDS
    groups = defs["reviews_and_lawsuits"]["oneOf"][0]["properties"]
    assert tuple(groups) == REVIEW_GROUPS


def test_required_top_level_keys() -> None:
    assert set(load_schema()["required"]) == {
        "schema_version",
        "agency",
        "year",
        "edition",
        "active_disclosure",
        "applications",
        "reviews_and_lawsuits",
        "sections",
        "checks",
        "inferred",
        "provenance",
        "review",
        "units",
        "source",
    }


@pytest.mark.parametrize("path", TRUTH_FILES, ids=lambda p: p.name)
def test_every_truth_file_validates(path: Path) -> None:
    validate_report(as_report(json.loads(path.read_text(encoding="utf-8"))))


Mutation = Callable[[dict[str, Any]], object]

ACCEPTED: dict[str, Mutation] = {
    "warnings": lambda r: r.update(warnings=["table split over pages 3-4"]),
    "null cells everywhere": lambda r: r["applications"]["granted"].update(
        dict.fromkeys(APPLICATION_COLUMNS)
    ),
    "rows absent": lambda r: r["applications"].pop("carried_forward"),
    "negative change": lambda r: r["active_disclosure"]["administrative_licensing"].update(
        change=-3
    ),
    "2021 hybrid prints the single other row": lambda r: r.update(
        edition="2021",
        active_disclosure={},
        applications={k: v for k, v in r["applications"].items() if not k.startswith("other_")}
        | {"other_processing": dict.fromkeys(APPLICATION_COLUMNS, 0)},
    ),
    "empty sections": lambda r: r.update(active_disclosure={}, applications={}),
    "unreadable title": lambda r: r.update(agency=None, year=None),
    "provenance, units, checks, inferred": lambda r: r.update(
        provenance={
            "applications/granted/total": {
                "page": 3,
                "bbox": [10.5, 20, 30, 40],
                "method": "ocr",
                "confidence": 0.91,
            },
            "active_disclosure/centralized_procurement/amount": {
                "page": 2,
                "bbox": None,
                "method": "plain",
                "confidence": None,
            },
        },
        units={"active_disclosure/centralized_procurement/amount": "元"},
        checks=[{"rule": "rule1", "ok": True, "detail": "granted: total 6 = 6 = sum"}],
        inferred=["applications/granted/total"],
    ),
    # The applications table keeps the （六） rows the report prints, whatever its edition.
    "2021 other rows in a 2019 report": lambda r: r["applications"].update(
        other_misc=r["applications"].pop("other_processing")
    ),
    "pre2019": lambda r: r.update(
        edition="pre2019",
        active_disclosure={},
        applications={},
        reviews_and_lawsuits={},
        checks=[
            {"rule": "format", "ok": False, "detail": "pre-2019 report format is not supported"}
        ],
    ),
}


@pytest.mark.parametrize("mutate", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_accepts(mutate: Mutation) -> None:
    report = load("dev-03")  # 2019 edition, every section present
    mutate(report)
    validate_report(report)


def _rename(section: dict[str, Any], old: str, new: str) -> None:
    section[new] = section.pop(old)


# Each case: what is broken, and the path the error message must name.
REJECTED: dict[str, tuple[Mutation, str]] = {
    "cell as string": (
        lambda r: r["applications"]["granted"].update(total="3"),
        "applications/granted/total:",
    ),
    "cell as float": (
        lambda r: r["applications"]["granted"].update(total=2.5),
        "applications/granted/total:",
    ),
    "cell as bool": (
        lambda r: r["reviews_and_lawsuits"]["litigation_direct"].update(total=True),
        "reviews_and_lawsuits/litigation_direct/total:",
    ),
    "negative count": (
        lambda r: r["applications"]["granted"].update(natural_person=-1),
        "applications/granted/natural_person:",
    ),
    "amount as string": (
        lambda r: r["active_disclosure"]["centralized_procurement"].update(amount="59.4"),
        "active_disclosure/centralized_procurement/amount:",
    ),
    "year as string": (lambda r: r.update(year="2019"), "year:"),
    "unknown edition": (lambda r: r.update(edition="2020"), "edition:"),
    "agency with spaces": (lambda r: r.update(agency="南京市 卫生健康委员会"), "agency:"),
    "unknown top-level key": (lambda r: r.update(foo=1), "(root):"),
    "missing top-level key": (lambda r: r.pop("units"), "(root):"),
    "renamed top-level key": (lambda r: _rename(r, "applications", "application"), "(root):"),
    "unknown row": (
        lambda r: r["applications"].update(granted_x=r["applications"]["granted"]),
        "applications:",
    ),
    "renamed row": (
        lambda r: _rename(r["applications"], "new_received", "received"),
        "applications:",
    ),
    "renamed column": (
        lambda r: _rename(r["applications"]["granted"], "natural_person", "person"),
        "applications/granted:",
    ),
    "missing column": (
        lambda r: r["applications"]["granted"].pop("total"),
        "applications/granted:",
    ),
    "both other-row forms": (
        lambda r: r["applications"].update(other_misc=r["applications"]["other_processing"]),
        "applications:",
    ),
    "unknown active_disclosure column": (
        lambda r: r["active_disclosure"]["regulations"].update(foo=1),
        "active_disclosure/regulations:",
    ),
    "renamed active_disclosure item": (
        lambda r: _rename(r["active_disclosure"], "regulations", "rules"),
        "active_disclosure:",
    ),
    "2021 table in a 2019 report": (
        lambda r: r.update(active_disclosure=load("dev-01")["active_disclosure"]),
        "active_disclosure",
    ),
    "2019 table in a 2021 report": (lambda r: r.update(edition="2021"), "active_disclosure"),
    "pre2019 with tables": (lambda r: r.update(edition="pre2019"), "active_disclosure:"),
    "review group missing": (
        lambda r: r["reviews_and_lawsuits"].pop("litigation_direct"),
        "reviews_and_lawsuits:",
    ),
    "renamed review field": (
        lambda r: _rename(r["reviews_and_lawsuits"]["litigation_direct"], "pending", "open"),
        "reviews_and_lawsuits/litigation_direct:",
    ),
    "section missing": (lambda r: r["sections"].pop("overview"), "sections:"),
    "check without ok": (lambda r: r.update(checks=[{"rule": "rule1", "detail": ""}]), "checks/0:"),
    "check ok as string": (
        lambda r: r.update(checks=[{"rule": "rule1", "ok": "yes", "detail": ""}]),
        "checks/0/ok:",
    ),
    "inferred not a path": (
        lambda r: r.update(inferred=["applications granted total"]),
        "inferred/0:",
    ),
    "bbox of three numbers": (
        lambda r: r.update(
            provenance={
                "applications/granted/total": {
                    "page": 1,
                    "bbox": [1, 2, 3],
                    "method": "text",
                    "confidence": None,
                }
            }
        ),
        "provenance/applications/granted/total/bbox:",
    ),
    "confidence above 1": (
        lambda r: r.update(
            provenance={
                "applications/granted/total": {
                    "page": 1,
                    "bbox": None,
                    "method": "ocr",
                    "confidence": 1.5,
                }
            }
        ),
        "provenance/applications/granted/total/confidence:",
    ),
    "unknown provenance method": (
        lambda r: r.update(
            provenance={
                "applications/granted/total": {
                    "page": 1,
                    "bbox": None,
                    "method": "mixed",
                    "confidence": None,
                }
            }
        ),
        "provenance/applications/granted/total/method:",
    ),
    "unit not a string": (
        lambda r: r.update(units={"active_disclosure/x/amount": 1}),
        "units/active_disclosure/x/amount:",
    ),
    "bad sha256": (lambda r: r["source"].update(sha256="ABC"), "source/sha256:"),
    "unknown source method": (lambda r: r["source"].update(method="html"), "source/method:"),
    "warnings not strings": (lambda r: r.update(warnings=[1]), "warnings/0:"),
}


@pytest.mark.parametrize("case", REJECTED.values(), ids=REJECTED.keys())
def test_rejects(case: tuple[Mutation, str]) -> None:
    mutate, path = case
    report = load("dev-03")
    mutate(report)
    with pytest.raises(InvalidReport) as caught:
        validate_report(report)
    message = str(caught.value)
    assert message.startswith(path), message
    assert "\n" not in message and len(message) <= 320


def test_invalid_report_is_a_value_error() -> None:
    assert issubclass(InvalidReport, ValueError)


def test_validation_does_not_change_the_report() -> None:
    report = load("dev-07")
    before = copy.deepcopy(report)
    validate_report(report)
    assert report == before


def test_edition_mismatch_names_the_edition_rule() -> None:
    report = load("dev-03")
    report["edition"] = "2021"
    with pytest.raises(InvalidReport, match=r"\(edition 2021：主动公开表为2021版或 \{\}。\)$"):
        validate_report(report)
