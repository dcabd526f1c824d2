"""`python -m workflows.screen` behaves as the screening contract says, in a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workflows.screen", *args],
        cwd=REPO_ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_file_prints_one_result_and_exits_0(tmp_path: Path, base_intake: dict[str, Any]) -> None:
    path = tmp_path / "intake.json"
    path.write_text(json.dumps(base_intake))
    completed = run(str(path))
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["decision"] == "eligible"


def test_dash_reads_standard_input(base_intake: dict[str, Any]) -> None:
    completed = run("-", stdin=json.dumps(base_intake))
    assert completed.returncode == 0
    assert json.loads(completed.stdout)["route"]["queue"] == "physician"


def test_batch_prints_an_array_in_order(base_intake: dict[str, Any]) -> None:
    second = json.loads(json.dumps(base_intake))
    second["patient"]["state_of_residence"] = "Kansas"
    completed = run("--batch", "-", stdin=json.dumps([base_intake, second]))
    assert completed.returncode == 0
    results = json.loads(completed.stdout)
    assert [r["decision"] for r in results] == ["eligible", "ineligible"]


def test_an_invalid_document_exits_2_with_a_json_error_naming_each_field(
    base_intake: dict[str, Any],
) -> None:
    base_intake["history"]["liver_disease"] = "maybe"
    base_intake["goals"][0]["severity"] = 11
    completed = run("-", stdin=json.dumps(base_intake))
    assert completed.returncode == 2
    error = json.loads(completed.stdout)
    assert {e["field"] for e in error["errors"]} == {"history.liver_disease", "goals[0].severity"}


@pytest.mark.parametrize("text", ["", "not json", "{", "[1, 2", "\x00"])
def test_non_json_exits_2_with_a_clear_error_and_no_traceback(text: str) -> None:
    completed = run("-", stdin=text)
    assert completed.returncode == 2
    assert "Traceback" not in completed.stdout + completed.stderr
    assert json.loads(completed.stdout)["error"] == "not_json"


@pytest.mark.parametrize("document", ["[]", "42", '"intake"', "null"])
def test_json_that_is_not_an_object_exits_2(document: str) -> None:
    completed = run("-", stdin=document)
    assert completed.returncode == 2
    assert "JSON object" in completed.stdout


def test_a_missing_file_exits_2_naming_it() -> None:
    completed = run("/nonexistent/intake.json")
    assert completed.returncode == 2
    assert "/nonexistent/intake.json" in json.loads(completed.stdout)["message"]


def test_batch_of_something_other_than_an_array_exits_2(base_intake: dict[str, Any]) -> None:
    completed = run("--batch", "-", stdin=json.dumps(base_intake))
    assert completed.returncode == 2
    assert json.loads(completed.stdout)["error"] == "not_a_batch"


def test_batch_with_one_invalid_document_marks_it_and_exits_2(base_intake: dict[str, Any]) -> None:
    completed = run("--batch", "-", stdin=json.dumps([base_intake, {"submitted_at": "x"}]))
    assert completed.returncode == 2
    first, second = json.loads(completed.stdout)
    assert first["decision"] == "eligible"
    assert second["index"] == 1 and second["error"] == "invalid_intake"


def test_no_arguments_prints_usage_and_exits_2() -> None:
    completed = run()
    assert completed.returncode == 2 and "usage" in completed.stderr
