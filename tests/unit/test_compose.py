"""docker-compose.yml and the Dockerfile, checked against the code (Docker cannot run here).

What would only show at deployment: a GONGKAI_* variable the settings do not read (a typo
silently ignored), a worker command Celery would not find, Flower reachable from outside,
an inbox that is not the host's, folders the worker and the watcher do not share.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from worker import settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return compose["services"]


def _volumes(service: dict[str, Any]) -> dict[str, str]:
    """Container path → host path or volume name."""
    return {volume.split(":")[1]: volume.split(":")[0] for volume in service.get("volumes", [])}


def test_the_services_are_all_there(services: dict[str, dict[str, Any]]) -> None:
    assert {"redis", "postgres", "worker", "watcher", "flower", "api"} <= services.keys()


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
        name: re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(value))  # compose's defaults
        for name, value in services["worker"]["environment"].items()
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
