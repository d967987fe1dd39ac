"""Who is at the desk: a signed session cookie for a person who logged in, and the CSRF
token every form of theirs carries.

A browser cannot send the API's bearer token, so the login form takes it once (or a user's
own password, see `worker.users`) and answers with a cookie: `<payload>.<signature>`, the
payload the reviewer's name, whether they are a user, and an expiry, the signature an
HMAC-SHA256 under a key derived from a secret kept in the data folder and the API token.
Changing the token or deleting the secret logs everyone out.  The cookie is HttpOnly and
SameSite=Strict; each form also carries a token derived from the session (a cross-site page
cannot read it), and a POST without the right one is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

COOKIE = "gongkai_session"
LIFETIME = 12 * 3600
"""Seconds a login lasts: a working day."""
_SECRET_FILE = "desk-secret"


@dataclass(frozen=True, slots=True)
class Session:
    who: str
    expires: int
    nonce: str
    user: bool = False
    """Logged in with a user's password (not the API token): ends when the user is removed."""


class Keys:
    """The signing key of this deployment's sessions."""

    def __init__(self, data_dir: Path, api_token: str | None) -> None:
        secret = _secret(data_dir)
        self._key = hmac.new(secret, (api_token or "").encode(), hashlib.sha256).digest()

    def issue(self, who: str, now: float | None = None, user: bool = False) -> str:
        """A cookie value for `who` (a user's name, or a name typed with the token), valid
        for LIFETIME seconds."""
        payload = {
            "who": who,
            "exp": int((now or time.time()) + LIFETIME),
            "nonce": secrets.token_urlsafe(12),
            "user": user,
        }
        body = _b64(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())
        return f"{body}.{self._sign(body)}"

    def read(self, cookie: str | None, now: float | None = None) -> Session | None:
        """The session a cookie value carries, or None when it is absent, forged or old."""
        if not cookie or "." not in cookie:
            return None
        body, signature = cookie.rsplit(".", 1)
        if not hmac.compare_digest(signature, self._sign(body)):
            return None
        try:
            payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            session = Session(
                str(payload["who"]),
                int(payload["exp"]),
                str(payload["nonce"]),
                payload.get("user") is True,
            )
        except (ValueError, KeyError, TypeError):
            return None
        return session if session.expires > (now or time.time()) else None

    def csrf(self, session: Session) -> str:
        """The token this session's forms carry."""
        return self._sign(f"csrf:{session.nonce}")

    def csrf_ok(self, session: Session, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(token, self.csrf(session))

    def _sign(self, text: str) -> str:
        return _b64(hmac.new(self._key, text.encode(), hashlib.sha256).digest())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _secret(data_dir: Path) -> bytes:
    """The deployment's secret, made on first use, readable by its owner only.  Written
    aside and linked into place, so a process starting at the same moment reads either
    nothing (and links its own, which loses) or the whole secret, never half of it."""
    path = data_dir / _SECRET_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        aside = data_dir / f".{_SECRET_FILE}.{os.getpid()}"
        descriptor = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(secrets.token_bytes(32))
        try:
            os.link(aside, path)
        except FileExistsError:
            pass
        finally:
            aside.unlink()
    return path.read_bytes()
