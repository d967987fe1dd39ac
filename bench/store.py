"""The result store at archive scale: 20,000 stored reports in PostgreSQL.

    python bench/store.py [--reports 20000] [--first 5000] [--requests 200]

Makes a scratch PostgreSQL database (dropped at the end), and stores realistic reports
through `Store.save`, the worker's own path: the devset's text PDFs parsed once, then
copied with other agencies (4,000 names, a few with `/` in them), other years (2019–2024),
their numbers varied, a corrected version for one report in twenty and an unidentified
document (no agency or year) for one in fifty.  Then, against `gongkai serve` on a free
localhost port and the command line:

- `GET /reports` with filters, a page of 50 (p50/p95 of N requests each; target p95 ≤ 50 ms);
- `GET /reports/{agency}/{year}` and `GET /documents/{sha256}` (the report, rule 5 included);
- `gongkai results list` and `results list --json` (time, peak memory);
- `gongkai export csv` and `xlsx` of every report, after `--first` reports and after all
  of them (time, peak memory: memory must not grow with the number of reports; target for
  CSV of 20,000 ≤ 60 s), and `GET /exports/reports.csv` (time, the server's peak memory).

Peak memory is the process's maximum resident set (wait4), for the API its VmHWM.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import psycopg

from worker import db
from worker.pipeline import process_file
from worker.settings import load
from worker.store import Store

ROOT = Path(__file__).resolve().parents[1]
DEVSET = ROOT / "tests" / "data" / "devset"
BIN = Path(sys.executable).parent
PLACES = "北京 天津 上海 重庆 长沙 郑州 武汉 南京 杭州 合肥 福州 南昌 济南 广州 南宁 海口 成都 "
PLACES += "贵阳 昆明 西安"
COUNTIES = "东城 西城 城关 新区 高新 开发 南湖 北湖 中牟 岳麓 天心 雨花 芙蓉 开福 望城 浏阳 "
COUNTIES += "宁乡 江岸 江汉 洪山"
BUREAUS = (
    "教育局 财政局 民政局 公安局 卫生健康委员会 市场监督管理局 自然资源局 生态环境局 "
    "住房和城乡建设局 交通运输局"
)


def agencies(count: int) -> list[str]:
    """Distinct agency names: place, county, bureau; one in 500 holds a `/`."""
    names = [
        f"{place}市{county}区{bureau}"
        for place in PLACES.split()
        for county in COUNTIES.split()
        for bureau in BUREAUS.split()
    ]
    names = names[:count]
    for index in range(0, len(names), 500):
        names[index] = names[index].replace("区", "区/县", 1)
    return names


def templates() -> list[dict[str, Any]]:
    """The devset's text PDFs, parsed once."""
    options = load().read_options(1)
    return [process_file(path, options) for path in sorted(DEVSET.glob("dev-0*.pdf"))]


def varied(template: dict[str, Any], agency: str | None, year: int | None, seed: int) -> Any:
    """A copy of a parsed report for another agency and year, its numbers varied."""
    rng = random.Random(seed)
    report = copy.deepcopy(template)
    report["agency"], report["year"] = agency, year
    for table in ("active_disclosure", "applications", "reviews_and_lawsuits"):
        for cells in (report.get(table) or {}).values():
            for column, value in cells.items():
                if isinstance(value, int) and value > 0:
                    cells[column] = max(0, value + rng.randint(-value // 3, value // 3 + 2))
    sha = hashlib.sha256(f"{agency}{year}{seed}".encode()).hexdigest()
    report["source"] = {**report["source"], "sha256": sha, "filename": f"{sha[:8]}.pdf"}
    return report


def load_reports(store: Store, start: int, stop: int, bases: list[dict[str, Any]]) -> float:
    """Store reports number `start` to `stop`; returns the seconds it took."""
    names = agencies(4000)
    began = time.perf_counter()
    for number in range(start, stop):
        agency, year = names[number % len(names)], 2019 + (number // len(names)) % 6
        if number % 50 == 49:
            agency, year = None, None  # unidentified
        elif number % 20 == 19:
            agency, year = names[(number - 1) % len(names)], 2019 + ((number - 1) // 4000) % 6
        report = varied(bases[number % len(bases)], agency, year, number)
        name = report["source"]["filename"]
        store.save(report, filename=name, original=f"originals/{name}", timings={"total": 0.1})
    return time.perf_counter() - began


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds and peak resident MB of one command (its output thrown away)."""
    began = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{command} exited {process.returncode}")
    return time.perf_counter() - began, usage.ru_maxrss / 1024


def percentiles(client: httpx.Client, paths: list[str]) -> tuple[float, float]:
    """p50 and p95 in milliseconds of GETting each path in turn (after one warm-up)."""
    client.get(paths[0]).raise_for_status()
    times = []
    for path in paths:
        began = time.perf_counter()
        client.get(path).raise_for_status()
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def serve(env: dict[str, str], root: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (root / "serve.log").open("wb")
    process = subprocess.Popen(
        [BIN / "gongkai", "serve", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("gongkai serve did not start")


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def exports(env: dict[str, str], root: Path, stored: int) -> None:
    for kind in ("csv", "xlsx"):
        out = root / f"reports.{kind}"
        seconds, memory = timed([str(BIN / "gongkai"), "export", kind, "--out", str(out)], env)
        size = out.stat().st_size / 1e6
        print(f"gongkai export {kind}, {stored} reports: {seconds:.1f} s, {memory:.0f} MB peak, "
              f"{size:.0f} MB file")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--first", type=int, default=5_000, help="export once at this count")
    parser.add_argument("--requests", type=int, default=200, help="per measured endpoint")
    parser.add_argument("--admin", default="host=127.0.0.1 port=5432 user=postgres dbname=postgres")
    args = parser.parse_args()

    name = f"gongkai_bench_store_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(args.admin, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    root = Path(tempfile.mkdtemp(prefix="gongkai-bench-store-"))
    base = {key: value for key, value in os.environ.items() if not key.startswith("GONGKAI_")}
    env = {**base, "GONGKAI_DATABASE_URL": url, "GONGKAI_DATA_DIR": str(root / "data")}
    print(f"{os.cpu_count()} cores (nproc); PostgreSQL database {name}")
    try:
        store = Store(db.engine(url))
        bases = templates()
        first = min(args.first, args.reports)
        seconds = load_reports(store, 0, first, bases)
        print(f"stored {first} reports in {seconds:.0f} s ({first / seconds:.0f}/s)")
        exports(env, root, first)
        seconds = load_reports(store, first, args.reports, bases)
        print(f"stored {args.reports - first} more in {seconds:.0f} s")
        with psycopg.connect(args.admin.replace("dbname=postgres", f"dbname={name}")) as conn:
            conn.execute("ANALYZE documents")
            size = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        print(f"database: {size[0] / 1e6:.0f} MB" if size else "")
        measure_api(env, root, store, args.requests)
        for extra in ([], ["--json"], ["--agency", "长沙"]):
            seconds, memory = timed([str(BIN / "gongkai"), "results", "list", *extra], env)
            print(f"gongkai results list {' '.join(extra)}: {seconds:.2f} s, {memory:.0f} MB peak")
        exports(env, root, args.reports)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        db.engine(url).dispose()
        with psycopg.connect(args.admin, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def measure_api(env: dict[str, str], root: Path, store: Store, requests: int) -> None:
    process, url = serve(env, root)
    rng = random.Random(7)
    listed = list(store.listing())
    keys = [(item.agency, item.year) for item in listed if item.identified]
    try:
        with httpx.Client(base_url=url, timeout=600) as client:  # the export answers at its end
            filters = {
                "no filter, deep pages": lambda: f"offset={rng.randrange(len(listed) - 50)}",
                "agency substring": lambda: f"agency={quote(rng.choice(PLACES.split()))}市",
                "year": lambda: f"year={rng.randrange(2019, 2025)}",
                "year range + status": lambda: "year_from=2020&year_to=2022&status=needs_review",
                "agency + year range": lambda: (
                    f"agency={quote(rng.choice(BUREAUS.split()))}&year_from=2021&year_to=2023"
                ),
                "unidentified": lambda: "status=unidentified",
            }
            for label, query in filters.items():
                paths = [f"/reports?limit=50&{query()}" for _ in range(requests)]
                p50, p95 = percentiles(client, paths)
                print(f"GET /reports ({label}), page of 50: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
            picks = [rng.choice(keys) for _ in range(requests)]
            paths = [f"/reports/{quote(a or '', safe='')}/{y}" for a, y in picks if "/" not in a]
            p50, p95 = percentiles(client, paths)
            print(f"GET /reports/{{agency}}/{{year}}: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
            shas = [f"/documents/{rng.choice(listed).sha256}" for _ in range(requests)]
            p50, p95 = percentiles(client, shas)
            print(f"GET /documents/{{sha256}}: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
            before = peak_mb(process.pid)
            began = time.perf_counter()
            size = len(client.get("/exports/reports.csv").content) / 1e6
            seconds = time.perf_counter() - began
            print(f"GET /exports/reports.csv: {seconds:.1f} s, {size:.0f} MB; server peak "
                  f"{before:.0f} MB before, {peak_mb(process.pid):.0f} MB after")  # fmt: skip
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    main()
