"""The folders under GONGKAI_DATA_DIR that a document passes through, and the moves between.

    spool/.incoming/<random>/<name>   taken from the inbox, not yet hashed (a crash here
                                      is finished by `recover_staged`)
    spool/<sha256>/<name>             waiting for its task (duplicates share the folder,
                                      one task each)
    processed/<agency>/<year>/<name>  parsed and stored
    failed/<name> + <name>.error.json could not be parsed, and why
    originals/<sha256>                the store's own copy of the bytes

The watcher moves files in; the task moves them out, because the task is what knows the
outcome and it runs wherever a worker runs: the folders are shared (one volume in
docker-compose), and no process has to stay up to finish a file another one started.
Files are only ever moved, never deleted; a taken name gets a `-1`, `-2`… suffix.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from worker.files import copy_atomically, move_unique, report_folder, sha256_of, write_atomically

ERROR_SUFFIX = ".error.json"


class Folders:
    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir
        self.spool = data_dir / "spool"
        self.staging = self.spool / ".incoming"
        self.processed = data_dir / "processed"
        self.failed = data_dir / "failed"
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

        def move() -> Path:
            target = move_unique(path, self.failed, companion=ERROR_SUFFIX)
            record = {"file": path.name, **details}
            record["time"] = datetime.now(UTC).isoformat(timespec="seconds")
            text = json.dumps(record, ensure_ascii=False, indent=2) + "\n"
            write_atomically(target.with_name(target.name + ERROR_SUFFIX), text.encode())
            return target

        return self._move_out(path, move)

    @staticmethod
    def _move_out(path: Path, move: Callable[[], Path]) -> Path | None:
        """Run `move`; None when the file is gone (a redelivered task moved it before)."""
        try:
            moved = move()
        except FileNotFoundError:
            if path.exists():
                raise  # the destination is missing something, not the source
            return None
        with contextlib.suppress(OSError):  # other duplicates may still wait in it
            path.parent.rmdir()
        return moved

    def _file(self, staged: Path) -> tuple[str, Path]:
        sha256 = sha256_of(staged)
        spooled = move_unique(staged, self.spool / sha256)
        with contextlib.suppress(OSError):
            staged.parent.rmdir()
        return sha256, spooled


def _entries(folder: Path) -> list[Path]:
    """Visible entries of a folder, sorted; none when it does not exist.

    Hidden names are skipped: they are the staging area and the temporaries of moves.
    """
    try:
        return sorted(entry for entry in folder.iterdir() if not entry.name.startswith("."))
    except FileNotFoundError:
        return []
