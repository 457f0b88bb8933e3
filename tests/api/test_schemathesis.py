"""Property-based requests generated from the OpenAPI document, as an admin, a viewer, a viewer
restricted to one region and an anonymous caller: none may answer 5xx, every answer must match
what the document says of it (its status, content type and JSON schema), an anonymous caller
gets nothing but the public routes, and the restricted viewer never a row of another region.

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

from tests.api.conftest import RESTRICTED_REGION, Api, explain

EXAMPLES = {"root": 8, "vic": 3, "eu": 4, None: 2}  # per operation; the admin reaches the most
PUBLIC = {"POST /api/v1/auth/login", "GET /healthz", "GET /metrics"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def regions_in(answer: object) -> set[str]:
    """Every value under a ``region`` key anywhere in a JSON answer."""
    found: set[str] = set()
    stack = [answer]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("region"), str):
                found.add(item["region"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


@pytest.mark.slow
@pytest.mark.parametrize(
    "user", ["root", "vic", "eu", None], ids=["admin", "viewer", "restricted", "anonymous"]
)
def test_generated_requests_get_documented_answers(api: Api, user: str | None) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", api.client.app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 44
    checked: dict[str, int] = {}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES[user],
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: schemathesis.Case) -> None:
            response = case.call(headers=api.auth(user) if user else {})
            label = f"{case.method} {case.formatted_path}: {response.status_code}"
            try:
                case.validate_response(response, checks=CHECKS)
            except (Failure, FailureGroup) as failure:
                failures.append(f"{label} {explain(failure)}"[:600])
            if user is None and response.status_code < 300 and case.operation.label not in PUBLIC:
                failures.append(f"{label}: answered an anonymous caller")
            if (
                user == "eu"
                and response.status_code < 300
                and "json" in response.headers.get("content-type", "")
            ):
                outside = regions_in(response.json()) - {RESTRICTED_REGION}
                if outside:
                    failures.append(
                        f"{label}: rows of {sorted(outside)} for a viewer restricted to {RESTRICTED_REGION}"
                    )
            if response.status_code < 300:
                checked[case.operation.label] = checked.get(case.operation.label, 0) + 1

        run()
    assert not failures, "\n".join(failures[:10])
    # Successes too, not only refusals of bad input (random input seldom names a real metric or
    # customer: test_contracts.py calls every operation with good input).
    if user == "root":
        assert len(checked) >= 15, sorted({o.label for o in operations} - set(checked))
    elif user is not None:
        assert len(checked) >= 8, sorted(checked)
