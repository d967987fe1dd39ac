"""Documents per minute through the real worker, with 1 and with 2 worker processes.

    python bench/throughput.py [--documents 200] [--processes 1 2] [--rounds 3]

For each process count: a fresh PostgreSQL database and data folder, N distinct copies of
the devset's text reports (a comment after %%EOF makes each one new bytes, so every one is
parsed and stored) dropped into an inbox and queued by `gongkai watch --once` with no
worker running, then `celery -A worker worker -c P` drains the queue.  The clock runs from
the first task's start to the last task's end in the job ledger, so worker start-up is
not counted; queueing, parsing, storing, copying the original and moving the file are.
Rounds alternate the process counts and the fastest round of each is reported: whatever
else runs on the machine only ever slows a round down.
Needs Redis (the machine's, database 13, unless --broker says otherwise) and PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import psycopg
import redis

from worker import db
from worker.ledger import Ledger

DEVSET = Path(__file__).resolve().parents[1] / "tests" / "data" / "devset"
BIN = Path(sys.executable).parent
ROW = "{:>10}{:>11}{:>10}{:>12}{:>10}"


def reports() -> list[Path]:
    return [*sorted(DEVSET.glob("dev-0*.pdf")), DEVSET / "real" / "huaian-shi-2024.pdf"]


def run_once(
    processes: int, documents: int, broker: str, admin: str, root: Path
) -> tuple[float, float]:
    """Seconds from the first task's start to the last one's end, for `documents` files,
    and the CPU seconds the worker's processes used (start-up included)."""
    name = f"gongkai_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    url = f"postgresql+psycopg://{_user(admin)}@127.0.0.1:5432/{name}"
    redis.Redis.from_url(broker).flushdb()
    inbox, data = root / f"inbox-{processes}", root / f"data-{processes}"
    inbox.mkdir()
    base = {key: value for key, value in os.environ.items() if not key.startswith("GONGKAI_")}
    env = {
        **base,
        "GONGKAI_BROKER_URL": broker,
        "GONGKAI_DATABASE_URL": url,
        "GONGKAI_DATA_DIR": str(data),
        "GONGKAI_WATCH_SETTLE": "0",
        "GONGKAI_WATCH_INTERVAL": "0.1",
    }
    sources = reports()
    for number in range(documents):
        source = sources[number % len(sources)]
        copy = inbox / f"{number:05d}-{source.name}"
        copy.write_bytes(source.read_bytes() + b"\n%% bench copy %d\n" % number)
    watch = [BIN / "gongkai", "watch", "--once", inbox]
    subprocess.run(watch, env=env, check=True, stderr=subprocess.DEVNULL)
    ledger = Ledger(db.engine(url))
    command = [BIN / "celery", "-A", "worker", "worker", "--pool", "prefork", "-c", processes]
    command += ["--without-gossip", "--without-mingle", "-l", "WARNING"]
    with (root / f"worker-{processes}.log").open("wb") as log:
        cpu_before = _children_cpu()
        worker = subprocess.Popen(
            list(map(str, command)),
            env=env,
            cwd=root,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        while True:
            jobs = ledger.jobs(limit=None)
            if len(jobs) == documents and all(job.state == "succeeded" for job in jobs):
                break
            if any(job.state == "failed" for job in jobs) or worker.poll() is not None:
                raise RuntimeError("a document failed or the worker stopped")
            time.sleep(0.5)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
        cpu = _children_cpu() - cpu_before
        db.engine(url).dispose()
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE {name} WITH (FORCE)")
    started = min(job.started_at for job in jobs if job.started_at)
    finished = max(job.finished_at for job in jobs if job.finished_at)
    return (finished - started).total_seconds(), cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _user(admin: str) -> str:
    fields = dict(part.split("=", 1) for part in admin.split())
    return fields.get("user", "postgres")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=200, metavar="N")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2], metavar="P")
    parser.add_argument("--rounds", type=int, default=3, metavar="R")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/13")
    parser.add_argument(
        "--postgres",
        default="host=127.0.0.1 port=5432 user=postgres dbname=test",
        help="libpq connection string of a database to create the bench databases from",
    )
    args = parser.parse_args(argv)
    print(f"cores (os.cpu_count()): {os.cpu_count()}; documents: {args.documents}")
    best: dict[int, float] = {}
    root = Path(tempfile.mkdtemp(prefix="gongkai-bench-"))
    try:
        for round_number in range(args.rounds):
            for processes in args.processes:
                load = os.getloadavg()[0]  # other work on the machine slows a round down
                work = root / f"round-{round_number}"
                work.mkdir(exist_ok=True)
                seconds, cpu = run_once(processes, args.documents, args.broker, args.postgres, work)
                print(f"round {round_number + 1}: {processes} process(es) {seconds:.1f} s, "
                      f"worker CPU {cpu / args.documents:.3f} s/document "
                      f"(load average before: {load:.2f})")  # fmt: skip
                best[processes] = min(seconds, best.get(processes, seconds))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(ROW.format("processes", "documents", "seconds", "docs/min", "speed-up"))
    first = args.documents / best[args.processes[0]]
    for processes in args.processes:
        rate = args.documents / best[processes]
        print(ROW.format(processes, args.documents, f"{best[processes]:.1f}",
                         f"{rate * 60:.0f}", f"{rate / first:.2f}x"))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
