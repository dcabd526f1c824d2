"""Benchmark: full screening (`--batch` path) against plain jsonschema validation.

Builds a few thousand varied intakes (brands, generics, combinations, one-letter misspellings,
many medications per intake), then measures in the same run:
  (a) baseline: json.loads of the batch plus jsonschema validation of every document
      (Draft 2020-12 with the date format checker: what validating alone costs);
  (b) the whole `python -m workflows.screen --batch FILE` path in-process: read, parse,
      validate, screen and write every result as JSON.
  (c) the real command, `python -m workflows.screen --batch FILE` in a subprocess, start-up,
      rule data and vocabulary loading included, its stdout read in full,
and prints intakes per second for each and the ratios of times b/a and c/a (targets <= 1.0;
c at >= 5,000 intakes/s), and the command's start-up alone (one small intake; target
<= 0.5 s). Each figure is the best of several rounds; the name-lookup caches are emptied before
every round of (b), so each round screens as a freshly started process would. The
medications mix listed brands, generics, misspellings, brands only the drug vocabulary knows,
everyday supplements and names nothing identifies.

    .venv/bin/python bench/screen_bench.py [--intakes 4000] [--rounds 5] [--seed 7]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from jsonschema import Draft202012Validator  # noqa: E402

from workflows import screen as screen_command  # noqa: E402
from workflows.screening import default_rules  # noqa: E402
from workflows.screening.validation import SCHEMA_PATH  # noqa: E402

MEDICATIONS = [
    "Norco 10/325",
    "oxycodone HCl 5 mg",
    "Percocet 5/325",
    "tramadol 50mg",
    "Suboxone 8/2 film",
    "Embeda 30 mg/1.2 mg",
    "LDN 3 mg",
    "naltrexone 50 mg",
    "Synthroid 75 mcg",
    "levothyroxine sodium 100 mcg",
    "Armour Thyroid 60 mg",
    "Prograf 1 mg",
    "Restasis 0.05% eye drops",
    "Jardiance 10 mg",
    "Synjardy XR",
    "Lantus 20 units",
    "glipizide 5 mg",
    "metformin 500 mg",
    "Ozempic 0.5 mg weekly",
    "vitamin D3 2000 IU",
    "fish oil",
    "magnesium glycinate",
    "omeprazole 20 mg",
    "sertraline 50 mg",
    "hydroxychloroquine 200 mg",
    "oxybutynin 5 mg",
    "trazodone 50 mg",
    "naloxone nasal spray",
    "promethazine DM syrup",
    "Tylenol #3",
    "acetaminophen 500 mg",
    "gabapentin 300 mg",
    "prednisone 5 mg",
    "mesalamine 1.2 g",
    "Copaxone 40 mg/mL",
    "kratom capsules",
    "methadone 40 mg",
    "fentanyl patch 25 mcg/hr",
    "Cytomel 5 mcg",
    "CoQ10 200 mg",
    # Known only to the drug vocabulary, or everyday products
    "Lipitor 20 mg",
    "Humira 40 mg pen",
    "Zyrtec 10 mg",
    "Tradol 50 mg",
    "Berlthyrox 100",
    "Lexapro 10 mg",
    "Wellbutrin XL 150",
    "turmeric 500 mg",
    "probiotic daily",
    "ashwagandha",
    # Names nothing identifies
    "white pill from urgent care",
    "BP pill, not sure of the name",
    "None",
]
DIAGNOSES = [
    "crohns",
    "Crohn's disease",
    "UC",
    "fibromyalgia",
    "fibro",
    "relapsing-remitting MS",
    "RA",
    "lupus",
    "Sjögren syndrome",
    "psoriasis",
    "scleroderma",
    "Hashimoto thyroiditis",
    "CRPS",
    "long covid",
    "ME/CFS",
    "SIBO",
    "migraine",
    "anxiety",
    "dermatomyositis",
]
STATES = ["TX", "Texas", "tx", " Ill. ", "IA", "Fla.", "georgia", "MO", "MS", "Kansas", "CA", ""]


def misspell(rng: random.Random, name: str) -> str:
    """One slip in the first word: a dropped, doubled, changed or swapped letter."""
    word, _, rest = name.partition(" ")
    if len(word) < 7:
        return name
    i = rng.randrange(1, len(word) - 2)
    slip = rng.choice(["drop", "double", "change", "swap"])
    if slip == "drop":
        word = word[:i] + word[i + 1 :]
    elif slip == "double":
        word = word[:i] + word[i] + word[i:]
    elif slip == "change":
        word = word[:i] + rng.choice("aeiou") + word[i + 1 :]
    else:
        word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return f"{word} {rest}".strip()


def make_intake(rng: random.Random) -> dict[str, Any]:
    submitted = date(2026, 1, 1) + timedelta(days=rng.randrange(365))
    medications = []
    for _ in range(rng.randrange(0, 13)):
        name = rng.choice(MEDICATIONS)
        if rng.random() < 0.3:
            name = misspell(rng, name)
        if rng.random() < 0.2:
            stopped = submitted - timedelta(days=rng.randrange(0, 40))
            medications.append(
                {"name": name, "status": "stopped", "stopped_on": stopped.isoformat()}
            )
        else:
            medications.append({"name": name, "dose": "as directed", "status": "current"})
    born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 70))
    return {
        "submitted_at": submitted.isoformat(),
        "patient": {
            "first_name": "Bench",
            "last_name": f"Patient{rng.randrange(10**6)}",
            "date_of_birth": born.isoformat(),
            "email": "bench@example.org",
            "phone": "555-0100",
            "state_of_residence": rng.choice(STATES),
        },
        "diagnoses": [{"name": rng.choice(DIAGNOSES)} for _ in range(rng.randrange(0, 4))],
        "medications": medications,
        "history": {
            "pregnant": rng.random() < 0.05,
            "breastfeeding": rng.random() < 0.03,
            "liver_disease": rng.choice(
                ["none"] * 12 + ["chronic", "acute_hepatitis", "liver_failure"]
            ),
            "organ_transplant": rng.random() < 0.03,
            "planned_surgery_date": None if rng.random() < 0.9 else submitted.isoformat(),
            "diabetes": rng.choice(["none"] * 6 + ["prediabetes", "type1", "type2", "type2"]),
            "eating_disorder": rng.random() < 0.05,
            "pancreatitis": rng.random() < 0.03,
            "kidney_stones": rng.random() < 0.08,
            "gallbladder_disease": rng.random() < 0.08,
            "inborn_metabolic_disorder": rng.random() < 0.01,
            "naltrexone_allergy": rng.random() < 0.01,
            "notes": "",
        },
        "goals": [
            {
                "goal": rng.choice(["fatigue", "pain", "sleep", "mood", "brain_fog"]),
                "severity": rng.randrange(11),
            }
            for _ in range(rng.randrange(1, 4))
        ],
        "ketosis": {"interested": rng.random() < 0.4},
    }


def best_of(
    rounds: int, run: Callable[[], None], before: Callable[[], None] = lambda: None
) -> float:
    times = []
    for _ in range(rounds):
        before()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intakes", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    documents = [make_intake(rng) for _ in range(args.intakes)]
    batch_text = json.dumps(documents)
    schema = json.loads(SCHEMA_PATH.read_text())
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    rules = default_rules()  # loaded once, as a running worker would have it

    def baseline() -> None:
        for document in json.loads(batch_text):
            validator.validate(document)

    with tempfile.TemporaryDirectory() as tmp:
        batch_file = Path(tmp) / "batch.json"
        batch_file.write_text(batch_text)

        def full_batch() -> None:
            out = io.StringIO()
            status = screen_command.main(["--batch", str(batch_file)], stdout=out)
            assert status == 0, out.getvalue()[:500]

        def cold_caches() -> None:
            rules.drugs._cache.clear()
            rules.condition_names._cache.clear()
            rules.medication_memo.clear()

        full_batch()  # warm-up: imports and compiled validator, as in any long-lived process
        time_a = best_of(args.rounds, baseline)
        time_b = best_of(args.rounds, full_batch, cold_caches)

        cold_caches()
        tracemalloc.start()
        full_batch()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        command = [sys.executable, "-m", "workflows.screen"]
        outputs: list[bytes] = []

        def real_command() -> None:
            completed = subprocess.run(
                [*command, "--batch", str(batch_file)],
                cwd=REPO_ROOT,
                capture_output=True,
                check=True,
            )
            outputs.append(completed.stdout)

        one_file = Path(tmp) / "one.json"
        one_file.write_text(json.dumps(documents[0]))

        def start_up() -> None:
            subprocess.run([*command, str(one_file)], cwd=REPO_ROOT, capture_output=True)

        time_c = best_of(args.rounds, real_command)
        time_start = best_of(args.rounds, start_up)
        results = json.loads(outputs[-1])

    n = args.intakes
    medications = sum(len(d["medications"]) for d in documents)
    decisions: dict[str, int] = {}
    for result in results:
        decisions[result["decision"]] = decisions.get(result["decision"], 0) + 1
    print(
        f"intakes: {n} ({medications} medications, {medications / n:.1f} per intake), "
        f"best of {args.rounds} rounds, one core"
    )

    def rate(label: str, seconds: float, note: str = "") -> None:
        print(f"{label:<34}: {n / seconds:9.0f} intakes/s  ({seconds * 1000:7.1f} ms{note})")

    rate("(a) parse + jsonschema validation", time_a)
    rate("(b) full --batch screening path", time_b)
    print(f"{'ratio b/a (time)':<34}: {time_b / time_a:9.2f}   (target <= 1.00)")
    print(f"{'peak Python memory during (b)':<34}: {peak / 2**20:9.1f} MiB")
    rate("(c) the command in a subprocess", time_c, ", start-up included")
    print(f"{'ratio c/a (time)':<34}: {time_c / time_a:9.2f}   (target <= 1.00, c >= 5000/s)")
    print(f"{'command start-up, one intake':<34}: {time_start:9.3f} s (target <= 0.5 s)")
    unidentified = sum(
        1 for result in results for m in result.get("medications", []) if not m["identified"]
    )
    print(f"medications unidentified: {unidentified} of {medications}")
    print(f"decisions: {json.dumps(dict(sorted(decisions.items())))}")


if __name__ == "__main__":
    main()
