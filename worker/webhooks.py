"""Signed HTTP deliveries of job events to the URLs of GONGKAI_WEBHOOK_URLS.

The signature is the GitHub/Stripe pattern: HMAC-SHA256, keyed with
GONGKAI_WEBHOOK_SECRET, over `<timestamp>.<body>`, sent as
`X-Gongkai-Signature: sha256=<hex>` beside `X-Gongkai-Timestamp` (Unix seconds).  The
timestamp is signed too, so a receiver that refuses old timestamps cannot be fed a
replayed event; each attempt is signed afresh.  Anything but a 2xx answer, a timeout or a
refused connection is a failed attempt, retried with exponential backoff (by Celery in a
deployment with a broker, by `deliver` in embedded mode).  Redirects are not followed: a
receiver that moved must be configured anew, not silently sent events elsewhere.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import random
import time
from collections.abc import Callable

import httpx

from worker.errors import DeliveryFailed

SIGNATURE_HEADER = "X-Gongkai-Signature"
TIMESTAMP_HEADER = "X-Gongkai-Timestamp"
EVENT_HEADER = "X-Gongkai-Event"
DELIVERY_HEADER = "X-Gongkai-Delivery"
ATTEMPTS = 8  # about two minutes of backoff before an event is given up
MAX_BACKOFF = 300.0
TIMEOUT = 10.0

log = logging.getLogger(__name__)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256(secret, timestamp + "." + body)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def post(url: str, body: bytes, event: str, delivery: str, secret: str) -> None:
    """One attempt; raises DeliveryFailed unless the receiver answers 2xx."""
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "gongkai-webhook",
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }
    try:
        answer = httpx.post(url, content=body, headers=headers, timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{event} {delivery} to {url}: {exc}") from exc
    if not answer.is_success:
        raise DeliveryFailed(f"{event} {delivery} to {url}: HTTP {answer.status_code}")


def backoff(attempt: int) -> float:
    """Seconds before attempt `attempt + 1`: 1, 2, 4… with full jitter, at most 300."""
    return random.uniform(0, min(MAX_BACKOFF, 2.0**attempt))


def deliver(
    url: str,
    body: bytes,
    event: str,
    delivery: str,
    secret: str,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Post until the receiver takes it or ATTEMPTS are spent; False when given up."""
    for attempt in range(ATTEMPTS):
        try:
            post(url, body, event, delivery, secret)
            return True
        except DeliveryFailed as exc:
            if attempt + 1 == ATTEMPTS:
                log.error("giving up after %d attempts: %s", ATTEMPTS, exc.message)
                return False
            log.warning("webhook attempt %d failed, retrying: %s", attempt + 1, exc.message)
            sleep(backoff(attempt))
    return False
