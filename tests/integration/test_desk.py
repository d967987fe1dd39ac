"""The review desk in a real browser: Debian's Chromium, headless, driven by Playwright, against
`gongkai serve` with reports uploaded through the API and a user added by `gongkai users add`.

Each page the tests visit is saved as a screenshot under `build/desk-screenshots/` for a
person to look at.  The forms are also tried over plain HTTP the way an attacker would.
"""

from __future__ import annotations

import copy
import html
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
from live import (
    GONGKAI,
    TOKEN,
    WEBHOOK_SECRET,
    LiveApi,
    Receiver,
    events,
    serve_receiver,
    start_api,
    wait_until,
)
from paths import DEVSET, ROOT
from test_synthetic_inputs import write_docx, write_html

from bench.paper import Sheet
from bench.render import grid, report_blocks, title_lines
from bench.variants import ACTIVE_WIDTHS, APPLICATION_WIDTHS, REVIEW_WIDTHS
from worker import store as stores
from worker.corrections import correct
from worker.reprocess import carried
from worker.settings import load

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = ROOT / "build" / "desk-screenshots"
AGENCY = "长沙市市场监督管理局"
MISPRINTED = "武汉市统计局"
"""Its 2022 report prints 23 applications from natural persons where the row sums to 18."""
USER, PASSWORD = "王五", "a desk password of his own"
CELL = "applications/new_received/natural_person"
CELL_LABEL = "一、本年新收政府信息公开申请数量 · 自然人"
"""CELL as the form prints its row and column."""
EXCERPT = "摘录-未识别.txt"
"""A text excerpt of dev-05's tables, with no title: its year is not read."""
WEB_PAGE, WORD_FILE = "南京市卫生健康委员会-2019.htm", "郑州市二七区市场监督管理局-2020.docx"
MARKUP = "<script>window.pwned=1</script>"
"""Text of the saved web page that reads like markup."""

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
def hooks() -> Iterator[Receiver]:
    """The webhook receiver of the desk's server."""
    with serve_receiver() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, hooks: Receiver) -> Iterator[LiveApi]:
    """A server holding a scan that needs review and three years of one agency."""
    webhooks = {"GONGKAI_WEBHOOK_URLS": hooks.url, "GONGKAI_WEBHOOK_SECRET": WEBHOOK_SECRET}
    api = start_api(tmp_path_factory.mktemp("desk"), **webhooks)
    truth = json.loads((DEVSET / "dev-01.truth.json").read_text(encoding="utf-8"))
    uploads = [("dev-14.png", (DEVSET / "dev-14.png").read_bytes())]
    for year in (2021, 2022, 2023):
        yearly = copy.deepcopy(truth)
        yearly["year"] = year
        yearly["applications"]["new_received"]["natural_person"] += year - 2021
        yearly["applications"]["new_received"]["total"] += year - 2021
        uploads.append((f"{AGENCY}-{year}.pdf", report_pdf(yearly)))
    uploads.append((f"{MISPRINTED}-2022.pdf", report_pdf(misprinted(truth))))
    uploads += text_originals(tmp_path_factory.mktemp("texts"))
    for name, data in uploads:
        answer = api.upload(name, data)
        assert answer.status_code == 202, answer.text
        assert api.finished(answer.json()["job"], timeout=180)["state"] == "succeeded"
    add_user(api, USER, PASSWORD)
    yield api
    api.stop()


def text_originals(folder: Path) -> list[tuple[str, bytes]]:
    """A text excerpt without a title (unidentified), a saved web page with a line of text
    that reads like markup, and a Word .docx: originals that have no page images."""
    excerpt = devset_truth("dev-05")
    lines = []
    for block in report_blocks(excerpt, yuan=False)[len(title_lines(excerpt)) :]:
        rows = [block] if isinstance(block, str) else ["  ".join(row) for row in grid(block)]
        lines += rows
    page, word = folder / WEB_PAGE, folder / WORD_FILE
    write_html(page, devset_truth("dev-03"), layout_table=False)
    marked = html.escape(MARKUP).encode("gbk")
    page.write_bytes(
        page.read_bytes().replace(
            b'<div class="content">', b'<div class="content"><p>' + marked + b"</p>"
        )
    )
    write_docx(word, devset_truth("dev-06"))
    return [
        (EXCERPT, "\n".join(lines).encode("utf-8")),
        (WEB_PAGE, page.read_bytes()),
        (WORD_FILE, word.read_bytes()),
    ]


def devset_truth(name: str) -> dict[str, Any]:
    return json.loads((DEVSET / f"{name}.truth.json").read_text(encoding="utf-8"))


def misprinted(truth: dict[str, Any]) -> dict[str, Any]:
    """A report that needs review (two blank cells of 四) with one number misprinted: 23
    applications from natural persons where its row and its column say 18."""
    found = copy.deepcopy(truth)
    found["agency"], found["year"] = MISPRINTED, 2022
    found["applications"]["new_received"]["natural_person"] += 5
    for column in ("upheld", "pending"):
        found["reviews_and_lawsuits"]["litigation_direct"][column] = None
    return found


def add_user(api: LiveApi, name: str, password: str) -> None:
    """`gongkai users add NAME --password-stdin` on the server's own database."""
    added = subprocess.run(
        [GONGKAI, "users", "add", name, "--password-stdin"],
        env=api.env,
        input=password + "\n",
        capture_output=True,
        encoding="utf-8",
        timeout=60,
    )
    assert added.returncode == 0, added.stderr


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


def log_in(page: Any, name: str = "张三", secret: str = TOKEN) -> None:
    """Log in with a name and the API token, or a user's name and password."""
    page.goto("/desk")
    assert "/login" in page.url
    shot(page, "01-login")
    page.fill('input[name="name"]', name)
    page.fill('input[name="password"]', secret)
    page.click('form.login button[type="submit"]')
    page.wait_for_url("**/desk")


def test_a_reviewer_logs_in_and_finds_the_work_first(page: Any) -> None:
    log_in(page)
    shot(page, "02-inbox")
    sections = [title.split()[0] for title in page.locator("section.listing h2").all_inner_texts()]
    assert sections == ["需核对", "完整", "已审核", "片段", "未识别机关或年度的文件"]
    work = page.locator("section.listing").first
    assert work.get_by_text("青岛市水务局").count() == 1
    row = work.locator("tr", has=page.get_by_role("link", name=MISPRINTED, exact=True))
    assert row.locator("td").nth(2).inner_text() == "2021"  # the form's edition
    counts = page.locator(".counts li").all_inner_texts()
    assert [" ".join(count.split()) for count in counts[:2]] == ["需核对 2", "完整 5"]


def test_a_flagged_cell_shows_its_box_on_the_page(page: Any) -> None:
    log_in(page)
    page.get_by_role("link", name="青岛市水务局", exact=True).click()
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


def test_a_user_corrects_a_flagged_cell_and_marks_the_report_reviewed(page: Any) -> None:
    log_in(page, USER, PASSWORD)
    assert page.locator("header .who").inner_text() == USER
    work = page.locator("section.listing").first
    assert work.locator("h2").inner_text().startswith("需核对")
    work.get_by_role("link", name=MISPRINTED, exact=True).click()
    page.wait_for_load_state("networkidle")
    report = page.url
    assert page.locator(".meta .revision").inner_text() == "1"
    cell = page.locator(f'td.cell[data-path="{CELL}"]')
    assert "broken" in (cell.get_attribute("class") or "")  # its row does not sum
    broken = page.locator(f'ul.checks:not(.all) a[data-path="{CELL}"]')
    assert broken.count() == 2  # in rule 1 (its row) and rule 2 (its column)
    assert broken.first.inner_text() == CELL_LABEL  # named as printed, the path on hover
    assert broken.first.get_attribute("title") == CELL
    assert "规则1：每行总计 = 六类申请人之和" in page.locator("ul.checks:not(.all)").inner_text()
    cell.click()
    box = page.locator(f'.box.selected[data-path="{CELL}"]')
    assert box.count() == 1 and box.is_visible()
    form = page.locator("form#correction")
    assert form.is_visible() and form.locator(".path").inner_text() == CELL_LABEL
    assert form.locator(".path").get_attribute("title") == CELL
    assert form.locator('input[name="value"]').input_value() == "23"
    shot(page, "06-correcting")
    form.locator('input[name="value"]').fill("18")
    form.locator('input[name="note"]').fill("印刷错误：第1页本行合计为18")
    form.locator('button[type="submit"]').click()
    page.wait_for_load_state("networkidle")
    assert page.url.split("#")[0] == report
    assert page.locator(".meta .revision").inner_text() == "2"
    assert page.locator(".meta .origin").inner_text() == "人工更正"
    assert "corrected" in (cell.get_attribute("class") or "") and cell.inner_text() == "18"
    assert page.locator(f'ul.checks:not(.all) a[data-path="{CELL}"]').count() == 0  # again
    checks = page.locator("ul.checks.all li.ok", has_text=f"{CELL_LABEL[:-6]}：总计 23 = 23")
    assert checks.count() == 1 and "sum of" not in page.locator("ul.checks.all").first.inner_text()
    assert page.locator("h3.rule", has_text="规则1：每行总计 = 六类申请人之和").count() == 1
    audit = page.locator("table.audit tbody tr")
    assert audit.count() == 1
    entry = audit.first.inner_text()
    assert CELL_LABEL in entry and "23 → 18" in entry and USER in entry and "印刷错误" in entry
    assert audit.first.locator("a").get_attribute("title") == CELL
    page.locator("h3.rule").first.scroll_into_view_if_needed()
    shot(page, "15-checks")
    shot(page, "07-corrected")
    audit.first.scroll_into_view_if_needed()
    shot(page, "08-audit")
    page.get_by_role("button", name="标记为已审核").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".meta .revision").inner_text() == "3"
    assert page.locator(".meta .status").inner_text() == "已审核"
    assert USER in page.locator("p.reviewed").inner_text()
    shot(page, "09-reviewed")
    page.goto("/desk")
    reviewed = page.locator("section.listing", has=page.locator("h2", has_text="已审核"))
    assert reviewed.get_by_role("link", name=MISPRINTED, exact=True).count() == 1


def test_the_agency_page_shows_three_years_and_their_change(page: Any) -> None:
    log_in(page)
    page.goto(f"/desk/agency?name={AGENCY}")
    shot(page, "05-agency")
    rows = page.locator("table.years tbody tr")
    assert rows.count() == 3
    assert rows.nth(0).locator("th").inner_text() == "2021"
    assert "+1" in rows.nth(1).inner_text()  # one more application received than in 2021
    assert page.locator("figure.chart svg rect").count() == 3


def test_the_versions_of_a_report_and_an_earlier_one_opened_read_only(
    page: Any, desk: LiveApi
) -> None:
    sha = stores.of(load(desk.env)).version(AGENCY, 2021).sha256
    path = "active_disclosure/regulations/issued"
    log_in(page, USER, PASSWORD)
    page.goto(f"/desk/documents/{sha}")
    rows = page.locator("table.versions tbody tr")
    assert rows.count() == 1 and "当前" in rows.first.inner_text()
    cell = page.locator(f'td.cell[data-path="{path}"]')
    before = int(cell.get_attribute("data-value"))
    cell.click()
    form = page.locator("form#correction")
    form.locator('input[name="value"]').fill(str(before + 1))
    form.locator('button[type="submit"]').click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".meta .revision").inner_text() == "2"
    assert rows.count() == 2
    first, second = rows.nth(0), rows.nth(1)
    assert "current" in (second.get_attribute("class") or "") and "当前" in second.inner_text()
    assert second.locator(".origin").inner_text() == "人工更正"
    assert second.locator(".by").inner_text() == USER
    assert f"规章 · 本年制发件数 {before} → {before + 1}" in " ".join(
        second.locator(".diff").inner_text().split()
    )
    assert first.locator(".origin").inner_text() == "解析" and "首个版本" in first.inner_text()
    assert first.locator(".by").inner_text().startswith("gongkai ")
    page.locator("details.versions").scroll_into_view_if_needed()
    shot(page, "11-versions")
    first.get_by_role("link", name="查看").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/desk/documents/{sha}/revisions/1")
    assert "较早的版本" in page.locator("p.older").inner_text()
    assert page.locator(".meta .revision").inner_text() == "1"
    assert page.locator(".meta .origin").inner_text() == "解析"
    assert page.locator(f'td.cell[data-path="{path}"]').get_attribute("data-value") == str(before)
    assert page.locator("main form").count() == 0  # no correction, no 'mark reviewed'
    assert page.get_by_role("button", name="标记为已审核").count() == 0
    assert "viewed" in (rows.nth(0).get_attribute("class") or "")
    shot(page, "12-earlier-version")
    page.locator(f'td.cell[data-path="{path}"]').click()  # its box is still found on the page
    assert page.locator(f'.box.selected[data-path="{path}"]').count() == 1
    page.locator("p.older a").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".meta .revision").inner_text() == "2"


def test_an_unidentified_text_excerpt_opens_by_its_name_and_gets_its_agency_and_year(
    page: Any, desk: LiveApi
) -> None:
    log_in(page, USER, PASSWORD)
    unidentified = page.locator("section.listing", has=page.locator("h2", has_text="未识别"))
    unidentified.get_by_role("link", name=EXCERPT).click()  # the file's name is the link
    page.wait_for_load_state("networkidle")
    original = page.locator("article.original-text")
    assert original.count() == 1 and original.is_visible()
    assert page.locator(".page img, .box").count() == 0  # no page images, no boxes
    assert original.locator("table.original-table").first.is_visible()
    assert "一、本年新收政府信息公开申请数量" in original.inner_text()
    shot(page, "13-text-original")
    form = page.locator("form#correction")
    for path, label, value in (
        ("agency", "机关名称", "岳麓区应急管理局"),
        ("year", "年度", "2022"),
    ):
        page.locator(f'td.cell[data-path="{path}"]').click()
        assert form.locator(".path").inner_text() == label
        form.locator('input[name="value"]').fill(value)
        form.locator('button[type="submit"]').click()
        page.wait_for_load_state("networkidle")
        assert page.locator(f'td.cell[data-path="{path}"]').get_attribute("data-value") == value
    assert page.locator("h1").inner_text() == "岳麓区应急管理局 · 2022"
    assert page.locator("article.original-text").count() == 1  # still beside its tables
    shot(page, "14-text-original-named")
    stored = stores.of(load(desk.env)).version("岳麓区应急管理局", 2022)
    assert (stored.filename, stored.origin, stored.revision) == (EXCERPT, "corrected", 3)


def test_a_missing_document_is_a_page_of_the_desk(page: Any) -> None:
    log_in(page)
    answer = page.goto("/desk/documents/" + "0" * 64)
    assert answer is not None and answer.status == 404
    assert page.locator("h1").inner_text() == "页面不存在"
    assert page.locator("header .who").inner_text() == "张三"  # the desk's own layout
    shot(page, "16-not-found")
    page.get_by_role("link", name="返回待办").click()
    page.wait_for_url("**/desk")


def test_the_english_switch(page: Any) -> None:
    log_in(page)
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**/desk")
    assert page.locator("nav").inner_text().startswith("Inbox")


def by_name(desk: LiveApi, filename: str) -> str:
    """The SHA-256 of the stored document uploaded under `filename`."""
    (found,) = [i for i in stores.of(load(desk.env)).listing() if i.filename == filename]
    return found.sha256


def test_text_web_page_and_word_originals_open_as_their_text(desk: LiveApi) -> None:
    client = logged_in(desk)
    assert client is not None
    with closing(client):
        for name, words in (
            (EXCERPT, "二、上年结转政府信息公开申请数量"),
            (WEB_PAGE, "南京市卫生健康委员会"),
            (WORD_FILE, "郑州市二七区市场监督管理局"),
        ):
            sha = by_name(desk, name)
            answer = client.get(f"/desk/documents/{sha}")
            assert answer.status_code == 200, (name, answer.text[:300])
            assert answer.headers["content-type"].startswith("text/html")
            shown = re.search(r'<section class="pages".*?</section>', answer.text, re.S)
            assert shown is not None and 'class="original-text"' in shown.group(0)
            assert words in shown.group(0) and '<table class="original-table">' in shown.group(0)
            assert "/pages/" not in answer.text and 'class="box' not in answer.text
            assert 'id="correction"' in answer.text  # it can be corrected
            assert client.get(f"/desk/documents/{sha}/pages/1").status_code == 404
        page = client.get(f"/desk/documents/{by_name(desk, WEB_PAGE)}").text
        assert html.escape(MARKUP, quote=False) in page and MARKUP not in page  # as text
        scan = client.get(f"/desk/documents/{scan_sha(desk)}").text  # a scan keeps its images
        assert f"/desk/documents/{scan_sha(desk)}/pages/1" in scan and "original-text" not in scan


def test_every_list_links_each_document_by_its_file_name(desk: LiveApi) -> None:
    client = logged_in(desk)
    assert client is not None
    with closing(client):
        inbox = client.get("/desk").text
        for item in stores.of(load(desk.env)).listing():
            link = f'<a href="/desk/documents/{item.sha256}">{html.escape(item.filename)}</a>'
            assert link in inbox, item.filename
        agency = client.get("/desk/agency", params={"name": AGENCY}).text
        sha = stores.of(load(desk.env)).version(AGENCY, 2022).sha256
        assert f'<a href="/desk/documents/{sha}">2022</a>' in agency


def test_a_missing_desk_page_is_a_page_and_the_apis_errors_stay_json(desk: LiveApi) -> None:
    sha = scan_sha(desk)
    client = logged_in(desk)
    assert client is not None
    with closing(client):
        for address, status in (
            ("/desk/documents/" + "0" * 64, 404),
            (f"/desk/documents/{sha}/revisions/999", 404),
            (f"/desk/documents/{sha}/pages/999", 404),
            ("/desk/agency?name=无此机关", 404),
            ("/desk/no-such-page", 404),
            ("/login/no-such-page", 404),
            ("/desk/documents/not-a-sha256", 422),
        ):
            answer = client.get(address)
            assert answer.status_code == status, address
            assert answer.headers["content-type"].startswith("text/html"), address
            assert '<header class="bar">' in answer.text and 'href="/desk"' in answer.text
            title = "页面不存在" if status == 404 else "地址有误"
            assert f"<h1>{title}</h1>" in answer.text and '"error"' not in answer.text
        client.cookies.set("gongkai_lang", "en")
        assert "<h1>No such page</h1>" in client.get("/desk/documents/" + "0" * 64).text
    headers = {"Authorization": f"Bearer {TOKEN}"}
    for address in ("/documents/" + "0" * 64, "/no-such-page"):
        answer = httpx.get(desk.url + address, headers=headers)
        assert answer.status_code == 404 and answer.json()["error"] == "not_found", address
    invalid = httpx.get(desk.url + "/reports?limit=-1", headers=headers)
    assert invalid.status_code == 422 and invalid.json()["error"] == "invalid_request"


def test_the_english_interface_names_values_by_their_paths(desk: LiveApi) -> None:
    sha = stores.of(load(desk.env)).version(MISPRINTED, 2022).sha256
    client = logged_in(desk)
    assert client is not None
    with closing(client):
        chinese = client.get(f"/desk/documents/{sha}").text
        client.cookies.set("gongkai_lang", "en")
        english = client.get(f"/desk/documents/{sha}").text
    shown = strip_tags(chinese)  # the English detail stays on hover (a title), not in the text
    assert "sum of the six applicant columns" not in shown and "六类申请人之和" in shown
    assert 'title="rule1: new_received: total 23' in chinese
    assert "Rule 1: each row&#39;s total = the six applicant columns" in english
    assert re.search(r"new_received: total 23 [=≠] \d+ = sum of the six applicant columns", english)
    assert f'title="{CELL}">{CELL_LABEL}</a>' in chinese
    assert f'title="{CELL}">{CELL}</a>' in english


# ---------------------------------------------------------------- security, over plain HTTP


def test_every_page_wants_a_session(desk: LiveApi) -> None:
    with httpx.Client(base_url=desk.url, follow_redirects=False) as anonymous:
        for path in (
            "/desk",
            f"/desk/agency?name={AGENCY}",
            "/docs",
            "/desk/documents/" + "0" * 64,
            "/desk/documents/" + "0" * 64 + "/corrections",
            "/desk/documents/" + "0" * 64 + "/revisions/1",
        ):
            answer = anonymous.get(path)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
        assert anonymous.post("/logout").status_code == 403


def test_a_login_needs_the_token_and_the_forms_own_nonce(desk: LiveApi) -> None:
    with httpx.Client(base_url=desk.url, follow_redirects=False) as client:
        client.get("/login")
        nonce = client.cookies["gongkai_login"]
        wrong = client.post("/login", data={"name": "x", "password": "wrong", "nonce": nonce})
        assert "failed=1" in wrong.headers["location"]
        forged = client.post("/login", data={"name": "x", "password": TOKEN, "nonce": "other"})
        assert "failed=1" in forged.headers["location"]
        good = client.post("/login", data={"name": "x", "password": TOKEN, "nonce": nonce})
        assert good.headers["location"] == "/desk" and "gongkai_session" in client.cookies
        assert client.post("/logout", data={"csrf": "not-the-token"}).status_code == 403
        assert client.get("/desk").status_code == 200


def test_a_redirect_after_login_stays_on_the_site(desk: LiveApi) -> None:
    with httpx.Client(base_url=desk.url, follow_redirects=False) as client:
        for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
            client.get("/login")
            nonce = client.cookies["gongkai_login"]
            answer = client.post(
                "/login", data={"name": "x", "password": TOKEN, "nonce": nonce, "next": target}
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
    link = page.get_by_role("link", name="<script>window.pwned=1</script><b>局</b>", exact=True)
    assert link.count() == 1
    link.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text().startswith("<script>")
    assert page.evaluate("window.pwned") is None and dialogs == []


# ---------------------------------------------------------------- users and forms, over HTTP


def attempt(client: httpx.Client, name: str, secret: str) -> httpx.Response:
    """A login as the form sends it, with the nonce the form's page set."""
    client.get("/login")
    nonce = client.cookies["gongkai_login"]
    return client.post("/login", data={"name": name, "password": secret, "nonce": nonce})


def logged_in(desk: LiveApi, name: str = "x", secret: str = TOKEN) -> httpx.Client | None:
    """A client with a session, or None when the login is refused."""
    client = httpx.Client(base_url=desk.url, follow_redirects=False)
    if "failed=1" in attempt(client, name, secret).headers["location"]:
        client.close()
        return None
    return client


def form_fields(client: httpx.Client, sha256: str) -> dict[str, str]:
    """The CSRF token and the revision the report view's forms carry."""
    page = client.get(f"/desk/documents/{sha256}").text
    found = {}
    for name in ("csrf", "revision"):
        match = re.search(rf'name="{name}" value="([^"]*)"', page)
        assert match is not None, name
        found[name] = match.group(1)
    return found


def scan_sha(desk: LiveApi) -> str:
    (scan,) = [i for i in stores.of(load(desk.env)).listing() if i.filename == "dev-14.png"]
    return scan.sha256


def test_a_users_name_needs_their_password_and_a_removed_user_is_logged_out(
    desk: LiveApi,
) -> None:
    assert logged_in(desk, USER, "not his password") is None
    assert logged_in(desk, USER, TOKEN) is None  # the token cannot speak for a user
    assert logged_in(desk, "nobody", PASSWORD) is None
    add_user(desk, "赵六", "another desk password")
    client = logged_in(desk, "赵六", "another desk password")
    assert client is not None
    with closing(client):
        assert client.get("/desk").status_code == 200
        assert desk.gongkai("users", "remove", "赵六").returncode == 0
        answer = client.get("/desk")
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_every_form_refuses_without_a_session_or_its_csrf_token(desk: LiveApi) -> None:
    sha = scan_sha(desk)
    store = stores.of(load(desk.env))
    before = store.document(sha).revision
    forms = {
        f"/desk/documents/{sha}/corrections": {"path": "year", "value": "2020"},
        f"/desk/documents/{sha}/reviewed": {},
    }
    with httpx.Client(base_url=desk.url, follow_redirects=False) as anonymous:
        for action, data in forms.items():
            assert anonymous.post(action, data={**data, "revision": str(before)}).status_code == 403
    client = logged_in(desk)
    assert client is not None
    with closing(client):
        fields = form_fields(client, sha)
        for action, data in forms.items():
            token = fields["csrf"]
            altered = token[:-1] + ("B" if token[-1] != "B" else "C")  # never the token itself
            for csrf in ("", "not-the-token", altered):
                answer = client.post(action, data={**data, **fields, "csrf": csrf})
                assert answer.status_code == 403, (action, csrf)
            other = logged_in(desk, "y")  # another session's token is not this one's
            assert other is not None
            with closing(other):
                theirs = form_fields(other, sha)["csrf"]
            assert client.post(action, data={**data, **fields, "csrf": theirs}).status_code == 403
    assert store.document(sha).revision == before


def test_a_correction_the_contract_does_not_allow_comes_back_with_its_reason(
    desk: LiveApi,
) -> None:
    sha = scan_sha(desk)
    store = stores.of(load(desk.env))
    before = store.document(sha).revision
    client = logged_in(desk)
    assert client is not None
    with closing(client):
        fields = form_fields(client, sha)
        action = f"/desk/documents/{sha}/corrections"
        for path, value, reason, english in [
            ("source/sha256", "0" * 64, "不是报告中可以更正的值", "that can be corrected"),
            ("review/status", "reviewed", "不是报告中可以更正的值", "that can be corrected"),
            (
                "active_disclosure/regulations/issued",
                "-1",
                "规章 · 本年制发件数：此处不能填「-1」（不能小于 0）",
                "is not allowed there",
            ),
            (
                "active_disclosure/regulations/issued",
                "1.5",
                "此处不能填「1.5」（须为整数）",
                "is not allowed there",
            ),
            (
                "year",
                "<img src=x onerror=alert(1)>",
                "年度：「&lt;img src=x onerror=alert(1)&gt;」不是数字",
                "is not a number",
            ),
            ("", "", "请先选择要更正的单元格", "that can be corrected"),
            ("agency", "局" * 401, "新值最多 400 个字符", "a value has at most 400 characters"),
        ]:
            answer = client.post(action, data={**fields, "path": path, "value": value})
            assert answer.status_code == 400, (path, value, answer.text[:300])
            alert = re.search(r'<p class="error" role="alert">([^<]*)</p>', answer.text)
            assert alert is not None and reason in alert.group(1), (path, value)
            client.cookies.set("gongkai_lang", "en")
            answer = client.post(action, data={**fields, "path": path, "value": value})
            alert = re.search(r'<p class="error" role="alert">([^<]*)</p>', answer.text)
            assert alert is not None and english in alert.group(1), (path, value)
            client.cookies.delete("gongkai_lang")
            opened = re.search(r'<form id="correction"[^>]*>', answer.text)
            assert opened is not None and " hidden" not in opened.group(0)
            assert "<img src=x" not in answer.text  # the value is shown as text
            if path == "year":
                assert "&lt;img src=x onerror=alert(1)&gt;" in answer.text
        stale = client.post(action, data={**fields, "revision": "0", "path": "year", "value": "1"})
        assert stale.status_code == 409
    assert store.document(sha).revision == before


def test_a_correction_shows_its_note_as_text(desk: LiveApi) -> None:
    sha = scan_sha(desk)
    client = logged_in(desk, "<i>审核</i>")
    assert client is not None
    with closing(client):
        fields = form_fields(client, sha)
        note = "<script>window.pwned=1</script>"
        path = "active_disclosure/regulations/issued"
        answer = client.post(
            f"/desk/documents/{sha}/corrections",
            data={**fields, "path": path, "value": "0", "note": note},
        )
        assert answer.status_code == 303
        page = client.get(f"/desk/documents/{sha}").text
        assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in page and note not in page
        assert "&lt;i&gt;审核&lt;/i&gt;" in page and "<i>审核</i>" not in page


def test_corrections_and_reviews_at_the_desk_are_told_to_the_webhooks(
    desk: LiveApi, hooks: Receiver
) -> None:
    sha = scan_sha(desk)
    client = logged_in(desk, "钱审核")
    assert client is not None
    with closing(client):
        path = "active_disclosure/regulations/repealed"
        data = {**form_fields(client, sha), "path": path, "value": "0"}
        assert client.post(f"/desk/documents/{sha}/corrections", data=data).status_code == 303
        made = stores.of(load(desk.env)).document(sha)

    def told() -> list[dict[str, Any]]:
        wanted = f"{sha}:revision-{made.revision}"
        return [event for event in events(hooks.accepted) if event["id"] == wanted]

    (event,) = wait_until(told, 30, "the report.revised event")
    assert event["type"] == "report.revised"
    assert (event["report"]["origin"], event["report"]["version"]) == ("corrected", made.version)


def test_a_conflict_after_reprocessing_is_shown_and_settled_at_the_desk(
    desk: LiveApi, page: Any
) -> None:
    sha, path = scan_sha(desk), "active_disclosure/normative_documents/issued"
    store = stores.of(load(desk.env))
    report = store.report_by_sha(sha)
    corrected = correct(report, path, "4", "张三", "见原文")
    fresh = copy.deepcopy(report)
    fresh["active_disclosure"]["normative_documents"]["issued"] = 5  # a newer parser's reading
    store.revise(sha, carried(corrected, fresh), "reprocessed")
    log_in(page)
    page.goto(f"/desk/documents/{sha}")
    page.locator("section.conflicts").scroll_into_view_if_needed()
    shot(page, "10-conflict")
    client = logged_in(desk)
    assert client is not None
    with closing(client):
        page = client.get(f"/desk/documents/{sha}").text
        assert re.search(rf'id="cell-{path}" class="[^"]*\bconflict\b', page)
        listed = re.search(r'<section class="conflicts">.*?</section>', page, re.S)
        assert listed is not None and path in listed.group(0)
        assert "<b>4</b>" in listed.group(0) and "<b>5</b>" in listed.group(0)
        fields = form_fields(client, sha)
        refused = client.post(f"/desk/documents/{sha}/reviewed", data=fields)
        assert refused.status_code == 400 and "请先处理更正冲突" in refused.text
        kept = client.post(
            f"/desk/documents/{sha}/corrections",
            data={**fields, "path": path, "value": "4", "note": "保留审核值"},
        )
        assert kept.status_code == 303
        assert 'class="conflicts"' not in client.get(f"/desk/documents/{sha}").text
        reprocessed = [r for r in store.revisions(sha) if r.origin == "reprocessed"][-1]
        older = client.get(f"/desk/documents/{sha}/revisions/{reprocessed.revision}").text
        main = re.search(r"<main>(.*)</main>", older, re.S)
        assert main is not None and "<form" not in main.group(1)  # the conflict, no buttons
        assert '<section class="conflicts">' in older and 'class="older"' in older
    settled = store.report_by_sha(sha)
    assert settled["active_disclosure"]["normative_documents"]["issued"] == 4
    assert all(r["reason"] != "correction_conflict" for r in settled["review"]["reasons"])


def test_an_unidentified_document_gets_its_agency_and_year_at_the_desk(desk: LiveApi) -> None:
    store = stores.of(load(desk.env))
    scan = store.document(scan_sha(desk))
    report = store.report_by_sha(scan.sha256)
    report.update(agency=None, year=None, corrections=[])
    report["source"] = {**report["source"], "sha256": "e" * 64}
    sha = store.save(report, filename="excerpt.png", original=scan.original, timings={}).sha256
    client = logged_in(desk)
    assert client is not None
    with closing(client):
        inbox = client.get("/desk?status=unidentified").text
        assert f"/desk/documents/{sha}" in inbox
        for path, value in (("agency", "  某某 区 局 "), ("year", "2024")):
            answer = client.post(
                f"/desk/documents/{sha}/corrections",
                data={**form_fields(client, sha), "path": path, "value": value},
            )
            assert answer.status_code == 303, answer.text[:300]
        assert f"/desk/documents/{sha}" not in client.get("/desk?status=unidentified").text
        page = client.get(f"/desk/documents/{sha}").text
        listed = re.findall(r'<tr class="([^"]*)" data-revision="(\d+)"', page)
        assert [(kind.split(), revision) for kind, revision in listed] == [
            ([], "1"),
            ([], "2"),
            (["current", "viewed"], "3"),
        ]
        assert f'href="/desk/documents/{sha}/revisions/1"' in page
        older = client.get(f"/desk/documents/{sha}/revisions/2")  # unidentified, read only
        assert older.status_code == 200 and 'class="older"' in older.text
        assert "机关名称 — → 某某区局" in " ".join(strip_tags(older.text).split())
    found = store.document(sha)
    assert (found.agency, found.year, found.version, found.revision) == ("某某区局", 2024, 1, 3)
    assert [entry["path"] for entry in store.report_by_sha(sha)["corrections"]] == [
        "agency",
        "year",
    ]


def strip_tags(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_an_earlier_version_is_read_only_and_takes_no_form(desk: LiveApi) -> None:
    store = stores.of(load(desk.env))
    sha = store.version(AGENCY, 2022).sha256
    path = "active_disclosure/regulations/issued"
    client = logged_in(desk, "<i>审核</i>")
    assert client is not None
    with closing(client):
        fields = form_fields(client, sha)  # made from revision 1
        action = f"/desk/documents/{sha}/corrections"
        saved = client.post(action, data={**fields, "path": path, "value": "7"})
        assert saved.status_code == 303
        newest = client.get(f"/desk/documents/{sha}/revisions/2")
        assert newest.status_code == 303 and newest.headers["location"] == f"/desk/documents/{sha}"
        assert client.get(f"/desk/documents/{sha}/revisions/3").status_code == 404
        older = client.get(f"/desk/documents/{sha}/revisions/1")
        assert older.status_code == 200 and 'class="older"' in older.text
        main = re.search(r"<main>(.*)</main>", older.text, re.S)
        assert main is not None and "<form" not in main.group(1)
        assert 'name="revision"' not in older.text and 'action="/desk/documents' not in older.text
        assert "&lt;i&gt;审核&lt;/i&gt;" in older.text and "<i>审核</i>" not in older.text
        for target in (
            f"/desk/documents/{sha}/revisions/1",
            f"{action[:-12]}/revisions/1/corrections",
        ):
            refused = client.post(target, data={**fields, "path": path, "value": "9"})
            assert refused.status_code in (404, 405), target
        stale = client.post(action, data={**fields, "path": path, "value": "9"})
        assert stale.status_code == 409  # a form of revision 1: not the current one
        reviewed = client.post(f"/desk/documents/{sha}/reviewed", data=fields)
        assert reviewed.status_code == 409
    assert store.document(sha).revision == 2
    assert store.report_by_sha(sha)["active_disclosure"]["regulations"]["issued"] == 7


def test_the_versions_list_and_an_earlier_version_show_values_as_text(desk: LiveApi) -> None:
    store = stores.of(load(desk.env))
    scan = store.document(scan_sha(desk))
    report = store.report_by_sha(scan.sha256)
    markup = "<img src=x onerror=alert(1)>局"
    report.update(agency=markup, year=2020, corrections=[])
    report["source"] = {**report["source"], "sha256": "d" * 64}
    sha = store.save(report, filename="m.png", original=scan.original, timings={}).sha256
    client = logged_in(desk, "<b>x</b>")
    assert client is not None
    with closing(client):
        answer = client.post(
            f"/desk/documents/{sha}/corrections",
            data={**form_fields(client, sha), "path": "agency", "value": "某局"},
        )
        assert answer.status_code == 303
        for page in (
            client.get(f"/desk/documents/{sha}").text,
            client.get(f"/desk/documents/{sha}/revisions/1").text,
        ):
            assert "<img src=x" not in page and "<b>x</b>" not in page
            assert "&lt;img src=x onerror=alert(1)&gt;局" in page  # the old agency, as text
        moved = client.get(f"/desk/documents/{sha}").text
        assert "机关名称 &lt;img src=x onerror=alert(1)&gt;局 → 某局" in " ".join(
            strip_tags(moved).split()
        )
        assert "&lt;b&gt;x&lt;/b&gt;" in moved


# ---------------------------------------------------------------- failed logins


def from_address(desk: LiveApi, address: str) -> httpx.Client:
    """A client whose requests come from `address` (another loopback address: the
    failed-login counts of these tests are their own)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=desk.url, follow_redirects=False, transport=transport)


def failed(answer: httpx.Response) -> bool:
    return answer.status_code == 303 and "failed=1" in answer.headers["location"]


def logs_in(answer: httpx.Response) -> bool:
    return answer.status_code == 303 and answer.headers["location"] == "/desk"


def refusal(answer: httpx.Response) -> str:
    """The reason a 429 gives, checked for its parts."""
    assert answer.status_code == 429, answer.status_code
    assert 0 < int(answer.headers["Retry-After"]) <= 15 * 60
    alert = re.search(r'<p class="error" role="alert">([^<]*)</p>', answer.text)
    assert alert is not None and "登录失败次数过多" in alert.group(1)
    assert 'form method="post" action="/login"' in answer.text  # the form, to try later
    return re.sub(r"\d+", "N", alert.group(1))


def test_five_failed_logins_for_a_name_refuse_it_whoever_it_is(desk: LiveApi) -> None:
    add_user(desk, "钱七", "钱七 has a desk password")
    with from_address(desk, "127.0.0.2") as guesser, from_address(desk, "127.0.0.3") as owner:
        for name in ("钱七", "无此人"):  # a user, and a name that is nobody's
            assert all(failed(attempt(guesser, name, "a wrong guess")) for _ in range(5))
        user = attempt(owner, "钱七", "钱七 has a desk password")  # right, yet refused
        nobody = attempt(owner, "无此人", TOKEN)
        assert refusal(user) == refusal(nobody)  # the same answer: no name is told apart
        assert logs_in(attempt(owner, "另一人", TOKEN))  # another name from any address


def test_a_login_clears_its_names_failed_count(desk: LiveApi) -> None:
    with from_address(desk, "127.0.0.4") as client:
        for _ in range(2):
            assert all(failed(attempt(client, "孙八", "a wrong guess")) for _ in range(4))
            assert logs_in(attempt(client, "孙八", TOKEN))  # 8 failures, never 5 in a row


def test_twenty_failed_logins_from_an_address_refuse_it_whatever_the_name(desk: LiveApi) -> None:
    with from_address(desk, "127.0.0.5") as guesser, from_address(desk, "127.0.0.6") as other:
        for number in range(20):
            assert failed(attempt(guesser, f"猜{number}", "a wrong guess"))
        refusal(attempt(guesser, "周九", TOKEN))
        assert logs_in(attempt(other, "周九", TOKEN))
