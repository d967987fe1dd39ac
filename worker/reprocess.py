"""Parse stored originals again with this parser: `gongkai reprocess` and `POST /reprocess`.

When the parser improves, an archive must not keep the old numbers forever.  A run takes
the current documents of a selection (the latest version of each report and every
unidentified record, optionally only those an older parser wrote), parses each stored
original again and stores a new revision only when the result differs (`Store.revise`,
origin `reprocessed`); an unchanged result adds nothing.

A reviewer's corrections are carried forward: each is applied again to the new result.
Where the newer parser reads a value the reviewer has seen (what they corrected, what they
wrote, a reading of an earlier conflict they settled) the correction simply holds; where
it reads a new value the reviewer's value stays, the path's newest correction records it
as `parsed` and the report goes back to review (`correction_conflict`): shown, never
overwritten, until the reviewer corrects the value again.  A report marked reviewed stays
reviewed only if every value is what the reviewer saw.

A run is a folder under the data folder (`reprocess/<run id>/`): what it takes
(`run.json`), then one outcome file per document, written by whichever process handled it
(in embedded mode the caller, with a broker one `gongkai.reprocess` task per document), so
`summary` can tell how far it is from anywhere without a lock.
"""

from __future__ import annotations

import copy
import json
import logging
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from extract.errors import GongkaiError
from schemas.fields import catalogue, set_value, value_at
from schemas.validate import validate_report
from worker import events
from worker.corrections import settle
from worker.errors import InvalidSetting, NotFound
from worker.failure import describe
from worker.files import write_atomically
from worker.settings import current
from worker.store import Selection, Store

if TYPE_CHECKING:
    from worker.settings import Settings

CONFLICT = "correction_conflict"
_RUN_FILE = "run.json"
_IDENTITY = ("agency", "year", "edition")

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Change:
    path: str
    old: Any
    new: Any


@dataclass(frozen=True, slots=True)
class Outcome:
    """What parsing one document again did: `changed` (a new version stored), `unchanged`
    or `failed` (the stored document untouched)."""

    sha256: str
    filename: str
    result: str
    agency: str | None = None
    year: int | None = None
    version: int | None = None  # the new version when changed, else the current one
    changes: list[Change] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def carried(previous: Mapping[str, Any], fresh: Mapping[str, Any]) -> dict[str, Any]:
    """The fresh parse with the reviewer's corrections of `previous` applied again (see the
    module's docstring for conflicts and the verdict)."""
    report = copy.deepcopy(dict(fresh))
    entries = [dict(entry) for entry in previous.get("corrections") or []]
    newest = {entry["path"]: entry for entry in entries}  # what the reviewer said last
    conflicts = []
    for path, entry in newest.items():
        entry.pop("parsed", None)  # an open conflict is judged again
        seen = {
            value
            for other in entries
            if other["path"] == path
            for value in (other["old"], other["new"], other.get("parsed", other["old"]))
        }
        now = value_at(report, path)
        if now not in seen:  # a reading the reviewer has not been shown
            entry["parsed"] = now
            conflicts.append(path)
        set_value(report, path, entry["new"])
    if entries:
        report["corrections"] = entries
        settle(report, newest)
    if conflicts:
        reasons = [*report["review"]["reasons"], {"reason": CONFLICT, "paths": conflicts}]
        report["review"] = {**report["review"], "status": "needs_review", "reasons": reasons}
    elif previous["review"]["status"] == "reviewed" and not values_differ(previous, report):
        report["review"] = copy.deepcopy(previous["review"])
    validate_report(report)
    return report


def values_differ(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """The values an archive takes (agency, year, edition, every cell) that differ."""
    paths = [*_IDENTITY, *(cell.path for cell in catalogue())]
    return [
        Change(path, value_at(old, path), value_at(new, path))
        for path in paths
        if value_at(old, path) != value_at(new, path)
    ]


def changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """What a reader of the summary wants to know changed: the values, then the verdict."""
    found = values_differ(old, new)
    before, after = old["review"]["status"], new["review"]["status"]
    if before != after:
        found.append(Change("review/status", before, after))
    return found


def reprocess_document(settings: Settings, store: Store, sha256: str) -> Outcome:
    """Parse the stored original of one document again; store a new revision if the
    result differs.  A file that cannot be parsed any more is a `failed` outcome (its
    stored versions stay); the database being away raises, for a later attempt."""
    from worker import pipeline

    stored = store.document(sha256)
    previous = store.report_by_sha(sha256)
    original = settings.data_dir / stored.original

    def outcome(result: str, error: str | None = None) -> Outcome:
        return Outcome(
            sha256,
            stored.filename,
            result,
            agency=stored.agency,
            year=stored.year,
            version=stored.version,
            error=error,
        )

    if not original.is_file():
        return outcome("failed", f"the stored original {stored.original} is missing")
    with tempfile.TemporaryDirectory(prefix="gongkai-reprocess-") as folder:
        named = Path(folder) / stored.filename  # the report names its source file
        named.symlink_to(original.resolve())
        try:
            processed = pipeline.run(named, options=settings.read_options())
        except GongkaiError as exc:
            failure = describe(exc)
            return outcome("failed", f"{failure.kind}: {failure.message}")
    report = carried(previous, processed.report)
    if report == previous:
        return outcome("unchanged")
    revised = store.revise(sha256, report, "reprocessed", timings=processed.timings)
    events.dispatch(events.revised(revised))
    conflicts: list[str] = next(
        (reason["paths"] for reason in report["review"]["reasons"] if reason["reason"] == CONFLICT),
        [],
    )
    return Outcome(
        sha256,
        stored.filename,
        "changed",
        agency=revised.agency,
        year=revised.year,
        version=revised.version,
        changes=changes(previous, report),
        conflicts=conflicts,
    )


# ---------------------------------------------------------------- runs


@dataclass(frozen=True, slots=True)
class Wanted:
    """Which current documents a run takes; with nothing named, `everything` must say so."""

    agency: str | None = None
    year: int | None = None
    older_than: int | None = None
    everything: bool = False

    def __post_init__(self) -> None:
        named = (self.agency, self.year, self.older_than)
        if not self.everything and all(value is None for value in named):
            raise InvalidSetting("reprocess: name --agency, --year or --older-than, or say --all")

    def selection(self) -> Selection:
        return Selection(
            agency=self.agency,
            year_from=self.year,
            year_to=self.year,
            parser_before=self.older_than,
        )


class Runs:
    """The runs' folders under the data folder."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / "reprocess"

    def create(self, store: Store, wanted: Wanted) -> tuple[str, list[tuple[str, str]]]:
        """A new run of the documents `wanted` names: its id and (sha256, filename) each."""
        documents = [(item.sha256, item.filename) for item in store.listing(wanted.selection())]
        run = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        folder = self.root / run
        folder.mkdir(parents=True)
        record = {
            "id": run,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "wanted": asdict(wanted),
            "documents": [sha for sha, _ in documents],
        }
        write_atomically(folder / _RUN_FILE, json.dumps(record, ensure_ascii=False).encode())
        return run, documents

    def record(self, run: str, outcome: Outcome) -> None:
        data = json.dumps(outcome.as_json(), ensure_ascii=False).encode()
        write_atomically(self._folder(run) / f"{outcome.sha256}.json", data)

    def summary(self, run: str) -> dict[str, Any]:
        """How far a run is: counts by result and every outcome so far, in run order."""
        folder = self._folder(run)
        record = json.loads((folder / _RUN_FILE).read_text(encoding="utf-8"))
        outcomes = list(self._outcomes(folder, record["documents"]))
        counts = {result: 0 for result in ("changed", "unchanged", "failed")}
        for outcome in outcomes:
            counts[outcome["result"]] += 1
        total = len(record["documents"])
        return {
            "id": run,
            "state": "finished" if len(outcomes) == total else "running",
            "created_at": record["created_at"],
            "wanted": record["wanted"],
            "total": total,
            "done": len(outcomes),
            **counts,
            "documents": outcomes,
        }

    def _folder(self, run: str) -> Path:
        folder = self.root / run
        if "/" in run or run.startswith(".") or not (folder / _RUN_FILE).is_file():
            raise NotFound(f"no reprocess run {run}")
        return folder

    @staticmethod
    def _outcomes(folder: Path, documents: list[str]) -> Iterator[dict[str, Any]]:
        for sha in documents:
            path = folder / f"{sha}.json"
            if path.is_file():
                yield json.loads(path.read_text(encoding="utf-8"))


def handle(settings: Settings, store: Store, run: str, sha256: str, filename: str) -> Outcome:
    """Reprocess one document of a run and record its outcome."""
    try:
        outcome = reprocess_document(settings, store, sha256)
    except NotFound as exc:  # removed since the run began
        outcome = Outcome(sha256, filename, "failed", error=str(exc))
    Runs(settings.data_dir).record(run, outcome)
    log.info("reprocess %s: %s %s", run, filename, outcome.result)
    return outcome


def record_failure(arguments: dict[str, Any], exception: BaseException) -> None:
    """The outcome of a reprocess task that ended otherwise than by returning one (a time
    limit, a worker process that died on every attempt, a bug), so its run still ends."""
    failure = describe(exception)
    outcome = Outcome(
        arguments["sha256"],
        arguments["filename"],
        "failed",
        error=f"{failure.kind}: {failure.message}",
    )
    Runs(current().data_dir).record(arguments["run"], outcome)


def run_here(settings: Settings, store: Store, run: str, documents: list[tuple[str, str]]) -> None:
    """Reprocess a run's documents one after another in this process (embedded mode)."""
    for sha256, filename in documents:
        handle(settings, store, run, sha256, filename)
