"""Seconds per page of `gongkai parse`: text PDFs against bare pdfplumber, and scans.

    python bench/speed.py [PDF...] [--rounds 5] [--scan SCAN...] [--scan-rounds 3]
                          [--only text|scans]

Text PDFs: both sides run as whole processes, start-up and imports included, because that
is what a user waits for.  The baseline only opens the PDF and extracts every page's words;
the target is `gongkai parse` at most 1.5 times that.  Rounds interleave the two commands
so a slow moment of the machine hits both alike; medians are reported.

Scans (default: the devset's 300 dpi scans dev-11 and dev-13): whole `gongkai parse`
processes with --jobs 1 and --jobs 2: wall and CPU seconds per page (CPU with the
Tesseract children, which a busy machine does not inflate) and the peak resident memory
of the Python process (getrusage maxrss), and of one Tesseract pass; then, in this
process with one job, the seconds per page of each stage: render (decoding or rendering
the page image), clean-up, OCR (Tesseract and assembling rows), parse.  Targets: at most
2.0 s per page with one job, about half that with two on two cores, at most 400 MB per
process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pdfplumber

DEVSET = Path(__file__).resolve().parents[1] / "tests" / "data" / "devset"
TARGET_RATIO = 1.5
TARGET_SCAN_SECONDS = 2.0
TARGET_MEGABYTES = 400
BARE = (
    "import pdfplumber,sys; pdf=pdfplumber.open(sys.argv[1]); "
    "[p.extract_words() for p in pdf.pages]"
)
MEASURED = (
    "import json, resource, sys; from worker.cli import main; code = main(sys.argv[1:]); "
    "print(json.dumps([code, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss]), "
    "file=sys.stderr)"
)
"""`gongkai parse` that reports its exit code and peak memory (kB) on its last stderr line."""
TESSERACT_PEAK = (
    "import os, resource, subprocess, sys; "
    "subprocess.run(['tesseract', sys.argv[1], '-', '-l', 'chi_sim', '--psm', '3'], "
    "capture_output=True, check=True, env={**os.environ, 'OMP_THREAD_LIMIT': '1'}); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)
"""Peak kB of one Tesseract pass over a whole page, started from a small parent: a child
of the big gongkai process reports the parent's pages as its own until it execs."""
STAGES = ("render", "clean-up", "ocr", "parse")


ROW = "{:<24}{:>6}{:>9}{:>11}{:>7}{:>8}"
SCAN_ROW = "{:<24}{:>6}{:>6}{:>9}{:>13}{:>10}"


def default_pdfs() -> list[Path]:
    return [DEVSET / "real" / "huaian-shi-2024.pdf", *sorted(DEVSET.glob("dev-0*.pdf"))]


def default_scans() -> list[Path]:
    return [DEVSET / "dev-11.pdf", DEVSET / "dev-13.pdf"]


def run_timed(command: Sequence[str]) -> float:
    """Wall-clock seconds of one process; a failed run is an error, not a fast sample."""
    start = time.perf_counter()
    completed = subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    if completed.returncode:
        last = completed.stderr.strip().splitlines()[-1:] or [""]
        raise RuntimeError(f"exit {completed.returncode}: {last[0]}")
    return elapsed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "pdfs",
        nargs="*",
        type=Path,
        metavar="PDF",
        help="text PDFs (default: huaian-shi-2024 and dev-0*.pdf of the devset)",
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--scan",
        dest="scans",
        action="append",
        type=Path,
        metavar="SCAN",
        help="a scanned PDF or image (repeatable; default: dev-11.pdf and dev-13.pdf)",
    )
    parser.add_argument("--scan-rounds", type=int, default=3)
    parser.add_argument("--only", choices=("text", "scans"))
    args = parser.parse_args(argv)

    failed = 0
    if args.only != "scans":
        failed += text_pdfs(args.pdfs or default_pdfs(), args.rounds)
    if args.only != "text":
        if args.only is None:
            print()
        failed += scans(args.scans or default_scans(), args.scan_rounds)
    print(f"os.cpu_count() = {os.cpu_count()}")
    return 1 if failed else 0


# --- text PDFs ----------------------------------------------------------------------------


def text_pdfs(pdfs: Sequence[Path], rounds: int) -> int:
    """The text-PDF table; returns the number of files that could not be measured."""
    print(ROW.format("file", "pages", "bare s", "gongkai s", "ratio", "s/page"))
    bare_sum = gongkai_sum = 0.0
    page_sum = 0
    failed = 0
    for pdf in pdfs:
        with pdfplumber.open(pdf) as document:
            pages = len(document.pages)
        bare_times: list[float] = []
        gongkai_times: list[float] = []
        try:
            for _ in range(rounds):
                bare_times.append(run_timed([sys.executable, "-c", BARE, str(pdf)]))
                gongkai_times.append(
                    run_timed([sys.executable, "-m", "worker.cli", "parse", str(pdf)])
                )
        except RuntimeError as exc:
            print(f"{pdf.name:<24}{pages:>6}  not measured: a run failed ({exc})")
            failed += 1
            continue
        bare, gongkai = statistics.median(bare_times), statistics.median(gongkai_times)
        bare_sum, gongkai_sum, page_sum = bare_sum + bare, gongkai_sum + gongkai, page_sum + pages
        print(_measured(pdf.name, pages, bare, gongkai))

    if page_sum:
        print(_measured("all", page_sum, bare_sum, gongkai_sum))
        print(
            f"ratio gongkai/bare {gongkai_sum / bare_sum:.2f} (target <= {TARGET_RATIO}), "
            f"{gongkai_sum / page_sum:.3f} s/page, median of {rounds} rounds"
        )
    return failed


def _measured(name: str, pages: int, bare: float, gongkai: float) -> str:
    return ROW.format(
        name,
        pages,
        f"{bare:.3f}",
        f"{gongkai:.3f}",
        f"{gongkai / bare:.2f}",
        f"{gongkai / pages:.3f}",
    )


# --- scans --------------------------------------------------------------------------------


def scans(paths: Sequence[Path], rounds: int) -> int:
    """The scan tables; returns the number of files that could not be measured."""
    print(SCAN_ROW.format("scan", "pages", "jobs", "s/page", "cpu s/page", "peak MB"))
    failed = 0
    totals: dict[int, list[float]] = {1: [0.0, 0.0], 2: [0.0, 0.0]}  # jobs: [seconds, pages]
    peak = 0
    stage_sums: dict[str, float] = defaultdict(float)
    stage_pages = 0
    for path in paths:
        try:
            pages, stages = stage_seconds(path)
            for stage, seconds in stages.items():
                stage_sums[stage] += seconds
            stage_pages += pages
            for jobs in (1, 2):
                runs = [measure_process(path, jobs) for _ in range(rounds)]
                seconds = statistics.median(run[0] for run in runs)
                cpu = statistics.median(run[1] for run in runs)
                kilobytes = max(run[2] for run in runs)
                peak = max(peak, kilobytes)
                totals[jobs][0] += seconds
                totals[jobs][1] += pages
                print(
                    SCAN_ROW.format(
                        path.name,
                        pages,
                        jobs,
                        f"{seconds / pages:.2f}",
                        f"{cpu / pages:.2f}",
                        f"{kilobytes / 1024:.0f}",
                    )
                )
        except RuntimeError as exc:
            print(f"{path.name:<24}  not measured: {exc}")
            failed += 1
    if stage_pages:
        one, two = (totals[jobs][0] / totals[jobs][1] for jobs in (1, 2))
        print(
            f"all scans: {one:.2f} s/page with --jobs 1 (target <= {TARGET_SCAN_SECONDS}), "
            f"{two:.2f} with --jobs 2 ({two / one:.0%} of one job); peak {peak / 1024:.0f} MB "
            f"per gongkai process, {tesseract_peak(paths[0]) / 1024:.0f} MB per Tesseract "
            f"process (target <= {TARGET_MEGABYTES} MB); median of {rounds} whole processes"
        )
        split = "  ".join(f"{stage} {stage_sums[stage] / stage_pages:.3f}" for stage in STAGES)
        total = sum(stage_sums.values()) / stage_pages
        print(f"stages, s/page, one job in process: {split}  (sum {total:.2f})")
    return failed


def measure_process(path: Path, jobs: int) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (with its Tesseract children: what a busy machine does
    not change) and peak kB of one `gongkai parse --jobs N` process."""
    command = [sys.executable, "-c", MEASURED, "parse", "--jobs", str(jobs), str(path)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    completed = subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    last = (completed.stderr.strip().splitlines() or [""])[-1]
    try:
        code, kilobytes = json.loads(last)
    except ValueError:
        raise RuntimeError(f"exit {completed.returncode}: {last}") from None
    if code:
        raise RuntimeError(f"exit {code}: {completed.stderr.strip().splitlines()[0]}")
    return elapsed, cpu, kilobytes


def tesseract_peak(path: Path) -> int:
    """Peak kB of Tesseract reading the first page of `path` at 300 dpi."""
    from extract.image import ImageFile, PdfPages

    source = PdfPages(path, 300, 10**9) if path.suffix.lower() == ".pdf" else ImageFile(path, 10**9)
    with source, tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "page.pgm"
        image = source.page(1).gray
        page.write_bytes(b"P5 %d %d 255\n" % image.shape[::-1] + image.tobytes())
        done = subprocess.run(
            [sys.executable, "-c", TESSERACT_PEAK, str(page)],
            capture_output=True,
            text=True,
            check=True,
        )
    return int(done.stdout)


def stage_seconds(path: Path) -> tuple[int, dict[str, float]]:
    """Pages, and seconds spent in each stage, reading `path` in this process with one job."""
    from extract.document import Document, Page
    from extract.image import ImageFile, PdfPages
    from extract.ocr import OcrSettings, ocr_pages
    from extract.options import ReadOptions
    from extract.report import parse_document

    spent: dict[str, float] = defaultdict(float)
    lock = threading.Lock()

    def timer(stage: str, seconds: float) -> None:
        with lock:
            spent[stage] += seconds

    settings = replace(OcrSettings.from_options(ReadOptions(ocr_jobs=1)), timer=timer)
    if path.suffix.lower() == ".pdf":
        with pdfplumber.open(path) as pdf:
            count = len(pdf.pages)
        source: PdfPages | ImageFile = PdfPages(path, settings.dpi, settings.max_pixels)
    else:
        source = ImageFile(path, settings.max_pixels)
        count = source.count
    with source:
        read = ocr_pages(source, range(1, count + 1), settings, path.name)
    document = Document(
        path.name, "0" * 64, [Page(n, p.rows, "ocr", p.width, p.height) for n, p in read.items()]
    )
    started = time.perf_counter()
    parse_document(document)
    spent["parse"] = time.perf_counter() - started
    return count, dict(spent)


if __name__ == "__main__":
    raise SystemExit(main())
