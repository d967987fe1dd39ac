"""What `pip install gongkai` gives: the parser and `gongkai parse`, none of the extras.

Installed from this checkout into a fresh virtual environment (pip's cache keeps the
second run short); the worker's commands then say which extra they need.
"""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from paths import DEVSET, ROOT

from extract.errors import ExitCode


@pytest.fixture(scope="module")
def plain_install(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with `pip install .` and no extras; its bin/ folder."""
    home = tmp_path_factory.mktemp("plain") / "venv"
    venv.create(home, with_pip=True)
    bin_dir = home / "bin"
    subprocess.run(
        [bin_dir / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check", ROOT],
        check=True,
        capture_output=True,
        timeout=900,
        cwd=home,  # not the checkout: the installed package must be what runs
    )
    return bin_dir


@pytest.mark.slow
def test_a_plain_install_parses_a_text_pdf(plain_install: Path) -> None:
    done = subprocess.run(
        [plain_install / "gongkai", "parse", DEVSET / "dev-01.pdf"],
        capture_output=True,
        encoding="utf-8",
        timeout=300,
        check=False,
        cwd=plain_install,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["review"]["status"] == "complete"


@pytest.mark.slow
@pytest.mark.parametrize("module", ["celery", "sqlalchemy", "fastapi", "flower", "psycopg"])
def test_a_plain_install_has_none_of_the_extras(plain_install: Path, module: str) -> None:
    done = subprocess.run(
        [plain_install / "python", "-c", f"import {module}"], capture_output=True, check=False
    )
    assert done.returncode != 0 and b"ModuleNotFoundError" in done.stderr


@pytest.mark.slow
def test_a_worker_command_without_its_extra_names_the_extra(
    plain_install: Path, tmp_path: Path
) -> None:
    done = subprocess.run(
        [plain_install / "gongkai", "results", "list"],
        capture_output=True,
        encoding="utf-8",
        timeout=120,
        check=False,
        env={"GONGKAI_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == ExitCode.missing_dependency
    assert done.stderr.strip() == (
        "gongkai: this command needs the worker extra (sqlalchemy is not installed): "
        "pip install 'gongkai[worker]'"
    )


def test_the_command_line_imports_none_of_the_extras_until_a_command_needs_them() -> None:
    heavy = ("celery", "kombu", "sqlalchemy", "fastapi", "openpyxl", "pdfplumber", "cv2")
    listing = "import json, sys, worker.cli; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", listing],
        capture_output=True,
        encoding="utf-8",
        check=True,
        cwd=ROOT,
    )
    loaded = set(json.loads(done.stdout))
    assert not loaded & set(heavy)
