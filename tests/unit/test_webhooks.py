"""Webhook signatures, retries and events, without a network (a closed port at most)."""

from __future__ import annotations

import hashlib
import hmac
import socket

import pytest

from extract.errors import LimitExceeded
from worker import events, settings, webhooks
from worker.errors import DeliveryFailed, InvalidSetting


def test_the_signature_covers_timestamp_and_body() -> None:
    body = b'{"id":"x"}'
    expected = hmac.new(b"key", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert webhooks.signature("key", "1700000000", body) == f"sha256={expected}"
    assert webhooks.signature("key", "1700000001", body) != webhooks.signature(
        "key", "1700000000", body
    )


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends


def test_an_unreachable_receiver_is_retried_with_backoff_then_given_up() -> None:
    waits: list[float] = []
    url = f"http://127.0.0.1:{_closed_port()}/hook"
    assert not webhooks.deliver(url, b"{}", "job.failed", "x:failed", "key", sleep=waits.append)
    assert len(waits) == webhooks.ATTEMPTS - 1
    assert all(0 <= wait <= min(webhooks.MAX_BACKOFF, 2**n) for n, wait in enumerate(waits))
    with pytest.raises(DeliveryFailed, match="x:failed"):
        webhooks.post(url, b"{}", "job.failed", "x:failed", "key")


def test_events_have_a_stable_id_and_the_ledgers_failure_terms() -> None:
    arguments = {"sha256": "ab" * 32, "filename": "a.pdf"}
    result = {"agency": "某局", "year": 2021, "version": 2, "sha256": "ab" * 32, "created": True}
    stored = events.succeeded("process-1", arguments, result)
    assert stored["id"] == "process-1:succeeded" and stored["type"] == "job.succeeded"
    assert stored["report"]["url"] == f"/documents/{'ab' * 32}"  # by SHA-256, any agency
    assert stored["job"] == {"id": "process-1", **arguments, "url": "/jobs/process-1"}
    failed = events.failed("process-1", arguments, LimitExceeded("too many pages"))
    assert failed["id"] == "process-1:failed" and failed["report"] is None
    assert failed["error"] == {
        "kind": "limit_exceeded",
        "exit_code": 9,
        "message": "too many pages",
    }
    unidentified = {**result, "agency": None, "year": None, "version": None, "sha256": "cd" * 32}
    fragment = events.succeeded("process-2", arguments, unidentified)
    assert fragment["report"]["url"] == f"/documents/{'cd' * 32}"
    assert fragment["report"]["version"] is None


def test_webhook_and_hook_settings() -> None:
    loaded = settings.load(
        {
            "GONGKAI_WEBHOOK_URLS": " https://a.example/hook , http://127.0.0.1:9/x ",
            "GONGKAI_WEBHOOK_SECRET": "s",
            "GONGKAI_POST_PROCESS_COMMAND": "/usr/bin/archive --into 'two words'",
            "GONGKAI_API_TOKEN": "t",
        }
    )
    assert loaded.webhook_urls == ("https://a.example/hook", "http://127.0.0.1:9/x")
    assert loaded.post_process_command == ("/usr/bin/archive", "--into", "two words")
    assert "'t'" not in repr(loaded) and "'s'" not in repr(loaded)  # secrets stay out of logs
    refusals = {
        "GONGKAI_WEBHOOK_URLS is set but GONGKAI_WEBHOOK_SECRET is not": {
            "GONGKAI_WEBHOOK_URLS": "https://a.example/hook"
        },
        "is not an http\\(s\\) URL": {
            "GONGKAI_WEBHOOK_URLS": "file:///etc/passwd",
            "GONGKAI_WEBHOOK_SECRET": "s",
        },
        "No closing quotation": {"GONGKAI_POST_PROCESS_COMMAND": "archive 'unclosed"},
    }
    for message, environ in refusals.items():
        with pytest.raises(InvalidSetting, match=message):
            settings.load(environ)
