"""The post-process hook: GONGKAI_POST_PROCESS_COMMAND, run once per stored report.

The command is an argument list (split like a shell would split it, never given to one),
so nothing from a report (agency names, file names) can become shell syntax.  It gets the
report's JSON, as served, written to `results/<agency>/<year>/v<version>.json` under
GONGKAI_DATA_DIR (an unidentified document: `<sha256>.json`, GONGKAI_VERSION empty):
that path as its last argument and in GONGKAI_RESULT_PATH, and the report's
GONGKAI_AGENCY, GONGKAI_YEAR, GONGKAI_VERSION, GONGKAI_SHA256 and GONGKAI_JOB_ID
in its environment.  It runs with no input, at most TIMEOUT seconds; a failure is logged
(and, with a broker, recorded in the job ledger), never retried: the command may not be
safe to run twice.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from worker import store
from worker.crossyear import served_document
from worker.errors import DeliveryFailed
from worker.files import report_folder, write_atomically
from worker.settings import Settings

TIMEOUT = 300  # seconds
_OUTPUT_TAIL = 500  # characters of the command's output kept in the error
_SECRETS = frozenset({"GONGKAI_API_TOKEN", "GONGKAI_WEBHOOK_SECRET"})  # not the command's


def run(event: dict[str, Any], settings: Settings) -> Path:
    """Write the result JSON and run the command on it; raises DeliveryFailed."""
    stored = event["report"]
    agency, year = store.keys(stored["agency"], stored["year"])
    report = served_document(store.of(settings), stored["sha256"])
    folder = report_folder(settings.data_dir / "results", stored["agency"], stored["year"])
    identified = stored["version"] is not None
    path = folder / (f"v{stored['version']}.json" if identified else f"{stored['sha256']}.json")
    write_atomically(path, (json.dumps(report, ensure_ascii=False, indent=2) + "\n").encode())
    environment = {
        **{name: value for name, value in os.environ.items() if name not in _SECRETS},
        "GONGKAI_RESULT_PATH": str(path),
        "GONGKAI_AGENCY": agency,
        "GONGKAI_YEAR": year,
        "GONGKAI_VERSION": str(stored["version"]) if identified else "",
        "GONGKAI_SHA256": stored["sha256"],
        "GONGKAI_JOB_ID": event["job"]["id"],
    }
    command = [*settings.post_process_command, str(path)]
    try:
        done = subprocess.run(
            command,
            env=environment,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DeliveryFailed(f"post-process command {command[0]}: {exc}") from exc
    if done.returncode != 0:
        output = (done.stderr or done.stdout).decode(errors="replace")[-_OUTPUT_TAIL:]
        raise DeliveryFailed(
            f"post-process command {command[0]} exited with {done.returncode}: {output}"
        )
    return path
