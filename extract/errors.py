"""One exception hierarchy for everything that can go wrong with an input file.

Each kind carries its own process exit code, so scripts can tell a corrupt file from an
encrypted one without parsing messages (the OCRmyPDF model).  Messages are one readable
line; the CLI prints `<file>: <message>` and never a traceback for these.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    ok = 0
    several_kinds = 1  # several files failed, for different reasons
    usage = 2  # argparse's own code for bad arguments
    unsupported_input = 3
    corrupt_file = 4
    encrypted = 5
    empty_file = 6
    not_a_report = 7
    missing_dependency = 8
    limit_exceeded = 9
    # 10 was "no text layer": scans are OCR'd now; the code is not reused.
    file_access = 11
    ocr_failed = 12
    not_found = 13
    unavailable = 14
    internal = 15


class GongkaiError(Exception):
    """Base of every error the pipeline reports about one input file."""

    exit_code: ExitCode = ExitCode.internal
    kind: str = "internal"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnsupportedInput(GongkaiError):
    exit_code = ExitCode.unsupported_input
    kind = "unsupported_input"


class CorruptFile(GongkaiError):
    exit_code = ExitCode.corrupt_file
    kind = "corrupt_file"


class EncryptedFile(GongkaiError):
    exit_code = ExitCode.encrypted
    kind = "encrypted"


class EmptyFile(GongkaiError):
    exit_code = ExitCode.empty_file
    kind = "empty_file"


class NotAReport(GongkaiError):
    exit_code = ExitCode.not_a_report
    kind = "not_a_report"


class MissingDependency(GongkaiError):
    exit_code = ExitCode.missing_dependency
    kind = "missing_dependency"


class LimitExceeded(GongkaiError):
    exit_code = ExitCode.limit_exceeded
    kind = "limit_exceeded"


class OcrFailed(GongkaiError):
    """Tesseract crashed, was killed or ran past the page time limit."""

    exit_code = ExitCode.ocr_failed
    kind = "ocr_failed"


class FileAccess(GongkaiError):
    exit_code = ExitCode.file_access
    kind = "file_access"
