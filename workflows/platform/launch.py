"""`make run`: migrate, start the embedded Redis if no REDIS_URL is set, then run the Procfile.

    python -m workflows.platform.launch

Web, worker and beat come up under honcho with one shared environment; Ctrl-C stops all three,
then the embedded Redis. The access log format of the Procfile logs method, path (no query
string), status and time: the intake's pages carry no personal data in their paths.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from workflows.cases.rescreen import RESCREEN_PROCESSES, rescreen_open_cases
from workflows.platform.database import sessions_for
from workflows.platform.embedded_redis import embedded_redis_url
from workflows.platform.logging_setup import configure_logging
from workflows.platform.migrate import upgrade
from workflows.platform.settings import PROJECT_ROOT, Settings
from workflows.staff.accounts import describe_demo_logins, seed_demo_accounts


def main() -> int:
    env = dict(os.environ)
    env.setdefault("LDN_DEV_OUTBOX", "1")  # `make run` is for development: show /dev/outbox
    # Development: webhooks may also go to a plain-http receiver on 127.0.0.1 (never in production).
    env.setdefault("LDN_WEBHOOK_ALLOW_LOCAL_HTTP", "1")
    # A developer's terminal: readable lines, with the same ids as the JSON ones.
    env.setdefault("LOG_FORMAT", "text")
    settings = Settings.from_env(env)
    configure_logging(settings.log_format)  # the migrations and the re-screening log too
    print(f"ldn-intake: database {settings.database_url.split('@')[-1]}", flush=True)
    upgrade(settings.database_url)
    sessions = sessions_for(settings.database_url)
    # Rules may have changed since the last run.
    rescreened = rescreen_open_cases(sessions, processes=RESCREEN_PROCESSES)
    if rescreened:
        print(
            f"ldn-intake: re-screened {len(rescreened)} open case(s) under the current rules",
            flush=True,
        )
    created = seed_demo_accounts(sessions)
    if created:
        logins = describe_demo_logins(created)
        # Shown once here, and kept (owner-only) in instance/ for when the terminal scrolled away.
        path = settings.instance_path / "demo-accounts.txt"
        path.write_text(logins + "\n")
        path.chmod(0o600)
        print(logins, flush=True)
    else:
        print(
            f"ldn-intake: demo staff logins are in {settings.instance_path / 'demo-accounts.txt'}",
            flush=True,
        )
    if not settings.redis_url:
        env["REDIS_URL"] = embedded_redis_url(settings.instance_path)
        print(f"ldn-intake: embedded Redis at {env['REDIS_URL']}", flush=True)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("PORT", str(settings.port))
    print(
        f"ldn-intake: open http://{settings.host}:{env['PORT']}/  (outbox: /dev/outbox)", flush=True
    )
    honcho = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "honcho",
            "start",
            "-f",
            str(PROJECT_ROOT / "Procfile"),
            "-d",
            str(PROJECT_ROOT),
        ],
        env=env,
    )
    try:
        return honcho.wait()
    except KeyboardInterrupt:
        # The terminal sent SIGINT to the whole group; give honcho time to stop its children.
        honcho.send_signal(signal.SIGINT)
        return honcho.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
