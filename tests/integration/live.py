"""Live services for the API tests: `gongkai serve` in a subprocess, a webhook receiver.

The API is tested through real HTTP on a free localhost port, as an archive system meets
it, not only through an in-process test client.  conftest.py turns these into fixtures.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

GONGKAI = Path(sys.executable).parent / "gongkai"
TOKEN = "test-token-0123456789"
WEBHOOK_SECRET = "webhook-secret"
QUIET = 1.5  # seconds to wait for an event that should not come


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def base_env(data_dir: Path, **env: str) -> dict[str, str]:
    """The process environment without GONGKAI_* settings, plus a data folder and `env`."""
    inherited = {key: value for key, value in os.environ.items() if not key.startswith("GONGKAI_")}
    return {**inherited, "GONGKAI_DATA_DIR": str(data_dir), **env}


def wait_until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@dataclass
class LiveApi:
    """`gongkai serve` on a free port, and a client that sends the token."""

    url: str
    env: dict[str, str]
    data: Path
    process: subprocess.Popen[bytes]
    log: Path
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
        )

    def upload(self, name: str, data: bytes) -> httpx.Response:
        return self.client.post("/documents", files={"file": (name, data)})

    def finished(self, job: str, timeout: float = 60) -> dict[str, Any]:
        """The job once it has ended: succeeded, duplicate or failed."""

        def done() -> dict[str, Any] | None:
            found = self.client.get(f"/jobs/{job}")
            assert found.status_code == 200, found.text
            body: dict[str, Any] = found.json()
            return body if body["state"] in ("succeeded", "duplicate", "failed") else None

        return wait_until(done, timeout, f"job {job}")  # type: ignore[no-any-return]

    def gongkai(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The command line on the same data folder and database."""
        return subprocess.run(
            [GONGKAI, *args], env=self.env, capture_output=True, encoding="utf-8", timeout=60
        )

    def stop(self) -> None:
        self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_api(root: Path, **env: str) -> LiveApi:
    """Start `gongkai serve` (embedded mode unless `env` names a broker) and wait for it."""
    port = free_port()
    environment = base_env(root / "data", **{"GONGKAI_API_TOKEN": TOKEN, **env})
    log = root / f"serve-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [GONGKAI, "serve", "--port", str(port)],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    api = LiveApi(f"http://127.0.0.1:{port}", environment, root / "data", process, log)

    def healthy() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"gongkai serve exited:\n{log.read_text()}")
        try:
            return httpx.get(f"{api.url}/health", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(healthy, 30, "gongkai serve")
    return api


@dataclass
class Receiver:
    """A webhook receiver on localhost: answers `failures` times 500, then 200."""

    failures: int = 0
    attempts: list[dict[str, Any]] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""


@contextlib.contextmanager
def serve_receiver(failures: int = 0) -> Iterator[Receiver]:
    """A receiver on a free localhost port for the duration of the block."""
    state = Receiver(failures)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            delivery = {"headers": dict(self.headers), "body": body}
            with state.lock:
                state.attempts.append(delivery)
                fail = len(state.attempts) <= state.failures
                if not fail:
                    state.accepted.append(delivery)
            self.send_response(500 if fail else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def events(deliveries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [json.loads(delivery["body"]) for delivery in deliveries]


def verify(delivery: dict[str, Any], secret: str = WEBHOOK_SECRET) -> bool:
    """What a receiver does (README): HMAC-SHA256 of `<timestamp>.<body>`, a fresh timestamp."""
    headers = {name.lower(): value for name, value in delivery["headers"].items()}
    timestamp = headers["x-gongkai-timestamp"]
    signed = timestamp.encode() + b"." + delivery["body"]
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(timestamp)) < 300
    return fresh and hmac.compare_digest(expected, headers["x-gongkai-signature"])


def assert_signed(receiver: Receiver, jobs: list[str], timeout: float) -> list[dict[str, Any]]:
    """Wait until each job's event was taken, then a little longer for any duplicate; check
    that every delivery is correctly signed and each job got exactly one; return them."""

    def taken() -> bool:
        return {event["job"]["id"] for event in events(receiver.accepted)} >= set(jobs)

    wait_until(taken, timeout, "webhook events")
    time.sleep(QUIET)
    with receiver.lock:
        accepted = list(receiver.accepted)
    assert all(verify(delivery) for delivery in accepted)
    found = [event for event in events(accepted) if event["job"]["id"] in jobs]
    assert sorted(event["job"]["id"] for event in found) == sorted(jobs)
    return found
