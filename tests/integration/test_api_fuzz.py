"""Property-based requests from the API's own OpenAPI document (schemathesis): whatever a
client sends that the document allows (positive) or nearly allows (negative), the server
never answers 5xx.

Hypothesis drives each operation's strategy directly (schemathesis' pytest loader does not
run under pytest 9.2), a few examples per operation to stay well under a minute, against a
store with a report in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from live import TOKEN, LiveApi, start_api
from schemathesis.checks import not_a_server_error

AUTH = {"Authorization": f"Bearer {TOKEN}"}
EXAMPLES = 50  # per operation and mode


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory, devset: Path) -> Iterator[LiveApi]:
    api = start_api(tmp_path_factory.mktemp("fuzz"), GONGKAI_MAX_UPLOAD_MB="1")
    job = api.upload("dev-01.pdf", (devset / "dev-01.pdf").read_bytes()).json()["job"]
    assert api.finished(job)["state"] == "succeeded"
    yield api
    api.stop()


@pytest.mark.parametrize(
    "mode", [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
)
def test_no_request_makes_a_server_error(
    fuzzed: LiveApi, mode: schemathesis.GenerationMode
) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzzed.url}/openapi.json", headers=AUTH)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 14
    exercised: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy(mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def never_5xx(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=fuzzed.url, headers=AUTH, checks=[not_a_server_error])

        try:
            never_5xx()
        except Unsatisfiable:  # nothing to make invalid: no parameters, no body
            assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label
            continue
        exercised.append(operation.label)
    assert len(exercised) >= 9, exercised
