"""How fast the review desk opens a report: the page a reviewer waits for, over real HTTP.

    python bench/desk.py [--report PATH] [--rounds 30] [--versions 10]

Starts `gongkai serve` (embedded mode, SQLite, a temporary data folder), uploads the report
(default: the 6-page more-003.pdf of the shared devset, else dev-01.pdf), logs in as a
browser does, opens the report view once to render and cache its page images, then times
`--rounds` openings of the report view and of one page image: p50, p95 and the slowest.
A report that is a text file, a web page or a .docx has no page images: its view shows
the original's text (read once per server process), and only the view is timed.
Then it corrects one cell through the desk's form until the report has `--versions`
versions, and times the report view again (its list of versions, each with what it
changed, grows with them) and the read-only view of the first version.  The target is a
report view under 300 ms with its page images cached.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SIX_PAGES = ROOT.parent / "shared" / "devset" / "more" / "more-003.pdf"
FALLBACK = ROOT / "tests" / "data" / "devset" / "dev-01.pdf"
TOKEN = "bench-desk-token-0123456789"
TARGET_MS = 300


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = SIX_PAGES if SIX_PAGES.is_file() else FALLBACK
    parser.add_argument("--report", type=Path, default=default)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--versions", type=int, default=10)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gongkai-desk-") as folder:
        server, url = _serve(Path(folder))
        try:
            timed, pages = _measure(url, args.report, args.rounds, args.versions)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"{args.report.name}: {pages} pages, {args.rounds} rounds, {os.cpu_count()} cores")
    for what, times in timed.items():
        p50, p95 = statistics.median(times), _percentile(times, 95)
        print(f"  {what:34} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  max {max(times):6.1f} ms")
    slowest = max(_percentile(times, 95) for what, times in timed.items() if "view" in what)
    verdict = "met" if slowest <= TARGET_MS else "NOT met"
    print(f"target: every report view p95 <= {TARGET_MS} ms: {verdict}")
    return 0


def _serve(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGKAI_")}
    env |= {"GONGKAI_DATA_DIR": str(folder / "data"), "GONGKAI_API_TOKEN": TOKEN}
    gongkai = Path(sys.executable).parent / "gongkai"
    server = subprocess.Popen(
        [gongkai, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return server, url
        except httpx.TransportError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gongkai serve did not start")


def _measure(
    url: str, report: Path, rounds: int, versions: int
) -> tuple[dict[str, list[float]], int]:
    api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=300)
    job = api.post("/documents", files={"file": (report.name, report.read_bytes())}).json()
    while (state := api.get(f"/jobs/{job['job']}").json())["state"] not in ("succeeded", "failed"):
        time.sleep(0.5)
    if state["state"] != "succeeded":
        raise SystemExit(f"{report.name} failed: {state}")
    browser = httpx.Client(base_url=url, timeout=300)
    browser.get("/login")
    browser.post(
        "/login",
        data={"name": "bench", "password": TOKEN, "nonce": browser.cookies["gongkai_login"]},
    )
    view = f"/desk/documents/{job['sha256']}"
    first = browser.get(view)  # renders and caches every page image
    first.raise_for_status()
    pages = first.text.count('class="page"')
    timed = {"report view": _timed(browser, view, rounds)}
    if pages:  # a text original (a web page, a .docx…) is shown as its text: no images
        timed["one page image"] = _timed(browser, f"{view}/pages/1", rounds)
    if versions > 1:
        for number in range(1, versions):
            _correct(browser, view, str(number))
        timed[f"report view, {versions} versions"] = _timed(browser, view, rounds)
        timed["first version, read only"] = _timed(browser, f"{view}/revisions/1", rounds)
    return timed, pages


def _correct(browser: httpx.Client, view: str, value: str) -> None:
    """One correction through the report view's form: a new version."""
    page = browser.get(view).text
    fields = {name: _field(page, name) for name in ("csrf", "revision")}
    path = "applications/new_received/natural_person"  # in both editions of the form
    answer = browser.post(f"{view}/corrections", data={**fields, "path": path, "value": value})
    if answer.status_code != 303:
        reason = re.search(r'role="alert">([^<]*)', answer.text)
        raise SystemExit(f"a correction was refused: {reason.group(1) if reason else answer}")


def _field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    if found is None:
        raise SystemExit(f"the report view has no {name} field")
    return found.group(1)


def _timed(client: httpx.Client, path: str, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        client.get(path).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


if __name__ == "__main__":
    raise SystemExit(main())
