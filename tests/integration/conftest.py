"""Fixtures for the API tests: live `gongkai serve` processes and webhook receivers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from live import LiveApi, Receiver, serve_receiver, start_api
from test_worker import database, services  # noqa: F401  (PostgreSQL and Redis, shared)


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


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver that answers 500 to its first request, then 200."""
    with serve_receiver(failures=1) as state:
        yield state
