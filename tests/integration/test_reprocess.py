"""`gongkai reprocess` and `POST /reprocess` in embedded mode, on SQLite and real PostgreSQL.

A parser change is simulated from the stored side: the stored results of some documents are
made to be what an older parser wrote (another number, no parser version), so parsing the
originals again with this parser gives something else for exactly those.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from embedded import as_if_an_older_parser_wrote, gongkai_ok, store_of, watch_once
from live import GONGKAI, WEBHOOK_SECRET, Receiver, start_api, verify, wait_until
from paths import DEVSET

from extract.version import PARSER_VERSION
from worker.corrections import correct
from worker.reprocess_runs import Runs, Wanted
from worker.store import Selection, Store

GRANTED = "applications/granted/total"


def _reprocess(env: dict[str, str], *args: str) -> dict[str, Any]:
    summary: dict[str, Any] = json.loads(gongkai_ok(env, "reprocess", *args, "--json").stdout)
    return summary


def _store_three(env: dict[str, str], tmp_path: Path) -> Store:
    files = {
        name: (DEVSET / name).read_bytes() for name in ("dev-01.pdf", "dev-02.pdf", "dev-03.pdf")
    }
    watch_once(env, tmp_path / "inbox", files)
    return store_of(env)


def test_reprocess_after_a_parser_change_stores_exactly_the_changed_reports(
    env: dict[str, str], tmp_path: Path
) -> None:
    store = _store_three(env, tmp_path)
    as_if_an_older_parser_wrote(env, "dev-01.pdf", **{GRANTED: 999})
    as_if_an_older_parser_wrote(env, "dev-02.pdf")  # an older parser that read the same

    summary = _reprocess(env, "--older-than", str(PARSER_VERSION))

    assert (summary["state"], summary["total"]) == ("finished", 2)
    assert (summary["changed"], summary["unchanged"], summary["failed"]) == (1, 1, 0)
    changed = next(item for item in summary["documents"] if item["result"] == "changed")
    assert changed["filename"] == "dev-01.pdf"
    assert changed["changes"] == [{"path": GRANTED, "old": 999, "new": 9}]
    history = store.record(changed["sha256"])
    assert [(v.version, v.origin, v.parser_version) for v in history] == [
        (1, "parsed", None),
        (2, "reprocessed", PARSER_VERSION),
    ]
    assert store.report_by_sha(changed["sha256"])["applications"]["granted"]["total"] == 9
    assert [len(store.record(v.sha256)) for v in store.listing()].count(1) == 2

    again = _reprocess(env, "--all")
    assert (again["total"], again["changed"], again["unchanged"]) == (3, 0, 3)
    assert len(list(store.listing(Selection(all_versions=True)))) == 4


def test_a_reviewers_correction_is_carried_forward_and_a_conflict_is_shown(
    env: dict[str, str], tmp_path: Path
) -> None:
    store = _store_three(env, tmp_path)
    sha = next(v.sha256 for v in store.listing() if v.filename == "dev-01.pdf")
    # The parser read 9; a reviewer made it 10 (as if it had read 7 then: a third value now).
    corrected = correct(store.report_by_sha(sha), GRANTED, "10", "张审核", note="核对原件")
    corrected["corrections"][0]["old"] = 7
    store.revise(sha, corrected, "corrected")

    summary = _reprocess(env, "--agency", "长沙")

    assert (summary["total"], summary["changed"]) == (1, 1)
    assert summary["documents"][0]["conflicts"] == [GRANTED]
    report = store.report_by_sha(sha)
    assert report["applications"]["granted"]["total"] == 10  # the reviewer's value stays
    assert report["corrections"][0] | {"parsed": 9} == report["corrections"][0]
    assert report["corrections"][0]["who"] == "张审核"
    assert report["review"]["status"] == "needs_review"
    assert {"reason": "correction_conflict", "paths": [GRANTED]} in report["review"]["reasons"]
    assert [v.origin for v in store.record(sha)] == ["parsed", "corrected", "reprocessed"]

    assert _reprocess(env, "--agency", "长沙")["changed"] == 0  # judged the same way again


@pytest.mark.parametrize("env", ["sqlite"], indirect=True)  # the backends differ nowhere here
@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        ((), "name an agency, a year or a parser version to be older than, or ask for all"),
        (("--agency", ""), "an empty agency names no agency"),
        (("--year", "1800"), "1800 is no year of a report"),
        (("--older-than", "0"), f"the parser versions are 1 to {PARSER_VERSION}"),
        (("--older-than", str(PARSER_VERSION + 1)), f"not {PARSER_VERSION + 1}"),
        (("--run", "20260101T000000-00000000", "--all"), "it takes no selection"),
        (("--all", "--no-wait"), "--no-wait needs GONGKAI_BROKER_URL"),
    ],
)
def test_reprocess_refuses_to_guess_what_to_take(
    env: dict[str, str], arguments: tuple[str, ...], said: str
) -> None:
    done = _run(env, *arguments)
    assert (done.returncode, done.stdout) == (2, "")
    assert said in done.stderr and len(done.stderr.splitlines()) == 1
    assert not (Path(env["GONGKAI_DATA_DIR"]) / "reprocess").exists() or not any(
        (Path(env["GONGKAI_DATA_DIR"]) / "reprocess").iterdir()
    )


def _run(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GONGKAI, "reprocess", *arguments], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("env", ["sqlite"], indirect=True)  # the backends differ nowhere here
def test_an_original_damaged_or_replaced_is_a_failed_outcome_not_a_crash(
    env: dict[str, str], tmp_path: Path
) -> None:
    store = _store_three(env, tmp_path)
    stored = next(v for v in store.listing() if v.filename == "dev-02.pdf")
    original = Path(env["GONGKAI_DATA_DIR"]) / stored.original
    original.write_bytes((DEVSET / "dev-06.pdf").read_bytes())  # another real report

    done = _run(env, "--all", "--json")

    assert done.returncode == 1, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["state"], summary["failed"], summary["unchanged"]) == ("finished", 1, 2)
    (failed,) = [item for item in summary["documents"] if item["result"] == "failed"]
    assert failed["filename"] == "dev-02.pdf" and "damaged or replaced" in failed["error"]
    assert len(store.record(stored.sha256)) == 1


def test_an_unchanged_document_is_not_taken_again_by_older_than(
    env: dict[str, str], tmp_path: Path
) -> None:
    store = _store_three(env, tmp_path)
    as_if_an_older_parser_wrote(env, "dev-03.pdf")  # an older parser that read the same

    assert _reprocess(env, "--older-than", str(PARSER_VERSION))["unchanged"] == 1
    assert _reprocess(env, "--older-than", str(PARSER_VERSION))["total"] == 0
    assert {v.parser_version for v in store.listing()} == {PARSER_VERSION}


@pytest.mark.parametrize("env", ["sqlite"], indirect=True)  # the backends differ nowhere here
def test_a_run_whose_process_is_gone_is_interrupted_not_running_for_ever(
    env: dict[str, str], tmp_path: Path
) -> None:
    store = _store_three(env, tmp_path)
    runs = Runs(Path(env["GONGKAI_DATA_DIR"]))
    run, _ = runs.create(store, Wanted(everything=True), here=True)
    record = runs.root / run / "run.json"
    ended = subprocess.Popen(["true"])
    ended.wait()
    taken = json.loads(record.read_text())
    taken["runner"]["pid"] = ended.pid  # as if that process had begun the run, then died
    record.write_text(json.dumps(taken))

    done = _run(env, "--run", run)

    assert done.returncode == 1
    assert "0 of 3 document(s) done" in done.stdout and "(interrupted)" in done.stdout
    assert "run the same selection again" in done.stderr


@pytest.mark.parametrize("env", ["sqlite"], indirect=True)  # the backends differ nowhere here
def test_a_change_besides_the_values_is_named(env: dict[str, str], tmp_path: Path) -> None:
    store = _store_three(env, tmp_path)
    sha = next(v.sha256 for v in store.listing() if v.filename == "dev-01.pdf")
    report = store.report_by_sha(sha)
    report["warnings"] = [*report.get("warnings", []), "an older parser's warning"]
    store.revise(sha, report, "reprocessed")

    done = _run(env, "--agency", "长沙")

    assert done.returncode == 0, done.stderr
    assert f"changed  长沙市市场监督管理局 2021 v3  dev-01.pdf  {sha}" in done.stdout
    assert "also changed: warnings" in done.stdout


def test_the_api_runs_a_reprocess_job_reports_what_changed_and_tells_the_webhooks(
    env: dict[str, str], tmp_path: Path, receiver: Receiver
) -> None:
    _store_three(env, tmp_path)
    as_if_an_older_parser_wrote(env, "dev-02.pdf", **{GRANTED: 1234})
    settings = {k: v for k, v in env.items() if k.startswith("GONGKAI_")}
    hooks = {"GONGKAI_WEBHOOK_URLS": receiver.url, "GONGKAI_WEBHOOK_SECRET": WEBHOOK_SECRET}
    api = start_api(tmp_path, **settings, **hooks)
    try:
        assert api.client.post("/reprocess", json={}).status_code == 400
        for unclear in ({"all": True, "agnecy": "长沙"}, {"all": "yes"}, {"year": 1800}):
            assert api.client.post("/reprocess", json=unclear).status_code == 422, unclear
        started = api.client.post("/reprocess", json={"older_than": PARSER_VERSION})
        assert started.status_code == 202, started.text
        run = started.json()
        assert (run["total"], started.headers["location"]) == (1, run["url"])

        def finished() -> dict[str, Any] | None:
            answer = api.client.get(run["url"]).json()
            return answer if answer["state"] == "finished" else None

        summary = wait_until(finished, 120, "the reprocess run")
        (outcome,) = summary["documents"]
        assert (summary["changed"], outcome["filename"]) == (1, "dev-02.pdf")
        assert outcome["changes"][0]["old"] == 1234
        assert api.client.get("/reprocess/20260101T000000-00000000").status_code == 404
        assert api.client.get("/reprocess/..%2F..%2Fetc").status_code in (404, 422)

        (delivery,) = wait_until(lambda: list(receiver.accepted), 30, "the revised event")
        event = json.loads(delivery["body"])
        assert verify(delivery)
        assert (event["type"], event["id"]) == ("report.revised", f"{outcome['sha256']}:revision-2")
        assert (event["report"]["version"], event["report"]["origin"]) == (2, "reprocessed")
        assert (
            api.client.get(event["report"]["url"]).json()["applications"]["granted"]["total"]
            != 1234
        )
    finally:
        api.stop()
