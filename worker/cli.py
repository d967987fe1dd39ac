"""The `gongkai` command line.

Each subcommand is a function taking the parsed arguments and returning an exit code, so
later commands (watch, results, jobs) slot in beside `parse`.  Problems with an input file
are one line on stderr and an exit code from `extract.errors.ExitCode`, never a traceback:
scripts tell a corrupt file from a scan by the code alone.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from extract.errors import ExitCode, GongkaiError, Unavailable
from worker.files import UNKNOWN_AGENCY, UNKNOWN_YEAR, safe_component, write_atomically


def main(argv: Sequence[str] | None = None) -> int:
    """Run `gongkai` and return its exit code (the console script's entry point)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else ExitCode.usage
    command: Callable[[argparse.Namespace], int] = args.run
    try:
        return command(args)
    except BrokenPipeError:
        # The reader went away (`gongkai parse … | head`): stop quietly, like a tool killed
        # by SIGPIPE, and keep Python's final flush from raising again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        help="let unexpected errors propagate with their traceback",
    )

    parser = argparse.ArgumentParser(
        prog="gongkai",
        description="Parse 政府信息公开工作年度报告 into JSON following the gongkai contract.",
    )
    parser.add_argument("--version", action=_VersionAction)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    parse = commands.add_parser(
        "parse",
        parents=[common],
        help="parse report files and print or write their JSON",
        description=(
            "Parse each FILE into one JSON report.  One file: a pretty JSON document on "
            "stdout.  Several files: JSON Lines, one compact document per line, in argument "
            "order.  A file that fails is reported on stderr and the others still run."
        ),
    )
    parse.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parse.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="write DIR/<agency>/<year>.json for each file and print the written paths",
    )
    layout = parse.add_mutually_exclusive_group()
    layout.add_argument(
        "--pretty",
        dest="pretty",
        action="store_true",
        default=None,
        help="indented JSON (default for one file on stdout and for --out files)",
    )
    layout.add_argument(
        "--compact",
        dest="pretty",
        action="store_false",
        default=None,
        help="one line per document (default for several files on stdout)",
    )
    parse.add_argument(
        "--jobs",
        type=_positive_int,
        metavar="N",
        help="pages of a scan OCR'd at once, one Tesseract process each (default: "
        "GONGKAI_OCR_JOBS, else the number of cores)",
    )
    parse.set_defaults(run=_run_parse)
    _add_worker_commands(commands, common)
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def _add_worker_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    watch = commands.add_parser(
        "watch",
        parents=[common],
        help="take the files dropped into a folder and queue them for the worker",
        description=(
            "Watch INBOX: each file whose size and mtime have settled is moved into the spool "
            "under GONGKAI_DATA_DIR and queued; the worker then moves it to processed/<agency>/"
            "<year>/ or failed/ (with <name>.error.json).  With no GONGKAI_BROKER_URL the files "
            "are processed in this process."
        ),
    )
    watch.add_argument("inbox", type=Path, metavar="INBOX")
    watch.add_argument(
        "--once",
        action="store_true",
        help="take what INBOX holds now, then exit (embedded mode: once it is processed)",
    )
    watch.set_defaults(run=_run_watch)

    results = commands.add_parser("results", help="list and print the stored reports")
    which = results.add_subparsers(title="commands", metavar="COMMAND", required=True)
    listing = which.add_parser(
        "list",
        parents=[common],
        help="the latest version of each stored report",
        description="One line per (agency, year): its latest version, or every version.",
    )
    listing.add_argument("--agency", metavar="TEXT", help="only agencies whose name contains TEXT")
    listing.add_argument("--year", type=int, help="only reports of this year")
    listing.add_argument("--all-versions", action="store_true", help="every version")
    listing.add_argument("--json", action="store_true", help="a JSON array of objects")
    listing.set_defaults(run=_run_results_list)
    key = argparse.ArgumentParser(add_help=False, parents=[common])
    key.add_argument("agency", metavar="AGENCY", help=f"as stored; {UNKNOWN_AGENCY} if unread")
    key.add_argument("year", metavar="YEAR", help=f"e.g. 2021; {UNKNOWN_YEAR} if unread")
    show = which.add_parser(
        "show", parents=[key], help="print a stored report's JSON (the latest version)"
    )
    show.add_argument("--version", type=int, metavar="N", help="version N instead of the latest")
    show.set_defaults(run=_run_results_show)
    history = which.add_parser(
        "history", parents=[key], help="every stored version of one report, oldest first"
    )
    history.add_argument("--json", action="store_true", help="a JSON array of objects")
    history.set_defaults(run=_run_results_history)

    jobs = commands.add_parser(
        "jobs",
        parents=[common],
        help="the job ledger: what was queued, is running, succeeded or failed",
        description="The most recently updated jobs first.",
    )
    jobs.add_argument(
        "--state",
        metavar="STATE",
        help="spooled, queued, started, progress, retrying, succeeded or failed",
    )
    jobs.add_argument("--sha256", metavar="PREFIX", help="only files whose SHA-256 starts so")
    jobs.add_argument("--limit", type=int, default=50, metavar="N", help="at most N (0: all)")
    jobs.add_argument("--json", action="store_true", help="a JSON array of objects")
    jobs.set_defaults(run=_run_jobs)
    _add_archive_commands(commands, common)


def _add_archive_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    serve = commands.add_parser(
        "serve",
        parents=[common],
        help="run the HTTP API (uploads, jobs, reports, exports; OpenAPI at /openapi.json)",
        description="Serve the HTTP API with uvicorn.  Beyond loopback it needs "
        "GONGKAI_API_TOKEN, and refuses to start without one.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (8000)")
    serve.set_defaults(run=_run_serve)

    selection = argparse.ArgumentParser(add_help=False)
    selection.add_argument("--agency", metavar="TEXT", help="only agencies whose name contains it")
    selection.add_argument("--year-from", type=int, metavar="N", help="only years from N on")
    selection.add_argument("--year-to", type=int, metavar="N", help="only years up to N")

    export = commands.add_parser(
        "export",
        parents=[common, selection],
        help="the latest version of each stored report as CSV, XLSX or JSON Lines",
        description="CSV and XLSX: one row per report, one column per contract cell "
        "(applications/granted/total…).  JSON Lines: the reports as `results show` prints them.",
    )
    export.add_argument("format", choices=["csv", "xlsx", "jsonl"])
    export.add_argument("--out", type=Path, metavar="FILE", help="write FILE, not stdout")
    export.add_argument(
        "--headers", choices=["en", "zh"], default="en", help="column names: paths or 中文 labels"
    )
    export.add_argument("--bom", action="store_true", help="CSV: start with a UTF-8 BOM (Excel)")
    export.set_defaults(run=_run_export)

    bag = commands.add_parser(
        "bag",
        parents=[common, selection],
        help="BagIt packages (original, JSON, CSV tables, Dublin Core) for archives",
        usage="gongkai bag AGENCY YEAR DIR [--version N]\n"
        "       gongkai bag --all DIR [--agency TEXT] [--year-from N] [--year-to N]",
        description="Write one bag per stored version into DIR, named "
        "<agency>_<year>_v<version>; a bag that exists already is left alone.",
    )
    bag.add_argument("targets", nargs="+", metavar="AGENCY YEAR DIR | DIR")
    bag.add_argument("--all", action="store_true", help="the latest version of every report")
    bag.add_argument("--version", type=int, metavar="N", help="version N instead of the latest")
    bag.set_defaults(run=_run_bag)


class _VersionAction(argparse.Action):
    """`--version`, looking the version up only when asked (importlib.metadata is slow)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        from importlib.metadata import version

        print(f"gongkai {version('gongkai')}")
        parser.exit()


def _run_parse(args: argparse.Namespace) -> int:
    from worker.pipeline import process_file  # the heavy imports only for this command

    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(encoding="utf-8")  # JSON is UTF-8 whatever the locale says
    pretty = args.pretty
    if pretty is None:
        pretty = len(args.files) == 1 or args.out is not None
    failures: list[ExitCode] = []
    for path in args.files:
        try:
            report = process_file(path, jobs=args.jobs)
            if args.out is None:
                line = _dumps(report, pretty)
            else:
                target = output_path(args.out, report)
                write_atomically(target, (_dumps(report, pretty) + "\n").encode())
                line = str(target)
        except GongkaiError as exc:
            _report_failure(path, exc.message)
            failures.append(exc.exit_code)
            continue
        except Exception as exc:
            if args.debug:
                raise
            detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            _report_failure(path, f"internal error: {detail}")
            failures.append(ExitCode.internal)
            continue
        print(line, flush=True)
    return exit_code(failures)


def _uses_services(command: Callable[[argparse.Namespace], int]) -> Callable[..., int]:
    """For the commands that need the database or the broker: their failures, and a bad
    GONGKAI_* setting, are one line on stderr and an exit code, like a file's."""

    def run(args: argparse.Namespace) -> int:
        from sqlalchemy.exc import InterfaceError, OperationalError

        from worker.db import display_url
        from worker.settings import current

        try:
            try:
                return command(args)
            except (OperationalError, InterfaceError) as exc:
                if args.debug:
                    raise
                reason = str(exc.orig or exc).strip().splitlines()[0]
                where = display_url(current().database_url)
                raise Unavailable(f"cannot use the database {where}: {reason}") from exc
        except GongkaiError as exc:
            print(f"gongkai: {' '.join(exc.message.split())}", file=sys.stderr, flush=True)
            return exc.exit_code

    return run


@_uses_services
def _run_watch(args: argparse.Namespace) -> int:
    import logging
    import threading

    from kombu.utils.url import maybe_sanitize_url

    from worker.settings import current
    from worker.watch import build

    settings = current()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
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
def _run_results_list(args: argparse.Namespace) -> int:
    from worker import store

    found = store.current().listing(args.agency, args.year, args.all_versions)
    if args.json:
        print(_dumps([version.as_json() for version in found], pretty=True))
    else:
        for version in found:
            print(_version_line(version, with_key=True))
    return ExitCode.ok


@_uses_services
def _run_results_show(args: argparse.Namespace) -> int:
    from worker import store
    from worker.crossyear import served

    print(_dumps(served(store.current(), args.agency, args.year, args.version), pretty=True))
    return ExitCode.ok


@_uses_services
def _run_results_history(args: argparse.Namespace) -> int:
    from worker import store

    versions = store.current().history(args.agency, args.year)
    if args.json:
        print(_dumps([version.as_json() for version in versions], pretty=True))
    else:
        for version in versions:
            print(_version_line(version, with_key=False))
    return ExitCode.ok


@_uses_services
def _run_jobs(args: argparse.Namespace) -> int:
    from worker import ledger

    if args.state and args.state not in ledger.STATES:
        print(f"gongkai: --state: one of {', '.join(ledger.STATES)}", file=sys.stderr)
        return ExitCode.usage
    found = ledger.current().jobs(args.state, args.sha256, args.limit or None)
    if args.json:
        print(_dumps([job.as_json() for job in found], pretty=True))
        return ExitCode.ok
    for job in found:
        stage = job.stage if job.state == "progress" else ""
        if stage and job.pages:
            stage += f" {job.page}/{job.pages}"
        error = f"{job.error_kind}: {job.error_message}" if job.error_kind else ""
        when = job.updated_at.isoformat(timespec="seconds")
        print(f"{when}  {job.state:<9}  {stage:<14}  {job.filename}  {error}".rstrip())
    return ExitCode.ok


@_uses_services
def _run_serve(args: argparse.Namespace) -> int:
    import logging

    from worker.api import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    serve(args.host, args.port)
    return ExitCode.ok


@_uses_services
def _run_export(args: argparse.Namespace) -> int:
    from worker import exports, store

    found = store.current()
    selected = exports.select(found, args.agency, args.year_from, args.year_to)
    output = io.BytesIO()
    exports.write(args.format, exports.items(found, selected), output, args.headers, args.bom)
    if args.out is None:
        sys.stdout.buffer.write(output.getvalue())
        sys.stdout.flush()
    else:
        write_atomically(args.out, output.getvalue())
    return ExitCode.ok


@_uses_services
def _run_bag(args: argparse.Namespace) -> int:
    from worker import bags, exports, store
    from worker.settings import current

    found = store.current()
    if args.all:
        if len(args.targets) != 1 or args.version:
            return _usage("bag --all: one DIR, and the selection as options (no --version)")
        selected = exports.select(found, args.agency, args.year_from, args.year_to)
    elif len(args.targets) != 3 or args.agency or args.year_from or args.year_to:
        return _usage("bag: AGENCY YEAR DIR, or --all DIR with --agency/--year-from/--year-to")
    else:
        agency, year, _ = args.targets
        selected = [found.version(agency, year, args.version)]
    target = Path(args.targets[-1])
    for stored in selected:
        made = bags.make(found, current().data_dir, stored, target)
        print(made if made is not None else f"{target / bags.bag_name(stored)} (exists)")
    return ExitCode.ok


def _usage(message: str) -> int:
    print(f"gongkai: {message}", file=sys.stderr)
    return ExitCode.usage


def _version_line(version: Any, with_key: bool) -> str:
    """One stored version, the free-text columns (agency, file name) last."""
    when = version.created_at.isoformat(timespec="seconds")
    key = ""
    if with_key:
        year = UNKNOWN_YEAR if version.year is None else version.year
        key = f"{year!s:<12}  {version.agency or UNKNOWN_AGENCY}  "
    return (
        f"v{version.version:<3}  {when}  {version.method:<5}  {version.sha256[:12]}  "
        f"{key}{version.filename}"
    )


def exit_code(failures: Iterable[ExitCode]) -> int:
    """0 when nothing failed, the shared code when every failure is of one kind, else 1."""
    kinds = set(failures)
    if not kinds:
        return ExitCode.ok
    return kinds.pop() if len(kinds) == 1 else ExitCode.several_kinds


def output_path(out: Path, report: Mapping[str, Any]) -> Path:
    """`out/<agency>/<year>.json`, the agency made safe as one path component."""
    agency = safe_component(report.get("agency") or "") or UNKNOWN_AGENCY
    year = report.get("year")
    return out / agency / f"{UNKNOWN_YEAR if year is None else year}.json"


def _dumps(report: Any, pretty: bool) -> str:
    if pretty:
        return json.dumps(report, ensure_ascii=False, indent=2)
    return json.dumps(report, ensure_ascii=False, separators=(",", ":"))


def _report_failure(path: Path, message: str) -> None:
    one_line = " ".join(message.split())
    print(f"gongkai: {path}: {one_line}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
