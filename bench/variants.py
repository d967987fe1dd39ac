"""Hard variants of the devset: the same truths printed in the forms that broke the parser.

    python bench/variants.py OUT_DIR [--sources DIR ...] [--styles STYLE ...] [--limit N]
                             [--seed S]

The devset reads 100 % right, yet reports laid out otherwise came out with wrong numbers.
For each source truth (`*.truth.json` with the three tables in full, agency and year known)
this writes `<name>.<style>.<ext>` and `<name>.<style>.truth.json` with `meta.style` set to
the style, so `bench/accuracy.py OUT_DIR` scores them per style.  A truth is adjusted only
where the variant removes information (no title → agency/year from the signature block or
the statistics period, else null; one page → the other sections `{}` as in the devset's
image cases).  Styles:

- md-split: converter markdown (docling, MinerU, marker, LLMs); section 三 cut into 2–3
  tables, a placeholder header `| 类别 | 数据1 | … | 总计 |`, labels as loose lines between
  tables, rows whose label cell is empty or gone (7 cells instead of 8);
- md-headings: every row of section 三 under its own heading, a one-row table below it;
- html-excerpt: only a site's `<div class=TRS_Editor>`: no title, `<p>`-split header cells,
  `&nbsp;` padding, a signature block and/or contact line, the statistics period sentence;
- text-runtogether: crawled page text with the table cells run together, signed 本年增/减;
- scan-split: an image-only PDF whose section 三 runs onto a second page, header not
  repeated, the template's check note in the top-left cell;
- image-table3: one PNG of section 三 alone (2021 edition with （六） in three rows).

The same seed gives the same files.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.paper import Sheet, image_pdf, png, scan
from bench.render import (
    OTHER_MATTERS,
    PROBLEMS,
    SECTION_HEADINGS,
    active_table,
    applications_table,
    overview,
    reviews_table,
    title_lines,
)
from bench.variant_texts import (
    html_excerpt,
    md_headings,
    md_split,
    null_mark,
    period,
    text_runtogether,
)
from bench.variant_truths import Style, Variant, eligible, variant_truth

DEFAULT_SOURCES: Final = Path(__file__).resolve().parents[1] / "tests" / "data" / "devset"


# ---------------------------------------------------------------- paper

APPLICATION_WIDTHS: Final = (42.0, 60.0, 138.0, *(275.0 / 7,) * 7)
ACTIVE_WIDTHS: Final = (155.0, 120.0, 120.0, 120.0)
REVIEW_WIDTHS: Final = (515.0 / 15,) * 15


def _scan_dpi_angle(rng: random.Random) -> tuple[int, float]:
    return rng.choice((200, 300)), round(rng.choice((-1, 1)) * rng.uniform(0.3, 1.0), 2)


def scan_split(truth: dict[str, Any], rng: random.Random) -> Variant:
    """A Word-like report printed and scanned; section 三 breaks onto the next page."""
    blank = null_mark(rng)
    edition = truth["edition"]
    one, two, three, four, five, six = SECTION_HEADINGS
    applications = applications_table(truth["applications"], blank)
    header_rows = 3
    split = rng.randint(header_rows + 4, len(applications) - 4)

    sheet = Sheet()
    for line in title_lines(truth):
        sheet.paragraph(line, 16, "center")
    sheet.paragraph(
        f"根据《中华人民共和国政府信息公开条例》要求，编制本报告。{period(truth['year'])}"
    )
    sheet.paragraph(one, 12)
    sheet.paragraph(overview(truth["year"]))
    sheet.paragraph(two, 12)
    sheet.table(active_table(truth["active_disclosure"], edition, False, blank), ACTIVE_WIDTHS)
    sheet.paragraph(three, 12)
    sheet.table(applications, APPLICATION_WIDTHS, break_before={split})
    sheet.paragraph(four, 12)
    sheet.table(reviews_table(truth["reviews_and_lawsuits"], blank), REVIEW_WIDTHS, size=8)
    for text in (five, PROBLEMS, six, OTHER_MATTERS):
        sheet.paragraph(text, 12 if text in SECTION_HEADINGS else 10.5)
    sheet.paragraph(truth["agency"], align="right")
    sheet.paragraph(f"{truth['year'] + 1}年1月20日", align="right")

    dpi, angle = _scan_dpi_angle(rng)
    pages = scan(sheet.pdf(), dpi, angle, rng.randrange(2**32))
    notes = f"scan, section 三 breaks before its row {split - header_rows + 1}, header not repeated"
    new_truth = variant_truth(truth, "scan-split", notes)
    new_truth["meta"].update(dpi=dpi, rotation=angle)
    return Variant(".pdf", image_pdf(pages, dpi), new_truth)


def image_table3(truth: dict[str, Any], rng: random.Random) -> Variant | None:
    """A photo of the one page that holds section 三 (2021 edition sources only)."""
    apps = truth["applications"]
    if truth["edition"] != "2021" or "other_overdue_correction" not in apps:
        return None
    table = applications_table(apps, null_mark(rng))

    def draw(height: float) -> Sheet:
        sheet = Sheet(margin=30, size=(595.0, height))
        sheet.paragraph(SECTION_HEADINGS[2], 12)
        sheet.table(table, APPLICATION_WIDTHS)
        return sheet

    height = draw(1400.0).top + 30  # measured on a tall page, then drawn to fit
    dpi, angle = rng.choice((200, 220, 250)), round(rng.uniform(-1.0, 1.0), 2)
    page = scan(draw(height).pdf(), dpi, angle, rng.randrange(2**32))[0]
    notes = "one page image: section 三 only; agency/year not visible"
    new_truth = variant_truth(
        truth,
        "image-table3",
        notes,
        drop=("active_disclosure", "reviews_and_lawsuits"),
        agency=None,
        year=None,
    )
    new_truth["meta"].update(dpi=dpi, rotation=angle, visible="section 三 only")
    return Variant(".png", png(page, dpi), new_truth)


STYLES: Final[dict[str, Style]] = {
    "md-split": md_split,
    "md-headings": md_headings,
    "html-excerpt": html_excerpt,
    "text-runtogether": text_runtogether,
    "scan-split": scan_split,
    "image-table3": image_table3,
}
TEXT_STYLES: Final = ("md-split", "md-headings", "html-excerpt", "text-runtogether")


# ---------------------------------------------------------------- writing


def source_truths(folders: Iterable[Path]) -> Iterator[Path]:
    """Every eligible `*.truth.json` under `folders`, in path order."""
    for folder in folders:
        for path in sorted(folder.rglob("*.truth.json")):
            if eligible(json.loads(path.read_text(encoding="utf-8"))):
                yield path


def write_variants(
    sources: Iterable[Path], out_dir: Path, styles: Sequence[str], seed: int = 0
) -> list[Path]:
    """Write each style of each source truth into `out_dir`; the input files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sources:
        name = source.name.removesuffix(".truth.json")
        truth = json.loads(source.read_text(encoding="utf-8"))
        for style in styles:
            variant = STYLES[style](truth, random.Random(f"{seed}:{name}:{style}"))
            if variant is None:
                continue
            variant.truth["meta"]["source"] = name
            path = out_dir / f"{name}.{style}{variant.suffix}"
            path.write_bytes(variant.data)
            truth_text = json.dumps(variant.truth, ensure_ascii=False, indent=1)
            (out_dir / f"{name}.{style}.truth.json").write_text(truth_text, encoding="utf-8")
            written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    parser.add_argument("--sources", nargs="+", type=Path, default=[DEFAULT_SOURCES])
    parser.add_argument("--styles", nargs="+", choices=list(STYLES), default=list(STYLES))
    parser.add_argument("--limit", type=int, help="use the first N eligible source truths")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    sources = list(source_truths(args.sources))[: args.limit]
    written = write_variants(sources, args.out_dir, args.styles, args.seed)
    counts = {style: sum(p.stem.endswith(f".{style}") for p in written) for style in args.styles}
    print(f"{len(written)} files from {len(sources)} truths into {args.out_dir}: {counts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
