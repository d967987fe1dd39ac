"""The worker as deployed, for the integration tests: PostgreSQL, Redis, and `celery -A worker
worker` and watcher processes on a data folder and an inbox (conftest.py makes the services,
databases and Redis servers fixtures)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from worker import db
from worker.ledger import JobView, Ledger
from worker.store import Store

BIN = Path(sys.executable).parent
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
REDIS_DB_URL = "redis://127.0.0.1:6379/11"  # the machine's Redis, for test_api's live worker


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def redis_server(port: int, folder: Path, persistent: bool) -> list[str]:
    durability = ["--appendonly", "yes", "--appendfsync", "always"] if persistent else []
    return [
        "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
        "--save", "", *durability,
    ]  # fmt: skip


class Cluster:
    """A data folder, an inbox, and the worker and watcher processes serving them."""

    def __init__(self, root: Path, database_url: str, broker_url: str, **env: str) -> None:
        self.root = root
        self.inbox = root / "inbox"
        self.data = root / "data"
        self.inbox.mkdir()
        base = {key: value for key, value in os.environ.items() if not key.startswith("GONGKAI_")}
        self.env = {
            **base,
            "GONGKAI_BROKER_URL": broker_url,
            "GONGKAI_DATABASE_URL": database_url,
            "GONGKAI_DATA_DIR": str(self.data),
            "GONGKAI_WATCH_INTERVAL": "0.2",
            "GONGKAI_WATCH_SETTLE": "0.4",
            **env,
        }
        self.store = Store(db.engine(database_url))
        self.ledger = Ledger(db.engine(database_url))
        self._processes: list[subprocess.Popen[bytes]] = []

    def start_worker(self, name: str, concurrency: int = 2, **env: str) -> subprocess.Popen[bytes]:
        log = self.root / f"{name}.log"
        command = [BIN / "celery", "-A", "worker", "worker", "--pool", "prefork"]
        command += ["-c", str(concurrency), "-n", f"{name}@%h", "-l", "INFO", "--without-mingle"]
        process = self._start(command, log, env)
        wait_for(lambda: "ready." in log.read_text(errors="replace"), 60, f"{name} ready", log)
        return process

    def start_watcher(self) -> subprocess.Popen[bytes]:
        return self._start([BIN / "gongkai", "watch", self.inbox], self.root / "watch.log", {})

    def gongkai(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [BIN / "gongkai", *args],
            env=self.env,
            capture_output=True,
            encoding="utf-8",
            timeout=120,
            check=False,
        )

    def kill(self, process: subprocess.Popen[bytes], signum: int = signal.SIGTERM) -> None:
        """Signal the process group of a process started here, and reap it."""
        if process.poll() is None:
            os.killpg(process.pid, signum)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def close(self) -> None:
        for process in self._processes:
            self.kill(process)

    def out(self, folder: str) -> list[Path]:
        """The files (not the .error.json or .duplicate.json records) under data/<folder>."""
        return sorted(
            path
            for path in (self.data / folder).rglob("*")
            if path.is_file() and not path.name.endswith((".error.json", ".duplicate.json"))
        )

    def wait_for_files(self, count: int, timeout: float) -> None:
        """Until `count` files have gone through, the inbox and the spool are empty, and no job
        is still running."""

        def done() -> bool:
            finished = sum(
                len(self.out(folder)) for folder in ("processed", "duplicates", "failed")
            )
            busy = [job for job in self.ledger.jobs(limit=None) if job.state not in FINAL]
            return (
                finished >= count and not files_in(self.inbox) and not busy and not self.spooled()
            )

        wait_for(done, timeout, f"{count} files processed", self.root / "worker-1.log")

    def spooled(self) -> list[Path]:
        """Files waiting in the spool (not the job ids kept beside them)."""
        return [
            path
            for path in files_in(self.data / "spool")
            if ".incoming" not in path.parts and not path.name.startswith(".")
        ]

    def jobs(self) -> list[JobView]:
        return self.ledger.jobs(limit=None)

    def _start(self, command: list[Any], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
        with log.open("ab") as output:
            process = subprocess.Popen(
                command,
                env={**self.env, **env},
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=self.root,
                start_new_session=True,  # its own process group: the pool goes down with it
            )
        self._processes.append(process)
        return process


FINAL = ("succeeded", "duplicate", "failed")


def files_in(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def wait_for(condition: Callable[[], bool], timeout: float, what: str, log: Path | None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            raise AssertionError(f"timed out waiting for {what}\n{tail}")
        time.sleep(0.2)
