"""What the endpoints use, built once per app from the settings it was given."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from worker import db
from worker.ledger import Ledger
from worker.settings import Settings
from worker.store import Store


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    store: Store
    ledger: Ledger

    @classmethod
    def of(cls, settings: Settings) -> Services:
        engine = db.engine(settings.database_url)
        return cls(settings, Store(engine), Ledger(engine))


def wired(request: Request) -> Services:
    """The app's services (a FastAPI dependency)."""
    services: Services = request.app.state.services
    return services
