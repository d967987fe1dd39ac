"""What the endpoints use, built once per app from the settings it was given."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from worker import ledger, store
from worker.ledger import Ledger
from worker.settings import Settings
from worker.store import Store


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    store: Store
    ledger: Ledger  # with the backlog: a job's end kept while the database was away is read

    @classmethod
    def of(cls, settings: Settings) -> Services:
        return cls(settings, store.of(settings), ledger.of(settings))


def wired(request: Request) -> Services:
    """The app's services (a FastAPI dependency)."""
    services: Services = request.app.state.services
    return services
