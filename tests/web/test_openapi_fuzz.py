"""Schemathesis holds the JSON API to its OpenAPI document (/api/v1/openapi.json).

Every operation of the document gets requests generated from it, valid ones and invalid ones,
sent to the real app (database, Redis, rate limiter), as a stranger, a patient with their
access token, and each staff role with an API token. Each answer must not be a server error,
must use a status code the document lists for the operation, and must match its content type,
headers and JSON Schema.

Why not `@schema.parametrize()`: schemathesis 4.32's pytest plugin gives every operation the
same node id under pytest 9.2 (and its fixture loader fails there), so the operations are
parametrized here by hand and each runs as an ordinary Hypothesis test through
`APIOperation.as_strategy()`. The generation is derandomized, so CI sees the same requests on
every run; a fixed budget of examples per operation keeps a run under a minute per backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from intake.api.openapi import openapi_document
from tests.conftest import build_app, empty_redis_url, migrated_database, valid_intake
from tests.staff.helpers import make_staff, routed_case
from workflows.staff.accounts import issue_api_token

SCHEMA = schemathesis.openapi.from_dict(openapi_document())
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
]
STAFF = {"coordinator": "coord@test", "physician": "tx@test", "admin": "admin@test"}


@dataclass(frozen=True)
class Caller:
    """Who sends the generated requests, and which of their parts are fixed."""

    name: str
    token: str | None = None  # "patient" or a staff role: whose bearer token goes in the header
    known_id: bool = False  # the id in the path is a real case rather than a generated one
    examples: int = 40


ANONYMOUS = Caller("anonymous")
CALLERS: dict[str, list[Caller]] = {
    "POST /api/v1/intakes": [Caller("anonymous", examples=80)],
    "GET /api/v1/intakes/{id}": [
        ANONYMOUS,
        Caller("patient", token="patient", examples=20),
        Caller("patient-own-case", token="patient", known_id=True, examples=5),
    ],
    "GET /api/v1/cases/{id}": [
        ANONYMOUS,
        *(Caller(role, token=role, examples=20) for role in STAFF),
        *(Caller(f"{role}-known-case", token=role, known_id=True, examples=5) for role in STAFF),
    ],
    "GET /api/v1/cases/{id}/fhir": [
        ANONYMOUS,
        *(Caller(role, token=role, examples=10) for role in STAFF),
        *(Caller(f"{role}-known-case", token=role, known_id=True, examples=3) for role in STAFF),
    ],
    "GET /api/v1/queue": [ANONYMOUS, *(Caller(role, token=role, examples=25) for role in STAFF)],
    "GET /fhir/Questionnaire/ldn-intake": [Caller("anonymous", examples=10)],
    "GET /healthz": [Caller("anonymous", examples=30)],
    "GET /api/v1/openapi.json": [Caller("anonymous", examples=5)],
}


def test_every_operation_of_the_document_is_fuzzed() -> None:
    labels = {result.ok().label for result in SCHEMA.get_all_operations()}
    assert labels == set(CALLERS)


def test_the_document_is_valid_openapi_3_1_and_is_what_the_app_serves(client: Any) -> None:
    SCHEMA.validate()
    served = client.get("/api/v1/openapi.json").get_json()
    assert served == openapi_document() and served["openapi"] == "3.1.0"
    assert "Intake" in served["components"]["schemas"]


@pytest.fixture(scope="module")
def fuzz_app(
    tmp_path_factory: pytest.TempPathFactory, redis_server: Any, postgres_admin_url: str | None
) -> Iterator[Any]:
    """One app (real database and Redis) for every operation: building one per test would
    spend more time on migrations and password hashing than on the requests."""
    folder = tmp_path_factory.mktemp("fuzz")
    with migrated_database(folder, postgres_admin_url) as database_url:
        # The API's rate limit (30 a minute) would answer 429 to most generated submissions
        # and hide what the app does with them; the limit itself is tested in test_security.py.
        yield build_app(
            folder, empty_redis_url(redis_server), database_url, API_RATE_LIMIT_PER_MINUTE=100_000
        )


@pytest.fixture(scope="module")
def known(fuzz_app: Any) -> dict[str, Any]:
    """Staff of each role with API tokens, a routed case in the physician queue (TX), a case
    on the waitlist, and an intake submitted by a patient with its access token."""
    make_staff(fuzz_app)
    sessions = fuzz_app.extensions["ldn"].sessions
    routed = routed_case(fuzz_app, valid_intake())
    elsewhere = valid_intake()
    elsewhere["patient"]["state_of_residence"] = "OR"
    routed_case(fuzz_app, elsewhere)
    submitted = fuzz_app.test_client().post("/api/v1/intakes", json=valid_intake()).get_json()
    tokens = {role: issue_api_token(sessions, email) for role, email in STAFF.items()}
    tokens["patient"] = submitted["access_token"]
    ids = {"patient": submitted["id"], **dict.fromkeys(STAFF, routed.public_id)}
    return {"tokens": tokens, "ids": ids}


def _cases(label: str, caller: Caller, known: dict[str, Any]) -> st.SearchStrategy[Any]:
    operation = SCHEMA.find_operation_by_label(label)
    fixed: dict[str, Any] = {}
    if caller.token:
        fixed["headers"] = {"Authorization": f"Bearer {known['tokens'][caller.token]}"}
    if caller.known_id:
        fixed["path_parameters"] = {"id": known["ids"][caller.token]}
    # Valid requests and invalid ones (wrong types, missing or extra fields, bad values).
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    return st.one_of(*(operation.as_strategy(mode, **fixed) for mode in modes))


@pytest.mark.slow  # hundreds of generated requests per operation
@pytest.mark.parametrize(
    ("label", "caller"),
    [(label, caller) for label, callers in CALLERS.items() for caller in callers],
    ids=lambda value: value.name if isinstance(value, Caller) else value,
)
def test_the_api_keeps_to_its_openapi_document(
    fuzz_app: Any, known: dict[str, Any], label: str, caller: Caller
) -> None:
    @settings(
        max_examples=caller.examples,
        deadline=None,
        derandomize=True,
        database=None,
        # Shrinking a failure re-sends many requests; the first failing case is reported as is.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=_cases(label, caller, known))
    def requests_keep_to_the_document(case: Any) -> None:
        timeout = (case.query or {}).get("timeout")
        if label == "GET /healthz" and isinstance(timeout, float) and 0 < timeout <= 0.5:
            # A valid timeout is waited out in full by the workers' ping: keep it short.
            case.query["timeout"] = min(timeout, 0.05)
        case.call_and_validate(app=fuzz_app, checks=CHECKS)

    requests_keep_to_the_document()
