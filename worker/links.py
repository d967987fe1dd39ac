"""The API's paths of jobs and reports, as its answers and the webhook events name them.

One place, so that the `url` of a job's report, of a listed version and of an event can
never disagree; each path segment is percent-encoded (agency names are Chinese and may
hold characters with a meaning in URLs).
"""

from __future__ import annotations

from urllib.parse import quote

from worker.store import keys


def job_url(job: str) -> str:
    return f"/jobs/{quote(job, safe='')}"


def report_url(agency: str | None, year: int | None, version: int | None) -> str:
    """`/reports/<agency>/<year>?version=N`, with the store's placeholders for a fragment."""
    agency_key, year_key = keys(agency, year)
    return f"/reports/{quote(agency_key, safe='')}/{quote(year_key, safe='')}?version={version}"
