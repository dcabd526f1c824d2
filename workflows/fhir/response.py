"""A case's intake document as a QuestionnaireResponse: the Questionnaire's item tree walked
over the document, so every answer sits under the linkId of the item that asks it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .questionnaire import Item, questionnaire_version, step_items
from .systems import questionnaire_url

__all__ = ["response_items", "questionnaire_response"]


def _has_text(value: Any) -> bool:
    # FHIR strings may not be empty or blank: an unanswered field is left out, not sent as "".
    return isinstance(value, str) and bool(value.strip())


def _answers(item: Item, value: Any, base_url: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if item.type == "boolean":
        return [{"valueBoolean": value}] if isinstance(value, bool) else []
    if item.type == "integer":
        return [{"valueInteger": value}] if isinstance(value, int) else []
    if item.type == "date":
        return [{"valueDate": value}] if _has_text(value) else []
    if item.type in ("choice", "open-choice"):
        if not _has_text(value):
            return []
        # A state typed through the API ("tx ", "Texas") is kept as typed unless it is a code.
        code = value.strip().upper() if item.type == "open-choice" else value
        display = item.display_of(code)
        if display is None:
            return [{"valueString": value}]
        coding = {"system": item.option_system(base_url), "code": code, "display": display}
        return [{"valueCoding": coding}]
    if item.repeats:  # a list of strings (the consent statements)
        values = value if isinstance(value, list) else []
        return [{"valueString": text} for text in values if _has_text(text)]
    return [{"valueString": value}] if _has_text(value) else []


def _answered(item: Item, value: Any, base_url: str) -> list[dict[str, Any]]:
    """The response items for ``item`` given its value in the document."""
    if item.type == "group" and item.repeats:
        # One response item per row, each with the same linkId (R4 repeating groups).
        rows = value if isinstance(value, list) else []
        answered = []
        for row in rows:
            children = _row_items(item.children, row, base_url)
            if children:
                answered.append({"linkId": item.link_id, "text": item.text, "item": children})
        return answered
    answers = _answers(item, value, base_url)
    if not answers:
        return []
    return [{"linkId": item.link_id, "text": item.text, "answer": answers}]


def _row_items(items: tuple[Item, ...], row: Any, base_url: str) -> list[dict[str, Any]]:
    if not isinstance(row, Mapping):
        return []
    return [found for child in items for found in _answered(child, row.get(child.key), base_url)]


def _at(document: Mapping[str, Any], link_id: str) -> Any:
    """The value at a top-level item's document path ("patient.first_name")."""
    node: Any = document
    for part in link_id.split("."):
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


def response_items(document: Mapping[str, Any], base_url: str) -> list[dict[str, Any]]:
    """One group per step that has any answer, mirroring the Questionnaire's items."""
    steps = []
    for step in step_items():
        answered = [
            found
            for item in step.children
            for found in _answered(item, _at(document, item.link_id), base_url)
        ]
        if answered:
            steps.append({"linkId": step.link_id, "text": step.text, "item": answered})
    return steps


def questionnaire_response(
    document: Mapping[str, Any], base_url: str, subject: str, authored: str
) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{questionnaire_url(base_url)}|{questionnaire_version()}",
        "status": "completed",
        "subject": {"reference": subject},
        "authored": authored,
        "author": {"reference": subject},
        "source": {"reference": subject},
        "item": response_items(document, base_url),
    }
