"""The web's part of the traces (workflows/platform/tracing.py): each request's span, and
nothing below it when its trace is not kept."""

from __future__ import annotations

from flask import Flask, g

from workflows.platform.tracing import only_when_sampled, trace_flask

__all__ = ["trace_requests"]


def trace_requests(app: Flask, excluded_urls: str) -> None:
    """Trace the app's requests when this process traces. Called first in create_app, so that
    every other before_request hook (request ids, rate limits) runs inside the span."""
    if not trace_flask(app, excluded_urls):
        return

    # Right after the instrumentation's own hook: its span has started (and, at teardown, is
    # still open when this one leaves: Flask tears down in reverse order).
    @app.before_request
    def _quiet_unless_sampled() -> None:
        quiet = only_when_sampled()
        quiet.__enter__()
        g.ldn_trace_quiet = quiet

    @app.teardown_request
    def _end_quiet(_: BaseException | None = None) -> None:
        quiet = g.pop("ldn_trace_quiet", None)
        if quiet is not None:
            quiet.__exit__(None, None, None)
