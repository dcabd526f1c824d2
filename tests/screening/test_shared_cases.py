"""Every acceptance case in ../shared/cases passes, run the way the acceptance checks run them:
valid intakes in one `--batch` call of the command, invalid ones one by one."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT, load_case, shared_case_files
from tests.screening.case_matching import mismatches
from workflows.screening import InvalidIntake, screen_document

CASES = shared_case_files()
VALID = [path for path in CASES if not load_case(path)["expect"].get("invalid")]
INVALID = [path for path in CASES if load_case(path)["expect"].get("invalid")]


def run_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workflows.screen", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@cache
def batch_results(tmp_dir: str) -> dict[str, dict[str, Any]]:
    batch = Path(tmp_dir) / "batch.json"
    batch.write_text(json.dumps([load_case(path)["intake"] for path in VALID]))
    completed = run_command("--batch", str(batch))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    results = json.loads(completed.stdout)
    assert len(results) == len(VALID)
    return {path.name: result for path, result in zip(VALID, results, strict=True)}


@pytest.fixture(scope="module")
def batch_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("batch"))


@pytest.mark.parametrize("case", VALID, ids=lambda path: path.name)
def test_valid_case_through_the_batch_command(case: Path, batch_dir: str) -> None:
    result = batch_results(batch_dir)[case.name]
    assert mismatches(result, load_case(case)["expect"]) == []


@pytest.mark.parametrize("case", VALID, ids=lambda path: path.name)
def test_valid_case_through_the_engine(case: Path) -> None:
    data = load_case(case)
    assert mismatches(screen_document(data["intake"]), data["expect"]) == []


@pytest.mark.parametrize("case", INVALID, ids=lambda path: path.name)
def test_invalid_case_exits_2_naming_each_field(case: Path, tmp_path: Path) -> None:
    data = load_case(case)
    document = tmp_path / "intake.json"
    document.write_text(json.dumps(data["intake"]))
    completed = run_command(str(document))
    output = (completed.stdout + completed.stderr).lower()
    assert completed.returncode == 2
    assert "traceback" not in output
    for field in data["expect"]["fields"]:
        assert field.lower() in output


@pytest.mark.parametrize("case", INVALID, ids=lambda path: path.name)
def test_invalid_case_is_refused_by_the_engine(case: Path) -> None:
    data = load_case(case)
    with pytest.raises(InvalidIntake) as refused:
        screen_document(data["intake"])
    fields = " ".join(error.field for error in refused.value.errors).lower()
    for field in data["expect"]["fields"]:
        assert field.lower() in fields
