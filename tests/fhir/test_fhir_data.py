"""The FHIR export data (schemas/fhir/) loads, and a broken file is refused with every fault."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from workflows.fhir.data import FHIR_DATA_DIR, FhirDataError, fhir_data, load_fhir_data
from workflows.screening import default_rules


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "fhir"
    shutil.copytree(FHIR_DATA_DIR, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def problems_of(directory: Path) -> list[str]:
    with pytest.raises(FhirDataError) as refused:
        load_fhir_data(directory)
    return refused.value.problems


def test_every_condition_of_the_rule_data_has_an_icd10cm_code() -> None:
    codes = fhir_data().icd10_codes
    assert set(codes) == set(default_rules().conditions)
    assert codes["crohn_disease"].code == "K50.90"
    assert codes["fibromyalgia"].code == "M79.7"


def test_a_code_outside_its_conditions_prefixes_is_refused(data_copy: Path) -> None:
    edit(data_copy / "icd10cm.yaml", "code: K50.90", "code: K51.90")
    assert problems_of(data_copy) == [
        "icd10cm.yaml: codes.crohn_disease: K51.90 is under none of the condition's prefixes "
        "in conditions.yaml"
    ]


def test_a_condition_without_a_code_and_a_malformed_code_are_both_named(data_copy: Path) -> None:
    edit(data_copy / "icd10cm.yaml", "  psoriasis: {code: L40.9", "  psoriasys: {code: L40.9")
    edit(data_copy / "icd10cm.yaml", "code: M79.7", "code: m79-7")
    problems = problems_of(data_copy)
    assert any("codes.fibromyalgia.code: 'm79-7' does not match" in p for p in problems)
    # The schema error stops the cross-checks of that file; fix it and both others appear.
    edit(data_copy / "icd10cm.yaml", "code: m79-7", "code: M79.7")
    assert problems_of(data_copy) == [
        "icd10cm.yaml: codes.psoriasys: not a condition of conditions.yaml",
        "icd10cm.yaml: codes: condition 'psoriasis' has no ICD-10-CM code",
    ]


def test_answer_options_must_equal_the_intake_schemas_choices(data_copy: Path) -> None:
    edit(data_copy / "questionnaire.yaml", "      - [type2, Type 2 diabetes]\n", "")
    [problem] = problems_of(data_copy)
    assert problem.startswith("questionnaire.yaml: answers.history.diabetes: options")
    assert "type2" in problem


def test_every_intake_field_must_be_asked_by_a_step(data_copy: Path) -> None:
    edit(data_copy / "questionnaire.yaml", "      - {path: patient.phone}\n", "")
    edit(data_copy / "questionnaire.yaml", "{path: patient.email}", "{path: patient.e_mail}")
    assert sorted(problems_of(data_copy)) == [
        "questionnaire.yaml: steps.step-about.fields[3]: 'patient.e_mail' is not a field of the "
        "intake schema",
        "questionnaire.yaml: steps: intake field 'patient.email' is asked nowhere",
        "questionnaire.yaml: steps: intake field 'patient.phone' is asked nowhere",
    ]
