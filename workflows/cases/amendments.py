"""What a patient's amendment changed, and what that means for where the case goes.

Plain functions on documents: no database, no Flask. A case whose amendment removed a hard stop
(the patient changed "I take Percocet now" to "stopped last week") is not sent straight to a
physician on the strength of the new answer: a coordinator verifies it first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["intake_changes", "hard_stops_of", "hard_stops_removed", "VERIFY_QUEUE"]

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


def hard_stops_of(result: Mapping[str, Any] | None) -> list[str]:
    """The codes of a screening result's hard stops (the ketosis plan's stops excluded: they
    close the ketosis option, not the case)."""
    return [flag["code"] for flag in (result or {}).get("hard_stops") or []]


def hard_stops_removed(before: list[str], result: Mapping[str, Any] | None) -> list[str]:
    """The hard stops an earlier screening raised that this one no longer does."""
    now = set(hard_stops_of(result))
    return [code for code in before if code not in now]
