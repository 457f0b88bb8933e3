"""Property-based requests generated from the OpenAPI document: none may answer 5xx, and every
answer must match what the document says of it (its status, content type and JSON schema).

Schemathesis draws the requests; Hypothesis runs a few per operation (kept small for CI time).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import Api, explain

EXAMPLES = 8
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.mark.slow
def test_generated_requests_get_documented_answers(api: Api) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", api.client.app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 44
    checked: dict[str, int] = {}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: schemathesis.Case) -> None:
            response = case.call(headers=api.auth("root"))
            try:
                case.validate_response(response, checks=CHECKS)
            except (Failure, FailureGroup) as failure:
                failures.append(
                    f"{case.method} {case.formatted_path}: {response.status_code} {explain(failure)}"[:600]
                )
            if response.status_code < 300:
                checked[case.operation.label] = checked.get(case.operation.label, 0) + 1

        run()
    assert not failures, "\n".join(failures[:10])
    # Successes too, not only refusals of bad input (random input seldom names a real metric or
    # customer: test_contracts.py calls every operation with good input).
    assert len(checked) >= 15, sorted({o.label for o in operations} - set(checked))
