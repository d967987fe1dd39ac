"""The `gongkai` subcommands and their options; each names the function that runs it."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from extract.version import PARSER_VERSION
from worker.cli.parse import run_parse
from worker.cli.reprocess import run_reprocess
from worker.cli.services import (
    run_bag,
    run_db_upgrade,
    run_export,
    run_jobs,
    run_results_history,
    run_results_list,
    run_results_show,
    run_serve,
    run_watch,
)
from worker.cli.users import run_users_add, run_users_list, run_users_remove
from worker.exports import FORMATS
from worker.status import STATUSES


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
        help="write DIR/<agency>/<year>.json for each file and print the written paths; a "
        "file there holding another document is kept, the report written beside it",
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
    parse.set_defaults(run=run_parse)
    _add_worker_commands(commands, common)
    _add_users_commands(commands, common)
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
    watch.set_defaults(run=run_watch)

    results = commands.add_parser("results", help="list and print the stored reports")
    which = results.add_subparsers(title="commands", metavar="COMMAND", required=True)
    listing = which.add_parser(
        "list",
        parents=[common, _selection_options()],
        help="the latest version of each stored report, and the unidentified documents",
        description="One line per report (agency and year): its latest version, or every "
        "version; and one per unidentified document (agency or year not read: status "
        "unidentified, addressed by its SHA-256).",
    )
    listing.add_argument("--year", type=int, help="only reports of this year")
    listing.add_argument("--all-versions", action="store_true", help="every version")
    listing.add_argument("--json", action="store_true", help="a JSON array of objects")
    listing.set_defaults(run=run_results_list)
    key = argparse.ArgumentParser(add_help=False, parents=[common])
    key.add_argument("agency", nargs="?", metavar="AGENCY", help="as stored")
    key.add_argument("year", nargs="?", type=int, metavar="YEAR", help="e.g. 2021")
    key.add_argument(
        "--sha",
        metavar="SHA256",
        help="the document of these bytes instead (unidentified too); its first 8 or more "
        "hex digits do when no other document starts so",
    )
    show = which.add_parser(
        "show",
        parents=[key],
        usage="gongkai results show AGENCY YEAR [--version N] | --sha SHA256",
        help="print a stored report's JSON (the latest version)",
    )
    show.add_argument("--version", type=int, metavar="N", help="version N instead of the latest")
    show.set_defaults(run=run_results_show)
    history = which.add_parser(
        "history",
        parents=[key],
        usage="gongkai results history AGENCY YEAR | --sha SHA256 [--json]",
        help="every stored version of one report, oldest first, with the versions that read it",
    )
    history.add_argument("--json", action="store_true", help="a JSON array of objects")
    history.set_defaults(run=run_results_history)

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
    jobs.set_defaults(run=run_jobs)

    database = commands.add_parser("db", help="the database's schema (migrations)")
    database_commands = database.add_subparsers(title="commands", metavar="COMMAND", required=True)
    upgrade = database_commands.add_parser(
        "upgrade",
        parents=[common],
        help="bring the database of GONGKAI_DATABASE_URL to the newest schema",
        description="Run the schema migrations the database has not had, keeping its data; "
        "exits 0 when it is already up to date.  Every command also does this on first use.",
    )
    upgrade.set_defaults(run=run_db_upgrade)

    reprocess = commands.add_parser(
        "reprocess",
        parents=[common],
        help="parse stored originals again with this parser; store what changed",
        usage="gongkai reprocess [--agency TEXT] [--year N] [--older-than V] [--all]\n"
        "       gongkai reprocess --run ID",
        description="Parse the stored original of each current document again (the latest "
        "version of each report, every unidentified document) and store a new version only "
        "where the result differs, carrying reviewers' corrections forward; then list what "
        "changed.  With GONGKAI_BROKER_URL the workers do it.  Exit code 1 when a document "
        "could not be parsed again (its stored versions stay).",
    )
    reprocess.add_argument("--agency", metavar="TEXT", help="only agencies whose name contains it")
    reprocess.add_argument("--year", type=int, metavar="N", help="only reports of year N")
    reprocess.add_argument(
        "--older-than",
        type=int,
        metavar="V",
        help=f"only documents a parser older than version V wrote (this one: {PARSER_VERSION})",
    )
    reprocess.add_argument("--all", action="store_true", help="every current document")
    reprocess.add_argument(
        "--run", dest="run_id", metavar="ID", help="the summary of an earlier run"
    )
    reprocess.add_argument(
        "--no-wait", action="store_true", help="with a broker: queue the run and exit"
    )
    reprocess.add_argument("--json", action="store_true", help="the summary as JSON")
    reprocess.set_defaults(run=run_reprocess)
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
    serve.set_defaults(run=run_serve)

    selection = _selection_options()

    export = commands.add_parser(
        "export",
        parents=[common, selection],
        help="the latest version of each stored report as CSV, XLSX or JSON Lines",
        description="CSV and XLSX: one row per report, one column per contract cell "
        "(applications/granted/total…).  JSON Lines: the reports as `results show` prints them.",
    )
    export.add_argument("format", choices=list(FORMATS))
    export.add_argument("--out", type=Path, metavar="FILE", help="write FILE, not stdout")
    export.add_argument(
        "--headers", choices=["en", "zh"], default="en", help="column names: paths or 中文 labels"
    )
    export.add_argument("--bom", action="store_true", help="CSV: start with a UTF-8 BOM (Excel)")
    export.set_defaults(run=run_export)

    bag = commands.add_parser(
        "bag",
        parents=[common, selection],
        help="BagIt packages (original, JSON, CSV tables, Dublin Core) for archives",
        usage="gongkai bag AGENCY YEAR DIR [--version N]\n"
        "       gongkai bag --all DIR [--agency TEXT] [--year-from N] [--year-to N]",
        description="Write one bag per stored version into DIR, named "
        "<agency>_<year>_v<version>; a bag that exists already is left alone if it validates, "
        "and reported (exit code 4) if it does not.",
    )
    bag.add_argument("targets", nargs="+", metavar="AGENCY YEAR DIR | DIR")
    bag.add_argument("--all", action="store_true", help="the latest version of every report")
    bag.add_argument("--version", type=int, metavar="N", help="version N instead of the latest")
    bag.set_defaults(run=run_bag)


def _selection_options() -> argparse.ArgumentParser:
    """Which documents a listing, an export or `bag --all` takes."""
    selection = argparse.ArgumentParser(add_help=False)
    selection.add_argument("--agency", metavar="TEXT", help="only agencies whose name contains it")
    selection.add_argument("--year-from", type=int, metavar="N", help="only years from N on")
    selection.add_argument("--year-to", type=int, metavar="N", help="only years up to N")
    selection.add_argument(
        "--status",
        choices=STATUSES,
        help="only this review verdict, or the unidentified documents",
    )
    return selection


def _add_users_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    users = commands.add_parser(
        "users",
        help="the people who log in to the review desk with a password of their own",
        description="A user logs in to the desk with their name and password, and their "
        "name is recorded on their corrections.  The API token keeps working beside them.",
    )
    which = users.add_subparsers(title="commands", metavar="COMMAND", required=True)
    add = which.add_parser(
        "add",
        parents=[common],
        help="add a user; the password (12 characters at least) is typed twice on the "
        "terminal, or read from the first line of stdin with --password-stdin",
    )
    add.add_argument("name", metavar="NAME", help="as recorded on their corrections")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin's first line"
    )
    add.set_defaults(run=run_users_add)
    listing = which.add_parser("list", parents=[common], help="the users, by name")
    listing.set_defaults(run=run_users_list)
    remove = which.add_parser(
        "remove", parents=[common], help="remove a user; their sessions end at their next page"
    )
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(run=run_users_remove)


class _VersionAction(argparse.Action):
    """`--version`, looking the version up only when asked (importlib.metadata is slow)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        from importlib.metadata import version

        print(f"gongkai {version('gongkai')}")
        parser.exit()
