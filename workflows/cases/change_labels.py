"""An amendment's changes as a clinician reads them: "Percocet: stopped 2026-11-30, was: I take
it now" instead of `medications[0].status: stopped, was: current`.

Plain functions: no Flask, no database. The words come in a Vocabulary built by the web layer
from the intake's own labels (the questions and choices the patient answered), in the language
of the page that shows them: English for staff, the patient's language on the patient's pages.
Each line keeps the raw paths it stands for, so nothing of the stored diff is hidden.

Medications, diagnoses and goals are matched by name (goal by code), not by position: a
patient who deletes their first medication did not rename every other one. What is left
unmatched at the same position is a rename (a typo corrected); the rest was added or removed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from workflows.cases.amendments import documents_of_amendments

__all__ = ["Vocabulary", "ChangeLine", "label_changes", "labelled_amendments"]

# Lists whose items are matched by a key rather than by position, with that key.
_LIST_KEYS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "medications": lambda item: " ".join(str(item.get("name") or "").casefold().split()),
    "diagnoses": lambda item: " ".join(str(item.get("name") or "").casefold().split()),
    "goals": lambda item: str(item.get("goal") or ""),
}


@dataclass(frozen=True)
class Vocabulary:
    """The words a change is shown in, in one language.

    ``sections`` names each top-level part of the intake ("patient": "About you"); ``fields``
    each field, keyed "section.field" ("history.pregnant", "medications.dose");
    ``choices`` the label of each coded value, keyed the same way
    ("medications.status": {"current": "I take it now"}); ``stopped_on`` formats a stop date
    ("stopped %(date)s")."""

    sections: Mapping[str, str]
    fields: Mapping[str, str]
    choices: Mapping[str, Mapping[str, str]]
    yes: str = "yes"
    no: str = "no"
    empty: str = "(none)"
    stopped_on: str = "stopped %(date)s"
    severity: str = "%(severity)s out of 10"


@dataclass(frozen=True)
class ChangeLine:
    """One change as it is read: ``subject`` (a medication's name, a goal, "Medical history"),
    ``field`` (empty when the line is about the item itself), the value after and before in
    words, ``kind`` "changed", "added" or "removed", and the raw paths it stands for."""

    subject: str
    field: str
    after: str
    before: str
    kind: str
    paths: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The line in plain text (English joining words): for logs of tests and titles."""
        head = f"{self.subject} ({self.field})" if self.field else self.subject
        if self.kind == "added":
            return f"{head}: added, {self.after}" if self.after else f"{head}: added"
        if self.kind == "removed":
            return f"{head}: removed, was: {self.before}"
        return f"{head}: {self.after}, was: {self.before}"


def label_changes(
    changes: Iterable[Mapping[str, Any]],
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    words: Vocabulary,
) -> list[ChangeLine]:
    """The lines of a change list (from intake_changes) between two intake documents, in the
    order of the changes' sections."""
    lines: list[ChangeLine] = []
    done: set[str] = set()
    for change in changes:
        path = str(change["path"])
        section = path.split(".", 1)[0].split("[", 1)[0]
        if section in _LIST_KEYS:
            if section not in done:
                done.add(section)
                lines += _list_lines(section, before.get(section), after.get(section), words)
            continue
        lines.append(_leaf_line(section, path, change["before"], change["after"], words))
    return lines


def labelled_amendments(
    current: Mapping[str, Any], events: Iterable[Any], words: Vocabulary
) -> dict[int, list[ChangeLine]]:
    """The lines of every amendment in a case's history (its events, oldest first), by event
    id; ``current`` is the case's intake now, after the last amendment."""
    amended = [(event.id, event.detail or {}) for event in events if event.action == "amended"]
    documents = documents_of_amendments(current, amended)
    return {
        event_id: label_changes(detail.get("changes") or [], *documents[event_id], words)
        for event_id, detail in amended
        if event_id in documents
    }


def _leaf_line(section: str, path: str, before: Any, after: Any, words: Vocabulary) -> ChangeLine:
    key = path.replace("[", ".").replace("]", "")
    field_name = key.split(".", 1)[1] if "." in key else ""
    subject = words.sections.get(section, section.replace("_", " "))
    label = words.fields.get(key, field_name.replace("_", " ").replace(".", " "))
    return ChangeLine(
        subject,
        label,
        _value(key, after, words),
        _value(key, before, words),
        "changed",
        (path,),
    )


def _value(key: str, value: Any, words: Vocabulary) -> str:
    if value is None or value == "" or value == []:
        return words.empty
    if isinstance(value, bool):
        return words.yes if value else words.no
    if isinstance(value, list):
        return ", ".join(_value(key, item, words) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{name}: {_value(key, item, words)}" for name, item in value.items())
    return words.choices.get(key, {}).get(str(value), str(value))


def _list_lines(section: str, before: Any, after: Any, words: Vocabulary) -> list[ChangeLine]:
    old = [item for item in before or [] if isinstance(item, Mapping)]
    new = [item for item in after or [] if isinstance(item, Mapping)]
    # A goal is its code: another goal in the same place is not a rename.
    pairs = _match(old, new, _LIST_KEYS[section], renames=section != "goals")
    lines: list[ChangeLine] = []
    for old_index, new_index in pairs:
        if old_index is None:
            assert new_index is not None
            item = new[new_index]
            lines.append(
                ChangeLine(
                    _subject(section, item, words),
                    "",
                    _describe(section, item, words),
                    "",
                    "added",
                    (f"{section}[{new_index}]",),
                )
            )
        elif new_index is None:
            item = old[old_index]
            lines.append(
                ChangeLine(
                    _subject(section, item, words),
                    "",
                    "",
                    _describe(section, item, words),
                    "removed",
                    (f"{section}[{old_index}]",),
                )
            )
        else:
            lines += _item_lines(section, old[old_index], new[new_index], new_index, words)
    return lines


def _match(
    old: list[Mapping[str, Any]],
    new: list[Mapping[str, Any]],
    key_of: Callable[[Mapping[str, Any]], str],
    renames: bool = True,
) -> list[tuple[int | None, int | None]]:
    """Pairs of (before index, after index), in the order of the list after the change, the
    removed items last: by key first, then what is left at the same position (a rename)."""
    unmatched_old = list(range(len(old)))
    matched: dict[int, int] = {}
    for new_index, item in enumerate(new):
        for old_index in unmatched_old:
            if key_of(old[old_index]) == key_of(item):
                matched[new_index] = old_index
                unmatched_old.remove(old_index)
                break
    for new_index in range(len(new) if renames else 0):
        if new_index not in matched and new_index in unmatched_old:
            matched[new_index] = new_index
            unmatched_old.remove(new_index)
    pairs: list[tuple[int | None, int | None]] = [
        (matched.get(new_index), new_index) for new_index in range(len(new))
    ]
    return pairs + [(old_index, None) for old_index in unmatched_old]


def _subject(section: str, item: Mapping[str, Any], words: Vocabulary) -> str:
    if section == "goals":
        goal = str(item.get("goal") or "")
        return words.choices.get("goals.goal", {}).get(goal, goal.replace("_", " "))
    return str(item.get("name") or words.sections.get(section, section))


def _status(item: Mapping[str, Any], words: Vocabulary) -> str:
    """A medication's status as one value: "I take it now", or "stopped 2026-11-30"."""
    status = str(item.get("status") or "")
    if status == "stopped" and item.get("stopped_on"):
        return words.stopped_on % {"date": item["stopped_on"]}
    return words.choices.get("medications.status", {}).get(status, status or words.empty)


def _describe(section: str, item: Mapping[str, Any], words: Vocabulary) -> str:
    """A whole item in words: what an added or removed one was."""
    if section == "medications":
        return ", ".join(filter(None, [_status(item, words), str(item.get("dose") or "")]))
    if section == "goals":
        return words.severity % {"severity": item.get("severity")}
    return str(item.get("icd10") or "")


def _item_lines(
    section: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    index: int,
    words: Vocabulary,
) -> list[ChangeLine]:
    subject = _subject(section, new, words)
    lines: list[ChangeLine] = []
    keys = [*old, *(key for key in new if key not in old)]
    if section == "medications" and (
        old.get("status") != new.get("status") or old.get("stopped_on") != new.get("stopped_on")
    ):
        # Status and stop date are one answer to the patient ("I stopped it" on a date).
        paths = tuple(
            f"{section}[{index}].{key}"
            for key in ("status", "stopped_on")
            if old.get(key) != new.get(key)
        )
        lines.append(
            ChangeLine(subject, "", _status(new, words), _status(old, words), "changed", paths)
        )
    for key in keys:
        if section == "medications" and key in ("status", "stopped_on"):
            continue
        if old.get(key) == new.get(key):
            continue
        field_key = f"{section}.{key}"
        if section == "goals" and key == "severity":
            after, before = (
                words.severity % {"severity": item.get(key)}
                if item.get(key) is not None
                else words.empty
                for item in (new, old)
            )
        else:
            after, before = (
                _value(field_key, new.get(key), words),
                _value(field_key, old.get(key), words),
            )
        lines.append(
            ChangeLine(
                subject,
                words.fields.get(field_key, key.replace("_", " ")),
                after,
                before,
                "changed",
                (f"{section}[{index}].{key}",),
            )
        )
    return lines
