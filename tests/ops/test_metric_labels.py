"""No label of /metrics carries personal data or free text: the canary patient, with an invented
medication, goes through the API and the pipeline, and none of their details is in a scrape."""

from __future__ import annotations

from typing import Any

from tests.canary import CANARY_MEDICATION, CANARY_PATIENT
from tests.ops.scrape import scrape, value
from tests.ops.test_metrics import submit_and_route
from tests.test_no_personal_data import SECRETS


def test_the_canary_patient_leaves_no_trace_in_the_metrics(
    client: Any, worker: Any, base_intake: dict[str, Any]
) -> None:
    base_intake["patient"] = dict(CANARY_PATIENT)
    base_intake["medications"] = [{"name": CANARY_MEDICATION, "status": "current"}]
    before = scrape(client)
    case = submit_and_route(client, base_intake)
    # The status page: a path holding the case's id, whose template alone may be a label.
    client.get(f"/api/v1/intakes/{case.public_id}")
    text = client.get("/metrics").get_data(as_text=True)
    for secret in [*SECRETS, case.public_id]:
        assert secret.lower() not in text.lower(), secret
    # The invented medication was counted, as a number only.
    after = scrape(client)
    assert (
        value(after, "ldn_unidentified_medications_total")
        - value(before, "ldn_unidentified_medications_total")
        == 1
    )
