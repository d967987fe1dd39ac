"""Why a document failed, in the terms users and scripts see: kind, exit code, message.

The job ledger and the `failed/<name>.error.json` files both describe failures, and they
must agree with `gongkai parse`: an input problem keeps its GongkaiError kind and exit
code; Celery's own ways of ending a task (time limits, a worker process that died) are
mapped onto the same codes, so a script reads one vocabulary whatever ran the file.
"""

from __future__ import annotations

from dataclasses import dataclass

from billiard.exceptions import WorkerLostError
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded

from extract.errors import ExitCode, GongkaiError, LimitExceeded


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
