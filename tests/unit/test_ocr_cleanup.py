"""The pure image steps of OCR, without Tesseract: deskew, orientation hint, binarization,
despeckle, ruled grids, digit-shaped cells, the vote between a cell's readings and the
alternatives it keeps, page images, Tesseract's TSV, the progress line."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pdfplumber
import pytest

from extract.image import PdfPages, _declared_dpi
from extract.layout import Rule, Word, find_grids, layout_rows
from extract.ocr.cells import Slot, digit_pieces, looks_numeric
from extract.ocr.cleanup import (
    binarize,
    despeckle,
    join_crossings,
    looks_sideways,
    prepare,
    rotate,
    skew_angle,
)
from extract.ocr.engine import OcrWord
from extract.ocr.pages import _Progress
from extract.ocr.reading import DISPUTED, Reading, _vote, page_words
from extract.ocr.reread import _cell_variants
from extract.ocr.tesseract import parse_tsv
from extract.options import DEFAULTS
from extract.pdf import page_rules, read_pdf


@pytest.fixture(scope="module")
def page3(devset: Path) -> np.ndarray:
    """dev-01's applications page rendered at 300 dpi (a clean 'scan')."""
    with PdfPages(devset / "dev-01.pdf", 300, 10**8) as pages:
        image = pages.page(3)
    assert image.dpi == 300
    return image.gray


@pytest.mark.parametrize("angle", [-1.5, -0.6, 0.4, 1.2])
def test_skew_angle_finds_the_tilt(page3: np.ndarray, angle: float) -> None:
    tilted = rotate(page3, -angle)
    assert skew_angle(binarize(tilted, 300)) == pytest.approx(angle, abs=0.1)


def test_sideways_text_is_noticed(devset: Path) -> None:
    with PdfPages(devset / "dev-01.pdf", 150, 10**8) as pages:
        prose = pages.page(1).gray
    assert not looks_sideways(binarize(prose, 150))
    assert looks_sideways(binarize(np.ascontiguousarray(np.rot90(prose)), 150))


def test_binarize_keeps_faint_thin_rules_and_drops_shading() -> None:
    gray = np.full((400, 400), 235, np.uint8)
    gray[100, 20:380] = 150  # a one-pixel grey rule of a 200 dpi scan
    gray[200:300, 50:350] = 205  # a shaded cell
    ink = binarize(gray, 200)
    assert ink[100, 50:350].all()
    assert not ink[220:280, 80:320].any()
    assert not ink[:5].any()  # the scanner's edge band is cleared


def test_despeckle_drops_noise_and_keeps_a_decimal_point() -> None:
    ink = np.zeros((200, 300), np.uint8)
    cv2.rectangle(ink, (100, 50), (120, 90), 255, 3)  # a digit-sized mark
    ink[86:90, 125:129] = 255  # a decimal point beside it
    ink[150:153, 30:33] = 255  # a speck far from any mark
    ink[20, 250] = 255  # a single noise pixel
    clean = despeckle(ink, 300)
    assert clean[50:91, 100:121].any()
    assert clean[86:90, 125:129].all()
    assert not clean[150:153, 30:33].any()
    assert not clean[20, 250]


def test_prepare_rebuilds_the_ruled_grid_with_merged_cells(page3: np.ndarray, devset: Path) -> None:
    """A tilted scan's grid has the text layer's rows, columns and merged cells."""
    with pdfplumber.open(devset / "dev-01.pdf") as pdf:
        (truth,) = find_grids(page_rules(pdf.pages[2]))
    prepared = prepare(rotate(page3, 0.8), 300)
    (grid,) = prepared.grids
    assert grid.xs == pytest.approx(truth.xs, abs=2)
    assert grid.ys == pytest.approx(truth.ys, abs=2)
    assert grid.region_at == truth.region_at  # the same cells merged the same way
    lines = cv2.morphologyEx(prepared.ink, cv2.MORPH_OPEN, np.ones((1, 300), np.uint8))
    assert not lines.any()  # the rules are out of the image


def test_rules_cut_short_beside_a_crossing_rule_still_make_a_grid() -> None:
    """A faint row rule loses a few pixels beside each dark column rule (the local threshold):
    cut short like that, it separated no cells, and two rows of numbers became one "20"."""
    columns = [Rule(False, x, 100, 160) for x in (100, 150, 200)]
    rows = [Rule(True, y, 100, 200) for y in (100, 160)]
    cut = [Rule(True, 130, 104, 146), Rule(True, 130, 154, 196)]  # 4 pt short of each
    assert len(find_grids(columns + rows + cut)[0].regions) == 2  # the cut rule separates none
    grid = find_grids(join_crossings(columns + rows + cut))[0]
    assert grid.ys == pytest.approx([100, 130, 160])
    assert len(grid.regions) == 4
    far = [Rule(True, 130, 110, 140)]  # 10 pt short: not this rule's crossing
    assert join_crossings(columns + far)[-1] == far[0]


def test_specks_inside_a_ruled_table_are_dropped_and_a_decimal_point_kept() -> None:
    """The table's frame is one outer contour holding every cell: its specks were kept."""
    gray = np.full((1200, 1200), 245, np.uint8)
    cv2.rectangle(gray, (200, 200), (1000, 700), 40, 3)
    cv2.line(gray, (600, 200), (600, 700), 40, 3)
    cv2.line(gray, (200, 450), (1000, 450), 40, 3)
    cv2.putText(gray, "12.5", (300, 350), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 30, 6)
    gray[560:564, 420:424] = 30  # a speck in a blank cell
    prepared = prepare(gray, 300)
    assert len(prepared.grids) == 1
    assert not prepared.ink[550:575, 410:435].any()
    _, _, stats, _ = cv2.connectedComponentsWithStats(prepared.ink[260:380, 280:560])
    assert any(w < 20 and h < 20 for _, _, w, h, _ in stats[1:].tolist())  # the point


def _words(text: str, confidence: float = 0.9) -> list[OcrWord]:
    return [OcrWord(text, 0, 0, 10, 10, confidence, (1, 1, 1))] if text else []


@pytest.mark.parametrize(
    ("together", "alone", "chinese", "digits", "number", "alternatives"),
    [
        # a serif 1: stitched reads 4, chi_sim 工; the alone reading and 工 agree
        (("4", 0.78), ("1", 0.93), "工", 1, "1", ("4",)),
        # 11 read as 1 twice (] is a 1 to chi_sim), but the ink has two digits apart
        (("11", 0.23), ("1", 0.0), "]", 2, "11", ("1",)),
        # a digit reading with no confidence at all does not vote: 0 read as 6
        (("6", 0.0), ("", 0.0), "O", 1, "0", ("6",)),
        # two sure readings against each other, chi_sim no help: unreadable
        (("4", 0.78), ("1", 0.93), "二", 1, None, ("4", "1")),
        # no number at all: chi_sim's text stands
        (("", 0.0), ("", 0.0), "合计", 0, None, ()),
    ],
)
def test_vote_between_readings_keeps_the_others_as_alternatives(
    together: tuple[str, float],
    alone: tuple[str, float],
    chinese: str,
    digits: int,
    number: str | None,
    alternatives: tuple[str, ...],
) -> None:
    vote = _vote(_words(*together), _words(*alone), _words(chinese, 0.5), digits)
    assert (vote.number, vote.alternatives) == (number, alternatives)
    if number is None and alternatives:
        assert vote.words == []  # unreadable: no text at all, never chi_sim's guess
    elif number is None:
        assert "".join(w.text for w in vote.words) == chinese


@pytest.mark.parametrize(("inside", "pieces"), [(4, 1), (30, 2)])
def test_a_reread_trims_what_is_left_of_a_rule_at_the_cell_edge(inside: int, pieces: int) -> None:
    """A stroke a few pixels inside the cell's right rule is a rule's remnant (1 read as
    11); one well inside the cell is ink of the number, and stays."""
    crop = np.full((80, 170), 245, np.uint8)
    crop[30:58, 80:85] = 30  # a 1
    crop[:, 168:] = 40  # the rule itself
    crop[30:58, 168 - inside - 3 : 168 - inside] = 30
    variants, count = _cell_variants(crop, 300)
    assert count == pieces
    assert len(variants) == 4
    assert all(v.dtype == np.uint8 and v.min() < 128 for v in variants)


def test_digit_pieces_count_digits_standing_apart() -> None:
    ink = np.zeros((40, 60), np.uint8)
    ink[2:38, 5:10] = 255
    ink[2:38, 25:30] = 255
    assert digit_pieces(ink) == 2
    ink[20:24, 10:25] = 255  # touching: one piece
    assert digit_pieces(ink) == 1


def test_an_unreadable_cell_is_blank_with_its_candidates_and_a_disputed_one_is_unsure() -> None:
    """What the parser receives: a truly blank cell has no confidence and no alternatives;
    an unreadable one has no text, a confidence of 0 and its candidates; a number another
    reading disputed keeps its text, at most DISPUTED sure, with the other reading."""
    rules = [Rule(True, y, 0, 300) for y in (0, 20, 40)] + [
        Rule(False, x, 0, 40) for x in (0, 100, 200, 300)
    ]
    scale = 300 / 72

    def slot(x0: float, top: float) -> Slot:
        box = (
            round(x0 * scale),
            round(top * scale),
            round((x0 + 20) * scale),
            round((top + 10) * scale),
        )
        return Slot(box, True, np.zeros((1, 1), np.uint8), 1)

    prepared = prepare(np.full((200, 1300), 255, np.uint8), 300)
    reading = Reading(
        [],
        [slot(10, 5), slot(110, 5), slot(210, 5)],
        [_words("合计"), [], _words("1", 0.93)],
        [None, None, "1"],
        [(), ("4", "1"), ("4",)],
    )
    words = page_words(prepared, reading)
    (row,) = [r for r in layout_rows(words, rules) if r.cells[0].text]
    label, unreadable, disputed = row.cells
    assert (label.text, label.alternatives) == ("合计", ())
    assert (unreadable.text, unreadable.confidence, unreadable.alternatives) == (
        "",
        0.0,
        ("4", "1"),
    )
    assert (disputed.text, disputed.alternatives) == ("1", ("4",))
    assert disputed.confidence == pytest.approx(DISPUTED)
    blank_row = layout_rows([Word("合计", 10, 25, 30, 35, 0.9)], rules)[-1]
    assert all(c.confidence is None and not c.alternatives for c in blank_row.cells[1:])


def test_digit_cells_look_numeric_and_label_cells_do_not(page3: np.ndarray, devset: Path) -> None:
    ink = binarize(page3, 300)
    scale = 300 / 72
    row = next(
        row
        for row in read_pdf(devset / "dev-01.pdf", "0", DEFAULTS).pages[2].rows
        if row.text.startswith("一、本年新收")
    )
    results = []
    for cell in row.cells:
        x0, top, x1, bottom = (round(v * scale) for v in cell.bbox)
        crop = ink[top + 6 : bottom - 6, x0 + 6 : x1 - 6]
        x, y, w, h = cv2.boundingRect(cv2.findNonZero(crop))
        results.append(looks_numeric(crop[y : y + h, x : x + w]))
    assert results == [False] + [True] * 7


def test_a_scanned_page_is_taken_as_its_own_image_and_a_text_page_is_rendered(devset: Path) -> None:
    with PdfPages(devset / "dev-11.pdf", 300, 10**8) as pages:
        scan = pages.page(1)
    assert scan.gray.shape == (3508, 2481) and scan.dpi == pytest.approx(300, abs=0.5)
    with PdfPages(devset / "dev-01.pdf", 100, 10**8) as pages:
        rendered = pages.page(1)
    assert rendered.dpi == 100
    assert rendered.gray.shape == pytest.approx((842 / 72 * 100, 595 / 72 * 100), abs=1.5)


@pytest.mark.parametrize(
    ("declared", "size", "dpi"),
    [
        ((200, 200), (1654, 2339), 200),  # a scan that says its resolution
        ((72, 72), (3024, 4032), 4032 / (842 / 72)),  # a phone photo: 72 dpi is not true
        (None, (1191, 1684), 1684 / (842 / 72)),  # a screenshot with nothing declared
    ],
)
def test_declared_resolution_is_used_only_when_plausible(
    declared: object, size: tuple[int, int], dpi: float
) -> None:
    assert _declared_dpi(declared, size) == pytest.approx(dpi)


def test_tsv_words_keep_their_line_and_confidence() -> None:
    tsv = (
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight"
        "\tconf\ttext\n"
        "4\t1\t1\t1\t1\t0\t10\t20\t300\t40\t-1\t\n"
        "5\t1\t1\t1\t1\t1\t10\t20\t40\t40\t96.5\t政府\n"
        "5\t1\t1\t1\t1\t2\t60\t20\t40\t40\t-1\t \n"
        "5\t1\t1\t1\t2\t1\t10\t80\t30\t40\t12\t2021\n"
    )
    words = parse_tsv(tsv)[1]
    assert [(w.text, w.line, w.confidence) for w in words] == [
        ("政府", (1, 1, 1), 0.965),
        ("2021", (1, 1, 2), 0.12),
    ]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    progress = _Progress("scan.pdf", 2, None)
    progress.step()
    progress.step()
    progress.close()
    assert terminal.getvalue() == "\rOCR scan.pdf: page 1/2\rOCR scan.pdf: page 2/2\n"

    piped = io.StringIO()
    monkeypatch.setattr("sys.stderr", piped)
    progress = _Progress("scan.pdf", 2, None)
    progress.step()
    progress.close()
    assert piped.getvalue() == ""
