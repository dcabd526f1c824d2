"""Scale benchmark: every staff page and staff API call with N cases on PostgreSQL.

For each size N it seeds a database (bench/scale_seed.py: template cases through the real
pipeline and staff actions, cloned in SQL), starts the web process as the Procfile does
(gunicorn, one worker here so its memory is the web worker's), signs in as a coordinator, a
physician and an admin (two-factor codes made with the app's own TOTP box), and requests each
page, and Prometheus's scrape of /metrics (from 127.0.0.1, which the default METRICS_ALLOW lets
in without a token): 3 warm-ups, then 20 timed requests (fewer when a page is so slow that 20
would pass --page-budget seconds; the table says how many). It prints a markdown table per N: median and
p95 in ms, SQL statements per request (the X-Statement-Count header, which the app adds only
with LDN_BENCH_COUNT_STATEMENTS=1), the ratio of each p95 to the first size's, and the web
worker's RSS: after the pages, and its high-water mark (VmHWM) over the pages, apart from that
of signing in (argon2id holds 64 MiB for each password hash, whatever N). Then it times
re-screening the open cases (workflows/cases/rescreen.py, in a subprocess, as `make run`
calls it after a rule change: that process and one child) and reports the sum of their peak
RSS.

Rows that miss the goal of issue 14 are marked: p95 > 100 ms (the goal is p95 <= 100 ms at
1,000,000 cases: a page over it at a smaller size will not meet it at 1M), p95 ratio to
10,000 > 1.5, web worker RSS >= 120 MB, re-screening 100,000 open cases > 60 s or >= 250 MB.
No asserts: the numbers are compared with a baseline measured in the same run.

    .venv/bin/python bench/scale.py [--sizes 10000,100000,1000000] [--open-share 0.05]
                                    [--reuse] [--rescreen-size 100000] [--no-rescreen]
                                    [--page-budget 60] [--pages 'case page,amend']

Databases live in one PostgreSQL cluster under /tmp/ldn-scale (kept between runs); with
--reuse a database already seeded with the same N and open share is used again (the benchmark's
own sign-ins, views and re-screenings add a few rows to it each run).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pyotp
import redis as redis_lib
import requests
import sqlalchemy
from sqlalchemy import select, text

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench.scale_seed import OPEN_STATES, PASSWORD, seed, table_counts  # noqa: E402
from tests.servers import (  # noqa: E402
    PostgresServer,
    RedisServer,
    _as_postgres,
    _postgres_bin,
    free_port,
    stop_process_groups,
)
from workflows.cases import casework  # noqa: E402
from workflows.cases.figures import FiguresCache, refresh_figures  # noqa: E402
from workflows.cases.models import Case  # noqa: E402
from workflows.messaging.mail import DatabaseOutbox  # noqa: E402
from workflows.platform.database import engine_for, sessions_for  # noqa: E402
from workflows.platform.migrate import upgrade  # noqa: E402
from workflows.platform.orm import utcnow  # noqa: E402
from workflows.staff.accounts import issue_api_token  # noqa: E402
from workflows.staff.models import StaffUser  # noqa: E402
from workflows.staff.two_factor import time_step, totp_secret_box, totp_secret_context  # noqa: E402

FOLDER = Path("/tmp/ldn-scale")
SECRET_KEY = "scale-bench"  # the TOTP secrets of a reused database are sealed with it
WARM_UPS = 3
TIMED = 20
GOAL_P95_MS = 100
GOAL_RATIO = 1.5
GOAL_RSS_MB = 120
GOAL_RESCREEN_SECONDS = 60
GOAL_RESCREEN_MB = 250
COORDINATOR, PHYSICIAN, ADMIN = "coordinator@scale.test", "dr.tx@scale.test", "admin@scale.test"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class ScalePostgres(PostgresServer):
    """The benchmark's cluster: one folder under /tmp/ldn-scale, created once and kept, so a
    seeded million cases survive to the next run."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "pgdata"
        self.port = free_port()
        if not (self.data / "PG_VERSION").exists():
            shutil.rmtree(self.folder, ignore_errors=True)
            fresh = PostgresServer()  # initdb in a temporary folder, then moved here
            shutil.move(str(fresh.folder), str(self.folder))

    def start(self) -> None:
        super().start()
        # Bulk seeding writes gigabytes: fewer checkpoints, as a loaded server would be tuned.
        admin = sqlalchemy.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("ALTER SYSTEM SET max_wal_size = '8GB'"))
            connection.execute(text("SELECT pg_reload_conf()"))
        admin.dispose()

    def stop(self) -> None:
        # A clean shutdown: after gigabytes of seeding, "immediate" would leave them all to
        # replay from the WAL at the next start.
        subprocess.run(
            _as_postgres(
                [_postgres_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"]
            ),
            capture_output=True,
        )

    def remove(self) -> None:
        self.stop()  # the data stays for --reuse


def database_for(server: ScalePostgres, name: str, reuse: bool) -> tuple[str, bool]:
    """The URL of database `name`, and whether it is already seeded (only with `reuse`)."""
    admin = sqlalchemy.create_engine(server.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        comment = connection.scalar(
            text(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                "WHERE datname = :name"
            ),
            {"name": name},
        )
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
        seeded = reuse and comment == "seeded"
        if exists and not seeded:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        if not seeded:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.admin_url.rsplit("/", 1)[0] + f"/{name}", seeded


def mark_seeded(server: ScalePostgres, name: str) -> None:
    admin = sqlalchemy.create_engine(server.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"COMMENT ON DATABASE \"{name}\" IS 'seeded'"))
    admin.dispose()


def prepared_database(
    server: ScalePostgres, size: int, open_share: float, reuse: bool
) -> tuple[str, float]:
    """A database of `size` cases: seeded now, or reused. Returns its URL and the seconds
    seeding took (0 when reused)."""
    name = f"scale_{size}_open{round(open_share * 100)}"
    url, seeded = database_for(server, name, reuse)
    if seeded:
        upgrade(url)  # a newer checkout may carry new migrations (indexes)
        return url, 0.0
    started = time.monotonic()
    upgrade(url)
    seed(sessions_for(url), engine_for(url), totp_secret_box(SECRET_KEY), size, open_share)
    mark_seeded(server, name)
    return url, time.monotonic() - started


# --- the web process -------------------------------------------------------------------------


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory now (VmRSS), or its high-water mark (VmHWM), which catches a peak of a
    few milliseconds that sampling would miss."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def restart_high_water_mark(pid: int) -> None:
    """Linux's clear_refs: writing 5 sets the process's VmHWM back to its current RSS."""
    with open(f"/proc/{pid}/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


class Web:
    """gunicorn as the Procfile starts it, with one worker so its memory is the worker's."""

    def __init__(self, database_url: str, redis_url: str) -> None:
        self.port = free_port()
        instance = FOLDER / "instance"
        instance.mkdir(parents=True, exist_ok=True)
        # As the Procfile does: each worker writes its counters to files there, and a scrape of
        # /metrics adds them up (gunicorn_hooks.on_starting empties the folder first).
        metrics_folder = instance / "prometheus" / "web"
        metrics_folder.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": SECRET_KEY,
            "LDN_INSTANCE_PATH": str(instance),
            "LDN_BENCH_COUNT_STATEMENTS": "1",
            "MALLOC_ARENA_MAX": "2",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_folder),
        }
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "-c",
                "python:intake.gunicorn_hooks",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--timeout",
                "600",
                "intake:create_app()",
            ],  # fmt: skip
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._wait_until_up()
        self.peak_rss = 0.0
        self._peak_lock = threading.Lock()
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/staff/login")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit("the web process did not come up")

    def worker_pid(self) -> int:
        children = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout.split()
        return int(children[0]) if children else self.process.pid

    def rss(self) -> float:
        return rss_mb(self.worker_pid())

    def restart_peak(self) -> float:
        """The peak so far, and a new one from now on."""
        with self._peak_lock:
            pid = self.worker_pid()
            peak = max(self.peak_rss, rss_mb(pid, "VmHWM"))
            restart_high_water_mark(pid)
            self.peak_rss = self.rss()
        return peak

    def peak(self) -> float:
        with self._peak_lock:
            self.peak_rss = max(self.peak_rss, rss_mb(self.worker_pid(), "VmHWM"))
            return self.peak_rss

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self.peak()

    def stop(self) -> None:
        self._stop.set()
        stop_process_groups([self.process])


# --- signing in ------------------------------------------------------------------------------


def csrf_of(http_session: requests.Session, url: str) -> str:
    match = CSRF.search(http_session.get(url).text)
    if match is None:
        raise SystemExit(f"no CSRF token on {url}")
    return match.group(1)


def totp_code(database_url: str, email: str) -> str:
    """A code the server accepts now: from the account's sealed secret, opened with the app's
    own box, at a time step the account has not used yet (the server refuses replays)."""
    with sessions_for(database_url)() as db:
        user = db.scalars(select(StaffUser).where(StaffUser.email == email)).one()
        assert user.totp_secret, f"{email} has no second factor to sign in with"
        secret = totp_secret_box(SECRET_KEY).open(user.totp_secret, totp_secret_context(user.id))
        last_step = user.totp_last_step
    step = time_step(utcnow())
    while last_step is not None and step <= last_step:
        time.sleep(1)  # the next 30-second step; happens only when one run signs in twice
        step = time_step(utcnow())
    return pyotp.TOTP(secret).generate_otp(step)


def signed_in(web: Web, database_url: str, email: str) -> requests.Session:
    http_session = requests.Session()
    login = f"{web.base}/staff/login"
    answer = http_session.post(
        login,
        data={"email": email, "password": PASSWORD, "csrf_token": csrf_of(http_session, login)},
        allow_redirects=False,
    )
    if answer.headers.get("Location", "").endswith("/staff/login/code"):
        code_page = f"{web.base}/staff/login/code"
        token = csrf_of(http_session, code_page)
        answer = http_session.post(
            code_page,
            data={"code": totp_code(database_url, email), "csrf_token": token},
            allow_redirects=False,
        )
    if answer.status_code != 302:
        raise SystemExit(f"signing in as {email} failed: {answer.status_code}")
    return http_session


# --- what is measured ------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    name: str
    who: str  # "coordinator", "physician", "admin", "api-coordinator", "api-physician", "patient"
    path: str
    status: int = 200
    # A search: posted with this term (the term never goes in a URL), as the search box does.
    search: str | None = None
    # Text the answer must hold: a scrape that answers 200 without the database's gauges
    # measured nothing of them.
    holds: str | None = None


@dataclass(frozen=True)
class Sample:
    page: Page
    times_ms: list[float]
    statements: list[int]

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times_ms)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


@dataclass(frozen=True)
class SearchTerms:
    """What the search pages look for, taken from a case in the middle of the table."""

    reference: str
    email: str
    birth_date: str  # as MM/DD/YYYY, the American form a coordinator types
    surname_prefix: str  # the first four letters of a last name: ~1 case in 100 matches
    name_prefix: str  # a first name and the start of a last name ("rosa hern")
    physician_surname_prefix: str  # a last name's start among the physician's own cases


def pages(case_reference: str, amend_token: str, terms: SearchTerms) -> list[Page]:
    return [
        Page("/staff/queue", "coordinator", "/staff/queue"),
        Page("/staff/queue?flag=OPIOID_CURRENT", "coordinator", "/staff/queue?flag=OPIOID_CURRENT"),
        Page(
            "/staff/queue?queue=coordinator&patient_state=TX",
            "coordinator",
            "/staff/queue?queue=coordinator&patient_state=TX",
        ),
        Page("/staff/physician", "physician", "/staff/physician"),
        Page("search: reference", "coordinator", "/staff/queue", search=terms.reference),
        Page("search: email", "coordinator", "/staff/queue", search=terms.email),
        Page("search: date of birth", "coordinator", "/staff/queue", search=terms.birth_date),
        Page(
            "search: last name prefix", "coordinator", "/staff/queue", search=terms.surname_prefix
        ),
        Page("search: name prefix", "coordinator", "/staff/queue", search=terms.name_prefix),
        Page(
            "search (physician): last name prefix",
            "physician",
            "/staff/physician",
            search=terms.physician_surname_prefix,
        ),
        Page(
            "search (physician): date of birth",
            "physician",
            "/staff/physician",
            search=terms.birth_date,
        ),
        Page("/staff/dashboard", "coordinator", "/staff/dashboard"),
        Page("/staff/admin/audit", "admin", "/staff/admin/audit"),
        Page("/staff/admin/audit?actor=dr.tx", "admin", "/staff/admin/audit?actor=dr.tx"),
        Page("/staff/admin/audit?case=<ref>", "admin", f"/staff/admin/audit?case={case_reference}"),
        Page("case page", "coordinator", f"/staff/cases/{case_reference}"),
        Page(
            "/staff/admin/unidentified-medications",
            "admin",
            "/staff/admin/unidentified-medications",
        ),
        Page("GET /api/v1/queue", "api-coordinator", "/api/v1/queue"),
        Page("GET /api/v1/queue (physician)", "api-physician", "/api/v1/queue"),
        Page("GET /api/v1/cases/<id>", "api-coordinator", f"/api/v1/cases/{case_reference}"),
        # The patient's link from a request for more information (anonymous): opens the amend
        # flow and redirects to its first step.
        Page("GET /intake/amend?t=<token>", "patient", f"/intake/amend?t={amend_token}", 302),
        # Operations (issue 17). Prometheus's scrape, anonymous from 127.0.0.1 (the default
        # METRICS_ALLOW): the counters of the multiprocess files, then the gauges read from the
        # database at each scrape (workflows/cases/scrape_figures.py).
        Page("GET /metrics", "patient", "/metrics", holds="ldn_cases_past_target{"),
        # The admins' page: the same aggregates and the lists of failed and stuck cases, the
        # mail and webhook backlogs (workflows/cases/operations.py), and a ping of the workers
        # (none answer here: at most one ping of PING_TIMEOUT_SECONDS every 5 s per process).
        Page("/staff/admin/operations", "admin", "/staff/admin/operations"),
    ]


def measured_case(database_url: str) -> str:
    """An open case in the coordinator queue, from the middle of the table (not a template),
    and at every size a clone of the same template: the same intake, flags and readings, so
    that the case page's sizes compare the table's size and not two different patients."""
    with engine_for(database_url).connect() as connection:
        count = connection.scalar(text("SELECT count(*) FROM intake_case"))
        return connection.scalar(
            text(
                "WITH template AS (SELECT intake FROM intake_case WHERE status = 'routed' "
                "AND queue = 'coordinator' ORDER BY id LIMIT 1) "
                "SELECT c.public_id FROM intake_case c, template WHERE c.id >= :middle "
                "AND c.status = 'routed' AND c.queue = 'coordinator' "
                "AND c.intake = template.intake ORDER BY c.id LIMIT 1"
            ),
            {"middle": count // 2},
        ) or connection.scalar(
            text("SELECT public_id FROM intake_case WHERE status = 'routed' LIMIT 1")
        )


def search_terms(database_url: str, case_reference: str) -> SearchTerms:
    """Terms that find the measured case (and its namesakes), and a physician's namesakes."""
    with engine_for(database_url).connect() as connection:
        email, born, surname, name = connection.execute(
            text(
                "SELECT email_key, birth_date, surname_key, name_key FROM intake_case "
                "WHERE public_id = :reference"
            ),
            {"reference": case_reference},
        ).one()
        theirs = connection.scalar(
            text(
                "SELECT c.surname_key FROM intake_case c JOIN staff_user s "
                "ON s.id = c.assignee_id WHERE s.email = :email AND c.status = 'assigned' "
                "AND c.surname_key IS NOT NULL ORDER BY c.id DESC LIMIT 1"
            ),
            {"email": PHYSICIAN},
        )
    first = name.split()[0]
    return SearchTerms(
        reference=case_reference.lower(),
        email=email,
        birth_date=born.strftime("%m/%d/%Y"),
        surname_prefix=surname[:4],
        name_prefix=f"{first} {surname[:3]}",
        physician_surname_prefix=(theirs or surname)[:4],
    )


def fresh_amend_token(database_url: str) -> str:
    """A coordinator asks a patient for more information, as the case page does; the link's
    token is what the patient's message would carry."""
    sessions = sessions_for(database_url)
    with sessions() as db:
        coordinator = db.scalars(select(StaffUser.id).where(StaffUser.email == COORDINATOR)).one()
        case_id = db.scalars(
            select(Case.id).where(Case.status == "routed", Case.queue == "coordinator").limit(1)
        ).one()
    tokens: list[str] = []

    def link_for(token: str) -> str:
        tokens.append(token)
        return f"http://127.0.0.1/intake/amend?t={token}"

    casework.request_info(
        sessions,
        coordinator,
        case_id,
        None,
        ["medications"],
        "Please tell us the dose of each medication.",
        DatabaseOutbox(),
        link_for,
        message="What dose of each medication do you take?",
    )
    return tokens[0]


def measure(web: Web, clients: dict[str, requests.Session], page: Page, budget: float) -> Sample:
    """Warm-ups, then timed requests: TIMED of them, or as many as fit in `budget` seconds
    (at least three) when the page is slow."""
    client = clients[page.who]
    url = web.base + page.path
    form = {"term": page.search, "csrf_token": csrf_of(client, url)} if page.search else None

    def timed_get() -> tuple[float, int]:
        before = time.perf_counter()
        if form is not None:
            answer = client.post(url, data=form, allow_redirects=False)
        else:
            answer = client.get(url, allow_redirects=False)
        elapsed = (time.perf_counter() - before) * 1000
        if answer.status_code != page.status:
            raise SystemExit(f"{page.name}: {answer.status_code}, expected {page.status}")
        if form is not None and "case-table" not in answer.text:
            raise SystemExit(f"{page.name}: no results table")
        if page.holds is not None and page.holds not in answer.text:
            raise SystemExit(f"{page.name}: {page.holds!r} is not in the answer")
        return elapsed, int(answer.headers.get("X-Statement-Count", "-1"))

    for _ in range(WARM_UPS):
        elapsed, _ = timed_get()
        if elapsed > budget * 1000 / 10:
            break  # a page this slow has nothing left to warm up
    times: list[float] = []
    statements: list[int] = []
    started = time.monotonic()
    while len(times) < TIMED and (len(times) < 3 or time.monotonic() - started < budget):
        elapsed, count = timed_get()
        times.append(elapsed)
        statements.append(count)
    return Sample(page, times, statements)


def clients_for(web: Web, database_url: str) -> dict[str, requests.Session]:
    clients = {
        "coordinator": signed_in(web, database_url, COORDINATOR),
        "physician": signed_in(web, database_url, PHYSICIAN),
        "admin": signed_in(web, database_url, ADMIN),
        "patient": requests.Session(),
    }
    sessions = sessions_for(database_url)
    for who, email in (("api-coordinator", COORDINATOR), ("api-physician", PHYSICIAN)):
        clients[who] = requests.Session()
        clients[who].headers["Authorization"] = f"Bearer {issue_api_token(sessions, email)}"
    return clients


# --- re-screening ----------------------------------------------------------------------------

_RESCREEN = """
import json, resource, sys, time
from workflows.platform.database import sessions_for
from workflows.cases.rescreen import RESCREEN_PROCESSES, rescreen_open_cases
started = time.monotonic()
changed = rescreen_open_cases(sessions_for(sys.argv[1]), processes=RESCREEN_PROCESSES)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest child
print(json.dumps({"cases": len(changed), "seconds": time.monotonic() - started,
                  "processes": RESCREEN_PROCESSES, "self_mb": peak, "child_mb": child,
                  "peak_mb": peak + child * (RESCREEN_PROCESSES - 1)}))
"""


def rescreen(database_url: str) -> dict[str, float]:
    """Re-screen every open case in a fresh process, as `make run` does at start-up after a
    rule change: the open cases are first marked as screened by an earlier rule set."""
    with engine_for(database_url).begin() as connection:
        connection.execute(
            text(
                "UPDATE intake_case SET rule_set_version = 'scale-bench-earlier-rules' "
                "WHERE status = ANY(:open) AND rule_set_version IS NOT NULL"
            ),
            {"open": OPEN_STATES},
        )
    # As a real rule change finds them: marked long ago and vacuumed since, not with 100,000
    # dead row versions from the marking that autovacuum would clean during the timed run.
    with (
        engine_for(database_url)
        .connect()
        .execution_options(isolation_level="AUTOCOMMIT") as connection
    ):
        connection.execute(text("VACUUM ANALYZE intake_case"))
    finished = subprocess.run(
        [sys.executable, "-c", _RESCREEN, database_url],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "MALLOC_ARENA_MAX": "2"},
    )
    if finished.returncode != 0:
        raise SystemExit(f"re-screening failed:\n{finished.stderr[-2000:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


# --- the report ------------------------------------------------------------------------------


@dataclass
class SizeRun:
    size: int
    seed_seconds: float
    counts: dict[str, int]
    samples: list[Sample]
    rss_after: float
    rss_peak: float
    # Signing in hashes a password with argon2id, whose memory cost (64 MiB, argon2-cffi's
    # RFC 9106 default) the worker holds for the hash's ~0.1 s and then returns: a cost of
    # each sign-in, whatever the number of cases, so it is reported apart from the pages.
    rss_peak_signing_in: float
    # The machine's 1-minute load average before and after the pages: timings on a shared
    # 2-core machine mean little when other work ran beside them.
    load: tuple[float, float]
    # The dashboard's figures as beat computes them every minute (the page reads them from
    # Redis): the aggregate queries' cost at this size.
    figures_seconds: float


def miss(condition: bool) -> str:
    return " **miss**" if condition else ""


def report(run: SizeRun, baseline: SizeRun | None, open_share: float) -> str:
    counts = run.counts
    lines = [
        f"### {run.size:,} cases ({counts['open']:,} open, target share {open_share:.0%}; "
        f"{counts['case_event']:,} events, {counts['audit_entry']:,} audit entries, "
        f"{counts['outbox_message']:,} outbox messages"
        + (f"; seeded in {run.seed_seconds:.0f} s" if run.seed_seconds else "; reused")
        + ")",
        "",
        f"| page | n | median ms | p95 ms | statements | p95 / {baseline.size:,} |"
        if baseline
        else "| page | n | median ms | p95 ms | statements | ratio |",
        "|---|---|---|---|---|---|",
    ]
    base = {s.page.name: s for s in baseline.samples} if baseline else {}
    for sample in run.samples:
        ratio = sample.p95 / base[sample.page.name].p95 if sample.page.name in base else None
        fewest, most = min(sample.statements), max(sample.statements)
        lines.append(
            f"| {sample.page.name} | {len(sample.times_ms)} | {sample.median:.0f} | "
            f"{sample.p95:.0f}{miss(sample.p95 > GOAL_P95_MS)} | "
            f"{fewest if fewest == most else f'{fewest}-{most}'} | "
            + (f"{ratio:.2f}{miss(ratio > GOAL_RATIO)}" if ratio is not None else "-")
            + " |"
        )
    lines += [
        "",
        f"Web worker RSS: {run.rss_after:.0f} MB after the run{miss(run.rss_after >= GOAL_RSS_MB)}, "
        f"peak {run.rss_peak:.0f} MB{miss(run.rss_peak >= GOAL_RSS_MB)} over the pages "
        f"({run.rss_peak_signing_in:.0f} MB while signing in: argon2id's 64 MiB, returned). "
        f"Load average {run.load[0]:.1f} before the pages, {run.load[1]:.1f} after. "
        f"Dashboard figures (the beat task, every minute) computed in {run.figures_seconds:.2f} s.",
        "",
    ]
    return "\n".join(lines)


def run_size(
    server: ScalePostgres, redis: RedisServer, size: int, args: argparse.Namespace
) -> SizeRun:
    print(f"scale: preparing {size:,} cases ...", file=sys.stderr, flush=True)
    url, seed_seconds = prepared_database(server, size, args.open_share, args.reuse)
    counts = table_counts(engine_for(url))
    case_reference = measured_case(url)
    amend_token = fresh_amend_token(url)
    terms = search_terms(url, case_reference)
    # Nothing carried over from the last size: the dashboard figures (and sign-in limits) in
    # Redis belong to its database. Then the figures as beat computes them, timed.
    redis_lib.Redis.from_url(redis.url).flushall()
    started = time.perf_counter()
    refresh_figures(sessions_for(url), FiguresCache.for_url(redis.url), utcnow())
    figures_seconds = time.perf_counter() - started
    web = Web(url, redis.url)
    try:
        clients = clients_for(web, url)
        peak_signing_in = web.restart_peak()
        load_before = os.getloadavg()[0]
        samples = []
        for page in pages(case_reference, amend_token, terms):
            if args.pages and not any(part in page.name for part in args.pages.split(",")):
                continue
            print(f"scale: {size:,} {page.name}", file=sys.stderr, flush=True)
            samples.append(measure(web, clients, page, args.page_budget))
        rss_after = web.rss()
        return SizeRun(
            size,
            seed_seconds,
            counts,
            samples,
            rss_after,
            web.peak(),
            peak_signing_in,
            (load_before, os.getloadavg()[0]),
            figures_seconds,
        )
    finally:
        web.stop()
        engine_for(url).dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated case counts")
    parser.add_argument(
        "--open-share", type=float, default=0.05, help="share of open cases (0.3: stress)"
    )
    parser.add_argument("--reuse", action="store_true", help="reuse databases seeded before")
    parser.add_argument(
        "--page-budget", type=float, default=60, help="seconds of timed requests per page at most"
    )
    parser.add_argument(
        "--rescreen-size",
        type=int,
        default=100_000,
        help="open cases to re-screen (a database of that many cases, all open)",
    )
    parser.add_argument("--no-rescreen", action="store_true")
    parser.add_argument(
        "--pages",
        default="",
        help="only the pages whose name contains one of these comma-separated parts "
        "(e.g. 'case page,cases/<id>,amend' for the fast ones at 1,000,000)",
    )
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    FOLDER.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "compileall", "-q", "intake", "workflows"], cwd=REPO_ROOT)
    server = ScalePostgres(FOLDER)
    server.start()
    redis_folder = FOLDER / "redis"
    redis_folder.mkdir(exist_ok=True)
    redis = RedisServer(redis_folder)
    redis.start()
    try:
        runs: list[SizeRun] = []
        for size in sizes:
            runs.append(run_size(server, redis, size, args))
            print(report(runs[-1], runs[0] if len(runs) > 1 else None, args.open_share), flush=True)
        if not args.no_rescreen:
            print(f"scale: re-screening {args.rescreen_size:,} open cases ...", file=sys.stderr)
            url, _ = prepared_database(server, args.rescreen_size, 1.0, args.reuse)
            result = rescreen(url)
            engine_for(url).dispose()
            print(
                f"### Re-screening {result['cases']:,.0f} open cases: "
                f"{result['seconds']:.1f} s{miss(result['seconds'] > GOAL_RESCREEN_SECONDS)}, "
                f"in {result['processes']:.0f} processes, peak RSS {result['peak_mb']:.0f} MB in all"
                f"{miss(result['peak_mb'] >= GOAL_RESCREEN_MB)} (this one {result['self_mb']:.0f}, "
                f"each child up to {result['child_mb']:.0f}) "
                f"(goal <= {GOAL_RESCREEN_SECONDS} s under {GOAL_RESCREEN_MB} MB)"
            )
    finally:
        redis.stop()
        server.stop()


if __name__ == "__main__":
    main()
