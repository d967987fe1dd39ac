"""The HTTP API through real HTTP: `gongkai serve` in embedded mode (SQLite under a temporary
data folder) on a free localhost port, and once with a real Celery worker, Redis and
PostgreSQL.  One server is shared by the embedded tests; each test uploads what it reads.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from deployment import REDIS_DB_URL, Cluster
from live import (
    GONGKAI,
    TOKEN,
    WEBHOOK_SECRET,
    LiveApi,
    assert_signed,
    base_env,
    serve_receiver,
    start_api,
)
from paths import DEVSET

from extract.errors import ExitCode
from schemas.validate import load_schema
from worker.ledger import Backlog

MINUTES = "办公室周例会会议纪要\n本周五下午召开周例会，部署下一阶段工作。\n".encode()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    running = start_api(tmp_path_factory.mktemp("api"), GONGKAI_MAX_UPLOAD_MB="1")
    yield running
    running.stop()


def _stored(api: LiveApi, name: str) -> dict[str, object]:
    """Upload a devset file and return its finished job."""
    accepted = api.upload(name, (DEVSET / name).read_bytes())
    assert accepted.status_code == 202, accepted.text
    return api.finished(accepted.json()["job"])


def test_health_is_open_and_everything_else_wants_the_token(api: LiveApi) -> None:
    health = httpx.get(f"{api.url}/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok" and health.json()["mode"] == "embedded"
    paths = ["/reports", "/schema", "/openapi.json", "/jobs/x", "/reports/某局/2021"]
    paths += ["/reports/某局/2021/source", "/reports/某局/2021/history", "/exports/reports.csv"]
    refusals = [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer"]
    for path in paths:
        for authorization in refusals:
            headers = {"Authorization": authorization} if authorization else {}
            answer = httpx.get(f"{api.url}{path}", headers=headers)
            assert answer.status_code == 401, (path, authorization)
            assert answer.json()["error"] == "unauthorized"
            assert answer.headers["WWW-Authenticate"] == "Bearer"
    sneaked = httpx.post(f"{api.url}/documents", files={"file": ("a.pdf", b"%PDF-1.4")})
    assert sneaked.status_code == 401
    assert not list((api.data / "spool").glob("*/*"))  # nothing was taken in
    assert api.client.get("/openapi.json").json()["info"]["title"] == "gongkai"


def test_upload_job_report_source_round_trip(api: LiveApi, devset: Path) -> None:
    data = (devset / "dev-01.pdf").read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    accepted = api.upload("dev-01.pdf", data)
    assert accepted.status_code == 202
    body = accepted.json()
    assert body["sha256"] == sha256 and body["state"] == "queued"
    assert body["job"].startswith(f"process-dev-01.pdf-{sha256[:12]}-")
    assert accepted.headers["Location"] == body["url"] == f"/jobs/{body['job']}"

    job = api.finished(body["job"])
    assert job["state"] == "succeeded" and job["error"] is None
    assert job["report"]["agency"] == "长沙市市场监督管理局" and job["report"]["year"] == 2021
    report = api.client.get(job["report"]["url"]).json()
    shown = api.gongkai("results", "show", "长沙市市场监督管理局", "2021")
    assert shown.returncode == 0, shown.stderr
    assert report == json.loads(shown.stdout)
    parsed = subprocess.run(
        [GONGKAI, "parse", devset / "dev-01.pdf"], capture_output=True, check=True
    )
    assert report == json.loads(parsed.stdout)  # nothing lost on the way through the store

    source = api.client.get("/reports/长沙市市场监督管理局/2021/source")
    assert source.status_code == 200 and source.content == data
    assert source.headers["content-type"] == "application/pdf"
    assert source.headers["content-disposition"] == 'attachment; filename="dev-01.pdf"'
    assert source.headers["x-content-type-options"] == "nosniff"
    assert api.client.get("/reports/长沙市市场监督管理局/2021/source?version=2").status_code == 404

    again = api.upload("copy.pdf", data)  # the same bytes: a job of its own, no new version
    duplicate = api.finished(again.json()["job"])
    assert duplicate["state"] == "duplicate"
    assert duplicate["report"]["version"] == job["report"]["version"]
    history = api.client.get("/reports/长沙市市场监督管理局/2021/history").json()
    assert [(v["version"], v["sha256"]) for v in history] == [(1, sha256)]
    listed = api.client.get("/reports", params={"agency": "长沙市", "year": 2021}).json()
    assert listed["total"] == 1 and listed["items"][0]["url"] == f"/documents/{sha256}"
    assert listed["items"][0]["status"] == report["review"]["status"]
    assert api.client.get(listed["items"][0]["url"]).json() == report
    assert api.client.get(f"/documents/{sha256}/source").content == data
    assert api.client.get(f"/documents/{sha256}/history").json() == history
    assert api.client.get("/schema").json() == load_schema()


def test_a_job_end_kept_while_the_database_was_away_is_what_the_api_reports(
    api: LiveApi,
) -> None:
    ended = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    Backlog(api.data / "ledger-backlog").keep(
        "process-late.pdf-0123456789ab-cdef0123",
        {"state": "succeeded", "filename": "late.pdf", "finished_at": ended, "updated_at": ended},
    )
    answer = api.client.get("/jobs/process-late.pdf-0123456789ab-cdef0123")
    assert answer.status_code == 200, answer.text
    assert (answer.json()["state"], answer.json()["filename"]) == ("succeeded", "late.pdf")


def test_listing_pages_with_a_total(api: LiveApi) -> None:
    for name in ("dev-02.pdf", "dev-04.pdf", "dev-05.pdf"):
        assert _stored(api, name)["state"] == "succeeded"
    everything = api.client.get("/reports").json()
    assert everything["total"] >= 3
    pages = [
        api.client.get("/reports", params={"limit": 2, "offset": offset}).json()
        for offset in range(0, everything["total"], 2)
    ]
    assert all(page["total"] == everything["total"] for page in pages)
    assert [item for page in pages for item in page["items"]] == everything["items"]
    assert api.client.get("/reports", params={"limit": 0}).status_code == 422


def test_numbers_a_database_cannot_hold_are_refused_not_crashed_on(api: LiveApi) -> None:
    huge = str(10**20)  # past SQLite's and PostgreSQL's 64-bit integers
    for path, params in [
        ("/reports/某局/2021", {"version": huge}),
        ("/reports/某局/2021/source", {"version": "0"}),
        ("/reports", {"year": huge}),
        ("/reports", {"offset": huge}),
        ("/exports/reports.csv", {"year_from": huge}),
    ]:
        answer = api.client.get(path, params=params)
        assert answer.status_code == 422, (path, answer.text)
        assert answer.json()["error"] == "invalid_request"
    assert api.client.get("/reports/某局/2021", params={"version": 3}).status_code == 404


def test_bad_uploads_are_refused_with_json(api: LiveApi) -> None:
    big = b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024)
    too_big = api.upload("big.pdf", big)
    assert too_big.status_code == 413 and too_big.json()["error"] == "limit_exceeded"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap is counted as it comes
        boundary = b"--b0undary\r\n"
        yield boundary + b'Content-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n'
        for _ in range(40):
            yield b"%PDF" + b"1" * 65536
        yield b"\r\n--b0undary--\r\n"

    streamed = api.client.post(
        "/documents",
        content=chunks(),
        headers={"Content-Type": "multipart/form-data; boundary=b0undary"},
    )
    assert streamed.status_code == 413 and streamed.json()["error"] == "limit_exceeded"

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("readme.txt", "年度报告".encode())
    refused = {
        "noise.pdf": (bytes(range(256)) * 8, 415, "unsupported_input"),
        "reports.zip": (archive.getvalue(), 415, "unsupported_input"),
        "empty.pdf": (b"", 422, "empty_file"),
        "blank.txt": (b"\xef\xbb\xbf \n\n", 422, "empty_file"),
    }
    for name, (data, status, error) in refused.items():
        answer = api.upload(name, data)
        assert (answer.status_code, answer.json().get("error")) == (status, error), answer.text
        assert answer.json()["detail"]
    no_file = api.client.post("/documents", data={"note": "x"})
    assert no_file.status_code == 422 and no_file.json()["error"] == "invalid_request"
    assert not [p for p in (api.data / "uploads").rglob("*") if p.is_file()]
    assert not list((api.data / "spool").glob("*/*"))

    minutes = api.upload("minutes.txt", MINUTES)  # readable, but not a report: the job fails
    assert minutes.status_code == 202
    failed = api.finished(minutes.json()["job"])
    assert failed["state"] == "failed" and failed["report"] is None
    assert failed["error"]["kind"] == "not_a_report"
    assert failed["error"]["exit_code"] == ExitCode.not_a_report
    assert (api.data / "failed" / "minutes.txt.error.json").is_file()


def test_client_file_names_never_choose_a_path(api: LiveApi, devset: Path) -> None:
    data = (devset / "dev-06.pdf").read_bytes()
    names = {
        "../../../escape.pdf": "escape.pdf",
        "..\\..\\windows.pdf": "windows.pdf",
        "/etc/passwd": "passwd",
        "..": "upload",
        ".hidden.pdf": "hidden.pdf",
        "2021年 报告.pdf": "2021年 报告.pdf",
    }
    for number, (name, safe) in enumerate(names.items()):
        answer = api.upload(name, data + b"\n%% copy %d\n" % number)
        assert answer.status_code == 202, answer.text
        assert answer.json()["filename"] == safe
        job = api.finished(answer.json()["job"])
        assert job["state"] == "succeeded" and job["filename"] == safe
    root = api.data.parent
    outside = [p for p in root.rglob("*") if p.name in ("escape.pdf", "windows.pdf", "passwd")]
    assert outside and all(p.is_relative_to(api.data / "processed") for p in outside)


def test_exports_over_http(api: LiveApi) -> None:
    for name in ("dev-02.pdf", "dev-03.pdf"):  # a duplicate when an earlier test stored it
        assert _stored(api, name)["state"] in ("succeeded", "duplicate")
    report = api.client.get("/reports/郑州市中牟县教育局/2022").json()

    csv = api.client.get("/exports/reports.csv", params={"agency": "郑州市中牟县"})
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    lines = csv.text.splitlines()
    header, row = lines[0].split(","), lines[1].split(",")
    assert len(lines) == 2 and header[:3] == ["agency", "year", "edition"]
    cell = header.index("applications/new_received/total")
    assert row[cell] == str(report["applications"]["new_received"]["total"])

    zh = api.client.get("/exports/reports.csv", params={"headers": "zh", "bom": "true"})
    assert zh.content.startswith(b"\xef\xbb\xbf\xe6\x9c\xba\xe5\x85\xb3")  # BOM, 机关

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(api.client.get("/exports/reports.xlsx").content))
    rows = list(book["reports"].values)
    lines = api.client.get("/exports/reports.jsonl").text.splitlines()
    assert len(rows) - 1 == len(lines) == api.client.get("/reports").json()["total"]
    assert report in [json.loads(line) for line in lines]

    later = api.client.get("/exports/reports.jsonl", params={"year_from": 2022}).text
    assert {json.loads(line)["year"] for line in later.splitlines()} == {2022}
    empty = api.client.get("/exports/reports.csv", params={"year_from": 2023, "year_to": 2020})
    assert empty.status_code == 400 and empty.json()["error"] == "invalid_setting"
    unknown = api.client.get("/exports/reports.pdf")
    assert unknown.status_code == 422 and unknown.json()["error"] == "invalid_request"


def test_serve_refuses_a_public_address_without_a_token(tmp_path: Path) -> None:
    refused = subprocess.run(
        [GONGKAI, "serve", "--host", "0.0.0.0", "--port", "1"],
        env=base_env(tmp_path),
        capture_output=True,
        encoding="utf-8",
        timeout=60,
    )
    assert refused.returncode == ExitCode.usage
    assert refused.stderr.startswith("gongkai: refusing to listen on 0.0.0.0 without ")
    assert "GONGKAI_API_TOKEN" in refused.stderr


def test_serve_refuses_a_public_address_with_a_short_token(tmp_path: Path) -> None:
    refused = subprocess.run(
        [GONGKAI, "serve", "--host", "0.0.0.0", "--port", "1"],
        env=base_env(tmp_path, GONGKAI_API_TOKEN="k"),
        capture_output=True,
        encoding="utf-8",
        timeout=60,
    )
    assert refused.returncode == ExitCode.usage
    assert refused.stderr == (
        "gongkai: refusing to listen on 0.0.0.0 with a GONGKAI_API_TOKEN of 1 characters: "
        "beyond loopback it needs at least 16 (e.g. openssl rand -hex 32), or listen on "
        "127.0.0.1\n"
    )


@pytest.mark.parametrize(
    ("host", "token", "accepted"),
    [
        ("0.0.0.0", "k" * 15, False),
        ("0.0.0.0", "k" * 16, True),
        ("192.0.2.7", "k" * 15, False),
        ("127.0.0.1", "k", True),  # loopback takes any token, or none
        ("::1", None, True),
    ],
)
def test_the_token_must_be_16_characters_beyond_loopback(
    host: str, token: str | None, accepted: bool
) -> None:
    from worker.api import check_exposure
    from worker.errors import InvalidSetting
    from worker.settings import load

    settings = load({} if token is None else {"GONGKAI_API_TOKEN": token})
    if accepted:
        check_exposure(host, settings)
    else:
        with pytest.raises(InvalidSetting, match="at least 16"):
            check_exposure(host, settings)


@pytest.mark.slow
def test_with_a_celery_worker_redis_and_postgresql(
    tmp_path: Path, database: str, devset: Path
) -> None:
    import redis

    redis.Redis.from_url(REDIS_DB_URL).flushdb()
    with serve_receiver(failures=1) as receiver:
        hooks = {"GONGKAI_WEBHOOK_URLS": receiver.url, "GONGKAI_WEBHOOK_SECRET": WEBHOOK_SECRET}
        cluster = Cluster(tmp_path, database, REDIS_DB_URL, **hooks)
        try:
            cluster.start_worker("worker-1", concurrency=1)
            api = start_api(tmp_path, **cluster.env)
            assert api.client.get("/health").json()["mode"] == "broker"
            data = (devset / "dev-03.pdf").read_bytes()
            job = api.finished(api.upload("dev-03.pdf", data).json()["job"], timeout=60)
            assert job["state"] == "succeeded" and job["attempts"] == 1
            report = api.client.get(job["report"]["url"]).json()
            assert report["source"]["sha256"] == hashlib.sha256(data).hexdigest()
            assert api.client.get(f"{job['report']['url'].split('?')[0]}/source").content == data
            assert cluster.out("processed")[0].name == "dev-03.pdf"

            (delivered,) = assert_signed(receiver, jobs=[job["id"]], timeout=30)
            assert delivered["report"]["version"] == 1
            assert len(receiver.attempts) == 2  # the first was answered 500, then retried
            api.stop()
        finally:
            cluster.close()
