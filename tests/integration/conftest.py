"""Fixtures for the integration tests: PostgreSQL and Redis (deployment.py), live `gongkai
serve` processes and webhook receivers (live.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from deployment import PG_ADMIN, listening, redis_server, wait_for
from live import GONGKAI, LiveApi, Receiver, base_env, free_port, serve_receiver, start_api
from paths import DEVSET

from worker import db


@pytest.fixture
def api_factory(tmp_path: Path) -> Iterator[Callable[..., LiveApi]]:
    """Start APIs with the settings given; all are stopped after the test."""
    started: list[LiveApi] = []

    def start(**env: str) -> LiveApi:
        started.append(start_api(tmp_path, **env))
        return started[-1]

    yield start
    for api in started:
        api.stop()


@pytest.fixture(scope="session")
def dev01_output() -> bytes:
    """What `gongkai parse dev-01.pdf` prints, run once for the tests that store it."""
    return subprocess.run(
        [GONGKAI, "parse", DEVSET / "dev-01.pdf"], capture_output=True, check=True
    ).stdout


@pytest.fixture
def dev01_report(dev01_output: bytes) -> dict[str, Any]:
    """That report, a fresh dict for each test."""
    report: dict[str, Any] = json.loads(dev01_output)
    return report


@pytest.fixture(params=["sqlite", "postgresql"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """Embedded mode on a data folder: its SQLite file, or a fresh PostgreSQL database."""
    extra = {"GONGKAI_WATCH_INTERVAL": "0.05", "GONGKAI_WATCH_SETTLE": "0"}
    if request.param == "postgresql":
        extra["GONGKAI_DATABASE_URL"] = request.getfixturevalue("database")
    return base_env(tmp_path / "data", **extra)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver that answers 500 to its first request, then 200."""
    with serve_receiver(failures=1) as state:
        yield state


@pytest.fixture(scope="session")
def services() -> None:
    """Skip where Redis or PostgreSQL is missing, except in CI, where that is a failure."""
    if not (listening(6379) and listening(5432)) or shutil.which("redis-server") is None:
        reason = "needs Redis on 6379 and PostgreSQL on 5432 (scripts/setup starts them)"
        if os.environ.get("GONGKAI_TESTS_REQUIRE_SERVICES"):
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def redis_url(services: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    command = redis_server(port, tmp_path_factory.mktemp("redis"), persistent=False)
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)
    wait_for(lambda: listening(port), 10, "redis-server", None)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def database(services: None) -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped after it."""
    name = f"gongkai_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    yield url
    db.engine(url).dispose()
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
