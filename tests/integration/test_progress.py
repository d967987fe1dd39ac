"""Progress of one document, page by page, as the worker reports it to Flower and the ledger."""

from __future__ import annotations

from pathlib import Path

from worker import pipeline


def test_a_scanned_document_reports_each_ocr_page_of_all_pages(devset: Path) -> None:
    heard: list[tuple[str, int | None, int | None]] = []

    pipeline.run(
        devset / "dev-10.pdf", lambda stage, page, pages: heard.append((stage, page, pages))
    )

    reading = [(page, pages) for stage, page, pages in heard if stage == "reading" and page]
    assert reading == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert heard[-1] == ("validating", 4, 4)
