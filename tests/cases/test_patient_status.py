"""The plain status a patient reads (workflows.cases.patient_status): every case state has a
title and an explanation in English and Spanish, none of the staff's words, and wording that is
true for a patient who lives where we are not licensed."""

from __future__ import annotations

import re

import pytest

from workflows.cases.models import CaseStatus
from workflows.cases.patient_status import (
    TITLES,
    PatientStage,
    PlainStatus,
    plain_status,
)
from workflows.platform.i18n import LANGUAGES

REFERENCE = "LDN-AB12-CD34"
# How the pipeline and the staff leave each state: (status, queue, patient_state).
SITUATIONS: dict[str, tuple[str, str | None, str | None]] = {
    "received": ("received", None, None),
    "screening": ("screening", None, None),
    "screening_failed": ("screening_failed", None, None),
    "routed_to_coordinators": ("routed", "coordinator", "TX"),
    "routed_to_physicians": ("routed", "physician", "TX"),
    "routed_out_of_state": ("routed", "waitlist", "OTHER"),
    "out_of_state_with_coordinators": ("routed", "coordinator", "OTHER"),
    "needs_info": ("needs_info", "coordinator", "TX"),
    "needs_info_out_of_state": ("needs_info", "coordinator", "OTHER"),
    "assigned": ("assigned", "physician", "TX"),
    "accepted": ("accepted", "physician", "TX"),
    "declined": ("declined", "coordinator", "TX"),
    "declined_out_of_state": ("declined", "waitlist", "OTHER"),
    "waitlisted": ("waitlisted", "waitlist", "TX"),
    "waitlisted_out_of_state": ("waitlisted", "waitlist", "OTHER"),
    "withdrawn": ("withdrawn", None, "TX"),
}
EXPECTED_STAGE = {
    "received": PatientStage.RECEIVED,
    "screening": PatientStage.BEING_CHECKED,
    "screening_failed": PatientStage.BEING_CHECKED,
    "routed_to_coordinators": PatientStage.WITH_CARE_TEAM,
    "routed_to_physicians": PatientStage.WITH_CARE_TEAM,
    "routed_out_of_state": PatientStage.ON_WAITLIST,
    "out_of_state_with_coordinators": PatientStage.ON_WAITLIST,
    "needs_info": PatientStage.WAITING_FOR_ANSWER,
    "needs_info_out_of_state": PatientStage.WAITING_FOR_ANSWER,
    "assigned": PatientStage.WITH_CARE_TEAM,
    "accepted": PatientStage.ACCEPTED,
    "declined": PatientStage.NOT_ABLE_TO_CONTINUE,
    "declined_out_of_state": PatientStage.NOT_ABLE_TO_CONTINUE,
    "waitlisted": PatientStage.ON_WAITLIST,
    "waitlisted_out_of_state": PatientStage.ON_WAITLIST,
    "withdrawn": PatientStage.NOT_ABLE_TO_CONTINUE,
}
# Words of the staff side that mean nothing (or the wrong thing) to a patient, in either
# language: states, queues, decision and flag codes, and the old labels. "received" and
# "accepted" are states that are plain words too, so the patient may read them.
PLAIN_WORDS = {"received", "accepted"}
INTERNAL_WORDS = [
    *(status.value for status in CaseStatus if status.value not in PLAIN_WORDS),
    "queue",
    "cola",
    "coordinator",
    "coordinador",
    "screening",
    "needs info",
    "eligible",
    "ineligible",
    "needs_review",
    "hard stop",
    "OTHER",
    "OUT_OF_STATE",
    "enviado al equipo médico",
    "falta información",
]
# What an out-of-state patient must never be told: there is no such physician for them.
UNTRUE_FOR_OUT_OF_STATE = ["licensed in your state decides", "licencia en su estado decide"]


def worded(situation: str, language: str) -> PlainStatus:
    status, queue, patient_state = SITUATIONS[situation]
    return plain_status(
        status, queue=queue, patient_state=patient_state, reference=REFERENCE, language=language
    )


def test_every_case_state_is_covered_by_the_situations_below() -> None:
    assert {status for status, _, _ in SITUATIONS.values()} == {s.value for s in CaseStatus}


@pytest.mark.parametrize("situation", SITUATIONS)
def test_each_situation_reaches_the_stage_a_patient_understands(situation: str) -> None:
    for language in LANGUAGES:
        assert worded(situation, language).stage == EXPECTED_STAGE[situation]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("situation", SITUATIONS)
def test_each_status_has_a_short_title_and_a_sentence_of_explanation(
    situation: str, language: str
) -> None:
    plain = worded(situation, language)
    assert plain.title and len(plain.title) <= 30 and not plain.title.endswith(".")
    assert len(plain.explanation) > len(plain.title) and plain.explanation.endswith(".")
    assert "%(" not in plain.explanation  # every placeholder filled


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("situation", SITUATIONS)
def test_no_internal_word_reaches_the_patient(situation: str, language: str) -> None:
    plain = worded(situation, language)
    text = f"{plain.title} {plain.explanation}".lower()
    found = [
        word
        for word in INTERNAL_WORDS
        if re.search(rf"(?<![\w-]){re.escape(word.lower())}(?![\w-])", text)
    ]
    assert not found, f"{situation} ({language}) says {found}: {text}"


@pytest.mark.parametrize("stage", PatientStage)
def test_each_stage_title_has_its_own_spanish_words(stage: PatientStage) -> None:
    english = TITLES[stage]
    assert english in {worded(s, "en").title for s in SITUATIONS}
    spanish = {worded(s, "es").title for s in SITUATIONS if EXPECTED_STAGE[s] == stage}
    assert len(spanish) == 1 and english not in spanish


def test_the_spanish_says_what_the_english_says_stage_by_stage() -> None:
    """The same meaning in both languages: the Spanish of each stage, as a reader checks it."""
    spanish = {stage: worded(s, "es") for s, stage in EXPECTED_STAGE.items()}
    assert spanish[PatientStage.RECEIVED].title == "Recibido"
    assert spanish[PatientStage.BEING_CHECKED].title == "Verificando sus respuestas"
    assert spanish[PatientStage.WITH_CARE_TEAM].title == "Con el equipo médico"
    assert spanish[PatientStage.WAITING_FOR_ANSWER].title == "Esperando su respuesta"
    assert spanish[PatientStage.ACCEPTED].title == "Aceptado"
    assert spanish[PatientStage.ON_WAITLIST].title == "En lista de espera"
    assert spanish[PatientStage.NOT_ABLE_TO_CONTINUE].title == "No podemos continuar"
    assert "enlace del correo electrónico" in worded("needs_info", "es").explanation


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "situation",
    [
        "routed_out_of_state",
        "out_of_state_with_coordinators",
        "waitlisted_out_of_state",
    ],
)
def test_an_out_of_state_patient_learns_we_are_not_licensed_in_their_state_yet(
    situation: str, language: str
) -> None:
    plain = worded(situation, language)
    assert plain.stage == PatientStage.ON_WAITLIST
    expected = {
        "en": ("not yet licensed in your state", "contact you if that changes"),
        "es": ("Todavía no tenemos licencia en su estado", "si eso cambia"),
    }[language]
    assert all(part in plain.explanation for part in expected), plain.explanation


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_out_of_state_patient_is_promised_a_physician_licensed_in_their_state(
    language: str,
) -> None:
    for situation, (_, _, patient_state) in SITUATIONS.items():
        if patient_state != "OTHER":
            continue
        text = worded(situation, language).explanation
        assert not any(untrue in text for untrue in UNTRUE_FOR_OUT_OF_STATE), (situation, text)


def test_a_waitlisted_patient_in_a_licensed_state_is_not_told_we_lack_a_licence() -> None:
    plain = worded("waitlisted", "en")
    assert plain.title == "On the waitlist"
    assert "licensed" not in plain.explanation and "waitlist" in plain.explanation


def test_a_question_waiting_points_to_the_link_in_the_email() -> None:
    plain = worded("needs_info", "en")
    assert plain.title == "Waiting for your answer"
    assert "link in the email we sent you" in plain.explanation
    # An out-of-state patient who was asked something must still answer it.
    assert worded("needs_info_out_of_state", "en") == plain


def test_a_failed_screening_is_being_checked_for_the_patient() -> None:
    assert worded("screening_failed", "en") == worded("screening", "en")
    assert worded("screening_failed", "en").title == "Being checked"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("situation", ["declined", "declined_out_of_state", "withdrawn"])
def test_a_closed_intake_says_who_to_contact_with_the_reference(
    situation: str, language: str
) -> None:
    plain = worded(situation, language)
    assert plain.title == {"en": "Not able to continue", "es": "No podemos continuar"}[language]
    contact = {"en": "contact the practice", "es": "comuníquese con la consulta"}[language]
    assert contact in plain.explanation and REFERENCE in plain.explanation


def test_a_state_nobody_wrote_words_for_is_refused() -> None:
    with pytest.raises(ValueError):
        plain_status("merged", queue=None, patient_state=None, reference=REFERENCE)
