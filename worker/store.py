"""The result store: every parsed document, identified by its source file's SHA-256.

A document whose agency and year were both read belongs to the report of that (agency,
year): a corrected file (other bytes) becomes version n+1 and the earlier versions stay,
so an archive can show what was published when.  A document missing either is
*unidentified*: a record of its own, listed with the status `unidentified` and addressed
by its SHA-256 until a person has looked, never a version of anything (two unrelated
fragments must not hide each other).  The same bytes again (a redelivered task, a
duplicate in the inbox) return the stored document instead of adding one, which is what
makes the task idempotent.

The bytes of one document may have several results, its *revisions*: 1 as first parsed,
then each parse by a newer parser (`gongkai reprocess`), correction or review at the desk.
Each revision is a new version of the report it names (never an edit), and the newest
revision is what the document's SHA-256 addresses.

The report is kept as the JSON text the parser's dict gives, so it is served with its keys
and rows in the parser's order on SQLite and PostgreSQL alike; on PostgreSQL the column
`report` beside it is the same JSON as jsonb (generated from the text), for queries only.
Each row also says which parser and which gongkai wrote it, and whether it is the latest
version of its report (`latest`; for an unidentified document its newest revision): listings filter,
order and page in SQL on these columns without reading any report.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    Index,
    Select,
    String,
    Text,
    UniqueConstraint,
    and_,
    func,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, undefer

from extract.version import PARSER_VERSION
from worker import db
from worker.db import Base
from worker.errors import InvalidSetting, NotFound, StoreConflict
from worker.files import UNKNOWN_AGENCY, UNKNOWN_YEAR
from worker.status import STATUSES, UNIDENTIFIED

if TYPE_CHECKING:
    from worker.settings import Settings

_JSON = JSON().with_variant(JSONB(), "postgresql")
_SAVE_ATTEMPTS = 5  # racing writers of one report retry with the next version
_BATCH = 200  # rows fetched at once when a listing or an export streams
PARSED = "parsed"
ORIGINS = (PARSED, "reprocessed", "corrected", "reviewed")
"""What made a stored row: the file as first parsed, parsed again by a newer parser,
corrected at the desk, marked reviewed."""


class Document(Base):
    """One stored document (the PostgreSQL-only `report` jsonb column is not mapped: it is
    generated from `report_text`, see migration 0002)."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("agency", "year", "version", name="uq_documents_agency_year_version"),
        UniqueConstraint("sha256", "revision", name="uq_documents_sha256_revision"),
        Index(
            "ix_documents_latest",
            "agency",
            "year",
            "id",
            postgresql_where=text("latest"),
            sqlite_where=text("latest"),
        ),
        Index("ix_documents_year", "year"),
        Index("ix_documents_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int]  # 1: as first parsed; then reprocessed, corrected, reviewed
    origin: Mapped[str] = mapped_column(String(20))
    agency: Mapped[str | None] = mapped_column(String(400))
    year: Mapped[int | None]
    version: Mapped[int | None]  # None: unidentified
    latest: Mapped[bool]
    status: Mapped[str] = mapped_column(String(20))
    edition: Mapped[str | None] = mapped_column(String(10))
    filename: Mapped[str] = mapped_column(String(1000))
    method: Mapped[str] = mapped_column(String(10))
    pages: Mapped[int | None]
    original: Mapped[str] = mapped_column(String(200))
    timings: Mapped[dict[str, float]] = mapped_column(_JSON)
    report_text: Mapped[str] = mapped_column(Text, deferred=True)
    parser_version: Mapped[int | None]  # None: stored before versions were recorded
    gongkai_version: Mapped[str | None] = mapped_column(String(40))
    task_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True, slots=True)
class Stored:
    """One stored document, without its report (listing many must stay cheap)."""

    agency: str | None
    year: int | None
    version: int | None  # None: unidentified, a record of its own
    sha256: str
    revision: int
    origin: str
    edition: str | None
    filename: str
    method: str
    pages: int | None
    original: str
    timings: dict[str, float]
    created_at: datetime
    status: str
    parser_version: int | None
    gongkai_version: str | None
    created: bool = False  # True only from the save() that added it

    @property
    def identified(self) -> bool:
        return self.version is not None

    def as_json(self) -> dict[str, Any]:
        """The listing fields for `gongkai results --json` and task results."""
        return {
            "agency": self.agency,
            "year": self.year,
            "version": self.version,
            "status": self.status,
            "sha256": self.sha256,
            "revision": self.revision,
            "origin": self.origin,
            "edition": self.edition,
            "filename": self.filename,
            "method": self.method,
            "pages": self.pages,
            "original": self.original,
            "timings": self.timings,
            "parser_version": self.parser_version,
            "gongkai_version": self.gongkai_version,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Selection:
    """Which documents a listing or an export takes: by agency substring, an inclusive
    year range (a document with no year is left out once a bound is given), status and the
    parser that wrote it (one from before versions were recorded counts as older); the
    latest version of each report, or every version."""

    agency: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    status: str | None = None
    all_versions: bool = False
    parser_before: int | None = None  # only what a parser older than this one wrote

    def __post_init__(self) -> None:
        low, high = self.year_from, self.year_to
        if low is not None and high is not None and low > high:
            raise InvalidSetting(f"the year range {self.year_from}–{self.year_to} is empty")
        if self.status is not None and self.status not in STATUSES:
            raise InvalidSetting(f"status: one of {', '.join(STATUSES)}, not {self.status!r}")
        if self.agency is not None and "\x00" in self.agency:
            raise InvalidSetting("agency: a NUL character matches no agency")


def keys(agency: str | None, year: int | None) -> tuple[str, str]:
    """Folder names for a document's agency and year, with placeholders for what was not
    read (as `gongkai parse --out` names them)."""
    return agency or UNKNOWN_AGENCY, UNKNOWN_YEAR if year is None else str(year)


def report_text(report: dict[str, Any]) -> str:
    """The JSON text stored for a report: compact, UTF-8, keys in the dict's order."""
    return json.dumps(report, ensure_ascii=False, separators=(",", ":"))


class Store:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def save(
        self,
        report: dict[str, Any],
        *,
        filename: str,
        original: str,
        timings: dict[str, float],
        task_id: str | None = None,
    ) -> Stored:
        """Store `report` (the next version of its report, or an unidentified record), or
        return what is stored for its source's SHA-256 already.  Raises StoreConflict when
        other writers of the same report win every attempt (transient: retry later)."""
        sha256 = report["source"]["sha256"]
        for _ in range(_SAVE_ATTEMPTS):
            with Session(self._engine, expire_on_commit=False) as session:
                existing = self._by_sha(session, sha256)
                if existing is not None:
                    return _stored(existing)
                row = _row(report, PARSED, 1, filename, original, timings, task_id)
                if _added(session, row, None):
                    return _stored(row, created=True)
        raise _conflict(filename, report)

    def revise(
        self,
        sha256: str,
        report: dict[str, Any],
        origin: str,
        *,
        timings: dict[str, float] | None = None,
        task_id: str | None = None,
    ) -> Stored:
        """Store `report` as the next revision of the document of these bytes (reprocessed,
        corrected or reviewed): the next version of the report it names, which may be
        another than before when its agency or year changed, or the next revision of an
        unidentified record.  Raises NotFound, or StoreConflict when other writers win
        every attempt."""
        if origin not in ORIGINS or origin == PARSED:
            raise ValueError(f"origin: one of {', '.join(ORIGINS[1:])}, not {origin!r}")
        if report["source"]["sha256"] != sha256:
            raise ValueError("the report is of other bytes than the document it revises")
        for _ in range(_SAVE_ATTEMPTS):
            with Session(self._engine, expire_on_commit=False) as session:
                current = self._by_sha(session, sha256)
                if current is None:
                    raise NotFound(f"no stored document with SHA-256 {sha256}")
                row = _row(
                    report,
                    origin,
                    current.revision + 1,
                    current.filename,
                    current.original,
                    current.timings if timings is None else timings,
                    task_id,
                )
                if _added(session, row, current):
                    return _stored(row, created=True)
        raise _conflict(str(report["source"]["filename"]), report)

    def confirm(self, sha256: str, revision: int) -> None:
        """Record that this parser, parsing the document again, gives the stored result of
        this revision: its parser and gongkai versions become this one's (so `gongkai
        reprocess --older-than` does not take it again)."""
        with Session(self._engine) as session:
            session.execute(
                update(Document)
                .where(Document.sha256 == sha256, Document.revision == revision)
                .values(parser_version=PARSER_VERSION, gongkai_version=_gongkai_version())
            )
            session.commit()

    def revision_reports(
        self, wanted: Iterable[tuple[str, int]]
    ) -> dict[tuple[str, int], dict[str, Any]]:
        """The reports of these (sha256, revision) pairs as stored, in one query; raises
        NotFound for one that is not stored."""
        pairs = list(set(wanted))
        query = select(Document.sha256, Document.revision, Document.report_text).where(
            tuple_(Document.sha256, Document.revision).in_(pairs)
        )
        with Session(self._engine) as session:
            found = {(sha, number): _loads(text) for sha, number, text in session.execute(query)}
        for sha, number in pairs:
            if (sha, number) not in found:
                raise NotFound(f"no stored revision {number} of {sha}")
        return found

    def revisions(self, sha256: str) -> list[Stored]:
        """Every result stored for these bytes, first parse first; raises NotFound."""
        query = select(Document).where(Document.sha256 == sha256).order_by(Document.revision)
        with Session(self._engine) as session:
            found = [_stored(row) for row in session.scalars(query)]
        if not found:
            raise NotFound(f"no stored document with SHA-256 {sha256}")
        return found

    def sha_of(self, prefix: str) -> str:
        """The SHA-256 of the one stored document that starts with `prefix` (at least 8 hex
        digits, as listings shorten them); raises NotFound when none or several do."""
        wanted = prefix.strip().lower()
        if not 8 <= len(wanted) <= 64 or any(char not in "0123456789abcdef" for char in wanted):
            raise NotFound(f"{prefix!r} is not a SHA-256 or its first 8 or more hex digits")
        query = select(Document.sha256).where(Document.sha256.startswith(wanted)).distinct()
        with Session(self._engine) as session:
            found = list(session.scalars(query.limit(2)))
        if len(found) != 1:
            several = "several stored documents start with" if found else "no stored document with"
            raise NotFound(f"{several} SHA-256 {wanted}")
        return found[0]

    def by_sha(self, sha256: str) -> Stored | None:
        with Session(self._engine) as session:
            row = self._by_sha(session, sha256)
            return None if row is None else _stored(row)

    def document(self, sha256: str) -> Stored:
        """The stored document of these bytes; raises NotFound."""
        found = self.by_sha(sha256)
        if found is None:
            raise NotFound(f"no stored document with SHA-256 {sha256}")
        return found

    def report_by_sha(self, sha256: str) -> dict[str, Any]:
        """The report of the document of these bytes (its newest revision), as stored;
        raises NotFound."""
        query = _newest_revision(select(Document.report_text), sha256)
        with Session(self._engine) as session:
            stored = session.scalar(query)
        if stored is None:
            raise NotFound(f"no stored document with SHA-256 {sha256}")
        return _loads(stored)

    def report(self, agency: str, year: int | str, version: int | None = None) -> dict[str, Any]:
        """The report of (agency, year), the latest version or `version`, as stored;
        raises NotFound."""
        query = select(Document.report_text).where(*_version(agency, year, version))
        with Session(self._engine) as session:
            stored = session.scalar(query)
        if stored is None:
            raise _missing(agency, year, version)
        return _loads(stored)

    def latest_reports(self, wanted: Iterable[tuple[str, int]]) -> dict[tuple[Any, Any], Any]:
        """The latest report of each (agency, year) of `wanted` that is stored, in one
        query (rule 5 of many reports at once)."""
        pairs = list(set(wanted))
        if not pairs:
            return {}
        query = select(Document.agency, Document.year, Document.report_text).where(
            Document.latest,
            Document.version.is_not(None),
            tuple_(Document.agency, Document.year).in_(pairs),
        )
        with Session(self._engine) as session:
            return {(agency, year): _loads(t) for agency, year, t in session.execute(query)}

    def history(self, agency: str, year: int | str) -> list[Stored]:
        """Every version of one report, oldest first; raises NotFound."""
        query = select(Document).where(*_key(agency, year)).order_by(Document.version)
        with Session(self._engine) as session:
            versions = [_stored(row) for row in session.scalars(query)]
        if not versions:
            raise NotFound(f"no stored report for {agency} {year}")
        return versions

    def record(self, sha256: str) -> list[Stored]:
        """Every version of the report the document of these bytes belongs to, oldest
        first: its own revisions when it is unidentified; raises NotFound."""
        found = self.document(sha256)
        if not found.identified:
            return self.revisions(sha256)
        assert found.agency is not None and found.year is not None
        return self.history(found.agency, found.year)

    def version(self, agency: str, year: int | str, version: int | None = None) -> Stored:
        """One version of a report (default: the latest), without its report; raises
        NotFound."""
        query = select(Document).where(*_version(agency, year, version))
        with Session(self._engine) as session:
            row = session.scalar(query)
            if row is None:
                raise _missing(agency, year, version)
            return _stored(row)

    def page(self, selection: Selection, limit: int, offset: int = 0) -> tuple[int, list[Stored]]:
        """How many documents the selection holds, and `limit` of them from `offset`."""
        total = select(func.count(Document.id)).where(*_filters(selection))
        with Session(self._engine) as session:
            count = session.scalar(total) or 0
            rows = session.scalars(_selected(selection).limit(limit).offset(offset))
            return count, [_stored(row) for row in rows]

    def listing(self, selection: Selection | None = None) -> Iterator[Stored]:
        """The selected documents (default: the latest version of each report and every
        unidentified document) by agency, year and version, fetched a batch at a time."""
        query = _selected(selection or Selection()).execution_options(yield_per=_BATCH)
        with Session(self._engine) as session:
            for row in session.scalars(query):
                yield _stored(row)

    def with_reports(
        self, selection: Selection | None = None
    ) -> Iterator[list[tuple[Stored, dict[str, Any]]]]:
        """The selected documents with their reports as stored, in batches: memory holds
        one batch, however many are stored."""
        query = _selected(selection or Selection()).options(undefer(Document.report_text))
        with Session(self._engine) as session:
            result = session.scalars(query.execution_options(yield_per=_BATCH))
            for rows in result.partitions():
                yield [(_stored(row), _loads(row.report_text)) for row in rows]

    @staticmethod
    def _by_sha(session: Session, sha256: str) -> Document | None:
        """The newest revision of the document of these bytes."""
        return session.scalar(_newest_revision(select(Document), sha256))


def _newest_revision(query: Select[Any], sha256: str) -> Select[Any]:
    """`query` narrowed to the newest revision of the document of these bytes."""
    return query.where(Document.sha256 == sha256).order_by(Document.revision.desc()).limit(1)


def _row(
    report: dict[str, Any],
    origin: str,
    revision: int,
    filename: str,
    original: str,
    timings: dict[str, float],
    task_id: str | None,
) -> Document:
    """A new row for `report`, its place among the versions not yet set (see `_added`)."""
    source = report["source"]
    return Document(
        sha256=source["sha256"],
        revision=revision,
        origin=origin,
        agency=report.get("agency") or None,
        year=report.get("year") if isinstance(report.get("year"), int) else None,
        version=None,
        latest=True,
        status=(report.get("review") or {}).get("status") or "needs_review",
        edition=report.get("edition"),
        filename=filename,
        method=source["method"],
        pages=source.get("pages"),
        original=original,
        timings=timings,
        report_text=report_text(report),
        parser_version=PARSER_VERSION,
        gongkai_version=_gongkai_version(),
        task_id=task_id,
        created_at=datetime.now(UTC),
    )


def _added(session: Session, row: Document, previous: Document | None) -> bool:
    """Add `row` as the latest version of its report (or as an unidentified record) and
    commit; False when a racing writer took its version or revision first (look again).

    Earlier revisions of the same bytes stop being latest; when `previous` (the revision
    before) belonged to another report, that report's latest is its newest version whose
    bytes have not moved away since."""
    identified = row.agency is not None and row.year is not None
    if identified:
        newest = session.scalar(
            select(func.max(Document.version)).where(*_key(row.agency or "", row.year or 0))
        )
        row.version = (newest or 0) + 1
    else:
        row.status = UNIDENTIFIED
    session.add(row)
    try:
        session.flush()  # a writer of the same version or revision fails here
        others = [Document.sha256 == row.sha256]
        if identified:
            others.append(and_(*_key(row.agency or "", row.year or 0)))
        session.execute(
            update(Document)
            .where(Document.latest, Document.id != row.id, or_(*others))
            .values(latest=False)
        )
        before = None if previous is None else (previous.agency, previous.year)
        if (
            previous is not None
            and previous.version is not None
            and before != (row.agency, row.year)
        ):
            _restore_latest(session, previous.agency or "", previous.year or 0)
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def _restore_latest(session: Session, agency: str, year: int) -> None:
    """Mark latest the newest version of (agency, year) that is its bytes' newest revision
    (the report a corrected agency or year moved a document out of)."""
    newest = (
        select(Document.sha256, func.max(Document.revision).label("revision"))
        .where(Document.sha256.in_(select(Document.sha256).where(*_key(agency, year))))
        .group_by(Document.sha256)
        .subquery()
    )
    candidate = session.scalar(
        select(Document.id)
        .join(
            newest,
            and_(Document.sha256 == newest.c.sha256, Document.revision == newest.c.revision),
        )
        .where(*_key(agency, year))
        .order_by(Document.version.desc())
        .limit(1)
    )
    if candidate is not None:
        session.execute(update(Document).where(Document.id == candidate).values(latest=True))


def _conflict(filename: str, report: dict[str, Any]) -> StoreConflict:
    return StoreConflict(
        f"could not store {filename}: other writers of {report.get('agency')} "
        f"{report.get('year')} won {_SAVE_ATTEMPTS} times in a row"
    )


def _key(agency: str, year: int | str) -> tuple[Any, ...]:
    """The where clause of one identified report; a year that is no number matches none."""
    try:
        number = int(year)
    except ValueError:
        number = -1
    return Document.agency == agency, Document.year == number, Document.version.is_not(None)


def _version(agency: str, year: int | str, version: int | None) -> tuple[Any, ...]:
    """The where clause of one version of a report: `version`, or the latest."""
    which = Document.latest if version is None else Document.version == version
    return (*_key(agency, year), which)


def _missing(agency: str, year: int | str, version: int | None) -> NotFound:
    which = "any version" if version is None else f"version {version}"
    return NotFound(f"no stored report for {agency} {year} ({which})")


def _filters(selection: Selection) -> list[Any]:
    """The where clauses of a selection, all served by columns of their own."""
    clauses: list[Any] = [] if selection.all_versions else [Document.latest]
    if selection.agency:
        clauses.append(Document.agency.contains(selection.agency, autoescape=True))
    if selection.year_from is not None:
        clauses.append(Document.year >= selection.year_from)
    if selection.year_to is not None:
        clauses.append(Document.year <= selection.year_to)
    if selection.status is not None:
        clauses.append(Document.status == selection.status)
    if selection.parser_before is not None:
        older = Document.parser_version < selection.parser_before
        clauses.append(or_(older, Document.parser_version.is_(None)))
    return clauses


def _selected(selection: Selection) -> Select[Document]:
    """The selection in listing order: agency, year, version (unread ones last)."""
    order: list[Any] = [Document.agency.asc().nulls_last(), Document.year.asc().nulls_last()]
    order += [Document.version, Document.id] if selection.all_versions else [Document.id]
    return select(Document).where(*_filters(selection)).order_by(*order)


def _loads(stored: str) -> Any:
    return json.loads(stored)


@cache
def _gongkai_version() -> str:
    from importlib.metadata import version

    return version("gongkai")


def _stored(row: Document, created: bool = False) -> Stored:
    return Stored(
        agency=row.agency,
        year=row.year,
        version=row.version,
        sha256=row.sha256,
        revision=row.revision,
        origin=row.origin,
        edition=row.edition,
        filename=row.filename,
        method=row.method,
        pages=row.pages,
        original=row.original,
        timings=row.timings,
        # SQLite hands back naive datetimes; every stored time is UTC.
        created_at=row.created_at.replace(tzinfo=row.created_at.tzinfo or UTC),
        status=row.status,
        parser_version=row.parser_version,
        gongkai_version=row.gongkai_version,
        created=created,
    )


def of(settings: Settings) -> Store:
    """The store of the database the settings name."""
    return Store(db.engine(settings.database_url))
