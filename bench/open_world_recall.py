"""Open-world recall: how many real names the documents do not list are read right.

Each line of bench/open_world_names.tsv is a typed name and the flag it must fire (or NONE: it
must be identified and fire nothing). Every name is screened alone as a current medication of
an otherwise eligible, type 2 diabetic intake asking for ketosis (so every drug family can
fire), and counted as:
  right      the expected flag fired (NONE: identified, nothing fired);
  review     not identified: MEDICATION_UNIDENTIFIED sends the case to a coordinator;
  silent     identified as harmless but it should have fired: the one outcome that must not
             happen, listed by name;
  wrong      fired something else (NONE: fired a flag).
Recall is right / all for the flagged names. Run with the rule data alone too (--rules-only)
to see what the vocabulary adds.

    .venv/bin/python bench/open_world_recall.py [--rules-only]
"""

from __future__ import annotations

import argparse
import copy
import sys
from collections import Counter
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from workflows.screening import load_rules, screen_document  # noqa: E402

NAMES = Path(__file__).with_name("open_world_names.tsv")
BASE: dict[str, Any] = {
    "submitted_at": "2026-11-01",
    "patient": {"date_of_birth": "1980-04-02", "state_of_residence": "TX"},
    "diagnoses": [{"name": "crohns"}],
    "medications": [],
    "history": {
        "pregnant": False, "breastfeeding": False, "liver_disease": "none",
        "organ_transplant": False, "planned_surgery_date": None, "diabetes": "type2",
        "eating_disorder": False, "pancreatitis": False, "kidney_stones": False,
        "gallbladder_disease": False, "inborn_metabolic_disorder": False,
        "naltrexone_allergy": False, "notes": "",
    },
    "goals": [{"goal": "fatigue", "severity": 5}],
    "ketosis": {"interested": True},
}  # fmt: skip


def fired(result: dict[str, Any]) -> set[str]:
    keto = result["ketosis"]
    flags = [*result["hard_stops"], *result["cautions"], *keto["stops"], *keto["cautions"]]
    return {flag["code"] for flag in flags}


def outcome(name: str, expected: str, rules: Any) -> str:
    document = copy.deepcopy(BASE)
    document["medications"] = [{"name": name, "status": "current"}]
    result = screen_document(document, rules)
    [reading] = result["medications"]
    codes = fired(result)
    if expected == "NONE":
        if codes:
            return "wrong"
        return "right" if reading["identified"] else "review"
    if expected in codes:
        return "right"
    if not reading["identified"]:
        return "review"
    return "silent" if not codes else "wrong"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules-only", action="store_true", help="without the vocabulary")
    args = parser.parse_args()
    rules = load_rules(vocabulary=None) if args.rules_only else load_rules()
    rows = [
        line.split("\t")
        for line in NAMES.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    tally: dict[str, Counter[str]] = {}
    misses: list[str] = []
    for name, expected in rows:
        result = outcome(name, expected, rules)
        tally.setdefault(expected, Counter())[result] += 1
        if result != "right":
            misses.append(f"  {result:<7} {expected:<30} {name}")
    flagged = Counter[str]()
    print(f"{'expected':<30} {'names':>5} {'right':>5} {'review':>6} {'silent':>6} {'wrong':>5}")
    for expected, counts in sorted(tally.items()):
        total = sum(counts.values())
        print(
            f"{expected:<30} {total:>5} {counts['right']:>5} {counts['review']:>6} "
            f"{counts['silent']:>6} {counts['wrong']:>5}"
        )
        if expected != "NONE":
            flagged.update(counts)
    total = sum(flagged.values())
    print(
        f"flagged names: {total}; recall {flagged['right'] / total:.1%}; sent to review "
        f"{flagged['review'] / total:.1%}; passed silently {flagged['silent'] / total:.1%}"
    )
    none = tally.get("NONE", Counter())
    if none:
        print(f"everyday names identified and silent: {none['right']} of {sum(none.values())}")
    if misses:
        print("not right:")
        print("\n".join(misses))


if __name__ == "__main__":
    main()
