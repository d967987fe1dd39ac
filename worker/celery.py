"""The Celery app (`celery -A worker worker` finds it here), configured from worker.settings.

The settings follow Celery's guidance for long, idempotent tasks that must not be lost:
acknowledge after the task ran and requeue it when its process dies, take one message at a
time, bound each task in time, keep the Redis visibility timeout above that bound (else a
running task is handed to a second worker), replace processes that grew too large, and
accept JSON only (pickle from a shared broker would be code execution).
"""

from __future__ import annotations

from typing import Any

from celery import Celery, signals

from worker import db, finished, ledger
from worker.settings import Settings, current


def create_app(settings: Settings) -> Celery:
    app = Celery("gongkai", include=["worker.tasks"])
    app.conf.update(
        broker_url=settings.broker_url,
        result_backend=settings.result_backend,
        task_serializer="json",
        result_serializer="json",
        event_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # A process killed mid-task (out of memory, a crash in a C library) is retried
        # through the counted retry path, so a file that kills every worker ends in
        # failed/ after GONGKAI_MAX_RETRIES instead of being redelivered forever.
        task_retry_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_soft_time_limit=settings.soft_time_limit,
        task_time_limit=settings.time_limit,
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout,
            # Look for messages of dead workers every 10 s, not kombu's default 100 s.
            "unacked_restore_throttle": 1,
            "socket_timeout": 30,
            "health_check_interval": 10,
        },
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a restarted Redis is waited for, forever
        # A task running while the broker connection drops finishes its work (it is stored);
        # its acknowledgement is lost, so it runs again later and finds the report stored.
        worker_cancel_long_running_tasks_on_connection_loss=False,
        result_backend_always_retry=True,
        result_backend_max_retries=30,
        worker_max_memory_per_child=settings.max_memory_mb * 1024,  # KiB
        worker_concurrency=settings.concurrency,
        task_track_started=True,
        worker_send_task_events=True,  # for Flower
        task_send_sent_event=True,
        result_expires=7 * 24 * 3600,
        result_extended=True,
        broker_connection_timeout=10,
    )
    return app


app = create_app(current())
ledger.connect()  # a job queued, started, retried
finished.connect()  # its end: failed/, the ledger, then webhooks and the hook


@signals.worker_init.connect(weak=False)
def _create_schema(**_: Any) -> None:
    """Create the tables once in the main process, before the pool forks its children."""
    db.engine(current().database_url).dispose()
