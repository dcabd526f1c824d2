"""What a patient's amendment changed, and what that means for where the case goes.

Plain functions on documents: no database, no Flask. A case whose amendment removed a hard stop
(the patient changed "I take Percocet now" to "stopped last week") is not sent straight to a
physician on the strength of the new answer: a coordinator verifies it first.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "intake_changes",
    "revert_changes",
    "documents_of_amendments",
    "InfoRound",
    "info_rounds",
    "hard_stops_of",
    "hard_stops_removed",
    "VERIFY_QUEUE",
]

VERIFY_QUEUE = "coordinator"


def intake_changes(before: Any, after: Any, path: str = "") -> list[dict[str, Any]]:
    """Every leaf that differs between two intake documents: {"path", "before", "after"},
    the path written as `medications[0].status`; a leaf added or removed has None on the side
    where it is missing (a whole medication added: each of its fields). In document order."""
    if _is(before, Mapping) and _is(after, Mapping) and (before or after) is not None:
        old, new = before or {}, after or {}
        changes: list[dict[str, Any]] = []
        for key in [*old, *(key for key in new if key not in old)]:
            changes += intake_changes(old.get(key), new.get(key), f"{path}.{key}" if path else key)
        return changes
    if _is(before, list) and _is(after, list) and (before or after) is not None:
        old_items, new_items = before or [], after or []
        changes = []
        for index in range(max(len(old_items), len(new_items))):
            changes += intake_changes(
                old_items[index] if index < len(old_items) else None,
                new_items[index] if index < len(new_items) else None,
                f"{path}[{index}]",
            )
        return changes
    return [] if before == after else [{"path": path, "before": before, "after": after}]


def _is(value: Any, kind: type) -> bool:
    """``value`` is of ``kind`` or missing (None)."""
    return value is None or isinstance(value, kind)


_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _parts(path: str) -> list[str | int]:
    """`medications[0].status` as ["medications", 0, "status"]."""
    return [int(index) if index else key for key, index in _PART.findall(path)]


def revert_changes(document: Mapping[str, Any], changes: Iterable[Mapping[str, Any]]) -> Any:
    """The document as it was before ``changes`` (from intake_changes) were made to it.

    The amended event keeps only the changes, so the intake each earlier amendment started
    from is rebuilt from the current one, newest amendment first. A leaf that did not exist
    before is removed; list items that end up empty (a medication the amendment added) go."""
    result: Any = copy.deepcopy(dict(document))
    for change in changes:
        parts = _parts(change["path"])
        if parts:
            _set(result, parts, change["before"])
    return _drop_trailing_empty(result)


def _set(container: Any, parts: list[str | int], value: Any) -> None:
    head, rest = parts[0], parts[1:]
    if isinstance(head, int):
        while len(container) <= head:
            container.append(None)
    if not rest:
        if value is None and isinstance(container, dict):
            container.pop(head, None)
        else:
            container[head] = value
        return
    child = container[head] if isinstance(head, int) else container.get(head)
    if not isinstance(child, dict | list):
        child = [] if isinstance(rest[0], int) else {}
        container[head] = child
    _set(child, rest, value)


def _drop_trailing_empty(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _drop_trailing_empty(item) for key, item in value.items()}
    if isinstance(value, list):
        items = [_drop_trailing_empty(item) for item in value]
        while items and items[-1] in (None, {}):
            items.pop()
        return items
    return value


def documents_of_amendments(
    current: Mapping[str, Any], amendments: Iterable[tuple[int, Mapping[str, Any]]]
) -> dict[int, tuple[Any, Any]]:
    """The intake before and after each amendment, by its event id: (event id, detail) pairs
    in the order they happened, ``current`` the intake after the last of them. An amendment
    recorded without its changes (before they were stored) stops the walk back."""
    documents: dict[int, tuple[Any, Any]] = {}
    after: Any = dict(current)
    for event_id, detail in reversed(list(amendments)):
        changes = detail.get("changes")
        if changes is None:
            break
        before = revert_changes(after, changes)
        documents[event_id] = (before, after)
        after = before
    return documents


@dataclass(frozen=True)
class InfoRound:
    """One question to the patient and, once they sent their update, its answer."""

    asked_at: datetime
    asked_by: str
    question: str | None  # None: asked before questions reached patients (reason only)
    reason: str
    steps: list[str]
    answered_at: datetime | None = None
    answer: str | None = None  # "" when the patient changed answers but wrote nothing


def info_rounds(events: Iterable[Any]) -> list[InfoRound]:
    """Each request for information in a case's history (its events, oldest first, with
    ``action``, ``detail``, ``at`` and ``actor``), with the patient's answer to it."""
    rounds: list[InfoRound] = []
    for event in events:
        detail = event.detail or {}
        if event.action == "info_requested":
            rounds.append(
                InfoRound(
                    asked_at=event.at,
                    asked_by=event.actor.removeprefix("staff:"),
                    question=detail.get("message"),
                    reason=detail.get("reason", ""),
                    steps=list(detail.get("steps") or []),
                )
            )
        elif event.action == "amended" and rounds and rounds[-1].answered_at is None:
            last = rounds[-1]
            rounds[-1] = InfoRound(
                last.asked_at,
                last.asked_by,
                last.question,
                last.reason,
                last.steps,
                answered_at=event.at,
                answer=detail.get("answer", ""),
            )
    return rounds


def hard_stops_of(result: Mapping[str, Any] | None) -> list[str]:
    """The codes of a screening result's hard stops (the ketosis plan's stops excluded: they
    close the ketosis option, not the case)."""
    return [flag["code"] for flag in (result or {}).get("hard_stops") or []]


def hard_stops_removed(before: list[str], result: Mapping[str, Any] | None) -> list[str]:
    """The hard stops an earlier screening raised that this one no longer does."""
    now = set(hard_stops_of(result))
    return [code for code in before if code not in now]
