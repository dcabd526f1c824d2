"""Benchmark: re-screening open cases after a rule change, on PostgreSQL.

Starts a PostgreSQL cluster (tests/servers.py), runs the shared acceptance cases through the
real pipeline (submit, validate, screen, route) into a template database, then for each size
makes a database from that template and clones its routed cases in SQL (INSERT ... SELECT
generate_series) into N open cases screened by an older rule set. Each re-screening runs in a
fresh process, so its peak RSS (resource.getrusage) is its own. Prints time, cases per second
and peak RSS for each size, and the per-case time's ratio to the baseline size (flat: ~1.0).
Goal (issue 14): 100,000 open cases in <= 60 s under 250 MB.

    .venv/bin/python bench/rescreen_bench.py [--cases 100000] [--baseline 10000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import sqlalchemy  # noqa: E402
from sqlalchemy import text  # noqa: E402

CLONE = """
INSERT INTO intake_case (public_id, access_token_hash, status, submitted_at, created_at,
    updated_at, intake, screening_result, rule_set_version, decision, queue, priority,
    pipeline_attempts, notified_at, routed_at, patient_state, language, version)
SELECT 'BENCH-' || g, t.access_token_hash, 'routed', t.submitted_at, t.created_at,
    t.updated_at, t.intake, t.screening_result, 'rules-older', t.decision, t.queue, t.priority,
    0, t.notified_at, t.routed_at, t.patient_state, t.language, 1
FROM generate_series(1, :n) AS g
JOIN (SELECT row_number() OVER (ORDER BY id) - 1 AS k, * FROM intake_case
      WHERE status = 'routed') AS t ON t.k = g % :templates
"""


TODAY = date(2026, 11, 1)


def seed_template(admin_url: str) -> str:
    """A database holding the shared cases as the real pipeline left them."""
    from tests.conftest import load_case, shared_case_files
    from workflows.cases import pipeline
    from workflows.cases.submission import submit_intake
    from workflows.messaging.mail import DatabaseOutbox
    from workflows.platform.database import engine_for, sessions_for
    from workflows.platform.migrate import upgrade
    from workflows.screening import InvalidIntake

    name = f"tmpl_{uuid.uuid4().hex[:8]}"
    _admin(admin_url, f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    sessions = sessions_for(url)
    for path in shared_case_files():
        try:
            submitted = submit_intake(sessions, load_case(path)["intake"], TODAY, lambda _: None)
        except InvalidIntake:
            continue  # some acceptance cases are refused at the door by design
        case_id = submitted.id
        pipeline.process(sessions, case_id, DatabaseOutbox())
    with sessions() as db:
        routed = db.scalar(text("SELECT count(*) FROM intake_case WHERE status = 'routed'"))
    engine_for(url).dispose()
    print(f"template: {routed} routed cases from the shared acceptance cases", flush=True)
    return name


def database_with(admin_url: str, template: str, cases: int) -> str:
    name = f"run_{uuid.uuid4().hex[:8]}"
    _admin(admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as connection:
        templates = connection.scalar(
            text("SELECT count(*) FROM intake_case WHERE status = 'routed'")
        )
        connection.execute(text(CLONE), {"n": cases - templates, "templates": templates})
        # The template's own cases are open too: screened by the older rules as well.
        connection.execute(text("UPDATE intake_case SET rule_set_version = 'rules-older'"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return url


def _admin(admin_url: str, statement: str) -> None:
    engine = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(statement))
    engine.dispose()


def run_once(url: str) -> None:
    """In the child process: re-screen every open case, print time, count and peak RSS."""
    from workflows.cases.rescreen import RESCREEN_PROCESSES, rescreen_open_cases
    from workflows.platform.database import sessions_for
    from workflows.screening import default_rules

    default_rules()  # loaded before the clock starts, as at start-up
    started = time.perf_counter()
    changed = rescreen_open_cases(sessions_for(url), processes=RESCREEN_PROCESSES)
    seconds = time.perf_counter() - started
    # This process and its children (each at most the largest one's peak), as make run's.
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 + child_mb * (
        RESCREEN_PROCESSES - 1
    )
    print(json.dumps({"cases": len(changed), "seconds": seconds, "peak_rss_mb": peak_mb}))


def measure(url: str) -> dict[str, float]:
    answer = subprocess.run(
        [sys.executable, __file__, "--run", url], check=True, capture_output=True, text=True
    )
    return json.loads(answer.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=10_000)
    parser.add_argument("--run", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.run:
        run_once(options.run)
        return 0
    from tests.servers import postgres_server

    with postgres_server() as admin_url:
        template = seed_template(admin_url)
        results = {}
        for size in (options.baseline, options.cases):
            url = database_with(admin_url, template, size)
            results[size] = measure(url)
            figures = results[size]
            print(
                f"{int(figures['cases']):>9,} open cases: {figures['seconds']:7.1f} s, "
                f"{figures['cases'] / figures['seconds']:7.0f} cases/s, "
                f"peak RSS {figures['peak_rss_mb']:5.0f} MB",
                flush=True,
            )
        base, big = results[options.baseline], results[options.cases]
        ratio = (big["seconds"] / big["cases"]) / (base["seconds"] / base["cases"])
        print(
            f"per-case time {options.cases:,} / {options.baseline:,}: {ratio:.2f} "
            f"(goal: 100,000 in <= 60 s under 250 MB)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
