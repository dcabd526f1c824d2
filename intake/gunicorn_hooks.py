"""Gunicorn settings for the web process: `gunicorn -c python:intake.gunicorn_hooks ...`
(Procfile and bench/load.py; the command line gives the rest)."""

from __future__ import annotations

import gc
from typing import Any

# Gunicorn 25+ opens a control socket at one fixed path in the user's home; nothing here uses it,
# and two web processes on one machine (blue/green, a load test beside the service) would race
# for it.
control_socket_disable = True


def post_worker_init(worker: Any) -> None:
    """Once the worker has built the app, move everything it holds out of the collector's
    reach. Those ~120,000 objects live as long as the worker, and each full collection walked
    them all, stopping every request in the worker for about 50 ms (measured)."""
    gc.freeze()
