"""The web's part of the traces (workflows/platform/tracing.py): a server span for each
request, named by its route template, continuing the trace its caller sent.

These few hooks on the OpenTelemetry API take the place of opentelemetry-instrumentation-flask.
That package reads some twenty request attributes, twice, and records two metrics for every
request before the sampler decides. Then the scrubber drops everything but the route, the
method and the status. With one trace in fifty kept, that work and Celery's publish span were
nearly all that tracing cost a request whose trace is dropped (bench/trace_cost.py). Here the
sampler decides first, and a dropped request gets nothing more.
"""

from __future__ import annotations

import re

from flask import Flask, Response, g, request

from workflows.platform.tracing import (
    end_request_span,
    is_tracing,
    set_request_status,
    start_request_span,
)

__all__ = ["trace_requests"]


def trace_requests(app: Flask, excluded_urls: str) -> None:
    """Trace the app's requests when this process traces, but those whose path matches one of
    ``excluded_urls`` (comma-separated patterns, OpenTelemetry's convention; by default
    /metrics: a scrape every 15 seconds would bury the traces people look for). Called first
    in create_app, so that every other before_request hook runs inside the span."""
    if not is_tracing():
        return
    patterns = [pattern.strip() for pattern in excluded_urls.split(",") if pattern.strip()]
    excluded = re.compile("|".join(patterns)) if patterns else None

    @app.before_request
    def _start_span() -> None:
        if excluded is not None and excluded.search(request.path):
            return
        rule = request.url_rule
        g.ldn_request_span = start_request_span(
            request.method, rule.rule if rule is not None else None, request.headers
        )

    @app.after_request
    def _status(response: Response) -> Response:
        set_request_status(g.get("ldn_request_span"), response.status_code)
        return response

    @app.teardown_request
    def _end_span(error: BaseException | None = None) -> None:
        end_request_span(g.pop("ldn_request_span", None), error)
