"""The result store: every parsed report, keyed by (agency, year), all versions kept.

A corrected file for the same agency and year becomes version n+1 and the earlier versions
stay, so an archive can show what was published when.  The SHA-256 of the source file is
unique: storing the same bytes again (a redelivered task, a duplicate in the inbox)
returns the existing version instead of adding one, which is what makes the task
idempotent.  A fragment whose agency or year could not be read is stored under the
placeholders `_unknown-agency` / `unknown-year` (as `gongkai parse --out` names it); each
such file is its own version there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    Index,
    String,
    UniqueConstraint,
    exists,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column

from worker import db
from worker.db import Base
from worker.errors import NotFound
from worker.files import UNKNOWN_AGENCY, UNKNOWN_YEAR

if TYPE_CHECKING:
    from worker.settings import Settings

_JSON = JSON().with_variant(JSONB(), "postgresql")
_SAVE_ATTEMPTS = 5  # racing writers of one (agency, year) retry with the next version


class ReportVersion(Base):
    __tablename__ = "report_versions"
    __table_args__ = (
        UniqueConstraint("agency_key", "year_key", "version"),
        Index("ix_report_versions_agency_year", "agency", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_key: Mapped[str] = mapped_column(String(400))
    year_key: Mapped[str] = mapped_column(String(20))
    version: Mapped[int]
    agency: Mapped[str | None] = mapped_column(String(400))
    year: Mapped[int | None]
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(1000))
    method: Mapped[str] = mapped_column(String(10))
    pages: Mapped[int | None]
    original: Mapped[str] = mapped_column(String(200))
    timings: Mapped[dict[str, float]] = mapped_column(_JSON)
    report: Mapped[dict[str, Any]] = mapped_column(_JSON)
    task_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True, slots=True)
class Stored:
    """One stored version, without its report (listing many must stay cheap)."""

    agency: str | None
    year: int | None
    version: int
    sha256: str
    filename: str
    method: str
    pages: int | None
    original: str
    timings: dict[str, float]
    created_at: datetime
    created: bool = False  # True only from the save() that added it

    def as_json(self) -> dict[str, Any]:
        """The listing fields for `gongkai results --json` and task results."""
        return {
            "agency": self.agency,
            "year": self.year,
            "version": self.version,
            "sha256": self.sha256,
            "filename": self.filename,
            "method": self.method,
            "pages": self.pages,
            "original": self.original,
            "timings": self.timings,
            "created_at": self.created_at.isoformat(),
        }


def keys(agency: str | None, year: int | None) -> tuple[str, str]:
    """The (agency, year) key of a report, with the placeholders for a fragment."""
    return agency or UNKNOWN_AGENCY, UNKNOWN_YEAR if year is None else str(year)


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
        """Store `report` as the next version of its key, or return the version already
        stored for its source's SHA-256."""
        source = report["source"]
        agency_key, year_key = keys(report.get("agency"), report.get("year"))
        for _ in range(_SAVE_ATTEMPTS):
            with Session(self._engine) as session:
                existing = self._by_sha(session, source["sha256"])
                if existing is not None:
                    return _stored(existing)
                latest = session.scalar(
                    select(func.max(ReportVersion.version)).where(
                        ReportVersion.agency_key == agency_key, ReportVersion.year_key == year_key
                    )
                )
                row = ReportVersion(
                    agency_key=agency_key,
                    year_key=year_key,
                    version=(latest or 0) + 1,
                    agency=report.get("agency"),
                    year=report.get("year"),
                    sha256=source["sha256"],
                    filename=filename,
                    method=source["method"],
                    pages=source.get("pages"),
                    original=original,
                    timings=timings,
                    report=report,
                    task_id=task_id,
                    created_at=datetime.now(UTC),
                )
                session.add(row)
                try:
                    session.commit()
                except IntegrityError:
                    continue  # the same file, or another version, won the race: look again
                return _stored(row, created=True)
        raise RuntimeError(f"could not store {filename}: {_SAVE_ATTEMPTS} conflicting writers")

    def by_sha(self, sha256: str) -> Stored | None:
        with Session(self._engine) as session:
            row = self._by_sha(session, sha256)
            return None if row is None else _stored(row)

    def report(self, agency: str, year: str, version: int | None = None) -> dict[str, Any]:
        """The contract JSON of a version (default: the latest); raises NotFound."""
        query = select(ReportVersion.report).where(
            ReportVersion.agency_key == agency, ReportVersion.year_key == year
        )
        if version is None:
            query = query.order_by(ReportVersion.version.desc()).limit(1)
        else:
            query = query.where(ReportVersion.version == version)
        with Session(self._engine) as session:
            report = session.scalar(query)
        if report is None:
            which = "any version" if version is None else f"version {version}"
            raise NotFound(f"no stored report for {agency} {year} ({which})")
        return report

    def history(self, agency: str, year: str) -> list[Stored]:
        """Every version of one key, oldest first; raises NotFound."""
        query = (
            select(ReportVersion)
            .where(ReportVersion.agency_key == agency, ReportVersion.year_key == year)
            .order_by(ReportVersion.version)
        )
        with Session(self._engine) as session:
            versions = [_stored(row) for row in session.scalars(query)]
        if not versions:
            raise NotFound(f"no stored report for {agency} {year}")
        return versions

    def version(self, agency: str, year: str, version: int | None = None) -> Stored:
        """One version of a key (default: the latest), without its report; raises NotFound."""
        versions = self.history(agency, year)
        if version is None:
            return versions[-1]
        for stored in versions:
            if stored.version == version:
                return stored
        raise NotFound(f"no stored report for {agency} {year} (version {version})")

    def listing(
        self, agency: str | None = None, year: int | None = None, all_versions: bool = False
    ) -> list[Stored]:
        """Latest version per key (or every version), filtered by agency substring and year."""
        query = select(ReportVersion).order_by(
            ReportVersion.agency_key, ReportVersion.year_key, ReportVersion.version
        )
        if agency:
            query = query.where(ReportVersion.agency_key.contains(agency, autoescape=True))
        if year is not None:
            query = query.where(ReportVersion.year == year)
        if not all_versions:
            newer = aliased(ReportVersion)
            query = query.where(
                ~exists().where(
                    newer.agency_key == ReportVersion.agency_key,
                    newer.year_key == ReportVersion.year_key,
                    newer.version > ReportVersion.version,
                )
            )
        with Session(self._engine) as session:
            return [_stored(row) for row in session.scalars(query)]

    @staticmethod
    def _by_sha(session: Session, sha256: str) -> ReportVersion | None:
        return session.scalar(select(ReportVersion).where(ReportVersion.sha256 == sha256))


def _stored(row: ReportVersion, created: bool = False) -> Stored:
    return Stored(
        agency=row.agency,
        year=row.year,
        version=row.version,
        sha256=row.sha256,
        filename=row.filename,
        method=row.method,
        pages=row.pages,
        original=row.original,
        timings=row.timings,
        # SQLite hands back naive datetimes; every stored time is UTC.
        created_at=row.created_at.replace(tzinfo=row.created_at.tzinfo or UTC),
        created=created,
    )


def of(settings: Settings) -> Store:
    """The store of the database the settings name."""
    return Store(db.engine(settings.database_url))
