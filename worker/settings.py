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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

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
    )


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
