"""The data behind the FHIR export (``schemas/fhir/``), loaded and checked like the rule data.

``icd10cm.yaml`` gives each condition of the rule data one ICD-10-CM code; ``questionnaire.yaml``
groups the intake's fields into its seven steps and words the coded answers. Each file is
checked against its JSON Schema, then against what it refers to: every condition has a code
under one of its own prefixes, every path names a field of the intake schema, every intake
field is asked by some step, and the answer options are exactly the schema's enums. Every
problem is collected and raised once as FhirDataError.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from workflows.screening.normalise import icd10_key
from workflows.screening.problems import DataProblems
from workflows.screening.validation import SCHEMA_PATH

if TYPE_CHECKING:
    from workflows.screening.ruledata import RuleSet

__all__ = [
    "FHIR_DATA_DIR",
    "FhirData",
    "FhirDataError",
    "IcdCode",
    "load_fhir_data",
    "fhir_data",
    "intake_schema",
    "schema_node",
]

FHIR_DATA_DIR = Path(__file__).resolve().parents[2] / "schemas" / "fhir"
# Intake fields that are not questions: the submission date is the response's `authored`.
NOT_ASKED = frozenset({"submitted_at"})


class FhirDataError(DataProblems):
    """The FHIR export data is malformed; ``problems`` names each file, entry and fault."""

    subject = "the FHIR export data"


@dataclass(frozen=True, slots=True)
class IcdCode:
    code: str
    display: str


@dataclass(frozen=True)
class FhirData:
    icd10_system: str
    icd10_release: str
    icd10_codes: Mapping[str, IcdCode]  # condition key -> its code
    questionnaire: Mapping[str, Any]


def intake_schema() -> dict[str, Any]:
    return _intake_schema()


@cache
def _intake_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def schema_node(schema: Mapping[str, Any], path: str) -> tuple[dict[str, Any], bool] | None:
    """The intake schema's node for a dotted path (array items stepped through), its `$ref`
    merged in, and whether its parent requires it; None when the path names no field."""
    node: Mapping[str, Any] = schema
    required = False
    for part in path.split("."):
        if _types(node) == {"array"}:
            node = node.get("items", {})
        properties = node.get("properties", {})
        if part not in properties:
            return None
        required = part in node.get("required", [])
        node = properties[part]
    return _resolved(schema, node), required


def _resolved(schema: Mapping[str, Any], node: Mapping[str, Any]) -> dict[str, Any]:
    if "$ref" not in node:
        return dict(node)
    target = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return {**target, **{k: v for k, v in node.items() if k != "$ref"}}


def _types(node: Mapping[str, Any]) -> set[str]:
    declared = node.get("type", [])
    return {declared} if isinstance(declared, str) else set(declared) - {"null"}


def _leaf_paths(schema: Mapping[str, Any], node: Mapping[str, Any], prefix: str) -> Iterator[str]:
    """Every field a step must ask for: leaves, and arrays as a whole (their items are the
    children of a repeating group)."""
    for name, child in node.get("properties", {}).items():
        path = f"{prefix}{name}"
        resolved = _resolved(schema, child)
        if _types(resolved) == {"object"}:
            yield from _leaf_paths(schema, resolved, path + ".")
        else:
            yield path


def _read(directory: Path, stem: str, problems: list[str]) -> Any:
    data_path = directory / f"{stem}.yaml"
    schema_path = directory / f"{stem}.schema.json"
    try:
        data = yaml.safe_load(data_path.read_text(encoding="utf-8"))
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError) as error:
        problems.append(f"{stem}: cannot be read: {error}")
        return None
    from jsonschema import Draft202012Validator  # on first FHIR use: see load_fhir_data

    errors = sorted(Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.path))
    for invalid in errors:
        where = ".".join(str(part) for part in invalid.absolute_path) or "(top)"
        problems.append(f"{data_path.name}: {where}: {invalid.message}")
    return None if errors else data


def _check_icd10(document: Mapping[str, Any], rules: RuleSet, problems: list[str]) -> None:
    prefixes: dict[str, list[str]] = {}
    for prefix, condition in rules.icd10_prefixes:
        prefixes.setdefault(condition, []).append(prefix)
    for key, entry in document["codes"].items():
        if key not in rules.conditions:
            problems.append(f"icd10cm.yaml: codes.{key}: not a condition of conditions.yaml")
        elif not any(icd10_key(entry["code"]).startswith(p) for p in prefixes.get(key, [])):
            problems.append(
                f"icd10cm.yaml: codes.{key}: {entry['code']} is under none of the condition's "
                f"prefixes in conditions.yaml"
            )
    for key in rules.conditions:
        if key not in document["codes"]:
            problems.append(f"icd10cm.yaml: codes: condition {key!r} has no ICD-10-CM code")


def _check_questionnaire(
    document: Mapping[str, Any], schema: Mapping[str, Any], problems: list[str]
) -> None:
    asked: list[str] = []
    for step in document["steps"]:
        for index, field in enumerate(step["fields"]):
            where = f"questionnaire.yaml: steps.{step['linkId']}.fields[{index}]"
            if schema_node(schema, field["path"]) is None:
                problems.append(f"{where}: {field['path']!r} is not a field of the intake schema")
            asked.append(field["path"])
    for path in sorted({p for p in asked if asked.count(p) > 1}):
        problems.append(f"questionnaire.yaml: steps: {path!r} is asked more than once")
    for path in _leaf_paths(schema, schema, ""):
        if path not in asked and path not in NOT_ASKED:
            problems.append(f"questionnaire.yaml: steps: intake field {path!r} is asked nowhere")
    for path, rule in document["enable_when"].items():
        for named in (path, rule["question"]):
            if schema_node(schema, named) is None:
                problems.append(f"questionnaire.yaml: enable_when.{path}: no field {named!r}")
    for path, answer in document["answers"].items():
        found = schema_node(schema, path)
        if found is None:
            problems.append(f"questionnaire.yaml: answers.{path}: not a field of the intake schema")
            continue
        codes = [code for code, _ in answer["options"]]
        enum = found[0].get("enum")
        if enum is not None and sorted(codes) != sorted(enum):
            problems.append(
                f"questionnaire.yaml: answers.{path}: options {codes} differ from the schema's "
                f"choices {enum}"
            )
        if enum is None and not answer.get("open"):
            problems.append(
                f"questionnaire.yaml: answers.{path}: the schema takes free text here, so the "
                "options must be open"
            )
    for path, found in ((p, schema_node(schema, p)) for p in _enum_paths(schema, schema, "")):
        if found is not None and path not in document["answers"]:
            problems.append(f"questionnaire.yaml: answers: no wording for the choices of {path!r}")


def _enum_paths(schema: Mapping[str, Any], node: Mapping[str, Any], prefix: str) -> Iterator[str]:
    for name, child in node.get("properties", {}).items():
        resolved = _resolved(schema, child)
        if "enum" in resolved:
            yield f"{prefix}{name}"
        if _types(resolved) == {"array"}:
            resolved = resolved.get("items", {})
        yield from _enum_paths(schema, resolved, f"{prefix}{name}.")


def load_fhir_data(directory: Path = FHIR_DATA_DIR, rules: RuleSet | None = None) -> FhirData:
    """Read and cross-check ``icd10cm.yaml`` and ``questionnaire.yaml``; raise FhirDataError."""
    problems: list[str] = []
    icd10 = _read(directory, "icd10cm", problems)
    questionnaire = _read(directory, "questionnaire", problems)
    if icd10 is not None:
        if rules is None:
            from workflows.screening.ruledata import default_rules

            rules = default_rules()
        _check_icd10(icd10, rules, problems)
    if questionnaire is not None:
        _check_questionnaire(questionnaire, intake_schema(), problems)
    if problems:
        raise FhirDataError(problems)
    return FhirData(
        icd10_system=icd10["system"],
        icd10_release=icd10["release"],
        icd10_codes={key: IcdCode(**entry) for key, entry in icd10["codes"].items()},
        questionnaire=questionnaire,
    )


@cache
def fhir_data() -> FhirData:
    """The data in ``schemas/fhir/``, loaded once per process."""
    return load_fhir_data()
