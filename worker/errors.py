"""The worker's own errors: its settings, its store, its broker and its deliveries.

They extend the input-file hierarchy of `extract.errors`, so the CLI and the tasks report
them the same way (one line, an exit code), but the readers never raise them.
"""

from __future__ import annotations

from extract.errors import ExitCode, GongkaiError


class InvalidSetting(GongkaiError):
    """A GONGKAI_* environment variable holds a value that cannot be used."""

    exit_code = ExitCode.usage
    kind = "invalid_setting"


class NotFound(GongkaiError):
    """The result store has no report under the agency, year or version asked for."""

    exit_code = ExitCode.not_found
    kind = "not_found"


class Unavailable(GongkaiError):
    """The database or the broker cannot be reached."""

    exit_code = ExitCode.unavailable
    kind = "unavailable"


class StoreConflict(Unavailable):
    """Other writers of the same report kept winning the race for its next version; a
    later attempt gets past them, so the task retries it like a database that is away."""


class DeliveryFailed(GongkaiError):
    """A webhook receiver or the post-process command did not take a finished job's event."""

    exit_code = ExitCode.unavailable
    kind = "delivery_failed"
