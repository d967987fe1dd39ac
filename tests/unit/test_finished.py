"""worker.finished: one path for a task's end, in a fixed order."""

from __future__ import annotations

from typing import Any

import pytest

from extract.errors import CorruptFile
from worker import finished
from worker.failure import PROCESS_TASK


@pytest.fixture
def steps(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    taken: list[str] = []

    def step(name: str) -> Any:
        return lambda *args, **kwargs: taken.append(name)

    monkeypatch.setattr(finished, "move_to_failed", step("failed/"))
    monkeypatch.setattr(finished.ledger, "record_finished", step("ledger"))
    monkeypatch.setattr(finished.events, "dispatch_finished", step("events"))
    return taken


def test_a_failed_document_is_in_failed_before_the_ledger_and_the_events(
    steps: list[str],
) -> None:
    error = CorruptFile("not a readable PDF")
    finished.on_task_finished(finished.Finished(PROCESS_TASK, "job", {"sha256": "0"}, {}, error))
    assert steps == ["failed/", "ledger", "events"]


def test_a_stored_document_is_recorded_before_its_events(steps: list[str]) -> None:
    finished.on_task_finished(finished.Finished(PROCESS_TASK, "job", {}, {"version": 1}))
    assert steps == ["ledger", "events"]


def test_a_delivery_task_is_recorded_but_sends_no_events_of_its_own(steps: list[str]) -> None:
    finished.on_task_finished(finished.Finished("gongkai.webhook", "job", {}, {}))
    finished.on_task_finished(
        finished.Finished("gongkai.webhook", "job", {}, {}, RuntimeError("refused"))
    )
    assert steps == ["ledger", "ledger"]
