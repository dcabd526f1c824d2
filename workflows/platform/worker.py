"""Entry point of the worker and beat processes (Procfile):

    celery -A workflows.platform.worker worker
    celery -A workflows.platform.worker beat

Reads the settings from the environment, here at the edge, and nowhere deeper.
"""

import gc
import sys
from collections.abc import Callable
from typing import Any

from workflows.platform.metrics_dir import use_multiprocess_dir
from workflows.platform.settings import Settings

settings = Settings.from_env()
if "celery" in sys.argv[0] and settings.metrics_enabled:
    # Started by the celery command (Procfile): the counters go to files that the web's
    # /metrics adds up (workflows/platform/metrics.py). Before anything imports
    # prometheus_client, which chooses file-backed values at import. Beat empties its own
    # folder, not the worker's, though both load this module.
    use_multiprocess_dir(settings.instance_path, "beat" if "beat" in sys.argv[1:] else "worker")

from celery.signals import (  # noqa: E402
    beat_init,
    setup_logging,
    worker_init,
    worker_process_init,
    worker_ready,
    worker_shutdown,
)

from workflows.platform.celery_app import make_celery, redis_url_of  # noqa: E402
from workflows.platform.logging_setup import configure_logging  # noqa: E402
from workflows.platform.redis_clients import redis_client  # noqa: E402
from workflows.platform.tracing import start_tracing  # noqa: E402
from workflows.platform.worker_heartbeat import start_heartbeat  # noqa: E402

celery = make_celery(settings)


@setup_logging.connect
def use_our_logging(loglevel: int | str | None = None, **_: Any) -> None:
    """With a receiver on this signal Celery configures no logging of its own: the worker's
    and beat's lines, Celery's included, come out as the web's do (workflows/platform/logging_setup.py),
    at the level of --loglevel."""
    configure_logging(settings.log_format, loglevel or "INFO")


@worker_init.connect
def load_rules_before_forking(**_: Any) -> None:
    """Read and validate the rule set in the parent worker: a broken rule file stops the worker
    at start-up rather than failing its first case, and the pool processes inherit it."""
    from workflows.screening import default_rules
    from workflows.screening.ruledata import prepare

    # The vocabulary and the one-slip search tables too: built once here, shared by the pool.
    prepare(default_rules())


@worker_process_init.connect
def start_the_pool_process(**_: Any) -> None:
    """Traces first, when the OTEL_* settings ask for them, from each pool process (the
    exporter's thread would not survive the fork from the parent); a task's span continues
    the trace of whoever sent it (the web request, or beat).

    Then the modules, the rule set and OpenTelemetry's ~40,000 objects, which live as long as
    the process, are moved out of the collector's reach: a full collection no longer walks
    them (about 45 ms for the modules and rules, 20 more for OpenTelemetry's, measured). One
    receiver, so that the freeze comes after the tracing's imports: frozen before, they
    were walked again at every full collection."""
    start_tracing(settings, "ldn-intake-worker")
    gc.freeze()


@beat_init.connect
def trace_beat(**_: Any) -> None:
    """Beat's sends start the traces of its periodic jobs."""
    start_tracing(settings, "ldn-intake-beat")


_heartbeats: dict[str, Callable[[], None]] = {}


@worker_ready.connect
def announce_this_worker(sender: Any = None, **_: Any) -> None:
    """Say in Redis, every 15 s, that this worker is alive (the operations page reads it:
    workflows/platform/worker_heartbeat.py)."""
    name = str(getattr(sender, "hostname", "") or "worker")
    _heartbeats[name] = start_heartbeat(redis_client(redis_url_of(settings)), name)


@worker_shutdown.connect
def withdraw_this_worker(sender: Any = None, **_: Any) -> None:
    stop = _heartbeats.pop(str(getattr(sender, "hostname", "") or "worker"), None)
    if stop is not None:
        stop()
