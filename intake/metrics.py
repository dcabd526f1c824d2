"""The web side of the metrics (workflows/platform/metrics.py defines them): the HTTP
request counter and histogram, and the /metrics page for Prometheus."""

from __future__ import annotations

import hmac
import ipaddress
import time
from typing import Any

from flask import Flask, Response, g, request

from workflows.cases.scrape_figures import StateCollector
from workflows.platform import metrics
from workflows.platform.orm import utcnow
from workflows.platform.settings import Settings


def _allowed(settings: Settings) -> bool:
    """A client of an allowed network, or any client with the token. The address is the
    socket's (no proxy header is trusted here): a forged X-Forwarded-For opens nothing."""
    given = request.headers.get("Authorization", "")
    if settings.metrics_token and hmac.compare_digest(
        given.encode(), f"Bearer {settings.metrics_token}".encode()
    ):
        return True
    try:
        client = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(client in ipaddress.ip_network(net, strict=False) for net in settings.metrics_allow)


def init_metrics(app: Flask, settings: Settings) -> None:
    if not settings.metrics_enabled:
        return  # LDN_METRICS=off: nothing counted per request, and no /metrics (a 404)

    @app.before_request
    def _start_clock() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count_request(response: Any) -> Any:
        # The route's template (/intake/<public_id>), never the path itself, which may hold a
        # case's id or a token; requests that matched no route share one label.
        rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
        metrics.HTTP_REQUESTS.labels(rule, request.method, str(response.status_code)).inc()
        started = g.get("metrics_started")
        if started is not None:
            metrics.HTTP_LATENCY.labels(rule).observe(time.perf_counter() - started)
        return response

    @app.get("/metrics")
    def prometheus_metrics() -> Response:
        if not _allowed(settings):
            # For Prometheus, not for people: plain text, like the page it refuses, and so in
            # English only (an operator reads it in the scrape's error).
            return Response(
                "403 Forbidden: /metrics answers METRICS_ALLOW networks or METRICS_TOKEN\n",
                status=403,
                mimetype="text/plain",
            )
        services = app.extensions["ldn"]
        state = StateCollector(services.sessions, utcnow)
        return Response(metrics.exposition(state), mimetype="text/plain; version=0.0.4")
