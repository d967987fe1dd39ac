"""The worker's configuration, read once from GONGKAI_* environment variables.

One place for every variable the worker, watcher and Celery app read (the paperless-ngx
model): `VARIABLES` documents them, the README's table and the docker-compose test are
checked against it, and a bad value stops the process with a message naming the variable
instead of surfacing later as a confusing Celery or SQLAlchemy error.  Standard library
only, so the light commands can import it.
"""

from __future__ import annotations

import functools
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from extract.errors import InvalidSetting

VARIABLES: dict[str, str] = {
    "GONGKAI_BROKER_URL": "Celery broker (redis://host:6379/0); unset: embedded mode, tasks run "
    "in the calling process",
    "GONGKAI_RESULT_BACKEND": "where task states and progress are kept for Flower and "
    "AsyncResult; default: the broker URL",
    "GONGKAI_DATABASE_URL": "result store and job ledger (SQLAlchemy URL, e.g. "
    "postgresql+psycopg://user:pw@host/db); default: SQLite file DATA_DIR/gongkai.sqlite3",
    "GONGKAI_DATA_DIR": "spool/, processed/, failed/, originals/ and the SQLite file; the "
    "watcher and the workers must see it at the same path; default: "
    "$XDG_DATA_HOME/gongkai, i.e. ~/.local/share/gongkai",
    "GONGKAI_CONCURRENCY": "worker processes per `celery worker` (its -c overrides); default: "
    "the number of cores",
    "GONGKAI_SOFT_TIME_LIMIT": "seconds one document may take; past it the file fails with "
    "limit_exceeded (default 600)",
    "GONGKAI_TIME_LIMIT": "hard limit in seconds: the process is killed (default soft + 60)",
    "GONGKAI_VISIBILITY_TIMEOUT": "seconds before Redis hands an unacknowledged task to another "
    "worker; must exceed the hard limit (default hard + 300)",
    "GONGKAI_MAX_MEMORY_MB": "a worker process is replaced after a task that left it above "
    "this resident size (default 1024)",
    "GONGKAI_MAX_RETRIES": "retries of a task after a transient error (broker, database, "
    "disk) or a lost worker process, with exponential backoff (default 5)",
    "GONGKAI_WATCH_INTERVAL": "seconds between two scans of the watched folder (default 2)",
    "GONGKAI_WATCH_SETTLE": "seconds a file's size and mtime must stay unchanged before it is "
    "taken (default 3)",
    "GONGKAI_TEST_TASK_DELAY": "test hook: seconds each task sleeps before parsing, to kill a "
    "worker mid-task (default 0)",
    "GONGKAI_API_TOKEN": "bearer token the HTTP API (`gongkai serve`) requires on every "
    "endpoint but /health; unset: no authentication, and the API only listens on loopback",
    "GONGKAI_MAX_UPLOAD_MB": "largest file `POST /documents` accepts, in megabytes (default 50)",
    "GONGKAI_WEBHOOK_URLS": "comma-separated http(s) URLs that get a signed JSON event for "
    "every finished job (succeeded or failed)",
    "GONGKAI_WEBHOOK_SECRET": "HMAC-SHA256 key of the X-Gongkai-Signature header; required "
    "with GONGKAI_WEBHOOK_URLS",
    "GONGKAI_POST_PROCESS_COMMAND": "command run after each stored report, as an argument list "
    "(split like a shell would, never run by one); it gets the result JSON's path as its last "
    "argument and GONGKAI_RESULT_PATH, GONGKAI_AGENCY, GONGKAI_YEAR, GONGKAI_VERSION, "
    "GONGKAI_SHA256 in its environment",
}


_N = TypeVar("_N", int, float)


@dataclass(frozen=True, slots=True)
class Settings:
    broker_url: str | None
    result_backend: str | None
    database_url: str
    data_dir: Path
    concurrency: int | None
    soft_time_limit: int
    time_limit: int
    visibility_timeout: int
    max_memory_mb: int
    max_retries: int
    watch_interval: float
    watch_settle: float
    test_task_delay: float
    api_token: str | None = field(default=None, repr=False)
    max_upload_mb: float = 50.0
    webhook_urls: tuple[str, ...] = ()
    webhook_secret: str | None = field(default=None, repr=False)
    post_process_command: tuple[str, ...] = ()

    @property
    def embedded(self) -> bool:
        """No broker: the task functions run in the process that enqueues them."""
        return self.broker_url is None

    @property
    def max_backoff(self) -> int:
        """The longest retry delay: under the visibility timeout, or Redis would hand the
        waiting retry to a second worker."""
        return max(1, min(600, self.visibility_timeout // 2))


@functools.cache
def current() -> Settings:
    """This process's settings, read on first use."""
    return load()


def load(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from `environ` (default: the process environment); raises InvalidSetting."""
    env = _Reader(os.environ if environ is None else environ)
    data_dir = env.path("GONGKAI_DATA_DIR") or _default_data_dir(env)
    broker_url = env.text("GONGKAI_BROKER_URL")
    soft = env.number("GONGKAI_SOFT_TIME_LIMIT", int, 600)
    hard = env.number("GONGKAI_TIME_LIMIT", int, soft + 60)
    visibility = env.number("GONGKAI_VISIBILITY_TIMEOUT", int, hard + 300)
    if hard <= soft:
        raise InvalidSetting(
            f"GONGKAI_TIME_LIMIT={hard} must exceed GONGKAI_SOFT_TIME_LIMIT={soft}"
        )
    if visibility <= hard:
        raise InvalidSetting(
            f"GONGKAI_VISIBILITY_TIMEOUT={visibility} must exceed GONGKAI_TIME_LIMIT={hard}: "
            "otherwise Redis redelivers a task that is still running"
        )
    webhook_urls = _webhook_urls(env.text("GONGKAI_WEBHOOK_URLS"))
    webhook_secret = env.text("GONGKAI_WEBHOOK_SECRET")
    if webhook_urls and not webhook_secret:
        raise InvalidSetting(
            "GONGKAI_WEBHOOK_URLS is set but GONGKAI_WEBHOOK_SECRET is not: events are "
            "always signed"
        )
    return Settings(
        broker_url=broker_url,
        result_backend=env.text("GONGKAI_RESULT_BACKEND") or broker_url,
        database_url=env.text("GONGKAI_DATABASE_URL")
        or f"sqlite:///{data_dir / 'gongkai.sqlite3'}",
        data_dir=data_dir,
        concurrency=env.number("GONGKAI_CONCURRENCY", int, 0) or None,
        soft_time_limit=soft,
        time_limit=hard,
        visibility_timeout=visibility,
        max_memory_mb=env.number("GONGKAI_MAX_MEMORY_MB", int, 1024),
        max_retries=env.number("GONGKAI_MAX_RETRIES", int, 5, minimum=0),
        watch_interval=env.number("GONGKAI_WATCH_INTERVAL", float, 2.0, minimum=0.05),
        watch_settle=env.number("GONGKAI_WATCH_SETTLE", float, 3.0, minimum=0),
        test_task_delay=env.number("GONGKAI_TEST_TASK_DELAY", float, 0.0, minimum=0),
        api_token=env.text("GONGKAI_API_TOKEN"),
        max_upload_mb=env.number("GONGKAI_MAX_UPLOAD_MB", float, 50.0, minimum=0.001),
        webhook_urls=webhook_urls,
        webhook_secret=webhook_secret,
        post_process_command=_command(env.text("GONGKAI_POST_PROCESS_COMMAND")),
    )


def _webhook_urls(value: str | None) -> tuple[str, ...]:
    urls = tuple(url.strip() for url in (value or "").split(",") if url.strip())
    for url in urls:
        parsed = urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise InvalidSetting(f"GONGKAI_WEBHOOK_URLS: {url!r} is not an http(s) URL")
    return urls


def _command(value: str | None) -> tuple[str, ...]:
    try:
        return tuple(shlex.split(value or ""))
    except ValueError as exc:
        raise InvalidSetting(f"GONGKAI_POST_PROCESS_COMMAND={value!r}: {exc}") from None


def _default_data_dir(env: _Reader) -> Path:
    base = env.path("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return base / "gongkai"


class _Reader:
    """Typed access to the environment; every failure names the variable."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def text(self, name: str) -> str | None:
        value = self._environ.get(name, "").strip()
        return value or None

    def path(self, name: str) -> Path | None:
        value = self.text(name)
        return None if value is None else Path(value).expanduser().absolute()

    def number(self, name: str, kind: type[_N], default: _N, minimum: float = 1) -> _N:
        value = self.text(name)
        if value is None:
            return default
        try:
            number = kind(value)
        except ValueError:
            what = "a whole number" if kind is int else "a number"
            raise InvalidSetting(f"{name}={value!r} is not {what}") from None
        if number < minimum:
            raise InvalidSetting(f"{name}={value!r} must be at least {minimum:g}")
        return number
