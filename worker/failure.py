"""Why a document failed, in the terms users and scripts see, and its move to failed/.

The job ledger and the `failed/<name>.error.json` files both describe failures, and they
must agree with `gongkai parse`: an input problem keeps its GongkaiError kind and exit
code; Celery's own ways of ending a task (time limits, a worker process that died) are
mapped onto the same codes, so a script reads one vocabulary whatever ran the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from billiard.exceptions import WorkerLostError
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded

from extract.errors import ExitCode, GongkaiError, LimitExceeded
from worker.settings import current
from worker.spool import Folders

PROCESS_TASK = "gongkai.process"
REPROCESS_TASK = "gongkai.reprocess"


@dataclass(frozen=True, slots=True)
class Failure:
    kind: str
    exit_code: int
    message: str


def describe(exc: BaseException) -> Failure:
    if isinstance(exc, SoftTimeLimitExceeded | TimeLimitExceeded):
        limit = LimitExceeded(
            "processing took longer than the time limit "
            "(GONGKAI_SOFT_TIME_LIMIT / GONGKAI_TIME_LIMIT)"
        )
        return describe(limit)
    if isinstance(exc, GongkaiError):
        return Failure(exc.kind, int(exc.exit_code), " ".join(exc.message.split()))
    if isinstance(exc, WorkerLostError):
        message = (
            "the worker process died while processing this file, on every attempt "
            f"(a crash or out of memory): {exc}"
        )
    else:
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        message = f"internal error: {' '.join(detail.split())}"
    return Failure("internal", int(ExitCode.internal), message)


def move_to_failed(task_id: str, arguments: dict[str, Any], exception: BaseException) -> None:
    """Whatever ended a document's task (a GongkaiError, retries exhausted, a time limit, a
    process that died on every attempt), its file goes to failed/ with the reason."""
    if "sha256" not in arguments:
        return
    folders = Folders(current().data_dir)
    path = folders.spooled(arguments["sha256"], arguments["filename"])
    failure = describe(exception)
    details = {
        "sha256": arguments["sha256"],
        "task_id": task_id,
        "kind": failure.kind,
        "exit_code": failure.exit_code,
        "reason": failure.message,
    }
    folders.fail(path, details)
