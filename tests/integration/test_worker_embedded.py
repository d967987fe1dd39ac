"""Embedded mode as a user on one machine meets it: no broker, no database server.

`gongkai watch --once` processes the inbox in its own process into a SQLite store under
GONGKAI_DATA_DIR, and `gongkai results` / `gongkai jobs` read it back.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from live import LiveApi
from paths import SEED_TEXTS, TEXT_PDFS

from extract.errors import ExitCode

GONGKAI = Path(sys.executable).parent / "gongkai"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    base = {key: value for key, value in os.environ.items() if not key.startswith("GONGKAI_")}
    return {
        **base,
        "GONGKAI_DATA_DIR": str(tmp_path / "data"),
        "GONGKAI_WATCH_INTERVAL": "0.1",
        "GONGKAI_WATCH_SETTLE": "0.2",
    }


def gongkai(env: dict[str, str], *args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GONGKAI, *map(str, args)],
        env=env,
        capture_output=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


def test_watch_once_processes_the_inbox_in_process(
    tmp_path: Path, env: dict[str, str], devset: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    report = (devset / "dev-01.pdf").read_bytes()
    (inbox / "dev-01.pdf").write_bytes(report)
    (inbox / "again.pdf").write_bytes(report)  # the same bytes: no second version
    (inbox / "corrected.pdf").write_bytes(report + b"\n% corrected\n")  # a second version
    (inbox / "empty.pdf").write_bytes(b"")
    for kept in ("~$draft.docx", "upload.pdf.part", ".DS_Store"):
        (inbox / kept).write_bytes(b"not yet")

    watched = gongkai(env, "watch", "--once", inbox)
    assert watched.returncode == 0, watched.stderr
    assert "embedded mode" in watched.stderr

    data = tmp_path / "data"
    processed = sorted(
        p.name for p in (data / "processed" / "长沙市市场监督管理局" / "2021").iterdir()
    )
    assert processed == ["again.pdf", "corrected.pdf"]  # taken in name order
    assert sorted(p.name for p in (data / "duplicates").iterdir()) == [
        "dev-01.pdf",
        "dev-01.pdf.duplicate.json",
    ]
    assert sorted(p.name for p in (data / "failed").iterdir()) == [
        "empty.pdf",
        "empty.pdf.error.json",
    ]
    assert sorted(p.name for p in inbox.iterdir()) == [
        ".DS_Store",
        "upload.pdf.part",
        "~$draft.docx",
    ]
    assert (data / "gongkai.sqlite3").is_file()

    history = gongkai(env, "results", "history", "长沙市市场监督管理局", "2021", "--json")
    versions = json.loads(history.stdout)
    assert [v["version"] for v in versions] == [1, 2]
    shown = gongkai(env, "results", "show", "长沙市市场监督管理局", "2021")
    assert json.loads(shown.stdout)["source"]["sha256"] == versions[1]["sha256"]
    listed = gongkai(env, "results", "list", "--agency", "长沙")
    assert listed.returncode == 0 and "v2" in listed.stdout and "corrected.pdf" in listed.stdout

    jobs = {job["filename"]: job for job in json.loads(gongkai(env, "jobs", "--json").stdout)}
    assert {name: job["state"] for name, job in jobs.items()} == {
        "again.pdf": "succeeded",
        "corrected.pdf": "succeeded",
        "dev-01.pdf": "duplicate",
        "empty.pdf": "failed",
    }
    stored = {key: jobs["again.pdf"][key] for key in ("agency", "year", "version", "sha256")}
    duplicate = {key: jobs["dev-01.pdf"][key] for key in ("agency", "year", "version", "sha256")}
    assert duplicate == stored == {**stored, "version": 1}  # pointing at what it repeats
    failed = jobs["empty.pdf"]
    assert (failed["error_kind"], failed["exit_code"]) == ("empty_file", 6)

    header, *rows = gongkai(env, "jobs").stdout.splitlines()
    assert header.split() == ["UPDATED", "STATE", "PROGRESS", "YEAR", "VERSION", "AGENCY", "FILE",
                              "ERROR"]  # fmt: skip
    shown = {row.split()[-1]: row.split()[1:] for row in rows if "empty.pdf" not in row}
    assert shown["dev-01.pdf"] == ["duplicate", "2021", "v1", "长沙市市场监督管理局", "dev-01.pdf"]
    assert shown["corrected.pdf"] == ["succeeded", "2021", "v2", "长沙市市场监督管理局",
                                      "corrected.pdf"]  # fmt: skip


def test_results_commands_fail_with_one_line_and_their_code(env: dict[str, str]) -> None:
    missing = gongkai(env, "results", "show", "某市某局", "2021")
    assert missing.returncode == ExitCode.not_found
    assert missing.stderr == "gongkai: no stored report for 某市某局 2021 (any version)\n"

    unknown = gongkai(env, "jobs", "--state", "done")
    assert unknown.returncode == ExitCode.usage
    assert unknown.stderr.startswith("gongkai: --state: one of spooled, queued, started")

    bad = gongkai({**env, "GONGKAI_MAX_RETRIES": "many"}, "jobs")
    assert bad.returncode == ExitCode.usage
    assert bad.stderr == "gongkai: GONGKAI_MAX_RETRIES='many' is not a whole number\n"

    down = {**env, "GONGKAI_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    unreachable = gongkai(down, "results", "list")
    assert unreachable.returncode == ExitCode.unavailable
    assert unreachable.stderr.startswith(
        "gongkai: cannot use the database postgresql+psycopg://nobody@127.0.0.1:1/none: "
    )
    assert len(unreachable.stderr.splitlines()) == 1


def test_watch_once_with_the_broker_away_keeps_the_file_in_the_spool(
    tmp_path: Path, env: dict[str, str], devset: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "dev-01.pdf").write_bytes((devset / "dev-01.pdf").read_bytes())
    away = {**env, "GONGKAI_BROKER_URL": "redis://127.0.0.1:1/0"}  # nothing listens there

    watched = gongkai(away, "watch", "--once", inbox)

    assert watched.returncode == ExitCode.unavailable
    assert watched.stderr.splitlines()[-1] == (
        "gongkai: 1 file(s) wait in the spool unqueued: the broker could not be reached; "
        "a later `gongkai watch` queues them"
    )
    assert list(inbox.iterdir()) == []
    assert len(list((tmp_path / "data" / "spool").glob("*/dev-01.pdf"))) == 1
    (job,) = json.loads(gongkai(env, "jobs", "--json").stdout)
    assert (job["filename"], job["state"]) == ("dev-01.pdf", "spooled")


@pytest.fixture
def silent_database() -> Iterator[str]:
    """A PostgreSQL URL whose server accepts connections and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)  # the kernel completes the handshakes; nobody reads
        yield f"postgresql+psycopg://postgres@127.0.0.1:{listener.getsockname()[1]}/gongkai"


@pytest.mark.parametrize("command", [["jobs"], ["watch", "--once", "INBOX"]])
def test_a_database_that_never_answers_fails_the_command_instead_of_hanging(
    tmp_path: Path, env: dict[str, str], silent_database: str, command: list[str]
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    args = [str(inbox) if arg == "INBOX" else arg for arg in command]
    started = time.monotonic()

    done = gongkai({**env, "GONGKAI_DATABASE_URL": silent_database}, *args)

    assert time.monotonic() - started < 60
    assert done.returncode == ExitCode.unavailable
    assert done.stderr.startswith(f"gongkai: cannot use the database {silent_database}: ")
    assert len(done.stderr.splitlines()) == 1


def test_a_server_killed_with_uploads_in_flight_runs_them_when_it_starts_again(
    api_factory: Callable[..., LiveApi],
) -> None:
    api = api_factory(GONGKAI_TEST_TASK_DELAY="2")
    reports = [*TEXT_PDFS, *SEED_TEXTS][:6]
    jobs = [api.upload(path.name, path.read_bytes()).json()["job"] for path in reports]
    waiting = [job for job in jobs if api.client.get(f"/jobs/{job}").json()["state"] == "queued"]
    assert len(waiting) >= 3  # still in flight when the server dies
    api.process.kill()
    api.process.wait()

    again = api_factory()

    for job in jobs:
        assert again.finished(job)["state"] == "succeeded"
    assert [path for path in (again.data / "spool").rglob("*") if path.is_file()] == []
    assert len(list((again.data / "processed").rglob("*.*"))) == len(reports)
