"""What the store keeps and hands out, on SQLite (embedded) and on real PostgreSQL alike:
reports in the order `gongkai parse` wrote them, unidentified documents as records of their
own, agencies whose names hold `/` or `\\`, refused NUL bytes, and racing writers."""

from __future__ import annotations

import csv
import hashlib
import json
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

from embedded import gongkai_ok, store_of, watch_once
from live import start_api
from paths import DEVSET

from tests.unit.report_texts import APPS, apps_table
from worker.errors import StoreConflict
from worker.status import UNIDENTIFIED

AGENCY = "长沙市市场监督管理局"


def test_served_reports_keep_the_order_gongkai_parse_wrote(
    env: dict[str, str], tmp_path: Path
) -> None:
    pdf = DEVSET / "dev-01.pdf"
    parsed = gongkai_ok(env, "parse", pdf).stdout
    watch_once(env, tmp_path / "inbox", {"dev-01.pdf": pdf.read_bytes()})

    assert gongkai_ok(env, "results", "show", AGENCY, 2021).stdout == parsed  # byte for byte
    sha256 = hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert gongkai_ok(env, "results", "show", "--sha", sha256).stdout == parsed
    assert gongkai_ok(env, "results", "show", "--sha", sha256[:12]).stdout == parsed  # as listed

    bags = tmp_path / "bags"
    bag = Path(gongkai_ok(env, "bag", AGENCY, 2021, bags).stdout.decode().strip())
    assert (bag / "data" / "objects" / "report.json").read_bytes() == parsed
    report = json.loads(parsed)
    with (bag / "data" / "objects" / "tables" / "applications.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [row["row"] for row in rows] == list(report["applications"])  # as printed
    assert list(rows[0])[2:] == list(report["applications"]["new_received"])

    api = start_api(tmp_path, **{k: v for k, v in env.items() if k.startswith("GONGKAI_")})
    try:
        for path in (f"/documents/{sha256}", f"/reports/{quote(AGENCY)}/2021"):
            served = api.client.get(path)
            assert served.status_code == 200, served.text
            text = json.dumps(served.json(), ensure_ascii=False, indent=2) + "\n"
            assert text.encode() == parsed, path
    finally:
        api.stop()


def _fragment(granted: int) -> bytes:
    """Table 三 alone: no title, so neither agency nor year can be read."""
    apps = {**APPS, "granted": (granted, 3, 1, 1, 1, 1, granted + 7)}
    return ("三、收到和处理政府信息公开申请情况\n" + apps_table(apps)).encode()


def test_two_unidentified_files_stay_two_records(env: dict[str, str], tmp_path: Path) -> None:
    files = {"excerpt-a.txt": _fragment(20), "excerpt-b.txt": _fragment(21)}
    watch_once(env, tmp_path / "inbox", files)

    listed = json.loads(
        gongkai_ok(env, "results", "list", "--status", UNIDENTIFIED, "--json").stdout
    )
    assert sorted(item["filename"] for item in listed) == sorted(files)
    assert all(item["version"] is None and item["agency"] is None for item in listed)
    assert len(json.loads(gongkai_ok(env, "results", "list", "--json").stdout)) == 2
    for item in listed:
        name = item["filename"]
        assert item["sha256"] == hashlib.sha256(files[name]).hexdigest()
        shown = json.loads(gongkai_ok(env, "results", "show", "--sha", item["sha256"]).stdout)
        assert shown["source"]["sha256"] == item["sha256"]
        history = gongkai_ok(env, "results", "history", "--sha", item["sha256"], "--json").stdout
        assert [version["sha256"] for version in json.loads(history)] == [item["sha256"]]


def _report(agency: str, year: int, sha: str) -> dict[str, Any]:
    return {
        "agency": agency,
        "year": year,
        "checks": [],
        "review": {"status": "complete", "reasons": []},
        "source": {"filename": "r.pdf", "sha256": sha, "pages": 1, "method": "text"},
    }


def test_agencies_with_slashes_are_addressable_and_nul_is_refused(
    env: dict[str, str], tmp_path: Path
) -> None:
    store = store_of(env)
    names = {"a" * 64: "某市/某局", "b" * 64: "某市\\某局", "c" * 64: "某市某局"}
    for sha, agency in names.items():
        store.save(_report(agency, 2021, sha), filename="r.pdf", original="o", timings={})
    api = start_api(tmp_path, **{k: v for k, v in env.items() if k.startswith("GONGKAI_")})
    try:
        for sha, agency in names.items():
            page = api.client.get("/reports", params={"agency": agency}).json()
            assert page["total"] == 1, agency
            (item,) = page["items"]
            assert item["url"] == f"/documents/{sha}"
            assert api.client.get(item["url"]).json()["agency"] == agency
            assert api.client.get(f"{item['url']}/history").json() == [item]
        backslash = quote(names["b" * 64], safe="")
        by_name = api.client.get(f"/reports/{backslash}/2021")
        assert by_name.status_code == 200 and by_name.json()["agency"] == "某市\\某局"
        for path in ("/reports", "/exports/reports.csv"):
            answer = api.client.get(path, params={"agency": "某市\x00"})
            assert answer.status_code == 422, (path, answer.text)
            assert answer.json()["error"] == "invalid_request"
    finally:
        api.stop()


def test_racing_writers_of_one_report_get_versions_or_a_transient_conflict(
    env: dict[str, str],
) -> None:
    """Eight writers of one (agency, year) at once: each either stores its own version or
    gets StoreConflict, which the task retries (worker.tasks.TRANSIENT); retried until done,
    they hold versions 1–8 and one latest."""
    store = store_of(env)
    start = threading.Barrier(8)
    conflicts: list[StoreConflict] = []
    errors: list[BaseException] = []

    def write(number: int) -> None:
        start.wait()
        report = _report("某市某局", 2021, f"{number:064x}")
        while True:
            try:
                store.save(report, filename=f"{number}.pdf", original="o", timings={})
                return
            except StoreConflict as exc:
                conflicts.append(exc)
            except Exception as exc:  # reported below
                errors.append(exc)
                return

    writers = [threading.Thread(target=write, args=(number,)) for number in range(8)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=120)
    assert errors == []
    versions = store.history("某市某局", 2021)
    assert sorted(version.version or 0 for version in versions) == list(range(1, 9))
    assert len({version.sha256 for version in versions}) == 8
    latest = list(store.listing())
    assert [(item.version, item.sha256) for item in latest] == [(8, versions[-1].sha256)]
