"""Seconds per page of `gongkai parse` on text PDFs, against bare pdfplumber.

    python bench/speed.py [PDF...] [--rounds 5]

Both sides run as whole processes, start-up and imports included, because that is what a
user waits for.  The baseline only opens the PDF and extracts every page's words; the
target is `gongkai parse` at most 1.5 times that.  Rounds interleave the two commands so
a slow moment of the machine hits both alike; medians are reported.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pdfplumber

DEVSET = Path(__file__).resolve().parents[1] / "tests" / "data" / "devset"
TARGET_RATIO = 1.5
BARE = (
    "import pdfplumber,sys; pdf=pdfplumber.open(sys.argv[1]); "
    "[p.extract_words() for p in pdf.pages]"
)


ROW = "{:<24}{:>6}{:>9}{:>11}{:>7}{:>8}"


def default_pdfs() -> list[Path]:
    return [DEVSET / "real" / "huaian-shi-2024.pdf", *sorted(DEVSET.glob("dev-0*.pdf"))]


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
    args = parser.parse_args(argv)

    print(ROW.format("file", "pages", "bare s", "gongkai s", "ratio", "s/page"))
    bare_sum = gongkai_sum = 0.0
    page_sum = 0
    failed = 0
    for pdf in args.pdfs or default_pdfs():
        with pdfplumber.open(pdf) as document:
            pages = len(document.pages)
        bare_times: list[float] = []
        gongkai_times: list[float] = []
        try:
            for _ in range(args.rounds):
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
            f"{gongkai_sum / page_sum:.3f} s/page, median of {args.rounds} rounds, "
            f"os.cpu_count() = {os.cpu_count()}"
        )
    return 1 if failed else 0


def _measured(name: str, pages: int, bare: float, gongkai: float) -> str:
    return ROW.format(
        name,
        pages,
        f"{bare:.3f}",
        f"{gongkai:.3f}",
        f"{gongkai / bare:.2f}",
        f"{gongkai / pages:.3f}",
    )


if __name__ == "__main__":
    raise SystemExit(main())
