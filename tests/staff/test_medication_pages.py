"""The staff pages of issue 13: the case page's reading of each medication, the queue's filter
on unidentified ones, and the identification form with its errors."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import stored_case, valid_intake
from tests.staff.helpers import csrf, login, make_staff, routed_case
from workflows.cases import pipeline
from workflows.cases.models import Case, MedicationIdentification
from workflows.messaging.mail import DatabaseOutbox
from workflows.staff.models import AuditEntry

UNKNOWN = "white pill from urgent care"


@pytest.fixture
def staff(app: Any) -> dict[str, int]:
    return make_staff(app)


@pytest.fixture
def unknown_case(app: Any, staff: dict[str, int], base_intake: dict[str, Any]) -> Case:
    base_intake["medications"] = [
        {"name": "Norco 10/325", "status": "stopped", "stopped_on": "2026-09-01"},
        {"name": UNKNOWN, "status": "current"},
    ]
    return routed_case(app, base_intake)


@pytest.fixture
def coordinator(app: Any, staff: dict[str, int]) -> Any:
    client = app.test_client()
    login(client, "coord@test")
    return client


def identify(client: Any, case: Case, index: int = 1, **fields: Any) -> Any:
    path = f"/staff/cases/{case.public_id}"
    data = {f"med{index}-{name}": value for name, value in fields.items()}
    data |= {"csrf_token": csrf(client, path), f"med{index}-version": str(case.version)}
    return client.post(f"{path}/medications/{index}/identify", data=data)


def test_the_case_page_shows_how_each_medication_was_read(
    coordinator: Any, unknown_case: Case
) -> None:
    page = coordinator.get(f"/staff/cases/{unknown_case.public_id}").get_data(as_text=True)
    section = page[page.index('id="medications-title"') : page.index('id="keto-title"')]
    assert "<q>Norco 10/325</q>" in section and "hydrocodone" in section
    assert "(matched Norco)" in section and "practice rule data" in section
    assert "stopped 2026-09-01" in section and "opioid agonist" in section
    assert f"<q>{UNKNOWN}</q>" in section
    assert "Not identified" in section and "MEDICATION_UNIDENTIFIED" in section
    assert "Record what this medication is:" in section and "Correct the reading of" in section


def test_the_queue_filters_on_unidentified_medications_and_shows_the_code(
    app: Any, coordinator: Any, unknown_case: Case
) -> None:
    plain = routed_case(app, valid_intake())
    page = coordinator.get("/staff/queue?flag=MEDICATION_UNIDENTIFIED").get_data(as_text=True)
    assert '<option value="MEDICATION_UNIDENTIFIED" selected>' in page
    assert unknown_case.public_id in page and plain.public_id not in page
    assert 'badge--review badge--flag">Review: MEDICATION_UNIDENTIFIED</span>' in page


def test_asking_the_patient_opens_the_medications_step(
    coordinator: Any, unknown_case: Case
) -> None:
    page = coordinator.get(f"/staff/cases/{unknown_case.public_id}").get_data(as_text=True)
    checkbox = re.search(r'<input[^>]*id="info-steps-2"[^>]*>', page).group(0)
    assert 'value="medications"' in checkbox and "checked" in checkbox
    other = re.search(r'<input[^>]*id="info-steps-0"[^>]*>', page).group(0)
    assert "checked" not in other
    assert '<details class="action" id="info-action" open><summary>Ask the patient' in page


def test_recording_an_identification_rescreens_and_shows_who_recorded_it(
    app: Any, coordinator: Any, unknown_case: Case
) -> None:
    response = identify(
        coordinator, unknown_case, ingredients="oxycodone", reason="Pharmacy label: OxyContin"
    )
    assert response.status_code == 302
    assert stored_case(app, unknown_case.id).status == "screening"
    waiting = coordinator.get(response.headers["Location"]).get_data(as_text=True)
    assert "Identification recorded." in waiting and "being screened again" in waiting
    pipeline.process(app.extensions["ldn"].sessions, unknown_case.id, DatabaseOutbox())
    page = coordinator.get(f"/staff/cases/{unknown_case.public_id}").get_data(as_text=True)
    section = page[page.index('id="medications-title"') : page.index('id="keto-title"')]
    assert "recorded by Casey Coordinator on " in section
    assert "Pharmacy label: OxyContin" in section and "Not identified" not in section
    assert "OPIOID_CURRENT" in page
    with app.extensions["ldn"].sessions() as db:
        audited = list(
            db.scalars(select(AuditEntry.action).where(AuditEntry.case_id == unknown_case.id))
        )
    assert "medication_identified" in audited and audited.count("case_viewed") >= 2


def test_without_an_ingredient_the_form_says_so_and_keeps_the_reason(
    app: Any, coordinator: Any, unknown_case: Case
) -> None:
    response = identify(coordinator, unknown_case, other="  ", reason="Called the patient")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose at least one ingredient, or type the ingredient&#39;s name." in page
    assert re.search(r">\s*Called the patient</textarea>", page)
    assert '<details class="action identify" open id="identify-1">' in page
    assert stored_case(app, unknown_case.id).status == "routed"


def test_without_a_reason_the_form_says_so_and_keeps_the_ingredients(
    app: Any, coordinator: Any, unknown_case: Case
) -> None:
    response = identify(
        coordinator, unknown_case, ingredients=["oxycodone", "codeine"], other="acetaminophen"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Give a reason: it goes into the case history." in page
    for ingredient in ("oxycodone", "codeine"):
        box = re.search(rf'<input[^>]*name="med1-ingredients"[^>]*value="{ingredient}"[^>]*>', page)
        assert box and "checked" in box.group(0)
    assert 'value="acetaminophen"' in page
    with app.extensions["ldn"].sessions() as db:
        assert db.scalars(select(MedicationIdentification)).all() == []


def test_an_unknown_case_is_404(coordinator: Any, unknown_case: Case) -> None:
    token = csrf(coordinator, f"/staff/cases/{unknown_case.public_id}")
    response = coordinator.post(
        "/staff/cases/NOSUCHCASE/medications/1/identify",
        data={"csrf_token": token, "med1-other": "lisinopril", "med1-reason": "x"},
    )
    assert response.status_code == 404


def test_the_form_needs_its_csrf_token(coordinator: Any, unknown_case: Case) -> None:
    response = coordinator.post(
        f"/staff/cases/{unknown_case.public_id}/medications/1/identify",
        data={"med1-other": "lisinopril", "med1-reason": "x"},
    )
    assert response.status_code == 400


def test_a_physician_is_told_only_coordinators_record_identifications(
    app: Any, staff: dict[str, int], base_intake: dict[str, Any]
) -> None:
    base_intake["medications"] = [{"name": "Synthroid", "status": "current"}]
    case = routed_case(app, base_intake)  # Texas, physician queue: Dr. Texas sees it
    doctor = app.test_client()
    login(doctor, "tx@test")
    page = doctor.get(f"/staff/cases/{case.public_id}").get_data(as_text=True)
    assert "Correct the reading of" not in page  # no form offered
    response = identify(doctor, case, index=0, ingredients="liothyronine", reason="I know it")
    assert response.status_code == 403
    assert "Not saved: physician may not do this." in response.get_data(as_text=True)
    assert stored_case(app, case.id).status == "routed"


def test_a_stale_page_is_told_who_changed_the_case(
    app: Any, staff: dict[str, int], coordinator: Any, unknown_case: Case
) -> None:
    from workflows.cases import casework

    casework.add_note(app.extensions["ldn"].sessions, staff["admin"], unknown_case.id, "hello")
    casework.reroute(
        app.extensions["ldn"].sessions, staff["admin"], unknown_case.id, None, "coordinator", "x"
    )
    response = identify(coordinator, unknown_case, other="lisinopril", reason="label")
    assert response.status_code == 409  # a conflict: someone else acted first
    page = response.get_data(as_text=True)
    assert "Not saved: Ada Admin changed this case first (rerouted, " in page
    assert 'value="lisinopril"' in page


# --- the admins' page of unidentified names --------------------------------------------------


@pytest.fixture
def admin(app: Any, staff: dict[str, int]) -> Any:
    client = app.test_client()
    login(client, "admin@test")
    return client


def test_the_admin_page_groups_the_names_and_links_their_cases(
    app: Any, admin: Any, unknown_case: Case
) -> None:
    intake = valid_intake()
    intake["medications"] = [{"name": "WHITE pill  from urgent care", "status": "current"}]
    second = routed_case(app, intake)
    intake["medications"] = [{"name": "=HYPERLINK(evil)", "status": "current"}]
    routed_case(app, intake)
    page = admin.get("/staff/admin/unidentified-medications?order=frequent").get_data(as_text=True)
    rows = page[page.index("<tbody>") : page.index("</tbody>")].split("<tr>")[1:]
    assert len(rows) == 2 and UNKNOWN in rows[0] and "HYPERLINK" in rows[1]
    assert "<td>2</td>" in rows[0]
    for case in (unknown_case, second):
        assert f'href="/staff/cases/{case.public_id}"' in rows[0]
    assert "2 names" in page and "schemas/rules/drugs.yaml" in page
    with app.extensions["ldn"].sessions() as db:
        audited = db.scalars(
            select(AuditEntry.action).where(AuditEntry.actor == "admin:admin@test")
        )
        assert "unidentified_medications_viewed" in list(audited)


def test_the_admin_page_shows_what_coordinators_recorded_a_name_as(
    app: Any, admin: Any, coordinator: Any, unknown_case: Case
) -> None:
    identify(coordinator, unknown_case, ingredients="oxycodone", other="acetaminophen", reason="x")
    page = admin.get("/staff/admin/unidentified-medications").get_data(as_text=True)
    assert "oxycodone + acetaminophen" in page


def test_the_csv_cannot_carry_a_formula_into_a_spreadsheet(
    app: Any, admin: Any, unknown_case: Case
) -> None:
    import csv
    import io

    intake = valid_intake()
    for typed in ("=HYPERLINK(evil)", "+zzqx", "-zzqx tablet", "@sum"):
        intake["medications"] = [{"name": typed, "status": "current"}]
        routed_case(app, intake)
    response = admin.get("/staff/admin/unidentified-medications.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["name", "as typed", "cases"]
    typed = {row[1] for row in rows[1:]}
    assert {"'=HYPERLINK(evil)", "'+zzqx", "'-zzqx tablet", "'@sum", UNKNOWN} <= typed
    assert all(cell[:1] not in "=+-@" for row in rows for cell in row if cell)
    with app.extensions["ldn"].sessions() as db:
        assert db.scalars(
            select(AuditEntry).where(AuditEntry.action == "unidentified_medications_exported")
        ).one()


def test_a_formula_guard_quotes_only_the_dangerous_first_characters() -> None:
    from intake.staff.views import csv_line

    assert csv_line(["=1+1", "a=b", "-5", "@x", "\tx", "ok", ""]) == (
        "'=1+1,a=b,'-5,'@x,'\tx,ok,\r\n"
    )
