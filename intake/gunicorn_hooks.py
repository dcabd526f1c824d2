"""Gunicorn settings for the web process: `gunicorn -c python:intake.gunicorn_hooks ...`
(Procfile and bench/load.py; the command line gives the rest)."""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Any

from workflows.platform.logging_setup import gunicorn_log_config
from workflows.platform.metrics_dir import MULTIPROC_ENV, empty_multiprocess_dir
from workflows.platform.settings import log_format_from

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
    """Once, in the arbiter, before the workers fork: empty the folder the Procfile names in
    PROMETHEUS_MULTIPROC_DIR, where each worker writes its counters and which any worker's
    /metrics adds up (workflows/platform/metrics.py); files of a previous run would add to
    this one's. The variable comes from the Procfile, not from here: loading this file imports
    the app's package, and with it prometheus_client, which reads the variable at import. Not
    at the module's top: a reload (HUP) reads this file again and would empty live files."""
    folder = os.environ.get(MULTIPROC_ENV)
    if folder:
        empty_multiprocess_dir(Path(folder))
