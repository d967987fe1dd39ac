"""The folders under GONGKAI_DATA_DIR that a document passes through, and the moves between.

    spool/.incoming/<random>/<name>   taken from the inbox, not yet hashed (a crash here
                                      is finished by `recover_staged`)
    spool/<sha256>/<name>             waiting for its task (duplicates share the folder,
                                      one task each)
    spool/<sha256>/.<name>.job        the id of that file's job, chosen once
    processed/<agency>/<year>/<name>  parsed and stored
    duplicates/<name> + <name>.duplicate.json
                                      bytes stored before from another file, and which
    failed/<name> + <name>.error.json could not be parsed, and why
    originals/<sha256>                the store's own copy of the bytes

The watcher moves files in; the task moves them out, because the task is what knows the
outcome and it runs wherever a worker runs: the folders are shared (one volume in
docker-compose), and no process has to stay up to finish a file another one started.
Files are only ever moved, never deleted; a taken name gets a `-1`, `-2`… suffix.

Every file taken gets a job id of its own (`job`), kept beside it in the spool until the file
moves on: whoever queues it, the watcher, an upload or a sweep after a crash, queues the
same job, and the same bytes dropped again later are a new job (a duplicate), not the old
one run again.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from worker.files import copy_atomically, move_unique, report_folder, sha256_of, write_atomically

ERROR_SUFFIX = ".error.json"
DUPLICATE_SUFFIX = ".duplicate.json"
_LABEL_CHARACTERS = 40  # of the file name, in a job id


def new_job_id(sha256: str, name: str) -> str:
    """`process-<file name>-<sha256[:12]>-<random>`: the file name first, so that Flower's
    task list, the worker's log and `gongkai jobs` say which file a job is."""
    label = re.sub(r"[^\w.()-]+", "_", name).strip("._-")[:_LABEL_CHARACTERS] or "file"
    return f"process-{label}-{sha256[:12]}-{uuid.uuid4().hex[:8]}"


class Folders:
    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir
        self.spool = data_dir / "spool"
        self.staging = self.spool / ".incoming"
        self.processed = data_dir / "processed"
        self.failed = data_dir / "failed"
        self.duplicates = data_dir / "duplicates"
        self.originals = data_dir / "originals"

    def take(self, path: Path) -> tuple[str, Path]:
        """Move a settled inbox file into the spool; return its SHA-256 and new path.

        It is moved before it is hashed, so what is hashed is what the task will read.
        """
        staged = move_unique(path, self.staging / uuid.uuid4().hex)
        return self._file(staged)

    def recover_staged(self) -> list[tuple[str, Path]]:
        """Finish the takes that a crash interrupted between moving and hashing."""
        recovered = []
        for holder in _entries(self.staging):
            recovered += [self._file(staged) for staged in _entries(holder)]
            with contextlib.suppress(OSError):
                holder.rmdir()
        return recovered

    def spooled(self, sha256: str, name: str) -> Path:
        return self.spool / sha256 / name

    def job(self, spooled: Path) -> str:
        """The job id of a spooled file: the one it was given, or a new one (given once,
        whoever asks first: it is linked into place, never overwritten)."""
        holder = _job_holder(spooled)
        try:
            return holder.read_text().strip()
        except FileNotFoundError:
            pass
        written = holder.with_name(f"{holder.name}.{uuid.uuid4().hex}.tmp")
        written.write_text(new_job_id(spooled.parent.name, spooled.name))
        try:
            os.link(written, holder)
        except FileExistsError:
            pass  # another process gave it one first
        finally:
            written.unlink()
        return holder.read_text().strip()

    def pending(self) -> list[Path]:
        """Every file waiting in the spool."""
        return [path for folder in _entries(self.spool) for path in _entries(folder)]

    def keep_original(self, path: Path, sha256: str) -> str:
        """Copy the file to originals/<sha256> (once) and return that path, relative."""
        target = self.originals / sha256
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            copy_atomically(path, target)
        return str(target.relative_to(self.root))

    def finish(self, path: Path, agency: str | None, year: int | None) -> Path | None:
        """Move a spooled file whose report is stored to processed/<agency>/<year>/."""
        folder = report_folder(self.processed, agency, year)
        return self._move_out(path, lambda: move_unique(path, folder))

    def fail(self, path: Path, details: dict[str, Any]) -> Path | None:
        """Move a spooled file to failed/, with `<name>.error.json` saying why."""
        return self._move_out(path, partial(_with_record, path, self.failed, ERROR_SUFFIX, details))

    def set_aside(self, path: Path, details: dict[str, Any]) -> Path | None:
        """Move a spooled file whose bytes were stored from another file to duplicates/,
        with `<name>.duplicate.json` saying which stored document it repeats."""
        move = partial(_with_record, path, self.duplicates, DUPLICATE_SUFFIX, details)
        return self._move_out(path, move)

    @staticmethod
    def _move_out(path: Path, move: Callable[[], Path]) -> Path | None:
        """Run `move`; None when the file is gone (a redelivered task moved it before).
        The job id beside it goes with it: the name may be taken again by a new file."""
        holder = _job_holder(path)
        job = _read(holder)
        try:
            moved = move()
        except FileNotFoundError:
            if path.exists():
                raise  # the destination is missing something, not the source
            return None
        if job is not None and _read(holder) == job:  # not a new file's, taken meanwhile
            holder.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # other duplicates may still wait in it
            path.parent.rmdir()
        return moved

    def _file(self, staged: Path) -> tuple[str, Path]:
        sha256 = sha256_of(staged)
        spooled = move_unique(staged, self.spool / sha256)
        with contextlib.suppress(OSError):
            staged.parent.rmdir()
        return sha256, spooled


def _with_record(path: Path, folder: Path, suffix: str, details: dict[str, Any]) -> Path:
    """Move `path` into `folder` and write `<its new name><suffix>`: `details`, the file's
    name and the time."""
    target = move_unique(path, folder, companion=suffix)
    record = {"file": path.name, **details}
    record["time"] = datetime.now(UTC).isoformat(timespec="seconds")
    text = json.dumps(record, ensure_ascii=False, indent=2) + "\n"
    write_atomically(target.with_name(target.name + suffix), text.encode())
    return target


def _job_holder(spooled: Path) -> Path:
    """Where a spooled file's job id is kept: hidden, so never listed as pending."""
    return spooled.with_name(f".{spooled.name}.job")


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        return None


def _entries(folder: Path) -> list[Path]:
    """Visible entries of a folder, sorted; none when it does not exist.

    Hidden names are skipped: they are the staging area and the temporaries of moves.
    """
    try:
        return sorted(entry for entry in folder.iterdir() if not entry.name.startswith("."))
    except FileNotFoundError:
        return []
