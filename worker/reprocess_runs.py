"""Reprocess runs: which current documents a run takes, and how far it is.

A run is a folder under the data folder (`reprocess/<run id>/`): what it takes
(`run.json`), then one outcome file per document, written by whichever process handled it
(in embedded mode the caller, with a broker one `gongkai.reprocess` task per document), so
`summary` can tell how far it is from anywhere without a lock.  A run done here (embedded)
records its process: one whose process is gone before its end is `interrupted`, not left
`running` for ever.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from extract.version import PARSER_VERSION
from schemas.validate import report_years
from worker.errors import InvalidSetting, NotFound
from worker.failure import describe
from worker.files import write_atomically
from worker.reprocess import Outcome, reprocess_document
from worker.settings import current
from worker.store import Selection, Store

if TYPE_CHECKING:
    from worker.settings import Settings

_RUN_FILE = "run.json"

log = logging.getLogger(__name__)


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
            raise InvalidSetting(
                "reprocess: name an agency, a year or a parser version to be older than, "
                "or ask for all"
            )
        if self.agency is not None and not self.agency.strip():
            raise InvalidSetting("reprocess: an empty agency names no agency")
        first, last = report_years()
        if self.year is not None and not first <= self.year <= last:
            raise InvalidSetting(f"reprocess: {self.year} is no year of a report")
        if self.older_than is not None and not 1 <= self.older_than <= PARSER_VERSION:
            raise InvalidSetting(
                f"reprocess: the parser versions are 1 to {PARSER_VERSION} (this one), "
                f"not {self.older_than}"
            )

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

    def create(self, store: Store, wanted: Wanted, here: bool) -> tuple[str, list[tuple[str, str]]]:
        """A new run of the documents `wanted` names: its id and (sha256, filename) each.
        `here`: this process runs it (embedded mode), so a run whose process is gone
        before its end can be told apart from one the workers are still doing."""
        documents = [(item.sha256, item.filename) for item in store.listing(wanted.selection())]
        run = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        folder = self.root / run
        folder.mkdir(parents=True)
        record = {
            "id": run,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "wanted": asdict(wanted),
            "documents": [sha for sha, _ in documents],
            "runner": _this_process() if here else None,
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
        state = "finished" if len(outcomes) == total else "running"
        if state == "running" and _gone(record.get("runner")):
            state = "interrupted"
        return {
            "id": run,
            "state": state,
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


def _this_process() -> dict[str, Any]:
    return {"host": socket.gethostname(), "pid": os.getpid(), "started": _started(os.getpid())}


def _gone(runner: dict[str, Any] | None) -> bool:
    """Whether the process that ran a run here is no longer there (a process on another
    machine cannot be looked at: it counts as there)."""
    if runner is None or runner["host"] != socket.gethostname():
        return False
    return _started(runner["pid"]) != runner["started"]  # ended, or its pid taken again


def _started(pid: int) -> str | None:
    """When a process started (Linux: clock ticks after boot), None when there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


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
