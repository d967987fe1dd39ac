"""A finished job, told to the outside: webhooks and the post-process hook.

Called by `worker.finished` once the ledger has the job's end, in the process where the
job ran.  Nothing here may hold up or fail the pipeline: the deliveries are handed to
Celery as tasks of their own (`gongkai.webhook`, retried with exponential backoff;
`gongkai.post_process`) when a broker is configured, or to a background thread in
embedded mode; a delivery that cannot even be handed over is logged and dropped.

Each event has a stable `id` (`<job id>:<state>`): a document processed again after a
lost acknowledgement sends its event again with the same id, so receivers deduplicate
on it.  At-least-once, as every queue-backed webhook system is.  A duplicate (bytes stored
before from another file) is told as `job.duplicate`, with the document stored before; the
hook runs only for a job that stored its document.  A new revision of stored bytes
(`gongkai reprocess`, the review desk) is told as `report.revised`, its id the bytes' SHA-256
and revision.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from celery import shared_task

from worker import postprocess, settings, webhooks
from worker.errors import DeliveryFailed
from worker.failure import describe
from worker.links import document_url, job_url

if TYPE_CHECKING:
    from worker.store import Stored

log = logging.getLogger(__name__)
_background = ThreadPoolExecutor(max_workers=2, thread_name_prefix="gongkai-events")


def succeeded(job: str, arguments: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """The event of a stored document (or, for a duplicate, of the one stored before);
    `result` is what the process task returned."""
    agency, year, version = result.get("agency"), result.get("year"), result.get("version")
    return _event(
        job,
        "duplicate" if result.get("duplicate") else "succeeded",
        arguments,
        report={
            "agency": agency,
            "year": year,
            "version": version,
            "sha256": result.get("sha256"),
            "created": bool(result.get("created")),
            "url": document_url(str(result.get("sha256"))),
        },
    )


def failed(job: str, arguments: dict[str, Any], exception: BaseException) -> dict[str, Any]:
    """The event of a document that went to failed/, with the ledger's kind and code."""
    failure = describe(exception)
    error = {"kind": failure.kind, "exit_code": failure.exit_code, "message": failure.message}
    return _event(job, "failed", arguments, error=error)


def revised(stored: Stored) -> dict[str, Any]:
    """The event of a new revision of stored bytes (reprocessed, corrected, reviewed): an
    archive that mirrors the reports learns of the new version as of a new document."""
    return {
        "id": f"{stored.sha256}:revision-{stored.revision}",
        "type": "report.revised",
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "job": None,
        "report": {
            "agency": stored.agency,
            "year": stored.year,
            "version": stored.version,
            "revision": stored.revision,
            "origin": stored.origin,
            "sha256": stored.sha256,
            "url": document_url(stored.sha256),
        },
        "error": None,
    }


def dispatch_finished(
    job: str, arguments: dict[str, Any], result: dict[str, Any], exception: BaseException | None
) -> None:
    """Send the event of a document's job that ended."""
    if exception is None:
        dispatch(succeeded(job, arguments, result))
    else:
        dispatch(failed(job, arguments, exception))


def dispatch(event: dict[str, Any]) -> None:
    """Hand the event to its webhooks and, for a stored report, to the hook."""
    current = settings.current()
    hook = bool(current.post_process_command) and event["type"] == "job.succeeded"
    if not current.webhook_urls and not hook:
        return
    body = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    try:
        for url in current.webhook_urls:
            delivery = quote(event["id"], safe=":")  # a header: the file name made ASCII
            arguments = {"url": url, "body": body, "event": event["type"], "delivery": delivery}
            if current.embedded:
                _background.submit(_deliver, **arguments)
            else:
                send_webhook.apply_async(kwargs=arguments)
        if hook:
            if current.embedded:
                _background.submit(_post_process, event)
            else:
                post_process.apply_async(kwargs={"event": event})
    except Exception as exc:  # a broker gone away must not fail the document
        log.error("event %s not sent: %s", event["id"], exc)


@shared_task(
    name="gongkai.webhook",
    autoretry_for=(DeliveryFailed,),
    retry_backoff=True,
    retry_backoff_max=int(webhooks.MAX_BACKOFF),
    retry_jitter=True,
    max_retries=webhooks.ATTEMPTS - 1,
)
def send_webhook(url: str, body: str, event: str, delivery: str) -> None:
    """One attempt at a delivery; Celery retries it with backoff."""
    webhooks.post(url, body.encode(), event, delivery, _secret())


@shared_task(name="gongkai.post_process")
def post_process(event: dict[str, Any]) -> str:
    """Run the hook on a stored report; a failure is the task's (see the ledger)."""
    return str(postprocess.run(event, settings.current()))


def _deliver(url: str, body: str, event: str, delivery: str) -> None:
    webhooks.deliver(url, body.encode(), event, delivery, _secret())


def _post_process(event: dict[str, Any]) -> None:
    try:
        postprocess.run(event, settings.current())
    except DeliveryFailed as exc:
        log.error("%s", exc.message)


def _secret() -> str:
    secret = settings.current().webhook_secret
    if secret is None:
        raise DeliveryFailed("GONGKAI_WEBHOOK_SECRET is not set where the event is sent")
    return secret


def _event(
    job: str,
    state: str,
    arguments: dict[str, Any],
    report: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": f"{job}:{state}",
        "type": f"job.{state}",
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "job": {
            "id": job,
            "sha256": arguments.get("sha256"),
            "filename": arguments.get("filename"),
            "url": job_url(job),
        },
        "report": report,
        "error": error,
    }
