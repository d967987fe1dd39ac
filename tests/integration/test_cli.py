"""`gongkai parse` as a user meets it.

The first part runs the real CLI as a subprocess on real files; the second runs `main()` in
process with a stand-in pipeline, to pin down output layout and exit codes whatever the
parser does.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from paths import DEVSET, ROOT
from readonly import run_read_only

from extract.errors import CorruptFile, EmptyFile, ExitCode
from worker import cli
from worker.cli.parse import exit_code
from worker.files import safe_component

GOOD = DEVSET / "dev-01.pdf"
GOOD_2 = DEVSET / "dev-06.pdf"


def run_cli(*args: object, stdout: Any = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "worker.cli", *map(str, args)],
        stdout=stdout,
        stderr=subprocess.PIPE,
        encoding="utf-8",
        timeout=300,
        check=False,
    )


def truth_of(path: Path) -> dict[str, Any]:
    return json.loads(path.with_name(f"{path.stem}.truth.json").read_text(encoding="utf-8"))


def _empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    return path


def _noise(tmp_path: Path) -> Path:
    path = tmp_path / "noise.bin"
    path.write_bytes(random.Random(7).randbytes(4096))
    return path


def _truncated(tmp_path: Path) -> Path:
    path = tmp_path / "truncated.pdf"
    data = GOOD.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _not_a_report(tmp_path: Path) -> Path:
    path = tmp_path / "minutes.txt"
    path.write_text(
        "办公室周例会会议纪要\n\n本周五下午，办公室召开周例会，传达了上级会议精神，"
        "并对下一阶段的档案整理和值班安排作了部署。\n",
        encoding="utf-8",
    )
    return path


BUDGET = """某某县财政局2024年部门预算公开说明
一、部门基本情况
本部门共有行政编制25名，事业编制12名。
二、收支预算总体情况
项目\t预算数\t上年数\t增减
一般公共预算拨款收入\t1532.6\t1498.2\t34.4
政府性基金预算拨款收入\t0\t0\t0
三、“三公”经费预算情况
因公出国（境）费\t0\t0\t0
公务接待费\t3.2\t3.5\t-0.3
"""
WORK_PLAN = """某某县2023年政务公开工作要点
一、深化政府信息公开
（一）做好2022年政府信息公开工作年度报告编制发布工作，1月31日前完成。
（二）规范性文件\t12\t0\t3
行政许可\t1
二、依法办理行政复议、行政诉讼
行政复议\t3\t0\t0\t0\t3
"""


def _budget(tmp_path: Path) -> Path:
    path = tmp_path / "budget.txt"
    path.write_text(BUDGET, encoding="utf-8")
    return path


def _work_plan(tmp_path: Path) -> Path:
    path = tmp_path / "plan.txt"
    path.write_text(WORK_PLAN, encoding="utf-8")
    return path


def _readme(tmp_path: Path) -> Path:
    path = tmp_path / "README.md"
    shutil.copy(ROOT / "README.md", path)
    return path


def _pdf_of_lines(path: Path, lines: list[str]) -> Path:
    """A text PDF of these lines in a built-in Chinese font (no font file needed)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    page = canvas.Canvas(str(path))
    page.setFont("STSong-Light", 11)
    for number, line in enumerate(lines):
        page.drawString(60, 780 - 18 * number, line.replace("\t", "    "))
    page.save()
    return path


def _work_plan_pdf(tmp_path: Path) -> Path:
    return _pdf_of_lines(tmp_path / "plan.pdf", WORK_PLAN.splitlines())


def _invoice_pdf(tmp_path: Path) -> Path:
    lines = ["Invoice 2023-117", "Item    Qty    Price", "Paper    12    3.50", "Total    42.00"]
    return _pdf_of_lines(tmp_path / "invoice.pdf", lines)


def _broken_image(tmp_path: Path) -> Path:
    path = tmp_path / "scan.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + random.Random(7).randbytes(64))
    return path


BAD_INPUTS: dict[str, tuple[Callable[[Path], Path], ExitCode]] = {
    "empty": (_empty, ExitCode.empty_file),
    "random-bytes": (_noise, ExitCode.unsupported_input),
    "truncated-pdf": (_truncated, ExitCode.corrupt_file),
    "not-a-report": (_not_a_report, ExitCode.not_a_report),
    "budget-text": (_budget, ExitCode.not_a_report),
    "work-plan-notice": (_work_plan, ExitCode.not_a_report),
    "work-plan-notice-pdf": (_work_plan_pdf, ExitCode.not_a_report),
    "readme": (_readme, ExitCode.not_a_report),
    "random-pdf": (_invoice_pdf, ExitCode.not_a_report),
    "broken-image": (_broken_image, ExitCode.corrupt_file),
}


def test_one_file_prints_one_pretty_json_document() -> None:
    result = run_cli("parse", GOOD)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.count("\n") > 10  # indented
    report = json.loads(result.stdout)
    truth = truth_of(GOOD)
    assert (report["agency"], report["year"]) == (truth["agency"], truth["year"])
    assert "长沙" in result.stdout  # not \u-escaped


def test_compact_one_file_is_one_line() -> None:
    result = run_cli("parse", "--compact", GOOD)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1
    json.loads(result.stdout)


def test_two_files_print_json_lines_in_argument_order() -> None:
    result = run_cli("parse", GOOD_2, GOOD)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    agencies = [json.loads(line)["agency"] for line in lines]
    assert agencies == [truth_of(GOOD_2)["agency"], truth_of(GOOD)["agency"]]


def test_out_writes_agency_year_json_and_prints_paths(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("parse", GOOD, GOOD_2, "--out", out)
    assert result.returncode == 0, result.stderr
    expected = [out / truth_of(p)["agency"] / f"{truth_of(p)['year']}.json" for p in (GOOD, GOOD_2)]
    assert [Path(line) for line in result.stdout.splitlines()] == expected
    for path in expected:
        assert json.loads(path.read_text(encoding="utf-8"))["agency"] == path.parent.name
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_out_never_writes_over_another_documents_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    edition = tmp_path / "corrected.pdf"  # the same report, other bytes: another document
    edition.write_bytes(GOOD.read_bytes() + b"\n% corrected edition\n")
    wanted = out / truth_of(GOOD)["agency"] / f"{truth_of(GOOD)['year']}.json"
    assert run_cli("parse", GOOD, "--out", out).returncode == 0

    second = run_cli("parse", edition, "--out", out)

    assert second.returncode == 0, second.stderr
    sha256 = hashlib.sha256(edition.read_bytes()).hexdigest()
    beside = wanted.with_name(f"{wanted.stem}.{sha256[:12]}.json")
    assert second.stdout.splitlines() == [str(beside)]
    assert second.stderr.splitlines() == [
        f"gongkai: {edition}: {wanted} holds another document; written to {beside}"
    ]
    assert json.loads(beside.read_text(encoding="utf-8"))["source"]["sha256"] == sha256
    first = json.loads(wanted.read_text(encoding="utf-8"))["source"]["sha256"]
    assert first == hashlib.sha256(GOOD.read_bytes()).hexdigest()

    again = run_cli("parse", GOOD, edition, "--out", out)  # the same documents: in place

    assert again.returncode == 0 and again.stderr.count("holds another document") == 1
    assert again.stdout.splitlines() == [str(wanted), str(beside)]
    assert sorted(wanted.parent.iterdir()) == sorted([wanted, beside])


def test_out_that_is_a_file_is_one_line_and_exit_11(tmp_path: Path) -> None:
    out = tmp_path / "reports.json"
    out.write_text("mine", encoding="utf-8")

    result = run_cli("parse", GOOD, GOOD_2, "--out", out)

    assert result.returncode == ExitCode.file_access
    assert result.stdout == ""
    assert result.stderr == f"gongkai: --out {out}: not a directory\n"
    assert out.read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize(
    ("where", "reason"),
    [("reports", "cannot create the folder: Read-only file system"), ("", "not writable")],
)
def test_out_on_a_read_only_file_system_is_one_line_and_exit_11(
    tmp_path: Path, where: str, reason: str
) -> None:
    volume = tmp_path / "volume"
    volume.mkdir()
    out = volume / where if where else volume

    result = run_read_only(
        volume, [sys.executable, "-m", "worker.cli", "parse", str(GOOD), "--out", str(out)]
    )

    assert result.returncode == ExitCode.file_access, result.stderr
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"gongkai: --out {out}: ") and reason in result.stderr


@pytest.mark.parametrize("kind", BAD_INPUTS)
def test_bad_input_gives_one_stderr_line_and_its_exit_code(kind: str, tmp_path: Path) -> None:
    make, code = BAD_INPUTS[kind]
    path = make(tmp_path)
    before = path.read_bytes()

    result = run_cli("parse", path)

    assert result.returncode == code, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"gongkai: {path}: ")
    assert path.read_bytes() == before


def test_good_and_bad_file_prints_the_good_json_and_fails(tmp_path: Path) -> None:
    empty = _empty(tmp_path)
    result = run_cli("parse", empty, GOOD)
    assert result.returncode == ExitCode.empty_file
    assert json.loads(result.stdout)["agency"] == truth_of(GOOD)["agency"]
    assert result.stderr.startswith(f"gongkai: {empty}: ")


def test_failures_of_several_kinds_exit_1_and_leave_inputs_untouched(tmp_path: Path) -> None:
    bad = [make(tmp_path) for make, _ in BAD_INPUTS.values()]
    inputs = [GOOD, *bad]
    before = {path: path.read_bytes() for path in inputs}

    result = run_cli("parse", *inputs)

    assert result.returncode == ExitCode.several_kinds
    assert len(result.stdout.splitlines()) == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert [line.split(": ")[1] for line in lines] == [str(path) for path in bad]
    assert {path: path.read_bytes() for path in inputs} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in bad)


def test_closed_stdout_ends_quietly() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will read: the first write fails with EPIPE
    try:
        result = run_cli("parse", GOOD, GOOD_2, stdout=write_end)
    finally:
        os.close(write_end)
    assert result.returncode == 128 + signal.SIGPIPE  # as a tool killed by SIGPIPE
    assert result.stderr == ""


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("gongkai ")


# --- in process, with a stand-in pipeline --------------------------------------------------


def _fake_process_file(path: Path, options: object = None) -> dict[str, Any]:
    if path.name.startswith("corrupt"):
        raise CorruptFile("cannot read the PDF structure")
    if path.name.startswith("empty"):
        raise EmptyFile("the file is empty")
    if path.name.startswith("bug"):
        raise KeyError("total")
    agency = {"noagency": None, "evil": "../../e\x00v/i\\l\n局"}.get(path.stem, "某市某局")
    return {
        "agency": agency,
        "year": None if path.stem == "noyear" else 2021,
        "n": path.stem,
        "source": {"sha256": hashlib.sha256(path.name.encode()).hexdigest()},
    }


@pytest.fixture
def fake_pipeline(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("worker.pipeline")
    module.process_file = _fake_process_file  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "worker.pipeline", module)


@pytest.mark.usefixtures("fake_pipeline")
def test_exit_code_of_one_kind_is_that_kind(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["parse", "a.pdf", "corrupt1.pdf", "b.pdf", "corrupt2.pdf"]) == 4
    captured = capsys.readouterr()
    assert [json.loads(line)["n"] for line in captured.out.splitlines()] == ["a", "b"]
    assert captured.err.splitlines() == [
        "gongkai: corrupt1.pdf: cannot read the PDF structure",
        "gongkai: corrupt2.pdf: cannot read the PDF structure",
    ]


@pytest.mark.usefixtures("fake_pipeline")
def test_unexpected_exception_is_an_internal_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["parse", "bug.pdf"]) == ExitCode.internal
    assert capsys.readouterr().err == "gongkai: bug.pdf: internal error: KeyError: 'total'\n"
    assert cli.main(["parse", "bug.pdf", "empty.pdf"]) == ExitCode.several_kinds
    with pytest.raises(KeyError):
        cli.main(["parse", "--debug", "bug.pdf"])


@pytest.mark.usefixtures("fake_pipeline")
def test_out_paths_are_safe_and_fall_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = ["evil.pdf", "noagency.pdf", "noyear.pdf"]
    assert cli.main(["parse", "--out", str(tmp_path), *files]) == 0
    written = [Path(line) for line in capsys.readouterr().out.splitlines()]
    assert written == [
        tmp_path / "___ev_i_l局" / "2021.json",
        tmp_path / "_unknown-agency" / "2021.json",
        tmp_path / "某市某局" / "unknown-year.json",
    ]
    assert all(path.is_file() for path in written)


@pytest.mark.usefixtures("fake_pipeline")
def test_out_leaves_a_file_that_is_not_a_report_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "某市某局" / "2021.json"
    notes.parent.mkdir()
    notes.write_text("my notes", encoding="utf-8")

    assert cli.main(["parse", "--out", str(tmp_path), "a.pdf"]) == 0

    sha256 = hashlib.sha256(b"a.pdf").hexdigest()
    written = notes.with_name(f"2021.{sha256[:12]}.json")
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [str(written)]
    assert captured.err == f"gongkai: a.pdf: {notes} holds another document; written to {written}\n"
    assert notes.read_text(encoding="utf-8") == "my notes"
    assert json.loads(written.read_text(encoding="utf-8"))["n"] == "a"


def test_exit_code_rules() -> None:
    assert exit_code([]) == ExitCode.ok
    assert exit_code([ExitCode.not_a_report] * 3) == ExitCode.not_a_report
    assert exit_code([ExitCode.not_a_report, ExitCode.internal]) == ExitCode.several_kinds


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("某市某局", "某市某局"),
        ("..", ""),
        ("...", ""),
        ("a/../b", "a___b"),
        (".hidden", "hidden"),
        ("a\tb\u200bc", "abc"),
        ("局" * 100, "局" * 66),  # 3 bytes each, cut to 200 bytes on a character boundary
    ],
)
def test_safe_component(name: str, expected: str) -> None:
    assert safe_component(name) == expected
