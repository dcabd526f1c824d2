"""Benchmark: the drug vocabulary's load and lookups against plain-dict baselines of the same run.

Measures, each in a fresh interpreter so nothing is warm:
  load    load_vocabulary() against the baseline of reading the same names into a dict from a
          JSON list (json.loads + dict.fromkeys: the least any loader of these strings costs);
          wall and CPU time, tracemalloc's peak and the growth of VmRSS (/proc/self/status).
then, in this process:
  exact   find() of typical typed names, the cache emptied each round, against a dict lookup
          of the same names joined by spaces;
  cached  find() again (what a worker pays for a name it has seen);
  fuzzy   find() of unknown eight-letter words (one OSA pass over the names of 7-9 letters).
Prints absolute figures and ratios; the targets are load <= 80 ms and <= 25 MB, exact find well
under 10 us, fuzzy a few ms.

    .venv/bin/python bench/vocabulary_bench.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import random
import string
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from workflows.screening.normalise import tokens  # noqa: E402
from workflows.screening.vocabulary import DEFAULT_PATH, load_vocabulary  # noqa: E402

TYPED = [
    "Lipitor 20 mg",
    "Humira pen every 2 weeks",
    "Damason-P 5/500",
    "levothyroxine sodium 100 mcg",
    "NP Thyroid 60 mg",
    "metformin ER 500 mg twice daily",
    "Tradol 50",
    "Belbuca 150 mcg film",
    "vitamin D3 2000 IU",
    "fish oil",
    "white pill from urgent care",
    "Apadaz 6.12/325",
]

LOAD_PROBE = """
import gc, json, sys, time, tracemalloc
sys.path.insert(0, {root!r})
def rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
mode = {mode!r}
if mode == "vocabulary":
    from workflows.screening.vocabulary import load_vocabulary
    run = lambda: load_vocabulary()
else:
    text = open({names_json!r}, encoding="utf-8").read()
    run = lambda: dict.fromkeys(json.loads(text))
gc.collect()
before = rss_mb()
wall, cpu = time.perf_counter(), time.process_time()
kept = run()
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
grown = rss_mb() - before
del kept
gc.collect()
tracemalloc.start()
kept = run()
peak = tracemalloc.get_traced_memory()[1]
print(json.dumps({{"wall": wall, "cpu": cpu, "rss": grown, "peak": peak / 2**20}}))
"""


def fresh_load(mode: str, names_json: Path) -> dict[str, float]:
    probe = LOAD_PROBE.format(root=str(REPO_ROOT), mode=mode, names_json=str(names_json))
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    return json.loads(completed.stdout)


def best_of(rounds: int, measure: Callable[[], float]) -> float:
    return min(measure() for _ in range(rounds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()

    vocabulary = load_vocabulary()
    names_json = Path("/tmp/ldn-vocabulary-bench-names.json")
    names_json.write_text(json.dumps(sorted(vocabulary._names)), encoding="utf-8")

    loads: dict[str, list[dict[str, float]]] = {mode: [] for mode in ("vocabulary", "baseline")}
    for _ in range(arguments.rounds):
        for mode, results in loads.items():
            results.append(fresh_load(mode, names_json))
    ours = {key: min(run[key] for run in loads["vocabulary"]) for key in loads["vocabulary"][0]}
    base = {key: min(run[key] for run in loads["baseline"]) for key in loads["baseline"][0]}
    size = DEFAULT_PATH.stat().st_size / 1e6
    print(f"data file: {size:.2f} MB, {len(vocabulary)} names")
    print(
        f"load:   {ours['wall'] * 1e3:6.1f} ms wall, {ours['cpu'] * 1e3:6.1f} ms CPU, "
        f"RSS +{ours['rss']:.1f} MB, tracemalloc peak {ours['peak']:.1f} MB"
    )
    print(
        f"  baseline (json list -> dict): {base['wall'] * 1e3:6.1f} ms wall, "
        f"RSS +{base['rss']:.1f} MB, peak {base['peak']:.1f} MB; "
        f"ratio time {ours['cpu'] / base['cpu']:.2f}, memory {ours['rss'] / base['rss']:.2f}"
    )

    typed = [tokens(text) for text in TYPED]
    keys = [" ".join(words) for words in typed]
    names = vocabulary._names
    repeat = 2_000

    def dict_lookups() -> float:
        start = time.perf_counter()
        for _ in range(repeat):
            for key in keys:
                key in names  # noqa: B015 - the lookup is what is measured
        return (time.perf_counter() - start) / (repeat * len(keys))

    def exact_finds() -> float:
        start = time.perf_counter()
        for _ in range(repeat):
            vocabulary._cache.clear()
            for words in typed:
                vocabulary.find(words)
        return (time.perf_counter() - start) / (repeat * len(typed))

    def cached_finds() -> float:
        start = time.perf_counter()
        for _ in range(repeat):
            for words in typed:
                vocabulary.find(words)
        return (time.perf_counter() - start) / (repeat * len(typed))

    vocabulary.find(("zzzzzzzz",))  # builds the fuzzy buckets once, as the first fuzzy need does
    rng = random.Random(7)
    unknown = [("".join(rng.choice(string.ascii_lowercase) for _ in range(8)),) for _ in range(200)]

    def fuzzy_finds() -> float:
        vocabulary._cache.clear()
        start = time.perf_counter()
        for words in unknown:
            vocabulary.find(words)
        return (time.perf_counter() - start) / len(unknown)

    baseline = best_of(arguments.rounds, dict_lookups)
    exact = best_of(arguments.rounds, exact_finds)
    cached = best_of(arguments.rounds, cached_finds)
    fuzzy = best_of(arguments.rounds, fuzzy_finds)
    print(f"dict lookup of the joined words (baseline): {baseline * 1e6:7.3f} us")
    print(
        f"exact find, no cache: {exact * 1e6:7.2f} us  ({1 / exact:,.0f}/s, "
        f"{exact / baseline:.0f}x baseline)"
    )
    print(
        f"cached find:          {cached * 1e6:7.2f} us  ({1 / cached:,.0f}/s, "
        f"{cached / baseline:.1f}x baseline)"
    )
    print(
        f"fuzzy find (8 letters, unknown): {fuzzy * 1e3:.2f} ms  ({1 / fuzzy:,.0f}/s, "
        f"{fuzzy / baseline:,.0f}x baseline)"
    )


if __name__ == "__main__":
    main()
