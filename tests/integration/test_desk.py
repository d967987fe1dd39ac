"""The review desk in a real browser: Debian's Chromium, headless, driven by Playwright, against
`gongkai serve` with reports uploaded through the API.

Each page the tests visit is saved as a screenshot under `build/desk-screenshots/` for a
person to look at.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from live import TOKEN, LiveApi, start_api
from paths import DEVSET, ROOT

from bench.paper import Sheet
from bench.render import report_blocks
from bench.variants import ACTIVE_WIDTHS, APPLICATION_WIDTHS, REVIEW_WIDTHS
from worker import store as stores
from worker.settings import load

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = ROOT / "build" / "desk-screenshots"
AGENCY = "长沙市市场监督管理局"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (scripts/setup)"
)


def report_pdf(truth: dict[str, Any]) -> bytes:
    """A text PDF of a truth, printed as the template prints it."""
    sheet = Sheet()
    widths = iter((ACTIVE_WIDTHS, APPLICATION_WIDTHS, REVIEW_WIDTHS))
    for block in report_blocks(truth, yuan=False):
        if isinstance(block, str):
            sheet.paragraph(block, 11)
        else:
            sheet.table(block, next(widths))
    return sheet.pdf()


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    """A server holding a scan that needs review and three years of one agency."""
    api = start_api(tmp_path_factory.mktemp("desk"))
    truth = json.loads((DEVSET / "dev-01.truth.json").read_text(encoding="utf-8"))
    uploads = [("dev-14.png", (DEVSET / "dev-14.png").read_bytes())]
    for year in (2021, 2022, 2023):
        yearly = copy.deepcopy(truth)
        yearly["year"] = year
        yearly["applications"]["new_received"]["natural_person"] += year - 2021
        yearly["applications"]["new_received"]["total"] += year - 2021
        uploads.append((f"{AGENCY}-{year}.pdf", report_pdf(yearly)))
    for name, data in uploads:
        answer = api.upload(name, data)
        assert answer.status_code == 202, answer.text
        assert api.finished(answer.json()["job"], timeout=180)["state"] == "succeeded"
    yield api
    api.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, desk: LiveApi) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, base_url=desk.url)
    opened = context.new_page()
    yield opened
    context.close()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def log_in(page: Any, name: str = "张三") -> None:
    page.goto("/desk")
    assert "/login" in page.url
    shot(page, "01-login")
    page.fill('input[name="name"]', name)
    page.fill('input[name="token"]', TOKEN)
    page.click('form.login button[type="submit"]')
    page.wait_for_url("**/desk")


def test_a_reviewer_logs_in_and_finds_the_work_first(page: Any) -> None:
    log_in(page)
    shot(page, "02-inbox")
    sections = page.locator("section.listing h2").all_inner_texts()
    assert sections[0].startswith("需核对")
    assert page.locator("section.listing").first.get_by_text("青岛市水务局").count() == 1
    assert page.locator(".counts").inner_text().count("3") >= 1  # three complete reports


def test_a_flagged_cell_shows_its_box_on_the_page(page: Any) -> None:
    log_in(page)
    page.get_by_role("link", name="青岛市水务局").click()
    page.wait_for_load_state("networkidle")
    shot(page, "03-report")
    flagged = page.locator("td.cell.null_warned")
    assert flagged.count() > 0  # the scan holds section 二 only: the other tables are blank
    cell = page.locator("td.cell[data-page]:not([data-page=''])").first
    path = cell.get_attribute("data-path")
    cell.click()
    box = page.locator(f'.box.selected[data-path="{path}"]')
    assert box.count() == 1 and box.is_visible()
    assert cell.get_attribute("class") is not None and "selected" in cell.get_attribute("class")
    shot(page, "04-cell-selected")
    page.locator(".box").nth(3).click()  # and the other way round
    selected = page.locator("td.cell.selected")
    assert selected.count() == 1
    assert selected.get_attribute("data-path") == page.locator(".box").nth(3).get_attribute(
        "data-path"
    )


def test_the_agency_page_shows_three_years_and_their_change(page: Any) -> None:
    log_in(page)
    page.goto(f"/desk/agency?name={AGENCY}")
    shot(page, "05-agency")
    rows = page.locator("table.years tbody tr")
    assert rows.count() == 3
    assert rows.nth(0).locator("th").inner_text() == "2021"
    assert "+1" in rows.nth(1).inner_text()  # one more application received than in 2021
    assert page.locator("figure.chart svg rect").count() == 3


def test_the_english_switch(page: Any) -> None:
    log_in(page)
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**/desk")
    assert page.locator("nav").inner_text().startswith("Inbox")


# ---------------------------------------------------------------- security, over plain HTTP


def test_every_page_wants_a_session(desk: LiveApi) -> None:
    with httpx.Client(base_url=desk.url, follow_redirects=False) as anonymous:
        for path in (
            "/desk",
            f"/desk/agency?name={AGENCY}",
            "/docs",
            "/desk/documents/" + "0" * 64,
        ):
            answer = anonymous.get(path)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
        assert anonymous.post("/logout").status_code == 403


def test_a_login_needs_the_token_and_the_forms_own_nonce(desk: LiveApi) -> None:
    with httpx.Client(base_url=desk.url, follow_redirects=False) as client:
        client.get("/login")
        nonce = client.cookies["gongkai_login"]
        wrong = client.post("/login", data={"name": "x", "token": "wrong", "nonce": nonce})
        assert "failed=1" in wrong.headers["location"]
        forged = client.post("/login", data={"name": "x", "token": TOKEN, "nonce": "other"})
        assert "failed=1" in forged.headers["location"]
        good = client.post("/login", data={"name": "x", "token": TOKEN, "nonce": nonce})
        assert good.headers["location"] == "/desk" and "gongkai_session" in client.cookies
        assert client.post("/logout", data={"csrf": "not-the-token"}).status_code == 403
        assert client.get("/desk").status_code == 200


def test_a_redirect_after_login_stays_on_the_site(desk: LiveApi) -> None:
    with httpx.Client(base_url=desk.url, follow_redirects=False) as client:
        for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
            client.get("/login")
            nonce = client.cookies["gongkai_login"]
            answer = client.post(
                "/login", data={"name": "x", "token": TOKEN, "nonce": nonce, "next": target}
            )
            assert answer.headers["location"] == "/desk"


def test_an_agency_named_like_markup_is_shown_as_text(page: Any, desk: LiveApi) -> None:
    store = stores.of(load(desk.env))
    (scan,) = [item for item in store.listing() if item.filename == "dev-14.png"]
    report = store.report_by_sha(scan.sha256)
    report["agency"] = "<script>window.pwned=1</script><b>局</b>"
    report["source"] = {**report["source"], "sha256": "f" * 64}
    store.save(report, filename="markup.png", original=scan.original, timings={})
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    log_in(page)
    link = page.get_by_role("link", name="<script>window.pwned=1</script><b>局</b>")
    assert link.count() == 1
    link.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text().startswith("<script>")
    assert page.evaluate("window.pwned") is None and dialogs == []
