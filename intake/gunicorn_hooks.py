"""Gunicorn settings for the web process: `gunicorn -c python:intake.gunicorn_hooks ...`
(Procfile and bench/load.py; the command line gives the rest)."""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Any

from workflows.platform.logging_setup import gunicorn_log_config
from workflows.platform.metrics_dir import use_multiprocess_dir
from workflows.platform.settings import DEFAULT_INSTANCE, log_format_from

# Gunicorn 25+ opens a control socket at one fixed path in the user's home; nothing here uses it,
# and two web processes on one machine (blue/green, a load test beside the service) would race
# for it.
control_socket_disable = True

# Gunicorn's own lines (the arbiter's, the access lines) in the same format as the app's,
# through the same handler (workflows/platform/logging_setup.py).
logconfig_dict = gunicorn_log_config(log_format_from(os.environ))


def post_worker_init(worker: Any) -> None:
    """Once the worker has built the app, move everything it holds out of the collector's
    reach. Those ~120,000 objects live as long as the worker, and each full collection walked
    them all, stopping every request in the worker for about 50 ms (measured)."""
    gc.freeze()


def on_starting(server: Any) -> None:
    """Once, in the arbiter, before any worker imports the app: the workers' counters go to
    files under instance/prometheus/web/ (emptied here), which any worker's /metrics adds up
    (workflows/platform/metrics.py). The workers inherit the variable when forked. Not at the
    module's top: a reload (HUP) reads this file again and would empty the live files."""
    instance = Path(os.environ.get("LDN_INSTANCE_PATH") or DEFAULT_INSTANCE)
    use_multiprocess_dir(instance, "web")
