"""What an archive takes away, from the command line in embedded mode: rule 5 across years,
BagIt bags, exports, and the post-process hook.

Three years of one agency are made from a real report's text (平潭综合实验区 2021) by
changing its year, and its carried-over row for 2022 so that 2022 follows on from 2021;
2023 keeps the 2021 numbers, so it does not follow on from 2022.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import bagit
import pytest
from live import GONGKAI, base_env
from openpyxl import load_workbook
from paths import PINGTAN
from readonly import run_read_only

from extract.errors import ExitCode
from schemas.fields import catalogue

AGENCY = "平潭综合实验区"
HOOK = """
import json, os, sys
record = {"argv": sys.argv[1:], **{k: v for k, v in os.environ.items() if k.startswith("GONGKAI_")}}
with open(os.environ["HOOK_RECORD"], "a", encoding="utf-8") as out:
    out.write(json.dumps(record, ensure_ascii=False) + "\\n")
"""


def _year(year: int, follows_on: bool) -> bytes:
    text = PINGTAN.read_text(encoding="utf-8")
    text = text.replace(f"{AGENCY}2021年度", f"{AGENCY}{year}年度")
    if follows_on:  # 2021 carried one application forward
        text = text.replace(
            "二、上年结转政府信息公开申请数量0000000", "二、上年结转政府信息公开申请数量1000001"
        )
    return text.encode()


class Archive:
    """A data folder and inbox, driven through `gongkai`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.inbox = root / "inbox"
        self.inbox.mkdir()
        self.record = root / "hook.jsonl"
        (root / "hook.py").write_text(HOOK, encoding="utf-8")
        command = f"{sys.executable} {root / 'hook.py'} --note 'two words'"
        self.env = base_env(
            root / "data",
            GONGKAI_WATCH_INTERVAL="0.05",
            GONGKAI_WATCH_SETTLE="0",
            GONGKAI_POST_PROCESS_COMMAND=command,
            GONGKAI_API_TOKEN="not-for-the-hook",
            HOOK_RECORD=str(self.record),
        )

    def run(self, *args: object) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [GONGKAI, *map(str, args)], env=self.env, capture_output=True, timeout=120
        )

    def store(self, files: dict[str, bytes]) -> None:
        for name, data in files.items():
            (self.inbox / name).write_bytes(data)
        done = self.run("watch", "--once", self.inbox)
        assert done.returncode == 0, done.stderr.decode()

    def show(self, year: int) -> dict[str, Any]:
        shown = self.run("results", "show", AGENCY, year)
        assert shown.returncode == 0, shown.stderr.decode()
        return json.loads(shown.stdout)  # type: ignore[no-any-return]

    def hook_calls(self) -> list[dict[str, Any]]:
        lines = self.record.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, devset: Path, pingtan: Path) -> Archive:
    """2022 and 2023 stored first, then 2021 (the earlier year arriving later), and dev-01."""
    made = Archive(tmp_path_factory.mktemp("archive"))
    made.store({"2022.txt": _year(2022, True), "2023.txt": _year(2023, False)})
    made.store(
        {"2021.txt": pingtan.read_bytes(), "dev-01.pdf": (devset / "dev-01.pdf").read_bytes()}
    )
    return made


def _rule5(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [check for check in report["checks"] if check["rule"] == "rule5"]


def test_rule5_compares_carried_over_with_last_years_carried_forward(archive: Archive) -> None:
    reports = {year: archive.show(year) for year in (2021, 2022, 2023)}
    assert _rule5(reports[2021]) == []  # no 2020 stored
    assert len(_rule5(reports[2022])) == len(_rule5(reports[2023])) == 7
    for year in (2022, 2023):
        last = reports[year - 1]["applications"]["carried_forward"]
        this = reports[year]["applications"]["carried_over"]
        for check in _rule5(reports[year]):
            column = check["detail"].split(":")[0]
            assert check["ok"] == (this[column] == last[column])
            assert f"{year - 1} carried_forward {last[column]}" in check["detail"]
    assert all(check["ok"] for check in _rule5(reports[2022]))  # 2021 stored after 2022
    failed = [check["detail"] for check in _rule5(reports[2023]) if check["ok"] is False]
    assert failed == [
        "natural_person: carried_over 0 ≠ 2022 carried_forward 1",
        "total: carried_over 0 ≠ 2022 carried_forward 1",
    ]


def test_a_bag_validates_and_holds_what_results_show_prints(archive: Archive) -> None:
    bags = archive.root / "bags"
    made = archive.run("bag", AGENCY, 2022, bags)
    assert made.returncode == 0, made.stderr.decode()
    path = Path(made.stdout.decode().strip())
    assert path == bags / f"{AGENCY}_2022_v1"
    bag = bagit.Bag(str(path))
    bag.validate()  # checksums, Payload-Oxum, completeness
    assert bag.algorithms == ["sha256"]

    shown = archive.run("results", "show", AGENCY, 2022).stdout
    assert (path / "data" / "objects" / "report.json").read_bytes() == shown
    original = path / "data" / "objects" / "original" / "2022.txt"
    assert original.read_bytes() == _year(2022, True)
    sha256 = hashlib.sha256(original.read_bytes()).hexdigest()
    assert bag.info["External-Identifier"] == f"sha256:{sha256}"
    assert bag.info["Source-Organization"] == AGENCY
    assert bag.info["Bagging-Date"] and AGENCY in bag.info["External-Description"]

    with (path / "data" / "metadata" / "metadata.csv").open(encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert list(rows[0])[:8] == [
        "filename", "dc.title", "dc.creator", "dc.date", "dc.type", "dc.format",
        "dc.identifier", "dc.language",
    ]  # fmt: skip
    objects = sorted(
        str(p.relative_to(path / "data"))
        for p in (path / "data" / "objects").rglob("*")
        if p.is_file()
    )
    assert sorted(row["filename"] for row in rows) == objects
    first = rows[0]
    assert (first["filename"], first["dc.format"], first["dc.date"]) == (
        "objects/original/2022.txt",
        "text/plain",
        "2022",
    )
    assert first["dc.creator"] == AGENCY and first["dc.identifier"] == f"urn:sha256:{sha256}"

    report = json.loads(shown)
    with (path / "data" / "objects" / "tables" / "applications.csv").open(encoding="utf-8") as f:
        table = {row["row"]: row for row in csv.DictReader(f)}
    assert list(table) == list(report["applications"])
    assert table["carried_over"]["label"] == "二、上年结转政府信息公开申请数量"
    assert table["new_received"]["total"] == str(report["applications"]["new_received"]["total"])

    again = archive.run("bag", "--all", bags, "--agency", AGENCY)
    assert again.returncode == 0
    assert again.stdout.decode().splitlines() == [
        f"{bags / f'{AGENCY}_{year}_v1'}{' (exists)' if year == 2022 else ''}"
        for year in (2021, 2022, 2023)
    ]
    for year in (2021, 2023):
        bagit.Bag(str(bags / f"{AGENCY}_{year}_v1")).validate()
    (path / "data" / "objects" / "report.json").write_text("{}", encoding="utf-8")
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(path)).validate()  # the manifests do catch a change


def test_an_existing_bag_that_fails_validation_is_an_error_and_is_kept(
    archive: Archive, tmp_path: Path
) -> None:
    bags = tmp_path / "bags"
    path = Path(archive.run("bag", AGENCY, 2021, bags).stdout.decode().strip())
    report = path / "data" / "objects" / "report.json"
    tampered = report.read_bytes().replace(b'"year": 2021', b'"year": 2020', 1)
    report.write_bytes(tampered)  # the same size: only the checksum tells

    again = archive.run("bag", AGENCY, 2021, bags)

    assert again.returncode == ExitCode.corrupt_file
    assert again.stdout == b""
    assert again.stderr.decode().splitlines() == [
        f"gongkai: {path}: the bag fails validation (data/objects/report.json changed); "
        "left as it is: move it away to make it again"
    ]
    assert report.read_bytes() == tampered

    every = archive.run("bag", "--all", bags, "--agency", AGENCY)

    assert every.returncode == ExitCode.corrupt_file
    assert every.stdout.decode().splitlines() == [
        str(bags / f"{AGENCY}_{year}_v1") for year in (2022, 2023)
    ]
    assert len(every.stderr.decode().splitlines()) == 1

    shutil.rmtree(path)
    shutil.copytree(bags / f"{AGENCY}_2022_v1", path)  # a valid bag, of another document
    other = archive.run("bag", AGENCY, 2021, bags)
    assert other.returncode == ExitCode.corrupt_file
    assert f"{path}: the bag holds sha256:" in other.stderr.decode()


@pytest.mark.parametrize("command", ["export", "bag"])
def test_writing_to_a_read_only_file_system_is_one_line_and_exit_11(
    archive: Archive, tmp_path: Path, command: str
) -> None:
    volume = tmp_path / "volume"
    volume.mkdir()
    arguments = {
        "export": ["export", "csv", "--out", str(volume / "reports.csv")],
        "bag": ["bag", AGENCY, "2021", str(volume / "bags")],
    }[command]

    done = run_read_only(volume, [str(GONGKAI), *arguments], env=archive.env)

    assert done.returncode == ExitCode.file_access, done.stderr
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("gongkai: cannot ") and "Read-only file system" in done.stderr


def test_bag_arguments_and_missing_reports(archive: Archive) -> None:
    assert archive.run("bag", AGENCY, archive.root / "x").returncode == ExitCode.usage
    assert archive.run("bag", "--all", "a", "b").returncode == ExitCode.usage
    assert archive.run("bag", "--all", "a", "--version", "1").returncode == ExitCode.usage
    (archive.root / "a-file").write_text("")
    unwritable = archive.run("bag", AGENCY, 2021, archive.root / "a-file")
    assert unwritable.returncode == ExitCode.file_access, unwritable.stderr
    assert unwritable.stderr.decode().startswith("gongkai: cannot write the bag ")
    missing = archive.run("bag", AGENCY, 2019, archive.root / "x")
    assert missing.returncode == ExitCode.not_found
    assert archive.run("bag", AGENCY, 2022, archive.root / "x", "--version", "2").returncode == 13


def test_exports_one_row_per_report_and_one_column_per_cell(archive: Archive) -> None:
    selected = ["--agency", "平潭", "--year-from", "2022", "--year-to", "2023"]
    exported = archive.run("export", "csv", *selected)
    assert exported.returncode == 0, exported.stderr.decode()
    rows = list(csv.reader(io.StringIO(exported.stdout.decode())))
    header = rows[0]
    assert header[:2] == ["agency", "year"] and len(rows) == 3
    assert header[:5] == ["agency", "year", "edition", "version", "status"]
    assert header[10:] == [field.path for field in catalogue()]
    by_year = {row[1]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert set(by_year) == {"2022", "2023"}
    for year, row in by_year.items():
        report = archive.show(int(year))
        for field in catalogue():
            value = field.value(report)
            assert row[field.path] == ("" if value is None else str(value)), field.path
    assert (by_year["2022"]["checks_failed"], by_year["2023"]["checks_failed"]) == (
        "rule2",  # its edited carried-over row breaks rule 2 within the year
        "rule5",  # rule 5 is counted too
    )

    zh = archive.run("export", "csv", "--headers", "zh", "--bom", "--agency", "平潭").stdout
    assert zh.startswith("\ufeff机关,年度".encode())
    assert "依申请公开｜二、上年结转政府信息公开申请数量｜总计" in zh.decode("utf-8-sig")

    workbook = archive.root / "reports.xlsx"
    assert archive.run("export", "xlsx", "--out", workbook, *selected).returncode == 0
    sheet = list(load_workbook(workbook)["reports"].values)
    assert list(sheet[0]) == header and len(sheet) == 3
    cell = header.index("active_disclosure/administrative_fees/amount")
    assert {row[cell] for row in sheet[1:]} == {24252.311082}  # numbers stay numbers

    lines = archive.run("export", "jsonl").stdout.decode().splitlines()
    assert [json.loads(line) for line in lines if AGENCY in line][1] == archive.show(2022)
    assert len(lines) == 4


def test_the_post_process_hook_runs_once_per_stored_report(archive: Archive) -> None:
    calls = archive.hook_calls()
    assert sorted((call["GONGKAI_AGENCY"], call["GONGKAI_YEAR"]) for call in calls) == [
        (AGENCY, "2021"),
        (AGENCY, "2022"),
        (AGENCY, "2023"),
        ("长沙市市场监督管理局", "2021"),
    ]
    for call in calls:
        path = Path(call["GONGKAI_RESULT_PATH"])
        assert call["argv"] == ["--note", "two words", str(path)]  # an argument list, no shell
        assert (
            path
            == archive.root
            / "data"
            / "results"
            / call["GONGKAI_AGENCY"]
            / (call["GONGKAI_YEAR"])
            / "v1.json"
        )
        result = json.loads(path.read_text(encoding="utf-8"))
        assert result["source"]["sha256"] == call["GONGKAI_SHA256"]
        assert call["GONGKAI_VERSION"] == "1" and call["GONGKAI_JOB_ID"].startswith("process-")
        assert "GONGKAI_API_TOKEN" not in call  # secrets stay with gongkai
