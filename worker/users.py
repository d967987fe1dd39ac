"""The people who log in to the review desk with a name and a password of their own.

A user's name is the reviewer recorded on their corrections.  The password is kept as a
salted scrypt hash whose parameters travel with it (`scrypt$<n>$<r>$<p>$<salt>$<hash>`, the
salt and hash in unpadded base64), so stronger parameters later do not lock anyone out.
Verifying a name that is not a user costs the same scrypt as a wrong password, so the time
of an answer does not say which names exist.  `gongkai users add|list|remove` manages them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, Engine, String, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from worker import db
from worker.db import Base
from worker.errors import InvalidSetting, NotFound

if TYPE_CHECKING:
    from worker.settings import Settings

MIN_PASSWORD = 12
"""Characters a password needs at the least."""
MAX_NAME = 100
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
"""scrypt's cost: 16 MiB and some 50 ms per hash on this machine's cores."""
_SCHEME = "scrypt"
_SALT_BYTES = 16
_KEY_BYTES = 32


class User(Base):
    """One person who logs in to the desk (the table is made by migration 0003)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("name", name="uq_users_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True, slots=True)
class Account:
    """A user as listed: never their hash."""

    name: str
    created_at: datetime


class UserExists(InvalidSetting):
    kind = "user_exists"


class WeakPassword(InvalidSetting):
    kind = "weak_password"


def hash_password(password: str) -> str:
    """A new salted hash of `password`, with its parameters."""
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return "$".join((_SCHEME, str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(key)))


def password_matches(password: str, stored: str) -> bool:
    """Whether `password` is the one `stored` was made from (False for a malformed hash)."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != _SCHEME:
            return False
        expected = _unb64(key)
        found = _scrypt(password, _unb64(salt), int(n), int(r), int(p), len(expected))
    except ValueError:
        return False
    return hmac.compare_digest(found, expected)


def normal_name(name: str) -> str:
    """A name as the desk records it: its runs of white space one space."""
    return " ".join(name.split())


class Users:
    """The users table of one database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, name: str, password: str) -> Account:
        """Add a user; raises UserExists, WeakPassword, or InvalidSetting for a bad name."""
        name = normal_name(name)
        if not name or len(name) > MAX_NAME:
            raise InvalidSetting(f"a user's name has 1 to {MAX_NAME} characters")
        if len(password) < MIN_PASSWORD:
            raise WeakPassword(f"a password has at least {MIN_PASSWORD} characters")
        user = User(name=name, password_hash=hash_password(password), created_at=_now())
        with Session(self._engine, expire_on_commit=False) as session:
            session.add(user)
            try:
                session.commit()
            except IntegrityError:
                raise UserExists(f"there is a user {name!r} already") from None
        return Account(user.name, user.created_at)

    def listing(self) -> list[Account]:
        """Every user, by name."""
        with Session(self._engine) as session:
            rows = session.execute(select(User.name, User.created_at).order_by(User.name))
            return [Account(name, _utc(created)) for name, created in rows]

    def remove(self, name: str) -> None:
        """Remove a user (their sessions end at their next page); raises NotFound."""
        with Session(self._engine) as session:
            gone = session.execute(delete(User).where(User.name == normal_name(name)))
            session.commit()
        if not getattr(gone, "rowcount", 0):
            raise NotFound(f"there is no user {normal_name(name)!r}")

    def exists(self, name: str) -> bool:
        with Session(self._engine) as session:
            return session.scalar(select(User.id).where(User.name == normal_name(name))) is not None

    def verify(self, name: str, password: str) -> bool:
        """Whether `name` is a user and `password` theirs; an unknown name takes as long."""
        with Session(self._engine) as session:
            stored = session.scalar(
                select(User.password_hash).where(User.name == normal_name(name))
            )
        matches = password_matches(password, stored or _decoy())
        return stored is not None and matches


def of(settings: Settings) -> Users:
    """The users of the database the settings name."""
    return Users(db.engine(settings.database_url))


@cache
def _decoy() -> str:
    """A hash no password is checked against in earnest: an unknown name costs a scrypt."""
    return hash_password(secrets.token_urlsafe(16))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, size: int = _KEY_BYTES) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r + 2**20, dklen=size
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return moment.replace(tzinfo=moment.tzinfo or UTC)
