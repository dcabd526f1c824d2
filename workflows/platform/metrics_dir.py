"""Where the processes write their metrics in production (workflows/platform/metrics.py).

Apart from metrics.py because it must run before prometheus_client is imported: the library
chooses file-backed values, shared between processes, at import.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def use_multiprocess_dir(instance: Path, role: str) -> Path:
    """Point this process (and the ones it forks) at instance/prometheus/<role>, emptied: files
    left by a previous run would be added to this one's counts. Each role (web, worker) empties
    only its own folder, so the processes may start in any order. Must run before
    prometheus_client is imported: it picks file-backed values at import."""
    folder = empty_multiprocess_dir(instance / "prometheus" / role)
    os.environ[MULTIPROC_ENV] = str(folder)
    return folder


def empty_multiprocess_dir(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder
