"""The one typed settings object, read once from GONGKAI_* variables at the edge.

The CLI, a worker process and the API each call `load()` once and pass the result in;
nothing else reads the environment (the readers get `read_options()`).  Every field is one
variable (`GONGKAI_` + its name in capitals) and its description is the documentation: the
README's table and the docker-compose test are checked against `VARIABLES`.  A bad value
stops the process with a message naming the variable instead of surfacing later as a
confusing Celery or SQLAlchemy error (the paperless-ngx model).
"""

from __future__ import annotations

import functools
import os
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Self
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from extract.options import MEGABYTE, ReadOptions
from worker.errors import InvalidSetting

PREFIX = "GONGKAI_"


def _absolute(path: Path) -> Path:
    return path.expanduser().absolute()


def _words(value: Any) -> Any:
    """A command line split as a shell would, never run by one."""
    if not isinstance(value, str):
        return value
    try:
        return tuple(shlex.split(value))
    except ValueError as exc:
        raise ValueError(str(exc)) from None


def _urls(value: Any) -> Any:
    """Comma-separated http(s) URLs."""
    if not isinstance(value, str):
        return value
    urls = tuple(url.strip() for url in value.split(",") if url.strip())
    for url in urls:
        parsed = urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"{url!r} is not an http(s) URL")
    return urls


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=PREFIX, frozen=True, extra="ignore", env_ignore_empty=True
    )

    xdg_data_home: Path = Field(
        default_factory=lambda: Path.home() / ".local" / "share",
        validation_alias="XDG_DATA_HOME",
        exclude=True,
    )
    data_dir: Annotated[Path, AfterValidator(_absolute)] = Field(
        default_factory=lambda given: given["xdg_data_home"] / "gongkai",
        description="spool/, processed/, failed/, originals/ and the SQLite file; the watcher "
        "and the workers must see it at the same path; default: $XDG_DATA_HOME/gongkai, i.e. "
        "~/.local/share/gongkai",
    )
    database_url: str = Field(
        default_factory=lambda given: f"sqlite:///{given['data_dir'] / 'gongkai.sqlite3'}",
        description="result store and job ledger (SQLAlchemy URL, e.g. "
        "postgresql+psycopg://user:pw@host/db); default: SQLite file DATA_DIR/gongkai.sqlite3",
    )
    broker_url: str | None = Field(
        None,
        description="Celery broker (redis://host:6379/0); unset: embedded mode, tasks run in "
        "the calling process",
    )
    result_backend: str | None = Field(
        default_factory=lambda given: given["broker_url"],
        description="where task states and progress are kept for Flower and AsyncResult; "
        "default: the broker URL",
    )
    concurrency: Annotated[int | None, AfterValidator(lambda jobs: jobs or None)] = Field(
        None,
        ge=0,
        description="worker processes per `celery worker` (its -c overrides); default: the "
        "number of cores",
    )
    soft_time_limit: int = Field(
        600,
        ge=1,
        description="seconds one document may take; past it the file fails with "
        "limit_exceeded (default 600)",
    )
    time_limit: int = Field(
        default_factory=lambda given: given["soft_time_limit"] + 60,
        ge=1,
        description="hard limit in seconds: the process is killed (default soft + 60)",
    )
    visibility_timeout: int = Field(
        default_factory=lambda given: given["time_limit"] + 300,
        ge=1,
        description="seconds before Redis hands an unacknowledged task to another worker; "
        "must exceed the hard limit (default hard + 300)",
    )
    max_memory_mb: int = Field(
        1024,
        ge=1,
        description="a worker process is replaced after a task that left it above this "
        "resident size (default 1024)",
    )
    max_retries: int = Field(
        5,
        ge=0,
        description="retries of a task whose worker process died (killed, out of memory, a "
        "crash) before its file goes to failed/; waits for the database, broker or disk spend "
        "none (default 5)",
    )
    watch_interval: float = Field(
        2.0, ge=0.05, description="seconds between two scans of the watched folder (default 2)"
    )
    watch_settle: float = Field(
        3.0,
        ge=0,
        description="seconds a file's size and mtime must stay unchanged before it is taken "
        "(default 3)",
    )
    watch_heartbeat: Path | None = Field(
        None,
        description="a file `gongkai watch` touches at every round of the inbox, for a health "
        "check to read its age (docker compose: /tmp/gongkai-watch.alive); in embedded mode "
        "it waits while a file is processed; unset: none",
    )
    test_task_delay: float = Field(
        0.0,
        ge=0,
        description="test hook: seconds each task sleeps before parsing, to kill a worker "
        "mid-task (default 0)",
    )
    api_token: str | None = Field(
        None,
        repr=False,
        description="bearer token the HTTP API (`gongkai serve`) requires on every endpoint "
        "but /health; beyond loopback at least 16 characters; unset: no authentication, and "
        "the API only listens on loopback",
    )
    max_upload_mb: float = Field(
        50.0,
        ge=0.001,
        description="largest file `POST /documents` accepts, in megabytes (default 50)",
    )
    webhook_urls: Annotated[tuple[str, ...], NoDecode, BeforeValidator(_urls)] = Field(
        (),
        description="comma-separated http(s) URLs that get a signed JSON event for every "
        "finished job (succeeded or failed)",
    )
    webhook_secret: str | None = Field(
        None,
        repr=False,
        description="HMAC-SHA256 key of the X-Gongkai-Signature header; required with "
        "GONGKAI_WEBHOOK_URLS",
    )
    post_process_command: Annotated[tuple[str, ...], NoDecode, BeforeValidator(_words)] = Field(
        (),
        description="command run after each stored report, as an argument list (split like a "
        "shell would, never run by one); it gets the result JSON's path as its last argument "
        "and GONGKAI_RESULT_PATH, GONGKAI_AGENCY, GONGKAI_YEAR, GONGKAI_VERSION, "
        "GONGKAI_SHA256 in its environment",
    )
    max_file_mb: float = Field(
        200.0, gt=0, description="largest input file read, in megabytes (default 200)"
    )
    max_pages: int = Field(
        300, ge=1, description="most pages of a PDF or a multi-page image (default 300)"
    )
    ocr_jobs: int | None = Field(
        None,
        ge=1,
        description="pages OCR'd at once (one single-threaded Tesseract each); default: the "
        "number of cores",
    )
    ocr_dpi: int = Field(
        300,
        ge=50,
        description="resolution for rendering PDF pages that are not one embedded scan "
        "(default 300)",
    )
    ocr_timeout: float = Field(
        120.0, gt=0, description="seconds one page's OCR may take (default 120)"
    )
    max_megapixels: float = Field(
        100.0,
        gt=0,
        description="largest page image decoded or rendered, checked before decoding (default 100)",
    )
    max_markup_mb: float = Field(
        16.0,
        gt=0,
        description="largest markup read, in megabytes: a web page, or the XML a Word .docx "
        "inflates to (its word/document.xml, by its declared size and by what is actually "
        "inflated); a .docx of 1 MB can inflate to gigabytes (default 16)",
    )
    max_elements: int = Field(
        200_000,
        ge=1000,
        description="most elements in a web page or a .docx's XML; each costs memory and may "
        "make a row, and a real report has some ten thousand (default 200000)",
    )
    max_depth: int = Field(
        256,
        ge=16,
        le=512,
        description="deepest nesting of elements in a web page or a .docx's XML (default 256, "
        "at most 512: the readers walk the tree recursively)",
    )
    tesseract: str = Field(
        "tesseract",
        description="the Tesseract binary to run (default `tesseract` on the PATH)",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only what `load` passes in: the variables are read once, from one mapping."""
        return (init_settings,)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        """Limits that only work together, and webhooks that are always signed."""
        if self.time_limit <= self.soft_time_limit:
            raise ValueError(
                f"GONGKAI_TIME_LIMIT={self.time_limit} must exceed "
                f"GONGKAI_SOFT_TIME_LIMIT={self.soft_time_limit}"
            )
        if self.visibility_timeout <= self.time_limit:
            raise ValueError(
                f"GONGKAI_VISIBILITY_TIMEOUT={self.visibility_timeout} must exceed "
                f"GONGKAI_TIME_LIMIT={self.time_limit}: otherwise Redis redelivers a task that "
                "is still running"
            )
        if self.webhook_urls and not self.webhook_secret:
            raise ValueError(
                "GONGKAI_WEBHOOK_URLS is set but GONGKAI_WEBHOOK_SECRET is not: events are "
                "always signed"
            )
        return self

    @property
    def embedded(self) -> bool:
        """No broker: the task functions run in the process that enqueues them."""
        return self.broker_url is None

    @property
    def max_backoff(self) -> int:
        """The longest retry delay: under the visibility timeout, or Redis would hand the
        waiting retry to a second worker."""
        return max(1, min(600, self.visibility_timeout // 2))

    def read_options(self, ocr_jobs: int | None = None) -> ReadOptions:
        """The readers' limits; `ocr_jobs` stands in when GONGKAI_OCR_JOBS is unset."""
        return ReadOptions(
            max_file_bytes=int(self.max_file_mb * MEGABYTE),
            max_pages=self.max_pages,
            ocr_jobs=self.ocr_jobs or ocr_jobs,
            ocr_dpi=self.ocr_dpi,
            ocr_page_timeout=self.ocr_timeout,
            max_pixels=int(self.max_megapixels * 1_000_000),
            max_markup_bytes=int(self.max_markup_mb * MEGABYTE),
            max_elements=self.max_elements,
            max_depth=self.max_depth,
            tesseract=self.tesseract,
        )


VARIABLES: dict[str, str] = {
    PREFIX + name.upper(): field.description
    for name, field in Settings.model_fields.items()
    if field.description
}
"""Every GONGKAI_* variable and what it does."""


class _Variables(EnvSettingsSource):
    """The GONGKAI_* variables (and XDG_DATA_HOME) of a given mapping, as pydantic-settings
    reads the environment."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._given = environ
        super().__init__(Settings)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {name.lower(): value for name, value in self._given.items() if value.strip()}


@functools.cache
def current() -> Settings:
    """This process's settings, read on first use by the edge that runs it."""
    return load()


def load(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from `environ` (default: the process environment); raises InvalidSetting."""
    values = _Variables(os.environ if environ is None else environ)()
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise InvalidSetting(_explain(exc, values)) from None


def _explain(error: ValidationError, values: Mapping[str, Any]) -> str:
    """The first problem as `VARIABLE=value …`, the way a person would look it up."""
    problem = error.errors()[0]
    if not problem["loc"]:
        return str(problem["msg"]).removeprefix("Value error, ")
    name = str(problem["loc"][0])
    variable = "XDG_DATA_HOME" if name == "xdg_data_home" else PREFIX + name.upper()
    shown = f"{variable}={values.get(name)!r}"
    kind, context = problem["type"], problem.get("ctx") or {}
    if kind == "int_parsing" or kind == "int_from_float":
        return f"{shown} is not a whole number"
    if kind == "float_parsing":
        return f"{shown} is not a number"
    if kind in ("greater_than_equal", "greater_than"):
        limit = context.get("ge", context.get("gt"))
        return f"{shown} must be {'at least' if kind.endswith('equal') else 'above'} {limit:g}"
    if kind == "less_than_equal":
        return f"{shown} must be at most {context['le']:g}"
    return f"{shown}: {str(problem['msg']).removeprefix('Value error, ')}"
