"""The figures bench/load.py --overhead computes: the service's CPU time and the paired ratios."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bench.load import OverheadRound, group_cpu_seconds, paired_ratios

# Uses `seconds` of CPU in a child of its own (reaped when it ends), then its own share, then
# says so and waits for stdin to close.
BURNER = """
import os, sys, time

def burn(seconds):
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass

child = os.fork()
if child == 0:
    burn(float(sys.argv[1]))
    os._exit(0)
os.waitpid(child, 0)
burn(float(sys.argv[1]))
print("done", flush=True)
sys.stdin.read()
"""


def test_the_cpu_time_of_a_process_group_counts_its_reaped_children_too() -> None:
    with subprocess.Popen(
        [sys.executable, "-c", BURNER, "0.3"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as burner:
        assert burner.stdout is not None and burner.stdout.readline() == "done\n"
        used = group_cpu_seconds([burner.pid])
        assert burner.stdin is not None
        burner.stdin.close()
        burner.wait(timeout=30)
    # 0.3 s by the child (folded into its parent's when reaped) and 0.3 s by the parent.
    assert used >= 0.55
    assert group_cpu_seconds([burner.pid]) == 0  # the group is gone


def figures(accepted: float) -> OverheadRound:
    return OverheadRound(accepted, 1.0, 1.0, 1.0, 0.5, 0.5, 0, 0)


def test_each_configuration_is_divided_by_the_off_service_that_ran_beside_it() -> None:
    rounds = {
        "off beside metrics": [figures(100), figures(200)],
        "metrics": [figures(95), figures(210)],
    }
    assert paired_ratios(rounds, "metrics", "accepted") == pytest.approx([0.95, 1.05])
