"""worker.settings: defaults, validation, and the documentation that must list every variable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from extract.errors import ExitCode
from worker import settings
from worker.errors import InvalidSetting

ROOT = Path(__file__).resolve().parents[2]


def test_no_broker_means_embedded_mode_with_sqlite_under_the_data_dir(tmp_path: Path) -> None:
    loaded = settings.load({"GONGKAI_DATA_DIR": str(tmp_path)})
    assert loaded.embedded and loaded.broker_url is None and loaded.result_backend is None
    assert loaded.database_url == f"sqlite:///{tmp_path / 'gongkai.sqlite3'}"
    assert loaded.data_dir == tmp_path


def test_data_dir_defaults_to_the_xdg_data_home(tmp_path: Path) -> None:
    assert settings.load({"XDG_DATA_HOME": str(tmp_path)}).data_dir == tmp_path / "gongkai"


def test_a_broker_is_also_the_result_backend_unless_one_is_named() -> None:
    loaded = settings.load({"GONGKAI_BROKER_URL": "redis://queue:6379/0"})
    assert not loaded.embedded and loaded.result_backend == "redis://queue:6379/0"
    named = {"GONGKAI_BROKER_URL": "redis://q/0", "GONGKAI_RESULT_BACKEND": "redis://r/1"}
    assert settings.load(named).result_backend == "redis://r/1"


def test_time_limits_keep_the_visibility_timeout_above_the_hard_limit() -> None:
    loaded = settings.load({"GONGKAI_SOFT_TIME_LIMIT": "100"})
    assert loaded.soft_time_limit < loaded.time_limit < loaded.visibility_timeout
    assert loaded.max_backoff < loaded.visibility_timeout
    with pytest.raises(InvalidSetting, match="GONGKAI_VISIBILITY_TIMEOUT=50 must exceed"):
        settings.load(
            {
                "GONGKAI_SOFT_TIME_LIMIT": "30",
                "GONGKAI_TIME_LIMIT": "60",
                "GONGKAI_VISIBILITY_TIMEOUT": "50",
            }
        )
    with pytest.raises(InvalidSetting, match="GONGKAI_TIME_LIMIT=10 must exceed"):
        settings.load({"GONGKAI_SOFT_TIME_LIMIT": "10", "GONGKAI_TIME_LIMIT": "10"})


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("GONGKAI_CONCURRENCY", "two", "GONGKAI_CONCURRENCY='two' is not a whole number"),
        ("GONGKAI_MAX_MEMORY_MB", "0", "GONGKAI_MAX_MEMORY_MB='0' must be at least 1"),
        ("GONGKAI_WATCH_SETTLE", "-1", "GONGKAI_WATCH_SETTLE='-1' must be at least 0"),
        ("GONGKAI_MAX_DEPTH", "5000", "GONGKAI_MAX_DEPTH='5000' must be at most 512"),
    ],
)
def test_a_bad_value_names_its_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(InvalidSetting) as caught:
        settings.load({name: value})
    assert caught.value.message == message
    assert caught.value.exit_code == ExitCode.usage


def test_blank_values_are_unset() -> None:
    loaded = settings.load({"GONGKAI_BROKER_URL": "  ", "GONGKAI_CONCURRENCY": ""})
    assert loaded.embedded and loaded.concurrency is None


def test_every_variable_is_documented_in_settings_and_readme() -> None:
    assert all(settings.VARIABLES.values())
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = set(re.findall(r"^\| `(GONGKAI_\w+)` \|", readme, flags=re.MULTILINE))
    assert set(settings.VARIABLES) <= table


def test_the_readers_get_their_limits_from_the_settings(tmp_path: Path) -> None:
    loaded = settings.load(
        {"GONGKAI_MAX_FILE_MB": "2", "GONGKAI_OCR_TIMEOUT": "7.5", "GONGKAI_TESSERACT": "/t"}
    )
    options = loaded.read_options(ocr_jobs=3)
    assert options.max_file_bytes == 2 * 1024 * 1024 and options.ocr_page_timeout == 7.5
    assert options.tesseract == "/t" and options.jobs == 3
    assert settings.load({"GONGKAI_OCR_JOBS": "1"}).read_options(ocr_jobs=3).jobs == 1


def test_the_markup_limits_reach_the_readers() -> None:
    limits = {
        "GONGKAI_MAX_MARKUP_MB": "4",
        "GONGKAI_MAX_ELEMENTS": "5000",
        "GONGKAI_MAX_DEPTH": "64",
    }
    options = settings.load(limits).read_options()
    assert (options.max_markup_bytes, options.max_elements, options.max_depth) == (
        4 * 1024 * 1024,
        5000,
        64,
    )
    defaults = settings.load({}).read_options()
    assert (defaults.max_markup_bytes, defaults.max_elements, defaults.max_depth) == (
        16 * 1024 * 1024,
        200_000,
        256,
    )


def test_only_the_settings_read_the_environment() -> None:
    """The edge builds the settings once and passes them in; the post-process hook hands
    its own environment on to the command it starts."""
    readers = {
        path.relative_to(ROOT).as_posix()
        for package in ("extract", "schemas", "worker")
        for path in (ROOT / package).rglob("*.py")
        if re.search(r"os\.environ|getenv\(", path.read_text(encoding="utf-8"))
    }
    assert readers == {"worker/settings.py", "worker/postprocess.py"}
