"""Naming, writing and moving files so that nothing is overwritten or half-written.

Shared by `gongkai parse --out`, the watcher and the tasks: names made from report titles
must stay inside their folder, a second file of the same name gets a suffix instead of
replacing the first, and a reader never sees a partial file.  Standard library only.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import unicodedata
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

from extract.errors import FileAccess

UNKNOWN_AGENCY = "_unknown-agency"
UNKNOWN_YEAR = "unknown-year"
_MAX_NAME_BYTES = 200  # below the usual 255-byte limit of one path component


def safe_component(name: str) -> str:
    """One path component from free text: no separators, no control characters, no `..`.

    Agency names come from the report's title, i.e. from the input file: they must not be
    able to point outside the output folder or hide the file.
    """
    kept = "".join(
        "_" if char in "/\\" else char
        for char in name
        if not unicodedata.category(char).startswith("C")
    )
    kept = kept.strip(". ").replace("..", "_")
    return kept.encode()[:_MAX_NAME_BYTES].decode(errors="ignore")


def report_folder(root: Path, agency: str | None, year: int | None) -> Path:
    """`root/<agency>/<year>`, with the placeholders `parse --out` uses for a missing title."""
    return root / (safe_component(agency or "") or UNKNOWN_AGENCY) / str(year or UNKNOWN_YEAR)


def write_atomically(target: Path, data: bytes) -> None:
    """Write via a temporary sibling, so a reader never sees half a file."""
    with open_atomically(target) as stream:
        stream.write(data)


@contextmanager
def open_atomically(target: Path) -> Iterator[BinaryIO]:
    """A stream to a temporary sibling of `target` that takes its name, synced, once the
    block ends; on an error it is removed and `target` left as it was (written in parts,
    e.g. an export, without holding it all in memory)."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with partial.open("wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        partial.replace(target)
    except OSError as exc:
        _discard(partial)
        raise FileAccess(f"cannot write {target}: {exc.strerror or exc}") from exc
    except BaseException:
        _discard(partial)
        raise


def _discard(partial: Path) -> None:
    """Remove a temporary file, if it can be: on a read-only file system even that fails,
    and must not hide the error that brought us here."""
    with suppress(OSError):
        partial.unlink(missing_ok=True)


def sha256_of(path: Path) -> str:
    """The file's SHA-256, read in blocks (originals can be large scans)."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def move_unique(source: Path, folder: Path, name: str | None = None, companion: str = "") -> Path:
    """Move `source` into `folder` as `name`, or `name-1`, `name-2`… when that is taken.

    The name is claimed with an exclusive create before the move replaces the empty
    placeholder, so two processes moving same-named files never overwrite each other.
    With `companion` (e.g. ".error.json"), a name also counts as taken when name+companion
    exists, so a file and its companion keep matching names.  Works across filesystems
    (copy, fsync, then remove the source); raises OSError, FileNotFoundError when the
    source is gone.
    """
    folder.mkdir(parents=True, exist_ok=True)
    names = _candidates(name or source.name)
    while True:
        candidate = next(names)
        target = folder / candidate
        if companion and target.with_name(candidate + companion).exists():
            continue
        try:
            os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        except FileExistsError:
            continue
        try:
            _replace(source, target)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return target


def _candidates(name: str) -> Iterator[str]:
    yield name
    stem, dot, suffix = name.rpartition(".")
    if not stem:  # no suffix, or a dot-file
        stem, dot, suffix = name, "", ""
    counter = 1
    while True:
        yield f"{stem}-{counter}{dot}{suffix}"
        counter += 1


def _replace(source: Path, target: Path) -> None:
    try:
        os.replace(source, target)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    # Another filesystem (an inbox on a network share): put a durable copy in place, and
    # only then remove the source.
    copy_atomically(source, target)
    source.unlink()


def copy_atomically(source: Path, target: Path) -> None:
    """Copy via a temporary sibling, synced before it takes the name: all or nothing."""
    partial = target.with_name(f".{uuid.uuid4().hex}.part")
    try:
        with source.open("rb") as reader, partial.open("wb") as writer:
            shutil.copyfileobj(reader, writer, 1 << 20)
            writer.flush()
            os.fsync(writer.fileno())
        shutil.copystat(source, partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
