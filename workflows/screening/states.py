"""The states the practice's physicians are licensed in (schemas/rules/states.yaml).

Its own module so the web can tell a patient at once whether their state is served without
loading the whole rule set and the matching engine; ``load_rules`` reads the same file through
``licensed_spellings`` and validates it against its schema, as it does every rule file.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .normalise import state_key

__all__ = ["STATES_PATH", "licensed_spellings", "licensed_states"]

STATES_PATH = Path(__file__).resolve().parents[2] / "schemas" / "rules" / "states.yaml"


def licensed_spellings(document: Mapping[str, Any], problems: list[str]) -> dict[str, str]:
    """Every accepted spelling's key -> its state code; a spelling claimed by two states is a
    problem, added to ``problems``."""
    licensed: dict[str, str] = {}
    for index, entry in enumerate(document["licensed_states"]):
        for spelling in [entry["code"], entry["name"], *entry["spellings"]]:
            key = state_key(spelling)
            if licensed.get(key, entry["code"]) != entry["code"]:
                problems.append(
                    f"states.yaml: licensed_states[{index}] ({entry['code']}): "
                    f"{spelling!r} already means {licensed[key]}"
                )
            licensed[key] = entry["code"]
    return licensed


@cache
def licensed_states() -> Mapping[str, str]:
    """The shipped file's spellings (the worker validates the file at start-up, and a test)."""
    problems: list[str] = []
    document = yaml.safe_load(STATES_PATH.read_text(encoding="utf-8"))
    licensed = licensed_spellings(document, problems)
    if problems:
        raise ValueError("; ".join(problems))
    return licensed
