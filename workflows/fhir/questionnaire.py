"""The intake as a FHIR R4 Questionnaire, built from the intake schema and
``schemas/fhir/questionnaire.yaml``.

The item tree is built once and used twice: ``questionnaire()`` renders it as the published
Questionnaire, and the QuestionnaireResponse of each case walks it over the intake document
(workflows/fhir/response.py), so answers always mirror the items. Only elements present in
FHIR R4 (4.0.1) are used; the tests validate the output with the R4B models of fhir.resources,
the R4-compatible release that package ships (see README, "FHIR export").
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from .data import FhirData, fhir_data, intake_schema, schema_node
from .systems import QUESTIONNAIRE_ID, code_system, questionnaire_url

__all__ = ["Item", "questionnaire", "questionnaire_version", "step_items"]


@dataclass(frozen=True)
class Item:
    link_id: str  # the document path without indexes: "medications.status"
    key: str  # where its value sits in the enclosing object: "status"
    text: str
    type: str  # an R4 Questionnaire item type
    required: bool = False
    repeats: bool = False
    options: tuple[tuple[str, str], ...] = ()
    system: str | None = None  # the code system of the options; None: the practice's own
    enable_when: tuple[str, str] | None = None  # (question linkId, answer code)
    children: tuple[Item, ...] = ()

    def option_system(self, base_url: str) -> str:
        return self.system or code_system(base_url, self.link_id.rsplit(".", 1)[-1])

    def display_of(self, code: str) -> str | None:
        return dict(self.options).get(code)


def _sentence(label: str) -> str:
    return label[:1].upper() + label[1:]


def _item(data: FhirData, path: str, text: str | None) -> Item:
    found = schema_node(intake_schema(), path)
    assert found is not None  # the loader checked every path
    node, required = found
    answers = data.questionnaire["answers"].get(path, {})
    enable = data.questionnaire["enable_when"].get(path)
    common: dict[str, Any] = {
        "link_id": path,
        "key": path.rsplit(".", 1)[-1],
        "text": text or _sentence(node.get("x-label", path)),
        "required": required,
        "options": tuple((code, display) for code, display in answers.get("options", [])),
        "system": answers.get("system"),
        "enable_when": (enable["question"], enable["answer"]) if enable else None,
    }
    declared = node.get("type", [])
    types = {declared} if isinstance(declared, str) else set(declared) - {"null"}
    if types == {"array"}:
        items = node.get("items", {})
        # An empty list is a valid answer (no diagnoses), so a repeating item is never required.
        common.update(repeats=True, required=node.get("minItems", 0) > 0)
        if items.get("type") == "object":
            children = tuple(
                _item(data, f"{path}.{name}", None) for name in items.get("properties", {})
            )
            return Item(type="group", children=children, **common)
        return Item(type="string", **common)
    if "enum" in node:
        return Item(type="choice", **common)
    if answers:
        return Item(type="open-choice" if answers.get("open") else "choice", **common)
    if node.get("format") == "date":
        return Item(type="date", **common)
    if types == {"boolean"}:
        return Item(type="boolean", **common)
    if types == {"integer"}:
        return Item(type="integer", **common)
    # Long free text (notes) is "text", a short line "string", as the form shows them.
    return Item(type="text" if node.get("maxLength", 0) > 200 else "string", **common)


@cache
def step_items() -> tuple[Item, ...]:
    """One group per intake step, in order, each holding the items of its fields."""
    data = fhir_data()
    return tuple(
        Item(
            link_id=step["linkId"],
            key="",
            text=step["text"],
            type="group",
            children=tuple(_item(data, f["path"], f.get("text")) for f in step["fields"]),
        )
        for step in data.questionnaire["steps"]
    )


@cache
def questionnaire_version() -> str:
    """Changes whenever the intake schema or the Questionnaire's wording does."""
    canonical = json.dumps(
        [intake_schema(), fhir_data().questionnaire], sort_keys=True, separators=(",", ":")
    )
    return "intake-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def _render(item: Item, base_url: str) -> dict[str, Any]:
    rendered: dict[str, Any] = {"linkId": item.link_id, "text": item.text, "type": item.type}
    if item.required:
        rendered["required"] = True
    if item.repeats:
        rendered["repeats"] = True
    if item.enable_when:
        question, answer = item.enable_when
        rendered["enableWhen"] = [
            {
                "question": question,
                "operator": "=",
                "answerCoding": {"system": _system_of(question, base_url), "code": answer},
            }
        ]
    if item.options:
        system = item.option_system(base_url)
        rendered["answerOption"] = [
            {"valueCoding": {"system": system, "code": code, "display": display}}
            for code, display in item.options
        ]
    if item.children:
        rendered["item"] = [_render(child, base_url) for child in item.children]
    return rendered


def _system_of(link_id: str, base_url: str) -> str:
    def walk(items: tuple[Item, ...]) -> Item | None:
        for item in items:
            if item.link_id == link_id:
                return item
            found = walk(item.children)
            if found:
                return found
        return None

    target = walk(step_items())
    assert target is not None  # the loader checked every enable_when question
    return target.option_system(base_url)


def questionnaire(base_url: str) -> dict[str, Any]:
    """The published Questionnaire (no patient data): the same for every case."""
    data = fhir_data().questionnaire
    return {
        "resourceType": "Questionnaire",
        "id": QUESTIONNAIRE_ID,
        "url": questionnaire_url(base_url),
        "version": questionnaire_version(),
        "name": "LdnIntake",
        "title": data["title"],
        "status": "active",
        "subjectType": ["Patient"],
        "description": data["description"],
        "item": [_render(step, base_url) for step in step_items()],
    }
