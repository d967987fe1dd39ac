"""The commands that use the store, the queue or the API: watch, results, jobs, serve,
export, bag.  They import the worker's extras only when run."""

from __future__ import annotations

import argparse
import signal
import sys
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from extract.errors import CorruptFile, ExitCode, GongkaiError
from worker.cli.parse import dumps, exit_code
from worker.errors import Unavailable
from worker.files import UNKNOWN_AGENCY, UNKNOWN_YEAR, open_atomically

if TYPE_CHECKING:
    from worker.settings import Settings
    from worker.store import Stored

EXTRAS = {
    **dict.fromkeys(("celery", "kombu", "sqlalchemy", "psycopg", "openpyxl", "bagit"), "worker"),
    **dict.fromkeys(("alembic", "mako"), "worker"),
    **dict.fromkeys(("httpx", "flower"), "worker"),
    **dict.fromkeys(("fastapi", "starlette", "uvicorn", "multipart"), "api"),
}
"""The top-level modules of the extras, and the extra that installs each."""


def _uses_services(
    command: Callable[[argparse.Namespace, Settings], int],
) -> Callable[[argparse.Namespace], int]:
    """For the commands that need the database or the broker: their failures, a bad
    GONGKAI_* setting and a missing extra are one line on stderr and an exit code, like a
    file's."""

    def run(args: argparse.Namespace) -> int:
        try:
            return _reporting_unavailable(command, args)
        except GongkaiError as exc:
            print(f"gongkai: {' '.join(exc.message.split())}", file=sys.stderr, flush=True)
            return exc.exit_code
        except ModuleNotFoundError as exc:
            extra = EXTRAS.get((exc.name or "").partition(".")[0])
            if extra is None:
                raise
            print(
                f"gongkai: this command needs the {extra} extra ({exc.name} is not installed): "
                f"pip install 'gongkai[{extra}]'",
                file=sys.stderr,
                flush=True,
            )
            return ExitCode.missing_dependency

    return run


def _reporting_unavailable(
    command: Callable[[argparse.Namespace, Settings], int], args: argparse.Namespace
) -> int:
    """`command(args, settings)` under the settings read here, once, with a database that
    cannot be used as Unavailable."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    from worker.db import display_url
    from worker.settings import load

    settings = load()
    try:
        return command(args, settings)
    except (OperationalError, InterfaceError) as exc:
        if args.debug:
            raise
        reason = str(exc.orig or exc).strip().splitlines()[0]
        where = display_url(settings.database_url)
        raise Unavailable(f"cannot use the database {where}: {reason}") from exc


@_uses_services
def run_watch(args: argparse.Namespace, settings: Settings) -> int:
    import logging
    import threading

    from kombu.utils.url import maybe_sanitize_url

    from worker.watch import build

    _log_to_stderr()
    logging.getLogger("celery.app.trace").setLevel(logging.WARNING)  # tasks.enqueue says less
    watcher = build(args.inbox, settings)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    mode = (
        "embedded mode (no GONGKAI_BROKER_URL): processing here"
        if settings.embedded
        else f"queueing to {maybe_sanitize_url(settings.broker_url)}"
    )
    logging.getLogger("worker.watch").info(
        "watching %s, %s; files move on to %s", watcher.inbox, mode, settings.data_dir
    )
    unsent = watcher.run(stop, once=args.once)
    if unsent:
        raise Unavailable(
            f"{len(unsent)} file(s) wait in the spool unqueued: the broker could not be "
            "reached; a later `gongkai watch` queues them"
        )
    return ExitCode.ok


@_uses_services
def run_results_list(args: argparse.Namespace, settings: Settings) -> int:
    from worker import store

    low, high = (args.year, args.year) if args.year is not None else (args.year_from, args.year_to)
    selection = store.Selection(args.agency, low, high, args.status, args.all_versions)
    found = store.of(settings).listing(selection)
    if args.json:
        _print_json_array(version.as_json() for version in found)
    else:
        for version in found:
            print(_version_line(version, with_key=True))
    return ExitCode.ok


@_uses_services
def run_results_show(args: argparse.Namespace, settings: Settings) -> int:
    from worker import store
    from worker.crossyear import served, served_document

    found = store.of(settings)
    if args.sha is not None:
        if args.agency is not None or args.version is not None:
            return _usage("results show: AGENCY YEAR [--version N], or --sha SHA256 alone")
        print(dumps(served_document(found, found.sha_of(args.sha)), pretty=True))
        return ExitCode.ok
    if args.agency is None or args.year is None:
        return _usage("results show: AGENCY YEAR [--version N], or --sha SHA256")
    print(dumps(served(found, args.agency, args.year, args.version), pretty=True))
    return ExitCode.ok


@_uses_services
def run_results_history(args: argparse.Namespace, settings: Settings) -> int:
    from worker import store

    found = store.of(settings)
    if args.sha is not None:
        if args.agency is not None:
            return _usage("results history: AGENCY YEAR, or --sha SHA256 alone")
        versions = found.record(found.sha_of(args.sha))
    elif args.agency is None or args.year is None:
        return _usage("results history: AGENCY YEAR, or --sha SHA256")
    else:
        versions = found.history(args.agency, args.year)
    if args.json:
        print(dumps([version.as_json() for version in versions], pretty=True))
    else:
        for version in versions:
            print(_version_line(version, with_key=False, with_parser=True))
    return ExitCode.ok


@_uses_services
def run_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from worker import migrations
    from worker.db import display_url

    before, after = migrations.upgrade(settings.database_url)
    where = display_url(settings.database_url)
    if before == after:
        print(f"{where}: at revision {after} (head), nothing to do")
    else:
        print(f"{where}: upgraded from revision {before or 'none'} to {after} (head)")
    return ExitCode.ok


@_uses_services
def run_jobs(args: argparse.Namespace, settings: Settings) -> int:
    from worker import ledger

    if args.state and args.state not in ledger.STATES:
        print(f"gongkai: --state: one of {', '.join(ledger.STATES)}", file=sys.stderr)
        return ExitCode.usage
    found = ledger.of(settings).jobs(args.state, args.sha256, args.limit or None)
    if args.json:
        print(dumps([job.as_json() for job in found], pretty=True))
        return ExitCode.ok
    rows: list[tuple[str, ...]] = [
        ("UPDATED", "STATE", "PROGRESS", "YEAR", "VERSION", "AGENCY", "FILE", "ERROR")
    ]
    for job in found:
        stage = job.stage if job.state == "progress" and job.stage else ""
        if stage and job.pages:
            stage += f" {job.page}/{job.pages}"
        ended = job.state in ledger.FINAL
        rows.append(
            (
                job.updated_at.isoformat(timespec="seconds"),
                job.state,
                stage,
                "" if job.year is None or not ended else str(job.year),
                "" if job.version is None or not ended else f"v{job.version}",
                (job.agency or "") if ended else "",
                job.filename or "",
                f"{job.error_kind}: {job.error_message}" if job.error_kind else "",
            )
        )
    _print_table(rows)
    return ExitCode.ok


@_uses_services
def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    from worker.api import serve

    _log_to_stderr()
    serve(args.host, args.port, settings)
    return ExitCode.ok


@_uses_services
def run_export(args: argparse.Namespace, settings: Settings) -> int:
    """Written as the reports are read, to stdout or to a temporary sibling of --out that
    takes its name once complete; memory holds a batch of reports, not all of them."""
    from worker import exports, store

    selection = exports.select(args.agency, args.year_from, args.year_to, args.status)
    found = exports.items(store.of(settings), selection)
    if args.out is None:
        exports.write(args.format, found, sys.stdout.buffer, args.headers, args.bom)
        sys.stdout.flush()
    else:
        with open_atomically(args.out) as output:
            exports.write(args.format, found, output, args.headers, args.bom)
    return ExitCode.ok


@_uses_services
def run_bag(args: argparse.Namespace, settings: Settings) -> int:
    from worker import bags, exports, store

    found = store.of(settings)
    if args.all:
        if len(args.targets) != 1 or args.version:
            return _usage("bag --all: one DIR, and the selection as options (no --version)")
        selection = exports.select(args.agency, args.year_from, args.year_to, args.status)
        selected = list(found.listing(selection))
    elif len(args.targets) != 3 or args.agency or args.year_from or args.year_to:
        return _usage("bag: AGENCY YEAR DIR, or --all DIR with --agency/--year-from/--year-to")
    else:
        agency, year, _ = args.targets
        selected = [found.version(agency, year, args.version)]
    target = Path(args.targets[-1])
    failures: list[ExitCode] = []
    for stored in selected:
        try:
            made = bags.make(found, settings.data_dir, stored, target)
        except CorruptFile as exc:  # an existing bag that fails validation: the others go on
            print(f"gongkai: {' '.join(exc.message.split())}", file=sys.stderr, flush=True)
            failures.append(exc.exit_code)
            continue
        print(made if made is not None else f"{target / bags.bag_name(stored)} (exists)")
    return exit_code(failures)


def _log_to_stderr() -> None:
    """INFO lines of the long-running commands; Alembic's set-up chatter (the schema is
    checked on first use of the database) is left out."""
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _print_table(rows: list[tuple[str, ...]]) -> None:
    """Columns as wide as their widest cell on screen (a Chinese character takes two)."""
    widths = [max(_width(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        cells = [
            cell + " " * (width - _width(cell)) for cell, width in zip(row, widths, strict=True)
        ]
        print("  ".join(cells).rstrip())


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _usage(message: str) -> int:
    print(f"gongkai: {message}", file=sys.stderr)
    return ExitCode.usage


def _version_line(version: Stored, with_key: bool, with_parser: bool = False) -> str:
    """One stored document, the free-text columns (agency, file name) last; an unidentified
    one shows its whole SHA-256, which is how it is addressed (`results show --sha`)."""
    when = version.created_at.isoformat(timespec="seconds")
    number = f"v{version.version}" if version.identified else "-"
    sha = version.sha256 if not version.identified else version.sha256[:12]
    columns = [f"{number:<4}", when, f"{version.status:<12}", f"{version.method:<5}"]
    if with_parser:
        parser = "?" if version.parser_version is None else str(version.parser_version)
        columns.append(f"parser {parser:<3}  gongkai {version.gongkai_version or '?':<8}")
        columns.append(f"{version.origin:<11}")
    columns.append(sha)
    if with_key:
        year = UNKNOWN_YEAR if version.year is None else version.year
        columns += [f"{year!s:<12}", version.agency or UNKNOWN_AGENCY]
    return "  ".join([*columns, version.filename])


def _print_json_array(items: Iterable[dict[str, Any]]) -> None:
    """The JSON array `dumps(list(items), pretty=True)` would print, printed an item at a
    time as the store hands them out."""
    separator = "[\n  "
    for item in items:
        print(separator + dumps(item, pretty=True).replace("\n", "\n  "), end="")
        separator = ",\n  "
    print("[]" if separator.startswith("[") else "\n]")
