"""The statuses a stored document is listed with: its review verdict, or `unidentified`
when its agency or year was not read.  Standard library only, so that the command line's
choices load no extra."""

from __future__ import annotations

UNIDENTIFIED = "unidentified"
STATUSES = ("complete", "needs_review", "fragment", "reviewed", UNIDENTIFIED)
