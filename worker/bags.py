"""BagIt packages of stored reports, for preservation systems (Archivematica and the like).

One bag per stored version, `<agency>_<year>_v<version>/` (an unidentified document:
`<agency>_<year>_<first 16 hex digits of its SHA-256>/`, placeholders for what was not
read), with SHA-256 manifests:

    data/objects/original/<name>     the file as received
    data/objects/report.json         the report as `gongkai results show` prints it
    data/objects/tables/<table>.csv  active_disclosure, applications, reviews_and_lawsuits
    data/metadata/metadata.csv       Dublin Core per object, as Archivematica imports it

and bag-info.txt naming the agency (Source-Organization) and the source's SHA-256
(External-Identifier).  A bag is built beside its final name and renamed into place once
it validates, so a transfer folder never shows half a bag.  An existing bag of the same
version is left alone (same version, same bytes), which makes `bag --all` repeatable, but
only once it passes bagit's validation and holds the same document: a bag altered since
it was made is an error, and stays as it is for a person to look at.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from extract.errors import CorruptFile, FileAccess
from schemas.fields import TABLES
from worker.crossyear import served_document
from worker.exports import table_csv
from worker.files import UNKNOWN_AGENCY, safe_component, write_atomically
from worker.media import media_type
from worker.store import Store, Stored, keys

if TYPE_CHECKING:
    import bagit

DC_COLUMNS = (
    "filename",
    "dc.title",
    "dc.creator",
    "dc.date",
    "dc.type",
    "dc.format",
    "dc.identifier",
    "dc.language",
    "dc.description",
    "dc.relation",
)
"""Archivematica's metadata.csv columns: `filename` is the path under the transfer."""


def bag_name(stored: Stored) -> str:
    agency = safe_component(stored.agency or "") or UNKNOWN_AGENCY
    return f"{agency}_{keys(stored.agency, stored.year)[1]}_{_which(stored)}"


def _which(stored: Stored) -> str:
    """`v<version>`, or what tells an unidentified document from the others: its hash."""
    return f"v{stored.version}" if stored.identified else stored.sha256[:16]


def make(store: Store, data_dir: Path, stored: Stored, target: Path) -> Path | None:
    """Write the bag of one stored version into `target`; None when it exists already and
    validates.  Raises CorruptFile for an existing bag that does not, FileAccess when the
    bag cannot be read or written."""
    import bagit  # only for this command

    final = target.absolute() / bag_name(stored)
    if final.exists():
        _check_existing(final, stored)
        return None
    partial = final.with_name(f".{final.name}.{uuid.uuid4().hex}.partial")
    try:
        rows = _payload(store, data_dir, stored, partial)
        write_atomically(partial / "metadata" / "metadata.csv", _metadata_csv(rows).encode())
        bag = bagit.make_bag(str(partial), _bag_info(stored), checksums=["sha256"])
        bag.validate()
        partial.rename(final)
    except (OSError, bagit.BagError) as exc:
        raise FileAccess(f"cannot write the bag {final}: {exc}") from exc
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return final


def _check_existing(final: Path, stored: Stored) -> None:
    """Raise unless the bag at `final` passes bagit's full validation (every checksum, the
    Payload-Oxum, no file missing or added) and holds this stored document."""
    import bagit

    leave = "left as it is: move it away to make it again"
    try:
        with _bagit_quiet():
            bag = bagit.Bag(str(final))
            bag.validate()
    except bagit.BagValidationError as exc:
        raise CorruptFile(f"{final}: the bag fails validation ({_failures(exc)}); {leave}") from exc
    except bagit.BagError as exc:
        raise CorruptFile(f"{final}: not a valid bag ({exc}); {leave}") from exc
    except OSError as exc:
        raise FileAccess(f"cannot read the bag {final}: {exc.strerror or exc}") from exc
    held = bag.info.get("External-Identifier")
    if held != f"sha256:{stored.sha256}":
        raise CorruptFile(f"{final}: the bag holds {held}, not sha256:{stored.sha256}; {leave}")


def _failures(error: bagit.BagValidationError) -> str:
    """What failed, by file: bagit's own message names the checksums at length."""
    import bagit

    what = {bagit.ChecksumMismatch: "changed", bagit.FileMissing: "missing"}
    found = [
        f"{detail.path} {what.get(type(detail), 'not in the manifest')}" for detail in error.details
    ]
    return ", ".join(found) or error.message


@contextmanager
def _bagit_quiet() -> Iterator[None]:
    """bagit logs every mismatch as a warning too; the one error raised says it all."""
    logger = logging.getLogger("bagit")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _payload(store: Store, data_dir: Path, stored: Stored, root: Path) -> list[list[str]]:
    """Write the objects under `root`; return their Dublin Core rows for metadata.csv."""
    agency = stored.agency or UNKNOWN_AGENCY
    year = "" if stored.year is None else str(stored.year)
    title = f"{agency}{year}年政府信息公开工作年度报告"
    report = served_document(store, stored.sha256)
    name = safe_component(stored.filename) or "original"
    original = f"objects/original/{name}"
    (root / original).parent.mkdir(parents=True)  # and `root` with it
    shutil.copyfile(data_dir / stored.original, root / original)
    rows = [
        [original, title, agency, year, "Text", media_type(root / original),
         f"urn:sha256:{stored.sha256}", "zh",
         f"{_described(stored)} as received, file name {stored.filename}", ""],
    ]  # fmt: skip
    derived = {
        "objects/report.json": (
            json.dumps(report, ensure_ascii=False, indent=2) + "\n",
            "application/json",
            "the parsed report: numbers, prose and checks (gongkai contract, report.schema.json)",
        ),
        **{
            f"objects/tables/{table}.csv": (
                table_csv(report, table),
                "text/csv",
                f"table {label} ({table}) as CSV",
            )
            for table, label in TABLES.items()
        },
    }
    for path, (text, kind, description) in derived.items():
        write_atomically(root / path, text.encode())
        what = path.removeprefix("objects/")
        rows.append(
            [path, f"{title}（{what}）", agency, year, "Dataset", kind, "", "zh", description,
             f"isFormatOf {original}"]
        )  # fmt: skip
    return rows


def _metadata_csv(rows: list[list[str]]) -> str:
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(DC_COLUMNS)
    writer.writerows(rows)
    return output.getvalue()


def _bag_info(stored: Stored) -> dict[str, Any]:
    agency = stored.agency or UNKNOWN_AGENCY
    year = keys(stored.agency, stored.year)[1]
    return {
        "Source-Organization": agency,
        "External-Description": f"{agency} {year} 政府信息公开工作年度报告, "
        f"{_described(stored)}: the file as received, its parsed report (JSON) and tables (CSV)",
        "External-Identifier": f"sha256:{stored.sha256}",
        "Internal-Sender-Identifier": f"{agency}/{year}/{_which(stored)}",
    }


def _described(stored: Stored) -> str:
    if stored.identified:
        return f"version {stored.version}"
    return "an unidentified document (agency or year not read), waiting for review"
