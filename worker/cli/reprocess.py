"""`gongkai reprocess`: parse stored originals again with this parser, and say what changed.

Embedded, the documents are parsed here one after another; with a broker, one task per
document goes to the workers and the command waits for them (or, with --no-wait, prints
the run's id for `gongkai reprocess --run ID` or `GET /reprocess/{id}` to follow).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, Any

from extract.errors import ExitCode
from worker.cli.parse import dumps
from worker.cli.services import _usage, _uses_services

if TYPE_CHECKING:
    from worker.settings import Settings

POLL = 1.0  # seconds between two looks at a run the workers are doing
TELL_EVERY = 10.0  # seconds between two lines on stderr saying how far it is
_SHOWN_CHANGES = 6  # changes listed per document in the text summary


@_uses_services
def run_reprocess(args: argparse.Namespace, settings: Settings) -> int:
    from worker import reprocess_runs, store

    runs = reprocess_runs.Runs(settings.data_dir)
    selected = args.agency is not None or args.year is not None or args.older_than is not None
    if args.run_id is not None and (selected or args.all):
        return _usage("reprocess: --run ID looks at an earlier run; it takes no selection")
    if args.run_id is None and args.no_wait and settings.embedded:
        return _usage("reprocess: --no-wait needs GONGKAI_BROKER_URL (embedded, it runs here)")
    if args.run_id is None:
        wanted = reprocess_runs.Wanted(args.agency, args.year, args.older_than, args.all)
        found = store.of(settings)
        run, documents = runs.create(found, wanted, here=settings.embedded)
        if settings.embedded:
            reprocess_runs.run_here(settings, found, run, documents)
        else:
            from worker.tasks import queue_reprocessing

            queue_reprocessing(run, documents)
            if args.no_wait:
                print(f"reprocess run {run}: {len(documents)} document(s) queued")
                return ExitCode.ok
    else:
        run = args.run_id
    summary = runs.summary(run)
    told = time.monotonic()
    while summary["state"] == "running" and not args.no_wait:
        time.sleep(POLL)
        summary = runs.summary(run)
        if time.monotonic() - told >= TELL_EVERY:  # the workers may be busy, or away
            told = time.monotonic()
            print(
                f"reprocess run {run}: {summary['done']} of {summary['total']} done, waiting "
                "for the workers (Ctrl-C leaves them at it; --run ID looks again)",
                file=sys.stderr,
                flush=True,
            )
    if args.json:
        print(dumps(summary, pretty=True))
    else:
        _print_summary(summary)
    if summary["state"] == "interrupted":
        print(
            f"gongkai: reprocess run {run} was interrupted before its end: run the same "
            "selection again (what it changed is unchanged now)",
            file=sys.stderr,
        )
        return ExitCode.several_kinds
    return ExitCode.several_kinds if summary["failed"] else ExitCode.ok


def _print_summary(summary: dict[str, Any]) -> None:
    print(
        f"reprocess run {summary['id']}: {summary['done']} of {summary['total']} document(s) "
        f"done, {summary['changed']} changed, {summary['unchanged']} unchanged, "
        f"{summary['failed']} failed"
        + ("" if summary["state"] == "finished" else f" ({summary['state']})")
    )
    for outcome in summary["documents"]:
        if outcome["result"] == "unchanged":
            continue
        known = outcome["agency"] is not None and outcome["year"] is not None
        where = f"{outcome['agency']} {outcome['year']}" if known else "unidentified"
        if outcome["result"] == "failed":
            print(f"  failed   {where}  {outcome['filename']}: {outcome['error']}")
            continue
        version = f" v{outcome['version']}" if known else ""
        print(f"  changed  {where}{version}  {outcome['filename']}  {outcome['sha256']}")
        changes = outcome["changes"]
        for change in changes[:_SHOWN_CHANGES]:
            print(f"           {change['path']}: {change['old']} → {change['new']}")
        if len(changes) > _SHOWN_CHANGES:
            print(f"           … and {len(changes) - _SHOWN_CHANGES} more (--json lists all)")
        if outcome["other_changes"]:
            print(f"           also changed: {', '.join(outcome['other_changes'])}")
        for path in outcome["conflicts"]:
            print(f"           conflict with a reviewer's correction: {path}")
    sys.stdout.flush()
