"""docker-compose.yml and the Dockerfile, checked against the code (Docker cannot run here).

What would only show at deployment: a GONGKAI_* variable the settings do not read (a typo
silently ignored), a worker command Celery would not find, Flower reachable from outside,
an inbox that is not the host's, folders the worker and the watcher do not share, a
secret with a default, services that start before the database's tables exist, health
checks that cannot tell a wedged process, a worker without a memory limit, and secrets or
data that end up in git or in the image.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from worker import settings
from worker.cli import build_parser
from worker.spool import Folders
from worker.watch import Watcher

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return compose["services"]


def _interpolated(value: str) -> str:
    """What compose makes of `${NAME:-default}` (the default) and `${NAME:?message}` (the
    value the operator must set; a stand-in here)."""
    value = re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)
    return re.sub(r"\$\{\w+:\?[^}]*\}", "set-in-env", value)


def _volumes(service: dict[str, Any]) -> dict[str, str]:
    """Container path → host path or volume name."""
    return {volume.split(":")[1]: volume.split(":")[0] for volume in service.get("volumes", [])}


def test_the_services_are_all_there(services: dict[str, dict[str, Any]]) -> None:
    assert {"redis", "postgres", "migrate", "worker", "watcher", "flower", "api"} <= services.keys()


def test_every_gongkai_variable_is_one_the_settings_read(
    services: dict[str, dict[str, Any]],
) -> None:
    used = {
        name
        for service in services.values()
        for name in service.get("environment", {})
        if name.startswith("GONGKAI_")
    }
    assert used and used <= set(settings.VARIABLES)
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert set(re.findall(r"\b(GONGKAI_\w+)=", dockerfile)) <= set(settings.VARIABLES)


def test_the_values_are_valid_settings(services: dict[str, dict[str, Any]]) -> None:
    environment = {
        name: _interpolated(str(value)) for name, value in services["worker"]["environment"].items()
    }
    loaded = settings.load(environment)
    assert loaded.broker_url == "redis://redis:6379/0" and not loaded.embedded
    assert loaded.database_url.startswith("postgresql+psycopg://")
    assert loaded.concurrency == 2


def test_worker_watcher_and_flower_run_the_code(services: dict[str, dict[str, Any]]) -> None:
    assert services["worker"]["command"][:4] == ["celery", "-A", "worker", "worker"]
    assert services["watcher"]["command"] == ["gongkai", "watch", "/inbox"]
    assert services["flower"]["command"][:4] == ["celery", "-A", "worker", "flower"]
    assert "GONGKAI_CONCURRENCY" in services["worker"]["environment"]


def test_worker_and_watcher_share_the_data_dir_and_the_inbox_is_the_hosts(
    services: dict[str, dict[str, Any]],
) -> None:
    worker, watcher = services["worker"], services["watcher"]
    data_dir = worker["environment"]["GONGKAI_DATA_DIR"]
    assert watcher["environment"]["GONGKAI_DATA_DIR"] == data_dir
    assert _volumes(worker)[data_dir] == _volumes(watcher)[data_dir]
    assert _volumes(watcher)["/inbox"].startswith(("./", "/"))  # a host folder, not a volume
    assert "/inbox" not in _volumes(worker)  # the worker only sees the spool


def test_flower_is_behind_basic_auth_on_localhost_only(
    services: dict[str, dict[str, Any]],
) -> None:
    flower = services["flower"]
    assert flower["environment"]["FLOWER_BASIC_AUTH"].startswith("${FLOWER_BASIC_AUTH:?")
    assert flower["ports"] and all(port.startswith("127.0.0.1:") for port in flower["ports"])
    published = [name for name, service in services.items() if service.get("ports")]
    assert sorted(published) == ["api", "flower"]


def test_the_api_needs_a_token_shares_the_data_and_listens_on_localhost(
    services: dict[str, dict[str, Any]],
) -> None:
    api, worker = services["api"], services["worker"]
    assert api["command"][:2] == ["gongkai", "serve"]
    assert api["environment"]["GONGKAI_API_TOKEN"].startswith("${GONGKAI_API_TOKEN:?")
    assert api["ports"] and all(port.startswith("127.0.0.1:") for port in api["ports"])
    data_dir = api["environment"]["GONGKAI_DATA_DIR"]
    assert _volumes(api)[data_dir] == _volumes(worker)[worker["environment"]["GONGKAI_DATA_DIR"]]
    assert api["environment"]["GONGKAI_BROKER_URL"] == worker["environment"]["GONGKAI_BROKER_URL"]


def test_redis_keeps_the_queue_on_disk(services: dict[str, dict[str, Any]]) -> None:
    command = services["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"


def test_the_image_has_tesseract_and_does_not_run_as_root() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "tesseract-ocr tesseract-ocr-chi-sim" in dockerfile
    users = re.findall(r"^USER (\S+)", dockerfile, flags=re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r'^CMD \["celery", "-A", "worker", "worker"', dockerfile, re.MULTILINE)


def test_no_secret_has_a_default() -> None:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    uses = re.findall(r"\$\{(POSTGRES_PASSWORD|FLOWER_BASIC_AUTH|GONGKAI_API_TOKEN)(:.)", text)
    assert {name for name, _ in uses} == {
        "POSTGRES_PASSWORD",
        "FLOWER_BASIC_AUTH",
        "GONGKAI_API_TOKEN",
    }
    assert all(kind == ":?" for _, kind in uses)  # required: compose refuses to start without
    assert re.findall(r"\$\{GONGKAI_WEBHOOK_SECRET:-([^}]*)\}", text) == [""]  # optional, empty


def test_the_password_reaches_postgres_and_the_database_url(
    services: dict[str, dict[str, Any]],
) -> None:
    password = services["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert password.startswith("${POSTGRES_PASSWORD:?")
    assert (
        f"gongkai:{password}@postgres:" in services["worker"]["environment"]["GONGKAI_DATABASE_URL"]
    )


def test_migrate_runs_once_and_the_database_users_wait_for_it(
    services: dict[str, dict[str, Any]],
) -> None:
    migrate = services["migrate"]
    assert migrate["command"] == ["gongkai", "db", "upgrade"]
    from worker.cli.services import run_db_upgrade

    assert build_parser().parse_args(migrate["command"][1:]).run is run_db_upgrade
    assert migrate["restart"] == "no"  # a one-shot: done once it has exited 0
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    url = services["worker"]["environment"]["GONGKAI_DATABASE_URL"]
    assert migrate["environment"]["GONGKAI_DATABASE_URL"] == url
    for name in ("worker", "watcher", "api"):
        waits = services[name]["depends_on"]
        assert waits["migrate"] == {"condition": "service_completed_successfully"}, name
        assert waits["postgres"] == {"condition": "service_healthy"}, name
    assert "migrate" not in services["flower"]["depends_on"]  # the broker is all it needs


def test_the_worker_pings_its_own_node(services: dict[str, dict[str, Any]]) -> None:
    test = services["worker"]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    assert test[1].startswith("celery -A worker inspect ping --destination celery@$$HOSTNAME ")
    check = services["worker"]["healthcheck"]
    assert _seconds(check["timeout"]) < _seconds(check["interval"])


def test_the_watchers_health_check_reads_the_heartbeat_the_watcher_touches(
    services: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    watcher = services["watcher"]
    beat = Path(tmp_path / "alive")
    configured = watcher["environment"]["GONGKAI_WATCH_HEARTBEAT"]
    assert settings.load({"GONGKAI_WATCH_HEARTBEAT": configured}).watch_heartbeat == Path(
        configured
    )
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    queued: list[Path] = []
    Watcher(
        inbox, Folders(tmp_path / "data"), queued.append, lambda _: True, 0.05, 0, heartbeat=beat
    ).run(threading.Event(), once=True)
    assert beat.exists()

    def check() -> int:
        test = watcher["healthcheck"]["test"]
        assert test[:2] == ["CMD", "python"]
        environment = {**os.environ, "GONGKAI_WATCH_HEARTBEAT": str(beat)}
        return subprocess.run([sys.executable, *test[2:]], env=environment).returncode

    assert check() == 0
    os.utime(beat, (time.time() - 600, time.time() - 600))  # a loop stuck for ten minutes
    assert check() != 0
    beat.unlink()
    assert check() != 0


def test_flower_answers_its_health_check_without_the_basic_auth(
    services: dict[str, dict[str, Any]],
) -> None:
    test = services["flower"]["healthcheck"]["test"]
    assert test[:2] == ["CMD", "python"] and "http://127.0.0.1:5555/healthcheck" in test[-1]
    from flower.views.monitor import Healthcheck
    from flower.views.workers import WorkersView

    assert hasattr(WorkersView.get, "__wrapped__")  # what tornado's @authenticated leaves
    assert not hasattr(Healthcheck.get, "__wrapped__")


def test_the_worker_has_a_memory_limit_above_its_processes(
    services: dict[str, dict[str, Any]],
) -> None:
    worker = services["worker"]
    limit = _interpolated(worker["mem_limit"])
    assert re.fullmatch(r"\d+g", limit), limit
    processes = int(_interpolated(worker["environment"]["GONGKAI_CONCURRENCY"]))
    replaced_above = settings.load({}).max_memory_mb / 1024  # GB, per pool process
    assert int(limit[:-1]) >= processes * replaced_above + 1  # and the main process, Tesseract


def test_secrets_and_data_stay_out_of_git_and_the_image() -> None:
    gitignore = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert {".env", "/data/", "/inbox/"} <= set(gitignore)
    assert "data/" not in gitignore  # unanchored, it would drop tests/data from git
    dockerignore = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert {".env", "data", "inbox"} <= set(dockerignore)
    if shutil.which("git") and (ROOT / ".git").exists():
        ignored = subprocess.run(
            ["git", "-C", str(ROOT), "check-ignore", "--no-index", "--stdin"],
            input="data/processed/a.pdf\ninbox/b.pdf\n.env\ntests/data/devset/dev-01.pdf\n",
            capture_output=True,
            encoding="utf-8",
        ).stdout.splitlines()
        assert ignored == ["data/processed/a.pdf", "inbox/b.pdf", ".env"]


def test_the_readme_says_compose_v2() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "Compose v2" in readme
    assert not re.search(r"docker-compose (up|down|exec|run|ps|logs|build)\b", readme)


def _seconds(duration: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([sm])", duration).groups()  # type: ignore[union-attr]
    return int(number) * (60 if unit == "m" else 1)
