"""The API's paths of jobs and documents, as its answers and the webhook events name them.

One place, so that the `url` of a job's report, of a listed document and of an event can
never disagree.  A stored report is linked by its source's SHA-256 (`/documents/<sha256>`),
which every document has, unidentified ones too, and which works whatever characters the
agency's name holds (a `/` in a path segment cannot be routed, even percent-encoded).
"""

from __future__ import annotations

from urllib.parse import quote


def job_url(job: str) -> str:
    return f"/jobs/{quote(job, safe='')}"


def document_url(sha256: str) -> str:
    """`/documents/<sha256>`: the report of that stored document (`/source`: its file)."""
    return f"/documents/{quote(sha256, safe='')}"


def reprocess_url(run: str) -> str:
    """`/reprocess/<run>`: how far a reprocess run is, and what it changed."""
    return f"/reprocess/{quote(run, safe='')}"
