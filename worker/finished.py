"""The one path a finished task takes: its file, its ledger row, its events, in that order.

Celery tells of a task's end through two signals (task_postrun for success, task_failure
for every way a task can fail, including a time limit and a pool process that died).  Each
is received here once and handed to `on_task_finished`, which does the three things in a
fixed order instead of leaving it to the order receivers were connected in: a failed
document's file is in failed/ before its job reads "failed", and the ledger is written
before a webhook tells the outside to look at it.  A file that cannot be parsed ends its
task without a failure signal (`worker.tasks`: a clean FAILURE state, no traceback): the
task calls `on_task_finished` itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from celery import Task, signals

from worker import events, ledger, reprocess_runs
from worker.failure import PROCESS_TASK, REPROCESS_TASK, move_to_failed


@dataclass(frozen=True, slots=True)
class Finished:
    """A task that ended: `exception` is None when it succeeded with `result`."""

    task: str
    task_id: str
    arguments: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)
    exception: BaseException | None = None

    @property
    def is_document(self) -> bool:
        """The process task of a document (not a webhook's or the hook's own task)."""
        return self.task == PROCESS_TASK


def connect() -> None:
    """Receive both of Celery's end-of-task signals (called where the app is created)."""
    signals.task_postrun.connect(_postrun, weak=False)
    signals.task_failure.connect(_failure, weak=False)


def on_task_finished(finished: Finished) -> None:
    """Move a failed document's file to failed/, record the job, then send its events."""
    if finished.exception is not None and finished.is_document:
        move_to_failed(finished.task_id, finished.arguments, finished.exception)
    if finished.exception is not None and finished.task == REPROCESS_TASK:
        reprocess_runs.record_failure(finished.arguments, finished.exception)
    ledger.record_finished(finished.task_id, finished.result, finished.exception)
    if finished.is_document:
        events.dispatch_finished(
            finished.task_id, finished.arguments, finished.result, finished.exception
        )


def _postrun(sender: Task, task_id: str, retval: Any, state: str, **signal: Any) -> None:
    if state != "SUCCESS":
        return  # failures come from task_failure, which also sees hard time limits
    on_task_finished(
        Finished(
            getattr(sender, "name", ""),
            task_id,
            signal.get("kwargs") or {},
            retval if isinstance(retval, dict) else {},
        )
    )


def _failure(sender: Task, task_id: str, exception: BaseException, **signal: Any) -> None:
    """Fires in the pool process, or in the worker's main process when the pool process
    is gone."""
    name = getattr(sender, "name", "")
    on_task_finished(Finished(name, task_id, signal.get("kwargs") or {}, exception=exception))
