"""`gongkai parse` on inputs that grow when read: a .docx bomb, deeply nested markup.

Each is small on disk and is built here.  Before the markup limits, a 1 MB .docx inflating
to 1 GiB took the parser past 2 GB of memory, and 100,000 nested elements of a web page
ended as an internal error with a RecursionError.  Now each is refused with exit code 9 and
one line on stderr, in bounded time and memory: the CLI runs under a 2 GB address-space
cap, and its peak resident memory is measured by a parent process of its own.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from extract.errors import ExitCode

_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_PARAGRAPH = "<w:p><w:r><w:t>行政许可</w:t></w:r></w:p>".encode()
_MEASURED = """
import json, resource, subprocess, sys, time
cap = lambda: resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
start = time.monotonic()
done = subprocess.run(sys.argv[1:], capture_output=True, encoding="utf-8", preexec_fn=cap)
print(json.dumps({
    "code": done.returncode, "stdout": done.stdout, "stderr": done.stderr,
    "seconds": time.monotonic() - start,
    "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
}))
"""


def _parse_measured(path: Path) -> dict[str, object]:
    """`gongkai parse PATH`: exit code, output, wall time and peak resident memory."""
    command = [sys.executable, "-c", _MEASURED, sys.executable, "-m", "worker.cli", "parse"]
    done = subprocess.run(
        [*command, str(path)], capture_output=True, encoding="utf-8", timeout=300, check=True
    )
    measured: dict[str, object] = json.loads(done.stdout)
    return measured


def _docx_bomb(path: Path, inflated: int) -> Path:
    """A .docx whose document.xml is `inflated` bytes of paragraphs, deflated ~350:1."""
    block = _PARAGRAPH * 30_000
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("word/document.xml", "w", force_zip64=True) as member,
    ):
        member.write(f"<w:document {_NS}><w:body>".encode())
        for _ in range(inflated // len(block)):
            member.write(block)
        member.write(b"</w:body></w:document>")
    return path


def _declaring(path: Path, size: int) -> Path:
    """The same zip with document.xml's uncompressed size in both its headers set to `size`:
    a bomb that lies about what it inflates to."""
    data = bytearray(path.read_bytes())
    for header, name_at, size_at in ((b"PK\x03\x04", 30, 22), (b"PK\x01\x02", 46, 24)):
        at = next(
            found.start() - name_at
            for found in re.finditer(rb"word/document\.xml", data)
            if data.startswith(header, found.start() - name_at)
        )
        data[at + size_at : at + size_at + 4] = size.to_bytes(4, "little")
    path.write_bytes(bytes(data))
    return path


def _assert_refused(measured: dict[str, object], path: Path, code: int, reason: str) -> None:
    assert measured["code"] == code, measured["stderr"]
    assert measured["stdout"] == ""
    lines = str(measured["stderr"]).splitlines()
    assert len(lines) == 1, measured["stderr"]
    assert lines[0].startswith(f"gongkai: {path}: ") and reason in lines[0]
    assert float(measured["peak_mb"]) < 300  # about 40 MB for the CLI itself
    assert float(measured["seconds"]) < 60


def test_a_docx_inflating_to_a_gibibyte_is_refused_by_its_declared_size(tmp_path: Path) -> None:
    bomb = _docx_bomb(tmp_path / "bomb.docx", 1 << 30)
    assert bomb.stat().st_size < 5_000_000

    measured = _parse_measured(bomb)

    _assert_refused(measured, bomb, ExitCode.limit_exceeded, "(GONGKAI_MAX_MARKUP_MB)")


def test_a_docx_bomb_that_lies_about_its_size_is_cut_off_at_the_lie(tmp_path: Path) -> None:
    bomb = _declaring(_docx_bomb(tmp_path / "bomb.docx", 256 << 20), 1_000_000)

    measured = _parse_measured(bomb)

    # zipfile stops at the declared size, and the checksum then shows the lie.
    _assert_refused(measured, bomb, ExitCode.corrupt_file, "Bad CRC-32")


@pytest.mark.parametrize("kind", ["html", "docx"])
def test_100000_nested_elements_are_refused_by_the_depth_limit(kind: str, tmp_path: Path) -> None:
    if kind == "html":
        path = tmp_path / "deep.html"
        path.write_text("<html><body>" + "<div>" * 100_000 + "</body></html>", "utf-8")
    else:
        path = tmp_path / "deep.docx"
        deep = b"<w:customXml>" * 100_000 + _PARAGRAPH + b"</w:customXml>" * 100_000
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(
                "word/document.xml",
                f"<w:document {_NS}><w:body>".encode() + deep + b"</w:body></w:document>",
            )

    measured = _parse_measured(path)

    _assert_refused(measured, path, ExitCode.limit_exceeded, "(GONGKAI_MAX_DEPTH)")
